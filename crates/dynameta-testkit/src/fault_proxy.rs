//! A loopback HTTP proxy in front of a DynamoDB endpoint that answers chosen requests
//! with an AWS error instead of forwarding them: per-table faults (access denied,
//! throttling) and random throttling of a share of all requests, which no emulator
//! produces on demand; and stalls: chosen requests are held unanswered until the test
//! releases them, so a test can act (send a signal, start a second run) while a run is
//! provably in the middle of its DynamoDB work.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// One injected fault: requests whose `X-Amz-Target` ends with `operation` and whose
/// body names `table` get `status` with the AWS error `code`.
#[derive(Debug, Clone)]
pub struct Fault {
    /// DynamoDB operation, e.g. `DescribeTable` or `Scan`.
    pub operation: String,
    /// Table name the request must carry; empty: every request of `operation` (e.g.
    /// `ListTables`, which names no table).
    pub table: String,
    /// HTTP status to answer.
    pub status: u16,
    /// AWS error code, e.g. `AccessDeniedException`.
    pub code: String,
}

/// Random throttling: each request for one of `operations` (any, when empty), on any
/// table, is answered `400 ProvisionedThroughputExceededException` with probability
/// `fraction`, as DynamoDB answers when it throttles.
///
/// The draw of a request is a seeded hash of the request (operation and body, JSON keys
/// sorted) and of how many times this proxy has seen that same request before, not the
/// next number of a shared RNG: which requests are throttled, and how many times in a
/// row each one is, does not depend on the order concurrent requests arrive in. The same
/// seed and the same requests give the same throttling in every run.
#[derive(Debug, Clone)]
pub struct Throttle {
    /// Share of requests throttled, 0.0 to 1.0.
    pub fraction: f64,
    /// RNG seed.
    pub seed: u64,
    /// Operations throttled (`Scan`, `DescribeTable`, ...); empty = every operation.
    pub operations: Vec<String>,
}

/// Requests whose `X-Amz-Target` ends with `operation` and whose body names `table`
/// are held, unanswered, until [`FaultProxy::release`]; then they are forwarded.
#[derive(Debug, Clone)]
pub struct Stall {
    /// DynamoDB operation, e.g. `Scan`.
    pub operation: String,
    /// Table name the request must carry.
    pub table: String,
}

/// Requests seen and held, for tests that synchronise on the proxy (never on sleeps).
#[derive(Default)]
struct Counters {
    requests: u64,
    stalled: u64,
    released: bool,
}

/// The body DynamoDB sends with a throttling answer.
pub const THROTTLE_CODE: &str = "ProvisionedThroughputExceededException";

/// A running proxy; it lives as long as the test process.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`, to use as the endpoint.
    pub endpoint: String,
    state: Arc<State>,
}

struct State {
    faults: Vec<Fault>,
    throttle: Option<Throttle>,
    /// Per request (operation + canonical body): times seen, and whether every one of
    /// them was throttled so far.
    seen: Mutex<HashMap<String, (u32, bool)>>,
    /// Most throttled answers one request got in a row.
    longest_streak: AtomicU32,
    injected_throttles: AtomicU64,
    forwarded: AtomicU64,
    stalls: Vec<Stall>,
    counters: Mutex<Counters>,
    changed: Condvar,
}

impl FaultProxy {
    /// Starts a proxy forwarding to `upstream` (`http://127.0.0.1:PORT`) except for `faults`.
    pub fn start(upstream: &str, faults: Vec<Fault>) -> FaultProxy {
        FaultProxy::start_with(upstream, faults, None)
    }

    /// Like [`FaultProxy::start`], holding the requests `stalls` match until released.
    pub fn start_with_stalls(upstream: &str, faults: Vec<Fault>, stalls: Vec<Stall>) -> FaultProxy {
        FaultProxy::build(upstream, faults, None, stalls)
    }

    /// Starts a proxy forwarding to `upstream` that throttles as `throttle` says.
    pub fn throttling(upstream: &str, throttle: Throttle) -> FaultProxy {
        FaultProxy::start_with(upstream, Vec::new(), Some(throttle))
    }

    /// Starts a proxy with per-table `faults` (checked first) and random throttling.
    pub fn start_with(
        upstream: &str,
        faults: Vec<Fault>,
        throttle: Option<Throttle>,
    ) -> FaultProxy {
        FaultProxy::build(upstream, faults, throttle, Vec::new())
    }

    fn build(
        upstream: &str,
        faults: Vec<Fault>,
        throttle: Option<Throttle>,
        stalls: Vec<Stall>,
    ) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let upstream = upstream.trim_start_matches("http://").to_string();
        let state = Arc::new(State {
            faults,
            throttle,
            seen: Mutex::new(HashMap::new()),
            longest_streak: AtomicU32::new(0),
            injected_throttles: AtomicU64::new(0),
            forwarded: AtomicU64::new(0),
            stalls,
            counters: Mutex::new(Counters::default()),
            changed: Condvar::new(),
        });
        let shared = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let upstream = upstream.clone();
                let state = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, &upstream, &state);
                });
            }
        });
        FaultProxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    /// Requests answered with an injected throttling error so far (random throttling
    /// and `Fault`s with a throttling code).
    pub fn throttled(&self) -> u64 {
        self.state.injected_throttles.load(Ordering::Relaxed)
    }

    /// The most times one request (same operation and body) was throttled in a row
    /// before it passed or was given up on. A client that retries a request at most N
    /// times loses it when this reaches N.
    pub fn longest_streak(&self) -> u32 {
        self.state.longest_streak.load(Ordering::Relaxed)
    }

    /// Forgets the requests seen (and the longest streak), for a new run through the
    /// same proxy: its requests start from their first attempt again.
    pub fn reset(&self) {
        lock(&self.state.seen).clear();
        self.state.longest_streak.store(0, Ordering::Relaxed);
    }

    /// Requests received so far (answered, faulted or held).
    pub fn requests(&self) -> u64 {
        lock(&self.state.counters).requests
    }

    /// Waits until at least `n` requests are being (or have been) held; false when
    /// `timeout` passed first.
    pub fn wait_for_stalled(&self, n: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut c = lock(&self.state.counters);
        while c.stalled < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            c = self
                .state
                .changed
                .wait_timeout(c, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// Lets held requests (and later matching ones) through.
    pub fn release(&self) {
        self.state.update(|c| c.released = true);
    }

    /// Requests forwarded to the upstream so far.
    pub fn forwarded(&self) -> u64 {
        self.state.forwarded.load(Ordering::Relaxed)
    }
}

impl State {
    fn update(&self, f: impl FnOnce(&mut Counters)) {
        f(&mut lock(&self.counters));
        self.changed.notify_all();
    }

    /// Holds a request a stall matches until the test releases it.
    fn hold_if_stalled(&self, target: &str, body: &str) {
        let held = self.stalls.iter().any(|s| {
            target.ends_with(&format!(".{}", s.operation))
                && body.contains(&format!("\"TableName\":\"{}\"", s.table))
        });
        if !held {
            return;
        }
        self.update(|c| c.stalled += 1);
        let mut c = lock(&self.counters);
        while !c.released {
            c = self.changed.wait(c).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// The error code to answer `target` (`DynamoDB_20120810.Scan`) with, if any.
    /// A query-protocol request (STS: no target, `Action=AssumeRole&...` form body) is
    /// matched by its `Action` and, when the fault names one, a text its form body
    /// holds (e.g. the URL-encoded role ARN).
    fn fault(&self, target: &str, body: &str) -> Option<(u16, String)> {
        let query = query_action(target, body);
        let operation = query.unwrap_or_else(|| target.rsplit('.').next().unwrap_or_default());
        let fault = self.faults.iter().find(|f| {
            operation == f.operation
                && (f.table.is_empty()
                    || match query {
                        Some(_) => body.contains(&f.table),
                        None => body.contains(&format!("\"TableName\":\"{}\"", f.table)),
                    })
        });
        if let Some(f) = fault {
            return Some((f.status, f.code.clone()));
        }
        let throttle = self.throttle.as_ref()?;
        if !throttle.operations.is_empty() && !throttle.operations.iter().any(|o| o == operation) {
            return None;
        }
        let key = format!("{operation} {}", canonical(body));
        let mut seen = lock(&self.seen);
        let (times, all_throttled) = seen.entry(key.clone()).or_insert((0, true));
        let throttled = draw(throttle.seed, &key, *times) < throttle.fraction;
        *times += 1;
        *all_throttled &= throttled;
        if *all_throttled {
            self.longest_streak.fetch_max(*times, Ordering::Relaxed);
        }
        throttled.then(|| (400, THROTTLE_CODE.to_string()))
    }
}

/// The `Action` of a query-protocol request (no `X-Amz-Target`, a form body).
fn query_action<'a>(target: &str, body: &'a str) -> Option<&'a str> {
    if !target.is_empty() {
        return None;
    }
    body.split('&').find_map(|kv| kv.strip_prefix("Action="))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A uniform draw in [0, 1) from `seed`, the request `key` and its attempt number:
/// FNV-1a of the key, mixed with the seed and attempt by SplitMix64's finalizer.
fn draw(seed: u64, key: &str, attempt: u32) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut z = h ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (u64::from(attempt) << 32);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The JSON `body` with object keys sorted at every level (the SDK writes maps such as
/// `ExclusiveStartKey` in hash order, which changes from process to process); the body
/// as it is when it is not JSON.
fn canonical(body: &str) -> String {
    fn sort(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<(String, serde_json::Value)> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sort(v))).collect())
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sort).collect())
            }
            other => other,
        }
    }
    serde_json::from_str::<serde_json::Value>(body)
        .map(|v| sort(v).to_string())
        .unwrap_or_else(|_| body.to_string())
}

pub(crate) struct Message {
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

pub(crate) fn read_message(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Message>> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let end = line == "\r\n";
        head.push_str(&line);
        if end {
            break;
        }
    }
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let chunked = header(&head, "transfer-encoding").is_some_and(|v| v.contains("chunked"));
    let mut body = Vec::new();
    if chunked {
        // Keep the chunked framing as it is; it is forwarded byte for byte.
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            body.extend_from_slice(size_line.as_bytes());
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk);
            if size == 0 {
                break;
            }
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(Some(Message { head, body }))
}

pub(crate) fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

fn serve(client: TcpStream, upstream: &str, state: &State) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut writer = client;
    let mut backend: Option<(BufReader<TcpStream>, TcpStream)> = None;
    while let Some(request) = read_message(&mut reader)? {
        let target = header(&request.head, "x-amz-target").unwrap_or_default();
        let body = String::from_utf8_lossy(&request.body);
        state.update(|c| c.requests += 1);
        state.hold_if_stalled(target, &body);
        if let Some((status, code)) = state.fault(target, &body) {
            if code.contains("Throttl") || code.contains("Exceeded") {
                state.injected_throttles.fetch_add(1, Ordering::Relaxed);
            }
            let (payload, content_type) = if query_action(target, &body).is_some() {
                (
                    format!(
                        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected by the test proxy</Message></Error><RequestId>injected</RequestId></ErrorResponse>"
                    ),
                    "text/xml",
                )
            } else {
                (
                    format!(
                        "{{\"__type\":\"com.amazonaws.dynamodb.v20120810#{code}\",\"message\":\"injected by the test proxy\"}}"
                    ),
                    "application/x-amz-json-1.0",
                )
            };
            write!(
                writer,
                "HTTP/1.1 {status} Injected\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{payload}",
                payload.len()
            )?;
            continue;
        }
        state.forwarded.fetch_add(1, Ordering::Relaxed);
        if backend.is_none() {
            let stream = TcpStream::connect(upstream)?;
            backend = Some((BufReader::new(stream.try_clone()?), stream));
        }
        let Some((back_reader, back_writer)) = backend.as_mut() else {
            return Ok(());
        };
        back_writer.write_all(request.head.as_bytes())?;
        back_writer.write_all(&request.body)?;
        let Some(response) = read_message(back_reader)? else {
            return Ok(());
        };
        writer.write_all(response.head.as_bytes())?;
        writer.write_all(&response.body)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_uniform_and_depend_on_seed_key_and_attempt() {
        let n = 20_000;
        let below = (0..n)
            .filter(|i| draw(7, &format!("Scan {{\"Segment\":{i}}}"), 0) < 0.3)
            .count();
        let share = below as f64 / n as f64;
        assert!((0.28..0.32).contains(&share), "{share}");
        assert_eq!(draw(7, "k", 1), draw(7, "k", 1));
        assert_ne!(draw(7, "k", 1), draw(8, "k", 1));
        assert_ne!(draw(7, "k", 1), draw(7, "k", 2));
        assert_ne!(draw(7, "k", 1), draw(7, "j", 1));
    }

    #[test]
    fn key_order_does_not_change_the_request() {
        assert_eq!(
            canonical(r#"{"b":1,"a":{"y":2,"x":[{"d":1,"c":2}]}}"#),
            canonical(r#"{"a":{"x":[{"c":2,"d":1}],"y":2},"b":1}"#)
        );
    }
}
