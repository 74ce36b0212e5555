//! `DescribeTable` plus the side calls (tags, TTL, PITR). Only `DescribeTable` is
//! mandatory: a side call the endpoint does not support or the role may not make is
//! recorded in `unavailable` and reported as a warning.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_dynamodb::types::{
    GlobalSecondaryIndexDescription, KeySchemaElement, KeyType, LocalSecondaryIndexDescription,
    Projection, ProvisionedThroughputDescription, TableDescription as SdkTable,
};

use super::table::{Index, KeyDef, Sse, Stream, TableDescription, Throughput, Ttl};
use super::SourceError;
use crate::aws::{describe_sdk_error, CallFailure, ThrottleRetry};

/// What [`describe_table`] found, plus warnings for facts it could not read.
#[derive(Debug, Clone)]
pub struct Described {
    /// The table.
    pub table: TableDescription,
    /// One line per side call that failed without failing the table.
    pub warnings: Vec<String>,
}

/// Side operations the endpoint answered "unknown operation" to. Once one does, it is
/// not asked again in this run (DynamoDB Local has no tagging or PITR): an endpoint
/// does not grow an operation between two tables. Access denials are not remembered,
/// since IAM policies can differ per table.
#[derive(Debug, Default)]
pub struct Capabilities {
    no_tags: AtomicBool,
    no_ttl: AtomicBool,
    no_pitr: AtomicBool,
}

impl Capabilities {
    fn flag(&self, op: &str) -> &AtomicBool {
        match op {
            "ListTagsOfResource" => &self.no_tags,
            "DescribeTimeToLive" => &self.no_ttl,
            _ => &self.no_pitr,
        }
    }

    fn unsupported(&self, op: &str) -> bool {
        self.flag(op).load(Ordering::Relaxed)
    }

    fn mark_unsupported(&self, op: &str) {
        self.flag(op).store(true, Ordering::Relaxed);
    }
}

const UNSUPPORTED: &str = "UnknownOperationException";

fn known_unsupported(op: &str) -> CallFailure {
    CallFailure {
        code: UNSUPPORTED.into(),
        message: format!("{op} is not supported by this endpoint"),
    }
}

/// How much of a table to describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// `DescribeTable` only (keys, size, capacity): what sampling and profiling need.
    Table,
    /// Also TTL and PITR, and AWS tags when `tags` (the metadata run).
    Full {
        /// Read AWS tags too.
        tags: bool,
    },
}

/// Describes `name`: `DescribeTable`, with TTL and PITR concurrently for [`Depth::Full`],
/// then tags (which need the table ARN).
pub async fn describe_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    depth: Depth,
    capabilities: &Capabilities,
    throttle_retry: &ThrottleRetry,
) -> Result<Described, SourceError> {
    let full = matches!(depth, Depth::Full { .. });
    let include_tags = depth == Depth::Full { tags: true };
    let side = |op: &'static str| !capabilities.unsupported(op);
    let (out, ttl, pitr) = tokio::join!(
        throttle_retry.run(format!("DescribeTable on {name}"), || client
            .describe_table()
            .table_name(name)
            .send()),
        async {
            if !full {
                return None;
            }
            if !side("DescribeTimeToLive") {
                return Some(Err(known_unsupported("DescribeTimeToLive")));
            }
            Some(
                throttle_retry
                    .run(format!("DescribeTimeToLive on {name}"), || {
                        client.describe_time_to_live().table_name(name).send()
                    })
                    .await
                    .map_err(|e| describe_sdk_error(&e)),
            )
        },
        async {
            if !full {
                return None;
            }
            if !side("DescribeContinuousBackups") {
                return Some(Err(known_unsupported("DescribeContinuousBackups")));
            }
            Some(
                throttle_retry
                    .run(format!("DescribeContinuousBackups on {name}"), || {
                        client.describe_continuous_backups().table_name(name).send()
                    })
                    .await
                    .map_err(|e| describe_sdk_error(&e)),
            )
        },
    );
    let out = out.map_err(|e| SourceError::new("DescribeTable", name, describe_sdk_error(&e)))?;
    let Some(sdk) = out.table else {
        return Err(SourceError::new(
            "DescribeTable",
            name,
            CallFailure {
                code: "EmptyResponse".into(),
                message: "DescribeTable answered without a table".into(),
            },
        ));
    };
    let mut table = from_sdk(name, &sdk);
    let mut warnings = Vec::new();

    let arn = table.arn.clone().unwrap_or_default();
    let tags = if include_tags && !arn.is_empty() {
        if side("ListTagsOfResource") {
            Some(list_tags(client, &arn, throttle_retry).await)
        } else {
            Some(Err(known_unsupported("ListTagsOfResource")))
        }
    } else {
        None
    };
    let mut unavailable = |what: &str, op: &str, failure: CallFailure| {
        if failure.code == UNSUPPORTED {
            capabilities.mark_unsupported(op);
        }
        let why = if failure.is_unsupported() {
            format!("{op} is not supported by this endpoint")
        } else if failure.is_access_denied() {
            format!("access denied to dynamodb:{op}")
        } else {
            format!("{op} failed: {failure}")
        };
        warnings.push(format!("table {name}: {what} not read: {why}"));
        table.unavailable.insert(what.to_string(), why);
    };
    match tags {
        Some(Ok(tags)) => table.tags = Some(tags),
        Some(Err(f)) => unavailable("tags", "ListTagsOfResource", f),
        None => {}
    }
    match ttl {
        None => {}
        Some(Ok(out)) => {
            table.ttl = out.time_to_live_description.map(|d| Ttl {
                status: d
                    .time_to_live_status
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "DISABLED".into()),
                attribute: d.attribute_name,
            })
        }
        Some(Err(f)) => unavailable("ttl", "DescribeTimeToLive", f),
    }
    match pitr {
        None => {}
        Some(Ok(out)) => {
            table.point_in_time_recovery = out
                .continuous_backups_description
                .and_then(|d| d.point_in_time_recovery_description)
                .and_then(|p| p.point_in_time_recovery_status)
                .map(|s| s.as_str().to_string())
        }
        Some(Err(f)) => unavailable("pointInTimeRecovery", "DescribeContinuousBackups", f),
    }
    Ok(Described { table, warnings })
}

async fn list_tags(
    client: &aws_sdk_dynamodb::Client,
    arn: &str,
    throttle_retry: &ThrottleRetry,
) -> Result<BTreeMap<String, String>, CallFailure> {
    let mut tags = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let page = throttle_retry
            .run("ListTagsOfResource", || {
                client
                    .list_tags_of_resource()
                    .resource_arn(arn)
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .map_err(|e| describe_sdk_error(&e))?;
        for tag in page.tags.unwrap_or_default() {
            tags.insert(tag.key, tag.value);
        }
        match page.next_token {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return Ok(tags),
        }
    }
}

fn key_names(schema: &[KeySchemaElement]) -> (Option<String>, Option<String>) {
    let find = |kind: KeyType| {
        schema
            .iter()
            .find(|k| k.key_type == kind)
            .map(|k| k.attribute_name.clone())
    };
    (find(KeyType::Hash), find(KeyType::Range))
}

fn throughput(t: Option<&ProvisionedThroughputDescription>) -> Option<Throughput> {
    t.map(|t| Throughput {
        read_capacity_units: t.read_capacity_units.unwrap_or(0),
        write_capacity_units: t.write_capacity_units.unwrap_or(0),
    })
}

fn projection(p: Option<&Projection>) -> (Option<String>, Vec<String>) {
    match p {
        Some(p) => (
            p.projection_type.as_ref().map(|t| t.as_str().to_string()),
            p.non_key_attributes.clone().unwrap_or_default(),
        ),
        None => (None, Vec::new()),
    }
}

fn gsi(g: &GlobalSecondaryIndexDescription) -> Index {
    let (hash_key, range_key) = key_names(g.key_schema());
    let (projection, non_key_attributes) = projection(g.projection.as_ref());
    Index {
        name: g.index_name.clone().unwrap_or_default(),
        hash_key,
        range_key,
        projection,
        non_key_attributes,
        status: g.index_status.as_ref().map(|s| s.as_str().to_string()),
        provisioned_throughput: throughput(g.provisioned_throughput.as_ref()),
        item_count: g.item_count,
        size_bytes: g.index_size_bytes,
    }
}

fn lsi(l: &LocalSecondaryIndexDescription) -> Index {
    let (hash_key, range_key) = key_names(l.key_schema());
    let (projection, non_key_attributes) = projection(l.projection.as_ref());
    Index {
        name: l.index_name.clone().unwrap_or_default(),
        hash_key,
        range_key,
        projection,
        non_key_attributes,
        status: None,
        provisioned_throughput: None,
        item_count: l.item_count,
        size_bytes: l.index_size_bytes,
    }
}

fn from_sdk(name: &str, t: &SdkTable) -> TableDescription {
    let definitions: BTreeMap<String, String> = t
        .attribute_definitions()
        .iter()
        .map(|d| {
            (
                d.attribute_name.clone(),
                d.attribute_type.as_str().to_string(),
            )
        })
        .collect();
    let (hash, range) = key_names(t.key_schema());
    let key_def = |name: Option<String>| {
        name.map(|n| KeyDef {
            attribute_type: definitions.get(&n).cloned().unwrap_or_else(|| "S".into()),
            name: n,
        })
    };
    TableDescription {
        name: t.table_name.clone().unwrap_or_else(|| name.to_string()),
        arn: t.table_arn.clone(),
        status: t.table_status.as_ref().map(|s| s.as_str().to_string()),
        created_at: t
            .creation_date_time
            .and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
        hash_key: key_def(hash),
        range_key: key_def(range),
        global_secondary_indexes: t.global_secondary_indexes().iter().map(gsi).collect(),
        local_secondary_indexes: t.local_secondary_indexes().iter().map(lsi).collect(),
        billing_mode: t
            .billing_mode_summary
            .as_ref()
            .and_then(|b| b.billing_mode.as_ref())
            .map(|m| m.as_str().to_string())
            .or_else(|| {
                // DynamoDB omits the summary for tables created as PROVISIONED.
                t.provisioned_throughput
                    .as_ref()
                    .filter(|p| p.read_capacity_units.unwrap_or(0) > 0)
                    .map(|_| "PROVISIONED".to_string())
            }),
        provisioned_throughput: throughput(t.provisioned_throughput.as_ref()),
        item_count: t.item_count,
        size_bytes: t.table_size_bytes,
        stream: t.stream_specification.as_ref().map(|s| Stream {
            enabled: s.stream_enabled,
            view_type: s.stream_view_type.as_ref().map(|v| v.as_str().to_string()),
            arn: t.latest_stream_arn.clone(),
        }),
        sse: t.sse_description.as_ref().map(|s| Sse {
            status: s.status.as_ref().map(|v| v.as_str().to_string()),
            sse_type: s.sse_type.as_ref().map(|v| v.as_str().to_string()),
            kms_key_arn: s.kms_master_key_arn.clone(),
        }),
        table_class: t
            .table_class_summary
            .as_ref()
            .and_then(|c| c.table_class.as_ref())
            .map(|c| c.as_str().to_string()),
        deletion_protection: t.deletion_protection_enabled,
        attribute_definitions: definitions,
        replicas: super::replicas_of(t.replicas()),
        ..TableDescription::default()
    }
}
