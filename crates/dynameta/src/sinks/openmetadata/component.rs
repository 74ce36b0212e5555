//! The REST sink as a component: build (connect, find or create the service), health
//! check (server version, token) and the writer that routes records to the publisher.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::future::LocalBoxFuture;

use super::{RestSink, RestSinkConfig};
use crate::sinks::{
    HealthStep, Opening, Record, RunEnd, SinkConfig, SinkContext, SinkError, SinkReport,
    SinkWriter, TableTags,
};

impl SinkConfig for RestSinkConfig {
    fn kind(&self) -> &'static str {
        "metadata-rest"
    }

    fn build<'a>(
        &'a self,
        _context: SinkContext<'a>,
        opening: Opening<'a>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn SinkWriter>, SinkError>> {
        Box::pin(async move {
            let mut sink = RestSink::connect(self.client()).await?;
            match opening {
                Opening::Ingest {
                    service,
                    override_metadata,
                    allow_mass_delete,
                    tagging,
                } => {
                    sink.override_metadata = override_metadata;
                    sink.aws.tagging = tagging.cloned();
                    sink.allow_mass_delete = allow_mass_delete;
                    sink.ensure_service(service).await?;
                }
                Opening::Existing { service_name, .. } => {
                    sink.require_service(service_name).await?
                }
            }
            Ok(Box::new(RestWriter {
                sink,
                listing: Vec::new(),
            }) as Box<dyn SinkWriter>)
        })
    }

    fn health_check<'a>(&'a self, context: SinkContext<'a>) -> LocalBoxFuture<'a, Vec<HealthStep>> {
        Box::pin(async move {
            const SERVER: &str = "OpenMetadata server";
            const TOKEN: &str = "OpenMetadata token";
            // One quick attempt: a health check reports, it does not wait out an outage.
            let mut config = self.client();
            config.max_attempts = 1;
            config.timeout = config.timeout.min(Duration::from_secs(10));
            let t = std::time::Instant::now();
            let sink = match RestSink::connect(config).await {
                Ok(sink) => sink,
                Err(e) => {
                    return vec![
                        HealthStep::failed(SERVER, e.to_string()).took(t),
                        HealthStep::skipped(TOKEN, "the server could not be reached"),
                    ]
                }
            };
            let server = HealthStep::passed(
                SERVER,
                format!(
                    "OpenMetadata {} at {}",
                    sink.server().version,
                    self.server.host_port
                ),
            )
            .took(t);
            let t = std::time::Instant::now();
            let service_name = context.service_name;
            let token = match sink.service_exists(service_name).await {
                Ok(true) => {
                    HealthStep::passed(TOKEN, format!("accepted; service `{service_name}` exists"))
                }
                Ok(false) => HealthStep::passed(
                    TOKEN,
                    format!(
                        "accepted; service `{service_name}` does not exist yet (ingest creates it)"
                    ),
                ),
                Err(e) => HealthStep::failed(TOKEN, e.to_string()),
            }
            .took(t);
            vec![server, token]
        })
    }
}

/// The open REST sink, and the listings `markDeletedTables` compares with: one per
/// schema (a run walking several accounts/regions lists one schema per pair).
struct RestWriter {
    sink: RestSink,
    listing: Vec<(String, HashSet<String>)>,
}

impl SinkWriter for RestWriter {
    fn write<'a>(&'a mut self, record: &'a Record) -> LocalBoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            let rest = &mut self.sink;
            match record {
                // Created (or found) when the sink was opened.
                Record::CreateDatabaseService { .. } => {}
                Record::CreateDatabase { payload } => rest.put_database(payload).await?,
                Record::CreateDatabaseSchema { payload } => rest.put_schema(payload).await?,
                Record::CreateTable { payload } => rest.add_table(payload.clone()).await,
                Record::TableListing { schema, tables } => {
                    self.listing
                        .push((schema.clone(), tables.iter().cloned().collect()));
                }
                // Its facts reach OpenMetadata in the table description; its AWS tags
                // may name the table's owner.
                Record::DynamodbTable {
                    table, properties, ..
                } => rest.note_owner(table, properties),
                // Only the state sink of a partial profile takes part states.
                Record::ProfileState(_) => {}
                Record::CreateTableProfile { table, payload, .. } => {
                    rest.put_profile(table, payload).await
                }
                Record::ColumnTags { table, payload } => rest.apply_tags(table, payload).await,
                Record::SampleData { table, payload } => rest.put_sample_data(table, payload).await,
                // Lineage and usage reach OpenMetadata through `dynameta lineage` and
                // `dynameta usage` with this sink (they look the far ends up); a file's
                // records of them are not published, and the run says so.
                Record::TableLineage { .. } | Record::TableUsage { .. } => {
                    let note = "tableLineage and tableUsage records are not published to OpenMetadata: run `dynameta lineage` / `dynameta usage` with `sink: {type: metadata-rest}` instead".to_string();
                    if !rest.warnings.contains(&note) {
                        rest.warnings.push(note);
                    }
                }
                // A result is posted to its test case on the server, which `dynameta
                // test` creates or finds first (by its FQN). A post the server refuses
                // fails the table (its later results are not sent), as a refused table
                // or profile does.
                Record::TestCaseResult {
                    table,
                    post: Some(post),
                    ..
                } => {
                    if rest.failures.iter().any(|f| &f.table == table) {
                        return Ok(());
                    }
                    let body = super::dq::result_body(&post.outcome, post.timestamp, post.rows);
                    match super::dq::post_result(&rest.client, &post.case_fqn, &body).await {
                        Ok(()) => rest.published.results += 1,
                        Err(e) => rest.failures.push(crate::sinks::TableFailure {
                            table: table.clone(),
                            reason: format!(
                                "the result of test case `{}` could not be stored: {e}",
                                post.outcome.name
                            ),
                        }),
                    }
                }
                // A file's results name no case on the server, so they are not
                // published, and the run says so.
                Record::TestCaseResult { post: None, .. } => {
                    let note = "testCaseResult records are not published to OpenMetadata: run `dynameta test` with `sink: {type: metadata-rest}` instead".to_string();
                    if !rest.warnings.contains(&note) {
                        rest.warnings.push(note);
                    }
                }
            }
            Ok(())
        })
    }

    fn finish<'a>(self: Box<Self>, end: RunEnd<'a>) -> LocalBoxFuture<'a, SinkReport> {
        Box::pin(async move {
            let RestWriter { mut sink, listing } = *self;
            let mut report = SinkReport::default();
            // Each table was published as it came; the last batch goes now.
            sink.flush().await;
            // Labels and owners once every table is upserted.
            sink.apply_aws_tags().await;
            // Per schema: a pair that failed wrote no listing, so none of its tables is
            // marked deleted.
            for (schema, existing) in listing.into_iter().filter(|_| end.mark_deleted) {
                if let Err(e) = sink.mark_deleted(&schema, &existing, end.selected).await {
                    report.error = Some(format!("marking deleted tables: {e}"));
                    break;
                }
            }
            report.written = sink.published.tables + sink.published.results;
            report.deleted = std::mem::take(&mut sink.published.deleted);
            report.table_failures = std::mem::take(&mut sink.failures);
            report.warnings = std::mem::take(&mut sink.warnings);
            report.tags = (sink.published.tags_added, sink.published.tags_kept);
            report.sample_data = sink.published.sample_data;
            report.aws_tags = std::mem::take(&mut sink.aws.counts);
            report
        })
    }

    fn abandon(self: Box<Self>) -> Option<String> {
        // Nothing is pending before the first table.
        None
    }

    fn table_tags<'a>(
        &'a self,
        schema_fqn: &'a str,
    ) -> LocalBoxFuture<'a, Option<Result<TableTags, SinkError>>> {
        Box::pin(async move { Some(self.sink.table_tags(schema_fqn).await.map_err(Into::into)) })
    }
}
