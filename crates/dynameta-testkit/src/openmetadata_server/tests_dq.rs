//! Tests of the contract server's data-quality endpoints (`dq.rs`): each rule ported
//! from OpenMetadata gets the body a naive client would send and the answer 2.0.7 gives.

use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::{json, Value};

use super::dq::{
    java_double_to_string, java_hash_set_string, java_parse_double, link_matches_pattern,
    parse_link,
};
use super::*;

#[derive(Debug)]
struct Reply {
    status: u16,
    change: Option<String>,
    body: Value,
}

impl Reply {
    fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }
}

/// One request on a fresh connection (`Connection: close`), JSON in and out.
fn call(om: &ContractServer, method: &str, path: &str, body: Option<&Value>) -> Reply {
    let addr = om.endpoint().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let text = body.map(Value::to_string).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    if body.is_some() {
        head.push_str("Content-Type: application/json\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n{text}", text.len()));
    stream.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let change = head
        .lines()
        .find_map(|l| l.strip_prefix("x-openmetadata-change: "))
        .map(str::to_string);
    Reply {
        status,
        change,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    }
}

fn put(om: &ContractServer, path: &str, body: Value) -> Reply {
    call(om, "PUT", path, Some(&body))
}

fn post(om: &ContractServer, path: &str, body: Value) -> Reply {
    call(om, "POST", path, Some(&body))
}

fn get(om: &ContractServer, path: &str) -> Reply {
    call(om, "GET", path, None)
}

const TABLE: &str = "svc.default.default.orders";
const CASES: &str = "/api/v1/dataQuality/testCases";

/// A server holding table `svc.default.default.orders` with columns `pk`, `qty`.
fn server() -> ContractServer {
    let om = ContractServer::start("2.0.7", None);
    for (path, body) in [
        (
            "/api/v1/services/databaseServices",
            json!({ "name": "svc", "serviceType": "DynamoDB" }),
        ),
        (
            "/api/v1/databases",
            json!({ "name": "default", "service": "svc" }),
        ),
        (
            "/api/v1/databaseSchemas",
            json!({ "name": "default", "database": "svc.default" }),
        ),
        (
            "/api/v1/tables",
            json!({
                "name": "orders",
                "databaseSchema": "svc.default.default",
                "columns": [
                    { "name": "pk", "dataType": "STRING" },
                    { "name": "qty", "dataType": "BIGINT" },
                ],
            }),
        ),
    ] {
        let r = put(&om, path, body);
        assert_eq!(r.status, 201, "{path}: {r:?}");
    }
    om
}

fn column_link(column: &str) -> String {
    format!("<#E::table::{TABLE}::columns::{column}>")
}

fn between_case(name: &str, min: &str, max: &str) -> Value {
    json!({
        "name": name,
        "entityLink": column_link("qty"),
        "testDefinition": "columnValuesToBeBetween",
        "parameterValues": [
            { "name": "minValue", "value": min },
            { "name": "maxValue", "value": max },
        ],
    })
}

fn assert_refused(r: &Reply, status: u16, message: &str) {
    assert_eq!((r.status, r.message()), (status, message), "{r:?}");
}

#[test]
fn dq_definitions_are_seeded_readable_by_name_and_paged() {
    let om = server();
    let r = get(
        &om,
        "/api/v1/dataQuality/testDefinitions/name/columnValuesToBeBetween",
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["entityType"], "COLUMN");
    let params: Vec<&str> = r.body["parameterDefinition"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["minValue", "maxValue"]);
    assert_eq!(
        r.body["parameterDefinition"][0]["validationRule"],
        json!({ "parameterField": "maxValue", "rule": "LESS_THAN_OR_EQUALS" })
    );
    let r = get(
        &om,
        "/api/v1/dataQuality/testDefinitions/name/columnValuesToBeFancy",
    );
    assert_refused(
        &r,
        404,
        "testDefinition instance for columnValuesToBeFancy not found",
    );

    let mut seen = Vec::new();
    let mut path = "/api/v1/dataQuality/testDefinitions?limit=5".to_string();
    loop {
        let r = get(&om, &path);
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["paging"]["total"], 18);
        for d in r.body["data"].as_array().unwrap() {
            seen.push(d["name"].as_str().unwrap().to_string());
        }
        match r.body["paging"]["after"].as_str() {
            Some(after) => {
                path = format!("/api/v1/dataQuality/testDefinitions?limit=5&after={after}")
            }
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "each definition once, in name order");
    assert_eq!(seen.len(), 18);
    let r = get(
        &om,
        "/api/v1/dataQuality/testDefinitions?entityType=TABLE&limit=100",
    );
    assert_eq!(r.body["paging"]["total"], 3, "{r:?}");
    let r = get(&om, "/api/v1/dataQuality/testDefinitions?testPlatform=dbt");
    assert_eq!(r.status, 400, "an unimplemented filter is said: {r:?}");
}

#[test]
fn dq_test_case_create_unchanged_updated_and_the_basic_suite() {
    let om = server();
    let r = put(&om, CASES, between_case("qty_between", "0", "10"));
    assert_eq!(
        (r.status, r.change.as_deref()),
        (201, Some("entityCreated")),
        "{r:?}"
    );
    let fqn = format!("{TABLE}.qty.qty_between");
    assert_eq!(r.body["fullyQualifiedName"], fqn.as_str());
    assert_eq!(r.body["entityFQN"], format!("{TABLE}.qty"));
    assert_eq!(r.body["version"], 0.1);
    assert_eq!(
        r.body["testDefinition"]["fullyQualifiedName"],
        "columnValuesToBeBetween"
    );
    assert_eq!(
        r.body["testSuite"]["fullyQualifiedName"],
        format!("{TABLE}.testSuite")
    );
    let suites = om.test_suites();
    assert_eq!(suites.len(), 1);
    assert_eq!(suites[0]["basic"], true);
    assert_eq!(
        suites[0]["basicEntityReference"]["fullyQualifiedName"],
        TABLE
    );

    let r = put(&om, CASES, between_case("qty_between", "0", "10"));
    assert_eq!(
        (r.status, r.change.as_deref()),
        (200, Some("entityNoChange")),
        "{r:?}"
    );
    assert_eq!(r.body["version"], 0.1);
    let r = put(&om, CASES, between_case("qty_between", "0", "20"));
    assert_eq!(
        (r.status, r.change.as_deref()),
        (200, Some("entityUpdated")),
        "{r:?}"
    );
    assert_eq!(r.body["version"], 0.2);
    let r = post(&om, CASES, between_case("qty_between", "0", "20"));
    assert_refused(&r, 409, "Entity already exists");

    // A table-level case joins the same basic suite.
    let r = post(
        &om,
        CASES,
        json!({
            "name": "rows",
            "entityLink": format!("<#E::table::{TABLE}>"),
            "testDefinition": "tableRowCountToEqual",
            "parameterValues": [{ "name": "value", "value": "3" }],
        }),
    );
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["fullyQualifiedName"], format!("{TABLE}.rows"));
    assert_eq!(om.test_suites().len(), 1);
    assert_eq!(om.test_cases().len(), 2);

    // A read leaves out testSuite / testDefinition / testCaseResult unless asked.
    let r = get(&om, &format!("{CASES}/name/{fqn}"));
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.get("testDefinition").is_none(), "{r:?}");
    let r = get(
        &om,
        &format!("{CASES}/name/{fqn}?fields=testDefinition,testSuite"),
    );
    assert_eq!(
        r.body["testDefinition"]["name"], "columnValuesToBeBetween",
        "{r:?}"
    );
    assert!(r.body["testSuite"]["id"].is_string(), "{r:?}");
    let r = get(&om, &format!("{CASES}/name/{fqn}?fields=nonsense"));
    assert_refused(&r, 400, "Invalid field name nonsense");
    let r = get(&om, &format!("{CASES}/name/{TABLE}.nope"));
    assert_refused(
        &r,
        404,
        &format!("testCase instance for {TABLE}.nope not found"),
    );
}

#[test]
fn dq_naive_test_case_bodies_are_refused_with_the_servers_words() {
    let om = server();
    let link_pattern = "[query param entityLink must match \"^<#E::\\w+::(?:[^:<>|]|:[^:<>|])+(?:::(?:[^:<>|]|:[^:<>|])+)*>$\"]";
    let with = |changes: Value| {
        let mut body = between_case("c", "0", "10");
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let cases: Vec<(Value, u16, String)> = vec![
        // Bean Validation (@NotNull, @Pattern on basic.json's entityLink).
        (with(json!({ "entityLink": null })), 400, "[query param entityLink must not be null]".into()),
        (with(json!({ "entityLink": format!("{TABLE}.qty") })), 400, link_pattern.into()),
        (with(json!({ "entityLink": format!("<#E::table::{TABLE}|x::columns::qty>") })), 400, link_pattern.into()),
        (with(json!({ "entityLink": format!("<#E::table::{TABLE}::columns::qty:>") })), 400, link_pattern.into()),
        (with(json!({ "entityLink": "<#E::table::a<b>" })), 400, link_pattern.into()),
        // Jackson: unknown fields; values are strings.
        (with(json!({ "testSuite": "x" })), 400, "Unable to process JSON: Unrecognized field \"testSuite\" (class org.openmetadata.schema.api.tests.CreateTestCase), not marked as ignorable".into()),
        (with(json!({ "parameterValues": [{ "name": "minValue", "value": 0 }] })), 400, "Unable to process JSON: field \"parameterValues\" of a CreateTestCase must be a list of {name, value} whose name and value are strings".into()),
        // EntityUtil.validateEntityLink / Entity.getEntity.
        (with(json!({ "entityLink": "<#E::table::svc.default.default.nope::columns::qty>" })), 404, "table instance for svc.default.default.nope not found".into()),
        (with(json!({ "testDefinition": "columnValuesToBeFancy" })), 404, "testDefinition instance for columnValuesToBeFancy not found".into()),
        // validateTestParameters.
        (with(json!({ "parameterValues": [{ "name": "min", "value": "0" }] })), 400, "Parameter 'min' is not defined in the test definition. Defined parameters are: [minValue, maxValue]".into()),
        (with(json!({ "testDefinition": "columnValuesToBeNotNull" })), 400, "Parameter Values doesn't match Test Definition Parameters".into()),
        (with(json!({ "testDefinition": "columnValuesToMatchRegex", "parameterValues": [] })), 400, "Required parameter regex is not passed in parameterValues".into()),
        (with(json!({ "testDefinition": "columnValuesToMatchRegex", "parameterValues": [{ "name": "regex" }] })), 400, "Required parameter regex is not passed in parameterValues".into()),
        // validateParameterRule: Java's Double.toString and the doubled spaces.
        (with(json!({ "parameterValues": [{ "name": "minValue", "value": "10" }, { "name": "maxValue", "value": "5" }] })), 400, "Value 10.0  is not less than  5.0".into()),
        (with(json!({ "parameterValues": [{ "name": "minValue", "value": "2e7" }, { "name": "maxValue", "value": "5" }] })), 400, "Value 2.0E7  is not less than  5.0".into()),
        // validateColumnTestCase.
        (with(json!({ "entityLink": format!("<#E::table::{TABLE}>") })), 400, "Column test case must have a field name and an array field name in the entity link. e.g. <#E::table::{entityFqn}::columns::{columnName}>".into()),
        (with(json!({ "entityLink": format!("<#E::table::{TABLE}::description>") })), 400, "Invalid field name 'description' for column test case. It should be 'columns'. e.g. <#E::table::{entityFqn}::columns::{columnName}>".into()),
        (with(json!({ "entityLink": column_link("quantity") })), 400, "Invalid column name quantity".into()),
        // validateDimensionColumns.
        (with(json!({ "dimensionColumns": ["region"] })), 400, "Invalid column name region".into()),
    ];
    for (body, status, message) in &cases {
        let r = put(&om, CASES, body.clone());
        assert_refused(&r, *status, message);
    }
    assert!(om.test_cases().is_empty(), "nothing stored");
    assert!(om.test_suites().is_empty(), "no suite for refused cases");

    // Upstream quirks kept, not "fixed": no parameterValues at all skips the parameter
    // checks; a non-number bound skips the min <= max check; a table test may point at
    // a column.
    let accepted = [
        with(
            json!({ "name": "a", "testDefinition": "columnValuesToMatchRegex", "parameterValues": null }),
        ),
        with(
            json!({ "name": "b", "parameterValues": [{ "name": "minValue", "value": "ten" }, { "name": "maxValue", "value": "5" }] }),
        ),
        with(
            json!({ "name": "c", "testDefinition": "tableRowCountToEqual", "parameterValues": [{ "name": "value", "value": "1" }] }),
        ),
    ];
    for body in accepted {
        let r = put(&om, CASES, body.clone());
        assert_eq!(r.status, 201, "{body}: {r:?}");
    }
}

#[test]
fn dq_results_need_milliseconds_a_known_case_and_keep_the_newest_on_the_case() {
    let om = server();
    assert_eq!(put(&om, CASES, between_case("b", "0", "10")).status, 201);
    let fqn = format!("{TABLE}.qty.b");
    let results = format!("{CASES}/testCaseResults/{fqn}");
    let ok = |ts: i64, status: &str| {
        json!({
            "timestamp": ts,
            "testCaseStatus": status,
            "result": "Found min=1, max=3",
            "testResultValue": [{ "name": "min", "value": "1" }, { "name": "max", "value": "3" }],
        })
    };
    let now: i64 = 1_765_000_000_000;
    // Seconds, as a naive client sends them.
    let r = post(&om, &results, ok(now / 1000, "Success"));
    assert_refused(
        &r,
        400,
        "Timestamp 1765000000 is not valid, it should be in milliseconds since epoch",
    );
    // The case is looked up before the timestamp is checked.
    let r = post(
        &om,
        &format!("{CASES}/testCaseResults/{TABLE}.qty.nope"),
        ok(now / 1000, "Success"),
    );
    assert_refused(
        &r,
        404,
        &format!("testCase instance for {TABLE}.qty.nope not found"),
    );
    let mut missing = ok(now, "Success");
    missing.as_object_mut().unwrap().remove("testResultValue");
    assert_refused(
        &post(&om, &results, missing),
        400,
        "[query param testResultValue must not be null]",
    );
    let r = post(&om, &results, ok(now, "Passed"));
    assert_refused(&r, 400, "Unable to process JSON: field \"testCaseStatus\" of a CreateTestCaseResult must be one of Success, Failed, Aborted, Queued");
    let mut numeric = ok(now, "Success");
    numeric["testResultValue"][0]["value"] = json!(1);
    assert_eq!(post(&om, &results, numeric).status, 400);
    assert!(om.test_case_results(&fqn).is_empty());

    let r = post(&om, &results, ok(now, "Failed"));
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["testCaseFQN"], fqn.as_str());
    assert!(
        r.body["incidentId"].is_string(),
        "a failure opens an incident: {r:?}"
    );
    // An older result is stored but does not replace the case's latest.
    assert_eq!(post(&om, &results, ok(now - 60_000, "Success")).status, 201);
    let r = get(&om, &format!("{CASES}/name/{fqn}?fields=testCaseResult"));
    assert_eq!(r.body["testCaseResult"]["timestamp"], now, "{r:?}");
    assert_eq!(r.body["testCaseStatus"], "Failed");
    assert_eq!(post(&om, &results, ok(now + 60_000, "Success")).status, 201);
    let r = get(&om, &format!("{CASES}/name/{fqn}?fields=testCaseResult"));
    assert_eq!(r.body["testCaseStatus"], "Success", "{r:?}");

    let r = get(
        &om,
        &format!("{results}?startTs={}&endTs={}", now - 1, now + 60_000),
    );
    let stamps: Vec<i64> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["timestamp"].as_i64().unwrap())
        .collect();
    assert_eq!(
        stamps,
        [now + 60_000, now],
        "newest first, within the window"
    );
    assert_eq!(om.test_case_results(&fqn).len(), 3);
}

#[test]
fn dq_test_cases_list_by_entity_link_suite_and_pages() {
    let om = server();
    for name in ["a", "b", "c"] {
        assert_eq!(put(&om, CASES, between_case(name, "0", "10")).status, 201);
    }
    let table_case = json!({
        "name": "rows",
        "entityLink": format!("<#E::table::{TABLE}>"),
        "testDefinition": "tableRowCountToBeBetween",
    });
    assert_eq!(put(&om, CASES, table_case).status, 201);
    let enc = |s: &str| {
        s.replace('<', "%3C")
            .replace('>', "%3E")
            .replace('#', "%23")
    };
    let r = get(
        &om,
        &format!("{CASES}?entityLink={}&limit=100", enc(&column_link("qty"))),
    );
    assert_eq!(r.body["paging"]["total"], 3, "{r:?}");
    let table_link = enc(&format!("<#E::table::{TABLE}>"));
    let r = get(&om, &format!("{CASES}?entityLink={table_link}"));
    assert_eq!(r.body["paging"]["total"], 1, "{r:?}");
    let r = get(
        &om,
        &format!("{CASES}?entityLink={table_link}&includeAllTests=true"),
    );
    assert_eq!(r.body["paging"]["total"], 4, "{r:?}");
    let suite = om.test_suites()[0]["id"].as_str().unwrap().to_string();
    let r = get(&om, &format!("{CASES}?testSuiteId={suite}&limit=100"));
    assert_eq!(r.body["paging"]["total"], 4, "{r:?}");
    let r = get(
        &om,
        &format!("{CASES}?testSuiteId=00000000-0000-4000-8000-000000000000"),
    );
    assert_eq!(r.body["paging"]["total"], 0, "{r:?}");

    let mut seen = Vec::new();
    let mut path = format!("{CASES}?limit=1");
    loop {
        let r = get(&om, &path);
        assert_eq!(r.status, 200, "{r:?}");
        assert!(r.body["data"].as_array().unwrap().len() <= 1);
        seen.extend(
            r.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["fullyQualifiedName"].as_str().unwrap().to_string()),
        );
        match r.body["paging"]["after"].as_str() {
            Some(after) => path = format!("{CASES}?limit=1&after={after}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
    let r = get(&om, &format!("{CASES}?testCaseStatus=Failed"));
    assert_eq!(r.status, 400, "an unimplemented filter is said: {r:?}");
}

#[test]
fn dq_entity_link_pattern_and_parse() {
    for ok in [
        "<#E::table::a.b.c>",
        "<#E::table::a.b.c::columns::x>",
        "<#E::table::a:b::columns::x>",
        "<#E::table::\"a.b\".c::columns::Straße>",
    ] {
        assert!(link_matches_pattern(ok), "{ok}");
    }
    for bad in [
        "table::a",
        "<#E::table>",
        "<#E::table::>",
        "<#E::ta-ble::a>",
        "<#E::tablé::a>",
        "<#E::table::a|b>",
        "<#E::table::a<b>",
        "<#E::table::a>b>",
        "<#E::table::a:>",
        "<#E::table::a::::b>",
        "<#E::table::a::columns::x> ",
    ] {
        assert!(!link_matches_pattern(bad), "{bad}");
    }
    let l = parse_link("<#E::table::s.d.c.t::columns::qty>");
    assert_eq!(
        (
            l.entity_type.as_str(),
            l.entity_fqn.as_str(),
            l.field.as_deref(),
            l.array_field.as_deref()
        ),
        ("table", "s.d.c.t", Some("columns"), Some("qty"))
    );
    assert_eq!(l.field_value_fqn(), "s.d.c.t.qty");
}

#[test]
fn dq_java_number_text_and_hash_set_order() {
    assert_eq!(java_double_to_string(10.0), "10.0");
    assert_eq!(java_double_to_string(0.5), "0.5");
    assert_eq!(java_double_to_string(1e7), "1.0E7");
    assert_eq!(java_double_to_string(12345678.0), "1.2345678E7");
    assert_eq!(java_double_to_string(0.0001), "1.0E-4");
    assert_eq!(java_double_to_string(-3.0), "-3.0");
    assert_eq!(java_parse_double(" 5 "), Some(5.0));
    assert_eq!(java_parse_double("5d"), Some(5.0));
    assert_eq!(java_parse_double("1e3"), Some(1000.0));
    assert_eq!(java_parse_double("-Infinity"), Some(f64::NEG_INFINITY));
    assert_eq!(java_parse_double("inf"), None);
    assert_eq!(java_parse_double("nan"), None);
    assert_eq!(java_parse_double("ten"), None);
    assert_eq!(java_parse_double(""), None);
    assert_eq!(
        java_hash_set_string(&["minValue", "maxValue"]),
        "[minValue, maxValue]"
    );
    // Checked with jshell (OpenJDK): bucket order, not insertion order.
    assert_eq!(
        java_hash_set_string(&["missingCountValue", "missingValueMatch"]),
        "[missingValueMatch, missingCountValue]"
    );
}

/// The server's hand-written shape checks (what Jackson and Bean Validation refuse)
/// agree with OpenMetadata's own pydantic models on every body here: each is either
/// accepted by both or refused by both, so the two cannot drift apart unnoticed.
#[test]
fn dq_body_shapes_agree_with_openmetadatas_pydantic_models() {
    let om = server();
    let case = between_case("agree", "0", "10");
    let edit = |base: &Value, f: &dyn Fn(&mut Value)| {
        let mut b = base.clone();
        f(&mut b);
        b
    };
    let cases = [
        case.clone(),
        edit(&case, &|b| b["parameterValues"][0]["value"] = json!(0)),
        edit(&case, &|b| {
            b["entityLink"] = json!(format!("<#E::table::{TABLE}|x::columns::qty>"))
        }),
        edit(&case, &|b| {
            b["testSuite"] = json!(format!("{TABLE}.testSuite"))
        }),
        edit(&case, &|b| {
            b.as_object_mut().unwrap().remove("name");
        }),
        edit(&case, &|b| b["computePassedFailedRowCount"] = json!("yes")),
        edit(&case, &|b| b["topDimensions"] = json!(0)),
    ];
    let result = json!({
        "timestamp": 1_765_000_000_000_i64,
        "testCaseStatus": "Success",
        "testResultValue": [{ "name": "min", "value": "1" }],
    });
    let results = [
        result.clone(),
        edit(&result, &|b| b["testCaseStatus"] = json!("Passed")),
        edit(&result, &|b| {
            b.as_object_mut().unwrap().remove("testResultValue");
        }),
        edit(&result, &|b| b["testResultValue"][0]["value"] = json!(1)),
        edit(&result, &|b| b["passedRows"] = json!(1.5)),
        edit(&result, &|b| b["bogus"] = json!(true)),
    ];
    // The server: accepted = not a 400 (a good case is 201).
    let mut server_accepts = Vec::new();
    for (i, body) in cases.iter().enumerate() {
        let mut body = body.clone();
        if body.get("name").is_some() {
            body["name"] = json!(format!("agree{i}"));
        }
        server_accepts.push(post(&om, CASES, body).status != 400);
    }
    assert_eq!(put(&om, CASES, case.clone()).status, 201);
    let path = format!("{CASES}/testCaseResults/{TABLE}.qty.agree");
    for body in &results {
        server_accepts.push(post(&om, &path, body.clone()).status != 400);
    }
    // OpenMetadata's models, through scripts/om_oracle.py validate (strict JSON mode).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bodies.jsonl");
    let mut lines = String::new();
    for body in &cases {
        lines.push_str(&format!(
            "{}\n",
            json!({"kind": "createTestCase", "payload": body})
        ));
    }
    for body in &results {
        lines.push_str(&format!(
            "{}\n",
            json!({"kind": "createTestCaseResult", "payload": body})
        ));
    }
    std::fs::write(&file, lines).unwrap();
    let out = std::process::Command::new(crate::om_python())
        .arg(crate::om_oracle_script())
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let refused_lines: Vec<usize> = stderr
        .lines()
        .filter_map(|l| {
            let rest = l.split_once("bodies.jsonl:")?.1;
            rest.split(':').next()?.parse::<usize>().ok()
        })
        .collect();
    let models_accept: Vec<bool> = (1..=cases.len() + results.len())
        .map(|line| !refused_lines.contains(&line))
        .collect();
    assert_eq!(
        server_accepts, models_accept,
        "server vs pydantic (line-by-line)\n{stderr}"
    );
    assert_eq!(
        models_accept.iter().filter(|a| **a).count(),
        2,
        "only the two good bodies: {stderr}"
    );
}
