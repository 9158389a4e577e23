//! The HTTP layer every SaaS collector shares: one base URL per client,
//! timeouts, retries with backoff and jitter on 429 and 5xx (honouring
//! `Retry-After`), credentials that never reach a log, and responses checked
//! against the shape the caller needs (an error names the endpoint and the
//! field, never a panic).

mod error;
mod retry;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use reqwest::header::HeaderValue;
use reqwest::{Client, Method, RequestBuilder, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use error::HttpError;
pub use retry::{is_retryable, parse_retry_after};

use crate::retry::{Attempt, RetryPolicy, Try};
use crate::secret::Secret;

/// `[collectors.<name>.http]`: how patient a collector is with its source.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Per request, connect to last byte (milliseconds).
    pub timeout_ms: u64,
    /// Further attempts after a 429, a 5xx or a connection failure.
    pub retries: u32,
    /// First backoff step (milliseconds); doubles per attempt, with jitter.
    pub backoff_ms: u64,
    /// Longest backoff step (milliseconds).
    pub max_backoff_ms: u64,
    /// A `Retry-After` longer than this (seconds) fails the call.
    pub max_retry_after_s: u64,
    /// Requests in flight at once against this source.
    pub concurrency: usize,
}

impl Default for HttpSettings {
    fn default() -> HttpSettings {
        HttpSettings {
            timeout_ms: 30_000,
            retries: 4,
            backoff_ms: 500,
            max_backoff_ms: 30_000,
            max_retry_after_s: 300,
            concurrency: 4,
        }
    }
}

impl HttpSettings {
    pub(crate) fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            retries: self.retries,
            base: Duration::from_millis(self.backoff_ms),
            max_backoff: Duration::from_millis(self.max_backoff_ms),
            max_retry_after: Duration::from_secs(self.max_retry_after_s),
            jitter: true,
        }
    }
}

/// How a client proves who it is.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// `Authorization: Basic base64(user:password)`, e.g. Confluence
    /// Cloud's email and API token.
    Basic {
        user: String,
        password: Secret,
    },
    /// `Authorization: Basic base64(token:)`: a token as the user name with
    /// no password, the form SonarQube servers before 10.0 accept.
    BasicToken(Secret),
    /// A header of the source's own, e.g. `X-Consul-Token`.
    Header {
        name: &'static str,
        value: Secret,
    },
    /// `Authorization: Bearer <token>` with a short-lived token its source
    /// renews (a GitHub App's installation token), asked before every attempt.
    Renewable(Arc<dyn TokenSource>),
}

/// Where a short-lived bearer token comes from.
pub trait TokenSource: Send + Sync + std::fmt::Debug {
    /// A token that stays valid for at least the next request; a failure
    /// to get one is an error no retry of the request would mend.
    fn token(&self) -> BoxFuture<'_, Result<Secret, HttpError>>;
}

/// A client for one source at one base URL.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: Client,
    base: Url,
    /// What failed, in errors: `SonarQube`, `Consul`, `Confluence`.
    service: String,
    /// What to check when credentials are refused.
    auth_hint: String,
    auth: Auth,
    policy: RetryPolicy,
}

/// One successful exchange (2xx, or 304 to a conditional request), before
/// its body is decoded.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The path below the base URL, for messages.
    pub endpoint: String,
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Exchange {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Decodes the body as `T`; a mismatch names the JSON path at fault.
    pub fn json<T: DeserializeOwned>(&self, service: &str) -> Result<T, HttpError> {
        decode(service, self)
    }
}

impl HttpClient {
    pub fn new(
        service: &str,
        base_url: &str,
        auth: Auth,
        auth_hint: &str,
        settings: &HttpSettings,
    ) -> Result<HttpClient, HttpError> {
        let bad_url = |reason: String| HttpError::BadUrl {
            service: service.into(),
            url: crate::redact::url(base_url).into_owned(),
            reason,
        };
        // A base without a trailing slash would lose its last segment in
        // `Url::join` (`https://host/wiki` + `rest/api` → `https://host/rest/api`).
        let normalised = format!("{}/", base_url.trim_end_matches('/'));
        let base = Url::parse(&normalised).map_err(|e| bad_url(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad_url("the scheme must be http or https".into()));
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(bad_url("credentials in the URL are refused: use the token settings".into()));
        }
        let client = Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms))
            .connect_timeout(Duration::from_millis(settings.timeout_ms.min(10_000)))
            .user_agent(concat!("spot-collector/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| bad_url(format!("cannot build an HTTP client: {e}")))?;
        Ok(HttpClient {
            client,
            base,
            service: service.into(),
            auth_hint: auth_hint.into(),
            auth,
            policy: settings.policy(),
        })
    }

    /// The same client (connections, base URL, retry policy) proving
    /// itself another way; `auth_hint` is what a refusal tells to check.
    pub fn with_auth(&self, auth: Auth, auth_hint: &str) -> HttpClient {
        HttpClient { auth, auth_hint: auth_hint.into(), ..self.clone() }
    }

    /// The base URL, with its trailing slash.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// GETs `path` (relative to the base URL) with `query`, decoded as `T`.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T, HttpError> {
        let mut url = self.url(path)?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        self.get_url_json(url).await
    }

    /// GETs an absolute URL (a `next` link), which must be on the base URL's
    /// host: a source cannot send the credentials elsewhere.
    pub async fn get_url_json<T: DeserializeOwned>(&self, url: Url) -> Result<T, HttpError> {
        let answer = self.get_exchange(url, &[]).await?;
        decode(&self.service, &answer)
    }

    /// GETs `url` with extra request headers (`If-None-Match`, `Accept`),
    /// retrying like every call, and returns the whole exchange: status
    /// (2xx or 304), headers and body. The URL must be on the base's host.
    pub async fn get_exchange(&self, url: Url, headers: &[(&'static str, String)]) -> Result<Exchange, HttpError> {
        if url.origin() != self.base.origin() {
            return Err(HttpError::Shape {
                service: self.service.clone(),
                endpoint: url.path().to_string(),
                path: "next".into(),
                problem: format!("a link to another host ({}) is not followed", url.origin().ascii_serialization()),
            });
        }
        self.exchange(Method::GET, url, headers).await
    }

    /// POSTs to `path` (relative to the base URL) without a body, retrying
    /// like every call (only for calls that may safely be repeated, such as
    /// asking for a new token), decoded as `T`.
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        headers: &[(&'static str, String)],
    ) -> Result<T, HttpError> {
        let answer = self.exchange(Method::POST, self.url(path)?, headers).await?;
        decode(&self.service, &answer)
    }

    /// The service name used in messages (`GitHub`, `SonarQube`).
    pub fn service(&self) -> &str {
        &self.service
    }

    /// `path` resolved against the base URL (a leading `/` stays under it).
    pub fn url(&self, path: &str) -> Result<Url, HttpError> {
        self.base.join(path.trim_start_matches('/')).map_err(|e| HttpError::BadUrl {
            service: self.service.clone(),
            url: format!("{}{path}", self.base),
            reason: e.to_string(),
        })
    }

    async fn exchange(
        &self,
        method: Method,
        url: Url,
        headers: &[(&'static str, String)],
    ) -> Result<Exchange, HttpError> {
        let endpoint = url.path().trim_start_matches(self.base.path()).to_string();
        crate::retry::run(
            &self.policy,
            |attempt| self.exchange_once(&method, &url, headers, &endpoint, attempt),
            |attempt, wait| {
                tracing::info!(source.service = %self.service, http.endpoint = %endpoint, attempt = attempt.number(), wait_ms = wait.as_millis() as u64, "retrying");
                true
            },
            tokio::time::sleep,
        )
        .await
    }

    /// One attempt of [`HttpClient::exchange`]: 429, 5xx, an exhausted rate
    /// limit and transport failures are worth another; a rate limit or
    /// `Retry-After` asking for longer than `max_retry_after` is not.
    async fn exchange_once(
        &self,
        method: &Method,
        url: &Url,
        headers: &[(&'static str, String)],
        endpoint: &str,
        attempt: Try,
    ) -> Attempt<Exchange, HttpError> {
        let started = Instant::now();
        let mut request = match authorise(self.client.request(method.clone(), url.clone()), &self.auth).await {
            Ok(request) => request,
            Err(e) => return Attempt::Fail(e),
        };
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let outcome = request.send().await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let response = match outcome {
            Err(e) => {
                let reason = describe_transport_error(e);
                tracing::debug!(source.service = %self.service, http.endpoint = %endpoint, attempt = attempt.number(), elapsed_ms, error = %reason, "request failed");
                return Attempt::Retry { wait: None, last: self.unreachable(attempt, reason) };
            }
            Ok(response) => response,
        };
        let status = response.status();
        tracing::debug!(source.service = %self.service, http.endpoint = %endpoint, http.status = status.as_u16(), attempt = attempt.number(), elapsed_ms, "response");
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            let headers = response.headers().clone();
            return match response.bytes().await {
                Ok(body) => Attempt::Done(Exchange {
                    endpoint: endpoint.to_string(),
                    status: status.as_u16(),
                    headers,
                    body: body.to_vec(),
                }),
                Err(e) => Attempt::Fail(self.unreachable(
                    attempt,
                    format!("the body of {endpoint} could not be read: {}", describe_transport_error(e)),
                )),
            };
        }
        let rate_limited = retry::rate_limit_reset(status, response.headers());
        let retryable = rate_limited.is_some() || is_retryable(status);
        let asked = match rate_limited {
            Some(until_reset) if until_reset > self.policy.max_retry_after => Err(until_reset),
            Some(until_reset) => Ok(Some(until_reset)),
            None => self.policy.retry_after(response.headers()),
        };
        // Read even when a retry follows: it is what the call fails with if
        // none does.
        let body = response.text().await.unwrap_or_default();
        let error = self.status_error(endpoint, status, attempt.count(), &body);
        if !retryable || attempt.is_last() {
            return Attempt::Fail(error);
        }
        match asked {
            Ok(wait) => Attempt::Retry { wait, last: error },
            Err(asked) => Attempt::Fail(HttpError::Status {
                service: self.service.clone(),
                endpoint: endpoint.to_string(),
                status: status.as_u16(),
                attempts: attempt.count(),
                body: self.policy.refusal(asked),
            }),
        }
    }

    /// The source did not answer (`attempt` was the last one made).
    fn unreachable(&self, attempt: Try, reason: String) -> HttpError {
        HttpError::Unreachable {
            service: self.service.clone(),
            base: self.base.origin().ascii_serialization(),
            attempts: attempt.count(),
            reason,
        }
    }

    fn status_error(&self, endpoint: &str, status: StatusCode, attempts: u32, body: &str) -> HttpError {
        let (service, endpoint) = (self.service.clone(), endpoint.to_string());
        match status {
            StatusCode::UNAUTHORIZED => HttpError::Unauthorized { service, endpoint, hint: self.auth_hint.clone() },
            StatusCode::FORBIDDEN => HttpError::Forbidden { service, endpoint, hint: self.auth_hint.clone() },
            StatusCode::NOT_FOUND => HttpError::NotFound { service, endpoint },
            _ => HttpError::Status { service, endpoint, status: status.as_u16(), attempts, body: snippet(body) },
        }
    }
}

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`).
const COMPONENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A value as one URL component (a path segment, a query value): a `/`,
/// `?`, `&` or `#` in it cannot change which endpoint is asked.
pub fn encode_component(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, COMPONENT).to_string()
}

/// Adds the credentials; reqwest marks the header sensitive, so neither it
/// nor hyper prints the value.
async fn authorise(request: RequestBuilder, auth: &Auth) -> Result<RequestBuilder, HttpError> {
    Ok(match auth {
        Auth::None => request,
        Auth::Bearer(token) => request.bearer_auth(token.expose()),
        Auth::Basic { user, password } => request.basic_auth(user, Some(password.expose())),
        Auth::BasicToken(token) => request.basic_auth(token.expose(), None::<&str>),
        Auth::Header { name, value } => match HeaderValue::from_str(value.expose()) {
            Ok(mut value) => {
                value.set_sensitive(true);
                request.header(*name, value)
            }
            // Sent without it: the source answers 401, which says what to check.
            Err(_) => request,
        },
        Auth::Renewable(source) => request.bearer_auth(source.token().await?.expose()),
    })
}

/// Decodes a body as `T`; a mismatch names the JSON path at fault.
fn decode<T: DeserializeOwned>(service: &str, answer: &Exchange) -> Result<T, HttpError> {
    let mut deserializer = serde_json::Deserializer::from_slice(&answer.body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let problem =
            if inner.is_syntax() || inner.is_eof() { format!("not valid JSON ({inner})") } else { inner.to_string() };
        HttpError::Shape { service: service.into(), endpoint: answer.endpoint.clone(), path, problem }
    })
}

fn describe_transport_error(e: reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let what = if e.is_connect() { "connection failed" } else { "transport error" };
    // The deepest cause says why ("Connection refused"); the URL is left
    // out, the caller names the endpoint.
    let e = e.without_url();
    let mut cause: &dyn std::error::Error = &e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    format!("{what}: {cause}")
}

/// The start of an error body, on one line, for a message.
fn snippet(body: &str) -> String {
    let line = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None if line.is_empty() => "(empty body)".into(),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_keeps_its_path() {
        let client =
            HttpClient::new("Confluence", "https://acme.example/wiki", Auth::None, "", &Default::default()).unwrap();
        assert_eq!(client.url("/rest/api/space").unwrap().as_str(), "https://acme.example/wiki/rest/api/space");
        assert_eq!(client.url("rest/api/space").unwrap().as_str(), "https://acme.example/wiki/rest/api/space");
    }

    #[test]
    fn a_bad_base_url_is_named() {
        let err = HttpClient::new("Consul", "consul:8500", Auth::None, "", &Default::default()).unwrap_err();
        assert!(err.to_string().starts_with("Consul: base_url 'consul:8500' is not usable"), "{err}");
        let err = HttpClient::new("Consul", "http://u:p@consul:8500", Auth::None, "", &Default::default()).unwrap_err();
        assert!(err.to_string().contains("credentials in the URL are refused"), "{err}");
    }

    #[test]
    fn secrets_in_a_refused_base_url_are_not_echoed() {
        let err =
            HttpClient::new("Consul", "http://u:hunter2@consul:8500/?token=t0k3n", Auth::None, "", &Default::default())
                .unwrap_err()
                .to_string();
        assert!(err.starts_with("Consul: base_url 'http://u:***@consul:8500/?token=***' is not usable"), "{err}");
        assert!(!err.contains("hunter2") && !err.contains("t0k3n"), "{err}");
    }

    #[test]
    fn the_client_debug_output_hides_the_credentials() {
        let auth = Auth::Bearer(Secret::new("very-secret-token".into()));
        let client = HttpClient::new("SonarQube", "http://127.0.0.1:9", auth, "", &Default::default()).unwrap();
        assert!(!format!("{client:?}").contains("very-secret-token"));
    }

    #[test]
    fn long_error_bodies_are_cut() {
        assert_eq!(snippet("  a\n  b "), "a b");
        assert_eq!(snippet(""), "(empty body)");
        assert!(snippet(&"x".repeat(500)).ends_with('…'));
    }
}
