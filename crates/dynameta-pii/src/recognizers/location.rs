//! Street addresses and postal locations.
//!
//! Accepted without name context:
//! * number-first street lines: `123 Main St`, `4 Elm Street Apt. 5`, optionally followed by
//!   comma-separated city / state+ZIP / country parts;
//! * street-word-first lines (French, Italian, Portuguese, Spanish): `12 rue de la Paix`,
//!   `Via Roma 5`, `Rua Augusta, 123`;
//! * German-style `Hauptstraße 5`, `Berliner Str. 12`;
//! * US `City, ST 12345` / `ST 12345-6789`.
//!
//! With name context (`city`, `zip`, `country`, `address`) postal codes and plain place names
//! (1–4 capitalised words) are accepted too, with a lower weight.

use super::Accept;
use std::collections::HashSet;
use std::sync::LazyLock;

static SUFFIXES: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("../../data/street_suffixes.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.trim_end_matches('.').to_lowercase())
        .collect()
});

/// Street words that come before the name (`rue de la Paix`, `Via Roma`).
const LEADING: &[&str] = &[
    "rue",
    "avenue",
    "av",
    "allée",
    "allee",
    "boulevard",
    "bd",
    "place",
    "impasse",
    "chemin",
    "quai",
    "cours",
    "via",
    "viale",
    "piazza",
    "piazzale",
    "corso",
    "strada",
    "largo",
    "rua",
    "avenida",
    "travessa",
    "alameda",
    "praça",
    "calle",
    "carrer",
    "paseo",
    "camino",
    "estrada",
    "venelle",
    "circonvallazione",
    "calçada",
    // Spanish, Italian and Brazilian street types (Faker's providers list the same).
    "c",
    "avda",
    "vial",
    "vía",
    "urbanización",
    "pasaje",
    "plaza",
    "ronda",
    "rambla",
    "glorieta",
    "cañada",
    "callejón",
    "acceso",
    "carretera",
    "cuesta",
    "borgo",
    "contrada",
    "rotonda",
    "incrocio",
    "stretto",
    "vicolo",
    "canale",
    "lungomare",
    "aeroporto",
    "área",
    "campo",
    "chácara",
    "colônia",
    "condomínio",
    "conjunto",
    "distrito",
    "esplanada",
    "estação",
    "favela",
    "fazenda",
    "feira",
    "jardim",
    "ladeira",
    "lago",
    "lagoa",
    "loteamento",
    "morro",
    "núcleo",
    "parque",
    "passarela",
    "pátio",
    "quadra",
    "recanto",
    "residencial",
    "rodovia",
    "setor",
    "sítio",
    "trecho",
    "trevo",
    "vale",
    "vereda",
    "viaduto",
    "viela",
    "vila",
];

const UNITS: &[&str] = &[
    "apt",
    "apartment",
    "suite",
    "ste",
    "suit",
    "unit",
    "floor",
    "fl",
    "room",
    "rm",
    "bldg",
    "building",
    "#",
    "no",
    "nº",
    "etage",
    "dept",
    "box",
    "po",
    "studio",
    "flat",
    "piano",
    "appartamento",
    "interno",
    "scala",
    "piso",
    "puerta",
    "andar",
    "sala",
    "bloco",
    "casa",
    "h.no",
    "bus",
];

const DIRECTIONS: &[&str] = &[
    "n", "s", "e", "w", "ne", "nw", "se", "sw", "north", "south", "east", "west",
];

const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
    "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC", "PR",
];

fn low(t: &str) -> String {
    t.trim_end_matches([',', '.']).to_lowercase()
}

fn is_suffix(t: &str) -> bool {
    SUFFIXES.contains(&low(t))
}

fn house_number(t: &str) -> bool {
    let t = t.trim_end_matches(',');
    // `9/3`, `63/170`: house / flat (German, Indian).
    if let Some((a, b)) = t.split_once('/') {
        return !a.is_empty()
            && a.len() <= 5
            && a.bytes().all(|c| c.is_ascii_digit())
            && !b.is_empty()
            && b.len() <= 5
            && b.bytes().all(|c| c.is_ascii_alphanumeric());
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 6 {
        return false;
    }
    let rest = &t[digits..];
    rest.is_empty()
        || (rest.len() == 1 && rest.as_bytes()[0].is_ascii_alphabetic())
        || (rest.starts_with('-')
            && rest[1..].bytes().all(|c| c.is_ascii_alphanumeric())
            && rest.len() <= 5)
        || matches!(
            rest.to_ascii_lowercase().as_str(),
            "bis" | "ter" | "st" | "nd" | "rd" | "th"
        )
}

fn name_word(t: &str) -> bool {
    let t = t.trim_end_matches([',', '.']);
    let mut c = t.chars();
    c.next()
        .is_some_and(|f| f.is_alphabetic() || f.is_ascii_digit())
        && t.chars()
            .all(|ch| ch.is_alphanumeric() || ch == '\'' || ch == '-' || ch == '.')
}

fn capitalised(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// `Apt. 5`, `Suite 200`, `#12`, `Hof 3` at the end of a street line.
fn unit_tail(toks: &[&str]) -> bool {
    match toks {
        [] => true,
        [u] => {
            u.starts_with('#') && u.len() > 1 && u[1..].bytes().all(|c| c.is_ascii_alphanumeric())
        }
        [u, n] => {
            UNITS.contains(&low(u).as_str())
                && n.trim_end_matches(',').bytes().any(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// `123 [N] Name Name Suffix [N] [Apt 5]`.
fn number_first(toks: &[&str]) -> bool {
    if toks.len() < 3 || !house_number(toks[0]) {
        return false;
    }
    let mut end = toks.len();
    // Find the last street suffix such that what follows is a direction and/or a unit.
    for i in (2..end).rev() {
        if is_suffix(toks[i]) && (capitalised(toks[i]) || capitalised(toks[i - 1])) {
            let mut rest = &toks[i + 1..];
            if rest
                .first()
                .is_some_and(|t| DIRECTIONS.contains(&low(t).as_str()))
            {
                rest = &rest[1..];
            }
            if unit_tail(rest) {
                end = i;
                break;
            }
        }
    }
    if end == toks.len() {
        return false;
    }
    let name = &toks[1..end];
    !name.is_empty()
        && name.len() <= 5
        && name.iter().all(|t| name_word(t))
        && name.iter().any(|t| capitalised(t))
}

/// `[12[,]] rue de la Paix [12]`, `Via Roma 5`.
fn word_first(toks: &[&str]) -> bool {
    let mut toks = toks;
    let mut numbered = false;
    if toks.first().is_some_and(|t| house_number(t)) {
        toks = &toks[1..];
        numbered = true;
    }
    if toks.last().is_some_and(|t| house_number(t)) {
        toks = &toks[..toks.len() - 1];
        numbered = true;
    }
    if toks.len() < 2 || !LEADING.contains(&low(toks[0]).as_str()) {
        return false;
    }
    let name = &toks[1..];
    numbered
        && name.len() <= 6
        && name.iter().all(|t| name_word(t))
        && name.iter().any(|t| capitalised(t))
}

/// `Hauptstraße 5`, `Berliner Str. 12`, `Am Markt weg 3` (German / Dutch / Nordic).
fn compound_first(toks: &[&str]) -> bool {
    let Some((num, street)) = toks.split_last() else {
        return false;
    };
    if street.is_empty() {
        return false;
    }
    // Dutch names may start with a lowercase particle: `van Wijk pad 3`.
    let starts_ok = capitalised(street[0])
        || (["van", "de", "den", "der", "ter", "te"].contains(&street[0])
            && street.iter().any(|t| capitalised(t)));
    if !house_number(num) || street.is_empty() || street.len() > 4 || !starts_ok {
        return false;
    }
    let last = low(street[street.len() - 1]);
    const ENDINGS: &[&str] = &[
        "straße",
        "strasse",
        "str",
        "weg",
        "gasse",
        "platz",
        "allee",
        "ring",
        "damm",
        "ufer",
        "straat",
        "laan",
        "gracht",
        "plein",
        "vej",
        "gatan",
        "vägen",
        "veien",
        "pfad",
        "steg",
        "gang",
        "steeg",
        "pad",
        "plaats",
        "kade",
        "singel",
        "boulevard",
        "dreef",
        "dijk",
        "hof",
        "markt",
        "wal",
        "baan",
        "erf",
    ];
    street.iter().all(|t| name_word(t)) && ENDINGS.iter().any(|e| last.ends_with(e))
}

fn street_line(line: &str) -> bool {
    let toks: Vec<&str> = line.split_whitespace().collect();
    number_first(&toks) || word_first(&toks) || compound_first(&toks)
}

fn state_zip(part: &str) -> bool {
    let toks: Vec<&str> = part.split_whitespace().collect();
    let [st, zip] = toks.as_slice() else {
        return false;
    };
    US_STATES.contains(st) && us_zip(zip)
}

fn us_zip(z: &str) -> bool {
    let b = z.as_bytes();
    (b.len() == 5 && b.iter().all(u8::is_ascii_digit))
        || (b.len() == 10 && b[5] == b'-' && b[..5].iter().chain(&b[6..]).all(u8::is_ascii_digit))
}

fn postal_code(v: &str) -> bool {
    let b = v.as_bytes();
    if us_zip(v)
        || (b.len() == 9 && b[5] == b'-' && b[..5].iter().chain(&b[6..]).all(u8::is_ascii_digit))
        || (b.len() == 4 && b.iter().all(u8::is_ascii_digit))
    {
        return true;
    }
    // UK postcode: outward (A9, A99, AA9, AA99, A9A, AA9A) + space + inward (9AA).
    if let Some((out, inw)) = v.split_once(' ') {
        let ob = out.as_bytes();
        let ib = inw.as_bytes();
        let outward = (2..=4).contains(&ob.len())
            && ob[0].is_ascii_uppercase()
            && ob.iter().any(u8::is_ascii_digit)
            && ob
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        let inward = ib.len() == 3
            && ib[0].is_ascii_digit()
            && ib[1].is_ascii_uppercase()
            && ib[2].is_ascii_uppercase();
        if outward && inward {
            return true;
        }
        // Canadian A9A 9A9.
        if ob.len() == 3
            && ib.len() == 3
            && ob[0].is_ascii_uppercase()
            && ob[1].is_ascii_digit()
            && ob[2].is_ascii_uppercase()
            && ib[0].is_ascii_digit()
            && ib[1].is_ascii_uppercase()
            && ib[2].is_ascii_digit()
        {
            return true;
        }
    }
    false
}

fn place_name(v: &str) -> bool {
    let toks: Vec<&str> = v.split_whitespace().collect();
    (1..=4).contains(&toks.len())
        && capitalised(toks[0])
        && toks
            .iter()
            .all(|t| t.chars().all(|c| c.is_alphabetic() || "'-.,()".contains(c)))
}

/// Japanese addresses: `[〒123-4567] 東京都千代田区丸の内1丁目2番3号 [building]`: a place that ends
/// in 都/道/府/県/市/区/町/村/郡, then a block number (`1丁目`, `2番`, `3号`, `1-2-3`).
static JAPANESE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"^(?:〒?\s*[0-9０-９]{3}[-－][0-9０-９]{4}\s*)?[\p{Han}\p{Hiragana}\p{Katakana}ー々]{1,12}?[都道府県市区町村郡][\p{Han}\p{Hiragana}\p{Katakana}ー々]*?[0-9０-９]+(?:丁目|番地?|号|[-－ー][0-9０-９]+)",
    )
    .expect("constant regex")
});

/// Japanese municipalities and prefectures (`川崎市宮前区`, `青森県`), with name context.
fn japanese_place(v: &str) -> bool {
    let n = v.chars().count();
    (2..=12).contains(&n)
        && v.chars()
            .all(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}' | '々'))
        && v.ends_with(['都', '道', '府', '県', '市', '区', '町', '村', '郡'])
}

/// Known places (cities, prefectures, regions) of the ten locales, lowercase.
static PLACES: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("../../data/places.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
});

/// A postal code as a token of an address line: UK/CA postcodes, Dutch `2743 UB`/`2743UB`,
/// Brazilian `12345-678`, Japanese `〒123-4567`, or 4–8 digits (DE/FR/ES/IT 5, IN 6, BR 8).
fn postal_line(line: &str) -> bool {
    let line = line.trim();
    if postal_code(line) || line.starts_with('〒') {
        return true;
    }
    let toks: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    toks.iter().enumerate().any(|(i, t)| {
        let b = t.as_bytes();
        let digits = (4..=8).contains(&b.len()) && b.iter().all(u8::is_ascii_digit);
        let br =
            b.len() == 9 && b[5] == b'-' && b[..5].iter().chain(&b[6..]).all(u8::is_ascii_digit);
        let nl = b.len() == 6
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4..].iter().all(u8::is_ascii_uppercase);
        let nl_split = b.len() == 4
            && b.iter().all(u8::is_ascii_digit)
            && toks
                .get(i + 1)
                .is_some_and(|n| n.len() == 2 && n.bytes().all(|c| c.is_ascii_uppercase()));
        let uk = toks
            .get(i + 1)
            .is_some_and(|n| postal_code(&format!("{t} {n}")));
        // Indian `Mangalore-620012`: a place and its 6-digit PIN joined by a hyphen.
        let in_pin = t.rsplit_once('-').is_some_and(|(place, pin)| {
            pin.len() == 6
                && pin.bytes().all(|c| c.is_ascii_digit())
                && place.chars().next().is_some_and(char::is_uppercase)
                && place.chars().all(char::is_alphabetic)
        });
        digits || br || nl || nl_split || uk || in_pin
    })
}

/// A line that names a street or a dwelling: a street line, `Studio 9`, `Flat 3`,
/// `H.No. 39`, `63/170`, or a street-type word and a name (`avenue Carpentier`).
fn dwelling_line(line: &str) -> bool {
    let line = line.trim().trim_end_matches(',');
    let toks: Vec<&str> = line.split_whitespace().collect();
    street_line(line)
        || street_line(&line.replace(',', " "))
        || (toks.len() == 2
            && UNITS.contains(&low(toks[0]).as_str())
            && toks[1].bytes().any(|c| c.is_ascii_digit()))
        || (toks.len() == 1 && house_number(toks[0]) && toks[0].contains('/'))
        || (toks.len() >= 2
            && toks.len() <= 6
            && LEADING.contains(&low(toks[0]).as_str())
            && toks[1..].iter().any(|t| capitalised(t)))
        || (toks.len() >= 2
            && toks.len() <= 5
            && is_suffix(toks[toks.len() - 1])
            && capitalised(toks[0])
            && !house_number(toks[0]))
}

/// Multi-line addresses (UK, European, Brazilian, Indian layouts): 2–6 lines, one naming a
/// street or dwelling and one holding a postal code.
fn multi_line(v: &str) -> bool {
    let lines: Vec<&str> = v.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    (2..=6).contains(&lines.len())
        && lines
            .iter()
            .all(|l| l.len() <= 80 && !l.contains(['@', '{', '}', '<', '>', '|', '\\']))
        && lines.iter().any(|l| dwelling_line(l))
        && lines.iter().any(|l| postal_line(l))
}

/// Accepts addresses and postal locations.
pub(crate) fn check(v: &str, name: bool) -> Accept {
    let b = v.as_bytes();
    if b.len() < 4 || b.len() > 200 {
        return None;
    }
    if v.contains('\n') {
        return multi_line(v).then_some(("multi-line-address", 0.9));
    }
    if !v.is_ascii() && JAPANESE.is_match(v) {
        return Some(("japanese-address", 0.9));
    }
    let has_digit = b.iter().any(u8::is_ascii_digit);
    let has_alpha = b.iter().any(u8::is_ascii_alphabetic);
    if has_digit && has_alpha && b.iter().all(|c| !b"@:_=<>{}[]|\\".contains(c)) {
        let parts: Vec<&str> = v.split(',').map(str::trim).collect();
        // The street line may be split by a comma ("Rua Augusta, 123" / "12, rue X").
        let joined_first_two = if parts.len() >= 2 {
            format!("{} {}", parts[0], parts[1])
        } else {
            String::new()
        };
        let street = street_line(parts[0]) || (parts.len() >= 2 && street_line(&joined_first_two));
        if street {
            return Some(("street-address", 0.9));
        }
        // One line, comma-separated: a dwelling, a locality, a postal line (Indian
        // `H.No. 235, Dixit, Adoni-715570`, `59/76, Sen Zila, Bikaner 149425`).
        if (3..=6).contains(&parts.len())
            && (dwelling_line(parts[0]) || dwelling_line(&joined_first_two))
            && parts.last().is_some_and(|p| postal_line(p))
        {
            return Some(("comma-separated-address", 0.9));
        }
        if parts.len() >= 2
            && parts[0].len() >= 2
            && capitalised(parts[0])
            && parts[0]
                .chars()
                .all(|c| c.is_alphabetic() || c == ' ' || c == '.' || c == '-')
            && state_zip(parts[parts.len() - 1])
        {
            return Some(("city-state-zip", 0.85));
        }
        if state_zip(v) {
            return Some(("state-zip", 0.85));
        }
    }
    if name {
        if postal_code(v) {
            return Some(("postal-code-with-name-context", 0.7));
        }
        if PLACES.contains(&v.to_lowercase()) || japanese_place(v) {
            return Some(("known-place-with-name-context", 0.85));
        }
        if dwelling_line(v) {
            return Some(("street-with-name-context", 0.8));
        }
        if place_name(v) {
            return Some(("place-name-with-name-context", 0.7));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        for v in [
            "123 Main St",
            "123 Main Street",
            "4 Elm Street Apt. 5",
            "1600 Pennsylvania Avenue NW, Washington, DC 20500",
            "742 Evergreen Terrace",
            "55 Kuhn Bypass Suit. 817, Port Jaylen, OR 97201",
            "12 rue de la Paix",
            "Via Roma 5",
            "Rua Augusta, 123",
            "Hauptstraße 5",
            "Berliner Str. 12",
            "Springfield, IL 62704",
            "10 Downing Street, London",
            "221B Baker Street",
            "350 Fifth Ave #3400",
        ] {
            assert!(check(v, false).is_some(), "{v}");
        }
        for v in [
            "2 Way Switch",
            "ORD-2024-000123",
            "3 Piece Set",
            "Order 123 shipped",
            "123",
            "Main Street",
            "SKU-XJ-2231",
            "Version 2 Drive",
            "lorem ipsum 12 dolor",
            "5 Star Review",
            "12 items",
            "10 Best Street Foods",
        ] {
            assert!(check(v, false).is_none(), "{v}");
        }
        assert!(check("94103", true).is_some());
        assert!(check("SW1A 1AA", true).is_some());
        assert!(check("San Francisco", true).is_some());
        assert!(check("94103", false).is_none());
    }

    #[test]
    fn multi_line_and_other_locales() {
        for v in [
            "Studio 84\nLeah Oval\nPaigehaven\nB5 9RJ",
            "Studio 9\nBethan mission\nBernardshire\nN0 0XA",
            "Schlosserallee 743\n50008 Kronach",
            "19, avenue de Da Costa\n92921 Maury",
            "Piazza Alfredo, 16 Appartamento 97\n23824, Dorio (LC)",
            "Pukring 9\n2743UB\nAnerveen",
            "Praça André Sampaio, 44\nTupi B\n50008063 Silveira do Sul / PE",
            "H.No. 39\nNadkarni Zila\nLucknow 806360",
            "806 Tanya Stream\nNew Jeffreymouth, NM 72965",
            "青森県横浜市栄区芝大門28丁目20番1号 秋葉原クレスト915",
            "〒100-0005 東京都千代田区丸の内1-9-1",
            "Stretto Pavone, 418 Piano 9",
            "Reinhardtstr. 9/3",
            "Nadia-Holt-Weg 58",
            "Viela Luiza Vasconcelos, 96",
            "129 Josh tunnel",
        ] {
            assert!(check(v, false).is_some(), "{v}");
        }
        for v in [
            "Dear team,\nthe order 12345 shipped.",
            "line one\nline two",
            "東京都",
            "第3四半期の売上は12%増",
        ] {
            assert!(check(v, false).is_none(), "{v}");
        }
        assert!(check("川崎市宮前区", true).is_some());
        assert!(check("avenue Carpentier", true).is_some());
        assert!(check("Kronach", true).is_some());
    }
}
