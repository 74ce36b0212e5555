//! Records to the catalog's plain types, read field by field from the typed records (the
//! same whether they come from a run or from a file sink's lines read back). A table's
//! snapshot joins two records: `createTable` (the columns) and `dynamodbTable` (keys,
//! indexes, properties, and each attribute path's presence and types).

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use dynameta_catalog::show::TableView;
use dynameta_catalog::{
    Column, IndexDef, KeyAttr, PiiTag, Sample, TableProfile, TableRef, TableSnapshot,
};
use serde_json::Value;

use crate::openmetadata::{self as om, fqn};
use crate::processors::aws_tags::OwnerCandidate;
use crate::processors::inference::AttributeSummary;
use crate::sinks::Record;
use crate::source::TableDescription;

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

/// The `dynamodbTable` half of a snapshot.
#[derive(Debug)]
struct Facts {
    properties: TableDescription,
    attributes: Vec<AttributeSummary>,
    owner: Option<OwnerCandidate>,
}

/// Half of a snapshot, waiting for the other record of its table.
#[derive(Debug, Default)]
struct Pending {
    /// The `createTable` columns.
    columns: Option<Vec<om::Column>>,
    /// The `dynamodbTable` record.
    facts: Option<Facts>,
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

/// OpenMetadata columns (`createTable.columns`) to catalog columns. A column whose
/// attribute name had to be made safe for OpenMetadata (`a::b` → `a__reserved__colon__b`)
/// carries the attribute name in `displayName`: it is kept, so the report and `show`
/// name the attribute as people wrote it.
fn columns(cols: &[om::Column]) -> Vec<Column> {
    cols.iter()
        .map(|c| Column {
            name: c.name.clone(),
            original_name: c.display_name.clone().filter(|d| *d != c.name),
            data_type: c.data_type.name().to_string(),
            display_type: c
                .data_type_display
                .clone()
                .unwrap_or_else(|| c.data_type.name().to_lowercase()),
            presence: None,
            types: BTreeMap::new(),
            children: columns(c.children.as_deref().unwrap_or_default()),
        })
        .collect()
}

/// Presence and type counts from `dynamodbTable.attributes`, by path (list levels `[]`
/// left out, as the column tree has no level for them).
type Presence = BTreeMap<Vec<String>, (f64, BTreeMap<String, u64>)>;

fn presence(attributes: &[AttributeSummary]) -> Presence {
    let mut out = Presence::new();
    for a in attributes {
        let path: Vec<String> = a.path.iter().filter(|s| *s != "[]").cloned().collect();
        out.entry(path).or_insert((a.presence, a.types.clone()));
    }
    out
}

/// Sets presence and type counts on the column tree. A column's attribute name is its
/// `displayName` when OpenMetadata's name had to be made safe, else its name.
fn with_presence(
    cols: &mut [Column],
    originals: &[om::Column],
    presence: &Presence,
    prefix: &[String],
) {
    for (i, c) in cols.iter_mut().enumerate() {
        let original = originals.get(i);
        let attribute = original
            .and_then(|o| o.display_name.clone())
            .unwrap_or_else(|| c.name.clone());
        let mut path = prefix.to_vec();
        path.push(attribute);
        if let Some((p, types)) = presence.get(&path) {
            c.presence = Some(*p);
            c.types = types.clone();
        }
        let children = original.and_then(|o| o.children.as_deref());
        with_presence(
            &mut c.children,
            children.unwrap_or_default(),
            presence,
            &path,
        );
    }
}

fn keys(props: &TableDescription) -> Vec<KeyAttr> {
    [(&props.hash_key, "HASH"), (&props.range_key, "RANGE")]
        .into_iter()
        .filter_map(|(k, role)| {
            k.as_ref().map(|k| KeyAttr {
                name: k.name.clone(),
                role: role.to_string(),
                attribute_type: k.attribute_type.clone(),
            })
        })
        .collect()
}

fn indexes(props: &TableDescription) -> Vec<IndexDef> {
    let global = props.global_secondary_indexes.iter().map(|i| (i, "GSI"));
    let local = props.local_secondary_indexes.iter().map(|i| (i, "LSI"));
    global
        .chain(local)
        .map(|(i, kind)| {
            let projection = i.projection.clone().map(|p| {
                if i.non_key_attributes.is_empty() {
                    p
                } else {
                    format!("{p} ({})", i.non_key_attributes.join(", "))
                }
            });
            IndexDef {
                name: i.name.clone(),
                kind: kind.to_string(),
                hash_key: i.hash_key.clone(),
                range_key: i.range_key.clone(),
                projection,
            }
        })
        .collect()
}

/// TTL as text: `enabled on expiresAt`, `disabled`; `None` when it could not be read.
fn ttl(props: &TableDescription) -> Option<String> {
    let t = props.ttl.as_ref()?;
    let status = t.status.to_lowercase();
    Some(match &t.attribute {
        Some(a) if status != "disabled" => format!("{status} on {a}"),
        _ => status,
    })
}

/// Stream as text: the view type when on, `disabled` when off; `None` when it could
/// not be read.
fn stream(props: &TableDescription) -> Option<String> {
    match &props.stream {
        None if props.unavailable.contains_key("stream") => None,
        None => Some("disabled".to_string()),
        Some(s) if s.enabled => Some(s.view_type.clone().unwrap_or_else(|| "enabled".to_string())),
        Some(_) => Some("disabled".to_string()),
    }
}

/// The properties shown as they are: what DynamoDB told, minus what has its own field
/// in the snapshot. The catalog keeps them as free-form JSON (its own type), so the
/// description is written out here, once, and the fields shown elsewhere left out.
fn other_properties(props: &TableDescription) -> Value {
    const OWN: [&str; 11] = [
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
    match serde_json::to_value(props) {
        Ok(Value::Object(mut m)) => {
            m.retain(|k, _| !OWN.contains(&k.as_str()));
            Value::Object(m)
        }
        _ => Value::Object(serde_json::Map::new()),
    }
}

/// A typed value as the catalog's free-form JSON.
fn json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl Mapper {
    /// Maps one record; returns what is complete. A new record kind is one arm here.
    pub fn record(&mut self, record: &Record) -> Vec<Item> {
        match record {
            Record::TableListing { schema, tables } => vec![Item::Listing {
                schema_fqn: schema.clone(),
                tables: tables.clone(),
            }],
            Record::CreateTable { payload } => {
                let fqn = format!("{}.{}", payload.database_schema, fqn::quote(&payload.name));
                // The original columns are kept until the snapshot is built: their
                // displayName is the attribute name presence is keyed by.
                self.pending.entry(fqn.clone()).or_default().columns =
                    Some(payload.columns.clone());
                self.complete(&fqn)
            }
            Record::DynamodbTable {
                table,
                properties,
                attributes,
                owner,
                ..
            } => {
                self.pending.entry(table.clone()).or_default().facts = Some(Facts {
                    properties: (**properties).clone(),
                    attributes: attributes.clone(),
                    owner: owner.clone(),
                });
                self.complete(table)
            }
            Record::CreateTableProfile {
                table,
                payload,
                dynamodb,
            } => vec![Item::Profile(TableProfile {
                table: table_ref(table),
                table_profile: payload.table_profile.clone(),
                columns: payload.column_profile.clone(),
                details: json(dynamodb),
            })],
            Record::ColumnTags { table, payload } => {
                let t = table_ref(table);
                let tags = payload
                    .iter()
                    .filter_map(|c| {
                        Some(PiiTag {
                            column: column_path(&t, &c.column),
                            tag: c.tags.first()?.tag_fqn.clone(),
                            recognizer: c.recognizer.clone(),
                            confidence: c.confidence,
                        })
                    })
                    .collect();
                vec![Item::Tags(t, tags)]
            }
            Record::SampleData { table, payload } => vec![Item::Sample(
                table_ref(table),
                Sample {
                    columns: payload.columns.clone(),
                    rows: payload.rows.clone(),
                },
            )],
            // Nothing for the catalog: the OpenMetadata service request (the catalog
            // names the service by the run), databases and schemas (in the FQNs), and a
            // partial profile's state (only the state sink takes it).
            Record::CreateDatabaseService { .. }
            | Record::CreateDatabase { .. }
            | Record::CreateDatabaseSchema { .. }
            | Record::ProfileState(_)
            // Lineage and usage have their own tables (`sinks/local/lineage.rs`).
            | Record::TableLineage { .. }
            | Record::TableUsage { .. }
            | Record::TestCaseResult { .. } => vec![],
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
    let originals = p.columns.unwrap_or_default();
    let mut cols = columns(&originals);
    let Some(facts) = p.facts else {
        // Columns alone: no keys, indexes or properties are known.
        return TableSnapshot {
            table: table_ref(fqn),
            keys: vec![],
            indexes: vec![],
            billing: None,
            item_count: None,
            size_bytes: None,
            ttl: None,
            stream: None,
            properties: Value::Object(serde_json::Map::new()),
            columns: cols,
        };
    };
    let props = &facts.properties;
    with_presence(&mut cols, &originals, &presence(&facts.attributes), &[]);
    TableSnapshot {
        table: table_ref(fqn),
        keys: keys(props),
        indexes: indexes(props),
        billing: props.billing_mode.clone(),
        item_count: props.item_count,
        size_bytes: props.size_bytes,
        ttl: ttl(props),
        stream: stream(props),
        properties: with_owner(other_properties(props), facts.owner.as_ref()),
        columns: cols,
    }
}

/// The declared owner (`owner` of the `dynamodbTable` record) kept with the snapshot's
/// properties as `declaredOwner` (`dynameta_catalog::DECLARED_OWNER`), so that it has
/// history and `diff` names its changes.
fn with_owner(mut properties: Value, owner: Option<&OwnerCandidate>) -> Value {
    if let (Value::Object(m), Some(owner)) = (&mut properties, owner) {
        m.insert(dynameta_catalog::DECLARED_OWNER.to_string(), json(owner));
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
        let value: Value = serde_json::from_str(&line).map_err(|e| {
            format!(
                "{} line {}: not a JSON record ({e}); is this a dynameta file sink output?",
                path.display(),
                n + 1
            )
        })?;
        let Some(rec) = record_of(value).map_err(|e| {
            format!(
                "{} line {}: not a record dynameta writes ({e}); is this a dynameta file sink output?",
                path.display(),
                n + 1
            )
        })?
        else {
            continue;
        };
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

/// A line of a records file as its typed record; `None` for a kind this version does not
/// know (a newer dynameta's, or a script's own), which `show` skips as it always has.
fn record_of(value: Value) -> Result<Option<Record>, serde_json::Error> {
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .map(str::to_string);
    match serde_json::from_value::<Record>(value) {
        Ok(record) => Ok(Some(record)),
        // serde names an unknown tag "unknown variant `x`"; a known kind with broken
        // fields is an error.
        Err(e)
            if kind
                .as_deref()
                .is_some_and(|k| e.to_string().starts_with(&format!("unknown variant `{k}`"))) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
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
        let create = json!({"kind": "createTable", "payload": {"name": "t", "tableType": "Regular", "databaseSchema": "s.d.x",
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
        let record = |v: &Value| serde_json::from_value::<Record>(v.clone()).unwrap();
        let (create, facts) = (record(&create), record(&facts));
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

    /// `show --from` reads the typed records: a line of a kind dynameta writes whose
    /// fields do not fit it is refused with its line (the JSON walk read such a line as
    /// empty fields), and a kind this version does not know is skipped as before.
    #[test]
    fn show_from_refuses_a_broken_record_and_skips_unknown_kinds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let good = concat!(
            r#"{"kind":"aKindOfLater","anything":1}"#,
            "\n",
            r#"{"kind":"createTable","payload":{"name":"t","tableType":"Regular","columns":[{"name":"id","dataType":"STRING"}],"databaseSchema":"s.d.x"}}"#,
            "\n",
            r#"{"kind":"dynamodbTable","table":"s.d.x.t","properties":{"hashKey":{"name":"id","attributeType":"S"}}}"#,
            "\n"
        );
        std::fs::write(&path, good).unwrap();
        let view = view_from_jsonl(&path, "t").unwrap();
        assert_eq!(view.snapshot.keys[0].name, "id");
        assert_eq!(view.snapshot.columns[0].display_type, "string");

        let broken = format!(
            "{good}{}\n",
            r#"{"kind":"createTableProfile","table":"s.d.x.t","payload":{"tableProfile":{"timestamp":"yesterday"},"columnProfile":[]},"dynamodb":{}}"#
        );
        std::fs::write(&path, broken).unwrap();
        let err = view_from_jsonl(&path, "t").unwrap_err();
        assert!(
            err.contains("out.jsonl line 4: not a record dynameta writes"),
            "{err}"
        );
    }
}
