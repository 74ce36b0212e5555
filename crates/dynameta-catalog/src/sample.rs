//! Sample rows as the catalog keeps and shows them: every leaf of a column tagged
//! `PII.Sensitive` masked (with `dynameta_pii::mask`, the function classify masks with),
//! whatever the classify run's `maskSensitiveSampleData` said, and a plain account of
//! which columns are masked, which are in clear and which no longer exist.
//!
//! The local sink masks before a sample is stored (with the tags of the run that took
//! it); the report masks again with the table's current tags, so a column tagged after
//! its sample was taken is not shown in clear either. Masking is idempotent (a masked
//! value masks to itself), so doing it twice changes nothing.
//!
//! This is product logic (which leaf a tag names, how a stored cell is read), so it is
//! written here; the masking itself is `dynameta_pii`'s.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::show::attribute_name;
use crate::{Column, PiiTag, Sample};

/// The end of a cell classify cut (`… [truncated by dynameta: 2048 bytes]`): kept
/// readable when the cell is masked, so a reader still knows it is not the whole value.
const TRUNCATION_MARKER: &str = "… [truncated by dynameta: ";

/// Whether a tag asks for masking: anything but `PII.NonSensitive` (an unknown tag is
/// treated as sensitive: masking too much is the safe mistake).
pub fn is_sensitive(tag: &PiiTag) -> bool {
    !tag.tag.ends_with("NonSensitive")
}

/// How one sample column is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnState {
    /// Some or all of its values are masked: the tagged column paths under it.
    Masked(Vec<String>),
    /// Shown as stored: no `PII.Sensitive` tag on it or under it.
    Clear,
}

/// One column of a sample, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleColumn {
    /// The column name stored with the sample (OpenMetadata's form).
    pub name: String,
    /// The attribute name as written in DynamoDB (equal to `name` unless it was encoded).
    pub label: String,
    /// Masked or in clear.
    pub state: ColumnState,
    /// False when the table's current schema has no such column (the attribute is gone
    /// since the sample was taken).
    pub in_schema: bool,
}

/// A sample with its Sensitive leaves masked, and what each column is.
#[derive(Debug, Clone, PartialEq)]
pub struct MaskedSample {
    /// The columns, in the sample's order.
    pub columns: Vec<SampleColumn>,
    /// The rows, masked.
    pub rows: Vec<Vec<Value>>,
}

/// Where a tag points inside a sample row.
struct Target {
    /// Index of the sample column.
    column: usize,
    /// Attribute names below it (empty: the whole cell).
    rest: Vec<String>,
}

/// Masks every leaf of `sample` that a sensitive tag of `tags` names. `columns` is the
/// table's column tree (the current schema, when known): it maps a tag's column path
/// (OpenMetadata's names) to the attribute names inside a stored map value. A tag the
/// tree does not resolve masks the whole cell of its top-level column.
pub fn mask(sample: &Sample, tags: &[PiiTag], columns: Option<&[Column]>) -> MaskedSample {
    let mut masked_paths: Vec<BTreeSet<String>> = vec![BTreeSet::new(); sample.columns.len()];
    let mut targets: Vec<Target> = Vec::new();
    for tag in tags.iter().filter(|t| is_sensitive(t)) {
        if let Some(t) = target(sample, &tag.column, columns) {
            masked_paths[t.column].insert(tag.column.clone());
            targets.push(t);
        }
    }
    let rows = sample
        .rows
        .iter()
        .map(|row| {
            let mut row = row.clone();
            for t in &targets {
                if let Some(cell) = row.get_mut(t.column) {
                    *cell = mask_cell_at(cell.take(), &t.rest);
                }
            }
            row
        })
        .collect();
    let top: BTreeSet<&str> = columns
        .into_iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    let labels: Vec<String> = sample
        .columns
        .iter()
        .map(|name| {
            columns
                .into_iter()
                .flatten()
                .find(|c| &c.name == name)
                .map(|c| attribute_name(c).into_owned())
                .unwrap_or_else(|| crate::show::decode_reserved(name))
        })
        .collect();
    MaskedSample {
        columns: sample
            .columns
            .iter()
            .zip(labels)
            .zip(masked_paths)
            .map(|((name, label), paths)| SampleColumn {
                name: name.clone(),
                label,
                state: if paths.is_empty() {
                    ColumnState::Clear
                } else {
                    ColumnState::Masked(paths.into_iter().collect())
                },
                // Without a schema nothing can be called gone.
                in_schema: columns.is_none() || top.contains(name.as_str()),
            })
            .collect(),
        rows,
    }
}

/// The sample column and attribute path a tag's column path names.
fn target(sample: &Sample, path: &str, columns: Option<&[Column]>) -> Option<Target> {
    // Exactly one column of the tree, by its dotted path of OpenMetadata names.
    if let Some(chain) = columns.and_then(|cols| chain(cols, path)) {
        if let Some((top, rest)) = chain.split_first() {
            if let Some(i) = sample.columns.iter().position(|c| c == &top.name) {
                return Some(Target {
                    column: i,
                    rest: rest
                        .iter()
                        .map(|c| c.original_name.clone().unwrap_or_else(|| c.name.clone()))
                        .collect(),
                });
            }
        }
    }
    // Not in the tree (the schema changed, or none is known): the whole top-level cell
    // the path starts with.
    sample
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            path == c.as_str()
                || path
                    .strip_prefix(c.as_str())
                    .is_some_and(|r| r.starts_with('.'))
        })
        .max_by_key(|(_, c)| c.len())
        .map(|(i, _)| Target {
            column: i,
            rest: Vec::new(),
        })
}

/// The columns from the root to the one whose dotted path is `path`.
fn chain<'a>(columns: &'a [Column], path: &str) -> Option<Vec<&'a Column>> {
    for c in columns {
        if path == c.name {
            return Some(vec![c]);
        }
        if let Some(rest) = path
            .strip_prefix(c.name.as_str())
            .and_then(|r| r.strip_prefix('.'))
        {
            if let Some(mut below) = chain(&c.children, rest) {
                below.insert(0, c);
                return Some(below);
            }
        }
    }
    None
}

/// Masks `rest` inside a stored cell: the whole cell when `rest` is empty, else the
/// leaves at `rest` in the cell's JSON text (a map or list, as classify stores them).
/// A cell that cannot be read as such (cut, or not a map in this row) is masked whole.
fn mask_cell_at(cell: Value, rest: &[String]) -> Value {
    if rest.is_empty() {
        return mask_whole(cell);
    }
    let parsed = match &cell {
        Value::String(text) => serde_json::from_str::<Value>(text).ok(),
        Value::Null => return Value::Null,
        _ => None,
    };
    match parsed {
        Some(mut json @ (Value::Object(_) | Value::Array(_))) => {
            mask_at(&mut json, rest);
            Value::String(json.to_string())
        }
        _ => mask_whole(cell),
    }
}

/// A whole cell masked; NULL stays NULL, a cut cell keeps its truncation note.
fn mask_whole(cell: Value) -> Value {
    match cell {
        Value::Null => Value::Null,
        Value::String(s) => Value::String(mask_text(&s)),
        other => Value::String(dynameta_pii::mask(&other.to_string())),
    }
}

fn mask_text(text: &str) -> String {
    match text.rfind(TRUNCATION_MARKER) {
        Some(at) if text.ends_with(" bytes]") => {
            format!("{}{}", dynameta_pii::mask(&text[..at]), &text[at..])
        }
        _ => dynameta_pii::mask(text),
    }
}

fn mask_at(value: &mut Value, rest: &[String]) {
    dynameta_pii::mask_leaves_at(value, rest, &mask_whole);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// Any JSON value (cells as stored: scalars, or maps and lists as JSON text).
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[a-z0-9@. ]{0,24}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map("[a-c]{1,2}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn cell() -> impl Strategy<Value = Value> {
        prop_oneof![
            json_value(),
            json_value().prop_map(|v| Value::String(v.to_string())),
            // Hostile: cut JSON text, unbalanced brackets.
            "[\\[\\]{}\":,a-z0-9]{0,30}".prop_map(Value::from),
        ]
    }

    proptest! {
        /// Whatever the stored cells and tag paths (hostile ones too): masking never
        /// panics, keeps the shape of the sample, leaves untagged columns as they were,
        /// and masking again changes nothing.
        #[test]
        fn masking_is_total_shape_keeping_and_idempotent(
            rows in prop::collection::vec(prop::collection::vec(cell(), 3), 0..5),
            paths in prop::collection::vec("(c0|c1|c9)(\\.[a-c]{1,2}){0,3}", 0..4),
        ) {
            let sample = Sample { columns: vec!["c0".into(), "c1".into(), "c2".into()], rows };
            let tags: Vec<PiiTag> = paths.iter().map(|p| tag(p, "PII.Sensitive")).collect();
            let once = mask(&sample, &tags, None);
            prop_assert_eq!(once.rows.len(), sample.rows.len());
            for (masked, stored) in once.rows.iter().zip(&sample.rows) {
                prop_assert_eq!(masked.len(), stored.len());
                // c2 is never tagged.
                prop_assert_eq!(&masked[2], &stored[2]);
            }
            let twice = mask(&Sample { columns: sample.columns.clone(), rows: once.rows.clone() }, &tags, None);
            prop_assert_eq!(twice.rows, once.rows);
        }
    }

    fn tag(column: &str, tag: &str) -> PiiTag {
        PiiTag {
            column: column.into(),
            tag: tag.into(),
            recognizer: "r".into(),
            confidence: 90.0,
        }
    }

    fn col(name: &str, original: Option<&str>, children: Vec<Column>) -> Column {
        Column {
            name: name.into(),
            original_name: original.map(str::to_string),
            data_type: "STRING".into(),
            display_type: "string".into(),
            presence: None,
            types: Default::default(),
            children,
        }
    }

    #[test]
    fn sensitive_leaves_are_masked_per_leaf_and_the_rest_stays_readable() {
        let columns = vec![
            col("id", None, vec![]),
            col("email", None, vec![]),
            col(
                "profile",
                None,
                vec![
                    col("a__reserved__colon__b", Some("a::b"), vec![]),
                    col("city", None, vec![]),
                ],
            ),
            col("phone", None, vec![]),
        ];
        let sample = Sample {
            columns: vec!["id".into(), "email".into(), "profile".into(), "gone".into()],
            rows: vec![vec![
                json!("u1"),
                json!("jane.doe@example.com"),
                json!(json!({"a::b": "secret-value-1", "city": "Paris"}).to_string()),
                json!("old"),
            ]],
        };
        let tags = [
            tag("email", "PII.Sensitive"),
            tag("profile.a__reserved__colon__b", "PII.Sensitive"),
            tag("profile.city", "PII.NonSensitive"),
            tag("phone", "PII.Sensitive"),
        ];
        let m = mask(&sample, &tags, Some(&columns));
        let row = &m.rows[0];
        assert_eq!(row[0], json!("u1"));
        let email = row[1].as_str().unwrap();
        assert!(
            !email.contains("jane.doe") && !email.contains("example"),
            "{email}"
        );
        let profile: Value = serde_json::from_str(row[2].as_str().unwrap()).unwrap();
        assert_eq!(profile["city"], json!("Paris"));
        assert!(
            !profile["a::b"].as_str().unwrap().contains("value"),
            "{profile}"
        );
        assert_eq!(row[3], json!("old"));
        assert_eq!(
            m.columns[1].state,
            ColumnState::Masked(vec!["email".into()])
        );
        assert_eq!(m.columns[0].state, ColumnState::Clear);
        assert!(m.columns[2].in_schema && !m.columns[3].in_schema);
        // Masking twice changes nothing.
        let again = mask(
            &Sample {
                columns: sample.columns.clone(),
                rows: m.rows.clone(),
            },
            &tags,
            Some(&columns),
        );
        assert_eq!(again.rows, m.rows);
    }

    #[test]
    fn a_tag_the_schema_does_not_resolve_masks_the_whole_cell() {
        let sample = Sample {
            columns: vec!["contact".into(), "note".into()],
            rows: vec![
                vec![json!("{\"email\":\"x@example.com\"}"), json!(12345678)],
                vec![
                    json!(format!(
                        "{}… [truncated by dynameta: 2048 bytes]",
                        "y".repeat(20)
                    )),
                    Value::Null,
                ],
            ],
        };
        let m = mask(
            &sample,
            &[
                tag("contact.email", "PII.Sensitive"),
                tag("note", "PII.Sensitive"),
            ],
            None,
        );
        assert!(!m.rows[0][0].as_str().unwrap().contains("example"));
        assert_eq!(m.rows[0][1], json!("1******8"), "as classify masks it");
        let cut = m.rows[1][0].as_str().unwrap();
        assert!(
            cut.ends_with("… [truncated by dynameta: 2048 bytes]"),
            "{cut}"
        );
        assert!(!cut.contains("yyyyy"), "{cut}");
        assert_eq!(m.rows[1][1], Value::Null);
        assert!(m.columns.iter().all(|c| c.in_schema));
    }
}
