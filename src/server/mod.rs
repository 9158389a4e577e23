//! `spot serve`: GraphQL over HTTP with health, readiness and metrics.
//!
//! - `GET /`: the explorer, a web UI over the API (`explorer.rs`)
//! - `POST /graphql` (GraphiQL on `GET /graphql`)
//! - `GET /healthz` (the process is up), `GET /readyz` (the store answers)
//! - `GET /metrics` (Prometheus)
//!
//! Bearer tokens with scopes; without tokens the server refuses to listen
//! beyond loopback. Body size and request time are limited, and every
//! rejection is a GraphQL error that names the limit. SIGTERM and Ctrl-C
//! stop accepting connections and let in-flight requests finish.

pub mod connections;
pub mod edge;
pub mod explorer;
pub mod guard;
mod headers;
pub mod metrics;
pub mod socket;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Json, Router};

use crate::api;
use crate::api::auth::{Grants, Scope, Tokens};
use crate::config::{Config, MetricsAccess};
use crate::scheduler::{self, Clock, CollectorMetrics, Scheduler};
use crate::store::Store;
use connections::ConnectionLimits;
use edge::Edge;
use guard::LocalOnly;
use metrics::{Metrics, StoreTiming};

pub struct Server {
    /// What every operation passes, over HTTP and WebSocket (`edge.rs`).
    edge: Arc<Edge>,
    store: Arc<dyn Store>,
    tokens: Tokens,
    body_limit: usize,
    /// `[server.websocket]`, and the sockets still waiting to authenticate.
    sockets: socket::Sockets,
    metrics: Metrics,
    metrics_access: MetricsAccess,
    connections: ConnectionLimits,
    /// Without tokens: the Host and Origin checks (`guard.rs`).
    local_only: Option<Arc<LocalOnly>>,
    scheduler: Option<Arc<Scheduler>>,
    /// What happens live: the watches' actions and pushed deploys.
    feed: crate::watch::Feed,
    /// `[collectors]`, for the Kubernetes watches `serve` starts.
    collectors: collectors::CollectorsConfig,
    /// Keeps the scorecards' scores in the store while the server lives.
    _keeper: Option<crate::scorecards::kept::Keeper>,
}

impl Server {
    /// `[delivery]`, and the commits behind deploys through the GitHub
    /// collector's client when one is configured (docs/dora.md).
    fn delivery(config: &Config) -> anyhow::Result<crate::delivery::Delivery> {
        use collectors::Collector;
        let mut delivery = crate::delivery::Delivery::new(config.delivery.clone());
        if let Some(github) = &config.collectors.github {
            let github = collectors::github::GitHub::new(github)?;
            delivery.commits.push(Arc::new(crate::delivery::commits::GitHubCommits(Arc::new(github))));
        }
        Ok(delivery)
    }

    /// `[scorecards]`, every file read and checked (docs/scorecards.md).
    fn scoring(config: &Config) -> anyhow::Result<api::Scoring> {
        let metrics = crate::config::check::sonar_metrics(config);
        let scorecards = crate::scorecards::Scorecards::load(&config.scorecards, &metrics)
            .map_err(|problems| anyhow::anyhow!("[scorecards]: {}", problems.join("; ")))?;
        Ok(api::Scoring { scorecards: Arc::new(scorecards), cache: Arc::default() })
    }

    /// Everything a server needs, checked: tokens resolved from their env
    /// variables or files, loopback enforced when there are none.
    pub fn new(config: &Config, store: Arc<dyn Store>) -> anyhow::Result<Server> {
        let tokens = Tokens(config.auth.resolve_tokens().map_err(|problems| anyhow::anyhow!(problems.join("; ")))?);
        if tokens.0.is_empty() && !config.server.listen.ip().is_loopback() {
            anyhow::bail!(
                "refusing to listen on {} without tokens: configure [[auth.tokens]] or listen on a loopback address",
                config.server.listen
            );
        }
        let known_operations = explorer::operations().into_iter().chain(config.server.metric_operations.clone());
        let metrics = Metrics::new(known_operations);
        let scoring = Self::scoring(config)?;
        let store: Arc<dyn Store> = Arc::new(StoreTiming::store(store, metrics.clone()));
        // Every write through the server (the scheduler's too) drops the
        // scored days it keeps; the schema finds this store already watched.
        let store = scoring.cache.watching(store);
        let scheduler = Self::scheduler(config, store.clone(), &metrics)?;
        let links = crate::links::Links::new(&config.links)
            .map_err(|problems| anyhow::anyhow!("[links]: {}", problems.join("; ")))?;
        let feed = crate::watch::Feed::default();
        // Scores kept in the store, derived after each write (reads score
        // the graph for the days not kept yet).
        let delivery = Self::delivery(config)?;
        let keeper = tokio::runtime::Handle::try_current().ok().map(|_| {
            crate::scorecards::kept::keep(store.clone(), scoring.scorecards.clone(), delivery.clone(), &scoring.cache)
        });
        let schema = api::schema_with_scheduler(
            store.clone(),
            config.limits.clone(),
            links,
            scheduler.clone(),
            feed.clone(),
            delivery,
            scoring,
        );
        let timeout = Duration::from_millis(config.server.request_timeout_ms.max(1));
        Ok(Server {
            edge: Arc::new(Edge::new(schema, config.limits.clone(), timeout, Some(metrics.clone()))),
            feed,
            collectors: config.collectors.clone(),
            store,
            local_only: tokens.0.is_empty().then(|| Arc::new(LocalOnly::new(&config.server.allowed_hosts))),
            tokens,
            body_limit: config.server.body_limit_bytes,
            sockets: socket::Sockets::new(config.server.websocket.clone(), config.server.body_limit_bytes),
            metrics,
            metrics_access: config.server.metrics_access,
            connections: ConnectionLimits {
                max_connections: config.server.max_connections,
                header_read_timeout: Duration::from_millis(config.server.header_read_timeout_ms.max(1)),
            },
            scheduler,
            _keeper: keeper,
        })
    }

    /// The collectors configured under `[collectors]`, on their schedules;
    /// none configured, no scheduler.
    fn scheduler(config: &Config, store: Arc<dyn Store>, metrics: &Metrics) -> anyhow::Result<Option<Arc<Scheduler>>> {
        if config.collectors.configured().is_empty() {
            return Ok(None);
        }
        let jobs = scheduler::jobs(&config.collectors, &[])?;
        let collector_metrics = Arc::new(CollectorMetrics::new(metrics.registry())?);
        let scheduler = Scheduler::new(store, Clock::System, jobs, &config.scheduler)
            .with_metrics(collector_metrics)
            .with_retention(config.retention.clone())
            .with_identity(config.identity.clone());
        Ok(Some(Arc::new(scheduler)))
    }

    pub fn router(self) -> Router {
        let local_only = self.local_only.clone();
        let router = Router::new()
            .route("/graphql", get(explorer::graphiql).post(graphql))
            .route("/graphql/ws", get(socket::upgrade))
            .route("/healthz", get(|| async { "ok\n" }))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics_text))
            .merge(explorer::routes())
            .with_state(Arc::new(self));
        let router = match local_only {
            Some(guard) => router.layer(middleware::from_fn_with_state(guard, guard::local_only)),
            None => router,
        };
        router.layer(middleware::from_fn(headers::security_headers))
    }

    /// Serves on `listener` until `stop` resolves, with the connection
    /// limits of `[server]`, and the Kubernetes watches of `[collectors]`;
    /// in-flight requests finish first, then the watches commit what they
    /// hold and stop.
    pub async fn serve_on(self, listener: tokio::net::TcpListener, stop: impl std::future::Future<Output = ()>) {
        let limits = self.connections;
        let (stop_watches, watches_stopped) = tokio::sync::watch::channel(false);
        let watches = crate::watch::start(&self.collectors, self.store.clone(), self.feed.clone(), watches_stopped);
        connections::serve(listener, self.router(), limits, stop).await;
        let _ = stop_watches.send(true);
        for watch in watches {
            let _ = watch.await;
        }
    }
}

/// Serves until SIGTERM or Ctrl-C, then drains in-flight requests.
pub async fn serve(server: Server, listen: SocketAddr) -> anyhow::Result<()> {
    let listener =
        tokio::net::TcpListener::bind(listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let local = listener.local_addr()?;
    tracing::info!(server.address = %local, "serving GraphQL at http://{local}/graphql");
    // One signal stops both the HTTP server and the scheduler.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let scheduling = server.scheduler.clone().map(|scheduler| {
        let mut stopped = stopped.clone();
        tokio::spawn(scheduler.run(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }))
    });
    let mut http_stopped = stopped.clone();
    let signal = async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    };
    tokio::spawn(signal);
    server
        .serve_on(listener, async move {
            let _ = http_stopped.wait_for(|stop| *stop).await;
        })
        .await;
    if let Some(scheduling) = scheduling {
        let _ = scheduling.await;
    }
    tracing::info!("server stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// A request refused before GraphQL runs. Its body may be unread, so the
/// connection is closed: a keep-alive client would otherwise send its next
/// request into the rest of this one.
fn rejection(status: StatusCode, message: String, code: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// GraphQL-over-HTTP bodies are JSON. Refusing every other type also means
/// a foreign web page cannot post to the API without a CORS preflight
/// (which SPoT never grants): `text/plain` and form posts need none.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    media_type.eq_ignore_ascii_case("application/json")
        || media_type.eq_ignore_ascii_case("application/graphql-response+json")
}

async fn graphql(State(server): State<Arc<Server>>, headers: HeaderMap, body: Body) -> Response {
    let grants = match server.authenticate(&headers) {
        Ok(grants) => grants,
        Err(message) => return rejection(StatusCode::UNAUTHORIZED, message, "UNAUTHENTICATED"),
    };
    if !is_json(&headers) {
        let message = "a GraphQL request is a POST with Content-Type: application/json".to_string();
        return rejection(StatusCode::UNSUPPORTED_MEDIA_TYPE, message, "UNSUPPORTED_MEDIA_TYPE");
    }
    // The whole request, body included, runs within the request timeout:
    // a client trickling its body holds a connection, not a worker.
    let deadline = tokio::time::Instant::now() + server.edge.timeout();
    let bytes = match tokio::time::timeout_at(deadline, axum::body::to_bytes(body, server.body_limit)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            let message = format!("request body is larger than {} bytes (server.body_limit_bytes)", server.body_limit);
            return rejection(StatusCode::PAYLOAD_TOO_LARGE, message, "BODY_TOO_LARGE");
        }
        Err(_) => return rejection(StatusCode::REQUEST_TIMEOUT, server.edge.timed_out(), "TIMEOUT"),
    };
    match serde_json::from_slice::<async_graphql::Request>(&bytes) {
        Ok(request) => Json(server.edge.execute(request, grants, deadline).await.1).into_response(),
        Err(e) => {
            let message = format!("not a GraphQL request: {}", collectors::untrusted::one_line(&e.to_string()));
            rejection(StatusCode::BAD_REQUEST, message, "BAD_REQUEST")
        }
    }
}

impl Server {
    /// The caller's grants from its `Authorization` header, or why there
    /// are none.
    fn authenticate(&self, headers: &HeaderMap) -> Result<Grants, String> {
        let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        self.tokens.authenticate(authorization)
    }
}

async fn readyz(State(server): State<Arc<Server>>) -> Response {
    match server.store.latest_day().await {
        Ok(day) => {
            let latest = day.map_or("none".to_string(), |d| d.to_string());
            (StatusCode::OK, format!("ready: latest day {latest}\n")).into_response()
        }
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("store unavailable: {e}\n")).into_response(),
    }
}

/// `/metrics`: open without tokens; with tokens, for a token with the
/// `metrics` or `admin` scope unless `server.metrics_access = "open"`.
async fn metrics_text(State(server): State<Arc<Server>>, headers: HeaderMap) -> Response {
    if server.metrics_access == MetricsAccess::Token {
        match server.authenticate(&headers) {
            Err(message) => return rejection(StatusCode::UNAUTHORIZED, message, "UNAUTHENTICATED"),
            Ok(grants) if grants.require(Scope::Metrics).is_err() && grants.require(Scope::Admin).is_err() => {
                let message = format!("/metrics needs the 'metrics' or 'admin' scope; '{}' has neither", grants.caller);
                return rejection(StatusCode::FORBIDDEN, message, "FORBIDDEN");
            }
            Ok(_) => {}
        }
    }
    server.metrics.set_live_subscribers(server.feed.subscribers());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], server.metrics.render()).into_response()
}
