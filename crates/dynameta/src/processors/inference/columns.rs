//! From observed shapes to OpenMetadata columns.

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Map, Value};

use super::shape::{Field, NumberShape, Sample, Shape};
use crate::openmetadata::{Column, DataType};

/// Longest `dataTypeDisplay` we emit; longer ones are cut with `...`.
const MAX_DISPLAY: usize = 2048;
/// Longest column name; longer attribute names are shortened with a hash suffix.
const MAX_NAME: usize = 256;

/// Scalar type of a key attribute (`AttributeDefinitions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `S`.
    String,
    /// `N`.
    Number,
    /// `B`.
    Binary,
}

/// A key attribute of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAttribute {
    /// Attribute name.
    pub name: String,
    /// Declared type.
    pub kind: KeyKind,
}

/// How columns are rendered.
#[derive(Debug, Clone, Copy, Default)]
pub struct ColumnOptions {
    /// Attach `jsonSchema` to STRUCT columns and ARRAY-of-STRUCT columns.
    pub json_schema: bool,
}

/// The OpenMetadata type of a key column.
pub fn key_type(kind: KeyKind, observed: Option<&Shape>) -> (DataType, String) {
    match kind {
        KeyKind::String => (DataType::String, "string".into()),
        KeyKind::Binary => (DataType::Bytes, "binary".into()),
        KeyKind::Number => match observed.and_then(|s| s.number) {
            Some(n) => number_type(&n),
            None => (DataType::Number, "number".into()),
        },
    }
}

/// Columns of a table: key attributes first (hash, then range), then the other
/// attributes by name. Key columns exist even when nothing was sampled.
pub fn columns(sample: &Sample, keys: &[KeyAttribute], options: ColumnOptions) -> Vec<Column> {
    let key_names: HashSet<&str> = keys.iter().map(|k| k.name.as_str()).collect();
    let others: Vec<(&String, &Field)> = sample
        .attributes
        .iter()
        .filter(|(name, _)| !key_names.contains(name.as_str()))
        .collect();
    let names = allocate_names(
        keys.iter()
            .map(|k| k.name.as_str())
            .chain(others.iter().map(|(n, _)| n.as_str())),
    );
    let mut names = names.into_iter();
    let mut out = Vec::new();
    for key in keys {
        let observed = sample.attributes.get(&key.name).map(|f| &f.shape);
        let (data_type, display) = key_type(key.kind, observed);
        let (name, display_name) = names.next().unwrap_or_default();
        out.push(Column {
            name,
            display_name,
            data_type,
            array_data_type: None,
            data_type_display: Some(display),
            description: None,
            constraint: None,
            ordinal_position: None,
            precision: None,
            scale: None,
            json_schema: None,
            children: None,
            tags: None,
        });
    }
    for ((_, field), (name, display_name)) in others.iter().zip(names) {
        let mut column = column_for(&field.shape, name, options);
        column.display_name = display_name;
        out.push(column);
    }
    for (i, c) in out.iter_mut().enumerate() {
        c.ordinal_position = Some(i as u32 + 1);
    }
    out
}

/// Gives each attribute a column name OpenMetadata accepts, unique among its siblings.
/// Names that need no change are kept as they are; only the others get a suffix.
/// Returns, per attribute, the column name and (when it differs) the original name.
fn allocate_names<'a>(
    attributes: impl IntoIterator<Item = &'a str>,
) -> Vec<(String, Option<String>)> {
    let attributes: Vec<&str> = attributes.into_iter().collect();
    let mut used: HashSet<String> = attributes
        .iter()
        .filter(|a| safe_name(a) == **a)
        .map(|a| a.to_string())
        .collect();
    attributes
        .iter()
        .map(|attr| {
            let base = safe_name(attr);
            if base == *attr {
                return (base, None);
            }
            let mut name = base.clone();
            let mut n = 2;
            while used.contains(&name) {
                name = format!("{base}_{n}");
                n += 1;
            }
            used.insert(name.clone());
            (name, Some(attr.to_string()))
        })
        .collect()
}

/// Column names for a set of sibling attributes, as [`columns`] gives them: unchanged
/// where OpenMetadata accepts the name, else a safe name (see `allocate_names`).
pub fn column_names<'a>(attributes: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    allocate_names(attributes)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// The attribute name in the form OpenMetadata stores it. Its own ingestion encodes
/// the characters its server or FQN grammar cannot take into reserved keywords, and its
/// client decodes them when it reads a table back (2.0.7's
/// `metadata/ingestion/models/custom_basemodel_validation.py`, `replace_separators`);
/// dynameta does the same, so OpenMetadata's client, profiler and classifier name the
/// same columns as we do:
/// `::` → `__reserved__colon__` (the `columnName` pattern `^((?!::).)*$`), `>` →
/// `__reserved__arrow__`, `"` → `__reserved__quote__` (`quote_name` refuses it), `\n`
/// → `__reserved__newline__`, `\r` → `__reserved__carriage_return__`, `\t` →
/// `__reserved__tab__`. The other line terminators the pattern's Java `.` does not
/// match (U+0085, U+2028, U+2029), which OpenMetadata's own encoding misses, become a
/// space. An empty name and one over 256 characters (`columnName` `minLength` /
/// `maxLength`) are replaced too.
fn safe_name(attribute: &str) -> String {
    let mut base = attribute
        .replace("::", "__reserved__colon__")
        .replace('>', "__reserved__arrow__")
        .replace('"', "__reserved__quote__")
        .replace('\n', "__reserved__newline__")
        .replace('\r', "__reserved__carriage_return__")
        .replace('\t', "__reserved__tab__")
        .replace(['\u{85}', '\u{2028}', '\u{2029}'], " ");
    if base.is_empty() {
        base = "_empty_".into();
    }
    if base.chars().count() > MAX_NAME {
        let hash = crate::openmetadata::source_hash(&attribute);
        base = base.chars().take(MAX_NAME - 9).collect::<String>() + "_" + &hash[..8];
    }
    base
}

/// Largest precision (and scale) of an SQL `DECIMAL`, and of OpenMetadata's column
/// `precision`.
const MAX_DECIMAL_PRECISION: u32 = 38;

/// `(precision, scale)` of the `DECIMAL` that holds every number of `n`, or `None` when
/// none does: DynamoDB numbers reach 9.99E+125 and 1E-130, far beyond `DECIMAL(38,s)`.
/// Precision = most integer digits + most fraction digits (at least 1), so precision ≥
/// scale always holds.
fn decimal_precision(n: &NumberShape) -> Option<(u32, u32)> {
    let precision = n.max_int_digits.saturating_add(n.max_scale).max(1);
    (precision <= MAX_DECIMAL_PRECISION).then_some((precision, n.max_scale))
}

/// BIGINT for integers of up to 18 digits, `DECIMAL(p,s)` when one holds every value,
/// else NUMBER (display `number`): a number type without precision, which is what a
/// column whose values span more than 38 digits (`1E+125`, `1E-130`) is.
fn number_type(n: &NumberShape) -> (DataType, String) {
    if n.integer && n.max_int_digits <= 18 {
        (DataType::Bigint, "bigint".into())
    } else {
        match decimal_precision(n) {
            Some((precision, scale)) => {
                (DataType::Decimal, format!("decimal({precision},{scale})"))
            }
            None => (DataType::Number, "number".into()),
        }
    }
}

/// The non-null DynamoDB kinds present in a shape, in a fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Number,
    Binary,
    Boolean,
    StringSet,
    NumberSet,
    BinarySet,
    List,
    Map,
}

fn kinds(shape: &Shape) -> Vec<Kind> {
    let mut out = Vec::new();
    if shape.string > 0 {
        out.push(Kind::String);
    }
    if shape.number.is_some_and(|n| n.count > 0) {
        out.push(Kind::Number);
    }
    if shape.binary > 0 {
        out.push(Kind::Binary);
    }
    if shape.boolean > 0 {
        out.push(Kind::Boolean);
    }
    if shape.string_set > 0 {
        out.push(Kind::StringSet);
    }
    if shape.number_set.is_some_and(|n| n.count > 0) {
        out.push(Kind::NumberSet);
    }
    if shape.binary_set > 0 {
        out.push(Kind::BinarySet);
    }
    if shape.list.as_ref().is_some_and(|l| l.count > 0) {
        out.push(Kind::List);
    }
    if shape.map.as_ref().is_some_and(|m| m.count > 0) {
        out.push(Kind::Map);
    }
    out
}

/// OpenMetadata type of one shape (a union for several kinds).
fn data_type(shape: &Shape) -> DataType {
    let ks = kinds(shape);
    match ks.as_slice() {
        [] if shape.null > 0 => DataType::Null,
        [] => DataType::Unknown,
        [k] => kind_type(*k, shape),
        _ => DataType::Union,
    }
}

fn kind_type(kind: Kind, shape: &Shape) -> DataType {
    match kind {
        Kind::String => DataType::String,
        Kind::Number => shape.number.map_or(DataType::Number, |n| number_type(&n).0),
        Kind::Binary => DataType::Bytes,
        Kind::Boolean => DataType::Boolean,
        Kind::StringSet | Kind::NumberSet | Kind::BinarySet => DataType::Set,
        Kind::List => DataType::Array,
        Kind::Map if shape.map.as_ref().is_some_and(|m| m.fields.is_empty()) => DataType::Map,
        Kind::Map => DataType::Struct,
    }
}

/// Readable type, e.g. `list<map<id:string,qty:bigint>>` or `union<string,number>`.
fn display(shape: &Shape) -> String {
    let ks = kinds(shape);
    let text = match ks.as_slice() {
        [] if shape.null > 0 => "null".to_string(),
        [] => "unknown".to_string(),
        [k] => kind_display(*k, shape),
        many => format!(
            "union<{}>",
            many.iter()
                .map(|k| union_member(*k))
                .collect::<Vec<_>>()
                .join(",")
        ),
    };
    truncate_display(text)
}

fn truncate_display(text: String) -> String {
    if text.len() <= MAX_DISPLAY {
        return text;
    }
    let mut cut = MAX_DISPLAY - 4;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}...>", &text[..cut])
}

fn union_member(kind: Kind) -> &'static str {
    match kind {
        Kind::String => "string",
        Kind::Number => "number",
        Kind::Binary => "binary",
        Kind::Boolean => "boolean",
        Kind::StringSet => "set<string>",
        Kind::NumberSet => "set<number>",
        Kind::BinarySet => "set<binary>",
        Kind::List => "list",
        Kind::Map => "struct",
    }
}

fn kind_display(kind: Kind, shape: &Shape) -> String {
    match kind {
        Kind::Number => shape
            .number
            .map_or_else(|| "number".to_string(), |n| number_type(&n).1),
        Kind::List => match &shape.list {
            Some(l) if kinds(&l.elements).is_empty() && l.elements.null == 0 => {
                "list<unknown>".into()
            }
            Some(l) => format!("list<{}>", display(&l.elements)),
            None => "list<unknown>".into(),
        },
        Kind::Map => match &shape.map {
            Some(m) => format!(
                "map<{}>",
                m.fields
                    .iter()
                    .map(|(k, f)| format!("{k}:{}", display(&f.shape)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            None => "map<>".into(),
        },
        other => union_member(other).to_string(),
    }
}

/// Element type of an ARRAY column. A SET's element type is in its `dataTypeDisplay`
/// (`set<string>`) only: OpenMetadata drops `arrayDataType` from every column whose
/// type is not ARRAY (`DatabaseUtil.validateArrayColumn`), so sending it would make
/// what we write differ from what the server keeps.
fn array_data_type(shape: &Shape) -> Option<DataType> {
    match kinds(shape).as_slice() {
        [Kind::List] => shape.list.as_ref().map(|l| data_type(&l.elements)),
        _ => None,
    }
}

/// Struct fields to describe as children: those of the maps at this position, and
/// (for a list) those of the maps among its elements.
fn child_fields(shape: &Shape) -> Option<&BTreeMap<String, Field>> {
    if let Some(m) = &shape.map {
        return Some(&m.fields);
    }
    shape
        .list
        .as_ref()
        .and_then(|l| l.elements.map.as_ref())
        .map(|m| &m.fields)
}

fn column_for(shape: &Shape, name: String, options: ColumnOptions) -> Column {
    let data_type = data_type(shape);
    let children = child_fields(shape).filter(|f| !f.is_empty()).map(|fields| {
        let names = allocate_names(fields.keys().map(String::as_str));
        fields
            .values()
            .zip(names)
            .enumerate()
            .map(|(i, (field, (child_name, display_name)))| {
                let mut c = column_for(&field.shape, child_name, options);
                c.display_name = display_name;
                c.ordinal_position = Some(i as u32 + 1);
                c
            })
            .collect::<Vec<_>>()
    });
    let (precision, scale) = match (data_type, shape.number) {
        (DataType::Decimal, Some(n)) => match decimal_precision(&n) {
            Some((p, s)) => (Some(p), Some(s)),
            None => (None, None),
        },
        _ => (None, None),
    };
    let json_schema = (options.json_schema
        && (shape.map.is_some() || child_fields(shape).is_some()))
    .then(|| json_schema(shape).to_string());
    Column {
        name,
        display_name: None,
        data_type,
        array_data_type: array_data_type(shape),
        data_type_display: Some(display(shape)),
        description: None,
        constraint: None,
        ordinal_position: None,
        precision,
        scale,
        json_schema,
        children,
        tags: None,
    }
}

/// JSON Schema (draft 2020-12) of the values seen at one position.
pub fn json_schema(shape: &Shape) -> Value {
    let mut variants: Vec<Value> = Vec::new();
    for kind in kinds(shape) {
        variants.push(match kind {
            Kind::String => json!({"type": "string"}),
            Kind::Number => match shape.number {
                Some(n) if n.integer => json!({"type": "integer"}),
                _ => json!({"type": "number"}),
            },
            Kind::Binary => json!({"type": "string", "contentEncoding": "base64"}),
            Kind::Boolean => json!({"type": "boolean"}),
            Kind::StringSet => json!({"type": "array", "uniqueItems": true, "items": {"type": "string"}}),
            Kind::NumberSet => json!({"type": "array", "uniqueItems": true, "items": {"type": "number"}}),
            Kind::BinarySet => json!({"type": "array", "uniqueItems": true, "items": {"type": "string", "contentEncoding": "base64"}}),
            Kind::List => match &shape.list {
                Some(l) if !kinds(&l.elements).is_empty() || l.elements.null > 0 => {
                    json!({"type": "array", "items": json_schema(&l.elements)})
                }
                _ => json!({"type": "array"}),
            },
            Kind::Map => {
                let mut properties = Map::new();
                let mut required = Vec::new();
                if let Some(m) = &shape.map {
                    for (k, f) in &m.fields {
                        properties.insert(k.clone(), json_schema(&f.shape));
                        if f.present == m.count {
                            required.push(Value::String(k.clone()));
                        }
                    }
                }
                json!({"type": "object", "properties": properties, "required": required})
            }
        });
    }
    if shape.null > 0 {
        variants.push(json!({"type": "null"}));
    }
    match variants.len() {
        0 => json!({}),
        1 => variants.pop().unwrap_or_default(),
        _ => json!({"anyOf": variants}),
    }
}
