//! The skeleton every table command shares: open the sink, connect, list and select
//! in every (account, region) pair of the workflow (one pair unless the workflow walks
//! an estate: `docs/estate.md`), run one job per table with bounded concurrency across
//! pairs, write each table's records in (pair, listing) order (the same data gives the
//! same output), report progress, and close the summary. `ingest`, `profile`,
//! `classify`, `lineage` and `usage` differ only in their job and in the records a
//! finished job turns into.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::future::Future;
use std::time::Instant;

use futures_util::stream::{self, StreamExt};

use super::summary::{Failure, PairCounts, Summary};
use super::{list_and_select, ListingStop, Outcome, Progress, RunError, RunFlags, Settings};
use crate::aws::estate::{self, Pair};
use crate::aws::{self, Connection, ThrottleCounter};
use crate::config::{Command, Workflow};
use crate::processors::mapping::Scope;
use crate::sinks::{Opening, Record, RunEnd, SinkContext, SinkError, SinkWriter};

/// (account, region) pairs listed at once; their tables then share the command's
/// `threads`.
const PAIRS_AT_ONCE: usize = 8;

/// Finished tables the reorder buffer of [`Run::tables`] may hold per thread while an
/// older table is still running.
const REORDER_WINDOW_PER_THREAD: usize = 8;

/// One (account, region) pair of a run, connected and listed: its own connection
/// (region and role) and scope (database = the account, schema = the region). A
/// single-pair workflow has exactly one, with the workflow's connection and scope.
pub struct RunPair {
    /// The pair of the estate; `None` for a single-pair workflow.
    pub pair: Option<Pair>,
    /// DynamoDB (and S3) in the pair's region, with the pair's credentials.
    pub connection: Connection,
    /// What DescribeTable's side calls cannot do on this connection.
    pub capabilities: crate::source::Capabilities,
    /// Service, database and schema names of the pair's tables.
    pub scope: Scope,
    /// Every table DynamoDB listed.
    pub listed: Vec<String>,
    /// The ones the filters keep, in listing order.
    pub selected: Vec<String>,
    /// Its entry in the run's per-pair counts (`None` for a single pair).
    pub count: Option<usize>,
}

impl RunPair {
    /// How the summary names table `name` of this pair: its name in a single-pair run
    /// (as always), its FQN when the run walks several pairs (same-named tables).
    pub fn shown(&self, name: &str) -> String {
        match self.pair {
            None => name.to_string(),
            Some(_) => self.scope.table_fqn(name),
        }
    }
}

/// The selected tables of `pairs`, pair by pair in listing order: `(pair index, name)`,
/// the items [`Run::tables`] works on.
pub fn selected_tables(pairs: &[RunPair]) -> Vec<(usize, String)> {
    pairs
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.selected.iter().map(move |n| (i, n.clone())))
        .collect()
}

/// The pair listing as `lineage` and `usage` to OpenMetadata report it (they write no
/// sink, so no [`Run`]): [`list_pairs`], with the pairs that could not be listed as
/// `name: why` lines and, in an estate, the listing's warnings (pairs that list no table,
/// the estate's notes).
pub struct ReportListing {
    /// Tables DynamoDB listed, over every pair.
    pub tables_listed: usize,
    /// Pairs that could not be listed: `name: why`.
    pub failures: Vec<String>,
    /// The listing's warnings (an estate's only: a single pair's go to its own report).
    pub warnings: Vec<String>,
    /// The pairs to read, or why the run stops before any table and whether that is
    /// because nothing was found or selected (and no pair failed).
    pub pairs: Result<Vec<RunPair>, (String, bool)>,
}

/// [`list_pairs`] for the reports of `lineage` and `usage` to OpenMetadata (one copy of
/// how a stop, a failed pair and an empty listing are reported).
pub async fn list_pairs_for_report(
    workflow: &Workflow,
    flags: &RunFlags,
    command: Command,
) -> ReportListing {
    let mut summary = Summary::default();
    let mut counts = Vec::new();
    let listed = list_pairs(workflow, flags, command, &mut summary, &mut counts).await;
    let failures: Vec<String> = summary
        .failures
        .iter()
        .map(|f| format!("{}: {}", f.name, f.reason))
        .collect();
    let warnings = if estate::is_estate(&workflow.options) {
        summary.warnings.clone()
    } else {
        Vec::new()
    };
    let pairs = listed.map_err(|stop| match stop {
        ListingStop::Credentials(w) | ListingStop::Failed(w) => (w, false),
        ListingStop::Empty(w) => (w, failures.is_empty()),
    });
    ReportListing {
        tables_listed: summary.tables_listed,
        failures,
        warnings,
        pairs,
    }
}

/// Connects and lists the workflow's pairs for `command`, with no sink involved (so
/// `lineage` and `usage` to OpenMetadata list as the sink-writing commands do).
///
/// A single-pair workflow is listed as always ([`list_and_select`]). An estate is
/// resolved (`aws::estate::resolve`), its pairs listed [`PAIRS_AT_ONCE`] at a time; a
/// pair that fails (role not assumed, region not enabled, ListTables refused) is one
/// failure `pair account/region` in `summary` and never stops the others; a pair that
/// lists or selects no table is a warning. `counts` gets one entry per pair (empty for
/// a single pair). `Err` when nothing is left to work on (and not `allow_empty`).
pub async fn list_pairs(
    workflow: &Workflow,
    flags: &RunFlags,
    command: Command,
    summary: &mut Summary,
    counts: &mut Vec<PairCounts>,
) -> Result<Vec<RunPair>, ListingStop> {
    if !estate::is_estate(&workflow.options) {
        let connection = aws::connect(workflow.aws(), &workflow.options).await;
        let scope = Scope::of(workflow);
        let (listed, selected) = list_and_select(
            &connection,
            &workflow.filters,
            &scope,
            summary,
            flags,
            command,
        )
        .await?;
        return Ok(vec![RunPair {
            pair: None,
            connection,
            capabilities: Default::default(),
            scope,
            listed,
            selected,
            count: None,
        }]);
    }
    let estate = estate::resolve(workflow.aws(), &workflow.options).await;
    summary.warnings.extend(estate.notes.iter().cloned());
    if workflow.connection.database_name.is_some() {
        summary.warnings.push(
            "serviceConnection.config.databaseName is not used when walking several accounts or regions: each account is a database, each region a schema"
                .into(),
        );
    }
    for (step, why) in &estate.failures {
        tracing::error!("{step}: {why}");
        summary.failures.push(Failure {
            name: step.clone(),
            reason: why.clone(),
        });
    }
    let filters = &workflow.filters;
    let estate_ref = &estate;
    let listings: Vec<(Pair, Connection, Scope, Result<_, String>)> =
        stream::iter(estate.pairs.iter())
            .map(|pair| async move {
                let connection = estate_ref.connection(pair);
                let scope = Scope::of_pair(workflow, &pair.account.database_name(), &pair.region);
                let listing = list_pair(pair, &connection, filters, &scope, command).await;
                (pair.clone(), connection, scope, listing)
            })
            .buffered(PAIRS_AT_ONCE)
            .collect()
            .await;
    let mut pairs = Vec::new();
    for (pair, connection, scope, listing) in listings {
        let label = pair.label();
        let mut c = PairCounts {
            account: pair.account.database_name(),
            account_id: pair.account.id.clone(),
            region: pair.region.clone(),
            ..PairCounts::default()
        };
        match listing {
            Err(why) => {
                tracing::error!(pair = %label, "{why}");
                c.error = Some(why.clone());
                summary.failures.push(Failure {
                    name: format!("pair {label}"),
                    reason: why,
                });
            }
            Ok((listed, selected)) => {
                tracing::info!(pair = %label, tables = listed.len(), "listed tables");
                c.tables_listed = listed.len();
                c.tables_selected = selected.len();
                summary.tables_listed += listed.len();
                if listed.is_empty() {
                    summary
                        .warnings
                        .push(format!("{label}: DynamoDB listed no table in this pair"));
                } else if selected.is_empty() {
                    summary.warnings.push(format!(
                        "{label}: the filters select none of its {} tables",
                        listed.len()
                    ));
                }
                let chosen: std::collections::HashSet<&String> = selected.iter().collect();
                summary.filtered.extend(
                    listed
                        .iter()
                        .filter(|n| !chosen.contains(n))
                        .map(|n| scope.table_fqn(n)),
                );
                pairs.push(RunPair {
                    pair: Some(pair),
                    connection,
                    capabilities: Default::default(),
                    scope,
                    listed,
                    selected,
                    count: Some(counts.len()),
                });
            }
        }
        counts.push(c);
    }
    if pairs.iter().all(|p| p.selected.is_empty()) && !flags.allow_empty {
        // Nothing to write: the previous output stays (as a single-pair run that
        // selects nothing); failed pairs make it a failure, else exit 3.
        let why = "no table selected in any (account, region) pair".to_string();
        summary.warnings.push(why.clone());
        return Err(ListingStop::Empty(why));
    }
    Ok(pairs)
}

/// Lists one pair: credentials (AssumeRole) first, so that a role that cannot be
/// assumed is said as such, then ListTables, then the filters with the pair's scope
/// (`databaseFilterPattern` matches the account, `schemaFilterPattern` the region).
async fn list_pair(
    pair: &Pair,
    connection: &Connection,
    filters: &crate::config::Filters,
    scope: &Scope,
    command: Command,
) -> Result<(Vec<String>, Vec<String>), String> {
    if let Some(why) = &pair.broken {
        return Err(why.clone());
    }
    connection
        .resolve_credentials()
        .await
        .map_err(|e| e.to_string())?;
    let names = crate::source::list_tables(&connection.dynamodb, &connection.throttle_retry)
        .await
        .map_err(|e| {
            // AWS answers a region the account has not enabled (an opt-in region) as
            // if the credentials were wrong; in an estate that is the likelier cause.
            let opt_in = e.failure.is_bad_credentials();
            let mut text = e.for_command(command).to_string();
            if opt_in {
                text.push_str(&format!(
                    ". If {} is an opt-in region, enable it for account {} (AWS console: Account → AWS Regions) or remove it from connectionArguments.regions",
                    pair.region,
                    pair.account.label()
                ));
            }
            text
        })?;
    let selected = names
        .iter()
        .filter(|n| super::filters_select(filters, scope, n))
        .cloned()
        .collect();
    Ok((names, selected))
}

/// A run in progress: the open sink, the summary so far, and per pair its counts.
pub struct Run<'a> {
    /// The workflow.
    pub workflow: &'a Workflow,
    /// What the run did so far.
    pub summary: Summary,
    /// Per (account, region) pair of an estate, its counts (empty for one pair).
    pub counts: Vec<PairCounts>,
    throttled: Vec<ThrottleCounter>,
    out: Finish<'a>,
}

/// What [`Run::start`] found.
// One value per run, moved once: the size of the summary in `Ended` costs nothing, and
// boxing it would touch every command's match.
#[allow(clippy::large_enum_variant)]
pub enum Started<'a> {
    /// Tables to work on: the pairs, each with every listed name and the selected ones.
    Running {
        /// The run.
        run: Box<Run<'a>>,
        /// The pairs listed (a pair that failed is a failure in the summary instead).
        pairs: Vec<RunPair>,
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
        let context = SinkContext::of(&settings.workflow, command);
        let sink = sink_config.build(context, opening).await?;
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
        let mut counts = Vec::new();
        match list_pairs(workflow, flags, command, &mut summary, &mut counts).await {
            Ok(pairs) => Started::Running {
                run: Box::new(Run {
                    workflow,
                    out: Finish::new(workflow, sink, started),
                    summary,
                    counts,
                    throttled: pairs
                        .iter()
                        .map(|p| p.connection.throttled.clone())
                        .collect(),
                }),
                pairs,
            },
            Err(stop) => {
                let (step, reason) = match &stop {
                    ListingStop::Failed(r) => ("(listing)", r),
                    ListingStop::Credentials(r) => ("(credentials)", r),
                    ListingStop::Empty(r) => ("(nothing to do)", r),
                };
                summary.warnings.extend(sink.abandon_because(step, reason));
                summary.pairs = counts;
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
            if let Err(e) = self.out.sink.write(record).await {
                let reason = e.to_string();
                let run = *self;
                let mut summary = run.summary;
                summary.pairs = run.counts;
                let elapsed = run.out.started.elapsed();
                summary
                    .warnings
                    .extend(run.out.sink.abandon_because("(sink)", &reason));
                return Err(summary.failed("(sink)", reason, elapsed));
            }
        }
        Ok(self)
    }

    /// Runs `job` on every table of `selected` (`(pair index, name)` into `pairs`, as
    /// [`selected_tables`] gives), `threads` at a time across pairs, each with its
    /// pair; tables finish out of order (every slot stays busy) and a small reorder
    /// buffer hands each result to `emit` in (pair, listing) order, whose records are
    /// written then. A failed job is a table failure (its error is shown as the
    /// reason; the table named by [`RunPair::shown`]). `progress` counts tables.
    pub async fn tables<'p, T, E, J, Fut, Emit>(
        &mut self,
        pairs: &'p [RunPair],
        selected: Vec<(usize, String)>,
        threads: usize,
        progress: &Progress,
        job: J,
        mut emit: Emit,
    ) where
        E: Display,
        J: Fn(&'p RunPair, String) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        Emit: FnMut(&RunPair, &str, T, &mut Summary) -> Vec<Record>,
    {
        let job = &job;
        let threads = threads.max(1);
        // Numbered after the pair lookup, so that the reorder buffer never waits for
        // an item that does not exist.
        let mut items = selected
            .into_iter()
            .filter_map(|(i, name)| pairs.get(i).map(|p| (i, p, name)))
            .enumerate()
            .peekable();
        // Memory bounded by design: a table is started only within `window` of the
        // oldest unwritten one, so the reorder buffer holds at most `window` finished
        // tables however slow one table is (the slots stay busy within the window).
        let window = threads * REORDER_WINDOW_PER_THREAD;
        let mut running = stream::FuturesUnordered::new();
        let mut pending = BTreeMap::new();
        let mut next_index = 0;
        loop {
            while running.len() < threads
                && items.peek().is_some_and(|(k, _)| *k < next_index + window)
            {
                let Some((k, (i, pair, name))) = items.next() else {
                    break;
                };
                running.push(async move {
                    let outcome = job(pair, name.clone()).await;
                    (k, i, name, outcome)
                });
            }
            let Some((k, i, name, outcome)) = running.next().await else {
                break;
            };
            progress.table_done(&name);
            pending.insert(k, (i, name, outcome));
            while let Some((i, name, outcome)) = pending.remove(&next_index) {
                next_index += 1;
                let Some(pair) = pairs.get(i) else { continue };
                match outcome {
                    Ok(done) => {
                        self.summary.tables_processed += 1;
                        if let Some(c) = pair.count.and_then(|j| self.counts.get_mut(j)) {
                            c.tables_processed += 1;
                        }
                        for record in emit(pair, &name, done, &mut self.summary) {
                            self.out.write(&record).await;
                        }
                    }
                    Err(e) => {
                        let name = pair.shown(&name);
                        tracing::warn!(table = %name, "{e}");
                        if let Some(c) = pair.count.and_then(|j| self.counts.get_mut(j)) {
                            c.tables_failed += 1;
                        }
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

    /// Table name → tag FQNs of the tables of schema `scope`, for sinks that know tags.
    pub async fn table_tags(
        &self,
        scope: &Scope,
    ) -> Option<Result<crate::sinks::TableTags, SinkError>> {
        self.out.sink.table_tags(&scope.schema_fqn()).await
    }

    /// Ends the run early with a failure of step `name` (the sink is abandoned).
    pub fn fail(self: Box<Self>, name: &str, reason: String) -> (Summary, Outcome) {
        let run = *self;
        let mut summary = run.summary;
        summary.pairs = run.counts;
        let elapsed = run.out.started.elapsed();
        summary
            .warnings
            .extend(run.out.sink.abandon_because(name, &reason));
        summary.failed(name, reason, elapsed)
    }

    /// Finishes the sink and the summary by the one finish path ([`Finish::finish`]);
    /// `mark_deleted` soft-deletes tables DynamoDB no longer lists, among those the
    /// filters select (a table that failed was listed, so it is never among them).
    pub async fn finish(self: Box<Self>, mark_deleted: bool) -> (Summary, Outcome) {
        let Run {
            throttled,
            mut summary,
            counts,
            out,
            ..
        } = *self;
        summary.throttled_requests = throttled.iter().map(ThrottleCounter::count).sum();
        summary.pairs = counts;
        out.finish(summary, mark_deleted).await
    }
}

/// Whether the workflow's filters select table `name` of schema `schema_fqn`
/// (`service.database.schema`): judged in that schema's scope, so that in a run over
/// several (account, region) pairs `useFqnForFiltering`, `databaseFilterPattern` and
/// `schemaFilterPattern` see the table's own account and region.
pub fn selected_in(workflow: &Workflow, schema_fqn: &str, name: &str) -> bool {
    let parts = crate::openmetadata::fqn::split(schema_fqn);
    let scope = match (parts.get(1), parts.get(2)) {
        (Some(database), Some(schema)) if parts.len() == 3 => {
            Scope::of_pair(workflow, database, schema)
        }
        _ => Scope::of(workflow),
    };
    super::selects(workflow, &scope, name)
}

/// The one way a run ends, shared by the table commands (through [`Run`]), `profile
/// merge` and `publish` — every replay of saved results: records go to the sink in
/// order ([`Finish::write`], [`Finish::table`]); after the first sink error nothing more
/// is written; at the end ([`Finish::finish`]) the output replaces the previous one
/// only if no write failed and the workflow's failure policy (`raiseOnError`,
/// `successThreshold`) tolerates the table failures, and the summary closes by the same
/// policy. So a failed run never replaces a good output, whichever command it was.
///
/// A new kind of saved result (such as the data-quality states a `test merge` reads)
/// plugs in without a finish of its own: read and merge the states, turn each table's
/// result into `Ok(records)` or `Err(why it failed)`, and hand them to
/// [`Finish::table`] (or [`Finish::replay`]) on a `Finish` from [`Finish::open`]; then
/// call [`Finish::finish`]. Counters of its own go to the [`Summary`] it passes.
pub struct Finish<'a> {
    workflow: &'a Workflow,
    sink: Box<dyn SinkWriter>,
    sink_error: Option<SinkError>,
    started: Instant,
}

impl<'a> Finish<'a> {
    /// A finish writing to `sink`, for a run that started at `started`.
    pub fn new(workflow: &'a Workflow, sink: Box<dyn SinkWriter>, started: Instant) -> Self {
        Finish {
            workflow,
            sink,
            sink_error: None,
            started,
        }
    }

    /// Opens the workflow's sink with `opening` (no sink: [`RunError::NoSink`] for
    /// `command`).
    pub async fn open(
        settings: &'a Settings,
        opening: Opening<'_>,
        command: Command,
        started: Instant,
    ) -> Result<Finish<'a>, RunError> {
        let sink_config = settings
            .sink
            .as_deref()
            .ok_or(RunError::NoSink { command })?;
        let context = SinkContext::of(&settings.workflow, command);
        let sink = sink_config.build(context, opening).await?;
        Ok(Finish::new(&settings.workflow, sink, started))
    }

    /// The columns the sink's catalog knows of table `table_fqn` (see
    /// [`SinkWriter::known_columns`]).
    pub fn known_columns(&self, table_fqn: &str) -> Vec<String> {
        self.sink.known_columns(table_fqn)
    }

    /// Gives up before any table (nothing is replaced): the sink's warnings, if any.
    pub fn abandon_because(self, step: &str, reason: &str) -> Option<String> {
        self.sink.abandon_because(step, reason)
    }

    /// Writes `record`, unless an earlier write failed. Returns whether the sink is
    /// still good (the first error is kept for the summary).
    pub async fn write(&mut self, record: &Record) -> bool {
        if self.sink_error.is_some() {
            return false;
        }
        if let Err(e) = self.sink.write(record).await {
            self.sink_error = Some(e);
            return false;
        }
        true
    }

    /// One table's result: its records written (the table counted as processed), or
    /// why it failed (a table failure, counted by the failure policy). Returns whether
    /// the sink is still good.
    pub async fn table(
        &mut self,
        summary: &mut Summary,
        name: String,
        result: Result<Vec<Record>, String>,
    ) -> bool {
        match result {
            Ok(records) => {
                summary.tables_processed += 1;
                for record in &records {
                    if !self.write(record).await {
                        return false;
                    }
                }
                self.sink_error.is_none()
            }
            Err(reason) => {
                tracing::warn!(table = %name, "{reason}");
                summary.failures.push(Failure { name, reason });
                self.sink_error.is_none()
            }
        }
    }

    /// [`Finish::table`] of every table of `tables`, in their order, until a write
    /// fails.
    pub async fn replay(
        &mut self,
        summary: &mut Summary,
        tables: impl IntoIterator<Item = (String, Result<Vec<Record>, String>)>,
    ) {
        for (name, result) in tables {
            if !self.table(summary, name, result).await {
                break;
            }
        }
    }

    /// Finishes the sink and closes `summary`. The output replaces the previous one
    /// (`commit`) only if every write succeeded and the table failures are tolerated
    /// by the failure policy (raiseOnError, successThreshold): then the run is a
    /// success by the workflow's rule. `mark_deleted` (soft-delete tables DynamoDB no
    /// longer lists, among those the filters select) is asked only of a run whose
    /// writes all succeeded.
    pub async fn finish(self, mut summary: Summary, mark_deleted: bool) -> (Summary, Outcome) {
        let Finish {
            workflow,
            sink,
            sink_error,
            started,
        } = self;
        let policy = &workflow.failure_policy;
        let commit = sink_error.is_none() && summary.tolerated(policy);
        let selected = |schema_fqn: &str, name: &str| selected_in(workflow, schema_fqn, name);
        let so_far = serde_json::to_value(&summary).unwrap_or_default();
        let failed_tables: Vec<String> = summary
            .failures
            .iter()
            // `(listing)`, `(sink)`: steps; `pair a/r`: a whole pair (below).
            .filter(|f| !f.name.starts_with('(') && !f.name.starts_with("pair "))
            .map(|f| f.name.clone())
            .collect();
        let failed_pairs: Vec<(String, String)> = summary
            .pairs
            .iter()
            .filter(|p| p.error.is_some())
            .map(|p| (p.account.clone(), p.region.clone()))
            .collect();
        let report = sink
            .finish(RunEnd {
                summary: &so_far,
                commit,
                mark_deleted: mark_deleted && sink_error.is_none(),
                selected: &selected,
                failed_tables: &failed_tables,
                failed_pairs: &failed_pairs,
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures_util::future::LocalBoxFuture;

    use super::*;
    use crate::sinks::{SinkReport, SinkWriter};

    /// What the finish asked of the sink: (commit, mark_deleted), and the records.
    #[derive(Default)]
    struct Seen {
        end: Option<(bool, bool)>,
        written: usize,
    }

    /// A sink that keeps what it was asked, failing every write after `fail_after`.
    struct Probe {
        seen: Arc<Mutex<Seen>>,
        fail_after: usize,
    }

    impl SinkWriter for Probe {
        fn write<'a>(&'a mut self, _: &'a Record) -> LocalBoxFuture<'a, Result<(), SinkError>> {
            Box::pin(async move {
                let mut seen = self.seen.lock().unwrap();
                if seen.written >= self.fail_after {
                    return Err(SinkError::Output(
                        dynameta_fs::output::Output::new("x", std::path::Path::new("/"))
                            .check()
                            .unwrap_err(),
                    ));
                }
                seen.written += 1;
                Ok(())
            })
        }

        fn finish<'a>(self: Box<Self>, end: RunEnd<'a>) -> LocalBoxFuture<'a, SinkReport> {
            self.seen.lock().unwrap().end = Some((end.commit, end.mark_deleted));
            Box::pin(async { SinkReport::default() })
        }

        fn abandon(self: Box<Self>) -> Option<String> {
            None
        }
    }

    fn workflow(workflow_config: &str) -> Workflow {
        let yaml = format!(
            "source:\n  type: dynamodb\n  serviceName: svc\n  serviceConnection:\n    config:\n      type: DynamoDB\n      awsConfig:\n        awsRegion: us-east-1\n  sourceConfig:\n    config:\n      type: DatabaseMetadata\nsink:\n  type: file\n  config:\n    filename: out.jsonl\nworkflowConfig:\n  openMetadataServerConfig:\n    hostPort: http://localhost:8585/api\n{workflow_config}"
        );
        crate::config::parse(
            &yaml,
            std::path::Path::new("wf.yaml"),
            Command::Ingest,
            &|_| None,
        )
        .unwrap()
    }

    fn listing() -> Record {
        Record::TableListing {
            schema: "svc.default.default".into(),
            tables: vec!["a".into()],
        }
    }

    /// Replays 9 good tables and one failed one through a finish on `workflow`, with a
    /// sink that fails after `fail_after` writes: (outcome, commit, mark_deleted, writes).
    fn replay(workflow: &Workflow, fail_after: usize) -> (Outcome, bool, bool, usize) {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let sink = Probe {
            seen: seen.clone(),
            fail_after,
        };
        let mut out = Finish::new(workflow, Box::new(sink), Instant::now());
        let mut summary = Summary::default();
        let tables = (0..10).map(|i| {
            let result = if i == 3 {
                Err("refused".to_string())
            } else {
                Ok(vec![listing()])
            };
            (format!("t{i}"), result)
        });
        let (_, outcome) = futures_executor(async {
            out.replay(&mut summary, tables).await;
            out.finish(summary, true).await
        });
        let seen = seen.lock().unwrap();
        let (commit, mark_deleted) = seen.end.unwrap();
        (outcome, commit, mark_deleted, seen.written)
    }

    fn futures_executor<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_slow_table_holds_back_at_most_a_window_of_finished_ones() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        // 100 tables on 2 threads; the first yields 1,000 times before it ends, the
        // others end at once. Without a window every other table would finish (and wait
        // in the reorder buffer) before the first is written.
        let wf = workflow("");
        let finished = AtomicUsize::new(0);
        let emitted = AtomicUsize::new(0);
        let most_waiting = AtomicUsize::new(0);
        let order = Mutex::new(Vec::new());
        futures_executor(async {
            let connection = aws::connect(wf.aws(), &wf.options).await;
            let names: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
            let pairs = vec![RunPair {
                pair: None,
                connection,
                capabilities: Default::default(),
                scope: Scope::of(&wf),
                listed: names.clone(),
                selected: names.clone(),
                count: None,
            }];
            let sink = Probe {
                seen: Arc::new(Mutex::new(Seen::default())),
                fail_after: usize::MAX,
            };
            let mut run = Run {
                workflow: &wf,
                summary: Summary::default(),
                counts: Vec::new(),
                throttled: Vec::new(),
                out: Finish::new(&wf, Box::new(sink), Instant::now()),
            };
            let progress = Progress::new(100, true);
            run.tables(
                &pairs,
                selected_tables(&pairs),
                2,
                &progress,
                |_, name| {
                    let finished = &finished;
                    let emitted = &emitted;
                    let most_waiting = &most_waiting;
                    async move {
                        if name == "t0" {
                            for _ in 0..1_000 {
                                tokio::task::yield_now().await;
                            }
                        }
                        let done = finished.fetch_add(1, Ordering::SeqCst) + 1;
                        let waiting = done - emitted.load(Ordering::SeqCst);
                        most_waiting.fetch_max(waiting, Ordering::SeqCst);
                        Ok::<_, String>(name)
                    }
                },
                |_, _, name: String, _| {
                    emitted.fetch_add(1, Ordering::SeqCst);
                    order.lock().unwrap().push(name);
                    Vec::new()
                },
            )
            .await;
        });
        let order = order.into_inner().unwrap();
        let want: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
        assert_eq!(order, want, "written in listing order");
        let window = 2 * REORDER_WINDOW_PER_THREAD;
        let most = most_waiting.load(Ordering::SeqCst);
        assert!(
            most <= window,
            "{most} finished tables waited at once (window {window})"
        );
    }

    #[test]
    fn one_finish_applies_the_failure_policy_to_every_replay() {
        // Default policy: a failed table fails the run; the output is not replaced.
        let (outcome, commit, mark_deleted, written) = replay(&workflow(""), usize::MAX);
        assert_eq!((outcome, commit, written), (Outcome::Failures, false, 9));
        assert!(
            mark_deleted,
            "a listed table that failed is never marked deleted"
        );
        // successThreshold met: the run succeeds and its output replaces the previous.
        let (outcome, commit, _, _) = replay(&workflow("  successThreshold: 90\n"), usize::MAX);
        assert_eq!((outcome, commit), (Outcome::Success, true));
        // raiseOnError false: the same.
        let (outcome, commit, _, _) = replay(&workflow("  raiseOnError: false\n"), usize::MAX);
        assert_eq!((outcome, commit), (Outcome::Success, true));
        // A failed write is never tolerated: nothing more is written, nothing committed
        // and nothing marked deleted.
        let (outcome, commit, mark_deleted, written) =
            replay(&workflow("  raiseOnError: false\n"), 4);
        assert_eq!(
            (outcome, commit, mark_deleted, written),
            (Outcome::Failures, false, false, 4)
        );
    }
}
