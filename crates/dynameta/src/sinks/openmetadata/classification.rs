//! Classification results on OpenMetadata: PII tags patched onto columns, and sample
//! data. Tags are added, never removed: a PII tag a person set is left alone, a tag
//! already there is not added twice, and only a `Generated` PII tag (an earlier
//! automatic suggestion) is replaced when the new decision differs.

use reqwest::Method;
use serde_json::{json, Value};

use super::{RestError, RestSink, TableFailure, JSON};
use crate::openmetadata::{fqn, TableData};
use crate::processors::classifier::{ColumnTag, PII_CLASSIFICATION};

const JSON_PATCH: &str = "application/json-patch+json";
/// Reads + patches of one table before giving up on a conflicting or failing server.
const PATCH_ROUNDS: u32 = 4;

/// Length of OpenMetadata's `tag_usage.targetFQNHash` column: a tag is stored under a
/// hash of its target's FQN, and a longer hash fails the write in the database.
/// (OpenMetadata's SQL schema: `targetFQNHash VARCHAR(768)`, MySQL and Postgres.)
pub const TARGET_FQN_HASH_MAX: usize = 768;

/// Length of OpenMetadata's hash of an FQN (`FullyQualifiedName.buildHash`): an MD5 of
/// 32 hex characters per part, joined with `.`; it depends only on the number of parts.
pub fn fqn_hash_len(fqn_text: &str) -> usize {
    33 * fqn::split(fqn_text).len().max(1) - 1
}

/// What [`tag_patch`] decided for one table.
#[derive(Debug, Default, PartialEq)]
pub struct TagPlan {
    /// JSON Patch operations.
    pub ops: Vec<Value>,
    /// Tags added or replaced.
    pub added: u64,
    /// Tags left as they were.
    pub kept: u64,
    /// Columns of ours the table in OpenMetadata does not have.
    pub missing: Vec<String>,
    /// Columns OpenMetadata cannot store a tag on (FQN, length of its FQN hash).
    pub unstorable: Vec<(String, usize)>,
}

/// The JSON Patch that applies `tags` to `table` (a table entity with its columns).
///
/// The patch starts with a `test` of the table's `version` as read: a table changed
/// since (by a person, or by this very PATCH applied once already, e.g. one the server
/// applied after the client timed out and retried) refuses it instead of applying it
/// twice or over someone's change, and the caller reads the table again. For each
/// column that gets a tag: a `test` of its name and of each ancestor's (the column is
/// addressed by index: a reordered column list cannot get the tag on the wrong column),
/// then its whole new tag list. A column whose FQN hash OpenMetadata cannot store is
/// left out and listed in [`TagPlan::unstorable`].
pub fn tag_patch(table: &Value, tags: &[ColumnTag]) -> TagPlan {
    let table_fqn = table
        .get("fullyQualifiedName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut columns = Vec::new();
    index_columns(
        table.get("columns"),
        "/columns",
        &fqn::split(table_fqn),
        &mut Vec::new(),
        &mut Vec::new(),
        &mut columns,
    );
    let mut plan = TagPlan::default();
    for wanted in tags {
        let Some(found) = columns
            .iter()
            .find(|c| c.fqn().as_deref() == Some(wanted.column.as_str()))
        else {
            plan.missing.push(wanted.column.clone());
            continue;
        };
        let column_fqn = found.fqn().unwrap_or_default();
        let hash_len = fqn_hash_len(&column_fqn);
        if hash_len > TARGET_FQN_HASH_MAX {
            plan.unstorable.push((column_fqn, hash_len));
            continue;
        }
        let stored = found.column.get("tags").filter(|t| !t.is_null());
        let mut list: Vec<Value> = stored
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut changed = false;
        for tag in &wanted.tags {
            // The stored labels stay the server's JSON (they go back in the patch as they
            // were read); ours are typed, written as JSON where they join them.
            let tag_fqn = tag.tag_fqn.as_str();
            let label = match serde_json::to_value(tag) {
                Ok(label) => label,
                // Not reached (strings, numbers and enums always serialise); said if it is.
                Err(e) => {
                    tracing::warn!(column = %wanted.column, tag = %tag_fqn, problem = %e, "tag label not applied: it could not be written as JSON");
                    continue;
                }
            };
            if list
                .iter()
                .any(|t| t.get("tagFQN").and_then(Value::as_str) == Some(tag_fqn))
            {
                plan.kept += 1;
                continue;
            }
            let same_classification = list.iter().position(|t| {
                t.get("tagFQN")
                    .and_then(Value::as_str)
                    .and_then(|f| f.split('.').next())
                    == Some(PII_CLASSIFICATION)
            });
            match same_classification {
                Some(i)
                    if list[i].get("labelType").and_then(Value::as_str) == Some("Generated") =>
                {
                    list[i] = label;
                    plan.added += 1;
                    changed = true;
                }
                // A person chose this column's PII tag: theirs stands.
                Some(_) => plan.kept += 1,
                None => {
                    list.push(label);
                    plan.added += 1;
                    changed = true;
                }
            }
        }
        if !changed {
            continue;
        }
        for (pointer, name) in &found.path {
            plan.ops
                .push(json!({"op": "test", "path": format!("{pointer}/name"), "value": name}));
        }
        let pointer = &found.pointer;
        // `add` on an existing member replaces it: the whole list either way.
        let op = if stored.is_some() { "replace" } else { "add" };
        plan.ops
            .push(json!({"op": op, "path": format!("{pointer}/tags"), "value": list}));
    }
    if !plan.ops.is_empty() {
        if let Some(version) = table.get("version").filter(|v| !v.is_null()) {
            plan.ops.insert(
                0,
                json!({"op": "test", "path": "/version", "value": version}),
            );
        }
    }
    plan
}

/// The tags without `metadata` (added to `TagLabel` in OpenMetadata 2.0) and without
/// `reason` (not sure to exist on every 1.x server: a label it rejects is worth less than
/// a label without its explanation).
fn without_metadata(tags: &[ColumnTag]) -> Vec<ColumnTag> {
    let mut out = tags.to_vec();
    for column in &mut out {
        for tag in &mut column.tags {
            tag.metadata = None;
            tag.reason = None;
        }
    }
    out
}

/// One column of the table as read, with where it is.
struct Indexed {
    /// JSON pointer, e.g. `/columns/2/children/1`.
    pointer: String,
    /// (pointer, name) of the column and each ancestor, outermost first.
    path: Vec<(String, String)>,
    /// The column as read.
    column: Value,
    /// Table FQN parts followed by the column names down to this one.
    names: Vec<String>,
}

impl Indexed {
    /// The column's FQN as the server gave it (or built from the names when it did not).
    fn fqn(&self) -> Option<String> {
        match self
            .column
            .get("fullyQualifiedName")
            .and_then(Value::as_str)
        {
            Some(f) => Some(f.to_string()),
            None => {
                let parts: Vec<&str> = self.names.iter().map(String::as_str).collect();
                Some(fqn::build(&parts))
            }
        }
    }
}

fn index_columns(
    columns: Option<&Value>,
    prefix: &str,
    base: &[String],
    names: &mut Vec<String>,
    path: &mut Vec<(String, String)>,
    out: &mut Vec<Indexed>,
) {
    for (i, column) in columns
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let pointer = format!("{prefix}/{i}");
        let name = column
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        names.push(name.clone());
        path.push((pointer.clone(), name));
        out.push(Indexed {
            pointer: pointer.clone(),
            path: path.clone(),
            column: column.clone(),
            names: base.iter().chain(names.iter()).cloned().collect(),
        });
        index_columns(
            column.get("children"),
            &format!("{pointer}/children"),
            base,
            names,
            path,
            out,
        );
        names.pop();
        path.pop();
    }
}

/// How one tag PATCH of a table ended.
enum Tagged {
    /// Applied (or nothing to apply).
    Done(TagPlan),
    /// The table could not be read (already recorded as a failure).
    NoTable,
    /// The PATCH failed for good.
    Failed(RestError),
}

/// Whether a failed PATCH was refused by one of its `test` operations (the table
/// changed since it was read): worth reading the table again.
fn test_failed(e: &RestError) -> bool {
    matches!(e, RestError::Status { status: 400 | 409 | 412, message, .. }
        if message.contains("'test' failed") || message.contains("test operation"))
}

impl RestSink {
    /// Adds the PII `tags` to the table's columns with one JSON Patch; when that
    /// fails for good, column by column, so that one column OpenMetadata refuses cannot
    /// keep the table's other columns untagged. Columns OpenMetadata cannot store a tag
    /// on (too deeply nested) are skipped and reported.
    pub async fn apply_tags(&mut self, table_fqn: &str, tags: &[ColumnTag]) {
        let name = fqn::split(table_fqn).pop().unwrap_or_default();
        // 1.x servers reject labels with the 2.0 recognizer metadata.
        let stripped;
        let tags = if self.server.has_tag_metadata() {
            tags
        } else {
            stripped = without_metadata(tags);
            &stripped[..]
        };
        let whole = self.patch_tags(table_fqn, tags).await;
        let e = match whole {
            Tagged::Done(plan) => {
                self.published.tables += 1;
                self.count(&plan);
                return;
            }
            Tagged::NoTable => return,
            Tagged::Failed(e) => e,
        };
        if tags.len() < 2 {
            self.failures.push(TableFailure {
                table: name,
                reason: e.to_string(),
            });
            return;
        }
        self.warnings.push(format!(
            "{table_fqn}: tagging the table's columns in one PATCH failed ({e}); tagging them one column at a time"
        ));
        let mut any = false;
        for one in tags {
            match self.patch_tags(table_fqn, std::slice::from_ref(one)).await {
                Tagged::Done(plan) => {
                    any = true;
                    self.count(&plan);
                }
                Tagged::NoTable => return,
                Tagged::Failed(e) => self.failures.push(TableFailure {
                    table: name.clone(),
                    reason: format!("column {}: {e}", one.column),
                }),
            }
        }
        if any {
            self.published.tables += 1;
        }
    }

    /// Counts a plan that was applied and reports what it left out.
    fn count(&mut self, plan: &TagPlan) {
        self.published.tags_added += plan.added;
        self.published.tags_kept += plan.kept;
        for column in &plan.missing {
            self.warnings.push(format!(
                "{column}: not a column in OpenMetadata, tag not applied (run `dynameta ingest` to refresh the table)"
            ));
        }
        for (column, len) in &plan.unstorable {
            self.warnings.push(format!(
                "{column}: tag not applied: OpenMetadata stores a column's tags under a hash of its FQN, at most {TARGET_FQN_HASH_MAX} characters (its tag_usage.targetFQNHash column), and this column is nested so deep that the hash would be {len}; tag a shallower column by hand"
            ));
        }
    }

    /// One table's tags in one PATCH, sent once per round: when it fails in a way worth
    /// retrying (timeout, dropped connection, 5xx, or a `test` operation refusing it
    /// because the table changed), the table is read again and the patch recomputed, so
    /// a patch that did land is never applied twice.
    async fn patch_tags(&mut self, table_fqn: &str, tags: &[ColumnTag]) -> Tagged {
        let mut round = 0;
        loop {
            round += 1;
            let Some(table) = self.table_by_name(table_fqn, "columns,tags").await else {
                return Tagged::NoTable;
            };
            let mut plan = tag_patch(&table, tags);
            if plan.ops.is_empty() {
                return Tagged::Done(plan);
            }
            let id = table["id"].as_str().unwrap_or_default();
            let path = format!("/v1/tables/{id}");
            let body = Value::Array(std::mem::take(&mut plan.ops));
            match self
                .client
                .send_attempts(Method::PATCH, &path, &[], Some(&body), JSON_PATCH, 1)
                .await
            {
                Ok(_) => return Tagged::Done(plan),
                Err(e)
                    if round < PATCH_ROUNDS
                        && (test_failed(&e) || matches!(e, RestError::Exhausted { .. })) =>
                {
                    tracing::debug!(table = %table_fqn, round, problem = %e, "tag patch failed; re-reading the table");
                    tokio::time::sleep(self.client.backoff(round)).await;
                }
                Err(e) => return Tagged::Failed(e),
            }
        }
    }

    /// Stores sample rows (`TableData`); columns OpenMetadata does not have are left out.
    pub async fn put_sample_data(&mut self, table_fqn: &str, data: &TableData) {
        let name = fqn::split(table_fqn).pop().unwrap_or_default();
        let Some(table) = self.table_by_name(table_fqn, "columns").await else {
            return;
        };
        let known: Vec<&str> = table["columns"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("name").and_then(Value::as_str))
            .collect();
        let keep: Vec<bool> = data
            .columns
            .iter()
            .map(|c| known.contains(&c.as_str()))
            .collect();
        fn pick<T: Clone>(values: &[T], keep: &[bool]) -> Vec<T> {
            values
                .iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(v, _)| v.clone())
                .collect()
        }
        let dropped: Vec<&str> = data
            .columns
            .iter()
            .zip(&keep)
            .filter(|(_, k)| !**k)
            .map(|(c, _)| c.as_str())
            .collect();
        if !dropped.is_empty() {
            self.warnings.push(format!(
                "{table_fqn}: sample data left out for {}, not a column of the table in OpenMetadata (OpenMetadata refuses sample data naming an unknown column; run `dynameta ingest` to add it)",
                dropped.join(", ")
            ));
        }
        let body = TableData {
            columns: pick(&data.columns, &keep),
            rows: data.rows.iter().map(|r| pick(r, &keep)).collect(),
        };
        let body = serde_json::to_value(&body).unwrap_or(Value::Null);
        let id = table["id"].as_str().unwrap_or_default();
        match self
            .client
            .send(
                Method::PUT,
                &format!("/v1/tables/{id}/sampleData"),
                &[],
                Some(&body),
                JSON,
            )
            .await
        {
            Ok(_) => self.published.sample_data += 1,
            Err(e) => self.failures.push(TableFailure {
                table: name,
                reason: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(tag: &str, label_type: &str) -> Value {
        json!({"tagFQN": tag, "source": "Classification", "labelType": label_type, "state": "Suggested"})
    }

    fn table() -> Value {
        json!({
            "id": "t1",
            "version": 0.3,
            "fullyQualifiedName": "svc.db.sc.users",
            "columns": [
                {"name": "id", "fullyQualifiedName": "svc.db.sc.users.id"},
                {"name": "email", "fullyQualifiedName": "svc.db.sc.users.email", "tags": []},
                {"name": "profile", "fullyQualifiedName": "svc.db.sc.users.profile", "children": [
                    {"name": "phone", "fullyQualifiedName": "svc.db.sc.users.profile.phone",
                     "tags": [label("PII.NonSensitive", "Manual")]},
                    {"name": "ssn", "fullyQualifiedName": "svc.db.sc.users.profile.ssn",
                     "tags": [label("Tier.Tier1", "Manual"), label("PII.NonSensitive", "Generated")]}
                ]}
            ]
        })
    }

    fn want(column: &str, tag: &str) -> ColumnTag {
        ColumnTag {
            column: format!("svc.db.sc.users.{column}"),
            tags: vec![crate::openmetadata::TagLabel::classification(
                tag.into(),
                crate::openmetadata::LabelType::Generated,
                crate::openmetadata::TagState::Suggested,
            )],
            recognizer: "R".into(),
            confidence: 90.0,
        }
    }

    #[test]
    fn adds_new_tags_and_respects_what_is_there() {
        let plan = tag_patch(
            &table(),
            &[
                want("id", "PII.Sensitive"),
                want("email", "PII.Sensitive"),
                want("profile.phone", "PII.Sensitive"),
                want("profile.ssn", "PII.Sensitive"),
                want("gone", "PII.Sensitive"),
            ],
        );
        let paths: Vec<(&str, &str)> = plan
            .ops
            .iter()
            .map(|o| (o["op"].as_str().unwrap(), o["path"].as_str().unwrap()))
            .collect();
        assert_eq!(
            paths,
            [
                ("test", "/version"),
                ("test", "/columns/0/name"),
                ("add", "/columns/0/tags"),
                ("test", "/columns/1/name"),
                ("replace", "/columns/1/tags"),
                ("test", "/columns/2/name"),
                ("test", "/columns/2/children/1/name"),
                ("replace", "/columns/2/children/1/tags"),
            ],
            "a person's PII.NonSensitive on profile.phone stays; the generated one on ssn is replaced"
        );
        // The table as read, and every column by its whole path.
        assert_eq!(plan.ops[0]["value"], 0.3);
        assert_eq!(plan.ops[5]["value"], "profile");
        assert_eq!(plan.ops[6]["value"], "ssn");
        let ssn: Vec<&str> = plan.ops[7]["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["tagFQN"].as_str().unwrap())
            .collect();
        assert_eq!(ssn, ["Tier.Tier1", "PII.Sensitive"]);
        assert_eq!(plan.ops[4]["value"][0]["tagFQN"], "PII.Sensitive");
        assert_eq!(plan.ops[2]["value"][0]["tagFQN"], "PII.Sensitive");
        assert_eq!(plan.added, 3);
        assert_eq!(plan.kept, 1);
        assert_eq!(plan.missing, ["svc.db.sc.users.gone"]);
    }

    /// A column at nesting level 20 (a top-level column is level 1) has a 24-part FQN
    /// whose hash (791 characters) OpenMetadata cannot store: it is skipped and listed,
    /// the other columns (level 19: 23 parts, 758) are tagged.
    #[test]
    fn columns_whose_fqn_hash_is_too_long_are_skipped() {
        let mut t = table();
        let mut column = json!({"name": "l20"});
        for depth in (1..20).rev() {
            column = json!({"name": format!("l{depth}"), "children": [column]});
        }
        let mut deep = json!({"name": "l0", "children": [column]});
        drop_fqns(&mut deep);
        t["columns"].as_array_mut().unwrap().push(deep);
        let names: Vec<String> = (0..=20).map(|d| format!("l{d}")).collect();
        // Nesting levels, a top-level column being level 1.
        let path_19 = names[..19].join(".");
        let path_20 = names[..20].join(".");
        let plan = tag_patch(
            &t,
            &[
                want(&path_20, "PII.Sensitive"),
                want(&path_19, "PII.Sensitive"),
                want("id", "PII.Sensitive"),
            ],
        );
        assert_eq!(fqn_hash_len(&format!("svc.db.sc.users.{path_19}")), 758);
        assert_eq!(
            plan.unstorable,
            [(format!("svc.db.sc.users.{path_20}"), 791)]
        );
        assert_eq!(plan.added, 2, "l18 (23 parts) and id are tagged");
    }

    fn drop_fqns(column: &mut Value) {
        if let Some(o) = column.as_object_mut() {
            o.remove("fullyQualifiedName");
        }
        for c in column["children"].as_array_mut().into_iter().flatten() {
            drop_fqns(c);
        }
    }

    #[test]
    fn labels_for_1x_servers_have_no_metadata() {
        let mut tag = want("email", "PII.Sensitive");
        tag.tags[0].metadata = Some(crate::openmetadata::TagLabelMetadata {
            recognizer: None,
            expiry_date: Some(1),
        });
        tag.tags[0].reason = Some("why".into());
        let stripped = without_metadata(&[tag]);
        assert!(stripped[0].tags[0].metadata.is_none());
        assert!(stripped[0].tags[0].reason.is_none());
        assert_eq!(stripped[0].tags[0].tag_fqn, "PII.Sensitive");
    }

    #[test]
    fn the_same_tag_is_never_added_twice() {
        let mut t = table();
        t["columns"][1]["tags"] = json!([label("PII.Sensitive", "Generated")]);
        let plan = tag_patch(&t, &[want("email", "PII.Sensitive")]);
        assert!(plan.ops.is_empty());
        assert_eq!(plan.kept, 1);
    }
}
