//! The `CreateTableProfileRequest` of one profiled table (table and column profiles),
//! and dynameta's fuller record of how it was read, from the merged statistics.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{column_profiles, ColumnSummary, ExportRead, Sampling, TableStats};
use crate::openmetadata::{CreateTableProfile, TableProfile};
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

/// How a profile was read, and every attribute path's exact statistics: the `dynamodb`
/// part of a `createTableProfile` record, beside OpenMetadata's request. Fields in the
/// order dynameta has always written them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename = "ProfileStatistics"))]
#[serde(rename_all = "camelCase")]
pub struct ProfileDetails {
    /// Whether the profile's `rowCount` was counted (full scan) rather than estimated.
    pub row_count_exact: bool,
    /// DescribeTable's approximate item count (refreshed by DynamoDB about every six hours).
    pub item_count_reported: Option<i64>,
    /// How the profiled items were chosen.
    pub sampling: Sampling,
    /// Items read.
    pub items_read: u64,
    /// Scan requests made (0 when read from an export).
    pub requests: u64,
    /// Scan segments (or export data files).
    pub segments: ReadSegments,
    /// Read capacity units consumed, as DynamoDB reported.
    pub consumed_read_units: f64,
    /// Read units per second the scan was held to, if any.
    pub read_budget: Option<f64>,
    /// Wall time of the read, in seconds.
    pub seconds: f64,
    /// Every attribute path (nested map fields too), by path.
    pub columns: Vec<ColumnSummary>,
    /// When read from a DynamoDB export to S3: which, and what was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<ExportRead>,
}

/// Segments of a profile's read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename = "Segments"))]
pub struct ReadSegments {
    /// Segments the table was cut into (export: data files).
    pub total: u32,
    /// Segments planned for this read.
    pub planned: u64,
    /// Segments read to their end.
    pub completed: u32,
}

impl ProfiledTable<'_> {
    /// The request body and the `dynamodb` part of the record (its `export` is the
    /// caller's to set).
    pub fn build(&self) -> (CreateTableProfile, ProfileDetails) {
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
        let mut table_profile = TableProfile {
            timestamp: self.timestamp,
            row_count: None,
            column_count: None,
            size_in_byte: None,
            create_date_time: None,
            profile_sample: None,
            profile_sample_type: None,
        };
        if self.table_metrics {
            let key_count = [&table.hash_key, &table.range_key]
                .iter()
                .filter(|k| k.is_some())
                .count();
            let column_count = merged.columns.len().max(key_count);
            table_profile.row_count = Some(self.row_count.round());
            table_profile.column_count = Some(column_count as u64);
            table_profile.size_in_byte = table.size_bytes;
            table_profile.create_date_time = table.created_at.clone();
            if let (Some(p), Some(t)) = (
                self.sampling.profile_sample,
                &self.sampling.profile_sample_type,
            ) {
                table_profile.profile_sample = Some(p);
                table_profile.profile_sample_type = Some(t.clone());
            }
        }
        let payload = CreateTableProfile {
            table_profile,
            column_profile: columns,
        };
        let scan = self.scan;
        let details = ProfileDetails {
            row_count_exact: self.row_count_exact,
            item_count_reported: table.item_count,
            sampling: self.sampling.clone(),
            items_read: scan.items,
            requests: scan.requests,
            segments: ReadSegments {
                total: self.segments.0,
                planned: self.segments.1 as u64,
                completed: scan.segments_completed,
            },
            consumed_read_units: scan.consumed_read_units,
            read_budget: self.read_budget,
            seconds: scan.elapsed.as_secs_f64(),
            columns: summaries,
            export: None,
        };
        (payload, details)
    }
}
