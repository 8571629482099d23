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
    Scenario,
    Description,
    Lesson,
    Architecture,
    WhatHappened,
    Timeline,
    TheNumbers,
    Availability,
    RequestsIssued,
    Succeeded,
    Dropped,
    FailoverLatency,
    TimeToDetect,
    LostWrites,
    SessionsLost,
    P99Latency,
    InstanceHours,
    Expectations,
    Holds,
    Fails,
    Recovered,
    NeverRecovered,
    Masked,
}

impl Label {
    /// Every label, for tests and tables.
    pub const ALL: [Label; 23] = [
        Label::Scenario,
        Label::Description,
        Label::Lesson,
        Label::Architecture,
        Label::WhatHappened,
        Label::Timeline,
        Label::TheNumbers,
        Label::Availability,
        Label::RequestsIssued,
        Label::Succeeded,
        Label::Dropped,
        Label::FailoverLatency,
        Label::TimeToDetect,
        Label::LostWrites,
        Label::SessionsLost,
        Label::P99Latency,
        Label::InstanceHours,
        Label::Expectations,
        Label::Holds,
        Label::Fails,
        Label::Recovered,
        Label::NeverRecovered,
        Label::Masked,
    ];
}

/// `label` in `lang`: lower case in English, as the report's headings are.
pub fn label(lang: Lang, key: Label) -> &'static str {
    let (en, ko) = match key {
        Label::Scenario => ("scenario", "시나리오"),
        Label::Description => ("description", "설명"),
        Label::Lesson => ("lesson", "배울 점"),
        Label::Architecture => ("architecture", "아키텍처"),
        Label::WhatHappened => ("what happened", "일어난 일"),
        Label::Timeline => ("timeline", "타임라인"),
        Label::TheNumbers => ("the numbers", "주요 수치"),
        Label::Availability => ("availability", "가용성"),
        Label::RequestsIssued => ("requests issued", "전체 요청"),
        Label::Succeeded => ("succeeded", "성공"),
        Label::Dropped => ("dropped", "실패"),
        Label::FailoverLatency => ("failover latency", "장애 조치 시간"),
        Label::TimeToDetect => ("time to detect", "감지 시간"),
        Label::LostWrites => ("lost writes", "유실된 쓰기"),
        Label::SessionsLost => ("sessions lost", "유실된 세션"),
        Label::P99Latency => ("p99 latency", "p99 지연 시간"),
        Label::InstanceHours => ("instance-hours", "인스턴스 시간"),
        Label::Expectations => ("expectations", "기대 조건"),
        Label::Holds => ("holds", "충족"),
        Label::Fails => ("fails", "미충족"),
        Label::Recovered => ("recovered", "복구됨"),
        Label::NeverRecovered => ("never recovered", "복구되지 않음"),
        Label::Masked => ("masked (no visible impact)", "영향 없음(masked)"),
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
