//! The decisions about a run's test cases that are data quality, not orchestration:
//! which columns OpenMetadata can hold a test on, which column a stored case tests, and
//! whether a YAML case's parameters fit its test definition
//! (`TestCaseRepository.validateTestParameters`). `workflow/test.rs` asks; the server's
//! client (`sinks::openmetadata::dq`) reads definitions into [`Definition`].

use crate::config::YamlTestCase;

/// A test definition as the server declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// `name`, e.g. `columnValuesToBeUnique`.
    pub name: String,
    /// `TABLE` or `COLUMN`.
    pub entity_type: String,
    /// `parameterDefinition[]`: name and whether it is required.
    pub parameters: Vec<(String, bool)>,
}

/// Why OpenMetadata cannot hold a test on column `name` (`None` when it can): the
/// entity link's pattern forbids `<`, `>` and `|` in a part and `::` inside one
/// (`basic.json#/definitions/entityLink`; `TestCaseRepository.validateColumnTestCase`).
pub fn untestable_column_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("its name is empty")
    } else if name.contains(['<', '>', '|']) {
        Some("its name holds `<`, `>` or `|`, which OpenMetadata's entity links forbid")
    } else if name.contains("::") || name.ends_with(':') {
        Some("its name holds `::` (or ends with `:`), which OpenMetadata's entity links forbid")
    } else {
        None
    }
}

/// `TestCaseRepository.validateTestParameters` and the entity type, checked here so
/// that the error names the case and says how to fix it.
pub fn check_case(case: &YamlTestCase, d: &Definition) -> Result<(), String> {
    let declared: Vec<&str> = d.parameters.iter().map(|(n, _)| n.as_str()).collect();
    let given: Vec<&str> = case
        .parameter_values
        .iter()
        .flatten()
        .map(|p| p.name.as_str())
        .collect();
    for g in &given {
        if !declared.contains(g) {
            return Err(format!(
                "parameter `{g}` is not defined by test definition `{}`; its parameters are: {}.",
                d.name,
                if declared.is_empty() {
                    "(none)".to_string()
                } else {
                    declared.join(", ")
                }
            ));
        }
    }
    for (name, required) in &d.parameters {
        if *required && !given.contains(&name.as_str()) {
            return Err(format!(
                "required parameter `{name}` of test definition `{}` is missing; add `{{name: {name}, value: ...}}` to parameterValues.",
                d.name
            ));
        }
    }
    match (d.entity_type.as_str(), &case.column_name) {
        ("COLUMN", None) => Err(format!(
            "test definition `{}` tests a column: add `columnName`.",
            d.name
        )),
        ("TABLE", Some(c)) => Err(format!(
            "test definition `{}` tests a whole table, but the case names column `{c}`: remove `columnName`.",
            d.name
        )),
        _ => Ok(()),
    }
}

/// The column of test case `case` from its entity link, `None` for a table test.
pub fn column_of_link(link: &str, table_fqn: &str) -> Option<String> {
    let rest = link
        .strip_prefix(&format!("<#E::table::{table_fqn}"))?
        .strip_suffix('>')?;
    rest.strip_prefix("::columns::").map(str::to_string)
}

/// Why a column cannot be tested in OpenMetadata, or `None`: its name is forbidden in
/// entity links, or it is a nested attribute (`a.b` where `a` is a column), not a
/// top-level column.
pub fn untestable(column: &str, columns: &[String]) -> Option<String> {
    if let Some(why) = untestable_column_name(column) {
        return Some(format!(
            "column `{column}` is not testable in OpenMetadata: {why}; it was not sent"
        ));
    }
    if !columns.is_empty() && !columns.iter().any(|c| c == column) {
        if let Some((top, _)) = column.split_once('.') {
            if columns.iter().any(|c| c == top) {
                return Some(format!("column `{column}` is a nested attribute of `{top}`: OpenMetadata tests top-level columns only; it was not sent"));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_from_entity_links() {
        assert_eq!(column_of_link("<#E::table::s.d.c.t>", "s.d.c.t"), None);
        assert_eq!(
            column_of_link("<#E::table::s.d.c.t::columns::id>", "s.d.c.t"),
            Some("id".into())
        );
    }

    #[test]
    fn nested_and_forbidden_columns_are_not_testable() {
        let cols = vec!["address".to_string(), "id".to_string()];
        assert!(untestable("id", &cols).is_none());
        assert!(untestable("address.city", &cols)
            .unwrap()
            .contains("nested attribute"));
        assert!(untestable("a|b", &cols).unwrap().contains("forbid"));
        assert!(untestable("a::b", &cols).unwrap().contains("forbid"));
    }
}
