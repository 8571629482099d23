//! The short human summary printed after a run.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::Summary;

/// Colours for the terminal, or none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    /// Colour only on a terminal, and never when `NO_COLOR` is set to
    /// anything but the empty string (no-color.org).
    pub fn new(is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> Paint {
        Paint {
            on: is_terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }

    fn with(self, style: Style, text: &str) -> String {
        if self.on {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.with(Style::new().bold(), text)
    }
    pub fn good(self, text: &str) -> String {
        self.with(Style::new().fg_color(Some(AnsiColor::Green.into())), text)
    }
    pub fn warn(self, text: &str) -> String {
        self.with(Style::new().fg_color(Some(AnsiColor::Yellow.into())), text)
    }
    pub fn bad(self, text: &str) -> String {
        self.with(
            Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
            text,
        )
    }
    pub fn alarm(self, text: &str) -> String {
        self.with(Style::new().fg_color(Some(AnsiColor::Magenta.into())), text)
    }
    pub fn dim(self, text: &str) -> String {
        self.with(Style::new().dimmed(), text)
    }
}

/// Seconds as a compact duration: `45s`, `10m`, `1h30m`, `12.5s`.
pub fn human_secs(s: f64) -> String {
    if s < 60.0 {
        let t = format!("{s:.1}");
        return format!("{}s", t.trim_end_matches(".0"));
    }
    let total = s.round() as u64;
    let (h, m, sec) = (total / 3600, total / 60 % 60, total % 60);
    let mut out = String::new();
    if h > 0 {
        let _ = write!(out, "{h}h");
    }
    if m > 0 {
        let _ = write!(out, "{m}m");
    }
    if sec > 0 {
        let _ = write!(out, "{sec}s");
    }
    out
}

/// Thousands separators for counts.
pub fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The terminal summary of a run.
pub fn render(sum: &Summary, paint: Paint) -> String {
    let mut o = String::new();
    let r = &sum.requests;
    let _ = writeln!(
        o,
        "{}  seed {}  {} simulated{}",
        paint.bold(&sum.scenario),
        sum.seed,
        human_secs(sum.duration_s),
        if sum.warmup_s > 0.0 {
            format!(" ({} warm-up not counted)", human_secs(sum.warmup_s))
        } else {
            String::new()
        }
    );
    let avail = sum
        .availability
        .map_or("n/a".to_string(), |a| format!("{:.3}%", a * 100.0));
    let _ = writeln!(
        o,
        "  requests      {} issued, {} succeeded, availability {}",
        grouped(r.total),
        grouped(r.succeeded),
        paint.bold(&avail)
    );
    let d = &r.dropped;
    let reasons: Vec<String> = d
        .by_reason()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k} {}", grouped(*n)))
        .collect();
    let _ = writeln!(
        o,
        "  dropped       {}{}",
        if d.total > 0 {
            paint.bad(&grouped(d.total))
        } else {
            paint.good("0")
        },
        if reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", reasons.join(", "))
        }
    );
    if let Some(apr) = sum.attempts_per_request {
        let c = &sum.client;
        let mut line = format!("  attempts      {apr:.3} per request");
        if c.retries_refused_by_budget > 0 {
            let _ = write!(
                line,
                ", {} retries refused by the budget",
                grouped(c.retries_refused_by_budget)
            );
        }
        if c.circuit_opened > 0 {
            let _ = write!(
                line,
                ", circuit opened {}x ({} open)",
                c.circuit_opened,
                human_secs(c.circuit_open_s)
            );
        }
        let _ = writeln!(o, "{line}");
    }
    if let Some(l) = &sum.latency_ms {
        let _ = writeln!(
            o,
            "  latency       p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            l.p50, l.p90, l.p99, l.max
        );
    }
    for (i, f) in sum.faults.iter().enumerate() {
        let span = f.end_s.map_or(String::new(), |e| {
            format!(" for {}", human_secs(e - f.start_s))
        });
        let _ = write!(
            o,
            "  fault #{i}      {} {} at {}{span}: ",
            f.kind,
            f.target,
            human_secs(f.start_s)
        );
        let rel = |t: Option<f64>| t.map(|t| format!("+{}", human_secs(t - f.start_s)));
        if !f.started {
            let _ = writeln!(o, "after the end of the run, not injected");
            continue;
        }
        let detected = rel(f.detected_s).unwrap_or_else(|| "never".into());
        let alarm = match (&f.alarm, f.time_to_detect_s) {
            (Some(name), Some(t)) => {
                format!(", alarm {} +{}", paint.alarm(name), human_secs(t))
            }
            _ if !sum.alarms.is_empty() => format!(", {}", paint.warn("no alarm")),
            _ => String::new(),
        };
        let verdict = match (f.verdict, f.failover_latency_s) {
            ("masked", _) => paint.good("masked (success ratio never below threshold)"),
            ("recovered", Some(l)) => {
                format!("failover latency {}", paint.warn(&human_secs(l)))
            }
            ("no_traffic", _) => "no verdict (no request completed)".to_string(),
            _ => paint.bad("not recovered by the end"),
        };
        let _ = writeln!(
            o,
            "detected {detected}{alarm}, {verdict}, {} dropped",
            grouped(f.dropped)
        );
    }
    if let Some(db) = &sum.database {
        let _ = writeln!(
            o,
            "  database      {} ({} replication, {} endpoint): {} calls, {} failed, {} lost writes",
            db.mode,
            db.replication,
            db.endpoint,
            grouped(db.calls),
            grouped(db.calls_failed),
            grouped(db.lost_writes)
        );
        let multi_writer = db.mode == "multi_writer";
        if multi_writer {
            let _ = writeln!(
                o,
                "                {} writers, {} writes, {} write conflicts (last-writer-wins dropped one of each pair)",
                db.writers,
                grouped(db.writes),
                grouped(db.write_conflicts)
            );
        }
        for f in &db.failovers {
            let rel = |t: Option<f64>| {
                t.map_or("-".into(), |t| format!("+{}", human_secs(t - f.start_s)))
            };
            if multi_writer {
                let _ = writeln!(
                    o,
                    "    writer failed at {}: noticed {}, traffic moved {}{}, {} lost writes",
                    human_secs(f.start_s),
                    rel(f.detected_s),
                    rel(f.endpoint_switched_s),
                    f.repaired_s.map_or(String::new(), |r| format!(
                        ", back +{}",
                        human_secs(r - f.start_s)
                    )),
                    grouped(f.lost_writes)
                );
                continue;
            }
            let _ = writeln!(
                o,
                "    primary failed at {}: detected {}, promoted {}, endpoint switched {}{}",
                human_secs(f.start_s),
                rel(f.detected_s),
                rel(f.promoted_s),
                rel(f.endpoint_switched_s),
                f.repaired_s.map_or(String::new(), |r| format!(
                    ", repaired +{}",
                    human_secs(r - f.start_s)
                ))
            );
        }
    }
    if let Some(d) = &sum.dns {
        let changes: Vec<String> = d
            .changes
            .iter()
            .map(|c| {
                format!(
                    "{} -> {} at {}{}",
                    c.from,
                    c.to,
                    human_secs(c.at_s),
                    c.clients_moved_s.map_or(String::new(), |m| format!(
                        " (clients moved by {})",
                        human_secs(m)
                    ))
                )
            })
            .collect();
        let _ = writeln!(
            o,
            "  dns           Route 53 failover, primary {}: {}",
            d.primary,
            if changes.is_empty() {
                "never failed over".to_string()
            } else {
                changes.join(", ")
            }
        );
    }
    if let Some(c) = &sum.cache {
        let _ = writeln!(
            o,
            "  cache         hit ratio {} (configured {:.0}%), {} failovers",
            c.hit_ratio
                .map_or("n/a".into(), |h| format!("{:.1}%", h * 100.0)),
            c.configured_hit_ratio * 100.0,
            c.failovers
        );
    }
    if sum.sessions != "jwt" {
        let _ = writeln!(
            o,
            "  sessions      {}: {} lost",
            sum.sessions,
            grouped(sum.sessions_lost)
        );
    }
    if let Some(a) = &sum.autoscaling {
        let _ = writeln!(
            o,
            "  autoscaling   {} launched, {} terminated ({} unhealthy replaced), desired up to {}, at most {} instances, {:.1} instance-hours",
            grouped(a.launches),
            grouped(a.terminations),
            grouped(a.replaced_unhealthy),
            a.max_desired,
            a.max_instances,
            a.instance_hours
        );
    }
    let c = &sum.cost;
    let standby = if c.standby_instance_hours > 0.0 {
        format!(
            " ({:.1} standby, {:.1} idle)",
            c.standby_instance_hours, c.idle_standby_hours
        )
    } else {
        String::new()
    };
    let db_cost = if sum.database.is_some() {
        format!(
            "; database {:.1} node-hours ({:.1} idle standby)",
            c.db_node_hours, c.db_idle_standby_hours
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        o,
        "  cost          {:.1} instance-hours{standby}{db_cost}",
        c.instance_hours
    );
    for a in &sum.alarms {
        let fired = match a.first_fired_s {
            Some(t) => format!(
                "fired {}x, first at {}, {} in alarm",
                a.fired,
                human_secs(t),
                human_secs(a.alarm_s)
            ),
            None => "never fired".into(),
        };
        let _ = writeln!(
            o,
            "  alarm         {} ({}, {}): {fired}",
            paint.alarm(&a.name),
            a.condition,
            a.rule
        );
    }
    let _ = writeln!(
        o,
        "  healthy       min {} targets, {:.0}s with none",
        sum.capacity.min_healthy, sum.capacity.zero_healthy_s
    );
    let _ = writeln!(
        o,
        "  events        {} (hash {})",
        grouped(sum.events_processed),
        paint.dim(&sum.event_hash)
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_units_read_naturally() {
        assert_eq!(human_secs(45.0), "45s");
        assert_eq!(human_secs(12.25), "12.2s");
        assert_eq!(human_secs(600.0), "10m");
        assert_eq!(human_secs(5400.0), "1h30m");
        assert_eq!(grouped(1234567), "1,234,567");
        assert_eq!(grouped(999), "999");
    }

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        use std::ffi::OsStr;
        assert!(Paint::new(true, None).on);
        assert!(!Paint::new(false, None).on);
        assert!(!Paint::new(true, Some(OsStr::new("1"))).on);
        // An empty NO_COLOR does not count (no-color.org).
        assert!(Paint::new(true, Some(OsStr::new(""))).on);
        let p = Paint { on: true };
        assert_eq!(p.good("ok"), "\u{1b}[32mok\u{1b}[0m");
        assert_eq!(Paint::default().bad("x"), "x");
    }
}
