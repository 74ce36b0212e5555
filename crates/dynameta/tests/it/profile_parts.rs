//! Partial profiles: `profile --part I/N --state-out FILE` and `profile merge` against
//! DynamoDB Local — the merged parts publish the profile one run gives.

use std::path::{Path, PathBuf};

use dynameta_testkit::{dynamodb_local, unique_access_key};
use serde_json::Value;

use super::profile::{profile_workflow, seed_known};
use super::support::*;

/// Metrics that come from the KLL sketch: equal within its error, not to the bit,
/// when the sketch is merged from parts (compactions happen in another order).
const SKETCHED: &[&str] = &[
    "median",
    "firstQuartile",
    "thirdQuartile",
    "interQuartileRange",
    "nonParametricSkew",
    "histogram",
];

/// The record's exact content: no timestamps, no timings, no sketched metrics.
pub(super) fn exact_part(record: &Value) -> Value {
    let mut r = record.clone();
    let payload = &mut r["payload"];
    payload["tableProfile"]
        .as_object_mut()
        .unwrap()
        .remove("timestamp");
    for c in payload["columnProfile"].as_array_mut().unwrap() {
        let c = c.as_object_mut().unwrap();
        c.remove("timestamp");
        for k in SKETCHED {
            c.remove(*k);
        }
    }
    let d = r["dynamodb"].as_object_mut().unwrap();
    for k in ["seconds", "requests"] {
        d.remove(k);
    }
    r
}

fn profile_record(path: &Path) -> Value {
    records(path)
        .into_iter()
        .find(|r| r["kind"] == "createTableProfile")
        .expect("a createTableProfile record")
}

fn run_ok(args: &[&str]) -> Run {
    let run = dynameta(args, &[]);
    assert_eq!(run.code, 0, "dynameta {args:?}: {}", run.output());
    run
}

#[test]
fn three_parts_merged_equal_a_single_run() {
    let key = unique_access_key("parts");
    seed_known(&key, "parted", 2000);
    let dir = tempfile::tempdir().unwrap();
    let endpoint = &dynamodb_local().endpoint;
    let single_out = dir.path().join("single.jsonl");
    let single = write(
        dir.path(),
        "single.yaml",
        &profile_workflow(endpoint, &key, "", "", &single_out),
    );
    run_ok(&["profile", "-c", single.to_str().unwrap(), "-q"]);
    let one_pass = profile_record(&single_out);

    let merged_out = dir.path().join("merged.jsonl");
    let wf = write(
        dir.path(),
        "parts.yaml",
        &profile_workflow(endpoint, &key, "", "", &merged_out),
    );
    let wf = wf.to_str().unwrap();
    let states: Vec<PathBuf> = (1..=3)
        .map(|i| dir.path().join(format!("part-{i}.json")))
        .collect();
    let mut items_read = 0;
    for (i, state) in states.iter().enumerate() {
        let part = format!("{}/3", i + 1);
        let run = run_ok(&[
            "profile",
            "-c",
            wf,
            "--part",
            &part,
            "--state-out",
            state.to_str().unwrap(),
            "--log-format",
            "json",
        ]);
        // A part publishes nothing: its statistics are in the state file only.
        assert!(!merged_out.exists(), "part {part} wrote the sink's output");
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
        assert_eq!(saved["format"], "dynameta-profile-state");
        assert_eq!(saved["version"], 1);
        assert_eq!(
            saved["part"],
            serde_json::json!({"index": i + 1, "count": 3})
        );
        let rows = saved["tables"][0]["stats"]["rows"].as_u64().unwrap();
        assert!(rows > 0 && rows < 2000, "part {part} read {rows} items");
        items_read += rows;
        assert_eq!(summary(&run)["itemsSampled"], rows, "{}", run.stdout);
    }
    assert_eq!(
        items_read, 2000,
        "the parts are disjoint and cover the table"
    );

    let mut args = vec!["profile", "merge", "-c", wf, "-q"];
    args.extend(states.iter().map(|s| s.to_str().unwrap()));
    run_ok(&args);
    let merged = profile_record(&merged_out);
    assert_eq!(exact_part(&merged), exact_part(&one_pass));
    // Sketched metrics: within the sketch's rank error of the one-pass values.
    let n = |r: &Value| {
        r["payload"]["columnProfile"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "n")
            .unwrap()["median"]
            .as_f64()
            .unwrap()
    };
    assert!((n(&merged) - n(&one_pass)).abs() <= 2000.0 * 0.02);
    assert_eq!(merged["payload"]["tableProfile"]["rowCount"], 2000.0);
    assert_eq!(merged["dynamodb"]["itemsRead"], 2000);

    // Merges that cannot give the single run's profile are refused, naming the fix.
    let refused = |files: &[&Path], expect: &str| {
        let mut args = vec!["profile", "merge", "-c", wf];
        args.extend(files.iter().map(|f| f.to_str().unwrap()));
        let run = dynameta(&args, &[]);
        assert_eq!(run.code, 2, "{}", run.output());
        assert!(
            run.stderr.contains(expect),
            "expected {expect:?}: {}",
            run.stderr
        );
    };
    refused(&[&states[0], &states[2]], "part 2/3 missing");
    refused(
        &[&states[0], &states[1], &states[1], &states[2]],
        "part 2/3 given twice",
    );
    let text = std::fs::read_to_string(&states[1]).unwrap();
    let newer = write(
        dir.path(),
        "newer.json",
        &text.replacen("\"version\":1", "\"version\":2", 1),
    );
    refused(
        &[&states[0], &newer, &states[2]],
        "profile state version 2 (written by dynameta",
    );
    let cut = write(dir.path(), "cut.json", &text[..text.len() / 2]);
    refused(
        &[&states[0], &cut, &states[2]],
        "is not a dynameta profile state",
    );
    let (a, b) = (
        states[0].to_str().unwrap().to_string(),
        dir.path().join("missing.json"),
    );
    refused(&[Path::new(&a), &b], "cannot read the profile state");
}

#[test]
fn a_part_needs_a_state_file_and_a_valid_part() {
    let dir = tempfile::tempdir().unwrap();
    let wf = write(
        dir.path(),
        "wf.yaml",
        &profile_workflow(
            "http://127.0.0.1:9",
            "AKIA",
            "",
            "",
            &dir.path().join("o.jsonl"),
        ),
    );
    let wf = wf.to_str().unwrap();
    for (args, expect) in [
        (vec!["--part", "1/2"], "--state-out"),
        (
            vec!["--part", "3/2", "--state-out", "s.json"],
            "`3/2` is not a part",
        ),
        (vec!["--part", "0/2", "--state-out", "s.json"], "1 ≤ I ≤ N"),
    ] {
        let mut all = vec!["profile", "-c", wf];
        all.extend(args);
        let run = dynameta(&all, &[]);
        assert_eq!(run.code, 2, "{all:?}: {}", run.output());
        assert!(run.stderr.contains(expect), "{all:?}: {}", run.stderr);
    }
    // A state file in a missing directory is refused before any DynamoDB request.
    let missing = dir.path().join("no/such/dir/s.json");
    let run = dynameta(
        &[
            "profile",
            "-c",
            wf,
            "--part",
            "1/2",
            "--state-out",
            missing.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr.contains("directory does not exist"),
        "{}",
        run.stderr
    );
}
