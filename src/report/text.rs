//! The short human summary printed after a run.

use std::fmt::Write;

use super::Summary;

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
pub fn render(sum: &Summary) -> String {
    let mut o = String::new();
    let r = &sum.requests;
    let _ = writeln!(
        o,
        "{}  seed {}  {} simulated{}",
        sum.scenario,
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
        avail
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
        grouped(d.total),
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
        let verdict = match (f.verdict, f.failover_latency_s) {
            ("masked", _) => "masked (success ratio never below threshold)".to_string(),
            ("recovered", Some(l)) => format!("failover latency {}", human_secs(l)),
            ("no_traffic", _) => "no verdict (no request completed)".to_string(),
            _ => "not recovered by the end".to_string(),
        };
        let _ = writeln!(
            o,
            "detected {detected}, {verdict}, {} dropped",
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
        for f in &db.failovers {
            let rel = |t: Option<f64>| {
                t.map_or("-".into(), |t| format!("+{}", human_secs(t - f.start_s)))
            };
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
    let _ = writeln!(
        o,
        "  healthy       min {} targets, {:.0}s with none",
        sum.capacity.min_healthy, sum.capacity.zero_healthy_s
    );
    let _ = writeln!(
        o,
        "  events        {} (hash {})",
        grouped(sum.events_processed),
        sum.event_hash
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
}
