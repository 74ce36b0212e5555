//! OpenMetadata `TableData` (sample rows) from sampled items.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Map, Value};

use crate::openmetadata::{Column, TableData};

/// OpenMetadata stores at most this many sample rows.
pub const MAX_SAMPLE_ROWS: usize = 1000;

/// Longest cell, in UTF-8 bytes, before it is cut with [`truncation_marker`]. A single
/// DynamoDB attribute can hold 400 KB; a sample shows what a value looks like.
pub const MAX_CELL_BYTES: usize = 1024;

/// Largest sample-data upload, in bytes of JSON: rows are dropped from the end until
/// the body fits. Half of the 1 MiB request limit that reverse proxies in front of
/// OpenMetadata commonly apply (nginx's default `client_max_body_size`).
pub const MAX_UPLOAD_BYTES: usize = 512 * 1024;

/// What ends a cut cell: the cell's full size, so a reader knows it is not the value.
pub fn truncation_marker(full_bytes: usize) -> String {
    format!("… [truncated by dynameta: {full_bytes} bytes]")
}

/// `TableData` with the top-level `columns` and the first `rows` of `items`.
///
/// Cells are JSON: strings and booleans as such, numbers as JSON numbers when that
/// keeps every digit (else as their digits in a string), binary as base64, sets and
/// lists and maps as compact JSON text (what OpenMetadata's sample-data view shows).
/// An absent attribute is `null`.
///
/// `masked` holds the attribute paths (`["profile", "address", "street"]`, as the items
/// name them) whose values are masked with [`dynameta_pii::mask`]: a top-level path masks
/// the whole cell; a nested path masks only that leaf inside the map — its keys and its
/// siblings stay readable — in every element of a list on the way (lists are
/// transparent, as in the column tree). NULLs stay null.
pub fn sample_data(
    columns: &[Column],
    items: &[HashMap<String, AttributeValue>],
    rows: usize,
    masked: &HashSet<Vec<String>>,
) -> TableData {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let attributes: Vec<&str> = columns
        .iter()
        .map(|c| c.display_name.as_deref().unwrap_or(&c.name))
        .collect();
    // Per top-level attribute, the rest of each masked path under it.
    let masks: Vec<Vec<&[String]>> = attributes
        .iter()
        .map(|a| {
            masked
                .iter()
                .filter(|p| p.first().is_some_and(|f| f == a))
                .map(|p| &p[1..])
                .collect()
        })
        .collect();
    let rows: Vec<Vec<Value>> = items
        .iter()
        .take(rows.min(MAX_SAMPLE_ROWS))
        .map(|item| {
            let cells: Vec<Value> = attributes
                .iter()
                .zip(&masks)
                .map(|(attribute, masks)| match item.get(*attribute) {
                    None => Value::Null,
                    Some(value) if masks.is_empty() => cell(value),
                    Some(value) if masks.iter().any(|rest| rest.is_empty()) => {
                        mask_cell(cell(value))
                    }
                    Some(value) => {
                        let mut json = to_json(value);
                        for rest in masks {
                            mask_at(&mut json, rest);
                        }
                        Value::String(json.to_string())
                    }
                })
                .collect();
            cells.into_iter().map(bound_cell).collect()
        })
        .collect();
    let rows = within_upload_limit(&names, rows);
    TableData {
        columns: names.iter().map(|n| n.to_string()).collect(),
        rows,
    }
}

/// A whole cell masked: its text (a nested value's JSON text) through [`dynameta_pii::mask`].
fn mask_cell(cell: Value) -> Value {
    match cell {
        Value::Null => Value::Null,
        Value::String(s) => Value::String(dynameta_pii::mask(&s)),
        other => Value::String(dynameta_pii::mask(&other.to_string())),
    }
}

fn mask_at(value: &mut Value, rest: &[String]) {
    dynameta_pii::mask_leaves_at(value, rest, &mask_cell);
}

/// Cuts a cell longer than [`MAX_CELL_BYTES`] (as text) and marks it.
fn bound_cell(cell: Value) -> Value {
    let text = match &cell {
        Value::String(s) if s.len() > MAX_CELL_BYTES => s.as_str(),
        _ => return cell,
    };
    let mut cut = MAX_CELL_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    Value::String(format!("{}{}", &text[..cut], truncation_marker(text.len())))
}

/// The leading rows whose `TableData` JSON fits in [`MAX_UPLOAD_BYTES`].
fn within_upload_limit(names: &[&str], rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    fn size(v: &impl serde::Serialize) -> usize {
        serde_json::to_vec(v).map_or(usize::MAX, |b| b.len())
    }
    // `{"columns":[...],"rows":[` + `]}`, then each row and its comma.
    let mut total = size(&json!(names)) + 24;
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        total = total.saturating_add(size(&row) + 1);
        if total > MAX_UPLOAD_BYTES {
            break;
        }
        kept.push(row);
    }
    kept
}

fn cell(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => number(n),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::B(b) => Value::String(base64(b.as_ref())),
        other => Value::String(to_json(other).to_string()),
    }
}

/// A DynamoDB number as a JSON number when the conversion is exact.
fn number(digits: &str) -> Value {
    if let Ok(i) = digits.parse::<i64>() {
        return json!(i);
    }
    match digits.parse::<f64>() {
        Ok(f)
            if f.is_finite()
                && serde_json::Number::from_f64(f).is_some_and(|n| n.to_string() == digits) =>
        {
            json!(f)
        }
        _ => Value::String(digits.to_string()),
    }
}

/// Plain JSON for nested values (no DynamoDB type wrappers).
fn to_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => number(n),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::B(b) => Value::String(base64(b.as_ref())),
        AttributeValue::Ss(set) => json!(set),
        AttributeValue::Ns(set) => Value::Array(set.iter().map(|n| number(n)).collect()),
        AttributeValue::Bs(set) => Value::Array(
            set.iter()
                .map(|b| Value::String(base64(b.as_ref())))
                .collect(),
        ),
        AttributeValue::L(list) => Value::Array(list.iter().map(to_json).collect()),
        AttributeValue::M(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), to_json(&map[k]));
            }
            Value::Object(out)
        }
        _ => Value::Null,
    }
}

/// Standard base64 with padding, as OpenMetadata shows binary sample values.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cells_are_cut_and_marked_and_the_upload_is_bounded() {
        use crate::openmetadata::{Column, DataType};
        let column = |name: &str| Column {
            name: name.into(),
            display_name: None,
            data_type: DataType::String,
            array_data_type: None,
            data_type_display: None,
            description: None,
            constraint: None,
            ordinal_position: None,
            precision: None,
            scale: None,
            json_schema: None,
            children: None,
            tags: None,
        };
        // A 350 KB attribute (DynamoDB allows 400 KB) in every one of 50 items.
        let big = "é".repeat(175_000);
        let items: Vec<HashMap<String, AttributeValue>> = (0..50)
            .map(|i| {
                HashMap::from([
                    ("id".to_string(), AttributeValue::S(format!("k{i}"))),
                    ("blob".to_string(), AttributeValue::S(big.clone())),
                ])
            })
            .collect();
        let data = serde_json::to_value(sample_data(
            &[column("id"), column("blob")],
            &items,
            50,
            &HashSet::new(),
        ))
        .unwrap();
        let cell = data["rows"][0][1].as_str().unwrap();
        assert!(cell.ends_with(&truncation_marker(big.len())), "{cell:.80}");
        assert!(cell.len() <= MAX_CELL_BYTES + truncation_marker(big.len()).len());
        assert_eq!(data["rows"].as_array().unwrap().len(), 50);
        assert!(serde_json::to_vec(&data).unwrap().len() <= MAX_UPLOAD_BYTES);

        // Many columns of cut cells: rows are dropped until the body fits.
        let wide: Vec<Column> = (0..40).map(|i| column(&format!("c{i}"))).collect();
        let items: Vec<HashMap<String, AttributeValue>> = (0..50)
            .map(|_| {
                (0..40)
                    .map(|i| (format!("c{i}"), AttributeValue::S("x".repeat(5000))))
                    .collect()
            })
            .collect();
        let data = serde_json::to_value(sample_data(&wide, &items, 50, &HashSet::new())).unwrap();
        let body = serde_json::to_vec(&data).unwrap().len();
        let rows = data["rows"].as_array().unwrap().len();
        assert!(body <= MAX_UPLOAD_BYTES, "{body}");
        assert!(rows > 0 && rows < 50, "{rows}");
    }

    #[test]
    fn numbers_stay_exact() {
        assert_eq!(number("42"), json!(42));
        assert_eq!(number("1.5"), json!(1.5));
        assert_eq!(
            number("12345678901234567890123"),
            json!("12345678901234567890123")
        );
        assert_eq!(number("1E+125"), json!("1E+125"));
    }
}
