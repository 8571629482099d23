//! Default values, taken from AWS documentation so that a short scenario file
//! describes a realistic deployment. Each cites its source.

use crate::engine::{NANOS_PER_MICRO, NANOS_PER_MILLI, NANOS_PER_SEC, SimTime};

const MINUTE: SimTime = 60 * NANOS_PER_SEC;

/// Long enough to see a fault, its detection and recovery at ALB defaults.
pub const DURATION: SimTime = 10 * MINUTE;
pub const WARMUP: SimTime = 0;
pub const SEED: u64 = 1;
/// Three AZs: the usual minimum for static stability (Well-Architected REL11-BP05).
pub const AZS: [&str; 3] = ["a", "b", "c"];

/// Same-region, cross-AZ round trips are typically under 1-2 ms; half a
/// millisecond per hop is a conservative one-way figure, not an AWS number.
pub const NETWORK_LATENCY: SimTime = 500 * NANOS_PER_MICRO;

// ALB User Guide, "Health checks for your target groups": interval 30 s,
// timeout 5 s, healthy threshold 5, unhealthy threshold 2.
pub const HEALTH_CHECK_INTERVAL: SimTime = 30 * NANOS_PER_SEC;
pub const HEALTH_CHECK_TIMEOUT: SimTime = 5 * NANOS_PER_SEC;
pub const HEALTHY_THRESHOLD: u32 = 5;
pub const UNHEALTHY_THRESHOLD: u32 = 2;
// ALB User Guide, "Target group attributes": deregistration_delay 300 s.
pub const DEREGISTRATION_DELAY: SimTime = 300 * NANOS_PER_SEC;
// ALB User Guide, "Target group health": the ELB DNS name has a 60 s TTL.
pub const DNS_TTL: SimTime = 60 * NANOS_PER_SEC;

// Route 53 failover routing (`dns:`). Health check: "interval 30 s (fast:
// 10 s), failure threshold 3 (1-10), healthy if over 18% of checkers agree"
// (Route 53 Developer Guide, "How Amazon Route 53 determines whether a health
// check is healthy"). The TTL of an alias record to an ALB is the ELB's
// 60 s (ALB "Target group health").
pub const ROUTE53_INTERVAL: SimTime = 30 * NANOS_PER_SEC;
pub const ROUTE53_FAILURE_THRESHOLD: u32 = 3;
pub const ROUTE53_TTL: SimTime = 60 * NANOS_PER_SEC;
/// One second, for the allowed Route 53 intervals.
pub const SEC: SimTime = NANOS_PER_SEC;
// ALB User Guide, "Cross-zone load balancing for target groups": always on
// for ALB by default (NLB defaults to off).
pub const CROSS_ZONE: bool = true;
// ALB User Guide, "Health checks for your target groups": when every target
// is unhealthy the load balancer fails open and routes to all of them.
pub const FAIL_OPEN: bool = true;
// A cold standby is started by automation: a CloudWatch alarm on the
// target group's healthy hosts plus a StartInstances call. One standard
// alarm period is 60 s (PutMetricAlarm: periods of 10, 20, 30 s or
// multiples of 60 s; EC2 detailed monitoring is 1 min), so the start call
// comes about a minute after the active AZ lost its last healthy target.
pub const STANDBY_START_DELAY: SimTime = 60 * NANOS_PER_SEC;

pub const INSTANCES_PER_AZ: u32 = 2;
pub const WORKERS: u32 = 8;
pub const QUEUE_CAPACITY: u32 = 100;
pub const SERVICE_TIME_MEAN: SimTime = 20 * NANOS_PER_MILLI;
pub const SERVICE_TIME_P99: SimTime = 120 * NANOS_PER_MILLI;
// EC2 cold launch is about 26 s to SSH-ready (ec2 cold-boot research, see
// AWS-DEFAULTS.md); the rest is an assumed application start-up.
pub const BOOT_TIME: SimTime = 60 * NANOS_PER_SEC;

pub const RATE_PER_SEC: f64 = 100.0;
pub const CLIENT_TIMEOUT: SimTime = 2 * NANOS_PER_SEC;
pub const RETRIES: u32 = 0;
pub const RETRY_BACKOFF: SimTime = 100 * NANOS_PER_MILLI;
pub const CONNECT_TIMEOUT: SimTime = NANOS_PER_SEC;
/// A day's cycle, busiest at noon unless the file says otherwise.
pub const DIURNAL_PERIOD: SimTime = 24 * 60 * MINUTE;
pub const DIURNAL_PEAK_AT: SimTime = 12 * 60 * MINUTE;
/// The AWS SDKs' standard retry mode caps its exponential backoff at a 20 s
/// maximum backoff (AWS SDKs and Tools Reference Guide, "Retry behavior").
pub const BACKOFF_CAP: SimTime = 20 * NANOS_PER_SEC;
/// Linkerd's retry budget defaults (retryRatio 0.2, minRetriesPerSecond 10,
/// ttl 10s), which follow Finagle's RetryBudget.
pub const RETRY_BUDGET_RATIO: f64 = 0.2;
pub const RETRY_BUDGET_MIN_PER_SECOND: f64 = 10.0;
pub const RETRY_BUDGET_TTL: SimTime = 10 * NANOS_PER_SEC;
/// Circuit breaker: a 50% failure ratio is resilience4j's default
/// failureRateThreshold. Its other defaults (a count window of 100 calls,
/// minimumNumberOfCalls 100, waitDurationInOpenState 60 s,
/// permittedNumberOfCallsInHalfOpenState 10) describe one client process;
/// for a client population judged over seconds we assume a 10 s time
/// window, 20 calls, 30 s open and 5 probes.
pub const CB_FAILURE_RATIO: f64 = 0.5;
pub const CB_WINDOW: SimTime = 10 * NANOS_PER_SEC;
pub const CB_MIN_CALLS: u32 = 20;
pub const CB_OPEN_FOR: SimTime = 30 * NANOS_PER_SEC;
pub const CB_PROBES: u32 = 5;

pub const METRICS_BUCKET: SimTime = NANOS_PER_SEC;
/// DESIGN.md, failover latency: a 5 s sliding window at a 99% threshold.
pub const METRICS_WINDOW: SimTime = 5 * NANOS_PER_SEC;
pub const METRICS_THRESHOLD: f64 = 0.99;

use super::config::{Algorithm, Arrival};

// ALB User Guide, "Target group attributes": load_balancing.algorithm.type
// defaults to round_robin.
pub const ALGORITHM: Algorithm = Algorithm::RoundRobin;
/// Independent users arriving at random: the textbook open-loop model.
pub const ARRIVAL: Arrival = Arrival::Poisson;

// ---- data tier -----------------------------------------------------------

use super::config::{DbMode, Endpoint, Reads, Replication, Sessions};

/// Stateless tokens: the model's behaviour before sessions existed.
pub const SESSIONS: Sessions = Sessions::Jwt;
pub const USERS: u32 = 10_000;
pub const QUERIES: u32 = 1;
/// A read-heavy web workload (assumed, not an AWS figure).
pub const WRITE_FRACTION: f64 = 0.2;

pub const DB_MODE: DbMode = DbMode::MultiAz;
pub const DB_REPLICATION: Replication = Replication::Sync;
pub const DB_ENDPOINT: Endpoint = Endpoint::Dns;
pub const DB_READS: Reads = Reads::Primary;
/// Replica lag: RDS documents ReplicaLag but no typical value; 100 ms mean
/// is an assumed healthy same-region figure.
pub const DB_REPLICATION_LAG_MEAN: SimTime = 100 * NANOS_PER_MILLI;
/// Opening new connections after a DNS switch (TCP, TLS, auth; assumed).
pub const DB_RECONNECT_TIME: SimTime = NANOS_PER_SEC;
/// RDS Proxy follows the new primary without DNS ("reduces failover times by
/// up to 66%", RDS Proxy docs); 1 s for it to re-route is assumed.
pub const DB_PROXY_SWITCH: SimTime = NANOS_PER_SEC;
pub const DB_WORKERS: u32 = 64;
pub const DB_QUEUE_CAPACITY: u32 = 1000;
pub const DB_QUERY_TIME_MEAN: SimTime = 2 * NANOS_PER_MILLI;

/// Failover phases and the endpoint's DNS TTL per mode: (detection,
/// promotion, dns_ttl).
/// - multi_az: RDS User Guide, "Failing over a Multi-AZ DB instance":
///   "typically 60-120 seconds" from detection to resumption; we take 60 s
///   of promotion after 15 s of detection (assumed). The instance endpoint's
///   TTL is not documented; AWS advises client DNS caching of 60 s or less
///   ("Setting the JVM TTL for DNS name lookups"): 60 s.
/// - multi_az_cluster: RDS User Guide, Multi-AZ DB cluster: failover
///   "typically under 35 seconds": 10 s + 15 s, and a 5 s endpoint TTL like
///   Aurora's.
/// - aurora: Aurora User Guide, high availability: with a replica "typically
///   under 60 s, often under 30 s": 10 s + 15 s; endpoint TTL 5 s (Aurora
///   connection management handbook). Without a replica the instance is
///   recreated, "typically under 10 minutes": promotion 10 min.
/// - single: no failover; the values only set the detection time.
/// - multi_writer: nothing is promoted; `detection` is how long an app
///   instance takes to give up on its writer (connection errors, health
///   checks) and move to the next one: 15 s, assumed like the others so
///   that a comparison isolates the promotion step. No endpoint, no TTL.
pub const fn db_phases(mode: DbMode, has_replica: bool) -> (SimTime, SimTime, SimTime) {
    match mode {
        DbMode::Single => (15 * NANOS_PER_SEC, 0, 60 * NANOS_PER_SEC),
        DbMode::MultiAz => (15 * NANOS_PER_SEC, 60 * NANOS_PER_SEC, 60 * NANOS_PER_SEC),
        DbMode::MultiAzCluster => (10 * NANOS_PER_SEC, 15 * NANOS_PER_SEC, 5 * NANOS_PER_SEC),
        DbMode::Aurora if has_replica => {
            (10 * NANOS_PER_SEC, 15 * NANOS_PER_SEC, 5 * NANOS_PER_SEC)
        }
        DbMode::Aurora => (10 * NANOS_PER_SEC, 10 * MINUTE, 5 * NANOS_PER_SEC),
        DbMode::MultiWriter => (15 * NANOS_PER_SEC, 0, 0),
    }
}
/// Active-active writers: two, the smallest multi-writer setup (one per
/// AZ of a two-AZ deployment, as DynamoDB global tables start with two
/// replicas).
pub const DB_WRITERS: u32 = 2;
/// Hot key space of a multi-writer database: 100 000 items (active carts,
/// account rows). Assumed, no AWS figure: with W writes/s split over two
/// writers and lag L, about W L / (2 K) of writes conflict, so this keeps
/// conflicts rare but visible at hundreds of writes/s and 100 ms of lag.
pub const DB_KEYS: u32 = 100_000;
/// Most keys a multi-writer database may track: 16 bytes each, 160 MB.
pub const DB_MAX_KEYS: u32 = 10_000_000;
/// Aurora clusters usually run one replica so that failover has a target.
pub const AURORA_REPLICAS: u32 = 1;

/// ElastiCache Multi-AZ failover: the guide gives no firm number ("a few
/// seconds" to "a few minutes"), so it is a distribution: lognormal with a
/// 30 s mean and a 3 min p99 (assumed).
pub const KV_FAILOVER_MEAN: SimTime = 30 * NANOS_PER_SEC;
pub const KV_FAILOVER_P99: SimTime = 3 * MINUTE;
pub const KV_REPLICA: bool = true;
pub const CACHE_HIT_RATIO: f64 = 0.8;
/// An emptied cache refills as traffic misses; 5 min is assumed.
pub const CACHE_WARM_TIME: SimTime = 5 * MINUTE;

// EC2 Auto Scaling.
// "About the health checks for your Auto Scaling group": EC2 status checks
// are always on; ELB health checks are opt-in.
pub const ASG_HEALTH_CHECK: AsgHealthCheck = AsgHealthCheck::Ec2;
// "Set the health check grace period": 300 s when the group is created in
// the console (0 through the API).
pub const ASG_GRACE_PERIOD: SimTime = 300 * NANOS_PER_SEC;
// "Set the default instance warmup": off by default, in which case target
// tracking and step policies use the group's default cooldown, 300 s
// (CreateAutoScalingGroup DefaultCooldown).
pub const ASG_WARMUP: SimTime = 300 * NANOS_PER_SEC;
// EC2 monitoring: detailed monitoring publishes every minute (basic: 5 min).
pub const ASG_METRIC_PERIOD: SimTime = MINUTE;
// EC2 status checks run every minute ("Status checks for your instances").
pub const ASG_STATUS_CHECK_INTERVAL: SimTime = MINUTE;
// Target tracking alarms (AWS-DEFAULTS.md, consistent secondary sources):
// scale out on 3 datapoints in 3 minutes, scale in on 15 in 15 minutes below
// 90% of the target.
pub const TT_OUT_PERIODS: u32 = 3;
pub const TT_IN_PERIODS: u32 = 15;
pub const TT_IN_FRACTION: f64 = 0.9;
pub const STEP_PERIODS: u32 = 1;

// ---- monitoring (AWS-DEFAULTS.md, "Monitoring and DNS") ----
// Prometheus configuration docs: `scrape_interval` and `evaluation_interval`
// both default to 1m. The scrape interval is also the resolution of
// `--metrics-out`.
pub const PROM_SCRAPE_INTERVAL: SimTime = MINUTE;
pub const PROM_EVALUATION_INTERVAL: SimTime = MINUTE;
// A rule's rate window when none is given: one evaluation interval.
// CloudWatch PutMetricAlarm: Period is 10, 20 or 30 s (high resolution) or a
// multiple of 60 s; 60 s is the standard resolution of AWS/ApplicationELB
// and detailed EC2 metrics.
pub const CW_PERIOD: SimTime = MINUTE;
// PutMetricAlarm requires EvaluationPeriods; one is the console's default.
// DatapointsToAlarm defaults to EvaluationPeriods.
pub const CW_EVALUATION_PERIODS: u32 = 1;

use super::config::AsgHealthCheck;
