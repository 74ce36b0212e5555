//! Table-only endpoints: PATCH, profiles and sample data.

use serde_json::Value;

use super::create;
use super::fields;
use super::http::Request;
use super::patch;
use super::routes::{error, id_not_found, json_body, Handled, Params, Response};
use super::rules;
use super::state::{describe, fqn_of, is_deleted, Kind, Store};
use super::updater::{self, Options};
use super::{lock, Shared};
use crate::schema;

/// Fields of a table a PATCH cannot change: OpenMetadata restores them
/// (`TableRepository.restorePatchAttributes`) or manages them itself.
const RESTORED: [&str; 12] = [
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

/// The stored table of this id, not deleted (`find(id, NON_DELETED)`).
fn live_table(store: &Store, id: &str) -> Result<Value, Response> {
    match store.by_id(Kind::Table, id) {
        Some(t) if !is_deleted(t) => Ok(t.clone()),
        _ => Err(id_not_found(Kind::Table, id)),
    }
}

/// `PATCH /tables/{id}` (`application/json-patch+json`): always 200 with
/// `X-OpenMetadata-Change: entityUpdated | entityNoChange`.
///
/// The patch is applied to the stored table, the restored attributes are put back, the
/// result must read as a Table (table.json), then `prepareInternal` runs (tags, table
/// constraints, column FQNs) and the `TableUpdater` (DatabaseUtil.validateColumns,
/// checkDuplicateTableConstraints, column and tag replacement, versions with session
/// consolidation). `DatabaseUtil.validateConstraints` does not run on PATCH.
///
/// Upstream: openmetadata-service/.../jdbi3/EntityRepository.java, patch;
/// openmetadata-service/.../jdbi3/TableRepository.java, restorePatchAttributes and
/// TableUpdater.
pub(super) fn patch_table(shared: &Shared, req: &Request, id: &str) -> Handled {
    let ops = json_body(req, "application/json-patch+json")?;
    let mut store = lock(&shared.store);
    let original = live_table(&store, id)?;
    let mut doc = original.clone();
    patch::apply(&mut doc, &ops).map_err(|e| error(400, &format!("Invalid JSON Patch: {e}")))?;
    let Some(map) = doc.as_object_mut() else {
        return Err(error(400, "the patched table is not a JSON object"));
    };
    for key in RESTORED {
        match original.get(key) {
            Some(v) => {
                map.insert(key.to_string(), v.clone());
            }
            None => {
                map.shift_remove(key);
            }
        }
    }
    if let Err(errors) = schema::validate("table.json", &doc) {
        return Err(error(
            400,
            &format!("The patched table is invalid: {}", describe(&errors)),
        ));
    }
    if let Some(owners) = store.principals.validate_owners(doc.get("owners"))? {
        doc["owners"] = owners;
    }
    store.tags.validate_entity(&mut doc)?;
    rules::validate_table_constraints(&store, &doc)?;
    let fqn = fqn_of(&original).to_string();
    if let Some(columns) = doc.get_mut("columns") {
        create::assign_column_fqns(columns, &fqn)?;
    }
    let (change, entity) = updater::update(
        &mut store,
        Kind::Table,
        &original,
        doc,
        Options::bot_patch(),
    )?;
    Ok(Response::changed(change, 200, fields::write_view(&entity)))
}

/// Stores `profile` in `slot` unless the stored one is newer (the latest profile is
/// the one with the greatest timestamp).
fn keep_latest(slot: &mut Value, profile: &Value) {
    let stamp = |v: &Value| v.get("timestamp").and_then(Value::as_i64);
    if slot.is_null() || stamp(slot) <= stamp(profile) {
        *slot = profile.clone();
    }
}

/// `PUT /tables/{id}/tableProfile` with a `CreateTableProfile`.
///
/// * Bean Validation first: `tableProfile`, its `timestamp`, and each column profile's
///   `name` and `timestamp` must not be null (`[query param <field> must not be null]`);
///   then the rest of the JSON Schema.
/// * `validateProfilerTimestamps`: the table's, each column's and each system profile's
///   timestamp: `Timestamp is required`, or `Timestamp <t> is not valid, it should be in
///   milliseconds since epoch` (fewer than 12 digits).
/// * The table profile is stored, then each column profile in order; a name that is no
///   column (`parent.child` for nested ones) is 400 `Invalid column name X`, with what
///   came before it stored.
///
/// Upstream: openmetadata-service/.../jdbi3/TableRepository.java, addTableProfileData,
/// validateProfilerTimestamps, getColumnNameForProfiler.
pub(super) fn table_profile(shared: &Shared, req: &Request, id: &str) -> Handled {
    let body = json_body(req, "application/json")?;
    let mut nulls = Vec::new();
    match body.get("tableProfile").filter(|v| !v.is_null()) {
        None => nulls.push("tableProfile"),
        Some(p) if p.get("timestamp").is_none_or(Value::is_null) => nulls.push("timestamp"),
        Some(_) => {}
    }
    for profile in rules::list(&body, "columnProfile").into_iter().flatten() {
        if profile.get("name").is_none_or(Value::is_null) {
            nulls.push("name");
        }
        if profile.get("timestamp").is_none_or(Value::is_null) {
            nulls.push("timestamp");
        }
    }
    if !nulls.is_empty() {
        let texts: Vec<String> = nulls
            .iter()
            .map(|f| format!("query param {f} must not be null"))
            .collect();
        return Err(error(400, &format!("[{}]", texts.join(", "))));
    }
    if let Err(errors) = schema::validate("createTableProfile.json", &body) {
        return Err(error(
            400,
            &format!("Invalid createTableProfile request: {}", describe(&errors)),
        ));
    }
    let mut store = lock(&shared.store);
    let mut table = live_table(&store, id)?;
    rules::validate_timestamp(body["tableProfile"].get("timestamp"))?;
    let column_profiles = rules::list(&body, "columnProfile")
        .cloned()
        .unwrap_or_default();
    for profile in &column_profiles {
        rules::validate_timestamp(profile.get("timestamp"))?;
    }
    for profile in rules::list(&body, "systemProfile").into_iter().flatten() {
        rules::validate_timestamp(profile.get("timestamp"))?;
    }
    keep_latest(&mut table["profile"], &body["tableProfile"]);
    for profile in &column_profiles {
        let name = rules::text(profile, "name").unwrap_or_default();
        let columns = rules::list(&table, "columns").cloned().unwrap_or_default();
        let Some(path) = rules::column_for_profiler(&columns, name) else {
            store.put(Kind::Table, table);
            return Err(error(400, &format!("Invalid column name {name}")));
        };
        if let Some(column) = rules::column_at_mut(&mut table, &path) {
            keep_latest(&mut column["profile"], profile);
        }
    }
    store.put(Kind::Table, table.clone());
    let mut answer = fields::profile_view(&table, true);
    answer["profile"] = body["tableProfile"].clone();
    Ok(Response::ok(answer))
}

/// `PUT /tables/{id}/sampleData` with a `TableData`: every column must be a top-level
/// column (or `all`), every row as wide as `columns`; replaces earlier sample data.
///
/// Upstream: openmetadata-service/.../jdbi3/TableRepository.java, addSampleData
/// (`validateColumn`; `Number of columns is %d but row has %d sample values`). The
/// generated `TableData` carries no constraint on the column names themselves, so a
/// name breaking `columnName` (`a::b`, empty) is refused by `validateColumn`.
pub(super) fn sample_data(shared: &Shared, req: &Request, id: &str) -> Handled {
    let body = json_body(req, "application/json")?;
    let mut store = lock(&shared.store);
    let mut table = live_table(&store, id)?;
    let columns = rules::list(&body, "columns");
    for name in columns.into_iter().flatten().filter_map(Value::as_str) {
        rules::validate_column(&table, name)?;
    }
    if let Some(columns) = columns {
        for row in rules::list(&body, "rows").into_iter().flatten() {
            let width = row.as_array().map_or(0, Vec::len);
            if width != columns.len() {
                return Err(error(
                    400,
                    &format!(
                        "Number of columns is {} but row has {width} sample values",
                        columns.len()
                    ),
                ));
            }
        }
    }
    if let Err(errors) = schema::validate("tableData.json", &body) {
        return Err(error(
            400,
            &format!("Invalid tableData: {}", describe(&errors)),
        ));
    }
    table["sampleData"] = body;
    store.put(Kind::Table, table.clone());
    Ok(Response::ok(fields::sample_data_view(&table)))
}

/// `GET /tables/{id}/sampleData`: the table with its sample data.
///
/// Upstream: openmetadata-service/.../jdbi3/TableRepository.java, getSampleData.
pub(super) fn get_sample_data(shared: &Shared, id: &str) -> Handled {
    let store = lock(&shared.store);
    let table = live_table(&store, id)?;
    Ok(Response::ok(fields::sample_data_view(&table)))
}

/// `GET /tables/{fqn}/tableProfile/latest[?includeColumnProfile=false]`: the table
/// (deleted or not) with its latest profile and, unless asked not to, each column's.
///
/// Upstream: openmetadata-service/.../jdbi3/TableRepository.java, getLatestTableProfile.
pub(super) fn latest_profile(shared: &Shared, fqn: &str, params: &Params) -> Handled {
    let with_columns = !params
        .get("includeColumnProfile")
        .is_some_and(|v| v.eq_ignore_ascii_case("false"));
    let store = lock(&shared.store);
    match store.get(Kind::Table, fqn) {
        Some(table) => Ok(Response::ok(fields::profile_view(table, with_columns))),
        None => Err(error(404, &format!("table instance for {fqn} not found"))),
    }
}

/// A bounded integer query parameter: absent → `default`; not an integer → 404 (JAX-RS
/// answers a `@QueryParam` it cannot convert with 404); out of range → the Bean
/// Validation message.
fn bounded(params: &Params, name: &str, default: i64, min: i64, max: i64) -> Result<i64, Response> {
    let Some(text) = params.get(name) else {
        return Ok(default);
    };
    let n: i64 = text.parse().map_err(|_| error(404, "HTTP 404 Not Found"))?;
    if n < min {
        return Err(error(
            400,
            &format!("[query param {name} must be greater than or equal to {min}]"),
        ));
    }
    if n > max {
        return Err(error(
            400,
            &format!("[query param {name} must be less than or equal to {max}]"),
        ));
    }
    Ok(n)
}

/// `GET /tables/name/{fqn}/columns` and `GET /tables/{id}/columns`: a page of the
/// top-level columns (children nested), `limit` 1..1000 (50), `offset` >= 0 (0),
/// `fields` among `tags`, `customMetrics`, `profile` (each left out unless asked for),
/// `include` (non-deleted). Paging cursors are offsets as strings:
/// `{"data": [...], "paging": {"total", "after" (when more remain), "before" (when
/// offset > 0)}}`.
///
/// Upstream: openmetadata-service/.../resources/databases/TableResource.java,
/// getTableColumnsByFQN / getTableColumns (`TableColumnList`); as described in
/// /tmp/om-client-routes.md (not verified against the Java source here).
pub(super) fn columns(shared: &Shared, key: &str, by_name: bool, params: &Params) -> Handled {
    let limit = bounded(params, "limit", 50, 1, 1000)?;
    let offset = bounded(params, "offset", 0, 0, i64::MAX)?;
    let mut wanted = Vec::new();
    for field in params
        .get("fields")
        .map(|f| f.replace(' ', ""))
        .unwrap_or_default()
        .split(',')
        .filter(|f| !f.is_empty())
    {
        if !["tags", "customMetrics", "profile"].contains(&field) {
            return Err(error(400, &format!("Invalid field name {field}")));
        }
        wanted.push(field.to_string());
    }
    let include = match params.get("include").unwrap_or("non-deleted") {
        "non-deleted" => super::state::Include::NonDeleted,
        "deleted" => super::state::Include::Deleted,
        "all" => super::state::Include::All,
        other => {
            return Err(error(
                400,
                &format!(
                    "query param include must be one of [non-deleted, deleted, all], not {other:?}"
                ),
            ))
        }
    };
    let store = lock(&shared.store);
    let found = if by_name {
        store.get(Kind::Table, key)
    } else {
        store.by_id(Kind::Table, key)
    };
    let Some(table) = found.filter(|t| include.admits(t)) else {
        return Err(error(404, &format!("table instance for {key} not found")));
    };
    let all = rules::list(table, "columns").cloned().unwrap_or_default();
    let total = all.len();
    let start = usize::try_from(offset).unwrap_or(usize::MAX).min(total);
    let end = start.saturating_add(limit as usize).min(total);
    let mut page = Value::Array(all[start..end].to_vec());
    fields::strip_column_fields(
        &mut page,
        wanted.iter().any(|f| f == "tags"),
        wanted.iter().any(|f| f == "customMetrics"),
        wanted.iter().any(|f| f == "profile"),
    );
    let mut paging = serde_json::json!({ "total": total });
    if end < total {
        paging["after"] = Value::String(end.to_string());
    }
    if offset > 0 {
        paging["before"] = Value::String((offset - limit).max(0).to_string());
    }
    Ok(Response::ok(
        serde_json::json!({ "data": page, "paging": paging }),
    ))
}
