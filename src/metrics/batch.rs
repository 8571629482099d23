//! Batch means: confidence intervals for the steady-state figures of one
//! run, in fixed memory.
//!
//! The measured period (warm-up to end) is cut into [`BATCHES`] batches of
//! equal length (Law and Kelton recommend 10 to 30). Each counted request's
//! outcome is added to the batch of its completion time, so the batches'
//! sums add up to the run's totals and memory does not grow with duration.
//!
//! Every figure is a ratio of sums, R = sum(y) / sum(x): mean latency
//! (latency / succeeded), availability (succeeded / resolved), throughput
//! (succeeded / seconds). The point estimate is that ratio over the whole
//! period, the same number the summary reports elsewhere, and its standard
//! error is the classical ratio (delta-method) estimator over batches,
//!
//!   se(R) = sqrt( sum_j (y_j - R x_j)^2 / (B (B - 1)) ) / mean_j(x_j),
//!
//! which is the textbook batch-means standard error when every x_j is the
//! same, and weighs each batch by its size otherwise: a batch without
//! requests (an outage with no traffic, a quiet night) carries no weight
//! instead of an undefined ratio. The interval is R +- t_{B-1} se(R).

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::engine::{NANOS_PER_SEC, SimTime};

/// Batches the measured period is cut into.
pub const BATCHES: usize = 20;

/// Confidence level of the batch-means intervals.
pub const LEVEL: f64 = 0.95;

/// Two-sided Student-t quantile t_{1-(1-level)/2, df}.
pub fn t_quantile(df: usize, level: f64) -> f64 {
    let t = StudentsT::new(0.0, 1.0, df as f64).expect("df >= 1 is a valid Student t");
    t.inverse_cdf(1.0 - (1.0 - level) / 2.0)
}

/// One figure's point estimate and confidence interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    /// Lag-1 autocorrelation of the batches' residuals y_j - R x_j (of the
    /// batch means when batches are equal): near 0 (about -1/B) when the
    /// batches are long enough to be independent; a clearly positive value
    /// means the interval is too narrow. `null` when every batch agrees.
    pub lag1_autocorrelation: Option<f64>,
}

/// Batch-means confidence intervals of the steady-state figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confidence {
    /// Always `batch_means`.
    pub method: &'static str,
    pub batches: usize,
    pub level: f64,
    /// Mean latency of succeeded requests, ms; `null` when none succeeded.
    pub latency_mean_ms: Option<Interval>,
    /// Succeeded / resolved requests, bounds clamped to [0, 1]; `null` when
    /// no request was resolved.
    pub availability: Option<Interval>,
    /// Succeeded requests per second of the measured period.
    pub throughput_rps: Interval,
}

/// Sums of one batch.
#[derive(Debug, Clone, Copy, Default)]
struct Batch {
    succeeded: u64,
    /// Succeeded or dropped.
    resolved: u64,
    latency_ns: u128,
}

/// Per-batch sums of the measured period [start, end).
#[derive(Debug, Clone)]
pub(crate) struct Batches {
    start: SimTime,
    end: SimTime,
    /// Batch being filled and where it ends.
    cur: usize,
    cur_end: SimTime,
    b: [Batch; BATCHES],
}

impl Batches {
    pub(crate) fn new(start: SimTime, end: SimTime) -> Batches {
        let mut b = Batches {
            start,
            end: end.max(start),
            cur: 0,
            cur_end: 0,
            b: [Batch::default(); BATCHES],
        };
        b.cur_end = b.boundary(1);
        b
    }

    /// Start of batch `j` (the end of the period for `j` = B): the period
    /// is split exactly, batch lengths differ by at most 1 ns.
    fn boundary(&self, j: usize) -> SimTime {
        let span = u128::from(self.end - self.start);
        self.start + (span * j as u128 / BATCHES as u128) as SimTime
    }

    /// The batch of time `now` (times only increase; past the end, the last).
    #[inline]
    fn at(&mut self, now: SimTime) -> &mut Batch {
        while now >= self.cur_end && self.cur + 1 < BATCHES {
            self.cur += 1;
            self.cur_end = self.boundary(self.cur + 1);
        }
        &mut self.b[self.cur]
    }

    /// A counted request succeeded at `now` after `latency`.
    #[inline]
    pub(crate) fn succeeded(&mut self, now: SimTime, latency: SimTime) {
        let b = self.at(now);
        b.succeeded += 1;
        b.resolved += 1;
        b.latency_ns += u128::from(latency);
    }

    /// A counted request was dropped at `now`.
    #[inline]
    pub(crate) fn dropped(&mut self, now: SimTime) {
        self.at(now).resolved += 1;
    }

    /// The intervals; `None` for an empty measured period.
    pub(crate) fn confidence(&self) -> Option<Confidence> {
        if self.end == self.start {
            return None;
        }
        let col = |f: &dyn Fn(usize, &Batch) -> f64| -> Vec<f64> {
            self.b.iter().enumerate().map(|(j, b)| f(j, b)).collect()
        };
        let succeeded = col(&|_, b| b.succeeded as f64);
        let latency = ratio_interval(&col(&|_, b| b.latency_ns as f64 / 1e6), &succeeded, LEVEL);
        let availability =
            ratio_interval(&succeeded, &col(&|_, b| b.resolved as f64), LEVEL).map(|i| Interval {
                low: i.low.max(0.0),
                high: i.high.min(1.0),
                ..i
            });
        let seconds =
            col(&|j, _| (self.boundary(j + 1) - self.boundary(j)) as f64 / NANOS_PER_SEC as f64);
        let throughput =
            ratio_interval(&succeeded, &seconds, LEVEL).expect("a non-empty period has seconds");
        Some(Confidence {
            method: "batch_means",
            batches: BATCHES,
            level: LEVEL,
            latency_mean_ms: latency,
            availability,
            throughput_rps: throughput,
        })
    }
}

/// R = sum(y) / sum(x) and its batch-means interval at `level` (see the
/// module's doc); `None` when sum(x) is 0. Needs at least 2 batches.
pub fn ratio_interval(y: &[f64], x: &[f64], level: f64) -> Option<Interval> {
    let n = y.len();
    assert!(n >= 2 && x.len() == n, "two or more batches, y and x alike");
    let (sy, sx) = (y.iter().sum::<f64>(), x.iter().sum::<f64>());
    if sx <= 0.0 {
        return None;
    }
    let r = sy / sx;
    let z: Vec<f64> = y.iter().zip(x).map(|(y, x)| y - r * x).collect();
    let ss: f64 = z.iter().map(|z| z * z).sum();
    let nf = n as f64;
    let se = (ss / (nf * (nf - 1.0))).sqrt() / (sx / nf);
    let half = t_quantile(n - 1, level) * se;
    // The residuals sum to 0 by construction: no mean to subtract.
    let lag1 = (ss > 0.0).then(|| z.windows(2).map(|w| w[0] * w[1]).sum::<f64>() / ss);
    Some(Interval {
        estimate: r,
        low: r - half,
        high: r + half,
        lag1_autocorrelation: lag1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: SimTime = NANOS_PER_SEC;

    #[test]
    fn equal_batches_give_the_textbook_t_interval() {
        // Batch means 1..=20 with x = 1: mean 10.5, s^2 = 20 * 21 / 12 = 35,
        // se = sqrt(35 / 20), t_{19, 0.975} = 2.093024.
        let y: Vec<f64> = (1..=20).map(f64::from).collect();
        let i = ratio_interval(&y, &[1.0; 20], 0.95).unwrap();
        let half = 2.093_024 * (35.0f64 / 20.0).sqrt();
        assert!((i.estimate - 10.5).abs() < 1e-12);
        assert!((i.low - (10.5 - half)).abs() < 1e-5 && (i.high - (10.5 + half)).abs() < 1e-5);
        // Deviations -9.5..9.5: sum of neighbours' products over the sum of
        // squares, (sum_{k=1}^{19} d_k d_{k+1}) / 665 = 565.25 / 665.
        let lag1 = i.lag1_autocorrelation.unwrap();
        assert!((lag1 - 565.25 / 665.0).abs() < 1e-12, "{lag1}");
        // Alternating batches are negatively correlated.
        let alt: Vec<f64> = (0..20).map(|j| f64::from(j % 2)).collect();
        let i = ratio_interval(&alt, &[1.0; 20], 0.95).unwrap();
        assert!((i.lag1_autocorrelation.unwrap() + 19.0 / 20.0).abs() < 1e-12);
        // Identical batches: a zero-width interval and no autocorrelation.
        let i = ratio_interval(&[3.0; 20], &[1.0; 20], 0.95).unwrap();
        assert_eq!((i.low, i.high, i.lag1_autocorrelation), (3.0, 3.0, None));
    }

    #[test]
    fn ratios_weigh_batches_by_size_and_skip_empty_ones() {
        // y / x with one empty batch: R = 12 / 6 = 2, residuals
        // (3 - 2, 6 - 6, 0, 3 - 4) = (1, 0, 0, -1), x mean 1.5,
        // se = sqrt(2 / (4 * 3)) / 1.5, t_{3, 0.975} = 3.182446; no two
        // neighbours are both off the ratio: lag-1 autocorrelation 0.
        let i = ratio_interval(&[3.0, 6.0, 0.0, 3.0], &[1.0, 3.0, 0.0, 2.0], 0.95).unwrap();
        let half = 3.182_446 * (2.0f64 / 12.0).sqrt() / 1.5;
        assert!((i.estimate - 2.0).abs() < 1e-12);
        assert!((i.high - (2.0 + half)).abs() < 1e-5, "{i:?}");
        assert_eq!(i.lag1_autocorrelation, Some(0.0));
        assert_eq!(ratio_interval(&[0.0; 3], &[0.0; 3], 0.95), None);
    }

    #[test]
    fn completions_land_in_the_batch_of_their_time() {
        // 20 s measured after a 10 s warm-up: one batch per second.
        let mut b = Batches::new(10 * S, 30 * S);
        for j in 0..20u64 {
            let t = 10 * S + j * S;
            // Batch j: j + 1 successes of (j + 1) ms each, one drop.
            for _ in 0..=j {
                b.succeeded(t + S / 2, (j + 1) * 1_000_000);
            }
            b.dropped(t + S - 1);
        }
        // Past the end counts in the last batch.
        b.dropped(31 * S);
        assert_eq!(b.b[0].resolved, 2);
        assert_eq!(b.b[19].resolved, 22);
        let c = b.confidence().unwrap();
        assert_eq!((c.method, c.batches, c.level), ("batch_means", 20, 0.95));
        // Latency: sum (j+1)^2 / sum (j+1) = 2870 / 210 ms.
        let l = c.latency_mean_ms.unwrap();
        assert!((l.estimate - 2870.0 / 210.0).abs() < 1e-9);
        // Availability 210 / 231; throughput 210 / 20 s.
        let a = c.availability.unwrap();
        assert!((a.estimate - 210.0 / 231.0).abs() < 1e-12);
        assert!(a.low < a.estimate && a.high <= 1.0);
        let t = c.throughput_rps;
        assert!((t.estimate - 10.5).abs() < 1e-9);
        // Successes per second are 1..=20: the equal-batch interval above.
        let half = 2.093_024 * (35.0f64 / 20.0).sqrt();
        assert!((t.high - (10.5 + half)).abs() < 1e-5);
        assert!(Batches::new(5 * S, 5 * S).confidence().is_none());
        // Nothing happened: no latency, no availability, 0 req/s.
        let c = Batches::new(0, 20 * S).confidence().unwrap();
        assert!(c.latency_mean_ms.is_none() && c.availability.is_none());
        assert_eq!(c.throughput_rps.estimate, 0.0);
    }

    #[test]
    fn uneven_periods_are_split_exactly() {
        let b = Batches::new(7, 7 + 39);
        assert_eq!(b.boundary(0), 7);
        assert_eq!(b.boundary(BATCHES), 46);
        let widths: Vec<SimTime> = (0..BATCHES)
            .map(|j| b.boundary(j + 1) - b.boundary(j))
            .collect();
        assert!(widths.iter().all(|&w| w == 1 || w == 2), "{widths:?}");
    }
}
