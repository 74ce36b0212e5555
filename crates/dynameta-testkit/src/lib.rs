//! Test support for dynameta: real AWS DynamoDB Local and moto servers on loopback,
//! started once per test process, and validation against OpenMetadata's JSON Schemas.
//!
//! Servers are found through `.tools/paths.env`, written by `scripts/install-test-deps`
//! (or the `DYNAMETA_DYNAMODB_LOCAL_DIR` / `DYNAMETA_MOTO_SERVER` variables). Each is
//! run under a tiny shell guard that kills it when the test process exits, however it
//! exits, so no server outlives a test run.

#![forbid(unsafe_code)]

pub mod account_stub;
pub mod fault_proxy;
pub mod openmetadata_server;
pub mod schema;
mod server;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT;
use base64::Engine as _;

/// The test and demo tables, and a client to seed them with, live in their own package
/// (`crates/dynameta-corpus`) so that the demo builds them without the test kit.
pub use dynameta_corpus as corpus;
pub use dynameta_corpus::client;
pub use server::{free_port, Server};

/// The python of the venv holding OpenMetadata's own package (`openmetadata-ingestion`
/// 2.0.7), which runs `scripts/om_oracle.py` (`DYNAMETA_OM_PYTHON` or `.tools/paths.env`).
pub fn om_python() -> String {
    server::tool_path("DYNAMETA_OM_PYTHON")
}

/// The playwright-core package directory (`DYNAMETA_PLAYWRIGHT_CORE` or `.tools/paths.env`;
/// else `.tools/browser/node_modules/playwright-core`, where scripts/install-test-deps puts
/// it) that drives headless Chromium in the report's browser test.
pub fn playwright_core() -> String {
    let default = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.tools/browser/node_modules/playwright-core");
    std::env::var("DYNAMETA_PLAYWRIGHT_CORE").unwrap_or_else(|_| {
        if default.is_dir() {
            default.display().to_string()
        } else {
            server::tool_path("DYNAMETA_PLAYWRIGHT_CORE")
        }
    })
}

/// Headless Chromium for the report's browser test: `DYNAMETA_CHROMIUM`, else Debian's
/// `/usr/bin/chromium` (scripts/install-test-deps installs the `chromium` package).
pub fn chromium() -> String {
    std::env::var("DYNAMETA_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string())
}

/// `scripts/om_oracle.py`: OpenMetadata's models and client as a second oracle.
pub fn om_oracle_script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/om_oracle.py")
}

/// The shared DynamoDB Local of this test process (started on first use).
///
/// DynamoDB Local keeps one namespace per access key id and region, so tests isolate
/// themselves by using [`unique_access_key`].
pub fn dynamodb_local() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        // One instance shared by many test processes (nextest runs each test in its
        // own): tests isolate themselves by access key, which DynamoDB Local treats as
        // a separate namespace, so sharing changes nothing they see.
        if let Ok(endpoint) = std::env::var("DYNAMETA_DYNAMODB_ENDPOINT") {
            return Server::external(&endpoint);
        }
        let dir = server::tool_path("DYNAMETA_DYNAMODB_LOCAL_DIR");
        Server::start("DynamoDB Local", &[], |port| {
            server::dynamodb_local_argv(&dir, port)
        })
    })
}

/// The shared moto server of this test process (STS, DynamoDB with tags and PITR),
/// with request recording on, so tests can check what was sent ([`moto_requests`]).
/// moto keeps state per account; tests isolate themselves with unique names.
pub fn moto() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = start_moto(&[("MOTO_ENABLE_RECORDING", "True")]);
        server::http(
            &server.endpoint,
            "POST",
            "/moto-api/recorder/start-recording",
        );
        server
    })
}

/// A moto server that authenticates every request (`INITIAL_NO_AUTH_ACTION_COUNT=0`):
/// unknown credentials are refused, as real STS refuses them.
pub fn moto_strict() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| start_moto(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]))
}

fn start_moto(env: &[(&str, &str)]) -> Server {
    let bin = server::tool_path("DYNAMETA_MOTO_SERVER");
    Server::start("moto_server", env, |port| {
        vec![
            bin.clone(),
            "-H".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
        ]
    })
}

/// Requests [`moto`] has received so far, decoded: one JSON object per request with
/// `method`, `headers` and the form/JSON `body` as text.
pub fn moto_requests() -> Vec<serde_json::Value> {
    let server = moto();
    let text = server::http(
        &server.endpoint,
        "GET",
        "/moto-api/recorder/download-recording",
    );
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .map(decode_recorded_body)
        .collect()
}

/// moto records bodies as base64 (padded or not); anything else is kept as sent.
fn decode_recorded_body(mut request: serde_json::Value) -> serde_json::Value {
    if let Some(body) = request.get("body").and_then(|b| b.as_str()) {
        let decoded = STANDARD_PAD_INDIFFERENT
            .decode(body)
            .unwrap_or_else(|_| body.as_bytes().to_vec());
        request["body"] = serde_json::Value::String(String::from_utf8_lossy(&decoded).into_owned());
    }
    request
}

/// An access key id no other test in this process uses: a private DynamoDB Local namespace.
pub fn unique_access_key(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let clean: String = prefix
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect::<String>()
        .to_uppercase();
    format!("AKID{clean}{}X{n}", std::process::id())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::decode_recorded_body;

    #[test]
    fn recorded_bodies_are_base64_decoded_padded_or_not_else_kept() {
        for body in [
            "QWN0aW9uPUFzc3VtZVJvbGUmeD0x",
            "QWN0aW9uPUFzc3VtZVJvbGU=",
            "QWN0aW9uPUFzc3VtZVJvbGU",
        ] {
            let decoded = decode_recorded_body(json!({ "method": "POST", "body": body }));
            assert!(
                decoded["body"]
                    .as_str()
                    .unwrap()
                    .starts_with("Action=AssumeRole"),
                "{body}"
            );
            assert_eq!(decoded["method"], "POST");
        }
        let text = json!({ "body": "{\"TableName\": \"t\"}" });
        assert_eq!(decode_recorded_body(text.clone()), text);
        assert_eq!(
            decode_recorded_body(json!({ "body": null })),
            json!({ "body": null })
        );
    }
}
