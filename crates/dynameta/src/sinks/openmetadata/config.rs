//! The REST sink's settings: `workflowConfig.openMetadataServerConfig` plus the sink's
//! own `config` (batching, concurrency, retries).

use std::time::Duration;

use crate::config::{OpenMetadataServerConfig, RestSinkConfig};
use crate::secret::Secret;

/// How TLS certificates of the server are checked (`verifySSL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// `no-ssl` (OpenMetadata's default) and `validate`: system roots, plus `caCertificate` when given.
    Validate {
        /// PEM file with extra CA certificates (`sslConfig.caCertificate`).
        ca_certificate: Option<String>,
    },
    /// `ignore`: accept any certificate (test servers only).
    Ignore,
}

/// Everything the REST client needs.
#[derive(Debug, Clone)]
pub struct RestConfig {
    /// Base URL ending in `/api` (without a trailing `/`).
    pub base: String,
    /// Bearer token.
    pub jwt: Option<Secret>,
    /// Certificate checking.
    pub tls: Tls,
    /// Extra headers sent with every request.
    pub extra_headers: Vec<(String, String)>,
    /// Entities per bulk request.
    pub bulk_size: usize,
    /// Requests in flight at once (per-entity mode).
    pub concurrency: usize,
    /// Attempts per request (1 = no retry).
    pub max_attempts: u32,
    /// First backoff; doubles per attempt, with full jitter.
    pub retry_base: Duration,
    /// Longest backoff (and longest `Retry-After` honoured).
    pub retry_cap: Duration,
    /// Timeout of one request attempt.
    pub timeout: Duration,
}

impl RestConfig {
    /// Builds the client settings from the workflow's server block and sink config.
    pub fn new(server: &OpenMetadataServerConfig, sink: &RestSinkConfig) -> RestConfig {
        let host = server.host_port.trim().trim_end_matches('/');
        let base = if host.ends_with("/api") {
            host.to_string()
        } else {
            format!("{host}/api")
        };
        let tls = match server.verify_ssl.as_deref() {
            Some("ignore") => Tls::Ignore,
            _ => Tls::Validate {
                ca_certificate: server
                    .ssl_config
                    .as_ref()
                    .and_then(|c| c.get("caCertificate"))
                    .and_then(|c| c.as_str())
                    .map(str::to_string),
            },
        };
        RestConfig {
            base,
            jwt: server.security_config.as_ref().map(|s| s.jwt_token.clone()),
            tls,
            extra_headers: server
                .extra_headers
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            bulk_size: sink.bulk_size.map_or(100, |n| n as usize),
            concurrency: sink.concurrency.map_or(8, |n| n as usize),
            max_attempts: sink.max_attempts.unwrap_or(6),
            retry_base: Duration::from_millis(sink.retry_base_millis.unwrap_or(200)),
            retry_cap: Duration::from_millis(sink.retry_cap_millis.unwrap_or(10_000)),
            timeout: Duration::from_secs_f64(sink.timeout_seconds.unwrap_or(60.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(host: &str) -> OpenMetadataServerConfig {
        serde_json::from_value(serde_json::json!({"hostPort": host})).unwrap()
    }

    #[test]
    fn host_port_with_or_without_api() {
        for host in [
            "http://om:8585/api",
            "http://om:8585/api/",
            "http://om:8585",
            "http://om:8585/",
        ] {
            let c = RestConfig::new(&server(host), &RestSinkConfig::default());
            assert_eq!(c.base, "http://om:8585/api", "{host}");
        }
    }
}
