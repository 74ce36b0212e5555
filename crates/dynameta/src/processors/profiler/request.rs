//! The `CreateTableProfileRequest` of one profiled table (table and column profiles),
//! and dynameta's fuller record of how it was read, from the merged statistics.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{column_profiles, Sampling, TableStats};
use crate::processors::inference::column_names;
use crate::source::{ScanStats, TableDescription};

/// Everything one table's profile is built from.
pub struct ProfiledTable<'a> {
    /// DescribeTable's answer.
    pub table: &'a TableDescription,
    /// The statistics of every item read, merged.
    pub stats: &'a TableStats,
    /// Rows of the table: counted (full scan) or estimated from the sample.
    pub row_count: f64,
    /// Whether `row_count` was counted.
    pub row_count_exact: bool,
    /// How the sample was chosen, and which share of the table it is.
    pub sampling: Sampling,
    /// What the scan did.
    pub scan: &'a ScanStats,
    /// Segments the table was cut into, and how many of them were planned.
    pub segments: (u32, usize),
    /// Read units per second the scan was held to, if any.
    pub read_budget: Option<f64>,
    /// Milliseconds since the epoch, shared by the table and column profiles.
    pub timestamp: i64,
    /// `metrics`: the metric names to keep (all when `None`).
    pub metrics: Option<&'a [String]>,
    /// `computeTableMetrics` (default true).
    pub table_metrics: bool,
    /// `computeColumnMetrics` (default true).
    pub column_metrics: bool,
}

impl ProfiledTable<'_> {
    /// The request body and the `dynamodb` part of the record.
    pub fn build(&self) -> (Value, Value) {
        let merged = self.stats;
        let mut attrs: Vec<&str> = merged.columns.keys().map(String::as_str).collect();
        attrs.sort_unstable();
        // Profiles name the columns the published table has: the same encoded names.
        let names: HashMap<&str, String> = attrs
            .iter()
            .copied()
            .zip(column_names(attrs.iter().copied()))
            .collect();
        let (mut columns, summaries) = column_profiles(
            &merged.columns,
            merged.rows,
            self.timestamp,
            self.metrics,
            &|a| names.get(a).cloned(),
        );
        if !self.column_metrics {
            columns.clear();
        }
        let table = self.table;
        let mut table_profile = json!({"timestamp": self.timestamp});
        if self.table_metrics {
            let key_count = [&table.hash_key, &table.range_key]
                .iter()
                .filter(|k| k.is_some())
                .count();
            let column_count = merged.columns.len().max(key_count);
            table_profile["rowCount"] = json!(self.row_count.round());
            table_profile["columnCount"] = json!(column_count);
            if let Some(size) = table.size_bytes {
                table_profile["sizeInByte"] = json!(size);
            }
            if let Some(created) = &table.created_at {
                table_profile["createDateTime"] = json!(created);
            }
            if let (Some(p), Some(t)) = (
                self.sampling.profile_sample,
                self.sampling.profile_sample_type,
            ) {
                table_profile["profileSample"] = json!(p);
                table_profile["profileSampleType"] = json!(t);
            }
        }
        let payload = json!({"tableProfile": table_profile, "columnProfile": columns});
        let scan = self.scan;
        let dynamodb = json!({
            "rowCountExact": self.row_count_exact,
            "itemCountReported": table.item_count,
            "sampling": self.sampling,
            "itemsRead": scan.items,
            "requests": scan.requests,
            "segments": {"total": self.segments.0, "planned": self.segments.1, "completed": scan.segments_completed},
            "consumedReadUnits": scan.consumed_read_units,
            "readBudget": self.read_budget,
            "seconds": scan.elapsed.as_secs_f64(),
            "columns": summaries,
        });
        (payload, dynamodb)
    }
}
