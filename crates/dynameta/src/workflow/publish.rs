//! `dynameta publish --from out.jsonl`: sends a file sink's output to OpenMetadata, for
//! air-gapped runs (scan in one place, publish from another). Same order, retries,
//! stale-table handling and summary as a direct `ingest` with the REST sink.

use std::path::Path;
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ingest::{selects, IngestError};
use super::summary::Summary;
use super::Outcome;
use crate::config::{SinkConfig, Workflow};
use crate::openmetadata::mapping::Scope;
use crate::sinks::{Record, Sink};

fn payload<T: DeserializeOwned>(value: &Value, origin: &str) -> Result<T, IngestError> {
    serde_json::from_value(value["payload"].clone()).map_err(|e| {
        IngestError::Sink(format!(
            "{origin}: payload is not what dynameta writes: {e}"
        ))
    })
}

fn table(value: &Value, origin: &str) -> Result<String, IngestError> {
    value["table"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| IngestError::Sink(format!("{origin}: `table` (the table FQN) is missing")))
}

/// Reads the records of a file sink output (the `dynamodbTable` ones are not needed).
pub fn read_records(path: &Path) -> Result<Vec<Record>, IngestError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        IngestError::Sink(format!(
            "cannot read {} ({e}); give the file a file sink wrote with --from",
            path.display()
        ))
    })?;
    let mut records = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let origin = format!("{} line {}", path.display(), i + 1);
        let value: Value = serde_json::from_str(line)
            .map_err(|e| IngestError::Sink(format!("{origin}: not JSON: {e}")))?;
        let record = match value["kind"].as_str().unwrap_or_default() {
            "createDatabaseService" => Record::CreateDatabaseService {
                payload: payload(&value, &origin)?,
            },
            "createDatabase" => Record::CreateDatabase {
                payload: payload(&value, &origin)?,
            },
            "createDatabaseSchema" => Record::CreateDatabaseSchema {
                payload: payload(&value, &origin)?,
            },
            "createTable" => Record::CreateTable {
                payload: payload(&value, &origin)?,
            },
            "tableListing" => Record::TableListing {
                schema: value["schema"].as_str().unwrap_or_default().to_string(),
                tables: serde_json::from_value(value["tables"].clone())
                    .map_err(|e| IngestError::Sink(format!("{origin}: tables: {e}")))?,
            },
            "createTableProfile" => Record::CreateTableProfile {
                table: table(&value, &origin)?,
                payload: value["payload"].clone(),
                dynamodb: value["dynamodb"].clone(),
            },
            "columnTags" => Record::ColumnTags {
                table: table(&value, &origin)?,
                payload: payload(&value, &origin)?,
            },
            "sampleData" => Record::SampleData {
                table: table(&value, &origin)?,
                payload: value["payload"].clone(),
            },
            "dynamodbTable" => continue,
            other => {
                return Err(IngestError::Sink(format!(
                    "{origin}: unknown record kind `{other}`"
                )))
            }
        };
        records.push(record);
    }
    Ok(records)
}

/// Publishes `from` to the workflow's OpenMetadata server.
pub async fn run(workflow: &Workflow, from: &Path) -> Result<(Summary, Outcome), IngestError> {
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
            Sink::rest(server, rest, service, override_metadata).await
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
