//! Lineage decisions: from where a table's data goes (what `source::lineage` read) to
//! the edges dynameta wants in OpenMetadata, how each far end is found, and which of
//! dynameta's earlier edges no longer hold.
//!
//! Every edge dynameta makes is marked: `lineageDetails.source` is [`EDGE_SOURCE`] and
//! `lineageDetails.description` starts with [`MARK`]. Only marked edges are ever
//! deleted; edges made by people or other connectors are left alone.

use std::collections::BTreeMap;

use crate::source::lineage::{ConsumerKind, TableFlows};

/// `lineageDetails.source` of dynameta's edges: one value of OpenMetadata's closed
/// enum (entityLineage.json `source`). Every edge dynameta makes is data an AWS
/// mechanism moves (an export job, a stream consumer, a streaming destination), which
/// is what `PipelineLineage` names.
pub const EDGE_SOURCE: &str = "PipelineLineage";

/// How `lineageDetails.description` of dynameta's edges starts.
pub const MARK: &str = "dynameta:";

/// The far end of an edge from a table, and how to find it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// An S3 container (OpenMetadata's S3 connector made it), looked up by `fullPath`
    /// in this order.
    Container {
        /// `fullPath`s to try, most precise first, the bucket last.
        lookup_paths: Vec<String>,
    },
    /// A Pipeline dynameta creates under `pipelineServiceName`.
    Pipeline {
        /// Entity name.
        name: String,
        /// Display name.
        display_name: String,
        /// Description of the pipeline entity.
        description: String,
    },
    /// A Topic of the messaging service OpenMetadata's Kinesis connector filled.
    Topic {
        /// The stream's name (the topic's name).
        stream: String,
    },
}

impl Target {
    /// OpenMetadata's entity type of the far end.
    pub fn entity_type(&self) -> &'static str {
        match self {
            Target::Container { .. } => "container",
            Target::Pipeline { .. } => "pipeline",
            Target::Topic { .. } => "topic",
        }
    }

    /// How the far end is named in messages.
    pub fn shown(&self) -> String {
        match self {
            Target::Container { lookup_paths } => lookup_paths
                .first()
                .cloned()
                .unwrap_or_else(|| "(no path)".into()),
            Target::Pipeline { name, .. } => name.clone(),
            Target::Topic { stream } => stream.clone(),
        }
    }
}

/// One edge the table should have, from the table to `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedEdge {
    /// The downstream end.
    pub target: Target,
    /// `lineageDetails.description` (starts with [`MARK`]).
    pub description: String,
}

/// The edges `flows` calls for, one per far end (exports to one bucket and prefix
/// make one edge; a function mapped twice to the stream, one pipeline).
pub fn plan(flows: &TableFlows) -> Vec<PlannedEdge> {
    let mut out: BTreeMap<Target, String> = BTreeMap::new();
    let mut by_location: BTreeMap<(String, String), usize> = BTreeMap::new();
    for e in &flows.exports {
        *by_location
            .entry((e.bucket.clone(), e.prefix.clone()))
            .or_default() += 1;
    }
    for ((bucket, prefix), count) in by_location {
        let paths = container_lookup_paths(&bucket, &prefix);
        let shown = paths.first().cloned().unwrap_or_default();
        let plural = if count == 1 { "" } else { "s" };
        out.insert(
            Target::Container {
                lookup_paths: paths,
            },
            format!("{MARK} DynamoDB export{plural} to S3 ({count} read) at {shown}"),
        );
    }
    for c in &flows.consumers {
        let (name, display_name, description, edge) = match c.kind {
            ConsumerKind::Lambda => (
                pipeline_name("lambda", &c.name),
                format!("Lambda {}", c.name),
                format!(
                    "AWS Lambda function `{}`, fed by DynamoDB stream event source mappings. Created by dynameta lineage.",
                    c.arn
                ),
                format!("{MARK} Lambda event source mapping on the table's stream"),
            ),
            ConsumerKind::Pipe => (
                pipeline_name("pipe", &c.name),
                format!("EventBridge Pipe {}", c.name),
                format!(
                    "EventBridge Pipe `{}` reading a DynamoDB stream{}. Created by dynameta lineage.",
                    c.arn,
                    if c.target.is_empty() {
                        String::new()
                    } else {
                        format!(", target `{}`", c.target)
                    }
                ),
                format!("{MARK} EventBridge Pipe sourcing the table's stream"),
            ),
        };
        out.insert(
            Target::Pipeline {
                name,
                display_name,
                description,
            },
            edge,
        );
    }
    for k in &flows.kinesis {
        out.insert(
            Target::Topic {
                stream: stream_name(&k.stream_arn).to_string(),
            },
            format!("{MARK} Kinesis Data Streams streaming destination"),
        );
    }
    out.into_iter()
        .map(|(target, description)| PlannedEdge {
            target,
            description,
        })
        .collect()
}

/// `fullPath`s of the S3 container an export to `bucket`/`prefix` lands in, as
/// OpenMetadata's S3 connector records them (`s3://bucket/a/b`, no trailing `/`): the
/// exact path, then each parent prefix, then the bucket (the lookup order of
/// OpenMetadata's external-table lineage, extended to the parents because the S3
/// connector makes containers of the folders its manifest names, often a parent).
pub fn container_lookup_paths(bucket: &str, prefix: &str) -> Vec<String> {
    let segments: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
    let mut out = Vec::with_capacity(segments.len() + 1);
    for n in (1..=segments.len()).rev() {
        out.push(format!("s3://{bucket}/{}", segments[..n].join("/")));
    }
    out.push(format!("s3://{bucket}"));
    out
}

/// An OpenMetadata entity name for a consumer: `lambda-NAME` or `pipe-NAME`, without
/// `::` (which OpenMetadata's entity names may not hold) and at most 256 characters.
pub fn pipeline_name(kind: &str, name: &str) -> String {
    let clean = name.replace("::", "_");
    let full = format!("{kind}-{clean}");
    full.chars().take(256).collect()
}

/// The stream name of a Kinesis stream ARN (`arn:aws:kinesis:R:A:stream/NAME`).
pub fn stream_name(arn: &str) -> &str {
    arn.rsplit_once(":stream/")
        .map(|(_, name)| name)
        .filter(|n| !n.is_empty())
        .unwrap_or(arn)
}

/// An edge from a table already in OpenMetadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingEdge {
    /// Entity type of the downstream end.
    pub to_type: String,
    /// Id of the downstream end.
    pub to_id: String,
    /// Its name, for messages.
    pub to_name: String,
    /// `lineageDetails.description`.
    pub description: String,
}

impl ExistingEdge {
    /// Whether dynameta made it.
    pub fn is_ours(&self) -> bool {
        self.description.starts_with(MARK)
    }
}

/// The edges dynameta made earlier that the run does not want any more: marked as
/// ours and not among `wanted` (`(entity type, id)` of the far ends found this run).
/// Edges others made are never returned.
pub fn stale<'a>(
    existing: &'a [ExistingEdge],
    wanted: &[(String, String)],
) -> Vec<&'a ExistingEdge> {
    existing
        .iter()
        .filter(|e| e.is_ours())
        .filter(|e| {
            !wanted
                .iter()
                .any(|(t, id)| *t == e.to_type && *id == e.to_id)
        })
        .collect()
}

/// Edge kinds, as the local catalog and the file sink name them.
pub mod kind {
    /// Exports to an S3 bucket and prefix.
    pub const S3_EXPORT: &str = "s3Export";
    /// A Lambda function mapped to the table's stream.
    pub const LAMBDA: &str = "lambda";
    /// An EventBridge Pipe sourcing the table's stream.
    pub const PIPE: &str = "pipe";
    /// A Kinesis Data Streams streaming destination.
    pub const KINESIS: &str = "kinesis";
}

/// One edge from a table as dynameta found it in AWS (the local catalog and the file
/// sink keep these: no server to look the far end up in, so it is named as AWS names it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FoundEdge {
    /// `s3Export`, `lambda`, `pipe` or `kinesis`.
    pub kind: String,
    /// The far end: `s3://bucket/prefix`, or the function's, pipe's or stream's ARN.
    pub target: String,
    /// A short name: `bucket/prefix`, the function, pipe or stream name.
    pub name: String,
    /// What else is known: how many exports, state, a pipe's target.
    pub detail: String,
}

/// The edges `flows` holds as AWS names them, one per far end (exports to one bucket
/// and prefix are one edge; a function mapped twice to the stream, one), sorted.
pub fn found_edges(flows: &TableFlows) -> Vec<FoundEdge> {
    let mut out: BTreeMap<(String, String), FoundEdge> = BTreeMap::new();
    let mut by_location: BTreeMap<(String, String), Vec<&str>> = BTreeMap::new();
    for e in &flows.exports {
        by_location
            .entry((e.bucket.clone(), e.prefix.clone()))
            .or_default()
            .push(e.status.as_str());
    }
    for ((bucket, prefix), statuses) in by_location {
        let target = container_lookup_paths(&bucket, &prefix)
            .first()
            .cloned()
            .unwrap_or_default();
        let name = target.trim_start_matches("s3://").to_string();
        let in_progress = statuses.iter().filter(|s| **s == "IN_PROGRESS").count();
        let mut detail = format!("{} export(s) read", statuses.len());
        if in_progress > 0 {
            detail.push_str(&format!(", {in_progress} in progress"));
        }
        out.insert(
            (kind::S3_EXPORT.into(), target.clone()),
            FoundEdge {
                kind: kind::S3_EXPORT.into(),
                target,
                name,
                detail,
            },
        );
    }
    for c in &flows.consumers {
        let (k, detail) = match c.kind {
            ConsumerKind::Lambda => (kind::LAMBDA, format!("event source mapping, {}", c.state)),
            ConsumerKind::Pipe if c.target.is_empty() => (kind::PIPE, c.state.clone()),
            ConsumerKind::Pipe => (kind::PIPE, format!("{}, target {}", c.state, c.target)),
        };
        out.entry((k.into(), c.arn.clone())).or_insert(FoundEdge {
            kind: k.into(),
            target: c.arn.clone(),
            name: c.name.clone(),
            detail,
        });
    }
    for d in &flows.kinesis {
        out.insert(
            (kind::KINESIS.into(), d.stream_arn.clone()),
            FoundEdge {
                kind: kind::KINESIS.into(),
                target: d.stream_arn.clone(),
                name: stream_name(&d.stream_arn).to_string(),
                detail: format!("streaming destination, {}", d.status),
            },
        );
    }
    out.into_values().collect()
}

/// Edge kinds `flows` could not read (a call failed): an absent edge of these kinds is
/// unknown, not gone.
pub fn unread_kinds(flows: &TableFlows) -> Vec<String> {
    let mut out = Vec::new();
    if !flows.exports_read {
        out.push(kind::S3_EXPORT.to_string());
    }
    if !flows.consumers_read {
        out.push(kind::LAMBDA.to_string());
        out.push(kind::PIPE.to_string());
    }
    if !flows.kinesis_read {
        out.push(kind::KINESIS.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::lineage::{ExportLocation, KinesisDestination, StreamConsumer};
    use proptest::prelude::*;

    #[test]
    fn lookup_paths_exact_then_parents_then_bucket() {
        assert_eq!(
            container_lookup_paths("b", "exports/orders/"),
            vec!["s3://b/exports/orders", "s3://b/exports", "s3://b"]
        );
        assert_eq!(container_lookup_paths("b", ""), vec!["s3://b"]);
        assert_eq!(
            container_lookup_paths("b", "//a//"),
            vec!["s3://b/a", "s3://b"]
        );
    }

    proptest! {
        #[test]
        fn lookup_paths_shrink_to_the_bucket(bucket in "[a-z0-9.-]{3,20}", prefix in "[a-z/]{0,30}") {
            let paths = container_lookup_paths(&bucket, &prefix);
            prop_assert_eq!(paths.last().cloned(), Some(format!("s3://{bucket}")));
            for pair in paths.windows(2) {
                let parent = format!("{}/", pair[1]);
                prop_assert!(pair[0].starts_with(&parent), "{} not under {}", pair[0], parent);
            }
            for p in &paths {
                prop_assert!(!p.ends_with('/'));
                prop_assert!(!p["s3://".len()..].contains("//"));
            }
        }
    }

    fn consumer(kind: ConsumerKind, name: &str) -> StreamConsumer {
        StreamConsumer {
            kind,
            name: name.into(),
            arn: format!("arn:{name}"),
            id: "u".into(),
            target: String::new(),
            state: "Enabled".into(),
        }
    }

    #[test]
    fn one_edge_per_far_end() {
        let export = |arn: &str| ExportLocation {
            arn: arn.into(),
            bucket: "bkt".into(),
            prefix: "p".into(),
            status: "COMPLETED".into(),
        };
        let flows = TableFlows {
            table: "t".into(),
            exports: vec![export("a"), export("b")],
            consumers: vec![
                consumer(ConsumerKind::Lambda, "f"),
                consumer(ConsumerKind::Lambda, "f"),
                consumer(ConsumerKind::Pipe, "f"),
            ],
            kinesis: vec![KinesisDestination {
                stream_arn: "arn:aws:kinesis:us-east-1:1:stream/s1".into(),
                status: "ACTIVE".into(),
            }],
            ..TableFlows::default()
        };
        let edges = plan(&flows);
        assert_eq!(edges.len(), 4, "{edges:#?}");
        assert!(edges.iter().all(|e| e.description.starts_with(MARK)));
        let names: Vec<String> = edges.iter().map(|e| e.target.shown()).collect();
        assert_eq!(names, vec!["s3://bkt/p", "lambda-f", "pipe-f", "s1"]);
    }

    /// The local catalog's edges name the far ends as AWS does, one per far end, and
    /// a kind whose read failed is said to be unread.
    #[test]
    fn found_edges_name_far_ends_as_aws_does() {
        let export = |arn: &str, status: &str| ExportLocation {
            arn: arn.into(),
            bucket: "bkt".into(),
            prefix: "exports/orders/".into(),
            status: status.into(),
        };
        let mut pipe = consumer(ConsumerKind::Pipe, "p");
        pipe.target = "arn:sqs".into();
        let flows = TableFlows {
            table: "t".into(),
            exports: vec![export("a", "COMPLETED"), export("b", "IN_PROGRESS")],
            consumers: vec![
                consumer(ConsumerKind::Lambda, "f"),
                consumer(ConsumerKind::Lambda, "f"),
                pipe,
            ],
            kinesis: vec![KinesisDestination {
                stream_arn: "arn:aws:kinesis:us-east-1:1:stream/s1".into(),
                status: "ACTIVE".into(),
            }],
            exports_read: true,
            consumers_read: false,
            kinesis_read: true,
            ..TableFlows::default()
        };
        let edges = found_edges(&flows);
        let shown: Vec<(&str, &str, &str, &str)> = edges
            .iter()
            .map(|e| {
                (
                    e.kind.as_str(),
                    e.target.as_str(),
                    e.name.as_str(),
                    e.detail.as_str(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                (
                    "kinesis",
                    "arn:aws:kinesis:us-east-1:1:stream/s1",
                    "s1",
                    "streaming destination, ACTIVE"
                ),
                ("lambda", "arn:f", "f", "event source mapping, Enabled"),
                ("pipe", "arn:p", "p", "Enabled, target arn:sqs"),
                (
                    "s3Export",
                    "s3://bkt/exports/orders",
                    "bkt/exports/orders",
                    "2 export(s) read, 1 in progress"
                ),
            ]
        );
        assert_eq!(unread_kinds(&flows), vec!["lambda", "pipe"]);
    }

    #[test]
    fn only_our_edges_go_stale() {
        let edge = |id: &str, description: &str| ExistingEdge {
            to_type: "container".into(),
            to_id: id.into(),
            to_name: id.into(),
            description: description.into(),
        };
        let existing = vec![
            edge("keep", "dynameta: x"),
            edge("gone", "dynameta: y"),
            edge("theirs", "made by a person"),
            edge("nodesc", ""),
        ];
        let wanted = vec![("container".to_string(), "keep".to_string())];
        let stale: Vec<&str> = stale(&existing, &wanted)
            .iter()
            .map(|e| e.to_id.as_str())
            .collect();
        assert_eq!(stale, vec!["gone"]);
    }

    #[test]
    fn names() {
        assert_eq!(stream_name("arn:aws:kinesis:us-east-1:1:stream/abc"), "abc");
        assert_eq!(pipeline_name("pipe", "a::b"), "pipe-a_b");
        assert_eq!(
            pipeline_name("lambda", &"x".repeat(300)).chars().count(),
            256
        );
    }
}
