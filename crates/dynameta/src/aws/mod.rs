//! AWS connection: credentials (static, profile, default chain, AssumeRole), endpoint,
//! timeouts and retries, with one rustls HTTPS client shared by every AWS client.

mod assume_role;
mod error;
pub mod estate;
mod notice;
mod retry;
mod reuse;
mod services;
mod throttle;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls;

pub use assume_role::AssumeRoleProvider;
pub use error::{describe_sdk_error, error_chain, AwsError, CallFailure};
pub use retry::{AsThrottling, Backoff, Delays, ThrottleRetry, DEFAULT_THROTTLE_RETRY_SECONDS};
pub use reuse::{refresh_at, Reusing, REFRESH_BEFORE};
pub use services::ServiceClients;
pub use throttle::{is_throttle_body, is_throttle_code, ThrottleCounter};

use crate::config::{AwsConfig, ConnectionArguments, DEFAULT_SESSION_NAME};

/// Where credentials come from, for messages (never the values themselves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// `awsAccessKeyId` / `awsSecretAccessKey` (and maybe `awsSessionToken`) in the file.
    Static,
    /// `profileName` from the shared AWS config files.
    Profile(String),
    /// The SDK's default chain: env vars, shared files, web identity, ECS, IMDS.
    DefaultChain,
}

impl std::fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialSource::Static => f.write_str("static keys from awsConfig"),
            CredentialSource::Profile(p) => write!(f, "profile `{p}`"),
            CredentialSource::DefaultChain => {
                f.write_str("the default credential chain (env vars, ~/.aws files, ECS/EC2 roles)")
            }
        }
    }
}

/// A ready AWS connection: one DynamoDB client plus what it was built from.
#[derive(Clone, Debug)]
pub struct Connection {
    /// DynamoDB client, signed with the resolved credentials.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// Credentials provider (already wrapped in AssumeRole when configured).
    pub credentials: SharedCredentialsProvider,
    /// Where the base credentials come from.
    pub source: CredentialSource,
    /// Role assumed on top of the base credentials, if any.
    pub assumed_role: Option<String>,
    /// S3 client for reading DynamoDB exports (same credentials and HTTP client;
    /// `s3EndpointURL` with path-style addressing when set).
    pub s3: aws_sdk_s3::Client,
    /// Region of the tables.
    pub region: String,
    /// Custom endpoint, if any.
    pub endpoint: Option<String>,
    /// Attempts DynamoDB throttled (retried by the SDK), for the run summary.
    pub throttled: ThrottleCounter,
    /// How calls DynamoDB still throttles after the SDK's attempts are retried
    /// (`throttleRetrySeconds`).
    pub throttle_retry: ThrottleRetry,
}

/// Builds the HTTPS client all AWS clients share: rustls with ring, native roots.
pub fn http_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// Resolves credentials and builds the DynamoDB client for `aws`.
///
/// No AWS call is made here except, with `assumeRoleArn`, none either: AssumeRole runs
/// lazily on the first request (or [`Connection::resolve_credentials`]).
pub async fn connect(aws: &AwsConfig, options: &ConnectionArguments) -> Connection {
    let base = Base::load(aws, options).await;
    // `regions: [r]` alone is one pair too, in region `r`.
    base.connection(&estate::single_region(aws, options), None)
}

/// The base connection settings, loaded once: the SDK config (region, timeouts,
/// retries, HTTPS client), the base credentials (wrapped in `assumeRoleArn` when set,
/// and fetched once then reused until shortly before they expire: [`Reusing`]) and
/// where they come from. Each (account, region) pair of the estate is a
/// [`Connection`] made from it ([`Base::connection`]).
#[derive(Clone, Debug)]
pub struct Base {
    sdk: SdkConfig,
    /// The base credentials (already wrapped in AssumeRole when configured).
    pub credentials: SharedCredentialsProvider,
    /// Where the base credentials come from.
    pub source: CredentialSource,
    /// `awsConfig.awsRegion`.
    pub region: String,
    assume_role_arn: Option<String>,
    session_name: String,
    source_identity: Option<String>,
    endpoint: Option<String>,
    s3_endpoint: Option<String>,
    sts_endpoint: Option<String>,
    throttle_retry_seconds: f64,
}

/// A role assumed on top of the base credentials (an account of the estate).
#[derive(Clone, Debug)]
pub struct Role {
    /// `arn:aws:iam::<id>:role/<name>`.
    pub arn: String,
    /// ExternalId, when the role's trust policy asks for one.
    pub external_id: Option<String>,
}

impl Base {
    /// Loads the SDK config and the base credentials (no AWS call).
    pub async fn load(aws: &AwsConfig, options: &ConnectionArguments) -> Base {
        let region = aws.aws_region.trim().to_string();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs_f64(options.connect_timeout_seconds))
            .operation_attempt_timeout(Duration::from_secs_f64(options.request_timeout_seconds))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http_client())
            .region(Region::new(region.clone()))
            .timeout_config(timeouts)
            .retry_config(RetryConfig::standard().with_max_attempts(options.max_attempts));
        let source = match (&aws.aws_access_key_id, &aws.aws_secret_access_key) {
            (Some(id), Some(secret)) => {
                loader = loader.credentials_provider(Credentials::new(
                    id.clone(),
                    secret.expose().to_string(),
                    aws.aws_session_token
                        .as_ref()
                        .map(|t| t.expose().to_string()),
                    None,
                    "dynameta-config",
                ));
                CredentialSource::Static
            }
            _ => match &aws.profile_name {
                Some(profile) => {
                    loader = loader.profile_name(profile);
                    CredentialSource::Profile(profile.clone())
                }
                None => CredentialSource::DefaultChain,
            },
        };
        if let (Some(profile), CredentialSource::Static) = (&aws.profile_name, &source) {
            tracing::debug!(profile = %profile, "profileName ignored: static keys take precedence");
        }
        let sdk: SdkConfig = loader.load().await;
        let base = sdk
            .credentials_provider()
            .unwrap_or_else(|| SharedCredentialsProvider::new(MissingCredentials));
        let session_name = aws
            .assume_role_session_name
            .clone()
            .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string());
        let mut this = Base {
            sdk,
            credentials: base.clone(),
            source,
            region,
            assume_role_arn: aws.assume_role_arn.clone(),
            session_name,
            source_identity: aws.assume_role_source_identity.clone(),
            endpoint: aws.end_point_url.clone(),
            s3_endpoint: options.s3_endpoint_url.clone(),
            sts_endpoint: options.sts_endpoint_url.clone(),
            throttle_retry_seconds: options.throttle_retry_seconds,
        };
        let chosen = match &aws.assume_role_arn {
            Some(role) => this.assume(base, role, None),
            None => base,
        };
        this.credentials = SharedCredentialsProvider::new(Reusing::new(chosen));
        this
    }

    /// The SDK config the base clients are built from.
    pub fn sdk(&self) -> &SdkConfig {
        &self.sdk
    }

    /// An STS client signed with the base credentials (`stsEndpointUrl` when set).
    pub fn sts(&self) -> aws_sdk_sts::Client {
        self.sts_with(self.credentials.clone())
    }

    fn sts_with(&self, credentials: SharedCredentialsProvider) -> aws_sdk_sts::Client {
        let mut sts =
            aws_sdk_sts::config::Builder::from(&self.sdk).credentials_provider(credentials);
        if let Some(url) = &self.sts_endpoint {
            sts = sts.endpoint_url(url);
        }
        aws_sdk_sts::Client::from_conf(sts.build())
    }

    /// `role` assumed with `credentials`, with the configured session name and source
    /// identity (the SDK clients' identity cache refreshes it before it expires).
    fn assume(
        &self,
        credentials: SharedCredentialsProvider,
        role: &str,
        external_id: Option<String>,
    ) -> SharedCredentialsProvider {
        SharedCredentialsProvider::new(
            AssumeRoleProvider::new(
                self.sts_with(credentials),
                role.to_string(),
                self.session_name.clone(),
                self.source_identity.clone(),
            )
            .with_external_id(external_id),
        )
    }

    /// The credentials of one account: the base credentials, or `role` assumed from
    /// them; fetched once and reused by every check and client given them, until
    /// shortly before they expire ([`Reusing`]). No AWS call is made here.
    pub fn account_credentials(&self, role: Option<&Role>) -> SharedCredentialsProvider {
        let credentials = match role {
            Some(role) => SharedCredentialsProvider::new(Reusing::new(self.assume(
                self.credentials.clone(),
                &role.arn,
                role.external_id.clone(),
            ))),
            None => self.credentials.clone(),
        };
        SharedCredentialsProvider::new(Registering(credentials))
    }

    /// The connection to `region`, as the base credentials or as `role` assumed from
    /// them (no AWS call is made here).
    pub fn connection(&self, region: &str, role: Option<&Role>) -> Connection {
        self.connection_with(
            region,
            self.account_credentials(role),
            role.map(|r| r.arn.clone()),
        )
    }

    /// The connection to `region` signed with `credentials` (an account's, from
    /// [`Base::account_credentials`], shared by all its regions); `role` is the role
    /// they assume, for messages. No AWS call is made here.
    pub fn connection_with(
        &self,
        region: &str,
        credentials: SharedCredentialsProvider,
        role: Option<String>,
    ) -> Connection {
        let region = region.to_string();
        let mut ddb = aws_sdk_dynamodb::config::Builder::from(&self.sdk)
            .credentials_provider(credentials.clone())
            .region(Region::new(region.clone()));
        if let Some(url) = &self.endpoint {
            ddb = ddb.endpoint_url(url.trim_end_matches('/'));
        }
        let throttled = ThrottleCounter::new(match &self.endpoint {
            Some(url) => format!("the DynamoDB endpoint {url}"),
            None => format!("DynamoDB in {region}"),
        });
        ddb = ddb.interceptor(throttled.clone());
        let mut s3 = aws_sdk_s3::config::Builder::from(&self.sdk)
            .credentials_provider(credentials.clone())
            .region(Region::new(region.clone()));
        if let Some(url) = &self.s3_endpoint {
            // S3-compatible stores and emulators serve buckets as paths, not host names.
            s3 = s3
                .endpoint_url(url.trim_end_matches('/'))
                .force_path_style(true);
        }
        Connection {
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            throttled,
            throttle_retry: ThrottleRetry::from_seconds(self.throttle_retry_seconds),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(ddb.build()),
            credentials,
            source: self.source.clone(),
            assumed_role: role.or_else(|| self.assume_role_arn.clone()),
            region,
            endpoint: self.endpoint.clone(),
        }
    }
}

impl Connection {
    /// Resolves credentials now (running AssumeRole if configured), so that a
    /// credentials problem is reported as such and not as a failed DynamoDB call.
    pub async fn resolve_credentials(&self) -> Result<Credentials, AwsError> {
        self.credentials.provide_credentials().await.map_err(|e| {
            tracing::debug!(error = %error::error_chain(&e), "credentials not resolved");
            let detail = error::credentials_problem(&e, self.assumed_role.is_some());
            AwsError::Credentials {
                source_desc: match &self.assumed_role {
                    Some(role) => format!("AssumeRole `{role}` with {}", self.source),
                    None => self.source.to_string(),
                },
                detail,
            }
        })
    }
}

/// Registers every secret key and session token a provider hands out (from a profile
/// file, SSO, `credential_process`, the environment or AssumeRole) for redaction, so
/// none can be shown even if a service or error echoes it back.
#[derive(Debug)]
struct Registering(SharedCredentialsProvider);

impl ProvideCredentials for Registering {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            let credentials = self.0.provide_credentials().await?;
            crate::secret::register(&crate::secret::Secret::new(credentials.secret_access_key()));
            if let Some(token) = credentials.session_token() {
                crate::secret::register(&crate::secret::Secret::new(token));
            }
            Ok(credentials)
        })
    }
}

/// Stands in when the SDK found no credentials provider at all.
#[derive(Debug)]
struct MissingCredentials;

impl ProvideCredentials for MissingCredentials {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::ready(Err(
            aws_credential_types::provider::error::CredentialsError::not_loaded_no_source(),
        ))
    }
}
