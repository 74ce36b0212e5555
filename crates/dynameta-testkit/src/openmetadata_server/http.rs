//! Minimal HTTP/1.1 framing for the contract server: requests with a `Content-Length`
//! or chunked body, keep-alive, JSON responses that always carry `Content-Length`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// Longest request line or header line accepted.
const MAX_LINE: usize = 16 * 1024;
/// Most header lines accepted in one request.
const MAX_HEADERS: usize = 200;
/// Largest request body accepted.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// One parsed request.
#[derive(Debug)]
pub(super) struct Request {
    /// Method as sent, e.g. `PUT`.
    pub method: String,
    /// Path as sent (still percent-encoded), without the query.
    pub path: String,
    /// Query string without the `?` (still percent-encoded); empty when absent.
    pub query: String,
    /// Headers with lowercased names and trimmed values, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
    /// Whether the connection stays open after the answer.
    pub keep_alive: bool,
}

impl Request {
    /// The first header named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub(super) enum ReadError {
    /// The socket failed.
    Io(io::Error),
    /// The request is malformed: answer `status` with `message` and close. `head` is
    /// the method and target when the request line could be read.
    Bad {
        status: u16,
        message: String,
        head: Option<(String, String)>,
    },
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

fn bad(status: u16, message: impl Into<String>, head: &Option<(String, String)>) -> ReadError {
    ReadError::Bad {
        status,
        message: message.into(),
        head: head.clone(),
    }
}

/// Reads one line (up to `\n`, at most [`MAX_LINE`] bytes); `None` at end of stream
/// before any byte.
fn read_line(
    reader: &mut BufReader<TcpStream>,
    head: &Option<(String, String)>,
) -> Result<Option<String>, ReadError> {
    let mut buf = Vec::new();
    let n = reader
        .by_ref()
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if !buf.ends_with(b"\n") {
        return if n > MAX_LINE {
            Err(bad(431, "header line too long", head))
        } else {
            Err(ReadError::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside a line",
            )))
        };
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| bad(400, "header line is not UTF-8", head))
}

/// Reads the next request; `Ok(None)` when the client closed the connection between
/// requests. Answers `Expect: 100-continue` on `writer` before reading the body.
pub(super) fn read_request(
    reader: &mut BufReader<TcpStream>,
    writer: &mut TcpStream,
) -> Result<Option<Request>, ReadError> {
    let mut head = None;
    // RFC 9112: a server should ignore empty lines received before the request line.
    let line = loop {
        match read_line(reader, &head)? {
            None => return Ok(None),
            Some(l) if l.is_empty() => continue,
            Some(l) => break l,
        }
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(400, format!("malformed request line {line:?}"), &head));
    };
    head = Some((method.to_string(), target.to_string()));
    if !version.starts_with("HTTP/1.") || method.is_empty() || !target.starts_with('/') {
        return Err(bad(400, format!("malformed request line {line:?}"), &head));
    }
    let http10 = version == "HTTP/1.0";
    let mut headers = Vec::new();
    loop {
        let Some(line) = read_line(reader, &head)? else {
            return Err(ReadError::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside the headers",
            )));
        };
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(bad(431, "too many headers", &head));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(bad(400, format!("malformed header line {line:?}"), &head));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    fn all<'a>(headers: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
        headers
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    let find = |name: &'static str| all(&headers, name);
    let connection: Vec<String> = find("connection")
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .collect();
    let keep_alive = if http10 {
        connection.iter().any(|t| t == "keep-alive")
    } else {
        !connection.iter().any(|t| t == "close")
    };
    let chunked = match find("transfer-encoding").last() {
        None => false,
        Some(te) if te.eq_ignore_ascii_case("chunked") => true,
        Some(te) => {
            return Err(bad(
                501,
                format!("unsupported Transfer-Encoding {te:?}"),
                &head,
            ))
        }
    };
    let lengths: Vec<&str> = find("content-length").collect();
    let length = match lengths.first() {
        None => 0,
        Some(first) => {
            if lengths.iter().any(|l| l != first) {
                return Err(bad(400, "conflicting Content-Length headers", &head));
            }
            first
                .parse::<usize>()
                .map_err(|_| bad(400, format!("invalid Content-Length {first:?}"), &head))?
        }
    };
    if length > MAX_BODY {
        return Err(bad(413, "request body too large", &head));
    }
    let expects_continue = find("expect").any(|v| v.eq_ignore_ascii_case("100-continue"));
    if expects_continue && (chunked || length > 0) {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let body = if chunked {
        read_chunked(reader, &head)?
    } else {
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        body
    };
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.to_string(), String::new()),
    };
    Ok(Some(Request {
        method: method.to_string(),
        path,
        query,
        headers,
        body,
        keep_alive,
    }))
}

fn read_chunked(
    reader: &mut BufReader<TcpStream>,
    head: &Option<(String, String)>,
) -> Result<Vec<u8>, ReadError> {
    let eof = || {
        ReadError::Io(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed inside a chunked body",
        ))
    };
    let mut body = Vec::new();
    loop {
        let line = read_line(reader, head)?.ok_or_else(eof)?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| bad(400, format!("invalid chunk size {line:?}"), head))?;
        if size == 0 {
            break;
        }
        if body.len() + size > MAX_BODY {
            return Err(bad(413, "request body too large", head));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let end = read_line(reader, head)?.ok_or_else(eof)?;
        if !end.is_empty() {
            return Err(bad(400, "chunk not followed by CRLF", head));
        }
    }
    // Trailer fields, up to the empty line that ends the message.
    loop {
        let line = read_line(reader, head)?.ok_or_else(eof)?;
        if line.is_empty() {
            return Ok(body);
        }
    }
}

/// The reason phrase of `status`.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Writes a JSON response with `Content-Length` and the `extra` headers.
pub(super) fn write_response(
    writer: &mut impl Write,
    status: u16,
    body: &serde_json::Value,
    extra: &[(&str, String)],
    keep_alive: bool,
) -> io::Result<()> {
    let payload = body.to_string();
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        reason(status),
        payload.len()
    );
    for (name, value) in extra {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(if keep_alive {
        "Connection: keep-alive\r\n\r\n"
    } else {
        "Connection: close\r\n\r\n"
    });
    out.push_str(&payload);
    writer.write_all(out.as_bytes())?;
    writer.flush()
}

/// Percent-decodes `text` (and `+` as a space when `plus_is_space`); `None` when an
/// escape is malformed or the result is not UTF-8.
pub(super) fn percent_decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Decoded `name=value` pairs of a query string; `None` when an escape is malformed.
pub(super) fn parse_query(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(name, true)?, percent_decode(value, true)?))
        })
        .collect()
}

/// Unpadded base64url of `bytes` (paging cursors: safe in a query without escaping).
pub(super) fn base64url_encode(bytes: &[u8]) -> String {
    crate::base64::encode(bytes, crate::base64::URL_SAFE)
}

/// Decodes unpadded base64url; `None` when `text` is not such.
pub(super) fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    crate::base64::decode(text, crate::base64::URL_SAFE)
}
