//! `dynameta ingest`: list → filter → describe + sample (concurrently) → infer →
//! records → sink, with a summary at the end.

use std::collections::{BTreeMap, BTreeSet};

use super::summary::Summary;
use super::{Outcome, Progress, Run, RunError, RunFlags, Settings, Started};
use crate::aws::estate;
use crate::aws::Connection;
use crate::config::{Command, ConnectionArguments, Tagging};
use crate::processors::aws_tags;
use crate::processors::inference::{ColumnOptions, Sample};
use crate::processors::mapping::{self, Scope};
use crate::sinks::{Opening, Record, SamplingStats};
use crate::source::{self, Capabilities, Described, SampleOutcome, SourceError};

/// Runs the metadata workflow. Across the (account, region) pairs of an estate: one
/// service; database = the account, schema = the region; tables described and sampled
/// `threads` at a time across pairs, written in (pair, listing) order. A pair that
/// fails fails alone: it writes no listing (so none of its tables is marked deleted),
/// the others complete, and it counts as one failure for `successThreshold` /
/// `raiseOnError` (the pair walk: [`Run::start`]).
pub async fn run(settings: &Settings, flags: &RunFlags) -> Result<(Summary, Outcome), RunError> {
    let workflow = &settings.workflow;
    let walks_estate = estate::is_estate(&workflow.options);
    let scope = Scope::of(workflow);
    let database_name = match walks_estate {
        false => workflow.connection.database_name.as_deref(),
        true => None,
    };
    let service = mapping::database_service(&scope, workflow.aws(), database_name);
    let opening = Opening::Ingest {
        service: &service,
        override_metadata: workflow.ingest.override_metadata,
        allow_mass_delete: flags.allow_mass_delete,
        tagging: Some(&workflow.tagging),
    };
    let (run, pairs) = match Run::start(
        settings,
        opening,
        flags,
        Command::Ingest,
        Summary::default(),
    )
    .await?
    {
        Started::Running { run, pairs } => (run, pairs),
        Started::Ended(summary, outcome) => return Ok((summary, outcome)),
    };
    let mut header = vec![Record::CreateDatabaseService {
        payload: service.clone(),
    }];
    let mut databases = BTreeSet::new();
    for p in &pairs {
        if databases.insert(p.scope.database.clone()) {
            header.push(Record::CreateDatabase {
                payload: match &p.pair {
                    None => mapping::database(&p.scope),
                    Some(pair) => {
                        mapping::database_described(&p.scope, Some(pair.account.description()))
                    }
                },
            });
        }
        header.push(Record::CreateDatabaseSchema {
            payload: mapping::database_schema(&p.scope),
        });
        header.push(Record::TableListing {
            schema: p.scope.schema_fqn(),
            tables: p.listed.clone(),
        });
    }
    let mut run = match run.write_header(&header).await {
        Ok(run) => run,
        Err(ended) => return Ok(ended),
    };

    let settings = &workflow.ingest;
    let (threads, include_tags) = (settings.threads, settings.include_tags);
    let column_options = ColumnOptions {
        json_schema: settings.extract_json_schema,
    };
    let selected = super::selected_tables(&pairs);
    let progress = Progress::new(selected.len() as u64, flags.quiet);
    let options = &workflow.options;
    // What could not be read (TTL, PITR, tags), grouped over tables for the summary.
    let mut side_warnings = SideWarnings::default();
    run.tables(
        &pairs,
        selected,
        threads,
        &progress,
        |p, name| async move {
            process_table(&p.connection, options, &name, include_tags, &p.capabilities).await
        },
        |p, name, (described, sampled): (Described, SampleOutcome<Sample>), summary| {
            side_warnings.note(&p.shown(name), &described);
            summary.items_sampled += sampled.items;
            summary.consumed_read_units += sampled.consumed_read_units;
            let (records, skipped) = table_records(
                &p.scope,
                &p.connection,
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
    side_warnings.into_summary(&mut run.summary);
    Ok(run.finish(workflow.ingest.mark_deleted_tables).await)
}

/// What could not be read of the tables (TTL, PITR, tags), grouped over tables for the
/// summary: one warning per fact and reason, naming a few tables.
#[derive(Default)]
struct SideWarnings(BTreeMap<String, Vec<String>>);

impl SideWarnings {
    /// Notes what DescribeTable and its side calls could not read of `table`.
    fn note(&mut self, table: &str, described: &Described) {
        for (what, why) in &described.table.unavailable {
            self.0
                .entry(format!("{what} not read: {why}"))
                .or_default()
                .push(table.to_string());
        }
    }

    /// Adds one warning per fact and reason to `summary`.
    fn into_summary(self, summary: &mut Summary) {
        for (warning, tables) in self.0 {
            let shown: Vec<&str> = tables.iter().take(3).map(String::as_str).collect();
            let more = if tables.len() > 3 { ", ..." } else { "" };
            summary.warnings.push(format!(
                "{warning} ({} tables: {}{more})",
                tables.len(),
                shown.join(", ")
            ));
        }
    }
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
