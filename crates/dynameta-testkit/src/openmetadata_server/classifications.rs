//! `/classifications` and `/tags`: create-or-update by PUT, read by name.
//!
//! Upstream: openmetadata-service/.../resources/tags/ClassificationResource.java
//! (createOrUpdate, getByName) and TagResource.java (createOrUpdate, getByName);
//! openmetadata-service/.../resources/tags/TagMapper.java, createToEntity (the
//! classification a tag names must exist: `classification instance for X not found`);
//! openmetadata-service/.../jdbi3/TagRepository.java, setFullyQualifiedName
//! (`classification.fqn + "." + quoteName(name)`).

use serde_json::Value;

use super::http::Request;
use super::names::{self, Reporting};
use super::routes::{error, json_body, Handled, Params, Response};
use super::state::describe;
use super::updater::Change;
use super::{lock, Shared};
use crate::schema;

/// Answers `/classifications/...` and `/tags/...` (`segments` start with the collection).
pub(super) fn handle(
    shared: &Shared,
    req: &Request,
    segments: &[String],
    _params: &Params,
) -> Response {
    let collection = segments[0].as_str();
    let rest: Vec<&str> = segments[1..].iter().map(String::as_str).collect();
    let result = match (req.method.as_str(), rest.as_slice()) {
        ("PUT", []) if collection == "classifications" => put_classification(shared, req),
        ("PUT", []) => put_tag(shared, req),
        ("GET", ["name", fqn]) => get_by_name(shared, collection, fqn),
        (_, []) | (_, ["name", _]) => Err(error(405, "HTTP 405 Method Not Allowed")),
        _ => Err(error(404, "HTTP 404 Not Found")),
    };
    result.unwrap_or_else(|e| e)
}

/// Bean Validation of the name, then the JSON Schema of the request.
fn check(request: &Value, schema_file: &str) -> Result<(), Response> {
    names::check_create_names(request, Reporting::QueryParam).map_err(Response::from)?;
    if let Err(errors) = schema::validate(schema_file, request) {
        return Err(error(
            400,
            &format!(
                "Invalid {} request: {}",
                schema_file.trim_end_matches(".json"),
                describe(&errors)
            ),
        ));
    }
    Ok(())
}

fn name_of(request: &Value) -> &str {
    request
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn put_classification(shared: &Shared, req: &Request) -> Handled {
    let body = json_body(req, "application/json")?;
    check(&body, "createClassification.json")?;
    let fqn = names::quote_name(name_of(&body)).map_err(Response::from)?;
    let (created, entity) = lock(&shared.store).tags.put_classification(&fqn, &body);
    Ok(answer(created, entity))
}

fn put_tag(shared: &Shared, req: &Request) -> Handled {
    let body = json_body(req, "application/json")?;
    check(&body, "createTag.json")?;
    if body.get("parent").is_some_and(|p| !p.is_null()) {
        return Err(error(
            400,
            "this contract server models tags directly under a classification only (no `parent`)",
        ));
    }
    let class_fqn = body
        .get("classification")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut store = lock(&shared.store);
    if !store.tags.classification_entities.contains_key(&class_fqn) {
        return Err(error(
            404,
            &format!("classification instance for {class_fqn} not found"),
        ));
    }
    let fqn = names::add(&class_fqn, name_of(&body)).map_err(Response::from)?;
    let (created, entity) = store.tags.put_tag(&class_fqn, &fqn, &body);
    Ok(answer(created, entity))
}

fn answer(created: bool, entity: Value) -> Response {
    let change = if created {
        Change::Created
    } else {
        Change::Unchanged
    };
    Response::changed(change, change.status(), entity)
}

fn get_by_name(shared: &Shared, collection: &str, fqn: &str) -> Handled {
    let store = lock(&shared.store);
    let (map, kind) = if collection == "classifications" {
        (&store.tags.classification_entities, "classification")
    } else {
        (&store.tags.tag_entities, "tag")
    };
    match map.get(fqn) {
        Some(e) => Ok(Response::ok(e.clone())),
        None => Err(error(404, &format!("{kind} instance for {fqn} not found"))),
    }
}
