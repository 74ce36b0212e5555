//! `dynameta test-connection`: named steps like OpenMetadata's test connection, each
//! with a result and, on failure, the AWS error code, the IAM action and a hint.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use super::Outcome;
use super::Settings;
use crate::aws::{self, describe_sdk_error, CallFailure};
use crate::config::{ConnectionArguments, Filters};
use crate::processors::mapping::Scope;
use crate::sinks::HealthStep;

mod lineage_usage;
pub use lineage_usage::lineage_usage_steps;

/// Result of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// Worked.
    Pass,
    /// Failed.
    Fail,
    /// Optional step the endpoint does not support or the role may not make.
    Warn,
    /// Not run because an earlier step failed.
    Skip,
}

/// One step of the test.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// Step name.
    pub name: &'static str,
    /// Must pass for the connection to be usable.
    pub mandatory: bool,
    /// Outcome.
    pub status: Status,
    /// What happened.
    pub detail: String,
    /// AWS error code on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// IAM action to grant, for access denials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_action: Option<String>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Milliseconds taken.
    pub millis: u128,
    /// The (account, region) pair the step ran in, when the workflow walks several
    /// (`account/region`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair: Option<String>,
}

/// The whole test.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Steps in order.
    pub steps: Vec<Step>,
    /// One line: what the steps add up to.
    pub verdict: Verdict,
}

/// What the steps add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// Every step passed.
    Passed,
    /// Every mandatory step passed; an optional one warned.
    PassedWithWarnings,
    /// No mandatory step failed, but one could not run (e.g. no table to test with):
    /// the connection is not proven.
    Incomplete,
    /// A mandatory step failed.
    Failed,
}

impl Report {
    /// A report of `steps`, with its verdict.
    pub fn new(steps: Vec<Step>) -> Report {
        let mandatory = |status| steps.iter().any(|s| s.mandatory && s.status == status);
        let verdict = if mandatory(Status::Fail) {
            Verdict::Failed
        } else if mandatory(Status::Skip) {
            Verdict::Incomplete
        } else if steps.iter().any(|s| s.status != Status::Pass) {
            Verdict::PassedWithWarnings
        } else {
            Verdict::Passed
        };
        Report { steps, verdict }
    }

    /// Success only when every mandatory step ran and passed: a step that could not
    /// run is never reported as passed.
    pub fn outcome(&self) -> Outcome {
        match self.verdict {
            Verdict::Passed | Verdict::PassedWithWarnings => Outcome::Success,
            Verdict::Incomplete | Verdict::Failed => Outcome::Failures,
        }
    }

    /// A text table, then the verdict line.
    pub fn render(&self) -> String {
        use dynameta_fs::terminal::escape;
        let mut out = format!("{:<28} {:<6} {}\n", "STEP", "RESULT", "DETAIL");
        let mut pair: Option<&str> = None;
        for s in &self.steps {
            if s.pair.as_deref() != pair {
                pair = s.pair.as_deref();
                match pair {
                    Some(p) => out.push_str(&format!("[pair {}]\n", escape(p))),
                    None => out.push_str("[sink]\n"),
                }
            }
            let status = format!("{:?}", s.status).to_uppercase();
            out.push_str(&format!("{:<28} {:<6} {}\n", s.name, status, s.detail));
            if let Some(code) = &s.error_code {
                out.push_str(&format!("{:<35} error code: {code}\n", ""));
            }
            if let Some(action) = &s.missing_action {
                out.push_str(&format!("{:<35} missing IAM permission: {action}\n", ""));
            }
            if let Some(hint) = &s.hint {
                out.push_str(&format!("{:<35} hint: {hint}\n", ""));
            }
        }
        let count = |f: &dyn Fn(&Step) -> bool| self.steps.iter().filter(|s| f(s)).count();
        let line = match self.verdict {
            Verdict::Passed => "PASSED: every step passed".to_string(),
            Verdict::PassedWithWarnings => format!(
                "PASSED WITH WARNINGS: every mandatory step passed; {} optional step(s) warned (those facts will be recorded as unavailable)",
                count(&|s| s.status == Status::Warn)
            ),
            Verdict::Incomplete => format!(
                "INCOMPLETE: {} mandatory step(s) could not run, so the connection is not proven",
                count(&|s| s.mandatory && s.status == Status::Skip)
            ),
            Verdict::Failed => format!(
                "FAILED: {} mandatory step(s) failed",
                count(&|s| s.mandatory && s.status == Status::Fail)
            ),
        };
        out.push_str(&format!("\nResult: {line}\n"));
        let mut failed_pairs: Vec<String> = Vec::new();
        for s in &self.steps {
            if let (Some(p), true) = (&s.pair, s.mandatory && s.status == Status::Fail) {
                let entry = format!("{} ({} failed)", escape(p), s.name);
                if !failed_pairs
                    .iter()
                    .any(|f| f.starts_with(&format!("{} (", escape(p))))
                {
                    failed_pairs.push(entry);
                }
            }
        }
        if !failed_pairs.is_empty() {
            out.push_str(&format!(
                "Pairs failed: {} of {}: {}\n",
                failed_pairs.len(),
                self.pairs(),
                failed_pairs.join(", ")
            ));
        }
        out
    }

    /// How many (account, region) pairs the steps ran in (0 for a single-pair workflow).
    fn pairs(&self) -> usize {
        let mut seen: Vec<&str> = self
            .steps
            .iter()
            .filter_map(|s| s.pair.as_deref())
            .collect();
        seen.dedup();
        seen.len()
    }
}

/// Options used by the test: short timeouts and no retries, so problems show in seconds.
fn fast(options: &ConnectionArguments) -> ConnectionArguments {
    ConnectionArguments {
        connect_timeout_seconds: options.connect_timeout_seconds.min(3.0),
        request_timeout_seconds: options.request_timeout_seconds.min(10.0),
        max_attempts: 1,
        ..options.clone()
    }
}

fn step(name: &'static str, mandatory: bool, started: Instant) -> Step {
    Step {
        name,
        mandatory,
        status: Status::Pass,
        detail: String::new(),
        error_code: None,
        missing_action: None,
        hint: None,
        millis: started.elapsed().as_millis(),
        pair: None,
    }
}

fn failed(mut s: Step, action: &str, failure: &CallFailure) -> Step {
    s.status = if !s.mandatory && (failure.is_unsupported() || failure.is_access_denied()) {
        Status::Warn
    } else {
        Status::Fail
    };
    s.error_code = Some(failure.code.clone());
    s.detail = if failure.is_unsupported() {
        format!("not supported by this endpoint ({})", failure.message)
    } else {
        failure.message.clone()
    };
    if failure.is_access_denied() {
        s.missing_action = Some(format!("dynamodb:{action}"));
        s.hint = Some(format!(
            "add `dynamodb:{action}` to the IAM policy of the credentials dynameta uses"
        ));
    } else if matches!(
        failure.code.as_str(),
        "ConnectionError" | "Timeout" | "DispatchFailure"
    ) {
        s.hint = Some(
            "check awsConfig.endPointURL and awsRegion, and that the endpoint is reachable".into(),
        );
    } else if failure.is_bad_credentials() {
        s.hint = Some(
            "the credentials were rejected: check the access key, secret and session token".into(),
        );
    } else if failure.is_unsupported() {
        s.hint = Some("optional: dynameta records this fact as unavailable".into());
    }
    s
}

fn skipped(name: &'static str, mandatory: bool, why: &str) -> Step {
    Step {
        status: Status::Skip,
        detail: format!("not run: {why}"),
        ..step(name, mandatory, Instant::now())
    }
}

/// The steps run on one table once ListTables found one the filters select: every call
/// `ingest`, `profile` and `classify` make on a table (the optional ones record a fact
/// as unavailable when refused).
const TABLE_STEPS: [(&str, bool); 5] = [
    ("DescribeTable", true),
    ("Scan (1 item)", true),
    ("DescribeTimeToLive", false),
    ("DescribeContinuousBackups", false),
    ("ListTagsOfResource", false),
];

fn skip_table_steps(steps: &mut Vec<Step>, why: &str) {
    for (name, mandatory) in TABLE_STEPS {
        steps.push(skipped(name, mandatory, why));
    }
}

/// Runs the steps against the workflow's connection, then the sink's health check
/// (for `metadata-rest`: the OpenMetadata server and the token; for a file: the output
/// path).
pub async fn run(settings: &Settings) -> Report {
    let workflow = &settings.workflow;
    let mut steps = Vec::new();
    let options = fast(&workflow.options);
    if aws::estate::is_estate(&options) {
        // Lineage and usage refuse several pairs (config::estate), so their steps are
        // the single pair's only.
        estate_steps(workflow, &options, &mut steps).await;
    } else {
        let connection = aws::connect(workflow.aws(), &options).await;
        let scope = crate::processors::mapping::Scope::of(workflow);
        dynamodb_steps(&workflow.filters, &scope, &connection, &mut steps).await;
        export_steps(&workflow.options.exports, &connection, &mut steps).await;
        steps.extend(lineage_usage_steps(workflow, &connection).await);
    }
    if let Some(sink) = &settings.sink {
        let t = Instant::now();
        let context =
            crate::sinks::SinkContext::of(workflow, crate::config::Command::TestConnection);
        let checked = sink.health_check(context).await;
        steps.extend(sink_steps(checked, t.elapsed().as_millis()));
    }
    Report::new(steps)
}

/// (account, region) pairs tested at once.
const PAIRS_AT_ONCE: usize = 8;

/// A workflow walking several accounts/regions: the steps resolving the estate
/// (Organizations ListAccounts), then every pair's steps ([`pair_steps`]), each step
/// marked with its pair, in the estate's order.
async fn estate_steps(
    workflow: &crate::config::Workflow,
    options: &ConnectionArguments,
    steps: &mut Vec<Step>,
) {
    use futures_util::stream::{self, StreamExt};
    let t = Instant::now();
    let estate = aws::estate::resolve(workflow.aws(), options).await;
    for (what, why) in &estate.failures {
        let mut s = step(
            match what.as_str() {
                "(organization)" => "ListAccounts (Organizations)",
                _ => "Resolve regions",
            },
            true,
            t,
        );
        s.status = Status::Fail;
        s.detail = why.clone();
        steps.push(s);
    }
    if estate.pairs.is_empty() {
        steps.push(skipped(
            "ListTables",
            true,
            "no (account, region) pair to test",
        ));
        return;
    }
    let estate = &estate;
    let per_pair: Vec<Vec<Step>> = stream::iter(estate.pairs.iter())
        .map(|pair| async move {
            let mut pair_steps_out = Vec::new();
            pair_steps(workflow, estate, pair, &mut pair_steps_out).await;
            let label = pair.label();
            for s in &mut pair_steps_out {
                s.pair = Some(label.clone());
            }
            pair_steps_out
        })
        .buffered(PAIRS_AT_ONCE)
        .collect()
        .await;
    steps.extend(per_pair.into_iter().flatten());
}

/// The steps of one (account, region) pair: its credentials (AssumeRole of the
/// account's role), ListTables, then DescribeTable and the other table calls on the
/// first table the filters select in that pair. Checks that run per pair go here.
pub async fn pair_steps(
    workflow: &crate::config::Workflow,
    estate: &aws::estate::Estate,
    pair: &aws::estate::Pair,
    steps: &mut Vec<Step>,
) {
    if let Some(why) = &pair.broken {
        let mut s = step("Resolve credentials", true, Instant::now());
        s.status = Status::Fail;
        s.error_code = Some("CredentialsError".into());
        s.detail = why.clone();
        steps.push(s);
        steps.push(skipped("ListTables", true, "no credentials"));
        skip_table_steps(steps, "no credentials");
        return;
    }
    let connection = estate.connection(pair);
    let scope = Scope::of_pair(workflow, &pair.account.database_name(), &pair.region);
    let first = steps.len();
    dynamodb_steps(&workflow.filters, &scope, &connection, steps).await;
    // The role is an account's of the estate, not `assumeRoleArn`: say where it comes from.
    if let (Some(role), Some(s)) = (&pair.account.role, steps.get_mut(first)) {
        if s.status == Status::Fail {
            s.hint = Some(format!(
                "check the role {role} (from connectionArguments.accounts or organization.roleName): that it exists in account {}, that its trust policy lets the base credentials assume it (with the externalId it asks for), and that STS is reachable",
                pair.account.id.as_deref().unwrap_or("(unknown)")
            ));
        }
    }
}

async fn dynamodb_steps(
    filters: &Filters,
    scope: &Scope,
    connection: &aws::Connection,
    steps: &mut Vec<Step>,
) {
    let client = &connection.dynamodb;

    let t = Instant::now();
    let cred_name = if connection.assumed_role.is_some() {
        "Resolve credentials+role"
    } else {
        "Resolve credentials"
    };
    match connection.resolve_credentials().await {
        Ok(_) => {
            let mut s = step(cred_name, true, t);
            s.detail = match &connection.assumed_role {
                Some(role) => format!("assumed {role} using {}", connection.source),
                None => connection.source.to_string(),
            };
            steps.push(s);
        }
        Err(e) => {
            let mut s = step(cred_name, true, t);
            s.status = Status::Fail;
            s.error_code = Some("CredentialsError".into());
            s.detail = e.to_string();
            s.hint = Some(if connection.assumed_role.is_some() {
                "check assumeRoleArn, the role's trust policy, the base credentials, and that STS is reachable".into()
            } else {
                "set awsAccessKeyId/awsSecretAccessKey or profileName, or provide credentials in the environment".into()
            });
            steps.push(s);
            steps.push(skipped("ListTables", true, "no credentials"));
            skip_table_steps(steps, "no credentials");
            return;
        }
    }

    // Every page: the table to test with must be one the filters select (IAM may grant
    // only those), wherever it is in the listing.
    let t = Instant::now();
    let mut listed = 0usize;
    let mut selected = 0usize;
    let mut first = None;
    let mut start: Option<String> = None;
    loop {
        match client
            .list_tables()
            .set_exclusive_start_table_name(start.take())
            .send()
            .await
        {
            Ok(out) => {
                for name in out.table_names.unwrap_or_default() {
                    listed += 1;
                    if super::filters_select(filters, scope, &name) {
                        selected += 1;
                        first.get_or_insert(name);
                    }
                }
                match out.last_evaluated_table_name {
                    Some(next) => start = Some(next),
                    None => break,
                }
            }
            Err(e) => {
                steps.push(failed(
                    step("ListTables", true, t),
                    "ListTables",
                    &describe_sdk_error(&e),
                ));
                skip_table_steps(steps, "ListTables failed");
                return;
            }
        }
    }
    let mut s = step("ListTables", true, t);
    s.detail = format!(
        "{listed} tables in {}, {selected} selected by the filters",
        connection.region
    );
    steps.push(s);
    let Some(table) = first else {
        let why = if listed == 0 {
            format!(
                "no table to test with: DynamoDB listed no table in {} (check awsRegion, the account of the credentials, and endPointURL)",
                connection.region
            )
        } else {
            format!("no table to test with: the filters select none of the {listed} tables listed (check tableFilterPattern)")
        };
        skip_table_steps(steps, &why);
        return;
    };

    let t = Instant::now();
    let arn = match client.describe_table().table_name(&table).send().await {
        Ok(out) => {
            let mut s = step("DescribeTable", true, t);
            s.detail = format!("table {table}");
            steps.push(s);
            out.table.and_then(|t| t.table_arn)
        }
        Err(e) => {
            steps.push(failed(
                step("DescribeTable", true, t),
                "DescribeTable",
                &describe_sdk_error(&e),
            ));
            None
        }
    };

    let t = Instant::now();
    match client.scan().table_name(&table).limit(1).send().await {
        Ok(out) => {
            let mut s = step("Scan (1 item)", true, t);
            s.detail = format!("{} item read from {table}", out.count);
            steps.push(s);
        }
        Err(e) => steps.push(failed(
            step("Scan (1 item)", true, t),
            "Scan",
            &describe_sdk_error(&e),
        )),
    }

    let t = Instant::now();
    match client
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
    {
        Ok(out) => {
            let mut s = step("DescribeTimeToLive", false, t);
            let status = out
                .time_to_live_description
                .and_then(|d| d.time_to_live_status)
                .map_or("unknown".to_string(), |s| s.as_str().to_string());
            s.detail = format!("TTL {status} on {table}");
            steps.push(s);
        }
        Err(e) => steps.push(failed(
            step("DescribeTimeToLive", false, t),
            "DescribeTimeToLive",
            &describe_sdk_error(&e),
        )),
    }

    let t = Instant::now();
    match client
        .describe_continuous_backups()
        .table_name(&table)
        .send()
        .await
    {
        Ok(_) => {
            let mut s = step("DescribeContinuousBackups", false, t);
            s.detail = format!("point-in-time recovery status of {table} read");
            steps.push(s);
        }
        Err(e) => steps.push(failed(
            step("DescribeContinuousBackups", false, t),
            "DescribeContinuousBackups",
            &describe_sdk_error(&e),
        )),
    }

    let t = Instant::now();
    match arn {
        Some(arn) => match client
            .list_tags_of_resource()
            .resource_arn(&arn)
            .send()
            .await
        {
            Ok(out) => {
                let mut s = step("ListTagsOfResource", false, t);
                s.detail = format!("{} tags on {table}", out.tags().len());
                steps.push(s);
            }
            Err(e) => steps.push(failed(
                step("ListTagsOfResource", false, t),
                "ListTagsOfResource",
                &describe_sdk_error(&e),
            )),
        },
        None => steps.push(skipped(
            "ListTagsOfResource",
            false,
            "DescribeTable gave no table ARN",
        )),
    }
}

/// One step per export in `connectionArguments.exports`: the reads `profile` makes
/// before the data files (DescribeExport for an ARN, GetObject of
/// `manifest-summary.json` and `manifest-files.json`), all read-only. A profile of
/// that table fails the same way, so each is mandatory.
async fn export_steps(
    exports: &BTreeMap<String, crate::config::Export>,
    connection: &aws::Connection,
    steps: &mut Vec<Step>,
) {
    for (table, export) in exports {
        let t = Instant::now();
        let mut s = step("Export manifests (S3)", true, t);
        let text = export.text();
        let outcome = match export.reference() {
            Ok(reference) => crate::source::export::open(connection, table, reference, text)
                .await
                .map_err(|e| (e.to_string(), export_hint(&e))),
            Err(problem) => Err((
                format!("connectionArguments.exports.{table}: {problem}"),
                None,
            )),
        };
        s.millis = t.elapsed().as_millis();
        match outcome {
            Ok(export) => {
                s.detail = format!(
                    "export of {table} ({text}): {} data files, {} items",
                    export.files.len(),
                    export.item_count
                );
            }
            Err((detail, hint)) => {
                s.status = Status::Fail;
                s.detail = format!("export of {table}: {detail}");
                if let Some((code, action, hint)) = hint {
                    s.error_code = Some(code);
                    s.missing_action = action;
                    s.hint = Some(hint);
                }
            }
        }
        steps.push(s);
    }
}

/// The error code, missing IAM action and fix of an export that cannot be opened.
fn export_hint(e: &crate::source::export::ExportError) -> Option<(String, Option<String>, String)> {
    use crate::source::export::ExportError;
    match e {
        ExportError::Call {
            operation,
            failure,
            denied,
            ..
        } => {
            // `failure` is `Code: message` (aws::CallFailure's display).
            let code = failure
                .split(':')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            let denied = *denied;
            let action = match *operation {
                "DescribeExport" => "dynamodb:DescribeExport",
                _ => "s3:GetObject",
            };
            let hint = if denied {
                format!("grant `{action}` on the export to the credentials dynameta uses")
            } else {
                "check connectionArguments.exports (the folder that holds manifest-summary.json) and s3EndpointURL".into()
            };
            Some((code, denied.then(|| action.to_string()), hint))
        }
        ExportError::Unusable { .. } | ExportError::Corrupt { .. } => Some((
            "ExportUnusable".into(),
            None,
            "give a completed FULL_EXPORT in DYNAMODB_JSON of that table, or export it again"
                .into(),
        )),
    }
}

/// The sink's health check as steps (every sink step must pass). A step the sink did
/// not time took the whole check (`total` milliseconds); a skipped step took none.
fn sink_steps(found: Vec<HealthStep>, total: u128) -> impl Iterator<Item = Step> {
    found.into_iter().map(move |h| {
        let t = Instant::now();
        let millis = h.millis.unwrap_or(total);
        match (h.problem, h.skipped) {
            (None, _) => {
                let mut s = step(h.name, true, t);
                s.detail = h.detail;
                s.millis = millis;
                s
            }
            (Some(why), true) => skipped(h.name, true, &why),
            (Some(problem), false) => {
                let mut s = step(h.name, true, t);
                s.status = Status::Fail;
                s.detail = problem;
                s.millis = millis;
                s
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: &str, message: &str) -> CallFailure {
        CallFailure {
            code: code.into(),
            message: message.into(),
        }
    }

    #[test]
    fn access_denied_names_the_missing_iam_action() {
        let s = failed(
            step("Scan (1 item)", true, Instant::now()),
            "Scan",
            &failure(
                "AccessDeniedException",
                "User is not authorized to perform dynamodb:Scan",
            ),
        );
        assert_eq!(s.status, Status::Fail);
        assert_eq!(s.missing_action.as_deref(), Some("dynamodb:Scan"));
        let report = Report::new(vec![s]);
        let text = report.render();
        assert!(
            text.contains("missing IAM permission: dynamodb:Scan"),
            "{text}"
        );
        assert!(text.contains("error code: AccessDeniedException"), "{text}");
        assert_eq!(report.outcome(), Outcome::Failures);
    }

    #[test]
    fn optional_steps_only_warn() {
        let s = failed(
            step("ListTagsOfResource", false, Instant::now()),
            "ListTagsOfResource",
            &failure("AccessDeniedException", "denied"),
        );
        assert_eq!(s.status, Status::Warn);
        let pass = step("ListTables", true, Instant::now());
        let report = Report::new(vec![pass, s]);
        assert_eq!(report.outcome(), Outcome::Success);
        assert!(report.render().contains("Result: PASSED WITH WARNINGS"));
    }

    #[test]
    fn a_mandatory_step_that_could_not_run_is_not_a_pass() {
        let report = Report::new(vec![
            step("ListTables", true, Instant::now()),
            skipped("DescribeTable", true, "no table to test with"),
        ]);
        assert_eq!(report.verdict, Verdict::Incomplete);
        assert_eq!(report.outcome(), Outcome::Failures);
        assert!(report.render().contains("Result: INCOMPLETE"));
    }
}
