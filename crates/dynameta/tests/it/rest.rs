//! DynamoDB Local → dynameta → OpenMetadata contract server (validates every body
//! against the upstream JSON Schemas and answers like OpenMetadata).

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_dynamodb::types::ScalarAttributeType;
use dynameta_testkit::openmetadata_server::{ContractServer, Fault, FaultKind};
use dynameta_testkit::{corpus, dynamodb_local, unique_access_key};
use serde_json::{json, Value};

use super::support::*;

/// A namespace on DynamoDB Local holding the corpus (no filler tables) plus `extra` tables.
fn seed(key: &str, extra: &[&str]) {
    let endpoint = dynamodb_local().endpoint.clone();
    let (key, extra): (String, Vec<String>) = (
        key.to_string(),
        extra.iter().map(|s| s.to_string()).collect(),
    );
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
            corpus::seed(&client, 0).await;
            for name in extra {
                corpus::create_table(&client, &name, ("id", ScalarAttributeType::S), None).await;
            }
        })
    })
    .join()
    .unwrap();
}

fn delete_table(key: &str, name: &str) {
    let endpoint = dynamodb_local().endpoint.clone();
    let (key, name) = (key.to_string(), name.to_string());
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
            client
                .delete_table()
                .table_name(&name)
                .send()
                .await
                .unwrap();
        })
    })
    .join()
    .unwrap();
}

/// The workflow with a metadata-rest sink pointed at `server`.
fn rest_workflow(
    dynamodb: &str,
    key: &str,
    server: &ContractServer,
    sink_config: &str,
    source_config: &str,
) -> String {
    rest_builder(dynamodb, key, server, sink_config, source_config).yaml()
}

/// [`rest_workflow`], to set more.
fn rest_builder(
    dynamodb: &str,
    key: &str,
    server: &ContractServer,
    sink_config: &str,
    source_config: &str,
) -> WorkflowBuilder {
    WorkflowBuilder::new(dynamodb, key)
        .source_lines(source_config)
        .sink(TestSink::Rest(format!(
            "    retryBaseMillis: 5\n    retryCapMillis: 50\n{sink_config}"
        )))
        .host_port(&server.endpoint())
}

/// Removes what the server adds, so a stored entity can be compared with a request.
fn strip_server_fields(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        o.remove("fullyQualifiedName");
        for c in o
            .get_mut("children")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            strip_server_fields(c);
        }
    }
}

/// Every description dynameta sent (single PUTs, bulk items, PATCHes of
/// `/description`) is the one the server stores: OpenMetadata sanitizes descriptions
/// (`DescriptionSanitizer`, ported in the contract server), and dynameta writes them so
/// that sanitizing changes nothing. Returns how many were checked.
fn assert_descriptions_stored_as_sent(server: &ContractServer) -> usize {
    let kinds = [
        ("/api/v1/services/databaseServices", "databaseService"),
        ("/api/v1/databases", "database"),
        ("/api/v1/databaseSchemas", "databaseSchema"),
        ("/api/v1/tables", "table"),
    ];
    let mut checked = 0;
    for r in server.requests() {
        let Some((_, kind)) = kinds
            .iter()
            .find(|(p, _)| r.path == *p || r.path == format!("{p}/bulk"))
        else {
            continue;
        };
        if r.method != "PUT" {
            continue;
        }
        let items = match &r.body {
            Some(Value::Array(items)) => items.clone(),
            Some(item) => vec![item.clone()],
            None => Vec::new(),
        };
        for item in items {
            let Some(sent) = item.get("description").and_then(Value::as_str) else {
                continue;
            };
            let name = item["name"].as_str().unwrap();
            let stored = server
                .entities(kind)
                .into_iter()
                .find(|e| e["name"] == name)
                .unwrap_or_else(|| panic!("{kind} {name} not stored"));
            assert_eq!(stored["description"], sent, "{kind} {name}: stored != sent");
            checked += 1;
        }
    }
    checked
}

fn versions(server: &ContractServer) -> BTreeMap<String, Value> {
    ["databaseService", "database", "databaseSchema", "table"]
        .iter()
        .flat_map(|k| server.entities(k))
        .map(|e| {
            (
                e["fullyQualifiedName"].as_str().unwrap().to_string(),
                e["version"].clone(),
            )
        })
        .collect()
}

#[test]
fn publishes_what_the_file_sink_writes_and_a_second_run_changes_nothing() {
    let key = unique_access_key("rest");
    seed(&key, &[]);
    let dir = tempfile::tempdir().unwrap();
    let ddb = &dynamodb_local().endpoint;
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));

    let out = dir.path().join("out.jsonl");
    let file_run = ingest_json(dir.path(), "file.yaml", &workflow(ddb, &key, "", "", &out));
    assert_eq!(file_run.code, 0, "{}", file_run.output());
    let run = ingest_json(
        dir.path(),
        "rest.yaml",
        &rest_workflow(ddb, &key, &server, "", ""),
    );
    assert_eq!(run.code, 0, "{}", run.output());
    assert_no_secrets(&run.output(), "rest run");

    let written = records(&out);
    let tables: Vec<&Value> = written
        .iter()
        .filter(|r| r["kind"] == "createTable")
        .map(|r| &r["payload"])
        .collect();
    assert_eq!(server.entities("table").len(), tables.len());
    for t in tables {
        let stored = server
            .entities("table")
            .into_iter()
            .find(|e| e["name"] == t["name"])
            .unwrap_or_else(|| panic!("table {} not stored", t["name"]));
        for field in [
            "description",
            "tableType",
            "tableConstraints",
            "sourceUrl",
            "sourceHash",
        ] {
            assert_eq!(stored[field], t[field], "{field} of {}", t["name"]);
        }
        let mut columns = stored["columns"].clone();
        for c in columns.as_array_mut().unwrap() {
            strip_server_fields(c);
        }
        assert_eq!(columns, t["columns"], "columns of {}", t["name"]);
    }
    let dotted = server
        .entity("table", "test_svc.default.default.\"acct.users-v2\"")
        .expect("dotted FQN quoted");
    assert_eq!(dotted["name"], "acct.users-v2");
    assert!(server.entity("databaseService", "test_svc").is_some());

    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let position = |p: &str| {
        paths
            .iter()
            .position(|x| x == p)
            .unwrap_or_else(|| panic!("{p} not in {paths:#?}"))
    };
    assert_eq!(paths[0], "GET /api/v1/system/version");
    assert!(
        position("GET /api/v1/services/databaseServices/name/test_svc")
            < position("PUT /api/v1/services/databaseServices")
    );
    assert!(
        position("PUT /api/v1/services/databaseServices") < position("PUT /api/v1/databases/bulk")
    );
    assert!(position("PUT /api/v1/databases/bulk") < position("PUT /api/v1/databaseSchemas/bulk"));
    assert!(position("PUT /api/v1/databaseSchemas/bulk") < position("PUT /api/v1/tables/bulk"));
    let bulk = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/v1/tables/bulk")
        .unwrap();
    assert!(
        bulk.query.contains("async=false") && bulk.query.contains("overrideMetadata=false"),
        "{}",
        bulk.query
    );
    assert!(bulk
        .body
        .as_ref()
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["sourceHash"].is_string()));

    let described = assert_descriptions_stored_as_sent(&server);
    assert!(
        described >= 5,
        "every table has a description ({described})"
    );

    let before = versions(&server);
    let again = ingest_json(
        dir.path(),
        "rest2.yaml",
        &rest_workflow(ddb, &key, &server, "", ""),
    );
    assert_eq!(again.code, 0, "{}", again.output());
    assert_eq!(versions(&server), before, "a second run is a no-op");
    // overrideMetadata: the source's description is sent again and compares equal.
    let forced = ingest_json(
        dir.path(),
        "rest3.yaml",
        &rest_workflow(ddb, &key, &server, "", "      overrideMetadata: true\n"),
    );
    assert_eq!(forced.code, 0, "{}", forced.output());
    assert_eq!(
        versions(&server),
        before,
        "overrideMetadata with unchanged descriptions changes nothing"
    );
    assert_descriptions_stored_as_sent(&server);
}

#[test]
fn a_deleted_dynamodb_table_is_soft_deleted_and_filtered_tables_are_left_alone() {
    let key = unique_access_key("stale");
    seed(&key, &["gone_soon", "archive_gone"]);
    let dir = tempfile::tempdir().unwrap();
    let ddb = &dynamodb_local().endpoint;
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let run = ingest_json(
        dir.path(),
        "a.yaml",
        &rest_workflow(ddb, &key, &server, "", ""),
    );
    assert_eq!(run.code, 0, "{}", run.output());
    let count = server.entities("table").len();

    delete_table(&key, "gone_soon");
    delete_table(&key, "archive_gone");
    // archive_* is now filtered out: it is gone from DynamoDB too, but not a candidate.
    let filter = "      tableFilterPattern:\n        excludes: [\"archive.*\"]";
    let run = ingest_json(
        dir.path(),
        "b.yaml",
        &rest_workflow(ddb, &key, &server, "", filter),
    );
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        summary(&run)["tablesDeleted"],
        serde_json::json!(["test_svc.default.default.gone_soon"])
    );
    let deleted: Vec<String> = server
        .entities("table")
        .into_iter()
        .filter(|t| t["deleted"] == true)
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(deleted, ["gone_soon"]);
    assert_eq!(server.entities("table").len(), count);
    assert!(server
        .requests()
        .iter()
        .any(|r| r.method == "DELETE" && r.path == "/api/v1/tables/deleteStale"));
}

#[test]
fn a_1_9_server_gets_per_entity_puts_and_deletes() {
    let key = unique_access_key("om19");
    seed(&key, &["old_table"]);
    let dir = tempfile::tempdir().unwrap();
    let ddb = &dynamodb_local().endpoint;
    let server = ContractServer::start("1.9.4", Some(JWT_MARKER));
    let run = ingest_json(
        dir.path(),
        "a.yaml",
        &rest_workflow(ddb, &key, &server, "", ""),
    );
    assert_eq!(run.code, 0, "{}", run.output());
    delete_table(&key, "old_table");
    let run = ingest_json(
        dir.path(),
        "b.yaml",
        &rest_workflow(ddb, &key, &server, "", ""),
    );
    assert_eq!(run.code, 0, "{}", run.output());
    let requests = server.requests();
    assert!(
        requests.iter().all(|r| !r.path.ends_with("/bulk")),
        "no bulk calls on 1.9"
    );
    assert!(requests
        .iter()
        .any(|r| r.method == "PUT" && r.path == "/api/v1/tables"));
    assert!(requests.iter().any(|r| r.method == "DELETE"
        && r.path.starts_with("/api/v1/tables/")
        && !r.path.ends_with("deleteStale")));
    let old = server
        .entity("table", "test_svc.default.default.old_table")
        .unwrap();
    assert_eq!(old["deleted"], true);
}

#[test]
fn flaky_server_still_gets_every_entity_exactly_once() {
    let key = unique_access_key("flaky");
    seed(&key, &["t_a", "t_b", "t_c", "t_d", "t_e", "t_f"]);
    let dir = tempfile::tempdir().unwrap();
    let ddb = &dynamodb_local().endpoint;
    for version in ["2.0.7", "1.9.4"] {
        let server = ContractServer::start(version, Some(JWT_MARKER));
        for (kind, probability) in [
            (
                FaultKind::Status {
                    code: 503,
                    retry_after: None,
                },
                0.15,
            ),
            (FaultKind::Drop, 0.15),
        ] {
            server.inject(Fault {
                method: "PUT".into(),
                path_prefix: "/api/v1/".into(),
                kind,
                times: None,
                probability,
            });
        }
        server.inject(Fault {
            method: "PUT".into(),
            path_prefix: "/api/v1/".into(),
            kind: FaultKind::Status {
                code: 429,
                retry_after: Some(0),
            },
            times: Some(2),
            probability: 1.0,
        });
        let run = ingest_json(
            dir.path(),
            "wf.yaml",
            &rest_workflow(
                ddb,
                &key,
                &server,
                "    maxAttempts: 12\n    bulkSize: 3\n",
                "",
            ),
        );
        assert_eq!(run.code, 0, "{version}: {}", run.output());
        let faulted = server
            .requests()
            .iter()
            .filter(|r| r.status >= 500 || r.status == 429 || r.status == 0)
            .count();
        assert!(faulted > 0, "{version}: faults were injected");
        let tables = server.entities("table");
        let mut names: Vec<&str> = tables.iter().map(|t| t["name"].as_str().unwrap()).collect();
        let total = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), total, "{version}: each table once");
        assert_eq!(total, 5 + 6, "{version}: every table present");
        assert_eq!(server.entities("databaseService").len(), 1);
        assert_eq!(server.entities("database").len(), 1);
        assert_eq!(server.entities("databaseSchema").len(), 1);
    }
}

#[test]
fn a_refused_token_stops_the_run_before_any_dynamodb_call() {
    let dir = tempfile::tempdir().unwrap();
    let server = ContractServer::start("2.0.7", Some("the-real-token"));
    // DynamoDB endpoint on a closed port: touching it would fail the listing (exit 1).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let yaml = rest_workflow(
        &format!("http://127.0.0.1:{port}"),
        "AKIDTOKEN",
        &server,
        "",
        "",
    );
    let run = ingest_json(dir.path(), "wf.yaml", &yaml);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(run.stderr.contains("jwtToken"), "{}", run.stderr);
    // A refused token is final: asked once, not retried with backoff.
    let refused = server.requests().iter().filter(|r| r.status == 401).count();
    assert_eq!(refused, 1, "{:?}", server.requests());
    assert_no_secrets(&run.output(), "refused token");
    assert!(server
        .requests()
        .iter()
        .all(|r| !r.path.starts_with("/api/v1/tables")));
}

#[test]
fn unreachable_server_and_old_version_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = format!("http://127.0.0.1:{port}");
    let server = ContractServer::start("1.8.2", None);
    let builder = rest_builder(&closed, "AKIDX", &server, "    maxAttempts: 2\n", "");
    let run = ingest_json(dir.path(), "old.yaml", &builder.yaml());
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr.contains("1.8.2") && run.stderr.contains("not supported"),
        "{}",
        run.stderr
    );
    let yaml = builder.host_port(&closed).yaml();
    let run = ingest_json(dir.path(), "down.yaml", &yaml);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(run.stderr.contains("hostPort"), "{}", run.stderr);
}

#[test]
fn a_rejected_table_is_a_failure_and_the_others_are_published() {
    let key = unique_access_key("reject");
    seed(&key, &[]);
    let dir = tempfile::tempdir().unwrap();
    let server = ContractServer::start("1.9.4", Some(JWT_MARKER));
    server.inject(Fault {
        method: "PUT".into(),
        path_prefix: "/api/v1/tables".into(),
        kind: FaultKind::Status {
            code: 400,
            retry_after: None,
        },
        times: Some(1),
        probability: 1.0,
    });
    let yaml = rest_workflow(
        &dynamodb_local().endpoint,
        &key,
        &server,
        "    concurrency: 1\n",
        "",
    );
    let run = ingest_json(dir.path(), "wf.yaml", &yaml);
    assert_eq!(run.code, 1, "{}", run.output());
    let s = summary(&run);
    assert_eq!(s["failures"].as_array().unwrap().len(), 1, "{s}");
    assert!(s["failures"][0]["reason"].as_str().unwrap().contains("400"));
    assert_eq!(
        server.entities("table").len(),
        4,
        "the other tables are published"
    );
    let table_puts = server
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path == "/api/v1/tables")
        .count();
    assert_eq!(table_puts, 5, "a 400 is not retried");
}

#[test]
fn publish_replays_a_file_to_openmetadata() {
    let key = unique_access_key("replay");
    seed(&key, &[]);
    let dir = tempfile::tempdir().unwrap();
    let ddb = &dynamodb_local().endpoint;
    let out = dir.path().join("out.jsonl");
    let run = ingest_json(dir.path(), "file.yaml", &workflow(ddb, &key, "", "", &out));
    assert_eq!(run.code, 0, "{}", run.output());
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    // Publishing needs no DynamoDB access: point it at a closed port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let wf = write(
        dir.path(),
        "rest.yaml",
        &rest_workflow(&format!("http://127.0.0.1:{port}"), &key, &server, "", ""),
    );
    let run = dynameta(
        &[
            "publish",
            "--from",
            out.to_str().unwrap(),
            "-c",
            wf.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(server.entities("table").len(), 5);
    assert!(server
        .entity("table", "test_svc.default.default.orders")
        .is_some());
}

#[test]
fn a_failed_listing_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let yaml = rest_builder(
        &format!("http://127.0.0.1:{port}"),
        "AKIDNOLIST",
        &server,
        "",
        "",
    )
    .connection_argument("maxAttempts", "1")
    .yaml();
    let run = ingest_json(dir.path(), "wf.yaml", &yaml);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        summary(&run)["failures"][0]["name"] == "(listing)",
        "{}",
        run.stdout
    );
    assert!(server
        .requests()
        .iter()
        .all(|r| r.method != "DELETE" && !r.path.starts_with("/api/v1/tables")));
}

/// Adds `items` items with an `extra` attribute ingest has not seen to table `name`.
fn put_items_with_extra(key: &str, name: &str, items: u32) {
    use aws_sdk_dynamodb::types::AttributeValue as AV;
    use std::collections::HashMap;
    let endpoint = dynamodb_local().endpoint.clone();
    let (key, name) = (key.to_string(), name.to_string());
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
            let rows = (0..items)
                .map(|i| {
                    HashMap::from([
                        ("id".to_string(), AV::S(format!("x{i}"))),
                        ("extra".to_string(), AV::N(i.to_string())),
                    ])
                })
                .collect();
            corpus::put_items(&client, &name, rows).await;
        })
    })
    .join()
    .unwrap();
}

#[test]
fn a_profile_names_only_columns_the_published_table_has() {
    let key = unique_access_key("late-column");
    seed(&key, &["late"]);
    let dir = tempfile::tempdir().unwrap();
    let ddb = &dynamodb_local().endpoint;
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let only_late = "      tableFilterPattern:\n        includes: [late]\n";
    let run = ingest_json(
        dir.path(),
        "a.yaml",
        &rest_workflow(ddb, &key, &server, "", only_late),
    );
    assert_eq!(run.code, 0, "{}", run.output());
    // An attribute the ingest sample never saw: OpenMetadata would refuse the whole
    // profile naming it ("Invalid column name extra").
    put_items_with_extra(&key, "late", 5);
    let profile = rest_builder(ddb, &key, &server, "", only_late)
        .pipeline("Profiler")
        .yaml();
    let wf = write(dir.path(), "p.yaml", &profile);
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
    assert_eq!(run.code, 0, "{}", run.output());
    let s = summary(&run);
    assert_eq!(s["failures"], serde_json::json!([]), "{s}");
    let warnings = s["warnings"].to_string();
    assert!(
        warnings.contains("late") && warnings.contains("extra"),
        "the left-out column is reported: {warnings}"
    );
    let put = server
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT" && r.path.ends_with("/tableProfile"))
        .unwrap();
    assert_eq!(put.status, 200, "{:?}", put.body);
    let names: Vec<&str> = put.body.as_ref().unwrap()["columnProfile"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["id"]);
    assert_eq!(
        put.body.as_ref().unwrap()["tableProfile"]["rowCount"].as_f64(),
        Some(5.0)
    );
}

#[test]
fn override_metadata_decides_whether_a_persons_description_stays() {
    let key = unique_access_key("override");
    seed(&key, &[]);
    let dir = tempfile::tempdir().unwrap();
    let ddb = &dynamodb_local().endpoint;
    let fqn = "test_svc.default.default.users";
    let persons = "Written by a person in the UI";
    for version in ["2.0.7", "1.9.4"] {
        let server = ContractServer::start(version, Some(JWT_MARKER));
        let run = ingest_json(
            dir.path(),
            "a.yaml",
            &rest_workflow(ddb, &key, &server, "", ""),
        );
        assert_eq!(run.code, 0, "{version}: {}", run.output());
        server.edit_as_user("table", fqn, |t| {
            t["description"] = serde_json::json!(persons)
        });
        let description = || server.entity("table", fqn).unwrap()["description"].clone();

        // Default (false): the bot's description never replaces the person's.
        let run = ingest_json(
            dir.path(),
            "b.yaml",
            &rest_workflow(ddb, &key, &server, "", ""),
        );
        assert_eq!(run.code, 0, "{version}: {}", run.output());
        assert_eq!(description(), persons, "{version}");

        // overrideMetadata: true — the source's description wins.
        let run = ingest_json(
            dir.path(),
            "c.yaml",
            &rest_workflow(ddb, &key, &server, "", "      overrideMetadata: true\n"),
        );
        assert_eq!(run.code, 0, "{version}: {}", run.output());
        let now = description();
        assert!(
            now.as_str()
                .unwrap()
                .starts_with(dynameta::processors::mapping::DESCRIPTION_HEADER),
            "{version}: {now}"
        );
        if version.starts_with('2') {
            assert!(server
                .requests()
                .iter()
                .any(|r| r.path == "/api/v1/tables/bulk"
                    && r.query.contains("overrideMetadata=true")));
        }
    }
}

/// A table `deep` whose items hold an email at the top, at nesting level 19
/// (`l0`..`l17`.`email`: 23 FQN parts) and, when `too_deep`, at level 20
/// (`l0`..`l18`.`email`: 24 parts; else a `note` there).
fn seed_deep(key: &str, too_deep: bool) {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    use std::collections::HashMap;
    let endpoint = dynamodb_local().endpoint.clone();
    let key = key.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
            corpus::create_table(&client, "deep", ("id", ScalarAttributeType::S), None).await;
            let items = (0..60)
                .map(|i| {
                    let email = || A::S(format!("person{i}@example.com"));
                    let innermost = if too_deep {
                        ("email".to_string(), email())
                    } else {
                        ("note".to_string(), A::S(format!("note {i}")))
                    };
                    let mut level = HashMap::from([innermost]);
                    for depth in (0..=18).rev() {
                        // `level` is what l{depth} holds.
                        if depth == 17 {
                            level.insert("email".into(), email());
                        }
                        level = HashMap::from([(format!("l{depth}"), A::M(level))]);
                    }
                    // `level` is now {l0: ...}; l17 holds both `email` and `l18`.
                    let mut item = level;
                    item.insert("id".into(), A::S(format!("p{i}")));
                    item.insert("email".into(), email());
                    item
                })
                .collect();
            corpus::put_items(&client, "deep", items).await;
        })
    })
    .join()
    .unwrap();
}

/// The tags on the column at `path` (names) of a stored table.
fn tags_at(table: &Value, path: &[String]) -> Vec<String> {
    let mut columns = &table["columns"];
    let mut column = &Value::Null;
    for name in path {
        column = columns
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name.as_str())
            .unwrap_or_else(|| panic!("no column {name} in {path:?}"));
        columns = &column["children"];
    }
    column["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["tagFQN"].as_str().unwrap().to_string())
        .collect()
}

fn classify_rest(dir: &Path, name: &str, ddb: &str, key: &str, server: &ContractServer) -> Run {
    let yaml = rest_builder(ddb, key, server, "", "")
        .pipeline("AutoClassification")
        .yaml();
    let wf = write(dir, name, &yaml);
    dynameta(
        &[
            "classify",
            "-c",
            wf.to_str().unwrap(),
            "--log-format",
            "json",
        ],
        &[],
    )
}

/// OpenMetadata stores a column's tags under a hash of its FQN of at most 768
/// characters (`tag_usage.targetFQNHash`): a column 20 levels deep (24 FQN parts, 791)
/// cannot be tagged. dynameta skips it and says so; the table's other columns, one 19
/// levels deep included, are tagged in the same run.
#[test]
fn a_column_too_deep_for_a_tag_is_skipped_and_reported_and_the_others_are_tagged() {
    let key = unique_access_key("rest-deep");
    seed_deep(&key, true);
    let dir = tempfile::tempdir().unwrap();
    let ddb = &dynamodb_local().endpoint;
    let server = ContractServer::start("2.0.7", None);
    let ingest = ingest_json(
        dir.path(),
        "ingest.yaml",
        &rest_workflow(ddb, &key, &server, "", ""),
    );
    assert_eq!(ingest.code, 0, "{}", ingest.output());

    let run = classify_rest(dir.path(), "classify.yaml", ddb, &key, &server);
    assert_eq!(run.code, 0, "{}", run.output());
    let table = server
        .entity("table", "test_svc.default.default.deep")
        .unwrap();
    let path = |depth: usize| -> Vec<String> {
        (0..=depth)
            .map(|d| format!("l{d}"))
            .chain(["email".to_string()])
            .collect()
    };
    assert_eq!(tags_at(&table, &["email".to_string()]), ["PII.Sensitive"]);
    assert_eq!(
        tags_at(&table, &path(17)),
        ["PII.Sensitive"],
        "23 parts fit"
    );
    assert!(tags_at(&table, &path(18)).is_empty(), "24 parts do not");
    let output = run.output();
    assert!(
        output.contains(&format!("{}: tag not applied", path(18).join(".")))
            || output.contains("tag not applied: OpenMetadata stores a column's tags under a hash"),
        "{output}"
    );
    assert!(output.contains("768"), "{output}");
    // Nothing was sent that the database would refuse.
    assert!(
        server.requests().iter().all(|r| r.status != 500),
        "no request failed in the server"
    );
}

/// A slow server applies a tag PATCH after dynameta gave up on it (the connection
/// closed, the request handled 5 s later): dynameta read the table again and sent its
/// PATCH, which landed; the late one carries a `test` of the version it was computed
/// from and is refused, so the table changed once (one version bump, each tag once).
#[test]
fn a_tag_patch_the_server_applies_late_is_not_applied_twice() {
    let key = unique_access_key("rest-late");
    seed_deep(&key, false);
    let dir = tempfile::tempdir().unwrap();
    let ddb = &dynamodb_local().endpoint;
    let server = ContractServer::start("2.0.7", None);
    let ingest = ingest_json(
        dir.path(),
        "ingest.yaml",
        &rest_workflow(ddb, &key, &server, "", ""),
    );
    assert_eq!(ingest.code, 0, "{}", ingest.output());
    let before = server
        .entity("table", "test_svc.default.default.deep")
        .unwrap();
    server.inject(Fault {
        method: "PATCH".into(),
        path_prefix: "/api/v1/tables/".into(),
        kind: FaultKind::Late { millis: 5000 },
        times: Some(1),
        probability: 1.0,
    });
    let run = classify_rest(dir.path(), "classify.yaml", ddb, &key, &server);
    assert_eq!(run.code, 0, "{}", run.output());
    server.wait_late();

    let patches: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 2, "the late one and the retry: {patches:#?}");
    assert_eq!(patches[1].status, 200, "the retry after re-reading landed");
    assert_eq!(
        patches[0].status, 400,
        "the late PATCH was refused by its version test, not applied again"
    );
    let ops = patches[0].body.as_ref().unwrap();
    assert_eq!(ops[0]["op"], "test");
    assert_eq!(ops[0]["path"], "/version");
    assert!(
        ops.as_array()
            .unwrap()
            .iter()
            .any(|o| o["op"] == "test" && o["path"].as_str().unwrap().ends_with("/name")),
        "{ops}"
    );
    let after = server
        .entity("table", "test_svc.default.default.deep")
        .unwrap();
    assert_eq!(before["version"], json!(0.1));
    assert_eq!(after["version"], json!(0.2), "one version bump");
    assert_eq!(tags_at(&after, &["email".to_string()]), ["PII.Sensitive"]);
}

/// The table's one tag PATCH is refused for good (an injected 400): dynameta tags its
/// columns one at a time instead of leaving them all untagged, and says so.
#[test]
fn a_refused_table_patch_falls_back_to_one_patch_per_column() {
    let key = unique_access_key("rest-fallback");
    seed_deep(&key, false);
    let dir = tempfile::tempdir().unwrap();
    let ddb = &dynamodb_local().endpoint;
    let server = ContractServer::start("2.0.7", None);
    let ingest = ingest_json(
        dir.path(),
        "ingest.yaml",
        &rest_workflow(ddb, &key, &server, "", ""),
    );
    assert_eq!(ingest.code, 0, "{}", ingest.output());
    server.inject(Fault {
        method: "PATCH".into(),
        path_prefix: "/api/v1/tables/".into(),
        kind: FaultKind::Status {
            code: 400,
            retry_after: None,
        },
        times: Some(1),
        probability: 1.0,
    });
    let run = classify_rest(dir.path(), "classify.yaml", ddb, &key, &server);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.output().contains("tagging them one column at a time"),
        "{}",
        run.output()
    );
    let table = server
        .entity("table", "test_svc.default.default.deep")
        .unwrap();
    let level_19: Vec<String> = (0..=17)
        .map(|d| format!("l{d}"))
        .chain(["email".to_string()])
        .collect();
    assert_eq!(tags_at(&table, &["email".to_string()]), ["PII.Sensitive"]);
    assert_eq!(tags_at(&table, &level_19), ["PII.Sensitive"]);
    let patches: Vec<u16> = server
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.status)
        .collect();
    assert_eq!(
        patches,
        [400, 200, 200],
        "the table's PATCH, then one per column"
    );
}
