//! `dynameta classify` against DynamoDB Local: PII tags on top-level, nested and list
//! columns, sample data, `--explain`, and publishing to the contract server.

use std::io::{Read, Write};
use std::path::Path;

use aws_sdk_dynamodb::types::ScalarAttributeType;
use dynameta_testkit::openmetadata_server::ContractServer;
use dynameta_testkit::{corpus, dynamodb_local, unique_access_key};
use serde_json::{json, Value};

use super::support::*;

const CUSTOMERS: u32 = 200;

/// A `customers` table (personal data) and an `orders` table (none) in `key`'s namespace.
fn seed(key: &str) {
    let endpoint = dynamodb_local().endpoint.clone();
    let key = key.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
            corpus::create_table(
                &client,
                "customers",
                ("customerId", ScalarAttributeType::S),
                None,
            )
            .await;
            corpus::put_items(
                &client,
                "customers",
                (0..CUSTOMERS).map(corpus::customer_item).collect(),
            )
            .await;
            corpus::create_table(
                &client,
                "orders",
                ("customerId", ScalarAttributeType::S),
                Some(("orderId", ScalarAttributeType::N)),
            )
            .await;
            corpus::put_items(
                &client,
                "orders",
                (0..150).map(corpus::order_item).collect(),
            )
            .await;
        })
    })
    .join()
    .unwrap();
}

/// The classification workflow: `pipeline` lines go under `sourceConfig.config`.
fn classify_workflow(key: &str, connection_arguments: &str, pipeline: &str, out: &Path) -> String {
    WorkflowBuilder::new(&dynamodb_local().endpoint, key)
        .connection_lines(connection_arguments)
        .pipeline("AutoClassification")
        .source_lines(pipeline)
        .file_sink(out)
        .yaml()
}

fn classify(dir: &Path, yaml: &str, extra: &[&str]) -> Run {
    let wf = write(dir, "classify.yaml", yaml);
    let mut args = vec![
        "classify",
        "-c",
        wf.to_str().unwrap(),
        "--log-format",
        "json",
    ];
    args.extend_from_slice(extra);
    dynameta(&args, &[])
}

/// column FQN suffix → tag FQN, from the `columnTags` record of `table`.
fn tags_of(records: &[Value], table: &str) -> Vec<(String, String)> {
    let record = records
        .iter()
        .find(|r| {
            r["kind"] == "columnTags" && r["table"] == format!("test_svc.default.default.{table}")
        })
        .unwrap_or_else(|| panic!("no columnTags for {table}"));
    let prefix = format!("test_svc.default.default.{table}.");
    let mut out: Vec<(String, String)> = record["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["column"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches(&prefix)
                    .to_string(),
                c["tags"][0]["tagFQN"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn expected_customer_tags() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = [
        ("apiKey", "PII.Sensitive"),
        ("cardNumber", "PII.Sensitive"),
        ("contacts.phone", "PII.NonSensitive"),
        ("email", "PII.Sensitive"),
        ("fullName", "PII.Sensitive"),
        ("lastLoginIp", "PII.Sensitive"),
        ("phone", "PII.NonSensitive"),
        ("profile.address.city", "PII.NonSensitive"),
        ("profile.address.street", "PII.NonSensitive"),
        ("signupDate", "PII.NonSensitive"),
        ("ssn", "PII.Sensitive"),
    ]
    .iter()
    .map(|(c, t)| (c.to_string(), t.to_string()))
    .collect();
    v.sort();
    v
}

#[test]
fn tags_personal_columns_at_every_depth_and_leaves_look_alikes_alone() {
    let key = unique_access_key("classify");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let run = classify(dir.path(), &classify_workflow(&key, "", "", &out), &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_no_secrets(&run.output(), "classify run");
    let written = records(&out);
    let customers = tags_of(&written, "customers");
    let expected = expected_customer_tags();
    assert_eq!(customers, expected, "customers tags");
    let orders = tags_of(&written, "orders");
    // Orders hold no personal data but their timestamps and `prénom✓` ("first name" in
    // French, "Zoë" in every item): a first name under a French column name is one.
    assert_eq!(
        orders,
        [
            ("createdAt".to_string(), "PII.NonSensitive".to_string()),
            ("prénom✓".to_string(), "PII.Sensitive".to_string())
        ],
        "orders tags"
    );
    // Every tag label is what OpenMetadata accepts.
    for record in written.iter().filter(|r| r["kind"] == "columnTags") {
        for column in record["payload"].as_array().unwrap() {
            for tag in column["tags"].as_array().unwrap() {
                dynameta_testkit::schema::validate("tagLabel.json", tag)
                    .unwrap_or_else(|e| panic!("invalid tag label {tag}: {e:?}"));
                assert_eq!(tag["labelType"], "Generated");
                assert_eq!(tag["state"], "Suggested");
                let score = tag["metadata"]["recognizer"]["score"].as_f64().unwrap();
                assert!((0.8..=1.0).contains(&score), "{tag}");
            }
        }
    }
    assert!(
        !written.iter().any(|r| r["kind"] == "sampleData"),
        "storeSampleData defaults to false"
    );
    let s = summary(&run);
    assert_eq!(s["classification"]["sensitive"], 7, "{s}");
    assert_eq!(s["tablesProcessed"], 2);

    // Same data, same output.
    let first = std::fs::read_to_string(&out).unwrap();
    let again = classify(dir.path(), &classify_workflow(&key, "", "", &out), &[]);
    assert_eq!(again.code, 0, "{}", again.output());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), first);
}

#[test]
fn confidence_100_is_stricter_than_the_default() {
    let key = unique_access_key("classify-conf");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let strict = classify(
        dir.path(),
        &classify_workflow(
            &key,
            "",
            "      confidence: 100\n      tableFilterPattern:\n        includes: [customers]\n",
            &out,
        ),
        &[],
    );
    assert_eq!(strict.code, 0, "{}", strict.output());
    let strict_tags = tags_of(&records(&out), "customers");
    assert!(
        strict_tags.len() < expected_customer_tags().len(),
        "{strict_tags:?}"
    );
    let off = classify(
        dir.path(),
        &classify_workflow(
            &key,
            "",
            "      enableAutoClassification: false\n      storeSampleData: true\n",
            &out,
        ),
        &[],
    );
    assert_eq!(off.code, 0, "{}", off.output());
    let written = records(&out);
    assert!(!written.iter().any(|r| r["kind"] == "columnTags"));
    assert_eq!(
        written.iter().filter(|r| r["kind"] == "sampleData").count(),
        2
    );
}

#[test]
fn sample_data_is_json_and_can_be_masked() {
    let key = unique_access_key("classify-sample");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let pipeline = "      storeSampleData: true\n      sampleDataCount: 7\n      tableFilterPattern:\n        includes: [customers]\n";
    let run = classify(
        dir.path(),
        &classify_workflow(&key, "", pipeline, &out),
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    let written = records(&out);
    let data = &written.iter().find(|r| r["kind"] == "sampleData").unwrap()["payload"];
    dynameta_testkit::schema::validate("tableData.json", data).unwrap();
    let rows = data["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 7);
    let columns: Vec<&str> = data["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let at =
        |row: &Value, name: &str| row[columns.iter().position(|c| *c == name).unwrap()].clone();
    for row in rows {
        assert!(at(row, "email").as_str().unwrap().contains("@example.com"));
        assert!(at(row, "loyaltyPoints").is_number());
        let profile: Value =
            serde_json::from_str(at(row, "profile").as_str().unwrap()).expect("maps are JSON text");
        assert!(profile["address"]["street"].is_string());
        assert!(
            at(row, "avatar").as_str().unwrap().starts_with("iVBOR"),
            "binary as base64"
        );
        let key = at(row, "apiKey");
        assert!(
            key.as_str().unwrap().contains('*'),
            "secrets are always masked: {key}"
        );
    }

    let masked = classify(
        dir.path(),
        &classify_workflow(
            &key,
            "        maskSensitiveSampleData: true\n",
            pipeline,
            &out,
        ),
        &[],
    );
    assert_eq!(masked.code, 0, "{}", masked.output());
    let written = records(&out);
    let data = &written.iter().find(|r| r["kind"] == "sampleData").unwrap()["payload"];
    for row in data["rows"].as_array().unwrap() {
        let email = at(row, "email");
        assert!(!email.as_str().unwrap().contains("@example.com"), "{email}");
        let card = at(row, "cardNumber");
        assert!(card.as_str().unwrap().contains('*'), "{card}");
        assert!(
            at(row, "phone").as_str().unwrap().starts_with("+44"),
            "NonSensitive columns are kept"
        );
    }
}

#[test]
fn explain_shows_scores_masked_examples_and_reasons() {
    let key = unique_access_key("classify-explain");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let run = classify(
        dir.path(),
        &classify_workflow(&key, "", "", &out),
        &["--explain", "customers"],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    let text = &run.stdout;
    assert!(text.contains("cardNumber"), "{text}");
    assert!(text.contains("=> PII.Sensitive"), "{text}");
    assert!(text.contains("orderNumber"), "{text}");
    assert!(text.contains("=> not tagged"), "{text}");
    assert!(
        !text.contains(&corpus::visa_number(0)),
        "examples are masked:\n{text}"
    );
    assert!(
        !text.contains("james.smith0@example.com"),
        "examples are masked:\n{text}"
    );
    assert!(!out.exists(), "--explain writes nothing");

    // A name in the wrong case is not "deleted, or the region is wrong".
    let run = classify(
        dir.path(),
        &classify_workflow(&key, "", "", &out),
        &["--explain", "Customers"],
    );
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        run.stderr
            .contains("no table `Customers` in us-east-1: did you mean `customers`?"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("region is wrong"), "{}", run.stderr);
}

/// Sends a raw HTTP request to the contract server (for a test to act as a person).
fn http(
    server: &ContractServer,
    method: &str,
    path: &str,
    content_type: &str,
    body: &Value,
) -> (u16, Value) {
    let endpoint = server.endpoint();
    let host = endpoint.trim_start_matches("http://");
    let body = body.to_string();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "{method} /api{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status: u16 = answer.split_whitespace().nth(1).unwrap().parse().unwrap();
    let json = answer
        .split("\r\n\r\n")
        .nth(1)
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

fn column_tags(table: &Value, path: &[&str]) -> Vec<Value> {
    let mut columns = &table["columns"];
    let mut column = &Value::Null;
    for name in path {
        column = columns
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == *name)
            .unwrap();
        columns = &column["children"];
    }
    column["tags"].as_array().cloned().unwrap_or_default()
}

#[test]
fn publishes_tags_and_sample_data_without_duplicates_or_overriding_people() {
    let key = unique_access_key("classify-rest");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let server = ContractServer::start("2.0.7", None);
    let rest = |yaml: String| to_rest(&yaml, &server.endpoint());
    let unused = Path::new("unused.jsonl");

    // No service yet: stops before reading DynamoDB.
    let early = classify(
        dir.path(),
        &rest(classify_workflow(&key, "", "", unused)),
        &[],
    );
    assert_eq!(early.code, 2, "{}", early.output());
    assert!(
        early.output().contains("run `dynameta ingest`"),
        "{}",
        early.output()
    );

    // A table not ingested yet is reported; the others are classified.
    let endpoint = &dynamodb_local().endpoint;
    let only_orders = "      tableFilterPattern:\n        includes: [orders]\n";
    let ingest = ingest_json(
        dir.path(),
        "ingest.yaml",
        &rest(workflow(endpoint, &key, "", only_orders, unused)),
    );
    assert_eq!(ingest.code, 0, "{}", ingest.output());
    let partial = classify(
        dir.path(),
        &rest(classify_workflow(&key, "", "", unused)),
        &[],
    );
    assert_eq!(partial.code, 1, "{}", partial.output());
    assert!(
        partial
            .output()
            .contains("customers is not in OpenMetadata yet"),
        "{}",
        partial.output()
    );
    let orders = server
        .entity("table", "test_svc.default.default.orders")
        .unwrap();
    assert_eq!(
        column_tags(&orders, &["createdAt"]).len(),
        1,
        "orders was classified"
    );

    let ingest = ingest_json(
        dir.path(),
        "ingest.yaml",
        &rest(workflow(endpoint, &key, "", "", unused)),
    );
    assert_eq!(ingest.code, 0, "{}", ingest.output());
    assert_eq!(
        column_tags(
            &server
                .entity("table", "test_svc.default.default.orders")
                .unwrap(),
            &["createdAt"]
        )
        .len(),
        1,
        "a metadata run keeps the tags classification added"
    );

    // A person marks the phone column NonSensitive... and the email column Sensitive.
    let customers = server
        .entity("table", "test_svc.default.default.customers")
        .unwrap();
    let id = customers["id"].as_str().unwrap();
    let index = |name: &str| {
        customers["columns"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c["name"] == name)
            .unwrap()
    };
    let manual = |tag: &str| json!({"tagFQN": tag, "source": "Classification", "labelType": "Manual", "state": "Confirmed"});
    let (status, answer) = http(
        &server,
        "PATCH",
        &format!("/v1/tables/{id}"),
        "application/json-patch+json",
        &json!([
            {"op": "add", "path": format!("/columns/{}/tags", index("cardNumber")), "value": [manual("PII.NonSensitive")]},
            {"op": "add", "path": format!("/columns/{}/tags", index("email")), "value": [manual("PII.Sensitive")]},
        ]),
    );
    assert_eq!(status, 200, "{answer}");

    let pipeline = "      storeSampleData: true\n      sampleDataCount: 5\n";
    let run = classify(
        dir.path(),
        &rest(classify_workflow(&key, "", pipeline, unused)),
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    assert_no_secrets(&run.output(), "classify rest run");
    let stored = server
        .entity("table", "test_svc.default.default.customers")
        .unwrap();
    assert_eq!(
        column_tags(&stored, &["cardNumber"]),
        [manual("PII.NonSensitive")],
        "a person's choice stands"
    );
    assert_eq!(
        column_tags(&stored, &["email"]),
        [manual("PII.Sensitive")],
        "no duplicate of the same tag"
    );
    let ssn = column_tags(&stored, &["ssn"]);
    assert_eq!(ssn.len(), 1);
    assert_eq!(ssn[0]["tagFQN"], "PII.Sensitive");
    assert_eq!(ssn[0]["labelType"], "Generated");
    assert!(ssn[0]["metadata"]["recognizer"]["recognizerName"].is_string());
    let street = column_tags(&stored, &["profile", "address", "street"]);
    assert_eq!(
        street[0]["tagFQN"], "PII.NonSensitive",
        "nested leaves are tagged"
    );
    assert_eq!(stored["sampleData"]["rows"].as_array().unwrap().len(), 5);
    let s = summary(&run);
    // Kept: the person's card tag, the person's email tag, orders' createdAt and
    // prénom✓ tags from before.
    assert_eq!(s["classification"]["tagsKept"], 4, "{s}");
    assert_eq!(s["classification"]["sampleData"], 2, "{s}");

    // A second run adds nothing: same tags, same version.
    let version = stored["version"].clone();
    let again = classify(
        dir.path(),
        &rest(classify_workflow(&key, "", "", unused)),
        &[],
    );
    assert_eq!(again.code, 0, "{}", again.output());
    let after = server
        .entity("table", "test_svc.default.default.customers")
        .unwrap();
    assert_eq!(after["version"], version);
    assert_eq!(after["columns"], stored["columns"]);
    let s = summary(&again);
    assert_eq!(s["classification"]["tagsAdded"], 0, "{s}");

    // classificationFilterPattern selects tables by their OpenMetadata tags.
    let orders_id = server
        .entity("table", "test_svc.default.default.orders")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, answer) = http(
        &server,
        "PATCH",
        &format!("/v1/tables/{orders_id}"),
        "application/json-patch+json",
        &json!([{"op": "add", "path": "/tags", "value": [manual("Tier.Tier1")]}]),
    );
    assert_eq!(status, 200, "{answer}");
    let tiered = "      classificationFilterPattern:\n        includes: [\"Tier.Tier1\"]\n";
    let run = classify(
        dir.path(),
        &rest(classify_workflow(&key, "", tiered, unused)),
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    let s = summary(&run);
    assert_eq!(s["tablesProcessed"], 1, "{s}");
    assert_eq!(s["filtered"], json!(["customers"]), "{s}");
}

#[test]
fn a_classification_file_publishes_later() {
    let key = unique_access_key("classify-publish");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let server = ContractServer::start("2.0.7", None);
    let rest = |yaml: String| to_rest(&yaml, &server.endpoint());
    let unused = Path::new("unused.jsonl");
    let endpoint = &dynamodb_local().endpoint;
    let ingest = ingest_json(
        dir.path(),
        "ingest.yaml",
        &rest(workflow(endpoint, &key, "", "", unused)),
    );
    assert_eq!(ingest.code, 0, "{}", ingest.output());

    let out = dir.path().join("classified.jsonl");
    let file_run = classify(
        dir.path(),
        &classify_workflow(&key, "", "      storeSampleData: true\n", &out),
        &[],
    );
    assert_eq!(file_run.code, 0, "{}", file_run.output());
    assert!(server
        .entity("table", "test_svc.default.default.customers")
        .unwrap()["columns"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c
            .get("tags")
            .is_none_or(|t| t.as_array().is_some_and(Vec::is_empty))));

    let wf = write(
        dir.path(),
        "publish.yaml",
        &rest(classify_workflow(&key, "", "", unused)),
    );
    let run = dynameta(
        &[
            "publish",
            "--from",
            out.to_str().unwrap(),
            "-c",
            wf.to_str().unwrap(),
            "--log-format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    let stored = server
        .entity("table", "test_svc.default.default.customers")
        .unwrap();
    assert_eq!(
        column_tags(&stored, &["email"])[0]["tagFQN"],
        "PII.Sensitive"
    );
    assert_eq!(
        column_tags(&stored, &["contacts", "phone"])[0]["tagFQN"],
        "PII.NonSensitive"
    );
    assert_eq!(stored["sampleData"]["rows"].as_array().unwrap().len(), 50);
}

#[test]
fn a_1_9_server_gets_labels_without_2_0_metadata() {
    let key = unique_access_key("classify-19");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let server = ContractServer::start("1.9.10", None);
    let unused = Path::new("unused.jsonl");
    let only = "      tableFilterPattern:\n        includes: [customers]\n";
    let endpoint = &dynamodb_local().endpoint;
    let ingest = ingest_json(
        dir.path(),
        "ingest.yaml",
        &to_rest(
            &workflow(endpoint, &key, "", only, unused),
            &server.endpoint(),
        ),
    );
    assert_eq!(ingest.code, 0, "{}", ingest.output());
    let run = classify(
        dir.path(),
        &to_rest(
            &classify_workflow(&key, "", only, unused),
            &server.endpoint(),
        ),
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    let stored = server
        .entity("table", "test_svc.default.default.customers")
        .unwrap();
    let email = column_tags(&stored, &["email"]);
    assert_eq!(email[0]["tagFQN"], "PII.Sensitive");
    assert!(email[0].get("metadata").is_none(), "{email:?}");
    assert!(email[0].get("reason").is_none(), "{email:?}");
}
