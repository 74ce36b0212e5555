//! What the file sink promises about its output: a failed, interrupted or concurrent
//! run never replaces (or destroys) a good output, unsafe targets are refused before
//! any DynamoDB work, permissions and symbolic links are kept.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use aws_sdk_dynamodb::types::ScalarAttributeType;
use dynameta_testkit::fault_proxy::{Fault, FaultProxy, Stall};
use dynameta_testkit::{corpus, dynamodb_local, unique_access_key};

use super::support::*;

/// How long a test waits for a run to reach a state (the machine may be busy).
const PATIENCE: Duration = Duration::from_secs(120);

/// Creates tables keyed by `id` with a few items each.
fn seed(key: &str, names: &[&str]) {
    let (endpoint, key) = (dynamodb_local().endpoint.clone(), key.to_string());
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
            for name in &names {
                corpus::create_table(&client, name, ("id", ScalarAttributeType::S), None).await;
                let items = (0..5)
                    .map(corpus::order_item)
                    .map(|mut i| {
                        let id = i.remove("customerId").unwrap();
                        i.insert("id".into(), id);
                        i
                    })
                    .collect();
                corpus::put_items(&client, name, items).await;
            }
        })
    })
    .join()
    .expect("seed tables");
}

/// The workflow of `command` (ingest, profile, classify).
fn workflow_for(command: &str, endpoint: &str, key: &str, out: &Path) -> String {
    builder_for(command, endpoint, key, out).yaml()
}

/// [`workflow_for`], to set more.
fn builder_for(command: &str, endpoint: &str, key: &str, out: &Path) -> WorkflowBuilder {
    let kind = match command {
        "profile" => "Profiler",
        "classify" => "AutoClassification",
        _ => "DatabaseMetadata",
    };
    WorkflowBuilder::new(endpoint, key)
        .connection_argument("requestTimeoutSeconds", "600")
        .pipeline(kind)
        .file_sink(out)
}

fn run(dir: &Path, command: &str, yaml: &str) -> Run {
    let wf = write(dir, &format!("{command}.yaml"), yaml);
    dynameta(
        &[command, "-c", wf.to_str().unwrap(), "--log-format", "json"],
        &[],
    )
}

/// Temporary files of the sink in `dir`.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n.ends_with(".tmp"))
        .collect()
}

/// Starts `dynameta COMMAND` in the background.
fn spawn(dir: &Path, command: &str, yaml: &str) -> std::process::Child {
    let wf = write(dir, &format!("{command}-bg.yaml"), yaml);
    Command::new(env!("CARGO_BIN_EXE_dynameta"))
        .args([command, "-c", wf.to_str().unwrap(), "--log-format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dynameta")
}

fn signal(child: &std::process::Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

/// A good output, then a run where one table fails: for each command, the output is
/// byte for byte what it was, the run's records are beside it in `.partial`, and the
/// summary says so. The next good run replaces the output and the partial file.
#[test]
fn a_failed_run_never_replaces_a_good_output() {
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("failkeep");
    seed(&key, &["good", "bad"]);
    let proxy = FaultProxy::start(
        &dynamodb_local().endpoint,
        vec![Fault {
            operation: "Scan".into(),
            table: "bad".into(),
            status: 400,
            code: "AccessDeniedException".into(),
        }],
    );
    for command in ["ingest", "profile", "classify"] {
        let out = dir.path().join(format!("{command}.jsonl"));
        let partial = dir.path().join(format!("{command}.jsonl.partial"));
        let good = run(
            dir.path(),
            command,
            &workflow_for(command, &dynamodb_local().endpoint, &key, &out),
        );
        assert_eq!(good.code, 0, "{command}: {}", good.output());
        let before = std::fs::read(&out).unwrap();
        assert!(
            String::from_utf8_lossy(&before).contains(".bad"),
            "{command}: both tables in the good output"
        );

        let failed = run(
            dir.path(),
            command,
            &workflow_for(command, &proxy.endpoint, &key, &out),
        );
        assert_eq!(failed.code, 1, "{command}: {}", failed.output());
        assert_eq!(
            std::fs::read(&out).unwrap(),
            before,
            "{command}: the failed run changed the good output"
        );
        let s = summary(&failed);
        let warnings = s["warnings"].to_string();
        assert!(
            warnings.contains("left as it was because the run failed")
                && warnings.contains(partial.to_str().unwrap()),
            "{command}: {warnings}"
        );
        let kept = std::fs::read_to_string(&partial).unwrap();
        assert!(
            kept.contains(".good") && !kept.contains("default.bad"),
            "{command}: partial result: {kept}"
        );
        assert!(temp_files(dir.path()).is_empty());

        let again = run(
            dir.path(),
            command,
            &workflow_for(command, &dynamodb_local().endpoint, &key, &out),
        );
        assert_eq!(again.code, 0, "{command}: {}", again.output());
        assert!(!partial.exists(), "{command}: stale partial file removed");
    }
}

/// The first run of an output that fails writes no output at all, only the partial
/// file: the output exists only when a run succeeded.
#[test]
fn a_failed_first_run_writes_only_the_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("failfirst");
    seed(&key, &["only"]);
    let proxy = FaultProxy::start(
        &dynamodb_local().endpoint,
        vec![Fault {
            operation: "Scan".into(),
            table: "only".into(),
            status: 400,
            code: "AccessDeniedException".into(),
        }],
    );
    let out = dir.path().join("profile.jsonl");
    let failed = run(
        dir.path(),
        "profile",
        &workflow_for("profile", &proxy.endpoint, &key, &out),
    );
    assert_eq!(failed.code, 1, "{}", failed.output());
    assert!(!out.exists(), "a failed one-table profile wrote {out:?}");
    assert!(summary(&failed)["warnings"]
        .to_string()
        .contains("not written because the run failed"));
}

/// Devices, FIFOs, links to them, directories and missing directories: exit 2 with a
/// message naming the key, before a single DynamoDB request, and the path untouched.
#[cfg(unix)]
#[test]
fn unsafe_targets_are_refused_before_any_dynamodb_work() {
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("unsafe");
    seed(&key, &["tab"]);
    let proxy = FaultProxy::start(&dynamodb_local().endpoint, Vec::new());
    let fifo = dir.path().join("fifo.jsonl");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let to_null = dir.path().join("null.jsonl");
    std::os::unix::fs::symlink("/dev/null", &to_null).unwrap();
    let a_dir = dir.path().join("outdir");
    std::fs::create_dir(&a_dir).unwrap();
    let cases: [(&str, PathBuf, &str); 5] = [
        (
            "ingest",
            fifo.clone(),
            "is a named pipe (FIFO), not a regular file",
        ),
        (
            "ingest",
            to_null.clone(),
            "is a symbolic link to a character device, not a regular file",
        ),
        ("ingest", a_dir.clone(), "is a directory"),
        ("profile", a_dir.clone(), "is a directory"),
        (
            "classify",
            dir.path().join("missing/out.jsonl"),
            "does not exist",
        ),
    ];
    for (command, out, expected) in cases {
        let r = run(
            dir.path(),
            command,
            &workflow_for(command, &proxy.endpoint, &key, &out),
        );
        assert_eq!(r.code, 2, "{command} {out:?}: {}", r.output());
        assert!(
            r.stderr.contains("sink.config.filename") && r.stderr.contains(expected),
            "{command} {out:?}: {}",
            r.stderr
        );
    }
    assert_eq!(proxy.requests(), 0, "DynamoDB was called");
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    assert!(std::fs::symlink_metadata(&to_null).unwrap().is_symlink());
    assert_eq!(std::fs::read_dir(&a_dir).unwrap().count(), 0);
    assert!(!dir.path().join("missing").exists());
    assert!(temp_files(dir.path()).is_empty());
}

/// A symbolic link to a file is written through (the link stays); the file keeps its
/// mode (0640 stays 0640); a new file is owner-only whatever the umask (it holds table
/// values).
#[cfg(unix)]
#[test]
fn links_and_permissions_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("perms");
    seed(&key, &["tab"]);
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let real = data.join("real.jsonl");
    std::fs::write(&real, "old\n").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("out.jsonl");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let endpoint = &dynamodb_local().endpoint;
    let r = run(
        dir.path(),
        "ingest",
        &workflow_for("ingest", endpoint, &key, &link),
    );
    assert_eq!(r.code, 0, "{}", r.output());
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(table_names(&records(&real)), ["tab"]);
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640, "mode of the output: {mode:o}");
    assert!(temp_files(&data).is_empty());

    let fresh = dir.path().join("fresh.jsonl");
    let wf = write(
        dir.path(),
        "fresh.yaml",
        &workflow_for("ingest", endpoint, &key, &fresh),
    );
    let status = Command::new("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$0\" ingest -c \"$1\" -q")
        .arg(env!("CARGO_BIN_EXE_dynameta"))
        .arg(&wf)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600, "new file under umask 022: {mode:o}");
}

/// SIGTERM and SIGINT in the middle of a run (provably: a Scan is held by the proxy and
/// the temporary file exists): exit 143 / 130, a line on stderr, no temporary file
/// left, the previous output byte for byte as it was.
#[test]
fn sigterm_and_sigint_stop_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("signals");
    seed(&key, &["fast", "slow"]);
    let endpoint = &dynamodb_local().endpoint;
    for (command, sig, code) in [("ingest", "TERM", 143), ("profile", "INT", 130)] {
        let out = dir.path().join(format!("{command}.jsonl"));
        let good = run(
            dir.path(),
            command,
            &workflow_for(command, endpoint, &key, &out),
        );
        assert_eq!(good.code, 0, "{}", good.output());
        let before = std::fs::read(&out).unwrap();
        let proxy = FaultProxy::start_with_stalls(
            endpoint,
            Vec::new(),
            vec![Stall {
                operation: "Scan".into(),
                table: "slow".into(),
            }],
        );
        let child = spawn(
            dir.path(),
            command,
            &workflow_for(command, &proxy.endpoint, &key, &out),
        );
        assert!(
            proxy.wait_for_stalled(1, PATIENCE),
            "{command} never reached the scan of `slow`"
        );
        assert_eq!(
            temp_files(dir.path()).len(),
            1,
            "{command} is writing its temporary file"
        );
        signal(&child, sig);
        let output = child.wait_with_output().unwrap();
        proxy.release();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{command}: {stderr}");
        assert!(
            stderr.contains(&format!("stopped by SIG{sig}")),
            "{command}: {stderr}"
        );
        assert!(
            temp_files(dir.path()).is_empty(),
            "{command}: temporary file left: {:?}",
            temp_files(dir.path())
        );
        assert_eq!(
            std::fs::read(&out).unwrap(),
            before,
            "{command}: output changed"
        );
    }
}

/// A second run on an output a first run is writing fails at once with exit 2; the
/// first finishes and writes it; after it, the output can be written again.
#[test]
fn a_second_run_on_the_same_output_fails_fast() {
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("locking");
    seed(&key, &["alpha", "slow"]);
    let endpoint = &dynamodb_local().endpoint;
    let proxy = FaultProxy::start_with_stalls(
        endpoint,
        Vec::new(),
        vec![Stall {
            operation: "Scan".into(),
            table: "slow".into(),
        }],
    );
    let out = dir.path().join("out.jsonl");
    let mut first = spawn(
        dir.path(),
        "ingest",
        &workflow_for("ingest", &proxy.endpoint, &key, &out),
    );
    assert!(
        proxy.wait_for_stalled(1, PATIENCE),
        "first run never scanned"
    );
    let second = run(
        dir.path(),
        "ingest",
        &workflow_for("ingest", endpoint, &key, &out),
    );
    assert_eq!(second.code, 2, "{}", second.output());
    assert!(
        second.stderr.contains(&format!(
            "another dynameta run (pid {}) is writing",
            first.id()
        )),
        "{}",
        second.stderr
    );
    // Failed fast: it ended while the first run is still held in its scan, so it
    // never waited for the first run's lock.
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first run ended before the second"
    );
    assert!(!out.exists(), "the second run wrote the output");

    proxy.release();
    let first = first.wait_with_output().unwrap();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(table_names(&records(&out)), ["alpha", "slow"]);
    let third = run(
        dir.path(),
        "ingest",
        &workflow_for("ingest", endpoint, &key, &out),
    );
    assert_eq!(third.code, 0, "lock released: {}", third.output());
}

/// Special files an output must never replace, made in `dir`: a FIFO, a link to a
/// device, a socket (its listener is returned: the socket exists while it lives), a
/// directory and a dangling link, each with the words its refusal uses.
#[cfg(unix)]
fn special_targets(
    dir: &Path,
) -> (
    Vec<(PathBuf, &'static str)>,
    std::os::unix::net::UnixListener,
) {
    let fifo = dir.join("fifo.out");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let to_null = dir.join("null.out");
    std::os::unix::fs::symlink("/dev/null", &to_null).unwrap();
    let socket = dir.join("socket.out");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let a_dir = dir.join("dir.out");
    std::fs::create_dir(&a_dir).unwrap();
    let dangling = dir.join("dangling.out");
    std::os::unix::fs::symlink(dir.join("nowhere/x"), &dangling).unwrap();
    let targets = vec![
        (fifo, "is a named pipe (FIFO), not a regular file"),
        (PathBuf::from("/dev/null"), "is a character device"),
        (to_null, "is a symbolic link to a character device"),
        (socket, "is a socket, not a regular file"),
        (a_dir, "is a directory"),
        (dangling, "which does not exist"),
        (dir.join("missing/x.out"), "directory does not exist"),
    ];
    (targets, listener)
}

/// Asserts that what `special_targets` made is still what it was.
#[cfg(unix)]
fn assert_untouched(dir: &Path) {
    use std::os::unix::fs::FileTypeExt;
    let kind = |name: &str| {
        std::fs::symlink_metadata(dir.join(name))
            .unwrap()
            .file_type()
    };
    assert!(kind("fifo.out").is_fifo());
    assert!(kind("null.out").is_symlink());
    assert!(kind("socket.out").is_socket());
    assert!(kind("dangling.out").is_symlink());
    assert_eq!(std::fs::read_dir(dir.join("dir.out")).unwrap().count(), 0);
    assert!(!dir.join("missing").exists());
    assert!(!dir.join("nowhere").exists());
    assert!(temp_files(dir).is_empty(), "{:?}", temp_files(dir));
}

/// `report --out` follows the file sink's rules: a FIFO, a device, a socket, a
/// directory, a dangling link, a missing directory and the catalog itself (by name, by
/// `..`, by a link) are refused with exit 2 before the catalog is read, and the catalog
/// is byte for byte as it was; a link to a file is written through with its mode kept,
/// a new report is owner-only.
#[cfg(unix)]
#[test]
fn report_out_follows_the_output_rules() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dynameta.db");
    drop(dynameta_catalog::Catalog::open(&db).unwrap());
    let before = std::fs::read(&db).unwrap();
    let report = |catalog: &Path, out: &Path| {
        dynameta(
            &[
                "report",
                "--catalog",
                catalog.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            &[],
        )
    };
    let (mut targets, _socket) = special_targets(dir.path());
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let to_db = dir.path().join("db-link.html");
    std::os::unix::fs::symlink(&db, &to_db).unwrap();
    targets.push((db.clone(), "is the catalog"));
    targets.push((sub.join("../dynameta.db"), "is the catalog"));
    targets.push((to_db.clone(), "is the catalog"));
    for (out, expected) in &targets {
        let r = report(&db, out);
        assert_eq!(r.code, 2, "{out:?}: {}", r.output());
        assert!(
            r.stderr.contains("--out: ") && r.stderr.contains(expected),
            "{out:?}: {}",
            r.stderr
        );
        assert_eq!(
            std::fs::read(&db).unwrap(),
            before,
            "{out:?}: catalog changed"
        );
    }
    assert_untouched(dir.path());
    assert!(std::fs::symlink_metadata(&to_db).unwrap().is_symlink());

    // Refused before the catalog is read: a missing catalog is not what is reported.
    let r = report(&dir.path().join("no.db"), Path::new("/dev/null"));
    assert_eq!(r.code, 2, "{}", r.output());
    assert!(r.stderr.contains("--out: /dev/null"), "{}", r.stderr);

    // A link to a file: written through, the file's mode kept.
    let real = sub.join("real.html");
    std::fs::write(&real, "old").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("report-link.html");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let r = report(&db, &link);
    assert_eq!(r.code, 0, "{}", r.output());
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert!(std::fs::read_to_string(&real).unwrap().contains("<html"));
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640, "mode of the linked report: {mode:o}");
    assert!(temp_files(&sub).is_empty());

    let fresh = dir.path().join("fresh.html");
    assert_eq!(report(&db, &fresh).code, 0);
    let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600, "a new report holds table values: {mode:o}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

/// `profile --state-out` follows the same rules, and is never the workflow file, the
/// local catalog or the file sink's output of the workflow: all refused with exit 2
/// before any DynamoDB request. A link to a file is written through, its mode kept.
#[cfg(unix)]
#[test]
fn state_out_follows_the_output_rules() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("stateout");
    seed(&key, &["tab"]);
    let proxy = FaultProxy::start(&dynamodb_local().endpoint, Vec::new());
    let out = dir.path().join("profile.jsonl");
    std::fs::write(&out, "precious output\n").unwrap();
    let builder = builder_for("profile", &proxy.endpoint, &key, &out);
    let wf = write(dir.path(), "wf.yaml", &builder.yaml());
    let db = dir.path().join("catalog.db");
    std::fs::write(&db, "precious catalog").unwrap();
    let local_wf = write(
        dir.path(),
        "local.yaml",
        &builder.clone().local_sink(&db).yaml(),
    );
    let part = |wf: &Path, state: &Path| {
        dynameta(
            &[
                "profile",
                "-c",
                wf.to_str().unwrap(),
                "--part",
                "1/1",
                "--state-out",
                state.to_str().unwrap(),
            ],
            &[],
        )
    };
    let (targets, _socket) = special_targets(dir.path());
    for (state, expected) in &targets {
        let r = part(&wf, state);
        assert_eq!(r.code, 2, "{state:?}: {}", r.output());
        assert!(
            r.stderr.contains("--state-out: ") && r.stderr.contains(expected),
            "{state:?}: {}",
            r.stderr
        );
    }
    let workflow_text = std::fs::read(&wf).unwrap();
    for (wf, state, expected) in [
        (&wf, &wf, "is the workflow file"),
        (&wf, &out, "is the file sink's output"),
        (&local_wf, &db, "is the local catalog"),
    ] {
        let r = part(wf, state);
        assert_eq!(r.code, 2, "{state:?}: {}", r.output());
        assert!(r.stderr.contains(expected), "{state:?}: {}", r.stderr);
    }
    assert_eq!(proxy.requests(), 0, "DynamoDB was called");
    assert_untouched(dir.path());
    assert_eq!(std::fs::read(&wf).unwrap(), workflow_text);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious output\n");
    assert_eq!(std::fs::read_to_string(&db).unwrap(), "precious catalog");

    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let real = data.join("part-1.json");
    std::fs::write(&real, "old").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("state-link.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let r = part(&wf, &link);
    assert_eq!(r.code, 0, "{}", r.output());
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert!(std::fs::read_to_string(&real)
        .unwrap()
        .contains("dynameta-profile-state"));
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640, "mode of the linked state: {mode:o}");
    assert!(temp_files(&data).is_empty());

    // `profile merge` never writes its sink's output over a state file it merges.
    let state = std::fs::read(&real).unwrap();
    for (name, sink) in [
        ("file", TestSink::File(link.clone())),
        ("local", TestSink::Local(real.clone())),
    ] {
        let merge_wf = write(dir.path(), "merge.yaml", &builder.clone().sink(sink).yaml());
        let r = dynameta(
            &[
                "profile",
                "merge",
                "-c",
                merge_wf.to_str().unwrap(),
                real.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(r.code, 2, "{name}: {}", r.output());
        assert!(
            r.stderr.contains("is a state file being merged"),
            "{name}: {}",
            r.stderr
        );
        assert_eq!(std::fs::read(&real).unwrap(), state, "{name}");
    }
}

/// The local catalog's path is checked by the output rules in the sink's build step and
/// in its health check (one function): `test-connection` never passes a path `ingest`
/// then refuses.
#[cfg(unix)]
#[test]
fn test_connection_fails_the_catalog_paths_ingest_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("localpath");
    seed(&key, &["tab"]);
    let endpoint = &dynamodb_local().endpoint;
    let (targets, _socket) = special_targets(dir.path());
    let wf_path = dir.path().join("wf.yaml");
    let mut cases: Vec<(PathBuf, &str)> = targets;
    cases.push((wf_path.clone(), "is the workflow file"));
    for (path, expected) in cases {
        let yaml = builder_for("ingest", endpoint, &key, Path::new("unused"))
            .local_sink(&path)
            .yaml();
        let wf = write(dir.path(), "wf.yaml", &yaml);
        let tc = dynameta(&["test-connection", "-c", wf.to_str().unwrap()], &[]);
        assert_eq!(tc.code, 1, "{path:?}: {}", tc.output());
        let line = tc
            .stdout
            .lines()
            .find(|l| l.starts_with("Local catalog"))
            .unwrap_or_else(|| panic!("no Local catalog step: {}", tc.stdout));
        assert!(line.contains("FAIL"), "{path:?}: {}", tc.stdout);
        assert!(
            tc.stdout.contains("sink.config.path: ") && tc.stdout.contains(expected),
            "{path:?}: {}",
            tc.stdout
        );
        let ingest = dynameta(&["ingest", "-c", wf.to_str().unwrap()], &[]);
        assert_eq!(ingest.code, 2, "{path:?}: {}", ingest.output());
        assert!(
            ingest.stderr.contains(expected),
            "{path:?}: {}",
            ingest.stderr
        );
    }
    assert_untouched(dir.path());
}

/// What a hostile table puts in attribute names and values: a colour sequence, BEL,
/// BS, CR, a bidi override and a C1 CSI.
const HOSTILE: &str = "x\u{1b}[31m\u{7}\u{8}\r\u{202E}\u{9b}y";

/// No raw control or bidi character in `text` (line breaks aside).
fn assert_escaped(text: &str, what: &str) {
    let raw: Vec<char> = text
        .chars()
        .filter(|&c| c != '\n' && dynameta_fs::terminal::is_unsafe(c))
        .collect();
    assert!(raw.is_empty(), "{what}: raw {raw:?} in {text:?}");
}

/// Seeds table `name` keyed by `id` whose items have an attribute named after
/// [`HOSTILE`] holding it as a value (`extra` adds a second such attribute).
fn seed_hostile(key: &str, name: &str, extra: bool) {
    use aws_sdk_dynamodb::types::AttributeValue as AV;
    let (endpoint, key, name) = (
        dynamodb_local().endpoint.clone(),
        key.to_string(),
        name.to_string(),
    );
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
            if !extra {
                corpus::create_table(&client, &name, ("id", ScalarAttributeType::S), None).await;
            }
            let items = (0..5)
                .map(|i| {
                    let mut item = std::collections::HashMap::new();
                    item.insert("id".to_string(), AV::S(format!("id{i}{HOSTILE}")));
                    item.insert(format!("a{HOSTILE}"), AV::S(format!("v{HOSTILE}")));
                    if extra {
                        item.insert(format!("b{HOSTILE}"), AV::N(i.to_string()));
                    }
                    item
                })
                .collect();
            corpus::put_items(&client, &name, items).await;
        })
    })
    .join()
    .expect("seed the hostile table");
}

/// Control characters from table data are escaped in every human-readable output: the
/// run summary and logs, `show`, `diff`, the console sink and `classify --explain`.
#[test]
fn control_characters_from_table_data_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("escapes");
    seed_hostile(&key, "hostile", false);
    let endpoint = &dynamodb_local().endpoint;
    let db = dir.path().join("catalog.db");
    let builder = builder_for("ingest", endpoint, &key, Path::new("unused")).local_sink(&db);
    let wf = write(dir.path(), "wf.yaml", &builder.yaml());
    let wf = wf.to_str().unwrap();
    let first = dynameta(&["ingest", "-c", wf], &[]);
    assert_eq!(first.code, 0, "{}", first.output());
    assert_escaped(&first.stdout, "ingest summary");
    assert_escaped(&first.stderr, "ingest logs");
    seed_hostile(&key, "hostile", true);
    let second = dynameta(&["ingest", "-c", wf], &[]);
    assert_eq!(second.code, 0, "{}", second.output());

    let db = db.to_str().unwrap();
    let show = dynameta(&["show", "--catalog", db, "hostile"], &[]);
    assert_eq!(show.code, 0, "{}", show.output());
    assert_escaped(&show.stdout, "show");
    // (OpenMetadata's column names carry CR as `__reserved__carriage_return__`.)
    assert!(
        show.stdout.contains("ax\\u{1b}[31m\\u{7}\\u{8}")
            && show.stdout.contains("\\u{202e}\\u{9b}y"),
        "{}",
        show.stdout
    );
    let diff = dynameta(&["diff", "--catalog", db], &[]);
    assert_eq!(diff.code, 1, "changes: {}", diff.output());
    assert_escaped(&diff.stdout, "diff");
    assert!(
        diff.stdout.contains("+ attribute bx\\u{1b}[31m"),
        "{}",
        diff.stdout
    );
    let missing = dynameta(&["show", "--catalog", db, HOSTILE], &[]);
    assert_eq!(missing.code, 2, "{}", missing.output());
    assert_escaped(&missing.stderr, "show's error");

    let console = write(
        dir.path(),
        "console.yaml",
        &builder.clone().sink(TestSink::Console).yaml(),
    );
    let console = dynameta(&["ingest", "-c", console.to_str().unwrap()], &[]);
    assert_eq!(console.code, 0, "{}", console.output());
    assert!(console.stdout.contains("hostile  ("), "{}", console.stdout);
    assert_escaped(&console.stdout, "console sink");
    assert_escaped(&console.stderr, "console sink logs");

    let classify = write(
        dir.path(),
        "classify.yaml",
        &builder.clone().pipeline("AutoClassification").yaml(),
    );
    let explain = dynameta(
        &[
            "classify",
            "-c",
            classify.to_str().unwrap(),
            "--explain",
            "hostile",
        ],
        &[],
    );
    assert_eq!(explain.code, 0, "{}", explain.output());
    assert!(explain.stdout.contains("ax\\u{1b}"), "{}", explain.stdout);
    assert_escaped(&explain.stdout, "--explain");
    assert_escaped(&explain.stderr, "--explain logs");
}

/// `show --from`, `publish --from` and `-c` refuse a FIFO (and other special files) at
/// once instead of blocking.
#[cfg(unix)]
#[test]
fn named_inputs_refuse_a_fifo_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.jsonl");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for from in [fifo.as_path(), Path::new("/dev/zero"), dir.path()] {
        let r = dynameta(&["show", "--from", from.to_str().unwrap(), "t"], &[]);
        assert_eq!(r.code, 2, "{from:?}: {}", r.output());
        assert!(
            r.stderr.contains("not a regular file"),
            "{from:?}: {}",
            r.stderr
        );
    }
    let yaml = workflow(
        "http://127.0.0.1:9",
        "AKIA",
        "",
        "",
        Path::new("unused.jsonl"),
    );
    let wf = write(dir.path(), "wf.yaml", &to_rest(&yaml, "http://127.0.0.1:9"));
    let r = dynameta(
        &[
            "publish",
            "-c",
            wf.to_str().unwrap(),
            "--from",
            fifo.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(r.code, 2, "{}", r.output());
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    let r = dynameta(&["ingest", "-c", fifo.to_str().unwrap()], &[]);
    assert_eq!(r.code, 2, "{}", r.output());
    assert!(r.stderr.contains("a named pipe (FIFO)"), "{}", r.stderr);
}
