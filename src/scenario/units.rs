//! Human units: `250ms`, `1.5s`, `10m`, `1000/s`, `99.9%`. Parsing is exact
//! integer arithmetic for durations, so `0.1s` is exactly 100 000 000 ns and a
//! scenario means the same thing on every machine.

use crate::engine::SimTime;

const DURATION_UNITS: &str = "ns, us, ms, s, m, h, d";
const DURATION_EXAMPLE: &str = "a duration like 250ms, 30s or 10m";

/// Nanoseconds per unit, largest first (the order `format_duration` wants).
const UNITS: [(&str, u64); 7] = [
    ("d", 86_400_000_000_000),
    ("h", 3_600_000_000_000),
    ("m", 60_000_000_000),
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
    ("us", 1_000),
    ("ns", 1),
];

fn unit_nanos(unit: &str) -> Option<u64> {
    // Both micro signs: U+00B5 (keyboards) and U+03BC (Greek mu, copy-paste).
    let unit = match unit {
        "µs" | "μs" => "us",
        u => u,
    };
    UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, n)| *n)
}

/// Parses `250ms`, `1.5s`, `10m`, `2h`, `30d`, or `0` into nanoseconds.
pub fn parse_duration(text: &str) -> Result<SimTime, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("expected {DURATION_EXAMPLE}, got an empty value"));
    }
    if t.starts_with('-') {
        return Err(format!("a duration cannot be negative, got {t:?}"));
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = (&t[..split], t[split..].trim_start());
    let Some((whole, frac)) = split_decimal(number) else {
        return Err(format!("expected {DURATION_EXAMPLE}, got {t:?}"));
    };
    if unit.is_empty() {
        if whole.bytes().chain(frac.bytes()).all(|b| b == b'0') {
            return Ok(0);
        }
        return Err(format!(
            "add a unit, e.g. {number}s (units: {DURATION_UNITS}), got {t:?}"
        ));
    }
    let Some(per_unit) = unit_nanos(unit) else {
        return Err(format!(
            "unknown unit `{unit}` in {t:?}: expected {DURATION_EXAMPLE} (units: {DURATION_UNITS})"
        ));
    };
    scale(whole, frac, per_unit).ok_or_else(|| {
        format!("{t:?} is too long: durations must stay under about 584 years (2^64 ns)")
    })
}

/// A duration written as a bare YAML number: only zero needs no unit.
pub fn duration_from_number(x: f64) -> Result<SimTime, String> {
    if x == 0.0 {
        Ok(0)
    } else if !x.is_finite() {
        Err(format!("expected {DURATION_EXAMPLE}, got {x}"))
    } else if x < 0.0 {
        Err(format!("a duration cannot be negative, got {x}"))
    } else {
        Err(format!(
            "add a unit, e.g. {x}s (units: {DURATION_UNITS}), got {x}"
        ))
    }
}

/// Splits `12.5` into `("12", "5")`; `None` unless it is digits with at most
/// one point and at least one digit.
fn split_decimal(number: &str) -> Option<(&str, &str)> {
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (digits(whole) && digits(frac) && !(whole.is_empty() && frac.is_empty()))
        .then_some((whole, frac))
}

/// `whole.frac` units of `per_unit` ns, rounded to the nearest nanosecond;
/// `None` on overflow of u64.
fn scale(whole: &str, frac: &str, per_unit: u64) -> Option<u64> {
    let whole = whole.trim_start_matches('0');
    // 20 digits already exceed u64 nanoseconds even in the smallest unit.
    if whole.len() > 20 {
        return None;
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    // Beyond 18 fractional digits nothing changes at nanosecond resolution
    // (the largest unit is below 10^14 ns), and u128 keeps the product exact.
    let frac = &frac[..frac.len().min(18)];
    let frac_ns = if frac.is_empty() {
        0
    } else {
        let denom = 10u128.pow(frac.len() as u32);
        let numer: u128 = frac.parse::<u128>().ok()? * u128::from(per_unit);
        (numer + denom / 2) / denom
    };
    let total = whole
        .checked_mul(u128::from(per_unit))?
        .checked_add(frac_ns)?;
    u64::try_from(total).ok()
}

/// Shortest exact spelling of a duration: `45m`, `1500ms`, `0s`.
pub fn format_duration(ns: SimTime) -> String {
    if ns == 0 {
        return "0s".to_string();
    }
    let (name, per) = UNITS
        .iter()
        .find(|(_, per)| ns.is_multiple_of(*per))
        .copied()
        .unwrap_or(("ns", 1));
    format!("{}{name}", ns / per)
}

/// Parses `1000/s`, `60/m`, `60/min`, `3600/h`, or a plain number (per second)
/// into requests per second.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let bad = || format!("expected a rate like 1000/s, 60/m or 3600/h, got {t:?}");
    let (number, per) = match t.split_once('/') {
        Some((n, unit)) => {
            let secs = match unit.trim() {
                "s" => 1.0,
                "m" | "min" => 60.0,
                "h" => 3600.0,
                other => {
                    return Err(format!(
                        "unknown rate unit `/{other}` in {t:?}: expected a rate like 1000/s (per s, m, min or h)"
                    ));
                }
            };
            (n.trim(), secs)
        }
        None => (t, 1.0),
    };
    let n = parse_plain_number(number).ok_or_else(bad)?;
    check_rate(n / per).map_err(|e| format!("{e}, got {t:?}"))
}

/// A rate given as a YAML number: requests per second.
/// Highest accepted request rate, per second.
pub const MAX_RATE: f64 = 1e8;

pub fn check_rate(per_sec: f64) -> Result<f64, String> {
    if !per_sec.is_finite() {
        Err("a rate must be a finite number".to_string())
    } else if per_sec < 0.0 {
        Err("a rate cannot be negative".to_string())
    } else if per_sec > MAX_RATE {
        // Beyond this the run would take hours and arrivals would bunch
        // into the same nanosecond.
        Err("a rate must be at most 100000000/s".to_string())
    } else {
        Ok(per_sec)
    }
}

/// Parses `99%`, `99.9%` or a plain fraction `0.99` into a fraction.
pub fn parse_fraction(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let bad = || format!("expected a percentage like 99.9% or a fraction like 0.999, got {t:?}");
    let value = match t.strip_suffix('%') {
        Some(p) => parse_plain_number(p.trim()).ok_or_else(bad)? / 100.0,
        None => parse_plain_number(t).ok_or_else(bad)?,
    };
    Ok(value)
}

/// A decimal number as people write it: no `inf`, `NaN` or hex, which
/// `f64::from_str` would otherwise let through.
fn parse_plain_number(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let ok = !body.is_empty()
        && body.chars().any(|c| c.is_ascii_digit())
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'));
    let n: f64 = if ok { s.parse().ok()? } else { return None };
    n.is_finite().then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{NANOS_PER_MILLI, NANOS_PER_SEC};

    #[test]
    fn duration_accepts_every_unit() {
        assert_eq!(parse_duration("7ns"), Ok(7));
        assert_eq!(parse_duration("7us"), Ok(7_000));
        assert_eq!(parse_duration("7µs"), Ok(7_000));
        assert_eq!(parse_duration("7μs"), Ok(7_000));
        assert_eq!(parse_duration("250ms"), Ok(250 * NANOS_PER_MILLI));
        assert_eq!(parse_duration("30s"), Ok(30 * NANOS_PER_SEC));
        assert_eq!(parse_duration("10m"), Ok(600 * NANOS_PER_SEC));
        assert_eq!(parse_duration("2h"), Ok(7_200 * NANOS_PER_SEC));
        assert_eq!(parse_duration("30d"), Ok(30 * 86_400 * NANOS_PER_SEC));
    }

    #[test]
    fn duration_decimals_are_exact() {
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("0.1s"), Ok(100_000_000));
        assert_eq!(parse_duration(".5ms"), Ok(500_000));
        assert_eq!(parse_duration("2.s"), Ok(2 * NANOS_PER_SEC));
        // Sub-nanosecond parts round to the nearest nanosecond.
        assert_eq!(parse_duration("1.5ns"), Ok(2));
        assert_eq!(parse_duration("0.0000000004s"), Ok(0));
        assert_eq!(
            parse_duration("0.333333333333333333333333333s"),
            Ok(333_333_333)
        );
    }

    #[test]
    fn duration_allows_space_before_unit_and_surrounding_blanks() {
        assert_eq!(parse_duration(" 5 s "), Ok(5 * NANOS_PER_SEC));
    }

    #[test]
    fn bare_zero_needs_no_unit_but_other_numbers_do() {
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("0.0"), Ok(0));
        assert_eq!(parse_duration("0s"), Ok(0));
        let e = parse_duration("30").unwrap_err();
        assert!(e.contains("add a unit, e.g. 30s"), "{e}");
    }

    #[test]
    fn duration_rejects_negative_nan_garbage_and_unknown_units() {
        assert!(parse_duration("-5s").unwrap_err().contains("negative"));
        let e = parse_duration("NaN").unwrap_err();
        assert!(
            e.contains("expected a duration like") && e.contains("\"NaN\""),
            "{e}"
        );
        assert!(parse_duration("").unwrap_err().contains("empty"));
        assert!(parse_duration(".s").is_err());
        assert!(parse_duration("1.2.3s").is_err());
        let e = parse_duration("5sec").unwrap_err();
        assert!(
            e.contains("unknown unit `sec`") && e.contains("\"5sec\""),
            "{e}"
        );
        assert!(e.contains("ns, us, ms, s, m, h, d"), "{e}");
        assert!(
            parse_duration("5S")
                .unwrap_err()
                .contains("unknown unit `S`")
        );
        assert!(parse_duration("1e3s").is_err());
    }

    #[test]
    fn bare_numbers_other_than_zero_need_a_unit() {
        assert_eq!(duration_from_number(0.0), Ok(0));
        assert_eq!(
            duration_from_number(30.0).unwrap_err(),
            "add a unit, e.g. 30s (units: ns, us, ms, s, m, h, d), got 30"
        );
        assert!(duration_from_number(-1.0).unwrap_err().contains("negative"));
        assert!(
            duration_from_number(f64::NAN)
                .unwrap_err()
                .contains("got NaN")
        );
    }

    #[test]
    fn duration_overflow_is_an_error_not_a_wrap() {
        assert_eq!(parse_duration("18446744073709551615ns"), Ok(u64::MAX));
        assert!(
            parse_duration("18446744073709551616ns")
                .unwrap_err()
                .contains("too long")
        );
        assert!(parse_duration("213504d").unwrap_err().contains("too long"));
        assert!(parse_duration("99999999999999999999999999999999d").is_err());
        assert!(parse_duration("213503d").is_ok());
    }

    #[test]
    fn format_duration_picks_the_largest_exact_unit() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(45 * 60 * NANOS_PER_SEC), "45m");
        assert_eq!(format_duration(90 * NANOS_PER_SEC), "90s");
        assert_eq!(format_duration(1_500 * NANOS_PER_MILLI), "1500ms");
        assert_eq!(format_duration(7), "7ns");
        for text in ["250ms", "2h", "3d", "1us"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
    }

    #[test]
    fn rate_accepts_per_second_minute_hour_and_plain_numbers() {
        assert_eq!(parse_rate("1000/s"), Ok(1000.0));
        assert_eq!(parse_rate("60/m"), Ok(1.0));
        assert_eq!(parse_rate("60/min"), Ok(1.0));
        assert_eq!(parse_rate("3600/h"), Ok(1.0));
        assert_eq!(parse_rate("2.5"), Ok(2.5));
        assert_eq!(parse_rate(" 10 / s "), Ok(10.0));
        assert_eq!(parse_rate("0/s"), Ok(0.0));
    }

    #[test]
    fn rate_rejects_words_negatives_infinities_and_unknown_units() {
        let e = parse_rate("fast").unwrap_err();
        assert_eq!(
            e,
            "expected a rate like 1000/s, 60/m or 3600/h, got \"fast\""
        );
        assert!(parse_rate("-5/s").unwrap_err().contains("negative"));
        assert!(parse_rate("inf/s").is_err());
        assert!(parse_rate("1e400/s").is_err());
        assert!(parse_rate("NaN").is_err());
        assert!(
            parse_rate("5/d")
                .unwrap_err()
                .contains("unknown rate unit `/d`")
        );
        assert!(check_rate(f64::NAN).is_err());
    }

    #[test]
    fn fraction_accepts_percentages_and_plain_fractions() {
        assert_eq!(parse_fraction("99%"), Ok(0.99));
        assert!((parse_fraction("99.9%").unwrap() - 0.999).abs() < 1e-12);
        assert_eq!(parse_fraction("0.99"), Ok(0.99));
        assert_eq!(parse_fraction("100 %"), Ok(1.0));
        let e = parse_fraction("high").unwrap_err();
        assert!(e.contains("99.9%") && e.contains("\"high\""), "{e}");
        assert!(parse_fraction("%").is_err());
        assert!(parse_fraction("inf%").is_err());
    }
}
