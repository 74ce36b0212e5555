//! `dynameta lineage` against moto (DynamoDB exports to S3, Lambda event source
//! mappings, EventBridge Pipes) and the OpenMetadata contract server: edges to existing
//! containers only, one pipeline per stream consumer, a missing container reported with
//! its fix, dynameta's stale edges removed and others' kept.
//!
//! moto lacks `DescribeKinesisStreamingDestination` (it answers 500); a small loopback
//! stub in front of moto answers that one call (see [`KinesisStub`]) and forwards every
//! other request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, PointInTimeRecoverySpecification,
    ScalarAttributeType, StreamSpecification, StreamViewType,
};
use dynameta_testkit::moto;
use dynameta_testkit::openmetadata_server::ContractServer;
use serde_json::{json, Value};

use super::support::*;

pub(super) fn block_on<F: std::future::Future + Send + 'static>(f: F) -> F::Output
where
    F::Output: Send + 'static,
{
    std::thread::spawn(move || tokio::runtime::Runtime::new().unwrap().block_on(f))
        .join()
        .unwrap()
}

pub(super) fn credentials() -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new("AKIDLINEAGE", "secret", None, None, "test")
}

macro_rules! moto_client {
    ($krate:ident) => {{
        let config = $krate::Config::builder()
            .behavior_version($krate::config::BehaviorVersion::latest())
            .region($krate::config::Region::new("us-east-1"))
            .endpoint_url(&moto().endpoint)
            .credentials_provider(credentials())
            .http_client(dynameta::aws::http_client())
            .build();
        $krate::Client::from_conf(config)
    }};
}
pub(super) use moto_client;

/// Creates a table with a stream on moto; returns the stream's ARN.
pub(super) async fn create_streamed_table(name: &str) -> String {
    let ddb = moto_client!(aws_sdk_dynamodb);
    let out = ddb
        .create_table()
        .table_name(name)
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

/// Exports `table` to `bucket`/`prefix` (point-in-time recovery turned on first).
async fn export(table: &str, bucket: &str, prefix: &str) {
    let ddb = moto_client!(aws_sdk_dynamodb);
    let s3 = moto_s3();
    s3.create_bucket().bucket(bucket).send().await.unwrap();
    ddb.update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let arn = ddb
        .describe_table()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .table
        .and_then(|t| t.table_arn)
        .unwrap();
    ddb.export_table_to_point_in_time()
        .table_arn(arn)
        .s3_bucket(bucket)
        .s3_prefix(prefix)
        .send()
        .await
        .unwrap();
}

fn moto_s3() -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(&moto().endpoint)
        .force_path_style(true)
        .credentials_provider(credentials())
        .http_client(dynameta::aws::http_client())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// An IAM role on moto (Lambda's CreateFunction checks it exists). There is no IAM
/// client among dynameta's dependencies: one form POST, as IAM's query protocol is
/// (moto does not check signatures, only reads the service from the credential scope).
pub(super) async fn create_role(name: &str) -> String {
    let body = format!(
        "Action=CreateRole&Version=2010-05-08&RoleName={name}&AssumeRolePolicyDocument=%7B%7D"
    );
    // reqwest is built without a default crypto provider: the one dynameta uses.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let answer = reqwest::Client::new()
        .post(format!("{}/", moto().endpoint))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDLINEAGE/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{:?}", answer.text().await);
    format!("arn:aws:iam::123456789012:role/{name}")
}

/// A Lambda function with an event source mapping on `stream`; returns the mapping's UUID.
async fn lambda_on_stream(function: &str, stream: &str, role: &str) -> String {
    let lambda = moto_client!(aws_sdk_lambda);
    // The smallest zip archive: an empty one (end of central directory only).
    let mut zip = b"PK\x05\x06".to_vec();
    zip.extend([0u8; 18]);
    lambda
        .create_function()
        .function_name(function)
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
        .function_name(function)
        .event_source_arn(stream)
        .starting_position(aws_sdk_lambda::types::EventSourcePosition::Latest)
        .send()
        .await
        .unwrap()
        .uuid
        .unwrap()
}

async fn pipe_on_stream(name: &str, stream: &str, role: &str) {
    let pipes = moto_client!(aws_sdk_pipes);
    pipes
        .create_pipe()
        .name(name)
        .source(stream)
        .target("arn:aws:sqs:us-east-1:123456789012:downstream")
        .role_arn(role)
        .send()
        .await
        .unwrap();
}

/// A loopback HTTP stub in front of moto's DynamoDB: answers
/// `DescribeKinesisStreamingDestination` (which moto lacks) with one ACTIVE destination
/// for `table`, and forwards every other request to moto unchanged, except that
/// `DescribeTable` of `table` also says the table is a global table with an ACTIVE
/// replica in `eu-west-1` (moto and DynamoDB Local have no global tables).
pub(super) struct KinesisStub {
    pub(super) endpoint: String,
}

/// The replica the stub adds to its table's DescribeTable.
const STUB_REPLICA: &str = "eu-west-1";

impl KinesisStub {
    pub(super) fn start(table: &str, stream_arn: &str) -> KinesisStub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let canned = json!({
            "TableName": table,
            "KinesisDataStreamDestinations": [
                {"StreamArn": stream_arn, "DestinationStatus": "ACTIVE"}
            ]
        })
        .to_string();
        let upstream = moto().endpoint.trim_start_matches("http://").to_string();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (canned, upstream) = (canned.clone(), upstream.clone());
                std::thread::spawn(move || serve(stream, &canned, &upstream));
            }
        });
        KinesisStub { endpoint }
    }
}

/// One connection: requests read one by one (keep-alive), each answered or forwarded.
fn serve(client: TcpStream, canned: &str, upstream: &str) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut writer = client;
    loop {
        let mut head = Vec::new();
        let mut length = 0usize;
        let mut target = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if let Some(v) = lower.strip_prefix("x-amz-target:") {
                target = v.trim().to_string();
            }
            let end = line == "\r\n";
            head.push(line);
            if end {
                break;
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let ours: Value = serde_json::from_str(canned).unwrap();
        let asked: Value = serde_json::from_slice(&body).unwrap_or_default();
        let answer = if target.ends_with(".describetable")
            && asked["TableName"] == ours["TableName"]
        {
            with_replica(forward(&head, &body, upstream))
        } else if target.ends_with(".describekinesisstreamingdestination") {
            // The canned destination for its table; none for the others.
            let text = if asked["TableName"] == ours["TableName"] {
                canned.to_string()
            } else {
                json!({"TableName": asked["TableName"], "KinesisDataStreamDestinations": []})
                    .to_string()
            };
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{text}",
                text.len()
            )
            .into_bytes()
        } else {
            forward(&head, &body, upstream)
        };
        if writer.write_all(&answer).is_err() {
            return;
        }
    }
}

/// moto's DescribeTable answer with `Table.Replicas` added (and its `x-amz-crc32`, no
/// longer true, dropped; the SDK checks it only when present).
fn with_replica(answer: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&answer).to_string();
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return answer;
    };
    let mut json: Value = serde_json::from_str(body).expect("DescribeTable answers JSON");
    json["Table"]["Replicas"] = json!([{"RegionName": STUB_REPLICA, "ReplicaStatus": "ACTIVE"}]);
    let body = json.to_string();
    let mut out: Vec<String> = head
        .lines()
        .filter(|l| {
            let lower = l.to_ascii_lowercase();
            !lower.starts_with("content-length:") && !lower.starts_with("x-amz-crc32:")
        })
        .map(str::to_string)
        .collect();
    out.push(format!("Content-Length: {}", body.len()));
    format!("{}\r\n\r\n{body}", out.join("\r\n")).into_bytes()
}

/// Sends one request to moto on a fresh connection (`Connection: close`) and returns
/// its whole answer.
fn forward(head: &[String], body: &[u8], upstream: &str) -> Vec<u8> {
    let mut up = TcpStream::connect(upstream).unwrap();
    let mut request = Vec::new();
    for line in head {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("connection:") {
            continue;
        }
        if line == "\r\n" {
            request.extend_from_slice(b"Connection: close\r\n");
        }
        request.extend_from_slice(line.as_bytes());
    }
    request.extend_from_slice(body);
    up.write_all(&request).unwrap();
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).unwrap();
    // The client keeps its connection: drop moto's `Connection: close`.
    let text = String::from_utf8_lossy(&answer);
    match text.find("\r\n\r\n") {
        Some(split) => {
            let (head, rest) = answer.split_at(split);
            let head: String = String::from_utf8_lossy(head)
                .lines()
                .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
                .collect::<Vec<_>>()
                .join("\r\n");
            let mut out = head.into_bytes();
            out.extend_from_slice(rest);
            out
        }
        None => answer,
    }
}

/// The lineage (or usage) workflow: DynamoDB at `dynamodb`, Lambda, Pipes and CloudWatch
/// on moto, OpenMetadata at `om`, tables matching `tables`.
pub(super) fn workflow_for(
    kind: &str,
    dynamodb: &str,
    om: &ContractServer,
    tables: &str,
    extra_source: &str,
) -> String {
    let yaml = workflow(
        dynamodb,
        "AKIDLINEAGE",
        &format!("        awsServicesEndpointURL: {}", moto().endpoint),
        extra_source,
        Path::new("unused.jsonl"),
    )
    // The filter at connection level: every pipeline type reads it.
    .replace(
        "      connectionArguments:\n",
        &format!("      tableFilterPattern:\n        includes: [\"{tables}\"]\n      connectionArguments:\n"),
    );
    to_rest(&yaml, &format!("{}/api", om.endpoint())).replace(
        "      type: DatabaseMetadata\n",
        &format!("      type: {kind}\n"),
    )
}

/// Every body dynameta sent for lineage and usage, as oracle records
/// (`{"kind": ..., "payload": ...}`), judged by OpenMetadata's own pydantic models
/// (`scripts/om_oracle.py validate`, strict and lax).
pub(super) fn assert_oracle_accepts(om: &ContractServer, dir: &Path, expected_kinds: &[&str]) {
    let mut lines = Vec::new();
    for r in om.requests() {
        let kind = match (r.method.as_str(), r.path.as_str()) {
            ("PUT", "/api/v1/lineage") => "addLineage",
            ("PUT", "/api/v1/pipelines") => "createPipeline",
            ("PUT", "/api/v1/services/pipelineServices") => "createPipelineService",
            ("POST", p) if p.starts_with("/api/v1/usage/table/") => "dailyCount",
            _ => continue,
        };
        lines.push(json!({"kind": kind, "payload": r.body.clone().unwrap()}).to_string());
    }
    for kind in expected_kinds {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!("\"kind\":\"{kind}\""))),
            "no {kind} body sent: {lines:#?}"
        );
    }
    let file = dir.join("sent.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let out = std::process::Command::new(dynameta_testkit::om_python())
        .arg(dynameta_testkit::om_oracle_script())
        .args(["validate", file.to_str().unwrap()])
        .output()
        .expect("run om_oracle.py");
    assert!(
        out.status.success(),
        "OpenMetadata's models refused a body:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `dynameta ingest` of `tables` into the contract server.
pub(super) fn ingest(dir: &Path, dynamodb: &str, om: &ContractServer, tables: &str) {
    let yaml = workflow_for("DatabaseMetadata", dynamodb, om, tables, "");
    let wf = write(dir, "ingest.yaml", &yaml);
    let run = dynameta(&["ingest", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
}

pub(super) fn table_id(om: &ContractServer, table: &str) -> String {
    om.entity("table", &format!("test_svc.default.default.{table}"))
        .unwrap_or_else(|| panic!("table {table} ingested"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn edges_from(om: &ContractServer, id: &str) -> Vec<Value> {
    om.lineage_edges()
        .into_iter()
        .filter(|e| e["fromEntity"]["id"] == id)
        .collect()
}

#[test]
fn edges_to_containers_pipelines_and_topics_and_stale_ones_removed() {
    let pid = std::process::id();
    let orders = format!("lin_orders_{pid}");
    let lonely = format!("lin_lonely_{pid}");
    let bucket = format!("dm-lineage-{pid}");
    let other_bucket = format!("dm-lineage-none-{pid}");
    let function = format!("lin-fn-{pid}");
    let pipe = format!("lin-pipe-{pid}");
    let (o, l, b, ob, f, p) = (
        orders.clone(),
        lonely.clone(),
        bucket.clone(),
        other_bucket.clone(),
        function.clone(),
        pipe.clone(),
    );
    let mapping = block_on(async move {
        let stream = create_streamed_table(&o).await;
        create_streamed_table(&l).await;
        export(&o, &b, "exports/orders").await;
        export(&l, &ob, "dump").await;
        let role = create_role(&format!("lin-role-{}", std::process::id())).await;
        let mapping = lambda_on_stream(&f, &stream, &role).await;
        pipe_on_stream(&p, &stream, &role).await;
        mapping
    });
    let kinesis = KinesisStub::start(
        &orders,
        "arn:aws:kinesis:us-east-1:123456789012:stream/orders-cdc",
    );

    let om = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let dir = tempfile::tempdir().unwrap();
    let tables = format!("^lin_(orders|lonely)_{pid}$");
    ingest(dir.path(), &kinesis.endpoint, &om, &tables);
    let orders_id = table_id(&om, &orders);
    let lonely_id = table_id(&om, &lonely);
    // The ingest's description lists the global table's replica, stored unchanged by
    // the server's DescriptionSanitizer (the contract server models it).
    let description = om
        .entity("table", &format!("test_svc.default.default.{orders}"))
        .unwrap()["description"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        description.contains("- Global table replicas: <code>eu-west-1</code> (ACTIVE)"),
        "{description}"
    );
    // What OpenMetadata's S3 and Kinesis connectors would have made: the export's
    // parent prefix (not its exact path) as a container, and the stream as a topic.
    let container = om.add_container("s3", "exports", &format!("s3://{bucket}/exports"));
    let topic = om.add_topic("kinesis", "orders-cdc");
    // An edge a person drew: never touched by dynameta.
    let theirs = om.add_container("s3", "manual", "s3://elsewhere/manual");
    om.add_lineage_as_user(
        ("table", &orders_id),
        ("container", &theirs),
        json!({"description": "drawn by hand", "source": "Manual"}),
    );

    let yaml = workflow_for("DatabaseLineage", &kinesis.endpoint, &om, &tables, "");
    let wf = write(dir.path(), "lineage.yaml", &yaml);
    let run = dynameta(&["lineage", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_no_secrets(&run.output(), "lineage run");

    // The export's edge goes to the container found at the parent prefix.
    let edges = edges_from(&om, &orders_id);
    let to = |id: &str| edges.iter().find(|e| e["toEntity"]["id"] == id).cloned();
    let export_edge = to(&container).expect("an edge to the export's container");
    assert_eq!(export_edge["toEntity"]["type"], "container");
    assert_eq!(export_edge["lineageDetails"]["source"], "PipelineLineage");
    assert!(export_edge["lineageDetails"]["description"]
        .as_str()
        .unwrap()
        .starts_with("dynameta:"));
    // One pipeline per consumer, under the CustomPipeline service, each with an edge.
    let services = om.lineage_entities("pipelineService");
    assert!(
        services
            .iter()
            .any(|s| s["name"] == "dynamodb_stream_consumers"
                && s["serviceType"] == "CustomPipeline"),
        "{services:#?}"
    );
    let pipelines = om.lineage_entities("pipeline");
    for name in [format!("lambda-{function}"), format!("pipe-{pipe}")] {
        let p = pipelines
            .iter()
            .find(|p| p["name"] == name.as_str())
            .unwrap_or_else(|| panic!("pipeline {name} in {pipelines:#?}"));
        let id = p["id"].as_str().unwrap();
        assert!(to(id).is_some(), "edge to {name}: {edges:#?}");
    }
    // The Kinesis destination's edge goes to the topic.
    assert_eq!(
        to(&topic).expect("edge to the topic")["toEntity"]["type"],
        "topic"
    );
    assert!(to(&theirs).is_some(), "the person's edge stays");
    // The other table's export lands where no container is: reported with the fix.
    assert!(edges_from(&om, &lonely_id).is_empty());
    assert!(
        run.stdout.contains(&format!(
            "missing: no S3 container in OpenMetadata with fullPath s3://{other_bucket}/dump"
        )) && run.stdout.contains(&format!(
            "ingest bucket s3://{other_bucket} with OpenMetadata's S3 connector"
        )),
        "{}",
        run.stdout
    );

    // The Lambda mapping is removed: on the next run its edge is gone, the rest stays.
    block_on(async move {
        moto_client!(aws_sdk_lambda)
            .delete_event_source_mapping()
            .uuid(mapping)
            .send()
            .await
            .unwrap();
    });
    let run = dynameta(&["lineage", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    let lambda_pipeline = om
        .lineage_entities("pipeline")
        .into_iter()
        .find(|p| p["name"] == format!("lambda-{function}").as_str())
        .unwrap();
    let edges = edges_from(&om, &orders_id);
    let ids: Vec<&str> = edges
        .iter()
        .map(|e| e["toEntity"]["id"].as_str().unwrap())
        .collect();
    assert!(
        !ids.contains(&lambda_pipeline["id"].as_str().unwrap()),
        "stale edge removed: {edges:#?}"
    );
    assert!(ids.contains(&container.as_str()), "{edges:#?}");
    assert!(ids.contains(&topic.as_str()), "{edges:#?}");
    assert!(
        ids.contains(&theirs.as_str()),
        "the person's edge stays: {edges:#?}"
    );
    assert!(
        run.stdout.contains(&format!(
            "removed stale dynameta edge -> pipeline dynamodb_stream_consumers.lambda-{function}"
        )),
        "{}",
        run.stdout
    );
    assert_oracle_accepts(
        &om,
        dir.path(),
        &["addLineage", "createPipeline", "createPipelineService"],
    );
}

#[test]
fn lineage_needs_its_own_pipeline_type() {
    let dir = tempfile::tempdir().unwrap();
    let om = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let wrong = write(
        dir.path(),
        "usage.yaml",
        &workflow_for("DatabaseUsage", &moto().endpoint, &om, "^none$", ""),
    );
    let run = dynameta(&["lineage", "-c", wrong.to_str().unwrap()], &[]);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr.contains("run it with `dynameta usage`"),
        "{}",
        run.stderr
    );
}

/// A lineage or usage workflow with AWS only (DynamoDB at `dynamodb`, the other
/// services on moto), tables matching `tables`, `source_lines` under
/// `sourceConfig.config`, and `sink` (a whole `sink:` section).
pub(super) fn aws_only_workflow(
    kind: &str,
    dynamodb: &str,
    tables: &str,
    source_lines: &str,
    sink: &str,
) -> String {
    let yaml = workflow(
        dynamodb,
        "AKIDLINEAGE",
        &format!("        awsServicesEndpointURL: {}", moto().endpoint),
        source_lines,
        Path::new("unused.jsonl"),
    );
    let edits = [
        (
            "      connectionArguments:\n".to_string(),
            format!("      tableFilterPattern:\n        includes: [\"{tables}\"]\n      connectionArguments:\n"),
        ),
        (
            "      type: DatabaseMetadata\n".to_string(),
            format!("      type: {kind}\n"),
        ),
        (
            "sink:\n  type: file\n  config:\n    filename: unused.jsonl\n".to_string(),
            sink.to_string(),
        ),
    ];
    edits.iter().fold(yaml, |yaml, (from, to)| {
        assert!(yaml.contains(from.as_str()), "{from:?} not in {yaml}");
        yaml.replacen(from.as_str(), to, 1)
    })
}

/// Without OpenMetadata (`sink: local`, then `file`): each table's edges as AWS names
/// them (no far end needs to exist anywhere), a history per run whose `diff` names the
/// edge that went, the report's lineage view; the file sink writes the same facts as
/// `tableLineage` lines. (Before, both sinks were refused with exit 2.)
#[test]
fn lineage_to_the_local_catalog_and_the_file_sink_without_a_server() {
    let pid = std::process::id();
    let table = format!("lin_local_{pid}");
    let bucket = format!("dm-lineage-local-{pid}");
    let function = format!("lin-local-fn-{pid}");
    let (t, b, f) = (table.clone(), bucket.clone(), function.clone());
    let mapping = block_on(async move {
        let stream = create_streamed_table(&t).await;
        export(&t, &b, "exports/local").await;
        let role = create_role(&format!("lin-local-role-{}", std::process::id())).await;
        lambda_on_stream(&f, &stream, &role).await
    });
    let kinesis = KinesisStub::start(
        &table,
        "arn:aws:kinesis:us-east-1:123456789012:stream/local-cdc",
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let tables = format!("^lin_local_{pid}$");
    let local_sink = format!(
        "sink:\n  type: local\n  config:\n    path: {}\n",
        db.display()
    );
    let yaml = aws_only_workflow(
        "DatabaseLineage",
        &kinesis.endpoint,
        &tables,
        "",
        &local_sink,
    );
    let wf = write(dir.path(), "lineage.yaml", &yaml);
    let run = dynameta(&["lineage", "-c", wf.to_str().unwrap(), "-q"], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_no_secrets(&run.output(), "local lineage run");
    assert!(
        run.stdout.contains(&format!(
            "-> s3Export s3://{bucket}/exports/local (1 export(s) read"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("lineage: 3 edge(s) found from 1 table(s)"),
        "{}",
        run.stdout
    );
    let fqn = format!("test_svc.default.default.{table}");
    let cat = dynameta_catalog::Catalog::open_existing(&db).unwrap();
    let stored = cat
        .lineage(&fqn)
        .unwrap()
        .expect("the table's lineage is stored");
    let found: Vec<(String, String)> = stored
        .facts
        .edges
        .iter()
        .map(|e| (e.kind.clone(), e.name.clone()))
        .collect();
    assert_eq!(
        found,
        [
            ("kinesis".to_string(), "local-cdc".to_string()),
            ("lambda".to_string(), function.clone()),
            ("s3Export".to_string(), format!("{bucket}/exports/local")),
        ]
    );
    assert!(stored.facts.unread.is_empty(), "{:?}", stored.facts);
    // Replicas: facts beside the edges, not edges.
    assert_eq!(stored.facts.replicas.len(), 1, "{:?}", stored.facts);
    assert_eq!(stored.facts.replicas[0].region, STUB_REPLICA);
    assert!(
        run.stdout
            .contains("global table replicas (not lineage): eu-west-1 (ACTIVE)"),
        "{}",
        run.stdout
    );
    drop(cat);

    // The mapping goes: the next run's diff names the edge that disappeared.
    block_on(async move {
        moto_client!(aws_sdk_lambda)
            .delete_event_source_mapping()
            .uuid(mapping)
            .send()
            .await
            .unwrap();
    });
    let run = dynameta(&["lineage", "-c", wf.to_str().unwrap(), "-q"], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    let diff = dynameta(&["diff", "--catalog", db.to_str().unwrap()], &[]);
    assert_eq!(diff.code, 1, "{}", diff.output());
    assert!(
        diff.stdout.contains("- lineage: Lambda function arn:")
            && diff.stdout.contains(&format!("function:{function}")),
        "{}",
        diff.stdout
    );
    let out = dir.path().join("report.html");
    report_to(&db, &out);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        html.contains("class=\"lineage\"") && html.contains(&format!("{bucket}/exports/local")),
        "no lineage view in the report"
    );

    // The file sink: the same facts, one typed line per table.
    let file = dir.path().join("lineage.jsonl");
    let file_sink = format!(
        "sink:\n  type: file\n  config:\n    filename: {}\n",
        file.display()
    );
    let yaml = aws_only_workflow(
        "DatabaseLineage",
        &kinesis.endpoint,
        &tables,
        "",
        &file_sink,
    );
    let wf = write(dir.path(), "lineage-file.yaml", &yaml);
    let run = dynameta(&["lineage", "-c", wf.to_str().unwrap(), "-q"], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    // Each line matches the published JSON Schema (docs/schemas/).
    let lines = super::record_schema::validate_file(&file);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(lines[0]["kind"], "tableLineage");
    assert_eq!(lines[0]["table"], fqn.as_str());
    let kinds: Vec<&str> = lines[0]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["kinesis", "s3Export"], "{lines:#?}");
}

/// `test-connection` of a lineage workflow tries each call lineage makes: all pass on
/// moto; a refused ListExports fails its step and names the IAM action to grant.
#[test]
fn test_connection_checks_the_calls_lineage_and_usage_make() {
    use dynameta_testkit::fault_proxy::{Fault, FaultProxy};
    let pid = std::process::id();
    let table = format!("lin_tc_{pid}");
    let t = table.clone();
    block_on(async move {
        create_streamed_table(&t).await;
    });
    let kinesis = KinesisStub::start(
        &table,
        "arn:aws:kinesis:us-east-1:123456789012:stream/tc-cdc",
    );
    let denied = FaultProxy::start(
        &kinesis.endpoint,
        vec![Fault {
            operation: "ListExports".into(),
            table: String::new(),
            status: 400,
            code: "AccessDeniedException".into(),
        }],
    );
    let dir = tempfile::tempdir().unwrap();
    let tables = format!("^lin_tc_{pid}$");
    let console = "sink:\n  type: console\n";
    let check = |kind: &str, endpoint: &str| {
        let yaml = aws_only_workflow(kind, endpoint, &tables, "", console);
        let wf = write(dir.path(), &format!("{kind}.yaml"), &yaml);
        dynameta(&["test-connection", "-c", wf.to_str().unwrap()], &[])
    };
    let run = check("DatabaseLineage", &kinesis.endpoint);
    assert_eq!(run.code, 0, "{}", run.output());
    for action in [
        "dynamodb:ListExports",
        "dynamodb:DescribeKinesisStreamingDestination",
        "lambda:ListEventSourceMappings",
        "pipes:ListPipes",
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with(action) && l.contains("PASS")),
            "{action}: {}",
            run.stdout
        );
    }
    assert!(
        !run.stdout.contains("cloudwatch:GetMetricData"),
        "{}",
        run.stdout
    );
    let run = check("DatabaseLineage", &denied.endpoint);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("dynamodb:ListExports") && l.contains("FAIL")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("missing IAM permission: dynamodb:ListExports"),
        "{}",
        run.stdout
    );
    let run = check("DatabaseUsage", &moto().endpoint);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("cloudwatch:GetMetricData") && l.contains("PASS")),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("pipes:ListPipes"), "{}", run.stdout);
}

#[test]
fn a_read_that_fails_keeps_the_edges_it_could_not_judge() {
    use dynameta_testkit::fault_proxy::{Fault, FaultProxy};
    let pid = std::process::id();
    let table = format!("lin_denied_{pid}");
    let bucket = format!("dm-lineage-denied-{pid}");
    let (t, b) = (table.clone(), bucket.clone());
    block_on(async move {
        create_streamed_table(&t).await;
        export(&t, &b, "exports").await;
    });
    let fault = |operation: &str, status: u16, code: &str| Fault {
        operation: operation.to_string(),
        table: String::new(),
        status,
        code: code.to_string(),
    };
    // moto answers DescribeKinesisStreamingDestination with a 500: here the proxy says
    // it is not implemented (as DynamoDB Local would), which is a note, not a failure.
    let unsupported = fault(
        "DescribeKinesisStreamingDestination",
        400,
        "UnknownOperationException",
    );
    let open = FaultProxy::start(&moto().endpoint, vec![unsupported.clone()]);
    let denied = FaultProxy::start(
        &moto().endpoint,
        vec![
            unsupported,
            fault("ListExports", 400, "AccessDeniedException"),
        ],
    );
    let om = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let dir = tempfile::tempdir().unwrap();
    let tables = format!("^lin_denied_{pid}$");
    ingest(dir.path(), &open.endpoint, &om, &tables);
    let id = table_id(&om, &table);
    let container = om.add_container("s3", "denied", &format!("s3://{bucket}"));
    let run_with = |endpoint: &str, name: &str| {
        let yaml = workflow_for("DatabaseLineage", endpoint, &om, &tables, "");
        let wf = write(dir.path(), name, &yaml);
        dynameta(&["lineage", "-c", wf.to_str().unwrap()], &[])
    };
    let run = run_with(&open.endpoint, "open.yaml");
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.stdout.contains("not implemented by the endpoint"),
        "{}",
        run.stdout
    );
    assert_eq!(edges_from(&om, &id).len(), 1);
    // ListExports denied: the run fails, names the action to grant, and the export's
    // edge is kept (not judged stale on a read that did not happen).
    let run = run_with(&denied.endpoint, "denied.yaml");
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        run.stdout.contains("grant `dynamodb:ListExports`"),
        "{}",
        run.stdout
    );
    let edges = edges_from(&om, &id);
    assert_eq!(edges.len(), 1, "{edges:#?}");
    assert_eq!(edges[0]["toEntity"]["id"], container.as_str());
}

/// With the local sink, a read that fails (ListExports refused) fails the table with
/// the action to grant (exit 1), and the failed run does not replace the table's
/// lineage in the catalog: the previous run's edges stay its lineage.
#[test]
fn a_refused_read_with_the_local_sink_fails_and_keeps_the_previous_lineage() {
    use dynameta_testkit::fault_proxy::{Fault, FaultProxy};
    let pid = std::process::id();
    let table = format!("lin_keep_{pid}");
    let bucket = format!("dm-lineage-keep-{pid}");
    let (t, b) = (table.clone(), bucket.clone());
    block_on(async move {
        create_streamed_table(&t).await;
        export(&t, &b, "exports").await;
    });
    let fault = |operation: &str, code: &str| Fault {
        operation: operation.to_string(),
        table: String::new(),
        status: 400,
        code: code.to_string(),
    };
    // moto answers DescribeKinesisStreamingDestination with a 500: not implemented here.
    let unsupported = fault(
        "DescribeKinesisStreamingDestination",
        "UnknownOperationException",
    );
    let open = FaultProxy::start(&moto().endpoint, vec![unsupported.clone()]);
    let denied = FaultProxy::start(
        &moto().endpoint,
        vec![unsupported, fault("ListExports", "AccessDeniedException")],
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let tables = format!("^lin_keep_{pid}$");
    let sink = format!(
        "sink:\n  type: local\n  config:\n    path: {}\n",
        db.display()
    );
    let run_with = |endpoint: &str, name: &str| {
        let yaml = aws_only_workflow("DatabaseLineage", endpoint, &tables, "", &sink);
        let wf = write(dir.path(), name, &yaml);
        dynameta(&["lineage", "-c", wf.to_str().unwrap(), "-q"], &[])
    };
    let run = run_with(&open.endpoint, "open.yaml");
    assert_eq!(run.code, 0, "{}", run.output());
    let fqn = format!("test_svc.default.default.{table}");
    let lineage = || {
        dynameta_catalog::Catalog::open_existing(&db)
            .unwrap()
            .lineage(&fqn)
            .unwrap()
            .expect("lineage stored")
    };
    let first = lineage();
    assert_eq!(first.facts.edges.len(), 1, "{first:?}");
    let run = run_with(&denied.endpoint, "denied.yaml");
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        run.output().contains("grant `dynamodb:ListExports`"),
        "{}",
        run.output()
    );
    let after = lineage();
    assert_eq!(
        after.run_id, first.run_id,
        "a failed run replaced the lineage"
    );
    assert_eq!(after.facts, first.facts);
}
