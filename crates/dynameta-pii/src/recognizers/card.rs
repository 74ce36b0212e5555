//! Payment card numbers: IIN prefix + length per brand + Luhn.

use super::{digits_with_seps, Accept};

/// Brand of a card number from its prefix and length, if it is a known combination.
fn brand(d: &[u8]) -> Option<&'static str> {
    let n = d.len();
    let p = |k: usize| d.iter().take(k).fold(0u32, |a, &x| a * 10 + u32::from(x));
    let (p1, p2, p3, p4) = (p(1), p(2), p(3), p(4));
    if p1 == 4 && matches!(n, 13 | 16 | 19) {
        Some("luhn:visa")
    } else if ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && n == 16 {
        Some("luhn:mastercard")
    } else if (p2 == 34 || p2 == 37) && n == 15 {
        Some("luhn:amex")
    } else if (p4 == 6011 || p2 == 65 || (644..=649).contains(&p3)) && (16..=19).contains(&n) {
        Some("luhn:discover")
    } else if (3528..=3589).contains(&p4) && (16..=19).contains(&n) {
        Some("luhn:jcb")
    } else if (p2 == 36 || p2 == 38 || (300..=305).contains(&p3)) && (14..=19).contains(&n) {
        Some("luhn:diners")
    } else if p2 == 62 && (16..=19).contains(&n) {
        Some("luhn:unionpay")
    } else {
        None
    }
}

/// Luhn (mod 10) check over decimal digits.
pub(crate) fn luhn(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = u32::from(x);
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 {
                    y - 9
                } else {
                    y
                }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Accepts card numbers of 12–19 digits, optionally grouped with spaces or dashes.
pub(crate) fn check(v: &str, _name: bool) -> Accept {
    if v.len() < 12 || v.len() > 23 {
        return None;
    }
    let d = digits_with_seps(v, b" -")?;
    if !(12..=19).contains(&d.len()) {
        return None;
    }
    let b = brand(&d)?;
    luhn(&d).then_some((b, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_cards() {
        for v in [
            "4532015112830366",
            "4532 0151 1283 0366",
            "4532-0151-1283-0366",
            "5425233430109903",
            "2223000048410010",
            "378282246310005",
            "3782 822463 10005",
            "6011111111111117",
            "3530111333300000",
            "30569309025904",
            "6200000000000005",
            "4111111111111111",
        ] {
            assert!(check(v, false).is_some(), "{v}");
        }
    }

    #[test]
    fn invalid_cards() {
        for v in [
            "4532015112830367",     // Luhn off by one
            "1234567812345670",     // Luhn-valid, no known prefix
            "9999999999999995",     // Luhn-valid, no known prefix
            "453201511283",         // Visa prefix, wrong length
            "37828224631000",       // Amex too short
            "4532  0151 1283 0366", // double space
            "-4532015112830366",
            "4532o15112830366",
            "",
        ] {
            assert!(check(v, false).is_none(), "{v}");
        }
    }

    #[test]
    fn luhn_edges() {
        assert!(luhn(&[0]));
        assert!(luhn(&[1, 8]));
        assert!(!luhn(&[1, 9]));
        assert!(luhn(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3]));
    }
}
