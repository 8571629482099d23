//! The data tier against what its parameters predict: a proxy saves the DNS
//! term of a failover, async replication loses write rate x lag, and the
//! shipped data-tier scenarios teach what their descriptions say.

use std::path::Path;

use failover_sim::engine::as_secs_f64;
use failover_sim::metrics::NullSink;
use failover_sim::model::simulate;
use failover_sim::report::Summary;
use failover_sim::scenario::{Database, Scenario, load_file, load_str};

fn run(s: &Scenario) -> Summary {
    Summary::new(s, &simulate(s, Box::new(NullSink), None))
}

fn load(file: &str, set: &[String]) -> Scenario {
    load_file(Path::new(file), set).unwrap_or_else(|e| panic!("{e}"))
}

fn db(s: &Scenario) -> &Database {
    s.database.as_ref().expect("a database")
}

/// With a DNS endpoint, after the promotion at P each of the n app
/// instances keeps the old address until its cached record expires, at
/// P + U_i x TTL with U_i uniform on [0, 1], then reconnects (r): the last
/// one is back at P + max_i(U_i) TTL + r. A proxy moves every instance at
/// P + s. Detection and promotion are the same, so
///   outage_dns - outage_proxy = max_i(U_i) TTL + r - s,
/// within [r - s, TTL + r - s], with mean TTL n/(n+1) + r - s because
/// E[max of n uniforms] = n/(n+1) (sd of the max: sqrt(n/((n+1)^2 (n+2)))).
#[test]
fn a_proxy_saves_the_dns_ttl_and_reconnect_of_a_failover() {
    let seeds = 20u64;
    let mut sum_max_u = 0.0;
    let mut n = 0.0;
    for seed in 1..=seeds {
        let set = vec![format!("seed={seed}"), "duration=8m".to_string()];
        let dns_s = load("scenarios/db-failover.yaml", &set);
        let proxy_s = load("scenarios/db-failover-proxy.yaml", &set);
        let (d, p) = (db(&dns_s), db(&proxy_s));
        assert_eq!((d.detection, d.promotion), (p.detection, p.promotion));
        let ttl = as_secs_f64(d.dns_ttl);
        let r = as_secs_f64(d.reconnect_time);
        let sw = as_secs_f64(p.proxy_switch);
        n = dns_s.instance_count() as f64;

        let dns = run(&dns_s);
        let proxy = run(&proxy_s);
        let fd = &dns.database.as_ref().unwrap().failovers[0];
        let fp = &proxy.database.as_ref().unwrap().failovers[0];
        assert_eq!(fd.promoted_s, fp.promoted_s, "seed {seed}");
        let saved = fd.write_outage_s.unwrap() - fp.write_outage_s.unwrap();
        assert!(
            saved >= r - sw - 1e-9 && saved <= ttl + r - sw + 1e-9,
            "seed {seed}: saved {saved} s outside [r - s, TTL + r - s]"
        );
        sum_max_u += (saved - r + sw) / ttl;
        // The service (success ratio) recovers sooner through the proxy.
        let (ld, lp) = (
            dns.faults[0].failover_latency_s.unwrap(),
            proxy.faults[0].failover_latency_s.unwrap(),
        );
        assert!(lp < ld, "seed {seed}: proxy {lp} s, dns {ld} s");
        assert!(proxy.faults[0].dropped < dns.faults[0].dropped);
    }
    let mean = sum_max_u / seeds as f64;
    let expected = n / (n + 1.0);
    let sd = (n / ((n + 1.0).powi(2) * (n + 2.0))).sqrt() / (seeds as f64).sqrt();
    // 4 standard deviations of the mean over the seeds.
    assert!(
        (mean - expected).abs() < 4.0 * sd,
        "mean max U {mean} vs n/(n+1) = {expected} (sd {sd})"
    );
}

/// Writes are acknowledged in batches (one database call carries the W
/// writes of a request, W ~ Binomial(q, f)) at the call rate lambda, and
/// each batch reaches the standby one lag later. The writes in transit at a
/// fixed time form a compound Poisson count (M/G/inf): mean
/// lambda E[W] E[lag], variance lambda E[W^2] E[lag]. A failover loses
/// exactly those.
#[test]
fn async_replication_loses_write_rate_times_lag_and_sync_loses_none() {
    let base = "
duration: 65s
azs: [a, b, c]
app: { instances_per_az: 2, workers: 16, service_time: { dist: exponential, mean: 5ms } }
workload: { rate: 1000/s, queries: 2, write_fraction: 25%, timeout: 2s }
database: { mode: multi_az, endpoint: proxy, detection: 1s, promotion: 1s, replication: async }
faults: [{ at: 60s, kind: db_primary_failure }]
";
    let seeds = 30u64;
    let mut means = Vec::new();
    for lag_ms in [100u64, 400] {
        let mut total = 0u64;
        let mut expected = 0.0;
        let mut var = 0.0;
        for seed in 1..=seeds {
            let set = vec![
                format!("seed={seed}"),
                format!("database.replication_lag={{dist: exponential, mean: {lag_ms}ms}}"),
            ];
            let s = load_str(base, "lag.yaml", "lag", &set).unwrap_or_else(|e| panic!("{e}"));
            let w = &s.workload;
            let (q, f) = (f64::from(w.queries), w.write_fraction);
            let lag = lag_ms as f64 / 1000.0;
            let e_w = q * f;
            let e_w2 = q * f * (1.0 - f) + e_w * e_w;
            expected = w.rate * e_w * lag;
            var = w.rate * e_w2 * lag;
            let sum = run(&s);
            let d = sum.database.unwrap();
            assert_eq!(d.failovers.len(), 1);
            total += d.lost_writes;
        }
        let mean = total as f64 / seeds as f64;
        let sd = (var / seeds as f64).sqrt();
        assert!(
            (mean - expected).abs() < 4.0 * sd,
            "lag {lag_ms} ms: mean lost {mean} vs {expected} (sd of mean {sd})"
        );
        means.push(mean);
    }
    // Four times the lag, four times the loss.
    let ratio = means[1] / means[0];
    assert!((ratio - 4.0).abs() < 0.6, "ratio {ratio}");

    for seed in 1..=5u64 {
        let set = vec![format!("seed={seed}"), "database.replication=sync".into()];
        let s = load_str(base, "sync.yaml", "sync", &set).unwrap();
        let d = run(&s).database.unwrap();
        assert_eq!((d.failovers.len(), d.lost_writes), (1, 0));
    }
}

#[test]
fn single_mode_outage_ends_only_with_repair_while_multi_az_fails_over() {
    let set = |mode: &str| {
        vec![
            format!("database.mode={mode}"),
            "faults[0].duration=4m".to_string(),
            "duration=12m".to_string(),
        ]
    };
    let single = load("scenarios/db-failover-proxy.yaml", &set("single"));
    let sum = run(&single);
    let f = &sum.database.as_ref().unwrap().failovers[0];
    assert_eq!(f.promoted_s, None);
    assert_eq!(f.repaired_s, Some(300.0 + 240.0));
    assert!(sum.faults[0].recovered_s.unwrap() >= 540.0);

    let multi = load("scenarios/db-failover-proxy.yaml", &set("multi_az"));
    let sum = run(&multi);
    let f = &sum.database.as_ref().unwrap().failovers[0];
    assert!(f.promoted_s.is_some() && f.repaired_s.is_none());
    assert!(sum.faults[0].recovered_s.unwrap() < 540.0);
}

#[test]
fn session_designs_lose_what_their_scenario_says() {
    let run_design = |design: &str| {
        let s = load(
            "scenarios/session-store.yaml",
            &[format!("app.sessions={design}")],
        );
        (run(&s), s.workload.users)
    };
    let (ext, _) = run_design("external");
    assert_eq!(ext.sessions_lost, 0);
    assert!(ext.requests.dropped.session_store_unavailable > 0);
    assert_eq!(ext.session_store.as_ref().unwrap().failovers, 1);
    let (jwt, _) = run_design("jwt");
    assert_eq!(jwt.sessions_lost, 0);
    assert_eq!(jwt.requests.dropped.session_store_unavailable, 0);
    // Sticky: a-1 holds the sessions of about 1/6 of the users, each user
    // landing there with probability 1/6: binomial sd sqrt(users 1/6 5/6).
    let (sticky, users) = run_design("sticky");
    let expected = f64::from(users) / 6.0;
    let sd = (f64::from(users) * (1.0 / 6.0) * (5.0 / 6.0)).sqrt();
    let lost = sticky.sessions_lost as f64;
    assert!((lost - expected).abs() < 4.0 * sd, "{lost} vs {expected}");
    assert!(sticky.requests.dropped.session_lost > 0);
}

#[test]
fn the_cache_failure_scenario_shows_a_miss_storm_on_the_database() {
    let s = load("scenarios/cache-failure.yaml", &[]);
    let sum = run(&s);
    let c = sum.cache.as_ref().unwrap();
    // Reads missed while the cache was down, and while it warmed up again.
    assert!(c.hit_ratio.unwrap() < c.configured_hit_ratio - 0.1, "{c:?}");
    // The database, not the web tier's health, is what broke.
    assert_eq!(sum.capacity.min_healthy, 6);
    assert!(sum.requests.dropped.total > 1000);
    assert_eq!(sum.faults[0].verdict, "recovered");
}
