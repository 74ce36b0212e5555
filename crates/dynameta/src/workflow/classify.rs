//! `dynameta classify`: list → filter → per table: describe, sample (the metadata
//! sampler, keeping the items), infer columns, score every leaf column with the PII
//! recognizers → `columnTags` (and `sampleData`) records → sink.
//!
//! `--explain TABLE` runs the same steps for one table and prints every recognizer's
//! evidence per column instead of writing anything.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::summary::{ClassificationCounts, Summary};
use super::{Outcome, Progress, Run, RunError, RunFlags, Settings, Started};
use crate::aws::{self, Connection};
use crate::config::{ClassifySettings, Command, ConnectionArguments};
use crate::openmetadata::Column;
use crate::processors::classifier::{
    classify_table, sample_data, tag_label, targets, ColumnResult, ColumnTag, ColumnValues,
    MAX_SAMPLE_ROWS,
};
use crate::processors::inference::ColumnOptions;
use crate::processors::mapping::{self, Scope};
use crate::sinks::{Opening, Record};
use crate::source::{self, Capabilities, Item, SourceError};
use dynameta_pii::{Classification, Sensitivity};

pub use crate::config::{DEFAULT_CONFIDENCE, DEFAULT_SAMPLE_ROWS};

/// One table, sampled and scored.
pub struct ClassifiedTable {
    /// Table FQN.
    pub fqn: String,
    /// Inferred top-level columns (for sample data).
    pub columns: Vec<Column>,
    /// Every leaf column's scores.
    pub results: Vec<ColumnResult>,
    /// Items sampled.
    pub items_sampled: u64,
    /// The first sampled items, as many as the sample data needs.
    pub items: Vec<Item>,
    /// Read capacity the sample used.
    pub consumed_read_units: f64,
}

/// Why a table could not be classified.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// DynamoDB refused or failed a call.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The scoring task stopped (a panic in a recognizer).
    #[error("classification of {table} stopped: {reason}")]
    Stopped {
        /// The table.
        table: String,
        /// What the task said.
        reason: String,
    },
}

/// Samples and scores one table; `options` say how to sample it.
pub async fn classify_one(
    connection: &Connection,
    settings: &ClassifySettings,
    options: &ConnectionArguments,
    scope: &Scope,
    name: &str,
    capabilities: &Capabilities,
) -> Result<ClassifiedTable, ClassifyError> {
    let err = |e: SourceError| e.for_command(Command::Classify);
    let table = super::describe_for_scan(connection, name, capabilities, Command::Classify).await?;
    let rows_kept = settings
        .sample_rows
        .map_or(0, |rows| rows.min(MAX_SAMPLE_ROWS));
    let cap = settings.values_per_column;
    // Only the items the recognizers and the sample data use are kept in memory.
    let keep = u32::try_from(cap.max(rows_kept)).unwrap_or(u32::MAX);
    // The sample draws from the table's read budget, as the profiler's scan does.
    let budget = source::read_budget(
        options.max_read_capacity_percent,
        options.max_read_units_per_second,
        &table,
    )
    .map(source::TokenBucket::new);
    let sampled = source::sample_table(
        &connection.dynamodb,
        name,
        options.sample_size,
        options.sample_segments,
        table.item_count,
        keep,
        budget.as_ref(),
        &connection.throttle_retry,
    )
    .await
    .map_err(err)?;
    let table = mapping::table(
        scope,
        &connection.region,
        &table,
        &sampled.sample,
        ColumnOptions::default(),
    );
    let fqn = scope.table_fqn(name);
    let leaves = targets(&fqn, &table.columns);
    let items = sampled.kept;
    // Scoring is CPU work: keep it off the threads that drive the network.
    let (results, items) = tokio::task::spawn_blocking(move || {
        let results = classify_table(&leaves, &ColumnValues::collect(&items, cap));
        let mut items = items;
        items.truncate(rows_kept);
        (results, items)
    })
    .await
    .map_err(|e| ClassifyError::Stopped {
        table: name.to_string(),
        reason: e.to_string(),
    })?;
    Ok(ClassifiedTable {
        fqn,
        columns: table.columns,
        results,
        items,
        items_sampled: sampled.items,
        consumed_read_units: sampled.consumed_read_units,
    })
}

/// Records for one classified table, counting tags into `counts`.
pub fn table_records(
    settings: &ClassifySettings,
    table: &ClassifiedTable,
    counts: &mut ClassificationCounts,
) -> Vec<Record> {
    let threshold = settings.confidence;
    let mut records = Vec::new();
    let mut sensitive_tops = HashSet::new();
    // Secrets found in the data are masked in sample data whatever the options say.
    let mut credential_tops = HashSet::new();
    let mut tags = Vec::new();
    for result in &table.results {
        counts.columns_classified += 1;
        let best = result.classification.candidates.first();
        let Some(winner) = result.classification.decide(threshold) else {
            tracing::debug!(
                table = %table.fqn,
                column = %result.target.display_path(),
                best = best.map_or("none", |c| c.recognizer.name),
                confidence = best.map_or(0.0, |c| c.confidence),
                threshold,
                "not tagged"
            );
            continue;
        };
        tracing::debug!(
            table = %table.fqn,
            column = %result.target.display_path(),
            recognizer = winner.recognizer.name,
            confidence = winner.confidence,
            reason = %winner.reason,
            "tagged"
        );
        // Masked per leaf (attribute path): a map keeps its keys and other fields.
        if winner.recognizer.entity == "CREDENTIAL" {
            credential_tops.insert(result.target.path.clone());
        }
        match winner.recognizer.sensitivity {
            Sensitivity::Sensitive => {
                counts.sensitive += 1;
                sensitive_tops.insert(result.target.path.clone());
            }
            Sensitivity::NonSensitive => counts.non_sensitive += 1,
        }
        tags.push(ColumnTag {
            column: result.target.fqn.clone(),
            tags: vec![tag_label(winner)],
            recognizer: winner.recognizer.name.to_string(),
            confidence: (winner.confidence * 100.0).round() / 100.0,
        });
    }
    if settings.tag_columns {
        records.push(Record::ColumnTags {
            table: table.fqn.clone(),
            payload: tags,
        });
    }
    if let Some(rows) = settings.sample_rows {
        let masked = if settings.mask_sensitive_sample_data {
            sensitive_tops
        } else {
            credential_tops
        };
        records.push(Record::SampleData {
            table: table.fqn.clone(),
            payload: sample_data(&table.columns, &table.items, rows, &masked),
        });
    }
    records
}

/// Runs the classification workflow.
pub async fn run(settings: &Settings, flags: &RunFlags) -> Result<(Summary, Outcome), RunError> {
    let workflow = &settings.workflow;
    let summary = Summary {
        classification: Some(ClassificationCounts::default()),
        ..Summary::default()
    };
    let opening = Opening::Existing {
        service_name: &workflow.service_name,
        command: Command::Classify,
    };
    let (mut run, mut pairs) =
        match Run::start(settings, opening, flags, Command::Classify, summary).await? {
            Started::Running { run, pairs } => (run, pairs),
            Started::Ended(summary, outcome) => return Ok((summary, outcome)),
        };
    // classificationFilterPattern selects tables by their OpenMetadata tags, schema by
    // schema (one per pair).
    if workflow.classification_filter.is_set() {
        for pair in &mut pairs {
            match run.table_tags(&pair.scope).await {
                Some(Ok(tags)) => {
                    let (kept, dropped): (Vec<String>, Vec<String>) =
                        std::mem::take(&mut pair.selected)
                            .into_iter()
                            .partition(|n| {
                                workflow
                                    .classification_filter
                                    .keeps_any(tags.get(n).map_or(&[][..], Vec::as_slice))
                            });
                    pair.selected = kept;
                    run.summary
                        .filtered
                        .extend(dropped.iter().map(|n| pair.shown(n)));
                }
                Some(Err(e)) => {
                    return Ok(run.fail(
                        "(sink)",
                        format!("reading table tags for classificationFilterPattern: {e}"),
                    ));
                }
                None => {
                    run.summary.warnings.push(
                        "source.sourceConfig.config.classificationFilterPattern: not applied with this sink (it selects tables by their OpenMetadata tags; use tableFilterPattern)".into(),
                    );
                    break;
                }
            }
        }
    }

    let (classify, options) = (&workflow.classify, &workflow.options);
    let selected = super::selected_tables(&pairs);
    let progress = Progress::new(selected.len() as u64, flags.quiet);
    let mut counts = ClassificationCounts::default();
    run.tables(
        &pairs,
        selected,
        classify.threads,
        &progress,
        |p, name| async move {
            classify_one(
                &p.connection,
                classify,
                options,
                &p.scope,
                &name,
                &p.capabilities,
            )
            .await
        },
        |_, _, table: ClassifiedTable, summary| {
            summary.items_sampled += table.items_sampled;
            summary.consumed_read_units += table.consumed_read_units;
            table_records(classify, &table, &mut counts)
        },
    )
    .await;
    run.summary.classification = Some(counts);
    Ok(run.finish(false).await)
}

/// `--explain TABLE`: samples and scores one table and renders why each column was
/// or was not tagged. Values shown are masked. Nothing is written.
pub async fn explain(settings: &Settings, table: &str) -> Result<String, RunError> {
    let workflow = &settings.workflow;
    super::refuse_estate(workflow, "classify --explain")?;
    let connection = aws::connect(workflow.aws(), &workflow.options).await;
    let scope = Scope::of(workflow);
    let classified = classify_one(
        &connection,
        &workflow.classify,
        &workflow.options,
        &scope,
        table,
        &Capabilities::default(),
    )
    .await;
    match classified {
        Ok(classified) => Ok(render_explanation(
            &classified,
            workflow.classify.confidence,
        )),
        Err(ClassifyError::Source(e)) if e.failure.code == "ResourceNotFoundException" => {
            let names =
                crate::source::list_tables(&connection.dynamodb, &connection.throttle_retry)
                    .await
                    .unwrap_or_default();
            Err(RunError::NoSuchTable(no_such_table(
                table,
                &connection.region,
                &names,
            )))
        }
        Err(e) => Err(RunError::Explain {
            table: table.to_string(),
            reason: e.to_string(),
        }),
    }
}

/// `--explain` of a table DynamoDB does not have: the names it might have meant
/// (DynamoDB names are case-sensitive, so `orders` is not `Orders`).
fn no_such_table(table: &str, region: &str, names: &[String]) -> String {
    let mut close = crate::source::CloseNames::new(table);
    for name in names {
        close.offer(name);
    }
    let hint = close.hint().unwrap_or_else(|| {
        format!(
            "{} tables are listed there; check the name and awsRegion",
            names.len()
        )
    });
    format!("--explain {table}: DynamoDB has no table `{table}` in {region}: {hint}")
}

/// The `--explain` report of one table.
pub fn render_explanation(table: &ClassifiedTable, threshold: f64) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Table {} ({} items sampled, tag threshold {threshold})",
        table.fqn, table.items_sampled
    );
    for result in &table.results {
        explain_column(&mut out, result, threshold);
    }
    out
}

fn explain_column(out: &mut String, result: &ColumnResult, threshold: f64) {
    let c: &Classification = &result.classification;
    let _ = writeln!(
        out,
        "\n{}  ({} values)",
        result.target.display_path(),
        c.values_seen
    );
    match c.decide(threshold) {
        Some(w) => {
            let _ = writeln!(
                out,
                "  => {} by {} ({}, confidence {:.1} >= {threshold})",
                w.recognizer.sensitivity.tag_fqn(),
                w.recognizer.name,
                w.recognizer.entity,
                w.confidence
            );
        }
        None => match c.candidates.first() {
            Some(best) => {
                let _ = writeln!(
                    out,
                    "  => not tagged: best is {} at {:.1} < {threshold}",
                    best.recognizer.name, best.confidence
                );
            }
            None => {
                let _ = writeln!(out, "  => not tagged: no recognizer found evidence");
            }
        },
    }
    for cand in &c.candidates {
        let _ = writeln!(
            out,
            "  {:<28} {:>5.1}  {:<13} {}",
            cand.recognizer.name,
            cand.confidence,
            cand.recognizer
                .sensitivity
                .tag_fqn()
                .trim_start_matches("PII."),
            cand.reason
        );
        if let Some(content) = &cand.content {
            if !content.examples.is_empty() {
                let _ = writeln!(
                    out,
                    "  {:<28}        matched {}/{}: {}",
                    "",
                    content.matched,
                    content.total,
                    content.examples.join(", ")
                );
            }
        }
    }
}
