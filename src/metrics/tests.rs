use super::*;
use crate::engine::{NANOS_PER_MILLI, NANOS_PER_SEC};

const S: SimTime = NANOS_PER_SEC;
const MS: SimTime = NANOS_PER_MILLI;

fn recorder(rows: &VecSink) -> Recorder {
    Recorder::new(
        MetricsSetup {
            warmup: 0,
            end: 60 * S,
            bucket: S,
            window: 5 * S,
            threshold: 0.99,
        },
        vec![2],
        Box::new(VecSink(rows.0.clone())),
    )
}

/// Drives 100 completions per second, failing `fail_per_sec` of them
/// during [from, to).
fn drive(
    r: &mut Recorder,
    start: SimTime,
    until: SimTime,
    from: SimTime,
    to: SimTime,
    fail_per_sec: u64,
) {
    let mut t = start;
    while t < until {
        r.advance(t);
        r.issued(true);
        let in_bad = t >= from && t < to;
        let k = (t / (10 * MS)) % 100;
        if in_bad && k < fail_per_sec {
            r.dropped(DropReason::Timeout, true, 0);
        } else {
            r.succeeded(20 * MS, true);
        }
        t += 10 * MS;
    }
}

#[test]
fn recovery_is_when_the_window_ratio_is_back_and_stays_a_window() {
    let rows = VecSink::default();
    let mut r = recorder(&rows);
    let id = r.fault_started(8 * S, 10 * S);
    // Half the requests fail between 10 s and 30 s.
    drive(&mut r, 0, 60 * S, 10 * S, 30 * S, 50);
    let rep = r.finish(60 * S, 0);
    let f = &rep.faults[id];
    assert_eq!(f.verdict, Verdict::Recovered);
    // Failures fill the first half of each second, the last at 29.49 s; the
    // first 5 s window without one is [29.5 s, 34.5 s): recovery at 34.5 s.
    assert_eq!(f.recovered, Some(34 * S + 500 * MS));
    assert_eq!(f.failover_latency, Some(26 * S + 500 * MS));
    assert_eq!(f.dropped, 20 * 50);
}

#[test]
fn a_fault_that_never_dips_is_masked_with_zero_latency() {
    let rows = VecSink::default();
    let mut r = recorder(&rows);
    // 0.5% failures stay above the 99% threshold.
    let id = r.fault_started(5 * S, 10 * S);
    drive(&mut r, 0, 30 * S, 5 * S, 30 * S, 0);
    let f = &r.finish(30 * S, 0).faults[id];
    assert_eq!(f.verdict, Verdict::Masked);
    assert_eq!(f.failover_latency, Some(0));
    assert_eq!(f.recovered, None);
}

#[test]
fn a_fault_never_recovered_has_no_latency() {
    let rows = VecSink::default();
    let mut r = recorder(&rows);
    let id = r.fault_started(5 * S, 10 * S);
    drive(&mut r, 0, 30 * S, 5 * S, 30 * S, 100);
    let f = &r.finish(30 * S, 0).faults[id];
    assert_eq!(f.verdict, Verdict::NotRecovered);
    assert_eq!(f.failover_latency, None);
}

#[test]
fn rows_close_per_bucket_and_conserve_counts() {
    let rows = VecSink::default();
    let mut r = recorder(&rows);
    drive(&mut r, 0, 4 * S, 2 * S, 3 * S, 10);
    r.advance(4 * S);
    r.set_healthy(4 * S, 0, 1);
    drive(&mut r, 4 * S, 10 * S + 500 * MS, 0, 0, 0);
    let rep = r.finish(10 * S + 500 * MS, 0);
    let rows = rows.0.borrow();
    // Ten whole buckets and one half bucket at the end.
    assert_eq!(rows.len(), 11);
    assert_eq!(rows[10].end - rows[10].start, 500 * MS);
    assert_eq!(rows[2].counts.dropped_total(), 10);
    assert_eq!(rows[3].healthy, vec![2]);
    assert_eq!(rows[4].healthy, vec![1]);
    let issued: u64 = rows.iter().map(|r| r.counts.issued).sum();
    let done: u64 = rows
        .iter()
        .map(|r| r.counts.succeeded + r.counts.dropped_total())
        .sum();
    assert_eq!(issued, rep.counts.issued);
    assert_eq!(done, issued);
    // Two significant digits: within 1% of the true 20 ms.
    assert!((rows[0].p50_ms.unwrap() - 20.0).abs() < 0.2);
}

#[test]
fn warmup_requests_are_not_counted_and_gauges_start_after_warmup() {
    let rows = VecSink::default();
    let mut r = Recorder::new(
        MetricsSetup {
            warmup: 10 * S,
            end: 20 * S,
            bucket: S,
            window: 5 * S,
            threshold: 0.99,
        },
        vec![1, 1],
        Box::new(VecSink(rows.0.clone())),
    );
    r.issued(false);
    r.succeeded(5 * MS, false);
    r.advance(12 * S);
    r.issued(true);
    r.dropped(DropReason::QueueFull, true, 0);
    r.set_healthy(12 * S, 0, 0);
    r.set_healthy(14 * S, 1, 0);
    r.set_healthy(15 * S, 0, 1);
    let rep = r.finish(20 * S, 0);
    assert_eq!(rep.counts.issued, 1);
    assert_eq!(rep.counts.succeeded, 0);
    assert_eq!(rep.counts.dropped[DropReason::QueueFull as usize], 1);
    assert!(rep.latency.is_none());
    assert_eq!(rep.capacity.min_healthy, 0);
    assert!((rep.capacity.zero_healthy_s - 1.0).abs() < 1e-9);
    // 2 for 2 s, 1 for 2 s, 0 for 1 s, 1 for 5 s over 10 s.
    assert!((rep.capacity.mean_healthy - 1.1).abs() < 1e-9);
    let f = &rep.capacity.healthy_time_fractions;
    assert_eq!(f.len(), 3);
    for (got, want) in f.iter().zip([0.1, 0.7, 0.2]) {
        assert!((got - want).abs() < 1e-12, "{f:?}");
    }
    // The one counted drop, at 12 s, is in the batch of [12 s, 12.5 s).
    let c = rep.confidence.unwrap();
    assert_eq!(c.availability.unwrap().estimate, 0.0);
    assert!(c.latency_mean_ms.is_none());
}

#[test]
fn windows_without_completions_are_no_evidence_of_recovery() {
    let rows = VecSink::default();
    let mut r = recorder(&rows);
    let id = r.fault_started(S, 10 * S);
    // One failure at 2 s, then silence: no window ever shows a success.
    r.advance(2 * S);
    r.issued(true);
    r.dropped(DropReason::Timeout, true, 0);
    let f = &r.finish(60 * S, 0).faults[id];
    assert_eq!(f.verdict, Verdict::NotRecovered);
    assert_eq!(f.recovered, None);
}

#[test]
fn a_fault_with_no_traffic_gets_no_verdict() {
    let rows = VecSink::default();
    let mut r = recorder(&rows);
    let id = r.fault_started(S, 10 * S);
    let f = &r.finish(60 * S, 0).faults[id];
    assert_eq!(f.verdict, Verdict::NoTraffic);
    assert_eq!(f.failover_latency, None);
}

#[test]
fn a_lasting_fault_stays_open_until_its_damage_shows() {
    let rows = VecSink::default();
    let mut r = recorder(&rows);
    // A permanent fault whose damage shows 40 s later (a slow collapse) is
    // not declared masked by the horizon alone.
    let slow = r.fault_started(5 * S, 10 * S);
    drive(&mut r, 0, 45 * S, 0, 0, 0);
    assert!(r.fault(slow).is_open());
    drive(&mut r, 45 * S, 90 * S, 45 * S, 60 * S, 50);
    let f = &r.finish(90 * S, 0).faults[slow];
    assert_eq!(f.verdict, Verdict::Recovered);
    // Last failure at 59.49 s, clean window from 64.5 s, start at 5 s.
    assert_eq!(f.failover_latency, Some(59 * S + 500 * MS));
}

#[test]
fn a_dip_long_after_another_fault_starts_belongs_to_that_fault() {
    let rows = VecSink::default();
    let mut r = recorder(&rows);
    let first = r.fault_started(5 * S, 10 * S);
    drive(&mut r, 0, 60 * S, 0, 0, 0);
    // The second fault at 60 s closes the first one's window at 70 s.
    let second = r.fault_started(60 * S, 10 * S);
    drive(&mut r, 60 * S, 120 * S, 80 * S, 100 * S, 50);
    let rep = r.finish(120 * S, 0);
    assert_eq!(rep.faults[first].verdict, Verdict::Masked);
    assert_eq!(rep.faults[second].verdict, Verdict::Recovered);
    assert_eq!(rep.faults[second].failover_latency, Some(44 * S + 500 * MS));
}
