//! `${ENV_VAR}` substitution in string values of the workflow file.

use serde_json::Value;

use super::error::ConfigError;

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
    match value {
        Value::String(s) if s.contains('$') => {
            *s = expand(s, path, lookup)?;
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                substitute_with(item, &format!("{path}[{i}]"), lookup)?;
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                substitute_with(item, &child, lookup)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn expand(
    text: &str,
    path: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
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
                return Err(ConfigError::invalid(
                    path,
                    "unterminated `${` in value; write `${NAME}` to read an environment variable or `$${` for a literal `${`.",
                ));
            };
            let name = &after[..end];
            let valid = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                return Err(ConfigError::invalid(
                    path,
                    format!("`${{{name}}}` is not a valid environment variable reference; names are letters, digits and `_`."),
                ));
            }
            match lookup(name) {
                Some(v) => out.push_str(&v),
                None => {
                    return Err(ConfigError::invalid(
                        path,
                        format!("environment variable `{name}` is not set. Export it before running dynameta, or write the value in the file."),
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
