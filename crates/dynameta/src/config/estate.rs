//! The whole estate (issue 25): `connectionArguments.regions`, `accounts`,
//! `organization` and `includeBaseAccount` — which (account, region) pairs a run walks.
//! Checked when the workflow is read; resolved into pairs by `aws::estate`.

use serde::Deserialize;

use super::error::ConfigError;
use super::filter::{Filter, FilterPattern};

/// `regions: all`: every region each account has enabled.
pub const ALL: &str = "all";

/// `connectionArguments.regions`: a list of region names, or `all`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Regions {
    /// These regions, in this order.
    List(Vec<String>),
    /// A word: only `all` is accepted (checked at load).
    Word(String),
}

/// One entry of `connectionArguments.accounts`: a role assumed from the base
/// credentials.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AccountRole {
    /// `arn:aws:iam::<account id>:role/<name>`.
    pub role_arn: String,
    /// ExternalId the role's trust policy asks for.
    pub external_id: Option<String>,
    /// Name of the account in OpenMetadata (the database name); its id when unset.
    pub name: Option<String>,
}

impl AccountRole {
    /// The 12-digit account id of the role's ARN (checked at load).
    pub fn account_id(&self) -> Option<&str> {
        account_of_role(&self.role_arn)
    }
}

/// `connectionArguments.organization`: every active account of the AWS Organization.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Organization {
    /// Role assumed in each account: `arn:aws:iam::<id>:role/<roleName>`.
    pub role_name: String,
    /// Which accounts, by id or name (`includes` / `excludes`, filter-pattern semantics).
    pub account_filter_pattern: Option<FilterPattern>,
}

impl Organization {
    /// The compiled account filter (checked at load, so never an error here).
    pub fn filter(&self) -> Filter {
        Filter::compile(self.account_filter_pattern.as_ref(), "").unwrap_or_default()
    }
}

/// The account id of `arn:<partition>:iam::<12 digits>:role/<path/name>`.
pub fn account_of_role(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let ok = service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource
            .strip_prefix("role/")
            .is_some_and(|n| !n.is_empty());
    ok.then_some(account)
}

/// Whether `name` looks like an AWS region (`us-east-1`, `us-gov-west-1`,
/// `ap-southeast-5`): lower-case words joined by `-`, ending in a number. Hand-written:
/// a product rule (catch a typo at load), not commodity parsing.
pub fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1]
            .parse::<u16>()
            .is_ok_and(|_| parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit()))
}

/// Whether the workflow walks more than the one (base account, `awsRegion`) pair:
/// any of `accounts`, `organization`, `includeBaseAccount: false`, `regions: all` or
/// more than one region. Then tables are laid out `<service>.<account>.<region>.<table>`;
/// otherwise exactly as before (`<service>.default.default.<table>` or `databaseName`).
pub fn is_estate(options: &super::ConnectionArguments) -> bool {
    walks_estate(
        options.regions.as_ref(),
        options.accounts.len(),
        options.organization.is_some(),
        options.include_base_account,
    )
}

/// The rule of [`is_estate`], on the keys' values (also read from the raw
/// connectionArguments by [`is_estate_raw`]).
fn walks_estate(
    regions: Option<&Regions>,
    accounts: usize,
    organization: bool,
    include_base_account: bool,
) -> bool {
    accounts > 0
        || organization
        || !include_base_account
        || match regions {
            None => false,
            Some(Regions::List(list)) => list.len() > 1,
            Some(Regions::Word(_)) => true,
        }
}

/// [`is_estate`] of connectionArguments not yet resolved (the TestSuite's entity check
/// reads them before resolution): the same rule on the same keys; a key of the wrong
/// shape counts as absent (resolution refuses it, naming it).
pub fn is_estate_raw(arguments: &serde_json::Map<String, serde_json::Value>) -> bool {
    let regions = arguments
        .get("regions")
        .and_then(|v| Regions::deserialize(v).ok());
    let accounts = arguments
        .get("accounts")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len);
    let organization = arguments.get("organization").is_some_and(|v| !v.is_null());
    let include_base_account = arguments
        .get("includeBaseAccount")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(true);
    walks_estate(
        regions.as_ref(),
        accounts,
        organization,
        include_base_account,
    )
}

/// The one region a single-pair workflow reads: `regions: [r]` when given, else
/// `awsConfig.awsRegion`.
pub fn single_region(aws: &super::AwsConfig, options: &super::ConnectionArguments) -> String {
    match &options.regions {
        Some(Regions::List(list)) if list.len() == 1 => list[0].clone(),
        _ => aws.aws_region.trim().to_string(),
    }
}

/// Checks the estate keys; `key(name)` spells a connectionArguments key.
pub fn check(
    regions: Option<&Regions>,
    accounts: &[AccountRole],
    organization: Option<&Organization>,
    include_base_account: bool,
    key: &dyn Fn(&str) -> String,
) -> Result<(), ConfigError> {
    match regions {
        // Each account's enabled regions, listed at run time (`account:ListRegions`).
        Some(Regions::Word(w)) if w == ALL => {}
        Some(Regions::Word(w)) => {
            return Err(ConfigError::invalid_hint(
                key("regions"),
                format!("`{}` is neither a list of regions nor `all`", w.escape_debug()),
                "Write a list (`regions: [us-east-1, eu-west-1]`) or `regions: all` (the regions the account has enabled).",
            ))
        }
        Some(Regions::List(list)) => {
            if list.is_empty() {
                return Err(ConfigError::invalid_hint(
                    key("regions"),
                    "an empty list walks no region",
                    "List at least one region, or remove the key to use awsConfig.awsRegion alone.",
                ));
            }
            for (i, r) in list.iter().enumerate() {
                if !is_region_name(r) {
                    return Err(ConfigError::invalid_hint(
                        format!("{}[{i}]", key("regions")),
                        format!("`{}` is not an AWS region name", r.escape_debug()),
                        "Region names look like `us-east-1` or `eu-central-2`.",
                    ));
                }
                if list[..i].contains(r) {
                    return Err(ConfigError::invalid(
                        format!("{}[{i}]", key("regions")),
                        format!("`{r}` is listed twice"),
                    ));
                }
            }
        }
        _ => {}
    }
    for (i, account) in accounts.iter().enumerate() {
        let at = format!("{}[{i}]", key("accounts"));
        if account.account_id().is_none() {
            return Err(ConfigError::invalid_hint(
                format!("{at}.roleArn"),
                format!(
                    "`{}` is not an IAM role ARN",
                    account.role_arn.escape_debug()
                ),
                "Expected e.g. `arn:aws:iam::123456789012:role/dynameta-reader`.",
            ));
        }
        if let Some(name) = &account.name {
            super::check_entity_name(&format!("{at}.name"), name)?;
            // The name is the account's database: two accounts under one name would
            // merge their tables.
            let clash = accounts[..i]
                .iter()
                .position(|a| a.name.as_deref().or(a.account_id()) == Some(name.as_str()));
            let clash = clash.or_else(|| {
                accounts[i + 1..]
                    .iter()
                    .position(|a| a.name.is_none() && a.account_id() == Some(name.as_str()))
                    .map(|j| j + i + 1)
            });
            if let Some(j) = clash {
                return Err(ConfigError::invalid_hint(
                    format!("{at}.name"),
                    format!("`{name}` is also the database name of accounts[{j}]: their tables would be merged"),
                    "Give each account its own name (the name is the account's database in OpenMetadata; without one it is the account id).",
                ));
            }
        }
        if let Some(j) = accounts[..i]
            .iter()
            .position(|a| a.account_id() == account.account_id())
        {
            return Err(ConfigError::invalid(
                format!("{at}.roleArn"),
                format!(
                    "account {} is already listed at accounts[{j}]: one role per account",
                    account.account_id().unwrap_or_default()
                ),
            ));
        }
    }
    if let Some(org) = organization {
        let at = key("organization");
        let valid_name = !org.role_name.is_empty()
            && org.role_name.len() <= 64
            && org
                .role_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
        if !valid_name {
            return Err(ConfigError::invalid_hint(
                format!("{at}.roleName"),
                format!(
                    "`{}` is not an IAM role name",
                    org.role_name.escape_debug()
                ),
                "Give the role's name (not its ARN), e.g. `OrganizationAccountAccessRole`; it is assumed as arn:aws:iam::<account id>:role/<roleName> in each account.",
            ));
        }
        Filter::compile(
            org.account_filter_pattern.as_ref(),
            &format!("{at}.accountFilterPattern"),
        )?;
    }
    if !include_base_account && accounts.is_empty() && organization.is_none() {
        return Err(ConfigError::invalid_hint(
            key("includeBaseAccount"),
            "`false` without `accounts` or `organization` leaves no account to walk",
            "Add `accounts` or `organization`, or remove includeBaseAccount.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_give_their_account() {
        assert_eq!(
            account_of_role("arn:aws:iam::123456789012:role/reader"),
            Some("123456789012")
        );
        assert_eq!(
            account_of_role("arn:aws-cn:iam::123456789012:role/path/reader"),
            Some("123456789012")
        );
        for bad in [
            "",
            "arn:aws:iam::12345678901:role/r",
            "arn:aws:iam::123456789012:user/r",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:sts::123456789012:role/r",
            "arn:aws:iam:us-east-1:123456789012:role/r",
        ] {
            assert_eq!(account_of_role(bad), None, "{bad}");
        }
    }

    #[test]
    fn region_names() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "ap-southeast-5",
            "eu-central-2",
        ] {
            assert!(is_region_name(ok), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "us-east-1a",
            "us--1",
            "all",
            "us-east-+1",
        ] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }

    fn load(
        arguments: &str,
        command: crate::config::Command,
    ) -> Result<crate::config::Workflow, ConfigError> {
        let yaml = format!(
            "source:\n  type: dynamodb\n  serviceName: svc\n  serviceConnection:\n    config:\n      type: DynamoDB\n      awsConfig:\n        awsRegion: us-east-1\n      connectionArguments:\n{arguments}  sourceConfig:\n    config:\n      type: DatabaseMetadata\nsink:\n  type: file\n  config:\n    filename: out.jsonl\nworkflowConfig:\n  openMetadataServerConfig:\n    hostPort: http://localhost:8585/api\n"
        );
        crate::config::parse(&yaml, std::path::Path::new("wf.yaml"), command, &|_| None)
    }

    const ARGS: &str = "source.serviceConnection.config.connectionArguments";

    #[test]
    fn bad_estate_keys_are_refused_at_load_naming_the_key() {
        use crate::config::Command::Ingest;
        for (arguments, key, words) in [
            ("        regions: [us-east-1, useast2]\n", "regions[1]", "not an AWS region"),
            ("        regions: [us-east-1, us-east-1]\n", "regions[1]", "twice"),
            ("        regions: []\n", "regions", "no region"),
            ("        regions: everywhere\n", "regions", "neither"),
            ("        regions: All\n", "regions", "neither"),
            (
                "        accounts:\n          - roleArn: arn:aws:iam::1234:role/r\n",
                "accounts[0].roleArn",
                "not an IAM role ARN",
            ),
            (
                "        accounts:\n          - roleArn: arn:aws:iam::123456789012:role/r\n          - roleArn: arn:aws:iam::123456789012:role/s\n",
                "accounts[1].roleArn",
                "already listed",
            ),
            (
                "        accounts:\n          - roleArn: arn:aws:iam::123456789012:role/r\n            name: 'a\"b'\n",
                "accounts[0].name",
                "",
            ),
            (
                "        organization:\n          roleName: arn:aws:iam::1:role/x\n",
                "organization.roleName",
                "not an IAM role name",
            ),
            (
                "        organization:\n          roleName: r\n          accountFilterPattern:\n            includes: ['(']\n",
                "organization.accountFilterPattern.includes[0]",
                "regular expression",
            ),
            ("        includeBaseAccount: false\n", "includeBaseAccount", "no account"),
            (
                "        accounts:\n          - roleArn: arn:aws:iam::123456789012:role/r\n            name: prod\n          - roleArn: arn:aws:iam::210987654321:role/r\n            name: prod\n",
                "accounts[1].name",
                "merged",
            ),
            (
                "        accounts:\n          - roleArn: arn:aws:iam::123456789012:role/r\n            name: '210987654321'\n          - roleArn: arn:aws:iam::210987654321:role/r\n",
                "accounts[0].name",
                "merged",
            ),
        ] {
            let e = load(arguments, Ingest).unwrap_err();
            assert_eq!(e.key(), Some(format!("{ARGS}.{key}").as_str()), "{arguments}: {e}");
            assert!(e.to_string().contains(words), "{arguments}: {e}");
        }
    }

    #[test]
    fn the_table_commands_take_several_pairs() {
        use crate::config::Command;
        let two = "        regions: [us-east-1, eu-west-1]\n";
        for command in [Command::Ingest, Command::TestConnection, Command::Publish] {
            let w = load(two, command).unwrap();
            assert!(is_estate(&w.options));
        }
        // profile, classify, lineage and usage walk the pairs too (workflow::runner).
        for (command, yaml_type) in [
            (Command::Profile, "Profiler"),
            (Command::Classify, "AutoClassification"),
            (Command::Lineage, "DatabaseLineage"),
            (Command::Usage, "DatabaseUsage"),
        ] {
            let yaml = format!(
                "source:\n  type: dynamodb\n  serviceName: svc\n  serviceConnection:\n    config:\n      type: DynamoDB\n      awsConfig:\n        awsRegion: us-east-1\n      connectionArguments:\n{two}  sourceConfig:\n    config:\n      type: {yaml_type}\nsink:\n  type: file\n  config:\n    filename: out.jsonl\nworkflowConfig:\n  openMetadataServerConfig:\n    hostPort: http://localhost:8585/api\n"
            );
            let w =
                crate::config::parse(&yaml, std::path::Path::new("wf.yaml"), command, &|_| None)
                    .unwrap();
            assert!(is_estate(&w.options), "{command:?}");
        }
        // One region alone is one pair: the usual layout, every command.
        let one = load("        regions: [eu-west-1]\n", Command::Ingest).unwrap();
        assert!(!is_estate(&one.options));
        assert_eq!(
            single_region(&one.connection.aws_config, &one.options),
            "eu-west-1"
        );
    }

    #[test]
    fn the_raw_keys_walk_an_estate_by_the_same_rule() {
        let cases = [
            (serde_json::json!({}), false),
            (serde_json::json!({"regions": ["us-east-1"]}), false),
            (
                serde_json::json!({"regions": ["us-east-1", "eu-west-1"]}),
                true,
            ),
            (serde_json::json!({"regions": "all"}), true),
            (serde_json::json!({"accounts": []}), false),
            (
                serde_json::json!({"accounts": [{"roleArn": "arn:aws:iam::111111111111:role/r"}]}),
                true,
            ),
            (serde_json::json!({"organization": {"roleName": "r"}}), true),
            (
                serde_json::json!({"includeBaseAccount": false, "accounts": []}),
                true,
            ),
            (serde_json::json!({"includeBaseAccount": true}), false),
        ];
        for (arguments, estate) in cases {
            let map = arguments.as_object().cloned().unwrap_or_default();
            assert_eq!(is_estate_raw(&map), estate, "{arguments}");
        }
    }

    #[test]
    fn regions_all_is_accepted_and_walks_the_estate() {
        for command in [
            crate::config::Command::Ingest,
            crate::config::Command::TestConnection,
        ] {
            let w = load("        regions: all\n", command).unwrap();
            assert_eq!(w.options.regions, Some(Regions::Word(ALL.into())));
            assert!(is_estate(&w.options), "`all` is never the single pair");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_names_never_panics(text in ".{0,60}") {
            let _ = account_of_role(&text);
            let _ = is_region_name(&text);
        }

        /// Any word but `all` is refused at load, naming `regions`; `all` is accepted.
        #[test]
        fn regions_takes_all_and_no_other_word(word in "[A-Za-z][A-Za-z0-9_-]{0,12}") {
            let r = check(Some(&Regions::Word(word.clone())), &[], None, true, &|k| k.to_string());
            if word == ALL {
                proptest::prop_assert!(r.is_ok());
            } else {
                let e = r.unwrap_err();
                proptest::prop_assert_eq!(e.key(), Some("regions"));
                proptest::prop_assert!(e.to_string().contains("neither a list of regions nor `all`"));
            }
        }
    }
}
