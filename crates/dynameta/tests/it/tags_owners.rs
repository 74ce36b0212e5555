//! AWS tags as OpenMetadata tags and owners (issue 24), against moto (DynamoDB Local
//! has no tagging) and the OpenMetadata contract server.

use std::path::Path;

use aws_sdk_dynamodb::types::{ScalarAttributeType, Tag};
use dynameta_testkit::openmetadata_server::ContractServer;
use dynameta_testkit::{corpus, moto, om_oracle_script, om_python, unique_access_key};
use serde_json::{json, Value};

use super::support::*;

/// Creates `name` on moto with `tags`; returns its ARN.
fn tagged_table(name: &str, tags: &[(&str, &str)]) -> String {
    let endpoint = moto().endpoint.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = dynameta_testkit::client(&endpoint, "AKIDMOTO", "us-east-1").await;
        corpus::create_table(&client, name, ("id", ScalarAttributeType::S), None).await;
        let arn = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .unwrap()
            .table
            .unwrap()
            .table_arn
            .unwrap();
        if !tags.is_empty() {
            let mut req = client.tag_resource().resource_arn(&arn);
            for (k, v) in tags {
                req = req.tags(Tag::builder().key(*k).value(*v).build().unwrap());
            }
            req.send().await.unwrap();
        }
        arn
    })
}

/// Removes the tag `remove` from and adds `add` to the table `arn`.
fn retag(arn: &str, remove: &[&str], add: &[(&str, &str)]) {
    let endpoint = moto().endpoint.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = dynameta_testkit::client(&endpoint, "AKIDMOTO", "us-east-1").await;
        let mut untag = client.untag_resource().resource_arn(arn);
        for k in remove {
            untag = untag.tag_keys(*k);
        }
        untag.send().await.unwrap();
        if !add.is_empty() {
            let mut req = client.tag_resource().resource_arn(arn);
            for (k, v) in add {
                req = req.tags(Tag::builder().key(*k).value(*v).build().unwrap());
            }
            req.send().await.unwrap();
        }
    });
}

/// An ingest workflow for moto's tables `tables` into `server`.
fn tag_workflow(server: &ContractServer, tables: &[&str], arguments: &str, source: &str) -> String {
    let filter = tables
        .iter()
        .map(|t| format!("\"^{t}$\""))
        .collect::<Vec<_>>()
        .join(", ");
    let yaml = workflow(
        &moto().endpoint,
        &unique_access_key("moto"),
        arguments,
        &format!("      tableFilterPattern:\n        includes: [{filter}]\n{source}"),
        Path::new("unused.jsonl"),
    );
    to_rest(&yaml, &server.endpoint())
}

fn ingest(dir: &Path, yaml: &str) -> Run {
    let wf = write(dir, "wf.yaml", yaml);
    dynameta(&["ingest", "-c", wf.to_str().unwrap()], &[])
}

fn table(server: &ContractServer, name: &str) -> Value {
    server
        .entity("table", &format!("test_svc.default.default.{name}"))
        .unwrap_or_else(|| panic!("{name} published"))
}

fn tag_fqns(table: &Value) -> Vec<String> {
    table["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["tagFQN"].as_str().unwrap().to_string())
        .collect()
}

fn owner(table: &Value) -> (String, String) {
    let o = &table["owners"][0];
    (
        o["type"].as_str().unwrap_or_default().to_string(),
        o["name"].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn aws_tags_become_tags_and_owners_and_a_persons_edits_survive() {
    let pid = std::process::id();
    let (orders, users, lost) = (
        format!("tg_orders_{pid}"),
        format!("tg_users_{pid}"),
        format!("tg_lost_{pid}"),
    );
    let orders_arn = tagged_table(
        &orders,
        &[
            ("team", "payments"),
            ("cost.center", "cc-1"),
            ("aws:cloudformation:stack-name", "stack"),
            ("owner", "ann@example.com"),
            ("bad::key", "x"),
        ],
    );
    tagged_table(&users, &[("team", "identity"), ("owner", "payments")]);
    tagged_table(&lost, &[("owner", "nobody@example.com")]);
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    server.add_user("ann", "ann@example.com");
    server.add_team("payments", "Group");
    let dir = tempfile::tempdir().unwrap();
    let yaml = tag_workflow(
        &server,
        &[&orders, &users, &lost],
        "        ownerTagKey: owner",
        "",
    );
    let run = ingest(dir.path(), &yaml);
    assert_eq!(run.code, 0, "{}", run.output());

    // Classifications and tags, with descriptions, created before the labels.
    let class = server
        .classification("\"cost.center\"")
        .expect("dotted key quoted");
    assert!(class["description"]
        .as_str()
        .unwrap()
        .contains("Managed by dynameta"));
    assert!(server.tag("team.payments").is_some() && server.tag("team.identity").is_some());
    assert!(server
        .classification("aws:cloudformation:stack-name")
        .is_none());
    assert!(
        server.classification("owner").is_none(),
        "the owner tag is no classification"
    );
    let t = table(&server, &orders);
    assert_eq!(tag_fqns(&t), ["\"cost.center\".cc-1", "team.payments"]);
    assert_eq!(t["tags"][0]["labelType"], "Automated");
    assert_eq!(t["tags"][0]["state"], "Suggested");
    // Owners: a user by e-mail (the search route), a team (Group) by name.
    assert_eq!(owner(&t), ("user".into(), "ann".into()));
    assert_eq!(
        owner(&table(&server, &users)),
        ("team".into(), "payments".into())
    );
    let searched = server
        .requests()
        .iter()
        .any(|r| r.path == "/api/v1/search/query" && r.query.contains("user_search_index"));
    assert!(
        searched,
        "the e-mail is looked up with OpenMetadata's search"
    );
    // Unresolvable owner: warned, naming table, tag and value; the table is published.
    let l = table(&server, &lost);
    assert!(l["owners"].as_array().is_none_or(Vec::is_empty), "{l}");
    let out = run.output();
    assert!(
        out.contains(&lost) && out.contains("AWS tag owner = nobody@example.com"),
        "{out}"
    );
    // A key OpenMetadata refuses is reported, not a refused table.
    assert!(out.contains("`bad::key`") && out.contains("::"), "{out}");
    assert!(
        out.contains("AWS tags:         3 labels added, 0 removed; 2 owners set"),
        "{out}"
    );
    openmetadata_accepts_the_bodies_and_reads_back(&server, dir.path(), &[&orders, &users]);

    // A person adds Tier.Tier1 and their own label of a dynameta classification.
    server.edit_as_user("table", &format!("test_svc.default.default.{orders}"), |t| {
        let tags = t["tags"].as_array_mut().unwrap();
        tags.push(json!({"tagFQN": "Tier.Tier1", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}));
        tags.push(json!({"tagFQN": "team.identity", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}));
    });
    // AWS: `team` removed, `env` added.
    retag(&orders_arn, &["team"], &[("env", "prod")]);
    let run = ingest(dir.path(), &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let t = table(&server, &orders);
    assert_eq!(
        tag_fqns(&t),
        [
            "\"cost.center\".cc-1",
            "Tier.Tier1",
            "env.prod",
            "team.identity"
        ],
        "team.payments (ours, gone from AWS) removed; the person's labels stay"
    );
    assert_eq!(owner(&t), ("user".into(), "ann".into()));
    assert!(
        run.output()
            .contains("1 labels added, 1 removed; 0 owners set"),
        "{}",
        run.output()
    );

    // A third run changes nothing.
    let before = table(&server, &orders)["version"].clone();
    let run = ingest(dir.path(), &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(table(&server, &orders)["version"], before);

    // includeTags: false: the tags are neither read nor touched (an AWS tag removed now
    // keeps its label).
    retag(&orders_arn, &["env"], &[]);
    let off = yaml.replace(
        "      type: DatabaseMetadata\n",
        "      type: DatabaseMetadata\n      includeTags: false\n",
    );
    assert_ne!(off, yaml);
    let run = ingest(dir.path(), &off);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(tag_fqns(&table(&server, &orders)).contains(&"env.prod".to_string()));
    assert!(!run.output().contains("AWS tags:"), "{}", run.output());
}

#[test]
fn owner_config_default_and_table_map() {
    let pid = std::process::id();
    let (a, b) = (format!("oc_a_{pid}"), format!("oc_b_{pid}"));
    tagged_table(&a, &[("owner", "ann@example.com")]);
    tagged_table(&b, &[]);
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    server.add_user("ann", "ann@example.com");
    server.add_user("bob", "bob@example.com");
    server.add_team("platform", "Group");
    server.add_team("engineering", "Department");
    let dir = tempfile::tempdir().unwrap();
    let source = format!(
        "      ownerConfig:\n        default: platform\n        table:\n          {b}: bob\n"
    );
    let yaml = tag_workflow(&server, &[&a, &b], "", &source);
    let run = ingest(dir.path(), &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        owner(&table(&server, &a)),
        ("team".into(), "platform".into())
    );
    assert_eq!(owner(&table(&server, &b)), ("user".into(), "bob".into()));
    // A person's owner stays; overrideMetadata replaces it.
    let fqn = format!("test_svc.default.default.{a}");
    let source = format!(
        "      ownerConfig:\n        default: engineering\n        table:\n          {a}: [ann, bob]\n"
    );
    let yaml = tag_workflow(&server, &[&a], "", &source);
    let run = ingest(dir.path(), &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        owner(&server.entity("table", &fqn).unwrap()),
        ("team".into(), "platform".into()),
        "an owner already there is kept without overrideMetadata"
    );
    let yaml = yaml.replace(
        "      ownerConfig:",
        "      overrideMetadata: true\n      ownerConfig:",
    );
    let run = ingest(dir.path(), &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let t = server.entity("table", &fqn).unwrap();
    let names: Vec<&str> = t["owners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ann", "bob"], "several users may own a table");
}

/// `publish --from` an ingest output sets owners as the direct run does: the replayed
/// `dynamodbTable` records reach the OpenMetadata sink as typed records, and it resolves
/// each table's owner from them and the publishing workflow's `ownerConfig` and owner
/// tag. (Before, a replayed line was raw JSON the sink skipped: no owner was set.)
#[test]
fn publish_of_an_ingest_output_sets_owners_as_ingest_does() {
    let pid = std::process::id();
    let (a, b) = (format!("pub_own_a_{pid}"), format!("pub_own_b_{pid}"));
    tagged_table(&a, &[("owner", "ann@example.com")]);
    tagged_table(&b, &[]);
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    server.add_user("ann", "ann@example.com");
    server.add_team("platform", "Group");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let source = format!(
        "      tableFilterPattern:\n        includes: [\"^{a}$\", \"^{b}$\"]\n      ownerConfig:\n        default: platform\n"
    );
    let key = unique_access_key("moto");
    let file_yaml = workflow(&moto().endpoint, &key, "", &source, &out);
    let run = ingest(dir.path(), &file_yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let rest_yaml = workflow(
        &moto().endpoint,
        &key,
        "",
        &source,
        Path::new("unused.jsonl"),
    );
    let rest = write(
        dir.path(),
        "rest.yaml",
        &to_rest(&rest_yaml, &server.endpoint()),
    );
    let run = dynameta(
        &[
            "publish",
            "--from",
            out.to_str().unwrap(),
            "-c",
            rest.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    // ownerConfig's default for both (the owner tag counts only with `ownerTagKey`), as
    // `owner_config_default_and_table_map` finds for ingest.
    assert_eq!(
        owner(&table(&server, &b)),
        ("team".into(), "platform".into())
    );
    assert_eq!(
        owner(&table(&server, &a)),
        ("team".into(), "platform".into())
    );
}

/// OpenMetadata's own package (2.0.7) as the second oracle: its models accept every
/// classification and tag body dynameta sent, its client reads the tables back with
/// their tags and owners.
fn openmetadata_accepts_the_bodies_and_reads_back(
    server: &ContractServer,
    dir: &Path,
    tables: &[&str],
) {
    let oracle = |args: &[&str]| {
        let out = std::process::Command::new(om_python())
            .arg(om_oracle_script())
            .args(args)
            .output()
            .expect("run om_oracle.py with the OpenMetadata venv's python");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let mut lines = String::new();
    for r in server.requests() {
        let kind = match (r.method.as_str(), r.path.as_str()) {
            ("PUT", "/api/v1/classifications") => "createClassification",
            ("PUT", "/api/v1/tags") => "createTag",
            _ => continue,
        };
        lines.push_str(&json!({"kind": kind, "payload": r.body}).to_string());
        lines.push('\n');
    }
    assert!(lines.lines().count() >= 4, "{lines}");
    let bodies = write(dir, "bodies.jsonl", &lines);
    let (code, out, err) = oracle(&["validate", bodies.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}\n{err}");
    let base = format!("{}/api", server.endpoint());
    let mut args = vec![
        "readback".to_string(),
        "--server".into(),
        base,
        "--token".into(),
        JWT_MARKER.into(),
        "--expect-table-tags".into(),
        "--expect-owners".into(),
    ];
    for t in tables {
        args.push("--table".into());
        args.push(format!("test_svc.default.default.{t}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = oracle(&args);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("team.payments") && out.contains("\"ann\""),
        "{out}"
    );
}

/// An ingest workflow for moto's tables `tables` into the local catalog `db`.
fn local_tag_workflow(db: &Path, tables: &[&str], arguments: &str, source: &str) -> String {
    let filter = tables
        .iter()
        .map(|t| format!("\"^{t}$\""))
        .collect::<Vec<_>>()
        .join(", ");
    WorkflowBuilder::new(&moto().endpoint, &unique_access_key("moto"))
        .connection_lines(arguments)
        .source_lines(&format!(
            "      tableFilterPattern:\n        includes: [{filter}]\n{source}"
        ))
        .local_sink(db)
        .yaml()
}

/// Without a server the owner is declared, not resolved: the local catalog keeps the
/// owner tag's value with its source, `diff` names its change and `show` prints it.
#[test]
fn a_changed_owner_tag_is_named_by_diff_and_shown_from_the_local_catalog() {
    let name = format!("tg_local_owner_{}", std::process::id());
    let arn = tagged_table(&name, &[("owner", "alice@example.com")]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let yaml = local_tag_workflow(&db, &[&name], "        ownerTagKey: owner", "");
    let run = ingest(dir.path(), &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    retag(&arn, &["owner"], &[("owner", "team-data")]);
    let run = ingest(dir.path(), &yaml);
    assert_eq!(run.code, 0, "{}", run.output());

    let diff = dynameta(&["diff", "--catalog", db.to_str().unwrap()], &[]);
    assert_eq!(diff.code, 1, "changes found: {}", diff.output());
    assert!(
        diff.stdout
            .contains("~ owner: alice@example.com (AWS tag owner) -> team-data (AWS tag owner)"),
        "{}",
        diff.stdout
    );
    let show = dynameta(&["show", "--catalog", db.to_str().unwrap(), &name], &[]);
    assert_eq!(show.code, 0, "{}", show.output());
    assert!(
        show.stdout.contains("owner:    team-data (AWS tag owner)"),
        "{}",
        show.stdout
    );
}

/// `ownerConfig.default` with `sink: local`: the table's owner is the default, named
/// with where it came from.
#[test]
fn owner_config_default_is_the_declared_owner_in_the_local_catalog() {
    let name = format!("tg_local_default_{}", std::process::id());
    tagged_table(&name, &[]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let yaml = local_tag_workflow(
        &db,
        &[&name],
        "",
        "      ownerConfig:\n        default: platform\n",
    );
    let run = ingest(dir.path(), &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    let show = dynameta(&["show", "--catalog", db.to_str().unwrap(), &name], &[]);
    assert_eq!(show.code, 0, "{}", show.output());
    assert!(
        show.stdout
            .contains("owner:    platform (ownerConfig.default)"),
        "{}",
        show.stdout
    );
}
