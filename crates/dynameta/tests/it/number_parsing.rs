//! Property test for the DynamoDB number parser (processors/inference/number.rs):
//! whatever the text, it answers Some or None, never panics, and agrees with the digits.

use dynameta::processors::inference::parse_number;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_text_gives_some_or_none(text in "[-+0-9.eE ]{0,24}|\\PC{0,16}") {
        let _ = parse_number(&text);
    }

    #[test]
    fn dynamodb_range_numbers_are_classified_from_their_digits(
        sign in prop::sample::select(vec!["", "-", "+"]),
        int in "[0-9]{1,38}",
        frac in proptest::option::of("[0-9]{1,20}"),
        exp in proptest::option::of(-130i64..=125),
    ) {
        let mut text = format!("{sign}{int}");
        if let Some(f) = &frac { text.push('.'); text.push_str(f); }
        if let Some(e) = exp { text.push_str(&format!("e{e}")); }
        let info = parse_number(&text);
        prop_assert!(info.is_some(), "{text}");
        let info = info.unwrap();
        if exp.is_none() {
            let frac_digits = frac.as_deref().map_or(0, |f| f.trim_end_matches('0').len());
            prop_assert_eq!(info.scale as usize, frac_digits, "{}", text);
            prop_assert_eq!(info.integer, frac_digits == 0, "{}", text);
        }
    }
}

/// Exponents at the edge of i64 arithmetic (`1 + i64::MAX` overflowed, a panic in
/// debug builds).
#[test]
fn extreme_exponents_do_not_panic() {
    for text in [
        "1e9223372036854775807",
        "1e-9223372036854775808",
        "0.1e-9223372036854775808",
    ] {
        let _ = parse_number(text);
    }
}
