//! The scenario loader through its public API: typed values, AWS defaults,
//! and every kind of user error placed at its line, column and key.

use std::io::Write;

use failover_sim::scenario::{
    Algorithm, App, Arrival, Backoff, Cache, CircuitBreaker, Database, DbMode, Dns, Endpoint,
    Fault, FaultKind, HealthCheck, Jitter, KvStore, LatencyTarget, LoadBalancer, MetricsConfig,
    Network, RandomFailures, RatePattern, RateStep, Reads, Region, Replication, RetryBudget,
    Scenario, ScenarioError, ServiceTime, Sessions, StandbyMode, Workload, load_file, load_str,
};

const MS: u64 = 1_000_000;
const S: u64 = 1_000 * MS;
const MIN: u64 = 60 * S;

fn load(yaml: &str) -> Result<Scenario, ScenarioError> {
    load_str(yaml, "scenarios/t.yaml", "t", &[])
}

fn load_with(yaml: &str, sets: &[&str]) -> Result<Scenario, ScenarioError> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_str(yaml, "scenarios/t.yaml", "t", &sets)
}

fn fails(yaml: &str) -> ScenarioError {
    load(yaml).expect_err("the scenario should be rejected")
}

fn fails_with(yaml: &str, sets: &[&str]) -> ScenarioError {
    load_with(yaml, sets).expect_err("the scenario should be rejected")
}

/// Asserts the whole location of a file error and a fragment of its message.
#[track_caller]
fn assert_at(e: &ScenarioError, line: usize, column: usize, key: &str, fragment: &str) {
    assert_eq!(e.origin, "scenarios/t.yaml", "{e}");
    assert_eq!((e.line, e.column), (Some(line), Some(column)), "{e}");
    assert_eq!(e.key.as_deref(), Some(key), "{e}");
    assert!(
        e.message.contains(fragment),
        "message lacks {fragment:?}: {e}"
    );
}

/// Asserts an error is blamed on a `--set`, not on the file.
#[track_caller]
fn assert_on_set(e: &ScenarioError, set: &str, key: Option<&str>, fragment: &str) {
    assert_eq!(e.origin, format!("--set {set}"), "{e}");
    assert_eq!((e.line, e.column), (None, None), "{e}");
    assert_eq!(e.key.as_deref(), key, "{e}");
    assert!(
        e.message.contains(fragment),
        "message lacks {fragment:?}: {e}"
    );
}

const FULL: &str = "\
name: az-outage
description: Three AZs behind an ALB; AZ a loses power.
seed: 42
duration: 45m
warmup: 2m
azs: [a, b, c]
network: { latency: 250us }
load_balancer:
  algorithm: least_outstanding
  cross_zone: false
  fail_open: false
  health_check: { interval: 10s, timeout: 5s, healthy_threshold: 3, unhealthy_threshold: 4 }
  deregistration_delay: 30s
  dns_ttl: 5s
app:
  instances_per_az: 3
  workers: 16
  queue_capacity: 0
  service_time: { dist: lognormal, mean: 20ms, p99: 120ms }
  boot_time: 1.5m
  mtbf: 30d
  mttr: 10m
workload:
  rate: 60000/m
  arrival: constant
  timeout: 1500ms
  retries: 2
  retry_backoff: 50ms
  connect_timeout: 0.5s
faults:
  - { at: 10m, kind: az_outage, az: a, duration: 20m }
  - { at: 5m, kind: instance_crash, instance: b-3 }
  - { at: 5m, kind: instance_hang, instance: c-1, duration: 1m }
  - { at: 6m, kind: latency, az: b, extra: 200ms, duration: 2m }
  - { at: 0, kind: latency, instance: a-2, extra: 1s }
metrics: { bucket: 500ms, window: 10s, threshold: 99.9% }
";

#[test]
fn full_file_maps_to_typed_values() {
    let s = load(FULL).unwrap();
    assert!(
        (s.metrics.threshold - 0.999).abs() < 1e-12,
        "{}",
        s.metrics.threshold
    );
    let expected = Scenario {
        name: "az-outage".into(),
        description: "Three AZs behind an ALB; AZ a loses power.".into(),
        lesson: String::new(),
        korean: Default::default(),
        seed: 42,
        duration: 45 * MIN,
        warmup: 2 * MIN,
        azs: vec!["a".into(), "b".into(), "c".into()],
        network: Network { latency: 250_000 },
        load_balancer: LoadBalancer {
            algorithm: Algorithm::LeastOutstanding,
            cross_zone: false,
            standby_azs: vec![],
            standby_mode: StandbyMode::Warm,
            fail_open: false,
            health_check: Some(HealthCheck {
                interval: 10 * S,
                timeout: 5 * S,
                healthy_threshold: 3,
                unhealthy_threshold: 4,
            }),
            deregistration_delay: 30 * S,
            dns_ttl: 5 * S,
            max_outstanding: None,
        },
        app: App {
            instances_per_az: 3,
            workers: 16,
            queue_capacity: 0,
            service_time: ServiceTime::LogNormal {
                mean: 20 * MS,
                p99: 120 * MS,
            },
            boot_time: 90 * S,
            failures: Some(RandomFailures {
                mtbf: 30 * 24 * 60 * MIN,
                mttr: 10 * MIN,
            }),
            sessions: Sessions::Jwt,
        },
        workload: Workload {
            rate: 1000.0,
            arrival: Arrival::Constant,
            timeout: 1500 * MS,
            retries: 2,
            retry_backoff: 50 * MS,
            connect_timeout: 500 * MS,
            queries: 1,
            write_fraction: 0.2,
            users: 10_000,
            pattern: RatePattern::Constant,
            backoff: Backoff::Constant,
            jitter: Jitter::None,
            retry_budget: None,
            circuit_breaker: None,
        },
        faults: vec![
            Fault {
                at: 10 * MIN,
                duration: Some(20 * MIN),
                kind: FaultKind::AzOutage { az: 0 },
            },
            // b-3 with 3 instances per AZ: AZ 1, third instance -> 1 * 3 + 2.
            Fault {
                at: 5 * MIN,
                duration: None,
                kind: FaultKind::InstanceCrash { instance: 5 },
            },
            Fault {
                at: 5 * MIN,
                duration: Some(MIN),
                kind: FaultKind::InstanceHang { instance: 6 },
            },
            Fault {
                at: 6 * MIN,
                duration: Some(2 * MIN),
                kind: FaultKind::Latency {
                    target: LatencyTarget::Az(1),
                    extra: 200 * MS,
                },
            },
            Fault {
                at: 0,
                duration: None,
                kind: FaultKind::Latency {
                    target: LatencyTarget::Instance(1),
                    extra: S,
                },
            },
        ],
        metrics: MetricsConfig {
            bucket: 500 * MS,
            window: 10 * S,
            threshold: s.metrics.threshold,
        },
        database: None,
        cache: None,
        session_store: None,
        autoscaling: None,
        fleet: vec![3, 3, 3],
        monitoring: failover_sim::scenario::Monitoring::default(),
        regions: Vec::new(),
        dns: None,
    };
    assert_eq!(s, expected);
}

#[test]
fn a_file_with_only_a_name_gets_the_documented_defaults() {
    let s = load("name: minimal\n").unwrap();
    assert_eq!(s.description, "");
    assert_eq!(s.seed, 1);
    assert_eq!(s.duration, 10 * MIN);
    assert_eq!(s.warmup, 0);
    assert_eq!(s.azs, ["a", "b", "c"]);
    assert_eq!(s.network.latency, 500_000);
    // ALB: round robin, cross-zone on, fail-open, health checks 30 s / 5 s / 5 / 2.
    let lb = &s.load_balancer;
    assert_eq!(lb.algorithm, Algorithm::RoundRobin);
    assert!(lb.cross_zone);
    assert!(lb.fail_open);
    assert_eq!(
        lb.health_check,
        Some(HealthCheck {
            interval: 30 * S,
            timeout: 5 * S,
            healthy_threshold: 5,
            unhealthy_threshold: 2
        })
    );
    assert_eq!(lb.standby_mode, StandbyMode::Warm);
    assert_eq!(lb.deregistration_delay, 300 * S);
    assert_eq!(lb.dns_ttl, 60 * S);
    assert_eq!(
        s.app,
        App {
            instances_per_az: 2,
            workers: 8,
            queue_capacity: 100,
            service_time: ServiceTime::LogNormal {
                mean: 20 * MS,
                p99: 120 * MS
            },
            boot_time: 60 * S,
            failures: None,
            sessions: Sessions::Jwt,
        }
    );
    assert_eq!(
        s.workload,
        Workload {
            rate: 100.0,
            arrival: Arrival::Poisson,
            timeout: 2 * S,
            retries: 0,
            retry_backoff: 100 * MS,
            connect_timeout: S,
            queries: 1,
            write_fraction: 0.2,
            users: 10_000,
            pattern: RatePattern::Constant,
            backoff: Backoff::Constant,
            jitter: Jitter::None,
            retry_budget: None,
            circuit_breaker: None,
        }
    );
    // No data tier unless the file asks for one.
    assert_eq!(
        (&s.database, &s.cache, &s.session_store),
        (&None, &None, &None)
    );
    assert!(s.faults.is_empty());
    assert_eq!(
        s.metrics,
        MetricsConfig {
            bucket: S,
            window: 5 * S,
            threshold: 0.99
        }
    );
}

#[test]
fn other_service_time_distributions_and_rate_spellings() {
    let s =
        load("app: { service_time: { dist: exponential, mean: 15ms } }\nworkload: { rate: 250 }\n")
            .unwrap();
    assert_eq!(
        s.app.service_time,
        ServiceTime::Exponential { mean: 15 * MS }
    );
    assert_eq!(s.workload.rate, 250.0);
    let s =
        load("app: { service_time: { dist: constant, value: 0 } }\nworkload: { rate: 7200/h }\n")
            .unwrap();
    assert_eq!(s.app.service_time, ServiceTime::Constant { value: 0 });
    assert_eq!(s.workload.rate, 2.0);
    let s = load("metrics: { threshold: 0.95 }\nnetwork: { latency: 0 }\n").unwrap();
    assert_eq!(s.metrics.threshold, 0.95);
    assert_eq!(s.network.latency, 0);
}

#[test]
fn instance_names_split_at_the_last_dash_so_az_names_may_contain_dashes() {
    let s = load(
        "azs: [us-east-1a, us-east-1b]\napp: { instances_per_az: 4 }\n\
         faults: [{ at: 1m, kind: instance_crash, instance: us-east-1b-2 }]\n",
    )
    .unwrap();
    assert_eq!(s.faults[0].kind, FaultKind::InstanceCrash { instance: 5 });
    assert_eq!(s.instance_name(5), "us-east-1b-2");
}

#[test]
fn name_defaults_to_the_file_stem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zone-drill.yaml");
    std::fs::write(&path, "seed: 3\n").unwrap();
    let s = load_file(&path, &[]).unwrap();
    assert_eq!((s.name.as_str(), s.seed), ("zone-drill", 3));
}

#[test]
fn file_stem_that_is_not_a_valid_name_asks_for_a_name_key() {
    let e = load_str("seed: 3\n", "my drill.yaml", "my drill", &[]).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("name"));
    assert!(e.message.contains("add a `name:` key"), "{e}");
}

#[test]
fn missing_file_names_the_path_and_the_os_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.yaml");
    let e = load_file(&path, &[]).unwrap_err();
    assert_eq!(e.origin, path.display().to_string());
    assert_eq!((e.line, e.key.as_deref()), (None, None));
    let os = std::io::Error::from(std::io::ErrorKind::NotFound).to_string();
    assert!(e.message.contains("cannot read the scenario file"), "{e}");
    assert!(
        e.to_string().contains("os error 2") || e.message.contains(&os),
        "{e}"
    );
}

#[test]
fn non_utf8_file_is_reported_at_the_bad_byte() {
    let mut f = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    f.write_all(b"name: x\nseed: \xff\n").unwrap();
    let e = load_file(f.path(), &[]).unwrap_err();
    assert_eq!((e.line, e.column), (Some(2), Some(7)), "{e}");
    assert!(e.message.contains("not UTF-8"), "{e}");
}

#[test]
fn yaml_syntax_error_has_line_and_column() {
    let e = fails("name: x\nseed: 1\n  bad: indent\n");
    assert_eq!(e.origin, "scenarios/t.yaml");
    assert_eq!(
        (e.line, e.column, e.key.as_deref()),
        (Some(3), Some(6), None),
        "{e}"
    );
    assert!(
        e.message
            .starts_with("invalid YAML: mapping values are not allowed"),
        "{e}"
    );
    assert!(
        !e.message.contains("line 3"),
        "position is in the fields, not the text: {e}"
    );
}

#[test]
fn duplicate_key_points_at_the_second_occurrence() {
    let e = fails("seed: 1\nworkload:\n  rate: 5/s\n  rate: 6/s\n");
    assert_at(
        &e,
        4,
        3,
        "workload.rate",
        "duplicate key `rate`, first given at line 3",
    );
}

#[test]
fn empty_file_and_non_mapping_are_rejected() {
    for empty in ["", "# just a comment\n", "---\n"] {
        let e = fails(empty);
        assert!(
            e.message.contains("expected a mapping of scenario keys"),
            "{e}"
        );
    }
    let e = fails("- a\n- b\n");
    assert_eq!((e.line, e.column), (Some(1), Some(1)), "{e}");
    assert!(
        e.message.contains("expected a mapping of scenario keys")
            && e.message.ends_with("got a list"),
        "{e}"
    );
}

#[test]
fn unknown_key_is_shown_at_the_key_with_the_known_keys_and_a_suggestion() {
    let e = fails("name: x\nworkload:\n  rat: 5\n");
    assert_at(
        &e,
        3,
        3,
        "workload.rat",
        "unknown key `rat` in `workload`, expected one of `rate`, `arrival`",
    );
    assert!(e.message.ends_with("did you mean `rate`?"), "{e}");
    assert_eq!(
        e.to_string().split(": ").take(2).collect::<Vec<_>>(),
        ["scenarios/t.yaml:3:3", "workload.rat"]
    );
}

#[test]
fn unknown_key_is_found_at_any_depth_and_at_the_top() {
    let e = fails("load_balancer:\n  health_check:\n    intervall: 10s\n");
    assert_at(
        &e,
        3,
        5,
        "load_balancer.health_check.intervall",
        "did you mean `interval`?",
    );
    let e = fails("seed: 1\nfaults:\n  - { at: 1m, kind: az_outage, zone: a }\n");
    assert_at(
        &e,
        3,
        32,
        "faults[0].zone",
        "unknown key `zone` in `faults[0]`",
    );
    let e = fails("sead: 1\n");
    assert_at(&e, 1, 1, "sead", "unknown key `sead` at the top level");
    assert!(e.message.contains("did you mean `seed`?"), "{e}");
}

#[test]
fn wrong_enum_value_lists_the_allowed_values() {
    let e = fails("load_balancer:\n  algorithm: fastest\n");
    assert_at(
        &e,
        2,
        14,
        "load_balancer.algorithm",
        "expected one of `round_robin`, `random`, `least_outstanding`, got \"fastest\"",
    );
    let e = fails("workload: { arrival: poison }\n");
    assert_at(&e, 1, 22, "workload.arrival", "did you mean `poisson`?");
    let e = fails("faults:\n  - { at: 1m, kind: boom }\n");
    assert_at(
        &e,
        2,
        21,
        "faults[0].kind",
        "`az_outage`, `cache_failure`, `db_primary_failure`, `db_standby_failure`, \
         `instance_crash`, `instance_hang`, `latency`, `region_outage`, `session_store_failure`",
    );
    let e = fails("app: { service_time: { dist: normal, mean: 1ms } }\n");
    assert_at(
        &e,
        1,
        30,
        "app.service_time.dist",
        "`lognormal`, `exponential`, `constant`",
    );
}

#[test]
fn wrong_type_names_the_key_and_what_was_expected() {
    let e = fails("name: x\nworkload: 5\n");
    assert_at(
        &e,
        2,
        11,
        "workload",
        "expected a mapping of workload keys, got 5",
    );
    let e = fails("load_balancer:\n  cross_zone: maybe\n");
    assert_at(
        &e,
        2,
        15,
        "load_balancer.cross_zone",
        "expected true or false, got \"maybe\"",
    );
    let e = fails("app:\n  workers: many\n");
    assert_at(
        &e,
        2,
        12,
        "app.workers",
        "expected a whole number from 1 to 100000, got \"many\"",
    );
    let e = fails("azs: a\n");
    assert_at(&e, 1, 6, "azs", "expected a list, got \"a\"");
    let e = fails("seed: [1]\n");
    assert_at(&e, 1, 7, "seed", "expected a single value");
}

#[test]
fn bad_units_say_what_was_expected_with_an_example_and_echo_the_value() {
    let e = fails("name: x\nworkload:\n  rate: fast\n");
    assert_at(&e, 3, 9, "workload.rate", "expected a rate like 1000/s");
    assert!(e.message.ends_with("got \"fast\""), "{e}");
    assert_eq!(
        e.to_string(),
        "scenarios/t.yaml:3:9: workload.rate: expected a rate like 1000/s, 60/m or 3600/h, got \"fast\""
    );
    let e = fails("duration: 30\n");
    assert_at(&e, 1, 11, "duration", "add a unit, e.g. 30s");
    let e = fails("warmup: 5sec\n");
    assert_at(&e, 1, 9, "warmup", "unknown unit `sec` in \"5sec\"");
    let e = fails("warmup: -5s\n");
    assert_at(&e, 1, 9, "warmup", "cannot be negative");
    let e = fails("workload: { timeout: 99999999999d }\n");
    assert_at(&e, 1, 22, "workload.timeout", "too long");
    let e = fails("metrics: { threshold: high }\n");
    assert_at(&e, 1, 23, "metrics.threshold", "like 99.9%");
}

#[test]
fn zero_durations_are_rejected_where_time_must_pass() {
    let e = fails("duration: 0s\n");
    assert_at(&e, 1, 11, "duration", "must be greater than 0");
    let e = fails("workload:\n  connect_timeout: 0\n");
    assert_at(
        &e,
        2,
        20,
        "workload.connect_timeout",
        "must be greater than 0",
    );
    let e = fails("faults: [{ at: 1m, kind: az_outage, az: a, duration: 0s }]\n");
    assert_at(&e, 1, 54, "faults[0].duration", "must be greater than 0");
}

#[test]
fn warmup_must_end_before_the_run() {
    let e = fails("duration: 10m\nwarmup: 10m\n");
    assert_at(
        &e,
        2,
        9,
        "warmup",
        "must be shorter than duration (10m), got 10m",
    );
}

#[test]
fn fault_in_an_unknown_az_lists_the_azs() {
    let e = fails("azs: [a, b]\nfaults:\n  - { at: 1m, kind: az_outage, az: c }\n");
    assert_at(
        &e,
        3,
        36,
        "faults[0].az",
        "unknown AZ `c`, expected one of `a`, `b`",
    );
}

#[test]
fn fault_on_a_missing_instance_says_how_many_there_are() {
    let e = fails("faults:\n  - { at: 1m, kind: instance_crash, instance: a-3 }\n");
    assert_at(
        &e,
        2,
        47,
        "faults[0].instance",
        "no instance `a-3`: AZ `a` has 2 instances, `a-1` to `a-2`",
    );
    let e = fails("faults:\n  - { at: 1m, kind: instance_hang, instance: a-0 }\n");
    assert_at(&e, 2, 46, "faults[0].instance", "no instance `a-0`");
    let e = fails("faults:\n  - { at: 1m, kind: instance_hang, instance: z-1 }\n");
    assert_at(&e, 2, 46, "faults[0].instance", "unknown AZ `z`");
    let e = fails("faults:\n  - { at: 1m, kind: instance_hang, instance: a1 }\n");
    assert_at(&e, 2, 46, "faults[0].instance", "like `a-1`");
}

#[test]
fn fault_kind_fields_missing_or_irrelevant_name_the_key() {
    let e = fails("faults:\n  - { at: 1m, kind: instance_crash, az: a }\n");
    assert_at(
        &e,
        2,
        37,
        "faults[0].az",
        "`az` does not apply to faults of kind `instance_crash`",
    );
    let e = fails("faults:\n  - { at: 1m, kind: az_outage, extra: 1s, az: a }\n");
    assert_at(&e, 2, 32, "faults[0].extra", "does not apply");
    // A missing key is shown where its fault starts.
    let e = fails("faults:\n  - { at: 1m, kind: az_outage }\n");
    assert_at(&e, 2, 5, "faults[0].az", "need `az`, one of `a`, `b`, `c`");
    let e = fails("faults:\n  - at: 1m\n    kind: latency\n    az: a\n");
    assert_at(&e, 2, 5, "faults[0].extra", "need `extra`");
    let e = fails("faults:\n  - { at: 1m, kind: latency, az: a, instance: a-1, extra: 1ms }\n");
    assert_at(
        &e,
        2,
        37,
        "faults[0].instance",
        "either `az` or `instance`, not both",
    );
    let e = fails("faults:\n  - { kind: az_outage, az: a }\n");
    assert_at(&e, 2, 5, "faults[0].at", "a fault needs `at`");
    let e = fails("faults:\n  - { at: 1m, az: a }\n");
    assert_at(&e, 2, 5, "faults[0].kind", "a fault needs `kind`");
    let e = fails("faults:\n  - { at: 1m, kind: latency, az: a, extra: 0ms }\n");
    assert_at(&e, 2, 44, "faults[0].extra", "must be greater than 0");
}

#[test]
fn fault_after_the_end_of_the_run_is_rejected() {
    let e = fails("duration: 10m\nfaults: [{ at: 10m, kind: az_outage, az: a }]\n");
    assert_at(&e, 2, 16, "faults[0].at", "the run ends at 10m");
}

#[test]
fn health_check_thresholds_and_timeout_are_checked() {
    let e = fails("load_balancer:\n  health_check: { healthy_threshold: 11 }\n");
    assert_at(
        &e,
        2,
        38,
        "load_balancer.health_check.healthy_threshold",
        "from 1 to 10, got 11",
    );
    let e = fails("load_balancer:\n  health_check: { unhealthy_threshold: 0 }\n");
    assert_at(
        &e,
        2,
        40,
        "load_balancer.health_check.unhealthy_threshold",
        "from 1 to 10, got 0",
    );
    let e = fails("load_balancer:\n  health_check: { interval: 5s, timeout: 5s }\n");
    assert_at(
        &e,
        2,
        42,
        "load_balancer.health_check.timeout",
        "must be shorter than interval (5s)",
    );
    // With the default timeout, the interval the user wrote is to blame.
    let e = fails("load_balancer:\n  health_check: { interval: 3s }\n");
    assert_at(
        &e,
        2,
        29,
        "load_balancer.health_check.interval",
        "longer than timeout (5s, the default)",
    );
}

#[test]
fn impossible_lognormal_gives_the_limit() {
    let e = fails("app:\n  service_time: { dist: lognormal, mean: 10ms, p99: 200ms }\n");
    assert_at(
        &e,
        2,
        53,
        "app.service_time.p99",
        "no lognormal distribution has mean 10ms and p99 200ms",
    );
    assert!(e.message.contains("below 14.96"), "{e}");
    let e = fails("app:\n  service_time: { mean: 10ms, p99: 10ms }\n");
    assert_at(
        &e,
        2,
        36,
        "app.service_time.p99",
        "greater than its mean (10ms)",
    );
    // Just under the limit is fine.
    assert!(load("app: { service_time: { mean: 10ms, p99: 149ms } }\n").is_ok());
}

#[test]
fn service_time_fields_follow_the_distribution() {
    let e = fails("app: { service_time: { dist: constant, mean: 1ms } }\n");
    assert_at(
        &e,
        1,
        40,
        "app.service_time.mean",
        "does not apply to a constant service time",
    );
    let e = fails("app: { service_time: { dist: exponential } }\n");
    assert_eq!(e.key.as_deref(), Some("app.service_time.mean"), "{e}");
    assert!(e.message.contains("needs `mean`"), "{e}");
}

#[test]
fn random_failures_need_both_mtbf_and_mttr() {
    let e = fails("app:\n  mtbf: 30d\n");
    assert_at(&e, 2, 9, "app.mtbf", "add `mttr`");
    let e = fails("app:\n  mttr: 5m\n");
    assert_at(&e, 2, 9, "app.mttr", "add `mtbf`");
}

#[test]
fn counts_have_ranges() {
    let e = fails("workload: { retries: 11 }\n");
    assert_at(&e, 1, 22, "workload.retries", "from 0 to 10");
    let e = fails("app: { instances_per_az: 100001 }\n");
    assert_at(&e, 1, 26, "app.instances_per_az", "from 0 to 100000");
    let e = fails("app: { workers: 0 }\n");
    assert_at(&e, 1, 17, "app.workers", "from 1 to 100000, got 0");
    let e = fails("seed: -1\n");
    assert_at(&e, 1, 7, "seed", "0 or more, got -1");
}

#[test]
fn metrics_widths_and_threshold_are_checked() {
    let e = fails("metrics: { bucket: 250ms }\n");
    assert_at(&e, 1, 20, "metrics.bucket", "multiple of 100ms, got 250ms");
    let e = fails("metrics: { window: 0s }\n");
    assert_at(&e, 1, 20, "metrics.window", "greater than 0");
    let e = fails("metrics: { threshold: 99 }\n");
    assert_at(&e, 1, 23, "metrics.threshold", "did you mean 99%?");
    let e = fails("metrics: { threshold: 0% }\n");
    assert_at(&e, 1, 23, "metrics.threshold", "above 0%");
}

#[test]
fn azs_and_name_are_checked() {
    let e = fails("azs: [a, b, a]\n");
    assert_at(&e, 1, 13, "azs[2]", "AZ `a` is listed twice");
    let e = fails("azs: []\n");
    assert_at(&e, 1, 6, "azs", "at least one AZ");
    let e = fails("azs: [a, 'b c']\n");
    assert_at(&e, 1, 10, "azs[1]", "without spaces");
    let e = fails("name: ../etc\n");
    assert_at(&e, 1, 7, "name", "folder name");
    let e = fails("name: ''\n");
    assert_at(&e, 1, 7, "name", "folder name");
}

#[test]
fn display_is_one_line_even_for_multi_line_input() {
    let e = fails("description: |\n  two\n  lines\nseed: x\n");
    assert!(!e.to_string().contains('\n'), "{e}");
    assert!(
        e.to_string().starts_with("scenarios/t.yaml:4:7: seed: "),
        "{e}"
    );
}

// ---- --set overrides ----------------------------------------------------

#[test]
fn overrides_change_values_and_create_missing_mappings() {
    let s = load_with(
        FULL,
        &[
            "workload.rate=500/s",
            "seed=7",
            "faults[0].at=3m",
            "faults.1.instance=a-1",
            "load_balancer.health_check.interval=20s",
            "description=Note: values with colons stay text",
        ],
    )
    .unwrap();
    assert_eq!((s.workload.rate, s.seed), (500.0, 7));
    assert_eq!(s.faults[0].at, 3 * MIN);
    assert_eq!(s.faults[1].kind, FaultKind::InstanceCrash { instance: 0 });
    assert_eq!(s.load_balancer.health_check.unwrap().interval, 20 * S);
    assert_eq!(s.description, "Note: values with colons stay text");

    let s = load_with(
        "name: x\n",
        &[
            "app.service_time={dist: constant, value: 5ms}",
            "azs=[east, west]",
        ],
    )
    .unwrap();
    assert_eq!(s.app.service_time, ServiceTime::Constant { value: 5 * MS });
    assert_eq!(s.azs, ["east", "west"]);
    assert!(s.load_balancer.cross_zone);
    let s = load_with("name: x\n", &["load_balancer.cross_zone=false"]).unwrap();
    assert!(!s.load_balancer.cross_zone);
}

#[test]
fn overrides_apply_in_order_and_can_append_a_fault() {
    let s = load_with(
        "name: x\n",
        &[
            "seed=2",
            "seed=3",
            "faults[0]={at: 1m, kind: az_outage, az: b}",
        ],
    )
    .unwrap();
    assert_eq!(s.seed, 3);
    assert_eq!(
        s.faults,
        [Fault {
            at: MIN,
            duration: None,
            kind: FaultKind::AzOutage { az: 1 }
        }]
    );
}

#[test]
fn override_with_an_unknown_key_is_blamed_on_the_set_with_a_suggestion() {
    let e = fails_with("name: x\nworkload: { rate: 5/s }\n", &["workload.rat=5"]);
    assert_on_set(
        &e,
        "workload.rat=5",
        Some("workload.rat"),
        "unknown key `rat` in `workload`",
    );
    assert!(e.message.ends_with("did you mean `rate`?"), "{e}");
    assert!(
        e.to_string()
            .starts_with("--set workload.rat=5: unknown key `rat`"),
        "{e}"
    );
    // Also when the misspelt key is under a mapping the file does not have.
    let e = fails_with("name: x\n", &["lb.algorithm=random"]);
    assert_on_set(
        &e,
        "lb.algorithm=random",
        Some("lb"),
        "unknown key `lb` at the top level",
    );
    let e = fails_with("name: x\n", &["faults[2].kindd=az_outage"]);
    assert_on_set(
        &e,
        "faults[2].kindd=az_outage",
        Some("faults[2].kindd"),
        "did you mean `kind`?",
    );
}

#[test]
fn override_key_errors_come_before_errors_in_the_file() {
    let e = fails_with("name: x\nseed: bad\n", &["workload.rat=5"]);
    assert_eq!(e.origin, "--set workload.rat=5", "{e}");
}

#[test]
fn bad_value_in_an_override_is_blamed_on_the_set_not_the_file() {
    let e = fails_with("name: x\nworkload:\n  rate: 5/s\n", &["workload.rate=fast"]);
    assert_on_set(
        &e,
        "workload.rate=fast",
        Some("workload.rate"),
        "expected a rate like 1000/s",
    );
    assert_eq!(
        e.to_string(),
        "--set workload.rate=fast: expected a rate like 1000/s, 60/m or 3600/h, got \"fast\""
    );
    let e = fails_with(FULL, &["faults[0].az=z"]);
    assert_on_set(&e, "faults[0].az=z", Some("faults[0].az"), "unknown AZ `z`");
    // A fault the override creates is the override's, even for a missing key.
    let e = fails_with("name: x\n", &["faults[0].at=1m"]);
    assert_on_set(
        &e,
        "faults[0].at=1m",
        Some("faults[0].kind"),
        "a fault needs `kind`",
    );
}

#[test]
fn errors_in_the_file_keep_their_position_when_overrides_are_given() {
    let e = fails_with("name: x\nworkload:\n  rate: fast\n", &["seed=3"]);
    assert_at(&e, 3, 9, "workload.rate", "expected a rate");
    // The file's own fault lacks `kind`; setting its `at` does not change that.
    let e = fails_with("faults:\n  - { at: 1m, az: a }\n", &["faults[0].at=2m"]);
    assert_at(&e, 2, 5, "faults[0].kind", "a fault needs `kind`");
}

#[test]
fn malformed_overrides_are_rejected_clearly() {
    let e = fails_with("name: x\n", &["seed"]);
    assert_on_set(&e, "seed", None, "expected key=value");
    let e = fails_with("name: x\n", &["=5"]);
    assert_on_set(&e, "=5", None, "the key before `=` is empty");
    let e = fails_with("name: x\n", &["workload..rate=5"]);
    assert_on_set(&e, "workload..rate=5", None, "empty part between dots");
    let e = fails_with("name: x\n", &["faults[x].at=5"]);
    assert_on_set(&e, "faults[x].at=5", None, "malformed key");
    let e = fails_with("name: x\n", &["azs=[a,"]);
    assert_on_set(&e, "azs=[a,", None, "cannot read the value as YAML");
}

#[test]
fn override_index_out_of_range_says_which_indices_exist() {
    let e = fails_with(FULL, &["faults[9].at=1m"]);
    assert_on_set(
        &e,
        "faults[9].at=1m",
        Some("faults[9]"),
        "`faults` has 5 items; use [0] to [4], or [5] to append",
    );
    let e = fails_with("name: x\n", &["workload.rate.x=1"]);
    assert_on_set(
        &e,
        "workload.rate.x=1",
        Some("workload.rate"),
        "expected a single value",
    );
}

// ---- robustness ----------------------------------------------------------

#[test]
fn every_prefix_of_a_valid_file_loads_or_fails_without_panicking() {
    let mut cut = 0;
    for (i, _) in FULL.char_indices() {
        let prefix = &FULL[..i];
        if let Err(e) = load(prefix) {
            assert!(!e.message.is_empty());
            cut += 1;
        }
    }
    assert!(cut > 0, "some prefixes must be invalid");
}

#[test]
fn odd_yaml_is_an_error_not_a_panic() {
    let inputs = [
        "? [a]\n: 1\n",
        "1: 2\n",
        "name: !custom x\n",
        "name: x\n---\nname: y\n",
        "a: &x [*x]\n",
        "seed: *nope\n",
        "<<: 5\n",
        "workload: { rate: .nan }\n",
        "workload: { rate: .inf }\n",
        "duration: 1e400s\n",
        "app: { instances_per_az: 0 }\nfaults: [{at: 1m, kind: instance_crash, instance: a-1}]\n",
        "seed: 99999999999999999999999\n",
        &"[".repeat(10_000),
        &format!("name: {}\n", "x".repeat(100_000)),
    ];
    for input in inputs {
        let r = load(input);
        if let Err(e) = &r {
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }
    let e = load(
        "app: { instances_per_az: 0 }\nfaults: [{at: 1m, kind: instance_crash, instance: a-1}]\n",
    )
    .unwrap_err();
    assert!(e.message.contains("no instances"), "{e}");
}

#[test]
fn merge_keys_share_blocks_between_mappings() {
    // Anchors are YAML's way to reuse a block; `<<` merges it.
    let s =
        load("faults:\n  - &base { at: 1m, kind: az_outage, az: a }\n  - { <<: *base, az: b }\n")
            .unwrap();
    assert_eq!(s.faults[1].kind, FaultKind::AzOutage { az: 1 });
    assert_eq!(s.faults[1].at, MIN);
}

// ---- data tier: database, cache, sessions ---------------------------------

const DATA_TIER: &str = "\
azs: [a, b, c]
app:
  sessions: external
workload:
  queries: 3
  write_fraction: 35%
  users: 500
database:
  mode: multi_az
  replication: async
  replication_lag: { dist: constant, value: 250ms }
  endpoint: proxy
  dns_ttl: 30s
  reconnect_time: 2s
  proxy_switch: 500ms
  detection: 20s
  promotion: 45s
  primary_az: b
  read_replicas: 2
  reads: replicas
  workers: 32
  queue_capacity: 0
  query_time: { dist: lognormal, mean: 3ms, p99: 20ms }
  mtbf: 30d
  mttr: 1h
cache:
  hit_ratio: 0.9
  warm_time: 2m
  replica: false
  failover_time: { dist: exponential, mean: 20s }
  primary_az: c
  mtbf: 10d
  mttr: 30m
session_store:
  replica: true
  failover_time: { dist: constant, value: 15s }
  primary_az: a
faults:
  - { at: 1m, kind: db_primary_failure, duration: 5m }
  - { at: 2m, kind: db_standby_failure }
  - { at: 3m, kind: cache_failure }
  - { at: 4m, kind: session_store_failure, duration: 30s }
";

#[test]
fn data_tier_file_maps_to_typed_values() {
    let s = load(DATA_TIER).unwrap();
    assert_eq!(s.app.sessions, Sessions::External);
    assert_eq!(
        (s.workload.queries, s.workload.users),
        (3, 500),
        "{:?}",
        s.workload
    );
    assert!((s.workload.write_fraction - 0.35).abs() < 1e-12);
    assert_eq!(
        s.database,
        Some(Database {
            mode: DbMode::MultiAz,
            replication: Replication::Async,
            replication_lag: ServiceTime::Constant { value: 250 * MS },
            endpoint: Endpoint::Proxy,
            dns_ttl: 30 * S,
            reconnect_time: 2 * S,
            proxy_switch: 500 * MS,
            detection: 20 * S,
            promotion: 45 * S,
            primary_az: 1,
            standby_az: None,
            read_replicas: 2,
            reads: Reads::Replicas,
            workers: 32,
            queue_capacity: 0,
            query_time: ServiceTime::LogNormal {
                mean: 3 * MS,
                p99: 20 * MS,
            },
            failures: Some(RandomFailures {
                mtbf: 30 * 24 * 60 * MIN,
                mttr: 60 * MIN,
            }),
            writers: 1,
            keys: 0,
        })
    );
    assert_eq!(
        s.cache,
        Some(Cache {
            store: KvStore {
                replica: false,
                failover_time: ServiceTime::Exponential { mean: 20 * S },
                primary_az: 2,
                failures: Some(RandomFailures {
                    mtbf: 10 * 24 * 60 * MIN,
                    mttr: 30 * MIN,
                }),
            },
            hit_ratio: 0.9,
            warm_time: 2 * MIN,
        })
    );
    assert_eq!(
        s.session_store,
        Some(KvStore {
            replica: true,
            failover_time: ServiceTime::Constant { value: 15 * S },
            primary_az: 0,
            failures: None,
        })
    );
    let kinds: Vec<(u64, Option<u64>, FaultKind)> = s
        .faults
        .iter()
        .map(|f| (f.at, f.duration, f.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            (MIN, Some(5 * MIN), FaultKind::DbPrimaryFailure),
            (2 * MIN, None, FaultKind::DbStandbyFailure),
            (3 * MIN, None, FaultKind::CacheFailure),
            (4 * MIN, Some(30 * S), FaultKind::SessionStoreFailure),
        ]
    );
}

/// (detection, promotion, dns_ttl, read_replicas) of a database block.
fn db_timing(yaml: &str) -> (u64, u64, u64, u32) {
    let s = load(yaml).unwrap();
    let db = s.database.expect("the file has a database block");
    (db.detection, db.promotion, db.dns_ttl, db.read_replicas)
}

#[test]
fn database_timings_and_replicas_default_by_mode() {
    // RDS Multi-AZ instance: 15 s + 60 s, 60 s TTL, no read replicas.
    assert_eq!(db_timing("database: {}\n"), (15 * S, 60 * S, 60 * S, 0));
    assert_eq!(
        db_timing("database: { mode: multi_az }\n"),
        (15 * S, 60 * S, 60 * S, 0)
    );
    // Multi-AZ DB cluster: under 35 s, 5 s TTL.
    assert_eq!(
        db_timing("database: { mode: multi_az_cluster }\n"),
        (10 * S, 15 * S, 5 * S, 0)
    );
    // Aurora runs one replica by default, the failover target.
    assert_eq!(
        db_timing("database: { mode: aurora }\n"),
        (10 * S, 15 * S, 5 * S, 1)
    );
    // Without a replica Aurora recreates the instance: 10 minutes.
    assert_eq!(
        db_timing("database: { mode: aurora, read_replicas: 0 }\n"),
        (10 * S, 10 * MIN, 5 * S, 0)
    );
    assert_eq!(
        db_timing("database: { mode: single, read_replicas: 2 }\n"),
        (15 * S, 0, 60 * S, 2)
    );
    // Given values win over the mode's defaults.
    assert_eq!(
        db_timing("database: { mode: aurora, detection: 3s, promotion: 0s, dns_ttl: 0s }\n"),
        (3 * S, 0, 0, 1)
    );
}

#[test]
fn a_database_block_with_no_keys_gets_the_documented_defaults() {
    let expected = Database {
        mode: DbMode::MultiAz,
        replication: Replication::Sync,
        replication_lag: ServiceTime::Exponential { mean: 100 * MS },
        endpoint: Endpoint::Dns,
        dns_ttl: 60 * S,
        reconnect_time: S,
        proxy_switch: S,
        detection: 15 * S,
        promotion: 60 * S,
        primary_az: 0,
        standby_az: None,
        read_replicas: 0,
        reads: Reads::Primary,
        workers: 64,
        queue_capacity: 1000,
        query_time: ServiceTime::Exponential { mean: 2 * MS },
        failures: None,
        writers: 1,
        keys: 0,
    };
    // `database:` with nothing under it asks for a database, as `{}` does.
    for yaml in ["database: {}\n", "database:\nseed: 1\n"] {
        let s = load(yaml).unwrap();
        assert_eq!(s.database.as_ref(), Some(&expected), "{yaml}");
        assert_eq!(s.cache, None);
    }
    let s = load("azs: [x, y]\ndatabase: { primary_az: y }\ncache: {}\n").unwrap();
    assert_eq!(s.database.map(|db| db.primary_az), Some(1));
    assert_eq!(
        s.cache,
        Some(Cache {
            store: KvStore {
                replica: true,
                failover_time: ServiceTime::LogNormal {
                    mean: 30 * S,
                    p99: 3 * MIN,
                },
                primary_az: 0,
                failures: None,
            },
            hit_ratio: 0.8,
            warm_time: 5 * MIN,
        })
    );
}

#[test]
fn session_store_exists_when_sessions_are_external_or_a_block_describes_it() {
    let s = load("app: { sessions: external }\n").unwrap();
    assert_eq!(
        s.session_store,
        Some(KvStore {
            replica: true,
            failover_time: ServiceTime::LogNormal {
                mean: 30 * S,
                p99: 3 * MIN,
            },
            primary_az: 0,
            failures: None,
        })
    );
    let s = load("app: { sessions: sticky }\n").unwrap();
    assert_eq!((s.app.sessions, s.session_store), (Sessions::Sticky, None));
    // Kept with another design (to compare designs on one file), the block
    // still describes a store, which that design never reads.
    let s = load("app: { sessions: sticky }\nsession_store:\n  replica: false\n").unwrap();
    assert_eq!(s.session_store.map(|k| k.replica), Some(false));
    let e = fails("app: { sessions: cookie }\n");
    assert_at(
        &e,
        1,
        18,
        "app.sessions",
        "expected one of `jwt`, `sticky`, `external`, got \"cookie\"",
    );
}

#[test]
fn workload_fractions_take_percentages_or_numbers_and_allow_zero() {
    let s = load("workload: { write_fraction: 0, queries: 0 }\n").unwrap();
    assert_eq!((s.workload.write_fraction, s.workload.queries), (0.0, 0));
    let s = load("workload: { write_fraction: 0.5 }\n").unwrap();
    assert_eq!(s.workload.write_fraction, 0.5);
    let s = load("workload: { write_fraction: 100% }\ndatabase: {}\ncache: { hit_ratio: 0% }\n")
        .unwrap();
    assert_eq!(s.workload.write_fraction, 1.0);
    assert_eq!(s.cache.map(|c| c.hit_ratio), Some(0.0));
    let s = load("database: {}\ncache: { hit_ratio: 95% }\n").unwrap();
    assert!((s.cache.unwrap().hit_ratio - 0.95).abs() < 1e-12);

    let e = fails("workload:\n  write_fraction: 20\n");
    assert_at(
        &e,
        2,
        19,
        "workload.write_fraction",
        "must be from 0% to 100%, got 20; did you mean 20%?",
    );
    let e = fails("database: {}\ncache: { hit_ratio: 120% }\n");
    assert_at(
        &e,
        2,
        21,
        "cache.hit_ratio",
        "from 0% to 100%, got \"120%\"",
    );
    let e = fails("workload: { write_fraction: some }\n");
    assert_at(
        &e,
        1,
        29,
        "workload.write_fraction",
        "expected a percentage like 99.9%",
    );
    let e = fails("workload: { queries: 101 }\n");
    assert_at(&e, 1, 22, "workload.queries", "from 0 to 100, got 101");
    let e = fails("workload: { users: 0 }\n");
    assert_at(&e, 1, 20, "workload.users", "from 1 to 10000000, got 0");
}

#[test]
fn async_replication_is_only_for_modes_with_a_replicating_standby() {
    let e = fails("database:\n  mode: single\n  replication: async\n");
    assert_at(
        &e,
        3,
        16,
        "database.replication",
        "a single instance has no standby to replicate to",
    );
    // `sync` is what they do anyway: a file may keep it while flipping mode.
    let s = load("database:\n  mode: single\n  replication: sync\n").unwrap();
    assert_eq!(s.database.unwrap().replication, Replication::Sync);
    let e = fails("database:\n  mode: aurora\n  replication: async\n");
    assert_at(
        &e,
        3,
        16,
        "database.replication",
        "Aurora replicates synchronously through its shared storage volume, not asynchronously",
    );
    // Sync is the typed value of those modes.
    let s = load("database: { mode: aurora }\n").unwrap();
    assert_eq!(s.database.unwrap().replication, Replication::Sync);
    let e = fails("database:\n  replication: semi\n");
    assert_at(
        &e,
        2,
        16,
        "database.replication",
        "expected one of `sync`, `async`",
    );
}

#[test]
fn replication_lag_needs_a_replicating_standby() {
    // Kept (unused) under sync, so a file can flip `replication`.
    let s = load("database:\n  replication_lag: { dist: exponential, mean: 50ms }\n").unwrap();
    assert_eq!(s.database.unwrap().replication, Replication::Sync);
    let e = fails("database:\n  mode: single\n  replication_lag: { dist: constant, value: 1s }\n");
    assert_at(
        &e,
        3,
        3,
        "database.replication_lag",
        "mode `single` has no replication lag",
    );
    // Same parser as service_time, named after its block.
    let e =
        fails("database:\n  replication: async\n  replication_lag: { dist: constant, mean: 1s }\n");
    assert_at(
        &e,
        3,
        38,
        "database.replication_lag.mean",
        "`mean` does not apply to a constant replication lag",
    );
    let s = load(
        "database: { replication: async, replication_lag: { dist: exponential, mean: 1s } }\n",
    )
    .unwrap();
    assert_eq!(
        s.database.unwrap().replication_lag,
        ServiceTime::Exponential { mean: S }
    );
}

#[test]
fn read_replicas_are_checked_against_the_mode_and_range() {
    let e = fails("database:\n  mode: multi_az_cluster\n  read_replicas: 1\n");
    assert_at(
        &e,
        3,
        3,
        "database.read_replicas",
        "a Multi-AZ DB cluster has two readable standbys; `read_replicas` does not apply",
    );
    // 0 says the same as leaving it out.
    assert_eq!(
        db_timing("database: { mode: multi_az_cluster, read_replicas: 0 }\n").3,
        0
    );
    let e = fails("database:\n  read_replicas: 16\n");
    assert_at(&e, 2, 18, "database.read_replicas", "from 0 to 15, got 16");
}

#[test]
fn database_values_are_checked_like_the_rest_of_the_file() {
    let e = fails("database:\n  mode: multiaz\n");
    assert_at(&e, 2, 9, "database.mode", "did you mean `multi_az`?");
    let e = fails("database:\n  endpoint: dsn\n");
    assert_at(
        &e,
        2,
        13,
        "database.endpoint",
        "expected one of `dns`, `proxy`, got \"dsn\"; did you mean `dns`?",
    );
    let e = fails("database:\n  reads: replica\n");
    assert_at(&e, 2, 10, "database.reads", "did you mean `replicas`?");
    let e = fails("database:\n  detection: 0s\n");
    assert_at(&e, 2, 14, "database.detection", "must be greater than 0");
    let e = fails("database:\n  promotion: soon\n");
    assert_at(&e, 2, 14, "database.promotion", "expected a duration");
    let e = fails("database:\n  workers: 0\n");
    assert_at(&e, 2, 12, "database.workers", "from 1 to 100000, got 0");
    let e = fails("azs: [a, b]\ndatabase:\n  primary_az: c\n");
    assert_at(
        &e,
        3,
        15,
        "database.primary_az",
        "unknown AZ `c`, expected one of `a`, `b`",
    );
    let e = fails("database:\n  query_time: { dist: constant, mean: 1ms }\n");
    assert_at(
        &e,
        2,
        33,
        "database.query_time.mean",
        "does not apply to a constant query time",
    );
    let e = fails("database: 5\n");
    assert_at(
        &e,
        1,
        11,
        "database",
        "expected a mapping of database keys, got 5",
    );
}

#[test]
fn every_tier_needs_both_mtbf_and_mttr() {
    let e = fails("database:\n  mtbf: 30d\n");
    assert_at(&e, 2, 9, "database.mtbf", "add `mttr`");
    let e = fails("database: {}\ncache:\n  mttr: 5m\n");
    assert_at(&e, 3, 9, "cache.mttr", "add `mtbf`");
    let e = fails("app: { sessions: external }\nsession_store:\n  mtbf: 1d\n");
    assert_at(&e, 3, 9, "session_store.mtbf", "add `mttr`");
    let e = fails("database:\n  mtbf: 0s\n  mttr: 1m\n");
    assert_at(&e, 2, 9, "database.mtbf", "must be greater than 0");
}

#[test]
fn cache_needs_a_database_and_checks_its_store_keys() {
    let e = fails("seed: 1\ncache:\n  hit_ratio: 90%\n");
    assert_at(
        &e,
        2,
        1,
        "cache",
        "a cache sits in front of the database: add a `database:` block",
    );
    let e = fails("database: {}\ncache:\n  replica: yes\n");
    assert_at(&e, 3, 12, "cache.replica", "expected true or false");
    let e = fails("database: {}\ncache:\n  failover_time: { mean: 10s, p99: 5s }\n");
    assert_at(
        &e,
        3,
        36,
        "cache.failover_time.p99",
        "a lognormal's p99 must be greater than its mean (10s)",
    );
    let e = fails("database: {}\ncache:\n  warm_time: -1m\n");
    assert_at(&e, 3, 14, "cache.warm_time", "cannot be negative");
    let e = fails("app: { sessions: external }\nsession_store:\n  primary_az: z\n");
    assert_at(&e, 3, 15, "session_store.primary_az", "unknown AZ `z`");
}

#[test]
fn misspelt_data_tier_keys_get_a_suggestion() {
    let e = fails("database:\n  mode: aurora\n  endpont: proxy\n");
    assert_at(
        &e,
        3,
        3,
        "database.endpont",
        "unknown key `endpont` in `database`, expected one of `mode`, `replication`",
    );
    assert!(e.message.ends_with("did you mean `endpoint`?"), "{e}");
    let e = fails("database: {}\ncache: { hit_rate: 90% }\n");
    assert_at(&e, 2, 10, "cache.hit_rate", "did you mean `hit_ratio`?");
    let e = fails("app: { sessions: external }\nsession_store: { replicas: true }\n");
    assert_at(
        &e,
        2,
        18,
        "session_store.replicas",
        "did you mean `replica`?",
    );
    let e = fails("workload: { user: 5 }\n");
    assert_at(&e, 1, 13, "workload.user", "did you mean `users`?");
}

#[test]
fn data_tier_faults_take_no_target_and_need_their_tier() {
    let e = fails("faults:\n  - { at: 1m, kind: db_primary_failure }\n");
    assert_at(
        &e,
        2,
        21,
        "faults[0].kind",
        "faults of kind `db_primary_failure` need a `database:` block",
    );
    let e = fails("faults:\n  - { at: 1m, kind: db_standby_failure }\n");
    assert_at(
        &e,
        2,
        21,
        "faults[0].kind",
        "faults of kind `db_standby_failure` need a `database:` block",
    );
    let e =
        fails("database: { mode: single }\nfaults:\n  - { at: 1m, kind: db_standby_failure }\n");
    assert_at(
        &e,
        3,
        21,
        "faults[0].kind",
        "need a standby (a failover target), but a `single` database has none",
    );
    let e = fails(
        "database: { mode: aurora, read_replicas: 0 }\nfaults:\n  - { at: 1m, kind: db_standby_failure }\n",
    );
    assert_at(
        &e,
        3,
        21,
        "faults[0].kind",
        "an `aurora` database with `read_replicas: 0` has no replica",
    );
    let e = fails("faults:\n  - { at: 1m, kind: cache_failure }\n");
    assert_at(
        &e,
        2,
        21,
        "faults[0].kind",
        "faults of kind `cache_failure` need a `cache:` block",
    );
    let e =
        fails("app: { sessions: sticky }\nfaults:\n  - { at: 1m, kind: session_store_failure }\n");
    assert_at(
        &e,
        3,
        21,
        "faults[0].kind",
        "faults of kind `session_store_failure` need a session store: set `app.sessions: external` or add a `session_store:` block (app.sessions is sticky)",
    );
    let e = fails("database: {}\nfaults:\n  - { at: 1m, kind: db_primary_failure, az: a }\n");
    assert_at(
        &e,
        3,
        41,
        "faults[0].az",
        "`az` does not apply to faults of kind `db_primary_failure`, which take `at`, `kind`, `duration`",
    );
    let e = fails(
        "database: {}\ncache: {}\nfaults:\n  - { at: 1m, kind: cache_failure, instance: a-1 }\n",
    );
    assert_at(&e, 4, 36, "faults[0].instance", "does not apply");
    // With a standby, the fault resolves; a cluster always has two.
    let s = load(
        "database: { mode: multi_az_cluster }\nfaults: [{ at: 1m, kind: db_standby_failure }]\n",
    )
    .unwrap();
    assert_eq!(s.faults[0].kind, FaultKind::DbStandbyFailure);
}

#[test]
fn overrides_reach_the_data_tier() {
    let s = load_with(
        "database:\n  mode: aurora\n",
        &["database.endpoint=proxy", "workload.write_fraction=5%"],
    )
    .unwrap();
    let db = s.database.unwrap();
    assert_eq!((db.mode, db.endpoint), (DbMode::Aurora, Endpoint::Proxy));
    assert!((s.workload.write_fraction - 0.05).abs() < 1e-12);
    // An override can add the block the file does not have.
    let s = load_with("name: x\n", &["database.endpoint=proxy"]).unwrap();
    assert_eq!(s.database.map(|db| db.endpoint), Some(Endpoint::Proxy));
    // A rule the override breaks is blamed on the override.
    let e = fails_with(
        "database:\n  mode: aurora\n",
        &["database.replication=async"],
    );
    assert_on_set(
        &e,
        "database.replication=async",
        Some("database.replication"),
        "Aurora replicates synchronously through its shared storage volume",
    );
    let e = fails_with("name: x\n", &["database.endpont=proxy"]);
    assert_on_set(
        &e,
        "database.endpont=proxy",
        Some("database.endpont"),
        "did you mean `endpoint`?",
    );
}

#[test]
fn an_async_lag_too_long_to_hold_in_memory_is_refused() {
    let e = fails(
        "workload: { rate: 100000/s }\ndatabase:\n  replication: async\n  replication_lag: { dist: exponential, mean: 10m }\n",
    );
    assert_at(
        &e,
        4,
        20,
        "database.replication_lag",
        "keeps about 60000000 write batches in transit; at most 10000000 are supported",
    );
    // The same lag at a modest rate is fine.
    assert!(
        load("workload: { rate: 100/s }\ndatabase:\n  replication: async\n  replication_lag: { dist: exponential, mean: 10m }\n")
            .is_ok()
    );
}

// ---- workload patterns ---------------------------------------------------

fn pattern(yaml: &str) -> RatePattern {
    load(yaml)
        .unwrap_or_else(|e| panic!("{e}"))
        .workload
        .pattern
}

#[test]
fn each_rate_pattern_maps_to_typed_values_with_units() {
    assert_eq!(
        pattern(
            "workload:\n  rate: 1000/s\n  pattern:\n    ramp: { start: 5m, duration: 10m, to: 3000/s }\n"
        ),
        RatePattern::Ramp {
            start: 5 * MIN,
            duration: 10 * MIN,
            to: 3000.0
        }
    );
    // Without `start` a ramp begins at once.
    assert_eq!(
        pattern("workload: { pattern: { ramp: { duration: 1m, to: 60/m } } }"),
        RatePattern::Ramp {
            start: 0,
            duration: MIN,
            to: 1.0
        }
    );
    // `factor` multiplies the base rate; `to` gives the rate itself.
    assert_eq!(
        pattern(
            "workload: { rate: 200/s, pattern: { spike: { at: 10m, duration: 5m, factor: 3 } } }"
        ),
        RatePattern::Spike {
            at: 10 * MIN,
            duration: 5 * MIN,
            to: 600.0
        }
    );
    assert_eq!(
        pattern("workload: { pattern: { spike: { at: 1m, duration: 30s, to: 2500/s } } }"),
        RatePattern::Spike {
            at: MIN,
            duration: 30 * S,
            to: 2500.0
        }
    );
    assert_eq!(
        pattern(
            "workload: { pattern: { diurnal: { amplitude: 50%, period: 24h, peak_at: 14h } } }"
        ),
        RatePattern::Diurnal {
            amplitude: 0.5,
            period: 24 * 60 * MIN,
            peak_at: 14 * 60 * MIN
        }
    );
    // Defaults: a day's period, busiest at noon.
    assert_eq!(
        pattern("workload: { pattern: { diurnal: { amplitude: 0.25 } } }"),
        RatePattern::Diurnal {
            amplitude: 0.25,
            period: 24 * 60 * MIN,
            peak_at: 12 * 60 * MIN
        }
    );
    assert_eq!(
        pattern(
            "workload:\n  pattern:\n    schedule:\n      - { at: 0s, rate: 100/s }\n      - { at: 10m, rate: 500/s }\n      - { at: 20m, rate: 0 }\n"
        ),
        RatePattern::Schedule(vec![
            RateStep { at: 0, rate: 100.0 },
            RateStep {
                at: 10 * MIN,
                rate: 500.0
            },
            RateStep {
                at: 20 * MIN,
                rate: 0.0
            },
        ])
    );
    assert_eq!(
        pattern("workload: { pattern: constant }"),
        RatePattern::Constant
    );
    assert_eq!(pattern("workload: { pattern: }"), RatePattern::Constant);
}

#[test]
fn the_rate_follows_the_pattern_and_its_peak_is_known() {
    let s = load(
        "workload:\n  rate: 100/s\n  pattern: { ramp: { start: 1m, duration: 2m, to: 300/s } }\n",
    )
    .unwrap();
    let w = &s.workload;
    assert_eq!(w.rate_at(0), 100.0);
    assert_eq!(w.rate_at(2 * MIN), 200.0);
    assert_eq!(w.rate_at(10 * MIN), 300.0);
    assert_eq!(w.peak_rate(), 300.0);
    let s = load("workload: { rate: 100/s, pattern: { diurnal: { amplitude: 50%, period: 1h, peak_at: 15m } } }").unwrap();
    let w = &s.workload;
    assert!((w.rate_at(15 * MIN) - 150.0).abs() < 1e-9);
    assert!((w.rate_at(45 * MIN) - 50.0).abs() < 1e-9);
    assert!((w.rate_at(75 * MIN) - 150.0).abs() < 1e-9);
    assert_eq!(w.peak_rate(), 150.0);
}

#[test]
fn an_unknown_pattern_is_shown_at_its_key_with_a_suggestion() {
    let e = fails("workload:\n  pattern:\n    spik: { at: 1m, duration: 1m, factor: 2 }\n");
    assert_at(
        &e,
        3,
        5,
        "workload.pattern.spik",
        "unknown key `spik` in `workload.pattern`, expected one of `ramp`, `spike`, `diurnal`, `schedule`",
    );
    assert!(e.message.ends_with("did you mean `spike`?"), "{e}");
    let e = fails("workload:\n  pattern: wave\n");
    assert_at(
        &e,
        2,
        12,
        "workload.pattern",
        "expected one of `constant`, `ramp`, `spike`, `diurnal`, `schedule`, got \"wave\"",
    );
    let e = fails("workload:\n  pattern: spike\n");
    assert_at(
        &e,
        2,
        12,
        "workload.pattern",
        "a `spike` pattern needs its settings, e.g. `spike: {",
    );
    let e = fails("workload:\n  pattern: [ramp]\n");
    assert_at(
        &e,
        2,
        12,
        "workload.pattern",
        "expected `constant` or a mapping with one pattern",
    );
    let e = fails("workload:\n  pattern: {}\n");
    assert_at(
        &e,
        2,
        12,
        "workload.pattern",
        "a pattern needs one of `ramp`, `spike`",
    );
    let e =
        fails("workload:\n  pattern:\n    ramp: { start: 1m, duration: 1m, to: 5/s, until: 3m }\n");
    assert_at(
        &e,
        3,
        47,
        "workload.pattern.ramp.until",
        "unknown key `until`",
    );
}

#[test]
fn two_patterns_at_once_are_refused_at_the_second() {
    let e = fails(
        "workload:\n  pattern:\n    ramp: { duration: 1m, to: 5/s }\n    spike: { at: 1m, duration: 1m, factor: 2 }\n",
    );
    assert_at(
        &e,
        4,
        5,
        "workload.pattern.spike",
        "give one pattern, not both `ramp` and `spike`",
    );
}

#[test]
fn pattern_values_are_checked_where_they_are_written() {
    let e = fails("workload:\n  pattern:\n    ramp: { duration: 1m, to: -5/s }\n");
    assert_at(
        &e,
        3,
        31,
        "workload.pattern.ramp.to",
        "a rate cannot be negative",
    );
    let e = fails("workload:\n  pattern:\n    ramp: { to: 5/s }\n");
    assert_at(
        &e,
        3,
        5,
        "workload.pattern.ramp.duration",
        "a ramp needs `duration` and `to`",
    );
    let e = fails("workload:\n  pattern:\n    ramp: { duration: 0s, to: 5/s }\n");
    assert_at(
        &e,
        3,
        23,
        "workload.pattern.ramp.duration",
        "must be greater than 0",
    );
    let e = fails("workload:\n  pattern:\n    diurnal: { amplitude: 150% }\n");
    assert_at(
        &e,
        3,
        27,
        "workload.pattern.diurnal.amplitude",
        "must be from 0% to 100%, got \"150%\"",
    );
    let e = fails("workload:\n  pattern:\n    diurnal: { period: 1h }\n");
    assert_at(
        &e,
        3,
        5,
        "workload.pattern.diurnal.amplitude",
        "needs `amplitude`",
    );
    let e =
        fails("workload:\n  pattern:\n    spike: { at: 1m, duration: 1m, factor: 2, to: 5/s }\n");
    assert_at(
        &e,
        3,
        47,
        "workload.pattern.spike.to",
        "either `factor` (times the base rate) or `to` (a rate), not both",
    );
    let e = fails("workload:\n  pattern:\n    spike: { at: 1m, duration: 1m, factor: -2 }\n");
    assert_at(
        &e,
        3,
        44,
        "workload.pattern.spike.factor",
        "must be a number 0 or more, got -2",
    );
    let e = fails("workload:\n  pattern:\n    spike: { at: 1m, duration: 1m }\n");
    assert_at(
        &e,
        3,
        5,
        "workload.pattern.spike.factor",
        "a spike needs `at`, `duration` and `factor`",
    );
    let e = fails(
        "workload:\n  rate: 1000/s\n  pattern:\n    spike: { at: 1m, duration: 1m, factor: 1000000 }\n",
    );
    assert_at(
        &e,
        4,
        44,
        "workload.pattern.spike.factor",
        "at most 100000000/s",
    );
}

#[test]
fn schedule_steps_need_rates_and_increasing_times() {
    let e = fails(
        "workload:\n  pattern:\n    schedule:\n      - { at: 0s, rate: 100/s }\n      - { at: 10m, rate: 500/s }\n      - { at: 10m, rate: 50/s }\n",
    );
    assert_at(
        &e,
        6,
        15,
        "workload.pattern.schedule[2].at",
        "steps must be in time order: `at` must be after the previous step's (10m), got 10m",
    );
    let e = fails("workload:\n  pattern:\n    schedule:\n      - { at: 0s, rate: -1 }\n");
    assert_at(
        &e,
        4,
        25,
        "workload.pattern.schedule[0].rate",
        "a rate cannot be negative, got -1",
    );
    let e = fails("workload:\n  pattern:\n    schedule:\n      - { at: 5m }\n");
    assert_at(
        &e,
        4,
        9,
        "workload.pattern.schedule[0].rate",
        "needs `at` and `rate`",
    );
    let e = fails("workload:\n  pattern:\n    schedule: []\n");
    assert_at(&e, 3, 15, "workload.pattern.schedule", "at least one step");
    let e =
        fails("workload:\n  pattern:\n    schedule:\n      - { at: 5m, rate: 1/s, ratee: 2 }\n");
    assert_at(
        &e,
        4,
        30,
        "workload.pattern.schedule[0].ratee",
        "did you mean `rate`?",
    );
}

#[test]
fn overrides_reach_into_a_pattern_and_can_turn_it_off() {
    let yaml =
        "workload:\n  rate: 100/s\n  pattern:\n    spike: { at: 10m, duration: 5m, factor: 3 }\n";
    let s = load_with(
        yaml,
        &["workload.pattern.spike.factor=5", "workload.rate=50/s"],
    )
    .unwrap();
    assert_eq!(
        s.workload.pattern,
        RatePattern::Spike {
            at: 10 * MIN,
            duration: 5 * MIN,
            to: 250.0
        }
    );
    let s = load_with(yaml, &["workload.pattern=constant"]).unwrap();
    assert_eq!(s.workload.pattern, RatePattern::Constant);
    let s = load_with("name: x\n", &["workload.pattern.diurnal.amplitude=20%"]).unwrap();
    assert!(
        matches!(s.workload.pattern, RatePattern::Diurnal { amplitude, .. } if amplitude == 0.2)
    );
    let e = fails_with(yaml, &["workload.pattern.spike.factr=5"]);
    assert_on_set(
        &e,
        "workload.pattern.spike.factr=5",
        Some("workload.pattern.spike.factr"),
        "did you mean `factor`?",
    );
    let e = fails_with(yaml, &["workload.pattern.spike.duration=soon"]);
    assert_on_set(
        &e,
        "workload.pattern.spike.duration=soon",
        Some("workload.pattern.spike.duration"),
        "expected a duration",
    );
}

// ---- client behaviour ------------------------------------------------------

#[test]
fn backoff_and_jitter_default_to_the_historical_constant_wait() {
    let w = load("workload: { retries: 3, retry_backoff: 50ms }")
        .unwrap()
        .workload;
    assert_eq!(
        (w.backoff, w.jitter, w.retry_budget),
        (Backoff::Constant, Jitter::None, None)
    );
    assert_eq!(
        (1..=3).map(|n| w.backoff_wait(n)).collect::<Vec<_>>(),
        [50 * MS; 3]
    );
}

#[test]
fn exponential_backoff_doubles_to_its_cap_with_full_jitter_by_default() {
    let w = load("workload: { retries: 10, retry_backoff: 100ms, backoff: exponential }")
        .unwrap()
        .workload;
    // AWS SDK standard retry mode: 20 s maximum backoff.
    assert_eq!(w.backoff, Backoff::Exponential { cap: 20 * S });
    assert_eq!(w.jitter, Jitter::Full);
    let waits: Vec<u64> = (1..=10).map(|n| w.backoff_wait(n) / MS).collect();
    assert_eq!(
        waits,
        [100, 200, 400, 800, 1600, 3200, 6400, 12800, 20000, 20000]
    );
    let w = load(
        "workload: { retry_backoff: 1s, backoff: exponential, backoff_cap: 5s, jitter: equal }",
    )
    .unwrap()
    .workload;
    assert_eq!(w.backoff, Backoff::Exponential { cap: 5 * S });
    assert_eq!(w.jitter, Jitter::Equal);
    assert_eq!(w.backoff_wait(3), 4 * S);
    assert_eq!(w.backoff_wait(4), 5 * S);
    // Huge retry numbers saturate instead of overflowing.
    assert_eq!(w.backoff_wait(u32::MAX), 5 * S);
    // A file can flip `backoff` and keep its cap line.
    let w = load_with(
        "workload: { backoff: exponential, backoff_cap: 5s }",
        &["workload.backoff=constant"],
    )
    .unwrap()
    .workload;
    assert_eq!((w.backoff, w.jitter), (Backoff::Constant, Jitter::None));
}

#[test]
fn retry_budgets_take_a_mapping_a_ratio_or_none() {
    let budget = |yaml: &str| {
        load(yaml)
            .unwrap_or_else(|e| panic!("{e}"))
            .workload
            .retry_budget
    };
    assert_eq!(
        budget("workload:\n  retry_budget: { ratio: 10%, min_per_second: 5, ttl: 30s }\n"),
        Some(RetryBudget {
            ratio: 0.1,
            min_per_second: 5.0,
            ttl: 30 * S
        })
    );
    // Linkerd's defaults: 20%, 10 per second, 10 s.
    let linkerd = RetryBudget {
        ratio: 0.2,
        min_per_second: 10.0,
        ttl: 10 * S,
    };
    assert_eq!(budget("workload:\n  retry_budget: {}\n"), Some(linkerd));
    assert_eq!(budget("workload:\n  retry_budget:\n"), Some(linkerd));
    assert_eq!(
        budget("workload: { retry_budget: 10% }"),
        Some(RetryBudget {
            ratio: 0.1,
            ..linkerd
        })
    );
    assert_eq!(
        budget("workload: { retry_budget: { min_per_second: 60/m } }")
            .unwrap()
            .min_per_second,
        1.0
    );
    assert_eq!(budget("workload: { retry_budget: none }"), None);
    let s = load_with(
        "workload: { retry_budget: 10% }",
        &["workload.retry_budget=none"],
    )
    .unwrap();
    assert_eq!(s.workload.retry_budget, None);
    let s = load_with("name: x\n", &["workload.retry_budget.ttl=2s"]).unwrap();
    assert_eq!(s.workload.retry_budget.unwrap().ttl, 2 * S);
}

#[test]
fn bad_client_settings_are_shown_where_they_are_written() {
    let e = fails("workload:\n  backoff: exponentail\n");
    assert_at(&e, 2, 12, "workload.backoff", "did you mean `exponential`?");
    let e = fails("workload:\n  jitter: half\n");
    assert_at(
        &e,
        2,
        11,
        "workload.jitter",
        "expected one of `none`, `full`, `equal`",
    );
    let e = fails("workload:\n  backoff: exponential\n  backoff_cap: 0s\n");
    assert_at(&e, 3, 16, "workload.backoff_cap", "must be greater than 0");
    let e = fails("workload:\n  retry_budget: lots\n");
    assert_at(
        &e,
        2,
        17,
        "workload.retry_budget",
        "expected `none`, a ratio like 20%, or a mapping of retry_budget keys",
    );
    let e = fails("workload:\n  retry_budget: 150%\n");
    assert_at(
        &e,
        2,
        17,
        "workload.retry_budget",
        "must be from 0% to 100%",
    );
    let e = fails("workload:\n  retry_budget: { ratio: 10%, ttl: 250ms }\n");
    assert_at(
        &e,
        2,
        36,
        "workload.retry_budget.ttl",
        "must be a multiple of 100ms, got 250ms",
    );
    let e = fails("workload:\n  retry_budget: { min_per_second: -1 }\n");
    assert_at(
        &e,
        2,
        35,
        "workload.retry_budget.min_per_second",
        "cannot be negative",
    );
    let e = fails("workload:\n  retry_budget: { ratio: 10%, min_retries: 1 }\n");
    assert_at(
        &e,
        2,
        31,
        "workload.retry_budget.min_retries",
        "unknown key `min_retries`",
    );
    let e = fails("workload:\n  retry_budget: [10%]\n");
    assert_at(
        &e,
        2,
        17,
        "workload.retry_budget",
        "expected `none`, a ratio like 20%",
    );
    let e = fails_with("name: x\n", &["workload.retry_budget.ration=5%"]);
    assert_on_set(
        &e,
        "workload.retry_budget.ration=5%",
        Some("workload.retry_budget.ration"),
        "did you mean `ratio`?",
    );
}

#[test]
fn circuit_breakers_take_a_mapping_with_defaults_or_none() {
    let breaker = |yaml: &str| {
        load(yaml)
            .unwrap_or_else(|e| panic!("{e}"))
            .workload
            .circuit_breaker
    };
    let defaults = CircuitBreaker {
        failure_ratio: 0.5,
        window: 10 * S,
        min_calls: 20,
        open_for: 30 * S,
        probes: 5,
    };
    assert_eq!(
        breaker("workload:\n  circuit_breaker: {}\n"),
        Some(defaults)
    );
    assert_eq!(breaker("workload:\n  circuit_breaker:\n"), Some(defaults));
    assert_eq!(breaker("name: x\n"), None);
    assert_eq!(breaker("workload: { circuit_breaker: none }"), None);
    assert_eq!(
        breaker(
            "workload:\n  circuit_breaker: { failure_ratio: 25%, window: 2s, min_calls: 5, open_for: 1m, probes: 1 }\n"
        ),
        Some(CircuitBreaker {
            failure_ratio: 0.25,
            window: 2 * S,
            min_calls: 5,
            open_for: MIN,
            probes: 1
        })
    );
    let s = load_with(
        "workload: { circuit_breaker: {} }",
        &["workload.circuit_breaker.probes=2"],
    )
    .unwrap();
    assert_eq!(s.workload.circuit_breaker.unwrap().probes, 2);
    let s = load_with(
        "workload: { circuit_breaker: {} }",
        &["workload.circuit_breaker=none"],
    )
    .unwrap();
    assert_eq!(s.workload.circuit_breaker, None);
}

#[test]
fn bad_circuit_breaker_settings_are_shown_where_they_are_written() {
    let e = fails("workload:\n  circuit_breaker: on\n");
    assert_at(
        &e,
        2,
        20,
        "workload.circuit_breaker",
        "expected `none` or a mapping of circuit_breaker keys",
    );
    let e = fails("workload:\n  circuit_breaker: { failure_ratio: 0% }\n");
    assert_at(
        &e,
        2,
        37,
        "workload.circuit_breaker.failure_ratio",
        "above 0% and at most 100%",
    );
    let e = fails("workload:\n  circuit_breaker: { probes: 0 }\n");
    assert_at(
        &e,
        2,
        30,
        "workload.circuit_breaker.probes",
        "from 1 to 1000000, got 0",
    );
    let e = fails("workload:\n  circuit_breaker: { window: 50ms }\n");
    assert_at(
        &e,
        2,
        30,
        "workload.circuit_breaker.window",
        "multiple of 100ms",
    );
    let e = fails("workload:\n  circuit_breaker: { open_fro: 10s }\n");
    assert_at(
        &e,
        2,
        22,
        "workload.circuit_breaker.open_fro",
        "did you mean `open_for`?",
    );
}

#[test]
fn autoscaling_defaults_follow_the_fleet_and_static_stability_adds_an_az() {
    let s = load("autoscaling: {}\n").unwrap();
    let a = s.autoscaling.as_ref().unwrap();
    assert_eq!((a.min, a.desired, a.max), (6, 6, 6));
    assert_eq!(a.grace_period, 300 * S);
    assert_eq!(a.warmup, 300 * S);
    assert_eq!(a.boot_time, s.app.boot_time);
    assert_eq!(s.fleet, vec![2, 2, 2]);
    let s = load("autoscaling: { desired: 7, max: 10 }\n").unwrap();
    assert_eq!(s.fleet, vec![3, 2, 2]);
    assert_eq!(s.autoscaling.as_ref().unwrap().min, 7);
    // N+1: 6 over 3 AZs needs 3 per AZ so that two AZs hold 6.
    let s = load("autoscaling: { static_stability: true, max: 8 }\n").unwrap();
    let a = s.autoscaling.as_ref().unwrap();
    assert_eq!((a.min, a.desired, a.max), (9, 9, 9));
    assert_eq!(s.fleet, vec![3, 3, 3]);
}

#[test]
fn autoscaling_errors_name_the_key() {
    let e = fails("autoscaling:\n  min: 5\n  max: 3\n");
    assert_at(&e, 2, 8, "autoscaling.min", "must be at most max (3)");
    let e = fails("autoscaling: { min: 2, max: 4, desired: 9 }\n");
    assert_at(
        &e,
        1,
        41,
        "autoscaling.desired",
        "between min (2) and max (4)",
    );
    let e = fails("app: { instances_per_az: 3 }\nautoscaling: { desired: 9 }\n");
    assert_eq!(e.key.as_deref(), Some("autoscaling.desired"), "{e}");
    assert!(e.message.contains("not both"), "{e}");
    let e = fails("azs: [a]\nautoscaling: { static_stability: true }\n");
    assert_eq!(
        e.key.as_deref(),
        Some("autoscaling.static_stability"),
        "{e}"
    );
    let e = fails("autoscaling: { helth_check: elb }\n");
    assert!(e.message.contains("did you mean `health_check`"), "{e}");
    let e = fails("autoscaling: { health_check: alb }\n");
    assert!(e.message.contains("`ec2`, `elb`"), "{e}");
    let e = fails(
        "autoscaling:\n  policy:\n    target_tracking: { target: 50% }\n    step: { scale_out: { threshold: 70% } }\n",
    );
    assert!(e.message.contains("not both"), "{e}");
    let e = fails("autoscaling: { policy: { target_tracking: { metric: cpu } } }\n");
    assert!(e.message.contains("needs a `target`"), "{e}");
    let e = fails("autoscaling: { policy: { target_tracking: { target: 150% } } }\n");
    assert_eq!(
        e.key.as_deref(),
        Some("autoscaling.policy.target_tracking.target")
    );
    let e = fails(
        "autoscaling:\n  policy:\n    step:\n      scale_out: { threshold: 70%, steps: [{ over: 10%, change: 1 }] }\n",
    );
    assert!(e.message.contains("`over: 0`"), "{e}");
    let e = fails(
        "autoscaling:\n  policy:\n    step:\n      scale_out: { threshold: 50% }\n      scale_in: { threshold: 60% }\n",
    );
    assert_eq!(
        e.key.as_deref(),
        Some("autoscaling.policy.step.scale_in.threshold")
    );
    let e = fails("duration: 10m\nautoscaling: { scheduled: [{ at: 20m, desired: 3 }] }\n");
    assert!(e.message.contains("never happen"), "{e}");
    let e = fails("autoscaling: { scheduled: [{ at: 1m }] }\n");
    assert!(e.message.contains("at least one"), "{e}");
    let e = fails("load_balancer: { max_outstanding: 0 }\n");
    assert_eq!(e.key.as_deref(), Some("load_balancer.max_outstanding"));
}

#[test]
fn instance_faults_name_the_initial_fleet_of_a_group() {
    let e = fails(
        "autoscaling: { desired: 4 }\nfaults: [{ at: 1m, kind: instance_crash, instance: c-2 }]\n",
    );
    // 4 over 3 AZs: 2, 1, 1.
    assert!(
        e.message
            .contains("AZ `c` has 1 instance at the start, `c-1`"),
        "{e}"
    );
    let s = load(
        "autoscaling: { desired: 4 }\nfaults: [{ at: 1m, kind: instance_crash, instance: b-1 }]\n",
    )
    .unwrap();
    assert_eq!(s.instance_name(2), "b-1");
    assert_eq!(s.instance_name(3), "c-1");
    assert_eq!(s.instance_id(2, 0), 3);
}

#[test]
fn monitoring_alarms_resolve_in_both_styles() {
    use failover_sim::scenario::{AlarmMetric, Cmp, MissingData, Rule, Statistic};
    let s = load(
        "monitoring:\n  scrape_interval: 15s\n  alarms:\n    - { name: errs, metric: success_ratio, threshold: \"< 99.5%\", period: 5m, evaluation_periods: 3, datapoints_to_alarm: 2, treat_missing_data: breaching }\n    - { name: slow, metric: latency, statistic: p90, threshold: \">= 250ms\", for: 2m, range: 5m }\n",
    )
    .unwrap();
    let m = &s.monitoring;
    assert_eq!(m.scrape_interval, 15 * S);
    assert_eq!(m.evaluation_interval, MIN, "Prometheus' default");
    let a = &m.alarms[0];
    assert_eq!(
        (a.metric, a.cmp, a.threshold),
        (AlarmMetric::SuccessRatio, Cmp::Lt, 0.995)
    );
    assert_eq!(
        a.rule,
        Rule::CloudWatch {
            period: 5 * MIN,
            evaluation_periods: 3,
            datapoints: 2,
            missing: MissingData::Breaching
        }
    );
    let b = &m.alarms[1];
    assert_eq!(b.statistic, Statistic::Percentile(90));
    assert_eq!((b.cmp, b.threshold), (Cmp::Ge, 0.25));
    assert_eq!(
        b.rule,
        Rule::Prometheus {
            range: 5 * MIN,
            for_: 2 * MIN
        }
    );
    assert_eq!(b.condition(), "latency p90 >= 250ms");
    // Defaults: one period of 60 s, datapoints = evaluation periods.
    let s =
        load("monitoring: { alarms: [ { name: h, metric: healthy_hosts, threshold: '< 4' } ] }\n")
            .unwrap();
    let h = &s.monitoring.alarms[0];
    assert_eq!(h.statistic, Statistic::Minimum);
    assert_eq!(
        h.rule,
        Rule::CloudWatch {
            period: MIN,
            evaluation_periods: 1,
            datapoints: 1,
            missing: MissingData::Missing
        }
    );
    // Without a block: no alarms, the Prometheus default scrape interval.
    let s = load("name: x\n").unwrap();
    assert!(s.monitoring.alarms.is_empty());
    assert_eq!(s.monitoring.scrape_interval, MIN);
}

#[test]
fn monitoring_errors_name_the_key() {
    let alarm = |body: &str| format!("monitoring:\n  alarms:\n    - {{ {body} }}\n");
    let e = fails(&alarm("name: a, metric: sucess_ratio, threshold: '< 99%'"));
    assert_eq!(e.key.as_deref(), Some("monitoring.alarms[0].metric"), "{e}");
    assert!(e.message.contains("did you mean `success_ratio`"), "{e}");
    let e = fails(&alarm("name: a, metric: success_ratio, threshold: 99%"));
    assert!(
        e.message
            .contains("a comparison and a value, like \"< 99%\""),
        "{e}"
    );
    let e = fails(&alarm(
        "name: a, metric: success_ratio, threshold: '< 120%'",
    ));
    assert!(e.message.contains("from 0% to 100%"), "{e}");
    let e = fails(&alarm("name: a, metric: latency, threshold: '> fast'"));
    assert_eq!(
        e.key.as_deref(),
        Some("monitoring.alarms[0].threshold"),
        "{e}"
    );
    let e = fails(&alarm(
        "name: a, metric: success_ratio, threshold: '< 99%', period: 45s",
    ));
    assert!(
        e.message.contains("10s, 20s, 30s or a multiple of 60s"),
        "{e}"
    );
    let e = fails(&alarm(
        "name: a, metric: success_ratio, threshold: '< 99%', evaluation_periods: 2, datapoints_to_alarm: 3",
    ));
    assert_eq!(
        e.key.as_deref(),
        Some("monitoring.alarms[0].datapoints_to_alarm"),
        "{e}"
    );
    let e = fails(&alarm(
        "name: a, metric: success_ratio, threshold: '< 99%', period: 1m, for: 2m",
    ));
    assert!(e.message.contains("one style"), "{e}");
    let e = fails(&alarm(
        "name: a, metric: cpu, statistic: p99, threshold: '> 80%'",
    ));
    assert!(
        e.message.contains("applies to latency and healthy_hosts"),
        "{e}"
    );
    let e = fails(&alarm("name: a, metric: errors, az: a, threshold: '> 1'"));
    assert!(e.message.contains("healthy_hosts metric only"), "{e}");
    let e = fails(&alarm(
        "name: a, metric: healthy_hosts, az: z, threshold: '< 1'",
    ));
    assert_eq!(e.key.as_deref(), Some("monitoring.alarms[0].az"), "{e}");
    let e = fails(&alarm("metric: errors, threshold: '> 1'"));
    assert!(e.message.contains("needs a `name`"), "{e}");
    let e = fails(
        "monitoring:\n  alarms:\n    - { name: a, metric: errors, threshold: '> 1' }\n    - { name: a, metric: errors, threshold: '> 2' }\n",
    );
    assert_at(
        &e,
        4,
        15,
        "monitoring.alarms[1].name",
        "two alarms are named",
    );
    let e = fails("metrics: { bucket: 2s }\nmonitoring: { scrape_interval: 15s }\n");
    assert!(e.message.contains("multiple of metrics.bucket (2s)"), "{e}");
    let e = fails(&alarm(
        "name: a, metric: errors, threshold: '> 1', evaluation_period: 3",
    ));
    assert!(
        e.message.contains("did you mean `evaluation_periods`"),
        "{e}"
    );
}

#[test]
fn monitoring_defaults_follow_the_bucket_and_the_evaluation_interval() {
    use failover_sim::scenario::Rule;
    // A Prometheus rule's range defaults to one evaluation interval.
    let s = load("monitoring:\n  evaluation_interval: 10s\n  alarms: [ { name: p, metric: errors, threshold: '> 0', for: 30s } ]\n").unwrap();
    assert_eq!(
        s.monitoring.alarms[0].rule,
        Rule::Prometheus {
            range: 10 * S,
            for_: 30 * S
        }
    );
    // Defaults that are not a multiple of the bucket round up to one.
    let s = load("metrics: { bucket: 7s }\n").unwrap();
    assert_eq!(s.monitoring.scrape_interval, 63 * S);
    assert_eq!(s.monitoring.evaluation_interval, 63 * S);
    // A window the run never reaches, or one kept in too many slices.
    let e = fails(
        "duration: 10m\nmonitoring: { alarms: [ { name: p, metric: errors, threshold: '> 0', range: 1h } ] }\n",
    );
    assert!(e.message.contains("longer than the run"), "{e}");
    let e = fails(
        "duration: 2h\nmonitoring: { evaluation_interval: 7s, alarms: [ { name: p, metric: errors, threshold: '> 0', range: 1h } ] }\n",
    );
    assert_eq!(e.key.as_deref(), Some("monitoring.alarms[0].range"), "{e}");
    assert!(e.message.contains("slices"), "{e}");
    // AZ names end up in charts, SVG and terminals: no control characters.
    let e = fails("azs: [a, \"b\\u0007\"]\n");
    assert!(e.message.contains("control characters"), "{e}");
}

#[test]
fn standby_azs_default_to_none_and_resolve_to_sorted_az_indices() {
    let s = load("name: x\n").unwrap();
    assert!(s.load_balancer.standby_azs.is_empty());
    let s = load("azs: [a, b, c]\nload_balancer:\n  standby_azs: [c, b]\n").unwrap();
    assert_eq!(s.load_balancer.standby_azs, vec![1, 2]);
    let s = load("azs: [a, b]\nload_balancer: { standby_azs: [] }\n").unwrap();
    assert!(s.load_balancer.standby_azs.is_empty());
    let s = load_with("azs: [a, b]\n", &["load_balancer.standby_azs=[b]"]).unwrap();
    assert_eq!(s.load_balancer.standby_azs, vec![1]);
}

#[test]
fn standby_azs_are_checked_at_their_line() {
    let e = fails("azs: [a, b]\nload_balancer:\n  standby_azs: [b, z]\n");
    assert_at(
        &e,
        3,
        20,
        "load_balancer.standby_azs[1]",
        "unknown AZ `z`, expected one of `a`, `b`",
    );
    let e = fails("azs: [a, b, c]\nload_balancer:\n  standby_azs: [c, b, c]\n");
    assert_at(
        &e,
        3,
        23,
        "load_balancer.standby_azs[2]",
        "AZ `c` is listed twice",
    );
    let e = fails("azs: [a, b]\nload_balancer:\n  standby_azs: [b, a]\n");
    assert_at(
        &e,
        3,
        16,
        "load_balancer.standby_azs",
        "lists every AZ (`a`, `b`): at least one must stay active",
    );
    let e = fails("azs: [a, b]\nload_balancer:\n  cross_zone: false\n  standby_azs: [b]\n");
    assert_at(
        &e,
        4,
        16,
        "load_balancer.standby_azs",
        "needs `load_balancer.cross_zone: true`",
    );
    let e = fails("azs: [a, b]\nload_balancer:\n  standby_azs: b\n");
    assert_eq!(e.key.as_deref(), Some("load_balancer.standby_azs"), "{e}");
    assert_eq!(e.line, Some(3), "{e}");
    let e = fails_with(
        "azs: [a, b]\nload_balancer: { cross_zone: false }\n",
        &["load_balancer.standby_azs=[b]"],
    );
    assert_on_set(
        &e,
        "load_balancer.standby_azs=[b]",
        Some("load_balancer.standby_azs"),
        "cross_zone: true",
    );
}

#[test]
fn a_multi_writer_database_gets_two_async_writers_and_a_hot_key_space_by_default() {
    let db = load("database: { mode: multi_writer }\n")
        .unwrap()
        .database
        .unwrap();
    assert_eq!(db.mode, DbMode::MultiWriter);
    assert_eq!(db.replication, Replication::Async, "the only setting");
    assert_eq!((db.writers, db.keys), (2, 100_000));
    assert_eq!((db.node_count(), db.standbys()), (2, 0));
    // Every AZ may hold a writer, from primary_az on.
    let db = load("database: { mode: multi_writer, writers: 3, keys: 1, primary_az: b }\n")
        .unwrap()
        .database
        .unwrap();
    assert_eq!((db.writers, db.keys, db.node_az(2, 3)), (3, 1, 0));
    // Endpoint keys are ignored (each app instance reaches its writer
    // directly), so one file can flip `mode` between designs.
    assert!(
        load("database: { mode: multi_writer, endpoint: proxy, dns_ttl: 5s, promotion: 1m }\n")
            .is_ok()
    );
}

#[test]
fn a_multi_writer_database_refuses_sync_replication() {
    let e = fails("database:\n  mode: multi_writer\n  replication: sync\n");
    assert_at(
        &e,
        3,
        16,
        "database.replication",
        "synchronous multi-writer replication would need distributed write certification",
    );
    let e = fails_with(
        "database:\n  mode: multi_writer\n",
        &["database.replication=sync"],
    );
    assert_on_set(
        &e,
        "database.replication=sync",
        Some("database.replication"),
        "mode `multi_writer` replicates asynchronously",
    );
}

#[test]
fn multi_writer_writers_and_keys_are_checked() {
    let e = fails("database:\n  mode: multi_writer\n  writers: 4\n");
    assert_at(
        &e,
        3,
        12,
        "database.writers",
        "from 2 to 3, got 4 (one writer per AZ, and the scenario has 3 AZs)",
    );
    let e = fails("database:\n  mode: multi_writer\n  writers: 1\n");
    assert_at(&e, 3, 12, "database.writers", "from 2 to 3, got 1");
    let e = fails("database:\n  mode: multi_writer\n  keys: 0\n");
    assert_at(&e, 3, 9, "database.keys", "from 1 to 10000000, got 0");
    let e = fails("database:\n  mode: multi_writer\n  keys: 20000000\n");
    assert_at(
        &e,
        3,
        9,
        "database.keys",
        "from 1 to 10000000, got 20000000",
    );
    let e = fails("azs: [a]\ndatabase:\n  mode: multi_writer\n");
    assert_at(
        &e,
        3,
        9,
        "database.mode",
        "mode `multi_writer` needs at least two AZs",
    );
    // Single-primary modes have one writer: the keys would mislead.
    let e = fails("database:\n  writers: 2\n");
    assert_at(
        &e,
        2,
        3,
        "database.writers",
        "`writers` applies to `mode: multi_writer` only; mode `multi_az` has one writer",
    );
    let e = fails("database:\n  mode: aurora\n  keys: 10\n");
    assert_at(
        &e,
        3,
        3,
        "database.keys",
        "`keys` applies to `mode: multi_writer` only",
    );
    let e = fails("database:\n  mode: multi_writer\n  read_replicas: 1\n");
    assert_at(
        &e,
        3,
        3,
        "database.read_replicas",
        "every writer of a `multi_writer` database also serves reads",
    );
    let e = fails(
        "database: { mode: multi_writer }\nfaults:\n  - { at: 1m, kind: db_standby_failure }\n",
    );
    assert_at(
        &e,
        3,
        21,
        "faults[0].kind",
        "need a standby (a failover target), but a `multi_writer` database has none",
    );
}

#[test]
fn description_and_lesson_take_english_or_a_mapping_of_languages() {
    let s = load("description: One line.\nlesson: Look at the dip.\n").unwrap();
    assert_eq!(
        (s.description.as_str(), s.lesson.as_str()),
        ("One line.", "Look at the dip.")
    );
    assert_eq!(
        s.texts(true).lesson,
        "Look at the dip.",
        "no Korean: English"
    );
    let s =
        load("description: { en: One line., ko: 한 줄. }\nlesson:\n  en: Look.\n  ko: 보세요.\n")
            .unwrap();
    assert_eq!(s.description, "One line.");
    assert_eq!(s.texts(true).description, "한 줄.");
    assert_eq!(s.texts(true).lesson, "보세요.");
    assert_eq!(s.texts(false).lesson, "Look.");
    // Korean alone has nothing to fall back to.
    let e = fails("lesson: { ko: 보세요. }\n");
    assert_at(&e, 1, 1, "lesson.en", "give the English text too");
    // A language the tool does not speak, or a list, is a shape error.
    let e = fails("lesson: { en: Look., fr: Regardez. }\n");
    assert_eq!(e.line, Some(1), "{e}");
    assert!(e.message.contains("unknown key `fr`"), "{e}");
    let e = fails("description: [a, b]\n");
    assert!(e.message.contains("mapping of languages"), "{e}");
    // `--set` reaches one language.
    let s = load_with(
        "lesson: { en: Look., ko: 보세요. }\n",
        &["lesson.ko=다시 보세요."],
    )
    .unwrap();
    assert_eq!(s.korean.lesson, "다시 보세요.");
}

// ---- regions and Route 53 failover ---------------------------------------

const REGIONS: &str = "\
azs: [e1, e2, w1]
regions:
  east: [e1, e2]
  west: [w1]
dns: { primary: east, ttl: 30s, health_check: { interval: 10s, failure_threshold: 2 } }
app: { instances_per_az: { e1: 3, e2: 3, w1: 1 } }
database: { mode: multi_az, standby_az: w1 }
faults:
  - { at: 1m, kind: region_outage, region: east }
";

#[test]
fn regions_dns_per_az_fleet_and_standby_az_map_to_typed_values() {
    let s = load(REGIONS).unwrap();
    assert_eq!(
        s.regions,
        vec![
            Region {
                name: "east".into(),
                azs: vec![0, 1],
                client_latency: 0,
            },
            Region {
                name: "west".into(),
                azs: vec![2],
                client_latency: 0,
            },
        ]
    );
    assert_eq!(
        s.dns,
        Some(Dns {
            primary: 0,
            secondary: 1,
            ttl: 30 * S,
            interval: 10 * S,
            failure_threshold: 2,
        })
    );
    assert_eq!(s.fleet, vec![3, 3, 1]);
    assert_eq!(s.database.as_ref().unwrap().standby_az, Some(2));
    assert_eq!(s.faults[0].kind, FaultKind::RegionOutage { region: 0 });
    // Route 53 defaults: 30 s probes, threshold 3, the ELB's 60 s TTL.
    let d = load(&REGIONS.replace(
        "dns: { primary: east, ttl: 30s, health_check: { interval: 10s, failure_threshold: 2 } }",
        "dns: { primary: west }",
    ))
    .unwrap()
    .dns
    .unwrap();
    assert_eq!((d.primary, d.secondary), (1, 0));
    assert_eq!(
        (d.ttl, d.interval, d.failure_threshold),
        (60 * S, 30 * S, 3)
    );
}

#[test]
fn an_az_in_two_regions_or_in_none_is_rejected() {
    let e = fails(&REGIONS.replace("  west: [w1]", "  west: [w1, e2]"));
    assert_at(
        &e,
        4,
        14,
        "regions.west[1]",
        "AZ `e2` is listed in region `east` already",
    );
    let e = fails(&REGIONS.replace("  west: [w1]", "  west: [w1, w1]"));
    assert_at(&e, 4, 14, "regions.west[1]", "listed twice in this region");
    let e = fails(&REGIONS.replace("  west: [w1]", "  west: [w2]"));
    assert_at(&e, 4, 10, "regions.west[0]", "unknown AZ `w2`");
    let e = fails(&REGIONS.replace("  west: [w1]\n", ""));
    assert_at(&e, 2, 1, "regions", "AZ `w1` is in no region");
}

#[test]
fn dns_needs_regions_and_names_known_ones() {
    let e = fails(&REGIONS.replace("regions:\n  east: [e1, e2]\n  west: [w1]\n", ""));
    assert_at(&e, 2, 1, "dns", "add a `regions:` block");
    let e = fails(&REGIONS.replace("primary: east", "primary: eats"));
    assert_at(
        &e,
        5,
        17,
        "dns.primary",
        "unknown region `eats`, expected one of `east`, `west`; did you mean `east`?",
    );
    let e = fails(&REGIONS.replace("dns: {", "dns: { routing: latency,"));
    assert_at(
        &e,
        5,
        17,
        "dns.routing",
        "only Route 53 failover routing is modelled",
    );
    let e = fails(&REGIONS.replace("interval: 10s", "interval: 20s"));
    assert_at(
        &e,
        5,
        59,
        "dns.health_check.interval",
        "every 10s (fast) or 30s",
    );
    let e = fails(&REGIONS.replace("failure_threshold: 2", "failure_threshold: 11"));
    assert_at(&e, 5, 83, "dns.health_check.failure_threshold", "11");
    let e = fails(&REGIONS.replace("region: east", "region: south"));
    assert_at(&e, 9, 44, "faults[0].region", "unknown region `south`");
    let e = fails("azs: [a, b]\nfaults:\n  - { at: 1m, kind: region_outage, region: east }\n");
    assert_at(&e, 3, 21, "faults[0].kind", "need a `regions:` block");
}

#[test]
fn per_az_fleet_and_standby_az_are_checked() {
    let e = fails(&REGIONS.replace("w1: 1 }", "w2: 1 }"));
    assert_at(&e, 6, 42, "app.instances_per_az.w2", "unknown AZ `w2`");
    let e = fails(&REGIONS.replace(", w1: 1 }", " }"));
    assert_at(
        &e,
        6,
        8,
        "app.instances_per_az",
        "gives no count for AZ `w1`",
    );
    let e = fails(&REGIONS.replace("w1: 1 }", "w1: -1 }"));
    assert_at(&e, 6, 46, "app.instances_per_az.w1", "-1");
    let e = fails(&REGIONS.replace("standby_az: w1", "standby_az: e1"));
    assert_at(
        &e,
        7,
        41,
        "database.standby_az",
        "must differ from the primary's AZ (`e1`)",
    );
    let e = fails(&REGIONS.replace("multi_az, standby_az", "single, standby_az"));
    assert_at(&e, 7, 27, "database.standby_az", "no standby to place");
    let e = fails(&format!("{REGIONS}autoscaling: {{ min: 2 }}\n"));
    assert_at(&e, 10, 1, "autoscaling", "lives in one region");
}

#[test]
fn region_latency_names_known_regions() {
    let with = |extra: &str| REGIONS.replace("dns: {", &format!("{extra}\ndns: {{"));
    let s = load(&with("region_latency: { west: 35ms }")).unwrap();
    assert_eq!(s.regions[1].client_latency, 35 * MS);
    assert_eq!(s.regions[0].client_latency, 0);
    let e = fails(&with("region_latency: { wset: 35ms }"));
    assert_at(&e, 5, 19, "region_latency.wset", "unknown region `wset`");
    let e = fails(&with("region_latency: { west: fast }"));
    assert_at(&e, 5, 25, "region_latency.west", "fast");
    let e = fails("azs: [a, b]\nregion_latency: { a: 35ms }\n");
    assert_at(&e, 2, 1, "region_latency", "add a `regions:` block");
}

#[test]
fn health_check_none_turns_the_checks_off_in_the_file_and_with_set() {
    let s = load("load_balancer:\n  health_check: none\n").unwrap();
    assert_eq!(s.load_balancer.health_check, None);
    let s = load_with(
        "load_balancer:\n  health_check: { interval: 10s }\n",
        &["load_balancer.health_check=none"],
    )
    .unwrap();
    assert_eq!(s.load_balancer.health_check, None);
    // The mapping form is unchanged.
    let s = load("load_balancer:\n  health_check: { interval: 10s }\n").unwrap();
    assert_eq!(s.load_balancer.health_check.unwrap().interval, 10 * S);
}

#[test]
fn health_check_none_is_checked_at_its_line() {
    let e = fails("load_balancer:\n  health_check: off\n");
    assert_at(
        &e,
        2,
        17,
        "load_balancer.health_check",
        "expected `none` or a mapping of health_check keys",
    );
    // An ELB-checked group would have no verdict to read.
    let e = fails(
        "load_balancer:\n  health_check: none\nautoscaling:\n  min: 6\n  health_check: elb\n",
    );
    assert_at(
        &e,
        5,
        17,
        "autoscaling.health_check",
        "`elb` needs the load balancer's health checks",
    );
    assert!(
        load("load_balancer: { health_check: none }\nautoscaling: { health_check: ec2 }\n").is_ok()
    );
    // Nothing would ever fail over to a standby.
    let e = fails("azs: [a, b]\nload_balancer:\n  standby_azs: [b]\n  health_check: none\n");
    assert_at(
        &e,
        4,
        17,
        "load_balancer.health_check",
        "`none` cannot go with `load_balancer.standby_azs`",
    );
}

#[test]
fn standby_mode_defaults_to_warm_and_cold_takes_a_start_delay() {
    let s = load("azs: [a, b]\nload_balancer: { standby_azs: [b] }\n").unwrap();
    assert_eq!(s.load_balancer.standby_mode, StandbyMode::Warm);
    let s = load("azs: [a, b]\nload_balancer: { standby_azs: [b], standby_mode: cold }\n").unwrap();
    assert_eq!(
        s.load_balancer.standby_mode,
        StandbyMode::Cold {
            start_delay: 60 * S
        }
    );
    let s = load_with(
        "azs: [a, b]\nload_balancer: { standby_azs: [b] }\n",
        &[
            "load_balancer.standby_mode=cold",
            "load_balancer.standby_start_delay=2m",
        ],
    )
    .unwrap();
    assert_eq!(
        s.load_balancer.standby_mode,
        StandbyMode::Cold {
            start_delay: 2 * MIN
        }
    );
}

#[test]
fn standby_mode_and_start_delay_are_checked_at_their_line() {
    let e = fails("azs: [a, b]\nload_balancer:\n  standby_azs: [b]\n  standby_mode: hot\n");
    assert_at(
        &e,
        4,
        17,
        "load_balancer.standby_mode",
        "expected one of `warm`, `cold`",
    );
    let e = fails("azs: [a, b]\nload_balancer:\n  standby_mode: cold\n");
    assert_at(
        &e,
        3,
        17,
        "load_balancer.standby_mode",
        "applies only with standby AZs",
    );
    let e = fails("azs: [a, b]\nload_balancer:\n  standby_azs: [b]\n  standby_start_delay: 30s\n");
    assert_at(
        &e,
        4,
        24,
        "load_balancer.standby_start_delay",
        "applies only to a cold standby",
    );
    let e = fails(
        "azs: [a, b]\nload_balancer:\n  standby_azs: [b]\n  standby_mode: cold\n  standby_start_delay: soon\n",
    );
    assert_at(
        &e,
        5,
        24,
        "load_balancer.standby_start_delay",
        "expected a duration",
    );
    let e = fails(
        "azs: [a, b]\nload_balancer:\n  standby_azs: [b]\n  standby_mode: cold\nautoscaling:\n  min: 4\n",
    );
    assert_at(
        &e,
        4,
        17,
        "load_balancer.standby_mode",
        "a cold standby with an Auto Scaling Group is not modelled",
    );
}
