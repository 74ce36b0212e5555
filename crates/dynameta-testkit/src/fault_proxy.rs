//! A loopback HTTP proxy in front of a DynamoDB endpoint that answers chosen requests
//! with an AWS error instead of forwarding them: per-table faults (access denied,
//! throttling) that no emulator produces on demand.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

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

/// A running proxy; it lives as long as the test process.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`, to use as the endpoint.
    pub endpoint: String,
}

impl FaultProxy {
    /// Starts a proxy forwarding to `upstream` (`http://127.0.0.1:PORT`) except for `faults`.
    pub fn start(upstream: &str, faults: Vec<Fault>) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let upstream = upstream.trim_start_matches("http://").to_string();
        let faults = Arc::new(faults);
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let upstream = upstream.clone();
                let faults = faults.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, &upstream, &faults);
                });
            }
        });
        FaultProxy {
            endpoint: format!("http://127.0.0.1:{port}"),
        }
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

fn serve(client: TcpStream, upstream: &str, faults: &[Fault]) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut writer = client;
    let mut backend: Option<(BufReader<TcpStream>, TcpStream)> = None;
    while let Some(request) = read_message(&mut reader)? {
        let target = header(&request.head, "x-amz-target").unwrap_or_default();
        let body = String::from_utf8_lossy(&request.body);
        let fault = faults.iter().find(|f| {
            target.ends_with(&format!(".{}", f.operation))
                && body.contains(&format!("\"TableName\":\"{}\"", f.table))
        });
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
