//! What a run shows people: the charts mark the fault and the recovery where
//! summary.json says they are, alarms fire when their rule allows, the
//! timeline tells the story in order, the OpenMetrics export follows the
//! format's rules, and the terminal output respects scripts and NO_COLOR.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;

use assert_cmd::Command;
use failover_sim::report::{self, RunOptions};
use failover_sim::scenario;

fn sim() -> Command {
    Command::cargo_bin("sim").expect("sim binary")
}

fn load(file: &str, set: &[&str]) -> failover_sim::Scenario {
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    scenario::load_file(Path::new(file), &set).expect("scenario loads")
}

/// The pixel column where `t_s` lands on an axis drawn from `px0` (time 0)
/// to `px1` (the end of the run).
fn column(t_s: f64, duration_s: f64, (px0, px1): (i32, i32)) -> f64 {
    f64::from(px0) + t_s / duration_s * f64::from(px1 - px0)
}

#[test]
fn the_success_chart_marks_the_fault_window_and_the_recovery_at_the_summary_times() {
    let s = load("scenarios/az-outage.yaml", &[]);
    let dir = tempfile::tempdir().unwrap();
    let run = report::run_to_dir(&s, dir.path(), &RunOptions::default(), None).unwrap();
    let folder = dir.path().join("az-outage");
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(folder.join("summary.json")).unwrap()).unwrap();
    let fault = &summary["faults"][0];
    let (start, end) = (
        fault["start_s"].as_f64().unwrap(),
        fault["end_s"].as_f64().unwrap(),
    );
    let recovered = fault["recovered_s"].as_f64().expect("az-outage recovers");
    let duration = summary["duration_s"].as_f64().unwrap();

    let chart = run.charts.iter().find(|c| c.stem == "success").unwrap();
    let svg = fs::read_to_string(folder.join("success.svg")).unwrap();
    assert_eq!(svg, chart.svg, "the file is the chart that was drawn");
    let axis = chart.axes_px[0];

    // The data behind the chart: the window and the mark at summary times.
    let window = chart.marks.iter().find(|m| m.kind == "fault").unwrap();
    assert_eq!((window.t_s, window.end_s), (start, Some(end)));
    let mark = chart.marks.iter().find(|m| m.kind == "recovered").unwrap();
    assert_eq!(mark.t_s, recovered);

    // The picture: a shaded rectangle in the fault colour from the start
    // column to the end column, and a vertical line in the recovery colour
    // at the recovery column (plotters rounds to whole pixels).
    let x0 = column(start, duration, axis);
    let x1 = column(end, duration, axis);
    let rect = svg
        .lines()
        .find(|l| {
            l.starts_with("<rect")
                && l.contains(r##"fill="#D62728""##)
                && l.contains(r#"opacity="0.12""#)
        })
        .expect("a shaded fault window");
    let attr = |l: &str, name: &str| -> f64 {
        let key = format!(" {name}=\"");
        let from = l.find(&key).unwrap() + key.len();
        l[from..].split('"').next().unwrap().parse().unwrap()
    };
    assert!((attr(rect, "x") - x0).abs() <= 1.0, "{rect} vs x {x0}");
    assert!(
        (attr(rect, "x") + attr(rect, "width") - x1).abs() <= 1.0,
        "{rect} vs end {x1}"
    );
    let xr = column(recovered, duration, axis);
    let line = svg
        .lines()
        .filter(|l| l.starts_with("<polyline") && l.contains(r##"stroke="#2CA02C""##))
        .find(|l| {
            let pts = l
                .split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let xs: Vec<f64> = pts
                .split_whitespace()
                .map(|p| p.split(',').next().unwrap().parse().unwrap())
                .collect();
            xs.len() == 2 && xs[0] == xs[1] && (xs[0] - xr).abs() <= 1.0
        });
    assert!(line.is_some(), "no vertical recovery line at x {xr}");
    // Axes are labelled with their units and the chart has a legend.
    for text in [
        "simulated time (min)",
        "succeeded / completed (%)",
        "requests/s",
        "fault window",
        "recovered",
    ] {
        assert!(svg.contains(text), "success.svg lacks {text:?}");
    }
}

#[test]
fn every_tier_gets_its_panel_and_the_html_report_holds_everything() {
    let s = load("scenarios/static-stability.yaml", &["duration=20m"]);
    let dir = tempfile::tempdir().unwrap();
    let run = report::run_to_dir(&s, dir.path(), &RunOptions::default(), None).unwrap();
    let stems: Vec<&str> = run.charts.iter().map(|c| c.stem).collect();
    assert_eq!(
        stems,
        ["success", "latency", "healthy", "dropped", "autoscaling"]
    );
    let s = load("scenarios/db-failover.yaml", &[]);
    let run = report::run_to_dir(&s, dir.path(), &RunOptions::default(), None).unwrap();
    assert!(run.charts.iter().any(|c| c.stem == "database"));
    let html = fs::read_to_string(&run.files.report).unwrap();
    for c in &run.charts {
        assert!(
            html.contains(&c.svg),
            "report.html lacks the {} chart",
            c.stem
        );
    }
    for part in [
        "<h2>Headline numbers</h2>",
        "<h2>Architecture</h2>",
        "<h2>Faults</h2>",
        "<h2>Timeline</h2>",
        "lost writes",
    ] {
        assert!(html.contains(part), "report.html lacks {part}");
    }
    // Self-contained: nothing to fetch, no script.
    assert!(!html.contains("<script"));
    for attr in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "url("] {
        assert!(!html.contains(attr), "report.html refers outside: {attr}");
    }
}

/// An az-outage run with one alarm on healthy hosts.
fn alarm_run(seed: u64, alarm: &str) -> serde_json::Value {
    let s = load(
        "scenarios/az-outage.yaml",
        &[
            &format!("seed={seed}"),
            "duration=20m",
            &format!("monitoring.alarms=[{alarm}]"),
        ],
    );
    let out = failover_sim::model::simulate(&s, Box::new(failover_sim::metrics::NullSink), None);
    serde_json::to_value(failover_sim::Summary::new(&s, &out)).unwrap()
}

#[test]
fn an_alarm_of_three_one_minute_periods_fires_no_sooner_than_three_periods_after_the_fault() {
    // Why: a CloudWatch datapoint covers one whole period and exists only
    // once the period has ended; 3 of 3 needs three breaching datapoints.
    // Periods sit on the clock (00:00, 01:00, ...) and the fault starts on
    // a boundary (10:00), so the first datapoint that can breach is
    // [10:00, 11:00), available at 11:00, and the third at 13:00: 3 periods
    // after the fault. Healthy hosts drop when the LB has seen 2 failed
    // checks, 35 to 65 s in, inside the first period, so it fires exactly
    // then. (A fault inside a period can fire up to one period sooner: the
    // partly faulty period may breach; see the monitor's unit tests.)
    let alarm = "{ name: hosts, metric: healthy_hosts, threshold: '< 6', period: 60s, evaluation_periods: 3 }";
    for seed in [1, 2, 3, 42] {
        let sum = alarm_run(seed, alarm);
        let start = sum["faults"][0]["start_s"].as_f64().unwrap();
        let detected = sum["faults"][0]["detected_s"].as_f64().unwrap();
        let fired = sum["faults"][0]["alarm_s"]
            .as_f64()
            .expect("the alarm fires");
        assert!(
            detected - start < 60.0,
            "seed {seed}: LB detection in the first period"
        );
        assert!(fired - start >= 3.0 * 60.0, "seed {seed}: fired at {fired}");
        assert_eq!(fired, start + 180.0, "seed {seed}");
        assert_eq!(sum["faults"][0]["time_to_detect_s"].as_f64(), Some(180.0));
        assert_eq!(sum["faults"][0]["alarm"], "hosts");
        // 1 of 1 fires at the end of the first period instead.
        let quick = alarm_run(
            seed,
            &alarm.replace("evaluation_periods: 3", "evaluation_periods: 1"),
        );
        assert_eq!(quick["faults"][0]["alarm_s"].as_f64(), Some(start + 60.0));
    }
    // Prometheus style: evaluated every minute over the last minute, firing
    // after `for: 2m` of holding: the first true evaluation is 11:00, so
    // 13:00 again.
    let prom = "{ name: hosts, metric: healthy_hosts, threshold: '< 6', for: 2m }";
    let sum = alarm_run(42, prom);
    assert_eq!(sum["faults"][0]["alarm_s"].as_f64(), Some(600.0 + 180.0));
    assert_eq!(sum["alarms"][0]["rule"], "for 2m over 1m");
}

#[test]
fn the_timeline_tells_cause_before_effect() {
    let s = load("scenarios/az-outage.yaml", &[]);
    let dir = tempfile::tempdir().unwrap();
    let run = report::run_to_dir(&s, dir.path(), &RunOptions::default(), None).unwrap();
    let text = fs::read_to_string(&run.files.timeline).unwrap();
    let at = |needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("timeline lacks {needle:?}:\n{text}"))
    };
    let order = [
        "fault #0 (az_outage on az a) starts",
        "a-1, a-2 lose power",
        "a health check of",
        "marks a-2 unhealthy",
        "service recovered from fault #0",
        "ALARM unhealthy-hosts fires",
        "fault #0 (az_outage on az a) ends",
        "marks a-2 healthy",
        "full capacity back",
        "alarm unhealthy-hosts is OK again",
    ];
    let positions: Vec<usize> = order.iter().map(|n| at(n)).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "{positions:?}\n{text}"
    );
    // Times are in order and the fault starts at 10 minutes.
    assert!(
        text.lines()
            .next()
            .unwrap()
            .starts_with("00:10:00.000  fault #0")
    );
    let times: Vec<&str> = text.lines().map(|l| &l[..12]).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

// ---- OpenMetrics ------------------------------------------------------------

fn valid_name(n: &str) -> bool {
    let mut chars = n.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Splits `name{labels} value timestamp` and checks the label syntax.
fn parse_sample(line: &str) -> (String, String, f64, f64) {
    let brace = line.find('{').expect("labels");
    let name = &line[..brace];
    let close = line.rfind('}').expect("closing brace");
    let labels = &line[brace + 1..close];
    // name="value" pairs, values escaped (\\, \", \n only).
    let mut rest = labels;
    while !rest.is_empty() {
        let eq = rest.find("=\"").expect("label=\"value\"");
        assert!(valid_name(&rest[..eq]), "label name in {line}");
        let mut chars = rest[eq + 2..].char_indices();
        let end = loop {
            match chars.next().expect("unterminated label value") {
                (_, '\\') => {
                    let (_, e) = chars.next().unwrap();
                    assert!(matches!(e, '\\' | '"' | 'n'), "bad escape in {line}");
                }
                (i, '"') => break eq + 2 + i,
                (_, c) => assert!(c != '\n'),
            }
        };
        rest = &rest[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    let tail: Vec<&str> = line[close + 1..].split(' ').collect();
    assert_eq!(
        tail.len(),
        3,
        "one space, value, one space, timestamp: {line}"
    );
    assert_eq!(tail[0], "");
    let value: f64 = tail[1].parse().expect("value is a number");
    let ts: f64 = tail[2].parse().expect("timestamp is a number");
    (name.to_string(), labels.to_string(), value, ts)
}

/// Checks `text` against the OpenMetrics text format rules, line by line.
fn check_openmetrics(text: &str) -> usize {
    assert!(text.ends_with("# EOF\n"), "ends with # EOF and a newline");
    let lines: Vec<&str> = text.lines().collect();
    let mut families: HashMap<String, String> = HashMap::new();
    let mut current: Option<String> = None;
    let mut finished: HashSet<String> = HashSet::new();
    let mut seen_series: HashSet<(String, String)> = HashSet::new();
    let mut last: Option<((String, String), f64, f64)> = None;
    let mut samples = 0;
    for (i, line) in lines.iter().enumerate() {
        assert!(
            !line.is_empty(),
            "line {}: blank lines are not allowed",
            i + 1
        );
        if *line == "# EOF" {
            assert_eq!(i, lines.len() - 1, "# EOF is the last line");
            continue;
        }
        if let Some(meta) = line.strip_prefix("# ") {
            let mut parts = meta.splitn(3, ' ');
            let (kind, name) = (parts.next().unwrap(), parts.next().unwrap());
            assert!(valid_name(name), "line {}: family name {name}", i + 1);
            if current.as_deref() != Some(name) {
                // A new family: the previous one is over for good.
                if let Some(prev) = current.take() {
                    finished.insert(prev);
                }
                assert!(
                    !finished.contains(name),
                    "line {}: family {name} interleaved",
                    i + 1
                );
                current = Some(name.to_string());
            }
            match kind {
                "TYPE" => {
                    let t = parts.next().unwrap();
                    assert!(["counter", "gauge"].contains(&t), "type {t}");
                    assert!(
                        families.insert(name.into(), t.into()).is_none(),
                        "one TYPE per family"
                    );
                }
                "UNIT" => {
                    let u = parts.next().unwrap();
                    assert!(
                        name.ends_with(&format!("_{u}")),
                        "line {}: the unit is the name's suffix",
                        i + 1
                    );
                }
                "HELP" => assert!(parts.next().is_some_and(|h| !h.is_empty())),
                other => panic!("line {}: unknown metadata {other}", i + 1),
            }
            continue;
        }
        let family = current
            .clone()
            .expect("samples come after their family's TYPE");
        let kind = families.get(&family).expect("TYPE before samples").clone();
        let (name, labels, value, ts) = parse_sample(line);
        let expected = if kind == "counter" {
            format!("{family}_total")
        } else {
            family.clone()
        };
        assert_eq!(name, expected, "line {}: sample name of a {kind}", i + 1);
        assert!(value.is_finite());
        let series = (name.clone(), labels.clone());
        match &last {
            Some((prev, pv, pt)) if *prev == series => {
                assert!(
                    ts > *pt,
                    "line {}: timestamps increase within a series",
                    i + 1
                );
                if kind == "counter" {
                    assert!(value >= *pv, "line {}: a counter never decreases", i + 1);
                }
            }
            _ => assert!(
                seen_series.insert(series.clone()),
                "line {}: a series' samples are contiguous",
                i + 1
            ),
        }
        if kind == "counter" {
            assert!(value >= 0.0);
        }
        last = Some((series, value, ts));
        samples += 1;
    }
    samples
}

#[test]
fn metrics_export_follows_the_openmetrics_rules_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("az-outage.om");
    let o = sim()
        .args([
            "run",
            "scenarios/az-outage.yaml",
            "--quiet",
            "--metrics-start",
            "1767225600",
        ])
        .arg("--out")
        .arg(dir.path())
        .arg("--metrics-out")
        .arg(&file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = fs::read_to_string(&file).unwrap();
    let samples = check_openmetrics(&text);
    // 45 min at the scenario's 15 s scrape interval: 180 scrapes.
    assert!(text.contains("sim_requests_total{scenario=\"az-outage\",seed=\"42\"} "));
    let first = text
        .lines()
        .find(|l| l.starts_with("sim_requests_total"))
        .unwrap();
    assert!(
        first.ends_with(" 1767225615.000"),
        "timestamps start at --metrics-start: {first}"
    );
    let scrapes = text
        .lines()
        .filter(|l| l.starts_with("sim_requests_total"))
        .count();
    assert_eq!(scrapes, 180);
    assert!(samples > 180 * 10);
    // The alarm gauge is 1 while the alarm is in ALARM: from 11:00 to 35:00
    // in this run (see the timeline test), i.e. 96 scrapes of 15 s.
    let firing = text
        .lines()
        .filter(|l| {
            l.starts_with("sim_alarm_firing{")
                && l.contains("unhealthy-hosts")
                && l.contains("} 1 ")
        })
        .count();
    assert_eq!(firing, 96);
    // The last counter value is the run's total, warm-up included.
    let last_total: u64 = text
        .lines()
        .rfind(|l| l.starts_with("sim_requests_total"))
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let csv = fs::read_to_string(dir.path().join("az-outage/timeseries.csv")).unwrap();
    let issued: u64 = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(last_total, issued);

    // The reference parser, when available (CI installs it).
    let python = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families as f\nprint(sum(len(x.samples) for x in f(open(sys.argv[1]).read())))",
        ])
        .arg(&file)
        .output();
    match python {
        Ok(p) if p.status.success() => {
            let n: usize = String::from_utf8_lossy(&p.stdout).trim().parse().unwrap();
            assert_eq!(n, samples, "prometheus_client parsed every sample");
        }
        Ok(p) if std::env::var_os("FAILOVER_SIM_CI").is_some() => {
            panic!(
                "prometheus_client rejected the file: {}",
                String::from_utf8_lossy(&p.stderr)
            )
        }
        _ => eprintln!(
            "skipped the prometheus_client parser: `pip install prometheus-client` to run it"
        ),
    }
}

#[test]
fn the_checker_catches_what_the_format_forbids() {
    // The rules above must be able to fail: each broken file is rejected.
    let good = "# TYPE a counter\n# HELP a A.\na_total{x=\"1\"} 1 1.000\na_total{x=\"1\"} 2 2.000\n# EOF\n";
    assert_eq!(check_openmetrics(good), 2);
    for bad in [
        "# TYPE a counter\n# HELP a A.\na_total{x=\"1\"} 1 1.000\n",
        "# TYPE a counter\n# HELP a A.\na{x=\"1\"} 1 1.000\n# EOF\n",
        "# TYPE a counter\n# HELP a A.\na_total{x=\"1\"} 2 1.000\na_total{x=\"1\"} 1 2.000\n# EOF\n",
        "# TYPE a gauge\n# HELP a A.\na{x=\"1\"} 1 2.000\na{x=\"1\"} 1 1.000\n# EOF\n",
        "# TYPE a gauge\n# HELP a A.\na{x=\"1\"} 1 1.000\na{x=\"2\"} 1 1.000\na{x=\"1\"} 1 2.000\n# EOF\n",
        "# TYPE a gauge\n# HELP a A.\n# TYPE b gauge\n# HELP b B.\n# TYPE a gauge\n# EOF\n",
        "# TYPE a_seconds gauge\n# UNIT a_seconds bytes\n# EOF\n",
        "# TYPE a gauge\n# HELP a A.\na{x=\"\\q\"} 1 1.000\n# EOF\n",
        "# TYPE a gauge\n# HELP a A.\n\na{x=\"1\"} 1 1.000\n# EOF\n",
    ] {
        let caught = std::panic::catch_unwind(|| check_openmetrics(bad)).is_err();
        assert!(caught, "not caught:\n{bad}");
    }
}

// ---- terminal ---------------------------------------------------------------

fn quick(extra: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let o = sim()
        .args([
            "run",
            "scenarios/instance-failure.yaml",
            "--set",
            "duration=7m",
        ])
        .arg("--out")
        .arg(dir.path())
        .args(extra)
        .output()
        .unwrap();
    (o, dir)
}

#[test]
fn json_prints_the_summary_and_nothing_else_quiet_prints_nothing() {
    let (o, dir) = quick(&["--json"]);
    assert!(o.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    let file: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(dir.path().join("instance-failure/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(printed, file);
    let (o, _dir) = quick(&["--quiet"]);
    assert!(o.status.success());
    assert!(o.stdout.is_empty() && o.stderr.is_empty());
}

#[test]
fn no_colour_in_a_pipe_aligned_values_and_explain_prints_the_timeline() {
    let (o, dir) = quick(&["--explain"]);
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(!out.contains('\u{1b}'), "no escape codes in a pipe");
    assert!(out.contains("\ntimeline\n"));
    assert!(out.contains("the load balancer marks a-1 unhealthy"));
    // Aligned: every summary line's value starts at column 16.
    for l in out
        .lines()
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
    {
        assert_ne!(l.as_bytes()[16], b' ', "value at column 16: {l:?}");
        assert_eq!(&l[14..16], "  ", "label padded to column 16: {l:?}");
    }
    let files = fs::read_dir(dir.path().join("instance-failure"))
        .unwrap()
        .count();
    assert!(files >= 8, "summary, csv, timeline, 4 charts, report");
}

#[test]
fn png_charts_are_pngs_and_bad_flags_are_errors() {
    let (o, dir) = quick(&["--png", "--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for stem in ["success", "latency", "healthy", "dropped"] {
        let bytes = fs::read(dir.path().join(format!("instance-failure/{stem}.png"))).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{stem}.png");
    }
    let (o, _d) = quick(&["--metrics-out", "/", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--metrics-out must be a file"));
    let (o, _d) = quick(&["--metrics-start", "yesterday"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("RFC 3339"));
}

#[test]
fn every_output_is_byte_identical_for_the_same_seed() {
    let run = |dir: &Path| {
        let o = sim()
            .args([
                "run",
                "scenarios/az-outage.yaml",
                "--quiet",
                "--set",
                "duration=15m",
            ])
            .arg("--out")
            .arg(dir)
            .arg("--metrics-out")
            .arg(dir.join("m.om"))
            .output()
            .unwrap();
        assert!(o.status.success());
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(a.path());
    run(b.path());
    let mut names: Vec<_> = fs::read_dir(a.path().join("az-outage"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(names.len() >= 8);
    for n in names {
        let x = fs::read(a.path().join("az-outage").join(&n)).unwrap();
        let y = fs::read(b.path().join("az-outage").join(&n)).unwrap();
        assert!(x == y, "{n:?} differs between two runs");
    }
    assert_eq!(
        fs::read(a.path().join("m.om")).unwrap(),
        fs::read(b.path().join("m.om")).unwrap()
    );
}

#[test]
fn an_alarm_is_credited_only_for_what_it_saw_after_the_fault_started() {
    // `requests > 0` breaches every period: it fires at 1:00, the end of
    // the first period, and stays in ALARM. A fault starting at 1:00 must
    // not be "detected" by it: that datapoint ended when the fault began.
    let s = load(
        "scenarios/instance-failure.yaml",
        &[
            "faults[0].at=1m",
            "monitoring.alarms=[{name: busy, metric: requests, threshold: '> 0', period: 1m}]",
        ],
    );
    let out = failover_sim::model::simulate(&s, Box::new(failover_sim::metrics::NullSink), None);
    let sum = failover_sim::Summary::new(&s, &out);
    assert_eq!(sum.alarms[0].first_fired_s, Some(60.0));
    assert_eq!(sum.faults[0].time_to_detect_s, None);
    // A fault without an end lasts to the end of the run: an alarm that
    // needs 15 periods of fewer hosts still detects the AZ that never
    // comes back, and the chart shades it to the end.
    let s = load(
        "scenarios/az-outage.yaml",
        &[
            "faults=[{at: 10m, kind: az_outage, az: a}]",
            "monitoring.alarms=[{name: slow, metric: healthy_hosts, threshold: '< 6', period: 1m, evaluation_periods: 15}]",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let run = report::run_to_dir(&s, dir.path(), &RunOptions::default(), None).unwrap();
    let f = &run.summary.faults[0];
    assert_eq!((f.alarm_s, f.time_to_detect_s), (Some(1500.0), Some(900.0)));
    let chart = run.charts.iter().find(|c| c.stem == "success").unwrap();
    let window = chart.marks.iter().find(|m| m.kind == "fault").unwrap();
    assert_eq!(window.end_s, Some(2700.0));
}

#[test]
fn the_export_ends_with_the_last_partial_interval_and_a_bad_path_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.om");
    let o = sim()
        .args([
            "run",
            "scenarios/az-outage.yaml",
            "--quiet",
            "--set",
            "duration=90s",
            "--set",
            "warmup=0s",
        ])
        .args([
            "--set",
            "faults=[]",
            "--set",
            "monitoring.scrape_interval=1m",
        ])
        .arg("--out")
        .arg(dir.path())
        .arg("--metrics-out")
        .arg(&file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = fs::read_to_string(&file).unwrap();
    check_openmetrics(&text);
    let totals: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("sim_requests_total"))
        .collect();
    assert_eq!(totals.len(), 2, "at 60 s and at the end, 90 s: {totals:?}");
    assert!(totals[1].ends_with(" 90.000"));
    let summary: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(dir.path().join("az-outage/summary.json")).unwrap(),
    )
    .unwrap();
    let last: u64 = totals[1].split(' ').nth(1).unwrap().parse().unwrap();
    // Warm-up is 0 here: every request issued is in the summary's total.
    assert_eq!(last, summary["requests"]["total"].as_u64().unwrap());

    // A path that cannot be written fails before the run: exit 2, the
    // path named, no run folder, no temporary file.
    let fresh = tempfile::tempdir().unwrap();
    let o = sim()
        .args([
            "run",
            "scenarios/az-outage.yaml",
            "--set",
            "duration=1m",
            "--set",
            "warmup=0s",
            "--set",
            "faults=[]",
        ])
        .arg("--out")
        .arg(fresh.path())
        .arg("--metrics-out")
        .arg(fresh.path().join("missing/m.om"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("missing/m.om:"), "{err}");
    let left: Vec<_> = fs::read_dir(fresh.path().join("az-outage"))
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn the_alarm_chart_plots_each_datapoint_against_the_threshold() {
    let s = load("scenarios/az-outage.yaml", &[]);
    let dir = tempfile::tempdir().unwrap();
    let run = report::run_to_dir(&s, dir.path(), &RunOptions::default(), None).unwrap();
    let chart = run
        .charts
        .iter()
        .find(|c| c.stem == "alarms")
        .expect("alarms.svg");
    assert_eq!(chart.axes_px.len(), 2, "one panel per alarm");
    for text in [
        "Alarm high-error-rate: success_ratio &lt; 99%",
        "threshold 99%",
        "threshold 6",
    ] {
        assert!(chart.svg.contains(text), "alarms.svg lacks {text:?}");
    }
    // The one breaching minute of the error-rate alarm, 97.2% at 11:00,
    // is a datapoint (the chart draws what the alarm evaluated).
    let o = &run.output.metrics.alarms[0];
    let at_11 = o
        .datapoints
        .iter()
        .find(|(t, _)| *t == 660 * 1_000_000_000)
        .unwrap();
    assert!((at_11.1.unwrap() - 0.9717).abs() < 1e-4, "{at_11:?}");
    assert_eq!(
        o.datapoints
            .iter()
            .filter(|(_, v)| v.is_some_and(|v| v < 0.99))
            .count(),
        1
    );
}
