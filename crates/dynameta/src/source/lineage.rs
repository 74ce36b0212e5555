//! What `dynameta lineage` reads of AWS, read-only, per table: where the table's data
//! goes. `DescribeTable` (stream, replicas), `ListExports` + `DescribeExport` (S3
//! bucket and prefix), `DescribeKinesisStreamingDestination`, Lambda
//! `ListEventSourceMappings` and EventBridge `ListPipes` on the table's stream.
//!
//! A call that fails (a permission not granted, an endpoint without the service) does
//! not stop the table: its part is missing and the reason is kept in
//! [`TableFlows::problems`], which the run reports with the IAM action to grant.

use crate::aws::{describe_sdk_error, CallFailure, ServiceClients};

/// Most exports read per table: they are listed newest first by DynamoDB; older ones
/// almost always land in the same bucket and prefix, and the bound keeps a table with
/// years of daily exports from making thousands of calls.
pub const MAX_EXPORTS_PER_TABLE: usize = 100;

/// One export of a table to S3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportLocation {
    /// The export's ARN.
    pub arn: String,
    /// S3 bucket.
    pub bucket: String,
    /// Key prefix given to the export (may be empty).
    pub prefix: String,
    /// `IN_PROGRESS`, `COMPLETED` (failed exports are left out).
    pub status: String,
}

/// What reads a table's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsumerKind {
    /// A Lambda event source mapping.
    Lambda,
    /// An EventBridge Pipe.
    Pipe,
}

/// One reader of a table's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConsumer {
    /// Lambda mapping or Pipe.
    pub kind: ConsumerKind,
    /// The function's name (Lambda) or the pipe's name.
    pub name: String,
    /// The function's ARN, or the pipe's.
    pub arn: String,
    /// The mapping's UUID (Lambda); empty for pipes.
    pub id: String,
    /// Where the pipe sends (a pipe's target ARN); empty for Lambda.
    pub target: String,
    /// `Enabled`, `RUNNING`, ...
    pub state: String,
}

/// One Kinesis Data Streams destination of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KinesisDestination {
    /// The stream's ARN.
    pub stream_arn: String,
    /// `ACTIVE`, `ENABLING`, ...
    pub status: String,
}

/// Where a table's data goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableFlows {
    /// Table name.
    pub table: String,
    /// Exports to S3 (at most [`MAX_EXPORTS_PER_TABLE`]).
    pub exports: Vec<ExportLocation>,
    /// More exports were listed than were read.
    pub exports_capped: bool,
    /// Readers of the table's stream.
    pub consumers: Vec<StreamConsumer>,
    /// Kinesis streaming destinations.
    pub kinesis: Vec<KinesisDestination>,
    /// The global table's replicas (other regions), by region.
    pub replicas: Vec<super::Replica>,
    /// DescribeTable answered (else nothing else was read).
    pub described: bool,
    /// Calls that failed, each with what to grant or check.
    pub problems: Vec<String>,
    /// Calls the endpoint does not implement (DynamoDB Local, emulators): not failures.
    pub notes: Vec<String>,
    /// The exports were read (no call failed): a missing one is really gone.
    pub exports_read: bool,
    /// The stream's readers were read (Lambda and Pipes).
    pub consumers_read: bool,
    /// The Kinesis destinations were read.
    pub kinesis_read: bool,
}

fn problem(service: &str, operation: &str, table: &str, failure: &CallFailure) -> String {
    let hint = if failure.is_access_denied() {
        format!("; grant `{service}:{operation}` to the credentials dynameta uses")
    } else if failure.is_unsupported() || failure.code.starts_with("HTTP 5") {
        "; the endpoint may not implement it".to_string()
    } else {
        String::new()
    };
    format!("{operation} for table {table} failed: {failure}{hint}")
}

/// Reads where `table` goes. Never fails: what could not be read is in `problems`.
pub async fn read_flows(
    dynamodb: &aws_sdk_dynamodb::Client,
    services: &ServiceClients,
    table: &str,
) -> TableFlows {
    let mut flows = TableFlows {
        table: table.to_string(),
        ..TableFlows::default()
    };
    let described = match dynamodb.describe_table().table_name(table).send().await {
        Ok(out) => out.table,
        Err(e) => {
            let failure = describe_sdk_error(&e);
            flows
                .problems
                .push(problem("dynamodb", "DescribeTable", table, &failure));
            return flows;
        }
    };
    let Some(described) = described else {
        return flows;
    };
    let arn = described.table_arn().unwrap_or_default().to_string();
    let stream_arn = described
        .latest_stream_arn()
        .filter(|_| {
            described
                .stream_specification()
                .is_some_and(|s| s.stream_enabled())
        })
        .map(str::to_string);
    flows.described = true;
    flows.replicas = super::replicas_of(described.replicas());

    flows.exports_read = read_exports(dynamodb, table, &arn, &mut flows).await;
    match dynamodb
        .describe_kinesis_streaming_destination()
        .table_name(table)
        .send()
        .await
    {
        Ok(out) => {
            flows.kinesis_read = true;
            for d in out.kinesis_data_stream_destinations() {
                let status = d
                    .destination_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default();
                if matches!(status.as_str(), "DISABLED" | "DISABLING" | "ENABLE_FAILED") {
                    continue;
                }
                if let Some(stream_arn) = d.stream_arn() {
                    flows.kinesis.push(KinesisDestination {
                        stream_arn: stream_arn.to_string(),
                        status,
                    });
                }
            }
        }
        Err(e) => {
            let failure = describe_sdk_error(&e);
            if failure.is_unsupported() {
                // Nothing can stream to Kinesis where the call does not exist.
                flows.kinesis_read = true;
                flows.notes.push(format!(
                    "DescribeKinesisStreamingDestination for table {table}: not implemented by the endpoint; no Kinesis destinations read"
                ));
            } else {
                flows.problems.push(problem(
                    "dynamodb",
                    "DescribeKinesisStreamingDestination",
                    table,
                    &failure,
                ));
            }
        }
    }
    flows.consumers_read = match stream_arn {
        Some(stream) => {
            let lambda = read_lambda(services, table, &stream, &mut flows).await;
            let pipes = read_pipes(services, table, &stream, &mut flows).await;
            lambda && pipes
        }
        // No stream: nothing reads it.
        None => true,
    };
    flows
}

async fn read_exports(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    arn: &str,
    flows: &mut TableFlows,
) -> bool {
    let mut arns = Vec::new();
    // The SDK's paginator follows the tokens (and stops on a token that repeats).
    let mut pages = dynamodb
        .list_exports()
        .table_arn(arn)
        .max_results(25)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let out = match page {
            Ok(out) => out,
            Err(e) => {
                flows.problems.push(problem(
                    "dynamodb",
                    "ListExports",
                    table,
                    &describe_sdk_error(&e),
                ));
                return false;
            }
        };
        for s in out.export_summaries() {
            if s.export_status().map(|x| x.as_str()) == Some("FAILED") {
                continue;
            }
            if let Some(a) = s.export_arn() {
                arns.push(a.to_string());
            }
        }
        if arns.len() > MAX_EXPORTS_PER_TABLE {
            arns.truncate(MAX_EXPORTS_PER_TABLE);
            flows.exports_capped = true;
            break;
        }
    }
    for export_arn in arns {
        match dynamodb
            .describe_export()
            .export_arn(&export_arn)
            .send()
            .await
        {
            Ok(out) => {
                let Some(d) = out.export_description else {
                    continue;
                };
                let status = d
                    .export_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default();
                if status == "FAILED" {
                    continue;
                }
                let Some(bucket) = d.s3_bucket().filter(|b| !b.is_empty()) else {
                    continue;
                };
                flows.exports.push(ExportLocation {
                    arn: export_arn,
                    bucket: bucket.to_string(),
                    prefix: d.s3_prefix().unwrap_or_default().to_string(),
                    status,
                });
            }
            Err(e) => {
                flows.problems.push(problem(
                    "dynamodb",
                    "DescribeExport",
                    table,
                    &describe_sdk_error(&e),
                ));
                return false;
            }
        }
    }
    true
}

async fn read_lambda(
    services: &ServiceClients,
    table: &str,
    stream: &str,
    flows: &mut TableFlows,
) -> bool {
    let mut pages = services
        .lambda
        .list_event_source_mappings()
        .event_source_arn(stream)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let out = match page {
            Ok(out) => out,
            Err(e) => {
                flows.problems.push(problem(
                    "lambda",
                    "ListEventSourceMappings",
                    table,
                    &describe_sdk_error(&e),
                ));
                return false;
            }
        };
        for m in out.event_source_mappings() {
            let function_arn = m.function_arn().unwrap_or_default().to_string();
            if function_arn.is_empty() {
                continue;
            }
            flows.consumers.push(StreamConsumer {
                kind: ConsumerKind::Lambda,
                name: function_name(&function_arn).to_string(),
                arn: function_arn,
                id: m.uuid().unwrap_or_default().to_string(),
                target: String::new(),
                state: m.state().unwrap_or_default().to_string(),
            });
        }
    }
    true
}

async fn read_pipes(
    services: &ServiceClients,
    table: &str,
    stream: &str,
    flows: &mut TableFlows,
) -> bool {
    let mut pages = services
        .pipes
        .list_pipes()
        .source_prefix(stream)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let out = match page {
            Ok(out) => out,
            Err(e) => {
                flows.problems.push(problem(
                    "pipes",
                    "ListPipes",
                    table,
                    &describe_sdk_error(&e),
                ));
                return false;
            }
        };
        for p in out.pipes() {
            // SourcePrefix matches by prefix: keep the pipes of this very stream.
            if p.source() != Some(stream) {
                continue;
            }
            let (Some(name), Some(arn)) = (p.name(), p.arn()) else {
                continue;
            };
            flows.consumers.push(StreamConsumer {
                kind: ConsumerKind::Pipe,
                name: name.to_string(),
                arn: arn.to_string(),
                id: String::new(),
                target: p.target().unwrap_or_default().to_string(),
                state: p
                    .current_state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            });
        }
    }
    true
}

/// The function name of a Lambda function ARN
/// (`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`); the text itself when it
/// is not such an ARN.
pub fn function_name(arn: &str) -> &str {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.iter().position(|p| *p == "function") {
        Some(i) if i + 1 < parts.len() && !parts[i + 1].is_empty() => parts[i + 1],
        _ => arn,
    }
}

#[cfg(test)]
mod tests {
    use super::function_name;

    #[test]
    fn function_names() {
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:123456789012:function:f1"),
            "f1"
        );
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:123456789012:function:f1:prod"),
            "f1"
        );
        assert_eq!(function_name("weird"), "weird");
        assert_eq!(
            function_name("arn:aws:lambda:r:a:function:"),
            "arn:aws:lambda:r:a:function:"
        );
    }
}

/// One AWS call `lineage` or `usage` makes, tried once read-only for
/// `test-connection` (the smallest page each call allows).
#[derive(Debug, Clone)]
pub struct PermissionProbe {
    /// The IAM action, e.g. `lambda:ListEventSourceMappings`.
    pub action: &'static str,
    /// What it found, or how it failed.
    pub outcome: Result<String, CallFailure>,
}

/// Tries the calls `lineage` makes: `dynamodb:ListExports`,
/// `dynamodb:DescribeKinesisStreamingDestination` (on `table`, when there is one),
/// `lambda:ListEventSourceMappings` and `pipes:ListPipes`. Read-only; one page each.
pub async fn probe_lineage(
    dynamodb: &aws_sdk_dynamodb::Client,
    services: &ServiceClients,
    table: Option<&str>,
) -> Vec<PermissionProbe> {
    let mut out = Vec::new();
    // As the run calls it: the exports of one table (by its ARN) when there is one.
    let mut arn = None;
    if let Some(table) = table {
        if let Ok(d) = dynamodb.describe_table().table_name(table).send().await {
            arn = d.table.and_then(|t| t.table_arn);
        }
    }
    out.push(PermissionProbe {
        action: "dynamodb:ListExports",
        outcome: match dynamodb
            .list_exports()
            .set_table_arn(arn)
            .max_results(1)
            .send()
            .await
        {
            Ok(o) => Ok(format!(
                "{} export(s) on the first page",
                o.export_summaries().len()
            )),
            Err(e) => Err(describe_sdk_error(&e)),
        },
    });
    if let Some(table) = table {
        out.push(PermissionProbe {
            action: "dynamodb:DescribeKinesisStreamingDestination",
            outcome: match dynamodb
                .describe_kinesis_streaming_destination()
                .table_name(table)
                .send()
                .await
            {
                Ok(o) => Ok(format!(
                    "table {table}: {} Kinesis destination(s)",
                    o.kinesis_data_stream_destinations().len()
                )),
                Err(e) => Err(describe_sdk_error(&e)),
            },
        });
    }
    out.push(PermissionProbe {
        action: "lambda:ListEventSourceMappings",
        outcome: match services
            .lambda
            .list_event_source_mappings()
            .max_items(1)
            .send()
            .await
        {
            Ok(o) => Ok(format!(
                "{} event source mapping(s) on the first page",
                o.event_source_mappings().len()
            )),
            Err(e) => Err(describe_sdk_error(&e)),
        },
    });
    out.push(PermissionProbe {
        action: "pipes:ListPipes",
        outcome: match services.pipes.list_pipes().limit(1).send().await {
            Ok(o) => Ok(format!("{} pipe(s) on the first page", o.pipes().len())),
            Err(e) => Err(describe_sdk_error(&e)),
        },
    });
    out
}
