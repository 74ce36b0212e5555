//! Records, in their JSON Lines form, to the catalog's plain types. A table's snapshot
//! joins two records: `createTable` (the columns) and `dynamodbTable` (keys, indexes,
//! properties, and each attribute path's presence and types).

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use dynameta_catalog::show::TableView;
use dynameta_catalog::{
    Column, IndexDef, KeyAttr, PiiTag, Sample, TableProfile, TableRef, TableSnapshot,
};
use serde_json::Value;

use crate::openmetadata::fqn;

/// What one or more records give the catalog.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// Every table a listing returned.
    Listing {
        /// Schema FQN.
        schema_fqn: String,
        /// Table names.
        tables: Vec<String>,
    },
    /// A table as ingest saw it.
    Snapshot(TableSnapshot),
    /// A table's profile.
    Profile(TableProfile),
    /// A table's PII tags (all of them: none is an answer too).
    Tags(TableRef, Vec<PiiTag>),
    /// A table's sample rows (the local sink masks their Sensitive leaves before storing).
    Sample(TableRef, Sample),
}

/// Half of a snapshot, waiting for the other record of its table.
#[derive(Debug, Default)]
struct Pending {
    /// Our columns and the `createTable` columns they came from.
    columns: Option<(Vec<Column>, Value)>,
    /// The `dynamodbTable` record.
    facts: Option<Value>,
}

/// Turns records into [`Item`]s.
#[derive(Debug, Default)]
pub struct Mapper {
    pending: BTreeMap<String, Pending>,
}

/// A table reference from its FQN (`service.database.schema.table`, dotted parts quoted).
pub fn table_ref(table_fqn: &str) -> TableRef {
    let parts = fqn::split(table_fqn);
    let part = |i: usize| parts.get(i).cloned().unwrap_or_default();
    TableRef {
        fqn: table_fqn.to_string(),
        service: part(0),
        database: part(1),
        schema: part(2),
        name: if parts.len() > 3 {
            parts[3..].join(".")
        } else {
            part(parts.len().saturating_sub(1))
        },
    }
}

/// A column's path inside its table from its FQN: the parts after the table, joined
/// with dots (as the catalog's column rows are).
fn column_path(table: &TableRef, column_fqn: &str) -> String {
    let rest = column_fqn
        .strip_prefix(&table.fqn)
        .and_then(|r| r.strip_prefix('.'))
        .unwrap_or(column_fqn);
    fqn::split(rest).join(".")
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// OpenMetadata columns (`createTable.columns`) to catalog columns. A column whose
/// attribute name had to be made safe for OpenMetadata (`a::b` → `a__reserved__colon__b`)
/// carries the attribute name in `displayName`: it is kept, so the report and `show`
/// name the attribute as people wrote it.
fn columns(cols: &Value) -> Vec<Column> {
    cols.as_array()
        .into_iter()
        .flatten()
        .map(|c| Column {
            name: text(&c["name"]).unwrap_or_default(),
            original_name: text(&c["displayName"])
                .filter(|d| c["name"].as_str() != Some(d.as_str())),
            data_type: text(&c["dataType"]).unwrap_or_default(),
            display_type: text(&c["dataTypeDisplay"])
                .unwrap_or_else(|| text(&c["dataType"]).unwrap_or_default().to_lowercase()),
            presence: None,
            types: BTreeMap::new(),
            children: columns(&c["children"]),
        })
        .collect()
}

/// Presence and type counts from `dynamodbTable.attributes`, by path (list levels `[]`
/// left out, as the column tree has no level for them).
type Presence = BTreeMap<Vec<String>, (f64, BTreeMap<String, u64>)>;

fn presence(attributes: &Value) -> Presence {
    let mut out = Presence::new();
    for a in attributes.as_array().into_iter().flatten() {
        let path: Vec<String> = a["path"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(text)
            .filter(|s| s != "[]")
            .collect();
        let types = a["types"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(p) = a["presence"].as_f64() {
            out.entry(path).or_insert((p, types));
        }
    }
    out
}

/// Sets presence and type counts on the column tree. A column's attribute name is its
/// `displayName` when OpenMetadata's name had to be made safe, else its name.
fn with_presence(cols: &mut [Column], originals: &Value, presence: &Presence, prefix: &[String]) {
    for (i, c) in cols.iter_mut().enumerate() {
        let original = &originals[i];
        let attribute = text(&original["displayName"]).unwrap_or_else(|| c.name.clone());
        let mut path = prefix.to_vec();
        path.push(attribute);
        if let Some((p, types)) = presence.get(&path) {
            c.presence = Some(*p);
            c.types = types.clone();
        }
        with_presence(&mut c.children, &original["children"], presence, &path);
    }
}

fn keys(props: &Value) -> Vec<KeyAttr> {
    let mut out = Vec::new();
    for (field, role) in [("hashKey", "HASH"), ("rangeKey", "RANGE")] {
        if let Some(k) = props.get(field).filter(|k| k.is_object()) {
            out.push(KeyAttr {
                name: text(&k["name"]).unwrap_or_default(),
                role: role.to_string(),
                attribute_type: text(&k["attributeType"]).unwrap_or_default(),
            });
        }
    }
    out
}

fn indexes(props: &Value) -> Vec<IndexDef> {
    let mut out = Vec::new();
    for (field, kind) in [
        ("globalSecondaryIndexes", "GSI"),
        ("localSecondaryIndexes", "LSI"),
    ] {
        for i in props[field].as_array().into_iter().flatten() {
            let mut projection = text(&i["projection"]);
            let extra: Vec<String> = i["nonKeyAttributes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(text)
                .collect();
            if !extra.is_empty() {
                projection = projection.map(|p| format!("{p} ({})", extra.join(", ")));
            }
            out.push(IndexDef {
                name: text(&i["name"]).unwrap_or_default(),
                kind: kind.to_string(),
                hash_key: text(&i["hashKey"]),
                range_key: text(&i["rangeKey"]),
                projection,
            });
        }
    }
    out
}

/// TTL as text: `enabled on expiresAt`, `disabled`; `None` when it could not be read.
fn ttl(props: &Value) -> Option<String> {
    let t = props.get("ttl")?;
    let status = text(&t["status"])?.to_lowercase();
    Some(match text(&t["attribute"]) {
        Some(a) if status != "disabled" => format!("{status} on {a}"),
        _ => status,
    })
}

/// Stream as text: the view type when on, `disabled` when off.
fn stream(props: &Value) -> Option<String> {
    match props.get("stream") {
        None if props
            .get("unavailable")
            .is_some_and(|u| u.get("stream").is_some()) =>
        {
            None
        }
        None => Some("disabled".to_string()),
        Some(s) if s["enabled"] == true => {
            Some(text(&s["viewType"]).unwrap_or_else(|| "enabled".to_string()))
        }
        Some(_) => Some("disabled".to_string()),
    }
}

/// The properties shown as they are: what DynamoDB told, minus what has its own field.
fn other_properties(props: &Value) -> Value {
    let mut out = serde_json::Map::new();
    if let Value::Object(m) = props {
        for (k, v) in m {
            let own = [
                "name",
                "hashKey",
                "rangeKey",
                "attributeDefinitions",
                "globalSecondaryIndexes",
                "localSecondaryIndexes",
                "billingMode",
                "itemCount",
                "sizeBytes",
                "ttl",
                "stream",
            ];
            if !own.contains(&k.as_str()) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

impl Mapper {
    /// Maps one record (as JSON); returns what is complete.
    pub fn record(&mut self, rec: &Value) -> Vec<Item> {
        let table = || text(&rec["table"]).map(|t| table_ref(&t));
        match rec["kind"].as_str().unwrap_or_default() {
            "tableListing" => vec![Item::Listing {
                schema_fqn: text(&rec["schema"]).unwrap_or_default(),
                tables: rec["tables"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(text)
                    .collect(),
            }],
            "createTable" => {
                let p = &rec["payload"];
                let fqn = format!(
                    "{}.{}",
                    text(&p["databaseSchema"]).unwrap_or_default(),
                    fqn::quote(p["name"].as_str().unwrap_or_default())
                );
                // The original columns stay beside ours: their displayName is the
                // attribute name presence is keyed by.
                self.pending.entry(fqn.clone()).or_default().columns =
                    Some((columns(&p["columns"]), p["columns"].clone()));
                self.complete(&fqn)
            }
            "dynamodbTable" => {
                let Some(fqn) = text(&rec["table"]) else {
                    return vec![];
                };
                self.pending.entry(fqn.clone()).or_default().facts = Some(rec.clone());
                self.complete(&fqn)
            }
            "createTableProfile" => table()
                .map(|t| {
                    vec![Item::Profile(TableProfile {
                        table: t,
                        table_profile: rec["payload"]["tableProfile"].clone(),
                        columns: rec["payload"]["columnProfile"].clone(),
                        details: rec["dynamodb"].clone(),
                    })]
                })
                .unwrap_or_default(),
            "columnTags" => table()
                .map(|t| {
                    let tags = rec["payload"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| {
                            Some(PiiTag {
                                column: column_path(&t, c["column"].as_str()?),
                                tag: text(&c["tags"][0]["tagFQN"])?,
                                recognizer: text(&c["recognizer"]).unwrap_or_default(),
                                confidence: c["confidence"].as_f64().unwrap_or(0.0),
                            })
                        })
                        .collect();
                    vec![Item::Tags(t, tags)]
                })
                .unwrap_or_default(),
            "sampleData" => table()
                .map(|t| {
                    let p = &rec["payload"];
                    vec![Item::Sample(
                        t,
                        Sample {
                            columns: p["columns"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(|c| text(c).unwrap_or_else(|| c.to_string()))
                                .collect(),
                            rows: p["rows"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(|r| r.as_array().cloned().unwrap_or_default())
                                .collect(),
                        },
                    )]
                })
                .unwrap_or_default(),
            _ => vec![],
        }
    }

    /// A snapshot when both halves of table `fqn` are in.
    fn complete(&mut self, fqn: &str) -> Vec<Item> {
        let ready = self
            .pending
            .get(fqn)
            .is_some_and(|p| p.columns.is_some() && p.facts.is_some());
        if !ready {
            return vec![];
        }
        match self.pending.remove(fqn) {
            Some(p) => vec![Item::Snapshot(snapshot(fqn, p))],
            None => vec![],
        }
    }

    /// Whatever is left half-done (a table whose other record never came) is written
    /// with what is known.
    pub fn flush(&mut self) -> Vec<Item> {
        std::mem::take(&mut self.pending)
            .into_iter()
            .filter(|(_, p)| p.columns.is_some())
            .map(|(fqn, p)| Item::Snapshot(snapshot(&fqn, p)))
            .collect()
    }
}

fn snapshot(fqn: &str, p: Pending) -> TableSnapshot {
    let facts = p.facts.unwrap_or(Value::Null);
    let props = &facts["properties"];
    let (mut cols, originals) = p.columns.unwrap_or_default();
    with_presence(&mut cols, &originals, &presence(&facts["attributes"]), &[]);
    TableSnapshot {
        table: table_ref(fqn),
        keys: keys(props),
        indexes: indexes(props),
        billing: text(&props["billingMode"]),
        item_count: props["itemCount"].as_i64(),
        size_bytes: props["sizeBytes"].as_i64(),
        ttl: ttl(props),
        stream: if props.is_object() {
            stream(props)
        } else {
            None
        },
        properties: with_owner(other_properties(props), &facts["owner"]),
        columns: cols,
    }
}

/// The declared owner (`owner` of the `dynamodbTable` record) kept with the snapshot's
/// properties as `declaredOwner` (`dynameta_catalog::DECLARED_OWNER`), so that it has
/// history and `diff` names its changes.
fn with_owner(mut properties: Value, owner: &Value) -> Value {
    if let (Value::Object(m), Value::Object(_)) = (&mut properties, owner) {
        m.insert(dynameta_catalog::DECLARED_OWNER.to_string(), owner.clone());
    }
    properties
}

/// `dynameta show TABLE --from out.jsonl`: the table's view from a file sink's output
/// (an ingest output, optionally with classify's tags in the same or another run).
pub fn view_from_jsonl(path: &Path, table: &str) -> Result<TableView, String> {
    // A FIFO or a device is refused without blocking (dynameta_fs::input).
    let file = dynameta_fs::input::open(path, "show --from file").map_err(|e| {
        format!("{e}. Give the JSON Lines file an ingest run wrote (sink: {{type: file}}).")
    })?;
    let mut mapper = Mapper::default();
    let mut snapshot = None;
    let mut tags = Vec::new();
    let wanted = |t: &TableRef| t.name == table || t.fqn == table;
    // Names it might have meant (`Orders` for `orders`), gathered as the file is read.
    let mut close = crate::source::CloseNames::new(table);
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let rec: Value = serde_json::from_str(&line).map_err(|e| {
            format!(
                "{} line {}: not a JSON record ({e}); is this a dynameta file sink output?",
                path.display(),
                n + 1
            )
        })?;
        for item in mapper.record(&rec) {
            if let Item::Snapshot(s) = &item {
                close.offer(&s.table.name);
            }
            match item {
                Item::Snapshot(s) if wanted(&s.table) => snapshot = Some(s),
                Item::Tags(t, found) if wanted(&t) => tags = found,
                _ => {}
            }
        }
    }
    for item in mapper.flush() {
        if let Item::Snapshot(s) = item {
            close.offer(&s.table.name);
            if snapshot.is_none() && wanted(&s.table) {
                snapshot = Some(s);
            }
        }
    }
    let snapshot = snapshot.ok_or_else(|| match close.hint() {
        Some(hint) => format!(
            "no table `{}` in {}: {hint}",
            table.escape_debug(),
            path.display()
        ),
        None => format!(
            "no table `{table}` in {} (it holds no createTable record for it)",
            path.display()
        ),
    })?;
    Ok(TableView {
        snapshot,
        version: None,
        tags,
        profile: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    proptest! {
        /// Any table FQN built by OpenMetadata's rules reads back as its parts.
        #[test]
        fn table_ref_reads_back_built_fqns(
            parts in prop::collection::vec("[a-z_.]{1,8}", 4)
                .prop_filter("no empty part after quoting", |p| p.iter().all(|x| !x.is_empty()))
        ) {
            let fqn = fqn::build(&[&parts[0], &parts[1], &parts[2], &parts[3]]);
            let t = table_ref(&fqn);
            prop_assert_eq!((t.service, t.database, t.schema, t.name), (parts[0].clone(), parts[1].clone(), parts[2].clone(), parts[3].clone()));
            prop_assert_eq!(t.fqn, fqn);
        }
    }

    #[test]
    fn a_snapshot_joins_create_table_and_dynamodb_table_in_either_order() {
        let create = json!({"kind": "createTable", "payload": {"name": "t", "databaseSchema": "s.d.x",
            "columns": [{"name": "id", "dataType": "STRING", "dataTypeDisplay": "string"},
                        {"name": "a_b", "displayName": "a::b", "dataType": "STRUCT", "dataTypeDisplay": "map<c:bigint>",
                         "children": [{"name": "c", "dataType": "BIGINT", "dataTypeDisplay": "bigint"}]}]}});
        let facts = json!({"kind": "dynamodbTable", "table": "s.d.x.t", "properties": {
            "hashKey": {"name": "id", "attributeType": "S"}, "billingMode": "PAY_PER_REQUEST",
            "ttl": {"status": "ENABLED", "attribute": "exp"}, "stream": {"enabled": true, "viewType": "KEYS_ONLY"},
            "globalSecondaryIndexes": [{"name": "g", "hashKey": "id", "projection": "INCLUDE", "nonKeyAttributes": ["x"]}],
            "tableClass": "STANDARD"},
            "attributes": [{"path": ["id"], "presence": 1.0, "types": {"S": 3}},
                           {"path": ["a::b"], "presence": 0.5, "types": {"M": 2}},
                           {"path": ["a::b", "c"], "presence": 1.0, "types": {"N": 2}}]});
        for order in [[&create, &facts], [&facts, &create]] {
            let mut m = Mapper::default();
            assert!(m.record(order[0]).is_empty());
            let items = m.record(order[1]);
            let [Item::Snapshot(s)] = items.as_slice() else {
                panic!("{items:?}")
            };
            assert_eq!(s.table.name, "t");
            assert_eq!(s.keys[0].name, "id");
            assert_eq!(s.indexes[0].projection.as_deref(), Some("INCLUDE (x)"));
            assert_eq!(s.ttl.as_deref(), Some("enabled on exp"));
            assert_eq!(s.stream.as_deref(), Some("KEYS_ONLY"));
            assert_eq!(s.columns[1].presence, Some(0.5));
            // The attribute as written is kept beside OpenMetadata's name.
            assert_eq!(s.columns[1].original_name.as_deref(), Some("a::b"));
            assert_eq!(s.columns[0].original_name, None);
            assert_eq!(s.columns[1].children[0].presence, Some(1.0));
            assert_eq!(s.properties, json!({"tableClass": "STANDARD"}));
            assert!(m.flush().is_empty());
        }
    }
}
