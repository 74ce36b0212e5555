//! Calendar dates and date-times: ISO 8601, `dd/mm/yyyy`, `mm/dd/yyyy`, `dd.mm.yyyy`,
//! `Month d, yyyy` / `d Month yyyy`. Epoch numbers are dates only with name context
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

fn numeric_dmy(b: &[u8]) -> Accept {
    let sep = *b.iter().find(|c| !c.is_ascii_digit())?;
    if !matches!(sep, b'/' | b'.' | b'-') {
        return None;
    }
    let parts: Vec<&[u8]> = b.split(|&c| c == sep).collect();
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
    if b[0].is_ascii_digit() {
        if let Some(a) = iso(b) {
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
}
