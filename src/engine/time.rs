//! Simulated time: integer nanoseconds, so equal inputs give equal event
//! orders on every machine (no floating-point drift in the clock).

/// An instant or a span of simulated time, in nanoseconds.
pub type SimTime = u64;

pub const NANOS_PER_MICRO: SimTime = 1_000;
pub const NANOS_PER_MILLI: SimTime = 1_000_000;
pub const NANOS_PER_SEC: SimTime = 1_000_000_000;

/// Seconds as a float, for reports only (never for ordering).
pub fn as_secs_f64(t: SimTime) -> f64 {
    t as f64 / NANOS_PER_SEC as f64
}

/// Milliseconds as a float, for reports only.
pub fn as_millis_f64(t: SimTime) -> f64 {
    t as f64 / NANOS_PER_MILLI as f64
}

/// Converts non-negative, finite seconds to simulated time, rounding to the
/// nearest nanosecond and saturating at the end of representable time.
pub fn from_secs_f64(secs: f64) -> SimTime {
    debug_assert!(secs >= 0.0 && secs.is_finite(), "bad duration {secs}");
    let ns = secs * NANOS_PER_SEC as f64;
    if ns >= SimTime::MAX as f64 {
        SimTime::MAX
    } else {
        round_ns(ns)
    }
}

/// `x.round() as SimTime`, bit for bit, for every `x` (negative, NaN and
/// huge ones included), without the libm call that `f64::round` is on
/// baseline x86-64: every sampled duration goes through here.
#[inline]
pub fn round_ns(x: f64) -> SimTime {
    // Below 2^52 `x - trunc(x)` is exact, so the fraction decides exactly
    // as `round` does: halves away from zero. At or above 2^52 every float
    // is already an integer.
    const EXACT: f64 = 4_503_599_627_370_496.0;
    if (0.0..EXACT).contains(&x) {
        let i = x as SimTime;
        i + SimTime::from(x - i as f64 >= 0.5)
    } else {
        x.round() as SimTime
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn round_ns_is_round_as_u64_everywhere() {
        let mut edges = vec![
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            0.49999999999999994,
            -0.5,
            -0.7,
            -1e30,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            1.8446744073709552e19,
            1e300,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..200_000 {
            // Uniform bit patterns cover every magnitude; halves and their
            // neighbours are where a shortcut would differ.
            edges.push(f64::from_bits(rng.random()));
            let half = f64::from(rng.random_range(0u32..1 << 30)) + 0.5;
            edges.extend([half, half.next_down(), half.next_up()]);
            edges.push(rng.random_range(0.0..1e12));
        }
        for x in edges {
            assert_eq!(round_ns(x), x.round() as SimTime, "{x:e}");
        }
    }
}
