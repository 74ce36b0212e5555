//! The 2.0 bulk endpoints: `PUT /{collection}/bulk` and `DELETE /tables/deleteStale`,
//! both answered with a `BulkOperationResult`.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::create::{self, Prepared};
use super::http::Request;
use super::names::{self, Reporting};
use super::routes::{error, json_body, Handled, Params, Response};
use super::state::{fqn_of, is_deleted, Kind};
use super::updater::Options;
use super::{lock, Shared};

/// `PUT /{collection}/bulk?async=false[&overrideMetadata=true]`: always 200 with a
/// `BulkOperationResult`.
///
/// * Every item is first checked as a PUT would check it (names reported with
///   `ValidatorUtil`'s full property path, DatabaseUtil, tags, table constraints, the
///   parent, 404s included); a failing item goes to `failedRequest` as
///   `{"request": <the create object>, "message": ..., "status": 400}`.
/// * The others are created or updated as a bot's PUT would (`overrideMetadata` lifts
///   the description/displayName guards and disables the `sourceHash` fast path);
///   each lands in `successRequest` as `{"request": "<fqn>", "status": 200}`, or, when
///   the update fails, in `failedRequest` as `{"request": "<fqn>", "message", "status":
///   400}`.
/// * `status`: `success`, `partialSuccess` or `failure` (all items failed the checks).
///
/// Upstream: openmetadata-service/.../resources/EntityResource.java, processBulkRequest;
/// openmetadata-service/.../jdbi3/BulkImportService.java, bulkCreateOrUpdateEntities.
/// Items are processed in request order (upstream: creates, then updates).
pub(super) fn bulk(shared: &Shared, req: &Request, kind: Kind, params: &Params) -> Handled {
    if params.get("async") != Some("false") {
        return Err(error(
            400,
            "this server answers bulk requests synchronously only: send async=false",
        ));
    }
    // Jersey reads a boolean query parameter with Boolean.valueOf.
    let override_metadata = params
        .get("overrideMetadata")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let body = json_body(req, "application/json")?;
    let Some(rows) = body.as_array() else {
        return Err(error(400, "a bulk request body must be a JSON array"));
    };
    let mut store = lock(&shared.store);
    let mut checked: Vec<Prepared> = Vec::new();
    let mut refused = Vec::new();
    for row in rows {
        match create::prepare(&store, kind, row, Reporting::PropertyPath) {
            Ok(prepared) => checked.push(prepared),
            Err(e) => refused.push(json!({ "request": row, "message": e.message, "status": 400 })),
        }
    }
    if checked.is_empty() {
        return Ok(Response::ok(json!({
            "status": "failure",
            "numberOfRowsProcessed": rows.len(),
            "numberOfRowsPassed": 0,
            "numberOfRowsFailed": rows.len(),
            "successRequest": [],
            "failedRequest": refused,
        })));
    }
    let mut occurrences: HashMap<String, usize> = HashMap::new();
    for p in &checked {
        *occurrences.entry(p.fqn.clone()).or_default() += 1;
    }
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    for prepared in checked {
        let fqn = prepared.fqn.clone();
        let single = occurrences.get(&fqn) == Some(&1);
        let options = Options::bot_put(override_metadata);
        match create::apply(&mut store, prepared, options, single && !override_metadata) {
            Ok(_) => passed.push(json!({ "request": fqn, "status": 200 })),
            Err(e) => failed.push(json!({ "request": fqn, "message": e.message, "status": 400 })),
        }
    }
    let mut status = if failed.is_empty() {
        "success"
    } else if passed.is_empty() {
        "failure"
    } else {
        "partialSuccess"
    };
    if !refused.is_empty() {
        status = "partialSuccess";
    }
    let failed_count = failed.len() + refused.len();
    failed.extend(refused);
    Ok(Response::ok(json!({
        "status": status,
        "numberOfRowsProcessed": rows.len(),
        "numberOfRowsPassed": passed.len(),
        "numberOfRowsFailed": failed_count,
        "successRequest": passed,
        "failedRequest": failed,
    })))
}

/// Registered OpenMetadata entity types a deleteStale scope may name (`service` means
/// the collection's service type). Only the database hierarchy is stored here; a scope
/// of another type never exists, so nothing is deleted.
const ENTITY_TYPES: [&str; 30] = [
    "databaseService",
    "database",
    "databaseSchema",
    "table",
    "storedProcedure",
    "dashboardService",
    "dashboard",
    "dashboardDataModel",
    "chart",
    "messagingService",
    "topic",
    "pipelineService",
    "pipeline",
    "mlmodelService",
    "mlmodel",
    "storageService",
    "container",
    "searchService",
    "searchIndex",
    "apiService",
    "apiCollection",
    "apiEndpoint",
    "metadataService",
    "glossary",
    "glossaryTerm",
    "classification",
    "tag",
    "domain",
    "dataProduct",
    "query",
];

/// `DELETE /tables/deleteStale` with a `BulkDeleteStaleRequest`: (soft- or hard-)
/// deletes the live tables under `scopeFqn` whose FQN is not in `seenFqns`.
///
/// * Body (`type/bulkDeleteStaleRequest.json`): `scopeFqn`, `scopeEntityType`,
///   `seenFqns` required (`null`/absent → `[query param <field> must not be null]`);
///   `dryRun` (false), `hardDelete` (false), `recursive` (true); no other field.
/// * An empty `scopeFqn` / `scopeEntityType` → 400 `scopeFqn is required for
///   deleteStale` / `scopeEntityType is required for deleteStale`; an unregistered type →
///   400 `Unsupported scopeEntityType '<t>' for deleteStale`.
/// * Empty `seenFqns`, or a scope that does not exist (or is deleted): nothing deleted.
/// * Seen FQNs compare by their parts (quoting does not matter); unparsable ones are
///   ignored.
/// * Answer (200): `{"dryRun", "status": "success", "numberOfRowsProcessed",
///   "numberOfRowsPassed", "numberOfRowsFailed": 0, "successRequest": [{"request":
///   "<fqn>", "status": 200}, ...], "failedRequest": []}`, deleted tables sorted by FQN.
///
/// Upstream: openmetadata-service/.../jdbi3/BulkImportService.java,
/// bulkDeleteStaleEntities / validateScopeRequest. Whether the resource runs Bean
/// Validation on the body (the `must not be null` answers) was not verified.
pub(super) fn delete_stale(shared: &Shared, req: &Request) -> Handled {
    let body = json_body(req, "application/json")?;
    let bad = |message: String| Err(error(400, &message));
    let Some(fields) = body.as_object() else {
        return bad(
            "Unable to process JSON: a BulkDeleteStaleRequest must be a JSON object".into(),
        );
    };
    let known = [
        "scopeFqn",
        "scopeEntityType",
        "seenFqns",
        "dryRun",
        "hardDelete",
        "recursive",
    ];
    if let Some(unknown) = fields.keys().find(|k| !known.contains(&k.as_str())) {
        return bad(format!(
            "Unable to process JSON: Unrecognized field \"{unknown}\" (class org.openmetadata.schema.type.BulkDeleteStaleRequest), not marked as ignorable"
        ));
    }
    let missing: Vec<String> = ["scopeFqn", "scopeEntityType", "seenFqns"]
        .iter()
        .filter(|k| fields.get(**k).is_none_or(Value::is_null))
        .map(|k| format!("query param {k} must not be null"))
        .collect();
    if !missing.is_empty() {
        return bad(format!("[{}]", missing.join(", ")));
    }
    let flag = |key: &str, default: bool| -> Result<bool, Response> {
        match fields.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(error(
                400,
                &format!("Unable to process JSON: {key} must be a boolean, not {other}"),
            )),
        }
    };
    let (dry_run, hard_delete) = (flag("dryRun", false)?, flag("hardDelete", false)?);
    flag("recursive", true)?;
    let string = |key: &str| -> Result<&str, Response> {
        fields.get(key).and_then(Value::as_str).ok_or_else(|| {
            error(
                400,
                &format!("Unable to process JSON: {key} must be a string"),
            )
        })
    };
    let scope = string("scopeFqn")?;
    let scope_type = string("scopeEntityType")?;
    let Some(seen) = fields
        .get("seenFqns")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(Value::as_str).collect::<Option<Vec<&str>>>())
    else {
        return bad("Unable to process JSON: seenFqns must be an array of strings".into());
    };
    // BulkImportService.validateScopeRequest
    if scope.is_empty() {
        return bad("scopeFqn is required for deleteStale".into());
    }
    if scope_type.is_empty() {
        return bad("scopeEntityType is required for deleteStale".into());
    }
    let resolved = if scope_type == "service" {
        "databaseService"
    } else {
        scope_type
    };
    if !ENTITY_TYPES.contains(&resolved) {
        return bad(format!(
            "Unsupported scopeEntityType '{scope_type}' for deleteStale"
        ));
    }
    let mut store = lock(&shared.store);
    let scope_parts = names::split(scope);
    let scope_exists = Kind::from_name(resolved)
        .and_then(|kind| store.get(kind, scope))
        .is_some_and(|e| !is_deleted(e));
    let mut deleted: Vec<String> = Vec::new();
    if !seen.is_empty() && scope_exists {
        let seen: Vec<Vec<String>> = seen.iter().filter_map(|f| names::split(f)).collect();
        let scope_parts = scope_parts.unwrap_or_default();
        deleted = store
            .all(Kind::Table)
            .filter(|t| !is_deleted(t))
            .filter_map(|t| {
                let parts = names::split(fqn_of(t))?;
                let under = parts.len() > scope_parts.len() && parts.starts_with(&scope_parts);
                (under && !seen.contains(&parts)).then(|| fqn_of(t).to_string())
            })
            .collect();
        if !dry_run {
            for fqn in &deleted {
                if hard_delete {
                    store.remove(Kind::Table, fqn);
                } else {
                    store.soft_delete(Kind::Table, fqn);
                }
            }
        }
    }
    let success: Vec<Value> = deleted
        .iter()
        .map(|fqn| json!({ "request": fqn, "status": 200 }))
        .collect();
    let mut result = Map::new();
    result.insert("dryRun".into(), json!(dry_run));
    result.insert("status".into(), json!("success"));
    result.insert("numberOfRowsProcessed".into(), json!(success.len()));
    result.insert("numberOfRowsPassed".into(), json!(success.len()));
    result.insert("numberOfRowsFailed".into(), json!(0));
    result.insert("successRequest".into(), Value::Array(success));
    result.insert("failedRequest".into(), json!([]));
    Ok(Response::ok(Value::Object(result)))
}
