//! Create-request bodies (`PUT /api/v1/...`) as OpenMetadata 2.0.7 defines them.
//! Only the fields dynameta fills are modelled; `None` fields are left out.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// OpenMetadata column data types dynameta emits (a subset of `DataType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DataType {
    /// DynamoDB S.
    String,
    /// DynamoDB N holding only integers of up to 18 digits.
    Bigint,
    /// DynamoDB N with fractions or more digits.
    Decimal,
    /// DynamoDB N where the values are unknown (key of an empty table) or in a set.
    Number,
    /// DynamoDB B. Not `BINARY`: OpenMetadata requires a `dataLength` for BINARY
    /// (`DatabaseUtil.validateColumnDataLength`), and DynamoDB binaries have none; its
    /// own DynamoDB connector types B as BYTES too.
    Bytes,
    /// DynamoDB BOOL.
    Boolean,
    /// DynamoDB NULL seen alone.
    Null,
    /// DynamoDB SS / NS / BS.
    Set,
    /// DynamoDB L.
    Array,
    /// DynamoDB M with fields seen.
    Struct,
    /// DynamoDB M that was always empty: OpenMetadata refuses a STRUCT without
    /// `children` (`DatabaseUtil.validateStructColumn`), and no field is known.
    Map,
    /// Several DynamoDB types at one attribute.
    Union,
    /// Nothing observed (an always-empty list).
    Unknown,
}

/// `Column`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Column {
    /// Column name (the attribute name, made safe for OpenMetadata).
    pub name: String,
    /// The original attribute name when `name` had to differ from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// OpenMetadata type.
    pub data_type: DataType,
    /// Element type of an ARRAY (OpenMetadata drops it from any other type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub array_data_type: Option<DataType>,
    /// Readable full type, e.g. `list<map<id:string>>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_type_display: Option<String>,
    /// Column description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Column-level constraint (`PRIMARY_KEY`, `NOT_NULL`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    /// Total digits of a DECIMAL column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<u32>,
    /// Fraction digits of a DECIMAL column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
    /// 1-based position among its siblings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordinal_position: Option<u32>,
    /// JSON Schema of a STRUCT column (with `extractJsonSchema`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<String>,
    /// Nested columns of STRUCT (or ARRAY of STRUCT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<Column>>,
    /// Tags (PII classification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Value>>,
}

/// `TableConstraint`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableConstraint {
    /// `PRIMARY_KEY` or `SORT_KEY`.
    pub constraint_type: String,
    /// Column names.
    pub columns: Vec<String>,
}

/// `CreateDatabaseServiceRequest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDatabaseService {
    /// Service name.
    pub name: String,
    /// Always `DynamoDB`.
    pub service_type: String,
    /// Service description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `{"config": DynamoDBConnection}` without secrets.
    pub connection: Value,
}

/// `CreateDatabaseRequest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDatabase {
    /// Database name (`default` unless `databaseName` is set).
    pub name: String,
    /// Service FQN.
    pub service: String,
    /// Description: set only when walking several accounts (the account's id and
    /// alias); absent otherwise, so the single-pair output is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Content hash for change detection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_hash: Option<String>,
}

/// `CreateDatabaseSchemaRequest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDatabaseSchema {
    /// Schema name (`default`).
    pub name: String,
    /// Database FQN.
    pub database: String,
    /// Content hash for change detection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_hash: Option<String>,
}

/// `CreateTableRequest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTable {
    /// Table name.
    pub name: String,
    /// Table description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Always `Regular`.
    pub table_type: String,
    /// Inferred columns, keys first.
    pub columns: Vec<Column>,
    /// Key constraints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_constraints: Option<Vec<TableConstraint>>,
    /// Schema FQN.
    pub database_schema: String,
    /// AWS console URL of the table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    /// Table tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Value>>,
    /// Content hash for change detection (≤ 32 chars).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_hash: Option<String>,
}

/// A 32-hex-digit content hash of a payload (FNV-1a 128), for `sourceHash`.
pub fn source_hash(value: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut hash = OFFSET;
    for b in bytes {
        hash ^= u128::from(b);
        hash = hash.wrapping_mul(PRIME);
    }
    format!("{hash:032x}")
}
