//! Person names, without a model: 2–4 capitalised tokens (optional title and suffix) where the
//! first or the last token is a known given name or surname from the embedded lists
//! (`data/*.txt`) and no token is a common word, company suffix or street/place word.
//! With name context (`first_name`, `surname`) a single known name is accepted as well.

use super::Accept;
use std::collections::HashSet;
use std::sync::LazyLock;

fn lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Known given names and surnames, lowercase.
static NAMES: LazyLock<HashSet<String>> = LazyLock::new(|| {
    lines(include_str!("../../data/first_names.txt"))
        .chain(lines(include_str!("../../data/last_names.txt")))
        .chain(lines(include_str!("../../data/extra_names.txt")))
        .chain(lines(include_str!("../../data/faker_names.txt")))
        .chain(lines(include_str!("../../data/cjk_names.txt")))
        .map(str::to_lowercase)
        .collect()
});

/// Words that veto a name (lowercase), minus any that are also known names.
static STOPWORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    lines(include_str!("../../data/stopwords.txt"))
        .map(str::to_lowercase)
        .filter(|w| !NAMES.contains(w))
        .collect()
});

const TITLES: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "sir",
    "dame",
    "mme",
    "mlle",
    "m",
    "herr",
    "frau",
    "sr",
    "sra",
    "srta",
    "rev",
    "capt",
    "univ.prof",
    "dipl.-ing",
    "ing",
    "mag",
    "dott",
    "dott.ssa",
    "sig",
    "sig.ra",
    "avv",
    "d",
    "dña",
    "don",
    "doña",
    "dhr",
    "mevr",
    "ir",
    "drs",
    "mw",
    "smt",
    "shri",
    "sri",
    "kumari",
];
const SUFFIXES: &[&str] = &[
    "jr", "sr", "ii", "iii", "iv", "v", "phd", "md", "dds", "esq", "dvm", "jd", "b.sc", "b.a",
    "b.eng", "m.sc", "m.a", "m.eng", "mba", "ll.m", "b.sc.", "dr.", "ph.d",
];
/// Devanagari honorifics and the respectful `-ji` suffix word.
const DEVANAGARI_TITLES: &[&str] = &[
    "श्री",
    "श्रीमती",
    "सुश्री",
    "कुमारी",
    "डॉ",
    "डॉ.",
    "सम्मानात्मक",
    "जी",
];

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '々')
}

fn is_devanagari(c: char) -> bool {
    ('\u{0900}'..='\u{097f}').contains(&c)
}

/// Characters that end Japanese and Chinese place and company names, never given names
/// or surnames written alone (`川崎市`, `株式会社`).
const CJK_NOT_NAME: &[char] = &[
    '市', '区', '町', '村', '県', '都', '府', '郡', '社', '店', '駅',
];

/// Japanese / Chinese names: `佐藤 太郎`, `佐藤　太郎` or `佐藤太郎` (split where a known
/// surname ends), 2–6 characters of kanji and kana.
fn cjk(v: &str, name: bool) -> Accept {
    let toks: Vec<&str> = v
        .split([' ', '\u{3000}'])
        .filter(|t| !t.is_empty())
        .collect();
    if toks.is_empty()
        || toks.len() > 3
        || !toks.iter().all(|t| t.chars().all(is_cjk))
        || toks.iter().any(|t| t.ends_with(CJK_NOT_NAME))
    {
        return None;
    }
    let len: usize = toks.iter().map(|t| t.chars().count()).sum();
    if !((2..=8).contains(&len) || (name && len == 1)) {
        return None;
    }
    if toks.len() >= 2 {
        let known: Vec<bool> = toks.iter().map(|t| NAMES.contains(*t)).collect();
        return match (known[0], known[known.len() - 1]) {
            (true, true) => Some(("known-cjk-family-and-given-name", 0.9)),
            (true, false) | (false, true) => Some(("known-cjk-family-or-given-name", 0.85)),
            _ if name => Some(("cjk-name-with-name-context", 0.6)),
            _ => None,
        };
    }
    let t = toks[0];
    if NAMES.contains(t) {
        return name.then_some(("known-name-with-name-context", 0.9));
    }
    let chars: Vec<char> = t.chars().collect();
    if chars.len() > 6 {
        return None;
    }
    // No space: a known surname followed by a known given name (or 1-2 more characters).
    for split in 1..chars.len() {
        let family: String = chars[..split].iter().collect();
        let given: String = chars[split..].iter().collect();
        if NAMES.contains(&family) && NAMES.contains(&given) {
            return Some(("known-cjk-family-and-given-name", 0.9));
        }
    }
    None
}

/// Hindi names in Devanagari: 1–4 words, the first or last a known name.
fn devanagari(v: &str, name: bool) -> Accept {
    let mut toks: Vec<&str> = v.split_whitespace().collect();
    toks.retain(|t| !DEVANAGARI_TITLES.contains(t));
    if toks.is_empty() || toks.len() > 4 || !toks.iter().all(|t| t.chars().all(is_devanagari)) {
        return None;
    }
    let known =
        |t: &str| NAMES.contains(t) || t.strip_suffix("जी").is_some_and(|b| NAMES.contains(b));
    let (first, last) = (known(toks[0]), known(toks[toks.len() - 1]));
    match (toks.len(), first, last) {
        (1, true, _) if name => Some(("known-name-with-name-context", 0.9)),
        (1, _, _) => None,
        (_, true, true) => Some(("known-first-and-last-name", 0.9)),
        (_, true, false) | (_, false, true) => Some(("known-first-or-last-name", 0.85)),
        _ if name => Some(("capitalised-words-with-name-context", 0.6)),
        _ => None,
    }
}
const PARTICLES: &[&str] = &[
    "da", "de", "del", "della", "der", "den", "di", "do", "dos", "das", "du", "la", "le", "van",
    "von", "y", "e", "bin", "ibn", "al", "el", "ten", "ter", "st",
];

/// A capitalised word of letters (apostrophes, hyphens allowed inside), or an initial `J.`.
fn shaped(tok: &str) -> bool {
    let mut chars = tok.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !first.is_uppercase() {
        return false;
    }
    let rest: Vec<char> = chars.collect();
    if rest == ['.'] {
        return true; // initial
    }
    !rest.is_empty()
        && rest
            .iter()
            .all(|c| c.is_alphabetic() || *c == '\'' || *c == '-')
        && rest.last().is_some_and(|c| c.is_alphabetic())
}

fn norm(tok: &str) -> String {
    tok.trim_end_matches('.').to_lowercase()
}

/// Known name, or a hyphenated compound with a known part (`Smith-Jones`).
fn known(tok: &str) -> bool {
    let n = norm(tok);
    NAMES.contains(&n) || (n.contains('-') && n.split('-').any(|p| NAMES.contains(p)))
}

/// Accepts person names.
pub(crate) fn check(v: &str, name: bool) -> Accept {
    if !v.is_ascii() {
        if let Some(c) = v.chars().find(|c| !c.is_ascii() && !c.is_whitespace()) {
            if is_cjk(c) {
                return cjk(v, name);
            }
            if is_devanagari(c) {
                return devanagari(v, name);
            }
        }
    }
    let b = v.as_bytes();
    if b.len() < 2
        || b.len() > 80
        || b.iter()
            .any(|c| c.is_ascii_digit() || b"@/:_=#$%&*()[]{}<>|\\\"".contains(c))
    {
        return None;
    }
    let cleaned;
    let mut text = v;
    // "Last, First" form.
    if let Some((last, first)) = v.split_once(", ") {
        if !first.contains(',') && !last.contains(' ') {
            cleaned = format!("{first} {last}");
            text = &cleaned;
        }
    }
    let mut toks: Vec<&str> = text.split_whitespace().collect();
    while toks.len() > 1 && TITLES.contains(&norm(toks[0]).as_str()) {
        toks.remove(0);
    }
    while toks.len() > 1
        && SUFFIXES.contains(&norm(toks[toks.len() - 1].trim_end_matches(',')).as_str())
    {
        toks.pop();
    }
    if let Some(last) = toks.last_mut() {
        *last = last.trim_end_matches(',');
    }
    let core: Vec<&str> = toks
        .iter()
        .copied()
        .filter(|t| !PARTICLES.contains(&t.to_lowercase().as_str()))
        .collect();
    let (min, max) = if name { (1, 4) } else { (2, 4) };
    if core.len() < min || core.len() > max {
        return None;
    }
    let all_caps = core.iter().all(|t| t.chars().all(|c| !c.is_lowercase()));
    for t in &core {
        let n = norm(t);
        if STOPWORDS.contains(&n) {
            return None;
        }
        let ok = if all_caps {
            t.chars()
                .all(|c| c.is_alphabetic() || c == '-' || c == '\'' || c == '.')
                && t.len() >= 2
        } else {
            shaped(t)
        };
        if !ok {
            return None;
        }
    }
    let first_known = known(core[0]);
    let last_known = known(core[core.len() - 1]);
    if core.len() == 1 {
        return first_known.then_some(("known-name-with-name-context", 0.9));
    }
    if core[0].ends_with('.') && core[core.len() - 1].ends_with('.') {
        return None;
    }
    match (first_known, last_known) {
        (true, true) => Some(("known-first-and-last-name", 0.9)),
        (true, false) | (false, true) => Some(("known-first-or-last-name", 0.85)),
        (false, false) if name && core.len() <= 3 => {
            Some(("capitalised-words-with-name-context", 0.6))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for v in [
            "John Smith",
            "Mr. John Smith",
            "Dr. Maria Garcia",
            "Maria de la Cruz",
            "Ludwig van Beethoven",
            "Smith, John",
            "Mary-Kate Olsen",
            "John F. Kennedy",
            "Priya Sharma",
            "JOHN SMITH",
            "John Smith Jr.",
            "Wei Zhang",
        ] {
            assert!(check(v, false).is_some(), "{v}");
        }
        for v in [
            "John",
            "Ergonomic Steel Chair",
            "Kuhn LLC",
            "Smith and Sons",
            "Port Jaylen",
            "Main Street",
            "lorem ipsum dolor",
            "john smith",
            "The Matrix Reloaded",
            "Order 123",
            "John Smith Corp",
            "x",
            "Fantastic Granite Table",
        ] {
            assert!(check(v, false).is_none(), "{v}");
        }
        assert!(check("John", true).is_some());
    }

    #[test]
    fn other_scripts_and_locales() {
        for v in [
            "佐藤 太郎",
            "佐藤　陽一",
            "佐藤太郎",
            "आदित्य शर्मा",
            "Prof. Jörgen Ehlert B.Eng.",
            "Juana Maura Bastida Alberto",
            "Melle van der Sloot-Huijben",
            "Anouk-Agathe Lelièvre",
        ] {
            assert!(check(v, false).is_some(), "{v}");
        }
        for v in ["川崎市宮前区", "株式会社", "東京都", "佐藤", "अहमदाबाद शहर"]
        {
            assert!(check(v, false).is_none(), "{v}");
        }
        assert!(check("佐藤", true).is_some(), "a surname under 名前");
        assert!(check("आदित्य", true).is_some());
    }

    #[test]
    fn data_loaded() {
        assert!(NAMES.len() > 4000);
        assert!(STOPWORDS.len() > 200);
        assert!(NAMES.contains("garcia"));
    }
}
