//! Surviving DynamoDB throttling: the same corpus read directly from DynamoDB Local
//! and through a proxy that throttles 30 % of all requests gives the same output, with
//! the product's default settings.

use std::path::Path;
use std::sync::OnceLock;

use aws_sdk_dynamodb::types::ScalarAttributeType;
use dynameta_testkit::fault_proxy::{FaultProxy, Throttle};
use dynameta_testkit::{corpus, dynamodb_local, unique_access_key};
use serde_json::Value;

use super::support::*;

/// Tables in the corpus.
const TABLES: u32 = 50;
/// Items per table: small tables keep the test fast; what matters is the request count.
const ITEMS: u32 = 4;
/// The product's default `maxAttempts`.
const SDK_ATTEMPTS: u32 = 5;
/// Throttling seed. Draws are a hash of the request and its attempt number, so this
/// corpus's requests are throttled the same way in every run; with seed 42 one Scan
/// request of each command is throttled 5 times in a row (more than the SDK's default
/// 5 attempts cover) and no request more than 5 times. The test checks the first part,
/// so a change in the requests that loses this property is noticed, not hidden.
const SEED: u64 = 42;

/// The access key (DynamoDB Local namespace) of the 50-table corpus, seeded once.
fn corpus_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = unique_access_key("throttle");
        let (endpoint, k) = (dynamodb_local().endpoint.clone(), key.clone());
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                let client = dynameta_testkit::client(&endpoint, &k, "us-east-1").await;
                for t in 0..TABLES {
                    let name = format!("t{t:02}");
                    // Customers (PII for classify) and orders (composite key, nesting).
                    if t % 2 == 0 {
                        corpus::create_table(
                            &client,
                            &name,
                            ("customerId", ScalarAttributeType::S),
                            None,
                        )
                        .await;
                        let items = (0..ITEMS).map(|i| corpus::customer_item(t * 100 + i));
                        corpus::put_items(&client, &name, items.collect()).await;
                    } else {
                        corpus::create_table(
                            &client,
                            &name,
                            ("customerId", ScalarAttributeType::S),
                            Some(("orderId", ScalarAttributeType::N)),
                        )
                        .await;
                        let items = (0..ITEMS).map(|i| corpus::order_item(t * 100 + i));
                        corpus::put_items(&client, &name, items.collect()).await;
                    }
                }
            })
        })
        .join()
        .expect("seed the throttling corpus");
        key
    })
}

/// A workflow with nothing but the connection: every option at its product default.
fn default_workflow(endpoint: &str, key: &str, pipeline: &str, out: &Path) -> String {
    default_builder(endpoint, key, pipeline, out).yaml()
}

/// [`default_workflow`], to set more.
fn default_builder(endpoint: &str, key: &str, pipeline: &str, out: &Path) -> WorkflowBuilder {
    WorkflowBuilder::product_defaults(endpoint, key)
        .service_name("throttle_svc")
        .pipeline(pipeline)
        .file_sink(out)
}

fn run_command(dir: &Path, command: &str, yaml: &str) -> Run {
    let wf = write(dir, &format!("{command}.yaml"), yaml);
    dynameta(
        &[command, "-c", wf.to_str().unwrap(), "--log-format", "json"],
        &[],
    )
}

/// Removes what legitimately differs between two runs over the same data:
/// - `timestamp` (profile payloads, every column profile): the wall clock of the run;
/// - `dynamodb.seconds` (profile): the scan's elapsed time, longer when throttled;
/// - the service connection's `endPointURL`: the direct run and the proxied run use
///   different endpoints (DynamoDB Local's port vs the proxy's), by construction.
///
/// Everything else stays, including items read, requests made and consumed read
/// units: a throttled request consumes nothing and a retried page is the same page,
/// so those must match.
fn normalize(mut record: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("timestamp");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut record);
    if let Some(d) = record.get_mut("dynamodb").and_then(Value::as_object_mut) {
        d.remove("seconds");
    }
    if let Some(aws) = record
        .pointer_mut("/payload/connection/config/awsConfig")
        .and_then(Value::as_object_mut)
    {
        aws.remove("endPointURL");
    }
    record
}

#[test]
fn thirty_percent_throttling_changes_nothing_with_default_settings() {
    let key = corpus_key();
    let proxy = FaultProxy::throttling(
        &dynamodb_local().endpoint,
        Throttle {
            fraction: 0.3,
            seed: SEED,
            operations: Vec::new(),
        },
    );
    let dir = tempfile::tempdir().unwrap();
    for (command, pipeline) in [
        ("ingest", "DatabaseMetadata"),
        ("profile", "Profiler"),
        ("classify", "AutoClassification"),
    ] {
        let mut outputs = Vec::new();
        for (label, endpoint) in [
            ("direct", dynamodb_local().endpoint.as_str()),
            ("throttled", proxy.endpoint.as_str()),
        ] {
            let out = dir.path().join(format!("{command}-{label}.jsonl"));
            let yaml = default_workflow(endpoint, key, pipeline, &out);
            proxy.reset();
            let injected_before = proxy.throttled();
            let run = run_command(dir.path(), command, &yaml);
            let injected = proxy.throttled() - injected_before;
            if label == "throttled" {
                assert!(
                    proxy.longest_streak() >= SDK_ATTEMPTS,
                    "{command}: the scenario must throttle some request more often in a row \
                     than the SDK's {SDK_ATTEMPTS} attempts cover (longest streak {}); pick \
                     another SEED",
                    proxy.longest_streak()
                );
            }
            assert_eq!(run.code, 0, "{command} {label}: {}", run.output());
            let s = summary(&run);
            assert_eq!(
                s["failures"],
                serde_json::json!([]),
                "{command} {label}: {s}"
            );
            assert_eq!(
                s["tablesProcessed"], TABLES,
                "{command} {label}: every table is processed: {s}"
            );
            if label == "throttled" {
                assert!(injected > 0, "{command}: the proxy throttled nothing");
                assert_eq!(
                    s["throttledRequests"], injected,
                    "{command}: the summary counts every throttled request: {s}"
                );
                eprintln!(
                    "{command}: {injected} requests throttled, {:.1}s (direct run {:.1}s)",
                    run.elapsed.as_secs_f64(),
                    outputs
                        .first()
                        .map_or(0.0, |(_, secs): &(Vec<Value>, f64)| *secs)
                );
            } else {
                assert_eq!(s["throttledRequests"], 0, "{command} direct: {s}");
            }
            assert_no_secrets(&run.output(), command);
            let mut recs: Vec<Value> = records(&out).into_iter().map(normalize).collect();
            if command == "profile" {
                // The profiler writes tables as they finish (ingest and classify write
                // in listing order), so its order depends on timing: compare sorted.
                recs.sort_by_key(|r| r.to_string());
            }
            outputs.push((recs, run.elapsed.as_secs_f64()));
        }
        let (direct, throttled) = (&outputs[0].0, &outputs[1].0);
        assert!(!direct.is_empty(), "{command} wrote nothing");
        assert_eq!(
            direct.len(),
            throttled.len(),
            "{command}: as many records with throttling"
        );
        for (a, b) in direct.iter().zip(throttled) {
            assert_eq!(a, b, "{command}: a record differs under throttling");
        }
    }
}

#[test]
fn a_table_throttled_forever_fails_with_the_knobs_of_the_command_and_says_so_meanwhile() {
    use dynameta_testkit::fault_proxy::Fault;
    let key = unique_access_key("forever");
    create_tables(&key, &["calm", "hot"]);
    let proxy = FaultProxy::start(
        &dynamodb_local().endpoint,
        vec![Fault {
            operation: "Scan".into(),
            table: "hot".into(),
            status: 400,
            code: "ProvisionedThroughputExceededException".into(),
        }],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.jsonl");
    // Fewer SDK attempts and a short throttleRetrySeconds keep the test short; the
    // defaults are what the test above runs with.
    let yaml = default_builder(&proxy.endpoint, &key, "Profiler", &out)
        .connection_argument("maxAttempts", "2")
        .connection_argument("throttleRetrySeconds", "3")
        .yaml();
    let wf = write(dir.path(), "profile.yaml", &yaml);
    let run = dynameta(&["profile", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 1, "{}", run.output());
    // The table failed, with the profiler's knobs (not ingest's `threads`).
    let failure = run
        .output()
        .lines()
        .find(|l| l.contains("Scan on hot failed"))
        .unwrap_or_else(|| panic!("no failure for hot in {}", run.output()))
        .to_string();
    for expected in [
        "ProvisionedThroughputExceededException",
        "threadCount",
        "scanWorkers",
        "maxReadUnitsPerSecond",
        "maxReadCapacityPercent",
        "throttleRetrySeconds",
    ] {
        assert!(failure.contains(expected), "{expected} in {failure}");
    }
    assert!(!failure.contains("lower `threads`"), "{failure}");
    // While it retried, the user was told.
    assert!(
        run.stderr.contains("DynamoDB is throttling requests"),
        "{}",
        run.stderr
    );
    // At most one status line every 5 seconds, not one per retry (the table's
    // failure is logged once more, on its own line).
    let lines = run
        .stderr
        .matches("DynamoDB is throttling requests")
        .count();
    assert!(
        (1..=3).contains(&lines),
        "{lines} status lines:\n{}",
        run.stderr
    );
    // It kept retrying beyond the SDK's two attempts (the first wait, at most 0.5 s, is
    // within the 3 s bound) and then gave up: the run ended. That it gives up within
    // throttleRetrySeconds is proven on tokio's paused clock, not a wall clock
    // (aws::retry's endless_throttling_gives_up_within_the_bound).
    assert!(proxy.throttled() >= 4, "{} throttled", proxy.throttled());
    // The other table was profiled.
    // A failed run leaves the output alone; what it did profile is in the .partial file.
    assert!(!out.exists());
    let recs = records(&dir.path().join("p.jsonl.partial"));
    assert!(
        recs.iter()
            .any(|r| r["table"].as_str().is_some_and(|t| t.ends_with(".calm"))),
        "{recs:?}"
    );
}

#[test]
fn a_dead_endpoint_is_reported_while_it_is_retried() {
    // A port nothing listens on: every connection is refused, and the SDK retries.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.jsonl");
    let yaml = default_workflow(&endpoint, "AKIDDEAD", "DatabaseMetadata", &out);
    let wf = write(dir.path(), "ingest.yaml", &yaml);
    let run = dynameta(&["ingest", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 1, "{}", run.output());
    let status = run
        .stderr
        .lines()
        .find(|l| l.contains(&format!("cannot reach the DynamoDB endpoint {endpoint}")))
        .unwrap_or_else(|| panic!("no status line while retrying:\n{}", run.stderr));
    assert!(
        status.contains("retrying ListTables, attempt 2 of 5"),
        "{status}"
    );
    // Rate-limited: not one line per attempt.
    let lines = run
        .stderr
        .matches("cannot reach the DynamoDB endpoint")
        .count();
    assert!(lines < 5, "{lines} status lines:\n{}", run.stderr);
    assert_no_secrets(&run.output(), "dead endpoint");
}
