//! From merged statistics to OpenMetadata `ColumnProfile`s (top-level attributes) and
//! our own fuller summaries (every nested map field, exact decimals, top values).

use serde::{Deserialize, Serialize};

use dynameta_openmetadata::{CardinalityDistribution, ColumnProfile, Histogram};

use super::column::ColumnStats;
use super::disclosure::{disclose, Disclosure};

/// How the profiled items were chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Sampling {
    /// `profileSample` as configured (percent or rows), when sampling.
    pub profile_sample: Option<f64>,
    /// `PERCENTAGE` or `ROWS`, when sampling.
    #[cfg_attr(feature = "schema", schemars(extend("enum" = ["PERCENTAGE", "ROWS", null])))]
    pub profile_sample_type: Option<String>,
    /// Share of the table's items that were read (1 for a full scan; estimated otherwise).
    pub fraction: f64,
}

/// Our fuller summary of one attribute path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ColumnSummary {
    /// Path from the top-level attribute down through map fields.
    pub path: Vec<String>,
    /// Values that were not NULL.
    pub values_count: u64,
    /// NULL values.
    pub null_values: u64,
    /// Parents (items or maps) without the attribute.
    pub missing_count: u64,
    /// Distinct non-null values.
    pub distinct_count: u64,
    /// Whether `distinctCount` is exact (else HyperLogLog++, ≤ 2 % error).
    pub distinct_exact: bool,
    /// Exact minimum of numbers, as DynamoDB writes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    /// Exact maximum of numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// Exact sum of numbers (no rounding, no overflow).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sum: Option<String>,
    /// Most frequent strings, at most 10, each held by at least 5 items, for
    /// low-cardinality columns only (see `disclosure`); masked for personal data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_values: Option<Vec<(String, u64)>>,
    /// True when values (`topValues`, `min`, `max`) were masked as personal data.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub masked: bool,
}

/// A share, clamped to [0, 1] (a sketched distinct count can exceed the values).
fn proportion(part: f64, whole: f64) -> f64 {
    round((part / whole.max(1.0)).clamp(0.0, 1.0))
}

fn round(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1e6).round() / 1e6
    } else {
        0.0
    }
}

/// OpenMetadata `ColumnProfile`s of the top-level attributes, named by `column_name`
/// (attribute → OpenMetadata column name; attributes it returns `None` for are left out),
/// and our summaries of every path. `rows` is the number of items profiled; `metrics`,
/// when given, limits the OpenMetadata metrics to those names.
pub fn column_profiles(
    columns: &super::Columns,
    rows: u64,
    timestamp: i64,
    metrics: Option<&[String]>,
    column_name: &dyn Fn(&str) -> Option<String>,
) -> (Vec<ColumnProfile>, Vec<ColumnSummary>) {
    let mut profiles = Vec::new();
    let mut summaries = Vec::new();
    let mut sorted: Vec<(&String, &ColumnStats)> = columns.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    for (attr, stats) in sorted {
        let disclosure = disclose(stats, &[attr.as_str()]);
        if let Some(name) = column_name(attr) {
            profiles.push(om_profile(
                &name,
                stats,
                &disclosure,
                rows,
                timestamp,
                metrics,
            ));
        }
        summarize(
            stats,
            disclosure,
            rows,
            &mut vec![attr.clone()],
            &mut summaries,
        );
    }
    (profiles, summaries)
}

fn summarize(
    stats: &ColumnStats,
    disclosure: Disclosure,
    parent: u64,
    path: &mut Vec<String>,
    out: &mut Vec<ColumnSummary>,
) {
    let (distinct, exact) = stats.distinct();
    let numbers = stats.numbers.as_deref();
    let hide = disclosure.sensitive_numbers;
    let shown = |d: &super::decimal::Decimal| {
        let text = d.to_string();
        if hide {
            dynameta_pii::mask(&text)
        } else {
            text
        }
    };
    out.push(ColumnSummary {
        path: path.clone(),
        values_count: stats.values(),
        null_values: stats.nulls,
        missing_count: parent.saturating_sub(stats.present),
        distinct_count: distinct.min(stats.values()),
        distinct_exact: exact,
        min: numbers.map(|n| shown(&n.min)),
        max: numbers.map(|n| shown(&n.max)),
        sum: numbers.map(|n| n.sum().to_string()),
        masked: hide || disclosure.top.as_ref().is_some_and(|t| t.masked),
        top_values: disclosure.top.map(|t| t.shown),
    });
    // Children are counted against the maps at this position.
    let maps = stats.values();
    let mut children: Vec<(&String, &ColumnStats)> = stats.children.iter().collect();
    children.sort_by(|a, b| a.0.cmp(b.0));
    for (name, child) in children {
        path.push(name.clone());
        let names: Vec<&str> = path.iter().map(String::as_str).collect();
        let disclosure = disclose(child, &names);
        summarize(child, disclosure, maps, path, out);
        path.pop();
    }
}

fn om_profile(
    name: &str,
    s: &ColumnStats,
    disclosure: &Disclosure,
    rows: u64,
    timestamp: i64,
    metrics: Option<&[String]>,
) -> ColumnProfile {
    let want = |m: &str| metrics.is_none_or(|list| list.iter().any(|x| x.eq_ignore_ascii_case(m)));
    // A field follows the metric it derives from (`valuesPercentage` comes with
    // `valuesCount`); the others are their own metric. A metric not wanted, or not a
    // finite number, is left out.
    let keep = |metric: &str, value: f64| (want(metric) && value.is_finite()).then_some(value);
    let count = |metric: &str, value: u64| want(metric).then_some(value);
    let rows_f = rows.max(1) as f64;
    let values = s.values();
    let missing = rows.saturating_sub(s.present);
    let null_count = missing + s.nulls;
    // A sketched distinct count can exceed the values it counts: never more than them.
    let distinct = s.distinct().0.min(values);
    let mut p = ColumnProfile {
        values_count: count("valuesCount", values),
        values_percentage: keep("valuesCount", proportion(values as f64, rows_f) * 100.0),
        null_count: count("nullCount", null_count),
        null_proportion: keep("nullProportion", proportion(null_count as f64, rows_f)),
        missing_count: count("missingCount", missing),
        missing_percentage: keep(
            "missingPercentage",
            proportion(missing as f64, rows_f) * 100.0,
        ),
        distinct_count: count("distinctCount", distinct),
        distinct_proportion: (values > 0)
            .then(|| {
                keep(
                    "distinctProportion",
                    proportion(distinct as f64, values as f64),
                )
            })
            .flatten(),
        name: name.to_string(),
        timestamp,
        ..ColumnProfile::default()
    };
    if let Some(unique) = s.unique() {
        let unique = unique.min(values);
        p.unique_count = count("uniqueCount", unique);
        if values > 0 {
            p.unique_proportion =
                keep("uniqueProportion", proportion(unique as f64, values as f64));
        }
        p.duplicate_count = count("duplicateCount", values - distinct);
    }
    if let Some((lo, hi)) = s.lengths {
        p.min_length = count("minLength", lo);
        p.max_length = count("maxLength", hi);
    }
    if let Some(n) = s.numbers.as_deref().filter(|n| n.count > 0) {
        // Mean and variance from the exact sums: the same whatever the merge order.
        let (mean, variance) = (n.mean(), n.variance());
        let stddev = variance.sqrt();
        p.sum = keep("sum", n.sum().to_f64());
        p.mean = keep("mean", mean);
        p.variance = keep("variance", variance);
        p.stddev = keep("stddev", stddev);
        // Minimum, maximum and quantiles are values of items: not shown for personal data.
        if !disclosure.sensitive_numbers {
            p.min = keep("min", n.min.to_f64());
            p.max = keep("max", n.max.to_f64());
            let q = |x: f64| n.kll.quantile(x).unwrap_or(0.0);
            let (q1, median, q3) = (q(0.25), q(0.5), q(0.75));
            p.first_quartile = keep("firstQuartile", q1);
            p.median = keep("median", median);
            p.third_quartile = keep("thirdQuartile", q3);
            p.inter_quartile_range = keep("interQuartileRange", q3 - q1);
            if stddev > 0.0 {
                p.non_parametric_skew = keep("nonParametricSkew", (mean - median) / stddev);
            }
            p.histogram = histogram(n).filter(|_| want("histogram"));
        }
    }
    if let Some(top) = &disclosure.top {
        let mut categories = Vec::new();
        let mut counts = Vec::new();
        let total: u64 = top.shown.iter().map(|(_, c)| c).sum::<u64>() + top.others;
        for (value, count) in &top.shown {
            categories.push(value.clone());
            counts.push(*count);
        }
        if top.others > 0 {
            categories.push("Others".to_string());
            counts.push(top.others);
        }
        let percentages = counts
            .iter()
            .map(|c| round(*c as f64 / total.max(1) as f64 * 100.0))
            .collect();
        p.cardinality_distribution =
            want("cardinalityDistribution").then_some(CardinalityDistribution {
                categories,
                counts,
                percentages,
                all_values_unique: top.all_unique,
            });
    }
    p
}

/// Ten equal-width bins from min to max, counts estimated from the quantile sketch.
fn histogram(n: &super::column::Numbers) -> Option<Histogram> {
    let (lo, hi) = (n.min.to_f64(), n.max.to_f64());
    if !(lo.is_finite() && hi.is_finite()) || n.count == 0 {
        return None;
    }
    let bins = if hi > lo { 10 } else { 1 };
    let width = (hi - lo) / bins as f64;
    let mut boundaries = Vec::new();
    let mut frequencies = Vec::new();
    let mut previous = 0u64;
    for i in 0..bins {
        let (a, b) = (
            lo + width * i as f64,
            if i + 1 == bins {
                hi
            } else {
                lo + width * (i + 1) as f64
            },
        );
        let upto = if i + 1 == bins {
            n.count
        } else {
            (n.kll.rank(b) * n.count as f64).round() as u64
        };
        boundaries.push(format!("{} to {}", boundary(a, width), boundary(b, width)));
        frequencies.push(upto.saturating_sub(previous));
        previous = upto.max(previous);
    }
    Some(Histogram {
        boundaries,
        frequencies,
    })
}

/// A bin boundary as people read it: rounded to four significant digits of the bin
/// width (enough to tell the boundaries apart, none of f64's artefacts such as
/// `10.799999999999999`), plain from 1E-4 to 1E15, scientific (`1e125`) beyond.
/// Without a width (one bin), the shortest text that reads back as the same f64.
fn boundary(x: f64, width: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return if x.is_finite() {
            "0".into()
        } else {
            x.to_string()
        };
    }
    let magnitude = x.abs().log10().floor() as i32;
    let plain = (-4..15).contains(&magnitude);
    if width <= 0.0 || !width.is_finite() {
        return if plain {
            format!("{x}")
        } else {
            format!("{x:e}")
        };
    }
    // Power of ten of the last digit kept.
    let last = width.log10().floor() as i32 - 3;
    if plain {
        let decimals = (-last).clamp(0, 17) as usize;
        let text = format!("{x:.decimals$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        }
    } else {
        let digits = (magnitude - last).clamp(0, 16) as usize;
        let text = format!("{x:.digits$e}");
        match text.split_once('e') {
            Some((mantissa, exp)) if mantissa.contains('.') => {
                format!(
                    "{}e{exp}",
                    mantissa.trim_end_matches('0').trim_end_matches('.')
                )
            }
            _ => text,
        }
    }
}
