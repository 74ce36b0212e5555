//! Crypto wallet addresses: Bitcoin base58check (P2PKH/P2SH), Bitcoin bech32/bech32m (`bc1`),
//! and Ethereum `0x` + 40 hex (no EIP-55 checksum: that needs Keccak, so it weighs less).

use super::Accept;

/// A Bitcoin P2PKH (version 0x00) or P2SH (0x05) address: base58 with a double-SHA-256
/// checksum, 20-byte payload.
fn base58check(v: &str) -> bool {
    match bs58::decode(v).with_check(None).into_vec() {
        Ok(raw) => raw.len() == 21 && (raw[0] == 0x00 || raw[0] == 0x05),
        Err(_) => false,
    }
}

/// A mainnet segwit address (`bc1`, bech32 for v0, bech32m for v1+), with a valid
/// witness version and program length.
fn bech32_bc(v: &str) -> bool {
    matches!(bech32::segwit::decode(v), Ok((hrp, _, _)) if hrp == bech32::hrp::BC)
}

/// Accepts Bitcoin and Ethereum addresses.
pub(crate) fn check(v: &str, _name: bool) -> Accept {
    let b = v.as_bytes();
    match b.first()? {
        b'1' | b'3' if (26..=35).contains(&b.len()) => {
            base58check(v).then_some(("bitcoin-base58check", 1.0))
        }
        b'b' | b'B' if (14..=74).contains(&b.len()) => {
            bech32_bc(v).then_some(("bitcoin-bech32", 1.0))
        }
        b'0' if b.len() == 42 && b[1] == b'x' && b[2..].iter().all(u8::is_ascii_hexdigit) => {
            Some(("ethereum-0x-hex", 0.8))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallets() {
        for v in [
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
            "0x52908400098527886E0F7030069857D2E4169EE7",
        ] {
            assert!(check(v, false).is_some(), "{v}");
        }
        for v in [
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr",
            "0x52908400098527886E0F7030069857D2E4169EE",
            "1234567890123456789012345678",
            "bc1qAr0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        ] {
            assert!(check(v, false).is_none(), "{v}");
        }
    }
}
