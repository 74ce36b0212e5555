use std::path::Path;

use super::*;

const MINIMAL: &str = r#"
source:
  type: dynamodb
  serviceName: local_dynamodb
  serviceConnection:
    config:
      type: DynamoDB
      awsConfig:
        awsAccessKeyId: ${KEY_ID}
        awsSecretAccessKey: ${SECRET}
        awsRegion: us-east-1
        endPointURL: http://127.0.0.1:8000
  sourceConfig:
    config:
      type: DatabaseMetadata
      tableFilterPattern:
        includes: ["orders.*"]
sink:
  type: file
  config:
    filename: out.jsonl
"#;

fn env(name: &str) -> Option<String> {
    match name {
        "KEY_ID" => Some("AKIDEXAMPLE".into()),
        "SECRET" => Some("s3cr3t-value".into()),
        _ => None,
    }
}

#[test]
fn minimal_file_resolves_with_defaults() {
    let wf = parse(MINIMAL, Path::new("wf.yaml"), Command::Ingest, &env).unwrap();
    assert_eq!(wf.service_name, "local_dynamodb");
    assert_eq!(wf.database_name, "default");
    assert_eq!(wf.options.sample_size, 1000);
    assert_eq!(wf.aws().aws_access_key_id.as_deref(), Some("AKIDEXAMPLE"));
    assert_eq!(
        wf.aws().aws_secret_access_key.as_ref().map(|s| s.expose()),
        Some("s3cr3t-value")
    );
    assert!(wf.filters.table.excludes("users"));
    assert!(!wf.filters.table.excludes("orders_v2"));
    assert!(matches!(wf.sink, Some(SinkConfig::File(ref f)) if f.filename == "out.jsonl"));
    assert!(wf.server.is_none(), "a file sink needs no server");
}

#[test]
fn debug_output_masks_secrets() {
    let wf = parse(MINIMAL, Path::new("wf.yaml"), Command::Ingest, &env).unwrap();
    let debug = format!("{wf:?}");
    assert!(!debug.contains("s3cr3t-value"), "{debug}");
    assert!(debug.contains(crate::secret::MASK));
}

#[test]
fn profiler_file_is_refused_by_ingest_with_the_right_command() {
    let text = MINIMAL.replace("type: DatabaseMetadata", "type: Profiler");
    let err = parse(&text, Path::new("wf.yaml"), Command::Ingest, &env).unwrap_err();
    assert_eq!(err.key(), Some("source.sourceConfig.config.type"));
    assert!(err.to_string().contains("dynameta profile"), "{err}");
}

#[test]
fn connection_arguments_are_typed_and_checked() {
    let text = MINIMAL.replace(
        "        endPointURL: http://127.0.0.1:8000\n",
        "        endPointURL: http://127.0.0.1:8000\n      connectionArguments:\n        sampleSize: 50\n        sampleSegments: 4\n",
    );
    let wf = parse(&text, Path::new("wf.yaml"), Command::Ingest, &env).unwrap();
    assert_eq!(wf.options.sample_size, 50);
    assert_eq!(wf.options.sample_segments, 4);
}
