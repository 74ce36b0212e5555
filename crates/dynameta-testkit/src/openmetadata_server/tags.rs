//! The tags the server knows, seeded like a fresh OpenMetadata, and the tag label rules
//! of `TagLabelUtil` / `EntityRepository.validateTags`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::names;
use super::state::{api_error, now_ms, uuid_v4, ApiError};

/// Classifications and tags, by FQN, with their `mutuallyExclusive` flag.
#[derive(Debug, Clone)]
pub(super) struct TagRegistry {
    classifications: BTreeMap<String, bool>,
    tags: BTreeMap<String, bool>,
    /// The Classification and Tag entities (`GET /classifications/name/..`,
    /// `/tags/name/..`), by FQN.
    pub classification_entities: BTreeMap<String, Value>,
    /// See `classification_entities`.
    pub tag_entities: BTreeMap<String, Value>,
    /// Tags a label may not name (`Tag.disabled`).
    disabled: BTreeSet<String>,
}

impl TagRegistry {
    /// The classifications a fresh OpenMetadata ships with (all mutually exclusive):
    /// `PII` (Sensitive, NonSensitive, None), `Tier` (Tier1..Tier5) and `PersonalData`
    /// (Personal, SpecialCategory).
    pub fn seeded() -> TagRegistry {
        let mut registry = TagRegistry {
            classifications: BTreeMap::new(),
            tags: BTreeMap::new(),
            classification_entities: BTreeMap::new(),
            tag_entities: BTreeMap::new(),
            disabled: BTreeSet::new(),
        };
        for fqn in [
            "PII.Sensitive",
            "PII.NonSensitive",
            "PII.None",
            "Tier.Tier1",
            "Tier.Tier2",
            "Tier.Tier3",
            "Tier.Tier4",
            "Tier.Tier5",
            "PersonalData.Personal",
            "PersonalData.SpecialCategory",
        ] {
            registry.add(fqn, true);
        }
        registry
    }

    /// Adds the tag `fqn` (e.g. `Custom.Thing`, or `Custom.Group.Thing` under the tag
    /// `Custom.Group`). Its parent (classification or tag; created when missing) gets
    /// `mutuallyExclusive = mutually_exclusive_parent`; missing higher ancestors are
    /// created not mutually exclusive.
    pub fn add(&mut self, fqn: &str, mutually_exclusive_parent: bool) {
        let parts = names::split(fqn).unwrap_or_else(|| vec![fqn.to_string()]);
        for depth in 1..parts.len() {
            let Some(ancestor) = names::build(&parts[..depth]) else {
                return;
            };
            let flag = depth + 1 == parts.len() && mutually_exclusive_parent;
            let map = if depth == 1 {
                &mut self.classifications
            } else {
                &mut self.tags
            };
            if depth + 1 == parts.len() {
                map.insert(ancestor.clone(), flag);
            } else {
                map.entry(ancestor.clone()).or_insert(false);
            }
            let flag = map.get(&ancestor).copied().unwrap_or(false);
            self.ensure_entity(depth == 1, &parts[..depth], &ancestor, flag);
        }
        self.tags.entry(fqn.to_string()).or_insert(false);
        self.ensure_entity(false, &parts, fqn, false);
    }

    /// Stores a Classification (`classification`) or Tag entity for `fqn` unless there
    /// is one; its `mutuallyExclusive` follows the registry.
    fn ensure_entity(
        &mut self,
        classification: bool,
        parts: &[String],
        fqn: &str,
        exclusive: bool,
    ) {
        let map = if classification {
            &mut self.classification_entities
        } else {
            &mut self.tag_entities
        };
        if let Some(e) = map.get_mut(fqn) {
            e["mutuallyExclusive"] = json!(exclusive);
            return;
        }
        let name = parts.last().cloned().unwrap_or_default();
        let mut entity = json!({
            "id": uuid_v4(),
            "name": name,
            "fullyQualifiedName": fqn,
            "description": format!("{fqn} (registered by the test)"),
            "provider": "user",
            "mutuallyExclusive": exclusive,
            "disabled": false,
            "deleted": false,
            "version": 0.1,
            "updatedAt": now_ms(),
            "updatedBy": "admin",
        });
        if !classification {
            let class = parts.first().cloned().unwrap_or_default();
            entity["classification"] = json!({"type": "classification", "name": class, "fullyQualifiedName": names::build(&parts[..1]).unwrap_or_default()});
        }
        map.insert(fqn.to_string(), entity);
    }

    /// Stores a classification created by `PUT /classifications` (request already
    /// checked): `Created` with the new entity, or the stored one, its empty description
    /// filled (a bot never replaces a description that is there).
    ///
    /// Upstream: openmetadata-service/.../jdbi3/ClassificationRepository.java,
    /// ClassificationUpdater.entitySpecificUpdate ("Mutually exclusive cannot be updated");
    /// EntityRepository.EntityUpdater.updateDescription.
    pub fn put_classification(&mut self, fqn: &str, request: &Value) -> (bool, Value) {
        if let Some(stored) = self.classification_entities.get_mut(fqn) {
            if stored["description"].as_str().is_none_or(str::is_empty) {
                stored["description"] = request["description"].clone();
            }
            return (false, stored.clone());
        }
        let exclusive = request["mutuallyExclusive"].as_bool().unwrap_or(false);
        self.classifications.insert(fqn.to_string(), exclusive);
        let entity = json!({
            "id": uuid_v4(),
            "name": request["name"],
            "fullyQualifiedName": fqn,
            "description": request["description"],
            "provider": request.get("provider").cloned().unwrap_or(json!("user")),
            "mutuallyExclusive": exclusive,
            "disabled": false,
            "deleted": false,
            "version": 0.1,
            "updatedAt": now_ms(),
            "updatedBy": super::updater::BOT,
        });
        self.classification_entities
            .insert(fqn.to_string(), entity.clone());
        (true, entity)
    }

    /// Stores a tag created by `PUT /tags` under the classification `class_fqn` (which
    /// exists: checked by the caller), as [`TagRegistry::put_classification`] does.
    pub fn put_tag(&mut self, class_fqn: &str, fqn: &str, request: &Value) -> (bool, Value) {
        if let Some(stored) = self.tag_entities.get_mut(fqn) {
            if stored["description"].as_str().is_none_or(str::is_empty) {
                stored["description"] = request["description"].clone();
            }
            return (false, stored.clone());
        }
        self.tags.insert(fqn.to_string(), false);
        let class = &self.classification_entities[class_fqn];
        let entity = json!({
            "id": uuid_v4(),
            "name": request["name"],
            "fullyQualifiedName": fqn,
            "description": request["description"],
            "classification": {
                "id": class["id"],
                "type": "classification",
                "name": class["name"],
                "fullyQualifiedName": class_fqn,
            },
            "provider": request.get("provider").cloned().unwrap_or(json!("user")),
            "mutuallyExclusive": false,
            "disabled": false,
            "deleted": false,
            "version": 0.1,
            "updatedAt": now_ms(),
            "updatedBy": super::updater::BOT,
        });
        self.tag_entities.insert(fqn.to_string(), entity.clone());
        (true, entity)
    }

    /// Disables the tag `fqn` (as a person can in the UI): labels may no longer name it.
    pub fn disable(&mut self, fqn: &str) {
        self.disabled.insert(fqn.to_string());
        if let Some(e) = self.tag_entities.get_mut(fqn) {
            e["disabled"] = json!(true);
        }
    }

    /// A label naming a disabled tag is refused.
    ///
    /// Upstream: openmetadata-service/.../resources/tags/TagLabelUtil.java,
    /// checkDisabledTags (called by EntityRepository.validateTags after
    /// checkMutuallyExclusive); CatalogExceptionMessage.disabledTag.
    fn check_disabled(&self, labels: &[Value]) -> Result<(), ApiError> {
        for label in labels {
            let fqn = tag_fqn(label);
            if label.get("source").and_then(Value::as_str) == Some("Classification")
                && self.disabled.contains(fqn)
            {
                return Err(api_error(
                    400,
                    format!("Tag label {fqn} is disabled and can't be assigned to a data asset."),
                ));
            }
        }
        Ok(())
    }

    /// Whether labels sharing this tag's parent exclude each other.
    ///
    /// Upstream: openmetadata-service/.../resources/tags/TagLabelUtil.java,
    /// mutuallyExclusive (a two-part FQN asks the Classification, a deeper one the parent
    /// Tag).
    fn mutually_exclusive(&self, tag_fqn: &str) -> bool {
        let Some(parts) = names::split(tag_fqn) else {
            return false;
        };
        let Some(parent) = parts
            .len()
            .checked_sub(1)
            .and_then(|n| names::build(&parts[..n]))
        else {
            return false;
        };
        if parts.len() == 2 {
            self.classifications.get(&parent).copied().unwrap_or(false)
        } else {
            self.tags.get(&parent).copied().unwrap_or(false)
        }
    }

    /// The tag or glossary term a label names must exist.
    ///
    /// Upstream: openmetadata-service/.../resources/tags/TagLabelUtil.java,
    /// applyTagCommonFields (`getTag` → 404 `tag instance for <fqn> not found`;
    /// `getGlossaryTerm` → 404 `glossaryTerm instance for <fqn> not found`; any other
    /// source → 400 `Invalid source type <source>`). This server holds no glossary, so
    /// every Glossary label is unknown. The copy of the tag's name/description onto the
    /// label is not reproduced.
    fn apply_common_fields(&self, label: &Value) -> Result<(), ApiError> {
        let fqn = tag_fqn(label);
        match label.get("source").and_then(Value::as_str) {
            Some("Classification") => {
                if self.tags.contains_key(fqn) {
                    Ok(())
                } else {
                    Err(api_error(404, format!("tag instance for {fqn} not found")))
                }
            }
            Some("Glossary") => Err(api_error(
                404,
                format!("glossaryTerm instance for {fqn} not found"),
            )),
            other => Err(api_error(
                400,
                format!("Invalid source type {}", other.unwrap_or("null")),
            )),
        }
    }

    /// Validates one tag list as `EntityRepository.validateTags(List<TagLabel>)` plus
    /// `addDerivedTags` and `checkMutuallyExclusive` do, and returns the list as stored:
    /// `Derived` labels dropped, duplicates (same tagFQN and source) merged, sorted by
    /// tagFQN.
    ///
    /// Upstream: openmetadata-service/.../jdbi3/EntityRepository.java, validateTags;
    /// openmetadata-service/.../resources/tags/TagLabelUtil.java, addDerivedTags and
    /// checkMutuallyExclusive, checkDisabledTags (tags disabled with
    /// `ContractServer::disable_tag`).
    pub fn validate_labels(&self, labels: Option<&Value>) -> Result<Option<Value>, ApiError> {
        let Some(list) = labels.and_then(Value::as_array) else {
            return Ok(labels.cloned());
        };
        for label in list {
            self.apply_common_fields(label)?;
        }
        if list.is_empty() {
            return Ok(Some(Value::Array(Vec::new())));
        }
        let mut out: Vec<Value> = Vec::new();
        for label in list {
            if label.get("labelType").and_then(Value::as_str) == Some("Derived") {
                continue;
            }
            if !out.iter().any(|t| same_label(t, label)) {
                out.push(label.clone());
            }
        }
        out.sort_by(|a, b| tag_fqn(a).cmp(tag_fqn(b)));
        self.check_mutually_exclusive(&out)?;
        self.check_disabled(&out)?;
        Ok(Some(Value::Array(out)))
    }

    /// Two labels whose tags share a mutually exclusive parent can't be assigned
    /// together; the list is checked in its order and the message names the later label
    /// first.
    ///
    /// Upstream: openmetadata-service/.../resources/tags/TagLabelUtil.java,
    /// checkMutuallyExclusive; CatalogExceptionMessage.mutuallyExclusiveLabels.
    pub fn check_mutually_exclusive(&self, labels: &[Value]) -> Result<(), ApiError> {
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for label in labels {
            let fqn = tag_fqn(label);
            let parent = names::split(fqn)
                .and_then(|p| p.len().checked_sub(1).and_then(|n| names::build(&p[..n])))
                .unwrap_or_default();
            if let Some(stored) = seen.insert(parent, fqn) {
                if self.mutually_exclusive(fqn) {
                    return Err(api_error(
                        400,
                        format!(
                            "Tag labels {fqn} and {stored} are mutually exclusive and can't be assigned together"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Validates (and normalizes, see [`TagRegistry::validate_labels`]) the tags of an
    /// entity and, for a table, of every column at any depth.
    ///
    /// Upstream: openmetadata-service/.../jdbi3/EntityRepository.java, validateTags(T);
    /// openmetadata-service/.../jdbi3/TableRepository.java, validateTags →
    /// validateColumnTags (recursing into children).
    pub fn validate_entity(&self, entity: &mut Value) -> Result<(), ApiError> {
        if let Some(tags) = self.validate_labels(entity.get("tags"))? {
            entity["tags"] = tags;
        }
        if let Some(columns) = entity.get_mut("columns") {
            self.validate_columns(columns)?;
        }
        Ok(())
    }

    fn validate_columns(&self, columns: &mut Value) -> Result<(), ApiError> {
        for column in columns.as_array_mut().into_iter().flatten() {
            if !column.is_object() {
                continue;
            }
            if let Some(tags) = self.validate_labels(column.get("tags"))? {
                column["tags"] = tags;
            }
            if let Some(children) = column.get_mut("children") {
                self.validate_columns(children)?;
            }
        }
        Ok(())
    }
}

/// A label's `tagFQN` ("" when missing).
pub(super) fn tag_fqn(label: &Value) -> &str {
    label.get("tagFQN").and_then(Value::as_str).unwrap_or("")
}

/// `EntityUtil.tagLabelMatch`: same tagFQN and source.
pub(super) fn same_label(a: &Value, b: &Value) -> bool {
    tag_fqn(a) == tag_fqn(b) && a.get("source") == b.get("source")
}

/// `EntityUtil.mergeTags(mergeTo, mergeFrom)`: `to`, then the labels of `from` it lacks.
pub(super) fn merge(to: &[Value], from: &[Value]) -> Vec<Value> {
    let mut out = to.to_vec();
    for label in from {
        if !out.iter().any(|t| same_label(t, label)) {
            out.push(label.clone());
        }
    }
    out
}
