//! The REST sink's settings: `workflowConfig.openMetadataServerConfig` plus the sink's
//! own `config` (batching, concurrency, retries).

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::config::{decode, in_range, ConfigError, OpenMetadataServerConfig};
use crate::secret::Secret;

/// `sink.config` for `type: metadata-rest`, with the server it publishes to.
#[derive(Debug, Clone)]
pub struct RestSinkConfig {
    /// `workflowConfig.openMetadataServerConfig`.
    pub server: OpenMetadataServerConfig,
    /// The sink's own settings.
    pub options: RestSinkOptions,
}

/// `sink.config` keys of the `metadata-rest` sink (all optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RestSinkOptions {
    /// Entities per bulk request (default 100).
    pub bulk_size: Option<u32>,
    /// Requests in flight at once against 1.x servers (default 8).
    pub concurrency: Option<u32>,
    /// Attempts per request on 429, 5xx, timeouts and dropped connections (default 6).
    pub max_attempts: Option<u32>,
    /// First retry backoff in milliseconds, doubled per attempt with jitter (default 200).
    pub retry_base_millis: Option<u64>,
    /// Longest backoff, and longest `Retry-After` honoured, in milliseconds (default 10000).
    pub retry_cap_millis: Option<u64>,
    /// Timeout of one request attempt in seconds (default 60).
    pub timeout_seconds: Option<f64>,
}

impl RestSinkConfig {
    /// Parses `sink.config` (ranges checked); the sink needs `server`.
    pub fn parse(
        config: Value,
        server: Option<&OpenMetadataServerConfig>,
    ) -> Result<RestSinkConfig, ConfigError> {
        let options: RestSinkOptions = decode(config, "sink.config")?;
        options.check()?;
        let Some(server) = server else {
            return Err(ConfigError::invalid(
                "workflowConfig.openMetadataServerConfig",
                "required by `sink: {type: metadata-rest}`. Add `hostPort`, `authProvider: openmetadata` and `securityConfig: {jwtToken: ...}`.",
            ));
        };
        Ok(RestSinkConfig {
            server: server.clone(),
            options,
        })
    }

    /// The client settings.
    pub fn client(&self) -> RestConfig {
        RestConfig::new(&self.server, &self.options)
    }
}

impl RestSinkOptions {
    fn check(&self) -> Result<(), ConfigError> {
        let key = |name: &str| format!("sink.config.{name}");
        if let Some(v) = self.bulk_size {
            in_range(&key("bulkSize"), v, 1, 1000, "entities per bulk request")?;
        }
        if let Some(v) = self.concurrency {
            in_range(&key("concurrency"), v, 1, 64, "requests in flight")?;
        }
        if let Some(v) = self.max_attempts {
            in_range(&key("maxAttempts"), v, 1, 100, "attempts per request")?;
        }
        if let Some(v) = self.retry_base_millis {
            in_range(&key("retryBaseMillis"), v, 1, 60_000, "milliseconds")?;
        }
        if let Some(v) = self.retry_cap_millis {
            let lo = self.retry_base_millis.unwrap_or(1).max(1);
            in_range(
                &key("retryCapMillis"),
                v,
                lo,
                3_600_000,
                "milliseconds, at least retryBaseMillis",
            )?;
        }
        if let Some(v) = self.timeout_seconds {
            in_range(
                &key("timeoutSeconds"),
                v,
                0.1,
                3600.0,
                "seconds per request attempt",
            )?;
        }
        Ok(())
    }
}

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
    pub fn new(server: &OpenMetadataServerConfig, sink: &RestSinkOptions) -> RestConfig {
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
            let c = RestConfig::new(&server(host), &RestSinkOptions::default());
            assert_eq!(c.base, "http://om:8585/api", "{host}");
        }
    }
}
