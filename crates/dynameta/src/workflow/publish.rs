//! `dynameta publish --from out.jsonl`: sends a file sink's output to OpenMetadata, for
//! air-gapped runs (scan in one place, publish from another). Same order, retries,
//! stale-table handling and summary as a direct `ingest` with the REST sink.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::summary::Summary;
use super::{selects, Outcome, RunError, RunFlags, Settings};
use crate::processors::mapping::Scope;
use crate::sinks::{Opening, Record, RunEnd};

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

/// Reads the records of a file sink output (the `dynamodbTable` ones are not needed).
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
        if !matches!(record, Record::DynamodbTableRead {}) {
            records.push(record);
        }
    }
    Ok(records)
}

/// Publishes `from` to the workflow's OpenMetadata server.
pub async fn run(
    settings: &Settings,
    from: &Path,
    flags: &RunFlags,
) -> Result<(Summary, Outcome), RunError> {
    let started = Instant::now();
    let workflow = &settings.workflow;
    let records = read_records(from)?;
    let sink_config = settings.sink.as_deref().ok_or(RunError::NoSink {
        command: crate::config::Command::Publish,
    })?;
    if !sink_config.publishes_to_openmetadata() {
        return Err(RunError::NotPublishable {
            kind: sink_config.kind(),
        });
    }
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
            command: crate::config::Command::Publish,
        },
    };
    let mut sink = sink_config.build(opening).await?;
    let mut summary = Summary::default();
    let mut sink_error = None;
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
        if let Err(e) = sink.write(record).await {
            sink_error = Some(e.to_string());
            break;
        }
    }
    let scope = Scope::of(workflow);
    let selected = |name: &str| selects(workflow, &scope, name);
    let so_far = serde_json::to_value(&summary).unwrap_or_default();
    let report = sink
        .finish(RunEnd {
            summary: &so_far,
            commit: sink_error.is_none(),
            mark_deleted: sink_error.is_none() && workflow.ingest.mark_deleted_tables,
            selected: &selected,
        })
        .await;
    let outcome = summary.close(
        report,
        sink_error,
        started.elapsed(),
        &workflow.failure_policy,
    );
    Ok((summary, outcome))
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
        assert_eq!(ok.len(), 2, "dynamodbTable is skipped: {ok:?}");
        assert!(matches!(&ok[0], Record::TableListing { tables, .. } if tables == &["a", "b"]));

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
