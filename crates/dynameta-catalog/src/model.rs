//! The catalog's own plain types: what a writer hands in and what the read side gives
//! back. They know nothing of dynameta's records; dynameta's `local` sink maps onto them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Which table: the OpenMetadata FQN and its parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TableRef {
    /// `service.database.schema.table` (dotted parts quoted, as OpenMetadata does).
    pub fqn: String,
    /// Database service name.
    pub service: String,
    /// Database name.
    pub database: String,
    /// Schema name.
    pub schema: String,
    /// DynamoDB table name.
    pub name: String,
}

impl TableRef {
    /// The schema's FQN (the FQN without the table).
    pub fn schema_fqn(&self) -> String {
        [&self.service, &self.database, &self.schema]
            .iter()
            .map(|p| quote(p))
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// Quotes one FQN part as OpenMetadata does (a part with a dot is wrapped in quotes).
pub fn quote(part: &str) -> String {
    if part.contains('.') {
        format!("\"{part}\"")
    } else {
        part.to_string()
    }
}

/// A key attribute of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttr {
    /// Attribute name.
    pub name: String,
    /// `HASH` (partition) or `RANGE` (sort).
    pub role: String,
    /// `S`, `N` or `B`.
    pub attribute_type: String,
}

/// A secondary index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexDef {
    /// Index name.
    pub name: String,
    /// `GSI` or `LSI`.
    pub kind: String,
    /// Partition key attribute.
    pub hash_key: Option<String>,
    /// Sort key attribute.
    pub range_key: Option<String>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE` (with the attributes).
    pub projection: Option<String>,
}

/// A column of the inferred schema, with its nested fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Column name as OpenMetadata stores it (the attribute name, or its safe form:
    /// `a__reserved__colon__b` for `a::b`, see `original_name`).
    pub name: String,
    /// The attribute name as written in DynamoDB, when `name` had to be made safe for
    /// OpenMetadata (its `displayName`); `None` when they are the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_name: Option<String>,
    /// OpenMetadata data type (`STRING`, `STRUCT`, ...).
    pub data_type: String,
    /// Readable type (`map<city:string>`).
    pub display_type: String,
    /// Share of the parent values that had it (0–1), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<f64>,
    /// Values seen per DynamoDB type (`S`: 10), when known.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub types: BTreeMap<String, u64>,
    /// Nested fields (map fields, fields of a list of maps).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Column>,
}

/// What an ingest run saw of one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableSnapshot {
    /// Which table.
    pub table: TableRef,
    /// Partition and sort key.
    pub keys: Vec<KeyAttr>,
    /// Global and local secondary indexes.
    pub indexes: Vec<IndexDef>,
    /// `PROVISIONED` or `PAY_PER_REQUEST`.
    pub billing: Option<String>,
    /// Approximate item count.
    pub item_count: Option<i64>,
    /// Approximate size in bytes.
    pub size_bytes: Option<i64>,
    /// TTL: `enabled on expiresAt`, `disabled`, ... (`None`: unknown).
    pub ttl: Option<String>,
    /// Stream: `NEW_AND_OLD_IMAGES`, `disabled`, ... (`None`: unknown).
    pub stream: Option<String>,
    /// Everything else DynamoDB told (shown as is).
    pub properties: serde_json::Value,
    /// The inferred column tree.
    pub columns: Vec<Column>,
}

/// The key of [`TableSnapshot::properties`] holding the table's declared owner
/// (`{"names": [...], "from": "ownerConfig.table"}`): what the workflow's `ownerConfig`
/// or the owner AWS tag names, not resolved to an OpenMetadata user or team.
pub const DECLARED_OWNER: &str = "declaredOwner";

/// A table's declared owner (see [`DECLARED_OWNER`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredOwner {
    /// User or team names (or e-mails), in order.
    pub names: Vec<String>,
    /// Where they came from: `ownerConfig.table`, `ownerConfig.default`, `AWS tag owner`...
    pub from: String,
}

impl DeclaredOwner {
    /// `ann, bob (ownerConfig.table)`.
    pub fn text(&self) -> String {
        format!("{} ({})", self.names.join(", "), self.from)
    }
}

impl TableSnapshot {
    /// The declared owner kept with the snapshot, if one was declared (a malformed
    /// value reads as none: the catalog never fails on what it shows).
    pub fn declared_owner(&self) -> Option<DeclaredOwner> {
        let o = self.properties.get(DECLARED_OWNER)?;
        let names: Vec<String> = o
            .get("names")?
            .as_array()?
            .iter()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect();
        if names.is_empty() {
            return None;
        }
        Some(DeclaredOwner {
            names,
            from: o
                .get("from")
                .and_then(|f| f.as_str())
                .unwrap_or("unknown")
                .to_string(),
        })
    }
}

/// A profile run's statistics of one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableProfile {
    /// Which table.
    pub table: TableRef,
    /// OpenMetadata's table profile (`rowCount`, `columnCount`, `sizeInByte`, ...).
    pub table_profile: dynameta_openmetadata::TableProfile,
    /// OpenMetadata's column profiles (`name`, `valuesCount`, `histogram`,
    /// `cardinalityDistribution`, ...), one per column.
    pub columns: Vec<dynameta_openmetadata::ColumnProfile>,
    /// dynameta's fuller statistics (sampling, exact values), shown as is.
    pub details: serde_json::Value,
}

/// A PII tag on a column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PiiTag {
    /// Column path inside the table (`address.city`).
    pub column: String,
    /// `PII.Sensitive` or `PII.NonSensitive`.
    pub tag: String,
    /// Recognizer that decided.
    pub recognizer: String,
    /// Its confidence, 0–100.
    pub confidence: f64,
}

/// Sample rows of a table, already masked by whoever produced them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, one value per column.
    pub rows: Vec<Vec<serde_json::Value>>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Not finished: still going, or killed.
    Running,
    /// Finished with exit 0: its data is the catalog's state.
    Succeeded,
    /// Finished with failures: kept as history, never as state.
    Failed,
    /// Stopped by a signal.
    Stopped,
}

impl RunStatus {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Stopped => "stopped",
        }
    }

    pub(crate) fn parse(text: &str) -> RunStatus {
        match text {
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "stopped" => RunStatus::Stopped,
            _ => RunStatus::Running,
        }
    }
}

/// A recorded run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Run id (increasing).
    pub id: i64,
    /// `ingest`, `profile` or `classify`.
    pub command: String,
    /// Database service the run read.
    pub service: String,
    /// Start, RFC 3339 UTC.
    pub started_at: String,
    /// End, when it ended.
    pub finished_at: Option<String>,
    /// How it ended.
    pub status: RunStatus,
    /// dynameta version that ran.
    pub tool_version: String,
    /// The run summary (JSON), when it ended.
    pub summary: Option<serde_json::Value>,
}
