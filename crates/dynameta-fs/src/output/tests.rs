use std::io::Write as _;

use super::*;

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

fn write_all(path: &Path, text: &str) -> Result<(), OutputError> {
    let mut out = Output::new("--out", path).open()?;
    out.file().write_all(text.as_bytes()).unwrap();
    out.commit()
}

#[test]
fn content_appears_only_on_commit_and_no_temp_file_stays() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.html");
    std::fs::write(&target, "old").unwrap();
    let mut out = Output::new("--out", &target).open().unwrap();
    out.file().write_all(b"new").unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
    out.commit().unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    assert_eq!(listing(dir.path()), ["out.html"]);

    // Dropped: the old content stays, the temporary file goes.
    let mut out = Output::new("--out", &target).open().unwrap();
    out.file().write_all(b"lost").unwrap();
    drop(out);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    assert_eq!(listing(dir.path()), ["out.html"]);
}

#[test]
fn a_partial_result_goes_beside_and_the_next_commit_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.jsonl");
    std::fs::write(&target, "good").unwrap();
    let mut out = Output::new("k", &target).open().unwrap();
    out.file().write_all(b"half").unwrap();
    let partial = out.keep_partial().unwrap();
    assert_eq!(partial, dir.path().join("out.jsonl.partial"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "good");
    assert_eq!(std::fs::read_to_string(&partial).unwrap(), "half");
    write_all(&target, "better").unwrap();
    assert_eq!(listing(dir.path()), ["out.jsonl"]);
}

#[test]
fn a_failed_rename_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.jsonl");
    let out = Output::new("k", &target).open().unwrap();
    // Something else took the name meanwhile.
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("inside"), "x").unwrap();
    let err = out.commit().unwrap_err();
    assert!(err.to_string().contains("out.jsonl"), "{err}");
    assert_eq!(listing(dir.path()), ["out.jsonl"]);
    assert!(target.join("inside").exists());
}

#[test]
fn the_key_and_the_missing_directory_are_named() {
    let err = Output::new("--state-out", Path::new("/nonexistent-dir/x/s.json"))
        .check()
        .unwrap_err();
    assert!(err.is_config());
    let text = err.to_string();
    assert!(
        text.starts_with("--state-out: ")
            && text.contains("/nonexistent-dir/x")
            && text.contains("does not exist"),
        "{text}"
    );
}

#[test]
fn a_directory_or_no_file_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    for path in [dir.path().to_path_buf(), dir.path().join("sub/")] {
        let err = Output::new("--out", &path)
            .example("report.html")
            .open()
            .unwrap_err();
        assert!(matches!(err, OutputError::Directory { .. }), "{err}");
        assert!(err.to_string().contains("report.html"), "{err}");
    }
    for path in ["", "/", ".."] {
        let err = Output::new("k", Path::new(path)).check().unwrap_err();
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
    let err = Output::new("k", &link).open().unwrap_err();
    assert!(
        err.to_string()
            .contains("is a symbolic link to a character device, not a regular file"),
        "{err}"
    );
    let dangling = dir.path().join("dangling.jsonl");
    std::os::unix::fs::symlink(dir.path().join("nowhere/x"), &dangling).unwrap();
    let err = Output::new("k", &dangling).open().unwrap_err();
    assert!(matches!(err, OutputError::DanglingLink { .. }), "{err}");
    let err = Output::new("k", Path::new("/dev/null")).open().unwrap_err();
    assert!(err.to_string().contains("a character device"), "{err}");

    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let err = Output::new("k", &fifo).check().unwrap_err();
    assert!(err.to_string().contains("a named pipe (FIFO)"), "{err}");

    let sock = dir.path().join("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let err = Output::new("k", &sock).check().unwrap_err();
    assert!(err.to_string().contains("is a socket"), "{err}");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
}

#[cfg(unix)]
#[test]
fn a_link_to_a_file_is_written_through_with_its_mode_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let real_dir = dir.path().join("real");
    std::fs::create_dir(&real_dir).unwrap();
    let real = real_dir.join("data.jsonl");
    std::fs::write(&real, "old\n").unwrap();
    std::fs::set_permissions(&real, Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("out.jsonl");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    write_all(&link, "new").unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    assert_eq!(listing(&real_dir), ["data.jsonl"]);
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640);
}

#[cfg(unix)]
#[test]
fn owner_only_outputs_are_created_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("state.json");
    let out = Output::new("--state-out", &target)
        .owner_only()
        .open()
        .unwrap();
    out.commit().unwrap();
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600);
}

#[test]
fn an_input_is_never_an_output() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("dynameta.db");
    std::fs::write(&catalog, "sqlite").unwrap();
    let check = |path: &Path| {
        Output::new("--out", path)
            .input("the catalog", &catalog)
            .check()
    };
    let err = check(&catalog).unwrap_err();
    assert!(err.is_config());
    let text = err.to_string();
    assert!(
        text.contains("is the catalog") && text.contains("dynameta.db"),
        "{text}"
    );
    // The same file by another name: through `..`, and through a link.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    assert!(check(&sub.join("../dynameta.db")).is_err());
    #[cfg(unix)]
    {
        let link = dir.path().join("link.html");
        std::os::unix::fs::symlink(&catalog, &link).unwrap();
        assert!(check(&link).is_err());
        let hard = dir.path().join("hard.html");
        std::fs::hard_link(&catalog, &hard).unwrap();
        assert!(check(&hard).is_err(), "a hard link is the same file");
    }
    assert!(check(&dir.path().join("report.html")).is_ok());
    // Neither exists yet: the same path is still refused.
    let missing = dir.path().join("new.db");
    let err = Output::new("--out", &sub.join("../new.db"))
        .input("the catalog", &missing)
        .check()
        .unwrap_err();
    assert!(matches!(err, OutputError::IsAnInput { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&catalog).unwrap(), "sqlite");
}

#[test]
fn a_second_writer_is_refused_while_the_first_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.jsonl");
    let first = Output::new("k", &target).open().unwrap();
    let err = Output::new("k", &target).open().unwrap_err();
    assert!(matches!(err, OutputError::Locked { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    drop(first);
    write_all(&target, "x").unwrap();
}

#[cfg(unix)]
#[test]
fn a_link_planted_as_the_lock_file_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let target = dir.path().join("out.jsonl");
    std::os::unix::fs::symlink(&victim, lock_path(&target)).unwrap();
    let err = Output::new("k", &target).open().unwrap_err();
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
