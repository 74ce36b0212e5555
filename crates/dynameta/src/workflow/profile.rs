//! `dynameta profile`: list → filter → per table: describe, choose the sample, scan
//! (budgeted, parallel), fold statistics, build the `CreateTableProfileRequest` → sink.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::profile_state as state;
use super::summary::{Failure, Summary};
use super::{Outcome, Progress, Run, RunError, RunFlags, Settings, Started};
use crate::aws::Connection;
use crate::config::{Command, ProfilerPipeline, Workflow};
use crate::processors::mapping::Scope;
use crate::processors::profiler::{ProfiledTable, Sampling, TableStats};
use crate::sinks::{Opening, Record, RunEnd};
use crate::source::{
    self, Capabilities, ScanPlan, ScanStats, SourceError, TableDescription, TokenBucket,
};

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
fn budget(workflow: &Workflow, table: &TableDescription) -> Option<f64> {
    source::read_budget(
        workflow.options.max_read_capacity_percent,
        workflow.options.max_read_units_per_second,
        table,
    )
}

/// Which share of every selected table a run reads: part `index` (1-based) of `count`.
/// The planned segments are dealt out in turn (segment k of the plan to part
/// k mod count + 1), so the parts are disjoint, together read exactly what one run
/// reads, and each gets an even share of a shuffled (sampled) plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Part {
    /// 1-based.
    pub index: u32,
    /// How many parts.
    pub count: u32,
}

impl Part {
    /// The whole table (one part of one).
    pub const WHOLE: Part = Part { index: 1, count: 1 };

    /// This part's share of `plan`: its segments, and for a ROWS sample its share of
    /// the rows (the shares add up to the limit).
    pub fn of(&self, plan: &ScanPlan) -> ScanPlan {
        let (i, n) = (u64::from(self.index - 1), u64::from(self.count));
        let segments = plan
            .segments
            .iter()
            .enumerate()
            .filter(|(k, _)| *k as u64 % n == i)
            .map(|(_, s)| *s)
            .collect();
        let share = |rows: u64| {
            let upto = |j: u64| (u128::from(rows) * u128::from(j) / u128::from(n)) as u64;
            upto(i + 1) - upto(i)
        };
        ScanPlan {
            total_segments: plan.total_segments,
            segments,
            row_limit: plan.row_limit.map(share),
            workers: plan.workers,
        }
    }
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Part {
    type Err = String;

    fn from_str(s: &str) -> Result<Part, String> {
        let hint = "write it I/N with 1 ≤ I ≤ N, e.g. --part 2/8 for the second of eight parts";
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not a part; {hint}"))?;
        let num = |t: &str| t.trim().parse::<u32>().ok();
        match (num(i), num(n)) {
            (Some(index), Some(count)) if index >= 1 && index <= count => Ok(Part { index, count }),
            _ => Err(format!("`{s}` is not a part; {hint}")),
        }
    }
}

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
#[serde(rename_all = "camelCase")]
pub struct ExportRead {
    /// The export, as configured (ARN or folder).
    pub export: String,
    /// The point in time it is of.
    pub export_time: Option<String>,
    /// Items in the export (its manifest's count: exact as of `exportTime`).
    pub items_in_export: u64,
    /// Data files in the export.
    pub files: usize,
    /// Data files read.
    pub files_read: u64,
    /// Bytes downloaded (gzip'd).
    pub gzip_bytes: u64,
    /// Bytes of DynamoDB JSON after decompression.
    pub json_bytes: u64,
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

/// Runs the profiler workflow: every selected table in full, or with `part` only
/// that share of each, whose statistics go to the state file `state_out` instead of
/// the sink (see [`merge`]).
pub async fn run(
    settings: &Settings,
    flags: &RunFlags,
    part: Option<(Part, &std::path::Path)>,
) -> Result<(Summary, Outcome), RunError> {
    let workflow = &settings.workflow;
    let opening = Opening::Existing {
        service_name: &workflow.service_name,
        command: Command::Profile,
    };
    let collected = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let started = match part {
        None => {
            Run::start(
                settings,
                opening,
                flags,
                Command::Profile,
                Summary::default(),
            )
            .await?
        }
        Some((part, path)) => {
            let sink = state::StateSink::new(path, part, workflow, collected.clone())?;
            Run::start_with_sink(
                settings,
                Box::new(sink),
                flags,
                Command::Profile,
                Summary::default(),
            )
            .await
        }
    };
    let (mut run, selected) = match started {
        Started::Running { run, selected, .. } => (run, selected),
        Started::Ended(summary, outcome) => return Ok((summary, outcome)),
    };
    let part_of = part.map_or(Part::WHOLE, |(p, _)| p);
    let (threads, timeout) = (workflow.profile.threads, workflow.profile.timeout);
    let capabilities = Capabilities::default();
    let progress = Progress::new(selected.len() as u64, flags.quiet);
    let connection = run.connection.clone();
    let scope = run.scope.clone();
    let (conn, caps, bars) = (&connection, &capabilities, &progress);
    run.tables(
        selected,
        threads,
        &progress,
        |name| async move {
            tokio::time::timeout(
                timeout,
                read_table(conn, workflow, &name, caps, bars, part_of),
            )
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "profiling took longer than timeoutSeconds ({}s)",
                    timeout.as_secs()
                ))
            })
        },
        |name, read: TableRead, summary| {
            summary.items_sampled += read.scan.items;
            summary.consumed_read_units += read.scan.consumed_read_units;
            if part.is_some() {
                if let Ok(mut parts) = collected.lock() {
                    parts.push(state::TableState::of(name, &read));
                }
                Vec::new()
            } else {
                vec![record_of(name, &read, workflow, &scope)]
            }
        },
    )
    .await;
    Ok(run.finish(false).await)
}

async fn read_table(
    connection: &Connection,
    workflow: &Workflow,
    name: &str,
    capabilities: &Capabilities,
    progress: &Progress,
    part: Part,
) -> Result<TableRead, String> {
    let err = |e: SourceError| e.for_command(Command::Profile).to_string();
    let table = super::describe_for_scan(connection, name, capabilities, Command::Profile)
        .await
        .map_err(|e| e.to_string())?;
    let profiler = &workflow.profiler;
    let sample = choose_sample(profiler, table.item_count);
    let options = &workflow.options;
    if let Some(text) = options.exports.get(name) {
        return read_export(connection, workflow, name, table, sample, text, part).await;
    }
    let whole = plan(
        sample,
        table.item_count,
        options.scan_segments,
        options.scan_workers,
        options.sample_seed,
    );
    let plan = part.of(&whole);
    let bucket = budget(workflow, &table).map(|rate| std::sync::Arc::new(TokenBucket::new(rate)));
    let planned = PlannedRead {
        total_segments: whole.total_segments,
        planned: whole.segments.len(),
        row_limit: whole.row_limit,
    };
    let mut read = TableRead {
        table,
        sample,
        plan: planned,
        segments: plan.segments.clone(),
        scan: ScanStats::default(),
        read_budget: bucket.as_ref().map(|b| b.rate()),
        stats: TableStats::default(),
        export: None,
    };
    if plan.segments.is_empty() || plan.row_limit == Some(0) {
        // More parts than segments (or rows): this part has nothing to read.
        return Ok(read);
    }
    let observe: source::Observe<TableStats> =
        |s: &mut TableStats, item: &HashMap<String, AttributeValue>| s.observe(item);
    let expected = read.table.item_count.unwrap_or(0).max(0) as f64
        * (plan.segments.len() as f64 / f64::from(plan.total_segments));
    let expected = plan.row_limit.map_or(expected, |n| expected.min(n as f64));
    let bar = progress.scan_bar(name, expected as u64);
    let report: source::ScanProgress = {
        let bar = bar.clone();
        std::sync::Arc::new(move |items: u64, units: f64| {
            bar.set_position(items);
            bar.set_message(format!("{units:.0} RCU"));
        })
    };
    let (states, stats) = source::scan(
        &connection.dynamodb,
        name,
        &plan,
        bucket,
        observe,
        report,
        &connection.throttle_retry,
    )
    .await
    .map_err(err)?;
    bar.finish_and_clear();
    for s in states {
        read.stats.merge(s);
    }
    read.scan = stats;
    Ok(read)
}

/// `dynameta profile merge`: merges the parts in the state files `files` (all N
/// parts of one `--part I/N` run) and publishes each table's profile to the workflow's
/// sink, as a single run would have.
pub async fn merge(
    settings: &Settings,
    files: &[std::path::PathBuf],
) -> Result<(Summary, Outcome), RunError> {
    let started = std::time::Instant::now();
    let workflow = &settings.workflow;
    // The sink's file must not be one of the state files it merges (checked before any
    // is read, by the rules of every output).
    if let Some((key, out)) = settings.sink.as_deref().and_then(|s| s.output_file()) {
        let mut output = dynameta_fs::output::Output::new(key, out);
        for path in files {
            output = output.input("a state file being merged", path);
        }
        output.check().map_err(crate::sinks::SinkError::from)?;
    }
    let tables = state::read_and_combine(files.to_vec(), workflow).await?;
    let sink_config = settings.sink.as_deref().ok_or(RunError::NoSink {
        command: Command::Profile,
    })?;
    let mut sink = sink_config
        .build(Opening::Existing {
            service_name: &workflow.service_name,
            command: Command::Profile,
        })
        .await?;
    let scope = Scope::of(workflow);
    let mut summary = Summary {
        tables_listed: tables.len(),
        ..Summary::default()
    };
    let mut sink_error = None;
    for (name, read) in tables {
        match read {
            Ok(read) => {
                summary.tables_processed += 1;
                // Each table has at most 2^53 rows (checked), but many tables could add up
                // past u64: the total saturates rather than wraps.
                summary.items_sampled = summary.items_sampled.saturating_add(read.scan.items);
                summary.consumed_read_units += read.scan.consumed_read_units;
                let record = record_of(&name, &read, workflow, &scope);
                if let Err(e) = sink.write(&record).await {
                    sink_error = Some(e.to_string());
                    break;
                }
            }
            Err(reason) => {
                tracing::warn!(table = %name, "{reason}");
                summary.failures.push(Failure { name, reason });
            }
        }
    }
    let policy = &workflow.failure_policy;
    let commit = sink_error.is_none() && summary.tolerated(policy);
    let selected = |name: &str| super::selects(workflow, &scope, name);
    let so_far = serde_json::to_value(&summary).unwrap_or_default();
    let report = sink
        .finish(RunEnd {
            summary: &so_far,
            commit,
            mark_deleted: false,
            selected: &selected,
        })
        .await;
    let outcome = summary.close(report, sink_error, started.elapsed(), policy);
    Ok((summary, outcome))
}

/// Reads part `part` of the sample `sample` of table `name` from its export `text`
/// (connectionArguments.exports): no read capacity is used.
async fn read_export(
    connection: &Connection,
    workflow: &Workflow,
    name: &str,
    table: TableDescription,
    sample: Sample,
    text: &str,
    part: Part,
) -> Result<TableRead, String> {
    let options = &workflow.options;
    let reference = crate::config::ExportRef::parse(text)
        .map_err(|e| format!("connectionArguments.exports.{name}: {e}"))?;
    let export = source::export::open(connection, name, &reference, text)
        .await
        .map_err(|e| e.to_string())?;
    let whole = ScanPlan {
        total_segments: export.files.len() as u32,
        segments: choose_files(sample, &export.files, options.sample_seed),
        row_limit: None,
        workers: options.export_workers.max(1) as usize,
    };
    let plan = part.of(&whole);
    let observe: fn(&mut TableStats, &HashMap<String, AttributeValue>) =
        |s: &mut TableStats, item: &HashMap<String, AttributeValue>| s.observe(item);
    let (states, stats) =
        source::export::read(connection, &export, &plan.segments, plan.workers, observe)
            .await
            .map_err(|e| e.to_string())?;
    let mut merged = TableStats::default();
    for s in states {
        merged.merge(s);
    }
    Ok(TableRead {
        table,
        sample,
        plan: PlannedRead {
            total_segments: whole.total_segments,
            planned: whole.segments.len(),
            row_limit: None,
        },
        segments: plan.segments,
        scan: ScanStats {
            items: stats.items,
            requests: stats.files,
            consumed_read_units: 0.0,
            segments_completed: stats.files as u32,
            segments_partial: 0,
            elapsed: stats.elapsed,
        },
        read_budget: None,
        stats: merged,
        export: Some(ExportRead {
            export: text.to_string(),
            export_time: export.export_time.clone(),
            items_in_export: export.item_count,
            files: export.files.len(),
            files_read: stats.files,
            gzip_bytes: stats.gzip_bytes,
            json_bytes: stats.json_bytes,
        }),
    })
}

/// The profile record of a table read in full (one run, or its parts merged).
fn record_of(name: &str, read: &TableRead, workflow: &Workflow, scope: &Scope) -> Record {
    let (sample, table, merged, stats) = (read.sample, &read.table, &read.stats, &read.scan);
    let profiler = &workflow.profiler;
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
            Sample::Percentage(_) => Some("PERCENTAGE"),
            Sample::Rows(_) => Some("ROWS"),
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
    if let Some(x) = &read.export {
        dynamodb["export"] = serde_json::json!(x);
    }
    Record::CreateTableProfile {
        table: scope.table_fqn(name),
        payload,
        dynamodb,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProfilerPipeline;
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
    fn parts_deal_the_plan_disjointly_and_completely() {
        let whole = plan(Sample::Percentage(10.0), Some(100_000), 100, 8, 42);
        let mut all: Vec<u32> = Vec::new();
        for index in 1..=3 {
            let p = Part { index, count: 3 }.of(&whole);
            assert_eq!(p.total_segments, whole.total_segments);
            all.extend(p.segments);
        }
        all.sort_unstable();
        let mut planned = whole.segments.clone();
        planned.sort_unstable();
        assert_eq!(all, planned);
        // ROWS: the shares of the limit add up to it.
        let rows = plan(Sample::Rows(1001), Some(100_000), 100, 8, 42);
        let shares: Vec<u64> = (1..=4)
            .map(|index| Part { index, count: 4 }.of(&rows).row_limit.unwrap())
            .collect();
        assert_eq!(shares.iter().sum::<u64>(), 1001);
        assert_eq!(Part::WHOLE.of(&rows), rows);
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

    proptest::proptest! {
        #[test]
        fn parts_parse_back_and_nothing_else_does(index in 1u32..1000, extra in 0u32..1000, junk in ".{0,12}") {
            let part = Part { index, count: index + extra };
            proptest::prop_assert_eq!(part.to_string().parse::<Part>(), Ok(part));
            if let Ok(p) = junk.parse::<Part>() {
                proptest::prop_assert!(p.index >= 1 && p.index <= p.count);
            }
        }
    }
}
