//! OpenMetadata's Java checks on tables, ported: `DatabaseUtil` (column and constraint
//! structure), `TableRepository` (table constraints, sample data, profiles) and
//! `EntityRepository.validateColumn`. Every failure is an `IllegalArgumentException`
//! (or `EntitySpecViolationException` / `BadRequestException`) upstream, answered 400
//! with the exception message.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use serde_json::Value;

use super::names;
use super::state::{api_error, ApiError, Kind, Store};

fn bad(message: impl Into<String>) -> ApiError {
    api_error(400, message)
}

/// A string field, `null` read as absent (Java `null`).
pub(super) fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// An array field, `null` or absent read as `None`.
pub(super) fn list<'a>(value: &'a Value, key: &str) -> Option<&'a Vec<Value>> {
    value.get(key).and_then(Value::as_array)
}

/// A field that is neither absent nor `null`.
pub(super) fn present<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.get(key).filter(|v| !v.is_null())
}

/// Names of the top-level columns.
fn column_names(columns: &[Value]) -> Vec<&str> {
    columns.iter().filter_map(|c| text(c, "name")).collect()
}

/// Upstream: openmetadata-service/.../resources/databases/DatabaseUtil.java,
/// validateSinglePrimaryColumn and validateConstraints. Top-level columns only, as
/// upstream.
pub(super) fn validate_constraints(
    columns: &[Value],
    constraints: Option<&Vec<Value>>,
) -> Result<(), ApiError> {
    let mut primary = 0;
    for column in columns {
        if text(column, "constraint") == Some("PRIMARY_KEY") {
            primary += 1;
            if primary > 1 {
                return Err(bad("Multiple columns tagged with primary key constraints"));
            }
        }
    }
    let Some(constraints) = constraints else {
        return Ok(());
    };
    let names = column_names(columns);
    for constraint in constraints {
        if text(constraint, "constraintType") == Some("PRIMARY_KEY") && primary == 1 {
            return Err(bad(
                "A column already tagged as a primary key and table constraint also includes primary key",
            ));
        }
        for name in list(constraint, "columns").into_iter().flatten() {
            if !name.as_str().is_some_and(|n| names.contains(&n)) {
                return Err(bad("Invalid column name found in table constraint"));
            }
        }
    }
    Ok(())
}

/// Upstream: openmetadata-service/.../resources/databases/DatabaseUtil.java,
/// validateTablePartition (top-level column names only).
pub(super) fn validate_table_partition(
    columns: &[Value],
    partition: Option<&Value>,
) -> Result<(), ApiError> {
    let Some(details) = partition.and_then(|p| list(p, "columns")) else {
        return Ok(());
    };
    let names = column_names(columns);
    for detail in details {
        if !text(detail, "columnName").is_some_and(|n| names.contains(&n)) {
            return Err(bad("Invalid column name found in table partition"));
        }
    }
    Ok(())
}

/// Upstream: openmetadata-service/.../resources/databases/DatabaseUtil.java,
/// validateColumns. Not recursive, as upstream: children of a STRUCT are only checked
/// for repeated names. Mutates the columns as upstream does: `dataTypeDisplay` defaults
/// to the lower-cased `dataType` and is lower-cased; `arrayDataType` is dropped unless
/// `dataType` is ARRAY.
pub(super) fn validate_columns(columns: &mut [Value]) -> Result<(), ApiError> {
    validate_column_names(columns)?;
    for column in columns.iter_mut() {
        let Some(fields) = column.as_object_mut() else {
            continue;
        };
        let data_type = fields
            .get("dataType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let name = fields
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        // validateColumnDataTypeDisplay
        let display = fields
            .get("dataTypeDisplay")
            .and_then(Value::as_str)
            .unwrap_or(&data_type)
            .to_lowercase();
        fields.insert("dataTypeDisplay".into(), Value::String(display));
        // validateColumnDataLength
        let has_length = fields.get("dataLength").is_some_and(|v| !v.is_null());
        if ["CHAR", "VARCHAR", "BINARY", "VARBINARY"].contains(&data_type.as_str()) && !has_length {
            return Err(bad(
                "For column data types char, varchar, binary, varbinary dataLength must not be null",
            ));
        }
        // validateArrayColumn
        if fields.get("arrayDataType").is_some_and(|v| !v.is_null()) && data_type != "ARRAY" {
            fields.shift_remove("arrayDataType");
        }
        if data_type == "ARRAY" && fields.get("arrayDataType").is_none_or(Value::is_null) {
            return Err(bad(
                "For column data type array, arrayDataType must not be null",
            ));
        }
        // validateStructColumn
        if data_type == "STRUCT" {
            match fields.get("children").and_then(Value::as_array) {
                None => {
                    return Err(bad(
                        "For column data type struct, children must not be null",
                    ))
                }
                Some(children) => validate_column_names(children)?,
            }
        }
        // validatePrecisionAndScale
        let precision = fields.get("precision").and_then(Value::as_i64);
        if let Some(scale) = fields.get("scale").and_then(Value::as_i64) {
            match precision {
                None => {
                    return Err(bad(format!(
                        "Scale is set but precision is not set for the column {name}"
                    )))
                }
                Some(p) if scale > p => {
                    return Err(bad(format!(
                        "Scale can't be greater than the precision for the column {name}"
                    )))
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// Upstream: openmetadata-service/.../resources/databases/DatabaseUtil.java,
/// validateColumnNames (exact, case-sensitive).
fn validate_column_names(columns: &[Value]) -> Result<(), ApiError> {
    let mut seen: Vec<Option<&str>> = Vec::new();
    for column in columns {
        let name = text(column, "name");
        if seen.contains(&name) {
            return Err(bad(format!(
                "Column name {} is repeated",
                name.unwrap_or("null")
            )));
        }
        seen.push(name);
    }
    Ok(())
}

/// A column name must be one of the table's top-level columns (exact), or `all` in any
/// case.
///
/// Upstream: openmetadata-service/.../jdbi3/EntityRepository.java, validateColumn.
pub(super) fn validate_column(table: &Value, column_name: &str) -> Result<(), ApiError> {
    let columns = list(table, "columns").map(Vec::as_slice).unwrap_or(&[]);
    if column_names(columns).contains(&column_name) || column_name.eq_ignore_ascii_case("all") {
        Ok(())
    } else {
        Err(bad(format!("Invalid column name {column_name}")))
    }
}

/// Java `Object.equals` of two `TableConstraint`s (every field; `null` = absent).
pub(super) fn same_constraint(a: &Value, b: &Value) -> bool {
    [
        "constraintType",
        "columns",
        "referredColumns",
        "relationshipType",
    ]
    .iter()
    .all(|k| present(a, k) == present(b, k))
}

/// jsonschema2pojo's `toString()` of a `TableConstraint` (the identity hash is a hash of
/// the content here).
fn constraint_to_string(c: &Value) -> String {
    let mut hasher = DefaultHasher::new();
    c.to_string().hash(&mut hasher);
    let show = |key: &str| match present(c, key) {
        None => "<null>".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(other) => other.to_string(),
    };
    format!(
        "org.openmetadata.schema.type.TableConstraint@{:x}[constraintType={},columns={},referredColumns={},relationshipType={}]",
        hasher.finish() as u32,
        show("constraintType"),
        show("columns"),
        show("referredColumns"),
        show("relationshipType"),
    )
}

/// Upstream: openmetadata-service/.../jdbi3/TableRepository.java, validateTableConstraints
/// (from `prepare`, and again in `TableUpdater.updateTableConstraints`): no constraint
/// twice (`EntitySpecViolationException`, 400), constraint columns must be top-level
/// columns (`validateColumn`), referred columns must be columns of an existing table.
pub(super) fn validate_table_constraints(store: &Store, table: &Value) -> Result<(), ApiError> {
    let constraints = list(table, "tableConstraints")
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut seen: Vec<&Value> = Vec::new();
    for constraint in constraints {
        if seen.iter().any(|c| same_constraint(c, constraint)) {
            return Err(bad(format!(
                "Duplicate constraint found in request: {}",
                constraint_to_string(constraint)
            )));
        }
        seen.push(constraint);
        for column in list(constraint, "columns").into_iter().flatten() {
            validate_column(table, column.as_str().unwrap_or("null"))?;
        }
        for referred in list(constraint, "referredColumns").into_iter().flatten() {
            let referred = referred.as_str().unwrap_or_default();
            // FullyQualifiedName.getParentFQN / getColumnName (split(fqn)[4]).
            let parts = names::split(referred)
                .filter(|p| p.len() >= 5)
                .ok_or_else(|| bad(format!("Invalid fully qualified column name {referred}")))?;
            let parent = names::build(&parts[..parts.len() - 1]).unwrap_or_default();
            let Some(to_table) = store.get(Kind::Table, &parent) else {
                return Err(bad(format!("Table not found: {parent}")));
            };
            validate_column(to_table, &parts[4])?;
        }
    }
    Ok(())
}

/// On PATCH, a constraint not matching any stored one must not equal one of them either.
/// (With `validateTableConstraints` run first this only refuses what `tableConstraintMatch`
/// and `equals` disagree on.)
///
/// Upstream: openmetadata-service/.../jdbi3/TableRepository.java,
/// TableUpdater.updateTableConstraints → checkDuplicateTableConstraints.
pub(super) fn check_duplicate_table_constraints(
    original: &Value,
    updated: &Value,
) -> Result<(), ApiError> {
    let orig = list(original, "tableConstraints")
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let new: Vec<&Value> = list(updated, "tableConstraints")
        .into_iter()
        .flatten()
        .filter(|c| !orig.iter().any(|o| constraint_match(o, c)))
        .collect();
    if orig.is_empty() || new.is_empty() {
        return Ok(());
    }
    let mut set: Vec<&Value> = orig.iter().collect();
    for constraint in new {
        if set.iter().any(|c| same_constraint(c, constraint)) {
            return Err(bad(format!(
                "Table Constraint is Duplicate: {}",
                constraint_to_string(constraint)
            )));
        }
        set.push(constraint);
    }
    Ok(())
}

/// `EntityUtil.tableConstraintMatch`: same type, columns and referred columns.
pub(super) fn constraint_match(a: &Value, b: &Value) -> bool {
    ["constraintType", "columns", "referredColumns"]
        .iter()
        .all(|k| present(a, k) == present(b, k))
}

/// Upstream: openmetadata-service/.../util/RestUtil.java, validateTimestampMilliseconds:
/// `null` → `Timestamp is required`; fewer than 12 digits →
/// `Timestamp <t> is not valid, it should be in milliseconds since epoch`.
pub(super) fn validate_timestamp(timestamp: Option<&Value>) -> Result<(), ApiError> {
    let Some(value) = timestamp.filter(|v| !v.is_null()) else {
        return Err(bad("Timestamp is required"));
    };
    let digits = value.to_string();
    if digits.len() < 12 {
        return Err(bad(format!(
            "Timestamp {digits} is not valid, it should be in milliseconds since epoch"
        )));
    }
    Ok(())
}

/// The path (indexes through `columns` / `children`) of the column a column profile
/// names: a top-level name, or `parent.child` for nested columns (names joined with `.`,
/// unquoted).
///
/// Upstream: openmetadata-service/.../jdbi3/TableRepository.java,
/// getColumnNameForProfiler.
pub(super) fn column_for_profiler(columns: &[Value], name: &str) -> Option<Vec<usize>> {
    fn find(columns: &[Value], name: &str, parent: Option<&str>) -> Option<Vec<usize>> {
        for (i, column) in columns.iter().enumerate() {
            let own = text(column, "name").unwrap_or("null");
            let path = match parent {
                Some(p) => format!("{p}.{own}"),
                None => own.to_string(),
            };
            if path == name {
                return Some(vec![i]);
            }
            if let Some(children) = list(column, "children") {
                if let Some(mut rest) = find(children, name, Some(&path)) {
                    rest.insert(0, i);
                    return Some(rest);
                }
            }
        }
        None
    }
    find(columns, name, None)
}

/// The column at `path` (see [`column_for_profiler`]).
pub(super) fn column_at_mut<'a>(table: &'a mut Value, path: &[usize]) -> Option<&'a mut Value> {
    let mut current = table.get_mut("columns")?.get_mut(*path.first()?)?;
    for i in &path[1..] {
        current = current.get_mut("children")?.get_mut(*i)?;
    }
    Some(current)
}

/// Length of the `tag_usage.targetFQNHash` column.
///
/// Upstream: bootstrap/sql/migrations (native 1.1 schemaChanges.sql, MySQL: `ALTER TABLE
/// tag_usage MODIFY COLUMN tagFQNHash VARCHAR(768) COLLATE ascii_bin, MODIFY COLUMN
/// targetFQNHash VARCHAR(768) COLLATE ascii_bin`; Postgres the same length), unchanged
/// since.
pub(super) const TARGET_FQN_HASH_MAX: usize = 768;

/// Length of `FullyQualifiedName.buildHash(fqn)`: each part of the FQN hashed
/// (`EntityUtil.hash`, an MD5 as 32 hex characters) and the hashes joined with `.`,
/// so `33 * parts - 1` whatever the names: 23 parts fit in 768, 24 do not (a column at
/// nesting level 20, a table's top-level columns being level 1).
///
/// Upstream: openmetadata-service/.../util/FullyQualifiedName.java, buildHash(String)
/// → split → buildHash(String...).
pub(super) fn fqn_hash_len(fqn: &str) -> usize {
    let parts = names::split(fqn).map_or(1, |p| p.len());
    33 * parts - 1
}

/// Every label stored for an entity (and, for a table, each column at any depth) is a
/// `tag_usage` row keyed by its target's FQN hash; a target whose hash is longer than
/// the column fails the insert, which fails the whole request (the write runs in one
/// transaction: nothing of it is stored). MySQL strict mode answers
/// `Data truncation: Data too long for column 'targetFQNHash'`; JDBI wraps it in an
/// `UnableToExecuteStatementException` that is no integrity violation, so
/// `CatalogGenericExceptionMapper.toResponse` falls through to
/// `UnhandledServerException`: 500 with the exception's message (the JDBI message also
/// carries the statement; that part is not reproduced).
///
/// Upstream: openmetadata-service/.../jdbi3/EntityRepository.java, applyTags →
/// CollectionDAO.TagUsageDAO.applyTag(..., FullyQualifiedName.buildHash(targetFQN), ...);
/// TableRepository.applyColumnTags / storeRelationships.
pub(super) fn check_tag_usage_targets(entity: &Value) -> Result<(), ApiError> {
    fn labelled(v: &Value) -> bool {
        list(v, "tags").is_some_and(|t| !t.is_empty())
    }
    fn walk(columns: Option<&Vec<Value>>) -> Result<(), ApiError> {
        for column in columns.into_iter().flatten() {
            if labelled(column) {
                let fqn = text(column, "fullyQualifiedName").unwrap_or_default();
                if fqn_hash_len(fqn) > TARGET_FQN_HASH_MAX {
                    return Err(api_error(
                        500,
                        format!(
                            "Data truncation: Data too long for column 'targetFQNHash' at row 1 (tag_usage of {fqn}: a hash of {} characters, the column holds {TARGET_FQN_HASH_MAX})",
                            fqn_hash_len(fqn)
                        ),
                    ));
                }
            }
            walk(list(column, "children"))?;
        }
        Ok(())
    }
    if labelled(entity) {
        let fqn = text(entity, "fullyQualifiedName").unwrap_or_default();
        if fqn_hash_len(fqn) > TARGET_FQN_HASH_MAX {
            return Err(api_error(
                500,
                "Data truncation: Data too long for column 'targetFQNHash' at row 1",
            ));
        }
    }
    walk(list(entity, "columns"))
}
