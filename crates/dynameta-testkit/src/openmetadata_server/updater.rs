//! How an update (PUT on an existing entity, a bulk item, a PATCH) merges into the
//! stored entity, and which version it gets: a port of `EntityRepository.EntityUpdater`,
//! `ColumnEntityUpdater` and `TableRepository.TableUpdater`.
//!
//! The updated entity is what the request says (a PUT body, or the patched document),
//! with the guarded fields put back: the fields below are compared field by field
//! ("recorded"); when none changed, nothing is stored and the version stays.

use serde_json::{json, Value};

use super::rules::{self, list, present, text};
use super::sanitize;
use super::state::{api_error, now_ms, ApiError, Kind, Store};
use super::tags::{self, TagRegistry};
use crate::schema;

/// The user every API caller is: the server authenticates everyone as OpenMetadata's
/// ingestion bot (`isBot: true`).
pub(super) const BOT: &str = "ingestion-bot";

/// `EntityRepository.EntityUpdater`'s session timeout (`sessionTimeoutMillis`, 10 min).
const SESSION_TIMEOUT_MS: u64 = 10 * 60 * 1000;

/// Fields OpenMetadata keeps outside the entity document (time series, extensions,
/// relationships) that this server stores inline: an update carries them forward.
const SERVER_HELD: [&str; 9] = [
    "profile",
    "sampleData",
    "followers",
    "votes",
    "usageSummary",
    "joins",
    "testSuite",
    "customMetrics",
    "tableProfilerConfig",
];

/// Server-managed fields: never taken from a request.
const MANAGED: [&str; 5] = ["id", "href", "version", "updatedAt", "updatedBy"];

/// The operation an update comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Operation {
    Put,
    Patch,
}

/// Who updates, and how.
#[derive(Clone, Copy, Debug)]
pub(super) struct Options<'a> {
    pub operation: Operation,
    /// `updatedBy`.
    pub user: &'a str,
    /// `updatingUser.getIsBot()`.
    pub bot: bool,
    /// The bulk API's `overrideMetadata` query parameter.
    pub override_metadata: bool,
}

impl Options<'static> {
    /// A PUT (or bulk item) by the ingestion bot.
    pub fn bot_put(override_metadata: bool) -> Options<'static> {
        Options {
            operation: Operation::Put,
            user: BOT,
            bot: true,
            override_metadata,
        }
    }

    /// A PATCH by the ingestion bot.
    pub fn bot_patch() -> Options<'static> {
        Options {
            operation: Operation::Patch,
            user: BOT,
            bot: true,
            override_metadata: false,
        }
    }
}

/// What a create-or-update did (`RestUtil`'s `X-OpenMetadata-Change` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Change {
    Created,
    Updated,
    Unchanged,
    Restored,
}

impl Change {
    /// The `X-OpenMetadata-Change` header value.
    pub fn header(self) -> &'static str {
        match self {
            Change::Created => "entityCreated",
            Change::Updated => "entityUpdated",
            Change::Unchanged => "entityNoChange",
            Change::Restored => "entityRestored",
        }
    }

    /// The status of a single PUT: 201 on create, else 200.
    pub fn status(self) -> u16 {
        match self {
            Change::Created => 201,
            _ => 200,
        }
    }
}

/// A version as tenths (0.1 → 1).
pub(super) fn tenths(entity: &Value) -> u64 {
    entity
        .get("version")
        .and_then(Value::as_f64)
        .map(|v| (v * 10.0).round() as u64)
        .unwrap_or(1)
}

/// A version from tenths, as OpenMetadata's one-decimal double.
pub(super) fn version_value(tenths: u64) -> Value {
    json!(tenths as f64 / 10.0)
}

/// `null` and absent are the same (Java `null`).
fn differs(a: Option<&Value>, b: Option<&Value>) -> bool {
    a.filter(|v| !v.is_null()) != b.filter(|v| !v.is_null())
}

/// `nullOrEmpty` of a string or list field.
fn empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(_) => false,
    }
}

/// A list field, absent read as empty (`listOrEmpty`).
fn items(value: Option<&Value>) -> Vec<Value> {
    value.and_then(Value::as_array).cloned().unwrap_or_default()
}

/// Tag lists differ as sets of (tagFQN, source) (`recordListChange` with
/// `tagLabelMatch`).
fn tags_differ(a: Option<&Value>, b: Option<&Value>) -> bool {
    let (a, b) = (items(a), items(b));
    a.len() != b.len() || a.iter().any(|t| !b.iter().any(|u| tags::same_label(t, u)))
}

/// Java `String.equalsIgnoreCase`, per character.
fn equals_ignore_case(a: &str, b: &str) -> bool {
    a.chars().count() == b.chars().count()
        && a.chars().zip(b.chars()).all(|(x, y)| {
            x == y || x.to_uppercase().eq(y.to_uppercase()) || x.to_lowercase().eq(y.to_lowercase())
        })
}

/// `EntityUtil.columnMatch`: name equal ignoring case, same dataType and arrayDataType.
pub(super) fn column_match(a: &Value, b: &Value) -> bool {
    equals_ignore_case(text(a, "name").unwrap_or(""), text(b, "name").unwrap_or(""))
        && !differs(a.get("dataType"), b.get("dataType"))
        && !differs(a.get("arrayDataType"), b.get("arrayDataType"))
}

/// The table constraints as a sorted, comparable list (`compareTableConstraint`, columns
/// sorted), for `recordListChange` with `tableConstraintMatch`.
fn constraint_keys(table: &Value) -> Vec<String> {
    let mut keys: Vec<String> = list(table, "tableConstraints")
        .into_iter()
        .flatten()
        .map(|c| {
            let mut columns: Vec<String> = list(c, "columns")
                .into_iter()
                .flatten()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect();
            columns.sort();
            json!([
                present(c, "constraintType"),
                columns,
                present(c, "referredColumns")
            ])
            .to_string()
        })
        .collect();
    keys.sort();
    keys
}

struct Updater<'a> {
    options: Options<'a>,
    registry: &'a TagRegistry,
    changed: bool,
    major: bool,
}

impl Updater<'_> {
    fn put(&self) -> bool {
        self.options.operation == Operation::Put
    }

    fn record(&mut self, changed: bool) -> bool {
        self.changed |= changed;
        changed
    }

    /// Puts the original value of `key` back into `updated`.
    fn keep(original: &Value, updated: &mut Value, key: &str) {
        match original.get(key) {
            Some(v) => updated[key] = v.clone(),
            None => {
                if let Some(map) = updated.as_object_mut() {
                    map.shift_remove(key);
                }
            }
        }
    }

    /// Upstream: openmetadata-service/.../jdbi3/EntityRepository.java,
    /// EntityUpdater.updateDescription: a bot's PUT keeps a non-empty stored description
    /// (as stored, not sanitized again) unless `overrideMetadata` (which then records
    /// whatever the request says); otherwise the incoming description is sanitized
    /// (`DescriptionSanitizer.sanitize`) and the sanitized value compared and stored.
    fn description(&mut self, original: &Value, updated: &mut Value) -> Result<(), ApiError> {
        if self.put()
            && !empty(original.get("description"))
            && self.options.bot
            && !self.options.override_metadata
        {
            Self::keep(original, updated, "description");
            return Ok(());
        }
        if let Some(description) = updated.get("description").and_then(Value::as_str) {
            updated["description"] = json!(sanitize::sanitize(description)?);
        }
        self.record(differs(
            original.get("description"),
            updated.get("description"),
        ));
        Ok(())
    }

    /// Upstream: openmetadata-service/.../jdbi3/EntityRepository.java,
    /// EntityUpdater.updateDisplayName: a bot's PUT keeps a non-empty stored displayName
    /// (unless `overrideMetadata`).
    fn display_name(&mut self, original: &Value, updated: &mut Value) {
        if self.put()
            && !empty(original.get("displayName"))
            && self.options.bot
            && !self.options.override_metadata
        {
            Self::keep(original, updated, "displayName");
            return;
        }
        self.record(differs(
            original.get("displayName"),
            updated.get("displayName"),
        ));
    }

    /// Upstream: EntityUpdater.updateOwners: PATCH replaces; a PUT replaces only with a
    /// non-empty list (ownership can't be removed by PUT).
    fn owners(&mut self, original: &Value, updated: &mut Value) {
        if self.put() && empty(updated.get("owners")) {
            Self::keep(original, updated, "owners");
            return;
        }
        self.record(items(original.get("owners")) != items(updated.get("owners")));
    }

    /// Upstream: EntityUpdater.updateTags: a PUT merges the stored tags after the
    /// request's (`EntityUtil.mergeTags`) and checks the merged list for mutually
    /// exclusive labels; a PATCH replaces.
    fn tags(&mut self, original: &Value, updated: &mut Value) -> Result<(), ApiError> {
        self.tag_list(original, updated)
    }

    fn tag_list(&mut self, original: &Value, updated: &mut Value) -> Result<(), ApiError> {
        if self.put() {
            let merged = tags::merge(&items(updated.get("tags")), &items(original.get("tags")));
            self.registry.check_mutually_exclusive(&merged)?;
            if merged.is_empty() && updated.get("tags").is_none() {
                Self::keep(original, updated, "tags");
            } else {
                updated["tags"] = Value::Array(merged);
            }
        }
        self.record(tags_differ(original.get("tags"), updated.get("tags")));
        Ok(())
    }

    /// Upstream: EntityUpdater.updateExtension: a bot's PUT keeps a non-empty stored
    /// extension; a PUT without one keeps the stored one.
    fn extension(&mut self, original: &Value, updated: &mut Value) {
        let keep = self.put()
            && ((!empty(original.get("extension")) && self.options.bot)
                || empty(updated.get("extension")));
        if keep {
            Self::keep(original, updated, "extension");
            return;
        }
        self.record(differs(original.get("extension"), updated.get("extension")));
    }

    /// Fields a PUT without them leaves alone (domains, dataProducts, lifeCycle, style,
    /// certification: EntityUpdater.updateDomains / updateDataProducts /
    /// updateLifeCycle / updateStyle / updateCertification).
    fn kept_when_absent(&mut self, original: &Value, updated: &mut Value, key: &str) {
        let bot_guard =
            key == "domains" && self.options.bot && !empty(original.get(key)) && self.put();
        if self.put() && (empty(updated.get(key)) || bot_guard) {
            Self::keep(original, updated, key);
            return;
        }
        self.record(differs(original.get(key), updated.get(key)));
    }

    /// Upstream: TableRepository.TableUpdater.entitySpecificUpdate.
    fn table(
        &mut self,
        store: &Store,
        original: &Value,
        updated: &mut Value,
    ) -> Result<(), ApiError> {
        if let Some(columns) = updated.get_mut("columns").and_then(Value::as_array_mut) {
            rules::validate_columns(columns)?;
        }
        self.record(differs(original.get("tableType"), updated.get("tableType")));
        // updateTableConstraints
        rules::validate_table_constraints(store, updated)?;
        if !self.put() {
            rules::check_duplicate_table_constraints(original, updated)?;
        }
        self.record(constraint_keys(original) != constraint_keys(updated));
        let orig_columns = items(original.get("columns"));
        let mut columns = items(updated.get("columns"));
        self.columns(&orig_columns, &mut columns)?;
        carry_column_state(&orig_columns, &mut columns);
        updated["columns"] = Value::Array(columns);
        for key in [
            "sourceUrl",
            "retentionPeriod",
            "sourceHash",
            "locationPath",
            "processedLineage",
        ] {
            self.record(differs(original.get(key), updated.get(key)));
        }
        Ok(())
    }

    /// Upstream: openmetadata-service/.../jdbi3/EntityRepository.java,
    /// ColumnEntityUpdater.updateColumns. A column is identified by `columnMatch`; any
    /// deleted column (at any depth) is a major change; a deleted column whose name an
    /// added one reuses hands over its description when the added one has none.
    fn columns(&mut self, original: &[Value], updated: &mut [Value]) -> Result<(), ApiError> {
        let added: Vec<usize> = (0..updated.len())
            .filter(|&i| !original.iter().any(|o| column_match(o, &updated[i])))
            .collect();
        let deleted: Vec<&Value> = original
            .iter()
            .filter(|o| !updated.iter().any(|u| column_match(o, u)))
            .collect();
        self.record(!added.is_empty() || !deleted.is_empty());
        for gone in &deleted {
            let reused = added
                .iter()
                .find(|&&i| text(&updated[i], "name") == text(gone, "name"));
            if let Some(&i) = reused {
                if empty(updated[i].get("description")) {
                    Self::keep(gone, &mut updated[i], "description");
                }
            }
        }
        for column in updated.iter_mut() {
            let Some(stored) = original.iter().find(|o| column_match(o, column)) else {
                continue;
            };
            self.column_description(stored, column);
            self.column_display_name(stored, column);
            self.column_data_length(stored, column);
            self.column_precision_or_scale(stored, column, "precision");
            self.column_precision_or_scale(stored, column, "scale");
            self.tag_list(stored, column)?;
            self.record(differs(stored.get("constraint"), column.get("constraint")));
            if let (Some(orig_children), Some(children)) = (
                stored.get("children").and_then(Value::as_array),
                column.get_mut("children").and_then(Value::as_array_mut),
            ) {
                self.columns(orig_children, children)?;
            }
        }
        if !deleted.is_empty() {
            self.major = true;
        }
        Ok(())
    }

    /// Upstream: ColumnEntityUpdater.updateColumnDescription: a bot's PUT keeps a
    /// non-empty stored description; with `overrideMetadata` it may replace it but not
    /// blank it.
    fn column_description(&mut self, stored: &Value, column: &mut Value) {
        let incoming_empty = empty(column.get("description"));
        if self.put()
            && !empty(stored.get("description"))
            && self.options.bot
            && (!self.options.override_metadata || incoming_empty)
        {
            Self::keep(stored, column, "description");
            return;
        }
        self.record(differs(
            stored.get("description"),
            column.get("description"),
        ));
    }

    /// Upstream: ColumnEntityUpdater.updateColumnDisplayName, the same guard as the
    /// description. (In the 1.x copy read the guard tests the stored *description*; this
    /// port tests the stored displayName, as the research notes describe it.)
    fn column_display_name(&mut self, stored: &Value, column: &mut Value) {
        let incoming_empty = empty(column.get("displayName"));
        if self.put()
            && !empty(stored.get("displayName"))
            && self.options.bot
            && (!self.options.override_metadata || incoming_empty)
        {
            Self::keep(stored, column, "displayName");
            return;
        }
        self.record(differs(
            stored.get("displayName"),
            column.get("displayName"),
        ));
    }

    /// Upstream: ColumnEntityUpdater.updateColumnDataLength: a dataLength added or
    /// reduced is a major change. (Removing it unboxes `null` upstream; here it counts
    /// as a reduction.)
    fn column_data_length(&mut self, stored: &Value, column: &Value) {
        let old = stored.get("dataLength").and_then(Value::as_i64);
        let new = column.get("dataLength").and_then(Value::as_i64);
        if self.record(differs(stored.get("dataLength"), column.get("dataLength")))
            && (old.is_none() || new.is_none_or(|n| old.is_some_and(|o| n < o)))
        {
            self.major = true;
        }
    }

    /// Upstream: ColumnEntityUpdater.updateColumnPrecision / updateColumnScale: reduced
    /// or removed is a major change.
    fn column_precision_or_scale(&mut self, stored: &Value, column: &Value, key: &str) {
        let old = stored.get(key).and_then(Value::as_i64);
        let new = column.get(key).and_then(Value::as_i64);
        if self.record(differs(stored.get(key), column.get(key)))
            && old.is_some_and(|o| new.is_none_or(|n| n < o))
        {
            self.major = true;
        }
    }
}

/// Copies what other endpoints stored on a column (profile, custom metrics) to the
/// updated column of the same name (OpenMetadata keys them by column FQN).
fn carry_column_state(original: &[Value], updated: &mut [Value]) {
    for column in updated.iter_mut() {
        let Some(stored) = original
            .iter()
            .find(|o| text(o, "name").is_some() && text(o, "name") == text(column, "name"))
        else {
            continue;
        };
        for key in ["profile", "customMetrics"] {
            if column.get(key).is_none_or(Value::is_null) {
                if let Some(v) = stored.get(key) {
                    column[key] = v.clone();
                }
            }
        }
        if let (Some(orig_children), Some(children)) = (
            stored.get("children").and_then(Value::as_array),
            column.get_mut("children").and_then(Value::as_array_mut),
        ) {
            carry_column_state(orig_children, children);
        }
    }
}

/// Runs the updater over `updated` against `original`: puts guarded fields back, runs
/// the table checks, and answers (changed, major change, restored).
fn diff(
    store: &Store,
    kind: Kind,
    original: &Value,
    updated: &mut Value,
    options: Options<'_>,
) -> Result<(bool, bool, bool), ApiError> {
    for key in MANAGED {
        Updater::keep(original, updated, key);
    }
    for key in SERVER_HELD {
        if updated.get(key).is_none() {
            if let Some(v) = original.get(key) {
                updated[key] = v.clone();
            }
        }
    }
    let mut u = Updater {
        options,
        registry: &store.tags,
        changed: false,
        major: false,
    };
    u.description(original, updated)?;
    u.display_name(original, updated);
    u.owners(original, updated);
    u.tags(original, updated)?;
    u.extension(original, updated);
    for key in [
        "domains",
        "dataProducts",
        "lifeCycle",
        "style",
        "certification",
    ] {
        u.kept_when_absent(original, updated, key);
    }
    // updateDeleted: a PUT on a soft-deleted entity restores it.
    let restored = original.get("deleted").and_then(Value::as_bool) == Some(true);
    updated["deleted"] = json!(false);
    u.record(restored);
    match kind {
        Kind::Table => u.table(store, original, updated)?,
        _ => {
            for key in ["sourceUrl", "retentionPeriod", "sourceHash", "connection"] {
                u.record(differs(original.get(key), updated.get(key)));
            }
        }
    }
    Ok((u.changed, u.major, restored))
}

/// Merges `updated` (a create request turned entity, or a patched document, with its
/// FQN and column FQNs set) into `original`, stores the result when something changed,
/// and answers what happened.
///
/// Versions: +0.1, or +1.0 on a major change; unchanged when nothing recorded changed.
/// Session consolidation: a PATCH by the user who made the last change, within 10
/// minutes, on a version above 0.1, is folded into that change: the diff is taken
/// against the version before it, and the version is computed from that one.
///
/// Upstream: openmetadata-service/.../jdbi3/EntityRepository.java, update →
/// EntityUpdater.update (updateInternal, entitySpecificUpdate, updateVersion,
/// consolidateChanges, revert, storeUpdate).
pub(super) fn update(
    store: &mut Store,
    kind: Kind,
    original: &Value,
    mut updated: Value,
    options: Options<'_>,
) -> Result<(Change, Value), ApiError> {
    if !updated.is_object() {
        return Err(api_error(400, "the entity must be a JSON object"));
    }
    let (changed, major, restored) = diff(store, kind, original, &mut updated, options)?;
    if !changed {
        return Ok((Change::Unchanged, original.clone()));
    }
    rules::check_tag_usage_targets(&updated)?;
    let now = now_ms();
    let id = text(original, "id").unwrap_or_default().to_string();
    let previous = store.previous.get(&id).cloned();
    let consolidate = options.operation == Operation::Patch
        && tenths(original) > 1
        && !restored
        && text(original, "updatedBy") == Some(options.user)
        && original
            .get("updatedAt")
            .and_then(Value::as_u64)
            .is_some_and(|at| now.saturating_sub(at) <= SESSION_TIMEOUT_MS);
    let version = match previous.filter(|_| consolidate) {
        Some(base) => {
            let mut again = updated.clone();
            match diff(store, kind, &base, &mut again, options)? {
                (false, _, _) => tenths(&base),
                (true, true, _) => tenths(&base) + 10,
                (true, false, _) => tenths(&base) + 1,
            }
        }
        None => {
            store.previous.insert(id, original.clone());
            if major {
                tenths(original) + 10
            } else {
                tenths(original) + 1
            }
        }
    };
    updated["version"] = version_value(version);
    updated["updatedAt"] = json!(now);
    updated["updatedBy"] = json!(options.user);
    if kind == Kind::Table {
        if let Err(errors) = schema::validate("table.json", &updated) {
            return Err(api_error(
                400,
                format!(
                    "The updated table is invalid: {}",
                    super::state::describe(&errors)
                ),
            ));
        }
    }
    store.put(kind, updated.clone());
    let change = if restored {
        Change::Restored
    } else {
        Change::Updated
    };
    Ok((change, updated))
}
