//! E-mail addresses: the dot-atom subset of RFC 5322 `addr-spec`, with a letters-only TLD.

use super::Accept;

fn local_ok(local: &str) -> bool {
    const SPECIAL: &[u8] = b"!#$%&'*+/=?^_`{|}~-";
    !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || SPECIAL.contains(&c))
        })
}

fn domain_ok(domain: &str) -> bool {
    if domain.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let tld = labels[labels.len() - 1];
    tld.len() >= 2
        && tld.bytes().all(|c| c.is_ascii_alphabetic())
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        })
}

/// Accepts `local@domain.tld`.
pub(crate) fn check(v: &str, _name: bool) -> Accept {
    if v.len() < 6 || v.len() > 254 {
        return None;
    }
    let (local, domain) = v.split_once('@')?;
    (local_ok(local) && domain_ok(domain)).then_some(("rfc5322-addr-spec", 0.95))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for v in [
            "john.doe@example.com",
            "a+tag@sub.example.co.uk",
            "x_y-z@ex-ample.io",
            "o'neil@mail.ie",
        ] {
            assert!(check(v, false).is_some(), "{v}");
        }
        for v in [
            "john.doe@example",
            "john..doe@example.com",
            ".john@example.com",
            "john@-ex.com",
            "john@example.c",
            "john@example.123",
            "john@@example.com",
            "a@b@c.com",
            "john doe@x.com",
            "@example.com",
            "john@",
            "user@localhost",
        ] {
            assert!(check(v, false).is_none(), "{v}");
        }
    }
}
