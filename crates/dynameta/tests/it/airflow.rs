//! The Airflow DAG example (examples/airflow/dynameta_dag.py), run once by Apache Airflow
//! itself (`airflow dags test`, SQLite) against DynamoDB Local and the contract server.
//!
//! Needs Apache Airflow, which `scripts/install-test-deps` installs into `.tools/airflow`
//! (pinned in scripts/requirements/airflow.txt; about a minute from PyPI, once); without it
//! the test fails, naming the fix: a check that could not run is not reported as passed.

use std::path::{Path, PathBuf};
use std::process::Command;

use dynameta_testkit::openmetadata_server::ContractServer;
use dynameta_testkit::{corpus, dynamodb_local, unique_access_key};

use super::support::*;

fn airflow_bin() -> PathBuf {
    let bin = std::env::var("DYNAMETA_AIRFLOW").unwrap_or_else(|_| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../.tools/airflow/bin/airflow")
            .display()
            .to_string()
    });
    let bin = PathBuf::from(bin);
    assert!(
        bin.exists(),
        "{} not found: run scripts/install-test-deps, which installs Apache Airflow into .tools/airflow",
        bin.display()
    );
    bin
}

#[test]
fn the_dag_ingests_then_profiles_and_classifies() {
    let key = unique_access_key("airflow");
    let endpoint = dynamodb_local().endpoint.clone();
    {
        let (endpoint, key) = (endpoint.clone(), key.clone());
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
                corpus::seed(&client, 0).await;
            })
        })
        .join()
        .unwrap();
    }
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let home = tempfile::tempdir().unwrap();
    let workflows = home.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    for (file, pipeline) in [
        ("ingest.yaml", "DatabaseMetadata"),
        ("profile.yaml", "Profiler"),
        ("classify.yaml", "AutoClassification"),
    ] {
        let yaml = WorkflowBuilder::new(&endpoint, &key)
            .pipeline(pipeline)
            .rest_sink(&format!("{}/api", server.endpoint()))
            .yaml();
        write(&workflows, file, &yaml);
    }
    let dags = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/airflow");
    let airflow = |args: &[&str]| {
        let out = Command::new(airflow_bin())
            .args(args)
            .env("AIRFLOW_HOME", home.path())
            .env("AIRFLOW__CORE__DAGS_FOLDER", &dags)
            .env("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
            .env(
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
                format!("sqlite:///{}/airflow.db", home.path().display()),
            )
            .env("DYNAMETA_WORKFLOWS_DIR", &workflows)
            .env("DYNAMETA_BIN", env!("CARGO_BIN_EXE_dynameta"))
            .output()
            .expect("run airflow");
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let (code, text) = airflow(&["db", "migrate"]);
    assert_eq!(code, Some(0), "airflow db migrate:\n{text}");
    let (code, text) = airflow(&["dags", "test", "dynameta_dynamodb", "2025-01-02"]);
    assert_eq!(code, Some(0), "airflow dags test:\n{text}");
    assert_no_secrets(&text, "Airflow's task logs");
    for task in ["metadata", "profile", "classify"] {
        let done = format!("Marking task as SUCCESS. dag_id=dynameta_dynamodb, task_id={task},");
        assert!(text.contains(&done), "task {task} did not succeed:\n{text}");
    }
    assert!(
        text.contains("DagRun Finished: dag_id=dynameta_dynamodb")
            && !text.contains("state=failed"),
        "{text}"
    );

    // What the three tasks published, in the DAG's order: tables, then their profiles
    // and PII tags.
    let tables = server.entities("table");
    assert_eq!(tables.len(), 5, "{tables:?}");
    let requests = server.requests();
    let first = |pred: &dyn Fn(&str, &str) -> bool| {
        requests
            .iter()
            .position(|r| pred(&r.method, &r.path))
            .unwrap_or_else(|| panic!("no such request"))
    };
    let tables_put = first(&|m, p| m == "PUT" && p == "/api/v1/tables/bulk");
    let profile_put = first(&|m, p| m == "PUT" && p.ends_with("/tableProfile"));
    let tags_patch = first(&|m, p| m == "PATCH" && p.starts_with("/api/v1/tables/"));
    assert!(tables_put < profile_put && tables_put < tags_patch);
    let profiles = requests
        .iter()
        .filter(|r| r.method == "PUT" && r.path.ends_with("/tableProfile") && r.status == 200)
        .count();
    assert_eq!(profiles, 5, "one profile per table");
}
