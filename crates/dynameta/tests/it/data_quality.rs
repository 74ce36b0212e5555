//! `dynameta test` (issue 23) against DynamoDB Local and the OpenMetadata contract
//! server: the YAML's cases and a case a person created in OpenMetadata run in one pass,
//! results are stored on the server (and accepted by OpenMetadata's own models), a
//! failing case exits 1; parameters are refused before anything is sent; nested
//! attributes are reported as not testable; without a server the results go to the
//! local catalog, its report and its diff.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

use aws_sdk_dynamodb::types::{AttributeValue as AV, ScalarAttributeType};
use dynameta_testkit::openmetadata_server::ContractServer;
use dynameta_testkit::{corpus, dynamodb_local, unique_access_key};
use serde_json::{json, Value};

use super::support::*;

const TABLE: &str = "dq_orders";
const TABLE_FQN: &str = "test_svc.default.default.dq_orders";

/// `dq_orders`: five items, `id` o1..o5 (unique), `qty` 1..5, `status` with one
/// absent, `address` a map (so `address.city` is a nested attribute).
fn seed(key: &str) {
    let endpoint = dynamodb_local().endpoint.clone();
    let key = key.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
            corpus::create_table(&client, TABLE, ("id", ScalarAttributeType::S), None).await;
            let items = (1..=5)
                .map(|i| {
                    let mut item: HashMap<String, AV> = HashMap::new();
                    item.insert("id".into(), AV::S(format!("o{i}")));
                    item.insert("qty".into(), AV::N(i.to_string()));
                    if i != 3 {
                        item.insert("status".into(), AV::S("NEW".into()));
                    }
                    item.insert(
                        "address".into(),
                        AV::M(HashMap::from([("city".to_string(), AV::S("Lyon".into()))])),
                    );
                    item
                })
                .collect();
            corpus::put_items(&client, TABLE, items).await;
        })
    })
    .join()
    .unwrap();
}

/// The ingest workflow of `key`'s namespace, only `dq_orders`, to `server`.
fn ingest_yaml(key: &str, server: &ContractServer) -> String {
    to_rest(
        &workflow(
            &dynamodb_local().endpoint,
            key,
            "",
            "      tableFilterPattern:\n        includes: [\"^dq_orders$\"]\n",
            Path::new("unused.jsonl"),
        ),
        &server.endpoint(),
    )
}

/// A TestSuite workflow of `key`'s namespace testing `dq_orders` with `cases` (YAML
/// lines of `testCases`, indented for their block) and `sink` (a whole `sink:` block).
pub(super) fn suite_yaml(key: &str, cases: &str, sink: &str, host: &str) -> String {
    let endpoint = &dynamodb_local().endpoint;
    format!(
        r#"source:
  type: TestSuite
  serviceName: test_svc
  serviceConnection:
    config:
      type: DynamoDB
      awsConfig:
        awsAccessKeyId: {key}
        awsSecretAccessKey: {SECRET_MARKER}
        awsRegion: us-east-1
        endPointURL: {endpoint}
  sourceConfig:
    config:
      type: TestSuite
      entityFullyQualifiedName: {TABLE_FQN}
processor:
  type: orm-test-runner
  config:
    forceUpdate: false
    testCases:
{cases}
{sink}
workflowConfig:
  openMetadataServerConfig:
    hostPort: {host}
    authProvider: openmetadata
    securityConfig:
      jwtToken: {JWT_MARKER}
"#
    )
}

const REST_SINK: &str =
    "sink:\n  type: metadata-rest\n  config:\n    retryBaseMillis: 5\n    retryCapMillis: 50";

/// Cases of the YAML: two that pass, one on a nested attribute.
const CASES: &str = r#"      - name: rows_between
        testDefinitionName: tableRowCountToBeBetween
        parameterValues:
          - name: minValue
            value: "1"
          - name: maxValue
            value: "10"
      - name: id_unique
        testDefinitionName: columnValuesToBeUnique
        columnName: id
      - name: qty_present
        testDefinitionName: columnValuesToBeNotNull
        columnName: qty
        computePassedFailedRowCount: true
      - name: city_present
        testDefinitionName: columnValuesToBeNotNull
        columnName: address.city"#;

/// One JSON request to the contract server, as a person's browser would send it.
fn call(server: &ContractServer, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let addr = server
        .endpoint()
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let mut stream = TcpStream::connect(addr).unwrap();
    let text = body.to_string();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nAuthorization: Bearer {JWT_MARKER}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
        text.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn run_test(dir: &Path, name: &str, yaml: &str) -> Run {
    let path = write(dir, name, yaml);
    dynameta(&["test", "-c", path.to_str().unwrap(), "--quiet"], &[])
}

/// The test case results the server holds for `fqn`.
fn statuses(server: &ContractServer, fqn: &str) -> Vec<String> {
    server
        .test_case_results(fqn)
        .iter()
        .map(|r| r["testCaseStatus"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn yaml_cases_and_a_persons_case_run_in_one_pass_and_their_results_are_stored() {
    let key = unique_access_key("dq-rest");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let ingest = ingest_json(dir.path(), "ingest.yaml", &ingest_yaml(&key, &server));
    assert_eq!(ingest.code, 0, "{}", ingest.output());

    // A person defines a case on the table in OpenMetadata's UI: it fails (max qty is 5).
    let (status, body) = call(
        &server,
        "POST",
        "/api/v1/dataQuality/testCases",
        &json!({
            "name": "qty_max_small",
            "entityLink": format!("<#E::table::{TABLE_FQN}::columns::qty>"),
            "testDefinition": "columnValueMaxToBeBetween",
            "parameterValues": [{"name": "maxValueForMaxInCol", "value": "3"}],
        }),
    );
    assert_eq!(status, 201, "{body}");

    // And a case on a name OpenMetadata's entity links forbid.
    let forbidden = "      - name: pipe_present\n        testDefinitionName: columnValuesToBeNotNull\n        columnName: \"a|b\"";
    let yaml = suite_yaml(
        &key,
        &format!("{CASES}\n{forbidden}"),
        REST_SINK,
        &server.endpoint(),
    );
    let run = run_test(dir.path(), "suite.yaml", &yaml);
    assert_eq!(run.code, 1, "a failing case exits 1:\n{}", run.output());
    assert!(run.stdout.contains("entity links forbid"), "{}", run.stdout);
    assert!(
        !server.requests().iter().any(|r| r
            .body
            .as_ref()
            .is_some_and(|b| b.to_string().contains("a|b"))),
        "a forbidden name was sent"
    );
    assert_no_secrets(&run.output(), "test run");
    let out = &run.stdout;
    for line in ["rows_between", "id_unique", "qty_max_small", "city_present"] {
        assert!(
            out.contains(line),
            "{line} missing from the summary:\n{out}"
        );
    }
    assert!(out.contains("Not testable"), "{out}");
    assert!(out.contains("nested attribute"), "{out}");
    assert!(out.contains("Failed"), "{out}");
    // Every result went to its case through the REST sink; the not testable case has
    // none there, and is not said to be unpublishable either.
    assert!(!out.contains("not published to OpenMetadata"), "{out}");
    assert!(out.contains("result(s) posted to OpenMetadata."), "{out}");

    // The YAML's cases exist on the server now (the nested one was never sent), beside
    // the person's, and each holds one result.
    let cases: Vec<String> = server
        .test_cases()
        .iter()
        .map(|c| c["fullyQualifiedName"].as_str().unwrap().to_string())
        .collect();
    let rows = format!("{TABLE_FQN}.rows_between");
    let unique = format!("{TABLE_FQN}.id.id_unique");
    let person = format!("{TABLE_FQN}.qty.qty_max_small");
    for fqn in [&rows, &unique, &person] {
        assert!(cases.contains(fqn), "{fqn} not on the server: {cases:?}");
    }
    assert!(
        !cases.iter().any(|c| c.contains("city_present")),
        "a nested attribute's case was sent: {cases:?}"
    );
    assert_eq!(statuses(&server, &rows), ["Success"]);
    assert_eq!(statuses(&server, &unique), ["Success"]);
    assert_eq!(statuses(&server, &person), ["Failed"]);
    let result = &server.test_case_results(&person)[0];
    let max = result["testResultValue"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "max")
        .unwrap_or_else(|| panic!("no max in {result}"));
    assert_eq!(
        max["value"].as_str().map(|v| v.parse::<f64>().unwrap()),
        Some(5.0)
    );
    // Passed and failed rows only where asked for.
    let present = &server.test_case_results(&format!("{TABLE_FQN}.qty.qty_present"))[0];
    assert_eq!(present["testCaseStatus"], "Success", "{present}");
    assert_eq!(
        (
            present["passedRows"].as_u64(),
            present["failedRows"].as_u64()
        ),
        (Some(5), Some(0)),
        "{present}"
    );
    assert!(
        result.get("passedRows").is_none_or(Value::is_null),
        "{result}"
    );

    // Every body sent is one OpenMetadata's own pydantic models accept.
    let mut records = Vec::new();
    for r in server.requests() {
        let Some(body) = r.body.clone() else { continue };
        if r.path == "/api/v1/dataQuality/testCases" && r.method == "PUT" {
            records.push(json!({"kind": "createTestCase", "payload": body}));
        } else if r
            .path
            .starts_with("/api/v1/dataQuality/testCases/testCaseResults/")
        {
            records.push(json!({"kind": "createTestCaseResult", "payload": body}));
        }
    }
    assert_eq!(records.len(), 3 + 4, "{records:?}");
    let (code, summary, stderr) = validate_with_openmetadata(&records);
    assert_eq!(code, 0, "{summary}\n{stderr}");

    // OpenMetadata's own Python client reads the results back.
    let read_back = Command::new(dynameta_testkit::om_python())
        .arg("-c")
        .arg(READ_BACK)
        .arg(format!(
            "{}/api",
            server.endpoint().trim_end_matches("/api")
        ))
        .arg(JWT_MARKER)
        .args([&rows, &unique, &person])
        .output()
        .expect("run OpenMetadata's Python client");
    let stdout = String::from_utf8_lossy(&read_back.stdout);
    assert!(
        read_back.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&read_back.stderr)
    );
    let read: Value = serde_json::from_str(stdout.trim().lines().last().unwrap_or("")).unwrap();
    assert_eq!(read[&rows]["status"], "Success", "{read}");
    assert_eq!(read[&unique]["status"], "Success", "{read}");
    assert_eq!(read[&person]["status"], "Failed", "{read}");
    assert!(
        read[&person]["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v[0] == "max"),
        "{read}"
    );

    // A second run creates nothing new and adds one result per case.
    let again = run_test(dir.path(), "suite.yaml", &yaml);
    assert_eq!(again.code, 1, "{}", again.output());
    assert_eq!(server.test_cases().len(), cases.len());
    assert_eq!(statuses(&server, &rows), ["Success", "Success"]);
}

/// Reads test cases back with OpenMetadata 2.0.7's own client (`OpenMetadata.get_by_name`
/// of `TestCase` with its latest result): prints `{fqn: {status, values}}`.
const READ_BACK: &str = r#"
import json, logging, sys
logging.disable(logging.CRITICAL)
from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import OpenMetadataConnection
from metadata.generated.schema.security.client.openMetadataJWTClientConfig import OpenMetadataJWTClientConfig
from metadata.generated.schema.tests.testCase import TestCase
from metadata.ingestion.ometa.ometa_api import OpenMetadata
client = OpenMetadata(OpenMetadataConnection(hostPort=sys.argv[1], authProvider="openmetadata",
    securityConfig=OpenMetadataJWTClientConfig(jwtToken=sys.argv[2])))
out = {}
for fqn in sys.argv[3:]:
    case = client.get_by_name(entity=TestCase, fqn=fqn, fields=["testCaseResult", "testDefinition", "testSuite"], nullable=False)
    result = case.testCaseResult
    out[fqn] = {"status": result.testCaseStatus.value,
                "values": [[v.name, v.value] for v in (result.testResultValue or [])]}
print(json.dumps(out))
"#;

/// Runs `om_oracle.py validate` (OpenMetadata 2.0.7's pydantic models) on `records`.
fn validate_with_openmetadata(records: &[Value]) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dq.jsonl");
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&path, text).unwrap();
    let python = dynameta_testkit::om_python();
    let out = Command::new(python)
        .arg(dynameta_testkit::om_oracle_script())
        .arg("validate")
        .arg(&path)
        .output()
        .expect("run om_oracle.py validate");
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(&String::from_utf8_lossy(&out.stdout)).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn parameters_are_refused_before_anything_is_sent() {
    let key = unique_access_key("dq-params");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let ingest = ingest_json(dir.path(), "ingest.yaml", &ingest_yaml(&key, &server));
    assert_eq!(ingest.code, 0, "{}", ingest.output());
    let bad = [
        // A parameter the definition does not declare.
        (
            "      - name: rows_exact\n        testDefinitionName: tableRowCountToEqual\n        parameterValues:\n          - name: minValue\n            value: \"5\"",
            "parameter `minValue` is not defined",
        ),
        // A required parameter missing.
        (
            "      - name: rows_exact\n        testDefinitionName: tableRowCountToEqual",
            "required parameter `value`",
        ),
        // A definition the server does not have.
        (
            "      - name: made_up\n        testDefinitionName: columnValuesToBeFancy\n        columnName: id",
            "no test definition `columnValuesToBeFancy`",
        ),
        // A column test without a column.
        (
            "      - name: no_column\n        testDefinitionName: columnValuesToBeNotNull",
            "add `columnName`",
        ),
    ];
    for (i, (cases, expected)) in bad.iter().enumerate() {
        let yaml = suite_yaml(
            &key,
            &format!("{CASES}\n{cases}"),
            REST_SINK,
            &server.endpoint(),
        );
        let run = run_test(dir.path(), &format!("bad{i}.yaml"), &yaml);
        let name = cases
            .split("name: ")
            .nth(1)
            .unwrap()
            .split('\n')
            .next()
            .unwrap();
        assert_eq!(run.code, 2, "{}", run.output());
        assert!(
            run.stderr.contains(&format!("test case `{name}`")) && run.stderr.contains(expected),
            "{}",
            run.stderr
        );
    }
    // Nothing was created or posted: the checks ran before any write.
    let writes = server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/dataQuality/") && r.method != "GET")
        .count();
    assert_eq!(writes, 0);
    assert!(server.test_cases().is_empty());
}

#[test]
fn without_a_server_results_go_to_the_local_catalog_report_and_diff() {
    let key = unique_access_key("dq-local");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dq.db");
    let sink = format!(
        "sink:\n  type: local\n  config:\n    path: {}",
        db.display()
    );
    // Ingested first, so the catalog knows `address` is a column (and `address.city` a
    // nested attribute).
    let ingest = workflow(
        &dynamodb_local().endpoint,
        &key,
        "",
        "      tableFilterPattern:\n        includes: [\"^dq_orders$\"]\n",
        Path::new("unused.jsonl"),
    )
    .replace(
        "sink:\n  type: file\n  config:\n    filename: unused.jsonl",
        &sink,
    );
    let ingest = write(dir.path(), "ingest.yaml", &ingest);
    let run = dynameta(&["ingest", "-c", ingest.to_str().unwrap(), "--quiet"], &[]);
    assert_eq!(run.code, 0, "{}", run.output());

    let yaml = suite_yaml(&key, CASES, &sink, "http://localhost:8585/api");
    let run = run_test(dir.path(), "local.yaml", &yaml);
    // The nested attribute's case is not testable: exit 1.
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(run.stdout.contains("rows_between"), "{}", run.stdout);
    assert!(run.stdout.contains("nested attribute"), "{}", run.stdout);

    // The next run has a case that fails: diff names it.
    let failing = CASES.replace("value: \"10\"", "value: \"2\"");
    let run = run_test(
        dir.path(),
        "local2.yaml",
        &suite_yaml(&key, &failing, &sink, "http://localhost:8585/api"),
    );
    assert_eq!(run.code, 1, "{}", run.output());
    let diff = dynameta(&["diff", "--catalog", db.to_str().unwrap()], &[]);
    assert_eq!(diff.code, 1, "{}", diff.output());
    assert!(
        diff.stdout.contains("rows_between") && diff.stdout.contains("started failing"),
        "{}",
        diff.stdout
    );
    assert!(!diff.stdout.contains("id_unique"), "{}", diff.stdout);

    let html = dir.path().join("report.html");
    report_to(&db, &html);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("id=\"data-quality\""),
        "no data-quality section"
    );
    for name in ["rows_between", "id_unique", "city_present"] {
        assert!(page.contains(name), "{name} not in the report");
    }
    // Failures first in the overview.
    let section = &page[page.find("id=\"data-quality\"").unwrap()..];
    assert!(
        section.find("rows_between").unwrap() < section.find("id_unique").unwrap(),
        "a failure is listed after a pass"
    );

    // As a person sees it, in Chromium.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    std::fs::create_dir_all(&shots).unwrap();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/report_browser_check.cjs");
    let browser = Command::new("node")
        .arg(&script)
        .args([
            "--dq",
            html.to_str().unwrap(),
            shots.to_str().unwrap(),
            TABLE,
            "rows_between",
        ])
        .env("PLAYWRIGHT_CORE", dynameta_testkit::playwright_core())
        .env("CHROMIUM", dynameta_testkit::chromium())
        .output()
        .expect("run node");
    assert!(
        browser.status.success(),
        "browser check failed:\n{}\n{}",
        String::from_utf8_lossy(&browser.stdout),
        String::from_utf8_lossy(&browser.stderr)
    );
}

#[test]
fn without_serviceconnection_the_services_connection_is_read_and_a_masked_secret_is_said() {
    let key = unique_access_key("dq-service");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let ingest = ingest_json(dir.path(), "ingest.yaml", &ingest_yaml(&key, &server));
    assert_eq!(ingest.code, 0, "{}", ingest.output());
    // The file names no connection; the service holds the region and endpoint (never
    // the keys): the default chain gives this namespace's key.
    let full = suite_yaml(&key, CASES, REST_SINK, &server.endpoint());
    let start = full.find("  serviceConnection:").unwrap();
    let end = full.find("  sourceConfig:").unwrap();
    let yaml = format!("{}{}", &full[..start], &full[end..]);
    let path = write(dir.path(), "suite.yaml", &yaml);
    let env = [
        ("AWS_ACCESS_KEY_ID", key.as_str()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_MARKER),
        ("AWS_PROFILE", "none"),
        ("AWS_CONFIG_FILE", "/nonexistent"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
    ];
    let run = dynameta(&["test", "-c", path.to_str().unwrap(), "--quiet"], &env);
    assert_eq!(
        run.code,
        1,
        "the nested case is not testable:\n{}",
        run.output()
    );
    assert!(
        run.stdout.contains("connection of service `test_svc`"),
        "{}",
        run.stdout
    );
    assert_eq!(
        statuses(&server, &format!("{TABLE_FQN}.rows_between")),
        ["Success"]
    );
    assert_no_secrets(&run.output(), "test run");

    // A token that may not see secrets gets them masked: said, nothing run.
    server.edit_as_user("databaseService", "test_svc", |s| {
        s["connection"]["config"]["awsConfig"]["awsAccessKeyId"] = json!("AKIDEXAMPLE");
        s["connection"]["config"]["awsConfig"]["awsSecretAccessKey"] = json!("**********");
    });
    let run = dynameta(&["test", "-c", path.to_str().unwrap(), "--quiet"], &env);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr.contains("no usable secret")
            && run
                .stderr
                .contains("connection.config.awsConfig.awsSecretAccessKey"),
        "{}",
        run.stderr
    );
    assert_eq!(
        server
            .test_case_results(&format!("{TABLE_FQN}.rows_between"))
            .len(),
        1
    );
}

/// `dq_parts`: 450 items (several scan segments), `id` unique, `qty` = i mod 7, `grp`
/// one of a, b, c.
pub(super) fn seed_parts(key: &str) {
    let endpoint = dynamodb_local().endpoint.clone();
    let key = key.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
            corpus::create_table(&client, "dq_parts", ("id", ScalarAttributeType::S), None).await;
            let items = (0..450u32)
                .map(|i| {
                    HashMap::from([
                        ("id".to_string(), AV::S(format!("p{i:04}"))),
                        ("qty".to_string(), AV::N((i % 7).to_string())),
                        (
                            "grp".to_string(),
                            AV::S(["a", "b", "c"][i as usize % 3].into()),
                        ),
                    ])
                })
                .collect();
            corpus::put_items(&client, "dq_parts", items).await;
        })
    })
    .join()
    .unwrap();
}

#[test]
fn two_merged_parts_give_what_one_run_gives() {
    let key = unique_access_key("dq-parts");
    seed_parts(&key);
    let dir = tempfile::tempdir().unwrap();
    let cases = r#"      - name: rows
        testDefinitionName: tableRowCountToEqual
        parameterValues:
          - name: value
            value: "450"
      - name: id_unique
        testDefinitionName: columnValuesToBeUnique
        columnName: id
      - name: qty_max
        testDefinitionName: columnValueMaxToBeBetween
        columnName: qty
        parameterValues:
          - name: maxValueForMaxInCol
            value: "5"
      - name: qty_mean
        testDefinitionName: columnValueMeanToBeBetween
        columnName: qty
        parameterValues:
          - name: minValueForMeanInCol
            value: "2"
      - name: qty_median
        testDefinitionName: columnValueMedianToBeBetween
        columnName: qty
        parameterValues:
          - name: maxValueForMedianInCol
            value: "10"
      - name: grp_known
        testDefinitionName: columnValuesToBeInSet
        columnName: grp
        parameterValues:
          - name: allowedValues
            value: '["a", "b"]'
          - name: matchEnum
            value: "true""#;
    let yaml = |db: &str| {
        suite_yaml(
            &key,
            cases,
            &format!(
                "sink:\n  type: local\n  config:\n    path: {}",
                dir.path().join(db).display()
            ),
            "http://localhost:8585/api",
        )
        .replace("default.dq_orders", "default.dq_parts")
    };
    let whole_yaml = write(dir.path(), "whole.yaml", &yaml("whole.db"));
    let whole = dynameta(
        &[
            "test",
            "-c",
            whole_yaml.to_str().unwrap(),
            "--quiet",
            "--log-format",
            "json",
        ],
        &[],
    );
    assert_eq!(
        whole.code,
        1,
        "qty_max and grp_known fail:\n{}",
        whole.output()
    );

    let parts_yaml = write(dir.path(), "parts.yaml", &yaml("parts.db"));
    let mut states = Vec::new();
    for i in 1..=2 {
        let state = dir.path().join(format!("part-{i}.json"));
        let run = dynameta(
            &[
                "test",
                "-c",
                parts_yaml.to_str().unwrap(),
                "--quiet",
                "--part",
                &format!("{i}/2"),
                "--state-out",
                state.to_str().unwrap(),
            ],
            &[],
        );
        assert!(run.code <= 1, "{}", run.output());
        let mode = std::fs::metadata(&state).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600,
            "a state file holds table values"
        );
        states.push(state.to_str().unwrap().to_string());
    }
    // A part's state is never written over the local catalog the workflow names (the
    // same rule as `profile --part`): exit 2 before any work, the catalog untouched.
    let catalog = dir.path().join("whole.db");
    let before = std::fs::read(&catalog).unwrap();
    let over = dynameta(
        &[
            "test",
            "-c",
            whole_yaml.to_str().unwrap(),
            "--part",
            "1/2",
            "--state-out",
            catalog.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(over.code, 2, "{}", over.output());
    assert!(over.stderr.contains("the local catalog"), "{}", over.stderr);
    assert_eq!(
        std::fs::read(&catalog).unwrap(),
        before,
        "the catalog is untouched"
    );

    // One part alone is refused: the files are not all the parts.
    let alone = dynameta(
        &[
            "test",
            "merge",
            "-c",
            parts_yaml.to_str().unwrap(),
            &states[0],
        ],
        &[],
    );
    assert_eq!(alone.code, 2, "{}", alone.output());
    assert!(
        alone.stderr.contains("parts are missing (2/2)"),
        "{}",
        alone.stderr
    );

    let mut args = vec![
        "test",
        "merge",
        "-c",
        parts_yaml.to_str().unwrap(),
        "--log-format",
        "json",
    ];
    args.extend(states.iter().map(String::as_str));
    let merged = dynameta(&args, &[]);
    assert_eq!(merged.code, whole.code, "{}", merged.output());
    let cases_of = |run: &Run| -> Value {
        let v: Value = serde_json::from_str(run.stdout.trim()).expect("one JSON summary");
        let t = &v["summary"]["tables"][0];
        json!({"cases": t["cases"], "items": t["items"]})
    };
    assert_eq!(cases_of(&merged), cases_of(&whole));
    assert_eq!(cases_of(&whole)["items"], 450);
}

#[test]
fn force_update_decides_whose_definition_runs() {
    let key = unique_access_key("dq-force");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let ingest = ingest_json(dir.path(), "ingest.yaml", &ingest_yaml(&key, &server));
    assert_eq!(ingest.code, 0, "{}", ingest.output());
    let case = |max: &str| {
        format!(
            "      - name: rows_between\n        testDefinitionName: tableRowCountToBeBetween\n        parameterValues:\n          - name: maxValue\n            value: \"{max}\""
        )
    };
    let fqn = format!("{TABLE_FQN}.rows_between");
    let first = run_test(
        dir.path(),
        "a.yaml",
        &suite_yaml(&key, &case("10"), REST_SINK, &server.endpoint()),
    );
    assert_eq!(first.code, 0, "{}", first.output());
    // The YAML now says at most 2 rows; without forceUpdate the server's case (10) runs.
    let kept = run_test(
        dir.path(),
        "b.yaml",
        &suite_yaml(&key, &case("2"), REST_SINK, &server.endpoint()),
    );
    assert_eq!(kept.code, 0, "{}", kept.output());
    assert!(kept.stdout.contains("forceUpdate"), "{}", kept.stdout);
    let stored = |server: &ContractServer| -> Value {
        server
            .test_cases()
            .into_iter()
            .find(|c| c["fullyQualifiedName"] == fqn.as_str())
            .unwrap()["parameterValues"]
            .clone()
    };
    assert_eq!(
        stored(&server),
        json!([{"name": "maxValue", "value": "10"}])
    );
    // With forceUpdate the YAML's replaces it, and fails.
    let forced = suite_yaml(&key, &case("2"), REST_SINK, &server.endpoint())
        .replace("forceUpdate: false", "forceUpdate: true");
    let run = run_test(dir.path(), "c.yaml", &forced);
    assert_eq!(run.code, 1, "{}", run.output());
    assert_eq!(stored(&server), json!([{"name": "maxValue", "value": "2"}]));
    assert_eq!(statuses(&server, &fqn), ["Success", "Success", "Failed"]);
}

#[test]
fn the_file_sink_gets_one_owner_only_line_per_case_and_bad_state_files_are_refused() {
    let key = unique_access_key("dq-file");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.jsonl");
    let sink = format!(
        "sink:\n  type: file\n  config:\n    filename: {}",
        out.display()
    );
    let run = run_test(
        dir.path(),
        "file.yaml",
        &suite_yaml(&key, CASES, &sink, "http://localhost:8585/api"),
    );
    assert_eq!(run.code, 1, "{}", run.output());
    let lines = records(&out);
    assert_eq!(lines.len(), 4, "{lines:?}");
    // Passed and failed rows only where the case asks for them.
    let unique = lines
        .iter()
        .find(|l| l["testCase"]["name"] == "id_unique")
        .unwrap();
    assert!(unique["testCase"]["passedRows"].is_null(), "{unique}");
    let present = lines
        .iter()
        .find(|l| l["testCase"]["name"] == "qty_present")
        .unwrap();
    assert_eq!(present["testCase"]["passedRows"], 5, "{present}");
    assert!(lines
        .iter()
        .all(|l| l["kind"] == "testCaseResult" && l["table"] == TABLE_FQN));
    let mode = std::fs::metadata(&out).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );

    // `test merge` refuses what is not a part of a test run, naming the file.
    let yaml = write(
        dir.path(),
        "merge.yaml",
        &suite_yaml(&key, CASES, &sink, "http://localhost:8585/api"),
    );
    let junk = write(dir.path(), "junk.json", "{\"not\": \"a state\"}");
    let profile_state = write(
        dir.path(),
        "profile.json",
        "{\"format\": \"dynameta-profile-state\", \"version\": 1}",
    );
    let truncated = write(
        dir.path(),
        "cut.json",
        "{\"format\": \"dynameta-test-state\", \"vers",
    );
    for file in [&junk, &profile_state, &truncated] {
        let run = dynameta(
            &[
                "test",
                "merge",
                "-c",
                yaml.to_str().unwrap(),
                file.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(run.code, 2, "{}", run.output());
        assert!(
            run.stderr.contains(file.to_str().unwrap()),
            "{}",
            run.stderr
        );
    }
}

/// The parts (1/2 and 2/2) of a service-wide run over `dq_orders` and `dq_more` (three
/// items), one case `rows_between` (1..10 rows) on each; part 1's line of `dq_orders`
/// then says that the part could not test it (as a part whose read failed would, had it
/// written its file): the merge cannot test `dq_orders`. Returns the states and the
/// workflow text (with `@@SINK@@` for the sink block) for the merge.
fn parts_with_a_failing_table(key: &str, dir: &Path) -> (Vec<String>, String) {
    seed(key);
    let endpoint = dynamodb_local().endpoint.clone();
    let k = key.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &k, "us-east-1").await;
            corpus::create_table(&client, "dq_more", ("id", ScalarAttributeType::S), None).await;
            let items = (1..=3)
                .map(|i| HashMap::from([("id".to_string(), AV::S(format!("m{i}")))]))
                .collect();
            corpus::put_items(&client, "dq_more", items).await;
        })
    })
    .join()
    .unwrap();
    let case = "      - name: rows_between\n        testDefinitionName: tableRowCountToBeBetween\n        parameterValues:\n          - name: minValue\n            value: \"1\"\n          - name: maxValue\n            value: \"10\"";
    let yaml = |sink: &str| {
        suite_yaml(key, case, sink, "http://localhost:8585/api")
            .replace(&format!("      entityFullyQualifiedName: {TABLE_FQN}\n"), "")
            .replace(
                &format!("        endPointURL: {}\n", dynamodb_local().endpoint),
                &format!(
                    "        endPointURL: {}\n      tableFilterPattern:\n        includes: [\"^dq_(orders|more)$\"]\n",
                    dynamodb_local().endpoint
                ),
            )
    };
    let parts = write(dir, "parts.yaml", &yaml("sink:\n  type: console"));
    let mut states = Vec::new();
    for i in 1..=2 {
        let state = dir.join(format!("part-{i}.jsonl"));
        let run = dynameta(
            &[
                "test",
                "-c",
                parts.to_str().unwrap(),
                "--quiet",
                "--part",
                &format!("{i}/2"),
                "--state-out",
                state.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(run.code, 0, "{}", run.output());
        states.push(state.to_str().unwrap().to_string());
    }
    let text = std::fs::read_to_string(&states[0]).unwrap();
    let forged: Vec<String> = text
        .lines()
        .map(|line| {
            let mut v: Value = serde_json::from_str(line).unwrap();
            if v.pointer("/table/table") == Some(&json!(TABLE_FQN)) {
                v["table"]["error"] = json!("Scan on dq_orders failed: AccessDeniedException");
            }
            v.to_string()
        })
        .collect();
    assert_ne!(forged.join("\n") + "\n", text, "dq_orders' line was found");
    std::fs::write(&states[0], forged.join("\n") + "\n").unwrap();
    (states, yaml("@@SINK@@"))
}

fn merge_states(dir: &Path, name: &str, yaml: &str, states: &[String]) -> Run {
    let path = write(dir, name, yaml);
    let mut args = vec!["test", "merge", "-c", path.to_str().unwrap()];
    args.extend(states.iter().map(String::as_str));
    dynameta(&args, &[])
}

/// `test merge` goes through the one finish (`workflow::Finish`): a table that could
/// not be tested fails the run by the workflow's failure policy (the previous output
/// kept), and `successThreshold` tolerates it as it does for `profile merge` (the old
/// merge exited 2 and wrote nothing whatever the policy).
#[test]
fn a_test_merge_with_a_failing_table_respects_success_threshold() {
    let key = unique_access_key("dq-merge-policy");
    let dir = tempfile::tempdir().unwrap();
    let (states, yaml) = parts_with_a_failing_table(&key, dir.path());
    let out = dir.path().join("results.jsonl");
    std::fs::write(&out, "previous\n").unwrap();
    let sink = format!(
        "sink:\n  type: file\n  config:\n    filename: {}",
        out.display()
    );
    let yaml = yaml.replace("@@SINK@@", &sink);

    let failed = merge_states(dir.path(), "strict.yaml", &yaml, &states);
    assert_eq!(failed.code, 2, "{}", failed.output());
    assert!(failed.stdout.contains("NOT RUN"), "{}", failed.output());
    assert!(
        failed.stdout.contains("Nothing replaced"),
        "{}",
        failed.output()
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous\n");

    let tolerant = merge_states(
        dir.path(),
        "tolerant.yaml",
        &format!("{yaml}  successThreshold: 50\n"),
        &states,
    );
    assert_eq!(tolerant.code, 0, "{}", tolerant.output());
    assert!(
        tolerant.stdout.contains("partial success"),
        "{}",
        tolerant.output()
    );
    // One line in the published record schema, read back as the typed record.
    let lines = super::record_schema::validate_file(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let typed: dynameta::sinks::Record = serde_json::from_value(lines[0].clone()).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), lines[0]);
    assert_eq!(lines[0]["kind"], "testCaseResult");
    assert_eq!(lines[0]["table"], "test_svc.default.default.dq_more");
    assert_eq!(lines[0]["testCase"]["status"], "Success");
}

/// A `test merge` whose sink fails (the catalog refuses the results) is a failed run:
/// the catalog records it as failed with the reason and keeps the previous run's
/// results as its state (the old merge left the run `running` for ever).
#[test]
fn a_test_merge_whose_sink_fails_keeps_the_previous_output() {
    let key = unique_access_key("dq-merge-sink");
    let dir = tempfile::tempdir().unwrap();
    let (states, yaml) = parts_with_a_failing_table(&key, dir.path());
    let db = dir.path().join("dq.db");
    let yaml = format!(
        "{}  successThreshold: 50\n",
        yaml.replace(
            "@@SINK@@",
            &format!(
                "sink:\n  type: local\n  config:\n    path: {}",
                db.display()
            )
        )
    );
    let good = merge_states(dir.path(), "good.yaml", &yaml, &states);
    assert_eq!(good.code, 0, "{}", good.output());

    refuse_test_results(&db);
    let refused = merge_states(dir.path(), "refused.yaml", &yaml, &states);
    assert_eq!(refused.code, 2, "{}", refused.output());
    assert!(
        refused.output().contains("refused by the test"),
        "{}",
        refused.output()
    );

    assert_failed_after_a_good_run(&db);
}

/// A whole `test` run ends through the one finish too (`workflow::Finish`), not a
/// writer of its own: when the local catalog refuses the results, the run exits 2,
/// the catalog records it as failed with the reason and its state stays the previous
/// run's (the old writer returned at the refused write and left the run `running`).
#[test]
fn a_test_run_whose_sink_fails_is_recorded_as_failed_and_keeps_the_previous_state() {
    let key = unique_access_key("dq-run-sink");
    let dir = tempfile::tempdir().unwrap();
    // Two tables (dq_orders, dq_more), the whole service: after the refused write of
    // the first, the second is not read.
    let (_, yaml) = parts_with_a_failing_table(&key, dir.path());
    let db = dir.path().join("dq.db");
    let sink = format!(
        "sink:\n  type: local\n  config:\n    path: {}",
        db.display()
    );
    let yaml = write(dir.path(), "local.yaml", &yaml.replace("@@SINK@@", &sink));
    let args = ["test", "-c", yaml.to_str().unwrap()];
    let good = dynameta(&args, &[]);
    assert_eq!(good.code, 0, "{}", good.output());
    assert!(
        good.stdout.contains("Results stored in the local catalog"),
        "{}",
        good.output()
    );

    refuse_test_results(&db);
    let refused = dynameta(&args, &[]);
    assert_eq!(refused.code, 2, "{}", refused.output());
    assert!(
        refused.output().contains("refused by the test"),
        "{}",
        refused.output()
    );
    assert!(
        refused.stdout.contains("Nothing replaced"),
        "{}",
        refused.output()
    );
    assert!(
        refused
            .stdout
            .contains("the remaining tables were not tested")
            && refused.stdout.contains("on 1 table(s)"),
        "{}",
        refused.output()
    );

    assert_failed_after_a_good_run(&db);
}

/// Makes the catalog `db` refuse every data-quality result (a trigger), as a full disk
/// or a broken catalog would.
fn refuse_test_results(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON test_results BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
    )
    .unwrap();
}

/// The catalog `db` holds a succeeded `test` run, then a failed one, and its state is
/// still the succeeded run's.
fn assert_failed_after_a_good_run(db: &Path) {
    let catalog = dynameta_catalog::Catalog::open_existing(db).unwrap();
    let runs = catalog.runs().unwrap();
    let statuses: Vec<_> = runs
        .iter()
        .map(|r| (r.command.as_str(), r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("test", dynameta_catalog::RunStatus::Succeeded),
            ("test", dynameta_catalog::RunStatus::Failed)
        ]
    );
    let latest = catalog.latest_runs_of("test", "test_svc", 1).unwrap();
    assert_eq!(latest[0].id, runs[0].id, "the state is the good run's");
}
