//! Property tests: `classify` is total and well-behaved on arbitrary input.

use dynameta_pii::{classify, mask};
use proptest::prelude::*;

proptest! {
    #[test]
    fn classify_never_panics_and_confidence_in_range(
        path in proptest::collection::vec("[a-zA-Z_.\\-]{0,12}", 0..4),
        values in proptest::collection::vec(any::<String>(), 0..30),
    ) {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        let v: Vec<&str> = values.iter().map(String::as_str).collect();
        let c = classify(&p, &v);
        prop_assert_eq!(c.values_seen, v.len());
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
        for name in ["col", "phone", "ssn", "itin", "dob", "email", "ip", "mac", "url", "iban",
                     "card_number", "password", "gender", "address", "zip", "first_name",
                     "passport", "driver_license", "bank_account", "nhs_number", "wallet", "dea_number"] {
            let _ = classify(&[name], &v);
        }
    }

    #[test]
    fn mask_hides_long_values(value in "[a-zA-Z0-9]{6,40}") {
        prop_assert_ne!(mask(&value), value);
    }
}
