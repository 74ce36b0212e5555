//! `dynameta lineage`: where each selected table's data goes, as OpenMetadata lineage
//! edges from the table (exports → S3 containers, stream consumers → pipelines,
//! Kinesis streaming destinations → topics), and the removal of dynameta's edges that
//! no longer hold. Thin: AWS reads in `source::lineage`, decisions in
//! `processors::lineage`, REST calls in `sinks::openmetadata::lineage`.
//!
//! With any other sink (`local`, the default, `file`, `console`) each table's edges go
//! as AWS names them, with its replicas, as a `tableLineage` record through the sink
//! contract ([`run_local`]): no server to look the far ends up in.

use std::time::Instant;

use serde::Serialize;

use super::summary::Failure;
use super::{list_pairs_for_report, Outcome, Progress, Run, RunError, RunFlags, Settings};
use super::{Started, Summary};
use crate::aws::ServiceClients;
use crate::config::Command;
use crate::processors::lineage::{found_edges, plan, stale, unread_kinds, Target};
use crate::sinks::openmetadata::lineage::LineageClient;
use crate::sinks::openmetadata::{RestError, RestSinkConfig};
use crate::sinks::{Opening, Record};
use crate::source::lineage::read_flows;

/// Why `lineage` or `usage` could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum LineageUsageError {
    /// The sink is not one these commands write to.
    #[error("sink.type: `dynameta {command}` writes to OpenMetadata, but the workflow's sink is `{kind}`; set `sink: {{type: metadata-rest}}` with `workflowConfig.openMetadataServerConfig`")]
    Sink {
        /// `lineage` or `usage`.
        command: &'static str,
        /// The configured sink.
        kind: String,
    },
    /// The sink's configuration is wrong.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The server cannot be reached, refuses the token or is unsupported.
    #[error(transparent)]
    Server(#[from] RestError),
}

impl LineageUsageError {
    /// Exit code: 2 (a setup to fix before rerunning).
    pub fn exit_code(&self) -> u8 {
        2
    }
}

/// One edge a table has after the run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeLine {
    /// `container`, `pipeline`, `topic`.
    pub to_type: String,
    /// The far end's name (container: the `fullPath` it was found at).
    pub to: String,
}

/// What the run did for one table.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableLineage {
    /// Table name.
    pub table: String,
    /// Edges sent (created or kept).
    pub edges: Vec<EdgeLine>,
    /// Far ends not in OpenMetadata, each with the fix.
    pub missing: Vec<String>,
    /// dynameta's edges removed because they no longer hold.
    pub removed: Vec<EdgeLine>,
    /// Regions of the global table's replicas (not edges).
    pub replicas: Vec<String>,
    /// What failed (AWS calls, server calls).
    pub problems: Vec<String>,
}

/// What `dynameta lineage` did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineageReport {
    /// Tables in the region.
    pub tables_listed: usize,
    /// Per selected table.
    pub tables: Vec<TableLineage>,
    /// Run-level notes and warnings.
    pub warnings: Vec<String>,
    /// Steps that failed before the tables: an (account, region) pair of an estate
    /// that could not be listed (`pair account/region: why`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
    /// The run stopped before the tables (listing failed or selected nothing).
    pub stopped: Option<String>,
    /// It stopped because no table was found or selected.
    pub empty: bool,
}

impl LineageReport {
    /// Exit code: 0 done (missing far ends are reported, not failures), 1 some call
    /// failed, 3 no table found or selected.
    pub fn exit_code(&self) -> u8 {
        match &self.stopped {
            Some(_) if self.empty => super::EXIT_EMPTY,
            Some(_) => 1,
            None if !self.failures.is_empty()
                || self.tables.iter().any(|t| !t.problems.is_empty()) =>
            {
                1
            }
            None => 0,
        }
    }

    /// The text shown at the end of the run.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Some(why) = &self.stopped {
            out.push_str(&format!("lineage: stopped: {why}\n"));
        }
        let edges: usize = self.tables.iter().map(|t| t.edges.len()).sum();
        let removed: usize = self.tables.iter().map(|t| t.removed.len()).sum();
        let missing: usize = self.tables.iter().map(|t| t.missing.len()).sum();
        for t in &self.tables {
            out.push_str(&format!("table {}\n", t.table));
            for e in &t.edges {
                out.push_str(&format!("  -> {} {}\n", e.to_type, e.to));
            }
            for e in &t.removed {
                out.push_str(&format!(
                    "  removed stale dynameta edge -> {} {}\n",
                    e.to_type, e.to
                ));
            }
            for m in &t.missing {
                out.push_str(&format!("  missing: {m}\n"));
            }
            if !t.replicas.is_empty() {
                out.push_str(&format!(
                    "  global table replicas (not lineage): {}\n",
                    t.replicas.join(", ")
                ));
            }
            for p in &t.problems {
                out.push_str(&format!("  failed: {p}\n"));
            }
            if t.edges.is_empty() && t.removed.is_empty() && t.missing.is_empty() {
                out.push_str("  no export, stream consumer or Kinesis destination found\n");
            }
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
        for f in &self.failures {
            out.push_str(&format!("failed: {f}\n"));
        }
        if self.stopped.is_none() {
            out.push_str(&format!(
                "lineage: {} table(s): {edges} edge(s) sent, {removed} stale edge(s) removed, {missing} far end(s) missing in OpenMetadata\n",
                self.tables.len()
            ));
            if edges == 0 && removed == 0 {
                out.push_str("lineage: nothing was written to OpenMetadata\n");
            }
        }
        out
    }
}

/// Tables whose AWS calls run at once with a sink other than OpenMetadata (a few calls
/// each; bounded so that a large account does not open hundreds of requests).
const LOCAL_CONCURRENCY: usize = 4;

/// Whether the workflow's sink is OpenMetadata (`metadata-rest`): lineage and usage
/// then go there as edges and usage; with any other sink, as records ([`run_local`],
/// [`super::usage::run_local`]).
pub fn to_openmetadata(settings: &Settings) -> bool {
    settings
        .sink
        .as_ref()
        .is_some_and(|s| s.kind() == "metadata-rest")
}

/// Runs `dynameta lineage` with a sink other than OpenMetadata: each selected table's
/// edges as AWS names them, and its replicas, as one `tableLineage` record. A table
/// whose DescribeTable fails is a failed table; one whose other reads fail keeps what
/// was read (the kinds not read are marked unread) and is a failure too, with the IAM
/// action to grant. Returns the per-table text shown before the summary.
pub async fn run_local(
    settings: &Settings,
    flags: &RunFlags,
) -> Result<(String, Summary, Outcome), RunError> {
    let workflow = &settings.workflow;
    let opening = Opening::Existing {
        service_name: &workflow.service_name,
        command: Command::Lineage,
    };
    let (mut run, pairs) = match Run::start(
        settings,
        opening,
        flags,
        Command::Lineage,
        Summary::default(),
    )
    .await?
    {
        Started::Running { run, pairs } => (run, pairs),
        Started::Ended(summary, outcome) => return Ok((String::new(), summary, outcome)),
    };
    // Lambda, Pipes and CloudWatch of each pair's region, with the pair's credentials.
    let services: Vec<ServiceClients> = pairs
        .iter()
        .map(|p| ServiceClients::new(&p.connection, &workflow.options))
        .collect();
    let selected = super::selected_tables(&pairs);
    let progress = Progress::new(selected.len() as u64, flags.quiet);
    let (svc, all) = (&services, &pairs);
    let mut text = String::new();
    let mut edges_found = 0usize;
    run.tables(
        &pairs,
        selected,
        LOCAL_CONCURRENCY,
        &progress,
        |p, name| async move {
            let clients = all
                .iter()
                .position(|q| std::ptr::eq(q, p))
                .and_then(|i| svc.get(i));
            let Some(clients) = clients else {
                return Err(format!("table {name}: no AWS clients for its pair"));
            };
            let flows = read_flows(&p.connection.dynamodb, clients, &name).await;
            if flows.described {
                Ok(flows)
            } else {
                Err(flows.problems.join("; "))
            }
        },
        |p, name, flows, summary| {
            let shown = p.shown(name);
            let edges = found_edges(&flows);
            edges_found += edges.len();
            text.push_str(&local_lines(&shown, &edges, &flows));
            summary
                .warnings
                .extend(flows.notes.iter().map(|n| format!("table {shown}: {n}")));
            if flows.exports_capped {
                summary.warnings.push(format!(
                    "table {shown}: only the {} newest exports were read",
                    crate::source::lineage::MAX_EXPORTS_PER_TABLE
                ));
            }
            if !flows.problems.is_empty() {
                summary.failures.push(Failure {
                    name: shown,
                    reason: flows.problems.join("; "),
                });
            }
            vec![Record::TableLineage {
                table: p.scope.table_fqn(name),
                edges,
                unread: unread_kinds(&flows),
                replicas: flows.replicas,
                problems: flows.problems,
            }]
        },
    )
    .await;
    if run.summary.tables_processed > 0 {
        text.push_str(&format!(
            "lineage: {edges_found} edge(s) found from {} table(s)\n",
            run.summary.tables_processed
        ));
        if edges_found == 0 {
            text.push_str(
                "lineage: no export, stream consumer or Kinesis destination found for any table\n",
            );
        }
    }
    let (summary, outcome) = run.finish(false).await;
    Ok((text, summary, outcome))
}

/// One table's lines of [`run_local`]'s text.
fn local_lines(
    name: &str,
    edges: &[crate::processors::lineage::FoundEdge],
    flows: &crate::source::lineage::TableFlows,
) -> String {
    let mut out = format!("table {name}\n");
    for e in edges {
        out.push_str(&format!("  -> {} {} ({})\n", e.kind, e.target, e.detail));
    }
    if !flows.replicas.is_empty() {
        let regions: Vec<String> = flows
            .replicas
            .iter()
            .map(|r| format!("{} ({})", r.region, r.status))
            .collect();
        out.push_str(&format!(
            "  global table replicas (not lineage): {}\n",
            regions.join(", ")
        ));
    }
    for p in &flows.problems {
        out.push_str(&format!("  failed: {p}\n"));
    }
    if edges.is_empty() && flows.problems.is_empty() {
        out.push_str("  no export, stream consumer or Kinesis destination found\n");
    }
    out
}

/// The OpenMetadata client of a workflow whose sink is `metadata-rest`.
pub(super) async fn rest_client(
    settings: &Settings,
    command: &'static str,
) -> Result<LineageClient, LineageUsageError> {
    let workflow = &settings.workflow;
    let kind = workflow
        .sink
        .as_ref()
        .map(|s| s.kind.clone())
        .unwrap_or_default();
    let Some(section) = workflow.sink.as_ref().filter(|s| s.kind == "metadata-rest") else {
        return Err(LineageUsageError::Sink { command, kind });
    };
    let config = RestSinkConfig::parse(section.config.clone(), workflow.server.as_ref())?;
    Ok(LineageClient::connect(config.client()).await?)
}

/// Runs `dynameta lineage`.
pub async fn run(
    settings: &Settings,
    flags: &RunFlags,
) -> Result<LineageReport, LineageUsageError> {
    let workflow = &settings.workflow;
    let om = rest_client(settings, "lineage").await?;
    let started = Instant::now();
    let mut report = LineageReport::default();
    let listing = list_pairs_for_report(workflow, flags, Command::Lineage).await;
    report.tables_listed = listing.tables_listed;
    // Pairs of an estate that could not be listed, and (when it goes on) the estate's
    // own notes.
    report.failures.extend(listing.failures);
    let pairs = match listing.pairs {
        Ok(pairs) => {
            report.warnings.extend(listing.warnings);
            pairs
        }
        Err((why, empty)) => {
            report.empty = empty;
            report.stopped = Some(why);
            return Ok(report);
        }
    };
    let pipeline_service = workflow.options.pipeline_service_name.clone();
    let kinesis_service = workflow.options.kinesis_service_name.clone();
    let mut service_ready = false;
    for pair in &pairs {
        // Lambda and Pipes of the pair's region, with the pair's credentials.
        let services = ServiceClients::new(&pair.connection, &workflow.options);
        let (connection, scope) = (&pair.connection, &pair.scope);
        for table in &pair.selected {
            let flows = read_flows(&connection.dynamodb, &services, table).await;
            let mut line = TableLineage {
                table: pair.shown(table),
                replicas: flows.replicas.iter().map(|r| r.region.clone()).collect(),
                problems: flows.problems.clone(),
                ..TableLineage::default()
            };
            report.warnings.extend(flows.notes.iter().cloned());
            if flows.exports_capped {
                report.warnings.push(format!(
                    "table {}: only the {} newest exports were read",
                    pair.shown(table),
                    crate::source::lineage::MAX_EXPORTS_PER_TABLE
                ));
            }
            let table_fqn = scope.table_fqn(table);
            let table_entity = match om.table(&table_fqn).await {
                Ok(Some(t)) => t,
                Ok(None) => {
                    line.missing.push(format!(
                    "table {table_fqn} is not in OpenMetadata: run `dynameta ingest` with this workflow's connection first"
                ));
                    report.tables.push(line);
                    continue;
                }
                Err(e) => {
                    line.problems.push(e.to_string());
                    report.tables.push(line);
                    continue;
                }
            };
            // Far-end types whose edges must not be judged stale this run: their AWS
            // read or their lookup failed.
            let mut protected: Vec<&'static str> = Vec::new();
            if !flows.exports_read {
                protected.push("container");
            }
            if !flows.consumers_read {
                protected.push("pipeline");
            }
            if !flows.kinesis_read {
                protected.push("topic");
            }
            let mut wanted: Vec<(String, String)> = Vec::new();
            for edge in plan(&flows) {
                let kind = edge.target.entity_type();
                let found = match &edge.target {
                    Target::Container { lookup_paths } => om.container(lookup_paths).await,
                    Target::Pipeline {
                        name,
                        display_name,
                        description,
                    } => {
                        let ready = if service_ready {
                            Ok(())
                        } else {
                            om.ensure_pipeline_service(&pipeline_service).await
                        };
                        match ready {
                            Ok(()) => {
                                service_ready = true;
                                om.ensure_pipeline(
                                    &pipeline_service,
                                    name,
                                    display_name,
                                    description,
                                )
                                .await
                                .map(Some)
                            }
                            Err(e) => Err(e),
                        }
                    }
                    Target::Topic { stream } => om.topic(&kinesis_service, stream).await,
                };
                let far = match found {
                    Ok(Some(f)) => f,
                    Ok(None) => {
                        line.missing
                            .push(missing_fix(&edge.target, &kinesis_service));
                        continue;
                    }
                    Err(e) => {
                        protected.push(kind);
                        line.problems.push(e.to_string());
                        continue;
                    }
                };
                match om
                    .add_edge(&table_entity.id, kind, &far.id, &edge.description)
                    .await
                {
                    Ok(()) => {
                        wanted.push((kind.to_string(), far.id.clone()));
                        line.edges.push(EdgeLine {
                            to_type: kind.to_string(),
                            to: far.name.clone(),
                        });
                    }
                    Err(e) => {
                        protected.push(kind);
                        line.problems.push(e.to_string());
                    }
                }
            }
            match om.downstream(&table_fqn).await {
                Ok(existing) => {
                    for old in stale(&existing, &wanted) {
                        if protected.contains(&old.to_type.as_str()) {
                            continue;
                        }
                        match om
                            .delete_edge(&table_entity.id, &old.to_type, &old.to_id)
                            .await
                        {
                            Ok(()) => line.removed.push(EdgeLine {
                                to_type: old.to_type.clone(),
                                to: old.to_name.clone(),
                            }),
                            Err(e) => line.problems.push(e.to_string()),
                        }
                    }
                }
                Err(e) => line.problems.push(format!(
                    "reading the table's lineage to remove stale edges: {e}"
                )),
            }
            report.tables.push(line);
        }
    }
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "lineage done"
    );
    Ok(report)
}

/// What to tell the user about a far end OpenMetadata does not have.
fn missing_fix(target: &Target, kinesis_service: &str) -> String {
    match target {
        Target::Container { lookup_paths } => {
            let bucket = lookup_paths.last().cloned().unwrap_or_default();
            format!(
                "no S3 container in OpenMetadata with fullPath {} (nor a parent prefix, nor the bucket): ingest bucket {bucket} with OpenMetadata's S3 connector, then rerun",
                target.shown()
            )
        }
        Target::Pipeline { name, .. } => format!("pipeline {name} could not be created"),
        Target::Topic { stream } => format!(
            "no topic {} in OpenMetadata: ingest Kinesis stream {stream} with OpenMetadata's Kinesis connector as messaging service `{kinesis_service}` (or set connectionArguments.kinesisServiceName to the service that has it), then rerun",
            crate::openmetadata::fqn::build(&[kinesis_service, stream])
        ),
    }
}
