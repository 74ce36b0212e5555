//! Network identifiers: IP addresses (v4/v6, optional CIDR suffix) and MAC addresses.

use super::Accept;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Accepts dotted-quad IPv4 and IPv6 (via `std::net`), optionally with `/prefix`.
pub(crate) fn check_ip(v: &str, _name: bool) -> Accept {
    if v.len() < 2 || v.len() > 49 {
        return None;
    }
    let (addr, prefix) = match v.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (v, None),
    };
    let first = *addr.as_bytes().first()?;
    if first.is_ascii_digit()
        && addr.bytes().filter(|&c| c == b'.').count() == 3
        && !addr.contains(':')
    {
        addr.parse::<Ipv4Addr>().ok()?;
        if prefix.is_some_and(|p| p > 32) {
            return None;
        }
        return Some((
            if prefix.is_some() {
                "ipv4-cidr"
            } else {
                "ipv4"
            },
            0.95,
        ));
    }
    if addr.bytes().filter(|&c| c == b':').count() >= 2
        && addr
            .bytes()
            .all(|c| c.is_ascii_hexdigit() || c == b':' || c == b'.')
    {
        addr.parse::<Ipv6Addr>().ok()?;
        if prefix.is_some_and(|p| p > 128) {
            return None;
        }
        return Some((
            if prefix.is_some() {
                "ipv6-cidr"
            } else {
                "ipv6"
            },
            0.95,
        ));
    }
    None
}

/// Accepts `01:23:45:67:89:ab`, `01-23-45-67-89-AB` and Cisco `0123.4567.89ab`.
pub(crate) fn check_mac(v: &str, _name: bool) -> Accept {
    let b = v.as_bytes();
    match b.len() {
        17 => {
            let sep = b[2];
            if sep != b':' && sep != b'-' {
                return None;
            }
            let ok = b.iter().enumerate().all(|(i, &c)| {
                if i % 3 == 2 {
                    c == sep
                } else {
                    c.is_ascii_hexdigit()
                }
            });
            ok.then_some(("mac-colon-or-dash", 0.95))
        }
        14 => {
            let ok = b.iter().enumerate().all(|(i, &c)| {
                if i % 5 == 4 {
                    c == b'.'
                } else {
                    c.is_ascii_hexdigit()
                }
            });
            // All-digit dotted groups (e.g. "2024.0115.1234") are more likely ids than MACs.
            let has_letter = b.iter().any(|c| c.is_ascii_alphabetic());
            (ok && has_letter).then_some(("mac-cisco-dotted", 0.95))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips() {
        for v in [
            "192.168.1.1",
            "8.8.8.8",
            "10.0.0.0/8",
            "2001:db8::1",
            "::1",
            "fe80::1ff:fe23:4567:890a",
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "2001:db8::/32",
            "::ffff:192.0.2.1",
        ] {
            assert!(check_ip(v, false).is_some(), "{v}");
        }
        for v in [
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "10.0.0.0/33",
            "12:30:45",
            "2001:db8:::1",
            "00:1A:2B:3C:4D:5E",
            "v1.2.3.4",
            "1.2.3.4/",
            "192.168.01.1",
        ] {
            assert!(check_ip(v, false).is_none(), "{v}");
        }
    }

    #[test]
    fn macs() {
        for v in ["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e"] {
            assert!(check_mac(v, false).is_some(), "{v}");
        }
        for v in [
            "00:1A:2B:3C:4D",
            "00:1A-2B:3C:4D:5E",
            "00:1G:2B:3C:4D:5E",
            "2024.0115.1234",
            "001a2b3c4d5e",
        ] {
            assert!(check_mac(v, false).is_none(), "{v}");
        }
    }
}
