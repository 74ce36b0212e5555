//! Fully qualified names by OpenMetadata's rules: parts joined with `.`, a part that
//! contains a `.` wrapped in double quotes.

/// What is percent-encoded in a URL path segment or fragment value: everything but
/// RFC 3986's unreserved characters.
pub const URL_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes `text` as one URL path segment (an FQN in `/tables/name/{fqn}`).
pub fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, URL_COMPONENT).to_string()
}

/// Quotes one FQN part the way OpenMetadata's `quote_name` does.
pub fn quote(name: &str) -> String {
    if name.contains('.') {
        format!("\"{name}\"")
    } else {
        name.to_string()
    }
}

/// Joins parts into an FQN, quoting each as needed.
pub fn build(parts: &[&str]) -> String {
    parts.iter().map(|p| quote(p)).collect::<Vec<_>>().join(".")
}

/// Splits an FQN into its unquoted parts (inverse of [`build`]).
pub fn split(fqn: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in fqn.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dotted_names_are_quoted() {
        assert_eq!(
            build(&["svc", "default", "default", "acct.users-v2"]),
            "svc.default.default.\"acct.users-v2\""
        );
        assert_eq!(build(&["a", "b"]), "a.b");
    }

    proptest! {
        #[test]
        fn split_inverts_build(parts in proptest::collection::vec("[a-z. _-]{1,8}", 1..5)) {
            let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
            prop_assert_eq!(split(&build(&refs)), parts);
        }
    }
}
