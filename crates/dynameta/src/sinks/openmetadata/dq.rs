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

use std::collections::HashMap;

use crate::config::{TestSuite, YamlTestCase};
use crate::processors::dq::cases::{self, Planned, Prepared};
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
        post_result(&self.client, case_fqn, body).await
    }

    /// The DynamoDB connection stored in the service `service` (`connection.config`),
    /// refused when a secret in it is masked (`**********`: the server hides secrets
    /// from a token not allowed to see them). `dynameta test` reads it when the file
    /// has no `serviceConnection`, as OpenMetadata's runner does.
    pub async fn connection_of_service(
        &self,
        service: &str,
    ) -> Result<Value, ServiceConnectionError> {
        let entity = self.service(service, "connection").await?;
        let Some(config) = entity
            .pointer("/connection/config")
            .filter(|c| c.is_object())
        else {
            return Err(ServiceConnectionError::Unusable(format!(
                "source.serviceConnection: not in the file, and OpenMetadata's service `{service}` holds no connection either. Add `serviceConnection: {{config: {{type: DynamoDB, awsConfig: {{awsRegion: ...}}}}}}` to the file"
            )));
        };
        let masked = masked_paths(config, "connection.config");
        if !masked.is_empty() {
            return Err(ServiceConnectionError::Unusable(format!(
                "source.serviceConnection: not in the file, and the connection stored in OpenMetadata's service `{service}` has no usable secret: {} {} masked (`{}`): the server does not show secrets to this token. Put serviceConnection in the file (with `${{ENV}}` for the secrets), or run with a bot token allowed to view the service's connection",
                masked.join(", "),
                if masked.len() == 1 { "is" } else { "are" },
                crate::secret::MASK
            )));
        }
        Ok(config.clone())
    }

    /// Reads the test definitions the YAML's cases name and checks their parameters
    /// against them (unknown, missing, a column test without a column): nothing is
    /// sent if one case is wrong ([`DefinitionError::Case`]).
    pub async fn check_definitions(
        &self,
        suite: &TestSuite,
    ) -> Result<HashMap<String, Definition>, DefinitionError> {
        let mut definitions: HashMap<String, Definition> = HashMap::new();
        for case in &suite.cases {
            let name = &case.test_definition_name;
            if !definitions.contains_key(name) {
                match self.definition(name).await? {
                    Some(d) => {
                        definitions.insert(name.clone(), d);
                    }
                    None => {
                        return Err(DefinitionError::Case {
                            case: case.name.clone(),
                            problem: format!("the OpenMetadata server has no test definition `{name}`. Check testDefinitionName (e.g. `columnValuesToBeUnique`; definitions are case-sensitive)."),
                        })
                    }
                }
            }
            if let Some(d) = definitions.get(name) {
                crate::processors::dq::plan::check_case(case, d).map_err(|problem| {
                    DefinitionError::Case {
                        case: case.name.clone(),
                        problem,
                    }
                })?;
            }
        }
        Ok(definitions)
    }

    /// The cases of table `table_fqn` on the server: the YAML's created or updated
    /// there (an existing one is replaced only with `forceUpdate`, else a warning goes
    /// to `warnings`), and every case the server holds for the table, in the server's
    /// order. Cases on columns OpenMetadata cannot hold are set aside as not testable;
    /// a YAML case on a column the table does not have is an error.
    pub async fn prepare(
        &self,
        suite: &TestSuite,
        definitions: &HashMap<String, Definition>,
        table_fqn: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Prepared, String> {
        let entity = self
            .table(table_fqn)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("table {table_fqn} is not in OpenMetadata: run `dynameta ingest` first, so that its columns exist"))?;
        let columns: Vec<String> = entity
            .get("columns")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
            .collect();
        let existing = self
            .cases_of_table(table_fqn)
            .await
            .map_err(|e| e.to_string())?;
        let mut stored = existing.clone();
        let mut set_aside = Vec::new();
        for case in cases::selected(suite) {
            if let Some(col) = &case.column_name {
                if let Some(why) = crate::processors::dq::plan::untestable(col, &columns) {
                    set_aside.push(cases::not_testable(case, why));
                    continue;
                }
                if !columns.iter().any(|c| c == col) {
                    return Err(format!("test case `{}`: table {table_fqn} has no column `{col}` in OpenMetadata; check columnName (top-level attribute names are case-sensitive)", case.name));
                }
            }
            let link = entity_link(table_fqn, case.column_name.as_deref());
            let body = create_body(case, &link, Some(definitions));
            let found = existing.iter().position(|c| {
                c.get("name").and_then(Value::as_str) == Some(case.name.as_str())
                    && c.get("entityLink").and_then(Value::as_str) == Some(link.as_str())
            });
            match found {
                Some(_) if !suite.force_update => {
                    warnings.push(format!("test case `{}` of {table_fqn} already exists in OpenMetadata: its definition there ran (set processor.config.forceUpdate: true to replace it with the YAML's)", case.name));
                }
                found => {
                    let put = self
                        .put_case(&body)
                        .await
                        .map_err(|e| format!("test case `{}`: {e}", case.name))?;
                    let put = with_definition(put, &case.test_definition_name);
                    match found {
                        Some(i) => stored[i] = put,
                        None => stored.push(put),
                    }
                }
            }
        }
        let yaml_names: Vec<&str> = suite.cases.iter().map(|c| c.name.as_str()).collect();
        let planned = stored
            .iter()
            .map(|c| Planned::of_stored(c, table_fqn, &yaml_names))
            .filter(|p| cases::is_selected(suite, &p.name))
            .collect();
        Ok(Prepared {
            cases: planned,
            columns,
            untestable: set_aside,
        }
        .in_server_order())
    }
}

/// `POST /v1/dataQuality/testCases/testCaseResults/{fqn}` of `body` with `client` (the
/// REST sink's, when it publishes a `testCaseResult` record).
pub(crate) async fn post_result(
    client: &Client,
    case_fqn: &str,
    body: &Value,
) -> Result<(), RestError> {
    let path = format!(
        "/v1/dataQuality/testCases/testCaseResults/{}",
        fqn::url_encode(case_fqn)
    );
    client
        .send(Method::POST, &path, &[], Some(body), JSON)
        .await
        .map(|_| ())
}

/// Why the connection stored in OpenMetadata's service cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ServiceConnectionError {
    /// The server could not be reached or refused the call.
    #[error("{0}")]
    Server(#[from] RestError),
    /// There is none, or its secrets are masked: the message says what to do.
    #[error("{0}")]
    Unusable(String),
}

/// Why the YAML's cases cannot be sent.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    /// The server could not be reached or refused the call.
    #[error("{0}")]
    Server(#[from] RestError),
    /// A case names no definition the server has, or its parameters do not fit it.
    #[error("processor.config.testCases: test case `{case}`: {problem}")]
    Case {
        /// The test case's name.
        case: String,
        /// What is wrong.
        problem: String,
    },
}

/// Key paths under `at` whose value is OpenMetadata's mask.
fn masked_paths(value: &Value, at: &str) -> Vec<String> {
    match value {
        Value::String(s) if s == crate::secret::MASK => vec![at.to_string()],
        Value::Object(o) => o
            .iter()
            .flat_map(|(k, v)| masked_paths(v, &format!("{at}.{k}")))
            .collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .flat_map(|(i, v)| masked_paths(v, &format!("{at}[{i}]")))
            .collect(),
        _ => Vec::new(),
    }
}

/// A stored case as PUT returns it carries no `testDefinition` name unless asked;
/// the YAML's is the one it was created with.
fn with_definition(mut stored: Value, definition: &str) -> Value {
    if stored.pointer("/testDefinition/name").is_none() {
        stored["testDefinition"] = json!({ "name": definition });
    }
    stored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_secrets_are_found_where_they_are() {
        let c = json!({"awsConfig": {"awsRegion": "us-east-1", "awsSecretAccessKey": "**********"}, "x": ["**********"]});
        assert_eq!(
            masked_paths(&c, "connection.config"),
            [
                "connection.config.awsConfig.awsSecretAccessKey",
                "connection.config.x[0]"
            ]
        );
        assert!(masked_paths(&json!({"awsConfig": {"awsRegion": "eu-west-1"}}), "c").is_empty());
    }

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
