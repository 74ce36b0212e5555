//! US Social Security Numbers and Individual Taxpayer Identification Numbers.

use super::{all_digits, Accept};

/// Splits `AAA-GG-SSSS` / `AAA GG SSSS` (or 9 bare digits when `bare`) into numeric parts.
fn parts(v: &str, bare: bool) -> Option<(u32, u32, u32, bool)> {
    let b = v.as_bytes();
    let num = |s: &[u8]| s.iter().fold(0u32, |a, &x| a * 10 + u32::from(x - b'0'));
    if b.len() == 11 {
        let sep = b[3];
        if (sep == b'-' || sep == b' ')
            && b[6] == sep
            && b[..3]
                .iter()
                .chain(&b[4..6])
                .chain(&b[7..])
                .all(u8::is_ascii_digit)
        {
            return Some((num(&b[..3]), num(&b[4..6]), num(&b[7..]), false));
        }
        None
    } else if bare && b.len() == 9 && all_digits(v) {
        Some((num(&b[..3]), num(&b[3..5]), num(&b[5..]), true))
    } else {
        None
    }
}

/// Accepts US SSNs; nine bare digits only with name context.
pub(crate) fn check_ssn(v: &str, name: bool) -> Accept {
    let (area, group, serial, bare) = parts(v, name)?;
    if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
        return None;
    }
    if matches!(
        (area, group, serial),
        (78, 5, 1120) | (219, 9, 9999) | (123, 45, 6789)
    ) {
        return None;
    }
    Some(if bare {
        ("ssn-bare-digits", 0.8)
    } else {
        ("ssn-format", 0.9)
    })
}

/// Accepts US ITINs (9XX-70..88/90..92/94..99-XXXX); nine bare digits only with name context.
pub(crate) fn check_itin(v: &str, name: bool) -> Accept {
    let (area, group, _serial, bare) = parts(v, name)?;
    let ok_group =
        (70..=88).contains(&group) || (90..=92).contains(&group) || (94..=99).contains(&group);
    if area < 900 || !ok_group {
        return None;
    }
    Some(if bare {
        ("itin-bare-digits", 0.8)
    } else {
        ("itin-format", 0.9)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssn() {
        for v in ["536-22-1234", "536 22 1234", "001-01-0001", "665-99-9999"] {
            assert!(check_ssn(v, false).is_some(), "{v}");
        }
        for v in [
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",
            "999-70-1234",
            "123-00-4567",
            "123-45-0000",
            "078-05-1120",
            "219-09-9999",
            "123-45-6789",
            "536221234",
            "536-22-12345",
            "536-221-234",
            "536-22 1234",
        ] {
            assert!(check_ssn(v, false).is_none(), "{v}");
        }
        assert!(check_ssn("536221234", true).is_some());
    }

    #[test]
    fn itin() {
        for v in [
            "912-70-1234",
            "999-88-0000",
            "900-90-1111",
            "950-94-1234",
            "912-99-1234",
        ] {
            assert!(check_itin(v, false).is_some(), "{v}");
        }
        for v in [
            "912-69-1234",
            "912-89-1234",
            "912-93-1234",
            "812-70-1234",
            "912701234",
        ] {
            assert!(check_itin(v, false).is_none(), "{v}");
        }
        assert!(check_itin("912701234", true).is_some());
    }
}
