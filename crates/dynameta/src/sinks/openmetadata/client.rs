//! The OpenMetadata REST client: bearer token, TLS settings, and retries with
//! exponential backoff and full jitter on 429, 5xx, timeouts and dropped connections
//! (honouring `Retry-After`); other 4xx answers are final.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::config::{RestConfig, Tls};

/// Why a call to OpenMetadata failed.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// No connection could be made.
    #[error("cannot reach the OpenMetadata server at {url}: {detail}. Check workflowConfig.openMetadataServerConfig.hostPort and that the server is up.")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// The transport error.
        detail: String,
    },
    /// 401 or 403.
    #[error("the OpenMetadata server refused the token ({status} on {method} {path}). Check workflowConfig.openMetadataServerConfig.securityConfig.jwtToken: it must be a valid, unexpired token of a bot allowed to create and edit entities.")]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// HTTP method.
        method: String,
        /// Path called.
        path: String,
    },
    /// `markDeletedTables` would soft-delete more than half of a schema's tables.
    #[error("{stale} of the {known} tables of {schema} are no longer listed by DynamoDB: soft-deleting more than half of a schema at once is refused, since a wrong region, account, endpoint or filter looks exactly like that. If those tables really were deleted, rerun with --allow-mass-delete")]
    MassDeletion {
        /// The schema.
        schema: String,
        /// Tables that would be soft-deleted.
        stale: usize,
        /// Tables of the schema in OpenMetadata.
        known: usize,
    },
    /// The server is a version dynameta does not publish to.
    #[error("OpenMetadata server version {found} is not supported: dynameta publishes to OpenMetadata 1.9 and 2.x. Upgrade the server or use the file sink.")]
    IncompatibleVersion {
        /// The version the server reported.
        found: String,
    },
    /// A final error answer (4xx other than 401/403/429).
    #[error("{method} {path} answered {status}: {message}")]
    Status {
        /// HTTP method.
        method: String,
        /// Path called.
        path: String,
        /// HTTP status.
        status: u16,
        /// The server's `message`.
        message: String,
    },
    /// Retries ran out on a retryable problem.
    #[error("{method} {path} failed after {attempts} attempts: {detail}")]
    Exhausted {
        /// HTTP method.
        method: String,
        /// Path called.
        path: String,
        /// Attempts made.
        attempts: u32,
        /// The last problem.
        detail: String,
    },
    /// The server's TLS certificate was refused (unknown CA, wrong name, expired...).
    #[error("the TLS certificate of the OpenMetadata server at {url} was refused: {detail}. If the server's certificate is signed by a private CA, set workflowConfig.openMetadataServerConfig.sslConfig.caCertificate to that CA's PEM file (with verifySSL: validate); verifySSL: ignore skips the check, for test servers only.")]
    Certificate {
        /// The URL tried.
        url: String,
        /// What the TLS layer said about the certificate.
        detail: String,
    },
    /// Bad TLS settings.
    #[error("workflowConfig.openMetadataServerConfig.sslConfig: {0}")]
    Tls(String),
}

impl RestError {
    /// HTTP status of a final error answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            RestError::Status { status, .. } | RestError::Unauthorized { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }
}

/// A JSON answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status (2xx).
    pub status: u16,
    /// Parsed body (`Null` when empty or not JSON).
    pub body: Value,
}

/// OpenMetadata REST client.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<RestConfig>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.config.base)
            .finish()
    }
}

impl Client {
    /// Builds the client (no request is made).
    pub fn new(config: RestConfig) -> Result<Client, RestError> {
        let http = tls_options(reqwest::Client::builder(), &config.tls)?
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(config.concurrency.max(1))
            .build()
            .map_err(build_error)?;
        Ok(Client {
            http,
            config: Arc::new(config),
        })
    }

    /// The settings.
    pub fn config(&self) -> &RestConfig {
        &self.config
    }

    /// Sends `method path?query` with an optional JSON body, retrying what can be
    /// retried. `path` starts with `/v1/`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        content_type: &str,
    ) -> Result<Answer, RestError> {
        let attempts = self.config.max_attempts.max(1);
        self.send_attempts(method, path, query, body, content_type, attempts)
            .await
    }

    /// [`Client::send`] with at most `attempts` tries: 1 for requests that are not
    /// idempotent (a JSON Patch that appends), whose caller re-reads and recomputes.
    pub async fn send_attempts(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        content_type: &str,
        attempts: u32,
    ) -> Result<Answer, RestError> {
        let mut url = format!("{}{path}", self.config.base);
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&crate::openmetadata::fqn::url_encode(k));
            url.push('=');
            url.push_str(&crate::openmetadata::fqn::url_encode(v));
        }
        let payload = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
        let attempts = attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            let mut request = self
                .http
                .request(method.clone(), &url)
                .header("Accept", "application/json");
            if let Some(jwt) = &self.config.jwt {
                request = request.bearer_auth(jwt.expose());
            }
            for (k, v) in &self.config.extra_headers {
                request = request.header(k, v);
            }
            if let Some(bytes) = &payload {
                request = request
                    .header("Content-Type", content_type)
                    .body(bytes.clone());
            }
            let mut retry_after = None;
            match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    retry_after = response
                        .headers()
                        .get("Retry-After")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let text = response.text().await;
                    match text {
                        Ok(text) if status.is_success() => {
                            return Ok(Answer {
                                status: status.as_u16(),
                                body: serde_json::from_str(&text).unwrap_or(Value::Null),
                            })
                        }
                        Ok(text) => {
                            if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN
                            {
                                return Err(RestError::Unauthorized {
                                    status: status.as_u16(),
                                    method: method.to_string(),
                                    path: path.to_string(),
                                });
                            }
                            let message = serde_json::from_str::<Value>(&text)
                                .ok()
                                .and_then(|v| {
                                    v.get("message").and_then(Value::as_str).map(str::to_string)
                                })
                                .unwrap_or_else(|| text.chars().take(500).collect());
                            if !retryable(status) {
                                return Err(RestError::Status {
                                    method: method.to_string(),
                                    path: path.to_string(),
                                    status: status.as_u16(),
                                    message,
                                });
                            }
                            last = format!("{}: {message}", status.as_u16());
                        }
                        Err(e) => last = format!("reading the answer: {e}"),
                    }
                }
                Err(e) => {
                    // Another attempt gets the same certificate: this is final.
                    if let Some(detail) = refused_certificate(&e) {
                        return Err(RestError::Certificate {
                            url: url.clone(),
                            detail,
                        });
                    }
                    if e.is_connect() && attempt == attempts {
                        return Err(RestError::Unreachable {
                            url: url.clone(),
                            detail: crate::aws::error_chain(&e),
                        });
                    }
                    last = crate::aws::error_chain(&e);
                }
            }
            if attempt < attempts {
                let wait = retry_after
                    .map(|d| d.min(self.config.retry_cap))
                    .unwrap_or_else(|| self.backoff(attempt));
                tracing::debug!(%method, path, attempt, wait_ms = wait.as_millis() as u64, problem = %last, "retrying");
                tokio::time::sleep(wait).await;
            }
        }
        Err(RestError::Exhausted {
            method: method.to_string(),
            path: path.to_string(),
            attempts,
            detail: last,
        })
    }

    /// The wait before retrying after `attempt` (1-based): exponential from
    /// `retryBaseMillis`, capped at `retryCapMillis`, jittered between 10 % and all of
    /// the ceiling (the one backoff of dynameta's retry loops: [`crate::aws::Delays`]).
    pub fn backoff(&self, attempt: u32) -> Duration {
        crate::aws::Delays {
            base: self.config.retry_base,
            cap: self.config.retry_cap,
            floor: 0.1,
        }
        .wait(attempt.saturating_sub(1))
    }
}

fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// Applies `verifySSL` / `sslConfig` with reqwest's own options. Roots: the platform's
/// (reqwest's rustls-platform-verifier), plus `caCertificate` when given.
fn tls_options(
    builder: reqwest::ClientBuilder,
    tls: &Tls,
) -> Result<reqwest::ClientBuilder, RestError> {
    // reqwest is built without a crypto provider of its own (`rustls-no-provider`, so no
    // aws-lc next to the ring the AWS client uses) and takes the process default: make
    // that ring unless something installed one already (then that one is used).
    let _ = rustls::crypto::ring::default_provider().install_default();
    match tls {
        Tls::Ignore => Ok(builder.danger_accept_invalid_certs(true)),
        Tls::Validate {
            ca_certificate: None,
        } => Ok(builder),
        Tls::Validate {
            ca_certificate: Some(path),
        } => {
            // A regular file of at most 1 MiB (a CA bundle is a few KiB), opened without
            // blocking: a FIFO or a device named here never hangs the run.
            let pem = dynameta_fs::input::read_capped(
                std::path::Path::new(path),
                "CA certificate",
                1 << 20,
            )
            .map_err(|e| {
                RestError::Tls(format!(
                    "caCertificate {path}: cannot read it ({e}); set it to a readable PEM file of the CA that signed the server's certificate"
                ))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                RestError::Tls(format!(
                    "caCertificate {path}: not a PEM certificate ({e}); set it to a PEM file (-----BEGIN CERTIFICATE-----) of the CA that signed the server's certificate"
                ))
            })?;
            if certs.is_empty() {
                return Err(RestError::Tls(format!(
                    "caCertificate {path}: holds no certificate; set it to a PEM file (-----BEGIN CERTIFICATE-----) of the CA that signed the server's certificate"
                )));
            }
            Ok(builder.tls_certs_merge(certs))
        }
    }
}

/// reqwest could not set up TLS: in practice a `caCertificate` whose PEM holds bytes
/// that are not a certificate.
fn build_error(error: reqwest::Error) -> RestError {
    RestError::Tls(format!(
        "cannot set up TLS: {}; check that caCertificate is a PEM file of CA certificates",
        crate::aws::error_chain(&error)
    ))
}

/// What rustls said when it refused the server's certificate, if that is why `error`
/// happened. `io::Error::source` skips the error it wraps (and the connector wraps
/// tokio-rustls' `io::Error` in another), so an `io::Error` is followed into what it
/// wraps with `get_ref`.
fn refused_certificate(error: &reqwest::Error) -> Option<String> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(tls @ rustls::Error::InvalidCertificate(_)) = e.downcast_ref::<rustls::Error>()
        {
            return Some(tls.to_string());
        }
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(tls: Tls) -> Result<reqwest::Client, RestError> {
        tls_options(reqwest::Client::builder(), &tls)?
            .build()
            .map_err(build_error)
    }

    #[test]
    fn a_missing_ca_certificate_names_the_key_and_file() {
        let text = options(Tls::Validate {
            ca_certificate: Some("/nonexistent/ca.pem".into()),
        })
        .unwrap_err()
        .to_string();
        assert!(
            text.contains("sslConfig: caCertificate /nonexistent/ca.pem: cannot read it"),
            "{text}"
        );
        assert!(options(Tls::Ignore).is_ok());
        assert!(options(Tls::Validate {
            ca_certificate: None
        })
        .is_ok());
    }

    #[test]
    fn a_ca_certificate_that_is_not_pem_says_so() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("empty.pem", "just some text\n"),
            (
                "broken.pem",
                "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n",
            ),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            let path = path.display().to_string();
            let err = options(Tls::Validate {
                ca_certificate: Some(path.clone()),
            })
            .unwrap_err()
            .to_string();
            assert!(
                err.contains(&format!("sslConfig: caCertificate {path}: "))
                    && err.contains("PEM file"),
                "{name}: {err}"
            );
        }
    }
}
