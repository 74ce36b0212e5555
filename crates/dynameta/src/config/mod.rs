//! Loading and checking the workflow YAML.
//!
//! The file is OpenMetadata's own workflow format (see `workflow.rs`). Loading goes:
//! YAML → `${ENV}` substitution → typed decode with exact key paths → semantic checks
//! (connection type, pipeline type, sink, regexes) → a resolved [`Workflow`].

mod env;
mod error;
pub mod estate;
mod filter;
mod lineage_usage;
mod options;
mod settings;
mod tagging;
mod test_suite;
mod workflow;
mod yaml;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use env::{substitute, substitute_with};
pub use error::{is_secret_key, is_secret_path, ConfigError};
pub use filter::{Filter, FilterPattern};
pub use lineage_usage::{
    LineagePipeline, LineageUsageSettings, UsagePipeline, DEFAULT_QUERY_LOG_DAYS,
    MAX_QUERY_LOG_DAYS,
};
pub use options::{
    ConnectionArguments, Export, ExportRef, DEFAULT_KINESIS_SERVICE, DEFAULT_PIPELINE_SERVICE,
    DEFAULT_THROTTLE_RETRY_SECONDS,
};
pub use settings::{
    ClassifySettings, FailurePolicy, IngestSettings, ProfileSettings, DEFAULT_CONFIDENCE,
    DEFAULT_PROFILE_THREADS, DEFAULT_PROFILE_TIMEOUT_SECONDS, DEFAULT_SAMPLE_ROWS, DEFAULT_THREADS,
};
pub use tagging::{OwnerConfig, OwnerLevel, OwnerValue, Tagging, DEFAULT_TAG_KEY_EXCLUDE};
pub use test_suite::{ParameterValue, TestSuite, YamlTestCase};
pub use workflow::{
    AutoClassificationPipeline, AwsConfig, DynamoDbConnection, JwtConfig, LogLevel,
    MetadataPipeline, OpenMetadataServerConfig, ProfileSampleConfig, ProfilerPipeline, RawSource,
    RawWorkflow, RawWorkflowConfig, SampleSettings, SampleThreshold,
};

/// Default `assumeRoleSessionName`, as in OpenMetadata.
pub const DEFAULT_SESSION_NAME: &str = "OpenMetadataSession";
/// Default database and schema name, as in OpenMetadata's DynamoDB connector.
pub const DEFAULT_NAME: &str = "default";

/// Which command reads the file; decides which `sourceConfig.config.type` is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `dynameta ingest`: `DatabaseMetadata`.
    Ingest,
    /// `dynameta profile`: `Profiler`.
    Profile,
    /// `dynameta classify`: `AutoClassification`.
    Classify,
    /// `dynameta test-connection`: any pipeline; no sink needed.
    TestConnection,
    /// `dynameta publish`: any pipeline (a `DatabaseMetadata` one's filters decide
    /// stale tables).
    Publish,
    /// `dynameta test`: OpenMetadata's `TestSuite` workflow (read by
    /// `test_suite.rs` and turned into the DynamoDB form).
    Test,
    /// `dynameta lineage`: `DatabaseLineage`.
    Lineage,
    /// `dynameta usage`: `DatabaseUsage`.
    Usage,
}

impl Command {
    fn pipeline_type(self) -> Option<&'static str> {
        match self {
            Command::Ingest => Some("DatabaseMetadata"),
            Command::Profile => Some("Profiler"),
            Command::Classify => Some("AutoClassification"),
            Command::Lineage => Some("DatabaseLineage"),
            Command::Usage => Some("DatabaseUsage"),
            // Any pipeline: the file may come from ingest, profile or classify.
            Command::TestConnection | Command::Publish => None,
            // `source.type: TestSuite`, rewritten before this check.
            Command::Test => Some("DatabaseMetadata"),
        }
    }

    /// The command as typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Command::Ingest => "ingest",
            Command::Profile => "profile",
            Command::Classify => "classify",
            Command::TestConnection => "test-connection",
            Command::Publish => "publish",
            Command::Test => "test",
            Command::Lineage => "lineage",
            Command::Usage => "usage",
        }
    }
}

/// The workflow's `sink:` section as written: its `config` is parsed by the sink its
/// `type` names (each sink owns its configuration: `crate::sinks::parse`).
#[derive(Debug, Clone)]
pub struct SinkSection {
    /// `sink.type`.
    pub kind: String,
    /// `sink.config` (an empty mapping when absent).
    pub config: Value,
    /// The workflow file the section was read from: an input of the run, which no
    /// sink may write over.
    pub workflow_file: PathBuf,
}

/// Table, schema and database filters with OpenMetadata semantics.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// `databaseFilterPattern`.
    pub database: Filter,
    /// `schemaFilterPattern`.
    pub schema: Filter,
    /// `tableFilterPattern`.
    pub table: Filter,
    /// `useFqnForFiltering`: match against `service.database.schema.table`.
    pub use_fqn: bool,
}

/// A checked workflow, ready to run.
#[derive(Debug, Clone)]
pub struct Workflow {
    /// OpenMetadata service name (`source.serviceName`).
    pub service_name: String,
    /// The DynamoDB connection as written (secrets masked in Debug).
    pub connection: DynamoDbConnection,
    /// dynameta's options with defaults applied.
    pub options: ConnectionArguments,
    /// Metadata pipeline settings (defaults when the file holds another pipeline).
    pub metadata: MetadataPipeline,
    /// What `ingest` does, defaults applied.
    pub ingest: IngestSettings,
    /// What `profile` does, defaults applied.
    pub profile: ProfileSettings,
    /// What `classify` does, defaults applied.
    pub classify: ClassifySettings,
    /// How failed tables decide the exit code (`raiseOnError`, `successThreshold`).
    pub failure_policy: FailurePolicy,
    /// Profiler pipeline settings (defaults when the file holds another pipeline).
    pub profiler: ProfilerPipeline,
    /// Auto-classification settings (defaults when the file holds another pipeline).
    pub classification: AutoClassificationPipeline,
    /// `classificationFilterPattern`, compiled (matched against table tag FQNs).
    pub classification_filter: Filter,
    /// Compiled filters.
    pub filters: Filters,
    /// Database name in OpenMetadata.
    pub database_name: String,
    /// Where results go (None for test-connection without a sink).
    pub sink: Option<SinkSection>,
    /// OpenMetadata server, when configured.
    pub server: Option<OpenMetadataServerConfig>,
    /// `workflowConfig.loggerLevel`.
    pub log_level: LogLevel,
    /// The TestSuite part of a `dynameta test` file (`None` for the other commands).
    pub test_suite: Option<TestSuite>,
    /// AWS tags and owners (`includeTags`, `tagKeyFilterPattern`, `ownerTagKey`,
    /// `includeOwners`, `ownerConfig`), defaults applied.
    pub tagging: Tagging,
    /// What `lineage` and `usage` read of their pipeline (defaults for other pipelines).
    pub lineage_usage: LineageUsageSettings,
}

impl Workflow {
    /// The AWS part of the connection.
    pub fn aws(&self) -> &AwsConfig {
        &self.connection.aws_config
    }
}

/// Reads and checks the workflow file at `path` for `command`.
pub fn load(path: &Path, command: Command) -> Result<Workflow, ConfigError> {
    let text = read_file(path)?;
    parse(&text, path, command, &|name| std::env::var(name).ok())
}

/// [`load`] of a TestSuite file without `serviceConnection`, with `connection` (the
/// DynamoDB connection read from the OpenMetadata service) in its place. Errors in it
/// name `source.serviceConnection.config...`.
pub fn load_with_connection(path: &Path, connection: &Value) -> Result<Workflow, ConfigError> {
    let text = read_file(path)?;
    let lookup = |name: &str| std::env::var(name).ok();
    let mut secrets = Vec::new();
    let mut workflow = parse_inner(
        &text,
        Command::Test,
        &lookup,
        &mut secrets,
        Some(connection),
    )
    .map_err(|e| e.redact(&secrets))?;
    if let Some(sink) = &mut workflow.sink {
        sink.workflow_file = path.to_path_buf();
    }
    Ok(workflow)
}

/// Reads the workflow file: a regular file (or a symlink to one) of at most
/// [`yaml::MAX_BYTES`], opened without blocking (`dynameta_fs::input`: a FIFO or a
/// device would block or never end).
fn read_file(path: &Path) -> Result<String, ConfigError> {
    use dynameta_fs::input::{read_text_capped, InputError};
    read_text_capped(path, "workflow", yaml::MAX_BYTES as u64).map_err(|e| match e {
        InputError::Io { path, source, .. } => ConfigError::Read { path, source },
        InputError::NotRegular { path, kind, .. } => ConfigError::File {
            path,
            problem: format!("is {kind}, not a regular file."),
            hint: "Point -c/--config at a workflow YAML file; FIFOs, devices and directories are refused (reading them can block forever).".into(),
        },
        InputError::TooLarge { path, len, cap, .. } => ConfigError::File {
            path,
            problem: format!("is {len} bytes; a workflow file may have at most {cap} bytes."),
            hint: "Check that -c/--config names the workflow YAML and not a data file.".into(),
        },
    })
}

/// Checks workflow `text` for `command`, reading environment variables through `lookup`.
/// `origin` names the text's source (the caller prints it in front of the error).
pub fn parse(
    text: &str,
    origin: &Path,
    command: Command,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Workflow, ConfigError> {
    let mut secrets = Vec::new();
    let mut workflow =
        parse_inner(text, command, lookup, &mut secrets, None).map_err(|e| e.redact(&secrets))?;
    if let Some(sink) = &mut workflow.sink {
        sink.workflow_file = origin.to_path_buf();
    }
    Ok(workflow)
}

fn parse_inner(
    text: &str,
    command: Command,
    lookup: &dyn Fn(&str) -> Option<String>,
    secrets: &mut Vec<String>,
    connection: Option<&Value>,
) -> Result<Workflow, ConfigError> {
    let original = yaml_value(text)?;
    if !original.is_object() {
        return Err(ConfigError::invalid(
            "(top level)",
            "the workflow file must be a mapping with `source`, `sink` and `workflowConfig`.",
        ));
    }
    let expanded = env::expand_file(text, original, lookup, &yaml_value)?;
    *secrets = expanded.secrets;
    let mut value = expanded.value;
    let test_suite = match command {
        Command::Test => Some(test_suite::split(&mut value, connection)?),
        _ => None,
    };
    let raw: RawWorkflow = decode(value, "")?;
    let mut workflow = resolve(raw, command)?;
    workflow.test_suite = test_suite;
    Ok(workflow)
}

/// YAML text to a JSON value, bounded in size and depth (see [`yaml`]).
fn yaml_value(text: &str) -> Result<Value, ConfigError> {
    yaml::to_json(text).map_err(|p| match p {
        yaml::YamlProblem::TooLarge(n) => ConfigError::Yaml {
            message: format!("the document is {n} bytes, more than the {} allowed", yaml::MAX_BYTES),
            hint: "A workflow file is a few KiB; check that -c/--config names the right file.".into(),
        },
        yaml::YamlProblem::TooDeep { line } => ConfigError::Yaml {
            message: format!(
                "mappings and lists are nested more than {} levels deep at line {line}",
                yaml::MAX_DEPTH
            ),
            hint: "A workflow file nests fewer than 10 levels; look for unclosed `[` or `{` or a runaway `- - -`.".into(),
        },
        yaml::YamlProblem::Syntax(message) => ConfigError::yaml(message),
        yaml::YamlProblem::Unsupported { key, message } => ConfigError::invalid(key, message),
    })
}

/// Deserializes `value` into `T`, reporting errors at `prefix` + the path inside `value`.
/// Decodes `value`, a section of the workflow at key path `prefix`, into `T`: errors
/// name the exact key (and suggest one for a misspelt key).
pub fn decode<T: DeserializeOwned>(value: Value, prefix: &str) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (prefix.is_empty(), inner.as_str()) {
            (true, _) => inner.clone(),
            (false, ".") => prefix.to_string(),
            (false, _) => format!("{prefix}.{inner}"),
        };
        error::from_serde(path, e.into_inner().to_string())
    })
}

/// The checked workflow from its decoded sections: one resolver per section, each
/// deciding its defaults and checks in one place.
fn resolve(raw: RawWorkflow, command: Command) -> Result<Workflow, ConfigError> {
    let source = raw.source;
    if source.kind.eq_ignore_ascii_case("TestSuite") {
        return Err(ConfigError::invalid(
            "source.type",
            format!(
                "`TestSuite` is OpenMetadata's data-quality workflow: run it with `dynameta test`, not `dynameta {}`.",
                command.name()
            ),
        ));
    }
    let connection = resolve_connection(&source.kind, source.service_connection)?;
    let pipelines = resolve_pipelines(source.source_config.config, command)?;
    let options = connection.connection_arguments.clone().unwrap_or_default();
    check_options(&options)?;
    if estate::is_estate(&options)
        && !matches!(
            command,
            Command::Ingest
                | Command::TestConnection
                | Command::Publish
                | Command::Profile
                | Command::Classify
                | Command::Lineage
                | Command::Usage
                | Command::Test
        )
    {
        return Err(ConfigError::invalid_hint(
            "source.serviceConnection.config.connectionArguments",
            format!(
                "`{}` does not walk several accounts/regions yet (`regions`, `accounts`, `organization` or `includeBaseAccount` is set); it never reads only the first pair",
                command.name()
            ),
            format!(
                "Run `dynameta {}` once per pair, with a copy of this workflow that sets awsConfig.awsRegion (and awsConfig.assumeRoleArn for another account) and drops those keys; `ingest`, `test-connection`, `profile`, `classify`, `test`, `lineage` and `usage` walk every pair.",
                command.name()
            ),
        ));
    }
    let filters = resolve_filters(&pipelines, &connection)?;
    let classification_filter = Filter::compile(
        pipelines
            .classification
            .classification_filter_pattern
            .as_ref(),
        "source.sourceConfig.config.classificationFilterPattern",
    )?;
    let mut lineage_usage = resolve_lineage_usage(
        pipelines.usage.as_ref(),
        [
            ("processor", raw.processor.is_some()),
            ("stage", raw.stage.is_some()),
            ("bulkSink", raw.bulk_sink.is_some()),
        ],
    )?;
    lineage_usage.pipeline = match pipelines.kind.as_str() {
        "DatabaseLineage" => Some(Command::Lineage),
        "DatabaseUsage" => Some(Command::Usage),
        _ => None,
    };
    let run = resolve_workflow_config(raw.workflow_config)?;
    let sink = resolve_sink(raw.sink, command)?;
    let (service_name, database_name) = resolve_names(source.service_name, &connection)?;
    let ingest = ingest_settings(&pipelines.metadata);
    let tagging = Tagging::resolve(
        ingest.include_tags,
        options.tag_key_filter_pattern.as_ref(),
        options.owner_tag_key.as_deref(),
        pipelines.metadata.include_owners,
        pipelines.metadata.owner_config.clone(),
    )?;

    Ok(Workflow {
        service_name,
        ingest,
        profile: profile_settings(&pipelines.profiler),
        classify: classify_settings(&pipelines.classification, &options),
        connection,
        options,
        metadata: pipelines.metadata,
        failure_policy: run.failure_policy,
        profiler: pipelines.profiler,
        classification: pipelines.classification,
        classification_filter,
        filters,
        database_name,
        sink,
        server: run.server,
        log_level: run.log_level,
        test_suite: None,
        tagging,
        lineage_usage,
    })
}

/// `source.type` and `source.serviceConnection`: a DynamoDB connection whose AWS part
/// is usable.
fn resolve_connection(
    kind: &str,
    service_connection: Option<workflow::RawServiceConnection>,
) -> Result<DynamoDbConnection, ConfigError> {
    if !kind.eq_ignore_ascii_case("dynamodb") {
        return Err(ConfigError::invalid(
            "source.type",
            format!(
                "`{kind}` is not supported; dynameta reads DynamoDB only, set `type: dynamodb`."
            ),
        ));
    }
    let Some(connection) = service_connection.map(|c| c.config) else {
        return Err(ConfigError::invalid(
            "source.serviceConnection",
            format!(
                "required key is missing. {}",
                error::hint("serviceConnection")
            ),
        ));
    };
    if let Some(kind) = &connection.kind {
        if kind != "DynamoDB" {
            return Err(ConfigError::invalid(
                "source.serviceConnection.config.type",
                format!("`{kind}` is not supported; expected `DynamoDB`."),
            ));
        }
    }
    check_aws(
        &connection.aws_config,
        "source.serviceConnection.config.awsConfig",
    )?;
    Ok(connection)
}

/// The three pipelines `source.sourceConfig.config` may hold: the one written,
/// decoded and checked, and the others at their defaults.
struct Pipelines {
    /// `type` as written (`DatabaseMetadata` when absent).
    kind: String,
    metadata: MetadataPipeline,
    profiler: ProfilerPipeline,
    classification: AutoClassificationPipeline,
    lineage: LineagePipeline,
    /// The `DatabaseUsage` pipeline, when that is the file's.
    usage: Option<UsagePipeline>,
}

/// `source.sourceConfig.config`: the pipeline `command` runs.
fn resolve_pipelines(value: Option<Value>, command: Command) -> Result<Pipelines, ConfigError> {
    const KEY: &str = "source.sourceConfig.config";
    let value = value.unwrap_or(Value::Null);
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("DatabaseMetadata")
        .to_string();
    if let Some(expected) = command.pipeline_type() {
        if kind != expected {
            let right = match kind.as_str() {
                "DatabaseMetadata" => "`dynameta ingest`",
                "Profiler" => "`dynameta profile`",
                "AutoClassification" => "`dynameta classify`",
                "DatabaseLineage" => "`dynameta lineage`",
                "DatabaseUsage" => "`dynameta usage`",
                _ => "a pipeline dynameta does not support",
            };
            return Err(ConfigError::invalid(
                "source.sourceConfig.config.type",
                format!(
                    "`dynameta {}` needs `type: {expected}`, but this file holds a `{kind}` pipeline (run it with {right}).",
                    command.name()
                ),
            ));
        }
    }
    let empty = || Value::Object(Default::default());
    let metadata: MetadataPipeline = if kind == "DatabaseMetadata" && !value.is_null() {
        decode(value.clone(), KEY)?
    } else {
        decode(empty(), KEY)?
    };
    let profiler = if kind == "Profiler" {
        let profiler: ProfilerPipeline = decode(value.clone(), KEY)?;
        check_profiler(&profiler)?;
        profiler
    } else {
        ProfilerPipeline::default()
    };
    let lineage: LineagePipeline = if kind == "DatabaseLineage" {
        decode(value.clone(), KEY)?
    } else {
        LineagePipeline::default()
    };
    let usage: Option<UsagePipeline> = if kind == "DatabaseUsage" {
        Some(decode(value.clone(), KEY)?)
    } else {
        None
    };
    let classification = if kind == "AutoClassification" {
        let c: AutoClassificationPipeline = decode(value, KEY)?;
        check_classification(&c)?;
        c
    } else {
        AutoClassificationPipeline::default()
    };
    check_metadata(&metadata)?;
    Ok(Pipelines {
        kind,
        metadata,
        profiler,
        classification,
        lineage,
        usage,
    })
}

fn check_metadata(metadata: &MetadataPipeline) -> Result<(), ConfigError> {
    if let Some(threads) = metadata.threads {
        in_range(
            "source.sourceConfig.config.threads",
            threads,
            1,
            256,
            "tables at once",
        )?;
    }
    if metadata.include_tables == Some(false) {
        return Err(ConfigError::invalid_hint(
            "source.sourceConfig.config.includeTables",
            "is false, but tables are all dynameta ingests from DynamoDB (no views, stored procedures or other entities): the run would write nothing.",
            "Remove the key (or set it to true); to skip some tables use tableFilterPattern.",
        ));
    }
    Ok(())
}

/// What `ingest` does: the metadata pipeline with its defaults.
fn ingest_settings(metadata: &MetadataPipeline) -> IngestSettings {
    IngestSettings {
        threads: metadata.threads.map_or(DEFAULT_THREADS, |t| t as usize),
        include_tags: metadata.include_tags.unwrap_or(true),
        mark_deleted_tables: metadata.mark_deleted_tables.unwrap_or(true),
        override_metadata: metadata.override_metadata.unwrap_or(false),
        extract_json_schema: metadata.extract_json_schema.unwrap_or(false),
    }
}

/// What `profile` does: the profiler pipeline with its defaults.
fn profile_settings(profiler: &ProfilerPipeline) -> ProfileSettings {
    ProfileSettings {
        threads: profiler
            .thread_count
            .map_or(DEFAULT_PROFILE_THREADS, |t| t as usize),
        timeout: std::time::Duration::from_secs(
            profiler
                .timeout_seconds
                .unwrap_or(DEFAULT_PROFILE_TIMEOUT_SECONDS),
        ),
    }
}

/// What `classify` does: the auto-classification pipeline and the connection's
/// classification options with their defaults (OpenMetadata's where it has one).
pub(crate) fn classify_settings(
    pipeline: &AutoClassificationPipeline,
    options: &ConnectionArguments,
) -> ClassifySettings {
    ClassifySettings {
        threads: DEFAULT_THREADS,
        confidence: pipeline.confidence.unwrap_or(DEFAULT_CONFIDENCE),
        tag_columns: pipeline.enable_auto_classification != Some(false),
        sample_rows: (pipeline.store_sample_data == Some(true))
            .then(|| pipeline.sample_data_count.unwrap_or(DEFAULT_SAMPLE_ROWS) as usize),
        values_per_column: options.classification_values_per_column as usize,
        mask_sensitive_sample_data: options.mask_sensitive_sample_data,
    }
}

/// What `lineage` and `usage` read of their pipeline: `queryLogDuration` (days of usage)
/// and a note naming OpenMetadata's query-log steps the file holds, which dynameta
/// accepts and does not run.
fn resolve_lineage_usage(
    usage: Option<&UsagePipeline>,
    upstream_steps: [(&str, bool); 3],
) -> Result<LineageUsageSettings, ConfigError> {
    let mut settings = LineageUsageSettings {
        usage_days: DEFAULT_QUERY_LOG_DAYS,
        notes: Vec::new(),
        pipeline: None,
    };
    let Some(usage) = usage else {
        return Ok(settings);
    };
    if let Some(days) = usage.query_log_duration {
        in_range(
            "source.sourceConfig.config.queryLogDuration",
            days,
            1,
            MAX_QUERY_LOG_DAYS,
            "days of usage (CloudWatch keeps daily data 455 days)",
        )?;
        settings.usage_days = days;
    }
    let ignored: Vec<&str> = upstream_steps
        .into_iter()
        .filter(|(_, present)| *present)
        .map(|(name, _)| name)
        .collect();
    if !ignored.is_empty() {
        settings.notes.push(format!(
            "{} of the workflow ignored: OpenMetadata's query-log usage steps; dynameta sends CloudWatch's daily request counts straight to the sink",
            ignored.join(", ")
        ));
    }
    Ok(settings)
}

/// Database, schema and table filters: the pipeline's, else the connection's.
fn resolve_filters(
    pipelines: &Pipelines,
    connection: &DynamoDbConnection,
) -> Result<Filters, ConfigError> {
    let conn_key = "source.serviceConnection.config";
    let pipe_key = "source.sourceConfig.config";
    let pick =
        |pipe: &Option<FilterPattern>, conn: &Option<FilterPattern>, name: &str| match (pipe, conn)
        {
            (Some(p), _) => Filter::compile(Some(p), &format!("{pipe_key}.{name}")),
            (None, Some(c)) => Filter::compile(Some(c), &format!("{conn_key}.{name}")),
            (None, None) => Ok(Filter::default()),
        };
    let (db_pattern, schema_pattern, table_pattern, use_fqn) = match pipelines.kind.as_str() {
        "Profiler" => {
            let p = &pipelines.profiler;
            (
                &p.database_filter_pattern,
                &p.schema_filter_pattern,
                &p.table_filter_pattern,
                p.use_fqn_for_filtering,
            )
        }
        "DatabaseLineage" => {
            let l = &pipelines.lineage;
            (
                &l.database_filter_pattern,
                &l.schema_filter_pattern,
                &l.table_filter_pattern,
                l.use_fqn_for_filtering,
            )
        }
        "AutoClassification" => {
            let c = &pipelines.classification;
            (
                &c.database_filter_pattern,
                &c.schema_filter_pattern,
                &c.table_filter_pattern,
                c.use_fqn_for_filtering,
            )
        }
        _ => {
            let m = &pipelines.metadata;
            (
                &m.database_filter_pattern,
                &m.schema_filter_pattern,
                &m.table_filter_pattern,
                m.use_fqn_for_filtering,
            )
        }
    };
    Ok(Filters {
        database: pick(
            db_pattern,
            &connection.database_filter_pattern,
            "databaseFilterPattern",
        )?,
        schema: pick(
            schema_pattern,
            &connection.schema_filter_pattern,
            "schemaFilterPattern",
        )?,
        table: pick(
            table_pattern,
            &connection.table_filter_pattern,
            "tableFilterPattern",
        )?,
        use_fqn: use_fqn.unwrap_or(false),
    })
}

/// `workflowConfig`, defaults applied.
struct RunConfig {
    log_level: LogLevel,
    failure_policy: FailurePolicy,
    server: Option<OpenMetadataServerConfig>,
}

/// `workflowConfig`: logging, how failures end the run, the OpenMetadata server.
fn resolve_workflow_config(
    workflow_config: Option<RawWorkflowConfig>,
) -> Result<RunConfig, ConfigError> {
    let Some(w) = workflow_config else {
        return Ok(RunConfig {
            log_level: LogLevel::Info,
            failure_policy: FailurePolicy::default(),
            server: None,
        });
    };
    if let Some(t) = w.success_threshold {
        in_range("workflowConfig.successThreshold", t, 0, 100, "percent")?;
    }
    if let Some(server) = &w.open_metadata_server_config {
        check_server(server)?;
    }
    Ok(RunConfig {
        log_level: w.logger_level.unwrap_or(LogLevel::Info),
        failure_policy: FailurePolicy {
            raise_on_error: w.raise_on_error.unwrap_or(true),
            success_threshold: w.success_threshold,
        },
        server: w.open_metadata_server_config,
    })
}

/// `sink:`: the section as written, the local catalog when absent (so a first run
/// needs no server and no sink section), none for `test-connection`.
fn resolve_sink(
    sink: Option<workflow::RawSink>,
    command: Command,
) -> Result<Option<SinkSection>, ConfigError> {
    Ok(match (sink, command) {
        (None, Command::TestConnection) => None,
        (None, Command::Publish) => {
            return Err(ConfigError::invalid(
                "sink",
                "required key is missing. `dynameta publish` sends to OpenMetadata: add `sink: {type: metadata-rest, config: {}}`.",
            ))
        }
        // No sink named: the local catalog (`dynameta.db` in the working directory).
        (None, _) => Some(SinkSection {
            kind: "local".to_string(),
            config: Value::Object(Default::default()),
            workflow_file: PathBuf::new(),
        }),
        (Some(sink), _) => Some(SinkSection {
            kind: sink.kind,
            config: sink
                .config
                .filter(|v| !v.is_null())
                .unwrap_or_else(|| Value::Object(Default::default())),
            workflow_file: PathBuf::new(),
        }),
    })
}

/// `source.serviceName` (required) and `databaseName` (default `default`), both
/// usable as OpenMetadata entity names.
fn resolve_names(
    service_name: Option<String>,
    connection: &DynamoDbConnection,
) -> Result<(String, String), ConfigError> {
    let database_name = connection
        .database_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_NAME.to_string());
    let service_name = match service_name {
        Some(name) if !name.trim().is_empty() => name,
        _ => {
            return Err(ConfigError::invalid(
                "source.serviceName",
                "required key is missing. Name the OpenMetadata service, e.g. `serviceName: aws_dynamodb`.",
            ))
        }
    };
    check_entity_name("source.serviceName", &service_name)?;
    check_entity_name(
        "source.serviceConnection.config.databaseName",
        &database_name,
    )?;
    Ok((service_name, database_name))
}

fn check_aws(aws: &AwsConfig, key: &str) -> Result<(), ConfigError> {
    let region = aws.aws_region.trim();
    if region.is_empty() {
        return Err(ConfigError::invalid(
            format!("{key}.awsRegion"),
            format!("must not be empty. {}", error::hint("awsRegion")),
        ));
    }
    if !region
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(ConfigError::invalid(
            format!("{key}.awsRegion"),
            format!("`{region}` is not an AWS region name (lowercase letters, digits and `-`, e.g. us-east-1)."),
        ));
    }
    match (&aws.aws_access_key_id, &aws.aws_secret_access_key) {
        (Some(_), None) => {
            return Err(ConfigError::invalid(
                format!("{key}.awsSecretAccessKey"),
                "is required when awsAccessKeyId is set. Set both, or neither to use the default credential chain.",
            ))
        }
        (None, Some(_)) => {
            return Err(ConfigError::invalid(
                format!("{key}.awsAccessKeyId"),
                "is required when awsSecretAccessKey is set. Set both, or neither to use the default credential chain.",
            ))
        }
        _ => {}
    }
    if let Some(url) = &aws.end_point_url {
        check_url(
            &format!("{key}.endPointURL"),
            url,
            "http://localhost:8000` or `https://dynamodb.us-east-1.amazonaws.com",
        )?;
    }
    if let Some(arn) = &aws.assume_role_arn {
        if !arn.starts_with("arn:") {
            return Err(ConfigError::invalid(
                format!("{key}.assumeRoleArn"),
                format!(
                    "`{arn}` is not a role ARN; expected `arn:aws:iam::123456789012:role/NAME`."
                ),
            ));
        }
    }
    Ok(())
}

/// Checks `value` at `key` is within `lo..=hi`; the error names the key and the range.
pub fn in_range<T: PartialOrd + std::fmt::Display + Copy>(
    key: &str,
    value: T,
    lo: T,
    hi: T,
    what: &str,
) -> Result<(), ConfigError> {
    // Written so that NaN is out of range.
    if lo <= value && value <= hi {
        return Ok(());
    }
    Err(ConfigError::invalid_hint(
        key,
        format!("`{value}` is out of range; allowed: {lo} to {hi} ({what})."),
        format!("Set a value between {lo} and {hi}, or remove the key to use the default."),
    ))
}

/// Checks `url` at `key` is an absolute http(s) URL with a host. Credentials in the
/// URL are masked in the message.
fn check_url(key: &str, url: &str, example: &str) -> Result<(), ConfigError> {
    let shown = match url
        .split_once("://")
        .map(|(scheme, rest)| (scheme, rest.rsplit_once('@')))
    {
        Some((scheme, Some((_, host)))) => format!("{scheme}://{}@{host}", crate::secret::MASK),
        _ => url.to_string(),
    };
    let problem = match url::Url::parse(url.trim()) {
        Ok(u) if !matches!(u.scheme(), "http" | "https") => {
            format!("`{shown}` is not an http:// or https:// URL.")
        }
        Ok(u) if u.host_str().is_none_or(str::is_empty) => format!("`{shown}` has no host."),
        Ok(_) => return Ok(()),
        Err(e) => format!("`{shown}` is not a URL ({e})."),
    };
    Err(ConfigError::invalid_hint(
        key,
        problem,
        format!("Expected e.g. `{example}`."),
    ))
}

fn check_options(options: &ConnectionArguments) -> Result<(), ConfigError> {
    let key = |name: &str| format!("source.serviceConnection.config.connectionArguments.{name}");
    let o = options;
    in_range(
        &key("sampleSize"),
        o.sample_size,
        1,
        1_000_000,
        "items sampled per table",
    )?;
    in_range(
        &key("sampleSegments"),
        o.sample_segments,
        1,
        1_000_000,
        "DynamoDB's TotalSegments limit",
    )?;
    in_range(
        &key("connectTimeoutSeconds"),
        o.connect_timeout_seconds,
        0.01,
        3600.0,
        "seconds",
    )?;
    in_range(
        &key("requestTimeoutSeconds"),
        o.request_timeout_seconds,
        0.01,
        3600.0,
        "seconds",
    )?;
    in_range(
        &key("maxAttempts"),
        o.max_attempts,
        1,
        100,
        "attempts per AWS call",
    )?;
    in_range(
        &key("throttleRetrySeconds"),
        o.throttle_retry_seconds,
        0.0,
        3600.0,
        "seconds a throttled call is retried beyond maxAttempts",
    )?;
    if let Some(url) = &o.sts_endpoint_url {
        check_url(
            &key("stsEndpointUrl"),
            url,
            "https://sts.us-east-1.amazonaws.com",
        )?;
    }
    if let Some(url) = &o.s3_endpoint_url {
        check_url(
            &key("s3EndpointURL"),
            url,
            "https://s3.us-east-1.amazonaws.com",
        )?;
    }
    in_range(
        &key("exportWorkers"),
        o.export_workers,
        1,
        1024,
        "export data files read at once per table",
    )?;
    if let Some(t) = o.test_timeout_seconds {
        in_range(
            &key("testTimeoutSeconds"),
            t,
            1,
            604_800,
            "seconds per table for `dynameta test`, at most 7 days",
        )?;
    }
    for (table, entry) in &o.exports {
        if let Err(problem) = entry.reference() {
            let export = entry.text();
            return Err(ConfigError::invalid(
                format!("{}.{table}", key("exports")),
                format!(
                    "`{export}` is not a DynamoDB export ({problem}): give its ARN (arn:aws:dynamodb:<region>:<account>:table/{table}/export/<exportId>) or its folder s3://<bucket>/<prefix>/AWSDynamoDB/<exportId>/"
                ),
            ));
        }
    }
    in_range(
        &key("scanSegments"),
        o.scan_segments,
        1,
        1_000_000,
        "DynamoDB's TotalSegments limit",
    )?;
    in_range(
        &key("scanWorkers"),
        o.scan_workers,
        1,
        1024,
        "Scan requests in flight per table",
    )?;
    if let Some(p) = o.max_read_capacity_percent {
        in_range(
            &key("maxReadCapacityPercent"),
            p,
            0.01,
            100.0,
            "percent of the table's read capacity",
        )?;
    }
    if let Some(u) = o.max_read_units_per_second {
        in_range(
            &key("maxReadUnitsPerSecond"),
            u,
            1.0,
            10_000_000.0,
            "read units per second; one Scan page can use 128",
        )?;
    }
    in_range(
        &key("classificationValuesPerColumn"),
        o.classification_values_per_column,
        1,
        100_000,
        "values per column",
    )?;
    if let Some(url) = &o.aws_services_endpoint_url {
        check_url(&key("awsServicesEndpointURL"), url, "http://localhost:5000")?;
    }
    check_entity_name(&key("pipelineServiceName"), &o.pipeline_service_name)?;
    check_entity_name(&key("kinesisServiceName"), &o.kinesis_service_name)?;
    estate::check(
        o.regions.as_ref(),
        &o.accounts,
        o.organization.as_ref(),
        o.include_base_account,
        &key,
    )?;
    Ok(())
}

/// Metric names `metrics:` may list: the column metrics dynameta computes (see
/// the `dynameta-profiler` crate's `profile.rs`) and the table metrics it always reports.
pub const PROFILER_METRICS: &[&str] = &[
    "valuesCount",
    "nullCount",
    "nullProportion",
    "missingCount",
    "missingPercentage",
    "distinctCount",
    "distinctProportion",
    "uniqueCount",
    "uniqueProportion",
    "duplicateCount",
    "minLength",
    "maxLength",
    "min",
    "max",
    "sum",
    "mean",
    "variance",
    "stddev",
    "firstQuartile",
    "median",
    "thirdQuartile",
    "interQuartileRange",
    "nonParametricSkew",
    "histogram",
    "cardinalityDistribution",
    "rowCount",
    "columnCount",
];

fn check_metrics(metrics: &[String], key: &str) -> Result<(), ConfigError> {
    for (i, m) in metrics.iter().enumerate() {
        if PROFILER_METRICS.iter().any(|k| k.eq_ignore_ascii_case(m)) {
            continue;
        }
        let known: Vec<String> = PROFILER_METRICS.iter().map(|s| s.to_string()).collect();
        let mut problem = format!("`{m}` is not a metric dynameta computes.");
        if let Some(best) = error::closest(m, &known) {
            problem.push_str(&format!(" Did you mean `{best}`?"));
        }
        return Err(ConfigError::invalid_hint(
            format!("{key}.metrics[{i}]"),
            problem,
            format!("Valid metrics: {}.", PROFILER_METRICS.join(", ")),
        ));
    }
    Ok(())
}

fn check_sample(value: Option<f64>, kind: Option<&str>, key: &str) -> Result<(), ConfigError> {
    let kind = kind.unwrap_or("PERCENTAGE");
    if kind != "PERCENTAGE" && kind != "ROWS" {
        return Err(ConfigError::invalid(
            format!("{key}.profileSampleType"),
            format!("`{kind}` is not `PERCENTAGE` or `ROWS`."),
        ));
    }
    if let Some(v) = value {
        let ok = match kind {
            "ROWS" => (1.0..=1e12).contains(&v) && v.fract() == 0.0,
            _ => v > 0.0 && v <= 100.0,
        };
        if !ok {
            return Err(ConfigError::invalid(
                format!("{key}.profileSample"),
                format!("`{v}` is not a valid {kind} sample: a percentage in (0, 100], or a whole number of rows from 1 to 10^12."),
            ));
        }
    }
    Ok(())
}

fn check_classification(c: &AutoClassificationPipeline) -> Result<(), ConfigError> {
    let key = "source.sourceConfig.config";
    if let Some(v) = c.confidence {
        if !(0.0..=100.0).contains(&v) {
            return Err(ConfigError::invalid(
                format!("{key}.confidence"),
                format!("`{v}` is outside 0-100. Use e.g. 80 (the default): higher gives fewer false positives, lower fewer misses."),
            ));
        }
    }
    if let Some(n) = c.sample_data_count {
        in_range(
            &format!("{key}.sampleDataCount"),
            n,
            1,
            1000,
            "rows; OpenMetadata's limit",
        )?;
    }
    Ok(())
}

fn check_profiler(p: &ProfilerPipeline) -> Result<(), ConfigError> {
    let key = "source.sourceConfig.config";
    check_sample(p.profile_sample, p.profile_sample_type.as_deref(), key)?;
    if let Some(cfg) = &p.profile_sample_config {
        let key = format!("{key}.profileSampleConfig");
        if let Some(t) = &cfg.sample_config_type {
            if t != "STATIC" && t != "DYNAMIC" {
                return Err(ConfigError::invalid(
                    format!("{key}.sampleConfigType"),
                    format!("`{t}` is not `STATIC` or `DYNAMIC`."),
                ));
            }
        }
        if let Some(settings) = &cfg.config {
            let key = format!("{key}.config");
            check_sample(
                settings.profile_sample,
                settings.profile_sample_type.as_deref(),
                &key,
            )?;
            for (i, t) in settings.thresholds.iter().flatten().enumerate() {
                check_sample(
                    Some(t.profile_sample),
                    t.profile_sample_type.as_deref(),
                    &format!("{key}.thresholds[{i}]"),
                )?;
            }
        }
    }
    if let Some(n) = p.thread_count {
        in_range(&format!("{key}.threadCount"), n, 1, 256, "tables at once")?;
    }
    if let Some(t) = p.timeout_seconds {
        in_range(
            &format!("{key}.timeoutSeconds"),
            t,
            1,
            604_800,
            "seconds per table, at most 7 days",
        )?;
    }
    if let Some(metrics) = &p.metrics {
        check_metrics(metrics, key)?;
    }
    Ok(())
}

/// The longest name OpenMetadata 2.0.7 takes for a service, database, schema or table:
/// `EntityName` has `maxLength: 256` (characters) in its JSON Schemas
/// (openmetadata-spec `createDatabaseService.json`, `createDatabase.json`,
/// `createDatabaseSchema.json`, `$defs.EntityName`).
pub const ENTITY_NAME_MAX: usize = 256;

/// A name that becomes an OpenMetadata entity name (and part of every FQN under it):
/// refused at load if the server would refuse it, or if it would break FQNs (`"` is
/// the FQN quote character).
fn check_entity_name(key: &str, name: &str) -> Result<(), ConfigError> {
    if name.contains('"') {
        return Err(ConfigError::invalid(
            key,
            "must not contain `\"` (OpenMetadata rejects quotes in names).",
        ));
    }
    let length = name.chars().count();
    if length > ENTITY_NAME_MAX {
        return Err(ConfigError::invalid(
            key,
            format!(
                "is {length} characters long; OpenMetadata 2.0.7 takes names of at most {ENTITY_NAME_MAX} characters. Give a shorter name."
            ),
        ));
    }
    Ok(())
}

/// `extraHeaders`: each name must be an HTTP header name and each value a header value,
/// or every request would fail; checked at load, the value never shown (it is often a
/// credential).
fn check_extra_headers(
    key: &str,
    headers: Option<&std::collections::BTreeMap<String, String>>,
) -> Result<(), ConfigError> {
    for (name, value) in headers.into_iter().flatten() {
        let at = format!("{key}.{}", name.escape_debug());
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(ConfigError::invalid(
                at,
                "is not an HTTP header name (letters, digits and `!#$%&'*+-.^_`|~` only; no spaces, colons or control characters). Fix the header's name, e.g. `X-Request-Source`.",
            ));
        }
        if reqwest::header::HeaderValue::from_bytes(value.as_bytes()).is_err() {
            return Err(ConfigError::invalid(
                at,
                "its value is not a valid HTTP header value (it holds a line break or another control character; the value is not shown). Fix the value.",
            ));
        }
    }
    Ok(())
}

fn check_server(server: &OpenMetadataServerConfig) -> Result<(), ConfigError> {
    let key = "workflowConfig.openMetadataServerConfig";
    check_url(
        &format!("{key}.hostPort"),
        &server.host_port,
        "http://localhost:8585/api",
    )?;
    if let Some(provider) = &server.auth_provider {
        if provider != "openmetadata" && provider != "basic" {
            return Err(ConfigError::invalid(
                format!("{key}.authProvider"),
                format!("`{provider}` is not supported by dynameta; use `openmetadata` with `securityConfig: {{jwtToken: ...}}`."),
            ));
        }
        if provider == "openmetadata" && server.security_config.is_none() {
            return Err(ConfigError::invalid(
                format!("{key}.securityConfig.jwtToken"),
                format!(
                    "required with `authProvider: openmetadata`. {}",
                    error::hint("jwtToken")
                ),
            ));
        }
    }
    check_extra_headers(
        &format!("{key}.extraHeaders"),
        server.extra_headers.as_ref(),
    )?;
    if let Some(v) = &server.verify_ssl {
        if !matches!(v.as_str(), "validate" | "ignore" | "no-ssl") {
            return Err(ConfigError::invalid(
                format!("{key}.verifySSL"),
                format!("`{v}` is not one of `validate`, `ignore`, `no-ssl`."),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
