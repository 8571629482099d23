//! `report.html`: one self-contained page (inline CSS and SVG, no script,
//! nothing fetched) with the scenario's description, its architecture, the
//! headline numbers, the charts, the faults with their phases, the alarms
//! and the timeline. Opens from disk in any browser.

use std::fmt::Write;

use super::Summary;
use super::charts::Drawn;
use super::text::{grouped, human_secs};
use super::timeline::{self, Entry};
use crate::scenario::Scenario;

/// Text made safe for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

pub(crate) const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; margin: 0; color: #1d2433; background: #f6f7f9; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 32px 0 12px; font-size: 19px; border-bottom: 1px solid #d8dce3; padding-bottom: 4px; }
.meta { color: #5b6475; font-size: 13px; }
.description { font-size: 15px; line-height: 1.5; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid #d8dce3; border-radius: 8px; padding: 12px 14px; }
.card .value { font-size: 24px; font-weight: bold; }
.card .label { color: #5b6475; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card.bad .value { color: #c0392b; }
.card.good .value { color: #1e8449; }
figure { margin: 0 0 18px; background: #fff; border: 1px solid #d8dce3; border-radius: 8px; padding: 8px; }
figure svg { max-width: 100%; height: auto; display: block; margin: 0 auto; }
figcaption { color: #5b6475; font-size: 12px; padding: 4px 8px; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 13px; }
th, td { border: 1px solid #d8dce3; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #eef0f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.timeline td:first-child { font-family: "DejaVu Sans Mono", monospace; white-space: nowrap; }
.k-fault td { background: #fdecea; }
.k-alarm td { background: #f3ecfa; }
.k-recovery td { background: #eaf6ec; }
pre { background: #fff; border: 1px solid #d8dce3; padding: 10px; overflow-x: auto; font-size: 12px; }
footer { color: #5b6475; font-size: 12px; margin-top: 32px; }
"#;

fn opt_secs(v: Option<f64>) -> String {
    v.map_or("–".into(), human_secs)
}

fn card(o: &mut String, label: &str, value: &str, class: &str) {
    let _ = write!(
        o,
        r#"<div class="card {class}"><div class="label">{}</div><div class="value">{}</div></div>"#,
        esc(label),
        esc(value)
    );
}

/// The whole page. `diagram` is the architecture as inline SVG.
pub fn page(
    s: &Scenario,
    sum: &Summary,
    charts: &[Drawn],
    entries: &[Entry],
    diagram: &str,
) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} · failover-sim report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        esc(&sum.scenario)
    );
    let _ = writeln!(o, "<h1>{}</h1>", esc(&sum.scenario));
    let _ = writeln!(
        o,
        "<p class=\"meta\">seed {} · {} simulated · {} warm-up not counted · failover-sim {} · event hash {}</p>",
        sum.seed,
        human_secs(sum.duration_s),
        human_secs(sum.warmup_s),
        esc(sum.sim_version),
        esc(&sum.event_hash)
    );
    if !sum.description.is_empty() {
        let _ = writeln!(o, "<p class=\"description\">{}</p>", esc(&sum.description));
    }

    // Headline numbers.
    o.push_str("<h2>Headline numbers</h2>\n<div class=\"cards\">");
    let threshold = s.metrics.threshold;
    match sum.availability {
        Some(a) => card(
            &mut o,
            "availability",
            &format!("{:.3}%", a * 100.0),
            if a >= threshold { "good" } else { "bad" },
        ),
        None => card(&mut o, "availability", "n/a", ""),
    }
    let worst = sum
        .faults
        .iter()
        .filter_map(|f| f.failover_latency_s)
        .reduce(f64::max);
    let not_recovered = sum.faults.iter().any(|f| f.verdict == "not_recovered");
    if !sum.faults.is_empty() {
        let (value, class) = if not_recovered {
            ("not recovered".to_string(), "bad")
        } else {
            (worst.map_or("masked".into(), human_secs), "")
        };
        card(&mut o, "worst failover latency", &value, class);
    }
    card(
        &mut o,
        "dropped requests",
        &grouped(sum.requests.dropped.total),
        if sum.requests.dropped.total > 0 {
            "bad"
        } else {
            "good"
        },
    );
    if let Some(l) = &sum.latency_ms {
        card(&mut o, "latency p99", &format!("{:.1} ms", l.p99), "");
    }
    if !sum.alarms.is_empty() && !sum.faults.is_empty() {
        let ttd = sum
            .faults
            .iter()
            .filter_map(|f| f.time_to_detect_s)
            .reduce(f64::max);
        card(
            &mut o,
            "time to detect (alarm)",
            &ttd.map_or("never fired".into(), human_secs),
            if ttd.is_none() { "bad" } else { "" },
        );
    }
    if let Some(db) = &sum.database {
        card(
            &mut o,
            "lost writes",
            &grouped(db.lost_writes),
            if db.lost_writes > 0 { "bad" } else { "good" },
        );
    }
    if sum.sessions != "jwt" {
        card(&mut o, "sessions lost", &grouped(sum.sessions_lost), "");
    }
    if let Some(a) = &sum.autoscaling {
        card(
            &mut o,
            "instance-hours",
            &format!("{:.1}", a.instance_hours),
            "",
        );
    }
    o.push_str("</div>\n");

    o.push_str("<h2>Architecture</h2>\n<figure>");
    o.push_str(diagram);
    o.push_str("<figcaption>AZs as columns, tiers as rows; faulted parts outlined in red.</figcaption></figure>\n");

    o.push_str("<h2>Charts</h2>\n");
    for c in charts {
        let _ = write!(o, "<figure id=\"chart-{}\">", c.stem);
        o.push_str(&c.svg);
        let _ = writeln!(
            o,
            "<figcaption>{} ({}.svg). Red: fault windows; orange: first component notices (load balancer, database, group); green: recovered; cyan: capacity restored; purple: an alarm fires.</figcaption></figure>",
            esc(&c.title),
            c.stem
        );
    }

    o.push_str("<h2>Faults</h2>\n");
    if sum.faults.is_empty() {
        o.push_str("<p>No fault injected.</p>\n");
    } else {
        o.push_str("<table><tr><th>#</th><th>fault</th><th>target</th><th>start</th><th>end</th><th>LB detects</th><th>alarm fires</th><th>recovered</th><th>failover latency</th><th>capacity back</th><th>verdict</th><th>dropped</th></tr>\n");
        for (i, f) in sum.faults.iter().enumerate() {
            let alarm = match (&f.alarm, f.time_to_detect_s) {
                (Some(name), Some(t)) => format!("{} ({} after)", esc(name), human_secs(t)),
                _ => "–".into(),
            };
            let _ = writeln!(
                o,
                "<tr><td>{i}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{alarm}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                esc(f.kind),
                esc(&f.target),
                human_secs(f.start_s),
                opt_secs(f.end_s),
                opt_secs(f.detected_s),
                opt_secs(f.recovered_s),
                opt_secs(f.failover_latency_s),
                opt_secs(f.capacity_restored_s),
                esc(f.verdict),
                grouped(f.dropped)
            );
        }
        o.push_str("</table>\n");
    }

    if !sum.alarms.is_empty() {
        o.push_str("<h2>Alarms</h2>\n<table><tr><th>alarm</th><th>condition</th><th>rule</th><th>fired</th><th>first fired</th><th>time in alarm</th></tr>\n");
        for a in &sum.alarms {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&a.name),
                esc(&a.condition),
                esc(&a.rule),
                a.fired,
                opt_secs(a.first_fired_s),
                human_secs(a.alarm_s)
            );
        }
        o.push_str("</table>\n");
    }

    o.push_str("<h2>Timeline</h2>\n<table class=\"timeline\"><tr><th>time</th><th>what happened</th></tr>\n");
    for e in entries {
        let _ = writeln!(
            o,
            "<tr class=\"k-{}\"><td>{}</td><td>{}</td></tr>",
            e.kind,
            timeline::clock(e.at),
            esc(&e.render_text())
        );
    }
    o.push_str("</table>\n");
    let _ = writeln!(
        o,
        "<footer>Written by failover-sim {}. Same scenario and seed give the same report: <code>sim run &lt;file&gt; --seed {}</code>.</footer>\n</main>\n</body>\n</html>",
        esc(sum.sim_version),
        sum.seed
    );
    o
}
