//! `dynameta profile`: list → filter → per table: describe, scan what the profiler plans
//! (budgeted, parallel), hand the read to the profiler, and its profile to the sink.
//! Every profiling decision (sample, plan, parts, row count, part states and their
//! merge) is the profiler's: `processors::profiler`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::summary::Summary;
use super::{Finish, Outcome, Progress, Run, RunError, RunFlags, Settings, Started};
use crate::aws::Connection;
use crate::config::{Command, Workflow};
use crate::processors::mapping::Scope;
use crate::processors::profiler::plan::{
    choose_files, choose_sample, plan, read_budget, PlannedRead,
};
use crate::processors::profiler::state_file::{self, TableState};
/// `--part I/N` (the profiler's), as the binary names it.
pub use crate::processors::profiler::Part;
use crate::processors::profiler::{ExportRead, Sample, TableRead, TableStats};
use crate::sinks::state::StateSink;
use crate::sinks::{Opening, Record};
use crate::source::{
    self, Capabilities, ScanPlan, ScanStats, SourceError, TableDescription, TokenBucket,
};

/// Runs the profiler workflow: every selected table in full, or with `part` only
/// that share of each, whose statistics go to the state file `state_out` instead of
/// the sink (see [`merge`]).
pub async fn run(
    settings: &Settings,
    flags: &RunFlags,
    part: Option<(Part, &std::path::Path)>,
) -> Result<(Summary, Outcome), RunError> {
    let workflow = &settings.workflow;
    if part.is_some() {
        super::refuse_estate(workflow, "profile --part")?;
    }
    // exports are keyed by table name: same-named tables of two pairs would read one.
    if !workflow.options.exports.is_empty() {
        super::refuse_estate(workflow, "profile with connectionArguments.exports")?;
    }
    let opening = Opening::Existing {
        service_name: &workflow.service_name,
        command: Command::Profile,
    };
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
            let sink = StateSink::new(path, part, workflow)?;
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
    let (mut run, pairs) = match started {
        Started::Running { run, pairs } => (run, pairs),
        Started::Ended(summary, outcome) => return Ok((summary, outcome)),
    };
    let part_of = part.map_or(Part::WHOLE, |(p, _)| p);
    let (threads, timeout) = (workflow.profile.threads, workflow.profile.timeout);
    let selected = super::selected_tables(&pairs);
    let progress = Progress::new(selected.len() as u64, flags.quiet);
    let bars = &progress;
    run.tables(
        &pairs,
        selected,
        threads,
        &progress,
        |p, name| async move {
            tokio::time::timeout(
                timeout,
                read_table(
                    &p.connection,
                    workflow,
                    &name,
                    &p.capabilities,
                    bars,
                    part_of,
                ),
            )
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "profiling took longer than timeoutSeconds ({}s)",
                    timeout.as_secs()
                ))
            })
        },
        |p, name, read: TableRead, summary| {
            summary.items_sampled += read.scan.items;
            summary.consumed_read_units += read.scan.consumed_read_units;
            if part.is_some() {
                vec![Record::ProfileState(Box::new(TableState::of(name, &read)))]
            } else {
                vec![record_of(name, &read, workflow, &p.scope)]
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
    if let Some(export) = options.exports.get(name) {
        return read_export(connection, workflow, name, table, sample, export, part).await;
    }
    let whole = plan(
        sample,
        table.item_count,
        options.scan_segments,
        options.scan_workers,
        options.sample_seed,
    );
    let plan = part.of(&whole);
    let bucket = read_budget(&workflow.options, &table)
        .map(|rate| std::sync::Arc::new(TokenBucket::new(rate)));
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
    super::refuse_estate(workflow, "profile merge")?;
    // The sink's file must not be one of the state files it merges (checked before any
    // is read, by the rules of every output).
    if let Some((key, out)) = settings.sink.as_deref().and_then(|s| s.output_file()) {
        let mut output = dynameta_fs::output::Output::new(key, out);
        for path in files {
            output = output.input("a state file being merged", path);
        }
        output.check().map_err(crate::sinks::SinkError::from)?;
    }
    let tables = state_file::read_and_combine(files.to_vec(), &workflow.service_name).await?;
    let opening = Opening::Existing {
        service_name: &workflow.service_name,
        command: Command::Profile,
    };
    let mut out = Finish::open(settings, opening, Command::Profile, started).await?;
    let scope = Scope::of(workflow);
    let mut summary = Summary {
        tables_listed: tables.len(),
        ..Summary::default()
    };
    let tables = tables.into_iter().map(|(name, read)| {
        let records = read.map(|read| {
            // Each table has at most 2^53 rows (checked), but many tables could add up
            // past u64: the total saturates rather than wraps.
            summary.items_sampled = summary.items_sampled.saturating_add(read.scan.items);
            summary.consumed_read_units += read.scan.consumed_read_units;
            vec![record_of(&name, &read, workflow, &scope)]
        });
        (name, records)
    });
    let tables: Vec<_> = tables.collect();
    out.replay(&mut summary, tables).await;
    Ok(out.finish(summary, false).await)
}

/// Reads part `part` of the sample `sample` of table `name` from its export `export`
/// (connectionArguments.exports, parsed when the workflow was read): no read capacity
/// is used.
async fn read_export(
    connection: &Connection,
    workflow: &Workflow,
    name: &str,
    table: TableDescription,
    sample: Sample,
    configured: &crate::config::Export,
    part: Part,
) -> Result<TableRead, String> {
    let options = &workflow.options;
    let text = configured.text();
    let reference = configured
        .reference()
        .map_err(|e| format!("connectionArguments.exports.{name}: {e}"))?;
    let export = source::export::open(connection, name, reference, text)
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
    let (payload, dynamodb) =
        crate::processors::profiler::read::profile_of(read, &workflow.profiler);
    Record::CreateTableProfile {
        table: scope.table_fqn(name),
        payload,
        dynamodb: Box::new(dynamodb),
    }
}
