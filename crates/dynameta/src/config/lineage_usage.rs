//! `sourceConfig.config` of OpenMetadata's `DatabaseLineage` and `DatabaseUsage`
//! pipelines (databaseServiceQueryLineagePipeline.json,
//! databaseServiceQueryUsagePipeline.json): the keys dynameta reads typed, the other
//! upstream keys (all about SQL query logs, which DynamoDB has none of) accepted and
//! ignored, so the files OpenMetadata's UI writes run unchanged.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::filter::FilterPattern;

/// Days of usage read when `queryLogDuration` is not set (OpenMetadata's default).
pub const DEFAULT_QUERY_LOG_DAYS: u32 = 1;
/// Most days of usage one run reads (CloudWatch keeps daily data points 455 days).
pub const MAX_QUERY_LOG_DAYS: u32 = 455;

/// `sourceConfig.config` with `type: DatabaseLineage`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LineagePipeline {
    /// `DatabaseLineage`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Schema filter.
    pub schema_filter_pattern: Option<FilterPattern>,
    /// Table filter.
    pub table_filter_pattern: Option<FilterPattern>,
    /// Database filter.
    pub database_filter_pattern: Option<FilterPattern>,
    /// Upstream (query logs): accepted, not read.
    pub query_log_duration: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub query_log_file_path: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub result_limit: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub parsing_timeout_limit: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub query_parser_config: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub filter_condition: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub stored_procedure_filter_pattern: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub override_view_lineage: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub process_view_lineage: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub process_query_lineage: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub process_stored_procedure_lineage: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub threads: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub process_cross_database_lineage: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub cross_database_service_names: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub enable_temp_table_lineage: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub incremental_lineage_processing: Option<IgnoredAny>,
    /// `useFqnForFiltering` (dynameta's pipelines all read it).
    pub use_fqn_for_filtering: Option<bool>,
}

/// `sourceConfig.config` with `type: DatabaseUsage`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UsagePipeline {
    /// `DatabaseUsage`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Days of usage to read, ending yesterday (UTC): dynameta reads CloudWatch's
    /// daily request counts for them.
    pub query_log_duration: Option<u32>,
    /// Upstream (query log staging): accepted, not read.
    pub stage_file_location: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub filter_condition: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub result_limit: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub query_log_file_path: Option<IgnoredAny>,
    /// Upstream: accepted, not read.
    pub process_query_cost_analysis: Option<IgnoredAny>,
}

/// What `lineage` and `usage` read of their pipeline, defaults applied.
#[derive(Debug, Clone, Default)]
pub struct LineageUsageSettings {
    /// Days of usage to read (`queryLogDuration`).
    pub usage_days: u32,
    /// Notes for the run summary: upstream keys and sections accepted and ignored.
    pub notes: Vec<String>,
    /// The file's pipeline when it is `DatabaseLineage` or `DatabaseUsage`
    /// (`test-connection` then checks the AWS calls that pipeline makes).
    pub pipeline: Option<super::Command>,
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{parse, Command};

    const USAGE: &str = r#"
source:
  type: dynamodb
  serviceName: svc
  serviceConnection:
    config:
      type: DynamoDB
      awsConfig:
        awsRegion: us-east-1
  sourceConfig:
    config:
      type: DatabaseUsage
      queryLogDuration: DAYS
      stageFileLocation: /tmp/query_log
processor:
  type: query-parser
  config: {}
sink:
  type: metadata-rest
  config: {}
"#;

    #[test]
    fn query_log_duration_is_days_within_cloudwatch_retention() {
        let text = USAGE.replace("DAYS", "7");
        let wf = parse(&text, Path::new("u.yaml"), Command::Usage, &|_| None).unwrap();
        assert_eq!(wf.lineage_usage.usage_days, 7);
        assert_eq!(
            wf.lineage_usage.notes.len(),
            1,
            "{:?}",
            wf.lineage_usage.notes
        );
        assert!(wf.lineage_usage.notes[0].starts_with("processor of the workflow ignored"));
        for bad in ["0", "456"] {
            let text = USAGE.replace("DAYS", bad);
            let e = parse(&text, Path::new("u.yaml"), Command::Usage, &|_| None).unwrap_err();
            assert!(e.to_string().contains("queryLogDuration"), "{bad}: {e}");
        }
    }

    #[test]
    fn each_command_wants_its_pipeline() {
        let text = USAGE.replace("DAYS", "1");
        let e = parse(&text, Path::new("u.yaml"), Command::Lineage, &|_| None).unwrap_err();
        assert!(e.to_string().contains("`dynameta usage`"), "{e}");
        let lineage = text
            .replace("type: DatabaseUsage", "type: DatabaseLineage")
            .replace("      queryLogDuration: 1\n      stageFileLocation: /tmp/query_log\n", "      processViewLineage: true\n      tableFilterPattern:\n        includes: [orders]\n");
        let wf = parse(&lineage, Path::new("l.yaml"), Command::Lineage, &|_| None).unwrap();
        assert!(wf.filters.table.excludes("customers"));
        assert!(!wf.filters.table.excludes("orders"));
    }
}
