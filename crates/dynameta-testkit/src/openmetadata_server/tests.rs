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
        // A server that never answers fails the test instead of hanging it.
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
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

    assert_eq!(
        created.header("X-OpenMetadata-Change"),
        Some("entityCreated")
    );
    assert_eq!(same.header("X-OpenMetadata-Change"), Some("entityNoChange"));

    // Many updates: every version stays a one-decimal multiple of 0.1 (table.json).
    for n in 1..=12 {
        let mut body = table("orders", &schema);
        body["sourceUrl"] = json!(format!("https://example.com/revision/{n}"));
        let r = c.put("/api/v1/tables", body);
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.header("X-OpenMetadata-Change"), Some("entityUpdated"));
        let expected = format!("{:.1}", 0.1 + f64::from(n) / 10.0);
        assert_eq!(r.body["version"].to_string(), expected);
    }
    let stored = om.entity("table", "svc.default.default.orders").unwrap();
    assert_eq!(stored["version"], json!(1.3));
    assert_eq!(stored["sourceUrl"], "https://example.com/revision/12");
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
    assert_eq!(r.body.get("dryRun"), None);
    assert_eq!(r.body["status"], "partialSuccess");
    assert_eq!(r.body["numberOfRowsProcessed"], 3);
    assert_eq!(r.body["numberOfRowsPassed"], 2);
    assert_eq!(r.body["numberOfRowsFailed"], 1);
    assert_eq!(
        r.body["successRequest"],
        json!([
            { "request": "svc.default.default.a", "status": 200 },
            { "request": "svc.default.default.b", "status": 200 },
        ])
    );
    assert_eq!(r.body["failedRequest"][0]["request"], rows[1]);
    assert_eq!(r.body["failedRequest"][0]["status"], 400);
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
    assert_eq!(r.body["numberOfRowsPassed"], 2);
    assert_eq!(
        om.entity("table", "svc.default.default.a").unwrap()["version"],
        json!(0.1),
        "unchanged"
    );
    assert_eq!(
        om.entity("table", "svc.default.default.b").unwrap()["version"],
        json!(0.2)
    );

    let r = c.put("/api/v1/tables/bulk", json!([table("c", &schema)]));
    assert_eq!(r.status, 400, "async=false is required");
    let r = c.put(path, json!([{ "name": "x" }]));
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "failure");
    assert_eq!(r.body["numberOfRowsFailed"], 1);
    assert_eq!(r.body["successRequest"], json!([]));
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
        json!({
            "dryRun": false,
            "status": "success",
            "numberOfRowsProcessed": 2,
            "numberOfRowsPassed": 2,
            "numberOfRowsFailed": 0,
            "successRequest": [
                { "request": "svc.default.a.t2", "status": 200 },
                { "request": "svc.default.a.t4", "status": 200 },
            ],
            "failedRequest": [],
        })
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
        r.body["numberOfRowsProcessed"], 0,
        "deleted tables are not deleted again"
    );
    assert_eq!(r.body["successRequest"], json!([]));

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
        json!({ "scopeFqn": a, "scopeEntityType": "databaseSchema", "seenFqns": "t1" }),
        json!({ "scopeFqn": a, "scopeEntityType": "databaseSchema", "seenFqns": [1] }),
        json!({ "scopeFqn": 7, "scopeEntityType": "databaseSchema", "seenFqns": [] }),
        json!({ "scopeFqn": a, "scopeEntityType": "databaseSchema", "seenFqns": [], "dryRun": "yes" }),
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
    assert!(r.message().contains("/columns/1/tags"), "{}", r.message());
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
    assert_eq!(
        r.message(),
        "Tag labels PII.Sensitive and PII.NonSensitive are mutually exclusive and can't be assigned together"
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
            { "op": "test", "path": "/extension/a~1b/c~0d", "value": 1 },
            { "op": "remove", "path": "/extension" },
        ]),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["version"], json!(0.2));
    // `test` compares numbers as written, as JSON-P's JsonNumber.equals
    // (BigDecimal.equals) does upstream: 1.0 is not 1.
    let r = c.patch(
        &path,
        json!([
            { "op": "add", "path": "/extension", "value": { "n": 1 } },
            { "op": "test", "path": "/extension/n", "value": 1.0 },
        ]),
    );
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(
        r.message(),
        "Invalid JSON Patch: The JSON Patch operation 'test' failed for path '/extension/n' and value '1.0'"
    );

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
        json!({
            "tableProfile": { "timestamp": 1_600_000_000_000_u64 },
            "columnProfile": [{ "name": "nope", "timestamp": 1_600_000_000_000_u64 }],
        }),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.message(), "Invalid column name nope");
    let r = c.put(
        &format!("/api/v1/tables/{id}/tableProfile"),
        json!({ "tableProfile": { "rowCount": 1 } }),
    );
    assert_eq!(r.status, 400, "timestamp is required");
    assert_eq!(r.message(), "[query param timestamp must not be null]");

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

    // A request hyper cannot frame is answered 400 by hyper (no JSON body), then closed;
    // it never reaches the routes, so it is not recorded.
    let recorded = om.requests().len();
    let mut c = Client::connect(&om);
    c.writer
        .write_all(b"PUT /api/v1/tables HTTP/1.1\r\nContent-Length: nope\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    c.reader.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer:?}");
    assert_eq!(om.requests().len(), recorded);

    // A broken chunked body reaches the routes unread: 400 with OpenMetadata's error
    // body, recorded, and the connection closed.
    let mut c = Client::connect(&om);
    let r = c
        .raw(b"PUT /api/v1/tables HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
        .unwrap();
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body["code"], 400);
    assert_eq!(r.header("connection"), Some("close"));
    let last = om.requests().pop().unwrap();
    assert_eq!((last.method.as_str(), last.status), ("PUT", 400));
}

#[test]
fn path_segments_are_decoded_after_splitting_and_query_plus_is_a_space() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let schema = hierarchy(&mut c, "my schema");
    assert_eq!(schema, "svc.default.my schema");
    let r = c.put("/api/v1/tables", table("a/b", &schema));
    assert_eq!(r.status, 201, "{r:?}");
    // `%2F` stays inside its segment: the FQN holds a '/'.
    let r = c.get("/api/v1/tables/name/svc.default.my%20schema.a%2Fb");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["name"], "a/b");
    let recorded = om.requests().pop().unwrap();
    assert_eq!(
        recorded.path, "/api/v1/tables/name/svc.default.my%20schema.a%2Fb",
        "recorded as sent"
    );
    // An unencoded '/' splits the path: no such route.
    assert_eq!(
        c.get("/api/v1/tables/name/svc.default.my%20schema.a/b")
            .status,
        404
    );
    // In the query, '+' is a space and `%2B` a plus.
    let r = c.get("/api/v1/tables?databaseSchema=svc.default.my+schema");
    assert_eq!(fqns(&r.body["data"]), ["svc.default.my schema.a/b"]);
    assert_eq!(
        om.requests().pop().unwrap().query,
        "databaseSchema=svc.default.my+schema"
    );
    let r = c.get("/api/v1/tables?databaseSchema=svc.default.my%2Bschema");
    assert_eq!(r.body["data"], json!([]));
    // Malformed escapes and escapes that are not UTF-8 are refused.
    for (path, message) in [
        (
            "/api/v1/tables/name/a%zz",
            "malformed percent-encoding in the path",
        ),
        (
            "/api/v1/tables/name/a%2",
            "malformed percent-encoding in the path",
        ),
        (
            "/api/v1/tables/name/a%FF",
            "malformed percent-encoding in the path",
        ),
        (
            "/api/v1/tables?limit=%zz",
            "malformed percent-encoding in the query",
        ),
        (
            "/api/v1/tables?x%C3=1",
            "malformed percent-encoding in the query",
        ),
    ] {
        let r = c.get(path);
        assert_eq!((r.status, r.message()), (400, message), "{path}");
    }
}

#[test]
fn expect_100_continue_and_bodies_over_the_limit() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let body = service("patient").to_string();
    write!(
        c.writer,
        "PUT /api/v1/services/databaseServices HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    let mut interim = String::new();
    c.reader.read_line(&mut interim).unwrap();
    assert!(interim.starts_with("HTTP/1.1 100 "), "{interim:?}");
    c.reader.read_line(&mut interim).unwrap();
    assert!(interim.ends_with("\r\n\r\n"), "{interim:?}");
    let r = c.raw(body.as_bytes()).unwrap();
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(om.requests()[0].body, Some(service("patient")));

    // A declared length over 64 MiB is refused before the body is read, then closed.
    let r = c
        .raw(b"PUT /api/v1/tables HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 67108865\r\n\r\n")
        .unwrap();
    assert_eq!(r.status, 413, "{r:?}");
    assert_eq!(r.body["code"], 413);
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(om.requests().pop().unwrap().status, 413);
}

#[test]
fn a_drop_fault_on_a_kept_alive_connection_leaves_other_connections_alone() {
    let om = ContractServer::start("2.0.7", None);
    let mut dropped = Client::connect(&om);
    let mut other = Client::connect(&om);
    assert_eq!(dropped.get("/api/v1/system/version").status, 200);
    om.inject(Fault {
        method: "GET".into(),
        path_prefix: "/api/v1/system".into(),
        kind: FaultKind::Drop,
        times: Some(1),
        probability: 1.0,
    });
    let e = dropped
        .send("GET", "/api/v1/system/version", None, None)
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{e}");
    assert_eq!(other.get("/api/v1/system/version").status, 200);
    let statuses: Vec<u16> = om.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 0, 200]);
}

// ---------------------------------------------------------------------------------------
// Ported upstream rules: one test (at least) per rule.
// ---------------------------------------------------------------------------------------

const PATTERN_MESSAGE: &str = "must match \"^((?!::).)*$\"";

/// A server with service `svc`, database `default`, schema `default`; the client and
/// the schema FQN.
fn server() -> (ContractServer, Client, String) {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let schema = hierarchy(&mut c, "default");
    (om, c, schema)
}

/// A table whose columns are `columns`.
fn table_with(name: &str, schema: &str, columns: Value) -> Value {
    let mut t = table(name, schema);
    t["columns"] = columns;
    t
}

fn assert_refused(r: &Reply, status: u16, message: &str) {
    assert_eq!((r.status, r.message()), (status, message), "{r:?}");
    assert_eq!(r.body["code"], status);
}

const BULK: &str = "/api/v1/tables/bulk?async=false";

#[test]
fn rule_names_put_refuses_entity_and_column_names_breaking_the_schema() {
    let (om, mut c, schema) = server();
    let pattern = format!("[query param name {PATTERN_MESSAGE}]");
    let size = "[query param name size must be between 1 and 256]";
    for name in [
        "a::b",
        "line\nbreak",
        "carriage\rreturn",
        "nel\u{85}",
        "ls\u{2028}",
        "ps\u{2029}",
    ] {
        assert_refused(
            &c.put("/api/v1/tables", table(name, &schema)),
            400,
            &pattern,
        );
    }
    assert_refused(&c.put("/api/v1/tables", table("", &schema)), 400, size);
    assert_refused(
        &c.put("/api/v1/tables", table(&"x".repeat(257), &schema)),
        400,
        size,
    );
    // 128 emoji are 256 UTF-16 code units (Java's String.length()); 129 are too many.
    assert_eq!(
        c.put("/api/v1/tables", table(&"😀".repeat(128), &schema))
            .status,
        201
    );
    assert_refused(
        &c.put("/api/v1/tables", table(&"😀".repeat(129), &schema)),
        400,
        size,
    );
    assert_eq!(
        c.put("/api/v1/tables", table(&"x".repeat(256), &schema))
            .status,
        201
    );
    // Column names at any depth, all violations together.
    let body = table_with(
        "t",
        &schema,
        json!([
            { "name": "ok", "dataType": "STRING" },
            { "name": "s", "dataType": "STRUCT", "children": [
                { "name": "x::y", "dataType": "STRING" },
                { "name": "", "dataType": "STRING" },
            ]},
        ]),
    );
    assert_refused(
        &c.put("/api/v1/tables", body),
        400,
        &format!(
            "[query param name {PATTERN_MESSAGE}, query param name size must be between 1 and 256]"
        ),
    );
    // Other entities' names too; a single dot or quote is fine.
    assert_refused(
        &c.put("/api/v1/services/databaseServices", service("s::1")),
        400,
        &pattern,
    );
    let r = c.put(
        "/api/v1/databases",
        json!({ "name": "d\nb", "service": "svc" }),
    );
    assert_refused(&r, 400, &pattern);
    assert_eq!(om.entities("table").len(), 2);
    assert_eq!(om.entities("database").len(), 1);
}

#[test]
fn rule_names_bulk_reports_violations_with_the_full_property_path() {
    let (om, mut c, schema) = server();
    let bad = table_with(
        "t",
        &schema,
        json!([
            { "name": "ok", "dataType": "STRING" },
            { "name": "s", "dataType": "STRUCT", "children": [{ "name": "x::y", "dataType": "STRING" }] },
        ]),
    );
    let r = c.put(
        BULK,
        json!([bad.clone(), table("a::b", &schema), table("fine", &schema)]),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "partialSuccess");
    assert_eq!(
        r.body["failedRequest"],
        json!([
            { "request": bad, "message": format!("[columns[1].children[0].name {PATTERN_MESSAGE}]"), "status": 400 },
            { "request": table("a::b", &schema), "message": format!("[name {PATTERN_MESSAGE}]"), "status": 400 },
        ])
    );
    assert_eq!(
        fqns(&json!(om.entities("table"))),
        ["svc.default.default.fine"]
    );
}

#[test]
fn rule_fqn_quote_name() {
    let (om, mut c, schema) = server();
    let cases = [
        ("plain", "plain"),
        ("a.b", "\"a.b\""),
        ("\"quoted\"", "quoted"),
        ("\"x.y\"", "\"x.y\""),
        ("say \"hi\"", "say \\\"hi\\\""),
        ("a.\"b", "a.\\\"b"),
    ];
    for (name, part) in cases {
        let mut body = table(name, &schema);
        body["columns"] = json!([
            { "name": name, "dataType": "STRUCT", "children": [{ "name": "c.d", "dataType": "INT" }] },
        ]);
        let r = c.put("/api/v1/tables", body);
        assert_eq!(r.status, 201, "{name}: {r:?}");
        let fqn = format!("svc.default.default.{part}");
        assert_eq!(r.body["fullyQualifiedName"], fqn, "{name}");
        assert_eq!(r.body["name"], name);
        assert_eq!(
            r.body["columns"][0]["fullyQualifiedName"],
            format!("{fqn}.{part}")
        );
        assert_eq!(
            r.body["columns"][0]["children"][0]["fullyQualifiedName"],
            format!("{fqn}.{part}.\"c.d\"")
        );
        let encoded: String = fqn
            .bytes()
            .map(|b| match b {
                b'"' | b'\\' | b' ' => format!("%{b:02X}"),
                _ => (b as char).to_string(),
            })
            .collect();
        let got = c.get(&format!("/api/v1/tables/name/{encoded}"));
        assert_eq!(got.status, 200, "{fqn}");
        assert!(om.entity("table", &fqn).is_some());
    }
    // A line terminator in a name that reaches FQN building (a PATCHed column name:
    // PATCH runs no Bean Validation) is `Invalid name`.
    let id = om.entity("table", "svc.default.default.plain").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c.patch(
        &format!("/api/v1/tables/{id}"),
        json!([{ "op": "replace", "path": "/columns/0/name", "value": "a\nb" }]),
    );
    assert_refused(&r, 400, "Invalid name a\nb");
}

#[test]
fn rule_database_util_validate_constraints() {
    let (om, mut c, schema) = server();
    let pk = |name: &str| json!({ "name": name, "dataType": "INT", "constraint": "PRIMARY_KEY" });
    let body = table_with("t", &schema, json!([pk("a"), pk("b")]));
    assert_refused(
        &c.put("/api/v1/tables", body),
        400,
        "Multiple columns tagged with primary key constraints",
    );
    let mut body = table_with(
        "t",
        &schema,
        json!([pk("a"), { "name": "b", "dataType": "INT" }]),
    );
    body["tableConstraints"] = json!([{ "constraintType": "PRIMARY_KEY", "columns": ["b"] }]);
    assert_refused(
        &c.put("/api/v1/tables", body),
        400,
        "A column already tagged as a primary key and table constraint also includes primary key",
    );
    let mut body = table("t", &schema);
    body["tableConstraints"] = json!([{ "constraintType": "UNIQUE", "columns": ["nope"] }]);
    assert_refused(
        &c.put("/api/v1/tables", body),
        400,
        "Invalid column name found in table constraint",
    );
    let mut body = table("t", &schema);
    body["tablePartition"] =
        json!({ "columns": [{ "columnName": "nope", "intervalType": "COLUMN-VALUE" }] });
    assert_refused(
        &c.put("/api/v1/tables", body),
        400,
        "Invalid column name found in table partition",
    );
    // In a bulk, the same refusal is a failed item.
    let mut body = table("t", &schema);
    body["tableConstraints"] = json!([{ "constraintType": "UNIQUE", "columns": ["nope"] }]);
    let r = c.put(BULK, json!([body]));
    assert_eq!(r.body["status"], "failure");
    assert_eq!(
        r.body["failedRequest"][0]["message"],
        "Invalid column name found in table constraint"
    );
    assert!(om.entities("table").is_empty());
}

#[test]
fn rule_database_util_validate_columns() {
    let (om, mut c, schema) = server();
    let cases = [
        (
            json!([{ "name": "a", "dataType": "INT" }, { "name": "a", "dataType": "STRING" }]),
            "Column name a is repeated",
        ),
        (
            json!([{ "name": "s", "dataType": "STRUCT", "children": [
                { "name": "x", "dataType": "INT" }, { "name": "x", "dataType": "INT" }] }]),
            "Column name x is repeated",
        ),
        (
            json!([{ "name": "v", "dataType": "VARCHAR" }]),
            "For column data types char, varchar, binary, varbinary dataLength must not be null",
        ),
        (
            json!([{ "name": "v", "dataType": "BINARY", "dataLength": null }]),
            "For column data types char, varchar, binary, varbinary dataLength must not be null",
        ),
        (
            json!([{ "name": "l", "dataType": "ARRAY" }]),
            "For column data type array, arrayDataType must not be null",
        ),
        (
            json!([{ "name": "s", "dataType": "STRUCT" }]),
            "For column data type struct, children must not be null",
        ),
        (
            json!([{ "name": "n", "dataType": "DECIMAL", "scale": 2 }]),
            "Scale is set but precision is not set for the column n",
        ),
        (
            json!([{ "name": "n", "dataType": "STRING", "precision": 2, "scale": 3 }]),
            "Scale can't be greater than the precision for the column n",
        ),
    ];
    for (columns, message) in cases {
        let r = c.put("/api/v1/tables", table_with("t", &schema, columns.clone()));
        assert_refused(&r, 400, message);
        let r = c.put(BULK, json!([table_with("t", &schema, columns)]));
        assert_eq!(r.body["failedRequest"][0]["message"], message);
    }
    assert!(om.entities("table").is_empty());
    // Top level only; the mutations are stored.
    let r = c.put(
        "/api/v1/tables",
        table_with(
            "t",
            &schema,
            json!([
                { "name": "s", "dataType": "STRUCT", "children": [
                    { "name": "v", "dataType": "VARCHAR" },
                    { "name": "l", "dataType": "ARRAY" },
                    { "name": "e", "dataType": "STRUCT" },
                ]},
                { "name": "empty", "dataType": "STRUCT", "children": [] },
                { "name": "k", "dataType": "STRING", "arrayDataType": "INT" },
                { "name": "d", "dataType": "VARCHAR", "dataLength": 3, "dataTypeDisplay": "VARCHAR(3)" },
                { "name": "p", "dataType": "DECIMAL", "precision": 5 },
            ]),
        ),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let stored = om.entity("table", "svc.default.default.t").unwrap();
    let columns = &stored["columns"];
    assert_eq!(columns[0]["dataTypeDisplay"], "struct");
    assert_eq!(columns[0]["children"][0].get("dataTypeDisplay"), None);
    assert_eq!(
        columns[2].get("arrayDataType"),
        None,
        "dropped unless ARRAY"
    );
    assert_eq!(columns[2]["dataTypeDisplay"], "string");
    assert_eq!(columns[3]["dataTypeDisplay"], "varchar(3)");
}

#[test]
fn rule_table_repository_validate_table_constraints() {
    let (om, mut c, schema) = server();
    let unique = json!({ "constraintType": "UNIQUE", "columns": ["pk"] });
    let mut body = table("t", &schema);
    body["tableConstraints"] = json!([unique, unique]);
    let r = c.put("/api/v1/tables", body);
    assert_eq!(r.status, 400);
    assert!(
        r.message().starts_with(
            "Duplicate constraint found in request: org.openmetadata.schema.type.TableConstraint@"
        ),
        "{}",
        r.message()
    );
    let mut body = table("t", &schema);
    body["tableConstraints"] = json!([{
        "constraintType": "FOREIGN_KEY", "columns": ["pk"],
        "referredColumns": ["svc.default.default.nope.pk"],
    }]);
    assert_refused(
        &c.put("/api/v1/tables", body),
        400,
        "Table not found: svc.default.default.nope",
    );
    assert_eq!(c.put("/api/v1/tables", table("other", &schema)).status, 201);
    let mut body = table("t", &schema);
    body["tableConstraints"] = json!([{
        "constraintType": "FOREIGN_KEY", "columns": ["pk"],
        "referredColumns": ["svc.default.default.other.missing"],
    }]);
    assert_refused(
        &c.put("/api/v1/tables", body.clone()),
        400,
        "Invalid column name missing",
    );
    body["tableConstraints"][0]["referredColumns"] = json!(["svc.default.default.other.qty"]);
    assert_eq!(c.put("/api/v1/tables", body).status, 201);
    // `Invalid column name X` for a constraint's own columns is reachable by PATCH,
    // where DatabaseUtil.validateConstraints does not run first.
    let id = om.entity("table", "svc.default.default.other").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c.patch(
        &format!("/api/v1/tables/{id}"),
        json!([{ "op": "add", "path": "/tableConstraints", "value": [
            { "constraintType": "UNIQUE", "columns": ["ghost"] }] }]),
    );
    assert_refused(&r, 400, "Invalid column name ghost");
    let r = c.patch(
        &format!("/api/v1/tables/{id}"),
        json!([{ "op": "add", "path": "/tableConstraints", "value": [unique, unique] }]),
    );
    assert_eq!(r.status, 400);
    assert!(r
        .message()
        .starts_with("Duplicate constraint found in request: "));
    // `all` is accepted as a column name (EntityRepository.validateColumn).
    let r = c.patch(
        &format!("/api/v1/tables/{id}"),
        json!([{ "op": "add", "path": "/tableConstraints", "value": [
            { "constraintType": "UNIQUE", "columns": ["ALL"] }] }]),
    );
    assert_eq!(r.status, 200, "{r:?}");
}

#[test]
fn rule_tags_must_exist_and_come_from_classifications() {
    let (om, mut c, schema) = server();
    let mut body = table("t", &schema);
    body["tags"] = json!([tag("Tier.Tier1"), tag("Nope.Tag")]);
    assert_refused(
        &c.put("/api/v1/tables", body),
        404,
        "tag instance for Nope.Tag not found",
    );
    let mut body = table("t", &schema);
    body["columns"] = json!([{ "name": "s", "dataType": "STRUCT", "children": [
        { "name": "x", "dataType": "INT", "tags": [tag("PII")] }] }]);
    assert_refused(
        &c.put("/api/v1/tables", body),
        404,
        "tag instance for PII not found",
    );
    let mut glossary = tag("Business.Term");
    glossary["source"] = json!("Glossary");
    let mut body = table("t", &schema);
    body["columns"][0]["tags"] = json!([glossary]);
    assert_refused(
        &c.put("/api/v1/tables", body.clone()),
        404,
        "glossaryTerm instance for Business.Term not found",
    );
    let r = c.put(BULK, json!([body.clone()]));
    assert_eq!(
        r.body["failedRequest"],
        json!([{ "request": body, "message": "glossaryTerm instance for Business.Term not found", "status": 400 }])
    );
    // Databases and schemas too.
    let r = c.put(
        "/api/v1/databaseSchemas",
        json!({ "name": "x", "database": "svc.default", "tags": [tag("No.Such")] }),
    );
    assert_refused(&r, 404, "tag instance for No.Such not found");
    // A registered tag works.
    om.add_tag("Custom.Thing", false);
    let mut body = table("t", &schema);
    body["tags"] = json!([
        tag("Custom.Thing"),
        tag("PersonalData.Personal"),
        tag("Tier.Tier5")
    ]);
    let r = c.put("/api/v1/tables", body);
    assert_eq!(r.status, 201, "{r:?}");
    let stored: Vec<&str> = r.body["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tagFQN"].as_str().unwrap())
        .collect();
    assert_eq!(
        stored,
        ["Custom.Thing", "PersonalData.Personal", "Tier.Tier5"],
        "sorted"
    );
}

#[test]
fn rule_tags_mutually_exclusive() {
    let (om, mut c, schema) = server();
    let message = "Tag labels PII.Sensitive and PII.NonSensitive are mutually exclusive and can't be assigned together";
    // In one request: sorted by tagFQN, the later label named first; nested columns too.
    let mut body = table("t", &schema);
    body["columns"] = json!([{ "name": "s", "dataType": "STRUCT", "children": [
        { "name": "x", "dataType": "INT", "tags": [tag("PII.Sensitive"), tag("PII.NonSensitive")] }] }]);
    assert_refused(&c.put("/api/v1/tables", body), 400, message);
    let mut body = table("t", &schema);
    body["tags"] = json!([tag("Tier.Tier2"), tag("Tier.Tier1")]);
    assert_refused(
        &c.put("/api/v1/tables", body),
        400,
        "Tag labels Tier.Tier2 and Tier.Tier1 are mutually exclusive and can't be assigned together",
    );
    // The same label twice is one label.
    let mut body = table("t", &schema);
    body["tags"] = json!([tag("PII.None"), tag("PII.None")]);
    let r = c.put("/api/v1/tables", body);
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["tags"].as_array().unwrap().len(), 1);
    // On a PUT update the stored tags are appended after the request's.
    let mut body = table("u", &schema);
    body["tags"] = json!([tag("PII.Sensitive")]);
    assert_eq!(c.put("/api/v1/tables", body).status, 201);
    let mut body = table("u", &schema);
    body["tags"] = json!([tag("PII.NonSensitive")]);
    assert_refused(&c.put("/api/v1/tables", body.clone()), 400, message);
    let r = c.put(BULK, json!([body]));
    assert_eq!(
        r.body["failedRequest"],
        json!([{ "request": "svc.default.default.u", "message": message, "status": 400 }])
    );
    // Column tags merge the same way.
    let mut body = table("u", &schema);
    body["columns"][0]["tags"] = json!([tag("PII.Sensitive")]);
    assert_eq!(c.put("/api/v1/tables", body).status, 200);
    let mut body = table("u", &schema);
    body["columns"][0]["tags"] = json!([tag("PII.NonSensitive")]);
    assert_refused(&c.put("/api/v1/tables", body), 400, message);
    // A classification that is not mutually exclusive allows siblings.
    om.add_tag("Loose.A", false);
    om.add_tag("Loose.B", false);
    om.add_tag("Strict.Group.A", true);
    om.add_tag("Strict.Group.B", true);
    let mut body = table("v", &schema);
    body["tags"] = json!([tag("Loose.A"), tag("Loose.B")]);
    assert_eq!(c.put("/api/v1/tables", body).status, 201);
    let mut body = table("v", &schema);
    body["tags"] = json!([tag("Strict.Group.A"), tag("Strict.Group.B")]);
    assert_refused(
        &c.put("/api/v1/tables", body),
        400,
        "Tag labels Strict.Group.B and Strict.Group.A are mutually exclusive and can't be assigned together",
    );
}

#[test]
fn rule_put_merges_tags_and_keeps_owners() {
    let (om, mut c, schema) = server();
    let mut body = table("t", &schema);
    body["tags"] = json!([tag("Tier.Tier1")]);
    body["columns"][0]["tags"] = json!([tag("PII.Sensitive")]);
    assert_eq!(c.put("/api/v1/tables", body).status, 201);
    let mut body = table("t", &schema);
    body["tags"] = json!([tag("PersonalData.Personal")]);
    let r = c.put("/api/v1/tables", body);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("X-OpenMetadata-Change"), Some("entityUpdated"));
    let stored = om.entity("table", "svc.default.default.t").unwrap();
    let tags: Vec<&str> = stored["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tagFQN"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["PersonalData.Personal", "Tier.Tier1"]);
    assert_eq!(
        stored["columns"][0]["tags"][0]["tagFQN"], "PII.Sensitive",
        "PUT can't remove tags"
    );
    assert_eq!(stored["version"], json!(0.2));
}

#[test]
fn rule_create_or_update_statuses_headers_and_versions() {
    let (om, mut c, schema) = server();
    let fqn = "svc.default.default.t";
    let version = |om: &ContractServer| om.entity("table", fqn).unwrap()["version"].clone();
    let columns = |extra: Value| {
        let mut cols = vec![
            json!({ "name": "pk", "dataType": "STRING" }),
            json!({ "name": "v", "dataType": "VARCHAR", "dataLength": 10 }),
            json!({ "name": "n", "dataType": "DECIMAL", "precision": 10, "scale": 2 }),
        ];
        if let Some(more) = extra.as_array() {
            cols.extend(more.iter().cloned());
        }
        Value::Array(cols)
    };
    let r = c.put(
        "/api/v1/tables",
        table_with("t", &schema, columns(json!([]))),
    );
    assert_eq!(
        (r.status, r.header("X-OpenMetadata-Change")),
        (201, Some("entityCreated"))
    );
    assert_eq!(r.body["version"], json!(0.1));
    let r = c.put(
        "/api/v1/tables",
        table_with("t", &schema, columns(json!([]))),
    );
    assert_eq!(
        (r.status, r.header("X-OpenMetadata-Change")),
        (200, Some("entityNoChange"))
    );
    assert_eq!(version(&om), json!(0.1));
    // A column added: minor.
    let extra = json!([{ "name": "x", "dataType": "INT" }]);
    let r = c.put(
        "/api/v1/tables",
        table_with("t", &schema, columns(extra.clone())),
    );
    assert_eq!(
        (r.status, r.header("X-OpenMetadata-Change")),
        (200, Some("entityUpdated"))
    );
    assert_eq!(version(&om), json!(0.2));
    // dataLength increased: minor; reduced: major.
    let mut cols = columns(extra.clone());
    cols[1]["dataLength"] = json!(20);
    c.put("/api/v1/tables", table_with("t", &schema, cols.clone()));
    assert_eq!(version(&om), json!(0.3));
    cols[1]["dataLength"] = json!(5);
    c.put("/api/v1/tables", table_with("t", &schema, cols.clone()));
    assert_eq!(version(&om), json!(1.3));
    // precision reduced: major.
    cols[2]["precision"] = json!(9);
    c.put("/api/v1/tables", table_with("t", &schema, cols.clone()));
    assert_eq!(version(&om), json!(2.3));
    // Column name case is not identity-changing, a dataType change is.
    cols[0]["name"] = json!("PK");
    c.put("/api/v1/tables", table_with("t", &schema, cols.clone()));
    assert_eq!(
        version(&om),
        json!(2.3),
        "only the name's case: no recorded change"
    );
    cols[3]["dataType"] = json!("BIGINT");
    c.put("/api/v1/tables", table_with("t", &schema, cols.clone()));
    assert_eq!(version(&om), json!(3.3));
    // A column deleted: major.
    let r = c.put(
        "/api/v1/tables",
        table_with("t", &schema, columns(json!([]))),
    );
    assert_eq!(r.header("X-OpenMetadata-Change"), Some("entityUpdated"));
    assert_eq!(version(&om), json!(4.3));
    // PUT on a soft-deleted table restores it.
    let id = om.entity("table", fqn).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c.call("DELETE", &format!("/api/v1/tables/{id}"), None);
    assert_eq!(r.header("X-OpenMetadata-Change"), Some("entitySoftDeleted"));
    let r = c.put(
        "/api/v1/tables",
        table_with("t", &schema, columns(json!([]))),
    );
    assert_eq!(
        (r.status, r.header("X-OpenMetadata-Change")),
        (200, Some("entityRestored"))
    );
    assert_eq!(r.body["deleted"], false);
    assert_eq!(version(&om), json!(4.5));
}

#[test]
fn rule_a_bot_put_keeps_descriptions_a_person_wrote() {
    let (om, mut c, schema) = server();
    let fqn = "svc.default.default.t";
    let mut body = table("t", &schema);
    body["description"] = json!("from the source");
    assert_eq!(c.put("/api/v1/tables", body).status, 201);
    let edited = om.edit_as_user("table", fqn, |t| {
        t["description"] = json!("curated by a person");
        t["displayName"] = json!("Curated");
        t["columns"][0]["description"] = json!("the key");
        t["columns"][1]["displayName"] = json!("Quantity");
    });
    assert_eq!(edited["updatedBy"], "admin");
    assert_eq!(edited["version"], json!(0.2));
    let mut body = table("t", &schema);
    body["description"] = json!("from the source, again");
    body["displayName"] = json!("Source name");
    body["columns"][0]["description"] = json!("bot text");
    body["columns"][1]["displayName"] = json!("bot name");
    let r = c.put("/api/v1/tables", body.clone());
    assert_eq!(
        (r.status, r.header("X-OpenMetadata-Change")),
        (200, Some("entityNoChange"))
    );
    let stored = om.entity("table", fqn).unwrap();
    assert_eq!(stored["description"], "curated by a person");
    assert_eq!(stored["displayName"], "Curated");
    assert_eq!(stored["columns"][0]["description"], "the key");
    assert_eq!(stored["columns"][1]["displayName"], "Quantity");
    assert_eq!(stored["version"], json!(0.2));
    // overrideMetadata=true (bulk only) replaces them; a column description is never
    // blanked by it.
    let mut override_body = body.clone();
    override_body["columns"][1]
        .as_object_mut()
        .unwrap()
        .remove("displayName");
    let r = c.put(
        &format!("{BULK}&overrideMetadata=true"),
        json!([override_body]),
    );
    assert_eq!(r.body["status"], "success", "{r:?}");
    let stored = om.entity("table", fqn).unwrap();
    assert_eq!(stored["description"], "from the source, again");
    assert_eq!(stored["displayName"], "Source name");
    assert_eq!(stored["columns"][0]["description"], "bot text");
    assert_eq!(
        stored["columns"][1]["displayName"], "Quantity",
        "not blanked"
    );
    assert_eq!(stored["version"], json!(0.3));
    assert_eq!(stored["updatedBy"], "ingestion-bot");
    // Without overrideMetadata, a bulk is a bot's PUT.
    let mut again = table("t", &schema);
    again["description"] = json!("third");
    c.put(BULK, json!([again]));
    assert_eq!(
        om.entity("table", fqn).unwrap()["description"],
        "from the source, again"
    );
}

#[test]
fn rule_bulk_source_hash_fast_path_and_parent_lookup() {
    let (om, mut c, schema) = server();
    let fqn = "svc.default.default.t";
    let mut body = table("t", &schema);
    body["sourceHash"] = json!("h1");
    let r = c.put(BULK, json!([body.clone()]));
    assert_eq!(
        r.body["successRequest"],
        json!([{ "request": fqn, "status": 200 }])
    );
    // Same non-empty sourceHash: reported unchanged without comparing.
    let mut changed = body.clone();
    changed["columns"][1]["name"] = json!("renamed");
    let r = c.put(BULK, json!([changed.clone()]));
    assert_eq!(r.body["status"], "success");
    let stored = om.entity("table", fqn).unwrap();
    assert_eq!(
        (
            stored["version"].clone(),
            stored["columns"][1]["name"].clone()
        ),
        (json!(0.1), json!("qty"))
    );
    // overrideMetadata=true disables the fast path (a deleted column: major).
    c.put(
        &format!("{BULK}&overrideMetadata=true"),
        json!([changed.clone()]),
    );
    let stored = om.entity("table", fqn).unwrap();
    assert_eq!(
        (
            stored["version"].clone(),
            stored["columns"][1]["name"].clone()
        ),
        (json!(1.1), json!("renamed"))
    );
    // A missing parent is a failed item (status 400, the whole request).
    let orphan = table("o", "svc.default.missing");
    let r = c.put(BULK, json!([orphan.clone(), body]));
    assert_eq!(r.body["status"], "partialSuccess");
    assert_eq!(
        r.body["failedRequest"],
        json!([{ "request": orphan, "message": "databaseSchema instance for svc.default.missing not found", "status": 400 }])
    );
}

#[test]
fn rule_patch_validates_restores_and_consolidates() {
    let (om, mut c, schema) = server();
    let fqn = "svc.default.default.t";
    let r = c.put("/api/v1/tables", table("t", &schema));
    let id = r.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/tables/{id}");
    // DatabaseUtil.validateColumns runs on PATCH.
    let r = c.patch(
        &path,
        json!([{ "op": "replace", "path": "/columns/0/dataType", "value": "VARCHAR" }]),
    );
    assert_refused(
        &r,
        400,
        "For column data types char, varchar, binary, varbinary dataLength must not be null",
    );
    let r = c.patch(&path, json!([{ "op": "add", "path": "/columns/-", "value": { "name": "pk", "dataType": "INT" } }]));
    assert_refused(&r, 400, "Column name pk is repeated");
    // Tags are validated on PATCH.
    let r = c.patch(
        &path,
        json!([{ "op": "add", "path": "/tags", "value": [tag("Nope.X")] }]),
    );
    assert_refused(&r, 404, "tag instance for Nope.X not found");
    // validateConstraints does not run on PATCH: a PK table constraint beside a PK column.
    let r = c.patch(
        &path,
        json!([
            { "op": "add", "path": "/columns/0/constraint", "value": "PRIMARY_KEY" },
            { "op": "add", "path": "/tableConstraints", "value": [{ "constraintType": "PRIMARY_KEY", "columns": ["qty"] }] },
        ]),
    );
    assert_eq!(
        (r.status, r.header("X-OpenMetadata-Change")),
        (200, Some("entityUpdated")),
        "{r:?}"
    );
    assert_eq!(r.body["version"], json!(0.2));
    // Restored attributes are ignored; column FQNs re-assigned.
    let r = c.patch(
        &path,
        json!([
            { "op": "replace", "path": "/name", "value": "other" },
            { "op": "replace", "path": "/fullyQualifiedName", "value": "x.y.z.other" },
            { "op": "replace", "path": "/columns/0/name", "value": "key" },
            { "op": "replace", "path": "/columns/0/fullyQualifiedName", "value": "nonsense" },
        ]),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["name"], "t");
    assert_eq!(r.body["fullyQualifiedName"], fqn);
    assert_eq!(
        r.body["columns"][0]["fullyQualifiedName"],
        format!("{fqn}.key")
    );
    // Same user within 10 minutes, version > 0.1: consolidated into the last change,
    // compared with the version before it (0.1): the rename deleted a column, so 1.1.
    assert_eq!(r.body["version"], json!(1.1));
    let r = c.patch(
        &path,
        json!([{ "op": "add", "path": "/description", "value": "d" }]),
    );
    assert_eq!(r.body["version"], json!(1.1));
    // A no-op patch.
    let r = c.patch(&path, json!([]));
    assert_eq!(
        (r.status, r.header("X-OpenMetadata-Change")),
        (200, Some("entityNoChange"))
    );
    // After a person's edit, the bot's PATCH is a new version.
    om.edit_as_user("table", fqn, |t| t["displayName"] = json!("T"));
    let r = c.patch(
        &path,
        json!([{ "op": "replace", "path": "/description", "value": "e" }]),
    );
    assert_eq!(r.body["version"], json!(1.3));
    // PATCH replaces tags (no merge) and may change a description a person wrote.
    c.patch(
        &path,
        json!([{ "op": "add", "path": "/tags", "value": [tag("Tier.Tier1")] }]),
    );
    let r = c.patch(
        &path,
        json!([{ "op": "replace", "path": "/tags", "value": [tag("Tier.Tier2")] }]),
    );
    assert_eq!(r.body["tags"], json!([tag("Tier.Tier2")]));
}

#[test]
fn rule_patch_removing_a_column_is_a_major_version() {
    let (om, mut c, schema) = server();
    let r = c.put("/api/v1/tables", table("t", &schema));
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = c.patch(
        &format!("/api/v1/tables/{id}"),
        json!([{ "op": "remove", "path": "/columns/1" }]),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["version"], json!(1.1));
    assert_eq!(
        om.entity("table", "svc.default.default.t").unwrap()["columns"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn rule_table_profile_timestamps_columns_and_latest() {
    let (om, mut c, schema) = server();
    let body = table_with(
        "t",
        &schema,
        json!([
            { "name": "pk", "dataType": "STRING" },
            { "name": "address", "dataType": "STRUCT", "children": [
                { "name": "street", "dataType": "STRING" },
                { "name": "geo", "dataType": "STRUCT", "children": [{ "name": "lat", "dataType": "DOUBLE" }] },
            ]},
        ]),
    );
    let id = c.put("/api/v1/tables", body).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/tables/{id}/tableProfile");
    const T1: u64 = 1_700_000_000_000;
    let r = c.put(
        &path,
        json!({ "tableProfile": { "timestamp": 1_700_000_000_u64 } }),
    );
    assert_refused(
        &r,
        400,
        "Timestamp 1700000000 is not valid, it should be in milliseconds since epoch",
    );
    let r = c.put(
        &path,
        json!({ "tableProfile": { "timestamp": T1 }, "columnProfile": [{ "name": "pk", "timestamp": 17 }] }),
    );
    assert_refused(
        &r,
        400,
        "Timestamp 17 is not valid, it should be in milliseconds since epoch",
    );
    let r = c.put(
        &path,
        json!({ "tableProfile": { "timestamp": T1 }, "systemProfile": [{ "operation": "INSERT", "rowsAffected": 1 }] }),
    );
    assert_refused(&r, 400, "Timestamp is required");
    let r = c.put(&path, json!({ "columnProfile": [{ "timestamp": T1 }] }));
    assert_refused(
        &r,
        400,
        "[query param tableProfile must not be null, query param name must not be null]",
    );
    assert_eq!(
        om.entity("table", "svc.default.default.t")
            .unwrap()
            .get("profile"),
        None
    );
    // Nested columns as parent.child; the table profile is stored before a bad column.
    let r = c.put(
        &path,
        json!({
            "tableProfile": { "timestamp": T1, "rowCount": 5 },
            "columnProfile": [
                { "name": "address.street", "timestamp": T1, "nullCount": 1 },
                { "name": "address.geo.lat", "timestamp": T1, "nullCount": 2 },
                { "name": "street", "timestamp": T1 },
            ],
        }),
    );
    assert_refused(&r, 400, "Invalid column name street");
    let stored = om.entity("table", "svc.default.default.t").unwrap();
    assert_eq!(stored["profile"]["rowCount"], 5);
    assert_eq!(
        stored["columns"][1]["children"][0]["profile"]["nullCount"],
        1
    );
    assert_eq!(
        stored["columns"][1]["children"][1]["children"][0]["profile"]["nullCount"],
        2
    );
    assert_eq!(
        stored["version"],
        json!(0.1),
        "profiles are no entity change"
    );
    // An older profile does not replace the latest.
    let r = c.put(
        &path,
        json!({ "tableProfile": { "timestamp": T1 - 1000, "rowCount": 1 } }),
    );
    assert_eq!(r.status, 200);
    let latest = c.get("/api/v1/tables/svc.default.default.t/tableProfile/latest");
    assert_eq!(latest.status, 200);
    assert_eq!(latest.body["profile"]["rowCount"], 5);
    assert_eq!(
        latest.body["columns"][1]["children"][0]["profile"]["nullCount"],
        1
    );
    let latest = c
        .get("/api/v1/tables/svc.default.default.t/tableProfile/latest?includeColumnProfile=false");
    assert_eq!(
        latest.body["columns"][1]["children"][0].get("profile"),
        None
    );
    let r = c.get("/api/v1/tables/svc.default.default.nope/tableProfile/latest");
    assert_refused(
        &r,
        404,
        "table instance for svc.default.default.nope not found",
    );
    // A plain read has no profiles.
    let r = c.get("/api/v1/tables/name/svc.default.default.t?fields=columns");
    assert_eq!(r.body.get("profile"), None);
    assert_eq!(r.body["columns"][1]["children"][0].get("profile"), None);
}

#[test]
fn rule_sample_data_columns_and_rows() {
    let (om, mut c, schema) = server();
    let id = c.put("/api/v1/tables", table("t", &schema)).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/tables/{id}/sampleData");
    for name in ["nope", "a::b", "", "PK"] {
        let r = c.put(&path, json!({ "columns": ["pk", name], "rows": [] }));
        assert_refused(&r, 400, &format!("Invalid column name {name}"));
    }
    let r = c.put(
        &path,
        json!({ "columns": ["pk", "qty"], "rows": [["a", 1], ["b"]] }),
    );
    assert_refused(
        &r,
        400,
        "Number of columns is 2 but row has 1 sample values",
    );
    let first = json!({ "columns": ["pk", "ALL"], "rows": [["a", 1]] });
    assert_eq!(
        c.put(&path, first).status,
        200,
        "`all` is accepted in any case"
    );
    let second = json!({ "columns": ["qty"], "rows": [[1], [2]] });
    let r = c.put(&path, second.clone());
    assert_eq!((r.status, &r.body["sampleData"]), (200, &second));
    assert_eq!(
        om.entity("table", "svc.default.default.t").unwrap()["sampleData"],
        second,
        "replaced"
    );
    let r = c.get(&path);
    assert_eq!((r.status, &r.body["sampleData"]), (200, &second));
    assert_eq!(
        c.get("/api/v1/tables/name/svc.default.default.t")
            .body
            .get("sampleData"),
        None
    );
    let r = c.get("/api/v1/tables/name/svc.default.default.t?fields=sampleData");
    assert_eq!(r.body["sampleData"], second);
    let r = c.get("/api/v1/tables/00000000-0000-4000-8000-000000000000/sampleData");
    assert_refused(
        &r,
        404,
        "table instance for 00000000-0000-4000-8000-000000000000 not found",
    );
}

#[test]
fn rule_delete_stale_request_and_answer() {
    let (om, mut c, schema) = server();
    for name in ["t1", "t.2", "t3"] {
        assert_eq!(c.put("/api/v1/tables", table(name, &schema)).status, 201);
    }
    let stale =
        |c: &mut Client, body: Value| c.call("DELETE", "/api/v1/tables/deleteStale", Some(body));
    let r = stale(
        &mut c,
        json!({ "scopeFqn": "", "scopeEntityType": "databaseSchema", "seenFqns": ["x"] }),
    );
    assert_refused(&r, 400, "scopeFqn is required for deleteStale");
    let r = stale(
        &mut c,
        json!({ "scopeFqn": schema, "scopeEntityType": "", "seenFqns": ["x"] }),
    );
    assert_refused(&r, 400, "scopeEntityType is required for deleteStale");
    let r = stale(
        &mut c,
        json!({ "scopeFqn": schema, "scopeEntityType": "schema", "seenFqns": ["x"] }),
    );
    assert_refused(
        &r,
        400,
        "Unsupported scopeEntityType 'schema' for deleteStale",
    );
    let r = stale(
        &mut c,
        json!({ "scopeFqn": schema, "scopeEntityType": "databaseSchema" }),
    );
    assert_refused(&r, 400, "[query param seenFqns must not be null]");
    let r = stale(
        &mut c,
        json!({ "scopeFqn": schema, "scopeEntityType": "databaseSchema", "seenFqns": [], "extra": 1 }),
    );
    assert_eq!(r.status, 400);
    // Empty seenFqns, an unknown scope, a scope of a type not stored: nothing deleted.
    let nothing = json!({
        "dryRun": false, "status": "success", "numberOfRowsProcessed": 0, "numberOfRowsPassed": 0,
        "numberOfRowsFailed": 0, "successRequest": [], "failedRequest": [],
    });
    for body in [
        json!({ "scopeFqn": schema, "scopeEntityType": "databaseSchema", "seenFqns": [] }),
        json!({ "scopeFqn": "svc.default.nope", "scopeEntityType": "databaseSchema", "seenFqns": ["x"] }),
        json!({ "scopeFqn": "svc", "scopeEntityType": "dashboardService", "seenFqns": ["x"] }),
    ] {
        let r = stale(&mut c, body.clone());
        assert_eq!((r.status, &r.body), (200, &nothing), "{body}");
    }
    // Dry run reports without deleting; quoting does not matter in seenFqns.
    let body = json!({ "scopeFqn": "svc", "scopeEntityType": "service", "seenFqns": ["svc.default.default.\"t1\""], "dryRun": true });
    let r = stale(&mut c, body);
    assert_eq!(r.body["dryRun"], true);
    assert_eq!(
        r.body["successRequest"],
        json!([{ "request": "svc.default.default.\"t.2\"", "status": 200 }, { "request": "svc.default.default.t3", "status": 200 }])
    );
    assert!(om.entities("table").iter().all(|t| t["deleted"] == false));
    // hardDelete removes.
    let body = json!({ "scopeFqn": schema, "scopeEntityType": "databaseSchema", "seenFqns": ["svc.default.default.t1", "svc.default.default.t3"], "hardDelete": true });
    let r = stale(&mut c, body);
    assert_eq!(r.body["numberOfRowsPassed"], 1);
    assert_eq!(
        fqns(&json!(om.entities("table"))),
        ["svc.default.default.t1", "svc.default.default.t3"]
    );
}

#[test]
fn rule_read_fields() {
    let (_om, mut c, schema) = server();
    let mut body = table("t", &schema);
    body["tags"] = json!([tag("Tier.Tier1")]);
    body["columns"][0]["tags"] = json!([tag("PII.Sensitive")]);
    body["tableConstraints"] = json!([{ "constraintType": "UNIQUE", "columns": ["pk"] }]);
    let r = c.put("/api/v1/tables", body);
    assert_eq!(r.status, 201);
    assert_eq!(
        r.body["tags"][0]["tagFQN"], "Tier.Tier1",
        "a PUT answers with what it stored"
    );
    let id = r.body["id"].as_str().unwrap().to_string();
    for path in [
        "/api/v1/tables/name/svc.default.default.t".to_string(),
        format!("/api/v1/tables/{id}"),
    ] {
        let r = c.get(&path);
        assert_eq!(r.status, 200);
        assert!(r.body["columns"].is_array(), "columns always come back");
        for absent in [
            "tags",
            "tableConstraints",
            "owners",
            "followers",
            "extension",
        ] {
            assert_eq!(r.body.get(absent), None, "{absent}");
        }
        assert_eq!(r.body["columns"][0].get("tags"), None);
        let r = c.get(&format!("{path}?fields=tags"));
        assert_eq!(r.body["tags"][0]["tagFQN"], "Tier.Tier1");
        assert_eq!(
            r.body["columns"][0].get("tags"),
            None,
            "column tags need columns,tags"
        );
        let r = c.get(&format!("{path}?fields=columns,%20tags,tableConstraints"));
        assert_eq!(r.body["columns"][0]["tags"][0]["tagFQN"], "PII.Sensitive");
        assert_eq!(r.body["tableConstraints"][0]["constraintType"], "UNIQUE");
        let r = c.get(&format!("{path}?fields=*"));
        assert_eq!(r.body["columns"][0]["tags"][0]["tagFQN"], "PII.Sensitive");
        let r = c.get(&format!("{path}?fields=columns,nope"));
        assert_refused(&r, 400, "Invalid field name nope");
    }
    let r = c.get("/api/v1/tables?databaseSchema=svc.default.default");
    assert_eq!(r.body["data"][0].get("tags"), None);
    let r = c.get("/api/v1/tables?databaseSchema=svc.default.default&fields=columns,tags");
    assert_eq!(
        r.body["data"][0]["columns"][0]["tags"][0]["tagFQN"],
        "PII.Sensitive"
    );
    assert_refused(
        &c.get("/api/v1/tables?fields=bogus"),
        400,
        "Invalid field name bogus",
    );
}

#[test]
fn read_route_columns_pages_the_top_level_columns() {
    let (om, mut c, schema) = server();
    let columns: Vec<Value> = (0..120)
        .map(|i| json!({ "name": format!("c{i:03}"), "dataType": "INT", "tags": if i == 0 { json!([tag("PII.None")]) } else { json!([]) } }))
        .collect();
    let r = c.put(
        "/api/v1/tables",
        table_with("t", &schema, Value::Array(columns)),
    );
    assert_eq!(r.status, 201);
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = c.get("/api/v1/tables/name/svc.default.default.t/columns");
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 50);
    assert_eq!(r.body["paging"], json!({ "total": 120, "after": "50" }));
    assert_eq!(r.body["data"][0].get("tags"), None);
    let r = c.get(&format!(
        "/api/v1/tables/{id}/columns?offset=100&limit=50&fields=tags"
    ));
    assert_eq!(r.body["data"].as_array().unwrap().len(), 20);
    assert_eq!(r.body["paging"], json!({ "total": 120, "before": "50" }));
    let r = c.get("/api/v1/tables/name/svc.default.default.t/columns?limit=1&fields=tags");
    assert_eq!(r.body["data"][0]["tags"][0]["tagFQN"], "PII.None");
    assert_refused(
        &c.get("/api/v1/tables/name/svc.default.default.t/columns?limit=0"),
        400,
        "[query param limit must be greater than or equal to 1]",
    );
    assert_refused(
        &c.get("/api/v1/tables/name/svc.default.default.t/columns?fields=owners"),
        400,
        "Invalid field name owners",
    );
    assert_refused(
        &c.get("/api/v1/tables/name/svc.default.default.nope/columns"),
        404,
        "table instance for svc.default.default.nope not found",
    );
    let _ = om;
}

/// DescriptionSanitizer runs on create and on every update path: PUT of a new entity
/// (any kind), PATCH, and a bulk item with overrideMetadata; a bot's PUT that keeps
/// the stored description compares nothing.
#[test]
fn rule_descriptions_are_stored_sanitized_on_create_and_update() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let mut svc = service("svc");
    svc["description"] = json!("key `pk` x=1");
    let r = c.put("/api/v1/services/databaseServices", svc);
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["description"], "key &#96;pk&#96; x&#61;1");
    let schema = hierarchy(&mut c, "default");
    let mut t = table("orders", &schema);
    t["description"] = json!("it's <script>x</script><code>pk</code> @ +");
    let r = c.put("/api/v1/tables", t.clone());
    assert_eq!(r.status, 201, "{r:?}");
    let stored = om.entity("table", "svc.default.default.orders").unwrap();
    assert_eq!(
        stored["description"],
        "it&#39;s <code>pk</code> &#64; &#43;"
    );

    // The same PUT again: the bot's PUT keeps the stored description, no new version.
    let r = c.put("/api/v1/tables", t.clone());
    assert_eq!(r.header("X-OpenMetadata-Change"), Some("entityNoChange"));

    // A PATCH is sanitized too; sending the stored (encoded) text changes nothing.
    let id = stored["id"].as_str().unwrap();
    let r = c.patch(
        &format!("/api/v1/tables/{id}"),
        json!([{ "op": "replace", "path": "/description", "value": "a=b" }]),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["description"], "a&#61;b");
    let version = r.body["version"].clone();
    let r = c.patch(
        &format!("/api/v1/tables/{id}"),
        json!([{ "op": "replace", "path": "/description", "value": "a&#61;b" }]),
    );
    assert_eq!(r.header("X-OpenMetadata-Change"), Some("entityNoChange"));
    assert_eq!(r.body["version"], version);

    // overrideMetadata: the bulk item's description replaces the stored one, sanitized;
    // the unsanitized one compares as a change every time, the encoded one as none.
    t["description"] = json!("x `y`");
    let bulk = |c: &mut Client, body: Value| {
        c.put(
            "/api/v1/tables/bulk?async=false&overrideMetadata=true",
            json!([body]),
        )
    };
    assert_eq!(bulk(&mut c, t.clone()).status, 200);
    let after = om.entity("table", "svc.default.default.orders").unwrap();
    assert_eq!(after["description"], "x &#96;y&#96;");
    t["description"] = json!("x &#96;y&#96;");
    bulk(&mut c, t);
    let again = om.entity("table", "svc.default.default.orders").unwrap();
    assert_eq!(again["version"], after["version"]);
}

/// A nested column whose FQN has 24 parts (nesting level 20) hashes to 791
/// characters: tagging it fails with a 500 and stores nothing; 23 parts (758) fit.
#[test]
fn rule_a_tag_on_a_column_whose_fqn_hash_is_too_long_fails_the_whole_write() {
    assert_eq!(rules::fqn_hash_len("a.b.c.d"), 131);
    assert_eq!(rules::fqn_hash_len("a.b.\"c.d\".e"), 33 * 4 - 1);
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let schema = hierarchy(&mut c, "default");
    // A chain of STRUCTs 21 deep: column l0 .. l20.
    let mut column = json!({ "name": "l20", "dataType": "STRING" });
    for depth in (0..20).rev() {
        column = json!({ "name": format!("l{depth}"), "dataType": "STRUCT", "children": [column] });
    }
    let r = c.put(
        "/api/v1/tables",
        json!({ "name": "deep", "databaseSchema": schema, "columns": [column] }),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body["id"].as_str().unwrap().to_string();
    let pointer = |depth: usize| format!("/columns/0{}", "/children/0".repeat(depth));
    // l18: table FQN (4 parts) + 19 = 23 parts: fits. l19: 24 parts: does not.
    let r = c.patch(
        &format!("/api/v1/tables/{id}"),
        json!([
            { "op": "add", "path": format!("{}/tags", pointer(0)), "value": [tag("PII.Sensitive")] },
            { "op": "add", "path": format!("{}/tags", pointer(19)), "value": [tag("PII.Sensitive")] },
        ]),
    );
    assert_eq!(r.status, 500, "{r:?}");
    assert!(r.message().contains("targetFQNHash"), "{}", r.message());
    let stored = om.entity("table", "svc.default.default.deep").unwrap();
    assert_eq!(
        stored["version"],
        json!(0.1),
        "nothing of the failed PATCH is stored"
    );
    assert!(stored["columns"][0].get("tags").is_none());
    let r = c.patch(
        &format!("/api/v1/tables/{id}"),
        json!([{ "op": "add", "path": format!("{}/tags", pointer(18)), "value": [tag("PII.Sensitive")] }]),
    );
    assert_eq!(r.status, 200, "{r:?}");
}

/// Lineage and usage (issue 26): `LineageRepository.addLineage`'s checks, GET and DELETE,
/// pipelines under an existing service, `DailyCount` bounds and POST replacing a day.
#[test]
fn lineage_needs_both_ends_and_a_known_source_and_deletes_by_edge() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let schema = hierarchy(&mut c, "default");
    let r = c.put("/api/v1/tables", table("orders", &schema));
    let table_id = r.body["id"].as_str().unwrap().to_string();
    let container = om.add_container("s3", "bkt", "s3://bkt");
    let edge = |to_id: &str, to_type: &str, source: &str| {
        json!({"edge": {
            "fromEntity": {"id": table_id, "type": "table"},
            "toEntity": {"id": to_id, "type": to_type},
            "lineageDetails": {"description": "dynameta: x", "source": source}
        }})
    };
    // An end that does not exist, by id or by type.
    let missing = "00000000-0000-4000-8000-000000000000";
    let r = c.put(
        "/api/v1/lineage",
        edge(missing, "container", "PipelineLineage"),
    );
    assert_refused(
        &r,
        404,
        &format!("container instance for {missing} not found"),
    );
    let r = c.put(
        "/api/v1/lineage",
        edge(&container, "topic", "PipelineLineage"),
    );
    assert_eq!(r.status, 404, "{r:?}");
    // The closed source enum.
    let r = c.put("/api/v1/lineage", edge(&container, "container", "DynamoDB"));
    assert_eq!(r.status, 400, "{r:?}");
    assert!(om.lineage_edges().is_empty());
    let r = c.put(
        "/api/v1/lineage",
        edge(&container, "container", "PipelineLineage"),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let edges = om.lineage_edges();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["lineageDetails"]["createdBy"], "ingestion-bot");
    // Read back with the far end's type among the nodes.
    let r = c.get(
        "/api/v1/lineage/table/name/svc.default.default.orders?upstreamDepth=0&downstreamDepth=1",
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["downstreamEdges"][0]["toEntity"], container.as_str());
    assert_eq!(r.body["nodes"][0]["type"], "container");
    // Delete once; a second time there is no edge.
    let path = format!("/api/v1/lineage/table/{table_id}/container/{container}");
    assert_eq!(c.call("DELETE", &path, None).status, 200);
    assert_eq!(c.call("DELETE", &path, None).status, 404);
    assert!(om.lineage_edges().is_empty());
}

#[test]
fn pipelines_need_their_service_and_usage_replaces_a_day_within_int_bounds() {
    let om = ContractServer::start("2.0.7", None);
    let mut c = Client::connect(&om);
    let r = c.put(
        "/api/v1/pipelines",
        json!({"name": "lambda-f", "service": "consumers"}),
    );
    assert_refused(&r, 404, "pipelineService instance for consumers not found");
    let r = c.put(
        "/api/v1/services/pipelineServices",
        json!({"name": "consumers", "serviceType": "NotAType"}),
    );
    assert_eq!(r.status, 400, "{r:?}");
    let r = c.put(
        "/api/v1/services/pipelineServices",
        json!({"name": "consumers", "serviceType": "CustomPipeline",
               "connection": {"config": {"type": "CustomPipeline"}}}),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let r = c.put(
        "/api/v1/pipelines",
        json!({"name": "lambda-f", "service": "consumers"}),
    );
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["fullyQualifiedName"], "consumers.lambda-f");
    let again = c.put(
        "/api/v1/pipelines",
        json!({"name": "lambda-f", "service": "consumers"}),
    );
    assert_eq!((again.status, &again.body["id"]), (200, &r.body["id"]));

    let schema = hierarchy(&mut c, "default");
    let t = c.put("/api/v1/tables", table("orders", &schema));
    let id = t.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/usage/table/{id}");
    let post = |c: &mut Client, body: Value| c.call("POST", &path, Some(body));
    assert_eq!(
        post(&mut c, json!({"date": "2026-12-06", "count": -1})).status,
        400
    );
    assert_eq!(
        post(
            &mut c,
            json!({"date": "2026-12-06", "count": 2147483648u64})
        )
        .status,
        400
    );
    assert_eq!(
        post(&mut c, json!({"date": "06/12/2026", "count": 1})).status,
        400
    );
    assert_eq!(
        post(&mut c, json!({"date": "2026-12-06", "count": 1, "x": 1})).status,
        400
    );
    assert_eq!(
        post(&mut c, json!({"date": "2026-12-06", "count": 5})).status,
        201
    );
    assert_eq!(
        post(&mut c, json!({"date": "2026-12-06", "count": 7})).status,
        201
    );
    assert_eq!(om.usage(&id), vec![("2026-12-06".to_string(), 7)]);
    let r = c.call(
        "POST",
        "/api/v1/usage/compute.percentile/table/2026-12-06",
        None,
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(om.percentile_requests(), vec!["table/2026-12-06"]);
}
