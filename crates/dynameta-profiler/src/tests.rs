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
    let profiles = as_json(profiles);
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
            let exact: Vec<Value> = as_json(p).into_iter().map(|mut v| {
                for k in ["median", "firstQuartile", "thirdQuartile", "interQuartileRange", "nonParametricSkew", "histogram"] {
                    v.as_object_mut().unwrap().remove(k);
                }
                v
            }).collect();
            (serde_json::to_string(&exact).unwrap(), serde_json::to_string(&s).unwrap())
        };
        prop_assert_eq!(merged.rows, whole.rows);
        prop_assert_eq!(render(&merged), render(&whole));
        let (a, b) = (merged.columns["n"].numbers.as_deref().unwrap(), whole.columns["n"].numbers.as_deref().unwrap());
        // Mean and variance come from exact sums: bit for bit the same in any order.
        prop_assert_eq!(a.mean().to_bits(), b.mean().to_bits());
        prop_assert_eq!(a.variance().to_bits(), b.variance().to_bits());
    }

    #[test]
    fn mean_and_variance_do_not_depend_on_merge_order(
        values in proptest::collection::vec((any::<i32>(), 0u32..6), 2..300),
        workers in 2usize..8,
        seed in any::<u64>(),
    ) {
        let items: Vec<_> = values
            .iter()
            .map(|(m, sc)| HashMap::from([("x".to_string(), AV::N(format!("{m}E-{sc}")))]))
            .collect();
        let split = |rotate: usize| {
            let mut parts: Vec<TableStats> = (0..workers).map(|_| TableStats::default()).collect();
            for (i, it) in items.iter().enumerate() {
                parts[(i + rotate) % workers].observe(it);
            }
            let mut merged = TableStats::default();
            for p in parts {
                merged.merge(p);
            }
            let n = merged.columns["x"].numbers.as_deref().unwrap().clone();
            (n.mean().to_bits(), n.variance().to_bits())
        };
        let whole = stats(&items);
        let n = whole.columns["x"].numbers.as_deref().unwrap();
        prop_assert_eq!(split(seed as usize % workers), (n.mean().to_bits(), n.variance().to_bits()));
        prop_assert_eq!(split(seed as usize % workers + 1), (n.mean().to_bits(), n.variance().to_bits()));
        // And they are the exact values, rounded once.
        let exact: Vec<f64> = values.iter().map(|(m, sc)| f64::from(*m) / 10f64.powi(*sc as i32)).collect();
        let mean = exact.iter().sum::<f64>() / exact.len() as f64;
        prop_assert!((n.mean() - mean).abs() <= 1e-9 * (1.0 + mean.abs()), "{} vs {}", n.mean(), mean);
        prop_assert!(n.variance() >= 0.0);
    }
}

/// Profiles as the JSON they are written as (the assertions read them by key).
fn as_json(profiles: Vec<dynameta_openmetadata::ColumnProfile>) -> Vec<Value> {
    profiles
        .into_iter()
        .map(|p| serde_json::to_value(p).unwrap())
        .collect()
}

fn profile_of(items: &[HashMap<String, AV>], name: &str) -> Value {
    let t = stats(items);
    let (profiles, _) = column_profiles(&t.columns, t.rows, 0, None, &|a| Some(a.to_string()));
    profiles
        .into_iter()
        .find(|p| p.name == name)
        .map(|p| serde_json::to_value(p).unwrap())
        .unwrap_or_else(|| panic!("no profile for {name}"))
}

fn summary_of(items: &[HashMap<String, AV>], path: &[&str]) -> ColumnSummary {
    let t = stats(items);
    let (_, summaries) = column_profiles(&t.columns, t.rows, 0, None, &|a| Some(a.to_string()));
    summaries
        .into_iter()
        .find(|s| s.path == path)
        .unwrap_or_else(|| panic!("no summary for {path:?}"))
}

fn one(name: &str, value: AV) -> HashMap<String, AV> {
    HashMap::from([(name.to_string(), value)])
}

#[test]
fn mean_of_huge_and_ordinary_numbers_comes_from_the_exact_sum() {
    // 1E+125 and -1E+125 cancel; the others sum to 1.36E+18. An f64 running mean loses
    // every ordinary digit next to 1E+125 (it reported -1.0E+109 for such a column).
    let mut items = vec![
        one("x", AV::N("1E+125".into())),
        one("x", AV::N("-1E+125".into())),
    ];
    items.extend((0..136).map(|_| one("x", AV::N("10000000000000000".into()))));
    let n = stats(&items).columns["x"]
        .numbers
        .as_deref()
        .unwrap()
        .clone();
    assert_eq!(n.sum().to_string(), "1360000000000000000");
    assert_eq!(n.mean(), 1.36e18 / 138.0);
    // Σx² = 2E+250 + 136E+32: the variance is 2E+250 / 138 (to f64's precision).
    let expected = 2e250 / 138.0;
    assert!(
        (n.variance() - expected).abs() / expected < 1e-12,
        "{}",
        n.variance()
    );
    let p = profile_of(&items, "x");
    assert_eq!(p["mean"].as_f64(), Some(1.36e18 / 138.0));
}

#[test]
fn unique_and_rare_values_are_never_shown() {
    // 200 distinct ids: a unique column shows no value.
    let ids: Vec<_> = (0..200)
        .map(|i| one("id", AV::S(format!("ORD-{i:05}"))))
        .collect();
    assert!(profile_of(&ids, "id")
        .get("cardinalityDistribution")
        .is_none());
    assert_eq!(summary_of(&ids, &["id"]).top_values, None);
    // Two common values and 30 rare ones: only the common ones, the rest as Others.
    let mut mixed: Vec<_> = (0..60)
        .map(|i| one("plan", AV::S(["gold", "silver"][i % 2].into())))
        .collect();
    mixed.extend((0..30).map(|i| one("plan", AV::S(format!("trial-{i}")))));
    let dist = &profile_of(&mixed, "plan")["cardinalityDistribution"];
    assert_eq!(
        dist["categories"],
        serde_json::json!(["gold", "silver", "Others"])
    );
    assert_eq!(dist["counts"], serde_json::json!([30, 30, 30]));
    assert_eq!(
        summary_of(&mixed, &["plan"]).top_values,
        Some(vec![("gold".to_string(), 30), ("silver".to_string(), 30)])
    );
    // Few values, each held by fewer than 5 items: nothing to show.
    let few: Vec<_> = (0..10)
        .map(|i| one("plan", AV::S(["a", "b"][i % 2].into())))
        .collect();
    assert!(profile_of(&few, "plan")
        .get("cardinalityDistribution")
        .is_some());
    let rare: Vec<_> = (0..8)
        .map(|i| one("plan", AV::S(["a", "b", "c", "d"][i % 4].into())))
        .collect();
    assert!(profile_of(&rare, "plan")
        .get("cardinalityDistribution")
        .is_none());
}

#[test]
fn personal_data_is_masked_in_top_values_and_extremes() {
    let cards = ["4532015112830366", "4916338506082832", "4485040371536584"];
    let mut items = Vec::new();
    for i in 0..60 {
        let mut m = HashMap::new();
        // Low cardinality, but card numbers: masked.
        m.insert("cardNumber".to_string(), AV::S(cards[i % 3].into()));
        // E-mails under a name that says nothing: masked from their content.
        m.insert(
            "contact".to_string(),
            AV::S(format!("user{}@example.com", i % 4)),
        );
        // Card numbers stored as numbers: no raw minimum, maximum or quantiles.
        m.insert("cardNo".to_string(), AV::N(cards[i % 3].into()));
        m.insert(
            "status".to_string(),
            AV::S(["NEW", "PAID", "SHIPPED"][i % 3].into()),
        );
        m.insert("qty".to_string(), AV::N((i % 7).to_string()));
        items.push(m);
    }
    let t = stats(&items);
    let (profiles, summaries) =
        column_profiles(&t.columns, t.rows, 0, None, &|a| Some(a.to_string()));
    let text = serde_json::to_string(&(profiles.clone(), &summaries)).unwrap();
    for raw in cards.iter().copied().chain(["user1@example.com"]) {
        assert!(!text.contains(raw), "{raw} leaked: {text}");
    }
    let profiles = as_json(profiles);
    let p = |name: &str| profiles.iter().find(|p| p["name"] == name).unwrap().clone();
    let categories = &p("cardNumber")["cardinalityDistribution"]["categories"];
    assert_eq!(categories.as_array().map(Vec::len), Some(3), "{categories}");
    assert!(categories
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c.as_str().unwrap().contains('*')));
    // Four addresses whose masks are equal are shown as one.
    assert_eq!(
        p("contact")["cardinalityDistribution"]["categories"],
        serde_json::json!(["us***@*******.*om"])
    );
    assert_eq!(
        p("contact")["cardinalityDistribution"]["counts"],
        serde_json::json!([60])
    );
    for metric in [
        "min",
        "max",
        "median",
        "firstQuartile",
        "thirdQuartile",
        "histogram",
    ] {
        assert!(p("cardNo").get(metric).is_none(), "cardNo.{metric}");
    }
    assert_eq!(p("cardNo")["valuesCount"], 60);
    let s = |path: &str| summaries.iter().find(|s| s.path == [path]).unwrap().clone();
    assert!(s("cardNo").masked && s("cardNumber").masked && s("contact").masked);
    assert_eq!(s("cardNo").min.as_deref(), Some("44************84"));
    // Innocent columns keep their values.
    assert_eq!(
        p("status")["cardinalityDistribution"]["categories"],
        serde_json::json!(["NEW", "PAID", "SHIPPED"])
    );
    assert!(!s("status").masked);
    assert_eq!(
        (p("qty")["min"].as_f64(), p("qty")["max"].as_f64()),
        (Some(0.0), Some(6.0))
    );
}

#[test]
fn distinct_proportion_never_exceeds_one() {
    // HyperLogLog overestimates some counts above the exact limit: find one.
    let mut n = EXACT_DISTINCT_LIMIT as u64 + 1;
    let t = loop {
        let items: Vec<_> = (0..n).map(|i| one("k", AV::S(format!("v{i}")))).collect();
        let t = stats(&items);
        if t.columns["k"].distinct().0 > n {
            break t;
        }
        n += 97;
        assert!(n < 40_000, "no overestimate found");
    };
    let (profiles, summaries) =
        column_profiles(&t.columns, t.rows, 0, None, &|a| Some(a.to_string()));
    let profiles = as_json(profiles);
    assert_eq!(profiles[0]["distinctCount"], n);
    assert_eq!(profiles[0]["distinctProportion"], 1.0);
    assert_eq!(summaries[0].distinct_count, n);
}

#[test]
fn histogram_boundaries_are_readable() {
    let bounds = |items: &[HashMap<String, AV>]| -> Vec<String> {
        profile_of(items, "x")["histogram"]["boundaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_str().unwrap().to_string())
            .collect()
    };
    let extreme = bounds(&[
        one("x", AV::N("1E+125".into())),
        one("x", AV::N("1E-130".into())),
    ]);
    assert_eq!(extreme[0], "1e-130 to 1e124");
    assert_eq!(extreme[9], "9e124 to 1e125");
    let ints: Vec<_> = (0..2000).map(|i| one("x", AV::N(i.to_string()))).collect();
    let b = bounds(&ints);
    assert_eq!(b[0], "0 to 199.9");
    assert_eq!(b[9], "1799.1 to 1999");
    let tenths: Vec<_> = (0..=108)
        .map(|i| one("x", AV::N(format!("{}.{}", i / 10, i % 10))))
        .collect();
    for b in bounds(&tenths) {
        assert!(b.len() <= 20, "{b}");
    }
    assert_eq!(bounds(&[one("x", AV::N("0.1".into()))]), ["0.1 to 0.1"]);
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

/// A random attribute value: few distinct strings (top values), numbers of every
/// shape DynamoDB stores (negative, fractional, huge exponents), NULL, booleans, sets,
/// lists and maps (nested columns).
fn any_value() -> impl Strategy<Value = AV> {
    let leaf = prop_oneof![
        (0u8..40).prop_map(|i| AV::S(format!("s{i}"))),
        "[a-z]{0,12}".prop_map(AV::S),
        (any::<i64>(), 0u32..8).prop_map(|(m, sc)| AV::N(format!("{m}E-{sc}"))),
        (-1000i32..1000).prop_map(|i| AV::N(i.to_string())),
        (1u8..10, 100i32..126).prop_map(|(d, e)| AV::N(format!("{d}.5E+{e}"))),
        Just(AV::Null(true)),
        any::<bool>().prop_map(AV::Bool),
        proptest::collection::btree_set("[a-c]{1,2}", 1..4)
            .prop_map(|s| AV::Ss(s.into_iter().collect())),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(AV::L),
            proptest::collection::hash_map("[a-d]", inner, 0..4).prop_map(AV::M),
        ]
    })
}

fn any_item() -> impl Strategy<Value = HashMap<String, AV>> {
    proptest::collection::hash_map("[a-f]", any_value(), 0..6)
}

/// A one-pass state and a merged one are equal but for the KLL compactors (merging
/// compacts in another order); those must agree on count, min and max exactly and
/// on quantiles within the sketch's error.
fn assert_same_but_kll(
    merged: &state::StatsState,
    whole: &state::StatsState,
    values: &HashMap<Vec<String>, Vec<f64>>,
) -> Result<(), TestCaseError> {
    fn strip(
        columns: &mut std::collections::BTreeMap<String, state::ColumnState>,
        path: &mut Vec<String>,
        out: &mut Vec<(Vec<String>, crate::sketch::KllState)>,
    ) {
        for (name, c) in columns.iter_mut() {
            path.push(name.clone());
            if let Some(n) = &mut c.numbers {
                out.push((path.clone(), n.kll.clone()));
                n.kll = crate::sketch::Kll::new().state();
            }
            strip(&mut c.children, path, out);
            path.pop();
        }
    }
    let (mut a, mut b) = (merged.clone(), whole.clone());
    let (mut ka, mut kb) = (Vec::new(), Vec::new());
    strip(&mut a.columns, &mut Vec::new(), &mut ka);
    strip(&mut b.columns, &mut Vec::new(), &mut kb);
    prop_assert_eq!(a, b);
    prop_assert_eq!(ka.len(), kb.len());
    for ((path, x), (_, y)) in ka.into_iter().zip(kb) {
        prop_assert_eq!((x.count, x.min, x.max), (y.count, y.min, y.max));
        let x = sketch::Kll::from_state(x).unwrap();
        let mut exact = values.get(&path).cloned().unwrap_or_default();
        exact.sort_by(f64::total_cmp);
        for q in [0.1, 0.25, 0.5, 0.75, 0.9] {
            let v = x.quantile(q).unwrap();
            // Normalized rank error of k = 200: about 1.65 % at 99 % confidence;
            // 5 % bounds it with room, and counts ties on either side.
            let below = exact.iter().filter(|e| **e < v).count() as f64;
            let upto = exact.iter().filter(|e| **e <= v).count() as f64;
            let n = exact.len() as f64;
            prop_assert!(
                below / n <= q + 0.05 && upto / n >= q - 0.05,
                "{:?} q{}: {} has ranks {}..{} of {}",
                path,
                q,
                v,
                below / n,
                upto / n,
                n
            );
        }
    }
    Ok(())
}

/// Every number's f64 by attribute path (top-level attributes and map fields).
fn numbers_by_path(items: &[HashMap<String, AV>]) -> HashMap<Vec<String>, Vec<f64>> {
    fn walk(v: &AV, path: &mut Vec<String>, out: &mut HashMap<Vec<String>, Vec<f64>>) {
        match v {
            AV::N(t) => out
                .entry(path.clone())
                .or_default()
                .push(t.parse().unwrap()),
            AV::M(fields) => {
                for (k, v) in fields {
                    path.push(k.clone());
                    walk(v, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = HashMap::new();
    for item in items {
        for (k, v) in item {
            walk(v, &mut vec![k.clone()], &mut out);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Saved partial profiles: any split of the items into parts, each part saved as
    /// JSON and read back, merges into the one-pass statistics — exactly, distinct
    /// hashes and HyperLogLog++ registers included; KLL within its error.
    #[test]
    fn saved_parts_merge_into_one_pass(
        items in proptest::collection::vec(any_item(), 0..300),
        repeat in 1usize..12,
        parts in 1usize..6,
        assignment in proptest::collection::vec(any::<u8>(), 1..64),
    ) {
        // Repeating the items makes compactions (KLL) and many duplicates.
        let items: Vec<_> = items.iter().cycle().take(items.len() * repeat).cloned().collect();
        let whole = stats(&items);
        let mut split: Vec<TableStats> = (0..parts).map(|_| TableStats::default()).collect();
        for (i, it) in items.iter().enumerate() {
            split[usize::from(assignment[i % assignment.len()]) % parts].observe(it);
        }
        let mut merged = TableStats::default();
        for part in split {
            let text = serde_json::to_string(&part.to_state()).unwrap();
            let back: state::StatsState = serde_json::from_str(&text).unwrap();
            merged.merge(TableStats::from_state(back).unwrap());
        }
        prop_assert_eq!(merged.rows, whole.rows);
        assert_same_but_kll(&merged.to_state(), &whole.to_state(), &numbers_by_path(&items))?;
    }

    /// A state survives the round trip through JSON unchanged.
    #[test]
    fn states_round_trip(items in proptest::collection::vec(any_item(), 0..200)) {
        let s = stats(&items).to_state();
        let text = serde_json::to_string(&s).unwrap();
        let back = TableStats::from_state(serde_json::from_str(&text).unwrap()).unwrap();
        prop_assert_eq!(back.to_state(), s);
    }
}

#[test]
fn high_cardinality_parts_merge_into_the_same_hll_registers() {
    let items: Vec<_> = (0..12_000u64).map(item).collect();
    let whole = stats(&items);
    let mut merged = TableStats::default();
    for chunk in items.chunks(3000) {
        let text = serde_json::to_string(&stats(chunk).to_state()).unwrap();
        merged.merge(TableStats::from_state(serde_json::from_str(&text).unwrap()).unwrap());
    }
    let (a, b) = (merged.to_state(), whole.to_state());
    let id = |s: &state::StatsState| s.columns["id"].distinct.clone();
    assert!(matches!(id(&a), state::DistinctState::Hll(_)));
    assert_eq!(id(&a), id(&b));
    assert_eq!(
        merged.columns["id"].distinct(),
        whole.columns["id"].distinct()
    );
}

#[test]
fn broken_states_are_refused_with_the_column() {
    let mut s = stats(&[item(1), item(2)]).to_state();
    s.columns
        .get_mut("n")
        .unwrap()
        .numbers
        .as_mut()
        .unwrap()
        .min = "abc".into();
    let e = TableStats::from_state(s).unwrap_err();
    assert_eq!(e.path, "n");
    assert_eq!(e.at, "stats.columns.n.numbers.min");
    assert!(e.to_string().contains("numbers.min `abc`"), "{e}");
    let mut s = stats(&(0..5000).map(item).collect::<Vec<_>>()).to_state();
    s.columns.get_mut("id").unwrap().distinct = state::DistinctState::Hll("AAAA".into());
    let e = TableStats::from_state(s).unwrap_err();
    assert!(e.to_string().contains("16384 registers"), "{e}");
}
