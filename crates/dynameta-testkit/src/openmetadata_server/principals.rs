//! Users and teams (registered by tests), the search route OpenMetadata's client uses to
//! find a user by e-mail, and the owner rules of an entity.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::http::Request;
use super::routes::{error, Handled, Params, Response};
use super::state::{api_error, now_ms, uuid_v4, ApiError, Store};
use super::{lock, Shared};

/// Users and teams by name.
#[derive(Debug, Default)]
pub(super) struct Principals {
    users: BTreeMap<String, Value>,
    teams: BTreeMap<String, Value>,
}

impl Principals {
    /// Adds a user; returns its id.
    pub fn add_user(&mut self, name: &str, email: &str) -> String {
        let id = uuid_v4();
        self.users.insert(
            name.to_string(),
            json!({
                "id": id, "name": name, "fullyQualifiedName": name, "email": email,
                "isBot": false, "isAdmin": false, "deleted": false, "version": 0.1,
                "updatedAt": now_ms(), "updatedBy": "admin",
            }),
        );
        id
    }

    /// Adds a team of `team_type` (`Group`, `Department`, `Division`, `BusinessUnit`,
    /// `Organization`); returns its id.
    pub fn add_team(&mut self, name: &str, team_type: &str) -> String {
        let id = uuid_v4();
        self.teams.insert(
            name.to_string(),
            json!({
                "id": id, "name": name, "fullyQualifiedName": name, "teamType": team_type,
                "deleted": false, "version": 0.1, "updatedAt": now_ms(), "updatedBy": "admin",
            }),
        );
        id
    }

    fn by_id<'a>(map: &'a BTreeMap<String, Value>, id: &str) -> Option<&'a Value> {
        map.values().find(|e| e["id"] == id)
    }

    /// Validates the owners of an entity and returns them as stored (full references).
    ///
    /// Each owner, in order (openmetadata-service/.../jdbi3/EntityRepository.java,
    /// validateOwner, and the owner hydration of the 2.0 reference validator):
    /// * no `type`: 400 `Owner type must be specified for owner with id [<id>]`;
    /// * `team`: must exist (404 `team instance for <id> not found`) and be of type
    ///   Group (400 `CatalogExceptionMessage.invalidTeamOwner`);
    /// * `user`: must exist, not deleted (404 `user instance for <id> not found`);
    /// * any other type: 400 `CatalogExceptionMessage.invalidOwnerType`.
    ///
    /// Then the system entity rule "Multiple Users or Single Team Ownership"
    /// (`RuleEngine`, `JsonLogicUtils` operation `multipleUsersOrSingleTeamOwnership`:
    /// more than one team, or a team with users, fails): answered 400 with
    /// `CatalogExceptionMessage.noTeamAndUserComboAllowed`'s text (the rule engine's own
    /// wording of the failure was not verified).
    pub fn validate_owners(&self, owners: Option<&Value>) -> Result<Option<Value>, ApiError> {
        let Some(list) = owners.and_then(Value::as_array) else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for owner in list {
            let id = owner.get("id").and_then(Value::as_str).unwrap_or_default();
            let found = match owner.get("type").and_then(Value::as_str) {
                None => {
                    return Err(api_error(
                        400,
                        format!("Owner type must be specified for owner with id [{id}]"),
                    ))
                }
                Some("team") => {
                    let team = Self::by_id(&self.teams, id).ok_or_else(|| {
                        api_error(404, format!("team instance for {id} not found"))
                    })?;
                    let team_type = team["teamType"].as_str().unwrap_or_default();
                    if team_type != "Group" {
                        return Err(api_error(
                            400,
                            format!("Team of type {team_type} can't own entities. Only Team of type Group can own entities."),
                        ));
                    }
                    reference(team, "team")
                }
                Some("user") => {
                    let user = Self::by_id(&self.users, id)
                        .filter(|u| u["deleted"] != true)
                        .ok_or_else(|| api_error(404, format!("user instance for {id} not found")))?;
                    reference(user, "user")
                }
                Some(other) => {
                    return Err(api_error(
                        400,
                        format!("Entity of type {other} can't be the owner. Only Team of type Group or a User can own entities."),
                    ))
                }
            };
            out.push(found);
        }
        let teams = out.iter().filter(|o| o["type"] == "team").count();
        if teams > 1 || (teams == 1 && out.len() > 1) {
            return Err(api_error(
                400,
                "Data Assets can have up to 5 users or a Team but not both as owners.",
            ));
        }
        Ok(Some(Value::Array(out)))
    }
}

fn reference(entity: &Value, kind: &str) -> Value {
    json!({
        "id": entity["id"],
        "type": kind,
        "name": entity["name"],
        "fullyQualifiedName": entity["fullyQualifiedName"],
        "deleted": false,
    })
}

/// Answers `/users/name/{name}`, `/teams/name/{name}` and `/search/query`.
pub(super) fn handle(
    shared: &Shared,
    req: &Request,
    segments: &[String],
    params: &Params,
) -> Response {
    let rest: Vec<&str> = segments.iter().map(String::as_str).collect();
    let result = match (req.method.as_str(), rest.as_slice()) {
        ("GET", ["users", "name", name]) => by_name(&lock(&shared.store), "user", name),
        ("GET", ["teams", "name", name]) => by_name(&lock(&shared.store), "team", name),
        ("GET", ["search", "query"]) => search(&lock(&shared.store), params),
        _ => Err(error(404, "HTTP 404 Not Found")),
    };
    result.unwrap_or_else(|e| e)
}

fn by_name(store: &Store, kind: &str, name: &str) -> Handled {
    let map = if kind == "user" {
        &store.principals.users
    } else {
        &store.principals.teams
    };
    match map.get(name) {
        Some(e) => Ok(Response::ok(e.clone())),
        None => Err(error(404, &format!("{kind} instance for {name} not found"))),
    }
}

/// `GET /search/query?q=email.keyword:<email>&index=user_search_index|team_search_index`
/// as OpenMetadata's client sends it (`OMetaUserMixin.email_search_query_es`): an
/// Elasticsearch answer whose hits carry the entity in `_source`. Only the e-mail
/// query is modelled; any other `q` is a 400 naming what is supported.
///
/// Upstream: openmetadata-service/.../resources/search/SearchResource.java, search.
fn search(store: &Store, params: &Params) -> Handled {
    let index = params.get("index").unwrap_or_default();
    let map = match index {
        "user_search_index" => &store.principals.users,
        "team_search_index" => &store.principals.teams,
        other => {
            return Err(error(
                400,
                &format!("this contract server searches user_search_index and team_search_index only, not {other:?}"),
            ))
        }
    };
    let q = params.get("q").unwrap_or_default();
    let Some(email) = q.strip_prefix("email.keyword:") else {
        return Err(error(
            400,
            &format!("this contract server answers q=email.keyword:<email> only, not {q:?}"),
        ));
    };
    let email = email.trim_matches('"');
    let hits: Vec<Value> = map
        .values()
        .filter(|e| e["email"].as_str() == Some(email))
        .map(|e| json!({"_index": index, "_id": e["id"], "_source": e}))
        .collect();
    Ok(Response::ok(json!({
        "took": 1,
        "timed_out": false,
        "hits": {"total": {"value": hits.len(), "relation": "eq"}, "hits": hits},
    })))
}
