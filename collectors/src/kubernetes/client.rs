//! One client per cluster: built from a kubeconfig context, a kubeconfig
//! file or the pod's in-cluster service account, with timeouts, retries
//! with backoff (honouring `Retry-After`), and errors that name the cluster
//! and what to check. Credentials never reach a message or a log: kube
//! keeps tokens in `SecretString`s, and the messages built here quote no
//! value from a kubeconfig or a credential plugin.

use std::time::{Duration, Instant};

use http::{HeaderMap, Request, StatusCode};
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use serde::Deserialize;

use super::ClusterConfig;
use crate::http::{is_retryable, HttpSettings};
use crate::retry::{Attempt, RetryPolicy, Try};

/// Why a request to a cluster (or building its client) failed. Every
/// message names the cluster; none holds a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KubeError {
    #[error("kubernetes cluster '{cluster}': {source_desc} is not usable: {reason}")]
    BadConfig { cluster: String, source_desc: String, reason: String },
    #[error("kubernetes cluster '{cluster}' at {server} is unreachable after {attempts} attempts ({reason}): check the cluster's server address in the kubeconfig and that it answers from here")]
    Unreachable { cluster: String, server: String, attempts: u32, reason: String },
    #[error("kubernetes cluster '{cluster}' at {server}: the TLS handshake failed ({reason}): check the cluster's certificate-authority (and client certificate) in the kubeconfig, and that the server speaks HTTPS")]
    Tls { cluster: String, server: String, reason: String },
    #[error("kubernetes cluster '{cluster}': the credentials could not be obtained: {reason}")]
    Credentials { cluster: String, reason: String },
    #[error("kubernetes cluster '{cluster}' rejected the credentials (HTTP 401 on {path}): the token or client certificate is expired, revoked or not for this cluster; renew it ({source_desc})")]
    Unauthorized { cluster: String, path: String, source_desc: String },
    #[error("kubernetes cluster '{cluster}': {path} is forbidden (HTTP 403: {message}): grant the ClusterRole in docs/collectors/kubernetes.md to the collector's user")]
    Forbidden { cluster: String, path: String, message: String },
    #[error("kubernetes cluster '{cluster}': {path} was not found (HTTP 404): the API is not served by this cluster")]
    NotFound { cluster: String, path: String },
    #[error("kubernetes cluster '{cluster}': {path}: the listing's continue token expired (HTTP 410) before every page was read; the run may be retried, and a larger page_size reads faster")]
    Expired { cluster: String, path: String },
    #[error("kubernetes cluster '{cluster}': {path} answered HTTP {status} after {attempts} attempts: {message}")]
    Status { cluster: String, path: String, status: u16, attempts: u32, message: String },
    #[error("kubernetes cluster '{cluster}': {path} answered an unexpected shape at `{at}`: {problem}")]
    Shape { cluster: String, path: String, at: String, problem: String },
    #[error("kubernetes cluster '{cluster}': {problem}")]
    Listing { cluster: String, problem: String },
}

impl KubeError {
    /// 403: the one failure the collector works around (per namespace).
    pub fn is_forbidden(&self) -> bool {
        matches!(self, KubeError::Forbidden { .. })
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, KubeError::NotFound { .. })
    }
}

/// A cluster's API, for GETs. Cheap to clone (kube's client is shared).
#[derive(Clone)]
pub struct ClusterClient {
    client: kube::Client,
    cluster: String,
    /// `https://host:port`, without any credentials, for messages.
    server: String,
    /// Where the credentials come from, for the 401 hint.
    source_desc: String,
    policy: RetryPolicy,
    timeout: Duration,
}

impl std::fmt::Debug for ClusterClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterClient").field("cluster", &self.cluster).field("server", &self.server).finish()
    }
}

/// `/version`, the part the collector records.
#[derive(Debug, Deserialize)]
struct VersionInfo {
    #[serde(rename = "gitVersion", default)]
    git_version: String,
}

/// The longest a watch request waits for its next line: past the watch's
/// own timeout (kube's watcher asks for 290 s) and the server's bookmarks.
const WATCH_READ_TIMEOUT: Duration = Duration::from_secs(330);

/// A client for long-running watches: the cluster's config as for
/// [`ClusterClient::connect`], but with a read timeout longer than a watch
/// request lasts (a list's timeout would cut every quiet watch).
pub async fn watch_client(cluster: &ClusterConfig, http: &HttpSettings) -> Result<kube::Client, KubeError> {
    let loaded = Loaded::read(cluster, http, Some(WATCH_READ_TIMEOUT)).await?;
    kube::Client::try_from(loaded.config).map_err(|e| bad_config(cluster, &loaded.source_desc, describe_kube_error(&e)))
}

/// A cluster's kube config with SPoT's timeouts, and where it came from.
struct Loaded {
    config: kube::Config,
    source_desc: String,
    /// The per-request timeout of `[collectors.kubernetes.http]`.
    timeout: Duration,
}

impl Loaded {
    /// Connects within the request timeout (10 s at most), writes within
    /// it, and reads within `read_timeout`, else within it too.
    async fn read(
        cluster: &ClusterConfig,
        http: &HttpSettings,
        read_timeout: Option<Duration>,
    ) -> Result<Loaded, KubeError> {
        let source_desc = describe_source(cluster);
        let mut config = load_config(cluster).await.map_err(|reason| bad_config(cluster, &source_desc, reason))?;
        let timeout = Duration::from_millis(http.timeout_ms.max(1));
        config.connect_timeout = Some(timeout.min(Duration::from_secs(10)));
        config.read_timeout = Some(read_timeout.unwrap_or(timeout));
        config.write_timeout = Some(timeout);
        Ok(Loaded { config, source_desc, timeout })
    }
}

fn bad_config(cluster: &ClusterConfig, source_desc: &str, reason: String) -> KubeError {
    KubeError::BadConfig { cluster: cluster.name.clone(), source_desc: source_desc.to_string(), reason }
}

impl ClusterClient {
    /// Loads the cluster's config and builds its client. No request yet.
    pub async fn connect(cluster: &ClusterConfig, http: &HttpSettings) -> Result<ClusterClient, KubeError> {
        let Loaded { config, source_desc, timeout } = Loaded::read(cluster, http, None).await?;
        let server = server_of(&config.cluster_url);
        let client =
            kube::Client::try_from(config).map_err(|e| bad_config(cluster, &source_desc, describe_kube_error(&e)))?;
        Ok(ClusterClient { client, cluster: cluster.name.clone(), server, source_desc, policy: http.policy(), timeout })
    }

    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    /// The API server's version (`gitVersion`, e.g. `v1.30.2`). Any
    /// authenticated user may read it, so it doubles as the check that the
    /// cluster answers and accepts the credentials.
    pub async fn server_version(&self) -> Result<String, KubeError> {
        let body = self.get("/version").await?;
        let info: VersionInfo = self.decode("/version", &body)?;
        Ok(info.git_version)
    }

    /// Decodes a whole response, naming the JSON path of a mismatch.
    pub fn decode<'a, T: Deserialize<'a>>(&self, path: &str, body: &'a [u8]) -> Result<T, KubeError> {
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let at = e.path().to_string();
            let inner = e.into_inner();
            let problem = if inner.is_syntax() || inner.is_eof() {
                format!("not valid JSON ({inner})")
            } else {
                inner.to_string()
            };
            KubeError::Shape { cluster: self.cluster.clone(), path: path.to_string(), at, problem }
        })
    }

    /// GETs `path_and_query` (relative to the cluster's server), retrying
    /// 429s, 5xx and transport failures with backoff.
    pub async fn get(&self, path_and_query: &str) -> Result<Vec<u8>, KubeError> {
        let path = path_and_query.split('?').next().unwrap_or(path_and_query);
        crate::retry::run(
            &self.policy,
            |attempt| self.get_once(path_and_query, path, attempt),
            |attempt, wait| {
                tracing::info!(kubernetes.cluster = %self.cluster, http.path = %path, attempt = attempt.number(), wait_ms = wait.as_millis() as u64, "retrying");
                true
            },
            tokio::time::sleep,
        )
        .await
    }

    /// One attempt of [`ClusterClient::get`]. TLS and credential failures
    /// are not worth another, nor a `Retry-After` over the cap.
    async fn get_once(&self, path_and_query: &str, path: &str, attempt: Try) -> Attempt<Vec<u8>, KubeError> {
        let started = Instant::now();
        let outcome = tokio::time::timeout(self.timeout, self.send(path_and_query)).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match outcome {
            Err(_) => self.transport_failure(path, attempt, "timed out".into()),
            Ok(Err(e)) => match classify(&e) {
                Failure::Tls(reason) => {
                    Attempt::Fail(KubeError::Tls { cluster: self.cluster.clone(), server: self.server.clone(), reason })
                }
                Failure::Credentials(reason) => {
                    Attempt::Fail(KubeError::Credentials { cluster: self.cluster.clone(), reason })
                }
                Failure::Transport(reason) => self.transport_failure(path, attempt, reason),
            },
            Ok(Ok((status, headers, body))) => {
                tracing::debug!(kubernetes.cluster = %self.cluster, http.path = %path, http.status = status.as_u16(), attempt = attempt.number(), elapsed_ms, "response");
                if status.is_success() {
                    return Attempt::Done(body);
                }
                let error = self.status_error(path, status, attempt.count(), &body);
                if !is_retryable(status) || attempt.is_last() {
                    return Attempt::Fail(error);
                }
                match self.policy.retry_after(&headers) {
                    Ok(wait) => Attempt::Retry { wait, last: error },
                    Err(asked) => Attempt::Fail(KubeError::Status {
                        cluster: self.cluster.clone(),
                        path: path.to_string(),
                        status: status.as_u16(),
                        attempts: attempt.count(),
                        message: self.policy.refusal(asked),
                    }),
                }
            }
        }
    }

    /// Worth another attempt; the error if none is left.
    fn transport_failure(&self, path: &str, attempt: Try, reason: String) -> Attempt<Vec<u8>, KubeError> {
        tracing::debug!(kubernetes.cluster = %self.cluster, http.path = %path, attempt = attempt.number(), error = %reason, "request failed");
        let last = KubeError::Unreachable {
            cluster: self.cluster.clone(),
            server: self.server.clone(),
            attempts: attempt.count(),
            reason,
        };
        Attempt::Retry { wait: None, last }
    }

    async fn send(&self, path_and_query: &str) -> Result<(StatusCode, HeaderMap, Vec<u8>), kube::Error> {
        let request = Request::get(path_and_query)
            .header(http::header::ACCEPT, "application/json")
            .body(kube::client::Body::empty())
            .map_err(kube::Error::HttpError)?;
        let response = self.client.send(request).await?;
        let (parts, body) = response.into_parts();
        let bytes = body.collect_bytes().await?;
        Ok((parts.status, parts.headers, bytes.to_vec()))
    }

    fn status_error(&self, path: &str, status: StatusCode, attempts: u32, body: &[u8]) -> KubeError {
        let (cluster, path) = (self.cluster.clone(), path.to_string());
        match status {
            StatusCode::UNAUTHORIZED => {
                KubeError::Unauthorized { cluster, path, source_desc: self.source_desc.clone() }
            }
            StatusCode::FORBIDDEN => KubeError::Forbidden { cluster, path, message: status_message(body) },
            StatusCode::NOT_FOUND => KubeError::NotFound { cluster, path },
            StatusCode::GONE => KubeError::Expired { cluster, path },
            _ => KubeError::Status { cluster, path, status: status.as_u16(), attempts, message: status_message(body) },
        }
    }
}

/// The `message` of a Kubernetes `Status` body, or the start of the body.
fn status_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Status {
        #[serde(default)]
        message: String,
    }
    match serde_json::from_slice::<Status>(body) {
        Ok(status) if !status.message.is_empty() => snippet(&status.message),
        _ => snippet(&String::from_utf8_lossy(body)),
    }
}

/// The start of a text, on one line, for a message.
fn snippet(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(300) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None if line.is_empty() => "(empty body)".into(),
        None => line,
    }
}

/// What the credentials come from, for messages: a path and context, never
/// their content.
pub fn describe_source(cluster: &ClusterConfig) -> String {
    match (&cluster.kubeconfig, &cluster.context, cluster.in_cluster) {
        (_, _, true) => "the in-cluster service account".into(),
        (Some(file), Some(context), _) => format!("kubeconfig {} context '{context}'", file.display()),
        (Some(file), None, _) => format!("kubeconfig {} (its current context)", file.display()),
        (None, Some(context), _) => {
            format!("context '{context}' of the default kubeconfig ($KUBECONFIG or ~/.kube/config)")
        }
        (None, None, _) => "the default kubeconfig's current context".into(),
    }
}

/// kube's config for one cluster, or why it cannot be had.
async fn load_config(cluster: &ClusterConfig) -> Result<kube::Config, String> {
    if cluster.in_cluster {
        return kube::Config::incluster().map_err(|e| {
            format!(
                "{} (in_cluster needs KUBERNETES_SERVICE_HOST/PORT and the service account files under /var/run/secrets/kubernetes.io/serviceaccount)",
                redact_quoted(&e.to_string())
            )
        });
    }
    let options = KubeConfigOptions { context: cluster.context.clone(), cluster: None, user: None };
    let loaded = match &cluster.kubeconfig {
        Some(file) => match Kubeconfig::read_from(file) {
            Ok(kubeconfig) => kube::Config::from_custom_kubeconfig(kubeconfig, &options).await,
            Err(e) => Err(e),
        },
        None => kube::Config::from_kubeconfig(&options).await,
    };
    loaded.map_err(|e| describe_kubeconfig_error(&e))
}

/// A kubeconfig problem in words, with no value from the file (a YAML
/// error can quote what it found, which could be a secret).
fn describe_kubeconfig_error(e: &KubeconfigError) -> String {
    match e {
        KubeconfigError::ReadConfig(io, path) => format!("cannot read {}: {io}", path.display()),
        KubeconfigError::Parse(_) | KubeconfigError::InvalidStructure(_) => {
            format!("it is not a kubeconfig ({})", redact_quoted(&source_chain(e)))
        }
        KubeconfigError::LoadContext(context) => format!("it has no context named '{context}'"),
        KubeconfigError::LoadClusterOfContext(name) => {
            format!("the context names a cluster '{name}' it does not define")
        }
        KubeconfigError::CurrentContextNotSet => "it sets no current-context: name one with `context`".into(),
        KubeconfigError::FindPath => {
            "no kubeconfig was found: set $KUBECONFIG, or `kubeconfig` in the cluster's entry".into()
        }
        other => redact_quoted(&source_chain(other)),
    }
}

/// How a failed exchange is handled.
enum Failure {
    /// Deterministic: retrying will not help.
    Tls(String),
    Credentials(String),
    /// Worth another attempt.
    Transport(String),
}

fn classify(e: &kube::Error) -> Failure {
    if let kube::Error::Auth(auth) = e {
        return Failure::Credentials(describe_auth_error(auth));
    }
    let chain = describe_kube_error(e);
    let lower = chain.to_ascii_lowercase();
    if lower.contains("ssl") || lower.contains("certificate") || lower.contains("tls") {
        Failure::Tls(chain)
    } else {
        Failure::Transport(chain)
    }
}

/// A credential plugin's failure without its output (which may hold a
/// token) and without quoted values.
fn describe_auth_error(e: &kube::client::AuthError) -> String {
    use kube::client::AuthError;
    match e {
        AuthError::AuthExecRun { cmd, status, .. } => {
            format!("the credential plugin '{cmd}' failed ({status}): run it by hand to see why (an expired login?)")
        }
        AuthError::AuthExecStart(io) => format!("the credential plugin could not be started: {io}"),
        AuthError::ReadTokenFile(io, path) => format!("cannot read the token file {}: {io}", path.display()),
        other => redact_quoted(&source_chain(other)),
    }
}

/// The causes of a kube error (its own wrapper, `ServiceError: client
/// error (Connect)`, says nothing), deepest last.
fn describe_kube_error(e: &kube::Error) -> String {
    match e {
        kube::Error::Auth(auth) => describe_auth_error(auth),
        other => {
            let parts = causes(other);
            let useful = if parts.len() > 1 { &parts[1..] } else { &parts[..] };
            redact_quoted(&useful.join(": "))
        }
    }
}

fn source_chain(e: &dyn std::error::Error) -> String {
    causes(e).join(": ")
}

/// The error and its causes, without the ones an earlier message repeats.
fn causes(e: &dyn std::error::Error) -> Vec<String> {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(next) = cause {
        let text = next.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = next.source();
    }
    parts
}

/// Replaces every double-quoted part of a message with `"…"`: parsers quote
/// the values they found, and a value from a kubeconfig may be a secret.
pub fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '"' {
            if inside {
                out.push_str("…\"");
            } else {
                out.push('"');
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    if inside {
        out.push('…');
    }
    out
}

/// `scheme://host:port` of the cluster URL, without any user info.
fn server_of(uri: &http::Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("https");
    let host = uri.host().unwrap_or("?");
    match uri.port_u16() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_redacted() {
        assert_eq!(
            redact_quoted(r#"invalid type: string "s3cr3t", expected a map"#),
            r#"invalid type: string "…", expected a map"#
        );
        assert_eq!(redact_quoted(r#"unterminated "abc"#), r#"unterminated "…"#);
        assert_eq!(redact_quoted("no quotes"), "no quotes");
    }

    #[test]
    fn the_server_is_named_without_credentials() {
        let uri: http::Uri = "https://user:pw@10.0.0.1:6443/prefix".parse().unwrap();
        assert_eq!(server_of(&uri), "https://10.0.0.1:6443");
        let uri: http::Uri = "https://k8s.example".parse().unwrap();
        assert_eq!(server_of(&uri), "https://k8s.example");
    }

    #[test]
    fn status_bodies_give_their_message() {
        let body = br#"{"kind":"Status","status":"Failure","message":"pods is forbidden: User \"bot\" cannot list resource \"pods\"","code":403}"#;
        assert_eq!(status_message(body), r#"pods is forbidden: User "bot" cannot list resource "pods""#);
        assert_eq!(status_message(b"plain\n text"), "plain text");
        assert_eq!(status_message(b""), "(empty body)");
    }

    #[test]
    fn sources_are_described_without_content() {
        let cluster = |kubeconfig: Option<&str>, context: Option<&str>, in_cluster: bool| ClusterConfig {
            name: "dc1".into(),
            datacenter: None,
            kubeconfig: kubeconfig.map(Into::into),
            context: context.map(Into::into),
            in_cluster,
        };
        assert_eq!(describe_source(&cluster(None, None, true)), "the in-cluster service account");
        assert_eq!(describe_source(&cluster(Some("/k"), Some("prod"), false)), "kubeconfig /k context 'prod'");
        assert_eq!(describe_source(&cluster(Some("/k"), None, false)), "kubeconfig /k (its current context)");
        assert!(describe_source(&cluster(None, Some("prod"), false)).starts_with("context 'prod' of the default"));
    }
}
