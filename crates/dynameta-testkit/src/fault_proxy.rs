//! A loopback HTTP proxy in front of a DynamoDB endpoint that answers chosen requests
//! with an AWS error instead of forwarding them: per-table faults (access denied,
//! throttling) that no emulator produces on demand; and stalls: chosen requests are
//! held unanswered until the test releases them, so a test can act (send a signal,
//! start a second run) while a run is provably in the middle of its DynamoDB work.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// One injected fault: requests whose `X-Amz-Target` ends with `operation` and whose
/// body names `table` get `status` with the AWS error `code`.
#[derive(Debug, Clone)]
pub struct Fault {
    /// DynamoDB operation, e.g. `DescribeTable` or `Scan`.
    pub operation: String,
    /// Table name the request must carry.
    pub table: String,
    /// HTTP status to answer.
    pub status: u16,
    /// AWS error code, e.g. `AccessDeniedException`.
    pub code: String,
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

#[derive(Default)]
struct Counters {
    requests: u64,
    stalled: u64,
    released: bool,
}

#[derive(Default)]
struct State {
    counters: Mutex<Counters>,
    changed: Condvar,
}

impl State {
    fn update(&self, f: impl FnOnce(&mut Counters)) {
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut c);
        self.changed.notify_all();
    }
}

/// A running proxy; it lives as long as the test process.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`, to use as the endpoint.
    pub endpoint: String,
    state: Arc<State>,
}

impl FaultProxy {
    /// Starts a proxy forwarding to `upstream` (`http://127.0.0.1:PORT`) except for `faults`.
    pub fn start(upstream: &str, faults: Vec<Fault>) -> FaultProxy {
        FaultProxy::start_with_stalls(upstream, faults, Vec::new())
    }

    /// Like [`FaultProxy::start`], holding the requests `stalls` match until released.
    pub fn start_with_stalls(upstream: &str, faults: Vec<Fault>, stalls: Vec<Stall>) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let upstream = upstream.trim_start_matches("http://").to_string();
        let rules = Arc::new((faults, stalls));
        let state = Arc::new(State::default());
        let shared = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let upstream = upstream.clone();
                let rules = rules.clone();
                let state = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, &upstream, &rules.0, &rules.1, &state);
                });
            }
        });
        FaultProxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    /// Requests received so far (answered, faulted or held).
    pub fn requests(&self) -> u64 {
        self.state
            .counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .requests
    }

    /// Waits until at least `n` requests are being (or have been) held; false when
    /// `timeout` passed first.
    pub fn wait_for_stalled(&self, n: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut c = self
            .state
            .counters
            .lock()
            .unwrap_or_else(|e| e.into_inner());
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
}

struct Message {
    head: String,
    body: Vec<u8>,
}

fn read_message(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Message>> {
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

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

fn serve(
    client: TcpStream,
    upstream: &str,
    faults: &[Fault],
    stalls: &[Stall],
    state: &State,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut writer = client;
    let mut backend: Option<(BufReader<TcpStream>, TcpStream)> = None;
    while let Some(request) = read_message(&mut reader)? {
        state.update(|c| c.requests += 1);
        let target = header(&request.head, "x-amz-target").unwrap_or_default();
        let body = String::from_utf8_lossy(&request.body);
        let matches = |operation: &str, table: &str| {
            target.ends_with(&format!(".{operation}"))
                && body.contains(&format!("\"TableName\":\"{table}\""))
        };
        if stalls.iter().any(|s| matches(&s.operation, &s.table)) {
            state.update(|c| c.stalled += 1);
            let mut c = state.counters.lock().unwrap_or_else(|e| e.into_inner());
            while !c.released {
                c = state.changed.wait(c).unwrap_or_else(|e| e.into_inner());
            }
        }
        let fault = faults.iter().find(|f| matches(&f.operation, &f.table));
        if let Some(f) = fault {
            let payload = format!(
                "{{\"__type\":\"com.amazonaws.dynamodb.v20120810#{}\",\"message\":\"injected by the test proxy\"}}",
                f.code
            );
            write!(
                writer,
                "HTTP/1.1 {} Injected\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{payload}",
                f.status,
                payload.len()
            )?;
            continue;
        }
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
