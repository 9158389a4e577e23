//! A GraphQL-over-WebSocket client for tests: opens `/graphql/ws` on a
//! server on loopback and reads what comes back, a message or a close.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

pub type Stream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What the server said next.
#[derive(Debug)]
pub enum Heard {
    Message(Value),
    /// A close frame: its code and reason.
    Closed(u16, String),
    /// The connection ended without a close frame.
    Ended,
}

impl Heard {
    /// The message, which must be one.
    pub fn message(self) -> Value {
        match self {
            Heard::Message(value) => value,
            other => panic!("expected a message, heard {other:?}"),
        }
    }
}

pub struct Socket(pub Stream);

/// Opens `/graphql/ws` of the server at `url` (`http://…`) speaking
/// `protocol`, with `token` in the upgrade's Authorization header; the
/// upgrade's error when it is refused (its status is in the text).
pub async fn open(url: &str, protocol: &str, token: Option<&str>) -> Result<Socket, String> {
    let mut request = format!("{}/graphql/ws", url.replace("http://", "ws://")).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", protocol.parse().unwrap());
    if let Some(token) = token {
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((stream, _)) => Ok(Socket(stream)),
        Err(error) => Err(error.to_string()),
    }
}

impl Socket {
    pub async fn send(&mut self, message: Value) {
        self.send_text(message.to_string()).await;
    }

    pub async fn send_text(&mut self, text: String) {
        // The server may have closed already; what it said is read next.
        let _ = self.0.send(Message::text(text)).await;
    }

    /// Sends `connection_init` with `payload` and expects its ack.
    pub async fn init(&mut self, payload: Value) {
        self.send(json!({ "type": "connection_init", "payload": payload })).await;
        let ack = self.hear().await.message();
        assert_eq!(ack["type"], "connection_ack", "{ack}");
    }

    /// Starts operation `id` (graphql-transport-ws words).
    pub async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({ "type": "subscribe", "id": id, "payload": { "query": query } })).await;
    }

    /// What the server says next, within 30 s.
    pub async fn hear(&mut self) -> Heard {
        loop {
            let next =
                tokio::time::timeout(Duration::from_secs(30), self.0.next()).await.expect("an answer within 30 s");
            match next {
                None | Some(Err(_)) => return Heard::Ended,
                Some(Ok(Message::Text(text))) => return Heard::Message(serde_json::from_str(&text).unwrap()),
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) = frame
                        .map_or((1005, String::new()), |CloseFrame { code, reason }| (code.into(), reason.to_string()));
                    return Heard::Closed(code, reason);
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Reads past any messages to how the socket ends.
    pub async fn hear_the_end(&mut self) -> Heard {
        loop {
            match self.hear().await {
                Heard::Message(_) => continue,
                end => return end,
            }
        }
    }

    /// The one answer of query operation `id`: its `next` payload, then
    /// its `complete`.
    pub async fn answer(&mut self, id: &str, query: &str) -> Value {
        self.subscribe(id, query).await;
        let next = self.hear().await.message();
        assert_eq!((next["type"].as_str(), next["id"].as_str()), (Some("next"), Some(id)), "{next}");
        let complete = self.hear().await.message();
        assert_eq!(complete, json!({ "type": "complete", "id": id }));
        next["payload"].clone()
    }
}
