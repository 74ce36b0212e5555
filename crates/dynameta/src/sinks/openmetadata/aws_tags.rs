//! AWS tags and owners on OpenMetadata (ingest): the classification and tag of each
//! AWS tag are created before the table is upserted (`PUT /v1/classifications`,
//! `PUT /v1/tags`, as OpenMetadata's own connectors do); after the upsert one JSON
//! Patch per table sets its labels and owner.
//!
//! The table's labels are not sent with the upsert: a PUT merges the labels it carries
//! with the stored ones (`EntityUpdater.updateTags`), so it could never remove a label of
//! an AWS tag that is gone, and one label the server refuses (a mutually exclusive
//! classification a person made) would refuse the whole table. The patch keeps every
//! label a person added (any `Manual` label, and any label of a classification dynameta
//! did not create), removes the `Automated` labels of dynameta's classifications that
//! AWS no longer has, and adds the new ones; an owner already on the table stays unless
//! `overrideMetadata` is set (OpenMetadata's `includeOwners`: "the owner will not be
//! overwritten").

use std::collections::{BTreeMap, HashMap, HashSet};

use reqwest::Method;
use serde_json::{json, Value};

use super::{RestError, RestSink, JSON};
use crate::config::Tagging;
use crate::openmetadata::{fqn, TagLabel};
use crate::processors::aws_tags::{
    classification_description, owner_candidates, tag_description, OwnerCandidate, MANAGED_MARKER,
};
use crate::source::TableDescription;

const JSON_PATCH: &str = "application/json-patch+json";
/// Reads + patches of one table before giving up on a table that keeps changing.
const PATCH_ROUNDS: u32 = 3;

/// What OpenMetadata says about a classification.
#[derive(Debug, Clone, Copy)]
struct ClassInfo {
    /// Created by dynameta (its description holds [`MANAGED_MARKER`]).
    managed: bool,
    /// Its tags exclude each other on one entity.
    mutually_exclusive: bool,
}

/// What to set on one table once it is upserted.
#[derive(Debug, Default)]
struct Wanted {
    /// The AWS tag labels; `None` when the tags were not read (nothing is removed then).
    labels: Option<Vec<TagLabel>>,
    /// Owner candidates, best first.
    owners: Vec<OwnerCandidate>,
}

/// Counts for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsTagCounts {
    /// Table labels of AWS tags added.
    pub added: u64,
    /// Labels of AWS tags removed (the AWS tag is gone).
    pub removed: u64,
    /// Owners set on tables.
    pub owners_set: u64,
}

/// The AWS tag and owner state of a run.
#[derive(Debug, Default)]
pub struct AwsTagState {
    /// Set when the run is an ingest: tags and owners are published.
    pub tagging: Option<Tagging>,
    classifications: HashMap<String, Option<ClassInfo>>,
    /// Tag FQNs known to exist (created or found this run).
    tags: HashSet<String>,
    /// Tag FQNs that could not be created (their labels are left out).
    broken: HashSet<String>,
    /// By table FQN.
    wanted: BTreeMap<String, Wanted>,
    /// Owner name → its reference (`None`: nobody by that name).
    owners: HashMap<String, Option<Value>>,
    /// What was done.
    pub counts: AwsTagCounts,
}

impl RestSink {
    /// Before a table is queued: takes its AWS tag labels off the create request
    /// (they are patched after the upsert) and creates their classifications and tags.
    pub(super) async fn take_aws_tags(&mut self, table: &mut crate::openmetadata::CreateTable) {
        if self.aws.tagging.is_none() {
            return;
        }
        let Some(labels) = table.tags.take() else {
            return;
        };
        let table_fqn = format!("{}.{}", table.database_schema, fqn::quote(&table.name));
        let mut kept = Vec::new();
        for label in labels {
            let tag_fqn = label.tag_fqn.clone();
            if self.ensure_tag(&tag_fqn).await {
                kept.push(label);
            } else {
                self.warnings.push(format!(
                    "{table_fqn}: AWS tag {tag_fqn} not applied: its OpenMetadata tag could not be created (see the warning above)"
                ));
            }
        }
        self.aws.wanted.entry(table_fqn).or_default().labels = Some(kept);
    }

    /// Takes a table's owner candidates (from `ownerConfig` and the owner tag).
    pub(super) fn note_owner(&mut self, table_fqn: &str, table: &TableDescription) {
        let Some(tagging) = &self.aws.tagging else {
            return;
        };
        let candidates = owner_candidates(table_fqn, table.tags.as_ref(), tagging);
        if !candidates.is_empty() {
            self.aws
                .wanted
                .entry(table_fqn.to_string())
                .or_default()
                .owners = candidates;
        }
    }

    /// Finds (or creates) the classification and tag of `tag_fqn`; false when either
    /// could not be, or the tag is disabled (a warning says why). One that exists is only
    /// read: a PUT would be an update of what a person may have set up.
    async fn ensure_tag(&mut self, tag_fqn: &str) -> bool {
        if self.aws.tags.contains(tag_fqn) {
            return true;
        }
        if self.aws.broken.contains(tag_fqn) {
            return false;
        }
        let [key, value] = <[String; 2]>::try_from(fqn::split(tag_fqn)).unwrap_or_default();
        let ok = self.ensure_classification(&key).await
            && self.ensure_tag_of(&key, &value, tag_fqn).await;
        if ok {
            self.aws.tags.insert(tag_fqn.to_string());
        } else {
            self.aws.broken.insert(tag_fqn.to_string());
        }
        ok
    }

    async fn ensure_tag_of(&mut self, key: &str, value: &str, tag_fqn: &str) -> bool {
        let path = format!("/v1/tags/name/{}", fqn::url_encode(tag_fqn));
        match self.client.send(Method::GET, &path, &[], None, JSON).await {
            Ok(answer) if answer.body["disabled"] == true => {
                self.warnings.push(format!(
                    "AWS tag {key} = {value}: the OpenMetadata tag {tag_fqn} is disabled; no table gets it"
                ));
                return false;
            }
            Ok(_) => return true,
            Err(e) if e.status() == Some(404) => {}
            Err(e) => {
                self.warnings.push(format!(
                    "AWS tag {key} = {value}: the OpenMetadata tag {tag_fqn} could not be read: {e}"
                ));
                return false;
            }
        }
        let body = json!({
            "classification": fqn::quote(key),
            "name": value,
            "description": tag_description(key, value),
        });
        match self
            .client
            .send(Method::PUT, "/v1/tags", &[], Some(&body), JSON)
            .await
        {
            Ok(_) => true,
            Err(e) => {
                self.warnings.push(format!(
                    "AWS tag {key} = {value}: OpenMetadata did not create the tag {tag_fqn}: {e}"
                ));
                false
            }
        }
    }

    /// Finds (or creates) the classification of the AWS tag key `key`.
    async fn ensure_classification(&mut self, key: &str) -> bool {
        if self.classification(key).await.is_some() {
            return true;
        }
        let body = json!({
            "name": key,
            "description": classification_description(key),
            "mutuallyExclusive": false,
        });
        let info = match self
            .client
            .send(Method::PUT, "/v1/classifications", &[], Some(&body), JSON)
            .await
        {
            Ok(answer) => Some(class_info(&answer.body)),
            Err(e) => {
                self.warnings.push(format!(
                    "AWS tag key {key}: OpenMetadata did not create the classification {}: {e}",
                    fqn::quote(key)
                ));
                None
            }
        };
        self.aws.classifications.insert(key.to_string(), info);
        info.is_some()
    }

    /// What OpenMetadata says about the classification `name` (read once per run).
    async fn classification(&mut self, name: &str) -> Option<ClassInfo> {
        if let Some(known) = self.aws.classifications.get(name) {
            return *known;
        }
        let path = format!(
            "/v1/classifications/name/{}",
            fqn::url_encode(&fqn::quote(name))
        );
        let info = match self.client.send(Method::GET, &path, &[], None, JSON).await {
            Ok(answer) => Some(class_info(&answer.body)),
            Err(e) => {
                if e.status() != Some(404) {
                    self.warnings.push(format!(
                        "classification {name}: could not be read ({e}); its labels are left as they are"
                    ));
                }
                None
            }
        };
        self.aws.classifications.insert(name.to_string(), info);
        info
    }

    /// After the last upsert: patches the labels and owner of every published table.
    pub(super) async fn apply_aws_tags(&mut self) {
        let wanted = std::mem::take(&mut self.aws.wanted);
        let failed: HashSet<String> = self.failures.iter().map(|f| f.table.clone()).collect();
        for (table_fqn, want) in wanted {
            let name = fqn::split(&table_fqn).pop().unwrap_or_default();
            if failed.contains(&name) {
                continue;
            }
            self.decorate(&table_fqn, &want).await;
        }
    }

    /// One table: reads it, computes the patch, sends it (again after a `test` failure).
    async fn decorate(&mut self, table_fqn: &str, want: &Wanted) {
        let owner = if want.owners.is_empty() {
            None
        } else {
            self.resolve_owner(table_fqn, &want.owners).await
        };
        for round in 1..=PATCH_ROUNDS {
            let path = format!("/v1/tables/name/{}", fqn::url_encode(table_fqn));
            let table = match self
                .client
                .send(Method::GET, &path, &[("fields", "tags,owners")], None, JSON)
                .await
            {
                Ok(answer) => answer.body,
                Err(e) => {
                    self.warnings.push(format!(
                        "{table_fqn}: AWS tags and owner not applied: the table could not be read back ({e})"
                    ));
                    return;
                }
            };
            let mut ops = Vec::new();
            let mut counts = AwsTagCounts::default();
            if let Some(labels) = &want.labels {
                if let Some((list, added, removed)) =
                    self.label_plan(table_fqn, &table, labels).await
                {
                    let op = if table.get("tags").is_some_and(|t| !t.is_null()) {
                        "replace"
                    } else {
                        "add"
                    };
                    ops.push(json!({"op": op, "path": "/tags", "value": list}));
                    counts.added += added;
                    counts.removed += removed;
                }
            }
            if let Some(owners) = &owner {
                let ids = |list: &[Value]| -> HashSet<String> {
                    list.iter()
                        .filter_map(|o| o["id"].as_str().map(str::to_string))
                        .collect()
                };
                let stored: Vec<Value> = table["owners"].as_array().cloned().unwrap_or_default();
                let same = ids(&stored) == ids(owners);
                if stored.is_empty() || (self.override_metadata && !same) {
                    let op = if table.get("owners").is_some_and(|o| !o.is_null()) {
                        "replace"
                    } else {
                        "add"
                    };
                    ops.push(json!({"op": op, "path": "/owners", "value": owners}));
                    counts.owners_set += 1;
                }
            }
            if ops.is_empty() {
                return;
            }
            if let Some(version) = table.get("version").filter(|v| !v.is_null()) {
                ops.insert(
                    0,
                    json!({"op": "test", "path": "/version", "value": version}),
                );
            }
            let id = table["id"].as_str().unwrap_or_default();
            let body = Value::Array(ops);
            match self
                .client
                .send_attempts(
                    Method::PATCH,
                    &format!("/v1/tables/{id}"),
                    &[],
                    Some(&body),
                    JSON_PATCH,
                    1,
                )
                .await
            {
                Ok(_) => {
                    self.aws.counts.added += counts.added;
                    self.aws.counts.removed += counts.removed;
                    self.aws.counts.owners_set += counts.owners_set;
                    return;
                }
                Err(e) if round < PATCH_ROUNDS && retry_worth(&e) => {
                    tracing::debug!(table = %table_fqn, round, problem = %e, "tags/owner patch failed; re-reading the table");
                    tokio::time::sleep(self.client.backoff(round)).await;
                }
                Err(e) => {
                    self.warnings.push(format!(
                        "{table_fqn}: AWS tags and owner not applied: OpenMetadata refused the change ({e})"
                    ));
                    return;
                }
            }
        }
    }

    /// The table's new tag list, and how many labels it adds and removes; `None` when
    /// nothing changes.
    async fn label_plan(
        &mut self,
        table_fqn: &str,
        table: &Value,
        wanted: &[TagLabel],
    ) -> Option<(Vec<Value>, u64, u64)> {
        // The server's labels stay as it sent them (they go back in the patch verbatim,
        // with fields dynameta does not set); ours are typed.
        let stored: Vec<Value> = table["tags"].as_array().cloned().unwrap_or_default();
        let wanted_fqns: HashSet<&str> = wanted.iter().map(|l| l.tag_fqn.as_str()).collect();
        let mut kept = Vec::new();
        let mut removed = 0;
        for label in &stored {
            let tag_fqn = label["tagFQN"].as_str().unwrap_or_default();
            let ours = label["labelType"] == "Automated"
                && label["source"] == "Classification"
                && !wanted_fqns.contains(tag_fqn)
                && match fqn::split(tag_fqn).first() {
                    Some(class) => self.classification(class).await.is_some_and(|c| c.managed),
                    None => false,
                };
            if ours {
                removed += 1;
            } else {
                kept.push(label.clone());
            }
        }
        let mut added = 0;
        for label in wanted {
            let tag_fqn = label.tag_fqn.as_str();
            if kept
                .iter()
                .any(|l| l["tagFQN"] == tag_fqn && l["source"] == "Classification")
            {
                continue;
            }
            let class = fqn::split(tag_fqn).first().cloned().unwrap_or_default();
            let exclusive = self
                .classification(&class)
                .await
                .is_some_and(|c| c.mutually_exclusive);
            if exclusive {
                let taken = kept.iter().find(|l| {
                    l["tagFQN"]
                        .as_str()
                        .is_some_and(|f| fqn::split(f).first() == Some(&class))
                });
                if let Some(other) = taken {
                    self.warnings.push(format!(
                        "{table_fqn}: AWS tag {tag_fqn} not applied: the classification {} is mutually exclusive and the table already has {} (left as it is)",
                        fqn::quote(&class),
                        other["tagFQN"].as_str().unwrap_or_default()
                    ));
                    continue;
                }
            }
            match serde_json::to_value(label) {
                Ok(label) => kept.push(label),
                Err(e) => {
                    self.warnings.push(format!(
                        "{table_fqn}: AWS tag {tag_fqn} not applied: its label could not be written as JSON ({e})"
                    ));
                    continue;
                }
            }
            added += 1;
        }
        (added > 0 || removed > 0).then_some((kept, added, removed))
    }

    /// The owners of the first candidate that names somebody OpenMetadata knows, as
    /// owner references; a warning names each name that did not resolve.
    ///
    /// OpenMetadata's owner rules, as `OwnerResolver._validate_owners`: several users,
    /// or one team (the first, said), never users and a team together (the candidate
    /// is then skipped, said).
    async fn resolve_owner(
        &mut self,
        table_fqn: &str,
        candidates: &[OwnerCandidate],
    ) -> Option<Vec<Value>> {
        for candidate in candidates {
            let mut users = Vec::new();
            let mut teams = Vec::new();
            for name in &candidate.names {
                match self.owner_ref(name).await {
                    Some(r) if r["type"] == "team" => teams.push(r),
                    Some(r) => users.push(r),
                    None => self.warnings.push(format!(
                        "{table_fqn}: owner from {} = {name}: no user (by name or e-mail) or team of type Group with that name in OpenMetadata; not set from it",
                        candidate.from
                    )),
                }
            }
            match (users.is_empty(), teams.len()) {
                (true, 0) => continue,
                (false, 0) => return Some(users),
                (true, 1) => return Some(teams),
                (true, n) => {
                    self.warnings.push(format!(
                        "{table_fqn}: owner from {} names {n} teams; OpenMetadata allows one team as owner: the first, {}, is set",
                        candidate.from,
                        teams[0]["name"].as_str().unwrap_or_default()
                    ));
                    teams.truncate(1);
                    return Some(teams);
                }
                (false, _) => self.warnings.push(format!(
                    "{table_fqn}: owner from {} names users and a team, which OpenMetadata does not allow together; not set from it",
                    candidate.from
                )),
            }
        }
        None
    }

    /// The owner reference of `name`, as `OwnerResolver._find_single_owner`: a team of
    /// type Group by name, else a user by name, else (for an e-mail) a user by e-mail
    /// through the search API (`get_reference_by_email`). Cached per run.
    async fn owner_ref(&mut self, name: &str) -> Option<Value> {
        if let Some(known) = self.aws.owners.get(name) {
            return known.clone();
        }
        let found = self.find_owner(name).await;
        self.aws.owners.insert(name.to_string(), found.clone());
        found
    }

    async fn find_owner(&mut self, name: &str) -> Option<Value> {
        let by_name = |collection: &str| {
            format!(
                "/v1/{collection}/name/{}",
                fqn::url_encode(&fqn::quote(name))
            )
        };
        match self.get_optional(&by_name("teams")).await {
            Some(team) if team["teamType"] == "Group" => return Some(reference(&team, "team")),
            // `get_reference_by_name(is_owner=True)`: a team of another type owns nothing.
            Some(_) => return None,
            None => {}
        }
        if let Some(user) = self.get_optional(&by_name("users")).await {
            return Some(reference(&user, "user"));
        }
        if !name.contains('@') {
            return None;
        }
        let query = format!("email.keyword:{name}");
        let answer = self
            .client
            .send(
                Method::GET,
                "/v1/search/query",
                &[
                    ("q", query.as_str()),
                    ("from", "0"),
                    ("size", "1"),
                    ("index", "user_search_index"),
                ],
                None,
                JSON,
            )
            .await;
        let hit = match answer {
            Ok(a) => a.body["hits"]["hits"][0]["_source"]["fullyQualifiedName"]
                .as_str()
                .map(str::to_string),
            Err(e) => {
                self.warnings.push(format!(
                    "owner {name}: OpenMetadata's search did not answer ({e})"
                ));
                None
            }
        }?;
        let path = format!("/v1/users/name/{}", fqn::url_encode(&hit));
        self.get_optional(&path)
            .await
            .map(|user| reference(&user, "user"))
    }

    /// GET `path`: the entity, or `None` on 404 (another error is a warning).
    async fn get_optional(&mut self, path: &str) -> Option<Value> {
        match self.client.send(Method::GET, path, &[], None, JSON).await {
            Ok(answer) => Some(answer.body),
            Err(e) if e.status() == Some(404) => None,
            Err(e) => {
                self.warnings.push(format!("{path}: {e}"));
                None
            }
        }
    }
}

fn class_info(body: &Value) -> ClassInfo {
    ClassInfo {
        managed: body["description"]
            .as_str()
            .is_some_and(|d| d.contains(MANAGED_MARKER)),
        mutually_exclusive: body["mutuallyExclusive"].as_bool().unwrap_or(false),
    }
}

/// An owner `EntityReference` (id and type are what OpenMetadata needs).
fn reference(entity: &Value, kind: &str) -> Value {
    json!({
        "id": entity["id"],
        "type": kind,
        "name": entity["name"],
        "fullyQualifiedName": entity["fullyQualifiedName"],
    })
}

/// A PATCH refused by its `test` (the table changed since it was read), or a transient
/// failure: worth reading the table again.
fn retry_worth(e: &RestError) -> bool {
    match e {
        RestError::Status {
            status: 400 | 409 | 412,
            message,
            ..
        } => message.contains("'test' failed") || message.contains("test operation"),
        RestError::Exhausted { .. } => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_classifications_are_recognised_by_their_description() {
        let ours = class_info(&json!({"description": classification_description("team")}));
        assert!(ours.managed && !ours.mutually_exclusive);
        let theirs = class_info(&json!({"description": "Tiers", "mutuallyExclusive": true}));
        assert!(!theirs.managed && theirs.mutually_exclusive);
    }
}
