//! Arrival times of the open-loop workload, at a constant or time-varying
//! rate.
//!
//! A constant-rate Poisson stream draws its gaps from `workload.arrivals`
//! exactly as it always has, so older scenarios keep their results. A
//! time-varying rate r(t) is sampled exactly by thinning (Lewis and Shedler,
//! 1979) against a piecewise-constant majorant: time is cut into segments
//! (the pattern's breakpoints, and slices of ramps and diurnal cycles), each
//! with a bound >= r on it. Candidates come at rate `bound` (gaps drawn from
//! `workload.arrivals`); one that passes the segment's end is dropped and the
//! draw restarts at the end, which the exponential's memorylessness makes
//! exact; a candidate at t is kept with probability r(t)/bound, using a
//! uniform from its own stream, `workload.thinning`, so the gap stream is
//! shared by designs that differ only in acceptance. Where the rate is
//! constant on a segment every candidate is kept and no uniform is drawn.

use rand::Rng;
use rand_distr::{Distribution, Exp, Exp1};

use crate::engine::{SimTime, Stream, from_secs_f64, stream};
use crate::scenario::{Arrival, RatePattern, Workload, diurnal_phase};

/// Slices of a ramp: its rate is linear, so a slice's bound is the larger
/// end and at most 1/32 of the ramp's span above the rate.
const RAMP_SLICES: u64 = 32;
/// Slices of a diurnal period (30 min of a 24 h cycle).
const DIURNAL_SLICES: u64 = 48;
/// Relative headroom of a computed bound over f64 rounding of the rate.
const BOUND_MARGIN: f64 = 1e-9;

/// A piece of the majorant: on [start of the query, `end`) the rate is at
/// most `bound`, and equal to it throughout when `exact`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Segment {
    pub(crate) end: SimTime,
    pub(crate) bound: f64,
    pub(crate) exact: bool,
}

enum Mode {
    /// No arrivals at all (a zero constant rate).
    Silent,
    /// Constant-rate Poisson: the historical draws.
    Poisson(Exp<f64>),
    /// Constant rate, evenly spaced.
    Spaced(SimTime),
    /// Time-varying Poisson, by thinning.
    Thinning,
    /// Time-varying, evenly spaced at 1/r(t) (an approximation).
    VaryingSpaced,
}

/// The arrival process of the whole client population.
pub(crate) struct Arrivals {
    rng: Stream,
    /// Acceptance draws of thinning (never drawn from otherwise).
    thin: Stream,
    mode: Mode,
    base: f64,
    pattern: RatePattern,
    /// No arrival at or after this time (the run's end).
    end: SimTime,
}

impl Arrivals {
    pub(crate) fn new(w: &Workload, seed: u64, end: SimTime) -> Arrivals {
        let rate = w.rate;
        let mode = match (&w.pattern, w.arrival) {
            (RatePattern::Constant, _) if rate <= 0.0 => Mode::Silent,
            (RatePattern::Constant, Arrival::Poisson) => {
                Mode::Poisson(Exp::new(rate).expect("rate > 0"))
            }
            (RatePattern::Constant, Arrival::Constant) => {
                Mode::Spaced(from_secs_f64(1.0 / rate).max(1))
            }
            (_, Arrival::Poisson) => Mode::Thinning,
            (_, Arrival::Constant) => Mode::VaryingSpaced,
        };
        Arrivals {
            rng: stream(seed, "workload.arrivals"),
            thin: stream(seed, "workload.thinning"),
            mode,
            base: rate,
            pattern: w.pattern.clone(),
            end,
        }
    }

    /// The rate at `t`, requests per second.
    #[inline]
    pub(crate) fn rate(&self, t: SimTime) -> f64 {
        self.pattern.rate_at(self.base, t)
    }

    /// The time of the next arrival after one at `now`, if any.
    pub(crate) fn next(&mut self, now: SimTime) -> Option<SimTime> {
        match &mut self.mode {
            Mode::Silent => None,
            // At least 1 ns: the clock must move even at absurd rates.
            Mode::Poisson(exp) => {
                Some(now.saturating_add(from_secs_f64(exp.sample(&mut self.rng)).max(1)))
            }
            Mode::Spaced(gap) => Some(now.saturating_add(*gap)),
            Mode::Thinning => self.next_thinned(now),
            Mode::VaryingSpaced => self.next_spaced(now),
        }
    }

    fn next_thinned(&mut self, now: SimTime) -> Option<SimTime> {
        let mut t = now;
        while t < self.end {
            let seg = self.segment(t);
            if seg.bound <= 0.0 {
                t = seg.end;
                continue;
            }
            let secs: f64 = Exp1.sample(&mut self.rng);
            let cand = t.saturating_add(from_secs_f64(secs / seg.bound).max(1));
            if cand >= seg.end {
                t = seg.end;
                continue;
            }
            t = cand;
            if seg.exact {
                break;
            }
            let u: f64 = self.thin.random();
            if u * seg.bound < self.rate(t) {
                break;
            }
        }
        (t < self.end).then_some(t)
    }

    /// Spacing 1/r(t) at the last arrival; a gap that crosses a segment's
    /// end starts again from there at the new rate, and zero-rate segments
    /// are skipped.
    fn next_spaced(&mut self, now: SimTime) -> Option<SimTime> {
        let mut t = now;
        while t < self.end {
            let seg = self.segment(t);
            let r = self.rate(t);
            if r > 0.0 {
                let next = t.saturating_add(from_secs_f64(1.0 / r).max(1));
                if next < seg.end {
                    t = next;
                    break;
                }
            }
            t = seg.end;
        }
        (t < self.end).then_some(t)
    }

    /// The majorant's piece that contains `t`; its `end` is after `t`.
    pub(crate) fn segment(&self, t: SimTime) -> Segment {
        let base = self.base;
        let exact = |end: SimTime, rate: f64| Segment {
            end,
            bound: rate,
            exact: true,
        };
        match &self.pattern {
            RatePattern::Constant => exact(SimTime::MAX, base),
            &RatePattern::Ramp {
                start,
                duration,
                to,
            } => {
                if t < start {
                    return exact(start, base);
                }
                let into = t - start;
                if into >= duration {
                    return exact(SimTime::MAX, to);
                }
                // Slice k is [start + ceil(k d / n), start + ceil((k+1) d / n)):
                // ceilings keep t inside the slice its floor index names.
                let (d, n) = (u128::from(duration), u128::from(RAMP_SLICES));
                let k = u128::from(into) * n / d;
                let edge = |k: u128| start + (k * d).div_ceil(n) as SimTime;
                let (a, b) = (edge(k), edge(k + 1));
                let (ra, rb) = (self.rate(a), self.rate(b));
                if ra == rb {
                    exact(b, ra)
                } else {
                    Segment {
                        end: b,
                        bound: ra.max(rb) * (1.0 + BOUND_MARGIN),
                        exact: false,
                    }
                }
            }
            &RatePattern::Spike { at, duration, to } => {
                if t < at {
                    exact(at, base)
                } else if t - at < duration {
                    exact(at.saturating_add(duration), to)
                } else {
                    exact(SimTime::MAX, base)
                }
            }
            &RatePattern::Diurnal {
                amplitude,
                period,
                peak_at,
            } => {
                let width = period.div_ceil(DIURNAL_SLICES).max(1);
                let a = t / width * width;
                let b = a.saturating_add(width);
                // Between two peaks cos falls then rises, so its largest value
                // on a slice without a peak is at one of the slice's ends.
                let to_peak = (std::f64::consts::TAU - diurnal_phase(a, peak_at, period))
                    % std::f64::consts::TAU;
                let slice_angle = std::f64::consts::TAU * width as f64 / period as f64;
                let top = if to_peak <= slice_angle {
                    base * (1.0 + amplitude)
                } else {
                    self.rate(a).max(self.rate(b))
                };
                Segment {
                    end: b,
                    bound: top * (1.0 + BOUND_MARGIN),
                    exact: amplitude == 0.0,
                }
            }
            RatePattern::Schedule(steps) => {
                let n = steps.partition_point(|s| s.at <= t);
                let rate = if n == 0 { base } else { steps[n - 1].rate };
                exact(steps.get(n).map_or(SimTime::MAX, |s| s.at), rate)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::NANOS_PER_SEC;
    use crate::scenario::load_str;

    const S: SimTime = NANOS_PER_SEC;

    fn workload(yaml: &str) -> (Workload, SimTime) {
        let s = load_str(yaml, "t.yaml", "t", &[]).unwrap_or_else(|e| panic!("{e}"));
        (s.workload, s.duration)
    }

    const SPIKE: &str = "duration: 60m\nworkload: { rate: 100/s, pattern: { spike: { at: 20m, duration: 13m, factor: 3 } } }";
    const DIURNAL: &str = "duration: 60m\nworkload: { rate: 200/s, pattern: { diurnal: { amplitude: 90%, period: 40m, peak_at: 7m } } }";
    const RAMP: &str = "duration: 60m\nworkload: { rate: 0/s, pattern: { ramp: { start: 10m, duration: 35m, to: 300/s } } }";
    const SCHEDULE: &str = "duration: 60m\nworkload: { rate: 50/s, pattern: { schedule: [ { at: 5m, rate: 0/s }, { at: 17m, rate: 400/s }, { at: 31m, rate: 120/s } ] } }";

    /// Expected arrivals in [0, t] seconds: the integral of the rate.
    fn cumulative(w: &Workload, t: f64) -> f64 {
        let sec = |x: SimTime| x as f64 / S as f64;
        let base = w.rate;
        match &w.pattern {
            RatePattern::Constant => base * t,
            &RatePattern::Spike { at, duration, to } => {
                let (a, b) = (sec(at), sec(at + duration));
                base * t + (to - base) * (t.min(b) - a).max(0.0)
            }
            &RatePattern::Ramp {
                start,
                duration,
                to,
            } => {
                let (a, d) = (sec(start), sec(duration));
                let before = base * t.min(a);
                let x = (t - a).clamp(0.0, d);
                let during = base * x + (to - base) * x * x / (2.0 * d);
                before + during + to * (t - a - d).max(0.0)
            }
            &RatePattern::Diurnal {
                amplitude,
                period,
                peak_at,
            } => {
                let (p, c) = (sec(period), sec(peak_at));
                let w = std::f64::consts::TAU / p;
                base * (t + amplitude / w * ((w * (t - c)).sin() - (w * -c).sin()))
            }
            RatePattern::Schedule(steps) => {
                let mut total = 0.0;
                let mut from = 0.0;
                let mut rate = base;
                for s in steps {
                    let at = sec(s.at).min(t);
                    total += rate * (at - from).max(0.0);
                    from = from.max(at);
                    rate = s.rate;
                }
                total + rate * (t - from).max(0.0)
            }
        }
    }

    #[test]
    fn the_majorant_bounds_the_rate_on_every_segment() {
        for yaml in [SPIKE, DIURNAL, RAMP, SCHEDULE] {
            let (w, end) = workload(yaml);
            let a = Arrivals::new(&w, 1, end);
            let mut t = 0;
            let mut segments = 0;
            while t < end {
                let seg = a.segment(t);
                assert!(seg.end > t, "{yaml}: segment at {t} ends at {}", seg.end);
                let stop = seg.end.min(end);
                // Dense samples from the first to the last nanosecond of the
                // segment (a continuous rate's supremum may sit at its end).
                for i in 0..=200u64 {
                    let x = (t + (stop - t) / 200 * i).min(stop - 1);
                    let r = a.rate(x);
                    assert!(
                        r <= seg.bound,
                        "{yaml}: rate {r} > bound {} at {x}",
                        seg.bound
                    );
                    if seg.exact {
                        assert_eq!(r, seg.bound, "{yaml}: inexact at {x}");
                    }
                }
                t = seg.end;
                segments += 1;
            }
            assert!(segments >= 3, "{yaml}: {segments} segments");
        }
    }

    #[test]
    fn a_diurnal_slice_around_the_peak_is_bounded_by_the_peak() {
        let (w, end) = workload(DIURNAL);
        let a = Arrivals::new(&w, 1, end);
        // The peak at 7 min falls inside a 50 s slice, not at its ends.
        let seg = a.segment(7 * 60 * S);
        assert!(seg.bound >= 200.0 * 1.9, "{seg:?}");
        assert!(!seg.exact);
    }

    /// Counts arrivals per window and compares them with the integrated
    /// rate. Poisson counts in disjoint windows are independent with
    /// N_i ~ Poisson(L_i), L_i >= 1000 here, so (N_i - L_i)/sqrt(L_i) is close
    /// to a standard normal: the total's z-score should lie within 4 sigma
    /// (two-sided chance of a false alarm 6e-5 per check), and
    /// D = sum (N_i - L_i)^2 / L_i is chi-square with k degrees of freedom
    /// (mean k, variance 2k, plus 1/L_i per window from the Poisson's fourth
    /// moment, negligible): k +- 4 sqrt(2k) is again a 4-sigma band, which
    /// catches a rate off by a few percent in one stretch of windows as well
    /// as clumped or too regular arrivals. Seeds are fixed, so the test is
    /// deterministic; the band is what makes it meaningful.
    fn check_poisson_counts(yaml: &str, seed: u64) {
        let (w, end) = workload(yaml);
        let mut a = Arrivals::new(&w, seed, end);
        let k = 60usize;
        let width = end / k as u64;
        let mut counts = vec![0u64; k];
        let mut t = 0;
        let mut last = 0;
        while let Some(next) = a.next(t) {
            assert!(next > t && next < end);
            counts[(next / width) as usize] += 1;
            t = next;
            last = next;
        }
        assert!(
            last > end - 60 * S,
            "{yaml}: arrivals stopped early at {last}"
        );
        let secs = |i: usize| (i as u64 * width) as f64 / S as f64;
        let (mut total, mut expected, mut d) = (0.0, 0.0, 0.0);
        for (i, &n) in counts.iter().enumerate() {
            let l = cumulative(&w, secs(i + 1)) - cumulative(&w, secs(i));
            let n = n as f64;
            total += n;
            expected += l;
            if l > 0.0 {
                d += (n - l) * (n - l) / l;
            } else {
                assert_eq!(n, 0.0, "{yaml}: arrivals in a zero-rate window {i}");
            }
        }
        let z = (total - expected) / expected.sqrt();
        assert!(
            z.abs() < 4.0,
            "{yaml} seed {seed}: total {total} vs {expected} (z {z:.2})"
        );
        let kf = counts.len() as f64;
        let band = 4.0 * (2.0 * kf).sqrt();
        assert!(
            (d - kf).abs() < band,
            "{yaml} seed {seed}: dispersion {d:.1} outside {kf} +- {band:.1}"
        );
    }

    #[test]
    fn spike_arrivals_follow_the_integrated_rate() {
        for seed in 1..=3 {
            check_poisson_counts(SPIKE, seed);
        }
    }

    #[test]
    fn diurnal_arrivals_follow_the_integrated_rate() {
        for seed in 1..=3 {
            check_poisson_counts(DIURNAL, seed);
        }
    }

    #[test]
    fn ramp_arrivals_follow_the_integrated_rate() {
        for seed in 1..=3 {
            check_poisson_counts(RAMP, seed);
        }
    }

    #[test]
    fn schedule_arrivals_follow_the_integrated_rate_and_skip_zero_rate_steps() {
        for seed in 1..=3 {
            check_poisson_counts(SCHEDULE, seed);
        }
    }

    #[test]
    fn the_constant_pattern_draws_exactly_the_historical_gaps() {
        let (w, end) = workload("workload: { rate: 250/s }");
        let mut a = Arrivals::new(&w, 9, end);
        let mut rng = stream(9, "workload.arrivals");
        let exp = Exp::new(250.0).unwrap();
        let mut t = 0;
        for _ in 0..1000 {
            let want = t + from_secs_f64(exp.sample(&mut rng)).max(1);
            t = a.next(t).unwrap();
            assert_eq!(t, want);
        }
    }

    #[test]
    fn evenly_spaced_arrivals_follow_the_rate_at_each_arrival() {
        let yaml = "duration: 10m\nworkload: { rate: 10/s, arrival: constant, pattern: { schedule: [ { at: 1m, rate: 0/s }, { at: 2m, rate: 100/s } ] } }";
        let (w, end) = workload(yaml);
        let mut a = Arrivals::new(&w, 1, end);
        let mut times = Vec::new();
        let mut t = 0;
        while let Some(next) = a.next(t) {
            times.push(next);
            t = next;
        }
        let in_range = |from: u64, to: u64| {
            times
                .iter()
                .filter(|&&x| x >= from * S && x < to * S)
                .count()
        };
        assert_eq!(in_range(0, 60), 599, "10/s, first at 100 ms");
        assert_eq!(in_range(60, 120), 0, "zero-rate step skipped");
        assert_eq!(in_range(120, 600), 48_000 - 1);
        assert_eq!(times[599], 120 * S + 10_000_000);
    }

    #[test]
    fn a_rate_that_drops_to_zero_for_good_ends_the_arrivals() {
        let (w, end) = workload(
            "duration: 10m\nworkload: { rate: 50/s, pattern: { schedule: [ { at: 1m, rate: 0/s } ] } }",
        );
        let mut a = Arrivals::new(&w, 3, end);
        let mut t = 0;
        let mut n = 0;
        while let Some(next) = a.next(t) {
            t = next;
            n += 1;
        }
        assert!(
            t < 60 * S && n > 2_500 && n < 3_500,
            "{n} arrivals, last at {t}"
        );
    }
}
