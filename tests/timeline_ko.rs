//! The timeline told in Korean (`sim explain --lang ko`): every line of every
//! shipped scenario is Korean, not English left behind, and the English
//! story is the one `timeline.txt` has always had.

mod common;
use common::scenario_files;

use failover_sim::metrics::NullSink;
use failover_sim::model::{RunOutput, simulate};
use failover_sim::report::text::human_secs;
use failover_sim::report::timeline::{self, Entry};
use failover_sim::report::{Lang, Summary};
use failover_sim::scenario::{Scenario, load_file, load_str};

fn run(s: &Scenario) -> (Summary, RunOutput) {
    let out = simulate(s, Box::new(NullSink), None);
    (Summary::new(s, &out), out)
}

/// Lines no shipped scenario reaches: a warm standby taking over and going
/// idle again, a latency fault, and faults the run never recovers from.
const STANDBY: &str = "
azs: [a, b]
duration: 5m
load_balancer:
  standby_azs: [b]
  health_check: { interval: 5s, timeout: 2s, healthy_threshold: 2, unhealthy_threshold: 2 }
app: { instances_per_az: 2, workers: 4, service_time: { dist: exponential, mean: 10ms }, boot_time: 0s }
workload: { rate: 200/s, timeout: 1s, retries: 0 }
faults:
  - { at: 30s, kind: latency, instance: a-2, extra: 1s, duration: 20s }
  - { at: 1m, kind: az_outage, az: a, duration: 2m }
";
const NEVER: &str = "
azs: [a]
duration: 3m
app: { instances_per_az: 1 }
workload: { rate: 50/s }
database: { mode: multi_az }
faults:
  - { at: 1m, kind: instance_crash, instance: a-1 }
  - { at: 2m, kind: db_standby_failure }
";

/// Every scenario whose story the Korean timeline must tell.
fn scenarios() -> Vec<Scenario> {
    let mut all: Vec<Scenario> = scenario_files()
        .iter()
        .map(|f| load_file(f, &[]).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    for (text, stem) in [(STANDBY, "standby"), (NEVER, "never")] {
        all.push(load_str(text, stem, stem, &[]).unwrap_or_else(|e| panic!("{e}")));
    }
    all
}

fn is_hangul(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// English words of 4 letters or more in `line`, once the names the
/// scenario gave (AZs, instances, alarms and their conditions, fault kinds)
/// are taken out, and English glosses right after a Korean term, as in
/// `대상(target)`, are allowed.
fn english_words(line: &str, names: &[String]) -> Vec<String> {
    let mut text = line.to_string();
    for n in names {
        text = text.replace(n.as_str(), " ");
    }
    // Blank out the glosses: `(` after Hangul, ASCII letters up to `)`.
    let chars: Vec<char> = text.chars().collect();
    let mut keep = vec![true; chars.len()];
    for i in 1..chars.len() {
        if chars[i] != '(' || !is_hangul(chars[i - 1]) {
            continue;
        }
        if let Some(len) = chars[i + 1..].iter().position(|&c| c == ')') {
            let inner = &chars[i + 1..i + 1 + len];
            if inner
                .iter()
                .all(|c| c.is_ascii_alphabetic() || *c == ' ' || *c == '-')
            {
                keep[i + 1..i + 1 + len].fill(false);
            }
        }
    }
    let text: String = chars
        .iter()
        .zip(keep)
        .map(|(&c, k)| if k { c } else { ' ' })
        .collect();
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 4)
        .map(str::to_string)
        .collect()
}

/// What a line may name in English: the scenario's own words.
fn names(s: &Scenario, sum: &Summary) -> Vec<String> {
    let mut names: Vec<String> = s.azs.clone();
    names.extend(s.regions.iter().map(|r| r.name.clone()));
    for a in &sum.alarms {
        names.push(a.condition.clone());
        names.push(a.name.clone());
    }
    for f in &sum.faults {
        names.push(f.kind.to_string());
    }
    names.push("timeline.txt".into());
    // Product names stay as AWS writes them.
    names.push("Route 53".into());
    // Longest first, so a name inside another goes with it.
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names
}

#[test]
fn the_english_check_finds_english_and_passes_names_and_glosses() {
    let names = vec!["az_outage".to_string(), "high-error-rate".to_string()];
    assert_eq!(
        english_words("the load balancer marks a-1 unhealthy", &names),
        ["load", "balancer", "marks", "unhealthy"]
    );
    assert!(english_words("장애 #0(AZ a의 az_outage) 시작, 20m 동안 지속", &names).is_empty());
    assert!(english_words("알람 high-error-rate 해제(OK)", &names).is_empty());
    assert!(english_words("장애 조치(failover) 시작: 대상(target)", &names).is_empty());
    // A gloss is English in parentheses right after Korean, nothing more.
    assert_eq!(
        english_words("장애 발생 (failover latency 1m)", &names),
        ["failover", "latency"]
    );
    assert_eq!(
        english_words("오토 스케일링 launches a-1", &names),
        ["launches"]
    );
}

/// Each shipped scenario (and two that reach the rarer lines) told in
/// Korean: every line has Korean in it and no English left over; the
/// English story is unchanged by the Korean one's existence.
#[test]
fn every_timeline_line_has_a_korean_version() {
    let mut kinds = std::collections::BTreeSet::new();
    for s in scenarios() {
        let (sum, out) = run(&s);
        let en = timeline::entries(&s, &sum, &out);
        assert_eq!(en, timeline::entries_in(&s, &sum, &out, Lang::En));
        let ko = timeline::entries_in(&s, &sum, &out, Lang::Ko);
        assert_eq!(ko.len(), en.len(), "{}", s.name);
        assert!(!ko.is_empty(), "{}", s.name);
        let names = names(&s, &sum);
        for (k, e) in ko.iter().zip(&en) {
            assert_eq!((k.at, k.kind), (e.at, e.kind), "{}", s.name);
            kinds.insert(e.kind);
            let line = k.render_text();
            assert!(line.chars().any(is_hangul), "{}: {line}", s.name);
            let words = english_words(&line, &names);
            assert!(words.is_empty(), "{}: {words:?} in {line}", s.name);
        }
        let text = timeline::render_in(&ko, out.events_left_out, 3, Lang::Ko);
        let words = english_words(&text, &names);
        assert!(words.is_empty(), "{}: {words:?} in\n{text}", s.name);
    }
    // The runs reach every kind of line there is.
    let all = [
        "alarm",
        "autoscaling",
        "cache",
        "database",
        "dns",
        "fault",
        "health",
        "instance",
        "recovery",
        "session_store",
        "standby",
    ];
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), all);
}

fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no {needle:?} in\n{text}"))
}

#[test]
fn az_outage_in_korean_tells_the_fault_the_lb_and_the_recovery() {
    let s = load_file("scenarios/az-outage.yaml".as_ref(), &[]).unwrap();
    let (sum, out) = run(&s);
    let ko: Vec<Entry> = timeline::entries_in(&s, &sum, &out, Lang::Ko);
    let text = timeline::render_in(&ko, out.events_left_out, usize::MAX, Lang::Ko);

    let start = line_with(&text, "장애 #0(AZ a의 az_outage) 시작, 20m 동안 지속");
    assert!(start.starts_with("00:10:00.000  "), "{start}");
    assert!(text.contains("a-1, a-2의 전원이 꺼짐"), "{text}");
    line_with(
        &text,
        "로드 밸런서가 a-2의 상태를 비정상으로 표시하고 라우팅을 중단함",
    );
    let f = &sum.faults[0];
    let recovered = line_with(&text, "장애 #0에서 서비스 복구");
    let latency = human_secs(f.failover_latency_s.expect("recovers"));
    assert!(
        recovered.contains(&format!("장애 조치 시간 {latency},")),
        "{recovered}"
    );
    let dropped = failover_sim::report::text::grouped(f.dropped);
    assert!(
        recovered.contains(&format!("실패한 요청 {dropped}건")),
        "{recovered}"
    );
    // Cause before effect, as in English.
    let pos = |needle: &str| text.find(needle).unwrap();
    assert!(pos("az_outage) 시작") < pos("비정상으로 표시"));
    assert!(pos("비정상으로 표시") < pos("서비스 복구"));
    // The closing lines speak Korean too.
    let short = timeline::render_in(&ko, 7, 2, Lang::Ko);
    assert!(
        short.contains(&format!(
            "... 나머지 {}줄은 timeline.txt에 있음",
            ko.len() - 2
        )),
        "{short}"
    );
    assert!(
        short.contains("이후 상태 변화 7건은 기록하지 않음"),
        "{short}"
    );
}
