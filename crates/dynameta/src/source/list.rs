//! `ListTables`, all pages.

use super::SourceError;
use crate::aws::{describe_sdk_error, ThrottleRetry};

/// Every table name of the client's region, in DynamoDB's (alphabetical) order. A page
/// DynamoDB still throttles after the SDK's attempts is retried as `throttle_retry` says.
pub async fn list_tables(
    client: &aws_sdk_dynamodb::Client,
    throttle_retry: &ThrottleRetry,
) -> Result<Vec<String>, SourceError> {
    let mut names = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let page = throttle_retry
            .run("ListTables", || {
                client
                    .list_tables()
                    .set_exclusive_start_table_name(start.clone())
                    .limit(100)
                    .send()
            })
            .await
            .map_err(|e| {
                let region = client
                    .config()
                    .region()
                    .map(|r| r.to_string())
                    .unwrap_or_default();
                SourceError::new(
                    "ListTables",
                    format!("region {region}"),
                    describe_sdk_error(&e),
                )
            })?;
        names.extend(page.table_names.unwrap_or_default());
        match page.last_evaluated_table_name {
            Some(last) => start = Some(last),
            None => return Ok(names),
        }
    }
}
