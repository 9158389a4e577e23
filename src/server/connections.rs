//! Accepting connections, with the bounds axum's own `serve` leaves out: a
//! most number of open connections, and a time within which a client must
//! send a request's headers. The header timeout also closes keep-alive
//! connections left idle (hyper starts it whenever it waits for the next
//! request), so stalled or forgotten clients cannot hold connections.
//! In-flight requests finish when the server is asked to stop.
//!
//! Every request carries its connection's [`ConnectionSlot`]: a WebSocket
//! that outlives its upgrade request keeps the slot, so it still counts
//! against `max_connections`, and hears when the server stops.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

/// One connection's place among `max_connections`: it is given back when
/// the connection and whatever took it over (an upgraded socket) are gone.
#[derive(Clone)]
pub struct ConnectionSlot {
    _permit: Arc<OwnedSemaphorePermit>,
    /// Turns true when the server stops: a socket closes then.
    pub shutting_down: tokio::sync::watch::Receiver<bool>,
}

/// How many connections the server holds, and for how long a silent one.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections beyond this wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// A connection that has not sent a whole request head within this
    /// time (new, or idle between requests) is closed.
    pub header_read_timeout: Duration,
}

/// Serves `router` on `listener` until `stop` resolves, then lets every
/// open connection finish its request.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    stop: impl std::future::Future<Output = ()>,
) {
    let max_connections = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let permits = Arc::new(Semaphore::new(max_connections));
    // hyper-util's GracefulShutdown cannot watch a connection that may be
    // upgraded (the subscriptions' WebSockets), so each connection task
    // watches this signal itself, and the permits tell when all are done.
    let (shutdown, shutting_down) = tokio::sync::watch::channel(false);
    let mut stop = std::pin::pin!(stop);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before
                    // it was accepted: wait a moment rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        // HTTP/1 (as axum's default): hyper-util's auto-detection of
        // HTTP/2 waits for a first byte with no timeout, before hyper's
        // header timer starts, so a silent client would be held for good.
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
        let slot = ConnectionSlot { _permit: Arc::new(permit), shutting_down: shutting_down.clone() };
        let request_slot = slot.clone();
        let service = TowerToHyperService::new(router.clone().map_request(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(request_slot.clone());
                request
            },
        ));
        // Upgrades: the GraphQL subscriptions' WebSockets (`/graphql/ws`).
        let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
        let mut shutting_down = shutting_down.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                result = connection.as_mut() => Some(result),
                _ = shutting_down.wait_for(|stop| *stop) => None,
            };
            let result = match ended {
                Some(result) => result,
                None => {
                    // Finish the request in flight, then close.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    let _ = shutdown.send(true);
    // Every permit back: every connection has ended.
    let _ = permits.acquire_many(max_connections as u32).await;
}
