//! `dynameta export`: starts a DynamoDB export to S3 of one table
//! (`ExportTableToPointInTime`, full, `DYNAMODB_JSON`) for `profile` to read through
//! `connectionArguments.exports`. It is the one call dynameta makes that is not a read
//! (it consumes no read capacity but creates objects in S3 and is billed per GB), so it
//! is its own command, never run by another. It needs `dynamodb:ExportTableToPointInTime`
//! on the table (and `dynamodb:DescribeExport` to wait), S3 write access to the bucket,
//! and point-in-time recovery enabled on the table.

use std::time::Duration;

use super::Settings;
use crate::aws::{self, describe_sdk_error};
use crate::config::Command;
use crate::source::Capabilities;

/// What to export, and where.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// Table name.
    pub table: String,
    /// S3 bucket to write to.
    pub bucket: String,
    /// Key prefix in the bucket.
    pub prefix: String,
    /// Wait until the export completes (or fails).
    pub wait: bool,
}

/// Why the export could not be started or did not complete.
#[derive(Debug, thiserror::Error)]
pub enum StartExportError {
    /// DescribeTable (for the table's ARN) failed.
    #[error("{0}")]
    Describe(String),
    /// An export call failed.
    #[error("{operation} for table {table} failed: {failure}{hint}")]
    Call {
        /// The operation.
        operation: &'static str,
        /// The table.
        table: String,
        /// Code and message.
        failure: String,
        /// The fix, when known.
        hint: String,
    },
    /// The export ended FAILED.
    #[error("export {arn} of table {table} FAILED: {reason}")]
    Failed {
        /// The table.
        table: String,
        /// The export.
        arn: String,
        /// DynamoDB's failure code and message.
        reason: String,
    },
}

/// Starts the export (and with `wait`, polls DescribeExport with growing intervals,
/// up to 30 s apart, until it ends). Returns what to tell the user.
pub async fn run(settings: &Settings, request: &ExportRequest) -> Result<String, StartExportError> {
    let workflow = &settings.workflow;
    let connection = aws::connect(workflow.aws(), &workflow.options).await;
    let table = super::describe_for_scan(
        &connection,
        &request.table,
        &Capabilities::default(),
        Command::Profile,
    )
    .await
    .map_err(|e| StartExportError::Describe(e.to_string()))?;
    let arn = table.arn.clone().unwrap_or_default();
    let call = |operation: &'static str, failure: aws::CallFailure| {
        let hint = if failure.is_access_denied() {
            format!(
                ". Grant `dynamodb:{operation}` on the table (and S3 write access to bucket {})",
                request.bucket
            )
        } else if failure.code == "PointInTimeRecoveryUnavailableException" {
            ". Enable point-in-time recovery on the table first (UpdateContinuousBackups)"
                .to_string()
        } else {
            String::new()
        };
        StartExportError::Call {
            operation,
            table: request.table.clone(),
            failure: failure.to_string(),
            hint,
        }
    };
    let started = connection
        .dynamodb
        .export_table_to_point_in_time()
        .table_arn(&arn)
        .s3_bucket(&request.bucket)
        .s3_prefix(&request.prefix)
        .export_format(aws_sdk_dynamodb::types::ExportFormat::DynamodbJson)
        .export_type(aws_sdk_dynamodb::types::ExportType::FullExport)
        .send()
        .await
        .map_err(|e| call("ExportTableToPointInTime", describe_sdk_error(&e)))?;
    let export_arn = started
        .export_description
        .and_then(|d| d.export_arn)
        .unwrap_or_default();
    let mut text = format!(
        "export of table {} started: {export_arn}\nprofile it with, in connectionArguments:\n  exports:\n    {}: {export_arn}\n",
        request.table, request.table
    );
    if !request.wait {
        return Ok(text);
    }
    // Exports take minutes to hours: polls 1, 2, 4, ... seconds apart, at most 30.
    let pauses = aws::Delays::doubling(Duration::from_secs(1), Duration::from_secs(30));
    let mut polls = 0u32;
    loop {
        let d = connection
            .dynamodb
            .describe_export()
            .export_arn(&export_arn)
            .send()
            .await
            .map_err(|e| call("DescribeExport", describe_sdk_error(&e)))?
            .export_description;
        let status = d
            .as_ref()
            .and_then(|d| d.export_status.as_ref())
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        match status.as_str() {
            "COMPLETED" => {
                let items = d.and_then(|d| d.item_count).unwrap_or(0);
                text.push_str(&format!("export COMPLETED: {items} items\n"));
                return Ok(text);
            }
            "FAILED" => {
                let reason = d
                    .map(|d| {
                        format!(
                            "{}: {}",
                            d.failure_code.unwrap_or_default(),
                            d.failure_message.unwrap_or_default()
                        )
                    })
                    .unwrap_or_default();
                return Err(StartExportError::Failed {
                    table: request.table.clone(),
                    arn: export_arn,
                    reason,
                });
            }
            // IN_PROGRESS: exports take minutes to hours; poll with growing pauses.
            _ => {
                tokio::time::sleep(pauses.wait(polls)).await;
                polls = polls.saturating_add(1);
            }
        }
    }
}
