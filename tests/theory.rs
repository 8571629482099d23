//! The simulator agrees with queueing and reliability theory where the math
//! exists. Fixed seeds; each tolerance is derived next to its formula.

use failover_sim::metrics::NullSink;
use failover_sim::model::simulate;
use failover_sim::report::Summary;
use failover_sim::scenario::load_str;

fn run(yaml: &str, seed: u64) -> Summary {
    let s = load_str(yaml, "theory.yaml", "theory", &[format!("seed={seed}")])
        .unwrap_or_else(|e| panic!("{e}"));
    let out = simulate(&s, Box::new(NullSink), None);
    Summary::new(&s, &out)
}

/// Mean and standard error of the mean over independent replications.
fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

/// Erlang C: probability that an arrival waits in an M/M/c queue with
/// offered load `a` = lambda / mu (in erlangs).
fn erlang_c(c: u32, a: f64) -> f64 {
    // Erlang B by its stable recurrence, then C = B / (1 - rho (1 - B)).
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let rho = a / f64::from(c);
    b / (1.0 - rho * (1.0 - b))
}

#[test]
fn erlang_c_formula_matches_known_values() {
    // Textbook value: c = 2, a = 1 erlang -> C = 1/3.
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    // c = 1 reduces to M/M/1: P(wait) = rho.
    assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
}

/// M/M/c mean response time per instance: W = 1/mu + C(c, a) / (c mu - lambda).
///
/// Random routing splits a Poisson stream into independent Poisson streams,
/// so each of the instances is an M/M/c queue with lambda / instances. The
/// issue asks for agreement within 3 %. So that the 3 % tolerance measures
/// bias rather than noise, the replications' 99.7 % confidence half-width
/// (3 standard errors) must be at most half of it, 1.5 %.
#[test]
fn mean_response_time_matches_erlang_c_for_m_m_c() {
    let (instances, c, mean_ms) = (2u32, 4u32, 10.0);
    let mu = 1000.0 / mean_ms;
    for rho in [0.5, 0.8, 0.9] {
        let lambda_i = rho * f64::from(c) * mu;
        let rate = lambda_i * f64::from(instances);
        let yaml = format!(
            "azs: [a]
duration: 1210s
warmup: 10s
network: {{ latency: 0s }}
load_balancer: {{ algorithm: random }}
app: {{ instances_per_az: {instances}, workers: {c}, queue_capacity: 100000,
       service_time: {{ dist: exponential, mean: {mean_ms}ms }} }}
workload: {{ rate: {rate}/s, arrival: poisson, timeout: 1h }}"
        );
        let ws: Vec<f64> = (1..=8)
            .map(|seed| {
                let s = run(&yaml, seed);
                assert_eq!(s.requests.dropped.total, 0);
                s.latency_ms.unwrap().mean
            })
            .collect();
        let (w, se) = mean_se(&ws);
        let a = lambda_i / mu;
        let theory = 1000.0 * (1.0 / mu + erlang_c(c, a) / (f64::from(c) * mu - lambda_i));
        let err = (w - theory).abs() / theory;
        eprintln!("M/M/{c} rho {rho}: W {w:.3} ms (se {se:.3}) vs Erlang C {theory:.3} ms");
        assert!(
            3.0 * se / theory <= 0.015,
            "rho {rho}: CI too wide to test ({se} around {theory})"
        );
        assert!(
            err < 0.03,
            "rho {rho}: simulated {w:.3} ms vs Erlang C {theory:.3} ms ({:.2} %)",
            err * 100.0
        );
    }
}

/// N independent repairable instances, each up with probability
/// mtbf / (mtbf + mttr): all N are down a fraction (mttr / (mtbf + mttr))^N
/// of the time. With health checks every 100 ms against mean repair times of
/// 10 s, the LB's view lags each transition by under 0.1 s, on both edges of
/// an outage alike, so it adds no bias beyond about 1 %. The tolerance is
/// 3 standard errors of the mean over independent replications plus that
/// 1 % lag allowance.
#[test]
fn time_with_no_healthy_instance_matches_independent_failures() {
    let (n, mtbf, mttr) = (2u32, 40.0, 10.0);
    let yaml = format!(
        "azs: [a, b]
duration: 100000s
load_balancer:
  health_check: {{ interval: 100ms, timeout: 50ms, healthy_threshold: 1, unhealthy_threshold: 1 }}
app: {{ instances_per_az: 1, boot_time: 0s, mtbf: {mtbf}s, mttr: {mttr}s }}
workload: {{ rate: 0/s }}"
    );
    let p_down: f64 = mttr / (mtbf + mttr);
    let theory = p_down.powi(n as i32);
    let fracs: Vec<f64> = (1..=8)
        .map(|seed| run(&yaml, seed).capacity.zero_healthy_fraction)
        .collect();
    let (f, se) = mean_se(&fracs);
    assert!(se / theory < 0.03, "replications too short: se {se}");
    let tol = 3.0 * se + 0.01 * theory;
    eprintln!("no healthy instance: {f:.5} (se {se:.5}) vs {theory:.5}");
    assert!(
        (f - theory).abs() < tol,
        "simulated {f:.5} vs theory {theory:.5} (tolerance {tol:.5})"
    );
    // Mean healthy count: N (1 - p) with the same kind of tolerance.
    let means: Vec<f64> = (1..=4)
        .map(|seed| run(&yaml, seed).capacity.mean_healthy)
        .collect();
    let (m, se) = mean_se(&means);
    let expect = f64::from(n) * (1.0 - p_down);
    assert!(
        (m - expect).abs() < 3.0 * se + 0.01 * expect,
        "{m} vs {expect}"
    );
}
