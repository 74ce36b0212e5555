use super::*;
use crate::openmetadata::CreateDatabase;

fn record(name: &str) -> Record {
    Record::CreateDatabase {
        payload: CreateDatabase {
            name: name.into(),
            service: "svc".into(),
            source_hash: None,
        },
    }
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
    assert_eq!(sink.finish().unwrap(), 2);
    let text = std::fs::read_to_string(&target).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["kind"], "createDatabase");
    assert_eq!(lines[1]["payload"]["name"], "b");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left"
    );
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
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn missing_directory_is_a_clear_error() {
    let err = FileSink::create(Path::new("/nonexistent-dir/x/out.jsonl"))
        .err()
        .unwrap();
    assert!(err.to_string().contains("sink.config.filename"), "{err}");
}
