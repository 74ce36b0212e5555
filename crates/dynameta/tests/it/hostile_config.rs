//! Hostile workflow files from a red-team run: every one must be refused at load time
//! with exit 2, the exact key path, no panic, no hang, and no secret echoed.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::support::write;

/// Marker values: none may ever appear in stdout or stderr.
const SECRET_KEY: &str = "MARKERsecretKEY0123";
const JWT: &str = "eyJMARKERjwt.eyJzdWIiOiJ4In0.MARKERsig";

fn base() -> String {
    format!(
        r#"source:
  type: dynamodb
  serviceName: svc
  serviceConnection:
    config:
      type: DynamoDB
      awsConfig:
        awsAccessKeyId: AKIDEXAMPLE
        awsSecretAccessKey: {SECRET_KEY}
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
workflowConfig:
  loggerLevel: INFO
  openMetadataServerConfig:
    hostPort: http://127.0.0.1:9/api
    authProvider: openmetadata
    securityConfig:
      jwtToken: ${{OM_JWT_TOKEN}}
"#
    )
}

fn edit(from: &str, to: &str) -> String {
    let base = base();
    assert!(
        base.contains(from),
        "case edits `{from}`, not in the base file"
    );
    base.replacen(from, to, 1)
}

fn argument(line: &str) -> String {
    edit(
        "        sampleSize: 10\n",
        &format!("        sampleSize: 10\n        {line}\n"),
    )
}

fn rest_sink(line: &str) -> String {
    edit(
        "  type: file\n  config:\n    filename: out.jsonl\n",
        &format!("  type: metadata-rest\n  config:\n    {line}\n"),
    )
}

fn pipeline(kind: &str, line: &str) -> String {
    edit(
        "      type: DatabaseMetadata\n",
        &format!("      type: {kind}\n      {line}\n"),
    )
}

const CONN: &str = "source.serviceConnection.config";
const ARGS: &str = "source.serviceConnection.config.connectionArguments";

struct Case {
    name: &'static str,
    command: &'static str,
    yaml: String,
    env: Vec<(&'static str, &'static str)>,
    /// Strings stderr must contain: the key path first.
    expect: Vec<String>,
}

fn case(name: &'static str, yaml: String, expect: &[&str]) -> Case {
    Case {
        name,
        command: "ingest",
        yaml,
        env: vec![],
        expect: expect.iter().map(|s| s.to_string()).collect(),
    }
}

fn cases() -> Vec<Case> {
    let a = |k: &str| format!("{ARGS}.{k}");
    let mut cases = vec![
        // 1. Panics (exit 101) in Duration::from_secs_f64.
        case(
            "huge connect timeout",
            argument("connectTimeoutSeconds: 1e20"),
            &[&a("connectTimeoutSeconds"), "0.01 to 3600"],
        ),
        case(
            "huge request timeout",
            argument("requestTimeoutSeconds: 1e300"),
            &[&a("requestTimeoutSeconds"), "0.01 to 3600"],
        ),
        case(
            "huge throttle retry",
            argument("throttleRetrySeconds: 1e300"),
            &[&a("throttleRetrySeconds"), "0 to 3600"],
        ),
        case(
            "negative sink timeout",
            rest_sink("timeoutSeconds: -1"),
            &["sink.config.timeoutSeconds", "0.1 to 3600"],
        ),
        case(
            "huge sink timeout",
            rest_sink("timeoutSeconds: 1e30"),
            &["sink.config.timeoutSeconds"],
        ),
        case(
            "nan sink timeout",
            rest_sink("timeoutSeconds: .nan"),
            &["sink.config.timeoutSeconds", "finite"],
        ),
        case(
            "infinite connect timeout",
            argument("connectTimeoutSeconds: .inf"),
            &[&a("connectTimeoutSeconds"), "finite"],
        ),
        // 2. Hang: a read budget that never refills.
        case(
            "tiny read budget",
            argument("maxReadUnitsPerSecond: 1e-9"),
            &[&a("maxReadUnitsPerSecond"), "1 to 10000000"],
        ),
        // 3. Accepted silently.
        case(
            "zero bulk size",
            rest_sink("bulkSize: 0"),
            &["sink.config.bulkSize", "1 to 1000"],
        ),
        case(
            "zero concurrency",
            rest_sink("concurrency: 0"),
            &["sink.config.concurrency", "1 to 64"],
        ),
        case(
            "zero sink attempts",
            rest_sink("maxAttempts: 0"),
            &["sink.config.maxAttempts"],
        ),
        case(
            "retry cap below base",
            rest_sink("retryBaseMillis: 500\n    retryCapMillis: 100"),
            &["sink.config.retryCapMillis", "500 to 3600000"],
        ),
        case(
            "malformed endpoint",
            edit(
                "endPointURL: http://127.0.0.1:9",
                "endPointURL: http://[::1",
            ),
            &[&format!("{CONN}.awsConfig.endPointURL"), "not a URL"],
        ),
        case(
            "endpoint without http",
            edit("endPointURL: http://127.0.0.1:9", "endPointURL: ftp://host"),
            &[&format!("{CONN}.awsConfig.endPointURL"), "http"],
        ),
        case(
            "malformed sts endpoint",
            argument("stsEndpointUrl: 'https://'"),
            &[&a("stsEndpointUrl")],
        ),
        case(
            "malformed hostPort",
            edit(
                "hostPort: http://127.0.0.1:9/api",
                "hostPort: http://[oops/api",
            ),
            &["workflowConfig.openMetadataServerConfig.hostPort"],
        ),
        case(
            "scan workers",
            argument("scanWorkers: 100000"),
            &[&a("scanWorkers"), "1 to 1024"],
        ),
        case(
            "attempts",
            argument("maxAttempts: 1000"),
            &[&a("maxAttempts"), "1 to 100"],
        ),
        case(
            "values per column",
            argument("classificationValuesPerColumn: 0"),
            &[&a("classificationValuesPerColumn")],
        ),
        case(
            "read capacity percent",
            argument("maxReadCapacityPercent: 150"),
            &[&a("maxReadCapacityPercent"), "0.01 to 100"],
        ),
        case(
            "sample size",
            argument("sampleSegments: 0"),
            &[&a("sampleSegments")],
        ),
        case(
            "metadata threads",
            pipeline("DatabaseMetadata", "threads: 100000"),
            &["source.sourceConfig.config.threads", "1 to 256"],
        ),
        case(
            "success threshold",
            edit(
                "loggerLevel: INFO",
                "loggerLevel: INFO\n  successThreshold: 200",
            ),
            &["workflowConfig.successThreshold", "0 to 100"],
        ),
        case(
            "float where integer",
            argument("scanSegments: 1e20"),
            &[&a("scanSegments"), "invalid type"],
        ),
        // 7. Messages.
        case(
            "typo gets a suggestion",
            edit(
                "awsRegion: us-east-1",
                "awsRegion: us-east-1\n        awsRegon: x",
            ),
            &[
                &format!("{CONN}.awsConfig.awsRegon: unknown key"),
                "Did you mean `awsRegion`?",
            ],
        ),
        case(
            "deep nesting",
            format!("source: {}\n", "[".repeat(100_000)),
            &["nested more than 64 levels", "line 1"],
        ),
        case(
            "deep block nesting",
            format!("source:\n  x:\n    {}1\n", "- ".repeat(5_000)),
            &["nested more than 64 levels", "line 3"],
        ),
        case(
            "yaml tag",
            argument("sampleSegments: !custom 5"),
            &[&a("sampleSegments"), "tags"],
        ),
    ];
    let profile = |name, line: &str, expect: &[&str]| Case {
        command: "profile",
        ..case(name, pipeline("Profiler", line), expect)
    };
    cases.extend([
        profile(
            "unknown metric",
            "metrics: [valuesCount, bogusMetric]",
            &[
                "source.sourceConfig.config.metrics[1]",
                "`bogusMetric`",
                "valuesCount",
                "cardinalityDistribution",
            ],
        ),
        profile(
            "metric typo",
            "metrics: [nullcont]",
            &[
                "source.sourceConfig.config.metrics[0]",
                "Did you mean `nullCount`?",
            ],
        ),
        profile(
            "zero profiler timeout",
            "timeoutSeconds: 0",
            &["source.sourceConfig.config.timeoutSeconds", "1 to 604800"],
        ),
        profile(
            "zero thread count",
            "threadCount: 0",
            &["source.sourceConfig.config.threadCount"],
        ),
        profile(
            "rows sample too big",
            "profileSample: 1e300\n      profileSampleType: ROWS",
            &["source.sourceConfig.config.profileSample"],
        ),
    ]);
    cases.push(Case {
        command: "classify",
        ..case(
            "sample data count",
            pipeline("AutoClassification", "sampleDataCount: 5000"),
            &["source.sourceConfig.config.sampleDataCount", "1 to 1000"],
        )
    });
    // 4. Numbers from the environment are numbers (0 reaches the range check, where
    // the old value-level substitution said "invalid type: string").
    cases.push(Case {
        env: vec![("DYNAMETA_TEST_N", "0")],
        ..case(
            "number from env",
            edit("sampleSize: 10", "sampleSize: ${DYNAMETA_TEST_N}"),
            &[&a("sampleSize"), "out of range"],
        )
    });
    // 6. Secrets in the wrong YAML position.
    cases.push(case(
        "jwt where an object belongs",
        edit(
            "    securityConfig:\n      jwtToken: ${OM_JWT_TOKEN}\n",
            "    securityConfig: ${OM_JWT_TOKEN}\n",
        ),
        &[
            "workflowConfig.openMetadataServerConfig.securityConfig",
            "not shown",
        ],
    ));
    cases.push(case(
        "jwt literal where an object belongs",
        edit(
            "    securityConfig:\n      jwtToken: ${OM_JWT_TOKEN}\n",
            &format!("    securityConfig: {JWT}\n"),
        ),
        &[
            "workflowConfig.openMetadataServerConfig.securityConfig",
            "not shown",
        ],
    ));
    cases.push(case(
        "number secret",
        edit(
            &format!("awsSecretAccessKey: {SECRET_KEY}"),
            "awsSecretAccessKey: 987654321987654321",
        ),
        &[&format!("{CONN}.awsConfig.awsSecretAccessKey"), "not shown"],
    ));
    cases.push(case(
        "secret env var in a plain key",
        edit("awsRegion: us-east-1", "awsRegion: ${OM_JWT_TOKEN}"),
        &[&format!("{CONN}.awsConfig.awsRegion")],
    ));
    cases.push(Case {
        env: vec![("DYNAMETA_TEST_SECRET", "MARKERsecretKEY0123 #cut")],
        ..case(
            "secret env var with yaml syntax",
            edit(
                &format!("awsSecretAccessKey: {SECRET_KEY}"),
                "awsSecretAccessKey: ${DYNAMETA_TEST_SECRET}",
            ),
            &[
                &format!("{CONN}.awsConfig.awsSecretAccessKey"),
                "DYNAMETA_TEST_SECRET",
            ],
        )
    });
    cases
}

/// Runs dynameta, giving up (and killing it) after `limit`: a hang is a failure, not a
/// stuck test run.
fn run_bounded(
    args: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> Option<(i32, String, String)> {
    // Relative outputs (`filename: out.jsonl`) land in a folder of the run's own, not in
    // the crate folder, and concurrent cases never share one output (or its lock).
    let cwd = tempfile::tempdir().expect("working folder");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dynameta"))
        .current_dir(cwd.path())
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dynameta");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut out, mut err) = (String::new(), String::new());
        let _ = stdout.read_to_string(&mut out);
        let _ = stderr.read_to_string(&mut err);
        let code = child.wait().ok().and_then(|s| s.code()).unwrap_or(-1);
        let _ = tx.send((code, out, err));
    });
    match rx.recv_timeout(limit) {
        Ok(done) => Some(done),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            None
        }
    }
}

fn check(name: &str, args: &[&str], env: &[(&str, &str)], expect: &[String]) -> Option<String> {
    let mut env = env.to_vec();
    env.push(("OM_JWT_TOKEN", JWT));
    let Some((code, stdout, stderr)) = run_bounded(args, &env, Duration::from_secs(60)) else {
        return Some(format!("{name}: did not finish within 60 s"));
    };
    let all = format!("{stdout}\n{stderr}");
    let mut problems = Vec::new();
    if code != 2 {
        problems.push(format!("exit {code}, want 2"));
    }
    if all.contains("panicked") {
        problems.push("panicked".into());
    }
    for marker in ["MARKER", "987654321987654321"] {
        if all.contains(marker) {
            problems.push(format!("secret marker `{marker}` echoed"));
        }
    }
    for e in expect {
        if !stderr.contains(e.as_str()) {
            problems.push(format!("missing `{e}`"));
        }
    }
    (!problems.is_empty()).then(|| format!("{name}: {}\n{stderr}", problems.join("; ")))
}

#[test]
fn every_hostile_config_exits_2_naming_the_key_without_panic_or_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (i, c) in cases().iter().enumerate() {
        let path = write(dir.path(), &format!("hostile{i}.yaml"), &c.yaml);
        let path = path.to_string_lossy().into_owned();
        failures.extend(check(c.name, &[c.command, "-c", &path], &c.env, &c.expect));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

#[test]
fn a_fifo_or_a_directory_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("workflow.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let link = dir.path().join("link.yaml");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    let mut failures = Vec::new();
    for (name, path) in [
        ("fifo", &fifo),
        ("symlink to a fifo", &link),
        ("directory", &dir.path().to_path_buf()),
    ] {
        let path = path.to_string_lossy().into_owned();
        failures.extend(check(
            name,
            &["ingest", "-c", &path],
            &[],
            &["not a regular file".into()],
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

#[test]
fn a_symlink_to_a_regular_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "real.yaml", &argument("scanWorkers: 0"));
    let link = dir.path().join("link.yaml");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let link = link.to_string_lossy().into_owned();
    // It gets as far as the range check: the file was read and parsed.
    assert_eq!(
        check(
            "symlink",
            &["ingest", "-c", &link],
            &[],
            &[format!("{ARGS}.scanWorkers")]
        ),
        None
    );
}

#[test]
fn yaml_errors_name_the_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "broken.yaml", "source: [\n  type: x\n");
    let path = path.to_string_lossy().into_owned();
    let (code, _, stderr) =
        run_bounded(&["ingest", "-c", &path], &[], Duration::from_secs(60)).unwrap();
    assert_eq!(code, 2);
    assert_eq!(stderr.matches(path.as_str()).count(), 1, "{stderr}");
    assert!(
        stderr.contains("not valid YAML") && stderr.contains("line"),
        "{stderr}"
    );
}

#[test]
fn config_errors_are_json_with_log_format_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "typo.yaml",
        &edit(
            "awsRegion: us-east-1",
            "awsRegion: us-east-1\n        awsRegon: x",
        ),
    );
    let path = path.to_string_lossy().into_owned();
    let (code, stdout, stderr) = run_bounded(
        &["ingest", "-c", &path, "--log-format", "json"],
        &[("OM_JWT_TOKEN", JWT)],
        Duration::from_secs(60),
    )
    .unwrap();
    assert_eq!(code, 2);
    assert!(stdout.is_empty(), "{stdout}");
    let v: serde_json::Value =
        serde_json::from_str(stderr.trim()).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(v["key"], format!("{CONN}.awsConfig.awsRegon"));
    assert_eq!(v["file"], path.as_str());
    assert!(
        v["problem"]
            .as_str()
            .unwrap()
            .contains("Did you mean `awsRegion`?"),
        "{v}"
    );
    assert!(v["hint"].as_str().unwrap().contains("`awsRegion`"), "{v}");
}

/// Control characters quoted from the workflow in an error (a sink type, a region, a
/// header name) reach the terminal escaped, never raw.
#[test]
fn control_characters_in_config_errors_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    for (name, yaml) in [
        ("sink type", edit("  type: file\n", "  type: \"fi\\e[31mle\\u202E\"\n")),
        (
            "region",
            edit("awsRegion: us-east-1", "awsRegion: \"us-\\e]0;x\\a\\b\\r\""),
        ),
        (
            "header name",
            edit(
                "      jwtToken: ${OM_JWT_TOKEN}\n",
                "      jwtToken: ${OM_JWT_TOKEN}\n    extraHeaders:\n      \"X-\\e[2J\\u202E\": v\n",
            ),
        ),
    ] {
        let path = write(dir.path(), "escapes.yaml", &yaml);
        let path = path.to_string_lossy().into_owned();
        let (code, _, stderr) = run_bounded(
            &["ingest", "-c", &path],
            &[("OM_JWT_TOKEN", JWT)],
            Duration::from_secs(60),
        )
        .unwrap_or_else(|| panic!("{name}: did not finish"));
        assert_eq!(code, 2, "{name}: {stderr}");
        let raw: Vec<char> = stderr
            .chars()
            .filter(|&c| c != '\n' && dynameta_fs::terminal::is_unsafe(c))
            .collect();
        assert!(raw.is_empty(), "{name}: raw {raw:?} in {stderr:?}");
        assert!(stderr.contains("\\u{1b}"), "{name}: {stderr}");
    }
}
