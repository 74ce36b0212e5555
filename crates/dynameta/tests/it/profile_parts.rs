//! Partial profiles: `profile --part I/N --state-out FILE` and `profile merge` against
//! DynamoDB Local — the merged parts publish the profile one run gives.

use std::path::{Path, PathBuf};

use dynameta_testkit::{dynamodb_local, unique_access_key};
use serde_json::Value;

use super::profile::{profile_builder, profile_workflow, seed_known};
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
    refused(&[Path::new(&a), &b], "cannot read profile state");
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

/// Hostile state files: each merge ends with an error naming the file and the field
/// (exit 2 for a file that cannot be merged at all, 1 for a table that fails), never a
/// panic or an abort, in bounded memory.
#[test]
fn hostile_state_files_fail_by_name_in_bounded_memory() {
    let key = unique_access_key("hostilestate");
    seed_known(&key, "hostile", 200);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.jsonl");
    let wf = write(
        dir.path(),
        "wf.yaml",
        &profile_workflow(&dynamodb_local().endpoint, &key, "", "", &out),
    );
    let wf = wf.to_str().unwrap();
    let parts: Vec<Value> = (1..=2)
        .map(|i| {
            let state = dir.path().join(format!("good-{i}.json"));
            run_ok(&[
                "profile",
                "-c",
                wf,
                "-q",
                "--part",
                &format!("{i}/2"),
                "--state-out",
                state.to_str().unwrap(),
            ]);
            serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap()
        })
        .collect();
    let column = |v: &Value| {
        v["tables"][0]["stats"]["columns"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(_, c)| c.get("numbers").is_some())
            .map(|(name, _)| name.clone())
            .unwrap()
    };
    let number = column(&parts[0]);
    type Edit = Box<dyn Fn(&mut Value, usize)>;
    let cases: Vec<(&str, Edit, i32, String)> = vec![
        (
            "count",
            Box::new(|v: &mut Value, _| v["part"]["count"] = u32::MAX.into()),
            2,
            "and 4294967273 more missing".into(),
        ),
        (
            "elapsed",
            Box::new(|v: &mut Value, _| {
                v["tables"][0]["scan"]["elapsed"]["secs"] = u64::MAX.into()
            }),
            1,
            "tables[0].scan.elapsed".into(),
        ),
        (
            "rows",
            Box::new(|v: &mut Value, i| {
                if i == 0 {
                    v["tables"][0]["stats"]["rows"] = u64::MAX.into()
                }
            }),
            1,
            "tables[0].stats.rows".into(),
        ),
        (
            "minmax",
            Box::new(move |v: &mut Value, i| {
                if i == 1 {
                    let n = &mut v["tables"][0]["stats"]["columns"][&number]["numbers"];
                    n["min"] = "1E+100".into();
                }
            }),
            1,
            "numbers.min".into(),
        ),
    ];
    for (name, edit, code, expect) in cases {
        let files: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let mut v = part.clone();
                edit(&mut v, i);
                let path = dir.path().join(format!("{name}-{}.json", i + 1));
                std::fs::write(&path, v.to_string()).unwrap();
                path.to_str().unwrap().to_string()
            })
            .collect();
        let mut args = vec!["profile", "merge", "-c", wf, "-q"];
        args.extend(files.iter().map(String::as_str));
        let (run, rss) = dynameta_measured(&args, Some(1 << 30));
        assert_eq!(run.code, code, "{name}: {}", run.output());
        assert!(
            run.output().contains(&expect),
            "{name}: {expect:?} in {}",
            run.output()
        );
        assert!(
            run.output().contains(&format!("{name}-")),
            "{name}: the file is named: {}",
            run.output()
        );
        eprintln!("{name}: peak RSS {rss} bytes");
        assert!(rss < 200 << 20, "{name}: peak RSS {rss} bytes");
        assert!(!out.exists(), "{name}: nothing is published");
    }
    // Nesting beyond any state (100 000 levels of `children`), and a FIFO: refused
    // without blocking or recursing.
    let deep = dir.path().join("deep-1.json");
    let mut v = parts[0].clone();
    v["tables"][0]["stats"]["columns"] = Value::Null;
    let text = v.to_string().replacen(
        "\"columns\":null",
        &format!(
            "\"columns\":{}{{}}{}",
            "{\"a\":{\"children\":".repeat(100_000),
            "}}".repeat(100_000)
        ),
        1,
    );
    std::fs::write(&deep, text).unwrap();
    let fifo = dir.path().join("fifo-2.json");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for (files, expect) in [
        (
            [deep.to_str().unwrap(), fifo.to_str().unwrap()],
            "recursion limit",
        ),
        (
            [fifo.to_str().unwrap(), deep.to_str().unwrap()],
            "a named pipe (FIFO)",
        ),
    ] {
        let mut args = vec!["profile", "merge", "-c", wf, "-q"];
        args.extend(files);
        let (run, _) = dynameta_measured(&args, Some(1 << 30));
        assert_eq!(run.code, 2, "{}", run.output());
        assert!(
            run.output().contains(expect),
            "{expect:?} in {}",
            run.output()
        );
    }
}

/// SIGTERM stops a merge: here while it publishes (provably: the OpenMetadata server it
/// publishes to has accepted its connection and never answers), after the state files
/// were read and merged off the async workers. Exit 143 and the line saying so.
#[test]
fn sigterm_stops_a_merge() {
    use std::process::{Command, Stdio};

    let key = unique_access_key("mergeterm");
    seed_known(&key, "termed", 50);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.jsonl");
    let builder = profile_builder(&dynamodb_local().endpoint, &key, "", "");
    let wf = write(
        dir.path(),
        "wf.yaml",
        &builder.clone().file_sink(&out).yaml(),
    );
    let states: Vec<String> = (1..=2)
        .map(|i| {
            let state = dir.path().join(format!("part-{i}.json"));
            run_ok(&[
                "profile",
                "-c",
                wf.to_str().unwrap(),
                "-q",
                "--part",
                &format!("{i}/2"),
                "--state-out",
                state.to_str().unwrap(),
            ]);
            state.to_str().unwrap().to_string()
        })
        .collect();
    // A server that accepts the merge's connection and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let accepted = listener.accept().map(|(stream, _)| stream);
        let _ = tx.send(accepted.is_ok());
        // Held open, unanswered, until the test ends.
        std::thread::park();
        drop(accepted);
    });
    let rest = builder
        .rest_sink(&format!("http://127.0.0.1:{port}/api"))
        .yaml();
    assert!(rest.contains("metadata-rest"), "{rest}");
    let rest = write(dir.path(), "rest.yaml", &rest);
    let child = Command::new(env!("CARGO_BIN_EXE_dynameta"))
        .args(["profile", "merge", "-c", rest.to_str().unwrap()])
        .args(&states)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let reached = rx.recv_timeout(std::time::Duration::from_secs(120));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(reached, Ok(true), "the merge never connected: {stderr}");
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("stopped by SIGTERM"), "{stderr}");
    assert!(!out.exists());
}
