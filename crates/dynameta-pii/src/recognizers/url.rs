//! URLs: `http(s)://` or `ftp://` with a host, or bare `www.` hosts.

use super::Accept;
use regex::Regex;
use std::sync::LazyLock;

static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:(?:https?|ftp)://(?:[^\s/@:]+(?::[^\s/@]*)?@)?(?:(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}|(?:\d{1,3}\.){3}\d{1,3}|\[[0-9a-f:.]+\]|localhost)|www\.(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})(?::\d{1,5})?(?:[/?#][^\s]*)?$",
    )
    .expect("constant url regex")
});

/// Accepts URLs with an http/https/ftp scheme, or `www.` host names.
pub(crate) fn check(v: &str, _name: bool) -> Accept {
    let b = v.as_bytes();
    if b.len() < 8 || b.len() > 2048 || !matches!(b[0].to_ascii_lowercase(), b'h' | b'f' | b'w') {
        return None;
    }
    if !URL.is_match(v) {
        return None;
    }
    Some((
        if b[0].eq_ignore_ascii_case(&b'w') {
            "www-host"
        } else {
            "scheme-url"
        },
        0.9,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for v in [
            "https://example.com",
            "http://sub.example.co.uk/path?q=1#x",
            "ftp://files.example.org/pub",
            "www.example.com",
            "https://10.0.0.1:8080/x",
            "HTTPS://EXAMPLE.COM/A",
        ] {
            assert!(check(v, false).is_some(), "{v}");
        }
        for v in [
            "example.com",
            "http://",
            "https://exa mple.com",
            "mailto:a@b.com",
            "htp://example.com",
            "www.example",
            "https://example.c",
        ] {
            assert!(check(v, false).is_none(), "{v}");
        }
    }
}
