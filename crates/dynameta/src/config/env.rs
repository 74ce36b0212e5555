//! `${ENV_VAR}` substitution, as OpenMetadata does it: in the raw text, before parsing.
//!
//! OpenMetadata runs `os.path.expandvars` over the file text and then parses it, so
//! `sampleSize: ${N}` reads as a number. dynameta does the same, in three steps:
//!
//! 1. the file as written is parsed and every `${NAME}` in a value is checked (an unset
//!    or malformed reference is an error naming its key; references in comments are not
//!    values and are left alone), which also tells which variables feed secret keys;
//! 2. the references are expanded in the raw text and that text is parsed;
//! 3. the two documents must agree: a value that held a reference is either the
//!    expanded text itself, or that text read as YAML (a number, a boolean, a list...).
//!    A variable whose value contains YAML syntax that changes anything else (` #`
//!    truncating it, `: ` or a line break adding keys, a stray quote) is an error
//!    naming the key and the variable, never a silently different configuration.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::{is_secret_key, is_secret_path, ConfigError};

/// Replaces `${NAME}` in every string value under `value` with the environment variable
/// `NAME`. `$${` stands for a literal `${`. An unset variable is an error naming the key.
pub fn substitute(value: &mut Value, path: &str) -> Result<(), ConfigError> {
    substitute_with(value, path, &|name| std::env::var(name).ok())
}

/// [`substitute`] with a custom variable lookup (for tests).
pub fn substitute_with(
    value: &mut Value,
    path: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    substitute_tracked(value, path, lookup, &mut BTreeMap::new())
}

/// [`substitute_with`] that also records, per key path that held a reference, the
/// variables it referenced.
fn substitute_tracked(
    value: &mut Value,
    path: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    refs: &mut BTreeMap<String, Vec<String>>,
) -> Result<(), ConfigError> {
    match value {
        Value::String(s) if s.contains('$') => {
            let mut names = Vec::new();
            *s = expand(s, path, lookup, true, &mut names)?;
            if !names.is_empty() {
                refs.insert(path.to_string(), names);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                substitute_tracked(item, &format!("{path}[{i}]"), lookup, refs)?;
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                substitute_tracked(item, &child, lookup, refs)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The outcome of substituting a whole file.
pub(crate) struct Expanded {
    /// The document, parsed after substitution.
    pub value: Value,
    /// Values that must never be shown: those of variables feeding a secret key, and of
    /// variables whose name says it holds a secret.
    pub secrets: Vec<String>,
}

/// Substitutes variables in the raw `text` (already parsed as `original`, which must be
/// a mapping) and parses the result with `parse`.
pub(crate) fn expand_file(
    text: &str,
    original: Value,
    lookup: &dyn Fn(&str) -> Option<String>,
    parse: &dyn Fn(&str) -> Result<Value, ConfigError>,
) -> Result<Expanded, ConfigError> {
    let mut by_value = original;
    let mut refs = BTreeMap::new();
    substitute_tracked(&mut by_value, "", lookup, &mut refs)?;
    let mut secrets = Vec::new();
    for (path, names) in &refs {
        for name in names {
            if is_secret_path(path) || is_secret_key(name) {
                if let Some(v) = lookup(name) {
                    secrets.push(v);
                }
            }
        }
    }
    if refs.is_empty() {
        return Ok(Expanded {
            value: by_value,
            secrets,
        });
    }
    let mut used = Vec::new();
    // Lenient: references left in comments may be unset or malformed.
    let raw = expand(text, "", lookup, false, &mut used).unwrap_or_else(|_| text.to_string());
    let redact = |e: ConfigError| e.redact(&secrets);
    let names: Vec<String> = refs.values().flatten().cloned().collect();
    let value = parse(&raw).map_err(|e| match e {
        ConfigError::Yaml { message, .. } => ConfigError::Yaml {
            message: format!(
                "after substituting environment variables ({}): {message}",
                names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            ),
            hint: "A variable's value contains YAML syntax (quotes, `: `, ` #`, a line break). Quote the reference, e.g. `key: \"${NAME}\"`, or change the value.".into(),
        },
        other => other,
    }).map_err(redact)?;
    agree(&by_value, &value, "", &refs).map_err(redact)?;
    Ok(Expanded { value, secrets })
}

/// Checks that the document parsed after raw substitution (`raw`) is the one the file
/// describes (`by_value`: substituted value by value), up to values that held a
/// reference being read as YAML.
fn agree(
    by_value: &Value,
    raw: &Value,
    path: &str,
    refs: &BTreeMap<String, Vec<String>>,
) -> Result<(), ConfigError> {
    let differs = |path: &str| {
        let names = refs
            .iter()
            .filter(|(p, _)| {
                p.as_str() == path
                    || p.starts_with(&format!("{path}."))
                    || p.starts_with(&format!("{path}["))
                    || path.is_empty()
            })
            .flat_map(|(_, n)| n.iter().map(|n| format!("`{n}`")))
            .collect::<Vec<_>>();
        let names = if names.is_empty() {
            "an environment variable".to_string()
        } else {
            format!("environment variable {}", names.join(", "))
        };
        ConfigError::invalid_hint(
            if path.is_empty() { "(top level)".to_string() } else { path.to_string() },
            format!("the value of {names} changes the YAML around it (it contains YAML syntax such as ` #`, `: `, a quote or a line break)."),
            "Quote the reference so the value is read as text, e.g. `key: \"${NAME}\"`, or remove the special characters from the variable.",
        )
    };
    let child = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match (by_value, raw) {
        (Value::Object(a), Value::Object(b)) => {
            if a.len() != b.len() || a.keys().any(|k| !b.contains_key(k)) {
                return Err(differs(path));
            }
            for (k, v) in a {
                agree(v, &b[k], &child(k), refs)?;
            }
            Ok(())
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Err(differs(path));
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                agree(x, y, &format!("{path}[{i}]"), refs)?;
            }
            Ok(())
        }
        (Value::String(s), other) if refs.contains_key(path) => {
            let same = match other {
                Value::String(t) => s == t,
                // The expanded text read as YAML, as OpenMetadata reads it.
                _ => super::yaml::to_json(s).is_ok_and(|v| &v == other),
            };
            if same {
                Ok(())
            } else {
                Err(differs(path))
            }
        }
        (a, b) if a == b => Ok(()),
        _ => Err(differs(path)),
    }
}

/// Expands references in `text`. `strict`: an unset or malformed reference is an error
/// naming `path`; otherwise it is left as written. Names of expanded variables are
/// pushed to `names`.
fn expand(
    text: &str,
    path: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    strict: bool,
    names: &mut Vec<String>,
) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                if !strict {
                    out.push_str(tail);
                    rest = "";
                    continue;
                }
                return Err(ConfigError::invalid_hint(
                    path,
                    "unterminated `${` in value.",
                    "Write `${NAME}` to read an environment variable or `$${` for a literal `${`.",
                ));
            };
            let name = &after[..end];
            let valid = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            let value = if valid { lookup(name) } else { None };
            match value {
                Some(v) => {
                    out.push_str(&v);
                    names.push(name.to_string());
                }
                None if !strict => out.push_str(&tail[..end + 3]),
                None if !valid => {
                    let shown = if is_secret_path(path) {
                        "this `${...}`".to_string()
                    } else {
                        format!("`${{{name}}}`")
                    };
                    return Err(ConfigError::invalid_hint(
                        path,
                        format!("{shown} is not a valid environment variable reference."),
                        "Names are letters, digits and `_`; write `$${` for a literal `${`.",
                    ));
                }
                None => {
                    return Err(ConfigError::invalid_hint(
                        path,
                        format!("environment variable `{name}` is not set."),
                        "Export it before running dynameta, or write the value in the file.",
                    ))
                }
            }
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(name: &str) -> Option<String> {
        match name {
            "REGION" => Some("eu-west-1".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn substitutes_nested_strings_and_keeps_others() {
        let mut v =
            json!({"a": {"b": "x-${REGION}-y", "c": 3, "d": ["${EMPTY}z", "$5", "$${REGION}"]}});
        substitute_with(&mut v, "", &env).unwrap();
        assert_eq!(
            v,
            json!({"a": {"b": "x-eu-west-1-y", "c": 3, "d": ["z", "$5", "${REGION}"]}})
        );
    }

    #[test]
    fn unset_variable_names_key_and_variable() {
        let mut v = json!({"source": {"x": ["ok", "${NOPE}"]}});
        let err = substitute_with(&mut v, "", &env).unwrap_err();
        assert_eq!(err.key(), Some("source.x[1]"));
        assert!(err.to_string().contains("`NOPE` is not set"), "{err}");
    }

    #[test]
    fn unterminated_reference_is_an_error() {
        let mut v = json!({"k": "${REGION"});
        assert!(substitute_with(&mut v, "", &env).is_err());
    }
}
