//! Auto-Classification: from sampled items to PII tags on columns.
//!
//! The recognizers themselves live in the `dynameta-pii` crate (pure, offline). This
//! module feeds them: [`ColumnValues`] gathers every attribute path's values from the
//! sampled items (list and set elements one by one), [`targets`] walks a table's
//! inferred columns down to their leaves, [`classify_table`] scores each leaf, and
//! [`tag_label`] / [`sample_data`] shape the results as OpenMetadata expects them.

mod labels;
mod sample_data;
mod targets;
mod values;

pub use labels::{tag_label, ColumnTag, PII_CLASSIFICATION};
pub use sample_data::{sample_data, MAX_SAMPLE_ROWS};
pub use targets::{targets, ColumnTarget};
pub use values::ColumnValues;

use dynameta_pii::Classification;

/// One leaf column and what the recognizers found in it.
#[derive(Debug, Clone)]
pub struct ColumnResult {
    /// Which column.
    pub target: ColumnTarget,
    /// Every recognizer with evidence, best first.
    pub classification: Classification,
}

/// Scores every leaf column of a table. `values` must come from the same items the
/// columns were inferred from. A recognizer that panics on some strange value costs
/// that column its classification (with a warning), not the table.
pub fn classify_table(columns: &[ColumnTarget], values: &ColumnValues) -> Vec<ColumnResult> {
    columns
        .iter()
        .map(|target| {
            let path: Vec<&str> = target.path.iter().map(String::as_str).collect();
            let texts = values.get(&path);
            let classification =
                std::panic::catch_unwind(|| dynameta_pii::classify(&path, texts))
                    .unwrap_or_else(|_| {
                        tracing::warn!(column = %target.fqn, "a PII recognizer failed on this column's values; column not classified");
                        Classification::default()
                    });
            ColumnResult {
                target: target.clone(),
                classification,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
