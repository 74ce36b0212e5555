//! The whole estate (issue 25) against moto: moto keeps one backend per account and
//! region, AssumeRole's credentials carry the role's account, and Organizations is
//! emulated. So several (account, region) pairs are real separate namespaces here.
//! A role that cannot be assumed is a fault proxy in front of moto's STS answering
//! AssumeRole of that one role `AccessDenied`.

use aws_sdk_dynamodb::types::ScalarAttributeType;
use dynameta_testkit::fault_proxy::{Fault, FaultProxy};
use dynameta_testkit::{corpus, moto};
use serde_json::Value;

use super::support::*;

/// A runtime of its own per call (tests run on plain threads).
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Runtime::new().unwrap().block_on(f)
}

fn http() -> aws_sdk_dynamodb::config::SharedHttpClient {
    dynameta::aws::http_client()
}

/// Credentials of `account` on moto: AssumeRole of a role there (moto accepts any).
pub(super) async fn keys_of(account: &str) -> aws_sdk_dynamodb::config::Credentials {
    let endpoint = &moto().endpoint;
    let base = aws_sdk_dynamodb::config::Credentials::new("AKIDESTATE", "s", None, None, "t");
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(base)
        .endpoint_url(endpoint)
        .http_client(http())
        .build();
    let out = aws_sdk_sts::Client::from_conf(config)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/setup"))
        .role_session_name("setup")
        .send()
        .await
        .unwrap();
    let c = out.credentials.unwrap();
    aws_sdk_dynamodb::config::Credentials::new(
        c.access_key_id,
        c.secret_access_key,
        Some(c.session_token),
        None,
        "moto",
    )
}

/// Creates `tables` in `region` of `account` on moto (`None`: the base account of
/// every unknown key, 123456789012).
fn create_in(account: Option<&str>, region: &str, tables: &[String]) {
    block_on(async {
        let creds = match account {
            Some(a) => keys_of(a).await,
            None => aws_sdk_dynamodb::config::Credentials::new("AKIDESTATE", "s", None, None, "t"),
        };
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .credentials_provider(creds)
            .endpoint_url(&moto().endpoint)
            .http_client(http())
            .build();
        let client = aws_sdk_dynamodb::Client::from_conf(config);
        for t in tables {
            corpus::create_table(&client, t, ("id", ScalarAttributeType::S), None).await;
        }
    });
}

/// A workflow reading moto with `lines` under connectionArguments, only tables whose
/// name starts with `prefix`, writing `out`.
fn estate_workflow(lines: &str, prefix: &str, out: &std::path::Path) -> String {
    let endpoint = &moto().endpoint;
    WorkflowBuilder::new(endpoint, "AKIDESTATE")
        .connection_argument("stsEndpointUrl", endpoint)
        .connection_argument("awsServicesEndpointURL", endpoint)
        .connection_lines(lines)
        .source_lines(&format!(
            "      tableFilterPattern:\n        includes: [\"{prefix}\"]"
        ))
        .file_sink(out)
        .yaml()
}

fn fqns(records: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = records
        .iter()
        .filter(|r| r["kind"] == "dynamodbTable")
        .map(|r| r["table"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn of_kind<'a>(records: &'a [Value], kind: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["kind"] == kind).collect()
}

#[test]
fn two_accounts_by_two_regions_keep_same_named_tables_apart() {
    let p = format!("est{}_", std::process::id());
    let orders = format!("{p}orders");
    // The same table name in both regions of both accounts; one table only in one pair.
    for region in ["eu-north-1", "sa-east-1"] {
        create_in(None, region, std::slice::from_ref(&orders));
        create_in(Some("111111111111"), region, std::slice::from_ref(&orders));
    }
    create_in(
        Some("111111111111"),
        "sa-east-1",
        &[format!("{p}only_here")],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let yaml = estate_workflow(
        "        regions: [eu-north-1, sa-east-1]\n        accounts:\n          - roleArn: arn:aws:iam::111111111111:role/reader\n            name: analytics\n",
        &p,
        &out,
    );
    let run = ingest_json(dir.path(), "wf.yaml", &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let recs = records(&out);
    assert_eq!(
        fqns(&recs),
        [
            format!("test_svc.123456789012.eu-north-1.{orders}"),
            format!("test_svc.123456789012.sa-east-1.{orders}"),
            format!("test_svc.analytics.eu-north-1.{orders}"),
            format!("test_svc.analytics.sa-east-1.{p}only_here"),
            format!("test_svc.analytics.sa-east-1.{orders}"),
        ],
        "{recs:#?}"
    );
    // One service; one database per account (described), one schema per region.
    assert_eq!(of_kind(&recs, "createDatabaseService").len(), 1);
    let dbs = of_kind(&recs, "createDatabase");
    let names: Vec<&str> = dbs
        .iter()
        .map(|d| d["payload"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["123456789012", "analytics"]);
    let described = dbs[1]["payload"]["description"].as_str().unwrap();
    assert!(
        described.contains("111111111111") && described.contains("role/reader"),
        "{described}"
    );
    let schemas: Vec<String> = of_kind(&recs, "createDatabaseSchema")
        .iter()
        .map(|s| {
            format!(
                "{}.{}",
                s["payload"]["database"].as_str().unwrap(),
                s["payload"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        schemas,
        [
            "test_svc.123456789012.eu-north-1",
            "test_svc.123456789012.sa-east-1",
            "test_svc.analytics.eu-north-1",
            "test_svc.analytics.sa-east-1"
        ]
    );
    // Each pair's listing, for markDeletedTables per schema.
    assert_eq!(of_kind(&recs, "tableListing").len(), 4);
    // The summary lists the pairs with their counts.
    let s = summary(&run);
    let pairs = s["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 4, "{s:#}");
    let last = &pairs[3];
    assert_eq!(
        (
            last["account"].as_str(),
            last["accountId"].as_str(),
            last["region"].as_str()
        ),
        (Some("analytics"), Some("111111111111"), Some("sa-east-1"))
    );
    assert_eq!(last["tablesProcessed"], 2, "{s:#}");
    assert_no_secrets(&run.output(), "estate run");
}

#[test]
fn a_role_that_cannot_be_assumed_fails_its_pairs_only() {
    let p = format!("esf{}_", std::process::id());
    let table = format!("{p}events");
    create_in(
        Some("333333333333"),
        "eu-south-1",
        std::slice::from_ref(&table),
    );
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
    let accounts = "        regions: [eu-south-1]\n        includeBaseAccount: false\n        accounts:\n          - roleArn: arn:aws:iam::222222222222:role/reader\n          - roleArn: arn:aws:iam::333333333333:role/reader\n            externalId: ext-333\n";
    let yaml = estate_workflow(accounts, &p, &out).replace(
        &format!("stsEndpointUrl: {}", moto().endpoint),
        &format!("stsEndpointUrl: {}", sts.endpoint),
    );
    let run = ingest_json(dir.path(), "wf.yaml", &yaml);
    assert_eq!(run.code, 1, "{}", run.output());
    let s = summary(&run);
    let failures = s["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{s:#}");
    assert_eq!(failures[0]["name"], "pair 222222222222/eu-south-1");
    let reason = failures[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("AssumeRole") && reason.contains("222222222222"),
        "{reason}"
    );
    let pairs = s["pairs"].as_array().unwrap();
    assert!(pairs[0]["error"].is_string(), "{s:#}");
    assert_eq!(pairs[1]["tablesProcessed"], 1, "{s:#}");
    // The default policy: a failed run never replaces the output.
    assert!(!out.exists(), "a failed run wrote its output");

    // raiseOnError: false tolerates it: the good pair is written, and the failed pair
    // wrote no listing, so none of its tables can be marked deleted.
    let yaml = yaml.replace(
        "workflowConfig:\n",
        "workflowConfig:\n  raiseOnError: false\n",
    );
    let run = ingest_json(dir.path(), "wf2.yaml", &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let recs = records(&out);
    assert_eq!(
        fqns(&recs),
        [format!("test_svc.333333333333.eu-south-1.{table}")]
    );
    let listings: Vec<&str> = of_kind(&recs, "tableListing")
        .iter()
        .map(|l| l["schema"].as_str().unwrap())
        .collect();
    assert_eq!(listings, ["test_svc.333333333333.eu-south-1"]);
    // The ExternalId was sent with the good role's AssumeRole.
    let sent = dynameta_testkit::moto_requests()
        .into_iter()
        .map(|r| r["body"].as_str().unwrap_or_default().to_string())
        .any(|b| {
            b.contains("Action=AssumeRole")
                && b.contains("333333333333")
                && b.contains("ExternalId=ext-333")
        });
    assert!(sent, "AssumeRole with the ExternalId reached STS");

    // test-connection says which pair fails and why, and passes the other.
    let wf = write(dir.path(), "wf.yaml", &yaml);
    let run = dynameta(&["test-connection", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 1, "{}", run.output());
    let text = &run.stdout;
    assert!(text.contains("[pair 222222222222/eu-south-1]"), "{text}");
    assert!(text.contains("[pair 333333333333/eu-south-1]"), "{text}");
    assert!(
        text.contains(
            "Pairs failed: 1 of 2: 222222222222/eu-south-1 (Resolve credentials+role failed)"
        ),
        "{text}"
    );
    assert!(
        text.contains("hint: check the role arn:aws:iam::222222222222:role/reader (from connectionArguments.accounts"),
        "{text}"
    );
    let good = text.split("[pair 333333333333/eu-south-1]").nth(1).unwrap();
    for step in ["Resolve credentials+role", "ListTables", "DescribeTable"] {
        let line = good.lines().find(|l| l.starts_with(step)).unwrap();
        assert!(line.contains("PASS"), "{text}");
    }
}

#[test]
fn an_organization_of_three_accounts_is_walked() {
    let p = format!("eso{}_", std::process::id());
    let table = format!("{p}events");
    let ids: Vec<String> = block_on(async {
        let base = aws_sdk_dynamodb::config::Credentials::new("AKIDESTATE", "s", None, None, "t");
        let config = aws_sdk_organizations::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(base)
            .endpoint_url(&moto().endpoint)
            .http_client(http())
            .build();
        let org = aws_sdk_organizations::Client::from_conf(config);
        org.create_organization().send().await.unwrap();
        let mut ids = Vec::new();
        for name in ["estate-a", "estate-b", "estate-c"] {
            let out = org
                .create_account()
                .account_name(name)
                .email(format!("{name}@example.com"))
                .send()
                .await
                .unwrap();
            ids.push(out.create_account_status.unwrap().account_id.unwrap());
        }
        ids
    });
    for id in &ids {
        create_in(Some(id), "ca-central-1", std::slice::from_ref(&table));
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let yaml = estate_workflow(
        "        regions: [ca-central-1]\n        includeBaseAccount: false\n        organization:\n          roleName: OrganizationAccountAccessRole\n          accountFilterPattern:\n            includes: [\"estate-\"]\n",
        &p,
        &out,
    );
    let run = ingest_json(dir.path(), "wf.yaml", &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let recs = records(&out);
    let mut want: Vec<String> = ids
        .iter()
        .map(|id| format!("test_svc.{id}.ca-central-1.{table}"))
        .collect();
    want.sort();
    assert_eq!(fqns(&recs), want);
    // The management account (not in the filter) is left out, and said.
    let s = summary(&run);
    assert!(
        s["warnings"].as_array().unwrap().iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("left out by accountFilterPattern")),
        "{s:#}"
    );
    let described: Vec<&str> = of_kind(&recs, "createDatabase")
        .iter()
        .map(|d| d["payload"]["description"].as_str().unwrap())
        .collect();
    assert!(
        described.iter().any(|d| d.contains("(estate-a)")),
        "{described:?}"
    );
    let sent = dynameta_testkit::moto_requests()
        .into_iter()
        .map(|r| r["body"].as_str().unwrap_or_default().to_string())
        .any(|b| {
            b.contains("Action=AssumeRole") && b.contains("role%2FOrganizationAccountAccessRole")
        });
    assert!(sent, "the organization role was assumed");
}

#[test]
fn a_pair_that_lists_no_table_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let p = format!("ese{}_", std::process::id());
    create_in(None, "ap-northeast-2", &[format!("{p}t")]);
    let yaml = estate_workflow("        regions: [ap-northeast-2, eu-west-2]\n", &p, &out);
    let run = ingest_json(dir.path(), "wf.yaml", &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let s = summary(&run);
    assert!(
        s["warnings"].as_array().unwrap().iter().any(|w| {
            let w = w.as_str().unwrap();
            w.contains("123456789012/eu-west-2") && w.contains("no table")
        }),
        "{s:#}"
    );
}

/// Deletes `table` in `region` of `account` on moto.
fn delete_in(account: &str, region: &str, table: &str) {
    block_on(async {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .credentials_provider(keys_of(account).await)
            .endpoint_url(&moto().endpoint)
            .http_client(http())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
            .delete_table()
            .table_name(table)
            .send()
            .await
            .unwrap();
    });
}

#[test]
fn mark_deleted_tables_works_per_pair_and_never_for_a_failed_one() {
    use dynameta_testkit::openmetadata_server::ContractServer;
    let p = format!("esd{}_", std::process::id());
    let region = "ap-southeast-1";
    let names = |extra: &str| -> Vec<String> {
        ["a", "b", "gone"]
            .iter()
            .map(|n| format!("{p}{extra}{n}"))
            .collect()
    };
    create_in(Some("555555555555"), region, &names(""));
    create_in(Some("666666666666"), region, &names(""));
    create_in(Some("777777777777"), region, &names(""));
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let sts = FaultProxy::start(
        &moto().endpoint,
        vec![Fault {
            operation: "AssumeRole".into(),
            table: "666666666666%3Arole%2Freader".into(),
            status: 403,
            code: "AccessDenied".into(),
        }],
    );
    let yaml = |sts_endpoint: &str| {
        WorkflowBuilder::new(&moto().endpoint, "AKIDESTATE")
            .connection_argument("stsEndpointUrl", sts_endpoint)
            .connection_lines(&format!(
                "        regions: [{region}]\n        includeBaseAccount: false\n        accounts:\n          - roleArn: arn:aws:iam::555555555555:role/reader\n          - roleArn: arn:aws:iam::666666666666:role/reader\n          - roleArn: arn:aws:iam::777777777777:role/reader\n"
            ))
            .source_lines(&format!(
                "      tableFilterPattern:\n        includes: [\"{p}\"]"
            ))
            .sink(TestSink::Rest(
                "    retryBaseMillis: 5\n    retryCapMillis: 50\n".into(),
            ))
            .host_port(&server.endpoint())
            .workflow_config("raiseOnError", "false")
            .yaml()
    };
    let dir = tempfile::tempdir().unwrap();
    let run = ingest_json(dir.path(), "a.yaml", &yaml(&moto().endpoint));
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(server.entities("table").len(), 9, "{}", run.output());
    // The accounts' databases carry their description (accepted by the server's schema).
    let described = server
        .entities("database")
        .into_iter()
        .filter(|d| d["name"] == "555555555555")
        .map(|d| d["description"].as_str().unwrap_or_default().to_string())
        .next()
        .unwrap();
    assert!(
        described.contains("AWS account 555555555555"),
        "{described}"
    );

    // The table is gone from every account; the second account's role is now refused.
    for account in ["555555555555", "666666666666", "777777777777"] {
        delete_in(account, region, &format!("{p}gone"));
    }
    let run = ingest_json(dir.path(), "b.yaml", &yaml(&sts.endpoint));
    assert_eq!(
        run.code,
        0,
        "raiseOnError: false tolerates it: {}",
        run.output()
    );
    // Each good pair's schema is compared with its own listing (both are marked); the
    // failed pair wrote none, so its table stays.
    let s = summary(&run);
    let want = [
        format!("test_svc.555555555555.{region}.{p}gone"),
        format!("test_svc.777777777777.{region}.{p}gone"),
    ];
    let mut reported: Vec<String> = s["tablesDeleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    reported.sort();
    assert_eq!(reported, want, "{s:#}");
    let deleted = deleted_tables(&server);
    assert_eq!(
        deleted, want,
        "the failed pair's tables are never marked deleted"
    );
    assert_eq!(
        s["failures"][0]["name"],
        format!("pair 666666666666/{region}")
    );
}

#[test]
fn a_region_the_account_has_not_enabled_fails_its_pair_with_the_fix() {
    // AWS answers DynamoDB in a disabled opt-in region UnrecognizedClientException:
    // here for every ListTables, through a fault proxy in front of moto.
    let ddb = FaultProxy::start(
        &moto().endpoint,
        vec![Fault {
            operation: "ListTables".into(),
            table: String::new(),
            status: 400,
            code: "UnrecognizedClientException".into(),
        }],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let yaml = estate_workflow("        regions: [me-south-1, af-south-1]\n", "x", &out).replace(
        &format!("endPointURL: {}", moto().endpoint),
        &format!("endPointURL: {}", ddb.endpoint),
    );
    let run = ingest_json(dir.path(), "wf.yaml", &yaml);
    assert_eq!(run.code, 1, "{}", run.output());
    let s = summary(&run);
    let failures = s["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2, "{s:#}");
    for (f, region) in failures.iter().zip(["me-south-1", "af-south-1"]) {
        assert_eq!(f["name"], format!("pair 123456789012/{region}"));
        let reason = f["reason"].as_str().unwrap();
        assert!(
            reason.contains(&format!(
                "If {region} is an opt-in region, enable it for account 123456789012"
            )),
            "{reason}"
        );
    }
    assert!(!out.exists(), "nothing listed, nothing written");
}

#[test]
fn the_local_catalog_report_and_diff_group_by_account_and_region() {
    let p = format!("esl{}_", std::process::id());
    let orders = format!("{p}orders");
    let users = format!("{p}users");
    let x = "111111111112";
    for region in ["eu-central-1", "ap-southeast-2"] {
        create_in(None, region, std::slice::from_ref(&orders));
    }
    create_in(Some(x), "eu-central-1", std::slice::from_ref(&orders));
    create_in(Some(x), "ap-southeast-2", std::slice::from_ref(&users));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let yaml = WorkflowBuilder::new(&moto().endpoint, "AKIDESTATE")
        .connection_argument("stsEndpointUrl", &moto().endpoint)
        .connection_lines(&format!(
            "        regions: [eu-central-1, ap-southeast-2]\n        accounts:\n          - roleArn: arn:aws:iam::{x}:role/reader\n"
        ))
        .source_lines(&format!(
            "      tableFilterPattern:\n        includes: [\"{p}\"]"
        ))
        .local_sink(&db)
        .yaml();
    let run = ingest_json(dir.path(), "wf.yaml", &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    // A table appears in one pair: the diff says where, account then region.
    let extra = format!("{p}extra");
    create_in(None, "eu-central-1", std::slice::from_ref(&extra));
    let run = ingest_json(dir.path(), "wf.yaml", &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let catalog = db.to_str().unwrap();
    let diff = dynameta(&["diff", "--catalog", catalog], &[]);
    assert_eq!(diff.code, 1, "changes: {}", diff.output());
    assert!(
        diff.stdout.contains(&format!(
            "account 123456789012: 1 table changed in 1 region\n  region eu-central-1: 1 table changed\n    test_svc.123456789012.eu-central-1.{extra}\n      + table created"
        )),
        "{}",
        diff.stdout
    );

    let html = dir.path().join("report.html");
    let report = report_to(&db, &html);
    assert!(report.stdout.contains("5 tables"), "{}", report.stdout);
    let text = std::fs::read_to_string(&html).unwrap();
    assert_eq!(text.matches("<tr class=\"account-head\">").count(), 2);
    assert_eq!(text.matches("<tr class=\"region-head\">").count(), 4);
    assert!(
        text.contains("Account 123456789012 · 3 tables in 2 regions"),
        "account heading with counts"
    );

    // In Chromium: the groups, their rows, the overview's counts; sorting keeps rows in
    // their region; a search leaves only the groups holding a match.
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    std::fs::create_dir_all(&shots).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/report_browser_check.cjs");
    let browser = std::process::Command::new("node")
        .arg(&script)
        .args([
            "--groups",
            html.to_str().unwrap(),
            shots.to_str().unwrap(),
            &users,
        ])
        .env("PLAYWRIGHT_CORE", dynameta_testkit::playwright_core())
        .env("CHROMIUM", dynameta_testkit::chromium())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&browser.stdout);
    assert!(
        browser.status.success(),
        "browser check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&browser.stderr)
    );
    let measured: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(measured["accounts"], 2, "{measured}");
    assert_eq!(measured["regions"], 4, "{measured}");
    assert_eq!(measured["rows"], 5, "{measured}");
    assert_eq!(
        measured["perRegion"],
        serde_json::json!([
            "111111111112/ap-southeast-2=1",
            "111111111112/eu-central-1=1",
            "123456789012/ap-southeast-2=1",
            "123456789012/eu-central-1=2",
        ]),
        "{measured}"
    );
    assert_eq!(measured["cards"]["accounts"], "2", "{measured}");
    assert_eq!(measured["cards"]["regions"], "2", "{measured}");
    assert_eq!(
        measured["found"],
        serde_json::json!({"accounts": 1, "regions": 1, "rows": 1}),
        "{measured}"
    );

    // `show`: a full name opens its table; a name three pairs share is refused, and
    // each of them listed, so the user can pick one.
    for fqn in [
        format!("test_svc.123456789012.eu-central-1.{orders}"),
        format!("test_svc.{x}.eu-central-1.{orders}"),
    ] {
        let show = dynameta(&["show", "--catalog", catalog, &fqn], &[]);
        assert_eq!(show.code, 0, "{}", show.output());
        assert!(show.stdout.contains(&fqn), "{}", show.stdout);
    }
    let show = dynameta(&["show", "--catalog", catalog, &orders], &[]);
    assert_ne!(show.code, 0, "{}", show.output());
    for fqn in [
        format!("test_svc.123456789012.ap-southeast-2.{orders}"),
        format!("test_svc.123456789012.eu-central-1.{orders}"),
        format!("test_svc.{x}.eu-central-1.{orders}"),
    ] {
        assert!(show.stderr.contains(&fqn), "{}", show.stderr);
    }
}

#[test]
fn one_region_alone_is_exactly_the_usual_run() {
    use dynameta_testkit::{dynamodb_local, unique_access_key};
    let key = unique_access_key("estate_one");
    create_tables(&key, &["alpha", "beta"]);
    let dir = tempfile::tempdir().unwrap();
    let run_with = |name: &str, lines: &str| {
        let out = dir.path().join(format!("{name}.jsonl"));
        let yaml = WorkflowBuilder::new(&dynamodb_local().endpoint, &key)
            .connection_lines(lines)
            .file_sink(&out)
            .yaml();
        let wf = write(dir.path(), &format!("{name}.yaml"), &yaml);
        let run = dynameta(&["ingest", "-c", wf.to_str().unwrap()], &[]);
        assert_eq!(run.code, 0, "{}", run.output());
        assert!(!run.stdout.contains("Pair:"), "{}", run.stdout);
        std::fs::read(out).unwrap()
    };
    let before = run_with("plain", "");
    let after = run_with(
        "one",
        "        regions: [us-east-1]\n        includeBaseAccount: true\n",
    );
    assert!(
        String::from_utf8_lossy(&before).contains("test_svc.default.default.alpha"),
        "the usual layout"
    );
    assert_eq!(before, after, "byte-identical output");
}

/// An Account Management stub (moto lacks `account:ListRegions`) serving `regions` per
/// account and refusing the `denied` accounts, two regions a page so paging is used.
pub(super) fn regions_stub(
    regions: &[(&str, &[(&str, &str)])],
    denied: &[&str],
) -> dynameta_testkit::account_stub::AccountStub {
    let map = regions
        .iter()
        .map(|(account, list)| {
            let list = list
                .iter()
                .map(|(r, s)| (r.to_string(), s.to_string()))
                .collect();
            (account.to_string(), list)
        })
        .collect();
    let denied = denied.iter().map(|a| a.to_string()).collect();
    dynameta_testkit::account_stub::AccountStub::start(&moto().endpoint, map, denied, 2)
}

/// How many AssumeRole calls of `role_name` in `account` moto has received so far.
fn assume_role_calls(account: &str, role_name: &str) -> usize {
    let arn = format!("arn%3Aaws%3Aiam%3A%3A{account}%3Arole%2F{role_name}&");
    dynameta_testkit::moto_requests()
        .iter()
        .filter(|r| {
            let b = r["body"].as_str().unwrap_or_default();
            b.contains("Action=AssumeRole&") && format!("{b}&").contains(&arn)
        })
        .count()
}

#[test]
fn regions_all_walks_the_regions_each_account_has_enabled() {
    // Two accounts enable different regions; a third may not list its regions. moto
    // lacks ListRegions, so an Account stub serves it (the caller's account from moto).
    let p = format!("esr{}_", std::process::id());
    let t = format!("{p}orders");
    let (a, b, c) = ("444444444441", "444444444442", "444444444443");
    create_in(Some(a), "eu-west-3", std::slice::from_ref(&t));
    create_in(Some(a), "ap-south-1", std::slice::from_ref(&t));
    create_in(Some(b), "eu-west-3", std::slice::from_ref(&t));
    // In a region b has not enabled: never read.
    create_in(Some(b), "ap-south-1", std::slice::from_ref(&t));
    let stub = regions_stub(
        &[
            (
                a,
                &[
                    ("ap-south-1", "ENABLED"),
                    ("ca-central-1", "DISABLED"),
                    ("eu-west-3", "ENABLED_BY_DEFAULT"),
                    ("me-south-1", "ENABLING"),
                    ("us-west-1", "ENABLED_BY_DEFAULT"),
                ],
            ),
            (
                b,
                &[
                    ("ap-south-1", "DISABLED"),
                    ("eu-west-3", "ENABLED_BY_DEFAULT"),
                ],
            ),
        ],
        &[c],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let lines = format!(
        "        regions: all\n        includeBaseAccount: false\n        accounts:\n          - roleArn: arn:aws:iam::{a}:role/reader\n          - roleArn: arn:aws:iam::{b}:role/reader\n          - roleArn: arn:aws:iam::{c}:role/reader\n"
    );
    let yaml = estate_workflow(&lines, &p, &out).replace(
        &format!("awsServicesEndpointURL: {}", moto().endpoint),
        &format!("awsServicesEndpointURL: {}", stub.endpoint),
    );
    let run = ingest_json(dir.path(), "wf.yaml", &yaml);
    // The account that cannot list its regions fails (the default policy: exit 1, no
    // output); the others ran.
    assert_eq!(run.code, 1, "{}", run.output());
    let s = summary(&run);
    let failures = s["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{s:#}");
    assert_eq!(failures[0]["name"], format!("pair {c}/all"));
    let reason = failures[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("ListRegions")
            && reason.contains("AccessDenied")
            && reason.contains(&format!(
                "grant `account:ListRegions` to the role arn:aws:iam::{c}:role/reader"
            )),
        "{reason}"
    );
    let pairs: Vec<String> = s["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}/{}",
                p["account"].as_str().unwrap(),
                p["region"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            format!("{a}/ap-south-1"),
            format!("{a}/eu-west-3"),
            format!("{a}/us-west-1"),
            format!("{b}/eu-west-3"),
            format!("{c}/all"),
        ],
        "{s:#}"
    );
    assert!(stub.calls() >= 4, "paged: {} calls", stub.calls());

    // raiseOnError: false: the good accounts' tables are written.
    let yaml = yaml.replace(
        "workflowConfig:\n",
        "workflowConfig:\n  raiseOnError: false\n",
    );
    let run = ingest_json(dir.path(), "wf2.yaml", &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        fqns(&records(&out)),
        [
            format!("test_svc.{a}.ap-south-1.{t}"),
            format!("test_svc.{a}.eu-west-3.{t}"),
            format!("test_svc.{b}.eu-west-3.{t}"),
        ]
    );

    // test-connection names the failed account and passes the others' pairs.
    let wf = write(dir.path(), "wf.yaml", &yaml);
    let run = dynameta(&["test-connection", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        run.stdout.contains(&format!("[pair {c}/all]")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Pairs failed: 1 of 5"),
        "{}",
        run.stdout
    );
}

#[test]
fn each_account_assumes_its_role_once_for_all_its_regions() {
    // Before: every pair assumed its role twice (its check, then its clients' cache).
    let role = format!("once{}", std::process::id());
    let (a, b) = ("555555555551", "555555555552");
    let p = format!("eso1{}_", std::process::id());
    let stub = regions_stub(
        &[
            (
                a,
                &[
                    ("eu-west-3", "ENABLED_BY_DEFAULT"),
                    ("us-west-1", "ENABLED_BY_DEFAULT"),
                    ("ap-south-1", "ENABLED"),
                ],
            ),
            (
                b,
                &[
                    ("eu-west-3", "ENABLED_BY_DEFAULT"),
                    ("us-west-1", "ENABLED_BY_DEFAULT"),
                ],
            ),
        ],
        &[],
    );
    create_in(Some(a), "eu-west-3", &[format!("{p}t")]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    for (name, regions) in [
        ("listed", "[eu-west-3, us-west-1, ap-south-1]"),
        ("all", "all"),
    ] {
        let lines = format!(
            "        regions: {regions}\n        includeBaseAccount: false\n        accounts:\n          - roleArn: arn:aws:iam::{a}:role/{role}{name}\n          - roleArn: arn:aws:iam::{b}:role/{role}{name}\n"
        );
        let yaml = estate_workflow(&lines, &p, &out).replace(
            &format!("awsServicesEndpointURL: {}", moto().endpoint),
            &format!("awsServicesEndpointURL: {}", stub.endpoint),
        );
        let run = ingest_json(dir.path(), &format!("{name}.yaml"), &yaml);
        assert_eq!(run.code, 0, "{}", run.output());
        assert_eq!(
            summary(&run)["pairs"].as_array().unwrap().len(),
            if name == "all" { 5 } else { 6 }
        );
        for account in [a, b] {
            assert_eq!(
                assume_role_calls(account, &format!("{role}{name}")),
                1,
                "{name}: one AssumeRole for all the pairs of {account}"
            );
        }
    }
}

#[test]
fn an_account_named_like_another_accounts_id_fails_instead_of_sharing_its_database() {
    // The base account is 123456789012 (moto); an accounts[] entry named `123456789012`
    // would get the same database, so its tables would overwrite the base account's and
    // its listing would mark theirs deleted. The load check cannot see the base id: the
    // later account fails at run time, the base account is read.
    let p = format!("esd{}_", std::process::id());
    create_in(None, "eu-west-3", &[format!("{p}t")]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let accounts = "        regions: [eu-west-3]\n        accounts:\n          - roleArn: arn:aws:iam::444444444444:role/reader\n            name: \"123456789012\"\n";
    let run = ingest_json(dir.path(), "wf.yaml", &estate_workflow(accounts, &p, &out));
    assert_eq!(run.code, 1, "{}", run.output());
    let s = summary(&run);
    let failures = s["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{s:#}");
    let reason = failures[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("`123456789012` is already that of account 123456789012"),
        "{reason}"
    );
    let pairs = s["pairs"].as_array().unwrap();
    assert_eq!(pairs[0]["tablesProcessed"], 1, "{s:#}");
}

/// A pair that cannot be read at all in a run the failure policy tolerates keeps, in
/// the local catalog's current view, what the last ingest knew of its tables (as a
/// failed table does): they are carried, not shown as deleted by `diff` and the report.
/// The old finish carried failed tables by name only, and a pair's failure names no
/// table, so its tables vanished from the view.
#[test]
fn a_pair_that_fails_keeps_its_tables_in_the_local_catalogs_view() {
    let p = format!("esk{}_", std::process::id());
    let region = "eu-west-3";
    let (mine, theirs) = (format!("{p}mine"), format!("{p}theirs"));
    create_in(None, region, std::slice::from_ref(&mine));
    create_in(Some("888888888888"), region, std::slice::from_ref(&theirs));
    let sts = FaultProxy::start(
        &moto().endpoint,
        vec![Fault {
            operation: "AssumeRole".into(),
            table: "888888888888".into(),
            status: 403,
            code: "AccessDenied".into(),
        }],
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let yaml = |sts_endpoint: &str| {
        WorkflowBuilder::new(&moto().endpoint, "AKIDESTATE")
            .connection_argument("stsEndpointUrl", sts_endpoint)
            .connection_lines(&format!(
                "        regions: [{region}]\n        accounts:\n          - roleArn: arn:aws:iam::888888888888:role/reader\n"
            ))
            .source_lines(&format!(
                "      tableFilterPattern:\n        includes: [\"{p}\"]"
            ))
            .local_sink(&db)
            .workflow_config("raiseOnError", "false")
            .yaml()
    };
    let run = ingest_json(dir.path(), "a.yaml", &yaml(&moto().endpoint));
    assert_eq!(run.code, 0, "{}", run.output());
    let run = ingest_json(dir.path(), "b.yaml", &yaml(&sts.endpoint));
    assert_eq!(
        run.code,
        0,
        "raiseOnError: false tolerates it: {}",
        run.output()
    );
    let s = summary(&run);
    assert_eq!(
        s["failures"][0]["name"],
        format!("pair 888888888888/{region}"),
        "{s:#}"
    );
    assert!(
        run.output()
            .contains("1 table(s) this run could not read keep their previous snapshot"),
        "{}",
        run.output()
    );
    // The two runs' views are the same: nothing was created or deleted.
    let diff = dynameta(&["diff", "--catalog", db.to_str().unwrap()], &[]);
    assert_eq!(diff.code, 0, "no change: {}", diff.output());
    let show = dynameta(
        &[
            "show",
            "--catalog",
            db.to_str().unwrap(),
            &format!("test_svc.888888888888.{region}.{theirs}"),
        ],
        &[],
    );
    assert_eq!(show.code, 0, "{}", show.output());
}

/// `markDeletedTables` with `useFqnForFiltering` judges each stale table in its own
/// (account, region): the filter names the accounts, and the gone tables of both are
/// marked deleted. The old finish judged every table in the workflow's default scope
/// (`test_svc.default.default.<table>`), which such a filter never selects, so no
/// table was ever marked deleted.
#[test]
fn mark_deleted_tables_with_fqn_filters_judges_each_table_in_its_pair() {
    use dynameta_testkit::openmetadata_server::ContractServer;
    let p = format!("esq{}_", std::process::id());
    let region = "ap-northeast-3";
    let names: Vec<String> = ["a", "gone"].iter().map(|n| format!("{p}{n}")).collect();
    create_in(Some("121212121212"), region, &names);
    create_in(Some("131313131313"), region, &names);
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let yaml = WorkflowBuilder::new(&moto().endpoint, "AKIDESTATE")
        .connection_argument("stsEndpointUrl", &moto().endpoint)
        .connection_lines(&format!(
            "        regions: [{region}]\n        includeBaseAccount: false\n        accounts:\n          - roleArn: arn:aws:iam::121212121212:role/reader\n          - roleArn: arn:aws:iam::131313131313:role/reader\n"
        ))
        .source_lines(&format!(
            "      useFqnForFiltering: true\n      tableFilterPattern:\n        includes: [\"^test_svc\\\\.1[23]1[23]1[23]1[23]1[23]1[23]\\\\.{region}\\\\.{p}\"]"
        ))
        .sink(TestSink::Rest(
            "    retryBaseMillis: 5\n    retryCapMillis: 50\n".into(),
        ))
        .host_port(&server.endpoint())
        .yaml();
    let dir = tempfile::tempdir().unwrap();
    let run = ingest_json(dir.path(), "a.yaml", &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(server.entities("table").len(), 4, "{}", run.output());
    for account in ["121212121212", "131313131313"] {
        delete_in(account, region, &format!("{p}gone"));
    }
    let run = ingest_json(dir.path(), "b.yaml", &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let deleted = deleted_tables(&server);
    assert_eq!(
        deleted,
        [
            format!("test_svc.121212121212.{region}.{p}gone"),
            format!("test_svc.131313131313.{region}.{p}gone"),
        ],
        "{}",
        run.output()
    );
}

/// The FQNs of the tables the contract server holds as soft-deleted, sorted.
fn deleted_tables(server: &dynameta_testkit::openmetadata_server::ContractServer) -> Vec<String> {
    let mut deleted: Vec<String> = server
        .entities("table")
        .into_iter()
        .filter(|t| t["deleted"] == true)
        .map(|t| t["fullyQualifiedName"].as_str().unwrap().to_string())
        .collect();
    deleted.sort();
    deleted
}
