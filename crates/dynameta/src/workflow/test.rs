//! `dynameta test`: runs OpenMetadata's data-quality test cases on DynamoDB tables.
//!
//! Thin orchestration: the TestSuite file is read by `config` (`test_suite.rs`), the
//! cases are checked against the server's test definitions and created or updated
//! there (`sinks::openmetadata::dq`), every case of a table is evaluated in one scan by
//! the data-quality engine (`processors::dq`), and the results go back to the server
//! (or, without one, to the local catalog or a file). Exit code: 0 every case passed,
//! 1 a case failed, aborted or could not be tested, 2 the run could not run.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};

use super::{list_and_select, Finish, ListingStop, RunFlags, Settings, Summary};
use crate::aws::estate::Pair;
use crate::aws::{self, Connection};
use crate::config::{Command, TestSuite, Workflow};
use crate::processors::dq::cases::{self, Planned, Prepared};
pub use crate::processors::dq::cases::{CaseReport, Status};
use crate::processors::dq::plan as dq_plan;
use crate::processors::dq::read as dq_read;
use crate::processors::dq::state_file;
use crate::processors::dq::{CaseOutcome, DqError, DqLimits};
use crate::processors::mapping::Scope;
use crate::processors::profiler::Part;
use crate::sinks::openmetadata::dq::{self as om_dq, Definition, DqClient};
use crate::sinks::openmetadata::{RestError, RestSinkConfig};
use crate::sinks::{Opening, Record};
use crate::source::ScanStats;

/// Exit code when every case passed.
pub const EXIT_PASSED: u8 = 0;
/// Exit code when a case failed, aborted or could not be tested.
pub const EXIT_FAILED: u8 = 1;
/// Exit code when the run could not run (configuration, server, DynamoDB).
pub const EXIT_NOT_RUN: u8 = 2;

/// Why `dynameta test` could not run at all (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum TestError {
    /// The OpenMetadata server could not be reached or refused a call.
    #[error("{0}")]
    Server(#[from] RestError),
    /// The sink section is not one `dynameta test` can write to.
    #[error("sink.type: `{0}` is not a sink `dynameta test` writes to; use `metadata-rest` (results in OpenMetadata), `local` (the local catalog) or `file`")]
    Sink(String),
    /// A case of the YAML cannot be sent: it names what is wrong and how to fix it.
    #[error("processor.config.testCases: test case `{case}`: {problem}")]
    Case {
        /// The test case's name.
        case: String,
        /// What is wrong.
        problem: String,
    },
    /// The sink's settings are invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// Nothing could be listed or selected.
    #[error("{0}")]
    Listing(String),
    /// Results could not be written to the local catalog or file.
    #[error(transparent)]
    Output(#[from] crate::sinks::SinkError),
    /// The connection stored in OpenMetadata's service cannot be used.
    #[error("{0}")]
    ServiceConnection(String),
    /// `test merge`: the state files cannot be read or are not all the parts of one run.
    #[error("{0}")]
    State(String),
    /// `test merge`: the sink could not be opened.
    #[error(transparent)]
    Run(#[from] super::RunError),
    /// The results file could not be written.
    #[error("sink.config.filename: cannot write {0}")]
    Write(String),
}

/// One table's cases.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableReport {
    /// Table FQN.
    pub table: String,
    /// The cases, in the order they ran.
    pub cases: Vec<CaseReport>,
    /// Items read.
    pub items: u64,
    /// Read units consumed.
    pub consumed_read_units: f64,
    /// Why the table could not be tested (its cases did not run).
    pub error: Option<String>,
    /// `--part`: cases evaluated over this part's share, concluded by `test merge`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pending: usize,
    /// Read from this DynamoDB export to S3 (`connectionArguments.exports`) instead
    /// of a scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What `dynameta test` did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestSummary {
    /// Every table tested (or that could not be).
    pub tables: Vec<TableReport>,
    /// Where the results went.
    pub destination: String,
    /// Things the run could not honour or did differently than asked.
    pub warnings: Vec<String>,
    /// Results posted to OpenMetadata.
    pub results_posted: u64,
    /// `--part I/N`: which part this run was (its results come from `test merge`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// `test merge` through the one finish: whether the workflow's failure policy
    /// (`raiseOnError`, `successThreshold`) tolerated the tables that could not be
    /// tested, and no write failed (only then is the output replaced).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerated: Option<bool>,
}

impl TestSummary {
    /// 0 every case passed; 1 a case failed, aborted or was not testable; 2 a table
    /// could not be tested at all; 3 (as every command that finds nothing to do) no
    /// case ran anywhere.
    pub fn exit_code(&self) -> u8 {
        let not_run = match self.tolerated {
            Some(tolerated) => !tolerated,
            None => self.tables.iter().any(|t| t.error.is_some()),
        };
        if not_run {
            EXIT_NOT_RUN
        } else if self.part.is_some() {
            // A part concludes nothing: `test merge` does.
            EXIT_PASSED
        } else if self.tables.iter().all(|t| t.cases.is_empty()) {
            super::EXIT_EMPTY
        } else if self
            .tables
            .iter()
            .flat_map(|t| &t.cases)
            .any(|c| c.status != Status::Success)
        {
            EXIT_FAILED
        } else {
            EXIT_PASSED
        }
    }

    /// Counts of each status over every table.
    pub fn counts(&self) -> [(Status, usize); 4] {
        let count = |s: Status| {
            self.tables
                .iter()
                .flat_map(|t| &t.cases)
                .filter(|c| c.status == s)
                .count()
        };
        [
            Status::Success,
            Status::Failed,
            Status::Aborted,
            Status::NotTestable,
        ]
        .map(|s| (s, count(s)))
    }

    /// The summary as text: each table, each case with its status and numbers.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for table in &self.tables {
            out.push_str(&format!(
                "table {}: {} case(s), {} item(s) read, {:.1} read units\n",
                table.table,
                table.cases.len(),
                table.items,
                table.consumed_read_units
            ));
            if let Some(export) = &table.export {
                out.push_str(&format!(
                    "  read from the export {export} (no read capacity used)\n"
                ));
            }
            if let Some(e) = &table.error {
                out.push_str(&format!("  NOT RUN: {e}\n"));
            }
            if table.pending > 0 {
                out.push_str(&format!(
                    "  {} case(s) evaluated over this part; `dynameta test merge` gives their results\n",
                    table.pending
                ));
            }
            if table.cases.is_empty() && table.error.is_none() && table.pending == 0 {
                out.push_str("  no test case: define some in processor.config.testCases or in OpenMetadata\n");
            }
            let mut cases: Vec<&CaseReport> = table.cases.iter().collect();
            // Failures first.
            cases.sort_by_key(|c| match c.status {
                Status::Failed => 0,
                Status::Aborted => 1,
                Status::NotTestable => 2,
                Status::Success => 3,
            });
            for c in cases {
                let target = c
                    .column
                    .as_deref()
                    .map_or(String::new(), |col| format!(" [{col}]"));
                let mut numbers: Vec<String> =
                    c.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
                if let (Some(p), Some(f)) = (c.passed_rows, c.failed_rows) {
                    numbers.push(format!("passedRows={p}, failedRows={f}"));
                }
                out.push_str(&format!(
                    "  {:<12} {}{} ({}): {}{}\n",
                    c.status.label(),
                    c.name,
                    target,
                    c.definition,
                    if numbers.is_empty() {
                        String::new()
                    } else {
                        format!("{}. ", numbers.join(", "))
                    },
                    c.result
                ));
            }
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
        let [(_, ok), (_, failed), (_, aborted), (_, untestable)] = self.counts();
        let total = ok + failed + aborted + untestable;
        out.push_str(&format!(
            "{total} test case(s) on {} table(s): {ok} passed, {failed} failed, {aborted} aborted, {untestable} not testable. {}\n",
            self.tables.len(),
            self.destination
        ));
        if total == 0 && self.part.is_none() {
            out.push_str("Nothing was tested.\n");
        }
        out
    }
}

/// What `dynameta test` does beside a whole run.
#[derive(Debug, Clone, Copy)]
pub enum Mode<'a> {
    /// Every table in full; results to the sink.
    Whole,
    /// `--part I/N --state-out FILE`: part I of every table, its state to FILE.
    Part(Part, &'a std::path::Path),
    /// `test merge FILE...`: the parts' states merged; results to the sink.
    Merge(&'a [std::path::PathBuf]),
}

/// Runs the TestSuite workflow. `Err` is a run that could not run (exit 2).
pub async fn run(
    settings: &Settings,
    flags: &RunFlags,
    mode: Mode<'_>,
) -> Result<TestSummary, TestError> {
    let suite = settings.workflow.test_suite.clone().unwrap_or_default();
    let mut summary = TestSummary {
        warnings: suite.warnings.clone(),
        ..TestSummary::default()
    };
    let section = settings
        .workflow
        .sink
        .as_ref()
        .ok_or_else(|| TestError::Sink("(none)".into()))?;
    let server = match section.kind.as_str() {
        "metadata-rest" => {
            let config =
                RestSinkConfig::parse(section.config.clone(), settings.workflow.server.as_ref())?;
            Some(DqClient::connect(config.client(), &settings.workflow.service_name).await?)
        }
        "local" | "file" | "console" => None,
        other => return Err(TestError::Sink(other.to_string())),
    };
    // No serviceConnection in the file: the service's, as OpenMetadata's runner reads it.
    let reloaded;
    let workflow = match (&server, suite.connection_from_server) {
        (Some(dq), true) => {
            let connection = connection_of_service(dq, &settings.workflow.service_name).await?;
            reloaded = crate::config::load_with_connection(&section.workflow_file, &connection)?;
            let aws = reloaded.aws();
            for secret in [&aws.aws_secret_access_key, &aws.aws_session_token]
                .into_iter()
                .flatten()
            {
                crate::secret::register(secret);
            }
            summary.warnings.push(format!(
                "source.serviceConnection is not in the file: the connection of service `{}` in OpenMetadata was used",
                reloaded.service_name
            ));
            &reloaded
        }
        _ => &settings.workflow,
    };
    // exports are keyed by table name: same-named tables of two pairs would be judged
    // from one export (as `profile` refuses it).
    if !workflow.options.exports.is_empty() {
        super::refuse_estate(workflow, "test with connectionArguments.exports")?;
    }
    // `test merge` without a server: the sink's file is never one of the state files it
    // merges (checked before anything is opened or read, by the rules of every output,
    // as `profile merge` does); then the one finish.
    if let (Mode::Merge(files), None) = (mode, &server) {
        if let Some((key, out)) = settings.sink.as_deref().and_then(|s| s.output_file()) {
            let mut output = dynameta_fs::output::Output::new(key, out);
            for path in files {
                output = output.input("a state file being merged", path);
            }
            output
                .check()
                .map_err(|e| TestError::Output(crate::sinks::SinkError::from(e)))?;
        }
        return merge(settings, files, summary).await;
    }
    // Opened before any table is read: a bad output path stops the run here.
    let mut destination = match (&server, mode) {
        (_, Mode::Part(part, path)) => local::Destination::part(path, part, workflow)?,
        (Some(_), _) => local::Destination::Console,
        (None, _) => local::Destination::open(section, workflow)?,
    };
    if let Mode::Merge(files) = mode {
        // The states hold every case as it was prepared: nothing is read again. Every
        // file's header is checked first; then the tables are merged and concluded one
        // at a time, through all the files at once (memory: one table's state).
        let mut merge = state_file::open(files, &workflow.service_name, DqLimits::default())
            .map_err(|e| TestError::State(e.0))
            .inspect_err(|e| destination.fail_ref(&e.to_string()))?;
        summary.destination = destination.describe(server.is_some(), &section.kind);
        while let Some((table_fqn, combined)) = merge.next_table() {
            let report = merged(server.as_ref(), table_fqn, combined, &mut summary).await;
            destination.table(&report)?;
            summary.tables.push(report);
        }
        destination.finish(&summary)?;
        return Ok(summary);
    }
    // Definitions checked before anything is sent or read.
    let definitions = match &server {
        Some(dq) => Some(check_definitions(dq, &suite).await?),
        None => None,
    };
    let targets = match targets(workflow, &suite, flags, &mut summary).await {
        Ok(targets) => targets,
        Err(why) => {
            destination.fail(&why);
            return Err(TestError::Listing(why));
        }
    };
    summary.destination = destination.describe(server.is_some(), &section.kind);
    let part = match mode {
        Mode::Part(part, _) => {
            summary.part = Some(part.to_string());
            part
        }
        _ => Part::WHOLE,
    };
    destination.part_begin(targets.iter().map(|t| t.fqn.clone()).collect());
    let timeout = std::time::Duration::from_secs(
        workflow
            .options
            .test_timeout_seconds
            .unwrap_or(crate::config::DEFAULT_PROFILE_TIMEOUT_SECONDS),
    );
    for target in targets {
        let table_fqn = target.fqn.clone();
        let table = target.name;
        let mut report = TableReport {
            table: table_fqn.clone(),
            cases: Vec::new(),
            items: 0,
            consumed_read_units: 0.0,
            error: None,
            pending: 0,
            export: None,
        };
        let known = destination.columns(&table_fqn);
        let result: Result<(), String> = async {
            let connection = match target.route {
                Route::Read(connection) => connection,
                Route::Failed(why) => return Err(why),
                Route::NoPair(why) => {
                    let prepared = Prepared::none_testable(cases::selected(&suite), &why);
                    report.cases.extend(prepared.untestable.iter().cloned());
                    destination.part_table(&table_fqn, &prepared, None, &ScanStats::default());
                    return Ok(());
                }
            };
            let prepared = prepare(
                &suite,
                known,
                server.as_ref(),
                definitions.as_ref(),
                &table_fqn,
                &mut summary,
            )
            .await?;
            let read = if prepared.cases.is_empty() {
                Ok(Ok((None, ScanStats::default(), None)))
            } else {
                // The per-table time limit covers the read (items are evaluated as they
                // are read), as `profile`'s `timeoutSeconds` does; a table out of time
                // has its cases Aborted with the reason, never concluded from what was
                // read so far.
                tokio::time::timeout(
                    timeout,
                    dq_read::read(workflow, &connection, &table, &prepared, part),
                )
                .await
                .map_err(|_| cases::timed_out(timeout))
            };
            let (state, stats, export) = match read {
                Ok(read) => read?,
                Err(reason) => {
                    summary.warnings.push(format!("{table_fqn}: {reason}"));
                    return match mode {
                        Mode::Part(..) => {
                            report.pending = prepared.cases.len();
                            report.cases.extend(prepared.untestable.iter().cloned());
                            destination.part_aborted(&table_fqn, &prepared, &reason);
                            Ok(())
                        }
                        _ => {
                            report_outcomes(
                                server.as_ref(),
                                &prepared,
                                Ok(prepared.abort_all(&reason)),
                                &mut report,
                                &mut summary,
                            )
                            .await
                        }
                    };
                }
            };
            report.items = stats.items;
            report.consumed_read_units = stats.consumed_read_units;
            report.export = export;
            match mode {
                Mode::Part(..) => {
                    report.pending = prepared.cases.len();
                    report.cases.extend(prepared.untestable.iter().cloned());
                    destination.part_table(&table_fqn, &prepared, state, &stats);
                    Ok(())
                }
                _ => {
                    let outcomes = prepared.conclude(state);
                    report_outcomes(
                        server.as_ref(),
                        &prepared,
                        outcomes,
                        &mut report,
                        &mut summary,
                    )
                    .await
                }
            }
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(table = %table_fqn, "{e}");
            if let Mode::Part(..) = mode {
                destination.part_error(&table_fqn, &e);
            }
            report.error = Some(e);
        }
        destination.table(&report)?;
        summary.tables.push(report);
    }
    destination.finish(&summary)?;
    Ok(summary)
}

/// One table a run tests: its FQN, its DynamoDB name and how it is read.
struct Target {
    fqn: String,
    name: String,
    route: Route,
}

/// How a table is read.
enum Route {
    /// Through this connection: the workflow's, or in an estate its pair's.
    Read(Arc<Connection>),
    /// Its pair failed (its role could not be assumed, its listing failed): the table
    /// is not tested, for this reason; the other pairs' tables are.
    Failed(String),
    /// No pair of the estate holds it: every case is not testable, for this reason.
    NoPair(String),
}

/// The tables a run tests: the TestSuite's table, or every table the filters select.
/// In an estate (issue 25: `regions`, `accounts`, `organization`), every pair is
/// walked as `ingest` walks it, and each table is read through its pair's connection:
/// the suite's table through the pair its database (the account) and schema (the
/// region) name. `Err`: the one listing failed (exit 2).
async fn targets(
    workflow: &Workflow,
    suite: &TestSuite,
    flags: &RunFlags,
    summary: &mut TestSummary,
) -> Result<Vec<Target>, String> {
    let target = |scope: &Scope, name: &str, route: Route| Target {
        fqn: scope.table_fqn(name),
        name: name.to_string(),
        route,
    };
    if !aws::estate::is_estate(&workflow.options) {
        let connection = Arc::new(aws::connect(workflow.aws(), &workflow.options).await);
        let scope = Scope::of(workflow);
        let names = match &suite.table {
            Some(t) => vec![t.clone()],
            None => list(&connection, workflow, &scope, flags, summary).await?,
        };
        return Ok(names
            .iter()
            .map(|name| target(&scope, name, Route::Read(connection.clone())))
            .collect());
    }
    let estate = aws::estate::resolve(workflow.aws(), &workflow.options).await;
    summary.warnings.extend(estate.notes.iter().cloned());
    // The Organization could not be listed: its accounts' tables are unknown, so the run
    // cannot say it tested the estate (never a pass with accounts left out); it stops as
    // a failed listing does (exit 2), naming the step.
    if !estate.failures.is_empty() {
        let steps: Vec<String> = estate
            .failures
            .iter()
            .map(|(step, why)| format!("{step}: {why}"))
            .collect();
        return Err(format!(
            "the estate could not be walked, so nothing was tested: {}",
            steps.join("; ")
        ));
    }
    let scope_of =
        |pair: &Pair| Scope::of_pair(workflow, &pair.account.database_name(), &pair.region);
    let failed = |pair: &Pair, why: &str| Route::Failed(format!("pair {}: {why}", pair.label()));
    if let (Some(name), Some(entity)) = (&suite.table, &suite.entity_fqn) {
        let parts = crate::openmetadata::fqn::split(entity);
        let part = |i: usize| parts.get(i).map_or("", String::as_str);
        return Ok(vec![
            match cases::pair_of(&estate.pairs, part(1), part(2)) {
                Err(why) => Target {
                    fqn: entity.clone(),
                    name: name.clone(),
                    route: Route::NoPair(why),
                },
                Ok(pair) => target(
                    &scope_of(pair),
                    name,
                    match &pair.broken {
                        Some(why) => failed(pair, why),
                        None => Route::Read(Arc::new(estate.connection(pair))),
                    },
                ),
            },
        ]);
    }
    let mut targets = Vec::new();
    for pair in &estate.pairs {
        let scope = scope_of(pair);
        let whole = |route| Target {
            fqn: scope.schema_fqn(),
            name: String::new(),
            route,
        };
        if let Some(why) = &pair.broken {
            targets.push(whole(failed(pair, why)));
            continue;
        }
        let connection = Arc::new(estate.connection(pair));
        match list(&connection, workflow, &scope, flags, summary).await {
            Ok(names) => targets.extend(
                names
                    .iter()
                    .map(|name| target(&scope, name, Route::Read(connection.clone()))),
            ),
            Err(why) => targets.push(whole(failed(pair, &why))),
        }
    }
    Ok(targets)
}

/// Lists and selects the tables of one connection (`scope`'s names); a listing that
/// finds or selects nothing is a warning; `Err`: the listing failed.
async fn list(
    connection: &Connection,
    workflow: &Workflow,
    scope: &Scope,
    flags: &RunFlags,
    summary: &mut TestSummary,
) -> Result<Vec<String>, String> {
    let mut listing = Summary::default();
    match list_and_select(
        connection,
        &workflow.filters,
        scope,
        &mut listing,
        flags,
        Command::Test,
    )
    .await
    {
        Ok((_, selected)) => Ok(selected),
        Err(ListingStop::Empty(why)) => {
            summary.warnings.push(why);
            Ok(Vec::new())
        }
        Err(ListingStop::Credentials(why) | ListingStop::Failed(why)) => Err(why),
    }
}

/// `test merge` without a server: the parts' states merged table by table (every
/// file's header checked first; memory: one table's state) and concluded, each table's
/// results replayed as [`Record::TestCaseResult`]s (or why it could not be tested)
/// through the one finish every replay shares ([`Finish`]), so its failure policy
/// (`raiseOnError`, `successThreshold`) and "a failed run never replaces a good output"
/// are those of `profile merge` and `publish`.
async fn merge(
    settings: &Settings,
    files: &[std::path::PathBuf],
    mut summary: TestSummary,
) -> Result<TestSummary, TestError> {
    let started = std::time::Instant::now();
    let workflow = &settings.workflow;
    let mut merge = state_file::open(files, &workflow.service_name, DqLimits::default())
        .map_err(|e| TestError::State(e.0))?;
    let opening = Opening::Existing {
        service_name: &workflow.service_name,
        command: Command::Test,
    };
    let mut out = Finish::open(settings, opening, Command::Test, started).await?;
    let mut run = Summary::default();
    while let Some((table_fqn, combined)) = merge.next_table() {
        let report = merged(None, table_fqn, combined, &mut summary).await;
        let records = match &report.error {
            Some(e) => Err(e.clone()),
            None => Ok(report
                .cases
                .iter()
                .map(|c| Record::TestCaseResult {
                    table: report.table.clone(),
                    test_case: c.clone(),
                })
                .collect()),
        };
        run.tables_listed += 1;
        out.table(&mut run, report.table.clone(), records).await;
        summary.tables.push(report);
    }
    let (run, _) = out.finish(run, false).await;
    let tolerated = run.tolerated(&workflow.failure_policy);
    summary.warnings.extend(run.warnings);
    for f in run.failures.iter().filter(|f| f.name.starts_with('(')) {
        summary.warnings.push(format!("{}: {}", f.name, f.reason));
    }
    let output = settings.sink.as_deref().and_then(|s| s.output_file());
    summary.destination = match (tolerated, output) {
        (false, Some((_, path))) => format!(
            "Nothing replaced: the run failed, {} is as it was.",
            path.display()
        ),
        (false, None) => "The run failed.".to_string(),
        (true, Some(("sink.config.path", path))) => {
            format!("Results stored in the local catalog {}.", path.display())
        }
        (true, Some((_, path))) => format!("Results written to {}.", path.display()),
        (true, None) => format!(
            "Results shown only (sink `{}`).",
            settings.sink.as_deref().map_or("console", |s| s.kind())
        ),
    };
    summary.tolerated = Some(tolerated);
    Ok(summary)
}

/// A merged table's report: its cases concluded from the parts' merged state (or
/// Aborted when a part ran out of time), posted to the server when there is one.
async fn merged(
    server: Option<&DqClient>,
    table_fqn: String,
    combined: Result<state_file::Combined, String>,
    summary: &mut TestSummary,
) -> TableReport {
    let mut report = TableReport {
        table: table_fqn,
        cases: Vec::new(),
        items: 0,
        consumed_read_units: 0.0,
        error: None,
        pending: 0,
        export: None,
    };
    let combined = match combined {
        Err(e) => {
            report.error = Some(e);
            return report;
        }
        Ok(combined) => combined,
    };
    report.items = combined.items;
    report.consumed_read_units = combined.consumed_read_units;
    report.error = combined.error.clone();
    let concluded = match (&report.error, &combined.aborted) {
        (Some(_), _) => Ok(()),
        (None, Some(reason)) => {
            summary.warnings.push(format!("{}: {reason}", report.table));
            let outcomes = Ok(combined.prepared.abort_all(reason));
            report_outcomes(server, &combined.prepared, outcomes, &mut report, summary).await
        }
        (None, None) => {
            let outcomes = combined.prepared.conclude(combined.state);
            report_outcomes(server, &combined.prepared, outcomes, &mut report, summary).await
        }
    };
    if let Err(e) = concluded {
        report.error = Some(e);
    }
    report
}

/// The DynamoDB connection stored in OpenMetadata's service `service`
/// (`connection.config`), refused when a secret in it is masked (`**********`: the
/// server hides secrets from a token not allowed to see them).
async fn connection_of_service(dq: &DqClient, service: &str) -> Result<Value, TestError> {
    let entity = dq.service(service, "connection").await?;
    let Some(config) = entity
        .pointer("/connection/config")
        .filter(|c| c.is_object())
    else {
        return Err(TestError::ServiceConnection(format!(
            "source.serviceConnection: not in the file, and OpenMetadata's service `{service}` holds no connection either. Add `serviceConnection: {{config: {{type: DynamoDB, awsConfig: {{awsRegion: ...}}}}}}` to the file"
        )));
    };
    let masked = masked_paths(config, "connection.config");
    if !masked.is_empty() {
        return Err(TestError::ServiceConnection(format!(
            "source.serviceConnection: not in the file, and the connection stored in OpenMetadata's service `{service}` has no usable secret: {} {} masked (`{}`): the server does not show secrets to this token. Put serviceConnection in the file (with `${{ENV}}` for the secrets), or run with a bot token allowed to view the service's connection",
            masked.join(", "),
            if masked.len() == 1 { "is" } else { "are" },
            crate::secret::MASK
        )));
    }
    Ok(config.clone())
}

/// Key paths under `at` whose value is OpenMetadata's mask.
fn masked_paths(value: &Value, at: &str) -> Vec<String> {
    match value {
        Value::String(s) if s == crate::secret::MASK => vec![at.to_string()],
        Value::Object(o) => o
            .iter()
            .flat_map(|(k, v)| masked_paths(v, &format!("{at}.{k}")))
            .collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .flat_map(|(i, v)| masked_paths(v, &format!("{at}[{i}]")))
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads the test definitions the YAML's cases name and checks their parameters
/// against them (unknown, missing, a column test without a column): nothing is sent if
/// one case is wrong.
async fn check_definitions(
    dq: &DqClient,
    suite: &TestSuite,
) -> Result<HashMap<String, Definition>, TestError> {
    let mut definitions: HashMap<String, Definition> = HashMap::new();
    for case in &suite.cases {
        let name = &case.test_definition_name;
        if !definitions.contains_key(name) {
            match dq.definition(name).await? {
                Some(d) => {
                    definitions.insert(name.clone(), d);
                }
                None => {
                    return Err(TestError::Case {
                        case: case.name.clone(),
                        problem: format!("the OpenMetadata server has no test definition `{name}`. Check testDefinitionName (e.g. `columnValuesToBeUnique`; definitions are case-sensitive)."),
                    })
                }
            }
        }
        if let Some(d) = definitions.get(name) {
            dq_plan::check_case(case, d).map_err(|problem| TestError::Case {
                case: case.name.clone(),
                problem,
            })?;
        }
    }
    Ok(definitions)
}

/// The cases of table `table_fqn`: with a server, the YAML's created or updated there
/// and every case the server holds for the table; without, the YAML's. Cases on
/// columns OpenMetadata cannot hold are set aside as not testable.
async fn prepare(
    suite: &TestSuite,
    known_columns: Vec<String>,
    server: Option<&DqClient>,
    definitions: Option<&HashMap<String, Definition>>,
    table_fqn: &str,
    summary: &mut TestSummary,
) -> Result<Prepared, String> {
    let yaml = cases::selected(suite);
    let Some(dq) = server else {
        // Without a server: the columns the local catalog knows (else none).
        return Ok(Prepared::of_yaml(yaml, known_columns));
    };
    let entity = dq
        .table(table_fqn)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("table {table_fqn} is not in OpenMetadata: run `dynameta ingest` first, so that its columns exist"))?;
    let columns: Vec<String> = entity
        .get("columns")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    let existing = dq
        .cases_of_table(table_fqn)
        .await
        .map_err(|e| e.to_string())?;
    let mut stored = existing.clone();
    let mut set_aside = Vec::new();
    for case in yaml {
        if let Some(col) = &case.column_name {
            if let Some(why) = dq_plan::untestable(col, &columns) {
                set_aside.push(cases::not_testable(case, why));
                continue;
            }
            if !columns.iter().any(|c| c == col) {
                return Err(format!("test case `{}`: table {table_fqn} has no column `{col}` in OpenMetadata; check columnName (top-level attribute names are case-sensitive)", case.name));
            }
        }
        let link = om_dq::entity_link(table_fqn, case.column_name.as_deref());
        let body = om_dq::create_body(case, &link, definitions);
        let found = existing.iter().position(|c| {
            c.get("name").and_then(Value::as_str) == Some(case.name.as_str())
                && c.get("entityLink").and_then(Value::as_str) == Some(link.as_str())
        });
        match found {
            Some(_) if !suite.force_update => {
                summary.warnings.push(format!("test case `{}` of {table_fqn} already exists in OpenMetadata: its definition there ran (set processor.config.forceUpdate: true to replace it with the YAML's)", case.name));
            }
            found => {
                let put = dq
                    .put_case(&body)
                    .await
                    .map_err(|e| format!("test case `{}`: {e}", case.name))?;
                let put = with_definition(put, &case.test_definition_name);
                match found {
                    Some(i) => stored[i] = put,
                    None => stored.push(put),
                }
            }
        }
    }
    let yaml_names: Vec<&str> = suite.cases.iter().map(|c| c.name.as_str()).collect();
    let planned = stored
        .iter()
        .map(|c| Planned::of_stored(c, table_fqn, &yaml_names))
        .filter(|p| cases::is_selected(suite, &p.name))
        .collect();
    Ok(Prepared {
        cases: planned,
        columns,
        untestable: set_aside,
    }
    .in_server_order())
}

/// Reports every case of a table (the not testable ones first) with its outcome
/// (`Err`: the engine could not conclude), posting each to the server when there is
/// one.
async fn report_outcomes(
    server: Option<&DqClient>,
    prepared: &Prepared,
    outcomes: Result<Vec<CaseOutcome>, DqError>,
    report: &mut TableReport,
    summary: &mut TestSummary,
) -> Result<(), String> {
    report.cases.extend(prepared.untestable.iter().cloned());
    let outcomes = outcomes.map_err(|e| e.to_string())?;
    let timestamp = now_ms();
    for (p, outcome) in prepared.cases.iter().zip(outcomes) {
        if let (Some(dq), Some(fqn)) = (server, &p.fqn) {
            let body = om_dq::result_body(&outcome, timestamp, p.compute_passed_failed_row_count);
            dq.post_result(fqn, &body).await.map_err(|e| {
                format!(
                    "the result of test case `{}` could not be stored: {e}",
                    p.name
                )
            })?;
            summary.results_posted += 1;
        }
        report.cases.push(cases::report_of(p, &outcome));
    }
    Ok(())
}

/// A stored case as PUT returns it carries no `testDefinition` name unless asked;
/// the YAML's is the one it was created with.
fn with_definition(mut stored: Value, definition: &str) -> Value {
    if stored.pointer("/testDefinition/name").is_none() {
        stored["testDefinition"] = json!({ "name": definition });
    }
    stored
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

mod local;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_secrets_are_found_where_they_are() {
        let c = json!({"awsConfig": {"awsRegion": "us-east-1", "awsSecretAccessKey": "**********"}, "x": ["**********"]});
        assert_eq!(
            masked_paths(&c, "connection.config"),
            [
                "connection.config.awsConfig.awsSecretAccessKey",
                "connection.config.x[0]"
            ]
        );
        assert!(masked_paths(&json!({"awsConfig": {"awsRegion": "eu-west-1"}}), "c").is_empty());
    }
}
