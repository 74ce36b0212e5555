//! `dynameta ingest`: list → filter → describe + sample (concurrently) → infer →
//! records → sink, with a summary at the end.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use futures_util::stream::{self, StreamExt};

use super::summary::{Failure, Summary};
use super::{Outcome, Progress};
use crate::aws::{self, Connection};
use crate::config::{SinkConfig, Workflow};
use crate::openmetadata::mapping::{self, Scope};
use crate::processors::inference::ColumnOptions;
use crate::sinks::file::FileSink;
use crate::sinks::{Record, SamplingStats};
use crate::source::{self, Capabilities, Described, SampleOutcome, SourceError};

/// Tables processed at once when the workflow does not set `threads`.
pub const DEFAULT_THREADS: usize = 16;

/// Why ingestion could not start at all.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The sink is configured but not available.
    #[error("{0}")]
    Sink(String),
}

/// One table's result, in listing order.
struct TableResult {
    name: String,
    outcome: Result<(Described, SampleOutcome), SourceError>,
}

/// Runs the metadata workflow.
pub async fn run(workflow: &Workflow, quiet: bool) -> Result<(Summary, Outcome), IngestError> {
    let started = Instant::now();
    let mut summary = Summary::default();
    let path = match &workflow.sink {
        Some(SinkConfig::File(f)) => f.filename.clone(),
        Some(SinkConfig::MetadataRest(_)) => {
            return Err(IngestError::Sink(
                "sink.type: `metadata-rest` is not available in this build of dynameta yet; use `sink: {type: file, config: {filename: out.jsonl}}` and publish later.".into(),
            ))
        }
        None => return Err(IngestError::Sink("sink: required for ingest".into())),
    };
    let mut sink = match FileSink::create(Path::new(&path)) {
        Ok(sink) => sink,
        Err(e) => {
            summary.failures.push(Failure {
                name: "(sink)".into(),
                reason: e.to_string(),
            });
            summary.elapsed = started.elapsed();
            return Ok((summary, Outcome::Failures));
        }
    };

    let connection = aws::connect(workflow.aws(), &workflow.options).await;
    let names = match source::list_tables(&connection.dynamodb).await {
        Ok(names) => names,
        Err(e) => {
            tracing::error!("{e}");
            summary.failures.push(Failure {
                name: "(listing)".into(),
                reason: e.to_string(),
            });
            summary.elapsed = started.elapsed();
            return Ok((summary, Outcome::Failures));
        }
    };
    summary.tables_listed = names.len();
    tracing::info!(tables = names.len(), region = %connection.region, "listed tables");

    let scope = Scope::of(workflow);
    let selected = select(workflow, &scope, names, &mut summary.filtered);
    for name in &summary.filtered {
        tracing::debug!(table = %name, "filtered out");
    }

    let header = [
        Record::CreateDatabaseService {
            payload: mapping::database_service(
                &scope,
                workflow.aws(),
                workflow.connection.database_name.as_deref(),
            ),
        },
        Record::CreateDatabase {
            payload: mapping::database(&scope),
        },
        Record::CreateDatabaseSchema {
            payload: mapping::database_schema(&scope),
        },
    ];
    let mut sink_error = None;
    for record in &header {
        if let Err(e) = sink.write(record) {
            sink_error.get_or_insert(e.to_string());
        }
    }

    let threads = workflow
        .metadata
        .threads
        .map_or(DEFAULT_THREADS, |t| t as usize);
    let include_tags = workflow.metadata.include_tags.unwrap_or(true);
    let column_options = ColumnOptions {
        json_schema: workflow.metadata.extract_json_schema.unwrap_or(false),
    };
    let progress = Progress::new(selected.len() as u64, quiet);
    let capabilities = Capabilities::default();
    let (conn, caps) = (&connection, &capabilities);
    // Tables finish out of order; every slot stays busy (unordered), and a small
    // reorder buffer writes them in listing order, so the output is deterministic.
    let mut results = stream::iter(selected.into_iter().enumerate())
        .map(|(i, name)| async move {
            (
                i,
                process_table(conn, workflow, name, include_tags, caps).await,
            )
        })
        .buffer_unordered(threads);
    let mut pending: BTreeMap<usize, TableResult> = BTreeMap::new();
    let mut next_index = 0;
    let mut side_warnings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    while let Some((i, result)) = results.next().await {
        progress.table_done(&result.name);
        pending.insert(i, result);
        while let Some(result) = pending.remove(&next_index) {
            next_index += 1;
            match result.outcome {
                Ok((described, sampled)) => {
                    for (what, why) in &described.table.unavailable {
                        side_warnings
                            .entry(format!("{what} not read: {why}"))
                            .or_default()
                            .push(result.name.clone());
                    }
                    summary.tables_processed += 1;
                    summary.items_sampled += sampled.items;
                    summary.consumed_read_units += sampled.consumed_read_units;
                    let records = table_records(
                        &scope,
                        &connection,
                        workflow,
                        described,
                        sampled,
                        column_options,
                    );
                    for record in &records {
                        if let Err(e) = sink.write(record) {
                            sink_error.get_or_insert(e.to_string());
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!("{e}");
                    summary.failures.push(Failure {
                        name: result.name,
                        reason: e.to_string(),
                    });
                }
            }
        }
    }
    progress.finish();
    for (warning, tables) in side_warnings {
        let shown: Vec<&str> = tables.iter().take(3).map(String::as_str).collect();
        let more = if tables.len() > 3 { ", ..." } else { "" };
        summary.warnings.push(format!(
            "{warning} ({} tables: {}{more})",
            tables.len(),
            shown.join(", ")
        ));
    }

    match sink_error {
        Some(e) => summary.failures.push(Failure {
            name: "(sink)".into(),
            reason: e,
        }),
        None => match sink.finish() {
            Ok(n) => summary.records_written = n,
            Err(e) => summary.failures.push(Failure {
                name: "(sink)".into(),
                reason: e.to_string(),
            }),
        },
    }
    summary.elapsed = started.elapsed();
    let outcome = if summary.failures.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failures
    };
    Ok((summary, outcome))
}

/// Applies database, schema and table filters; returns kept names, records dropped ones.
fn select(
    workflow: &Workflow,
    scope: &Scope,
    names: Vec<String>,
    filtered: &mut Vec<String>,
) -> Vec<String> {
    let filters = &workflow.filters;
    let (db_key, schema_key) = if filters.use_fqn {
        (scope.database_fqn(), scope.schema_fqn())
    } else {
        (scope.database.clone(), scope.schema.clone())
    };
    if filters.database.excludes(&db_key) || filters.schema.excludes(&schema_key) {
        filtered.extend(names);
        return Vec::new();
    }
    let mut kept = Vec::with_capacity(names.len());
    for name in names {
        let key = if filters.use_fqn {
            scope.table_fqn(&name)
        } else {
            name.clone()
        };
        if filters.table.excludes(&key) {
            filtered.push(name);
        } else {
            kept.push(name);
        }
    }
    kept
}

async fn process_table(
    connection: &Connection,
    workflow: &Workflow,
    name: String,
    include_tags: bool,
    capabilities: &Capabilities,
) -> TableResult {
    let outcome = async {
        let described =
            source::describe_table(&connection.dynamodb, &name, include_tags, capabilities).await?;
        let sampled = source::sample_table(
            &connection.dynamodb,
            &name,
            workflow.options.sample_size,
            workflow.options.sample_segments,
            described.table.item_count,
        )
        .await?;
        Ok((described, sampled))
    }
    .await;
    TableResult { name, outcome }
}

fn table_records(
    scope: &Scope,
    connection: &Connection,
    workflow: &Workflow,
    described: Described,
    sampled: SampleOutcome,
    options: ColumnOptions,
) -> [Record; 2] {
    let table = described.table;
    let payload = mapping::table(scope, &connection.region, &table, &sampled.sample, options);
    let fqn = scope.table_fqn(&table.name);
    [
        Record::CreateTable { payload },
        Record::DynamodbTable {
            table: fqn,
            attributes: sampled.sample.summaries(),
            sampling: SamplingStats {
                items_sampled: sampled.items,
                sample_size: workflow.options.sample_size,
                segments: sampled.segments,
                requests: sampled.requests,
                consumed_read_units: sampled.consumed_read_units,
            },
            properties: Box::new(table),
        },
    ]
}
