//! `GET /graphql/ws`: GraphQL over WebSocket (`graphql-transport-ws`, and
//! the older `graphql-ws`), through the same edge as `POST /graphql`
//! (`server/edge.rs`) and with the same tokens and scopes. A client that can
//! set headers sends `Authorization: Bearer <token>` with the upgrade; a
//! browser, which cannot, sends `{"Authorization": "Bearer <token>"}` as the
//! payload of its `connection_init`.
//!
//! What a socket may hold, all in `[server.websocket]` (docs/security.md):
//! a message as large as a request body, no more, refused before it is
//! parsed; `init_timeout_ms` to authenticate; `max_unauthenticated` sockets
//! waiting to authenticate at once; `max_operations` per socket; and
//! `send_buffer_bytes` waiting for a slow reader. Each socket keeps its
//! connection's place in `server.max_connections` while it is open.

mod outbox;
pub mod protocol;
mod session;

use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;
use tokio::sync::Semaphore;

use super::connections::ConnectionSlot;
use super::{rejection, Server};
use crate::config::WebSocketConfig;
use protocol::Protocol;

/// `[server.websocket]`, and the places of sockets still waiting to
/// authenticate.
pub struct Sockets {
    config: WebSocketConfig,
    /// The largest message taken: `server.body_limit_bytes`.
    message_limit: usize,
    unauthenticated: Arc<Semaphore>,
}

impl Sockets {
    pub fn new(config: WebSocketConfig, message_limit: usize) -> Sockets {
        let places = config.max_unauthenticated.min(Semaphore::MAX_PERMITS);
        Sockets { unauthenticated: Arc::new(Semaphore::new(places)), config, message_limit }
    }
}

pub async fn upgrade(
    State(server): State<Arc<Server>>,
    slot: Option<Extension<ConnectionSlot>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // A header that is there must be right; without one, the socket must
    // authenticate with its connection_init, and waits in one of the few
    // places kept for that.
    let (granted, unauthenticated) = match headers.get(header::AUTHORIZATION) {
        Some(_) => match server.authenticate(&headers) {
            Ok(grants) => (Some(grants), None),
            Err(message) => return rejection(StatusCode::UNAUTHORIZED, message, "UNAUTHENTICATED"),
        },
        None => match server.sockets.unauthenticated.clone().try_acquire_owned() {
            Ok(place) => (None, Some(place)),
            Err(_) => {
                let message = format!(
                    "{} WebSocket connections are already waiting to authenticate \
                     (server.websocket.max_unauthenticated); send Authorization with the upgrade, or retry",
                    server.sockets.config.max_unauthenticated
                );
                return rejection(StatusCode::SERVICE_UNAVAILABLE, message, "TOO_MANY_CONNECTIONS");
            }
        },
    };
    let limit = server.sockets.message_limit;
    let upgrade = upgrade.protocols(Protocol::NAMES).max_message_size(limit).max_frame_size(limit);
    let protocol = Protocol::named(upgrade.selected_protocol().and_then(|name| name.to_str().ok()));
    let slot = slot.map(|Extension(slot)| slot);
    upgrade.on_upgrade(move |socket| session::run(server, socket, protocol, granted, unauthenticated, slot))
}
