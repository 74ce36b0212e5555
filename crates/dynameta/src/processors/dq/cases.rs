//! A run's test cases and their results, the decisions that are data quality and not
//! orchestration (issue 22): which cases of a table run and how ([`Planned`],
//! [`Prepared`]; a YAML case or one the server stores), which are set aside as not
//! testable, how an engine outcome becomes a case's reported status, and how every case
//! of a table out of time is Aborted. `workflow/test.rs` fetches the cases, calls these,
//! and hands the results to the sink.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::aws::estate::Pair;
use crate::config::{TestSuite, YamlTestCase};
use crate::processors::dq::plan as dq_plan;
use crate::processors::dq::{
    CaseOutcome, CaseSpec, CaseStatus, DqError, DqLimits, DqPlan, DqState,
};

/// How one case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum Status {
    /// The test passed.
    Success,
    /// The test failed.
    Failed,
    /// The test could not be evaluated (the reason is its result).
    Aborted,
    /// The case cannot be held by OpenMetadata (a nested attribute, a forbidden name):
    /// never sent, never run.
    NotTestable,
}

impl Status {
    /// How the summary shows it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Success => "Success",
            Status::Failed => "Failed",
            Status::Aborted => "Aborted",
            Status::NotTestable => "Not testable",
        }
    }

    /// How the local catalog stores it.
    pub fn stored(self) -> &'static str {
        match self {
            Status::Success => "Success",
            Status::Failed => "Failed",
            Status::Aborted => "Aborted",
            Status::NotTestable => "NotTestable",
        }
    }
}

/// One case's result, as the summary shows it and the sinks write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CaseReport {
    /// Test case name.
    pub name: String,
    /// Its test definition.
    pub definition: String,
    /// Its column (None for a table test).
    pub column: Option<String>,
    /// How it ended.
    pub status: Status,
    /// OpenMetadata's sentence about the result (or why it could not run).
    pub result: String,
    /// `testResultValue`: name → value.
    pub values: Vec<(String, String)>,
    /// Rows that passed, when asked for.
    pub passed_rows: Option<u64>,
    /// Rows that failed, when asked for.
    pub failed_rows: Option<u64>,
    /// Where the case came from: `yaml` or `openmetadata`.
    pub origin: String,
}

/// A case ready to run: what the engine needs, its FQN on the server (None without
/// one) and where it came from (`yaml` or `openmetadata`). Kept in part state files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Planned {
    /// Test case name.
    pub name: String,
    /// testDefinitionName.
    pub definition: String,
    /// Top-level attribute; None for a table test.
    pub column: Option<String>,
    /// parameterValues.
    pub parameters: Vec<(String, String)>,
    /// Whether passed/failed row counts are asked for.
    pub compute_passed_failed_row_count: bool,
    /// The case's FQN on the server.
    pub fqn: Option<String>,
    /// `yaml` or `openmetadata`.
    pub origin: String,
}

impl Planned {
    /// What the engine needs of the case.
    pub fn spec(&self) -> CaseSpec {
        CaseSpec {
            name: self.name.clone(),
            definition: self.definition.clone(),
            column: self.column.clone(),
            parameters: self.parameters.clone(),
            compute_passed_failed_row_count: self.compute_passed_failed_row_count,
        }
    }

    /// A YAML case, run as written (no server).
    pub fn of_yaml(case: &YamlTestCase) -> Planned {
        Planned {
            name: case.name.clone(),
            definition: case.test_definition_name.clone(),
            column: case.column_name.clone(),
            parameters: case
                .parameter_values
                .iter()
                .flatten()
                .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
                .collect(),
            compute_passed_failed_row_count: case.compute_passed_failed_row_count.unwrap_or(false),
            fqn: None,
            origin: "yaml".to_string(),
        }
    }

    /// A case as the server stores it (`TestCase` JSON) on table `table_fqn`; `yaml`:
    /// the YAML's case names (a stored case of one of them came from the YAML).
    pub fn of_stored(stored: &Value, table_fqn: &str, yaml: &[&str]) -> Planned {
        let text = |k: &str| {
            stored
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let name = text("name");
        let definition = stored
            .pointer("/testDefinition/name")
            .or_else(|| stored.pointer("/testDefinition/fullyQualifiedName"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let parameters = stored
            .get("parameterValues")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| {
                let t = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                (t("name"), t("value"))
            })
            .collect();
        Planned {
            origin: if yaml.contains(&name.as_str()) {
                "yaml"
            } else {
                "openmetadata"
            }
            .to_string(),
            name,
            definition,
            column: dq_plan::column_of_link(&text("entityLink"), table_fqn),
            parameters,
            compute_passed_failed_row_count: stored
                .get("computePassedFailedRowCount")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            fqn: Some(text("fullyQualifiedName")),
        }
    }
}

/// One table's cases, ready to evaluate: the same in every part of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prepared {
    /// The cases that run.
    pub cases: Vec<Planned>,
    /// The table's catalogued top-level columns (OpenMetadata's, or the local
    /// catalog's; empty when unknown).
    pub columns: Vec<String>,
    /// Cases reported as not testable (never sent, never run).
    pub untestable: Vec<CaseReport>,
}

impl Prepared {
    /// The YAML's cases `selected` of a table without a server: each runs as written,
    /// unless its column is one OpenMetadata cannot hold (`columns`: the columns the
    /// local catalog knows).
    pub fn of_yaml<'a>(
        cases: impl IntoIterator<Item = &'a YamlTestCase>,
        columns: Vec<String>,
    ) -> Prepared {
        let mut prepared = Prepared {
            columns,
            ..Prepared::default()
        };
        for case in cases {
            match case
                .column_name
                .as_deref()
                .and_then(|col| dq_plan::untestable(col, &prepared.columns))
            {
                Some(why) => prepared.untestable.push(not_testable(case, why)),
                None => prepared.cases.push(Planned::of_yaml(case)),
            }
        }
        prepared
    }

    /// The server's order, whatever was created when: every part of a run prepares
    /// the same list.
    pub fn in_server_order(mut self) -> Prepared {
        self.cases.sort_by(|a, b| {
            (a.column.as_deref(), a.name.as_str()).cmp(&(b.column.as_deref(), b.name.as_str()))
        });
        self
    }

    /// The engine's plan of the cases.
    pub fn plan(&self) -> DqPlan {
        DqPlan::new(
            self.cases.iter().map(Planned::spec).collect(),
            self.columns.clone(),
        )
    }

    /// Finishes the evaluation (`state` of every item read; `None`: no item): one
    /// outcome per case, in order.
    pub fn conclude(&self, state: Option<DqState>) -> Result<Vec<CaseOutcome>, DqError> {
        if self.cases.is_empty() {
            return Ok(Vec::new());
        }
        let plan = self.plan();
        let state = state.unwrap_or_else(|| plan.state(&DqLimits::default()));
        state.finish(&plan)
    }

    /// Every case Aborted with `reason` (the table ran out of time): never concluded
    /// from a partial read.
    pub fn abort_all(&self, reason: &str) -> Vec<CaseOutcome> {
        self.cases
            .iter()
            .map(|p| CaseOutcome {
                name: p.name.clone(),
                ..CaseOutcome::aborted(reason)
            })
            .collect()
    }
}

/// How case `p` is reported given its engine `outcome`: passed and failed rows only
/// where the case asks for them, as in what is posted.
pub fn report_of(p: &Planned, outcome: &CaseOutcome) -> CaseReport {
    CaseReport {
        name: p.name.clone(),
        definition: p.definition.clone(),
        column: p.column.clone(),
        status: match outcome.status {
            CaseStatus::Success => Status::Success,
            CaseStatus::Failed => Status::Failed,
            CaseStatus::Aborted => Status::Aborted,
        },
        result: outcome.result.clone(),
        values: outcome.values.clone(),
        passed_rows: outcome
            .passed_rows
            .filter(|_| p.compute_passed_failed_row_count),
        failed_rows: outcome
            .failed_rows
            .filter(|_| p.compute_passed_failed_row_count),
        origin: p.origin.clone(),
    }
}

/// Where a case's result goes on an OpenMetadata server: the case's FQN there (the
/// server created or holds it) and the outcome, posted by the REST sink as its
/// `CreateTestCaseResult` (`sinks::openmetadata::dq::result_body`).
#[derive(Debug, Clone, PartialEq)]
pub struct ResultPost {
    /// The test case's FQN on the server.
    pub case_fqn: String,
    /// The engine's outcome.
    pub outcome: CaseOutcome,
    /// When the case concluded, in milliseconds since the epoch.
    pub timestamp: i64,
    /// Whether passed/failed rows are posted (`computePassedFailedRowCount`).
    pub rows: bool,
}

/// The cases of a table concluded with `outcomes` (`Err`: the engine could not
/// conclude): each case's report (the not testable ones first), and for a case the
/// server holds (it has an FQN there) the result to post, stamped `timestamp`.
pub fn concluded(
    prepared: &Prepared,
    outcomes: Vec<CaseOutcome>,
    timestamp: i64,
) -> Vec<(CaseReport, Option<ResultPost>)> {
    let untestable = prepared.untestable.iter().map(|c| (c.clone(), None));
    let ran = prepared.cases.iter().zip(outcomes).map(|(p, outcome)| {
        let report = report_of(p, &outcome);
        let post = p.fqn.as_ref().map(|fqn| ResultPost {
            case_fqn: fqn.clone(),
            outcome,
            timestamp,
            rows: p.compute_passed_failed_row_count,
        });
        (report, post)
    });
    untestable.chain(ran).collect()
}

/// A YAML case set aside as not testable, for `why`.
pub fn not_testable(case: &YamlTestCase, why: String) -> CaseReport {
    CaseReport {
        name: case.name.clone(),
        definition: case.test_definition_name.clone(),
        column: case.column_name.clone(),
        status: Status::NotTestable,
        result: why,
        values: Vec::new(),
        passed_rows: None,
        failed_rows: None,
        origin: "yaml".to_string(),
    }
}

/// Why a table's cases were aborted when it ran out of time (`limit`).
pub fn timed_out(limit: std::time::Duration) -> String {
    format!(
        "the table took longer than the per-table time limit of {}s (connectionArguments.testTimeoutSeconds) to read: its cases were aborted, none was concluded from a partial read; raise the limit, or test from an export (connectionArguments.exports) or in parts (--part I/N)",
        limit.as_secs()
    )
}

/// The YAML's cases a run selects (`sourceConfig.config.testCases`; all when unset).
pub fn selected(suite: &TestSuite) -> impl Iterator<Item = &YamlTestCase> {
    suite.cases.iter().filter(|c| is_selected(suite, &c.name))
}

/// Whether the run selects the case named `name` (`sourceConfig.config.testCases`).
pub fn is_selected(suite: &TestSuite, name: &str) -> bool {
    suite
        .only
        .as_ref()
        .is_none_or(|o| o.iter().any(|n| n == name))
}

impl Prepared {
    /// Every case of `cases` set aside as not testable, for `why` (the table is not
    /// one the run can read: no pair of the estate holds it).
    pub fn none_testable<'a>(
        cases: impl IntoIterator<Item = &'a YamlTestCase>,
        why: &str,
    ) -> Prepared {
        Prepared {
            untestable: cases
                .into_iter()
                .map(|c| not_testable(c, why.to_string()))
                .collect(),
            ..Prepared::default()
        }
    }
}

/// The pair of the estate (issue 25) that holds a table of database `database` and
/// schema `schema` (the account's database name and the region, as `ingest` lays them
/// out); `Err`: why none does, naming the pairs there are.
pub fn pair_of<'a>(pairs: &'a [Pair], database: &str, schema: &str) -> Result<&'a Pair, String> {
    let of_account = |p: &&Pair| p.account.database_name() == database;
    pairs
        .iter()
        .filter(of_account)
        .find(|p| p.region == schema)
        // With `regions: all`, an account whose regions could not be listed is one
        // broken pair standing for all of them: the table is in it, and fails with it
        // (never "not testable", which would read as a configuration mistake).
        .or_else(|| {
            pairs
                .iter()
                .filter(of_account)
                .find(|p| p.region == crate::config::estate::ALL && p.broken.is_some())
        })
        .ok_or_else(|| {
            let known: Vec<String> = pairs
                .iter()
                .map(|p| format!("{}.{}", p.account.database_name(), p.region))
                .collect();
            format!(
                "its table's database `{database}` and schema `{schema}` match no (account, region) pair of the estate, so no connection can read it: the database is an account (its accounts[].name, else its id) and the schema a region; the pairs are {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn yaml(name: &str, column: Option<&str>) -> YamlTestCase {
        serde_json::from_value(json!({
            "name": name,
            "testDefinitionName": "columnValuesToBeNotNull",
            "columnName": column,
            "computePassedFailedRowCount": true,
        }))
        .unwrap()
    }

    #[test]
    fn yaml_cases_run_as_written_unless_openmetadata_cannot_hold_their_column() {
        let cases = [
            yaml("qty_present", Some("qty")),
            yaml("city_present", Some("address.city")),
            yaml("bad", Some("a::b")),
        ];
        let columns = vec!["qty".to_string(), "address".to_string()];
        let prepared = Prepared::of_yaml(&cases, columns.clone());
        assert_eq!(prepared.columns, columns);
        let run: Vec<&str> = prepared.cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(run, ["qty_present"]);
        assert_eq!(prepared.cases[0].origin, "yaml");
        let aside: Vec<(&str, Status)> = prepared
            .untestable
            .iter()
            .map(|c| (c.name.as_str(), c.status))
            .collect();
        assert_eq!(
            aside,
            [
                ("city_present", Status::NotTestable),
                ("bad", Status::NotTestable)
            ]
        );
        assert!(prepared.untestable[0].result.contains("nested attribute"));
    }

    #[test]
    fn stored_cases_are_planned_in_the_servers_order_with_their_origin() {
        let stored = |name: &str, column: &str| {
            json!({
                "name": name,
                "fullyQualifiedName": format!("s.d.c.t.{name}"),
                "entityLink": format!("<#E::table::s.d.c.t::columns::{column}>"),
                "testDefinition": {"name": "columnValuesToBeUnique"},
                "parameterValues": [{"name": "p", "value": "1"}],
            })
        };
        let cases: Vec<Planned> = [stored("z", "b"), stored("y", "a"), stored("x", "b")]
            .iter()
            .map(|c| Planned::of_stored(c, "s.d.c.t", &["x"]))
            .collect();
        let prepared = Prepared {
            cases,
            ..Prepared::default()
        }
        .in_server_order();
        let order: Vec<(&str, &str)> = prepared
            .cases
            .iter()
            .map(|c| (c.name.as_str(), c.origin.as_str()))
            .collect();
        assert_eq!(
            order,
            [("y", "openmetadata"), ("x", "yaml"), ("z", "openmetadata")]
        );
        assert_eq!(prepared.cases[0].column.as_deref(), Some("a"));
        assert_eq!(prepared.cases[0].parameters, [("p".into(), "1".into())]);
    }

    #[test]
    fn a_table_out_of_time_has_every_case_aborted_and_rows_only_where_asked() {
        let mut asked = Planned::of_yaml(&yaml("asked", Some("qty")));
        let prepared = Prepared {
            cases: vec![asked.clone()],
            ..Prepared::default()
        };
        let reason = timed_out(std::time::Duration::from_secs(7));
        let outcomes = prepared.abort_all(&reason);
        assert_eq!(outcomes.len(), 1);
        let report = report_of(&asked, &outcomes[0]);
        assert_eq!(report.status, Status::Aborted);
        assert!(report.result.contains("7s"), "{}", report.result);
        let counted = CaseOutcome {
            passed_rows: Some(4),
            failed_rows: Some(1),
            ..outcomes[0].clone()
        };
        assert_eq!(report_of(&asked, &counted).passed_rows, Some(4));
        asked.compute_passed_failed_row_count = false;
        assert_eq!(report_of(&asked, &counted).passed_rows, None);
        // Nothing to conclude: no outcome, never an error.
        assert_eq!(Prepared::default().conclude(None).unwrap(), Vec::new());
    }
}
