//! `dynameta test`: runs OpenMetadata's data-quality test cases on DynamoDB tables.
//!
//! Thin orchestration. The TestSuite file is read by `config` (`test_suite.rs`); each
//! table's cases are prepared on the server (`sinks::openmetadata::dq`: checked against
//! its test definitions, created or updated there) or from the YAML alone
//! (`processors::dq::cases`); every case of a table is evaluated in one scan or export
//! read by the data-quality engine (`processors::dq`). Each table's results are
//! `testCaseResult` records handed to the workflow's sink through the one finish every
//! run shares ([`Finish`]: its failure policy, and a failed run never replaces a good
//! output): the REST sink posts them to their cases, the local catalog keeps them with
//! history, the file sink writes them as lines. `--part` streams each table's engine
//! state to its state file instead (`sinks::state::TestStateFile`), and `test merge`
//! replays the merged parts through the same finish. Exit code: 0 every case passed,
//! 1 a case failed, aborted or could not be tested, 2 the run could not run.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{Finish, Outcome, RunFlags, Settings, Summary};
use crate::config::{Command, ConnectionArguments, TestSuite};
use crate::processors::dq::cases::{self, Prepared};
pub use crate::processors::dq::cases::{CaseReport, Status};
use crate::processors::dq::read as dq_read;
use crate::processors::dq::state_file;
use crate::processors::dq::table::{part_state, Tested};
use crate::processors::dq::DqLimits;
use crate::processors::profiler::Part;
use crate::sinks::openmetadata::dq::{
    Definition, DefinitionError, DqClient, ServiceConnectionError,
};
use crate::sinks::openmetadata::{RestError, RestSinkConfig};
use crate::sinks::state::TestStateFile;
use crate::sinks::{Opening, Record};
use crate::source::ScanStats;

mod summary;
mod targets;

pub use summary::{TableReport, TestSummary};
use targets::{Route, Target};

/// Exit code when every case passed.
pub const EXIT_PASSED: u8 = 0;
/// Exit code when a case failed, aborted or could not be tested.
pub const EXIT_FAILED: u8 = 1;
/// Exit code when the run could not run (configuration, server, DynamoDB).
pub const EXIT_NOT_RUN: u8 = 2;

/// Said when a write to the sink failed: nothing more would be written, so the
/// remaining tables are not read.
const STOPPED: &str =
    "the sink refused a write (see the failure below): the remaining tables were not tested";

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
    /// A part's state file (`--state-out`) could not be written.
    #[error("--state-out: cannot write {0}")]
    StateOut(String),
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

impl From<DefinitionError> for TestError {
    fn from(e: DefinitionError) -> TestError {
        match e {
            DefinitionError::Server(e) => TestError::Server(e),
            DefinitionError::Case { case, problem } => TestError::Case { case, problem },
        }
    }
}

impl From<ServiceConnectionError> for TestError {
    fn from(e: ServiceConnectionError) -> TestError {
        match e {
            ServiceConnectionError::Server(e) => TestError::Server(e),
            ServiceConnectionError::Unusable(why) => TestError::ServiceConnection(why),
        }
    }
}

/// Runs the TestSuite workflow. `Err` is a run that could not run (exit 2).
pub async fn run(
    settings: &Settings,
    flags: &RunFlags,
    mode: Mode<'_>,
) -> Result<TestSummary, TestError> {
    let started = Instant::now();
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
            let connection = dq
                .connection_of_service(&settings.workflow.service_name)
                .await?;
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
    let opening = Opening::Existing {
        service_name: &workflow.service_name,
        command: Command::Test,
    };
    let (part, mut out) = match mode {
        Mode::Merge(files) => return merge(settings, files, summary, started).await,
        // Opened before any table is read: a bad output path stops the run here.
        Mode::Part(part, path) => (
            part,
            Output::Part(TestStateFile::open(path, part, workflow).map_err(TestError::Output)?),
        ),
        Mode::Whole => (
            Part::WHOLE,
            Output::sink(
                Finish::open(settings, opening, Command::Test, started).await?,
                server.is_some(),
            ),
        ),
    };
    // Definitions checked before anything is sent or read.
    let definitions = match &server {
        Some(dq) => match dq.check_definitions(&suite).await {
            Ok(definitions) => Some(definitions),
            Err(e) => {
                out.abandon("(test definitions)", &e.to_string());
                return Err(e.into());
            }
        },
        None => None,
    };
    let targets = match targets::targets(workflow, &suite, flags, &mut summary).await {
        Ok(targets) => targets,
        Err(why) => {
            out.abandon("(listing)", &why);
            return Err(TestError::Listing(why));
        }
    };
    if let Output::Part(file) = &mut out {
        summary.part = Some(part.to_string());
        file.begin(targets.iter().map(|t| t.fqn.clone()).collect());
    }
    let tables = Tables {
        options: &workflow.options,
        suite: &suite,
        server: server.as_ref(),
        definitions: definitions.as_ref(),
        part: matches!(mode, Mode::Part(..)).then_some(part),
        timeout: Duration::from_secs(
            workflow
                .options
                .test_timeout_seconds
                .unwrap_or(crate::config::DEFAULT_PROFILE_TIMEOUT_SECONDS),
        ),
    };
    for target in targets {
        let known = out.known_columns(&target.fqn);
        let tested = tables.test(target, known, &mut summary.warnings).await;
        if !out.table(tested, &mut summary).await {
            summary.warnings.push(STOPPED.to_string());
            break;
        }
    }
    out.finish(summary, settings, server.is_some()).await
}

/// `test merge`: the parts' states merged table by table (every file's header checked
/// first; memory: one table's state) and concluded, each table's results replayed as
/// [`Record::TestCaseResult`]s (or why it could not be tested) through the one finish
/// every replay shares ([`Finish`]), so its failure policy and "a failed run never
/// replaces a good output" are those of `profile merge` and `publish`. With a server,
/// the REST sink posts each result to the case its part prepared there.
async fn merge(
    settings: &Settings,
    files: &[PathBuf],
    mut summary: TestSummary,
    started: Instant,
) -> Result<TestSummary, TestError> {
    let workflow = &settings.workflow;
    // The sink's file is never one of the state files it merges (checked before
    // anything is opened or read, by the rules of every output, as `profile merge`
    // does).
    if let Some((key, out)) = settings.sink.as_deref().and_then(|s| s.output_file()) {
        let mut output = dynameta_fs::output::Output::new(key, out);
        for path in files {
            output = output.input("a state file being merged", path);
        }
        output
            .check()
            .map_err(|e| TestError::Output(crate::sinks::SinkError::from(e)))?;
    }
    // The states hold every case as it was prepared: nothing is read again.
    let mut merge = state_file::open(files, &workflow.service_name, DqLimits::default())
        .map_err(|e| TestError::State(e.0))?;
    let opening = Opening::Existing {
        service_name: &workflow.service_name,
        command: Command::Test,
    };
    let server = settings.sink.as_deref().map(|s| s.kind()) == Some("metadata-rest");
    let mut out = Output::sink(
        Finish::open(settings, opening, Command::Test, started).await?,
        server,
    );
    while let Some((table_fqn, combined)) = merge.next_table() {
        let tested = Tested::merged(table_fqn, combined, &mut summary.warnings);
        if !out.table(tested, &mut summary).await {
            summary.warnings.push(STOPPED.to_string());
            break;
        }
    }
    out.finish(summary, settings, server).await
}

/// Where a run's results go.
// One value per run: the size of the finish in the larger variant costs nothing.
#[allow(clippy::large_enum_variant)]
enum Output<'a> {
    /// The workflow's sink, through the one finish, with the run's counts; `server`:
    /// the sink is OpenMetadata's (only results of the cases it holds go there).
    Sink(Finish<'a>, Summary, bool),
    /// A part's state file.
    Part(TestStateFile),
}

impl<'a> Output<'a> {
    fn sink(finish: Finish<'a>, server: bool) -> Output<'a> {
        Output::Sink(finish, Summary::default(), server)
    }

    /// The columns the local catalog knows of a table (none elsewhere).
    fn known_columns(&self, table_fqn: &str) -> Vec<String> {
        match self {
            Output::Sink(finish, ..) => finish.known_columns(table_fqn),
            Output::Part(_) => Vec::new(),
        }
    }

    /// Gives up before any table (the run then stops with an error): nothing is
    /// replaced; the local catalog records the run as failed at `step` with `why`, and
    /// the sink's line about it is logged.
    fn abandon(self, step: &str, why: &str) {
        if let Output::Sink(finish, ..) = self {
            if let Some(line) = finish.abandon_because(step, why) {
                tracing::warn!("{line}");
            }
        }
    }

    /// One table tested: its results to the sink (or its state to the part's file),
    /// its report to the summary. Returns whether the sink is still good: after a
    /// failed write nothing more is written, so no further table is worth reading.
    async fn table(&mut self, tested: Tested, summary: &mut TestSummary) -> bool {
        let Tested {
            report,
            posts,
            state,
        } = tested;
        let good = match self {
            Output::Sink(finish, run, server) => {
                let records = match &report.error {
                    Some(e) => Err(e.clone()),
                    // OpenMetadata gets the results of the cases it holds (a not
                    // testable case was never sent there); the other sinks every case.
                    None => Ok(report
                        .cases
                        .iter()
                        .zip(posts)
                        .filter(|(_, post)| !*server || post.is_some())
                        .map(|(case, post)| Record::TestCaseResult {
                            table: report.table.clone(),
                            test_case: case.clone(),
                            post: post.map(Box::new),
                        })
                        .collect()),
                };
                run.tables_listed += 1;
                finish.table(run, report.table.clone(), records).await
            }
            Output::Part(file) => {
                if let Some(state) = state {
                    file.table(state);
                }
                true
            }
        };
        summary.tables.push(report);
        good
    }

    /// Ends the run. The sink's finish decides by the workflow's failure policy
    /// (`raiseOnError`, `successThreshold`) whether the output replaces the previous
    /// one and whether the run's tables count as tested; a result the server refused
    /// fails its table. A part's file is kept only when every table could be tested.
    async fn finish(
        self,
        mut summary: TestSummary,
        settings: &Settings,
        server: bool,
    ) -> Result<TestSummary, TestError> {
        let (finish, run) = match self {
            Output::Part(file) => {
                summary.destination = file.describe();
                let tested = summary.tables.iter().all(|t| t.error.is_none());
                file.finish(tested).map_err(TestError::StateOut)?;
                return Ok(summary);
            }
            Output::Sink(finish, run, _) => (finish, run),
        };
        let (run, outcome) = finish.finish(run, false).await;
        let tolerated = outcome == Outcome::Success;
        summary.warnings.extend(run.warnings);
        for f in &run.failures {
            if f.name.starts_with('(') {
                summary.warnings.push(format!("{}: {}", f.name, f.reason));
            } else if let Some(t) = summary
                .tables
                .iter_mut()
                .find(|t| t.table == f.name && t.error.is_none())
            {
                // The sink failed the table (the server refused a result).
                t.error = Some(f.reason.clone());
            }
        }
        let output = settings.sink.as_deref().and_then(|s| s.output_file());
        summary.destination = match (tolerated, output) {
            _ if server => {
                summary.results_posted = run.records_written;
                format!(
                    "{} result(s) posted to OpenMetadata.{}",
                    run.records_written,
                    if tolerated { "" } else { " The run failed." }
                )
            }
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
}

/// What every table of a run is tested with.
struct Tables<'a> {
    /// `connectionArguments` (scans, exports, the time limit).
    options: &'a ConnectionArguments,
    suite: &'a TestSuite,
    server: Option<&'a DqClient>,
    definitions: Option<&'a HashMap<String, Definition>>,
    /// `--part`: which part (its state is kept, nothing is concluded).
    part: Option<Part>,
    /// The per-table time limit (`connectionArguments.testTimeoutSeconds`).
    timeout: Duration,
}

impl Tables<'_> {
    /// Tests one table: its cases prepared, read within the time limit, and concluded
    /// (or, for a part, its state kept). Problems go to `warnings`; a table that could
    /// not be tested says why in its report.
    async fn test(&self, target: Target, known: Vec<String>, warnings: &mut Vec<String>) -> Tested {
        let mut tested = Tested::new(target.fqn.clone());
        if let Err(e) = self.read(&mut tested, target, known, warnings).await {
            tracing::warn!(table = %tested.report.table, "{e}");
            if self.part.is_some() {
                tested.state = Some(part_state(&tested.report.table, Prepared::default(), None));
                if let Some(s) = &mut tested.state {
                    s.error = Some(e.clone());
                }
            }
            tested.report.error = Some(e);
        }
        tested
    }

    async fn read(
        &self,
        tested: &mut Tested,
        target: Target,
        known: Vec<String>,
        warnings: &mut Vec<String>,
    ) -> Result<(), String> {
        let fqn = target.fqn;
        let connection = match target.route {
            Route::Read(connection) => connection,
            Route::Failed(why) => return Err(why),
            Route::NoPair(why) => {
                let prepared = Prepared::none_testable(cases::selected(self.suite), &why);
                return tested.read(self.part, prepared, None, &ScanStats::default());
            }
        };
        let prepared = match (self.server, self.definitions) {
            (Some(dq), Some(definitions)) => {
                dq.prepare(self.suite, definitions, &fqn, warnings).await?
            }
            _ => Prepared::of_yaml(cases::selected(self.suite), known),
        };
        if prepared.cases.is_empty() {
            return tested.read(self.part, prepared, None, &ScanStats::default());
        }
        // The per-table time limit covers the read (items are evaluated as they are
        // read), as `profile`'s `timeoutSeconds` does; a table out of time has its
        // cases Aborted with the reason, never concluded from what was read so far.
        let part = self.part.unwrap_or(Part::WHOLE);
        let read = dq_read::read(self.options, &connection, &target.name, &prepared, part);
        match tokio::time::timeout(self.timeout, read).await {
            Err(_) => {
                let reason = cases::timed_out(self.timeout);
                warnings.push(format!("{fqn}: {reason}"));
                tested.aborted(self.part.is_some(), prepared, &reason);
                Ok(())
            }
            Ok(read) => {
                let (state, stats, export) = read?;
                tested.report.export = export;
                tested.read(self.part, prepared, state, &stats)
            }
        }
    }
}
