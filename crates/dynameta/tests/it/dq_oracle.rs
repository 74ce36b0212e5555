//! The pandas differential oracle of issue 23 (`scripts/om_dq_oracle.py`): OpenMetadata
//! 2.0.7's own pandas validators, run on rows given as JSON. These tests pin what those
//! validators decide for every test definition `dynameta test` will support — one
//! passing and one failing case each — so the runner has an executable spec, and show
//! the oracle can say "Failed" (negative control) and refuses input it cannot read.

use std::io::Write;
use std::process::{Command, Stdio};

use dynameta_testkit::om_python;
use serde_json::{json, Value};

fn oracle_script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/om_dq_oracle.py")
}

/// Runs the oracle with `input` on stdin; returns (exit code, stdout JSON).
fn oracle(input: &Value) -> (i32, Value, String) {
    let mut child = Command::new(om_python())
        .arg(oracle_script())
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
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stderr,
    )
}

fn params(pairs: &[(&str, &str)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(n, v)| json!({ "name": n, "value": v }))
            .collect(),
    )
}

/// One expectation: case name, definition, column, parameters, status, result values
/// (name, value), (passedRows, failedRows) when computed.
struct Case {
    name: &'static str,
    definition: &'static str,
    column: Option<&'static str>,
    params: Vec<(&'static str, &'static str)>,
    count_rows: bool,
    status: &'static str,
    values: Vec<(&'static str, &'static str)>,
    rows: Option<(u64, u64)>,
}

#[allow(clippy::too_many_arguments)]
fn case(
    name: &'static str,
    definition: &'static str,
    column: Option<&'static str>,
    params: &[(&'static str, &'static str)],
    status: &'static str,
    values: &[(&'static str, &'static str)],
    rows: Option<(u64, u64)>,
) -> Case {
    Case {
        name,
        definition,
        column,
        params: params.to_vec(),
        count_rows: true,
        status,
        values: values.to_vec(),
        rows,
    }
}

/// A five-item table: `id` unique and present everywhere; `name` one `NULL` and one
/// absent; `grp` with duplicates; `score` 10..40 and absent once; `extra` in no item.
fn rows() -> Value {
    json!([
        {"id": 1, "name": "a",   "grp": "x", "score": 10},
        {"id": 2, "name": "bb",  "grp": "x", "score": 20},
        {"id": 3, "name": "ccc", "grp": "y", "score": 30},
        {"id": 4, "name": null,  "grp": "y", "score": 40},
        {"id": 5,                "grp": "z"}
    ])
}

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let s = Some("score");
    let (ok, ko) = ("Success", "Failed");
    let mut all = vec![
        case("rowsBetweenPass", "tableRowCountToBeBetween", None, &[("minValue", "1"), ("maxValue", "5")], ok, &[("rowCount", "5")], None),
        case("rowsBetweenFail", "tableRowCountToBeBetween", None, &[("minValue", "6"), ("maxValue", "10")], ko, &[("rowCount", "5")], None),
        case("rowsEqualPass", "tableRowCountToEqual", None, &[("value", "5")], ok, &[("rowCount", "5")], None),
        case("rowsEqualFail", "tableRowCountToEqual", None, &[("value", "4")], ko, &[("rowCount", "5")], None),
        // The table's columns, `extra` included although no item holds it.
        case("colsBetweenPass", "tableColumnCountToBeBetween", None, &[("minColValue", "5"), ("maxColValue", "5")], ok, &[("columnCount", "5")], None),
        case("colsBetweenFail", "tableColumnCountToBeBetween", None, &[("minColValue", "6"), ("maxColValue", "7")], ko, &[("columnCount", "5")], None),
        case("notNullPass", "columnValuesToBeNotNull", Some("id"), &[], ok, &[("nullCount", "0")], Some((5, 0))),
        // NULL and absent both count as null.
        case("notNullFail", "columnValuesToBeNotNull", Some("name"), &[], ko, &[("nullCount", "2")], None),
        case("uniquePass", "columnValuesToBeUnique", Some("id"), &[], ok, &[("valueCount", "5"), ("uniqueCount", "5")], Some((5, 0))),
        // uniqueCount counts values that occur exactly once (only "z"), not distinct values.
        case("uniqueFail", "columnValuesToBeUnique", Some("grp"), &[], ko, &[("valueCount", "5"), ("uniqueCount", "1")], Some((1, 4))),
        // Nulls are not failed rows: passed = rows - failed.
        case("betweenPass", "columnValuesToBeBetween", s, &[("minValue", "0"), ("maxValue", "100")], ok, &[("min", "10.0"), ("max", "40.0")], Some((5, 0))),
        case("betweenFail", "columnValuesToBeBetween", s, &[("minValue", "15"), ("maxValue", "100")], ko, &[("min", "10.0"), ("max", "40.0")], Some((4, 1))),
        case("lengthsPass", "columnValueLengthsToBeBetween", Some("name"), &[("minLength", "1"), ("maxLength", "3")], ok, &[("minValueLength", "1"), ("maxValueLength", "3")], Some((5, 0))),
        case("lengthsFail", "columnValueLengthsToBeBetween", Some("name"), &[("minLength", "1"), ("maxLength", "2")], ko, &[("minValueLength", "1"), ("maxValueLength", "3")], Some((4, 1))),
        // Compared with the non-null count (3), not the row count.
        case("regexPass", "columnValuesToMatchRegex", Some("name"), &[("regex", "^[a-c]+$")], ok, &[("likeCount", "3")], Some((3, 0))),
        case("regexFail", "columnValuesToMatchRegex", Some("name"), &[("regex", "^a$")], ko, &[("likeCount", "1")], Some((1, 2))),
        case("notRegexPass", "columnValuesToNotMatchRegex", Some("name"), &[("forbiddenRegex", "z")], ok, &[("notLikeCount", "0")], Some((5, 0))),
        case("notRegexFail", "columnValuesToNotMatchRegex", Some("name"), &[("forbiddenRegex", "a")], ko, &[("notLikeCount", "1")], Some((4, 1))),
        // Without matchEnum, one value in the set is enough to pass.
        case("inSetPass", "columnValuesToBeInSet", Some("grp"), &[("allowedValues", "[\"x\"]")], ok, &[("allowedValueCount", "2")], Some((2, 3))),
        case("inSetFail", "columnValuesToBeInSet", Some("grp"), &[("allowedValues", "[\"q\"]")], ko, &[("allowedValueCount", "0")], Some((0, 5))),
        case("inSetEnumFail", "columnValuesToBeInSet", Some("grp"), &[("allowedValues", "[\"x\"]"), ("matchEnum", "true")], ko, &[("allowedValueCount", "2")], Some((2, 3))),
        case("notInSetPass", "columnValuesToBeNotInSet", Some("grp"), &[("forbiddenValues", "[\"q\"]")], ok, &[("countForbiddenValues", "0")], Some((5, 0))),
        case("notInSetFail", "columnValuesToBeNotInSet", Some("grp"), &[("forbiddenValues", "[\"x\"]")], ko, &[("countForbiddenValues", "2")], Some((3, 2))),
        case("missingPass", "columnValuesMissingCount", Some("name"), &[("missingCountValue", "2")], ok, &[("nullCount", "2")], None),
        case("missingFail", "columnValuesMissingCount", Some("name"), &[("missingCountValue", "1")], ko, &[("nullCount", "2")], None),
        case("maxPass", "columnValueMaxToBeBetween", s, &[("minValueForMaxInCol", "40"), ("maxValueForMaxInCol", "50")], ok, &[("max", "40.0")], None),
        case("maxFail", "columnValueMaxToBeBetween", s, &[("minValueForMaxInCol", "0"), ("maxValueForMaxInCol", "39")], ko, &[("max", "40.0")], None),
        case("minPass", "columnValueMinToBeBetween", s, &[("minValueForMinInCol", "0"), ("maxValueForMinInCol", "10")], ok, &[("min", "10.0")], None),
        case("minFail", "columnValueMinToBeBetween", s, &[("minValueForMinInCol", "11"), ("maxValueForMinInCol", "20")], ko, &[("min", "10.0")], None),
        case("meanPass", "columnValueMeanToBeBetween", s, &[("minValueForMeanInCol", "20"), ("maxValueForMeanInCol", "30")], ok, &[("mean", "25.0")], None),
        case("meanFail", "columnValueMeanToBeBetween", s, &[("minValueForMeanInCol", "26"), ("maxValueForMeanInCol", "30")], ko, &[("mean", "25.0")], None),
        case("medianPass", "columnValueMedianToBeBetween", s, &[("minValueForMedianInCol", "20"), ("maxValueForMedianInCol", "30")], ok, &[("median", "25.0")], None),
        case("medianFail", "columnValueMedianToBeBetween", s, &[("minValueForMedianInCol", "0"), ("maxValueForMedianInCol", "10")], ko, &[("median", "25.0")], None),
        // Population standard deviation (ddof 0) of 10, 20, 30, 40; the absent one skipped.
        case("stddevPass", "columnValueStdDevToBeBetween", s, &[("minValueForStdDevInCol", "10"), ("maxValueForStdDevInCol", "14")], ok, &[("stddev", "11.180339887498949")], None),
        case("stddevFail", "columnValueStdDevToBeBetween", s, &[("minValueForStdDevInCol", "0"), ("maxValueForStdDevInCol", "5")], ko, &[("stddev", "11.180339887498949")], None),
        case("sumPass", "columnValuesSumToBeBetween", s, &[("minValueForColSum", "100"), ("maxValueForColSum", "100")], ok, &[("sum", "100.0")], None),
        case("sumFail", "columnValuesSumToBeBetween", s, &[("minValueForColSum", "0"), ("maxValueForColSum", "99")], ko, &[("sum", "100.0")], None),
    ];
    // Row counts are only computed when asked for.
    let mut plain = case("notNullFailNoCounts", "columnValuesToBeNotNull", Some("name"), &[], ko, &[("nullCount", "2")], None);
    plain.count_rows = false;
    all.push(plain);
    all
}

#[test]
fn openmetadata_pandas_validators_pass_and_fail_every_supported_definition() {
    let cases = cases();
    let input = json!({
        "rows": rows(),
        "columns": ["id", "name", "grp", "score", "extra"],
        "testCases": cases.iter().map(|c| json!({
            "name": c.name,
            "testDefinitionName": c.definition,
            "columnName": c.column,
            "parameterValues": params(&c.params),
            "computePassedFailedRowCount": c.count_rows,
        })).collect::<Vec<_>>(),
    });
    let (code, out, stderr) = oracle(&input);
    assert_eq!(code, 0, "oracle failed: {out}\n{stderr}");
    let results = out["results"].as_array().expect("results");
    assert_eq!(results.len(), cases.len());
    let mut definitions = std::collections::BTreeSet::new();
    for (c, r) in cases.iter().zip(results) {
        assert_eq!(r["name"], c.name);
        assert_eq!(r["testCaseStatus"], c.status, "{}: {r}", c.name);
        let values: Vec<(&str, &str)> = r["testResultValue"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["name"].as_str().unwrap(), v["value"].as_str().unwrap()))
            .collect();
        assert_eq!(values, c.values, "{}: {r}", c.name);
        if let Some((passed, failed)) = c.rows {
            assert_eq!(r["passedRows"], passed, "{}: {r}", c.name);
            assert_eq!(r["failedRows"], failed, "{}: {r}", c.name);
        }
        if !c.count_rows {
            assert!(r["passedRows"].is_null(), "{}: {r}", c.name);
        }
        definitions.insert(c.definition);
    }
    // Every definition issue 23 supports, each seen passing and failing.
    assert_eq!(definitions.len(), 18, "{definitions:?}");
    for d in &definitions {
        for status in ["Success", "Failed"] {
            assert!(
                cases
                    .iter()
                    .any(|c| c.definition == *d && c.status == status),
                "{d} has no {status} case"
            );
        }
    }
}

#[test]
fn the_dq_oracle_refuses_unreadable_input_and_reports_an_unknown_definition() {
    let (code, out, _) = oracle(&json!({ "rows": "not a list" }));
    assert_eq!(code, 2, "{out}");
    assert!(out["error"].as_str().unwrap().contains("rows"), "{out}");
    let (code, out, _) = oracle(&json!({
        "rows": [{"id": 1}],
        "testCases": [{"name": "x", "testDefinitionName": "noSuchDefinition", "columnName": "id"}],
    }));
    assert_eq!(code, 1, "{out}");
    assert!(out["results"][0]["error"].is_string(), "{out}");
}

/// Runs `om_oracle.py validate FILE` on JSON Lines `records`; returns (exit code, stdout
/// JSON, stderr).
fn validate_records(records: &[Value]) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dq.jsonl");
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&path, text).unwrap();
    let out = Command::new(om_python())
        .arg(dynameta_testkit::om_oracle_script())
        .arg("validate")
        .arg(&path)
        .output()
        .expect("run om_oracle.py validate");
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(&String::from_utf8_lossy(&out.stdout)).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn openmetadata_models_accept_a_test_case_and_result_and_refuse_naive_ones() {
    let case = json!({
        "name": "qty_between",
        "entityLink": "<#E::table::svc.default.default.orders::columns::qty>",
        "testDefinition": "columnValuesToBeBetween",
        "parameterValues": [{"name": "minValue", "value": "0"}, {"name": "maxValue", "value": "10"}],
        "computePassedFailedRowCount": true,
    });
    let result = json!({
        "timestamp": 1_765_000_000_000_i64,
        "testCaseStatus": "Failed",
        "result": "Found min=1, max=30",
        "testResultValue": [{"name": "min", "value": "1"}, {"name": "max", "value": "30"}],
        "passedRows": 2,
        "failedRows": 1,
        "passedRowsPercentage": 66.67,
        "failedRowsPercentage": 33.33,
    });
    let good = [
        json!({"kind": "createTestCase", "payload": case}),
        json!({"kind": "createTestCaseResult", "payload": result}),
    ];
    let (code, out, stderr) = validate_records(&good);
    assert_eq!(code, 0, "{out}\n{stderr}");
    assert_eq!(out["counts"]["createTestCase"], 1, "{out}");

    // Negative control: what a naive client would send.
    let mut number_value = case.clone();
    number_value["parameterValues"][0]["value"] = json!(0);
    let mut piped_link = case.clone();
    piped_link["entityLink"] = json!("<#E::table::a|b::columns::qty>");
    let mut passed = result.clone();
    passed["testCaseStatus"] = json!("Passed");
    let mut seconds_as_text = result.clone();
    seconds_as_text["timestamp"] = json!("1765000000");
    let bad = [
        json!({"kind": "createTestCase", "payload": number_value}),
        json!({"kind": "createTestCase", "payload": piped_link}),
        json!({"kind": "createTestCaseResult", "payload": passed}),
        json!({"kind": "createTestCaseResult", "payload": seconds_as_text}),
    ];
    let mut all = good.to_vec();
    all.extend(bad);
    let (code, out, stderr) = validate_records(&all);
    assert_eq!(code, 1, "{out}\n{stderr}");
    assert_eq!(
        stderr.lines().count(),
        4,
        "exactly the four bad records: {stderr}"
    );
    assert!(stderr.contains("parameterValues.0.value"), "{stderr}");
    assert!(stderr.contains("entityLink"), "{stderr}");
    assert!(stderr.contains("testCaseStatus"), "{stderr}");
    assert!(stderr.contains("timestamp"), "{stderr}");
}

#[test]
fn openmetadata_counts_empty_strings_as_missing_and_never_matches_nulls_with_a_regex() {
    let input = json!({
        "rows": [
            {"id": 1, "note": ""},
            {"id": 2, "note": "x"},
            {"id": 3},
            {"id": 4, "note": null},
            {"id": 5, "note": "N/A"}
        ],
        "testCases": [
            {"name": "missing", "testDefinitionName": "columnValuesMissingCount", "columnName": "note",
             "parameterValues": [{"name": "missingCountValue", "value": "3"}]},
            {"name": "missingNA", "testDefinitionName": "columnValuesMissingCount", "columnName": "note",
             "parameterValues": [{"name": "missingCountValue", "value": "4"},
                                 {"name": "missingValueMatch", "value": "[\"N/A\"]"}]},
            // "nan" / "None" (what a null would read as text) are not searched.
            {"name": "noN", "testDefinitionName": "columnValuesToNotMatchRegex", "columnName": "note",
             "parameterValues": [{"name": "forbiddenRegex", "value": "n"}]},
            // A search, not a full match: "x" is found in "x".
            {"name": "search", "testDefinitionName": "columnValuesToMatchRegex", "columnName": "note",
             "parameterValues": [{"name": "regex", "value": "[x/]"}]}
        ]
    });
    let (code, out, stderr) = oracle(&input);
    assert_eq!(code, 0, "{out}\n{stderr}");
    let r = &out["results"];
    // "" plus the absent and the NULL attribute.
    assert_eq!(
        (
            r[0]["testCaseStatus"].as_str(),
            r[0]["testResultValue"][0]["value"].as_str()
        ),
        (Some("Success"), Some("3")),
        "{out}"
    );
    assert_eq!(
        (
            r[1]["testCaseStatus"].as_str(),
            r[1]["testResultValue"][0]["value"].as_str()
        ),
        (Some("Success"), Some("4")),
        "{out}"
    );
    assert_eq!(
        (
            r[2]["testCaseStatus"].as_str(),
            r[2]["testResultValue"][0]["value"].as_str()
        ),
        (Some("Success"), Some("0")),
        "{out}"
    );
    // Two of the three non-null values contain x or /; "" does not: Failed, likeCount 2.
    assert_eq!(r[3]["testResultValue"][0]["name"], "likeCount", "{out}");
    assert_eq!(r[3]["testResultValue"][0]["value"], "2", "{out}");
    assert_eq!(r[3]["testCaseStatus"], "Failed", "{out}");
}
