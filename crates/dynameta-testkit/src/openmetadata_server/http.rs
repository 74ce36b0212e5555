//! HTTP/1.1 for the contract server. hyper (under axum) frames requests and responses:
//! `Content-Length` and chunked bodies, keep-alive, `Expect: 100-continue`. This
//! module runs the accept loop on the server's own tokio runtime, records each request,
//! applies the fault rules and turns a [`routes::Response`] into HTTP.
//!
//! Connections are served one by one with hyper rather than through `axum::serve`, so
//! that a [`FaultKind::Drop`] can close its connection without answering: the handler
//! signals the connection's [`Dropper`] and never completes; the connection task then
//! drops the connection, which closes the socket.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension, FromRequest, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode, Version};
use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use percent_encoding::percent_decode_str;
use tokio::sync::Notify;

use super::{routes, FaultKind, Shared};

/// Largest request body accepted.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// One request as the routes see it.
#[derive(Debug)]
pub(super) struct Request {
    /// Method as sent, e.g. `PUT`.
    pub method: String,
    /// Path as sent (still percent-encoded), without the query.
    pub path: String,
    /// Query string without the `?` (still percent-encoded); empty when absent.
    pub query: String,
    /// Headers with lowercased names and trimmed values.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Bytes,
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

/// Closes the connection it belongs to when notified.
#[derive(Clone)]
struct Dropper(Arc<Notify>);

/// Serves `listener` (over TLS when `tls` is given) from a background thread running
/// its own tokio runtime, for as long as the process lives (callers may be synchronous
/// tests or async ones).
pub(super) fn spawn(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    listener
        .set_nonblocking(true)
        .expect("contract server: non-blocking listener");
    std::thread::Builder::new()
        .name("openmetadata-contract-server".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("contract server: tokio runtime");
            runtime.block_on(accept(listener, shared, tls));
        })
        .expect("contract server: thread");
}

async fn accept(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let listener =
        tokio::net::TcpListener::from_std(listener).expect("contract server: tokio listener");
    let router = Router::new()
        .fallback(answer)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // E.g. out of file descriptors: the client sees its connect fail or hang.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let dropper = Dropper(Arc::new(Notify::new()));
        let service = TowerToHyperService::new(router.clone().layer(Extension(dropper.clone())));
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => serve(stream, service, dropper).await,
                // A client that refuses the certificate ends the handshake: nothing to serve.
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        serve(stream, service, dropper).await;
                    }
                }
            }
        });
    }
}

/// Serves one connection until it ends or its [`Dropper`] fires.
async fn serve<S>(stream: S, service: TowerToHyperService<Router>, dropper: Dropper)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        () = dropper.0.notified() => {}
    }
}

/// Whether the connection stays open after this request's answer (RFC 9112 9.3).
fn keep_alive(version: Version, headers: &HeaderMap) -> bool {
    let mut tokens = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim);
    if version == Version::HTTP_10 {
        tokens.any(|t| t.eq_ignore_ascii_case("keep-alive"))
    } else {
        !tokens.any(|t| t.eq_ignore_ascii_case("close"))
    }
}

/// Every request: record it, apply a fault rule if one matches, else route it.
async fn answer(
    State(shared): State<Arc<Shared>>,
    Extension(dropper): Extension<Dropper>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let keep_alive = keep_alive(parts.version, &parts.headers);
    let mut request = Request {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes());
                (name.as_str().to_string(), value.trim().to_string())
            })
            .collect(),
        body: Bytes::new(),
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    // A declared length over the limit is refused before reading (or continuing) the body.
    let body = if declared.is_some_and(|n| n > MAX_BODY as u64) {
        Err((413, "request body too large".to_string()))
    } else {
        Bytes::from_request(axum::extract::Request::from_parts(parts, body), &())
            .await
            .map_err(|rejection| (rejection.status().as_u16(), rejection.body_text()))
    };
    if let Ok(bytes) = &body {
        request.body = bytes.clone();
    }
    let index = shared.record(
        &request.method,
        &request.path,
        &request.query,
        &request.headers,
        &request.body,
    );
    if let Err((status, message)) = body {
        // Too large (413) or a broken chunked encoding (400): answer and close.
        shared.set_status(index, status);
        return to_http(routes::error(status, &message), false);
    }
    match shared.pick_fault(&request.method, &request.path) {
        Some(FaultKind::Drop) => {
            dropper.0.notify_one();
            return std::future::pending().await;
        }
        Some(FaultKind::Status { code, retry_after }) => {
            shared.set_status(index, code);
            let mut response = routes::error(code, "injected fault");
            if let Some(seconds) = retry_after {
                response.headers.push(("Retry-After", seconds.to_string()));
            }
            return to_http(response, keep_alive);
        }
        Some(FaultKind::Delay { millis }) => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
        }
        Some(FaultKind::Late { millis }) => {
            *super::lock(&shared.late) += 1;
            let late = shared.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(millis)).await;
                let response = routes::handle(&late, &request);
                late.set_status(index, response.status);
                let mut pending = super::lock(&late.late);
                *pending -= 1;
                late.late_done.notify_all();
            });
            dropper.0.notify_one();
            return std::future::pending().await;
        }
        None => {}
    }
    let response = routes::handle(&shared, &request);
    shared.set_status(index, response.status);
    to_http(response, keep_alive)
}

/// A JSON response with the route's extra headers and an explicit `Connection`.
fn to_http(response: routes::Response, keep_alive: bool) -> axum::response::Response {
    let mut http = axum::response::Response::new(response.body.to_string().into());
    *http.status_mut() =
        StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = http.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in response.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(name, value);
        }
    }
    headers.insert(
        header::CONNECTION,
        HeaderValue::from_static(if keep_alive { "keep-alive" } else { "close" }),
    );
    http
}

/// Percent-decodes `text` (and `+` as a space when `plus_is_space`); `None` when an
/// escape is malformed (`%` not followed by two hex digits) or the result is not UTF-8.
pub(super) fn percent_decode(text: &str, plus_is_space: bool) -> Option<String> {
    let well_formed = text.match_indices('%').all(|(i, _)| {
        text.as_bytes()
            .get(i + 1..i + 3)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return None;
    }
    let text = if plus_is_space {
        text.replace('+', " ").into()
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    percent_decode_str(&text)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// Decoded `name=value` pairs of a query string (`+` is a space); `None` when an escape
/// is malformed.
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
