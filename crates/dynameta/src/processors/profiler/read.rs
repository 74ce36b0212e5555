//! One table as read (by a run, a part, or parts merged), and the profile built from it.

use crate::config::ProfilerPipeline;
use crate::openmetadata::CreateTableProfile;
use crate::processors::profiler::plan::{row_count_of_sample, PlannedRead, Sample};
use crate::processors::profiler::{ProfileDetails, ProfiledTable, Sampling, TableStats};
use crate::source::{ScanStats, TableDescription};

/// One table read by one part (or by a whole run, or merged from parts): everything
/// its profile is built from.
#[derive(Debug, Clone)]
pub struct TableRead {
    /// DescribeTable's answer (of the part that ran first, when merged).
    pub table: TableDescription,
    /// The sample chosen.
    pub sample: Sample,
    /// The plan of the whole table (all parts): segments it is cut into, how many of
    /// them are read, the ROWS limit.
    pub plan: PlannedRead,
    /// Segments this read covered (of parts merged: all of theirs).
    pub segments: Vec<u32>,
    /// What the scan did (of parts merged: summed; seconds added up).
    pub scan: ScanStats,
    /// Read units per second the scan was held to.
    pub read_budget: Option<f64>,
    /// The statistics of the items read.
    pub stats: TableStats,
    /// When read from an export instead of a scan: which, and what was read (the
    /// plan's "segments" are then the export's data files).
    pub export: Option<ExportRead>,
}

/// What a profile read from a DynamoDB export to S3.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExportRead {
    /// The export, as configured (ARN or folder).
    pub export: String,
    /// The point in time it is of.
    pub export_time: Option<String>,
    /// Items in the export (its manifest's count: exact as of `exportTime`).
    pub items_in_export: u64,
    /// Data files in the export.
    #[cfg_attr(test, schemars(with = "u64"))]
    pub files: usize,
    /// Data files read.
    pub files_read: u64,
    /// Bytes downloaded (gzip'd).
    pub gzip_bytes: u64,
    /// Bytes of DynamoDB JSON after decompression.
    pub json_bytes: u64,
}
/// The `CreateTableProfileRequest` of a table read in full (one run, or its parts
/// merged), and our fuller statistics beside it (the record's `dynamodb`).
pub fn profile_of(
    read: &TableRead,
    profiler: &ProfilerPipeline,
) -> (CreateTableProfile, ProfileDetails) {
    let (sample, table, merged, stats) = (read.sample, &read.table, &read.stats, &read.scan);
    let total = f64::from(read.plan.total_segments);
    let planned = read.plan.planned;
    let (fraction, row_count, exact) = match (&read.export, sample) {
        // The export's manifest counts its items exactly (as of the export time).
        (Some(x), _) => {
            let rows = (x.items_in_export as f64).max(merged.rows as f64);
            ((merged.rows as f64 / rows.max(1.0)).min(1.0), rows, true)
        }
        (None, sample) => match sample {
            Sample::Full => (1.0, merged.rows as f64, true),
            Sample::Percentage(_) if planned as u32 == read.plan.total_segments => {
                (1.0, merged.rows as f64, true)
            }
            Sample::Percentage(_) => {
                let f = planned as f64 / total;
                let rows = row_count_of_sample(merged.rows, f, table.item_count);
                ((merged.rows as f64 / rows).min(1.0), rows, false)
            }
            Sample::Rows(_) if stats.segments_completed == read.plan.total_segments => {
                (1.0, merged.rows as f64, true)
            }
            // Segments are read only up to their quotas, so the share of the table read is
            // not known from the segments: DescribeTable's ItemCount is the row count then.
            Sample::Rows(_) => match table.item_count.filter(|&n| n > 0) {
                Some(n) => {
                    let n = (n as f64).max(merged.rows as f64);
                    (merged.rows as f64 / n, n, false)
                }
                None => {
                    let f = ((f64::from(stats.segments_completed)
                        + 0.5 * f64::from(stats.segments_partial))
                        / total)
                        .max(1.0 / total);
                    (f, merged.rows as f64 / f, false)
                }
            },
        },
    };
    let sampling = Sampling {
        profile_sample: match sample {
            Sample::Full => None,
            Sample::Percentage(p) => Some(p),
            Sample::Rows(n) => Some(n as f64),
        },
        profile_sample_type: match sample {
            Sample::Full => None,
            Sample::Percentage(_) => Some("PERCENTAGE".to_string()),
            Sample::Rows(_) => Some("ROWS".to_string()),
        },
        fraction,
    };
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let (payload, dynamodb) = ProfiledTable {
        table,
        stats: merged,
        row_count,
        row_count_exact: exact,
        sampling,
        scan: stats,
        segments: (read.plan.total_segments, planned),
        read_budget: read.read_budget,
        timestamp,
        metrics: profiler.metrics.as_deref(),
        table_metrics: profiler.compute_table_metrics != Some(false),
        column_metrics: profiler.compute_column_metrics != Some(false),
    }
    .build();
    let mut dynamodb = dynamodb;
    dynamodb.export = read.export.clone();
    (payload, dynamodb)
}
