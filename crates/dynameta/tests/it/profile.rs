//! `dynameta profile` against DynamoDB Local: exact metrics, sampling cost and accuracy,
//! the read budget, and publishing to the contract server.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use aws_sdk_dynamodb::types::{AttributeValue as AV, ScalarAttributeType};
use dynameta_testkit::openmetadata_server::ContractServer;
use dynameta_testkit::{corpus, dynamodb_local, schema, unique_access_key};
use serde_json::Value;

use super::support::*;

pub(super) fn block_on<F: std::future::Future<Output = ()> + Send + 'static>(f: F) {
    std::thread::spawn(move || tokio::runtime::Runtime::new().unwrap().block_on(f))
        .join()
        .unwrap();
}

/// Items with known distributions: `n` = i, `cat` = c{i%5}, `opt` NULL / huge / absent,
/// `pad` ~250 bytes so items weigh like real ones.
pub(super) fn known_item(i: u64) -> HashMap<String, AV> {
    let mut m = HashMap::new();
    m.insert("id".to_string(), AV::S(format!("id-{i:06}")));
    m.insert("n".to_string(), AV::N(i.to_string()));
    m.insert("cat".to_string(), AV::S(format!("c{}", i % 5)));
    match i % 4 {
        0 => {
            m.insert("opt".to_string(), AV::Null(true));
        }
        1 => {
            m.insert("opt".to_string(), AV::N("1E+125".into()));
        }
        _ => {}
    }
    m.insert("pad".to_string(), AV::S("x".repeat(250)));
    m
}

pub(super) fn seed_known(key: &str, table: &str, items: u64) {
    let (endpoint, key, table) = (
        dynamodb_local().endpoint.clone(),
        key.to_string(),
        table.to_string(),
    );
    block_on(async move {
        let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
        corpus::create_table(&client, &table, ("id", ScalarAttributeType::S), None).await;
        corpus::put_items_parallel(&client, &table, (0..items).map(known_item).collect(), 8).await;
    });
}

pub(super) fn profile_workflow(
    endpoint: &str,
    key: &str,
    connection_arguments: &str,
    source: &str,
    out: &Path,
) -> String {
    profile_builder(endpoint, key, connection_arguments, source)
        .file_sink(out)
        .yaml()
}

/// [`profile_workflow`] without its sink, to set more.
pub(super) fn profile_builder(
    endpoint: &str,
    key: &str,
    connection_arguments: &str,
    source: &str,
) -> WorkflowBuilder {
    WorkflowBuilder::new(endpoint, key)
        .connection_lines(connection_arguments)
        .pipeline("Profiler")
        .source_lines(source)
}

fn profile(dir: &Path, yaml: &str) -> (Run, Vec<Value>) {
    let out_path = yaml
        .lines()
        .find_map(|l| l.trim().strip_prefix("filename: "))
        .map(|p| p.to_string());
    let wf = write(dir, "profile.yaml", yaml);
    let run = dynameta(
        &[
            "profile",
            "-c",
            wf.to_str().unwrap(),
            "--log-format",
            "json",
        ],
        &[],
    );
    let recs = out_path
        .filter(|_| run.code == 0)
        .map(|p| records(Path::new(&p)))
        .unwrap_or_default();
    (run, recs)
}

fn column<'a>(payload: &'a Value, name: &str) -> &'a Value {
    payload["columnProfile"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no profile for {name}"))
}

#[test]
fn full_profile_has_exact_counts_and_decimals() {
    let key = unique_access_key("profile");
    seed_known(&key, "known", 2000);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("profile.jsonl");
    let (run, recs) = profile(
        dir.path(),
        &profile_workflow(&dynamodb_local().endpoint, &key, "", "", &out),
    );
    assert_eq!(run.code, 0, "{}", run.output());
    assert_no_secrets(&run.output(), "profile run");
    let rec = recs
        .iter()
        .find(|r| r["kind"] == "createTableProfile")
        .unwrap();
    assert_eq!(rec["table"], "test_svc.default.default.known");
    let payload = &rec["payload"];
    if let Err(e) = schema::validate("createTableProfile.json", payload) {
        panic!("invalid CreateTableProfileRequest: {}", e.join("\n"));
    }
    let table = &payload["tableProfile"];
    assert_eq!(table["rowCount"], 2000.0);
    assert_eq!(table["columnCount"], 5);
    assert!(table["sizeInByte"].as_f64().unwrap() > 500_000.0);
    assert!(table.get("profileSample").is_none(), "full scan");
    let n = column(payload, "n");
    assert_eq!(
        (
            n["valuesCount"].as_u64(),
            n["min"].as_f64(),
            n["max"].as_f64()
        ),
        (Some(2000), Some(0.0), Some(1999.0))
    );
    assert_eq!(n["sum"], 1_999_000.0);
    assert_eq!(n["distinctCount"], 2000);
    assert!((n["median"].as_f64().unwrap() - 999.5).abs() < 2000.0 * 0.02);
    let opt = column(payload, "opt");
    assert_eq!(
        (
            opt["valuesCount"].as_u64(),
            opt["nullCount"].as_u64(),
            opt["missingCount"].as_u64()
        ),
        (Some(500), Some(1500), Some(1000))
    );
    let cat = column(payload, "cat");
    assert_eq!(cat["distinctCount"], 5);
    assert_eq!(
        cat["cardinalityDistribution"]["counts"],
        serde_json::json!([400, 400, 400, 400, 400])
    );
    let exact = rec["dynamodb"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == serde_json::json!(["opt"]))
        .unwrap();
    assert_eq!(exact["sum"], "5E+127", "500 x 1E+125, exact");
    assert_eq!(rec["dynamodb"]["rowCountExact"], true);
}

/// 100k small items, seeded once for the sampling tests.
fn big_table() -> &'static String {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = unique_access_key("bigtable");
        let (endpoint, k) = (dynamodb_local().endpoint.clone(), key.clone());
        block_on(async move {
            let client = dynameta_testkit::client(&endpoint, &k, "us-east-1").await;
            corpus::create_table(&client, "big", ("id", ScalarAttributeType::S), None).await;
            let items = (0..100_000u64)
                .map(|i| {
                    HashMap::from([
                        ("id".to_string(), AV::S(format!("k{i}"))),
                        ("v".to_string(), AV::N((i % 1000).to_string())),
                    ])
                })
                .collect();
            corpus::put_items_parallel(&client, "big", items, 8).await;
        });
        key
    })
}

/// Profiles the 100k-item table with `source` (sourceConfig lines) and returns its
/// `createTableProfile` record (the run must succeed).
fn profile_big_table(source: &str) -> Value {
    let key = big_table();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.jsonl");
    let (run, recs) = profile(
        dir.path(),
        &profile_workflow(&dynamodb_local().endpoint, key, "", source, &out),
    );
    assert_eq!(run.code, 0, "{}", run.output());
    recs.into_iter()
        .find(|r| r["kind"] == "createTableProfile")
        .unwrap_or_else(|| panic!("no profile in {}", run.output()))
}

#[test]
fn percentage_sample_reads_about_that_share_and_estimates_row_count() {
    let source = "      profileSampleConfig:\n        sampleConfigType: STATIC\n        config:\n          profileSample: 10\n          profileSampleType: PERCENTAGE\n";
    let rec = &profile_big_table(source);
    let read = rec["dynamodb"]["itemsRead"].as_f64().unwrap();
    assert!((8_000.0..=12_000.0).contains(&read), "read {read}");
    let estimate = rec["payload"]["tableProfile"]["rowCount"].as_f64().unwrap();
    assert!(
        (estimate - 100_000.0).abs() <= 5_000.0,
        "estimate {estimate}"
    );
    assert_eq!(
        rec["payload"]["tableProfile"]["profileSampleType"],
        "PERCENTAGE"
    );
    assert_eq!(rec["dynamodb"]["itemCountReported"], 100_000);
}

#[test]
fn rows_sample_reads_the_asked_count() {
    // The 1.x flat form most existing files use.
    let source = "      profileSample: 5000\n      profileSampleType: ROWS\n";
    let rec = &profile_big_table(source);
    let read = rec["dynamodb"]["itemsRead"].as_u64().unwrap();
    assert!((5_000..7_000).contains(&read), "read {read}");
    assert_eq!(read, 5_000, "quotas read exactly the asked count");
    assert_eq!(
        column(&rec["payload"], "v")["valuesCount"].as_u64(),
        Some(read)
    );

    // Same seed, same items: every exact statistic is identical run after run (sketch
    // estimates such as quartiles may differ within their error, as which worker reads
    // which segment still depends on timing).
    let rec2 = &profile_big_table(source);
    for name in ["id", "v"] {
        let (a, b) = (
            column(&rec["payload"], name),
            column(&rec2["payload"], name),
        );
        for metric in [
            "valuesCount",
            "nullCount",
            "distinctCount",
            "uniqueCount",
            "min",
            "max",
            "sum",
            "minLength",
            "maxLength",
        ] {
            assert_eq!(a[metric], b[metric], "{name}.{metric}");
        }
    }
}

#[test]
fn read_budget_holds_the_rate() {
    let key = unique_access_key("budget");
    seed_known(&key, "budgeted", 12_000);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let rate_with = |arguments: &str| {
        let (run, recs) = profile(
            dir.path(),
            &profile_workflow(&dynamodb_local().endpoint, &key, arguments, "", &out),
        );
        assert_eq!(run.code, 0, "{}", run.output());
        let d = &recs
            .iter()
            .find(|r| r["kind"] == "createTableProfile")
            .unwrap()["dynamodb"];
        let (units, seconds) = (
            d["consumedReadUnits"].as_f64().unwrap(),
            d["seconds"].as_f64().unwrap(),
        );
        assert!(
            units > 300.0,
            "the scan must cost several seconds of budget: {units}"
        );
        (units / seconds, format!("{units} units in {seconds:.2}s"))
    };
    let (rate, how) = rate_with("        maxReadUnitsPerSecond: 150");
    // Never above the budget (the bucket's small initial credit aside).
    assert!(rate <= 165.0, "{how} = {rate:.1}/s");
    // And close to it whenever this machine reads faster than the budget: the same
    // scan without a budget, measured in the same run, tells (a loaded machine may
    // not reach 150/s at all, and then the budget cannot be what holds the rate).
    let (free, free_how) = rate_with("");
    if free > 300.0 {
        assert!(
            rate >= 135.0,
            "{how} = {rate:.1}/s with a budget of 150; without: {free_how} = {free:.1}/s"
        );
    }
}

#[test]
fn profiles_publish_to_ingested_tables_and_missing_ones_fail() {
    let key = unique_access_key("profrest");
    seed_known(&key, "published", 300);
    let dir = tempfile::tempdir().unwrap();
    let ddb = &dynamodb_local().endpoint;
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    // The metadata-rest sink with its defaults (`config` empty).
    let rest = |builder: WorkflowBuilder| {
        builder
            .sink(TestSink::Rest(String::new()))
            .host_port(&server.endpoint())
            .yaml()
    };
    let ingest_yaml = rest(WorkflowBuilder::new(ddb, &key));
    let wf = write(dir.path(), "ingest.yaml", &ingest_yaml);
    let run = dynameta(&["ingest", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    // A table created after the ingest run is not in OpenMetadata yet.
    let (endpoint, k) = (ddb.clone(), key.clone());
    block_on(async move {
        let client = dynameta_testkit::client(&endpoint, &k, "us-east-1").await;
        corpus::create_table(&client, "late_table", ("id", ScalarAttributeType::S), None).await;
    });
    let yaml = rest(profile_builder(ddb, &key, "", ""));
    let wf = write(dir.path(), "profile.yaml", &yaml);
    let run = dynameta(
        &[
            "profile",
            "-c",
            wf.to_str().unwrap(),
            "--log-format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        run.stdout.contains("late_table") && run.stdout.contains("run `dynameta ingest` first"),
        "{}",
        run.stdout
    );
    let table = server
        .entity("table", "test_svc.default.default.published")
        .unwrap();
    assert_eq!(table["profile"]["rowCount"], 300.0, "{}", table["profile"]);
    let puts = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/tableProfile"))
        .count();
    assert_eq!(puts, 1);
    assert_no_secrets(&run.output(), "profile publish");
}

/// Customers (card numbers, SSNs, e-mails, names: corpus::customer_item) with a
/// low-cardinality `status` beside them.
fn seed_customers(key: &str, table: &str, items: u32) {
    let (endpoint, key, table) = (
        dynamodb_local().endpoint.clone(),
        key.to_string(),
        table.to_string(),
    );
    block_on(async move {
        let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
        corpus::create_table(
            &client,
            &table,
            ("customerId", ScalarAttributeType::S),
            None,
        )
        .await;
        let items = (0..items)
            .map(|i| {
                let mut item = corpus::customer_item(i);
                item.insert(
                    "status".into(),
                    AV::S(["NEW", "PAID", "SHIPPED"][i as usize % 3].into()),
                );
                // The card number once more, stored as a number.
                item.insert("cardNo".into(), AV::N(corpus::visa_number(i)));
                item
            })
            .collect();
        corpus::put_items_parallel(&client, &table, items, 8).await;
    });
}

#[test]
fn profile_never_writes_card_numbers_ssns_or_emails() {
    let key = unique_access_key("profpii");
    seed_customers(&key, "customers", 640);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pii.jsonl");
    let (run, recs) = profile(
        dir.path(),
        &profile_workflow(&dynamodb_local().endpoint, &key, "", "", &out),
    );
    assert_eq!(run.code, 0, "{}", run.output());
    let text = std::fs::read_to_string(&out).unwrap();
    for i in 0..640 {
        let item = corpus::customer_item(i);
        for attr in ["cardNumber", "ssn", "email", "fullName"] {
            let AV::S(value) = &item[attr] else {
                unreachable!()
            };
            assert!(
                !text.contains(value.as_str()),
                "{attr} {value} in the profile"
            );
        }
    }
    assert!(!run.output().contains(&corpus::visa_number(7)));
    let rec = recs
        .iter()
        .find(|r| r["kind"] == "createTableProfile")
        .unwrap();
    let payload = &rec["payload"];
    if let Err(e) = schema::validate("createTableProfile.json", payload) {
        panic!("invalid CreateTableProfileRequest: {}", e.join("\n"));
    }
    // Unique columns show no values at all.
    for name in ["cardNumber", "ssn", "email", "customerId"] {
        assert!(
            column(payload, name)
                .get("cardinalityDistribution")
                .is_none(),
            "{name}: {}",
            column(payload, name)
        );
    }
    // Card numbers stored as numbers: no minimum, maximum or quantiles.
    for metric in ["min", "max", "median", "histogram"] {
        assert!(column(payload, "cardNo").get(metric).is_none(), "{metric}");
    }
    // Names repeat (64 of them, 10 times each): shown, but masked.
    let names = &column(payload, "fullName")["cardinalityDistribution"]["categories"];
    assert!(
        names
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c == "Others" || c.as_str().unwrap().contains('*')),
        "{names}"
    );
    // A low-cardinality column that is not personal data keeps its values.
    let status = &column(payload, "status")["cardinalityDistribution"];
    assert_eq!(
        status["categories"],
        serde_json::json!(["NEW", "PAID", "SHIPPED"])
    );
    let summary = |path: Value| {
        rec["dynamodb"]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["path"] == path)
            .unwrap()
            .clone()
    };
    assert_eq!(
        summary(serde_json::json!(["status"]))["topValues"][0][0],
        "NEW"
    );
    assert_eq!(
        summary(serde_json::json!(["profile", "address", "city"]))["topValues"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    assert_eq!(summary(serde_json::json!(["fullName"]))["masked"], true);
}

#[test]
fn percentage_sample_of_a_small_table_reads_about_that_share() {
    let key = unique_access_key("smallpct");
    seed_known(&key, "small", 400);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.jsonl");
    let source = "      profileSample: 10\n      profileSampleType: PERCENTAGE\n";
    let (run, recs) = profile(
        dir.path(),
        &profile_workflow(&dynamodb_local().endpoint, &key, "", source, &out),
    );
    assert_eq!(run.code, 0, "{}", run.output());
    let rec = recs
        .iter()
        .find(|r| r["kind"] == "createTableProfile")
        .unwrap();
    let read = rec["dynamodb"]["itemsRead"].as_f64().unwrap();
    eprintln!("10 % of 400 items: read {read}");
    assert!((20.0..=80.0).contains(&read), "read {read} of 400 for 10 %");
    let rows = rec["payload"]["tableProfile"]["rowCount"].as_f64().unwrap();
    assert!((rows - 400.0).abs() <= 40.0, "rowCount {rows}");
    assert_eq!(rec["payload"]["tableProfile"]["profileSample"], 10.0);
    assert_eq!(
        column(&rec["payload"], "n")["valuesCount"].as_f64(),
        Some(read)
    );
}
