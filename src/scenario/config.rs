//! The typed scenario: what the model runs. Every unit is resolved, every
//! default applied and every cross-reference checked before a value of these
//! types exists ("parse, don't validate"), so the model never sees a string
//! it has to interpret or an `Option` that validation already settled.

use crate::engine::SimTime;

/// A fully resolved scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Name used for the output folder; defaults to the file stem.
    pub name: String,
    /// What the scenario teaches, shown in reports.
    pub description: String,
    /// Base seed of every random stream in the run.
    pub seed: u64,
    /// Simulated time at which the run stops.
    pub duration: SimTime,
    /// Requests issued before this time are not counted in the summary.
    pub warmup: SimTime,
    /// Availability-zone names, in the order the file gives them.
    pub azs: Vec<String>,
    pub network: Network,
    pub load_balancer: LoadBalancer,
    pub app: App,
    pub workload: Workload,
    pub faults: Vec<Fault>,
    pub metrics: MetricsConfig,
}

impl Scenario {
    /// Total number of app instances (instances_per_az in every AZ).
    pub fn instance_count(&self) -> usize {
        self.azs.len() * self.app.instances_per_az as usize
    }

    /// Global instance index of the `index`-th (0-based) instance in AZ `az`.
    pub fn instance_id(&self, az: usize, index: u32) -> usize {
        az * self.app.instances_per_az as usize + index as usize
    }

    /// Human name of a global instance index, e.g. `a-1` (1-based within its AZ).
    pub fn instance_name(&self, id: usize) -> String {
        let per = self.app.instances_per_az as usize;
        format!("{}-{}", self.azs[id / per], id % per + 1)
    }
}

/// Network between clients, load balancer and instances.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// One-way latency of each hop (client to instance, instance to client).
    pub latency: SimTime,
}

/// How the load balancer picks a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    RoundRobin,
    Random,
    LeastOutstanding,
}

/// Active health checks of each target (ALB target group semantics).
#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheck {
    pub interval: SimTime,
    /// Always shorter than `interval` (validated).
    pub timeout: SimTime,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

/// Load balancer with one node per AZ.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadBalancer {
    pub algorithm: Algorithm,
    /// A node may route to targets in every AZ, not only its own.
    pub cross_zone: bool,
    /// With no healthy target, route to all registered targets (as ALB does).
    pub fail_open: bool,
    pub health_check: HealthCheck,
    /// How long in-flight requests may finish on a target taken out of service.
    pub deregistration_delay: SimTime,
    /// DNS TTL of the LB name: how long clients keep using a removed node.
    pub dns_ttl: SimTime,
}

/// Distribution of the work one request needs from an instance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ServiceTime {
    Constant {
        value: SimTime,
    },
    Exponential {
        mean: SimTime,
    },
    /// Log-normal given by its mean and 99th percentile (p99 > mean).
    LogNormal {
        mean: SimTime,
        p99: SimTime,
    },
}

/// Random failure process of every instance: exponential up and down times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomFailures {
    pub mtbf: SimTime,
    pub mttr: SimTime,
}

/// The application tier: identical instances in every AZ.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub instances_per_az: u32,
    /// Requests served in parallel by one instance (at least 1).
    pub workers: u32,
    /// Requests that may wait for a worker; one more is dropped `queue_full`.
    pub queue_capacity: u32,
    pub service_time: ServiceTime,
    /// Time from power-on (or restart) until the process accepts requests.
    pub boot_time: SimTime,
    pub failures: Option<RandomFailures>,
}

/// How arrivals are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    Poisson,
    Constant,
}

/// Open-loop client traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Requests per second (0 allowed: only health checks and faults run).
    pub rate: f64,
    pub arrival: Arrival,
    /// Per-attempt client timeout.
    pub timeout: SimTime,
    /// Extra attempts after a failed one.
    pub retries: u32,
    /// Wait before a retry.
    pub retry_backoff: SimTime,
    /// Time a client waits on an unreachable LB node before trying another.
    pub connect_timeout: SimTime,
}

/// A fault injected at a fixed time.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub at: SimTime,
    /// `None`: the fault lasts until the end of the run.
    pub duration: Option<SimTime>,
    pub kind: FaultKind,
}

/// What a latency fault slows down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyTarget {
    Az(usize),
    Instance(usize),
}

/// The closed set of fault kinds. Indices are AZ and global instance indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultKind {
    /// The process dies: connections are refused, in-flight requests reset.
    InstanceCrash { instance: usize },
    /// The process stops answering but still accepts connections.
    InstanceHang { instance: usize },
    /// Every instance and the LB node in the AZ lose power.
    AzOutage { az: usize },
    /// Responses (and health checks) from the target take `extra` longer.
    Latency {
        target: LatencyTarget,
        extra: SimTime,
    },
}

impl FaultKind {
    /// The name used in YAML and reports.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::InstanceCrash { .. } => "instance_crash",
            FaultKind::InstanceHang { .. } => "instance_hang",
            FaultKind::AzOutage { .. } => "az_outage",
            FaultKind::Latency { .. } => "latency",
        }
    }
}

/// How metrics are bucketed and how recovery is judged.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsConfig {
    /// Width of a `timeseries.csv` row; a multiple of 100 ms.
    pub bucket: SimTime,
    /// Sliding window of the success ratio; a multiple of 100 ms.
    pub window: SimTime,
    /// Success ratio at or above which the service counts as recovered.
    pub threshold: f64,
}
