//! `dynameta usage`: each selected table's successful requests per day, from
//! CloudWatch, as OpenMetadata usage (`POST /v1/usage/table/{id}` per day, then
//! `compute.percentile` per day). Thin: CloudWatch in `source::usage`, day counts in
//! `processors::lineage_usage`, REST calls in `sinks::openmetadata::lineage`.
//!
//! With any other sink (`local`, the default, `file`, `console`) each table's days go
//! as a `tableUsage` record through the sink contract ([`run_local`]), unclamped.

use std::collections::BTreeSet;

use serde::Serialize;

use super::lineage::{rest_client, LineageUsageError};
use super::{list_pairs_for_report, Outcome, Progress, Run, RunError, RunFlags};
use super::{Settings, Started, Summary};
use crate::aws::{estate, ServiceClients};
use crate::config::Command;
use crate::processors::lineage_usage::{daily_counts, date_of, window_start, DayCount};
use crate::sinks::{Opening, Record};
use crate::source::usage::daily_requests;

/// What the run did for one table.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableUsage {
    /// Table name.
    pub table: String,
    /// The counts sent, one per day.
    pub days: Vec<DayCount>,
    /// The table is not in OpenMetadata (nothing sent), with the fix.
    pub missing: Option<String>,
    /// What failed.
    pub problems: Vec<String>,
}

/// What `dynameta usage` did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    /// Tables in the region.
    pub tables_listed: usize,
    /// First and last day read (`YYYY-MM-DD`).
    pub from: String,
    /// Last day read.
    pub to: String,
    /// Per selected table.
    pub tables: Vec<TableUsage>,
    /// Run-level notes, warnings and failures.
    pub warnings: Vec<String>,
    /// Run-level failures (CloudWatch, percentiles).
    pub failures: Vec<String>,
    /// The run stopped before the tables.
    pub stopped: Option<String>,
    /// It stopped because no table was found or selected.
    pub empty: bool,
}

impl UsageReport {
    /// Exit code: 0 done, 1 some call failed, 3 no table found or selected.
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
            out.push_str(&format!("usage: stopped: {why}\n"));
        }
        let mut sent = 0usize;
        for t in &self.tables {
            let total: u64 = t.days.iter().map(|d| u64::from(d.count)).sum();
            sent += t.days.len();
            out.push_str(&format!("table {}: {total} request(s)", t.table));
            let per_day: Vec<String> = t
                .days
                .iter()
                .map(|d| {
                    format!(
                        "{} {}{}",
                        d.date,
                        d.count,
                        if d.clamped { " (clamped)" } else { "" }
                    )
                })
                .collect();
            if !per_day.is_empty() {
                out.push_str(&format!(" [{}]", per_day.join(", ")));
            }
            out.push('\n');
            if let Some(m) = &t.missing {
                out.push_str(&format!("  missing: {m}\n"));
            }
            for p in &t.problems {
                out.push_str(&format!("  failed: {p}\n"));
            }
            if t.days.iter().any(|d| d.clamped) {
                out.push_str("  a day's count exceeded OpenMetadata's 32-bit usage column and was clamped to 2147483647\n");
            }
        }
        for w in &self.warnings {
            out.push_str(&format!("note: {w}\n"));
        }
        for f in &self.failures {
            out.push_str(&format!("failed: {f}\n"));
        }
        if self.stopped.is_none() {
            out.push_str(&format!(
                "usage: {} table(s), {} to {}: {sent} daily count(s) sent (successful requests from CloudWatch, dynameta's own included; not queries or users)\n",
                self.tables.len(),
                self.from,
                self.to
            ));
            if sent == 0 {
                out.push_str("usage: nothing was written to OpenMetadata\n");
            }
        }
        out
    }
}

/// Runs `dynameta usage`.
pub async fn run(settings: &Settings, flags: &RunFlags) -> Result<UsageReport, LineageUsageError> {
    let workflow = &settings.workflow;
    let om = rest_client(settings, "usage").await?;
    let mut report = UsageReport {
        warnings: workflow.lineage_usage.notes.clone(),
        ..UsageReport::default()
    };
    let days = workflow.lineage_usage.usage_days;
    let start = window_start(days);
    report.from = date_of(start);
    report.to = date_of(start + (i64::from(days) - 1) * crate::processors::lineage_usage::DAY);
    let walks_estate = estate::is_estate(&workflow.options);
    let listing = list_pairs_for_report(workflow, flags, Command::Usage).await;
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
    let mut dates: BTreeSet<String> = BTreeSet::new();
    for pair in &pairs {
        // CloudWatch of the pair's region, with the pair's credentials.
        let services = ServiceClients::new(&pair.connection, &workflow.options);
        let sums = match daily_requests(&services.cloudwatch, &pair.selected, start, days).await {
            Ok(sums) => sums,
            // In an estate, CloudWatch failing in one pair fails that pair only.
            Err(e) if walks_estate => {
                let label = pair.pair.as_ref().map(|p| p.label()).unwrap_or_default();
                report.failures.push(format!("pair {label}: {e}"));
                continue;
            }
            Err(e) => {
                report.stopped = Some(e.to_string());
                return Ok(report);
            }
        };
        let scope = &pair.scope;
        for table in &pair.selected {
            let mut line = TableUsage {
                table: pair.shown(table),
                ..TableUsage::default()
            };
            let table_fqn = scope.table_fqn(table);
            let entity = match om.table(&table_fqn).await {
                Ok(Some(e)) => e,
                Ok(None) => {
                    line.missing = Some(format!(
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
            let empty = Default::default();
            let counts = daily_counts(start, days, sums.get(table).unwrap_or(&empty));
            for day in counts {
                match om.post_usage(&entity.id, &day.date, day.count).await {
                    Ok(()) => {
                        dates.insert(day.date.clone());
                        line.days.push(day);
                    }
                    Err(e) => line.problems.push(e.to_string()),
                }
            }
            report.tables.push(line);
        }
    }
    for date in &dates {
        if let Err(e) = om.compute_percentile(date).await {
            report
                .failures
                .push(format!("computing the usage percentiles of {date}: {e}"));
        }
    }
    Ok(report)
}

/// Runs `dynameta usage` with a sink other than OpenMetadata: each selected table's
/// successful requests per day (`queryLogDuration` days ending yesterday, UTC) as one
/// `tableUsage` record; the local catalog keeps each day's latest count (a rerun
/// replaces the day). CloudWatch failing stops the run before any table is written.
/// Returns the text shown before the summary.
pub async fn run_local(
    settings: &Settings,
    flags: &RunFlags,
) -> Result<(String, Summary, Outcome), RunError> {
    let workflow = &settings.workflow;
    let mut summary = Summary::default();
    summary
        .warnings
        .extend(workflow.lineage_usage.notes.iter().cloned());
    let opening = Opening::Existing {
        service_name: &workflow.service_name,
        command: Command::Usage,
    };
    let (mut run, mut pairs) =
        match Run::start(settings, opening, flags, Command::Usage, summary).await? {
            Started::Running { run, pairs } => (run, pairs),
            Started::Ended(summary, outcome) => return Ok((String::new(), summary, outcome)),
        };
    let days = workflow.lineage_usage.usage_days;
    let start = window_start(days);
    // Each pair's CloudWatch (its region, its credentials), before any table is written.
    let mut sums = Vec::with_capacity(pairs.len());
    for pair in pairs.iter_mut() {
        let services = ServiceClients::new(&pair.connection, &workflow.options);
        match daily_requests(&services.cloudwatch, &pair.selected, start, days).await {
            Ok(s) => sums.push(s),
            Err(e) => match &pair.pair {
                None => {
                    let (summary, outcome) = run.fail("(cloudwatch)", e.to_string());
                    return Ok((String::new(), summary, outcome));
                }
                // In an estate, CloudWatch failing in one pair fails that pair only.
                Some(p) => {
                    let reason = e.to_string();
                    if let Some(c) = pair.count.and_then(|j| run.counts.get_mut(j)) {
                        c.error = Some(reason.clone());
                    }
                    run.summary.failures.push(super::summary::Failure {
                        name: format!("pair {}", p.label()),
                        reason,
                    });
                    pair.selected.clear();
                    sums.push(Default::default());
                }
            },
        }
    }
    let selected = super::selected_tables(&pairs);
    let progress = Progress::new(selected.len() as u64, flags.quiet);
    let mut text = String::new();
    let mut total = 0u64;
    let (sums, all) = (&sums, &pairs);
    run.tables(
        &pairs,
        selected,
        1,
        &progress,
        |p, name| async move {
            let empty = Default::default();
            let pair_sums = all
                .iter()
                .position(|q| std::ptr::eq(q, p))
                .and_then(|i| sums.get(i));
            Ok::<_, std::convert::Infallible>(crate::processors::lineage_usage::daily_requests(
                start,
                days,
                pair_sums.and_then(|s| s.get(&name)).unwrap_or(&empty),
            ))
        },
        |p, name, per_day, _| {
            let sum: u64 = per_day.iter().map(|d| d.requests).sum();
            total = total.saturating_add(sum);
            let shown: Vec<String> = per_day
                .iter()
                .map(|d| format!("{} {}", d.date, d.requests))
                .collect();
            text.push_str(&format!(
                "table {}: {sum} request(s) [{}]\n",
                p.shown(name),
                shown.join(", ")
            ));
            vec![Record::TableUsage {
                table: p.scope.table_fqn(name),
                days: per_day,
            }]
        },
    )
    .await;
    text.push_str(&format!(
        "usage: {} table(s), {} to {}: {total} successful request(s) (CloudWatch, dynameta's own included; not queries or users)\n",
        run.summary.tables_processed,
        date_of(start),
        date_of(start + (i64::from(days) - 1) * crate::processors::lineage_usage::DAY),
    ));
    let (summary, outcome) = run.finish(false).await;
    Ok((text, summary, outcome))
}
