//! Snapshot tests of the text people read: `--help` of every command, `--version`, the
//! configuration errors newcomers meet most, run summaries, the exit-3 text of an empty
//! listing and `test-connection` with a failing step. The snapshots are in
//! `tests/it/snapshots/`; a change to the text shows up there as a reviewable diff.
//!
//! Regenerate after an intended change (then review `git diff`):
//!
//! ```sh
//! INSTA_UPDATE=always cargo test -p dynameta --test it cli_text
//! ```
//!
//! Determinism: the binary runs with a cleared environment (no `RUST_LOG`, no AWS
//! variables, `NO_COLOR`, a fixed `COLUMNS` for clap's wrapping), from a temporary
//! directory with relative paths, and what still varies (temp paths, ports, durations,
//! timestamps, the per-test access key) is replaced by `[NAME]` placeholders.

use std::path::Path;
use std::process::Command;

use aws_sdk_dynamodb::types::ScalarAttributeType;
use clap::CommandFactory;
use dynameta_testkit::{corpus, dynamodb_local, unique_access_key};

use super::support::{write, WorkflowBuilder};

/// What a run printed, as one text: the command line, the exit code, stdout, stderr.
fn transcript(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dynameta"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        // clap wraps help at the terminal width; COLUMNS wins over the terminal.
        .env("COLUMNS", "100")
        .env("LINES", "50")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run dynameta");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    // No colour or terminal control without a terminal (and with NO_COLOR).
    assert!(
        !stdout.contains('\x1b') && !stderr.contains('\x1b'),
        "escape sequences in the output of {args:?}:\n{stdout}\n{stderr}"
    );
    let code = out
        .status
        .code()
        .map_or("killed by a signal".to_string(), |c| c.to_string());
    format!(
        "$ dynameta {}\nexit code: {code}\n----- stdout -----\n{stdout}----- stderr -----\n{stderr}",
        args.join(" "),
    )
}

/// Insta settings with the filters that replace what varies between machines and runs.
/// `dir` is the run's temporary directory.
fn settings(dir: &Path, key: Option<&str>) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    // The canonical path first: on macOS /var is a link to /private/var.
    if let Ok(real) = dir.canonicalize() {
        s.add_filter(&regex::escape(&real.display().to_string()), "[TMP]");
    }
    s.add_filter(&regex::escape(&dir.display().to_string()), "[TMP]");
    if let Some(key) = key {
        s.add_filter(&regex::escape(key), "[ACCESS_KEY]");
    }
    s.add_filter(r"(127\.0\.0\.1|localhost):\d+", "$1:[PORT]");
    s.add_filter(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
        "[TIMESTAMP]",
    );
    s.add_filter(r"\b\d+(\.\d+)?(ns|µs|us|ms|s)\b", "[DURATION]");
    s.add_filter(r#""elapsed":\d+(\.\d+)?"#, r#""elapsed":"[DURATION]""#);
    s.add_filter(r"\bpid \d+", "pid [PID]");
    // clap pads some blank help lines with spaces; editors strip them from the snapshots.
    s.add_filter(r"(?m)[ \t]+$", "");
    s.add_filter(
        &format!(r"\b{}\b", regex::escape(env!("CARGO_PKG_VERSION"))),
        "[VERSION]",
    );
    s
}

/// Every command path (`["ingest"]`, `["profile", "merge"]`, ...) of the CLI, from clap's
/// own model, so a command added later is covered (its snapshot is then missing, which
/// fails until it is generated and reviewed).
fn command_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            out.push(p.clone());
            walk(sub, p, out);
        }
    }
    let mut out = Vec::new();
    walk(&dynameta::cli::Cli::command(), Vec::new(), &mut out);
    out
}

#[test]
fn help_and_version() {
    let dir = tempfile::tempdir().unwrap();
    settings(dir.path(), None).bind(|| {
        insta::assert_snapshot!("help", transcript(dir.path(), &["--help"]));
        insta::assert_snapshot!("version", transcript(dir.path(), &["--version"]));
        // No command at all: what a newcomer types first.
        insta::assert_snapshot!("no_command", transcript(dir.path(), &[]));
        // -h is clap's short form: one line per option.
        insta::assert_snapshot!(
            "help_short_ingest",
            transcript(dir.path(), &["ingest", "-h"])
        );
        let paths = command_paths();
        assert!(
            paths.iter().any(|p| p == &["profile", "merge"]),
            "nested commands are walked: {paths:?}"
        );
        let mut names = vec!["help_short_ingest".to_string()];
        for path in paths {
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.push("--help");
            let name = format!("help_{}", path.join("_").replace('-', "_"));
            insta::assert_snapshot!(name.clone(), transcript(dir.path(), &args));
            names.push(name);
        }
        // A removed or renamed command leaves no stale help snapshot behind.
        let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots");
        let mut stale: Vec<String> = std::fs::read_dir(&snapshots)
            .expect("read the snapshot folder")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|f| f.strip_suffix(".snap").map(str::to_string))
            .filter(|n| n.starts_with("help_") && !names.contains(n))
            .collect();
        stale.sort();
        assert!(
            stale.is_empty(),
            "help snapshots of no command: {stale:?}; delete them from {}",
            snapshots.display()
        );
    });
}

const WORKFLOW: &str = r#"source:
  type: dynamodb
  serviceName: svc
  serviceConnection:
    config:
      type: DynamoDB
      awsConfig:
        awsAccessKeyId: AKIDEXAMPLE
        awsSecretAccessKey: not-a-secret
        awsRegion: us-east-1
        endPointURL: http://127.0.0.1:9
      connectionArguments:
        sampleSize: 10
  sourceConfig:
    config:
      type: DatabaseMetadata
sink:
  type: file
  config:
    filename: out.jsonl
"#;

fn edited(from: &str, to: &str) -> String {
    assert!(WORKFLOW.contains(from), "`{from}` not in WORKFLOW");
    WORKFLOW.replacen(from, to, 1)
}

#[test]
fn configuration_errors_a_newcomer_meets() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "typo.yaml", &edited("sampleSize: 10", "sampleSise: 10"));
    write(
        d,
        "typo_aws.yaml",
        &edited("awsRegion: us-east-1", "awsRegon: us-east-1"),
    );
    write(d, "range.yaml", &edited("sampleSize: 10", "sampleSize: 0"));
    write(d, "local.yaml", WORKFLOW);
    let fifo = d.join("fifo.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success(), "mkfifo");
    settings(d, None).bind(|| {
        for (name, args) in [
            ("error_missing_file", &["ingest", "-c", "missing.yaml"][..]),
            (
                "error_unknown_key_did_you_mean",
                &["ingest", "-c", "typo.yaml"],
            ),
            ("error_unknown_aws_key", &["ingest", "-c", "typo_aws.yaml"]),
            ("error_value_out_of_range", &["ingest", "-c", "range.yaml"]),
            ("error_fifo_as_config", &["ingest", "-c", "fifo.yaml"]),
            ("error_workflow_without_dash_c", &["ingest", "local.yaml"]),
            (
                "error_options_before_command",
                &["-c", "local.yaml", "ingest"],
            ),
            ("error_unknown_command", &["ingset", "-c", "local.yaml"]),
            ("error_missing_dash_c", &["ingest"]),
            // `profile` has a subcommand, so clap's message differs from ingest's.
            ("error_profile_missing_dash_c", &["profile"]),
            // What a scheduler parsing the JSON logs gets for the same mistake.
            (
                "error_missing_file_json",
                &["ingest", "-c", "missing.yaml", "--log-format", "json"],
            ),
        ] {
            insta::assert_snapshot!(name, transcript(d, args));
        }
    });
}

/// A small fixed corpus: 20 customers (personal data) and 20 orders, in `key`'s namespace.
fn seed(key: &str) {
    let endpoint = dynamodb_local().endpoint.clone();
    let key = key.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
            corpus::create_table(
                &client,
                "customers",
                ("customerId", ScalarAttributeType::S),
                None,
            )
            .await;
            corpus::put_items(
                &client,
                "customers",
                (0..20).map(corpus::customer_item).collect(),
            )
            .await;
            corpus::create_table(
                &client,
                "orders",
                ("customerId", ScalarAttributeType::S),
                Some(("orderId", ScalarAttributeType::N)),
            )
            .await;
            corpus::put_items(&client, "orders", (0..20).map(corpus::order_item).collect()).await;
        })
    })
    .join()
    .expect("seed the corpus");
}

/// The workflow of pipeline `kind` against DynamoDB Local, writing `out` (relative).
fn run_workflow_builder(key: &str, kind: &str, out: &str) -> WorkflowBuilder {
    WorkflowBuilder::new(&dynamodb_local().endpoint, key)
        .pipeline(kind)
        .file_sink(Path::new(out))
}

/// The workflow of `command` against DynamoDB Local, writing `out` (relative).
fn run_workflow(key: &str, command: &str, out: &str) -> String {
    let kind = match command {
        "profile" => "Profiler",
        "classify" => "AutoClassification",
        _ => "DatabaseMetadata",
    };
    run_workflow_builder(key, kind, out).yaml()
}

#[test]
fn run_summaries_against_dynamodb_local() {
    let key = unique_access_key("clitext");
    seed(&key);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    settings(d, Some(&key)).bind(|| {
        for command in ["ingest", "profile", "classify"] {
            let wf = format!("{command}.yaml");
            write(
                d,
                &wf,
                &run_workflow(&key, command, &format!("{command}.jsonl")),
            );
            // -q: logs only for warnings and errors; table order in info logs follows
            // the worker threads, the summary does not.
            insta::assert_snapshot!(
                format!("run_{command}"),
                transcript(d, &[command, "-c", &wf, "-q"])
            );
        }
        // The summary a scheduler parses (--log-format json).
        insta::assert_snapshot!(
            "run_ingest_json",
            transcript(
                d,
                &["ingest", "-c", "ingest.yaml", "-q", "--log-format", "json"]
            )
        );
        // --explain: per column scores, masked examples and the reason, written nowhere.
        insta::assert_snapshot!(
            "classify_explain",
            transcript(
                d,
                &["classify", "-c", "classify.yaml", "--explain", "customers"]
            )
        );
        // DynamoDB Local keeps tables per region: eu-west-3 has none (exit 3).
        write(
            d,
            "empty.yaml",
            &run_workflow_builder(&key, "DatabaseMetadata", "empty.jsonl")
                .region("eu-west-3")
                .yaml(),
        );
        insta::assert_snapshot!(
            "run_ingest_empty_listing",
            transcript(d, &["ingest", "-c", "empty.yaml", "-q"])
        );
        // The output is a directory: the file sink's step fails.
        std::fs::create_dir(d.join("a_directory")).unwrap();
        write(d, "tc.yaml", &run_workflow(&key, "ingest", "a_directory"));
        insta::assert_snapshot!(
            "test_connection_failing_step",
            transcript(d, &["test-connection", "-c", "tc.yaml"])
        );
    });
}
