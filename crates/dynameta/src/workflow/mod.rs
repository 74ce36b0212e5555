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
use crate::config::{Command, SinkConfig, Workflow};
use crate::processors::mapping::Scope;
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
    /// DynamoDB listed no table, or the filters selected none: nothing was written
    /// (see [`RunFlags::allow_empty`]).
    Empty,
}

/// Exit code of a run that found or selected no table (without `--allow-empty`).
pub const EXIT_EMPTY: u8 = 3;

impl Outcome {
    /// Process exit code: 0, 1 or 3 (2 is for configuration errors, decided earlier).
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Failures => 1,
            Outcome::Empty => EXIT_EMPTY,
        }
    }
}

/// What the command line says about a run, beside the workflow file.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunFlags {
    /// No progress bar.
    pub quiet: bool,
    /// A run that finds or selects no table is a success (exit 0) that writes its
    /// (empty) output, instead of exit 3 with the previous output left as it was. Even
    /// then no table is ever marked deleted because DynamoDB listed none.
    pub allow_empty: bool,
    /// Allow `markDeletedTables` to soft-delete more than half of a schema's tables in
    /// one run (refused by default: a wrong region, account or filter looks like that).
    pub allow_mass_delete: bool,
}

/// Why a run stopped after listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListingStop {
    /// No usable credentials (nothing was called).
    Credentials(String),
    /// ListTables failed.
    Failed(String),
    /// Nothing to do: no table listed, or none selected (the message says which).
    Empty(String),
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
    command: Command,
) -> Result<crate::source::TableDescription, String> {
    crate::source::describe_table(
        &connection.dynamodb,
        name,
        crate::source::Depth::Table,
        capabilities,
        &connection.throttle_retry,
    )
    .await
    .map(|described| described.table)
    .map_err(|e| e.for_command(command).to_string())
}

/// Lists the region's tables and applies the workflow's filters. Returns every listed
/// name and the selected ones; the dropped ones go to `summary.filtered`.
///
/// A run that finds or selects no table stops here with [`ListingStop::Empty`] (the
/// reason is also a summary warning), unless `flags.allow_empty`.
pub async fn list_and_select(
    connection: &Connection,
    workflow: &Workflow,
    scope: &Scope,
    summary: &mut Summary,
    flags: &RunFlags,
    command: Command,
) -> Result<(Vec<String>, Vec<String>), ListingStop> {
    // A credentials problem is reported as one, not as a failed DynamoDB call.
    if let Err(e) = connection.resolve_credentials().await {
        tracing::error!("{e}");
        return Err(ListingStop::Credentials(e.to_string()));
    }
    let names = crate::source::list_tables(&connection.dynamodb, &connection.throttle_retry)
        .await
        .map_err(|e| {
            let e = e.for_command(command);
            tracing::error!("{e}");
            ListingStop::Failed(e.to_string())
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
    if let Some(why) = nothing_selected(connection, workflow, &names, selected.len()) {
        tracing::warn!("{why}");
        summary.warnings.push(why.clone());
        if !flags.allow_empty {
            return Err(ListingStop::Empty(why));
        }
    }
    Ok((names, selected))
}

/// What to tell a user whose run found (`listed`) or selected nothing.
fn nothing_selected(
    connection: &Connection,
    workflow: &Workflow,
    names: &[String],
    selected: usize,
) -> Option<String> {
    let listed = names.len();
    let endpoint = connection
        .endpoint
        .as_deref()
        .map(|e| format!(" at {e}"))
        .unwrap_or_default();
    if listed == 0 {
        return Some(format!(
            "DynamoDB listed no table in region {}{endpoint}: check awsRegion, that the credentials belong to the account holding the tables, and endPointURL. Nothing was written; pass --allow-empty if an empty region is expected",
            connection.region
        ));
    }
    if selected == 0 {
        let some: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
        let more = if names.len() > 3 { ", ..." } else { "" };
        let fqn = if workflow.filters.use_fqn {
            " (useFqnForFiltering: patterns see service.database.schema.table)"
        } else {
            ""
        };
        return Some(format!(
            "the filters selected none of the {listed} tables DynamoDB listed ({}{more}): check sourceConfig.config's tableFilterPattern, schemaFilterPattern and databaseFilterPattern, matched case-insensitively at the start of the name{fqn}. Nothing was written; pass --allow-empty if that is expected",
            some.join(", ")
        ));
    }
    None
}
