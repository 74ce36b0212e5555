//! Issue 21 on the catalog itself: stored by change, bounded reads, retention, writers
//! that wait for each other, readers that never write, partial runs, and the upgrade of
//! a version 1 catalog through version 2 to 3.
// Test code: a failed unwrap is a failed test (helpers outside `#[test]` too).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use dynameta_catalog::diff::DiffOptions;
use dynameta_catalog::{
    Catalog, CatalogError, Column, KeyAttr, RunStatus, TableProfile, TableRef, TableSnapshot,
    APPLICATION_ID, SCHEMA_VERSION,
};
use serde_json::json;

fn table(name: &str) -> TableRef {
    TableRef {
        fqn: format!("svc.default.default.{name}"),
        service: "svc".into(),
        database: "default".into(),
        schema: "default".into(),
        name: name.into(),
    }
}

fn snapshot(name: &str, columns: &[&str]) -> TableSnapshot {
    TableSnapshot {
        table: table(name),
        keys: vec![KeyAttr {
            name: "id".into(),
            role: "HASH".into(),
            attribute_type: "S".into(),
        }],
        indexes: vec![],
        billing: Some("PAY_PER_REQUEST".into()),
        item_count: Some(10),
        size_bytes: Some(1000),
        ttl: Some("disabled".into()),
        stream: Some("disabled".into()),
        properties: json!({"tableClass": "STANDARD"}),
        columns: columns
            .iter()
            .map(|c| Column {
                name: (*c).into(),
                data_type: "STRING".into(),
                display_type: "string".into(),
                presence: Some(1.0),
                types: BTreeMap::new(),
                children: vec![],
                original_name: None,
            })
            .collect(),
    }
}

fn tables(n: usize) -> Vec<TableSnapshot> {
    (0..n)
        .map(|i| snapshot(&format!("t{i:03}"), &["id", "name", "email", "address"]))
        .collect()
}

fn ingest(cat: &mut Catalog, snaps: &[TableSnapshot], status: RunStatus) -> i64 {
    let run = cat.begin_run("ingest", "svc", "test").unwrap();
    let names: Vec<String> = snaps.iter().map(|t| t.table.name.clone()).collect();
    cat.record_listing(run, "svc.default.default", &names)
        .unwrap();
    for t in snaps {
        cat.write_snapshot(run, t).unwrap();
    }
    cat.finish_run(run, status, &json!({})).unwrap();
    run.0
}

fn count(path: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

fn checkpointed_size(path: &Path) -> u64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    std::fs::metadata(path).unwrap().len()
}

fn sha(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn unchanged_runs_cost_a_reference_and_changes_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let mut cat = Catalog::open(&path).unwrap();
    let snaps = tables(50);
    ingest(&mut cat, &snaps, RunStatus::Succeeded);
    drop(cat);
    let one = checkpointed_size(&path);
    let mut cat = Catalog::open(&path).unwrap();
    for _ in 0..60 {
        ingest(&mut cat, &snaps, RunStatus::Succeeded);
    }
    drop(cat);
    // One stored snapshot per table and one table set for all 61 runs.
    assert_eq!(count(&path, "SELECT COUNT(*) FROM snapshot_bodies"), 50);
    assert_eq!(count(&path, "SELECT COUNT(*) FROM manifests"), 1);
    let many = checkpointed_size(&path);
    assert!(
        many <= one + one / 2,
        "60 unchanged runs grew the catalog from {one} to {many} bytes"
    );
    // One table changes: one new snapshot, one new table set; history shows it once.
    let mut cat = Catalog::open(&path).unwrap();
    let mut changed = snaps.clone();
    changed[7] = snapshot("t007", &["id", "name", "email", "address", "phone"]);
    let run = ingest(&mut cat, &changed, RunStatus::Succeeded);
    assert_eq!(count(&path, "SELECT COUNT(*) FROM snapshot_bodies"), 51);
    assert_eq!(count(&path, "SELECT COUNT(*) FROM manifests"), 2);
    let history = cat.snapshots_of_table(&table("t007").fqn).unwrap();
    assert_eq!(
        history.iter().map(|s| s.run_id).collect::<Vec<_>>(),
        [1, run]
    );
    assert_eq!(cat.runs_seeing(&table("t007").fqn).unwrap(), (62, Some(1)));
    let diff = cat.diff(DiffOptions::default()).unwrap();
    assert_eq!(diff.changes.len(), 1, "{}", diff.render_text());
    assert_eq!(
        cat.latest_snapshot(&table("t007").fqn)
            .unwrap()
            .unwrap()
            .snapshot
            .columns
            .len(),
        5
    );
}

#[test]
fn history_reads_are_bounded_windows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let mut cat = Catalog::open(&path).unwrap();
    // 30 schema changes and 60 profiles of one table.
    for i in 0..30 {
        let cols: Vec<String> = (0..=i).map(|c| format!("c{c}")).collect();
        let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
        ingest(&mut cat, &[snapshot("t", &cols)], RunStatus::Succeeded);
    }
    for i in 0..60 {
        let run = cat.begin_run("profile", "svc", "test").unwrap();
        cat.write_profile(
            run,
            &TableProfile {
                table: table("t"),
                table_profile: serde_json::from_value(json!({"timestamp": 0, "rowCount": i}))
                    .unwrap(),
                columns: Vec::new(),
                details: json!({}),
            },
        )
        .unwrap();
        cat.finish_run(run, RunStatus::Succeeded, &json!({}))
            .unwrap();
    }
    let fqn = table("t").fqn;
    let history = cat.snapshots_of_table(&fqn).unwrap();
    assert_eq!(history.len(), dynameta_catalog::read::SNAPSHOT_WINDOW);
    assert_eq!(history.last().unwrap().snapshot.columns.len(), 30);
    let profiles = cat.profiles(&fqn).unwrap();
    assert_eq!(profiles.len(), dynameta_catalog::read::PROFILE_WINDOW);
    assert_eq!(profiles.last().unwrap().table_profile.row_count, Some(59.0));
    let html = cat.report_html().unwrap();
    assert!(html.contains("90 runs recorded (the latest 50 listed)"));
}

#[test]
fn prune_keeps_the_current_view_and_frees_space() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let mut cat = Catalog::open(&path).unwrap();
    // Run 1 ingests; then 40 runs of profile of another table, each a new profile.
    ingest(&mut cat, &tables(5), RunStatus::Succeeded);
    for i in 0..40 {
        let run = cat.begin_run("profile", "svc", "test").unwrap();
        cat.write_profile(
            run,
            &TableProfile {
                table: table("t000"),
                table_profile: serde_json::from_value(json!({"timestamp": 0, "rowCount": i}))
                    .unwrap(),
                columns: Vec::new(),
                details: json!({"pad": "x".repeat(4000)}),
            },
        )
        .unwrap();
        cat.finish_run(run, RunStatus::Succeeded, &json!({}))
            .unwrap();
    }
    let before_html = cat.table_view("t001").unwrap().snapshot;
    let done = cat.prune(3).unwrap();
    assert_eq!(done.runs_before, 41);
    // The 3 latest profile runs, and the ingest run the current view needs.
    assert_eq!(done.runs_removed, 37);
    assert_eq!(done.kept_for_state, 1);
    assert!(done.bytes_after < done.bytes_before, "{done:?}");
    assert_eq!(cat.current_tables().unwrap().len(), 5);
    assert_eq!(cat.table_view("t001").unwrap().snapshot, before_html);
    assert_eq!(cat.profiles(&table("t000").fqn).unwrap().len(), 3);
    // Later runs still store by change against what was kept.
    ingest(&mut cat, &tables(5), RunStatus::Succeeded);
    assert_eq!(count(&path, "SELECT COUNT(*) FROM snapshot_bodies"), 5);
    assert!(!cat.diff(DiffOptions::default()).unwrap().changed);
}

#[test]
fn a_partial_run_keeps_the_previous_snapshot_of_the_tables_it_could_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let mut cat = Catalog::open(&path).unwrap();
    let all = tables(3);
    ingest(&mut cat, &all, RunStatus::Succeeded);
    // Run 2 lists all three, reads two (t001 failed), and succeeds by the policy.
    let run = read_all_but_the_second(&mut cat, &all);
    assert_eq!(cat.carry_forward(run, &["t001".to_string()]).unwrap(), 1);
    cat.finish_run(run, RunStatus::Succeeded, &json!({}))
        .unwrap();
    assert_eq!(cat.current_tables().unwrap().len(), 3);
    let kept = cat.latest_snapshot(&table("t001").fqn).unwrap().unwrap();
    assert!(kept.carried);
    assert_eq!(kept.run_id, run.0);
    let diff = cat.diff(DiffOptions::default()).unwrap();
    assert!(!diff.changed, "{}", diff.render_text());
}

#[test]
fn a_table_that_failed_is_kept_when_named_by_its_full_name() {
    // An estate run names its failed tables by FQN (`svc.<account>.<region>.<table>`).
    let dir = tempfile::tempdir().unwrap();
    let mut cat = Catalog::open(&dir.path().join("c.db")).unwrap();
    let all = tables(3);
    ingest(&mut cat, &all, RunStatus::Succeeded);
    let run = read_all_but_the_second(&mut cat, &all);
    let fqn = table("t001").fqn;
    assert_eq!(
        cat.carry_forward(run, std::slice::from_ref(&fqn)).unwrap(),
        1
    );
    cat.finish_run(run, RunStatus::Succeeded, &json!({}))
        .unwrap();
    assert_eq!(cat.current_tables().unwrap().len(), 3);
    assert!(cat.latest_snapshot(&fqn).unwrap().unwrap().carried);
}

#[test]
fn a_schema_that_could_not_be_read_keeps_every_table_it_had() {
    // A run over several accounts and regions whose pair `default/default` failed as a
    // whole (its role could not be assumed): no table of it is named, its schema is.
    let dir = tempfile::tempdir().unwrap();
    let mut cat = Catalog::open(&dir.path().join("c.db")).unwrap();
    let all = tables(3);
    ingest(&mut cat, &all, RunStatus::Succeeded);
    let run = cat.begin_run("ingest", "svc", "test").unwrap();
    let other = [("default".to_string(), "elsewhere".to_string())];
    assert_eq!(cat.carry_forward_schemas(run, &other).unwrap(), 0);
    let failed = [("default".to_string(), "default".to_string())];
    assert_eq!(cat.carry_forward_schemas(run, &failed).unwrap(), 3);
    cat.finish_run(run, RunStatus::Succeeded, &json!({}))
        .unwrap();
    assert_eq!(cat.current_tables().unwrap().len(), 3);
    for t in &all {
        assert!(cat.latest_snapshot(&t.table.fqn).unwrap().unwrap().carried);
    }
    assert!(!cat.diff(DiffOptions::default()).unwrap().changed);
}

#[test]
fn a_second_writer_waits_for_the_first_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let mut cat = Catalog::open(&path).unwrap();
    ingest(&mut cat, &tables(2), RunStatus::Succeeded);
    let run = cat.begin_run("ingest", "svc", "test").unwrap();
    // Another writer holds the write lock and commits a change while we wait: with a
    // deferred transaction, our read snapshot would then be stale and fail at once.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE;").unwrap();
    other
        .execute(
            "INSERT INTO runs (command, service, tool_version) VALUES ('profile', 'svc', 'x')",
            [],
        )
        .unwrap();
    let waits = dynameta_catalog::writer_waits();
    let writer = std::thread::spawn(move || {
        let result = cat.write_snapshot(run, &snapshot("t000", &["id", "new"]));
        (cat, result)
    });
    while dynameta_catalog::writer_waits() == waits {
        std::thread::yield_now();
    }
    other.execute_batch("COMMIT;").unwrap();
    let (mut cat, result) = writer.join().unwrap();
    result.unwrap();
    cat.finish_run(run, RunStatus::Succeeded, &json!({}))
        .unwrap();
    assert_eq!(cat.snapshots_of_run(run.0).unwrap().len(), 1);
}

#[test]
fn two_writers_creating_one_catalog_both_get_it() {
    // Both open a new file at once: one migrates, the other waits and finds it done.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (path, barrier) = (path.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let mut cat = Catalog::open(&path)?;
                let run = cat.begin_run("ingest", "svc", "test")?;
                cat.finish_run(run, RunStatus::Succeeded, &json!({}))
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    assert_eq!(count(&path, "SELECT COUNT(*) FROM runs"), 2);
}

#[test]
fn readers_never_write_and_refuse_a_foreign_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("app.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    let before = sha(&foreign);
    let err = Catalog::open_existing(&foreign).err().unwrap();
    assert!(matches!(err, CatalogError::NotACatalog { .. }), "{err}");
    assert!(err.is_damage());
    // A writer refuses it too, rather than adding catalog tables to it.
    let err = Catalog::open(&foreign).err().unwrap();
    assert!(matches!(err, CatalogError::NotACatalog { .. }), "{err}");
    assert_eq!(sha(&foreign), before);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["app.db"]);

    // An old catalog: read (through an upgraded copy), never migrated by a reader.
    let old = dir.path().join("v1.db");
    rusqlite::Connection::open(&old)
        .unwrap()
        .execute_batch(include_str!("fixtures/catalog-v1.sql"))
        .unwrap();
    let before = sha(&old);
    let cat = Catalog::open_existing(&old).unwrap();
    assert_eq!(cat.current_tables().unwrap().len(), 1);
    assert!(
        cat.notes()[0].contains("schema version 1"),
        "{:?}",
        cat.notes()
    );
    cat.report_html().unwrap();
    drop(cat);
    assert_eq!(sha(&old), before);
    assert_eq!(count(&old, "PRAGMA user_version"), 1);
}

#[test]
fn a_version_1_catalog_goes_through_2_to_3_keeping_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(include_str!("fixtures/catalog-v1.sql"))
        .unwrap();
    let cat = Catalog::open(&path).unwrap();
    assert_eq!(cat.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(cat.runs().unwrap().len(), 4);
    // Run 1 saw users and old, run 3 users (changed), run 4 (killed) users.
    let fqns = |run| -> Vec<String> {
        cat.snapshots_of_run(run)
            .unwrap()
            .into_iter()
            .map(|s| s.snapshot.table.name)
            .collect()
    };
    assert_eq!(fqns(1), ["old", "users"]);
    assert_eq!(fqns(3), ["users"]);
    assert_eq!(cat.listing(1).unwrap().len(), 2);
    assert_eq!(cat.current_tables().unwrap().len(), 1);
    drop(cat);
    assert_eq!(
        count(&path, "PRAGMA application_id"),
        i64::from(APPLICATION_ID)
    );
    assert_eq!(
        count(
            &path,
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'snapshots'"
        ),
        0
    );
}

#[cfg(unix)]
#[test]
fn a_new_catalog_is_owner_only_and_an_existing_ones_mode_is_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let mut cat = Catalog::open(&path).unwrap();
    ingest(&mut cat, &tables(1), RunStatus::Succeeded);
    for file in ["c.db", "c.db-wal", "c.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    drop(cat);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let cat = Catalog::open(&path).unwrap();
    drop(cat);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[test]
fn presence_threshold_zero_reports_no_change_on_unchanged_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let mut cat = Catalog::open(&path).unwrap();
    ingest(&mut cat, &tables(2), RunStatus::Succeeded);
    ingest(&mut cat, &tables(2), RunStatus::Succeeded);
    let diff = cat
        .diff(DiffOptions {
            presence_threshold: 0.0,
        })
        .unwrap();
    assert!(!diff.changed, "{}", diff.render_text());
}

/// A full disk in the middle of a run (a small tmpfs, mounted when the tests run as root;
/// skipped, and said, otherwise): the failing write is a typed error that says so and is
/// not taken for a damaged catalog; once space is back the run is recorded as failed
/// and the catalog's state is still the previous run's.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_fails_the_write_and_the_run_is_recorded_as_failed() {
    let dir = tempfile::tempdir().unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(dir.path())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(dir.path());
    let path = dir.path().join("c.db");
    let mut cat = Catalog::open(&path).unwrap();
    ingest(&mut cat, &tables(3), RunStatus::Succeeded);
    let run = cat.begin_run("ingest", "svc", "test").unwrap();
    // Fill what is left.
    let filler = dir.path().join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let small = vec![0u8; 512];
        while f.write_all(&small).is_ok() {}
    }
    let mut failed = None;
    for i in 0..200 {
        let mut big = snapshot(&format!("big{i}"), &["id"]);
        big.properties = json!({"pad": "x".repeat(64 * 1024)});
        if let Err(e) = cat.write_snapshot(run, &big) {
            failed = Some(e);
            break;
        }
    }
    let err = failed.expect("a write on a full disk failed");
    assert!(!err.is_damage(), "{err}");
    assert!(err.to_string().contains("full"), "{err}");
    std::fs::remove_file(&filler).unwrap();
    cat.finish_run(
        run,
        RunStatus::Failed,
        &json!({"catalogError": err.to_string()}),
    )
    .unwrap();
    let last = cat.runs().unwrap().pop().unwrap();
    assert_eq!(last.status, RunStatus::Failed);
    assert_eq!(cat.current_tables().unwrap().len(), 3);
}

/// A reader of a WAL catalog in a writable directory gets the `-wal` and `-shm` files
/// SQLite needs for reading and leaves them (empty; a read-only connection cannot
/// remove them, the next writer does): they have the catalog's owner-only mode, and
/// the catalog itself is byte for byte the same.
#[cfg(unix)]
#[test]
fn a_readers_wal_files_are_owner_only_and_the_catalog_unchanged() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let mut cat = Catalog::open(&path).unwrap();
    ingest(&mut cat, &tables(2), RunStatus::Succeeded);
    drop(cat);
    let before = sha(&path);
    let reader = Catalog::open_existing(&path).unwrap();
    reader.report_html().unwrap();
    drop(reader);
    assert_eq!(sha(&path), before);
    for file in ["c.db-wal", "c.db-shm"] {
        let p = dir.path().join(file);
        if let Ok(meta) = std::fs::metadata(&p) {
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{file}");
        }
    }
    assert_eq!(
        std::fs::metadata(dir.path().join("c.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0),
        0
    );
}

/// Begins an ingest run that lists every table of `all` and reads all but the second
/// (it failed): the run a tolerated failure leaves.
fn read_all_but_the_second(cat: &mut Catalog, all: &[TableSnapshot]) -> dynameta_catalog::RunId {
    let run = cat.begin_run("ingest", "svc", "test").unwrap();
    let names: Vec<String> = all.iter().map(|t| t.table.name.clone()).collect();
    cat.record_listing(run, "svc.default.default", &names)
        .unwrap();
    cat.write_snapshot(run, &all[0]).unwrap();
    cat.write_snapshot(run, &all[2]).unwrap();
    run
}
