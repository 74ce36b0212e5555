//! The data-quality engine (`processors::dq`) against OpenMetadata 2.0.7's own pandas
//! validators (`scripts/om_dq_oracle.py`): the same items, as DynamoDB attribute values
//! for dynameta and as the JSON rows a DataFrame is built from for OpenMetadata, run
//! through every supported definition on a table built to break each one and on one where
//! all pass. Status, result values, the result sentence and passed/failed rows must be
//! the same; where OpenMetadata's validator raises (a numeric test on strings, a regex on
//! numbers, a statistic of a column with no value), dynameta must say Aborted.
//! No DynamoDB is needed: the engine is a library call.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use aws_sdk_dynamodb::types::AttributeValue;
use dynameta::processors::dq::{CaseOutcome, CaseSpec, CaseStatus, DqLimits, DqPlan};
use dynameta::processors::profiler::decimal::Decimal;
use dynameta_testkit::om_python;
use serde_json::{json, Value};

fn oracle(input: &Value) -> Value {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/om_dq_oracle.py");
    let mut child = Command::new(om_python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run om_dq_oracle.py with the OpenMetadata venv's python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    // Exit 1 = some validator raised (reported per case); 2 = unreadable input.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "oracle: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).expect("oracle JSON")
}

/// A DynamoDB value as the oracle's DataFrame row holds it (`docs/data-quality.md`).
fn to_json(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!(s),
        AttributeValue::N(n) => {
            let d = Decimal::parse(n).expect("test numbers parse");
            match n.parse::<i64>() {
                Ok(i) if d.is_integer() => json!(i),
                _ => json!(d.to_f64()),
            }
        }
        AttributeValue::Bool(b) => json!(b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(l) => Value::Array(l.iter().map(to_json).collect()),
        AttributeValue::Ss(l) => json!(l),
        other => panic!("no JSON form in this test for {other:?}"),
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}
fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
fn null() -> AttributeValue {
    AttributeValue::Null(true)
}

type Item = HashMap<String, AttributeValue>;

fn item(pairs: &[(&str, AttributeValue)]) -> Item {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
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

/// Runs `cases` over `items` through the engine and the oracle and compares them case
/// by case; returns the engine's outcomes.
fn compare(items: &[Item], columns: &[&str], cases: &[CaseSpec]) -> Vec<CaseOutcome> {
    let catalogued: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    let plan = DqPlan::new(cases.to_vec(), catalogued.clone());
    let mut state = plan.state(&DqLimits::default());
    for i in items {
        state.observe(i).unwrap();
    }
    let ours = state.finish(&plan).unwrap();
    let rows: Vec<Value> = items
        .iter()
        .map(|i| {
            Value::Object(
                i.iter()
                    .map(|(k, v)| (k.clone(), to_json(v)))
                    .collect::<serde_json::Map<_, _>>(),
            )
        })
        .collect();
    let input = json!({
        "rows": rows,
        "columns": catalogued,
        "testCases": cases.iter().map(|c| json!({
            "name": c.name,
            "testDefinitionName": c.definition,
            "columnName": c.column,
            "parameterValues": c.parameters.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
            "computePassedFailedRowCount": c.compute_passed_failed_row_count,
        })).collect::<Vec<_>>(),
    });
    let theirs = oracle(&input);
    let theirs = theirs["results"].as_array().expect("results");
    assert_eq!(theirs.len(), ours.len());
    let mut problems = Vec::new();
    for (o, t) in ours.iter().zip(theirs) {
        assert_eq!(t["name"], o.name.as_str());
        if let Some(err) = t["error"].as_str() {
            if o.status != CaseStatus::Aborted {
                problems.push(format!(
                    "{}: OpenMetadata raised ({err}), dynameta said {:?}: {}",
                    o.name, o.status, o.result
                ));
            }
            continue;
        }
        let values: Vec<(String, String)> = t["testResultValue"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["name"].as_str().unwrap().to_string(),
                    v["value"].as_str().unwrap_or("None").to_string(),
                )
            })
            .collect();
        let pct = |v: &Value| v.as_f64();
        let same_pct = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            (None, None) => true,
            _ => false,
        };
        if t["testCaseStatus"] != o.status.as_str()
            || values != o.values
            || t["result"] != o.result.as_str()
            || t["passedRows"].as_u64() != o.passed_rows
            || t["failedRows"].as_u64() != o.failed_rows
            || !same_pct(pct(&t["passedRowsPercentage"]), o.passed_rows_percentage)
            || !same_pct(pct(&t["failedRowsPercentage"]), o.failed_rows_percentage)
        {
            problems.push(format!(
                "{}:\n  OpenMetadata {t}\n  dynameta     {o:?}",
                o.name
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    ours
}

/// The table of `dq_oracle.rs`: `id` 1..5, `name` with one NULL and one absent, `grp`
/// x, x, y, y, z, `score` 10..40 and absent once; `extra` catalogued, in no item.
fn breaking_items() -> Vec<Item> {
    vec![
        item(&[
            ("id", n("1")),
            ("name", s("a")),
            ("grp", s("x")),
            ("score", n("10")),
        ]),
        item(&[
            ("id", n("2")),
            ("name", s("bb")),
            ("grp", s("x")),
            ("score", n("20")),
        ]),
        item(&[
            ("id", n("3")),
            ("name", s("ccc")),
            ("grp", s("y")),
            ("score", n("30")),
        ]),
        item(&[
            ("id", n("4")),
            ("name", null()),
            ("grp", s("y")),
            ("score", n("40")),
        ]),
        item(&[("id", n("5")), ("grp", s("z"))]),
    ]
}

#[rustfmt::skip]
fn pass_and_fail_cases() -> Vec<CaseSpec> {
    let sc = Some("score");
    let mut all = vec![
        case("rowsBetweenPass", "tableRowCountToBeBetween", None, &[("minValue", "1"), ("maxValue", "5")]),
        case("rowsBetweenFail", "tableRowCountToBeBetween", None, &[("minValue", "6"), ("maxValue", "10")]),
        case("rowsEqualPass", "tableRowCountToEqual", None, &[("value", "5")]),
        case("rowsEqualFail", "tableRowCountToEqual", None, &[("value", "4")]),
        case("colsBetweenPass", "tableColumnCountToBeBetween", None, &[("minColValue", "5"), ("maxColValue", "5")]),
        case("colsBetweenFail", "tableColumnCountToBeBetween", None, &[("minColValue", "6"), ("maxColValue", "7")]),
        case("notNullPass", "columnValuesToBeNotNull", Some("id"), &[]),
        case("notNullFail", "columnValuesToBeNotNull", Some("name"), &[]),
        case("uniquePass", "columnValuesToBeUnique", Some("id"), &[]),
        case("uniqueFail", "columnValuesToBeUnique", Some("grp"), &[]),
        case("betweenPass", "columnValuesToBeBetween", sc, &[("minValue", "0"), ("maxValue", "100")]),
        case("betweenFail", "columnValuesToBeBetween", sc, &[("minValue", "15"), ("maxValue", "100")]),
        case("lengthsPass", "columnValueLengthsToBeBetween", Some("name"), &[("minLength", "1"), ("maxLength", "3")]),
        case("lengthsFail", "columnValueLengthsToBeBetween", Some("name"), &[("minLength", "1"), ("maxLength", "2")]),
        case("regexPass", "columnValuesToMatchRegex", Some("name"), &[("regex", "^[a-c]+$")]),
        case("regexFail", "columnValuesToMatchRegex", Some("name"), &[("regex", "^a$")]),
        case("notRegexPass", "columnValuesToNotMatchRegex", Some("name"), &[("forbiddenRegex", "z")]),
        case("notRegexFail", "columnValuesToNotMatchRegex", Some("name"), &[("forbiddenRegex", "a")]),
        case("inSetPass", "columnValuesToBeInSet", Some("grp"), &[("allowedValues", "[\"x\"]")]),
        case("inSetFail", "columnValuesToBeInSet", Some("grp"), &[("allowedValues", "[\"q\"]")]),
        case("inSetEnumFail", "columnValuesToBeInSet", Some("grp"), &[("allowedValues", "['x']"), ("matchEnum", "true")]),
        case("inSetEnumPass", "columnValuesToBeInSet", Some("grp"), &[("allowedValues", "['x', 'y', 'z']"), ("matchEnum", "True")]),
        case("notInSetPass", "columnValuesToBeNotInSet", Some("grp"), &[("forbiddenValues", "[\"q\"]")]),
        case("notInSetFail", "columnValuesToBeNotInSet", Some("grp"), &[("forbiddenValues", "[\"x\"]")]),
        case("missingPass", "columnValuesMissingCount", Some("name"), &[("missingCountValue", "2")]),
        case("missingFail", "columnValuesMissingCount", Some("name"), &[("missingCountValue", "1")]),
        case("maxPass", "columnValueMaxToBeBetween", sc, &[("minValueForMaxInCol", "40"), ("maxValueForMaxInCol", "50")]),
        case("maxFail", "columnValueMaxToBeBetween", sc, &[("minValueForMaxInCol", "0"), ("maxValueForMaxInCol", "39")]),
        case("minPass", "columnValueMinToBeBetween", sc, &[("minValueForMinInCol", "0"), ("maxValueForMinInCol", "10")]),
        case("minFail", "columnValueMinToBeBetween", sc, &[("minValueForMinInCol", "11"), ("maxValueForMinInCol", "20")]),
        case("meanPass", "columnValueMeanToBeBetween", sc, &[("minValueForMeanInCol", "20"), ("maxValueForMeanInCol", "30")]),
        case("meanFail", "columnValueMeanToBeBetween", sc, &[("minValueForMeanInCol", "26"), ("maxValueForMeanInCol", "30")]),
        case("medianPass", "columnValueMedianToBeBetween", sc, &[("minValueForMedianInCol", "20"), ("maxValueForMedianInCol", "30")]),
        case("medianFail", "columnValueMedianToBeBetween", sc, &[("minValueForMedianInCol", "0"), ("maxValueForMedianInCol", "10")]),
        case("stddevPass", "columnValueStdDevToBeBetween", sc, &[("minValueForStdDevInCol", "10"), ("maxValueForStdDevInCol", "14")]),
        case("stddevFail", "columnValueStdDevToBeBetween", sc, &[("minValueForStdDevInCol", "0"), ("maxValueForStdDevInCol", "5")]),
        case("sumPass", "columnValuesSumToBeBetween", sc, &[("minValueForColSum", "100"), ("maxValueForColSum", "100")]),
        case("sumFail", "columnValuesSumToBeBetween", sc, &[("minValueForColSum", "0"), ("maxValueForColSum", "99")]),
        // Integers with no missing value: pandas sums as int64 ("15", not "15.0").
        case("sumIntColumn", "columnValuesSumToBeBetween", Some("id"), &[("minValueForColSum", "1e3")]),
        case("medianInts", "columnValueMedianToBeBetween", Some("id"), &[]),
        // A mean over strings is their mean length.
        case("meanOfStrings", "columnValueMeanToBeBetween", Some("grp"), &[]),
        // Numeric tests on strings, regexes on numbers: OpenMetadata raises, we abort.
        case("minOfStrings", "columnValueMinToBeBetween", Some("grp"), &[]),
        case("regexOnNumbers", "columnValuesToMatchRegex", Some("id"), &[("regex", "1")]),
        case("sumOfNothing", "columnValuesSumToBeBetween", Some("extra"), &[]),
        case("lengthsOfNumbers", "columnValueLengthsToBeBetween", Some("id"), &[("maxLength", "3")]),
        // Typed set equality: 1 matches the number, '2' (a string) does not.
        case("inSetTyped", "columnValuesToBeInSet", Some("id"), &[("allowedValues", "[1, '2']")]),
        case("missingFloatExpected", "columnValuesMissingCount", Some("name"), &[("missingCountValue", "2.0")]),
        case("missingWithMatch", "columnValuesMissingCount", Some("grp"), &[("missingCountValue", "1"), ("missingValueMatch", "['z']")]),
        case("uniqueNothing", "columnValuesToBeUnique", Some("extra"), &[]),
        case("boundsFractional", "columnValuesToBeBetween", sc, &[("minValue", "10.5"), ("maxValue", "1e16")]),
    ];
    // Row counts only when asked for.
    let mut plain = case("notNullNoCounts", "columnValuesToBeNotNull", Some("name"), &[]);
    plain.compute_passed_failed_row_count = false;
    all.push(plain);
    let mut plain = case("inSetNoCounts", "columnValuesToBeInSet", Some("grp"), &[("allowedValues", "['x']")]);
    plain.compute_passed_failed_row_count = false;
    all.push(plain);
    all
}

#[test]
fn the_engine_agrees_with_openmetadata_on_a_table_built_to_break_every_definition() {
    let cases = pass_and_fail_cases();
    let ours = compare(
        &breaking_items(),
        &["id", "name", "grp", "score", "extra"],
        &cases,
    );
    // Every supported definition seen failing and passing.
    for def in DqPlan::supported_definitions() {
        for status in [CaseStatus::Success, CaseStatus::Failed] {
            assert!(
                cases
                    .iter()
                    .zip(&ours)
                    .any(|(c, o)| c.definition == *def && o.status == status),
                "{def} has no {status:?} case"
            );
        }
    }
}

#[test]
fn the_engine_agrees_with_openmetadata_on_a_table_where_every_definition_passes() {
    let items: Vec<Item> = (1..=6)
        .map(|i| {
            item(&[
                ("pk", s(&format!("user#{i}"))),
                ("qty", n(&format!("{}.5", i * 3))),
                ("tier", s(["gold", "silver", "bronze"][i % 3])),
                ("flag", AttributeValue::Bool(i % 2 == 0)),
            ])
        })
        .collect();
    #[rustfmt::skip]
    let cases = vec![
        case("rows", "tableRowCountToBeBetween", None, &[("minValue", "6"), ("maxValue", "6")]),
        case("rowsEq", "tableRowCountToEqual", None, &[("value", "6")]),
        case("cols", "tableColumnCountToBeBetween", None, &[("minColValue", "4"), ("maxColValue", "4")]),
        case("notNull", "columnValuesToBeNotNull", Some("pk"), &[]),
        case("unique", "columnValuesToBeUnique", Some("pk"), &[]),
        case("between", "columnValuesToBeBetween", Some("qty"), &[("minValue", "3"), ("maxValue", "18.5")]),
        case("lengths", "columnValueLengthsToBeBetween", Some("pk"), &[("minLength", "6"), ("maxLength", "6")]),
        case("regex", "columnValuesToMatchRegex", Some("pk"), &[("regex", "^user#[0-9]+$")]),
        case("notRegex", "columnValuesToNotMatchRegex", Some("tier"), &[("forbiddenRegex", "platinum")]),
        case("inSet", "columnValuesToBeInSet", Some("tier"), &[("allowedValues", "['gold', 'silver', 'bronze']"), ("matchEnum", "true")]),
        case("notInSet", "columnValuesToBeNotInSet", Some("tier"), &[("forbiddenValues", "['lead']")]),
        case("missing", "columnValuesMissingCount", Some("tier"), &[("missingCountValue", "0")]),
        case("max", "columnValueMaxToBeBetween", Some("qty"), &[("minValueForMaxInCol", "18.5"), ("maxValueForMaxInCol", "18.5")]),
        case("min", "columnValueMinToBeBetween", Some("qty"), &[("minValueForMinInCol", "3.5"), ("maxValueForMinInCol", "3.5")]),
        case("mean", "columnValueMeanToBeBetween", Some("qty"), &[("minValueForMeanInCol", "11"), ("maxValueForMeanInCol", "11")]),
        case("median", "columnValueMedianToBeBetween", Some("qty"), &[("minValueForMedianInCol", "11"), ("maxValueForMedianInCol", "11")]),
        case("stddev", "columnValueStdDevToBeBetween", Some("qty"), &[("minValueForStdDevInCol", "5"), ("maxValueForStdDevInCol", "6")]),
        case("sum", "columnValuesSumToBeBetween", Some("qty"), &[("minValueForColSum", "66"), ("maxValueForColSum", "66")]),
        case("boolSet", "columnValuesToBeInSet", Some("flag"), &[("allowedValues", "[True]")]),
    ];
    let ours = compare(&items, &["pk", "qty", "tier", "flag"], &cases);
    let definitions: std::collections::BTreeSet<&str> =
        cases.iter().map(|c| c.definition.as_str()).collect();
    assert_eq!(definitions.len(), 18);
    for o in &ours {
        assert_eq!(o.status, CaseStatus::Success, "{o:?}");
    }
}

/// 300 items of pseudo-random decimals (two places, some negative, some absent) and
/// strings: the statistics OpenMetadata computes in floats (mean, stddev, median, sum)
/// printed digit for digit as OpenMetadata prints them.
#[test]
fn the_engine_agrees_with_openmetadata_on_many_decimals() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let items: Vec<Item> = (0..300)
        .map(|i| {
            let r = next();
            let cents = (r % 2_000_000) as i64 - 500_000;
            let mut it = item(&[
                ("k", s(&format!("k{}", r % 250))),
                ("w", s(&"x".repeat((r % 13) as usize))),
            ]);
            if i % 17 != 0 {
                it.insert(
                    "v".into(),
                    n(&format!("{}.{:02}", cents / 100, (cents % 100).abs())),
                );
            }
            it
        })
        .collect();
    let v = Some("v");
    #[rustfmt::skip]
    let cases = vec![
        case("between", "columnValuesToBeBetween", v, &[("minValue", "-1000.5"), ("maxValue", "9000.25")]),
        case("max", "columnValueMaxToBeBetween", v, &[]),
        case("min", "columnValueMinToBeBetween", v, &[]),
        case("mean", "columnValueMeanToBeBetween", v, &[]),
        case("median", "columnValueMedianToBeBetween", v, &[]),
        case("stddev", "columnValueStdDevToBeBetween", v, &[]),
        case("sum", "columnValuesSumToBeBetween", v, &[]),
        case("unique", "columnValuesToBeUnique", Some("k"), &[]),
        case("lengths", "columnValueLengthsToBeBetween", Some("w"), &[("minLength", "1")]),
        case("meanLength", "columnValueMeanToBeBetween", Some("w"), &[]),
        case("missing", "columnValuesMissingCount", Some("w"), &[("missingCountValue", "20")]),
    ];
    compare(&items, &["k", "v", "w"], &cases);
}
