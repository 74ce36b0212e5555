use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue as AV;
use proptest::prelude::*;

use super::*;

fn item(i: u64) -> HashMap<String, AV> {
    let mut m = HashMap::new();
    m.insert("id".to_string(), AV::S(format!("id-{i}")));
    m.insert("n".to_string(), AV::N(i.to_string()));
    m.insert("cat".to_string(), AV::S(format!("c{}", i % 5)));
    if i.is_multiple_of(4) {
        m.insert("opt".to_string(), AV::Null(true));
    } else if i % 4 == 1 {
        m.insert(
            "opt".to_string(),
            AV::N("9.9999999999999999999999999999999999999E+125".into()),
        );
    }
    m.insert(
        "addr".to_string(),
        AV::M(HashMap::from([(
            "zip".to_string(),
            AV::S(format!("{:05}", i % 100)),
        )])),
    );
    m
}

fn stats(items: &[HashMap<String, AV>]) -> TableStats {
    let mut t = TableStats::default();
    for i in items {
        t.observe(i);
    }
    t
}

#[test]
fn exact_counts_min_max_sum_and_nesting() {
    let items: Vec<_> = (0..1000).map(item).collect();
    let t = stats(&items);
    assert_eq!(t.rows, 1000);
    let n = t.columns["n"].numbers.as_deref().unwrap();
    assert_eq!(n.min.to_string(), "0");
    assert_eq!(n.max.to_string(), "999");
    assert_eq!(n.sum().to_string(), "499500");
    assert!((n.mean() - 499.5).abs() < 1e-9);
    let opt = &t.columns["opt"];
    assert_eq!((opt.present, opt.nulls, opt.values()), (500, 250, 250));
    let big = opt.numbers.as_deref().unwrap();
    assert_eq!(
        big.sum().to_string(),
        "2.499999999999999999999999999999999999975E+128"
    );
    assert_eq!(t.columns["cat"].distinct(), (5, true));
    assert_eq!(t.columns["id"].distinct(), (1000, true));
    assert_eq!(t.columns["id"].unique(), Some(1000));
    assert_eq!(t.columns["addr"].children["zip"].distinct(), (100, true));

    let (profiles, summaries) =
        column_profiles(&t.columns, t.rows, 0, None, &|a| Some(a.to_string()));
    let p = |name: &str| profiles.iter().find(|p| p["name"] == name).unwrap().clone();
    assert_eq!(p("opt")["nullCount"], 750, "absent or NULL");
    assert_eq!(p("opt")["missingCount"], 500);
    assert_eq!(p("opt")["valuesCount"], 250);
    assert_eq!(
        p("n")["median"].as_f64().map(|m| (m - 499.5).abs() < 20.0),
        Some(true)
    );
    let hist = &p("n")["histogram"];
    let total: u64 = hist["frequencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_u64().unwrap())
        .sum();
    assert_eq!(total, 1000);
    assert_eq!(
        p("cat")["cardinalityDistribution"]["counts"],
        serde_json::json!([200, 200, 200, 200, 200])
    );
    assert!(summaries
        .iter()
        .any(|s| s.path == ["addr", "zip"] && s.distinct_count == 100));
    assert_eq!(
        summaries
            .iter()
            .find(|s| s.path == ["opt"])
            .unwrap()
            .sum
            .as_deref(),
        Some("2.499999999999999999999999999999999999975E+128")
    );
}

#[test]
fn distinct_switches_to_hll_within_two_percent() {
    let items: Vec<_> = (0..50_000u64)
        .map(|i| HashMap::from([("k".to_string(), AV::N(i.to_string()))]))
        .collect();
    let t = stats(&items);
    let (d, exact) = t.columns["k"].distinct();
    assert!(!exact);
    assert!((d as f64 - 50_000.0).abs() / 50_000.0 < 0.02, "{d}");
    assert_eq!(
        t.columns["k"].unique(),
        None,
        "unique is only given when exact"
    );
}

proptest! {
    #[test]
    fn merged_worker_states_match_one_pass(n in 1usize..400, workers in 1usize..8, seed in any::<u64>()) {
        let items: Vec<_> = (0..n as u64).map(|i| item(i.wrapping_mul(seed | 1) % 997)).collect();
        let whole = stats(&items);
        let mut parts: Vec<TableStats> = (0..workers).map(|_| TableStats::default()).collect();
        for (i, it) in items.iter().enumerate() {
            parts[(i * 7 + seed as usize) % workers].observe(it);
        }
        let mut merged = TableStats::default();
        for p in parts.into_iter().rev() {
            merged.merge(p);
        }
        let render = |t: &TableStats| {
            let (p, s) = column_profiles(&t.columns, t.rows, 0, None, &|a| Some(a.to_string()));
            // Exact metrics must match exactly; sketches (quantiles, histogram) may differ.
            let exact: Vec<Value> = p.into_iter().map(|mut v| {
                for k in ["median", "firstQuartile", "thirdQuartile", "interQuartileRange", "nonParametricSkew", "histogram", "mean", "variance", "stddev"] {
                    v.as_object_mut().unwrap().remove(k);
                }
                v
            }).collect();
            (serde_json::to_string(&exact).unwrap(), serde_json::to_string(&s).unwrap())
        };
        prop_assert_eq!(merged.rows, whole.rows);
        prop_assert_eq!(render(&merged), render(&whole));
        let (a, b) = (merged.columns["n"].numbers.as_deref().unwrap(), whole.columns["n"].numbers.as_deref().unwrap());
        prop_assert!((a.mean() - b.mean()).abs() < 1e-6 * (1.0 + b.mean().abs()));
        prop_assert!((a.variance() - b.variance()).abs() < 1e-6 * (1.0 + b.variance()));
    }
}

use serde_json::Value;

#[test]
fn equal_values_hash_equal_and_different_ones_do_not() {
    use super::column::value_hash;
    let s = |v: &str| AV::S(v.into());
    let n = |v: &str| AV::N(v.into());
    let map = |pairs: &[(&str, AV)]| {
        AV::M(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    };
    // Sets and maps: element order does not matter.
    assert_eq!(
        value_hash(&AV::Ss(vec!["a".into(), "b".into()])),
        value_hash(&AV::Ss(vec!["b".into(), "a".into()]))
    );
    let ab = map(&[("a", n("1")), ("b", s("x"))]);
    let mut ba = HashMap::new();
    ba.insert("b".to_string(), s("x"));
    ba.insert("a".to_string(), n("1"));
    assert_eq!(value_hash(&ab), value_hash(&AV::M(ba)));
    // Everything else tells values apart.
    let distinct = [
        s("1"),
        n("1"),
        AV::B(aws_sdk_dynamodb::primitives::Blob::new("1")),
        AV::Bool(true),
        AV::Bool(false),
        AV::Null(true),
        AV::Ss(vec!["1".into()]),
        AV::Ns(vec!["1".into()]),
        AV::Ss(vec!["a".into(), "b".into()]),
        AV::Ss(vec!["a".into()]),
        AV::L(vec![s("a"), s("b")]),
        AV::L(vec![s("b"), s("a")]),
        AV::L(vec![s("a")]),
        AV::L(vec![]),
        AV::M(HashMap::new()),
        ab,
        map(&[("a", s("1")), ("b", s("x"))]),
        map(&[("a", n("1"))]),
        map(&[("b", n("1")), ("a", s("x"))]),
        map(&[("a", map(&[("b", s("x"))]))]),
    ];
    let hashes: std::collections::HashSet<u64> = distinct.iter().map(value_hash).collect();
    assert_eq!(hashes.len(), distinct.len());
}
