//! The skeleton every table command shares: open the sink, connect, list and select,
//! run one job per table with bounded concurrency, write each table's records in
//! listing order (the same data gives the same output), report progress, and close
//! the summary. `ingest`, `profile` and `classify` differ only in their job and in
//! the records a finished job turns into.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::future::Future;
use std::time::Instant;

use futures_util::stream::{self, StreamExt};

use super::summary::{Failure, Summary};
use super::{list_and_select, Outcome, Progress, RunError, RunFlags, Settings};
use crate::aws::{self, Connection};
use crate::config::{Command, Workflow};
use crate::processors::mapping::Scope;
use crate::sinks::{Opening, Record, RunEnd, SinkError, SinkWriter};

/// A run in progress: the open sink, the DynamoDB connection and the summary so far.
pub struct Run<'a> {
    /// The workflow.
    pub workflow: &'a Workflow,
    /// Service, database and schema names.
    pub scope: Scope,
    /// DynamoDB.
    pub connection: Connection,
    /// What the run did so far.
    pub summary: Summary,
    sink: Box<dyn SinkWriter>,
    sink_error: Option<SinkError>,
    started: Instant,
}

/// What [`Run::start`] found.
pub enum Started<'a> {
    /// Tables to work on: every listed name, and the selected ones.
    Running {
        /// The run.
        run: Box<Run<'a>>,
        /// Every table DynamoDB listed.
        listed: Vec<String>,
        /// The ones the filters keep, in listing order.
        selected: Vec<String>,
    },
    /// The run ended before any table (no credentials, listing failed, nothing
    /// selected): the sink was abandoned and the summary says why.
    Ended(Summary, Outcome),
}

impl<'a> Run<'a> {
    /// Opens the sink (a sink that cannot be opened stops the run before any DynamoDB
    /// request: [`RunError::Sink`]), connects, lists and selects tables.
    pub async fn start(
        settings: &'a Settings,
        opening: Opening<'_>,
        flags: &RunFlags,
        command: Command,
        summary: Summary,
    ) -> Result<Started<'a>, RunError> {
        let sink_config = settings
            .sink
            .as_deref()
            .ok_or(RunError::NoSink { command })?;
        let sink = sink_config.build(opening).await?;
        Ok(Run::start_with_sink(settings, sink, flags, command, summary).await)
    }

    /// [`Run::start`] with a sink of the caller's instead of the workflow's (a
    /// partial profile writes its state file, not the workflow's output).
    pub async fn start_with_sink(
        settings: &'a Settings,
        sink: Box<dyn SinkWriter>,
        flags: &RunFlags,
        command: Command,
        mut summary: Summary,
    ) -> Started<'a> {
        let started = Instant::now();
        let workflow = &settings.workflow;
        let connection = aws::connect(workflow.aws(), &workflow.options).await;
        let scope = Scope::of(workflow);
        match list_and_select(
            &connection,
            &workflow.filters,
            &scope,
            &mut summary,
            flags,
            command,
        )
        .await
        {
            Ok((listed, selected)) => Started::Running {
                run: Box::new(Run {
                    workflow,
                    scope,
                    connection,
                    summary,
                    sink,
                    sink_error: None,
                    started,
                }),
                listed,
                selected,
            },
            Err(stop) => {
                let (step, reason) = match &stop {
                    super::ListingStop::Failed(r) => ("(listing)", r),
                    super::ListingStop::Credentials(r) => ("(credentials)", r),
                    super::ListingStop::Empty(r) => ("(nothing to do)", r),
                };
                summary.warnings.extend(sink.abandon_because(step, reason));
                let (summary, outcome) = summary.stopped(stop, started.elapsed());
                Started::Ended(summary, outcome)
            }
        }
    }

    /// Writes records that come before the tables (service, database, schema,
    /// listing). Without them no table can be published, so a failure ends the run:
    /// `Err` holds the finished summary.
    pub async fn write_header(
        mut self: Box<Self>,
        records: &[Record],
    ) -> Result<Box<Self>, (Summary, Outcome)> {
        for record in records {
            if let Err(e) = self.sink.write(record).await {
                let reason = e.to_string();
                self.summary
                    .warnings
                    .extend(self.sink.abandon_because("(sink)", &reason));
                let elapsed = self.started.elapsed();
                return Err(self.summary.failed("(sink)", e.to_string(), elapsed));
            }
        }
        Ok(self)
    }

    /// Runs `job` on every table of `selected`, `threads` at a time; tables finish out
    /// of order (every slot stays busy) and a small reorder buffer hands each result to
    /// `emit` in listing order, whose records are written then. A failed job is a
    /// table failure (its error is shown as the reason). `progress` counts tables.
    pub async fn tables<T, E, J, Fut, Emit>(
        &mut self,
        selected: Vec<String>,
        threads: usize,
        progress: &Progress,
        job: J,
        mut emit: Emit,
    ) where
        E: Display,
        J: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        Emit: FnMut(&str, T, &mut Summary) -> Vec<Record>,
    {
        let job = &job;
        let mut results = stream::iter(selected.into_iter().enumerate())
            .map(|(i, name)| async move {
                let outcome = job(name.clone()).await;
                (i, name, outcome)
            })
            .buffer_unordered(threads.max(1));
        let mut pending = BTreeMap::new();
        let mut next_index = 0;
        while let Some((i, name, outcome)) = results.next().await {
            progress.table_done(&name);
            pending.insert(i, (name, outcome));
            while let Some((name, outcome)) = pending.remove(&next_index) {
                next_index += 1;
                match outcome {
                    Ok(done) => {
                        self.summary.tables_processed += 1;
                        for record in emit(&name, done, &mut self.summary) {
                            if let Err(e) = self.sink.write(&record).await {
                                self.sink_error.get_or_insert(e);
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(table = %name, "{e}");
                        self.summary.failures.push(Failure {
                            name,
                            reason: e.to_string(),
                        });
                    }
                }
            }
        }
        progress.finish();
    }

    /// Table name → tag FQNs of the schema's tables, for sinks that know tags.
    pub async fn table_tags(&self) -> Option<Result<crate::sinks::TableTags, SinkError>> {
        self.sink.table_tags(&self.scope.schema_fqn()).await
    }

    /// Ends the run early with a failure of step `name` (the sink is abandoned).
    pub fn fail(mut self: Box<Self>, name: &str, reason: String) -> (Summary, Outcome) {
        self.summary
            .warnings
            .extend(self.sink.abandon_because(name, &reason));
        let elapsed = self.started.elapsed();
        self.summary.failed(name, reason, elapsed)
    }

    /// Finishes the sink and the summary. The output replaces the previous one only
    /// if every table and every write succeeded; `mark_deleted` soft-deletes tables
    /// DynamoDB no longer lists, among those the filters select (a table that failed
    /// was listed, so it is never among them).
    pub async fn finish(self: Box<Self>, mark_deleted: bool) -> (Summary, Outcome) {
        let Run {
            workflow,
            scope,
            connection,
            mut summary,
            sink,
            sink_error,
            started,
        } = *self;
        let policy = &workflow.failure_policy;
        // Tolerated table failures (raiseOnError, successThreshold) still let the
        // output replace the previous one: the run is a success by the workflow's rule.
        let commit = sink_error.is_none() && summary.tolerated(policy);
        let selected = |name: &str| super::selects(workflow, &scope, name);
        summary.throttled_requests = connection.throttled.count();
        let so_far = serde_json::to_value(&summary).unwrap_or_default();
        let report = sink
            .finish(RunEnd {
                summary: &so_far,
                commit,
                mark_deleted,
                selected: &selected,
            })
            .await;
        let outcome = summary.close(
            report,
            sink_error.map(|e| e.to_string()),
            started.elapsed(),
            policy,
        );
        (summary, outcome)
    }
}
