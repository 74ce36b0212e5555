//! The commands: what runs when, and what the user is told at the end.

pub mod catalog;
pub mod classify;
#[cfg(test)]
mod configuration_docs;
pub mod ingest;
pub mod lineage;
pub mod profile;
mod progress;
pub mod publish;
mod runner;
pub mod start_export;
pub mod summary;
pub mod test;
pub mod test_connection;
pub mod usage;

pub use progress::Progress;
pub use runner::{
    list_pairs, list_pairs_for_report, selected_tables, Finish, ReportListing, Run, RunPair,
    Started,
};

use std::path::Path;

use crate::aws::Connection;
use crate::config::{self, Command, ConfigError, Filters, Workflow};
use crate::processors::mapping::Scope;
use crate::sinks::{self, SinkConfig, SinkError};
pub use summary::Summary;

/// A workflow ready to run: the checked file and its sink, built by the sink the file
/// names (each sink parses its own `sink.config`).
#[derive(Debug)]
pub struct Settings {
    /// The checked workflow.
    pub workflow: Workflow,
    /// The sink (`None` only for `test-connection` without one).
    pub sink: Option<Box<dyn SinkConfig>>,
}

impl Settings {
    /// Reads and checks the workflow file at `path` for `command`, sink included: every
    /// configuration error shows here, before any work (exit code 2).
    pub fn load(path: &Path, command: Command) -> Result<Settings, ConfigError> {
        let workflow = config::load(path, command)?;
        let sink = workflow
            .sink
            .as_ref()
            .map(|section| sinks::parse(section, workflow.server.as_ref()))
            .transpose()?;
        Ok(Settings { workflow, sink })
    }
}

/// Why a command could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The sink cannot be opened (a bad or locked output path, an unreachable server, a
    /// refused token, an unsupported server version).
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// The workflow names no sink.
    #[error("sink: required for {}. Add a `sink:` section (see examples/).", command.name())]
    NoSink {
        /// The command.
        command: Command,
    },
    /// `dynameta publish --from FILE` could not read its input.
    #[error(transparent)]
    Records(#[from] publish::ReadError),
    /// A partial profile's state file cannot be written, or the files given to
    /// `profile merge` cannot be read or are not the parts of one run.
    #[error(transparent)]
    State(#[from] crate::processors::profiler::state_file::StateFileError),
    /// `--explain` of a table DynamoDB does not have.
    #[error("{0}")]
    NoSuchTable(String),
    /// A mode that works on one (account, region) pair, asked of a workflow that
    /// walks several.
    #[error("{what}: does not walk several accounts/regions (`regions`, `accounts`, `organization` or `includeBaseAccount` is set in source.serviceConnection.config.connectionArguments); it never reads only the first pair. Run it once per pair, with a copy of this workflow that sets awsConfig.awsRegion (and awsConfig.assumeRoleArn for another account) and drops those keys")]
    OnePairOnly {
        /// The command and mode (`profile --part`, `classify --explain`, ...).
        what: &'static str,
    },
    /// `--explain` could not read or score the table.
    #[error("--explain {table}: {reason}")]
    Explain {
        /// The table.
        table: String,
        /// Why.
        reason: String,
    },
}

impl RunError {
    /// Exit code: 2 for what the user fixes in the setup before rerunning, 1 for a
    /// table that could not be explained.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::NoSuchTable(_) | RunError::Explain { .. } => 1,
            _ => 2,
        }
    }
}

/// Refuses `what` (a mode that works on one pair) for a workflow that walks several
/// (account, region) pairs: [`RunError::OnePairOnly`], exit 2.
pub fn refuse_estate(workflow: &Workflow, what: &'static str) -> Result<(), RunError> {
    if crate::aws::estate::is_estate(&workflow.options) {
        return Err(RunError::OnePairOnly { what });
    }
    Ok(())
}

/// True when the workflow's filters keep table `name` (see [`filters_select`]).
pub fn selects(workflow: &Workflow, scope: &Scope, name: &str) -> bool {
    filters_select(&workflow.filters, scope, name)
}

/// True when `filters` keep table `name` (OpenMetadata semantics, with
/// `useFqnForFiltering` matching fully qualified names).
pub fn filters_select(filters: &Filters, scope: &Scope, name: &str) -> bool {
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

/// DescribeTable alone (no TTL, PITR or tags): what profiling and classification need
/// before they scan.
pub async fn describe_for_scan(
    connection: &Connection,
    name: &str,
    capabilities: &crate::source::Capabilities,
    command: Command,
) -> Result<crate::source::TableDescription, crate::source::SourceError> {
    crate::source::describe_table(
        &connection.dynamodb,
        name,
        crate::source::Depth::Table,
        capabilities,
        &connection.throttle_retry,
    )
    .await
    .map(|described| described.table)
    .map_err(|e| e.for_command(command))
}

/// Lists the region's tables and applies the workflow's filters. Returns every listed
/// name and the selected ones; the dropped ones go to `summary.filtered`.
///
/// A run that finds or selects no table stops here with [`ListingStop::Empty`] (the
/// reason is also a summary warning), unless `flags.allow_empty`.
pub async fn list_and_select(
    connection: &Connection,
    filters: &Filters,
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
        .partition(|n| filters_select(filters, scope, n));
    for name in &filtered {
        tracing::debug!(table = %name, "filtered out");
    }
    summary.filtered.extend(filtered);
    if let Some(why) = nothing_selected(connection, filters, &names, selected.len()) {
        // Shown once, in the summary's warnings (text or JSON): a log line too would
        // print the same warning twice in one run.
        tracing::debug!("{why}");
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
    filters: &Filters,
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
        let fqn = if filters.use_fqn {
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
