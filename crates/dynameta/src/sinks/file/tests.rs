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
    assert!(sink.abandon().contains("left as it was"));
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

#[test]
fn a_directory_or_no_file_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for path in [dir.path().to_path_buf(), dir.path().join("sub/")] {
        if path.ends_with("sub") {
            std::fs::create_dir(&path).unwrap();
        }
        let err = FileSink::create(&path).err().unwrap();
        assert!(matches!(err, FileSinkError::Directory { .. }), "{err}");
        assert!(err.to_string().contains("is a directory"), "{err}");
    }
    for path in ["", "/", ".."] {
        let err = FileSink::create(Path::new(path)).err().unwrap();
        assert!(err.is_config(), "{path:?}: {err}");
    }
    assert_eq!(listing(dir.path()), ["sub"], "nothing created");
}

#[cfg(unix)]
#[test]
fn special_files_and_links_to_them_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("null.jsonl");
    std::os::unix::fs::symlink("/dev/null", &link).unwrap();
    let err = FileSink::create(&link).err().unwrap();
    assert!(
        err.to_string()
            .contains("is a symbolic link to a character device, not a regular file"),
        "{err}"
    );
    let dangling = dir.path().join("dangling.jsonl");
    std::os::unix::fs::symlink(dir.path().join("nowhere/x"), &dangling).unwrap();
    let err = FileSink::create(&dangling).err().unwrap();
    assert!(matches!(err, FileSinkError::DanglingLink { .. }), "{err}");
    let err = FileSink::create(Path::new("/dev/null")).err().unwrap();
    assert!(err.to_string().contains("a character device"), "{err}");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
}

#[cfg(unix)]
#[test]
fn a_link_to_a_file_is_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let real_dir = dir.path().join("real");
    std::fs::create_dir(&real_dir).unwrap();
    let real = real_dir.join("data.jsonl");
    std::fs::write(&real, "old\n").unwrap();
    let link = dir.path().join("out.jsonl");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let mut sink = FileSink::create(&link).unwrap();
    sink.write(&record("a")).unwrap();
    sink.finish(true).unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert!(std::fs::read_to_string(&real).unwrap().contains("\"a\""));
    assert_eq!(listing(&real_dir), ["data.jsonl"]);
}

#[cfg(unix)]
#[test]
fn the_mode_of_the_old_file_is_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.jsonl");
    std::fs::write(&target, "old\n").unwrap();
    std::fs::set_permissions(&target, Permissions::from_mode(0o600)).unwrap();
    let mut sink = FileSink::create(&target).unwrap();
    sink.write(&record("a")).unwrap();
    sink.finish(true).unwrap();
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_second_sink_on_the_same_output_is_refused_while_the_first_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.jsonl");
    let first = FileSink::create(&target).unwrap();
    let err = FileSink::create(&target).err().unwrap();
    assert!(matches!(err, FileSinkError::Locked { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("another dynameta run")
            && text.contains(&format!("pid {}", std::process::id())),
        "{text}"
    );
    drop(first);
    FileSink::create(&target).unwrap().finish(true).unwrap();
}

#[cfg(unix)]
#[test]
fn a_link_planted_as_the_lock_file_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let target = dir.path().join("out.jsonl");
    std::os::unix::fs::symlink(&victim, lock_path(&target)).unwrap();
    let err = FileSink::create(&target).err().unwrap();
    assert!(
        err.to_string()
            .contains("a symbolic link (the lock file of"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}

#[test]
fn side_files_of_a_relative_name_stay_relative() {
    assert_eq!(
        partial_path(Path::new("out.jsonl")),
        Path::new("out.jsonl.partial")
    );
    assert_eq!(
        lock_path(Path::new("d/out.jsonl")),
        Path::new("d/.out.jsonl.lock")
    );
}
