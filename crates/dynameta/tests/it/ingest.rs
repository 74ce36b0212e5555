//! `dynameta ingest` against DynamoDB Local with the test corpus.

use std::path::PathBuf;
use std::sync::OnceLock;

use aws_sdk_dynamodb::types::ScalarAttributeType;
use dynameta_testkit::{corpus, dynamodb_local, schema, unique_access_key};
use serde_json::Value;

use super::support::*;

/// Filler tables on top of the 5 corpus tables: 155 in all, so ListTables pages.
const FILLER: usize = 150;

struct CorpusRun {
    run: Run,
    records: Vec<Value>,
    out: PathBuf,
}

/// Seeds a private namespace once, then ingests it once; tests read the result.
fn corpus_run() -> &'static CorpusRun {
    static RUN: OnceLock<CorpusRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let key = unique_access_key("corpus");
        let endpoint = dynamodb_local().endpoint.clone();
        let (e, k) = (endpoint.clone(), key.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let client = dynameta_testkit::client(&e, &k, "us-east-1").await;
                corpus::seed(&client, FILLER).await;
            })
        })
        .join()
        .expect("seed corpus");
        let dir = tempfile::tempdir().unwrap().keep();
        let out = dir.join("out.jsonl");
        let yaml = workflow(&endpoint, &key, "", "      extractJsonSchema: true", &out);
        let wf = write(&dir, "wf.yaml", &yaml);
        let run = dynameta(
            &["ingest", "-c", wf.to_str().unwrap(), "--log-format", "json"],
            &[],
        );
        assert_eq!(run.code, 0, "{}", run.output());
        let records = records(&out);
        CorpusRun { run, records, out }
    })
}

#[test]
fn lists_every_table_across_pages() {
    let c = corpus_run();
    let s = summary(&c.run);
    assert_eq!(s["tablesListed"], 155);
    assert_eq!(s["tablesProcessed"], 155);
    assert_eq!(s["failures"].as_array().unwrap().len(), 0);
    let tables = c
        .records
        .iter()
        .filter(|r| r["kind"] == "createTable")
        .count();
    assert_eq!(tables, 155);
    let kinds: Vec<&str> = c
        .records
        .iter()
        .take(3)
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "createDatabaseService",
            "createDatabase",
            "createDatabaseSchema"
        ]
    );
}

#[test]
fn orders_columns_types_children_and_constraints() {
    let c = corpus_run();
    let t = create_table(&c.records, "orders");
    let cols = &t["columns"];
    let names: Vec<&str> = cols
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(&names[..2], ["customerId", "orderId"], "keys first");
    let mut rest = names[2..].to_vec();
    rest.sort();
    assert_eq!(rest, names[2..].to_vec(), "then by name");
    let ty = |name: &str| column(cols, name)["dataType"].as_str().unwrap().to_string();
    assert_eq!(ty("customerId"), "STRING");
    assert_eq!(ty("orderId"), "BIGINT");
    assert_eq!(ty("total"), "DECIMAL");
    assert_eq!(ty("paid"), "BOOLEAN");
    assert_eq!(ty("giftMessage"), "NULL");
    assert_eq!(ty("signature"), "BYTES");
    assert_eq!(ty("couponCode"), "STRING");
    for (name, display) in [
        ("labels", "set<string>"),
        ("ratings", "set<number>"),
        ("blobs", "set<binary>"),
    ] {
        assert_eq!(ty(name), "SET");
        assert!(column(cols, name).get("arrayDataType").is_none());
        assert_eq!(column(cols, name)["dataTypeDisplay"], display);
    }
    let lines = column(cols, "lines");
    assert_eq!(lines["dataType"], "ARRAY");
    assert_eq!(lines["arrayDataType"], "STRUCT");
    let line_children: Vec<&str> = lines["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(line_children, ["price", "qty", "sku"]);
    assert!(lines["jsonSchema"].as_str().unwrap().contains("\"sku\""));
    let mixed = column(cols, "mixed");
    assert_eq!(mixed["dataType"], "UNION");
    assert_eq!(
        mixed["dataTypeDisplay"],
        "union<string,number,boolean,struct>"
    );
    // shipping.address.geo.region.zone.code: 6 levels.
    let mut c = column(cols, "shipping");
    for name in ["address", "geo", "region", "zone", "code"] {
        assert_eq!(c["dataType"], "STRUCT");
        c = column(&c["children"], name);
    }
    assert_eq!(c["dataType"], "STRING");
    for odd in ["meta.source", "delivery notes", "prénom✓"] {
        assert_eq!(ty(odd), "STRING", "{odd}");
    }
    assert_eq!(
        t["tableConstraints"],
        serde_json::json!([
            {"constraintType": "PRIMARY_KEY", "columns": ["customerId", "orderId"]},
            {"constraintType": "SORT_KEY", "columns": ["orderId"]}
        ])
    );
    assert_eq!(t["tableType"], "Regular");
    assert_eq!(t["databaseSchema"], "test_svc.default.default");
    assert!(t["sourceUrl"]
        .as_str()
        .unwrap()
        .contains("#table?name=orders"));
}

#[test]
fn empty_and_dotted_tables() {
    let c = corpus_run();
    let empty = create_table(&c.records, "empty_composite");
    let cols = empty["columns"].as_array().unwrap();
    assert_eq!(cols.len(), 2, "key columns even without items");
    assert_eq!(cols[0]["name"], "pk");
    assert_eq!(cols[0]["dataType"], "BYTES");
    assert_eq!(cols[1]["dataType"], "NUMBER");
    let dotted = c
        .records
        .iter()
        .find(|r| r["kind"] == "dynamodbTable" && r["properties"]["name"] == "acct.users-v2")
        .unwrap();
    assert_eq!(
        dotted["table"],
        "test_svc.default.default.\"acct.users-v2\""
    );
    let users = create_table(&c.records, "users");
    assert_eq!(
        column(&users["columns"], "userId")["constraint"],
        "PRIMARY_KEY"
    );
    // A lone key is on its column only (OpenMetadata refuses it in both places).
    assert!(users.get("tableConstraints").is_none(), "{users}");
}

#[test]
fn shapes_openmetadata_refuses_are_mapped_to_ones_it_accepts() {
    let c = corpus_run();
    let t = create_table(&c.records, "shapes");
    assert!(t.get("tableConstraints").is_none());
    let cols = &t["columns"];
    let bin = column(cols, "bin");
    assert_eq!(
        (&bin["dataType"], &bin["constraint"]),
        (
            &serde_json::json!("BYTES"),
            &serde_json::json!("PRIMARY_KEY")
        )
    );
    assert_eq!(column(cols, "payload")["dataType"], "BYTES");
    assert_eq!(column(cols, "emptyMap")["dataType"], "MAP");
    assert!(column(cols, "emptyMap").get("children").is_none());
    assert_eq!(column(cols, "emptyList")["arrayDataType"], "UNKNOWN");
    assert_eq!(column(cols, "listOfEmptyMaps")["arrayDataType"], "MAP");
    assert_eq!(
        column(&column(cols, "nested")["children"], "inner")["dataType"],
        "MAP"
    );
    for set in ["tags", "scores", "hashes"] {
        assert_eq!(column(cols, set)["dataType"], "SET");
    }
    // Unsafe names get a safe one, the original in displayName, and never collide.
    let mut names = Vec::new();
    for col in cols.as_array().unwrap() {
        let name = col["name"].as_str().unwrap();
        assert!(
            !name.contains(['\n', '"', '\u{2028}']) && !name.contains("::"),
            "{name:?}"
        );
        names.push(name);
    }
    let total = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), total, "{names:?}");
    for original in ["line\nbreak", "say \"hi\"", "a::b", "sep\u{2028}arator"] {
        let renamed = cols
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["displayName"] == original)
            .unwrap_or_else(|| panic!("{original:?} has no column"));
        assert_ne!(renamed["name"], original);
    }
    assert_eq!(column(cols, "line break")["dataType"], "STRING");
}

#[test]
fn dynamodb_properties_are_kept() {
    let c = corpus_run();
    let find = |name: &str| {
        c.records
            .iter()
            .find(|r| r["kind"] == "dynamodbTable" && r["properties"]["name"] == name)
            .unwrap_or_else(|| panic!("no dynamodbTable {name}"))
    };
    let orders = find("orders");
    let p = &orders["properties"];
    assert_eq!(p["hashKey"]["name"], "customerId");
    assert_eq!(p["rangeKey"]["attributeType"], "N");
    assert_eq!(p["globalSecondaryIndexes"][0]["name"], "by_status");
    assert_eq!(p["globalSecondaryIndexes"][0]["projection"], "INCLUDE");
    assert_eq!(
        p["globalSecondaryIndexes"][0]["nonKeyAttributes"][0],
        "total"
    );
    assert_eq!(p["localSecondaryIndexes"][0]["rangeKey"], "total");
    assert_eq!(p["billingMode"], "PROVISIONED");
    assert_eq!(p["provisionedThroughput"]["readCapacityUnits"], 25);
    assert_eq!(p["itemCount"], 120);
    assert!(p["sizeBytes"].as_i64().unwrap() > 0);
    assert_eq!(p["stream"]["viewType"], "NEW_AND_OLD_IMAGES");
    assert!(p["arn"].as_str().unwrap().contains(":table/orders"));
    assert!(p["createdAt"].as_str().unwrap().starts_with("20"));
    assert!(p["unavailable"]["tags"]
        .as_str()
        .unwrap()
        .contains("not supported"));
    assert_eq!(orders["sampling"]["itemsSampled"], 120);
    let presence = orders["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == serde_json::json!(["couponCode"]))
        .unwrap()["presence"]
        .as_f64()
        .unwrap();
    assert!((presence - 40.0 / 120.0).abs() < 1e-9, "{presence}");
    let users = find("users");
    assert_eq!(users["properties"]["ttl"]["attribute"], "expiresAt");
    assert_eq!(users["properties"]["ttl"]["status"], "ENABLED");
    assert_eq!(users["properties"]["billingMode"], "PAY_PER_REQUEST");
}

#[test]
fn every_payload_validates_against_upstream_schemas() {
    let c = corpus_run();
    let mut checked = 0;
    for r in &c.records {
        let file = match r["kind"].as_str().unwrap() {
            "createDatabaseService" => "createDatabaseService.json",
            "createDatabase" => "createDatabase.json",
            "createDatabaseSchema" => "createDatabaseSchema.json",
            "createTable" => "createTable.json",
            _ => continue,
        };
        if let Err(errors) = schema::validate(file, &r["payload"]) {
            panic!(
                "{file} rejects {}:\n{}",
                r["payload"]["name"],
                errors.join("\n")
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 3 + 155);
}

#[test]
fn no_secret_in_output_file_or_logs() {
    let c = corpus_run();
    assert_no_secrets(&c.run.output(), "stdout/stderr");
    assert_no_secrets(&std::fs::read_to_string(&c.out).unwrap(), "output file");
    let service = &c.records[0]["payload"]["connection"]["config"]["awsConfig"];
    assert!(service.get("awsSecretAccessKey").is_none());
    assert!(service.get("awsSessionToken").is_none());
}

#[test]
fn filters_follow_openmetadata_semantics_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("filters");
    let endpoint = &dynamodb_local().endpoint;
    create_tables(
        &key,
        &["orders", "orders_tmp", "Orders_archive", "users", "audit"],
    );
    let out = dir.path().join("out.jsonl");
    let yaml = workflow(
        endpoint,
        &key,
        "",
        "      tableFilterPattern:\n        includes: [\"orders\", \"users\"]\n        excludes: [\"orders_tmp\"]",
        &out,
    );
    let run = ingest_json(dir.path(), "wf.yaml", &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let s = summary(&run);
    assert_eq!(s["tablesListed"], 5);
    let mut filtered: Vec<&str> = s["filtered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    filtered.sort();
    assert_eq!(filtered, ["audit", "orders_tmp"]);
    assert_eq!(
        table_names(&records(&out)),
        ["Orders_archive", "orders", "users"],
        "prefix match, case-insensitive"
    );
}

#[test]
fn same_data_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("determinism");
    let endpoint = &dynamodb_local().endpoint;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = dynameta_testkit::client(endpoint, &key, "us-east-1").await;
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
            (0..300).map(corpus::order_item).collect(),
        )
        .await;
    });
    let mut outputs = Vec::new();
    for i in 0..2 {
        let out = dir.path().join(format!("out{i}.jsonl"));
        let yaml = workflow(
            endpoint,
            &key,
            "        sampleSize: 50\n        sampleSegments: 4",
            "",
            &out,
        );
        let wf = write(dir.path(), &format!("wf{i}.yaml"), &yaml);
        let run = dynameta(&["ingest", "-c", wf.to_str().unwrap()], &[]);
        assert_eq!(run.code, 0, "{}", run.output());
        let text = std::fs::read_to_string(&out).unwrap();
        let recs = records(&out);
        let orders = recs.iter().find(|r| r["kind"] == "dynamodbTable").unwrap();
        assert_eq!(orders["sampling"]["itemsSampled"], 50);
        assert_eq!(orders["sampling"]["segments"], 3, "300 items / (2 x 50)");
        outputs.push(text);
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn a_failing_table_is_a_failure_and_the_rest_is_published() {
    use dynameta_testkit::fault_proxy::{Fault, FaultProxy};
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("faults");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = dynameta_testkit::client(&dynamodb_local().endpoint, &key, "us-east-1").await;
        for name in ["alpha", "forbidden", "omega", "throttled"] {
            corpus::create_table(&client, name, ("id", ScalarAttributeType::S), None).await;
            corpus::put_items(
                &client,
                name,
                (0..5)
                    .map(corpus::order_item)
                    .map(|mut i| {
                        let id = i.remove("customerId").unwrap();
                        i.insert("id".into(), id);
                        i
                    })
                    .collect(),
            )
            .await;
        }
    });
    let proxy = FaultProxy::start(
        &dynamodb_local().endpoint,
        vec![
            Fault {
                operation: "DescribeTable".into(),
                table: "forbidden".into(),
                status: 400,
                code: "AccessDeniedException".into(),
            },
            Fault {
                operation: "Scan".into(),
                table: "throttled".into(),
                status: 400,
                code: "ProvisionedThroughputExceededException".into(),
            },
        ],
    );
    let out = dir.path().join("out.jsonl");
    let yaml = WorkflowBuilder::new(&proxy.endpoint, &key)
        .connection_argument("maxAttempts", "2")
        .connection_argument("throttleRetrySeconds", "1")
        .file_sink(&out)
        .yaml();
    let run = ingest_json(dir.path(), "wf.yaml", &yaml);
    assert_eq!(run.code, 1, "{}", run.output());
    let s = summary(&run);
    assert_eq!(s["tablesProcessed"], 2);
    let failures = s["failures"].as_array().unwrap();
    let reason = |name: &str| {
        failures
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {failures:?}"))["reason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let denied = reason("forbidden");
    assert!(
        denied.contains("AccessDeniedException") && denied.contains("dynamodb:DescribeTable"),
        "{denied}"
    );
    assert!(
        s["throttledRequests"].as_u64().unwrap() >= 2,
        "both attempts at the throttled Scan are counted: {s}"
    );
    let throttled = reason("throttled");
    assert!(
        throttled.contains("ProvisionedThroughputExceededException") && throttled.contains("Scan"),
        "{throttled}"
    );
    // A failed run writes no output: what it did get is in the partial file.
    assert!(!out.exists());
    let partial = dir.path().join("out.jsonl.partial");
    assert_eq!(table_names(&records(&partial)), ["alpha", "omega"]);
    assert_no_secrets(&run.output(), "failure run");
}

#[test]
fn schema_filter_can_drop_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("schemafilter");
    create_tables(&key, &["kept_maybe"]);
    let out = dir.path().join("out.jsonl");
    let yaml = workflow(
        &dynamodb_local().endpoint,
        &key,
        "",
        "      schemaFilterPattern:\n        excludes: [\"default\"]",
        &out,
    );
    // Selecting nothing is exit 3 (nothing written) unless --allow-empty.
    let run = ingest_json(dir.path(), "wf.yaml", &yaml);
    assert_eq!(run.code, 3, "{}", run.output());
    assert_eq!(summary(&run)["filtered"], serde_json::json!(["kept_maybe"]));
    assert!(!out.exists());
    let wf = write(dir.path(), "wf.yaml", &yaml);
    let run = dynameta(
        &[
            "ingest",
            "-c",
            wf.to_str().unwrap(),
            "--log-format",
            "json",
            "--allow-empty",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(table_names(&records(&out)).is_empty());
}

#[test]
fn debug_shows_our_per_table_decisions_and_the_sdk_only_at_trace() {
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("debuglog");
    create_tables(&key, &["logged_a", "logged_b"]);
    let out = dir.path().join("out.jsonl");
    let builder = WorkflowBuilder::new(&dynamodb_local().endpoint, &key).file_sink(&out);
    let wf = write(
        dir.path(),
        "wf.yaml",
        &builder.clone().logger_level("DEBUG").yaml(),
    );
    let debug = dynameta(&["ingest", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(debug.code, 0, "{}", debug.output());
    for decision in ["described", "sampled", "column inferred"] {
        assert!(
            debug.stderr.contains(decision),
            "{decision}: {}",
            debug.stderr
        );
    }
    let info = write(
        dir.path(),
        "info.yaml",
        &builder.logger_level("INFO").yaml(),
    );
    let info = dynameta(&["ingest", "-c", info.to_str().unwrap()], &[]);
    assert!(!info.stderr.contains("column inferred"), "{}", info.stderr);
    // DYNAMETA_LOG=debug is dynameta's debug, not the SDK's thousands of lines.
    let env = dynameta(
        &["ingest", "-c", wf.to_str().unwrap()],
        &[("DYNAMETA_LOG", "debug")],
    );
    let lines = env.stderr.lines().count();
    assert!(lines < 100, "{lines} lines:\n{}", env.stderr);
    let trace = dynameta(
        &["ingest", "-c", wf.to_str().unwrap()],
        &[("DYNAMETA_LOG", "trace")],
    );
    assert!(trace.stderr.lines().count() > 10 * lines.max(1));
    assert_no_secrets(&trace.output(), "trace logs");
}
