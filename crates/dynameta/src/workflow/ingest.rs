//! `dynameta ingest`: list → filter → describe + sample (concurrently) → infer →
//! records → sink, with a summary at the end.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use futures_util::stream::{self, StreamExt};

use super::summary::{Failure, PairCounts, Summary};
use super::{Finish, Outcome, Progress, Run, RunError, RunFlags, Settings, Started};
use crate::aws::estate::{self, Pair};
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
    if estate::is_estate(&workflow.options) {
        return run_estate(settings, flags).await;
    }
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
    let mut side_warnings = SideWarnings::default();
    run.tables(
        selected,
        threads,
        &progress,
        |name| async move { process_table(conn, options, &name, include_tags, caps).await },
        |name, (described, sampled): (Described, SampleOutcome<Sample>), summary| {
            side_warnings.note(name, &described);
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

/// (account, region) pairs listed at once; their tables then share
/// `sourceConfig.config.threads`.
const PAIRS_AT_ONCE: usize = 8;

/// One pair of the estate, connected and listed.
struct PairRun<'a> {
    pair: &'a Pair,
    connection: Connection,
    capabilities: Capabilities,
    scope: Scope,
    /// Every listed name and the selected ones, or why the pair could not be listed.
    listing: Result<(Vec<String>, Vec<String>), String>,
}

/// Lists one pair: credentials (AssumeRole) first, so that a role that cannot be
/// assumed is said as such, then ListTables, then the filters with the pair's scope
/// (`databaseFilterPattern` matches the account, `schemaFilterPattern` the region).
async fn list_pair(
    pair: &Pair,
    connection: &Connection,
    filters: &crate::config::Filters,
    scope: &Scope,
) -> Result<(Vec<String>, Vec<String>), String> {
    if let Some(why) = &pair.broken {
        return Err(why.clone());
    }
    connection
        .resolve_credentials()
        .await
        .map_err(|e| e.to_string())?;
    let names = source::list_tables(&connection.dynamodb, &connection.throttle_retry)
        .await
        .map_err(|e| {
            // AWS answers a region the account has not enabled (an opt-in region) as
            // if the credentials were wrong; in an estate that is the likelier cause.
            let opt_in = e.failure.is_bad_credentials();
            let mut text = e.for_command(Command::Ingest).to_string();
            if opt_in {
                text.push_str(&format!(
                    ". If {} is an opt-in region, enable it for account {} (AWS console: Account → AWS Regions) or remove it from connectionArguments.regions",
                    pair.region,
                    pair.account.label()
                ));
            }
            text
        })?;
    let selected = names
        .iter()
        .filter(|n| super::filters_select(filters, scope, n))
        .cloned()
        .collect();
    Ok((names, selected))
}

/// `ingest` across the (account, region) pairs of the estate: one service; database =
/// the account, schema = the region. Pairs are listed [`PAIRS_AT_ONCE`] at a time and
/// their tables described and sampled `threads` at a time across pairs, written in
/// (pair, listing) order. A pair that fails fails alone: it writes no listing (so none
/// of its tables is marked deleted), the others complete, and it counts as one failure
/// for `successThreshold` / `raiseOnError`.
async fn run_estate(settings: &Settings, flags: &RunFlags) -> Result<(Summary, Outcome), RunError> {
    let started = Instant::now();
    let workflow = &settings.workflow;
    let service_scope = Scope::of(workflow);
    let service = mapping::database_service(&service_scope, workflow.aws(), None);
    let opening = Opening::Ingest {
        service: &service,
        override_metadata: workflow.ingest.override_metadata,
        allow_mass_delete: flags.allow_mass_delete,
        tagging: Some(&workflow.tagging),
    };
    let mut out = Finish::open(settings, opening, Command::Ingest, started).await?;
    let estate = estate::resolve(workflow.aws(), &workflow.options).await;
    let mut summary = Summary::default();
    summary.warnings.extend(estate.notes.iter().cloned());
    if workflow.connection.database_name.is_some() {
        summary.warnings.push(
            "serviceConnection.config.databaseName is not used when walking several accounts or regions: each account is a database, each region a schema"
                .into(),
        );
    }
    for (step, why) in &estate.failures {
        tracing::error!("{step}: {why}");
        summary.failures.push(Failure {
            name: step.clone(),
            reason: why.clone(),
        });
    }
    let filters = &workflow.filters;
    let estate_ref = &estate;
    let pairs: Vec<PairRun> = stream::iter(estate.pairs.iter())
        .map(|pair| async move {
            let connection = estate_ref.connection(pair);
            let scope = Scope::of_pair(workflow, &pair.account.database_name(), &pair.region);
            let listing = list_pair(pair, &connection, filters, &scope).await;
            PairRun {
                pair,
                connection,
                capabilities: Capabilities::default(),
                scope,
                listing,
            }
        })
        .buffered(PAIRS_AT_ONCE)
        .collect()
        .await;

    let mut counts: Vec<PairCounts> = Vec::with_capacity(pairs.len());
    let mut header = vec![Record::CreateDatabaseService {
        payload: service.clone(),
    }];
    let mut databases = BTreeSet::new();
    let mut jobs: Vec<(usize, String)> = Vec::new();
    for (i, p) in pairs.iter().enumerate() {
        let label = p.pair.label();
        let mut c = PairCounts {
            account: p.pair.account.database_name(),
            account_id: p.pair.account.id.clone(),
            region: p.pair.region.clone(),
            ..PairCounts::default()
        };
        match &p.listing {
            Err(why) => {
                tracing::error!(pair = %label, "{why}");
                c.error = Some(why.clone());
                summary.failures.push(Failure {
                    name: format!("pair {label}"),
                    reason: why.clone(),
                });
            }
            Ok((listed, selected)) => {
                tracing::info!(pair = %label, tables = listed.len(), "listed tables");
                c.tables_listed = listed.len();
                c.tables_selected = selected.len();
                summary.tables_listed += listed.len();
                if listed.is_empty() {
                    summary
                        .warnings
                        .push(format!("{label}: DynamoDB listed no table in this pair"));
                } else if selected.is_empty() {
                    summary.warnings.push(format!(
                        "{label}: the filters select none of its {} tables",
                        listed.len()
                    ));
                }
                let chosen: std::collections::HashSet<&String> = selected.iter().collect();
                summary.filtered.extend(
                    listed
                        .iter()
                        .filter(|n| !chosen.contains(n))
                        .map(|n| p.scope.table_fqn(n)),
                );
                if databases.insert(p.scope.database.clone()) {
                    header.push(Record::CreateDatabase {
                        payload: mapping::database_described(
                            &p.scope,
                            Some(p.pair.account.description()),
                        ),
                    });
                }
                header.push(Record::CreateDatabaseSchema {
                    payload: mapping::database_schema(&p.scope),
                });
                header.push(Record::TableListing {
                    schema: p.scope.schema_fqn(),
                    tables: listed.clone(),
                });
                jobs.extend(selected.iter().map(|n| (i, n.clone())));
            }
        }
        counts.push(c);
    }
    if jobs.is_empty() && !flags.allow_empty {
        // Nothing to write: the previous output stays (as a single-pair run that
        // selects nothing); failed pairs make it a failure, else exit 3.
        let why = "no table selected in any (account, region) pair".to_string();
        summary.warnings.push(why.clone());
        summary
            .warnings
            .extend(out.abandon_because("(nothing to do)", &why));
        summary.pairs = counts;
        summary.elapsed = started.elapsed();
        let outcome = if summary.failures.is_empty() {
            Outcome::Empty
        } else {
            Outcome::Failures
        };
        return Ok((summary, outcome));
    }
    let mut sink_good = true;
    for record in &header {
        sink_good = sink_good && out.write(record).await;
    }

    let ingest = &workflow.ingest;
    let (threads, include_tags) = (ingest.threads, ingest.include_tags);
    let column_options = ColumnOptions {
        json_schema: ingest.extract_json_schema,
    };
    let options = &workflow.options;
    let progress = Progress::new(jobs.len() as u64, flags.quiet);
    let mut side_warnings = SideWarnings::default();
    let pairs_ref = &pairs;
    let mut results = stream::iter(jobs.into_iter().enumerate().filter(|_| sink_good))
        .map(|(k, (i, name))| async move {
            let p = &pairs_ref[i];
            let outcome =
                process_table(&p.connection, options, &name, include_tags, &p.capabilities).await;
            (k, i, name, outcome)
        })
        .buffer_unordered(threads.max(1));
    // Tables finish out of order; a small reorder buffer writes them in order.
    let mut pending = BTreeMap::new();
    let mut next = 0;
    while let Some((k, i, name, outcome)) = results.next().await {
        progress.table_done(&name);
        pending.insert(k, (i, name, outcome));
        while let Some((i, name, outcome)) = pending.remove(&next) {
            next += 1;
            let p = &pairs[i];
            let fqn = p.scope.table_fqn(&name);
            let result = match outcome {
                Ok((described, sampled)) => {
                    side_warnings.note(&fqn, &described);
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
                    counts[i].tables_processed += 1;
                    Ok(records.into())
                }
                Err(e) => {
                    counts[i].tables_failed += 1;
                    Err(e.to_string())
                }
            };
            out.table(&mut summary, fqn, result).await;
        }
    }
    progress.finish();
    side_warnings.into_summary(&mut summary);
    summary.throttled_requests = pairs.iter().map(|p| p.connection.throttled.count()).sum();
    summary.pairs = counts;
    Ok(out.finish(summary, ingest.mark_deleted_tables).await)
}
