//! Tests of the contract server over real loopback connections, with a tiny HTTP/1.1
//! client.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use serde_json::{json, Value};

use super::*;

/// An answer as the client read it.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }
}

/// One keep-alive connection to the server.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    jwt: Option<String>,
}

impl Client {
    fn connect(server: &ContractServer) -> Client {
        let addr = server.endpoint().trim_start_matches("http://").to_string();
        let stream = TcpStream::connect(addr).unwrap();
        Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            jwt: None,
        }
    }

    fn with_jwt(mut self, jwt: &str) -> Client {
        self.jwt = Some(jwt.to_string());
        self
    }

    /// Writes raw bytes, then reads one response.
    fn raw(&mut self, bytes: &[u8]) -> io::Result<Reply> {
        self.writer.write_all(bytes)?;
        read_reply(&mut self.reader)
    }

    fn send(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Option<&str>,
    ) -> io::Result<Reply> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n");
        if let Some(jwt) = &self.jwt {
            head.push_str(&format!("Authorization: Bearer {jwt}\r\n"));
        }
        if let Some(ct) = content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        let body = body.unwrap_or_default();
        head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        self.raw(head.as_bytes())
    }

    /// A JSON request (`Content-Type: application/json` when there is a body).
    fn call(&mut self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let text = body.map(|b| b.to_string());
        let ct = text.as_ref().map(|_| "application/json");
        self.send(method, path, ct, text.as_deref()).unwrap()
    }

    fn put(&mut self, path: &str, body: Value) -> Reply {
        self.call("PUT", path, Some(body))
    }

    fn get(&mut self, path: &str) -> Reply {
        self.call("GET", path, None)
    }

    fn patch(&mut self, path: &str, ops: Value) -> Reply {
        self.send(
            "PATCH",
            path,
            Some("application/json-patch+json"),
            Some(&ops.to_string()),
        )
        .unwrap()
    }
}

fn read_reply(reader: &mut BufReader<TcpStream>) -> io::Result<Reply> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "closed before answering",
        ));
    }
    let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').unwrap();
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(find("content-type").as_deref(), Some("application/json"));
    let length: usize = find("content-length")
        .expect("every response has Content-Length")
        .parse()
        .unwrap();
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Reply {
        status,
        headers,
        body: serde_json::from_slice(&body).unwrap(),
    })
}

fn service(name: &str) -> Value {
    json!({ "name": name, "serviceType": "DynamoDB" })
}

fn table(name: &str, schema: &str) -> Value {
    json!({
        "name": name,
        "databaseSchema": schema,
        "tableType": "Regular",
        "columns": [
            { "name": "pk", "dataType": "STRING", "dataTypeDisplay": "string" },
            { "name": "qty", "dataType": "BIGINT", "dataTypeDisplay": "bigint" },
        ],
    })
}

fn tag(fqn: &str) -> Value {
    json!({
        "tagFQN": fqn,
        "source": "Classification",
        "labelType": "Automated",
        "state": "Suggested",
    })
}

/// Creates service `svc`, database `default` and schema `schema`; returns the schema FQN.
fn hierarchy(c: &mut Client, schema: &str) -> String {
    let r = c.put("/api/v1/services/databaseServices", service("svc"));
    assert!(r.status == 201 || r.status == 200, "{r:?}");
    let r = c.put(
        "/api/v1/databases",
        json!({ "name": "default", "service": "svc" }),
    );
    assert!(r.status == 201 || r.status == 200, "{r:?}");
    let r = c.put(
        "/api/v1/databaseSchemas",
        json!({ "name": schema, "database": "svc.default" }),
    );
    assert!(r.status == 201 || r.status == 200, "{r:?}");
    r.body["fullyQualifiedName"].as_str().unwrap().to_string()
}

fn is_uuid_v4(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && text.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        && parts[2].starts_with('4')
}

fn fqns(values: &Value) -> Vec<String> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["fullyQualifiedName"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn answers_its_version() {
    for version in ["2.0.7", "1.9.4"] {
        let om = ContractServer::start(version, None);
        let r = Client::connect(&om).get("/api/v1/system/version");
        assert_eq!(r.status, 200);
        assert_eq!(
            r.body,
            json!({ "version": version, "revision": "test", "timestamp": 0 })
        );
    }
}

#[test]
fn a_configured_jwt_is_required_on_every_route() {
    let om = ContractServer::start("2.0.7", Some("s3cret"));
    let mut anonymous = Client::connect(&om);
    let r = anonymous.get("/api/v1/system/version");
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        json!({ "code": 401, "message": "Not Authorized! Token verification failed" })
    );
    let r = anonymous.put("/api/v1/services/databaseServices", service("svc"));
    assert_eq!(r.status, 401);
    assert!(om.entities("databaseService").is_empty());
    assert_eq!(anonymous.get("/api/v1/no/such/route").status, 401);

    let mut wrong = Client::connect(&om).with_jwt("other");
    assert_eq!(wrong.get("/api/v1/system/version").status, 401);

    let mut good = Client::connect(&om).with_jwt("s3cret");
    assert_eq!(good.get("/api/v1/system/version").status, 200);
    assert_eq!(
        good.put("/api/v1/services/databaseServices", service("svc"))
            .status,
        201
    );

    let statuses: Vec<u16> = om.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [401, 401, 401, 401, 200, 201]);
    let last = om.requests().pop().unwrap();
    assert!(last
        .headers
        .contains(&("authorization".to_string(), "Bearer s3cret".to_string())));
}

#[test]
fn create_then_unchanged_then_updated_versions() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let r = c.put("/api/v1/services/databaseServices", service("svc"));
    assert_eq!(r.status, 201);
    assert_eq!(r.body["fullyQualifiedName"], "svc");
    assert_eq!(r.body["version"], json!(0.1));
    assert_eq!(r.body["updatedBy"], "ingestion-bot");
    assert_eq!(r.body["deleted"], false);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert!(is_uuid_v4(&id), "{id}");
    assert!(r.body["href"].as_str().unwrap().ends_with(&id));

    let again = c.put("/api/v1/services/databaseServices", service("svc"));
    assert_eq!(again.status, 200);
    assert_eq!(again.body, r.body, "an unchanged PUT changes nothing");

    let mut changed = service("svc");
    changed["description"] = json!("orders");
    let r = c.put("/api/v1/services/databaseServices", changed);
    assert_eq!(r.status, 200);
    assert_eq!(r.body["version"], json!(0.2));
    assert_eq!(r.body["id"], json!(id));

    let schema = hierarchy(&mut c, "default");
    assert_eq!(schema, "svc.default.default");
    let created = c.put("/api/v1/tables", table("orders", &schema));
    assert_eq!(created.status, 201);
    let t = &created.body;
    assert_eq!(t["fullyQualifiedName"], "svc.default.default.orders");
    assert_eq!(t["version"], json!(0.1));
    assert_eq!(t["serviceType"], "DynamoDB");
    assert_eq!(t["service"]["type"], "databaseService");
    assert_eq!(t["service"]["fullyQualifiedName"], "svc");
    assert_eq!(t["database"]["fullyQualifiedName"], "svc.default");
    assert_eq!(t["databaseSchema"]["type"], "databaseSchema");
    assert_eq!(
        t["databaseSchema"]["fullyQualifiedName"],
        "svc.default.default"
    );
    assert_eq!(
        t["columns"][1]["fullyQualifiedName"],
        "svc.default.default.orders.qty"
    );
    let same = c.put("/api/v1/tables", table("orders", &schema));
    assert_eq!(same.status, 200);
    assert_eq!(same.body, created.body);

    // Many updates: every version stays a one-decimal multiple of 0.1 (table.json).
    for n in 1..=12 {
        let mut body = table("orders", &schema);
        body["description"] = json!(format!("revision {n}"));
        let r = c.put("/api/v1/tables", body);
        assert_eq!(r.status, 200, "{r:?}");
        let expected = format!("{:.1}", 0.1 + f64::from(n) / 10.0);
        assert_eq!(r.body["version"].to_string(), expected);
    }
    let stored = om.entity("table", "svc.default.default.orders").unwrap();
    assert_eq!(stored["version"], json!(1.3));
    assert_eq!(stored["description"], "revision 12");
    assert_eq!(om.entities("table").len(), 1);
}

#[test]
fn dotted_names_are_quoted_in_fqns() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let r = c.put("/api/v1/services/databaseServices", service("my.svc"));
    assert_eq!(r.body["fullyQualifiedName"], "\"my.svc\"");
    let r = c.put(
        "/api/v1/databases",
        json!({ "name": "default", "service": "\"my.svc\"" }),
    );
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["fullyQualifiedName"], "\"my.svc\".default");
    let r = c.put(
        "/api/v1/databaseSchemas",
        json!({ "name": "default", "database": "\"my.svc\".default" }),
    );
    let schema = r.body["fullyQualifiedName"].as_str().unwrap().to_string();
    let mut body = table("acct.users-v2", &schema);
    body["columns"] = json!([{
        "name": "a.b",
        "dataType": "STRUCT",
        "children": [{ "name": "c.d", "dataType": "STRING" }],
    }]);
    let r = c.put("/api/v1/tables", body);
    assert_eq!(r.status, 201, "{r:?}");
    let fqn = "\"my.svc\".default.default.\"acct.users-v2\"";
    assert_eq!(r.body["fullyQualifiedName"], fqn);
    assert_eq!(
        r.body["columns"][0]["fullyQualifiedName"],
        format!("{fqn}.\"a.b\"")
    );
    assert_eq!(
        r.body["columns"][0]["children"][0]["fullyQualifiedName"],
        format!("{fqn}.\"a.b\".\"c.d\"")
    );
    let encoded = fqn.replace('"', "%22");
    let r = c.get(&format!(
        "/api/v1/tables/name/{encoded}?fields=columns,tags"
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.body["name"], "acct.users-v2");
    let r = c.get("/api/v1/services/databaseServices/name/%22my.svc%22");
    assert_eq!(r.status, 200);
}

#[test]
fn invalid_bodies_are_rejected_and_nothing_is_stored() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let schema = hierarchy(&mut c, "default");
    let mut body = table("orders", &schema);
    body["columns"][1] = json!({ "name": "qty" });
    let r = c.put("/api/v1/tables", body);
    assert_eq!(r.status, 400);
    assert_eq!(r.body["code"], 400);
    assert!(r.message().contains("dataType"), "{}", r.message());

    let mut body = table("orders", &schema);
    body["rowCount"] = json!(3);
    let r = c.put("/api/v1/tables", body);
    assert_eq!(r.status, 400);
    assert!(r.message().contains("rowCount"), "{}", r.message());

    let r = c.put("/api/v1/tables", table("orders", "svc.default.missing"));
    assert_eq!(r.status, 404);
    assert_eq!(
        r.message(),
        "databaseSchema instance for svc.default.missing not found"
    );

    let r = c
        .send(
            "PUT",
            "/api/v1/tables",
            Some("application/json"),
            Some("{not json"),
        )
        .unwrap();
    assert_eq!(r.status, 400);
    let r = c
        .send(
            "PUT",
            "/api/v1/tables",
            Some("text/plain"),
            Some(&table("orders", &schema).to_string()),
        )
        .unwrap();
    assert_eq!(r.status, 415);
    assert!(om.entities("table").is_empty());
    let last = om.requests().pop().unwrap();
    assert_eq!(last.status, 415);
    assert_eq!(last.body.unwrap()["name"], "orders");
}

#[test]
fn bulk_with_one_invalid_element_is_a_partial_success() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let schema = hierarchy(&mut c, "default");
    let mut bad = table("broken", &schema);
    bad["columns"][0] = json!({ "name": "pk" });
    let rows = json!([table("a", &schema), bad, table("b", &schema)]);
    let path = "/api/v1/tables/bulk?async=false&overrideMetadata=false";
    let r = c.put(path, rows.clone());
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["dryRun"], false);
    assert_eq!(r.body["status"], "partialSuccess");
    assert_eq!(r.body["numberOfRowsProcessed"], 3);
    assert_eq!(r.body["numberOfRowsPassed"], 2);
    assert_eq!(r.body["numberOfRowsFailed"], 1);
    assert_eq!(
        r.body["successRequest"],
        json!([
            { "request": "svc.default.default.a", "message": "Entity created" },
            { "request": "svc.default.default.b", "message": "Entity created" },
        ])
    );
    assert_eq!(r.body["failedRequest"][0]["request"], rows[1]);
    let message = r.body["failedRequest"][0]["message"].as_str().unwrap();
    assert!(message.contains("dataType"), "{message}");
    assert_eq!(
        fqns(&json!(om.entities("table"))),
        ["svc.default.default.a", "svc.default.default.b"]
    );
    let recorded = om.requests().pop().unwrap();
    assert_eq!(recorded.path, "/api/v1/tables/bulk");
    assert_eq!(recorded.query, "async=false&overrideMetadata=false");

    let mut changed = table("b", &schema);
    changed["description"] = json!("now described");
    let r = c.put(path, json!([table("a", &schema), changed]));
    assert_eq!(r.body["status"], "success");
    assert_eq!(r.body["successRequest"][0]["message"], "Entity unchanged");
    assert_eq!(r.body["successRequest"][1]["message"], "Entity updated");
    assert_eq!(
        om.entity("table", "svc.default.default.b").unwrap()["version"],
        json!(0.2)
    );

    let r = c.put("/api/v1/tables/bulk", json!([table("c", &schema)]));
    assert_eq!(r.status, 400, "async=false is required");
    let r = c.put(path, json!([{ "name": "x" }]));
    assert_eq!(r.body["status"], "failure");
    let r = c.put(
        "/api/v1/databaseSchemas/bulk?async=false",
        json!([{ "name": "other", "database": "svc.default" }]),
    );
    assert_eq!(r.body["status"], "success");
    assert!(om.entity("databaseSchema", "svc.default.other").is_some());
}

#[test]
fn bulk_and_delete_stale_do_not_exist_before_2_0() {
    let om = ContractServer::start("1.9.4", None);
    let mut c = Client::connect(&om);
    let schema = hierarchy(&mut c, "default");
    let not_found = json!({ "code": 404, "message": "HTTP 404 Not Found" });
    for path in [
        "/api/v1/tables/bulk?async=false",
        "/api/v1/databases/bulk?async=false",
        "/api/v1/databaseSchemas/bulk?async=false",
    ] {
        let r = c.put(path, json!([table("a", &schema)]));
        assert_eq!((r.status, &r.body), (404, &not_found), "{path}");
    }
    let r = c.call(
        "DELETE",
        "/api/v1/tables/deleteStale",
        Some(json!({ "scopeFqn": schema, "scopeEntityType": "databaseSchema", "seenFqns": [] })),
    );
    assert_eq!((r.status, &r.body), (404, &not_found));
    assert!(om.entities("table").is_empty());
    assert_eq!(c.put("/api/v1/tables", table("a", &schema)).status, 201);
}

#[test]
fn delete_stale_soft_deletes_exactly_the_unseen_tables_of_the_scope() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let a = hierarchy(&mut c, "a");
    let b = hierarchy(&mut c, "b");
    for name in ["t1", "t2", "t3", "t4"] {
        assert_eq!(c.put("/api/v1/tables", table(name, &a)).status, 201);
    }
    assert_eq!(c.put("/api/v1/tables", table("t5", &b)).status, 201);
    let body = json!({
        "scopeFqn": a,
        "scopeEntityType": "databaseSchema",
        "seenFqns": ["svc.default.a.t1", "svc.default.a.t3", "svc.default.b.t5"],
    });
    let r = c.call("DELETE", "/api/v1/tables/deleteStale", Some(body.clone()));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body,
        json!({ "deletedFqns": ["svc.default.a.t2", "svc.default.a.t4"], "deletedCount": 2 })
    );
    let state: Vec<(String, bool, f64)> = om
        .entities("table")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["deleted"].as_bool().unwrap(),
                t["version"].as_f64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("t1", false, 0.1),
        ("t2", true, 0.2),
        ("t3", false, 0.1),
        ("t4", true, 0.2),
        ("t5", false, 0.1),
    ];
    assert_eq!(
        state,
        expected.map(|(n, d, v)| (n.to_string(), d, v)).to_vec()
    );
    let r = c.call("DELETE", "/api/v1/tables/deleteStale", Some(body));
    assert_eq!(
        r.body["deletedCount"], 0,
        "deleted tables are not deleted again"
    );

    let listed = c.get("/api/v1/tables?databaseSchema=svc.default.a");
    assert_eq!(
        fqns(&listed.body["data"]),
        ["svc.default.a.t1", "svc.default.a.t3"]
    );
    let listed = c.get("/api/v1/tables?databaseSchema=svc.default.a&include=deleted");
    assert_eq!(
        fqns(&listed.body["data"]),
        ["svc.default.a.t2", "svc.default.a.t4"]
    );
    let listed = c.get("/api/v1/tables?databaseSchema=svc.default.a&include=all");
    assert_eq!(listed.body["paging"]["total"], 4);

    for bad in [
        json!({ "scopeFqn": a, "scopeEntityType": "databaseSchema" }),
        json!({ "scopeFqn": a, "scopeEntityType": "databaseSchema", "seenFqns": "t1" }),
        json!({ "scopeFqn": a, "scopeEntityType": "databaseSchema", "seenFqns": [1] }),
        json!({ "scopeFqn": 7, "scopeEntityType": "databaseSchema", "seenFqns": [] }),
        json!({ "scopeFqn": a, "seenFqns": [] }),
        json!([]),
    ] {
        let r = c.call("DELETE", "/api/v1/tables/deleteStale", Some(bad.clone()));
        assert_eq!(r.status, 400, "{bad}");
    }
    assert_eq!(
        om.entities("table")
            .iter()
            .filter(|t| t["deleted"] == true)
            .count(),
        2
    );
}

#[test]
fn list_paging_returns_every_table_exactly_once() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let a = hierarchy(&mut c, "a");
    let b = hierarchy(&mut c, "b");
    let mut expected = Vec::new();
    for i in 0..25 {
        let name = if i % 5 == 0 {
            format!("t.{i:02}")
        } else {
            format!("t{i:02}")
        };
        let r = c.put("/api/v1/tables", table(&name, &a));
        expected.push(r.body["fullyQualifiedName"].as_str().unwrap().to_string());
    }
    for name in ["x", "y", "z"] {
        c.put("/api/v1/tables", table(name, &b));
    }
    expected.sort();
    // Limits that leave 0, 1 and several rows for the last page, and a single page.
    for limit in [1, 5, 6, 7, 24, 25, 1000] {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut path = format!("/api/v1/tables?databaseSchema=svc.default.a&limit={limit}");
            if let Some(cursor) = &after {
                path.push_str(&format!("&after={cursor}"));
            }
            let r = c.get(&path);
            assert_eq!(r.status, 200, "{r:?}");
            assert_eq!(r.body["paging"]["total"], 25);
            let page = fqns(&r.body["data"]);
            assert!(!page.is_empty() && page.len() <= limit, "limit {limit}");
            seen.extend(page);
            pages += 1;
            match r.body["paging"].get("after") {
                Some(cursor) => after = Some(cursor.as_str().unwrap().to_string()),
                None => break,
            }
            assert!(pages <= 25, "paging does not end");
        }
        assert_eq!(pages, 25_usize.div_ceil(limit), "limit {limit}");
        assert_eq!(seen, expected, "limit {limit}");
    }

    let r = c.get("/api/v1/tables");
    assert_eq!(
        r.body["data"].as_array().unwrap().len(),
        10,
        "default limit"
    );
    assert_eq!(r.body["paging"]["total"], 28);
    assert_eq!(c.get("/api/v1/tables?limit=1001").status, 400);
    assert_eq!(c.get("/api/v1/tables?after=%25%25").status, 400);
    assert_eq!(c.get("/api/v1/tables?include=some").status, 400);
}

#[test]
fn patch_adds_tags_and_rejects_invalid_ones() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let schema = hierarchy(&mut c, "default");
    let created = c.put("/api/v1/tables", table("orders", &schema));
    let id = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/tables/{id}");

    let r = c.patch(
        &path,
        json!([
            { "op": "add", "path": "/columns/0/tags", "value": [tag("PII.Sensitive")] },
            { "op": "add", "path": "/tags", "value": [] },
            { "op": "add", "path": "/tags/-", "value": tag("Tier.Tier1") },
        ]),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["version"], json!(0.2));
    let stored = om.entity("table", "svc.default.default.orders").unwrap();
    assert_eq!(stored["columns"][0]["tags"][0]["tagFQN"], "PII.Sensitive");
    assert_eq!(stored["tags"][0]["tagFQN"], "Tier.Tier1");
    assert_eq!(stored["version"], json!(0.2));

    let mut invalid = tag("PII.None");
    invalid.as_object_mut().unwrap().remove("labelType");
    let r = c.patch(
        &path,
        json!([{ "op": "add", "path": "/columns/1/tags", "value": [invalid] }]),
    );
    assert_eq!(r.status, 400);
    assert!(r.message().contains("labelType"), "{}", r.message());
    let r = c.patch(
        &path,
        json!([{ "op": "add", "path": "/tags/-", "value": { "tagFQN": "x" } }]),
    );
    assert_eq!(r.status, 400);
    let r = c.patch(
        &path,
        json!([{ "op": "add", "path": "/columns/0/tags/-", "value": tag("PII.NonSensitive") }]),
    );
    assert_eq!(r.status, 400, "PII tags are mutually exclusive");
    assert!(
        r.message().contains("mutually exclusive"),
        "{}",
        r.message()
    );
    let r = c.patch(
        &path,
        json!([{ "op": "test", "path": "/name", "value": "other" }]),
    );
    assert_eq!(r.status, 400);
    let r = c.patch(
        &path,
        json!([{ "op": "replace", "path": "/columns/0/dataType", "value": "NOPE" }]),
    );
    assert_eq!(r.status, 400, "the patched table must match table.json");
    let r = c
        .send(
            "PATCH",
            &path,
            Some("application/json"),
            Some(&json!([{ "op": "remove", "path": "/tags/0" }]).to_string()),
        )
        .unwrap();
    assert_eq!(r.status, 415);
    assert_eq!(
        om.entity("table", "svc.default.default.orders").unwrap(),
        stored,
        "rejected patches change nothing"
    );

    // Escapes, test and remove; a no-op patch keeps the version.
    let r = c.patch(
        &path,
        json!([
            { "op": "test", "path": "/tags/0/tagFQN", "value": "Tier.Tier1" },
            { "op": "add", "path": "/extension", "value": { "a/b": { "c~d": 1 } } },
            { "op": "test", "path": "/extension/a~1b/c~0d", "value": 1.0 },
            { "op": "remove", "path": "/extension" },
        ]),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["version"], json!(0.2));

    // A PUT of the original request keeps the PATCHed tags.
    let r = c.put("/api/v1/tables", table("orders", &schema));
    assert_eq!(r.status, 200);
    assert_eq!(r.body["version"], json!(0.2));
    assert_eq!(r.body["columns"][0]["tags"][0]["tagFQN"], "PII.Sensitive");
    assert_eq!(r.body["tags"][0]["tagFQN"], "Tier.Tier1");

    let unknown = "/api/v1/tables/00000000-0000-4000-8000-000000000000";
    assert_eq!(c.patch(unknown, json!([])).status, 404);
}

#[test]
fn profiles_and_sample_data_survive_later_puts() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let schema = hierarchy(&mut c, "default");
    let created = c.put("/api/v1/tables", table("orders", &schema));
    let id = created.body["id"].as_str().unwrap().to_string();
    let profile = json!({
        "tableProfile": { "timestamp": 1_700_000_000_000_u64, "rowCount": 12, "columnCount": 2 },
        "columnProfile": [{ "name": "qty", "timestamp": 1_700_000_000_000_u64, "nullCount": 1 }],
    });
    let r = c.put(&format!("/api/v1/tables/{id}/tableProfile"), profile);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["profile"]["rowCount"], 12);
    assert_eq!(r.body["columns"][1]["profile"]["nullCount"], 1);
    let r = c.put(
        &format!("/api/v1/tables/{id}/tableProfile"),
        json!({ "tableProfile": { "timestamp": 1 }, "columnProfile": [{ "name": "nope", "timestamp": 1 }] }),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.message(), "Invalid column name nope");
    let r = c.put(
        &format!("/api/v1/tables/{id}/tableProfile"),
        json!({ "tableProfile": { "rowCount": 1 } }),
    );
    assert_eq!(r.status, 400, "timestamp is required");

    let sample = json!({ "columns": ["pk", "qty"], "rows": [["a", 1], ["b", null]] });
    let r = c.put(&format!("/api/v1/tables/{id}/sampleData"), sample.clone());
    assert_eq!(r.status, 200);
    assert_eq!(r.body["sampleData"], sample);
    let r = c.put(
        &format!("/api/v1/tables/{id}/sampleData"),
        json!({ "columns": ["pk", "qty"], "rows": [["a"]] }),
    );
    assert_eq!(r.status, 400);

    let r = c.put("/api/v1/tables", table("orders", &schema));
    assert_eq!(r.status, 200);
    assert_eq!(r.body["version"], json!(0.1));
    let mut changed = table("orders", &schema);
    changed["description"] = json!("d");
    let r = c.put("/api/v1/tables", changed);
    assert_eq!(r.body["version"], json!(0.2));
    let stored = om.entity("table", "svc.default.default.orders").unwrap();
    assert_eq!(stored["profile"]["rowCount"], 12);
    assert_eq!(stored["columns"][1]["profile"]["nullCount"], 1);
    assert_eq!(stored["sampleData"], sample);
    assert_eq!(stored["description"], "d");
}

#[test]
fn soft_delete_then_recreate_restores() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let schema = hierarchy(&mut c, "default");
    let created = c.put("/api/v1/tables", table("orders", &schema));
    let id = created.body["id"].as_str().unwrap().to_string();
    let r = c.call("DELETE", &format!("/api/v1/tables/{id}"), None);
    assert_eq!(r.status, 200);
    assert_eq!(r.body["deleted"], true);
    assert_eq!(r.body["version"], json!(0.2));
    let name = "/api/v1/tables/name/svc.default.default.orders";
    assert_eq!(c.get(name).status, 404);
    assert_eq!(c.get(&format!("{name}?include=deleted")).status, 200);
    assert_eq!(
        c.call("DELETE", &format!("/api/v1/tables/{id}"), None)
            .status,
        404
    );
    let r = c.put("/api/v1/tables", table("orders", &schema));
    assert_eq!(r.status, 200);
    assert_eq!(r.body["deleted"], false);
    assert_eq!(r.body["version"], json!(0.3));
    assert_eq!(r.body["id"], json!(id));
    assert_eq!(c.get(name).status, 200);

    let r = c.call(
        "DELETE",
        &format!("/api/v1/tables/{id}?hardDelete=true"),
        None,
    );
    assert_eq!(r.status, 200);
    assert!(om.entities("table").is_empty());
}

#[test]
fn unknown_routes_and_methods() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let r = c.get("/api/v1/nothing/here");
    assert_eq!(
        (r.status, r.body),
        (404, json!({ "code": 404, "message": "HTTP 404 Not Found" }))
    );
    assert_eq!(c.get("/health").status, 404);
    let r = c.call("DELETE", "/api/v1/system/version", None);
    assert_eq!(r.status, 405);
    assert_eq!(c.get("/api/v1/tables/bulk").status, 405);
    assert_eq!(c.get("/api/v1/tables/deleteStale").status, 405);
    let r = c.get("/api/v1/services/databaseServices/name/nope?fields=owners");
    assert_eq!(
        (r.status, r.body),
        (
            404,
            json!({ "code": 404, "message": "databaseService instance for nope not found" })
        )
    );
}

#[test]
fn a_status_fault_with_times_one_answers_once_then_normally() {
    let om = ContractServer::start("2.0.7", None);
    om.inject(Fault {
        method: "PUT".into(),
        path_prefix: "/api/v1/services".into(),
        kind: FaultKind::Status {
            code: 503,
            retry_after: Some(7),
        },
        times: Some(1),
        probability: 1.0,
    });
    let mut c = Client::connect(&om);
    assert_eq!(
        c.get("/api/v1/system/version").status,
        200,
        "GET is not matched"
    );
    let r = c.put("/api/v1/services/databaseServices", service("svc"));
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(r.body["code"], 503);
    assert!(om.entities("databaseService").is_empty());
    let r = c.put("/api/v1/services/databaseServices", service("svc"));
    assert_eq!(r.status, 201, "same connection, fault used up");
    let statuses: Vec<u16> = om.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 503, 201]);
}

#[test]
fn a_drop_fault_closes_the_connection_without_answering() {
    let om = ContractServer::start("2.0.7", None);
    om.inject(Fault {
        method: "*".into(),
        path_prefix: "/api/v1/system".into(),
        kind: FaultKind::Drop,
        times: Some(1),
        probability: 1.0,
    });
    let mut c = Client::connect(&om);
    let e = c
        .send("GET", "/api/v1/system/version", None, None)
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{e}");
    let mut rest = Vec::new();
    assert_eq!(c.reader.read_to_end(&mut rest).unwrap(), 0, "closed");
    let mut fresh = Client::connect(&om);
    assert_eq!(fresh.get("/api/v1/system/version").status, 200);
    let statuses: Vec<u16> = om.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [0, 200]);
}

#[test]
fn fault_probability_is_deterministic_and_rules_can_be_cleared() {
    let run = || {
        let om = ContractServer::start("2.0.7", None);
        om.inject(Fault {
            method: "GET".into(),
            path_prefix: "/api/v1/".into(),
            kind: FaultKind::Status {
                code: 500,
                retry_after: None,
            },
            times: None,
            probability: 0.5,
        });
        let mut c = Client::connect(&om);
        let statuses: Vec<u16> = (0..40)
            .map(|_| c.get("/api/v1/system/version").status)
            .collect();
        om.clear_faults();
        assert_eq!(c.get("/api/v1/system/version").status, 200);
        statuses
    };
    let first = run();
    let faulted = first.iter().filter(|s| **s == 500).count();
    assert!((5..=35).contains(&faulted), "{first:?}");
    assert_eq!(first, run(), "same seed, same draws");

    let om = ContractServer::start("2.0.7", None);
    om.inject(Fault {
        method: "GET".into(),
        path_prefix: "/".into(),
        kind: FaultKind::Status {
            code: 500,
            retry_after: None,
        },
        times: None,
        probability: 0.0,
    });
    om.inject(Fault {
        method: "GET".into(),
        path_prefix: "/api/v1/system".into(),
        kind: FaultKind::Delay { millis: 30 },
        times: Some(1),
        probability: 1.0,
    });
    let mut c = Client::connect(&om);
    let started = std::time::Instant::now();
    assert_eq!(c.get("/api/v1/system/version").status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(30));
}

#[test]
fn keep_alive_chunked_bodies_and_http_1_0() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let body = service("chunky").to_string();
    let (a, b) = body.split_at(10);
    let request = format!(
        "PUT /api/v1/services/databaseServices HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x};ext=1\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    );
    let r = c.raw(request.as_bytes()).unwrap();
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.header("connection"), Some("keep-alive"));
    for _ in 0..3 {
        assert_eq!(
            c.get("/api/v1/services/databaseServices/name/chunky")
                .status,
            200
        );
    }
    assert_eq!(om.requests()[0].body, Some(service("chunky")));

    let r = c
        .raw(b"GET /api/v1/system/version HTTP/1.0\r\n\r\n")
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("connection"), Some("close"));
    let mut rest = Vec::new();
    assert_eq!(
        c.reader.read_to_end(&mut rest).unwrap(),
        0,
        "HTTP/1.0 closes"
    );

    let mut c = Client::connect(&om);
    let r = c
        .raw(b"PUT /api/v1/tables HTTP/1.1\r\nContent-Length: nope\r\n\r\n")
        .unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(om.requests().pop().unwrap().status, 400);
}
