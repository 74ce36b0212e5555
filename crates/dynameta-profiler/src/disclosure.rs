//! What a profile may show of a column's values.
//!
//! Counts, lengths and moments say nothing about a single item; top values, minimum,
//! maximum and quantiles are values of items. A profile lands in a catalog many people
//! read, so raw values are shown only when they are common to many items and not
//! personal data:
//!
//! - **Top values** (`cardinalityDistribution`, our `topValues`) only for string columns
//!   of at most [`TOP_VALUES_LIMIT`] distinct values, whose distinct values are at most
//!   [`MAX_DISTINCT_PROPORTION`] of their values, and only the values that occur at least
//!   [`MIN_VALUE_COUNT`] times (the others are counted under `Others`). A unique or
//!   nearly unique column (ids, card numbers, e-mails) therefore shows none.
//! - **Personal data**: dynameta's PII recognizers (`dynameta-pii`, as `classify` uses
//!   them) score the column from its name and its candidate values (each repeated by its
//!   count). When a `PII.Sensitive` recognizer reaches [`PII_CONFIDENCE`], or one of the
//!   values to show is itself accepted by a `PII.Sensitive` recognizer, the values are
//!   masked (`dynameta_pii::mask`: `45************66`; equal masks are merged). For
//!   number columns the same test runs on the exact minimum and maximum; a sensitive one
//!   gets no `min`, `max`, quartiles or histogram in OpenMetadata's profile and masked
//!   `min` / `max` in ours.
//!
//! The recognizers run once per column at the end, on at most a few hundred values.

use dynameta_pii::Sensitivity;

use super::column::{ColumnStats, TOP_VALUES_LIMIT};

/// Top values are shown only for columns whose distinct values are at most this share
/// of their values.
pub const MAX_DISTINCT_PROPORTION: f64 = 0.5;
/// A value is shown only when this many items (at least) hold it.
pub const MIN_VALUE_COUNT: u64 = 5;
/// Most values shown; the rest are `Others`.
pub const MAX_SHOWN: usize = 10;
/// Confidence (0–100) at which a `PII.Sensitive` recognizer gets a column's values
/// masked: lower than `classify`'s default 80, as hiding a value costs little.
pub const PII_CONFIDENCE: f64 = 50.0;
/// Values handed to the recognizers per column (the most frequent first).
const MAX_RECOGNIZER_VALUES: usize = 256;

/// The top values a profile may show.
#[derive(Debug, Clone, PartialEq)]
pub struct TopValues {
    /// Values (masked when `masked`) and their counts, most frequent first.
    pub shown: Vec<(String, u64)>,
    /// Values not shown (rarer, or beyond [`MAX_SHOWN`]).
    pub others: u64,
    /// Every string value was distinct.
    pub all_unique: bool,
    /// The values were masked as personal data.
    pub masked: bool,
}

/// What may be shown of one column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Disclosure {
    /// Top values, when any may be shown.
    pub top: Option<TopValues>,
    /// The column's numbers are personal data: no raw minimum, maximum or quantiles.
    pub sensitive_numbers: bool,
}

/// Decides what may be shown of `stats`, the column at attribute `path`.
pub fn disclose(stats: &ColumnStats, path: &[&str]) -> Disclosure {
    Disclosure {
        top: top_values(stats, path),
        sensitive_numbers: stats.numbers.as_deref().is_some_and(|n| {
            let (min, max) = (n.min.to_string(), n.max.to_string());
            sensitive(path, &[&min, &max], &[&min, &max])
        }),
    }
}

fn top_values(stats: &ColumnStats, path: &[&str]) -> Option<TopValues> {
    let all = stats.top_values()?;
    let total: u64 = all.iter().map(|(_, c)| c).sum();
    if total == 0 || all.len() > TOP_VALUES_LIMIT {
        return None;
    }
    if all.len() as f64 > MAX_DISTINCT_PROPORTION * total as f64 {
        return None;
    }
    let shown: Vec<(String, u64)> = all
        .iter()
        .filter(|(_, c)| *c >= MIN_VALUE_COUNT)
        .take(MAX_SHOWN)
        .cloned()
        .collect();
    if shown.is_empty() {
        return None;
    }
    // The recognizers see the values as the items hold them: each repeated by its count.
    let mut sample: Vec<&str> = Vec::new();
    'fill: for (value, count) in &all {
        for _ in 0..*count {
            if sample.len() == MAX_RECOGNIZER_VALUES {
                break 'fill;
            }
            sample.push(value);
        }
    }
    let candidates: Vec<&str> = shown.iter().map(|(v, _)| v.as_str()).collect();
    let masked = sensitive(path, &sample, &candidates);
    let shown = if masked { mask_merged(shown) } else { shown };
    let others = total - shown.iter().map(|(_, c)| c).sum::<u64>();
    Some(TopValues {
        shown,
        others,
        all_unique: all.iter().all(|(_, c)| *c == 1),
        masked,
    })
}

/// Masks every value; values whose masks are equal become one, their counts added.
fn mask_merged(values: Vec<(String, u64)>) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = Vec::new();
    for (value, count) in values {
        let masked = dynameta_pii::mask(&value);
        match out.iter_mut().find(|(m, _)| *m == masked) {
            Some((_, c)) => *c += count,
            None => out.push((masked, count)),
        }
    }
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// True when the column (its path and `sample` of values) scores `PII.Sensitive` at
/// [`PII_CONFIDENCE`], or any of `shown` is on its own accepted by a sensitive recognizer.
/// A recognizer that panics on a strange value counts as having found personal data:
/// the values are hidden rather than shown unchecked.
fn sensitive(path: &[&str], sample: &[&str], shown: &[&str]) -> bool {
    std::panic::catch_unwind(|| {
        let column = dynameta_pii::classify(path, sample);
        column.candidates.iter().any(|c| {
            c.recognizer.sensitivity == Sensitivity::Sensitive && c.confidence >= PII_CONFIDENCE
        }) || shown.iter().any(|value| {
            dynameta_pii::classify(&[], &[value]).candidates.iter().any(|c| {
                c.recognizer.sensitivity == Sensitivity::Sensitive
                    && c.content.as_ref().is_some_and(|e| e.matched > 0)
            })
        })
    })
    .unwrap_or_else(|_| {
        tracing::warn!(column = %path.join("."), "a PII recognizer failed on this column's values; they are masked");
        true
    })
}
