//! OpenMetadata 2.0.7's TestSuite workflow (`dynameta test`), read unchanged:
//! `source.type: TestSuite` with `sourceConfig.config` = `TestSuitePipeline`
//! (`workflow.json#/$defs/TestSuitePipeline`) and `processor: {type: orm-test-runner,
//! config: {testCases, forceUpdate}}` (`metadata/data_quality/api/models.py`:
//! `TestSuiteProcessorConfig`, `TestCaseDefinition`).
//!
//! The file is turned into the DynamoDB workflow every other command reads (same
//! `serviceConnection`, sink and `workflowConfig` checks, same key paths in errors), and
//! the test-suite part is kept beside it in [`TestSuite`].

use serde::Deserialize;
use serde_json::{json, Value};

use super::{decode, ConfigError};

/// What the TestSuite part of the file asks for.
#[derive(Debug, Clone, Default)]
pub struct TestSuite {
    /// `sourceConfig.config.entityFullyQualifiedName`: the one table tested, as
    /// `service.database.schema.table`; `None` for the service-wide form (every table
    /// the connection's `tableFilterPattern` selects).
    pub entity_fqn: Option<String>,
    /// The DynamoDB table named by `entity_fqn`.
    pub table: Option<String>,
    /// `processor.config.testCases`.
    pub cases: Vec<YamlTestCase>,
    /// `sourceConfig.config.testCases`: only these test cases run (all when `None`).
    pub only: Option<Vec<String>>,
    /// `processor.config.forceUpdate`: a YAML case that exists on the server replaces
    /// its definition there (else the server's definition runs).
    pub force_update: bool,
    /// Keys read but not honoured, said in the summary.
    pub warnings: Vec<String>,
    /// `source.serviceConnection` is not in the file: it is read from the OpenMetadata
    /// service (`GET /v1/services/databaseServices/name/{serviceName}`), as OpenMetadata's
    /// own runner does, and the file loaded again with it ([`super::load_with_connection`]).
    pub connection_from_server: bool,
}

/// What stands for the connection until the service's is read: never used to connect.
const PLACEHOLDER_CONNECTION: &str =
    r#"{"config": {"type": "DynamoDB", "awsConfig": {"awsRegion": "us-east-1"}}}"#;

/// `processor.config.testCases[]` (`TestCaseDefinition`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct YamlTestCase {
    /// Test case name (unique in its table or column).
    pub name: String,
    /// Shown in OpenMetadata.
    pub display_name: Option<String>,
    /// Shown in OpenMetadata.
    pub description: Option<String>,
    /// The test definition, e.g. `columnValuesToBeUnique`.
    pub test_definition_name: String,
    /// The column (top-level attribute) of a column test.
    pub column_name: Option<String>,
    /// `[{name, value}]`.
    pub parameter_values: Option<Vec<ParameterValue>>,
    /// Report passed and failed rows.
    pub compute_passed_failed_row_count: Option<bool>,
}

/// One `{name, value}` of `parameterValues`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ParameterValue {
    /// Parameter name.
    pub name: String,
    /// Its value, a string as OpenMetadata stores it (numbers and booleans written
    /// unquoted in the YAML are taken as their text).
    #[serde(default, deserialize_with = "text_value")]
    pub value: Option<String>,
}

fn text_value<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        Value::String(s) => Some(s),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => {
            return Err(serde::de::Error::custom(format!(
                "a parameter value is a string, not {other}"
            )))
        }
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Pipeline {
    #[serde(rename = "type")]
    kind: String,
    entity_fully_qualified_name: Option<String>,
    service_connections: Option<serde::de::IgnoredAny>,
    profile_sample_config: Option<Value>,
    test_cases: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Processor {
    #[serde(rename = "type")]
    kind: String,
    config: Option<ProcessorConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ProcessorConfig {
    test_cases: Option<Vec<YamlTestCase>>,
    force_update: Option<bool>,
}

/// Takes the TestSuite parts out of the expanded workflow `value` and rewrites it into
/// the DynamoDB form (`source.type: dynamodb`, a `DatabaseMetadata` pipeline without
/// filters), which the caller resolves as usual.
pub(super) fn split(
    value: &mut Value,
    connection: Option<&Value>,
) -> Result<TestSuite, ConfigError> {
    let kind = value
        .pointer("/source/type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !kind.eq_ignore_ascii_case("TestSuite") {
        return Err(ConfigError::invalid_hint(
            "source.type",
            format!("`dynameta test` reads OpenMetadata's TestSuite workflow, but this file has `type: {kind}`."),
            "Set `source.type: TestSuite` with `sourceConfig.config.type: TestSuite` (see examples/testsuite.yaml).",
        ));
    }
    let key = "source.sourceConfig.config";
    let pipeline_value = value
        .pointer("/source/sourceConfig/config")
        .cloned()
        .unwrap_or(Value::Null);
    if pipeline_value.is_null() {
        return Err(ConfigError::invalid(
            key,
            "required key is missing. Add `sourceConfig: {config: {type: TestSuite, entityFullyQualifiedName: <service>.default.default.<table>}}`.",
        ));
    }
    let pipeline: Pipeline = decode(pipeline_value, key)?;
    if pipeline.kind != "TestSuite" {
        return Err(ConfigError::invalid(
            format!("{key}.type"),
            format!(
                "`dynameta test` needs `type: TestSuite`, but this file holds a `{}` pipeline.",
                pipeline.kind
            ),
        ));
    }
    let mut suite = TestSuite {
        only: pipeline.test_cases,
        ..TestSuite::default()
    };
    if pipeline.service_connections.is_some() {
        suite.warnings.push(format!("{key}.serviceConnections is for OpenMetadata's logical test suites and is not read: dynameta tests the table(s) of source.serviceConnection"));
    }
    if pipeline.profile_sample_config.is_some() {
        suite.warnings.push(format!("{key}.profileSampleConfig is not honoured: data-quality tests read every item of the table"));
    }
    let processor = match value.get("processor").filter(|p| !p.is_null()) {
        Some(p) => Some(decode::<Processor>(p.clone(), "processor")?),
        None => None,
    };
    if let Some(p) = &processor {
        if p.kind != "orm-test-runner" {
            return Err(ConfigError::invalid(
                "processor.type",
                format!(
                    "`{}` is not OpenMetadata's test runner; write `type: orm-test-runner`.",
                    p.kind
                ),
            ));
        }
    }
    let config = processor.and_then(|p| p.config).unwrap_or_default();
    suite.force_update = config.force_update.unwrap_or(false);
    suite.cases = config.test_cases.unwrap_or_default();
    check_cases(&suite.cases)?;

    let service = value
        .pointer("/source/serviceName")
        .and_then(Value::as_str)
        .map(str::to_string);
    let database = value
        .pointer("/source/serviceConnection/config/databaseName")
        .and_then(Value::as_str)
        .filter(|d| !d.trim().is_empty())
        .unwrap_or(super::DEFAULT_NAME)
        .to_string();
    if let Some(entity) = pipeline.entity_fully_qualified_name {
        let parts = crate::openmetadata::fqn::split(&entity);
        let at = format!("{key}.entityFullyQualifiedName");
        let [s, d, sc, t] = parts.as_slice() else {
            return Err(ConfigError::invalid_hint(
                at,
                format!("`{entity}` is not a table's fully qualified name (service.database.schema.table)."),
                format!("Write it as `{}.{database}.default.<table>`; quote a part holding a dot: `svc.default.default.\"orders.v2\"`.", service.as_deref().unwrap_or("<serviceName>")),
            ));
        };
        if service.as_deref().is_some_and(|n| n != s) {
            return Err(ConfigError::invalid(
                at,
                format!(
                    "`{entity}` names service `{s}`, but source.serviceName is `{}`; they must be the same service.",
                    service.unwrap_or_default()
                ),
            ));
        }
        // In an estate (issue 25) the database is an account and the schema a region:
        // `dynameta test` routes the table to its pair, or says that none holds it.
        let estate = value
            .pointer("/source/serviceConnection/config/connectionArguments")
            .or_else(|| connection.and_then(|c| c.get("connectionArguments")))
            .and_then(Value::as_object)
            .is_some_and(super::estate::is_estate_raw);
        if !estate && (*d != database || sc != super::DEFAULT_NAME) {
            return Err(ConfigError::invalid(
                at,
                format!("`{entity}` is not a dynameta table: its database must be `{database}` (serviceConnection.config.databaseName) and its schema `default`."),
            ));
        }
        suite.table = Some(t.clone());
        suite.entity_fqn = Some(entity);
    }

    let absent = value
        .pointer("/source/serviceConnection")
        .is_none_or(Value::is_null);
    if let Some(c) = connection {
        value["source"]["serviceConnection"] = json!({ "config": c });
    } else if absent {
        let rest = value.pointer("/sink/type").and_then(Value::as_str) == Some("metadata-rest");
        if !rest {
            return Err(ConfigError::invalid_hint(
                "source.serviceConnection",
                "required key is missing: without an OpenMetadata server (sink `metadata-rest`) there is no service to read the connection from.",
                "Add `serviceConnection: {config: {type: DynamoDB, awsConfig: {awsRegion: ...}}}`, or use `sink: {type: metadata-rest}` with workflowConfig.openMetadataServerConfig to read the service's connection.",
            ));
        }
        suite.connection_from_server = true;
        value["source"]["serviceConnection"] =
            serde_json::from_str(PLACEHOLDER_CONNECTION).unwrap_or(Value::Null);
    }

    // The DynamoDB form of the file.
    let source = value
        .get_mut("source")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| ConfigError::invalid("source", "must be a mapping."))?;
    source.insert("type".into(), json!("dynamodb"));
    source.insert(
        "sourceConfig".into(),
        json!({"config": {"type": "DatabaseMetadata"}}),
    );
    if let Some(object) = value.as_object_mut() {
        object.remove("processor");
    }
    Ok(suite)
}

/// Checks the YAML's cases before anything is sent: names unique, a name and a
/// definition given.
fn check_cases(cases: &[YamlTestCase]) -> Result<(), ConfigError> {
    let mut seen = std::collections::HashSet::new();
    for (i, case) in cases.iter().enumerate() {
        let at = format!("processor.config.testCases[{i}]");
        if case.name.trim().is_empty() {
            return Err(ConfigError::invalid(
                format!("{at}.name"),
                "must not be empty: name every test case.",
            ));
        }
        if case.test_definition_name.trim().is_empty() {
            return Err(ConfigError::invalid(
                format!("{at}.testDefinitionName"),
                "must not be empty: name the test definition, e.g. `columnValuesToBeUnique`.",
            ));
        }
        let target = (case.column_name.as_deref(), case.name.as_str());
        if !seen.insert(target) {
            return Err(ConfigError::invalid(
                format!("{at}.name"),
                format!(
                    "test case `{}` is defined twice for the same {}; give each a different name.",
                    case.name,
                    case.column_name
                        .as_deref()
                        .map_or("table".to_string(), |c| format!("column `{c}`"))
                ),
            ));
        }
        for (j, p) in case.parameter_values.iter().flatten().enumerate() {
            if p.name.trim().is_empty() {
                return Err(ConfigError::invalid(
                    format!("{at}.parameterValues[{j}].name"),
                    format!("must not be empty (test case `{}`).", case.name),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{parse, Command};

    const SUITE: &str = r#"
source:
  type: TestSuite
  serviceName: svc
  serviceConnection:
    config:
      type: DynamoDB
      awsConfig:
        awsRegion: us-east-1
        endPointURL: http://127.0.0.1:8000
  sourceConfig:
    config:
      type: TestSuite
      entityFullyQualifiedName: svc.default.default."orders.v2"
processor:
  type: orm-test-runner
  config:
    forceUpdate: true
    testCases:
      - name: rows
        testDefinitionName: tableRowCountToBeBetween
        parameterValues:
          - name: minValue
            value: 1
      - name: unique_id
        testDefinitionName: columnValuesToBeUnique
        columnName: id
        computePassedFailedRowCount: true
sink:
  type: local
"#;

    fn load(text: &str) -> Result<crate::config::Workflow, crate::config::ConfigError> {
        parse(text, Path::new("suite.yaml"), Command::Test, &|_| None)
    }

    #[test]
    fn test_suite_workflow_reads_unchanged() {
        let wf = load(SUITE).unwrap();
        let suite = wf.test_suite.unwrap();
        assert_eq!(suite.table.as_deref(), Some("orders.v2"));
        assert!(suite.force_update);
        assert_eq!(suite.cases.len(), 2);
        // An unquoted number is its text, as OpenMetadata stores parameter values.
        let p = &suite.cases[0].parameter_values.as_ref().unwrap()[0];
        assert_eq!(p.value.as_deref(), Some("1"));
        assert_eq!(suite.cases[1].column_name.as_deref(), Some("id"));
        assert_eq!(suite.cases[1].compute_passed_failed_row_count, Some(true));
        assert_eq!(wf.service_name, "svc");
        assert_eq!(wf.sink.unwrap().kind, "local");
    }

    #[test]
    fn service_wide_form_selects_by_the_connections_table_filter() {
        let text = SUITE
            .replace(
                "      entityFullyQualifiedName: svc.default.default.\"orders.v2\"\n",
                "",
            )
            .replace(
                "        endPointURL: http://127.0.0.1:8000\n",
                "        endPointURL: http://127.0.0.1:8000\n      tableFilterPattern:\n        includes: [\"^orders\"]\n",
            );
        let wf = load(&text).unwrap();
        assert!(wf.test_suite.unwrap().table.is_none());
        assert!(wf.filters.table.excludes("users"));
        assert!(!wf.filters.table.excludes("orders_2"));
    }

    proptest::proptest! {
        /// Any entity FQN, case name, column or parameter value: loaded, or refused with
        /// an error naming a key; never a panic. A loaded FQN names this service's table.
        #[test]
        fn any_names_load_or_say_which_key(fqn in "\\PC{0,40}", name in "\\PC{0,20}", column in "\\PC{0,20}", value in "\\PC{0,20}") {
            let quoted = |s: &str| serde_json::to_string(s).unwrap();
            let text = SUITE
                .replace("svc.default.default.\"orders.v2\"", &quoted(&fqn))
                .replace("name: unique_id", &format!("name: {}", quoted(&name)))
                .replace("columnName: id", &format!("columnName: {}", quoted(&column)))
                .replace("value: 1", &format!("value: {}", quoted(&value)));
            match load(&text) {
                Ok(wf) => {
                    let suite = wf.test_suite.unwrap();
                    proptest::prop_assert!(suite.table.is_some());
                    proptest::prop_assert_eq!(suite.cases[0].parameter_values.as_ref().unwrap()[0].value.as_deref(), Some(value.as_str()));
                }
                Err(e) => {
                    let text = e.to_string();
                    proptest::prop_assert!(text.contains("source") || text.contains("processor") || text.contains("line"), "{}", text);
                }
            }
        }
    }

    #[test]
    fn test_suite_errors_name_the_key() {
        let cases = [
            (
                SUITE.replace("parameterValues:\n          - name: minValue", "paramValues:\n          - name: minValue"),
                "processor.config.testCases[0]",
            ),
            (
                SUITE.replace("svc.default.default.\"orders.v2\"", "other.default.default.t"),
                "entityFullyQualifiedName",
            ),
            (
                SUITE.replace("svc.default.default.\"orders.v2\"", "svc.default.orders"),
                "entityFullyQualifiedName",
            ),
            (SUITE.replace("orm-test-runner", "my-runner"), "processor.type"),
            (
                SUITE.replace("      type: TestSuite\n", "      type: Profiler\n"),
                "source.sourceConfig.config.type",
            ),
            (
                SUITE.replace(
                    "name: unique_id\n        testDefinitionName: columnValuesToBeUnique\n        columnName: id",
                    "name: rows\n        testDefinitionName: tableRowCountToEqual",
                ),
                "defined twice",
            ),
        ];
        for (text, key) in cases {
            let e = load(&text).unwrap_err().to_string();
            assert!(e.contains(key), "{key}: {e}");
        }
        // The other commands refuse a TestSuite file, and `test` refuses theirs.
        let e = parse(SUITE, Path::new("s.yaml"), Command::Profile, &|_| None).unwrap_err();
        assert!(e.to_string().contains("source.type"), "{e}");
        let ingest = SUITE.replace(
            "type: TestSuite\n  serviceName",
            "type: dynamodb\n  serviceName",
        );
        let e = load(&ingest).unwrap_err().to_string();
        assert!(e.contains("TestSuite"), "{e}");
    }
}
