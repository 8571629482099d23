//! Property tests (issue 9, hardening): the scenario loader and `--set`
//! parsing never panic and every error names a place; the engine's time
//! never goes backwards, requests are conserved and a seed gives the same
//! run. The loader checks are the `loader` fuzz target's
//! (tests/loader_check), which also replay tests/fuzz-regressions/.
//!
//! Deterministic: every property runs from a fixed RNG seed and writes no
//! proptest-regressions file; a failure prints its shrunk input, which
//! belongs in tests/fuzz-regressions/ (loader) or in a test of its own.
//!
//! Case counts: the whole file runs in about 1.5 s on the 2-core machine
//! with the test profile (opt-level 3, debug assertions), well within the
//! suite's budget of ~40 s. A loader case is a fraction of a millisecond
//! (most texts fail early; those that load run a capped simulation), an
//! engine case three runs of at most 4 simulated seconds at no more than
//! 300 requests a second, under a millisecond each. Ten times the cases
//! took about 10 s; searching further is the fuzzer's job (fuzz/README.md).

mod loader_check;

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use failover_sim::metrics::NullSink;
use failover_sim::{Summary, load_str, simulate};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};

/// A fixed seed per property; no failure file.
fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// Loader: generated scenario texts and `--set` arguments.

/// Sections and the keys they take (with a few misspellings).
const SECTIONS: &[(&str, &[&str])] = &[
    (
        "workload",
        &[
            "rate",
            "timeout",
            "retries",
            "retry_backoff",
            "arrival",
            "backoff",
            "backoff_cap",
            "jitter",
            "pattern",
            "users",
            "queries",
            "write_fraction",
            "connect_timeout",
            "retry_budget",
            "circuit_breaker",
            "rat",
        ],
    ),
    (
        "app",
        &[
            "instances_per_az",
            "workers",
            "queue_capacity",
            "service_time",
            "boot_time",
            "failures",
            "sessions",
        ],
    ),
    (
        "load_balancer",
        &[
            "algorithm",
            "cross_zone",
            "fail_open",
            "health_check",
            "deregistration_delay",
            "dns_ttl",
            "standby_azs",
            "standby_mode",
            "max_outstanding",
        ],
    ),
    ("network", &["latency", "region_latency"]),
    ("metrics", &["bucket", "window", "threshold"]),
    (
        "database",
        &[
            "mode",
            "replication",
            "replication_lag",
            "workers",
            "queue_capacity",
            "query_time",
            "detection",
            "promotion",
            "primary_az",
            "standby_az",
            "read_replicas",
            "reads",
            "writers",
            "keys",
            "endpoint",
            "failures",
        ],
    ),
    (
        "autoscaling",
        &[
            "min",
            "max",
            "desired",
            "health_check",
            "grace_period",
            "policy",
            "scheduled",
            "metric_period",
        ],
    ),
    (
        "monitoring",
        &["scrape_interval", "evaluation_interval", "alarms"],
    ),
    (
        "cache",
        &["replica", "hit_ratio", "warm_time", "failover_time"],
    ),
    ("session_store", &["replica", "failover_time", "primary_az"]),
    ("dns", &["primary", "secondary", "ttl", "interval"]),
    ("sweep", &["seeds", "params", "sed"]),
    ("variants", &["a", "b", "active-passive"]),
    (
        "expect",
        &[
            "availability",
            "dropped",
            "p99_ms",
            "recovered",
            "failover_latency_s",
            "a",
        ],
    ),
];

/// Top-level keys with a scalar or list value.
const TOP: &[&str] = &[
    "name",
    "seed",
    "duration",
    "warmup",
    "azs",
    "description",
    "regions",
    "nam",
];

/// Keys of one fault.
const FAULT_KEYS: &[&str] = &[
    "at", "kind", "az", "duration", "instance", "extra", "region", "a",
];

/// Edge values, written as they would be in a file.
const EDGES: &[&str] = &[
    "0",
    "1",
    "-1",
    "3",
    "65535",
    "65536",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "1e309",
    "-1e309",
    "0.5",
    "1e-320",
    ".nan",
    ".inf",
    "-.inf",
    "0s",
    "1ns",
    "1s",
    "100ms",
    "500us",
    "5m",
    "2h",
    "-1s",
    "1e400s",
    "99999999999h",
    "18446744073709551615ns",
    "1.5ms",
    "1000/s",
    "5/m",
    "0.1/s",
    "/s",
    "-5/s",
    "1e300/s",
    "50%",
    "150%",
    "-5%",
    "100%",
    "true",
    "false",
    "null",
    "~",
    "a",
    "b",
    "c",
    "z",
    "az_outage",
    "instance_crash",
    "instance_hang",
    "latency",
    "region_outage",
    "db_primary_failure",
    "cache_failure",
    "a-1",
    "b-2",
    "z-99",
    "a-0",
    "a-99999999999999999999",
    "poisson",
    "constant",
    "lognormal",
    "exponential",
    "\"quoted\"",
    "'single'",
    "é",
    "日本",
    "🦀",
    "\u{202e}x",
    "[]",
    "{}",
    "\">= 99.9%\"",
    "\"== 0\"",
    "\"<= 1m\"",
    "\"> x\"",
    "&x 1s",
    "*x",
    "!!binary aGk=",
];

/// A value in a file: an edge, a random number (with a unit or not) or
/// text (quoted, or raw and maybe breaking the syntax).
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(EDGES).prop_map(str::to_string),
        2 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|x| format!("{x}")),
        2 => (any::<u32>(), prop::sample::select(&["ns", "us", "ms", "s", "m", "h", "/s", "%", "x"][..]))
            .prop_map(|(n, u)| format!("{n}{u}")),
        1 => "\\PC{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        1 => "[^\n]{0,10}",
    ]
}

/// A value: scalar, or a flow list or mapping of values, nested.
fn value() -> impl Strategy<Value = String> {
    scalar().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec(
                (
                    prop::sample::select(FAULT_KEYS).prop_map(str::to_string),
                    inner
                ),
                0..4
            )
            .prop_map(|kv| {
                let items: Vec<String> = kv.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{{{}}}", items.join(", "))
            }),
        ]
    })
}

/// One top-level entry of a file, in block style.
fn entry() -> impl Strategy<Value = String> {
    let section = prop::sample::select(SECTIONS).prop_flat_map(|(name, keys)| {
        prop::collection::vec((prop::sample::select(keys), value()), 0..5).prop_map(move |kv| {
            let mut out = format!("{name}:\n");
            for (k, v) in kv {
                out.push_str(&format!("  {k}: {v}\n"));
            }
            out
        })
    });
    let top = (prop::sample::select(TOP), value()).prop_map(|(k, v)| format!("{k}: {v}\n"));
    let fault =
        prop::collection::vec((prop::sample::select(FAULT_KEYS), scalar()), 1..5).prop_map(|kv| {
            let items: Vec<String> = kv.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            format!("  - {{{}}}\n", items.join(", "))
        });
    let faults =
        prop::collection::vec(fault, 0..4).prop_map(|f| format!("faults:\n{}", f.concat()));
    prop_oneof![4 => section, 3 => top, 2 => faults]
}

/// A scenario text: a few entries, sometimes with a well-formed base.
fn scenario_text() -> impl Strategy<Value = String> {
    let base = "duration: 2s\nazs: [a, b]\nworkload: {rate: 100/s}\n";
    (any::<bool>(), prop::collection::vec(entry(), 0..6)).prop_map(move |(with_base, entries)| {
        let mut text = if with_base {
            base.to_string()
        } else {
            String::new()
        };
        text.push_str(&entries.concat());
        text
    })
}

/// A `--set` argument: known, misspelt or odd key paths, with or without
/// `=` and a value.
fn set_arg() -> impl Strategy<Value = String> {
    const KEYS: &[&str] = &[
        "workload.rate",
        "workload.retries",
        "duration",
        "warmup",
        "seed",
        "azs",
        "app.workers",
        "app.instances_per_az",
        "app.instances_per_az.a",
        "faults[0].at",
        "faults[3].at",
        "faults.0.kind",
        "faults[1]",
        "faults[0][0]",
        "faults[99999999999999].at",
        "faults[18446744073709551616].at",
        "faults[-1].at",
        "faults[].at",
        "load_balancer.health_check.interval",
        "load_balancer.health_check",
        "database.mode",
        "sweep.seeds",
        "variants.a",
        "expect.availability",
        "workload.rat",
        "a..b",
        "a.",
        ".a",
        "[0]",
        "0",
        "",
        " ",
        "workload]",
        "é",
    ];
    let key = prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => "[a-z_.\\[\\]0-9]{0,16}",
    ];
    let value = prop_oneof![
        4 => scalar(),
        1 => value(),
        1 => prop::sample::select(&["[a,", "{x: 1", "{at: 1s, kind: az_outage, az: a}", "- a", "a: b"][..])
            .prop_map(str::to_string),
    ];
    prop_oneof![
        8 => (key.clone(), value).prop_map(|(k, v)| format!("{k}={v}")),
        1 => key,
        1 => "[^\0]{0,12}",
    ]
}

proptest! {
    // 4096 texts: most are rejected early, some load and run a capped
    // simulation; about half a second.
    #![proptest_config(config(4096, 0x9e37_79b9_7f4a_7c15))]

    #[test]
    fn generated_scenarios_never_panic_and_errors_name_a_place(
        text in scenario_text(),
        sets in prop::collection::vec(set_arg(), 0..4),
    ) {
        loader_check::check_parts(text.as_bytes(), &sets);
    }
}

proptest! {
    // 2048 mutations of the real scenario files (cut, spliced, with bytes
    // that are not UTF-8): closer to what loads, so deeper in the resolver;
    // and as many `--set` lists alone, and byte strings.
    #![proptest_config(config(2048, 0x2545_f491_4f6c_dd1d))]

    #[test]
    fn mutated_scenario_files_never_panic_and_errors_name_a_place(
        file in 0usize..64,
        cut in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        insert in prop_oneof![
            value().prop_map(String::into_bytes),
            scalar().prop_map(|s| format!("\n{s}: {s}\n").into_bytes()),
            prop::collection::vec(any::<u8>(), 0..8),
        ],
        truncate in any::<bool>(),
        sets in prop::collection::vec(set_arg(), 0..3),
    ) {
        let files = scenario_texts();
        let mut bytes = files[file % files.len()].clone();
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        let i = at.index(bytes.len() + 1);
        bytes.splice(i..i, insert);
        loader_check::check_parts(&bytes, &sets);
    }

    #[test]
    fn set_arguments_alone_never_panic_and_errors_name_a_place(
        sets in prop::collection::vec(set_arg(), 1..4),
    ) {
        loader_check::check_parts(b"duration: 2s\nazs: [a, b]\nfaults: []\n", &sets);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..256)) {
        loader_check::check_input(&data);
    }
}

/// The bytes of every scenario file of scenarios/.
fn scenario_texts() -> Vec<Vec<u8>> {
    thread_local! {
        static TEXTS: Vec<Vec<u8>> = {
            let mut files: Vec<_> = std::fs::read_dir("scenarios")
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .collect();
            files.sort();
            files.iter().map(|p| std::fs::read(p).unwrap()).collect()
        };
    }
    TEXTS.with(Clone::clone)
}

/// The fuzz target's corpus seeds pass its own checks.
#[test]
fn scenario_files_pass_the_fuzz_checks() {
    for bytes in scenario_texts() {
        loader_check::check_input(&bytes);
    }
}

/// Every input the fuzzer found (tests/fuzz-regressions/, but its README)
/// goes through the fuzz target's checks again.
#[test]
fn fuzz_regressions_replay() {
    let dir = std::path::Path::new("tests/fuzz-regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "README.md") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        eprintln!("replaying {}", path.display());
        loader_check::check_input(&data);
        n += 1;
    }
    assert!(n > 0, "no input in {}", dir.display());
}

/// The errors of a few hand-picked inputs, to show what "names a place"
/// accepts: a line, a key path or the `--set` given.
#[test]
fn place_predicate_accepts_lines_keys_and_sets_only() {
    let sets = vec!["workload.rate=fast".to_string()];
    let e = failover_sim::scenario::Source::from_bytes(
        b"duration: 1m\n".to_vec(),
        loader_check::ORIGIN,
        "x",
    )
    .unwrap()
    .load(&sets)
    .unwrap_err();
    assert_eq!(loader_check::place_problem(&e, None, &sets), None, "{e}");
    assert!(loader_check::place_problem(&e, None, &[]).is_some());
    let mut e = load_str("duration: x\n", loader_check::ORIGIN, "x", &[]).unwrap_err();
    assert_eq!(e.line, Some(1));
    assert_eq!(
        loader_check::place_problem(&e, Some("duration: x\n"), &[]),
        None
    );
    e.line = None;
    e.key = None;
    assert!(loader_check::place_problem(&e, None, &[]).is_some());
}

// ---------------------------------------------------------------------------
// Engine: small random valid scenarios.

/// One fault of a generated scenario.
#[derive(Debug, Clone)]
struct GenFault {
    kind: u8,
    /// Which AZ or instance (taken modulo what exists).
    target: usize,
    at_ms: u64,
    duration_ms: Option<u64>,
}

#[derive(Debug, Clone)]
struct GenScenario {
    azs: usize,
    instances_per_az: u32,
    workers: u32,
    queue_capacity: u32,
    rate: u32,
    duration_s: u64,
    warmup: bool,
    timeout_ms: u64,
    retries: u32,
    backoff_ms: u64,
    service_ms: u64,
    lognormal: bool,
    interval_s: u64,
    algorithm: bool,
    seed: u64,
    faults: Vec<GenFault>,
}

fn gen_fault(duration_s: u64) -> impl Strategy<Value = GenFault> {
    let end = duration_s * 1000;
    (
        0u8..4,
        0usize..9,
        // Before the end (the loader refuses later ones), with weight on
        // the last half second.
        prop_oneof![0..end, end - 500..end],
        prop::option::of(1u64..3000),
    )
        .prop_map(|(kind, target, at_ms, duration_ms)| GenFault {
            kind,
            target,
            at_ms,
            duration_ms,
        })
}

fn gen_scenario() -> impl Strategy<Value = GenScenario> {
    (2u64..=4).prop_flat_map(|duration_s| {
        (
            (1usize..=3, 1u32..=3, 1u32..=4, 0u32..=20, 10u32..=300),
            (any::<bool>(), 20u64..=2000, 0u32..=3, 1u64..=200),
            (
                1u64..=40,
                any::<bool>(),
                2u64..=5,
                any::<bool>(),
                any::<u64>(),
            ),
            prop::collection::vec(gen_fault(duration_s), 0..=5),
        )
            .prop_map(
                move |(
                    (azs, instances_per_az, workers, queue_capacity, rate),
                    (warmup, timeout_ms, retries, backoff_ms),
                    (service_ms, lognormal, interval_s, algorithm, seed),
                    faults,
                )| GenScenario {
                    azs,
                    instances_per_az,
                    workers,
                    queue_capacity,
                    rate,
                    duration_s,
                    warmup,
                    timeout_ms,
                    retries,
                    backoff_ms,
                    service_ms,
                    lognormal,
                    interval_s,
                    algorithm,
                    seed,
                    faults,
                },
            )
    })
}

impl GenScenario {
    fn yaml(&self) -> String {
        let names = ["a", "b", "c"];
        let azs = &names[..self.azs];
        let service = if self.lognormal {
            format!(
                "{{dist: lognormal, mean: {}ms, p99: {}ms}}",
                self.service_ms,
                self.service_ms * 4
            )
        } else {
            format!("{{dist: constant, value: {}ms}}", self.service_ms)
        };
        let mut y = format!(
            "seed: {seed}\nduration: {d}s\nwarmup: {w}\nazs: [{azs}]\n\
             load_balancer:\n  algorithm: {alg}\n  health_check: {{interval: {hc}s, timeout: 1s, healthy_threshold: 2, unhealthy_threshold: 2}}\n\
             app:\n  instances_per_az: {ipa}\n  workers: {workers}\n  queue_capacity: {q}\n  service_time: {service}\n  boot_time: 1s\n\
             workload:\n  rate: {rate}/s\n  timeout: {to}ms\n  retries: {retries}\n  retry_backoff: {bo}ms\n",
            seed = self.seed,
            d = self.duration_s,
            w = if self.warmup { "1s" } else { "0s" },
            azs = azs.join(", "),
            alg = if self.algorithm {
                "round_robin"
            } else {
                "least_outstanding"
            },
            hc = self.interval_s,
            ipa = self.instances_per_az,
            workers = self.workers,
            q = self.queue_capacity,
            rate = self.rate,
            to = self.timeout_ms,
            retries = self.retries,
            bo = self.backoff_ms,
        );
        if !self.faults.is_empty() {
            y.push_str("faults:\n");
        }
        let n = self.instances_per_az as usize;
        for f in &self.faults {
            let az = azs[f.target % azs.len()];
            let instance = format!("{az}-{}", f.target % n + 1);
            let what = match f.kind {
                0 => format!("kind: az_outage, az: {az}"),
                1 => format!("kind: instance_crash, instance: {instance}"),
                2 => format!("kind: instance_hang, instance: {instance}"),
                _ if f.target % 2 == 0 => format!("kind: latency, az: {az}, extra: 300ms"),
                _ => format!("kind: latency, instance: {instance}, extra: 1s"),
            };
            let duration = f
                .duration_ms
                .map(|d| format!(", duration: {d}ms"))
                .unwrap_or_default();
            y.push_str(&format!("  - {{at: {}ms, {what}{duration}}}\n", f.at_ms));
        }
        y
    }
}

/// A trace writer whose bytes the test reads after the run.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// summary.json's text and the trace of one run, after checking the run's
/// invariants and conservation.
fn run(s: &failover_sim::Scenario) -> (String, Vec<u8>) {
    let trace = Shared::default();
    let out = simulate(s, Box::new(NullSink), Some(Box::new(trace.clone())));
    assert!(out.invariants.hold(), "{:?}", out.invariants.violations);
    let summary = Summary::new(s, &out);
    let r = &summary.requests;
    assert_eq!(
        r.total,
        r.succeeded + r.dropped.total + r.in_flight,
        "conservation: issued = succeeded + dropped + in flight"
    );
    let json = serde_json::to_string_pretty(&summary).unwrap();
    let bytes = trace.0.borrow().clone();
    (json, bytes)
}

/// The `t_s` of every trace line, in order.
fn trace_times(trace: &[u8]) -> Vec<f64> {
    std::str::from_utf8(trace)
        .unwrap()
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            v["t_s"].as_f64().unwrap()
        })
        .collect()
}

proptest! {
    // 512 scenarios, each run three times (2-4 simulated seconds, at most
    // 300 requests a second, 9 instances): under a second.
    #![proptest_config(config(512, 0x5851_f42d_4c95_7f2d))]

    /// Time never goes backwards (trace times; the scheduler also
    /// debug-asserts it at every event), requests are conserved, the same
    /// seed gives byte-identical summary.json and trace, and another seed
    /// conserves too.
    #[test]
    fn engine_time_conservation_and_determinism(g in gen_scenario()) {
        let yaml = g.yaml();
        let mut s = load_str(&yaml, "gen.yaml", "gen", &[])
            .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        let (summary, trace) = run(&s);
        let times = trace_times(&trace);
        prop_assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "trace times go backwards: {times:?}"
        );
        prop_assert!(times.iter().all(|&t| t <= g.duration_s as f64));
        let (again, trace_again) = run(&s);
        prop_assert_eq!(&summary, &again, "same seed, different summary.json");
        prop_assert!(trace == trace_again, "same seed, different trace");
        s.seed = s.seed.wrapping_add(1);
        run(&s);
    }
}
