//! Broken workflow files: each must exit 2 with a message naming the exact key path.

use super::support::{dynameta, write};

const BASE: &str = r#"source:
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
      threads: 2
      tableFilterPattern:
        includes: ["orders.*"]
sink:
  type: file
  config:
    filename: out.jsonl
workflowConfig:
  loggerLevel: INFO
"#;

struct Case {
    name: &'static str,
    yaml: Option<String>,
    args: &'static [&'static str],
    expect: &'static [&'static str],
}

fn edit(from: &str, to: &str) -> Option<String> {
    assert!(BASE.contains(from), "case edits `{from}`, not in BASE");
    Some(BASE.replacen(from, to, 1))
}

fn cases() -> Vec<Case> {
    vec![
        Case { name: "yaml syntax", yaml: Some("source: [\n  type: x\n".into()), args: &[], expect: &["not valid YAML", "line"] },
        Case { name: "not a mapping", yaml: Some("- a\n- b\n".into()), args: &[], expect: &["(top level)"] },
        Case { name: "unknown top-level key", yaml: Some(format!("{BASE}extra: 1\n")), args: &[], expect: &["extra: unknown key"] },
        Case { name: "unknown awsConfig key", yaml: edit("awsRegion: us-east-1", "awsRegion: us-east-1\n        awsRegon: x"), args: &[], expect: &["source.serviceConnection.config.awsConfig.awsRegon", "unknown key"] },
        Case { name: "missing region", yaml: edit("        awsRegion: us-east-1\n", ""), args: &[], expect: &["source.serviceConnection.config.awsConfig.awsRegion", "required", "us-east-1"] },
        Case { name: "empty region", yaml: edit("awsRegion: us-east-1", "awsRegion: \"\""), args: &[], expect: &["source.serviceConnection.config.awsConfig.awsRegion", "must not be empty"] },
        Case { name: "wrong type", yaml: edit("threads: 2", "threads: many"), args: &[], expect: &["source.sourceConfig.config.threads", "invalid type"] },
        Case { name: "bad regex", yaml: edit("includes: [\"orders.*\"]", "includes: [\"ok\", \"orders(\"]"), args: &[], expect: &["source.sourceConfig.config.tableFilterPattern.includes[1]", "regular expression"] },
        Case { name: "unknown sink type", yaml: edit("type: file", "type: kafka"), args: &[], expect: &["sink.type", "metadata-rest"] },
        Case { name: "missing file", yaml: None, args: &[], expect: &["cannot read the workflow file"] },
        Case { name: "env var not set", yaml: edit("awsAccessKeyId: AKIDEXAMPLE", "awsAccessKeyId: ${DYNAMETA_TEST_UNSET_VAR}"), args: &[], expect: &["source.serviceConnection.config.awsConfig.awsAccessKeyId", "DYNAMETA_TEST_UNSET_VAR"] },
        Case { name: "unsupported source", yaml: edit("type: dynamodb", "type: mysql"), args: &[], expect: &["source.type", "dynamodb"] },
        Case { name: "wrong connection type", yaml: edit("type: DynamoDB", "type: Mysql"), args: &[], expect: &["source.serviceConnection.config.type", "DynamoDB"] },
        Case { name: "file sink without filename", yaml: edit("    filename: out.jsonl\n", "    path: x\n"), args: &[], expect: &["sink.config.path", "unknown key"] },
        Case { name: "unknown connection argument", yaml: edit("sampleSize: 10", "sampleSise: 10"), args: &[], expect: &["source.serviceConnection.config.connectionArguments.sampleSise", "sampleSize"] },
        Case { name: "zero sample size", yaml: edit("sampleSize: 10", "sampleSize: 0"), args: &[], expect: &["source.serviceConnection.config.connectionArguments.sampleSize", "out of range", "1 to 1000000"] },
        Case { name: "rest sink without server", yaml: edit("type: file\n  config:\n    filename: out.jsonl", "type: metadata-rest\n  config: {}"), args: &[], expect: &["workflowConfig.openMetadataServerConfig", "hostPort"] },
        Case { name: "key without secret", yaml: edit("        awsSecretAccessKey: not-a-secret\n", ""), args: &[], expect: &["source.serviceConnection.config.awsConfig.awsSecretAccessKey"] },
        Case { name: "bad endpoint", yaml: edit("endPointURL: http://127.0.0.1:9", "endPointURL: localhost:9"), args: &[], expect: &["source.serviceConnection.config.awsConfig.endPointURL", "http://localhost:8000"] },
        Case { name: "profiler file for ingest", yaml: edit("type: DatabaseMetadata", "type: Profiler"), args: &[], expect: &["source.sourceConfig.config.type", "dynameta profile"] },
        Case { name: "missing serviceName", yaml: edit("  serviceName: svc\n", ""), args: &[], expect: &["source.serviceName"] },
        Case { name: "bad logger level", yaml: edit("loggerLevel: INFO", "loggerLevel: LOUD"), args: &[], expect: &["workflowConfig.loggerLevel", "unknown variant"] },
        Case { name: "missing sourceConfig", yaml: edit("  sourceConfig:\n    config:\n      type: DatabaseMetadata\n      threads: 2\n      tableFilterPattern:\n        includes: [\"orders.*\"]\n", ""), args: &[], expect: &["source.sourceConfig", "required"] },
        Case { name: "bad role arn", yaml: edit("awsRegion: us-east-1", "awsRegion: us-east-1\n        assumeRoleArn: my-role"), args: &[], expect: &["source.serviceConnection.config.awsConfig.assumeRoleArn", "arn:aws:iam::"] },
        Case { name: "unknown cli flag", yaml: Some(BASE.into()), args: &["--frobnicate"], expect: &["--frobnicate"] },
        Case { name: "quote in databaseName", yaml: edit("      connectionArguments:\n", "      databaseName: 'a\"b'\n      connectionArguments:\n"), args: &[], expect: &["source.serviceConnection.config.databaseName", "`\"`"] },
        Case { name: "serviceName too long", yaml: edit("serviceName: svc", &format!("serviceName: {}", "s".repeat(300))), args: &[], expect: &["source.serviceName", "300 characters", "at most 256"] },
        Case { name: "databaseName too long", yaml: edit("      connectionArguments:\n", &format!("      databaseName: {}\n      connectionArguments:\n", "d".repeat(257))), args: &[], expect: &["source.serviceConnection.config.databaseName", "257 characters", "at most 256"] },
        Case { name: "awsConfig as a string", yaml: edit("awsConfig:\n        awsAccessKeyId: AKIDEXAMPLE\n        awsSecretAccessKey: not-a-secret\n        awsRegion: us-east-1\n        endPointURL: http://127.0.0.1:9", "awsConfig: \"not-a-secret\""), args: &[], expect: &["source.serviceConnection.config.awsConfig", "not shown"] },
        Case { name: "bad extraHeaders name", yaml: edit("  loggerLevel: INFO\n", "  loggerLevel: INFO\n  openMetadataServerConfig:\n    hostPort: http://localhost:8585/api\n    authProvider: openmetadata\n    securityConfig:\n      jwtToken: t\n    extraHeaders:\n      \"X Bad\": v\n"), args: &[], expect: &["workflowConfig.openMetadataServerConfig.extraHeaders.X Bad", "not an HTTP header name"] },
        Case { name: "bad extraHeaders value", yaml: edit("  loggerLevel: INFO\n", "  loggerLevel: INFO\n  openMetadataServerConfig:\n    hostPort: http://localhost:8585/api\n    authProvider: openmetadata\n    securityConfig:\n      jwtToken: t\n    extraHeaders:\n      X-Ok: \"not-a-secret\\r\\nX-Injected: 1\"\n"), args: &[], expect: &["workflowConfig.openMetadataServerConfig.extraHeaders.X-Ok", "not a valid HTTP header value"] },
    ]
}

#[test]
fn every_broken_config_exits_2_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    assert!(cases.len() >= 15);
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let path = match &case.yaml {
            Some(text) => write(dir.path(), &format!("case{i}.yaml"), text),
            None => dir.path().join("does-not-exist.yaml"),
        };
        let path = path.to_string_lossy().into_owned();
        let mut args = vec!["ingest", "-c", path.as_str()];
        args.extend_from_slice(case.args);
        let run = dynameta(&args, &[]);
        let missing: Vec<_> = case
            .expect
            .iter()
            .filter(|e| !run.stderr.contains(*e))
            .collect();
        if run.code != 2 || !missing.is_empty() {
            failures.push(format!(
                "{}: exit {} (want 2), missing {missing:?} in stderr:\n{}",
                case.name, run.code, run.stderr
            ));
        }
        assert!(
            !run.output().contains("not-a-secret"),
            "{}: secret in output",
            case.name
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

#[test]
fn every_subcommand_has_help_with_an_example() {
    for sub in ["ingest", "profile", "classify", "test-connection"] {
        let run = dynameta(&[sub, "--help"], &[]);
        assert_eq!(run.code, 0, "{sub} --help");
        assert!(run.stdout.contains("Example:"), "{sub}: {}", run.stdout);
        assert!(run.stdout.contains(&format!("dynameta {sub} -c")), "{sub}");
    }
}
