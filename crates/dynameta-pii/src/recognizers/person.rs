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
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "mme", "mlle", "m", "herr",
    "frau", "sr", "sra", "srta", "rev", "capt",
];
const SUFFIXES: &[&str] = &[
    "jr", "sr", "ii", "iii", "iv", "v", "phd", "md", "dds", "esq", "dvm", "jd",
];
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
    fn data_loaded() {
        assert!(NAMES.len() > 4000);
        assert!(STOPWORDS.len() > 200);
        assert!(NAMES.contains("garcia"));
    }
}
