//! The real `sim` binary: outputs, determinism, and errors a user can cause.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

fn sim() -> Command {
    Command::cargo_bin("sim").expect("sim binary")
}

/// A short run of the instance-failure scenario into `out`.
fn run_into(out: &Path, extra: &[&str]) -> std::process::Output {
    sim()
        .args([
            "run",
            "scenarios/instance-failure.yaml",
            "--set",
            "duration=7m",
        ])
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("runs")
}

#[test]
fn run_writes_summary_timeseries_and_trace() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_into(dir.path(), &["--trace"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run = dir.path().join("instance-failure");
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    for key in [
        "scenario",
        "seed",
        "requests",
        "availability",
        "latency_ms",
        "faults",
        "events_processed",
    ] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    for key in ["total", "succeeded", "dropped"] {
        assert!(summary["requests"].get(key).is_some());
    }
    // No standby AZ: the standby figures are there, and zero.
    let cost = &summary["cost"];
    assert!(cost["instance_hours"].as_f64().unwrap() > 0.0, "{cost}");
    for key in ["standby_instance_hours", "idle_standby_hours"] {
        assert_eq!(cost[key].as_f64(), Some(0.0), "{cost}");
    }
    let fault = &summary["faults"][0];
    for key in [
        "kind",
        "start_s",
        "detected_s",
        "recovered_s",
        "failover_latency_s",
        "masked",
        "dropped",
    ] {
        assert!(fault.get(key).is_some(), "fault lacks {key}");
    }
    assert_eq!(summary["seed"], 7);
    let csv = fs::read_to_string(run.join("timeseries.csv")).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("t_start_s,t_end_s,issued,succeeded,dropped,"));
    assert!(header.ends_with("healthy_a,healthy_b,healthy_c,cpu"));
    assert_eq!(lines.count(), 7 * 60);
    let events = fs::read_to_string(run.join("events.jsonl")).unwrap();
    assert!(events.lines().any(|l| l.contains("instance_crash")));
    // No temporary files are left behind.
    let names: Vec<String> = fs::read_dir(&run)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("seed 7"), "{stdout}");
    assert!(stdout.contains("availability"));
}

/// The data tier's outputs: its summary sections, CSV columns and trace
/// lines, byte-identical across two runs of the same seed.
#[test]
fn a_data_tier_run_reports_database_cache_and_sessions_deterministically() {
    let run = |out: &Path| {
        let o = sim()
            .args([
                "run",
                "scenarios/cache-failure.yaml",
                "--set",
                "duration=5m",
                "--set",
                "app.sessions=sticky",
                "--set",
                "faults=[{at: 2m, kind: cache_failure, duration: 1m}, {at: 3m, kind: db_primary_failure}]",
                "--trace",
            ])
            .arg("--out")
            .arg(out)
            .output()
            .expect("runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        out.join("cache-failure")
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ra, rb) = (run(a.path()), run(b.path()));
    for f in ["summary.json", "timeseries.csv", "events.jsonl"] {
        assert_eq!(
            fs::read(ra.join(f)).unwrap(),
            fs::read(rb.join(f)).unwrap(),
            "{f}"
        );
    }
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(ra.join("summary.json")).unwrap()).unwrap();
    let db = &summary["database"];
    assert_eq!(db["mode"], "multi_az");
    assert_eq!(db["failovers"].as_array().unwrap().len(), 1);
    for key in [
        "start_s",
        "detected_s",
        "promoted_s",
        "endpoint_switched_s",
        "lost_writes",
    ] {
        assert!(
            db["failovers"][0].get(key).is_some(),
            "failover lacks {key}"
        );
    }
    assert_eq!(db["lost_writes"], 0);
    assert!(summary["cache"]["misses"].as_u64().unwrap() > 0);
    assert_eq!(summary["sessions"], "sticky");
    assert!(summary.get("sessions_lost").is_some());
    assert!(
        summary["requests"]["dropped"]["db_unavailable"]
            .as_u64()
            .unwrap()
            > 0
    );
    let csv = fs::read_to_string(ra.join("timeseries.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.contains(",dropped_db_unavailable,dropped_session_lost,"));
    assert!(header.ends_with(
        "db_calls,db_calls_failed,db_success_ratio,db_write_errors,db_queries,\
         cache_hits,cache_misses,cache_hit_ratio,sessions_lost,cpu"
    ));
    let events = fs::read_to_string(ra.join("events.jsonl")).unwrap();
    assert!(events.contains(r#""event":"db_failover","phase":"promoted""#));
    assert!(events.contains(r#""event":"store_node","store":"cache""#));
}

#[test]
fn same_seed_gives_byte_identical_summary_and_another_seed_does_not() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    assert!(run_into(a.path(), &[]).status.success());
    assert!(run_into(b.path(), &[]).status.success());
    assert!(run_into(c.path(), &["--seed", "8"]).status.success());
    let read = |d: &Path, f: &str| fs::read(d.join("instance-failure").join(f)).unwrap();
    assert_eq!(
        read(a.path(), "summary.json"),
        read(b.path(), "summary.json")
    );
    assert_eq!(
        read(a.path(), "timeseries.csv"),
        read(b.path(), "timeseries.csv")
    );
    assert_ne!(
        read(a.path(), "summary.json"),
        read(c.path(), "summary.json")
    );
}

#[test]
fn validate_accepts_the_shipped_scenarios() {
    for f in [
        "scenarios/az-outage.yaml",
        "scenarios/instance-failure.yaml",
    ] {
        sim().args(["validate", f]).assert().success();
    }
}

/// Runs `sim` with `args` in `dir` and returns its stderr after checking
/// exit code 2, a single `error:` line, and no panic.
fn user_error(dir: &Path, args: &[&str]) -> String {
    let o = sim().current_dir(dir).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(o.stdout.is_empty());
    err
}

#[test]
fn bad_input_is_one_clear_line_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |name: &str, text: &str| fs::write(d.join(name), text).unwrap();

    let e = user_error(d, &["run", "missing.yaml"]);
    assert!(
        e.contains("missing.yaml") && e.contains("No such file"),
        "{e}"
    );

    write("syntax.yaml", "name: x\nazs: [a, b\n");
    let e = user_error(d, &["run", "syntax.yaml"]);
    assert!(e.starts_with("error: syntax.yaml:3:"), "{e}");

    write("unknown.yaml", "name: x\nworkload:\n  rat: 5/s\n");
    let e = user_error(d, &["run", "unknown.yaml"]);
    assert!(e.contains("unknown.yaml:3:3"), "{e}");
    assert!(e.contains("did you mean `rate`"), "{e}");

    write("zero.yaml", "duration: 0s\n");
    let e = user_error(d, &["validate", "zero.yaml"]);
    assert!(e.contains("zero.yaml:1:") && e.contains("duration"), "{e}");

    write("negative.yaml", "workload: {timeout: -2s}\n");
    let e = user_error(d, &["validate", "negative.yaml"]);
    assert!(
        e.contains("negative.yaml:1:") && e.contains("workload.timeout"),
        "{e}"
    );

    write(
        "az.yaml",
        "azs: [a, b]\nfaults:\n  - {at: 1m, kind: az_outage, az: z}\n",
    );
    let e = user_error(d, &["run", "az.yaml"]);
    assert!(
        e.contains("az.yaml:3:") && e.contains("faults[0].az"),
        "{e}"
    );
    assert!(e.contains("`z`"), "{e}");

    write("ok.yaml", "name: ok\n");
    let e = user_error(d, &["run", "ok.yaml", "--set", "workload.rat=5/s"]);
    assert!(
        e.contains("--set workload.rat=5/s") && e.contains("did you mean `rate`"),
        "{e}"
    );

    let e = user_error(d, &["run", "ok.yaml", "--set", "nonsense"]);
    assert!(e.contains("nonsense"), "{e}");

    // An --out that is a file.
    let e = user_error(d, &["run", "ok.yaml", "--out", "ok.yaml"]);
    assert!(e.contains("ok.yaml") && e.contains("folder"), "{e}");

    // Usage errors from the argument parser also exit 2.
    let o = sim().args(["run"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bench_prints_rates_and_memory() {
    let o = sim()
        .args([
            "bench",
            "--case",
            "az-outage",
            "--repeat",
            "1",
            "--set",
            "duration=11m",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("bench az-outage: 11m simulated"), "{out}");
    assert!(out.contains("M events/s"), "{out}");
    assert!(out.contains("M requests/s"), "{out}");
    assert!(out.contains("peak memory"), "{out}");
    assert!(!out.contains("large-fleet"), "{out}");
}

#[test]
fn bench_long_run_compares_its_memory_with_a_shorter_run() {
    let o = sim()
        .args([
            "bench",
            "--case",
            "long-run",
            "--repeat",
            "1",
            "--set",
            "duration=3h",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("bench long-run: 3h simulated"), "{out}");
    if cfg!(target_os = "linux") {
        assert!(out.contains("vs duration=1h"), "{out}");
        assert!(out.contains("for 3x the simulated time"), "{out}");
    }
}

#[test]
fn bench_refuses_an_unknown_case_and_a_file_with_a_case() {
    let o = sim().args(["bench", "--case", "huge"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("large-fleet") && err.contains("long-run"),
        "{err}"
    );
    let o = sim()
        .args(["bench", "scenarios/az-outage.yaml", "--case", "long-run"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn absurd_sizes_are_refused_with_a_message_not_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("ok.yaml"), "name: ok\n").unwrap();
    for (set, fragment) in [
        ("workload.rate=1e300/s", "at most"),
        ("app.workers=4294967295", "app.workers"),
        ("metrics.window=1000d", "metrics.window"),
        (
            "app={instances_per_az: 100000, workers: 100}",
            "worker slots",
        ),
    ] {
        let e = user_error(d, &["validate", "ok.yaml", "--set", set]);
        assert!(e.contains(fragment), "{set}: {e}");
    }
}

/// `sim COMMAND scenarios/az-outage.yaml --set duration=11m ARGS... --out
/// OUT`, with `env` set.
fn short_az_outage(
    command: &str,
    args: &[&str],
    out: &str,
    env: Option<(&str, &str)>,
) -> std::process::Output {
    let mut cmd = sim();
    if let Some((k, v)) = env {
        cmd.env(k, v);
    }
    cmd.args([command, "scenarios/az-outage.yaml", "--set", "duration=11m"])
        .args(args)
        .args(["--out", out])
        .output()
        .unwrap()
}

#[test]
fn check_invariants_prints_littles_law_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = short_az_outage("run", &["--check-invariants"], out, None);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("invariants"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("Little's law") && line.ends_with("both hold"),
        "{line}"
    );
    // Under --quiet the line goes to stderr and stdout stays empty.
    let o = short_az_outage(
        "run",
        &["--check-invariants", "--quiet", "--force"],
        out,
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("invariants: L "));
}

#[test]
fn a_broken_invariant_exits_3_and_says_it_is_a_bug() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let broken = Some(("FAILOVER_SIM_BREAK_INVARIANTS", "1"));
    let o = short_az_outage("run", &[], out, broken);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("internal error: invariant failed: forced by"),
        "{err}"
    );
    assert!(
        err.contains("a bug in failover-sim") && err.contains("seed 42"),
        "{err}"
    );
    // The outputs are written, for the report.
    assert!(dir.path().join("az-outage/summary.json").exists());
    // In a sweep, that run fails (exit 1) instead of stopping the study.
    let o = short_az_outage("sweep", &["--seeds", "2", "--quiet"], out, broken);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("invariant failed"), "{err}");
}
