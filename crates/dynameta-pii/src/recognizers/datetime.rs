//! Calendar dates and date-times: ISO 8601 (calendar and week dates `2021-W11-5`),
//! `dd/mm/yyyy`, `mm/dd/yyyy`, `dd.mm.yyyy`, `yyyy/mm/dd`, `yyyy.mm.dd`, RFC 2822
//! (`Fri, 19 Mar 2021 13:43:57 +0000`, the weekday checked against the date), Japanese
//! `2021年3月19日`, `Month d, yyyy` / `d Month yyyy`. Every date is calendar-checked. Epoch numbers are dates only with name context
//! (`dob`, `birth_date`), since alone they are just integers.

use super::{all_digits, Accept};

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

/// True when `y-m-d` is a real calendar day between 1800 and 2200.
pub(crate) fn valid_ymd(y: u32, m: u32, d: u32) -> bool {
    if !(1800..=2200).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let days = match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= days
}

fn num(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 4 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |a, &x| a * 10 + u32::from(x - b'0')))
}

fn month_of(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(&w) && (w.len() == 3 || w.len() == m.len() || (w == "sept")))
        .map(|i| i as u32 + 1)
}

/// Validates the ISO time part after `T` or a space: `HH:MM[:SS[.fff]][Z|±HH[:]MM]`.
fn iso_time(t: &[u8]) -> bool {
    if t.len() < 5 || t[2] != b':' {
        return false;
    }
    let (Some(h), Some(mi)) = (num(&t[..2]), num(&t[3..5])) else {
        return false;
    };
    if h > 23 || mi > 59 {
        return false;
    }
    let mut rest = &t[5..];
    if rest.first() == Some(&b':') {
        if rest.len() < 3 || num(&rest[1..3]).is_none_or(|s| s > 60) {
            return false;
        }
        rest = &rest[3..];
        if rest.first() == Some(&b'.') || rest.first() == Some(&b',') {
            let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 9 {
                return false;
            }
            rest = &rest[1 + n..];
        }
    }
    match rest {
        [] | [b'Z'] | [b'z'] => true,
        [b'+' | b'-', h1, h2] => num(&[*h1, *h2]).is_some_and(|h| h <= 14),
        [b'+' | b'-', h1, h2, b':', m1, m2] | [b'+' | b'-', h1, h2, m1, m2] => {
            num(&[*h1, *h2]).is_some_and(|h| h <= 14) && num(&[*m1, *m2]).is_some_and(|m| m <= 59)
        }
        _ => false,
    }
}

fn iso(b: &[u8]) -> Accept {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (num(&b[..4])?, num(&b[5..7])?, num(&b[8..10])?);
    if !valid_ymd(y, m, d) {
        return None;
    }
    if b.len() == 10 {
        return Some(("iso-8601-date", 0.9));
    }
    (matches!(b[10], b'T' | b' ' | b't') && iso_time(&b[11..]))
        .then_some(("iso-8601-datetime", 0.9))
}

/// Day of the week of a valid date, 0 = Monday (Zeller's congruence).
fn weekday(y: u32, m: u32, d: u32) -> u32 {
    let (y, m) = if m < 3 { (y - 1, m + 12) } else { (y, m) };
    let h = (d + 13 * (m + 1) / 5 + y + y / 4 - y / 100 + y / 400) % 7; // 0 = Saturday
    (h + 5) % 7
}

/// ISO 8601 week dates: `2021-W11-5`, `2021W115`, `2021-W11`, week 53 only in long years.
fn iso_week(b: &[u8]) -> Accept {
    let y = num(b.get(..4)?)?;
    let rest = &b[4..];
    let (w, d) = match rest {
        [b'-', b'W', w1, w2] | [b'W', w1, w2] => (num(&[*w1, *w2])?, None),
        [b'-', b'W', w1, w2, b'-', d] | [b'W', w1, w2, d] => (num(&[*w1, *w2])?, Some(num(&[*d])?)),
        _ => return None,
    };
    if !(1800..=2200).contains(&y) || w == 0 || d.is_some_and(|d| !(1..=7).contains(&d)) {
        return None;
    }
    // A year has 53 weeks when it starts on a Thursday, or on a Wednesday in a leap year.
    let jan1 = weekday(y, 1, 1);
    let weeks = if jan1 == 3 || (jan1 == 2 && is_leap(y)) {
        53
    } else {
        52
    };
    (w <= weeks).then_some(("iso-8601-week-date", 0.9))
}

/// RFC 2822 / RFC 5322 dates: `[Fri, ]19 Mar 2021 13:43[:57] +0000|GMT|UT|EST...`.
fn rfc2822(v: &str) -> Accept {
    let (day_name, rest) = match v.split_once(", ") {
        Some((d, r)) => (Some(d), r),
        None => (None, v),
    };
    let toks: Vec<&str> = rest.split_whitespace().collect();
    let [d, mon, y, time, zone] = toks.as_slice() else {
        return None;
    };
    let (d, y) = (num(d.as_bytes())?, num(y.as_bytes())?);
    let m = month_of(mon).filter(|_| mon.len() == 3)?;
    if !valid_ymd(y, m, d) || d > 31 {
        return None;
    }
    let t = time.as_bytes();
    if !(t.len() == 5 || t.len() == 8) || !iso_time(t) {
        return None;
    }
    let z = zone.as_bytes();
    let zone_ok = matches!(
        *zone,
        "GMT" | "UT" | "UTC" | "Z" | "EST" | "EDT" | "CST" | "CDT" | "MST" | "MDT" | "PST" | "PDT"
    ) || (z.len() == 5
        && matches!(z[0], b'+' | b'-')
        && num(&z[1..3]).is_some_and(|h| h <= 14)
        && num(&z[3..]).is_some_and(|m| m <= 59));
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let day_ok = day_name.is_none_or(|n| DAYS.get(weekday(y, m, d) as usize) == Some(&n));
    (zone_ok && day_ok).then_some(("rfc-2822", 0.9))
}

/// `2021年3月19日` (Japanese / Chinese).
fn cjk_date(v: &str) -> Accept {
    let (y, rest) = v.split_once('年')?;
    let (m, rest) = rest.split_once('月')?;
    let d = rest.strip_suffix('日')?;
    let (y, m, d) = (num(y.as_bytes())?, num(m.as_bytes())?, num(d.as_bytes())?);
    valid_ymd(y, m, d).then_some(("cjk-date", 0.9))
}

fn numeric_dmy(b: &[u8]) -> Accept {
    let sep = *b.iter().find(|c| !c.is_ascii_digit())?;
    if !matches!(sep, b'/' | b'.' | b'-') {
        return None;
    }
    let parts: Vec<&[u8]> = b.split(|&c| c == sep).collect();
    if let [y, m, d] = parts.as_slice() {
        // Year first with `/` or `.`: `2021/03/19`, `2021.03.19` (ISO uses `-`, above).
        if y.len() == 4 && sep != b'-' && (1..=2).contains(&m.len()) && (1..=2).contains(&d.len()) {
            let (y, m, d) = (num(y)?, num(m)?, num(d)?);
            return valid_ymd(y, m, d).then_some(("yyyy-mm-dd-slashed", 0.9));
        }
    }
    let [a, m, y] = parts.as_slice() else {
        return None;
    };
    if a.is_empty() || a.len() > 2 || m.is_empty() || m.len() > 2 || y.len() != 4 {
        return None;
    }
    let (a, m, y) = (num(a)?, num(m)?, num(y)?);
    (valid_ymd(y, m, a) || valid_ymd(y, a, m)).then_some(("dmy-or-mdy", 0.9))
}

fn month_name(v: &str) -> Accept {
    let cleaned = v.replace(',', " ");
    let toks: Vec<&str> = cleaned.split_whitespace().collect();
    let [a, b, c] = toks.as_slice() else {
        return None;
    };
    let y = num(c.as_bytes())?;
    let (m, d) = if let Some(m) = month_of(a) {
        (
            m,
            num(b
                .trim_end_matches(|ch: char| ch.is_ascii_alphabetic())
                .as_bytes())?,
        )
    } else {
        (
            month_of(b)?,
            num(a
                .trim_end_matches(|ch: char| ch.is_ascii_alphabetic())
                .trim_end_matches('.')
                .as_bytes())?,
        )
    };
    valid_ymd(y, m, d).then_some(("month-name-date", 0.9))
}

/// Epoch seconds or milliseconds between 1900 and 2100 (only used with name context).
fn epoch(v: &str) -> Accept {
    let digits = v.strip_prefix('-').unwrap_or(v);
    if !all_digits(digits) || digits.len() > 13 {
        return None;
    }
    let n: i64 = v.parse().ok()?;
    let secs = if digits.len() >= 12 { n / 1000 } else { n };
    (-2_208_988_800..=4_102_444_800)
        .contains(&secs)
        .then_some(("epoch-with-name-context", 0.8))
}

/// Accepts dates and date-times.
pub(crate) fn check(v: &str, name: bool) -> Accept {
    let b = v.as_bytes();
    if b.len() < 8 || b.len() > 40 {
        return None;
    }
    if !v.is_ascii() {
        return cjk_date(v);
    }
    if b[0].is_ascii_digit() {
        if let Some(a) = iso(b).or_else(|| iso_week(b)) {
            return Some(a);
        }
        if b.len() <= 10 && b.iter().any(|c| !c.is_ascii_digit()) {
            if let Some(a) = numeric_dmy(b) {
                return Some(a);
            }
        }
        if name {
            if let Some(a) = epoch(v) {
                return Some(a);
            }
        }
    } else if name && b[0] == b'-' {
        return epoch(v);
    }
    if let Some(a) = rfc2822(v) {
        return Some(a);
    }
    if b.len() <= 25
        && b.iter().any(|c| c.is_ascii_alphabetic())
        && b.iter().any(|c| c.is_ascii_digit())
    {
        return month_name(v);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        for v in [
            "2024-01-15",
            "2024-02-29",
            "2024-01-15T10:30:00Z",
            "2024-01-15T10:30:00.123+02:00",
            "2024-01-15 10:30",
            "15/01/2024",
            "01/15/2024",
            "15.01.2024",
            "January 15, 2024",
            "Jan 5, 2024",
            "5 March 2023",
            "Sept 9, 2021",
            "2024-01-15T10:30:00+0530",
        ] {
            assert!(check(v, false).is_some(), "{v}");
        }
        for v in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "32/01/2024",
            "13/13/2024",
            "1700000000",
            "1700000000000",
            "20240115",
            "2024-01-15T25:00:00Z",
            "Mayday 5, 2024",
            "ORD-2024-000123",
            "2024-01-15T10:30:00+99:00",
            "1.2.2024.5",
        ] {
            assert!(check(v, false).is_none(), "{v}");
        }
        assert!(check("1700000000", true).is_some());
        assert!(check("-315619200", true).is_some());
        assert!(check("12", true).is_none());
    }

    #[test]
    fn more_formats_with_calendar_checks() {
        for v in [
            "Fri, 19 Mar 2021 13:43:57 +0000",
            "19 Mar 2021 13:43 GMT",
            "Thu, 29 Feb 2024 00:00:00 -0500",
            "2021/03/19",
            "2021.3.9",
            "19.03.2021",
            "2021-W11-5",
            "2021W115",
            "2020-W53",
            "2021年3月19日",
        ] {
            assert!(check(v, false).is_some(), "{v}");
        }
        for v in [
            "Sat, 19 Mar 2021 13:43:57 +0000",
            "Thu, 29 Feb 2023 00:00:00 -0500",
            "Fri, 19 Mar 2021 25:43:57 +0000",
            "2021/02/29",
            "2021-W53",
            "2021-W00-1",
            "2021-W10-8",
            "2021年2月30日",
            "31.04.2021",
        ] {
            assert!(check(v, false).is_none(), "{v}");
        }
        assert_eq!(weekday(2021, 3, 19), 4);
        assert_eq!(weekday(2024, 1, 1), 0);
    }
}
