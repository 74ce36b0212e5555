//! IBANs: country code, per-country length, mod-97 == 1.

use super::Accept;

/// IBAN length per country (SEPA plus the other registered countries we are likely to meet).
const LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

/// Expected IBAN length for a country code.
pub(crate) fn length_for(cc: &str) -> Option<usize> {
    LENGTHS.iter().find(|(c, _)| *c == cc).map(|(_, n)| *n)
}

/// mod-97 of the rearranged IBAN (country + check digits moved to the end, letters as 10–35).
pub(crate) fn mod97(compact: &[u8]) -> Option<u32> {
    let (head, tail) = compact.split_at(4);
    let mut r: u32 = 0;
    for &c in tail.iter().chain(head) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return None,
        };
        r = if v >= 10 {
            (r * 100 + v) % 97
        } else {
            (r * 10 + v) % 97
        };
    }
    Some(r)
}

/// Accepts IBANs, compact or printed in groups of four separated by single spaces.
pub(crate) fn check(v: &str, _name: bool) -> Accept {
    let b = v.as_bytes();
    if b.len() < 15 || b.len() > 42 || !b[0].is_ascii_alphabetic() || !b[1].is_ascii_alphabetic() {
        return None;
    }
    let mut compact = Vec::with_capacity(34);
    if b.contains(&b' ') {
        let groups: Vec<&str> = v.split(' ').collect();
        let last = groups.len() - 1;
        if groups
            .iter()
            .enumerate()
            .any(|(i, g)| g.is_empty() || g.len() > 4 || (i < last && g.len() != 4))
        {
            return None;
        }
    }
    for &c in b {
        if c != b' ' {
            compact.push(c.to_ascii_uppercase());
        }
    }
    if !compact[2].is_ascii_digit() || !compact[3].is_ascii_digit() {
        return None;
    }
    let cc = std::str::from_utf8(&compact[..2]).ok()?;
    if length_for(cc)? != compact.len() {
        return None;
    }
    (mod97(&compact)? == 1).then_some(("iban-mod97", 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid() {
        for v in [
            "DE89370400440532013000",
            "DE89 3704 0044 0532 0130 00",
            "GB82WEST12345698765432",
            "GB82 WEST 1234 5698 7654 32",
            "FR1420041010050500013M02606",
            "NL91ABNA0417164300",
            "CH9300762011623852957",
            "NO9386011117947",
            "BE68539007547034",
        ] {
            assert!(check(v, false).is_some(), "{v}");
        }
    }

    #[test]
    fn invalid() {
        for v in [
            "DE89370400440532013001",      // checksum
            "DE8937040044053201300",       // length
            "XX89370400440532013000",      // unknown country
            "DE89 37040 044 0532 0130 00", // bad grouping
            "GB82WEST1234569876543Z",
            "ORD-2024-000123",
        ] {
            assert!(check(v, false).is_none(), "{v}");
        }
    }
}
