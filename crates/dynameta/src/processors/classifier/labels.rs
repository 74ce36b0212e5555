//! OpenMetadata `TagLabel`s for classification results.

use dynameta_pii::{Candidate, Target};
use serde::{Deserialize, Serialize};

use crate::openmetadata::{
    LabelType, PatternMatch, RecognizerTarget, TagLabel, TagLabelMetadata,
    TagLabelRecognizerMetadata, TagState,
};

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
    // The record schema references OpenMetadata's own `tagLabel.json` for them
    // (sinks/record/schema.rs), so schemars needs no schema of the type.
    #[cfg_attr(test, schemars(with = "Vec<serde_json::Value>"))]
    pub tags: Vec<TagLabel>,
    /// Recognizer that won.
    pub recognizer: String,
    /// Its confidence, 0-100.
    #[cfg_attr(test, schemars(range(min = 0.0, max = 100.0)))]
    pub confidence: f64,
}

/// The `TagLabel` for a winning candidate: source Classification, labelType Generated,
/// state Suggested (a person confirms it), and OpenMetadata 2.0's recognizer metadata.
pub fn tag_label(candidate: &Candidate) -> TagLabel {
    let info = &candidate.recognizer;
    let tag = info.sensitivity.tag_fqn();
    let mut patterns = Vec::new();
    if let Some(content) = &candidate.content {
        for name in &content.patterns {
            patterns.push(PatternMatch {
                name: name.to_string(),
                regex: None,
                score: round(content.score),
            });
        }
    }
    if let Some(name) = &candidate.name {
        patterns.push(PatternMatch {
            name: name.pattern.to_string(),
            regex: Some(name.regex.to_string()),
            score: round(name.score),
        });
    }
    let target = match candidate.target {
        Target::Content => RecognizerTarget::Content,
        Target::ColumnName => RecognizerTarget::ColumnName,
    };
    TagLabel {
        name: Some(tag.rsplit('.').next().unwrap_or(tag).to_string()),
        reason: Some(candidate.reason.clone()),
        metadata: Some(TagLabelMetadata {
            recognizer: Some(TagLabelRecognizerMetadata {
                recognizer_id: info.id.to_string(),
                recognizer_name: info.name.to_string(),
                score: round(candidate.confidence / 100.0),
                target: Some(target),
                patterns: Some(patterns),
            }),
            expiry_date: None,
        }),
        ..TagLabel::classification(tag.to_string(), LabelType::Generated, TagState::Suggested)
    }
}

/// Scores to 4 decimals, clamped to 0-1, so outputs are stable and schema-valid.
fn round(score: f64) -> f64 {
    (score.clamp(0.0, 1.0) * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use dynameta_pii::{ContentEvidence, NameEvidence, RecognizerInfo, Sensitivity};
    use serde_json::json;

    use super::*;

    /// The label as dynameta wrote it before `TagLabel` was a type (the `json!` it was
    /// built with, verbatim): the typed label is written to the same bytes.
    fn as_before(candidate: &Candidate) -> String {
        let info = &candidate.recognizer;
        let tag = info.sensitivity.tag_fqn();
        let mut patterns = Vec::new();
        if let Some(content) = &candidate.content {
            for name in &content.patterns {
                patterns.push(json!({"name": name, "score": round(content.score)}));
            }
        }
        if let Some(name) = &candidate.name {
            patterns.push(
                json!({"name": name.pattern, "regex": name.regex, "score": round(name.score)}),
            );
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
        .to_string()
    }

    /// `TagLabel` models OpenMetadata 2.0.7's `tagLabel.json` whole: a label with every
    /// field set is valid against the schema, and its fields (and its nested objects')
    /// are exactly the schema's properties.
    #[test]
    fn the_tag_label_type_is_openmetadatas_schema() {
        use crate::openmetadata::{CoverImage, Style, TagSource};
        let full = TagLabel {
            tag_fqn: "Glossary.Term".into(),
            name: Some("Term".into()),
            display_name: Some("A term".into()),
            description: Some("What it means".into()),
            style: Some(Style {
                color: Some("#ff0000".into()),
                icon_url: Some("https://example.com/i.png".into()),
                cover_image: Some(CoverImage {
                    url: Some("https://example.com/c.png".into()),
                    position: Some("top".into()),
                }),
            }),
            source: TagSource::Glossary,
            label_type: LabelType::Propagated,
            state: TagState::Confirmed,
            href: Some("https://example.com/tags/1".into()),
            reason: Some("why".into()),
            applied_at: Some("2026-12-07T12:00:00Z".into()),
            applied_by: Some("ann".into()),
            metadata: Some(TagLabelMetadata {
                recognizer: Some(TagLabelRecognizerMetadata {
                    recognizer_id: "6a7b2f0e-0000-4000-8000-000000000001".into(),
                    recognizer_name: "R".into(),
                    score: 0.5,
                    target: Some(RecognizerTarget::ColumnName),
                    patterns: Some(vec![PatternMatch {
                        name: "p".into(),
                        regex: Some("^p$".into()),
                        score: 1.0,
                    }]),
                }),
                expiry_date: Some(1),
            }),
        };
        let value = serde_json::to_value(&full).unwrap();
        dynameta_testkit::schema::validate("tagLabel.json", &value)
            .unwrap_or_else(|e| panic!("{e:?}"));
        let text =
            std::fs::read_to_string(dynameta_testkit::schema::spec_dir().join("tagLabel.json"))
                .unwrap();
        let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
        let keys = |v: &serde_json::Value| -> Vec<String> {
            v.as_object().unwrap().keys().cloned().collect()
        };
        let defs = &schema["$defs"];
        for (ours, theirs) in [
            (&value, &schema["properties"]),
            (&value["style"], &defs["Style"]["properties"]),
            (
                &value["style"]["coverImage"],
                &defs["CoverImage"]["properties"],
            ),
            (&value["metadata"], &defs["TagLabelMetadata"]["properties"]),
            (
                &value["metadata"]["recognizer"],
                &defs["TagLabelRecognizerMetadata"]["properties"],
            ),
            (
                &value["metadata"]["recognizer"]["patterns"][0],
                &defs["PatternMatch"]["properties"],
            ),
        ] {
            assert_eq!(keys(ours), keys(theirs), "fields and their order");
        }
    }

    #[test]
    fn typed_labels_write_the_bytes_the_json_labels_did() {
        let recognizer = RecognizerInfo {
            id: "6a7b2f0e-0000-4000-8000-000000000001",
            name: "EmailRecognizer",
            entity: "EMAIL_ADDRESS",
            sensitivity: Sensitivity::Sensitive,
            strength: 0.9,
        };
        let content = ContentEvidence {
            matched: 9,
            total: 10,
            score: 0.876_54,
            examples: vec![],
            patterns: vec!["email", "domain"],
        };
        let name = NameEvidence {
            pattern: "email",
            regex: r"(?i)e[-_]?mail",
            score: 1.5,
            contradicted: false,
        };
        for (target, content, name) in [
            (Target::Content, Some(content.clone()), Some(name.clone())),
            (Target::ColumnName, None, Some(name)),
            (Target::Content, Some(content), None),
            (Target::Content, None, None),
        ] {
            let candidate = Candidate {
                recognizer,
                confidence: 87.3,
                target,
                content,
                name,
                reason: "9 of 10 values are e-mail addresses \"quoted\"".into(),
            };
            let typed = serde_json::to_string(&tag_label(&candidate)).unwrap();
            assert_eq!(typed, as_before(&candidate));
            let back: TagLabel = serde_json::from_str(&typed).unwrap();
            assert_eq!(back, tag_label(&candidate));
        }
    }
}
