//! The workflow YAML as OpenMetadata 2.0.7 defines it (`workflow.json`), with the keys
//! dynameta reads typed and the other upstream keys accepted and ignored.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

use super::filter::FilterPattern;
use super::options::ConnectionArguments;
use crate::secret::Secret;

/// Top level of the workflow file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawWorkflow {
    /// Where metadata comes from.
    pub source: RawSource,
    /// Upstream processors (unused by dynameta).
    pub processor: Option<IgnoredAny>,
    /// Where results go.
    pub sink: Option<RawSink>,
    /// Upstream stage (unused).
    pub stage: Option<IgnoredAny>,
    /// Upstream bulk sink (unused).
    pub bulk_sink: Option<IgnoredAny>,
    /// Logging and OpenMetadata server.
    pub workflow_config: Option<RawWorkflowConfig>,
    /// Upstream pipeline FQN (unused).
    #[serde(rename = "ingestionPipelineFQN")]
    pub ingestion_pipeline_fqn: Option<IgnoredAny>,
    /// Upstream run id (unused).
    pub pipeline_run_id: Option<IgnoredAny>,
    /// Upstream log streaming (unused).
    pub enable_streamable_logs: Option<IgnoredAny>,
    /// Upstream runner name (unused).
    pub ingestion_runner_name: Option<IgnoredAny>,
}

/// `source:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawSource {
    /// Connector type; must be `dynamodb`.
    #[serde(rename = "type")]
    pub kind: String,
    /// OpenMetadata service name.
    pub service_name: Option<String>,
    /// The DynamoDB connection.
    pub service_connection: Option<RawServiceConnection>,
    /// Pipeline settings; decoded by `type` once we know which pipeline runs.
    pub source_config: RawSourceConfig,
}

/// `source.serviceConnection`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServiceConnection {
    /// The connection itself.
    pub config: DynamoDbConnection,
}

/// `source.serviceConnection.config` (dynamoDBConnection.json).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DynamoDbConnection {
    /// Must be `DynamoDB` when given.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// AWS credentials and endpoint.
    pub aws_config: AwsConfig,
    /// Name of the database in OpenMetadata (default `default`).
    pub database_name: Option<String>,
    /// Upstream string options: accepted, not read.
    pub connection_options: Option<IgnoredAny>,
    /// dynameta's own options.
    pub connection_arguments: Option<ConnectionArguments>,
    /// Schema filter (connection level).
    pub schema_filter_pattern: Option<FilterPattern>,
    /// Table filter (connection level).
    pub table_filter_pattern: Option<FilterPattern>,
    /// Database filter (connection level).
    pub database_filter_pattern: Option<FilterPattern>,
    /// Upstream capability flag: accepted, not read.
    pub supports_metadata_extraction: Option<IgnoredAny>,
    /// Upstream capability flag: accepted, not read.
    pub supports_profiler: Option<IgnoredAny>,
}

/// `awsConfig` (awsCredentials.json).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AwsConfig {
    /// Upstream IAM-auth flag (no effect: dynameta always signs with IAM).
    pub enabled: Option<bool>,
    /// Static access key id.
    pub aws_access_key_id: Option<String>,
    /// Static secret key.
    pub aws_secret_access_key: Option<Secret>,
    /// Region of the tables; the only required key.
    pub aws_region: String,
    /// Session token for temporary credentials.
    pub aws_session_token: Option<Secret>,
    /// Custom endpoint such as DynamoDB Local.
    #[serde(rename = "endPointURL")]
    pub end_point_url: Option<String>,
    /// Named profile from `~/.aws/config` / `~/.aws/credentials`.
    pub profile_name: Option<String>,
    /// Role to assume.
    pub assume_role_arn: Option<String>,
    /// Session name of the assumed role.
    pub assume_role_session_name: Option<String>,
    /// SourceIdentity passed to AssumeRole.
    pub assume_role_source_identity: Option<String>,
}

/// `source.sourceConfig`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSourceConfig {
    /// One of the pipeline configs, chosen by its `type`.
    pub config: Option<Value>,
}

/// `sourceConfig.config` with `type: DatabaseMetadata` (databaseServiceMetadataPipeline.json).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetadataPipeline {
    /// `DatabaseMetadata`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Soft-delete tables gone from DynamoDB (default true).
    pub mark_deleted_tables: Option<bool>,
    /// Upstream (no stored procedures in DynamoDB).
    pub mark_deleted_stored_procedures: Option<IgnoredAny>,
    /// Upstream.
    pub mark_deleted_schemas: Option<IgnoredAny>,
    /// Upstream.
    pub mark_deleted_databases: Option<IgnoredAny>,
    /// Include tables (default true; `false` is refused: tables are all dynameta
    /// ingests).
    pub include_tables: Option<bool>,
    /// Upstream (DynamoDB has no views).
    pub include_views: Option<IgnoredAny>,
    /// Publish AWS tags (default true).
    pub include_tags: Option<bool>,
    /// Upstream.
    pub include_custom_properties: Option<IgnoredAny>,
    /// Read table owners from the AWS tag `connectionArguments.ownerTagKey` (default:
    /// true when that key is set).
    pub include_owners: Option<bool>,
    /// Owners by level (OpenMetadata's `OwnerConfiguration`).
    pub owner_config: Option<super::tagging::OwnerConfig>,
    /// Upstream.
    pub include_stored_procedures: Option<IgnoredAny>,
    /// Upstream.
    #[serde(rename = "includeDDL")]
    pub include_ddl: Option<IgnoredAny>,
    /// Overwrite descriptions already in OpenMetadata (default false).
    pub override_metadata: Option<bool>,
    /// Upstream.
    pub query_log_duration: Option<IgnoredAny>,
    /// Upstream.
    pub query_parsing_timeout_limit: Option<IgnoredAny>,
    /// Match filters against the fully qualified name instead of the name.
    pub use_fqn_for_filtering: Option<bool>,
    /// Schema filter.
    pub schema_filter_pattern: Option<FilterPattern>,
    /// Table filter.
    pub table_filter_pattern: Option<FilterPattern>,
    /// Database filter.
    pub database_filter_pattern: Option<FilterPattern>,
    /// Upstream.
    pub stored_procedure_filter_pattern: Option<IgnoredAny>,
    /// Tables processed concurrently.
    pub threads: Option<u32>,
    /// Upstream.
    pub incremental: Option<IgnoredAny>,
    /// Attach a JSON Schema to STRUCT columns.
    pub extract_json_schema: Option<bool>,
    /// Upstream sample size for JSON schema extraction: ignored, the JSON Schema is
    /// built from the inference sample (`connectionArguments.sampleSize`).
    pub json_schema_sample_size: Option<IgnoredAny>,
}

/// `sink:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSink {
    /// `metadata-rest` or `file`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Sink settings; decoded by `type`.
    pub config: Option<Value>,
}

/// `workflowConfig:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawWorkflowConfig {
    /// DEBUG, INFO, WARN or ERROR.
    pub logger_level: Option<LogLevel>,
    /// Upstream.
    pub raise_on_error: Option<bool>,
    /// Upstream success threshold (percent).
    pub success_threshold: Option<u8>,
    /// The OpenMetadata server.
    pub open_metadata_server_config: Option<OpenMetadataServerConfig>,
    /// Upstream free-form config.
    pub config: Option<IgnoredAny>,
}

/// Log levels of OpenMetadata's `LogLevels`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    /// Everything.
    Debug,
    /// Progress and summary.
    Info,
    /// Problems only.
    Warn,
    /// Failures only.
    Error,
}

/// `workflowConfig.openMetadataServerConfig` (openMetadataConnection.json).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OpenMetadataServerConfig {
    /// Upstream.
    pub cluster_name: Option<IgnoredAny>,
    /// `OpenMetadata`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Server URL, with or without `/api`.
    pub host_port: String,
    /// `openmetadata` (JWT) is what dynameta supports.
    pub auth_provider: Option<String>,
    /// `validate`, `ignore` or `no-ssl`.
    #[serde(rename = "verifySSL")]
    pub verify_ssl: Option<String>,
    /// CA certificate for `validate`.
    pub ssl_config: Option<Value>,
    /// JWT.
    pub security_config: Option<JwtConfig>,
    /// Upstream.
    pub secrets_manager_provider: Option<IgnoredAny>,
    /// Upstream.
    pub secrets_manager_loader: Option<IgnoredAny>,
    /// Upstream.
    pub api_version: Option<IgnoredAny>,
    /// Upstream.
    pub include_topics: Option<IgnoredAny>,
    /// Upstream.
    pub include_tables: Option<IgnoredAny>,
    /// Upstream.
    pub include_dashboards: Option<IgnoredAny>,
    /// Upstream.
    pub include_pipelines: Option<IgnoredAny>,
    /// Upstream.
    pub include_ml_models: Option<IgnoredAny>,
    /// Upstream.
    pub include_users: Option<IgnoredAny>,
    /// Upstream.
    pub include_teams: Option<IgnoredAny>,
    /// Upstream.
    pub include_glossary_terms: Option<IgnoredAny>,
    /// Upstream.
    pub include_tags: Option<IgnoredAny>,
    /// Upstream.
    pub include_policy: Option<IgnoredAny>,
    /// Upstream.
    pub include_messaging_services: Option<IgnoredAny>,
    /// Upstream: accepted, not read (dynameta checks the server version itself).
    pub enable_version_validation: Option<IgnoredAny>,
    /// Upstream.
    pub include_database_services: Option<IgnoredAny>,
    /// Upstream.
    pub include_pipeline_services: Option<IgnoredAny>,
    /// Upstream.
    pub limit_records: Option<IgnoredAny>,
    /// Upstream.
    pub force_entity_overwriting: Option<IgnoredAny>,
    /// Upstream: accepted, not read (dynameta never stores the AWS connection).
    pub store_service_connection: Option<IgnoredAny>,
    /// Upstream.
    pub elastics_search: Option<IgnoredAny>,
    /// Upstream.
    pub schema_filter_pattern: Option<IgnoredAny>,
    /// Upstream.
    pub table_filter_pattern: Option<IgnoredAny>,
    /// Upstream.
    pub database_filter_pattern: Option<IgnoredAny>,
    /// Upstream.
    pub supports_data_insight_extraction: Option<IgnoredAny>,
    /// Upstream.
    pub supports_elastic_search_reindexing_extraction: Option<IgnoredAny>,
    /// Extra HTTP headers.
    pub extra_headers: Option<BTreeMap<String, String>>,
}

/// `securityConfig` for `authProvider: openmetadata`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JwtConfig {
    /// The bot's JWT.
    pub jwt_token: Secret,
}

/// `sourceConfig.config` with `type: Profiler` (databaseServiceProfilerPipeline.json,
/// plus the flat 1.x sampling keys most existing files have).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfilerPipeline {
    /// `Profiler`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Upstream (dynameta is its own engine).
    pub processing_engine: Option<IgnoredAny>,
    /// Upstream (classification runs with `dynameta classify`).
    pub classification_filter_pattern: Option<IgnoredAny>,
    /// Schema filter.
    pub schema_filter_pattern: Option<FilterPattern>,
    /// Table filter.
    pub table_filter_pattern: Option<FilterPattern>,
    /// Database filter.
    pub database_filter_pattern: Option<FilterPattern>,
    /// Upstream (DynamoDB has no views).
    pub include_views: Option<IgnoredAny>,
    /// Match filters against fully qualified names.
    pub use_fqn_for_filtering: Option<bool>,
    /// Table metrics (default true).
    pub compute_table_metrics: Option<bool>,
    /// Column metrics (default true).
    pub compute_column_metrics: Option<bool>,
    /// Upstream.
    pub use_statistics: Option<IgnoredAny>,
    /// OpenMetadata 2.0 sampling.
    pub profile_sample_config: Option<ProfileSampleConfig>,
    /// Upstream.
    pub randomized_sample: Option<IgnoredAny>,
    /// Tables profiled at once.
    pub thread_count: Option<u32>,
    /// Longest time one table may take, in seconds (default 43200).
    pub timeout_seconds: Option<u64>,
    /// Metrics to compute (default: all).
    pub metrics: Option<Vec<String>>,
    /// 1.x: sample size (percent or rows).
    pub profile_sample: Option<f64>,
    /// 1.x: `PERCENTAGE` or `ROWS`.
    pub profile_sample_type: Option<String>,
    /// 1.x (upstream).
    pub sampling_method_type: Option<IgnoredAny>,
    /// 1.x (upstream).
    pub profile_query: Option<IgnoredAny>,
    /// 1.x (upstream).
    pub generate_sample_data: Option<IgnoredAny>,
    /// 1.x (upstream).
    pub process_pii_sensitive: Option<IgnoredAny>,
    /// 1.x (upstream).
    pub confidence: Option<IgnoredAny>,
    /// 1.x (upstream).
    pub store_sample_data: Option<IgnoredAny>,
    /// 1.x (upstream).
    pub sample_data_count: Option<IgnoredAny>,
    /// 1.x (upstream).
    pub enable_auto_classification: Option<IgnoredAny>,
}

/// `profileSampleConfig` (OpenMetadata 2.0).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfileSampleConfig {
    /// `STATIC` or `DYNAMIC` (default).
    pub sample_config_type: Option<String>,
    /// The settings of that type.
    pub config: Option<SampleSettings>,
}

/// `StaticSamplingConfig` or `DynamicSamplingConfig` (their keys do not overlap).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SampleSettings {
    /// STATIC: percent or rows.
    pub profile_sample: Option<f64>,
    /// STATIC: `PERCENTAGE` (default) or `ROWS`.
    pub profile_sample_type: Option<String>,
    /// Upstream.
    pub sampling_method_type: Option<IgnoredAny>,
    /// DYNAMIC: pick the sample from the row count (default true).
    pub smart_sampling: Option<bool>,
    /// DYNAMIC: tiers, highest threshold first.
    pub thresholds: Option<Vec<SampleThreshold>>,
}

/// One DYNAMIC tier.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SampleThreshold {
    /// Applies to tables with at least this many rows.
    pub row_count_threshold: u64,
    /// Percent or rows.
    pub profile_sample: f64,
    /// `PERCENTAGE` (default) or `ROWS`.
    pub profile_sample_type: Option<String>,
    /// Upstream.
    pub sampling_method_type: Option<IgnoredAny>,
}

/// `sourceConfig.config` with `type: AutoClassification`
/// (databaseServiceAutoClassificationPipeline.json).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AutoClassificationPipeline {
    /// `AutoClassification`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Only tables whose OpenMetadata tags match (metadata-rest sink only).
    pub classification_filter_pattern: Option<FilterPattern>,
    /// Schema filter.
    pub schema_filter_pattern: Option<FilterPattern>,
    /// Table filter.
    pub table_filter_pattern: Option<FilterPattern>,
    /// Database filter.
    pub database_filter_pattern: Option<FilterPattern>,
    /// Upstream (DynamoDB has no views).
    pub include_views: Option<IgnoredAny>,
    /// Match filters against fully qualified names.
    pub use_fqn_for_filtering: Option<bool>,
    /// Store `sampleDataCount` rows as the table's sample data (default false).
    pub store_sample_data: Option<bool>,
    /// Tag columns (default true).
    pub enable_auto_classification: Option<bool>,
    /// Lowest confidence (0-100) that tags a column (default 80).
    pub confidence: Option<f64>,
    /// Rows of sample data to store (default 50, at most 1000).
    pub sample_data_count: Option<u32>,
    /// Upstream: dynameta's recognizers are language-independent validators.
    pub classification_language: Option<IgnoredAny>,
}
