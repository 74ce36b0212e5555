//! The DynamoDB side, strictly read-only: `ListTables`, `DescribeTable`,
//! `ListTagsOfResource`, `DescribeTimeToLive`, `DescribeContinuousBackups`, `Scan`.

mod describe;
pub mod export;
pub mod lineage;
mod list;
mod sample;
mod scan;
mod table;
pub mod usage;

pub use describe::{describe_table, Capabilities, Depth, Described};
pub use list::{list_tables, CloseNames};
pub use sample::{sample_table, Item, ItemFold, SampleOutcome};
pub use scan::{
    read_budget, scan, scan_with, shuffled_segments, NewState, Observe, Progress as ScanProgress,
    ScanPlan, ScanStats, TokenBucket,
};
pub use table::*;

use crate::aws::{AsThrottling, CallFailure};
use crate::config::Command;

/// A DynamoDB call that failed, with the table and operation it was about.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation} on {target} failed: {failure}{hint}")]
pub struct SourceError {
    /// The DynamoDB operation, e.g. `DescribeTable`.
    pub operation: &'static str,
    /// Table name or `region us-east-1`.
    pub target: String,
    /// Code and message.
    pub failure: CallFailure,
    /// A fix, when one is known (leading `. `).
    pub hint: String,
}

impl SourceError {
    /// Builds the error, adding the IAM action to grant for access denials.
    pub fn new(operation: &'static str, target: impl Into<String>, failure: CallFailure) -> Self {
        let hint = if failure.is_access_denied() {
            format!(". Grant `dynamodb:{operation}` to the credentials dynameta uses")
        } else if failure.code == "CredentialsError" {
            ". No usable AWS credentials: check awsConfig keys, profileName, assumeRoleArn or the environment"
                .to_string()
        } else if failure.is_bad_credentials() {
            ". The credentials were rejected: check awsConfig keys, session token, profile or role"
                .to_string()
        } else if failure.code == "ResourceNotFoundException" {
            ". The table was deleted while dynameta ran, or the region is wrong".to_string()
        } else if failure.code == "ConnectionError" || failure.code == "Timeout" {
            ". Check awsConfig.endPointURL / network access to DynamoDB".to_string()
        } else if failure.is_throttling() {
            throttle_hint(None)
        } else {
            String::new()
        };
        SourceError {
            operation,
            target: target.into(),
            failure,
            hint,
        }
    }
}

impl SourceError {
    /// The same error with the throttling advice for `command`, whose knobs differ.
    pub fn for_command(mut self, command: Command) -> SourceError {
        if self.failure.is_throttling() {
            self.hint = throttle_hint(Some(command));
        }
        self
    }
}

impl AsThrottling for SourceError {
    fn is_throttling(&self) -> bool {
        self.failure.is_throttling()
    }
}

/// What to do when DynamoDB kept throttling a call through every retry: the
/// concurrency knobs of the command that ran (and, for the profiler, its read budget).
fn throttle_hint(command: Option<Command>) -> String {
    let knobs = match command {
        Some(Command::Profile) => {
            "lower `source.sourceConfig.config.threadCount` (tables at once, default 2) or \
             `connectionArguments.scanWorkers` (Scan requests in flight per table, default 8), \
             or cap the read rate with `connectionArguments.maxReadUnitsPerSecond` / \
             `maxReadCapacityPercent`"
        }
        Some(Command::Classify) => {
            "lower `connectionArguments.sampleSegments` (Scan requests in flight per table, \
             default 8; classify reads up to 16 tables at once)"
        }
        Some(Command::Ingest) => {
            "lower `source.sourceConfig.config.threads` (tables at once, default 16) or \
             `connectionArguments.sampleSegments` (Scan requests in flight per table, default 8)"
        }
        _ => "send fewer requests at once",
    };
    format!(
        ". DynamoDB kept throttling it through every retry (`maxAttempts`, then \
         `connectionArguments.throttleRetrySeconds`): {knobs}, raise \
         `throttleRetrySeconds`, or run when the table is less busy"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttled(op: &'static str) -> SourceError {
        SourceError::new(
            op,
            "orders",
            CallFailure {
                code: "ProvisionedThroughputExceededException".into(),
                message:
                    "The level of configured provisioned throughput for the table was exceeded"
                        .into(),
            },
        )
    }

    #[test]
    fn throttling_hint_names_the_knobs_of_the_command_that_ran() {
        let profile = throttled("Scan").for_command(Command::Profile).to_string();
        assert!(
            profile.contains("`source.sourceConfig.config.threadCount`"),
            "{profile}"
        );
        assert!(profile.contains("scanWorkers"), "{profile}");
        assert!(profile.contains("maxReadUnitsPerSecond"), "{profile}");
        assert!(profile.contains("maxReadCapacityPercent"), "{profile}");
        assert!(!profile.contains("`threads`"), "{profile}");
        assert!(!profile.contains("config.threads`"), "{profile}");

        let ingest = throttled("Scan").for_command(Command::Ingest).to_string();
        assert!(
            ingest.contains("`source.sourceConfig.config.threads`"),
            "{ingest}"
        );
        assert!(ingest.contains("sampleSegments"), "{ingest}");
        assert!(!ingest.contains("threadCount"), "{ingest}");

        // classify has no tables-at-once option: it must not name one it ignores.
        let classify = throttled("Scan").for_command(Command::Classify).to_string();
        assert!(classify.contains("sampleSegments"), "{classify}");
        assert!(
            !classify.contains("threadCount") && !classify.contains("config.threads"),
            "{classify}"
        );

        for text in [&profile, &ingest, &classify] {
            assert!(text.contains("throttleRetrySeconds"), "{text}");
            assert!(
                text.starts_with("Scan on orders failed: ProvisionedThroughputExceededException"),
                "{text}"
            );
        }
    }

    #[test]
    fn other_errors_keep_their_hint() {
        let denied = SourceError::new(
            "Scan",
            "orders",
            CallFailure {
                code: "AccessDeniedException".into(),
                message: "no".into(),
            },
        );
        let hint = denied.hint.clone();
        assert_eq!(denied.for_command(Command::Profile).hint, hint);
    }
}
