//! The tables a `dynameta test` run tests, and the connection each is read through:
//! the TestSuite's table, or every table the filters select, in one pair or in every
//! pair of an estate (issue 25).

use std::sync::Arc;

use super::TestSummary;
use crate::aws::estate::Pair;
use crate::aws::{self, Connection};
use crate::config::{Command, TestSuite, Workflow};
use crate::processors::dq::cases;
use crate::processors::mapping::Scope;
use crate::workflow::{list_and_select, ListingStop, RunFlags, Summary};

/// One table a run tests: its FQN, its DynamoDB name and how it is read.
pub struct Target {
    /// Table FQN.
    pub fqn: String,
    /// Its DynamoDB name.
    pub name: String,
    /// How it is read.
    pub route: Route,
}

/// How a table is read.
pub enum Route {
    /// Through this connection: the workflow's, or in an estate its pair's.
    Read(Arc<Connection>),
    /// Its pair failed (its role could not be assumed, its listing failed): the table
    /// is not tested, for this reason; the other pairs' tables are.
    Failed(String),
    /// No pair of the estate holds it: every case is not testable, for this reason.
    NoPair(String),
}

/// The tables a run tests: the TestSuite's table, or every table the filters select.
/// In an estate (issue 25: `regions`, `accounts`, `organization`), every pair is
/// walked as `ingest` walks it, and each table is read through its pair's connection:
/// the suite's table through the pair its database (the account) and schema (the
/// region) name. `Err`: the one listing failed (exit 2).
pub async fn targets(
    workflow: &Workflow,
    suite: &TestSuite,
    flags: &RunFlags,
    summary: &mut TestSummary,
) -> Result<Vec<Target>, String> {
    let target = |scope: &Scope, name: &str, route: Route| Target {
        fqn: scope.table_fqn(name),
        name: name.to_string(),
        route,
    };
    if !aws::estate::is_estate(&workflow.options) {
        let connection = Arc::new(aws::connect(workflow.aws(), &workflow.options).await);
        let scope = Scope::of(workflow);
        let names = match &suite.table {
            Some(t) => vec![t.clone()],
            None => list(&connection, workflow, &scope, flags, summary).await?,
        };
        return Ok(names
            .iter()
            .map(|name| target(&scope, name, Route::Read(connection.clone())))
            .collect());
    }
    let estate = aws::estate::resolve(workflow.aws(), &workflow.options).await;
    summary.warnings.extend(estate.notes.iter().cloned());
    // The Organization could not be listed: its accounts' tables are unknown, so the run
    // cannot say it tested the estate (never a pass with accounts left out); it stops as
    // a failed listing does (exit 2), naming the step.
    if !estate.failures.is_empty() {
        let steps: Vec<String> = estate
            .failures
            .iter()
            .map(|(step, why)| format!("{step}: {why}"))
            .collect();
        return Err(format!(
            "the estate could not be walked, so nothing was tested: {}",
            steps.join("; ")
        ));
    }
    let scope_of =
        |pair: &Pair| Scope::of_pair(workflow, &pair.account.database_name(), &pair.region);
    let failed = |pair: &Pair, why: &str| Route::Failed(format!("pair {}: {why}", pair.label()));
    if let (Some(name), Some(entity)) = (&suite.table, &suite.entity_fqn) {
        let parts = crate::openmetadata::fqn::split(entity);
        let part = |i: usize| parts.get(i).map_or("", String::as_str);
        return Ok(vec![
            match cases::pair_of(&estate.pairs, part(1), part(2)) {
                Err(why) => Target {
                    fqn: entity.clone(),
                    name: name.clone(),
                    route: Route::NoPair(why),
                },
                // The broken pair standing for an account's unlisted regions (`all`)
                // is not the table's schema: the table keeps the suite's FQN.
                Ok(pair) if pair.region != part(2) => Target {
                    fqn: entity.clone(),
                    name: name.clone(),
                    route: failed(pair, pair.broken.as_deref().unwrap_or_default()),
                },
                Ok(pair) => target(
                    &scope_of(pair),
                    name,
                    match &pair.broken {
                        Some(why) => failed(pair, why),
                        None => Route::Read(Arc::new(estate.connection(pair))),
                    },
                ),
            },
        ]);
    }
    let mut targets = Vec::new();
    for pair in &estate.pairs {
        let scope = scope_of(pair);
        let whole = |route| Target {
            fqn: scope.schema_fqn(),
            name: String::new(),
            route,
        };
        if let Some(why) = &pair.broken {
            targets.push(whole(failed(pair, why)));
            continue;
        }
        let connection = Arc::new(estate.connection(pair));
        match list(&connection, workflow, &scope, flags, summary).await {
            Ok(names) => targets.extend(
                names
                    .iter()
                    .map(|name| target(&scope, name, Route::Read(connection.clone()))),
            ),
            Err(why) => targets.push(whole(failed(pair, &why))),
        }
    }
    Ok(targets)
}

/// Lists and selects the tables of one connection (`scope`'s names); a listing that
/// finds or selects nothing is a warning; `Err`: the listing failed.
async fn list(
    connection: &Connection,
    workflow: &Workflow,
    scope: &Scope,
    flags: &RunFlags,
    summary: &mut TestSummary,
) -> Result<Vec<String>, String> {
    let mut listing = Summary::default();
    match list_and_select(
        connection,
        &workflow.filters,
        scope,
        &mut listing,
        flags,
        Command::Test,
    )
    .await
    {
        Ok((_, selected)) => Ok(selected),
        Err(ListingStop::Empty(why)) => {
            summary.warnings.push(why);
            Ok(Vec::new())
        }
        Err(ListingStop::Credentials(why) | ListingStop::Failed(why)) => Err(why),
    }
}
