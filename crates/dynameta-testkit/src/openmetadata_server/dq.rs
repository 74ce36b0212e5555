//! The data-quality endpoints of the contract server, for `dynameta test` (issue 23):
//! test definitions (seeded, see `dq_definitions/`), test cases with their basic
//! (executable) test suites, and test case results — refusing, rewriting and storing what
//! OpenMetadata 2.0.7 does. Upstream files read (1.9.x/2.0.x-era versions of
//! open-metadata/OpenMetadata):
//!
//! * `openmetadata-service/.../jdbi3/TestCaseRepository.java`: `prepare`,
//!   `getOrCreateTestSuite`, `validateTestParameters`, `getParameterValuesMap`,
//!   `validateParameterRule` / `compareValue` / `compareAndValidateParameterRule`,
//!   `validateColumnTestCase`, `validateDimensionColumns`, `setFullyQualifiedName`,
//!   `clearFields`;
//! * `openmetadata-service/.../resources/feeds/MessageParser.java`, `EntityLink.parse` and
//!   its constructor (`fullyQualifiedFieldValue`);
//! * `openmetadata-spec/.../json/schema/type/basic.json`, `entityLink` (the pattern Bean
//!   Validation applies to `CreateTestCase.entityLink`): a part may not hold `<`, `>`,
//!   `|` or `::`, nor end with `:`; the entity type is (ASCII) word characters. (The
//!   ANTLR grammar `openmetadata-spec/.../antlr4/.../EntityLink.g4` is laxer — a name
//!   part excludes only `::` and a final `>` — and is not what refuses a test case.)
//! * `openmetadata-service/.../resources/dqtests/TestCaseResultResource.java`,
//!   `addTestCaseResult` / `list`; `.../dqtests/TestCaseResultMapper.java`,
//!   `createToEntity` (the case looked up, then `RestUtil.validateTimestampMilliseconds`);
//!   `.../jdbi3/TestCaseResultRepository.java`, `addTestCaseResult`,
//!   `getTestCaseResults` (newest first), `updateTestCaseStatus` (the case keeps the
//!   newest result);
//! * `openmetadata-service/.../util/RestUtil.java`, `validateTimestampMilliseconds`.
//!
//! Not ported: logical test suites, incidents beyond the `incidentId` a failed result
//! gets, failed-rows samples, PATCH and DELETE of test cases, search-backed listings.

use std::collections::{BTreeMap, HashMap};

use base64::engine::general_purpose::URL_SAFE_NO_PAD_INDIFFERENT as CURSOR;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::dq_definitions::{self, Definition};
use super::http::Request;
use super::names;
use super::routes::{error, json_body, Handled, Params, Response};
use super::rules;
use super::state::{now_ms, uuid_v4, Kind, Store};
use super::updater::BOT;
use super::{lock, Shared};

/// Bean Validation pattern of `basic.json#/definitions/entityLink` (Java flavour).
const ENTITY_LINK_PATTERN: &str = r"^<#E::\w+::(?:[^:<>|]|:[^:<>|])+(?:::(?:[^:<>|]|:[^:<>|])+)*>$";

/// The data-quality part of the store.
pub(super) struct DqStore {
    /// Test definitions by name, with their stored entity.
    definitions: BTreeMap<&'static str, (Definition, Value)>,
    /// Test cases by FQN.
    cases: BTreeMap<String, Value>,
    /// Basic test suites by FQN (`<tableFqn>.testSuite`).
    suites: BTreeMap<String, Value>,
    /// Results by test case FQN, in arrival order.
    results: HashMap<String, Vec<Value>>,
    /// The open incident (state id) of a test case, by FQN.
    incidents: HashMap<String, String>,
    /// `http://127.0.0.1:PORT/api/v1`, for `href`s.
    api_base: String,
}

impl DqStore {
    /// The seeded definitions, no cases; `api_base` ends with `/api/v1`.
    pub fn new(api_base: &str) -> DqStore {
        let definitions = dq_definitions::all()
            .into_iter()
            .map(|d| {
                let id = uuid_v4();
                let href = format!("{api_base}/dataQuality/testDefinitions/{id}");
                let entity = d.entity(&id, href);
                (d.name, (d, entity))
            })
            .collect();
        DqStore {
            definitions,
            cases: BTreeMap::new(),
            suites: BTreeMap::new(),
            results: HashMap::new(),
            incidents: HashMap::new(),
            api_base: api_base.to_string(),
        }
    }

    /// Stored test cases, sorted by FQN.
    pub fn cases(&self) -> Vec<Value> {
        self.cases.values().cloned().collect()
    }

    /// Stored basic test suites, sorted by FQN.
    pub fn suites(&self) -> Vec<Value> {
        self.suites.values().cloned().collect()
    }

    /// Stored results of the test case `fqn`, in arrival order.
    pub fn results(&self, fqn: &str) -> Vec<Value> {
        self.results.get(fqn).cloned().unwrap_or_default()
    }
}

fn bad(message: impl AsRef<str>) -> Response {
    error(400, message.as_ref())
}

fn not_found(entity_type: &str, key: &str) -> Response {
    error(404, &format!("{entity_type} instance for {key} not found"))
}

fn entity_ref(entity: &Value, entity_type: &str) -> Value {
    json!({
        "id": entity["id"],
        "type": entity_type,
        "name": entity["name"],
        "fullyQualifiedName": entity["fullyQualifiedName"],
        "deleted": entity.get("deleted").cloned().unwrap_or(json!(false)),
    })
}

/// Answers `/api/v1/dataQuality/...`; `segs` are the decoded path segments after
/// `dataQuality`.
pub(super) fn handle(shared: &Shared, req: &Request, segs: &[String], params: &Params) -> Response {
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let answer = match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["testDefinitions"]) => list_definitions(shared, params),
        ("GET", ["testDefinitions", "name", name]) => get_definition(shared, name),
        ("PUT", ["testCases"]) => upsert_case(shared, req, true),
        ("POST", ["testCases"]) => upsert_case(shared, req, false),
        ("GET", ["testCases"]) => list_cases(shared, params),
        ("GET", ["testCases", "name", fqn]) => get_case(shared, fqn, params),
        ("POST", ["testCases", "testCaseResults", fqn]) => add_result(shared, req, fqn),
        ("GET", ["testCases", "testCaseResults", fqn]) => list_results(shared, fqn, params),
        (_, ["testDefinitions"] | ["testCases"])
        | (_, ["testDefinitions" | "testCases", "name", _])
        | (_, ["testCases", "testCaseResults", _]) => {
            Err(error(405, "HTTP 405 Method Not Allowed"))
        }
        _ => Err(error(404, "HTTP 404 Not Found")),
    };
    answer.unwrap_or_else(|r| r)
}

// ---------------------------------------------------------------- paging

/// `limit` (default 10, 0..=1000000 as `TestCaseResource.list` declares) and the
/// decoded `after` cursor (an FQN).
fn paging(params: &Params) -> Result<(usize, Option<String>), Response> {
    let limit = match params.get("limit") {
        None => 10,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n <= 1_000_000 => n,
            _ => {
                return Err(bad(format!(
                    "query param limit must be an integer between 0 and 1000000, not {text:?}"
                )))
            }
        },
    };
    let after = match params.get("after") {
        None => None,
        Some(cursor) => Some(
            CURSOR
                .decode(cursor)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| bad(format!("invalid paging cursor {cursor:?}")))?,
        ),
    };
    Ok((limit, after))
}

/// One page of `items` (sorted by key) after `after`.
fn page(items: Vec<(String, Value)>, limit: usize, after: Option<&str>) -> Value {
    let total = items.len();
    let rest: Vec<(String, Value)> = items
        .into_iter()
        .filter(|(k, _)| after.is_none_or(|a| k.as_str() > a))
        .collect();
    let more = rest.len() > limit;
    let page: Vec<(String, Value)> = rest.into_iter().take(limit).collect();
    let mut paging = json!({ "total": total });
    if limit > 0 && more {
        if let Some((last, _)) = page.last() {
            paging["after"] = json!(CURSOR.encode(last));
        }
    }
    let data: Vec<Value> = page.into_iter().map(|(_, v)| v).collect();
    json!({ "data": data, "paging": paging })
}

/// Query parameters upstream accepts on a listing that this server does not implement:
/// said, not ignored.
fn refuse_unimplemented(params: &Params, names: &[&str]) -> Result<(), Response> {
    for name in names {
        if params.get(name).is_some() {
            return Err(bad(format!(
                "the contract server does not implement the query param {name}; \
                 remove it or extend openmetadata_server/dq.rs"
            )));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- definitions

fn list_definitions(shared: &Shared, params: &Params) -> Handled {
    refuse_unimplemented(params, &["before", "testPlatform", "supportedDataType"])?;
    let (limit, after) = paging(params)?;
    let entity_type = params.get("entityType");
    if let Some(t) = entity_type {
        if t != "TABLE" && t != "COLUMN" {
            return Err(bad(format!(
                "query param entityType must be one of [TABLE, COLUMN], not {t:?}"
            )));
        }
    }
    let store = lock(&shared.store);
    let items = store
        .dq
        .definitions
        .values()
        .filter(|(d, _)| entity_type.is_none_or(|t| d.entity_type == t))
        .map(|(d, e)| (d.name.to_string(), e.clone()))
        .collect();
    Ok(Response::ok(page(items, limit, after.as_deref())))
}

fn get_definition(shared: &Shared, name: &str) -> Handled {
    let store = lock(&shared.store);
    match store.dq.definitions.get(name) {
        Some((_, e)) => Ok(Response::ok(e.clone())),
        None => Err(not_found("testDefinition", name)),
    }
}

// ---------------------------------------------------------------- entity links

/// A parsed `<#E::type::fqn[::field[::arrayField[::arrayValue]]]>`.
#[derive(Debug, PartialEq)]
pub(super) struct EntityLink {
    pub entity_type: String,
    pub entity_fqn: String,
    pub field: Option<String>,
    pub array_field: Option<String>,
    pub array_value: Option<String>,
}

impl EntityLink {
    /// `fullyQualifiedFieldValue` (`MessageParser.EntityLink` constructor).
    pub fn field_value_fqn(&self) -> String {
        match (&self.field, &self.array_field, &self.array_value) {
            (_, Some(a), Some(v)) => format!("{}.{a}.{v}", self.entity_fqn),
            (_, Some(a), None) => format!("{}.{a}", self.entity_fqn),
            (Some(f), None, _) => format!("{}.{f}", self.entity_fqn),
            _ => self.entity_fqn.clone(),
        }
    }
}

/// Whether `link` matches [`ENTITY_LINK_PATTERN`].
pub(super) fn link_matches_pattern(link: &str) -> bool {
    let Some(inner) = link
        .strip_prefix("<#E::")
        .and_then(|rest| rest.strip_suffix('>'))
    else {
        return false;
    };
    let Some((entity_type, rest)) = inner.split_once("::") else {
        return false;
    };
    // Java's `\w` is ASCII unless UNICODE_CHARACTER_CLASS is set (it is not).
    if entity_type.is_empty()
        || !entity_type
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return false;
    }
    rest.split("::").all(|part| {
        let chars: Vec<char> = part.chars().collect();
        !chars.is_empty()
            && chars.iter().enumerate().all(|(i, c)| match c {
                '<' | '>' | '|' => false,
                ':' => chars
                    .get(i + 1)
                    .is_some_and(|n| !matches!(n, ':' | '<' | '>' | '|')),
                _ => true,
            })
    })
}

/// `MessageParser.EntityLink.parse` on a link that matched the pattern: type, FQN and
/// up to three more parts (a sixth and later part stay in the array value, as the
/// non-greedy last group takes the rest up to `>`).
pub(super) fn parse_link(link: &str) -> EntityLink {
    let inner = link
        .strip_prefix("<#E::")
        .and_then(|rest| rest.strip_suffix('>'))
        .unwrap_or_default();
    let mut parts = inner.splitn(5, "::").map(str::to_string);
    EntityLink {
        entity_type: parts.next().unwrap_or_default(),
        entity_fqn: parts.next().unwrap_or_default(),
        field: parts.next(),
        array_field: parts.next(),
        array_value: parts.next(),
    }
}

// ---------------------------------------------------------------- Java helpers

/// `String.hashCode`.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// `HashSet<String>.toString()` of `names` inserted in order (a fresh `HashSet`, as
/// `Collectors.toSet()` builds: 16 buckets, doubling past 3/4 full; iteration by bucket
/// of `(h ^ h >>> 16) & (n - 1)`, insertion order within a bucket).
pub(super) fn java_hash_set_string(names: &[&str]) -> String {
    let mut unique: Vec<&str> = Vec::new();
    for n in names {
        if !unique.contains(n) {
            unique.push(n);
        }
    }
    let mut buckets = 16usize;
    while unique.len() > buckets * 3 / 4 {
        buckets *= 2;
    }
    let bucket = |s: &str| {
        let h = java_hash(s) as u32;
        ((h ^ (h >> 16)) as usize) & (buckets - 1)
    };
    let mut ordered: Vec<(usize, usize, &str)> = unique
        .iter()
        .enumerate()
        .map(|(i, s)| (bucket(s), i, *s))
        .collect();
    ordered.sort();
    let texts: Vec<&str> = ordered.into_iter().map(|(_, _, s)| s).collect();
    format!("[{}]", texts.join(", "))
}

/// `Double.parseDouble`: surrounding whitespace (chars ≤ U+0020) trimmed, an optional
/// `f`/`F`/`d`/`D` suffix, `NaN` and `Infinity` spelt Java's way; `None` where Java
/// throws `NumberFormatException` (hexadecimal floats are not supported here and read
/// as not a number).
pub(super) fn java_parse_double(text: &str) -> Option<f64> {
    let t = text.trim_matches(|c: char| c <= ' ');
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    match unsigned {
        "NaN" => return Some(f64::NAN),
        "Infinity" => {
            return Some(if t.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        _ => {}
    }
    let body = t.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(t);
    let digits = body.strip_prefix(['+', '-']).unwrap_or(body);
    // Rust also reads "inf", "nan", "infinity" in any case: Java does not.
    if digits.is_empty()
        || !digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    body.parse::<f64>().ok()
}

/// `Double.toString` (Java 19+, shortest repr): plain between 10⁻³ and 10⁷, else
/// computerized scientific notation `d.dddE±n`.
pub(super) fn java_double_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let abs = x.abs();
    if abs == 0.0 || (1e-3..1e7).contains(&abs) {
        let s = format!("{x:?}");
        return if s.contains('.') { s } else { format!("{s}.0") };
    }
    let s = format!("{x:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.to_string()
    } else {
        format!("{mantissa}.0")
    };
    format!("{mantissa}E{exp}")
}

// ---------------------------------------------------------------- test cases

const CREATE_TEST_CASE_FIELDS: &[&str] = &[
    "name",
    "description",
    "displayName",
    "testDefinition",
    "entityLink",
    "parameterValues",
    "owners",
    "reviewers",
    "computePassedFailedRowCount",
    "useDynamicAssertion",
    "tags",
    "dimensionColumns",
    "topDimensions",
];

/// What Jackson and Bean Validation refuse in a `CreateTestCase` body before any
/// repository code runs: unknown fields (400 `Unable to process JSON`), wrong JSON types,
/// missing required fields and the entity link pattern (`[query param X must ...]`).
fn check_create_test_case(body: &Value) -> Result<&Map<String, Value>, Response> {
    let Some(fields) = body.as_object() else {
        return Err(bad(
            "Unable to process JSON: a CreateTestCase must be a JSON object",
        ));
    };
    for key in fields.keys() {
        if !CREATE_TEST_CASE_FIELDS.contains(&key.as_str()) {
            return Err(bad(format!(
                "Unable to process JSON: Unrecognized field \"{key}\" (class org.openmetadata.schema.api.tests.CreateTestCase), not marked as ignorable"
            )));
        }
    }
    let type_error = |key: &str, want: &str| {
        bad(format!(
            "Unable to process JSON: field \"{key}\" of a CreateTestCase must be {want}"
        ))
    };
    for key in [
        "name",
        "description",
        "displayName",
        "testDefinition",
        "entityLink",
    ] {
        if fields
            .get(key)
            .is_some_and(|v| !v.is_null() && !v.is_string())
        {
            return Err(type_error(key, "a string"));
        }
    }
    for key in ["computePassedFailedRowCount", "useDynamicAssertion"] {
        if fields
            .get(key)
            .is_some_and(|v| !v.is_null() && !v.is_boolean())
        {
            return Err(type_error(key, "true or false"));
        }
    }
    if let Some(values) = rules::present(body, "parameterValues") {
        let Some(values) = values.as_array() else {
            return Err(type_error("parameterValues", "a list of {name, value}"));
        };
        for v in values {
            let ok = v.as_object().is_some_and(|o| {
                ["name", "value"]
                    .iter()
                    .all(|k| o.get(*k).is_none_or(|x| x.is_null() || x.is_string()))
            });
            if !ok {
                // Stricter than Jackson (which would coerce a number to a string) and
                // what OpenMetadata's own pydantic model refuses: values are strings.
                return Err(type_error(
                    "parameterValues",
                    "a list of {name, value} whose name and value are strings",
                ));
            }
        }
    }
    if let Some(columns) = rules::present(body, "dimensionColumns") {
        if !columns
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_string))
        {
            return Err(type_error("dimensionColumns", "a list of strings"));
        }
    }
    let mut violations = Vec::new();
    for key in ["entityLink", "name", "testDefinition"] {
        if rules::present(body, key).is_none() {
            violations.push(format!("query param {key} must not be null"));
        }
    }
    if let Some(name) = rules::text(body, "name") {
        if name.is_empty() {
            violations.push("query param name size must be between 1 and 2147483647".into());
        }
    }
    if let Some(link) = rules::text(body, "entityLink") {
        if !link_matches_pattern(link) {
            violations.push(format!(
                "query param entityLink must match \"{ENTITY_LINK_PATTERN}\""
            ));
        }
    }
    if let Some(top) = rules::present(body, "topDimensions") {
        match top.as_i64() {
            Some(n) if (1..=50).contains(&n) => {}
            Some(n) if n < 1 => violations
                .push("query param topDimensions must be greater than or equal to 1".into()),
            Some(_) => {
                violations.push("query param topDimensions must be less than or equal to 50".into())
            }
            None => return Err(type_error("topDimensions", "an integer")),
        }
    }
    if !violations.is_empty() {
        violations.sort();
        return Err(bad(format!("[{}]", violations.join(", "))));
    }
    Ok(fields)
}

/// `TestCaseRepository.validateTestParameters` (+ `getParameterValuesMap`,
/// `validateParameterRule`).
fn validate_parameters(
    values: Option<&Vec<Value>>,
    definition: &Definition,
) -> Result<(), Response> {
    let Some(values) = values else {
        return Ok(());
    };
    if definition.params.is_empty() && !values.is_empty() {
        return Err(bad(
            "Parameter Values doesn't match Test Definition Parameters",
        ));
    }
    let defined: Vec<&str> = definition.params.iter().map(|p| p.name).collect();
    let mut map: HashMap<String, Option<String>> = HashMap::new();
    for v in values {
        let name = rules::text(v, "name");
        if !name.is_some_and(|n| defined.contains(&n)) {
            return Err(bad(format!(
                "Parameter '{}' is not defined in the test definition. Defined parameters are: {}",
                name.unwrap_or("null"),
                java_hash_set_string(&defined)
            )));
        }
        map.insert(
            name.unwrap_or_default().to_string(),
            rules::text(v, "value").map(str::to_string),
        );
    }
    for param in &definition.params {
        let value = map.get(param.name).cloned().flatten();
        if param.required && value.is_none() {
            return Err(bad(format!(
                "Required parameter {} is not passed in parameterValues",
                param.name
            )));
        }
        let Some(rule) = &param.rule else { continue };
        let against = map.get(rule.field).cloned().flatten();
        let (Some(value), Some(against)) = (value, against) else {
            continue;
        };
        // Not both numbers: upstream logs a warning and skips the check.
        let (Some(v), Some(a)) = (java_parse_double(&value), java_parse_double(&against)) else {
            continue;
        };
        let (v_text, a_text) = (java_double_to_string(v), java_double_to_string(a));
        let failed = match rule.rule {
            "GREATER_THAN_OR_EQUALS" => (v < a).then_some(" is not greater than "),
            "LESS_THAN_OR_EQUALS" => (v > a).then_some(" is not less than "),
            "EQUALS" => ((v - a).abs() > 0.0001).then_some(" is not equal to "),
            "NOT_EQUALS" => ((v - a).abs() < 0.0001).then_some(" is equal to "),
            _ => None,
        };
        if let Some(words) = failed {
            return Err(bad(format!("Value {v_text} {words} {a_text}")));
        }
    }
    Ok(())
}

/// `TestCaseRepository.validateColumnTestCase`.
fn validate_column_test_case(
    link: &EntityLink,
    definition: &Definition,
    table: &Value,
) -> Result<(), Response> {
    if definition.entity_type != "COLUMN" {
        return Ok(());
    }
    match link.field.as_deref() {
        None => {
            return Err(bad(
                "Column test case must have a field name and an array field name in the entity link. e.g. <#E::table::{entityFqn}::columns::{columnName}>",
            ))
        }
        Some("columns") => {}
        Some(other) => {
            return Err(bad(format!(
                "Invalid field name '{other}' for column test case. It should be 'columns'. e.g. <#E::table::{{entityFqn}}::columns::{{columnName}}>"
            )))
        }
    }
    if let Some(column) = &link.array_field {
        rules::validate_column(table, column).map_err(|e| error(e.status, &e.message))?;
    }
    Ok(())
}

/// `PUT` (create or update) or `POST` (create) `/dataQuality/testCases`.
fn upsert_case(shared: &Shared, req: &Request, put: bool) -> Handled {
    let body = json_body(req, "application/json")?;
    check_create_test_case(&body)?;
    let name = rules::text(&body, "name").unwrap_or_default().to_string();
    let link_text = rules::text(&body, "entityLink")
        .unwrap_or_default()
        .to_string();
    let definition_name = rules::text(&body, "testDefinition")
        .unwrap_or_default()
        .to_string();
    let link = parse_link(&link_text);
    let mut store = lock(&shared.store);
    // EntityUtil.validateEntityLink: the linked entity must exist.
    if link.entity_type != "table" {
        return Err(bad(format!(
            "the contract server stores tables only: entity links of type {:?} are not supported",
            link.entity_type
        )));
    }
    let table = match store.get(Kind::Table, &link.entity_fqn) {
        Some(t) => t.clone(),
        None => return Err(not_found("table", &link.entity_fqn)),
    };
    let definition_ref = match store.dq.definitions.get(definition_name.as_str()) {
        Some((d, e)) => {
            validate_parameters(rules::list(&body, "parameterValues"), d)?;
            validate_column_test_case(&link, d, &table)?;
            entity_ref(e, "testDefinition")
        }
        None => return Err(not_found("testDefinition", &definition_name)),
    };
    // validateDimensionColumns
    for column in rules::list(&body, "dimensionColumns").into_iter().flatten() {
        rules::validate_column(&table, column.as_str().unwrap_or_default())
            .map_err(|e| error(e.status, &e.message))?;
    }
    // setFullyQualifiedName
    let fqn =
        names::add(&link.field_value_fqn(), &name).map_err(|e| error(e.status, &e.message))?;
    let existing = store.dq.cases.get(&fqn).cloned();
    if existing.is_some() && !put {
        return Err(error(409, "Entity already exists"));
    }
    // getOrCreateTestSuite: the table's basic suite, created with its first test case.
    let suite_fqn = format!("{}.testSuite", link.entity_fqn);
    let suite = match store.dq.suites.get(&suite_fqn) {
        Some(s) => s.clone(),
        None => {
            let id = uuid_v4();
            let href = format!("{}/dataQuality/testSuites/{id}", store.dq.api_base);
            let suite = json!({
                "id": id,
                "name": suite_fqn,
                "fullyQualifiedName": suite_fqn,
                "basic": true,
                "executable": true,
                "basicEntityReference": entity_ref(&table, "table"),
                "version": 0.1,
                "updatedAt": now_ms(),
                "updatedBy": BOT,
                "href": href,
                "deleted": false,
            });
            store.dq.suites.insert(suite_fqn.clone(), suite.clone());
            suite
        }
    };
    let mut case = json!({
        "name": name,
        "fullyQualifiedName": fqn,
        "entityLink": link_text,
        "entityFQN": link.field_value_fqn(),
        "testDefinition": definition_ref,
        "testSuite": entity_ref(&suite, "testSuite"),
        "parameterValues": body.get("parameterValues").cloned().filter(|v| !v.is_null()).unwrap_or(json!([])),
        "computePassedFailedRowCount": body.get("computePassedFailedRowCount").and_then(Value::as_bool).unwrap_or(false),
        "useDynamicAssertion": body.get("useDynamicAssertion").and_then(Value::as_bool).unwrap_or(false),
        "deleted": false,
    });
    for key in [
        "description",
        "displayName",
        "dimensionColumns",
        "topDimensions",
    ] {
        if let Some(v) = rules::present(&body, key) {
            case[key] = v.clone();
        }
    }
    let (status, header, stored) = match existing {
        None => {
            let id = uuid_v4();
            case["id"] = json!(id);
            case["href"] = json!(format!("{}/dataQuality/testCases/{id}", store.dq.api_base));
            case["version"] = json!(0.1);
            case["updatedAt"] = json!(now_ms());
            case["updatedBy"] = json!(BOT);
            (201, "entityCreated", case)
        }
        Some(original) => {
            let mut updated = original.clone();
            for (k, v) in case.as_object().into_iter().flatten() {
                updated[k] = v.clone();
            }
            if updated == original {
                (200, "entityNoChange", original)
            } else {
                super::state::bump(&mut updated);
                updated["updatedBy"] = json!(BOT);
                (200, "entityUpdated", updated)
            }
        }
    };
    store.dq.cases.insert(fqn, stored.clone());
    Ok(Response {
        status,
        body: stored,
        headers: vec![("X-OpenMetadata-Change", header.to_string())],
    })
}

/// The `fields=` a test case read may ask for.
const CASE_FIELDS: &[&str] = &[
    "owners",
    "testSuite",
    "testSuites",
    "testDefinition",
    "testCaseResult",
    "incidentId",
    "tags",
    "followers",
    "domains",
    "reviewers",
    "votes",
    "extension",
];

fn parse_case_fields(params: &Params) -> Result<Vec<String>, Response> {
    let mut out = Vec::new();
    for f in params.get("fields").unwrap_or_default().split(',') {
        let f = f.trim();
        if f.is_empty() {
            continue;
        }
        if f == "*" {
            out.extend(CASE_FIELDS.iter().map(|s| s.to_string()));
        } else if CASE_FIELDS.contains(&f) {
            out.push(f.to_string());
        } else {
            return Err(bad(format!("Invalid field name {f}")));
        }
    }
    Ok(out)
}

/// A stored test case as a read returns it (`TestCaseRepository.clearFields` /
/// `setFields`).
fn case_view(store: &Store, case: &Value, fields: &[String]) -> Value {
    let mut v = case.clone();
    let has = |f: &str| fields.iter().any(|x| x == f);
    if !has("testSuite") {
        v.as_object_mut().map(|o| o.remove("testSuite"));
    }
    if !has("testDefinition") {
        v.as_object_mut().map(|o| o.remove("testDefinition"));
    }
    if has("testSuites") {
        let suite = rules::text(&case["testSuite"], "fullyQualifiedName")
            .and_then(|f| store.dq.suites.get(f))
            .cloned();
        v["testSuites"] = json!(suite.into_iter().collect::<Vec<_>>());
    }
    if has("testCaseResult") {
        if let Some(r) = case.get("testCaseResult") {
            v["testCaseResult"] = r.clone();
        }
    } else {
        v.as_object_mut().map(|o| o.remove("testCaseResult"));
    }
    if has("incidentId") {
        if let Some(id) = store
            .dq
            .incidents
            .get(rules::text(case, "fullyQualifiedName").unwrap_or_default())
        {
            v["incidentId"] = json!(id);
        }
    }
    for f in ["owners", "tags", "followers", "domains", "reviewers"] {
        if has(f) {
            v[f] = json!([]);
        }
    }
    v
}

fn get_case(shared: &Shared, fqn: &str, params: &Params) -> Handled {
    let fields = parse_case_fields(params)?;
    let store = lock(&shared.store);
    match store.dq.cases.get(fqn) {
        Some(c) => Ok(Response::ok(case_view(&store, c, &fields))),
        None => Err(not_found("testCase", fqn)),
    }
}

fn list_cases(shared: &Shared, params: &Params) -> Handled {
    refuse_unimplemented(
        params,
        &[
            "before",
            "testCaseStatus",
            "testCaseType",
            "testPlatforms",
            "orderByLastExecutionDate",
            "q",
            "domain",
            "owner",
            "tags",
            "tier",
            "serviceName",
        ],
    )?;
    let fields = parse_case_fields(params)?;
    let (limit, after) = paging(params)?;
    let include_all = match params.get("includeAllTests").unwrap_or("false") {
        "true" => true,
        "false" => false,
        other => {
            return Err(bad(format!(
                "query param includeAllTests must be true or false, not {other:?}"
            )))
        }
    };
    let link = params.get("entityLink");
    if let Some(l) = link {
        if !link_matches_pattern(l) {
            return Err(bad(format!(
                "query param entityLink must match \"{ENTITY_LINK_PATTERN}\""
            )));
        }
    }
    let store = lock(&shared.store);
    let suite_id = params.get("testSuiteId");
    let items = store
        .dq
        .cases
        .iter()
        .filter(|(_, c)| {
            link.is_none_or(|l| {
                let own = rules::text(c, "entityLink").unwrap_or_default();
                if include_all {
                    // The table's tests and its columns' tests.
                    let table_fqn = parse_link(l).entity_fqn;
                    parse_link(own).entity_fqn == table_fqn
                } else {
                    own == l
                }
            })
        })
        .filter(|(_, c)| suite_id.is_none_or(|id| c["testSuite"]["id"] == id))
        .map(|(k, c)| (k.clone(), case_view(&store, c, &fields)))
        .collect();
    Ok(Response::ok(page(items, limit, after.as_deref())))
}

// ---------------------------------------------------------------- results

const CREATE_RESULT_FIELDS: &[&str] = &[
    "fqn",
    "timestamp",
    "testCaseStatus",
    "result",
    "sampleData",
    "testResultValue",
    "passedRows",
    "failedRows",
    "passedRowsPercentage",
    "failedRowsPercentage",
    "incidentId",
    "maxBound",
    "minBound",
    "dimensionResults",
];

const STATUSES: &[&str] = &["Success", "Failed", "Aborted", "Queued"];

fn check_create_result(body: &Value) -> Result<(), Response> {
    let Some(fields) = body.as_object() else {
        return Err(bad(
            "Unable to process JSON: a CreateTestCaseResult must be a JSON object",
        ));
    };
    let type_error = |key: &str, want: &str| {
        bad(format!(
            "Unable to process JSON: field \"{key}\" of a CreateTestCaseResult must be {want}"
        ))
    };
    for (key, v) in fields {
        if !CREATE_RESULT_FIELDS.contains(&key.as_str()) {
            return Err(bad(format!(
                "Unable to process JSON: Unrecognized field \"{key}\" (class org.openmetadata.schema.api.tests.CreateTestCaseResult), not marked as ignorable"
            )));
        }
        if v.is_null() {
            continue;
        }
        let ok = match key.as_str() {
            "fqn" | "result" | "sampleData" | "incidentId" => v.is_string(),
            "timestamp" | "passedRows" | "failedRows" => v.is_i64() || v.is_u64(),
            "passedRowsPercentage" | "failedRowsPercentage" | "maxBound" | "minBound" => {
                v.is_number()
            }
            "testCaseStatus" => v.as_str().is_some_and(|s| STATUSES.contains(&s)),
            "testResultValue" | "dimensionResults" => v
                .as_array()
                .is_some_and(|a| a.iter().all(|x| x.is_object())),
            _ => true,
        };
        if !ok {
            let want = match key.as_str() {
                "testCaseStatus" => "one of Success, Failed, Aborted, Queued",
                "timestamp" | "passedRows" | "failedRows" => "an integer",
                "testResultValue" | "dimensionResults" => "a list of objects",
                k if k.ends_with("Percentage") || k.ends_with("Bound") => "a number",
                _ => "a string",
            };
            return Err(type_error(key, want));
        }
    }
    for v in rules::list(body, "testResultValue").into_iter().flatten() {
        let ok = v.as_object().is_some_and(|o| {
            o.iter().all(|(k, x)| {
                ["name", "value", "predictedValue"].contains(&k.as_str())
                    && (x.is_null() || x.is_string())
            })
        });
        if !ok {
            return Err(type_error(
                "testResultValue",
                "a list of {name, value, predictedValue} strings",
            ));
        }
    }
    let mut violations = Vec::new();
    for key in ["testCaseStatus", "testResultValue", "timestamp"] {
        if rules::present(body, key).is_none() {
            violations.push(format!("query param {key} must not be null"));
        }
    }
    if !violations.is_empty() {
        return Err(bad(format!("[{}]", violations.join(", "))));
    }
    Ok(())
}

/// `RestUtil.validateTimestampMilliseconds`: at least 12 digits.
pub(super) fn validate_timestamp_ms(timestamp: i64) -> Result<(), Response> {
    if timestamp.to_string().len() >= 12 {
        Ok(())
    } else {
        Err(bad(format!(
            "Timestamp {timestamp} is not valid, it should be in milliseconds since epoch"
        )))
    }
}

fn add_result(shared: &Shared, req: &Request, fqn: &str) -> Handled {
    let body = json_body(req, "application/json")?;
    check_create_result(&body)?;
    let mut store = lock(&shared.store);
    let Some(case) = store.dq.cases.get(fqn).cloned() else {
        return Err(not_found("testCase", fqn));
    };
    let timestamp = body["timestamp"].as_i64().unwrap_or_default();
    validate_timestamp_ms(timestamp)?;
    let status = rules::text(&body, "testCaseStatus")
        .unwrap_or_default()
        .to_string();
    let mut result = json!({
        "id": uuid_v4(),
        "testCaseFQN": fqn,
        "timestamp": timestamp,
        "testCaseStatus": status,
        "testResultValue": body["testResultValue"],
    });
    for key in [
        "result",
        "sampleData",
        "passedRows",
        "failedRows",
        "passedRowsPercentage",
        "failedRowsPercentage",
        "maxBound",
        "minBound",
    ] {
        if let Some(v) = rules::present(&body, key) {
            result[key] = v.clone();
        }
    }
    // setTestCaseResultIncidentId: a failure opens (or joins) an incident.
    if status == "Failed" {
        let id = store
            .dq
            .incidents
            .entry(fqn.to_string())
            .or_insert_with(uuid_v4)
            .clone();
        result["incidentId"] = json!(id);
    } else if status == "Success" {
        store.dq.incidents.remove(fqn);
    }
    store
        .dq
        .results
        .entry(fqn.to_string())
        .or_default()
        .push(result.clone());
    // updateTestCaseStatus: the case keeps its newest result.
    let newer = case
        .get("testCaseResult")
        .and_then(|r| r["timestamp"].as_i64())
        .is_none_or(|stored| timestamp >= stored);
    if newer {
        let mut updated = case.clone();
        updated["testCaseResult"] = result.clone();
        updated["testCaseStatus"] = json!(status);
        super::state::bump(&mut updated);
        store.dq.cases.insert(fqn.to_string(), updated);
    }
    Ok(Response {
        status: 201,
        body: result,
        headers: Vec::new(),
    })
}

fn list_results(shared: &Shared, fqn: &str, params: &Params) -> Handled {
    let bound = |name: &str| -> Result<Option<i64>, Response> {
        match params.get(name) {
            None => Ok(None),
            Some(t) => t
                .parse::<i64>()
                .map(Some)
                .map_err(|_| bad(format!("query param {name} must be a number, not {t:?}"))),
        }
    };
    let start = bound("startTs")?.unwrap_or(i64::MIN);
    let end = bound("endTs")?.unwrap_or(i64::MAX);
    let store = lock(&shared.store);
    let mut data: Vec<Value> = store
        .dq
        .results
        .get(fqn)
        .into_iter()
        .flatten()
        .filter(|r| {
            r["timestamp"]
                .as_i64()
                .is_some_and(|t| (start..=end).contains(&t))
        })
        .cloned()
        .collect();
    data.sort_by_key(|r| std::cmp::Reverse(r["timestamp"].as_i64().unwrap_or_default()));
    let total = data.len();
    Ok(Response::ok(
        json!({ "data": data, "paging": { "total": total } }),
    ))
}
