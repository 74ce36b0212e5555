//! The commands that read the local catalog: `report`, `diff` and `show` (which also
//! reads a file sink's JSON Lines output), and `catalog prune`. Readers open the
//! catalog read-only ([`open_reader`]): they never create, migrate or lock it for
//! writing.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use dynameta_catalog::diff::DiffOptions;
use dynameta_catalog::{show, Catalog, CatalogError};
use dynameta_fs::output::{Output, OutputError};

use crate::sinks::local::view_from_jsonl;

/// Why a catalog command failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogCommandError {
    /// The catalog: missing, not a catalog, too new, or a table it does not hold.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// `--out` cannot be written: a special file, a missing directory, the catalog
    /// itself (exit 2, found before the catalog is read), or a failed write (exit 1;
    /// the previous file, if any, is as it was).
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The report could not be written (the previous one, if any, is as it was).
    #[error("cannot write the report {}: {source}. The previous file, if any, was left as it was; check that the disk has room.", path.display())]
    Write {
        /// The output path.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// `show --from`: the JSON Lines file could not be read or lacks the table.
    #[error("{0}")]
    Input(String),
    /// `show` without `--catalog` or `--from`.
    #[error(
        "show: give --catalog FILE (a local catalog) or --from FILE (a file sink's JSON Lines)"
    )]
    NoInput,
}

impl CatalogCommandError {
    /// Exit code: 1 when a write failed (the report file, a prune that could not write
    /// the catalog), 2 for what the user fixes: the path, the table name, a file that
    /// is not a catalog or a damaged one.
    pub fn exit_code(&self) -> u8 {
        match self {
            CatalogCommandError::Write { .. }
            | CatalogCommandError::Catalog(CatalogError::Locked { .. }) => 1,
            CatalogCommandError::Output(e) if !e.is_config() => 1,
            // A damaged file: the user restores or points elsewhere.
            CatalogCommandError::Catalog(e @ CatalogError::Sql { .. }) if !e.is_damage() => 1,
            _ => 2,
        }
    }
}

/// Opens a catalog for a read command: read-only, and what the reader should know
/// about how (an older schema read through a copy, a read-only directory) on stderr.
pub fn open_reader(path: &Path) -> Result<Catalog, CatalogError> {
    let cat = Catalog::open_existing(path)?;
    for note in cat.notes() {
        eprintln!("note: {note}");
    }
    Ok(cat)
}

/// `dynameta catalog prune`: drops runs older than the latest `keep_runs` that the
/// current state does not need, and compacts the file. Returns the line to print.
pub fn prune(catalog: &Path, keep_runs: usize) -> Result<String, CatalogCommandError> {
    if !catalog.is_file() {
        return Err(CatalogError::Missing {
            path: catalog.to_path_buf(),
        }
        .into());
    }
    let mut cat = Catalog::open(catalog)?;
    let done = cat.prune(keep_runs)?;
    let size = |b: u64| dynameta_catalog::show::human_bytes(i64::try_from(b).unwrap_or(i64::MAX));
    if done.runs_removed == 0 {
        return Ok(format!(
            "{}: nothing to prune ({} runs, {} of them older than the latest {keep_runs} but needed by the current state); {}",
            catalog.display(),
            done.runs_before,
            done.kept_for_state,
            size(done.bytes_after)
        ));
    }
    Ok(format!(
        "{}: removed {} of {} runs (kept the latest {keep_runs} and {} older ones the current state needs); {} -> {}",
        catalog.display(),
        done.runs_removed,
        done.runs_before,
        done.kept_for_state,
        size(done.bytes_before),
        size(done.bytes_after)
    ))
}

/// `dynameta report`: writes the HTML report to `out` by the rules of every output
/// (`dynameta_fs::output`: checked before the catalog is read, never the catalog
/// itself, a link written through, replaced atomically). Returns the line to print.
pub fn report(catalog: &Path, out: &Path) -> Result<String, CatalogCommandError> {
    let output = Output::new("--out", out)
        .example("report.html")
        .input("the catalog", catalog)
        // The report shows sample values and top values of the tables.
        .owner_only();
    // The path rules first (nothing written), then the catalog (a file that is not one
    // is refused with nothing created beside it), then the lock and the temporary file.
    output.check()?;
    let cat = open_reader(catalog)?;
    let tables = cat.current_tables()?.len();
    let html = cat.report_html()?;
    let mut file = output.open()?;
    file.file()
        .write_all(html.as_bytes())
        .map_err(|source| CatalogCommandError::Write {
            path: out.to_path_buf(),
            source,
        })?;
    file.commit()?;
    let size = dynameta_catalog::show::human_bytes(html.len() as i64);
    if tables == 0 {
        Ok(format!(
            "wrote {} ({size}); the catalog {} holds no table yet: run `dynameta ingest` with the local sink first",
            out.display(),
            catalog.display()
        ))
    } else {
        Ok(format!(
            "wrote {} ({tables} tables, {size}); open it in a browser",
            out.display()
        ))
    }
}

/// `dynameta diff`: the text (or JSON) and whether anything changed.
pub fn diff(
    catalog: &Path,
    json: bool,
    presence_points: f64,
) -> Result<(String, bool), CatalogCommandError> {
    let cat = open_reader(catalog)?;
    let diff = cat.diff(DiffOptions {
        presence_threshold: presence_points / 100.0,
    })?;
    let text = if json {
        diff.render_json() + "\n"
    } else {
        diff.render_text()
    };
    Ok((text, diff.changed))
}

/// `dynameta show`: one table as text, from the catalog or a JSON Lines file.
pub fn show(
    catalog: Option<&Path>,
    from: Option<&Path>,
    table: &str,
) -> Result<String, CatalogCommandError> {
    let view = match (catalog, from) {
        (Some(c), _) => catalog_view(c, table)?,
        (None, Some(f)) => view_from_jsonl(f, table).map_err(CatalogCommandError::Input)?,
        (None, None) => {
            let default = Path::new(crate::sinks::local::DEFAULT_PATH);
            if default.is_file() {
                catalog_view(default, table)?
            } else {
                return Err(CatalogCommandError::NoInput);
            }
        }
    };
    Ok(show::render(&view))
}

/// One table's view from the catalog at `path`; a name the catalog does not hold
/// gets the names it might have meant (`Orders` when it holds `orders`).
fn catalog_view(path: &Path, table: &str) -> Result<show::TableView, CatalogCommandError> {
    let catalog = open_reader(path)?;
    match catalog.table_view(table) {
        Err(CatalogError::NotFound(why)) => {
            let mut close = crate::source::CloseNames::new(table);
            for t in catalog.current_tables()? {
                close.offer(&t.name);
                if table.contains('.') {
                    close.offer(&t.fqn);
                }
            }
            Err(CatalogError::NotFound(match close.hint() {
                Some(hint) => format!(
                    "no table `{}` in the catalog {}: {hint}",
                    table.escape_debug(),
                    path.display()
                ),
                None => why,
            })
            .into())
        }
        found => Ok(found?),
    }
}
