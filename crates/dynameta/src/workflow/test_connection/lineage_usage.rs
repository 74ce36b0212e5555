//! `test-connection` of a `DatabaseLineage` or `DatabaseUsage` workflow: one step per
//! AWS call that pipeline makes beside DynamoDB's table calls, each tried once,
//! read-only, the smallest page it allows; a refused one names the IAM action to grant.
//! A separate function so that a per-(account, region) loop can call it for each pair.

use std::time::Instant;

use super::{step, Status, Step};
use crate::aws::{self, CallFailure, ServiceClients};
use crate::config::{Command, Workflow};
use crate::processors::mapping::Scope;
use crate::source::lineage::{probe_lineage, PermissionProbe};

/// The steps of `workflow`'s lineage or usage pipeline against `connection` (none for
/// other pipelines).
pub async fn lineage_usage_steps(workflow: &Workflow, connection: &aws::Connection) -> Vec<Step> {
    let Some(pipeline) = workflow.lineage_usage.pipeline else {
        return Vec::new();
    };
    let services = ServiceClients::new(connection, &super::fast(&workflow.options));
    let table = first_selected_table(workflow, connection).await;
    let t = Instant::now();
    let probes = match pipeline {
        Command::Lineage => probe_lineage(&connection.dynamodb, &services, table.as_deref()).await,
        _ => vec![probe_usage(&services, table.as_deref()).await],
    };
    let millis = t.elapsed().as_millis();
    probes
        .into_iter()
        .map(|p| {
            let mut s = to_step(p);
            s.millis = millis;
            s
        })
        .collect()
}

/// A table the filters select, for the calls that name one (`None`: ListTables
/// failed or selected nothing; its own step says so).
async fn first_selected_table(workflow: &Workflow, connection: &aws::Connection) -> Option<String> {
    let scope = Scope::of(workflow);
    let listed = connection
        .dynamodb
        .list_tables()
        .limit(100)
        .send()
        .await
        .ok()?;
    listed
        .table_names()
        .iter()
        .find(|n| super::super::filters_select(&workflow.filters, &scope, n))
        .cloned()
}

/// `cloudwatch:GetMetricData` as `usage` calls it, for one day of one table (any name
/// will do: CloudWatch answers an empty series for a table without requests).
async fn probe_usage(services: &ServiceClients, table: Option<&str>) -> PermissionProbe {
    let table = table.unwrap_or("dynameta-permission-check").to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let start = crate::processors::lineage_usage::first_day(now, 1);
    let outcome = match crate::source::usage::daily_requests(
        &services.cloudwatch,
        std::slice::from_ref(&table),
        start,
        1,
    )
    .await
    {
        Ok(sums) => Ok(format!(
            "table {table}: {} day(s) with requests yesterday",
            sums.get(&table).map_or(0, |d| d.len())
        )),
        Err(e) => Err(e.failure),
    };
    PermissionProbe {
        action: "cloudwatch:GetMetricData",
        outcome,
    }
}

/// The step of one probe: a refusal names the action; a call the endpoint does not
/// implement (DynamoDB Local has no Kinesis destinations) only warns, as the run
/// notes it and goes on.
fn to_step(p: PermissionProbe) -> Step {
    let mut s = step(p.action, true, Instant::now());
    match p.outcome {
        Ok(detail) => s.detail = detail,
        Err(failure) => fill_failure(&mut s, p.action, &failure),
    }
    s
}

fn fill_failure(s: &mut Step, action: &str, failure: &CallFailure) {
    s.error_code = Some(failure.code.clone());
    s.detail = failure.message.clone();
    if failure.is_unsupported() {
        s.status = Status::Warn;
        s.detail = format!("not supported by this endpoint ({})", failure.message);
        s.hint = Some("the run notes it and reads the rest".into());
        return;
    }
    s.status = Status::Fail;
    if failure.is_access_denied() {
        s.missing_action = Some(action.to_string());
        s.hint = Some(format!(
            "add `{action}` to the IAM policy of the credentials dynameta uses (read-only)"
        ));
    } else if matches!(
        failure.code.as_str(),
        "ConnectionError" | "Timeout" | "DispatchFailure"
    ) {
        s.hint = Some(
            "check connectionArguments.awsServicesEndpointURL (or the region), and that the endpoint is reachable".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_call_names_its_iam_action_and_an_unimplemented_one_warns() {
        let denied = to_step(PermissionProbe {
            action: "pipes:ListPipes",
            outcome: Err(CallFailure {
                code: "AccessDeniedException".into(),
                message: "not authorized".into(),
            }),
        });
        assert_eq!(denied.status, Status::Fail);
        assert_eq!(denied.missing_action.as_deref(), Some("pipes:ListPipes"));
        let missing = to_step(PermissionProbe {
            action: "dynamodb:DescribeKinesisStreamingDestination",
            outcome: Err(CallFailure {
                code: "UnknownOperationException".into(),
                message: "".into(),
            }),
        });
        assert_eq!(missing.status, Status::Warn);
        assert!(missing.missing_action.is_none());
    }
}
