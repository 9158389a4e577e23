//! Accepting connections, with the bounds axum's own `serve` leaves out: a
//! most number of open connections, and a time within which a client must
//! send a request's headers. The header timeout also closes keep-alive
//! connections left idle (hyper starts it whenever it waits for the next
//! request), so stalled or forgotten clients cannot hold connections.
//! In-flight requests finish when the server is asked to stop.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

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
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
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
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
