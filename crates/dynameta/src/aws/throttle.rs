//! Counting throttled DynamoDB requests. The SDK retries them with backoff (up to
//! `maxAttempts`); this interceptor only counts them, so the run summary can say how
//! often DynamoDB pushed back.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};

/// Error codes DynamoDB answers when it throttles.
const THROTTLE_CODES: [&[u8]; 4] = [
    b"ProvisionedThroughputExceededException",
    b"ThrottlingException",
    b"RequestLimitExceeded",
    b"LimitExceededException",
];

/// Counts attempts DynamoDB answered with a throttling error (shared by clones).
#[derive(Debug, Clone, Default)]
pub struct ThrottleCounter(Arc<AtomicU64>);

impl ThrottleCounter {
    /// Throttled attempts so far.
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// True when a DynamoDB error answer's body names a throttling error.
pub fn is_throttle_body(body: &[u8]) -> bool {
    THROTTLE_CODES
        .iter()
        .any(|code| body.windows(code.len()).any(|w| w == *code))
}

impl Intercept for ThrottleCounter {
    fn name(&self) -> &'static str {
        "ThrottleCounter"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if let Some(response) = context.response() {
            let status = response.status().as_u16();
            if (status == 400 || status == 429)
                && response.body().bytes().is_some_and(is_throttle_body)
            {
                self.0.fetch_add(1, Ordering::Relaxed);
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
    }
}
