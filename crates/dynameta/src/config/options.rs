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
    /// Profiler, ingest's and classify's samples: most read capacity to use per table, as
    /// a percentage of a provisioned table's RCU.
    pub max_read_capacity_percent: Option<f64>,
    /// Profiler, ingest's and classify's samples: most read units per second per table
    /// (on-demand tables, or a hard cap).
    pub max_read_units_per_second: Option<f64>,
    /// Profiler: seed choosing which segments a sample reads (same seed, same sample).
    pub sample_seed: u64,
    /// Classification: mask the values of `PII.Sensitive` columns in stored sample data.
    pub mask_sensitive_sample_data: bool,
    /// Classification: values per column handed to the recognizers (at most).
    pub classification_values_per_column: u32,
    /// Profiler: table name → DynamoDB export to S3 to profile instead of scanning the
    /// table (the export's ARN, or its `s3://bucket/prefix/AWSDynamoDB/<exportId>/`).
    /// Each parsed once, when the workflow is read ([`Export`]).
    pub exports: std::collections::BTreeMap<String, Export>,
    /// Profiler: S3 endpoint for reading exports (S3-compatible stores, moto in tests).
    #[serde(rename = "s3EndpointURL")]
    pub s3_endpoint_url: Option<String>,
    /// Profiler: export data files read at once per table.
    pub export_workers: u32,
    /// `dynameta test`: per-table time limit in seconds for reading the table (scan or
    /// export; items are evaluated as they are read); the profiler's default
    /// (`timeoutSeconds`, 43200) when unset. OpenMetadata's TestSuite pipeline has no such key.
    pub test_timeout_seconds: Option<u64>,
    /// Ingest: which AWS tag keys become OpenMetadata classifications (OpenMetadata's
    /// filter-pattern semantics); when not set, keys starting with `aws:` are left out.
    pub tag_key_filter_pattern: Option<super::filter::FilterPattern>,
    /// Ingest: the AWS tag whose value names the table's owner (a user's e-mail, a team
    /// name or a user name).
    pub owner_tag_key: Option<String>,
    /// Lineage: the OpenMetadata pipeline service (`CustomPipeline`) dynameta creates
    /// to hold one Pipeline per stream consumer (Lambda mapping, EventBridge Pipe).
    pub pipeline_service_name: String,
    /// Lineage: the OpenMetadata messaging service OpenMetadata's Kinesis connector
    /// filled, where the Topics of Kinesis streaming destinations are looked up.
    pub kinesis_service_name: String,
    /// Lineage and usage: endpoint for Lambda, EventBridge Pipes and CloudWatch (an
    /// emulator such as moto in tests); AWS's own endpoints when unset.
    #[serde(rename = "awsServicesEndpointURL", alias = "awsServicesEndpointUrl")]
    pub aws_services_endpoint_url: Option<String>,
    /// The whole estate: regions to walk (a list, or `all`); `awsConfig.awsRegion`
    /// alone when unset.
    pub regions: Option<super::estate::Regions>,
    /// The whole estate: roles assumed from the base credentials, one per account.
    pub accounts: Vec<super::estate::AccountRole>,
    /// The whole estate: the accounts of an AWS Organization.
    pub organization: Option<super::estate::Organization>,
    /// The whole estate: walk the base credentials' own account too (default true).
    pub include_base_account: bool,
}

/// Default `pipelineServiceName`.
pub const DEFAULT_PIPELINE_SERVICE: &str = "dynamodb_stream_consumers";
/// Default `kinesisServiceName`.
pub const DEFAULT_KINESIS_SERVICE: &str = "kinesis";

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
            exports: std::collections::BTreeMap::new(),
            s3_endpoint_url: None,
            export_workers: 8,
            test_timeout_seconds: None,
            tag_key_filter_pattern: None,
            owner_tag_key: None,
            pipeline_service_name: DEFAULT_PIPELINE_SERVICE.to_string(),
            kinesis_service_name: DEFAULT_KINESIS_SERVICE.to_string(),
            aws_services_endpoint_url: None,
            regions: None,
            accounts: Vec::new(),
            organization: None,
            include_base_account: true,
        }
    }
}

/// One entry of `connectionArguments.exports`: the text as configured and the export it
/// names, parsed once when the workflow is read. A text that names no export is refused
/// there (exit 2, naming `connectionArguments.exports.<table>`), so in a loaded
/// workflow every entry holds its [`ExportRef`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub struct Export {
    text: String,
    reference: Result<ExportRef, String>,
}

impl From<String> for Export {
    fn from(text: String) -> Export {
        let reference = ExportRef::parse(&text);
        Export { text, reference }
    }
}

impl Export {
    /// The value as configured (an ARN or an `s3://` folder), as shown to the user.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The export, or why the text names none (refused when the workflow is read).
    pub fn reference(&self) -> Result<&ExportRef, &str> {
        self.reference.as_ref().map_err(String::as_str)
    }
}

/// Where a DynamoDB export to S3 is (`connectionArguments.exports`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportRef {
    /// An export ARN (`arn:aws:dynamodb:<region>:<account>:table/<table>/export/<id>`),
    /// resolved to its folder with DescribeExport.
    Arn(String),
    /// The export's folder: the bucket and the key prefix that ends in
    /// `AWSDynamoDB/<exportId>/` (where `manifest-summary.json` is).
    Folder {
        /// S3 bucket.
        bucket: String,
        /// Key prefix of the export's folder, ending in `/`.
        prefix: String,
    },
}

impl ExportRef {
    /// Parses an ARN or an `s3://` folder; says what is wrong otherwise.
    pub fn parse(text: &str) -> Result<ExportRef, String> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("arn:") {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            let resource = parts.get(4).copied().unwrap_or("");
            let ok = parts.len() == 5
                && parts[1] == "dynamodb"
                && resource.starts_with("table/")
                && resource
                    .split_once("/export/")
                    .is_some_and(|(t, id)| t.len() > "table/".len() && !id.is_empty());
            return if ok {
                Ok(ExportRef::Arn(text.to_string()))
            } else {
                Err("an ARN, but not of a DynamoDB export".into())
            };
        }
        let Some(rest) = text.strip_prefix("s3://") else {
            return Err("neither an ARN nor an s3:// URL".into());
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err("no bucket".into());
        }
        let key = key.trim_end_matches('/');
        let segments: Vec<&str> = key.split('/').collect();
        let n = segments.len();
        if n < 2 || segments[n - 2] != "AWSDynamoDB" || segments[n - 1].is_empty() {
            return Err("the folder must end in AWSDynamoDB/<exportId>/".into());
        }
        Ok(ExportRef::Folder {
            bucket: bucket.to_string(),
            prefix: format!("{key}/"),
        })
    }
}

#[cfg(test)]
mod export_ref_tests {
    use super::{ConnectionArguments, ExportRef};
    use proptest::prelude::*;

    #[test]
    fn exports_are_parsed_once_when_read() {
        let args: ConnectionArguments = serde_json::from_value(serde_json::json!({
            "exports": {
                "a": "s3://b/x/AWSDynamoDB/0170-ab/",
                "b": "s3://b/not-an-export/"
            }
        }))
        .unwrap();
        let a = &args.exports["a"];
        assert_eq!(a.text(), "s3://b/x/AWSDynamoDB/0170-ab/");
        assert_eq!(
            a.reference(),
            Ok(&ExportRef::Folder {
                bucket: "b".into(),
                prefix: "x/AWSDynamoDB/0170-ab/".into()
            })
        );
        assert_eq!(
            args.exports["b"].reference(),
            Err("the folder must end in AWSDynamoDB/<exportId>/")
        );
    }

    #[test]
    fn arns_and_folders() {
        let arn =
            "arn:aws:dynamodb:us-east-1:123456789012:table/orders/export/01700000000000-a1b2c3d4";
        assert_eq!(ExportRef::parse(arn), Ok(ExportRef::Arn(arn.into())));
        assert_eq!(
            ExportRef::parse("s3://b/exports/AWSDynamoDB/0170-ab/"),
            Ok(ExportRef::Folder {
                bucket: "b".into(),
                prefix: "exports/AWSDynamoDB/0170-ab/".into()
            })
        );
        assert_eq!(
            ExportRef::parse("s3://b/AWSDynamoDB/0170-ab"),
            Ok(ExportRef::Folder {
                bucket: "b".into(),
                prefix: "AWSDynamoDB/0170-ab/".into()
            })
        );
        for bad in [
            "",
            "s3://",
            "s3:///AWSDynamoDB/x/",
            "s3://b/prefix/",
            "s3://b/AWSDynamoDB/",
            "arn:aws:s3:::bucket",
            "arn:aws:dynamodb:us-east-1:1:table/orders",
            "https://b.s3.amazonaws.com/AWSDynamoDB/x/",
        ] {
            assert!(ExportRef::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn folders_parse_back(bucket in "[a-z0-9][a-z0-9.-]{1,20}", prefix in "([a-z0-9_-]{1,8}/){0,3}", id in "[0-9a-f-]{1,20}") {
            let url = format!("s3://{bucket}/{prefix}AWSDynamoDB/{id}/");
            prop_assert_eq!(
                ExportRef::parse(&url),
                Ok(ExportRef::Folder { bucket, prefix: format!("{prefix}AWSDynamoDB/{id}/") })
            );
        }

        #[test]
        fn anything_parses_without_panicking(text in ".{0,80}") {
            let _ = ExportRef::parse(&text);
        }
    }
}
