//! Offline PII detection for dynameta's Auto-Classification.
//!
//! Everything here is pure: no I/O, no model download. A column is described by
//! its attribute path and a sample of its non-null values rendered as text;
//! [`classify`] scores every recognizer on it and [`Classification::decide`]
//! picks the tag OpenMetadata would show (`PII.Sensitive` / `PII.NonSensitive`).
//!
//! Modules: `recognizers` (one content validator per entity), `names` (column-name
//! patterns), `score` (combining evidence).

#![forbid(unsafe_code)]

mod leaves;
mod names;
mod recognizers;
mod score;
mod types;

pub use leaves::mask_leaves_at;
pub use recognizers::recognizers;
pub use types::*;

use recognizers::{Ctx, SPECS};
use score::Tally;

/// Maximum number of masked examples kept per recognizer.
const MAX_EXAMPLES: usize = 3;
/// After this many values, recognizers that accepted almost none of them stop looking.
pub const PRUNE_AFTER: usize = 64;
/// ... "almost none": fewer than this share. A recognizer needs about 68 % of a
/// column's values to reach the default threshold on content alone, and the values come
/// in random key order, so a column below 10 % after 64 values cannot get there.
const PRUNE_BELOW: f64 = 0.10;

/// After this many values, a column whose every looking recognizer accepts at least
/// [`SETTLED`] or at most 1 − [`SETTLED`] of the values is decided: more values would
/// move no share by more than a few points (± 3.8 % at 64 values and 90 %; the decision
/// only changes for shares within that of a threshold).
pub const SETTLE_AFTER: usize = 64;
const SETTLED: f64 = 0.9;

fn settled(active: &[bool], tallies: &[Option<Tally>], seen: &[usize]) -> bool {
    active
        .iter()
        .zip(tallies)
        .zip(seen)
        .all(|((&on, tally), &looked)| {
            if !on || looked == 0 {
                return true;
            }
            let share = tally.as_ref().map_or(0, |t| t.matched) as f64 / looked as f64;
            share >= SETTLED || share <= 1.0 - SETTLED
        })
}

/// Stops recognizers whose share of accepted values is below [`PRUNE_BELOW`], unless the
/// column name points at their entity (then every value counts for the reason shown).
fn prune(active: &mut [bool], tallies: &[Option<Tally>], hints: &[bool], seen: &[usize]) {
    for i in 0..active.len() {
        if !active[i] || hints[i] || seen[i] == 0 {
            continue;
        }
        let matched = tallies[i].as_ref().map_or(0, |t| t.matched);
        if (matched as f64) < PRUNE_BELOW * seen[i] as f64 {
            active[i] = false;
        }
    }
}

/// Values looked at for the column's country: international numbers among them.
const REGION_VALUES: usize = 64;

/// The country the column's evidence suggests, for numbers written without a country
/// code: the country most of its international phone numbers have (at least 3 of them and
/// half of those seen), else the language of its name (`telefone` → BR, `電話` → JP).
/// `None` when nothing says; national numbers are then judged by the default rules only.
fn column_region(
    normal: &names::NormalPath,
    values: &[&str],
) -> (Option<phonenumber::country::Id>, bool) {
    let mut counts: Vec<(phonenumber::country::Id, usize)> = Vec::new();
    let mut international = 0;
    for v in values
        .iter()
        .map(|v| v.trim())
        .filter(|v| v.starts_with('+'))
        .take(REGION_VALUES)
    {
        international += 1;
        if let Some(id) = recognizers::phone_region(v) {
            match counts.iter_mut().find(|(c, _)| *c == id) {
                Some((_, n)) => *n += 1,
                None => counts.push((id, 1)),
            }
        }
    }
    let from_values = counts
        .into_iter()
        .max_by_key(|&(_, n)| n)
        .filter(|&(_, n)| n >= 3 && 2 * n >= international)
        .map(|(id, _)| id);
    match from_values {
        Some(id) => (Some(id), true),
        None => (names::region(normal), false),
    }
}

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
    let (region, region_from_values) = column_region(&normal, values);
    let contexts: Vec<Ctx> = hints
        .iter()
        .map(|&name| Ctx {
            name,
            region,
            region_from_values,
        })
        .collect();
    // Values each recognizer looked at, and whether it still looks.
    let mut seen = vec![0usize; SPECS.len()];
    let mut active: Vec<bool> = SPECS.iter().map(|s| s.check.is_some()).collect();
    // Values looked at (all of them, unless the column settled early).
    let mut total = 0;
    for raw in values {
        // An empty string is no value, like an absent attribute (OpenMetadata's own
        // classifier ignores empty values too): it counts neither for nor against.
        let v = raw.trim();
        if v.is_empty() {
            continue;
        }
        if total == PRUNE_AFTER {
            prune(&mut active, &tallies, &hints, &seen);
        }
        if total == SETTLE_AFTER && settled(&active, &tallies, &seen) {
            break;
        }
        total += 1;
        for (i, spec) in SPECS.iter().enumerate() {
            if !active[i] {
                continue;
            }
            seen[i] += 1;
            let Some(check) = spec.check else { continue };
            if let Some((pattern, weight)) = check(v, &contexts[i]) {
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
    let mut candidates: Vec<Candidate> = SPECS
        .iter()
        .zip(tallies)
        .zip(&seen)
        .filter_map(|((spec, tally), &looked)| {
            // A recognizer that stopped early is judged on the values it looked at.
            let looked = if spec.check.is_some() { looked } else { total };
            score::candidate(spec, looked, tally, name_for(spec.info.entity))
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
    fn the_decision_uses_the_printed_confidence() {
        // 161 of 200 e-mails: 95 × (161/200) / 0.85 = 89.97, printed `90.0`.
        // Interleaved, so the column does not settle after its first values.
        let v: Vec<&str> = (0..200)
            .map(|i| {
                if (i + 1) * 161 / 200 > i * 161 / 200 {
                    "someone@example.com"
                } else {
                    "unknown"
                }
            })
            .collect();
        let c = classify(&["col"], &v);
        let top = &c.candidates[0];
        assert_eq!(format!("{:.1}", top.confidence), "90.0");
        assert_eq!(top.confidence, 90.0);
        assert_eq!(
            c.decide(90.0).map(|d| d.recognizer.entity),
            Some("EMAIL_ADDRESS")
        );
        assert!(c.decide(90.1).is_none());
    }

    #[test]
    fn empty_strings_are_no_values() {
        // 30 % empty strings, interleaved, score as the same column without them.
        let emails: Vec<String> = (0..49).map(|i| format!("user{i}@example.com")).collect();
        let without: Vec<&str> = emails.iter().map(String::as_str).collect();
        let mut with_empty = Vec::new();
        for (i, e) in without.iter().enumerate() {
            with_empty.push(*e);
            if i % 7 < 3 {
                with_empty.push(if i % 2 == 0 { "" } else { "  " });
            }
        }
        assert_eq!(with_empty.len(), 70);
        let (a, b) = (
            classify(&["contact"], &without),
            classify(&["contact"], &with_empty),
        );
        assert_eq!(b.candidates[0].confidence, a.candidates[0].confidence);
        assert_eq!(b.candidates[0].confidence, 95.0);
        assert_eq!(b.values_seen, 49);
        assert!(b.candidates[0].reason.starts_with("100% of 49 values"));
    }

    #[test]
    fn location_beats_person_when_it_scores_higher_and_the_path_says_address() {
        let cities = ["San Francisco"; 30];
        let c = classify(&["profile", "address", "city"], &cities);
        let conf = |e: &str| {
            c.candidates
                .iter()
                .find(|x| x.recognizer.entity == e)
                .map(|x| x.confidence)
        };
        let (loc, person) = (conf("LOCATION"), conf("PERSON"));
        assert!(loc > person, "{loc:?} {person:?}");
        assert_eq!(
            c.decide(80.0).map(|d| d.recognizer.entity),
            Some("LOCATION")
        );
        // Without the address path the person match stands: priority decides.
        let c = classify(&["col"], &["Francisco Lopez"; 30]);
        assert_eq!(c.decide(80.0).map(|d| d.recognizer.entity), Some("PERSON"));
        // And a more sensitive candidate the name also points at keeps priority.
        let c = classify(&["contact", "email"], &["a@example.com"; 30]);
        assert_eq!(
            c.decide(80.0).map(|d| d.recognizer.entity),
            Some("EMAIL_ADDRESS")
        );
    }

    #[test]
    fn recognizer_list() {
        assert_eq!(recognizers().len(), 20);
        assert!(recognizers()
            .iter()
            .any(|r| r.name == "CreditCardRecognizer"));
    }
}
