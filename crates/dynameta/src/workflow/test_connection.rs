//! `dynameta test-connection`: named steps like OpenMetadata's test connection, each
//! with a result and, on failure, the AWS error code, the IAM action and a hint.

use std::time::Instant;

use serde::Serialize;

use super::Outcome;
use crate::aws::{self, describe_sdk_error, CallFailure};
use crate::config::{ConnectionArguments, Workflow};

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
}

/// The whole test.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Steps in order.
    pub steps: Vec<Step>,
}

impl Report {
    /// 0 when every mandatory step passed.
    pub fn outcome(&self) -> Outcome {
        if self
            .steps
            .iter()
            .all(|s| !s.mandatory || s.status == Status::Pass)
        {
            Outcome::Success
        } else {
            Outcome::Failures
        }
    }

    /// A text table.
    pub fn render(&self) -> String {
        let mut out = format!("{:<26} {:<6} {}\n", "STEP", "RESULT", "DETAIL");
        for s in &self.steps {
            let status = format!("{:?}", s.status).to_uppercase();
            out.push_str(&format!("{:<26} {:<6} {}\n", s.name, status, s.detail));
            if let Some(code) = &s.error_code {
                out.push_str(&format!("{:<33} error code: {code}\n", ""));
            }
            if let Some(action) = &s.missing_action {
                out.push_str(&format!("{:<33} missing IAM permission: {action}\n", ""));
            }
            if let Some(hint) = &s.hint {
                out.push_str(&format!("{:<33} hint: {hint}\n", ""));
            }
        }
        out
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

fn skipped(name: &'static str, mandatory: bool) -> Step {
    Step {
        status: Status::Skip,
        detail: "skipped: an earlier step failed".into(),
        ..step(name, mandatory, Instant::now())
    }
}

/// Runs the steps against the workflow's connection.
pub async fn run(workflow: &Workflow) -> Report {
    let options = fast(&workflow.options);
    let connection = aws::connect(workflow.aws(), &options).await;
    let client = &connection.dynamodb;
    let mut steps = Vec::new();

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
                "STS refused AssumeRole: check assumeRoleArn, the role's trust policy, and the base credentials".into()
            } else {
                "set awsAccessKeyId/awsSecretAccessKey or profileName, or provide credentials in the environment".into()
            });
            steps.push(s);
            for (name, mandatory) in [
                ("ListTables", true),
                ("DescribeTable", true),
                ("Scan (1 item)", true),
                ("ListTagsOfResource", false),
            ] {
                steps.push(skipped(name, mandatory));
            }
            return Report { steps };
        }
    }

    let t = Instant::now();
    let first = match client.list_tables().limit(100).send().await {
        Ok(out) => {
            let names = out.table_names.unwrap_or_default();
            let mut s = step("ListTables", true, t);
            let more = if out.last_evaluated_table_name.is_some() {
                "+"
            } else {
                ""
            };
            s.detail = format!("{}{more} tables in {}", names.len(), connection.region);
            steps.push(s);
            // Test with a table the filters select: IAM may grant only those.
            let scope = crate::openmetadata::mapping::Scope::of(workflow);
            names
                .into_iter()
                .find(|n| super::ingest::selects(workflow, &scope, n))
        }
        Err(e) => {
            steps.push(failed(
                step("ListTables", true, t),
                "ListTables",
                &describe_sdk_error(&e),
            ));
            for (name, mandatory) in [
                ("DescribeTable", true),
                ("Scan (1 item)", true),
                ("ListTagsOfResource", false),
            ] {
                steps.push(skipped(name, mandatory));
            }
            return Report { steps };
        }
    };
    let Some(table) = first else {
        for (name, mandatory) in [
            ("DescribeTable", true),
            ("Scan (1 item)", true),
            ("ListTagsOfResource", false),
        ] {
            let mut s = step(name, mandatory, Instant::now());
            s.detail = "no table to test with (no table, or none the filters select, in the first 100 listed)".into();
            steps.push(s);
        }
        return Report { steps };
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
        None => steps.push(skipped("ListTagsOfResource", false)),
    }
    Report { steps }
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
        let report = Report { steps: vec![s] };
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
        assert_eq!(
            Report {
                steps: vec![pass, s]
            }
            .outcome(),
            Outcome::Success
        );
    }
}
