//! The whole estate (issue 25): the (account, region) pairs a run walks, resolved once
//! from `connectionArguments.regions`, `accounts`, `organization` and
//! `includeBaseAccount`. Each pair is a [`Connection`] of its own, made from the one
//! [`Base`]: the base credentials, or a role assumed from them (AssumeRole with the
//! configured session name, source identity and the account's ExternalId). An account's
//! credentials are fetched once and shared by all its pairs, checks and clients, and
//! fetched anew shortly before they expire ([`super::Reusing`]): one AssumeRole per
//! account, however many regions.
//!
//! Read-only: `sts:GetCallerIdentity` (the base account's id), `sts:AssumeRole`,
//! `organizations:ListAccounts`, `account:ListRegions` (for `regions: all`, in each
//! account, through its own credentials: each account enables its own regions).

use std::sync::Arc;

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use futures_util::stream::{self, StreamExt};

use super::{describe_sdk_error, Base, Connection, Role};
pub use crate::config::estate::{is_estate, single_region};
use crate::config::estate::{Organization, Regions};
use crate::config::{AwsConfig, ConnectionArguments};

/// Pages of `organizations:ListAccounts` read at most (20 accounts a page): the
/// listing is input from an endpoint, and one that repeats its page token must not
/// loop or grow memory for ever.
const MAX_ACCOUNT_PAGES: usize = 1_000;
/// Pages of `account:ListRegions` read at most (AWS has a few dozen regions, 50 a page).
const MAX_REGION_PAGES: usize = 20;

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
    /// resolved, or with `regions: all` its regions could not be listed: then the pair
    /// stands for the whole account, region `all`); such a pair fails without any
    /// DynamoDB call.
    pub broken: Option<String>,
    /// The account's credentials, shared by all its pairs (one AssumeRole per account).
    pub credentials: SharedCredentialsProvider,
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
    /// Steps that failed (listing the Organization): `(step, why)`.
    pub failures: Vec<(String, String)>,
    /// Things the user should know (accounts skipped by the filter, ...).
    pub notes: Vec<String>,
}

impl Estate {
    /// The connection of `pair`, signed with its account's shared credentials (no AWS
    /// call).
    pub fn connection(&self, pair: &Pair) -> Connection {
        self.base.connection_with(
            &pair.region,
            pair.credentials.clone(),
            pair.account.role.clone(),
        )
    }
}

/// Accounts whose regions (`regions: all`) are listed at once.
const ACCOUNTS_AT_ONCE: usize = 8;

/// Resolves the estate: the base account's id (GetCallerIdentity), the Organization's
/// accounts (ListAccounts), the regions (the list, or for `all` each account's enabled
/// regions, from `account:ListRegions` through that account's credentials).
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
    // Two accounts never share a database: their same-named tables would overwrite each
    // other, and one's listing would mark the other's tables deleted. The load check sees
    // only `accounts[]`; an Organization account's id or the base account's id is known
    // here. The later account fails (no DynamoDB call), the first is read.
    let mut databases: Vec<(String, String)> = Vec::new();
    for (account, problem) in accounts.iter_mut() {
        let database = account.database_name();
        match databases.iter().find(|(d, _)| *d == database) {
            Some((_, first)) => {
                if problem.is_none() {
                    *problem = Some(format!(
                        "its database name `{database}` is already that of account {first}: give it another accounts[].name"
                    ));
                }
            }
            None => databases.push((database, account.label())),
        }
    }
    let accounts: Vec<(Arc<Account>, Option<String>, SharedCredentialsProvider)> = accounts
        .into_iter()
        .map(|(account, problem)| {
            let role = account.role.as_ref().map(|arn| Role {
                arn: arn.clone(),
                external_id: account.external_id.clone(),
            });
            let credentials = base.account_credentials(role.as_ref());
            (Arc::new(account), problem, credentials)
        })
        .collect();
    // Each account's regions, or why they could not be listed.
    let regions: Vec<Result<Vec<String>, String>> = match &options.regions {
        None => vec![Ok(vec![aws.aws_region.trim().to_string()]); accounts.len()],
        Some(Regions::List(list)) => vec![Ok(list.clone()); accounts.len()],
        Some(Regions::Word(_)) => {
            let base_ref = &base;
            stream::iter(accounts.iter())
                .map(|(account, problem, credentials)| async move {
                    match problem {
                        Some(why) => Err(why.clone()),
                        None => enabled_regions(base_ref, options, account, credentials).await,
                    }
                })
                .buffered(ACCOUNTS_AT_ONCE)
                .collect()
                .await
        }
    };
    let mut pairs = Vec::new();
    for ((account, problem, credentials), regions) in accounts.into_iter().zip(regions) {
        match regions {
            Ok(regions) => {
                for region in regions {
                    pairs.push(Pair {
                        account: account.clone(),
                        region,
                        broken: problem.clone(),
                        credentials: credentials.clone(),
                    });
                }
            }
            // The account's regions are unknown: one pair stands for all of them, and
            // fails; the other accounts run.
            Err(why) => pairs.push(Pair {
                account: account.clone(),
                // The one failed pair of an account whose regions could not be listed.
                region: crate::config::estate::ALL.to_string(),
                broken: Some(why),
                credentials: credentials.clone(),
            }),
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
    let mut read = 0usize;
    while let Some(page) = pages.next().await {
        read += 1;
        if read > MAX_ACCOUNT_PAGES {
            return Err(format!(
                "Organizations ListAccounts gave more than {MAX_ACCOUNT_PAGES} pages (more than {} accounts, or an endpoint that repeats its page token): list the accounts in connectionArguments.accounts",
                MAX_ACCOUNT_PAGES * 20
            ));
        }
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

/// `regions: all`: the regions `account` has enabled (`ENABLED`, or
/// `ENABLED_BY_DEFAULT`: every region that is not opt-in), from `account:ListRegions`
/// called with the account's own credentials, sorted. Each account of an estate
/// enables its own opt-in regions, so each is asked; regions being enabled or disabled
/// (`ENABLING`, `DISABLING`) are left out.
async fn enabled_regions(
    base: &Base,
    options: &ConnectionArguments,
    account: &Account,
    credentials: &SharedCredentialsProvider,
) -> Result<Vec<String>, String> {
    use aws_sdk_account::types::RegionOptStatus;
    // The account's credentials first (an AssumeRole the pairs reuse), so that a role
    // that cannot be assumed is said as such.
    let through = match &account.role {
        Some(role) => format!("the role {role}"),
        None => format!("the base credentials ({})", base.source),
    };
    if let Err(e) = credentials.provide_credentials().await {
        return Err(format!(
            "the credentials of account {} could not be resolved: {}",
            account.label(),
            super::error::credentials_problem(&e, account.role.is_some())
        ));
    }
    let mut config = aws_sdk_account::config::Builder::from(base.sdk())
        .credentials_provider(credentials.clone());
    if let Some(url) = &options.aws_services_endpoint_url {
        config = config.endpoint_url(url.trim_end_matches('/'));
    }
    let client = aws_sdk_account::Client::from_conf(config.build());
    let wanted = [RegionOptStatus::Enabled, RegionOptStatus::EnabledByDefault];
    let mut pages = client
        .list_regions()
        .set_region_opt_status_contains(Some(wanted.to_vec()))
        .into_paginator()
        .send();
    let mut regions = Vec::new();
    let mut read = 0usize;
    while let Some(page) = pages.next().await {
        read += 1;
        if read > MAX_REGION_PAGES {
            return Err(format!(
                "Account ListRegions gave more than {MAX_REGION_PAGES} pages for account {} (an endpoint that repeats its page token?): list the regions in connectionArguments.regions",
                account.label()
            ));
        }
        let page = page.map_err(|e| {
            let failure = describe_sdk_error(&e);
            let fix = if failure.is_access_denied() {
                format!("grant `account:ListRegions` to {through}, or list the regions in connectionArguments.regions")
            } else {
                "list the regions in connectionArguments.regions instead of `all`".to_string()
            };
            format!(
                "Account ListRegions failed for account {} ({failure}): {fix}",
                account.label()
            )
        })?;
        for region in page.regions.unwrap_or_default() {
            let enabled = region
                .region_opt_status()
                .is_some_and(|s| wanted.contains(s));
            if let (true, Some(name)) = (enabled, region.region_name) {
                regions.push(name);
            }
        }
    }
    regions.sort();
    regions.dedup();
    if regions.is_empty() {
        return Err(format!(
            "Account ListRegions gave no enabled region for account {}: list the regions in connectionArguments.regions",
            account.label()
        ));
    }
    Ok(regions)
}
