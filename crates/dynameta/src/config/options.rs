//! dynameta's own options, read from `serviceConnection.config.connectionArguments`
//! (a free-form object in OpenMetadata's schema, so the YAML stays valid upstream).

use serde::Deserialize;

/// Options of our own, all optional. Documented in `docs/configuration.md`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct ConnectionArguments {
    /// Items sampled per table for schema inference (OpenMetadata's constant is 1000).
    pub sample_size: u32,
    /// Parallel Scan segments used to spread the inference sample over the key space.
    pub sample_segments: u32,
    /// Seconds to wait for a TCP connection to the DynamoDB endpoint.
    pub connect_timeout_seconds: f64,
    /// Seconds allowed for one DynamoDB call, retries excluded.
    pub request_timeout_seconds: f64,
    /// Attempts per DynamoDB call (1 = no retry) for throttling and transient errors.
    pub max_attempts: u32,
    /// Seconds a call DynamoDB still throttles after `max_attempts` keeps being retried
    /// (full-jitter backoff) before its table fails.
    pub throttle_retry_seconds: f64,
    /// STS endpoint for AssumeRole (VPC endpoint, or an emulator in tests).
    pub sts_endpoint_url: Option<String>,
    /// Profiler: Scan segments a table is divided into (sampling picks among them).
    pub scan_segments: u32,
    /// Profiler: Scan requests in flight per table.
    pub scan_workers: u32,
    /// Profiler: most read capacity to use, as a percentage of a provisioned table's RCU.
    pub max_read_capacity_percent: Option<f64>,
    /// Profiler: most read units per second (on-demand tables, or a hard cap).
    pub max_read_units_per_second: Option<f64>,
    /// Profiler: seed choosing which segments a sample reads (same seed, same sample).
    pub sample_seed: u64,
    /// Classification: mask the values of `PII.Sensitive` columns in stored sample data.
    pub mask_sensitive_sample_data: bool,
    /// Classification: values per column handed to the recognizers (at most).
    pub classification_values_per_column: u32,
}

/// How long a DynamoDB call may stay throttled, beyond the SDK's `maxAttempts`, before the
/// table fails (`throttleRetrySeconds`).
pub const DEFAULT_THROTTLE_RETRY_SECONDS: f64 = 60.0;

impl Default for ConnectionArguments {
    fn default() -> Self {
        ConnectionArguments {
            sample_size: 1000,
            sample_segments: 8,
            connect_timeout_seconds: 3.0,
            request_timeout_seconds: 30.0,
            max_attempts: 5,
            throttle_retry_seconds: DEFAULT_THROTTLE_RETRY_SECONDS,
            sts_endpoint_url: None,
            scan_segments: 64,
            scan_workers: 8,
            max_read_capacity_percent: None,
            max_read_units_per_second: None,
            sample_seed: 42,
            mask_sensitive_sample_data: false,
            classification_values_per_column: 256,
        }
    }
}
