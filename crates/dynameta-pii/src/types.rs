//! The public result types of classification.

use serde::Serialize;

/// OpenMetadata's two PII tags, ordered so that `Sensitive > NonSensitive`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Sensitivity {
    /// `PII.NonSensitive`: phone numbers, dates, locations, URLs, NRP.
    NonSensitive,
    /// `PII.Sensitive`: cards, e-mail, IBAN, national ids, person names, secrets.
    Sensitive,
}

impl Sensitivity {
    /// The OpenMetadata tag FQN for this sensitivity.
    pub fn tag_fqn(self) -> &'static str {
        match self {
            Sensitivity::Sensitive => "PII.Sensitive",
            Sensitivity::NonSensitive => "PII.NonSensitive",
        }
    }
}

/// What the winning evidence looked at (OpenMetadata's `TagLabelRecognizerMetadata.target`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The sampled values.
    Content,
    /// The attribute name or path.
    ColumnName,
}

/// Static description of one recognizer.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct RecognizerInfo {
    /// Stable UUID, sent as `recognizerId`.
    pub id: &'static str,
    /// Human-readable name, e.g. `CreditCardRecognizer`.
    pub name: &'static str,
    /// Presidio entity type, e.g. `CREDIT_CARD`.
    pub entity: &'static str,
    /// Tag it leads to (OpenMetadata 2.0.7's mapping).
    pub sensitivity: Sensitivity,
    /// How much one accepted value is worth, 0–1 (a checksum counts more than a pattern).
    pub strength: f64,
}

/// Evidence from the sampled values.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ContentEvidence {
    /// Values the recognizer accepted.
    pub matched: usize,
    /// Values looked at.
    pub total: usize,
    /// Content score 0–1: strength × min(1, share accepted / 0.85), scaled down below 5 values.
    pub score: f64,
    /// Up to three accepted values, masked.
    pub examples: Vec<String>,
    /// Names of the patterns or validators that accepted values.
    pub patterns: Vec<&'static str>,
}

/// Evidence from the attribute name.
#[derive(Clone, Debug, Serialize)]
pub struct NameEvidence {
    /// Name of the column-name pattern that matched, e.g. `email`.
    pub pattern: &'static str,
    /// The regular expression of that pattern.
    pub regex: &'static str,
    /// Name score 0–1.
    pub score: f64,
    /// True when at least 10 values were looked at and none matched the entity's format:
    /// the name then counts half and does not point at the entity.
    pub contradicted: bool,
}

/// One recognizer's verdict on a column.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    /// Which recognizer.
    pub recognizer: RecognizerInfo,
    /// Combined confidence 0–100, rounded to one decimal ([`round_confidence`]): the very
    /// number `--explain` prints is the one [`Classification::decide`] compares.
    pub confidence: f64,
    /// Which evidence dominated.
    pub target: Target,
    /// Evidence from values, when any value was accepted.
    pub content: Option<ContentEvidence>,
    /// Evidence from the name, when a pattern matched.
    pub name: Option<NameEvidence>,
    /// One sentence saying why the confidence is what it is.
    pub reason: String,
}

/// Every recognizer that found evidence on a column, best first.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Classification {
    /// Candidates sorted by confidence, highest first.
    pub candidates: Vec<Candidate>,
    /// Number of values looked at (empty strings are not values).
    pub values_seen: usize,
}

/// Rounds a confidence to one decimal, the precision `--explain` shows. Candidates carry
/// the rounded value, so a column printed `90.0` is tagged at confidence 90.
pub fn round_confidence(confidence: f64) -> f64 {
    (confidence * 10.0).round() / 10.0
}

impl Candidate {
    /// True when the column name points at this candidate's entity (and the values do
    /// not contradict it).
    fn named(&self) -> bool {
        self.name.as_ref().is_some_and(|n| !n.contradicted)
    }
}

impl Classification {
    /// The tag to apply at `threshold` (0–100).
    ///
    /// Among candidates at or above it the most sensitive wins, then the most confident —
    /// unless evidence says otherwise: a candidate that is **more confident** and that the
    /// **column name points at** beats every candidate the name does not point at, whatever
    /// their sensitivity. So `profile.address.city` holding `San Francisco` is a location
    /// (the location recognizer scores higher and the path says address) although
    /// `Francisco` is also a first name, while a column `notes` holding both e-mails and
    /// dates still goes to the more sensitive e-mail recognizer.
    pub fn decide(&self, threshold: f64) -> Option<&Candidate> {
        let eligible = || self.candidates.iter().filter(|c| c.confidence >= threshold);
        let by_sensitivity = |a: &&Candidate, b: &&Candidate| {
            a.recognizer
                .sensitivity
                .cmp(&b.recognizer.sensitivity)
                .then(a.confidence.total_cmp(&b.confidence))
        };
        let best = eligible().max_by(by_sensitivity)?;
        if best.named() {
            return Some(best);
        }
        // A more confident candidate the name points at overrides the priority.
        eligible()
            .filter(|c| c.named() && c.confidence > best.confidence)
            .max_by(by_sensitivity)
            .or(Some(best))
    }
}

/// Masks a value for display: keeps a short prefix and suffix, stars the rest.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let keep = if chars.len() >= 12 {
        2
    } else {
        usize::from(chars.len() >= 6)
    };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < keep || i + keep >= chars.len() || !c.is_alphanumeric() {
                *c
            } else {
                '*'
            }
        })
        .collect()
}
