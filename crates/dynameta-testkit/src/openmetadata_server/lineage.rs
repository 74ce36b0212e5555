//! The lineage and usage endpoints of the contract server, for `dynameta lineage` and
//! `dynameta usage` (issue 26), and the entities lineage points at: containers (made by
//! OpenMetadata's S3 connector: seeded by tests, [`super::ContractServer::add_container`]),
//! topics (its Kinesis connector: [`super::ContractServer::add_topic`]), pipeline
//! services and pipelines (created over REST). Upstream files read (2.0.x-era versions of
//! open-metadata/OpenMetadata):
//!
//! * `openmetadata-service/.../jdbi3/LineageRepository.java`: `addLineage` (both ends
//!   looked up by type and id with `Entity.getEntityReferenceById(..., NON_DELETED)`,
//!   `lineageDetails` stamped with `createdAt/By`, `updatedAt/By`, the relationship row
//!   upserted), `getByName` / `getLineage` / `getDownstreamLineage` /
//!   `getUpstreamLineage` (`EntityLineage` with `nodes` and `Edge`s of ids),
//!   `deleteLineage` (both ends looked up with `Include.ALL`, `false` when there is no
//!   edge — the resource answers 404);
//! * `openmetadata-spec/.../type/entityLineage.json`: `lineageDetails.source`, a closed
//!   enum Jackson refuses other values of;
//! * `openmetadata-service/.../resources/usage/UsageResource.java` `create` (POST) and
//!   `computePercentile`; `.../jdbi3/UsageRepository.java`; `CollectionDAO.UsageDAO
//!   .insertOrReplaceCount` (POST replaces the day's `count1` and recomputes `count7` /
//!   `count30`, an `int` column); `type/dailyCount.json` (`count` ≥ 0, `date` a date);
//! * `openmetadata-service/.../resources/search/SearchResource.java` `searchByField`
//!   (`/search/fieldQuery`), answered with an Elasticsearch-shaped body; container
//!   `fullPath` is a keyword field, matched exactly;
//! * `api/services/createPipelineService.json` (`serviceType` enum),
//!   `api/data/createPipeline.json` (`service` must exist: `EntityRepository` 404).
//!
//! Not ported: column lineage (a body with `columnsLineage` is refused, so a sender that
//! starts using it notices), lineage depth beyond 1, `lineageDetails.pipeline`, extended
//! (service/domain) lineage, usage `PUT` (adds instead of replacing), percentile ranks
//! themselves (only that they were asked for is recorded).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::http::Request;
use super::names;
use super::routes::{error, json_body, Handled, Params, Response};
use super::state::{is_deleted, now_ms, uuid_v4, Kind};
use super::updater::BOT;
use super::{lock, Shared};

/// `entityLineage.json#/definitions/lineageDetails/properties/source`.
pub(super) const LINEAGE_SOURCES: [&str; 11] = [
    "Manual",
    "ViewLineage",
    "QueryLineage",
    "PipelineLineage",
    "DashboardLineage",
    "DbtLineage",
    "SparkLineage",
    "OpenLineage",
    "ExternalTableLineage",
    "CrossDatabaseLineage",
    "ChildAssets",
];

/// `pipelineService.json#/definitions/pipelineServiceType`.
const PIPELINE_SERVICE_TYPES: [&str; 26] = [
    "Airflow",
    "GluePipeline",
    "KinesisFirehose",
    "Airbyte",
    "Fivetran",
    "Flink",
    "Dagster",
    "Nifi",
    "DomoPipeline",
    "CustomPipeline",
    "DatabricksPipeline",
    "Spline",
    "Spark",
    "OpenLineage",
    "Prefect",
    "KafkaConnect",
    "DBTCloud",
    "Matillion",
    "Stitch",
    "DataFactory",
    "Wherescape",
    "SSIS",
    "Snowplow",
    "Mulesoft",
    "MicrosoftFabricPipeline",
    "SapBw4HanaPipeline",
];

/// A stored edge.
#[derive(Debug, Clone)]
pub(super) struct Edge {
    pub from_type: String,
    pub to_type: String,
    pub details: Value,
}

/// The lineage part of the store.
#[derive(Default)]
pub(super) struct LineageStore {
    /// Entities by type (`container`, `topic`, `pipelineService`, `pipeline`) and FQN.
    entities: BTreeMap<&'static str, BTreeMap<String, Value>>,
    /// Edges by (from id, to id).
    edges: BTreeMap<(String, String), Edge>,
    /// `count1` by (table id, date).
    usage: BTreeMap<(String, String), i64>,
    /// The `compute.percentile` calls, as `entity/date`.
    percentiles: Vec<String>,
}

impl LineageStore {
    fn put(&mut self, kind: &'static str, entity: Value) {
        let fqn = entity["fullyQualifiedName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.entities.entry(kind).or_default().insert(fqn, entity);
    }

    fn get(&self, kind: &str, fqn: &str) -> Option<&Value> {
        self.entities.get(kind)?.get(fqn)
    }

    fn by_id(&self, kind: &str, id: &str) -> Option<&Value> {
        self.entities
            .get(kind)?
            .values()
            .find(|e| e["id"].as_str() == Some(id))
    }

    /// Every entity of `kind`.
    pub fn all(&self, kind: &str) -> Vec<Value> {
        self.entities
            .get(kind)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every edge, as `{fromEntity: {id, type}, toEntity: {id, type}, lineageDetails}`.
    pub fn edges(&self) -> Vec<Value> {
        self.edges
            .iter()
            .map(|((from, to), e)| {
                json!({
                    "fromEntity": {"id": from, "type": e.from_type},
                    "toEntity": {"id": to, "type": e.to_type},
                    "lineageDetails": e.details,
                })
            })
            .collect()
    }

    /// Stores an edge as another client (a person, another connector) would.
    pub fn add_edge(&mut self, from: (&str, &str), to: (&str, &str), details: Value) {
        self.edges.insert(
            (from.1.to_string(), to.1.to_string()),
            Edge {
                from_type: from.0.to_string(),
                to_type: to.0.to_string(),
                details,
            },
        );
    }

    /// `(date, count1)` of a table, by date.
    pub fn usage(&self, table_id: &str) -> Vec<(String, i64)> {
        self.usage
            .iter()
            .filter(|((id, _), _)| id == table_id)
            .map(|((_, date), count)| (date.clone(), *count))
            .collect()
    }

    /// The `compute.percentile` calls received.
    pub fn percentiles(&self) -> Vec<String> {
        self.percentiles.clone()
    }

    /// Seeds an entity another connector made (container, topic): returns its id.
    pub fn seed(&mut self, kind: &'static str, service: &str, name: &str, extra: Value) -> String {
        let id = uuid_v4();
        let fqn = format!(
            "{}.{}",
            names::quote_name(service).unwrap_or_else(|_| service.to_string()),
            names::quote_name(name).unwrap_or_else(|_| name.to_string())
        );
        let mut entity = json!({
            "id": id,
            "name": name,
            "fullyQualifiedName": fqn,
            "service": {"name": service, "type": service_type_of(kind)},
            "version": 0.1,
            "deleted": false,
        });
        if let (Some(e), Some(x)) = (entity.as_object_mut(), extra.as_object()) {
            for (k, v) in x {
                e.insert(k.clone(), v.clone());
            }
        }
        self.put(kind, entity);
        id
    }
}

fn service_type_of(kind: &str) -> &'static str {
    match kind {
        "container" => "storageService",
        "topic" => "messagingService",
        _ => "pipelineService",
    }
}

/// Whether this server part answers `segments` (the path under `/api/v1/`).
pub(super) fn owns(segments: &[String]) -> bool {
    matches!(
        (
            segments.first().map(String::as_str),
            segments.get(1).map(String::as_str)
        ),
        (
            Some("lineage" | "usage" | "containers" | "topics" | "pipelines"),
            _
        ) | (Some("search"), Some("fieldQuery"))
            | (Some("services"), Some("pipelineServices"))
    )
}

/// Answers one request under `/api/v1/` that [`owns`] says is ours.
pub(super) fn handle(shared: &Shared, req: &Request, segs: &[String], params: &Params) -> Response {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let result = match (req.method.as_str(), s.as_slice()) {
        ("PUT", ["lineage"]) => add_lineage(shared, req),
        ("GET", ["lineage", entity, "name", fqn]) => get_lineage(shared, entity, fqn, params),
        ("DELETE", ["lineage", from_type, from_id, to_type, to_id]) => {
            delete_lineage(shared, from_type, from_id, to_type, to_id)
        }
        ("GET", ["search", "fieldQuery"]) => field_query(shared, params),
        ("GET", ["containers", "name", fqn]) => by_name(shared, "container", fqn),
        ("GET", ["topics", "name", fqn]) => by_name(shared, "topic", fqn),
        ("GET", ["pipelines", "name", fqn]) => by_name(shared, "pipeline", fqn),
        ("GET", ["services", "pipelineServices", "name", fqn]) => {
            by_name(shared, "pipelineService", fqn)
        }
        ("PUT", ["services", "pipelineServices"]) => put_pipeline_service(shared, req),
        ("PUT", ["pipelines"]) => put_pipeline(shared, req),
        ("POST", ["usage", "compute.percentile", entity, date]) => {
            compute_percentile(shared, entity, date)
        }
        ("POST", ["usage", entity, id]) => post_usage(shared, req, entity, id),
        ("GET", ["usage", entity, id]) => get_usage(shared, entity, id),
        _ => Err(error(404, "HTTP 404 Not Found")),
    };
    match result {
        Ok(r) | Err(r) => r,
    }
}

fn by_name(shared: &Shared, kind: &str, fqn: &str) -> Handled {
    let store = lock(&shared.store);
    match store.lineage.get(kind, fqn) {
        Some(e) => Ok(Response::ok(e.clone())),
        None => Err(error(404, &format!("{kind} instance for {fqn} not found"))),
    }
}

/// The reference of the entity `kind`/`id`, or OpenMetadata's 404
/// (`Entity.getEntityReferenceById`). `deleted` admits soft-deleted ones (`Include.ALL`).
fn reference(shared: &Shared, kind: &str, id: &str, deleted: bool) -> Result<Value, Response> {
    let store = lock(&shared.store);
    let entity = match kind {
        "table" => store.by_id(Kind::Table, id).cloned(),
        "container" | "topic" | "pipeline" => store.lineage.by_id(kind, id).cloned(),
        _ => None,
    };
    match entity {
        Some(e) if deleted || !is_deleted(&e) => Ok(json!({
            "id": e["id"],
            "type": kind,
            "name": e["name"],
            "fullyQualifiedName": e["fullyQualifiedName"],
            "deleted": e.get("deleted").cloned().unwrap_or(json!(false)),
        })),
        _ => Err(error(404, &format!("{kind} instance for {id} not found"))),
    }
}

/// Jackson's answer to a field the class does not have.
fn unknown_fields(object: &Value, known: &[&str], class: &str) -> Result<(), Response> {
    if let Some(map) = object.as_object() {
        if let Some(key) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(error(
                400,
                &format!("Unable to process JSON: Unrecognized field \"{key}\" (class {class}), not marked as ignorable"),
            ));
        }
    }
    Ok(())
}

fn entity_ref_fields(value: &Value, path: &str) -> Result<(String, String), Response> {
    unknown_fields(
        value,
        &[
            "id",
            "type",
            "name",
            "fullyQualifiedName",
            "description",
            "displayName",
            "deleted",
            "inherited",
            "href",
        ],
        "org.openmetadata.schema.type.EntityReference",
    )?;
    let id = value["id"].as_str();
    let kind = value["type"].as_str();
    match (id, kind) {
        (Some(id), Some(kind)) if is_uuid(id) => Ok((kind.to_string(), id.to_string())),
        (Some(_), Some(_)) => Err(error(400, &format!("{path}.id must be a UUID"))),
        (None, _) => Err(error(
            400,
            &format!("[query param {path}.id must not be null]"),
        )),
        (_, None) => Err(error(
            400,
            &format!("[query param {path}.type must not be null]"),
        )),
    }
}

fn is_uuid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `PUT /v1/lineage` (`LineageResource.addLineage` → `LineageRepository.addLineage`).
fn add_lineage(shared: &Shared, req: &Request) -> Handled {
    let body = json_body(req, "application/json")?;
    unknown_fields(
        &body,
        &["edge"],
        "org.openmetadata.schema.api.lineage.AddLineage",
    )?;
    let edge = body
        .get("edge")
        .ok_or_else(|| error(400, "[query param edge must not be null]"))?;
    unknown_fields(
        edge,
        &["fromEntity", "toEntity", "description", "lineageDetails"],
        "org.openmetadata.schema.type.EntitiesEdge",
    )?;
    let (from_type, from_id) = entity_ref_fields(&edge["fromEntity"], "edge.fromEntity")?;
    let (to_type, to_id) = entity_ref_fields(&edge["toEntity"], "edge.toEntity")?;
    let mut details = match edge.get("lineageDetails") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(error(
                400,
                "Unable to process JSON: lineageDetails must be an object",
            ))
        }
    };
    unknown_fields(
        &Value::Object(details.clone()),
        &[
            "sqlQuery",
            "columnsLineage",
            "pipeline",
            "description",
            "source",
            "createdAt",
            "createdBy",
            "updatedAt",
            "updatedBy",
            "assetEdges",
            "tempLineageTables",
        ],
        "org.openmetadata.schema.type.LineageDetails",
    )?;
    if let Some(source) = details.get("source") {
        let text = source.as_str().unwrap_or_default();
        if !LINEAGE_SOURCES.contains(&text) {
            return Err(error(
                400,
                &format!(
                    "Unable to process JSON: Cannot construct instance of `org.openmetadata.schema.type.LineageDetails$Source`, problem: {source}; accepted values: [{}]",
                    LINEAGE_SOURCES.join(", ")
                ),
            ));
        }
    }
    if details
        .get("columnsLineage")
        .and_then(Value::as_array)
        .is_some_and(|c| !c.is_empty())
    {
        return Err(error(
            400,
            "columnsLineage: column lineage validation (LineageRepository.validateLineageDetails) is not ported to the contract server",
        ));
    }
    if details.contains_key("pipeline") {
        return Err(error(
            400,
            "lineageDetails.pipeline: not ported to the contract server",
        ));
    }
    // Both ends must exist, by type and id, and not be deleted.
    reference(shared, &from_type, &from_id, false)?;
    reference(shared, &to_type, &to_id, false)?;
    let now = now_ms();
    details.insert("createdAt".into(), json!(now));
    details.insert("createdBy".into(), json!(BOT));
    details.insert("updatedAt".into(), json!(now));
    details.insert("updatedBy".into(), json!(BOT));
    lock(&shared.store).lineage.add_edge(
        (&from_type, &from_id),
        (&to_type, &to_id),
        Value::Object(details),
    );
    Ok(Response::ok(Value::Null))
}

/// `GET /v1/lineage/{entity}/name/{fqn}` (`LineageRepository.getByName`), one hop.
fn get_lineage(shared: &Shared, entity: &str, fqn: &str, params: &Params) -> Handled {
    for key in ["upstreamDepth", "downstreamDepth"] {
        if let Some(v) = params.get(key) {
            if v.parse::<u32>().is_err() {
                return Err(error(400, &format!("query param {key} must be a number")));
            }
        }
    }
    let up = params.get("upstreamDepth").unwrap_or("1") != "0";
    let down = params.get("downstreamDepth").unwrap_or("1") != "0";
    let id = {
        let store = lock(&shared.store);
        let found = match entity {
            "table" => store.get(Kind::Table, fqn).cloned(),
            other => store.lineage.get(other, fqn).cloned(),
        };
        match found {
            Some(e) if !is_deleted(&e) => e["id"].as_str().unwrap_or_default().to_string(),
            _ => {
                return Err(error(
                    404,
                    &format!("{entity} instance for {fqn} not found"),
                ))
            }
        }
    };
    let primary = reference(shared, entity, &id, false)?;
    let edges: Vec<((String, String), Edge)> = lock(&shared.store)
        .lineage
        .edges
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut nodes: Vec<Value> = Vec::new();
    let mut upstream = Vec::new();
    let mut downstream = Vec::new();
    for ((from, to), e) in edges {
        if down && from == id {
            if let Ok(node) = reference(shared, &e.to_type, &to, true) {
                nodes.push(node);
                downstream
                    .push(json!({"fromEntity": from, "toEntity": to, "lineageDetails": e.details}));
            }
        }
        if up && to == id {
            if let Ok(node) = reference(shared, &e.from_type, &from, true) {
                nodes.push(node);
                upstream
                    .push(json!({"fromEntity": from, "toEntity": to, "lineageDetails": e.details}));
            }
        }
    }
    nodes.dedup();
    Ok(Response::ok(json!({
        "entity": primary,
        "nodes": nodes,
        "upstreamEdges": upstream,
        "downstreamEdges": downstream,
    })))
}

/// `DELETE /v1/lineage/{fromEntity}/{fromId}/{toEntity}/{toId}`
/// (`LineageRepository.deleteLineage`: ends looked up with `Include.ALL`; no edge is 404).
fn delete_lineage(
    shared: &Shared,
    from_type: &str,
    from_id: &str,
    to_type: &str,
    to_id: &str,
) -> Handled {
    reference(shared, from_type, from_id, true)?;
    reference(shared, to_type, to_id, true)?;
    let removed = lock(&shared.store)
        .lineage
        .edges
        .remove(&(from_id.to_string(), to_id.to_string()));
    match removed {
        Some(_) => Ok(Response::ok(Value::Null)),
        None => Err(error(
            404,
            &format!("Lineage edge not found between {from_type} {from_id} and {to_type} {to_id}"),
        )),
    }
}

/// `GET /v1/search/fieldQuery`: the container index by `fullPath` (exact, a keyword).
fn field_query(shared: &Shared, params: &Params) -> Handled {
    let (Some(field), Some(value)) = (params.get("fieldName"), params.get("fieldValue")) else {
        return Err(error(400, "fieldName and fieldValue are required"));
    };
    let index = params.get("index").unwrap_or("table_search_index");
    let kind = match index {
        "container_search_index" => "container",
        "topic_search_index" => "topic",
        "pipeline_search_index" => "pipeline",
        other => {
            return Err(error(
                400,
                &format!(
                    "the contract server searches containers, topics and pipelines, not {other}"
                ),
            ))
        }
    };
    let with_deleted = params.get("deleted") == Some("true");
    let store = lock(&shared.store);
    let hits: Vec<Value> = store
        .lineage
        .all(kind)
        .into_iter()
        .filter(|e| is_deleted(e) == with_deleted)
        .filter(|e| e.get(field).and_then(Value::as_str) == Some(value))
        .map(|e| json!({"_index": index, "_id": e["id"], "_source": e}))
        .collect();
    Ok(Response::ok(json!({
        "hits": {"total": {"value": hits.len(), "relation": "eq"}, "hits": hits}
    })))
}

fn check_name(body: &Value) -> Result<String, Response> {
    let name = body["name"]
        .as_str()
        .ok_or_else(|| error(400, "[query param name must not be null]"))?;
    let violations = names::name_violations(name);
    if !violations.is_empty() {
        return Err(error(
            400,
            &format!("[query param name {}]", violations.join(", ")),
        ));
    }
    Ok(name.to_string())
}

/// Create or update: the stored entity keeps its id; 201 on create, 200 on update.
fn upsert(
    shared: &Shared,
    kind: &'static str,
    fqn: String,
    mut entity: Map<String, Value>,
) -> Handled {
    let mut store = lock(&shared.store);
    let previous = store.lineage.get(kind, &fqn).cloned();
    let status = if previous.is_some() { 200 } else { 201 };
    let id = previous
        .as_ref()
        .and_then(|p| p["id"].as_str().map(str::to_string))
        .unwrap_or_else(uuid_v4);
    entity.insert("id".into(), json!(id));
    entity.insert("fullyQualifiedName".into(), json!(fqn));
    entity.insert("updatedAt".into(), json!(now_ms()));
    entity.insert("updatedBy".into(), json!(BOT));
    entity.insert("deleted".into(), json!(false));
    let version = previous
        .as_ref()
        .and_then(|p| p["version"].as_f64())
        .map(|v| ((v * 10.0).round() + 1.0) / 10.0)
        .unwrap_or(0.1);
    entity.insert("version".into(), json!(version));
    let entity = Value::Object(entity);
    store.lineage.put(kind, entity.clone());
    Ok(Response {
        status,
        body: entity,
        headers: Vec::new(),
    })
}

/// `PUT /v1/services/pipelineServices` (`CreatePipelineService`).
fn put_pipeline_service(shared: &Shared, req: &Request) -> Handled {
    let body = json_body(req, "application/json")?;
    unknown_fields(
        &body,
        &[
            "name",
            "displayName",
            "description",
            "serviceType",
            "connection",
            "tags",
            "style",
            "owners",
            "scheduleInterval",
            "dataProducts",
            "domains",
            "lifeCycle",
            "ingestionRunner",
        ],
        "org.openmetadata.schema.api.services.CreatePipelineService",
    )?;
    let name = check_name(&body)?;
    let service_type = body["serviceType"].as_str().unwrap_or_default();
    if !PIPELINE_SERVICE_TYPES.contains(&service_type) {
        return Err(error(
            400,
            &format!(
                "Unable to process JSON: serviceType {:?} is not one of [{}]",
                body["serviceType"],
                PIPELINE_SERVICE_TYPES.join(", ")
            ),
        ));
    }
    let mut entity = body.as_object().cloned().unwrap_or_default();
    entity.insert("name".into(), json!(name));
    let fqn = names::quote_name(&name).map_err(Response::from)?;
    upsert(shared, "pipelineService", fqn, entity)
}

/// `PUT /v1/pipelines` (`CreatePipeline`): its `service` must exist.
fn put_pipeline(shared: &Shared, req: &Request) -> Handled {
    let body = json_body(req, "application/json")?;
    unknown_fields(
        &body,
        &[
            "name",
            "displayName",
            "description",
            "dataProducts",
            "sourceUrl",
            "concurrency",
            "pipelineLocation",
            "startDate",
            "tasks",
            "state",
            "tags",
            "owners",
            "service",
            "extension",
            "scheduleInterval",
            "domains",
            "lifeCycle",
            "sourceHash",
        ],
        "org.openmetadata.schema.api.data.CreatePipeline",
    )?;
    let name = check_name(&body)?;
    let service = body["service"]
        .as_str()
        .ok_or_else(|| error(400, "[query param service must not be null]"))?;
    let service_entity = lock(&shared.store)
        .lineage
        .get("pipelineService", service)
        .cloned()
        .ok_or_else(|| {
            error(
                404,
                &format!("pipelineService instance for {service} not found"),
            )
        })?;
    let mut entity = body.as_object().cloned().unwrap_or_default();
    entity.insert(
        "service".into(),
        json!({
            "id": service_entity["id"],
            "type": "pipelineService",
            "name": service_entity["name"],
            "fullyQualifiedName": service_entity["fullyQualifiedName"],
        }),
    );
    entity.insert("serviceType".into(), service_entity["serviceType"].clone());
    let fqn = names::add(service, &name).map_err(Response::from)?;
    upsert(shared, "pipeline", fqn, entity)
}

/// `POST /v1/usage/{entity}/{id}` (`UsageResource.create`): a `DailyCount`; the day's
/// count is replaced (`insertOrReplaceCount`).
fn post_usage(shared: &Shared, req: &Request, entity: &str, id: &str) -> Handled {
    let body = json_body(req, "application/json")?;
    unknown_fields(
        &body,
        &["count", "date"],
        "org.openmetadata.schema.type.DailyCount",
    )?;
    let count = match &body["count"] {
        Value::Number(n) => match n.as_i64() {
            Some(c) if c > i64::from(i32::MAX) || c < i64::from(i32::MIN) => {
                return Err(error(
                    400,
                    &format!("Unable to process JSON: Numeric value ({c}) out of range of int (-2147483648 - 2147483647)"),
                ))
            }
            Some(c) if c < 0 => {
                return Err(error(400, "[query param count must be greater than or equal to 0]"))
            }
            Some(c) => c,
            None => return Err(error(400, "Unable to process JSON: count must be an integer")),
        },
        Value::Null => return Err(error(400, "[query param count must not be null]")),
        other => {
            return Err(error(
                400,
                &format!("Unable to process JSON: Cannot deserialize value of type `java.lang.Integer` from {other}"),
            ))
        }
    };
    let date = body["date"]
        .as_str()
        .ok_or_else(|| error(400, "[query param date must not be null]"))?;
    if !is_date(date) {
        return Err(error(
            400,
            &format!("Unable to process JSON: date {date:?} is not a date (yyyy-MM-dd)"),
        ));
    }
    reference(shared, entity, id, false)?;
    lock(&shared.store)
        .lineage
        .usage
        .insert((id.to_string(), date.to_string()), count);
    Ok(Response {
        status: 201,
        body: json!({"entity": {"id": id, "type": entity}, "usage": [{"date": date, "dailyStats": {"count": count}}]}),
        headers: Vec::new(),
    })
}

fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && text
            .chars()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&text[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&text[8..10].parse::<u32>().unwrap_or(0))
}

/// `GET /v1/usage/{entity}/{id}`: the stored days.
fn get_usage(shared: &Shared, entity: &str, id: &str) -> Handled {
    reference(shared, entity, id, false)?;
    let usage: Vec<Value> = lock(&shared.store)
        .lineage
        .usage(id)
        .into_iter()
        .map(|(date, count)| json!({"date": date, "dailyStats": {"count": count}}))
        .collect();
    Ok(Response::ok(
        json!({"entity": {"id": id, "type": entity}, "usage": usage}),
    ))
}

/// `POST /v1/usage/compute.percentile/{entity}/{date}` (`UsageResource.computePercentile`).
fn compute_percentile(shared: &Shared, entity: &str, date: &str) -> Handled {
    if !is_date(date) {
        return Err(error(
            400,
            &format!("date {date:?} is not a date (yyyy-MM-dd)"),
        ));
    }
    lock(&shared.store)
        .lineage
        .percentiles
        .push(format!("{entity}/{date}"));
    Ok(Response::ok(Value::Null))
}
