//! What a table read returns: the `fields=` query parameter, as
//! `EntityRepository.setFieldsInternal` / `clearFieldsInternal` and
//! `TableRepository.setFields` / `clearFields` apply it.
//!
//! Verified upstream (TableRepository.clearFields, EntityRepository.clearFieldsInternal,
//! TableRepository.fetchAndSetColumnTags): `columns` always come back; without being
//! asked for, `owners`, `tags`, `extension`, `domains`, `dataProducts`, `followers`,
//! `votes`, `tableConstraints`, `usageSummary`, `joins`, `schemaDefinition`,
//! `tableProfilerConfig` and `testSuite` are left out; column tags only come with both
//! `columns` and `tags`. Profiles are never part of a plain read (they come from
//! `/tableProfile/latest`); `sampleData` (listed in `TableResource.FIELDS`) only when
//! asked for (not verified in `setFields`). `*` asks for every field.

use std::collections::BTreeSet;

use serde_json::Value;

use super::state::{api_error, ApiError};

/// Every property of `entity/data/table.json`: the names `fields=` accepts
/// (`Entity.getEntityFields(Table.class)`, plus `customMetrics` which the resource adds).
const TABLE_FIELDS: [&str; 54] = [
    "id",
    "name",
    "displayName",
    "fullyQualifiedName",
    "description",
    "version",
    "updatedAt",
    "updatedBy",
    "impersonatedBy",
    "href",
    "tableType",
    "columns",
    "tableConstraints",
    "aliases",
    "tablePartition",
    "owners",
    "databaseSchema",
    "database",
    "service",
    "serviceType",
    "location",
    "locationPath",
    "schemaDefinition",
    "tags",
    "usageSummary",
    "followers",
    "joins",
    "sampleData",
    "tableProfilerConfig",
    "customMetrics",
    "profile",
    "testSuite",
    "dataModel",
    "changeDescription",
    "incrementalChangeDescription",
    "deleted",
    "retentionPeriod",
    "compressionEnabled",
    "compressionCodec",
    "compressionStrategy",
    "extension",
    "sourceUrl",
    "domains",
    "dataProducts",
    "dataContract",
    "fileFormat",
    "votes",
    "lifeCycle",
    "certification",
    "sourceHash",
    "processedLineage",
    "queries",
    "pipelineObservability",
    "entityStatus",
];

/// Table fields left out unless asked for.
const ON_REQUEST: [&str; 14] = [
    "owners",
    "tags",
    "extension",
    "domains",
    "dataProducts",
    "followers",
    "votes",
    "tableConstraints",
    "usageSummary",
    "joins",
    "schemaDefinition",
    "tableProfilerConfig",
    "testSuite",
    "customMetrics",
];

/// The fields a read asks for.
#[derive(Debug, Clone, Default)]
pub(super) struct Fields(BTreeSet<String>);

impl Fields {
    /// Parses `fields=` for a table read: comma-separated, spaces ignored, `*` = all;
    /// an unknown name is 400 `Invalid field name X`.
    ///
    /// Upstream: openmetadata-service/.../util/EntityUtil.java, Fields (constructor);
    /// CatalogExceptionMessage.invalidField.
    pub fn parse_table(param: Option<&str>) -> Result<Fields, ApiError> {
        let Some(text) = param.map(|p| p.replace(' ', "")).filter(|p| !p.is_empty()) else {
            return Ok(Fields::default());
        };
        if text == "*" {
            return Ok(Fields(TABLE_FIELDS.iter().map(|f| f.to_string()).collect()));
        }
        let mut out = BTreeSet::new();
        for field in text.split(',') {
            if !TABLE_FIELDS.contains(&field) {
                return Err(api_error(400, format!("Invalid field name {field}")));
            }
            out.insert(field.to_string());
        }
        Ok(Fields(out))
    }

    /// Every field (what a PUT or PATCH answers with).
    pub fn all() -> Fields {
        Fields(TABLE_FIELDS.iter().map(|f| f.to_string()).collect())
    }

    /// Whether `field` was asked for.
    pub fn has(&self, field: &str) -> bool {
        self.0.contains(field)
    }
}

/// A stored table as a read with `fields` returns it.
pub(super) fn table_view(stored: &Value, fields: &Fields) -> Value {
    let mut table = stored.clone();
    let Some(map) = table.as_object_mut() else {
        return table;
    };
    for key in ON_REQUEST {
        if !fields.has(key) {
            map.shift_remove(key);
        }
    }
    map.shift_remove("profile");
    if !fields.has("sampleData") {
        map.shift_remove("sampleData");
    }
    let column_tags = fields.has("columns") && fields.has("tags");
    let column_metrics = fields.has("columns") && fields.has("customMetrics");
    if let Some(columns) = map.get_mut("columns") {
        strip_columns(columns, column_tags, column_metrics, false);
    }
    table
}

/// A stored table as a PUT, PATCH or bulk answer returns it: every field the entity
/// document holds, without what other endpoints stored (profiles, sample data).
pub(super) fn write_view(stored: &Value) -> Value {
    let mut table = table_view(stored, &Fields::all());
    if let Some(map) = table.as_object_mut() {
        map.shift_remove("sampleData");
    }
    table
}

/// A table with its sample data (`PUT` / `GET /tables/{id}/sampleData`).
pub(super) fn sample_data_view(stored: &Value) -> Value {
    let mut table = table_view(stored, &Fields::default());
    if let Some(data) = stored.get("sampleData") {
        table["sampleData"] = data.clone();
    }
    table
}

/// A table with its latest profile and, when `with_columns`, each column's latest
/// profile (`GET /tables/{fqn}/tableProfile/latest`).
pub(super) fn profile_view(stored: &Value, with_columns: bool) -> Value {
    let mut table = table_view(stored, &Fields::default());
    if let Some(profile) = stored.get("profile") {
        table["profile"] = profile.clone();
    }
    if with_columns {
        if let (Some(columns), Some(stored_columns)) =
            (table.get_mut("columns"), stored.get("columns"))
        {
            *columns = stored_columns.clone();
            strip_columns(columns, false, false, true);
        }
    }
    table
}

/// Leaves `tags`, `customMetrics` and `profile` off columns (at any depth) unless kept.
pub(super) fn strip_column_fields(columns: &mut Value, tags: bool, metrics: bool, profile: bool) {
    strip_columns(columns, tags, metrics, profile);
}

fn strip_columns(columns: &mut Value, tags: bool, metrics: bool, profile: bool) {
    for column in columns.as_array_mut().into_iter().flatten() {
        let Some(map) = column.as_object_mut() else {
            continue;
        };
        if !profile {
            map.shift_remove("profile");
        }
        if !tags {
            map.shift_remove("tags");
        }
        if !metrics {
            map.shift_remove("customMetrics");
        }
        if let Some(children) = map.get_mut("children") {
            strip_columns(children, tags, metrics, profile);
        }
    }
}
