//! AWS tags and owners: `connectionArguments.tagKeyFilterPattern` and `ownerTagKey`,
//! and OpenMetadata's `includeOwners` / `ownerConfig` (databaseServiceMetadataPipeline.json).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::ConfigError;
use super::filter::{Filter, FilterPattern};

/// `sourceConfig.config.ownerConfig` (OpenMetadata 2.0.7's `OwnerConfiguration`): an owner
/// name (user or team name, or an e-mail) per level, a level being one name for every
/// entity of it or a map of entity name (FQN or simple name) to one or more names.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OwnerConfig {
    /// Owner of everything no level names.
    pub default: Option<String>,
    /// Owner of the service level.
    pub service: Option<String>,
    /// Owner of databases.
    pub database: Option<OwnerLevel>,
    /// Owner of schemas.
    pub database_schema: Option<OwnerLevel>,
    /// Owner of tables.
    pub table: Option<OwnerLevel>,
    /// Children inherit their parent's owner (default true).
    pub enable_inheritance: Option<bool>,
}

/// One level of [`OwnerConfig`]: one owner for all, or a map by entity name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum OwnerLevel {
    /// The same owner for every entity of the level.
    All(String),
    /// Entity name (FQN, or its last part) → owner(s).
    Map(BTreeMap<String, OwnerValue>),
}

/// One owner name, or several (all users, or one team).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum OwnerValue {
    /// One user or team name (or e-mail).
    One(String),
    /// Several names.
    Many(Vec<String>),
}

impl OwnerValue {
    /// The names, in order.
    pub fn names(&self) -> Vec<String> {
        match self {
            OwnerValue::One(n) => vec![n.clone()],
            OwnerValue::Many(v) => v.clone(),
        }
    }
}

/// The pattern applied when `tagKeyFilterPattern` is not set: AWS's own tags
/// (`aws:cloudformation:stack-name`, ...) are left out.
pub const DEFAULT_TAG_KEY_EXCLUDE: &str = "aws:";

/// How AWS tags become OpenMetadata tags and owners, defaults applied.
#[derive(Debug, Clone, Default)]
pub struct Tagging {
    /// `includeTags` (default true): AWS tags are read and published.
    pub include_tags: bool,
    /// `connectionArguments.tagKeyFilterPattern` compiled; when not set, keys starting
    /// with `aws:` are excluded.
    pub tag_keys: Filter,
    /// `connectionArguments.ownerTagKey`: the AWS tag whose value names the table's owner.
    pub owner_tag_key: Option<String>,
    /// `includeOwners`: the owner tag is read (default: true when `ownerTagKey` is set).
    pub include_owners: bool,
    /// `ownerConfig`.
    pub owner_config: Option<OwnerConfig>,
}

impl Tagging {
    /// Resolves the settings; `pattern` is `connectionArguments.tagKeyFilterPattern`.
    pub fn resolve(
        include_tags: bool,
        pattern: Option<&FilterPattern>,
        owner_tag_key: Option<&str>,
        include_owners: Option<bool>,
        owner_config: Option<OwnerConfig>,
    ) -> Result<Tagging, ConfigError> {
        let key = "source.serviceConnection.config.connectionArguments";
        let tag_keys = match pattern {
            Some(p) => Filter::compile(Some(p), &format!("{key}.tagKeyFilterPattern"))?,
            None => Filter::compile(
                Some(&FilterPattern {
                    includes: None,
                    excludes: Some(vec![regex::escape(DEFAULT_TAG_KEY_EXCLUDE)]),
                }),
                &format!("{key}.tagKeyFilterPattern"),
            )?,
        };
        let owner_tag_key = match owner_tag_key {
            Some(k) if k.trim().is_empty() => {
                return Err(ConfigError::invalid_hint(
                    format!("{key}.ownerTagKey"),
                    "is empty.",
                    "Name the AWS tag key whose value is the table's owner, e.g. `ownerTagKey: owner`, or remove the key.",
                ))
            }
            Some(k) => Some(k.to_string()),
            None => None,
        };
        if let Some(config) = &owner_config {
            for (level, value) in [
                ("database", &config.database),
                ("databaseSchema", &config.database_schema),
                ("table", &config.table),
            ] {
                if let Some(OwnerLevel::Map(map)) = value {
                    for (name, owners) in map {
                        if owners.names().is_empty() {
                            return Err(ConfigError::invalid_hint(
                                format!("source.sourceConfig.config.ownerConfig.{level}.{name}"),
                                "is an empty list.",
                                "Name at least one user or team (a list holds several users, or one team).",
                            ));
                        }
                    }
                }
            }
        }
        Ok(Tagging {
            include_tags,
            tag_keys,
            owner_tag_key,
            include_owners: include_owners.unwrap_or(true),
            owner_config,
        })
    }

    /// Whether the AWS tag `key` becomes an OpenMetadata classification.
    pub fn keeps_key(&self, key: &str) -> bool {
        !self.tag_keys.excludes(key)
    }

    /// The owner tag key, when owners are read from tags.
    pub fn owner_tag(&self) -> Option<&str> {
        self.owner_tag_key
            .as_deref()
            .filter(|_| self.include_owners)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_keys_are_left_out_by_default_and_a_pattern_replaces_that() {
        let t = Tagging::resolve(true, None, None, None, None).unwrap();
        assert!(!t.keeps_key("aws:cloudformation:stack-name"));
        assert!(t.keeps_key("team"));
        assert!(t.keeps_key("AWSome"), "only the `aws:` prefix");
        let p = FilterPattern {
            includes: Some(vec!["team$".into(), "aws:".into()]),
            excludes: None,
        };
        let t = Tagging::resolve(true, Some(&p), None, None, None).unwrap();
        assert!(t.keeps_key("aws:createdBy") && t.keeps_key("Team"));
        assert!(!t.keeps_key("cost-center"));
    }

    #[test]
    fn owner_config_reads_openmetadata_shapes() {
        let config: OwnerConfig = serde_json::from_value(serde_json::json!({
            "default": "data-platform",
            "database": "dba@example.com",
            "table": {"orders": "sales", "test_svc.default.default.users": ["ann", "bob"]},
            "enableInheritance": false
        }))
        .unwrap();
        assert_eq!(
            config.database,
            Some(OwnerLevel::All("dba@example.com".into()))
        );
        let Some(OwnerLevel::Map(tables)) = &config.table else {
            panic!("a map")
        };
        assert_eq!(
            tables["test_svc.default.default.users"].names(),
            ["ann", "bob"]
        );
        let t = Tagging::resolve(true, None, Some("owner"), Some(false), Some(config)).unwrap();
        assert_eq!(
            t.owner_tag(),
            None,
            "includeOwners: false turns the tag off"
        );
        assert!(Tagging::resolve(true, None, Some(" "), None, None).is_err());
    }
}
