//! `dynameta test` reading a table as `dynameta profile` does (issue 23): from a
//! DynamoDB export to S3 (`connectionArguments.exports`, on moto's S3) with the same
//! results as a scan of the same items, whole and in merged parts; and within a
//! per-table time limit (`connectionArguments.testTimeoutSeconds`): a table whose scan
//! runs out of time has its cases Aborted with the reason, exit 1, never Success.

use std::path::Path;

use dynameta_testkit::fault_proxy::{FaultProxy, Stall};
use dynameta_testkit::{dynamodb_local, moto, unique_access_key};
use serde_json::Value;

use super::data_quality::{seed_parts, suite_yaml};
use super::export::{items_of, write_export};
use super::support::*;

/// Uniqueness and the exact median (the values the engine keeps), a failing case, and
/// a row count.
const CASES: &str = r#"      - name: rows
        testDefinitionName: tableRowCountToEqual
        parameterValues:
          - name: value
            value: "450"
      - name: id_unique
        testDefinitionName: columnValuesToBeUnique
        columnName: id
        computePassedFailedRowCount: true
      - name: qty_median
        testDefinitionName: columnValueMedianToBeBetween
        columnName: qty
        parameterValues:
          - name: maxValueForMedianInCol
            value: "10"
      - name: qty_max
        testDefinitionName: columnValueMaxToBeBetween
        columnName: qty
        parameterValues:
          - name: maxValueForMaxInCol
            value: "5"
      - name: grp_known
        testDefinitionName: columnValuesToBeInSet
        columnName: grp
        parameterValues:
          - name: allowedValues
            value: '["a", "b", "c"]'"#;

/// The TestSuite workflow of `dq_parts` in `key`'s namespace with `arguments` (lines
/// of `connectionArguments`, indented for it), results to the file `out`, DynamoDB at
/// `endpoint`.
fn yaml(key: &str, endpoint: &str, arguments: &str, out: &Path) -> String {
    let sink = format!(
        "sink:\n  type: file\n  config:\n    filename: {}",
        out.display()
    );
    let text = suite_yaml(key, CASES, &sink, "http://localhost:8585/api")
        .replace("default.dq_orders", "default.dq_parts")
        .replace(&dynamodb_local().endpoint, endpoint);
    let marker = format!("        endPointURL: {endpoint}\n");
    assert!(text.contains(&marker));
    text.replace(
        &marker,
        &format!("{marker}      connectionArguments:\n{arguments}"),
    )
}

fn run(dir: &Path, name: &str, yaml: &str, extra: &[&str]) -> Run {
    let wf = write(dir, &format!("{name}.yaml"), yaml);
    let mut args = vec!["test", "-c", wf.to_str().unwrap(), "--quiet"];
    args.extend(extra);
    dynameta(&args, &[])
}

/// The cases' results in the file sink's output, by case name.
fn results(out: &Path) -> Vec<Value> {
    let mut lines: Vec<Value> = records(out)
        .into_iter()
        .map(|l| l["testCase"].clone())
        .collect();
    lines.sort_by_key(|c| c["name"].as_str().unwrap_or_default().to_string());
    lines
}

#[test]
fn cases_read_from_an_export_give_what_a_scan_of_the_same_items_gives() {
    let key = unique_access_key("dq-export");
    seed_parts(&key);
    let items = items_of(&key, "dq_parts");
    assert_eq!(items.len(), 450);
    let bucket = format!("dynameta-dq-export-{}", std::process::id());
    let folder = write_export(&bucket, "dq_parts", &items, 4);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = dynamodb_local().endpoint.clone();

    let scan_out = dir.path().join("scan.jsonl");
    let scan = run(
        dir.path(),
        "scan",
        &yaml(&key, &endpoint, "        scanSegments: 4\n", &scan_out),
        &[],
    );
    assert_eq!(scan.code, 1, "qty_max fails:\n{}", scan.output());
    assert!(
        !scan.stdout.contains("read from the export"),
        "{}",
        scan.stdout
    );

    let arguments = format!(
        "        exports:\n          dq_parts: {folder}\n        s3EndpointURL: {}\n",
        moto().endpoint
    );
    let export_out = dir.path().join("export.jsonl");
    let export = run(
        dir.path(),
        "export",
        &yaml(&key, &endpoint, &arguments, &export_out),
        &[],
    );
    assert_eq!(export.code, scan.code, "{}", export.output());
    assert!(
        export.stdout.contains(&format!(
            "read from the export {folder} (no read capacity used)"
        )),
        "the summary says where the items came from:\n{}",
        export.stdout
    );
    assert!(
        export.stdout.contains("450 item(s) read, 0.0 read units"),
        "{}",
        export.stdout
    );
    let expected = results(&scan_out);
    assert_eq!(expected.len(), 5);
    assert_eq!(results(&export_out), expected);
    let unique = expected.iter().find(|c| c["name"] == "id_unique").unwrap();
    assert_eq!(unique["status"], "Success", "{unique}");
    assert_eq!(unique["passedRows"], 450, "{unique}");

    // In parts, each reading its share of the export's files, merged: the same.
    let parted_out = dir.path().join("parted.jsonl");
    let parted = write(
        dir.path(),
        "parted.yaml",
        &yaml(&key, &endpoint, &arguments, &parted_out),
    );
    let mut args = vec![
        "test".to_string(),
        "merge".into(),
        "-c".into(),
        parted.to_str().unwrap().into(),
    ];
    for i in 1..=2 {
        let state = dir.path().join(format!("part-{i}.jsonl"));
        let part = dynameta(
            &[
                "test",
                "-c",
                parted.to_str().unwrap(),
                "--quiet",
                "--part",
                &format!("{i}/2"),
                "--state-out",
                state.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(part.code, 0, "{}", part.output());
        assert!(
            part.stdout.contains("read from the export"),
            "{}",
            part.stdout
        );
        // Version 2: a header line, then the table's lines.
        let text = std::fs::read_to_string(&state).unwrap();
        let header: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(header["version"], 2, "{header}");
        assert_eq!(header["tables"][0], "test_svc.default.default.dq_parts");
        args.push(state.to_str().unwrap().into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let merged = dynameta(&args, &[]);
    assert_eq!(merged.code, scan.code, "{}", merged.output());
    assert_eq!(results(&parted_out), expected);

    // The sink's file is never one of the state files being merged: exit 2 before
    // anything is read, the state file untouched.
    let state = dir.path().join("part-1.jsonl");
    let before = std::fs::read(&state).unwrap();
    let over = write(
        dir.path(),
        "over.yaml",
        &yaml(&key, &endpoint, &arguments, &state),
    );
    let mut refused: Vec<&str> = args.clone();
    refused[3] = over.to_str().unwrap();
    let run = dynameta(&refused, &[]);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr.contains("a state file being merged"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read(&state).unwrap(), before);
}

#[test]
fn a_table_out_of_time_has_its_cases_aborted_never_passed() {
    let key = unique_access_key("dq-timeout");
    seed_parts(&key);
    // Every Scan of the table is held unanswered: the read cannot finish, and the
    // time limit (1 s, the smallest) is what ends it. No sleep: the proxy holds.
    let proxy = FaultProxy::start_with_stalls(
        &dynamodb_local().endpoint,
        Vec::new(),
        vec![Stall {
            operation: "Scan".into(),
            table: "dq_parts".into(),
        }],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.jsonl");
    let workflow = yaml(
        &key,
        &proxy.endpoint,
        "        testTimeoutSeconds: 1\n",
        &out,
    );
    let whole = run(dir.path(), "timeout", &workflow, &[]);
    assert_eq!(whole.code, 1, "{}", whole.output());
    assert!(proxy.requests() > 0, "the scan was under way");
    let cases = results(&out);
    assert_eq!(cases.len(), 5, "{cases:?}");
    for c in &cases {
        assert_eq!(c["status"], "Aborted", "{c}");
        let reason = c["result"].as_str().unwrap();
        assert!(
            reason.contains("per-table time limit of 1s")
                && reason.contains("connectionArguments.testTimeoutSeconds"),
            "{reason}"
        );
    }
    assert!(
        whole.stdout.contains("0 passed, 0 failed, 5 aborted"),
        "{}",
        whole.stdout
    );

    // A part that runs out of time says so in its state; the merge aborts the cases.
    let state = dir.path().join("part.jsonl");
    let wf = write(dir.path(), "part.yaml", &workflow);
    let part = dynameta(
        &[
            "test",
            "-c",
            wf.to_str().unwrap(),
            "--quiet",
            "--part",
            "1/1",
            "--state-out",
            state.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(part.code, 0, "a part concludes nothing: {}", part.output());
    let merged = dynameta(
        &[
            "test",
            "merge",
            "-c",
            wf.to_str().unwrap(),
            state.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(merged.code, 1, "{}", merged.output());
    assert!(results(&out).iter().all(|c| c["status"] == "Aborted"));
    proxy.release();
}
