//! The local catalog against DynamoDB Local: two ingest runs with schema changes
//! between them, `diff`, `show` and `report`, the default sink, and the HTML report of
//! the 150-table corpus in headless Chromium.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use aws_sdk_dynamodb::types::{AttributeValue as AV, ScalarAttributeType};
use dynameta_catalog::Catalog;
use dynameta_testkit::{corpus, dynamodb_local, unique_access_key};
use serde_json::{json, Value};

use super::support::*;

/// `workflow(...)`'s YAML with the local sink at `db` and no `workflowConfig` at all.
fn local_workflow(endpoint: &str, key: &str, source_config: &str, db: &Path) -> String {
    local_builder(endpoint, key, "DatabaseMetadata", source_config, db).yaml()
}

/// [`local_workflow`] of pipeline `kind`.
fn local_builder(
    endpoint: &str,
    key: &str,
    kind: &str,
    source_config: &str,
    db: &Path,
) -> WorkflowBuilder {
    WorkflowBuilder::new(endpoint, key)
        .pipeline(kind)
        .source_lines(source_config)
        .local_sink(db)
        .without_workflow_config()
}

/// The pipeline `command` runs.
fn pipeline_of(command: &str) -> &'static str {
    match command {
        "profile" => "Profiler",
        "classify" => "AutoClassification",
        _ => "DatabaseMetadata",
    }
}

/// Runs `f` with a DynamoDB client on the namespace of `key`.
fn with_client<F, Fut>(key: &str, f: F)
where
    F: FnOnce(aws_sdk_dynamodb::Client) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (endpoint, key) = (dynamodb_local().endpoint.clone(), key.to_string());
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
            f(client).await
        })
    })
    .join()
    .expect("DynamoDB setup");
}

fn person(i: u32, age_as_string: bool, second_run: bool) -> HashMap<String, AV> {
    let mut item = HashMap::from([
        ("id".to_string(), AV::S(format!("p{i:03}"))),
        ("name".to_string(), AV::S(format!("name {i}"))),
    ]);
    let age = 20 + i % 50;
    item.insert(
        "age".into(),
        if age_as_string {
            AV::S(format!("{age} years"))
        } else {
            AV::N(age.to_string())
        },
    );
    if second_run {
        item.insert("email".into(), AV::S(format!("p{i}@example.com")));
    } else {
        item.insert("legacy".into(), AV::Bool(i.is_multiple_of(2)));
    }
    item
}

#[test]
fn two_ingest_runs_keep_both_versions_and_diff_names_exactly_the_changes() {
    let key = unique_access_key("catalog_drift");
    with_client(&key, |client| async move {
        corpus::create_table(&client, "people", ("id", ScalarAttributeType::S), None).await;
        corpus::create_table(&client, "doomed", ("id", ScalarAttributeType::S), None).await;
        corpus::create_table(&client, "steady", ("id", ScalarAttributeType::S), None).await;
        corpus::put_items(
            &client,
            "people",
            (0..40).map(|i| person(i, false, false)).collect(),
        )
        .await;
        for t in ["doomed", "steady"] {
            let items = (0..5)
                .map(|i| HashMap::from([("id".to_string(), AV::S(format!("{i}")))]))
                .collect();
            corpus::put_items(&client, t, items).await;
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let endpoint = dynamodb_local().endpoint.clone();
    let wf = write(
        dir.path(),
        "wf.yaml",
        &local_workflow(&endpoint, &key, "", &db),
    );
    let ingest = || dynameta(&["ingest", "-c", wf.to_str().unwrap()], &[]);

    let first = ingest();
    assert_eq!(first.code, 0, "{}", first.output());
    // The summary names the file it wrote.
    assert!(
        first.stdout.contains(&db.display().to_string()),
        "{}",
        first.stdout
    );
    assert_no_secrets(&first.output(), "first ingest");
    let only = dynameta(&["diff", "--catalog", db.to_str().unwrap()], &[]);
    assert_eq!(only.code, 0, "{}", only.output());
    assert!(
        only.stdout.contains("one succeeded ingest run"),
        "{}",
        only.stdout
    );

    // Between the runs: email added, legacy removed, age number -> string, a GSI, a
    // table deleted. `steady` does not change.
    with_client(&key, |client| async move {
        corpus::put_items(
            &client,
            "people",
            (0..40).map(|i| person(i, true, true)).collect(),
        )
        .await;
        corpus::add_gsi(&client, "people", "by_name", "name").await;
        client
            .delete_table()
            .table_name("doomed")
            .send()
            .await
            .expect("delete doomed");
    });
    let second = ingest();
    assert_eq!(second.code, 0, "{}", second.output());

    let diff = dynameta(&["diff", "--catalog", db.to_str().unwrap(), "--json"], &[]);
    assert_eq!(diff.code, 1, "changes exit 1: {}", diff.output());
    let diff: Value = serde_json::from_str(diff.stdout.trim()).expect("diff --json is JSON");
    let mut got: Vec<Value> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let mut c = c.clone();
            let table = c["table"]
                .as_str()
                .unwrap()
                .rsplit('.')
                .next()
                .unwrap()
                .to_string();
            c["table"] = json!(table);
            c
        })
        .collect();
    got.sort_by_key(|c| c.to_string());
    let mut want = vec![
        json!({"table": "doomed", "change": "tableDeleted"}),
        json!({"table": "people", "change": "attributeAdded", "path": "email", "dataType": "string"}),
        json!({"table": "people", "change": "attributeRemoved", "path": "legacy", "dataType": "boolean"}),
        json!({"table": "people", "change": "typeChanged", "path": "age", "from": "bigint", "to": "string"}),
        json!({"table": "people", "change": "indexAdded", "name": "by_name", "definition": "GSI on name, projection ALL"}),
    ];
    want.sort_by_key(|c| c.to_string());
    assert_eq!(got, want, "exactly the changes made, no more");

    // Both versions are kept; an unchanged table has one.
    let cat = Catalog::open_existing(&db).unwrap();
    let fqn = |t: &str| format!("test_svc.default.default.{t}");
    assert_eq!(cat.versions(&fqn("people")).unwrap().len(), 2);
    assert_eq!(cat.versions(&fqn("steady")).unwrap().len(), 1);
    let snaps = cat.snapshots_of_table(&fqn("people")).unwrap();
    assert_eq!(snaps.len(), 2);
    let names = |i: usize| -> Vec<String> {
        snaps[i]
            .snapshot
            .columns
            .iter()
            .map(|c| c.name.clone())
            .collect()
    };
    assert_eq!(names(0), ["id", "age", "legacy", "name"]);
    assert_eq!(names(1), ["id", "age", "email", "name"]);
    let age = &snaps[0].snapshot.columns[1];
    assert_eq!((age.presence, age.types.get("N")), (Some(1.0), Some(&40)));
    let runs = cat.runs().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].summary.as_ref().unwrap()["tablesProcessed"], 2);
    drop(cat);

    let text = dynameta(&["diff", "--catalog", db.to_str().unwrap()], &[]);
    assert_eq!(text.code, 1);
    assert!(
        text.stdout.contains("~ type of age: bigint -> string"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("5 changes in 2 tables."),
        "{}",
        text.stdout
    );

    let show = dynameta(&["show", "--catalog", db.to_str().unwrap(), "people"], &[]);
    assert_eq!(show.code, 0, "{}", show.output());
    assert!(show.stdout.contains("key:      id (S)"), "{}", show.stdout);
    assert!(
        show.stdout.contains("by_name GSI on name, projection ALL"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout.contains("schema:   version 2"),
        "{}",
        show.stdout
    );
    let missing = dynameta(&["show", "--catalog", db.to_str().unwrap(), "nope"], &[]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("no table `nope`"),
        "{}",
        missing.stderr
    );

    let out = dir.path().join("report.html");
    let report = report_to(&db, &out);
    assert!(report.stdout.contains("2 tables"), "{}", report.stdout);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("- table deleted"));
    assert!(html.contains("+ index by_name"));
}

#[test]
fn without_a_sink_the_local_catalog_is_written_in_the_working_directory() {
    let key = unique_access_key("catalog_default");
    create_tables(&key, &["alpha"]);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = dynamodb_local().endpoint.clone();
    let yaml = local_workflow(&endpoint, &key, "", Path::new("x"));
    let (head, _) = yaml.split_once("sink:\n").unwrap();
    let wf = write(dir.path(), "wf.yaml", head);
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_dynameta"))
        .args(["ingest", "-c", wf.to_str().unwrap()])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(dir.path().join("dynameta.db").is_file());
    assert!(
        stdout.contains("dynameta.db"),
        "the summary names the catalog: {stdout}"
    );
    let show = dynameta(
        &[
            "show",
            "--catalog",
            dir.path().join("dynameta.db").to_str().unwrap(),
            "alpha",
        ],
        &[],
    );
    assert_eq!(show.code, 0, "{}", show.output());
    assert!(
        show.stdout
            .starts_with("alpha  (test_svc.default.default.alpha)"),
        "{}",
        show.stdout
    );
}

#[test]
fn show_reads_a_file_sink_output_too() {
    let key = unique_access_key("catalog_show_jsonl");
    with_client(&key, |client| async move {
        corpus::create_table(&client, "people", ("id", ScalarAttributeType::S), None).await;
        corpus::put_items(
            &client,
            "people",
            (0..10).map(|i| person(i, false, false)).collect(),
        )
        .await;
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let endpoint = dynamodb_local().endpoint.clone();
    let wf = write(
        dir.path(),
        "wf.yaml",
        &workflow(&endpoint, &key, "", "", &out),
    );
    let run = dynameta(&["ingest", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    let show = dynameta(&["show", "--from", out.to_str().unwrap(), "people"], &[]);
    assert_eq!(show.code, 0, "{}", show.output());
    for line in ["key:      id (S)", "legacy", "boolean", "100%"] {
        assert!(show.stdout.contains(line), "{line}: {}", show.stdout);
    }
}

/// The 150-table corpus (plus its five tables), ingested, profiled and classified into
/// a catalog, reported, and the report driven in headless Chromium: no console error,
/// no request outside the file, search and sort work, a table opens, a phone shows it
/// without a page wider than the screen. Screenshots are kept in
/// `target/tmp/report-browser/`.
#[test]
fn report_of_the_corpus_opens_in_chromium_fast_and_clean() {
    let key = unique_access_key("catalog_report");
    with_client(&key, |client| async move {
        corpus::seed(&client, 150).await;
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
            (0..200).map(corpus::customer_item).collect(),
        )
        .await;
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let endpoint = dynamodb_local().endpoint.clone();
    let configs = [
        ("ingest", "      threads: 16"),
        ("profile", ""),
        (
            "classify",
            "      storeSampleData: true\n      sampleDataCount: 10",
        ),
    ];
    for (command, source_config) in configs {
        let yaml = local_builder(&endpoint, &key, pipeline_of(command), source_config, &db).yaml();
        let wf = write(dir.path(), &format!("{command}.yaml"), &yaml);
        let run = dynameta(&[command, "-c", wf.to_str().unwrap(), "-q"], &[]);
        assert_eq!(run.code, 0, "{command}: {}", run.output());
    }
    // Lineage and usage of `orders` (what `dynameta lineage` and `usage` with the
    // local sink store; their runs against moto are tests/it/lineage.rs and usage.rs).
    {
        use dynameta_catalog::lineage::{LineageEdge, LineageFacts, Replica, UsageDay};
        let mut cat = Catalog::open(&db).unwrap();
        let orders = cat.find_table("orders").unwrap();
        let run = cat.begin_run("lineage", "test_svc", "test").unwrap();
        let edge = |kind: &str, target: &str, name: &str| LineageEdge {
            kind: kind.into(),
            target: target.into(),
            name: name.into(),
            detail: "test".into(),
        };
        let facts = LineageFacts {
            edges: vec![
                edge(
                    "s3Export",
                    "s3://exports-bucket/orders",
                    "exports-bucket/orders",
                ),
                edge(
                    "lambda",
                    "arn:aws:lambda:us-east-1:123456789012:function:orders-cdc",
                    "orders-cdc",
                ),
            ],
            replicas: vec![Replica {
                region: "eu-west-1".into(),
                status: "ACTIVE".into(),
            }],
            ..LineageFacts::default()
        };
        cat.write_lineage(run, &orders, &facts).unwrap();
        cat.finish_run(run, dynameta_catalog::RunStatus::Succeeded, &json!({}))
            .unwrap();
        let run = cat.begin_run("usage", "test_svc", "test").unwrap();
        let days: Vec<UsageDay> = (1..=30)
            .map(|d| UsageDay {
                day: format!("2026-11-{d:02}"),
                requests: d * 100,
                clamped: false,
            })
            .collect();
        cat.write_usage(run, &orders, &days).unwrap();
        cat.finish_run(run, dynameta_catalog::RunStatus::Succeeded, &json!({}))
            .unwrap();
    }
    let out = dir.path().join("report.html");
    let started = Instant::now();
    let report = dynameta(
        &[
            "report",
            "--catalog",
            db.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    let render = started.elapsed();
    assert_eq!(report.code, 0, "{}", report.output());
    let bytes = std::fs::metadata(&out).unwrap().len();
    assert!(
        bytes < 5 * 1024 * 1024,
        "report is {bytes} bytes, over 5 MB"
    );

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    std::fs::create_dir_all(&shots).unwrap();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/report_browser_check.cjs");
    let chromium = dynameta_testkit::chromium();
    let browser = std::process::Command::new("node")
        .arg(&script)
        .args([
            out.to_str().unwrap(),
            shots.to_str().unwrap(),
            "orders",
            "bulk_14",
        ])
        .env("PLAYWRIGHT_CORE", dynameta_testkit::playwright_core())
        .env("CHROMIUM", &chromium)
        .output()
        .expect("run node (scripts/install-test-deps needs npm, so node is there)");
    let stdout = String::from_utf8_lossy(&browser.stdout);
    let stderr = String::from_utf8_lossy(&browser.stderr);
    assert!(
        browser.status.success(),
        "browser check failed:\n{stdout}\n{stderr}"
    );
    let measured: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(measured["rows"], 156, "{measured}");
    assert_eq!(measured["visible"], 10, "bulk_140..bulk_149: {measured}");
    assert!(
        measured["charts"].as_u64().unwrap() > 0,
        "orders has charts: {measured}"
    );
    assert_eq!(measured["lineageOverview"], true, "{measured}");
    assert_eq!(
        measured["lineageEnds"], 2,
        "orders' lineage view: {measured}"
    );
    assert_eq!(measured["usageBars"], 30, "orders' usage chart: {measured}");
    let open_ms = measured["openMs"].as_u64().unwrap();
    assert!(open_ms < 2000, "the report took {open_ms} ms to open");
    for shot in ["report-list.png", "report-table.png", "report-phone.png"] {
        let len = std::fs::metadata(shots.join(shot))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(len > 10_000, "{shot} missing or empty ({len} bytes)");
    }
    eprintln!(
        "report: {bytes} bytes, rendered in {} ms, opened in Chromium in {open_ms} ms; screenshots in {}",
        render.as_millis(),
        shots.display()
    );
}

#[test]
fn the_console_sink_prints_each_table_as_show_does() {
    let key = unique_access_key("catalog_console");
    with_client(&key, |client| async move {
        corpus::create_table(&client, "people", ("id", ScalarAttributeType::S), None).await;
        corpus::put_items(
            &client,
            "people",
            (0..10).map(|i| person(i, false, false)).collect(),
        )
        .await;
    });
    let dir = tempfile::tempdir().unwrap();
    let endpoint = dynamodb_local().endpoint.clone();
    let yaml = local_workflow(&endpoint, &key, "", Path::new("x"));
    let (head, _) = yaml.split_once("sink:\n").unwrap();
    let wf = write(
        dir.path(),
        "wf.yaml",
        &format!("{head}sink:\n  type: console\n"),
    );
    let run = dynameta(&["ingest", "-c", wf.to_str().unwrap(), "-q"], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.stdout
            .starts_with("people  (test_svc.default.default.people)"),
        "{}",
        run.stdout
    );
    for line in ["key:      id (S)", "legacy", "Records written"] {
        assert!(run.stdout.contains(line), "{line}: {}", run.stdout);
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "wrote nothing but the workflow"
    );
}

/// Runs `command` (`ingest`, `profile` or `classify`) with the local sink at `db`;
/// `source_config`: more `sourceConfig.config` lines.
fn run_local(dir: &Path, db: &Path, key: &str, command: &str, source_config: &str) {
    let endpoint = dynamodb_local().endpoint.clone();
    let yaml = local_builder(&endpoint, key, pipeline_of(command), source_config, db).yaml();
    let wf = write(dir, &format!("{command}.yaml"), &yaml);
    let run = dynameta(&[command, "-c", wf.to_str().unwrap(), "-q"], &[]);
    assert_eq!(run.code, 0, "{command}: {}", run.output());
}

/// A member: `a::b` is an attribute name OpenMetadata cannot take as is; `age` is a
/// number in the first version and a string in the second, `legacy` only in the first.
fn member(i: u32, second: bool) -> HashMap<String, AV> {
    let mut item = HashMap::from([
        ("id".to_string(), AV::S(format!("m{i:03}"))),
        ("a::b".to_string(), AV::S(format!("plain {i}"))),
        (
            "email".to_string(),
            AV::S(format!("member{i}.secret@example.com")),
        ),
    ]);
    if second {
        item.insert("age".into(), AV::S(format!("{} years", 20 + i)));
    } else {
        item.insert("age".into(), AV::N((20 + i).to_string()));
        item.insert("legacy".into(), AV::Bool(true));
    }
    item
}

/// Issue 21 items 4 and 6 end to end: ingest, profile, classify with sample data (and
/// `maskSensitiveSampleData` left at its default, false), then the data changes (age
/// number → string, legacy gone) and ingest runs again. The catalog holds no clear
/// Sensitive value, the report names what is masked and what is in clear, marks age's
/// profile stale and legacy's sample column gone, and report and `show` name `a::b` as
/// written.
#[test]
fn report_and_show_tell_the_truth_about_masking_time_and_names() {
    let key = unique_access_key("catalog_truth");
    with_client(&key, |client| async move {
        corpus::create_table(&client, "members", ("id", ScalarAttributeType::S), None).await;
        corpus::put_items(
            &client,
            "members",
            (0..30).map(|i| member(i, false)).collect(),
        )
        .await;
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    run_local(dir.path(), &db, &key, "ingest", "");
    run_local(dir.path(), &db, &key, "profile", "");
    run_local(
        dir.path(),
        &db,
        &key,
        "classify",
        "      storeSampleData: true\n      sampleDataCount: 10",
    );
    let fqn = "test_svc.default.default.members";
    {
        let cat = Catalog::open_existing(&db).unwrap();
        let (_, tags) = cat.tags(fqn).unwrap().expect("classified");
        assert!(
            tags.iter()
                .any(|t| t.column == "email" && t.tag == "PII.Sensitive"),
            "email is tagged Sensitive: {tags:?}"
        );
        // Stored masked, though the workflow did not ask classify to mask.
        let sample = cat.sample(fqn).unwrap().expect("sample stored");
        let stored = serde_json::to_string(&sample.rows).unwrap();
        assert!(
            !stored.contains("secret@example.com"),
            "clear values in the catalog: {stored}"
        );
        assert!(stored.contains("plain 1"), "the others stay: {stored}");
    }
    with_client(&key, |client| async move {
        corpus::put_items(
            &client,
            "members",
            (0..30).map(|i| member(i, true)).collect(),
        )
        .await;
    });
    run_local(dir.path(), &db, &key, "ingest", "");

    let out = dir.path().join("report.html");
    report_to(&db, &out);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        !html.contains("secret@example.com"),
        "clear Sensitive value"
    );
    for needle in [
        // Which sample columns are masked, which are in clear, which are gone.
        "Masked (tagged PII.Sensitive): email.",
        "In clear (not tagged PII.Sensitive): ",
        "No longer in the schema (the attribute is gone since this sample was taken): legacy.",
        // age's profile is of numbers; it is a string now.
        "age: profiled when it was bigint; stale",
        // The attribute as written, the stored name beside it.
        "<code>a::b</code> <span class=\"muted\">stored as <code>a__reserved__colon__b</code>",
    ] {
        assert!(html.contains(needle), "report lacks {needle}");
    }
    assert!(!html.contains("masked by classify"), "the old label");

    let show = dynameta(&["show", "--catalog", db.to_str().unwrap(), "members"], &[]);
    assert_eq!(show.code, 0, "{}", show.output());
    for needle in [
        "age: STALE, profiled when it was bigint",
        "[profile stale: profiled as bigint]",
        "a::b (stored as a__reserved__colon__b)",
    ] {
        assert!(show.stdout.contains(needle), "{needle}: {}", show.stdout);
    }
    assert!(
        !show.stdout.contains("secret@example.com"),
        "{}",
        show.stdout
    );
}

/// A catalog written through the catalog's own API (no DynamoDB needed): tables named
/// with `%`, and one with a PII tag on a column after a long type.
fn catalog_with_awkward_names(db: &Path) {
    use dynameta_catalog::{Column, KeyAttr, PiiTag, RunStatus, TableRef, TableSnapshot};
    let table = |name: &str| TableRef {
        fqn: format!("svc.default.default.{name}"),
        service: "svc".into(),
        database: "default".into(),
        schema: "default".into(),
        name: name.into(),
    };
    let column = |name: &str, display: &str| Column {
        name: name.into(),
        original_name: None,
        data_type: "STRING".into(),
        display_type: display.into(),
        presence: Some(1.0),
        types: Default::default(),
        children: vec![],
    };
    let snapshot = |name: &str, items: i64| TableSnapshot {
        table: table(name),
        keys: vec![KeyAttr {
            name: "id".into(),
            role: "HASH".into(),
            attribute_type: "S".into(),
        }],
        indexes: vec![],
        billing: Some("PAY_PER_REQUEST".into()),
        item_count: Some(items),
        size_bytes: Some(100 * items),
        ttl: None,
        stream: None,
        properties: json!({}),
        columns: vec![
            column("id", "string"),
            column(
                "address",
                "map<street:string,city:string,postcode:string,country:string,region:string>",
            ),
            column("email", "string"),
        ],
    };
    let mut cat = Catalog::open(db).unwrap();
    let run = cat.begin_run("ingest", "svc", "test").unwrap();
    for (i, name) in ["a%b", "50%_off", "people"].iter().enumerate() {
        cat.write_snapshot(run, &snapshot(name, 10 * (i as i64 + 1)))
            .unwrap();
    }
    cat.finish_run(run, RunStatus::Succeeded, &json!({}))
        .unwrap();
    let run = cat.begin_run("classify", "svc", "test").unwrap();
    let tag = |column: &str| PiiTag {
        column: column.into(),
        tag: "PII.Sensitive".into(),
        recognizer: "email".into(),
        confidence: 95.0,
    };
    cat.write_classification(run, &table("people"), &[tag("email"), tag("address")])
        .unwrap();
    cat.finish_run(run, RunStatus::Succeeded, &json!({}))
        .unwrap();
}

/// Issue 21 item 9 (report part) and item 6's phone: links to tables named with `%`
/// open them, a fragment that is not valid percent-encoding leaves search and sort
/// working, and on a 390 px screen the PII tags of the column table are on screen.
#[test]
fn report_links_with_percent_and_bad_fragments_work_and_a_phone_shows_pii_tags() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    catalog_with_awkward_names(&db);
    let out = dir.path().join("report.html");
    report_to(&db, &out);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        html.contains("href=\"#t:svc.default.default.a%25b\""),
        "the link percent-encodes %"
    );

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    std::fs::create_dir_all(&shots).unwrap();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/report_browser_check.cjs");
    let browser = std::process::Command::new("node")
        .arg(&script)
        .args([
            "--links",
            out.to_str().unwrap(),
            shots.to_str().unwrap(),
            "people",
            "a%b",
            "50%_off",
        ])
        .env("PLAYWRIGHT_CORE", dynameta_testkit::playwright_core())
        .env("CHROMIUM", dynameta_testkit::chromium())
        .output()
        .expect("run node (scripts/install-test-deps needs npm, so node is there)");
    let stdout = String::from_utf8_lossy(&browser.stdout);
    let stderr = String::from_utf8_lossy(&browser.stderr);
    assert!(
        browser.status.success(),
        "browser check failed:\n{stdout}\n{stderr}"
    );
    let measured: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(measured["tags"], 2, "{measured}");
    assert_eq!(measured["offScreen"], 0, "{measured}");
}

/// A run that stops before its tables (here: the filters select nothing) is recorded as
/// failed with the step and the reason, and the report's run history shows them.
#[test]
fn a_run_that_stopped_before_its_tables_keeps_its_reason_in_the_report() {
    let key = unique_access_key("catalog_reason");
    create_tables(&key, &["alpha"]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let endpoint = dynamodb_local().endpoint.clone();
    let yaml = local_workflow(
        &endpoint,
        &key,
        "      tableFilterPattern:\n        includes: [nomatch]\n",
        &db,
    );
    let wf = write(dir.path(), "wf.yaml", &yaml);
    let run = dynameta(&["ingest", "-c", wf.to_str().unwrap(), "-q"], &[]);
    assert_ne!(run.code, 0, "{}", run.output());
    let cat = Catalog::open_existing(&db).unwrap();
    let runs = cat.runs().unwrap();
    let failure = &runs[0].summary.as_ref().expect("summary")["failures"][0];
    assert_eq!(failure["name"], "(nothing to do)", "{failure}");
    drop(cat);
    let out = dir.path().join("report.html");
    report_to(&db, &out);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        html.contains(
            "(nothing to do): the filters selected none of the 1 tables DynamoDB listed (alpha)"
        ),
        "the run history says why the run failed"
    );
}
