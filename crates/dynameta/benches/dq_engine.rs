//! Data-quality engine cost vs the profiler's per-item cost, on the same in-memory
//! items (issue 23's benchmark, engine part): 10 test cases on ITEMS items (default
//! 200,000, the `seed_wide` shape of `scripts/bench-profile`, ~300 bytes each, `id`
//! distinct in every item) folded by `DqState::observe`, against `TableStats::observe`
//! (a full profile's fold) and a bare loop that only touches every attribute. Runs are
//! interleaved, RUNS times each after a warm-up; medians and the ratio are printed. Then
//! the peak RSS each fold adds above the items in memory (Linux: `VmHWM` after a reset
//! through `/proc/self/clear_refs`), for the default budget (no spill) and for a 4 MiB
//! budget (uniqueness and median spill to disk).
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

/// The item of `examples/seed_wide.rs`.
fn item(i: u64) -> Item {
    HashMap::from([
        ("id".to_string(), AV::S(format!("item-{i:09}"))),
        (
            "amount".to_string(),
            AV::N(format!("{}.{:02}", i % 10_000, i % 100)),
        ),
        (
            "status".to_string(),
            AV::S(["NEW", "PAID", "SHIPPED", "RETURNED"][(i % 4) as usize].into()),
        ),
        (
            "customer".to_string(),
            AV::S(format!("cust-{}", i % 50_000)),
        ),
        (
            "email".to_string(),
            AV::S(format!("user{}@example.com", i % 50_000)),
        ),
        ("flag".to_string(), AV::Bool(i.is_multiple_of(3))),
        (
            "note".to_string(),
            AV::S("lorem ipsum dolor sit amet ".repeat(6)),
        ),
        (
            "meta".to_string(),
            AV::M(HashMap::from([
                ("src".to_string(), AV::S("web".into())),
                ("v".to_string(), AV::N((i % 7).to_string())),
            ])),
        ),
    ])
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

/// (VmRSS, VmHWM) in KiB.
fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn reset_peak() {
    // "5" resets VmHWM to the current RSS (Linux 4.0+).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
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
    let items: Vec<Item> = (0..n).map(item).collect();
    let spill = tempfile::tempdir().expect("temp dir");
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

    let peak = |label: &str, f: &mut dyn FnMut()| {
        let (before, _) = rss();
        reset_peak();
        f();
        let (_, hwm) = rss();
        println!(
            "peak RSS above the items, {label}: {:.1} MB (process peak {:.1} MB)",
            hwm.saturating_sub(before) as f64 / 1024.0,
            hwm as f64 / 1024.0
        );
    };
    peak("profiler fold", &mut || {
        run_profile(&items);
    });
    peak("dq, default 64 MiB budget", &mut || {
        run_dq(&items, &DqLimits::default());
    });
    peak("dq, 4 MiB budget (spills)", &mut || {
        run_dq(&items, &small);
    });
    let (t, _) = run_dq(&items, &small);
    println!(
        "dq with the 4 MiB budget: {t:.3} s ({:.2}x the profiler fold)",
        t / prof
    );
}
