//! A loopback stand-in for AWS Account Management's `ListRegions`, which moto (5.2)
//! does not emulate: `regions: all` (issue 25) is tested against it, with moto for
//! everything else.
//!
//! It speaks the service's wire format (REST-JSON): `POST /listRegions` with a JSON body
//! (`MaxResults`, `NextToken`, `RegionOptStatusContains`), answering
//! `{"Regions": [{"RegionName", "RegionOptStatus"}], "NextToken"}`, and errors with the
//! `x-amzn-errortype` header and a `{"message"}` body. The caller's account is the one
//! moto gives its access key (moto's `GetCallerIdentity` with the same access key id:
//! moto reads the key from the `Authorization` header and does not check signatures),
//! so AssumeRole'd credentials list the regions of their role's account, as on AWS.

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::fault_proxy::{header, read_message};

/// Regions an account has, with their opt-in status (`ENABLED`, `ENABLED_BY_DEFAULT`,
/// `DISABLED`, `ENABLING`, `DISABLING`).
pub type AccountRegions = HashMap<String, Vec<(String, String)>>;

/// A running stub; it lives as long as the test process.
pub struct AccountStub {
    /// `http://127.0.0.1:PORT`, to use as the Account endpoint.
    pub endpoint: String,
    state: Arc<State>,
}

struct State {
    moto: String,
    regions: AccountRegions,
    denied: HashSet<String>,
    page_size: usize,
    calls: AtomicU64,
}

impl AccountStub {
    /// Starts a stub that serves `regions` per account (accounts it does not know have
    /// none), answers `AccessDeniedException` to the accounts in `denied`, and finds a
    /// caller's account through the moto at `moto` (`http://127.0.0.1:PORT`). Pages hold
    /// `page_size` regions unless the request asks for fewer (`MaxResults`), so paging
    /// is exercised.
    pub fn start(
        moto: &str,
        regions: AccountRegions,
        denied: HashSet<String>,
        page_size: usize,
    ) -> AccountStub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind account stub");
        let port = listener.local_addr().expect("stub address").port();
        let state = Arc::new(State {
            moto: moto.trim_start_matches("http://").to_string(),
            regions,
            denied,
            page_size: page_size.max(1),
            calls: AtomicU64::new(0),
        });
        let shared = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, &state);
                });
            }
        });
        AccountStub {
            endpoint: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    /// `ListRegions` calls answered so far (pages, not listings).
    pub fn calls(&self) -> u64 {
        self.state.calls.load(Ordering::Relaxed)
    }
}

fn serve(client: TcpStream, state: &State) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut writer = client;
    while let Some(request) = read_message(&mut reader)? {
        let first = request.head.lines().next().unwrap_or_default().to_string();
        let (status, errortype, body) = if first.starts_with("POST /listRegions") {
            state.calls.fetch_add(1, Ordering::Relaxed);
            let key = access_key(header(&request.head, "authorization").unwrap_or_default());
            match account_of(&state.moto, &key) {
                None => (
                    403,
                    Some("AccessDeniedException"),
                    serde_json::json!({"message": "the stub could not tell the caller's account"}),
                ),
                Some(account) if state.denied.contains(&account) => (
                    403,
                    Some("AccessDeniedException"),
                    serde_json::json!({"message": format!("User: arn:aws:sts::{account}:assumed-role/reader is not authorized to perform: account:ListRegions")}),
                ),
                Some(account) => match list(state, &account, &request.body) {
                    Ok(page) => (200, None, page),
                    Err(why) => (
                        400,
                        Some("ValidationException"),
                        serde_json::json!({"message": why}),
                    ),
                },
            }
        } else {
            (
                404,
                Some("UnknownOperationException"),
                serde_json::json!({"message": format!("the Account stub serves only ListRegions, not `{first}`")}),
            )
        };
        let payload = body.to_string();
        let mut head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nx-amzn-RequestId: stub\r\n",
            if status == 200 { "OK" } else { "Error" },
            payload.len()
        );
        if let Some(t) = errortype {
            head.push_str(&format!("x-amzn-ErrorType: {t}\r\n"));
        }
        head.push_str("\r\n");
        writer.write_all(head.as_bytes())?;
        writer.write_all(payload.as_bytes())?;
    }
    Ok(())
}

/// One page of the caller's regions, filtered by `RegionOptStatusContains`.
fn list(state: &State, account: &str, body: &[u8]) -> Result<serde_json::Value, String> {
    let input: serde_json::Value = if body.is_empty() {
        serde_json::json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?
    };
    let wanted: Option<Vec<&str>> = input["RegionOptStatusContains"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect());
    let all: Vec<&(String, String)> = state
        .regions
        .get(account)
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    let kept: Vec<&(String, String)> = all
        .into_iter()
        .filter(|(_, status)| wanted.as_ref().is_none_or(|w| w.contains(&status.as_str())))
        .collect();
    let start = match input["NextToken"].as_str() {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| format!("NextToken `{t}` is not one the stub gave"))?,
    };
    let size = input["MaxResults"]
        .as_u64()
        .map_or(state.page_size, |n| (n as usize).min(state.page_size))
        .max(1);
    let end = (start + size).min(kept.len());
    let regions: Vec<serde_json::Value> = kept[start.min(end)..end]
        .iter()
        .map(|(name, status)| serde_json::json!({"RegionName": name, "RegionOptStatus": status}))
        .collect();
    let mut page = serde_json::json!({ "Regions": regions });
    if end < kept.len() {
        page["NextToken"] = serde_json::Value::String(end.to_string());
    }
    Ok(page)
}

/// The access key id of a SigV4 `Authorization` header (`... Credential=AKID/date/...`).
fn access_key(authorization: &str) -> String {
    authorization
        .split("Credential=")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_string()
}

/// The account moto gives `access_key` (its `GetCallerIdentity`).
fn account_of(moto: &str, access_key: &str) -> Option<String> {
    if access_key.is_empty() {
        return None;
    }
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    let mut stream = TcpStream::connect(moto).ok()?;
    write!(
        stream,
        "POST / HTTP/1.0\r\nHost: {moto}\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: AWS4-HMAC-SHA256 Credential={access_key}/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let start = response.find("<Account>")? + "<Account>".len();
    let end = response[start..].find("</Account>")? + start;
    Some(response[start..end].to_string())
}
