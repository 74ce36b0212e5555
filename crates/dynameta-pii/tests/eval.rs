//! Column-level evaluation of the classifier on a deterministic labelled corpus.
//!
//! Run with `cargo test -p dynameta-pii --test eval -- --nocapture` to see the tables.
//! Positive columns get neutral names (`col_17`), so content alone must carry them; some get
//! 5–20 % garbage mixed in; a few get telling names. Negative columns are hard negatives
//! (order ids, non-Luhn 16-digit ids, epochs, UUIDs, hashes, product codes, lorem, ...) with
//! neutral or misleading-but-innocent names.
//!
//! Person names: the embedded name lists deliberately leave out ~20 % of the `fake` crate's
//! names (a hash-based hold-out, see `data/NOTICE.md`), and names whose tokens are missing
//! from the embedded lists are reported separately as "held-out" recall.

use dynameta_pii::{classify, recognizers, Sensitivity};
use fake::faker::address::raw::{
    BuildingNumber, CityName, SecondaryAddress, StateAbbr, StreetName, ZipCode,
};
use fake::faker::company::raw::CompanyName;
use fake::faker::internet::raw::{
    FreeEmail, IPv4, IPv6, MACAddress, SafeEmail, UserAgent, Username,
};
use fake::faker::lorem::raw::{Sentence, Word, Words};
use fake::faker::name::raw::{FirstName, LastName, Name, NameWithTitle};
use fake::faker::phone_number::raw::{CellNumber, PhoneNumber};
use fake::locales::{DE_DE, EN, FR_FR, IT_IT, JA_JP, NL_NL, PT_BR};
use fake::Fake;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

type Gen = fn(&mut StdRng) -> String;

const THRESHOLD: f64 = 80.0;

// ---------------------------------------------------------------------------------------------
// Generators of positive values
// ---------------------------------------------------------------------------------------------

fn digits(rng: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// Luhn sum of `s`, doubling the digits at `doubled` parity counted from the right
/// (0 while the check digit is still missing, 1 for a complete number). The eval's own
/// copy, independent of the recognizer it checks.
fn luhn_sum(s: &str, doubled: usize) -> u32 {
    s.bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let x = u32::from(b - b'0');
            match (i % 2 == doubled, x * 2) {
                (true, y) if y > 9 => y - 9,
                (true, y) => y,
                (false, _) => x,
            }
        })
        .sum()
}

fn luhn_complete(prefix: &str, len: usize, rng: &mut StdRng) -> String {
    let mut s = prefix.to_string();
    s.push_str(&digits(rng, len - prefix.len() - 1));
    let sum = luhn_sum(&s, 0);
    s.push(char::from(b'0' + ((10 - sum % 10) % 10) as u8));
    s
}

fn card(rng: &mut StdRng) -> String {
    let (prefix, len) = *[
        ("4", 16),
        ("4", 16),
        ("4", 13),
        ("51", 16),
        ("55", 16),
        ("2221", 16),
        ("2720", 16),
        ("34", 15),
        ("37", 15),
        ("6011", 16),
        ("65", 16),
        ("644", 16),
        ("3528", 16),
        ("3589", 16),
        ("36", 14),
        ("300", 14),
        ("62", 16),
        ("4", 19),
    ]
    .choose(rng)
    .expect("non-empty");
    let n = luhn_complete(prefix, len, rng);
    match rng.random_range(0..3) {
        0 => n,
        k => {
            let sep = if k == 1 { " " } else { "-" };
            let groups: Vec<String> = n
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            groups.join(sep)
        }
    }
}

fn iban_check_digits(cc: &str, bban: &str) -> String {
    let rearranged = format!("{bban}{cc}00");
    let mut r: u32 = 0;
    for c in rearranged.bytes() {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A') + 10
        };
        r = if v >= 10 {
            (r * 100 + v) % 97
        } else {
            (r * 10 + v) % 97
        };
    }
    format!("{:02}", 98 - r)
}

fn upper(rng: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'A' + rng.random_range(0..26u8)))
        .collect()
}

fn iban(rng: &mut StdRng) -> String {
    // (country, BBAN shape: 'a' = letter, 'n' = digit)
    let (cc, shape) = *[
        ("DE", "nnnnnnnnnnnnnnnnnn"),
        ("FR", "nnnnnnnnnnnnnnnnnnnnnnn"),
        ("GB", "aaaannnnnnnnnnnnnn"),
        ("NL", "aaaannnnnnnnnn"),
        ("ES", "nnnnnnnnnnnnnnnnnnnn"),
        ("IT", "annnnnnnnnnnnnnnnnnnnnn"),
        ("CH", "nnnnnnnnnnnnnnnnn"),
        ("NO", "nnnnnnnnnnn"),
        ("BE", "nnnnnnnnnnnn"),
        ("AT", "nnnnnnnnnnnnnnnn"),
        ("PL", "nnnnnnnnnnnnnnnnnnnnnnnn"),
        ("PT", "nnnnnnnnnnnnnnnnnnnnn"),
    ]
    .choose(rng)
    .expect("non-empty");
    let bban: String = shape
        .bytes()
        .map(|k| {
            if k == b'a' {
                upper(rng, 1)
            } else {
                digits(rng, 1)
            }
        })
        .collect();
    let compact = format!("{cc}{}{bban}", iban_check_digits(cc, &bban));
    if rng.random_bool(0.5) {
        compact
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        compact
    }
}

fn ssn(rng: &mut StdRng) -> String {
    loop {
        let area = rng.random_range(1..900);
        if area == 666 {
            continue;
        }
        let s = format!(
            "{area:03}-{:02}-{:04}",
            rng.random_range(1..100),
            rng.random_range(1..10000)
        );
        if !["078-05-1120", "219-09-9999", "123-45-6789"].contains(&s.as_str()) {
            return s;
        }
    }
}

fn itin(rng: &mut StdRng) -> String {
    let group = *[70, 75, 78, 80, 85, 88, 90, 91, 92, 94, 95, 99]
        .choose(rng)
        .expect("non-empty");
    format!(
        "9{:02}-{group}-{:04}",
        rng.random_range(0..100),
        rng.random_range(0..10000)
    )
}

fn ip(rng: &mut StdRng) -> String {
    match rng.random_range(0..6) {
        0..=2 => IPv4(EN).fake_with_rng(rng),
        3 => format!(
            "{}/{}",
            IPv4(EN).fake_with_rng::<String, _>(rng),
            rng.random_range(8..33)
        ),
        4 => IPv6(EN).fake_with_rng(rng),
        _ => format!(
            "2001:db8:{:x}::{:x}",
            rng.random_range(0..0xffff),
            rng.random_range(1..0xffff)
        ),
    }
}

fn mac(rng: &mut StdRng) -> String {
    let m: String = MACAddress(EN).fake_with_rng(rng);
    match rng.random_range(0..3) {
        0 => m,
        1 => m.replace(':', "-").to_uppercase(),
        _ => {
            let h: String = m.replace(':', "");
            format!("{}.{}.{}", &h[..4], &h[4..8], &h[8..])
        }
    }
}

fn url(rng: &mut StdRng) -> String {
    let w: String = Word(EN).fake_with_rng(rng);
    let w2: String = Word(EN).fake_with_rng(rng);
    let tld = *["com", "org", "net", "io", "de", "co.uk", "fr"]
        .choose(rng)
        .expect("non-empty");
    match rng.random_range(0..4) {
        0 => format!("https://www.{w}{w2}.{tld}/"),
        1 => format!("https://{w}.{tld}/{w2}?id={}", rng.random_range(1..9999)),
        2 => format!(
            "http://{w}-{w2}.{tld}/{w2}/{}.html",
            rng.random_range(1..999)
        ),
        _ => format!("www.{w}.{tld}"),
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn date(rng: &mut StdRng) -> String {
    let (y, m, d) = (
        rng.random_range(1940..2030),
        rng.random_range(1..13u32),
        rng.random_range(1..29u32),
    );
    match rng.random_range(0..6) {
        0 => format!("{y}-{m:02}-{d:02}"),
        1 => format!(
            "{y}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rng.random_range(0..24),
            rng.random_range(0..60),
            rng.random_range(0..60)
        ),
        2 => format!(
            "{y}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}+02:00",
            rng.random_range(0..24),
            rng.random_range(0..60),
            rng.random_range(0..60),
            rng.random_range(0..1000)
        ),
        3 => format!("{d:02}/{m:02}/{y}"),
        4 => format!("{m:02}/{d:02}/{y}"),
        _ => format!("{} {d}, {y}", MONTHS[(m - 1) as usize]),
    }
}

fn person(rng: &mut StdRng) -> String {
    match rng.random_range(0..8) {
        0 => Name(EN).fake_with_rng(rng),
        1 => NameWithTitle(EN).fake_with_rng(rng),
        2 => Name(FR_FR).fake_with_rng(rng),
        3 => Name(DE_DE).fake_with_rng(rng),
        4 => Name(IT_IT).fake_with_rng(rng),
        5 => Name(PT_BR).fake_with_rng(rng),
        6 => Name(NL_NL).fake_with_rng(rng),
        _ => format!(
            "{} {}",
            FirstName(EN).fake_with_rng::<String, _>(rng),
            LastName(FR_FR).fake_with_rng::<String, _>(rng)
        ),
    }
}

fn address(rng: &mut StdRng) -> String {
    let bn: String = BuildingNumber(EN).fake_with_rng(rng);
    match rng.random_range(0..7) {
        0 => format!("{bn} {}", StreetName(EN).fake_with_rng::<String, _>(rng)),
        1 => format!(
            "{bn} {}, {}",
            StreetName(EN).fake_with_rng::<String, _>(rng),
            SecondaryAddress(EN).fake_with_rng::<String, _>(rng)
        ),
        2 => format!(
            "{bn} {}, {}, {} {}",
            StreetName(EN).fake_with_rng::<String, _>(rng),
            CityName(EN).fake_with_rng::<String, _>(rng),
            StateAbbr(EN).fake_with_rng::<String, _>(rng),
            ZipCode(EN).fake_with_rng::<String, _>(rng)
        ),
        3 => format!(
            "{} {}, {} {}",
            rng.random_range(1..200),
            StreetName(FR_FR).fake_with_rng::<String, _>(rng),
            digits(rng, 5),
            CityName(FR_FR).fake_with_rng::<String, _>(rng)
        ),
        4 => format!(
            "{} {}",
            StreetName(IT_IT).fake_with_rng::<String, _>(rng),
            rng.random_range(1..200)
        ),
        5 => format!(
            "{}, {}",
            StreetName(PT_BR).fake_with_rng::<String, _>(rng),
            rng.random_range(1..2000)
        ),
        _ => format!(
            "{} {}, {} {}",
            StreetName(DE_DE).fake_with_rng::<String, _>(rng),
            rng.random_range(1..200),
            digits(rng, 5),
            CityName(DE_DE).fake_with_rng::<String, _>(rng)
        ),
    }
}

fn us_phone(rng: &mut StdRng) -> String {
    let area = *[
        "212", "415", "312", "617", "202", "305", "713", "206", "303", "404", "512", "646",
    ]
    .choose(rng)
    .expect("non-empty");
    let exch = format!("{}{}", rng.random_range(2..10), digits(rng, 2));
    let line = digits(rng, 4);
    match rng.random_range(0..5) {
        0 => format!("({area}) {exch}-{line}"),
        1 => format!("{area}-{exch}-{line}"),
        2 => format!("+1 {area}-{exch}-{line}"),
        3 => format!("{area}.{exch}.{line}"),
        _ => format!("1-{area}-{exch}-{line} x{}", rng.random_range(1..999)),
    }
}

fn br_phone(rng: &mut StdRng) -> String {
    let ddd = *["11", "21", "31", "41", "51", "61", "71", "81", "91", "19"]
        .choose(rng)
        .expect("non-empty");
    if rng.random_bool(0.5) {
        format!("({ddd}) 9{}-{}", digits(rng, 4), digits(rng, 4))
    } else {
        format!(
            "({ddd}) {}{}-{}",
            rng.random_range(2..6),
            digits(rng, 3),
            digits(rng, 4)
        )
    }
}

fn phone(rng: &mut StdRng) -> String {
    match rng.random_range(0..7) {
        0 => us_phone(rng),
        1 => PhoneNumber(FR_FR).fake_with_rng(rng),
        2 => CellNumber(IT_IT).fake_with_rng(rng),
        3 => CellNumber(JA_JP).fake_with_rng(rng),
        4 => br_phone(rng),
        5 => format!("+44 20 7{} {}", digits(rng, 3), digits(rng, 4)),
        _ => format!("+49 30 {}", digits(rng, 8)),
    }
}

fn nhs(rng: &mut StdRng) -> String {
    loop {
        let d = digits(rng, 9);
        let sum: u32 = d
            .bytes()
            .enumerate()
            .map(|(i, b)| u32::from(b - b'0') * (10 - i as u32))
            .sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => continue,
            c => c,
        };
        let n = format!("{d}{check}");
        return if rng.random_bool(0.5) {
            format!("{} {} {}", &n[..3], &n[3..6], &n[6..])
        } else {
            n
        };
    }
}

fn base58(bytes: &[u8]) -> String {
    const A: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut digits58: Vec<u8> = Vec::new();
    for &b in bytes {
        let mut carry = u32::from(b);
        for d in digits58.iter_mut() {
            carry += u32::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits58.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    "1".repeat(zeros)
        + &digits58
            .iter()
            .rev()
            .map(|&d| char::from(A[d as usize]))
            .collect::<String>()
}

fn bech32_address(rng: &mut StdRng) -> String {
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    const GEN: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
    let mut data: Vec<u8> = vec![0];
    data.extend((0..32).map(|_| rng.random_range(0..32u8)));
    let mut values: Vec<u8> = vec![3, 3, 0, 2, 3];
    values.extend(&data);
    values.extend([0u8; 6]);
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ffffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    let pm = chk ^ 1;
    data.extend((0..6).map(|i| ((pm >> (5 * (5 - i))) & 31) as u8));
    "bc1".to_string()
        + &data
            .iter()
            .map(|&d| char::from(CHARSET[d as usize]))
            .collect::<String>()
}

fn crypto(rng: &mut StdRng) -> String {
    match rng.random_range(0..3) {
        0 => {
            let mut payload = vec![if rng.random_bool(0.5) { 0u8 } else { 5u8 }];
            payload.extend((0..20).map(|_| rng.random::<u8>()));
            let check = Sha256::digest(Sha256::digest(&payload));
            payload.extend(&check[..4]);
            base58(&payload)
        }
        1 => bech32_address(rng),
        _ => format!(
            "0x{}",
            (0..40)
                .map(|_| char::from(b"0123456789abcdefABCDEF"[rng.random_range(0..22)]))
                .collect::<String>()
        ),
    }
}

fn b64url(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, &b)| a | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn alnum(rng: &mut StdRng, n: usize) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| char::from(A[rng.random_range(0..A.len())]))
        .collect()
}

fn credential(rng: &mut StdRng) -> String {
    match rng.random_range(0..5) {
        0 => format!(
            "AKIA{}",
            (0..16)
                .map(|_| char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[rng.random_range(0..32)]))
                .collect::<String>()
        ),
        1 => {
            let header = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
            let payload = b64url(
                format!(
                    r#"{{"sub":"{}","iat":{}}}"#,
                    rng.random_range(1..99999),
                    rng.random_range(1_600_000_000..1_800_000_000u64)
                )
                .as_bytes(),
            );
            format!("{header}.{payload}.{}", alnum(rng, 43))
        }
        2 => format!("ghp_{}", alnum(rng, 36)),
        3 => format!("xoxb-{}-{}", digits(rng, 12), alnum(rng, 24)),
        _ => format!("sk_live_{}", alnum(rng, 24)),
    }
}

fn dea(rng: &mut StdRng) -> String {
    let first = char::from(*b"ABFGMPR".choose(rng).expect("non-empty"));
    let second = upper(rng, 1);
    let d: Vec<u32> = (0..6).map(|_| rng.random_range(0..10)).collect();
    let check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10;
    format!(
        "{first}{second}{}{check}",
        d.iter().map(u32::to_string).collect::<String>()
    )
}

fn passport(rng: &mut StdRng) -> String {
    if rng.random_bool(0.5) {
        digits(rng, 9)
    } else {
        format!("{}{}", upper(rng, 1), digits(rng, 8))
    }
}

fn driver_license(rng: &mut StdRng) -> String {
    let n = rng.random_range(7..13);
    format!("{}{}", upper(rng, 1), digits(rng, n))
}

fn bank_number(rng: &mut StdRng) -> String {
    let n = rng.random_range(8..18);
    digits(rng, n)
}

fn nrp(rng: &mut StdRng) -> String {
    ["female", "male", "non-binary", "F", "M", "unknown"]
        .choose(rng)
        .expect("non-empty")
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Hard negatives
// ---------------------------------------------------------------------------------------------

fn luhn_ok(s: &str) -> bool {
    luhn_sum(s, 1).is_multiple_of(10)
}

fn neg_order_id(rng: &mut StdRng) -> String {
    match rng.random_range(0..4) {
        0 => format!("ORD-{}-{}", rng.random_range(2019..2026), digits(rng, 6)),
        1 => format!(
            "{}{:02}{:02}{}",
            rng.random_range(2019..2026),
            rng.random_range(1..13),
            rng.random_range(1..29),
            digits(rng, 5)
        ),
        2 => format!(
            "ORD-{}-{}-{}",
            digits(rng, 3),
            digits(rng, 4),
            digits(rng, 2)
        ),
        _ => format!("INV/{}/{}", rng.random_range(2019..2026), digits(rng, 5)),
    }
}

fn neg_id16(rng: &mut StdRng) -> String {
    loop {
        let s = format!("{}{}", rng.random_range(1..10), digits(rng, 15));
        if !luhn_ok(&s) {
            return s;
        }
    }
}

fn neg_sku(rng: &mut StdRng) -> String {
    format!("SKU-{}-{}", upper(rng, 2), digits(rng, 4))
}

fn neg_lorem(rng: &mut StdRng) -> String {
    Sentence(EN, 3..10).fake_with_rng(rng)
}

fn neg_epoch(rng: &mut StdRng) -> String {
    if rng.random_bool(0.5) {
        rng.random_range(1_500_000_000u64..1_800_000_000)
            .to_string()
    } else {
        rng.random_range(1_500_000_000_000u64..1_800_000_000_000)
            .to_string()
    }
}

fn neg_uuid(rng: &mut StdRng) -> String {
    let h: String = (0..32)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..]
    )
}

fn neg_hash(rng: &mut StdRng) -> String {
    let n = *[32usize, 40, 64].choose(rng).expect("non-empty");
    (0..n)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}

fn neg_base64(rng: &mut StdRng) -> String {
    let bytes: Vec<u8> = (0..rng.random_range(12..60))
        .map(|_| rng.random::<u8>())
        .collect();
    b64url(&bytes)
}

fn neg_bool(rng: &mut StdRng) -> String {
    ["true", "false", "TRUE", "0", "1", "yes", "no"]
        .choose(rng)
        .expect("non-empty")
        .to_string()
}

fn neg_small_int(rng: &mut StdRng) -> String {
    rng.random_range(0..5000).to_string()
}

fn neg_price(rng: &mut StdRng) -> String {
    format!(
        "{}.{:02}",
        rng.random_range(0..10000),
        rng.random_range(0..100)
    )
}

fn neg_company(rng: &mut StdRng) -> String {
    CompanyName(EN).fake_with_rng(rng)
}

fn neg_product(rng: &mut StdRng) -> String {
    let a = *[
        "Ergonomic",
        "Rustic",
        "Sleek",
        "Practical",
        "Handmade",
        "Fantastic",
        "Refined",
    ]
    .choose(rng)
    .expect("non-empty");
    let m = *[
        "Steel", "Wooden", "Granite", "Cotton", "Plastic", "Rubber", "Frozen",
    ]
    .choose(rng)
    .expect("non-empty");
    let p = *[
        "Chair", "Table", "Shirt", "Shoes", "Keyboard", "Pizza", "Gloves", "Hat",
    ]
    .choose(rng)
    .expect("non-empty");
    format!("{a} {m} {p}")
}

fn neg_digits10(rng: &mut StdRng) -> String {
    format!("{}{}", rng.random_range(1..10), digits(rng, 9))
}

fn neg_digits9(rng: &mut StdRng) -> String {
    format!("{}{}", rng.random_range(1..10), digits(rng, 8))
}

fn neg_username(rng: &mut StdRng) -> String {
    Username(EN).fake_with_rng(rng)
}

fn neg_user_agent(rng: &mut StdRng) -> String {
    UserAgent(EN).fake_with_rng(rng)
}

fn neg_semver(rng: &mut StdRng) -> String {
    format!(
        "{}.{}.{}",
        rng.random_range(0..20),
        rng.random_range(0..50),
        rng.random_range(0..100)
    )
}

fn neg_words(rng: &mut StdRng) -> String {
    let w: Vec<String> = Words(EN, 2..4).fake_with_rng(rng);
    w.join(" ")
}

fn neg_hex_color(rng: &mut StdRng) -> String {
    format!("#{:06x}", rng.random_range(0..0xffffffu32))
}

fn neg_tracking(rng: &mut StdRng) -> String {
    format!("1Z{}{}", upper(rng, 6), digits(rng, 10))
}

fn neg_latlon(rng: &mut StdRng) -> String {
    format!("{:.6}", rng.random_range(-180.0..180.0f64))
}

fn neg_phone_like_codes(rng: &mut StdRng) -> String {
    format!("{}-{}", digits(rng, 3), digits(rng, 4))
}

fn neg_city(rng: &mut StdRng) -> String {
    CityName(EN).fake_with_rng(rng)
}

fn neg_dotted_version(rng: &mut StdRng) -> String {
    format!(
        "{}.{}.{}.{}",
        rng.random_range(0..5),
        rng.random_range(0..20),
        rng.random_range(0..300),
        rng.random_range(0..9999)
    )
}

const NEGATIVES: &[(&str, Gen)] = &[
    ("order_id", neg_order_id),
    ("id16_non_luhn", neg_id16),
    ("sku", neg_sku),
    ("lorem", neg_lorem),
    ("epoch", neg_epoch),
    ("uuid", neg_uuid),
    ("hex_hash", neg_hash),
    ("base64", neg_base64),
    ("boolean", neg_bool),
    ("small_int", neg_small_int),
    ("price", neg_price),
    ("company", neg_company),
    ("product", neg_product),
    ("digits10", neg_digits10),
    ("digits9", neg_digits9),
    ("username", neg_username),
    ("user_agent", neg_user_agent),
    ("semver", neg_semver),
    ("words", neg_words),
    ("hex_color", neg_hex_color),
    ("tracking", neg_tracking),
    ("latlon", neg_latlon),
    ("7digit_code", neg_phone_like_codes),
    ("city_alone", neg_city),
    ("dotted_version", neg_dotted_version),
];

const MISLEADING_NAMES: &[&str] = &[
    "order_number",
    "product_code",
    "tracking_id",
    "sku",
    "invoice_no",
    "version",
    "status",
    "item_count",
    "ref",
    "batch",
    "payload",
    "notes",
    "checksum",
    "session_ref",
];

// ---------------------------------------------------------------------------------------------
// Corpus
// ---------------------------------------------------------------------------------------------

struct Column {
    path: Vec<String>,
    values: Vec<String>,
    /// Per value: true if it was generated by the label's generator (not noise).
    clean: Vec<bool>,
    label: Option<&'static str>,
    kind: &'static str,
}

struct Positive {
    entity: &'static str,
    gen: Gen,
    telling: &'static [&'static str],
    /// false for recognizers that only accept content with name context.
    content_only: bool,
}

const POSITIVES: &[Positive] = &[
    Positive {
        entity: "EMAIL_ADDRESS",
        gen: email,
        telling: &["email", "contactEmail", "e_mail"],
        content_only: true,
    },
    Positive {
        entity: "PHONE_NUMBER",
        gen: phone,
        telling: &["phone", "mobile", "contact.tel"],
        content_only: true,
    },
    Positive {
        entity: "CREDIT_CARD",
        gen: card,
        telling: &["card_number", "billing.card.number"],
        content_only: true,
    },
    Positive {
        entity: "IBAN_CODE",
        gen: iban,
        telling: &["iban"],
        content_only: true,
    },
    Positive {
        entity: "US_SSN",
        gen: ssn,
        telling: &["ssn"],
        content_only: true,
    },
    Positive {
        entity: "US_ITIN",
        gen: itin,
        telling: &["itin", "tax_id"],
        content_only: true,
    },
    Positive {
        entity: "IP_ADDRESS",
        gen: ip,
        telling: &["client_ip", "ipAddress"],
        content_only: true,
    },
    Positive {
        entity: "MAC_ADDRESS",
        gen: mac,
        telling: &["mac_address"],
        content_only: true,
    },
    Positive {
        entity: "URL",
        gen: url,
        telling: &["website", "homepage"],
        content_only: true,
    },
    Positive {
        entity: "DATE_TIME",
        gen: date,
        telling: &["date_of_birth", "created_at"],
        content_only: true,
    },
    Positive {
        entity: "PERSON",
        gen: person,
        telling: &["full_name", "customer.name"],
        content_only: true,
    },
    Positive {
        entity: "LOCATION",
        gen: address,
        telling: &["profile.address.street", "shipping_address"],
        content_only: true,
    },
    Positive {
        entity: "UK_NHS",
        gen: nhs,
        telling: &["nhs_number"],
        content_only: true,
    },
    Positive {
        entity: "CRYPTO",
        gen: crypto,
        telling: &["wallet", "btc_address"],
        content_only: true,
    },
    Positive {
        entity: "CREDENTIAL",
        gen: credential,
        telling: &["api_key", "token"],
        content_only: true,
    },
    Positive {
        entity: "MEDICAL_LICENSE",
        gen: dea,
        telling: &["dea_number"],
        content_only: true,
    },
    Positive {
        entity: "US_PASSPORT",
        gen: passport,
        telling: &["passport_number", "passport"],
        content_only: false,
    },
    Positive {
        entity: "US_DRIVER_LICENSE",
        gen: driver_license,
        telling: &["drivers_license", "driver_licence_no"],
        content_only: false,
    },
    Positive {
        entity: "US_BANK_NUMBER",
        gen: bank_number,
        telling: &["bank_account_number", "routing_number"],
        content_only: false,
    },
    Positive {
        entity: "NRP",
        gen: nrp,
        telling: &["gender", "nationality"],
        content_only: false,
    },
];

fn email(rng: &mut StdRng) -> String {
    match rng.random_range(0..6) {
        0 => SafeEmail(EN).fake_with_rng(rng),
        1 => FreeEmail(EN).fake_with_rng(rng),
        2 => FreeEmail(FR_FR).fake_with_rng(rng),
        3 => FreeEmail(DE_DE).fake_with_rng(rng),
        4 => SafeEmail(PT_BR).fake_with_rng(rng),
        _ => SafeEmail(IT_IT).fake_with_rng(rng),
    }
}

fn split_path(p: &str) -> Vec<String> {
    p.split('.').map(str::to_string).collect()
}

fn build_corpus(rng: &mut StdRng) -> Vec<Column> {
    let mut cols = Vec::new();
    let mut n = 0usize;
    for pos in POSITIVES {
        let neutral = if pos.content_only { 44 } else { 0 };
        let named = if pos.content_only { 8 } else { 44 };
        for i in 0..neutral + named {
            n += 1;
            let size = rng.random_range(30..=100);
            let noisy = i % 3 == 0;
            let noise_share = if noisy {
                rng.random_range(0.05..=0.20)
            } else {
                0.0
            };
            let mut values = Vec::with_capacity(size);
            let mut clean = Vec::with_capacity(size);
            for _ in 0..size {
                if rng.random_bool(noise_share) {
                    let (_, g) = NEGATIVES.choose(rng).expect("non-empty");
                    values.push(g(rng));
                    clean.push(false);
                } else {
                    values.push((pos.gen)(rng));
                    clean.push(true);
                }
            }
            let path = if i < neutral {
                vec![if n.is_multiple_of(2) {
                    format!("col_{n}")
                } else {
                    format!("attr_{n}")
                }]
            } else {
                split_path(pos.telling[i % pos.telling.len()])
            };
            cols.push(Column {
                path,
                values,
                clean,
                label: Some(pos.entity),
                kind: if i < neutral {
                    if noisy {
                        "neutral+noise"
                    } else {
                        "neutral"
                    }
                } else {
                    "named"
                },
            });
        }
    }
    for i in 0..250 {
        let (kind, g) = NEGATIVES[i % NEGATIVES.len()];
        let size = rng.random_range(30..=100);
        let values: Vec<String> = (0..size).map(|_| g(rng)).collect();
        let path = if i % 2 == 0 {
            vec![format!("col_neg_{i}")]
        } else {
            vec![MISLEADING_NAMES[i % MISLEADING_NAMES.len()].to_string()]
        };
        cols.push(Column {
            path,
            clean: vec![false; values.len()],
            values,
            label: None,
            kind,
        });
    }
    cols
}

fn sensitivity_of(entity: &str) -> Sensitivity {
    recognizers()
        .iter()
        .find(|r| r.entity == entity)
        .map(|r| r.sensitivity)
        .expect("known entity")
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Counts {
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn column_level_evaluation() {
    let mut rng = StdRng::seed_from_u64(0x5eed_d1a7);
    let corpus = build_corpus(&mut rng);
    let mut col_counts: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut tag_ok = 0usize;
    let mut tag_total = 0usize;
    let mut misses: Vec<String> = Vec::new();
    let start = Instant::now();
    let mut n_values = 0usize;
    for col in &corpus {
        let path: Vec<&str> = col.path.iter().map(String::as_str).collect();
        let values = refs(&col.values);
        n_values += values.len();
        let c = classify(&path, &values);
        let decided = c.decide(THRESHOLD).map(|d| d.recognizer.entity);
        if let Some(label) = col.label {
            let pos = POSITIVES.iter().find(|p| p.entity == label).expect("label");
            if pos.content_only || col.kind == "named" {
                if decided == Some(label) {
                    col_counts.entry(label).or_default().tp += 1;
                } else {
                    col_counts.entry(label).or_default().fn_ += 1;
                    let top = c
                        .candidates
                        .iter()
                        .find(|x| x.recognizer.entity == label)
                        .map_or("no candidate".to_string(), |x| {
                            format!("{:.1} {}", x.confidence, x.reason)
                        });
                    misses.push(format!(
                        "FN {label} {:?} [{}] decided={decided:?}; own: {top}",
                        col.path, col.kind
                    ));
                }
            }
            tag_total += 1;
            if c.decide(THRESHOLD).map(|d| d.recognizer.sensitivity) == Some(sensitivity_of(label))
            {
                tag_ok += 1;
            }
        }
        if let Some(d) = decided {
            if col.label != Some(d) {
                col_counts.entry(d).or_default().fp += 1;
                let top = c.decide(THRESHOLD).map_or(String::new(), |x| {
                    format!("{:.1} {}", x.confidence, x.reason)
                });
                misses.push(format!(
                    "FP {d} on {:?} label={:?} kind={}: {top}",
                    col.path, col.label, col.kind
                ));
            }
        }
    }
    let elapsed = start.elapsed();

    println!("\n== Column-level precision/recall at threshold {THRESHOLD} ({} columns, {} values, {:.2?}) ==", corpus.len(), n_values, elapsed);
    println!(
        "{:<28} {:<18} {:<13} {:>4} {:>4} {:>4} {:>9} {:>7}",
        "recognizer", "entity", "sensitivity", "TP", "FP", "FN", "precision", "recall"
    );
    let mut failures = Vec::new();
    for r in recognizers() {
        let k = col_counts.get(r.entity).copied().unwrap_or_default();
        println!(
            "{:<28} {:<18} {:<13} {:>4} {:>4} {:>4} {:>9.3} {:>7.3}",
            r.name,
            r.entity,
            format!("{:?}", r.sensitivity),
            k.tp,
            k.fp,
            k.fn_,
            k.precision(),
            k.recall()
        );
        let pos = POSITIVES.iter().find(|p| p.entity == r.entity);
        if pos.is_some_and(|p| p.content_only) && (k.precision() < 0.95 || k.recall() < 0.90) {
            failures.push(r.entity);
        }
    }
    let tag_rate = tag_ok as f64 / tag_total as f64;
    println!("tag-level (Sensitive/NonSensitive) correct on positive columns: {tag_ok}/{tag_total} = {tag_rate:.3}");
    println!("\n-- misclassified columns --");
    for m in &misses {
        println!("{m}");
    }
    assert!(
        failures.is_empty(),
        "recognizers below precision 0.95 / recall 0.90: {failures:?}"
    );
    assert!(tag_rate >= 0.90, "tag-level accuracy {tag_rate}");
}

#[test]
#[ignore = "report only (value-level figures for BENCHMARKS.md); run with --ignored --nocapture"]
fn value_level_evaluation() {
    let mut rng = StdRng::seed_from_u64(0x5eed_d1a7);
    let corpus = build_corpus(&mut rng);
    let mut counts: BTreeMap<&'static str, Counts> = BTreeMap::new();
    let mut fp_examples: BTreeMap<&'static str, BTreeMap<String, usize>> = BTreeMap::new();
    for col in &corpus {
        // Neutral path: value-level means content alone.
        for (v, clean) in col.values.iter().zip(&col.clean).take(20) {
            let label = if *clean { col.label } else { None };
            let c = classify(&["v"], &[v.as_str()]);
            let accepted: HashSet<&str> = c
                .candidates
                .iter()
                .filter(|x| x.content.is_some())
                .map(|x| x.recognizer.entity)
                .collect();
            for r in recognizers() {
                let hit = accepted.contains(r.entity);
                let is = label == Some(r.entity);
                let e = counts.entry(r.entity).or_default();
                match (hit, is) {
                    (true, true) => e.tp += 1,
                    (true, false) => {
                        e.fp += 1;
                        let source = format!(
                            "{}:{}",
                            col.label.map_or("negative", |_| if *clean {
                                "other-entity"
                            } else {
                                "noise"
                            }),
                            col.label.filter(|_| *clean).unwrap_or(col.kind)
                        );
                        *fp_examples
                            .entry(r.entity)
                            .or_default()
                            .entry(source)
                            .or_default() += 1;
                    }
                    (false, true) => e.fn_ += 1,
                    _ => {}
                }
            }
        }
    }
    println!("\n== Value-level (single value, neutral name, first 20 values per column) ==");
    println!(
        "{:<18} {:>6} {:>6} {:>6} {:>9} {:>7}",
        "entity", "TP", "FP", "FN", "precision", "recall"
    );
    for (e, k) in &counts {
        println!(
            "{:<18} {:>6} {:>6} {:>6} {:>9.3} {:>7.3}",
            e,
            k.tp,
            k.fp,
            k.fn_,
            k.precision(),
            k.recall()
        );
    }
    println!("value-level false positives by source:");
    for (e, m) in &fp_examples {
        println!("  {e}: {m:?}");
    }
}

/// Whether every token of a generated name is in the embedded lists.
fn embedded_names() -> HashSet<String> {
    [
        include_str!("../data/first_names.txt"),
        include_str!("../data/last_names.txt"),
        include_str!("../data/extra_names.txt"),
    ]
    .iter()
    .flat_map(|t| t.lines())
    .map(|l| l.trim().to_lowercase())
    .collect()
}

#[test]
fn person_held_out_recall() {
    let known = embedded_names();
    let mut rng = StdRng::seed_from_u64(7);
    let (mut seen_in, mut ok_in, mut seen_half, mut ok_half, mut seen_out, mut ok_out) =
        (0, 0, 0, 0, 0, 0);
    for _ in 0..20000 {
        let first: String = FirstName(EN).fake_with_rng(&mut rng);
        let last: String = LastName(EN).fake_with_rng(&mut rng);
        let kf = known.contains(&first.to_lowercase());
        let kl = known.contains(&last.to_lowercase());
        let v = format!("{first} {last}");
        let accepted = classify(&["v"], &[v.as_str()])
            .candidates
            .iter()
            .any(|c| c.recognizer.entity == "PERSON");
        match (kf, kl) {
            (true, true) => {
                seen_in += 1;
                ok_in += usize::from(accepted);
            }
            (false, false) => {
                seen_out += 1;
                ok_out += usize::from(accepted);
            }
            _ => {
                seen_half += 1;
                ok_half += usize::from(accepted);
            }
        }
    }
    // Names from a different source: none of these tokens come from the fake crate.
    let other = [
        "Siobhan Ni Bhriain",
        "Tadhg Mac Giolla",
        "Eero Saarinen",
        "Yusuf Oyelaran",
        "Bongani Zulu",
        "Anh Nguyen",
        "Thi Tran",
        "Rustam Aliyev",
        "Oksana Shevchenko",
        "Giedre Kazlauskas",
        "Nurul Huda",
        "Pita Taufa",
        "Koa Kahananui",
        "Aigerim Nurlanovna",
        "Dawit Tesfaye",
        "Sione Havili",
        "Mateus Sequeira",
        "Leilani Akana",
        "Ilse Vaartjes",
        "Kasimir Wojtyla",
    ];
    let ok_other = other
        .iter()
        .filter(|v| {
            classify(&["v"], &[**v])
                .candidates
                .iter()
                .any(|c| c.recognizer.entity == "PERSON")
        })
        .count();
    println!("\n== PERSON value recall by name-list membership (fake EN first + last) ==");
    println!(
        "both tokens embedded:   {ok_in}/{seen_in} = {:.3}",
        ok_in as f64 / seen_in.max(1) as f64
    );
    println!(
        "one token held out:     {ok_half}/{seen_half} = {:.3}",
        ok_half as f64 / seen_half.max(1) as f64
    );
    println!(
        "both tokens held out:   {ok_out}/{seen_out} = {:.3}",
        ok_out as f64 / seen_out.max(1) as f64
    );
    println!(
        "names from another source (hand-written): {ok_other}/{}",
        other.len()
    );
    assert!(ok_in as f64 / seen_in as f64 > 0.97);
}

#[test]
#[ignore = "report only (how valid the fake crate's data is); run with --ignored --nocapture"]
fn data_quality_of_fake_generators() {
    let mut rng = StdRng::seed_from_u64(11);
    println!("\n== How much of the fake crate's output our validators accept (value level) ==");
    let phone_gens: &[(&str, Gen)] = &[
        ("PhoneNumber(EN)", |r| PhoneNumber(EN).fake_with_rng(r)),
        ("CellNumber(EN)", |r| CellNumber(EN).fake_with_rng(r)),
        ("PhoneNumber(FR_FR)", |r| {
            PhoneNumber(FR_FR).fake_with_rng(r)
        }),
        ("CellNumber(FR_FR)", |r| CellNumber(FR_FR).fake_with_rng(r)),
        ("PhoneNumber(DE_DE)", |r| {
            PhoneNumber(DE_DE).fake_with_rng(r)
        }),
        ("PhoneNumber(PT_BR)", |r| {
            PhoneNumber(PT_BR).fake_with_rng(r)
        }),
        ("CellNumber(PT_BR)", |r| CellNumber(PT_BR).fake_with_rng(r)),
        ("PhoneNumber(IT_IT)", |r| {
            PhoneNumber(IT_IT).fake_with_rng(r)
        }),
        ("CellNumber(IT_IT)", |r| CellNumber(IT_IT).fake_with_rng(r)),
        ("PhoneNumber(JA_JP)", |r| {
            PhoneNumber(JA_JP).fake_with_rng(r)
        }),
        ("CellNumber(JA_JP)", |r| CellNumber(JA_JP).fake_with_rng(r)),
        ("PhoneNumber(NL_NL)", |r| {
            PhoneNumber(NL_NL).fake_with_rng(r)
        }),
        ("our us_phone", us_phone),
        ("our br_phone", br_phone),
    ];
    for (name, g) in phone_gens {
        let mut ok = 0;
        let mut example = String::new();
        for _ in 0..300 {
            let v = g(&mut rng);
            if classify(&["v"], &[v.as_str()])
                .candidates
                .iter()
                .any(|c| c.recognizer.entity == "PHONE_NUMBER")
            {
                ok += 1;
            } else if example.is_empty() {
                example = v;
            }
        }
        println!("{name:<22} {ok:>3}/300 valid   e.g. rejected: {example:?}");
    }
    let mut ok = 0;
    let mut lens: BTreeMap<usize, usize> = BTreeMap::new();
    for _ in 0..300 {
        let v: String = fake::faker::creditcard::raw::CreditCardNumber(EN).fake_with_rng(&mut rng);
        *lens.entry(v.len()).or_default() += 1;
        if classify(&["v"], &[v.as_str()])
            .candidates
            .iter()
            .any(|c| c.recognizer.entity == "CREDIT_CARD")
        {
            ok += 1;
        }
    }
    println!("CreditCardNumber(EN)   {ok:>3}/300 accepted; lengths produced: {lens:?} (real: Visa 13/16/19, MC 16, Amex 15)");
    let mut ok = 0;
    for _ in 0..300 {
        let v = email(&mut rng);
        if classify(&["v"], &[v.as_str()])
            .candidates
            .iter()
            .any(|c| c.recognizer.entity == "EMAIL_ADDRESS")
        {
            ok += 1;
        }
    }
    println!("fake e-mails (mixed)   {ok:>3}/300 accepted");
}

#[test]
fn name_only_cases() {
    let bcrypt: Vec<String> = (0..30)
        .map(|i| format!("$2b$12${}", "x".repeat(52) + &(i % 10).to_string()))
        .collect();
    let c = classify(&["password"], &refs(&bcrypt));
    assert_eq!(
        c.decide(THRESHOLD)
            .map(|d| (d.recognizer.entity, d.recognizer.sensitivity)),
        Some(("CREDENTIAL", Sensitivity::Sensitive))
    );
    let ints: Vec<String> = (0..30).map(|i| (i * 7919).to_string()).collect();
    assert!(classify(&["email"], &refs(&ints))
        .decide(THRESHOLD)
        .is_none());
    assert!(classify(
        &["product_name"],
        &["Rustic Steel Chair", "Sleek Cotton Hat"]
    )
    .candidates
    .is_empty());
    let c = classify(&["profile", "address", "street"], &[]);
    assert_eq!(
        c.candidates.first().map(|x| x.recognizer.entity),
        Some("LOCATION")
    );
    let streets = [
        "Main Street",
        "Elm Avenue",
        "Baker Street",
        "Rue de Rivoli",
        "Oak Lane",
    ];
    let streets: Vec<&str> = streets.iter().cycle().take(20).copied().collect();
    let c = classify(&["profile", "address", "street"], &streets);
    assert_eq!(
        c.candidates.first().map(|x| x.recognizer.entity),
        Some("LOCATION")
    );
}

#[test]
fn throughput() {
    let mut rng = StdRng::seed_from_u64(99);
    let gens: Vec<Gen> = vec![
        email,
        phone,
        card,
        iban,
        ssn,
        ip,
        mac,
        url,
        date,
        person,
        address,
        crypto,
        credential,
        neg_order_id,
        neg_id16,
        neg_lorem,
        neg_epoch,
        neg_uuid,
        neg_price,
        neg_company,
    ];
    let columns: Vec<Vec<String>> = gens
        .iter()
        .map(|g| (0..1000).map(|_| g(&mut rng)).collect())
        .collect();
    // Warm up the lazily built tables (libphonenumber metadata, name lists, regexes).
    let warm = Instant::now();
    let _ = classify(
        &["warm"],
        &[
            "warm-up@example.com",
            "+1 415-555-2671",
            "John Smith",
            "12 Main St",
        ],
    );
    let warm = warm.elapsed();
    let start = Instant::now();
    for (i, col) in columns.iter().enumerate() {
        let name = format!("col_{i}");
        let _ = classify(&[name.as_str()], &refs(col));
    }
    let el = start.elapsed();
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "\n== Throughput ({profile}): 20 columns x 1000 values in {el:.2?} = {:.0} values/s (one-time warm-up {warm:.2?}) ==",
        20_000.0 / el.as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------------
// Locales: per-language precision and recall of the two tags
// ---------------------------------------------------------------------------------------------

/// One labelled column of a locale corpus.
struct LocaleColumn {
    locale: String,
    path: Vec<String>,
    /// Expected tag, `None` for a negative column.
    tag: Option<Sensitivity>,
    kind: String,
    values: Vec<String>,
}

#[derive(Default, Clone, Copy)]
struct TagCounts {
    sensitive: Counts,
    non_sensitive: Counts,
}

impl TagCounts {
    fn of(&mut self, s: Sensitivity) -> &mut Counts {
        match s {
            Sensitivity::Sensitive => &mut self.sensitive,
            Sensitivity::NonSensitive => &mut self.non_sensitive,
        }
    }
}

/// Scores a locale corpus at `THRESHOLD`, prints overall and per-language precision and
/// recall for both tags, and returns (overall, per language, misses).
fn score_locales(
    title: &str,
    corpus: &[LocaleColumn],
) -> (TagCounts, BTreeMap<String, TagCounts>, Vec<String>) {
    let mut all = TagCounts::default();
    let mut per: BTreeMap<String, TagCounts> = BTreeMap::new();
    let mut misses = Vec::new();
    for col in corpus {
        let path: Vec<&str> = col.path.iter().map(String::as_str).collect();
        let c = classify(&path, &refs(&col.values));
        let got = c.decide(THRESHOLD).map(|d| d.recognizer.sensitivity);
        let lang = per.entry(col.locale.clone()).or_default();
        for counts in [&mut all, lang] {
            if let Some(want) = col.tag {
                if got == Some(want) {
                    counts.of(want).tp += 1;
                } else {
                    counts.of(want).fn_ += 1;
                }
            }
            if let Some(g) = got {
                if col.tag != Some(g) {
                    counts.of(g).fp += 1;
                }
            }
        }
        if got != col.tag {
            let best = c
                .candidates
                .first()
                .map_or("no candidate".to_string(), |x| {
                    format!("{} {:.1}: {}", x.recognizer.entity, x.confidence, x.reason)
                });
            let example = col
                .values
                .iter()
                .find(|v| !v.is_empty())
                .cloned()
                .unwrap_or_default();
            misses.push(format!(
                "{} {:?} [{}] want {:?} got {got:?}; best {best}; e.g. {example:?}",
                col.locale, col.path, col.kind, col.tag
            ));
        }
    }
    println!(
        "\n== {title}: {} columns, threshold {THRESHOLD} ==",
        corpus.len()
    );
    println!(
        "{:<8} {:>5} {:>5} {:>5} {:>9} {:>7}   {:>5} {:>5} {:>5} {:>9} {:>7}",
        "language",
        "S TP",
        "S FP",
        "S FN",
        "S prec",
        "S rec",
        "N TP",
        "N FP",
        "N FN",
        "N prec",
        "N rec"
    );
    let row = |name: &str, k: &TagCounts| {
        println!(
            "{:<8} {:>5} {:>5} {:>5} {:>9.3} {:>7.3}   {:>5} {:>5} {:>5} {:>9.3} {:>7.3}",
            name,
            k.sensitive.tp,
            k.sensitive.fp,
            k.sensitive.fn_,
            k.sensitive.precision(),
            k.sensitive.recall(),
            k.non_sensitive.tp,
            k.non_sensitive.fp,
            k.non_sensitive.fn_,
            k.non_sensitive.precision(),
            k.non_sensitive.recall()
        );
    };
    for (lang, k) in &per {
        row(lang, k);
    }
    row("all", &all);
    println!("-- misclassified columns --");
    for m in &misses {
        println!("{m}");
    }
    (all, per, misses)
}

/// The acceptance bounds: overall precision ≥ 0.99 and recall ≥ 0.95 for both tags,
/// and per language ≥ 0.90 for both.
fn assert_bounds(all: &TagCounts, per: &BTreeMap<String, TagCounts>) {
    let mut failures = Vec::new();
    for (name, k) in [
        ("Sensitive", all.sensitive),
        ("NonSensitive", all.non_sensitive),
    ] {
        if k.precision() < 0.99 || k.recall() < 0.95 {
            failures.push(format!(
                "all {name}: precision {:.3} recall {:.3}",
                k.precision(),
                k.recall()
            ));
        }
    }
    for (lang, k) in per {
        for (name, c) in [
            ("Sensitive", k.sensitive),
            ("NonSensitive", k.non_sensitive),
        ] {
            if c.precision() < 0.90 || c.recall() < 0.90 {
                failures.push(format!(
                    "{lang} {name}: precision {:.3} recall {:.3}",
                    c.precision(),
                    c.recall()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "below the bounds: {failures:#?}");
}

fn tag_of(label: &str) -> Option<Sensitivity> {
    match label {
        "PII.Sensitive" => Some(Sensitivity::Sensitive),
        "PII.NonSensitive" => Some(Sensitivity::NonSensitive),
        _ => None,
    }
}

/// The first held-apart set: generated with Python Faker (`scripts/gen-pii-data`,
/// committed as `tests/data/holdout.jsonl`). Its misses were looked at once (phone
/// numbers of shared country codes, bare national numbers, Indian and Dutch addresses)
/// and the rules behind them fixed, so it is no longer independent: the acceptance is
/// asserted on the second set.
fn held_apart_set() -> Vec<LocaleColumn> {
    locale_columns(include_str!("data/holdout.jsonl"))
}

/// The second held-apart set: the same generator with another seed
/// (`DYNAMETA_HOLDOUT_SEED=29112026`), generated after the last recognizer change and
/// read only for the final figures.
fn second_held_apart_set() -> Vec<LocaleColumn> {
    locale_columns(include_str!("data/holdout2.jsonl"))
}

fn locale_columns(text: &str) -> Vec<LocaleColumn> {
    let corpus: Vec<LocaleColumn> = text
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("fixture line is JSON");
            LocaleColumn {
                locale: v["locale"].as_str().expect("locale").to_string(),
                path: v["path"]
                    .as_array()
                    .expect("path")
                    .iter()
                    .map(|p| p.as_str().expect("path segment").to_string())
                    .collect(),
                tag: v["label"].as_str().and_then(tag_of),
                kind: v["kind"].as_str().unwrap_or_default().to_string(),
                values: v["values"]
                    .as_array()
                    .expect("values")
                    .iter()
                    .map(|x| x.as_str().expect("value").to_string())
                    .collect(),
            }
        })
        .collect();
    assert!(corpus.len() > 300, "{}", corpus.len());
    corpus
}

/// The first held-apart set (see [`held_apart_set`]), held to the acceptance bounds so it
/// cannot silently get worse.
#[test]
fn held_apart_set_per_language() {
    let (all, per, _) = score_locales("Held-apart set 1 (Python Faker)", &held_apart_set());
    assert_eq!(per.len(), 11, "ten locales and hi_IN");
    assert_bounds(&all, &per);
}

/// Issue 15's acceptance, on the second held-apart set: at confidence 80, precision ≥ 0.99
/// and recall ≥ 0.95 for both tags, per language ≥ 0.90.
#[test]
fn second_held_apart_set_meets_the_acceptance_bounds() {
    let (all, per, _) = score_locales(
        "Held-apart set 2 (Python Faker, another seed)",
        &second_held_apart_set(),
    );
    assert_eq!(per.len(), 11, "ten locales and hi_IN");
    assert_bounds(&all, &per);
}

// The tuning set: the same shapes as the held-apart set, generated differently — the Rust
// `fake` crate's locale data and our own compositions (UK multi-line and Japanese addresses,
// RFC 2822 / week / slashed dates, NPIs, Brazilian numbers without the country code) — so the
// held-apart figures are not tuned to one generator. Spanish and Indian locales have no
// `fake` data and are covered by the held-apart set only.

fn npi(rng: &mut StdRng) -> String {
    let body = format!("{}{}", rng.random_range(1..3), digits(rng, 8));
    // Luhn over 80840 + the nine digits: the eval's own copy.
    let full = luhn_complete(&format!("80840{body}"), 15, rng);
    full[5..].to_string()
}

fn tuning_date(rng: &mut StdRng) -> String {
    let (y, m, d) = (
        rng.random_range(1940..2030u32),
        rng.random_range(1..13u32),
        rng.random_range(1..29u32),
    );
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    // Days since 1970-01-01 (a Thursday) for the weekday: the eval's own copy.
    let days = {
        let (yy, mm) = if m < 3 {
            (y as i64 - 1, m as i64 + 9)
        } else {
            (y as i64, m as i64 - 3)
        };
        let era = yy.div_euclid(400);
        let yoe = yy - era * 400;
        let doy = (153 * mm + 2) / 5 + d as i64 - 1;
        era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468
    };
    let wd = DAYS[((days + 3).rem_euclid(7)) as usize];
    match rng.random_range(0..5) {
        0 => format!("{y}/{m:02}/{d:02}"),
        1 => format!("{d:02}.{m:02}.{y}"),
        2 => format!(
            "{wd}, {d} {} {y} {:02}:{:02}:{:02} {}",
            &MONTHS[(m - 1) as usize][..3],
            rng.random_range(0..24),
            rng.random_range(0..60),
            rng.random_range(0..60),
            ["+0000", "-0500", "+0100", "GMT"][rng.random_range(0..4)]
        ),
        3 => format!(
            "{y}-W{:02}-{}",
            rng.random_range(1..53),
            rng.random_range(1..8)
        ),
        _ => format!("{y}年{m}月{d}日"),
    }
}

fn uk_postcode(rng: &mut StdRng) -> String {
    let area = *["B", "M", "N", "SW", "EC", "LS", "G", "CF"]
        .choose(rng)
        .expect("non-empty");
    format!(
        "{area}{} {}{}",
        rng.random_range(1..20),
        rng.random_range(0..10),
        upper(rng, 2)
    )
}

fn uk_address(rng: &mut StdRng) -> String {
    let street: String = StreetName(EN).fake_with_rng(rng);
    let city: String = CityName(EN).fake_with_rng(rng);
    match rng.random_range(0..3) {
        0 => format!(
            "Flat {}\n{street}\n{city}\n{}",
            rng.random_range(1..99),
            uk_postcode(rng)
        ),
        1 => format!(
            "{} {street}\n{city}\n{}",
            rng.random_range(1..300),
            uk_postcode(rng)
        ),
        _ => format!(
            "Studio {}\n{street}\n{city}\n{}",
            rng.random_range(1..99),
            uk_postcode(rng)
        ),
    }
}

fn ja_address(rng: &mut StdRng) -> String {
    let pref = *[
        "東京都",
        "大阪府",
        "北海道",
        "神奈川県",
        "愛知県",
        "福岡県",
        "京都府",
        "千葉県",
    ]
    .choose(rng)
    .expect("non-empty");
    let city = *[
        "千代田区",
        "横浜市中区",
        "札幌市北区",
        "名古屋市中村区",
        "福岡市博多区",
        "船橋市",
    ]
    .choose(rng)
    .expect("non-empty");
    let town: String = fake::faker::name::raw::LastName(JA_JP).fake_with_rng(rng);
    let (a, b, c) = (
        rng.random_range(1..9),
        rng.random_range(1..30),
        rng.random_range(1..20),
    );
    match rng.random_range(0..3) {
        0 => format!("{pref}{city}{town}{a}丁目{b}番{c}号"),
        1 => format!(
            "〒{}-{} {pref}{city}{town}{a}-{b}-{c}",
            digits(rng, 3),
            digits(rng, 4)
        ),
        _ => format!("{pref}{city}{town}{a}丁目{b}-{c}"),
    }
}

fn ja_city(rng: &mut StdRng) -> String {
    let town: String = fake::faker::name::raw::LastName(JA_JP).fake_with_rng(rng);
    format!("{town}{}", ["市", "町", "村", "区"][rng.random_range(0..4)])
}

fn br_phone_national(rng: &mut StdRng) -> String {
    let ddd = *["11", "21", "31", "41", "51", "61", "71", "81", "91", "98"]
        .choose(rng)
        .expect("non-empty");
    match rng.random_range(0..3) {
        0 => format!("{ddd} 9{}-{}", digits(rng, 4), digits(rng, 4)),
        1 => format!(
            "{ddd} {}{}-{}",
            rng.random_range(2..6),
            digits(rng, 3),
            digits(rng, 4)
        ),
        _ => format!("+55 {ddd} 9{}-{}", digits(rng, 4), digits(rng, 4)),
    }
}

fn local_address(loc: &str, rng: &mut StdRng) -> String {
    macro_rules! street {
        ($l:expr) => {{
            let s: String = StreetName($l).fake_with_rng(rng);
            let c: String = CityName($l).fake_with_rng(rng);
            (s, c.replace(" {River}", "").replace("{River}", ""))
        }};
    }
    let n = rng.random_range(1..300);
    let zip = digits(rng, 5);
    // The fake crate's Dutch city template leaks a `{River}` placeholder: not an address
    // anyone holds, so it is cut here.
    match loc {
        "de_DE" => {
            let (s, c) = street!(DE_DE);
            format!("{s} {n}\n{zip} {c}")
        }
        "fr_FR" => {
            let (s, c) = street!(FR_FR);
            format!("{n}, {s}\n{zip} {c}")
        }
        "it_IT" => {
            let (s, c) = street!(IT_IT);
            format!("{s} {n}\n{zip} {c}")
        }
        "nl_NL" => {
            let (s, c) = street!(NL_NL);
            format!("{s} {n}\n{} {}\n{c}", digits(rng, 4), upper(rng, 2))
        }
        "pt_BR" => {
            let (s, c) = street!(PT_BR);
            format!("{s}, {n}\n{}-{} {c}", digits(rng, 5), digits(rng, 3))
        }
        "ja_JP" => ja_address(rng),
        "en_GB" => uk_address(rng),
        _ => address(rng),
    }
}

fn tuning_set(rng: &mut StdRng) -> Vec<LocaleColumn> {
    type G<'a> = Box<dyn Fn(&mut StdRng) -> String + 'a>;
    let mut out = Vec::new();
    let locales: &[(&str, &[&str; 6])] = &[
        (
            "en_US",
            &[
                "customer_name",
                "first_name",
                "last_name",
                "phone",
                "city",
                "address",
            ],
        ),
        (
            "en_GB",
            &[
                "full_name",
                "forename",
                "surname",
                "telephone",
                "town",
                "address",
            ],
        ),
        (
            "de_DE",
            &[
                "kunde_name",
                "vorname",
                "nachname",
                "telefon",
                "stadt",
                "anschrift",
            ],
        ),
        (
            "fr_FR",
            &[
                "nom_complet",
                "prénom",
                "nom",
                "téléphone",
                "ville",
                "adresse",
            ],
        ),
        (
            "it_IT",
            &[
                "nome_completo",
                "nome",
                "cognome",
                "cellulare",
                "città",
                "indirizzo",
            ],
        ),
        (
            "nl_NL",
            &[
                "volledige_naam",
                "voornaam",
                "achternaam",
                "telefoon",
                "woonplaats",
                "adres",
            ],
        ),
        (
            "pt_BR",
            &[
                "nome_completo",
                "nome",
                "sobrenome",
                "telefone",
                "cidade",
                "endereco",
            ],
        ),
        ("ja_JP", &["氏名", "名", "名前", "電話", "市区町村", "住所"]),
    ];
    for (i, &(loc, names)) in locales.iter().enumerate() {
        let name: G = match loc {
            "de_DE" => Box::new(|r| Name(DE_DE).fake_with_rng(r)),
            "fr_FR" => Box::new(|r| Name(FR_FR).fake_with_rng(r)),
            "it_IT" => Box::new(|r| Name(IT_IT).fake_with_rng(r)),
            "nl_NL" => Box::new(|r| Name(NL_NL).fake_with_rng(r)),
            "pt_BR" => Box::new(|r| Name(PT_BR).fake_with_rng(r)),
            "ja_JP" => Box::new(|r| Name(JA_JP).fake_with_rng(r)),
            _ => Box::new(|r| Name(EN).fake_with_rng(r)),
        };
        let first: G = match loc {
            "de_DE" => Box::new(|r| FirstName(DE_DE).fake_with_rng(r)),
            "fr_FR" => Box::new(|r| FirstName(FR_FR).fake_with_rng(r)),
            "it_IT" => Box::new(|r| FirstName(IT_IT).fake_with_rng(r)),
            "nl_NL" => Box::new(|r| FirstName(NL_NL).fake_with_rng(r)),
            "pt_BR" => Box::new(|r| FirstName(PT_BR).fake_with_rng(r)),
            "ja_JP" => Box::new(|r| FirstName(JA_JP).fake_with_rng(r)),
            _ => Box::new(|r| FirstName(EN).fake_with_rng(r)),
        };
        let last: G = match loc {
            "de_DE" => Box::new(|r| LastName(DE_DE).fake_with_rng(r)),
            "fr_FR" => Box::new(|r| LastName(FR_FR).fake_with_rng(r)),
            "it_IT" => Box::new(|r| LastName(IT_IT).fake_with_rng(r)),
            "nl_NL" => Box::new(|r| LastName(NL_NL).fake_with_rng(r)),
            "pt_BR" => Box::new(|r| LastName(PT_BR).fake_with_rng(r)),
            "ja_JP" => Box::new(|r| LastName(JA_JP).fake_with_rng(r)),
            _ => Box::new(|r| LastName(EN).fake_with_rng(r)),
        };
        let city: G = match loc {
            "de_DE" => Box::new(|r| CityName(DE_DE).fake_with_rng(r)),
            "fr_FR" => Box::new(|r| CityName(FR_FR).fake_with_rng(r)),
            "it_IT" => Box::new(|r| CityName(IT_IT).fake_with_rng(r)),
            "nl_NL" => Box::new(|r| CityName(NL_NL).fake_with_rng(r)),
            "pt_BR" => Box::new(|r| CityName(PT_BR).fake_with_rng(r)),
            "ja_JP" => Box::new(ja_city),
            _ => Box::new(|r| CityName(EN).fake_with_rng(r)),
        };
        let phone_gen: G = match loc {
            "pt_BR" => Box::new(br_phone_national),
            "en_GB" => Box::new(|r| format!("020 7946 {}", digits(r, 4))),
            _ => Box::new(phone),
        };
        let loc_owned = loc.to_string();
        let addr: G = Box::new(move |r| local_address(&loc_owned, r));
        let neutral = |k: usize| vec![format!("col_{i}_{k}")];
        let s = Some(Sensitivity::Sensitive);
        let ns = Some(Sensitivity::NonSensitive);
        // (path, expected tag, kind, generator, share of empty strings)
        type Spec<'a> = (Vec<String>, Option<Sensitivity>, &'a str, G<'a>, f64);
        let mut cols: Vec<Spec> = vec![
            (neutral(1), s, "full-name/neutral", name, 0.0),
            (
                vec![names[0].into()],
                s,
                "full-name/named",
                Box::new(|r| Name(EN).fake_with_rng(r)),
                0.1,
            ),
            (vec![names[1].into()], s, "first-name/named", first, 0.0),
            (
                vec!["owner".into(), names[2].into()],
                s,
                "last-name/nested",
                last,
                0.0,
            ),
            (neutral(2), s, "email/neutral", Box::new(email), 0.3),
            (vec![names[3].into()], ns, "phone/named", phone_gen, 0.1),
            (neutral(3), ns, "date/neutral", Box::new(tuning_date), 0.0),
            (neutral(4), ns, "address/neutral", addr, 0.0),
            (
                vec!["profile".into(), "address".into(), names[4].into()],
                ns,
                "city/nested",
                city,
                0.0,
            ),
            (
                neutral(5),
                None,
                "negative/company",
                Box::new(neg_company),
                0.0,
            ),
            (neutral(6), None, "negative/lorem", Box::new(neg_lorem), 0.0),
            (
                vec!["reference".into()],
                None,
                "negative/digits10",
                Box::new(neg_digits10),
                0.0,
            ),
            (
                neutral(7),
                None,
                "negative/city-alone",
                Box::new(neg_city),
                0.0,
            ),
        ];
        if loc == "en_US" {
            cols.push((neutral(8), s, "npi/neutral", Box::new(npi), 0.0));
        }
        for (path, tag, kind, g, empty) in cols {
            let size = rng.random_range(40..=100);
            let values = (0..size)
                .map(|_| {
                    if rng.random_bool(empty) {
                        String::new()
                    } else {
                        g(rng)
                    }
                })
                .collect();
            out.push(LocaleColumn {
                locale: loc.to_string(),
                path,
                tag,
                kind: kind.to_string(),
                values,
            });
        }
    }
    out
}

#[test]
fn tuning_set_per_language() {
    let mut rng = StdRng::seed_from_u64(0x10ca1e);
    let corpus = tuning_set(&mut rng);
    let (all, per, _) = score_locales("Tuning set (Rust fake crate + own generators)", &corpus);
    assert_bounds(&all, &per);
}
