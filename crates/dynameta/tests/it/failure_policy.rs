//! `workflowConfig.raiseOnError` and `successThreshold` decide whether failed tables
//! fail the run, as in OpenMetadata; the listing and the sink never are tolerated.

use dynameta_testkit::fault_proxy::{Fault, FaultProxy};
use dynameta_testkit::{dynamodb_local, unique_access_key};

use super::support::*;

/// Ten tables, DescribeTable of `tbl_3` always refused: 9 of 10 processed (90 %).
/// `workflow_config`: `workflowConfig` keys and values.
fn ingest_with_one_failure(workflow_config: &[(&str, &str)]) -> (Run, tempfile::TempDir) {
    let key = unique_access_key("policy");
    let names: Vec<String> = (0..10).map(|i| format!("tbl_{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    create_tables(&key, &refs);
    let proxy = FaultProxy::start(
        &dynamodb_local().endpoint,
        vec![Fault {
            operation: "DescribeTable".into(),
            table: "tbl_3".into(),
            status: 400,
            code: "AccessDeniedException".into(),
        }],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    std::fs::write(&out, "previous\n").unwrap();
    let mut builder = WorkflowBuilder::new(&proxy.endpoint, &key).file_sink(&out);
    for &(k, v) in workflow_config {
        builder = builder.workflow_config(k, v);
    }
    let yaml = builder.yaml();
    let wf = write(dir.path(), "wf.yaml", &yaml);
    let run = dynameta(&["ingest", "-c", wf.to_str().unwrap(), "--quiet"], &[]);
    drop(proxy);
    (run, dir)
}

#[test]
fn without_a_threshold_any_failed_table_fails_the_run_and_keeps_the_output() {
    let (run, dir) = ingest_with_one_failure(&[]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(run.stdout.contains("FAILED tbl_3"), "{}", run.output());
    let previous = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
    assert_eq!(previous, "previous\n");
}

#[test]
fn a_success_threshold_met_ends_0_writes_the_output_and_says_partial_success() {
    let (run, dir) = ingest_with_one_failure(&[("successThreshold", "90")]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(run.stdout.contains("FAILED tbl_3"), "{}", run.output());
    assert!(
        run.stdout.contains("partial success: 90% processed"),
        "{}",
        run.output()
    );
    let written = records(&dir.path().join("out.jsonl"));
    assert_eq!(table_names(&written).len(), 9, "{written:?}");
}

#[test]
fn a_success_threshold_missed_fails_the_run_naming_the_share() {
    let (run, _dir) = ingest_with_one_failure(&[("successThreshold", "95")]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        run.stdout
            .contains("90% processed, below workflowConfig.successThreshold (95%)"),
        "{}",
        run.output()
    );
}

#[test]
fn raise_on_error_false_ends_0_and_still_lists_the_failure() {
    let (run, _dir) = ingest_with_one_failure(&[("raiseOnError", "false")]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(run.stdout.contains("FAILED tbl_3"), "{}", run.output());
    assert!(
        run.stdout.contains("raiseOnError is false"),
        "{}",
        run.output()
    );
}

#[test]
fn a_failed_listing_is_never_tolerated() {
    let key = unique_access_key("policy-list");
    let proxy = FaultProxy::start(
        &dynamodb_local().endpoint,
        vec![Fault {
            operation: "ListTables".into(),
            table: String::new(),
            status: 400,
            code: "AccessDeniedException".into(),
        }],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let yaml = WorkflowBuilder::new(&proxy.endpoint, &key)
        .file_sink(&out)
        .workflow_config("raiseOnError", "false")
        .workflow_config("successThreshold", "0")
        .yaml();
    let wf = write(dir.path(), "wf.yaml", &yaml);
    let run = dynameta(&["ingest", "-c", wf.to_str().unwrap(), "--quiet"], &[]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(!out.exists());
}
