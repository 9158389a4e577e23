//! `GET /graphql/ws`: the GraphQL subscriptions over WebSocket (the
//! `graphql-transport-ws` protocol and the older `graphql-ws`), with the
//! same tokens and scopes as `POST /graphql`. A client that can set headers
//! sends `Authorization: Bearer <token>` with the upgrade; a browser, which
//! cannot, sends `{"Authorization": "Bearer <token>"}` as the payload of
//! its `connection_init`.

use std::sync::Arc;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{rejection, Server};
use crate::api::{Entities, Grants};

pub async fn upgrade(
    State(server): State<Arc<Server>>,
    protocol: GraphQLProtocol,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // A header that is there must be right; without one, the
    // connection_init payload is asked.
    let granted = match headers.get(header::AUTHORIZATION) {
        Some(_) => match server.authenticate(&headers) {
            Ok(grants) => Some(grants),
            Err(message) => return rejection(StatusCode::UNAUTHORIZED, message, "UNAUTHENTICATED"),
        },
        None => None,
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let schema = server.schema.clone();
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload: Value| async move {
                    let grants = match granted {
                        Some(grants) => grants,
                        None => grants_of(&server, &payload).map_err(async_graphql::Error::new)?,
                    };
                    let mut data = async_graphql::Data::default();
                    data.insert(grants);
                    data.insert(Entities::new(server.store.clone()));
                    Ok(data)
                })
                .serve()
        })
        .into_response()
}

/// The grants of the token in a `connection_init` payload.
fn grants_of(server: &Server, payload: &Value) -> Result<Grants, String> {
    let token = ["Authorization", "authorization"].iter().find_map(|name| payload.get(*name)).and_then(Value::as_str);
    server.tokens.authenticate(token)
}
