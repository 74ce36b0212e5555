//! `dynameta ingest`: list → filter → describe + sample (concurrently) → infer →
//! records → sink, with a summary at the end.

use std::collections::BTreeMap;

use super::summary::Summary;
use super::{Outcome, Progress, Run, RunError, RunFlags, Settings, Started};
use crate::aws::Connection;
use crate::config::{Command, ConnectionArguments, Tagging};
use crate::processors::aws_tags;
use crate::processors::inference::{ColumnOptions, Sample};
use crate::processors::mapping::{self, Scope};
use crate::sinks::{Opening, Record, SamplingStats};
use crate::source::{self, Capabilities, Described, SampleOutcome, SourceError};

/// Runs the metadata workflow.
pub async fn run(settings: &Settings, flags: &RunFlags) -> Result<(Summary, Outcome), RunError> {
    let workflow = &settings.workflow;
    let scope = Scope::of(workflow);
    let service = mapping::database_service(
        &scope,
        workflow.aws(),
        workflow.connection.database_name.as_deref(),
    );
    let opening = Opening::Ingest {
        service: &service,
        override_metadata: workflow.ingest.override_metadata,
        allow_mass_delete: flags.allow_mass_delete,
        tagging: Some(&workflow.tagging),
    };
    let (run, listed, selected) = match Run::start(
        settings,
        opening,
        flags,
        Command::Ingest,
        Summary::default(),
    )
    .await?
    {
        Started::Running {
            run,
            listed,
            selected,
        } => (run, listed, selected),
        Started::Ended(summary, outcome) => return Ok((summary, outcome)),
    };
    let header = [
        Record::CreateDatabaseService {
            payload: service.clone(),
        },
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
    let mut run = match run.write_header(&header).await {
        Ok(run) => run,
        Err(ended) => return Ok(ended),
    };

    let settings = &workflow.ingest;
    let (threads, include_tags) = (settings.threads, settings.include_tags);
    let column_options = ColumnOptions {
        json_schema: settings.extract_json_schema,
    };
    let progress = Progress::new(selected.len() as u64, flags.quiet);
    let capabilities = Capabilities::default();
    let connection = run.connection.clone();
    let (conn, caps, options) = (&connection, &capabilities, &workflow.options);
    // What could not be read (TTL, PITR, tags), grouped over tables for the summary.
    let mut side_warnings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    run.tables(
        selected,
        threads,
        &progress,
        |name| async move { process_table(conn, options, &name, include_tags, caps).await },
        |name, (described, sampled): (Described, SampleOutcome<Sample>), summary| {
            for (what, why) in &described.table.unavailable {
                side_warnings
                    .entry(format!("{what} not read: {why}"))
                    .or_default()
                    .push(name.to_string());
            }
            summary.items_sampled += sampled.items;
            summary.consumed_read_units += sampled.consumed_read_units;
            let (records, skipped) = table_records(
                &scope,
                conn,
                options,
                &workflow.tagging,
                described,
                sampled,
                column_options,
            );
            summary.warnings.extend(skipped);
            records.into()
        },
    )
    .await;
    for (warning, tables) in side_warnings {
        let shown: Vec<&str> = tables.iter().take(3).map(String::as_str).collect();
        let more = if tables.len() > 3 { ", ..." } else { "" };
        run.summary.warnings.push(format!(
            "{warning} ({} tables: {}{more})",
            tables.len(),
            shown.join(", ")
        ));
    }
    Ok(run.finish(workflow.ingest.mark_deleted_tables).await)
}

/// Describes and samples one table as `options` say.
async fn process_table(
    connection: &Connection,
    options: &ConnectionArguments,
    name: &str,
    include_tags: bool,
    capabilities: &Capabilities,
) -> Result<(Described, SampleOutcome<Sample>), SourceError> {
    let outcome = async {
        let described = source::describe_table(
            &connection.dynamodb,
            name,
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
        // The sample draws from the table's read budget, as the profiler's scan does.
        let budget = source::read_budget(
            options.max_read_capacity_percent,
            options.max_read_units_per_second,
            &described.table,
        )
        .map(source::TokenBucket::new);
        let sampled: SampleOutcome<Sample> = source::sample_table(
            &connection.dynamodb,
            name,
            options.sample_size,
            options.sample_segments,
            described.table.item_count,
            0,
            budget.as_ref(),
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
    outcome.map_err(|e: SourceError| e.for_command(Command::Ingest))
}

fn table_records(
    scope: &Scope,
    connection: &Connection,
    arguments: &ConnectionArguments,
    tagging: &Tagging,
    described: Described,
    sampled: SampleOutcome<Sample>,
    options: ColumnOptions,
) -> ([Record; 2], Vec<String>) {
    let table = described.table;
    let mut payload = mapping::table(scope, &connection.region, &table, &sampled.sample, options);
    // AWS tags as OpenMetadata tag labels (`includeTags`); none when the tags could not
    // be read, so that a sink never takes unread tags for removed ones.
    let mut skipped = Vec::new();
    if let (true, Some(tags)) = (tagging.include_tags, &table.tags) {
        let aws = aws_tags::labels(&table.name, tags, tagging);
        skipped = aws.skipped;
        mapping::with_tags(&mut payload, aws.labels);
    }
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
    // The declared owner, for the sinks that cannot resolve it (local catalog, file).
    let owner = aws_tags::declared_owner(&fqn, table.tags.as_ref(), tagging);
    let records = [
        Record::CreateTable { payload },
        Record::DynamodbTable {
            table: fqn,
            attributes: sampled.sample.summaries(),
            sampling: SamplingStats {
                items_sampled: sampled.items,
                sample_size: arguments.sample_size,
                segments: sampled.segments,
                requests: sampled.requests,
                consumed_read_units: sampled.consumed_read_units,
            },
            properties: Box::new(table),
            owner,
        },
    ];
    (records, skipped)
}
