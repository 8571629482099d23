//! Raw file -> typed [`Scenario`]: units resolved, defaults applied, every
//! value and cross-reference checked. Each problem is an [`Issue`] at the key
//! path of the offending value, so it can be shown at its line in the file.

use crate::engine::{NANOS_PER_MILLI, SimTime};

use super::config::*;
use super::defaults as d;
use super::error::{Anchor, Issue};
use super::keypath::{KeyPath, Seg};
use super::raw::*;
use super::suggest;
use super::units::{self, format_duration as fd};

pub(super) type Res<T> = Result<T, Issue>;

/// z of the 99th percentile of a standard normal, to the precision the
/// documented limit uses. For a log-normal, p99/mean = exp(z*s - s^2/2),
/// whose largest value over all s is exp(z^2/2) (at s = z): above that no
/// log-normal has the requested mean and p99.
const Z99: f64 = 2.326;

/// Builds the typed scenario from the raw file; `default_name` is used when
/// the file has no `name`.
/// Worker slots (instances x workers) a scenario may have in all.
const MAX_WORKER_SLOTS: u64 = 10_000_000;
/// Faults in a scenario: each steps a node's 16-bit fault counters at most
/// once, so no number of overlapping ones can overflow them.
const MAX_FAULTS: usize = 10_000;

/// Longest recovery window: it is kept as a ring of 100 ms slots.
const MAX_WINDOW: SimTime = 3600 * 1000 * NANOS_PER_MILLI;

pub(crate) fn resolve(raw: &RawScenario, default_name: &str) -> Res<Scenario> {
    let root = KeyPath::root();
    let name = resolve_name(raw.name.as_ref(), default_name, &root.key("name"))?;
    let (description, description_ko) =
        localized(raw.description.as_ref(), &root.key("description"))?;
    let (lesson, lesson_ko) = localized(raw.lesson.as_ref(), &root.key("lesson"))?;
    let seed = whole(&raw.seed, &root.key("seed"), d::SEED, 0, u64::MAX)?;
    let duration = positive_duration(&raw.duration, &root.key("duration"), d::DURATION)?;
    let warmup_path = root.key("warmup");
    let warmup = duration_or(&raw.warmup, &warmup_path, d::WARMUP)?;
    if warmup >= duration {
        return Err(Issue::at(
            &warmup_path,
            format!(
                "must be shorter than duration ({}), got {}",
                fd(duration),
                fd(warmup)
            ),
        ));
    }
    let azs = resolve_azs(raw.azs.as_deref(), &root.key("azs"))?;

    let default_network = RawNetwork::default();
    let network = raw.network.as_ref().unwrap_or(&default_network);
    let network = Network {
        latency: duration_or(
            &network.latency,
            &root.key("network").key("latency"),
            d::NETWORK_LATENCY,
        )?,
    };

    let load_balancer = resolve_lb(raw.load_balancer.as_ref(), &azs, &root.key("load_balancer"))?;
    let (app, per_az_fleet) = resolve_app(raw.app.as_ref(), &azs, &root.key("app"))?;
    let mut regions = resolve_regions(raw.regions.as_ref(), &azs, &root.key("regions"))?;
    resolve_region_latency(
        raw.region_latency.as_ref(),
        &mut regions,
        &root.key("region_latency"),
    )?;
    let dns = raw
        .dns
        .as_ref()
        .map(|d| resolve_dns(d, &regions, &root.key("dns")))
        .transpose()?;
    let workload = resolve_workload(raw.workload.as_ref(), &root.key("workload"))?;
    let metrics = resolve_metrics(raw.metrics.as_ref(), &root.key("metrics"))?;
    let monitoring = super::monitoring::resolve_monitoring(
        raw.monitoring.as_ref(),
        &azs,
        metrics.bucket,
        duration,
        &root.key("monitoring"),
    )?;
    let database = raw
        .database
        .as_ref()
        .map(|db| resolve_database(db, &azs, &root.key("database")))
        .transpose()?;
    if let Some(db) = &database {
        check_writes_in_transit(db, &workload, &root.key("database").key("replication_lag"))?;
    }
    let cache_path = root.key("cache");
    let cache = match &raw.cache {
        None => None,
        Some(_) if database.is_none() => {
            return Err(at_key(
                &cache_path,
                "a cache sits in front of the database: add a `database:` block",
            ));
        }
        Some(c) => Some(resolve_cache(c, &azs, &cache_path)?),
    };
    let session_store = resolve_session_store(
        raw.session_store.as_ref(),
        app.sessions,
        &azs,
        &root.key("session_store"),
    )?;

    let autoscaling = raw
        .autoscaling
        .as_ref()
        .map(|a| {
            resolve_autoscaling(
                a,
                &app,
                raw.app
                    .as_ref()
                    .is_some_and(|r| r.instances_per_az.is_some()),
                azs.len(),
                duration,
                &root.key("autoscaling"),
            )
        })
        .transpose()?;
    if let Some(a) = &autoscaling {
        check_lb_and_group(&load_balancer, a, &root)?;
    }
    if raw.autoscaling.is_some() {
        let why = if !regions.is_empty() {
            Some(
                "an Auto Scaling group lives in one region; with `regions:` give each AZ its fleet in `app.instances_per_az` instead",
            )
        } else if per_az_fleet.is_some() {
            Some(
                "the group spreads its capacity evenly over the AZs: give `app.instances_per_az` as one count, or leave it out",
            )
        } else {
            None
        };
        if let Some(why) = why {
            return Err(at_key(&root.key("autoscaling"), why));
        }
    }
    let fleet = match (&autoscaling, per_az_fleet) {
        (None, Some(fleet)) => fleet,
        (None, None) => vec![app.instances_per_az; azs.len()],
        (Some(a), _) => spread(a.desired, azs.len()),
    };

    let mut scenario = Scenario {
        name,
        description,
        lesson,
        korean: Texts {
            description: description_ko,
            lesson: lesson_ko,
        },
        seed,
        duration,
        warmup,
        azs,
        network,
        load_balancer,
        app,
        workload,
        faults: Vec::new(),
        metrics,
        database,
        cache,
        session_store,
        autoscaling,
        fleet,
        monitoring,
        regions,
        dns,
    };
    // Every worker slot is allocated up front: keep the fleet within what
    // one machine can hold, and say so instead of aborting on allocation.
    let most = scenario.max_instances() as u64;
    let slots = most * u64::from(scenario.app.workers);
    if slots > MAX_WORKER_SLOTS {
        return Err(Issue::at(
            &root.key("app").key("workers"),
            format!(
                "{most} instances x {} workers = {slots} worker slots; at most {MAX_WORKER_SLOTS} are supported",
                scenario.app.workers
            ),
        ));
    }
    // Faults refer to AZs, instances and the data tier, so they come last.
    let faults_path = root.key("faults");
    let n_faults = raw.faults.as_ref().map_or(0, Vec::len);
    if n_faults > MAX_FAULTS {
        // The engine counts the faults holding a node down in 16 bits.
        return Err(Issue::at(
            &faults_path.index(MAX_FAULTS),
            format!("at most {MAX_FAULTS} faults are supported, got {n_faults}"),
        ));
    }
    for (i, raw_fault) in raw.faults.iter().flatten().enumerate() {
        let fault = resolve_fault(raw_fault, &scenario, &faults_path.index(i))?;
        scenario.faults.push(fault);
    }
    Ok(scenario)
}

fn resolve_name(value: Option<&Scalar>, default_name: &str, path: &KeyPath) -> Res<String> {
    let (name, from_file_name) = match value {
        Some(v) => (text(v, path)?, false),
        None => (default_name.to_string(), true),
    };
    // Not hidden either: a run's hidden folders beside it start with `.`.
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        return Ok(name);
    }
    // The name becomes an output folder: no separators, no `..`, no spaces.
    let rule = "a scenario name becomes a folder name: use only letters, digits, `.`, `_` and `-`, not starting with `.`";
    Err(Issue::at(
        path,
        if from_file_name {
            format!("the file name gives the name {name:?}, but {rule}; add a `name:` key")
        } else {
            format!("{rule}, got {name:?}")
        },
    ))
}

fn resolve_azs(value: Option<&[Scalar]>, path: &KeyPath) -> Res<Vec<String>> {
    let Some(items) = value else {
        return Ok(d::AZS.iter().map(|s| s.to_string()).collect());
    };
    if items.is_empty() {
        return Err(Issue::at(path, "needs at least one AZ, e.g. [a, b, c]"));
    }
    let mut azs: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = path.index(i);
        let name = text(item, &p)?;
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Issue::at(
                &p,
                format!(
                    "an AZ name must be non-empty without spaces or control characters, got {name:?}"
                ),
            ));
        }
        if azs.contains(&name) {
            return Err(Issue::at(&p, format!("AZ `{name}` is listed twice")));
        }
        azs.push(name);
    }
    Ok(azs)
}

fn resolve_lb(raw: Option<&RawLoadBalancer>, azs: &[String], path: &KeyPath) -> Res<LoadBalancer> {
    let default = RawLoadBalancer::default();
    let raw = raw.unwrap_or(&default);
    let algorithm = choice(
        &raw.algorithm,
        &path.key("algorithm"),
        &[
            ("round_robin", Algorithm::RoundRobin),
            ("random", Algorithm::Random),
            ("least_outstanding", Algorithm::LeastOutstanding),
        ],
        d::ALGORITHM,
    )?;
    let cross_zone = boolean(&raw.cross_zone, &path.key("cross_zone"), d::CROSS_ZONE)?;
    let standby_azs = resolve_standby_azs(
        raw.standby_azs.as_deref(),
        azs,
        cross_zone,
        &path.key("standby_azs"),
    )?;
    let fail_open = boolean(&raw.fail_open, &path.key("fail_open"), d::FAIL_OPEN)?;
    let hc_path = path.key("health_check");
    let health_check = match &raw.health_check {
        Some(ScalarOr::Scalar(Scalar::Str(s))) if s.trim() == "none" => None,
        Some(ScalarOr::Scalar(v)) => {
            return Err(Issue::at(
                &hc_path,
                format!("expected {}, got {v}", RawHealthCheck::EXPECTING),
            ));
        }
        Some(ScalarOr::Block(b)) => Some(resolve_health_check(Some(b), &hc_path)?),
        None => Some(resolve_health_check(None, &hc_path)?),
    };
    if health_check.is_none() && !standby_azs.is_empty() {
        return Err(Issue::at(
            &hc_path,
            "`none` cannot go with `load_balancer.standby_azs`: without health checks no \
             target is ever found unhealthy, so nothing would ever fail over to the standby",
        ));
    }
    let standby_mode = resolve_standby_mode(raw, !standby_azs.is_empty(), path)?;
    let deregistration_delay = duration_or(
        &raw.deregistration_delay,
        &path.key("deregistration_delay"),
        d::DEREGISTRATION_DELAY,
    )?;
    let dns_ttl = duration_or(&raw.dns_ttl, &path.key("dns_ttl"), d::DNS_TTL)?;
    let max_outstanding = match &raw.max_outstanding {
        None => None,
        Some(Scalar::Str(s)) if s.trim() == "none" => None,
        v => Some(count(v, &path.key("max_outstanding"), 0, 1, u32::MAX)?),
    };
    Ok(LoadBalancer {
        algorithm,
        cross_zone,
        standby_azs,
        standby_mode,
        fail_open,
        health_check,
        deregistration_delay,
        dns_ttl,
        max_outstanding,
    })
}

/// The group reads the load balancer's checks with `health_check: elb`,
/// and a cold standby's stopped instances are not the group's to manage.
fn check_lb_and_group(lb: &LoadBalancer, a: &AutoScaling, root: &KeyPath) -> Res<()> {
    if lb.health_check.is_none() && a.health_check == AsgHealthCheck::Elb {
        return Err(Issue::at(
            &root.key("autoscaling").key("health_check"),
            "`elb` needs the load balancer's health checks, but `load_balancer.health_check` \
             is `none`: there is no verdict to read; use `ec2` or give the load balancer checks",
        ));
    }
    if matches!(lb.standby_mode, StandbyMode::Cold { .. }) {
        return Err(Issue::at(
            &root.key("load_balancer").key("standby_mode"),
            "a cold standby with an Auto Scaling Group is not modelled (the group would \
             replace its stopped instances): use `warm`, or remove the `autoscaling` block",
        ));
    }
    Ok(())
}

/// `load_balancer.standby_mode` and `standby_start_delay`: only with
/// standby AZs, and the delay only for a cold standby.
fn resolve_standby_mode(
    raw: &RawLoadBalancer,
    has_standby: bool,
    path: &KeyPath,
) -> Res<StandbyMode> {
    let mode_path = path.key("standby_mode");
    let delay_path = path.key("standby_start_delay");
    if !has_standby {
        if raw.standby_mode.is_some() {
            return Err(Issue::at(
                &mode_path,
                "applies only with standby AZs: add `load_balancer.standby_azs`, e.g. [b]",
            ));
        }
        if raw.standby_start_delay.is_some() {
            return Err(Issue::at(
                &delay_path,
                "applies only to a cold standby: add `load_balancer.standby_azs` and \
                 `standby_mode: cold`",
            ));
        }
        return Ok(StandbyMode::Warm);
    }
    let cold = choice(
        &raw.standby_mode,
        &mode_path,
        &[("warm", false), ("cold", true)],
        false,
    )?;
    if !cold {
        if raw.standby_start_delay.is_some() {
            return Err(Issue::at(
                &delay_path,
                "applies only to a cold standby (`standby_mode: cold`): a warm standby is \
                 already running",
            ));
        }
        return Ok(StandbyMode::Warm);
    }
    Ok(StandbyMode::Cold {
        start_delay: duration_or(
            &raw.standby_start_delay,
            &delay_path,
            d::STANDBY_START_DELAY,
        )?,
    })
}

/// `load_balancer.standby_azs`: AZ names -> ascending AZ indices.
fn resolve_standby_azs(
    value: Option<&[Scalar]>,
    azs: &[String],
    cross_zone: bool,
    path: &KeyPath,
) -> Res<Vec<usize>> {
    let items = value.unwrap_or_default();
    let mut out: Vec<usize> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = path.index(i);
        let az = find_az(item, azs, &p)?;
        if out.contains(&az) {
            return Err(Issue::at(&p, format!("AZ `{}` is listed twice", azs[az])));
        }
        out.push(az);
    }
    if out.is_empty() {
        return Ok(out);
    }
    if out.len() == azs.len() {
        return Err(Issue::at(
            path,
            format!(
                "lists every AZ ({}): at least one must stay active to take the traffic",
                suggest::list(azs)
            ),
        ));
    }
    if !cross_zone {
        // Each node then sees only its own AZ's targets: the standby AZ's
        // node would only ever route to the standby, the others never.
        return Err(Issue::at(
            path,
            "a standby AZ needs `load_balancer.cross_zone: true`: without cross-zone \
             routing the standby AZ's own load balancer node would only ever see its \
             standby targets",
        ));
    }
    out.sort_unstable();
    Ok(out)
}

fn resolve_health_check(raw: Option<&RawHealthCheck>, path: &KeyPath) -> Res<HealthCheck> {
    let default = RawHealthCheck::default();
    let raw = raw.unwrap_or(&default);
    let interval_path = path.key("interval");
    let timeout_path = path.key("timeout");
    let interval = positive_duration(&raw.interval, &interval_path, d::HEALTH_CHECK_INTERVAL)?;
    let timeout = positive_duration(&raw.timeout, &timeout_path, d::HEALTH_CHECK_TIMEOUT)?;
    if timeout >= interval {
        // Blame the value the user wrote: with a default timeout, the interval.
        return Err(if raw.timeout.is_some() {
            Issue::at(
                &timeout_path,
                format!(
                    "must be shorter than interval ({}), got {}",
                    fd(interval),
                    fd(timeout)
                ),
            )
        } else {
            Issue::at(
                &interval_path,
                format!(
                    "must be longer than timeout ({}, the default), got {}; set a shorter timeout",
                    fd(timeout),
                    fd(interval)
                ),
            )
        });
    }
    let threshold =
        |v: &Option<Scalar>, key: &str, default: u32| count(v, &path.key(key), default, 1, 10);
    Ok(HealthCheck {
        interval,
        timeout,
        healthy_threshold: threshold(
            &raw.healthy_threshold,
            "healthy_threshold",
            d::HEALTHY_THRESHOLD,
        )?,
        unhealthy_threshold: threshold(
            &raw.unhealthy_threshold,
            "unhealthy_threshold",
            d::UNHEALTHY_THRESHOLD,
        )?,
    })
}

/// The app tier, and the fleet per AZ when `instances_per_az` is a mapping.
fn resolve_app(
    raw: Option<&RawApp>,
    azs: &[String],
    path: &KeyPath,
) -> Res<(App, Option<Vec<u32>>)> {
    let default = RawApp::default();
    let raw = raw.unwrap_or(&default);
    let u32_field = |v: &Option<Scalar>, key: &str, default: u32, min: u32, max: u32| {
        count(v, &path.key(key), default, min, max)
    };
    let per_az_path = path.key("instances_per_az");
    let (instances_per_az, per_az_fleet) = match &raw.instances_per_az {
        None => (d::INSTANCES_PER_AZ, None),
        Some(ScalarOr::Scalar(v)) => (count(&Some(v.clone()), &per_az_path, 0, 0, 100_000)?, None),
        Some(ScalarOr::Block(map)) => {
            // A warm standby region runs fewer instances: a count per AZ.
            let mut fleet: Vec<Option<u32>> = vec![None; azs.len()];
            for (name, v) in &map.0 {
                let name = text(name, &per_az_path)?;
                let p = per_az_path.key(&name);
                let az = az_index(&name, azs).ok_or_else(|| at_key(&p, unknown_az(&name, azs)))?;
                fleet[az] = Some(count(&Some(v.clone()), &p, 0, 0, 100_000)?);
            }
            let fleet = fleet
                .iter()
                .enumerate()
                .map(|(az, n)| {
                    n.ok_or_else(|| {
                        at_key(
                            &per_az_path,
                            format!(
                                "gives no count for AZ `{}`: a mapping names every AZ",
                                azs[az]
                            ),
                        )
                    })
                })
                .collect::<Res<Vec<u32>>>()?;
            (fleet.iter().copied().max().unwrap_or(0), Some(fleet))
        }
    };
    let workers = u32_field(&raw.workers, "workers", d::WORKERS, 1, 100_000)?;
    let queue_capacity = u32_field(
        &raw.queue_capacity,
        "queue_capacity",
        d::QUEUE_CAPACITY,
        0,
        u32::MAX,
    )?;
    let service_time = resolve_service_time(
        raw.service_time.as_ref(),
        &path.key("service_time"),
        ServiceTime::LogNormal {
            mean: d::SERVICE_TIME_MEAN,
            p99: d::SERVICE_TIME_P99,
        },
    )?;
    let boot_time = duration_or(&raw.boot_time, &path.key("boot_time"), d::BOOT_TIME)?;
    let app = App {
        instances_per_az,
        workers,
        queue_capacity,
        service_time,
        boot_time,
        failures: random_failures(&raw.mtbf, &raw.mttr, path)?,
        sessions: choice(
            &raw.sessions,
            &path.key("sessions"),
            &[
                ("jwt", Sessions::Jwt),
                ("sticky", Sessions::Sticky),
                ("external", Sessions::External),
            ],
            d::SESSIONS,
        )?,
    };
    Ok((app, per_az_fleet))
}

/// `regions:` region name -> its AZs, partitioning `azs`.
fn resolve_regions(
    raw: Option<&Named<Vec<Scalar>>>,
    azs: &[String],
    path: &KeyPath,
) -> Res<Vec<Region>> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    if raw.0.is_empty() {
        return Err(Issue::at(
            path,
            "needs at least one region, e.g. `{us-east-1: [a, b], us-west-2: [c, d]}`",
        ));
    }
    let mut owner: Vec<Option<usize>> = vec![None; azs.len()];
    let mut regions: Vec<Region> = Vec::with_capacity(raw.0.len());
    for (r, (name, list)) in raw.0.iter().enumerate() {
        let name = text(name, path)?;
        let p = path.key(&name);
        if name.is_empty()
            || name
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '.')
        {
            return Err(at_key(
                &p,
                format!(
                    "a region name must be non-empty without spaces, dots or control characters, got {name:?}"
                ),
            ));
        }
        if list.is_empty() {
            return Err(Issue::at(
                &p,
                format!("region `{name}` needs at least one AZ"),
            ));
        }
        let mut region_azs = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            let ip = p.index(i);
            let az = find_az(item, azs, &ip)?;
            if let Some(other) = owner[az] {
                let where_ = if other == r {
                    "twice in this region".to_string()
                } else {
                    format!("in region `{}` already", regions[other].name)
                };
                return Err(Issue::at(
                    &ip,
                    format!(
                        "AZ `{}` is listed {where_}: every AZ belongs to exactly one region",
                        azs[az]
                    ),
                ));
            }
            owner[az] = Some(r);
            region_azs.push(az);
        }
        region_azs.sort_unstable();
        regions.push(Region {
            name,
            azs: region_azs,
            client_latency: 0,
        });
    }
    if let Some(az) = owner.iter().position(Option::is_none) {
        return Err(at_key(
            path,
            format!(
                "AZ `{}` is in no region: every AZ of `azs` belongs to exactly one region",
                azs[az]
            ),
        ));
    }
    Ok(regions)
}

/// `region_latency:` region name -> extra one-way client latency.
fn resolve_region_latency(
    raw: Option<&Named<Scalar>>,
    regions: &mut [Region],
    path: &KeyPath,
) -> Res<()> {
    let Some(raw) = raw else {
        return Ok(());
    };
    if regions.is_empty() {
        return Err(at_key(
            path,
            "`region_latency` adds latency per region: add a `regions:` block",
        ));
    }
    for (name, v) in &raw.0 {
        let name = text(name, path)?;
        let p = path.key(&name);
        let names: Vec<&str> = regions.iter().map(|r| r.name.as_str()).collect();
        let Some(r) = names.iter().position(|n| *n == name) else {
            return Err(at_key(
                &p,
                format!(
                    "unknown region `{name}`, expected one of {}{}",
                    suggest::list(&names),
                    suggest::hint(&name, &names)
                ),
            ));
        };
        regions[r].client_latency = duration_or(&Some(v.clone()), &p, 0)?;
    }
    Ok(())
}

/// `dns:` Route 53 failover routing between two regions.
fn resolve_dns(raw: &RawDns, regions: &[Region], path: &KeyPath) -> Res<Dns> {
    if regions.len() < 2 {
        let why = if regions.is_empty() {
            "DNS failover routes between regions: add a `regions:` block with at least two regions"
        } else {
            "DNS failover needs a second region to fail over to: add one under `regions:`"
        };
        return Err(at_key(path, why));
    }
    choice(&raw.routing, &path.key("routing"), &[("failover", ())], ()).map_err(|mut e| {
        e.message.push_str(
            " (only Route 53 failover routing is modelled; latency and weighted routing are not)",
        );
        e
    })?;
    let names: Vec<String> = regions.iter().map(|r| r.name.clone()).collect();
    let find = |v: &Scalar, p: &KeyPath| -> Res<usize> {
        let name = text(v, p)?;
        let all: Vec<&str> = names.iter().map(String::as_str).collect();
        names.iter().position(|n| *n == name).ok_or_else(|| {
            Issue::at(
                p,
                format!(
                    "unknown region `{name}`, expected one of {}{}",
                    suggest::list(&all),
                    suggest::hint(&name, &all)
                ),
            )
        })
    };
    let primary_path = path.key("primary");
    let primary = match &raw.primary {
        Some(v) => find(v, &primary_path)?,
        None => {
            return Err(at_key(
                &primary_path,
                format!(
                    "DNS failover needs `primary`, the region that serves while healthy, one of {}",
                    suggest::list(&names)
                ),
            ));
        }
    };
    let secondary_path = path.key("secondary");
    let secondary = match &raw.secondary {
        Some(v) => find(v, &secondary_path)?,
        // With two regions the secondary is the other one.
        None if regions.len() == 2 => 1 - primary,
        None => {
            return Err(at_key(
                &secondary_path,
                format!(
                    "with {} regions, name the `secondary` region DNS fails over to",
                    regions.len()
                ),
            ));
        }
    };
    if secondary == primary {
        return Err(Issue::at(
            &secondary_path,
            format!("must differ from primary (`{}`)", names[primary]),
        ));
    }
    let default = RawDnsHealthCheck::default();
    let hc = raw.health_check.as_ref().unwrap_or(&default);
    let hc_path = path.key("health_check");
    let interval_path = hc_path.key("interval");
    let interval = positive_duration(&hc.interval, &interval_path, d::ROUTE53_INTERVAL)?;
    if interval != 10 * d::SEC && interval != 30 * d::SEC {
        // Route 53's RequestInterval is 10 (fast) or 30 seconds, nothing else.
        return Err(Issue::at(
            &interval_path,
            format!(
                "Route 53 health checks probe every 10s (fast) or 30s, got {}",
                fd(interval)
            ),
        ));
    }
    Ok(Dns {
        primary,
        secondary,
        ttl: duration_or(&raw.ttl, &path.key("ttl"), d::ROUTE53_TTL)?,
        interval,
        failure_threshold: count(
            &hc.failure_threshold,
            &hc_path.key("failure_threshold"),
            d::ROUTE53_FAILURE_THRESHOLD,
            1,
            10,
        )?,
    })
}

/// The random failure process of a tier's nodes: `mtbf` and `mttr` under
/// `path`, both or neither.
fn random_failures(
    mtbf: &Option<Scalar>,
    mttr: &Option<Scalar>,
    path: &KeyPath,
) -> Res<Option<RandomFailures>> {
    match (mtbf, mttr) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Ok(Some(RandomFailures {
            mtbf: positive_duration(mtbf, &path.key("mtbf"), 0)?,
            mttr: positive_duration(mttr, &path.key("mttr"), 0)?,
        })),
        (Some(_), None) => Err(Issue::at(
            &path.key("mtbf"),
            "random failures need both `mtbf` and `mttr`: add `mttr` (mean time to repair), e.g. `mttr: 10m`",
        )),
        (None, Some(_)) => Err(Issue::at(
            &path.key("mttr"),
            "random failures need both `mtbf` and `mttr`: add `mtbf` (mean time between failures), e.g. `mtbf: 30d`",
        )),
    }
}

#[derive(Clone, Copy)]
enum Dist {
    LogNormal,
    Exponential,
    Constant,
}

/// A distribution block (`service_time`, `query_time`, `replication_lag`,
/// `failover_time`): `dist` and the parameters it takes.
fn resolve_service_time(
    raw: Option<&RawServiceTime>,
    path: &KeyPath,
    default: ServiceTime,
) -> Res<ServiceTime> {
    let Some(raw) = raw else { return Ok(default) };
    // Messages name the block: "a constant query time needs `value`".
    let noun = match path.0.last() {
        Some(Seg::Key(k)) => k.replace('_', " "),
        _ => "service time".to_string(),
    };
    let dist = choice(
        &raw.dist,
        &path.key("dist"),
        &[
            ("lognormal", Dist::LogNormal),
            ("exponential", Dist::Exponential),
            ("constant", Dist::Constant),
        ],
        Dist::LogNormal,
    )?;
    let fields = [
        ("mean", &raw.mean),
        ("p99", &raw.p99),
        ("value", &raw.value),
    ];
    let (what, takes): (&str, &[&str]) = match dist {
        Dist::LogNormal => ("lognormal", &["mean", "p99"]),
        Dist::Exponential => ("exponential", &["mean"]),
        Dist::Constant => ("constant", &["value"]),
    };
    let dist_note = if raw.dist.is_none() {
        " (`dist` defaults to lognormal)"
    } else {
        ""
    };
    for (key, value) in fields {
        let wanted = takes.contains(&key);
        if value.is_some() && !wanted {
            return Err(Issue {
                path: path.key(key),
                anchor: Anchor::Key,
                message: format!(
                    "`{key}` does not apply to a {what} {noun}{dist_note}, which takes {}",
                    suggest::list(takes)
                ),
            });
        }
        if value.is_none() && wanted {
            return Err(Issue::at(
                &path.key(key),
                format!("a {what} {noun} needs {}{dist_note}", suggest::list(takes)),
            ));
        }
    }
    let req = |v: &Option<Scalar>, key: &str| positive_duration(v, &path.key(key), 0);
    Ok(match dist {
        Dist::Constant => ServiceTime::Constant {
            value: duration_or(&raw.value, &path.key("value"), 0)?,
        },
        Dist::Exponential => ServiceTime::Exponential {
            mean: req(&raw.mean, "mean")?,
        },
        Dist::LogNormal => {
            let mean = req(&raw.mean, "mean")?;
            let p99 = req(&raw.p99, "p99")?;
            check_lognormal(mean, p99, &path.key("p99"))?;
            ServiceTime::LogNormal { mean, p99 }
        }
    })
}

fn check_lognormal(mean: SimTime, p99: SimTime, p99_path: &KeyPath) -> Res<()> {
    if p99 <= mean {
        return Err(Issue::at(
            p99_path,
            format!(
                "a lognormal's p99 must be greater than its mean ({}), got {}",
                fd(mean),
                fd(p99)
            ),
        ));
    }
    let limit = (Z99 * Z99 / 2.0).exp();
    let ratio = p99 as f64 / mean as f64;
    if ratio >= limit {
        return Err(Issue::at(
            p99_path,
            format!(
                "no lognormal distribution has mean {} and p99 {}: p99/mean is {ratio:.1}, \
                 but it must be below {limit:.2} (= exp(2.326^2/2)); lower p99 or raise mean",
                fd(mean),
                fd(p99)
            ),
        ));
    }
    Ok(())
}

fn resolve_workload(raw: Option<&RawWorkload>, path: &KeyPath) -> Res<Workload> {
    let default = RawWorkload::default();
    let raw = raw.unwrap_or(&default);
    let rate = match &raw.rate {
        None => d::RATE_PER_SEC,
        Some(v) => rate_of(v, &path.key("rate"))?,
    };
    let pattern = resolve_pattern(raw.pattern.as_ref(), rate, &path.key("pattern"))?;
    let backoff = match choice(
        &raw.backoff,
        &path.key("backoff"),
        &[("constant", false), ("exponential", true)],
        false,
    )? {
        // The cap is kept off a constant backoff so a file can flip `backoff`.
        false => Backoff::Constant,
        true => Backoff::Exponential {
            cap: positive_duration(&raw.backoff_cap, &path.key("backoff_cap"), d::BACKOFF_CAP)?,
        },
    };
    let jitter = choice(
        &raw.jitter,
        &path.key("jitter"),
        &[
            ("none", Jitter::None),
            ("full", Jitter::Full),
            ("equal", Jitter::Equal),
        ],
        match backoff {
            Backoff::Constant => Jitter::None,
            Backoff::Exponential { .. } => Jitter::Full,
        },
    )?;
    let retry_budget = resolve_retry_budget(raw.retry_budget.as_ref(), &path.key("retry_budget"))?;
    let circuit_breaker =
        resolve_circuit_breaker(raw.circuit_breaker.as_ref(), &path.key("circuit_breaker"))?;
    Ok(Workload {
        rate,
        arrival: choice(
            &raw.arrival,
            &path.key("arrival"),
            &[
                ("poisson", Arrival::Poisson),
                ("constant", Arrival::Constant),
            ],
            d::ARRIVAL,
        )?,
        timeout: positive_duration(&raw.timeout, &path.key("timeout"), d::CLIENT_TIMEOUT)?,
        retries: count(&raw.retries, &path.key("retries"), d::RETRIES, 0, 10)?,
        retry_backoff: duration_or(
            &raw.retry_backoff,
            &path.key("retry_backoff"),
            d::RETRY_BACKOFF,
        )?,
        connect_timeout: positive_duration(
            &raw.connect_timeout,
            &path.key("connect_timeout"),
            d::CONNECT_TIMEOUT,
        )?,
        queries: count(&raw.queries, &path.key("queries"), d::QUERIES, 0, 100)?,
        write_fraction: fraction(
            &raw.write_fraction,
            &path.key("write_fraction"),
            d::WRITE_FRACTION,
            true,
        )?,
        users: count(&raw.users, &path.key("users"), d::USERS, 1, 10_000_000)?,
        pattern,
        backoff,
        jitter,
        retry_budget,
        circuit_breaker,
    })
}

/// `total` instances over `azs` AZs, as evenly as possible (the first AZs
/// take the remainder), as the group's AZ balancing places them.
pub(crate) fn spread(total: u32, azs: usize) -> Vec<u32> {
    let n = azs as u32;
    (0..n)
        .map(|az| total / n + u32::from(az < total % n))
        .collect()
}

/// Most instances a group may have: far beyond any real group, small enough
/// that every instance's worker slots fit in memory.
const MAX_GROUP: u32 = 100_000;

fn resolve_autoscaling(
    raw: &RawAutoScaling,
    app: &App,
    per_az_given: bool,
    azs: usize,
    duration: SimTime,
    path: &KeyPath,
) -> Res<AutoScaling> {
    let fleet = app.instances_per_az.saturating_mul(azs as u32);
    if per_az_given && raw.desired.is_some() {
        return Err(at_key(
            &path.key("desired"),
            "give the initial fleet once: `app.instances_per_az` or `autoscaling.desired`, not both",
        ));
    }
    // Without them, min and max are the initial fleet (or `desired`): a
    // group that only replaces what fails.
    let given_desired = match &raw.desired {
        Some(_) => Some(count(&raw.desired, &path.key("desired"), 0, 0, MAX_GROUP)?),
        None => None,
    };
    let base = given_desired.unwrap_or(fleet).min(MAX_GROUP);
    let min = count(&raw.min, &path.key("min"), base, 0, MAX_GROUP)?;
    let max = count(&raw.max, &path.key("max"), base.max(min), 0, MAX_GROUP)?;
    if min > max {
        return Err(Issue::at(
            &path.key("min"),
            format!("must be at most max ({max}), got {min}"),
        ));
    }
    let desired = given_desired.unwrap_or(base.clamp(min, max));
    if desired < min || desired > max {
        return Err(Issue::at(
            &path.key("desired"),
            format!("must be between min ({min}) and max ({max}), got {desired}"),
        ));
    }
    let static_path = path.key("static_stability");
    let static_stability = boolean(&raw.static_stability, &static_path, false)?;
    // N+1 by AZ: each AZ holds what the others need to carry the load
    // without it (Well-Architected REL11-BP05: peak x azs / (azs - 1)).
    let (min, desired, max) = if static_stability {
        if azs < 2 {
            return Err(Issue::at(
                &static_path,
                "static stability needs at least two AZs (one may be lost)",
            ));
        }
        let n = azs as u32 - 1;
        let up = |x: u32| x.div_ceil(n).saturating_mul(azs as u32).min(MAX_GROUP);
        let (min, desired) = (up(min), up(desired));
        (min, desired, max.max(desired))
    } else {
        (min, desired, max)
    };
    let metric_period = positive_duration(
        &raw.metric_period,
        &path.key("metric_period"),
        d::ASG_METRIC_PERIOD,
    )?;
    let policy = raw
        .policy
        .as_ref()
        .map(|p| resolve_policy(p, &path.key("policy")))
        .transpose()?;
    let mut scheduled = Vec::new();
    for (i, a) in raw.scheduled.iter().flatten().enumerate() {
        let p = path.key("scheduled").index(i);
        let at_path = p.key("at");
        let at = duration_or(&a.at, &at_path, 0)?;
        if a.at.is_none() {
            return Err(at_key(&p, "a scheduled action needs `at`, e.g. `at: 30m`"));
        }
        if at >= duration {
            return Err(Issue::at(
                &at_path,
                format!(
                    "is at or after the end of the run ({}), so it would never happen",
                    fd(duration)
                ),
            ));
        }
        let size = |v: &Option<Scalar>, key: &str| {
            v.as_ref()
                .map(|_| count(v, &p.key(key), 0, 0, MAX_GROUP))
                .transpose()
        };
        let action = ScheduledAction {
            at,
            min: size(&a.min, "min")?,
            max: size(&a.max, "max")?,
            desired: size(&a.desired, "desired")?,
        };
        if action.min.is_none() && action.max.is_none() && action.desired.is_none() {
            return Err(at_key(
                &p,
                "a scheduled action changes `min`, `max` or `desired`: give at least one",
            ));
        }
        if let (Some(lo), Some(hi)) = (action.min, action.max)
            && lo > hi
        {
            return Err(Issue::at(
                &p.key("min"),
                format!("must be at most max ({hi}), got {lo}"),
            ));
        }
        scheduled.push(action);
    }
    scheduled.sort_by_key(|a| a.at);
    Ok(AutoScaling {
        min,
        max,
        desired,
        health_check: choice(
            &raw.health_check,
            &path.key("health_check"),
            &[("ec2", AsgHealthCheck::Ec2), ("elb", AsgHealthCheck::Elb)],
            d::ASG_HEALTH_CHECK,
        )?,
        grace_period: duration_or(
            &raw.grace_period,
            &path.key("grace_period"),
            d::ASG_GRACE_PERIOD,
        )?,
        boot_time: duration_or(&raw.boot_time, &path.key("boot_time"), app.boot_time)?,
        warmup: duration_or(&raw.warmup, &path.key("warmup"), d::ASG_WARMUP)?,
        metric_period,
        status_check_interval: positive_duration(
            &raw.status_check_interval,
            &path.key("status_check_interval"),
            d::ASG_STATUS_CHECK_INTERVAL,
        )?,
        static_stability,
        policy,
        scheduled,
    })
}

fn scaling_metric(v: &Option<Scalar>, path: &KeyPath) -> Res<ScalingMetric> {
    choice(
        v,
        path,
        &[
            ("cpu", ScalingMetric::Cpu),
            ("requests_per_target", ScalingMetric::RequestsPerTarget),
        ],
        ScalingMetric::Cpu,
    )
}

/// A value of `metric`: a percentage for cpu, requests per target per
/// minute otherwise; `positive` excludes 0.
fn metric_value(
    v: &Option<Scalar>,
    path: &KeyPath,
    metric: ScalingMetric,
    positive: bool,
) -> Res<f64> {
    match metric {
        ScalingMetric::Cpu => fraction(v, path, 0.0, !positive),
        ScalingMetric::RequestsPerTarget => {
            let x = match v {
                Some(Scalar::Int(n)) => *n as f64,
                Some(Scalar::Float(x)) => *x,
                Some(other) => {
                    return Err(Issue::at(
                        path,
                        format!("expected requests per target per minute, like 1000, got {other}"),
                    ));
                }
                None => 0.0,
            };
            if !x.is_finite() || x < 0.0 || (positive && x == 0.0) || x > 1e12 {
                let range = if positive { "above 0" } else { "0 or more" };
                return Err(Issue::at(
                    path,
                    format!("must be {range} (and at most 1e12), got {x}"),
                ));
            }
            Ok(x)
        }
    }
}

fn resolve_policy(raw: &RawPolicy, path: &KeyPath) -> Res<ScalingPolicy> {
    match (&raw.target_tracking, &raw.step) {
        (Some(_), Some(_)) => Err(at_key(
            &path.key("step"),
            "a group has one policy here: `target_tracking` or `step`, not both",
        )),
        (None, None) => Err(at_key(
            path,
            "expected `target_tracking: {...}` or `step: {...}`",
        )),
        (Some(t), None) => {
            let p = path.key("target_tracking");
            let metric = scaling_metric(&t.metric, &p.key("metric"))?;
            if t.target.is_none() {
                return Err(at_key(
                    &p,
                    "target tracking needs a `target`, e.g. `target: 60%` for cpu",
                ));
            }
            Ok(ScalingPolicy::TargetTracking {
                metric,
                target: metric_value(&t.target, &p.key("target"), metric, true)?,
                disable_scale_in: boolean(&t.disable_scale_in, &p.key("disable_scale_in"), false)?,
                out_periods: count(
                    &t.scale_out_periods,
                    &p.key("scale_out_periods"),
                    d::TT_OUT_PERIODS,
                    1,
                    1000,
                )?,
                in_periods: count(
                    &t.scale_in_periods,
                    &p.key("scale_in_periods"),
                    d::TT_IN_PERIODS,
                    1,
                    1000,
                )?,
            })
        }
        (None, Some(st)) => {
            let p = path.key("step");
            let metric = scaling_metric(&st.metric, &p.key("metric"))?;
            let alarm = |raw: &Option<RawStepAlarm>, key: &str| -> Res<Option<StepAlarm>> {
                let Some(a) = raw else { return Ok(None) };
                let ap = p.key(key);
                if a.threshold.is_none() {
                    return Err(at_key(&ap, "a step alarm needs a `threshold`"));
                }
                let threshold = metric_value(&a.threshold, &ap.key("threshold"), metric, false)?;
                let mut steps = Vec::new();
                for (i, rs) in a.steps.iter().flatten().enumerate() {
                    let sp = ap.key("steps").index(i);
                    let over = metric_value(&rs.over, &sp.key("over"), metric, false)?;
                    let change = adjustment(&rs.change, &sp.key("change"))?;
                    if let Some(prev) = steps.last().map(|s: &Step| s.over)
                        && over <= prev
                    {
                        return Err(Issue::at(
                            &sp.key("over"),
                            "steps must be in ascending order of `over`",
                        ));
                    }
                    steps.push(Step { over, change });
                }
                if steps.is_empty() {
                    steps.push(Step {
                        over: 0.0,
                        change: Adjustment::Count(1),
                    });
                } else if steps[0].over != 0.0 {
                    return Err(Issue::at(
                        &ap.key("steps").index(0).key("over"),
                        "the first step starts at the threshold: `over: 0`",
                    ));
                }
                Ok(Some(StepAlarm { threshold, steps }))
            };
            let scale_out = alarm(&st.scale_out, "scale_out")?;
            let scale_in = alarm(&st.scale_in, "scale_in")?;
            if scale_out.is_none() && scale_in.is_none() {
                return Err(at_key(
                    &p,
                    "a step policy needs `scale_out`, `scale_in` or both",
                ));
            }
            if let (Some(o), Some(i)) = (&scale_out, &scale_in)
                && i.threshold >= o.threshold
            {
                return Err(Issue::at(
                    &p.key("scale_in").key("threshold"),
                    "must be below the scale_out threshold, or the two alarms fight",
                ));
            }
            Ok(ScalingPolicy::Step {
                metric,
                scale_out,
                scale_in,
                periods: count(&st.periods, &p.key("periods"), d::STEP_PERIODS, 1, 1000)?,
                cooldown: duration_or(&st.cooldown, &p.key("cooldown"), 0)?,
            })
        }
    }
}

/// A step's change: a number of instances (`2`) or a percentage (`20%`).
fn adjustment(v: &Option<Scalar>, path: &KeyPath) -> Res<Adjustment> {
    match v {
        None => Ok(Adjustment::Count(1)),
        Some(Scalar::Int(n)) if *n >= 1 && *n <= i128::from(MAX_GROUP) => {
            Ok(Adjustment::Count(*n as i64))
        }
        Some(Scalar::Str(s)) if s.trim_end().ends_with('%') => {
            let f = units::parse_fraction(s).map_err(|m| Issue::at(path, m))?;
            if f > 0.0 && f <= 10.0 {
                Ok(Adjustment::Percent(f))
            } else {
                Err(Issue::at(
                    path,
                    format!("must be above 0% and at most 1000%, got {s}"),
                ))
            }
        }
        Some(other) => Err(Issue::at(
            path,
            format!(
                "expected instances to add or remove (a whole number from 1 to {MAX_GROUP}) or a percentage like 20%, got {other}"
            ),
        )),
    }
}

/// `workload.circuit_breaker`: `none` or a mapping (empty for defaults).
fn resolve_circuit_breaker(
    raw: Option<&ScalarOr<RawCircuitBreaker>>,
    path: &KeyPath,
) -> Res<Option<CircuitBreaker>> {
    let b = match raw {
        None => return Ok(None),
        Some(ScalarOr::Scalar(Scalar::Str(s))) if s.trim() == "none" => return Ok(None),
        Some(ScalarOr::Scalar(v)) => {
            return Err(Issue::at(
                path,
                format!("expected {}, got {v}", RawCircuitBreaker::EXPECTING),
            ));
        }
        Some(ScalarOr::Block(b)) => b,
    };
    Ok(Some(CircuitBreaker {
        failure_ratio: fraction(
            &b.failure_ratio,
            &path.key("failure_ratio"),
            d::CB_FAILURE_RATIO,
            false,
        )?,
        window: slotted_window(&b.window, &path.key("window"), d::CB_WINDOW)?,
        min_calls: count(
            &b.min_calls,
            &path.key("min_calls"),
            d::CB_MIN_CALLS,
            1,
            u32::MAX,
        )?,
        open_for: positive_duration(&b.open_for, &path.key("open_for"), d::CB_OPEN_FOR)?,
        probes: count(&b.probes, &path.key("probes"), d::CB_PROBES, 1, 1_000_000)?,
    }))
}

/// A sliding window kept as a ring of 100 ms slots: a multiple of 100 ms,
/// at most an hour.
fn slotted_window(value: &Option<Scalar>, path: &KeyPath, default: SimTime) -> Res<SimTime> {
    let t = positive_duration(value, path, default)?;
    if !t.is_multiple_of(100 * NANOS_PER_MILLI) {
        return Err(Issue::at(
            path,
            format!("must be a multiple of 100ms, got {}", fd(t)),
        ));
    }
    if t > MAX_WINDOW {
        return Err(Issue::at(
            path,
            format!("must be at most 1h, got {}", fd(t)),
        ));
    }
    Ok(t)
}

/// `workload.retry_budget`: `none`, a ratio (`10%`), or a mapping.
fn resolve_retry_budget(
    raw: Option<&ScalarOr<RawRetryBudget>>,
    path: &KeyPath,
) -> Res<Option<RetryBudget>> {
    let block = match raw {
        None => return Ok(None),
        Some(ScalarOr::Scalar(Scalar::Str(s))) if s.trim() == "none" => return Ok(None),
        Some(ScalarOr::Scalar(v)) => {
            if matches!(v, Scalar::Bool(_))
                || matches!(v, Scalar::Str(s) if units::parse_fraction(s).is_err())
            {
                return Err(Issue::at(
                    path,
                    format!("expected {}, got {v}", RawRetryBudget::EXPECTING),
                ));
            }
            return Ok(Some(RetryBudget {
                ratio: fraction(&Some(v.clone()), path, 0.0, true)?,
                min_per_second: d::RETRY_BUDGET_MIN_PER_SECOND,
                ttl: d::RETRY_BUDGET_TTL,
            }));
        }
        Some(ScalarOr::Block(b)) => b.clone(),
    };
    let min_path = path.key("min_per_second");
    Ok(Some(RetryBudget {
        ratio: fraction(
            &block.ratio,
            &path.key("ratio"),
            d::RETRY_BUDGET_RATIO,
            true,
        )?,
        min_per_second: match &block.min_per_second {
            None => d::RETRY_BUDGET_MIN_PER_SECOND,
            Some(v) => rate_of(v, &min_path)?,
        },
        ttl: slotted_window(&block.ttl, &path.key("ttl"), d::RETRY_BUDGET_TTL)?,
    }))
}

/// A request rate: `1000/s`, `60/m`, or a number per second.
fn rate_of(value: &Scalar, path: &KeyPath) -> Res<f64> {
    match value {
        Scalar::Str(s) => units::parse_rate(s).map_err(|m| Issue::at(path, m)),
        Scalar::Int(n) => {
            units::check_rate(*n as f64).map_err(|m| Issue::at(path, format!("{m}, got {n}")))
        }
        Scalar::Float(x) => {
            units::check_rate(*x).map_err(|m| Issue::at(path, format!("{m}, got {x}")))
        }
        other @ Scalar::Bool(_) => Err(Issue::at(
            path,
            format!("expected a rate like 1000/s, got {other}"),
        )),
    }
}

const PATTERNS: [&str; 4] = ["ramp", "spike", "diurnal", "schedule"];

/// `workload.pattern`: `constant`, or a mapping with exactly one pattern.
/// `base` is `workload.rate`.
fn resolve_pattern(
    raw: Option<&ScalarOr<RawPattern>>,
    base: f64,
    path: &KeyPath,
) -> Res<RatePattern> {
    let raw = match raw {
        None => return Ok(RatePattern::Constant),
        Some(ScalarOr::Scalar(v)) => {
            let mut names = vec!["constant"];
            names.extend(PATTERNS);
            return match choice_str(v, path, &names)? {
                "constant" => Ok(RatePattern::Constant),
                name => Err(Issue::at(
                    path,
                    format!(
                        "a `{name}` pattern needs its settings, e.g. {}",
                        example(name)
                    ),
                )),
            };
        }
        Some(ScalarOr::Block(b)) => b,
    };
    let given: Vec<&str> = [
        ("ramp", raw.ramp.is_some()),
        ("spike", raw.spike.is_some()),
        ("diurnal", raw.diurnal.is_some()),
        ("schedule", raw.schedule.is_some()),
    ]
    .iter()
    .filter(|(_, on)| *on)
    .map(|(k, _)| *k)
    .collect();
    match given[..] {
        [] => {
            return Err(Issue::at(
                path,
                format!(
                    "a pattern needs one of {}, e.g. {}",
                    suggest::list(&PATTERNS),
                    example("spike")
                ),
            ));
        }
        [_] => {}
        [first, second, ..] => {
            return Err(at_key(
                &path.key(second),
                format!("give one pattern, not both `{first}` and `{second}`"),
            ));
        }
    }
    let rate = |v: &Option<Scalar>, p: &KeyPath, what: &str| match v {
        Some(v) => rate_of(v, p),
        None => Err(Issue::at(p, what.to_string())),
    };
    if let Some(r) = &raw.ramp {
        let p = path.key("ramp");
        if r.duration.is_none() {
            return Err(Issue::at(
                &p.key("duration"),
                format!("a ramp needs `duration` and `to`, e.g. {}", example("ramp")),
            ));
        }
        return Ok(RatePattern::Ramp {
            start: duration_or(&r.start, &p.key("start"), 0)?,
            duration: positive_duration(&r.duration, &p.key("duration"), 0)?,
            to: rate(
                &r.to,
                &p.key("to"),
                &format!(
                    "a ramp needs `to`, the rate it ends at, e.g. {}",
                    example("ramp")
                ),
            )?,
        });
    }
    if let Some(sp) = &raw.spike {
        let p = path.key("spike");
        let need = |key: &str| {
            Issue::at(
                &p.key(key),
                format!(
                    "a spike needs `at`, `duration` and `factor` (or `to`), e.g. {}",
                    example("spike")
                ),
            )
        };
        if sp.at.is_none() {
            return Err(need("at"));
        }
        if sp.duration.is_none() {
            return Err(need("duration"));
        }
        let to = match (&sp.factor, &sp.to) {
            (Some(_), Some(_)) => {
                return Err(at_key(
                    &p.key("to"),
                    "a spike takes either `factor` (times the base rate) or `to` (a rate), not both",
                ));
            }
            (None, None) => return Err(need("factor")),
            (None, Some(v)) => rate_of(v, &p.key("to"))?,
            (Some(v), None) => {
                let fp = p.key("factor");
                let factor = match v {
                    Scalar::Int(n) => *n as f64,
                    Scalar::Float(x) => *x,
                    other => {
                        return Err(Issue::at(
                            &fp,
                            format!("expected a number like 3 (times the base rate), got {other}"),
                        ));
                    }
                };
                if !factor.is_finite() || factor < 0.0 {
                    return Err(Issue::at(
                        &fp,
                        format!("must be a number 0 or more, got {v}"),
                    ));
                }
                units::check_rate(base * factor).map_err(|m| {
                    Issue::at(
                        &fp,
                        format!("{m}: the base rate {base}/s x {factor} is too high"),
                    )
                })?
            }
        };
        return Ok(RatePattern::Spike {
            at: duration_or(&sp.at, &p.key("at"), 0)?,
            duration: positive_duration(&sp.duration, &p.key("duration"), 0)?,
            to,
        });
    }
    if let Some(di) = &raw.diurnal {
        let p = path.key("diurnal");
        if di.amplitude.is_none() {
            return Err(Issue::at(
                &p.key("amplitude"),
                format!(
                    "a diurnal pattern needs `amplitude`, e.g. {}",
                    example("diurnal")
                ),
            ));
        }
        let amplitude = fraction(&di.amplitude, &p.key("amplitude"), 0.0, true)?;
        units::check_rate(base * (1.0 + amplitude))
            .map_err(|m| Issue::at(&p.key("amplitude"), format!("{m} at the peak")))?;
        return Ok(RatePattern::Diurnal {
            amplitude,
            period: positive_duration(&di.period, &p.key("period"), d::DIURNAL_PERIOD)?,
            peak_at: duration_or(&di.peak_at, &p.key("peak_at"), d::DIURNAL_PEAK_AT)?,
        });
    }
    let p = path.key("schedule");
    let items = raw.schedule.as_deref().unwrap_or_default();
    if items.is_empty() {
        return Err(Issue::at(
            &p,
            format!(
                "a schedule needs at least one step, e.g. {}",
                example("schedule")
            ),
        ));
    }
    let mut steps: Vec<RateStep> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let ip = p.index(i);
        let need = |key: &str| {
            Issue::at(
                &ip.key(key),
                "each schedule step needs `at` and `rate`, e.g. { at: 10m, rate: 500/s }",
            )
        };
        if item.at.is_none() {
            return Err(need("at"));
        }
        let at = duration_or(&item.at, &ip.key("at"), 0)?;
        let rate = match &item.rate {
            Some(v) => rate_of(v, &ip.key("rate"))?,
            None => return Err(need("rate")),
        };
        if let Some(prev) = steps.last()
            && at <= prev.at
        {
            return Err(Issue::at(
                &ip.key("at"),
                format!(
                    "steps must be in time order: `at` must be after the previous step's ({}), got {}",
                    fd(prev.at),
                    fd(at)
                ),
            ));
        }
        steps.push(RateStep { at, rate });
    }
    Ok(RatePattern::Schedule(steps))
}

/// A one-line example of each pattern, for messages.
fn example(pattern: &str) -> &'static str {
    match pattern {
        "ramp" => "`ramp: { start: 5m, duration: 10m, to: 3000/s }`",
        "spike" => "`spike: { at: 10m, duration: 5m, factor: 3 }`",
        "diurnal" => "`diurnal: { amplitude: 50%, period: 24h, peak_at: 14h }`",
        _ => "`schedule: [ { at: 0s, rate: 100/s }, { at: 10m, rate: 500/s } ]`",
    }
}

fn resolve_metrics(raw: Option<&RawMetrics>, path: &KeyPath) -> Res<MetricsConfig> {
    let default = RawMetrics::default();
    let raw = raw.unwrap_or(&default);
    let step = |v: &Option<Scalar>, key: &str, default: SimTime| {
        let p = path.key(key);
        let t = positive_duration(v, &p, default)?;
        // Recovery is judged on 100 ms slots; other widths would straddle them.
        if !t.is_multiple_of(100 * NANOS_PER_MILLI) {
            return Err(Issue::at(
                &p,
                format!("must be a multiple of 100ms, got {}", fd(t)),
            ));
        }
        Ok(t)
    };
    let bucket = step(&raw.bucket, "bucket", d::METRICS_BUCKET)?;
    let window = step(&raw.window, "window", d::METRICS_WINDOW)?;
    if window > MAX_WINDOW {
        return Err(Issue::at(
            &path.key("window"),
            format!("must be at most 1h, got {}", fd(window)),
        ));
    }
    let threshold = fraction(
        &raw.threshold,
        &path.key("threshold"),
        d::METRICS_THRESHOLD,
        false,
    )?;
    Ok(MetricsConfig {
        bucket,
        window,
        threshold,
    })
}

// ---- data tier -----------------------------------------------------------

fn resolve_database(raw: &RawDatabase, azs: &[String], path: &KeyPath) -> Res<Database> {
    let mode = choice(
        &raw.mode,
        &path.key("mode"),
        &[
            ("single", DbMode::Single),
            ("multi_az", DbMode::MultiAz),
            ("multi_az_cluster", DbMode::MultiAzCluster),
            ("aurora", DbMode::Aurora),
            ("multi_writer", DbMode::MultiWriter),
        ],
        d::DB_MODE,
    )?;
    let multi_writer = mode == DbMode::MultiWriter;

    // Only a standby fed by the primary's log has a replication setting.
    let replication_path = path.key("replication");
    let no_replication = match mode {
        DbMode::Single => Some("a single instance has no standby to replicate to"),
        DbMode::Aurora => Some(
            "Aurora replicates synchronously through its shared storage volume, not asynchronously",
        ),
        DbMode::MultiAz | DbMode::MultiAzCluster | DbMode::MultiWriter => None,
    };
    // Writers replicate to each other asynchronously: that is the default
    // there, and the only setting.
    let replication = choice(
        &raw.replication,
        &replication_path,
        &[("sync", Replication::Sync), ("async", Replication::Async)],
        if multi_writer {
            Replication::Async
        } else {
            d::DB_REPLICATION
        },
    )?;
    if multi_writer && replication == Replication::Sync {
        return Err(Issue::at(
            &replication_path,
            "mode `multi_writer` replicates asynchronously between its writers: synchronous \
             multi-writer replication would need distributed write certification (Galera-style), \
             which this model does not have; use `replication: async`, or a single primary \
             (`mode: multi_az`) for synchronous replication",
        ));
    }
    // `sync` is what these modes do anyway; accepting it lets one file flip
    // `mode` while keeping its replication line.
    if let (Some(why), Replication::Async) = (no_replication, replication) {
        return Err(Issue::at(
            &replication_path,
            format!("mode `{}`: {why}", mode.name()),
        ));
    }
    // The lag is kept under sync (unused) so a file can flip `replication`.
    let lag_path = path.key("replication_lag");
    if let (Some(_), Some(why)) = (&raw.replication_lag, no_replication) {
        return Err(at_key(
            &lag_path,
            format!("mode `{}` has no replication lag: {why}", mode.name()),
        ));
    }
    let replication_lag = resolve_service_time(
        raw.replication_lag.as_ref(),
        &lag_path,
        ServiceTime::Exponential {
            mean: d::DB_REPLICATION_LAG_MEAN,
        },
    )?;

    let replicas_path = path.key("read_replicas");
    let default_replicas = match mode {
        DbMode::Aurora => d::AURORA_REPLICAS,
        _ => 0,
    };
    let read_replicas = count(&raw.read_replicas, &replicas_path, default_replicas, 0, 15)?;
    if mode == DbMode::MultiAzCluster && read_replicas != 0 {
        return Err(at_key(
            &replicas_path,
            "a Multi-AZ DB cluster has two readable standbys; `read_replicas` does not apply",
        ));
    }
    if multi_writer && read_replicas != 0 {
        return Err(at_key(
            &replicas_path,
            "every writer of a `multi_writer` database also serves reads; `read_replicas` does not apply",
        ));
    }
    let (writers, keys) = resolve_writers(raw, mode, azs.len(), path)?;
    // Aurora without a replica recreates its instance instead of failing over.
    let has_replica = mode != DbMode::Aurora || read_replicas > 0;
    let (detection, promotion, dns_ttl) = d::db_phases(mode, has_replica);

    let primary_az = primary_az(&raw.primary_az, azs, &path.key("primary_az"))?;
    let standby_path = path.key("standby_az");
    let standby_az = match &raw.standby_az {
        None => None,
        Some(v) => {
            let standbys = match mode {
                // Writers sit one per AZ from `primary_az`: none to place.
                DbMode::Single | DbMode::MultiWriter => 0,
                DbMode::MultiAz => 1,
                DbMode::MultiAzCluster => 2,
                DbMode::Aurora => read_replicas,
            };
            if standbys == 0 {
                return Err(at_key(
                    &standby_path,
                    format!(
                        "mode `{}` with no failover target has no standby to place",
                        mode.name()
                    ),
                ));
            }
            let az = find_az(v, azs, &standby_path)?;
            if az == primary_az {
                return Err(Issue::at(
                    &standby_path,
                    format!(
                        "must differ from the primary's AZ (`{}`): a standby in the same AZ dies with it",
                        azs[az]
                    ),
                ));
            }
            Some(az)
        }
    };
    let time =
        |v: &Option<Scalar>, key: &str, default: SimTime| duration_or(v, &path.key(key), default);
    Ok(Database {
        mode,
        replication,
        replication_lag,
        endpoint: choice(
            &raw.endpoint,
            &path.key("endpoint"),
            &[("dns", Endpoint::Dns), ("proxy", Endpoint::Proxy)],
            d::DB_ENDPOINT,
        )?,
        dns_ttl: time(&raw.dns_ttl, "dns_ttl", dns_ttl)?,
        reconnect_time: time(&raw.reconnect_time, "reconnect_time", d::DB_RECONNECT_TIME)?,
        proxy_switch: time(&raw.proxy_switch, "proxy_switch", d::DB_PROXY_SWITCH)?,
        detection: positive_duration(&raw.detection, &path.key("detection"), detection)?,
        promotion: time(&raw.promotion, "promotion", promotion)?,
        primary_az,
        standby_az,
        read_replicas,
        reads: choice(
            &raw.reads,
            &path.key("reads"),
            &[("primary", Reads::Primary), ("replicas", Reads::Replicas)],
            d::DB_READS,
        )?,
        workers: count(
            &raw.workers,
            &path.key("workers"),
            d::DB_WORKERS,
            1,
            100_000,
        )?,
        queue_capacity: count(
            &raw.queue_capacity,
            &path.key("queue_capacity"),
            d::DB_QUEUE_CAPACITY,
            0,
            u32::MAX,
        )?,
        query_time: resolve_service_time(
            raw.query_time.as_ref(),
            &path.key("query_time"),
            ServiceTime::Exponential {
                mean: d::DB_QUERY_TIME_MEAN,
            },
        )?,
        failures: random_failures(&raw.mtbf, &raw.mttr, path)?,
        writers,
        keys,
    })
}

/// `writers` and `keys`: (writers, keys) of a `multi_writer` database,
/// (1, 0) for the other modes, which reject both keys (a `writers: 2` on a
/// single-primary database would read as a promise the model does not keep).
fn resolve_writers(raw: &RawDatabase, mode: DbMode, azs: usize, path: &KeyPath) -> Res<(u32, u32)> {
    let (writers_path, keys_path) = (path.key("writers"), path.key("keys"));
    if mode != DbMode::MultiWriter {
        for (value, name, key) in [
            (&raw.writers, "writers", &writers_path),
            (&raw.keys, "keys", &keys_path),
        ] {
            if value.is_some() {
                return Err(at_key(
                    key,
                    format!(
                        "`{name}` applies to `mode: multi_writer` only; mode `{}` has one writer, the primary",
                        mode.name()
                    ),
                ));
            }
        }
        return Ok((1, 0));
    }
    // One writer per AZ: at least two (else it is a single primary), at
    // most one in every AZ.
    let max = u32::try_from(azs).unwrap_or(u32::MAX);
    if max < 2 {
        return Err(Issue::at(
            &path.key("mode"),
            "mode `multi_writer` needs at least two AZs, one per writer",
        ));
    }
    let writers = count(&raw.writers, &writers_path, d::DB_WRITERS, 2, max).map_err(|mut e| {
        e.message += &format!(" (one writer per AZ, and the scenario has {azs} AZs)");
        e
    })?;
    let keys = count(&raw.keys, &keys_path, d::DB_KEYS, 1, d::DB_MAX_KEYS)?;
    Ok((writers, keys))
}

fn resolve_cache(raw: &RawCache, azs: &[String], path: &KeyPath) -> Res<Cache> {
    Ok(Cache {
        store: resolve_kv_store(&raw.store(), azs, path)?,
        hit_ratio: fraction(
            &raw.hit_ratio,
            &path.key("hit_ratio"),
            d::CACHE_HIT_RATIO,
            true,
        )?,
        warm_time: duration_or(&raw.warm_time, &path.key("warm_time"), d::CACHE_WARM_TIME)?,
    })
}

/// Most writes the model keeps in transit to a standby at once (each is a
/// few bytes; this bounds that memory to about 160 MB).
const MAX_WRITES_IN_TRANSIT: f64 = 1e7;

/// Under async replication every call with writes stays in memory for one
/// lag: refuse a rate x lag that could not be held, instead of aborting.
fn check_writes_in_transit(db: &Database, w: &Workload, path: &KeyPath) -> Res<()> {
    if db.replication != Replication::Async || w.queries == 0 || w.write_fraction == 0.0 {
        return Ok(());
    }
    let mean = match db.replication_lag {
        ServiceTime::Constant { value } => value,
        ServiceTime::Exponential { mean } | ServiceTime::LogNormal { mean, .. } => mean,
    };
    let in_transit = w.peak_rate() * crate::engine::as_secs_f64(mean);
    if in_transit > MAX_WRITES_IN_TRANSIT {
        return Err(Issue::at(
            path,
            format!(
                "{} requests/s x a mean lag of {} keeps about {in_transit:.0} write batches in transit; \
                 at most {MAX_WRITES_IN_TRANSIT:.0} are supported: lower the lag or the rate",
                w.peak_rate(),
                fd(mean)
            ),
        ));
    }
    Ok(())
}

/// The session store exists when sessions are external or the file
/// describes one: a sticky or jwt design may keep the block (and its faults)
/// so that designs compare on the same file, and then simply never reads it.
fn resolve_session_store(
    raw: Option<&RawKvStore>,
    sessions: Sessions,
    azs: &[String],
    path: &KeyPath,
) -> Res<Option<KvStore>> {
    let default = RawKvStore::default();
    match (sessions, raw) {
        (_, Some(raw)) => resolve_kv_store(raw, azs, path).map(Some),
        (Sessions::External, None) => resolve_kv_store(&default, azs, path).map(Some),
        (_, None) => Ok(None),
    }
}

fn resolve_kv_store(raw: &RawKvStore, azs: &[String], path: &KeyPath) -> Res<KvStore> {
    Ok(KvStore {
        replica: boolean(&raw.replica, &path.key("replica"), d::KV_REPLICA)?,
        failover_time: resolve_service_time(
            raw.failover_time.as_ref(),
            &path.key("failover_time"),
            ServiceTime::LogNormal {
                mean: d::KV_FAILOVER_MEAN,
                p99: d::KV_FAILOVER_P99,
            },
        )?,
        primary_az: primary_az(&raw.primary_az, azs, &path.key("primary_az"))?,
        failures: random_failures(&raw.mtbf, &raw.mttr, path)?,
    })
}

/// Where a tier's primary starts: an AZ name, by default the first AZ.
fn primary_az(value: &Option<Scalar>, azs: &[String], path: &KeyPath) -> Res<usize> {
    value.as_ref().map_or(Ok(0), |v| find_az(v, azs, path))
}

/// Sorted, so the list in messages reads in order.
const FAULT_KINDS: [&str; 9] = [
    "az_outage",
    "cache_failure",
    "db_primary_failure",
    "db_standby_failure",
    "instance_crash",
    "instance_hang",
    "latency",
    "region_outage",
    "session_store_failure",
];

fn resolve_fault(raw: &RawFault, scenario: &Scenario, path: &KeyPath) -> Res<Fault> {
    let Some(kind_value) = &raw.kind else {
        return Err(Issue::at(
            &path.key("kind"),
            format!(
                "a fault needs `kind`, one of {}",
                suggest::list(&FAULT_KINDS)
            ),
        ));
    };
    let kind_name = choice_str(kind_value, &path.key("kind"), &FAULT_KINDS)?;
    // Which keys each kind takes besides `at`, `kind` and `duration`.
    let takes: &[&str] = match kind_name {
        "az_outage" => &["az"],
        "latency" => &["az", "instance", "extra"],
        "instance_crash" | "instance_hang" => &["instance"],
        "region_outage" => &["region"],
        _ => &[],
    };
    let extras = [
        ("az", &raw.az),
        ("region", &raw.region),
        ("instance", &raw.instance),
        ("extra", &raw.extra),
    ];
    for (key, value) in extras {
        if value.is_some() && !takes.contains(&key) {
            let mut all = vec!["at", "kind", "duration"];
            all.extend_from_slice(takes);
            return Err(at_key(
                &path.key(key),
                format!(
                    "`{key}` does not apply to faults of kind `{kind_name}`, which take {}",
                    suggest::list(&all)
                ),
            ));
        }
    }

    let at_path = path.key("at");
    if raw.at.is_none() {
        return Err(Issue::at(
            &at_path,
            "a fault needs `at`, the time it starts, e.g. `at: 10m`",
        ));
    }
    let at = duration_or(&raw.at, &at_path, 0)?;
    if at >= scenario.duration {
        // A fault that never starts would make the run look falsely healthy.
        return Err(Issue::at(
            &at_path,
            format!(
                "the fault would start at {}, but the run ends at {} (duration)",
                fd(at),
                fd(scenario.duration)
            ),
        ));
    }
    let duration = match &raw.duration {
        Some(_) => Some(positive_duration(&raw.duration, &path.key("duration"), 0)?),
        None => None,
    };

    let az = |v: &Scalar| find_az(v, &scenario.azs, &path.key("az"));
    let instance = |v: &Scalar| find_instance(v, scenario, &path.key("instance"));
    let missing = |key: &str, what: String| Issue::at(&path.key(key), what);
    // A data-tier fault needs the part of the deployment it breaks.
    let needs = |what: String| {
        Issue::at(
            &path.key("kind"),
            format!("faults of kind `{kind_name}` need {what}"),
        )
    };
    let kind = match kind_name {
        "db_primary_failure" | "db_standby_failure" => {
            let db = scenario
                .database
                .as_ref()
                .ok_or_else(|| needs("a `database:` block".into()))?;
            if kind_name == "db_primary_failure" {
                FaultKind::DbPrimaryFailure
            } else if db.standbys() == 0 {
                let why = match db.mode {
                    DbMode::Aurora => {
                        "an `aurora` database with `read_replicas: 0` has no replica".to_string()
                    }
                    mode => format!("a `{}` database has none", mode.name()),
                };
                return Err(needs(format!("a standby (a failover target), but {why}")));
            } else {
                FaultKind::DbStandbyFailure
            }
        }
        "cache_failure" => {
            scenario
                .cache
                .as_ref()
                .ok_or_else(|| needs("a `cache:` block".into()))?;
            FaultKind::CacheFailure
        }
        "session_store_failure" => {
            if scenario.session_store.is_none() {
                return Err(needs(format!(
                    "a session store: set `app.sessions: external` or add a `session_store:` block (app.sessions is {})",
                    scenario.app.sessions.name()
                )));
            }
            FaultKind::SessionStoreFailure
        }
        "az_outage" => {
            let v = raw.az.as_ref().ok_or_else(|| {
                missing(
                    "az",
                    format!(
                        "faults of kind `az_outage` need `az`, one of {}",
                        suggest::list(&scenario.azs)
                    ),
                )
            })?;
            FaultKind::AzOutage { az: az(v)? }
        }
        "region_outage" => {
            let names: Vec<&str> = scenario.regions.iter().map(|r| r.name.as_str()).collect();
            if names.is_empty() {
                return Err(needs(
                    "a `regions:` block naming the regions and their AZs".into(),
                ));
            }
            let region_path = path.key("region");
            let v = raw.region.as_ref().ok_or_else(|| {
                missing(
                    "region",
                    format!(
                        "faults of kind `region_outage` need `region`, one of {}",
                        suggest::list(&names)
                    ),
                )
            })?;
            let name = text(v, &region_path)?;
            let region = names.iter().position(|n| *n == name).ok_or_else(|| {
                Issue::at(
                    &region_path,
                    format!(
                        "unknown region `{name}`, expected one of {}{}",
                        suggest::list(&names),
                        suggest::hint(&name, &names)
                    ),
                )
            })?;
            FaultKind::RegionOutage { region }
        }
        "instance_crash" | "instance_hang" => {
            let v = raw.instance.as_ref().ok_or_else(|| {
                missing(
                    "instance",
                    format!(
                        "faults of kind `{kind_name}` need `instance`, e.g. `instance: {}-1`",
                        scenario.azs[0]
                    ),
                )
            })?;
            let instance = instance(v)?;
            if kind_name == "instance_crash" {
                FaultKind::InstanceCrash { instance }
            } else {
                FaultKind::InstanceHang { instance }
            }
        }
        _ => {
            let target = match (&raw.az, &raw.instance) {
                (Some(v), None) => LatencyTarget::Az(az(v)?),
                (None, Some(v)) => LatencyTarget::Instance(instance(v)?),
                (Some(_), Some(_)) => {
                    return Err(at_key(
                        &path.key("instance"),
                        "faults of kind `latency` take either `az` or `instance`, not both",
                    ));
                }
                (None, None) => {
                    return Err(missing(
                        "az",
                        "faults of kind `latency` need either `az` or `instance`".into(),
                    ));
                }
            };
            if raw.extra.is_none() {
                return Err(missing(
                    "extra",
                    "faults of kind `latency` need `extra`, the added delay, e.g. `extra: 200ms`"
                        .into(),
                ));
            }
            let extra = positive_duration(&raw.extra, &path.key("extra"), 0)?;
            FaultKind::Latency { target, extra }
        }
    };
    Ok(Fault { at, duration, kind })
}

fn find_az(value: &Scalar, azs: &[String], path: &KeyPath) -> Res<usize> {
    let name = text(value, path)?;
    az_index(&name, azs).ok_or_else(|| Issue::at(path, unknown_az(&name, azs)))
}

pub(super) fn az_index(name: &str, azs: &[String]) -> Option<usize> {
    azs.iter().position(|a| a == name)
}

pub(super) fn unknown_az(name: &str, azs: &[String]) -> String {
    let azs: Vec<&str> = azs.iter().map(String::as_str).collect();
    format!(
        "unknown AZ `{name}`, expected one of {}{}",
        suggest::list(&azs),
        suggest::hint(name, &azs)
    )
}

/// `a-1` -> global instance index. AZ names may contain `-`, so the number
/// is whatever follows the last one.
fn find_instance(value: &Scalar, scenario: &Scenario, path: &KeyPath) -> Res<usize> {
    let name = text(value, path)?;
    let example = format!("{}-1", scenario.azs[0]);
    let shape = || {
        Issue::at(
            path,
            format!(
                "expected an instance name like `{example}` (<az>-<n>, n counted from 1 within the AZ), got {name:?}"
            ),
        )
    };
    let (az_name, number) = name.rsplit_once('-').ok_or_else(shape)?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(shape());
    }
    let az = az_index(az_name, &scenario.azs).ok_or_else(|| {
        Issue::at(
            path,
            format!("instance `{name}`: {}", unknown_az(az_name, &scenario.azs)),
        )
    })?;
    let per_az = scenario.fleet[az];
    let n: u64 = number.parse().unwrap_or(u64::MAX);
    if n == 0 || n > u64::from(per_az) {
        // With a group, later launches get new numbers; faults name the
        // initial fleet.
        let when = if scenario.autoscaling.is_some() {
            " at the start"
        } else {
            ""
        };
        let has = match per_az {
            0 => format!("no instances{when}"),
            1 => format!("1 instance{when}, `{az_name}-1`"),
            k => format!("{k} instances{when}, `{az_name}-1` to `{az_name}-{k}`"),
        };
        return Err(Issue::at(
            path,
            format!("no instance `{name}`: AZ `{az_name}` has {has}"),
        ));
    }
    // n is in 1..=per_az, so n - 1 fits in u32.
    Ok(scenario.instance_id(az, (n - 1) as u32))
}

// ---- leaf readers -------------------------------------------------------

/// An issue about a key being there at all: shown at the key, not its value.
pub(super) fn at_key(path: &KeyPath, message: impl Into<String>) -> Issue {
    Issue {
        path: path.clone(),
        anchor: Anchor::Key,
        message: message.into(),
    }
}

/// A text for people: its English and its Korean (empty when not given).
fn localized(raw: Option<&RawText>, path: &KeyPath) -> Res<(String, String)> {
    let Some(raw) = raw else {
        return Ok(Default::default());
    };
    let one = |v: &Option<Scalar>, path: KeyPath| match v {
        Some(v) => text(v, &path),
        None => Ok(String::new()),
    };
    let ko = one(&raw.ko, path.key("ko"))?;
    let en = one(&raw.en, path.key("en"))?;
    if en.is_empty() && !ko.is_empty() {
        return Err(Issue::at(
            &path.key("en"),
            "give the English text too (`en:`): it is the one every language falls back to"
                .to_string(),
        ));
    }
    Ok((en, ko))
}

pub(super) fn text(value: &Scalar, path: &KeyPath) -> Res<String> {
    match value {
        Scalar::Str(s) => Ok(s.clone()),
        // `azs: [1, 2]` is a fair way to name AZs; keep it.
        Scalar::Int(n) => Ok(n.to_string()),
        other => Err(Issue::at(path, format!("expected text, got {other}"))),
    }
}

pub(super) fn duration_of(value: &Scalar) -> Result<SimTime, String> {
    match value {
        Scalar::Str(s) => units::parse_duration(s),
        Scalar::Int(n) => units::duration_from_number(*n as f64),
        Scalar::Float(x) => units::duration_from_number(*x),
        Scalar::Bool(_) => Err(format!(
            "expected a duration like 250ms, 30s or 10m, got {value}"
        )),
    }
}

/// A duration that may be zero.
pub(super) fn duration_or(
    value: &Option<Scalar>,
    path: &KeyPath,
    default: SimTime,
) -> Res<SimTime> {
    match value {
        None => Ok(default),
        Some(v) => duration_of(v).map_err(|m| Issue::at(path, m)),
    }
}

/// A duration that must be greater than zero.
pub(super) fn positive_duration(
    value: &Option<Scalar>,
    path: &KeyPath,
    default: SimTime,
) -> Res<SimTime> {
    let t = duration_or(value, path, default)?;
    if t == 0 {
        let got = value
            .as_ref()
            .map(|v| v.to_string())
            .unwrap_or_else(|| "0".into());
        return Err(Issue::at(
            path,
            format!("must be greater than 0, got {got}"),
        ));
    }
    Ok(t)
}

pub(super) fn whole(
    value: &Option<Scalar>,
    path: &KeyPath,
    default: u64,
    min: u64,
    max: u64,
) -> Res<u64> {
    let Some(v) = value else { return Ok(default) };
    // Type limits (u32, u64) are not a rule the user needs to read.
    let open_ended = max >= u64::from(u32::MAX);
    let range = if open_ended {
        format!("a whole number, {min} or more")
    } else {
        format!("a whole number from {min} to {max}")
    };
    let n: Option<i128> = match v {
        Scalar::Int(n) => Some(*n),
        // `2.0` is a whole number written with a point; `2.5` is not.
        Scalar::Float(x) if x.fract() == 0.0 && x.abs() < 1e30 => Some(*x as i128),
        _ => None,
    };
    match n {
        Some(n) if n >= i128::from(min) && n <= i128::from(max) => Ok(n as u64),
        Some(n) if open_ended && n > i128::from(max) => {
            Err(Issue::at(path, format!("must be at most {max}, got {v}")))
        }
        _ => Err(Issue::at(path, format!("expected {range}, got {v}"))),
    }
}

/// A whole number that fits the u32 fields of the config.
pub(super) fn count(
    value: &Option<Scalar>,
    path: &KeyPath,
    default: u32,
    min: u32,
    max: u32,
) -> Res<u32> {
    // The range is within u32, so the result fits.
    whole(value, path, default.into(), min.into(), max.into()).map(|n| n as u32)
}

/// A fraction written as a percentage (`20%`) or a number (`0.2`), at most
/// 1; `zero_ok` says whether 0 is allowed.
pub(super) fn fraction(
    value: &Option<Scalar>,
    path: &KeyPath,
    default: f64,
    zero_ok: bool,
) -> Res<f64> {
    let Some(v) = value else { return Ok(default) };
    let f = match v {
        Scalar::Str(s) => units::parse_fraction(s),
        Scalar::Int(n) => Ok(*n as f64),
        Scalar::Float(x) => Ok(*x),
        Scalar::Bool(_) => Err(format!(
            "expected a percentage like 99.9% or a fraction like 0.999, got {v}"
        )),
    }
    .map_err(|m| Issue::at(path, m))?;
    if !(0.0..=1.0).contains(&f) || (f == 0.0 && !zero_ok) {
        let range = if zero_ok {
            "from 0% to 100%"
        } else {
            "above 0% and at most 100%"
        };
        // `99` for 99%: the unit is the likely slip.
        let hint = if f > 1.0 && f <= 100.0 && !matches!(v, Scalar::Str(s) if s.contains('%')) {
            format!("; did you mean {f}%?")
        } else {
            String::new()
        };
        return Err(Issue::at(path, format!("must be {range}, got {v}{hint}")));
    }
    Ok(f)
}

fn boolean(value: &Option<Scalar>, path: &KeyPath, default: bool) -> Res<bool> {
    match value {
        None => Ok(default),
        Some(Scalar::Bool(b)) => Ok(*b),
        Some(other) => Err(Issue::at(
            path,
            format!("expected true or false, got {other}"),
        )),
    }
}

pub(super) fn choice<T: Copy>(
    value: &Option<Scalar>,
    path: &KeyPath,
    options: &[(&str, T)],
    default: T,
) -> Res<T> {
    let Some(v) = value else { return Ok(default) };
    let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
    let picked = choice_str(v, path, &names)?;
    // choice_str only returns one of `names`.
    Ok(options
        .iter()
        .find(|(n, _)| *n == picked)
        .map(|(_, t)| *t)
        .unwrap_or(default))
}

pub(super) fn choice_str<'a>(value: &Scalar, path: &KeyPath, names: &[&'a str]) -> Res<&'a str> {
    if let Scalar::Str(s) = value
        && let Some(n) = names.iter().find(|n| **n == s.as_str())
    {
        return Ok(n);
    }
    let given = match value {
        Scalar::Str(s) => s.clone(),
        other => other.to_string(),
    };
    Err(Issue::at(
        path,
        format!(
            "expected one of {}, got {value}{}",
            suggest::list(names),
            suggest::hint(&given, names)
        ),
    ))
}
