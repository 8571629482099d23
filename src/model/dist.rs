//! Random durations (service times, query times, lags, failover times)
//! drawn from the distributions a scenario names.

use rand_distr::{Distribution, Exp, LogNormal};

use crate::engine::{SimTime, Stream, round_ns};
use crate::scenario::{RandomFailures, ServiceTime};

/// Sampler of a random duration, resolved from the scenario once.
#[derive(Debug, Clone)]
pub(crate) enum Sampler {
    Constant(SimTime),
    Exponential(Exp<f64>),
    LogNormal(LogNormal<f64>),
}

/// The 0.99 quantile of the standard normal distribution.
const Z99: f64 = 2.326_347_874_040_841;

impl Sampler {
    pub(crate) fn new(st: ServiceTime) -> Sampler {
        match st {
            ServiceTime::Constant { value } => Sampler::Constant(value),
            // Rate in 1/ns; validation guarantees mean > 0.
            ServiceTime::Exponential { mean } => {
                Sampler::Exponential(Exp::new(1.0 / mean as f64).expect("mean > 0 validated"))
            }
            ServiceTime::LogNormal { mean, p99 } => {
                // mean = exp(mu + s^2/2), p99 = exp(mu + Z99 s): solve for s,
                // the smaller root (validation checked the discriminant).
                let r = (p99 as f64 / mean as f64).ln();
                let sigma = Z99 - (Z99 * Z99 - 2.0 * r).sqrt();
                let mu = (mean as f64).ln() - sigma * sigma / 2.0;
                Sampler::LogNormal(LogNormal::new(mu, sigma).expect("sigma >= 0 validated"))
            }
        }
    }

    #[inline]
    pub(crate) fn sample(&self, rng: &mut Stream) -> SimTime {
        match self {
            Sampler::Constant(v) => *v,
            Sampler::Exponential(d) => round_ns(d.sample(rng)),
            Sampler::LogNormal(d) => round_ns(d.sample(rng)),
        }
    }
}

/// The random failure process of one component: exponential times to
/// failure (mean mtbf) and to repair (mean mttr).
#[derive(Debug, Clone, Copy)]
pub(crate) struct UpDown {
    up: Exp<f64>,
    down: Exp<f64>,
}

impl UpDown {
    pub(crate) fn new(rf: RandomFailures) -> UpDown {
        let exp = |mean: SimTime| Exp::new(1.0 / mean as f64).expect("mean > 0 validated");
        UpDown {
            up: exp(rf.mtbf),
            down: exp(rf.mttr),
        }
    }

    /// How long the component stays in its new state: down for a repair
    /// time when it just failed, up for a time to failure otherwise.
    pub(crate) fn next(&self, down: bool, rng: &mut Stream) -> SimTime {
        let d = if down { self.down } else { self.up };
        round_ns(d.sample(rng))
    }
}
