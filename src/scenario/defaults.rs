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
// ALB User Guide, "Cross-zone load balancing for target groups": always on
// for ALB by default (NLB defaults to off).
pub const CROSS_ZONE: bool = true;
// ALB User Guide, "Health checks for your target groups": when every target
// is unhealthy the load balancer fails open and routes to all of them.
pub const FAIL_OPEN: bool = true;

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
