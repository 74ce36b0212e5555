//! The entity store of the contract server: upserts with OpenMetadata's FQN, version
//! and merge rules, soft deletion, lookups.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Map, Value};

use crate::schema;

/// The entity kinds the server stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    Service,
    Database,
    Schema,
    Table,
}

impl Kind {
    /// Every kind, parents first.
    pub const ALL: [Kind; 4] = [Kind::Service, Kind::Database, Kind::Schema, Kind::Table];

    /// OpenMetadata's entity type name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Service => "databaseService",
            Kind::Database => "database",
            Kind::Schema => "databaseSchema",
            Kind::Table => "table",
        }
    }

    /// The kind whose entity type name is `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The collection path under `/api/v1`.
    pub fn collection(self) -> &'static str {
        match self {
            Kind::Service => "services/databaseServices",
            Kind::Database => "databases",
            Kind::Schema => "databaseSchemas",
            Kind::Table => "tables",
        }
    }

    /// The JSON Schema of the create request.
    pub fn create_schema(self) -> &'static str {
        match self {
            Kind::Service => "createDatabaseService.json",
            Kind::Database => "createDatabase.json",
            Kind::Schema => "createDatabaseSchema.json",
            Kind::Table => "createTable.json",
        }
    }

    /// The parent kind and the create-request field naming the parent's FQN.
    pub fn parent(self) -> Option<(Kind, &'static str)> {
        match self {
            Kind::Service => None,
            Kind::Database => Some((Kind::Service, "service")),
            Kind::Schema => Some((Kind::Database, "database")),
            Kind::Table => Some((Kind::Schema, "databaseSchema")),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// An error answer: HTTP status and OpenMetadata's `message`.
#[derive(Debug)]
pub(super) struct ApiError {
    pub status: u16,
    pub message: String,
}

/// Joins schema validation errors into one message; an error at the document root
/// reads `/: ...`.
pub(super) fn describe(errors: &[String]) -> String {
    errors
        .iter()
        .map(|e| match e.strip_prefix(": ") {
            Some(rest) => format!("/: {rest}"),
            None => e.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Builds an [`ApiError`].
pub(super) fn api_error(status: u16, message: impl Into<String>) -> ApiError {
    ApiError {
        status,
        message: message.into(),
    }
}

/// What an upsert did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    Created,
    Updated,
    Unchanged,
}

impl Outcome {
    /// HTTP status of a single PUT with this outcome.
    pub fn status(self) -> u16 {
        match self {
            Outcome::Created => 201,
            Outcome::Updated | Outcome::Unchanged => 200,
        }
    }

    /// The bulk API's per-row message.
    pub fn message(self) -> &'static str {
        match self {
            Outcome::Created => "Entity created",
            Outcome::Updated => "Entity updated",
            Outcome::Unchanged => "Entity unchanged",
        }
    }
}

/// Which entities a lookup or listing sees (`include=` query parameter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Include {
    NonDeleted,
    Deleted,
    All,
}

impl Include {
    /// Parses `non-deleted`, `deleted` or `all`.
    pub fn parse(text: &str) -> Option<Include> {
        match text {
            "non-deleted" => Some(Include::NonDeleted),
            "deleted" => Some(Include::Deleted),
            "all" => Some(Include::All),
            _ => None,
        }
    }

    /// Whether `entity` is seen.
    pub fn admits(self, entity: &Value) -> bool {
        match self {
            Include::NonDeleted => !is_deleted(entity),
            Include::Deleted => is_deleted(entity),
            Include::All => true,
        }
    }
}

/// Every stored entity, by kind and FQN, with an id index.
pub(super) struct Store {
    /// `http://127.0.0.1:PORT/api/v1`, for `href`s.
    api_base: String,
    entities: [BTreeMap<String, Value>; 4],
    ids: HashMap<String, (Kind, String)>,
}

impl Store {
    /// An empty store whose `href`s start with `api_base`.
    pub fn new(api_base: String) -> Store {
        Store {
            api_base,
            entities: Default::default(),
            ids: HashMap::new(),
        }
    }

    /// The entity of `kind` with this FQN, deleted or not.
    pub fn get(&self, kind: Kind, fqn: &str) -> Option<&Value> {
        self.entities[kind.index()].get(fqn)
    }

    /// The entity of `kind` with this id, deleted or not.
    pub fn by_id(&self, kind: Kind, id: &str) -> Option<&Value> {
        match self.ids.get(id) {
            Some((k, fqn)) if *k == kind => self.get(kind, fqn),
            _ => None,
        }
    }

    /// Every entity of `kind`, sorted by FQN.
    pub fn all(&self, kind: Kind) -> impl Iterator<Item = &Value> {
        self.entities[kind.index()].values()
    }

    /// Stores `entity` (replacing the one with the same FQN).
    pub fn put(&mut self, kind: Kind, entity: Value) {
        let fqn = fqn_of(&entity).to_string();
        if let Some(id) = entity.get("id").and_then(Value::as_str) {
            self.ids.insert(id.to_string(), (kind, fqn.clone()));
        }
        self.entities[kind.index()].insert(fqn, entity);
    }

    /// Removes the entity of `kind` with this FQN (hard delete).
    pub fn remove(&mut self, kind: Kind, fqn: &str) -> Option<Value> {
        let entity = self.entities[kind.index()].remove(fqn)?;
        if let Some(id) = entity.get("id").and_then(Value::as_str) {
            self.ids.remove(id);
        }
        Some(entity)
    }

    /// Soft-deletes the entity of `kind` with this FQN: `deleted: true`, version bump.
    pub fn soft_delete(&mut self, kind: Kind, fqn: &str) -> Option<Value> {
        let mut entity = self.get(kind, fqn)?.clone();
        entity["deleted"] = Value::Bool(true);
        bump(&mut entity);
        self.put(kind, entity.clone());
        Some(entity)
    }

    /// The `href` of an entity of `kind` with this id.
    pub fn href(&self, kind: Kind, id: &str) -> String {
        format!("{}/{}/{id}", self.api_base, kind.collection())
    }

    /// Creates or updates an entity from a create request, as `PUT /{collection}` does:
    /// validates the request against the upstream schema, resolves the parent, merges
    /// the request over the stored entity and bumps the version when content changed.
    pub fn upsert(&mut self, kind: Kind, request: &Value) -> Result<(Outcome, Value), ApiError> {
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
            .ok_or_else(|| api_error(400, "name is required"))?;
        check_unresolvable_references(fields)?;

        let parent_field = kind.parent().map(|(_, field)| field);
        let parent = match kind.parent() {
            None => None,
            Some((parent_kind, field)) => {
                let parent_fqn = fields.get(field).and_then(Value::as_str).unwrap_or("");
                match self.get(parent_kind, parent_fqn) {
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
        let fqn = match &parent {
            Some(p) => format!("{}.{}", fqn_of(p), quote(name)),
            None => quote(name),
        };

        let existing = self.get(kind, &fqn).cloned();
        let mut entity = match &existing {
            Some(e) => e.clone(),
            None => json!({ "id": uuid_v4() }),
        };
        let id = entity
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let href = self.href(kind, &id);
        let Some(map) = entity.as_object_mut() else {
            return Err(api_error(500, "stored entity is not an object"));
        };
        map.insert("name".into(), json!(name));
        map.insert("fullyQualifiedName".into(), json!(fqn));
        let stored = existing.as_ref().and_then(Value::as_object);
        for (key, value) in fields {
            if value.is_null() || Some(key.as_str()) == parent_field {
                continue;
            }
            let value = match key.as_str() {
                "tags" => merge_tags(value, stored.and_then(|s| s.get("tags"))),
                "columns" => merge_columns(value, stored.and_then(|s| s.get("columns")), &fqn),
                _ => value.clone(),
            };
            map.insert(key.clone(), value);
        }
        if let Some(parent) = &parent {
            match kind {
                Kind::Service => {}
                Kind::Database => {
                    map.insert("service".into(), reference(parent, Kind::Service));
                }
                Kind::Schema => {
                    map.insert("service".into(), parent["service"].clone());
                    map.insert("database".into(), reference(parent, Kind::Database));
                }
                Kind::Table => {
                    map.insert("service".into(), parent["service"].clone());
                    map.insert("database".into(), parent["database"].clone());
                    map.insert("databaseSchema".into(), reference(parent, Kind::Schema));
                }
            }
            if let Some(service_type) = parent.get("serviceType") {
                map.insert("serviceType".into(), service_type.clone());
            }
        }
        map.entry("version").or_insert(json!(0.1));
        map.entry("updatedAt").or_insert(json!(now_ms()));
        map.insert("updatedBy".into(), json!("ingestion-bot"));
        map.insert("href".into(), json!(href));
        map.insert("deleted".into(), json!(false));

        let outcome = match &existing {
            None => Outcome::Created,
            Some(e) if *e == entity => Outcome::Unchanged,
            Some(_) => {
                bump(&mut entity);
                Outcome::Updated
            }
        };
        if outcome == Outcome::Unchanged {
            return Ok((outcome, entity));
        }
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
        self.put(kind, entity.clone());
        Ok((outcome, entity))
    }
}

/// Owners, domains and data products name entities this server does not hold (users,
/// teams, domains): OpenMetadata answers 404 for a reference it cannot resolve.
fn check_unresolvable_references(fields: &Map<String, Value>) -> Result<(), ApiError> {
    for field in ["owners", "domains", "dataProducts"] {
        let Some(first) = fields
            .get(field)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        else {
            continue;
        };
        let (kind, what) = match field {
            "owners" => (
                first.get("type").and_then(Value::as_str).unwrap_or("user"),
                first.get("id").map(text_of).unwrap_or_default(),
            ),
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

/// Quotes one FQN part as OpenMetadata's `quote_name` does.
pub(super) fn quote(name: &str) -> String {
    if name.contains('.') {
        format!("\"{name}\"")
    } else {
        name.to_string()
    }
}

/// The `fullyQualifiedName` of a stored entity.
pub(super) fn fqn_of(entity: &Value) -> &str {
    entity
        .get("fullyQualifiedName")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Whether a stored entity is soft-deleted.
pub(super) fn is_deleted(entity: &Value) -> bool {
    entity.get("deleted").and_then(Value::as_bool) == Some(true)
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

/// Adds 0.1 to `version` (rounded to one decimal) and stamps `updatedAt`.
pub(super) fn bump(entity: &mut Value) {
    let tenths = entity
        .get("version")
        .and_then(Value::as_f64)
        .map(|v| (v * 10.0).round() as u64)
        .unwrap_or(0);
    entity["version"] = json!((tenths + 1) as f64 / 10.0);
    entity["updatedAt"] = json!(now_ms());
}

/// Milliseconds since the Unix epoch.
pub(super) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A random (version 4) UUID.
pub(super) fn uuid_v4() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut bytes = [0u8; 16];
    for half in bytes.chunks_mut(8) {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_u64(now_ms());
        half.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A PUT merges the tags it sends with the stored ones (OpenMetadata's `mergeTags`):
/// the request's tags, then stored tags whose `tagFQN` the request does not name.
fn merge_tags(request: &Value, stored: Option<&Value>) -> Value {
    let mut tags = request.as_array().cloned().unwrap_or_default();
    for tag in stored.and_then(Value::as_array).into_iter().flatten() {
        let fqn = tag.get("tagFQN");
        if !tags.iter().any(|t| t.get("tagFQN") == fqn) {
            tags.push(tag.clone());
        }
    }
    Value::Array(tags)
}

/// The request's columns (the PUT defines which columns exist), keeping what other
/// calls stored on a column of the same name: its profile, custom metrics, PATCHed
/// tags and description when the request has none. Column FQNs are assigned.
fn merge_columns(request: &Value, stored: Option<&Value>, parent_fqn: &str) -> Value {
    let Some(columns) = request.as_array() else {
        return request.clone();
    };
    let stored = stored.and_then(Value::as_array);
    let merged = columns
        .iter()
        .map(|column| {
            let Some(fields) = column.as_object() else {
                return column.clone();
            };
            let name = fields.get("name").and_then(Value::as_str).unwrap_or("");
            let fqn = format!("{parent_fqn}.{}", quote(name));
            let old = stored
                .and_then(|s| {
                    s.iter()
                        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
                })
                .and_then(Value::as_object);
            let mut out = fields.clone();
            if let Some(old) = old {
                for key in ["description", "profile", "customMetrics"] {
                    let absent = out.get(key).is_none_or(Value::is_null);
                    if let (true, Some(v)) = (absent, old.get(key)) {
                        out.insert(key.to_string(), v.clone());
                    }
                }
                if let Some(old_tags) = old.get("tags") {
                    let tags = merge_tags(out.get("tags").unwrap_or(&Value::Null), Some(old_tags));
                    out.insert("tags".into(), tags);
                }
            }
            if let Some(children) = fields.get("children").filter(|c| !c.is_null()) {
                let children = merge_columns(children, old.and_then(|o| o.get("children")), &fqn);
                out.insert("children".into(), children);
            }
            out.insert("fullyQualifiedName".into(), json!(fqn));
            Value::Object(out)
        })
        .collect();
    Value::Array(merged)
}

/// Sets `fullyQualifiedName` on every column, recursively through `children`.
pub(super) fn assign_column_fqns(columns: &mut Value, parent_fqn: &str) {
    for column in columns.as_array_mut().into_iter().flatten() {
        let Some(fields) = column.as_object_mut() else {
            continue;
        };
        let name = fields.get("name").and_then(Value::as_str).unwrap_or("");
        let fqn = format!("{parent_fqn}.{}", quote(name));
        if let Some(children) = fields.get_mut("children") {
            assign_column_fqns(children, &fqn);
        }
        fields.insert("fullyQualifiedName".into(), json!(fqn));
    }
}

/// Every tag label on a table: its own and its columns', recursively.
pub(super) fn all_tags(table: &Value) -> Vec<&Value> {
    fn columns<'a>(cols: Option<&'a Value>, out: &mut Vec<&'a Value>) {
        for column in cols.and_then(Value::as_array).into_iter().flatten() {
            out.extend(
                column
                    .get("tags")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
            columns(column.get("children"), out);
        }
    }
    let mut out: Vec<&Value> = table
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    columns(table.get("columns"), &mut out);
    out
}
