//! Catalog growth and report cost over a year of nightly runs, through the catalog API
//! (no DynamoDB): `cargo run --release -p dynameta-catalog --example bench_catalog --
//! [RUNS] [TABLES] [PROFILE_RUNS]` (default 365 200 10).
//!
//! Writes one catalog with one ingest run of TABLES synthetic tables, and one with RUNS
//! unchanged ingest runs of the same tables followed by PROFILE_RUNS profile runs (each
//! with new numbers, as real profiles have); prints both sizes, then renders the report
//! of each in a child process (`report PATH`, best of three) and prints its time and
//! peak RSS (VmHWM), and the ratios. Ratios are what to compare: the machine varies.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use dynameta_catalog::{
    Catalog, Column, IndexDef, KeyAttr, RunStatus, TableProfile, TableRef, TableSnapshot,
};
use serde_json::json;

fn table(i: usize) -> TableRef {
    let name = format!("table_{i:04}");
    TableRef {
        fqn: format!("bench.default.default.{name}"),
        service: "bench".into(),
        database: "default".into(),
        schema: "default".into(),
        name,
    }
}

fn column(name: &str, ty: &str, children: Vec<Column>) -> Column {
    Column {
        name: name.into(),
        data_type: ty.to_uppercase(),
        display_type: ty.to_lowercase(),
        presence: Some(0.87),
        types: BTreeMap::from([("S".to_string(), 870), ("NULL".to_string(), 13)]),
        children,
        original_name: None,
    }
}

/// A table like the ones measured in issue 21: ~20 columns, a nested map, two GSIs.
fn snapshot(i: usize) -> TableSnapshot {
    let mut columns: Vec<Column> = (0..16)
        .map(|c| column(&format!("attribute_{c:02}"), "string", vec![]))
        .collect();
    columns.push(column(
        "address",
        "struct",
        (0..6)
            .map(|c| column(&format!("field_{c}"), "string", vec![]))
            .collect(),
    ));
    TableSnapshot {
        table: table(i),
        keys: vec![
            KeyAttr {
                name: "pk".into(),
                role: "HASH".into(),
                attribute_type: "S".into(),
            },
            KeyAttr {
                name: "sk".into(),
                role: "RANGE".into(),
                attribute_type: "S".into(),
            },
        ],
        indexes: (0..2)
            .map(|g| IndexDef {
                name: format!("gsi_{g}"),
                kind: "GSI".into(),
                hash_key: Some(format!("attribute_{g:02}")),
                range_key: Some("sk".into()),
                projection: Some("ALL".into()),
            })
            .collect(),
        billing: Some("PAY_PER_REQUEST".into()),
        item_count: Some(1_000_000 + i as i64),
        size_bytes: Some(250_000_000 + i as i64),
        ttl: Some("enabled on expiresAt".into()),
        stream: Some("NEW_AND_OLD_IMAGES".into()),
        properties: json!({
            "tableArn": format!("arn:aws:dynamodb:us-east-1:123456789012:table/{}", table(i).name),
            "tableClass": "STANDARD",
            "deletionProtection": true,
            "pointInTimeRecovery": "ENABLED",
            "tags": {"team": "data", "env": "prod"},
        }),
        columns,
    }
}

fn profile(i: usize, run: usize) -> TableProfile {
    let columns: Vec<serde_json::Value> = (0..16)
        .map(|c| {
            json!({
                "name": format!("attribute_{c:02}"),
                "timestamp": 0,
                "valuesCount": 1000 + run,
                "nullCount": run % 7,
                "distinctCount": 900 + run,
                "histogram": {"boundaries": ["a", "b", "c", "d", "e"], "frequencies": [run, 2, 3, 4, 5]},
            })
        })
        .collect();
    TableProfile {
        table: table(i),
        table_profile: serde_json::from_value(json!({"timestamp": 0, "rowCount": 1_000_000 + run, "columnCount": 17, "sizeInByte": 250_000_000}))
            .expect("a table profile"),
        columns: serde_json::from_value(json!(columns)).expect("column profiles"),
        details: json!({"sampled": 10_000}),
    }
}

fn write(path: &Path, runs: usize, tables: usize, profile_runs: usize) {
    let _ = std::fs::remove_file(path);
    let mut cat = Catalog::open(path).expect("open");
    let snaps: Vec<TableSnapshot> = (0..tables).map(snapshot).collect();
    let names: Vec<String> = snaps.iter().map(|s| s.table.name.clone()).collect();
    for _ in 0..runs {
        let run = cat.begin_run("ingest", "bench", "bench").expect("run");
        cat.record_listing(run, "bench.default.default", &names)
            .expect("listing");
        for s in &snaps {
            cat.write_snapshot(run, s).expect("snapshot");
        }
        cat.finish_run(
            run,
            RunStatus::Succeeded,
            &json!({"tablesProcessed": tables}),
        )
        .expect("finish");
    }
    for r in 0..profile_runs {
        let run = cat.begin_run("profile", "bench", "bench").expect("run");
        for i in 0..tables {
            cat.write_profile(run, &profile(i, r)).expect("profile");
        }
        cat.finish_run(
            run,
            RunStatus::Succeeded,
            &json!({"tablesProcessed": tables}),
        )
        .expect("finish");
    }
}

/// Bytes of the file after a checkpoint (what stays on disk).
fn size(path: &Path) -> u64 {
    let cat = Catalog::open(path).expect("open");
    drop(cat); // the last connection checkpoints and removes the -wal
    std::fs::metadata(path).expect("size").len()
}

/// Renders the report in this process and prints `ms rss_kib`.
fn report(path: &Path) {
    let started = Instant::now();
    let cat = Catalog::open_existing(path).expect("open");
    let html = cat.report_html().expect("report");
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("0");
    println!("{ms:.1} {hwm} {}", html.len());
}

/// Best of three child runs of `report PATH`: (ms, peak RSS KiB, HTML bytes).
fn measure(path: &Path) -> (f64, u64, u64) {
    let exe = std::env::current_exe().expect("exe");
    let mut best = (f64::MAX, u64::MAX, 0);
    for _ in 0..3 {
        let out = Command::new(&exe)
            .arg("report")
            .arg(path)
            .output()
            .expect("child");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut parts = text.split_whitespace();
        let ms: f64 = parts
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(f64::MAX);
        let rss: u64 = parts
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(u64::MAX);
        let html: u64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        best = (best.0.min(ms), best.1.min(rss), html);
    }
    best
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("report") {
        report(Path::new(&args[2]));
        return;
    }
    let num =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (runs, tables, profile_runs) = (num(1, 365), num(2, 200), num(3, 10));
    let dir = tempfile::tempdir().expect("tempdir");
    let one = dir.path().join("one.db");
    let year = dir.path().join("year.db");
    let started = Instant::now();
    write(&one, 1, tables, 0);
    write(&year, runs, tables, 0);
    let write_s = started.elapsed().as_secs_f64();
    let (size_one, size_year) = (size(&one), size(&year));
    let r_one = measure(&one);
    let r_year = measure(&year);
    println!("catalog bench: {tables} tables; 1 ingest run vs {runs} unchanged ingest runs (written in {write_s:.1} s)");
    println!(
        "  size:        {:>9} B vs {:>9} B  ratio {:.2}",
        size_one,
        size_year,
        size_year as f64 / size_one as f64
    );
    println!(
        "  report time: {:>9.1} ms vs {:>9.1} ms ratio {:.2}",
        r_one.0,
        r_year.0,
        r_year.0 / r_one.0
    );
    println!(
        "  report RSS:  {:>9} KiB vs {:>7} KiB ratio {:.2}",
        r_one.1,
        r_year.1,
        r_year.1 as f64 / r_one.1 as f64
    );
    if profile_runs > 0 {
        let profiled = dir.path().join("profiled.db");
        write(&profiled, 1, tables, 1);
        let many = dir.path().join("many-profiles.db");
        write(&many, 1, tables, profile_runs);
        let (p1, pn) = (measure(&profiled), measure(&many));
        println!(
            "  profiles:    1 vs {profile_runs} profile runs: size {:.2}x, report time {:.2}x, report RSS {:.2}x ({} vs {} KiB)",
            size(&many) as f64 / size(&profiled) as f64,
            pn.0 / p1.0,
            pn.1 as f64 / p1.1 as f64,
            p1.1,
            pn.1
        );
    }
}
