//! Generates the published JSON Schema of the file sink's records from the Rust types
//! (schemars derives, test builds only), so the schema cannot drift from what is
//! written: `record_schema_file_is_current` fails when the committed file differs.
//! Regenerate with `DYNAMETA_UPDATE_SCHEMA=1 cargo test -p dynameta --lib record_schema`.
//!
//! Where a payload is an OpenMetadata request, the schema references OpenMetadata
//! 2.0.7's own schema (copied unmodified next to it, in `openmetadata/`); the rest is
//! dynameta's own structure, described from its types. The `dynamodb` part of a
//! profile is built with `json!` (processors/profiler/request.rs), so it is mirrored
//! by `ProfileStatistics` here; the integration test `record_schema` validates real
//! profiles against it, strictly (`additionalProperties: false`), so a field added
//! there without being added here fails.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde_json::{json, Value};

use super::Record;
use crate::processors::profiler::{ColumnSummary, Sampling};

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

/// `dynamodb` of a `createTableProfile` record: how the profile was read, and every
/// attribute path's exact statistics.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // only its schema is used
struct ProfileStatistics {
    /// Whether the profile's `rowCount` was counted (full scan) rather than estimated.
    row_count_exact: bool,
    /// DescribeTable's approximate item count (refreshed by DynamoDB about every six hours).
    item_count_reported: Option<i64>,
    /// How the profiled items were chosen.
    sampling: Sampling,
    /// Items read.
    items_read: u64,
    /// Scan requests made (0 when read from an export).
    requests: u64,
    /// Scan segments (or export data files).
    segments: Segments,
    /// Read capacity units consumed, as DynamoDB reported.
    consumed_read_units: f64,
    /// Read units per second the scan was held to, if any.
    read_budget: Option<f64>,
    /// Wall time of the read, in seconds.
    seconds: f64,
    /// Every attribute path (nested map fields too), by path.
    columns: Vec<ColumnSummary>,
    /// When read from a DynamoDB export to S3: which, and what was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    export: Option<ExportRead>,
}

/// Segments of a profile's read.
#[derive(JsonSchema)]
#[allow(dead_code)] // only its schema is used
struct Segments {
    /// Segments the table was cut into (export: data files).
    total: u32,
    /// Segments planned for this read.
    planned: u64,
    /// Segments read to their end.
    completed: u32,
}

/// What a profile read from a DynamoDB export to S3 (mirrors `workflow::profile::ExportRead`,
/// which this layer may not use).
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // only its schema is used
struct ExportRead {
    /// The export, as configured (ARN or folder).
    export: String,
    /// The point in time it is of.
    export_time: Option<String>,
    /// Items in the export (its manifest's count: exact as of `exportTime`).
    items_in_export: u64,
    /// Data files in the export.
    files: u64,
    /// Data files read.
    files_read: u64,
    /// Bytes downloaded (gzip'd).
    gzip_bytes: u64,
    /// Bytes of DynamoDB JSON after decompression.
    json_bytes: u64,
}

/// The schema of one line of a file sink's output.
pub fn record_schema() -> Value {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let statistics = generator.subschema_for::<ProfileStatistics>().to_value();
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
        if kind == "createTableProfile" {
            let description = properties["dynamodb"]["description"].clone();
            let mut reference = statistics.clone();
            reference["description"] = description;
            properties.insert("dynamodb".into(), reference);
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
            "tableUsage"
        ]
    );
    let text = schema.to_string();
    for file in OPENMETADATA {
        assert!(text.contains(&format!("\"openmetadata/{file}\"")), "{file}");
    }
}
