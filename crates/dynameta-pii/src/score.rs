//! Turning evidence into a [`Candidate`]: content score, name score, contradiction rule,
//! noisy-or combination and the human-readable reason.
//!
//! * content score = strength × min(1, share / 0.85), where share = accepted / values looked at
//!   and strength is the mean weight of the accepted values (a recognizer's nominal strength is
//!   the weight of its best pattern). The share saturates at 85 %: real columns carry some
//!   dirty values (placeholders, legacy formats), and a column where ≥ 85 % of the values
//!   validate is as convincing as one where all do. Below that the score falls linearly. With
//!   fewer than 5 values it is further scaled by `total / 5`, so a single matching value cannot
//!   reach 100.
//! * name score = name confidence / 100; halved when the entity has a content recognizer and
//!   it accepted none of at least 10 values (a column called `email` holding integers). Not for
//!   `CREDENTIAL`: secrets have no fixed format.
//! * confidence = 100 × (1 − (1 − content)(1 − name)), rounded to one decimal (what `--explain`
//!   prints is what the threshold is compared with).
//!
//! A column whose values are half e-mails and half phone numbers gives both recognizers about
//! 59 % × strength (0.5 / 0.85), so neither reaches the default threshold of 80 on content alone: that is
//! intended, a mixed column is not clearly either.

use crate::names::NamePattern;
use crate::recognizers::Spec;
use crate::types::{round_confidence, Candidate, ContentEvidence, NameEvidence, Target};

/// Minimum number of values for the "no value matched" contradiction rule.
pub(crate) const CONTRADICTION_MIN_VALUES: usize = 10;
/// Share of accepted values at which the content score reaches the full strength.
pub(crate) const FULL_SHARE: f64 = 0.85;
/// Below this many values the content score is scaled down proportionally.
pub(crate) const SMALL_SAMPLE: usize = 5;

/// Content tallies of one recognizer over one column.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub matched: usize,
    pub weight: f64,
    pub examples: Vec<String>,
    pub patterns: Vec<&'static str>,
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// Builds the candidate for one recognizer, or `None` when there is no evidence at all.
pub(crate) fn candidate(
    spec: &Spec,
    total: usize,
    tally: Option<Tally>,
    name: Option<&'static NamePattern>,
) -> Option<Candidate> {
    let tally = tally.filter(|t| t.matched > 0);
    if tally.is_none() && name.is_none() {
        return None;
    }
    let content = tally.map(|t| {
        let share = if total == 0 {
            0.0
        } else {
            t.matched as f64 / total as f64
        };
        let strength = t.weight / t.matched as f64;
        let mut score = strength * (share / FULL_SHARE).min(1.0);
        if total < SMALL_SAMPLE {
            score *= total as f64 / SMALL_SAMPLE as f64;
        }
        ContentEvidence {
            matched: t.matched,
            total,
            score: score.clamp(0.0, 1.0),
            examples: t.examples,
            patterns: t.patterns,
        }
    });
    let contradicted = name.is_some()
        && content.is_none()
        && spec.check.is_some()
        && spec.info.entity != "CREDENTIAL"
        && total >= CONTRADICTION_MIN_VALUES;
    let name_ev = name.map(|p| NameEvidence {
        pattern: p.name,
        regex: p.regex,
        score: if contradicted {
            p.score / 200.0
        } else {
            p.score / 100.0
        },
        contradicted,
    });
    let cs = content.as_ref().map_or(0.0, |c| c.score);
    let ns = name_ev.as_ref().map_or(0.0, |n| n.score);
    let confidence = round_confidence((100.0 * (1.0 - (1.0 - cs) * (1.0 - ns))).clamp(0.0, 100.0));
    let target = if cs >= ns {
        Target::Content
    } else {
        Target::ColumnName
    };

    let mut reason = String::new();
    if let Some(c) = &content {
        let share = c.matched as f64 / total.max(1) as f64;
        reason.push_str(&format!(
            "{} of {} values {}",
            pct(share),
            total,
            spec.accepts
        ));
        if total < SMALL_SAMPLE {
            reason.push_str(&format!(
                " (small sample, scaled by {total}/{SMALL_SAMPLE})"
            ));
        }
    }
    if let Some(p) = name {
        if reason.is_empty() {
            reason.push_str(&format!("column name matches `{}`", p.name));
        } else {
            reason.push_str(&format!("; column name matches `{}`", p.name));
        }
        if contradicted {
            reason.push_str(&format!(
                " but no value looks like {} (0 of {total}), so the name counts half",
                spec.noun
            ));
        } else if content.is_none() && total == 0 {
            reason.push_str("; no values to check");
        } else if content.is_none() && spec.check.is_none() {
            reason.push_str("; values have no checkable format");
        } else if content.is_none() && spec.info.entity == "CREDENTIAL" {
            reason.push_str("; secrets have no fixed format, so values are not required to match");
        } else if content.is_none() {
            reason.push_str(&format!("; too few values ({total}) to contradict it"));
        }
    }
    Some(Candidate {
        recognizer: spec.info,
        confidence,
        target,
        content,
        name: name_ev,
        reason,
    })
}
