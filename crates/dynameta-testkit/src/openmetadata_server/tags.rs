//! The tags the server knows, seeded like a fresh OpenMetadata, and the tag label rules
//! of `TagLabelUtil` / `EntityRepository.validateTags`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::names;
use super::state::{api_error, ApiError};

/// Classifications and tags, by FQN, with their `mutuallyExclusive` flag.
#[derive(Debug, Clone)]
pub(super) struct TagRegistry {
    classifications: BTreeMap<String, bool>,
    tags: BTreeMap<String, bool>,
}

impl TagRegistry {
    /// The classifications a fresh OpenMetadata ships with (all mutually exclusive):
    /// `PII` (Sensitive, NonSensitive, None), `Tier` (Tier1..Tier5) and `PersonalData`
    /// (Personal, SpecialCategory).
    pub fn seeded() -> TagRegistry {
        let mut registry = TagRegistry {
            classifications: BTreeMap::new(),
            tags: BTreeMap::new(),
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
                map.insert(ancestor, flag);
            } else {
                map.entry(ancestor).or_insert(false);
            }
        }
        self.tags.entry(fqn.to_string()).or_insert(false);
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
    /// checkMutuallyExclusive. (`checkDisabledTags` has nothing to refuse: no tag here is
    /// disabled.)
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
