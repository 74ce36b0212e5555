//! Lineage and usage calls of the OpenMetadata REST sink: table and far-end lookups,
//! the pipeline service and pipelines dynameta creates for stream consumers,
//! `PUT /v1/lineage`, the table's current downstream edges, `DELETE /v1/lineage/...`,
//! and `POST /v1/usage/...`.

use reqwest::Method;
use serde_json::{json, Value};

use super::{Client, RestConfig, RestError};
use crate::openmetadata::fqn;
use crate::processors::lineage::{ExistingEdge, EDGE_SOURCE};

const JSON: &str = "application/json";

/// OpenMetadata's search index of containers (what `es_search_container_by_path` asks).
const CONTAINER_INDEX: &str = "container_search_index";

/// A client for the lineage and usage calls.
#[derive(Debug, Clone)]
pub struct LineageClient {
    client: Client,
}

/// An entity found: its id and fully qualified name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Entity id.
    pub id: String,
    /// Its FQN (or `fullPath` for a container found by path).
    pub name: String,
}

impl LineageClient {
    /// Connects: asks the server's version and refuses unsupported ones, before any
    /// AWS work.
    pub async fn connect(config: RestConfig) -> Result<LineageClient, RestError> {
        let (client, _server) = super::connect_checked(config).await?;
        Ok(LineageClient { client })
    }

    /// `GET {collection}/name/{fqn}`: the entity's id, `None` on 404.
    async fn by_name(&self, collection: &str, name: &str) -> Result<Option<Found>, RestError> {
        let path = format!("/v1/{collection}/name/{}", fqn::url_encode(name));
        match self.client.send(Method::GET, &path, &[], None, JSON).await {
            Ok(answer) => Ok(found(&answer.body)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The table entity of `table_fqn`, `None` when OpenMetadata does not have it.
    pub async fn table(&self, table_fqn: &str) -> Result<Option<Found>, RestError> {
        self.by_name("tables", table_fqn).await
    }

    /// The topic `stream` of messaging service `service`, `None` when missing.
    pub async fn topic(&self, service: &str, stream: &str) -> Result<Option<Found>, RestError> {
        self.by_name("topics", &fqn::build(&[service, stream]))
            .await
    }

    /// The first container whose `fullPath` is one of `paths`, tried in order
    /// (`GET /v1/search/fieldQuery`, as OpenMetadata's external-table lineage does).
    pub async fn container(&self, paths: &[String]) -> Result<Option<Found>, RestError> {
        for path in paths {
            let answer = self
                .client
                .send(
                    Method::GET,
                    "/v1/search/fieldQuery",
                    &[
                        ("fieldName", "fullPath"),
                        ("fieldValue", path),
                        ("from", "0"),
                        ("size", "10"),
                        ("index", CONTAINER_INDEX),
                        ("deleted", "false"),
                    ],
                    None,
                    JSON,
                )
                .await?;
            let hits = answer.body["hits"]["hits"].as_array().cloned();
            // An exact match only: the search's analyzer could also return neighbours.
            let hit = hits.unwrap_or_default().into_iter().find_map(|h| {
                let source = &h["_source"];
                (source["fullPath"].as_str() == Some(path.as_str()))
                    .then(|| source["id"].as_str().map(str::to_string))
                    .flatten()
            });
            if let Some(id) = hit {
                return Ok(Some(Found {
                    id,
                    name: path.clone(),
                }));
            }
        }
        Ok(None)
    }

    /// Creates (or keeps) the `CustomPipeline` pipeline service `name`.
    pub async fn ensure_pipeline_service(&self, name: &str) -> Result<(), RestError> {
        let body = json!({
            "name": name,
            "serviceType": "CustomPipeline",
            "description": "Readers of DynamoDB streams (Lambda event source mappings, EventBridge Pipes), created by dynameta lineage.",
            "connection": {"config": {"type": "CustomPipeline"}},
        });
        self.client
            .send(
                Method::PUT,
                "/v1/services/pipelineServices",
                &[],
                Some(&body),
                JSON,
            )
            .await?;
        Ok(())
    }

    /// Creates (or updates) pipeline `name` of `service`; returns it.
    pub async fn ensure_pipeline(
        &self,
        service: &str,
        name: &str,
        display_name: &str,
        description: &str,
    ) -> Result<Found, RestError> {
        let body = json!({
            "name": name,
            "displayName": display_name,
            "description": description,
            "service": service,
        });
        let answer = self
            .client
            .send(Method::PUT, "/v1/pipelines", &[], Some(&body), JSON)
            .await?;
        found(&answer.body).ok_or_else(|| RestError::Status {
            method: "PUT".into(),
            path: "/v1/pipelines".into(),
            status: answer.status,
            message: "the answer holds no pipeline id".into(),
        })
    }

    /// `PUT /v1/lineage`: the edge table → (`to_type`, `to_id`), marked as dynameta's.
    pub async fn add_edge(
        &self,
        table_id: &str,
        to_type: &str,
        to_id: &str,
        description: &str,
    ) -> Result<(), RestError> {
        let body = add_lineage_body(table_id, to_type, to_id, description);
        self.client
            .send(Method::PUT, "/v1/lineage", &[], Some(&body), JSON)
            .await?;
        Ok(())
    }

    /// The table's downstream edges (`GET /v1/lineage/table/name/{fqn}`, depth 1).
    pub async fn downstream(&self, table_fqn: &str) -> Result<Vec<ExistingEdge>, RestError> {
        let path = format!("/v1/lineage/table/name/{}", fqn::url_encode(table_fqn));
        let answer = self
            .client
            .send(
                Method::GET,
                &path,
                &[("upstreamDepth", "0"), ("downstreamDepth", "1")],
                None,
                JSON,
            )
            .await?;
        Ok(existing_edges(&answer.body))
    }

    /// `DELETE /v1/lineage/table/{id}/{type}/{id}`. An edge already gone is no error.
    pub async fn delete_edge(
        &self,
        table_id: &str,
        to_type: &str,
        to_id: &str,
    ) -> Result<(), RestError> {
        let path = format!(
            "/v1/lineage/table/{}/{}/{}",
            fqn::url_encode(table_id),
            fqn::url_encode(to_type),
            fqn::url_encode(to_id)
        );
        match self
            .client
            .send(Method::DELETE, &path, &[], None, JSON)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.status() == Some(404) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `POST /v1/usage/table/{id}` with `{date, count}`: the day's count (the server
    /// replaces what it had for that day).
    pub async fn post_usage(
        &self,
        table_id: &str,
        date: &str,
        count: u32,
    ) -> Result<(), RestError> {
        let body = json!({ "date": date, "count": count });
        let path = format!("/v1/usage/table/{}", fqn::url_encode(table_id));
        self.client
            .send(Method::POST, &path, &[], Some(&body), JSON)
            .await?;
        Ok(())
    }

    /// `POST /v1/usage/compute.percentile/table/{date}`: the server ranks every
    /// table's usage of that day.
    pub async fn compute_percentile(&self, date: &str) -> Result<(), RestError> {
        let path = format!(
            "/v1/usage/compute.percentile/table/{}",
            fqn::url_encode(date)
        );
        self.client
            .send(Method::POST, &path, &[], None, JSON)
            .await?;
        Ok(())
    }
}

fn found(body: &Value) -> Option<Found> {
    Some(Found {
        id: body.get("id")?.as_str()?.to_string(),
        name: body
            .get("fullyQualifiedName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

/// The `AddLineageRequest` of an edge from a table.
pub fn add_lineage_body(table_id: &str, to_type: &str, to_id: &str, description: &str) -> Value {
    json!({
        "edge": {
            "fromEntity": {"id": table_id, "type": "table"},
            "toEntity": {"id": to_id, "type": to_type},
            "lineageDetails": {
                "description": description,
                "source": EDGE_SOURCE,
            },
        }
    })
}

/// The downstream edges of an `EntityLineage` answer, with each far end's type and
/// name from `nodes`.
pub fn existing_edges(body: &Value) -> Vec<ExistingEdge> {
    let nodes = body["nodes"].as_array().cloned().unwrap_or_default();
    let node = |id: &str| nodes.iter().find(|n| n["id"].as_str() == Some(id));
    body["downstreamEdges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .filter_map(|e| {
                    let to_id = e["toEntity"].as_str()?.to_string();
                    let n = node(&to_id)?;
                    Some(ExistingEdge {
                        to_type: n["type"].as_str()?.to_string(),
                        to_name: n["fullyQualifiedName"]
                            .as_str()
                            .unwrap_or(&to_id)
                            .to_string(),
                        to_id,
                        description: e["lineageDetails"]["description"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_downstream_edges_with_their_node_types() {
        let body = json!({
            "entity": {"id": "t", "type": "table"},
            "nodes": [
                {"id": "c", "type": "container", "fullyQualifiedName": "s3.bkt"},
                {"id": "u", "type": "table", "fullyQualifiedName": "x.y.z.up"}
            ],
            "upstreamEdges": [{"fromEntity": "u", "toEntity": "t"}],
            "downstreamEdges": [
                {"fromEntity": "t", "toEntity": "c", "lineageDetails": {"description": "dynameta: x", "source": "PipelineLineage"}},
                {"fromEntity": "t", "toEntity": "missing"}
            ]
        });
        let edges = existing_edges(&body);
        assert_eq!(edges.len(), 1);
        assert_eq!(edges[0].to_type, "container");
        assert_eq!(edges[0].to_name, "s3.bkt");
        assert!(edges[0].is_ours());
    }
}
