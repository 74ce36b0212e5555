//! Configuration errors: each names the exact key path, the problem and how to fix it.
//!
//! The file path is not part of the message: `main` prints it once in front.

use std::path::PathBuf;

use crate::secret::MASK;

/// Why a workflow file could not be used. Every variant renders as one actionable message.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the workflow file: {source}. Check the path given with -c/--config.")]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The path is not something a workflow can be read from (a FIFO, a directory, a
    /// device, a file too large).
    #[error("{problem} {hint}")]
    File {
        /// The file that was asked for.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
        /// How to fix it.
        hint: String,
    },
    /// The file is not valid YAML, or is nested too deeply to be a workflow.
    #[error("not valid YAML: {message}. {hint}")]
    Yaml {
        /// The parser's message, with line and column.
        message: String,
        /// How to fix it.
        hint: String,
    },
    /// A key has a wrong, missing or unknown value.
    #[error("{key}: {message}{}", hint.as_deref().map(|h| format!(" {h}")).unwrap_or_default())]
    Invalid {
        /// Dotted key path inside the file, e.g. `source.serviceConnection.config.awsConfig.awsRegion`.
        key: String,
        /// What is wrong and what is expected.
        message: String,
        /// How to fix it, when there is more to say than the message.
        hint: Option<String>,
    },
}

impl ConfigError {
    /// An invalid value at `key`.
    pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
            hint: None,
        }
    }

    /// An invalid value at `key`, with a separate "how to fix it".
    pub fn invalid_hint(
        key: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        let hint = hint.into();
        ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
            hint: (!hint.is_empty()).then_some(hint),
        }
    }

    /// A YAML syntax (or size, or depth) problem.
    pub(crate) fn yaml(message: impl Into<String>) -> Self {
        ConfigError::Yaml {
            message: message.into(),
            hint: "Fix the syntax at that line (indentation, quotes, colons).".into(),
        }
    }

    /// The key path this error is about, when it is about one key.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }

    /// What is wrong, without the key path and the hint.
    pub fn problem(&self) -> String {
        match self {
            ConfigError::Read { source, .. } => format!("cannot read the workflow file: {source}"),
            ConfigError::File { problem, .. } => problem.clone(),
            ConfigError::Yaml { message, .. } => format!("not valid YAML: {message}"),
            ConfigError::Invalid { message, .. } => message.clone(),
        }
    }

    /// How to fix it, when known.
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::Read { .. } => Some("Check the path given with -c/--config.".into()),
            ConfigError::File { hint, .. } | ConfigError::Yaml { hint, .. } => Some(hint.clone()),
            ConfigError::Invalid { hint, .. } => hint.clone(),
        }
    }

    /// The error as one JSON object (`--log-format json`): the same fields as the text.
    pub fn to_json(&self, file: &std::path::Path) -> serde_json::Value {
        serde_json::json!({
            "level": "ERROR",
            "error": "config",
            "file": file.display().to_string(),
            "key": self.key(),
            "problem": self.problem(),
            "hint": self.hint(),
        })
    }

    /// Replaces every occurrence of each value in `secrets` (4 characters or more) in
    /// the message and hint with the mask.
    pub(crate) fn redact(self, secrets: &[String]) -> Self {
        let clean = |s: String| {
            secrets
                .iter()
                .filter(|v| v.len() >= 4)
                .fold(s, |s, v| s.replace(v.as_str(), MASK))
        };
        match self {
            ConfigError::Invalid { key, message, hint } => ConfigError::Invalid {
                key,
                message: clean(message),
                hint: hint.map(clean),
            },
            ConfigError::Yaml { message, hint } => ConfigError::Yaml {
                message: clean(message),
                hint: clean(hint),
            },
            other => other,
        }
    }
}

/// Whether a key holds a secret, so its value must never be shown: AWS secret keys and
/// session tokens, the JWT and its `securityConfig`, and any key whose name says
/// password, token, secret, private or API key, or an Authorization header.
pub fn is_secret_key(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "password",
        "token",
        "secret",
        "securityconfig",
        "privatekey",
        "apikey",
        "authorization",
        "cookie",
    ]
    .iter()
    .any(|s| name.contains(s))
}

/// Whether any segment of a dotted key path (`a.b[2].c`) is a secret key.
pub fn is_secret_path(path: &str) -> bool {
    path.split('.')
        .map(|seg| seg.split('[').next().unwrap_or(seg))
        .any(is_secret_key)
}

/// Turns a serde error found at `path` into an [`ConfigError::Invalid`] whose key names the
/// offending field itself (serde reports missing fields at their parent; unknown fields
/// are reported by serde_path_to_error at the field already).
pub(crate) fn from_serde(path: String, message: String) -> ConfigError {
    let join = |field: &str, reported_at_field: bool| {
        if path.is_empty() || path == "." {
            field.to_string()
        } else if reported_at_field && path.rsplit('.').next() == Some(field) {
            path.clone()
        } else {
            format!("{path}.{field}")
        }
    };
    if let Some(field) = backticked(&message, "missing field `") {
        let key = join(&field, false);
        return ConfigError::invalid_hint(key.clone(), "required key is missing.", hint(&key));
    }
    if let Some(field) = backticked(&message, "unknown field `") {
        let key = join(&field, true);
        let allowed: Vec<String> = message
            .split_once(", expected ")
            .map(|(_, rest)| {
                rest.trim_start_matches("one of ")
                    .split(", ")
                    .filter_map(|s| backticked(s, "`"))
                    .collect()
            })
            .unwrap_or_default();
        let mut problem = "unknown key.".to_string();
        if let Some(best) = closest(&field, &allowed) {
            problem.push_str(&format!(" Did you mean `{best}`?"));
        }
        let hint = if allowed.is_empty() {
            "Check the spelling; dynameta's own options belong in source.serviceConnection.config.connectionArguments or sink.config.".to_string()
        } else {
            let list: Vec<String> = allowed.iter().map(|a| format!("`{a}`")).collect();
            format!("Keys allowed here: {}.", list.join(", "))
        };
        return ConfigError::invalid_hint(key, problem, hint);
    }
    let key = if path.is_empty() || path == "." {
        "(top level)".to_string()
    } else {
        path
    };
    // A string where a block of keys belongs (`awsConfig: "..."`) is often a credential
    // pasted in the wrong place: never quoted, whatever the key.
    let block_as_string = message.starts_with("invalid type: string")
        && (message.contains(", expected struct ") || message.contains(", expected a map"));
    let message = if is_secret_path(&key) {
        without_value(&message, "this key holds a secret")
    } else if block_as_string {
        without_value(&message, "a string given for a block may be a credential")
    } else {
        message
    };
    ConfigError::invalid_hint(key.clone(), format!("{message}."), hint(&key))
}

/// A serde message with the offending value left out (`invalid type: string "abc",
/// expected u32` becomes `invalid type: a string where u32 is expected (the value is not
/// shown: this key holds a secret)`); `why` says why the value is not shown.
fn without_value(message: &str, why: &str) -> String {
    let expected = message.rsplit_once(", expected ").map(|(_, e)| {
        if e.starts_with("struct ") || e == "a map" {
            "a mapping of keys".to_string()
        } else {
            e.to_string()
        }
    });
    let kind = message
        .strip_prefix("invalid type: ")
        .and_then(|rest| rest.split([' ', ',']).next())
        .map(|kind| match kind {
            "floating" => "a number".to_string(),
            "integer" => "a number".to_string(),
            "unit" | "null" => "nothing".to_string(),
            "map" => "a mapping".to_string(),
            "sequence" => "a list".to_string(),
            "string" => "a string".to_string(),
            "boolean" => "a boolean".to_string(),
            _ => "a value of the wrong type".to_string(),
        });
    let what = match (kind, expected) {
        (Some(k), Some(e)) => format!("invalid type: {k} where {e} is expected"),
        (Some(k), None) => format!("invalid type: {k}"),
        (None, Some(e)) => format!("invalid value; expected {e}"),
        (None, None) => "invalid value".to_string(),
    };
    format!("{what} (the value is not shown: {why})")
}

/// The allowed key closest to `field`, when it is close enough to be a likely typo.
pub(crate) fn closest<'a>(field: &str, allowed: &'a [String]) -> Option<&'a str> {
    let lower = field.to_ascii_lowercase();
    allowed
        .iter()
        .map(|a| {
            (
                strsim::damerau_levenshtein(&lower, &a.to_ascii_lowercase()),
                a,
            )
        })
        .filter(|(d, a)| *d <= (a.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a.as_str())
}

fn backticked(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    rest.split_once('`').map(|(field, _)| field.to_string())
}

/// A short "how to fix" for well-known keys.
pub(crate) fn hint(key: &str) -> &'static str {
    match key.rsplit('.').next().unwrap_or(key) {
        "awsRegion" => "Set it to the AWS region of your tables, e.g. `awsRegion: us-east-1`.",
        "awsConfig" => "Add an `awsConfig:` block with at least `awsRegion`.",
        "serviceConnection" => {
            "Add `serviceConnection: {config: {type: DynamoDB, awsConfig: {awsRegion: ...}}}`."
        }
        "sourceConfig" => "Add `sourceConfig: {config: {type: DatabaseMetadata}}`.",
        "hostPort" => {
            "Set the OpenMetadata server URL, e.g. `hostPort: http://localhost:8585/api`."
        }
        "jwtToken" => "Set the ingestion bot's JWT token, e.g. `jwtToken: ${OM_JWT_TOKEN}`.",
        "securityConfig" => "Write it as a mapping: `securityConfig: {jwtToken: ${OM_JWT_TOKEN}}`.",
        "filename" => "Set the output path, e.g. `filename: out.jsonl`.",
        "source" => "A workflow needs a `source:` block.",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_named_once_with_a_suggestion() {
        let err = from_serde(
            "source.awsConfig.awsRegon".into(),
            "unknown field `awsRegon`, expected one of `enabled`, `awsRegion`, `profileName`"
                .into(),
        );
        assert_eq!(err.key(), Some("source.awsConfig.awsRegon"));
        let text = err.to_string();
        assert!(text.contains("Did you mean `awsRegion`?"), "{text}");
        assert!(text.contains("`profileName`"), "{text}");
    }

    #[test]
    fn far_away_keys_get_no_suggestion() {
        let allowed = vec!["awsRegion".to_string(), "enabled".to_string()];
        assert_eq!(closest("zzzzzzzzzz", &allowed), None);
        assert_eq!(closest("enabeld", &allowed), Some("enabled"));
        assert_eq!(closest("AWSREGION", &allowed), Some("awsRegion"));
    }

    #[test]
    fn values_of_secret_keys_are_never_quoted() {
        for (path, message) in [
            (
                "w.securityConfig",
                "invalid type: string \"MARKER-123\", expected struct JwtConfig",
            ),
            (
                "a.awsSecretAccessKey",
                "invalid type: integer `987654321987654321`, expected a string",
            ),
            ("a.dbPassword", "unknown variant `MARKER-123`, expected `x`"),
        ] {
            let text = from_serde(path.into(), message.into()).to_string();
            assert!(
                !text.contains("MARKER-123") && !text.contains("987654321987654321"),
                "{text}"
            );
            assert!(text.contains("not shown"), "{text}");
        }
        let text = from_serde(
            "a.awsRegion".into(),
            "invalid type: integer `5`, expected a string".into(),
        )
        .to_string();
        assert!(
            text.contains("`5`"),
            "non-secret values stay quoted: {text}"
        );
    }

    #[test]
    fn secret_key_names() {
        for k in [
            "awsSecretAccessKey",
            "awsSessionToken",
            "jwtToken",
            "securityConfig",
            "dbPassword",
            "apiKey",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in ["awsAccessKeyId", "awsRegion", "hostPort", "sampleSize"] {
            assert!(!is_secret_key(k), "{k}");
        }
        assert!(is_secret_path(
            "w.openMetadataServerConfig.securityConfig.jwtToken"
        ));
        assert!(is_secret_path("w.extraHeaders.Authorization"));
    }
}
