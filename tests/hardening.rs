//! Hostile and odd input, guardrails and safe output, through the real
//! `sim` binary: every edge case has one exact, tested behaviour (a message
//! with its place and exit code 2, or a defined result).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

fn sim() -> Command {
    Command::cargo_bin("sim").expect("sim binary")
}

/// A small scenario: 2 AZs of 2 instances, 100 req/s, 5 min.
const BASE: &str = "name: e
seed: 7
duration: 5m
warmup: 1m
azs: [a, b]
app: { instances_per_az: 2, workers: 4, service_time: { dist: exponential, mean: 20ms } }
workload: { rate: 100/s, timeout: 2s }
";

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }
    fn path(&self) -> &Path {
        self.0.path()
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path().join(name);
        fs::write(&p, text).unwrap();
        p
    }
    /// `sim ARGS` run in this folder.
    fn sim(&self, args: &[&str]) -> Output {
        sim().current_dir(self.path()).args(args).output().unwrap()
    }
    /// `sim run FILE --out out -q ARGS`, which must succeed.
    fn run_ok(&self, file: &str, args: &[&str]) -> Value {
        let o = self.sim(&[&["run", file, "--out", "out", "-q"], args].concat());
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let name = file.trim_end_matches(".yaml");
        let text = fs::read_to_string(self.path().join("out").join(name).join("summary.json"));
        serde_json::from_str(&text.unwrap()).unwrap()
    }
    /// `sim ARGS`, which must fail with exit code 2 and one error on
    /// stderr; the error.
    fn refused(&self, args: &[&str]) -> String {
        let o = self.sim(args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(o.stdout.is_empty(), "{args:?}");
        err
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn num(v: &Value, path: &str) -> f64 {
    path.split('.')
        .fold(v, |v, k| &v[k])
        .as_f64()
        .unwrap_or_else(|| panic!("{path} in {v}"))
}

// ---- edge cases --------------------------------------------------------

#[test]
fn zero_rate_runs_and_reports_no_requests_and_no_availability() {
    let d = Dir::new();
    d.write("e.yaml", &BASE.replace("100/s", "0/s"));
    let s = d.run_ok("e.yaml", &[]);
    assert_eq!(num(&s, "requests.total"), 0.0);
    assert_eq!(num(&s, "requests.dropped.total"), 0.0);
    // No request, no ratio: null, not 0 % or 100 %.
    assert_eq!(s["availability"], Value::Null);
    assert_eq!(s["failover_latency_s"], Value::Null);
}

#[test]
fn zero_instances_drop_every_request_as_no_healthy_target() {
    let d = Dir::new();
    d.write(
        "e.yaml",
        &BASE.replace("instances_per_az: 2", "instances_per_az: 0"),
    );
    let s = d.run_ok("e.yaml", &[]);
    let total = num(&s, "requests.total");
    assert!(total > 20_000.0, "{s}");
    assert_eq!(num(&s, "availability"), 0.0);
    assert_eq!(num(&s, "requests.dropped.no_healthy_target"), total);
    assert_eq!(num(&s, "requests.succeeded"), 0.0);
}

#[test]
fn every_az_out_at_once_drops_everything_until_the_instances_return() {
    let d = Dir::new();
    d.write(
        "e.yaml",
        &format!(
            "{BASE}faults:\n  - {{ at: 1m, kind: az_outage, az: a, duration: 1m }}\n  \
             - {{ at: 1m, kind: az_outage, az: b, duration: 1m }}\n"
        ),
    );
    let s = d.run_ok("e.yaml", &[]);
    let csv = fs::read_to_string(d.path().join("out/e/timeseries.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut seen = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let t: f64 = f[0].parse().unwrap();
        let v = |name: &str| f[col(name)].parse::<f64>().unwrap();
        if (60.0..120.0).contains(&t) {
            assert_eq!(v("succeeded"), 0.0, "{line}");
        }
        // Both load balancer nodes are dark: requests cannot reach them.
        if (62.0..120.0).contains(&t) {
            assert_eq!(v("dropped"), v("dropped_lb_unreachable"), "{line}");
            assert!(v("dropped") > 0.0, "{line}");
            seen += 1;
        }
    }
    assert_eq!(seen, 58);
    // Power returns at 2 min; the instances boot and pass their checks.
    let f = &s["faults"][0];
    assert_eq!(f["verdict"], "recovered", "{f}");
    assert!(num(f, "recovered_s") > 120.0, "{f}");
}

#[test]
fn a_fault_after_the_end_is_refused_at_its_line() {
    let d = Dir::new();
    d.write(
        "e.yaml",
        &format!("{BASE}faults:\n  - {{ at: 10m, kind: az_outage, az: a, duration: 1m }}\n"),
    );
    let err = d.refused(&["run", "e.yaml", "--out", "out"]);
    assert_eq!(
        err,
        "error: e.yaml:9:11: faults[0].at: the fault would start at 10m, but the run ends at \
         5m (duration)\n"
    );
    assert!(
        !d.path().join("out").exists(),
        "a refused run writes nothing"
    );
}

#[test]
fn a_fault_that_outlasts_the_run_ends_with_it() {
    let d = Dir::new();
    d.write(
        "e.yaml",
        &format!("{BASE}faults:\n  - {{ at: 4m, kind: az_outage, az: a, duration: 10m }}\n"),
    );
    let s = d.run_ok("e.yaml", &[]);
    let f = &s["faults"][0];
    assert_eq!(num(f, "start_s"), 240.0);
    // The run stops at 5 min with the AZ still dark: never recovered.
    assert_eq!(f["recovered_s"], Value::Null, "{f}");
    assert_ne!(f["verdict"], "recovered", "{f}");
}

#[test]
fn overlapping_faults_on_one_az_keep_it_dark_until_the_last_ends() {
    let d = Dir::new();
    d.write(
        "e.yaml",
        &format!(
            "{BASE}faults:\n  - {{ at: 1m, kind: az_outage, az: a, duration: 2m }}\n  \
             - {{ at: 2m, kind: az_outage, az: a, duration: 2m }}\n"
        ),
    );
    let s = d.run_ok("e.yaml", &["--trace"]);
    let trace = fs::read_to_string(d.path().join("out/e/events.jsonl")).unwrap();
    // a-1's power: off at the first start, back (booting) at the second's
    // end (4 min), and nothing at the first's end (3 min).
    let status: Vec<(f64, String)> = trace
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event"] == "instance_status" && e["instance"] == "a-1")
        .map(|e| (num(&e, "t_s"), e["status"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        status[..2],
        [(60.0, "off".to_string()), (240.0, "booting".to_string())]
    );
    // Each is reported over its own span.
    for (k, span) in [(60.0, 180.0), (120.0, 240.0)].into_iter().enumerate() {
        let f = &s["faults"][k];
        assert_eq!((num(f, "start_s"), num(f, "end_s")), span, "{f}");
    }
}

#[test]
fn a_duration_shorter_than_the_warmup_is_refused_at_its_line() {
    let d = Dir::new();
    d.write("e.yaml", &BASE.replace("duration: 5m", "duration: 30s"));
    let err = d.refused(&["run", "e.yaml"]);
    assert_eq!(
        err,
        "error: e.yaml:4:9: warmup: must be shorter than duration (30s), got 1m\n"
    );
}

#[test]
fn a_scenario_with_only_a_database_gets_the_default_service_in_front() {
    let d = Dir::new();
    d.write(
        "db.yaml",
        "name: db\nduration: 2m\ndatabase: { mode: multi_az }\n",
    );
    let o = d.sim(&["validate", "db.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "db.yaml: ok (db, 3 AZs, 6 instances, multi_az database (2 nodes, dns endpoint), jwt \
         sessions, 0 fault(s), 2m simulated, 0 expectation(s))\n"
    );
    let s = d.run_ok("db.yaml", &[]);
    assert_eq!(num(&s, "availability"), 1.0);
    assert!(s["database"].is_object(), "{s}");
}

#[test]
fn an_empty_file_or_one_of_comments_is_refused() {
    let d = Dir::new();
    for text in ["", "\n\n", "# only a comment\n"] {
        d.write("empty.yaml", text);
        let err = d.refused(&["run", "empty.yaml"]);
        assert_eq!(
            err,
            "error: empty.yaml: the file is empty: expected a mapping of scenario keys, e.g. \
             `name: my-scenario`\n"
        );
    }
}

#[test]
fn a_yaml_bomb_is_refused_at_its_first_alias() {
    let d = Dir::new();
    // 10^12 strings if expanded.
    let mut text = String::from("name: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text += &format!("a{i}: &a{i} [{refs}]\n");
    }
    d.write("bomb.yaml", &text);
    let err = d.refused(&["run", "bomb.yaml"]);
    assert!(
        err.starts_with("error: bomb.yaml:3:10: the aliases (`*name`) expand to too many values"),
        "{err}"
    );
    // The same file through a study's reader.
    let err = d.refused(&["sweep", "bomb.yaml"]);
    assert!(
        err.starts_with("error: bomb.yaml:3:10: the aliases"),
        "{err}"
    );
}

#[test]
fn brackets_nested_millions_deep_are_refused_at_once() {
    let d = Dir::new();
    let n = 1_000_000;
    d.write(
        "deep.yaml",
        &format!("name: deep\nx: {}{}\n", "[".repeat(n), "]".repeat(n)),
    );
    // libyaml alone would scan this for minutes (quadratic in the depth).
    let err = d.refused(&["validate", "deep.yaml"]);
    assert_eq!(
        err,
        "error: deep.yaml:2:104: brackets nested more than 100 deep: a scenario needs a few \
         levels (the YAML parser would take minutes on this)\n"
    );
    let deep = format!("faults={}", "[".repeat(200));
    let err = d.refused(&["validate", "deep.yaml", "--set", &deep]);
    assert!(err.contains("brackets nested more than 100 deep"), "{err}");
}

#[test]
fn a_huge_file_is_refused_without_reading_it_all() {
    let d = Dir::new();
    let mut text = String::from("name: huge\n");
    let line = format!("# {}\n", "x".repeat(98));
    while text.len() <= 8 * 1024 * 1024 {
        text += &line;
    }
    d.write("huge.yaml", &text);
    let expected = "the file is larger than 8 MiB: a scenario file is a few KB of YAML (is \
                    this the right file?)\n";
    let err = d.refused(&["run", "huge.yaml"]);
    assert_eq!(err, format!("error: huge.yaml: {expected}"));
    // A file that never ends.
    let err = d.refused(&["validate", "/dev/zero"]);
    assert_eq!(err, format!("error: /dev/zero: {expected}"));
    // A folder is not a file.
    let err = d.refused(&["validate", "."]);
    assert_eq!(
        err,
        "error: .: is a folder: give a scenario file (scenarios/*.yaml)\n"
    );
}

#[test]
fn absurd_values_are_messages_at_their_line_not_overflows() {
    let d = Dir::new();
    for (from, to, message) in [
        (
            "instances_per_az: 2",
            "instances_per_az: 1e30",
            "e.yaml:6:26: app.instances_per_az: expected a whole number from 0 to 100000, got \
             1000000000000000000000000000000",
        ),
        (
            "duration: 5m",
            "duration: 1000000000d",
            "e.yaml:3:11: duration: \"1000000000d\" is too long: durations must stay under \
             about 584 years (2^64 ns)",
        ),
        (
            "rate: 100/s",
            "rate: 1e12/s",
            "e.yaml:7:19: workload.rate: a rate must be at most 100000000/s, got \"1e12/s\"",
        ),
    ] {
        d.write("e.yaml", &BASE.replace(from, to));
        let err = d.refused(&["run", "e.yaml"]);
        assert_eq!(err, format!("error: {message}\n"));
    }
    // More faults than the model counts: refused at the first one too many.
    let mut text = format!("{BASE}faults:\n");
    for _ in 0..10_001 {
        text += "  - { at: 1m, kind: az_outage, az: a, duration: 1m }\n";
    }
    d.write("e.yaml", &text);
    let err = d.refused(&["validate", "e.yaml"]);
    assert_eq!(
        err,
        "error: e.yaml:10009:5: faults[10000]: at most 10000 faults are supported, got 10001\n"
    );
}

// ---- guardrails --------------------------------------------------------

#[test]
fn a_run_too_large_is_refused_with_its_estimate_and_the_flag() {
    let d = Dir::new();
    d.write("big.yaml", &BASE.replace("duration: 5m", "duration: 3000d"));
    let err = d.refused(&["run", "big.yaml", "--out", "out"]);
    assert_eq!(
        err,
        "error: big.yaml: this run is too large: about 2.6e10 requests and 1.0e11 events (roughly 3 h of \
         CPU at 100 ns per event; the limit is 1.0e10 events), and 21.2 GiB of files (the limit is 4.0 GiB; a \
         wider `metrics.bucket` writes fewer rows). Shorten `duration`, lower \
         `workload.rate` (or `workload.timeout` for memory), or pass --allow-large to run it \
         anyway\n"
    );
    assert!(!d.path().join("out").exists());
    // Every command that simulates checks.
    for args in [
        &["check", "big.yaml"][..],
        &["explain", "big.yaml"],
        &["bench", "big.yaml"],
        &["sweep", "big.yaml", "--seeds", "2", "--out", "study"],
    ] {
        // (`sim check` goes on to its tally, on stdout.)
        let o = d.sim(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("--allow-large"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    assert!(!d.path().join("study").exists());
}

#[test]
fn a_study_too_large_in_all_is_refused_before_it_starts() {
    let d = Dir::new();
    // One run is fine (2.4e9 events); 100 of them are not.
    d.write("week.yaml", &BASE.replace("duration: 5m", "duration: 70d"));
    let err = d.refused(&["sweep", "week.yaml", "--seeds", "100", "--out", "study"]);
    assert!(
        err.starts_with("error: this study is too large: its runs add up to about 2.4e11 events"),
        "{err}"
    );
    assert!(err.contains("--allow-large"), "{err}");
    assert!(!d.path().join("study").exists());
}

// ---- safe output -------------------------------------------------------

/// Every file of a folder, by name.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The hidden folders a run leaves in `out` while it writes.
fn hidden(out: &Path) -> Vec<String> {
    fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn a_second_run_needs_force_and_replaces_the_whole_folder() {
    let d = Dir::new();
    d.write("e.yaml", BASE);
    d.run_ok("e.yaml", &["--trace", "--seed", "1"]);
    let run = d.path().join("out/e");
    let first = snapshot(&run);
    assert!(first.contains_key("events.jsonl"));
    let err = d.refused(&["run", "e.yaml", "--out", "out"]);
    assert_eq!(
        err,
        "error: out/e: holds a run already: pass --force to replace it, or choose another --out\n"
    );
    assert_eq!(snapshot(&run), first, "a refused run changes nothing");
    let s = d.run_ok("e.yaml", &["--force", "--seed", "2"]);
    assert_eq!(s["seed"], 2);
    // The old run's trace went with it: the folder is one run's.
    let second = snapshot(&run);
    assert!(!second.contains_key("events.jsonl"));
    assert_ne!(second["summary.json"], first["summary.json"]);
    assert!(hidden(&d.path().join("out")).is_empty());
}

#[test]
fn out_must_be_a_folder_and_a_foreign_folder_is_never_replaced() {
    let d = Dir::new();
    d.write("e.yaml", BASE);
    d.write("file", "keep me");
    let err = d.refused(&["run", "e.yaml", "--out", "file"]);
    assert_eq!(
        err,
        "error: file: --out must be a folder, and this is a file\n"
    );
    // out/e is a file.
    fs::create_dir(d.path().join("out")).unwrap();
    d.write("out/e", "keep me");
    let err = d.refused(&["run", "e.yaml", "--out", "out", "--force"]);
    assert_eq!(
        err,
        "error: out/e: is a file, and a run writes a folder here: move it, or choose another \
         --out\n"
    );
    // out/e holds someone's notes: not even --force replaces it.
    fs::remove_file(d.path().join("out/e")).unwrap();
    fs::create_dir(d.path().join("out/e")).unwrap();
    d.write("out/e/summary.json", "{}");
    d.write("out/e/notes.txt", "keep me");
    let err = d.refused(&["run", "e.yaml", "--out", "out", "--force"]);
    assert!(
        err.starts_with("error: out/e: holds files a run does not write (notes.txt)"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(d.path().join("out/e/notes.txt")).unwrap(),
        "keep me"
    );
    let err = d.refused(&[
        "run",
        "e.yaml",
        "--out",
        "out",
        "--metrics-out",
        "out/e/m.txt",
    ]);
    assert_eq!(
        err,
        "error: out/e/m.txt: --metrics-out must be outside the run's folder, which a run \
         replaces whole\n"
    );
    // A folder with only a diagram (`sim diagram`) is a run's to fill.
    fs::remove_dir_all(d.path().join("out/e")).unwrap();
    let o = d.sim(&["diagram", "e.yaml", "--out", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    d.run_ok("e.yaml", &[]);
    assert!(d.path().join("out/e/diagram.svg").exists());
}

/// A run's folder as the library writes it: `summary.json` with `text`.
fn folder_with(out: &Path, force: bool, text: &str) -> failover_sim::report::RunFolder {
    let f = failover_sim::report::RunFolder::begin(out, "e", force).unwrap();
    fs::write(f.path().join("summary.json"), text).unwrap();
    f
}

#[test]
fn a_run_finished_meanwhile_or_a_file_added_meanwhile_is_not_replaced() {
    let d = Dir::new();
    let out = d.path().join("out");
    // Two runs start while the folder is empty; the first to finish wins,
    // the second is refused and the first stays.
    let (first, second) = (folder_with(&out, false, "1"), folder_with(&out, false, "2"));
    first.commit().unwrap();
    let err = second.commit().unwrap_err().to_string();
    assert!(
        err.ends_with("holds a run already: pass --force to replace it, or choose another --out"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(out.join("e/summary.json")).unwrap(), "1");
    // With --force a run replaces a run, but not a note written meanwhile.
    let third = folder_with(&out, true, "3");
    fs::write(out.join("e/notes.txt"), "keep me").unwrap();
    let err = third.commit().unwrap_err().to_string();
    assert!(
        err.contains("holds files a run does not write (notes.txt)"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(out.join("e/notes.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(fs::read_to_string(out.join("e/summary.json")).unwrap(), "1");
    assert!(hidden(&out).is_empty(), "{:?}", hidden(&out));
    // Pictures that are not a run's are not a run's.
    fs::remove_file(out.join("e/notes.txt")).unwrap();
    fs::write(out.join("e/holiday.png"), "keep me").unwrap();
    let err = failover_sim::report::RunFolder::begin(&out, "e", true)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("(holiday.png)"), "{err}");
}

#[test]
fn what_dead_runs_left_is_cleaned_up_and_a_run_set_aside_is_put_back() {
    let d = Dir::new();
    let out = d.path().join("out");
    fs::create_dir_all(out.join(".e.1-dead.partial")).unwrap();
    fs::write(out.join(".e.1-dead.lock"), "").unwrap();
    // A swap without an atomic exchange killed half way: the old run
    // aside, nothing in place.
    fs::create_dir_all(out.join(".e.2-dead.old")).unwrap();
    fs::write(out.join(".e.2-dead.old/summary.json"), "old").unwrap();
    fs::write(out.join(".e.2-dead.lock"), "").unwrap();
    // A live run's files are left alone.
    let live = folder_with(&out, true, "live");
    let again = failover_sim::report::RunFolder::begin(&out, "e", true).unwrap();
    assert_eq!(
        fs::read_to_string(out.join("e/summary.json")).unwrap(),
        "old"
    );
    assert!(live.path().join("summary.json").exists());
    let mut left = hidden(&out);
    left.sort();
    assert_eq!(left.len(), 4, "{left:?}"); // Two live runs: a folder and a lock each.
    assert!(left.iter().all(|n| !n.contains("dead")), "{left:?}");
    drop((live, again));
    assert!(hidden(&out).is_empty(), "{:?}", hidden(&out));
}

/// Runs `sim run e.yaml --force --seed 2` with `FAILOVER_SIM_ABORT_AT=at`;
/// it must die of SIGABRT.
fn aborted_run(d: &Dir, at: &str) {
    let o = sim()
        .current_dir(d.path())
        .env("FAILOVER_SIM_ABORT_AT", at)
        .args([
            "run", "e.yaml", "--out", "out", "-q", "--force", "--seed", "2",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success(), "{at}: {}", stderr(&o));
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(o.status.signal(), Some(6), "{at}: {}", stderr(&o));
    }
}

#[test]
fn a_run_killed_mid_write_leaves_the_old_run_or_the_complete_new_one() {
    let d = Dir::new();
    d.write("e.yaml", BASE);
    // The two possible folders: seed 1 (old) and seed 2 (new), complete.
    d.run_ok("e.yaml", &["--seed", "2"]);
    let new = snapshot(&d.path().join("out/e"));
    fs::remove_dir_all(d.path().join("out")).unwrap();
    d.run_ok("e.yaml", &["--seed", "1"]);
    let run = d.path().join("out/e");
    let old = snapshot(&run);
    assert_ne!(old, new);

    // Half of summary.json written, then the process dies: the old run.
    aborted_run(&d, "summary.json");
    assert_eq!(snapshot(&run), old);
    assert_eq!(
        hidden(&d.path().join("out")).len(),
        2,
        "its partial folder and its lock"
    );
    // Half of a chart and of the report: the old run still.
    for file in ["success.svg", "report.html"] {
        aborted_run(&d, file);
        assert_eq!(snapshot(&run), old, "{file}");
    }
    // Dead between putting the new folder in place and deleting the old:
    // the complete new run.
    aborted_run(&d, "commit");
    assert_eq!(snapshot(&run), new);
    // The next run deletes what the dead ones left.
    d.run_ok("e.yaml", &["--force", "--seed", "1"]);
    assert_eq!(snapshot(&run), old);
    assert!(hidden(&d.path().join("out")).is_empty());

    // SIGKILL at moments spread over a run: always one complete run.
    #[cfg(unix)]
    for k in 0..12u64 {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sim"))
            .current_dir(d.path())
            .args([
                "run", "e.yaml", "--out", "out", "-q", "--force", "--seed", "2",
            ])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(25 * k));
        let _ = child.kill();
        child.wait().unwrap();
        let now = snapshot(&run);
        assert!(now == old || now == new, "kill after {} ms", 25 * k);
        // Back to the old run for the next kill.
        if now == new {
            d.run_ok("e.yaml", &["--force", "--seed", "1"]);
        }
    }
}

/// Runs `sim` as if the disk were full (a 16 KB file size limit: writing
/// past it fails with EFBIG), or as the unprivileged `nobody` when root,
/// so that permissions hold. None when this system cannot (a `noexec`
/// temporary folder, no right to change user).
#[cfg(unix)]
fn limited(d: &Dir, args: &[&str], how: &str) -> Option<Output> {
    use std::os::unix::process::CommandExt;
    let mut bin = assert_cmd::cargo::cargo_bin("sim");
    if how != "full" {
        // `nobody` must reach the binary: a copy in the test's folder.
        let copy = d.path().join("sim");
        fs::copy(&bin, &copy).unwrap();
        bin = copy;
    }
    let mut cmd = std::process::Command::new(bin);
    cmd.current_dir(d.path()).args(args);
    let full_disk = how == "full";
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if full_disk {
                // Ignored signals stay ignored across exec: the write
                // returns EFBIG instead of killing the process.
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let lim = libc::rlimit {
                    rlim_cur: 16 * 1024,
                    rlim_max: 16 * 1024,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            } else if libc::geteuid() == 0 && (libc::setgid(65534) != 0 || libc::setuid(65534) != 0)
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    match cmd.output() {
        Ok(o) => Some(o),
        Err(e) => {
            eprintln!("skipped: cannot run sim {how} here: {e}");
            None
        }
    }
}

#[cfg(unix)]
#[test]
fn a_full_disk_is_a_clear_error_and_the_old_run_stays() {
    let d = Dir::new();
    d.write("e.yaml", BASE);
    d.run_ok("e.yaml", &["--seed", "1"]);
    let old = snapshot(&d.path().join("out/e"));
    let o = limited(
        &d,
        &[
            "run", "e.yaml", "--out", "out", "-q", "--force", "--seed", "2",
        ],
        "full",
    )
    .expect("setrlimit works for any user");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    // timeseries.csv (27 KB, streamed while the run goes) reaches the limit
    // first; named at the folder the user asked for, not the hidden one.
    assert!(
        err.starts_with("error: out/e/timeseries.csv: the file is too large for the disk"),
        "{err}"
    );
    assert_eq!(snapshot(&d.path().join("out/e")), old);
    assert!(hidden(&d.path().join("out")).is_empty(), "cleaned up");
}

#[cfg(unix)]
#[test]
fn a_read_only_folder_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let d = Dir::new();
    d.write("e.yaml", BASE);
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let ro = d.path().join("ro");
    fs::create_dir(&ro).unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
    let Some(o) = limited(&d, &["run", "e.yaml", "--out", "ro", "-q"], "read-only") else {
        return;
    };
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: ro: cannot write here: permission denied"),
        "{err}"
    );
    assert_eq!(fs::read_dir(&ro).unwrap().count(), 0);
}
