//! The OpenMetadata custom connector `dynameta.openmetadata.DynamoDBSource` (python/),
//! run by OpenMetadata's own framework (`openmetadata-ingestion` 2.0.7: `MetadataWorkflow`
//! with `source.type: customDatabase`, its metadata-rest sink, its test-connection
//! runner) against DynamoDB Local and the contract server. The connector runs this
//! test's `dynameta` binary (`DYNAMETA_BIN`) and is imported from python/ (`PYTHONPATH`).

use std::path::{Path, PathBuf};
use std::process::Command;

use dynameta_testkit::openmetadata_server::ContractServer;
use dynameta_testkit::{corpus, dynamodb_local, om_python, unique_access_key};
use serde_json::Value;

use super::support::*;

fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python")
}

/// Runs `python/tests/om_workflow.py MODE wf.yaml` with OpenMetadata's venv; returns
/// (its JSON report, stdout and stderr together).
fn om_workflow(mode: &str, wf: &Path) -> (Value, String) {
    let out = Command::new(om_python())
        .arg(python_dir().join("tests/om_workflow.py"))
        .args([mode, wf.to_str().unwrap()])
        .env("PYTHONPATH", python_dir())
        .env("DYNAMETA_BIN", env!("CARGO_BIN_EXE_dynameta"))
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .expect("run om_workflow.py with the OpenMetadata venv's python");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let all = format!("{stdout}\n{stderr}");
    assert_eq!(out.status.code(), Some(0), "om_workflow.py failed:\n{all}");
    let report = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l).ok())
        .unwrap_or_else(|| panic!("no JSON report from om_workflow.py:\n{all}"));
    (report, all)
}

/// The corpus (5 tables + 3 filler) in a namespace of its own.
fn seed(key: &str) {
    let endpoint = dynamodb_local().endpoint.clone();
    let key = key.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
            corpus::seed(&client, 3).await;
        })
    })
    .join()
    .unwrap();
}

/// An OpenMetadata workflow for the custom connector: `connectionOptions` with the
/// awsConfig keys under their OpenMetadata names, and dynameta's options as strings.
fn custom_workflow(endpoint: &str, key: &str, service: &str, server: &str) -> String {
    format!(
        r#"source:
  type: customDatabase
  serviceName: {service}
  serviceConnection:
    config:
      type: CustomDatabase
      sourcePythonClass: dynameta.openmetadata.DynamoDBSource
      connectionOptions:
        awsAccessKeyId: {key}
        awsSecretAccessKey: {SECRET_MARKER}
        awsSessionToken: {TOKEN_MARKER}
        awsRegion: us-east-1
        endPointURL: {endpoint}
        sampleSize: "200"
        maxAttempts: "3"
  sourceConfig:
    config:
      type: DatabaseMetadata
      tableFilterPattern:
        excludes: ["bulk_002"]
sink:
  type: metadata-rest
  config: {{}}
workflowConfig:
  loggerLevel: DEBUG
  openMetadataServerConfig:
    hostPort: {server}/api
    authProvider: openmetadata
    securityConfig:
      jwtToken: {JWT_MARKER}
"#
    )
}

/// The table filter of every workflow here (as `sourceConfig.config` lines).
const EXCLUDE: &str = "      tableFilterPattern:\n        excludes: [\"bulk_002\"]\n";

fn names(values: &Value) -> Vec<String> {
    let mut v: Vec<String> = values
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn step<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no step {name} in {report}"))
}

#[test]
fn metadata_workflow_publishes_the_corpus_through_the_custom_connector() {
    let key = unique_access_key("om-connector");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = &dynamodb_local().endpoint;
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let yaml = custom_workflow(endpoint, &key, "om_custom", &server.endpoint());
    let wf = write(dir.path(), "om.yaml", &yaml);

    let (report, output) = om_workflow("metadata", &wf);
    assert_no_secrets(&output, "the OpenMetadata workflow's output");
    assert_eq!(report["created"], true, "{report}");
    assert_eq!(report["raised"], Value::Null, "{report}");
    assert_eq!(report["raise_from_status"], Value::Null, "{report}");
    assert_eq!(report["success"], 100.0, "{report}");

    // What dynameta's own file sink writes for the same tables: the reference.
    let out = dir.path().join("reference.jsonl");
    let reference = ingest_json(
        dir.path(),
        "ref.yaml",
        &WorkflowBuilder::new(endpoint, &key)
            .service_name("om_custom")
            .connection_argument("sampleSize", "200")
            .source_lines(EXCLUDE)
            .file_sink(&out)
            .yaml(),
    );
    assert_eq!(reference.code, 0, "{}", reference.output());
    let expected = records(&out);
    let tables = table_names(&expected);
    assert_eq!(tables.len(), 7, "{tables:?}");

    // OpenMetadata's status: the source yielded service, database, schema and every
    // table; the sink published each; the excluded table is counted as filtered.
    let source = step(&report, "Source");
    let mut want: Vec<String> = tables
        .iter()
        .map(|t| format!("CreateTableRequest [{t}]"))
        .chain([
            "CreateDatabaseServiceRequest [om_custom]".to_string(),
            "CreateDatabaseRequest [default]".to_string(),
            "CreateDatabaseSchemaRequest [default]".to_string(),
        ])
        .collect();
    want.sort();
    assert_eq!(names(&source["records"]), want, "{source}");
    assert_eq!(source["failures"], serde_json::json!([]), "{source}");
    assert_eq!(
        source["filtered"],
        serde_json::json!([{"bulk_002": "filtered out by the table filter pattern"}]),
        "{source}"
    );
    // The sink's records name what the server accepted: each table once. (It counts
    // the service twice: OpenMetadata's sink scans a single create, then its step
    // scans the same result again.)
    let sink = step(&report, "OpenMetadata");
    assert_eq!(sink["failures"], serde_json::json!([]), "{sink}");
    let sunk = sink["records"].to_string();
    for name in &tables {
        let fqn = if name.contains('.') {
            format!("om_custom.default.default.\\\"{name}\\\"'")
        } else {
            format!("om_custom.default.default.{name}'")
        };
        assert_eq!(sunk.matches(&fqn).count(), 1, "{fqn} in {sunk}");
    }

    // Every table arrived, with the columns and constraints dynameta inferred.
    let published = server.entities("table");
    assert_eq!(published.len(), tables.len(), "{published:?}");
    for name in &tables {
        let fqn = if name.contains('.') {
            format!("om_custom.default.default.\"{name}\"")
        } else {
            format!("om_custom.default.default.{name}")
        };
        let table = server
            .entity("table", &fqn)
            .unwrap_or_else(|| panic!("{fqn} not published"));
        let want = create_table(&expected, name);
        let cols = |v: &Value| -> Vec<(String, String)> {
            v["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["name"].as_str().unwrap().to_string(),
                        c["dataType"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        assert_eq!(cols(&table), cols(want), "{fqn}");
        assert_eq!(table["tableConstraints"], want["tableConstraints"], "{fqn}");
    }
    // The service is a Custom Database one, naming the connector, without any key.
    let service = server.entity("databaseService", "om_custom").unwrap();
    assert_eq!(service["serviceType"], "CustomDatabase", "{service}");
    let config = &service["connection"]["config"];
    assert_eq!(
        config["sourcePythonClass"],
        "dynameta.openmetadata.DynamoDBSource"
    );
    assert_eq!(config["connectionOptions"]["awsRegion"], "us-east-1");
    assert_eq!(config["connectionOptions"]["awsAccessKeyId"], Value::Null);
    for kind in ["databaseService", "database", "databaseSchema", "table"] {
        let text = serde_json::to_string(&server.entities(kind)).unwrap();
        assert_no_secrets(&text, kind);
    }

    // Profile and classify run beside it as dynameta's own steps, publishing to the
    // tables the connector created (README: "Running inside OpenMetadata").
    for (command, pipeline) in [("profile", "Profiler"), ("classify", "AutoClassification")] {
        let yaml = WorkflowBuilder::new(endpoint, &key)
            .service_name("om_custom")
            .pipeline(pipeline)
            .source_lines(EXCLUDE)
            .rest_sink(&format!("{}/api", server.endpoint()))
            .yaml();
        let wf = write(dir.path(), &format!("{command}.yaml"), &yaml);
        let run = dynameta(
            &[command, "-c", wf.to_str().unwrap(), "--log-format", "json"],
            &[],
        );
        assert_eq!(run.code, 0, "{command}: {}", run.output());
        assert_eq!(
            summary(&run)["failures"],
            serde_json::json!([]),
            "{command}"
        );
    }
    let profiled = server
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.ends_with("/tableProfile"))
        .count();
    assert_eq!(profiled, tables.len(), "one profile per table");

    // A second run finds the service and leaves it alone (its stored options may hold
    // keys): only database, schema and tables are sent, and nothing changes version.
    let versions = |server: &ContractServer| -> Vec<(String, Value)> {
        let mut v: Vec<(String, Value)> = ["databaseService", "table"]
            .iter()
            .flat_map(|k| server.entities(k))
            .map(|e| (e["fullyQualifiedName"].to_string(), e["version"].clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let before = versions(&server);
    let (again, output) = om_workflow("metadata", &wf);
    assert_no_secrets(&output, "the second run's output");
    assert_eq!(again["success"], 100.0, "{again}");
    let source = step(&again, "Source");
    assert_eq!(
        source["records"].as_array().unwrap().len(),
        want.len() - 1,
        "{source}"
    );
    assert_eq!(versions(&server), before);
}

fn drop_table(key: &str, name: &str) {
    let endpoint = dynamodb_local().endpoint.clone();
    let (key, name) = (key.to_string(), name.to_string());
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
            client
                .delete_table()
                .table_name(&name)
                .send()
                .await
                .unwrap();
        })
    })
    .join()
    .unwrap();
}

/// `markDeletedTables` (default true): a table dropped from DynamoDB between two runs
/// of OpenMetadata's MetadataWorkflow with the custom connector is soft-deleted, by the
/// same deleteStale the REST sink sends; with `markDeletedTables: false` it is not.
#[test]
fn mark_deleted_tables_soft_deletes_a_dropped_table_unless_disabled() {
    let key = unique_access_key("om-mark");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = &dynamodb_local().endpoint;
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let yaml = custom_workflow(endpoint, &key, "om_mark", &server.endpoint());
    let wf = write(dir.path(), "om.yaml", &yaml);
    let (first, output) = om_workflow("metadata", &wf);
    assert_no_secrets(&output, "first run");
    assert_eq!(first["success"], 100.0, "{first}");
    let live = |server: &ContractServer| -> Vec<String> {
        let mut v: Vec<String> = server
            .entities("table")
            .into_iter()
            .filter(|t| t["deleted"] != true)
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let published = live(&server);
    assert!(published.contains(&"bulk_000".to_string()), "{published:?}");
    assert!(
        !server
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/deleteStale")),
        "the run that creates the service has nothing to delete"
    );

    drop_table(&key, "bulk_000");
    let (second, output) = om_workflow("metadata", &wf);
    assert_no_secrets(&output, "second run");
    assert_eq!(second["success"], 100.0, "{second}");
    let gone = server
        .entity("table", "om_mark.default.default.bulk_000")
        .unwrap();
    assert_eq!(gone["deleted"], true, "soft-deleted: {gone}");
    let mut expected = published.clone();
    expected.retain(|n| n != "bulk_000");
    assert_eq!(live(&server), expected, "only the dropped table is deleted");
    let stale: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE" && r.path == "/api/v1/tables/deleteStale")
        .collect();
    assert_eq!(stale.len(), 1, "one deleteStale request");
    let body = stale[0].body.as_ref().unwrap();
    assert_eq!(body["scopeFqn"], "om_mark.default.default");
    assert_eq!(body["scopeEntityType"], "databaseSchema");
    assert!(
        output.contains("marked deleted om_mark.default.default.bulk_000"),
        "{output}"
    );

    // markDeletedTables: false — a table dropped now stays.
    let off = yaml.replace(
        "      type: DatabaseMetadata\n",
        "      type: DatabaseMetadata\n      markDeletedTables: false\n",
    );
    assert_ne!(off, yaml);
    let wf = write(dir.path(), "off.yaml", &off);
    drop_table(&key, "bulk_001");
    let (third, output) = om_workflow("metadata", &wf);
    assert_no_secrets(&output, "third run");
    assert_eq!(third["success"], 100.0, "{third}");
    assert_eq!(
        live(&server),
        expected,
        "bulk_001 stays with markDeletedTables: false"
    );
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/deleteStale"))
            .count(),
        1,
        "no deleteStale with markDeletedTables: false"
    );
}

#[test]
fn the_custom_connector_example_is_an_openmetadata_workflow() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/openmetadata/custom-connector.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let yaml: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let value = serde_json::to_value(yaml).unwrap();
    if let Err(errors) = dynameta_testkit::schema::validate("workflow.json", &value) {
        panic!("{}:\n{}", file.display(), errors.join("\n"));
    }
    assert_eq!(
        value["source"]["serviceConnection"]["config"]["sourcePythonClass"],
        "dynameta.openmetadata.DynamoDBSource"
    );
}

#[test]
fn rejected_credentials_fail_test_connection_with_dynameta_step_and_hint() {
    // moto_strict authenticates every request, as AWS does: unknown keys are refused.
    let dir = tempfile::tempdir().unwrap();
    let endpoint = &dynameta_testkit::moto_strict().endpoint;
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let yaml = custom_workflow(endpoint, "AKIDNOSUCHUSER", "om_bad", &server.endpoint());
    let wf = write(dir.path(), "bad.yaml", &yaml);

    // The workflow does not start: the source's test connection names the step and hint.
    let (report, output) = om_workflow("metadata", &wf);
    assert_no_secrets(&output, "a failed workflow's output");
    assert_eq!(report["created"], false, "{report}");
    let error = report["error"].as_str().unwrap();
    assert!(error.contains("SourceConnectionException"), "{error}");
    assert!(error.contains("ListTables: FAIL"), "{error}");
    assert!(
        error.contains("hint: the credentials were rejected"),
        "{error}"
    );
    assert!(server.entities("table").is_empty());
    assert!(server.entity("databaseService", "om_bad").is_none());

    // The UI's Test Connection: OpenMetadata finds `test_connection` in the connector's
    // module and reports dynameta's steps as its own, the hint as the message.
    let (result, output) = om_workflow("test-connection", &wf);
    assert_no_secrets(&output, "the UI test connection's output");
    assert_eq!(
        result["function"], "dynameta.openmetadata.test_connection",
        "{result}"
    );
    let list_tables = step(&result, "ListTables");
    assert_eq!(list_tables["passed"], false, "{result}");
    assert_eq!(list_tables["mandatory"], true, "{result}");
    assert!(
        list_tables["message"]
            .as_str()
            .unwrap()
            .starts_with("the credentials were rejected"),
        "{result}"
    );
    assert!(
        list_tables["errorLog"]
            .as_str()
            .unwrap()
            .contains("ListTables: FAIL"),
        "{result}"
    );
}

#[test]
fn the_connectors_python_unit_tests_pass() {
    let out = Command::new(om_python())
        .args(["-W", "ignore", "-m", "unittest", "discover", "-v", "-s"])
        .arg(python_dir().join("tests"))
        .env("PYTHONPATH", python_dir())
        .output()
        .expect("run the Python unit tests with the OpenMetadata venv's python");
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let ran = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("Ran ")?
                .split(' ')
                .next()?
                .parse::<u32>()
                .ok()
        })
        .unwrap_or(0);
    assert!(ran >= 8, "{text}");
}
