//! OpenMetadata's own Python package (`openmetadata-ingestion` 2.0.7) as a second oracle,
//! independent of the contract server: its pydantic models (which forbid unknown fields)
//! must accept every payload dynameta writes, and its REST client must read back what
//! dynameta published — with the negative controls that show both checks can fail.

use std::path::Path;
use std::process::Command;

use dynameta_testkit::openmetadata_server::ContractServer;
use dynameta_testkit::{corpus, dynamodb_local, om_oracle_script, om_python, unique_access_key};
use serde_json::{json, Value};

use super::support::*;

/// Runs `om_oracle.py ARGS`; returns (exit code, stdout JSON, stderr).
fn oracle(args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(om_python())
        .arg(om_oracle_script())
        .args(args)
        .output()
        .expect("run om_oracle.py with the OpenMetadata venv's python");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json, stderr)
}

/// The corpus (no filler) in a namespace of its own.
fn seed(key: &str) {
    let endpoint = dynamodb_local().endpoint.clone();
    let key = key.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
            corpus::seed(&client, 3).await;
        })
    })
    .join()
    .unwrap();
}

fn run(dir: &Path, command: &str, name: &str, yaml: &str) -> Run {
    let wf = write(dir, name, yaml);
    dynameta(
        &[command, "-c", wf.to_str().unwrap(), "--log-format", "json"],
        &[],
    )
}

#[test]
fn openmetadata_models_accept_every_payload_and_refuse_a_broken_one() {
    let key = unique_access_key("oracle-models");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = &dynamodb_local().endpoint;
    let outputs: Vec<_> = [
        ("ingest", "DatabaseMetadata", ""),
        ("profile", "Profiler", ""),
        (
            "classify",
            "AutoClassification",
            "      storeSampleData: true\n",
        ),
    ]
    .iter()
    .map(|(command, pipeline, extra)| {
        let out = dir.path().join(format!("{command}.jsonl"));
        let yaml = WorkflowBuilder::new(endpoint, &key)
            .pipeline(pipeline)
            .source_lines(extra)
            .file_sink(&out)
            .yaml();
        let r = run(dir.path(), command, &format!("{command}.yaml"), &yaml);
        assert_eq!(r.code, 0, "{command}: {}", r.output());
        out
    })
    .collect();
    let files: Vec<&str> = outputs.iter().map(|p| p.to_str().unwrap()).collect();
    let mut args = vec!["validate"];
    args.extend(&files);
    let (code, summary, stderr) = oracle(&args);
    assert_eq!(
        code, 0,
        "OpenMetadata's models refuse a payload:\n{stderr}\n{summary}"
    );
    // Every kind was parsed, for every table of the corpus (5 + 3 filler).
    let counts = &summary["counts"];
    for (kind, at_least) in [
        ("createDatabaseService", 1),
        ("createTable", 8),
        ("createTableProfile", 8),
        ("columnTags", 1),
        ("sampleData", 8),
    ] {
        let n = counts[kind].as_u64().unwrap_or(0);
        assert!(n >= at_least, "{kind}: {n} parsed in {summary}");
    }

    // Negative control: the same oracle refuses a payload that breaks a model.
    let table = records(&outputs[0])
        .into_iter()
        .find(|r| r["kind"] == "createTable")
        .unwrap();
    for (what, broken) in [
        ("unknown data type", {
            let mut t = table.clone();
            t["payload"]["columns"][0]["dataType"] = json!("NOT_A_TYPE");
            t
        }),
        ("unknown field", {
            let mut t = table.clone();
            t["payload"]["columns"][0]["notAField"] = json!(1);
            t
        }),
    ] {
        let bad = dir.path().join("bad.jsonl");
        std::fs::write(&bad, format!("{broken}\n")).unwrap();
        let (code, _, stderr) = oracle(&["validate", bad.to_str().unwrap()]);
        assert_eq!(code, 1, "{what} was accepted: {stderr}");
        assert!(stderr.contains("bad.jsonl:1"), "{what}: {stderr}");
    }
    let (code, _, stderr) = oracle(&["selftest"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn openmetadata_client_reads_back_what_was_published() {
    let key = unique_access_key("oracle-client");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = &dynamodb_local().endpoint;
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let api = format!("{}/api", server.endpoint());
    for (command, pipeline, extra) in [
        ("ingest", "DatabaseMetadata", ""),
        ("profile", "Profiler", ""),
        (
            "classify",
            "AutoClassification",
            "      storeSampleData: true\n",
        ),
    ] {
        let yaml = WorkflowBuilder::new(endpoint, &key)
            .pipeline(pipeline)
            .source_lines(extra)
            .rest_sink(&api)
            .yaml();
        let r = run(dir.path(), command, &format!("{command}.yaml"), &yaml);
        assert_eq!(r.code, 0, "{command}: {}", r.output());
        let s = summary(&r);
        assert_eq!(s["failures"], json!([]), "{command}: {s}");
    }
    let tables: Vec<String> = server
        .entities("table")
        .iter()
        .map(|t| t["fullyQualifiedName"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(tables.len(), 8, "{tables:?}");
    let base = format!("{}/api", server.endpoint());
    let readback = |tables: &[&str], expect: &[&str]| {
        let mut args = vec!["readback", "--server", &base, "--token", JWT_MARKER];
        args.extend_from_slice(expect);
        for t in tables {
            args.extend(["--table", *t]);
        }
        oracle(&args)
    };
    let all: Vec<&str> = tables.iter().map(String::as_str).collect();
    let (code, summary, stderr) = readback(&all, &["--expect-profile"]);
    assert_eq!(code, 0, "OpenMetadata's client: {stderr}\n{summary}");
    // Sample data and tags where classify found something to store and tag.
    let (code, summary, stderr) = readback(
        &["test_svc.default.default.users"],
        &["--expect-profile", "--expect-sample-data", "--expect-tags"],
    );
    assert_eq!(code, 0, "{stderr}\n{summary}");
    // The client decodes OpenMetadata's reserved-keyword names back to the attributes.
    let (code, summary, stderr) = readback(&["test_svc.default.default.shapes"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let text = summary.to_string();
    for original in ["a::b", "line\\nbreak", "say \\\"hi\\\""] {
        assert!(text.contains(original), "{original} not in {text}");
    }

    // Negative control: a table the server does not have fails the read-back.
    let (code, _, stderr) = readback(&["test_svc.default.default.no_such_table"], &[]);
    assert_eq!(code, 1, "{stderr}");
}
