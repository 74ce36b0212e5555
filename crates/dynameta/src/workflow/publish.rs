//! `dynameta publish --from out.jsonl`: sends a file sink's output to OpenMetadata, for
//! air-gapped runs (scan in one place, publish from another). Same order, retries,
//! stale-table handling and summary as a direct `ingest` with the REST sink.

use std::path::Path;
use std::time::Instant;

use super::ingest::{selects, IngestError};
use super::summary::Summary;
use super::Outcome;
use crate::config::{SinkConfig, Workflow};
use crate::processors::mapping::Scope;
use crate::sinks::{Record, Sink};

/// Reads the records of a file sink output (the `dynamodbTable` ones are not needed).
pub fn read_records(path: &Path) -> Result<Vec<Record>, IngestError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        IngestError::Sink(format!(
            "cannot read {} ({e}); give the file a file sink wrote with --from",
            path.display()
        ))
    })?;
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: Record = serde_json::from_str(line).map_err(|e| {
            IngestError::Sink(format!(
                "{} line {}: not a record dynameta writes: {e}",
                path.display(),
                i + 1
            ))
        })?;
        if !matches!(record, Record::DynamodbTableRead {}) {
            records.push(record);
        }
    }
    Ok(records)
}

/// Publishes `from` to the workflow's OpenMetadata server.
pub async fn run(
    workflow: &Workflow,
    from: &Path,
    flags: &super::RunFlags,
) -> Result<(Summary, Outcome), IngestError> {
    let started = Instant::now();
    let records = read_records(from)?;
    let Some(SinkConfig::MetadataRest(rest)) = &workflow.sink else {
        return Err(IngestError::Sink(
            "sink.type: `dynameta publish` sends to OpenMetadata; set `sink: {type: metadata-rest}`".into(),
        ));
    };
    let Some(server) = &workflow.server else {
        return Err(IngestError::Sink(
            "workflowConfig.openMetadataServerConfig: required to publish".into(),
        ));
    };
    // An ingest output creates its service; profile and classify outputs add to
    // tables that must already be there.
    let service = records.iter().find_map(|r| match r {
        Record::CreateDatabaseService { payload } => Some(payload.clone()),
        _ => None,
    });
    let mut sink = match &service {
        Some(service) => {
            let override_metadata = workflow.metadata.override_metadata.unwrap_or(false);
            Sink::rest(
                server,
                rest,
                service,
                override_metadata,
                flags.allow_mass_delete,
            )
            .await
        }
        None => Sink::rest_existing(server, rest, &workflow.service_name).await,
    }
    .map_err(|e| IngestError::Sink(e.to_string()))?;
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
            sink_error = Some(e);
            break;
        }
    }
    let scope = Scope::of(workflow);
    let report = sink
        .finish(
            sink_error.is_none(),
            sink_error.is_none() && workflow.metadata.mark_deleted_tables.unwrap_or(true),
            &|name| selects(workflow, &scope, name),
        )
        .await;
    let outcome = summary.close(report, sink_error, started.elapsed());
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
