//! Starting a server process on a free loopback port and waiting until it accepts
//! connections.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A running server. It stops when the test process exits: its guard shell waits on
/// our stdin pipe, which the OS closes when we exit, and then kills the server.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The port.
    pub port: u16,
    /// The process and the pipe whose closing stops it (`None`: a server this test
    /// process did not start, see [`Server::external`]).
    _guard: Option<Mutex<(Child, ChildStdin)>>,
}

impl Server {
    /// A server already running at `endpoint` (`http://127.0.0.1:PORT`), started by
    /// someone else (`scripts/test-timed` shares one DynamoDB Local between the test
    /// processes nextest starts). Not stopped by this process.
    pub fn external(endpoint: &str) -> Server {
        let port = endpoint
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .unwrap_or_else(|| panic!("{endpoint}: not http://HOST:PORT"));
        Server {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            port,
            _guard: None,
        }
    }

    /// Starts `argv(port)` and waits (polling the port) until it accepts connections.
    pub fn start(name: &str, env: &[(&str, &str)], argv: impl Fn(u16) -> Vec<String>) -> Server {
        let mut last_error = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            match Self::try_start(name, port, env, &argv(port)) {
                Ok(server) => return server,
                Err(e) => last_error = e,
            }
        }
        panic!("could not start {name}: {last_error}. Run scripts/install-test-deps first.");
    }

    fn try_start(
        name: &str,
        port: u16,
        env: &[(&str, &str)],
        argv: &[String],
    ) -> Result<Server, String> {
        let log =
            std::env::temp_dir().join(format!("dynameta-{}-{port}.log", name.replace(' ', "-")));
        // The guard: start the server in the background, wait for stdin to close (our
        // exit), then kill it. `exec` would lose the kill, so the shell stays.
        let script = r#"log="$1"; shift; "$@" >"$log" 2>&1 & pid=$!; cat >/dev/null; kill $pid 2>/dev/null; sleep 0.2; kill -9 $pid 2>/dev/null"#;
        let workdir =
            std::env::temp_dir().join(format!("dynameta-{}-{port}", name.replace(' ', "-")));
        std::fs::create_dir_all(&workdir)
            .map_err(|e| format!("create {}: {e}", workdir.display()))?;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("guard")
            .arg(&log)
            .args(argv)
            .envs(env.iter().copied())
            // Servers write state files (DynamoDB Local's metadata, moto's recording)
            // into their working directory: keep them out of the source tree.
            .current_dir(&workdir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot spawn {}: {e}", argv[0]))?;
        let stdin = child.stdin.take().ok_or("no stdin pipe")?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut wait = Duration::from_millis(20);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(Server {
                    endpoint: format!("http://127.0.0.1:{port}"),
                    port,
                    _guard: Some(Mutex::new((child, stdin))),
                });
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("{name} exited ({status}): {}", read_log(&log)));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err(format!(
                    "{name} did not listen on {port} within 60 s: {}",
                    read_log(&log)
                ));
            }
            // Polling a condition (the port), not sleeping in place of one.
            std::thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_millis(200));
        }
    }
}

fn read_log(path: &std::path::Path) -> String {
    let mut s = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.read_to_string(&mut s);
    }
    s.chars()
        .rev()
        .take(2000)
        .collect::<String>()
        .chars()
        .rev()
        .collect()
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral loopback port")
}

/// Reads a tool path from the environment or `.tools/paths.env`.
pub fn tool_path(var: &str) -> String {
    if let Ok(v) = std::env::var(var) {
        return v;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let file = root.join(".tools/paths.env");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "{} not readable ({e}); run scripts/install-test-deps",
            file.display()
        )
    });
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{var}=")).map(str::to_string))
        .unwrap_or_else(|| {
            panic!(
                "{var} missing from {}; run scripts/install-test-deps",
                file.display()
            )
        })
}

/// A plain HTTP/1.0 request to a loopback server; returns the body.
pub fn http(endpoint: &str, method: &str, path: &str) -> String {
    use std::io::Write;
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n"
    )
    .expect("send request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default()
}

/// The command line of a DynamoDB Local on `port`, from its folder `dir` (the one holding
/// `DynamoDBLocal.jar` and `DynamoDBLocal_lib/`): in memory, and with telemetry off. Left
/// on, DynamoDB Local reports usage to AWS and records an installation id in
/// `dynamodb-local-metadata.json` with `telemetryEnabled: true`; tests send nothing out.
pub fn dynamodb_local_argv(dir: &str, port: u16) -> Vec<String> {
    vec![
        "java".to_string(),
        format!("-Djava.library.path={dir}/DynamoDBLocal_lib"),
        "-jar".to_string(),
        format!("{dir}/DynamoDBLocal.jar"),
        "-inMemory".to_string(),
        "-disableTelemetry".to_string(),
        "-port".to_string(),
        port.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamodb_local_is_started_without_telemetry() {
        let argv = dynamodb_local_argv("/opt/ddb", 8000);
        assert!(argv.iter().any(|a| a == "-disableTelemetry"), "{argv:?}");
        assert!(argv.iter().any(|a| a == "-inMemory"), "{argv:?}");
        assert_eq!(argv[argv.len() - 2..], ["-port", "8000"]);
    }
}
