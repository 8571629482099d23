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

/// `instances` M/M/c queues behind a randomly routing LB: Poisson arrivals
/// at `rate`, `c` workers with exponential service of mean `mean_ms` and
/// room for `queue` waiting jobs each, no network latency, a timeout too
/// long to matter, and `duration` with 10 s of warm-up.
fn mmc_yaml(instances: u32, c: u32, queue: u32, mean_ms: f64, rate: f64, duration: &str) -> String {
    format!(
        "azs: [a]
duration: {duration}
warmup: 10s
network: {{ latency: 0s }}
load_balancer: {{ algorithm: random }}
app: {{ instances_per_az: {instances}, workers: {c}, queue_capacity: {queue},
       service_time: {{ dist: exponential, mean: {mean_ms}ms }} }}
workload: {{ rate: {rate}/s, arrival: poisson, timeout: 1h, retries: 0 }}"
    )
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

/// M/M/c per instance, from random routing: the mean response time
/// W = 1/mu + C(c, a) / (c mu - lambda) and the probability of waiting
/// C(c, a) (Erlang C), at loads from 0.3 to 0.9.
///
/// Random routing splits a Poisson stream into independent Poisson streams,
/// so each of the instances is an M/M/c queue with lambda / instances.
///
/// Mean response time: within 3 standard errors of the mean over the 8
/// independent replications (with 7 degrees of freedom, a 98 % interval:
/// t_7 has 2 % beyond 3), and those 3 standard errors must be at most 1.5 %
/// of W, so that the check would see a 1.5 % bias.
///
/// Probability of waiting: Poisson arrivals see time averages (PASTA), so
/// the fraction of attempts that found all c workers busy, attempts_queued
/// / attempts, estimates C(c, a) without bias once the 10 s warm-up has
/// emptied the start (the slowest load relaxes in about
/// 1 / (c mu (1 - sqrt(rho))^2) = 1 s). Tolerance: 3 standard errors of the
/// mean over the 8 replications, and those 3 standard errors must be at
/// most 3 % of C, so that the check would see a 3 % error.
#[test]
fn m_m_c_response_time_and_waiting_probability_match_erlang_c() {
    let (instances, c, mean_ms) = (2u32, 4u32, 10.0);
    let mu = 1000.0 / mean_ms;
    for rho in [0.3, 0.5, 0.8, 0.9] {
        let lambda_i = rho * f64::from(c) * mu;
        let rate = lambda_i * f64::from(instances);
        let yaml = mmc_yaml(instances, c, 100_000, mean_ms, rate, "1210s");
        let (ws, waits): (Vec<f64>, Vec<f64>) = (1..=8)
            .map(|seed| {
                let s = run(&yaml, seed);
                assert_eq!(s.requests.dropped.total, 0);
                let wait = s.attempts_queued as f64 / s.attempts as f64;
                (s.latency_ms.unwrap().mean, wait)
            })
            .unzip();
        let a = lambda_i / mu;
        let (w, se) = mean_se(&ws);
        let theory = 1000.0 * (1.0 / mu + erlang_c(c, a) / (f64::from(c) * mu - lambda_i));
        let err = (w - theory).abs() / theory;
        eprintln!("M/M/{c} rho {rho}: W {w:.3} ms (se {se:.3}) vs Erlang C {theory:.3} ms");
        assert!(
            3.0 * se / theory <= 0.015,
            "rho {rho}: CI too wide to test ({se} around {theory})"
        );
        assert!(
            (w - theory).abs() < 3.0 * se,
            "rho {rho}: simulated {w:.3} ms vs Erlang C {theory:.3} ms ({:.2} %, tolerance {:.3} ms)",
            err * 100.0,
            3.0 * se
        );
        let (p, se) = mean_se(&waits);
        let cw = erlang_c(c, a);
        eprintln!("M/M/{c} rho {rho}: P(wait) {p:.5} (se {se:.5}) vs Erlang C {cw:.5}");
        assert!(
            3.0 * se <= 0.03 * cw,
            "rho {rho}: P(wait) CI too wide to test ({se} around {cw})"
        );
        assert!(
            (p - cw).abs() < 3.0 * se,
            "rho {rho}: P(wait) {p:.5} vs Erlang C {cw:.5} (tolerance {:.5})",
            3.0 * se
        );
    }
}

/// M/M/c/K blocking probability: with a = lambda / mu, the stationary
/// P_n = a^n / n! P_0 for n < c and a^n / (c! c^(n-c)) P_0 for c <= n <= K;
/// an arrival is refused with probability P_K (PASTA).
fn mmck_blocking(c: u32, k: u32, a: f64) -> f64 {
    // Unnormalised terms t_n = t_{n-1} a / min(n, c), t_0 = 1.
    let mut t = 1.0;
    let mut sum = 1.0;
    for n in 1..=k {
        t *= a / f64::from(n.min(c));
        sum += t;
    }
    t / sum
}

#[test]
fn mmck_formula_matches_known_values() {
    // K = c is Erlang's loss formula: c = 2, a = 1 -> B = 0.5 / 2.5.
    assert!((mmck_blocking(2, 2, 1.0) - 0.2).abs() < 1e-12);
    // M/M/1/K: P_K = (1 - rho) rho^K / (1 - rho^(K+1)).
    let (rho, k) = (0.7f64, 4);
    let expect = (1.0 - rho) * rho.powi(k) / (1.0 - rho.powi(k + 1));
    assert!((mmck_blocking(1, k as u32, rho) - expect).abs() < 1e-12);
    // rho = 1: every state equally likely.
    assert!((mmck_blocking(1, 4, 1.0) - 0.2).abs() < 1e-12);
}

/// An instance with c workers and a queue of `queue_capacity` holds at most
/// K = c + queue_capacity attempts (it refuses with `queue_full` when every
/// worker is busy and the queue is full), so with Poisson arrivals split by
/// random routing and exponential service each instance is an M/M/c/K
/// queue, stable at any load, rho >= 1 included. Without retries and with a
/// timeout no response reaches, each request is one attempt, refused on
/// arrival or served: queue_full / requests estimates P_K without bias
/// (the warm-up empties the start: at rho = 1.5 the queue fills in under
/// 1 s of the 10 s). Tolerance: 3 standard errors of the mean over the 8
/// replications, and those must be at most 5 % of P_K, so that the check
/// would see a 5 % error.
#[test]
fn queue_full_fraction_matches_m_m_c_k_blocking() {
    let (instances, c, queue, mean_ms) = (2u32, 2u32, 3u32, 10.0);
    let k = c + queue;
    let mu = 1000.0 / mean_ms;
    for rho in [0.5, 0.9, 1.5] {
        let lambda_i = rho * f64::from(c) * mu;
        let rate = lambda_i * f64::from(instances);
        let yaml = mmc_yaml(instances, c, queue, mean_ms, rate, "610s");
        let fracs: Vec<f64> = (1..=8)
            .map(|seed| {
                let s = run(&yaml, seed);
                let d = &s.requests.dropped;
                assert_eq!(d.total, d.queue_full, "only queue_full drops");
                d.queue_full as f64 / s.requests.total as f64
            })
            .collect();
        let (f, se) = mean_se(&fracs);
        let theory = mmck_blocking(c, k, lambda_i / mu);
        eprintln!("M/M/{c}/{k} rho {rho}: queue_full {f:.5} (se {se:.5}) vs P_K {theory:.5}");
        assert!(
            3.0 * se <= 0.05 * theory,
            "rho {rho}: CI too wide to test ({se} around {theory})"
        );
        assert!(
            (f - theory).abs() < 3.0 * se,
            "rho {rho}: queue_full {f:.5} vs P_K {theory:.5} (tolerance {:.5})",
            3.0 * se
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

/// Binomial(n, p) probabilities of 0..=n.
fn binomial_pmf(n: u32, p: f64) -> Vec<f64> {
    let mut pmf = Vec::new();
    let mut choose = 1.0;
    for k in 0..=n {
        if k > 0 {
            choose *= f64::from(n - k + 1) / f64::from(k);
        }
        pmf.push(choose * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32));
    }
    pmf
}

/// N independent repairable instances, each up a fraction
/// p = mtbf / (mtbf + mttr) of the time: the number up at a given time is
/// Binomial(N, p), so the fraction of time with exactly k healthy is
/// C(N, k) p^k (1 - p)^(N - k).
///
/// The load balancer sees each instance through health checks (thresholds
/// 1): its view at time t is the instance's state at the last check, on a
/// grid that does not depend on the failures, so in steady state it is
/// up with probability p, independently across instances: the grid adds
/// no bias, only noise. The run starts with every instance up; each
/// instance's state forgets its start as exp(-t / tau), with
/// tau = mtbf mttr / (mtbf + mttr), so the start shifts a time fraction by
/// at most
/// N (1 - p) tau / T. Tolerance: 3 standard errors of the mean over 8
/// replications plus that start allowance; the 3 standard errors must be
/// at most 10 % of each probability, so that the check would see a 10 %
/// error even for the rarest count (all down, 0.8 %).
#[test]
fn time_with_k_healthy_instances_is_binomial() {
    let (n, mtbf, mttr, t) = (3u32, 40.0, 10.0, 200_000.0);
    let yaml = format!(
        "azs: [a, b, c]
duration: {t}s
warmup: 0s
load_balancer:
  health_check: {{ interval: 1s, timeout: 500ms, healthy_threshold: 1, unhealthy_threshold: 1 }}
app: {{ instances_per_az: 1, boot_time: 0s, mtbf: {mtbf}s, mttr: {mttr}s }}
workload: {{ rate: 0/s }}"
    );
    let p: f64 = mtbf / (mtbf + mttr);
    let theory = binomial_pmf(n, p);
    let runs: Vec<Vec<f64>> = (1..=8)
        .map(|seed| {
            let cap = run(&yaml, seed).capacity;
            let f = cap.healthy_time_fractions;
            assert_eq!(f.len(), n as usize + 1, "counts 0..=N: {f:?}");
            assert!((f.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            assert_eq!(f[0], cap.zero_healthy_fraction);
            f
        })
        .collect();
    let tau = 1.0 / (1.0 / mtbf + 1.0 / mttr);
    let start = f64::from(n) * (1.0 - p) * tau / t;
    for (k, &pk) in theory.iter().enumerate() {
        let xs: Vec<f64> = runs.iter().map(|f| f[k]).collect();
        let (f, se) = mean_se(&xs);
        let tol = 3.0 * se + start;
        eprintln!("{k} of {n} healthy: {f:.5} (se {se:.5}) vs binomial {pk:.5}");
        assert!(
            3.0 * se <= 0.1 * pk,
            "k {k}: CI too wide ({se} around {pk})"
        );
        assert!(
            (f - pk).abs() < tol,
            "{k} healthy: {f:.5} vs binomial {pk:.5} (tolerance {tol:.5})"
        );
    }
}

/// Unavailability of a Multi-AZ primary/standby pair, and the mean time
/// between its visits to "both nodes up", as the model's failover protocol
/// makes them, with detection 0, promotion `f`, a proxy that switches at
/// once and no writes (so a standby is never out of sync).
///
/// Each node alternates exponential up (mean m) and down (mean r) times,
/// independently of its role. The service is down from the primary's
/// failure until a promotion completes (or the old primary is repaired
/// first). What the model does (src/model/database.rs):
/// - the primary fails, the standby is up: a promotion starts, and after f
///   the target becomes primary if it is up then (if it failed and came
///   back meanwhile, it still is); the old primary coming back meanwhile is
///   fenced (it becomes a standby, the promotion goes on);
/// - the target is down at the end of its promotion: the other node, if up
///   (fenced), is promoted in turn, another f; if down, the service waits;
/// - waiting with both down: the old primary's repair ends the outage at
///   once (no failover) unless it was fenced; a standby's repair starts a
///   promotion (f more).
///
/// That is a semi-Markov process on six states, whose embedded chain is
/// solved exactly: A both up; B primary up, standby down; W1 both down,
/// the primary not fenced; W2 both down, both standbys; PP promoting, the
/// other node the down primary; PS promoting, the other a down standby.
/// Over a time f one node goes up -> up with probability
/// p + q e^(-s f) and down -> down with q + p e^(-s f) (s = 1/m + 1/r,
/// p = m / (m + r), q = 1 - p), and stays down throughout with e^(-f / r).
/// Unavailable: W1, W2, PP, PS. For f = 0 this is q^2 (both down); to
/// first order in f it adds f / (m + r): promotions start at rate
/// p^2 / m + q^2 / r = p / m, each lasting f.
fn pair_unavailability(m: f64, r: f64, f: f64) -> (f64, f64) {
    let (a, b) = (1.0 / m, 1.0 / r);
    let s = a + b;
    let (p, q) = (b / s, a / s);
    let e = (-s * f).exp();
    let g = (-b * f).exp();
    let (puu, pdd) = (p + q * e, q + p * e);
    let (pud, pdu) = (1.0 - puu, 1.0 - pdd);
    const A: usize = 0;
    const B: usize = 1;
    const W1: usize = 2;
    const W2: usize = 3;
    const PP: usize = 4;
    const PS: usize = 5;
    let mut t = [[0.0f64; 6]; 6];
    t[A][B] = 0.5; // the standby fails first
    t[A][PP] = 0.5; // the primary fails first
    t[B][A] = b / s;
    t[B][W1] = a / s;
    t[W1][B] = 0.5; // the primary is repaired first: no failover
    t[W1][PP] = 0.5;
    t[W2][PS] = 1.0; // either repair starts a promotion
    for (from, fenced_other) in [(PP, false), (PS, true)] {
        t[from][A] = puu * pdu;
        t[from][B] = puu * pdd;
        t[from][PS] = pud * pdu;
        if fenced_other {
            t[from][W2] = pud * pdd;
        } else {
            t[from][W1] = pud * g;
            t[from][W2] = pud * (pdd - g);
        }
    }
    let hold = [
        1.0 / (2.0 * a),
        1.0 / s,
        1.0 / (2.0 * b),
        1.0 / (2.0 * b),
        f,
        f,
    ];
    // Stationary distribution of the embedded chain: pi (T - I) = 0 with
    // the first equation replaced by sum(pi) = 1, by Gaussian elimination.
    let mut mtx = [[0.0f64; 7]; 6];
    for (i, row) in mtx.iter_mut().enumerate() {
        for j in 0..6 {
            row[j] = t[j][i] - if i == j { 1.0 } else { 0.0 };
        }
    }
    mtx[0] = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
    for col in 0..6 {
        let piv = (col..6)
            .max_by(|&x, &y| mtx[x][col].abs().total_cmp(&mtx[y][col].abs()))
            .unwrap();
        mtx.swap(col, piv);
        for row in 0..6 {
            if row != col {
                let k = mtx[row][col] / mtx[col][col];
                let pivot = mtx[col];
                for (x, p) in mtx[row].iter_mut().zip(pivot).skip(col) {
                    *x -= k * p;
                }
            }
        }
    }
    let pi: Vec<f64> = (0..6).map(|i| mtx[i][6] / mtx[i][i]).collect();
    let time: f64 = (0..6).map(|i| pi[i] * hold[i]).sum();
    let down: f64 = [W1, W2, PP, PS].iter().map(|&i| pi[i] * hold[i]).sum();
    (down / time, time / pi[A])
}

#[test]
fn pair_formula_limits() {
    let (m, r) = (9.0, 1.0);
    let q: f64 = r / (m + r);
    // Instant failover: down only while both are.
    assert!((pair_unavailability(m, r, 0.0).0 - q * q).abs() < 1e-12);
    // First order: each promotion adds f, at rate p / m = 1 / (m + r).
    let f = 1e-4;
    let slope = (pair_unavailability(m, r, f).0 - q * q) / f;
    assert!((slope * (m + r) - 1.0).abs() < 1e-3, "{slope}");
    // Mean cycle with instant failover: the time between entries into
    // "both up" of two independent nodes, 1 / (pi_A * 2 / m) with
    // pi_A = p^2.
    let p = 1.0 - q;
    let cycle = pair_unavailability(m, r, 0.0).1;
    assert!((cycle - m / (2.0 * p * p)).abs() < 1e-9, "{cycle}");
}

/// A primary/standby pair with random failures of both nodes:
/// `database.unavailable_fraction` against [`pair_unavailability`], with
/// an instant failover (q^2, the time both nodes are down) and with a
/// promotion of 0.5 s (a twentieth of the mean up time, where the
/// first-order f / (m + r) is off by a few %: the exact solution is the
/// reference).
///
/// The model requires a detection time above 0: 1 us, counted in f. A
/// detection differs from a promotion only in what a failure or repair
/// during it does; such an event has probability under 2 D / r per
/// failover and changes that outage by about a repair and a promotion
/// (r + f), and the D itself is at most D per failover: with failovers at
/// rate at most 1 / (m + r), an allowance of
/// D (1 + 2 (r + f) / r) / (m + r), under 1e-6.
///
/// The run starts with both nodes up, a renewal point of the process, so
/// the only bias is the cycle cut by the end of the run: at most a cycle
/// straddling the end, about twice the mean cycle C for exponential-like
/// cycles, over the run's length T: 2 C / T. Tolerance: 3 standard errors
/// of the mean over 8 replications plus those two allowances; the 3
/// standard errors must be at most 3 % of the unavailability.
#[test]
fn primary_standby_pair_unavailability_matches_its_semi_markov_model() {
    let (m, r, t, d) = (9.0, 1.0, 250_000.0, 1e-6);
    for promotion in [0.0, 0.5] {
        let f = d + promotion;
        let yaml = format!(
            "azs: [a, b]
duration: {t}s
warmup: 0s
app: {{ instances_per_az: 1 }}
database: {{ mode: multi_az, endpoint: proxy, proxy_switch: 0s, detection: 1us,
            promotion: {promotion}s, mtbf: {m}s, mttr: {r}s }}
workload: {{ rate: 0/s }}"
        );
        let us: Vec<f64> = (1..=8)
            .map(|seed| run(&yaml, seed).database.unwrap().unavailable_fraction)
            .collect();
        let (u, se) = mean_se(&us);
        let (theory, cycle) = pair_unavailability(m, r, f);
        let q = r / (m + r);
        let first_order = q * q + f / (m + r);
        let detection = d * (1.0 + 2.0 * (r + f) / r) / (m + r);
        let tol = 3.0 * se + 2.0 * cycle / t + detection;
        eprintln!(
            "pair, promotion {promotion} s: unavailable {u:.5} (se {se:.5}) vs {theory:.5} \
             (first order {first_order:.5}, cycle {cycle:.1} s)"
        );
        assert!(
            3.0 * se <= 0.03 * theory,
            "CI too wide ({se} around {theory})"
        );
        assert!(
            (u - theory).abs() < tol,
            "promotion {promotion} s: unavailable {u:.5} vs {theory:.5} (tolerance {tol:.5})"
        );
    }
}

/// P(X < x) for X ~ Binomial(n, p).
fn binomial_below(n: u32, p: f64, x: u32) -> f64 {
    binomial_pmf(n, p)[..x as usize].iter().sum()
}

/// The batch-means interval of the mean latency in summary.json covers the
/// M/M/c mean response time at the nominal rate.
///
/// M/M/2 per instance at rho = 0.6, 40 seeds, 20 batches of 25 s. A
/// response time's correlation with later ones fades in about
/// 1 / (c mu (1 - sqrt(rho))^2) = 0.1 s, 1/250 of a batch, so batch means
/// are nearly independent (batch means under-cover when batches are
/// correlated; here that costs well under a point) and, over some 6000
/// requests each, close to normal. Allowing one point of under-coverage,
/// a correct interval covers with probability at least 0.94; it fails the
/// check if fewer than x seeds cover, where x is the largest count with
/// P(Binomial(40, 0.94) < x) <= 0.001.
///
/// Coverage alone passes an interval that is too wide, so the spread of
/// the 40 estimates must agree with the intervals' own standard errors:
/// the ratio of the estimates' sample variance (39 degrees of freedom) to
/// the mean squared standard error (40 x 19) is F(39, 760) distributed,
/// and must lie within its 0.05 % and 99.95 % quantiles. The batches'
/// lag-1 autocorrelation averages about -1/B for independent batches, with
/// a standard deviation of about 1/sqrt(B) per run: the mean of 40 must
/// lie within 3/sqrt(40 B) of -1/B.
#[test]
fn batch_means_intervals_cover_the_m_m_c_mean_response_time() {
    use statrs::distribution::{ContinuousCDF, FisherSnedecor};
    let (instances, c, mean_ms, rho, seeds) = (2u32, 2u32, 10.0, 0.6, 40u32);
    let mu = 1000.0 / mean_ms;
    let lambda_i = rho * f64::from(c) * mu;
    let rate = lambda_i * f64::from(instances);
    let yaml = mmc_yaml(instances, c, 100_000, mean_ms, rate, "510s");
    let a = lambda_i / mu;
    let theory = 1000.0 * (1.0 / mu + erlang_c(c, a) / (f64::from(c) * mu - lambda_i));
    let (mut covered, mut est, mut se2, mut lag1) = (0u32, Vec::new(), Vec::new(), Vec::new());
    for seed in 1..=seeds {
        let s = run(&yaml, u64::from(seed));
        let ci = s.confidence.expect("a measured period");
        assert_eq!((ci.method, ci.batches, ci.level), ("batch_means", 20, 0.95));
        let b = ci.batches;
        let l = ci.latency_mean_ms.expect("requests succeeded");
        // The point estimates are the summary's own figures.
        let mean = s.latency_ms.unwrap().mean;
        assert!((l.estimate - mean).abs() < 1e-9 * mean);
        assert_eq!(ci.availability.map(|a| (a.low, a.high)), Some((1.0, 1.0)));
        let rps = s.requests.succeeded as f64 / 500.0;
        assert!((ci.throughput_rps.estimate - rps).abs() < 1e-9 * rps);
        covered += u32::from(l.low <= theory && theory <= l.high);
        est.push(l.estimate);
        let half = (l.high - l.low) / 2.0;
        se2.push((half / failover_sim::metrics::t_quantile(b - 1, 0.95)).powi(2));
        lag1.push(l.lag1_autocorrelation.unwrap());
    }
    let x = (0..=seeds)
        .rev()
        .find(|&x| binomial_below(seeds, 0.94, x) <= 0.001)
        .unwrap();
    eprintln!("batch means: {covered} of {seeds} intervals cover {theory:.3} ms (need {x})");
    assert!(covered >= x, "{covered} of {seeds} cover, fewer than {x}");
    let (_, se) = mean_se(&est);
    let var_across = se * se * f64::from(seeds);
    let mean_se2 = se2.iter().sum::<f64>() / se2.len() as f64;
    let ratio = var_across / mean_se2;
    let b = 20.0;
    let f = FisherSnedecor::new(f64::from(seeds - 1), f64::from(seeds) * (b - 1.0)).unwrap();
    let (lo, hi) = (f.inverse_cdf(0.0005), f.inverse_cdf(0.9995));
    eprintln!("batch means: spread / stated variance {ratio:.3} (F bounds {lo:.3} .. {hi:.3})");
    assert!(lo < ratio && ratio < hi, "{ratio} outside {lo} .. {hi}");
    let mean_lag1 = lag1.iter().sum::<f64>() / lag1.len() as f64;
    let tol = 3.0 / (f64::from(seeds) * b).sqrt();
    eprintln!("batch means: mean lag-1 autocorrelation {mean_lag1:.3} (expect -0.05 +- {tol:.3})");
    assert!(
        (mean_lag1 + 1.0 / b).abs() < tol,
        "lag-1 autocorrelation {mean_lag1} vs {}",
        -1.0 / b
    );
}
