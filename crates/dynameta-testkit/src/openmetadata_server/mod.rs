//! An in-process OpenMetadata contract server: answers the REST endpoints dynameta
//! uses the way OpenMetadata 2.0 (or 1.x) does, validates every request body against
//! the upstream JSON Schemas in `openmetadata-spec/`, and enforces the rules the Java
//! server adds (ported with citations of their upstream file and method), so
//! integration tests can run the connector against it without a real OpenMetadata.
//!
//! * `names.rs`: entity/column name constraints, `FullyQualifiedName.quoteName`;
//! * `rules.rs`: `DatabaseUtil`, `TableRepository` table constraint / profile / sample
//!   data checks, and the `tag_usage.targetFQNHash` column's length;
//! * `sanitize.rs`: `DescriptionSanitizer` (the OWASP HTML policy every description
//!   goes through, create and update);
//! * `tags.rs`: the tag registry (seeded like a fresh OpenMetadata) and `TagLabelUtil`;
//! * `classifications.rs`: `PUT`/`GET` of classifications and tags;
//! * `principals.rs`: users and teams, the e-mail search, the owner rules;
//! * `create.rs`, `updater.rs`: create-or-update (`EntityResource`, `EntityRepository`,
//!   `EntityUpdater`: 201/200, `X-OpenMetadata-Change`, versions, bot guards, merges);
//! * `bulk.rs`: `PUT /{collection}/bulk`, `DELETE /tables/deleteStale`;
//! * `tables.rs`: PATCH, profiles, sample data, the columns API;
//! * `fields.rs`: what reads return for `fields=`;
//! * `dq.rs`, `dq_definitions/`: data quality (test definitions, test cases, suites,
//!   results).
//!
//! Every caller is treated as OpenMetadata's `ingestion-bot` (a bot);
//! [`ContractServer::edit_as_user`] changes an entity as a person would.
//!
//! HTTP/1.1 (or HTTPS with a generated certificate, [`ContractServer::start_tls`]) on
//! `127.0.0.1` (axum on hyper, on the server's own tokio runtime in a
//! background thread, so tests may be synchronous), keep-alive, `Content-Length` or
//! chunked request bodies. The server lives until the test process exits.
//!
//! ```no_run
//! use dynameta_testkit::openmetadata_server::{ContractServer, Fault, FaultKind};
//!
//! let om = ContractServer::start("2.0.7", Some("test-jwt"));
//! om.inject(Fault {
//!     method: "PUT".into(),
//!     path_prefix: "/api/v1/tables".into(),
//!     kind: FaultKind::Status { code: 503, retry_after: Some(1) },
//!     times: Some(1),
//!     probability: 1.0,
//! });
//! // ... run dynameta with hostPort = format!("{}/api", om.endpoint()) ...
//! let tables = om.entities("table");
//! # let _ = tables;
//! ```

mod bulk;
mod classifications;
mod create;
mod dq;
mod dq_definitions;
mod fields;
mod http;
mod lineage;
mod names;
mod patch;
mod principals;
mod routes;
mod rules;
mod sanitize;
mod state;
mod tables;
mod tags;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_dq;
#[cfg(test)]
mod tests_tags;
mod tls;
mod updater;

use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

use state::{Kind, Store};

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Method, e.g. `PUT`.
    pub method: String,
    /// Path as sent (percent-encoded), without the query, e.g. `/api/v1/tables`.
    pub path: String,
    /// Query string as sent, without the `?`; empty when there is none.
    pub query: String,
    /// The body parsed as JSON; `None` when empty; a JSON string holding the text when
    /// the body is not JSON.
    pub body: Option<Value>,
    /// The status answered; `0` while unanswered or when a [`FaultKind::Drop`] closed
    /// the connection instead.
    pub status: u16,
    /// Headers in the order sent, names lowercased, values trimmed.
    pub headers: Vec<(String, String)>,
}

/// A fault rule: matching requests get `kind` instead of (or before) the normal answer.
#[derive(Debug, Clone)]
pub struct Fault {
    /// Method to match, e.g. `PUT` (case-insensitive); `*` or empty matches any.
    pub method: String,
    /// Prefix of the request path (without query), e.g. `/api/v1/tables`.
    pub path_prefix: String,
    /// What happens.
    pub kind: FaultKind,
    /// How many times the rule applies; `None` = forever.
    pub times: Option<u32>,
    /// Chance (0..=1) that a matching request is faulted, drawn from a deterministic
    /// xorshift generator seeded per server.
    pub probability: f64,
}

/// What a fault does.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer `code` with an OpenMetadata error body (and `Retry-After` when set).
    Status {
        /// HTTP status.
        code: u16,
        /// `Retry-After` seconds.
        retry_after: Option<u32>,
    },
    /// Close the connection without answering.
    Drop,
    /// Wait, then answer normally.
    Delay {
        /// How long to wait.
        millis: u64,
    },
    /// A slow server that applies the request after the client gave up: the connection
    /// is closed at once without an answer, and the request is handled `millis` later
    /// (its [`Recorded::status`] is set then). [`ContractServer::wait_late`] waits for
    /// every such request to be handled.
    Late {
        /// How long after the connection closed the request is handled.
        millis: u64,
    },
}

struct Rule {
    fault: Fault,
    applied: u32,
}

struct Faults {
    rules: Vec<Rule>,
    rng: u64,
}

/// State shared by the connection threads.
struct Shared {
    version: String,
    major: u64,
    jwt: Option<String>,
    store: Mutex<Store>,
    faults: Mutex<Faults>,
    requests: Mutex<Vec<Recorded>>,
    /// [`FaultKind::Late`] requests not handled yet, and their end signal.
    late: Mutex<u32>,
    late_done: std::sync::Condvar,
}

/// Locks `mutex`, ignoring poisoning (a panicking handler leaves consistent data: every
/// change is a whole-entity replacement).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running contract server; it lives as long as the test process.
pub struct ContractServer {
    shared: Arc<Shared>,
    endpoint: String,
    ca: Option<tls::CaFile>,
}

impl ContractServer {
    /// Starts a server answering as OpenMetadata `version` (e.g. "2.0.7" or "1.9.4").
    /// `jwt`: when Some, every request must carry `Authorization: Bearer <jwt>`, else 401.
    pub fn start(version: &str, jwt: Option<&str>) -> ContractServer {
        ContractServer::start_with(version, jwt, false)
    }

    /// [`ContractServer::start`] over HTTPS: the server presents a certificate for
    /// `127.0.0.1` and `localhost` signed by a CA generated for this server, whose PEM
    /// file is [`ContractServer::ca_file`]; [`ContractServer::endpoint`] is
    /// `https://127.0.0.1:PORT`.
    pub fn start_tls(version: &str, jwt: Option<&str>) -> ContractServer {
        ContractServer::start_with(version, jwt, true)
    }

    fn start_with(version: &str, jwt: Option<&str>, https: bool) -> ContractServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the contract server");
        let port = listener
            .local_addr()
            .expect("contract server address")
            .port();
        let (acceptor, ca) = if https {
            let (acceptor, ca) = tls::generate();
            (Some(acceptor), Some(ca))
        } else {
            (None, None)
        };
        let scheme = if https { "https" } else { "http" };
        let endpoint = format!("{scheme}://127.0.0.1:{port}");
        let major = version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        let shared = Arc::new(Shared {
            version: version.to_string(),
            major,
            jwt: jwt.map(str::to_string),
            store: Mutex::new(Store::new(format!("{endpoint}/api/v1"))),
            faults: Mutex::new(Faults {
                rules: Vec::new(),
                rng: 0x9E37_79B9_7F4A_7C15,
            }),
            requests: Mutex::new(Vec::new()),
            late: Mutex::new(0),
            late_done: std::sync::Condvar::new(),
        });
        http::spawn(listener, shared.clone(), acceptor);
        ContractServer {
            shared,
            endpoint,
            ca,
        }
    }

    /// `http://127.0.0.1:PORT` (`https://` for [`ContractServer::start_tls`]; no /api
    /// suffix).
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// The PEM file of the CA that signed the certificate of a server started with
    /// [`ContractServer::start_tls`] (deleted when this handle is dropped); `None` for
    /// a plain HTTP server.
    pub fn ca_file(&self) -> Option<&std::path::Path> {
        self.ca.as_ref().map(tls::CaFile::path)
    }

    /// Adds a fault rule (see [`Fault`]); rules are tried in the order added.
    pub fn inject(&self, fault: Fault) {
        lock(&self.shared.faults)
            .rules
            .push(Rule { fault, applied: 0 });
    }

    /// Removes all fault rules.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).rules.clear();
    }

    /// Stored entities of a kind: "databaseService", "database", "databaseSchema",
    /// "table" (including soft-deleted ones, with "deleted": true), sorted by FQN.
    ///
    /// Panics on any other kind.
    pub fn entities(&self, kind: &str) -> Vec<Value> {
        let kind = known_kind(kind);
        lock(&self.shared.store).all(kind).cloned().collect()
    }

    /// The entity of `kind` with this fullyQualifiedName (deleted or not).
    ///
    /// Panics on an unknown kind.
    pub fn entity(&self, kind: &str, fqn: &str) -> Option<Value> {
        let kind = known_kind(kind);
        lock(&self.shared.store).get(kind, fqn).cloned()
    }

    /// Registers the tag `fqn` (e.g. `Custom.Thing`) so labels may name it. Its parent
    /// classification (or parent tag, for `A.B.C`) is created when missing and gets
    /// `mutuallyExclusive = mutually_exclusive_parent`. The server starts with OpenMetadata's
    /// seeded tags: `PII.Sensitive`, `PII.NonSensitive`, `PII.None`, `Tier.Tier1`..`Tier.Tier5`,
    /// `PersonalData.Personal`, `PersonalData.SpecialCategory` (all three classifications
    /// mutually exclusive).
    pub fn add_tag(&self, fqn: &str, mutually_exclusive_parent: bool) {
        lock(&self.shared.store)
            .tags
            .add(fqn, mutually_exclusive_parent);
    }

    /// Disables the tag `fqn` (as a person can in OpenMetadata's UI): a label naming it
    /// is then refused (`TagLabelUtil.checkDisabledTags`).
    pub fn disable_tag(&self, fqn: &str) {
        lock(&self.shared.store).tags.disable(fqn);
    }

    /// The Classification entity `fqn`, if the server has it.
    pub fn classification(&self, fqn: &str) -> Option<Value> {
        lock(&self.shared.store)
            .tags
            .classification_entities
            .get(fqn)
            .cloned()
    }

    /// The Tag entity `fqn`, if the server has it.
    pub fn tag(&self, fqn: &str) -> Option<Value> {
        lock(&self.shared.store).tags.tag_entities.get(fqn).cloned()
    }

    /// Registers a user (`GET /users/name/{name}`, found by the e-mail search); returns
    /// its id.
    pub fn add_user(&self, name: &str, email: &str) -> String {
        lock(&self.shared.store).principals.add_user(name, email)
    }

    /// Registers a team of `team_type` (`Group` owns assets; `Department`, `Division`,
    /// `BusinessUnit`, `Organization` do not); returns its id.
    pub fn add_team(&self, name: &str, team_type: &str) -> String {
        lock(&self.shared.store)
            .principals
            .add_team(name, team_type)
    }

    /// Changes a stored entity as a person would in the UI: applies `f` to it, then,
    /// when it changed, stores it with `updatedBy: "admin"`, a fresh `updatedAt` and the
    /// version bumped by 0.1 (column FQNs re-assigned). Returns the stored entity.
    ///
    /// Panics on an unknown kind or a missing entity.
    pub fn edit_as_user(&self, kind: &str, fqn: &str, f: impl FnOnce(&mut Value)) -> Value {
        let kind = known_kind(kind);
        let mut store = lock(&self.shared.store);
        let original = store
            .get(kind, fqn)
            .cloned()
            .unwrap_or_else(|| panic!("no {} with FQN {fqn:?}", kind.name()));
        let mut edited = original.clone();
        f(&mut edited);
        if edited == original {
            return original;
        }
        for key in ["id", "name", "fullyQualifiedName", "href"] {
            if let Some(v) = original.get(key) {
                edited[key] = v.clone();
            }
        }
        if let Some(columns) = edited.get_mut("columns") {
            create::assign_column_fqns(columns, fqn)
                .unwrap_or_else(|e| panic!("edit_as_user: {}", e.message));
        }
        if let Some(id) = original.get("id").and_then(Value::as_str) {
            store.previous.insert(id.to_string(), original.clone());
        }
        edited["version"] = updater::version_value(updater::tenths(&original) + 1);
        edited["updatedAt"] = serde_json::json!(state::now_ms());
        edited["updatedBy"] = serde_json::json!("admin");
        store.put(kind, edited.clone());
        edited
    }

    /// Waits until every request delayed by a [`FaultKind::Late`] fault has been
    /// handled (event-driven, no polling). Panics after 60 s, so a test cannot hang.
    pub fn wait_late(&self) {
        let guard = lock(&self.shared.late);
        let (count, timeout) = self
            .shared
            .late_done
            .wait_timeout_while(guard, std::time::Duration::from_secs(60), |n| *n > 0)
            .unwrap_or_else(|e| e.into_inner());
        assert!(
            !timeout.timed_out(),
            "{} late request(s) still unhandled after 60 s",
            *count
        );
    }

    /// Stored test cases (`/v1/dataQuality/testCases`), sorted by FQN, as stored (with
    /// their `testSuite`, `testDefinition` and latest `testCaseResult`).
    pub fn test_cases(&self) -> Vec<Value> {
        lock(&self.shared.store).dq.cases()
    }

    /// Basic test suites created with the first test case of each table, sorted by FQN
    /// (`<tableFqn>.testSuite`).
    pub fn test_suites(&self) -> Vec<Value> {
        lock(&self.shared.store).dq.suites()
    }

    /// Results posted for the test case `fqn`, in arrival order.
    pub fn test_case_results(&self, fqn: &str) -> Vec<Value> {
        lock(&self.shared.store).dq.results(fqn)
    }

    /// Seeds an S3 container as OpenMetadata's S3 connector would have made it
    /// (`service.name`, with `fullPath`); returns its id.
    pub fn add_container(&self, service: &str, name: &str, full_path: &str) -> String {
        lock(&self.shared.store).lineage.seed(
            "container",
            service,
            name,
            serde_json::json!({ "fullPath": full_path }),
        )
    }

    /// Seeds a topic as OpenMetadata's Kinesis connector would have made it
    /// (`service.name`); returns its id.
    pub fn add_topic(&self, service: &str, name: &str) -> String {
        lock(&self.shared.store)
            .lineage
            .seed("topic", service, name, serde_json::json!({}))
    }

    /// Adds a lineage edge as a person or another connector would (no checks).
    pub fn add_lineage_as_user(&self, from: (&str, &str), to: (&str, &str), details: Value) {
        lock(&self.shared.store).lineage.add_edge(from, to, details);
    }

    /// Every lineage edge: `{fromEntity: {id, type}, toEntity: {id, type}, lineageDetails}`.
    pub fn lineage_edges(&self) -> Vec<Value> {
        lock(&self.shared.store).lineage.edges()
    }

    /// Stored entities of a lineage kind: `container`, `topic`, `pipelineService`,
    /// `pipeline`.
    pub fn lineage_entities(&self, kind: &str) -> Vec<Value> {
        lock(&self.shared.store).lineage.all(kind)
    }

    /// `(date, count)` of a table's usage, by date.
    pub fn usage(&self, table_id: &str) -> Vec<(String, i64)> {
        lock(&self.shared.store).lineage.usage(table_id)
    }

    /// The `compute.percentile` calls received, as `entity/date`.
    pub fn percentile_requests(&self) -> Vec<String> {
        lock(&self.shared.store).lineage.percentiles()
    }

    /// Every request received so far, in arrival order (including rejected/faulted ones).
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.requests).clone()
    }
}

/// The description OpenMetadata 2.0 stores when it is sent `description` (its
/// `DescriptionSanitizer`, as this server applies it on every create and update). `Err`
/// names a construct the port does not model (never a guess).
pub fn stored_description(description: &str) -> Result<String, String> {
    sanitize::sanitize(description).map_err(|e| e.message)
}

fn known_kind(kind: &str) -> Kind {
    Kind::from_name(kind).unwrap_or_else(|| {
        panic!(
            "unknown entity kind {kind:?}: use databaseService, database, databaseSchema or table"
        )
    })
}

impl Shared {
    /// Records a request (status 0 until answered); returns its index.
    fn record(
        &self,
        method: &str,
        path: &str,
        query: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> usize {
        let body = if body.is_empty() {
            None
        } else {
            Some(
                serde_json::from_slice(body)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned())),
            )
        };
        let mut requests = lock(&self.requests);
        requests.push(Recorded {
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            body,
            status: 0,
            headers: headers.to_vec(),
        });
        requests.len() - 1
    }

    fn set_status(&self, index: usize, status: u16) {
        if let Some(r) = lock(&self.requests).get_mut(index) {
            r.status = status;
        }
    }

    /// The fault for this request, if a rule applies (consuming one of its `times`).
    fn pick_fault(&self, method: &str, path: &str) -> Option<FaultKind> {
        let mut faults = lock(&self.faults);
        let Faults { rules, rng } = &mut *faults;
        for rule in rules.iter_mut() {
            let f = &rule.fault;
            let method_matches =
                f.method.is_empty() || f.method == "*" || f.method.eq_ignore_ascii_case(method);
            let exhausted = f.times.is_some_and(|t| rule.applied >= t);
            if !method_matches || !path.starts_with(&f.path_prefix) || exhausted {
                continue;
            }
            if next_unit(rng) < f.probability {
                rule.applied += 1;
                return Some(f.kind.clone());
            }
        }
        None
    }
}

/// A draw in `[0, 1)` from the xorshift64 generator `state`.
fn next_unit(state: &mut u64) -> f64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    (x >> 11) as f64 / (1u64 << 53) as f64
}
