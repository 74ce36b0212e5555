//! Command-line interface, mirroring OpenMetadata's `metadata` CLI.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// `dynameta --version`: the version and the OpenMetadata server versions the REST sink
/// publishes to (checked against the sink's own version check in a test).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\nOpenMetadata servers: 1.9 and 2.x (REST sink; payloads follow OpenMetadata 2.0.7's JSON Schemas)"
);

/// DynamoDB metadata connector for OpenMetadata: tables, inferred schemas, profiles
/// and PII tags, configured with OpenMetadata's own workflow YAML.
#[derive(Debug, Parser)]
#[command(name = "dynameta", version = VERSION, about, propagate_version = true)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the process's arguments. A usage error gets dynameta's hints where
    /// newcomers stumble (see [`with_hints`]) and exits as clap does (code 2).
    pub fn parse_with_hints() -> Cli {
        let args: Vec<OsString> = std::env::args_os().collect();
        match Cli::try_parse_from(&args) {
            Ok(cli) => cli,
            Err(e) => with_hints(e, &args).exit(),
        }
    }
}

/// The commands that read a workflow file, given with `-c FILE`.
const WORKFLOW_COMMANDS: [&str; 9] = [
    "ingest",
    "lineage",
    "usage",
    "test",
    "test-connection",
    "profile",
    "classify",
    "publish",
    "export",
];

/// Adds a tip to clap's usage error `err` for `args` (the whole command line, program
/// name first) where one helps: a workflow file given without `-c`
/// (`dynameta ingest local.yaml`) gets the corrected command line.
pub fn with_hints(mut err: clap::Error, args: &[OsString]) -> clap::Error {
    let tip = config_file_hint(&err, args).or_else(|| options_first_hint(&err, args));
    if let Some(tip) = tip {
        err.insert(
            ContextKind::Suggested,
            ContextValue::StyledStrs(vec![tip.into()]),
        );
    }
    err
}

/// `dynameta -c local.yaml ingest`: a command's options given before the command, where
/// clap only knows `--help` and `--version`.
fn options_first_hint(err: &clap::Error, args: &[OsString]) -> Option<String> {
    if err.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let words: Vec<&str> = args
        .iter()
        .skip(1)
        .map(|a| a.to_str())
        .collect::<Option<_>>()?;
    let command = words.iter().position(|w| WORKFLOW_COMMANDS.contains(w))?;
    let before = &words[..command];
    if !before.first().is_some_and(|w| w.starts_with('-')) {
        return None;
    }
    let mut fixed = vec!["dynameta".to_string(), words[command].to_string()];
    for w in before.iter().chain(&words[command + 1..]) {
        fixed.push(shell_word(w)?);
    }
    Some(format!(
        "a command's options go after it: did you mean `{}`?",
        fixed.join(" ")
    ))
}

/// `dynameta ingest local.yaml`: the workflow file given as a positional argument.
/// Hand-written: clap knows the unexpected argument, not that it is a workflow file
/// meant for `-c`.
fn config_file_hint(err: &clap::Error, args: &[OsString]) -> Option<String> {
    let unexpected = match (err.kind(), err.get(ContextKind::InvalidArg)) {
        (ErrorKind::UnknownArgument, Some(ContextValue::String(arg))) => Some(arg.as_str()),
        (ErrorKind::InvalidSubcommand, _) => match err.get(ContextKind::InvalidSubcommand) {
            Some(ContextValue::String(arg)) => Some(arg.as_str()),
            _ => None,
        },
        (ErrorKind::MissingRequiredArgument, _) => None,
        _ => return None,
    };
    let words: Vec<&str> = args
        .iter()
        .skip(1)
        .map(|a| a.to_str())
        .collect::<Option<_>>()?;
    let command = words.iter().position(|w| WORKFLOW_COMMANDS.contains(w))?;
    let gives_config = |w: &&str| {
        *w == "--config"
            || w.starts_with("--config=")
            || (w.starts_with('-') && !w.starts_with("--") && w.contains('c'))
    };
    if words.iter().any(gives_config) {
        return None;
    }
    let looks_like_workflow = |w: &str| {
        let lower = w.to_ascii_lowercase();
        lower.ends_with(".yaml") || lower.ends_with(".yml")
    };
    let file = words.iter().enumerate().skip(command + 1).find(|(_, w)| {
        !w.starts_with('-')
            && match unexpected {
                // clap names the argument it did not expect.
                Some(arg) => *w == &arg && (looks_like_workflow(w) || Path::new(w).is_file()),
                // `profile merge local.yaml part-1.json`: the workflow among the states.
                None => looks_like_workflow(w),
            }
    })?;
    let mut fixed: Vec<String> = vec!["dynameta".to_string()];
    for (i, w) in words.iter().enumerate() {
        if i == file.0 {
            fixed.push("-c".to_string());
        }
        fixed.push(shell_word(w)?);
    }
    Some(format!(
        "the workflow file is given with -c: did you mean `{}`?",
        fixed.join(" ")
    ))
}

/// `w` as a shell word: as it is when it is plain, else single-quoted; `None` for a
/// word with control characters (never echoed to a terminal).
fn shell_word(w: &str) -> Option<String> {
    if w.chars().any(char::is_control) {
        return None;
    }
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_alphanumeric() || "_-./:=@%+,".contains(c));
    Some(if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    })
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest metadata: list tables, describe them, infer their columns, write to the sink.
    #[command(
        after_help = "Example:\n  dynameta ingest -c examples/local.yaml     # into the local catalog dynameta.db\n\nExit codes: 0 success, 1 the run had failures, 2 bad usage or config, 3 no table found or selected (see --allow-empty)."
    )]
    Ingest(IngestArgs),
    /// Profile tables (sourceConfig.config.type: Profiler).
    #[command(
        after_help = "Example:\n  dynameta profile -c examples/profiler.yaml\n  dynameta profile -c examples/profiler.yaml --part 2/8 --state-out part-2.json\n  dynameta profile merge -c examples/profiler.yaml part-*.json\n\nExit codes: 0 success, 1 the run had failures, 2 bad usage or config, 3 no table found or selected (see --allow-empty)."
    )]
    Profile(ProfileArgs),
    /// Classify PII in columns (sourceConfig.config.type: AutoClassification).
    #[command(
        after_help = "Example:\n  dynameta classify -c examples/classifier.yaml\n  dynameta classify -c examples/classifier.yaml --explain customers\n\nExit codes: 0 success, 1 the run had failures, 2 bad usage or config, 3 no table found or selected (see --allow-empty)."
    )]
    Classify(ClassifyArgs),
    /// Publish a file sink's output to the workflow's sink (scan in one place, publish from another).
    #[command(
        after_help = "Example:\n  dynameta publish --from out.jsonl -c examples/openmetadata-rest.yaml\n\nThe workflow's sink may be any: metadata-rest, local, file or console.\nExit codes: 0 success, 1 some tables failed, 2 bad usage, config or server setup.",
        mut_arg("quiet", |a| a.help(QUIET_WITHOUT_BAR))
    )]
    Publish(PublishArgs),
    /// Start a DynamoDB export to S3 of one table, for `profile` to read
    /// (connectionArguments.exports). The one command that is not read-only.
    #[command(
        after_help = "Example:\n  dynameta export -c examples/profiler.yaml --table orders --s3-bucket my-exports --wait\n\nNeeds dynamodb:ExportTableToPointInTime (and DescribeExport with --wait), S3 write access to the bucket, and point-in-time recovery on the table. Billed per GB exported.\nExit codes: 0 started (with --wait: completed), 1 the export could not start or failed, 2 bad usage or config.",
        mut_arg("quiet", |a| a.help(QUIET_WITHOUT_BAR))
    )]
    Export(ExportArgs),
    /// Run data-quality tests: OpenMetadata's TestSuite workflow (source.type: TestSuite).
    #[command(
        after_help = "Example:\n  dynameta test -c examples/testsuite.yaml\n  dynameta test -c examples/testsuite.yaml --part 2/4 --state-out part-2.jsonl\n  dynameta test merge -c examples/testsuite.yaml part-*.jsonl\n\nCases come from processor.config.testCases and, with a metadata-rest sink, from OpenMetadata (all cases of the table). Every case of a table is evaluated in one pass over its items: a scan, or its export to S3 when connectionArguments.exports names one.\nExit codes: 0 every test passed, 1 a test failed, aborted or was not testable, 2 the run could not run (bad usage or config, server or DynamoDB errors), 3 nothing was tested."
    )]
    Test(TestArgs),
    /// Lineage from each table to where its data goes: S3 exports, stream consumers
    /// (Lambda, EventBridge Pipes), Kinesis streaming destinations
    /// (sourceConfig.config.type: DatabaseLineage).
    #[command(
        after_help = "Example:\n  dynameta lineage -c examples/lineage.yaml\n\nWith `metadata-rest`, edges go only to entities OpenMetadata already has (containers from its S3 connector, topics from its Kinesis connector); pipelines for stream consumers are created. dynameta's edges that no longer hold are removed; edges others made are left alone. With any other sink (local catalog, file, console) each table's edges are written as AWS names them, with its global table replicas. Read-only against AWS.\nExit codes: 0 success (missing far ends are listed), 1 a call failed, 2 bad usage, config or server setup, 3 no table found or selected."
    )]
    Lineage(RunArgs),
    /// Daily request counts of each table from CloudWatch, as OpenMetadata usage
    /// (sourceConfig.config.type: DatabaseUsage; queryLogDuration = days).
    #[command(
        after_help = "Example:\n  dynameta usage -c examples/usage.yaml\n\nCounts are CloudWatch's SuccessfulRequestLatency SampleCount per table and day, summed over operations: requests (dynameta's own scans included), not queries or users. With `metadata-rest` they go to OpenMetadata; with any other sink (local catalog, file, console) as records (the catalog keeps each day's latest count). Read-only against AWS.\nExit codes: 0 success, 1 a call failed, 2 bad usage, config or server setup, 3 no table found or selected."
    )]
    Usage(RunArgs),
    /// Check credentials, endpoint and IAM permissions step by step.
    #[command(
        after_help = "Example:\n  dynameta test-connection -c examples/local.yaml\n\nExit codes: 0 every mandatory step passed, 1 a step failed, 2 bad usage or config.",
        mut_arg("quiet", |a| a.help(QUIET_WITHOUT_BAR))
    )]
    TestConnection(RunArgs),
    /// Write the HTML report of a local catalog (one self-contained file).
    #[command(
        after_help = "Example:\n  dynameta report --catalog dynameta.db --out report.html\n\nExit codes: 0 written, 1 the report could not be written, 2 no usable catalog."
    )]
    Report(ReportArgs),
    /// What changed between the latest two runs in a local catalog.
    #[command(
        after_help = "Example:\n  dynameta diff --catalog dynameta.db\n  dynameta diff --catalog dynameta.db --json\n\nExit codes: 0 nothing changed, 1 something changed (gate a pipeline on it), 2 no usable catalog."
    )]
    Diff(DiffArgs),
    /// One table's columns, keys and PII tags, from a local catalog or a JSON Lines file.
    #[command(
        after_help = "Example:\n  dynameta show --catalog dynameta.db orders\n  dynameta show --from out.jsonl orders\n\nExit codes: 0 shown, 2 no such table or no usable input."
    )]
    Show(ShowArgs),
    /// Maintain a local catalog (`catalog prune --keep-runs N`).
    #[command(subcommand)]
    Catalog(CatalogAction),
}

/// `dynameta catalog ...`.
#[derive(Debug, Subcommand)]
pub enum CatalogAction {
    /// Drop old runs from a local catalog and compact it; what report, diff and show
    /// need of the current state is always kept.
    #[command(
        after_help = "Example:\n  dynameta catalog prune --catalog dynameta.db --keep-runs 90\n\nKept whatever their age: each service's latest two succeeded ingest and classify runs, each table's latest profile, classification and sample, the run each schema version began with, and runs still marked running.\nExit codes: 0 pruned, 1 the catalog could not be written, 2 bad usage or no usable catalog."
    )]
    Prune(PruneArgs),
}

/// Options of `catalog prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// The local catalog (sink `local`).
    #[arg(long, value_name = "FILE", default_value = "dynameta.db")]
    pub catalog: PathBuf,
    /// How many of the latest runs to keep (at least 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep_runs: u32,
}

/// Options of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The local catalog (sink `local`).
    #[arg(long, value_name = "FILE", default_value = "dynameta.db")]
    pub catalog: PathBuf,
    /// Where to write the HTML file (replaced only once it is complete).
    #[arg(long, value_name = "FILE", default_value = "report.html")]
    pub out: PathBuf,
}

/// Options of `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The local catalog (sink `local`).
    #[arg(long, value_name = "FILE", default_value = "dynameta.db")]
    pub catalog: PathBuf,
    /// Print the changes as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Smallest change of an attribute's presence that counts, in percentage points.
    #[arg(long, value_name = "POINTS", default_value_t = 20.0, value_parser = presence_points)]
    pub presence_threshold: f64,
}

fn presence_points(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{text}` is not a number of percentage points from 0 to 100"
        )),
    }
}

/// Options of `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The table: its DynamoDB name or fully qualified name.
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// The local catalog (sink `local`).
    #[arg(long, value_name = "FILE", conflicts_with = "from")]
    pub catalog: Option<PathBuf>,
    /// A JSON Lines file an ingest (or classify) run wrote with the file sink.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
}

/// `--quiet` of the commands that show no progress bar (`publish`, `export`,
/// `test-connection`, `profile merge`): `RunArgs`'s help would offer a bar to hide.
const QUIET_WITHOUT_BAR: &str =
    "Logs only for warnings and errors (this command shows no progress bar)";

/// Options of every command that runs a workflow. Flags that apply only to some
/// commands (`--allow-empty`, `--allow-mass-delete`) are on those commands, so each
/// command's `--help` lists only what it honours.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Workflow YAML (OpenMetadata's format).
    #[arg(short, long, value_name = "FILE")]
    pub config: PathBuf,
    /// No progress bar, and logs only for warnings and errors.
    #[arg(short, long)]
    pub quiet: bool,
    /// Log and summary format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl RunArgs {
    /// The flags of a run that takes neither `--allow-empty` nor `--allow-mass-delete`.
    pub fn flags(&self) -> crate::workflow::RunFlags {
        crate::workflow::RunFlags {
            quiet: self.quiet,
            allow_empty: false,
            allow_mass_delete: false,
        }
    }
}

/// Options of `ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Workflow options (config, quiet, log format).
    #[command(flatten)]
    pub run: RunArgs,
    /// A run that finds or selects no table succeeds (exit 0) and writes its empty
    /// output. Without it such a run exits 3, writes nothing and keeps the previous
    /// output. Either way no table is marked deleted because DynamoDB listed none.
    #[arg(long)]
    pub allow_empty: bool,
    /// Let markDeletedTables soft-delete more than half of the schema's tables in
    /// OpenMetadata in one run (refused by default: a wrong region, account or filter
    /// looks exactly like that).
    #[arg(long)]
    pub allow_mass_delete: bool,
}

impl IngestArgs {
    /// The flags of the run.
    pub fn flags(&self) -> crate::workflow::RunFlags {
        crate::workflow::RunFlags {
            allow_empty: self.allow_empty,
            allow_mass_delete: self.allow_mass_delete,
            ..self.run.flags()
        }
    }
}

/// Options of `publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// JSON Lines file written by `dynameta ingest` with the file sink.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Workflow options (config, quiet, log format).
    #[command(flatten)]
    pub run: RunArgs,
    /// Let markDeletedTables soft-delete more than half of the schema's tables in
    /// OpenMetadata in one run (refused by default: a wrong region, account or filter
    /// looks exactly like that).
    #[arg(long)]
    pub allow_mass_delete: bool,
}

impl PublishArgs {
    /// The flags of the run.
    pub fn flags(&self) -> crate::workflow::RunFlags {
        crate::workflow::RunFlags {
            allow_mass_delete: self.allow_mass_delete,
            ..self.run.flags()
        }
    }
}

/// Options of `profile`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ProfileArgs {
    /// `merge`: publish the merged parts.
    #[command(subcommand)]
    pub action: Option<ProfileAction>,
    /// Profile only part I of N of every selected table (its share of the planned
    /// scan segments) and write the statistics to --state-out instead of the sink;
    /// `dynameta profile merge` publishes all N parts as one profile.
    #[arg(long, value_name = "I/N", requires = "state_out", value_parser = clap::value_parser!(crate::processors::profiler::Part))]
    pub part: Option<crate::processors::profiler::Part>,
    /// Where a partial profile writes its state (docs/profile-state.md); written only
    /// when the run succeeds. Without --part, the whole table is one part (1/1).
    #[arg(long, value_name = "FILE")]
    pub state_out: Option<PathBuf>,
    /// Workflow options (config, quiet, log format); absent only with `merge`.
    #[command(flatten)]
    pub run: Option<RunArgs>,
    /// A run that finds or selects no table succeeds (exit 0) and writes its empty
    /// output. Without it such a run exits 3, writes nothing and keeps the previous
    /// output.
    #[arg(long)]
    pub allow_empty: bool,
}

/// Subcommands of `profile`.
#[derive(Debug, Subcommand)]
pub enum ProfileAction {
    /// Merge the state files of all N parts of a `--part I/N` run and publish the
    /// profiles to the workflow's sink, as one run would have.
    #[command(
        after_help = "Example:\n  dynameta profile merge -c examples/profiler.yaml part-1.json part-2.json part-3.json\n\nExit codes: 0 success, 1 some tables failed, 2 bad usage or config, or the files are not all the parts of one run.",
        mut_arg("quiet", |a| a.help(QUIET_WITHOUT_BAR))
    )]
    Merge(MergeArgs),
}

/// Options of `profile merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The state files of every part (`--state-out` of each `--part I/N` run).
    #[arg(required = true, value_name = "FILE")]
    pub states: Vec<PathBuf>,
    /// Workflow options (config, quiet, log format).
    #[command(flatten)]
    pub run: RunArgs,
}

/// Options of `test`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct TestArgs {
    /// `merge`: conclude the merged parts.
    #[command(subcommand)]
    pub action: Option<TestAction>,
    /// Test only part I of N of every table (its share of the scan segments) and write
    /// the engine's state to --state-out instead of posting results; `dynameta test
    /// merge` concludes all N parts as one run.
    #[arg(long, value_name = "I/N", requires = "state_out", value_parser = clap::value_parser!(crate::workflow::profile::Part))]
    pub part: Option<crate::workflow::profile::Part>,
    /// Where a partial test run writes its state (owner-only; it holds table values);
    /// written only when every table could be read. Without --part, the whole table is
    /// one part (1/1).
    #[arg(long, value_name = "FILE")]
    pub state_out: Option<PathBuf>,
    /// Workflow options (config, quiet, log format); absent only with `merge`.
    #[command(flatten)]
    pub run: Option<RunArgs>,
}

/// Subcommands of `test`.
#[derive(Debug, Subcommand)]
pub enum TestAction {
    /// Merge the state files of all N parts of a `test --part I/N` run and post the
    /// results (or store them), as one run would have.
    #[command(
        after_help = "Example:\n  dynameta test merge -c examples/testsuite.yaml part-1.jsonl part-2.jsonl\n\nExit codes: 0 every test passed, 1 a test failed, aborted or was not testable, 2 bad usage or config, or the files are not all the parts of one run."
    )]
    Merge(MergeArgs),
}

/// Options of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The table to export.
    #[arg(long, value_name = "TABLE")]
    pub table: String,
    /// The S3 bucket to write the export to.
    #[arg(long, value_name = "BUCKET")]
    pub s3_bucket: String,
    /// Key prefix in the bucket (the export goes to PREFIX/AWSDynamoDB/<exportId>/).
    #[arg(long, value_name = "PREFIX", default_value = "dynameta-exports")]
    pub s3_prefix: String,
    /// Wait until the export has completed (or failed).
    #[arg(long)]
    pub wait: bool,
    /// Workflow options (config, quiet, log format).
    #[command(flatten)]
    pub run: RunArgs,
}

/// Options of `classify`.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Print, for this one table, every recognizer's score per column, masked
    /// examples and why each column was or was not tagged; write nothing.
    #[arg(long, value_name = "TABLE")]
    pub explain: Option<String>,
    /// Workflow options (config, quiet, log format).
    #[command(flatten)]
    pub run: RunArgs,
    /// A run that finds or selects no table succeeds (exit 0) and writes its empty
    /// output. Without it such a run exits 3, writes nothing and keeps the previous
    /// output.
    #[arg(long, conflicts_with = "explain")]
    pub allow_empty: bool,
}

impl ClassifyArgs {
    /// The flags of the run.
    pub fn flags(&self) -> crate::workflow::RunFlags {
        crate::workflow::RunFlags {
            allow_empty: self.allow_empty,
            ..self.run.flags()
        }
    }
}

/// How logs and the summary are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// For people.
    Text,
    /// One JSON object per line, for machines.
    Json,
}

#[cfg(test)]
mod tests {
    use super::VERSION;
    use crate::sinks::openmetadata::ServerVersion;

    /// `--version` names the server versions the REST sink's own check accepts.
    #[test]
    fn version_names_the_openmetadata_versions_the_sink_accepts() {
        assert!(VERSION.starts_with(env!("CARGO_PKG_VERSION")));
        assert!(VERSION.contains("1.9 and 2.x"), "{VERSION}");
        let supported = |v: &str| ServerVersion::parse(v).is_some_and(|s| s.supported());
        for v in ["1.9.0", "1.9.12", "2.0.7", "2.9.1"] {
            assert!(supported(v), "{v}");
        }
        for v in ["1.8.4", "3.0.0", "0.13.1"] {
            assert!(!supported(v), "{v}");
        }
    }
}
