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

/// The table names a user who typed `wanted` may have meant, gathered from names
/// offered one at a time (so a long listing is never held): the same name in another
/// case, or one that contains it, case-insensitively; at most five. DynamoDB table
/// names are case-sensitive, so `Orders` is not `orders`. Hand-written: a few lines of
/// product rules, shared by `classify --explain` and `show`.
#[derive(Debug)]
pub struct CloseNames {
    wanted: String,
    lower: String,
    exact: bool,
    found: Vec<String>,
}

impl CloseNames {
    /// The most names a hint lists.
    const MAX: usize = 5;

    /// Starts gathering names close to `wanted`.
    pub fn new(wanted: &str) -> CloseNames {
        CloseNames {
            wanted: wanted.to_string(),
            lower: wanted.to_lowercase(),
            exact: false,
            found: Vec::new(),
        }
    }

    /// Looks at one existing name.
    pub fn offer(&mut self, name: &str) {
        if name == self.wanted {
            self.exact = true;
            return;
        }
        if self.found.len() < Self::MAX
            && name.to_lowercase().contains(&self.lower)
            && !self.found.iter().any(|f| f == name)
        {
            self.found.push(name.to_string());
        }
    }

    /// Whether the name wanted was offered, exactly.
    pub fn exact(&self) -> bool {
        self.exact
    }

    /// ``did you mean `orders`? DynamoDB table names are case-sensitive``, or `None`
    /// when the wanted name exists or no offered name is close. Names are escaped
    /// (a file's table name could hold terminal control characters).
    pub fn hint(&self) -> Option<String> {
        if self.exact || self.found.is_empty() {
            return None;
        }
        Some(format!(
            "did you mean {}? DynamoDB table names are case-sensitive",
            self.found
                .iter()
                .map(|n| format!("`{}`", n.escape_debug()))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

#[cfg(test)]
mod close_names_tests {
    use super::CloseNames;

    fn hint(wanted: &str, names: &[&str]) -> Option<String> {
        let mut close = CloseNames::new(wanted);
        for n in names {
            close.offer(n);
        }
        close.hint()
    }

    #[test]
    fn another_case_or_a_longer_name_is_suggested() {
        let h = hint("Orders", &["customers", "orders", "orders_archive"]).unwrap();
        assert!(h.contains("`orders`, `orders_archive`"), "{h}");
        assert!(!h.contains("customers"), "{h}");
    }

    #[test]
    fn no_hint_when_the_name_exists_or_nothing_is_close() {
        assert_eq!(hint("orders", &["orders", "orders_archive"]), None);
        assert_eq!(hint("invoices", &["orders"]), None);
    }

    #[test]
    fn at_most_five_names_and_escaped() {
        let names: Vec<String> = (0..20).map(|i| format!("t{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(hint("T", &refs).unwrap().matches('`').count(), 10);
        let h = hint("x", &["x\u{1b}[31m"]).unwrap();
        assert!(!h.contains('\u{1b}'), "{h}");
    }
}
