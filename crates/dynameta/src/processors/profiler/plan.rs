//! What a profile reads of a table: the sample (OpenMetadata's `profileSample*`
//! settings), the scan plan (segments, which of them, the ROWS limit), the data files of
//! an export, the read budget, and the row count estimated from a sample.

use crate::config::{ConnectionArguments, ProfilerPipeline};
use crate::source::{self, ScanPlan, TableDescription};

/// Which items of a table are profiled.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Sample {
    /// Every item.
    Full,
    /// About this percentage of the items (whole random segments).
    Percentage(f64),
    /// This many items (random segments, stopping at the count).
    Rows(u64),
}

fn sample_of(value: f64, kind: Option<&str>) -> Sample {
    match kind {
        Some("ROWS") => Sample::Rows(value as u64),
        _ if value >= 100.0 => Sample::Full,
        _ => Sample::Percentage(value),
    }
}

/// The sample for a table of about `rows` items, from OpenMetadata 2.0's
/// `profileSampleConfig` or the 1.x flat `profileSample` / `profileSampleType`.
/// DYNAMIC uses the first threshold (highest first) the row count reaches; with
/// `smartSampling` and no thresholds: ≥ 10M rows 1 %, ≥ 1M rows 10 %, ≥ 100k rows 50 %,
/// smaller tables in full.
pub fn choose_sample(p: &ProfilerPipeline, rows: Option<i64>) -> Sample {
    if let Some(cfg) = &p.profile_sample_config {
        let settings = cfg.config.clone().unwrap_or_default();
        let is_static = cfg.sample_config_type.as_deref() == Some("STATIC")
            || (cfg.sample_config_type.is_none() && settings.profile_sample.is_some());
        if is_static {
            return settings.profile_sample.map_or(Sample::Full, |v| {
                sample_of(v, settings.profile_sample_type.as_deref())
            });
        }
        let rows = rows.unwrap_or(0).max(0) as u64;
        let mut tiers: Vec<(u64, Sample)> = match &settings.thresholds {
            Some(t) if !t.is_empty() => t
                .iter()
                .map(|t| {
                    (
                        t.row_count_threshold,
                        sample_of(t.profile_sample, t.profile_sample_type.as_deref()),
                    )
                })
                .collect(),
            _ if settings.smart_sampling != Some(false) => vec![
                (10_000_000, Sample::Percentage(1.0)),
                (1_000_000, Sample::Percentage(10.0)),
                (100_000, Sample::Percentage(50.0)),
            ],
            _ => Vec::new(),
        };
        tiers.sort_by_key(|t| std::cmp::Reverse(t.0));
        return tiers
            .into_iter()
            .find(|(threshold, _)| rows >= *threshold)
            .map_or(Sample::Full, |(_, s)| s);
    }
    p.profile_sample.map_or(Sample::Full, |v| {
        sample_of(v, p.profile_sample_type.as_deref())
    })
}

/// Fewest segments a PERCENTAGE sample reads: the table is cut into at least
/// `MIN_SAMPLED_SEGMENTS × 100 / p` segments, so that p % of the segments is p % of the
/// items to within a tenth of a segment's share, however few items the table has (4
/// segments of a 400-item table made a 10 % sample one whole segment, 25 % or more).
pub const MIN_SAMPLED_SEGMENTS: u32 = 10;
/// DynamoDB's largest `TotalSegments`.
const MAX_TOTAL_SEGMENTS: u32 = 1_000_000;

/// The scan plan for `sample` of a table of about `rows` items.
pub fn plan(
    sample: Sample,
    rows: Option<i64>,
    max_segments: u32,
    workers: u32,
    seed: u64,
) -> ScanPlan {
    let mut total = match rows {
        Some(n) => ((n.max(0) / 100) as u32).clamp(1, max_segments),
        None => max_segments,
    };
    if let Sample::Percentage(p) = sample {
        // More segments cost nothing here: only p % of them are read, one request each
        // at least, however many items they hold.
        let needed = (f64::from(MIN_SAMPLED_SEGMENTS) * 100.0 / p.max(1e-4)).ceil();
        total = total.max(needed.min(f64::from(MAX_TOTAL_SEGMENTS)) as u32);
    }
    let order = source::shuffled_segments(total, seed);
    let (segments, row_limit) = match sample {
        Sample::Full => ((0..total).collect(), None),
        Sample::Percentage(p) => {
            let k = ((f64::from(total) * p / 100.0).round() as u32).clamp(1, total);
            (order[..k as usize].to_vec(), None)
        }
        Sample::Rows(n) => (order, Some(n)),
    };
    ScanPlan {
        total_segments: total,
        segments,
        row_limit,
        workers: workers.max(1) as usize,
    }
}

/// The row count of a table of which `read` items were read from a random share `f` of
/// its segments. The estimate `read / f` has a standard error of about
/// `sqrt(N (1 − f) / f)` (each item is in a read segment with probability `f`): ±60 for
/// 10 % of 400 items, ±950 for 10 % of 100,000. DescribeTable's `ItemCount` (refreshed
/// about every six hours) has none while the table is unchanged, so it is the row count
/// when the sample agrees with it (within three standard errors); when they disagree,
/// the table changed since and the estimate wins. Never below the items read.
pub fn row_count_of_sample(read: u64, f: f64, item_count: Option<i64>) -> f64 {
    let read = read as f64;
    let estimate = read / f.clamp(f64::MIN_POSITIVE, 1.0);
    let error = (estimate.max(1.0) * (1.0 - f) / f).sqrt();
    match item_count.filter(|&n| n > 0).map(|n| n as f64) {
        Some(n) if (n - estimate).abs() <= 3.0 * error => n.max(read),
        _ => estimate,
    }
}

/// The read budget of a table: `maxReadCapacityPercent` of provisioned RCU and/or
/// `maxReadUnitsPerSecond`, the smaller when both apply.
pub fn read_budget(options: &ConnectionArguments, table: &TableDescription) -> Option<f64> {
    source::read_budget(
        options.max_read_capacity_percent,
        options.max_read_units_per_second,
        table,
    )
}

/// The data files of an export a sample reads, as indexes: all of them; a seeded
/// random p % of them (at least one); or seeded random files until they hold the ROWS
/// asked for (by the manifest's counts).
pub fn choose_files(sample: Sample, files: &[source::export::DataFile], seed: u64) -> Vec<u32> {
    let n = files.len() as u32;
    if n == 0 {
        return Vec::new();
    }
    let order = source::shuffled_segments(n, seed);
    match sample {
        Sample::Full => (0..n).collect(),
        Sample::Percentage(p) => {
            let k = ((f64::from(n) * p / 100.0).round() as u32).clamp(1, n);
            order[..k as usize].to_vec()
        }
        Sample::Rows(rows) => {
            let mut held = 0u64;
            order
                .into_iter()
                .take_while(|&i| {
                    let take = held < rows;
                    held += files[i as usize].item_count;
                    take
                })
                .collect()
        }
    }
}

/// The plan a table's parts share: merging checks that every part had the same.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedRead {
    /// `TotalSegments`.
    pub total_segments: u32,
    /// Segments the whole plan reads.
    pub planned: usize,
    /// Rows of a ROWS sample.
    pub row_limit: Option<u64>,
}
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use serde_json::Value;

    fn pipeline(v: Value) -> ProfilerPipeline {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn samples_from_2_0_and_1_x_configs() {
        let flat = pipeline(json!({"profileSample": 10, "profileSampleType": "PERCENTAGE"}));
        assert_eq!(choose_sample(&flat, Some(1000)), Sample::Percentage(10.0));
        let rows = pipeline(json!({"profileSample": 5000, "profileSampleType": "ROWS"}));
        assert_eq!(choose_sample(&rows, None), Sample::Rows(5000));
        let stat = pipeline(
            json!({"profileSampleConfig": {"sampleConfigType": "STATIC", "config": {"profileSample": 25}}}),
        );
        assert_eq!(choose_sample(&stat, None), Sample::Percentage(25.0));
        let dynamic = pipeline(
            json!({"profileSampleConfig": {"sampleConfigType": "DYNAMIC", "config": {"thresholds": [
                {"rowCountThreshold": 1000, "profileSample": 50},
                {"rowCountThreshold": 100000, "profileSample": 2000, "profileSampleType": "ROWS"}
            ]}}}),
        );
        assert_eq!(choose_sample(&dynamic, Some(500)), Sample::Full);
        assert_eq!(
            choose_sample(&dynamic, Some(5000)),
            Sample::Percentage(50.0)
        );
        assert_eq!(choose_sample(&dynamic, Some(200_000)), Sample::Rows(2000));
        let smart = pipeline(json!({"profileSampleConfig": {}}));
        assert_eq!(
            choose_sample(&smart, Some(2_000_000)),
            Sample::Percentage(10.0)
        );
        assert_eq!(
            choose_sample(&ProfilerPipeline::default(), Some(5)),
            Sample::Full
        );
    }

    #[test]
    fn percentage_plans_cut_small_tables_finely() {
        // 400 items, 10 %: formerly 4 segments of which 1 (25 % of the items) was read.
        let p = plan(Sample::Percentage(10.0), Some(400), 64, 8, 42);
        assert_eq!((p.total_segments, p.segments.len()), (100, 10));
        let p = plan(Sample::Percentage(1.0), Some(400), 64, 8, 42);
        assert_eq!((p.total_segments, p.segments.len()), (1000, 10));
        let p = plan(Sample::Percentage(0.00001), None, 64, 8, 42);
        assert_eq!(p.total_segments, 1_000_000);
        assert!(!p.segments.is_empty());
        // Big tables keep their segments of about 100 items.
        let p = plan(Sample::Percentage(50.0), Some(10_000_000), 1000, 8, 42);
        assert_eq!((p.total_segments, p.segments.len()), (1000, 500));
        // Full scans and ROWS samples are cut as before.
        assert_eq!(plan(Sample::Full, Some(400), 64, 8, 1).total_segments, 4);
        assert_eq!(
            plan(Sample::Rows(10), Some(400), 64, 8, 1).total_segments,
            4
        );
    }

    #[test]
    fn sampled_row_counts_prefer_an_item_count_that_agrees() {
        // 40 items from 10 % of the segments of a 400-item table; 48 by chance.
        assert_eq!(row_count_of_sample(40, 0.1, Some(400)), 400.0);
        assert_eq!(row_count_of_sample(48, 0.1, Some(400)), 400.0);
        // ItemCount unknown or 0 (not refreshed yet): the estimate.
        assert_eq!(row_count_of_sample(48, 0.1, None), 480.0);
        assert_eq!(row_count_of_sample(48, 0.1, Some(0)), 480.0);
        // The table grew far beyond what the sample allows: the estimate.
        assert_eq!(row_count_of_sample(10_000, 0.1, Some(400)), 100_000.0);
        // Never fewer rows than were read.
        assert_eq!(row_count_of_sample(40, 0.9, Some(39)), 40.0);
    }

    #[test]
    fn plans_pick_seeded_segments() {
        let p = plan(Sample::Percentage(10.0), Some(100_000), 100, 8, 42);
        assert_eq!(p.total_segments, 100);
        assert_eq!(p.segments.len(), 10);
        assert_eq!(p, plan(Sample::Percentage(10.0), Some(100_000), 100, 8, 42));
        assert_ne!(
            p.segments,
            plan(Sample::Percentage(10.0), Some(100_000), 100, 8, 43).segments
        );
        let r = plan(Sample::Rows(5000), Some(100_000), 100, 8, 42);
        assert_eq!((r.segments.len(), r.row_limit), (100, Some(5000)));
        assert_eq!(plan(Sample::Full, Some(250), 100, 8, 1).total_segments, 2);
    }

    #[test]
    fn export_samples_choose_seeded_files() {
        let files: Vec<source::export::DataFile> = (0..10)
            .map(|i| source::export::DataFile {
                key: format!("f{i}"),
                item_count: 100,
                md5: None,
            })
            .collect();
        assert_eq!(
            choose_files(Sample::Full, &files, 1),
            (0..10).collect::<Vec<_>>()
        );
        let p = choose_files(Sample::Percentage(30.0), &files, 7);
        assert_eq!(p.len(), 3);
        assert_eq!(p, choose_files(Sample::Percentage(30.0), &files, 7));
        assert_ne!(p, choose_files(Sample::Percentage(30.0), &files, 8));
        assert_eq!(choose_files(Sample::Percentage(0.001), &files, 7).len(), 1);
        assert_eq!(choose_files(Sample::Rows(250), &files, 7).len(), 3);
        assert_eq!(choose_files(Sample::Rows(300), &files, 7).len(), 3);
        assert_eq!(choose_files(Sample::Rows(1), &files, 7).len(), 1);
        assert!(choose_files(Sample::Full, &[], 7).is_empty());
    }
}
