//! Data-quality test results (`dynameta test` with the local sink): written per run,
//! table and case; read as each table's latest results with the status each case had
//! in the run before (its history), which the report and `diff` show.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::{upsert_table, Catalog, CatalogError, RunId, TableRef};

/// One test case's result in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    /// Test case name.
    pub name: String,
    /// Column tested (`None` for a table test).
    pub column: Option<String>,
    /// Test definition, e.g. `columnValuesToBeUnique`.
    pub definition: String,
    /// `Success`, `Failed`, `Aborted` or `NotTestable`.
    pub status: String,
    /// OpenMetadata's sentence about the result.
    pub result: String,
    /// `testResultValue`: name → value.
    pub values: Vec<(String, String)>,
    /// Rows that passed (when asked for).
    pub passed_rows: Option<u64>,
    /// Rows that failed (when asked for).
    pub failed_rows: Option<u64>,
}

impl TestResult {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.status == "Success"
    }
}

/// A table's latest test results.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredTests {
    /// The `test` run they come from.
    pub run_id: i64,
    /// When it started.
    pub started_at: String,
    /// Each case, with the status it had in the table's previous `test` run (`None`
    /// when it did not run then).
    pub results: Vec<(TestResult, Option<String>)>,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
);

impl Catalog {
    /// Writes a `test` run's results of one table (one transaction).
    pub fn write_test_results(
        &mut self,
        run: RunId,
        table: &TableRef,
        results: &[TestResult],
    ) -> Result<(), CatalogError> {
        let conn = &mut self.conn;
        let result = (|| {
            let tx = conn.transaction()?;
            let table_id = upsert_table(&tx, table)?;
            {
                let mut stmt = tx.prepare(
                    "INSERT OR REPLACE INTO test_results (run_id, table_id, case_name, column_name, definition, status, result, result_values, passed_rows, failed_rows)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?;
                for r in results {
                    let values = serde_json::to_string(&r.values).unwrap_or_else(|_| "[]".into());
                    stmt.execute(params![
                        run.0,
                        table_id,
                        r.name,
                        r.column.as_deref().unwrap_or(""),
                        r.definition,
                        r.status,
                        r.result,
                        values,
                        r.passed_rows.and_then(|n| i64::try_from(n).ok()),
                        r.failed_rows.and_then(|n| i64::try_from(n).ok()),
                    ])?;
                }
            }
            tx.commit()
        })();
        result.map_err(|e| self.sql(format!("writing the test results of {}", table.fqn), e))
    }

    /// The results of table `fqn` in `test` run `run_id`.
    pub fn test_results_of_run(
        &self,
        run_id: i64,
        fqn: &str,
    ) -> Result<Vec<TestResult>, CatalogError> {
        let what = format!("reading the test results of {fqn}");
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT x.case_name, x.column_name, x.definition, x.status, x.result, x.result_values, x.passed_rows, x.failed_rows
                 FROM test_results x JOIN tables t ON t.id = x.table_id
                 WHERE x.run_id = ?1 AND t.fqn = ?2 ORDER BY x.column_name, x.case_name",
            )
            .map_err(|e| self.sql(what.clone(), e))?;
        let rows: Vec<Row> = stmt
            .query_map(params![run_id, fqn], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .map_err(|e| self.sql(what.clone(), e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(what.clone(), e))?;
        rows.into_iter()
            .map(|(name, column, definition, status, result, values, p, f)| {
                Ok(TestResult {
                    values: serde_json::from_str(&values)
                        .map_err(|e| self.json_err(what.clone(), e))?,
                    name,
                    column: Some(column).filter(|c| !c.is_empty()),
                    definition,
                    status,
                    result,
                    passed_rows: p.and_then(|n| u64::try_from(n).ok()),
                    failed_rows: f.and_then(|n| u64::try_from(n).ok()),
                })
            })
            .collect()
    }

    /// The succeeded `test` runs that tested table `fqn`, newest first (at most `n`).
    pub fn test_runs_of_table(
        &self,
        fqn: &str,
        n: usize,
    ) -> Result<Vec<(i64, String)>, CatalogError> {
        self.runs_of_table(
            "SELECT DISTINCT x.run_id, r.started_at FROM test_results x
             JOIN tables t ON t.id = x.table_id JOIN runs r ON r.id = x.run_id
             WHERE t.fqn = ?1 AND r.status = 'succeeded' ORDER BY x.run_id DESC LIMIT ?2",
            format!("reading the test runs of {fqn}"),
            fqn,
            n,
        )
    }

    /// The `(run id, started at)` rows of `query`, which takes a table FQN (`?1`) and a
    /// limit (`?2`): the runs of one kind that judged a table, for its history.
    pub(crate) fn runs_of_table(
        &self,
        query: &str,
        what: String,
        fqn: &str,
        n: usize,
    ) -> Result<Vec<(i64, String)>, CatalogError> {
        let mut stmt = self
            .conn()
            .prepare(query)
            .map_err(|e| self.sql(what.clone(), e))?;
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![fqn, n], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.sql(what.clone(), e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(what, e));
        rows
    }

    /// Table `fqn`'s latest test results, each with its status in the run before.
    pub fn tests(&self, fqn: &str) -> Result<Option<StoredTests>, CatalogError> {
        let runs = self.test_runs_of_table(fqn, 2)?;
        let Some((run_id, started_at)) = runs.first().cloned() else {
            return Ok(None);
        };
        let before = match runs.get(1) {
            Some((id, _)) => self.test_results_of_run(*id, fqn)?,
            None => Vec::new(),
        };
        let results = self
            .test_results_of_run(run_id, fqn)?
            .into_iter()
            .map(|r| {
                let was = before
                    .iter()
                    .find(|b| b.name == r.name && b.column == r.column)
                    .map(|b| b.status.clone());
                (r, was)
            })
            .collect();
        Ok(Some(StoredTests {
            run_id,
            started_at,
            results,
        }))
    }

    /// FQNs of the tables run `run_id` tested.
    pub fn tables_tested(&self, run_id: i64) -> Result<Vec<String>, CatalogError> {
        let what = "reading the tables a test run tested";
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT DISTINCT t.fqn FROM test_results x JOIN tables t ON t.id = x.table_id
                 WHERE x.run_id = ?1 ORDER BY t.fqn",
            )
            .map_err(|e| self.sql(what, e))?;
        let rows = stmt
            .query_map(params![run_id], |r| r.get(0))
            .map_err(|e| self.sql(what, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(what, e));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{ChangeKind, DiffOptions};
    use crate::RunStatus;

    fn table() -> TableRef {
        TableRef {
            fqn: "svc.default.default.orders".into(),
            service: "svc".into(),
            database: "default".into(),
            schema: "default".into(),
            name: "orders".into(),
        }
    }

    fn result(name: &str, column: Option<&str>, status: &str) -> TestResult {
        TestResult {
            name: name.into(),
            column: column.map(str::to_string),
            definition: "columnValuesToBeUnique".into(),
            status: status.into(),
            result: format!("{name} is {status}"),
            values: vec![("uniqueCount".into(), "4".into())],
            passed_rows: Some(4),
            failed_rows: None,
        }
    }

    fn test_run(cat: &mut Catalog, results: &[TestResult], status: RunStatus) -> i64 {
        let run = cat.begin_run("test", "svc", "0").unwrap();
        cat.write_test_results(run, &table(), results).unwrap();
        cat.finish_run(run, status, &serde_json::json!({})).unwrap();
        run.0
    }

    #[test]
    fn results_keep_history_diff_names_new_failures_and_prune_keeps_the_latest() {
        let dir = tempfile::tempdir().unwrap();
        let mut cat = Catalog::open(&dir.path().join("c.db")).unwrap();
        let fqn = table().fqn;
        assert!(cat.tests(&fqn).unwrap().is_none());
        test_run(
            &mut cat,
            &[
                result("a", Some("id"), "Success"),
                result("b", None, "Failed"),
            ],
            RunStatus::Succeeded,
        );
        // A failed run is history, never the latest results.
        test_run(
            &mut cat,
            &[result("a", Some("id"), "Failed")],
            RunStatus::Failed,
        );
        let last = test_run(
            &mut cat,
            &[
                result("a", Some("id"), "Failed"),
                result("b", None, "Failed"),
                result("c", None, "Aborted"),
            ],
            RunStatus::Succeeded,
        );
        let tests = cat.tests(&fqn).unwrap().unwrap();
        assert_eq!(tests.run_id, last);
        let was: Vec<(&str, Option<&str>)> = tests
            .results
            .iter()
            .map(|(r, w)| (r.name.as_str(), w.as_deref()))
            .collect();
        assert_eq!(
            was,
            [("b", Some("Failed")), ("c", None), ("a", Some("Success"))]
        );
        assert_eq!(tests.results[2].0, result("a", Some("id"), "Failed"));

        // a passed and fails now, c is new and not passing; b failed before too.
        let diff = cat.diff(DiffOptions::default()).unwrap();
        let named: Vec<&str> = diff
            .changes
            .iter()
            .filter_map(|c| match &c.kind {
                ChangeKind::TestStartedFailing { test, .. } => Some(test.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(named, ["c", "a"]);
        assert!(diff.changed);

        cat.prune(1).unwrap();
        let after = cat.tests(&fqn).unwrap().unwrap();
        assert_eq!(after.run_id, last);
        assert_eq!(after.results.len(), 3);
    }
}
