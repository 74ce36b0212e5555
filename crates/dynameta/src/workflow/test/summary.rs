//! What `dynameta test` shows and how it exits: each table's cases with their status
//! and numbers, the counts, and the exit code (0 passed, 1 a case failed, 2 the run or
//! a table could not run, 3 nothing to test).

use serde::Serialize;

use super::{EXIT_FAILED, EXIT_NOT_RUN, EXIT_PASSED};
use crate::processors::dq::cases::{CaseReport, Status};
pub use crate::processors::dq::table::TableReport;

/// What `dynameta test` did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestSummary {
    /// Every table tested (or that could not be).
    pub tables: Vec<TableReport>,
    /// Where the results went.
    pub destination: String,
    /// Things the run could not honour or did differently than asked.
    pub warnings: Vec<String>,
    /// Results posted to OpenMetadata.
    pub results_posted: u64,
    /// `--part I/N`: which part this run was (its results come from `test merge`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// A run or merge through the one finish (not a part): whether the workflow's
    /// failure policy (`raiseOnError`, `successThreshold`) tolerated the tables that
    /// could not be tested, and no write failed (only then is the output replaced).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerated: Option<bool>,
}

impl TestSummary {
    /// 0 every case passed; 1 a case failed, aborted or was not testable; 2 a table
    /// could not be tested at all (unless the failure policy tolerates it) or a write
    /// failed; 3 (as every command that finds nothing to do) no case ran anywhere.
    pub fn exit_code(&self) -> u8 {
        let not_run = match self.tolerated {
            Some(tolerated) => !tolerated,
            None => self.tables.iter().any(|t| t.error.is_some()),
        };
        if not_run {
            EXIT_NOT_RUN
        } else if self.part.is_some() {
            // A part concludes nothing: `test merge` does.
            EXIT_PASSED
        } else if self.tables.iter().all(|t| t.cases.is_empty()) {
            crate::workflow::EXIT_EMPTY
        } else if self
            .tables
            .iter()
            .flat_map(|t| &t.cases)
            .any(|c| c.status != Status::Success)
        {
            EXIT_FAILED
        } else {
            EXIT_PASSED
        }
    }

    /// Counts of each status over every table.
    pub fn counts(&self) -> [(Status, usize); 4] {
        let count = |s: Status| {
            self.tables
                .iter()
                .flat_map(|t| &t.cases)
                .filter(|c| c.status == s)
                .count()
        };
        [
            Status::Success,
            Status::Failed,
            Status::Aborted,
            Status::NotTestable,
        ]
        .map(|s| (s, count(s)))
    }

    /// The summary as text: each table, each case with its status and numbers.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for table in &self.tables {
            out.push_str(&format!(
                "table {}: {} case(s), {} item(s) read, {:.1} read units\n",
                table.table,
                table.cases.len(),
                table.items,
                table.consumed_read_units
            ));
            if let Some(export) = &table.export {
                out.push_str(&format!(
                    "  read from the export {export} (no read capacity used)\n"
                ));
            }
            if let Some(e) = &table.error {
                out.push_str(&format!("  NOT RUN: {e}\n"));
            }
            if table.pending > 0 {
                out.push_str(&format!(
                    "  {} case(s) evaluated over this part; `dynameta test merge` gives their results\n",
                    table.pending
                ));
            }
            if table.cases.is_empty() && table.error.is_none() && table.pending == 0 {
                out.push_str("  no test case: define some in processor.config.testCases or in OpenMetadata\n");
            }
            let mut cases: Vec<&CaseReport> = table.cases.iter().collect();
            // Failures first.
            cases.sort_by_key(|c| match c.status {
                Status::Failed => 0,
                Status::Aborted => 1,
                Status::NotTestable => 2,
                Status::Success => 3,
            });
            for c in cases {
                let target = c
                    .column
                    .as_deref()
                    .map_or(String::new(), |col| format!(" [{col}]"));
                let mut numbers: Vec<String> =
                    c.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
                if let (Some(p), Some(f)) = (c.passed_rows, c.failed_rows) {
                    numbers.push(format!("passedRows={p}, failedRows={f}"));
                }
                out.push_str(&format!(
                    "  {:<12} {}{} ({}): {}{}\n",
                    c.status.label(),
                    c.name,
                    target,
                    c.definition,
                    if numbers.is_empty() {
                        String::new()
                    } else {
                        format!("{}. ", numbers.join(", "))
                    },
                    c.result
                ));
            }
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
        let [(_, ok), (_, failed), (_, aborted), (_, untestable)] = self.counts();
        let total = ok + failed + aborted + untestable;
        out.push_str(&format!(
            "{total} test case(s) on {} table(s): {ok} passed, {failed} failed, {aborted} aborted, {untestable} not testable. {}\n",
            self.tables.len(),
            self.destination
        ));
        if total == 0 && self.part.is_none() {
            out.push_str("Nothing was tested.\n");
        }
        out
    }
}
