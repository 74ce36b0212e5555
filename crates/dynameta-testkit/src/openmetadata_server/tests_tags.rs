//! Tests of the classification, tag, user/team, search and owner rules
//! (`classifications.rs`, `principals.rs`, `tags.rs`): each rule gets the body a naive
//! client would send and the answer 2.0.7 gives.

use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::{json, Value};

use super::*;

#[derive(Debug)]
struct Reply {
    status: u16,
    change: Option<String>,
    body: Value,
}

impl Reply {
    fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }
}

/// One request on a fresh connection (`Connection: close`).
fn call(om: &ContractServer, method: &str, path: &str, body: Option<&Value>, media: &str) -> Reply {
    let addr = om.endpoint().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let text = body.map(Value::to_string).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    if body.is_some() {
        head.push_str(&format!("Content-Type: {media}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n{text}", text.len()));
    stream.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let change = head
        .lines()
        .find_map(|l| l.strip_prefix("x-openmetadata-change: "))
        .map(str::to_string);
    Reply {
        status,
        change,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    }
}

fn put(om: &ContractServer, path: &str, body: Value) -> Reply {
    call(om, "PUT", path, Some(&body), "application/json")
}

fn get(om: &ContractServer, path: &str) -> Reply {
    call(om, "GET", path, None, "")
}

fn patch(om: &ContractServer, path: &str, ops: Value) -> Reply {
    call(om, "PATCH", path, Some(&ops), "application/json-patch+json")
}

/// A server with service `svc`, database and schema `default`, table `orders`.
fn server() -> (ContractServer, String) {
    let om = ContractServer::start("2.0.7", None);
    let svc = json!({"name": "svc", "serviceType": "DynamoDB",
        "connection": {"config": {"type": "DynamoDB", "awsConfig": {"awsRegion": "us-east-1"}}}});
    assert_eq!(
        put(&om, "/api/v1/services/databaseServices", svc).status,
        201
    );
    assert_eq!(
        put(
            &om,
            "/api/v1/databases",
            json!({"name": "default", "service": "svc"})
        )
        .status,
        201
    );
    assert_eq!(
        put(
            &om,
            "/api/v1/databaseSchemas",
            json!({"name": "default", "database": "svc.default"})
        )
        .status,
        201
    );
    let r = put(&om, "/api/v1/tables", table(None));
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body["id"].as_str().unwrap().to_string();
    (om, id)
}

fn table(owners: Option<Value>) -> Value {
    let mut t = json!({"name": "orders", "databaseSchema": "svc.default.default", "tableType": "Regular",
        "columns": [{"name": "id", "dataType": "STRING"}]});
    if let Some(o) = owners {
        t["owners"] = o;
    }
    t
}

fn label(fqn: &str) -> Value {
    json!({"tagFQN": fqn, "source": "Classification", "labelType": "Automated", "state": "Suggested"})
}

fn set_tags(om: &ContractServer, id: &str, tags: Value) -> Reply {
    patch(
        om,
        &format!("/api/v1/tables/{id}"),
        json!([{"op": "add", "path": "/tags", "value": tags}]),
    )
}

#[test]
fn classifications_and_tags_are_created_by_put_and_read_by_name() {
    let (om, id) = server();
    // A label of a tag that does not exist yet: TagLabelUtil.applyTagCommonFields.
    let r = set_tags(&om, &id, json!([label("\"cost.center\".cc-1")]));
    assert_eq!(
        (r.status, r.message()),
        (404, "tag instance for \"cost.center\".cc-1 not found")
    );
    let r = put(
        &om,
        "/api/v1/classifications",
        json!({"name": "cost.center", "description": "AWS key"}),
    );
    assert_eq!(
        (r.status, r.change.as_deref()),
        (201, Some("entityCreated")),
        "{r:?}"
    );
    assert_eq!(r.body["fullyQualifiedName"], "\"cost.center\"");
    assert_eq!(r.body["mutuallyExclusive"], false);
    let r = put(
        &om,
        "/api/v1/classifications",
        json!({"name": "cost.center", "description": "other"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["description"], "AWS key",
        "a bot never replaces a description"
    );
    // The classification a tag names must exist (TagMapper.createToEntity).
    let r = put(
        &om,
        "/api/v1/tags",
        json!({"classification": "nope", "name": "x", "description": "d"}),
    );
    assert_eq!(
        (r.status, r.message()),
        (404, "classification instance for nope not found")
    );
    let r = put(
        &om,
        "/api/v1/tags",
        json!({"classification": "\"cost.center\"", "name": "cc-1", "description": "d"}),
    );
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["fullyQualifiedName"], "\"cost.center\".cc-1");
    assert_eq!(r.body["classification"]["name"], "cost.center");
    let r = get(&om, "/api/v1/tags/name/%22cost.center%22.cc-1");
    assert_eq!(r.status, 200);
    let r = get(&om, "/api/v1/classifications/name/missing");
    assert_eq!(
        (r.status, r.message()),
        (404, "classification instance for missing not found")
    );
    let r = get(&om, "/api/v1/classifications/name/Tier");
    assert_eq!(
        (r.status, r.body["mutuallyExclusive"].clone()),
        (200, json!(true)),
        "seeded"
    );
    let r = set_tags(&om, &id, json!([label("\"cost.center\".cc-1")]));
    assert_eq!(r.status, 200, "{r:?}");
}

#[test]
fn names_and_bodies_are_checked() {
    let (om, _) = server();
    let r = put(
        &om,
        "/api/v1/classifications",
        json!({"name": "a::b", "description": "d"}),
    );
    assert_eq!(r.status, 400);
    assert!(
        r.message().starts_with("[query param name must match"),
        "{}",
        r.message()
    );
    let r = put(
        &om,
        "/api/v1/classifications",
        json!({"name": "x".repeat(257), "description": "d"}),
    );
    assert_eq!(
        r.message(),
        "[query param name size must be between 1 and 256]"
    );
    let r = put(&om, "/api/v1/classifications", json!({"name": "nodesc"}));
    assert_eq!(r.status, 400);
    assert!(r.message().contains("description"), "{}", r.message());
    let r = put(
        &om,
        "/api/v1/tags",
        json!({"classification": "Tier", "name": "T", "description": "d", "colour": 1}),
    );
    assert_eq!(r.status, 400, "unknown field: {r:?}");
}

#[test]
fn mutually_exclusive_and_disabled_tags_are_refused() {
    let (om, id) = server();
    let r = set_tags(&om, &id, json!([label("Tier.Tier1"), label("Tier.Tier2")]));
    assert_eq!(
        (r.status, r.message()),
        (400, "Tag labels Tier.Tier2 and Tier.Tier1 are mutually exclusive and can't be assigned together")
    );
    om.add_tag("Team.payments", false);
    om.disable_tag("Team.payments");
    assert_eq!(om.tag("Team.payments").unwrap()["disabled"], true);
    let r = set_tags(&om, &id, json!([label("Team.payments")]));
    assert_eq!(
        (r.status, r.message()),
        (
            400,
            "Tag label Team.payments is disabled and can't be assigned to a data asset."
        )
    );
}

#[test]
fn users_teams_and_the_email_search() {
    let (om, _) = server();
    let ann = om.add_user("ann", "ann@example.com");
    om.add_team("payments", "Group");
    let r = get(&om, "/api/v1/users/name/ann");
    assert_eq!((r.status, r.body["id"].as_str()), (200, Some(ann.as_str())));
    let r = get(&om, "/api/v1/teams/name/payments");
    assert_eq!(r.body["teamType"], "Group");
    let r = get(&om, "/api/v1/users/name/bob");
    assert_eq!(
        (r.status, r.message()),
        (404, "user instance for bob not found")
    );
    let r = get(&om, "/api/v1/search/query?q=email.keyword:ann@example.com&from=0&size=1&index=user_search_index");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["hits"]["hits"][0]["_source"]["fullyQualifiedName"],
        "ann"
    );
    let r = get(
        &om,
        "/api/v1/search/query?q=email.keyword:nobody@example.com&index=user_search_index",
    );
    assert_eq!(r.body["hits"]["hits"], json!([]));
}

#[test]
fn owners_must_exist_and_follow_the_rules() {
    let (om, id) = server();
    let ann = om.add_user("ann", "ann@example.com");
    let bob = om.add_user("bob", "bob@example.com");
    let group = om.add_team("payments", "Group");
    let dept = om.add_team("engineering", "Department");
    let owners = |o: Value| put(&om, "/api/v1/tables", table(Some(o)));
    let missing = "00000000-0000-4000-8000-000000000000";
    let r = owners(json!([{"id": missing, "type": "user"}]));
    assert_eq!(
        (r.status, r.message().to_string()),
        (404, format!("user instance for {missing} not found"))
    );
    let r = owners(json!([{"id": dept, "type": "team"}]));
    assert_eq!(
        (r.status, r.message()),
        (
            400,
            "Team of type Department can't own entities. Only Team of type Group can own entities."
        )
    );
    let r = owners(json!([{"id": group, "type": "team"}, {"id": ann, "type": "user"}]));
    assert_eq!(
        (r.status, r.message()),
        (
            400,
            "Data Assets can have up to 5 users or a Team but not both as owners."
        )
    );
    let r = owners(json!([{"id": ann, "type": "database"}]));
    assert_eq!(r.status, 400);
    assert!(
        r.message()
            .starts_with("Entity of type database can't be the owner"),
        "{}",
        r.message()
    );
    let r = owners(json!([{"id": ann, "type": "user"}, {"id": bob, "type": "user"}]));
    assert_eq!(r.status, 200, "{r:?}");
    let stored = om.entity("table", "svc.default.default.orders").unwrap();
    assert_eq!(
        stored["owners"][0]["name"], "ann",
        "references are completed"
    );
    // PATCH is held to the same rules.
    let r = patch(
        &om,
        &format!("/api/v1/tables/{id}"),
        json!([{"op": "replace", "path": "/owners", "value": [{"id": dept, "type": "team"}]}]),
    );
    assert_eq!(r.status, 400, "{r:?}");
    let r = patch(
        &om,
        &format!("/api/v1/tables/{id}"),
        json!([{"op": "replace", "path": "/owners", "value": [{"id": group, "type": "team"}]}]),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let r = get(
        &om,
        "/api/v1/tables/name/svc.default.default.orders?fields=owners",
    );
    assert_eq!(r.body["owners"][0]["name"], "payments");
}
