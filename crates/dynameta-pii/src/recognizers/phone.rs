//! Phone numbers, validated with `phonenumber` (a libphonenumber port).
//!
//! A bare unformatted digit string is ambiguous (order ids, epoch millis, card numbers,
//! `20240115`), so content alone only accepts numbers written like phone numbers: a leading
//! `+`, or national formatting with spaces, dashes, dots or parentheses. With name context
//! (`phone`, `mobile`, ...) bare digits are tried too: as international digits (`14155552671`),
//! then as national numbers of the default regions.
//!
//! National numbers of non-NANP regions must start with the trunk prefix `0` (as they are
//! written nationally), except Brazil's `(dd) dddd-dddd` form; this keeps libphonenumber's
//! permissive regions (DE) from accepting arbitrary digit groups.

use super::{Accept, Ctx};
use phonenumber::country::Id;

/// Regions tried for national formats, most common first. `true` = requires trunk prefix `0`.
const REGIONS: &[(Id, bool)] = &[
    (Id::US, false),
    (Id::GB, true),
    (Id::DE, true),
    (Id::FR, true),
    (Id::IN, true),
    (Id::BR, false),
    (Id::IT, false),
    (Id::ES, false),
    (Id::NL, true),
    (Id::JP, true),
    (Id::AU, true),
    (Id::MX, false),
];

fn valid(region: Option<Id>, text: &str) -> bool {
    phonenumber::parse(region, text).is_ok_and(|n| phonenumber::is_valid(&n))
}

/// Removes a trailing extension (`x123`, `ext. 123`, `#123`).
fn strip_extension(v: &str) -> &str {
    let lower = v.to_ascii_lowercase();
    for marker in [" ext. ", " ext ", "ext.", "ext", " x", "x", "#"] {
        if let Some(pos) = lower.rfind(marker) {
            let tail = &lower[pos + marker.len()..];
            if !tail.is_empty() && tail.len() <= 6 && tail.bytes().all(|c| c.is_ascii_digit()) {
                return v[..pos].trim_end();
            }
        }
    }
    v
}

/// Shapes that are digit groups but clearly not phone numbers: dates, IPv4, decimals, versions.
fn looks_like_other(main: &str) -> bool {
    let b = main.as_bytes();
    let groups: Vec<&str> = main
        .split(['-', '.', '/', ' '])
        .filter(|g| !g.is_empty())
        .collect();
    let dots = b.iter().filter(|&&c| c == b'.').count();
    if main.starts_with('-') || (dots == 1 && !main.contains(' ')) {
        return true; // (negative) decimal number
    }
    if dots > 0 && dots + 1 == groups.len() && groups[0].len() < 2 {
        return true; // version-like 3.17.245.1234
    }
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    if lens == [3, 2, 4] {
        return true; // US SSN / ITIN shape
    }
    if dots == 3 && groups.len() >= 4 && groups[..4].iter().all(|g| g.len() <= 3) {
        return true; // IPv4, possibly with /prefix
    }
    if groups.len() == 3
        && (groups[0].len() == 4 || groups[2].len() == 4)
        && groups.iter().all(|g| g.len() <= 4)
    {
        let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        if matches!(lens.as_slice(), [4, 1 | 2, 1 | 2] | [1 | 2, 1 | 2, 4]) {
            return true; // date
        }
    }
    false
}

/// The country of an international number (`+55 21 ...` → BR), for the column's region.
pub(crate) fn region_of(v: &str) -> Option<Id> {
    if !v.starts_with('+') || v.len() > 32 {
        return None;
    }
    let n = phonenumber::parse(None, v).ok()?;
    if !phonenumber::is_valid(&n) {
        return None;
    }
    // Codes shared by several countries (+39: Italy and the Vatican; +7, +1...) leave
    // some valid numbers without a country (Italian landlines, `+39 0572 ...`): they
    // belong to the code's main country.
    n.country().id().or_else(|| {
        let code = n.country().code();
        let main = phonenumber::metadata::DATABASE
            .by_code(&code)?
            .into_iter()
            .find(|m| m.is_main_country_for_code())?;
        main.id().parse().ok()
    })
}

/// [`check`] with the column's context: a number written without a country code is
/// first judged as a national number of the region the column's other evidence suggests
/// (no guessing: without evidence only the conservative default rules apply).
pub(crate) fn check_in(v: &str, cx: &Ctx) -> Accept {
    check_region(v, cx.name, cx.region, cx.region_from_values)
}

/// Accepts phone numbers that libphonenumber considers valid.
#[cfg(test)]
pub(crate) fn check(v: &str, name: bool) -> Accept {
    check_region(v, name, None, false)
}

/// `from_values`: `region` comes from the column's own international numbers, which
/// makes its bare national numbers (no formatting, no phone-like column name) judgeable
/// in that region; without that, bare digit strings are too ambiguous (identifiers).
fn check_region(v: &str, name: bool, region: Option<Id>, from_values: bool) -> Accept {
    let b = v.as_bytes();
    if b.len() < 7 || b.len() > 32 {
        return None;
    }
    if !b
        .iter()
        .all(|&c| c.is_ascii_digit() || b" -.()+/xXetET#".contains(&c))
    {
        return None;
    }
    let main = strip_extension(v);
    let mb = main.as_bytes();
    if mb.iter().any(|c| c.is_ascii_alphabetic() || *c == b'#') {
        return None;
    }
    let digits: String = main.chars().filter(char::is_ascii_digit).collect();
    if !(7..=15).contains(&digits.len()) {
        return None;
    }
    let plus = mb.first() == Some(&b'+');
    if mb.iter().skip(1).any(|&c| c == b'+') {
        return None;
    }
    if plus {
        return valid(None, main).then_some(("libphonenumber-international", 1.0));
    }
    let formatted = mb.iter().any(|c| b" -.()/".contains(c));
    if digits.len() < 8 {
        return None; // national numbers without area code are not identifiable
    }
    if formatted {
        if looks_like_other(main) {
            return None;
        }
    } else if !name {
        // Bare digits under a neutral name: only in the country the column's own
        // international numbers are from.
        return match region {
            Some(r) if from_values && valid(Some(r), main) => {
                Some(("libphonenumber-national-in-column-country", 1.0))
            }
            _ => None,
        };
    } else if digits.len() >= 11 && valid(None, &format!("+{digits}")) {
        return Some(("libphonenumber-bare-digits-with-name-context", 1.0));
    }
    if let Some(r) = region {
        if valid(Some(r), main) {
            return Some(("libphonenumber-national-in-column-region", 1.0));
        }
    }
    let lead = main.trim_start_matches('(');
    for &(region, needs_trunk) in REGIONS {
        if needs_trunk && !lead.starts_with('0') {
            continue;
        }
        if region == Id::BR && !formatted {
            continue;
        }
        if valid(Some(region), main) {
            let pattern = if formatted {
                "libphonenumber-national"
            } else {
                "libphonenumber-bare-digits-with-name-context"
            };
            return Some((pattern, 1.0));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        for v in [
            "+1 415-555-2671",
            "+14155552671",
            "(415) 555-2671",
            "415-555-2671",
            "415.555.2671",
            "+44 20 7946 0958",
            "020 7946 0958",
            "+49 30 901820",
            "030 901820",
            "01 42 68 53 00",
            "+33 1 42 68 53 00",
            "+91 98765 43210",
            "090-1234-5678",
            "(11) 3456-7890",
            "+39 06 6982 1234",
            "(415) 555-2671 x123",
            "1-415-555-2671",
        ] {
            assert!(check(v, false).is_some(), "{v}");
        }
        for v in [
            "ORD-2024-000123",
            "4532015112830366",
            "1700000000000",
            "20240115",
            "2024-01-15",
            "192.168.1.1",
            "12345.67",
            "4155552671",
            "ORD-555-0134-22",
            "123-45",
            "+1 000 000 0000",
            "536-22-1234",
            "912-70-1234",
            "10.20.30.40/24",
            "3.17.245.1234",
            "-122.419416",
            "555-0134",
        ] {
            assert!(check(v, false).is_none(), "{v}");
        }
    }

    #[test]
    fn national_numbers_use_the_column_region() {
        let br = Ctx {
            name: false,
            region: Some(Id::BR),
            region_from_values: false,
        };
        // Judged as a Brazilian number first when the column's evidence says Brazil.
        assert_eq!(
            check_in("98 5302-6734", &br).map(|a| a.0),
            Some("libphonenumber-national-in-column-region")
        );
        assert!(check_in("11 98765-4321", &br).is_some());
        assert!(check_in("ORD-555-0134-22", &br).is_none());
        assert_eq!(region_of("+55 98 5302-6734"), Some(Id::BR));
        assert_eq!(region_of("+44 20 7946 0958"), Some(Id::GB));
        assert_eq!(region_of("020 7946 0958"), None);
        // A shared code's main country: Italian landlines have no single region.
        assert_eq!(region_of("+39 0572749583"), Some(Id::IT));
        // Bare digits under a neutral name: never from a name-language guess, only in
        // the country the column's own international numbers are from.
        assert!(check_in("0277495465", &br).is_none());
        let fr = Ctx {
            name: false,
            region: Some(Id::FR),
            region_from_values: true,
        };
        assert_eq!(
            check_in("0277495465", &fr).map(|a| a.0),
            Some("libphonenumber-national-in-column-country")
        );
        assert!(check_in("1234567890", &fr).is_none(), "not a French number");
    }

    #[test]
    fn bare_digits_need_name_context() {
        assert!(check("14155552671", false).is_none());
        assert!(check("14155552671", true).is_some());
        assert!(check("4155552671", true).is_some());
        assert!(check("1700000000000", true).is_none());
    }
}
