//! Generates the published JSON Schema of the file sink's records from the Rust types
//! (schemars derives, test builds only), so the schema cannot drift from what is
//! written: `record_schema_file_is_current` fails when the committed file differs.
//! Regenerate with `DYNAMETA_UPDATE_SCHEMA=1 cargo test -p dynameta --lib record_schema`.
//!
//! Where a payload is an OpenMetadata request, the schema references OpenMetadata
//! 2.0.7's own schema (copied unmodified next to it, in `openmetadata/`); the rest is
//! dynameta's own structure, described from its types — the `dynamodb` part of a
//! profile too (`processors::profiler::ProfileDetails`, the type the profiler builds).
//! The integration test `record_schema` validates real outputs against it, strictly
//! (`additionalProperties: false`).

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::Record;

/// The schema's identifier. Its last segment is the format's major version: bump it
/// (and the file name in docs) when a field or kind is removed, renamed or changes
/// type; adding an optional field or a new kind keeps it (see docs/file-sink.md).
const ID: &str = "https://dynameta.invalid/schemas/record/v1/dynameta-record.schema.json";

/// OpenMetadata schemas the records reference, by file name.
const OPENMETADATA: &[&str] = &[
    "createDatabaseService.json",
    "createDatabase.json",
    "createDatabaseSchema.json",
    "createTable.json",
    "createTableProfile.json",
    "tableData.json",
    "tagLabel.json",
];

/// The schema of one line of a file sink's output.
pub fn record_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let mut root = generator.into_root_schema_for::<Record>().to_value();
    // dynameta's own objects are closed: an unknown field is a change of format.
    close_objects(&mut root);
    let om = |file: &str| json!({"$ref": format!("openmetadata/{file}")});
    let branches = root
        .get_mut("oneOf")
        .and_then(Value::as_array_mut)
        .expect("a tagged enum is a oneOf");
    for branch in branches {
        let kind = branch
            .pointer("/properties/kind/const")
            .and_then(Value::as_str)
            .expect("each variant has a kind")
            .to_string();
        let properties = branch["properties"].as_object_mut().expect("properties");
        properties["kind"]["description"] =
            json!("What the line holds; scripts select on it and skip kinds they do not know.");
        let payload = match kind.as_str() {
            "createDatabaseService" => Some(om("createDatabaseService.json")),
            "createDatabase" => Some(om("createDatabase.json")),
            "createDatabaseSchema" => Some(om("createDatabaseSchema.json")),
            "createTable" => Some(om("createTable.json")),
            "createTableProfile" => Some(om("createTableProfile.json")),
            "sampleData" => Some(om("tableData.json")),
            _ => None,
        };
        if let Some(reference) = payload {
            let description = properties["payload"]["description"].clone();
            let mut reference = reference;
            reference["description"] = description;
            properties.insert("payload".into(), reference);
        }
    }
    let tags = root
        .pointer_mut("/$defs/ColumnTag/properties/tags/items")
        .expect("ColumnTag.tags is an array");
    *tags = om("tagLabel.json");
    let mut out = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": ID,
        "title": "dynameta file sink record",
        "description": "One line of the JSON Lines file written by dynameta's file sink \
            (`sink: {type: file}`), told apart by `kind`. OpenMetadata request bodies \
            reference OpenMetadata 2.0.7's own schemas (openmetadata/*.json beside this \
            file, resolved relative to `$id`). Generated from dynameta's Rust types; \
            see docs/file-sink.md for the version policy.",
    });
    let fields = root.as_object().expect("an object schema").clone();
    for (key, value) in fields {
        if !matches!(key.as_str(), "$schema" | "title" | "description") {
            out[key] = value;
        }
    }
    out
}

/// Sets `additionalProperties: false` on every object schema (`"type": "object"` with
/// `properties`) that does not say otherwise. A `properties` map itself has no
/// `"type": "object"` (a field named `type` holds a schema, not that string), so a
/// field named `properties` is left alone.
fn close_objects(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let object = map.get("type") == Some(&json!("object"))
                && map.get("properties").is_some_and(Value::is_object);
            if object && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for value in map.values_mut() {
                close_objects(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

fn docs_schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas")
}

fn vendored(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../dynameta-testkit/openmetadata-spec")
        .join(file)
}

#[test]
fn record_schema_file_is_current() {
    let path = docs_schemas().join("dynameta-record.schema.json");
    let generated = format!(
        "{}\n",
        serde_json::to_string_pretty(&record_schema()).expect("a schema serialises")
    );
    let update = std::env::var_os("DYNAMETA_UPDATE_SCHEMA").is_some_and(|v| v == "1");
    if update {
        std::fs::write(&path, &generated).expect("write the schema");
        for file in OPENMETADATA {
            std::fs::copy(
                vendored(file),
                docs_schemas().join("openmetadata").join(file),
            )
            .expect("copy an OpenMetadata schema");
        }
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is not what the record types generate; regenerate it with \
         `DYNAMETA_UPDATE_SCHEMA=1 cargo test -p dynameta --lib record_schema` and commit it",
        path.display()
    );
    for file in OPENMETADATA {
        let copy = docs_schemas().join("openmetadata").join(file);
        assert!(
            std::fs::read(&copy).ok() == std::fs::read(vendored(file)).ok(),
            "{} differs from the vendored OpenMetadata schema; regenerate as above",
            copy.display()
        );
    }
}

#[test]
fn record_schema_names_every_kind_and_references_openmetadata() {
    let schema = record_schema();
    let kinds: Vec<&str> = schema["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b.pointer("/properties/kind/const").and_then(Value::as_str))
        .collect();
    assert_eq!(
        kinds,
        [
            "createDatabaseService",
            "createDatabase",
            "createDatabaseSchema",
            "createTable",
            "tableListing",
            "createTableProfile",
            "columnTags",
            "sampleData",
            "dynamodbTable",
            "tableLineage",
            "tableUsage",
            "testCaseResult"
        ]
    );
    let text = schema.to_string();
    for file in OPENMETADATA {
        assert!(text.contains(&format!("\"openmetadata/{file}\"")), "{file}");
    }
}
