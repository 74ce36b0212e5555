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

/// A workflow for `endpoint` with static keys (the secret is [`SECRET_MARKER`]),
/// `connection_arguments` and `source_config` as YAML lines (already indented for
/// their block), writing to `out`.
pub fn workflow(
    endpoint: &str,
    access_key: &str,
    connection_arguments: &str,
    source_config: &str,
    out: &Path,
) -> String {
    format!(
        r#"source:
  type: dynamodb
  serviceName: test_svc
  serviceConnection:
    config:
      type: DynamoDB
      awsConfig:
        awsAccessKeyId: {access_key}
        awsSecretAccessKey: {SECRET_MARKER}
        awsSessionToken: {TOKEN_MARKER}
        awsRegion: us-east-1
        endPointURL: {endpoint}
      connectionArguments:
        maxAttempts: 3
{connection_arguments}
  sourceConfig:
    config:
      type: DatabaseMetadata
{source_config}
sink:
  type: file
  config:
    filename: {out}
workflowConfig:
  loggerLevel: DEBUG
  openMetadataServerConfig:
    hostPort: http://localhost:8585/api
    authProvider: openmetadata
    securityConfig:
      jwtToken: {JWT_MARKER}
"#,
        out = out.display()
    )
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
/// OpenMetadata contract server at `endpoint` instead, with fast retries.
pub fn to_rest(yaml: &str, endpoint: &str) -> String {
    yaml.replace(
        "sink:\n  type: file\n  config:\n    filename: unused.jsonl\n",
        "sink:\n  type: metadata-rest\n  config:\n    retryBaseMillis: 5\n    retryCapMillis: 50\n",
    )
    .replace(
        "hostPort: http://localhost:8585/api",
        &format!("hostPort: {endpoint}"),
    )
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
