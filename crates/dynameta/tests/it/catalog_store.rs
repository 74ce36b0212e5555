//! Issue 21 on the local catalog through the binary: runs that overlap in one catalog,
//! readers that never write, a partial run, a stopped run, what a run summary records,
//! retention, and refusing a file that is not a catalog.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use dynameta_catalog::{Catalog, RunStatus};
use dynameta_testkit::fault_proxy::{Fault, FaultProxy, Stall};
use dynameta_testkit::{dynamodb_local, unique_access_key};

use super::support::*;

const PATIENCE: Duration = Duration::from_secs(120);

/// A workflow of `command` for `endpoint` into the local catalog `db`.
fn local_workflow(command: &str, endpoint: &str, key: &str, db: &Path, extra: &str) -> String {
    let kind = match command {
        "profile" => "Profiler",
        "classify" => "AutoClassification",
        _ => "DatabaseMetadata",
    };
    WorkflowBuilder::new(endpoint, key)
        .connection_argument("requestTimeoutSeconds", "600")
        .pipeline(kind)
        .local_sink(db)
        .workflow_config_lines(extra)
        .yaml()
}

fn run_in(dir: &Path, command: &str, yaml: &str) -> Run {
    let wf = write(dir, &format!("{command}.yaml"), yaml);
    dynameta(&[command, "-c", wf.to_str().unwrap(), "--quiet"], &[])
}

fn spawn_in(dir: &Path, command: &str, yaml: &str) -> std::process::Child {
    let wf = write(dir, &format!("{command}-bg.yaml"), yaml);
    Command::new(env!("CARGO_BIN_EXE_dynameta"))
        .args([command, "-c", wf.to_str().unwrap(), "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dynameta")
}

fn runs(db: &Path) -> Vec<(String, RunStatus, serde_json::Value)> {
    Catalog::open_existing(db)
        .unwrap()
        .runs()
        .unwrap()
        .into_iter()
        .map(|r| (r.command, r.status, r.summary.unwrap_or_default()))
        .collect()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// An ingest held mid-run (its scan of `slow` stalled by the proxy) and a profile run
/// into the same, new, catalog: the profile finishes while the ingest is inside, then
/// the ingest finishes; neither loses, and both are recorded as succeeded.
#[test]
fn overlapping_ingest_and_profile_into_one_new_catalog_both_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("overlap");
    create_tables(&key, &["alpha", "slow"]);
    let endpoint = &dynamodb_local().endpoint;
    let db = dir.path().join("catalog.db");
    let proxy = FaultProxy::start_with_stalls(
        endpoint,
        Vec::new(),
        vec![Stall {
            operation: "Scan".into(),
            table: "slow".into(),
        }],
    );
    let ingest = spawn_in(
        dir.path(),
        "ingest",
        &local_workflow("ingest", &proxy.endpoint, &key, &db, ""),
    );
    assert!(proxy.wait_for_stalled(1, PATIENCE), "ingest never scanned");
    let profile = run_in(
        dir.path(),
        "profile",
        &local_workflow("profile", endpoint, &key, &db, ""),
    );
    assert_eq!(profile.code, 0, "{}", profile.output());
    proxy.release();
    let ingest = ingest.wait_with_output().unwrap();
    assert_eq!(
        ingest.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ingest.stderr)
    );
    let recorded: Vec<(String, RunStatus)> =
        runs(&db).into_iter().map(|(c, s, _)| (c, s)).collect();
    assert_eq!(
        recorded,
        [
            ("ingest".to_string(), RunStatus::Succeeded),
            ("profile".to_string(), RunStatus::Succeeded)
        ]
    );
}

/// SIGTERM while the run is inside: recorded as stopped (not `running` for ever), the
/// previous state untouched.
#[test]
fn a_run_stopped_by_sigterm_is_recorded_as_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("stopped");
    create_tables(&key, &["alpha", "slow"]);
    let endpoint = &dynamodb_local().endpoint;
    let db = dir.path().join("catalog.db");
    let good = run_in(
        dir.path(),
        "ingest",
        &local_workflow("ingest", endpoint, &key, &db, ""),
    );
    assert_eq!(good.code, 0, "{}", good.output());
    let proxy = FaultProxy::start_with_stalls(
        endpoint,
        Vec::new(),
        vec![Stall {
            operation: "Scan".into(),
            table: "slow".into(),
        }],
    );
    let child = spawn_in(
        dir.path(),
        "ingest",
        &local_workflow("ingest", &proxy.endpoint, &key, &db, ""),
    );
    assert!(proxy.wait_for_stalled(1, PATIENCE), "ingest never scanned");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    proxy.release();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("recorded as stopped"), "{stderr}");
    let statuses: Vec<RunStatus> = runs(&db).into_iter().map(|(_, s, _)| s).collect();
    assert_eq!(statuses, [RunStatus::Succeeded, RunStatus::Stopped]);
    let cat = Catalog::open_existing(&db).unwrap();
    assert_eq!(cat.current_tables().unwrap().len(), 2);
}

/// A run that succeeds by `successThreshold` with one table refused: that table keeps
/// its previous snapshot (in report, show and diff), the summary recorded with the run
/// counts what was written.
#[test]
fn a_partial_run_keeps_the_previous_snapshot_of_the_failed_table() {
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("partial");
    create_tables(&key, &["tbl_0", "tbl_1", "tbl_2", "tbl_3"]);
    let endpoint = &dynamodb_local().endpoint;
    let db = dir.path().join("catalog.db");
    let first = run_in(
        dir.path(),
        "ingest",
        &local_workflow("ingest", endpoint, &key, &db, ""),
    );
    assert_eq!(first.code, 0, "{}", first.output());
    let proxy = FaultProxy::start(
        endpoint,
        vec![Fault {
            operation: "DescribeTable".into(),
            table: "tbl_1".into(),
            status: 400,
            code: "AccessDeniedException".into(),
        }],
    );
    let partial = run_in(
        dir.path(),
        "ingest",
        &local_workflow(
            "ingest",
            &proxy.endpoint,
            &key,
            &db,
            "  successThreshold: 70\n",
        ),
    );
    assert_eq!(partial.code, 0, "{}", partial.output());
    assert!(
        partial.output().contains("keep their previous snapshot"),
        "{}",
        partial.output()
    );
    let recorded = runs(&db);
    assert_eq!(recorded[1].1, RunStatus::Succeeded);
    assert_eq!(
        recorded[1].2["recordsWritten"],
        recorded[1].2["recordsWritten"]
    );
    assert!(
        recorded[0].2["recordsWritten"].as_u64().unwrap() > 0,
        "{:?}",
        recorded[0].2
    );
    assert_eq!(recorded[1].2["tablesKeptFromPreviousRun"], 1);
    let cat = Catalog::open_existing(&db).unwrap();
    assert_eq!(cat.current_tables().unwrap().len(), 4);
    drop(cat);
    let diff = dynameta(&["diff", "--catalog", db.to_str().unwrap()], &[]);
    assert_eq!(diff.code, 0, "{}", diff.output());
    let show = dynameta(&["show", "--catalog", db.to_str().unwrap(), "tbl_1"], &[]);
    assert_eq!(show.code, 0, "{}", show.output());
    // Unchanged: presence threshold 0 reports no change either.
    let diff = dynameta(
        &[
            "diff",
            "--catalog",
            db.to_str().unwrap(),
            "--presence-threshold",
            "0",
        ],
        &[],
    );
    assert_eq!(diff.code, 0, "{}", diff.output());
}

/// report, diff and show refuse an SQLite file that is not a catalog (exit 2, file
/// byte for byte the same, nothing created beside it), and a damaged catalog (exit 2).
#[test]
fn readers_refuse_a_foreign_or_damaged_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("app.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    let before = std::fs::read(&foreign).unwrap();
    let out = dir.path().join("report.html");
    let path = foreign.to_str().unwrap();
    for args in [
        vec!["report", "--catalog", path, "--out", out.to_str().unwrap()],
        vec!["diff", "--catalog", path],
        vec!["show", "--catalog", path, "notes"],
    ] {
        let run = dynameta(&args, &[]);
        assert_eq!(run.code, 2, "{args:?}: {}", run.output());
        assert!(
            run.stderr.contains("not a dynameta catalog"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(std::fs::read(&foreign).unwrap(), before);
    assert_eq!(files_in(dir.path()), ["app.db"]);

    // A catalog whose pages were overwritten.
    let db = dir.path().join("damaged.db");
    {
        let mut cat = Catalog::open(&db).unwrap();
        let run = cat.begin_run("ingest", "svc", "t").unwrap();
        cat.finish_run(run, RunStatus::Succeeded, &serde_json::json!({}))
            .unwrap();
    }
    let mut bytes = std::fs::read(&db).unwrap();
    let page = 4096.min(bytes.len() / 2);
    for b in &mut bytes[page..] {
        *b = 0x5a;
    }
    std::fs::write(&db, bytes).unwrap();
    for args in [
        vec![
            "report",
            "--catalog",
            db.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        vec!["diff", "--catalog", db.to_str().unwrap()],
    ] {
        let run = dynameta(&args, &[]);
        assert_eq!(run.code, 2, "{args:?}: {}", run.output());
    }
}

/// A catalog in a directory the reader cannot write (run as `nobody` through setpriv,
/// since root ignores permissions): report, diff and show read it, say how, and create
/// nothing beside it.
#[cfg(unix)]
#[test]
fn readers_read_a_catalog_in_a_read_only_directory() {
    use std::os::unix::fs::PermissionsExt;
    let setpriv = Path::new("/usr/bin/setpriv");
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let base = tempfile::tempdir().unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let ro = base.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let db = ro.join("catalog.db");
    {
        let mut cat = Catalog::open(&db).unwrap();
        let run = cat.begin_run("ingest", "svc", "t").unwrap();
        cat.finish_run(run, RunStatus::Succeeded, &serde_json::json!({}))
            .unwrap();
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out_dir = base.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::set_permissions(&out_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let before = std::fs::read(&db).unwrap();
    let bin = env!("CARGO_BIN_EXE_dynameta");
    let as_reader = |args: &[&str]| -> Run {
        let mut cmd = if root && setpriv.exists() {
            let mut c = Command::new(setpriv);
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
            c
        } else {
            Command::new(bin)
        };
        let out = cmd.args(args).output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: Duration::ZERO,
        }
    };
    let path = db.to_str().unwrap();
    let report = out_dir.join("report.html");
    for args in [
        vec![
            "report",
            "--catalog",
            path,
            "--out",
            report.to_str().unwrap(),
        ],
        vec!["diff", "--catalog", path],
    ] {
        let run = as_reader(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.output());
        if root && setpriv.exists() {
            assert!(
                run.stderr.contains("read without locking (as immutable)"),
                "{args:?}: {}",
                run.stderr
            );
        }
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert_eq!(files_in(&ro), ["catalog.db"]);
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `catalog prune --keep-runs N` drops old runs but never the current state.
#[test]
fn prune_keeps_the_current_state() {
    let dir = tempfile::tempdir().unwrap();
    let key = unique_access_key("prune");
    create_tables(&key, &["alpha"]);
    let endpoint = &dynamodb_local().endpoint;
    let db = dir.path().join("catalog.db");
    for _ in 0..4 {
        let run = run_in(
            dir.path(),
            "ingest",
            &local_workflow("ingest", endpoint, &key, &db, ""),
        );
        assert_eq!(run.code, 0, "{}", run.output());
    }
    let prune = dynameta(
        &[
            "catalog",
            "prune",
            "--catalog",
            db.to_str().unwrap(),
            "--keep-runs",
            "1",
        ],
        &[],
    );
    assert_eq!(prune.code, 0, "{}", prune.output());
    // Run 1 began the table's schema version and run 3 is what diff compares run 4
    // with: only run 2 goes.
    assert!(
        prune
            .stdout
            .contains("removed 1 of 4 runs (kept the latest 1 and 2 older ones"),
        "{}",
        prune.stdout
    );
    let show = dynameta(&["show", "--catalog", db.to_str().unwrap(), "alpha"], &[]);
    assert_eq!(show.code, 0, "{}", show.output());
    let zero = dynameta(
        &[
            "catalog",
            "prune",
            "--catalog",
            db.to_str().unwrap(),
            "--keep-runs",
            "0",
        ],
        &[],
    );
    assert_eq!(zero.code, 2, "{}", zero.output());
    let missing = dynameta(
        &[
            "catalog",
            "prune",
            "--catalog",
            dir.path().join("no.db").to_str().unwrap(),
            "--keep-runs",
            "3",
        ],
        &[],
    );
    assert_eq!(missing.code, 2, "{}", missing.output());
    assert!(!dir.path().join("no.db").exists());
}
