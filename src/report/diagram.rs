//! The architecture of a scenario, drawn three ways: an ASCII whiteboard
//! sketch for the terminal (AZs as columns, tiers as rows), the same layout
//! as an SVG document (for a file or an HTML report), and Graphviz DOT from
//! the petgraph [`Topology`]. All three show the initial fleet and mark
//! what the scenario's faults hit.
//!
//! User text reaches the drawings through AZ names (any text without
//! whitespace, so `<`, `&` or `"` are possible) and the instance names made
//! from them; control characters are replaced by `?`, the SVG backend
//! escapes XML and [`dot`] escapes DOT strings. The description is not
//! drawn.

use std::fmt::Write as _;

use petgraph::dot::{Config, Dot};
use petgraph::graph::{DiGraph, EdgeReference, NodeIndex};
use petgraph::visit::EdgeRef;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::font;
use crate::model::topology::{Node, Topology};
use crate::scenario::{
    Algorithm, Arrival, Backoff, Database, DbMode, Endpoint, FaultKind, LatencyTarget, RatePattern,
    Reads, ScalingMetric, ScalingPolicy, Scenario, Sessions, format_duration,
};

// ---------------------------------------------------------------------------
// The sketch: what is drawn, independent of the medium.
// ---------------------------------------------------------------------------

/// One component in a cell: a node, or several instances collapsed.
#[derive(Debug, Clone, PartialEq)]
struct Item {
    text: String,
    /// A fault of the scenario hits this component.
    faulted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TierKind {
    Lb,
    App,
    Sessions,
    Cache,
    Database,
}

impl TierKind {
    fn is_data(self) -> bool {
        matches!(
            self,
            TierKind::Sessions | TierKind::Cache | TierKind::Database
        )
    }
}

/// A row of the sketch: one cell per AZ.
#[derive(Debug, Clone)]
struct Tier {
    kind: TierKind,
    /// Short name in the left margin (at most 8 characters).
    label: &'static str,
    /// Components per AZ, in AZ order.
    cells: Vec<Vec<Item>>,
    /// One sentence about the tier as a whole.
    note: String,
}

/// Components a fault hits, by index: initial instances, database,
/// cache and session-store nodes (an AZ outage is in `az_faulted`).
#[derive(Debug, Clone, Default)]
struct Hits {
    instances: Vec<bool>,
    db: Vec<bool>,
    cache: [bool; 2],
    store: [bool; 2],
}

fn hit(v: &mut [bool], i: usize) {
    if let Some(x) = v.get_mut(i) {
        *x = true;
    }
}

/// Everything the renderers draw.
#[derive(Debug, Clone)]
struct Sketch {
    title: String,
    /// AZ names (cleaned).
    azs: Vec<String>,
    /// An `az_outage` takes the whole AZ.
    az_faulted: Vec<bool>,
    hits: Hits,
    clients: String,
    cross_zone: bool,
    /// Region of each AZ (all 0 without `regions:`) and the region names
    /// (empty without `regions:`).
    region_of: Vec<usize>,
    regions: Vec<String>,
    /// LB, app, then the data tiers present: sessions, cache, database.
    tiers: Vec<Tier>,
    /// One line per fault: index, start, kind, target and duration.
    faults: Vec<[String; 4]>,
}

/// User text without control characters (which neither a terminal nor XML
/// takes well).
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn algorithm_name(a: Algorithm) -> &'static str {
    match a {
        Algorithm::RoundRobin => "round_robin",
        Algorithm::Random => "random",
        Algorithm::LeastOutstanding => "least_outstanding",
    }
}

/// `0.9` as `90%`, `0.995` as `99.5%`.
fn pct(x: f64) -> String {
    format!("{}%", trim_number(x * 100.0))
}

/// A number with at most two decimals and no trailing zeros.
fn trim_number(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

fn rate(x: f64) -> String {
    format!("{}/s", trim_number(x))
}

fn fd(t: u64) -> String {
    format_duration(t)
}

/// Role of database node `node`, as drawn (`db primary`, `db standby`, ...).
fn db_role(db: &Database, node: usize) -> &'static str {
    if db.mode == DbMode::MultiWriter {
        "db writer"
    } else if node == 0 {
        "db primary"
    } else if node <= db.standbys() as usize {
        match db.mode {
            DbMode::MultiAzCluster => "db standby (readable)",
            DbMode::Aurora => "aurora replica",
            DbMode::Single | DbMode::MultiAz | DbMode::MultiWriter => "db standby",
        }
    } else {
        "db read replica"
    }
}

impl Hits {
    /// What the scenario's faults hit, and which AZs lose power. A
    /// `db_primary_failure` is drawn on the initial primary (the fault hits
    /// whichever node is primary when it starts); a `db_standby_failure` on
    /// the first failover target.
    fn of(s: &Scenario) -> (Vec<bool>, Hits) {
        let inst_azs = s.initial_azs();
        let mut az_faulted = vec![false; s.azs.len()];
        let mut inst_hit = vec![false; inst_azs.len()];
        let db_nodes = s.database.as_ref().map_or(0, |d| d.node_count() as usize);
        let mut db_hit = vec![false; db_nodes];
        let mut cache_hit = [false; 2];
        let mut store_hit = [false; 2];
        for f in &s.faults {
            match f.kind {
                FaultKind::InstanceCrash { instance }
                | FaultKind::InstanceHang { instance }
                | FaultKind::Latency {
                    target: LatencyTarget::Instance(instance),
                    ..
                } => hit(&mut inst_hit, instance),
                FaultKind::AzOutage { az } => hit(&mut az_faulted, az),
                FaultKind::RegionOutage { region } => {
                    for &az in &s.regions[region].azs {
                        hit(&mut az_faulted, az);
                    }
                }
                FaultKind::Latency {
                    target: LatencyTarget::Az(az),
                    ..
                } => {
                    for (id, &a) in inst_azs.iter().enumerate() {
                        if a == az {
                            hit(&mut inst_hit, id);
                        }
                    }
                }
                FaultKind::DbPrimaryFailure => hit(&mut db_hit, 0),
                FaultKind::DbStandbyFailure => {
                    if s.database.as_ref().is_some_and(|d| d.standbys() > 0) {
                        hit(&mut db_hit, 1);
                    }
                }
                FaultKind::CacheFailure => hit(&mut cache_hit, 0),
                FaultKind::SessionStoreFailure => hit(&mut store_hit, 0),
            }
        }

        let hits = Hits {
            instances: inst_hit,
            db: db_hit,
            cache: cache_hit,
            store: store_hit,
        };
        (az_faulted, hits)
    }
}

/// What the clients box says: rate, pattern, timeout, retries and their
/// limits, users (when sessions matter).
fn clients_text(s: &Scenario) -> String {
    let w = &s.workload;
    let mut clients = format!(
        "clients: {} {}",
        rate(w.rate),
        match w.arrival {
            Arrival::Poisson => "poisson",
            Arrival::Constant => "constant",
        }
    );
    match &w.pattern {
        RatePattern::Constant => {}
        RatePattern::Ramp {
            start,
            duration,
            to,
        } => {
            let _ = write!(
                clients,
                ", ramp to {} from {} over {}",
                rate(*to),
                fd(*start),
                fd(*duration)
            );
        }
        RatePattern::Spike { at, duration, to } => {
            let _ = write!(
                clients,
                ", spike to {} at {} for {}",
                rate(*to),
                fd(*at),
                fd(*duration)
            );
        }
        RatePattern::Diurnal {
            amplitude, period, ..
        } => {
            let _ = write!(
                clients,
                ", diurnal +-{} over {}",
                pct(*amplitude),
                fd(*period)
            );
        }
        RatePattern::Schedule(steps) => {
            let _ = write!(clients, ", schedule of {} steps", steps.len());
        }
    }
    let _ = write!(clients, ", timeout {}, ", fd(w.timeout));
    match w.retries {
        0 => clients += "no retries",
        1 => clients += "1 retry",
        r => {
            let _ = write!(clients, "{r} retries");
        }
    }
    if w.retries > 0 && matches!(w.backoff, Backoff::Exponential { .. }) {
        clients += " with exponential backoff";
    }
    if let Some(b) = &w.retry_budget {
        let _ = write!(clients, ", retry budget {}", pct(b.ratio));
    }
    if w.circuit_breaker.is_some() {
        clients += ", circuit breaker";
    }
    if s.app.sessions != Sessions::Jwt {
        let _ = write!(clients, ", {} users", w.users);
    }
    let region = |r: usize| clean(&s.regions[r].name);
    match &s.dns {
        Some(d) => {
            let _ = write!(
                clients,
                "; Route 53 failover: region {} while its health check passes (every {}, {} failures), else {}; TTL {}",
                region(d.primary),
                fd(d.interval),
                d.failure_threshold,
                region(d.secondary),
                fd(d.ttl)
            );
        }
        None if !s.regions.is_empty() => {
            let _ = write!(clients, "; DNS answers with region {} only", region(0));
        }
        None => {}
    }
    clients
}

/// One row per fault: index, start, kind, and target with duration.
fn fault_rows(s: &Scenario) -> Vec<[String; 4]> {
    let azs: Vec<String> = s.azs.iter().map(|a| clean(a)).collect();
    s.faults
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let az = |a: usize| format!("AZ {}", azs.get(a).map_or("?", |s| s.as_str()));
            let inst = |id: usize| clean(&s.instance_name(id));
            let target = match f.kind {
                FaultKind::InstanceCrash { instance } | FaultKind::InstanceHang { instance } => {
                    inst(instance)
                }
                FaultKind::AzOutage { az: a } => az(a),
                FaultKind::RegionOutage { region } => {
                    format!("region {}", clean(&s.regions[region].name))
                }
                FaultKind::Latency { target, extra } => {
                    let t = match target {
                        LatencyTarget::Az(a) => az(a),
                        LatencyTarget::Instance(id) => inst(id),
                    };
                    format!("{t} +{}", fd(extra))
                }
                FaultKind::DbPrimaryFailure => match &s.database {
                    Some(d) if d.mode == DbMode::MultiWriter => "db writer 0".to_string(),
                    _ => "db primary".to_string(),
                },
                FaultKind::DbStandbyFailure => match &s.database {
                    Some(d) if d.standbys() > 0 => db_role(d, 1).to_string(),
                    _ => "db standby (none)".to_string(),
                },
                FaultKind::CacheFailure => "cache primary".to_string(),
                FaultKind::SessionStoreFailure => "session store primary".to_string(),
            };
            let lasting = match f.duration {
                Some(d) => format!("for {}", fd(d)),
                None => "until the end".to_string(),
            };
            [
                format!("#{i}"),
                fd(f.at),
                f.kind.name().to_string(),
                format!("{target} {lasting}"),
            ]
        })
        .collect()
}

impl Sketch {
    fn of(s: &Scenario) -> Sketch {
        let n = s.azs.len();
        let azs: Vec<String> = s.azs.iter().map(|a| clean(a)).collect();
        let inst_azs = s.initial_azs();

        let (az_faulted, hits) = Hits::of(s);

        let mut tiers = Vec::new();
        let lb = &s.load_balancer;
        let checks = match &lb.health_check {
            Some(hc) => format!("checks every {}", fd(hc.interval)),
            None => "no health checks: dead targets keep their share".to_string(),
        };
        let mut note = format!(
            "{}, cross-zone {}; DNS TTL {}; {checks}",
            algorithm_name(lb.algorithm),
            if lb.cross_zone && !s.regions.is_empty() {
                "on: every node reaches every AZ of its region"
            } else if lb.cross_zone {
                "on: every node reaches every AZ"
            } else {
                "off: each node reaches its own AZ"
            },
            fd(lb.dns_ttl),
        );
        if let Some(m) = lb.max_outstanding {
            let _ = write!(note, "; sheds over {m} in flight per target");
        }
        tiers.push(Tier {
            kind: TierKind::Lb,
            label: "DNS / LB",
            cells: azs
                .iter()
                .map(|a| {
                    vec![Item {
                        text: format!("LB node {a}"),
                        faulted: false,
                    }]
                })
                .collect(),
            note,
        });

        let mut cells: Vec<Vec<Item>> = vec![Vec::new(); n];
        for (id, &az) in inst_azs.iter().enumerate() {
            cells[az].push(Item {
                text: clean(&s.instance_name(id)),
                faulted: hits.instances[id],
            });
        }
        let app = &s.app;
        let mut note = format!(
            "{} instances, {} workers and queue {} each, boot {}; {} sessions",
            inst_azs.len(),
            app.workers,
            app.queue_capacity,
            fd(app.boot_time),
            match app.sessions {
                Sessions::Jwt => "jwt",
                Sessions::Sticky => "sticky (instance memory)",
                Sessions::External => "external (session store)",
            }
        );
        if let Some(f) = &app.failures {
            let _ = write!(
                note,
                "; random crashes, mtbf {} mttr {}",
                fd(f.mtbf),
                fd(f.mttr)
            );
        }
        if let Some(a) = &s.autoscaling {
            let _ = write!(
                note,
                "; Auto Scaling group {}..{}, desired {}{}, {} health checks",
                a.min,
                a.max,
                a.desired,
                if a.static_stability {
                    " (static stability)"
                } else {
                    ""
                },
                a.health_check.name()
            );
            match &a.policy {
                Some(ScalingPolicy::TargetTracking { metric, target, .. }) => {
                    let t = match metric {
                        ScalingMetric::Cpu => pct(*target),
                        ScalingMetric::RequestsPerTarget => trim_number(*target),
                    };
                    let _ = write!(note, ", target tracking {} {t}", metric.name());
                }
                Some(ScalingPolicy::Step { metric, .. }) => {
                    let _ = write!(note, ", step scaling on {}", metric.name());
                }
                None => {}
            }
        }
        tiers.push(Tier {
            kind: TierKind::App,
            label: "app",
            cells,
            note,
        });

        let store_cells = |count: usize,
                           node_az: &dyn Fn(usize) -> usize,
                           name: &dyn Fn(usize) -> String,
                           hit: &[bool]| {
            let mut cells: Vec<Vec<Item>> = vec![Vec::new(); n];
            for node in 0..count {
                cells[node_az(node)].push(Item {
                    text: name(node),
                    faulted: hit.get(node).copied().unwrap_or(false),
                });
            }
            cells
        };
        if let Some(st) = &s.session_store {
            tiers.push(Tier {
                kind: TierKind::Sessions,
                label: "sessions",
                cells: store_cells(
                    st.node_count(),
                    &|i| st.node_az(i, n),
                    &|i| {
                        if i == 0 {
                            "store primary"
                        } else {
                            "store replica"
                        }
                        .to_string()
                    },
                    &hits.store,
                ),
                note: format!(
                    "Redis-like session store, {}",
                    if st.replica {
                        "the replica takes over when the primary fails"
                    } else {
                        "no replica: losing the node loses every session"
                    }
                ),
            });
        }
        if let Some(c) = &s.cache {
            tiers.push(Tier {
                kind: TierKind::Cache,
                label: "cache",
                cells: store_cells(
                    c.store.node_count(),
                    &|i| c.store.node_az(i, n),
                    &|i| {
                        if i == 0 {
                            "cache primary"
                        } else {
                            "cache replica"
                        }
                        .to_string()
                    },
                    &hits.cache,
                ),
                note: format!(
                    "hit ratio {}, warm-up {} when empty; {}",
                    pct(c.hit_ratio),
                    fd(c.warm_time),
                    if c.store.replica {
                        "the replica takes over when the primary fails"
                    } else {
                        "no replica"
                    }
                ),
            });
        }
        if let Some(db) = &s.database {
            let endpoint = match db.endpoint {
                Endpoint::Dns => format!("dns (TTL {})", fd(db.dns_ttl)),
                Endpoint::Proxy => "proxy".to_string(),
            };
            let mut note = if db.mode == DbMode::MultiWriter {
                format!(
                    "multi_writer, {} writers replicating asynchronously; each app instance uses its AZ's writer and moves to the next {} after it fails",
                    db.writers,
                    fd(db.detection),
                )
            } else if db.mode == DbMode::Single {
                format!(
                    "single, endpoint {endpoint}; no standby: a failed primary is down until repaired"
                )
            } else if db.standbys() == 0 {
                format!(
                    "{}, endpoint {endpoint}; no replica: a failed primary is recreated, detect {} + recreate {}",
                    db.mode.name(),
                    fd(db.detection),
                    fd(db.promotion),
                )
            } else {
                format!(
                    "{}, {} replication, endpoint {endpoint}; failover: detect {} + promote {}",
                    db.mode.name(),
                    db.replication.name(),
                    fd(db.detection),
                    fd(db.promotion),
                )
            };
            if db.reads == Reads::Replicas && db.mode != DbMode::MultiWriter {
                note += "; reads on replicas";
            }
            tiers.push(Tier {
                kind: TierKind::Database,
                label: "database",
                cells: store_cells(
                    db.node_count() as usize,
                    &|i| db.node_az(i, n),
                    &|i| db_role(db, i).to_string(),
                    &hits.db,
                ),
                note,
            });
        }

        Sketch {
            title: format!(
                "{}  ({} AZ{}, {} instances, {} simulated, seed {})",
                s.name,
                n,
                if n == 1 { "" } else { "s" },
                inst_azs.len(),
                fd(s.duration),
                s.seed
            ),
            azs,
            az_faulted,
            hits,
            clients: clients_text(s),
            cross_zone: lb.cross_zone,
            region_of: s.region_of_az(),
            regions: s.regions.iter().map(|r| clean(&r.name)).collect(),
            tiers,
            faults: fault_rows(s),
        }
    }

    /// Runs of adjacent AZ columns in one region: (region, first, last).
    fn region_runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs: Vec<(usize, usize, usize)> = Vec::new();
        for (i, &r) in self.region_of.iter().enumerate() {
            match runs.last_mut() {
                Some(run) if run.0 == r && run.2 + 1 == i => run.2 = i,
                _ => runs.push((r, i, i)),
            }
        }
        runs
    }

    /// The fault list as aligned text lines.
    fn fault_lines(&self) -> Vec<String> {
        let widths: Vec<usize> = (0..3)
            .map(|k| {
                self.faults
                    .iter()
                    .map(|f| f[k].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        self.faults
            .iter()
            .map(|f| {
                format!(
                    "  {:<w0$}  {:<w1$}  {:<w2$}  {}",
                    f[0],
                    f[1],
                    f[2],
                    f[3],
                    w0 = widths[0],
                    w1 = widths[1],
                    w2 = widths[2]
                )
            })
            .collect()
    }
}

/// Lays a cell's items out in lines at most `width` wide (`measure` gives
/// an item's width, `gap` separates items on a line). App instances flow
/// side by side and, when they would need more than two lines, collapse
/// to `a-1 .. a-40 (40)` plus the few a fault hits; every other component
/// has a line of its own.
fn arrange(
    kind: TierKind,
    items: &[Item],
    width: usize,
    measure: &dyn Fn(&Item) -> usize,
    gap: usize,
) -> Vec<Vec<Item>> {
    if kind != TierKind::App {
        return items.iter().map(|i| vec![i.clone()]).collect();
    }
    if items.is_empty() {
        return vec![vec![Item {
            text: "no instances".to_string(),
            faulted: false,
        }]];
    }
    let lines = flow(items, width, measure, gap);
    if lines.len() <= 2 {
        return lines;
    }
    let count = items.len();
    let all_hit = items.iter().all(|i| i.faulted);
    let mut shown = vec![Item {
        text: format!("{} .. {} ({count})", items[0].text, items[count - 1].text),
        faulted: all_hit,
    }];
    if !all_hit {
        let hit: Vec<&Item> = items.iter().filter(|i| i.faulted).collect();
        if hit.len() <= 3 {
            shown.extend(hit.into_iter().cloned());
        } else {
            shown.push(Item {
                text: format!("{} hit by faults", hit.len()),
                faulted: true,
            });
        }
    }
    flow(&shown, width, measure, gap)
}

/// Items side by side, wrapped at `width`.
fn flow(
    items: &[Item],
    width: usize,
    measure: &dyn Fn(&Item) -> usize,
    gap: usize,
) -> Vec<Vec<Item>> {
    let mut lines: Vec<Vec<Item>> = Vec::new();
    let mut used = 0;
    for item in items {
        let w = measure(item);
        match lines.last_mut() {
            Some(line) if used + gap + w <= width => {
                line.push(item.clone());
                used += gap + w;
            }
            _ => {
                lines.push(vec![item.clone()]);
                used = w;
            }
        }
    }
    lines
}

/// Words of `text` in lines of at most `width` characters (a longer word
/// is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        let len = line.chars().count();
        if len > 0 && len + 1 + word.len() <= width {
            line.push(' ');
            line.extend(word);
            continue;
        }
        if len > 0 {
            lines.push(std::mem::take(&mut line));
        }
        while word.len() > width {
            lines.push(word.drain(..width).collect());
        }
        line = word.into_iter().collect();
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A note in lines of at most `width` characters, breaking between its
/// `; `-separated clauses where it can.
fn wrap_clauses(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let clauses: Vec<&str> = text.split("; ").collect();
    for (k, clause) in clauses.iter().enumerate() {
        let clause = if k + 1 < clauses.len() {
            format!("{clause};")
        } else {
            clause.to_string()
        };
        match lines.last_mut() {
            Some(last) if last.chars().count() + 1 + clause.chars().count() <= width => {
                last.push(' ');
                last.push_str(&clause);
            }
            _ => lines.extend(wrap(&clause, width)),
        }
    }
    lines
}

/// `text` cut to `width` characters, ending in `..` when cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let keep = width.saturating_sub(2);
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(&".."[..width.min(2)]);
    out
}

// ---------------------------------------------------------------------------
// ASCII
// ---------------------------------------------------------------------------

/// Where boxes start; the margin before holds the tier labels.
const GUTTER: usize = 11;
/// Column of the trunk line that feeds every data tier from the app tier.
const TRUNK: usize = 9;
/// Widest a tier label may be (it ends before the trunk).
const LABEL: usize = 8;

/// Width of one AZ column: a 3-AZ sketch is exactly 100 characters wide.
fn column_width(azs: usize) -> usize {
    let n = azs.max(1);
    (100usize.saturating_sub(GUTTER + n - 1) / n).clamp(20, 44)
}

/// Lines of characters; while the trunk is open, each new line carries it.
struct Canvas {
    width: usize,
    lines: Vec<Vec<char>>,
    trunk: bool,
}

impl Canvas {
    fn line(&mut self) -> usize {
        let mut l = vec![' '; self.width];
        if self.trunk {
            l[TRUNK] = '|';
        }
        self.lines.push(l);
        self.lines.len() - 1
    }

    fn put(&mut self, row: usize, col: usize, text: &str) {
        for (i, c) in text.chars().enumerate() {
            if let Some(cell) = self.lines[row].get_mut(col + i) {
                *cell = c;
            }
        }
    }

    fn set(&mut self, row: usize, col: usize, c: char) {
        if let Some(cell) = self.lines[row].get_mut(col) {
            *cell = c;
        }
    }

    /// `-` from `from` to `to` (inclusive), `+` at each of `joints`.
    fn bus(&mut self, row: usize, from: usize, to: usize, joints: &[usize]) {
        for col in from..=to {
            self.set(row, col, '-');
        }
        for &j in joints {
            self.set(row, j, '+');
        }
    }

    fn text_line(&mut self, col: usize, text: &str) {
        let row = self.line();
        self.put(row, col, text);
    }

    fn finish(self) -> String {
        let mut out = String::new();
        for l in self.lines {
            let s: String = l.into_iter().collect();
            out.push_str(s.trim_end());
            out.push('\n');
        }
        out
    }
}

/// The whiteboard sketch: AZs as columns, tiers as rows, faults below.
pub fn ascii(s: &Scenario) -> String {
    let sk = Sketch::of(s);
    let n = sk.azs.len();
    let c = column_width(n);
    let inner = c - 4;
    let width = GUTTER + n * c + n.saturating_sub(1);
    let x = |i: usize| GUTTER + i * (c + 1);
    let mid = |i: usize| x(i) + c / 2;
    let all: Vec<usize> = (0..n).map(mid).collect();
    let shown = |item: &Item| {
        if item.faulted {
            format!("{} *", item.text)
        } else {
            item.text.clone()
        }
    };
    let measure = |item: &Item| shown(item).chars().count();

    let mut cv = Canvas {
        width,
        lines: Vec::new(),
        trunk: false,
    };
    cv.text_line(0, &fit(&sk.title, width));
    cv.line();
    if !sk.regions.is_empty() {
        // A bar over each region's columns, its name in the middle.
        let row = cv.line();
        for (r, first, last) in sk.region_runs() {
            let span = x(last) + c - x(first);
            let label = fit(
                &format!(" region {} ", sk.regions[r]),
                span.saturating_sub(2),
            );
            let pad = span - label.chars().count();
            let bar = format!(
                "{}{label}{}",
                "=".repeat(pad / 2),
                "=".repeat(pad - pad / 2)
            );
            cv.put(row, x(first), &bar);
        }
    }
    let header = cv.line();
    for (i, name) in sk.azs.iter().enumerate() {
        let mut h = format!("AZ {name}");
        if sk.az_faulted[i] {
            h += " *";
        }
        let h = fit(&h, c);
        cv.put(header, x(i) + (c - h.chars().count()) / 2, &h);
    }

    // Clients: one box across every column.
    let span = width - GUTTER;
    let lines = wrap(&sk.clients, span - 4);
    draw_box(&mut cv, GUTTER, span, &lines, "clients");
    let row = cv.line();
    for &m in &all {
        cv.set(row, m, '|');
    }
    let row = cv.line();
    for &m in &all {
        cv.set(row, m, 'v');
    }

    let data_tiers = sk.tiers.iter().filter(|t| t.kind.is_data()).count();
    let mut data_seen = 0;
    for (k, tier) in sk.tiers.iter().enumerate() {
        let targets: Vec<usize> = (0..n)
            .filter(|&i| tier.kind == TierKind::App || !tier.cells[i].is_empty())
            .map(mid)
            .collect();
        if tier.kind.is_data() {
            data_seen += 1;
        }
        // Data tiers below this one, fed by the trunk.
        let more = tier.kind.is_data() && data_seen < data_tiers;
        if k > 0 {
            let prev = sk.tiers[k - 1].kind;
            if prev == TierKind::Lb || prev == TierKind::App {
                let row = cv.line();
                for &m in &all {
                    cv.set(row, m, '|');
                }
                let fan = if prev == TierKind::Lb {
                    sk.cross_zone && n > 1
                } else {
                    n > 1 || more
                };
                if fan && prev == TierKind::Lb && !sk.regions.is_empty() {
                    // Cross-zone routing stays inside each region.
                    let row = cv.line();
                    for (_, first, last) in sk.region_runs() {
                        if first < last {
                            let joints: Vec<usize> = (first..=last).map(mid).collect();
                            cv.bus(row, mid(first), mid(last), &joints);
                        }
                    }
                } else if fan {
                    let row = cv.line();
                    let mut joints: Vec<usize> = all.clone();
                    joints.extend(&targets);
                    let mut from = all[0];
                    if more {
                        from = TRUNK;
                        joints.push(TRUNK);
                    }
                    let to = joints.iter().copied().max().unwrap_or(from);
                    cv.bus(row, from, to, &joints);
                }
            } else {
                // A later data tier: a branch off the trunk.
                let row = cv.line();
                let mut joints = targets.clone();
                joints.push(TRUNK);
                let to = targets.iter().copied().max().unwrap_or(TRUNK);
                cv.bus(row, TRUNK, to, &joints);
            }
            cv.trunk = more && tier.kind.is_data();
            let row = cv.line();
            for &m in &targets {
                cv.set(row, m, 'v');
            }
        }

        let cells: Vec<Option<Vec<String>>> = tier
            .cells
            .iter()
            .map(|items| {
                if items.is_empty() && tier.kind != TierKind::App {
                    return None;
                }
                let lines = arrange(tier.kind, items, inner, &measure, 1);
                Some(
                    lines
                        .iter()
                        .map(|line| {
                            let t: Vec<String> = line.iter().map(shown).collect();
                            fit(&t.join(" "), inner)
                        })
                        .collect(),
                )
            })
            .collect();
        let h = cells.iter().flatten().map(Vec::len).max().unwrap_or(1);
        let top = cv.line();
        let body: Vec<usize> = (0..h).map(|_| cv.line()).collect();
        let bottom = cv.line();
        for (i, cell) in cells.iter().enumerate() {
            let Some(lines) = cell else { continue };
            let border = format!("+{}+", "-".repeat(c - 2));
            cv.put(top, x(i), &border);
            cv.put(bottom, x(i), &border);
            for (j, &row) in body.iter().enumerate() {
                cv.set(row, x(i), '|');
                cv.set(row, x(i) + c - 1, '|');
                if let Some(text) = lines.get(j) {
                    cv.put(row, x(i) + 2, text);
                }
            }
        }
        cv.put(body[0], 0, &fit(tier.label, LABEL));
        for line in wrap_clauses(&tier.note, width - GUTTER - 1) {
            cv.text_line(GUTTER + 1, &line);
        }
    }
    cv.trunk = false;

    cv.line();
    if sk.faults.is_empty() {
        cv.text_line(0, "faults: none");
    } else {
        cv.text_line(0, "faults (* in the sketch: hit by a fault)");
        for line in sk.fault_lines() {
            let row = cv.line();
            cv.lines[row] = line.trim_end().chars().collect();
        }
    }
    cv.finish()
}

/// A box `w` wide at `col` holding `lines`, `label` in the margin.
fn draw_box(cv: &mut Canvas, col: usize, w: usize, lines: &[String], label: &str) {
    let border = format!("+{}+", "-".repeat(w - 2));
    let top = cv.line();
    cv.put(top, col, &border);
    for (j, text) in lines.iter().enumerate() {
        let row = cv.line();
        cv.set(row, col, '|');
        cv.set(row, col + w - 1, '|');
        cv.put(row, col + 2, &fit(text, w - 4));
        if j == 0 {
            cv.put(row, 0, &fit(label, LABEL));
        }
    }
    let bottom = cv.line();
    cv.put(bottom, col, &border);
}

// ---------------------------------------------------------------------------
// SVG
// ---------------------------------------------------------------------------

/// Fill tints and outline colours of the AZ columns, in AZ order (cycled).
/// Red is kept for faults.
const TINTS: [(u8, u8, u8); 6] = [
    (227, 238, 252),
    (229, 244, 231),
    (254, 241, 222),
    (241, 231, 246),
    (223, 244, 246),
    (240, 236, 228),
];
const STROKES: [(u8, u8, u8); 6] = [
    (66, 119, 190),
    (56, 142, 60),
    (222, 121, 0),
    (142, 36, 170),
    (0, 131, 143),
    (121, 85, 72),
];
const FAULT_RED: RGBColor = RGBColor(211, 47, 47);
const INK: RGBColor = RGBColor(33, 33, 33);
const WIRE: RGBColor = RGBColor(117, 117, 117);
const GREY: RGBColor = RGBColor(97, 97, 97);

const SVG_WIDTH: i32 = 900;
const MARGIN: i32 = 16;
/// Left edge of the first AZ column; the margin before holds tier labels.
const LEFT: i32 = 112;
const COL_GAP: i32 = 10;
const MIN_COLUMN: i32 = 120;
const CHIP_H: i32 = 24;
const CHIP_GAP: i32 = 6;
const CHIP_PAD: i32 = 8;
const CELL_PAD: i32 = 14;
/// Space between the app tier's frame and its instances.
const FRAME_PAD: i32 = 6;
/// Vertical room for the arrows between two tiers.
const TIER_GAP: i32 = 46;
const LINE_H: i32 = 18;
/// Text sizes as plotters takes them (the SVG says size / 1.24).
const TEXT: f64 = 15.0;
const SMALL: f64 = 13.5;
const TITLE: f64 = 20.0;

/// Estimated width in pixels of `text` at plotters size `size` (DejaVu
/// Sans averages about 0.58 em per character).
fn text_px(text: &str, size: f64) -> i32 {
    (text.chars().count() as f64 * size / 1.24 * 0.58).ceil() as i32
}

/// How many characters fit `px` pixels at `size` (estimated, at least 3).
fn chars_in(px: i32, size: f64) -> usize {
    let per = size / 1.24 * 0.58;
    (((px.max(0) as f64) / per).floor() as usize).max(3)
}

/// `text` cut (with `..`) to fit `px` pixels at `size`.
fn fit_px(text: &str, px: i32, size: f64) -> String {
    fit(text, chars_in(px, size))
}

type Rect = (i32, i32, i32, i32);

/// A component placed on the page.
struct Chip {
    rect: Rect,
    item: Item,
}

/// A tier placed on the page.
struct Row {
    kind: TierKind,
    /// Components per AZ.
    cells: Vec<Vec<Chip>>,
    /// Top and bottom of the row's components (with the app tier's frames).
    top: i32,
    bottom: i32,
    /// The tier's note, wrapped.
    note: Vec<String>,
}

/// Where [`svg`] puts things.
struct Layout {
    width: i32,
    height: i32,
    /// Width of an AZ column.
    cw: i32,
    col_top: i32,
    col_bottom: i32,
    clients: Rect,
    /// The clients' text, wrapped.
    client_lines: Vec<String>,
    rows: Vec<Row>,
    legend_y: i32,
}

impl Layout {
    fn x(&self, az: usize) -> i32 {
        LEFT + az as i32 * (self.cw + COL_GAP)
    }

    fn mid(&self, az: usize) -> i32 {
        self.x(az) + self.cw / 2
    }

    /// The frame around an AZ's app instances.
    fn frame(&self, row: &Row, az: usize) -> Rect {
        (
            self.x(az) + FRAME_PAD,
            row.top,
            self.x(az) + self.cw - FRAME_PAD,
            row.bottom,
        )
    }

    /// Where arrows enter the cell of `az` in `row` (none if it is empty).
    fn head(&self, row: &Row, az: usize) -> Option<(i32, i32)> {
        if row.kind == TierKind::App {
            return Some((self.mid(az), row.top));
        }
        let ch = row.cells[az].first()?;
        Some(((ch.rect.0 + ch.rect.2) / 2, ch.rect.1))
    }

    /// Where arrows leave the cell of `az` in `row`.
    fn foot(&self, row: &Row, az: usize) -> Option<(i32, i32)> {
        if row.kind == TierKind::App {
            return Some((self.mid(az), row.bottom));
        }
        let ch = row.cells[az].last()?;
        Some(((ch.rect.0 + ch.rect.2) / 2, ch.rect.3))
    }

    fn of(sk: &Sketch) -> Layout {
        let n = sk.azs.len() as i32;
        let width = SVG_WIDTH.max(LEFT + n * MIN_COLUMN + (n - 1) * COL_GAP + MARGIN);
        let cw = (width - LEFT - MARGIN - (n - 1) * COL_GAP) / n;
        let mut l = Layout {
            width,
            height: 0,
            cw,
            // Room for the region labels above the AZ columns.
            col_top: if sk.regions.is_empty() { 42 } else { 66 },
            col_bottom: 0,
            clients: (0, 0, 0, 0),
            client_lines: Vec::new(),
            rows: Vec::new(),
            legend_y: 0,
        };
        let right = l.x(sk.azs.len() - 1) + cw;
        l.client_lines = wrap(&sk.clients, chars_in(right - LEFT - 16, TEXT));
        let lines = l.client_lines.len() as i32;
        l.clients = (LEFT, l.col_top + 34, right, l.col_top + 46 + LINE_H * lines);
        let note_chars = chars_in(right - LEFT - 12, SMALL);
        let measure = |item: &Item| (text_px(&item.text, TEXT) + 2 * CHIP_PAD) as usize;
        let avail = cw - 2 * CELL_PAD;
        let mut y = l.clients.3;
        for tier in &sk.tiers {
            y += TIER_GAP;
            let framed = tier.kind == TierKind::App;
            let top = y;
            let first = if framed { top + FRAME_PAD } else { top };
            let mut bottom = first + CHIP_H;
            let mut cells = Vec::new();
            for (i, items) in tier.cells.iter().enumerate() {
                let mut chips = Vec::new();
                let lines = if items.is_empty() && !framed {
                    Vec::new()
                } else {
                    arrange(
                        tier.kind,
                        items,
                        avail as usize,
                        &measure,
                        CHIP_GAP as usize,
                    )
                };
                let mut cy = first;
                for line in lines {
                    let widths: Vec<i32> = line
                        .iter()
                        .map(|it| (measure(it) as i32).min(avail))
                        .collect();
                    let total = widths.iter().sum::<i32>() + CHIP_GAP * (widths.len() as i32 - 1);
                    let mut cx = l.mid(i) - total / 2;
                    for (item, w) in line.into_iter().zip(widths) {
                        chips.push(Chip {
                            rect: (cx, cy, cx + w, cy + CHIP_H),
                            item,
                        });
                        cx += w + CHIP_GAP;
                    }
                    bottom = bottom.max(cy + CHIP_H);
                    cy += CHIP_H + CHIP_GAP;
                }
                cells.push(chips);
            }
            if framed {
                bottom += FRAME_PAD;
            }
            let note = wrap_clauses(&tier.note, note_chars);
            y = bottom + 4 + LINE_H * note.len() as i32;
            l.rows.push(Row {
                kind: tier.kind,
                cells,
                top,
                bottom,
                note,
            });
        }
        l.col_bottom = y + 8;
        l.legend_y = l.col_bottom + 22;
        l.height = l.legend_y + LINE_H * (2 + sk.faults.len() as i32) + MARGIN;
        l
    }
}

/// The same layout as [`ascii`] as an SVG document (no XML prolog, so it
/// can be inlined in HTML): AZs as tinted columns, components as boxes,
/// arrows from tier to tier, faulted components outlined in red, a legend
/// and the fault list below.
pub fn svg(s: &Scenario) -> String {
    font::ensure_registered();
    let sk = Sketch::of(s);
    let layout = Layout::of(&sk);
    let mut out = String::new();
    {
        let size = (layout.width as u32, layout.height as u32);
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        let drawn = draw_svg(&root, &sk, &layout).and_then(|()| root.present());
        // Drawing into a String fails only if the embedded font does: a
        // build defect, not something a scenario can cause.
        drawn.unwrap_or_else(|e| panic!("drawing the SVG diagram failed: {e}"));
    }
    out
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type DrawResult = Result<(), DrawingAreaErrorKind<std::io::Error>>;

fn style(size: f64, color: &RGBColor, h: HPos) -> TextStyle<'static> {
    (font::FAMILY, size)
        .into_font()
        .color(color)
        .pos(Pos::new(h, VPos::Center))
}

fn bold(size: f64, color: &RGBColor, h: HPos) -> TextStyle<'static> {
    (font::FAMILY, size)
        .into_font()
        .style(FontStyle::Bold)
        .color(color)
        .pos(Pos::new(h, VPos::Center))
}

fn rgb((r, g, b): (u8, u8, u8)) -> RGBColor {
    RGBColor(r, g, b)
}

fn text(root: &Area, t: &str, at: (i32, i32), style: TextStyle<'static>) -> DrawResult {
    root.draw(&Text::new(t.to_string(), at, style))
}

fn line(root: &Area, points: Vec<(i32, i32)>, color: RGBColor) -> DrawResult {
    root.draw(&PathElement::new(points, color.stroke_width(1)))
}

/// A filled box with an outline `width` pixels wide (the SVG backend draws
/// rectangle outlines 1 px wide only, so the outline is a path).
fn boxed(root: &Area, r: Rect, fill: RGBAColor, stroke: RGBColor, width: u32) -> DrawResult {
    root.draw(&Rectangle::new([(r.0, r.1), (r.2, r.3)], fill.filled()))?;
    root.draw(&PathElement::new(
        vec![(r.0, r.1), (r.2, r.1), (r.2, r.3), (r.0, r.3), (r.0, r.1)],
        stroke.stroke_width(width),
    ))
}

/// A line from `a` to `b` with an arrowhead at `b`.
fn arrow(root: &Area, a: (i32, i32), b: (i32, i32)) -> DrawResult {
    line(root, vec![a, b], WIRE)?;
    let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let (ux, uy) = (dx / len, dy / len);
    let back = |d: f64, side: f64| {
        (
            (b.0 as f64 - ux * d - uy * side).round() as i32,
            (b.1 as f64 - uy * d + ux * side).round() as i32,
        )
    };
    root.draw(&Polygon::new(
        vec![b, back(8.0, 4.0), back(8.0, -4.0)],
        WIRE.filled(),
    ))
}

fn draw_svg(root: &Area, sk: &Sketch, l: &Layout) -> DrawResult {
    let n = sk.azs.len();
    root.fill(&WHITE)?;
    text(root, &sk.title, (MARGIN, 24), bold(TITLE, &INK, HPos::Left))?;

    // AZ columns.
    for (i, name) in sk.azs.iter().enumerate() {
        let r = (l.x(i), l.col_top, l.x(i) + l.cw, l.col_bottom);
        let stroke = rgb(STROKES[i % STROKES.len()]);
        if sk.az_faulted[i] {
            boxed(root, r, rgb(TINTS[i % TINTS.len()]).into(), FAULT_RED, 2)?;
        } else {
            boxed(root, r, rgb(TINTS[i % TINTS.len()]).into(), stroke, 1)?;
        }
        let header = fit_px(&format!("AZ {name}"), l.cw - 8, TEXT);
        text(
            root,
            &header,
            (l.mid(i), l.col_top + 16),
            bold(TEXT, &stroke, HPos::Center),
        )?;
    }

    // Regions: a bracket with the name over their AZ columns.
    for (r, first, last) in sk.region_runs() {
        let Some(name) = sk.regions.get(r) else { break };
        let (x0, x1) = (l.x(first), l.x(last) + l.cw);
        let y = l.col_top - 6;
        line(root, vec![(x0, y + 4), (x0, y), (x1, y), (x1, y + 4)], GREY)?;
        let label = fit_px(&format!("region {name}"), x1 - x0 - 8, TEXT);
        text(
            root,
            &label,
            ((x0 + x1) / 2, y - 10),
            bold(TEXT, &INK, HPos::Center),
        )?;
    }

    // Clients, across the columns.
    let c = l.clients;
    boxed(root, c, WHITE.into(), GREY, 1)?;
    for (j, t) in l.client_lines.iter().enumerate() {
        let at = ((c.0 + c.2) / 2, c.1 + 6 + LINE_H / 2 + LINE_H * j as i32);
        text(root, t, at, style(TEXT, &INK, HPos::Center))?;
    }
    text(
        root,
        "clients",
        (MARGIN, c.1 + 6 + LINE_H / 2),
        style(TEXT, &GREY, HPos::Left),
    )?;

    // Arrows first, so components and notes sit on top of them.
    let first_data = l.rows.iter().position(|r| r.kind.is_data());
    let last_top = l.rows.last().map_or(0, |r| r.top);
    let trunk_x = LEFT - 10;
    for (k, row) in l.rows.iter().enumerate() {
        let heads: Vec<(usize, (i32, i32))> =
            (0..n).filter_map(|i| Some((i, l.head(row, i)?))).collect();
        if k == 0 {
            // Clients resolve the LB name in DNS and reach every node.
            for &(_, h) in &heads {
                arrow(root, (h.0, c.3), h)?;
            }
            continue;
        }
        let prev = &l.rows[k - 1];
        let feet: Vec<(usize, (i32, i32))> =
            (0..n).filter_map(|i| Some((i, l.foot(prev, i)?))).collect();
        if prev.kind == TierKind::Lb {
            // Each LB node routes to its own AZ, or to every AZ (cross-zone).
            for &(i, f) in &feet {
                for &(j, h) in &heads {
                    let same_region = sk.region_of[i] == sk.region_of[j];
                    if (sk.cross_zone || i == j) && same_region {
                        arrow(root, f, h)?;
                    }
                }
            }
        } else if Some(k) == first_data {
            // Every instance reaches every data node: a bus under the app
            // tier, and a trunk down the margin to the later data tiers.
            let bus_y = prev.bottom + LINE_H * prev.note.len() as i32 + 12;
            let more = l.rows.len() > k + 1;
            let mut xs: Vec<i32> = feet.iter().chain(&heads).map(|p| p.1.0).collect();
            if more {
                xs.push(trunk_x);
                line(root, vec![(trunk_x, bus_y), (trunk_x, last_top - 14)], WIRE)?;
            }
            let lo = xs.iter().copied().min().unwrap_or(trunk_x);
            let hi = xs.iter().copied().max().unwrap_or(trunk_x);
            line(root, vec![(lo, bus_y), (hi, bus_y)], WIRE)?;
            for &(_, f) in &feet {
                line(root, vec![f, (f.0, bus_y)], WIRE)?;
            }
            for &(_, h) in &heads {
                arrow(root, (h.0, bus_y), h)?;
            }
        } else {
            let branch_y = row.top - 14;
            let hi = heads.iter().map(|h| h.1.0).max().unwrap_or(trunk_x);
            line(root, vec![(trunk_x, branch_y), (hi, branch_y)], WIRE)?;
            for &(_, h) in &heads {
                arrow(root, (h.0, branch_y), h)?;
            }
        }
    }

    // Components, tier labels and notes.
    for (tier, row) in sk.tiers.iter().zip(&l.rows) {
        for (i, chips) in row.cells.iter().enumerate() {
            let stroke = rgb(STROKES[i % STROKES.len()]);
            if row.kind == TierKind::App {
                boxed(root, l.frame(row, i), WHITE.mix(0.55), stroke, 1)?;
            }
            for ch in chips {
                let r = ch.rect;
                let (color, w) = if ch.item.faulted {
                    (FAULT_RED, 2)
                } else {
                    (stroke, 1)
                };
                boxed(root, r, WHITE.into(), color, w)?;
                let t = fit_px(&ch.item.text, r.2 - r.0 - 2 * CHIP_PAD + 6, TEXT);
                let at = ((r.0 + r.2) / 2, (r.1 + r.3) / 2);
                text(root, &t, at, style(TEXT, &INK, HPos::Center))?;
            }
        }
        let label_y = row.top
            + (CHIP_H
                + if row.kind == TierKind::App {
                    2 * FRAME_PAD
                } else {
                    0
                })
                / 2;
        text(
            root,
            tier.label,
            (MARGIN, label_y),
            style(TEXT, &GREY, HPos::Left),
        )?;
        for (j, note) in row.note.iter().enumerate() {
            let note_y = row.bottom + 4 + LINE_H / 2 + LINE_H * j as i32;
            let w = text_px(note, SMALL);
            root.draw(&Rectangle::new(
                [(LEFT + 2, note_y - 8), (LEFT + 10 + w, note_y + 8)],
                WHITE.mix(0.85).filled(),
            ))?;
            text(
                root,
                note,
                (LEFT + 5, note_y),
                style(SMALL, &GREY, HPos::Left),
            )?;
        }
    }

    // Legend and faults, in columns.
    text(
        root,
        "Legend: tinted columns are AZs; arrows carry requests; red outline: hit by a fault",
        (MARGIN, l.legend_y),
        style(SMALL, &GREY, HPos::Left),
    )?;
    let mut y = l.legend_y + LINE_H + 4;
    if sk.faults.is_empty() {
        return text(
            root,
            "faults: none",
            (MARGIN, y),
            style(TEXT, &INK, HPos::Left),
        );
    }
    text(root, "faults", (MARGIN, y), bold(TEXT, &INK, HPos::Left))?;
    let mut xs = vec![MARGIN + 12];
    for k in 0..3 {
        let widest = sk
            .faults
            .iter()
            .map(|f| text_px(&f[k], TEXT))
            .max()
            .unwrap_or(0);
        xs.push(xs[k] + widest + 14);
    }
    for f in &sk.faults {
        y += LINE_H;
        for (k, field) in f.iter().enumerate() {
            text(root, field, (xs[k], y), style(TEXT, &INK, HPos::Left))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// DOT
// ---------------------------------------------------------------------------

/// `text` as the inside of a DOT double-quoted string.
fn dot_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in clean(text).chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Graphviz DOT of the scenario's topology graph (`Topology::build`): one
/// node statement per vertex, labelled (`a-1`, `LB node a`, `db primary
/// (a)`), coloured and grouped by AZ, one `->` per edge; cross-AZ routes
/// from an LB node are dashed.
pub fn dot(s: &Scenario) -> String {
    let topo = Topology::build(s);
    let sk = Sketch::of(s);
    let az_name = |az: usize| sk.azs.get(az).cloned().unwrap_or_default();
    let db = s.database.as_ref();
    let node_az = |node: &Node| match *node {
        Node::Clients => None,
        Node::LbNode { az }
        | Node::Instance { az, .. }
        | Node::Database { az, .. }
        | Node::Cache { az, .. }
        | Node::SessionStore { az, .. } => Some(az),
    };
    // Faulted components, as the sketch marks them; an AZ outage hits
    // every node in the AZ.
    let h = &sk.hits;
    let faulted = |node: &Node| -> bool {
        let at = |v: &[bool], i: usize| v.get(i).copied().unwrap_or(false);
        match *node {
            Node::Clients => false,
            Node::LbNode { az } => at(&sk.az_faulted, az),
            Node::Instance { id, az } => at(&sk.az_faulted, az) || at(&h.instances, id),
            Node::Database { node, az } => at(&sk.az_faulted, az) || at(&h.db, node),
            Node::Cache { node, az } => at(&sk.az_faulted, az) || at(&h.cache, node),
            Node::SessionStore { node, az } => at(&sk.az_faulted, az) || at(&h.store, node),
        }
    };
    let node_label = |node: &Node| -> String {
        match *node {
            Node::Clients => "clients".to_string(),
            Node::LbNode { az } => format!("LB node {}", az_name(az)),
            Node::Instance { id, .. } => clean(&s.instance_name(id)),
            Node::Database { node, az } => {
                let role = db.map_or("db", |d| db_role(d, node));
                format!("{role} ({})", az_name(az))
            }
            Node::Cache { node, az } => format!(
                "cache {} ({})",
                if node == 0 { "primary" } else { "replica" },
                az_name(az)
            ),
            Node::SessionStore { node, az } => format!(
                "session store {} ({})",
                if node == 0 { "primary" } else { "replica" },
                az_name(az)
            ),
        }
    };
    let graph = &topo.graph;
    let node_attrs = |_: &DiGraph<Node, ()>, (_, node): (NodeIndex, &Node)| -> String {
        let shape = match node {
            Node::Clients => "ellipse",
            Node::LbNode { .. } => "hexagon",
            Node::Instance { .. } => "box",
            Node::Database { .. } => "cylinder",
            Node::Cache { .. } | Node::SessionStore { .. } => "box3d",
        };
        let mut a = format!(
            "label = \"{}\", shape = {shape}",
            dot_escape(&node_label(node))
        );
        match node_az(node) {
            Some(az) => {
                let _ = write!(
                    a,
                    ", group = \"{}\", style = filled, fillcolor = \"{}\"",
                    dot_escape(&az_name(az)),
                    hex(TINTS[az % TINTS.len()]),
                );
                if faulted(node) {
                    a += ", color = \"#d32f2f\", penwidth = 2";
                } else {
                    let _ = write!(a, ", color = \"{}\"", hex(STROKES[az % STROKES.len()]));
                }
            }
            None => a += ", style = filled, fillcolor = white",
        }
        a + " "
    };
    let edge_attrs = |g: &DiGraph<Node, ()>, e: EdgeReference<()>| -> String {
        match (&g[e.source()], &g[e.target()]) {
            (Node::LbNode { az: a }, Node::Instance { az: b, .. }) if a != b => {
                "style = dashed, color = \"#9e9e9e\" ".to_string()
            }
            (Node::Instance { .. }, _) => "color = \"#757575\" ".to_string(),
            _ => String::new(),
        }
    };
    let body = format!(
        "{:?}",
        Dot::with_attr_getters(
            graph,
            &[
                Config::NodeNoLabel,
                Config::EdgeNoLabel,
                Config::GraphContentOnly
            ],
            &edge_attrs,
            &node_attrs,
        )
    );
    let mut out = String::from("digraph {\n");
    let _ = writeln!(
        out,
        "    graph [ label = \"{}\", labelloc = t, rankdir = TB, fontname = \"{}\" ]",
        dot_escape(&s.name),
        font::FAMILY
    );
    let _ = writeln!(out, "    node [ fontname = \"{}\" ]", font::FAMILY);
    out.push_str(&body);
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    fn scenario(yaml: &str) -> Scenario {
        load_str(yaml, "t.yaml", "t", &[]).unwrap()
    }

    const REGIONS: &str = "azs: [e1, e2, w1, w2]\nregions: { east: [e1, e2], west: [w1, w2] }\n\
        dns: { primary: east }\napp: {instances_per_az: 1}\n\
        faults:\n  - { at: 1m, kind: region_outage, region: east }\n";

    #[test]
    fn regions_label_their_columns_and_keep_cross_zone_inside() {
        let s = scenario(REGIONS);
        let text = ascii(&s);
        let lines = sketch_part(&text);
        // A bar over each region, above the AZ headers.
        let bar = lines
            .iter()
            .position(|l| l.contains("region east"))
            .unwrap();
        assert!(lines[bar].contains("region west"), "{text}");
        assert!(lines[bar + 1].contains("AZ e1 *") && lines[bar + 1].contains("AZ w2"));
        assert!(!lines[bar + 1].contains("AZ w1 *"), "{text}");
        // The LB fan-out stops at the region border: two buses, not one.
        let lb = lines
            .iter()
            .position(|l| l.starts_with("DNS / LB"))
            .unwrap();
        let bus = lines[lb..]
            .iter()
            .find(|l| l.len() > GUTTER && l.as_bytes()[GUTTER] == b' ' && l.contains('+'))
            .unwrap();
        assert_eq!(bus.matches('+').count(), 4, "{text}");
        assert!(text.contains("every AZ of its region"));
        assert!(
            Sketch::of(&s)
                .clients
                .contains("Route 53 failover: region east while its health check passes")
        );
        assert!(text.contains("region_outage  region east"));
        let svg = svg(&s);
        assert!(svg.contains("region east") && svg.contains("region west"));
        // DOT follows the topology: no LB node edge into the other region.
        let dot = dot(&s);
        assert!(dot.contains("LB node e1") && dot.contains("w2-1"));
        let topo = Topology::build(&s);
        assert_eq!(topo.targets_of(0), vec![0, 1]);
        // Without regions nothing of it shows.
        let plain = ascii(&scenario("azs: [e1, e2]\napp: {instances_per_az: 1}"));
        assert!(!plain.contains("region") && !plain.contains("====="));
    }

    /// The sketch without the fault list.
    fn sketch_part(text: &str) -> Vec<&str> {
        text.lines()
            .take_while(|l| !l.starts_with("faults"))
            .collect()
    }

    /// (line, column) of every whole-word occurrence of `word`.
    fn positions(lines: &[&str], word: &str) -> Vec<(usize, usize)> {
        let part = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-');
        let mut out = Vec::new();
        for (row, line) in lines.iter().enumerate() {
            for (col, _) in line.match_indices(word) {
                let before = line[..col].chars().last();
                let after = line[col + word.len()..].chars().next();
                if !part(before) && !part(after) {
                    out.push((row, col));
                }
            }
        }
        out
    }

    /// Centre column of each AZ header, in AZ order.
    fn header_centres(lines: &[&str], azs: &[&str]) -> Vec<usize> {
        let header = lines
            .iter()
            .find(|l| l.trim_start().starts_with("AZ "))
            .expect("a header line");
        azs.iter()
            .map(|az| {
                let h = format!("AZ {az}");
                header.find(&h).expect("AZ in the header") + h.len() / 2
            })
            .collect()
    }

    /// Index of the AZ whose header is nearest to column `col`.
    fn column_of(centres: &[usize], col: usize) -> usize {
        (0..centres.len())
            .min_by_key(|&i| centres[i].abs_diff(col))
            .unwrap()
    }

    #[test]
    fn ascii_has_one_column_per_az_in_order() {
        let s = scenario("azs: [east, west, north, south]\napp: {instances_per_az: 1}");
        let text = ascii(&s);
        let lines = sketch_part(&text);
        let centres = header_centres(&lines, &["east", "west", "north", "south"]);
        assert!(
            centres.windows(2).all(|w| w[0] < w[1]),
            "{centres:?}\n{text}"
        );
        let lb = lines.iter().find(|l| l.contains("LB node")).unwrap();
        assert_eq!(lb.matches("LB node").count(), 4, "{text}");
        for (i, az) in ["east", "west", "north", "south"].iter().enumerate() {
            let p = positions(&lines, &format!("LB node {az}"));
            assert_eq!(p.len(), 1, "{text}");
            assert_eq!(column_of(&centres, p[0].1 + 5), i, "{text}");
        }
    }

    #[test]
    fn every_instance_sits_in_the_column_of_its_az() {
        let s = scenario(
            "azs: [a, b, c]\napp: {instances_per_az: 3}\nload_balancer: {cross_zone: false}",
        );
        let text = ascii(&s);
        let lines = sketch_part(&text);
        let centres = header_centres(&lines, &["a", "b", "c"]);
        for (id, &az) in s.initial_azs().iter().enumerate() {
            let name = s.instance_name(id);
            let p = positions(&lines, &name);
            assert_eq!(p.len(), 1, "{name} once in\n{text}");
            assert_eq!(column_of(&centres, p[0].1), az, "{name} in\n{text}");
        }
        assert!(text.contains("cross-zone off"), "{text}");
    }

    #[test]
    fn database_primary_and_standby_appear_in_their_azs() {
        let s = scenario(
            "azs: [a, b, c]\ndatabase: {mode: multi_az, primary_az: b, endpoint: proxy}\n\
             faults: [{at: 1m, kind: db_primary_failure}]",
        );
        let text = ascii(&s);
        let lines = sketch_part(&text);
        let centres = header_centres(&lines, &["a", "b", "c"]);
        let primary = positions(&lines, "db primary");
        let standby = positions(&lines, "db standby");
        assert_eq!((primary.len(), standby.len()), (1, 1), "{text}");
        assert_eq!(column_of(&centres, primary[0].1), 1, "{text}");
        assert_eq!(column_of(&centres, standby[0].1), 2, "{text}");
        // Same row, and the fault marks the primary.
        assert_eq!(primary[0].0, standby[0].0);
        assert!(lines[primary[0].0].contains("db primary *"), "{text}");
        assert!(
            text.contains("multi_az, sync replication, endpoint proxy"),
            "{text}"
        );

        let single = ascii(&scenario("database: {mode: single, read_replicas: 1}"));
        assert!(
            single.contains("single, endpoint dns (TTL 1m); no standby"),
            "{single}"
        );
        assert!(single.contains("db read replica"), "{single}");
        let alone = ascii(&scenario("database: {mode: aurora, read_replicas: 0}"));
        assert!(alone.contains("recreate 10m"), "{alone}");
        let dns = ascii(&scenario("database: {mode: aurora, read_replicas: 2}"));
        assert!(dns.contains("endpoint dns (TTL 5s)"), "{dns}");
        assert_eq!(dns.matches("aurora replica").count(), 2, "{dns}");
    }

    #[test]
    fn a_load_balancer_without_checks_claims_none() {
        let with = ascii(&scenario("azs: [a, b]"));
        assert!(with.contains("checks every 30s"), "{with}");
        let without = ascii(&scenario(
            "azs: [a, b]\nload_balancer: {health_check: none}",
        ));
        assert!(!without.contains("checks every"), "{without}");
        assert!(
            without.contains("no health checks: dead targets keep their share"),
            "{without}"
        );
    }

    #[test]
    fn many_instances_per_az_collapse() {
        let s = scenario(
            "azs: [a, b, c]\napp: {instances_per_az: 40}\n\
             faults: [{at: 1m, kind: instance_crash, instance: b-7}]",
        );
        let text = ascii(&s);
        for az in ["a", "b", "c"] {
            assert!(text.contains(&format!("{az}-1 .. {az}-40 (40)")), "{text}");
        }
        assert!(text.contains("b-7 *"), "{text}");
        assert!(positions(&sketch_part(&text), "a-17").is_empty(), "{text}");
        // A group shows its sizes.
        let g = ascii(&scenario(
            "app: {instances_per_az: 2}\nautoscaling: {min: 3, max: 12}",
        ));
        assert!(g.contains("Auto Scaling group 3..12, desired 6"), "{g}");
    }

    #[test]
    fn faults_are_listed_and_marked() {
        let s = scenario(
            "azs: [a, b, c]\nduration: 45m\nfaults:\n  - {at: 10m, kind: az_outage, az: a, duration: 20m}\n  \
             - {at: 30m, kind: latency, instance: c-2, extra: 200ms}",
        );
        let text = ascii(&s);
        assert!(text.contains("#0  10m  az_outage  AZ a for 20m"), "{text}");
        assert!(
            text.contains("#1  30m  latency    c-2 +200ms until the end"),
            "{text}"
        );
        assert!(text.contains("AZ a *"), "{text}");
        assert!(text.contains("c-2 *"), "{text}");
        assert!(ascii(&scenario("azs: [a]")).contains("faults: none"));
    }

    #[test]
    fn shipped_scenarios_fit_100_ascii_columns_and_draw_the_same_twice() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        assert!(files.len() >= 5);
        for f in files {
            let s = crate::scenario::load_file(&f, &[]).unwrap();
            let text = ascii(&s);
            assert_eq!(text, ascii(&s));
            assert!(text.is_ascii(), "{}", f.display());
            for line in text.lines() {
                assert!(line.len() <= 100, "{}: {line}", f.display());
            }
        }
    }

    #[test]
    fn dot_has_a_statement_per_node_and_an_arrow_per_edge() {
        for yaml in [
            "azs: [a, b, c]\napp: {instances_per_az: 2}\ndatabase: {mode: multi_az}",
            "azs: [a, b]\napp: {instances_per_az: 3, sessions: external}\n\
             load_balancer: {cross_zone: false}\ndatabase: {mode: aurora}\ncache: {}",
        ] {
            let s = scenario(yaml);
            let topo = Topology::build(&s);
            let d = dot(&s);
            assert!(d.starts_with("digraph {\n"), "{d}");
            assert!(d.ends_with("}\n"), "{d}");
            let nodes = d
                .lines()
                .filter(|l| {
                    let t = l.trim_start();
                    t.split(' ')
                        .next()
                        .is_some_and(|w| w.parse::<usize>().is_ok())
                        && t.split(' ').nth(1) == Some("[")
                })
                .count();
            assert_eq!(nodes, topo.graph.node_count(), "{d}");
            assert_eq!(d.matches(" -> ").count(), topo.graph.edge_count(), "{d}");
        }
        let d = dot(&scenario(
            "azs: [a, b]\ndatabase: {}\nfaults: [{at: 1m, kind: instance_crash, instance: a-1}]",
        ));
        for label in [
            "\"a-1\"",
            "\"LB node a\"",
            "\"db primary (a)\"",
            "\"db standby (b)\"",
        ] {
            assert!(d.contains(&format!("label = {label}")), "{label} in {d}");
        }
        assert!(
            d.contains("label = \"a-1\", shape = box, group = \"a\""),
            "{d}"
        );
        assert!(d.contains("penwidth = 2"), "{d}");
    }

    #[test]
    fn dot_escapes_quotes_and_backslashes() {
        let d = dot(&scenario(r#"azs: ['q"x\y', b]"#));
        assert!(d.contains(r#"label = "LB node q\"x\\y""#), "{d}");
        assert!(d.contains(r#"group = "q\"x\\y""#), "{d}");
    }

    #[test]
    fn svg_is_an_inline_document_with_every_az_and_instance() {
        let s = scenario(
            "azs: [a, b, c]\napp: {instances_per_az: 2}\ndatabase: {}\n\
             faults: [{at: 1m, kind: az_outage, az: b}]",
        );
        let doc = svg(&s);
        assert!(doc.starts_with("<svg "), "{}", &doc[..80]);
        assert!(doc.trim_end().ends_with("</svg>"));
        assert_eq!(doc.matches("<text").count(), doc.matches("</text>").count());
        for az in ["a", "b", "c"] {
            assert!(doc.contains(&format!("\nAZ {az}\n")), "AZ {az}");
            for k in 1..=2 {
                assert!(doc.contains(&format!("\n{az}-{k}\n")), "{az}-{k}");
            }
        }
        assert!(doc.contains("db primary") && doc.contains("db standby"));
        assert!(doc.contains("#D32F2F"), "the faulted AZ is outlined in red");
        assert!(!svg(&scenario("azs: [a, b]")).contains("#D32F2F"));
        assert_eq!(doc, svg(&s), "deterministic");
    }

    #[test]
    fn svg_escapes_user_text() {
        // AZ names are the user text that reaches the drawing (the name is
        // restricted to a folder name, the description is not drawn).
        let s = scenario("azs: ['x<&>', b]\napp: {instances_per_az: 1}");
        let doc = svg(&s);
        assert!(doc.contains("AZ x&lt;&amp;&gt;"), "header escaped");
        assert!(doc.contains("x&lt;&amp;&gt;-1"), "instance escaped");
        assert!(!doc.contains("x<&>"), "no raw user text");
        // Every `&` starts an entity.
        for (i, _) in doc.match_indices('&') {
            let rest = &doc[i..];
            assert!(
                ["&lt;", "&gt;", "&amp;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| rest.starts_with(e)),
                "{}",
                &rest[..rest.len().min(20)]
            );
        }
    }

    #[test]
    fn helpers_wrap_fit_and_flow() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("", 3), vec![""]);
        assert_eq!(
            wrap_clauses("aa bb; cc dd; e", 9),
            vec!["aa bb;", "cc dd; e"]
        );
        assert_eq!(wrap_clauses("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(fit("abcdef", 4), "ab..");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(clean("a\u{1}b"), "a?b");
        assert_eq!(pct(0.995), "99.5%");
        assert_eq!(rate(1000.0), "1000/s");
        assert_eq!(column_width(3), 29);
        assert_eq!(GUTTER + 3 * column_width(3) + 2, 100);
    }
}
