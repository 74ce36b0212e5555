//! Routing and the endpoint handlers: what OpenMetadata 2.0 (or 1.x) answers.

use serde_json::{json, Value};

use super::http::{self, Request};
use super::patch;
use super::state::{
    all_tags, assign_column_fqns, bump, describe, fqn_of, is_deleted, ApiError, Include, Kind,
    Store,
};
use super::{lock, Shared};
use crate::schema;

/// An answer: status and JSON body.
#[derive(Debug)]
pub(super) struct Response {
    pub status: u16,
    pub body: Value,
}

impl Response {
    fn ok(body: Value) -> Response {
        Response { status: 200, body }
    }
}

impl From<ApiError> for Response {
    fn from(e: ApiError) -> Response {
        error(e.status, &e.message)
    }
}

/// OpenMetadata's error body.
pub(super) fn error(status: u16, message: &str) -> Response {
    Response {
        status,
        body: json!({ "code": status, "message": message }),
    }
}

fn not_found() -> Response {
    error(404, "HTTP 404 Not Found")
}

/// Decoded query parameters.
struct Params(Vec<(String, String)>);

impl Params {
    /// The first value of `name`.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a path and method name.
enum Route {
    Version,
    Upsert(Kind),
    List(Kind),
    Bulk(Kind),
    DeleteStale,
    ByName(Kind, String),
    ById(Kind, String),
    DeleteTable(String),
    PatchTable(String),
    TableProfile(String),
    SampleData(String),
}

/// Answers one request (faults already handled).
pub(super) fn handle(shared: &Shared, req: &Request) -> Response {
    if let Some(jwt) = &shared.jwt {
        let authorized = req.header("authorization").is_some_and(|value| {
            value.split_once(' ').is_some_and(|(scheme, token)| {
                scheme.eq_ignore_ascii_case("bearer") && token.trim() == jwt
            })
        });
        if !authorized {
            return error(401, "Not Authorized! Token verification failed");
        }
    }
    let Some(rest) = req.path.strip_prefix("/api/v1/") else {
        return not_found();
    };
    let Some(segments) = rest
        .split('/')
        .map(|s| http::percent_decode(s, false))
        .collect::<Option<Vec<String>>>()
    else {
        return error(400, "malformed percent-encoding in the path");
    };
    let Some(query) = http::parse_query(&req.query) else {
        return error(400, "malformed percent-encoding in the query");
    };
    let route = match route(&req.method, &segments, shared.major >= 2) {
        Ok(route) => route,
        Err(405) => return error(405, "HTTP 405 Method Not Allowed"),
        Err(_) => return not_found(),
    };
    let params = Params(query);
    match dispatch(shared, req, route, &params) {
        Ok(response) => response,
        Err(response) => response,
    }
}

fn route(method: &str, segs: &[String], bulk_supported: bool) -> Result<Route, u16> {
    let seg = |i: usize| segs.get(i).map(String::as_str);
    if segs.len() == 2 && seg(0) == Some("system") && seg(1) == Some("version") {
        return if method == "GET" {
            Ok(Route::Version)
        } else {
            Err(405)
        };
    }
    let (kind, rest) = match (seg(0), seg(1)) {
        (Some("services"), Some("databaseServices")) => (Kind::Service, &segs[2..]),
        (Some("databases"), _) => (Kind::Database, &segs[1..]),
        (Some("databaseSchemas"), _) => (Kind::Schema, &segs[1..]),
        (Some("tables"), _) => (Kind::Table, &segs[1..]),
        _ => return Err(404),
    };
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let table = kind == Kind::Table;
    match (method, rest.as_slice()) {
        ("PUT", []) => Ok(Route::Upsert(kind)),
        ("GET", []) => Ok(Route::List(kind)),
        (_, []) => Err(405),
        (_, ["bulk"]) | (_, ["deleteStale"]) if kind != Kind::Service && !bulk_supported => {
            Err(404)
        }
        ("PUT", ["bulk"]) if kind != Kind::Service => Ok(Route::Bulk(kind)),
        (_, ["bulk"]) if kind != Kind::Service => Err(405),
        ("DELETE", ["deleteStale"]) if table => Ok(Route::DeleteStale),
        (_, ["deleteStale"]) if table => Err(405),
        ("GET", ["name", fqn]) => Ok(Route::ByName(kind, fqn.to_string())),
        (_, ["name", _]) => Err(405),
        ("GET", [id]) => Ok(Route::ById(kind, id.to_string())),
        ("DELETE", [id]) if table => Ok(Route::DeleteTable(id.to_string())),
        ("PATCH", [id]) if table => Ok(Route::PatchTable(id.to_string())),
        (_, [_]) => Err(405),
        ("PUT", [id, "tableProfile"]) if table => Ok(Route::TableProfile(id.to_string())),
        ("PUT", [id, "sampleData"]) if table => Ok(Route::SampleData(id.to_string())),
        (_, [_, "tableProfile" | "sampleData"]) if table => Err(405),
        _ => Err(404),
    }
}

type Handled = Result<Response, Response>;

fn dispatch(shared: &Shared, req: &Request, route: Route, params: &Params) -> Handled {
    match route {
        Route::Version => Ok(Response::ok(json!({
            "version": shared.version,
            "revision": "test",
            "timestamp": 0,
        }))),
        Route::Upsert(kind) => {
            let body = json_body(req, "application/json")?;
            let mut store = lock(&shared.store);
            let (outcome, entity) = store.upsert(kind, &body)?;
            Ok(Response {
                status: outcome.status(),
                body: entity,
            })
        }
        Route::List(kind) => list(&lock(&shared.store), kind, params),
        Route::Bulk(kind) => bulk(shared, req, kind, params),
        Route::DeleteStale => delete_stale(shared, req),
        Route::ByName(kind, fqn) => {
            let include = include(params)?;
            let store = lock(&shared.store);
            match store.get(kind, &fqn) {
                Some(e) if include.admits(e) => Ok(Response::ok(e.clone())),
                _ => Err(error(
                    404,
                    &format!("{} instance for {fqn} not found", kind.name()),
                )),
            }
        }
        Route::ById(kind, id) => {
            let include = include(params)?;
            let store = lock(&shared.store);
            match store.by_id(kind, &id) {
                Some(e) if include.admits(e) => Ok(Response::ok(e.clone())),
                _ => Err(id_not_found(kind, &id)),
            }
        }
        Route::DeleteTable(id) => {
            let hard = match params.get("hardDelete").unwrap_or("false") {
                "true" => true,
                "false" => false,
                other => {
                    return Err(error(
                        400,
                        &format!("query param hardDelete must be true or false, not {other:?}"),
                    ))
                }
            };
            let mut store = lock(&shared.store);
            let fqn = match store.by_id(Kind::Table, &id) {
                Some(e) if hard || !is_deleted(e) => fqn_of(e).to_string(),
                _ => return Err(id_not_found(Kind::Table, &id)),
            };
            let entity = if hard {
                store.remove(Kind::Table, &fqn)
            } else {
                store.soft_delete(Kind::Table, &fqn)
            };
            entity
                .map(Response::ok)
                .ok_or_else(|| id_not_found(Kind::Table, &id))
        }
        Route::PatchTable(id) => patch_table(shared, req, &id),
        Route::TableProfile(id) => table_profile(shared, req, &id),
        Route::SampleData(id) => sample_data(shared, req, &id),
    }
}

fn id_not_found(kind: Kind, id: &str) -> Response {
    error(404, &format!("{} instance for {id} not found", kind.name()))
}

fn include(params: &Params) -> Result<Include, Response> {
    let text = params.get("include").unwrap_or("non-deleted");
    Include::parse(text).ok_or_else(|| {
        error(
            400,
            &format!(
                "query param include must be one of [non-deleted, deleted, all], not {text:?}"
            ),
        )
    })
}

/// The JSON body of a request whose media type must be `media_type`.
fn json_body(req: &Request, media_type: &str) -> Result<Value, Response> {
    let content_type = req
        .header("content-type")
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if content_type.as_deref() != Some(media_type) {
        return Err(error(415, "HTTP 415 Unsupported Media Type"));
    }
    if req.body.is_empty() {
        return Err(error(400, "request body is missing"));
    }
    serde_json::from_slice(&req.body)
        .map_err(|e| error(400, &format!("Unable to process JSON: {e}")))
}

/// The body as a stored table: the table of this id, not deleted.
fn live_table(store: &Store, id: &str) -> Result<Value, Response> {
    match store.by_id(Kind::Table, id) {
        Some(t) if !is_deleted(t) => Ok(t.clone()),
        _ => Err(id_not_found(Kind::Table, id)),
    }
}

fn list(store: &Store, kind: Kind, params: &Params) -> Handled {
    let include = include(params)?;
    let limit = match params.get("limit") {
        None => 10,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n <= 1000 => n,
            _ => {
                return Err(error(
                    400,
                    &format!(
                        "query param limit must be an integer between 0 and 1000, not {text:?}"
                    ),
                ))
            }
        },
    };
    let after = match params.get("after") {
        None => None,
        Some(cursor) => Some(
            http::base64url_decode(cursor)
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| error(400, &format!("invalid paging cursor {cursor:?}")))?,
        ),
    };
    let filter = match kind {
        Kind::Service => None,
        Kind::Database => params.get("service").map(|v| ("service", v)),
        Kind::Schema => params.get("database").map(|v| ("database", v)),
        Kind::Table => params.get("databaseSchema").map(|v| ("databaseSchema", v)),
    };
    let matching: Vec<&Value> = store
        .all(kind)
        .filter(|e| include.admits(e))
        .filter(|e| filter.is_none_or(|(field, fqn)| e[field]["fullyQualifiedName"] == fqn))
        .collect();
    let rest: Vec<&Value> = matching
        .iter()
        .copied()
        .filter(|e| after.as_deref().is_none_or(|a| fqn_of(e) > a))
        .collect();
    let page: Vec<Value> = rest.iter().take(limit).map(|e| (*e).clone()).collect();
    let mut paging = json!({ "total": matching.len() });
    if limit > 0 && rest.len() > page.len() {
        if let Some(last) = page.last() {
            paging["after"] = json!(http::base64url_encode(fqn_of(last).as_bytes()));
        }
    }
    Ok(Response::ok(json!({ "data": page, "paging": paging })))
}

fn bulk(shared: &Shared, req: &Request, kind: Kind, params: &Params) -> Handled {
    if params.get("async") != Some("false") {
        return Err(error(
            400,
            "this server answers bulk requests synchronously only: send async=false",
        ));
    }
    let body = json_body(req, "application/json")?;
    let Some(rows) = body.as_array() else {
        return Err(error(400, "a bulk request body must be a JSON array"));
    };
    let mut store = lock(&shared.store);
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    for row in rows {
        match store.upsert(kind, row) {
            Ok((outcome, entity)) => passed.push(json!({
                "request": fqn_of(&entity),
                "message": outcome.message(),
            })),
            Err(e) => failed.push(json!({ "request": row, "message": e.message })),
        }
    }
    let status = if failed.is_empty() {
        "success"
    } else if passed.is_empty() {
        "failure"
    } else {
        "partialSuccess"
    };
    Ok(Response::ok(json!({
        "dryRun": false,
        "status": status,
        "numberOfRowsProcessed": rows.len(),
        "numberOfRowsPassed": passed.len(),
        "numberOfRowsFailed": failed.len(),
        "successRequest": passed,
        "failedRequest": failed,
    })))
}

fn delete_stale(shared: &Shared, req: &Request) -> Handled {
    let body = json_body(req, "application/json")?;
    let bad = |message: &str| Err(error(400, message));
    let Some(fields) = body.as_object() else {
        return bad("deleteStale body must be a JSON object");
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| !["scopeFqn", "scopeEntityType", "seenFqns"].contains(&k.as_str()))
    {
        return bad(&format!("deleteStale body: unknown field {unknown:?}"));
    }
    let Some(scope) = fields.get("scopeFqn").and_then(Value::as_str) else {
        return bad("deleteStale body: scopeFqn is required and must be a string");
    };
    match fields.get("scopeEntityType").and_then(Value::as_str) {
        Some("databaseSchema") => {}
        Some(other) => {
            return bad(&format!(
                "deleteStale body: scopeEntityType must be \"databaseSchema\", not {other:?}"
            ))
        }
        None => return bad("deleteStale body: scopeEntityType is required and must be a string"),
    }
    let Some(seen) = fields
        .get("seenFqns")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(Value::as_str).collect::<Option<Vec<&str>>>())
    else {
        return bad("deleteStale body: seenFqns is required and must be an array of strings");
    };
    let mut store = lock(&shared.store);
    if store.get(Kind::Schema, scope).is_none_or(is_deleted) {
        return Err(error(
            404,
            &format!("databaseSchema instance for {scope} not found"),
        ));
    }
    let stale: Vec<String> = store
        .all(Kind::Table)
        .filter(|t| !is_deleted(t))
        .filter(|t| t["databaseSchema"]["fullyQualifiedName"] == scope)
        .map(|t| fqn_of(t).to_string())
        .filter(|fqn| !seen.contains(&fqn.as_str()))
        .collect();
    for fqn in &stale {
        store.soft_delete(Kind::Table, fqn);
    }
    Ok(Response::ok(json!({
        "deletedFqns": stale,
        "deletedCount": stale.len(),
    })))
}

/// Fields of a table that a PATCH cannot change (OpenMetadata restores them).
const MANAGED: [&str; 12] = [
    "id",
    "name",
    "fullyQualifiedName",
    "service",
    "database",
    "databaseSchema",
    "serviceType",
    "href",
    "version",
    "updatedAt",
    "updatedBy",
    "deleted",
];

fn patch_table(shared: &Shared, req: &Request, id: &str) -> Handled {
    let ops = json_body(req, "application/json-patch+json")?;
    let mut store = lock(&shared.store);
    let original = live_table(&store, id)?;
    let mut doc = original.clone();
    patch::apply(&mut doc, &ops).map_err(|e| error(400, &format!("Invalid JSON Patch: {e}")))?;
    let Some(map) = doc.as_object_mut() else {
        return Err(error(400, "the patched table is not a JSON object"));
    };
    for key in MANAGED {
        match original.get(key) {
            Some(v) => {
                map.insert(key.to_string(), v.clone());
            }
            None => {
                map.shift_remove(key);
            }
        }
    }
    let fqn = fqn_of(&original).to_string();
    if let Some(columns) = doc.get_mut("columns") {
        assign_column_fqns(columns, &fqn);
    }
    let before = all_tags(&original);
    for tag in all_tags(&doc) {
        if before.contains(&tag) {
            continue;
        }
        if let Err(errors) = schema::validate("tagLabel.json", tag) {
            return Err(error(
                400,
                &format!("Invalid tag label {tag}: {}", describe(&errors)),
            ));
        }
    }
    if let Some(message) = mutually_exclusive(doc.get("columns")) {
        return Err(error(400, &message));
    }
    if doc == original {
        return Ok(Response::ok(original));
    }
    bump(&mut doc);
    if let Err(errors) = schema::validate("table.json", &doc) {
        return Err(error(
            400,
            &format!("The patched table is invalid: {}", describe(&errors)),
        ));
    }
    store.put(Kind::Table, doc.clone());
    Ok(Response::ok(doc))
}

/// OpenMetadata's PII classification is mutually exclusive: a column (at any depth)
/// may carry one of its tags only.
fn mutually_exclusive(columns: Option<&Value>) -> Option<String> {
    for column in columns.and_then(Value::as_array).into_iter().flatten() {
        let pii: Vec<&str> = column
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t.get("tagFQN").and_then(Value::as_str))
            .filter(|f| f.starts_with("PII."))
            .collect();
        if pii.len() > 1 {
            return Some(format!(
                "Tag labels {} are mutually exclusive and can't be assigned together",
                pii.join(" and ")
            ));
        }
        if let Some(message) = mutually_exclusive(column.get("children")) {
            return Some(message);
        }
    }
    None
}

/// Names of a table's top-level columns.
fn column_names(table: &Value) -> Vec<&str> {
    table["columns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .collect()
}

fn table_profile(shared: &Shared, req: &Request, id: &str) -> Handled {
    let body = json_body(req, "application/json")?;
    if let Err(errors) = schema::validate("createTableProfile.json", &body) {
        return Err(error(
            400,
            &format!("Invalid createTableProfile request: {}", describe(&errors)),
        ));
    }
    let mut store = lock(&shared.store);
    let mut table = live_table(&store, id)?;
    let names: Vec<String> = column_names(&table)
        .into_iter()
        .map(str::to_string)
        .collect();
    let column_profiles = body["columnProfile"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for profile in &column_profiles {
        let name = profile["name"].as_str().unwrap_or_default();
        if !names.iter().any(|n| n == name) {
            return Err(error(400, &format!("Invalid column name {name}")));
        }
    }
    table["profile"] = body["tableProfile"].clone();
    for column in table["columns"].as_array_mut().into_iter().flatten() {
        let name = column["name"].as_str().unwrap_or_default().to_string();
        if let Some(profile) = column_profiles.iter().find(|p| p["name"] == name.as_str()) {
            column["profile"] = profile.clone();
        }
    }
    if let Err(errors) = schema::validate("table.json", &table) {
        return Err(error(
            500,
            &format!(
                "contract server bug: the profiled table would not match table.json: {}",
                describe(&errors)
            ),
        ));
    }
    store.put(Kind::Table, table.clone());
    Ok(Response::ok(table))
}

fn sample_data(shared: &Shared, req: &Request, id: &str) -> Handled {
    let body = json_body(req, "application/json")?;
    if let Err(errors) = schema::validate("tableData.json", &body) {
        return Err(error(
            400,
            &format!("Invalid tableData: {}", describe(&errors)),
        ));
    }
    let mut store = lock(&shared.store);
    let mut table = live_table(&store, id)?;
    let names = column_names(&table);
    let sent: Vec<&str> = body["columns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if let Some(unknown) = sent.iter().find(|c| !names.contains(c)) {
        return Err(error(400, &format!("Invalid column name {unknown}")));
    }
    for row in body["rows"].as_array().into_iter().flatten() {
        let width = row.as_array().map_or(0, Vec::len);
        if width != sent.len() {
            return Err(error(
                400,
                &format!(
                    "Number of columns is {} but row has {width} sample values",
                    sent.len()
                ),
            ));
        }
    }
    table["sampleData"] = body;
    store.put(Kind::Table, table.clone());
    Ok(Response::ok(table))
}
