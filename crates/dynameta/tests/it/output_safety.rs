//! What the file sink promises about its output: a failed, interrupted or concurrent
//! run never replaces (or destroys) a good output, unsafe targets are refused before
//! any DynamoDB work, permissions and symbolic links are kept.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    let yaml = workflow(endpoint, key, "        requestTimeoutSeconds: 600", "", out);
    let kind = match command {
        "profile" => "Profiler",
        "classify" => "AutoClassification",
        _ => "DatabaseMetadata",
    };
    yaml.replace("type: DatabaseMetadata", &format!("type: {kind}"))
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
/// mode (0600 stays 0600); a new file gets the umask's mode.
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
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
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
    assert_eq!(mode, 0o600, "mode of the output: {mode:o}");
    assert!(temp_files(&data).is_empty());

    let fresh = dir.path().join("fresh.jsonl");
    let wf = write(
        dir.path(),
        "fresh.yaml",
        &workflow_for("ingest", endpoint, &key, &fresh),
    );
    let status = Command::new("sh")
        .arg("-c")
        .arg("umask 027 && exec \"$0\" ingest -c \"$1\" -q")
        .arg(env!("CARGO_BIN_EXE_dynameta"))
        .arg(&wf)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640, "new file under umask 027: {mode:o}");
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
    let first = spawn(
        dir.path(),
        "ingest",
        &workflow_for("ingest", &proxy.endpoint, &key, &out),
    );
    assert!(
        proxy.wait_for_stalled(1, PATIENCE),
        "first run never scanned"
    );
    let started = Instant::now();
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
    assert!(started.elapsed() < PATIENCE);
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
