//! A string that never shows itself: `Debug`, `Display` and `Serialize` print `**********`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The mask printed in place of every secret value.
pub const MASK: &str = "**********";

/// A secret value (AWS secret key, session token, JWT). Read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The real value, for the one place that must send it (an AWS signer, an HTTP header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MASK)
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MASK)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(MASK)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

/// Every secret this process holds, from any source: the workflow file, the environment,
/// and credentials resolved later (profile files, SSO, AssumeRole). Whatever is shown
/// (logs, summaries, errors) passes through [`redact_registered`].
static REGISTRY: std::sync::RwLock<Vec<Secret>> = std::sync::RwLock::new(Vec::new());

/// Adds a secret to the process-wide redaction list (values under 4 characters are
/// not masked: they would mask ordinary text).
pub fn register(secret: &Secret) {
    if secret.0.len() < 4 {
        return;
    }
    if let Ok(read) = REGISTRY.read() {
        if read.contains(secret) {
            return;
        }
    }
    let mut list = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    if !list.contains(secret) {
        list.push(secret.clone());
    }
}

/// [`redact`] with every secret [`register`]ed so far.
pub fn redact_registered(text: &str) -> String {
    let list = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
    let secrets: Vec<&Secret> = list.iter().collect();
    redact(text, &secrets)
}

/// Replaces every occurrence of each non-empty secret in `text` with [`MASK`].
///
/// Used on messages that come from elsewhere (AWS SDK errors, HTTP bodies) before they
/// are shown, in case a service echoes a credential back.
pub fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        if secret.0.len() >= 4 {
            out = out.replace(&secret.0, MASK);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rendering_is_masked() {
        let s = Secret::new("wJalrXUtnFEMI/K7MDENG");
        assert_eq!(format!("{s}"), MASK);
        assert_eq!(format!("{s:?}"), MASK);
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{MASK}\""));
        assert_eq!(s.expose(), "wJalrXUtnFEMI/K7MDENG");
    }

    #[test]
    fn registered_secrets_are_masked_wherever_they_came_from() {
        let token = Secret::new("FwoGZXIvYXdzEFromStsSessionToken");
        assert!(redact_registered("token FwoGZXIvYXdzEFromStsSessionToken").contains("FwoG"));
        register(&token);
        register(&token);
        register(&Secret::new("abc"));
        assert_eq!(
            redact_registered("token FwoGZXIvYXdzEFromStsSessionToken, abc"),
            format!("token {MASK}, abc")
        );
    }

    #[test]
    fn redact_replaces_echoed_secrets() {
        let s = Secret::new("topsecretvalue");
        assert_eq!(
            redact("bad key topsecretvalue!", &[&s]),
            format!("bad key {MASK}!")
        );
    }
}
