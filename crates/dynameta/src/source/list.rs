//! `ListTables`, all pages.

use super::SourceError;
use crate::aws::describe_sdk_error;

/// Every table name of the client's region, in DynamoDB's (alphabetical) order.
pub async fn list_tables(client: &aws_sdk_dynamodb::Client) -> Result<Vec<String>, SourceError> {
    let mut names = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let page = client
            .list_tables()
            .set_exclusive_start_table_name(start.take())
            .limit(100)
            .send()
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
