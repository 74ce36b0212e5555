//! `dynameta publish --from FILE` into every sink, through the one finish path of every
//! run: the local catalog (then `dynameta show` reads it), a file, and never over its
//! own input.

use std::path::Path;

use dynameta_testkit::{dynamodb_local, unique_access_key};

use super::support::*;

/// `workflow(...)` with its file sink replaced by `sink` (YAML lines of `sink:`).
fn with_sink(yaml: &str, sink: &str) -> String {
    let (head, tail) = yaml.split_once("sink:\n").expect("sink section");
    let (_, rest) = tail
        .split_once("workflowConfig:\n")
        .expect("workflowConfig");
    format!("{head}sink:\n{sink}workflowConfig:\n{rest}")
}

/// A port nothing listens on: publishing needs no DynamoDB.
fn closed_endpoint() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

/// Ingests tables `names` of a fresh namespace into `dir/out.jsonl`.
fn ingested(dir: &Path, names: &[&str]) -> (String, std::path::PathBuf) {
    let key = unique_access_key("publish");
    create_tables(&key, names);
    let out = dir.join("out.jsonl");
    let wf = write(
        dir,
        "file.yaml",
        &workflow(&dynamodb_local().endpoint, &key, "", "", &out),
    );
    let run = dynameta(&["ingest", "-c", wf.to_str().unwrap(), "--quiet"], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    (key, out)
}

#[test]
fn publish_into_a_local_catalog_then_show_shows_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let (key, out) = ingested(dir.path(), &["people", "orders"]);
    let db = dir.path().join("catalog.db");
    let yaml = with_sink(
        &workflow(&closed_endpoint(), &key, "", "", Path::new("unused.jsonl")),
        &format!("  type: local\n  config:\n    path: {}\n", db.display()),
    );
    let wf = write(dir.path(), "local.yaml", &yaml);
    let run = dynameta(
        &[
            "publish",
            "--from",
            out.to_str().unwrap(),
            "-c",
            wf.to_str().unwrap(),
            "--quiet",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.stdout.contains("Processed:        2"),
        "{}",
        run.output()
    );
    let show = dynameta(&["show", "--catalog", db.to_str().unwrap(), "people"], &[]);
    assert_eq!(show.code, 0, "{}", show.output());
    assert!(show.stdout.contains("people"), "{}", show.stdout);
    // The dynamodbTable facts were published too: the key is known.
    assert!(show.stdout.contains("key:      id (S)"), "{}", show.stdout);
}

#[test]
fn publish_into_a_file_sink_writes_it_and_never_over_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let (key, out) = ingested(dir.path(), &["people"]);
    let copy = dir.path().join("copy.jsonl");
    let wf = write(
        dir.path(),
        "copy.yaml",
        &workflow(&closed_endpoint(), &key, "", "", &copy),
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
    let tables = table_names(&records(&copy));
    assert_eq!(tables, table_names(&records(&out)));

    // The file sink's output is the file being published: refused before anything.
    let before = std::fs::read(&out).unwrap();
    let wf = write(
        dir.path(),
        "same.yaml",
        &workflow(&closed_endpoint(), &key, "", "", &out),
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
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.output().contains("the file being published (--from)"),
        "{}",
        run.output()
    );
    assert_eq!(std::fs::read(&out).unwrap(), before);
}
