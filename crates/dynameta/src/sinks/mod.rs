//! Where results go. Each sink is a component in its own folder (Vector's shape): the
//! folder owns its configuration (parsed from the workflow's `sink.config`, with exact
//! key paths), its build step (open the output, or connect to the server) and its
//! health check (run by `test-connection`). The commands only see [`SinkConfig`] and
//! [`SinkWriter`]; adding a sink is a new folder and one arm in [`parse`].
//!
//! Records are the same for all sinks (see [`Record`]). A run drives its sink from one
//! task, so the sink futures need not be `Send` ([`LocalBoxFuture`]).

pub mod console;
pub mod file;
pub mod local;
pub mod openmetadata;
mod record;
pub mod state;

use std::collections::HashMap;
use std::path::Path;

use futures_util::future::LocalBoxFuture;

pub use record::{Record, SamplingStats};

use crate::config::{
    AwsConfig, Command, ConfigError, ConnectionArguments, OpenMetadataServerConfig, SinkSection,
    Workflow,
};
use crate::openmetadata::CreateDatabaseService;

/// The sinks dynameta knows, by `sink.type`.
pub const SINK_TYPES: &[&str] = &["local", "file", "metadata-rest", "console"];

/// Parses the workflow's `sink` section with the sink it names: the one place that
/// knows every sink. `server` is `workflowConfig.openMetadataServerConfig`.
pub fn parse(
    section: &SinkSection,
    server: Option<&OpenMetadataServerConfig>,
) -> Result<Box<dyn SinkConfig>, ConfigError> {
    let config = section.config.clone();
    match section.kind.as_str() {
        "file" => Ok(Box::new(file::FileSinkConfig::parse(config)?)),
        "local" => Ok(Box::new(local::LocalSinkConfig::parse(config)?)),
        "console" => Ok(Box::new(console::ConsoleSinkConfig::parse(config)?)),
        "metadata-rest" => Ok(Box::new(openmetadata::RestSinkConfig::parse(
            config, server,
        )?)),
        other => Err(ConfigError::invalid(
            "sink.type",
            format!(
                "`{other}` is not a sink dynameta knows; use one of: {}.",
                SINK_TYPES.join(", ")
            ),
        )),
    }
}

/// What the run that opens a sink (or checks its health) gives it beyond the sink's own
/// configuration: the command, the service, the workflow file (an input no sink may
/// write over), and the workflow's AWS connection settings, so that a sink writing to
/// AWS (an S3 or Parquet sink) connects as the source does, with the same credentials,
/// role, endpoint and timeouts ([`SinkContext::connect`]). Built once by the command
/// ([`SinkContext::of`]); a sink takes what it needs from it.
#[derive(Clone, Copy)]
pub struct SinkContext<'a> {
    /// The command that runs.
    pub command: Command,
    /// `source.serviceName`.
    pub service_name: &'a str,
    /// The workflow file the run reads (`None` for a workflow built without one).
    pub workflow_file: Option<&'a Path>,
    /// `serviceConnection.config.awsConfig`.
    pub aws: &'a AwsConfig,
    /// `serviceConnection.config.connectionArguments` (timeouts, attempts, endpoints).
    pub connection_arguments: &'a ConnectionArguments,
}

impl<'a> SinkContext<'a> {
    /// The context of `command` run with `workflow`.
    pub fn of(workflow: &'a Workflow, command: Command) -> SinkContext<'a> {
        SinkContext {
            command,
            service_name: &workflow.service_name,
            workflow_file: workflow.sink.as_ref().map(|s| s.workflow_file.as_path()),
            aws: workflow.aws(),
            connection_arguments: &workflow.options,
        }
    }

    /// The workflow's AWS connection (no AWS call is made until a client is used): its
    /// S3 client, credentials and region are a sink's to write with.
    pub async fn connect(&self) -> crate::aws::Connection {
        crate::aws::connect(self.aws, self.connection_arguments).await
    }
}

impl std::fmt::Debug for SinkContext<'_> {
    /// The command and service only: the AWS settings hold secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkContext")
            .field("command", &self.command)
            .field("service_name", &self.service_name)
            .field("workflow_file", &self.workflow_file)
            .finish_non_exhaustive()
    }
}

/// What a run asks of the sink it opens.
#[derive(Debug, Clone)]
pub enum Opening<'a> {
    /// `ingest` (and `publish` of an ingest output): the run creates the service.
    Ingest {
        /// The service to find or create.
        service: &'a CreateDatabaseService,
        /// The pipeline's `overrideMetadata`: the source's description replaces one
        /// already in the catalog.
        override_metadata: bool,
        /// `markDeletedTables` may remove more than half of a schema's tables.
        allow_mass_delete: bool,
        /// AWS tags and owners to publish (`None`: left as they are).
        tagging: Option<&'a crate::config::Tagging>,
    },
    /// `profile` and `classify`: the run adds to tables already ingested, so the
    /// service must exist.
    Existing {
        /// `source.serviceName`.
        service_name: &'a str,
        /// The command that runs (recorded by the local catalog).
        command: Command,
    },
}

/// A sink's parsed configuration: builds the sink and checks its health.
pub trait SinkConfig: std::fmt::Debug + Send + Sync {
    /// `sink.type`.
    fn kind(&self) -> &'static str;

    /// Opens the sink. Every problem with its configuration (a bad output path, an
    /// output another run holds, an unreachable or refusing server) shows here, before
    /// any DynamoDB work.
    fn build<'a>(
        &'a self,
        context: SinkContext<'a>,
        opening: Opening<'a>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn SinkWriter>, SinkError>>;

    /// What `test-connection` checks of this sink, without writing any output.
    fn health_check<'a>(&'a self, context: SinkContext<'a>) -> LocalBoxFuture<'a, Vec<HealthStep>>;

    /// The file the sink writes, with the key that names it (the file sink's output,
    /// the local catalog), so that a command can refuse an output that is one of its
    /// inputs before any work (`dynameta_fs::output`); `None` for sinks that write no file.
    fn output_file(&self) -> Option<(&'static str, &std::path::Path)> {
        None
    }
}

/// An open sink.
pub trait SinkWriter: Send {
    /// Takes one record. An error means nothing else can be written (a database or
    /// schema the server refused, a full disk); table problems are collected for
    /// [`SinkWriter::finish`].
    fn write<'a>(&'a mut self, record: &'a Record) -> LocalBoxFuture<'a, Result<(), SinkError>>;

    /// Finishes: `end.commit` says whether the run succeeded (a file sink replaces its
    /// output only then); `end.mark_deleted` asks to soft-delete tables gone from
    /// DynamoDB among those `end.selected` keeps.
    fn finish<'a>(self: Box<Self>, end: RunEnd<'a>) -> LocalBoxFuture<'a, SinkReport>;

    /// Ends a run that stopped before [`SinkWriter::finish`]: nothing pending is
    /// written and the previous output stays as it was. Returns a line for the summary.
    fn abandon(self: Box<Self>) -> Option<String>;

    /// [`SinkWriter::abandon`], told which step stopped the run and why: a sink that
    /// records runs (the local catalog) keeps the reason with the run, so its history
    /// says why it failed. The others just abandon.
    fn abandon_because(self: Box<Self>, step: &str, reason: &str) -> Option<String> {
        let _ = (step, reason);
        self.abandon()
    }

    /// The top-level columns (as written in DynamoDB) the sink's catalog knows of
    /// table `table_fqn` from its latest ingest, for `dynameta test` without a server
    /// (a case on a column OpenMetadata could not hold is set aside); empty for sinks
    /// that keep no catalog, or a table never ingested.
    fn known_columns(&self, table_fqn: &str) -> Vec<String> {
        let _ = table_fqn;
        Vec::new()
    }

    /// Table name → tag FQNs of the schema's tables, for sinks that know tags
    /// (`classificationFilterPattern`); `None` for the others.
    fn table_tags<'a>(
        &'a self,
        _schema_fqn: &'a str,
    ) -> LocalBoxFuture<'a, Option<Result<TableTags, SinkError>>> {
        Box::pin(async { None })
    }
}

/// Table name → tag FQNs.
pub type TableTags = HashMap<String, Vec<String>>;

/// How a run ends, for [`SinkWriter::finish`].
pub struct RunEnd<'a> {
    /// The run succeeded: its output may replace the previous one.
    pub commit: bool,
    /// Soft-delete tables DynamoDB no longer lists (`markDeletedTables`).
    pub mark_deleted: bool,
    /// Whether the current filters select table `name` of schema `schema_fqn` (only
    /// those can be marked deleted): `selected(schema_fqn, name)`, each table judged in
    /// its own (account, region) pair, as the run listed it.
    pub selected: &'a (dyn Fn(&str, &str) -> bool + Sync),
    /// The run summary so far (the local catalog records it with the run).
    pub summary: &'a serde_json::Value,
    /// The tables that failed, as the summary names them (DynamoDB names; full names
    /// in a run over several pairs).
    pub failed_tables: &'a [String],
    /// The (account database, region) pairs that could not be read at all: none of
    /// their tables was read, so each keeps what the last run knew of it.
    pub failed_pairs: &'a [(String, String)],
}

/// Why a sink could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The file sink.
    #[error(transparent)]
    File(#[from] file::FileSinkError),
    /// The OpenMetadata REST sink.
    #[error(transparent)]
    Rest(#[from] openmetadata::RestError),
    /// The local catalog.
    #[error(transparent)]
    Local(#[from] dynameta_catalog::CatalogError),
    /// An output path that cannot be written (the local catalog's).
    #[error(transparent)]
    Output(#[from] dynameta_fs::output::OutputError),
}

/// One step of a sink's health check (`test-connection` shows it as a step).
#[derive(Debug, Clone)]
pub struct HealthStep {
    /// Step name.
    pub name: &'static str,
    /// `None` = passed; otherwise why not.
    pub problem: Option<String>,
    /// The step could not run because an earlier one failed (never a pass).
    pub skipped: bool,
    /// What was found (when it passed).
    pub detail: String,
    /// How long the step took, when the sink timed it (a sink with several steps);
    /// otherwise the whole health check's time is the step's.
    pub millis: Option<u128>,
}

impl HealthStep {
    /// A step that passed.
    pub fn passed(name: &'static str, detail: impl Into<String>) -> HealthStep {
        HealthStep {
            name,
            problem: None,
            skipped: false,
            detail: detail.into(),
            millis: None,
        }
    }

    /// A step that failed.
    pub fn failed(name: &'static str, problem: impl Into<String>) -> HealthStep {
        HealthStep {
            name,
            problem: Some(problem.into()),
            skipped: false,
            detail: String::new(),
            millis: None,
        }
    }

    /// The same step, timed from `started`.
    pub fn took(mut self, started: std::time::Instant) -> HealthStep {
        self.millis = Some(started.elapsed().as_millis());
        self
    }

    /// A step that could not run.
    pub fn skipped(name: &'static str, why: impl Into<String>) -> HealthStep {
        HealthStep {
            name,
            problem: Some(why.into()),
            skipped: true,
            detail: String::new(),
            millis: None,
        }
    }
}

/// What a sink did, for the run summary.
#[derive(Debug, Default)]
pub struct SinkReport {
    /// Records written (file) or tables accepted (REST).
    pub written: u64,
    /// Files the run wrote (replaced or left beside the output), for the summary.
    pub outputs: Vec<String>,
    /// Tables soft-deleted in OpenMetadata.
    pub deleted: Vec<String>,
    /// Tables the sink could not publish.
    pub table_failures: Vec<TableFailure>,
    /// Problems that did not fail a table.
    pub warnings: Vec<String>,
    /// Column tags added and left as they were (REST sink, classification).
    pub tags: (u64, u64),
    /// Sample data sets stored or written.
    pub sample_data: u64,
    /// AWS tag labels added and removed, owners set (REST sink, ingest).
    pub aws_tags: openmetadata::AwsTagCounts,
    /// A failure of the sink as a whole.
    pub error: Option<String>,
}

/// A table the sink could not publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFailure {
    /// Table name.
    pub table: String,
    /// Why.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workflow() -> Workflow {
        let yaml = "source:\n  type: dynamodb\n  serviceName: svc\n  serviceConnection:\n    config:\n      type: DynamoDB\n      awsConfig:\n        awsRegion: eu-west-3\n        awsAccessKeyId: AKIDCONTEXT\n        awsSecretAccessKey: not-printed\n        endPointURL: http://127.0.0.1:9\n  sourceConfig:\n    config:\n      type: Profiler\nsink:\n  type: local\n  config:\n    path: catalog.db\nworkflowConfig:\n  openMetadataServerConfig:\n    hostPort: http://localhost:8585/api\n";
        crate::config::parse(yaml, Path::new("dir/wf.yaml"), Command::Profile, &|_| None).unwrap()
    }

    /// A sink's context carries the run's command, service and workflow file, and the
    /// workflow's AWS connection: what an S3 sink would write with is the source's own
    /// connection (region, endpoint, credentials), made without an AWS call.
    #[test]
    fn the_sink_context_carries_the_run_and_its_aws_connection() {
        let wf = workflow();
        let context = SinkContext::of(&wf, Command::Profile);
        assert_eq!(context.command, Command::Profile);
        assert_eq!(context.service_name, "svc");
        assert_eq!(context.workflow_file, Some(Path::new("dir/wf.yaml")));
        let debug = format!("{context:?}");
        assert!(!debug.contains("not-printed"), "{debug}");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let connection = rt.block_on(context.connect());
        assert_eq!(connection.region, "eu-west-3");
        assert_eq!(connection.endpoint.as_deref(), Some("http://127.0.0.1:9"));
    }

    /// The local and file sinks take the workflow file from the context: neither opens
    /// it as its output, in the build step or the health check.
    #[test]
    fn sinks_refuse_the_contexts_workflow_file_as_their_output() {
        let dir = tempfile::tempdir().unwrap();
        let wf_path = dir.path().join("wf.yaml");
        std::fs::write(&wf_path, "source: {}\n").unwrap();
        let wf = workflow();
        let mut context = SinkContext::of(&wf, Command::Profile);
        context.workflow_file = Some(&wf_path);
        let path = wf_path.to_str().unwrap();
        let configs: Vec<Box<dyn SinkConfig>> = vec![
            Box::new(local::LocalSinkConfig::parse(serde_json::json!({"path": path})).unwrap()),
            Box::new(file::FileSinkConfig::parse(serde_json::json!({"filename": path})).unwrap()),
        ];
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for config in &configs {
            let opening = Opening::Existing {
                service_name: "svc",
                command: Command::Profile,
            };
            let built = rt.block_on(config.build(context, opening));
            let err = built
                .err()
                .expect("the workflow file is refused")
                .to_string();
            assert!(
                err.contains("the workflow file"),
                "{}: {err}",
                config.kind()
            );
            let steps = rt.block_on(config.health_check(context));
            assert!(
                steps[0]
                    .problem
                    .as_deref()
                    .is_some_and(|p| p.contains("the workflow file")),
                "{}: {steps:?}",
                config.kind()
            );
        }
        assert_eq!(std::fs::read_to_string(&wf_path).unwrap(), "source: {}\n");
    }
}
