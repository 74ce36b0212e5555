//! What was observed at each attribute position of the sampled items.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;

use super::number::parse_number;
use super::MAX_DEPTH;

/// Counts of DynamoDB types seen at one position, with nested detail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shape {
    /// `S` values.
    #[serde(skip_serializing_if = "is_zero")]
    pub string: u64,
    /// `B` values.
    #[serde(skip_serializing_if = "is_zero")]
    pub binary: u64,
    /// `BOOL` values.
    #[serde(skip_serializing_if = "is_zero")]
    pub boolean: u64,
    /// `NULL` values.
    #[serde(skip_serializing_if = "is_zero")]
    pub null: u64,
    /// `N` values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<NumberShape>,
    /// `SS` values.
    #[serde(skip_serializing_if = "is_zero")]
    pub string_set: u64,
    /// `NS` values (numbers describe the elements).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_set: Option<NumberShape>,
    /// `BS` values.
    #[serde(skip_serializing_if = "is_zero")]
    pub binary_set: u64,
    /// `L` values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<Box<ListShape>>,
    /// `M` values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map: Option<Box<MapShape>>,
    /// Values nested deeper than DynamoDB's 32 levels (never expected).
    #[serde(skip_serializing_if = "is_zero")]
    pub too_deep: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Numbers seen at one position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberShape {
    /// How many numbers (for `NS`: how many sets).
    pub count: u64,
    /// Every number was an integer.
    pub integer: bool,
    /// Most digits left of the point.
    pub max_int_digits: u32,
    /// Most digits right of the point.
    pub max_scale: u32,
}

/// Lists seen at one position.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListShape {
    /// How many lists.
    pub count: u64,
    /// Longest list.
    pub max_len: u64,
    /// What their elements were.
    pub elements: Shape,
}

/// Maps seen at one position.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapShape {
    /// How many maps.
    pub count: u64,
    /// Their keys, each with how often it was present.
    pub fields: BTreeMap<String, Field>,
}

/// An attribute (or map key) and what was seen in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    /// Items (or maps) that had this attribute.
    pub present: u64,
    /// Its values.
    pub shape: Shape,
}

impl NumberShape {
    fn observe(&mut self, text: &str) {
        let info = parse_number(text);
        let first = self.count == 0;
        self.count += 1;
        match info {
            Some(info) => {
                self.integer = (first || self.integer) && info.integer;
                self.max_int_digits = self.max_int_digits.max(info.int_digits);
                self.max_scale = self.max_scale.max(info.scale);
            }
            None => self.integer = false,
        }
    }

    fn merge(&mut self, other: &NumberShape) {
        if other.count == 0 {
            return;
        }
        self.integer = if self.count == 0 {
            other.integer
        } else {
            self.integer && other.integer
        };
        self.count += other.count;
        self.max_int_digits = self.max_int_digits.max(other.max_int_digits);
        self.max_scale = self.max_scale.max(other.max_scale);
    }
}

impl Shape {
    /// Records one value seen at this position, `depth` levels deep.
    pub fn observe(&mut self, value: &AttributeValue, depth: usize) {
        if depth > MAX_DEPTH {
            self.too_deep += 1;
            return;
        }
        match value {
            AttributeValue::S(_) => self.string += 1,
            AttributeValue::B(_) => self.binary += 1,
            AttributeValue::Bool(_) => self.boolean += 1,
            AttributeValue::Null(_) => self.null += 1,
            AttributeValue::N(n) => self.number.get_or_insert_with(Default::default).observe(n),
            AttributeValue::Ss(_) => self.string_set += 1,
            AttributeValue::Bs(_) => self.binary_set += 1,
            AttributeValue::Ns(values) => {
                let set = self.number_set.get_or_insert_with(Default::default);
                // One count per set; element digits widen the set's number shape.
                let mut elements = NumberShape::default();
                for v in values {
                    elements.observe(v);
                }
                elements.count = 1;
                if values.is_empty() {
                    elements.integer = true;
                }
                set.merge(&elements);
            }
            AttributeValue::L(items) => {
                let list = self.list.get_or_insert_with(Default::default);
                list.count += 1;
                list.max_len = list.max_len.max(items.len() as u64);
                for item in items {
                    list.elements.observe(item, depth + 1);
                }
            }
            AttributeValue::M(fields) => {
                let map = self.map.get_or_insert_with(Default::default);
                map.count += 1;
                for (key, v) in fields {
                    field_mut(&mut map.fields, key).observe(v, depth + 1);
                }
            }
            // A type added to DynamoDB after this SDK: counted as too deep to describe.
            _ => self.too_deep += 1,
        }
    }

    /// Adds what `other` observed (order and split of samples do not matter).
    pub fn merge(&mut self, other: &Shape) {
        self.string += other.string;
        self.binary += other.binary;
        self.boolean += other.boolean;
        self.null += other.null;
        self.string_set += other.string_set;
        self.binary_set += other.binary_set;
        self.too_deep += other.too_deep;
        if let Some(n) = &other.number {
            self.number.get_or_insert_with(Default::default).merge(n);
        }
        if let Some(n) = &other.number_set {
            self.number_set
                .get_or_insert_with(Default::default)
                .merge(n);
        }
        if let Some(l) = &other.list {
            let mine = self.list.get_or_insert_with(Default::default);
            mine.count += l.count;
            mine.max_len = mine.max_len.max(l.max_len);
            mine.elements.merge(&l.elements);
        }
        if let Some(m) = &other.map {
            let mine = self.map.get_or_insert_with(Default::default);
            mine.count += m.count;
            merge_fields(&mut mine.fields, &m.fields);
        }
    }

    /// How many values of each DynamoDB type, by type name (`S`, `N`, `M`, ...).
    pub fn type_counts(&self) -> BTreeMap<&'static str, u64> {
        let mut out = BTreeMap::new();
        let mut put = |name, n: u64| {
            if n > 0 {
                out.insert(name, n);
            }
        };
        put("S", self.string);
        put("N", self.number.map_or(0, |n| n.count));
        put("B", self.binary);
        put("BOOL", self.boolean);
        put("NULL", self.null);
        put("SS", self.string_set);
        put("NS", self.number_set.map_or(0, |n| n.count));
        put("BS", self.binary_set);
        put("L", self.list.as_ref().map_or(0, |l| l.count));
        put("M", self.map.as_ref().map_or(0, |m| m.count));
        out
    }
}

/// Counts one more presence of `name` and returns its shape; the key is cloned only
/// the first time it is seen (this runs for every attribute of every sampled item).
fn field_mut<'a>(fields: &'a mut BTreeMap<String, Field>, name: &str) -> &'a mut Shape {
    if !fields.contains_key(name) {
        fields.insert(name.to_string(), Field::default());
    }
    let field = fields.get_mut(name).expect("inserted above");
    field.present += 1;
    &mut field.shape
}

fn merge_fields(into: &mut BTreeMap<String, Field>, from: &BTreeMap<String, Field>) {
    for (key, field) in from {
        let mine = into.entry(key.clone()).or_default();
        mine.present += field.present;
        mine.shape.merge(&field.shape);
    }
}

/// The shapes of all top-level attributes of a sample of items.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    /// Items observed.
    pub items: u64,
    /// Top-level attributes.
    pub attributes: BTreeMap<String, Field>,
}

/// One attribute (top-level or nested in maps) with its presence and types, for reports.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AttributeSummary {
    /// Path segments from the top-level attribute down (`["address", "city"]`);
    /// a list level is written `[]`. Segments are never joined, so `a.b` and `a`→`b` differ.
    pub path: Vec<String>,
    /// Share of the parent values (items, or maps) that had it, 0–1.
    #[cfg_attr(test, schemars(range(min = 0.0, max = 1.0)))]
    pub presence: f64,
    /// Values seen per DynamoDB type.
    #[cfg_attr(test, schemars(extend("propertyNames" = {
        "enum": ["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"]
    })))]
    pub types: BTreeMap<String, u64>,
}

/// The sampler folds items into shapes, segment by segment.
impl crate::source::ItemFold for Sample {
    fn observe(&mut self, item: &crate::source::Item) {
        Sample::observe(self, item);
    }

    fn merge(&mut self, other: &Self) {
        Sample::merge(self, other);
    }
}

impl Sample {
    /// Records one item.
    pub fn observe(&mut self, item: &HashMap<String, AttributeValue>) {
        self.items += 1;
        for (name, value) in item {
            field_mut(&mut self.attributes, name).observe(value, 1);
        }
    }

    /// Adds another sample of the same table.
    pub fn merge(&mut self, other: &Sample) {
        self.items += other.items;
        merge_fields(&mut self.attributes, &other.attributes);
    }

    /// Every attribute path with presence and type counts, depth first, by name.
    pub fn summaries(&self) -> Vec<AttributeSummary> {
        let mut out = Vec::new();
        summarize(&self.attributes, self.items, &mut Vec::new(), &mut out);
        out
    }
}

fn summarize(
    fields: &BTreeMap<String, Field>,
    parent_count: u64,
    path: &mut Vec<String>,
    out: &mut Vec<AttributeSummary>,
) {
    for (name, field) in fields {
        path.push(name.clone());
        out.push(AttributeSummary {
            path: path.clone(),
            presence: if parent_count == 0 {
                0.0
            } else {
                field.present as f64 / parent_count as f64
            },
            types: field
                .shape
                .type_counts()
                .into_iter()
                .map(|(t, n)| (t.to_string(), n))
                .collect(),
        });
        summarize_shape(&field.shape, path, out);
        path.pop();
    }
}

fn summarize_shape(shape: &Shape, path: &mut Vec<String>, out: &mut Vec<AttributeSummary>) {
    if let Some(map) = &shape.map {
        summarize(&map.fields, map.count, path, out);
    }
    if let Some(list) = &shape.list {
        path.push("[]".to_string());
        if let Some(map) = &list.elements.map {
            summarize(&map.fields, map.count, path, out);
        }
        if let Some(inner) = &list.elements.list {
            summarize_shape(
                &Shape {
                    list: Some(inner.clone()),
                    ..Shape::default()
                },
                path,
                out,
            );
        }
        path.pop();
    }
}
