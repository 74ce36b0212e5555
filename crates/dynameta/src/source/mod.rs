//! The DynamoDB side, strictly read-only: `ListTables`, `DescribeTable`,
//! `ListTagsOfResource`, `DescribeTimeToLive`, `DescribeContinuousBackups`, `Scan`.

mod describe;
mod list;
mod sample;
mod scan;
mod table;

pub use describe::{describe_table, Capabilities, Depth, Described};
pub use list::list_tables;
pub use sample::{sample_table, Item, SampleOutcome};
pub use scan::{
    scan, shuffled_segments, Observe, Progress as ScanProgress, ScanPlan, ScanStats, TokenBucket,
};
pub use table::*;

use crate::aws::CallFailure;

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
        } else if failure.code.contains("Throttl") || failure.code.contains("Exceeded") {
            ". The table is throttled; lower `threads` or retry later".to_string()
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
