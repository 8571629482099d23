//! `timeline.txt` and `sim run --explain`: the run told as a story of its
//! key events in time order (a fault starts, health checks fail, the load
//! balancer gives up on a target, a replacement launches, the database
//! promotes a standby, an alarm fires, the service recovers), so a learner
//! can follow cause and effect. Told in English or in Korean ([`Lang`]):
//! each Korean template sits next to its English one.

use std::fmt::Write;

use crate::engine::{NANOS_PER_MILLI, NANOS_PER_SEC, SimTime, as_secs_f64};
use crate::model::{RunOutput, TraceEvent};
use crate::scenario::Scenario;

use super::Summary;
use super::lang::Lang;
use super::text::human_secs;

/// One line of the story.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: SimTime,
    /// What kind of moment it is: `fault`, `instance`, `health`, `dns`,
    /// `standby`, `database`, `cache`, `session_store`, `autoscaling`, `alarm`,
    /// `recovery`.
    pub kind: &'static str,
    pub text: String,
    /// Subjects merged into this line (instances that changed together).
    subjects: Vec<String>,
    /// Events with the same key at the same time merge into one line.
    key: Option<String>,
    lang: Lang,
}

impl Entry {
    fn new(at: SimTime, kind: &'static str, text: String) -> Entry {
        Entry {
            at,
            kind,
            text,
            subjects: Vec::new(),
            key: None,
            lang: Lang::En,
        }
    }

    /// A line about `subject` that merges with others of the same `key` at
    /// the same time: "a-1, a-2 lose power".
    fn grouped(at: SimTime, kind: &'static str, subject: &str, key: String, text: &str) -> Entry {
        Entry {
            at,
            kind,
            text: text.to_string(),
            subjects: vec![subject.to_string()],
            key: Some(key),
            lang: Lang::En,
        }
    }

    pub fn render_text(&self) -> String {
        if self.subjects.is_empty() {
            return self.text.clone();
        }
        const SHOWN: usize = 6;
        let n = self.subjects.len();
        let mut names = self.subjects[..n.min(SHOWN)].join(", ");
        if n > SHOWN {
            let more = n - SHOWN;
            let _ = match self.lang {
                Lang::En => write!(names, " and {more} more"),
                // Subjects are instances, counted as machines.
                Lang::Ko => write!(names, " 외 {more}대"),
            };
        }
        // The placeholder comes before any user text (an AZ name) that
        // might itself contain `{}`, in every template of every language.
        self.text.replacen("{}", &names, 1)
    }
}

/// `01:02:03.450`: hours, minutes, seconds and milliseconds.
pub fn clock(t: SimTime) -> String {
    let ms = t / NANOS_PER_MILLI;
    let s = ms / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        s / 3600,
        s / 60 % 60,
        s % 60,
        ms % 1000
    )
}

fn at_secs(s: f64) -> SimTime {
    (s * NANOS_PER_SEC as f64).round() as SimTime
}

fn instance_status(status: &str, lang: Lang) -> &'static str {
    match (status, lang) {
        ("off", Lang::En) => "{} lose power",
        ("off", Lang::Ko) => "{}의 전원이 꺼짐",
        ("crashed", Lang::En) => "{} crash",
        ("crashed", Lang::Ko) => "{}에서 크래시 발생",
        ("hung", Lang::En) => "{} hang: they accept work and never answer",
        ("hung", Lang::Ko) => "{}에서 행(hang) 발생: 요청은 받지만 응답하지 않음",
        ("booting", Lang::En) => "{} boot",
        ("booting", Lang::Ko) => "{} 부팅 시작",
        ("up", Lang::En) => "{} are up and serving requests",
        ("up", Lang::Ko) => "{} 기동 완료: 요청 처리 시작",
        (_, Lang::En) => "{} change status",
        (_, Lang::Ko) => "{} 상태 변경",
    }
}

fn asg_reason(reason: &str, lang: Lang) -> &str {
    match (reason, lang) {
        ("capacity", Lang::En) => "to reach the desired capacity",
        ("capacity", Lang::Ko) => "원하는 용량 충족",
        ("rebalance", Lang::En) => "to rebalance the AZs",
        ("rebalance", Lang::Ko) => "가용 영역 간 균형 재조정",
        ("scale_in", Lang::En) => "to scale in",
        ("scale_in", Lang::Ko) => "스케일 인",
        ("elb_health_check", Lang::En) => "failed its ELB health checks",
        ("elb_health_check", Lang::Ko) => "ELB 헬스 체크 실패",
        ("ec2_status_check", Lang::En) => "failed its EC2 status check",
        ("ec2_status_check", Lang::Ko) => "EC2 상태 검사 실패",
        ("scheduled", Lang::En) => "scheduled action",
        ("scheduled", Lang::Ko) => "예약된 작업",
        ("target_tracking", Lang::En) => "target tracking",
        ("target_tracking", Lang::Ko) => "대상 추적 조정",
        ("step", Lang::En) => "step scaling",
        ("step", Lang::Ko) => "단계 조정",
        (other, _) => other,
    }
}

/// `AZ b` or `AZs b, c` (Korean nouns have no plural).
fn az_list(azs: &[String], lang: Lang) -> String {
    let s = if azs.len() == 1 || lang == Lang::Ko {
        ""
    } else {
        "s"
    };
    format!("AZ{s} {}", azs.join(", "))
}

fn store_kind(store: &str) -> &'static str {
    if store == "cache" {
        "cache"
    } else {
        "session_store"
    }
}

/// A store's name as the line says it: `session store`, `세션 스토어`.
fn store_name(store: &str, lang: Lang) -> String {
    match (store, lang) {
        ("cache", Lang::Ko) => "캐시".into(),
        ("session_store", Lang::Ko) => "세션 스토어".into(),
        _ => store.replace('_', " "),
    }
}

/// A database node's role in Korean (`primary` stays in English).
fn role_name(role: &str, lang: Lang) -> &str {
    match (role, lang) {
        ("primary", Lang::Ko) => "프라이머리",
        ("standby", Lang::Ko) => "스탠바이",
        ("replica", Lang::Ko) => "레플리카",
        ("writer", Lang::Ko) => "라이터",
        (r, _) => r,
    }
}

/// What a fault hit, from the summary's `az a`, `instance a-1`,
/// `database primary`...
fn fault_target(target: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return target.to_string();
    }
    if let Some(az) = target.strip_prefix("az ") {
        return format!("AZ {az}");
    }
    if let Some(name) = target.strip_prefix("instance ") {
        return format!("인스턴스 {name}");
    }
    if let Some(region) = target.strip_prefix("region ") {
        return format!("리전 {region}");
    }
    if let Some(node) = target.strip_prefix("database writer ") {
        return format!("데이터베이스 라이터 {node}");
    }
    match target {
        "database primary" => "데이터베이스 프라이머리",
        "database standby" => "데이터베이스 스탠바이",
        "cache primary" => "캐시 프라이머리",
        "session store primary" => "세션 스토어 프라이머리",
        other => other,
    }
    .to_string()
}

/// How an alarm decides, in Korean from the scenario's rule; the summary's
/// English `rule` otherwise.
fn alarm_rule(s: &Scenario, a: &super::summary::AlarmSummary, lang: Lang) -> String {
    use crate::scenario::{Rule, format_duration as fd};
    let rule = s.monitoring.alarms.iter().find(|x| x.name == a.name);
    match (lang, rule.map(|x| x.rule)) {
        (
            Lang::Ko,
            Some(Rule::CloudWatch {
                period,
                evaluation_periods,
                datapoints,
                ..
            }),
        ) => format!(
            "{} 단위 데이터 포인트 {evaluation_periods}개 중 {datapoints}개",
            fd(period)
        ),
        (Lang::Ko, Some(Rule::Prometheus { range, for_ })) => {
            format!("{} 구간 값, {} 동안 지속", fd(range), fd(for_))
        }
        _ => a.rule.clone(),
    }
}

fn from_event(
    s: &Scenario,
    sum: &Summary,
    at: SimTime,
    e: &TraceEvent,
    lang: Lang,
) -> Option<Entry> {
    let hc = s.load_balancer.health_check.as_ref();
    let standby = match (lang, s.load_balancer.standby_mode.name()) {
        (Lang::Ko, "cold") => "콜드",
        (Lang::Ko, _) => "웜",
        (_, name) => name,
    };
    let fault_name = |i: usize| {
        sum.faults
            .get(i)
            .map_or(format!("{} #{i}", lang.pick("fault", "장애")), |f| {
                let target = fault_target(&f.target, lang);
                match lang {
                    Lang::En => format!("fault #{i} ({} on {target})", f.kind),
                    Lang::Ko => format!("장애 #{i}({target}의 {})", f.kind),
                }
            })
    };
    Some(match e {
        TraceEvent::FaultStart { fault, .. } => {
            let span = sum
                .faults
                .get(*fault)
                .and_then(|f| {
                    let span = human_secs(f.end_s? - f.start_s);
                    Some(match lang {
                        Lang::En => format!(", for {span}"),
                        Lang::Ko => format!(", {span} 동안 지속"),
                    })
                })
                .unwrap_or_default();
            let name = fault_name(*fault);
            Entry::new(
                at,
                "fault",
                match lang {
                    Lang::En => format!("{name} starts{span}"),
                    Lang::Ko => format!("{name} 시작{span}"),
                },
            )
        }
        TraceEvent::FaultEnd { fault, .. } => {
            let name = fault_name(*fault);
            Entry::new(
                at,
                "fault",
                match lang {
                    Lang::En => format!("{name} ends"),
                    Lang::Ko => format!("{name} 종료"),
                },
            )
        }
        TraceEvent::InstanceStatus { instance, status } => Entry::grouped(
            at,
            "instance",
            instance,
            format!("status {status}"),
            instance_status(status, lang),
        ),
        TraceEvent::HealthCheckFailed {
            instance,
            threshold,
        } => {
            let every = human_secs(as_secs_f64(hc?.interval));
            Entry::grouped(
                at,
                "health",
                instance,
                "check failed".into(),
                &match lang {
                    Lang::En => format!(
                        "a health check of {{}} fails ({threshold} in a row mark a target unhealthy, every {every})"
                    ),
                    Lang::Ko => format!(
                        "{{}}의 헬스 체크 실패({every} 간격, {threshold}회 연속 실패하면 대상(target)을 비정상으로 표시)"
                    ),
                },
            )
        }
        TraceEvent::TargetHealth { instance, health } => match *health {
            "unhealthy" => Entry::grouped(
                at,
                "health",
                instance,
                "unhealthy".into(),
                lang.pick(
                    "the load balancer marks {} unhealthy and stops routing to them",
                    "로드 밸런서가 {}의 상태를 비정상으로 표시하고 라우팅을 중단함",
                ),
            ),
            "healthy" => Entry::grouped(
                at,
                "health",
                instance,
                "healthy".into(),
                &match (lang, hc) {
                    (Lang::En, Some(hc)) => format!(
                        "the load balancer marks {{}} healthy after {} passing checks: they get traffic",
                        hc.healthy_threshold
                    ),
                    (Lang::Ko, Some(hc)) => format!(
                        "로드 밸런서가 {{}}의 상태를 정상으로 표시(헬스 체크 {}회 연속 통과): 다시 트래픽을 받음",
                        hc.healthy_threshold
                    ),
                    (Lang::En, None) => "{} join the load balancer's targets and get traffic at once (no health checks)".to_string(),
                    (Lang::Ko, None) => "{}: 로드 밸런서 대상에 등록되어 바로 트래픽을 받음(헬스 체크 없음)".to_string(),
                },
            ),
            _ => return None,
        },
        TraceEvent::Dns { lb_node, in_dns } => Entry::new(
            at,
            "dns",
            match (lang, *in_dns) {
                (Lang::En, true) => {
                    format!("DNS lists the load balancer node in AZ {lb_node} again")
                }
                (Lang::En, false) => format!(
                    "DNS stops returning the load balancer node in AZ {lb_node}; clients notice as their cached answers expire"
                ),
                (Lang::Ko, true) => {
                    format!("DNS가 AZ {lb_node}의 로드 밸런서 노드를 다시 반환함")
                }
                (Lang::Ko, false) => format!(
                    "DNS가 AZ {lb_node}의 로드 밸런서 노드를 더 이상 반환하지 않음: 클라이언트는 캐시된 응답이 만료되어야 이를 알아챔"
                ),
            },
        ),
        TraceEvent::StandbyInUse { azs } => {
            let azs = az_list(azs, lang);
            Entry::new(
                at,
                "standby",
                match lang {
                    Lang::En => format!(
                        "no load balancer node has a healthy target in an active AZ: traffic fails over to the {standby} standby in {azs}"
                    ),
                    Lang::Ko => format!(
                        "활성 가용 영역(AZ)의 어느 로드 밸런서 노드에도 정상 대상이 없음: 트래픽이 {azs}의 {standby} 스탠바이로 장애 조치(failover)됨"
                    ),
                },
            )
        }
        TraceEvent::StandbyIdle { azs } => {
            let azs = az_list(azs, lang);
            Entry::new(
                at,
                "standby",
                match lang {
                    Lang::En => format!(
                        "the load balancer stops routing to the {standby} standby in {azs}: it is idle again"
                    ),
                    Lang::Ko => format!(
                        "로드 밸런서가 {azs}의 {standby} 스탠바이로 라우팅을 중단함: 스탠바이는 다시 유휴 상태"
                    ),
                },
            )
        }
        TraceEvent::ColdStandbyTriggered { azs, start_delay_s } => {
            let azs = az_list(azs, lang);
            let delay = human_secs(*start_delay_s);
            Entry::new(
                at,
                "standby",
                match lang {
                    Lang::En => format!(
                        "cold standby: failover triggered (no load balancer node has a healthy target in an active AZ); the automation starts {azs} in {delay}"
                    ),
                    Lang::Ko => format!(
                        "콜드 스탠바이: 장애 조치(failover) 시작(활성 AZ의 어느 로드 밸런서 노드에도 정상 대상이 없음), 자동화가 {delay} 후 {azs}의 인스턴스를 시작함"
                    ),
                },
            )
        }
        TraceEvent::ColdStandbyStarting { instances } => {
            let names = instances.join(", ");
            let n = hc.map_or(0, |h| h.healthy_threshold);
            Entry::new(
                at,
                "standby",
                match lang {
                    Lang::En => format!(
                        "cold standby: starting {names} (failover triggered); they boot, then need {n} passing health checks before they get traffic"
                    ),
                    Lang::Ko => format!(
                        "콜드 스탠바이: {names} 시작(장애 조치), 부팅 후 헬스 체크 {n}회 연속 통과해야 트래픽을 받음"
                    ),
                },
            )
        }
        TraceEvent::DbNode { node, role, up } => {
            let role = role_name(role, lang);
            Entry::new(
                at,
                "database",
                match lang {
                    Lang::En => format!(
                        "database node {node} ({role}) {}",
                        if *up { "is back" } else { "goes down" }
                    ),
                    Lang::Ko => format!(
                        "데이터베이스 노드 {node}({role}) {}",
                        if *up { "복구됨" } else { "다운됨" }
                    ),
                },
            )
        }
        TraceEvent::DbFailover { phase, node } => Entry::new(
            at,
            "database",
            match (lang, *phase) {
                (Lang::En, "detected") => format!(
                    "the database notices its primary is gone and starts a failover (node {node})"
                ),
                (Lang::En, "promoted") => format!("database node {node} is promoted to primary"),
                (Lang::En, other) => format!("database failover: {other} (node {node})"),
                (Lang::Ko, "detected") => format!(
                    "데이터베이스가 프라이머리 장애를 감지하고 장애 조치(failover) 시작(노드 {node})"
                ),
                (Lang::Ko, "promoted") => {
                    format!("데이터베이스 노드 {node} 프라이머리로 승격")
                }
                (Lang::Ko, other) => format!("데이터베이스 장애 조치: {other}(노드 {node})"),
            },
        ),
        TraceEvent::DbRedirect {
            node,
            to,
            lost_writes,
        } => Entry::new(
            at,
            "database",
            match (lang, to) {
                (Lang::En, Some(to)) => format!(
                    "the app instances notice database writer {node} is gone and send its traffic to writer {to}, with no promotion; {lost_writes} acknowledged writes it had not replicated yet are lost"
                ),
                (Lang::En, None) => format!(
                    "the app instances notice database writer {node} is gone, but no other writer is up: its traffic fails until one is back"
                ),
                (Lang::Ko, Some(to)) => format!(
                    "앱 인스턴스가 데이터베이스 라이터 {node}의 장애를 감지하고 트래픽을 라이터 {to}에 넘김(승격 없음): 아직 복제되지 않은 확인(ack)된 쓰기 {lost_writes}건 유실"
                ),
                (Lang::Ko, None) => format!(
                    "앱 인스턴스가 데이터베이스 라이터 {node}의 장애를 감지했으나 살아 있는 다른 라이터가 없음: 하나가 복구될 때까지 해당 트래픽 실패"
                ),
            },
        ),
        TraceEvent::StoreNode { store, node, up } => {
            let name = store_name(store, lang);
            Entry::new(
                at,
                store_kind(store),
                match lang {
                    Lang::En => format!(
                        "{name} node {node} {}",
                        if *up { "is back" } else { "goes down" }
                    ),
                    Lang::Ko => format!(
                        "{name} 노드 {node} {}",
                        if *up { "복구됨" } else { "다운됨" }
                    ),
                },
            )
        }
        TraceEvent::StoreFailover { store, node } => {
            let name = store_name(store, lang);
            Entry::new(
                at,
                store_kind(store),
                match lang {
                    Lang::En => format!("{name} replica {node} is promoted to primary"),
                    Lang::Ko => format!("{name} 레플리카 {node} 프라이머리로 승격"),
                },
            )
        }
        TraceEvent::Route53CheckFailed { region, threshold } => {
            let every = human_secs(s.dns.as_ref().map_or(0.0, |d| as_secs_f64(d.interval)));
            Entry::new(
                at,
                "dns",
                match lang {
                    Lang::En => format!(
                        "a Route 53 health check of region {region} fails ({threshold} in a row mark it unhealthy, every {every})"
                    ),
                    Lang::Ko => format!(
                        "리전 {region}의 Route 53 헬스 체크 실패({every} 간격, {threshold}회 연속 실패하면 비정상으로 표시)"
                    ),
                },
            )
        }
        TraceEvent::Route53Health { region, healthy } => {
            let n = s.dns.as_ref().map_or(0, |d| d.failure_threshold);
            Entry::new(
                at,
                "dns",
                match (lang, *healthy) {
                    (Lang::En, true) => format!(
                        "Route 53 marks region {region} healthy again after {n} passing checks"
                    ),
                    (Lang::En, false) => format!("Route 53 marks region {region} unhealthy"),
                    (Lang::Ko, true) => format!(
                        "Route 53이 리전 {region}의 상태를 다시 정상으로 표시(헬스 체크 {n}회 연속 통과)"
                    ),
                    (Lang::Ko, false) => {
                        format!("Route 53이 리전 {region}의 상태를 비정상으로 표시")
                    }
                },
            )
        }
        TraceEvent::DnsFailover { from, to } => {
            let back = s
                .dns
                .as_ref()
                .is_some_and(|d| s.regions[d.primary].name == *to);
            let ttl = human_secs(s.dns.as_ref().map_or(0.0, |d| as_secs_f64(d.ttl)));
            Entry::new(
                at,
                "dns",
                match lang {
                    Lang::En => format!(
                        "DNS fails {} from region {from} to region {to}; clients move as their cached answers expire over the {ttl} TTL",
                        if back { "back" } else { "over" }
                    ),
                    Lang::Ko => format!(
                        "DNS {}: 리전 {from}에서 리전 {to}에 대한 응답으로 전환, 클라이언트는 캐시된 응답이 TTL {ttl}에 걸쳐 만료되면서 이동",
                        if back {
                            "페일백"
                        } else {
                            "장애 조치(failover)"
                        }
                    ),
                },
            )
        }
        TraceEvent::DnsSettled { region } => Entry::new(
            at,
            "dns",
            match lang {
                Lang::En => format!("every client's cached DNS answer now names region {region}"),
                Lang::Ko => {
                    format!("모든 클라이언트의 캐시된 DNS 응답이 이제 {region} 리전을 가리킴")
                }
            },
        ),
        TraceEvent::AsgCapacity { from, to, reason } => {
            let why = asg_reason(reason, lang);
            Entry::new(
                at,
                "autoscaling",
                match lang {
                    Lang::En => format!(
                        "Auto Scaling sets the desired capacity from {from} to {to} ({why})"
                    ),
                    Lang::Ko => {
                        format!(
                            "오토 스케일링: 원하는 용량(desired capacity) {from} → {to} ({why})"
                        )
                    }
                },
            )
        }
        TraceEvent::AsgLaunch {
            instance,
            az,
            reason,
        } => {
            let why = asg_reason(reason, lang);
            Entry::grouped(
                at,
                "autoscaling",
                instance,
                format!("launch {az} {reason}"),
                &match lang {
                    Lang::En => format!("Auto Scaling launches {{}} in AZ {az} ({why})"),
                    Lang::Ko => format!("오토 스케일링: {{}} 인스턴스 시작(AZ {az}, {why})"),
                },
            )
        }
        TraceEvent::AsgTerminate { instance, reason } => {
            let failed = matches!(*reason, "elb_health_check" | "ec2_status_check");
            let why = match (lang, failed) {
                (Lang::En, true) => {
                    format!("it {}; a replacement follows", asg_reason(reason, lang))
                }
                (Lang::Ko, true) => {
                    format!("{}, 대체 인스턴스 시작 예정", asg_reason(reason, lang))
                }
                (_, false) => asg_reason(reason, lang).to_string(),
            };
            Entry::grouped(
                at,
                "autoscaling",
                instance,
                format!("terminate {reason}"),
                &match lang {
                    Lang::En => format!("Auto Scaling deregisters and terminates {{}} ({why})"),
                    Lang::Ko => format!("오토 스케일링: {{}} 등록 해제 후 종료({why})"),
                },
            )
        }
        TraceEvent::AsgTerminated { instance } => Entry::grouped(
            at,
            "autoscaling",
            instance,
            "terminated".into(),
            lang.pick("{} are terminated", "{} 종료 완료"),
        ),
    })
}

/// The key events of a run, in time order, in English.
pub fn entries(s: &Scenario, sum: &Summary, out: &RunOutput) -> Vec<Entry> {
    entries_in(s, sum, out, Lang::En)
}

/// The key events of a run, in time order, told in `lang`.
pub fn entries_in(s: &Scenario, sum: &Summary, out: &RunOutput, lang: Lang) -> Vec<Entry> {
    let mut list: Vec<Entry> = out
        .events
        .iter()
        .filter_map(|(at, e)| from_event(s, sum, *at, e, lang))
        .collect();
    if s.load_balancer.health_check.is_none() {
        list.extend(no_checks_entry(sum, lang));
    }
    let threshold = format!("{}%", s.metrics.threshold * 100.0);
    let window = human_secs(as_secs_f64(s.metrics.window));
    for (i, f) in sum.faults.iter().enumerate() {
        if !f.started {
            continue;
        }
        let start = at_secs(f.start_s);
        match f.verdict {
            "masked" => list.push(Entry::new(
                start,
                "recovery",
                match lang {
                    Lang::En => format!(
                        "fault #{i} is masked: the success ratio over {window} never falls below {threshold}"
                    ),
                    Lang::Ko => format!(
                        "장애 #{i} 영향 없음(masked): {window} 구간 성공률이 한 번도 {threshold} 아래로 떨어지지 않음"
                    ),
                },
            )),
            "not_recovered" => list.push(Entry::new(
                at_secs(sum.duration_s),
                "recovery",
                match lang {
                    Lang::En => format!("the run ends with fault #{i} not recovered"),
                    Lang::Ko => format!("장애 #{i}에서 복구되지 못한 채 실행 종료"),
                },
            )),
            _ => {}
        }
        if let (Some(r), Some(lat)) = (f.recovered_s, f.failover_latency_s) {
            let lat = human_secs(lat);
            let dropped = super::text::grouped(f.dropped);
            list.push(Entry::new(
                at_secs(r),
                "recovery",
                match lang {
                    Lang::En => format!(
                        "service recovered from fault #{i}: success ratio over {window} back at or above {threshold} (failover latency {lat}, {dropped} requests dropped)"
                    ),
                    Lang::Ko => format!(
                        "장애 #{i}에서 서비스 복구: {window} 구간 성공률이 다시 {threshold} 이상(장애 조치 시간 {lat}, 실패한 요청 {dropped}건)"
                    ),
                },
            ));
        }
        if let Some(c) = f.capacity_restored_s {
            list.push(Entry::new(
                at_secs(c),
                "recovery",
                match lang {
                    Lang::En => format!(
                        "full capacity back after fault #{i}: every target it took out is healthy again"
                    ),
                    Lang::Ko => format!(
                        "장애 #{i} 이후 전체 용량 복구: 장애로 빠졌던 대상이 모두 다시 정상"
                    ),
                },
            ));
        }
    }
    // A multi-writer database has no new primary: its `db_redirect` line
    // tells the move.
    if let Some(db) = sum.database.as_ref().filter(|db| db.mode != "multi_writer") {
        let endpoint = match (lang, db.endpoint) {
            (Lang::Ko, "proxy") => "프록시",
            (Lang::Ko, "dns") => "DNS",
            (_, e) => e,
        };
        for f in &db.failovers {
            if let (Some(sw), Some(outage)) = (f.endpoint_switched_s, f.write_outage_s) {
                let outage = human_secs(outage);
                let n = f.lost_writes;
                let lost = match (lang, n > 0) {
                    (_, false) => String::new(),
                    (Lang::En, true) => format!(", {n} acknowledged writes lost"),
                    (Lang::Ko, true) => format!(", 확인(ack)된 쓰기 {n}건 유실"),
                };
                list.push(Entry::new(
                    at_secs(sw),
                    "database",
                    match lang {
                        Lang::En => format!(
                            "every app instance reaches the new primary through the {endpoint} endpoint: writes were out for {outage}{lost}"
                        ),
                        Lang::Ko => format!(
                            "모든 앱 인스턴스가 {endpoint} 엔드포인트로 새 프라이머리에 연결: 쓰기 중단 {outage}{lost}"
                        ),
                    },
                ));
            }
        }
    }
    for a in &sum.alarms {
        for c in &a.changes {
            let name = &a.name;
            let text = if c.fired() {
                let detects: Vec<String> = sum
                    .faults
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.alarm.as_deref() == Some(name) && f.alarm_s == Some(c.at_s))
                    .map(|(i, f)| {
                        let after = human_secs(f.time_to_detect_s.unwrap_or(0.0));
                        match lang {
                            Lang::En => format!("fault #{i} detected {after} after it started"),
                            Lang::Ko => format!("장애 #{i} 시작 {after} 후 감지"),
                        }
                    })
                    .collect();
                let detects = if detects.is_empty() {
                    String::new()
                } else {
                    format!(": {}", detects.join(", "))
                };
                let (cond, rule) = (&a.condition, alarm_rule(s, a, lang));
                match lang {
                    Lang::En => format!("ALARM {name} fires: {cond} ({rule}){detects}"),
                    Lang::Ko => format!("알람 {name} 발생: {cond} ({rule}){detects}"),
                }
            } else {
                match lang {
                    Lang::En => format!("alarm {name} is OK again"),
                    Lang::Ko => format!("알람 {name} 해제(OK)"),
                }
            };
            list.push(Entry::new(c.at, "alarm", text));
        }
    }
    // At one instant the fault comes first: it is the cause.
    list.sort_by_key(|e| (e.at, e.kind != "fault"));
    for e in &mut list {
        e.lang = lang;
    }
    merge(list)
}

/// Once, at the first fault that hits app instances: without health checks
/// the load balancer never takes them out of service.
fn no_checks_entry(sum: &Summary, lang: Lang) -> Option<Entry> {
    let f = sum.faults.iter().find(|f| {
        f.started
            && matches!(
                f.kind,
                "instance_crash" | "instance_hang" | "az_outage" | "latency"
            )
    })?;
    let effect = match (lang, f.kind) {
        (Lang::En, "instance_crash") => "its connections are refused and clients may retry",
        (Lang::En, "latency") => "its answers are slower",
        (Lang::En, _) => "its attempts time out",
        (Lang::Ko, "instance_crash") => "연결이 거부되고 클라이언트는 재시도할 수 있음",
        (Lang::Ko, "latency") => "응답이 느려짐",
        (Lang::Ko, _) => "시도가 타임아웃됨",
    };
    let target = fault_target(&f.target, lang);
    Some(Entry::new(
        at_secs(f.start_s),
        "health",
        match lang {
            Lang::En => {
                format!("no health checks: the load balancer keeps routing to {target} ({effect})")
            }
            Lang::Ko => format!("헬스 체크 없음: 로드 밸런서가 계속 {target}에 라우팅함({effect})"),
        },
    ))
}

/// Merges same-time lines with the same key into one.
fn merge(list: Vec<Entry>) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::with_capacity(list.len());
    for e in list {
        if let Some(last) = out.last_mut()
            && last.at == e.at
            && last.key.is_some()
            && last.key == e.key
        {
            last.subjects.extend(e.subjects);
            continue;
        }
        out.push(e);
    }
    // A line about one subject reads in the singular (Korean has no
    // plural to change).
    for e in &mut out {
        if e.subjects.len() == 1 && e.lang == Lang::En {
            e.text = singular(&e.text);
        }
    }
    out
}

fn singular(text: &str) -> String {
    text.replace("{} lose power", "{} loses power")
        .replace("{} crash", "{} crashes")
        .replace(
            "{} hang: they accept work and never answer",
            "{} hangs: it accepts work and never answers",
        )
        .replace(
            "{} join the load balancer's targets and get traffic",
            "{} joins the load balancer's targets and gets traffic",
        )
        .replace("{} boot", "{} boots")
        .replace("{} are up", "{} is up")
        .replace("{} change status", "{} changes status")
        .replace("stops routing to them", "stops routing to it")
        .replace("checks: they get", "checks: it gets")
        .replace("{} are terminated", "{} is terminated")
}

/// The timeline as text in English, one line per entry; `limit` lines at
/// most (the rest counted).
pub fn render(entries: &[Entry], left_out: u64, limit: usize) -> String {
    render_in(entries, left_out, limit, Lang::En)
}

/// The timeline as text, one line per entry, with its closing lines in
/// `lang` (the entries carry the language they were built in).
pub fn render_in(entries: &[Entry], left_out: u64, limit: usize, lang: Lang) -> String {
    let mut o = String::new();
    for e in entries.iter().take(limit) {
        let _ = writeln!(o, "{}  {}", clock(e.at), e.render_text());
    }
    if entries.len() > limit {
        let more = entries.len() - limit;
        let _ = match lang {
            Lang::En => writeln!(o, "... and {more} more lines in timeline.txt"),
            Lang::Ko => writeln!(o, "... 나머지 {more}줄은 timeline.txt에 있음"),
        };
    }
    if left_out > 0 {
        let kept = crate::model::KEPT_EVENTS;
        let _ = match lang {
            Lang::En => writeln!(
                o,
                "... and {left_out} later state changes not kept (the first {kept} are)"
            ),
            Lang::Ko => writeln!(
                o,
                "... 이후 상태 변화 {left_out}건은 기록하지 않음(처음 {kept}건만 보관)"
            ),
        };
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_shows_hours_minutes_seconds_and_milliseconds() {
        assert_eq!(clock(0), "00:00:00.000");
        assert_eq!(clock(3_723_450 * NANOS_PER_MILLI), "01:02:03.450");
    }

    #[test]
    fn same_time_same_kind_lines_merge_and_read_in_the_right_number() {
        let list = vec![
            Entry::grouped(
                5,
                "instance",
                "a-1",
                "status off".into(),
                instance_status("off", Lang::En),
            ),
            Entry::grouped(
                5,
                "instance",
                "a-2",
                "status off".into(),
                instance_status("off", Lang::En),
            ),
            Entry::grouped(
                6,
                "instance",
                "a-3",
                "status off".into(),
                instance_status("off", Lang::En),
            ),
        ];
        let merged = merge(list);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].render_text(), "a-1, a-2 lose power");
        assert_eq!(merged[1].render_text(), "a-3 loses power");
    }

    #[test]
    fn long_groups_name_a_few_and_count_the_rest() {
        let list = (1..=10)
            .map(|i| Entry::grouped(1, "instance", &format!("a-{i}"), "k".into(), "{} crash"))
            .collect();
        let merged = merge(list);
        assert_eq!(
            merged[0].render_text(),
            "a-1, a-2, a-3, a-4, a-5, a-6 and 4 more crash"
        );
    }
    #[test]
    fn korean_lines_merge_without_a_plural_and_count_the_rest_as_machines() {
        let list = (1..=8)
            .map(|i| Entry {
                lang: Lang::Ko,
                ..Entry::grouped(
                    1,
                    "instance",
                    &format!("a-{i}"),
                    "k".into(),
                    instance_status("crashed", Lang::Ko),
                )
            })
            .chain(std::iter::once(Entry {
                lang: Lang::Ko,
                ..Entry::grouped(
                    2,
                    "instance",
                    "b-1",
                    "k".into(),
                    instance_status("crashed", Lang::Ko),
                )
            }))
            .collect();
        let merged = merge(list);
        assert_eq!(
            merged[0].render_text(),
            "a-1, a-2, a-3, a-4, a-5, a-6 외 2대에서 크래시 발생"
        );
        assert_eq!(merged[1].render_text(), "b-1에서 크래시 발생");
    }
}
