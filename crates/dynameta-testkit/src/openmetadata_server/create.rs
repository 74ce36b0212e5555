//! Create-or-update from a create request (`PUT /{collection}` and each bulk item): the
//! request is checked and turned into an entity (`EntityResource` → the entity's
//! `*Mapper.createToEntity` → `EntityRepository.prepareInternal`), then created or
//! merged into the stored one (`EntityRepository.createOrUpdate`).

use serde_json::{json, Map, Value};

use super::names::{self, Reporting};
use super::rules;
use super::sanitize;
use super::state::{
    api_error, describe, fqn_of, is_deleted, now_ms, uuid_v4, ApiError, Kind, Store,
};
use super::updater::{self, Change, Options, BOT};
use crate::schema;

/// A create request that passed every check, as the entity it describes (name, FQN,
/// parent references and column FQNs set; no id or version yet).
pub(super) struct Prepared {
    pub kind: Kind,
    pub fqn: String,
    pub entity: Value,
}

/// Checks a create request and turns it into an entity, in OpenMetadata's order:
///
/// 1. Bean Validation of the body: names (see [`names::check_create_names`]), then the
///    rest of the JSON Schema;
/// 2. the mapper: domains/data products (404: this server holds none), owners
///    (`Principals::validate_owners`), the
///    parent (404 `<type> instance for <fqn> not found`), and for tables
///    `DatabaseUtil.validateConstraints`, `validateTablePartition`, `validateColumns`;
///    the description sanitized (`EntityRepository.copy` → `DescriptionSanitizer`; column
///    descriptions are stored as sent: not verified upstream);
/// 3. `prepareInternal`: tags (`validateTags`, 404/400), for tables
///    `TableRepository.validateTableConstraints`, then the FQN (`quoteName`, 400
///    `Invalid name X`).
///
/// Upstream: openmetadata-service/.../resources/databases/TableMapper.java,
/// createToEntity / validateNewTable; openmetadata-service/.../jdbi3/EntityRepository.java,
/// prepareInternal; openmetadata-service/.../jdbi3/TableRepository.java, prepare and
/// setFullyQualifiedName.
pub(super) fn prepare(
    store: &Store,
    kind: Kind,
    request: &Value,
    reporting: Reporting,
) -> Result<Prepared, ApiError> {
    names::check_create_names(request, reporting)?;
    if let Err(errors) = schema::validate(kind.create_schema(), request) {
        return Err(api_error(
            400,
            format!(
                "Invalid {} request: {}",
                kind.create_schema().trim_end_matches(".json"),
                describe(&errors)
            ),
        ));
    }
    let Some(fields) = request.as_object() else {
        return Err(api_error(400, "request body must be a JSON object"));
    };
    let name = fields
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| api_error(400, "[query param name must not be null]"))?;
    check_unresolvable_references(fields)?;
    let owners = store.principals.validate_owners(fields.get("owners"))?;

    let parent = match kind.parent() {
        None => None,
        Some((parent_kind, field)) => {
            let parent_fqn = fields.get(field).and_then(Value::as_str).unwrap_or("");
            match store.get(parent_kind, parent_fqn) {
                Some(p) if !is_deleted(p) => Some(p.clone()),
                _ => {
                    return Err(api_error(
                        404,
                        format!("{} instance for {parent_fqn} not found", parent_kind.name()),
                    ))
                }
            }
        }
    };
    let parent_field = kind.parent().map(|(_, field)| field);
    let mut entity = Map::new();
    for (key, value) in fields {
        if !value.is_null() && Some(key.as_str()) != parent_field {
            entity.insert(key.clone(), value.clone());
        }
    }
    let mut entity = Value::Object(entity);
    if let Some(owners) = owners {
        entity["owners"] = owners;
    }
    // EntityRepository.copy: the description is stored sanitized.
    if let Some(description) = entity.get("description").and_then(Value::as_str) {
        entity["description"] = json!(sanitize::sanitize(description)?);
    }

    if kind == Kind::Table {
        let columns = rules::list(&entity, "columns").cloned().unwrap_or_default();
        rules::validate_constraints(&columns, rules::list(&entity, "tableConstraints"))?;
        rules::validate_table_partition(&columns, entity.get("tablePartition"))?;
        if let Some(columns) = entity.get_mut("columns").and_then(Value::as_array_mut) {
            rules::validate_columns(columns)?;
        }
    }
    store.tags.validate_entity(&mut entity)?;
    if kind == Kind::Table {
        rules::validate_table_constraints(store, &entity)?;
    }
    let fqn = match &parent {
        Some(p) => names::add(fqn_of(p), name)?,
        None => names::quote_name(name)?,
    };
    entity["name"] = json!(name);
    entity["fullyQualifiedName"] = json!(fqn);
    if let Some(parent) = &parent {
        match kind {
            Kind::Service => {}
            Kind::Database => {
                entity["service"] = reference(parent, Kind::Service);
            }
            Kind::Schema => {
                entity["service"] = parent["service"].clone();
                entity["database"] = reference(parent, Kind::Database);
            }
            Kind::Table => {
                entity["service"] = parent["service"].clone();
                entity["database"] = parent["database"].clone();
                entity["databaseSchema"] = reference(parent, Kind::Schema);
            }
        }
        if let Some(service_type) = parent.get("serviceType") {
            entity["serviceType"] = service_type.clone();
        }
    }
    if let Some(columns) = entity.get_mut("columns") {
        assign_column_fqns(columns, &fqn)?;
    }
    Ok(Prepared { kind, fqn, entity })
}

/// Creates the prepared entity (201, version 0.1) or updates the stored one of the same
/// FQN, deleted or not (200). `source_hash_fast_path`: a stored entity with the same
/// non-empty `sourceHash` is reported unchanged without comparing (the bulk API's fast
/// path).
///
/// Upstream: openmetadata-service/.../jdbi3/EntityRepository.java, createOrUpdate;
/// openmetadata-service/.../jdbi3/BulkImportService.java, bulkUpdateEntities (sourceHash).
pub(super) fn apply(
    store: &mut Store,
    prepared: Prepared,
    options: Options<'_>,
    source_hash_fast_path: bool,
) -> Result<(Change, Value), ApiError> {
    let Prepared { kind, fqn, entity } = prepared;
    let Some(original) = store.get(kind, &fqn).cloned() else {
        let mut entity = entity;
        let id = uuid_v4();
        entity["id"] = json!(id);
        entity["href"] = json!(store.href(kind, &id));
        entity["version"] = updater::version_value(1);
        entity["updatedAt"] = json!(now_ms());
        entity["updatedBy"] = json!(BOT);
        entity["deleted"] = json!(false);
        rules::check_tag_usage_targets(&entity)?;
        if kind == Kind::Table {
            if let Err(errors) = schema::validate("table.json", &entity) {
                return Err(api_error(
                    500,
                    format!(
                        "contract server bug: the stored table would not match table.json: {}",
                        describe(&errors)
                    ),
                ));
            }
        }
        store.put(kind, entity.clone());
        return Ok((Change::Created, entity));
    };
    let hash = rules::text(&entity, "sourceHash").filter(|h| !h.is_empty());
    if source_hash_fast_path
        && !is_deleted(&original)
        && hash.is_some()
        && hash == rules::text(&original, "sourceHash")
    {
        return Ok((Change::Unchanged, original));
    }
    updater::update(store, kind, &original, entity, options)
}

/// Domains and data products name entities this server does not hold: OpenMetadata
/// answers 404 for a reference it cannot resolve. (Owners are checked against the users
/// and teams registered: `Principals::validate_owners`.)
fn check_unresolvable_references(fields: &Map<String, Value>) -> Result<(), ApiError> {
    for field in ["domains", "dataProducts"] {
        let Some(first) = fields
            .get(field)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        else {
            continue;
        };
        let (kind, what) = match field {
            "domains" => ("domain", text_of(first)),
            _ => ("dataProduct", text_of(first)),
        };
        return Err(api_error(
            404,
            format!("{kind} instance for {what} not found"),
        ));
    }
    Ok(())
}

fn text_of(value: &Value) -> String {
    value
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| value.to_string())
}

/// An EntityReference to a stored entity.
fn reference(entity: &Value, kind: Kind) -> Value {
    json!({
        "id": entity["id"],
        "type": kind.name(),
        "name": entity["name"],
        "fullyQualifiedName": entity["fullyQualifiedName"],
    })
}

/// Sets `fullyQualifiedName` on every column, recursively through `children`, replacing
/// whatever the client sent.
///
/// Upstream: openmetadata-service/.../util/ColumnUtil.java, setColumnFQN
/// (`FullyQualifiedName.add`, so a name with a line terminator is `Invalid name X`).
pub(super) fn assign_column_fqns(columns: &mut Value, parent_fqn: &str) -> Result<(), ApiError> {
    for column in columns.as_array_mut().into_iter().flatten() {
        let Some(fields) = column.as_object_mut() else {
            continue;
        };
        let name = fields.get("name").and_then(Value::as_str).unwrap_or("");
        let fqn = names::add(parent_fqn, name)?;
        if let Some(children) = fields.get_mut("children") {
            assign_column_fqns(children, &fqn)?;
        }
        fields.insert("fullyQualifiedName".into(), json!(fqn));
    }
    Ok(())
}
