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

impl DataType {
    /// The name OpenMetadata gives the type (as serialized: `STRING`, `BIGINT`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DataType::String => "STRING",
            DataType::Bigint => "BIGINT",
            DataType::Decimal => "DECIMAL",
            DataType::Number => "NUMBER",
            DataType::Bytes => "BYTES",
            DataType::Boolean => "BOOLEAN",
            DataType::Null => "NULL",
            DataType::Set => "SET",
            DataType::Array => "ARRAY",
            DataType::Struct => "STRUCT",
            DataType::Map => "MAP",
            DataType::Union => "UNION",
            DataType::Unknown => "UNKNOWN",
        }
    }
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
    pub tags: Option<Vec<crate::TagLabel>>,
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
    /// Table tags (AWS tags as labels).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<crate::TagLabel>>,
    /// Content hash for change detection (≤ 32 chars).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_hash: Option<String>,
}

/// `CreateTableProfileRequest` (`PUT /api/v1/tables/{id}/tableProfile`): the table's
/// profile and its columns'. Fields in the order dynameta has always written them (the
/// file sink's lines and the REST bodies stay byte-identical).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTableProfile {
    /// The table-level profile.
    pub table_profile: TableProfile,
    /// One profile per top-level column (empty with `computeColumnMetrics: false`).
    pub column_profile: Vec<ColumnProfile>,
}

/// `TableProfile`. Only `timestamp` is always there: the rest is left out with
/// `computeTableMetrics: false`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableProfile {
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    /// Rows: counted, or estimated from the sample (a whole number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_count: Option<f64>,
    /// Attributes seen (at least the keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column_count: Option<u64>,
    /// DescribeTable's size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_in_byte: Option<i64>,
    /// The table's creation time as DynamoDB gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date_time: Option<String>,
    /// `profileSample` (percent or rows), when sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_sample: Option<f64>,
    /// `PERCENTAGE` or `ROWS`, when sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_sample_type: Option<String>,
}

/// `ColumnProfile` of one top-level column. A metric not computed (`metrics` left it
/// out, or the column has no numbers) is absent, never `null`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnProfile {
    /// Values that were not NULL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values_count: Option<u64>,
    /// `valuesCount` as a percentage of the rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values_percentage: Option<f64>,
    /// Rows where the attribute is missing or NULL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null_count: Option<u64>,
    /// `nullCount` as a share of the rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null_proportion: Option<f64>,
    /// Rows without the attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_count: Option<u64>,
    /// `missingCount` as a percentage of the rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_percentage: Option<f64>,
    /// Distinct non-null values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct_count: Option<u64>,
    /// `distinctCount` as a share of the values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct_proportion: Option<f64>,
    /// Values held by exactly one item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_count: Option<u64>,
    /// `uniqueCount` as a share of the values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_proportion: Option<f64>,
    /// Values minus distinct values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_count: Option<u64>,
    /// Shortest string length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// Longest string length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// Sum of the numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sum: Option<f64>,
    /// Mean of the numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Variance of the numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variance: Option<f64>,
    /// Standard deviation of the numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stddev: Option<f64>,
    /// Smallest number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// 25th percentile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_quartile: Option<f64>,
    /// 50th percentile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median: Option<f64>,
    /// 75th percentile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub third_quartile: Option<f64>,
    /// `thirdQuartile - firstQuartile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inter_quartile_range: Option<f64>,
    /// `(mean - median) / stddev`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_parametric_skew: Option<f64>,
    /// Value distribution of the numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<Histogram>,
    /// Most frequent strings of a low-cardinality column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cardinality_distribution: Option<CardinalityDistribution>,
    /// Column name.
    pub name: String,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
}

/// `Histogram`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Histogram {
    /// Bin labels (`lo to hi`).
    pub boundaries: Vec<String>,
    /// Items per bin.
    pub frequencies: Vec<u64>,
}

/// `CardinalityDistribution`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardinalityDistribution {
    /// Values shown (`Others` last, when some are not).
    pub categories: Vec<String>,
    /// Items per category.
    pub counts: Vec<u64>,
    /// Percentages per category.
    pub percentages: Vec<f64>,
    /// Every value was distinct.
    pub all_values_unique: bool,
}

/// `TableData` (`PUT /api/v1/tables/{id}/sampleData`): sample rows, one cell per
/// column (a JSON value: a string, a number, a boolean or null).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableData {
    /// Column names, in cell order.
    pub columns: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<Value>>,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `DataType::name` is the serialized name, for every type.
    #[test]
    fn data_type_names_are_their_json() {
        use DataType::*;
        for t in [
            String, Bigint, Decimal, Number, Bytes, Boolean, Null, Set, Array, Struct, Map, Union,
            Unknown,
        ] {
            assert_eq!(serde_json::to_value(t).unwrap(), t.name(), "{t:?}");
        }
    }
}
