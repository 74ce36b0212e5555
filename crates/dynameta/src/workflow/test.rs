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

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde_json::{json, Value};

use super::{list_and_select, ListingStop, RunFlags, Settings, Summary};
use crate::aws::{self, Connection};
use crate::config::{Command, TestSuite, Workflow, YamlTestCase};
use crate::processors::dq::plan as dq_plan;
use crate::processors::dq::{CaseOutcome, CaseSpec, CaseStatus, DqLimits, DqPlan, DqState};
use crate::processors::mapping::Scope;
use crate::processors::profiler::Part;
use crate::sinks::openmetadata::dq::{self as om_dq, Definition, DqClient};
use crate::sinks::openmetadata::{RestError, RestSinkConfig};
use crate::source::{self, Capabilities, ScanStats};

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
    /// The results file could not be written.
    #[error("sink.config.filename: cannot write {0}")]
    Write(String),
}

/// How one case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Status {
    /// The test passed.
    Success,
    /// The test failed.
    Failed,
    /// The test could not be evaluated (the reason is its result).
    Aborted,
    /// The case cannot be held by OpenMetadata (a nested attribute, a forbidden name):
    /// never sent, never run.
    NotTestable,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Success => "Success",
            Status::Failed => "Failed",
            Status::Aborted => "Aborted",
            Status::NotTestable => "Not testable",
        }
    }
}

/// One case's result, as the summary shows it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseReport {
    /// Test case name.
    pub name: String,
    /// Its test definition.
    pub definition: String,
    /// Its column (None for a table test).
    pub column: Option<String>,
    /// How it ended.
    pub status: Status,
    /// OpenMetadata's sentence about the result (or why it could not run).
    pub result: String,
    /// `testResultValue`: name → value.
    pub values: Vec<(String, String)>,
    /// Rows that passed, when asked for.
    pub passed_rows: Option<u64>,
    /// Rows that failed, when asked for.
    pub failed_rows: Option<u64>,
    /// Where the case came from: `yaml` or `openmetadata`.
    pub origin: String,
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
}

impl TestSummary {
    /// 0 every case passed; 1 a case failed, aborted or was not testable; 2 a table
    /// could not be tested at all; 3 (as every command that finds nothing to do) no
    /// case ran anywhere.
    pub fn exit_code(&self) -> u8 {
        if self.tables.iter().any(|t| t.error.is_some()) {
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

/// A case ready to run: what the engine needs, its FQN on the server (None without
/// one) and where it came from (`yaml` or `openmetadata`). Kept in part state files.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Planned {
    name: String,
    definition: String,
    column: Option<String>,
    parameters: Vec<(String, String)>,
    compute_passed_failed_row_count: bool,
    fqn: Option<String>,
    origin: String,
}

impl Planned {
    fn spec(&self) -> CaseSpec {
        CaseSpec {
            name: self.name.clone(),
            definition: self.definition.clone(),
            column: self.column.clone(),
            parameters: self.parameters.clone(),
            compute_passed_failed_row_count: self.compute_passed_failed_row_count,
        }
    }
}

/// One table's cases, ready to evaluate: the same in every part of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Prepared {
    cases: Vec<Planned>,
    /// The table's catalogued top-level columns (OpenMetadata's, or the local
    /// catalog's; empty when unknown).
    columns: Vec<String>,
    /// Cases reported as not testable (never sent, never run).
    untestable: Vec<CaseReport>,
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
    // `test merge`: the sink's file is never one of the state files it merges (checked
    // before anything is opened or read, by the rules of every output, as `profile
    // merge` does).
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
        let mut merge = parts::open(files, &workflow.service_name, DqLimits::default())
            .inspect_err(|e| destination.fail_ref(&e.to_string()))?;
        summary.destination = destination.describe(server.is_some(), &section.kind);
        while let Some((table_fqn, combined)) = merge.next_table() {
            let mut report = TableReport {
                table: table_fqn,
                cases: Vec::new(),
                items: 0,
                consumed_read_units: 0.0,
                error: None,
                pending: 0,
                export: None,
            };
            match combined {
                Err(e) => report.error = Some(e),
                Ok(combined) => {
                    report.items = combined.items;
                    report.consumed_read_units = combined.consumed_read_units;
                    report.error = combined.error.clone();
                    let concluded = match (&report.error, &combined.aborted) {
                        (Some(_), _) => Ok(()),
                        (None, Some(reason)) => {
                            summary.warnings.push(format!("{}: {reason}", report.table));
                            abort_all(
                                server.as_ref(),
                                &combined.prepared,
                                reason,
                                &mut report,
                                &mut summary,
                            )
                            .await
                        }
                        (None, None) => {
                            conclude(
                                server.as_ref(),
                                &combined.prepared,
                                combined.state,
                                &mut report,
                                &mut summary,
                            )
                            .await
                        }
                    };
                    if let Err(e) = concluded {
                        report.error = Some(e);
                    }
                }
            }
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
    let connection = aws::connect(workflow.aws(), &workflow.options).await;
    let scope = Scope::of(workflow);
    let tables = match &suite.table {
        Some(t) => vec![t.clone()],
        None => {
            let mut listing = Summary::default();
            match list_and_select(
                &connection,
                &workflow.filters,
                &scope,
                &mut listing,
                flags,
                Command::Test,
            )
            .await
            {
                Ok((_, selected)) => selected,
                Err(ListingStop::Empty(why)) => {
                    summary.warnings.push(why);
                    Vec::new()
                }
                Err(ListingStop::Credentials(why) | ListingStop::Failed(why)) => {
                    destination.fail(&why);
                    return Err(TestError::Listing(why));
                }
            }
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
    destination.part_begin(tables.iter().map(|t| scope.table_fqn(t)).collect());
    let timeout = std::time::Duration::from_secs(
        workflow
            .options
            .test_timeout_seconds
            .unwrap_or(crate::config::DEFAULT_PROFILE_TIMEOUT_SECONDS),
    );
    for table in tables {
        let table_fqn = scope.table_fqn(&table);
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
                    read(workflow, &connection, &table, &prepared, part),
                )
                .await
                .map_err(|_| timed_out(timeout))
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
                            abort_all(
                                server.as_ref(),
                                &prepared,
                                &reason,
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
                _ => conclude(server.as_ref(), &prepared, state, &mut report, &mut summary).await,
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
    let mut set_aside = Vec::new();
    // Without a server: the columns the local catalog knows (else none).
    let mut columns: Vec<String> = known_columns;
    let mut planned: Vec<Planned> = Vec::new();
    let selected = |name: &str| {
        suite
            .only
            .as_ref()
            .is_none_or(|o| o.iter().any(|n| n == name))
    };
    match server {
        Some(dq) => {
            let entity = dq
                .table(table_fqn)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("table {table_fqn} is not in OpenMetadata: run `dynameta ingest` first, so that its columns exist"))?;
            columns = entity
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
            let mut cases = existing.clone();
            for case in suite.cases.iter().filter(|c| selected(&c.name)) {
                if let Some(col) = &case.column_name {
                    if let Some(why) = dq_plan::untestable(col, &columns) {
                        set_aside.push(not_testable(case, why));
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
                    Some(i) => {
                        let stored = dq
                            .put_case(&body)
                            .await
                            .map_err(|e| format!("test case `{}`: {e}", case.name))?;
                        cases[i] = with_definition(stored, &case.test_definition_name);
                    }
                    None => {
                        let stored = dq
                            .put_case(&body)
                            .await
                            .map_err(|e| format!("test case `{}`: {e}", case.name))?;
                        cases.push(with_definition(stored, &case.test_definition_name));
                    }
                }
            }
            let yaml_names: Vec<&str> = suite.cases.iter().map(|c| c.name.as_str()).collect();
            for c in cases {
                let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                let name = text("name");
                if !selected(&name) {
                    continue;
                }
                let definition = c
                    .pointer("/testDefinition/name")
                    .or_else(|| c.pointer("/testDefinition/fullyQualifiedName"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let parameters = c
                    .get("parameterValues")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        let t =
                            |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                        (t("name"), t("value"))
                    })
                    .collect();
                planned.push(Planned {
                    name: name.clone(),
                    definition,
                    column: dq_plan::column_of_link(&text("entityLink"), table_fqn),
                    parameters,
                    compute_passed_failed_row_count: c
                        .get("computePassedFailedRowCount")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    fqn: Some(text("fullyQualifiedName")),
                    origin: if yaml_names.contains(&name.as_str()) {
                        "yaml"
                    } else {
                        "openmetadata"
                    }
                    .to_string(),
                });
            }
        }
        None => {
            for case in suite.cases.iter().filter(|c| selected(&c.name)) {
                if let Some(why) = case
                    .column_name
                    .as_deref()
                    .and_then(|col| dq_plan::untestable(col, &columns))
                {
                    set_aside.push(not_testable(case, why));
                    continue;
                }
                planned.push(planned_of(case));
            }
        }
    }
    if server.is_some() {
        // The server's order, whatever was created when: every part of a run prepares
        // the same list.
        planned.sort_by(|a, b| {
            (a.column.as_deref(), a.name.as_str()).cmp(&(b.column.as_deref(), b.name.as_str()))
        });
    }
    Ok(Prepared {
        cases: planned,
        columns,
        untestable: set_aside,
    })
}

/// Evaluates every prepared case of `table` over part `part` of one full scan (the
/// whole table for [`Part::WHOLE`]), with the profiler's read budget, segments and
/// workers: the engine's state of what was read (`None` when the part reads nothing).
async fn read(
    workflow: &Workflow,
    connection: &Connection,
    table: &str,
    prepared: &Prepared,
    part: Part,
) -> Result<(Option<DqState>, ScanStats, Option<String>), String> {
    let capabilities = Capabilities::default();
    let description = super::describe_for_scan(connection, table, &capabilities, Command::Test)
        .await
        .map_err(|e| e.to_string())?;
    let options = &workflow.options;
    let plan = Arc::new(plan_of(prepared));
    let new_state: source::NewState<Fold> = {
        let plan = plan.clone();
        let limits = DqLimits::default();
        Arc::new(move || Fold {
            state: plan.state(&limits),
            error: None,
        })
    };
    if let Some(export) = options.exports.get(table) {
        return read_export(workflow, connection, table, export, new_state, part).await;
    }
    let whole = crate::processors::profiler::plan::plan(
        crate::processors::profiler::Sample::Full,
        description.item_count,
        options.scan_segments,
        options.scan_workers,
        options.sample_seed,
    );
    let scan_plan = part.of(&whole);
    if scan_plan.segments.is_empty() {
        // More parts than segments: this part reads nothing.
        return Ok((None, ScanStats::default(), None));
    }
    let budget = source::read_budget(
        options.max_read_capacity_percent,
        options.max_read_units_per_second,
        &description,
    )
    .map(|rate| Arc::new(source::TokenBucket::new(rate)));
    let (folds, stats) = source::scan_with(
        &connection.dynamodb,
        table,
        &scan_plan,
        budget,
        new_state,
        observe,
        Arc::new(|_: u64, _: f64| {}),
        &connection.throttle_retry,
    )
    .await
    .map_err(|e| e.for_command(Command::Test).to_string())?;
    let mut merged: Option<DqState> = None;
    merge_folds(&mut merged, folds)?;
    Ok((merged, stats, None))
}

/// Adds the fold states of a read to `merged`; the first engine error stops it.
fn merge_folds(merged: &mut Option<DqState>, folds: Vec<Fold>) -> Result<(), String> {
    for fold in folds {
        if let Some(e) = fold.error {
            return Err(format!("the data-quality engine stopped: {e}"));
        }
        match merged {
            None => *merged = Some(fold.state),
            Some(m) => m.merge(fold.state).map_err(|e| e.to_string())?,
        }
    }
    Ok(())
}

/// Reads part `part` of table `table` from its DynamoDB export to S3 (as `dynameta
/// profile` does: `connectionArguments.exports`, every data file for a full read,
/// dealt to parts as the profiler deals them), through the export reader's fold seam:
/// no read capacity is used. Files are read `exportWorkers` at a time and their states
/// merged after each group, so at most that many states (each within the engine's
/// memory budget) exist at once, however many files the export has.
async fn read_export(
    workflow: &Workflow,
    connection: &Connection,
    table: &str,
    configured: &crate::config::Export,
    new_state: source::NewState<Fold>,
    part: Part,
) -> Result<(Option<DqState>, ScanStats, Option<String>), String> {
    let started = std::time::Instant::now();
    let options = &workflow.options;
    let text = configured.text();
    let reference = configured
        .reference()
        .map_err(|e| format!("connectionArguments.exports.{table}: {e}"))?;
    let export = source::export::open(connection, table, reference, text)
        .await
        .map_err(|e| e.to_string())?;
    let whole = source::ScanPlan {
        total_segments: export.files.len() as u32,
        segments: crate::processors::profiler::plan::choose_files(
            crate::processors::profiler::Sample::Full,
            &export.files,
            options.sample_seed,
        ),
        row_limit: None,
        workers: options.export_workers.max(1) as usize,
    };
    let plan = part.of(&whole);
    let mut merged: Option<DqState> = None;
    let mut stats = ScanStats::default();
    for group in plan.segments.chunks(plan.workers.max(1)) {
        let (folds, read) = source::export::read_with(
            connection,
            &export,
            group,
            plan.workers,
            new_state.clone(),
            observe,
        )
        .await
        .map_err(|e| e.to_string())?;
        stats.items += read.items;
        stats.requests += read.files;
        stats.segments_completed += read.files as u32;
        merge_folds(&mut merged, folds)?;
    }
    stats.elapsed = started.elapsed();
    Ok((merged, stats, Some(text.to_string())))
}

/// The engine's plan of the prepared cases.
fn plan_of(prepared: &Prepared) -> DqPlan {
    DqPlan::new(
        prepared.cases.iter().map(Planned::spec).collect(),
        prepared.columns.clone(),
    )
}

/// Finishes the evaluation (`state` of every item read; `None`: no item), posts each
/// result to the server when there is one, and reports every case.
async fn conclude(
    server: Option<&DqClient>,
    prepared: &Prepared,
    state: Option<DqState>,
    report: &mut TableReport,
    summary: &mut TestSummary,
) -> Result<(), String> {
    report.cases.extend(prepared.untestable.iter().cloned());
    if prepared.cases.is_empty() {
        return Ok(());
    }
    let plan = plan_of(prepared);
    let state = state.unwrap_or_else(|| plan.state(&DqLimits::default()));
    let outcomes = state.finish(&plan).map_err(|e| e.to_string())?;
    report_outcomes(server, prepared, outcomes, report, summary).await
}

/// Why a table's cases were aborted when it ran out of time.
fn timed_out(limit: std::time::Duration) -> String {
    format!(
        "the table took longer than the per-table time limit of {}s (connectionArguments.testTimeoutSeconds) to read: its cases were aborted, none was concluded from a partial read; raise the limit, or test from an export (connectionArguments.exports) or in parts (--part I/N)",
        limit.as_secs()
    )
}

/// Every prepared case of a table Aborted with `reason` (the table ran out of time):
/// posted and reported as any aborted case.
async fn abort_all(
    server: Option<&DqClient>,
    prepared: &Prepared,
    reason: &str,
    report: &mut TableReport,
    summary: &mut TestSummary,
) -> Result<(), String> {
    report.cases.extend(prepared.untestable.iter().cloned());
    let outcomes = prepared
        .cases
        .iter()
        .map(|p| CaseOutcome {
            name: p.name.clone(),
            ..CaseOutcome::aborted(reason)
        })
        .collect();
    report_outcomes(server, prepared, outcomes, report, summary).await
}

/// Posts each case's outcome to the server when there is one, and reports it.
async fn report_outcomes(
    server: Option<&DqClient>,
    prepared: &Prepared,
    outcomes: Vec<CaseOutcome>,
    report: &mut TableReport,
    summary: &mut TestSummary,
) -> Result<(), String> {
    let planned = &prepared.cases;
    let timestamp = now_ms();
    for (p, outcome) in planned.iter().zip(outcomes) {
        let status = match outcome.status {
            CaseStatus::Success => Status::Success,
            CaseStatus::Failed => Status::Failed,
            CaseStatus::Aborted => Status::Aborted,
        };
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
        report.cases.push(CaseReport {
            name: p.name.clone(),
            definition: p.definition.clone(),
            column: p.column.clone(),
            status,
            result: outcome.result.clone(),
            values: outcome.values.clone(),
            // Only where the case asks for them, as in what is posted.
            passed_rows: outcome
                .passed_rows
                .filter(|_| p.compute_passed_failed_row_count),
            failed_rows: outcome
                .failed_rows
                .filter(|_| p.compute_passed_failed_row_count),
            origin: p.origin.clone(),
        });
    }
    Ok(())
}

fn not_testable(case: &YamlTestCase, why: String) -> CaseReport {
    CaseReport {
        name: case.name.clone(),
        definition: case.test_definition_name.clone(),
        column: case.column_name.clone(),
        status: Status::NotTestable,
        result: why,
        values: Vec::new(),
        passed_rows: None,
        failed_rows: None,
        origin: "yaml".to_string(),
    }
}

fn planned_of(case: &YamlTestCase) -> Planned {
    Planned {
        name: case.name.clone(),
        definition: case.test_definition_name.clone(),
        column: case.column_name.clone(),
        parameters: case
            .parameter_values
            .iter()
            .flatten()
            .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
            .collect(),
        compute_passed_failed_row_count: case.compute_passed_failed_row_count.unwrap_or(false),
        fqn: None,
        origin: "yaml".to_string(),
    }
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

/// One fold state of the scan: the engine's state and the first error it met (an
/// error stops folding; the scan itself goes on, as `observe` cannot stop it).
struct Fold {
    state: DqState,
    error: Option<String>,
}

fn observe(fold: &mut Fold, item: &HashMap<String, AttributeValue>) {
    if fold.error.is_none() {
        if let Err(e) = fold.state.observe(item) {
            fold.error = Some(e.to_string());
        }
    }
}

mod local;
mod parts;

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
