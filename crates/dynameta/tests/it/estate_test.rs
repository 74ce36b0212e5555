//! `dynameta test` walks the estate (issues 22 and 25) against moto: 2 accounts × 2
//! regions with a same-named table holding different data in each pair, so one case's
//! result differs by pair; a table named by the suite is read through its own pair; a
//! table whose database/schema match no pair is not testable with the reason; a pair
//! whose role cannot be assumed fails its tables only.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue as AV, ScalarAttributeType};
use dynameta_testkit::fault_proxy::{Fault, FaultProxy};
use dynameta_testkit::{corpus, moto};
use serde_json::Value;

use super::support::*;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Runtime::new().unwrap().block_on(f)
}

/// Credentials on moto: of `account` (AssumeRole of a role there), or of the base
/// account 123456789012 (`None`).
async fn keys_of(account: Option<&str>) -> aws_sdk_dynamodb::config::Credentials {
    let base = aws_sdk_dynamodb::config::Credentials::new("AKIDESTATE", "s", None, None, "t");
    let Some(account) = account else {
        return base;
    };
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(base)
        .endpoint_url(&moto().endpoint)
        .http_client(dynameta::aws::http_client())
        .build();
    let c = aws_sdk_sts::Client::from_conf(config)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/setup"))
        .role_session_name("setup")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    aws_sdk_dynamodb::config::Credentials::new(
        c.access_key_id,
        c.secret_access_key,
        Some(c.session_token),
        None,
        "moto",
    )
}

/// Creates `table` in `region` of `account` on moto with `items` items.
fn table_with(account: Option<&str>, region: &str, table: &str, items: usize) {
    block_on(async {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .credentials_provider(keys_of(account).await)
            .endpoint_url(&moto().endpoint)
            .http_client(dynameta::aws::http_client())
            .build();
        let client = aws_sdk_dynamodb::Client::from_conf(config);
        corpus::create_table(&client, table, ("id", ScalarAttributeType::S), None).await;
        let items = (0..items)
            .map(|i| HashMap::from([("id".to_string(), AV::S(format!("i{i}")))]))
            .collect();
        corpus::put_items(&client, table, items).await;
    });
}

/// A TestSuite workflow on moto walking `estate` (connectionArguments lines), testing
/// `entity` (`None`: every table whose name starts with `prefix`) with one case: the
/// table holds exactly 2 items. Results to the file `out`.
fn suite(estate: &str, prefix: &str, entity: Option<&str>, out: &std::path::Path) -> String {
    let endpoint = &moto().endpoint;
    let entity = entity.map_or(String::new(), |e| {
        format!("      entityFullyQualifiedName: {e}\n")
    });
    format!(
        r#"source:
  type: TestSuite
  serviceName: test_svc
  serviceConnection:
    config:
      type: DynamoDB
      awsConfig:
        awsAccessKeyId: AKIDESTATE
        awsSecretAccessKey: {SECRET_MARKER}
        awsRegion: us-east-1
        endPointURL: {endpoint}
      connectionArguments:
        stsEndpointUrl: {endpoint}
        awsServicesEndpointURL: {endpoint}
{estate}      tableFilterPattern:
        includes: ["^{prefix}"]
  sourceConfig:
    config:
      type: TestSuite
{entity}processor:
  type: orm-test-runner
  config:
    testCases:
      - name: two_rows
        testDefinitionName: tableRowCountToEqual
        parameterValues:
          - name: value
            value: "2"
sink:
  type: file
  config:
    filename: {out}
workflowConfig:
  openMetadataServerConfig:
    hostPort: http://localhost:8585/api
"#,
        out = out.display()
    )
}

const TWO_BY_TWO: &str = "        regions: [eu-north-1, sa-east-1]\n        accounts:\n          - roleArn: arn:aws:iam::111111111111:role/reader\n            name: analytics\n";

fn run_suite(dir: &std::path::Path, name: &str, yaml: &str) -> Run {
    let path = write(dir, name, yaml);
    dynameta(
        &["test", "-c", path.to_str().unwrap(), "--log-format", "json"],
        &[],
    )
}

/// table FQN → (case status, result) of every line of the results file.
fn results(out: &std::path::Path) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = records(out)
        .iter()
        .map(|r| {
            (
                r["table"].as_str().unwrap().to_string(),
                r["testCase"]["status"].as_str().unwrap().to_string(),
                r["testCase"]["result"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn test_walks_every_pair_and_reads_each_table_through_its_own() {
    let p = format!("dqe{}_", std::process::id());
    let orders = format!("{p}orders");
    // The same name in every pair, a different number of items in each: only the
    // base account's sa-east-1 table holds 2.
    for (account, region, items) in [
        (None, "eu-north-1", 1),
        (None, "sa-east-1", 2),
        (Some("111111111111"), "eu-north-1", 3),
        (Some("111111111111"), "sa-east-1", 4),
    ] {
        table_with(account, region, &orders, items);
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");

    // Service-wide: every pair's table, each with its own result.
    let run = run_suite(dir.path(), "all.yaml", &suite(TWO_BY_TWO, &p, None, &out));
    assert_eq!(run.code, 1, "three pairs fail the case:\n{}", run.output());
    let statuses: Vec<(String, String)> =
        results(&out).into_iter().map(|(t, s, _)| (t, s)).collect();
    let fqn = |db: &str, region: &str| format!("test_svc.{db}.{region}.{orders}");
    assert_eq!(
        statuses,
        [
            (fqn("123456789012", "eu-north-1"), "Failed".to_string()),
            (fqn("123456789012", "sa-east-1"), "Success".to_string()),
            (fqn("analytics", "eu-north-1"), "Failed".to_string()),
            (fqn("analytics", "sa-east-1"), "Failed".to_string()),
        ],
        "{}",
        run.output()
    );

    // The suite's one table: read through the pair its database and schema name.
    let entity = fqn("analytics", "sa-east-1");
    let run = run_suite(
        dir.path(),
        "one.yaml",
        &suite(TWO_BY_TWO, &p, Some(&entity), &out),
    );
    assert_eq!(run.code, 1, "{}", run.output());
    let one = results(&out);
    assert_eq!(one.len(), 1, "{one:?}");
    assert_eq!(
        (one[0].0.as_str(), one[0].1.as_str()),
        (entity.as_str(), "Failed")
    );
    assert!(one[0].2.contains('4'), "4 rows in that pair: {one:?}");

    // A table of an account the estate does not walk: not testable, with the reason.
    let nobody = fqn("nobody", "sa-east-1");
    let run = run_suite(
        dir.path(),
        "none.yaml",
        &suite(TWO_BY_TWO, &p, Some(&nobody), &out),
    );
    assert_eq!(run.code, 1, "{}", run.output());
    let none = results(&out);
    assert_eq!(none.len(), 1, "{none:?}");
    assert_eq!(none[0].1, "NotTestable");
    assert!(
        none[0].2.contains("match no (account, region) pair")
            && none[0].2.contains("analytics.sa-east-1"),
        "{none:?}"
    );
}

#[test]
fn a_pair_whose_role_cannot_be_assumed_fails_its_tables_only() {
    let p = format!("dqf{}_", std::process::id());
    let orders = format!("{p}orders");
    table_with(Some("333333333333"), "eu-south-1", &orders, 2);
    // AssumeRole of the 222222222222 role is refused; every other STS call goes through.
    let sts = FaultProxy::start(
        &moto().endpoint,
        vec![Fault {
            operation: "AssumeRole".into(),
            table: "222222222222".into(),
            status: 403,
            code: "AccessDenied".into(),
        }],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let estate = "        regions: [eu-south-1]\n        includeBaseAccount: false\n        accounts:\n          - roleArn: arn:aws:iam::222222222222:role/reader\n          - roleArn: arn:aws:iam::333333333333:role/reader\n";
    let yaml = suite(estate, &p, None, &out).replace(
        &format!("stsEndpointUrl: {}", moto().endpoint),
        &format!("stsEndpointUrl: {}", sts.endpoint),
    );
    let run = run_suite(dir.path(), "wf.yaml", &yaml);
    // The failed pair: a table that could not be tested (exit 2), the file kept as it
    // was; the other pair's table was tested.
    assert_eq!(run.code, 2, "{}", run.output());
    let s: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    let tables = s["summary"]["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 2, "{s:#}");
    assert_eq!(tables[0]["table"], "test_svc.222222222222.eu-south-1");
    let why = tables[0]["error"].as_str().unwrap();
    assert!(
        why.contains("pair 222222222222/eu-south-1") && why.contains("AssumeRole"),
        "{why}"
    );
    assert_eq!(
        tables[1]["table"],
        format!("test_svc.333333333333.eu-south-1.{orders}")
    );
    assert_eq!(tables[1]["cases"][0]["status"], "Success", "{s:#}");
    assert!(
        !out.exists(),
        "a run with a table not tested wrote its file"
    );
}

#[test]
fn test_with_exports_refuses_an_estate() {
    // Exports are keyed by table name: two pairs' same-named tables would both be judged
    // from one export, so `test` refuses the combination as `profile` does.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let estate = format!(
        "{TWO_BY_TWO}        exports:\n          orders: s3://no-such-bucket-dynameta/AWSDynamoDB/01700000000000-a1b2c3d4/\n"
    );
    let run = run_suite(dir.path(), "wf.yaml", &suite(&estate, "x", None, &out));
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr.contains(
            "test with connectionArguments.exports: does not walk several accounts/regions"
        ),
        "{}",
        run.stderr
    );
    assert!(!out.exists());
}

#[test]
fn an_organization_that_cannot_be_listed_stops_the_test_run() {
    // Its accounts' tables are unknown: the run never passes with them left out.
    let proxy = FaultProxy::start(
        &moto().endpoint,
        vec![Fault {
            operation: "ListAccounts".into(),
            table: String::new(),
            status: 400,
            code: "AccessDeniedException".into(),
        }],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let estate =
        "        regions: [eu-north-1]\n        organization:\n          roleName: reader\n";
    let yaml = suite(estate, "x", None, &out).replace(
        &format!("awsServicesEndpointURL: {}", moto().endpoint),
        &format!("awsServicesEndpointURL: {}", proxy.endpoint),
    );
    let run = run_suite(dir.path(), "wf.yaml", &yaml);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr.contains("the estate could not be walked")
            && run.stderr.contains("ListAccounts"),
        "{}",
        run.stderr
    );
    assert!(!out.exists());
}

/// With `regions: all`, a suite's table in an account whose regions cannot be listed
/// is a table that could not be tested (exit 2, the account's reason), as in any other
/// failed pair: the old lookup found no pair of that region and reported the case
/// "not testable", as if the table's FQN were a mistake.
#[test]
fn a_table_of_an_account_whose_regions_cannot_be_listed_fails_with_its_account() {
    let p = format!("dqr{}_", std::process::id());
    let orders = format!("{p}orders");
    let (a, c) = ("454545454541", "454545454543");
    table_with(Some(a), "eu-west-3", &orders, 2);
    let stub = super::estate::regions_stub(&[(a, &[("eu-west-3", "ENABLED_BY_DEFAULT")])], &[c]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let estate = format!(
        "        regions: all\n        includeBaseAccount: false\n        accounts:\n          - roleArn: arn:aws:iam::{a}:role/reader\n          - roleArn: arn:aws:iam::{c}:role/reader\n"
    );
    let entity = format!("test_svc.{c}.eu-west-3.{orders}");
    let yaml = suite(&estate, &p, Some(&entity), &out).replace(
        &format!("awsServicesEndpointURL: {}", moto().endpoint),
        &format!("awsServicesEndpointURL: {}", stub.endpoint),
    );
    let run = run_suite(dir.path(), "wf.yaml", &yaml);
    assert_eq!(run.code, 2, "{}", run.output());
    let s: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    let tables = s["summary"]["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 1, "{s:#}");
    assert_eq!(tables[0]["table"], entity.as_str());
    let why = tables[0]["error"].as_str().unwrap_or_default();
    assert!(
        why.contains(&format!("pair {c}/all")) && why.contains("ListRegions"),
        "{s:#}"
    );
    assert!(tables[0]["cases"].as_array().unwrap().is_empty(), "{s:#}");
}
