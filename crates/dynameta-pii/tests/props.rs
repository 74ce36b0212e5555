//! Property tests: `classify` is total and well-behaved on arbitrary input.

use dynameta_pii::{classify, mask};
use proptest::prelude::*;

/// One column name per name-context rule, so the relaxed rules run too.
const NAMES: &[&str] = &[
    "col",
    "phone",
    "ssn",
    "itin",
    "dob",
    "email",
    "ip",
    "mac",
    "url",
    "iban",
    "card_number",
    "password",
    "gender",
    "address",
    "zip",
    "first_name",
    "passport",
    "driver_license",
    "bank_account",
    "nhs_number",
    "wallet",
    "dea_number",
];

/// Starts of values that lead deep into a validator before the tail can break it.
const PREFIXES: &[&str] = &[
    "AKIA",
    "ASIA",
    "eyJ",
    "$2b$12$",
    "-----BEGIN ",
    "ghp_",
    "xoxb-",
    "sk_live_",
    "+44 20 ",
    "+1 (415) ",
    "GB82 WEST ",
    "DE89",
    "4532 0151 ",
    "378282",
    "bc1q",
    "1BvBM",
    "3J98t",
    "0x",
    "192.168.",
    "2001:db8:",
    "00:1A:",
    "https://",
    "www.",
    "2024-02-",
    "12/31/",
    "123-45-",
    "943 476 ",
    "Mr. ",
    "Dr. John ",
    "12 Main ",
    "Rue de ",
    "Straße ",
    "AB1234",
];

proptest! {
    #[test]
    fn classify_never_panics_and_confidence_in_range(
        path in proptest::collection::vec("[a-zA-Z_.\\-]{0,12}", 0..4),
        values in proptest::collection::vec(any::<String>(), 0..30),
    ) {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        let v: Vec<&str> = values.iter().map(String::as_str).collect();
        let c = classify(&p, &v);
        prop_assert_eq!(c.values_seen, v.iter().filter(|x| !x.trim().is_empty()).count());
        for cand in &c.candidates {
            prop_assert!((0.0..=100.0).contains(&cand.confidence), "{}", cand.confidence);
            prop_assert!(!cand.reason.is_empty());
            if let Some(ct) = &cand.content {
                prop_assert!(ct.examples.len() <= 3);
                prop_assert!(ct.matched <= ct.total);
            }
        }
        for w in c.candidates.windows(2) {
            prop_assert!(w[0].confidence >= w[1].confidence);
        }
    }

    #[test]
    fn shaped_values_never_panic(values in proptest::collection::vec("[0-9 +().\\-xA-Za-z@:/#$_=]{0,40}", 1..20)) {
        let v: Vec<&str> = values.iter().map(String::as_str).collect();
        // Every name context, so the relaxed name-only rules run too.
        for name in NAMES {
            let _ = classify(&[name], &v);
        }
    }

    #[test]
    fn any_unicode_in_any_name_context_never_panics(
        values in proptest::collection::vec(any::<String>(), 1..12),
        name in proptest::sample::select(NAMES),
    ) {
        let v: Vec<&str> = values.iter().map(String::as_str).collect();
        let _ = classify(&[name], &v);
    }

    #[test]
    fn plausible_prefixes_with_unicode_tails_never_panic(
        prefix in proptest::sample::select(PREFIXES),
        tail in "[0-9A-Za-z .:/@#$_=+\\-éß中€ü\u{1F600}]{0,40}",
        name in proptest::sample::select(NAMES),
    ) {
        let value = format!("{prefix}{tail}");
        let _ = classify(&[name], &[value.as_str()]);
    }

    #[test]
    fn mask_hides_long_values(value in "[a-zA-Z0-9]{6,40}") {
        prop_assert_ne!(mask(&value), value);
    }
}
