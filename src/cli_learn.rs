//! The teaching commands: `sim check` (hold runs to a file's `expect:`
//! block), `sim list` (the scenario library), `sim new` (a starter file
//! from a template), `sim explain` (lesson, diagram, narrated timeline and
//! the numbers, in English or Korean) and `sim schema`.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;
use rayon::prelude::*;

use failover_sim::check::{self, Expectation};
use failover_sim::guard;
use failover_sim::library;
use failover_sim::metrics::NullSink;
use failover_sim::report::{self, Label, Lang, Summary, label, text};
use failover_sim::scenario::{self, Scenario, Source, study::Study};
use failover_sim::simulate;
use failover_sim::sweep::{self, METRICS, Row, RunSpec};

/// `--lang en|ko`: the library's language, with clap listing the codes.
fn lang_arg() -> impl clap::builder::TypedValueParser<Value = Lang> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Lang::ALL.map(Lang::code))
        .map(|code| Lang::parse(&code).expect("a listed code"))
}

#[derive(Args)]
pub struct CheckArgs {
    /// Scenario files with an `expect:` block.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Check on seeds BASE, BASE+1, ...: every expectation must hold on each.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    seeds: u32,
    /// First seed (default: each file's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Override a field in every file, e.g. --set workload.rate=2000/s (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Runs at once (default: every core).
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Print only the expectations that fail, and errors.
    #[arg(long, short)]
    quiet: bool,
    /// Check files whose estimated work or memory is over the limits of
    /// `sim run` and `sim sweep`.
    #[arg(long)]
    allow_large: bool,
}

/// One file to check: its designs (variants, or the scenario itself) and
/// its expectations.
struct Checked {
    origin: String,
    designs: Vec<(Option<String>, Scenario)>,
    expectations: Vec<Expectation>,
}

/// A file's expectations, checked for `sim run`: only a file without
/// variants (its variants are what `sim check` runs).
pub fn expectations_of(path: &Path) -> Result<(Study, Vec<Expectation>), String> {
    read(path).map(|(_, study, expectations)| (study, expectations))
}

/// A file, its study blocks and its checked expectations.
fn read(path: &Path) -> Result<(Source, Study, Vec<Expectation>), String> {
    let src = Source::read(path).map_err(|e| e.to_string())?;
    let study = src.study().map_err(|e| e.to_string())?;
    let expectations = check::compile(&study, &src.origin).map_err(|e| e.to_string())?;
    Ok((src, study, expectations))
}

fn prepare(path: &Path, set: &[String]) -> Result<Checked, String> {
    let (src, study, expectations) = read(path)?;
    let mut designs = Vec::new();
    if study.variants.is_empty() {
        designs.push((None, src.load(set).map_err(|e| e.to_string())?));
    } else {
        for v in &study.variants {
            let mut sets = v.sets.clone();
            sets.extend(set.iter().cloned());
            let s = src
                .load(&sets)
                .map_err(|e| format!("{} (variant {})", e, v.name))?;
            designs.push((Some(v.name.clone()), s));
        }
    }
    Ok(Checked {
        origin: src.origin,
        designs,
        expectations,
    })
}

/// Runs `s` with `seed` and reads its figures as `runs.csv` does.
fn measure(s: &Scenario, seed: u64) -> Result<Row, String> {
    sweep::run_one(
        s,
        &RunSpec {
            run: 0,
            point: 0,
            seed,
        },
    )
}

pub fn check(args: CheckArgs) -> Result<u8, String> {
    let paint = text::Paint::new(
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let mut code = 0u8;
    let mut files = Vec::new();
    for path in &args.files {
        let guarded = prepare(path, &args.set).and_then(|c| {
            let runs: Vec<_> = c
                .designs
                .iter()
                .map(|(_, s)| (guard::estimate(s, false), args.seeds as usize))
                .collect();
            let threads = args
                .jobs
                .filter(|&j| j > 0)
                .unwrap_or_else(rayon::current_num_threads);
            guard::check_study(&runs, threads, args.allow_large)
                .map_err(|e| format!("{}: {e}", c.origin))?;
            Ok(c)
        });
        match guarded {
            Ok(c) => files.push(c),
            Err(e) => {
                eprintln!("error: {e}");
                code = 2;
            }
        }
    }
    // Every (file, design, seed) run, in order; run on the pool, read in order.
    let mut jobs = Vec::new();
    for (f, c) in files.iter().enumerate() {
        for (d, (_, s)) in c.designs.iter().enumerate() {
            let base = args.seed.unwrap_or(s.seed);
            for k in 0..u64::from(args.seeds) {
                jobs.push((f, d, base.wrapping_add(k)));
            }
        }
    }
    let threads = args.jobs.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| format!("cannot start {threads} threads: {e}"))?;
    if !args.quiet && std::io::stderr().is_terminal() {
        eprintln!("checking: {} runs of {} file(s)", jobs.len(), files.len());
    }
    // A run's panic is reported as its failure (FAIL, the message), not
    // printed by the hook.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let rows: Vec<Result<Row, String>> = pool.install(|| {
        jobs.par_iter()
            .with_max_len(1)
            .map(|&(f, d, seed)| measure(&files[f].designs[d].1, seed))
            .collect()
    });
    std::panic::set_hook(hook);
    let mut held = 0usize;
    let mut failed = 0usize;
    let mut next = 0usize;
    for c in &files {
        let mut out = String::new();
        let mut file_fails = false;
        if c.expectations.is_empty() {
            let _ = writeln!(
                out,
                "  {} no `expect:` block: nothing to check",
                paint.warn("note")
            );
        }
        for (name, s) in &c.designs {
            let n = args.seeds as usize;
            let runs = &rows[next..next + n];
            next += n;
            let seeds = args.seed.unwrap_or(s.seed);
            let indent = match name {
                Some(name) => {
                    let _ = writeln!(out, "  {}", paint.bold(name));
                    "    "
                }
                None => "  ",
            };
            if let Some(Err(e)) = runs.iter().find(|r| r.is_err()) {
                let _ = writeln!(out, "{indent}{} the run failed: {e}", paint.bad("FAIL"));
                file_fails = true;
                failed += c
                    .expectations
                    .iter()
                    .filter(|e| e.applies_to(name.as_deref()))
                    .count()
                    .max(1);
                continue;
            }
            let runs: Vec<&Row> = runs.iter().filter_map(|r| r.as_ref().ok()).collect();
            for e in c
                .expectations
                .iter()
                .filter(|e| e.applies_to(name.as_deref()))
            {
                let values: Vec<Option<f64>> = runs.iter().map(|r| r.values[e.metric]).collect();
                let first_bad = values.iter().position(|v| !e.holds(*v));
                let ok = first_bad.is_none();
                let what = match (n, first_bad) {
                    (1, _) => check::shown(e.metric, values[0]),
                    (_, Some(i)) => format!(
                        "{} at seed {} ({} of {n} seeds hold)",
                        check::shown(e.metric, values[i]),
                        seeds.wrapping_add(i as u64),
                        values.iter().filter(|v| e.holds(**v)).count()
                    ),
                    (_, None) => {
                        let lo = values.iter().flatten().copied().fold(f64::MAX, f64::min);
                        let hi = values.iter().flatten().copied().fold(f64::MIN, f64::max);
                        if lo == hi {
                            format!("{} on all {n} seeds", check::shown(e.metric, Some(lo)))
                        } else {
                            format!(
                                "{} to {} over {n} seeds",
                                check::shown(e.metric, Some(lo)),
                                check::shown(e.metric, Some(hi))
                            )
                        }
                    }
                };
                if ok {
                    held += 1;
                } else {
                    failed += 1;
                    file_fails = true;
                }
                if ok && args.quiet {
                    continue;
                }
                let _ = writeln!(
                    out,
                    "{indent}{} {} {}: {what}",
                    if ok {
                        paint.good("pass")
                    } else {
                        paint.bad("FAIL")
                    },
                    e.name(),
                    e.written,
                );
            }
        }
        if file_fails {
            code = code.max(1);
        }
        if !args.quiet || file_fails {
            let seed = match (args.seed, args.seeds) {
                (Some(s), 1) => format!("seed {s}"),
                (None, 1) => format!("seed {}", c.designs[0].1.seed),
                (Some(s), n) => format!("seeds {s}..{}", s.wrapping_add(u64::from(n) - 1)),
                (None, n) => {
                    let s = c.designs[0].1.seed;
                    format!("seeds {s}..{}", s.wrapping_add(u64::from(n) - 1))
                }
            };
            println!("{} ({seed})", paint.bold(&c.origin));
            print!("{out}");
        }
    }
    let total = held + failed;
    let verdict = if failed == 0 && code == 0 {
        paint.good(&format!("all {total} hold"))
    } else if failed == 0 {
        paint.bad(&format!("all {total} hold"))
    } else {
        paint.bad(&format!("{failed} of {total} fail"))
    };
    if !args.quiet || failed > 0 || code == 2 {
        println!(
            "check: {} file(s), {total} expectation(s): {verdict}{}",
            files.len(),
            if code == 2 {
                " (and bad input above)"
            } else {
                ""
            }
        );
    }
    Ok(code)
}

#[derive(Args)]
pub struct ListArgs {
    /// Scenario files or folders to list (default: the library built into sim).
    paths: Vec<PathBuf>,
    /// Language of the descriptions.
    #[arg(long, value_parser = lang_arg(), default_value = "en")]
    lang: Lang,
}

/// One line of `sim list`.
struct Listed {
    name: String,
    kind: String,
    expectations: usize,
    description: String,
}

fn listed(text: &str, origin: &str, stem: &str, lang: Lang) -> Result<Listed, String> {
    let src = Source {
        text: text.to_string(),
        origin: origin.to_string(),
        stem: stem.to_string(),
    };
    let s = src.load(&[]).map_err(|e| e.to_string())?;
    let study = src.study().map_err(|e| e.to_string())?;
    let kind = if !study.variants.is_empty() {
        format!("compare {}", study.variants.len())
    } else if !study.params.is_empty() {
        "sweep".to_string()
    } else {
        "run".to_string()
    };
    Ok(Listed {
        name: s.name.clone(),
        kind,
        expectations: study.expect.len(),
        description: first_sentence(&s.texts(lang == Lang::Ko).description),
    })
}

/// The description's first sentence: up to the first `. ` or `? `
/// (the library's descriptions start with the question they answer).
fn first_sentence(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let end = flat
        .match_indices(['.', '?'])
        .map(|(i, _)| i)
        .find(|&i| flat[i + 1..].starts_with(' '));
    match end {
        Some(i) => flat[..=i].to_string(),
        None => flat,
    }
}

pub fn list(args: ListArgs) -> Result<u8, String> {
    let mut items = Vec::new();
    let mut code = 0;
    if args.paths.is_empty() {
        for (name, text) in library::SCENARIOS {
            items.push(listed(
                text,
                &format!("{name} (built in)"),
                name,
                args.lang,
            )?);
        }
    } else {
        let mut files = Vec::new();
        for p in &args.paths {
            if p.is_dir() {
                let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                    .map_err(|e| format!("cannot read the folder {}: {e}", p.display()))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| f.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                    .collect();
                found.sort();
                files.extend(found);
            } else {
                files.push(p.clone());
            }
        }
        for f in files {
            let read = Source::read(&f)
                .map_err(|e| e.to_string())
                .and_then(|src| listed(&src.text, &src.origin, &src.stem, args.lang));
            match read {
                Ok(item) => items.push(item),
                Err(e) => {
                    eprintln!("error: {e}");
                    code = 2;
                }
            }
        }
    }
    let width = items.iter().map(|i| i.name.len()).max().unwrap_or(0);
    let head = args.lang.pick(
        "runs: `sim run`, or `sim compare` for the designs of a compare file; `sim explain` tells the story",
        "실행: `sim run` (compare 파일은 `sim compare`); `sim explain` 으로 무슨 일이 있었는지 설명",
    );
    for i in &items {
        let expect = if i.expectations > 0 {
            format!("{} expect", i.expectations)
        } else {
            String::new()
        };
        println!(
            "{:width$}  {:10}  {:9}  {}",
            i.name, i.kind, expect, i.description
        );
    }
    if args.paths.is_empty() {
        println!();
        println!("{head}");
        println!(
            "{}",
            args.lang.pick(
                "start your own: sim new NAME --from TEMPLATE (any name above)",
                "새 시나리오 만들기: sim new NAME --from TEMPLATE (위 목록의 이름)",
            )
        );
    }
    Ok(code)
}

#[derive(Args)]
pub struct NewArgs {
    /// Name of the new scenario; writes NAME.yaml (NAME may be a path ending in .yaml).
    name: String,
    /// The library scenario to start from (see `sim list`).
    #[arg(long, default_value = "az-outage")]
    from: String,
    /// Replace NAME.yaml if it exists.
    #[arg(long)]
    force: bool,
}

pub fn new(args: NewArgs) -> Result<u8, String> {
    let Some(template) = library::template(&args.from) else {
        let hint = library::closest(&args.from)
            .map(|n| format!("; did you mean `{n}`?"))
            .unwrap_or_default();
        let names: Vec<_> = library::SCENARIOS.iter().map(|(n, _)| *n).collect();
        return Err(format!(
            "--from: no scenario `{}` in the library{hint} (templates: {})",
            args.from,
            names.join(", ")
        ));
    };
    let path = if args.name.ends_with(".yaml") || args.name.ends_with(".yml") {
        PathBuf::from(&args.name)
    } else {
        PathBuf::from(format!("{}.yaml", args.name))
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if stem.is_empty()
        || stem.starts_with(['.', '-'])
        || path.file_name().is_none()
        || !stem
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(format!(
            "NAME: `{}` is not a usable scenario name: use letters, digits, `-`, `_` or `.`, not first `.` or `-` \
             (it names the output folder)",
            args.name
        ));
    }
    if path.exists() && !args.force {
        return Err(format!(
            "{} already exists: pick another NAME, or --force to replace it",
            path.display()
        ));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(format!("the folder {} does not exist", dir.display()));
    }
    let text = starter(template, &args.from, &stem, &path);
    // Prove the starter loads before writing it.
    scenario::load_str(&text, &path.display().to_string(), &stem, &[])
        .map_err(|e| format!("the starter does not load (a bug): {e}"))?;
    write_new(&path, text.as_bytes())?;
    let schema_path = dir.join(SCHEMA_FILE);
    let schema_note = if schema_path.exists() {
        String::new()
    } else {
        write_new(
            &schema_path,
            scenario::schema::schema(&metric_names()).as_bytes(),
        )?;
        format!(
            "\n  and {} (editors validate and complete keys with it)",
            schema_path.display()
        )
    };
    println!(
        "wrote {} from the {} template{schema_note}\nrun it:   sim run {}\nexplain:  sim explain {}",
        path.display(),
        args.from,
        path.display(),
        path.display()
    );
    Ok(0)
}

/// The schema file `sim new` puts beside a new scenario.
const SCHEMA_FILE: &str = "scenario.schema.json";

/// The template with its own name, paths and schema line.
fn starter(template: &str, from: &str, name: &str, path: &Path) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut named = false;
    for line in template.lines() {
        if !named && line.starts_with("name:") {
            let _ = writeln!(out, "name: {name}");
            named = true;
        } else if line.starts_with("# yaml-language-server:") {
            let _ = writeln!(out, "# yaml-language-server: $schema={SCHEMA_FILE}");
        } else {
            let line = line.replace(
                &format!("scenarios/{from}.yaml"),
                &path.display().to_string(),
            );
            let _ = writeln!(out, "{line}");
        }
    }
    if !named {
        out = format!("name: {name}\n{out}");
    }
    out
}

/// Writes a file that did not exist (or is being replaced on --force)
/// through a temporary name, so a failure leaves no half file.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), String> {
    report::write_file(path.to_path_buf(), bytes)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn metric_names() -> Vec<&'static str> {
    METRICS.iter().map(|m| m.name).collect()
}

pub fn schema() -> Result<u8, String> {
    print!("{}", scenario::schema::schema(&metric_names()));
    Ok(0)
}

#[derive(Args)]
pub struct ExplainArgs {
    /// Scenario YAML file.
    file: PathBuf,
    /// Language of the explanation.
    #[arg(long, value_parser = lang_arg(), default_value = "en")]
    lang: Lang,
    /// Only this variant of a compare file (default: every variant).
    #[arg(long)]
    variant: Option<String>,
    /// Seed of the run (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Override a scenario field (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Timeline lines per run.
    #[arg(long, default_value_t = 40)]
    lines: usize,
    /// Explain a scenario whose estimated work or memory is over the limits
    /// of `sim run`.
    #[arg(long)]
    allow_large: bool,
}

/// One explained run.
struct Told {
    design: Option<String>,
    s: Scenario,
    summary: Summary,
    row: Row,
    story: String,
}

pub fn explain(args: ExplainArgs) -> Result<u8, String> {
    let lang = args.lang;
    let mut checked = prepare(&args.file, &args.set)?;
    if let Some(want) = &args.variant {
        let names: Vec<String> = checked.designs.iter().filter_map(|d| d.0.clone()).collect();
        if names.is_empty() {
            return Err(format!(
                "--variant {want}: {} has no variants",
                args.file.display()
            ));
        }
        checked
            .designs
            .retain(|d| d.0.as_deref() == Some(want.as_str()));
        if checked.designs.is_empty() {
            return Err(format!(
                "--variant: no variant `{want}` in {} (variants: {})",
                args.file.display(),
                names.join(", ")
            ));
        }
    }
    for (_, s) in &checked.designs {
        guard::estimate(s, false)
            .check(args.allow_large)
            .map_err(|e| format!("{}: {e}", args.file.display()))?;
    }
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let told: Result<Vec<Told>, String> = checked
        .designs
        .par_iter()
        .map(|(design, s)| {
            let mut s = s.clone();
            if let Some(seed) = args.seed {
                s.seed = seed;
            }
            let out = std::panic::catch_unwind(|| simulate(&s, Box::new(NullSink), None)).map_err(
                |_| {
                    format!(
                        "the run of {}{} failed (a bug): sim run {} --seed {} tells more",
                        args.file.display(),
                        design
                            .as_ref()
                            .map(|d| format!(" (variant {d})"))
                            .unwrap_or_default(),
                        args.file.display(),
                        s.seed
                    )
                },
            )?;
            let summary = Summary::new(&s, &out);
            let entries = report::timeline::entries_in(&s, &summary, &out, lang);
            let story = story(&entries, out.events_left_out, args.lines, lang);
            let row = sweep::row_of(
                &RunSpec {
                    run: 0,
                    point: 0,
                    seed: s.seed,
                },
                &summary,
            );
            Ok(Told {
                design: design.clone(),
                s,
                summary,
                row,
                story,
            })
        })
        .collect();
    std::panic::set_hook(hook);
    let told = told?;
    let paint = text::Paint::new(
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let base = &told[0].s;
    let texts = base.texts(lang == Lang::Ko);
    let mut o = String::new();
    let _ = writeln!(o, "{}", paint.bold(&base.name));
    if !texts.description.is_empty() {
        let _ = writeln!(o, "{}", wrap(&texts.description, ""));
    }
    if lang == Lang::Ko && base.korean.description.is_empty() && !base.description.is_empty() {
        let _ = writeln!(o, "{}", paint.dim(label(lang, Label::NoTranslation)));
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "{}", paint.bold(label(lang, Label::Lesson)));
    if texts.lesson.is_empty() {
        let _ = writeln!(o, "  {}", label(lang, Label::NoLesson));
    } else {
        let _ = writeln!(o, "{}", wrap(&texts.lesson, "  "));
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "{}", paint.bold(label(lang, Label::Architecture)));
    for line in report::diagram::ascii(base).lines() {
        let _ = writeln!(o, "  {line}");
    }
    for t in &told {
        let _ = writeln!(o);
        let design = t.design.as_deref().map(|d| format!(" — {d}"));
        let title = format!(
            "{}{} ({} {})",
            label(lang, Label::WhatHappened),
            design.unwrap_or_default(),
            label(lang, Label::Seed),
            t.s.seed
        );
        let _ = writeln!(o, "{}", paint.bold(&title));
        for line in t.story.lines() {
            let _ = writeln!(o, "  {line}");
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "{}", paint.bold(label(lang, Label::TheNumbers)));
    o += &numbers(&told, lang);
    let mut code = 0;
    // As `sim run`: `--set` changes the design the expectations are for.
    if !checked.expectations.is_empty() && !args.set.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "{}", label(lang, Label::NotChecked));
    } else if !checked.expectations.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "{}", paint.bold(label(lang, Label::Expectations)));
        for t in &told {
            for e in checked
                .expectations
                .iter()
                .filter(|e| e.applies_to(t.design.as_deref()))
            {
                let v = t.row.values[e.metric];
                let ok = e.holds(v);
                if !ok {
                    code = 1;
                }
                let word = if ok {
                    paint.good(label(lang, Label::Holds))
                } else {
                    paint.bad(label(lang, Label::Fails))
                };
                let who = t
                    .design
                    .as_deref()
                    .map(|d| format!("{d}: "))
                    .unwrap_or_default();
                let _ = writeln!(
                    o,
                    "  {word}  {who}{} {} ({})",
                    e.name(),
                    e.written,
                    check::shown(e.metric, v)
                );
            }
        }
    }
    print!("{o}");
    Ok(code)
}

/// The first `limit` lines of the timeline, and how to see the rest.
fn story(entries: &[report::timeline::Entry], left_out: u64, limit: usize, lang: Lang) -> String {
    let shown = &entries[..limit.min(entries.len())];
    let mut o = report::timeline::render_in(shown, left_out, usize::MAX, lang);
    if entries.len() > limit {
        let (more, all) = (entries.len() - limit, entries.len());
        let _ = writeln!(
            o,
            "{}",
            match lang {
                Lang::En => format!(
                    "... and {more} more lines: --lines {all} shows them, `sim run` writes them to timeline.txt"
                ),
                Lang::Ko => format!(
                    "... 나머지 {more}줄: --lines {all}로 모두 보거나 `sim run`이 쓰는 timeline.txt에서 볼 수 있음"
                ),
            }
        );
    }
    o
}

/// Wraps a paragraph to 78 columns (Hangul counts two), each line indented.
fn wrap(text: &str, indent: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let options = textwrap::Options::new(78)
        .initial_indent(indent)
        .subsequent_indent(indent);
    textwrap::fill(&flat, options)
}

/// The numbers that answer the question: one column per design.
fn numbers(told: &[Told], lang: Lang) -> String {
    const ROWS: [(&str, Label); 12] = [
        ("requests", Label::RequestsIssued),
        ("availability", Label::Availability),
        ("dropped", Label::Dropped),
        ("failover_latency_s", Label::FailoverLatency),
        ("time_to_detect_s", Label::TimeToDetect),
        ("lost_writes", Label::LostWrites),
        ("sessions_lost", Label::SessionsLost),
        ("p99_ms", Label::P99Latency),
        ("instance_hours", Label::InstanceHours),
        ("idle_standby_hours", Label::IdleStandbyHours),
        ("write_conflicts", Label::WriteConflicts),
        ("db_idle_standby_hours", Label::DbIdleStandbyHours),
    ];
    // Rows that cannot say anything here are left out: lost writes without
    // a database, lost sessions with JWT only, standby hours without a
    // standby, failover figures without a fault.
    let database = told.iter().any(|t| t.summary.database.is_some());
    let sessions = told.iter().any(|t| t.summary.sessions != "jwt");
    let faults = told
        .iter()
        .any(|t| t.summary.faults.iter().any(|f| f.started));
    let mut rows: Vec<(&str, Vec<String>)> = Vec::new();
    for (name, key) in ROWS {
        let Some(m) = sweep::metric_index(name) else {
            continue;
        };
        let values: Vec<Option<f64>> = told.iter().map(|t| t.row.values[m]).collect();
        let zero = values.iter().all(|v| *v == Some(0.0));
        let silent = match name {
            "lost_writes" | "db_idle_standby_hours" => !database,
            "sessions_lost" => !sessions,
            "idle_standby_hours" | "write_conflicts" => zero,
            "failover_latency_s" | "time_to_detect_s" => !faults,
            _ => false,
        };
        if silent {
            continue;
        }
        let shown = told
            .iter()
            .zip(&values)
            .map(|(t, v)| cell(m, *v, t, lang))
            .collect();
        rows.push((label(lang, key), shown));
    }
    let mut o = String::new();
    let label_w = rows
        .iter()
        .map(|r| textwrap::core::display_width(r.0))
        .max()
        .unwrap_or(0);
    let pad = |s: &str, w: usize| {
        let n = textwrap::core::display_width(s);
        format!("{s}{}", " ".repeat(w.saturating_sub(n)))
    };
    let col_w: Vec<usize> = (0..told.len())
        .map(|i| {
            rows.iter()
                .map(|r| textwrap::core::display_width(&r.1[i]))
                .chain(told[i].design.iter().map(|d| d.len()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    if told.len() > 1 {
        let mut head = format!("  {}", pad("", label_w));
        for (t, w) in told.iter().zip(&col_w) {
            head += &format!("  {}", pad(t.design.as_deref().unwrap_or(""), *w));
        }
        let _ = writeln!(o, "{}", head.trim_end());
    }
    for (label, cells) in &rows {
        let mut line = format!("  {}", pad(label, label_w));
        for (c, w) in cells.iter().zip(&col_w) {
            line += &format!("  {}", pad(c, *w));
        }
        let _ = writeln!(o, "{}", line.trim_end());
    }
    o
}

/// One figure, with what its absence means.
fn cell(metric: usize, v: Option<f64>, t: &Told, lang: Lang) -> String {
    let name = METRICS[metric].name;
    match (name, v) {
        ("failover_latency_s", Some(0.0)) => label(lang, Label::Masked).into(),
        ("failover_latency_s", None) => label(lang, Label::NeverRecovered).into(),
        ("time_to_detect_s", None) => label(lang, Label::NoAlarm).into(),
        ("availability", Some(a)) => format!(
            "{a:.3}% ({} / {})",
            text::grouped(t.summary.requests.succeeded),
            text::grouped(t.summary.requests.total)
        ),
        ("requests" | "dropped" | "lost_writes" | "sessions_lost", Some(x)) => {
            text::grouped(x as u64)
        }
        ("failover_latency_s" | "time_to_detect_s", Some(x)) => text::human_secs(x),
        (_, v) => check::shown(metric, v),
    }
}
