//! `sim`: the command line. Parses arguments, calls the library, prints.
//! Exit codes: 0 success; 1 an expectation failed (`sim check`, `sim run`,
//! `sim explain`), a sweep run failed, a comparison gate failed or a merge
//! is incomplete; 2 bad input or usage (messages on stderr); 130
//! interrupted (Ctrl-C), finished runs kept.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

use failover_sim::engine::NANOS_PER_SEC;
use failover_sim::model::Progress;
use failover_sim::report::{self, text};
use failover_sim::scenario::{self, Scenario};
use failover_sim::sweep;

mod cli_learn;
mod cli_study;

/// Deterministic discrete-event simulator of multi-AZ failover architectures.
#[derive(Parser)]
#[command(name = "sim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario: summary.json, timeseries.csv, timeline.txt, charts and report.html.
    Run(RunArgs),
    /// Check a scenario file (and overrides) without running it.
    Validate(ScenarioArgs),
    /// Measure simulation speed: events/s, simulated requests/s, peak memory.
    Bench(BenchArgs),
    /// Draw the architecture of a scenario: ASCII in the terminal, SVG file, or Graphviz DOT.
    Diagram(DiagramArgs),
    /// Run a scenario over many seeds and a grid of parameter values, in parallel.
    Sweep(SweepArgs),
    /// Run two or more designs with the same seeds and say which wins each metric.
    Compare(CompareArgs),
    /// Combine the folders of a sharded sweep or comparison into one.
    Merge(MergeArgs),
    /// Run scenario files and hold them to their `expect:` blocks (exit 1 if one fails).
    Check(cli_learn::CheckArgs),
    /// List the scenario library: one line per scenario.
    List(cli_learn::ListArgs),
    /// Write a starter scenario file from a library template.
    New(cli_learn::NewArgs),
    /// Tell what a scenario teaches: lesson, diagram, narrated timeline and the numbers.
    Explain(cli_learn::ExplainArgs),
    /// Print the JSON Schema of scenario files (for editors).
    Schema,
}

/// What sweeps and comparisons share.
#[derive(Args)]
struct StudyArgs {
    /// Runs per point: seeds BASE, BASE+1, ... at every point (default:
    /// the file's `sweep.seeds`, else 20).
    #[arg(long)]
    seeds: Option<u32>,
    /// First seed (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Override a field at every point, e.g. --set workload.rate=2000/s (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Runs at once (default: every core).
    #[arg(long, short)]
    jobs: Option<usize>,
    /// The study's folder (default: output/<name>-sweep or output/<name>-compare).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run only slice K of N (runs whose index is K-1 modulo N); combine the
    /// folders with `sim merge`.
    #[arg(long, value_name = "K/N", value_parser = sweep::Shard::parse)]
    shard: Option<sweep::Shard>,
    /// Continue the study in --out: skip the runs it already holds.
    #[arg(long, conflicts_with = "force")]
    resume: bool,
    /// Delete the study in --out and start over.
    #[arg(long)]
    force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Run a study whose estimated work or memory is over the limits
    /// (10^11 events in all, 10^10 or 4 GiB per run).
    #[arg(long)]
    allow_large: bool,
}

#[derive(Args)]
struct SweepArgs {
    /// Scenario YAML file (its `sweep:` block gives seeds and parameters).
    file: PathBuf,
    /// A parameter and its values, e.g. --param load_balancer.health_check.interval=5s,10s,30s
    /// (repeatable; replaces the file's `sweep.params`).
    #[arg(long, value_name = "KEY=V1,V2,...")]
    param: Vec<String>,
    #[command(flatten)]
    study: StudyArgs,
}

#[derive(Args)]
struct CompareArgs {
    /// Two or more scenario files, or one with a `variants:` block.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Exit 1 when a design is worse than the first one (at 95%) on one of
    /// these metrics: comma-separated names, or `all`.
    #[arg(long, value_name = "METRICS", value_parser = parse_gate)]
    fail_if_worse: Option<Gate>,
    #[command(flatten)]
    study: StudyArgs,
}

/// The metrics of `--fail-if-worse` (indices into `sweep::METRICS`).
#[derive(Clone)]
struct Gate(Vec<usize>);

fn parse_gate(text: &str) -> Result<Gate, String> {
    sweep::text::parse_gate(text).map(Gate)
}

#[derive(Args)]
struct MergeArgs {
    /// Folders written by `sim sweep --shard` or `sim compare --shard`.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Folder for the combined study.
    #[arg(long)]
    out: PathBuf,
    /// Replace a study already in --out.
    #[arg(long)]
    force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
struct ScenarioArgs {
    /// Scenario YAML file.
    file: PathBuf,
    /// Override a scenario field, e.g. --set workload.rate=2000/s (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Seed of every random stream (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Folder for results; the run writes into OUT/<scenario name>/.
    #[arg(long, default_value = "output")]
    out: PathBuf,
    /// Replace the run already in OUT/<scenario name>/ (without it, a
    /// second run into the same folder is refused).
    #[arg(long)]
    force: bool,
    /// Run even if the estimated work or memory is over the limits (10^10
    /// events, 4 GiB): the estimate is printed when a run is refused.
    #[arg(long)]
    allow_large: bool,
    /// Also write events.jsonl: every fault, status, health and DNS change
    /// (streamed to the file as the run goes).
    #[arg(long)]
    trace: bool,
    /// Also write the charts as PNG images.
    #[arg(long)]
    png: bool,
    /// Export the simulated metrics in OpenMetrics text format to FILE
    /// (one sample per monitoring.scrape_interval, with timestamps).
    #[arg(long, value_name = "FILE")]
    metrics_out: Option<PathBuf>,
    /// Wall-clock time of simulated 0 in the export: Unix seconds, an RFC
    /// 3339 time (2026-01-01T00:00:00Z) or `now`. Default 0 keeps the file
    /// reproducible; use `now` to backfill into a Prometheus with retention.
    #[arg(long, value_name = "TIME", default_value = "0", value_parser = parse_start)]
    metrics_start: f64,
    /// Also print the timeline: the run's key events in order.
    #[arg(long, conflicts_with = "json")]
    explain: bool,
    /// Print the summary as JSON on stdout (same as summary.json), nothing else.
    #[arg(long)]
    json: bool,
    /// Print nothing but errors (with --json: only the JSON).
    #[arg(long, short)]
    quiet: bool,
    /// Also print the run's invariants: Little's law (L = lambda W, exact
    /// over the run) and conservation of requests. They are checked in
    /// every run; a broken one always exits 3.
    #[arg(long)]
    check_invariants: bool,
}

/// `--metrics-start`: Unix seconds, RFC 3339, or `now`.
fn parse_start(v: &str) -> Result<f64, String> {
    let since_epoch = |t: std::time::SystemTime| {
        t.duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as f64)
            .map_err(|_| "must not be before 1970".to_string())
    };
    if v == "now" {
        return since_epoch(std::time::SystemTime::now());
    }
    if let Ok(x) = v.parse::<f64>() {
        if x.is_finite() && (0.0..1e11).contains(&x) {
            return Ok(x);
        }
        return Err(format!("expected Unix seconds from 0 to 1e11, got {v}"));
    }
    humantime::parse_rfc3339_weak(v)
        .map_err(|e| {
            format!(
                "expected Unix seconds, an RFC 3339 time like 2026-01-01T00:00:00Z, or now ({e})"
            )
        })
        .and_then(since_epoch)
}

#[derive(Args)]
struct BenchArgs {
    /// Scenario to time (default: the built-in suite, or --case).
    #[arg(conflicts_with = "case")]
    file: Option<PathBuf>,
    /// One case of the built-in suite: az-outage, large-fleet or long-run.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(
        failover_sim::bench::CASES.iter().map(|c| c.name)))]
    case: Option<String>,
    /// Multiply the simulated duration (e.g. 10 to check memory stays flat).
    #[arg(long, default_value_t = 1)]
    scale: u32,
    /// Timed repetitions; the best is reported.
    #[arg(long, default_value_t = 3)]
    repeat: u32,
    /// Override a scenario field (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Time a sweep of N seeds instead: on 1 thread, then on --jobs.
    #[arg(long, value_name = "N")]
    sweep: Option<u32>,
    /// Threads of the --sweep timing (default: every core).
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Time a scenario even if its estimated work or memory is over the
    /// limits of `sim run`.
    #[arg(long)]
    allow_large: bool,
}

#[derive(Args)]
struct DiagramArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// ascii: print the sketch and write OUT/<scenario name>/diagram.svg;
    /// svg or dot: print that document.
    #[arg(long, value_enum, default_value_t = DiagramFormat::Ascii)]
    format: DiagramFormat,
    /// Folder for diagram.svg (with --format ascii), in OUT/<scenario name>/.
    #[arg(long, default_value = "output")]
    out: PathBuf,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DiagramFormat {
    Ascii,
    Svg,
    Dot,
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Validate(args) => validate(args).map(|()| 0),
        Command::Bench(args) => bench(args).map(|()| 0),
        Command::Diagram(args) => diagram(args).map(|()| 0),
        Command::Sweep(args) => cli_study::sweep(args),
        Command::Compare(args) => cli_study::compare(args),
        Command::Merge(args) => cli_study::merge(args),
        Command::Check(args) => cli_learn::check(args),
        Command::List(args) => cli_learn::list(args),
        Command::New(args) => cli_learn::new(args),
        Command::Explain(args) => cli_learn::explain(args),
        Command::Schema => cli_learn::schema(),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// `sim list | head` ends quietly, as `ls | head` does: Rust ignores
/// SIGPIPE and would make every print after the reader left a panic.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread starts; setting
    // a signal's disposition to the default has no other effect.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn load(file: &Path, set: &[String]) -> Result<Scenario, String> {
    scenario::load_file(file, set).map_err(|e| e.to_string())
}

fn run(args: RunArgs) -> Result<u8, String> {
    let mut s = load(&args.scenario.file, &args.scenario.set)?;
    let (study, expectations) = cli_learn::expectations_of(&args.scenario.file)?;
    if let Some(seed) = args.seed {
        s.seed = seed;
    }
    failover_sim::guard::estimate(&s, args.metrics_out.is_some())
        .check(args.allow_large)
        .map_err(|e| format!("{}: {e}", args.scenario.file.display()))?;
    let started = Instant::now();
    let bar = progress_bar(&s, args.quiet || args.json);
    let progress = bar
        .clone()
        .map(|bar| Box::new(move |now: u64| bar.set_position(now / NANOS_PER_SEC)) as Progress);
    let opts = report::RunOptions {
        trace: args.trace,
        png: args.png,
        metrics_out: args.metrics_out.clone(),
        metrics_start: args.metrics_start,
        force: args.force,
    };
    let result = report::run_to_dir(&s, &args.out, &opts, progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let run = result.map_err(|e| e.to_string())?;
    let inv = &run.output.invariants;
    for v in &inv.violations {
        eprintln!("internal error: invariant failed: {v}");
    }
    if !inv.hold() {
        eprintln!(
            "this is a bug in failover-sim; please report it with the scenario and seed {}",
            s.seed
        );
    }
    let inv_line = args.check_invariants.then(|| {
        format!(
            "L {:.3} in system = lambda {:.3}/s x W {:.3} ms (Little's law, exact over the \
             run); issued = succeeded + dropped + in flight; {}",
            inv.mean_in_system,
            inv.arrival_rate_per_s,
            inv.mean_time_in_system_s * 1e3,
            if inv.hold() { "both hold" } else { "FAILED" }
        )
    });
    if let Some(line) = inv_line.as_ref().filter(|_| args.json || args.quiet) {
        eprintln!("invariants: {line}");
    }
    // A file with variants holds its designs to its expectations (`sim
    // check`); its base scenario need not be one of them.
    let row = sweep::row_of(
        &sweep::RunSpec {
            run: 0,
            point: 0,
            seed: s.seed,
        },
        &run.summary,
    );
    // `--set` changes the design the expectations were written for: they
    // are checked on the file as written (`sim check --set` holds a changed
    // one to them on purpose).
    let checked = study.variants.is_empty() && args.scenario.set.is_empty();
    let verdicts: Vec<_> = if checked {
        expectations
            .iter()
            .map(|e| (e, e.holds(row.values[e.metric])))
            .collect()
    } else {
        Vec::new()
    };
    let code = if !inv.hold() {
        3
    } else {
        u8::from(verdicts.iter().any(|(_, ok)| !ok))
    };
    if args.json || args.quiet {
        // Stdout is the JSON or nothing: say why the exit code is 1.
        for (e, _) in verdicts.iter().filter(|(_, ok)| !ok) {
            eprintln!(
                "expectation failed: {} {}: {}",
                e.name(),
                e.written,
                failover_sim::check::shown(e.metric, row.values[e.metric])
            );
        }
    }
    if args.json {
        let json = serde_json::to_string_pretty(&run.summary).expect("summary serializes");
        println!("{json}");
        return Ok(code);
    }
    if args.quiet {
        return Ok(code);
    }
    let paint = text::Paint::new(
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let wall = started.elapsed().as_secs_f64();
    print!("{}", text::render(&run.summary, paint));
    if let Some(line) = &inv_line {
        println!("  invariants    {line}");
    }
    let sim_wall = run.simulation.as_secs_f64();
    println!(
        "  wall time     {:.2} s (simulation {:.2} s, {:.1} M events/s)",
        wall,
        sim_wall,
        run.output.events_processed as f64 / sim_wall / 1e6
    );
    let files = &run.files;
    println!(
        "  wrote         {}/ ({})",
        files.dir.display(),
        files.names().join(", ")
    );
    println!(
        "  report        {}",
        paint.bold(&files.report.display().to_string())
    );
    println!(
        "  repeat with   sim run {} --seed {}",
        args.scenario.file.display(),
        s.seed
    );
    if !checked && !expectations.is_empty() {
        println!(
            "  expect        not checked: {} (sim check holds it to them)",
            if study.variants.is_empty() {
                "--set changes the scenario they were written for"
            } else {
                "the file's expectations are for its variants"
            }
        );
    }
    for (e, ok) in &verdicts {
        println!(
            "  expect        {} {} {}: {}",
            if *ok {
                paint.good("pass")
            } else {
                paint.bad("FAIL")
            },
            e.name(),
            e.written,
            failover_sim::check::shown(e.metric, row.values[e.metric])
        );
    }
    if args.explain {
        println!();
        println!("{}", paint.bold("timeline"));
        print!(
            "{}",
            report::timeline::render(&run.timeline, run.output.events_left_out, EXPLAIN_LINES)
        );
    }
    Ok(code)
}

/// Timeline lines `--explain` prints; timeline.txt has them all.
const EXPLAIN_LINES: usize = 80;

/// A bar in simulated seconds, on an interactive stderr only (no noise in
/// logs or pipes), cleared when the run ends.
fn progress_bar(s: &Scenario, quiet: bool) -> Option<ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(s.duration / NANOS_PER_SEC);
    let style = ProgressStyle::with_template(
        "{spinner} simulating {pos}/{len} s [{bar:30}] {percent}% eta {eta}",
    )
    .expect("constant template")
    .progress_chars("=> ");
    bar.set_style(style);
    Some(bar)
}

fn validate(args: ScenarioArgs) -> Result<(), String> {
    let s = load(&args.file, &args.set)?;
    // The blocks beside the scenario: `sim check`'s expectations.
    let (_, expectations) = cli_learn::expectations_of(&args.file)?;
    let mut tiers = String::new();
    if let Some(db) = &s.database {
        tiers += &format!(
            ", {} database ({} nodes, {} endpoint)",
            db.mode.name(),
            db.node_count(),
            db.endpoint.name()
        );
    }
    if s.cache.is_some() {
        tiers += ", cache";
    }
    tiers += &format!(", {} sessions", s.app.sessions.name());
    if let Some(a) = &s.autoscaling {
        let policy = match &a.policy {
            Some(scenario::ScalingPolicy::TargetTracking { metric, .. }) => {
                format!(", target tracking on {}", metric.name())
            }
            Some(scenario::ScalingPolicy::Step { metric, .. }) => {
                format!(", step scaling on {}", metric.name())
            }
            None => String::new(),
        };
        tiers += &format!(
            ", auto scaling {}..{} ({} health checks{policy}{})",
            a.min,
            a.max,
            a.health_check.name(),
            if a.static_stability {
                ", static stability"
            } else {
                ""
            }
        );
    }
    println!(
        "{}: ok ({}, {} AZs, {} instances{tiers}, {} fault(s), {} simulated, {} expectation(s))",
        args.file.display(),
        s.name,
        s.azs.len(),
        s.instance_count(),
        s.faults.len(),
        scenario::format_duration(s.duration),
        expectations.len()
    );
    Ok(())
}

fn bench(args: BenchArgs) -> Result<(), String> {
    use failover_sim::bench;
    if args.scale == 0 || args.repeat == 0 {
        return Err("--scale and --repeat must be at least 1".into());
    }
    let scaled = |mut s: Scenario, origin: &str| -> Result<Scenario, String> {
        s.duration = s.duration.saturating_mul(u64::from(args.scale));
        failover_sim::guard::estimate(&s, false)
            .check(args.allow_large)
            .map_err(|e| format!("{origin}: {e}"))?;
        Ok(s)
    };
    // A file, one case, or (without either) the whole suite; --sweep times
    // az-outage unless told otherwise.
    let cases: Vec<&bench::Case> = match (&args.file, &args.case) {
        (Some(_), _) => Vec::new(),
        (None, Some(name)) => vec![bench::case(name).expect("clap checked the name")],
        (None, None) if args.sweep.is_some() => vec![&bench::CASES[0]],
        (None, None) => bench::CASES.iter().collect(),
    };
    if let Some(f) = &args.file {
        let s = scaled(
            load(f, &bench::overrides(&args.set))?,
            &f.display().to_string(),
        )?;
        if let Some(n) = args.sweep {
            return bench_sweep(s, n, args.jobs);
        }
        print_bench_header(&s, None, args.repeat);
        print_bench(&bench::measure(&s, args.repeat));
        return Ok(());
    }
    for (k, case) in cases.iter().enumerate() {
        let s = scaled(
            case.scenario(&args.set).map_err(|e| e.to_string())?,
            &format!("case {}", case.name),
        )?;
        if let Some(n) = args.sweep {
            return bench_sweep(s, n, args.jobs);
        }
        if k > 0 {
            println!();
        }
        // The header first: a large case takes a while.
        print_bench_header(&s, Some(case.about), args.repeat);
        // The shorter baseline runs first, so memory the allocator keeps
        // after it counts against the baseline, not the long run.
        let base = match case.baseline {
            Some(short) => {
                let mut set = args.set.clone();
                set.push(short.to_string());
                let b = case.scenario(&set).map_err(|e| e.to_string())?;
                let m = bench::measure(&b, 1);
                Some((short, b.duration, m))
            }
            None => None,
        };
        let m = bench::measure(&s, args.repeat);
        print_bench(&m);
        if let Some((short, duration, b)) = base
            && let (Some(long), Some(short_mib)) = (m.peak_rss_mib, b.peak_rss_mib)
        {
            println!(
                "  vs {short:<16} {short_mib:.1} MiB peak: {:.2}x for {:.0}x the simulated time",
                long / short_mib,
                s.duration as f64 / duration as f64
            );
        }
    }
    Ok(())
}

fn print_bench_header(s: &Scenario, about: Option<&str>, repeat: u32) {
    println!(
        "bench {}: {} simulated, best of {repeat}",
        s.name,
        text::human_secs(failover_sim::engine::as_secs_f64(s.duration)),
    );
    if let Some(about) = about {
        println!("  ({about})");
    }
}

fn print_bench(m: &failover_sim::bench::Measurement) {
    println!("  wall time           {:.3} s", m.wall_s);
    println!(
        "  events              {} ({:.2} M events/s, {:.0} ns/event)",
        text::grouped(m.events),
        m.events_per_s() / 1e6,
        m.ns_per_event()
    );
    println!(
        "  simulated requests  {} ({:.2} M requests/s)",
        text::grouped(m.requests),
        m.requests_per_s() / 1e6
    );
    match m.peak_rss_mib {
        Some(mib) => println!("  peak memory (RSS)   {mib:.1} MiB"),
        None => println!("  peak memory (RSS)   unavailable on this platform"),
    }
}

/// A sweep of `n` seeds on one thread, then on `jobs`: the parallel
/// speed-up of `sim sweep` (runs and their rows, no files).
fn bench_sweep(s: Scenario, n: u32, jobs: Option<usize>) -> Result<(), String> {
    if n == 0 || jobs == Some(0) {
        return Err("--sweep and --jobs must be at least 1".into());
    }
    let jobs = jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let study = sweep::Study::of(s, "bench", n);
    let plan = &study.plan;
    let todo: Vec<sweep::RunSpec> = (0..plan.total_runs()).map(|r| plan.spec(r)).collect();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let time = |threads: usize| -> Result<(f64, Vec<u8>), String> {
        let t = Instant::now();
        let mut rows = std::collections::BTreeMap::new();
        sweep::execute(plan, &study.scenarios, &todo, threads, &stop, |o| {
            if let sweep::Outcome::Done(row) = o {
                rows.insert(row.run, row);
            }
        })?;
        let wall = t.elapsed().as_secs_f64();
        if rows.len() != todo.len() {
            return Err(format!(
                "{} of {} runs failed",
                todo.len() - rows.len(),
                todo.len()
            ));
        }
        let csv = rows
            .values()
            .flat_map(|r| sweep::output::line(plan, r))
            .collect();
        Ok((wall, csv))
    };
    println!("bench sweep {}: {n} runs, 1 thread then {jobs}", plan.name);
    let (one, rows_one) = time(1)?;
    println!(
        "  1 thread            {one:.2} s ({:.3} s per run)",
        one / f64::from(n)
    );
    let (many, rows_many) = time(jobs)?;
    println!(
        "  {jobs} threads           {many:.2} s ({:.3} s per run)",
        many / f64::from(n)
    );
    println!(
        "  ratio               {:.3} of the 1-thread time (ideal {:.3})",
        many / one,
        1.0 / jobs as f64
    );
    if rows_one != rows_many {
        return Err("the runs differ between 1 and several threads".into());
    }
    println!("  runs.csv rows       identical");
    Ok(())
}

fn diagram(args: DiagramArgs) -> Result<(), String> {
    use failover_sim::report::diagram as draw;
    let s = load(&args.scenario.file, &args.scenario.set)?;
    match args.format {
        DiagramFormat::Svg => print!("{}", draw::svg(&s)),
        DiagramFormat::Dot => print!("{}", draw::dot(&s)),
        DiagramFormat::Ascii => {
            let dir = report::run_dir(&args.out, &s).map_err(|e| e.to_string())?;
            let path = report::write_file(dir.join("diagram.svg"), draw::svg(&s).as_bytes())
                .map_err(|e| e.to_string())?;
            print!("{}", draw::ascii(&s));
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
