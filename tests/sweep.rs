//! `sim sweep`, `sim compare` and `sim merge` through the real binary:
//! identical files whatever the threads, shards or interruptions; failures,
//! gates and bad input.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn sim() -> Command {
    Command::cargo_bin("sim").expect("sim binary")
}

/// A short scenario: 2 AZs, an instance crash, a few seconds of requests.
const SMALL: &str = "\
name: small
description: A small fleet loses one instance.
seed: 100
duration: 3m
warmup: 10s
azs: [a, b]
load_balancer:
  health_check: { interval: 10s, timeout: 2s, healthy_threshold: 2, unhealthy_threshold: 2 }
app: { instances_per_az: 2, workers: 4 }
workload: { rate: 100/s, timeout: 1s, retries: 1 }
faults:
  - { at: 1m, kind: instance_crash, instance: a-1, duration: 1m }
sweep:
  seeds: 4
  params:
    load_balancer.health_check.interval: [5s, 20s]
    load_balancer.health_check.unhealthy_threshold: [2, 3]
";

fn write_small(dir: &Path) -> PathBuf {
    let f = dir.join("small.yaml");
    fs::write(&f, SMALL).unwrap();
    f
}

fn sweep(file: &Path, out: &Path, extra: &[&str]) -> Output {
    sim()
        .arg("sweep")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file under `dir` (relative path -> bytes).
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

fn assert_same_files(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "the two folders hold different files"
    );
    for (name, bytes) in &fa {
        assert!(fb[name] == *bytes, "{} differs", name.display());
    }
}

fn data_lines(runs_csv: &Path) -> usize {
    fs::read_to_string(runs_csv)
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

#[test]
fn one_thread_and_two_threads_write_identical_files() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write_small(tmp.path());
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let o = sweep(&f, &one, &["--jobs", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = sweep(&f, &two, &["--jobs", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same_files(&one, &two);
    // 4 points x 4 seeds, in run order, seeds 100..103 at every point
    // (common random numbers).
    let text = fs::read_to_string(one.join("runs.csv")).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 16);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[0].parse::<usize>().unwrap(), i);
        assert_eq!(row[1].parse::<usize>().unwrap(), i / 4);
        assert_eq!(row[4].parse::<u64>().unwrap(), 100 + (i % 4) as u64);
    }
    // Same seed, same point parameters: a point-to-point difference comes
    // from the parameter alone. Interval 20 s detects later than 5 s.
    let points = fs::read_to_string(one.join("points.csv")).unwrap();
    let latency = |interval: &str, threshold: &str| -> f64 {
        points
            .lines()
            .find(|l| l.contains(&format!(",{interval},{threshold},failover_latency_s,")))
            .and_then(|l| l.split(',').nth(6))
            .and_then(|v| v.parse().ok())
            .expect("a failover latency mean")
    };
    assert!(latency("20s", "3") > latency("5s", "2"));
    for name in [
        "plan.json",
        "points.csv",
        "sweep.html",
        "charts/availability.svg",
    ] {
        assert!(one.join(name).is_file(), "{name} missing");
    }
}

#[test]
fn shards_merged_back_equal_the_whole_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write_small(tmp.path());
    let whole = tmp.path().join("whole");
    let o = sweep(&f, &whole, &["--jobs", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut parts = Vec::new();
    for k in 1..=3 {
        let d = tmp.path().join(format!("shard-{k}"));
        let o = sweep(&f, &d, &["--shard", &format!("{k}/3"), "--jobs", "1"]);
        assert!(o.status.success(), "{}", stderr(&o));
        // Round robin: 16 runs over 3 shards hold 6, 5 and 5.
        assert_eq!(data_lines(&d.join("runs.csv")), [6, 5, 5][k - 1]);
        parts.push(d);
    }
    let merged = tmp.path().join("merged");
    // Two of three shards: written, but incomplete (exit 1).
    let partial = tmp.path().join("partial");
    let o = sim()
        .arg("merge")
        .args(&parts[..2])
        .arg("--out")
        .arg(&partial)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("5 of 16 runs missing"),
        "{}",
        stderr(&o)
    );
    let o = sim()
        .arg("merge")
        .args(parts.iter().rev())
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same_files(&whole, &merged);
    // Merging again into the same folder needs --force.
    let again = |force: bool| {
        sim()
            .arg("merge")
            .args(&parts)
            .arg("--out")
            .arg(&merged)
            .args(if force { &["--force"][..] } else { &[][..] })
            .output()
            .unwrap()
    };
    let o = again(false);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--force to replace it"),
        "{}",
        stderr(&o)
    );
    assert!(again(true).status.success());
    assert_same_files(&whole, &merged);
}

#[test]
fn merge_refuses_folders_of_different_studies() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write_small(tmp.path());
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    assert!(
        sweep(&f, &a, &["--shard", "1/2", "--seeds", "2"])
            .status
            .success()
    );
    assert!(
        sweep(&f, &b, &["--shard", "2/2", "--seeds", "3"])
            .status
            .success()
    );
    let o = sim()
        .arg("merge")
        .args([&a, &b])
        .arg("--out")
        .arg(tmp.path().join("m"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("hold different studies"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_interrupted_sweep_resumed_equals_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write_small(tmp.path());
    let args = ["--seeds", "15", "--jobs", "1"];
    let whole = tmp.path().join("whole");
    assert!(sweep(&f, &whole, &args).status.success());
    let total = data_lines(&whole.join("runs.csv"));
    assert_eq!(total, 60);

    // Ctrl-C (SIGINT) once a few runs are on disk.
    let cut = tmp.path().join("cut");
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sim"))
        .arg("sweep")
        .arg(&f)
        .arg("--out")
        .arg(&cut)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while data_lines(&cut.join("runs.csv")) < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no run finished"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    let kept = data_lines(&cut.join("runs.csv"));
    assert!((3..total).contains(&kept), "kept {kept} of {total}");
    // The report of the partial sweep says so.
    let html = fs::read_to_string(cut.join("sweep.html")).unwrap();
    assert!(html.contains(&format!("{kept} of {total} runs")));

    // Without --resume the folder is not overwritten.
    let o = sweep(&f, &cut, &args);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--resume"), "{}", stderr(&o));
    assert_eq!(data_lines(&cut.join("runs.csv")), kept);

    // A kill mid-write leaves a torn last line: resume drops it.
    let mut torn = fs::read(cut.join("runs.csv")).unwrap();
    torn.extend_from_slice(b"999,3,20s");
    fs::write(cut.join("runs.csv"), torn).unwrap();

    let o = sweep(&f, &cut, &[&args[..], &["--resume"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("{kept} already done")),
        "{}",
        stderr(&o)
    );
    assert_same_files(&whole, &cut);

    // Resuming a finished sweep runs nothing and changes nothing.
    let o = sweep(&f, &cut, &[&args[..], &["--resume"]].concat());
    assert!(o.status.success());
    assert!(stderr(&o).contains("0 to run"), "{}", stderr(&o));
    assert_same_files(&whole, &cut);
}

#[test]
fn resume_refuses_a_different_study_and_force_starts_over() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write_small(tmp.path());
    let out = tmp.path().join("s");
    assert!(sweep(&f, &out, &["--seeds", "2"]).status.success());
    let o = sweep(&f, &out, &["--seeds", "3", "--resume"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("different study"), "{}", stderr(&o));
    let o = sweep(&f, &out, &["--seeds", "3", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(data_lines(&out.join("runs.csv")), 12);
}

#[test]
fn a_failed_run_is_reported_with_its_seed_and_the_rest_go_on() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write_small(tmp.path());
    let out = tmp.path().join("s");
    let o = sim()
        .arg("sweep")
        .arg(&f)
        .arg("--out")
        .arg(&out)
        .args(["--seeds", "3", "--jobs", "2"])
        .env(failover_sim::sweep::PANIC_SEED_ENV, "101")
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    // Seed 101 runs once at each of the 4 points.
    assert_eq!(err.matches("seed 101) failed").count(), 4, "{err}");
    assert!(err.contains("--seed 101"), "{err}");
    assert!(!err.contains("panicked at"), "the panic hook leaked: {err}");
    assert_eq!(data_lines(&out.join("runs.csv")), 8);
    let failed = fs::read_to_string(out.join("failed.csv")).unwrap();
    assert_eq!(failed.lines().count(), 5, "{failed}");
    // Resumed without the fault: the four runs again, and no failed.csv.
    let o = sweep(&f, &out, &["--seeds", "3", "--resume"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(data_lines(&out.join("runs.csv")), 12);
    assert!(!out.join("failed.csv").exists());
}

#[test]
fn bad_sweep_input_exits_2_with_a_message() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write_small(tmp.path());
    let out = tmp.path().join("s");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--param", "load_balancer.health_check.interval"],
            "expected key=v1,v2",
        ),
        (
            &["--param", "load_balancer.health_check.interval=1s,10s"],
            "at point `interval=1s`",
        ),
        (&["--param", "workload.rat=5/s"], "workload.rat"),
        (&["--shard", "3/2"], "1 <= K <= N"),
        (&["--seeds", "0"], "at least 1"),
        (&["--jobs", "0"], "at least 1"),
    ];
    for (args, want) in cases {
        let o = sweep(&f, &out, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
    // A mistake in the file's sweep block names its line.
    let bad = tmp.path().join("bad.yaml");
    fs::write(&bad, SMALL.replace("seeds: 4", "seeds: many")).unwrap();
    let o = sweep(&bad, &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.yaml:14"), "{}", stderr(&o));
    assert!(stderr(&o).contains("sweep.seeds"), "{}", stderr(&o));
    // `sim run` checks the block too, and otherwise ignores it.
    let o = sim().arg("validate").arg(&bad).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = sim().arg("validate").arg(&f).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Two designs of the same fleet: with health checks that notice a dead
/// AZ quickly, and with slow ones.
fn write_designs(dir: &Path) -> (PathBuf, PathBuf) {
    let fast = dir.join("fast.yaml");
    let slow = dir.join("slow.yaml");
    fs::write(&fast, SMALL.replace("name: small", "name: fast")).unwrap();
    fs::write(
        &slow,
        SMALL
            .replace("name: small", "name: slow")
            .replace("interval: 10s", "interval: 25s"),
    )
    .unwrap();
    (fast, slow)
}

#[test]
fn compare_pairs_the_designs_and_gates_on_a_worse_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (fast, slow) = write_designs(tmp.path());
    let out = tmp.path().join("c");
    let o = sim()
        .arg("compare")
        .args([&fast, &slow])
        .args(["--seeds", "6", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("winner"), "{table}");
    let csv = fs::read_to_string(out.join("compare.csv")).unwrap();
    let line = csv
        .lines()
        .find(|l| l.starts_with("failover_latency_s,"))
        .unwrap();
    // Slow checks detect a crash later on every seed: the paired
    // difference is positive and fast wins.
    let f: Vec<&str> = line.split(',').collect();
    assert_eq!((f[1], f[2], f[3]), ("fast", "slow", "6"));
    assert_eq!((f[4], f[5]), ("0", "0"), "{line}");
    assert!(f[8].parse::<f64>().unwrap() > 0.0, "{line}");
    assert_eq!(f[11], "fast", "{line}");
    assert!(out.join("compare.html").is_file());

    // The gate: slow is worse than the baseline fast on latency (exit 1);
    // in the other order the candidate is better (exit 0).
    let gate = |a: &Path, b: &Path, dir: &str| {
        sim()
            .arg("compare")
            .args([a, b])
            .args([
                "--seeds",
                "6",
                "--fail-if-worse",
                "failover_latency_s,dropped",
                "-q",
                "--out",
            ])
            .arg(tmp.path().join(dir))
            .output()
            .unwrap()
    };
    let o = gate(&fast, &slow, "g1");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("slow is worse than fast on failover_latency_s"));
    let o = gate(&slow, &fast, "g2");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = sim()
        .arg("compare")
        .args([&fast, &slow])
        .args(["--fail-if-worse", "speed"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown metric `speed`"));
}

#[test]
fn compare_runs_the_variants_of_one_file() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("v.yaml");
    let text = format!(
        "{}variants:\n  fast: {{}}\n  slow: {{ load_balancer.health_check.interval: 30s }}\n",
        SMALL
    );
    fs::write(&f, text).unwrap();
    let out = tmp.path().join("c");
    let o = sim()
        .arg("compare")
        .arg(&f)
        .args(["--seeds", "3", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let runs = fs::read_to_string(out.join("runs.csv")).unwrap();
    assert!(runs.starts_with("run,point,design,seed,"), "{runs}");
    assert_eq!(runs.lines().filter(|l| l.contains(",slow,")).count(), 3);
    // The sweep block is a sweep's business: compare ignores its params.
    assert_eq!(data_lines(&out.join("runs.csv")), 6);
    // One design is nothing to compare.
    fs::write(&f, format!("{SMALL}variants:\n  only: {{}}\n")).unwrap();
    let o = sim().arg("compare").arg(&f).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nothing to compare"), "{}", stderr(&o));
}

/// The 95% intervals cover the true mean 95% of the time, on a metric whose
/// distribution is known: requests issued by a Poisson workload of rate λ
/// over T seconds number Poisson(λT), so their mean is λT exactly; and with
/// common random numbers the paired difference between rates λ₁ < λ₂ is
/// the count of one Poisson process between λ₁T and λ₂T, mean (λ₂ − λ₁)T.
///
/// 1000 studies of 2 points × 4 seeds: each gives one interval per point
/// and one paired interval. With n = 4 the Student t quantile (3.18) is far
/// from the normal 1.96, whose intervals would cover about 85%: a
/// 4-standard-deviation band around 950 of 1000 (sd √(1000·0.95·0.05) =
/// 6.9) is [922, 978], which tells the two apart. Poisson(1200) is normal to
/// within a skewness of 0.03, so the t interval's nominal 95% holds.
#[test]
fn confidence_intervals_cover_a_known_mean_95_percent_of_the_time() {
    use failover_sim::sweep::{self, Request, output};
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("poisson.yaml");
    fs::write(
        &f,
        "name: poisson\nduration: 60s\nwarmup: 0s\nazs: [a]\n\
         app: { instances_per_az: 2, workers: 8 }\nworkload: { rate: 20/s }\n",
    )
    .unwrap();
    let (lambda1, lambda2, t) = (20.0, 25.0, 60.0);
    let studies = 1000;
    let (mut covered, mut paired_covered) = (0, 0);
    let requests = sweep::metric_index("requests").unwrap();
    for k in 0..studies {
        let req = Request {
            kind: Some(sweep::Kind::Sweep),
            files: vec![f.clone()],
            params: vec!["workload.rate=20/s,25/s".into()],
            seeds: Some(4),
            seed: Some(1_000 + 4 * k),
            ..Request::default()
        };
        let study = sweep::prepare(&req).unwrap();
        let plan = &study.plan;
        let rows: BTreeMap<usize, sweep::Row> = (0..plan.total_runs())
            .map(|r| {
                let spec = plan.spec(r);
                (
                    r,
                    sweep::run_one(&study.scenarios[spec.point], &spec).unwrap(),
                )
            })
            .collect();
        let stats = output::point_stats(plan, &rows);
        let (lo, hi) = stats[0].stats[requests].as_ref().unwrap().ci.unwrap();
        if lo <= lambda1 * t && lambda1 * t <= hi {
            covered += 1;
        }
        let d = output::pair(plan, &rows, requests, 0, 1).diff.unwrap();
        assert_eq!(d.n, 4);
        let (lo, hi) = d.ci.unwrap();
        if lo <= (lambda2 - lambda1) * t && (lambda2 - lambda1) * t <= hi {
            paired_covered += 1;
        }
    }
    for (what, c) in [("point", covered), ("paired", paired_covered)] {
        assert!(
            (922..=978).contains(&c),
            "{what} intervals covered the mean {c} times of {studies}"
        );
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A folder with `sim` in it, for the recipes that call `sim` by name.
fn path_with_sim(tmp: &Path) -> std::ffi::OsString {
    let bin = tmp.join("bin");
    fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("sim"), bin.join("sim")).unwrap();
    let mut paths = vec![bin];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

fn shell(program: &str, script: &str, cwd: &Path, path: &std::ffi::OsStr, env: (&str, String)) {
    let o = std::process::Command::new(program)
        .args(["-c", script])
        .current_dir(cwd)
        .env("PATH", path)
        .env(env.0, env.1)
        .env("SLURM_CPUS_PER_TASK", "1")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The README's cluster recipes work as written (with 2 seeds instead of
/// 500): every task of the Slurm array and every pod of the Kubernetes
/// Indexed Job, then the merge their comments give, equal one machine's
/// sweep byte for byte.
#[test]
fn the_cluster_recipes_shard_and_merge_to_the_whole_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let path = path_with_sim(tmp.path());
    let whole = |cwd: &Path, file: &str| {
        let o = sim()
            .current_dir(cwd)
            .args(["sweep", file, "--seeds", "2", "--out", "whole", "-q"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        cwd.join("whole")
    };
    // The merge command in a recipe's comments, from `sim merge` to the end
    // of its line.
    let quoted_merge = |text: &str| -> String {
        let line = text.lines().find(|l| l.contains("sim merge")).unwrap();
        let at = line.find("sim merge").unwrap();
        line[at..].trim_end().trim_end_matches('\'').to_string()
    };

    // Slurm: the script runs once per array task.
    let sbatch = fs::read_to_string(repo().join("docs/cluster/sweep.sbatch")).unwrap();
    assert!(sbatch.contains("#SBATCH --array=1-8"));
    assert!(sbatch.contains("--shard \"${SLURM_ARRAY_TASK_ID}/8\""));
    let script = sbatch.replace("--seeds 500", "--seeds 2");
    assert_ne!(
        script, sbatch,
        "the recipe's --seeds changed: update this test"
    );
    let cwd = tmp.path().join("slurm");
    fs::create_dir_all(&cwd).unwrap();
    std::os::unix::fs::symlink(repo().join("scenarios"), cwd.join("scenarios")).unwrap();
    for k in 1..=8 {
        shell(
            "bash",
            &script,
            &cwd,
            &path,
            ("SLURM_ARRAY_TASK_ID", k.to_string()),
        );
    }
    let merge = quoted_merge(&sbatch);
    assert!(merge.starts_with("sim merge "), "{merge}");
    shell(
        "bash",
        &merge,
        &cwd,
        &path,
        ("SLURM_ARRAY_TASK_ID", String::new()),
    );
    let merged = cwd.join("results/health-check-tuning/merged");
    assert_same_files(&whole(&cwd, "scenarios/health-check-tuning.yaml"), &merged);

    // Kubernetes: the container's command, once per completion index, with
    // the volume and the image's scenarios folder as local folders.
    let job_text = fs::read_to_string(repo().join("docs/cluster/sweep-indexed-job.yaml")).unwrap();
    let job: serde_yaml::Value = serde_yaml::from_str(&job_text).unwrap();
    assert_eq!(job["spec"]["completionMode"].as_str(), Some("Indexed"));
    let completions = job["spec"]["completions"].as_u64().unwrap();
    assert_eq!(completions, 8);
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["command"][0].as_str(), Some("sh"));
    let cwd = tmp.path().join("k8s");
    fs::create_dir_all(&cwd).unwrap();
    std::os::unix::fs::symlink(repo().join("scenarios"), cwd.join("scenarios")).unwrap();
    let local = |s: &str| {
        s.replace("--seeds 500", "--seeds 2")
            .replace("/scenarios/", &format!("{}/scenarios/", cwd.display()))
            .replace("/results/", &format!("{}/results/", cwd.display()))
    };
    let args = local(container["args"][0].as_str().unwrap());
    for i in 0..completions {
        shell(
            "sh",
            &args,
            &cwd,
            &path,
            ("JOB_COMPLETION_INDEX", i.to_string()),
        );
    }
    let merge = local(&quoted_merge(&job_text));
    assert!(merge.starts_with("sim merge "), "{merge}");
    shell(
        "sh",
        &merge,
        &cwd,
        &path,
        ("JOB_COMPLETION_INDEX", String::new()),
    );
    let file = format!("{}/scenarios/health-check-tuning.yaml", cwd.display());
    assert_same_files(&whole(&cwd, &file), &cwd.join("results/merged"));
}

/// The README's comparison: the same fleet active-active and
/// active-passive. Seed by seed the passive design drops more (every
/// attempt goes to the dead AZ until all its targets are out) and pays for
/// idle standby hours; both pay for the same six instances.
#[test]
fn active_passive_drops_more_and_idles_its_standby() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c");
    let o = sim()
        .current_dir(repo())
        .args([
            "compare",
            "scenarios/active-active-vs-passive.yaml",
            "--seeds",
            "4",
            "-q",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = fs::read_to_string(out.join("runs.csv")).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    // The third variant, cold-standby, is checked in tests/apptier.rs.
    assert_eq!(rows.len(), 12);
    let num = |row: &csv::StringRecord, name: &str| row[col(name)].parse::<f64>().unwrap();
    for k in 0..4 {
        let (aa, ap) = (&rows[k], &rows[4 + k]);
        assert_eq!(
            (&aa[col("design")], &ap[col("design")]),
            ("active-active", "active-passive")
        );
        assert_eq!(aa[col("seed")], ap[col("seed")]);
        assert!(
            num(ap, "dropped") > num(aa, "dropped"),
            "seed {}",
            &aa[col("seed")]
        );
        assert_eq!(num(aa, "idle_standby_hours"), 0.0);
        // Three standby instances for 20 minutes, minus the time they
        // served (the outage, 10 min, and the return to a).
        let idle = num(ap, "idle_standby_hours");
        assert!(idle > 0.0 && idle < 3.0 * 10.0 / 60.0, "{idle}");
        assert_eq!(num(aa, "instance_hours"), num(ap, "instance_hours"));
        assert_eq!(num(aa, "instance_hours"), 6.0 * 20.0 / 60.0);
    }
}

#[test]
fn the_gate_fails_a_design_that_never_recovers_and_needs_two_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let (fast, _) = write_designs(tmp.path());
    // Health checks too slow to ever notice the crash within the run: no
    // failover latency on any seed, which is worse than any.
    let never = tmp.path().join("never.yaml");
    fs::write(
        &never,
        SMALL
            .replace("name: small", "name: never")
            .replace("interval: 10s", "interval: 60s")
            .replace("unhealthy_threshold: 2 }", "unhealthy_threshold: 5 }"),
    )
    .unwrap();
    let o = sim()
        .arg("compare")
        .args([&fast, &never])
        .args([
            "--seeds",
            "3",
            "-q",
            "--fail-if-worse",
            "failover_latency_s",
            "--out",
        ])
        .arg(tmp.path().join("g"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("never is worse than fast on failover_latency_s"));
    let csv = fs::read_to_string(tmp.path().join("g/compare.csv")).unwrap();
    let line = csv
        .lines()
        .find(|l| l.starts_with("failover_latency_s,"))
        .unwrap();
    // No paired seed; three where only the baseline has a value.
    assert!(
        line.starts_with("failover_latency_s,fast,never,0,3,0,"),
        "{line}"
    );
    assert!(line.ends_with(",fast"), "{line}");
    let o = sim()
        .arg("compare")
        .args([&fast, &never])
        .args(["--seeds", "1", "--fail-if-worse", "all", "--out"])
        .arg(tmp.path().join("one"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--seeds 2 or more"), "{}", stderr(&o));
}

#[test]
fn swept_keys_may_not_be_the_seed_or_a_column() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write_small(tmp.path());
    for (param, want) in [
        ("seed=1,2", "--seed, --seeds"),
        ("availability=1,2", "names a column"),
        ("description=it's,x", ""),
    ] {
        let o = sweep(
            &f,
            &tmp.path().join("s"),
            &["--param", param, "--seeds", "1", "--force"],
        );
        if want.is_empty() {
            // An apostrophe inside a value is text, not a quote.
            assert!(o.status.success(), "{param}: {}", stderr(&o));
            let runs = fs::read_to_string(tmp.path().join("s/runs.csv")).unwrap();
            assert!(runs.lines().nth(1).unwrap().contains(",it's,"), "{runs}");
        } else {
            assert_eq!(o.status.code(), Some(2), "{param}");
            assert!(stderr(&o).contains(want), "{param}: {}", stderr(&o));
        }
    }
    let o = sweep(
        &f,
        &tmp.path().join("s"),
        &[
            "--param",
            "workload.rate=5/s",
            "--param",
            "workload.rate=6/s",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("swept twice"), "{}", stderr(&o));
}

#[test]
fn a_nested_variant_sets_only_the_keys_it_names() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |variant: &str, dir: &str| {
        let f = tmp.path().join(format!("{dir}.yaml"));
        fs::write(
            &f,
            format!("{SMALL}variants:\n  base: {{}}\n  slow: {variant}\n"),
        )
        .unwrap();
        let o = sim()
            .arg("compare")
            .arg(&f)
            .args(["--seeds", "2", "-q", "--out"])
            .arg(tmp.path().join(dir))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        fs::read_to_string(tmp.path().join(dir).join("runs.csv")).unwrap()
    };
    // The nested form keeps the file's other health check keys, exactly as
    // the dotted form does.
    let nested = run(
        "{ load_balancer: { health_check: { interval: 20s } } }",
        "nested",
    );
    let dotted = run("{ load_balancer.health_check.interval: 20s }", "dotted");
    assert_eq!(nested, dotted);
    let bad = tmp.path().join("bad.yaml");
    fs::write(&bad, format!("{SMALL}variants:\n  1: {{}}\n  b: {{}}\n")).unwrap();
    let o = sim().arg("compare").arg(&bad).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("a variant name is text, not a number"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn resume_accepts_the_same_study_however_written_and_checks_the_model() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write_small(tmp.path());
    let out = tmp.path().join("s");
    let args = ["--seeds", "2", "--shard", "1/2"];
    assert!(sweep(&f, &out, &args).status.success());
    // A comment and the path spelt differently: the same study.
    fs::write(&f, format!("# tuned on Tuesday\n{SMALL}")).unwrap();
    let dotted = tmp.path().join(".").join("small.yaml");
    let o = sweep(&dotted, &out, &[&args[..], &["--resume"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    // A garbled line in the middle is skipped and its run done again.
    let runs = out.join("runs.csv");
    let whole = fs::read_to_string(&runs).unwrap();
    let mut lines: Vec<String> = whole.lines().map(String::from).collect();
    lines[3] = "3,1,20s,garbled".into();
    fs::write(&runs, lines.join("\n") + "\n").unwrap();
    let o = sweep(&f, &out, &[&args[..], &["--resume"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("skipped 1 unreadable line"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("1 to run"), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&runs).unwrap(), whole);
    // Results this build does not reproduce: refused, nothing deleted.
    let first_hash_changed = {
        let mut l: Vec<&str> = whole.lines().collect();
        let fields: Vec<&str> = l[1].split(',').collect();
        let fixed = format!("{},ffffffffffffffff", fields[..fields.len() - 1].join(","));
        l[1] = &fixed;
        l.join("\n") + "\n"
    };
    fs::write(&runs, &first_hash_changed).unwrap();
    let o = sweep(&f, &out, &[&args[..], &["--resume"]].concat());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("another build"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&runs).unwrap(), first_hash_changed);
}

#[test]
fn one_process_at_a_time_and_merge_never_writes_into_an_input() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write_small(tmp.path());
    let out = tmp.path().join("s");
    assert!(
        sweep(&f, &out, &["--seeds", "1", "--shard", "1/2"])
            .status
            .success()
    );
    // Another process holds the folder's lock.
    let lock = fs::File::open(out.join(".lock")).unwrap();
    lock.lock().unwrap();
    let o = sweep(&f, &out, &["--seeds", "1", "--shard", "1/2", "--resume"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("another sim process"), "{}", stderr(&o));
    lock.unlock().unwrap();
    let o = sim()
        .current_dir(tmp.path())
        .args(["merge", "s", "--out", "./s/", "--force"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is one of the folders to merge"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn quiet_prints_nothing_and_a_pipe_gets_no_bar() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write_small(tmp.path());
    let o = sweep(&f, &tmp.path().join("q"), &["--seeds", "1", "-q"]);
    assert!(o.status.success());
    assert!(o.stdout.is_empty() && o.stderr.is_empty(), "{}", stderr(&o));
    // Not a terminal: no bar's control characters, only plain lines.
    let o = sweep(&f, &tmp.path().join("p"), &["--seeds", "1"]);
    assert!(o.status.success());
    let all = [o.stdout.as_slice(), o.stderr.as_slice()].concat();
    assert!(
        !all.contains(&b'\r') && !all.contains(&0x1b),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).starts_with("sweep small: 4 point(s) x 1 seeds = 4 runs"));
}
