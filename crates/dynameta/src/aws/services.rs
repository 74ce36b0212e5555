//! Clients of the AWS services `lineage` and `usage` read beside DynamoDB: Lambda
//! (event source mappings), EventBridge Pipes and CloudWatch. Same credentials, region,
//! HTTPS client, timeouts and retries as the DynamoDB client; one optional endpoint
//! (`connectionArguments.awsServicesEndpointURL`) for an emulator.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};

use super::{http_client, Connection};
use crate::config::ConnectionArguments;

/// The extra clients.
#[derive(Debug, Clone)]
pub struct ServiceClients {
    /// Lambda: `ListEventSourceMappings`.
    pub lambda: aws_sdk_lambda::Client,
    /// EventBridge Pipes: `ListPipes`.
    pub pipes: aws_sdk_pipes::Client,
    /// CloudWatch: `GetMetricData`.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
}

impl ServiceClients {
    /// Builds the clients (no request is made).
    pub fn new(connection: &Connection, options: &ConnectionArguments) -> ServiceClients {
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs_f64(options.connect_timeout_seconds))
            .operation_attempt_timeout(Duration::from_secs_f64(options.request_timeout_seconds))
            .build();
        let retry = RetryConfig::standard().with_max_attempts(options.max_attempts);
        let region = Region::new(connection.region.clone());
        let endpoint = options
            .aws_services_endpoint_url
            .as_deref()
            .map(|u| u.trim_end_matches('/').to_string());
        macro_rules! client {
            ($krate:ident) => {{
                let mut b = $krate::config::Builder::new()
                    .behavior_version(BehaviorVersion::latest())
                    .region(region.clone())
                    .credentials_provider(connection.credentials.clone())
                    .http_client(http_client())
                    .timeout_config(timeouts.clone())
                    .retry_config(retry.clone());
                if let Some(url) = &endpoint {
                    b = b.endpoint_url(url);
                }
                $krate::Client::from_conf(b.build())
            }};
        }
        ServiceClients {
            lambda: client!(aws_sdk_lambda),
            pipes: client!(aws_sdk_pipes),
            cloudwatch: client!(aws_sdk_cloudwatch),
        }
    }
}
