//! `TagLabel` (OpenMetadata 2.0.7's `type/tagLabel.json`): a tag or glossary term on a
//! table or a column. Every field of the schema, in its order, so a label serialises to
//! the bytes dynameta has always written (`None` fields are left out) and a label read
//! back from a records file, or from the server, is the same value. The schema closes
//! every object (`additionalProperties: false`), so unknown fields are refused.

use serde::{Deserialize, Serialize};

/// A tag label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TagLabel {
    /// The tag's fully qualified name (`PII.Sensitive`, `"team"."data"`).
    #[serde(rename = "tagFQN")]
    pub tag_fqn: String,
    /// Name of the tag or glossary term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Description (Markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Colour, icon and cover image of the tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<Style>,
    /// Where the label comes from.
    pub source: TagSource,
    /// How the label was applied.
    pub label_type: LabelType,
    /// Suggested or confirmed.
    pub state: TagState,
    /// Link to the tag resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// Why the tag was proposed (auto-classification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When it was applied (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_at: Option<String>,
    /// Who applied it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_by: Option<String>,
    /// Recognizer details of an automatically applied tag, a certification's expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<TagLabelMetadata>,
}

impl TagLabel {
    /// A label of a classification's tag `tag_fqn`, with no optional field set.
    pub fn classification(tag_fqn: String, label_type: LabelType, state: TagState) -> TagLabel {
        TagLabel {
            tag_fqn,
            name: None,
            display_name: None,
            description: None,
            style: None,
            source: TagSource::Classification,
            label_type,
            state,
            href: None,
            reason: None,
            applied_at: None,
            applied_by: None,
            metadata: None,
        }
    }
}

/// `TagSource`: a classification's tag or a glossary term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TagSource {
    /// A tag of a classification.
    Classification,
    /// A glossary term.
    Glossary,
}

/// `LabelType`: how a label was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LabelType {
    /// By a person.
    Manual,
    /// From upstream, through lineage.
    Propagated,
    /// By a tool (dynameta's AWS tags).
    Automated,
    /// From the tag's associated tags.
    Derived,
    /// Generated (dynameta's PII classification, as OpenMetadata's auto-classification).
    Generated,
}

/// `State` of a label: a suggestion, or confirmed by the entity's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TagState {
    /// Suggested by a user or a tool.
    Suggested,
    /// Confirmed by the owner.
    Confirmed,
}

/// `Style` of a tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Style {
    /// Hex colour code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Icon URL.
    #[serde(rename = "iconURL", default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    /// Cover image.
    #[serde(
        rename = "coverImage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cover_image: Option<CoverImage>,
}

/// `CoverImage` of a tag's style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverImage {
    /// URL of the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// CSS background-position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
}

/// `TagLabelMetadata`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TagLabelMetadata {
    /// The recognizer that applied the tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recognizer: Option<TagLabelRecognizerMetadata>,
    /// When a certification tag expires (epoch milliseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<i64>,
}

/// `TagLabelRecognizerMetadata`: which recognizer applied a tag, how sure it was, and
/// what it looked at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TagLabelRecognizerMetadata {
    /// The recognizer's id (a UUID).
    pub recognizer_id: String,
    /// Its name.
    pub recognizer_name: String,
    /// Its confidence, 0 to 1.
    pub score: f64,
    /// What it analysed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<RecognizerTarget>,
    /// The patterns that matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patterns: Option<Vec<PatternMatch>>,
}

/// `Target` of a recognizer: the values, or the column's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RecognizerTarget {
    /// The column's values.
    #[serde(rename = "content")]
    Content,
    /// The column's name.
    #[serde(rename = "column_name")]
    ColumnName,
}

/// `PatternMatch`: one pattern that matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternMatch {
    /// The pattern's name.
    pub name: String,
    /// Its regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Its confidence, 0 to 1.
    pub score: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_reads_back_into_the_same_bytes_and_unknown_fields_are_refused() {
        let text = r#"{"tagFQN":"PII.Sensitive","name":"Sensitive","source":"Classification","labelType":"Generated","state":"Suggested","reason":"r","metadata":{"recognizer":{"recognizerId":"00000000-0000-0000-0000-000000000001","recognizerName":"Email","score":0.9,"target":"content","patterns":[{"name":"email","score":0.9},{"name":"n","regex":"^e","score":0.5}]}}}"#;
        let label: TagLabel = serde_json::from_str(text).unwrap();
        assert_eq!(label.label_type, LabelType::Generated);
        assert_eq!(serde_json::to_string(&label).unwrap(), text);
        let aws = r#"{"tagFQN":"team.data","source":"Classification","labelType":"Automated","state":"Suggested"}"#;
        let label: TagLabel = serde_json::from_str(aws).unwrap();
        assert_eq!(
            label,
            TagLabel::classification(
                "team.data".into(),
                LabelType::Automated,
                TagState::Suggested
            )
        );
        assert_eq!(serde_json::to_string(&label).unwrap(), aws);
        for bad in [
            r#"{"tagFQN":"a","source":"Classification","labelType":"Automated","state":"Suggested","extra":1}"#,
            r#"{"tagFQN":"a","source":"Tags","labelType":"Automated","state":"Suggested"}"#,
            r#"{"tagFQN":"a","source":"Classification","labelType":"automated","state":"Suggested"}"#,
            r#"{"tagFQN":"a","source":"Classification","labelType":"Automated"}"#,
            r#"{"tagFQN":"a","source":"Classification","labelType":"Automated","state":"Suggested","metadata":{"recognizer":{"recognizerName":"R","score":1}}}"#,
        ] {
            assert!(serde_json::from_str::<TagLabel>(bad).is_err(), "{bad}");
        }
    }
}
