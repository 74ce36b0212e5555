//! National identifiers: UK NHS numbers (mod-11), DEA registration numbers (checksum), US NPIs
//! (Luhn with the 80840 prefix), and the
//! checksum-less US passport, driver's licence and bank account numbers, which are accepted
//! only with name context (alone they are just digits).

use super::{all_digits, digits_with_seps, Accept};

/// Accepts NHS numbers: 10 digits (`3-3-4` grouping allowed) with a valid mod-11 check digit.
pub(crate) fn check_nhs(v: &str, _name: bool) -> Accept {
    if v.len() != 10 && v.len() != 12 {
        return None;
    }
    let d = digits_with_seps(v, b" -")?;
    if d.len() != 10 {
        return None;
    }
    if v.len() == 12
        && !(matches!(v.as_bytes()[3], b' ' | b'-') && v.as_bytes()[7] == v.as_bytes()[3])
    {
        return None;
    }
    let sum: u32 = d[..9]
        .iter()
        .enumerate()
        .map(|(i, &x)| u32::from(x) * (10 - i as u32))
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return None,
        c => c,
    };
    (check == u32::from(d[9])).then_some(("nhs-mod11", 1.0))
}

/// Accepts DEA registration numbers: registrant letter, letter (or 9), 7 digits with checksum.
pub(crate) fn check_dea(v: &str, _name: bool) -> Accept {
    let b = v.as_bytes();
    if b.len() != 9
        || !b"ABCDEFGHJKLMPRSTUX".contains(&b[0])
        || !(b[1].is_ascii_uppercase() || b[1] == b'9')
    {
        return None;
    }
    if !b[2..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let d: Vec<u32> = b[2..].iter().map(|&c| u32::from(c - b'0')).collect();
    let sum = d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5]);
    (sum % 10 == d[6]).then_some(("dea-checksum", 0.9))
}

/// Accepts US National Provider Identifiers: 10 digits starting with 1 or 2 whose last digit
/// is the Luhn check digit of `80840` + the first nine (the ISO card-issuer prefix the NPI
/// standard prepends).
pub(crate) fn check_npi(v: &str, _name: bool) -> Accept {
    let b = v.as_bytes();
    if b.len() != 10 || !all_digits(v) || !matches!(b[0], b'1' | b'2') {
        return None;
    }
    let sum: u32 = b"80840"
        .iter()
        .chain(b)
        .rev()
        .enumerate()
        .map(|(i, &c)| {
            let d = u32::from(c - b'0');
            match (i % 2 == 1, d * 2) {
                (true, x) if x > 9 => x - 9,
                (true, x) => x,
                (false, _) => d,
            }
        })
        .sum();
    sum.is_multiple_of(10).then_some(("npi-luhn-80840", 0.9))
}

/// Medical licences: DEA registration numbers or NPIs.
pub(crate) fn check_medical(v: &str, name: bool) -> Accept {
    check_dea(v, name).or_else(|| check_npi(v, name))
}

/// With name context: 9 digits or a letter followed by 8 digits.
pub(crate) fn check_passport(v: &str, name: bool) -> Accept {
    if !name || v.len() != 9 {
        return None;
    }
    let b = v.as_bytes();
    let ok = all_digits(v) || (b[0].is_ascii_uppercase() && all_digits(&v[1..]));
    ok.then_some(("us-passport-format-with-name-context", 0.6))
}

/// With name context: 5–20 letters/digits (dashes or spaces allowed) containing a digit.
pub(crate) fn check_driver_license(v: &str, name: bool) -> Accept {
    if !name || v.len() < 5 || v.len() > 20 {
        return None;
    }
    let ok = v
        .bytes()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'-' || c == b' ')
        && v.bytes().filter(u8::is_ascii_digit).count() >= 4;
    ok.then_some(("driver-license-format-with-name-context", 0.6))
}

/// With name context: 8–17 digits (US account numbers) or a 9-digit ABA routing number.
pub(crate) fn check_bank_number(v: &str, name: bool) -> Accept {
    if !name || !(8..=17).contains(&v.len()) || !all_digits(v) {
        return None;
    }
    Some(("bank-account-digits-with-name-context", 0.6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nhs() {
        for v in ["9434765919", "943 476 5919", "943-476-5919", "4010232137"] {
            assert!(check_nhs(v, false).is_some(), "{v}");
        }
        for v in ["9434765918", "943 4765 919", "94347659190", "943-476 5919"] {
            assert!(check_nhs(v, false).is_none(), "{v}");
        }
    }

    #[test]
    fn dea() {
        assert!(check_dea("AB1234563", false).is_some());
        assert!(check_dea("AB1234564", false).is_none());
        assert!(check_dea("IB1234563", false).is_none());
    }

    #[test]
    fn npi() {
        // CMS's published example NPI, and one with a wrong check digit.
        assert!(check_npi("1234567893", false).is_some());
        assert!(check_npi("1234567890", false).is_none());
        assert!(check_npi("3234567893", false).is_none());
        assert!(check_medical("1234567893", false).is_some());
        assert!(check_medical("AB1234563", false).is_some());
    }

    #[test]
    fn name_context_only() {
        assert!(check_passport("123456789", false).is_none());
        assert!(check_passport("123456789", true).is_some());
        assert!(check_passport("A12345678", true).is_some());
        assert!(check_driver_license("D1234567", true).is_some());
        assert!(check_driver_license("D1234567", false).is_none());
        assert!(check_bank_number("000123456789", true).is_some());
        assert!(check_bank_number("000123456789", false).is_none());
    }
}
