//! Data-quality engine cost vs the profiler's per-item cost, on the same in-memory
//! items (issue 23's benchmark, engine part): 10 test cases on ITEMS items (default
//! 200,000, the `seed_wide` shape of `scripts/bench-profile`, ~300 bytes each, `id`
//! distinct in every item) folded by `DqState::observe`, against `TableStats::observe`
//! (a full profile's fold) and a bare loop that only touches every attribute. Runs are
//! interleaved, RUNS times each after a warm-up; medians and the ratio are printed. Then
//! peak RSS (Linux `VmHWM`), each in a fresh child process that generates the items one
//! at a time and drops each after folding it, as a scan does: no fold, the profiler, the
//! engine with its default budget (no spill at 200k) and with a 4 MiB budget (uniqueness
//! and median spill to disk).
//!
//! ```text
//! cargo bench -p dynameta --bench dq_engine -- [ITEMS] [RUNS]
//! ```
//! A timing print, not a timed test: nothing here asserts a duration.

use std::collections::HashMap;
use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue as AV;
use dynameta::processors::dq::{CaseSpec, CaseStatus, DqLimits, DqPlan};
use dynameta::processors::profiler::TableStats;

type Item = HashMap<String, AV>;

/// The item of `seed_wide` (crates/dynameta-corpus).
fn item(i: u64) -> Item {
    dynameta_testkit::corpus::wide_item(i)
}

fn case(name: &str, def: &str, column: Option<&str>, params: &[(&str, &str)]) -> CaseSpec {
    CaseSpec {
        name: name.to_string(),
        definition: def.to_string(),
        column: column.map(str::to_string),
        parameters: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        compute_passed_failed_row_count: true,
    }
}

fn cases() -> Vec<CaseSpec> {
    vec![
        case(
            "rows",
            "tableRowCountToBeBetween",
            None,
            &[("minValue", "1")],
        ),
        case("idNotNull", "columnValuesToBeNotNull", Some("id"), &[]),
        case("idUnique", "columnValuesToBeUnique", Some("id"), &[]),
        case(
            "amountBetween",
            "columnValuesToBeBetween",
            Some("amount"),
            &[("minValue", "0"), ("maxValue", "10000")],
        ),
        case(
            "emailLength",
            "columnValueLengthsToBeBetween",
            Some("email"),
            &[("minLength", "5"), ("maxLength", "64")],
        ),
        case(
            "emailRegex",
            "columnValuesToMatchRegex",
            Some("email"),
            &[("regex", "@example\\.com$")],
        ),
        case(
            "statusInSet",
            "columnValuesToBeInSet",
            Some("status"),
            &[
                ("allowedValues", "['NEW', 'PAID', 'SHIPPED', 'RETURNED']"),
                ("matchEnum", "true"),
            ],
        ),
        case(
            "amountMean",
            "columnValueMeanToBeBetween",
            Some("amount"),
            &[],
        ),
        case(
            "amountMedian",
            "columnValueMedianToBeBetween",
            Some("amount"),
            &[],
        ),
        case(
            "amountStdDev",
            "columnValueStdDevToBeBetween",
            Some("amount"),
            &[],
        ),
    ]
}

/// Peak RSS of this process in KiB (`VmHWM`).
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Child mode (`DQ_BENCH_RSS=MODE`): folds N items generated one at a time and dropped
/// right after, as a scan does, and prints its peak RSS in KiB.
fn rss_child(mode: &str, n: u64, spill_dir: &std::path::Path) {
    let limits = match mode {
        "dq-small" => DqLimits {
            memory_budget: 4 * 1024 * 1024,
            spill_dir: Some(spill_dir.to_path_buf()),
        },
        _ => DqLimits::default(),
    };
    let plan = DqPlan::new(cases(), vec![]);
    let mut dq = plan.state(&limits);
    let mut stats = TableStats::default();
    for i in 0..n {
        let it = item(i);
        match mode {
            "profile" => stats.observe(&it),
            "dq" | "dq-small" => dq.observe(&it).expect("observe"),
            _ => {
                std::hint::black_box(&it);
            }
        }
    }
    std::hint::black_box(&stats);
    let out = dq.finish(&plan).expect("finish");
    std::hint::black_box(out);
    println!("{}", peak_kib());
}

fn child_peak_mb(mode: &str, n: u64) -> f64 {
    let out = std::process::Command::new(std::env::current_exe().expect("own path"))
        .arg(n.to_string())
        .env("DQ_BENCH_RSS", mode)
        .output()
        .expect("run the bench as a child");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse::<f64>()
        .unwrap_or(f64::NAN)
        / 1024.0
}

fn run_dq(items: &[Item], limits: &DqLimits) -> (f64, usize) {
    let plan = DqPlan::new(cases(), vec![]);
    let start = Instant::now();
    let mut state = plan.state(limits);
    for i in items {
        state.observe(i).expect("observe");
    }
    let out = state.finish(&plan).expect("finish");
    let secs = start.elapsed().as_secs_f64();
    let aborted = out
        .iter()
        .filter(|o| o.status == CaseStatus::Aborted)
        .count();
    assert_eq!(aborted, 0, "{out:?}");
    (secs, out.len())
}

fn run_profile(items: &[Item]) -> f64 {
    let start = Instant::now();
    let mut stats = TableStats::default();
    for i in items {
        stats.observe(i);
    }
    std::hint::black_box(&stats);
    start.elapsed().as_secs_f64()
}

fn run_bare(items: &[Item]) -> f64 {
    let start = Instant::now();
    let mut n = 0usize;
    for i in items {
        for (k, v) in i {
            n += k.len() + usize::from(matches!(v, AV::S(_)));
        }
    }
    std::hint::black_box(n);
    start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; positional numbers are ours.
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(200_000);
    let runs = args.get(1).copied().unwrap_or(5).max(1) as usize;
    let spill = tempfile::tempdir().expect("temp dir");
    if let Ok(mode) = std::env::var("DQ_BENCH_RSS") {
        rss_child(&mode, n, spill.path());
        return;
    }
    let items: Vec<Item> = (0..n).map(item).collect();
    let small = DqLimits {
        memory_budget: 4 * 1024 * 1024,
        spill_dir: Some(spill.path().to_path_buf()),
    };
    // Warm-up.
    run_bare(&items);
    run_profile(&items);
    run_dq(&items, &DqLimits::default());
    let (mut bare, mut prof, mut dq) = (Vec::new(), Vec::new(), Vec::new());
    let mut cases = 0;
    for _ in 0..runs {
        bare.push(run_bare(&items));
        prof.push(run_profile(&items));
        let (t, c) = run_dq(&items, &DqLimits::default());
        dq.push(t);
        cases = c;
    }
    let (bare, prof, dq) = (median(bare), median(prof), median(dq));
    println!("items: {n}, runs: {runs} (medians), {cases} test cases");
    println!("bare loop:        {bare:.3} s");
    println!(
        "profiler fold:    {prof:.3} s ({:.0} items/s)",
        n as f64 / prof
    );
    println!("dq fold + finish: {dq:.3} s ({:.0} items/s)", n as f64 / dq);
    println!("ratio dq / profiler: {:.2}x", dq / prof);

    let (t, _) = run_dq(&items, &small);
    println!(
        "dq with the 4 MiB budget (spilling): {t:.3} s ({:.2}x the profiler fold)",
        t / prof
    );
    drop(items);
    // Peak RSS, each in a fresh process folding items generated one at a time.
    let base = child_peak_mb("bare", n);
    println!("peak RSS, items generated and dropped only: {base:.1} MB");
    for (mode, label) in [
        ("profile", "profiler fold"),
        ("dq", "dq, default 64 MiB budget"),
        ("dq-small", "dq, 4 MiB budget (spills)"),
    ] {
        let mb = child_peak_mb(mode, n);
        println!(
            "peak RSS, {label}: {mb:.1} MB ({:+.1} MB over the bare loop)",
            mb - base
        );
    }
}
