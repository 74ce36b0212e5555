//! Routing and the endpoint handlers: what OpenMetadata 2.0 (or 1.x) answers.

use base64::engine::general_purpose::URL_SAFE_NO_PAD_INDIFFERENT as CURSOR;
use base64::Engine as _;
use serde_json::{json, Value};

use super::bulk;
use super::create;
use super::fields::{self, Fields};
use super::http::{self, Request};
use super::names::Reporting;
use super::state::{fqn_of, is_deleted, ApiError, Include, Kind, Store};
use super::tables;
use super::updater::{Change, Options};
use super::{lock, Shared};

/// An answer: status, JSON body and extra headers.
#[derive(Debug)]
pub(super) struct Response {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(&'static str, String)>,
}

impl Response {
    /// 200 with `body`.
    pub fn ok(body: Value) -> Response {
        Response {
            status: 200,
            body,
            headers: Vec::new(),
        }
    }

    /// The answer to a write: its status (201 on create) and
    /// `X-OpenMetadata-Change` header (`RestUtil.PutResponse` / `PatchResponse`).
    pub fn changed(change: Change, status: u16, body: Value) -> Response {
        Response {
            status,
            body,
            headers: vec![("X-OpenMetadata-Change", change.header().to_string())],
        }
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
        headers: Vec::new(),
    }
}

fn not_found() -> Response {
    error(404, "HTTP 404 Not Found")
}

/// Decoded query parameters.
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
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
    LatestProfile(String),
    GetSampleData(String),
    /// `GET /tables/name/{fqn}/columns` (true) or `/tables/{id}/columns` (false).
    Columns(String, bool),
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
    if segments.first().map(String::as_str) == Some("dataQuality") {
        return super::dq::handle(shared, req, &segments[1..], &Params(query));
    }
    if super::lineage::owns(&segments) {
        return super::lineage::handle(shared, req, &segments, &Params(query));
    }
    match segments.first().map(String::as_str) {
        Some("classifications" | "tags") => {
            return super::classifications::handle(shared, req, &segments, &Params(query))
        }
        Some("users" | "teams" | "search") => {
            return super::principals::handle(shared, req, &segments, &Params(query))
        }
        _ => {}
    }
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
        ("GET", ["name", fqn, "columns"]) if table => Ok(Route::Columns(fqn.to_string(), true)),
        (_, ["name", _, "columns"]) if table => Err(405),
        (_, ["name", _]) => Err(405),
        ("GET", [id]) => Ok(Route::ById(kind, id.to_string())),
        ("DELETE", [id]) if table => Ok(Route::DeleteTable(id.to_string())),
        ("PATCH", [id]) if table => Ok(Route::PatchTable(id.to_string())),
        (_, [_]) => Err(405),
        ("PUT", [id, "tableProfile"]) if table => Ok(Route::TableProfile(id.to_string())),
        ("PUT", [id, "sampleData"]) if table => Ok(Route::SampleData(id.to_string())),
        ("GET", [id, "sampleData"]) if table => Ok(Route::GetSampleData(id.to_string())),
        ("GET", [id, "columns"]) if table => Ok(Route::Columns(id.to_string(), false)),
        (_, [_, "columns"]) if table => Err(405),
        (_, [_, "tableProfile" | "sampleData"]) if table => Err(405),
        ("GET", [fqn, "tableProfile", "latest"]) if table => {
            Ok(Route::LatestProfile(fqn.to_string()))
        }
        (_, [_, "tableProfile", "latest"]) if table => Err(405),
        _ => Err(404),
    }
}

pub(super) type Handled = Result<Response, Response>;

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
            let prepared = create::prepare(&store, kind, &body, Reporting::QueryParam)?;
            let (change, entity) =
                create::apply(&mut store, prepared, Options::bot_put(false), false)?;
            Ok(Response::changed(
                change,
                change.status(),
                write_view(kind, &entity),
            ))
        }
        Route::List(kind) => list(&lock(&shared.store), kind, params),
        Route::Bulk(kind) => bulk::bulk(shared, req, kind, params),
        Route::DeleteStale => bulk::delete_stale(shared, req),
        Route::ByName(kind, fqn) => {
            let fields = read_fields(kind, params)?;
            let include = include(params)?;
            let store = lock(&shared.store);
            match store.get(kind, &fqn) {
                Some(e) if include.admits(e) => Ok(Response::ok(read_view(kind, e, &fields))),
                _ => Err(error(
                    404,
                    &format!("{} instance for {fqn} not found", kind.name()),
                )),
            }
        }
        Route::ById(kind, id) => {
            let fields = read_fields(kind, params)?;
            let include = include(params)?;
            let store = lock(&shared.store);
            match store.by_id(kind, &id) {
                Some(e) if include.admits(e) => Ok(Response::ok(read_view(kind, e, &fields))),
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
            let header = if hard {
                "entityDeleted"
            } else {
                "entitySoftDeleted"
            };
            match entity {
                Some(e) => Ok(Response {
                    status: 200,
                    body: fields::write_view(&e),
                    headers: vec![("X-OpenMetadata-Change", header.to_string())],
                }),
                None => Err(id_not_found(Kind::Table, &id)),
            }
        }
        Route::PatchTable(id) => tables::patch_table(shared, req, &id),
        Route::TableProfile(id) => tables::table_profile(shared, req, &id),
        Route::SampleData(id) => tables::sample_data(shared, req, &id),
        Route::LatestProfile(fqn) => tables::latest_profile(shared, &fqn, params),
        Route::GetSampleData(id) => tables::get_sample_data(shared, &id),
        Route::Columns(key, by_name) => tables::columns(shared, &key, by_name, params),
    }
}

/// The `fields=` of a read: checked for tables (`Invalid field name X`); other kinds
/// are answered whole.
fn read_fields(kind: Kind, params: &Params) -> Result<Fields, Response> {
    match kind {
        Kind::Table => Fields::parse_table(params.get("fields")).map_err(Response::from),
        _ => Ok(Fields::all()),
    }
}

/// A stored entity as a read returns it.
fn read_view(kind: Kind, entity: &Value, fields: &Fields) -> Value {
    match kind {
        Kind::Table => fields::table_view(entity, fields),
        _ => entity.clone(),
    }
}

/// A stored entity as a write (PUT, PATCH, bulk) returns it.
pub(super) fn write_view(kind: Kind, entity: &Value) -> Value {
    match kind {
        Kind::Table => fields::write_view(entity),
        _ => entity.clone(),
    }
}

pub(super) fn id_not_found(kind: Kind, id: &str) -> Response {
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
pub(super) fn json_body(req: &Request, media_type: &str) -> Result<Value, Response> {
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

fn list(store: &Store, kind: Kind, params: &Params) -> Handled {
    let fields = read_fields(kind, params)?;
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
            CURSOR
                .decode(cursor)
                .ok()
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
    let page: Vec<&Value> = rest.iter().take(limit).copied().collect();
    let mut paging = json!({ "total": matching.len() });
    if limit > 0 && rest.len() > page.len() {
        if let Some(last) = page.last() {
            paging["after"] = json!(CURSOR.encode(fqn_of(last)));
        }
    }
    let data: Vec<Value> = page.iter().map(|e| read_view(kind, e, &fields)).collect();
    Ok(Response::ok(json!({ "data": data, "paging": paging })))
}
