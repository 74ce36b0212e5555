//! The whole estate (issue 25): the (account, region) pairs a run walks, resolved once
//! from `connectionArguments.regions`, `accounts`, `organization` and
//! `includeBaseAccount`. Each pair is a [`Connection`] of its own, made from the one
//! [`Base`]: the base credentials, or a role assumed from them (AssumeRole with the
//! configured session name, source identity and the account's ExternalId; the SDK
//! clients' identity cache refreshes the credentials before they expire).
//!
//! Read-only: `sts:GetCallerIdentity` (the base account's id), `sts:AssumeRole`,
//! `organizations:ListAccounts`, `ec2:DescribeRegions` (for `regions: all`).

use std::sync::Arc;

use super::{describe_sdk_error, Base, Connection, Role};
pub use crate::config::estate::{is_estate, single_region};
use crate::config::estate::{Organization, Regions};
use crate::config::{AwsConfig, ConnectionArguments};

/// One account of the estate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The 12-digit id (`None` only for a base account whose identity could not be read).
    pub id: Option<String>,
    /// The name given in `accounts[].name`.
    pub name: Option<String>,
    /// The account's name in the Organization, when listed from one.
    pub alias: Option<String>,
    /// The role assumed in it; `None` for the base account.
    pub role: Option<String>,
    /// ExternalId sent with AssumeRole.
    external_id: Option<String>,
}

impl Account {
    /// The database name in OpenMetadata: its configured `name`, else its id.
    pub fn database_name(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.id.clone())
            .unwrap_or_else(|| "base".to_string())
    }

    /// The database description: id, alias and how it is reached.
    pub fn description(&self) -> String {
        let mut text = format!(
            "AWS account {}",
            self.id.as_deref().unwrap_or("(id unknown)")
        );
        if let Some(alias) = &self.alias {
            text.push_str(&format!(" ({alias})"));
        }
        match &self.role {
            Some(role) => text.push_str(&format!(", read through the role {role}")),
            None => text.push_str(", read with the base credentials"),
        }
        text.push('.');
        text
    }

    /// How messages name it: `name (id)`, or the id.
    pub fn label(&self) -> String {
        match (&self.name, &self.id) {
            (Some(n), Some(id)) if n != id => format!("{n} ({id})"),
            (_, Some(id)) => id.clone(),
            (Some(n), None) => n.clone(),
            (None, None) => "the base account".into(),
        }
    }
}

/// One (account, region) pair.
#[derive(Debug, Clone)]
pub struct Pair {
    /// The account.
    pub account: Arc<Account>,
    /// The region.
    pub region: String,
    /// Why the pair cannot run at all (its account's identity or role could not be
    /// resolved); such a pair fails without any DynamoDB call.
    pub broken: Option<String>,
}

impl Pair {
    /// `account/region`, for messages and the summary.
    pub fn label(&self) -> String {
        format!("{}/{}", self.account.label(), self.region)
    }
}

/// The resolved estate: the pairs to walk, and what failed while resolving them.
#[derive(Debug)]
pub struct Estate {
    /// The base connection settings.
    pub base: Base,
    /// The pairs, account by account (base first, then `accounts`, then the
    /// Organization's by id), region by region in the configured order.
    pub pairs: Vec<Pair>,
    /// Steps that failed (listing the Organization, DescribeRegions): `(step, why)`.
    pub failures: Vec<(String, String)>,
    /// Things the user should know (accounts skipped by the filter, ...).
    pub notes: Vec<String>,
}

impl Estate {
    /// The connection of `pair` (no AWS call).
    pub fn connection(&self, pair: &Pair) -> Connection {
        let role = pair.account.role.as_ref().map(|arn| Role {
            arn: arn.clone(),
            external_id: pair.account.external_id.clone(),
        });
        self.base.connection(&pair.region, role.as_ref())
    }
}

/// Resolves the estate: the base account's id (GetCallerIdentity), the Organization's
/// accounts (ListAccounts), the regions (the list, or DescribeRegions for `all`).
pub async fn resolve(aws: &AwsConfig, options: &ConnectionArguments) -> Estate {
    let base = Base::load(aws, options).await;
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    let mut accounts: Vec<(Account, Option<String>)> = Vec::new();

    let base_id = base.sts().get_caller_identity().send().await;
    let (base_id, base_problem) = match base_id {
        Ok(out) => (out.account, None),
        Err(e) => (
            None,
            Some(format!(
                "the base credentials ({}) could not be used: STS GetCallerIdentity failed ({})",
                base.source,
                describe_sdk_error(&e)
            )),
        ),
    };
    if options.include_base_account {
        accounts.push((
            Account {
                id: base_id.clone(),
                name: None,
                alias: None,
                role: None,
                external_id: None,
            },
            base_problem.clone(),
        ));
    }
    for a in &options.accounts {
        let id = a.account_id().map(str::to_string);
        if options.include_base_account && id.is_some() && id == base_id {
            notes.push(format!(
                "accounts: {} is the base credentials' own account; it is read through {} as configured, and once",
                id.as_deref().unwrap_or_default(),
                a.role_arn
            ));
            accounts.retain(|(acc, _)| acc.role.is_some() || acc.id != id);
        }
        accounts.push((
            Account {
                id,
                name: a.name.clone(),
                alias: None,
                role: Some(a.role_arn.clone()),
                external_id: a.external_id.clone(),
            },
            None,
        ));
    }
    if let Some(org) = &options.organization {
        match organization_accounts(&base, options, org).await {
            Ok((listed, skipped)) => {
                if skipped > 0 {
                    notes.push(format!(
                        "organization: {skipped} accounts left out by accountFilterPattern or not ACTIVE"
                    ));
                }
                if listed.is_empty() {
                    notes.push(
                        "organization: ListAccounts gave no account to walk (after the filter)"
                            .into(),
                    );
                }
                for (id, name) in listed {
                    let known = accounts
                        .iter()
                        .any(|(a, _)| a.id.as_deref() == Some(id.as_str()));
                    if known {
                        continue;
                    }
                    let partition = arn_partition(&base.region);
                    accounts.push((
                        Account {
                            role: Some(format!("arn:{partition}:iam::{id}:role/{}", org.role_name)),
                            id: Some(id),
                            name: None,
                            alias: name,
                            external_id: None,
                        },
                        None,
                    ));
                }
            }
            Err(why) => failures.push(("(organization)".to_string(), why)),
        }
    }
    let regions = match &options.regions {
        None => vec![aws.aws_region.trim().to_string()],
        Some(Regions::List(list)) => list.clone(),
        Some(Regions::Word(_)) => match enabled_regions(&base, options).await {
            Ok(list) => list,
            Err(why) => {
                failures.push(("(regions)".to_string(), why));
                Vec::new()
            }
        },
    };
    let mut pairs = Vec::new();
    for (account, problem) in accounts {
        let account = Arc::new(account);
        for region in &regions {
            pairs.push(Pair {
                account: account.clone(),
                region: region.clone(),
                broken: problem.clone(),
            });
        }
    }
    Estate {
        base,
        pairs,
        failures,
        notes,
    }
}

/// `aws`, `aws-cn` or `aws-us-gov`, from the base region.
fn arn_partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The Organization's ACTIVE accounts the filter keeps (by id or name), sorted by id,
/// and how many were left out.
async fn organization_accounts(
    base: &Base,
    options: &ConnectionArguments,
    org: &Organization,
) -> Result<(Vec<(String, Option<String>)>, usize), String> {
    use aws_sdk_organizations::types::{AccountState, AccountStatus};
    let mut config = aws_sdk_organizations::config::Builder::from(base.sdk())
        .credentials_provider(base.credentials.clone());
    if let Some(url) = &options.aws_services_endpoint_url {
        config = config.endpoint_url(url.trim_end_matches('/'));
    }
    let client = aws_sdk_organizations::Client::from_conf(config.build());
    let filter = org.filter();
    let mut pages = client.list_accounts().into_paginator().send();
    let mut kept = Vec::new();
    let mut skipped = 0;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            let failure = describe_sdk_error(&e);
            let fix = if failure.is_access_denied() || failure.code.contains("NotInUse") {
                ": run from the Organization's management account or a delegated administrator, with `organizations:ListAccounts` granted"
            } else {
                ""
            };
            format!("Organizations ListAccounts failed ({failure}){fix}")
        })?;
        for account in page.accounts.unwrap_or_default() {
            let Some(id) = account.id().map(str::to_string) else {
                continue;
            };
            let active = match account.state() {
                Some(state) => *state == AccountState::Active,
                None => account.status() == Some(&AccountStatus::Active),
            };
            let name = account.name().map(str::to_string);
            let by_id = !filter.excludes(&id);
            let by_name = name.as_deref().is_some_and(|n| !filter.excludes(n));
            if active && (by_id || by_name) {
                kept.push((id, name));
            } else {
                skipped += 1;
            }
        }
    }
    kept.sort();
    Ok((kept, skipped))
}

/// `regions: all`: the regions the base account has enabled.
async fn enabled_regions(
    _base: &Base,
    _options: &ConnectionArguments,
) -> Result<Vec<String>, String> {
    Err(
        "`regions: all` is not supported yet: list the regions (`regions: [us-east-1, eu-west-1]`)"
            .into(),
    )
}
