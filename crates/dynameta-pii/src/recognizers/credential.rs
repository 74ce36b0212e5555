//! Secrets: AWS access key ids, JWTs, PEM private keys, GitHub/Slack/Stripe tokens; with name
//! context (`password`, `secret`, `token`) also password hashes, AWS secret keys and other
//! opaque high-entropy strings.

use super::Accept;

fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn is_jwt(v: &str) -> bool {
    let mut parts = v.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if !h.starts_with("eyJ") || h.len() < 10 || p.is_empty() {
        return false;
    }
    let _ = s;
    let Some(header) = b64url_decode(h) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&header) else {
        return false;
    };
    let t = text.trim();
    t.starts_with('{') && t.ends_with('}') && t.contains("\"alg\"")
}

fn token_body(s: &str, min: usize) -> bool {
    s.len() >= min
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

fn prefixed_token(v: &str) -> Option<&'static str> {
    for p in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        if let Some(rest) = v.strip_prefix(p) {
            return (rest.len() == 36 && rest.bytes().all(|c| c.is_ascii_alphanumeric()))
                .then_some("github-token");
        }
    }
    if let Some(rest) = v.strip_prefix("github_pat_") {
        return token_body(rest, 40).then_some("github-token");
    }
    for p in ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xapp-"] {
        if let Some(rest) = v.strip_prefix(p) {
            return token_body(rest, 10).then_some("slack-token");
        }
    }
    for p in ["sk_live_", "sk_test_", "rk_live_", "rk_test_"] {
        if let Some(rest) = v.strip_prefix(p) {
            return (rest.len() >= 16 && rest.bytes().all(|c| c.is_ascii_alphanumeric()))
                .then_some("stripe-secret-key");
        }
    }
    None
}

fn aws_key_id(v: &str) -> bool {
    v.len() == 20
        && (v.starts_with("AKIA") || v.starts_with("ASIA"))
        && v[4..]
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn password_hash(v: &str) -> bool {
    (v.starts_with("$2a$") || v.starts_with("$2b$") || v.starts_with("$2y$")) && v.len() == 60
        || v.starts_with("$argon2")
        || v.starts_with("$scrypt$")
        || v.starts_with("pbkdf2_sha256$")
        || v.starts_with("$pbkdf2")
        || v.starts_with("$6$")
        || v.starts_with("$5$")
}

/// Opaque, space-free, mixed-class string of 16+ characters (an API key, a hash, a secret).
fn opaque(v: &str) -> bool {
    if v.len() < 16 || v.len() > 4096 || v.contains(char::is_whitespace) {
        return false;
    }
    let b = v.as_bytes();
    let lower = b.iter().any(u8::is_ascii_lowercase);
    let upper = b.iter().any(u8::is_ascii_uppercase);
    let digit = b.iter().any(u8::is_ascii_digit);
    u8::from(lower) + u8::from(upper) + u8::from(digit) >= 2
}

/// Accepts secrets.
pub(crate) fn check(v: &str, name: bool) -> Accept {
    let b = v.as_bytes();
    if b.len() < 16 {
        return None;
    }
    if aws_key_id(v) {
        return Some(("aws-access-key-id", 0.95));
    }
    if b[0] == b'e' && is_jwt(v) {
        return Some(("jwt", 1.0));
    }
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY-----") {
        return Some(("pem-private-key", 1.0));
    }
    if let Some(p) = prefixed_token(v) {
        return Some((p, 0.95));
    }
    if name {
        if password_hash(v) {
            return Some(("password-hash-with-name-context", 0.8));
        }
        if v.len() == 40
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'/' || *c == b'+')
        {
            return Some(("aws-secret-key-with-name-context", 0.8));
        }
        if opaque(v) {
            return Some(("opaque-secret-with-name-context", 0.7));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets() {
        // Dummies only, none of them a credential: AWS's documented example key id, an
        // `EXAMPLE` session key id, a JWT whose signature part is the text
        // `dummysignaturenotasecret` (header {"alg":"HS256","typ":"JWT"}), and tokens
        // spelled EXAMPLE.
        for v in [
            "AKIAIOSFODNN7EXAMPLE",
            "ASIAEXAMPLEEXAMPLE12",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJleGFtcGxlIn0.dummysignaturenotasecret",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...",
            "ghp_EXAMPLEexampleEXAMPLEexampleEXAMPLE0",
            "xoxb-000000000000-EXAMPLEexample",
            "sk_live_EXAMPLEexampleEXAMPLE00",
        ] {
            assert!(check(v, false).is_some(), "{v}");
        }
        for v in [
            "AKIAIOSFODNN7EXAMPL",
            "eyJub3RhbGciOjF9.eyJ4IjoxfQ.sig",
            "eyJhbGciOiJIUzI1NiJ9",
            "pk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "$2b$12$abcdefghijklmnopqrstuuJ9cJHl0gWvDR8x1t9Xq5Qb3Jm5Sa5Wq",
            "just some words here",
        ] {
            assert!(check(v, false).is_none(), "{v}");
        }
        assert!(check(
            "$2b$12$abcdefghijklmnopqrstuuJ9cJHl0gWvDR8x1t9Xq5Qb3Jm5Sa5Wq",
            true
        )
        .is_some());
    }
}
