//! The file sink as a component: its configuration, build step and health check.

use std::path::Path;

use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde_json::Value;

use super::{partial_path, FileSink, Finished};
use crate::config::{decode, ConfigError};
use crate::sinks::{
    HealthStep, Opening, Record, RunEnd, SinkConfig, SinkContext, SinkError, SinkReport, SinkWriter,
};

/// `sink.config` for `type: file`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSinkConfig {
    /// JSON Lines output path.
    pub filename: String,
}

impl FileSinkConfig {
    /// Parses `sink.config`.
    pub fn parse(config: Value) -> Result<FileSinkConfig, ConfigError> {
        let file: FileSinkConfig = decode(config, "sink.config")?;
        if file.filename.trim().is_empty() {
            return Err(ConfigError::invalid(
                "sink.config.filename",
                "must not be empty. Set the output path, e.g. `filename: out.jsonl`.",
            ));
        }
        Ok(file)
    }

    /// Opens the sink: the build step and the health check run the same checks. The
    /// output must not be the workflow file the run reads (`context.workflow_file`).
    fn open(&self, context: SinkContext<'_>) -> Result<FileSink, super::FileSinkError> {
        FileSink::create_for(Path::new(&self.filename), context.workflow_file)
    }
}

impl SinkConfig for FileSinkConfig {
    fn kind(&self) -> &'static str {
        "file"
    }

    fn output_file(&self) -> Option<(&'static str, &Path)> {
        Some(("sink.config.filename", Path::new(&self.filename)))
    }

    fn build<'a>(
        &'a self,
        context: SinkContext<'a>,
        _opening: Opening<'a>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn SinkWriter>, SinkError>> {
        Box::pin(async move {
            let sink = self.open(context)?;
            Ok(Box::new(FileWriter {
                sink,
                sample_data: 0,
            }) as Box<dyn SinkWriter>)
        })
    }

    fn health_check<'a>(&'a self, context: SinkContext<'a>) -> LocalBoxFuture<'a, Vec<HealthStep>> {
        Box::pin(async move {
            const STEP: &str = "Output file";
            // Opening checks the path, takes the lock and creates a temporary file
            // beside the output; abandoning removes it and leaves the output as it was.
            let step = match self.open(context) {
                Ok(sink) => {
                    drop(sink.abandon(None));
                    HealthStep::passed(STEP, format!("{} can be written", self.filename))
                }
                Err(e) => HealthStep::failed(STEP, e.to_string()),
            };
            vec![step]
        })
    }
}

/// The open file sink; counts the sample data sets it writes for the summary.
struct FileWriter {
    sink: FileSink,
    sample_data: u64,
}

impl SinkWriter for FileWriter {
    fn write<'a>(&'a mut self, record: &'a Record) -> LocalBoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            self.sink.write(record)?;
            if matches!(record, Record::SampleData { .. }) {
                self.sample_data += 1;
            }
            Ok(())
        })
    }

    fn finish<'a>(self: Box<Self>, end: RunEnd<'a>) -> LocalBoxFuture<'a, SinkReport> {
        Box::pin(async move {
            let mut report = SinkReport {
                sample_data: self.sample_data,
                ..SinkReport::default()
            };
            let target = self.sink.target().display().to_string();
            let partial = partial_path(self.sink.target()).display().to_string();
            match self.sink.finish(end.commit) {
                Ok(Finished::Committed { records }) => {
                    report.written = records;
                    report.outputs.push(target);
                }
                Ok(Finished::LeftUntouched { records, note }) => {
                    report.written = records;
                    if note.contains(&partial) {
                        report.outputs.push(partial);
                    }
                    report.warnings.push(note);
                }
                Err(e) => report.error = Some(e.to_string()),
            }
            report
        })
    }

    fn abandon(self: Box<Self>) -> Option<String> {
        Some(self.sink.abandon(None))
    }

    fn abandon_because(self: Box<Self>, step: &str, _reason: &str) -> Option<String> {
        Some(self.sink.abandon(Some(step)))
    }
}
