//! OpenMetadata `TableData` (sample rows) from sampled items.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Map, Value};

use crate::openmetadata::Column;

/// OpenMetadata stores at most this many sample rows.
pub const MAX_SAMPLE_ROWS: usize = 1000;

/// `TableData` with the top-level `columns` and the first `rows` of `items`.
///
/// Cells are JSON: strings and booleans as such, numbers as JSON numbers when that
/// keeps every digit (else as their digits in a string), binary as base64, sets and
/// lists and maps as compact JSON text (what OpenMetadata's sample-data view shows).
/// An absent attribute is `null`. Columns named in `masked` have every non-null cell
/// masked with [`dynameta_pii::mask`].
pub fn sample_data(
    columns: &[Column],
    items: &[HashMap<String, AttributeValue>],
    rows: usize,
    masked: &HashSet<String>,
) -> Value {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let attributes: Vec<&str> = columns
        .iter()
        .map(|c| c.display_name.as_deref().unwrap_or(&c.name))
        .collect();
    let rows: Vec<Value> = items
        .iter()
        .take(rows.min(MAX_SAMPLE_ROWS))
        .map(|item| {
            let cells = names
                .iter()
                .zip(&attributes)
                .map(|(name, attribute)| {
                    let cell = item.get(*attribute).map_or(Value::Null, cell);
                    if masked.contains(*name) && !cell.is_null() {
                        let text = match &cell {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        Value::String(dynameta_pii::mask(&text))
                    } else {
                        cell
                    }
                })
                .collect();
            Value::Array(cells)
        })
        .collect();
    json!({"columns": names, "rows": rows})
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

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
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
