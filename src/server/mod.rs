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

pub mod explorer;
pub mod metrics;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::ServerError;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::api::{self, auth::Tokens, Documents, Limits, SpotSchema};
use crate::config::Config;
use crate::scheduler::{self, Clock, CollectorMetrics, Scheduler};
use crate::store::Store;
use metrics::{MeteredStore, Metrics};

pub struct Server {
    schema: SpotSchema,
    /// Parsed once per distinct query text.
    documents: Documents,
    store: Arc<dyn Store>,
    tokens: Tokens,
    limits: Limits,
    timeout: Duration,
    body_limit: usize,
    metrics: Metrics,
    scheduler: Option<Arc<Scheduler>>,
}

impl Server {
    /// Everything a server needs, checked: tokens resolved from their env
    /// variables or files, loopback enforced when there are none.
    pub fn new(config: &Config, store: Arc<dyn Store>) -> anyhow::Result<Server> {
        let tokens = Tokens(config.auth.tokens.iter().map(|t| t.resolve()).collect::<anyhow::Result<_>>()?);
        if tokens.0.is_empty() && !config.server.listen.ip().is_loopback() {
            anyhow::bail!(
                "refusing to listen on {} without tokens: configure [[auth.tokens]] or listen on a loopback address",
                config.server.listen
            );
        }
        let metrics = Metrics::new();
        let store: Arc<dyn Store> = Arc::new(MeteredStore::new(store, metrics.clone()));
        let scheduler = Self::scheduler(config, store.clone(), &metrics)?;
        Ok(Server {
            schema: api::schema_with_scheduler(store.clone(), config.limits.clone(), scheduler.clone()),
            documents: Documents::default(),
            store,
            tokens,
            limits: config.limits.clone(),
            timeout: Duration::from_millis(config.server.request_timeout_ms.max(1)),
            body_limit: config.server.body_limit_bytes,
            metrics,
            scheduler,
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
            .with_retention(config.retention.clone());
        Ok(Some(Arc::new(scheduler)))
    }

    pub fn router(self) -> Router {
        Router::new()
            .route("/graphql", get(graphiql).post(graphql))
            .route("/healthz", get(|| async { "ok\n" }))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics_text))
            .merge(explorer::routes())
            .with_state(Arc::new(self))
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
    axum::serve(listener, server.router())
        .with_graceful_shutdown(async move {
            let _ = http_stopped.wait_for(|stop| *stop).await;
        })
        .await?;
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

fn rejection(status: StatusCode, message: String, code: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (status, Json(body)).into_response()
}

async fn graphql(State(server): State<Arc<Server>>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let grants = match server.tokens.authenticate(authorization) {
        Ok(grants) => grants,
        Err(message) => return rejection(StatusCode::UNAUTHORIZED, message, "UNAUTHENTICATED"),
    };
    let Ok(bytes) = axum::body::to_bytes(body, server.body_limit).await else {
        let message = format!("request body is larger than {} bytes (server.body_limit_bytes)", server.body_limit);
        return rejection(StatusCode::PAYLOAD_TOO_LARGE, message, "BODY_TOO_LARGE");
    };
    let mut request: async_graphql::Request = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(e) => return rejection(StatusCode::BAD_REQUEST, format!("not a GraphQL request: {e}"), "BAD_REQUEST"),
    };
    let operation = server.documents.prepare(&mut request);
    let request = api::request(&server.schema, request, grants);
    let response = match tokio::time::timeout(server.timeout, server.schema.execute(request)).await {
        Ok(response) => api::explain_limits(response, &server.limits),
        Err(_) => {
            let message =
                format!("request took longer than {} ms (server.request_timeout_ms)", server.timeout.as_millis());
            async_graphql::Response::from_errors(vec![ServerError::new(message, None)])
        }
    };
    server.metrics.request(&operation, response.errors.is_empty(), started.elapsed());
    Json(response).into_response()
}

async fn graphiql() -> Html<String> {
    Html(async_graphql::http::GraphiQLSource::build().endpoint("/graphql").title("SPoT GraphQL").finish())
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

async fn metrics_text(State(server): State<Arc<Server>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], server.metrics.render()).into_response()
}
