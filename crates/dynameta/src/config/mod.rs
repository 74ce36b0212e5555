//! Loading and checking the workflow YAML.
//!
//! The file is OpenMetadata's own workflow format (see `workflow.rs`). Loading goes:
//! YAML → `${ENV}` substitution → typed decode with exact key paths → semantic checks
//! (connection type, pipeline type, sink, regexes) → a resolved [`Workflow`].

mod env;
mod error;
mod filter;
mod options;
mod workflow;

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use env::{substitute, substitute_with};
pub use error::ConfigError;
pub use filter::{Filter, FilterPattern};
pub use options::{ConnectionArguments, DEFAULT_THROTTLE_RETRY_SECONDS};
pub use workflow::{
    AutoClassificationPipeline, AwsConfig, DynamoDbConnection, FileSinkConfig, JwtConfig, LogLevel,
    MetadataPipeline, OpenMetadataServerConfig, ProfileSampleConfig, ProfilerPipeline, RawWorkflow,
    RestSinkConfig, SampleSettings, SampleThreshold,
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
}

impl Command {
    fn pipeline_type(self) -> Option<&'static str> {
        match self {
            Command::Ingest => Some("DatabaseMetadata"),
            Command::Profile => Some("Profiler"),
            Command::Classify => Some("AutoClassification"),
            // Any pipeline: the file may come from ingest, profile or classify.
            Command::TestConnection | Command::Publish => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Command::Ingest => "ingest",
            Command::Profile => "profile",
            Command::Classify => "classify",
            Command::TestConnection => "test-connection",
            Command::Publish => "publish",
        }
    }
}

/// Where results go.
#[derive(Debug, Clone)]
pub enum SinkConfig {
    /// JSON Lines file.
    File(FileSinkConfig),
    /// OpenMetadata REST API.
    MetadataRest(RestSinkConfig),
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
    pub sink: Option<SinkConfig>,
    /// OpenMetadata server, when configured.
    pub server: Option<OpenMetadataServerConfig>,
    /// `workflowConfig.loggerLevel`.
    pub log_level: LogLevel,
}

impl Workflow {
    /// The AWS part of the connection.
    pub fn aws(&self) -> &AwsConfig {
        &self.connection.aws_config
    }
}

/// Reads and checks the workflow file at `path` for `command`.
pub fn load(path: &Path, command: Command) -> Result<Workflow, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path, command, &|name| std::env::var(name).ok())
}

/// Checks workflow `text` (named `origin` in messages) for `command`, reading
/// environment variables through `lookup`.
pub fn parse(
    text: &str,
    origin: &Path,
    command: Command,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Workflow, ConfigError> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| ConfigError::Yaml {
        path: origin.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut value: Value = serde_json::to_value(yaml).map_err(|e| ConfigError::Yaml {
        path: origin.to_path_buf(),
        message: format!("{e} (keys must be strings)"),
    })?;
    if !value.is_object() {
        return Err(ConfigError::invalid(
            "(top level)",
            "the workflow file must be a mapping with `source`, `sink` and `workflowConfig`.",
        ));
    }
    env::substitute_with(&mut value, "", lookup)?;
    let raw: RawWorkflow = decode(value, "")?;
    resolve(raw, command)
}

/// Deserializes `value` into `T`, reporting errors at `prefix` + the path inside `value`.
fn decode<T: DeserializeOwned>(value: Value, prefix: &str) -> Result<T, ConfigError> {
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

fn resolve(raw: RawWorkflow, command: Command) -> Result<Workflow, ConfigError> {
    let source = raw.source;
    if !source.kind.eq_ignore_ascii_case("dynamodb") {
        return Err(ConfigError::invalid(
            "source.type",
            format!(
                "`{}` is not supported; dynameta reads DynamoDB only, set `type: dynamodb`.",
                source.kind
            ),
        ));
    }
    let Some(connection) = source.service_connection.map(|c| c.config) else {
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
    let aws_key = "source.serviceConnection.config.awsConfig";
    check_aws(&connection.aws_config, aws_key)?;

    let pipeline_value = source.source_config.config.unwrap_or(Value::Null);
    let pipeline_type = pipeline_value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("DatabaseMetadata")
        .to_string();
    if let Some(expected) = command.pipeline_type() {
        if pipeline_type != expected {
            let right = match pipeline_type.as_str() {
                "DatabaseMetadata" => "`dynameta ingest`",
                "Profiler" => "`dynameta profile`",
                "AutoClassification" => "`dynameta classify`",
                _ => "a pipeline dynameta does not support",
            };
            return Err(ConfigError::invalid(
                "source.sourceConfig.config.type",
                format!(
                    "`dynameta {}` needs `type: {expected}`, but this file holds a `{pipeline_type}` pipeline (run it with {right}).",
                    command.name()
                ),
            ));
        }
    }
    let metadata: MetadataPipeline = if pipeline_type == "DatabaseMetadata" {
        let v = if pipeline_value.is_null() {
            Value::Object(Default::default())
        } else {
            pipeline_value.clone()
        };
        decode(v, "source.sourceConfig.config")?
    } else {
        decode(
            Value::Object(Default::default()),
            "source.sourceConfig.config",
        )?
    };
    let profiler: ProfilerPipeline = if pipeline_type == "Profiler" {
        let profiler: ProfilerPipeline =
            decode(pipeline_value.clone(), "source.sourceConfig.config")?;
        check_profiler(&profiler)?;
        profiler
    } else {
        ProfilerPipeline::default()
    };
    let classification: AutoClassificationPipeline = if pipeline_type == "AutoClassification" {
        let c: AutoClassificationPipeline =
            decode(pipeline_value.clone(), "source.sourceConfig.config")?;
        check_classification(&c)?;
        c
    } else {
        AutoClassificationPipeline::default()
    };
    let classification_filter = Filter::compile(
        classification.classification_filter_pattern.as_ref(),
        "source.sourceConfig.config.classificationFilterPattern",
    )?;
    if metadata.threads == Some(0) {
        return Err(ConfigError::invalid(
            "source.sourceConfig.config.threads",
            "must be at least 1.",
        ));
    }

    let options = connection.connection_arguments.clone().unwrap_or_default();
    check_options(&options)?;

    let conn_key = "source.serviceConnection.config";
    let pipe_key = "source.sourceConfig.config";
    let pick =
        |pipe: &Option<FilterPattern>, conn: &Option<FilterPattern>, name: &str| match (pipe, conn)
        {
            (Some(p), _) => Filter::compile(Some(p), &format!("{pipe_key}.{name}")),
            (None, Some(c)) => Filter::compile(Some(c), &format!("{conn_key}.{name}")),
            (None, None) => Ok(Filter::default()),
        };
    let (db_pattern, schema_pattern, table_pattern, use_fqn) = if pipeline_type == "Profiler" {
        (
            &profiler.database_filter_pattern,
            &profiler.schema_filter_pattern,
            &profiler.table_filter_pattern,
            profiler.use_fqn_for_filtering,
        )
    } else if pipeline_type == "AutoClassification" {
        (
            &classification.database_filter_pattern,
            &classification.schema_filter_pattern,
            &classification.table_filter_pattern,
            classification.use_fqn_for_filtering,
        )
    } else {
        (
            &metadata.database_filter_pattern,
            &metadata.schema_filter_pattern,
            &metadata.table_filter_pattern,
            metadata.use_fqn_for_filtering,
        )
    };
    let filters = Filters {
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
    };

    let workflow_config = raw.workflow_config;
    let log_level = workflow_config
        .as_ref()
        .and_then(|w| w.logger_level)
        .unwrap_or(LogLevel::Info);
    let server = workflow_config.and_then(|w| w.open_metadata_server_config);

    let sink = match (raw.sink, command) {
        (None, Command::TestConnection) => None,
        (None, _) => {
            return Err(ConfigError::invalid(
                "sink",
                "required key is missing. Add `sink: {type: file, config: {filename: out.jsonl}}` or `sink: {type: metadata-rest, config: {}}`.",
            ))
        }
        (Some(sink), _) => Some(resolve_sink(sink.kind, sink.config, server.as_ref())?),
    };
    if let Some(server) = &server {
        check_server(server)?;
    }

    let database_name = connection
        .database_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_NAME.to_string());
    let service_name = match source.service_name {
        Some(name) if !name.trim().is_empty() => name,
        _ => {
            return Err(ConfigError::invalid(
                "source.serviceName",
                "required key is missing. Name the OpenMetadata service, e.g. `serviceName: aws_dynamodb`.",
            ))
        }
    };
    if service_name.contains('"') {
        return Err(ConfigError::invalid(
            "source.serviceName",
            "must not contain `\"` (OpenMetadata rejects quotes in names).",
        ));
    }

    Ok(Workflow {
        service_name,
        connection,
        options,
        metadata,
        profiler,
        classification,
        classification_filter,
        filters,
        database_name,
        sink,
        server,
        log_level,
    })
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
        let ok = (url.starts_with("http://") || url.starts_with("https://"))
            && url.split("://").nth(1).is_some_and(|h| !h.is_empty());
        if !ok {
            return Err(ConfigError::invalid(
                format!("{key}.endPointURL"),
                format!("`{url}` is not a URL; expected e.g. `http://localhost:8000` or `https://dynamodb.us-east-1.amazonaws.com`."),
            ));
        }
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

fn check_options(options: &ConnectionArguments) -> Result<(), ConfigError> {
    let key = "source.serviceConnection.config.connectionArguments";
    if options.sample_size == 0 {
        return Err(ConfigError::invalid(
            format!("{key}.sampleSize"),
            "must be at least 1.",
        ));
    }
    if !(1..=1_000_000).contains(&options.sample_segments) {
        return Err(ConfigError::invalid(
            format!("{key}.sampleSegments"),
            "must be between 1 and 1000000 (DynamoDB's TotalSegments limit).",
        ));
    }
    for (name, v) in [
        ("connectTimeoutSeconds", options.connect_timeout_seconds),
        ("requestTimeoutSeconds", options.request_timeout_seconds),
    ] {
        if !(v > 0.0 && v.is_finite()) {
            return Err(ConfigError::invalid(
                format!("{key}.{name}"),
                "must be a positive number of seconds.",
            ));
        }
    }
    if !(1..=1_000_000).contains(&options.scan_segments) {
        return Err(ConfigError::invalid(
            format!("{key}.scanSegments"),
            "must be between 1 and 1000000 (DynamoDB's TotalSegments limit).",
        ));
    }
    if options.classification_values_per_column == 0 {
        return Err(ConfigError::invalid(
            format!("{key}.classificationValuesPerColumn"),
            "must be at least 1.",
        ));
    }
    if options.scan_workers == 0 {
        return Err(ConfigError::invalid(
            format!("{key}.scanWorkers"),
            "must be at least 1.",
        ));
    }
    if let Some(p) = options.max_read_capacity_percent {
        if !(p > 0.0 && p <= 100.0) {
            return Err(ConfigError::invalid(
                format!("{key}.maxReadCapacityPercent"),
                "must be a percentage in (0, 100].",
            ));
        }
    }
    if let Some(u) = options.max_read_units_per_second {
        if !(u > 0.0 && u.is_finite()) {
            return Err(ConfigError::invalid(
                format!("{key}.maxReadUnitsPerSecond"),
                "must be a positive number.",
            ));
        }
    }
    if options.max_attempts == 0 {
        return Err(ConfigError::invalid(
            format!("{key}.maxAttempts"),
            "must be at least 1.",
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
            "ROWS" => v >= 1.0 && v.fract() == 0.0,
            _ => v > 0.0 && v <= 100.0,
        };
        if !ok {
            return Err(ConfigError::invalid(
                format!("{key}.profileSample"),
                format!("`{v}` is not a valid {kind} sample: a percentage in (0, 100], or a whole number of rows >= 1."),
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
    if c.sample_data_count == Some(0) {
        return Err(ConfigError::invalid(
            format!("{key}.sampleDataCount"),
            "must be at least 1 (OpenMetadata caps it at 1000).",
        ));
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
    if p.thread_count == Some(0) {
        return Err(ConfigError::invalid(
            format!("{key}.threadCount"),
            "must be at least 1.",
        ));
    }
    Ok(())
}

fn resolve_sink(
    kind: String,
    config: Option<Value>,
    server: Option<&OpenMetadataServerConfig>,
) -> Result<SinkConfig, ConfigError> {
    let config = config
        .filter(|v| !v.is_null())
        .unwrap_or_else(|| Value::Object(Default::default()));
    match kind.as_str() {
        "file" => {
            let file: FileSinkConfig = decode(config, "sink.config")?;
            if file.filename.trim().is_empty() {
                return Err(ConfigError::invalid(
                    "sink.config.filename",
                    "must not be empty. Set the output path, e.g. `filename: out.jsonl`.",
                ));
            }
            Ok(SinkConfig::File(file))
        }
        "metadata-rest" => {
            let rest: RestSinkConfig = decode(config, "sink.config")?;
            if server.is_none() {
                return Err(ConfigError::invalid(
                    "workflowConfig.openMetadataServerConfig",
                    "required by `sink: {type: metadata-rest}`. Add `hostPort`, `authProvider: openmetadata` and `securityConfig: {jwtToken: ...}`.",
                ));
            }
            Ok(SinkConfig::MetadataRest(rest))
        }
        other => Err(ConfigError::invalid(
            "sink.type",
            format!("`{other}` is not a sink dynameta knows; use `metadata-rest` or `file`."),
        )),
    }
}

fn check_server(server: &OpenMetadataServerConfig) -> Result<(), ConfigError> {
    let key = "workflowConfig.openMetadataServerConfig";
    let host = &server.host_port;
    if !(host.starts_with("http://") || host.starts_with("https://")) {
        return Err(ConfigError::invalid(
            format!("{key}.hostPort"),
            format!("`{host}` is not a URL. {}", error::hint("hostPort")),
        ));
    }
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
