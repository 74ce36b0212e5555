//! The entity store of the contract server: entities by kind and FQN, an id index, the
//! tag registry, soft deletion, lookups.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};

use super::tags::TagRegistry;

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
    /// The classifications and tags labels may name.
    pub tags: TagRegistry,
    /// By entity id: the entity as it was before its current version (what a
    /// consolidated PATCH is compared with).
    pub previous: HashMap<String, Value>,
    /// Test definitions, test cases, their suites and results.
    pub dq: super::dq::DqStore,
    /// Users and teams (owners).
    pub principals: super::principals::Principals,
    /// Lineage edges, usage, and the entities lineage points at.
    pub lineage: super::lineage::LineageStore,
}

impl Store {
    /// An empty store whose `href`s start with `api_base`.
    pub fn new(api_base: String) -> Store {
        Store {
            dq: super::dq::DqStore::new(&api_base),
            lineage: Default::default(),
            api_base,
            entities: Default::default(),
            ids: HashMap::new(),
            tags: TagRegistry::seeded(),
            previous: HashMap::new(),
            principals: Default::default(),
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

    /// Soft-deletes the entity of `kind` with this FQN: `deleted: true`, version bump,
    /// `updatedBy` the ingestion bot.
    pub fn soft_delete(&mut self, kind: Kind, fqn: &str) -> Option<Value> {
        let original = self.get(kind, fqn)?.clone();
        let mut entity = original.clone();
        if let Some(id) = original.get("id").and_then(Value::as_str) {
            self.previous.insert(id.to_string(), original.clone());
        }
        entity["deleted"] = Value::Bool(true);
        entity["updatedBy"] = json!(super::updater::BOT);
        bump(&mut entity);
        self.put(kind, entity.clone());
        Some(entity)
    }

    /// The `href` of an entity of `kind` with this id.
    pub fn href(&self, kind: Kind, id: &str) -> String {
        format!("{}/{}/{id}", self.api_base, kind.collection())
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
