//! The data tier against what its parameters predict: a proxy saves the DNS
//! term of a failover, async replication loses write rate x lag, two
//! writers conflict as often as their lag and key space say, and the
//! shipped data-tier scenarios teach what their descriptions say.

use std::path::Path;

use failover_sim::engine::as_secs_f64;
use failover_sim::metrics::{NullSink, VecSink};
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

/// Two writers take Poisson writes at rate Λ/2 each (requests spread at
/// random over the app instances of two AZs, one write per request), each
/// write on one of K keys uniformly, replicated after a constant lag L.
/// Looking back from a write at t, the writes to its key form a Poisson
/// process of rate Λ/K, so the latest one is Exp(Λ/K) old, and it came
/// from the other writer with probability 1/2. The write conflicts when
/// both hold and that age is under L:
///   P(conflict) = 1/2 (1 - exp(-Λ L / K)).
/// (The approximation 1 - exp(-λ_other L / K) is the small-x limit; at
/// Λ L / K = 1 it says 0.39 where the truth is 0.32, which this test tells
/// apart.) Successive indicators of one key are XORs of independent fair
/// coins, hence pairwise independent: the count over n writes has the
/// binomial variance, standard error sqrt(p (1 - p) / n). 4 of them.
#[test]
fn two_writers_conflict_as_their_lag_and_key_space_predict() {
    for (keys, seed) in [(100u32, 1u64), (1000, 2)] {
        let yaml = format!(
            "
seed: {seed}
duration: 70s
azs: [a, b]
network: {{ latency: 500us }}
load_balancer: {{ algorithm: random }}
app: {{ instances_per_az: 3, workers: 16, service_time: {{ dist: exponential, mean: 5ms }} }}
workload: {{ rate: 1000/s, queries: 1, write_fraction: 100%, timeout: 2s, retries: 0 }}
database:
  mode: multi_writer
  keys: {keys}
  replication_lag: {{ dist: constant, value: 100ms }}
"
        );
        let s = load_str(&yaml, "keys.yaml", "keys", &[]).unwrap_or_else(|e| panic!("{e}"));
        let rows = VecSink::default();
        let out = simulate(&s, Box::new(VecSink(rows.0.clone())), None);
        assert_eq!(out.metrics.counts.dropped.iter().sum::<u64>(), 0);
        // From 10 s on: the key table is long past its empty start.
        let (mut writes, mut conflicts) = (0u64, 0u64);
        for row in rows.0.borrow().iter() {
            if as_secs_f64(row.start) >= 10.0 {
                writes += row.tier.db_writes;
                conflicts += row.tier.db_write_conflicts;
            }
        }
        let x = s.workload.rate * 0.1 / f64::from(keys);
        let p = 0.5 * (1.0 - (-x).exp());
        let n = writes as f64;
        let se = (p * (1.0 - p) / n).sqrt();
        let got = conflicts as f64 / n;
        assert!(
            (got - p).abs() < 4.0 * se,
            "keys {keys}: conflict fraction {got} vs {p} (se {se}, {writes} writes)"
        );
    }
}

/// `sim compare` on the shipped scenario shows the trade its description
/// promises, on every seed: the multi-writer design stays more available
/// and recovers sooner, but loses acknowledged writes and has write
/// conflicts, while the single primary pays for an idle standby.
#[test]
fn sim_compare_shows_the_data_tier_active_active_trade() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("study");
    let o = assert_cmd::Command::cargo_bin("sim")
        .unwrap()
        .args(["compare", "scenarios/data-tier-active-active.yaml"])
        .args(["--seeds", "4", "-j", "1", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The table's verdicts (95% paired intervals over the 4 seeds).
    let winner = |metric: &str| {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{metric} (")))
            .unwrap_or_else(|| panic!("no {metric} line in\n{stdout}"));
        line.split_whitespace().last().unwrap().to_string()
    };
    for (metric, best) in [
        ("availability", "multi-writer"),
        ("failover_latency_s", "multi-writer"),
        ("lost_writes", "single-primary"),
        ("write_conflicts", "single-primary"),
        ("db_idle_standby_hours", "multi-writer"),
    ] {
        assert_eq!(winner(metric), best, "{metric}\n{stdout}");
    }
    // And seed by seed, from runs.csv.
    let mut r = csv::Reader::from_path(out.join("runs.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let num = |row: &csv::StringRecord, name: &str| row[col(name)].parse::<f64>().unwrap();
    let by = |design: &str| -> Vec<&csv::StringRecord> {
        rows.iter()
            .filter(|r| &r[col("design")] == design)
            .collect()
    };
    let (single, multi) = (by("single-primary"), by("multi-writer"));
    assert_eq!((single.len(), multi.len()), (4, 4));
    for (s, m) in single.iter().zip(&multi) {
        assert_eq!(s[col("seed")], m[col("seed")]);
        assert!(num(m, "availability") > num(s, "availability"));
        assert!(num(m, "failover_latency_s") < num(s, "failover_latency_s"));
        assert_eq!(num(s, "lost_writes"), 0.0, "synchronous standby");
        assert!(num(m, "lost_writes") > 0.0);
        assert_eq!(num(s, "write_conflicts"), 0.0);
        assert!(num(m, "write_conflicts") > 0.0);
        // Both pay for two database nodes; only the standby idles.
        assert_eq!(num(s, "db_node_hours"), num(m, "db_node_hours"));
        assert!(num(s, "db_idle_standby_hours") > 0.0);
        assert_eq!(num(m, "db_idle_standby_hours"), 0.0);
    }
}
