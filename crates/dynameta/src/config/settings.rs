//! Per-command settings with every default applied, resolved once when the workflow is
//! loaded: the commands read these, never the raw `Option`s of the pipeline structs.

use std::time::Duration;

/// Tables processed at once by ingest (and classify) when `threads` is not set.
pub const DEFAULT_THREADS: usize = 16;
/// Tables profiled at once when `threadCount` is not set.
pub const DEFAULT_PROFILE_THREADS: usize = 2;
/// Per-table profiling time limit when `timeoutSeconds` is not set (OpenMetadata's).
pub const DEFAULT_PROFILE_TIMEOUT_SECONDS: u64 = 43_200;

/// OpenMetadata's default `confidence` of an auto-classification pipeline (0-100).
pub const DEFAULT_CONFIDENCE: f64 = 80.0;
/// OpenMetadata's default `sampleDataCount`.
pub const DEFAULT_SAMPLE_ROWS: u32 = 50;

/// `dynameta ingest` (a `DatabaseMetadata` pipeline).
#[derive(Debug, Clone, PartialEq)]
pub struct IngestSettings {
    /// `threads`: tables described and sampled at once.
    pub threads: usize,
    /// `includeTags`: read AWS tags.
    pub include_tags: bool,
    /// `markDeletedTables`: soft-delete tables DynamoDB no longer has.
    pub mark_deleted_tables: bool,
    /// `overrideMetadata`: the source's description replaces one already there.
    pub override_metadata: bool,
    /// `extractJsonSchema`: JSON Schema of STRUCT columns.
    pub extract_json_schema: bool,
}

/// `dynameta profile` (a `Profiler` pipeline).
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileSettings {
    /// `threadCount`: tables profiled at once.
    pub threads: usize,
    /// `timeoutSeconds`: per-table time limit.
    pub timeout: Duration,
}

/// `dynameta classify` (an `AutoClassification` pipeline).
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifySettings {
    /// Tables classified at once. An auto-classification pipeline has no `threads`
    /// key (OpenMetadata 2.0.7's databaseServiceAutoClassificationPipeline.json): as
    /// many as ingest's default.
    pub threads: usize,
    /// `confidence`: the score (0-100) a recognizer needs to tag a column.
    pub confidence: f64,
    /// `enableAutoClassification` (default true): write the column tags.
    pub tag_columns: bool,
    /// `storeSampleData` and `sampleDataCount`: rows of sample data to store, `None`
    /// when no sample data is stored.
    pub sample_rows: Option<usize>,
    /// `connectionArguments.classificationValuesPerColumn`: values per column handed to
    /// the recognizers (at most).
    pub values_per_column: usize,
    /// `connectionArguments.maskSensitiveSampleData`: mask `PII.Sensitive` columns in
    /// the stored sample data (credentials found in the data are masked always).
    pub mask_sensitive_sample_data: bool,
}

/// How failed tables decide the exit code (`workflowConfig.raiseOnError` and
/// `successThreshold`, as OpenMetadata's `BaseWorkflow.raise_from_status_internal`
/// in `ingestion/src/metadata/workflow/base.py` and `cli/common.py` use them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailurePolicy {
    /// `raiseOnError` (default true): failures fail the run. `false`: the run ends 0
    /// whatever failed (the summary still lists every failure).
    pub raise_on_error: bool,
    /// `successThreshold` when written: a run whose share of tables processed is at
    /// least this percentage ends 0 although some failed (OpenMetadata's
    /// "partial success"). Unset, dynameta's default is stricter than OpenMetadata's
    /// 90: any failure fails the run, so that a scheduler never sees a run that lost
    /// tables as a success unless the workflow says it may.
    pub success_threshold: Option<u8>,
}

impl Default for FailurePolicy {
    fn default() -> Self {
        FailurePolicy {
            raise_on_error: true,
            success_threshold: None,
        }
    }
}

impl FailurePolicy {
    /// Whether a run that processed `ok` items and failed `failed` ends as a success,
    /// and why (for the summary). `None` when nothing failed.
    pub fn tolerates(&self, ok: usize, failed: usize) -> Option<Result<String, String>> {
        if failed == 0 {
            return None;
        }
        if !self.raise_on_error {
            return Some(Ok(
                "workflowConfig.raiseOnError is false: the failures above do not fail the run"
                    .into(),
            ));
        }
        let Some(threshold) = self.success_threshold else {
            return Some(Err(String::new()));
        };
        // OpenMetadata's Status.calculate_success: at least 1 success, 2 decimals.
        let success = ok.max(1) as f64;
        let pct = (success * 100.0 / (success + failed as f64) * 100.0).round() / 100.0;
        if pct >= f64::from(threshold) {
            Some(Ok(format!(
                "partial success: {pct}% processed, at least workflowConfig.successThreshold ({threshold}%)"
            )))
        } else {
            Some(Err(format!(
                "{pct}% processed, below workflowConfig.successThreshold ({threshold}%)"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_defaults_are_openmetadata_s() {
        let pipeline = super::super::AutoClassificationPipeline::default();
        let options = super::super::ConnectionArguments::default();
        let s = super::super::classify_settings(&pipeline, &options);
        assert_eq!(
            s,
            ClassifySettings {
                threads: DEFAULT_THREADS,
                confidence: 80.0,
                tag_columns: true,
                sample_rows: None,
                values_per_column: 256,
                mask_sensitive_sample_data: false,
            }
        );
    }

    #[test]
    fn failure_policy_follows_openmetadata() {
        let strict = FailurePolicy::default();
        assert!(strict.tolerates(10, 0).is_none());
        assert!(matches!(strict.tolerates(99, 1), Some(Err(_))));

        let ninety = FailurePolicy {
            raise_on_error: true,
            success_threshold: Some(90),
        };
        assert!(matches!(ninety.tolerates(9, 1), Some(Ok(m)) if m.contains("90%")));
        assert!(matches!(ninety.tolerates(8, 2), Some(Err(m)) if m.contains("80% processed")));
        // Nothing processed: OpenMetadata counts one success, so 1 failure is 50 %.
        assert!(matches!(ninety.tolerates(0, 1), Some(Err(m)) if m.contains("50%")));

        let lenient = FailurePolicy {
            raise_on_error: false,
            success_threshold: Some(100),
        };
        assert!(matches!(lenient.tolerates(0, 5), Some(Ok(m)) if m.contains("raiseOnError")));
    }
}
