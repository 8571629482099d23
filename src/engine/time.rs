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
    let ns = (secs * NANOS_PER_SEC as f64).round();
    if ns >= SimTime::MAX as f64 {
        SimTime::MAX
    } else {
        ns as SimTime
    }
}
