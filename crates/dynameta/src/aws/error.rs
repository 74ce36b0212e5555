//! Turning AWS SDK errors into messages that say what failed and how to fix it.

use std::error::Error as StdError;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// Errors of the AWS connection itself.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// Credentials could not be resolved (or AssumeRole was refused).
    #[error("cannot get AWS credentials from {source_desc}: {detail}. Check source.serviceConnection.config.awsConfig (keys, profileName, assumeRoleArn) or the environment.")]
    Credentials {
        /// Where they were looked for.
        source_desc: String,
        /// The SDK's reason.
        detail: String,
    },
}

/// One failed AWS call, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailure {
    /// AWS error code (`AccessDeniedException`, ...) or a transport class (`ConnectionError`, `Timeout`).
    pub code: String,
    /// Human message.
    pub message: String,
}

impl CallFailure {
    /// True for errors that mean "this operation does not exist here" (DynamoDB Local,
    /// some emulators) rather than a real failure.
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self.code.as_str(),
            "UnknownOperationException" | "NotImplemented"
        ) || self.message.contains("not currently supported")
            || self.message.contains("not yet implemented")
    }

    /// True when the endpoint rejected the credentials themselves (unknown key, bad
    /// secret, expired token, clock skew).
    pub fn is_bad_credentials(&self) -> bool {
        matches!(
            self.code.as_str(),
            "UnrecognizedClientException"
                | "InvalidClientTokenId"
                | "InvalidSignatureException"
                | "SignatureDoesNotMatch"
                | "ExpiredTokenException"
                | "ExpiredToken"
                | "MissingAuthenticationToken"
                | "CredentialsError"
        )
    }

    /// True when DynamoDB throttled the call (`ProvisionedThroughputExceededException`,
    /// `ThrottlingException`, `RequestLimitExceeded`, `LimitExceededException`).
    pub fn is_throttling(&self) -> bool {
        super::throttle::is_throttle_code(&self.code)
    }

    /// True for IAM denials.
    pub fn is_access_denied(&self) -> bool {
        self.code.contains("AccessDenied") || self.code == "UnauthorizedOperation"
    }
}

impl std::fmt::Display for CallFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Classifies an SDK error into a code and message.
pub fn describe_sdk_error<E, R>(err: &SdkError<E, R>) -> CallFailure
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            // Some endpoints (emulators, proxies) answer in a shape the SDK cannot parse;
            // then read the code and message from the raw body ourselves.
            let raw = format!("{:?}", service.raw());
            CallFailure {
                code: e
                    .code()
                    .map(str::to_string)
                    .or_else(|| raw_field(&raw, &["Code", "__type"]))
                    .unwrap_or_else(|| "ServiceError".into()),
                message: e
                    .message()
                    .map(str::to_string)
                    .or_else(|| raw_field(&raw, &["Message", "message"]))
                    .unwrap_or_else(|| error_chain(e)),
            }
        }
        SdkError::TimeoutError(_) => CallFailure {
            code: "Timeout".into(),
            message: "the endpoint did not answer in time".into(),
        },
        SdkError::DispatchFailure(d) => {
            let chain = error_chain(err);
            let code = if d.is_timeout() {
                "Timeout"
            } else if chain.contains("credentials") || chain.contains("no credentials") {
                "CredentialsError"
            } else if d.is_io() {
                "ConnectionError"
            } else {
                "DispatchFailure"
            };
            CallFailure {
                code: code.into(),
                message: chain,
            }
        }
        SdkError::ConstructionFailure(_) => {
            let chain = error_chain(err);
            let code = if chain.contains("credentials") {
                "CredentialsError"
            } else {
                "ConstructionFailure"
            };
            CallFailure {
                code: code.into(),
                message: chain,
            }
        }
        _ => CallFailure {
            code: "ResponseError".into(),
            message: error_chain(err),
        },
    }
}

/// Finds `<Name>value</Name>` or `"name":"value"` in a raw response rendering.
fn raw_field(raw: &str, names: &[&str]) -> Option<String> {
    for name in names {
        let open = format!("<{name}>");
        if let Some(start) = raw.find(&open) {
            let rest = &raw[start + open.len()..];
            if let Some(end) = rest.find("</") {
                return Some(rest[..end].trim().to_string());
            }
        }
        for quote in ["\\\"", "\""] {
            let key = format!("{quote}{name}{quote}:{quote}");
            if let Some(start) = raw.find(&key) {
                let rest = &raw[start + key.len()..];
                if let Some(end) = rest.find(quote) {
                    let value = &rest[..end];
                    return Some(value.rsplit('#').next().unwrap_or(value).to_string());
                }
            }
        }
    }
    None
}

/// What went wrong resolving credentials, in one sentence instead of the SDK's dump
/// of every provider tried (that goes to the debug log).
pub fn credentials_problem(
    err: &aws_credential_types::provider::error::CredentialsError,
    assume_role: bool,
) -> String {
    use aws_credential_types::provider::error::CredentialsError as E;
    let chain = error_chain(err);
    match err {
        E::CredentialsNotLoaded(_) => "none found (checked: AWS_* environment variables, ~/.aws/credentials and ~/.aws/config, web identity, ECS and EC2 instance roles)".to_string(),
        E::ProviderTimedOut(_) => "the credentials provider did not answer in time".to_string(),
        _ if assume_role => chain,
        // A profile or process provider: its first line says what; the rest lists
        // every source tried.
        _ => chain.lines().next().unwrap_or_default().to_string(),
    }
}

/// An error and all its sources on one line, without repeats.
pub fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}
