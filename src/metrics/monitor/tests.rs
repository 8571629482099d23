//! Alarm rules against rows whose outcome is known second by second.

use hdrhistogram::Histogram;

use super::*;
use crate::metrics::{ClientCounts, Counts, FleetRow, TierCounts};
use crate::scenario::{Cmp, load_str};

const S: SimTime = NANOS_PER_SEC;

/// The monitoring block of a tiny scenario, resolved by the real loader.
fn monitoring(alarm: &str) -> Monitoring {
    let yaml = format!(
        "duration: 30m\nwarmup: 0s\nazs: [a, b]\nmonitoring:\n  evaluation_interval: 1m\n  alarms:\n    - {alarm}\n"
    );
    load_str(&yaml, "test.yaml", "t", &[]).unwrap().monitoring
}

fn row(t: u64, ok: u64, bad: u64, healthy: [u32; 2]) -> Row {
    let mut dropped = [0; 10];
    dropped[2] = bad;
    Row {
        start: t * S,
        end: (t + 1) * S,
        counts: Counts {
            issued: ok + bad,
            succeeded: ok,
            dropped,
        },
        tier: TierCounts::default(),
        client: ClientCounts::default(),
        p50_ms: None,
        p90_ms: None,
        p99_ms: None,
        max_ms: None,
        healthy: healthy.to_vec(),
        fleet: FleetRow::default(),
    }
}

fn empty_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 2).unwrap()
}

/// Feeds `secs` one-second rows; `bad(t)` is the failed share out of 100.
fn run(m: &Monitoring, secs: u64, bad: impl Fn(u64) -> u64) -> AlarmOutcome {
    let mut mon = Monitor::new(m, S);
    let h = empty_hist();
    for t in 0..secs {
        let b = bad(t);
        mon.row(&row(t, 100 - b, b, [2, 2]), &h);
    }
    mon.finish().remove(0)
}

fn fired(o: &AlarmOutcome) -> Vec<(f64, bool)> {
    o.changes.iter().map(|c| (c.at_s, c.fired())).collect()
}

#[test]
fn three_of_three_periods_fire_three_periods_after_an_aligned_fault() {
    // Every request fails from 600 s on. The datapoint of [600, 660) is the
    // first to breach and exists at 660; the third breaching one, [720,
    // 780), at 780 = 600 + 3 x 60.
    let m = monitoring(
        "{ name: errors, metric: success_ratio, threshold: \"< 99%\", period: 60s, evaluation_periods: 3 }",
    );
    let o = run(&m, 1200, |t| if t >= 600 { 100 } else { 0 });
    assert_eq!(fired(&o), vec![(780.0, true)]);
    assert!(o.firing_at_end);
    // One datapoint per period, the first at the end of the first period.
    assert_eq!(o.datapoints.len(), 20);
    assert_eq!(o.datapoints[0], (60 * S, Some(1.0)));
    assert_eq!(o.datapoints[10], (660 * S, Some(0.0)));
}

#[test]
fn a_fault_inside_a_period_breaches_that_period_if_it_weighs_enough() {
    // From 630 s: [600, 660) has 50% failures, so it breaches: the alarm
    // fires at 780, 2.5 periods after the fault. Periods sit on the clock,
    // not on the fault.
    let m = monitoring(
        "{ name: errors, metric: success_ratio, threshold: \"< 99%\", period: 1m, evaluation_periods: 3 }",
    );
    let o = run(&m, 1200, |t| if t >= 630 { 100 } else { 0 });
    assert_eq!(fired(&o), vec![(780.0, true)]);
    // A touch at the end of a period (half the requests of its last
    // second, 0.8% of the period) stays above 99%: that period does not
    // breach and the alarm needs the three after it.
    let o = run(&m, 1200, |t| match t {
        659 => 50,
        660.. => 100,
        _ => 0,
    });
    assert_eq!(fired(&o), vec![(840.0, true)]);
}

#[test]
fn m_of_n_counts_breaches_among_the_last_n_and_clears_below_m() {
    // 2 of 3: breaching periods 5, 7 (not 6) fire at the end of period 7.
    let m = monitoring(
        "{ name: e, metric: error_ratio, threshold: \">= 5%\", period: 60s, evaluation_periods: 3, datapoints_to_alarm: 2 }",
    );
    let bad = |t: u64| match t / 60 {
        5 | 7 => 5,
        _ => 0,
    };
    let o = run(&m, 900, bad);
    // Periods end at 360 (p5), 480 (p7): fires at 480; [p6 ok, p7, p8 ok]
    // has 1 breach at 540: clears.
    assert_eq!(fired(&o), vec![(480.0, true), (540.0, false)]);
    // The threshold compares with `>=`: exactly 5% breaches.
    assert_eq!(o.alarm.cmp, Cmp::Ge);
}

#[test]
fn missing_data_is_left_out_or_taken_as_told() {
    // No request at all from 300 s to 480 s: periods 5, 6, 7 have no data.
    let feed = |m: &Monitoring| {
        let mut mon = Monitor::new(m, S);
        let h = empty_hist();
        for t in 0..600 {
            let r = if (300..480).contains(&t) {
                row(t, 0, 0, [2, 2])
            } else {
                row(t, 100, 0, [2, 2])
            };
            mon.row(&r, &h);
        }
        mon.finish().remove(0)
    };
    let rule =
        "name: e, metric: success_ratio, threshold: \"< 99%\", period: 60s, evaluation_periods: 2";
    let missing = feed(&monitoring(&format!("{{ {rule} }}")));
    assert!(missing.changes.is_empty());
    assert_eq!(missing.datapoints[5], (360 * S, None));
    let breaching = feed(&monitoring(&format!(
        "{{ {rule}, treat_missing_data: breaching }}"
    )));
    assert_eq!(fired(&breaching), vec![(420.0, true), (540.0, false)]);
    let not = feed(&monitoring(&format!(
        "{{ {rule}, treat_missing_data: not_breaching }}"
    )));
    assert!(not.changes.is_empty());
}

#[test]
fn prometheus_rules_fire_after_for_and_resolve_at_once() {
    // Failing from 600 s to 900 s. Evaluations every minute over the last
    // minute: true at 660, 720, ..., 900; `for: 2m` fires at 660 + 120.
    let m = monitoring("{ name: p, metric: success_ratio, threshold: \"< 99%\", for: 2m }");
    let o = run(&m, 1200, |t| if (600..900).contains(&t) { 100 } else { 0 });
    assert_eq!(fired(&o), vec![(780.0, true), (960.0, false)]);
    // Without `for`, the first true evaluation fires.
    let m = monitoring("{ name: p, metric: success_ratio, threshold: \"< 99%\", for: 0s }");
    let o = run(&m, 1200, |t| if (600..900).contains(&t) { 100 } else { 0 });
    assert_eq!(fired(&o), vec![(660.0, true), (960.0, false)]);
    // A range longer than the interval looks back further: at 660 the
    // last 5 minutes hold 60 bad seconds of 300 (80% success).
    let m =
        monitoring("{ name: p, metric: success_ratio, threshold: \"< 99%\", range: 5m, for: 0s }");
    let o = run(&m, 1200, |t| if (600..610).contains(&t) { 100 } else { 0 });
    // 10 bad seconds keep the 5-minute ratio below 99% (10/300 = 3.3%)
    // at 660, ..., 900; at 960 the window [660, 960) is clean.
    assert_eq!(fired(&o), vec![(660.0, true), (960.0, false)]);
}

#[test]
fn a_pending_alert_that_stops_holding_starts_over() {
    // True at 660, false at 720, true at 780 and 840 and 900: `for: 2m`
    // counts from 780 and fires at 900.
    let m = monitoring("{ name: p, metric: success_ratio, threshold: \"< 99%\", for: 2m }");
    let bad = |t: u64| match t {
        600..660 | 720..900 => 100,
        _ => 0,
    };
    let o = run(&m, 1200, bad);
    assert_eq!(fired(&o), vec![(900.0, true), (960.0, false)]);
}

#[test]
fn healthy_hosts_takes_the_minimum_over_the_period_in_one_az() {
    let m =
        monitoring("{ name: h, metric: healthy_hosts, az: b, threshold: \"< 2\", period: 60s }");
    let mut mon = Monitor::new(&m, S);
    let h = empty_hist();
    for t in 0..180 {
        // b dips to 1 healthy host for one second at 100 s.
        let b = if t == 100 { 1 } else { 2 };
        mon.row(&row(t, 100, 0, [0, b]), &h);
    }
    let o = mon.finish().remove(0);
    assert_eq!(fired(&o), vec![(120.0, true), (180.0, false)]);
    assert_eq!(o.datapoints[1], (120 * S, Some(1.0)));
}

#[test]
fn latency_percentiles_merge_the_rows_of_the_period() {
    // 60 rows: 59 with 100 requests at 10 ms, one with 100 at 900 ms. The
    // period's p99 lies in the slow row (1% of 6000 = 60 < 100), the p50
    // and the per-row p99 of 59 rows do not.
    let p99 = monitoring("{ name: l, metric: latency, threshold: \"> 500ms\", period: 60s }");
    let p50 = monitoring(
        "{ name: l, metric: latency, statistic: p50, threshold: \"> 500ms\", period: 60s }",
    );
    for (m, fires) in [(&p99, true), (&p50, false)] {
        let mut mon = Monitor::new(m, S);
        for t in 0..60 {
            let mut h = empty_hist();
            let us = if t == 30 { 900_000 } else { 10_000 };
            h.record_n(us, 100).unwrap();
            mon.row(&row(t, 100, 0, [1, 1]), &h);
        }
        let o = mon.finish().remove(0);
        assert_eq!(
            o.changes.len(),
            usize::from(fires),
            "{:?}",
            o.alarm.statistic
        );
        let v = o.datapoints[0].1.unwrap();
        if fires {
            assert!((v - 0.9).abs() < 0.01, "p99 {v}");
        } else {
            assert!((v - 0.01).abs() < 0.001, "p50 {v}");
        }
    }
}

#[test]
fn a_partial_last_row_is_not_a_datapoint() {
    let m = monitoring("{ name: e, metric: requests, threshold: \"< 1\", period: 10s }");
    let mut mon = Monitor::new(&m, S);
    let h = empty_hist();
    for t in 0..10 {
        mon.row(&row(t, 1, 0, [1, 1]), &h);
    }
    let mut last = row(10, 0, 0, [1, 1]);
    last.end = 10 * S + S / 2;
    mon.row(&last, &h);
    let o = mon.finish().remove(0);
    assert_eq!(o.datapoints, vec![(10 * S, Some(10.0))]);
}
