//! Content recognizers: one validator per entity, plus the static recognizer table.
//!
//! Every validator has the signature [`Check`]: it gets one trimmed value and whether the
//! column name matched this recognizer's entity (name context). Name context may relax a rule
//! that would be too loose alone (bare 9-digit SSNs, bare phone digits, passport numbers). It
//! returns the name of the pattern that accepted and that value's weight (0–1); the content
//! score is the mean weight over all values. Validators start with cheap byte-level
//! pre-filters so garbage is rejected before any parsing.

mod card;
mod credential;
mod crypto;
mod datetime;
mod email;
mod iban;
mod location;
mod national;
mod network;
mod nrp;
mod person;
mod phone;
mod ssn;
mod url;

use crate::types::{RecognizerInfo, Sensitivity};
use std::sync::LazyLock;

/// An accepted value: the accepting pattern and the value's weight 0–1.
pub(crate) type Accept = Option<(&'static str, f64)>;

/// What a validator knows about the column besides the value.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Ctx {
    /// The column name points at this recognizer's entity.
    pub name: bool,
    /// The country the column's other evidence suggests (the column name's language,
    /// the country codes of its other values), for numbers written without one.
    pub region: Option<phonenumber::country::Id>,
    /// `region` comes from the column's own international numbers (at least 3, and
    /// half of those seen): the column holds phone numbers of that country, so its
    /// bare national numbers can be judged there even under a neutral name.
    pub region_from_values: bool,
}

/// A content validator: `(trimmed value, column context) -> accepted?`.
pub(crate) type Check = fn(&str, &Ctx) -> Accept;

/// One recognizer: its public description plus how it looks at values.
pub(crate) struct Spec {
    /// Public description.
    pub info: RecognizerInfo,
    /// Content validator, if the entity has a recognisable format.
    pub check: Option<Check>,
    /// Plural phrase for reasons: "97% of 200 values {accepts}".
    pub accepts: &'static str,
    /// Singular noun for contradictions: "no value looks like {noun}".
    pub noun: &'static str,
}

const fn info(
    id: &'static str,
    name: &'static str,
    entity: &'static str,
    sensitivity: Sensitivity,
    strength: f64,
) -> RecognizerInfo {
    RecognizerInfo {
        id,
        name,
        entity,
        sensitivity,
        strength,
    }
}

use Sensitivity::{NonSensitive as NS, Sensitive as S};

pub(crate) use phone::region_of as phone_region;

/// Every recognizer, in a stable order.
pub(crate) static SPECS: &[Spec] = &[
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c01",
            "CreditCardRecognizer",
            "CREDIT_CARD",
            S,
            1.0,
        ),
        check: Some(|v, cx| card::check(v, cx.name)),
        accepts: "pass the card-prefix, length and Luhn checks",
        noun: "a payment card number",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c02",
            "CryptoRecognizer",
            "CRYPTO",
            S,
            1.0,
        ),
        check: Some(|v, cx| crypto::check(v, cx.name)),
        accepts: "are crypto wallet addresses (base58check, bech32 or 0x+40 hex)",
        noun: "a crypto wallet address",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c03",
            "EmailRecognizer",
            "EMAIL_ADDRESS",
            S,
            0.95,
        ),
        check: Some(|v, cx| email::check(v, cx.name)),
        accepts: "are well-formed e-mail addresses",
        noun: "an e-mail address",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c04",
            "IbanRecognizer",
            "IBAN_CODE",
            S,
            1.0,
        ),
        check: Some(|v, cx| iban::check(v, cx.name)),
        accepts: "pass the IBAN length and mod-97 checks",
        noun: "an IBAN",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c05",
            "IpRecognizer",
            "IP_ADDRESS",
            S,
            0.95,
        ),
        check: Some(|v, cx| network::check_ip(v, cx.name)),
        accepts: "parse as IPv4/IPv6 addresses",
        noun: "an IP address",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c06",
            "MacAddressRecognizer",
            "MAC_ADDRESS",
            S,
            0.95,
        ),
        check: Some(|v, cx| network::check_mac(v, cx.name)),
        accepts: "are MAC addresses",
        noun: "a MAC address",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c07",
            "PersonRecognizer",
            "PERSON",
            S,
            0.9,
        ),
        check: Some(|v, cx| person::check(v, cx.name)),
        accepts: "look like person names (known first or last name)",
        noun: "a person name",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c08",
            "MedicalLicenseRecognizer",
            "MEDICAL_LICENSE",
            S,
            0.9,
        ),
        check: Some(|v, cx| national::check_medical(v, cx.name)),
        accepts: "pass the DEA registration number or NPI (Luhn, 80840 prefix) checksum",
        noun: "a DEA number or NPI",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c09",
            "UsSsnRecognizer",
            "US_SSN",
            S,
            0.9,
        ),
        check: Some(|v, cx| ssn::check_ssn(v, cx.name)),
        accepts: "are US SSNs (AAA-GG-SSSS, valid ranges)",
        noun: "a US SSN",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c0a",
            "UsPassportRecognizer",
            "US_PASSPORT",
            S,
            0.6,
        ),
        check: Some(|v, cx| national::check_passport(v, cx.name)),
        accepts: "have the US passport number format",
        noun: "a US passport number",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c0b",
            "UsDriverLicenseRecognizer",
            "US_DRIVER_LICENSE",
            S,
            0.6,
        ),
        check: Some(|v, cx| national::check_driver_license(v, cx.name)),
        accepts: "have a driver's licence number format",
        noun: "a driver's licence number",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c0c",
            "UsItinRecognizer",
            "US_ITIN",
            S,
            0.9,
        ),
        check: Some(|v, cx| ssn::check_itin(v, cx.name)),
        accepts: "are US ITINs (9XX-7X-XXXX ranges)",
        noun: "a US ITIN",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c0d",
            "UsBankNumberRecognizer",
            "US_BANK_NUMBER",
            S,
            0.6,
        ),
        check: Some(|v, cx| national::check_bank_number(v, cx.name)),
        accepts: "have a bank account number format",
        noun: "a bank account number",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c0e",
            "NhsRecognizer",
            "UK_NHS",
            S,
            1.0,
        ),
        check: Some(|v, cx| national::check_nhs(v, cx.name)),
        accepts: "pass the NHS number mod-11 check",
        noun: "an NHS number",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c0f",
            "CredentialRecognizer",
            "CREDENTIAL",
            S,
            1.0,
        ),
        check: Some(|v, cx| credential::check(v, cx.name)),
        accepts: "are secrets (API keys, tokens, private keys)",
        noun: "a secret",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c10",
            "PhoneRecognizer",
            "PHONE_NUMBER",
            NS,
            1.0,
        ),
        check: Some(phone::check_in),
        accepts: "are valid phone numbers (libphonenumber)",
        noun: "a phone number",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c11",
            "DateRecognizer",
            "DATE_TIME",
            NS,
            0.9,
        ),
        check: Some(|v, cx| datetime::check(v, cx.name)),
        accepts: "are calendar dates or date-times",
        noun: "a date",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c12",
            "LocationRecognizer",
            "LOCATION",
            NS,
            0.9,
        ),
        check: Some(|v, cx| location::check(v, cx.name)),
        accepts: "look like street addresses or postal locations",
        noun: "an address",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c13",
            "NrpRecognizer",
            "NRP",
            NS,
            0.9,
        ),
        check: Some(|v, cx| nrp::check(v, cx.name)),
        accepts: "are demographic values (gender, nationality, religion)",
        noun: "a demographic value",
    },
    Spec {
        info: info(
            "3f6b1c2a-8e4d-4a7b-9c1e-0d2f5a6b7c14",
            "UrlRecognizer",
            "URL",
            NS,
            0.9,
        ),
        check: Some(|v, cx| url::check(v, cx.name)),
        accepts: "are URLs",
        noun: "a URL",
    },
];

static INFOS: LazyLock<Vec<RecognizerInfo>> =
    LazyLock::new(|| SPECS.iter().map(|s| s.info).collect());

/// Every recognizer this crate knows, in a stable order (for docs and `--explain`).
pub fn recognizers() -> &'static [RecognizerInfo] {
    &INFOS
}

/// Digits of `s` if it consists only of ASCII digits and the separators in `seps`
/// (single separators between digits), else `None`.
pub(crate) fn digits_with_seps(s: &str, seps: &[u8]) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if b.is_empty() || !b[0].is_ascii_digit() || !b[b.len() - 1].is_ascii_digit() {
        return None;
    }
    let mut out = Vec::with_capacity(b.len());
    let mut prev_sep = false;
    for &c in b {
        if c.is_ascii_digit() {
            out.push(c - b'0');
            prev_sep = false;
        } else if seps.contains(&c) && !prev_sep {
            prev_sep = true;
        } else {
            return None;
        }
    }
    Some(out)
}

/// True when every byte is an ASCII digit (and there is at least one).
pub(crate) fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_distinct_uuids() {
        let ids: HashSet<_> = SPECS.iter().map(|s| s.info.id).collect();
        assert_eq!(ids.len(), SPECS.len());
        for id in ids {
            let parts: Vec<_> = id.split('-').map(str::len).collect();
            assert_eq!(parts, [8, 4, 4, 4, 12], "{id}");
            assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        }
        let entities: HashSet<_> = SPECS.iter().map(|s| s.info.entity).collect();
        assert_eq!(entities.len(), SPECS.len());
    }

    #[test]
    fn every_name_pattern_has_a_recognizer() {
        for p in crate::names::PATTERNS {
            assert!(
                SPECS.iter().any(|s| s.info.entity == p.entity),
                "{}",
                p.entity
            );
        }
    }
}
