//! The two app-tier lessons, run through `sim compare` as the README shows
//! them: a cold standby fails over later than a warm one and costs less;
//! a load balancer without health checks keeps feeding broken instances.

use std::path::PathBuf;

use assert_cmd::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `sim compare FILE --seeds N` and returns runs.csv's rows as maps.
fn compare(file: &str, seeds: u32) -> Vec<std::collections::HashMap<String, String>> {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c");
    let o = Command::cargo_bin("sim")
        .unwrap()
        .current_dir(repo())
        .args(["compare", file, "--seeds", &seeds.to_string(), "-q"])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|row| {
            let row = row.unwrap();
            h.iter()
                .zip(row.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn num(row: &std::collections::HashMap<String, String>, name: &str) -> f64 {
    row[name]
        .parse()
        .unwrap_or_else(|_| panic!("{name} = {:?}", row[name]))
}

/// active-active-vs-passive's third variant: the cold standby in b is
/// started a minute after AZ a lost its last healthy target and boots for a
/// minute, so it drops more and recovers later than the warm standby, on
/// every seed; it pays for b's three instances only from their start.
#[test]
fn a_cold_standby_fails_over_later_than_a_warm_one_and_costs_less() {
    const SEEDS: usize = 4;
    let rows = compare("scenarios/active-active-vs-passive.yaml", SEEDS as u32);
    assert_eq!(rows.len(), 3 * SEEDS);
    for k in 0..SEEDS {
        let (warm, cold) = (&rows[SEEDS + k], &rows[2 * SEEDS + k]);
        assert_eq!(
            (warm["design"].as_str(), cold["design"].as_str()),
            ("active-passive", "cold-standby")
        );
        assert_eq!(warm["seed"], cold["seed"]);
        // Two more minutes with no serving target (start delay + boot),
        // at 600/s: tens of thousands more dropped requests.
        assert!(
            num(cold, "dropped") > num(warm, "dropped") + 20_000.0,
            "seed {}: {} vs {}",
            cold["seed"],
            cold["dropped"],
            warm["dropped"]
        );
        assert!(num(cold, "availability") < num(warm, "availability"));
        // Both recover; the cold one at least the start delay and boot
        // (2 min) later.
        assert!(num(cold, "failover_latency_s") > num(warm, "failover_latency_s") + 120.0);
        // a's three for 20 min, b's three from their start, 60 s after the
        // trigger. Each of a's targets is marked unhealthy 15-25 s after
        // the outage at 5 min (its check phase, 0-10 s, then two failed
        // checks 10 s apart, each 5 s to time out); the trigger is the
        // last of them. So b is paid for 20 - 6.25 .. 20 - 6.42 minutes.
        let hours = num(cold, "instance_hours");
        let (lo, hi) = (
            3.0 * 20.0 / 60.0 + 3.0 * (20.0 - 6.42) / 60.0,
            3.0 * 20.0 / 60.0 + 3.0 * (20.0 - 6.25) / 60.0,
        );
        assert!(hours > lo && hours < hi, "{hours} not in ({lo}, {hi})");
        assert!(hours < num(warm, "instance_hours"));
        assert!(num(cold, "idle_standby_hours") < num(warm, "idle_standby_hours"));
    }
}

/// failover-vs-load-balancing: without health checks the hung and the
/// crashed instance keep their share of the attempts for their whole
/// fault; with them they leave rotation in under a minute. Health-check
/// failover wins availability and dropped requests on every seed, by far.
#[test]
fn health_check_failover_beats_load_balancing_only_on_every_seed() {
    const SEEDS: usize = 4;
    let rows = compare("scenarios/failover-vs-load-balancing.yaml", SEEDS as u32);
    assert_eq!(rows.len(), 2 * SEEDS);
    for k in 0..SEEDS {
        let (lb, hc) = (&rows[k], &rows[SEEDS + k]);
        assert_eq!(
            (lb["design"].as_str(), hc["design"].as_str()),
            ("load-balancing-only", "health-check-failover")
        );
        assert_eq!(lb["seed"], hc["seed"]);
        // Without checks: from 10 to 20 min two targets in six are broken,
        // and a request fails when its three attempts all land on them:
        // (1/3)^3 = 3.7% of 10 minutes at 600/s is about 13,000 requests;
        // (1/6)^3 = 0.46% of the other 10 minutes of the hang adds 1,700.
        let dropped = num(lb, "dropped");
        assert!(dropped > 10_000.0, "seed {}: {dropped}", lb["seed"]);
        assert!(num(lb, "availability") < 99.0);
        // With checks, only what the first minute of each fault costs.
        assert!(num(hc, "dropped") * 10.0 < dropped, "{}", hc["dropped"]);
        assert!(num(hc, "availability") > 99.9);
        assert!(num(hc, "p99_ms") < num(lb, "p99_ms"));
    }
}
