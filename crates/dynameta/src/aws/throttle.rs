//! Counting throttled DynamoDB requests and saying when requests are retried. The SDK
//! retries them with backoff (up to `maxAttempts`, then [`super::ThrottleRetry`] for
//! throttling); this interceptor counts throttled attempts, so the run summary can say
//! how often DynamoDB pushed back, and prints a status line (at most one every few
//! seconds) while attempts are throttled or cannot reach the endpoint, so a slow run
//! is not a silent one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_types::retry::RetryConfig;

/// Error codes DynamoDB answers when it throttles.
const THROTTLE_CODES: [&[u8]; 4] = [
    b"ProvisionedThroughputExceededException",
    b"ThrottlingException",
    b"RequestLimitExceeded",
    b"LimitExceededException",
];

/// Counts attempts DynamoDB answered with a throttling error (shared by clones), and
/// reports retries.
#[derive(Debug, Clone, Default)]
pub struct ThrottleCounter {
    count: Arc<AtomicU64>,
    /// Where requests go, for the status line (`http://…` or `DynamoDB in us-east-1`).
    target: Arc<str>,
}

impl ThrottleCounter {
    /// A counter for requests sent to `target`.
    pub fn new(target: impl Into<Arc<str>>) -> ThrottleCounter {
        ThrottleCounter {
            count: Arc::default(),
            target: target.into(),
        }
    }

    /// Throttled attempts so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

/// True when a DynamoDB error answer's body names a throttling error.
pub fn is_throttle_body(body: &[u8]) -> bool {
    THROTTLE_CODES
        .iter()
        .any(|code| body.windows(code.len()).any(|w| w == *code))
}

/// True when `code` (an AWS error code) is a throttling error.
pub fn is_throttle_code(code: &str) -> bool {
    THROTTLE_CODES.contains(&code.as_bytes())
}

impl Intercept for ThrottleCounter {
    fn name(&self) -> &'static str {
        "ThrottleCounter"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        let attempts = cfg.load::<RetryConfig>().map_or(1, |r| r.max_attempts());
        let operation = cfg.load::<Metadata>().map_or("request", |m| m.name());
        let throttled = context.response().is_some_and(|response| {
            matches!(response.status().as_u16(), 400 | 429)
                && response.body().bytes().is_some_and(is_throttle_body)
        });
        if throttled {
            let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
            if attempt < attempts {
                super::notice::retrying(format_args!(
                    "DynamoDB is throttling requests ({n} throttled so far, latest {operation}); retrying with backoff"
                ));
            }
            return Ok(());
        }
        if attempt >= attempts {
            return Ok(());
        }
        if let Some(Err(e)) = context.output_or_error() {
            if e.is_connector_error() || e.is_timeout_error() {
                let detail = super::error_chain(e);
                super::notice::retrying(format_args!(
                    "cannot reach {} ({detail}); retrying {operation}, attempt {} of {attempts}",
                    self.target,
                    attempt + 1
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_dynamodb_throttling_bodies() {
        let body = br#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}"#;
        assert!(is_throttle_body(body));
        assert!(is_throttle_body(br#"{"__type":"ThrottlingException"}"#));
        assert!(!is_throttle_body(
            br#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"}"#
        ));
        assert!(is_throttle_code("ProvisionedThroughputExceededException"));
        assert!(is_throttle_code("ThrottlingException"));
        assert!(!is_throttle_code("ResourceNotFoundException"));
    }
}
