//! Helpers: write a workflow file, run the binary, read its JSON Lines output.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The secret used in every test workflow: must never appear in any output.
pub const SECRET_MARKER: &str = "SeCrEtMaRkEr-0xDEADBEEF";
/// The session token marker.
pub const TOKEN_MARKER: &str = "ToKeNmArKeR-0xFEEDFACE";
/// The JWT marker.
pub const JWT_MARKER: &str = "JwTmArKeR-0xC0FFEE";

/// What a run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// stdout and stderr together.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs `dynameta ARGS` with extra environment variables.
pub fn dynameta(args: &[&str], env: &[(&str, &str)]) -> Run {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_dynameta"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run dynameta");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// `dynameta report --catalog DB --out OUT`, which must succeed (exit 0).
pub fn report_to(db: &Path, out: &Path) -> Run {
    let report = dynameta(
        &[
            "report",
            "--catalog",
            db.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(report.code, 0, "{}", report.output());
    report
}

/// A workflow for `endpoint` with static keys (the secret is [`SECRET_MARKER`]),
/// `connection_arguments` and `source_config` as YAML lines (already indented for
/// their block), writing to `out`. The same as [`WorkflowBuilder`] with those lines.
pub fn workflow(
    endpoint: &str,
    access_key: &str,
    connection_arguments: &str,
    source_config: &str,
    out: &Path,
) -> String {
    WorkflowBuilder::new(endpoint, access_key)
        .connection_lines(connection_arguments)
        .source_lines(source_config)
        .file_sink(out)
        .yaml()
}

/// Where a test workflow's records go (`sink:`).
#[derive(Debug, Clone)]
pub enum TestSink {
    /// `type: file`, `filename`.
    File(PathBuf),
    /// `type: local`, `path`.
    Local(PathBuf),
    /// `type: metadata-rest` with these `config` lines (indented for `config`).
    Rest(String),
    /// `type: console`.
    Console,
}

/// A test workflow, every section set by a method instead of string edits of a
/// template (an edit whose text is not in the template changes nothing, silently).
/// Defaults: service `test_svc`, static keys with the secret markers, region
/// `us-east-1`, `maxAttempts: 3`, a `DatabaseMetadata` pipeline, the file sink
/// `unused.jsonl`, `loggerLevel: DEBUG` and an OpenMetadata server at
/// `http://localhost:8585/api` with the JWT marker.
#[derive(Debug, Clone)]
pub struct WorkflowBuilder {
    service_name: String,
    /// `awsConfig` keys and values, in order.
    aws: Vec<(String, String)>,
    /// `connectionArguments` keys and values, in order.
    connection: Vec<(String, String)>,
    /// More `connectionArguments` lines, as written.
    connection_lines: String,
    pipeline: String,
    /// `sourceConfig.config` keys and values after `type`, in order.
    source: Vec<(String, String)>,
    /// More `sourceConfig.config` lines, as written.
    source_lines: String,
    sink: TestSink,
    /// `workflowConfig` keys and values before `openMetadataServerConfig`, in order.
    workflow_config: Vec<(String, String)>,
    host_port: String,
    /// More `openMetadataServerConfig` lines (indented for it), after `hostPort`.
    server_lines: String,
    /// More `workflowConfig` lines, as written.
    workflow_config_lines: String,
    /// Whether `workflowConfig.openMetadataServerConfig` is written.
    with_server: bool,
}

/// Sets `key` to `value` in `entries`, in place when it is there, else at the end.
fn set(entries: &mut Vec<(String, String)>, key: &str, value: &str) {
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value.to_string(),
        None => entries.push((key.to_string(), value.to_string())),
    }
}

/// `entries` as YAML lines indented by `indent` spaces.
fn lines(entries: &[(String, String)], indent: usize) -> String {
    entries
        .iter()
        .map(|(k, v)| format!("{:indent$}{k}: {v}\n", ""))
        .collect()
}

/// `text` as whole lines: a newline added when it lacks one, nothing when empty.
fn whole_lines(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}

impl WorkflowBuilder {
    /// The default workflow for DynamoDB at `endpoint` with `access_key`.
    pub fn new(endpoint: &str, access_key: &str) -> WorkflowBuilder {
        WorkflowBuilder {
            service_name: "test_svc".into(),
            aws: vec![
                ("awsAccessKeyId".into(), access_key.into()),
                ("awsSecretAccessKey".into(), SECRET_MARKER.into()),
                ("awsSessionToken".into(), TOKEN_MARKER.into()),
                ("awsRegion".into(), "us-east-1".into()),
                ("endPointURL".into(), endpoint.into()),
            ],
            connection: vec![("maxAttempts".into(), "3".into())],
            connection_lines: String::new(),
            pipeline: "DatabaseMetadata".into(),
            source: Vec::new(),
            source_lines: String::new(),
            sink: TestSink::File(PathBuf::from("unused.jsonl")),
            workflow_config: vec![("loggerLevel".into(), "DEBUG".into())],
            host_port: "http://localhost:8585/api".into(),
            server_lines: String::new(),
            workflow_config_lines: String::new(),
            with_server: true,
        }
    }

    /// The workflow with nothing but the connection (static keys, no session token,
    /// `endPointURL`): every option at its product default, `loggerLevel` unset.
    pub fn product_defaults(endpoint: &str, access_key: &str) -> WorkflowBuilder {
        let mut builder = WorkflowBuilder::new(endpoint, access_key);
        builder.aws.retain(|(k, _)| k != "awsSessionToken");
        builder.connection.clear();
        builder.workflow_config.clear();
        builder
    }

    /// No `workflowConfig` section at all (no server, `loggerLevel` unset).
    pub fn without_workflow_config(mut self) -> Self {
        self.workflow_config.clear();
        self.workflow_config_lines.clear();
        self.with_server = false;
        self
    }

    /// `source.serviceName`.
    pub fn service_name(mut self, name: &str) -> Self {
        self.service_name = name.into();
        self
    }

    /// `awsConfig.awsRegion`.
    pub fn region(self, region: &str) -> Self {
        self.aws("awsRegion", region)
    }

    /// `awsConfig.KEY: VALUE` (replaces the key's value when it is set).
    pub fn aws(mut self, key: &str, value: &str) -> Self {
        set(&mut self.aws, key, value);
        self
    }

    /// `connectionArguments.KEY: VALUE` (replaces the key's value when it is set).
    pub fn connection_argument(mut self, key: &str, value: &str) -> Self {
        set(&mut self.connection, key, value);
        self
    }

    /// More `connectionArguments` lines as written (indented for the block).
    pub fn connection_lines(mut self, text: &str) -> Self {
        self.connection_lines.push_str(&whole_lines(text));
        self
    }

    /// `sourceConfig.config.type`: `DatabaseMetadata`, `Profiler` or `AutoClassification`.
    pub fn pipeline(mut self, kind: &str) -> Self {
        self.pipeline = kind.into();
        self
    }

    /// `sourceConfig.config.KEY: VALUE` (replaces the key's value when it is set).
    pub fn source_config(mut self, key: &str, value: &str) -> Self {
        set(&mut self.source, key, value);
        self
    }

    /// More `sourceConfig.config` lines as written (indented for the block).
    pub fn source_lines(mut self, text: &str) -> Self {
        self.source_lines.push_str(&whole_lines(text));
        self
    }

    /// The file sink writing `out`.
    pub fn file_sink(self, out: &Path) -> Self {
        self.sink(TestSink::File(out.to_path_buf()))
    }

    /// The local catalog at `db`.
    pub fn local_sink(self, db: &Path) -> Self {
        self.sink(TestSink::Local(db.to_path_buf()))
    }

    /// The metadata-rest sink to the OpenMetadata server at `host_port` (its
    /// `/api` URL), with fast retries.
    pub fn rest_sink(self, host_port: &str) -> Self {
        self.sink(TestSink::Rest(
            "    retryBaseMillis: 5\n    retryCapMillis: 50\n".into(),
        ))
        .host_port(host_port)
    }

    /// `sink:`.
    pub fn sink(mut self, sink: TestSink) -> Self {
        self.sink = sink;
        self
    }

    /// `openMetadataServerConfig.hostPort`.
    pub fn host_port(mut self, url: &str) -> Self {
        self.host_port = url.into();
        self
    }

    /// More `openMetadataServerConfig` lines (indented for it), after `hostPort`.
    pub fn server_lines(mut self, text: &str) -> Self {
        self.server_lines.push_str(&whole_lines(text));
        self
    }

    /// `workflowConfig.KEY: VALUE` (replaces the key's value when it is set).
    pub fn workflow_config(mut self, key: &str, value: &str) -> Self {
        set(&mut self.workflow_config, key, value);
        self
    }

    /// More `workflowConfig` lines as written (indented for the block).
    pub fn workflow_config_lines(mut self, text: &str) -> Self {
        self.workflow_config_lines.push_str(&whole_lines(text));
        self
    }

    /// `workflowConfig.loggerLevel`.
    pub fn logger_level(self, level: &str) -> Self {
        self.workflow_config("loggerLevel", level)
    }

    /// The workflow file's text.
    pub fn yaml(&self) -> String {
        let sink = match &self.sink {
            TestSink::File(out) => {
                format!("  type: file\n  config:\n    filename: {}\n", out.display())
            }
            TestSink::Local(db) => {
                format!("  type: local\n  config:\n    path: {}\n", db.display())
            }
            TestSink::Rest(config) => format!("  type: metadata-rest\n  config:\n{config}"),
            TestSink::Console => "  type: console\n".to_string(),
        };
        let connection = format!("{}{}", lines(&self.connection, 8), self.connection_lines);
        let connection = if connection.is_empty() {
            connection
        } else {
            format!("      connectionArguments:\n{connection}")
        };
        let server = if self.with_server {
            format!(
                "  openMetadataServerConfig:\n    hostPort: {}\n{}    authProvider: openmetadata\n    securityConfig:\n      jwtToken: {JWT_MARKER}\n",
                self.host_port, self.server_lines
            )
        } else {
            String::new()
        };
        let workflow_config = format!(
            "{}{}{server}",
            lines(&self.workflow_config, 2),
            self.workflow_config_lines
        );
        let workflow_config = if workflow_config.is_empty() {
            workflow_config
        } else {
            format!("workflowConfig:\n{workflow_config}")
        };
        format!(
            "source:\n  type: dynamodb\n  serviceName: {service}\n  serviceConnection:\n    config:\n      type: DynamoDB\n      awsConfig:\n{aws}{connection}  sourceConfig:\n    config:\n      type: {pipeline}\n{source}{source_lines}sink:\n{sink}{workflow_config}",
            service = self.service_name,
            aws = lines(&self.aws, 8),
            pipeline = self.pipeline,
            source = lines(&self.source, 6),
            source_lines = self.source_lines,
        )
    }
}

/// Writes `text` as `name` in `dir`.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write workflow");
    path
}

/// The records of a JSON Lines file.
pub fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// The `createTable` payload of `table`.
pub fn create_table<'a>(records: &'a [Value], table: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["kind"] == "createTable" && r["payload"]["name"] == table)
        .map(|r| &r["payload"])
        .unwrap_or_else(|| panic!("no createTable for {table}"))
}

/// The column `name` among `columns`.
pub fn column<'a>(columns: &'a Value, name: &str) -> &'a Value {
    columns
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no column {name} in {columns}"))
}

/// Asserts none of the secret markers is in `text`.
pub fn assert_no_secrets(text: &str, what: &str) {
    for marker in [SECRET_MARKER, TOKEN_MARKER, JWT_MARKER] {
        assert!(
            !text.contains(marker),
            "{what} leaks a secret ({marker}):\n{text}"
        );
    }
}

/// Writes `yaml` as `name` in `dir` and runs `dynameta ingest` on it with JSON logs.
pub fn ingest_json(dir: &Path, name: &str, yaml: &str) -> Run {
    let wf = write(dir, name, yaml);
    dynameta(
        &["ingest", "-c", wf.to_str().unwrap(), "--log-format", "json"],
        &[],
    )
}

/// The run summary a `--log-format json` run printed.
pub fn summary(run: &Run) -> Value {
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("{\"summary\""))
        .unwrap_or_else(|| panic!("no JSON summary in {}", run.output()));
    serde_json::from_str::<Value>(line).unwrap()["summary"].clone()
}

/// Creates empty tables keyed by `id` (S) in DynamoDB Local's namespace of `key`.
pub fn create_tables(key: &str, names: &[&str]) {
    let (endpoint, key) = (
        dynameta_testkit::dynamodb_local().endpoint.clone(),
        key.to_string(),
    );
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = dynameta_testkit::client(&endpoint, &key, "us-east-1").await;
            for name in &names {
                dynameta_testkit::corpus::create_table(
                    &client,
                    name,
                    ("id", aws_sdk_dynamodb::types::ScalarAttributeType::S),
                    None,
                )
                .await;
            }
        })
    })
    .join()
    .expect("create tables");
}

/// Names of the `createTable` records, sorted.
pub fn table_names(records: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = records
        .iter()
        .filter(|r| r["kind"] == "createTable")
        .map(|r| r["payload"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// `yaml` (written by [`workflow`] with `unused.jsonl` as its file sink) sending to the
/// OpenMetadata contract server at `endpoint` instead, with fast retries. Panics when
/// `yaml` is not such a workflow (an edit that matches nothing would change nothing);
/// new tests use [`WorkflowBuilder::rest_sink`].
pub fn to_rest(yaml: &str, endpoint: &str) -> String {
    let file_sink = "sink:\n  type: file\n  config:\n    filename: unused.jsonl\n";
    let host = "hostPort: http://localhost:8585/api";
    assert!(
        yaml.contains(file_sink) && yaml.contains(host),
        "not a workflow() with unused.jsonl: {yaml}"
    );
    yaml.replacen(
        file_sink,
        "sink:\n  type: metadata-rest\n  config:\n    retryBaseMillis: 5\n    retryCapMillis: 50\n",
        1,
    )
    .replacen(host, &format!("hostPort: {endpoint}"), 1)
}

/// Runs `dynameta args` under `/usr/bin/time` (and, with `address_space`, `prlimit
/// --as`, so a run that sized anything by a count read from a file dies of it instead of
/// exiting with an error): the run and its peak resident memory in bytes.
pub fn dynameta_measured(args: &[&str], address_space: Option<u64>) -> (Run, u64) {
    let mut cmd = match address_space {
        Some(bytes) => {
            let mut c = Command::new("prlimit");
            c.arg(format!("--as={bytes}"))
                .arg("--")
                .arg("/usr/bin/time");
            // Few malloc arenas: their reserved address space is not memory used.
            c.env("MALLOC_ARENA_MAX", "2");
            c
        }
        None => Command::new("/usr/bin/time"),
    };
    let out = cmd
        .arg("-f")
        .arg("maxrss-kib=%M")
        .arg(env!("CARGO_BIN_EXE_dynameta"))
        .args(args)
        .output()
        .expect("run dynameta under /usr/bin/time (and prlimit)");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let rss = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("maxrss-kib="))
        .and_then(|k| k.trim().parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no maxrss in {stderr}"));
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        elapsed: Duration::ZERO,
    };
    (run, rss * 1024)
}

/// Every setter of [`WorkflowBuilder`] changes what dynameta reads (checked through
/// dynameta's own parser, so an edit that lands nowhere cannot pass), and [`workflow`]
/// keeps meaning what its template meant.
#[test]
fn the_workflow_builder_sets_what_it_names() {
    use dynameta::config::{parse, Command, LogLevel};
    let read = |yaml: &str, command: Command| {
        parse(yaml, Path::new("built.yaml"), command, &|_| None)
            .unwrap_or_else(|e| panic!("{e}\n{yaml}"))
    };
    let builder = WorkflowBuilder::new("http://127.0.0.1:9", "AKIDBUILDER")
        .service_name("svc_b")
        .region("eu-west-3")
        .aws("assumeRoleArn", "arn:aws:iam::123456789012:role/reader")
        .connection_argument("maxAttempts", "2")
        .connection_argument("sampleSize", "7")
        .pipeline("AutoClassification")
        .source_config("confidence", "65")
        .workflow_config("raiseOnError", "false")
        .logger_level("WARN")
        .host_port("http://127.0.0.1:10/api");
    let wf = read(
        &builder.clone().file_sink(Path::new("o.jsonl")).yaml(),
        Command::Classify,
    );
    assert_eq!(wf.service_name, "svc_b");
    assert_eq!(wf.aws().aws_region, "eu-west-3");
    assert!(wf.aws().assume_role_arn.is_some());
    assert_eq!((wf.options.max_attempts, wf.options.sample_size), (2, 7));
    assert_eq!(wf.classify.confidence, 65.0);
    assert!(!wf.failure_policy.raise_on_error);
    assert_eq!(wf.log_level, LogLevel::Warn);
    let server = wf.server.as_ref().expect("server");
    assert_eq!(server.host_port, "http://127.0.0.1:10/api");
    for (sink, kind) in [
        (TestSink::File(PathBuf::from("o.jsonl")), "file"),
        (TestSink::Local(PathBuf::from("c.db")), "local"),
        (TestSink::Console, "console"),
        (
            TestSink::Rest("    maxAttempts: 4\n".into()),
            "metadata-rest",
        ),
    ] {
        let wf = read(&builder.clone().sink(sink).yaml(), Command::Classify);
        assert_eq!(wf.sink.as_ref().map(|s| s.kind.as_str()), Some(kind));
    }

    let bare = read(
        &WorkflowBuilder::product_defaults("http://127.0.0.1:9", "AKIDBARE")
            .without_workflow_config()
            .file_sink(Path::new("o.jsonl"))
            .yaml(),
        Command::Ingest,
    );
    assert_eq!(bare.options.max_attempts, 5, "the product's default");
    assert!(bare.aws().aws_session_token.is_none() && bare.server.is_none());
    assert_eq!(bare.log_level, LogLevel::Info);

    let templated = read(
        &workflow(
            "http://127.0.0.1:9",
            "AKIDTEMPLATE",
            "        sampleSize: 9\n",
            "      threads: 3\n",
            Path::new("o.jsonl"),
        ),
        Command::Ingest,
    );
    assert_eq!(
        (
            templated.options.sample_size,
            templated.options.max_attempts
        ),
        (9, 3)
    );
    assert_eq!(templated.ingest.threads, 3);
    assert_eq!(templated.log_level, LogLevel::Debug);
}
