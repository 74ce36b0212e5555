//! Every table command walks the estate's (account, region) pairs (issue 25), against
//! moto (one backend per account and region; see `estate.rs`): `profile`, `classify`,
//! `lineage` and `usage` read each pair with its own connection (region and role), write
//! each table under its pair's FQN (`service.account.region.table`), fail a pair that
//! cannot be read alone, and refuse the modes that read one pair only (exit 2).
//! Before, all four refused a multi-pair workflow with exit 2.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{AttributeValue, ScalarAttributeType};
use dynameta_testkit::fault_proxy::{Fault, FaultProxy};
use dynameta_testkit::{corpus, moto};
use serde_json::Value;

use super::estate::keys_of;
use super::lineage::{block_on, create_role, KinesisStub};
use super::support::*;

/// DynamoDB on moto in `region` of `account` (`None`: the base account, 123456789012).
async fn dynamodb_in(account: Option<String>, region: &str) -> aws_sdk_dynamodb::Client {
    let creds = match account {
        Some(a) => keys_of(&a).await,
        None => aws_sdk_dynamodb::config::Credentials::new("AKIDESTATE", "s", None, None, "t"),
    };
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(creds)
        .endpoint_url(&moto().endpoint)
        .http_client(dynameta::aws::http_client())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// Creates `table` (hash key `customerId`) in `region` of `account` with `rows` items:
/// customers (with an `email` attribute) when `customers`, else items with a plain note.
fn seed(account: Option<&str>, region: &str, table: &str, rows: u32, customers: bool) {
    let (account, region, table) = (
        account.map(str::to_string),
        region.to_string(),
        table.to_string(),
    );
    block_on(async move {
        let client = dynamodb_in(account, &region).await;
        corpus::create_table(
            &client,
            &table,
            ("customerId", ScalarAttributeType::S),
            None,
        )
        .await;
        let items = (0..rows)
            .map(|i| {
                if customers {
                    corpus::customer_item(i)
                } else {
                    [
                        (
                            "customerId".to_string(),
                            AttributeValue::S(format!("N-{i}")),
                        ),
                        ("note".to_string(), AttributeValue::S(format!("plain {i}"))),
                    ]
                    .into_iter()
                    .collect()
                }
            })
            .collect();
        corpus::put_items(&client, &table, items).await;
    });
}

/// A workflow of pipeline `kind` reading DynamoDB at `dynamodb` (STS and the other
/// services on moto) with `lines` under connectionArguments, only tables whose name
/// starts with `prefix`; its sink is still to set.
fn estate_builder(kind: &str, dynamodb: &str, lines: &str, prefix: &str) -> WorkflowBuilder {
    let endpoint = &moto().endpoint;
    WorkflowBuilder::new(dynamodb, "AKIDESTATE")
        .connection_argument("stsEndpointUrl", endpoint)
        .connection_argument("awsServicesEndpointURL", endpoint)
        .connection_lines(lines)
        .pipeline(kind)
        .source_lines(&format!(
            "      tableFilterPattern:\n        includes: [\"{prefix}\"]"
        ))
}

/// [`estate_builder`] writing the file `out`.
fn estate_workflow(
    kind: &str,
    dynamodb: &str,
    lines: &str,
    prefix: &str,
    out: &std::path::Path,
) -> String {
    estate_builder(kind, dynamodb, lines, prefix)
        .file_sink(out)
        .yaml()
}

/// `yaml` of [`estate_builder`] for `usage`, whose pipeline has no filters: the table
/// filter moves to the connection (as OpenMetadata's usage workflows have it).
fn filter_on_connection(yaml: &str, prefix: &str) -> String {
    let filter = format!("      tableFilterPattern:\n        includes: [\"{prefix}\"]\n");
    yaml.replace(&filter, "").replace(
        "      connectionArguments:\n",
        &format!("{filter}      connectionArguments:\n"),
    )
}

/// Runs `dynameta <command> -c <yaml>` with JSON logs.
fn run_json(dir: &std::path::Path, command: &str, yaml: &str) -> Run {
    let wf = write(dir, &format!("{command}.yaml"), yaml);
    dynameta(
        &[command, "-c", wf.to_str().unwrap(), "--log-format", "json"],
        &[],
    )
}

/// The records of `kind`, by their `table`.
fn by_table(records: &[Value], kind: &str) -> BTreeMap<String, Value> {
    records
        .iter()
        .filter(|r| r["kind"] == kind)
        .map(|r| (r["table"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

const TWO_BY_TWO: &str = "        regions: [eu-west-3, ap-south-1]\n        accounts:\n          - roleArn: arn:aws:iam::111111111111:role/reader\n            name: analytics\n";

/// Same-named tables in 2 accounts × 2 regions, each holding other data: `profile`
/// and `classify` give each pair's table its own result, from its own items.
#[test]
fn profile_and_classify_read_each_pairs_own_table() {
    let p = format!("esc{}_", std::process::id());
    let t = format!("{p}people");
    // (account, region, rows, customers with emails?)
    let layout = [
        (None, "eu-west-3", 12, true),
        (None, "ap-south-1", 5, false),
        (Some("111111111111"), "eu-west-3", 7, false),
        (Some("111111111111"), "ap-south-1", 20, true),
    ];
    for (account, region, rows, customers) in layout {
        seed(account, region, &t, rows, customers);
    }
    let fqn = |db: &str, region: &str| format!("test_svc.{db}.{region}.{t}");
    let dir = tempfile::tempdir().unwrap();

    // profile: one profile per pair, each with its own row count.
    let out = dir.path().join("profile.jsonl");
    let yaml = estate_workflow("Profiler", &moto().endpoint, TWO_BY_TWO, &p, &out);
    let run = run_json(dir.path(), "profile", &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let profiles = by_table(&records(&out), "createTableProfile");
    let rows: BTreeMap<String, f64> = profiles
        .iter()
        .map(|(k, r)| {
            let n = r["payload"]["tableProfile"]["rowCount"].as_f64().unwrap();
            (k.clone(), n)
        })
        .collect();
    let want: BTreeMap<String, f64> = [
        (fqn("123456789012", "eu-west-3"), 12.0),
        (fqn("123456789012", "ap-south-1"), 5.0),
        (fqn("analytics", "eu-west-3"), 7.0),
        (fqn("analytics", "ap-south-1"), 20.0),
    ]
    .into_iter()
    .collect();
    assert_eq!(rows, want, "{}", run.output());
    let s = summary(&run);
    let pairs = s["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 4, "{s:#}");
    assert!(pairs.iter().all(|c| c["tablesProcessed"] == 1), "{s:#}");
    assert_eq!(s["itemsSampled"], 44, "{s:#}");
    assert_no_secrets(&run.output(), "estate profile");

    // classify: the email column is tagged only where the pair's table holds emails.
    let out = dir.path().join("classify.jsonl");
    let yaml = estate_workflow("AutoClassification", &moto().endpoint, TWO_BY_TWO, &p, &out);
    let run = run_json(dir.path(), "classify", &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let tags = by_table(&records(&out), "columnTags");
    assert_eq!(tags.len(), 4, "{tags:#?}");
    let email_tagged: Vec<&String> = tags
        .iter()
        .filter(|(k, r)| {
            r["payload"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["column"] == format!("{k}.email"))
        })
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        email_tagged,
        [
            &fqn("123456789012", "eu-west-3"),
            &fqn("analytics", "ap-south-1")
        ],
        "{tags:#?}"
    );
    assert_eq!(summary(&run)["pairs"].as_array().unwrap().len(), 4);
}

/// A role that cannot be assumed fails its pairs only, in `profile` and `classify`:
/// the default policy fails the run (the output is not replaced); `raiseOnError:
/// false` writes the good pair's results.
#[test]
fn a_role_that_cannot_be_assumed_fails_its_pairs_only_in_profile_and_classify() {
    let p = format!("esd{}_", std::process::id());
    let t = format!("{p}events");
    seed(Some("333333333333"), "eu-central-2", &t, 3, true);
    let sts = FaultProxy::start(
        &moto().endpoint,
        vec![Fault {
            operation: "AssumeRole".into(),
            table: "222222222222".into(),
            status: 403,
            code: "AccessDenied".into(),
        }],
    );
    let accounts = "        regions: [eu-central-2]\n        includeBaseAccount: false\n        accounts:\n          - roleArn: arn:aws:iam::222222222222:role/reader\n          - roleArn: arn:aws:iam::333333333333:role/reader\n";
    let dir = tempfile::tempdir().unwrap();
    for (command, kind, record) in [
        ("profile", "Profiler", "createTableProfile"),
        ("classify", "AutoClassification", "columnTags"),
    ] {
        let out = dir.path().join(format!("{command}.jsonl"));
        let yaml = estate_workflow(kind, &moto().endpoint, accounts, &p, &out).replace(
            &format!("stsEndpointUrl: {}", moto().endpoint),
            &format!("stsEndpointUrl: {}", sts.endpoint),
        );
        let run = run_json(dir.path(), command, &yaml);
        assert_eq!(run.code, 1, "{command}: {}", run.output());
        let s = summary(&run);
        let failures = s["failures"].as_array().unwrap();
        assert_eq!(failures.len(), 1, "{command}: {s:#}");
        assert_eq!(failures[0]["name"], "pair 222222222222/eu-central-2");
        assert!(
            failures[0]["reason"]
                .as_str()
                .unwrap()
                .contains("AssumeRole"),
            "{command}: {s:#}"
        );
        let pairs = s["pairs"].as_array().unwrap();
        assert!(pairs[0]["error"].is_string(), "{command}: {s:#}");
        assert_eq!(pairs[1]["tablesProcessed"], 1, "{command}: {s:#}");
        assert!(!out.exists(), "{command}: a failed run wrote its output");

        let tolerant = yaml.replace(
            "workflowConfig:\n",
            "workflowConfig:\n  raiseOnError: false\n",
        );
        let run = run_json(dir.path(), command, &tolerant);
        assert_eq!(run.code, 0, "{command}: {}", run.output());
        let written: Vec<String> = by_table(&records(&out), record).into_keys().collect();
        assert_eq!(
            written,
            [format!("test_svc.333333333333.eu-central-2.{t}")],
            "{command}"
        );
    }
}

/// Creates `table` with a stream in `region` of the base account; returns the stream ARN.
async fn streamed_table_in(region: &str, table: &str) -> String {
    let client = dynamodb_in(None, region).await;
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, StreamSpecification,
        StreamViewType,
    };
    let out = client
        .create_table()
        .table_name(table)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    out.table_description
        .and_then(|t| t.latest_stream_arn)
        .expect("moto gives the stream an ARN")
}

/// A client of the base account on moto in `region`.
macro_rules! base_client {
    ($krate:ident, $region:expr) => {{
        let config = $krate::Config::builder()
            .behavior_version($krate::config::BehaviorVersion::latest())
            .region($krate::config::Region::new($region.to_string()))
            .endpoint_url(&moto().endpoint)
            .credentials_provider(aws_credential_types::Credentials::new(
                "AKIDESTATE",
                "s",
                None,
                None,
                "t",
            ))
            .http_client(dynameta::aws::http_client())
            .build();
        $krate::Client::from_conf(config)
    }};
}

/// `lineage` reads each pair's Lambda in the pair's region: the same-named table has
/// a Lambda consumer in one region only, and only that pair's table gets the edge.
#[test]
fn lineage_reads_each_pairs_own_consumers() {
    let pid = std::process::id();
    let p = format!("esl{pid}_");
    let t = format!("{p}flow");
    let (t2, function) = (t.clone(), format!("esl-fn-{pid}"));
    block_on(async move {
        let stream = streamed_table_in("us-west-1", &t2).await;
        streamed_table_in("ap-southeast-1", &t2).await;
        let role = create_role(&format!("esl-role-{}", std::process::id())).await;
        let lambda = base_client!(aws_sdk_lambda, "us-west-1");
        let mut zip = b"PK\x05\x06".to_vec();
        zip.extend([0u8; 18]);
        lambda
            .create_function()
            .function_name(&function)
            .runtime(aws_sdk_lambda::types::Runtime::Python311)
            .role(role)
            .handler("f.h")
            .code(
                aws_sdk_lambda::types::FunctionCode::builder()
                    .zip_file(aws_smithy_types::Blob::new(zip))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        lambda
            .create_event_source_mapping()
            .function_name(&function)
            .event_source_arn(stream)
            .starting_position(aws_sdk_lambda::types::EventSourcePosition::Latest)
            .send()
            .await
            .unwrap();
    });
    // moto lacks DescribeKinesisStreamingDestination: the stub answers it (same for
    // both regions) and forwards the rest.
    let kinesis = KinesisStub::start(&t, "arn:aws:kinesis:us-west-1:123456789012:stream/cdc");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lineage.jsonl");
    let yaml = estate_workflow(
        "DatabaseLineage",
        &kinesis.endpoint,
        "        regions: [us-west-1, ap-southeast-1]\n",
        &p,
        &out,
    );
    let run = run_json(dir.path(), "lineage", &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let lineage = by_table(&records(&out), "tableLineage");
    let kinds = |region: &str| -> Vec<String> {
        let fqn = format!("test_svc.123456789012.{region}.{t}");
        let mut k: Vec<String> = lineage[&fqn]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect();
        k.sort();
        k
    };
    assert_eq!(lineage.len(), 2, "{lineage:#?}");
    assert!(
        kinds("us-west-1").iter().any(|k| k == "lambda"),
        "{lineage:#?}"
    );
    assert!(
        !kinds("ap-southeast-1").iter().any(|k| k == "lambda"),
        "{lineage:#?}"
    );
    assert_eq!(summary(&run)["pairs"].as_array().unwrap().len(), 2);
}

/// Puts `count` successful GetItem requests on `table` yesterday noon, in CloudWatch of
/// `region` (base account).
async fn put_requests_in(region: &str, table: &str, count: f64) {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit, StatisticSet};
    const DAY: i64 = 86_400;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let noon = now - now.rem_euclid(DAY) - DAY + DAY / 2;
    base_client!(aws_sdk_cloudwatch, region)
        .put_metric_data()
        .namespace("AWS/DynamoDB")
        .metric_data(
            MetricDatum::builder()
                .metric_name("SuccessfulRequestLatency")
                .dimensions(Dimension::builder().name("TableName").value(table).build())
                .dimensions(
                    Dimension::builder()
                        .name("Operation")
                        .value("GetItem")
                        .build(),
                )
                .timestamp(aws_smithy_types::DateTime::from_secs(noon))
                .statistic_values(
                    StatisticSet::builder()
                        .sample_count(count)
                        .sum(count)
                        .minimum(1.0)
                        .maximum(1.0)
                        .build(),
                )
                .unit(StandardUnit::Milliseconds)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// `usage` reads each pair's CloudWatch in the pair's region: the same-named table
/// gets each region's own request counts.
#[test]
fn usage_reads_each_pairs_own_cloudwatch() {
    let p = format!("esu{}_", std::process::id());
    let t = format!("{p}hits");
    let t2 = t.clone();
    block_on(async move {
        streamed_table_in("us-west-2", &t2).await;
        streamed_table_in("eu-west-2", &t2).await;
        put_requests_in("us-west-2", &t2, 7.0).await;
        put_requests_in("eu-west-2", &t2, 3.0).await;
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("usage.jsonl");
    let yaml = estate_workflow(
        "DatabaseUsage",
        &moto().endpoint,
        "        regions: [us-west-2, eu-west-2]\n",
        &p,
        &out,
    );
    let yaml = filter_on_connection(&yaml, &p).replace(
        "      type: DatabaseUsage\n",
        "      type: DatabaseUsage\n      queryLogDuration: 3\n",
    );
    let run = run_json(dir.path(), "usage", &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let usage = by_table(&records(&out), "tableUsage");
    let total = |region: &str| -> u64 {
        usage[&format!("test_svc.123456789012.{region}.{t}")]["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["requests"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(usage.len(), 2, "{usage:#?}");
    assert_eq!(
        (total("us-west-2"), total("eu-west-2")),
        (7, 3),
        "{usage:#?}"
    );

    // To OpenMetadata: after the estate's ingest, each pair's counts go to the table
    // of its pair's FQN.
    use dynameta_testkit::openmetadata_server::ContractServer;
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let lines = "        regions: [us-west-2, eu-west-2]\n";
    let rest = |kind: &str| {
        estate_builder(kind, &moto().endpoint, lines, &p)
            .sink(TestSink::Rest(
                "    retryBaseMillis: 5\n    retryCapMillis: 50\n".into(),
            ))
            .host_port(&server.endpoint())
            .yaml()
    };
    let run = ingest_json(dir.path(), "ingest.yaml", &rest("DatabaseMetadata"));
    assert_eq!(run.code, 0, "{}", run.output());
    let yaml = filter_on_connection(&rest("DatabaseUsage"), &p).replace(
        "      type: DatabaseUsage\n",
        "      type: DatabaseUsage\n      queryLogDuration: 3\n",
    );
    let run = run_json(dir.path(), "usage", &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let posted = |region: &str| -> u64 {
        let fqn = format!("test_svc.123456789012.{region}.{t}");
        let id = server
            .entities("table")
            .into_iter()
            .find(|e| e["fullyQualifiedName"] == fqn.as_str())
            .unwrap_or_else(|| panic!("no table {fqn} in OpenMetadata"))["id"]
            .as_str()
            .unwrap()
            .to_string();
        server.usage(&id).iter().map(|(_, n)| *n as u64).sum()
    };
    assert_eq!(
        (posted("us-west-2"), posted("eu-west-2")),
        (7, 3),
        "{}",
        run.output()
    );
}

/// What reads one pair only refuses an estate with exit 2, saying so: `profile
/// --part`, `profile merge`, `classify --explain`, `export`.
#[test]
fn modes_that_read_one_pair_refuse_an_estate() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let two = "        regions: [us-east-1, eu-west-1]\n";
    let profiler = write(
        dir.path(),
        "profile.yaml",
        &estate_workflow("Profiler", &moto().endpoint, two, "x", &out),
    );
    let classifier = write(
        dir.path(),
        "classify.yaml",
        &estate_workflow("AutoClassification", &moto().endpoint, two, "x", &out),
    );
    let (profiler, classifier) = (profiler.to_str().unwrap(), classifier.to_str().unwrap());
    let state = dir.path().join("part.json");
    let state = state.to_str().unwrap();
    for (what, args) in [
        (
            "profile --part",
            vec![
                "profile",
                "-c",
                profiler,
                "--part",
                "1/2",
                "--state-out",
                state,
            ],
        ),
        (
            "profile merge",
            vec!["profile", "merge", "-c", profiler, state],
        ),
        (
            "classify --explain",
            vec!["classify", "-c", classifier, "--explain", "t"],
        ),
        (
            "export",
            vec!["export", "-c", profiler, "--table", "t", "--s3-bucket", "b"],
        ),
    ] {
        let run = dynameta(&args, &[]);
        assert_eq!(run.code, 2, "{what}: {}", run.output());
        assert!(
            run.stderr
                .contains(&format!("{what}: does not walk several accounts/regions")),
            "{what}: {}",
            run.stderr
        );
    }
    assert!(!out.exists());
}
