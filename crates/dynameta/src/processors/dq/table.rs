//! One table's data-quality result, the decisions that are data quality and not
//! orchestration (issue 22): how a table read to its end, out of time, or merged from
//! its parts becomes its report (each case's status and numbers), the results to post
//! to the server, or a part's state. No I/O: `workflow/test.rs` reads the table and
//! hands the outcome here, then the records to the sink.

use serde::Serialize;

use crate::processors::dq::cases::{self, CaseReport, Prepared, ResultPost};
use crate::processors::dq::state_file::{Combined, TablePart};
use crate::processors::dq::{CaseOutcome, DqState};
use crate::processors::profiler::Part;
use crate::source::ScanStats;

/// One table's cases.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableReport {
    /// Table FQN.
    pub table: String,
    /// The cases, in the order they ran.
    pub cases: Vec<CaseReport>,
    /// Items read.
    pub items: u64,
    /// Read units consumed.
    pub consumed_read_units: f64,
    /// Why the table could not be tested (its cases did not run).
    pub error: Option<String>,
    /// `--part`: cases evaluated over this part's share, concluded by `test merge`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pending: usize,
    /// Read from this DynamoDB export to S3 (`connectionArguments.exports`) instead
    /// of a scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What testing one table gave: its report for the summary, the result to post of
/// each of its cases (for a case the server holds), and a part's state.
pub struct Tested {
    /// The table's report.
    pub report: TableReport,
    /// Per case of the report, the result to post (a case the server holds).
    pub posts: Vec<Option<ResultPost>>,
    /// A part's state of the table.
    pub state: Option<TablePart>,
}

impl Tested {
    /// Nothing tested yet of table `table_fqn`.
    pub fn new(table_fqn: String) -> Tested {
        Tested {
            report: TableReport {
                table: table_fqn,
                cases: Vec::new(),
                items: 0,
                consumed_read_units: 0.0,
                error: None,
                pending: 0,
                export: None,
            },
            posts: Vec::new(),
            state: None,
        }
    }

    /// A table read to its end (`state` of the items read; `None`: none): a part keeps
    /// the state, a whole run concludes every case.
    pub fn read(
        &mut self,
        part: Option<Part>,
        prepared: Prepared,
        state: Option<DqState>,
        stats: &ScanStats,
    ) -> Result<(), String> {
        self.report.items = stats.items;
        self.report.consumed_read_units = stats.consumed_read_units;
        if part.is_some() {
            self.pending(&prepared);
            let mut kept = part_state(&self.report.table, prepared, state);
            kept.items = stats.items;
            kept.consumed_read_units = stats.consumed_read_units;
            self.state = Some(kept);
            return Ok(());
        }
        match prepared.conclude(state) {
            Ok(outcomes) => {
                self.concluded(&prepared, outcomes);
                Ok(())
            }
            Err(e) => {
                self.report
                    .cases
                    .extend(prepared.untestable.iter().cloned());
                Err(e.to_string())
            }
        }
    }

    /// A table out of time: a part records why (the merge aborts its cases); a whole
    /// run aborts every case with `reason`.
    pub fn aborted(&mut self, partial: bool, prepared: Prepared, reason: &str) {
        if partial {
            self.pending(&prepared);
            let mut kept = part_state(&self.report.table, prepared, None);
            kept.aborted = Some(reason.to_string());
            self.state = Some(kept);
        } else {
            let outcomes = prepared.abort_all(reason);
            self.concluded(&prepared, outcomes);
        }
    }

    /// A part's table: its cases are pending (the merge concludes them); the not
    /// testable ones are reported now.
    fn pending(&mut self, prepared: &Prepared) {
        self.report.pending = prepared.cases.len();
        self.report
            .cases
            .extend(prepared.untestable.iter().cloned());
    }

    fn concluded(&mut self, prepared: &Prepared, outcomes: Vec<CaseOutcome>) {
        for (report, post) in cases::concluded(prepared, outcomes, now_ms()) {
            self.report.cases.push(report);
            self.posts.push(post);
        }
    }

    /// A merged table (`test merge`): its cases concluded from the parts' merged state,
    /// or Aborted when a part ran out of time.
    pub fn merged(
        table_fqn: String,
        combined: Result<Combined, String>,
        warnings: &mut Vec<String>,
    ) -> Tested {
        let mut tested = Tested::new(table_fqn);
        let combined = match combined {
            Ok(combined) => combined,
            Err(e) => {
                tested.report.error = Some(e);
                return tested;
            }
        };
        tested.report.items = combined.items;
        tested.report.consumed_read_units = combined.consumed_read_units;
        if let Some(e) = combined.error {
            tested.report.error = Some(e);
            return tested;
        }
        match &combined.aborted {
            Some(reason) => {
                warnings.push(format!("{}: {reason}", tested.report.table));
                tested.aborted(false, combined.prepared, reason);
            }
            None => {
                let stats = ScanStats {
                    items: combined.items,
                    consumed_read_units: combined.consumed_read_units,
                    ..ScanStats::default()
                };
                if let Err(e) = tested.read(None, combined.prepared, combined.state, &stats) {
                    tested.report.error = Some(e);
                }
            }
        }
        tested
    }
}

/// A part's state of table `table_fqn` (no item read, no error yet).
pub fn part_state(table_fqn: &str, prepared: Prepared, state: Option<DqState>) -> TablePart {
    TablePart {
        table: table_fqn.to_string(),
        prepared,
        items: 0,
        consumed_read_units: 0.0,
        state,
        error: None,
        aborted: None,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
