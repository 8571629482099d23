//! The languages a run's story can be told in (`sim explain --lang`): English
//! and Korean, the curriculum's own language. A closed set, so a plain enum
//! and a `match` next to each English text, no i18n framework.

/// A language of the timeline and the explain page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    Ko,
}

impl Lang {
    /// Every language, in the order `--lang` lists them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// `en` or `ko`.
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }

    /// The code `parse` takes back.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// The English or the Korean of a text.
    pub fn pick<T>(self, en: T, ko: T) -> T {
        match self {
            Lang::En => en,
            Lang::Ko => ko,
        }
    }
}

/// A heading or a field name of the explain page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Lesson,
    NoLesson,
    NoTranslation,
    Architecture,
    WhatHappened,
    Seed,
    TheNumbers,
    RequestsIssued,
    Availability,
    Dropped,
    FailoverLatency,
    TimeToDetect,
    LostWrites,
    SessionsLost,
    P99Latency,
    InstanceHours,
    IdleStandbyHours,
    WriteConflicts,
    DbIdleStandbyHours,
    Masked,
    NeverRecovered,
    NoAlarm,
    Expectations,
    NotChecked,
    Holds,
    Fails,
}

impl Label {
    pub const ALL: [Label; 26] = [
        Label::Lesson,
        Label::NoLesson,
        Label::NoTranslation,
        Label::Architecture,
        Label::WhatHappened,
        Label::Seed,
        Label::TheNumbers,
        Label::RequestsIssued,
        Label::Availability,
        Label::Dropped,
        Label::FailoverLatency,
        Label::TimeToDetect,
        Label::LostWrites,
        Label::SessionsLost,
        Label::P99Latency,
        Label::InstanceHours,
        Label::IdleStandbyHours,
        Label::WriteConflicts,
        Label::DbIdleStandbyHours,
        Label::Masked,
        Label::NeverRecovered,
        Label::NoAlarm,
        Label::Expectations,
        Label::NotChecked,
        Label::Holds,
        Label::Fails,
    ];
}

/// The words of `sim explain`: its headings, the rows of its numbers and
/// what a missing figure means.
pub fn label(lang: Lang, key: Label) -> &'static str {
    let (en, ko) = match key {
        Label::Lesson => ("Lesson", "배울 점"),
        Label::NoLesson => (
            "(this file has no `lesson:`; the numbers below still tell the story)",
            "(이 파일에는 `lesson:`이 없습니다. 아래 수치가 결과를 보여 줍니다)",
        ),
        Label::NoTranslation => (
            "(this description has no translation yet)",
            "(이 설명은 아직 한국어 번역이 없어 영어로 표시합니다)",
        ),
        Label::Architecture => ("Architecture", "아키텍처"),
        Label::WhatHappened => ("What happened", "무슨 일이 있었나"),
        Label::Seed => ("seed", "시드"),
        Label::TheNumbers => ("The numbers", "수치"),
        Label::RequestsIssued => ("requests issued", "요청 수"),
        Label::Availability => ("availability", "가용성"),
        Label::Dropped => ("dropped", "실패한 요청"),
        Label::FailoverLatency => ("failover latency", "장애 조치 시간"),
        Label::TimeToDetect => ("time to detect (alarm)", "탐지 시간(알람)"),
        Label::LostWrites => ("lost writes", "유실된 쓰기"),
        Label::SessionsLost => ("sessions lost", "유실된 세션"),
        Label::P99Latency => ("p99 latency", "p99 지연 시간"),
        Label::InstanceHours => ("instance-hours", "인스턴스 시간"),
        Label::IdleStandbyHours => ("idle standby hours", "유휴 스탠바이 시간"),
        Label::WriteConflicts => ("write conflicts", "쓰기 충돌"),
        Label::DbIdleStandbyHours => ("idle database standby hours", "유휴 DB 스탠바이 시간"),
        Label::Masked => ("0 s (masked: no visible impact)", "0초 (영향 없음)"),
        Label::NeverRecovered => ("never recovered", "복구되지 않음"),
        Label::NoAlarm => ("no alarm fired", "알람 없음"),
        Label::Expectations => ("Expectations", "기대값 확인"),
        Label::NotChecked => (
            "Expectations not checked: --set changes the scenario they were written for",
            "기대값은 확인하지 않음: --set으로 시나리오가 바뀌었습니다",
        ),
        Label::Holds => ("holds", "충족"),
        Label::Fails => ("FAILS", "미충족"),
    };
    lang.pick(en, ko)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_back_and_anything_else_is_refused() {
        for l in Lang::ALL {
            assert_eq!(Lang::parse(l.code()), Some(l));
        }
        assert_eq!(Lang::parse("kr"), None);
        assert_eq!(Lang::parse("KO"), None);
        assert_eq!(Lang::default(), Lang::En);
    }

    #[test]
    fn every_label_has_a_korean_text_in_hangul() {
        let hangul = |c: char| ('\u{AC00}'..='\u{D7A3}').contains(&c);
        let mut seen = Vec::new();
        for key in Label::ALL {
            let (en, ko) = (label(Lang::En, key), label(Lang::Ko, key));
            assert!(en.is_ascii() && !en.is_empty(), "{key:?}: {en}");
            assert!(ko.chars().any(hangul), "{key:?} has no Korean: {ko}");
            assert!(!seen.contains(&ko), "{key:?} repeats {ko}");
            seen.push(ko);
        }
    }
}
