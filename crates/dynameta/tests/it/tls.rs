//! HTTPS to OpenMetadata: the contract server serves a certificate signed by a CA it
//! generates; `verifySSL` / `sslConfig.caCertificate` decide whether dynameta trusts it.

use dynameta_testkit::openmetadata_server::ContractServer;
use dynameta_testkit::{dynamodb_local, unique_access_key};

use super::support::*;

/// An ingest workflow publishing to `server` with `tls` (YAML lines indented for
/// `openMetadataServerConfig`) added to the server block.
fn tls_workflow(key: &str, server: &ContractServer, tls: &str) -> String {
    WorkflowBuilder::new(&dynamodb_local().endpoint, key)
        .rest_sink(&server.endpoint())
        .server_lines(tls)
        .yaml()
}

fn https_server() -> ContractServer {
    let server = ContractServer::start_tls("2.0.7", Some(JWT_MARKER));
    assert!(server.endpoint().starts_with("https://"));
    server
}

#[test]
fn validate_with_the_servers_ca_publishes() {
    let key = unique_access_key("tls-ca");
    create_tables(&key, &["orders", "users"]);
    let server = https_server();
    let ca = server.ca_file().unwrap().display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let tls = format!("    verifySSL: validate\n    sslConfig:\n      caCertificate: {ca}\n");
    let run = ingest_json(dir.path(), "wf.yaml", &tls_workflow(&key, &server, &tls));
    assert_eq!(run.code, 0, "{}", run.output());
    let mut names: Vec<String> = server
        .entities("table")
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["orders", "users"]);
    assert_no_secrets(&run.output(), "validated TLS run");
}

#[test]
fn validate_without_the_ca_fails_naming_the_key_to_set() {
    let key = unique_access_key("tls-noca");
    create_tables(&key, &["orders"]);
    let server = https_server();
    let dir = tempfile::tempdir().unwrap();
    let run = ingest_json(
        dir.path(),
        "wf.yaml",
        &tls_workflow(&key, &server, "    verifySSL: validate\n"),
    );
    assert_eq!(run.code, 2, "{}", run.output());
    let output = run.output();
    assert!(
        output.contains("TLS certificate of the OpenMetadata server")
            && output.contains("UnknownIssuer")
            && output.contains("sslConfig.caCertificate"),
        "{output}"
    );
    // Refused certificates are final: no request got through, none was retried into a
    // misleading "unreachable".
    assert!(server.requests().is_empty());
    assert!(server.entities("table").is_empty());
    assert!(
        !output.contains("Check workflowConfig.openMetadataServerConfig.hostPort"),
        "{output}"
    );
    assert_no_secrets(&output, "refused TLS run");
}

#[test]
fn ignore_publishes_to_a_server_whose_ca_is_unknown() {
    let key = unique_access_key("tls-ignore");
    create_tables(&key, &["orders"]);
    let server = https_server();
    let dir = tempfile::tempdir().unwrap();
    let run = ingest_json(
        dir.path(),
        "wf.yaml",
        &tls_workflow(&key, &server, "    verifySSL: ignore\n"),
    );
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(server.entities("table").len(), 1);
}
