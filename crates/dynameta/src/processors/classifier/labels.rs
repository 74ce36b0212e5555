//! OpenMetadata `TagLabel`s for classification results.

use dynameta_pii::{Candidate, Target};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// OpenMetadata's PII classification (its tags are mutually exclusive on a column).
pub const PII_CLASSIFICATION: &str = "PII";

/// The tag chosen for one column: the `columnTags` record entry, and what the REST
/// sink patches onto the column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ColumnTag {
    /// Column FQN.
    pub column: String,
    /// The `TagLabel`s to apply (one today: `PII.Sensitive` or `PII.NonSensitive`).
    pub tags: Vec<Value>,
    /// Recognizer that won.
    pub recognizer: String,
    /// Its confidence, 0-100.
    #[cfg_attr(test, schemars(range(min = 0.0, max = 100.0)))]
    pub confidence: f64,
}

/// The `TagLabel` for a winning candidate: source Classification, labelType Generated,
/// state Suggested (a person confirms it), and OpenMetadata 2.0's recognizer metadata.
pub fn tag_label(candidate: &Candidate) -> Value {
    let info = &candidate.recognizer;
    let tag = info.sensitivity.tag_fqn();
    let mut patterns = Vec::new();
    if let Some(content) = &candidate.content {
        for name in &content.patterns {
            patterns.push(json!({"name": name, "score": round(content.score)}));
        }
    }
    if let Some(name) = &candidate.name {
        patterns
            .push(json!({"name": name.pattern, "regex": name.regex, "score": round(name.score)}));
    }
    let target = match candidate.target {
        Target::Content => "content",
        Target::ColumnName => "column_name",
    };
    json!({
        "tagFQN": tag,
        "name": tag.rsplit('.').next().unwrap_or(tag),
        "source": "Classification",
        "labelType": "Generated",
        "state": "Suggested",
        "reason": candidate.reason,
        "metadata": {
            "recognizer": {
                "recognizerId": info.id,
                "recognizerName": info.name,
                "score": round(candidate.confidence / 100.0),
                "target": target,
                "patterns": patterns,
            }
        }
    })
}

/// Scores to 4 decimals, clamped to 0-1, so outputs are stable and schema-valid.
fn round(score: f64) -> f64 {
    (score.clamp(0.0, 1.0) * 10_000.0).round() / 10_000.0
}
