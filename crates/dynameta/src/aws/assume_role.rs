//! AssumeRole with SourceIdentity (aws-config's own provider cannot pass SourceIdentity).

use std::time::SystemTime;

use aws_credential_types::provider::{self, error::CredentialsError, ProvideCredentials};
use aws_credential_types::Credentials;

/// Assumes a role through STS each time the SDK's identity cache needs fresh credentials.
#[derive(Debug, Clone)]
pub struct AssumeRoleProvider {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    session_name: String,
    source_identity: Option<String>,
    external_id: Option<String>,
}

impl AssumeRoleProvider {
    /// A provider for `role_arn`, calling STS through `sts` (signed with the base credentials).
    pub fn new(
        sts: aws_sdk_sts::Client,
        role_arn: String,
        session_name: String,
        source_identity: Option<String>,
    ) -> Self {
        AssumeRoleProvider {
            sts,
            role_arn,
            session_name,
            source_identity,
            external_id: None,
        }
    }

    /// The same provider sending `external_id` (a role's trust policy may ask for one).
    pub fn with_external_id(mut self, external_id: Option<String>) -> Self {
        self.external_id = external_id;
        self
    }

    async fn assume(&self) -> provider::Result {
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session_name)
            .set_source_identity(self.source_identity.clone())
            .set_external_id(self.external_id.clone())
            .send()
            .await
            .map_err(|e| {
                let failure = super::error::describe_sdk_error(&e);
                let problem = match failure.code.as_str() {
                    "ConnectionError" | "Timeout" | "DispatchFailure" => format!(
                        "STS could not be reached to assume `{}` ({failure}): check network access to STS (or stsEndpointURL)",
                        self.role_arn
                    ),
                    "CredentialsError" => format!(
                        "no base credentials to call STS AssumeRole `{}` with ({})",
                        self.role_arn, failure.message.lines().next().unwrap_or_default()
                    ),
                    _ => format!(
                        "STS refused AssumeRole `{}` ({failure}): check the role's trust policy and that the base credentials may assume it",
                        self.role_arn
                    ),
                };
                CredentialsError::provider_error(problem)
            })?;
        let creds = out.credentials.ok_or_else(|| {
            CredentialsError::provider_error("STS AssumeRole answered without credentials")
        })?;
        let expiry = SystemTime::try_from(creds.expiration).ok();
        Ok(Credentials::new(
            creds.access_key_id,
            creds.secret_access_key,
            Some(creds.session_token),
            expiry,
            "AssumeRole",
        ))
    }
}

impl ProvideCredentials for AssumeRoleProvider {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(self.assume())
    }
}
