//! The commands: what runs when, and what the user is told at the end.

pub mod classify;
pub mod ingest;
pub mod profile;
mod progress;
pub mod publish;
pub mod summary;
pub mod test_connection;

pub use progress::Progress;

use crate::aws::Connection;
use crate::config::{SinkConfig, Workflow};
use crate::openmetadata::mapping::Scope;
use crate::sinks::Sink;
use ingest::IngestError;
pub use summary::Summary;

/// How a finished run ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything worked.
    Success,
    /// The run went through, but some tables (or the sink) failed.
    Failures,
}

impl Outcome {
    /// Process exit code: 0 or 1 (2 is for configuration errors, decided earlier).
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Failures => 1,
        }
    }
}

/// Opens the sink of a run that adds to tables already ingested (profile, classify).
/// `Err` = cannot start (exit 2: a bad output path, an output another run holds, an
/// unusable OpenMetadata server); `Ok(Err)` = a failure to report (exit 1).
pub async fn open_existing_sink(
    workflow: &Workflow,
    command: &str,
) -> Result<Result<Sink, String>, IngestError> {
    match &workflow.sink {
        Some(SinkConfig::File(f)) => Sink::file(std::path::Path::new(&f.filename))
            .map(Ok)
            .map_err(|e| IngestError::Sink(e.to_string())),
        Some(SinkConfig::MetadataRest(rest)) => {
            let server = workflow.server.as_ref().ok_or_else(|| {
                IngestError::Sink(
                    "workflowConfig.openMetadataServerConfig: required by the metadata-rest sink"
                        .into(),
                )
            })?;
            Sink::rest_existing(server, rest, &workflow.service_name)
                .await
                .map(Ok)
                .map_err(|e| IngestError::Sink(e.to_string()))
        }
        None => Err(IngestError::Sink(format!("sink: required for {command}"))),
    }
}

/// DescribeTable alone (no TTL, PITR or tags): what profiling and classification need
/// before they scan. The error is the user-facing message for the table's failure.
pub async fn describe_for_scan(
    connection: &Connection,
    name: &str,
    capabilities: &crate::source::Capabilities,
) -> Result<crate::source::TableDescription, String> {
    crate::source::describe_table(
        &connection.dynamodb,
        name,
        crate::source::Depth::Table,
        capabilities,
    )
    .await
    .map(|described| described.table)
    .map_err(|e| e.to_string())
}

/// Lists the region's tables and applies the workflow's filters. Returns every listed
/// name and the selected ones; the dropped ones go to `summary.filtered`.
pub async fn list_and_select(
    connection: &Connection,
    workflow: &Workflow,
    scope: &Scope,
    summary: &mut Summary,
) -> Result<(Vec<String>, Vec<String>), String> {
    let names = crate::source::list_tables(&connection.dynamodb)
        .await
        .map_err(|e| {
            tracing::error!("{e}");
            e.to_string()
        })?;
    summary.tables_listed = names.len();
    tracing::info!(tables = names.len(), region = %connection.region, "listed tables");
    let (selected, filtered): (Vec<String>, Vec<String>) = names
        .iter()
        .cloned()
        .partition(|n| ingest::selects(workflow, scope, n));
    for name in &filtered {
        tracing::debug!(table = %name, "filtered out");
    }
    summary.filtered.extend(filtered);
    Ok((names, selected))
}
