//! Crypto wallet addresses: Bitcoin base58check (P2PKH/P2SH), Bitcoin bech32/bech32m (`bc1`),
//! and Ethereum `0x` + 40 hex (no EIP-55 checksum: that needs Keccak, so it weighs less).

use super::Accept;
use crate::sha256::sha256;

const B58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// Decodes base58 into bytes (leading `1`s become leading zero bytes).
fn base58_decode(s: &str) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(32);
    for c in s.bytes() {
        let mut carry = B58.iter().position(|&x| x == c)? as u32;
        for byte in out.iter_mut().rev() {
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            out.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zeros = s.bytes().take_while(|&c| c == b'1').count();
    let mut v = vec![0u8; zeros];
    v.extend(out);
    Some(v)
}

fn base58check(v: &str) -> bool {
    let Some(raw) = base58_decode(v) else {
        return false;
    };
    if raw.len() != 25 || !(raw[0] == 0x00 || raw[0] == 0x05) {
        return false;
    }
    let hash = sha256(&sha256(&raw[..21]));
    hash[..4] == raw[21..]
}

fn bech32_polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
    let mut chk: u32 = 1;
    for &v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ffffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn bech32_bc(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    if lower != v && v.to_ascii_uppercase() != v {
        return false; // mixed case is invalid
    }
    let Some(data) = lower.strip_prefix("bc1") else {
        return false;
    };
    if data.len() < 6 {
        return false;
    }
    let mut values: Vec<u8> = vec![3, 3, 0, 2, 3]; // hrp "bc" expanded
    for c in data.bytes() {
        match BECH32.iter().position(|&x| x == c) {
            Some(p) => values.push(p as u8),
            None => return false,
        }
    }
    let pm = bech32_polymod(&values);
    pm == 1 || pm == 0x2bc8_30a3
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
