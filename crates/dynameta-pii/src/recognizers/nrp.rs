//! Demographic values (gender, nationality, religion, political group: Presidio's `NRP`).
//! These have no format of their own, so values count only with name context (`gender`,
//! `nationality`): known gender codes weigh more than arbitrary short words.

use super::Accept;

const GENDER: &[&str] = &[
    "male",
    "female",
    "m",
    "f",
    "man",
    "woman",
    "non-binary",
    "nonbinary",
    "non binary",
    "other",
    "x",
    "unknown",
    "prefer not to say",
    "undisclosed",
    "diverse",
    "divers",
    "homme",
    "femme",
    "männlich",
    "weiblich",
    "masculino",
    "femenino",
    "feminino",
    "maschio",
    "femmina",
];

/// With name context: gender codes, or short alphabetic words (a nationality, a religion).
pub(crate) fn check(v: &str, name: bool) -> Accept {
    if !name || v.len() > 40 {
        return None;
    }
    let lower = v.to_lowercase();
    if GENDER.contains(&lower.as_str()) {
        return Some(("gender-vocabulary-with-name-context", 0.9));
    }
    let words = v.split_whitespace().count();
    let alpha = v
        .chars()
        .all(|c| c.is_alphabetic() || c == ' ' || c == '-' || c == '\'');
    (alpha && (1..=3).contains(&words) && v.len() >= 3)
        .then_some(("short-word-with-name-context", 0.7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nrp() {
        assert!(check("female", true).is_some());
        assert!(check("French", true).is_some());
        assert!(check("female", false).is_none());
        assert!(check("12345", true).is_none());
    }
}
