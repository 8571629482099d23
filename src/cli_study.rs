//! `sim sweep`, `sim compare` and `sim merge`: progress, Ctrl-C and exit
//! status around the library's [`sweep`] module.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use failover_sim::sweep::progress::Progress;
use failover_sim::sweep::{self, Kind, Outcome, Plan, Row, RunSpec, Shard, output, text};

use super::{CompareArgs, MergeArgs, StudyArgs, SweepArgs};

/// Exit status: a run failed, a gate failed, or a merge is incomplete.
const FAILED: u8 = 1;
/// Exit status after Ctrl-C (128 + SIGINT), finished runs kept.
const INTERRUPTED: u8 = 130;

/// Set by Ctrl-C: no new run starts.
static STOP: AtomicBool = AtomicBool::new(false);

pub fn sweep(args: SweepArgs) -> Result<u8, String> {
    let req = sweep::Request {
        kind: Some(Kind::Sweep),
        files: vec![args.file],
        sets: args.study.set.clone(),
        params: args.param,
        seeds: args.study.seeds,
        seed: args.study.seed,
    };
    study(req, &args.study, None)
}

pub fn compare(args: CompareArgs) -> Result<u8, String> {
    let req = sweep::Request {
        kind: Some(Kind::Compare),
        files: args.files,
        sets: args.study.set.clone(),
        params: Vec::new(),
        seeds: args.study.seeds,
        seed: args.study.seed,
    };
    study(req, &args.study, args.fail_if_worse.map(|g| g.0))
}

fn default_dir(plan: &Plan) -> PathBuf {
    let what = match plan.kind {
        Kind::Sweep => "sweep",
        Kind::Compare => "compare",
    };
    PathBuf::from("output").join(format!("{}-{what}", plan.name))
}

fn study(req: sweep::Request, args: &StudyArgs, gate: Option<Vec<usize>>) -> Result<u8, String> {
    let sweep::Study { plan, scenarios } = sweep::prepare(&req).map_err(|e| e.to_string())?;
    if args.jobs == Some(0) {
        return Err("--jobs must be at least 1".into());
    }
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    // Refused before the folder is touched.
    let shards = args.shard.map_or(1, |s| s.n as usize);
    let per_point = (plan.seeds as usize).div_ceil(shards);
    let estimates: Vec<_> = scenarios
        .iter()
        .map(|s| (failover_sim::guard::estimate(s, false), per_point))
        .collect();
    failover_sim::guard::check_study(&estimates, jobs, args.allow_large)?;
    let dir = args.out.clone().unwrap_or_else(|| default_dir(&plan));
    let existing = if args.resume {
        output::Existing::Resume
    } else if args.force {
        output::Existing::Replace
    } else {
        output::Existing::Keep
    };
    if gate.is_some() && plan.seeds < 2 {
        return Err("--fail-if-worse needs --seeds 2 or more: one seed gives no interval".into());
    }
    let (read, mut appender) = output::open(&dir, &plan, args.shard, existing)?;
    let mut rows = read.rows;
    if read.skipped > 0 && !args.quiet {
        eprintln!(
            "{}: skipped {} unreadable line(s); those runs run again",
            dir.join(output::RUNS).display(),
            read.skipped
        );
    }
    // The plan matches; check that this build's model gives the same
    // results too, by running again the first run the folder holds.
    if let Some(first) = rows.values().next() {
        let spec = plan.spec(first.run);
        match sweep::run_one(&scenarios[spec.point], &spec) {
            Ok(again) if again == *first => {}
            Ok(again) => {
                return Err(format!(
                    "{}: its runs come from another build of the simulator (run {} gave \
                     event hash {} then, {} now): choose another --out for this build",
                    dir.display(),
                    first.run,
                    first.event_hash,
                    again.event_hash
                ));
            }
            Err(message) => return Err(format!("run {} failed: {message}", first.run)),
        }
    }
    let todo: Vec<RunSpec> = (0..plan.total_runs())
        .filter(|&r| args.shard.is_none_or(|s| s.holds(r)) && !rows.contains_key(&r))
        .map(|r| plan.spec(r))
        .collect();
    let mine = (0..plan.total_runs())
        .filter(|&r| args.shard.is_none_or(|s| s.holds(r)))
        .count();
    if !args.quiet {
        let mut intro = text::intro(&plan, rows.len(), todo.len(), jobs);
        if let Some(s) = args.shard {
            intro += &format!(" (shard {s}: {mine} runs)");
        }
        eprintln!("{intro}");
    }
    // Ctrl-C: finish the runs under way, keep them, write the files. A
    // second Ctrl-C quits at once (runs.csv already holds every finished run).
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(INTERRUPTED));
        }
    });
    let mut progress = Progress::new(mine as u64, (mine - todo.len()) as u64, args.quiet);
    let mut failed: Vec<(RunSpec, String)> = Vec::new();
    let mut write_error = None;
    // A run's panic is reported as its failure, not printed by the hook.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let mut finished = 0usize;
    let ran = sweep::execute(&plan, &scenarios, &todo, jobs, &STOP, |outcome| {
        finished += 1;
        match outcome {
            Outcome::Done(row) => {
                // After a failed write nothing more is appended (a half
                // line could follow): the runs under way stay in memory.
                if write_error.is_none()
                    && let Err(e) = appender.append(&output::line(&plan, &row))
                {
                    write_error = Some(e);
                    STOP.store(true, Ordering::SeqCst);
                }
                rows.insert(row.run, row);
            }
            Outcome::Failed { spec, message } => {
                progress.say(&format!(
                    "run {} (point {}, seed {}) failed: {message}\n  repeat with: {}",
                    spec.run,
                    plan.points[spec.point].label,
                    spec.seed,
                    plan.repeat_command(&spec)
                ));
                failed.push((spec, message));
            }
        }
        progress.tick();
    });
    std::panic::set_hook(hook);
    progress.finish();
    ran?;
    let wall = started.elapsed().as_secs_f64();
    failed.sort_by_key(|f| f.0.run);
    let written = output::finish(&dir, &plan, args.shard, &rows, &failed)?;
    if let Some(e) = write_error {
        return Err(e);
    }
    let interrupted = STOP.load(Ordering::SeqCst);
    let stats = output::point_stats(&plan, &rows);
    if !args.quiet {
        if plan.kind == Kind::Compare {
            print!("{}", text::comparison(&plan, &rows, &stats));
        } else {
            print!("{}", text::points(&plan, &stats));
        }
        println!("  {finished} runs in {wall:.1} s on {jobs} thread(s); mean [95% CI] over seeds");
        println!(
            "  wrote         {}/ (runs.csv, points.csv, charts/ ...)",
            dir.display()
        );
        println!("  report        {}", written.report.display());
    }
    let mut code = 0;
    if !failed.is_empty() {
        eprintln!(
            "{} run(s) failed (listed in {}); --resume runs them again",
            failed.len(),
            dir.join(output::FAILED).display()
        );
        code = FAILED;
    }
    if let Some(gate) = gate {
        let worse = text::gate_failures(&plan, &rows, &gate);
        for w in &worse {
            eprintln!("worse: {w}");
        }
        if !worse.is_empty() {
            code = FAILED;
        }
    }
    if interrupted {
        eprintln!(
            "interrupted: {} of {mine} runs kept in {}; continue with the same command and --resume",
            rows.len(),
            dir.join(output::RUNS).display()
        );
        code = INTERRUPTED;
    }
    Ok(code)
}

pub fn merge(args: MergeArgs) -> Result<u8, String> {
    let mut plan: Option<(Plan, PathBuf)> = None;
    let mut rows: BTreeMap<usize, Row> = BTreeMap::new();
    let mut shards: Vec<Option<Shard>> = Vec::new();
    for dir in &args.dirs {
        let file = output::read_plan(dir)?;
        match &plan {
            None => plan = Some((file.plan.clone(), dir.clone())),
            Some((p, first)) if !p.same_study(&file.plan) => {
                return Err(format!(
                    "{} and {} hold different studies (other files, parameters, seeds or version)",
                    first.display(),
                    dir.display()
                ));
            }
            _ => {}
        }
        shards.push(file.shard);
        let part = output::read_runs(&dir.join(output::RUNS), &file.plan)?;
        if part.skipped > 0 {
            eprintln!(
                "{}: skipped {} unreadable line(s)",
                dir.join(output::RUNS).display(),
                part.skipped
            );
        }
        for (run, row) in part.rows {
            if let Some(old) = rows.get(&run)
                && *old != row
            {
                return Err(format!(
                    "run {run} has different results in two folders (one is {}): \
                     not shards of the same study",
                    dir.display()
                ));
            }
            rows.insert(run, row);
        }
    }
    let (plan, _) = plan.expect("clap requires one folder");
    let existing = if args.force {
        output::Existing::Replace
    } else {
        output::Existing::Keep
    };
    // The same folder however it is spelt (./a, a/, /abs/a).
    let out_real = std::fs::canonicalize(&args.out).ok();
    if args
        .dirs
        .iter()
        .any(|d| d == &args.out || out_real.is_some() && std::fs::canonicalize(d).ok() == out_real)
    {
        return Err(format!(
            "--out {} is one of the folders to merge: choose a new folder",
            args.out.display()
        ));
    }
    if !args.force && args.out.join(output::PLAN).exists() {
        return Err(format!(
            "{} already holds a study: --force to replace it, or choose another --out",
            args.out.display()
        ));
    }
    // Held until the files are written: the folder's lock.
    let _lock = output::open(&args.out, &plan, None, existing)?;
    let written = output::finish(&args.out, &plan, None, &rows, &[])?;
    let total = plan.total_runs();
    if !args.quiet {
        let stats = output::point_stats(&plan, &rows);
        if plan.kind == Kind::Compare {
            print!("{}", text::comparison(&plan, &rows, &stats));
        } else {
            print!("{}", text::points(&plan, &stats));
        }
        println!(
            "  merged {} folder(s): {} of {total} runs",
            args.dirs.len(),
            rows.len()
        );
        println!("  report        {}", written.report.display());
    }
    if rows.len() < total {
        let missing: Vec<usize> = (0..total).filter(|r| !rows.contains_key(r)).collect();
        let mut kinds: Vec<String> = shards
            .iter()
            .map(|s| s.map_or("whole".into(), |s| s.to_string()))
            .collect();
        kinds.sort();
        eprintln!(
            "incomplete: {} of {total} runs missing (first: run {}); merged shards: {}",
            missing.len(),
            missing[0],
            kinds.join(", ")
        );
        return Ok(FAILED);
    }
    Ok(0)
}
