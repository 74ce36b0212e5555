//! The columns a table's tags go on: every leaf of the inferred column tree.

use crate::openmetadata::{fqn, Column};

/// A leaf column to classify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnTarget {
    /// Column FQN in OpenMetadata (`service.db.schema.table.parent.child`).
    pub fqn: String,
    /// Column names from the top (what OpenMetadata calls them).
    pub names: Vec<String>,
    /// DynamoDB attribute names from the top (what the items call them).
    pub path: Vec<String>,
}

impl ColumnTarget {
    /// Dotted attribute path for display, e.g. `profile.address.street`.
    pub fn display_path(&self) -> String {
        self.path.join(".")
    }
}

/// Leaves of `columns` (columns without children), depth first, in column order.
/// A STRUCT is classified through its children; an ARRAY of STRUCT likewise.
pub fn targets(table_fqn: &str, columns: &[Column]) -> Vec<ColumnTarget> {
    let mut out = Vec::new();
    let base = fqn::split(table_fqn);
    walk(&base, columns, &mut Vec::new(), &mut Vec::new(), &mut out);
    out
}

fn walk(
    base: &[String],
    columns: &[Column],
    names: &mut Vec<String>,
    path: &mut Vec<String>,
    out: &mut Vec<ColumnTarget>,
) {
    for column in columns {
        names.push(column.name.clone());
        path.push(
            column
                .display_name
                .clone()
                .unwrap_or_else(|| column.name.clone()),
        );
        match column.children.as_deref() {
            Some(children) if !children.is_empty() => walk(base, children, names, path, out),
            _ => {
                let parts: Vec<&str> = base
                    .iter()
                    .chain(names.iter())
                    .map(String::as_str)
                    .collect();
                out.push(ColumnTarget {
                    fqn: fqn::build(&parts),
                    names: names.clone(),
                    path: path.clone(),
                });
            }
        }
        names.pop();
        path.pop();
    }
}
