//! The catalog end to end on real SQLite files: runs, versions, crash safety, diff,
//! show, report, and a catalog written by the first schema version.
// Test code: a failed unwrap is a failed test (helpers outside `#[test]` too).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use dynameta_catalog::diff::{table_changes, ChangeKind, DiffOptions};
use dynameta_catalog::{
    Catalog, CatalogError, Column, IndexDef, KeyAttr, PiiTag, RunStatus, Sample, TableProfile,
    TableRef, TableSnapshot, SCHEMA_VERSION,
};
use proptest::prelude::*;
use serde_json::json;

fn table(name: &str) -> TableRef {
    TableRef {
        fqn: format!("svc.default.default.{}", dynameta_catalog::quote(name)),
        service: "svc".into(),
        database: "default".into(),
        schema: "default".into(),
        name: name.into(),
    }
}

fn col(name: &str, ty: &str, presence: f64) -> Column {
    Column {
        name: name.into(),
        original_name: None,
        data_type: ty.to_uppercase(),
        display_type: ty.to_lowercase(),
        presence: Some(presence),
        types: BTreeMap::new(),
        children: vec![],
    }
}

fn snapshot(name: &str, columns: Vec<Column>, indexes: Vec<IndexDef>) -> TableSnapshot {
    TableSnapshot {
        table: table(name),
        keys: vec![KeyAttr {
            name: "id".into(),
            role: "HASH".into(),
            attribute_type: "S".into(),
        }],
        indexes,
        billing: Some("PAY_PER_REQUEST".into()),
        item_count: Some(10),
        size_bytes: Some(1000),
        ttl: Some("disabled".into()),
        stream: Some("disabled".into()),
        properties: json!({"tableClass": "STANDARD"}),
        columns,
    }
}

fn gsi(name: &str, hash: &str) -> IndexDef {
    IndexDef {
        name: name.into(),
        kind: "GSI".into(),
        hash_key: Some(hash.into()),
        range_key: None,
        projection: Some("ALL".into()),
    }
}

/// One ingest run of `tables`, finished with `status`.
fn ingest(cat: &mut Catalog, tables: &[TableSnapshot], status: RunStatus) -> i64 {
    let run = cat.begin_run("ingest", "svc", "test").unwrap();
    let names: Vec<String> = tables.iter().map(|t| t.table.name.clone()).collect();
    cat.record_listing(run, "svc.default.default", &names)
        .unwrap();
    for t in tables {
        cat.write_snapshot(run, t).unwrap();
    }
    cat.finish_run(run, status, &json!({"tablesProcessed": tables.len()}))
        .unwrap();
    run.0
}

fn first() -> Vec<TableSnapshot> {
    vec![
        snapshot(
            "users",
            vec![
                col("id", "string", 1.0),
                col("age", "bigint", 0.9),
                col("legacy", "boolean", 0.5),
                col("note", "string", 0.1),
            ],
            vec![],
        ),
        snapshot("old", vec![col("id", "string", 1.0)], vec![]),
        snapshot("same", vec![col("id", "string", 1.0)], vec![]),
    ]
}

fn second() -> Vec<TableSnapshot> {
    vec![
        snapshot(
            "users",
            vec![
                col("id", "string", 1.0),
                col("age", "string", 0.92),
                col("email", "string", 1.0),
                col("note", "string", 0.8),
            ],
            vec![gsi("byEmail", "email")],
        ),
        snapshot("same", vec![col("id", "string", 1.0)], vec![]),
        snapshot("fresh", vec![col("id", "string", 1.0)], vec![]),
    ]
}

fn kinds(diff: &dynameta_catalog::diff::Diff) -> Vec<(String, ChangeKind)> {
    diff.changes
        .iter()
        .map(|c| {
            (
                c.table.rsplit('.').next().unwrap().to_string(),
                c.kind.clone(),
            )
        })
        .collect()
}

#[test]
fn two_ingest_runs_give_versions_and_exactly_their_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut cat = Catalog::open(&dir.path().join("c.db")).unwrap();
    assert_eq!(cat.schema_version().unwrap(), SCHEMA_VERSION);
    ingest(&mut cat, &first(), RunStatus::Succeeded);
    let one = cat.diff(DiffOptions::default()).unwrap();
    assert!(!one.changed);
    assert!(
        one.notes[0].contains("one succeeded ingest run"),
        "{:?}",
        one.notes
    );
    ingest(&mut cat, &second(), RunStatus::Succeeded);
    let diff = cat.diff(DiffOptions::default()).unwrap();
    assert!(diff.changed);
    let mut got = kinds(&diff);
    got.sort_by_key(|(t, k)| (t.clone(), format!("{k:?}")));
    let mut want = vec![
        ("fresh".to_string(), ChangeKind::TableCreated),
        ("old".to_string(), ChangeKind::TableDeleted),
        (
            "users".to_string(),
            ChangeKind::AttributeAdded {
                path: "email".into(),
                data_type: "string".into(),
            },
        ),
        (
            "users".to_string(),
            ChangeKind::AttributeRemoved {
                path: "legacy".into(),
                data_type: "boolean".into(),
            },
        ),
        (
            "users".to_string(),
            ChangeKind::TypeChanged {
                path: "age".into(),
                from: "bigint".into(),
                to: "string".into(),
            },
        ),
        (
            "users".to_string(),
            ChangeKind::PresenceChanged {
                path: "note".into(),
                from: 0.1,
                to: 0.8,
            },
        ),
        (
            "users".to_string(),
            ChangeKind::IndexAdded {
                name: "byEmail".into(),
                definition: "GSI on email, projection ALL".into(),
            },
        ),
    ];
    want.sort_by_key(|(t, k)| (t.clone(), format!("{k:?}")));
    assert_eq!(got, want);
    // Versions: users changed (2), same did not (1), fresh is new (1).
    let versions = |name: &str| cat.versions(&table(name).fqn).unwrap().len();
    assert_eq!(
        (versions("users"), versions("same"), versions("fresh")),
        (2, 1, 1)
    );
    // Text and JSON say the same.
    let text = diff.render_text();
    assert!(
        text.contains("+ index byEmail (GSI on email, projection ALL)"),
        "{text}"
    );
    assert!(text.contains("- table deleted"), "{text}");
    assert!(text.contains("7 changes in 3 tables."), "{text}");
    let json: serde_json::Value = serde_json::from_str(&diff.render_json()).unwrap();
    assert_eq!(json["changed"], true);
    assert_eq!(json["changes"].as_array().unwrap().len(), 7);
    assert!(json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["change"] == "typeChanged" && c["from"] == "bigint" && c["path"] == "age"));
}

#[test]
fn failed_and_killed_runs_never_become_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let mut cat = Catalog::open(&path).unwrap();
    ingest(&mut cat, &first(), RunStatus::Succeeded);
    ingest(&mut cat, &second(), RunStatus::Failed);
    // A run killed midway: begun, one table written, never finished.
    let killed = cat.begin_run("ingest", "svc", "test").unwrap();
    cat.write_snapshot(killed, &second()[0]).unwrap();
    drop(cat);
    let cat = Catalog::open_existing(&path).unwrap();
    let diff = cat.diff(DiffOptions::default()).unwrap();
    assert!(!diff.changed, "{}", diff.render_text());
    assert_eq!(cat.versions(&table("users").fqn).unwrap().len(), 1);
    let view = cat.table_view("users").unwrap();
    assert!(view.snapshot.columns.iter().any(|c| c.name == "legacy"));
    let runs = cat.runs().unwrap();
    let statuses: Vec<RunStatus> = runs.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [RunStatus::Succeeded, RunStatus::Failed, RunStatus::Running]
    );
    assert_eq!(runs[0].summary.as_ref().unwrap()["tablesProcessed"], 3);
    // The killed run's table is not in the current state either.
    let current: Vec<String> = cat
        .current_tables()
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(current, ["old", "same", "users"]);
}

#[test]
fn the_report_says_why_a_run_failed() {
    let dir = tempfile::tempdir().unwrap();
    let mut cat = Catalog::open(&dir.path().join("c.db")).unwrap();
    ingest(&mut cat, &first(), RunStatus::Succeeded);
    let failed = cat.begin_run("profile", "svc", "test").unwrap();
    let failures: Vec<serde_json::Value> = (0..5)
        .map(|i| json!({"name": format!("t{i}"), "reason": format!("Scan of t{i} failed: <AccessDenied>")}))
        .collect();
    cat.finish_run(failed, RunStatus::Failed, &json!({"failures": failures}))
        .unwrap();
    let stopped = cat.begin_run("ingest", "svc", "test").unwrap();
    cat.finish_run(
        stopped,
        RunStatus::Failed,
        &json!({"note": "the run stopped before its tables"}),
    )
    .unwrap();
    let tolerated = cat.begin_run("ingest", "svc", "test").unwrap();
    cat.finish_run(
        tolerated,
        RunStatus::Succeeded,
        &json!({"failures": [{"name": "users", "reason": "throttled"}]}),
    )
    .unwrap();
    cat.begin_run("classify", "svc", "test").unwrap();
    let html = cat.report_html().unwrap();
    for needle in [
        "t0: Scan of t0 failed: &lt;AccessDenied&gt;; t1: ",
        "; and 2 more",
        "the run stopped before its tables",
        "1 failure(s) tolerated by the workflow's failure policy: users: throttled",
        "It never finished: it was killed, or is still running.",
    ] {
        assert!(html.contains(needle), "report lacks {needle}");
    }
}

#[test]
fn pii_tags_gained_and_lost_between_classify_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut cat = Catalog::open(&dir.path().join("c.db")).unwrap();
    ingest(&mut cat, &first(), RunStatus::Succeeded);
    let tag = |column: &str, tag: &str| PiiTag {
        column: column.into(),
        tag: tag.into(),
        recognizer: "r".into(),
        confidence: 90.0,
    };
    for tags in [
        vec![
            tag("email", "PII.Sensitive"),
            tag("age", "PII.NonSensitive"),
        ],
        vec![tag("age", "PII.Sensitive")],
    ] {
        let run = cat.begin_run("classify", "svc", "test").unwrap();
        cat.write_classification(run, &table("users"), &tags)
            .unwrap();
        // `same` classified with no tag both times: no change.
        cat.write_classification(run, &table("same"), &[]).unwrap();
        cat.finish_run(run, RunStatus::Succeeded, &json!({}))
            .unwrap();
    }
    let diff = cat.diff(DiffOptions::default()).unwrap();
    let got = kinds(&diff);
    assert_eq!(
        got,
        [
            (
                "users".to_string(),
                ChangeKind::PiiTagLost {
                    column: "age".into(),
                    tag: "PII.NonSensitive".into()
                }
            ),
            (
                "users".to_string(),
                ChangeKind::PiiTagLost {
                    column: "email".into(),
                    tag: "PII.Sensitive".into()
                }
            ),
            (
                "users".to_string(),
                ChangeKind::PiiTagGained {
                    column: "age".into(),
                    tag: "PII.Sensitive".into()
                }
            ),
        ]
    );
}

#[test]
fn show_and_report_render_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let mut cat = Catalog::open(&dir.path().join("c.db")).unwrap();
    ingest(&mut cat, &first(), RunStatus::Succeeded);
    let run = cat.begin_run("profile", "svc", "test").unwrap();
    cat.write_profile(
        run,
        &TableProfile {
            table: table("users"),
            table_profile: serde_json::from_value(json!({"timestamp": 0, "rowCount": 10, "columnCount": 4}))
                .unwrap(),
            columns: serde_json::from_value(json!([{"name": "age", "timestamp": 0, "distinctCount": 7, "min": 18, "max": 90, "mean": 40.5,
                "histogram": {"boundaries": ["18 to 54", "54 to 90"], "frequencies": [6, 3]}},
                {"name": "note", "timestamp": 0, "cardinalityDistribution": {"categories": ["a", "Others"], "counts": [5, 5], "percentages": [50.0, 50.0], "allValuesUnique": false}}]))
            .unwrap(),
            details: json!({}),
        },
    )
    .unwrap();
    cat.finish_run(run, RunStatus::Succeeded, &json!({}))
        .unwrap();
    let run = cat.begin_run("classify", "svc", "test").unwrap();
    cat.write_classification(
        run,
        &table("users"),
        &[PiiTag {
            column: "note".into(),
            tag: "PII.Sensitive".into(),
            recognizer: "email".into(),
            confidence: 97.0,
        }],
    )
    .unwrap();
    cat.write_sample(
        run,
        &table("users"),
        &Sample {
            columns: vec!["id".into(), "note".into(), "legacy".into()],
            // Stored in clear (as a classify run with maskSensitiveSampleData off, or
            // another writer, would): the report masks it all the same.
            rows: vec![vec![
                json!("<script>alert(1)</script>"),
                json!("jane.doe@example.com"),
                json!(true),
            ]],
        },
    )
    .unwrap();
    cat.finish_run(run, RunStatus::Succeeded, &json!({}))
        .unwrap();
    ingest(&mut cat, &second(), RunStatus::Succeeded);

    let text = dynameta_catalog::show::render(&cat.table_view("users").unwrap());
    assert!(
        text.starts_with("users  (svc.default.default.users)"),
        "{text}"
    );
    assert!(
        text.contains("indexes:  byEmail GSI on email, projection ALL"),
        "{text}"
    );
    assert!(text.contains("PII.Sensitive (email 97)"), "{text}");
    assert!(text.contains("schema:   version 2"), "{text}");
    // age was profiled as a number and is a string now: its profile is stale.
    assert!(
        text.contains("age: STALE, profiled when it was bigint"),
        "{text}"
    );
    assert!(
        text.contains("[profile stale: profiled as bigint]"),
        "{text}"
    );
    assert!(matches!(
        cat.table_view("nope"),
        Err(CatalogError::NotFound(m)) if m.contains("no table `nope`")
    ));

    let html = cat.report_html().unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Self-contained: no external script, style, image or font.
    for needle in ["<link", " src=", "http://", "https://", "@import", "url("] {
        assert!(
            !html.contains(needle),
            "report refers to something outside: {needle}"
        );
    }
    // Sample values are escaped, never markup.
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("&lt;script&gt;alert(1)"));
    for needle in [
        "id=\"t:svc.default.default.users\"",
        "+ attribute email: string",
        "~ type of age: bigint -&gt; string",
        "- table deleted",
        "<code>note</code> · top values",
        "PII.Sensitive",
        // The histogram of age's old numbers is not shown as current.
        "age: profiled when it was bigint; stale",
        // The sample says what is masked, what is in clear and what is gone.
        "Masked (tagged PII.Sensitive): note.",
        "In clear (not tagged PII.Sensitive): id, legacy.",
        "No longer in the schema (the attribute is gone since this sample was taken): legacy.",
    ] {
        assert!(html.contains(needle), "report lacks {needle}");
    }
    assert!(
        !html.contains("<code>age</code> · histogram"),
        "a stale histogram is left out"
    );
    for clear in ["jane.doe", "example.com"] {
        assert!(!html.contains(clear), "a Sensitive value in clear: {clear}");
    }
    assert!(!text.contains("jane.doe"), "{text}");
}

#[test]
fn opens_a_catalog_written_by_schema_version_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    {
        let conn = rusqlite_open(&path);
        conn.execute_batch(include_str!("fixtures/catalog-v1.sql"))
            .unwrap();
    }
    let cat = Catalog::open_existing(&path).unwrap();
    assert_eq!(cat.schema_version().unwrap(), SCHEMA_VERSION);
    // v2's classified table was backfilled from v1's tags.
    assert_eq!(
        cat.tags(&table("users").fqn).unwrap().unwrap().1[0].tag,
        "PII.Sensitive"
    );
    // What v1 recorded reads as before: runs 1 and 3 compared, run 4 (killed) ignored.
    let diff = cat.diff(DiffOptions::default()).unwrap();
    assert_eq!(diff.compared[0].from_run, 1);
    assert_eq!(diff.compared[0].to_run, 3);
    assert_eq!(
        kinds(&diff),
        [
            ("old".to_string(), ChangeKind::TableDeleted),
            (
                "users".to_string(),
                ChangeKind::TypeChanged {
                    path: "age".into(),
                    from: "bigint".into(),
                    to: "string".into()
                }
            ),
        ]
    );
    assert_eq!(cat.versions(&table("users").fqn).unwrap().len(), 2);
    assert!(cat
        .report_html()
        .unwrap()
        .contains("<code>age</code> · histogram"));
    // A new run on the upgraded catalog works and is compared with v1's last one.
    drop(cat);
    let mut cat = Catalog::open(&path).unwrap();
    let users = cat.table_view("users").unwrap().snapshot;
    ingest(&mut cat, &[users], RunStatus::Succeeded);
    let diff = cat.diff(DiffOptions::default()).unwrap();
    assert_eq!((diff.compared[0].from_run, diff.compared[0].to_run), (3, 5));
    assert!(!diff.changed, "{}", diff.render_text());
}

#[test]
fn refuses_a_newer_catalog_and_a_file_that_is_not_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    rusqlite_open(&path)
        .execute_batch(&format!(
            "PRAGMA application_id = {}; PRAGMA user_version = 99;",
            dynameta_catalog::APPLICATION_ID
        ))
        .unwrap();
    let err = Catalog::open_existing(&path).err().unwrap();
    assert!(
        matches!(err, CatalogError::TooNew { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("newer dynameta"));
    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "not a database at all, just some text that is long enough",
    )
    .unwrap();
    let err = Catalog::open_existing(&text).err().unwrap();
    assert!(matches!(err, CatalogError::Open { .. }), "{err}");
    let err = Catalog::open_existing(&dir.path().join("missing.db"))
        .err()
        .unwrap();
    assert!(matches!(err, CatalogError::Missing { .. }), "{err}");
    assert!(!dir.path().join("missing.db").exists());
}

fn rusqlite_open(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

fn column_set() -> impl Strategy<Value = BTreeMap<String, (String, f64)>> {
    prop::collection::btree_map(
        "[a-e]{1,2}",
        (
            prop_oneof!["string", "bigint", "boolean"].prop_map(String::from),
            0.0..=1.0f64,
        ),
        0..8,
    )
}

fn columns_of(set: &BTreeMap<String, (String, f64)>) -> Vec<Column> {
    set.iter().map(|(n, (t, p))| col(n, t, *p)).collect()
}

proptest! {
    /// A snapshot compared with itself has no change; between two column sets the
    /// changes are exactly the names added, removed and retyped, and the presence
    /// moves at or beyond the threshold.
    #[test]
    fn table_changes_are_exactly_the_differences(a in column_set(), b in column_set()) {
        let sa = snapshot("t", columns_of(&a), vec![]);
        let sb = snapshot("t", columns_of(&b), vec![]);
        let options = DiffOptions::default();
        prop_assert!(table_changes(&sa, &sa, options).is_empty());
        let mut want = Vec::new();
        for (n, (t, _)) in &a {
            if !b.contains_key(n) {
                want.push(ChangeKind::AttributeRemoved { path: n.clone(), data_type: t.clone() });
            }
        }
        for (n, (t, _)) in &b {
            if !a.contains_key(n) {
                want.push(ChangeKind::AttributeAdded { path: n.clone(), data_type: t.clone() });
            }
        }
        for (n, (t, p)) in &a {
            if let Some((t2, p2)) = b.get(n) {
                if t != t2 {
                    want.push(ChangeKind::TypeChanged { path: n.clone(), from: t.clone(), to: t2.clone() });
                }
                if (p - p2).abs() >= options.presence_threshold {
                    want.push(ChangeKind::PresenceChanged { path: n.clone(), from: *p, to: *p2 });
                }
            }
        }
        prop_assert_eq!(table_changes(&sa, &sb, options), want);
    }
}

/// AWS tags (the snapshot's `properties.tags`) added, changed and removed between two
/// ingest runs are named by `diff`; a run whose tags were not read changes nothing.
#[test]
fn aws_tag_changes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut cat = Catalog::open(&dir.path().join("c.db")).unwrap();
    let tagged = |tags: serde_json::Value| {
        let mut t = snapshot("orders", vec![col("id", "string", 1.0)], vec![]);
        t.properties = json!({"tableClass": "STANDARD", "tags": tags});
        t
    };
    ingest(
        &mut cat,
        &[tagged(json!({"team": "payments", "env": "dev"}))],
        RunStatus::Succeeded,
    );
    ingest(
        &mut cat,
        &[tagged(json!({"env": "prod", "owner": "ann@example.com"}))],
        RunStatus::Succeeded,
    );
    let diff = cat.diff(DiffOptions::default()).unwrap();
    assert_eq!(
        kinds(&diff),
        [
            (
                "orders".to_string(),
                ChangeKind::AwsTagRemoved {
                    key: "team".into(),
                    value: "payments".into()
                }
            ),
            (
                "orders".to_string(),
                ChangeKind::AwsTagSet {
                    key: "env".into(),
                    from: Some("dev".into()),
                    to: "prod".into()
                }
            ),
            (
                "orders".to_string(),
                ChangeKind::AwsTagSet {
                    key: "owner".into(),
                    from: None,
                    to: "ann@example.com".into()
                }
            ),
        ]
    );
    let text = diff.render_text();
    let html = cat.report_html().unwrap();
    assert!(
        html.contains("AWS tags") && html.contains("env = prod, owner = ann@example.com"),
        "the report lists the table's AWS tags"
    );
    for line in [
        "- AWS tag team (was payments)",
        "~ AWS tag env: dev -> prod",
        "+ AWS tag owner = ann@example.com",
    ] {
        assert!(text.contains(line), "{line} not in {text}");
    }
    // Tags not read on the next run (`includeTags: false`): no change.
    let mut unread = snapshot("orders", vec![col("id", "string", 1.0)], vec![]);
    unread.properties = json!({"tableClass": "STANDARD"});
    ingest(&mut cat, &[unread], RunStatus::Succeeded);
    let diff = cat.diff(DiffOptions::default()).unwrap();
    assert!(kinds(&diff).is_empty(), "{:?}", kinds(&diff));
}

/// The declared owner (`properties.declaredOwner`) changing between two ingest runs is
/// named by `diff`, and the report's table page shows it; a side that knows nothing of
/// owners (no owner, no tags) changes nothing.
#[test]
fn owner_changes_are_named_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let mut cat = Catalog::open(&dir.path().join("c.db")).unwrap();
    let owned = |name: &str, from: &str| {
        let mut t = snapshot("orders", vec![col("id", "string", 1.0)], vec![]);
        t.properties = json!({"declaredOwner": {"names": [name], "from": from}});
        t
    };
    ingest(
        &mut cat,
        &[owned("alice@example.com", "AWS tag owner")],
        RunStatus::Succeeded,
    );
    ingest(
        &mut cat,
        &[owned("team-data", "AWS tag owner")],
        RunStatus::Succeeded,
    );
    let diff = cat.diff(DiffOptions::default()).unwrap();
    assert_eq!(
        kinds(&diff),
        [(
            "orders".to_string(),
            ChangeKind::OwnerChanged {
                from: Some("alice@example.com (AWS tag owner)".into()),
                to: Some("team-data (AWS tag owner)".into()),
            }
        )]
    );
    let line = "~ owner: alice@example.com (AWS tag owner) -> team-data (AWS tag owner)";
    assert!(diff.render_text().contains(line), "{}", diff.render_text());
    let html = cat.report_html().unwrap();
    assert!(
        html.contains("Owner (declared)") && html.contains("team-data (AWS tag owner)"),
        "the report shows the declared owner"
    );
    // Nothing known of owners on the next run: no change.
    let mut unknown = snapshot("orders", vec![col("id", "string", 1.0)], vec![]);
    unknown.properties = json!({"tableClass": "STANDARD"});
    ingest(&mut cat, &[unknown], RunStatus::Succeeded);
    let diff = cat.diff(DiffOptions::default()).unwrap();
    assert!(kinds(&diff).is_empty(), "{:?}", kinds(&diff));
}
