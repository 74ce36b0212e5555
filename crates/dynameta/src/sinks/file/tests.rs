use super::*;
use crate::openmetadata::CreateDatabase;

fn record(name: &str) -> Record {
    Record::CreateDatabase {
        payload: CreateDatabase {
            name: name.into(),
            service: "svc".into(),
            description: None,
            source_hash: None,
        },
    }
}

/// Names in `dir` that are not lock files (those stay, on purpose).
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    names.sort();
    names
}

#[test]
fn lines_appear_only_after_finish() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.jsonl");
    std::fs::write(&target, "old\n").unwrap();
    let mut sink = FileSink::create(&target).unwrap();
    sink.write(&record("a")).unwrap();
    sink.write(&record("b")).unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old\n");
    assert_eq!(
        sink.finish(true).unwrap(),
        Finished::Committed { records: 2 }
    );
    let text = std::fs::read_to_string(&target).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["kind"], "createDatabase");
    assert_eq!(lines[1]["payload"]["name"], "b");
    assert_eq!(listing(dir.path()), ["out.jsonl"], "no temp file left");
}

#[test]
fn abandoned_sink_leaves_previous_file_and_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.jsonl");
    std::fs::write(&target, "old\n").unwrap();
    {
        let mut sink = FileSink::create(&target).unwrap();
        sink.write(&record("a")).unwrap();
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old\n");
    assert_eq!(listing(dir.path()), ["out.jsonl"]);
    let mut sink = FileSink::create(&target).unwrap();
    sink.write(&record("a")).unwrap();
    assert!(sink
        .abandon(None)
        .contains("left as it was because the run failed"));
    assert_eq!(listing(dir.path()), ["out.jsonl"]);
}

#[test]
fn a_failed_run_leaves_the_output_and_writes_a_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.jsonl");
    std::fs::write(&target, "good\n").unwrap();
    let mut sink = FileSink::create(&target).unwrap();
    sink.write(&record("a")).unwrap();
    let Finished::LeftUntouched { records, note } = sink.finish(false).unwrap() else {
        panic!("committed a failed run");
    };
    assert_eq!(records, 1);
    assert!(
        note.contains("left as it was") && note.contains("out.jsonl.partial"),
        "{note}"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "good\n");
    let partial = std::fs::read_to_string(dir.path().join("out.jsonl.partial")).unwrap();
    assert!(partial.contains("\"name\":\"a\""), "{partial}");
    assert_eq!(listing(dir.path()), ["out.jsonl", "out.jsonl.partial"]);

    // The next good run replaces the output and removes the stale partial file.
    let mut sink = FileSink::create(&target).unwrap();
    sink.write(&record("b")).unwrap();
    sink.finish(true).unwrap();
    assert_eq!(listing(dir.path()), ["out.jsonl"]);
}

#[test]
fn a_failed_rename_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.jsonl");
    let mut sink = FileSink::create(&target).unwrap();
    sink.write(&record("a")).unwrap();
    // Something else took the name meanwhile: the rename (over a directory) fails.
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("inside"), "x").unwrap();
    let err = sink.finish(true).unwrap_err();
    assert!(err.to_string().contains("out.jsonl"), "{err}");
    assert_eq!(listing(dir.path()), ["out.jsonl"], "temp file removed");
    assert!(target.join("inside").exists());
}

#[test]
fn missing_directory_is_a_clear_config_error() {
    let err = FileSink::create(Path::new("/nonexistent-dir/x/out.jsonl"))
        .err()
        .unwrap();
    assert!(err.is_config());
    let text = err.to_string();
    assert!(
        text.contains("sink.config.filename")
            && text.contains("/nonexistent-dir/x")
            && text.contains("does not exist"),
        "{text}"
    );
}

/// The path rules themselves are `dynameta_fs::output`'s (tested there); the sink names
/// its key, and refuses the workflow file the run reads.
#[test]
fn the_workflow_file_is_never_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let workflow = dir.path().join("wf.yaml");
    std::fs::write(&workflow, "source: {}\n").unwrap();
    let err = FileSink::create_for(&workflow, Some(&workflow))
        .err()
        .unwrap();
    assert!(err.is_config());
    let text = err.to_string();
    assert!(
        text.starts_with("sink.config.filename: ") && text.contains("the workflow file"),
        "{text}"
    );
    assert_eq!(std::fs::read_to_string(&workflow).unwrap(), "source: {}\n");
    assert_eq!(listing(dir.path()), ["wf.yaml"]);
}
