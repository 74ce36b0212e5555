//! Offline PII detection for dynameta's Auto-Classification.
//!
//! Everything here is pure: no I/O, no model download. A column is described by
//! its attribute path and a sample of its non-null values rendered as text;
//! [`classify`] scores every recognizer on it and [`Classification::decide`]
//! picks the tag OpenMetadata would show (`PII.Sensitive` / `PII.NonSensitive`).
//!
//! Modules: `recognizers` (one content validator per entity), `names` (column-name
//! patterns), `score` (combining evidence), `sha256` (for Bitcoin checksums).

mod names;
mod recognizers;
mod score;
pub mod sha256;
mod types;

pub use recognizers::recognizers;
pub use types::*;

use recognizers::SPECS;
use score::Tally;

/// Maximum number of masked examples kept per recognizer.
const MAX_EXAMPLES: usize = 3;

/// Scores every recognizer against one column.
///
/// `path` is the attribute path from the top of the item (`["profile", "address", "street"]`),
/// `values` the column's sampled non-null values as text (numbers as their DynamoDB digits,
/// list and set elements as separate values).
pub fn classify(path: &[&str], values: &[&str]) -> Classification {
    let normal = names::normalise(path);
    let name_hits = names::matches(&normal);
    let name_for = |entity: &str| name_hits.iter().copied().find(|p| p.entity == entity);

    let mut tallies: Vec<Option<Tally>> = SPECS.iter().map(|_| None).collect();
    let hints: Vec<bool> = SPECS
        .iter()
        .map(|s| name_for(s.info.entity).is_some())
        .collect();
    for raw in values {
        let v = raw.trim();
        if v.is_empty() {
            continue;
        }
        for (i, spec) in SPECS.iter().enumerate() {
            let Some(check) = spec.check else { continue };
            if let Some((pattern, weight)) = check(v, hints[i]) {
                let t = tallies[i].get_or_insert_with(Tally::default);
                t.matched += 1;
                t.weight += weight;
                if t.examples.len() < MAX_EXAMPLES {
                    t.examples.push(mask(v));
                }
                if !t.patterns.contains(&pattern) {
                    t.patterns.push(pattern);
                }
            }
        }
    }
    let total = values.len();
    let mut candidates: Vec<Candidate> = SPECS
        .iter()
        .zip(tallies)
        .filter_map(|(spec, tally)| {
            score::candidate(spec, total, tally, name_for(spec.info.entity))
        })
        .collect();
    candidates.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(b.recognizer.sensitivity.cmp(&a.recognizer.sensitivity))
    });
    Classification {
        candidates,
        values_seen: total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(path: &[&str], values: &[&str]) -> Option<&'static str> {
        classify(path, values)
            .decide(80.0)
            .map(|c| c.recognizer.entity)
    }

    #[test]
    fn name_only_cases() {
        let bcrypt: Vec<String> = (0..20).map(|i| format!("$2b$12${:0>53}", i)).collect();
        let refs: Vec<&str> = bcrypt.iter().map(String::as_str).collect();
        let c = classify(&["password"], &refs);
        let d = c.decide(80.0).expect("password tagged");
        assert_eq!(d.recognizer.entity, "CREDENTIAL");
        assert_eq!(d.recognizer.sensitivity, Sensitivity::Sensitive);

        let ints: Vec<String> = (0..20).map(|i| (1000 + i).to_string()).collect();
        let refs: Vec<&str> = ints.iter().map(String::as_str).collect();
        let c = classify(&["email"], &refs);
        assert!(c.decide(80.0).is_none());
        assert!(
            c.candidates[0].reason.contains("but no value looks like"),
            "{}",
            c.candidates[0].reason
        );

        assert!(decide(&["product_name"], &["Chair", "Table"]).is_none());
        assert!(classify(&["product_name"], &[]).candidates.is_empty());
        let c = classify(&["profile", "address", "street"], &[]);
        assert_eq!(c.candidates[0].recognizer.entity, "LOCATION");
        assert_eq!(c.candidates[0].target, Target::ColumnName);
        assert_eq!(decide(&["ssn"], &[]), Some("US_SSN"));
    }

    #[test]
    fn name_plus_content_beats_name_alone() {
        let emails = [
            "a@example.com",
            "b@example.org",
            "c@example.net",
            "d@example.io",
            "e@example.com",
        ];
        let both = classify(&["email"], &emails).candidates[0].confidence;
        let name = classify(&["email"], &[]).candidates[0].confidence;
        let content = classify(&["col_1"], &emails).candidates[0].confidence;
        assert!(both > name && both > content, "{both} {name} {content}");
    }

    #[test]
    fn reason_and_examples() {
        let cards = ["4532015112830366"; 10];
        let c = classify(&["card_number"], &cards);
        let top = &c.candidates[0];
        assert_eq!(top.recognizer.entity, "CREDIT_CARD");
        assert!(
            top.reason.starts_with("100% of 10 values pass"),
            "{}",
            top.reason
        );
        assert!(top.reason.contains("column name matches `card_number`"));
        let ex = &top.content.as_ref().expect("content").examples;
        assert_eq!(ex.len(), 3);
        assert!(ex.iter().all(|e| e != "4532015112830366"));
        assert_eq!(c.values_seen, 10);
    }

    #[test]
    fn tiny_sample_is_scaled() {
        let c = classify(&["x"], &["john@example.com"]);
        assert!(c.candidates[0].confidence < 25.0);
    }

    #[test]
    fn mixed_column_tags_neither() {
        let mut v = vec!["a@example.com"; 10];
        v.extend(["+1 415-555-2671"; 10]);
        let c = classify(&["contact"], &v);
        assert!(c.decide(80.0).is_none());
        assert_eq!(c.candidates.len(), 2);
    }

    #[test]
    fn recognizer_list() {
        assert_eq!(recognizers().len(), 20);
        assert!(recognizers()
            .iter()
            .any(|r| r.name == "CreditCardRecognizer"));
    }
}
