//! Entity and column names, and fully qualified names, as OpenMetadata checks and builds
//! them.
//!
//! * Names: `type/basic.json#/definitions/entityName` and
//!   `entity/data/table.json#/definitions/columnName` (`minLength 1`, `maxLength 256`,
//!   `pattern ^((?!::).)*$`), enforced by Jakarta Bean Validation on the generated Java
//!   classes before any resource code runs. The JSON Schemas in `openmetadata-spec/` come
//!   from the Python models and lack the pattern (and the column name's `maxLength`), so
//!   the rule is ported here.
//! * FQNs: `FullyQualifiedName.quoteName`, `add`, `split`.

use serde_json::Value;

use super::state::{api_error, ApiError};

/// The pattern of `entityName` and `columnName`.
pub(super) const NAME_PATTERN: &str = "^((?!::).)*$";

/// Characters Java's `.` does not match (no `DOTALL`), and that Java's `$` treats as
/// line ends: `\n`, `\r`, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR.
pub(super) fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// The Bean Validation violations of one name, in Hibernate Validator's wording.
///
/// Upstream: openmetadata-spec/.../json/schema/type/basic.json, entityName, and
/// entity/data/table.json, columnName (`@Size(min = 1, max = 256)` counts UTF-16 code
/// units, as `String.length()` does; `@Pattern` uses `Matcher.matches()` with Java
/// regex semantics, so `.` refuses the line terminators above).
pub(super) fn name_violations(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let length = name.encode_utf16().count();
    if !(1..=256).contains(&length) {
        out.push("size must be between 1 and 256".to_string());
    }
    if name.contains("::") || name.chars().any(is_line_terminator) {
        out.push(format!("must match \"{NAME_PATTERN}\""));
    }
    out
}

/// How Bean Validation violations are worded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reporting {
    /// A `@Valid` resource parameter, answered by `ConstraintViolationExceptionMapper`:
    /// `query param <leaf node> <message>`.
    QueryParam,
    /// `ValidatorUtil.validate` (bulk items): `<full property path> <message>`.
    PropertyPath,
}

/// Checks the `name` of a create request and, for tables, every column name at any
/// depth (`@Valid` cascades into `columns` and `children`). All violations are reported
/// together, as `[a, b]` (`List.toString()`).
///
/// Upstream: openmetadata-service/.../exception/ConstraintViolationExceptionMapper.java,
/// toResponse (`"query param " + leaf + " " + message`), and
/// openmetadata-service/.../util/ValidatorUtil.java, validate (`path + " " + message`).
pub(super) fn check_create_names(request: &Value, reporting: Reporting) -> Result<(), ApiError> {
    let mut violations: Vec<(String, String)> = Vec::new();
    if let Some(name) = request.get("name").and_then(Value::as_str) {
        for v in name_violations(name) {
            violations.push(("name".to_string(), v));
        }
    }
    column_name_violations(request.get("columns"), "columns", &mut violations);
    if violations.is_empty() {
        return Ok(());
    }
    let texts: Vec<String> = violations
        .iter()
        .map(|(path, message)| match reporting {
            Reporting::QueryParam => {
                let leaf = path.rsplit('.').next().unwrap_or(path);
                format!("query param {leaf} {message}")
            }
            Reporting::PropertyPath => format!("{path} {message}"),
        })
        .collect();
    Err(api_error(400, format!("[{}]", texts.join(", "))))
}

fn column_name_violations(columns: Option<&Value>, path: &str, out: &mut Vec<(String, String)>) {
    for (i, column) in columns
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let here = format!("{path}[{i}]");
        if let Some(name) = column.get("name").and_then(Value::as_str) {
            for v in name_violations(name) {
                out.push((format!("{here}.name"), v));
            }
        }
        column_name_violations(column.get("children"), &format!("{here}.children"), out);
    }
}

/// Quotes one FQN part.
///
/// Upstream: openmetadata-service/.../util/FullyQualifiedName.java, quoteName, with
/// `namePattern = ^(")([^"]+)(")$|^(.*)$`:
/// * already quoted (`"x"`, no inner quote): unquoted unless the inner text has a `.`;
/// * a `.` (and no `"`): wrapped in quotes;
/// * an inner `"`: every `"` escaped as `\"`;
/// * a line terminator outside a fully quoted name: `Invalid name <name>` (400).
pub(super) fn quote_name(name: &str) -> Result<String, ApiError> {
    // `[^"]` matches line terminators, so a fully quoted name may hold them.
    if let Some(inner) = name
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        if !inner.is_empty() && !inner.contains('"') {
            return Ok(if inner.contains('.') {
                name.to_string()
            } else {
                inner.to_string()
            });
        }
    }
    // `^(.*)$` cannot span a line terminator: `find()` fails or stops before the end.
    if name.chars().any(is_line_terminator) {
        return Err(api_error(400, format!("Invalid name {name}")));
    }
    if !name.contains('"') {
        Ok(if name.contains('.') {
            format!("\"{name}\"")
        } else {
            name.to_string()
        })
    } else {
        Ok(name.replace('"', "\\\""))
    }
}

/// `parent + "." + quoteName(name)` (`FullyQualifiedName.add`).
pub(super) fn add(parent: &str, name: &str) -> Result<String, ApiError> {
    Ok(format!("{parent}.{}", quote_name(name)?))
}

/// The parts of an FQN, unquoted (`FullyQualifiedName.split`); `None` when it does not
/// parse (an empty part, an unterminated quote).
pub(super) fn split(fqn: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = fqn.chars().collect();
    let mut parts = Vec::new();
    let mut i = 0;
    loop {
        let mut part = String::new();
        if chars.get(i) == Some(&'"') {
            // A quoted part runs to the quote that ends the part (followed by `.` or
            // the end); `\"` is an escaped quote.
            i += 1;
            loop {
                match chars.get(i) {
                    None => return None,
                    Some('\\') if chars.get(i + 1) == Some(&'"') => {
                        part.push('"');
                        i += 2;
                    }
                    Some('"') if matches!(chars.get(i + 1), None | Some('.')) => {
                        i += 1;
                        break;
                    }
                    Some(c) => {
                        part.push(*c);
                        i += 1;
                    }
                }
            }
        } else {
            while let Some(c) = chars.get(i) {
                if *c == '.' {
                    break;
                }
                if *c == '\\' && chars.get(i + 1) == Some(&'"') {
                    part.push('"');
                    i += 2;
                    continue;
                }
                part.push(*c);
                i += 1;
            }
        }
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        match chars.get(i) {
            None => return Some(parts),
            Some('.') => i += 1,
            Some(_) => return None,
        }
    }
}

/// The FQN built from unquoted parts (`FullyQualifiedName.build`).
pub(super) fn build(parts: &[String]) -> Option<String> {
    parts
        .iter()
        .map(|p| quote_name(p).ok())
        .collect::<Option<Vec<String>>>()
        .map(|q| q.join("."))
}
