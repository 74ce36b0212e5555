//! Lineage, usage and data-quality records into the local catalog (`dynameta lineage`
//! / `dynameta usage` / `dynameta test merge` with `sink: local`): typed records
//! straight to the catalog's lineage, usage and test-result tables, not through the
//! JSON [`super::Mapper`] the table records take.

use dynameta_catalog::dq::TestResult;
use dynameta_catalog::lineage::{LineageEdge, LineageFacts, Replica, UsageDay};
use dynameta_catalog::{Catalog, CatalogError, RunId};

use super::mapper::table_ref;
use crate::sinks::Record;

/// Stores `record` when it is a lineage or usage record (`None`: it is not one).
pub(super) fn store(
    catalog: &mut Catalog,
    run: RunId,
    record: &Record,
) -> Option<Result<(), CatalogError>> {
    match record {
        Record::TableLineage {
            table,
            edges,
            replicas,
            unread,
            problems,
        } => {
            let facts = LineageFacts {
                edges: edges
                    .iter()
                    .map(|e| LineageEdge {
                        kind: e.kind.clone(),
                        target: e.target.clone(),
                        name: e.name.clone(),
                        detail: e.detail.clone(),
                    })
                    .collect(),
                replicas: replicas
                    .iter()
                    .map(|r| Replica {
                        region: r.region.clone(),
                        status: r.status.clone(),
                    })
                    .collect(),
                unread: unread.clone(),
                problems: problems.clone(),
            };
            Some(catalog.write_lineage(run, &table_ref(table), &facts))
        }
        Record::TableUsage { table, days } => {
            let days: Vec<UsageDay> = days
                .iter()
                .map(|d| UsageDay {
                    day: d.date.clone(),
                    requests: d.requests,
                    clamped: false,
                })
                .collect();
            Some(catalog.write_usage(run, &table_ref(table), &days))
        }
        Record::TestCaseResult {
            table, test_case, ..
        } => {
            let c = test_case;
            let result = TestResult {
                name: c.name.clone(),
                column: c.column.clone(),
                definition: c.definition.clone(),
                status: c.status.stored().to_string(),
                result: c.result.clone(),
                values: c.values.clone(),
                passed_rows: c.passed_rows,
                failed_rows: c.failed_rows,
            };
            Some(catalog.write_test_results(run, &table_ref(table), &[result]))
        }
        _ => None,
    }
}
