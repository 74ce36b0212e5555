//! Configuration errors: each names the file, the exact key path and how to fix it.

use std::path::PathBuf;

/// Why a workflow file could not be used. Every variant renders as one actionable message.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error(
        "cannot read workflow config {path}: {source}. Check the path given with -c/--config."
    )]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid YAML.
    #[error("{path}: not valid YAML: {message}. Fix the syntax at that line (indentation, quotes, colons).")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A key has a wrong, missing or unknown value.
    #[error("{key}: {message}")]
    Invalid {
        /// Dotted key path inside the file, e.g. `source.serviceConnection.config.awsConfig.awsRegion`.
        key: String,
        /// What is wrong and what is expected.
        message: String,
    },
}

impl ConfigError {
    /// An invalid value at `key`.
    pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
        }
    }

    /// The key path this error is about, when it is about one key.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// Turns a serde error found at `path` into an [`ConfigError::Invalid`] whose key names the
/// offending field itself (serde reports missing and unknown fields at their parent).
pub(crate) fn from_serde(path: String, message: String) -> ConfigError {
    let join = |field: &str| {
        if path.is_empty() || path == "." {
            field.to_string()
        } else {
            format!("{path}.{field}")
        }
    };
    if let Some(field) = backticked(&message, "missing field `") {
        let key = join(&field);
        let message = format!("required key is missing. {}", hint(&key));
        return ConfigError::invalid(key, message.trim_end());
    }
    if let Some(field) = backticked(&message, "unknown field `") {
        let key = join(&field);
        let expected = message
            .split_once(", expected ")
            .map(|(_, rest)| format!("; allowed here: {rest}"))
            .unwrap_or_default();
        return ConfigError::invalid(
            key,
            format!("unknown key{expected}. Check the spelling; dynameta's own options belong in source.serviceConnection.config.connectionArguments or sink.config."),
        );
    }
    let key = if path.is_empty() || path == "." {
        "(top level)".to_string()
    } else {
        path
    };
    let hint = hint(&key);
    ConfigError::invalid(key, format!("{message}. {hint}").trim_end().to_string())
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
        "filename" => "Set the output path, e.g. `filename: out.jsonl`.",
        "source" => "A workflow needs a `source:` block.",
        "type" => "",
        _ => "",
    }
}
