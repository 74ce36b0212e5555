//! OpenMetadata filter patterns (`includes` / `excludes` regex lists).

use regex::Regex;
use serde::Deserialize;

use super::error::ConfigError;

/// `tableFilterPattern` and friends as written in the YAML.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterPattern {
    /// Names must match one of these to be kept (when non-empty).
    pub includes: Option<Vec<String>>,
    /// Names matching one of these are dropped; an exclude wins over an include.
    pub excludes: Option<Vec<String>>,
}

/// A compiled [`FilterPattern`] with OpenMetadata's semantics: patterns are matched
/// case-insensitively at the start of the name (Python's `re.match`).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    includes: Vec<Regex>,
    excludes: Vec<Regex>,
}

impl Filter {
    /// Compiles `pattern` found at config key `key`; a bad regex names its list index.
    pub fn compile(pattern: Option<&FilterPattern>, key: &str) -> Result<Filter, ConfigError> {
        let Some(pattern) = pattern else {
            return Ok(Filter::default());
        };
        let compile_list = |list: &Option<Vec<String>>, which: &str| {
            list.iter()
                .flatten()
                .enumerate()
                .map(|(i, p)| {
                    Regex::new(&format!("(?i)^(?:{p})")).map_err(|e| {
                        ConfigError::invalid(
                            format!("{key}.{which}[{i}]"),
                            format!(
                                "`{p}` is not a valid regular expression: {}. Patterns use Rust regex syntax (no look-around or backreferences).",
                                first_line(&e.to_string())
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Filter {
            includes: compile_list(&pattern.includes, "includes")?,
            excludes: compile_list(&pattern.excludes, "excludes")?,
        })
    }

    /// True when `name` is filtered out.
    pub fn excludes(&self, name: &str) -> bool {
        let not_included =
            !self.includes.is_empty() && !self.includes.iter().any(|r| r.is_match(name));
        not_included || self.excludes.iter().any(|r| r.is_match(name))
    }

    /// True when the filter has any pattern at all.
    pub fn is_set(&self) -> bool {
        !self.includes.is_empty() || !self.excludes.is_empty()
    }

    /// For a set of names (a table's tag FQNs): kept when one of them matches an include
    /// (or there are no includes) and none matches an exclude.
    pub fn keeps_any(&self, names: &[String]) -> bool {
        let included = self.includes.is_empty()
            || names
                .iter()
                .any(|n| self.includes.iter().any(|r| r.is_match(n)));
        included
            && !names
                .iter()
                .any(|n| self.excludes.iter().any(|r| r.is_match(n)))
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(inc: &[&str], exc: &[&str]) -> Filter {
        let p = FilterPattern {
            includes: Some(inc.iter().map(|s| s.to_string()).collect()),
            excludes: Some(exc.iter().map(|s| s.to_string()).collect()),
        };
        Filter::compile(Some(&p), "t").unwrap()
    }

    #[test]
    fn om_semantics_prefix_match_case_insensitive_exclude_wins() {
        let f = filter(&["orders", "Users"], &["orders_tmp"]);
        assert!(!f.excludes("orders"));
        assert!(!f.excludes("orders_2024"), "re.match anchors at start only");
        assert!(!f.excludes("users"), "case-insensitive");
        assert!(f.excludes("orders_tmp_1"), "exclude wins");
        assert!(f.excludes("audit"), "not included");
        assert!(!Filter::default().excludes("anything"));
    }

    #[test]
    fn tag_sets_need_one_include_and_no_exclude() {
        let f = filter(&["PII", "Tier.Tier1"], &["Tier.Tier3"]);
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(f.keeps_any(&tags(&["Tier.Tier1"])));
        assert!(f.keeps_any(&tags(&["Other.X", "PII.Sensitive"])));
        assert!(!f.keeps_any(&tags(&[])), "no tag matches an include");
        assert!(
            !f.keeps_any(&tags(&["Tier.Tier1", "Tier.Tier3"])),
            "exclude wins"
        );
        assert!(filter(&[], &["Tier.Tier3"]).keeps_any(&tags(&[])));
        assert!(!Filter::default().is_set());
    }

    #[test]
    fn alternation_is_grouped() {
        let f = filter(&["a|b"], &[]);
        assert!(f.excludes("xb"), "`a|b` must not turn into `^a|b`");
        assert!(!f.excludes("b1"));
    }

    #[test]
    fn bad_regex_names_index() {
        let p = FilterPattern {
            includes: None,
            excludes: Some(vec!["ok".into(), "(".into()]),
        };
        let err = Filter::compile(Some(&p), "source.x").unwrap_err();
        assert_eq!(err.key(), Some("source.x.excludes[1]"));
    }
}
