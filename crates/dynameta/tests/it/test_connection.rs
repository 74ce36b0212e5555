//! `dynameta test-connection`: passes on DynamoDB Local; fails fast and clearly otherwise.

use dynameta_testkit::fault_proxy::FaultProxy;
use dynameta_testkit::{dynamodb_local, unique_access_key};

use super::support::*;

fn step_line<'a>(output: &'a str, step: &str) -> &'a str {
    output
        .lines()
        .find(|l| l.starts_with(step))
        .unwrap_or_else(|| panic!("no step {step} in\n{output}"))
}

/// Writes `yaml` as `wf.yaml` in `dir` and runs `dynameta test-connection` on it.
fn test_connection(dir: &std::path::Path, yaml: &str) -> Run {
    let wf = write(dir, "wf.yaml", yaml);
    dynameta(&["test-connection", "-c", wf.to_str().unwrap()], &[])
}

/// Runs with a clean environment: no AWS variables, an empty HOME, no IMDS.
fn clean_env(home: &std::path::Path) -> Vec<(String, String)> {
    vec![
        ("HOME".into(), home.display().to_string()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        (
            "AWS_CONFIG_FILE".into(),
            home.join(".aws/config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE".into(),
            home.join(".aws/credentials").display().to_string(),
        ),
    ]
}

fn run_clean(args: &[&str], home: &std::path::Path, extra: &[(&str, &str)]) -> Run {
    let started = std::time::Instant::now();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dynameta"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in clean_env(home) {
        cmd.env(k, v);
    }
    cmd.envs(extra.iter().copied());
    let out = cmd.args(args).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// A workflow without keys (credentials from profile or environment).
fn keyless(endpoint: &str, aws_extra: &str) -> String {
    format!(
        "source:\n  type: dynamodb\n  serviceName: s\n  serviceConnection:\n    config:\n      type: DynamoDB\n      awsConfig:\n        awsRegion: us-east-1\n        endPointURL: {endpoint}\n{aws_extra}  sourceConfig:\n    config:\n      type: DatabaseMetadata\n"
    )
}

#[test]
fn all_steps_pass_against_dynamodb_local() {
    let key = unique_access_key("tcpass");
    create_tables(&key, &["probe_table"]);
    let dir = tempfile::tempdir().unwrap();
    let run = test_connection(
        dir.path(),
        &workflow(
            &dynamodb_local().endpoint,
            &key,
            "",
            "",
            &dir.path().join("o.jsonl"),
        ),
    );
    assert_eq!(run.code, 0, "{}", run.output());
    for step in [
        "Resolve credentials",
        "ListTables",
        "DescribeTable",
        "Scan (1 item)",
    ] {
        assert!(
            step_line(&run.stdout, step).contains("PASS"),
            "{step}: {}",
            run.stdout
        );
    }
    assert!(step_line(&run.stdout, "ListTables").contains("1 tables"));
    assert!(
        step_line(&run.stdout, "ListTagsOfResource").contains("WARN"),
        "DynamoDB Local has no tagging"
    );
    // The file sink's health check: the output can be written; nothing is written.
    assert!(
        step_line(&run.stdout, "Output file").contains("PASS"),
        "{}",
        run.stdout
    );
    assert!(!dir.path().join("o.jsonl").exists());
    assert_no_secrets(&run.output(), "test-connection output");
}

#[test]
fn an_output_file_the_sink_cannot_write_fails_its_step() {
    let key = unique_access_key("tcfile");
    create_tables(&key, &["probe_table"]);
    let dir = tempfile::tempdir().unwrap();
    // The output is a directory: the file sink refuses it, and test-connection says so.
    let out = dir.path().join("a_directory");
    std::fs::create_dir(&out).unwrap();
    let run = test_connection(
        dir.path(),
        &workflow(&dynamodb_local().endpoint, &key, "", "", &out),
    );
    assert_eq!(run.code, 1, "{}", run.output());
    let line = step_line(&run.stdout, "Output file");
    assert!(line.contains("FAIL"), "{}", run.stdout);
    assert!(run.stdout.contains("is a directory"), "{}", run.stdout);
    assert!(run.stdout.contains("Result: FAILED"), "{}", run.stdout);
}

#[test]
fn wrong_port_fails_within_seconds_naming_the_step() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    let run = test_connection(
        dir.path(),
        &workflow(
            &endpoint,
            "AKIDWRONGPORT",
            "",
            "",
            &dir.path().join("o.jsonl"),
        ),
    );
    assert_eq!(run.code, 1, "{}", run.output());
    // test-connection tries each call once: a retried call prints its status line
    // ("cannot reach ...; retrying ListTables, attempt 2 of N").
    assert!(!run.stderr.contains("retrying"), "{}", run.stderr);
    let line = step_line(&run.stdout, "ListTables");
    assert!(line.contains("FAIL"), "{}", run.stdout);
    assert!(
        run.stdout.contains("endPointURL"),
        "hint names the key: {}",
        run.stdout
    );
}

#[test]
fn no_credentials_anywhere_fails_naming_credentials() {
    let home = tempfile::tempdir().unwrap();
    // Through a counting proxy: no request may reach DynamoDB without credentials.
    let proxy = FaultProxy::start(&dynamodb_local().endpoint, Vec::new());
    let wf = write(home.path(), "wf.yaml", &keyless(&proxy.endpoint, ""));
    let run = run_clean(
        &["test-connection", "-c", wf.to_str().unwrap()],
        home.path(),
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        step_line(&run.stdout, "Resolve credentials").contains("FAIL"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("CredentialsError"), "{}", run.stdout);
    assert!(step_line(&run.stdout, "ListTables").contains("SKIP"));
    assert_eq!(
        proxy.requests(),
        0,
        "a request was sent without credentials"
    );

    // ingest says so in one line: no SDK dump of every provider, no "rejected".
    let wf = write(
        home.path(),
        "ingest.yaml",
        &format!(
            "{}sink:\n  type: file\n  config:\n    filename: out.jsonl\n",
            keyless(&dynamodb_local().endpoint, "")
        ),
    );
    let run = run_clean(
        &["ingest", "-c", wf.to_str().unwrap(), "--log-format", "json"],
        home.path(),
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.output());
    let failure = summary(&run)["failures"][0].clone();
    assert_eq!(failure["name"], "(credentials)", "{failure}");
    let reason = failure["reason"].as_str().unwrap();
    assert!(reason.contains("none found"), "{reason}");
    assert!(
        !reason.contains("rejected")
            && !reason.contains("dispatch failure")
            && !reason.contains('\n'),
        "{reason}"
    );
}

#[test]
fn named_profile_and_environment_credentials_are_used() {
    let key = unique_access_key("tcprofile");
    create_tables(&key, &["probe_table"]);
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!(
            "[analytics]\naws_access_key_id = {key}\naws_secret_access_key = {SECRET_MARKER}\n"
        ),
    )
    .unwrap();
    let endpoint = &dynamodb_local().endpoint;
    let wf = write(
        home.path(),
        "wf.yaml",
        &keyless(endpoint, "        profileName: analytics\n"),
    );
    let run = run_clean(
        &["test-connection", "-c", wf.to_str().unwrap()],
        home.path(),
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(step_line(&run.stdout, "Resolve credentials").contains("profile `analytics`"));
    // DynamoDB Local namespaces tables by access key: seeing the table proves the key was used.
    assert!(
        step_line(&run.stdout, "ListTables").contains("1 tables"),
        "{}",
        run.stdout
    );
    assert_no_secrets(&run.output(), "profile run");

    let wf = write(home.path(), "wf2.yaml", &keyless(endpoint, ""));
    let run = run_clean(
        &["test-connection", "-c", wf.to_str().unwrap()],
        home.path(),
        &[
            ("AWS_ACCESS_KEY_ID", &key),
            ("AWS_SECRET_ACCESS_KEY", SECRET_MARKER),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(step_line(&run.stdout, "Resolve credentials").contains("default credential chain"));
    assert!(
        step_line(&run.stdout, "ListTables").contains("1 tables"),
        "{}",
        run.stdout
    );
}

#[test]
fn credentials_the_endpoint_rejects_fail_fast_with_a_credentials_hint() {
    // moto_strict authenticates every request, as AWS does: unknown keys are refused.
    let dir = tempfile::tempdir().unwrap();
    // Through a counting proxy: the refusal is final, ListTables is not retried.
    let proxy = FaultProxy::start(&dynameta_testkit::moto_strict().endpoint, Vec::new());
    let endpoint = &proxy.endpoint;
    let run = test_connection(
        dir.path(),
        &workflow(
            endpoint,
            "AKIDNOSUCHUSER",
            "",
            "",
            &dir.path().join("o.jsonl"),
        ),
    );
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        step_line(&run.stdout, "ListTables").contains("FAIL"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("credentials were rejected"),
        "{}",
        run.stdout
    );
    assert_eq!(proxy.requests(), 1, "ListTables sent once, not retried");
    assert_no_secrets(&run.output(), "rejected credentials");
}

#[test]
fn the_tested_table_is_one_the_filters_select() {
    use dynameta_testkit::fault_proxy::{Fault, FaultProxy};
    let key = unique_access_key("tcfilter");
    create_tables(&key, &["aaa_secret", "orders"]);
    // The role may not read aaa_secret, which the filters exclude anyway.
    let proxy = FaultProxy::start(
        &dynamodb_local().endpoint,
        vec![Fault {
            operation: "DescribeTable".into(),
            table: "aaa_secret".into(),
            status: 400,
            code: "AccessDeniedException".into(),
        }],
    );
    let dir = tempfile::tempdir().unwrap();
    let yaml = workflow(
        &proxy.endpoint,
        &key,
        "",
        "      tableFilterPattern:\n        includes: [\"orders\"]",
        &dir.path().join("o.jsonl"),
    );
    let run = test_connection(dir.path(), &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        step_line(&run.stdout, "DescribeTable").contains("table orders"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_selected_table_beyond_the_first_page_is_tested() {
    let key = unique_access_key("tcpages");
    let mut names: Vec<String> = (0..105).map(|i| format!("a{i:03}")).collect();
    names.push("zzz_target".into());
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    create_tables(&key, &refs);
    let dir = tempfile::tempdir().unwrap();
    let yaml = workflow(
        &dynamodb_local().endpoint,
        &key,
        "",
        "      tableFilterPattern:\n        includes: [\"zzz_target\"]",
        &dir.path().join("o.jsonl"),
    );
    let run = test_connection(dir.path(), &yaml);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        step_line(&run.stdout, "ListTables").contains("106 tables in us-east-1, 1 selected"),
        "{}",
        run.stdout
    );
    assert!(
        step_line(&run.stdout, "DescribeTable").contains("table zzz_target"),
        "{}",
        run.stdout
    );
    for step in ["DescribeTimeToLive", "DescribeContinuousBackups"] {
        assert!(!step_line(&run.stdout, step).contains("SKIP"), "{step}");
    }
}

#[test]
fn nothing_to_test_with_is_incomplete_not_a_pass() {
    let key = unique_access_key("tcnone");
    create_tables(&key, &["orders"]);
    let dir = tempfile::tempdir().unwrap();
    for (filter, why) in [
        (
            "      tableFilterPattern:\n        includes: [\"nothing_matches\"]",
            "the filters select none of the 1 tables listed",
        ),
        ("", "DynamoDB listed no table in eu-west-3"),
    ] {
        let mut builder = WorkflowBuilder::new(&dynamodb_local().endpoint, &key)
            .source_lines(filter)
            .file_sink(&dir.path().join("o.jsonl"));
        if filter.is_empty() {
            // DynamoDB Local keeps tables per region: another region has none.
            builder = builder.region("eu-west-3");
        }
        let yaml = builder.yaml();
        let run = test_connection(dir.path(), &yaml);
        assert_eq!(run.code, 1, "{}", run.output());
        for step in ["DescribeTable", "Scan (1 item)", "DescribeTimeToLive"] {
            let line = step_line(&run.stdout, step);
            assert!(line.contains("SKIP") && line.contains(why), "{line}");
        }
        assert!(run.stdout.contains("Result: INCOMPLETE"), "{}", run.stdout);
    }
}

#[test]
fn the_openmetadata_server_and_token_are_checked_for_a_rest_sink() {
    use dynameta_testkit::openmetadata_server::ContractServer;
    let key = unique_access_key("tcrest");
    create_tables(&key, &["orders"]);
    let dir = tempfile::tempdir().unwrap();
    let server = ContractServer::start("2.0.7", Some(JWT_MARKER));
    let rest = |host: &str| {
        WorkflowBuilder::new(&dynamodb_local().endpoint, &key)
            .sink(TestSink::Rest(String::new()))
            .host_port(host)
            .yaml()
    };
    let wf = write(dir.path(), "ok.yaml", &rest(&server.endpoint()));
    let run = dynameta(&["test-connection", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(step_line(&run.stdout, "OpenMetadata server").contains("PASS"));
    assert!(
        step_line(&run.stdout, "OpenMetadata token").contains("does not exist yet"),
        "{}",
        run.stdout
    );
    assert_no_secrets(&run.output(), "rest test-connection");

    // A token the server refuses.
    let other = ContractServer::start("2.0.7", Some("another-token"));
    let wf = write(dir.path(), "bad.yaml", &rest(&other.endpoint()));
    let run = dynameta(&["test-connection", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 1, "{}", run.output());
    let line = step_line(&run.stdout, "OpenMetadata ");
    assert!(line.contains("FAIL"), "{}", run.stdout);
    assert!(run.stdout.contains("Result: FAILED"), "{}", run.stdout);
    assert_no_secrets(&run.output(), "refused token");

    // No server at all.
    let port = dynameta_testkit::free_port();
    let wf = write(
        dir.path(),
        "down.yaml",
        &rest(&format!("http://127.0.0.1:{port}")),
    );
    let run = dynameta(&["test-connection", "-c", wf.to_str().unwrap()], &[]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        step_line(&run.stdout, "OpenMetadata server").contains("FAIL"),
        "{}",
        run.stdout
    );
    assert!(step_line(&run.stdout, "OpenMetadata token").contains("SKIP"));
}

/// A fake DynamoDB endpoint that answers every request with an error echoing the
/// request's session token header back, as a misbehaving proxy or service might.
fn echoing_endpoint() -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut token = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("x-amz-security-token:") {
                    token = line[line.len() - v.len()..].trim().to_string();
                }
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            let _ = std::io::Read::read_exact(&mut reader, &mut body);
            let answer = format!(
                r#"{{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token {token} is invalid."}}"#
            );
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    endpoint
}

#[test]
fn a_session_token_from_a_profile_file_is_never_shown_even_when_echoed() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!(
            "[analytics]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = {SECRET_MARKER}\naws_session_token = {TOKEN_MARKER}\n"
        ),
    )
    .unwrap();
    let wf = write(
        home.path(),
        "wf.yaml",
        &keyless(&echoing_endpoint(), "        profileName: analytics\n"),
    );
    let run = run_clean(
        &["test-connection", "-c", wf.to_str().unwrap()],
        home.path(),
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        step_line(&run.stdout, "ListTables").contains("The security token"),
        "the endpoint's message is shown: {}",
        run.stdout
    );
    assert_no_secrets(&run.output(), "an echoed session token");
}
