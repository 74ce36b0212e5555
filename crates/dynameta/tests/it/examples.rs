//! The example workflow files validate against OpenMetadata's upstream `workflow.json`,
//! and dynameta accepts them.

use std::path::Path;

use dynameta::config::{self, Command};
use dynameta_testkit::schema;

fn example_files() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn fake_env(name: &str) -> Option<String> {
    Some(match name {
        n if n.ends_with("ENDPOINT") => "http://127.0.0.1:8000".into(),
        _ => format!("value-of-{name}"),
    })
}

#[test]
fn examples_validate_upstream_and_load() {
    let files = example_files();
    assert!(files.len() >= 3, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let yaml: serde_norway::Value = serde_norway::from_str(&text).unwrap();
        let mut value = serde_json::to_value(yaml).unwrap();
        config::substitute_with(&mut value, "", &fake_env).unwrap();
        // File and local sinks need no `workflowConfig`; OpenMetadata's schema requires
        // one, so such an example is checked with the minimal one added (its source and
        // sink must still be what OpenMetadata accepts).
        if value.get("workflowConfig").is_none() {
            let sink = value.pointer("/sink/type").and_then(|t| t.as_str());
            assert!(
                matches!(sink, Some("local") | Some("file")),
                "{}: only file and local sinks may leave out workflowConfig",
                file.display()
            );
            value["workflowConfig"] = serde_json::json!({"openMetadataServerConfig": {
                "hostPort": "http://localhost:8585/api", "authProvider": "openmetadata",
                "securityConfig": {"jwtToken": "unused"}}});
        }
        if let Err(errors) = schema::validate("workflow.json", &value) {
            panic!(
                "{} is not a valid OpenMetadata workflow:\n{}",
                file.display(),
                errors.join("\n")
            );
        }
        let command = match value
            .pointer("/source/sourceConfig/config/type")
            .and_then(|t| t.as_str())
        {
            Some("Profiler") => Command::Profile,
            Some("AutoClassification") => Command::Classify,
            Some("TestSuite") => Command::Test,
            Some("DatabaseLineage") => Command::Lineage,
            Some("DatabaseUsage") => Command::Usage,
            _ => Command::Ingest,
        };
        config::parse(&text, &file, command, &fake_env)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
}

#[test]
fn upstream_validation_catches_what_it_should() {
    // The check above could pass vacuously if the schema accepted anything.
    let bad = serde_json::json!({
        "source": {"type": "dynamodb", "serviceName": "s", "serviceConnection": {"config": {
            "type": "DynamoDB", "awsConfig": {"awsRegion": "us-east-1", "sampleSize": 5}}},
            "sourceConfig": {"config": {"type": "DatabaseMetadata"}}},
        "workflowConfig": {"openMetadataServerConfig": {"hostPort": "http://x/api"}}
    });
    assert!(schema::validate("workflow.json", &bad).is_err());
}
