//! What changed between the latest two succeeded runs: for each service, its latest two
//! ingest runs (tables, attributes, types, presence, keys, indexes, billing, TTL,
//! stream) and its latest two classify runs (PII tags). Typed changes, rendered as
//! text or JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::read::StoredSnapshot;
use crate::{Catalog, CatalogError, Column, IndexDef, KeyAttr, TableSnapshot};

/// Diff settings.
#[derive(Debug, Clone, Copy)]
pub struct DiffOptions {
    /// A presence change smaller than this (0–1, absolute) is noise, not a change.
    pub presence_threshold: f64,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            presence_threshold: 0.2,
        }
    }
}

/// Two runs compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Compared {
    /// `ingest` (schema), `classify` (PII tags) or `test` (data-quality results).
    pub command: String,
    /// Database service.
    pub service: String,
    /// The older run.
    pub from_run: i64,
    /// When it started.
    pub from_started_at: String,
    /// The newer run.
    pub to_run: i64,
    /// When it started.
    pub to_started_at: String,
}

/// One change to one table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// Table FQN.
    pub table: String,
    /// What changed.
    #[serde(flatten)]
    pub kind: ChangeKind,
}

/// The kinds of change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "change",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ChangeKind {
    /// A table that was not there before.
    TableCreated,
    /// A table DynamoDB no longer lists.
    TableDeleted,
    /// An attribute (column path) that appeared.
    AttributeAdded {
        /// Dotted path.
        path: String,
        /// Its type.
        data_type: String,
    },
    /// An attribute that is gone.
    AttributeRemoved {
        /// Dotted path.
        path: String,
        /// Its type before.
        data_type: String,
    },
    /// An attribute whose type changed.
    TypeChanged {
        /// Dotted path.
        path: String,
        /// Before.
        from: String,
        /// After.
        to: String,
    },
    /// An attribute whose presence moved by at least the threshold.
    PresenceChanged {
        /// Dotted path.
        path: String,
        /// Before, 0–1.
        from: f64,
        /// After, 0–1.
        to: f64,
    },
    /// The table's key.
    KeyChanged {
        /// Before.
        from: String,
        /// After.
        to: String,
    },
    /// A secondary index that appeared.
    IndexAdded {
        /// Index name.
        name: String,
        /// Its definition.
        definition: String,
    },
    /// A secondary index that is gone.
    IndexRemoved {
        /// Index name.
        name: String,
        /// Its definition before.
        definition: String,
    },
    /// A secondary index whose key, kind or projection changed.
    IndexChanged {
        /// Index name.
        name: String,
        /// Before.
        from: String,
        /// After.
        to: String,
    },
    /// Billing mode.
    BillingChanged {
        /// Before.
        from: String,
        /// After.
        to: String,
    },
    /// Time to live.
    TtlChanged {
        /// Before.
        from: String,
        /// After.
        to: String,
    },
    /// DynamoDB stream.
    StreamChanged {
        /// Before.
        from: String,
        /// After.
        to: String,
    },
    /// An AWS tag was added to the table (or its value changed: `from` is set).
    AwsTagSet {
        /// Tag key.
        key: String,
        /// Value before, when the key was there.
        from: Option<String>,
        /// Value now.
        to: String,
    },
    /// An AWS tag was removed from the table.
    AwsTagRemoved {
        /// Tag key.
        key: String,
        /// Its value.
        value: String,
    },
    /// The table's declared owner (`ownerConfig` or the owner AWS tag, see
    /// [`crate::DECLARED_OWNER`]) changed, appeared or went away.
    OwnerChanged {
        /// Before (`ann (AWS tag owner)`), when one was declared.
        from: Option<String>,
        /// Now, when one is declared.
        to: Option<String>,
    },
    /// A column got a PII tag (or a different one).
    PiiTagGained {
        /// Column path.
        column: String,
        /// The tag.
        tag: String,
    },
    /// A column lost a PII tag.
    PiiTagLost {
        /// Column path.
        column: String,
        /// The tag.
        tag: String,
    },
    /// A data-quality test case that passed in the previous `test` run (or did not
    /// run then) and does not pass now.
    TestStartedFailing {
        /// Test case name.
        test: String,
        /// Its column (`None` for a table test).
        column: Option<String>,
        /// Its status now (`Failed`, `Aborted`, `NotTestable`).
        status: String,
        /// Its status before (`None`: it did not run then).
        was: Option<String>,
        /// OpenMetadata's sentence about the result now.
        result: String,
    },
    /// A lineage edge dynameta found that the previous `lineage` run did not.
    EdgeAdded {
        /// `s3Export`, `lambda`, `pipe`, `kinesis`.
        edge: String,
        /// The far end (S3 path or ARN).
        target: String,
    },
    /// A lineage edge the previous `lineage` run found and this one did not (its kind
    /// was read by both runs).
    EdgeRemoved {
        /// `s3Export`, `lambda`, `pipe`, `kinesis`.
        edge: String,
        /// The far end (S3 path or ARN).
        target: String,
    },
    /// The global table's replica regions changed.
    ReplicasChanged {
        /// Regions before (`none`).
        from: String,
        /// Regions now.
        to: String,
    },
}

/// The result of [`Catalog::diff`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diff {
    /// Whether anything changed.
    pub changed: bool,
    /// The run pairs compared.
    pub compared: Vec<Compared>,
    /// Why something could not be compared (one run only, ...).
    pub notes: Vec<String>,
    /// The changes, table by table.
    pub changes: Vec<Change>,
    /// Where each table of an estate catalog lives: FQN → (database, schema), i.e.
    /// (account, region). Empty for a catalog of one (database, schema) pair, whose
    /// text is as it always was; not part of the JSON (the FQNs say it).
    #[serde(skip)]
    pub places: BTreeMap<String, (String, String)>,
}

/// Items by database (account), then schema (region).
pub type Groups<'a, T> = BTreeMap<&'a str, BTreeMap<&'a str, Vec<T>>>;

/// Groups `items` by (database, schema) — by account, then region, in a catalog an
/// estate run wrote (`<service>.<account>.<region>.<table>`) — when they span more than
/// one such pair; `None` for one pair (every single-pair catalog: `default.default`),
/// which report and diff show as they always have.
pub fn estate_groups<'a, T>(
    items: impl IntoIterator<Item = (&'a str, &'a str, T)>,
) -> Option<Groups<'a, T>> {
    let mut groups: Groups<'a, T> = BTreeMap::new();
    for (database, schema, item) in items {
        groups
            .entry(database)
            .or_default()
            .entry(schema)
            .or_default()
            .push(item);
    }
    let pairs: usize = groups.values().map(BTreeMap::len).sum();
    (pairs > 1).then_some(groups)
}

impl Catalog {
    /// Compares, per service, the latest two succeeded ingest runs and the latest two
    /// succeeded classify runs.
    pub fn diff(&self, options: DiffOptions) -> Result<Diff, CatalogError> {
        let mut compared = Vec::new();
        let mut notes = Vec::new();
        let mut changes = Vec::new();
        let services: BTreeSet<String> = self.services()?.into_iter().collect();
        if services.is_empty() {
            notes.push("the catalog holds no succeeded run yet: nothing to compare".to_string());
        }
        for service in &services {
            for command in ["ingest", "classify", "test", "lineage"] {
                let runs = self.latest_runs_of(command, service, 2)?;
                let [to, from] = match runs.as_slice() {
                    [to, from] => [to, from],
                    [only] => {
                        notes.push(format!(
                            "service {service}: one succeeded {command} run (run {}) so far; its changes show from the next one",
                            only.id
                        ));
                        continue;
                    }
                    _ => continue,
                };
                compared.push(Compared {
                    command: command.to_string(),
                    service: service.clone(),
                    from_run: from.id,
                    from_started_at: from.started_at.clone(),
                    to_run: to.id,
                    to_started_at: to.started_at.clone(),
                });
                if command == "ingest" {
                    changes.extend(self.schema_changes(from.id, to.id, options)?);
                } else if command == "test" {
                    changes.extend(self.test_changes(from.id, to.id)?);
                } else if command == "lineage" {
                    changes.extend(self.lineage_changes(from.id, to.id)?);
                } else {
                    changes.extend(self.pii_changes(from.id, to.id)?);
                }
            }
        }
        let places = self.estate_places()?;
        Ok(Diff {
            changed: !changes.is_empty(),
            compared,
            notes,
            changes,
            places,
        })
    }

    /// FQN → (database, schema) of every table the catalog knows, when they span more
    /// than one (database, schema) pair (an estate catalog); empty otherwise.
    fn estate_places(&self) -> Result<BTreeMap<String, (String, String)>, CatalogError> {
        let what = "reading where the tables live";
        let mut stmt = self
            .conn()
            .prepare("SELECT fqn, database, schema_name FROM tables")
            .map_err(|e| self.sql(what, e))?;
        let rows: Vec<(String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.sql(what, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(what, e))?;
        let grouped =
            estate_groups(rows.iter().map(|(_, d, s)| (d.as_str(), s.as_str(), ()))).is_some();
        Ok(if grouped {
            rows.into_iter().map(|(f, d, s)| (f, (d, s))).collect()
        } else {
            BTreeMap::new()
        })
    }

    fn schema_changes(
        &self,
        from: i64,
        to: i64,
        options: DiffOptions,
    ) -> Result<Vec<Change>, CatalogError> {
        let by_fqn = |snaps: Vec<StoredSnapshot>| -> BTreeMap<String, TableSnapshot> {
            snaps
                .into_iter()
                .map(|s| (s.snapshot.table.fqn.clone(), s.snapshot))
                .collect()
        };
        let before = by_fqn(self.snapshots_of_run(from)?);
        let after = by_fqn(self.snapshots_of_run(to)?);
        let listed = |run| -> Result<BTreeSet<(String, String)>, CatalogError> {
            Ok(self.listing(run)?.into_iter().collect())
        };
        let (listed_before, listed_after) = (listed(from)?, listed(to)?);
        let schemas_after: BTreeSet<&String> = listed_after.iter().map(|(s, _)| s).collect();
        let mut out = Vec::new();
        let mut fqns: BTreeSet<&String> = before.keys().collect();
        fqns.extend(after.keys());
        for fqn in fqns {
            match (before.get(fqn), after.get(fqn)) {
                (None, Some(b)) => {
                    // Listed before but not read: it existed, the filter did not select it.
                    let key = (b.table.schema_fqn(), b.table.name.clone());
                    if !listed_before.contains(&key) {
                        out.push(change(fqn, ChangeKind::TableCreated));
                    }
                }
                (Some(a), None) => {
                    // Deleted only when the newer run listed that schema without it.
                    let schema = a.table.schema_fqn();
                    if schemas_after.contains(&schema)
                        && !listed_after.contains(&(schema, a.table.name.clone()))
                    {
                        out.push(change(fqn, ChangeKind::TableDeleted));
                    }
                }
                (Some(a), Some(b)) => out.extend(
                    table_changes(a, b, options)
                        .into_iter()
                        .map(|k| change(fqn, k)),
                ),
                (None, None) => {}
            }
        }
        Ok(out)
    }

    /// Test cases of run `to` that do not pass and passed in run `from` (or did not
    /// run in it: a new case that fails is news too).
    fn test_changes(&self, from: i64, to: i64) -> Result<Vec<Change>, CatalogError> {
        let mut out = Vec::new();
        for fqn in self.tables_tested(to)? {
            let before = self.test_results_of_run(from, &fqn)?;
            for r in self.test_results_of_run(to, &fqn)? {
                if r.passed() {
                    continue;
                }
                let was = before
                    .iter()
                    .find(|b| b.name == r.name && b.column == r.column);
                if was.is_some_and(|b| !b.passed()) {
                    continue;
                }
                out.push(change(
                    &fqn,
                    ChangeKind::TestStartedFailing {
                        test: r.name,
                        column: r.column,
                        status: r.status,
                        was: was.map(|b| b.status.clone()),
                        result: r.result,
                    },
                ));
            }
        }
        Ok(out)
    }

    fn pii_changes(&self, from: i64, to: i64) -> Result<Vec<Change>, CatalogError> {
        let before: BTreeSet<String> = self.classified_tables(from)?.into_iter().collect();
        let mut out = Vec::new();
        for fqn in self.classified_tables(to)? {
            if !before.contains(&fqn) {
                continue;
            }
            let tags = |run| -> Result<BTreeMap<String, String>, CatalogError> {
                Ok(self
                    .tags_of_run(run, &fqn)?
                    .into_iter()
                    .map(|t| (t.column, t.tag))
                    .collect())
            };
            let (a, b) = (tags(from)?, tags(to)?);
            for (column, tag) in &a {
                if b.get(column) != Some(tag) {
                    out.push(change(
                        &fqn,
                        ChangeKind::PiiTagLost {
                            column: column.clone(),
                            tag: tag.clone(),
                        },
                    ));
                }
            }
            for (column, tag) in &b {
                if a.get(column) != Some(tag) {
                    out.push(change(
                        &fqn,
                        ChangeKind::PiiTagGained {
                            column: column.clone(),
                            tag: tag.clone(),
                        },
                    ));
                }
            }
        }
        Ok(out)
    }
}

fn change(fqn: &str, kind: ChangeKind) -> Change {
    Change {
        table: fqn.to_string(),
        kind,
    }
}

/// A key as text: `orderId (S) / createdAt (N)`.
pub fn key_text(keys: &[KeyAttr]) -> String {
    if keys.is_empty() {
        return "none".to_string();
    }
    keys.iter()
        .map(|k| format!("{} ({})", k.name, k.attribute_type))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// An index as text: `GSI on status / createdAt, projection ALL`.
pub fn index_text(i: &IndexDef) -> String {
    let mut key = i.hash_key.clone().unwrap_or_else(|| "?".to_string());
    if let Some(r) = &i.range_key {
        key.push_str(" / ");
        key.push_str(r);
    }
    match &i.projection {
        Some(p) => format!("{} on {key}, projection {p}", i.kind),
        None => format!("{} on {key}", i.kind),
    }
}

/// A column flattened: path → (type as compared, presence).
fn flatten(columns: &[Column]) -> BTreeMap<String, (String, Option<f64>)> {
    fn walk(cols: &[Column], prefix: &str, out: &mut BTreeMap<String, (String, Option<f64>)>) {
        for c in cols {
            let path = if prefix.is_empty() {
                c.name.clone()
            } else {
                format!("{prefix}.{}", c.name)
            };
            // A parent's display type spells its children's types: compare its kind
            // only, so one changed field is one change, reported on the field.
            let ty = if c.children.is_empty() {
                c.display_type.clone()
            } else {
                c.data_type.to_lowercase()
            };
            out.insert(path.clone(), (ty, c.presence));
            walk(&c.children, &path, out);
        }
    }
    let mut out = BTreeMap::new();
    walk(columns, "", &mut out);
    out
}

/// Whether `path` lies under one of `parents` (so its parent's change covers it).
fn under(path: &str, parents: &BTreeSet<String>) -> bool {
    parents.iter().any(|p| {
        path.len() > p.len() && path.starts_with(p.as_str()) && path[p.len()..].starts_with('.')
    })
}

/// The changes between two snapshots of one table (pure; property-tested).
pub fn table_changes(
    a: &TableSnapshot,
    b: &TableSnapshot,
    options: DiffOptions,
) -> Vec<ChangeKind> {
    let mut out = Vec::new();
    if a.keys != b.keys {
        out.push(ChangeKind::KeyChanged {
            from: key_text(&a.keys),
            to: key_text(&b.keys),
        });
    }
    let ia: BTreeMap<&str, &IndexDef> = a.indexes.iter().map(|i| (i.name.as_str(), i)).collect();
    let ib: BTreeMap<&str, &IndexDef> = b.indexes.iter().map(|i| (i.name.as_str(), i)).collect();
    for (name, i) in &ia {
        match ib.get(name) {
            None => out.push(ChangeKind::IndexRemoved {
                name: name.to_string(),
                definition: index_text(i),
            }),
            Some(j) if i != j => out.push(ChangeKind::IndexChanged {
                name: name.to_string(),
                from: index_text(i),
                to: index_text(j),
            }),
            Some(_) => {}
        }
    }
    for (name, j) in &ib {
        if !ia.contains_key(name) {
            out.push(ChangeKind::IndexAdded {
                name: name.to_string(),
                definition: index_text(j),
            });
        }
    }
    // Unknown (None) on either side is not a change: the fact could not be read.
    for (from, to, kind) in [
        (&a.billing, &b.billing, 0),
        (&a.ttl, &b.ttl, 1),
        (&a.stream, &b.stream, 2),
    ] {
        if let (Some(from), Some(to)) = (from, to) {
            if from != to {
                let (from, to) = (from.clone(), to.clone());
                out.push(match kind {
                    0 => ChangeKind::BillingChanged { from, to },
                    1 => ChangeKind::TtlChanged { from, to },
                    _ => ChangeKind::StreamChanged { from, to },
                });
            }
        }
    }
    aws_tag_changes(&a.properties, &b.properties, &mut out);
    owner_change(a, b, &mut out);
    let ca = flatten(&a.columns);
    let cb = flatten(&b.columns);
    let removed: BTreeSet<String> = ca
        .keys()
        .filter(|p| !cb.contains_key(*p))
        .cloned()
        .collect();
    let added: BTreeSet<String> = cb
        .keys()
        .filter(|p| !ca.contains_key(*p))
        .cloned()
        .collect();
    for path in &removed {
        if !under(path, &removed) {
            out.push(ChangeKind::AttributeRemoved {
                path: path.clone(),
                data_type: ca[path].0.clone(),
            });
        }
    }
    for path in &added {
        if !under(path, &added) {
            out.push(ChangeKind::AttributeAdded {
                path: path.clone(),
                data_type: cb[path].0.clone(),
            });
        }
    }
    for (path, (ty_a, pa)) in &ca {
        let Some((ty_b, pb)) = cb.get(path) else {
            continue;
        };
        if ty_a != ty_b {
            out.push(ChangeKind::TypeChanged {
                path: path.clone(),
                from: ty_a.clone(),
                to: ty_b.clone(),
            });
        }
        if let (Some(pa), Some(pb)) = (pa, pb) {
            // An equal presence is never a change, whatever the threshold (0 included).
            let moved = (pa - pb).abs();
            if moved > 0.0 && moved >= options.presence_threshold {
                out.push(ChangeKind::PresenceChanged {
                    path: path.clone(),
                    from: *pa,
                    to: *pb,
                });
            }
        }
    }
    out
}

fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// Changes of the AWS tags (`properties.tags`, a key → value map). A side whose tags
/// were not read (`includeTags: false`, or ListTagsOfResource refused) has no `tags`:
/// unknown is not a change.
fn aws_tag_changes(a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<ChangeKind>) {
    let (Some(ta), Some(tb)) = (a["tags"].as_object(), b["tags"].as_object()) else {
        return;
    };
    let text = |v: &serde_json::Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    for (key, value) in ta {
        if !tb.contains_key(key) {
            out.push(ChangeKind::AwsTagRemoved {
                key: key.clone(),
                value: text(value),
            });
        }
    }
    for (key, value) in tb {
        match ta.get(key) {
            Some(before) if before == value => {}
            before => out.push(ChangeKind::AwsTagSet {
                key: key.clone(),
                from: before.map(text),
                to: text(value),
            }),
        }
    }
}

/// A change of the declared owner. A side that knows nothing of owners (a catalog
/// written before owners were kept, or tags not read and no `ownerConfig`) has neither
/// `declaredOwner` nor `tags`: unknown is not a change.
fn owner_change(a: &TableSnapshot, b: &TableSnapshot, out: &mut Vec<ChangeKind>) {
    let known = |s: &TableSnapshot| {
        s.properties.get(crate::DECLARED_OWNER).is_some() || s.properties.get("tags").is_some()
    };
    if !known(a) || !known(b) {
        return;
    }
    let (oa, ob) = (a.declared_owner(), b.declared_owner());
    if oa != ob {
        out.push(ChangeKind::OwnerChanged {
            from: oa.map(|o| o.text()),
            to: ob.map(|o| o.text()),
        });
    }
}

/// One change as a line of text (without the table).
pub fn change_text(kind: &ChangeKind) -> String {
    match kind {
        ChangeKind::TableCreated => "+ table created".to_string(),
        ChangeKind::TableDeleted => "- table deleted".to_string(),
        ChangeKind::AttributeAdded { path, data_type } => {
            format!("+ attribute {path}: {data_type}")
        }
        ChangeKind::AttributeRemoved { path, data_type } => {
            format!("- attribute {path} (was {data_type})")
        }
        ChangeKind::TypeChanged { path, from, to } => format!("~ type of {path}: {from} -> {to}"),
        ChangeKind::PresenceChanged { path, from, to } => {
            format!("~ presence of {path}: {} -> {}", pct(*from), pct(*to))
        }
        ChangeKind::KeyChanged { from, to } => format!("~ key: {from} -> {to}"),
        ChangeKind::IndexAdded { name, definition } => format!("+ index {name} ({definition})"),
        ChangeKind::IndexRemoved { name, definition } => {
            format!("- index {name} (was {definition})")
        }
        ChangeKind::IndexChanged { name, from, to } => format!("~ index {name}: {from} -> {to}"),
        ChangeKind::BillingChanged { from, to } => format!("~ billing: {from} -> {to}"),
        ChangeKind::TtlChanged { from, to } => format!("~ TTL: {from} -> {to}"),
        ChangeKind::StreamChanged { from, to } => format!("~ stream: {from} -> {to}"),
        ChangeKind::AwsTagSet {
            key,
            from: None,
            to,
        } => format!("+ AWS tag {key} = {to}"),
        ChangeKind::AwsTagSet {
            key,
            from: Some(from),
            to,
        } => format!("~ AWS tag {key}: {from} -> {to}"),
        ChangeKind::AwsTagRemoved { key, value } => format!("- AWS tag {key} (was {value})"),
        ChangeKind::OwnerChanged { from, to } => format!(
            "~ owner: {} -> {}",
            from.as_deref().unwrap_or("none"),
            to.as_deref().unwrap_or("none")
        ),
        ChangeKind::PiiTagGained { column, tag } => format!("+ PII tag {tag} on {column}"),
        ChangeKind::PiiTagLost { column, tag } => format!("- PII tag {tag} on {column}"),
        ChangeKind::TestStartedFailing {
            test,
            column,
            status,
            was,
            result,
        } => format!(
            "! test {test}{} started failing: {status} (was {}): {result}",
            column
                .as_deref()
                .map_or(String::new(), |c| format!(" [{c}]")),
            was.as_deref().unwrap_or("not run")
        ),
        ChangeKind::EdgeAdded { edge, target } => format!(
            "+ lineage: {} {target}",
            crate::lineage::edge_kind_text(edge)
        ),
        ChangeKind::EdgeRemoved { edge, target } => format!(
            "- lineage: {} {target}",
            crate::lineage::edge_kind_text(edge)
        ),
        ChangeKind::ReplicasChanged { from, to } => {
            format!("~ global table replicas: {from} -> {to}")
        }
    }
}

impl Diff {
    /// The diff for people. Names and types come from table data: every control or bidi
    /// character in them is shown escaped (`dynameta_fs::terminal`), never sent raw to
    /// the terminal.
    pub fn render_text(&self) -> String {
        use dynameta_fs::terminal::escape;
        let mut out = String::new();
        for c in &self.compared {
            let what = match c.command.as_str() {
                "ingest" => "schema",
                "test" => "data-quality tests",
                "lineage" => "lineage",
                _ => "PII tags",
            };
            let _ = writeln!(
                out,
                "{what} of service {}: {} run {} ({}) -> run {} ({})",
                escape(&c.service),
                c.command,
                c.from_run,
                c.from_started_at,
                c.to_run,
                c.to_started_at
            );
        }
        for note in &self.notes {
            let _ = writeln!(out, "note: {}", escape(note));
        }
        let mut by_table: BTreeMap<&str, Vec<&ChangeKind>> = BTreeMap::new();
        for c in &self.changes {
            by_table.entry(&c.table).or_default().push(&c.kind);
        }
        let lines = |out: &mut String, table: &str, kinds: &[&ChangeKind], indent: &str| {
            let _ = writeln!(out, "{indent}{}", escape(table));
            for k in kinds {
                let _ = writeln!(out, "{indent}  {}", escape(&change_text(k)));
            }
        };
        // An estate catalog: account, then region, then the tables that changed there
        // (even when they all changed in one pair: the catalog holds several).
        let groups = (!self.places.is_empty()).then(|| {
            let mut groups: Groups<'_, (&str, &Vec<&ChangeKind>)> = BTreeMap::new();
            for (table, kinds) in &by_table {
                let (database, schema) = self
                    .places
                    .get(*table)
                    .map_or(("(unknown)", "(unknown)"), |(d, s)| {
                        (d.as_str(), s.as_str())
                    });
                groups
                    .entry(database)
                    .or_default()
                    .entry(schema)
                    .or_default()
                    .push((*table, kinds));
            }
            groups
        });
        match groups {
            None => {
                for (table, kinds) in &by_table {
                    lines(&mut out, table, kinds, "");
                }
            }
            Some(groups) => {
                for (account, regions) in &groups {
                    let n: usize = regions.values().map(Vec::len).sum();
                    let _ = writeln!(
                        out,
                        "account {}: {n} table{} changed in {} region{}",
                        escape(account),
                        if n == 1 { "" } else { "s" },
                        regions.len(),
                        if regions.len() == 1 { "" } else { "s" }
                    );
                    for (region, tables) in regions {
                        let _ = writeln!(
                            out,
                            "  region {}: {} table{} changed",
                            escape(region),
                            tables.len(),
                            if tables.len() == 1 { "" } else { "s" }
                        );
                        for (table, kinds) in tables {
                            lines(&mut out, table, kinds, "    ");
                        }
                    }
                }
            }
        }
        if self.changes.is_empty() {
            if self.compared.is_empty() {
                out.push_str("nothing to compare yet.\n");
            } else {
                out.push_str("no changes.\n");
            }
        } else {
            let _ = writeln!(
                out,
                "{} change{} in {} table{}.",
                self.changes.len(),
                if self.changes.len() == 1 { "" } else { "s" },
                by_table.len(),
                if by_table.len() == 1 { "" } else { "s" }
            );
        }
        out
    }

    /// The diff as JSON.
    pub fn render_json(&self) -> String {
        crate::to_json(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Service, table and attribute names from table data never reach the terminal raw.
    #[test]
    fn render_text_escapes_table_data() {
        let hostile = "x\u{1b}]0;title\u{7}\u{8}\r\u{202E}y";
        let diff = Diff {
            changed: true,
            compared: vec![Compared {
                command: "ingest".into(),
                service: hostile.into(),
                from_run: 1,
                from_started_at: "a".into(),
                to_run: 2,
                to_started_at: "b".into(),
            }],
            notes: vec![format!("only one run of {hostile}")],
            changes: vec![Change {
                table: format!("svc.default.default.{hostile}"),
                kind: ChangeKind::AttributeAdded {
                    path: hostile.into(),
                    data_type: "string".into(),
                },
            }],
            places: BTreeMap::new(),
        };
        let text = diff.render_text();
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && dynameta_fs::terminal::is_unsafe(c)),
            "{text:?}"
        );
        assert!(
            text.contains("+ attribute x\\u{1b}]0;title\\u{7}\\u{8}\\r\\u{202e}y"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 5, "{text}");
    }

    fn created(table: &str) -> Change {
        Change {
            table: table.into(),
            kind: ChangeKind::TableCreated,
        }
    }

    /// An estate catalog's diff: account, then region, then the tables; one pair's
    /// catalog prints as it always has.
    #[test]
    fn render_text_groups_an_estate_by_account_and_region() {
        let place = |d: &str, s: &str| (d.to_string(), s.to_string());
        let mut diff = Diff {
            changed: true,
            compared: vec![],
            notes: vec![],
            changes: vec![
                created("s.b.eu-west-1.t"),
                created("s.a.us-east-1.t"),
                created("s.a.eu-west-1.t"),
                created("s.a.eu-west-1.u"),
            ],
            places: BTreeMap::from([
                ("s.a.eu-west-1.t".to_string(), place("a", "eu-west-1")),
                ("s.a.eu-west-1.u".to_string(), place("a", "eu-west-1")),
                ("s.a.us-east-1.t".to_string(), place("a", "us-east-1")),
                ("s.b.eu-west-1.t".to_string(), place("b", "eu-west-1")),
            ]),
        };
        assert_eq!(
            diff.render_text(),
            "account a: 3 tables changed in 2 regions\n  region eu-west-1: 2 tables changed\n    s.a.eu-west-1.t\n      + table created\n    s.a.eu-west-1.u\n      + table created\n  region us-east-1: 1 table changed\n    s.a.us-east-1.t\n      + table created\naccount b: 1 table changed in 1 region\n  region eu-west-1: 1 table changed\n    s.b.eu-west-1.t\n      + table created\n4 changes in 4 tables.\n"
        );
        diff.places.clear();
        assert!(diff
            .render_text()
            .starts_with("s.a.eu-west-1.t\n  + table created\n"));
    }

    #[test]
    fn one_pair_is_no_group() {
        assert!(estate_groups([("default", "default", 1), ("default", "default", 2)]).is_none());
        let g = estate_groups([("a", "r1", 1), ("a", "r2", 2), ("b", "r1", 3)]).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g["a"].len(), 2);
    }
}
