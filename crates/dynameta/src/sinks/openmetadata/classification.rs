//! Classification results on OpenMetadata: PII tags patched onto columns, and sample
//! data. Tags are added, never removed: a PII tag a person set is left alone, a tag
//! already there is not added twice, and only a `Generated` PII tag (an earlier
//! automatic suggestion) is replaced when the new decision differs.

use reqwest::Method;
use serde_json::{json, Value};

use super::{RestError, RestSink, TableFailure, JSON};
use crate::openmetadata::fqn;
use crate::processors::classifier::{ColumnTag, PII_CLASSIFICATION};

const JSON_PATCH: &str = "application/json-patch+json";
/// Reads + patches of one table before giving up on a conflicting or failing server.
const PATCH_ROUNDS: u32 = 4;

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
}

/// The JSON Patch that applies `tags` to `table` (a table entity with its columns).
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
        &mut columns,
    );
    let mut plan = TagPlan::default();
    for wanted in tags {
        let Some((pointer, (column, _))) = columns
            .iter()
            .find(|(_, c)| column_fqn(c).as_deref() == Some(wanted.column.as_str()))
        else {
            plan.missing.push(wanted.column.clone());
            continue;
        };
        let existing: Vec<&Value> = column
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        for tag in &wanted.tags {
            let tag_fqn = tag
                .get("tagFQN")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if existing
                .iter()
                .any(|t| t.get("tagFQN").and_then(Value::as_str) == Some(tag_fqn))
            {
                plan.kept += 1;
                continue;
            }
            let same_classification = existing.iter().position(|t| {
                t.get("tagFQN")
                    .and_then(Value::as_str)
                    .and_then(|f| f.split('.').next())
                    == Some(PII_CLASSIFICATION)
            });
            match same_classification {
                Some(i)
                    if existing[i].get("labelType").and_then(Value::as_str)
                        == Some("Generated") =>
                {
                    plan.ops.push(json!({"op": "replace", "path": format!("{pointer}/tags/{i}"), "value": tag}));
                    plan.added += 1;
                }
                // A person chose this column's PII tag: theirs stands.
                Some(_) => plan.kept += 1,
                None if existing.is_empty() && column.get("tags").is_none_or(Value::is_null) => {
                    plan.ops.push(
                        json!({"op": "add", "path": format!("{pointer}/tags"), "value": [tag]}),
                    );
                    plan.added += 1;
                }
                None => {
                    plan.ops.push(
                        json!({"op": "add", "path": format!("{pointer}/tags/-"), "value": tag}),
                    );
                    plan.added += 1;
                }
            }
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
            if let Some(label) = tag.as_object_mut() {
                label.remove("metadata");
                label.remove("reason");
            }
        }
    }
    out
}

/// A column's FQN as the server gave it (or built from the names when it did not).
fn column_fqn(column: &(Value, Vec<String>)) -> Option<String> {
    match column.0.get("fullyQualifiedName").and_then(Value::as_str) {
        Some(f) => Some(f.to_string()),
        None => {
            let parts: Vec<&str> = column.1.iter().map(String::as_str).collect();
            Some(fqn::build(&parts))
        }
    }
}

type Indexed = (String, (Value, Vec<String>));

fn index_columns(
    columns: Option<&Value>,
    prefix: &str,
    base: &[String],
    names: &mut Vec<String>,
    out: &mut Vec<Indexed>,
) {
    for (i, column) in columns
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let pointer = format!("{prefix}/{i}");
        names.push(
            column
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        );
        let full: Vec<String> = base.iter().chain(names.iter()).cloned().collect();
        out.push((pointer.clone(), (column.clone(), full)));
        index_columns(
            column.get("children"),
            &format!("{pointer}/children"),
            base,
            names,
            out,
        );
        names.pop();
    }
}

impl RestSink {
    /// Adds the PII `tags` to the table's columns with one JSON Patch. The patch is
    /// sent once per round: when it fails in a way worth retrying, the table is read
    /// again and the patch recomputed, so a patch that did land is never doubled.
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
        for round in 1..=PATCH_ROUNDS {
            let Some(table) = self.table_by_name(table_fqn, "columns,tags").await else {
                return;
            };
            let plan = tag_patch(&table, tags);
            for column in &plan.missing {
                self.warnings.push(format!(
                    "{column}: not a column in OpenMetadata, tag not applied (run `dynameta ingest` to refresh the table)"
                ));
            }
            if plan.ops.is_empty() {
                self.published.tables += 1;
                self.published.tags_kept += plan.kept;
                return;
            }
            let id = table["id"].as_str().unwrap_or_default();
            let path = format!("/v1/tables/{id}");
            let body = Value::Array(plan.ops);
            match self
                .client
                .send_attempts(Method::PATCH, &path, &[], Some(&body), JSON_PATCH, 1)
                .await
            {
                Ok(_) => {
                    self.published.tables += 1;
                    self.published.tags_added += plan.added;
                    self.published.tags_kept += plan.kept;
                    return;
                }
                Err(RestError::Exhausted { detail, .. }) if round < PATCH_ROUNDS => {
                    tracing::debug!(table = %table_fqn, round, problem = %detail, "tag patch failed; re-reading the table");
                    // Missing columns are reported again by the next round.
                    let keep = self.warnings.len() - plan.missing.len();
                    self.warnings.truncate(keep);
                    tokio::time::sleep(self.client.backoff(round)).await;
                }
                Err(e) => {
                    self.failures.push(TableFailure {
                        table: name,
                        reason: e.to_string(),
                    });
                    return;
                }
            }
        }
    }

    /// Stores sample rows (`TableData`); columns OpenMetadata does not have are left out.
    pub async fn put_sample_data(&mut self, table_fqn: &str, data: &Value) {
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
        let columns: Vec<&Value> = data["columns"].as_array().into_iter().flatten().collect();
        let keep: Vec<bool> = columns
            .iter()
            .map(|c| c.as_str().is_some_and(|n| known.contains(&n)))
            .collect();
        let pick = |values: &Value| -> Value {
            Value::Array(
                values
                    .as_array()
                    .into_iter()
                    .flatten()
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(v, _)| v.clone())
                    .collect(),
            )
        };
        let dropped: Vec<&str> = columns
            .iter()
            .zip(&keep)
            .filter(|(_, k)| !**k)
            .map(|(c, _)| c.as_str().unwrap_or_default())
            .collect();
        if !dropped.is_empty() {
            self.warnings.push(format!(
                "{table_fqn}: sample data left out for {}, not a column of the table in OpenMetadata (OpenMetadata refuses sample data naming an unknown column; run `dynameta ingest` to add it)",
                dropped.join(", ")
            ));
        }
        let rows: Vec<Value> = data["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .map(pick)
            .collect();
        let body = json!({"columns": pick(&data["columns"]), "rows": rows});
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
            tags: vec![label(tag, "Generated")],
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
                ("add", "/columns/0/tags"),
                ("add", "/columns/1/tags/-"),
                ("replace", "/columns/2/children/1/tags/1"),
            ],
            "a person's PII.NonSensitive on profile.phone stays; the generated one on ssn is replaced"
        );
        assert_eq!(plan.added, 3);
        assert_eq!(plan.kept, 1);
        assert_eq!(plan.missing, ["svc.db.sc.users.gone"]);
    }

    #[test]
    fn labels_for_1x_servers_have_no_metadata() {
        let mut tag = want("email", "PII.Sensitive");
        tag.tags[0]["metadata"] = json!({"recognizer": {"recognizerName": "R"}});
        let stripped = without_metadata(&[tag]);
        assert!(stripped[0].tags[0].get("metadata").is_none());
        assert_eq!(stripped[0].tags[0]["tagFQN"], "PII.Sensitive");
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
