//! OpenMetadata REST sink (`sink: {type: metadata-rest}`): publishes the create
//! requests in OpenMetadata's own order — service, database, schema, tables — with the
//! bulk API on 2.x servers and per-entity PUTs on 1.9, then soft-deletes tables that
//! DynamoDB no longer has.

mod aws_tags;
mod classification;
mod client;
mod component;
mod config;
pub mod dq;
pub mod lineage;

use std::collections::{BTreeMap, HashSet};

use futures_util::stream::{self, StreamExt};
use reqwest::Method;
use serde_json::{json, Value};

pub use aws_tags::{AwsTagCounts, AwsTagState};
pub use client::{Answer, Client, RestError};
pub use config::{RestConfig, RestSinkConfig, RestSinkOptions, Tls};

use super::TableFailure;

use crate::openmetadata::{
    fqn, CreateDatabase, CreateDatabaseSchema, CreateDatabaseService, CreateTable,
    CreateTableProfile,
};

const JSON: &str = "application/json";

/// What the server said about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    /// e.g. `2.0.7`.
    pub version: String,
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl ServerVersion {
    /// Parses `1.9.4`, `2.0.7-SNAPSHOT`, ...
    pub fn parse(version: &str) -> Option<ServerVersion> {
        let mut parts = version.trim().split(['.', '-']);
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some(ServerVersion {
            version: version.trim().to_string(),
            major,
            minor,
        })
    }

    /// Bulk create APIs exist from 2.0.
    pub fn has_bulk(&self) -> bool {
        self.major >= 2
    }

    /// `TagLabel.metadata` (recognizer details) exists from 2.0.
    pub fn has_tag_metadata(&self) -> bool {
        self.major >= 2
    }

    /// Whether dynameta publishes to this version (what `dynameta --version` names).
    pub fn supported(&self) -> bool {
        (self.major == 1 && self.minor >= 9) || self.major == 2
    }
}

/// Counts of what the server did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    /// Tables accepted by the server.
    pub tables: u64,
    /// Tables soft-deleted because DynamoDB no longer has them.
    pub deleted: Vec<String>,
    /// Column tags added (classification).
    pub tags_added: u64,
    /// Column tags left as they were (already there, or a person's PII tag).
    pub tags_kept: u64,
    /// Sample data sets stored.
    pub sample_data: u64,
    /// Data-quality results posted to their test cases (`dynameta test`).
    pub results: u64,
}

/// The REST sink.
pub struct RestSink {
    client: Client,
    server: ServerVersion,
    pending: Vec<CreateTable>,
    /// Tables that failed to publish.
    pub failures: Vec<TableFailure>,
    /// Problems that did not fail a table (e.g. a column OpenMetadata does not have).
    pub warnings: Vec<String>,
    /// What was published.
    pub published: Published,
    /// The pipeline's `overrideMetadata`: the source's description replaces one already
    /// in OpenMetadata (by default OpenMetadata keeps a description that is there).
    pub override_metadata: bool,
    /// Soft-deleting more than half of a schema's tables in one run is allowed.
    pub allow_mass_delete: bool,
    /// AWS tags and owners (ingest).
    pub aws: AwsTagState,
}

/// Builds the REST client and asks the server's version, refusing unsupported ones.
/// Every command that talks to OpenMetadata (the sink, `dynameta test`, `lineage`,
/// `usage`) starts with it, so a wrong URL, token or version stops the run before any
/// AWS work.
pub(crate) async fn connect_checked(
    config: RestConfig,
) -> Result<(Client, ServerVersion), RestError> {
    let client = Client::new(config)?;
    let answer = client
        .send(Method::GET, "/v1/system/version", &[], None, JSON)
        .await?;
    let found = answer
        .body
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string();
    let server = ServerVersion::parse(&found)
        .filter(ServerVersion::supported)
        .ok_or(RestError::IncompatibleVersion { found })?;
    Ok((client, server))
}

impl RestSink {
    /// Connects: asks the server's version and refuses unsupported ones. Run before
    /// any DynamoDB work so that a wrong URL, token or version stops the run early.
    pub async fn connect(config: RestConfig) -> Result<RestSink, RestError> {
        let (client, server) = connect_checked(config).await?;
        tracing::info!(version = %server.version, bulk = server.has_bulk(), "connected to OpenMetadata");
        Ok(RestSink {
            client,
            server,
            pending: Vec::new(),
            failures: Vec::new(),
            warnings: Vec::new(),
            published: Published::default(),
            override_metadata: false,
            allow_mass_delete: false,
            aws: AwsTagState::default(),
        })
    }

    /// The server's version.
    pub fn server(&self) -> &ServerVersion {
        &self.server
    }

    /// Finds the service by name, creating it from `service` when absent. Also proves
    /// the token works (the version endpoint needs none).
    pub async fn ensure_service(
        &mut self,
        service: &CreateDatabaseService,
    ) -> Result<(), RestError> {
        if self.service_exists(&service.name).await? {
            return Ok(());
        }
        let body = to_value(service);
        self.client
            .send(
                Method::PUT,
                "/v1/services/databaseServices",
                &[],
                Some(&body),
                JSON,
            )
            .await
            .map(|_| ())
    }

    /// Whether the service exists: an authenticated call, so a refused token shows here
    /// (the version endpoint needs none).
    pub async fn service_exists(&self, name: &str) -> Result<bool, RestError> {
        match self
            .client
            .send(Method::GET, &service_path(name), &[], None, JSON)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Checks that the service exists (profile and classify add to ingested tables).
    pub async fn require_service(&mut self, name: &str) -> Result<(), RestError> {
        if self.service_exists(name).await? {
            return Ok(());
        }
        Err(RestError::Status {
            method: "GET".into(),
            path: service_path(name),
            status: 404,
            message: format!("service `{name}` is not in OpenMetadata: run `dynameta ingest` with this workflow's serviceName first"),
        })
    }

    /// Looks a table up by FQN with `fields`; a failure is recorded for the table.
    async fn table_by_name(&mut self, table_fqn: &str, fields: &str) -> Option<Value> {
        let name = fqn::split(table_fqn).pop().unwrap_or_default();
        let path = format!("/v1/tables/name/{}", fqn::url_encode(table_fqn));
        match self
            .client
            .send(Method::GET, &path, &[("fields", fields)], None, JSON)
            .await
        {
            Ok(answer) if answer.body.get("id").and_then(Value::as_str).is_some() => {
                Some(answer.body)
            }
            Ok(_) => {
                self.failures.push(TableFailure {
                    table: name,
                    reason: format!("OpenMetadata answered {path} without an id"),
                });
                None
            }
            Err(e) => {
                let reason = if e.status() == Some(404) {
                    format!("{table_fqn} is not in OpenMetadata yet: run `dynameta ingest` first")
                } else {
                    e.to_string()
                };
                self.failures.push(TableFailure {
                    table: name,
                    reason,
                });
                None
            }
        }
    }

    /// Publishes a table profile: finds the table by FQN (a table not ingested yet is a
    /// failure, not a crash), keeps column profiles of columns the table has, and PUTs
    /// the `CreateTableProfileRequest`.
    pub async fn put_profile(&mut self, table_fqn: &str, payload: &CreateTableProfile) {
        let name = fqn::split(table_fqn).pop().unwrap_or_default();
        let Some(table) = self.table_by_name(table_fqn, "columns").await else {
            return;
        };
        let id = table["id"].as_str().unwrap_or_default().to_string();
        let known: HashSet<&str> = table["columns"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("name").and_then(Value::as_str))
            .collect();
        // OpenMetadata refuses a whole profile naming a column the table does not have
        // (`TableRepository.addTableProfileData`: "Invalid column name X"), e.g. an
        // attribute the full scan found and ingest's sample did not: such a column's
        // profile stays in dynameta's own record and is reported.
        let mut body = payload.clone();
        let mut dropped = Vec::new();
        body.column_profile.retain(|c| {
            let keep = known.contains(c.name.as_str());
            if !keep {
                dropped.push(c.name.clone());
            }
            keep
        });
        if !dropped.is_empty() {
            self.warnings.push(format!(
                "{table_fqn}: profile left out for {}, not a column of the table in OpenMetadata (run `dynameta ingest` to add it)",
                dropped.join(", ")
            ));
        }
        let body = serde_json::to_value(&body).unwrap_or(Value::Null);
        match self
            .client
            .send(
                Method::PUT,
                &format!("/v1/tables/{id}/tableProfile"),
                &[],
                Some(&body),
                JSON,
            )
            .await
        {
            Ok(_) => self.published.tables += 1,
            Err(e) => self.failures.push(TableFailure {
                table: name,
                reason: e.to_string(),
            }),
        }
    }

    /// Creates or updates the database.
    pub async fn put_database(&mut self, database: &CreateDatabase) -> Result<(), RestError> {
        self.put_one("databases", to_value(database)).await
    }

    /// Creates or updates the schema.
    pub async fn put_schema(&mut self, schema: &CreateDatabaseSchema) -> Result<(), RestError> {
        self.put_one("databaseSchemas", to_value(schema)).await
    }

    async fn put_one(&self, collection: &str, body: Value) -> Result<(), RestError> {
        if self.server.has_bulk() {
            let answer = self.bulk(collection, &[body]).await?;
            if let Some((_, reason)) = bulk_failures(&answer.body).into_iter().next() {
                return Err(RestError::Status {
                    method: "PUT".into(),
                    path: format!("/v1/{collection}/bulk"),
                    status: 200,
                    message: reason,
                });
            }
            Ok(())
        } else {
            self.client
                .send(
                    Method::PUT,
                    &format!("/v1/{collection}"),
                    &[],
                    Some(&body),
                    JSON,
                )
                .await
                .map(|_| ())
        }
    }

    async fn bulk(&self, collection: &str, items: &[Value]) -> Result<Answer, RestError> {
        let body = Value::Array(items.to_vec());
        let override_metadata = if self.override_metadata {
            "true"
        } else {
            "false"
        };
        self.client
            .send(
                Method::PUT,
                &format!("/v1/{collection}/bulk"),
                &[("async", "false"), ("overrideMetadata", override_metadata)],
                Some(&body),
                JSON,
            )
            .await
    }

    /// Queues a table; a full batch is sent at once.
    pub async fn add_table(&mut self, mut table: CreateTable) {
        self.take_aws_tags(&mut table).await;
        self.pending.push(table);
        if self.pending.len() >= self.client.config().bulk_size.max(1) {
            self.flush().await;
        }
    }

    /// Sends queued tables: one bulk request on 2.x, concurrent PUTs on 1.9.
    pub async fn flush(&mut self) {
        let batch = std::mem::take(&mut self.pending);
        if batch.is_empty() {
            return;
        }
        if self.server.has_bulk() {
            let bodies: Vec<Value> = batch.iter().map(to_value).collect();
            match self.bulk("tables", &bodies).await {
                Ok(answer) => {
                    let failed: BTreeMap<String, String> =
                        bulk_failures(&answer.body).into_iter().collect();
                    for t in &batch {
                        match failed.get(&t.name) {
                            Some(reason) => self.failures.push(TableFailure {
                                table: t.name.clone(),
                                reason: format!("OpenMetadata rejected the table: {reason}"),
                            }),
                            None => self.published.tables += 1,
                        }
                    }
                }
                Err(e) => {
                    for t in &batch {
                        self.failures.push(TableFailure {
                            table: t.name.clone(),
                            reason: e.to_string(),
                        });
                    }
                }
            }
        } else {
            let client = &self.client;
            let override_metadata = self.override_metadata;
            let results: Vec<(String, Result<Answer, RestError>)> = stream::iter(batch.iter())
                .map(|t| async move {
                    let body = to_value(t);
                    let mut result = client
                        .send(Method::PUT, "/v1/tables", &[], Some(&body), JSON)
                        .await;
                    if let (true, Ok(answer)) = (override_metadata, &result) {
                        if let Err(e) = override_description(client, &answer.body, t).await {
                            result = Err(e);
                        }
                    }
                    (t.name.clone(), result)
                })
                .buffer_unordered(client.config().concurrency.max(1))
                .collect()
                .await;
            for (table, result) in results {
                match result {
                    Ok(_) => self.published.tables += 1,
                    Err(e) => self.failures.push(TableFailure {
                        table,
                        reason: e.to_string(),
                    }),
                }
            }
        }
    }

    /// Soft-deletes the tables of `schema_fqn` that OpenMetadata has, DynamoDB no longer
    /// has (`existing` holds every table name DynamoDB listed), and that the current
    /// filter selects (`selected(schema_fqn, name)`). Call only after a successful
    /// listing.
    pub async fn mark_deleted(
        &mut self,
        schema_fqn: &str,
        existing: &HashSet<String>,
        selected: &(dyn Fn(&str, &str) -> bool + Sync),
    ) -> Result<(), RestError> {
        if existing.is_empty() {
            // A wrong region, account or endpoint lists nothing: an empty listing is never
            // evidence that every table is gone.
            self.warnings.push(format!(
                "DynamoDB listed no table: no table of {schema_fqn} is marked deleted on an empty listing"
            ));
            return Ok(());
        }
        let known = self.list_tables(schema_fqn).await?;
        let stale: Vec<&(String, String, String)> = known
            .iter()
            .filter(|(name, _, _)| !existing.contains(name) && selected(schema_fqn, name))
            .collect();
        if stale.is_empty() {
            return Ok(());
        }
        if stale.len() * 2 > known.len() && !self.allow_mass_delete {
            return Err(RestError::MassDeletion {
                schema: schema_fqn.to_string(),
                stale: stale.len(),
                known: known.len(),
            });
        }
        if self.server.has_bulk() {
            let stale_fqns: HashSet<&str> = stale.iter().map(|(_, f, _)| f.as_str()).collect();
            let seen: Vec<&str> = known
                .iter()
                .map(|(_, f, _)| f.as_str())
                .filter(|f| !stale_fqns.contains(f))
                .collect();
            let body = json!({
                "scopeFqn": schema_fqn,
                "scopeEntityType": "databaseSchema",
                "seenFqns": seen,
            });
            let answer = self
                .client
                .send(
                    Method::DELETE,
                    "/v1/tables/deleteStale",
                    &[],
                    Some(&body),
                    JSON,
                )
                .await?;
            // A BulkOperationResult: what the server says it deleted is what was deleted.
            let deleted: Vec<String> = answer.body["successRequest"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r["request"].as_str().map(str::to_string))
                .collect();
            for (fqn, reason) in bulk_failures(&answer.body) {
                self.failures.push(TableFailure {
                    table: fqn::split(&fqn).pop().unwrap_or(fqn),
                    reason: format!("OpenMetadata did not soft-delete it: {reason}"),
                });
            }
            // Added to: a run walking several accounts/regions marks schema by schema.
            self.published.deleted.extend(deleted);
            return Ok(());
        } else {
            for (_, _, id) in &stale {
                self.client
                    .send(
                        Method::DELETE,
                        &format!("/v1/tables/{id}"),
                        &[("hardDelete", "false"), ("recursive", "false")],
                        None,
                        JSON,
                    )
                    .await?;
            }
        }
        self.published
            .deleted
            .extend(stale.iter().map(|(_, f, _)| f.clone()));
        Ok(())
    }

    /// (name, FQN, id) of every non-deleted table of the schema, all pages.
    async fn list_tables(
        &self,
        schema_fqn: &str,
    ) -> Result<Vec<(String, String, String)>, RestError> {
        let field = |t: &Value, k: &str| {
            t.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Ok(self
            .list_table_entities(schema_fqn, None)
            .await?
            .iter()
            .map(|t| {
                (
                    field(t, "name"),
                    field(t, "fullyQualifiedName"),
                    field(t, "id"),
                )
            })
            .collect())
    }

    /// Table name → tag FQNs of every non-deleted table of the schema.
    pub async fn table_tags(
        &self,
        schema_fqn: &str,
    ) -> Result<std::collections::HashMap<String, Vec<String>>, RestError> {
        Ok(self
            .list_table_entities(schema_fqn, Some("tags"))
            .await?
            .iter()
            .map(|t| {
                let name = t.get("name").and_then(Value::as_str).unwrap_or_default();
                let tags = t["tags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|tag| tag.get("tagFQN").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect();
                (name.to_string(), tags)
            })
            .collect())
    }

    /// Every non-deleted table entity of the schema, all pages, with `fields`.
    async fn list_table_entities(
        &self,
        schema_fqn: &str,
        fields: Option<&str>,
    ) -> Result<Vec<Value>, RestError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut query = vec![
                ("databaseSchema", schema_fqn),
                ("limit", "1000"),
                ("include", "non-deleted"),
            ];
            if let Some(f) = fields {
                query.push(("fields", f));
            }
            if let Some(a) = &after {
                query.push(("after", a.as_str()));
            }
            let answer = self
                .client
                .send(Method::GET, "/v1/tables", &query, None, JSON)
                .await?;
            out.extend(
                answer.body["data"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
            match answer.body["paging"]["after"].as_str() {
                Some(next) if !next.is_empty() => after = Some(next.to_string()),
                _ => return Ok(out),
            }
        }
    }
}

/// 1.9 has no `overrideMetadata` on its PUT, under which a bot never replaces a
/// description that is there (`EntityRepository.EntityUpdater.updateDescription`). As
/// OpenMetadata's own ingestion does for `overrideMetadata: true`, the source's
/// description is then set with a JSON Patch when the stored one differs.
async fn override_description(
    client: &Client,
    stored: &Value,
    table: &CreateTable,
) -> Result<(), RestError> {
    let (Some(wanted), Some(id)) = (&table.description, stored["id"].as_str()) else {
        return Ok(());
    };
    if stored["description"].as_str() == Some(wanted.as_str()) {
        return Ok(());
    }
    let op = if stored.get("description").is_some_and(|d| !d.is_null()) {
        "replace"
    } else {
        "add"
    };
    let patch = json!([{ "op": op, "path": "/description", "value": wanted }]);
    client
        .send(
            Method::PATCH,
            &format!("/v1/tables/{id}"),
            &[],
            Some(&patch),
            "application/json-patch+json",
        )
        .await
        .map(|_| ())
}

fn to_value(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// (entity name, reason) of every failed request in a bulk answer.
fn bulk_failures(body: &Value) -> Vec<(String, String)> {
    body.get("failedRequest")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|f| {
            let name = f
                .pointer("/request/name")
                .and_then(Value::as_str)
                .or_else(|| f.get("request").and_then(Value::as_str))
                .unwrap_or_default()
                .to_string();
            let reason = f
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("rejected")
                .to_string();
            (name, reason)
        })
        .collect()
}

/// `GET` path of a database service by name.
fn service_path(name: &str) -> String {
    format!(
        "/v1/services/databaseServices/name/{}",
        fqn::url_encode(&fqn::quote(name))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_gate_bulk() {
        let v = ServerVersion::parse("2.0.7").unwrap();
        assert!(v.has_bulk() && v.supported());
        let v = ServerVersion::parse("1.9.4-SNAPSHOT").unwrap();
        assert!(!v.has_bulk() && v.supported());
        assert!(!ServerVersion::parse("1.8.0").unwrap().supported());
        assert!(!ServerVersion::parse("3.0.0").unwrap().supported());
        assert!(ServerVersion::parse("garbage").is_none());
    }

    #[test]
    fn bulk_failures_name_the_entity() {
        let body = json!({"failedRequest": [{"request": {"name": "t1"}, "message": "bad column"}]});
        assert_eq!(
            bulk_failures(&body),
            vec![("t1".to_string(), "bad column".to_string())]
        );
    }
}
