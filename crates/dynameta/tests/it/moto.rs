//! Against moto: STS AssumeRole (session name, SourceIdentity, refusal) and the
//! DynamoDB features DynamoDB Local lacks (tags, point-in-time recovery).

use aws_sdk_dynamodb::types::{PointInTimeRecoverySpecification, ScalarAttributeType, Tag};
use dynameta_testkit::fault_proxy::FaultProxy;
use dynameta_testkit::{
    corpus, dynamodb_local, moto, moto_requests, moto_strict, unique_access_key,
};

use super::support::*;

#[test]
fn assume_role_sends_session_name_and_source_identity() {
    let sts = &moto().endpoint;
    let identity = format!("dynameta-it-{}", std::process::id());
    // DynamoDB on moto too: the role's fresh keys see moto's account, where a table to
    // test with exists (DynamoDB Local would show the new key an empty namespace, and a
    // test-connection with nothing to test is INCOMPLETE).
    let table = format!("assumed_probe_{}", std::process::id());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = dynameta_testkit::client(sts, "AKIDMOTO", "us-east-1").await;
        corpus::create_table(&client, &table, ("id", ScalarAttributeType::S), None).await;
    });
    let dir = tempfile::tempdir().unwrap();
    let yaml = WorkflowBuilder::new(sts, "AKIDASSUMEBASE")
        .connection_argument("stsEndpointUrl", sts)
        .source_lines(&format!(
            "      tableFilterPattern:\n        includes: [\"{table}$\"]"
        ))
        .file_sink(&dir.path().join("o.jsonl"))
        .aws("assumeRoleArn", "arn:aws:iam::123456789012:role/reader")
        .aws("assumeRoleSourceIdentity", &identity)
        .yaml();
    let wf = write(dir.path(), "wf.yaml", &yaml);
    let run = dynameta(&["test-connection", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.stdout
            .contains("assumed arn:aws:iam::123456789012:role/reader"),
        "{}",
        run.stdout
    );
    let sent = moto_requests()
        .into_iter()
        .map(|r| r["body"].as_str().unwrap_or_default().to_string())
        .find(|b| b.contains("Action=AssumeRole") && b.contains(&identity))
        .expect("AssumeRole with our SourceIdentity reached STS");
    assert!(
        sent.contains("RoleSessionName=OpenMetadataSession"),
        "{sent}"
    );
    assert!(
        sent.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Freader"),
        "{sent}"
    );
    assert_no_secrets(&run.output(), "assume-role run");
}

#[test]
fn sts_out_of_reach_is_not_called_a_refusal() {
    let port = dynameta_testkit::free_port();
    let dir = tempfile::tempdir().unwrap();
    let yaml = WorkflowBuilder::new(&dynamodb_local().endpoint, "AKIDASSUMEBASE")
        .connection_argument("stsEndpointUrl", &format!("http://127.0.0.1:{port}"))
        .aws("assumeRoleArn", "arn:aws:iam::123456789012:role/reader")
        .file_sink(&dir.path().join("o.jsonl"))
        .yaml();
    let wf = write(dir.path(), "wf.yaml", &yaml);
    let run = dynameta(&["test-connection", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        run.stdout.contains("STS could not be reached") && !run.stdout.contains("STS refused"),
        "{}",
        run.stdout
    );
}

#[test]
fn assume_role_refused_by_sts_fails_naming_credentials() {
    // Through counting proxies: how many requests each endpoint got is the check that
    // the refusal is final (no retry) and that DynamoDB is never called without credentials.
    let sts_proxy = FaultProxy::start(&moto_strict().endpoint, Vec::new());
    let dynamodb_proxy = FaultProxy::start(&dynamodb_local().endpoint, Vec::new());
    let sts = &sts_proxy.endpoint;
    let dir = tempfile::tempdir().unwrap();
    let yaml = WorkflowBuilder::new(&dynamodb_proxy.endpoint, "AKIDUNKNOWNTOSTS")
        .connection_argument("stsEndpointUrl", sts)
        .aws("assumeRoleArn", "arn:aws:iam::123456789012:role/reader")
        .file_sink(&dir.path().join("o.jsonl"))
        .yaml();
    let wf = write(dir.path(), "wf.yaml", &yaml);
    let run = dynameta(&["test-connection", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 1, "{}", run.output());
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("Resolve credentials"))
        .unwrap();
    assert!(line.contains("FAIL"), "{}", run.stdout);
    assert!(
        run.stdout.contains("InvalidClientTokenId"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("AssumeRole"), "{}", run.stdout);
    assert_eq!(sts_proxy.requests(), 1, "AssumeRole sent once, not retried");
    assert_eq!(
        dynamodb_proxy.requests(),
        0,
        "DynamoDB called without credentials"
    );
    assert_no_secrets(&run.output(), "refused assume-role run");
}

#[test]
fn tags_and_point_in_time_recovery_are_read_where_supported() {
    let endpoint = moto().endpoint.clone();
    let table = format!("tagged_{}", std::process::id());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = dynameta_testkit::client(&endpoint, "AKIDMOTO", "us-east-1").await;
        corpus::create_table(&client, &table, ("id", ScalarAttributeType::S), None).await;
        let arn = client
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .unwrap()
            .table
            .unwrap()
            .table_arn
            .unwrap();
        client
            .tag_resource()
            .resource_arn(arn)
            .tags(Tag::builder().key("team").value("data").build().unwrap())
            .tags(Tag::builder().key("env").value("prod").build().unwrap())
            .send()
            .await
            .unwrap();
        client
            .update_continuous_backups()
            .table_name(&table)
            .point_in_time_recovery_specification(
                PointInTimeRecoverySpecification::builder()
                    .point_in_time_recovery_enabled(true)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let yaml = workflow(
        &endpoint,
        &unique_access_key("moto"),
        "",
        &format!("      tableFilterPattern:\n        includes: [\"{table}$\"]"),
        &out,
    );
    let wf = write(dir.path(), "wf.yaml", &yaml);
    let run = dynameta(&["ingest", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    let recs = records(&out);
    let t = recs
        .iter()
        .find(|r| r["kind"] == "dynamodbTable")
        .expect("table record");
    assert_eq!(
        t["properties"]["tags"],
        serde_json::json!({"env": "prod", "team": "data"})
    );
    assert_eq!(t["properties"]["pointInTimeRecovery"], "ENABLED");
    assert!(
        t["properties"].get("unavailable").is_none(),
        "{}",
        t["properties"]
    );
}
