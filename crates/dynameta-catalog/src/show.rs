//! One table in the terminal: key, indexes, properties, the column tree with types,
//! presence and PII tags, and whether the latest profile still matches the schema.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use dynameta_fs::terminal::escape;

use crate::diff::{index_text, key_text};
use crate::read::{SchemaVersion, StoredProfile, StoredSnapshot};
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
    /// The latest profile measured against the current schema, when there is one.
    pub profile: Option<ProfileCheck>,
}

/// The latest profile of a table against its current schema: its metrics of a column
/// whose type changed since (or that is gone) are not the column's current metrics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProfileCheck {
    /// The profile run.
    pub run_id: i64,
    /// When it started.
    pub started_at: String,
    /// Column name → its type when profiled, for columns whose type changed since.
    pub stale: BTreeMap<String, String>,
    /// Profiled columns the current schema no longer has.
    pub gone: Vec<String>,
}

impl ProfileCheck {
    /// Compares `profile` with the schema of the latest snapshot taken before it (what
    /// dynameta knew of the table when it profiled) and the current one (`snapshots`'
    /// last). With no snapshot before the profile nothing can be called stale.
    pub fn of(profile: &StoredProfile, snapshots: &[StoredSnapshot]) -> ProfileCheck {
        let mut check = ProfileCheck {
            run_id: profile.run_id,
            started_at: profile.started_at.clone(),
            ..ProfileCheck::default()
        };
        let Some(current) = snapshots.last() else {
            return check;
        };
        let then = snapshots.iter().rev().find(|s| s.run_id < profile.run_id);
        let type_in = |s: &StoredSnapshot, name: &str| {
            s.snapshot
                .columns
                .iter()
                .find(|c| c.name == name)
                .map(|c| c.display_type.clone())
        };
        for name in profile.columns.iter().flatten().map(|c| c.name.as_str()) {
            match type_in(current, name) {
                None => check.gone.push(name.to_string()),
                Some(now) => {
                    if let Some(old) = then.and_then(|s| type_in(s, name)) {
                        if old != now {
                            check.stale.insert(name.to_string(), old);
                        }
                    }
                }
            }
        }
        check
    }
}

/// A column's attribute name as written in DynamoDB: the stored original, else its
/// name with OpenMetadata's reserved words decoded (catalogs written before the original
/// was kept).
pub fn attribute_name(c: &Column) -> Cow<'_, str> {
    match &c.original_name {
        Some(original) => Cow::Borrowed(original.as_str()),
        None if c.name.contains("__reserved__") => Cow::Owned(decode_reserved(&c.name)),
        None => Cow::Borrowed(c.name.as_str()),
    }
}

/// Undoes OpenMetadata's reserved-word encoding of a column name (`__reserved__colon__`
/// → `::`, `__reserved__arrow__` → `>`, `__reserved__quote__` → `"`, and the newline,
/// carriage return and tab words), as OpenMetadata's client does when it reads a table.
/// Display only: the catalog keys columns by the encoded name.
pub fn decode_reserved(name: &str) -> String {
    if !name.contains("__reserved__") {
        return name.to_string();
    }
    name.replace("__reserved__colon__", "::")
        .replace("__reserved__arrow__", ">")
        .replace("__reserved__quote__", "\"")
        .replace("__reserved__newline__", "\n")
        .replace("__reserved__carriage_return__", "\r")
        .replace("__reserved__tab__", "\t")
}

/// A column's name for people: the attribute name, and the stored (encoded) name beside
/// it when they differ.
pub fn column_label(c: &Column) -> String {
    let attribute = attribute_name(c);
    if attribute == c.name {
        c.name.clone()
    } else {
        format!("{attribute} (stored as {})", c.name)
    }
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
        let snapshots = self.snapshots_of_table(&table.fqn)?;
        let profile = self
            .profiles(&table.fqn)?
            .pop()
            .map(|p| ProfileCheck::of(&p, &snapshots));
        Ok(TableView {
            snapshot,
            version,
            tags,
            profile,
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

/// The text `dynameta show` prints. Names, types and properties come from table data:
/// every control or bidi character in them is shown escaped
/// (`dynameta_fs::terminal`), never sent raw to the terminal.
pub fn render(view: &TableView) -> String {
    let s = &view.snapshot;
    let mut out = String::new();
    let _ = writeln!(out, "{}  ({})", escape(&s.table.name), escape(&s.table.fqn));
    let _ = writeln!(out, "  key:      {}", escape(&key_text(&s.keys)));
    if s.indexes.is_empty() {
        let _ = writeln!(out, "  indexes:  none");
    }
    for (n, i) in s.indexes.iter().enumerate() {
        let label = if n == 0 { "indexes:" } else { "" };
        let _ = writeln!(
            out,
            "  {label:<9} {} {}",
            escape(&i.name),
            escape(&index_text(i))
        );
    }
    let mut facts = Vec::new();
    if let Some(b) = &s.billing {
        facts.push(format!("billing {}", escape(b)));
    }
    if let Some(n) = s.item_count {
        facts.push(format!("{n} items"));
    }
    if let Some(b) = s.size_bytes {
        facts.push(human_bytes(b));
    }
    facts.push(format!(
        "TTL {}",
        escape(s.ttl.as_deref().unwrap_or("unknown"))
    ));
    facts.push(format!(
        "stream {}",
        escape(s.stream.as_deref().unwrap_or("unknown"))
    ));
    let _ = writeln!(out, "  table:    {}", facts.join(" · "));
    // Declared, not resolved: without a server nobody checks the name is a user or team.
    let owner = s.declared_owner().map(|o| o.text());
    let _ = writeln!(
        out,
        "  owner:    {}",
        escape(owner.as_deref().unwrap_or("none declared"))
    );
    if let Some(v) = &view.version {
        let _ = writeln!(
            out,
            "  schema:   version {} (since run {}, {})",
            v.version, v.first_run_id, v.started_at
        );
    }
    if let Some(p) = &view.profile {
        let mut line = format!("run {} ({})", p.run_id, p.started_at);
        for (name, old) in &p.stale {
            let _ = write!(
                line,
                "; {}: STALE, profiled when it was {} (its min/max/histogram describe the old type)",
                escape(name),
                escape(old)
            );
        }
        if !p.gone.is_empty() {
            let _ = write!(
                line,
                "; no longer in the schema: {}",
                escape(&p.gone.join(", "))
            );
        }
        let _ = writeln!(out, "  profile:  {line}");
    }
    let tags: BTreeMap<&str, &PiiTag> = view.tags.iter().map(|t| (t.column.as_str(), t)).collect();
    let stale = view.profile.as_ref().map(|p| &p.stale);
    let rows = column_rows(&s.columns);
    let name_w = rows
        .iter()
        .map(|(d, _, c)| d * 2 + escape(&column_label(c)).chars().count())
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
        let name = format!("{}{}", "  ".repeat(depth), escape(&column_label(c)));
        let mut ty = escape(&c.display_type).into_owned();
        if ty.chars().count() > 32 {
            ty = ty.chars().take(31).collect::<String>() + "…";
        }
        let presence = c
            .presence
            .map(|p| format!("{:.0}%", p * 100.0))
            .unwrap_or_default();
        let pii = tags
            .get(path.as_str())
            .map(|t| {
                format!(
                    "{} ({} {:.0})",
                    escape(&t.tag),
                    escape(&t.recognizer),
                    t.confidence
                )
            })
            .unwrap_or_default();
        let mut line = format!("    {name:<name_w$}  {ty:<32}  {presence:>8}  {pii}");
        if let Some(old) = stale.and_then(|s| s.get(&path)).filter(|_| depth == 0) {
            let _ = write!(line, "  [profile stale: profiled as {}]", escape(old));
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::{KeyAttr, TableRef};

    /// What a hostile table could put in front of a terminal.
    const HOSTILE: &str = "x\u{1b}[31m\u{7}\u{8}\r\u{202E}\u{9b}y";

    /// No raw control or bidi character reaches the terminal; the text says what was
    /// there, and normal Unicode stays as it is.
    #[test]
    fn table_data_is_escaped() {
        let column = |name: &str| Column {
            name: name.into(),
            data_type: "STRING".into(),
            display_type: format!("string{HOSTILE}"),
            presence: Some(1.0),
            types: BTreeMap::new(),
            children: vec![],
            original_name: Some(format!("as written{HOSTILE}")),
        };
        let view = TableView {
            snapshot: TableSnapshot {
                table: TableRef {
                    fqn: format!("svc.default.default.t{HOSTILE}"),
                    service: "svc".into(),
                    database: "default".into(),
                    schema: "default".into(),
                    name: format!("t{HOSTILE}"),
                },
                keys: vec![KeyAttr {
                    name: format!("id{HOSTILE}"),
                    role: "HASH".into(),
                    attribute_type: "S".into(),
                }],
                indexes: vec![],
                billing: Some(HOSTILE.into()),
                item_count: None,
                size_bytes: None,
                ttl: Some(HOSTILE.into()),
                stream: None,
                properties: serde_json::Value::Null,
                columns: vec![column(HOSTILE), column("顧客名")],
            },
            version: None,
            tags: vec![PiiTag {
                column: HOSTILE.into(),
                tag: "PII.Sensitive".into(),
                recognizer: HOSTILE.into(),
                confidence: 90.0,
            }],
            profile: Some(ProfileCheck {
                run_id: 1,
                started_at: "2026-12-07".into(),
                stale: BTreeMap::from([(HOSTILE.to_string(), format!("bigint{HOSTILE}"))]),
                gone: vec![HOSTILE.into()],
            }),
        };
        let text = render(&view);
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && dynameta_fs::terminal::is_unsafe(c)),
            "{text:?}"
        );
        assert!(
            text.contains("x\\u{1b}[31m\\u{7}\\u{8}\\r\\u{202e}\\u{9b}y"),
            "{text}"
        );
        assert!(text.contains("顧客名"), "{text}");
    }
}
