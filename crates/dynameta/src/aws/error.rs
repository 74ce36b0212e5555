//! Turning AWS SDK errors into messages that say what failed and how to fix it.

use std::error::Error as StdError;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::http::Response as HttpResponse;
use serde::Deserialize;

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
pub fn describe_sdk_error<E>(err: &SdkError<E, HttpResponse>) -> CallFailure
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            // Some endpoints (emulators, proxies) answer in a shape the SDK cannot parse;
            // then read the code and message from the raw body ourselves.
            let raw = service
                .raw()
                .body()
                .bytes()
                .map(RawError::parse)
                .unwrap_or_default();
            CallFailure {
                code: e
                    .code()
                    .map(str::to_string)
                    .or(raw.code)
                    .unwrap_or_else(|| "ServiceError".into()),
                message: e
                    .message()
                    .map(str::to_string)
                    .or(raw.message)
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

/// The code and message of an AWS error answer, read from its body: JSON
/// (`{"__type": "com.amazonaws.dynamodb.v20120810#Code", "message": ...}`, DynamoDB and
/// other JSON protocols) or XML (`<ErrorResponse><Error><Code>..</Code><Message>..`
/// from STS and other query protocols, `<ErrorResponse><Errors><Error>..` as moto and
/// EC2-style services answer, or a bare `<Error>` as S3 answers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RawError {
    code: Option<String>,
    message: Option<String>,
}

/// An XML error answer: `<ErrorResponse><Error>..</Error></ErrorResponse>`,
/// `<ErrorResponse><Errors><Error>..` or a bare `<Error>..</Error>` (the root
/// element's name is not checked).
#[derive(Deserialize)]
struct XmlAnswer {
    #[serde(rename = "Error")]
    error: Option<XmlError>,
    #[serde(rename = "Errors")]
    errors: Option<XmlErrors>,
    #[serde(rename = "Code")]
    code: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
}

#[derive(Deserialize)]
struct XmlErrors {
    #[serde(rename = "Error", default)]
    error: Vec<XmlError>,
}

#[derive(Deserialize)]
struct XmlError {
    #[serde(rename = "Code")]
    code: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
}

impl RawError {
    /// Reads `body`; whatever it is (empty, HTML, truncated), never fails: what cannot
    /// be read is `None`.
    fn parse(body: &[u8]) -> RawError {
        let text = String::from_utf8_lossy(body);
        let text = text.trim_start();
        let raw = if text.starts_with('<') {
            match quick_xml::de::from_str::<XmlAnswer>(text) {
                Ok(answer) => {
                    let listed = answer.errors.and_then(|e| e.error.into_iter().next());
                    match answer.error.or(listed) {
                        Some(error) => RawError {
                            code: error.code,
                            message: error.message,
                        },
                        None => RawError {
                            code: answer.code,
                            message: answer.message,
                        },
                    }
                }
                Err(_) => RawError::default(),
            }
        } else {
            let json = serde_json::from_str::<serde_json::Value>(text).unwrap_or_default();
            let field = |names: &[&str]| {
                names
                    .iter()
                    .find_map(|name| json.get(name)?.as_str().map(str::to_string))
            };
            RawError {
                // `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException`
                code: field(&["__type", "code", "Code"])
                    .map(|c| c.rsplit('#').next().unwrap_or_default().to_string()),
                message: field(&["message", "Message"]),
            }
        };
        let keep = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        RawError {
            code: keep(raw.code),
            message: keep(raw.message),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn raw(code: &str, message: &str) -> RawError {
        RawError {
            code: Some(code.into()),
            message: Some(message.into()),
        }
    }

    #[test]
    fn reads_dynamodb_json_errors() {
        let body = br#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}"#;
        assert_eq!(
            RawError::parse(body),
            raw("ResourceNotFoundException", "Requested resource not found")
        );
        // Capitalised `Message`, a bare code, whitespace around the document.
        let body = b"  {\"__type\": \"AccessDeniedException\", \"Message\": \"User: arn:aws:iam::1:user/x is not authorized\"}\n";
        assert_eq!(
            RawError::parse(body),
            raw(
                "AccessDeniedException",
                "User: arn:aws:iam::1:user/x is not authorized"
            )
        );
    }

    #[test]
    fn reads_sts_and_s3_xml_errors() {
        let sts = br#"<?xml version="1.0" encoding="UTF-8"?>
<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: arn:aws:iam::123:user/a is not authorized to perform: sts:AssumeRole on &lt;role&gt; &amp; more</Message>
  </Error>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ErrorResponse>"#;
        assert_eq!(
            RawError::parse(sts),
            raw(
                "AccessDenied",
                "User: arn:aws:iam::123:user/a is not authorized to perform: sts:AssumeRole on <role> & more"
            )
        );
        let moto = br#"<?xml version="1.0" encoding="utf-8"?>
<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message><Type>Sender</Type></Error></Errors></ErrorResponse>"#;
        assert_eq!(
            RawError::parse(moto),
            raw(
                "InvalidClientTokenId",
                "The security token included in the request is invalid."
            )
        );
        let s3 = b"<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>b</BucketName></Error>";
        assert_eq!(
            RawError::parse(s3),
            raw("NoSuchBucket", "The specified bucket does not exist")
        );
    }

    #[test]
    fn what_is_not_an_error_answer_gives_nothing() {
        for body in [
            &b""[..],
            b"<html><body>502 Bad Gateway</body></html>",
            b"<Error><Code>Trunc",
            b"{\"__type\": 5, \"message\": null}",
            b"[1, 2]",
            b"Service Unavailable",
            b"{\"__type\": \"  \"}",
        ] {
            assert_eq!(
                RawError::parse(body),
                RawError::default(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = RawError::parse(&body);
        }

        #[test]
        fn arbitrary_xml_like_text_never_panics(body in "[<>/a-zA-Z&;#!?= \"'\\[\\]-]{0,200}") {
            let _ = RawError::parse(body.as_bytes());
        }

        #[test]
        fn any_code_and_message_round_trip(code in "[A-Za-z][A-Za-z0-9.]{0,40}", message in "\\PC{1,80}") {
            let message_kept = message.trim().to_string();
            prop_assume!(!message_kept.is_empty());
            let json = serde_json::json!({"__type": format!("com.amazonaws.x#{code}"), "message": message});
            let got = RawError::parse(json.to_string().as_bytes());
            prop_assert_eq!(got.code.as_deref(), Some(code.as_str()));
            prop_assert_eq!(got.message.as_deref(), Some(message_kept.as_str()));
            let xml = format!(
                "<ErrorResponse><Error><Code>{code}</Code><Message>{}</Message></Error></ErrorResponse>",
                quick_xml::escape::escape(message.as_str())
            );
            let got = RawError::parse(xml.as_bytes());
            prop_assert_eq!(got.code.as_deref(), Some(code.as_str()));
            prop_assert_eq!(got.message.as_deref(), Some(message_kept.as_str()));
        }
    }
}
