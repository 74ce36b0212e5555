//! Lineage and usage (schema version 5), written by `dynameta lineage` and `dynameta
//! usage` with the local sink: per run and table, where the table's data goes as
//! dynameta found it in AWS (edges to an S3 prefix, a Lambda function, a pipe, a
//! Kinesis stream; the far ends need not be catalogued anywhere) and the global
//! table's replicas (facts, not edges); per table and UTC day, the successful requests
//! CloudWatch counted. Read as each table's latest lineage (with the run before, for
//! `diff`) and its latest count of each day (a rerun replaces a day; a failed run
//! never does).

use std::collections::BTreeSet;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::diff::{Change, ChangeKind};
use crate::{upsert_table, Catalog, CatalogError, RunId, TableRef};

/// Days of usage the report charts per table (the catalog keeps them all).
pub const USAGE_WINDOW: usize = 90;

/// One edge from a table to where its data goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineageEdge {
    /// `s3Export`, `lambda`, `pipe` or `kinesis`.
    pub kind: String,
    /// The far end, as AWS names it: `s3://bucket/prefix`, the function's, pipe's or
    /// stream's ARN.
    pub target: String,
    /// A short name (the bucket and prefix, the function, pipe or stream name).
    pub name: String,
    /// What else is known (state, how many exports, a pipe's target).
    pub detail: String,
}

/// A global table replica.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Replica {
    /// Its region.
    pub region: String,
    /// `ACTIVE`, `CREATING`, ... (empty when DynamoDB did not say).
    pub status: String,
}

/// What one lineage run found of one table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineageFacts {
    /// Where the table's data goes.
    pub edges: Vec<LineageEdge>,
    /// The global table's replicas in other regions (not edges: they would form cycles).
    pub replicas: Vec<Replica>,
    /// Edge kinds the run could not read (a call failed): absent edges of these kinds
    /// are unknown, not gone.
    pub unread: Vec<String>,
    /// What failed, with the fix.
    pub problems: Vec<String>,
}

/// A table's latest lineage.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredLineage {
    /// The `lineage` run it comes from.
    pub run_id: i64,
    /// When it started.
    pub started_at: String,
    /// What it found.
    pub facts: LineageFacts,
}

/// One day's successful requests of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageDay {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Successful requests that day (CloudWatch `SuccessfulRequestLatency` samples).
    pub requests: u64,
    /// The count was clamped to OpenMetadata's 32-bit column when read.
    pub clamped: bool,
}

fn json_text<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

impl Catalog {
    /// Writes a `lineage` run's facts of one table (one transaction).
    pub fn write_lineage(
        &mut self,
        run: RunId,
        table: &TableRef,
        facts: &LineageFacts,
    ) -> Result<(), CatalogError> {
        let conn = &mut self.conn;
        let result = (|| {
            let tx = conn.transaction()?;
            let table_id = upsert_table(&tx, table)?;
            tx.execute(
                "INSERT OR REPLACE INTO lineage_tables (run_id, table_id, replicas, unread, problems) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    run.0,
                    table_id,
                    json_text(&facts.replicas),
                    json_text(&facts.unread),
                    json_text(&facts.problems)
                ],
            )?;
            {
                let mut stmt = tx.prepare(
                    "INSERT OR REPLACE INTO lineage_edges (run_id, table_id, kind, target, name, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for e in &facts.edges {
                    stmt.execute(params![run.0, table_id, e.kind, e.target, e.name, e.detail])?;
                }
            }
            tx.commit()
        })();
        result.map_err(|e| self.sql(format!("writing the lineage of {}", table.fqn), e))
    }

    /// Writes a `usage` run's daily counts of one table (one transaction).
    pub fn write_usage(
        &mut self,
        run: RunId,
        table: &TableRef,
        days: &[UsageDay],
    ) -> Result<(), CatalogError> {
        let conn = &mut self.conn;
        let result = (|| {
            let tx = conn.transaction()?;
            let table_id = upsert_table(&tx, table)?;
            {
                let mut stmt = tx.prepare(
                    "INSERT OR REPLACE INTO usage_days (run_id, table_id, day, requests, clamped) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for d in days {
                    stmt.execute(params![
                        run.0,
                        table_id,
                        d.day,
                        i64::try_from(d.requests).unwrap_or(i64::MAX),
                        d.clamped
                    ])?;
                }
            }
            tx.commit()
        })();
        result.map_err(|e| self.sql(format!("writing the usage of {}", table.fqn), e))
    }

    /// What `lineage` run `run_id` found of table `fqn` (`None`: it did not judge it).
    pub fn lineage_of_run(
        &self,
        run_id: i64,
        fqn: &str,
    ) -> Result<Option<LineageFacts>, CatalogError> {
        let what = format!("reading the lineage of {fqn}");
        let row: Option<(String, String, String)> = {
            let mut stmt = self
                .conn()
                .prepare(
                    "SELECT x.replicas, x.unread, x.problems FROM lineage_tables x JOIN tables t ON t.id = x.table_id
                     WHERE x.run_id = ?1 AND t.fqn = ?2",
                )
                .map_err(|e| self.sql(what.clone(), e))?;
            let mut rows = stmt
                .query_map(params![run_id, fqn], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .map_err(|e| self.sql(what.clone(), e))?;
            rows.next()
                .transpose()
                .map_err(|e| self.sql(what.clone(), e))?
        };
        let Some((replicas, unread, problems)) = row else {
            return Ok(None);
        };
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT e.kind, e.target, e.name, e.detail FROM lineage_edges e JOIN tables t ON t.id = e.table_id
                 WHERE e.run_id = ?1 AND t.fqn = ?2 ORDER BY e.kind, e.target",
            )
            .map_err(|e| self.sql(what.clone(), e))?;
        let edges = stmt
            .query_map(params![run_id, fqn], |r| {
                Ok(LineageEdge {
                    kind: r.get(0)?,
                    target: r.get(1)?,
                    name: r.get(2)?,
                    detail: r.get(3)?,
                })
            })
            .map_err(|e| self.sql(what.clone(), e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql(what.clone(), e))?;
        Ok(Some(LineageFacts {
            edges,
            replicas: self.stored_json(&what, &replicas)?,
            unread: self.stored_json(&what, &unread)?,
            problems: self.stored_json(&what, &problems)?,
        }))
    }

    /// A stored JSON column as `T` (invalid: the catalog was changed by something else).
    fn stored_json<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        text: &str,
    ) -> Result<T, CatalogError> {
        serde_json::from_str(text).map_err(|e| self.json_err(what, e))
    }

    /// The succeeded `lineage` runs that judged table `fqn`, newest first (at most `n`).
    fn lineage_runs_of_table(
        &self,
        fqn: &str,
        n: usize,
    ) -> Result<Vec<(i64, String)>, CatalogError> {
        self.runs_of_table(
            "SELECT x.run_id, r.started_at FROM lineage_tables x
             JOIN tables t ON t.id = x.table_id JOIN runs r ON r.id = x.run_id
             WHERE t.fqn = ?1 AND r.status = 'succeeded' ORDER BY x.run_id DESC LIMIT ?2",
            format!("reading the lineage runs of {fqn}"),
            fqn,
            n,
        )
    }

    /// Table `fqn`'s latest lineage (of its latest succeeded `lineage` run).
    pub fn lineage(&self, fqn: &str) -> Result<Option<StoredLineage>, CatalogError> {
        let Some((run_id, started_at)) = self.lineage_runs_of_table(fqn, 1)?.pop() else {
            return Ok(None);
        };
        Ok(self
            .lineage_of_run(run_id, fqn)?
            .map(|facts| StoredLineage {
                run_id,
                started_at,
                facts,
            }))
    }

    /// Table `fqn`'s latest `days` days of usage, oldest first: each day's count from
    /// the latest succeeded `usage` run that read that day.
    pub fn usage(&self, fqn: &str, days: usize) -> Result<Vec<UsageDay>, CatalogError> {
        let what = format!("reading the usage of {fqn}");
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT u.day, u.requests, u.clamped FROM usage_days u
                 JOIN tables t ON t.id = u.table_id JOIN runs r ON r.id = u.run_id
                 WHERE t.fqn = ?1 AND r.status = 'succeeded'
                   AND u.run_id = (SELECT MAX(u2.run_id) FROM usage_days u2 JOIN runs r2 ON r2.id = u2.run_id
                                   WHERE u2.table_id = u.table_id AND u2.day = u.day AND r2.status = 'succeeded')
                 ORDER BY u.day DESC LIMIT ?2",
            )
            .map_err(|e| self.sql(what.clone(), e))?;
        let n = i64::try_from(days).unwrap_or(i64::MAX);
        let mut rows: Vec<UsageDay> = stmt
            .query_map(params![fqn, n], |r| {
                Ok(UsageDay {
                    day: r.get(0)?,
                    requests: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    clamped: r.get(2)?,
                })
            })
            .map_err(|e| self.sql(what.clone(), e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(what, e))?;
        rows.reverse();
        Ok(rows)
    }

    /// FQNs of the tables `lineage` run `run_id` judged.
    pub fn tables_judged(&self, run_id: i64) -> Result<Vec<String>, CatalogError> {
        let what = "reading the tables a lineage run judged";
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT t.fqn FROM lineage_tables x JOIN tables t ON t.id = x.table_id
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

    /// Edges that appeared and disappeared between two `lineage` runs, for the tables
    /// both judged; an edge of a kind either run could not read is not judged, and a
    /// change of the replica set is named too.
    pub(crate) fn lineage_changes(&self, from: i64, to: i64) -> Result<Vec<Change>, CatalogError> {
        let before_tables: BTreeSet<String> = self.tables_judged(from)?.into_iter().collect();
        let mut out = Vec::new();
        for fqn in self.tables_judged(to)? {
            if !before_tables.contains(&fqn) {
                continue;
            }
            let (Some(a), Some(b)) = (
                self.lineage_of_run(from, &fqn)?,
                self.lineage_of_run(to, &fqn)?,
            ) else {
                continue;
            };
            let unread = |kind: &str| a.unread.iter().chain(&b.unread).any(|u| u == kind);
            let key = |e: &LineageEdge| (e.kind.clone(), e.target.clone());
            let keys_a: BTreeSet<_> = a.edges.iter().map(key).collect();
            let keys_b: BTreeSet<_> = b.edges.iter().map(key).collect();
            for e in &a.edges {
                if !keys_b.contains(&key(e)) && !unread(&e.kind) {
                    out.push(Change {
                        table: fqn.clone(),
                        kind: ChangeKind::EdgeRemoved {
                            edge: e.kind.clone(),
                            target: e.target.clone(),
                        },
                    });
                }
            }
            for e in &b.edges {
                if !keys_a.contains(&key(e)) && !unread(&e.kind) {
                    out.push(Change {
                        table: fqn.clone(),
                        kind: ChangeKind::EdgeAdded {
                            edge: e.kind.clone(),
                            target: e.target.clone(),
                        },
                    });
                }
            }
            let regions = |f: &LineageFacts| {
                f.replicas
                    .iter()
                    .map(|r| r.region.clone())
                    .collect::<BTreeSet<_>>()
            };
            let (ra, rb) = (regions(&a), regions(&b));
            if ra != rb {
                let text = |s: &BTreeSet<String>| {
                    if s.is_empty() {
                        "none".to_string()
                    } else {
                        s.iter().cloned().collect::<Vec<_>>().join(", ")
                    }
                };
                out.push(Change {
                    table: fqn.clone(),
                    kind: ChangeKind::ReplicasChanged {
                        from: text(&ra),
                        to: text(&rb),
                    },
                });
            }
        }
        Ok(out)
    }
}

/// How an edge kind is named for people.
pub fn edge_kind_text(kind: &str) -> &str {
    match kind {
        "s3Export" => "export to S3",
        "lambda" => "Lambda function",
        "pipe" => "EventBridge Pipe",
        "kinesis" => "Kinesis stream",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::DiffOptions;
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

    fn edge(kind: &str, target: &str) -> LineageEdge {
        LineageEdge {
            kind: kind.into(),
            target: target.into(),
            name: target.rsplit([':', '/']).next().unwrap_or_default().into(),
            detail: String::new(),
        }
    }

    fn lineage_run(cat: &mut Catalog, facts: &LineageFacts, status: RunStatus) -> i64 {
        let run = cat.begin_run("lineage", "svc", "0").unwrap();
        cat.write_lineage(run, &table(), facts).unwrap();
        cat.finish_run(run, status, &serde_json::json!({})).unwrap();
        run.0
    }

    fn usage_run(cat: &mut Catalog, days: &[(&str, u64)], status: RunStatus) {
        let run = cat.begin_run("usage", "svc", "0").unwrap();
        let days: Vec<UsageDay> = days
            .iter()
            .map(|(d, n)| UsageDay {
                day: d.to_string(),
                requests: *n,
                clamped: false,
            })
            .collect();
        cat.write_usage(run, &table(), &days).unwrap();
        cat.finish_run(run, status, &serde_json::json!({})).unwrap();
    }

    #[test]
    fn lineage_keeps_history_and_diff_names_edges_that_appeared_and_went() {
        let dir = tempfile::tempdir().unwrap();
        let mut cat = Catalog::open(&dir.path().join("c.db")).unwrap();
        let fqn = table().fqn;
        assert!(cat.lineage(&fqn).unwrap().is_none());
        let first = LineageFacts {
            edges: vec![
                edge("s3Export", "s3://bucket/exports"),
                edge("lambda", "arn:aws:lambda:us-east-1:1:function:old"),
                edge("pipe", "arn:aws:pipes:us-east-1:1:pipe/p"),
            ],
            replicas: vec![Replica {
                region: "eu-west-1".into(),
                status: "ACTIVE".into(),
            }],
            ..LineageFacts::default()
        };
        lineage_run(&mut cat, &first, RunStatus::Succeeded);
        // A failed run is history, never the table's lineage.
        lineage_run(&mut cat, &LineageFacts::default(), RunStatus::Failed);
        // The pipes could not be read: the pipe edge is unknown, not gone.
        let second = LineageFacts {
            edges: vec![
                edge("s3Export", "s3://bucket/exports"),
                edge("lambda", "arn:aws:lambda:us-east-1:1:function:new"),
            ],
            replicas: vec![],
            unread: vec!["pipe".into()],
            problems: vec!["ListPipes failed".into()],
        };
        let last = lineage_run(&mut cat, &second, RunStatus::Succeeded);
        let stored = cat.lineage(&fqn).unwrap().unwrap();
        assert_eq!(stored.run_id, last);
        let mut expected = second.clone();
        expected.edges.sort();
        assert_eq!(stored.facts, expected);

        let diff = cat.diff(DiffOptions::default()).unwrap();
        let lines: Vec<String> = diff
            .changes
            .iter()
            .map(|c| crate::diff::change_text(&c.kind))
            .collect();
        assert_eq!(
            lines,
            [
                "- lineage: Lambda function arn:aws:lambda:us-east-1:1:function:old",
                "+ lineage: Lambda function arn:aws:lambda:us-east-1:1:function:new",
                "~ global table replicas: eu-west-1 -> none",
            ],
            "{diff:?}"
        );
        assert!(diff.compared.iter().any(|c| c.command == "lineage"));
        assert!(
            diff.render_text().contains("lineage of service svc"),
            "{}",
            diff.render_text()
        );

        cat.prune(1).unwrap();
        assert_eq!(cat.lineage(&fqn).unwrap().unwrap().run_id, last);
    }

    #[test]
    fn usage_is_one_count_per_day_a_rerun_replaces_the_day_a_failed_run_never_does() {
        let dir = tempfile::tempdir().unwrap();
        let mut cat = Catalog::open(&dir.path().join("c.db")).unwrap();
        let fqn = table().fqn;
        assert!(cat.usage(&fqn, 30).unwrap().is_empty());
        usage_run(
            &mut cat,
            &[("2026-12-01", 10), ("2026-12-02", 20)],
            RunStatus::Succeeded,
        );
        usage_run(
            &mut cat,
            &[("2026-12-02", 25), ("2026-12-03", 30)],
            RunStatus::Succeeded,
        );
        usage_run(&mut cat, &[("2026-12-03", 999)], RunStatus::Failed);
        let days: Vec<(String, u64)> = cat
            .usage(&fqn, 30)
            .unwrap()
            .into_iter()
            .map(|d| (d.day, d.requests))
            .collect();
        assert_eq!(
            days,
            [
                ("2026-12-01".to_string(), 10),
                ("2026-12-02".to_string(), 25),
                ("2026-12-03".to_string(), 30)
            ]
        );
        // The window is the latest days.
        assert_eq!(cat.usage(&fqn, 1).unwrap()[0].day, "2026-12-03");
        // Pruning keeps every day's latest count.
        cat.prune(1).unwrap();
        assert_eq!(cat.usage(&fqn, 30).unwrap().len(), 3);
    }
}
