//! AWS tags as OpenMetadata tags, and who owns a table: each AWS tag key becomes a
//! classification and each value a tag under it, the way OpenMetadata's own connectors
//! publish cloud tags (`metadata/utils/tag_utils.get_ometa_tag_and_classification` in
//! openmetadata-ingestion 2.0.7: classification and tag created with descriptions, the
//! table labelled `{tagFQN, source: Classification, labelType: Automated, state:
//! Suggested}`); owners by `ownerConfig` (`metadata/utils/owner_utils.OwnerResolver`)
//! and then by the AWS tag `ownerTagKey`, in the order of
//! `DatabaseServiceSource.get_owner_ref`.
//!
//! Pure functions: the names are resolved against the server by the REST sink.

use std::collections::BTreeMap;

use crate::config::{OwnerLevel, Tagging};
use crate::openmetadata::{fqn, LabelType, TagLabel, TagState};

/// Longest classification or tag name OpenMetadata accepts (`basic.json#/definitions/
/// entityName`: `maxLength: 256`, counted by the Java server in UTF-16 code units).
pub const ENTITY_NAME_MAX: usize = 256;

/// Marks the classifications dynameta creates: only labels of these (and only
/// `Automated` ones) are ever removed from a table. Plain words, so that OpenMetadata's
/// description sanitizer stores them unchanged.
pub const MANAGED_MARKER: &str = "Managed by dynameta";

/// The description of the classification made from the AWS tag key `key`.
pub fn classification_description(key: &str) -> String {
    format!(
        "AWS tag key {key} of DynamoDB tables. {MANAGED_MARKER}: a label of this classification that dynameta added is removed when the AWS tag is gone; labels added by a person stay."
    )
}

/// The description of the tag made from the AWS tag `key` = `value`.
pub fn tag_description(key: &str, value: &str) -> String {
    format!("DynamoDB tables tagged {key} with the value {value} in AWS.")
}

/// The AWS tags of one table as OpenMetadata tag labels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AwsTagLabels {
    /// `TagLabel`s, sorted by tag FQN.
    pub labels: Vec<TagLabel>,
    /// (key, value) of each label, in the same order: the classification and tag to
    /// create before the label is applied.
    pub pairs: Vec<(String, String)>,
    /// AWS tags OpenMetadata cannot hold, with why (for the run's summary).
    pub skipped: Vec<String>,
}

/// The label of the AWS tag `key` = `value` (FQN parts quoted by OpenMetadata's rules).
pub fn label(key: &str, value: &str) -> TagLabel {
    TagLabel::classification(
        fqn::build(&[key, value]),
        LabelType::Automated,
        TagState::Suggested,
    )
}

/// Why OpenMetadata cannot hold `name` as a classification or tag name, if it cannot.
fn unfit(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some("is empty (OpenMetadata has no tag without a name)".into());
    }
    if name.contains("::") {
        return Some("holds `::`, which OpenMetadata refuses in a name".into());
    }
    if name.contains('"') {
        return Some("holds a double quote, which OpenMetadata's FQN quoting escapes and dynameta does not reproduce".into());
    }
    let units = name.encode_utf16().count();
    if units > ENTITY_NAME_MAX {
        return Some(format!(
            "is {units} UTF-16 code units long, OpenMetadata allows {ENTITY_NAME_MAX}"
        ));
    }
    None
}

/// The labels for a table's AWS `tags`: keys the filter drops and the owner tag are left
/// out silently (configured), tags OpenMetadata cannot hold are listed in `skipped`.
pub fn labels(table: &str, tags: &BTreeMap<String, String>, tagging: &Tagging) -> AwsTagLabels {
    let mut out = AwsTagLabels::default();
    let owner_tag = tagging.owner_tag();
    for (key, value) in tags {
        if !tagging.keeps_key(key) || Some(key.as_str()) == owner_tag {
            continue;
        }
        let problem = unfit(key)
            .map(|why| format!("its key {why}"))
            .or_else(|| unfit(value).map(|why| format!("its value {why}")));
        if let Some(why) = problem {
            out.skipped.push(format!(
                "table {table}: AWS tag `{key}` not published as an OpenMetadata tag: {why}"
            ));
            continue;
        }
        out.labels.push(label(key, value));
        out.pairs.push((key.clone(), value.clone()));
    }
    out
}

/// Owner names and where they came from (named in warnings; the first candidate is the
/// table's declared owner in a `dynamodbTable` record).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct OwnerCandidate {
    /// User or team names (or e-mails), in order.
    pub names: Vec<String>,
    /// e.g. `ownerConfig.table` or `AWS tag owner`.
    pub from: String,
}

/// The owner candidates of the table `table_fqn` (`service.database.schema.table`), best
/// first; the sink uses the first one that names somebody OpenMetadata knows.
///
/// As `OwnerResolver.resolve_owner` for a table: the `table` level (a map matched by
/// `database.schema.table`, the full FQN, or the table name; or one name for all), then,
/// with `enableInheritance` (default true), the owner of the schema level, the database
/// level and the service, then `default`; after `ownerConfig`, the AWS tag `ownerTagKey`
/// (`DatabaseServiceSource.get_owner_ref`: ownerConfig first, then the source's owner).
pub fn owner_candidates(
    table_fqn: &str,
    tags: Option<&BTreeMap<String, String>>,
    tagging: &Tagging,
) -> Vec<OwnerCandidate> {
    let parts = fqn::split(table_fqn);
    let mut out = Vec::new();
    if let (Some(config), [_, database, schema, table]) = (&tagging.owner_config, parts.as_slice())
    {
        let schema_fqn = fqn::build(&[database.as_str(), schema.as_str()]);
        let table_fqn_no_service =
            fqn::build(&[database.as_str(), schema.as_str(), table.as_str()]);
        let pick = |level: &Option<OwnerLevel>, keys: &[&str]| -> Option<Vec<String>> {
            match level.as_ref()? {
                OwnerLevel::All(name) => Some(vec![name.clone()]),
                OwnerLevel::Map(map) => keys.iter().find_map(|k| map.get(*k).map(|v| v.names())),
            }
        };
        let mut push = |names: Option<Vec<String>>, from: &str| {
            if let Some(names) = names.filter(|n| !n.is_empty()) {
                out.push(OwnerCandidate {
                    names,
                    from: format!("ownerConfig.{from}"),
                });
            }
        };
        push(
            pick(
                &config.table,
                &[table_fqn_no_service.as_str(), table_fqn, table.as_str()],
            ),
            "table",
        );
        if config.enable_inheritance.unwrap_or(true) {
            push(
                pick(
                    &config.database_schema,
                    &[schema_fqn.as_str(), schema.as_str()],
                ),
                "databaseSchema",
            );
            push(pick(&config.database, &[database.as_str()]), "database");
            push(config.service.clone().map(|s| vec![s]), "service");
        }
        push(config.default.clone().map(|s| vec![s]), "default");
    }
    if let (Some(key), Some(tags)) = (tagging.owner_tag(), tags) {
        if let Some(value) = tags.get(key).filter(|v| !v.trim().is_empty()) {
            out.push(OwnerCandidate {
                names: vec![value.trim().to_string()],
                from: format!("AWS tag {key}"),
            });
        }
    }
    out
}

/// The owner a table declares, without a server to resolve it against (the local
/// catalog and the file sink): the best of [`owner_candidates`], the same decision the
/// REST sink starts from.
pub fn declared_owner(
    table_fqn: &str,
    tags: Option<&BTreeMap<String, String>>,
    tagging: &Tagging,
) -> Option<OwnerCandidate> {
    owner_candidates(table_fqn, tags, tagging)
        .into_iter()
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{FilterPattern, OwnerConfig};
    use serde_json::json;

    fn tagging() -> Tagging {
        Tagging::resolve(true, None, Some("owner"), None, None).unwrap()
    }

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The typed label is written to the bytes of the `json!` it was built with before.
    #[test]
    fn typed_labels_write_the_bytes_the_json_labels_did() {
        for (key, value) in [("team", "payments"), ("cost.center", "cc-1"), ("a\"b", "é")] {
            let before = json!({
                "tagFQN": fqn::build(&[key, value]),
                "source": "Classification",
                "labelType": "Automated",
                "state": "Suggested",
            });
            assert_eq!(
                serde_json::to_string(&label(key, value)).unwrap(),
                before.to_string()
            );
        }
    }

    #[test]
    fn each_key_is_a_classification_and_dotted_names_are_quoted() {
        let got = labels(
            "t",
            &tags(&[
                ("team", "payments"),
                ("cost.center", "cc-1"),
                ("version", "1.2"),
                ("aws:cloudformation:stack-name", "s"),
                ("owner", "ann@example.com"),
            ]),
            &tagging(),
        );
        let fqns: Vec<&str> = got.labels.iter().map(|l| l.tag_fqn.as_str()).collect();
        assert_eq!(
            fqns,
            ["\"cost.center\".cc-1", "team.payments", "version.\"1.2\""]
        );
        assert_eq!(got.labels[0].label_type, LabelType::Automated);
        assert_eq!(got.labels[0].state, TagState::Suggested);
        assert_eq!(
            got.labels[0].source,
            crate::openmetadata::TagSource::Classification
        );
        assert_eq!(
            got.pairs[0],
            ("cost.center".to_string(), "cc-1".to_string())
        );
        assert!(
            got.skipped.is_empty(),
            "aws: and the owner tag are configured, not problems"
        );
    }

    #[test]
    fn tags_openmetadata_cannot_hold_are_reported_not_refused() {
        let long = "é".repeat(200) + &"😀".repeat(30);
        let got = labels(
            "orders",
            &tags(&[
                ("empty", " "),
                ("a::b", "x"),
                ("long", &long),
                ("ok", "yes"),
            ]),
            &tagging(),
        );
        assert_eq!(got.pairs, [("ok".to_string(), "yes".to_string())]);
        assert_eq!(got.skipped.len(), 3, "{:?}", got.skipped);
        assert!(got
            .skipped
            .iter()
            .any(|s| s.contains("`a::b`") && s.contains("::")));
        assert!(got
            .skipped
            .iter()
            .any(|s| s.contains("`empty`") && s.contains("empty")));
        assert!(got.skipped.iter().any(|s| s.contains("260 UTF-16")));
        assert!(got.skipped.iter().all(|s| s.starts_with("table orders: ")));
    }

    #[test]
    fn a_key_filter_replaces_the_aws_default() {
        let p = FilterPattern {
            includes: None,
            excludes: Some(vec!["cost".into()]),
        };
        let t = Tagging::resolve(true, Some(&p), None, None, None).unwrap();
        let got = labels("t", &tags(&[("aws:x", "1"), ("cost-center", "2")]), &t);
        assert_eq!(got.pairs, [("aws:x".to_string(), "1".to_string())]);
    }

    #[test]
    fn owners_follow_owner_config_then_the_tag() {
        let config: OwnerConfig = serde_json::from_value(json!({
            "default": "platform",
            "database": {"default": "dba"},
            "table": {"orders": "sales", "default.default.users": ["ann", "bob"]}
        }))
        .unwrap();
        let mut t = tagging();
        t.owner_config = Some(config);
        let tg = tags(&[("owner", "carl@example.com")]);
        let got = owner_candidates("svc.default.default.users", Some(&tg), &t);
        let from: Vec<&str> = got.iter().map(|c| c.from.as_str()).collect();
        assert_eq!(
            from,
            [
                "ownerConfig.table",
                "ownerConfig.database",
                "ownerConfig.default",
                "AWS tag owner"
            ]
        );
        assert_eq!(got[0].names, ["ann", "bob"]);
        assert_eq!(got[3].names, ["carl@example.com"]);
        let got = owner_candidates("svc.default.default.orders", None, &t);
        assert_eq!(got[0].names, ["sales"]);
        t.owner_config.as_mut().unwrap().enable_inheritance = Some(false);
        let got = owner_candidates("svc.default.default.other", Some(&tg), &t);
        let from: Vec<&str> = got.iter().map(|c| c.from.as_str()).collect();
        assert_eq!(from, ["ownerConfig.default", "AWS tag owner"]);
    }
}
