//! `dynameta publish --from out.jsonl`: sends a file sink's output to the workflow's
//! sink (OpenMetadata, the local catalog, ...), for air-gapped runs (scan in one place,
//! publish from another). Same order, retries, stale-table handling, failure policy and
//! summary as a direct run with that sink.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::summary::Summary;
use super::{Finish, Outcome, RunError, RunFlags, Settings};
use crate::config::Command;
use crate::sinks::{Opening, Record};

/// Why `--from FILE` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file cannot be read.
    #[error("cannot read {} ({source}); give the file a file sink wrote with --from", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a record.
    #[error("{} line {line}: not a record dynameta writes: {source}", path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
}

/// Reads the records of a file sink output.
pub fn read_records(path: &Path) -> Result<Vec<Record>, ReadError> {
    use std::io::Read as _;
    let io = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    // A FIFO or a device is refused without blocking (dynameta_fs::input).
    let mut file = dynameta_fs::input::open(path, "publish --from file").map_err(|e| match e {
        dynameta_fs::input::InputError::Io { source, .. } => io(source),
        other => io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            other.to_string(),
        )),
    })?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(io)?;
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: Record = serde_json::from_str(line).map_err(|source| ReadError::Line {
            path: path.to_path_buf(),
            line: i + 1,
            source,
        })?;
        records.push(record);
    }
    Ok(records)
}

/// Publishes `from` to the workflow's sink — OpenMetadata, the local catalog, a file
/// or the console — by the one finish path ([`Finish`]), so the output replaces the
/// previous one only as a direct run's would.
pub async fn run(
    settings: &Settings,
    from: &Path,
    flags: &RunFlags,
) -> Result<(Summary, Outcome), RunError> {
    let started = Instant::now();
    let workflow = &settings.workflow;
    // The sink's file must not be the file being published (checked before it is read,
    // by the rules of every output).
    if let Some((key, out)) = settings.sink.as_deref().and_then(|s| s.output_file()) {
        dynameta_fs::output::Output::new(key, out)
            .input("the file being published (--from)", from)
            .check()
            .map_err(crate::sinks::SinkError::from)?;
    }
    let records = read_records(from)?;
    // An ingest output creates its service; profile and classify outputs add to
    // tables that must already be there.
    let service = records.iter().find_map(|r| match r {
        Record::CreateDatabaseService { payload } => Some(payload.clone()),
        _ => None,
    });
    let opening = match &service {
        Some(service) => Opening::Ingest {
            service,
            override_metadata: workflow.ingest.override_metadata,
            allow_mass_delete: flags.allow_mass_delete,
            tagging: Some(&workflow.tagging),
        },
        None => Opening::Existing {
            service_name: &workflow.service_name,
            command: Command::Publish,
        },
    };
    let mut out = Finish::open(settings, opening, Command::Publish, started).await?;
    let mut summary = Summary::default();
    for record in &records {
        if let Record::CreateTable { .. }
        | Record::CreateTableProfile { .. }
        | Record::ColumnTags { .. } = record
        {
            summary.tables_processed += 1;
        }
        if let Record::TableListing { tables, .. } = record {
            summary.tables_listed = tables.len();
        }
        if !out.write(record).await {
            break;
        }
    }
    Ok(out
        .finish(summary, workflow.ingest.mark_deleted_tables)
        .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Record>, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("out.jsonl");
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        read_records(&path).map_err(|e| e.to_string())
    }

    #[test]
    fn records_read_back_and_broken_lines_are_named() {
        let ok = read(concat!(
            r#"{"kind":"tableListing","schema":"s.d.sc","tables":["a","b"]}"#,
            "\n\n",
            r#"{"kind":"dynamodbTable","table":"s.d.sc.a","properties":{},"sampling":{},"attributes":[]}"#,
            "\n",
            r#"{"kind":"sampleData","table":"s.d.sc.a","payload":{"columns":[],"rows":[]}}"#,
            "\n"
        ))
        .unwrap();
        assert_eq!(ok.len(), 3, "{ok:?}");
        assert!(matches!(&ok[0], Record::TableListing { tables, .. } if tables == &["a", "b"]));
        // A dynamodbTable line is read into its typed record, tolerantly (fields an
        // older or hand-written line lacks are empty), and written back as a record.
        let Record::DynamodbTable { table, .. } = &ok[1] else {
            panic!("{ok:?}")
        };
        assert_eq!(table, "s.d.sc.a");
        let again = serde_json::to_value(&ok[1]).unwrap();
        assert_eq!(again["kind"], "dynamodbTable");
        assert_eq!(again["attributes"], serde_json::json!([]));

        for (text, expected) in [
            (
                "{\"kind\":\"nope\"}\n",
                "line 1: not a record dynameta writes: unknown variant `nope`",
            ),
            ("\n{not json\n", "line 2: not a record dynameta writes"),
            (
                "{\"kind\":\"columnTags\",\"payload\":[]}\n",
                "line 1: not a record dynameta writes: missing field `table`",
            ),
        ] {
            let err = read(text).unwrap_err();
            assert!(err.contains(expected), "{err}");
        }
    }
}
