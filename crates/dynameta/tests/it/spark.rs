//! The Spark example (examples/spark/profile_parts.py), run by PySpark in local mode: one
//! `dynameta profile --part I/N` per Spark task, the states collected on the driver and
//! merged there — the published profile equals what one `dynameta profile` run gives.
//!
//! Needs PySpark, which `scripts/install-test-deps` installs into `.tools/spark` (pinned
//! in scripts/requirements/spark.txt); without it the test fails, naming the fix: a check
//! that could not run is not reported as passed.

use std::path::{Path, PathBuf};
use std::process::Command;

use dynameta_testkit::{dynamodb_local, unique_access_key};
use serde_json::Value;

use super::profile::{profile_workflow, seed_known};
use super::profile_parts::exact_part;
use super::support::*;

/// The python of the venv holding PySpark: `DYNAMETA_SPARK_PYTHON`, else `.tools/spark`.
fn spark_python() -> PathBuf {
    let python = PathBuf::from(std::env::var("DYNAMETA_SPARK_PYTHON").unwrap_or_else(|_| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../.tools/spark/bin/python")
            .display()
            .to_string()
    }));
    assert!(
        python.exists(),
        "{} not found: run scripts/install-test-deps, which installs PySpark into .tools/spark",
        python.display()
    );
    python
}

fn profile_record(path: &Path) -> Value {
    records(path)
        .into_iter()
        .find(|r| r["kind"] == "createTableProfile")
        .unwrap_or_else(|| panic!("no createTableProfile record in {}", path.display()))
}

#[test]
fn spark_tasks_profile_parts_and_the_driver_merges_them_into_one_scans_profile() {
    let key = unique_access_key("spark");
    seed_known(&key, "sparked", 2000);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = &dynamodb_local().endpoint;

    let single_out = dir.path().join("single.jsonl");
    let single = write(
        dir.path(),
        "single.yaml",
        &profile_workflow(endpoint, &key, "", "", &single_out),
    );
    let run = dynameta(&["profile", "-c", single.to_str().unwrap(), "-q"], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    let one_scan = profile_record(&single_out);

    let spark_out = dir.path().join("spark.jsonl");
    let wf = write(
        dir.path(),
        "spark.yaml",
        &profile_workflow(endpoint, &key, "", "", &spark_out),
    );
    let python = spark_python();
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/spark/profile_parts.py");
    let out = Command::new(&python)
        .arg(&example)
        .arg(&wf)
        .arg("3")
        .arg(env!("CARGO_BIN_EXE_dynameta"))
        // Executors run the same python (it has pyspark); loopback only, no web UI (its
        // port could collide with a parallel test's), Spark's own temp files in ours.
        .env("PYSPARK_PYTHON", &python)
        .env("PYSPARK_DRIVER_PYTHON", &python)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env("SPARK_LOCAL_DIRS", dir.path())
        .env(
            "PYSPARK_SUBMIT_ARGS",
            "--master local[2] --conf spark.ui.enabled=false --conf spark.driver.host=127.0.0.1 pyspark-shell",
        )
        .current_dir(dir.path())
        .output()
        .expect("run examples/spark/profile_parts.py with the Spark venv's python");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "the Spark job failed:\n{text}");
    assert_no_secrets(&text, "the Spark job's output");

    let merged = profile_record(&spark_out);
    assert_eq!(
        exact_part(&merged),
        exact_part(&one_scan),
        "the Spark parts merged differ from one scan"
    );
    assert_eq!(merged["payload"]["tableProfile"]["rowCount"], 2000.0);
    assert_eq!(merged["dynamodb"]["itemsRead"], 2000);
}
