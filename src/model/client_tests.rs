//! Client behaviour in whole runs: backoff, jitter, the retry budget.

use super::tests::{Ran, run_set};
use crate::metrics::{ClientCounts, DropReason};

/// Every instance is down from 30 s on: with fail-open routing each attempt
/// is refused at once (connection reset), so every request uses all its
/// retries unless something stops it.
const ALL_DOWN: &str = "faults: [{ at: 30s, kind: instance_crash, instance: a-1 }, { at: 30s, kind: instance_crash, instance: a-2 }, { at: 30s, kind: instance_crash, instance: b-1 }, { at: 30s, kind: instance_crash, instance: b-2 }, { at: 30s, kind: instance_crash, instance: c-1 }, { at: 30s, kind: instance_crash, instance: c-2 }]";

fn client_totals(r: &Ran) -> ClientCounts {
    r.rows.iter().fold(ClientCounts::default(), |mut t, row| {
        t.attempts += row.client.attempts;
        t.retries += row.client.retries;
        t.retries_refused += row.client.retries_refused;
        t
    })
}

#[test]
fn naive_retries_multiply_the_attempts_of_failing_requests() {
    let r = run_set(ALL_DOWN, &["workload.retries=5"]);
    let c = client_totals(&r);
    let issued: u64 = r.rows.iter().map(|row| row.counts.issued).sum();
    assert_eq!(c.attempts, issued + c.retries);
    // 30 s fine, 150 s with six attempts per request.
    let expected = (30.0 + 150.0 * 6.0) / 180.0;
    let per_request = c.attempts as f64 / issued as f64;
    assert!((per_request - expected).abs() < 0.05, "{per_request}");
    assert_eq!(c.retries_refused, 0);
}

/// The budget's promise holds at every retry it allows: retries in the
/// window ending then (the current 100 ms slot and the slots before it,
/// at least ttl - 100 ms long) <= ratio x first attempts in it + min x ttl.
/// Over a span of length L, windows ending at the last allowed retry, then
/// at the last one before that window, and so on, are disjoint, cover every
/// allowed retry, lie within [start - ttl, end], and number at most
/// L / (ttl - 100 ms) + 1: so retries <= ratio x firsts in
/// [start - ttl, end] + min x ttl x (L / (ttl - 100 ms) + 1).
fn budget_cap(ratio: f64, firsts: u64, min: f64, ttl: f64, span: f64) -> f64 {
    ratio * firsts as f64 + min * ttl * (span / (ttl - 0.1) + 1.0)
}

#[test]
fn a_retry_budget_caps_retries_at_its_ratio_plus_its_reserve() {
    let r = run_set(
        ALL_DOWN,
        &[
            "workload.retries=5",
            "workload.retry_budget={ratio: 10%, min_per_second: 2, ttl: 5s}",
        ],
    );
    let c = client_totals(&r);
    let firsts = c.attempts - c.retries;
    let cap = budget_cap(0.1, firsts, 2.0, 5.0, 180.0);
    assert!((c.retries as f64) <= cap, "{} retries > {cap}", c.retries);
    // While everything fails the budget binds: most retries are refused,
    // each ending its request (dropped by its last attempt's reason).
    assert!(c.retries_refused > 5 * c.retries, "{c:?}");
    let d = &r.sum.requests.dropped;
    assert_eq!(d.total, d.connection_reset);
    // During the outage alone (retries start 100 ms after they are
    // allowed): the budget binds, so retries come close to the cap.
    let sum = |rows: &[crate::metrics::Row], f: fn(&ClientCounts) -> u64| -> u64 {
        rows.iter().map(|x| f(&x.client)).sum()
    };
    let retries = sum(&r.rows[40..180], |c| c.retries);
    let firsts = sum(&r.rows[34..180], |c| c.attempts - c.retries);
    let cap = budget_cap(0.1, firsts, 2.0, 5.0, 140.0);
    assert!((retries as f64) <= cap, "{retries} > {cap}");
    assert!((retries as f64) > 0.85 * cap, "{retries} far below {cap}");
}

#[test]
fn a_budget_that_never_binds_changes_nothing() {
    let fault = "faults: [{ at: 60s, kind: instance_crash, instance: a-1 }]";
    let plain = run_set(fault, &["workload.retries=2"]);
    let budget = run_set(fault, &["workload.retries=2", "workload.retry_budget=100%"]);
    assert_eq!(client_totals(&budget).retries_refused, 0);
    assert_eq!(plain.sum.event_hash, budget.sum.event_hash);
    assert_eq!(plain.sum, budget.sum);
}

#[test]
fn exponential_backoff_spreads_retries_and_requests_still_end_in_time() {
    // run_set checks that no request outlives max_request_lifetime, which
    // adds the capped exponential waits.
    let base = ["workload.retries=6", "workload.retry_backoff=200ms"];
    let expo = run_set(
        ALL_DOWN,
        &[
            &base[..],
            &["workload.backoff=exponential", "workload.jitter=none"],
        ]
        .concat(),
    );
    let full = run_set(
        ALL_DOWN,
        &[
            &base[..],
            &["workload.backoff=exponential", "workload.backoff_cap=3s"],
        ]
        .concat(),
    );
    let equal = run_set(
        ALL_DOWN,
        &[
            &base[..],
            &["workload.backoff=exponential", "workload.jitter=equal"],
        ]
        .concat(),
    );
    for r in [&expo, &full, &equal] {
        let c = client_totals(r);
        assert_eq!(c.retries_refused, 0);
        // Each dropped request made all six retries; those in flight at the
        // end made some.
        let q = &r.sum.requests;
        assert!(c.retries >= 6 * q.dropped.total, "{c:?}");
        assert!(c.retries <= 6 * (q.dropped.total + q.in_flight), "{c:?}");
    }
    // Waits of 0.2, 0.4, ..., 6.4 s: a failing request lasts 12.6 s, so at
    // the end of the run more requests are still in flight than with
    // jittered waits (about half as long).
    let in_flight = |r: &Ran| r.sum.requests.in_flight;
    assert!(
        in_flight(&expo) > in_flight(&equal),
        "{} {}",
        in_flight(&expo),
        in_flight(&equal)
    );
    assert!(
        in_flight(&equal) > in_flight(&full),
        "{} {}",
        in_flight(&equal),
        in_flight(&full)
    );
}

#[test]
fn jitter_has_its_own_stream_so_the_requests_stay_the_same() {
    let set = ["workload.retries=3", "workload.backoff=exponential"];
    let none = run_set(ALL_DOWN, &[&set[..], &["workload.jitter=none"]].concat());
    let full = run_set(ALL_DOWN, &[&set[..], &["workload.jitter=full"]].concat());
    let issued = |r: &Ran| r.rows.iter().map(|x| x.counts.issued).collect::<Vec<_>>();
    assert_eq!(issued(&none), issued(&full));
    assert_ne!(none.sum.event_hash, full.sum.event_hash);
}

/// Every instance crashes from 30 s to 90 s.
const OUTAGE: &str = "faults: [{ at: 30s, duration: 60s, kind: instance_crash, instance: a-1 }, { at: 30s, duration: 60s, kind: instance_crash, instance: a-2 }, { at: 30s, duration: 60s, kind: instance_crash, instance: b-1 }, { at: 30s, duration: 60s, kind: instance_crash, instance: b-2 }, { at: 30s, duration: 60s, kind: instance_crash, instance: c-1 }, { at: 30s, duration: 60s, kind: instance_crash, instance: c-2 }]";

#[test]
fn the_circuit_breaker_opens_during_an_outage_and_closes_after_it() {
    let set = ["workload.retries=3", "workload.circuit_breaker={}"];
    let r = run_set(OUTAGE, &set);
    let plain = run_set(OUTAGE, &set[..1]);
    let d = &r.sum.requests.dropped;
    assert!(d.circuit_open > 5_000, "{d:?}");
    assert_eq!(plain.sum.requests.dropped.circuit_open, 0);
    // Open 30 s at a time; probes during the outage fail and reopen it.
    let opened = |row: &crate::metrics::Row| row.counts.dropped[DropReason::CircuitOpen as usize];
    let first_open = r.rows.iter().position(|x| opened(x) > 0).unwrap();
    assert!((30..33).contains(&first_open), "opened at {first_open} s");
    // Instances boot at once and pass two checks 5 s apart: by 120 s the
    // breaker has probed a healthy service and closed.
    let last_open = r.rows.iter().rposition(|x| opened(x) > 0).unwrap();
    assert!(
        (90..=125).contains(&last_open),
        "last rejection at {last_open} s"
    );
    assert!(r.rows[130..].iter().all(|x| x.counts.dropped_total() == 0));
    // Rejected attempts are not sent: the load on the LB falls.
    let attempts = |r: &Ran| r.rows.iter().map(|x| x.client.attempts).sum::<u64>();
    assert!(attempts(&r) < attempts(&plain) * 2 / 3);
}

#[test]
fn a_breaker_that_never_opens_changes_nothing() {
    let fault = "faults: [{ at: 60s, kind: instance_crash, instance: a-1 }]";
    let plain = run_set(fault, &["workload.retries=2"]);
    let guarded = run_set(
        fault,
        &["workload.retries=2", "workload.circuit_breaker={}"],
    );
    assert_eq!(guarded.sum.requests.dropped.circuit_open, 0);
    assert_eq!(plain.sum, guarded.sum);
}

#[test]
fn reports_show_retries_refusals_and_the_breaker() {
    use crate::report::{text, timeseries};
    let r = run_set(
        OUTAGE,
        &[
            "workload.retries=3",
            "workload.retry_budget={ratio: 10%, min_per_second: 1}",
            "workload.circuit_breaker={open_for: 20s}",
        ],
    );
    let c = &r.sum.client;
    let totals = client_totals(&r);
    // Warm-up is 0: the summary's counted requests are every request.
    assert_eq!(c.retries, totals.retries);
    assert_eq!(c.retries_refused_by_budget, totals.retries_refused);
    assert!(
        c.retries_refused_by_budget > 0 && c.circuit_opened >= 2,
        "{c:?}"
    );
    // Opened at most once per 20 s from 30 s until about 100 s.
    assert!(
        c.circuit_open_s >= 40.0 && c.circuit_open_s <= 80.0,
        "{c:?}"
    );
    assert_eq!(r.sum.attempts, totals.attempts);
    let line = text::render(&r.sum, text::Paint::default());
    let line = line.lines().find(|l| l.contains("per request")).unwrap();
    assert!(
        line.contains("retries refused by the budget, circuit opened"),
        "{line}"
    );

    let cols = timeseries::Columns {
        azs: vec!["a".into()],
        database: false,
        writers: false,
        cache: false,
        sessions: false,
        autoscaling: false,
    };
    let header = timeseries::header(&cols).join(",");
    assert!(
        header.contains(",max_ms,attempts,retries,healthy_a")
            && header
                .contains(",dropped_session_store_unavailable,dropped_circuit_open,dropped_load_shed,success_ratio,"),
        "{header}"
    );
    let at = timeseries::header(&cols)
        .iter()
        .position(|h| h == "retries")
        .unwrap();
    let row = r.rows.iter().find(|x| x.client.retries > 0).unwrap();
    let mut one = row.clone();
    one.healthy.truncate(1);
    assert_eq!(
        timeseries::fields(&one, &cols)[at],
        row.client.retries.to_string()
    );
}

#[test]
fn without_retries_or_breaker_the_client_summary_is_zero() {
    let r = run_set("", &[]);
    let c = &r.sum.client;
    assert_eq!(
        (
            c.retries,
            c.retries_refused_by_budget,
            c.circuit_opened,
            c.circuit_open_s
        ),
        (0, 0, 0, 0.0)
    );
    let json = serde_json::to_string(&r.sum).unwrap();
    assert!(json.contains(r#""client":{"retries":0,"retries_refused_by_budget":0,"circuit_opened":0,"circuit_open_s":0.0}"#), "{json}");
}
