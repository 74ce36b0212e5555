//! Runs that find or select nothing say so (exit 3, previous output kept, no deletions
//! from an empty listing), and mass soft-deletion needs an explicit opt-in.

use std::path::Path;

use dynameta_testkit::openmetadata_server::ContractServer;
use dynameta_testkit::{dynamodb_local, unique_access_key};

use super::support::*;

fn run_with(dir: &Path, command: &str, yaml: &str, extra: &[&str]) -> Run {
    let wf = write(dir, &format!("{command}.yaml"), yaml);
    let mut args = vec![command, "-c", wf.to_str().unwrap(), "--log-format", "json"];
    args.extend_from_slice(extra);
    dynameta(&args, &[])
}

/// The pipeline `command` runs.
fn pipeline(command: &str) -> &'static str {
    match command {
        "profile" => "Profiler",
        "classify" => "AutoClassification",
        _ => "DatabaseMetadata",
    }
}

#[test]
fn a_wrong_region_or_a_filter_that_selects_nothing_exits_3_and_keeps_the_output() {
    let key = unique_access_key("empty-runs");
    create_tables(&key, &["orders", "users"]);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = &dynamodb_local().endpoint;
    for command in ["ingest", "profile", "classify"] {
        let out = dir.path().join(format!("{command}.jsonl"));
        let good = WorkflowBuilder::new(endpoint, &key)
            .pipeline(pipeline(command))
            .file_sink(&out);
        let run = run_with(dir.path(), command, &good.yaml(), &[]);
        assert_eq!(run.code, 0, "{command}: {}", run.output());
        let before = std::fs::read(&out).unwrap();

        // DynamoDB Local keeps tables per region: eu-west-3 has none.
        let wrong_region = good.clone().region("eu-west-3").yaml();
        let run = run_with(dir.path(), command, &wrong_region, &[]);
        assert_eq!(run.code, 3, "{command}: {}", run.output());
        let warnings = summary(&run)["warnings"].to_string();
        assert!(
            warnings.contains("DynamoDB listed no table in region eu-west-3")
                && warnings.contains("--allow-empty"),
            "{command}: {warnings}"
        );
        // Nothing failed: the run found nothing to write, and says that.
        assert!(
            warnings.contains("left as it was because the run found no table to write")
                && !warnings.contains("because the run failed"),
            "{command}: {warnings}"
        );
        assert_eq!(
            std::fs::read(&out).unwrap(),
            before,
            "{command}: output kept"
        );

        let no_match = good
            .clone()
            .source_lines("      tableFilterPattern:\n        includes: [\"nothing_matches\"]\n")
            .yaml();
        let run = run_with(dir.path(), command, &no_match, &[]);
        assert_eq!(run.code, 3, "{command}: {}", run.output());
        let warnings = summary(&run)["warnings"].to_string();
        assert!(
            warnings.contains("the filters selected none of the 2 tables")
                && warnings.contains("orders"),
            "{command}: {warnings}"
        );
        assert_eq!(
            std::fs::read(&out).unwrap(),
            before,
            "{command}: output kept"
        );

        // Opted in: a success that writes its empty output, with the warning.
        let run = run_with(dir.path(), command, &no_match, &["--allow-empty"]);
        assert_eq!(run.code, 0, "{command}: {}", run.output());
        assert_eq!(summary(&run)["warnings"].as_array().unwrap().len(), 1);
        assert_ne!(std::fs::read(&out).unwrap(), before, "{command}");
    }
}

#[test]
fn an_empty_listing_never_deletes_and_mass_deletion_needs_opt_in() {
    let key = unique_access_key("mass-delete");
    let names = ["tt1", "tt2", "tt3", "tt4", "tt5", "tt6"];
    create_tables(&key, &names);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = &dynamodb_local().endpoint;
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let good = WorkflowBuilder::new(endpoint, &key).rest_sink(&server.endpoint());
    let run = run_with(dir.path(), "ingest", &good.yaml(), &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    let live = || {
        server
            .entities("table")
            .iter()
            .filter(|t| t["deleted"] != true)
            .count()
    };
    assert_eq!(live(), 6);
    let delete_stale = || {
        server
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/deleteStale"))
            .count()
    };

    // A wrong region lists nothing: even with --allow-empty, nothing is deleted.
    let wrong_region = good.clone().region("eu-west-3").yaml();
    let run = run_with(dir.path(), "ingest", &wrong_region, &["--allow-empty"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(summary(&run)["warnings"]
        .to_string()
        .contains("no table of test_svc.default.default is marked deleted on an empty listing"));
    assert_eq!((live(), delete_stale()), (6, 0));

    // Four of six tables gone (a filter on the key's tables would look the same).
    let others = unique_access_key("mass-delete-others");
    create_tables(&others, &["tt1", "tt2"]);
    let fewer = good.clone().aws("awsAccessKeyId", &others).yaml();
    let run = run_with(dir.path(), "ingest", &fewer, &[]);
    assert_eq!(run.code, 1, "{}", run.output());
    let failures = summary(&run)["failures"].to_string();
    assert!(
        failures.contains("4 of the 6 tables of test_svc.default.default")
            && failures.contains("--allow-mass-delete"),
        "{failures}"
    );
    assert_eq!((live(), delete_stale()), (6, 0));

    let run = run_with(dir.path(), "ingest", &fewer, &["--allow-mass-delete"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        summary(&run)["tablesDeleted"].as_array().unwrap().len(),
        4,
        "{}",
        run.output()
    );
    assert_eq!(live(), 2);
}
