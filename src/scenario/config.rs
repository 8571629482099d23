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
    /// What the scenario is, shown in reports (English).
    pub description: String,
    /// What to look at in the results and why (English; may be empty).
    pub lesson: String,
    /// The Korean description and lesson, empty where the file gives none.
    pub korean: Texts,
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
    /// The database tier, if the scenario has one.
    pub database: Option<Database>,
    /// A Redis-like cache in front of the database (needs `database`).
    pub cache: Option<Cache>,
    /// The external session store; present exactly when `app.sessions` is
    /// `external`.
    pub session_store: Option<KvStore>,
    /// The Auto Scaling Group that owns the app fleet, if any.
    pub autoscaling: Option<AutoScaling>,
    /// Initial app instances per AZ (`app.instances_per_az` everywhere, or
    /// the group's desired capacity spread over the AZs).
    pub fleet: Vec<u32>,
    /// Alarms and the metric export's resolution.
    pub monitoring: super::Monitoring,
    /// Regions partitioning `azs`, in file order; empty without a
    /// `regions:` block (one implicit region holds every AZ).
    pub regions: Vec<Region>,
    /// Route 53 failover routing between two regions (needs `regions`).
    pub dns: Option<Dns>,
}

/// A region: a named group of AZs. LB nodes and cross-zone routing stay
/// inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub name: String,
    /// AZ indices, ascending.
    pub azs: Vec<usize>,
    /// Extra one-way latency between the clients and this region
    /// (`region_latency`), each way of every attempt served there.
    pub client_latency: SimTime,
}

/// Route 53 failover routing: clients resolve to the primary region while
/// its health check passes, else to the secondary.
#[derive(Debug, Clone, PartialEq)]
pub struct Dns {
    /// Region indices.
    pub primary: usize,
    pub secondary: usize,
    /// How long clients cache an answer; after a change they move
    /// uniformly over one TTL.
    pub ttl: SimTime,
    /// Time between two probes of the primary region.
    pub interval: SimTime,
    /// Consecutive failed (passed) probes that turn the check unhealthy
    /// (healthy again).
    pub failure_threshold: u32,
}

impl Scenario {
    /// Number of app instances at the start (AZ by AZ, in `fleet` order).
    pub fn instance_count(&self) -> usize {
        self.fleet.iter().map(|&n| n as usize).sum()
    }

    /// Global index of the `index`-th (0-based) initial instance in AZ `az`.
    pub fn instance_id(&self, az: usize, index: u32) -> usize {
        self.fleet[..az].iter().map(|&n| n as usize).sum::<usize>() + index as usize
    }

    /// The most instances the run may hold at once: the fleet, or the
    /// group's largest max plus the rebalancing allowance (10% or 1).
    pub fn max_instances(&self) -> usize {
        match &self.autoscaling {
            None => self.instance_count(),
            Some(a) => {
                let max = a
                    .scheduled
                    .iter()
                    .filter_map(|x| x.max.or(x.desired))
                    .fold(a.max.max(a.desired), u32::max) as usize;
                max + (max / 10).max(1)
            }
        }
    }

    /// AZ of each initial instance, by global index.
    pub fn initial_azs(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.instance_count());
        for (az, &n) in self.fleet.iter().enumerate() {
            out.extend(std::iter::repeat_n(az, n as usize));
        }
        out
    }

    /// The AZ indices of each region: one region with every AZ when the
    /// file has no `regions:` block.
    pub fn region_azs(&self) -> Vec<Vec<usize>> {
        if self.regions.is_empty() {
            vec![(0..self.azs.len()).collect()]
        } else {
            self.regions.iter().map(|r| r.azs.clone()).collect()
        }
    }

    /// The extra one-way client latency of each AZ's region (all 0
    /// without `region_latency`).
    pub fn client_latency_of_az(&self) -> Vec<SimTime> {
        let mut out = vec![0; self.azs.len()];
        for r in &self.regions {
            for &az in &r.azs {
                out[az] = r.client_latency;
            }
        }
        out
    }

    /// The region index of each AZ (all 0 without `regions:`).
    pub fn region_of_az(&self) -> Vec<usize> {
        let mut out = vec![0; self.azs.len()];
        for (r, azs) in self.region_azs().iter().enumerate() {
            for &az in azs {
                out[az] = r;
            }
        }
        out
    }

    /// Human name of an initial instance, e.g. `a-1` (1-based within its AZ).
    pub fn instance_name(&self, id: usize) -> String {
        let mut rest = id;
        for (az, &n) in self.fleet.iter().enumerate() {
            if rest < n as usize {
                return format!("{}-{}", self.azs[az], rest + 1);
            }
            rest -= n as usize;
        }
        format!("instance-{id}")
    }
}

/// A scenario's texts for people in one language.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Texts {
    pub description: String,
    pub lesson: String,
}

impl Scenario {
    /// The description and lesson in Korean (`korean`) or English; a text
    /// with no Korean version falls back to the English one.
    pub fn texts(&self, korean: bool) -> Texts {
        let pick = |ko: &str, en: &str| if korean && !ko.is_empty() { ko } else { en }.to_string();
        Texts {
            description: pick(&self.korean.description, &self.description),
            lesson: pick(&self.korean.lesson, &self.lesson),
        }
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

/// How the standby AZs (`load_balancer.standby_azs`) wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandbyMode {
    /// Running, registered and health-checked: takes traffic as soon as the
    /// active AZs have no healthy target.
    Warm,
    /// Stopped (no traffic, no checks, no cost). When a node that is up
    /// first has no healthy target in an active AZ, automation starts them
    /// `start_delay` later; they boot, are registered, and take traffic
    /// after `healthy_threshold` passing checks. They then stay running.
    Cold { start_delay: SimTime },
}

impl StandbyMode {
    pub fn name(self) -> &'static str {
        match self {
            StandbyMode::Warm => "warm",
            StandbyMode::Cold { .. } => "cold",
        }
    }
}

/// Load balancer with one node per AZ.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadBalancer {
    pub algorithm: Algorithm,
    /// A node may route to targets in every AZ, not only its own.
    pub cross_zone: bool,
    /// Warm-standby AZs (indices into `azs`, ascending; empty: every AZ is
    /// active). A node routes to its healthy targets in these AZs only when
    /// it has no healthy target in an active AZ (active-passive failover).
    /// Never every AZ, and only with `cross_zone` (validated).
    pub standby_azs: Vec<usize>,
    /// Whether the standby AZs' instances run (warm) or wait stopped (cold);
    /// `Warm` when there is no standby.
    pub standby_mode: StandbyMode,
    /// With no healthy target, route to all registered targets (as ALB does).
    pub fail_open: bool,
    /// Active health checks; `None` (`health_check: none`): no checks, every
    /// registered target stays in service whatever its state (DNS round
    /// robin, an L4 balancer without checks). Never `None` with standby AZs
    /// or an ELB-checked group (validated).
    pub health_check: Option<HealthCheck>,
    /// How long in-flight requests may finish on a target taken out of service.
    pub deregistration_delay: SimTime,
    /// DNS TTL of the LB name: how long clients keep using a removed node.
    pub dns_ttl: SimTime,
    /// Load shedding: attempts a target may have in flight; one more is
    /// answered 503 at once (`load_shed`). `None`: no limit (ALB).
    pub max_outstanding: Option<u32>,
}

/// Distribution of a random duration: the work one request needs from an
/// instance, a query's time, a replication lag, a failover time.
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
    /// Where user sessions live.
    pub sessions: Sessions,
}

/// What the Auto Scaling Group trusts to declare an instance unhealthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsgHealthCheck {
    /// EC2 status checks only: the machine, not the application on it.
    Ec2,
    /// EC2 status checks and the load balancer's verdict on the target.
    Elb,
}

impl AsgHealthCheck {
    pub fn name(self) -> &'static str {
        match self {
            AsgHealthCheck::Ec2 => "ec2",
            AsgHealthCheck::Elb => "elb",
        }
    }
}

/// The metric a scaling policy follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalingMetric {
    /// Average worker utilization of the counted instances, 0..1.
    Cpu,
    /// Requests routed per healthy target per minute (ALBRequestCountPerTarget).
    RequestsPerTarget,
}

impl ScalingMetric {
    pub fn name(self) -> &'static str {
        match self {
            ScalingMetric::Cpu => "cpu",
            ScalingMetric::RequestsPerTarget => "requests_per_target",
        }
    }
}

/// A capacity change of a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Adjustment {
    /// Add (or, negative, remove) this many instances.
    Count(i64),
    /// Change the capacity by this fraction of the current one (negative
    /// removes); at least one instance either way.
    Percent(f64),
}

/// One step of a step-scaling alarm: applies when the metric is at least
/// `over` beyond the alarm threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    pub over: f64,
    pub change: Adjustment,
}

/// One side of a step-scaling policy: an alarm and its steps (ascending
/// `over`, the first at 0).
#[derive(Debug, Clone, PartialEq)]
pub struct StepAlarm {
    pub threshold: f64,
    pub steps: Vec<Step>,
}

/// How the group changes its desired capacity from a metric.
#[derive(Debug, Clone, PartialEq)]
pub enum ScalingPolicy {
    /// Keep the metric near `target`: desired = ceil(counted x metric /
    /// target), out after `out_periods` datapoints above, in after
    /// `in_periods` below 90% of the target.
    TargetTracking {
        metric: ScalingMetric,
        target: f64,
        disable_scale_in: bool,
        out_periods: u32,
        in_periods: u32,
    },
    /// CloudWatch alarms with step adjustments.
    Step {
        metric: ScalingMetric,
        scale_out: Option<StepAlarm>,
        scale_in: Option<StepAlarm>,
        /// Datapoints that must breach, out of as many periods.
        periods: u32,
        /// Wait after a step activity before the next (0: AWS step scaling,
        /// which relies on warm-up; more: like a simple scaling policy).
        cooldown: SimTime,
    },
}

/// A scheduled change of the group's sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledAction {
    pub at: SimTime,
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub desired: Option<u32>,
}

/// The Auto Scaling Group of the app tier (EC2 Auto Scaling semantics).
#[derive(Debug, Clone, PartialEq)]
pub struct AutoScaling {
    pub min: u32,
    pub max: u32,
    /// Initial desired capacity (static stability already applied).
    pub desired: u32,
    pub health_check: AsgHealthCheck,
    /// After a launch, health-check failures are ignored this long.
    pub grace_period: SimTime,
    /// From launch until the new instance's process accepts requests.
    pub boot_time: SimTime,
    /// After a launch, the instance's metrics are left out this long, and
    /// scale-in waits for it.
    pub warmup: SimTime,
    /// CloudWatch metric period of the scaling metrics.
    pub metric_period: SimTime,
    /// How often EC2 status checks look at each instance.
    pub status_check_interval: SimTime,
    /// Sizes were raised so that losing one AZ leaves the desired capacity.
    pub static_stability: bool,
    pub policy: Option<ScalingPolicy>,
    pub scheduled: Vec<ScheduledAction>,
}

/// Where the app keeps user sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sessions {
    /// Stateless signed tokens: nothing on the server to lose.
    Jwt,
    /// In the memory of the instance the LB pins the user to.
    Sticky,
    /// In a Redis-like session store shared by every instance.
    External,
}

impl Sessions {
    pub fn name(self) -> &'static str {
        match self {
            Sessions::Jwt => "jwt",
            Sessions::Sticky => "sticky",
            Sessions::External => "external",
        }
    }
}

/// How the database is deployed (RDS/Aurora deployment options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbMode {
    /// One instance, no standby: losing it is an outage until repair.
    Single,
    /// RDS Multi-AZ DB instance: one synchronous standby, not readable.
    MultiAz,
    /// RDS Multi-AZ DB cluster: two readable standbys, faster failover.
    MultiAzCluster,
    /// Aurora-like: shared storage volume, replicas are readers and
    /// failover targets.
    Aurora,
    /// Active-active: `writers` nodes, one per AZ, each taking reads and
    /// writes and replicating asynchronously to the others (DynamoDB global
    /// tables, a multi-primary cluster). No promotion: an app instance whose
    /// writer is gone moves to the next live one once it notices.
    MultiWriter,
}

impl DbMode {
    pub fn name(self) -> &'static str {
        match self {
            DbMode::Single => "single",
            DbMode::MultiAz => "multi_az",
            DbMode::MultiAzCluster => "multi_az_cluster",
            DbMode::Aurora => "aurora",
            DbMode::MultiWriter => "multi_writer",
        }
    }
}

/// When a write is acknowledged relative to its copy on the standby.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replication {
    /// After the standby has it (or, for Aurora, the shared storage quorum).
    Sync,
    /// Before: the standby receives it one replication lag later.
    Async,
}

impl Replication {
    pub fn name(self) -> &'static str {
        match self {
            Replication::Sync => "sync",
            Replication::Async => "async",
        }
    }
}

/// How the app reaches the primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// A DNS name: after a failover each app instance keeps the old address
    /// until its cached record expires, then reconnects.
    Dns,
    /// An RDS-Proxy-like proxy that keeps app connections and follows the
    /// new primary itself.
    Proxy,
}

impl Endpoint {
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Dns => "dns",
            Endpoint::Proxy => "proxy",
        }
    }
}

/// Where read-only requests go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    Primary,
    /// Readable nodes (read replicas, cluster standbys, Aurora replicas);
    /// falls back to the primary when none is up.
    Replicas,
}

/// The database tier. Node 0 starts as the primary in `primary_az`; the
/// other nodes follow in the next AZs, round the list, except the first
/// failover target when `standby_az` places it.
#[derive(Debug, Clone, PartialEq)]
pub struct Database {
    pub mode: DbMode,
    /// Always `Sync` for `single` and `aurora` (validated).
    pub replication: Replication,
    /// How far the standby trails the primary under async replication.
    pub replication_lag: ServiceTime,
    pub endpoint: Endpoint,
    /// How long app instances cache the endpoint's DNS record.
    pub dns_ttl: SimTime,
    /// Time to open new connections once the new address is known (DNS).
    pub reconnect_time: SimTime,
    /// Time for the proxy to route to the new primary after promotion.
    pub proxy_switch: SimTime,
    /// From the primary's failure until the service notices it.
    pub detection: SimTime,
    /// From detection until the standby serves as the new primary.
    pub promotion: SimTime,
    /// AZ index of the initial primary.
    pub primary_az: usize,
    /// AZ index of the first failover target when given
    /// (`database.standby_az`), e.g. in another region like an Aurora
    /// Global Database secondary; else the AZ after the primary's.
    pub standby_az: Option<usize>,
    /// `single`/`multi_az`: async read replicas (readers, not failover
    /// targets). `aurora`: Aurora replicas (readers and failover targets).
    /// `multi_az_cluster`: always 0 (its two standbys are the readers).
    pub read_replicas: u32,
    pub reads: Reads,
    /// Queries a node executes in parallel.
    pub workers: u32,
    /// Requests that may wait for a worker; one more fails `db_unavailable`.
    pub queue_capacity: u32,
    /// Time one query needs on a node.
    pub query_time: ServiceTime,
    /// Random failure process of every database node.
    pub failures: Option<RandomFailures>,
    /// Nodes that accept writes: `writers` for `multi_writer`, else 1.
    pub writers: u32,
    /// `multi_writer`: size of the hot key space writes pick from uniformly
    /// (decides how often two writers touch the same key). 0 otherwise.
    pub keys: u32,
}

impl Database {
    /// Nodes that can become primary besides node 0: the standby(s) or the
    /// Aurora replicas.
    pub fn standbys(&self) -> u32 {
        match self.mode {
            DbMode::Single => 0,
            DbMode::MultiAz => 1,
            DbMode::MultiAzCluster => 2,
            DbMode::Aurora => self.read_replicas,
            DbMode::MultiWriter => 0,
        }
    }

    /// Failover targets that serve no traffic while they wait: a Multi-AZ
    /// instance's standby is never readable; cluster standbys and Aurora
    /// replicas are idle only when reads stay on the primary. Read replicas
    /// (not failover targets) and writers are never counted.
    pub fn idle_standbys(&self) -> u32 {
        match self.mode {
            DbMode::MultiAz => 1,
            DbMode::MultiAzCluster | DbMode::Aurora if self.reads == Reads::Primary => {
                self.standbys()
            }
            _ => 0,
        }
    }

    /// Every node: primary, standbys, then read replicas that are not
    /// failover targets.
    pub fn node_count(&self) -> u32 {
        match self.mode {
            DbMode::Single | DbMode::MultiAz => 1 + self.standbys() + self.read_replicas,
            DbMode::MultiAzCluster | DbMode::Aurora => 1 + self.standbys(),
            DbMode::MultiWriter => self.writers,
        }
    }

    /// AZ index of node `node` among `azs` AZs: the primary's, then the
    /// next ones round the list.
    pub fn node_az(&self, node: usize, azs: usize) -> usize {
        match self.standby_az {
            Some(az) if node == 1 => az,
            _ => (self.primary_az + node) % azs,
        }
    }
}

/// A Redis-like store: a primary and an optional replica in the next AZ.
#[derive(Debug, Clone, PartialEq)]
pub struct KvStore {
    pub replica: bool,
    /// From the primary's failure until the replica serves (detection and
    /// promotion together).
    pub failover_time: ServiceTime,
    /// AZ index of the initial primary.
    pub primary_az: usize,
    pub failures: Option<RandomFailures>,
}

impl KvStore {
    /// The primary and, if configured, its replica.
    pub fn node_count(&self) -> usize {
        if self.replica { 2 } else { 1 }
    }

    /// AZ index of node `node`: the primary's, then the next AZ.
    pub fn node_az(&self, node: usize, azs: usize) -> usize {
        (self.primary_az + node) % azs
    }
}

/// A cache in front of the database's reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Cache {
    pub store: KvStore,
    /// Fraction of reads a warm cache answers.
    pub hit_ratio: f64,
    /// A cache that restarts empty regains its hit ratio linearly over this.
    pub warm_time: SimTime,
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
    /// Database queries per request (used when there is a database).
    pub queries: u32,
    /// Probability that a query is a write.
    pub write_fraction: f64,
    /// Distinct users; each request belongs to one drawn uniformly (used by
    /// sticky and external sessions).
    pub users: u32,
    /// How the arrival rate varies over time around `rate`.
    pub pattern: RatePattern,
    /// How the wait before a retry grows (`retry_backoff` is its base).
    pub backoff: Backoff,
    /// Randomisation of each wait.
    pub jitter: Jitter,
    /// Caps retries relative to first attempts; `None`: no cap.
    pub retry_budget: Option<RetryBudget>,
    /// Stops attempts while most fail; `None`: no breaker.
    pub circuit_breaker: Option<CircuitBreaker>,
}

impl Workload {
    /// The arrival rate at `t`, requests per second.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        self.pattern.rate_at(self.rate, t)
    }

    /// The highest rate the pattern reaches.
    pub fn peak_rate(&self) -> f64 {
        self.pattern.peak(self.rate)
    }

    /// The wait before retry `n` (1 for the first retry) before jitter,
    /// which only shortens it: also the longest wait.
    pub fn backoff_wait(&self, n: u32) -> SimTime {
        let base = self.retry_backoff;
        match self.backoff {
            Backoff::Constant => base,
            Backoff::Exponential { cap } => {
                let doublings = n.saturating_sub(1).min(63);
                base.saturating_mul(1 << doublings).min(cap)
            }
        }
    }
}

/// How the wait before a retry grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backoff {
    /// `retry_backoff` before every retry.
    Constant,
    /// `retry_backoff` x 2^(n-1) before retry n, at most `cap`.
    Exponential { cap: SimTime },
}

impl Backoff {
    pub fn name(self) -> &'static str {
        match self {
            Backoff::Constant => "constant",
            Backoff::Exponential { .. } => "exponential",
        }
    }
}

/// Randomisation of a retry's wait w ("Exponential Backoff And Jitter",
/// AWS Architecture Blog, 2015).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// Exactly w.
    None,
    /// Uniform in [0, w].
    Full,
    /// w/2 plus uniform in [0, w/2].
    Equal,
}

/// A Finagle/Linkerd-style retry budget: over the last `ttl`, retries may
/// not exceed `ratio` x first attempts + `min_per_second` x ttl.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryBudget {
    pub ratio: f64,
    /// Retries per second always allowed, however few first attempts.
    pub min_per_second: f64,
    /// A multiple of 100 ms.
    pub ttl: SimTime,
}

/// A circuit breaker shared by the whole client population, as an upstream
/// service's breaker in front of this one would be. Closed, it counts the
/// outcomes of attempts over a sliding `window`; with at least `min_calls`
/// of them and a failure ratio of at least `failure_ratio` it opens. Open,
/// it fails every attempt at once (`circuit_open`, not retried) for
/// `open_for`; then, half-open, it lets `probes` attempts through: all
/// succeed, it closes; one fails, it opens again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CircuitBreaker {
    /// Above 0, at most 1.
    pub failure_ratio: f64,
    /// A multiple of 100 ms.
    pub window: SimTime,
    /// At least 1.
    pub min_calls: u32,
    pub open_for: SimTime,
    /// At least 1.
    pub probes: u32,
}

/// How the arrival rate varies around the base rate (`workload.rate`).
/// Every rate is requests per second, checked non-negative and finite.
#[derive(Debug, Clone, PartialEq)]
pub enum RatePattern {
    /// The base rate all along.
    Constant,
    /// The base rate until `start`, then linearly to `to` at
    /// `start + duration`, then `to`.
    Ramp {
        start: SimTime,
        /// Greater than 0.
        duration: SimTime,
        to: f64,
    },
    /// `to` during [at, at + duration), the base rate before and after.
    Spike {
        at: SimTime,
        /// Greater than 0.
        duration: SimTime,
        to: f64,
    },
    /// base x (1 + amplitude x cos(2 pi (t - peak_at) / period)).
    Diurnal {
        /// In [0, 1], so the rate never goes negative.
        amplitude: f64,
        /// Greater than 0.
        period: SimTime,
        peak_at: SimTime,
    },
    /// Piecewise constant: each step's rate from its `at` until the next
    /// step's; the base rate before the first. Non-empty, `at` strictly
    /// increasing.
    Schedule(Vec<RateStep>),
}

/// One step of a rate schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateStep {
    pub at: SimTime,
    pub rate: f64,
}

impl RatePattern {
    /// The rate at `t` for base rate `base`.
    pub fn rate_at(&self, base: f64, t: SimTime) -> f64 {
        match self {
            RatePattern::Constant => base,
            &RatePattern::Ramp {
                start,
                duration,
                to,
            } => {
                if t <= start {
                    base
                } else if t - start >= duration {
                    to
                } else {
                    let x = (t - start) as f64 / duration as f64;
                    base + (to - base) * x
                }
            }
            &RatePattern::Spike { at, duration, to } => {
                if t >= at && t - at < duration {
                    to
                } else {
                    base
                }
            }
            &RatePattern::Diurnal {
                amplitude,
                period,
                peak_at,
            } => {
                let phase = diurnal_phase(t, peak_at, period);
                (base * (1.0 + amplitude * phase.cos())).max(0.0)
            }
            RatePattern::Schedule(steps) => {
                // Steps are sorted by `at`: the last one at or before t.
                let n = steps.partition_point(|s| s.at <= t);
                if n == 0 { base } else { steps[n - 1].rate }
            }
        }
    }

    /// The highest rate reached for base rate `base`.
    pub fn peak(&self, base: f64) -> f64 {
        match self {
            RatePattern::Constant => base,
            RatePattern::Ramp { to, .. } | RatePattern::Spike { to, .. } => base.max(*to),
            RatePattern::Diurnal { amplitude, .. } => base * (1.0 + amplitude),
            RatePattern::Schedule(steps) => steps.iter().map(|s| s.rate).fold(base, f64::max),
        }
    }
}

/// 2 pi (t - peak_at) / period, reduced modulo the period in integers first
/// so the angle stays small and exact for any t.
pub(crate) fn diurnal_phase(t: SimTime, peak_at: SimTime, period: SimTime) -> f64 {
    let p = u128::from(period);
    let offset = (u128::from(t) + p - u128::from(peak_at) % p) % p;
    std::f64::consts::TAU * offset as f64 / period as f64
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
    /// Every AZ of the region (an index into `Scenario::regions`) loses
    /// power, as `AzOutage` for each.
    RegionOutage { region: usize },
    /// Responses (and health checks) from the target take `extra` longer.
    Latency {
        target: LatencyTarget,
        extra: SimTime,
    },
    /// The node that is the database primary when the fault starts fails.
    DbPrimaryFailure,
    /// The first standby (failover target) fails.
    DbStandbyFailure,
    /// The cache's primary node fails.
    CacheFailure,
    /// The session store's primary node fails.
    SessionStoreFailure,
}

impl FaultKind {
    /// The name used in YAML and reports.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::InstanceCrash { .. } => "instance_crash",
            FaultKind::InstanceHang { .. } => "instance_hang",
            FaultKind::AzOutage { .. } => "az_outage",
            FaultKind::RegionOutage { .. } => "region_outage",
            FaultKind::Latency { .. } => "latency",
            FaultKind::DbPrimaryFailure => "db_primary_failure",
            FaultKind::DbStandbyFailure => "db_standby_failure",
            FaultKind::CacheFailure => "cache_failure",
            FaultKind::SessionStoreFailure => "session_store_failure",
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
