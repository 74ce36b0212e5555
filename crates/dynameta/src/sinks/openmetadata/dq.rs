//! OpenMetadata's data-quality routes, as `dynameta test` uses them: test definitions,
//! test cases of a table (created, updated, listed) and their results. Each call is
//! the one OpenMetadata 2.0.7's own test runner makes (`metadata/ingestion/ometa/
//! mixins/tests_mixin.py`); the contract server checks them
//! (`dynameta-testkit/src/openmetadata_server/dq.rs`).

use reqwest::Method;
use serde_json::{json, Value};

use super::{fqn, Client, RestConfig, RestError, JSON};

/// Test cases asked for per page when listing a table's cases.
const PAGE: &str = "100";

use crate::config::YamlTestCase;
pub use crate::processors::dq::plan::{untestable_column_name, Definition};
use crate::processors::dq::{CaseOutcome, CaseStatus};

impl Definition {
    /// Reads a `TestDefinition` entity.
    pub fn from_entity(entity: &Value) -> Definition {
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        Definition {
            name: text(entity, "name"),
            entity_type: text(entity, "entityType"),
            parameters: entity
                .get("parameterDefinition")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| {
                    (
                        text(p, "name"),
                        p.get("required").and_then(Value::as_bool).unwrap_or(false),
                    )
                })
                .collect(),
        }
    }
}

/// The `CreateTestCase` body of a YAML case (`compare_and_create_test_cases` in
/// OpenMetadata's `test_case_runner.py`).
pub fn create_body(
    case: &YamlTestCase,
    link: &str,
    _definitions: Option<&std::collections::HashMap<String, Definition>>,
) -> Value {
    let mut body = json!({
        "name": case.name,
        "testDefinition": case.test_definition_name,
        "entityLink": link,
        "computePassedFailedRowCount": case.compute_passed_failed_row_count.unwrap_or(false),
    });
    if let Some(values) = &case.parameter_values {
        body["parameterValues"] = json!(values
            .iter()
            .map(|p| json!({"name": p.name, "value": p.value}))
            .collect::<Vec<_>>());
    }
    if let Some(d) = &case.description {
        body["description"] = json!(d);
    }
    if let Some(d) = &case.display_name {
        body["displayName"] = json!(d);
    }
    body
}

/// The `CreateTestCaseResult` of an outcome: timestamp in milliseconds, passed and
/// failed rows only when the case asks for them.
pub fn result_body(outcome: &CaseOutcome, timestamp: i64, rows: bool) -> Value {
    let status = match outcome.status {
        CaseStatus::Success => "Success",
        CaseStatus::Failed => "Failed",
        CaseStatus::Aborted => "Aborted",
    };
    let mut body = json!({
        "timestamp": timestamp,
        "testCaseStatus": status,
        "result": outcome.result,
        "testResultValue": outcome
            .values
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect::<Vec<_>>(),
    });
    if rows {
        if let Some(n) = outcome.passed_rows {
            body["passedRows"] = json!(n);
        }
        if let Some(n) = outcome.failed_rows {
            body["failedRows"] = json!(n);
        }
        if let Some(p) = outcome.passed_rows_percentage {
            body["passedRowsPercentage"] = json!(p);
        }
        if let Some(p) = outcome.failed_rows_percentage {
            body["failedRowsPercentage"] = json!(p);
        }
    }
    body
}

/// The data-quality client: an authenticated OpenMetadata client.
#[derive(Debug, Clone)]
pub struct DqClient {
    client: Client,
}

/// The entity link of table `table_fqn` or of its top-level column `column`
/// (`basic.json#/definitions/entityLink`).
pub fn entity_link(table_fqn: &str, column: Option<&str>) -> String {
    match column {
        Some(c) => format!("<#E::table::{table_fqn}::columns::{c}>"),
        None => format!("<#E::table::{table_fqn}>"),
    }
}

impl DqClient {
    /// Connects: asks the server's version (refusing unsupported ones) and proves the
    /// token works by reading the service `service`.
    pub async fn connect(config: RestConfig, service: &str) -> Result<DqClient, RestError> {
        let (client, _server) = super::connect_checked(config).await?;
        let dq = DqClient { client };
        dq.service(service, "").await?;
        Ok(dq)
    }

    /// The database service `name` with `fields` (404: an error saying to ingest first).
    pub async fn service(&self, name: &str, fields: &str) -> Result<Value, RestError> {
        let path = format!(
            "/v1/services/databaseServices/name/{}",
            fqn::url_encode(&fqn::quote(name))
        );
        let query: Vec<(&str, &str)> = if fields.is_empty() {
            Vec::new()
        } else {
            vec![("fields", fields)]
        };
        match self
            .client
            .send(Method::GET, &path, &query, None, JSON)
            .await
        {
            Ok(a) => Ok(a.body),
            Err(e) if e.status() == Some(404) => Err(RestError::Status {
                method: "GET".into(),
                path,
                status: 404,
                message: format!("service `{name}` is not in OpenMetadata: run `dynameta ingest` with this serviceName first, then `dynameta test`"),
            }),
            Err(e) => Err(e),
        }
    }

    /// The table `table_fqn` with its columns; `None` when the server has no such table.
    pub async fn table(&self, table_fqn: &str) -> Result<Option<Value>, RestError> {
        let path = format!("/v1/tables/name/{}", fqn::url_encode(table_fqn));
        match self
            .client
            .send(Method::GET, &path, &[("fields", "columns")], None, JSON)
            .await
        {
            Ok(a) => Ok(Some(a.body)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /v1/dataQuality/testDefinitions/name/{name}`; `None` when the server has none.
    pub async fn definition(&self, name: &str) -> Result<Option<Definition>, RestError> {
        let path = format!(
            "/v1/dataQuality/testDefinitions/name/{}",
            fqn::url_encode(name)
        );
        match self.client.send(Method::GET, &path, &[], None, JSON).await {
            Ok(a) => Ok(Some(Definition::from_entity(&a.body))),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every test case of the table `table_fqn` and of its columns, with their test
    /// definitions, paged through `after`.
    pub async fn cases_of_table(&self, table_fqn: &str) -> Result<Vec<Value>, RestError> {
        let link = entity_link(table_fqn, None);
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        // Bounded: a server that keeps answering the same cursor cannot loop us forever.
        for _ in 0..100_000 {
            let mut query = vec![
                ("entityLink", link.as_str()),
                ("includeAllTests", "true"),
                ("fields", "testDefinition"),
                ("limit", PAGE),
            ];
            if let Some(a) = &after {
                query.push(("after", a.as_str()));
            }
            let answer = self
                .client
                .send(Method::GET, "/v1/dataQuality/testCases", &query, None, JSON)
                .await?;
            let data = answer.body.get("data").and_then(Value::as_array);
            out.extend(data.into_iter().flatten().cloned());
            let next = answer
                .body
                .pointer("/paging/after")
                .and_then(Value::as_str)
                .map(str::to_string);
            if next.is_none() || next == after {
                break;
            }
            after = next;
        }
        Ok(out)
    }

    /// `PUT /v1/dataQuality/testCases` (create or update): the stored test case.
    pub async fn put_case(&self, body: &Value) -> Result<Value, RestError> {
        self.client
            .send(
                Method::PUT,
                "/v1/dataQuality/testCases",
                &[],
                Some(body),
                JSON,
            )
            .await
            .map(|a| a.body)
    }

    /// `POST /v1/dataQuality/testCases/testCaseResults/{fqn}`.
    pub async fn post_result(&self, case_fqn: &str, body: &Value) -> Result<(), RestError> {
        let path = format!(
            "/v1/dataQuality/testCases/testCaseResults/{}",
            fqn::url_encode(case_fqn)
        );
        self.client
            .send(Method::POST, &path, &[], Some(body), JSON)
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_links_and_forbidden_names() {
        assert_eq!(entity_link("s.d.sc.t", None), "<#E::table::s.d.sc.t>");
        assert_eq!(
            entity_link("s.d.sc.t", Some("id")),
            "<#E::table::s.d.sc.t::columns::id>"
        );
        assert!(untestable_column_name("id").is_none());
        assert!(untestable_column_name("a.b").is_none());
        for bad in ["a<b", "a>b", "a|b", "a::b", "a:", ""] {
            assert!(untestable_column_name(bad).is_some(), "{bad}");
        }
    }
}
