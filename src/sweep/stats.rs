//! Statistics across seeds: mean, standard deviation, Student-t 95%
//! confidence intervals, order statistics, and paired differences.

use serde::Serialize;
use statrs::distribution::ContinuousCDF;

/// Confidence level of every interval the sweep reports.
pub const LEVEL: f64 = 0.95;

/// Two-sided Student-t quantile t_{1-(1-LEVEL)/2, df}.
pub fn t_quantile(df: usize) -> f64 {
    crate::metrics::t_quantile(df, LEVEL)
}

/// One metric over the runs of one point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// Runs where the metric has a value.
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n − 1 in the denominator); 0 for n = 1.
    pub sd: f64,
    /// mean ± t·sd/√n; `None` below 2 values.
    pub ci: Option<(f64, f64)>,
    pub min: f64,
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
}

impl Stats {
    /// `None` for no values. The interval assumes the values are
    /// independent draws (different seeds) and leans on the central limit
    /// theorem for non-normal metrics.
    pub fn of(values: &[f64]) -> Option<Stats> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        let ci = (n > 1).then(|| {
            let half = t_quantile(n - 1) * sd / (n as f64).sqrt();
            (mean - half, mean + half)
        });
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Some(Stats {
            n,
            mean,
            sd,
            ci,
            min: sorted[0],
            p50: quantile(&sorted, 0.5),
            p95: quantile(&sorted, 0.95),
            max: sorted[n - 1],
        })
    }
}

/// Wilson's score interval for a proportion `p` observed in `n` trials, at
/// the 95% level (z from the normal quantile).
pub fn wilson(p: f64, n: usize) -> (f64, f64) {
    use statrs::distribution::Normal;
    let z = Normal::new(0.0, 1.0)
        .expect("the standard normal")
        .inverse_cdf(1.0 - (1.0 - LEVEL) / 2.0);
    let n = n as f64;
    let centre = p + z * z / (2.0 * n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    let denom = 1.0 + z * z / n;
    (
        ((centre - half) / denom).max(0.0),
        ((centre + half) / denom).min(1.0),
    )
}

/// Quantile `q` of sorted values, interpolating linearly between order
/// statistics (Hyndman and Fan type 7, the default of R and NumPy).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_table() {
        // Two-sided 95% critical values from any t table.
        for (df, t) in [
            (1, 12.706),
            (4, 2.776),
            (9, 2.262),
            (29, 2.045),
            (1000, 1.962),
        ] {
            assert!(
                (t_quantile(df) - t).abs() < 1e-3,
                "df {df}: {}",
                t_quantile(df)
            );
        }
    }

    #[test]
    fn wilson_matches_a_worked_example() {
        // 19 of 20: the textbook Wilson interval is [0.764, 0.991].
        let (lo, hi) = wilson(0.95, 20);
        assert!(
            (lo - 0.7639).abs() < 1e-3 && (hi - 0.9911).abs() < 1e-3,
            "{lo} {hi}"
        );
        // All 20: [0.839, 1], not zero-width.
        let (lo, hi) = wilson(1.0, 20);
        assert!((lo - 0.8389).abs() < 1e-3 && hi == 1.0, "{lo} {hi}");
    }

    #[test]
    fn stats_of_a_small_sample() {
        let s = Stats::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.n, 8);
        assert_eq!(s.mean, 5.0);
        // Sum of squares 32 over 7.
        assert!((s.sd - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        let half = 2.364624 * s.sd / 8f64.sqrt();
        let (lo, hi) = s.ci.unwrap();
        assert!((lo - (5.0 - half)).abs() < 1e-5 && (hi - (5.0 + half)).abs() < 1e-5);
        assert_eq!((s.min, s.max), (2.0, 9.0));
        assert_eq!(s.p50, 4.5);
        // h = 7 × 0.95 = 6.65: 7 + 0.65 × (9 − 7).
        assert!((s.p95 - 8.3).abs() < 1e-12);
        assert_eq!(Stats::of(&[]), None);
        let one = Stats::of(&[3.0]).unwrap();
        assert_eq!((one.sd, one.ci, one.p95), (0.0, None, 3.0));
    }
}
