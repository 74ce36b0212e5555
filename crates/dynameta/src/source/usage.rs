//! What `dynameta usage` reads of AWS, read-only: CloudWatch's `AWS/DynamoDB`
//! `SuccessfulRequestLatency` `SampleCount` — the number of successful requests — per
//! table, operation and day (`GetMetricData`, at most [`MAX_QUERIES_PER_CALL`]
//! metrics a call).

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use aws_smithy_types::DateTime;

use crate::aws::{describe_sdk_error, CallFailure};

/// The `Operation` dimension values of `SuccessfulRequestLatency` (AWS's DynamoDB
/// metrics and dimensions reference): every kind of request a table answers.
pub const OPERATIONS: [&str; 14] = [
    "BatchExecuteStatement",
    "BatchGetItem",
    "BatchWriteItem",
    "DeleteItem",
    "ExecuteStatement",
    "ExecuteTransaction",
    "GetItem",
    "GetRecords",
    "PutItem",
    "Query",
    "Scan",
    "TransactGetItems",
    "TransactWriteItems",
    "UpdateItem",
];

/// GetMetricData's limit of metrics per call.
pub const MAX_QUERIES_PER_CALL: usize = 500;

/// Seconds in a day (the metrics' period).
pub const DAY: i64 = 86_400;

/// A CloudWatch call that failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("CloudWatch GetMetricData failed: {failure}{hint}")]
pub struct UsageSourceError {
    /// Code and message.
    pub failure: CallFailure,
    /// The fix, when known.
    pub hint: String,
}

/// Table → day (UTC midnight, epoch seconds) → successful requests that day, summed
/// over operations, for the `days` days starting at `start` (a UTC midnight). Days
/// without a data point have no entry (CloudWatch has none for a day without requests).
pub async fn daily_requests(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    tables: &[String],
    start: i64,
    days: u32,
) -> Result<BTreeMap<String, BTreeMap<i64, f64>>, UsageSourceError> {
    let mut queries: Vec<(String, usize)> = Vec::new();
    for (t, _) in tables.iter().enumerate() {
        for (o, _) in OPERATIONS.iter().enumerate() {
            queries.push((format!("q{t}_{o}"), t));
        }
    }
    let end = start + DAY * i64::from(days);
    let mut out: BTreeMap<String, BTreeMap<i64, f64>> = BTreeMap::new();
    for batch in queries.chunks(MAX_QUERIES_PER_CALL) {
        let built: Vec<MetricDataQuery> = batch
            .iter()
            .map(|(id, t)| {
                let operation = id
                    .rsplit_once('_')
                    .and_then(|(_, o)| o.parse::<usize>().ok())
                    .and_then(|o| OPERATIONS.get(o))
                    .copied()
                    .unwrap_or("GetItem");
                MetricDataQuery::builder()
                    .id(id)
                    .return_data(true)
                    .metric_stat(
                        MetricStat::builder()
                            .metric(
                                Metric::builder()
                                    .namespace("AWS/DynamoDB")
                                    .metric_name("SuccessfulRequestLatency")
                                    .dimensions(
                                        Dimension::builder()
                                            .name("TableName")
                                            .value(&tables[*t])
                                            .build(),
                                    )
                                    .dimensions(
                                        Dimension::builder()
                                            .name("Operation")
                                            .value(operation)
                                            .build(),
                                    )
                                    .build(),
                            )
                            .period(DAY as i32)
                            .stat("SampleCount")
                            .build(),
                    )
                    .build()
            })
            .collect();
        // The SDK's paginator follows the tokens (and stops on a token that repeats).
        let mut pages = cloudwatch
            .get_metric_data()
            .set_metric_data_queries(Some(built))
            .start_time(DateTime::from_secs(start))
            .end_time(DateTime::from_secs(end))
            .scan_by(ScanBy::TimestampAscending)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let answer = page.map_err(|e| {
                let failure = describe_sdk_error(&e);
                let hint = if failure.is_access_denied() {
                    "; grant `cloudwatch:GetMetricData` to the credentials dynameta uses"
                        .to_string()
                } else {
                    String::new()
                };
                UsageSourceError { failure, hint }
            })?;
            for result in answer.metric_data_results() {
                let Some(table) = result
                    .id()
                    .and_then(|id| batch.iter().find(|(q, _)| q == id))
                    .map(|(_, t)| tables[*t].clone())
                else {
                    continue;
                };
                let per_day = out.entry(table).or_default();
                for (at, value) in result.timestamps().iter().zip(result.values()) {
                    // The day the data point's period starts in (periods start at `start`).
                    let secs = at.secs();
                    let day = secs - (secs - start).rem_euclid(DAY);
                    if (start..end).contains(&day) && value.is_finite() && *value > 0.0 {
                        *per_day.entry(day).or_default() += value;
                    }
                }
            }
        }
    }
    Ok(out)
}
