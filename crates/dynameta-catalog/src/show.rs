//! One table in the terminal: key, indexes, properties, the column tree with types,
//! presence and PII tags.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::diff::{index_text, key_text};
use crate::read::SchemaVersion;
use crate::{Catalog, CatalogError, Column, PiiTag, TableSnapshot};

/// What `show` prints.
#[derive(Debug, Clone)]
pub struct TableView {
    /// The latest snapshot.
    pub snapshot: TableSnapshot,
    /// Its schema version, when from a catalog.
    pub version: Option<SchemaVersion>,
    /// PII tags by column path.
    pub tags: Vec<PiiTag>,
}

impl Catalog {
    /// The latest view of a table (by FQN or DynamoDB name) from succeeded runs.
    pub fn table_view(&self, name: &str) -> Result<TableView, CatalogError> {
        let table = self.find_table(name)?;
        let snapshot = self
            .latest_snapshot(&table.fqn)?
            .ok_or_else(|| {
                CatalogError::NotFound(format!(
                    "the catalog {} has no succeeded ingest run of {}; run `dynameta ingest` first",
                    self.path().display(),
                    table.fqn
                ))
            })?
            .snapshot;
        let version = self.versions(&table.fqn)?.pop();
        let tags = self.tags(&table.fqn)?.map(|(_, t)| t).unwrap_or_default();
        Ok(TableView {
            snapshot,
            version,
            tags,
        })
    }
}

/// Bytes for people: `43.2 KB`.
pub fn human_bytes(bytes: i64) -> String {
    let mut v = bytes as f64;
    for unit in ["B", "KB", "MB", "GB", "TB"] {
        if v.abs() < 1000.0 || unit == "TB" {
            return if unit == "B" {
                format!("{bytes} B")
            } else {
                format!("{v:.1} {unit}")
            };
        }
        v /= 1000.0;
    }
    format!("{bytes} B")
}

/// Flattens the column tree into (depth, path, column), in display order.
pub fn column_rows(columns: &[Column]) -> Vec<(usize, String, &Column)> {
    fn walk<'a>(
        cols: &'a [Column],
        prefix: &str,
        depth: usize,
        out: &mut Vec<(usize, String, &'a Column)>,
    ) {
        for c in cols {
            let path = if prefix.is_empty() {
                c.name.clone()
            } else {
                format!("{prefix}.{}", c.name)
            };
            out.push((depth, path.clone(), c));
            walk(&c.children, &path, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(columns, "", 0, &mut out);
    out
}

/// The text `dynameta show` prints.
pub fn render(view: &TableView) -> String {
    let s = &view.snapshot;
    let mut out = String::new();
    let _ = writeln!(out, "{}  ({})", s.table.name, s.table.fqn);
    let _ = writeln!(out, "  key:      {}", key_text(&s.keys));
    if s.indexes.is_empty() {
        let _ = writeln!(out, "  indexes:  none");
    }
    for (n, i) in s.indexes.iter().enumerate() {
        let label = if n == 0 { "indexes:" } else { "" };
        let _ = writeln!(out, "  {label:<9} {} {}", i.name, index_text(i));
    }
    let mut facts = Vec::new();
    if let Some(b) = &s.billing {
        facts.push(format!("billing {b}"));
    }
    if let Some(n) = s.item_count {
        facts.push(format!("{n} items"));
    }
    if let Some(b) = s.size_bytes {
        facts.push(human_bytes(b));
    }
    facts.push(format!("TTL {}", s.ttl.as_deref().unwrap_or("unknown")));
    facts.push(format!(
        "stream {}",
        s.stream.as_deref().unwrap_or("unknown")
    ));
    let _ = writeln!(out, "  table:    {}", facts.join(" · "));
    if let Some(v) = &view.version {
        let _ = writeln!(
            out,
            "  schema:   version {} (since run {}, {})",
            v.version, v.first_run_id, v.started_at
        );
    }
    let tags: BTreeMap<&str, &PiiTag> = view.tags.iter().map(|t| (t.column.as_str(), t)).collect();
    let rows = column_rows(&s.columns);
    let name_w = rows
        .iter()
        .map(|(d, _, c)| d * 2 + c.name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(6, 40);
    let _ = writeln!(out, "  columns:");
    let _ = writeln!(
        out,
        "    {:<name_w$}  {:<32}  {:>8}  PII",
        "NAME", "TYPE", "PRESENCE"
    );
    for (depth, path, c) in rows {
        let name = format!("{}{}", "  ".repeat(depth), c.name);
        let mut ty = c.display_type.clone();
        if ty.chars().count() > 32 {
            ty = ty.chars().take(31).collect::<String>() + "…";
        }
        let presence = c
            .presence
            .map(|p| format!("{:.0}%", p * 100.0))
            .unwrap_or_default();
        let pii = tags
            .get(path.as_str())
            .map(|t| format!("{} ({} {:.0})", t.tag, t.recognizer, t.confidence))
            .unwrap_or_default();
        let line = format!("    {name:<name_w$}  {ty:<32}  {presence:>8}  {pii}");
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}
