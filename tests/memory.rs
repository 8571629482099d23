//! Memory does not grow with simulated duration: metrics are streamed into
//! fixed-size structures and closed rows leave the process at once.
//! One test only in this binary, so the counting allocator sees nothing else.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use failover_sim::metrics::NullSink;
use failover_sim::model::simulate;
use failover_sim::scenario::load_str;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Peak heap bytes allocated while simulating `duration` at `rate`, with
/// `more` overrides.
fn peak_bytes(duration: &str, rate: &str, more: &[&str]) -> usize {
    let yaml = "azs: [a, b, c]
app: { instances_per_az: 2, boot_time: 30s }
workload: { rate: 1000/s, timeout: 2s, retries: 2 }
faults: [{ at: 1m, kind: az_outage, az: a, duration: 2m }]";
    let s = load_str(
        yaml,
        "memory.yaml",
        "memory",
        &[
            vec![
                format!("duration={duration}"),
                format!("workload.rate={rate}"),
            ],
            more.iter().map(|m| m.to_string()).collect(),
        ]
        .concat(),
    )
    .unwrap();
    peak_of(&s)
}

fn peak_of(s: &failover_sim::Scenario) -> usize {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = simulate(s, Box::new(NullSink), None);
    assert!(out.metrics.counts.issued > 0);
    PEAK.load(Ordering::Relaxed) - base
}

#[test]
fn ten_times_the_duration_needs_less_than_1_2_times_the_memory() {
    let short = peak_bytes("5m", "1000/s", &[]);
    let long = peak_bytes("50m", "1000/s", &[]);
    eprintln!("peak heap: 5m {short} B, 50m {long} B");
    assert!(
        (long as f64) < 1.2 * short as f64,
        "peak heap grew from {short} B to {long} B"
    );
    // A day within 1.2x of an hour, at a low rate. (In this one test so
    // the counting allocator sees nothing else.) The fault's state changes
    // are the same in both: the first 10,000 state changes of a run are kept
    // for its timeline, so a run with changes all day long holds up to that
    // many more (`sim bench --case long-run` shows the process's peak).
    let hour = peak_bytes("1h", "20/s", &[]);
    let day = peak_bytes("24h", "20/s", &[]);
    eprintln!("peak heap: 1h {hour} B, 24h {day} B");
    assert!(
        (day as f64) < 1.2 * hour as f64,
        "peak heap grew from {hour} B (1 h) to {day} B (24 h)"
    );
    // A timeout longer than the run: the clients' queue of pending timeouts
    // drops those of ended attempts, so it is bounded by the requests in
    // flight, not by every attempt of the run.
    let long_timeout = ["workload.timeout=1h"];
    let short = peak_bytes("5m", "1000/s", &long_timeout);
    let long = peak_bytes("50m", "1000/s", &long_timeout);
    eprintln!("peak heap, 1 h timeout: 5m {short} B, 50m {long} B");
    assert!(
        (long as f64) < 1.2 * short as f64,
        "peak heap grew from {short} B to {long} B with a 1 h timeout"
    );
}
