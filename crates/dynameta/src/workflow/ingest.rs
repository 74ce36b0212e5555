//! `dynameta ingest`: list → filter → describe + sample (concurrently) → infer →
//! records → sink, with a summary at the end.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use futures_util::stream::{self, StreamExt};

use super::summary::{Failure, Summary};
use super::{Outcome, Progress};
use crate::aws::{self, Connection};
use crate::config::{Command, SinkConfig, Workflow};
use crate::processors::inference::{ColumnOptions, Sample};
use crate::processors::mapping::{self, Scope};
use crate::sinks::{Record, SamplingStats, Sink};
use crate::source::{self, Capabilities, Described, SampleOutcome, SourceError};

/// Tables processed at once when the workflow does not set `threads`.
pub const DEFAULT_THREADS: usize = 16;

/// Why ingestion could not start at all (exit code 2: fix the setup and rerun).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The sink cannot be used (OpenMetadata unreachable, token refused, bad version).
    #[error("{0}")]
    Sink(String),
}

/// One table's result, in listing order.
struct TableResult {
    name: String,
    outcome: Result<(Described, SampleOutcome<Sample>), SourceError>,
}

/// Runs the metadata workflow.
pub async fn run(
    workflow: &Workflow,
    flags: &super::RunFlags,
) -> Result<(Summary, Outcome), IngestError> {
    let started = Instant::now();
    let mut summary = Summary::default();
    let scope = Scope::of(workflow);
    let service = mapping::database_service(
        &scope,
        workflow.aws(),
        workflow.connection.database_name.as_deref(),
    );
    let mut sink = match open_sink(workflow, &service, flags).await? {
        Ok(sink) => sink,
        Err(reason) => {
            return Ok(summary.failed("(sink)", reason, started.elapsed()));
        }
    };

    let connection = aws::connect(workflow.aws(), &workflow.options).await;
    let (listed, selected) = match super::list_and_select(
        &connection,
        workflow,
        &scope,
        &mut summary,
        flags,
        Command::Ingest,
    )
    .await
    {
        Ok(found) => found,
        Err(e) => {
            summary.warnings.extend(sink.abandon());
            return Ok(summary.stopped(e, started.elapsed()));
        }
    };

    let header = [
        Record::CreateDatabaseService { payload: service },
        Record::CreateDatabase {
            payload: mapping::database(&scope),
        },
        Record::CreateDatabaseSchema {
            payload: mapping::database_schema(&scope),
        },
        Record::TableListing {
            schema: scope.schema_fqn(),
            tables: listed,
        },
    ];
    let mut sink_error = None;
    for record in &header {
        if let Err(e) = sink.write(record).await {
            sink_error.get_or_insert(e);
        }
    }
    if let Some(e) = sink_error {
        // Without its database and schema no table can be published.
        summary.warnings.extend(sink.abandon());
        return Ok(summary.failed("(sink)", e, started.elapsed()));
    }

    let threads = workflow
        .metadata
        .threads
        .map_or(DEFAULT_THREADS, |t| t as usize);
    let include_tags = workflow.metadata.include_tags.unwrap_or(true);
    let column_options = ColumnOptions {
        json_schema: workflow.metadata.extract_json_schema.unwrap_or(false),
    };
    let progress = Progress::new(selected.len() as u64, flags.quiet);
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
                        if let Err(e) = sink.write(record).await {
                            sink_error.get_or_insert(e);
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

    let mark_deleted = workflow.metadata.mark_deleted_tables.unwrap_or(true);
    // A failed run never replaces the previous output (file sink).
    let commit = summary.failures.is_empty() && sink_error.is_none();
    let report = sink
        .finish(commit, mark_deleted, &|name| {
            selects(workflow, &scope, name)
        })
        .await;
    summary.throttled_requests = connection.throttled.count();
    let outcome = summary.close(report, sink_error, started.elapsed());
    Ok((summary, outcome))
}

/// True when the filters keep table `name` (OpenMetadata semantics, with
/// `useFqnForFiltering` matching fully qualified names).
pub fn selects(workflow: &Workflow, scope: &Scope, name: &str) -> bool {
    let filters = &workflow.filters;
    let (db, schema, table) = if filters.use_fqn {
        (
            scope.database_fqn(),
            scope.schema_fqn(),
            scope.table_fqn(name),
        )
    } else {
        (
            scope.database.clone(),
            scope.schema.clone(),
            name.to_string(),
        )
    };
    !(filters.database.excludes(&db)
        || filters.schema.excludes(&schema)
        || filters.table.excludes(&table))
}

/// Opens the configured sink. `Err` = cannot start (exit 2: a bad output path, an
/// output another run holds, an unusable OpenMetadata server); `Ok(Err)` = a failure
/// to report (exit 1).
async fn open_sink(
    workflow: &Workflow,
    service: &crate::openmetadata::CreateDatabaseService,
    flags: &super::RunFlags,
) -> Result<Result<Sink, String>, IngestError> {
    match &workflow.sink {
        Some(SinkConfig::File(f)) => Sink::file(Path::new(&f.filename))
            .map(Ok)
            .map_err(|e| IngestError::Sink(e.to_string())),
        Some(SinkConfig::MetadataRest(rest)) => {
            let Some(server) = &workflow.server else {
                return Err(IngestError::Sink(
                    "workflowConfig.openMetadataServerConfig: required by the metadata-rest sink"
                        .into(),
                ));
            };
            Sink::rest(
                server,
                rest,
                service,
                workflow.metadata.override_metadata.unwrap_or(false),
                flags.allow_mass_delete,
            )
            .await
            .map(Ok)
            .map_err(|e| IngestError::Sink(e.to_string()))
        }
        None => Err(IngestError::Sink("sink: required for ingest".into())),
    }
}

async fn process_table(
    connection: &Connection,
    workflow: &Workflow,
    name: String,
    include_tags: bool,
    capabilities: &Capabilities,
) -> TableResult {
    let outcome = async {
        let described = source::describe_table(
            &connection.dynamodb,
            &name,
            source::Depth::Full { tags: include_tags },
            capabilities,
            &connection.throttle_retry,
        )
        .await?;
        tracing::debug!(
            table = %name,
            item_count = ?described.table.item_count,
            size_bytes = ?described.table.size_bytes,
            unavailable = ?described.table.unavailable.keys().collect::<Vec<_>>(),
            "described"
        );
        let sampled: SampleOutcome<Sample> = source::sample_table(
            &connection.dynamodb,
            &name,
            workflow.options.sample_size,
            workflow.options.sample_segments,
            described.table.item_count,
            0,
            &connection.throttle_retry,
        )
        .await?;
        tracing::debug!(
            table = %name,
            items = sampled.items,
            segments = sampled.segments,
            requests = sampled.requests,
            read_units = sampled.consumed_read_units,
            attributes = sampled.sample.attributes.len(),
            "sampled"
        );
        Ok((described, sampled))
    }
    .await;
    TableResult {
        name,
        outcome: outcome.map_err(|e: SourceError| e.for_command(Command::Ingest)),
    }
}

fn table_records(
    scope: &Scope,
    connection: &Connection,
    workflow: &Workflow,
    described: Described,
    sampled: SampleOutcome<Sample>,
    options: ColumnOptions,
) -> [Record; 2] {
    let table = described.table;
    let payload = mapping::table(scope, &connection.region, &table, &sampled.sample, options);
    for column in &payload.columns {
        tracing::debug!(
            table = %table.name,
            column = %column.name,
            attribute = column.display_name.as_deref().unwrap_or(&column.name),
            data_type = ?column.data_type,
            display = column.data_type_display.as_deref().unwrap_or_default(),
            "column inferred"
        );
    }
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
