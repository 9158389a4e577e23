//! Token-less mode's defence against the browser: a server without tokens
//! listens on loopback only and grants every local caller every scope, so
//! any web page the operator opens could call it through their browser.
//! Two checks close that door:
//!
//! - **DNS rebinding**: a page at `evil.example` that re-points its name to
//!   127.0.0.1 is same-origin with us in the browser's eyes, but its
//!   requests still say `Host: evil.example`. Only loopback names
//!   (`localhost`, `127.0.0.0/8`, `[::1]`) and the names listed in
//!   `server.allowed_hosts` are served.
//! - **Cross-site requests**: a foreign page's requests carry its `Origin`.
//!   A request whose `Origin` is not this server itself is refused. (The
//!   API also takes only JSON bodies, which browsers cannot send across
//!   sites without a CORS preflight that SPoT never grants.)
//!
//! With tokens configured neither check runs: a browser never adds a
//! bearer token on its own, so a foreign page has nothing to borrow.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;

use collectors::untrusted::quote;

/// The host names a token-less server answers to besides loopback ones.
#[derive(Debug, Clone, Default)]
pub struct LocalOnly {
    allowed_hosts: Vec<String>,
}

impl LocalOnly {
    pub fn new(allowed_hosts: &[String]) -> LocalOnly {
        LocalOnly { allowed_hosts: allowed_hosts.iter().map(|h| h.to_ascii_lowercase()).collect() }
    }

    /// Why a request may not be served, if it may not.
    pub fn refusal(&self, headers: &HeaderMap) -> Option<String> {
        let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
            return Some("a request without a Host header is refused by a server without tokens".into());
        };
        if !self.is_local(host) {
            return Some(format!(
                "Host {} is not a loopback name; a server without tokens answers only to localhost, \
                 127.0.0.1, [::1] and server.allowed_hosts",
                quote(host)
            ));
        }
        let origin = headers.get(header::ORIGIN)?;
        let same_origin = origin
            .to_str()
            .ok()
            .and_then(|origin| origin.parse::<Uri>().ok())
            .and_then(|origin| origin.authority().map(|a| a.as_str().eq_ignore_ascii_case(host)))
            .unwrap_or(false);
        (!same_origin).then(|| {
            format!(
                "Origin {} is another site; a server without tokens takes requests from its own pages only",
                quote(&String::from_utf8_lossy(origin.as_bytes()))
            )
        })
    }

    fn is_local(&self, host: &str) -> bool {
        let Ok(authority) = host.parse::<axum::http::uri::Authority>() else { return false };
        let name = authority.host().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        name == "localhost"
            || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
            || self.allowed_hosts.contains(&name)
    }
}

/// The middleware: a refused request gets 403 with a GraphQL-shaped error.
pub async fn local_only(State(guard): State<Arc<LocalOnly>>, request: Request, next: Next) -> Response {
    match guard.refusal(request.headers()) {
        None => next.run(request).await,
        Some(message) => {
            tracing::warn!(reason = %message, "refused a request to a server without tokens");
            super::rejection(StatusCode::FORBIDDEN, message, "FORBIDDEN_ORIGIN")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(host: Option<&str>, origin: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(host) = host {
            headers.insert(header::HOST, host.parse().unwrap());
        }
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, origin.parse().unwrap());
        }
        headers
    }

    #[test]
    fn loopback_names_are_served() {
        let guard = LocalOnly::default();
        for host in ["127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080", "127.1.2.3"] {
            assert_eq!(guard.refusal(&headers(Some(host), None)), None, "{host}");
        }
    }

    #[test]
    fn a_rebound_name_is_refused() {
        let refusal = LocalOnly::default().refusal(&headers(Some("evil.example:8080"), None)).unwrap();
        assert!(refusal.starts_with("Host 'evil.example:8080' is not a loopback name"), "{refusal}");
        assert!(LocalOnly::default().refusal(&headers(None, None)).is_some());
        assert!(LocalOnly::default().refusal(&headers(Some("10.0.0.1:8080"), None)).is_some());
    }

    #[test]
    fn allowed_hosts_are_served() {
        let guard = LocalOnly::new(&["spot.internal".to_string()]);
        assert_eq!(guard.refusal(&headers(Some("Spot.Internal:8080"), None)), None);
    }

    #[test]
    fn only_the_servers_own_origin_is_served() {
        let guard = LocalOnly::default();
        assert_eq!(guard.refusal(&headers(Some("127.0.0.1:8080"), Some("http://127.0.0.1:8080"))), None);
        for origin in ["http://evil.example", "http://127.0.0.1:9999", "null", "http://localhost:8080"] {
            let refusal = guard.refusal(&headers(Some("127.0.0.1:8080"), Some(origin))).unwrap();
            assert!(refusal.contains("is another site"), "{origin}: {refusal}");
        }
    }
}
