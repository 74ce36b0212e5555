//! Where results go. Each sink is a folder with its component; records are the same
//! for all sinks (see [`Record`]), and [`Sink`] hides which one runs.

pub mod file;
pub mod openmetadata;
mod record;

use std::collections::HashSet;
use std::path::Path;

pub use record::{Record, SamplingStats};

use self::file::FileSink;
use self::openmetadata::{RestConfig, RestError, RestSink, TableFailure};
use crate::config::{OpenMetadataServerConfig, RestSinkConfig};
use crate::openmetadata::CreateDatabaseService;

/// The configured sink.
pub enum Sink {
    /// JSON Lines file.
    File(FileSink),
    /// OpenMetadata REST API.
    Rest(Box<RestSink>, Option<(String, HashSet<String>)>),
}

/// What a sink did, for the run summary.
#[derive(Debug, Default)]
pub struct SinkReport {
    /// Records written (file) or tables accepted (REST).
    pub written: u64,
    /// Tables soft-deleted in OpenMetadata.
    pub deleted: Vec<String>,
    /// Tables the sink could not publish.
    pub table_failures: Vec<TableFailure>,
    /// Problems that did not fail a table.
    pub warnings: Vec<String>,
    /// Column tags added and left as they were (REST sink, classification).
    pub tags: (u64, u64),
    /// Sample data sets stored (REST sink).
    pub sample_data: u64,
    /// A failure of the sink as a whole.
    pub error: Option<String>,
}

impl Sink {
    /// Connects to OpenMetadata for a run that adds to tables already ingested (profile,
    /// classify): the service must exist.
    pub async fn rest_existing(
        server: &OpenMetadataServerConfig,
        config: &RestSinkConfig,
        service: &str,
    ) -> Result<Sink, RestError> {
        let mut sink = RestSink::connect(RestConfig::new(server, config)).await?;
        sink.require_service(service).await?;
        Ok(Sink::Rest(Box::new(sink), None))
    }

    /// Table name → OpenMetadata tag FQNs of the schema's tables (REST sink; `None`
    /// for the file sink, which knows no OpenMetadata tags).
    pub async fn table_tags(
        &self,
        schema_fqn: &str,
    ) -> Option<Result<std::collections::HashMap<String, Vec<String>>, RestError>> {
        match self {
            Sink::File(_) => None,
            Sink::Rest(rest, _) => Some(rest.table_tags(schema_fqn).await),
        }
    }

    /// Opens a file sink: checks the path, takes the output's lock and creates the
    /// temporary file, so every problem with the path shows before any DynamoDB work.
    pub fn file(path: &Path) -> Result<Sink, file::FileSinkError> {
        FileSink::create(path).map(Sink::File)
    }

    /// Ends a run that stopped before [`Sink::finish`] (listing failed, the sink broke):
    /// a file sink leaves the previous output as it was and removes its temporary file.
    /// Returns the line for the summary (none for the REST sink, which has nothing
    /// pending then).
    pub fn abandon(self) -> Option<String> {
        match self {
            Sink::File(file) => Some(file.abandon()),
            Sink::Rest(..) => None,
        }
    }

    /// Connects to OpenMetadata and makes sure the service exists: a bad URL, token or
    /// server version fails here, before any DynamoDB work.
    /// `override_metadata` is the pipeline's `overrideMetadata`: whether the source's
    /// description replaces one already in OpenMetadata; `allow_mass_delete` lets
    /// `markDeletedTables` remove more than half of a schema's tables.
    pub async fn rest(
        server: &OpenMetadataServerConfig,
        config: &RestSinkConfig,
        service: &CreateDatabaseService,
        override_metadata: bool,
        allow_mass_delete: bool,
    ) -> Result<Sink, RestError> {
        let mut sink = RestSink::connect(RestConfig::new(server, config)).await?;
        sink.override_metadata = override_metadata;
        sink.allow_mass_delete = allow_mass_delete;
        sink.ensure_service(service).await?;
        Ok(Sink::Rest(Box::new(sink), None))
    }

    /// Takes one record. A REST error on the database or schema is returned (nothing
    /// else can be published then); table problems are collected for [`Sink::finish`].
    pub async fn write(&mut self, record: &Record) -> Result<(), String> {
        match self {
            Sink::File(file) => file.write(record).map_err(|e| e.to_string()),
            Sink::Rest(rest, listing) => match record {
                // Created (or found) when the sink was opened.
                Record::CreateDatabaseService { .. } => Ok(()),
                Record::CreateDatabase { payload } => {
                    rest.put_database(payload).await.map_err(|e| e.to_string())
                }
                Record::CreateDatabaseSchema { payload } => {
                    rest.put_schema(payload).await.map_err(|e| e.to_string())
                }
                Record::CreateTable { payload } => {
                    rest.add_table(payload.clone()).await;
                    Ok(())
                }
                Record::TableListing { schema, tables } => {
                    *listing = Some((schema.clone(), tables.iter().cloned().collect()));
                    Ok(())
                }
                // Its facts reach OpenMetadata in the table description.
                Record::DynamodbTable { .. } | Record::DynamodbTableRead {} => Ok(()),
                Record::CreateTableProfile { table, payload, .. } => {
                    rest.put_profile(table, payload).await;
                    Ok(())
                }
                Record::ColumnTags { table, payload } => {
                    rest.apply_tags(table, payload).await;
                    Ok(())
                }
                Record::SampleData { table, payload } => {
                    rest.put_sample_data(table, payload).await;
                    Ok(())
                }
            },
        }
    }

    /// Finishes. `commit` says whether the run succeeded: the file sink renames its
    /// output into place only then, and otherwise leaves the previous output as it was
    /// (the run's records go to `<name>.partial`; the report's warnings say so). The
    /// REST sink has published each table as it went: it sends the last batch and (with
    /// `mark_deleted` and a listing) soft-deletes tables gone from DynamoDB among those
    /// `selected` by the current filter, whatever `commit` says.
    pub async fn finish(
        self,
        commit: bool,
        mark_deleted: bool,
        selected: &dyn Fn(&str) -> bool,
    ) -> SinkReport {
        let mut report = SinkReport::default();
        match self {
            Sink::File(file) => match file.finish(commit) {
                Ok(file::Finished::Committed { records }) => report.written = records,
                Ok(file::Finished::LeftUntouched { records, note }) => {
                    report.written = records;
                    report.warnings.push(note);
                }
                Err(e) => report.error = Some(e.to_string()),
            },
            Sink::Rest(mut rest, listing) => {
                rest.flush().await;
                if let (true, Some((schema, existing))) = (mark_deleted, listing) {
                    if let Err(e) = rest.mark_deleted(&schema, &existing, selected).await {
                        report.error = Some(format!("marking deleted tables: {e}"));
                    }
                }
                report.written = rest.published.tables;
                report.deleted = std::mem::take(&mut rest.published.deleted);
                report.table_failures = std::mem::take(&mut rest.failures);
                report.warnings = std::mem::take(&mut rest.warnings);
                report.tags = (rest.published.tags_added, rest.published.tags_kept);
                report.sample_data = rest.published.sample_data;
            }
        }
        report
    }
}
