//! Reading one table for its test cases: every prepared case evaluated in one pass over
//! a scan (with the profiler's read budget, segments, workers and `--part` deal) or over
//! the table's DynamoDB export to S3, each worker folding items into its own engine
//! state, merged at the end (the profiler's `read` is its counterpart).

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::aws::Connection;
use crate::config::{Command, ConnectionArguments};
use crate::processors::dq::cases::Prepared;
use crate::processors::dq::{DqLimits, DqState};
use crate::processors::profiler::{self, Part};
use crate::source::{self, Capabilities, ScanStats};

/// What a read gave: the engine's state of the items read (`None`: the part read
/// nothing), what the read did, and the export read instead of a scan (if any).
pub type Read = (Option<DqState>, ScanStats, Option<String>);

/// Evaluates every prepared case of `table` over part `part` of one full scan (the
/// whole table for [`Part::WHOLE`]), or of its export when
/// `connectionArguments.exports` names one. `options`: the workflow's
/// `connectionArguments` (scan segments and workers, exports, read budget).
pub async fn read(
    options: &ConnectionArguments,
    connection: &Connection,
    table: &str,
    prepared: &Prepared,
    part: Part,
) -> Result<Read, String> {
    let description = source::describe_table(
        &connection.dynamodb,
        table,
        source::Depth::Table,
        &Capabilities::default(),
        &connection.throttle_retry,
    )
    .await
    .map(|described| described.table)
    .map_err(|e| e.for_command(Command::Test).to_string())?;
    let plan = Arc::new(prepared.plan());
    let new_state: source::NewState<Fold> = {
        let plan = plan.clone();
        let limits = DqLimits::default();
        Arc::new(move || Fold {
            state: plan.state(&limits),
            error: None,
        })
    };
    if let Some(export) = options.exports.get(table) {
        return read_export(options, connection, table, export, new_state, part).await;
    }
    let whole = profiler::plan::plan(
        profiler::Sample::Full,
        description.item_count,
        options.scan_segments,
        options.scan_workers,
        options.sample_seed,
    );
    let scan_plan = part.of(&whole);
    if scan_plan.segments.is_empty() {
        // More parts than segments: this part reads nothing.
        return Ok((None, ScanStats::default(), None));
    }
    let budget = source::read_budget(
        options.max_read_capacity_percent,
        options.max_read_units_per_second,
        &description,
    )
    .map(|rate| Arc::new(source::TokenBucket::new(rate)));
    let (folds, stats) = source::scan_with(
        &connection.dynamodb,
        table,
        &scan_plan,
        budget,
        new_state,
        observe,
        Arc::new(|_: u64, _: f64| {}),
        &connection.throttle_retry,
    )
    .await
    .map_err(|e| e.for_command(Command::Test).to_string())?;
    let mut merged: Option<DqState> = None;
    merge_folds(&mut merged, folds)?;
    Ok((merged, stats, None))
}

/// Adds the fold states of a read to `merged`; the first engine error stops it.
fn merge_folds(merged: &mut Option<DqState>, folds: Vec<Fold>) -> Result<(), String> {
    for fold in folds {
        if let Some(e) = fold.error {
            return Err(format!("the data-quality engine stopped: {e}"));
        }
        match merged {
            None => *merged = Some(fold.state),
            Some(m) => m.merge(fold.state).map_err(|e| e.to_string())?,
        }
    }
    Ok(())
}

/// Reads part `part` of table `table` from its DynamoDB export to S3 (as `dynameta
/// profile` does: `connectionArguments.exports`, every data file for a full read,
/// dealt to parts as the profiler deals them), through the export reader's fold seam:
/// no read capacity is used. Files are read `exportWorkers` at a time and their states
/// merged after each group, so at most that many states (each within the engine's
/// memory budget) exist at once, however many files the export has.
async fn read_export(
    options: &ConnectionArguments,
    connection: &Connection,
    table: &str,
    configured: &crate::config::Export,
    new_state: source::NewState<Fold>,
    part: Part,
) -> Result<Read, String> {
    let started = std::time::Instant::now();
    let text = configured.text();
    let reference = configured
        .reference()
        .map_err(|e| format!("connectionArguments.exports.{table}: {e}"))?;
    let export = source::export::open(connection, table, reference, text)
        .await
        .map_err(|e| e.to_string())?;
    let whole = source::ScanPlan {
        total_segments: export.files.len() as u32,
        segments: profiler::plan::choose_files(
            profiler::Sample::Full,
            &export.files,
            options.sample_seed,
        ),
        row_limit: None,
        workers: options.export_workers.max(1) as usize,
    };
    let plan = part.of(&whole);
    let mut merged: Option<DqState> = None;
    let mut stats = ScanStats::default();
    for group in plan.segments.chunks(plan.workers.max(1)) {
        let (folds, read) = source::export::read_with(
            connection,
            &export,
            group,
            plan.workers,
            new_state.clone(),
            observe,
        )
        .await
        .map_err(|e| e.to_string())?;
        stats.items += read.items;
        stats.requests += read.files;
        stats.segments_completed += read.files as u32;
        merge_folds(&mut merged, folds)?;
    }
    stats.elapsed = started.elapsed();
    Ok((merged, stats, Some(text.to_string())))
}

/// One fold state of the scan: the engine's state and the first error it met (an
/// error stops folding; the scan itself goes on, as `observe` cannot stop it).
struct Fold {
    state: DqState,
    error: Option<String>,
}

fn observe(fold: &mut Fold, item: &HashMap<String, AttributeValue>) {
    if fold.error.is_none() {
        if let Err(e) = fold.state.observe(item) {
            fold.error = Some(e.to_string());
        }
    }
}
