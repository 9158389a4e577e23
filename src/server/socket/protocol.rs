//! The two GraphQL-over-WebSocket protocols SPoT speaks, as messages:
//! `graphql-transport-ws` (the graphql-ws library's protocol) and the older
//! `graphql-ws` (Apollo's subscriptions-transport-ws). Only the names of the
//! messages differ between them for what SPoT uses.

use async_graphql::{Response, ServerError};
use serde::Deserialize;
use serde_json::{json, Value};

use collectors::untrusted::one_line;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws`.
    Transport,
    /// `graphql-ws`, the older protocol.
    Legacy,
}

impl Protocol {
    /// As offered in `Sec-WebSocket-Protocol`, the newer first.
    pub const NAMES: [&'static str; 2] = ["graphql-transport-ws", "graphql-ws"];

    /// The protocol a subprotocol name means; a client that names none is
    /// taken to speak the newer one.
    pub fn named(name: Option<&str>) -> Protocol {
        match name {
            Some(name) if name.eq_ignore_ascii_case("graphql-ws") => Protocol::Legacy,
            _ => Protocol::Transport,
        }
    }
}

/// What a client may send.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    #[serde(alias = "start")]
    Subscribe {
        id: String,
        payload: Box<async_graphql::Request>,
    },
    #[serde(alias = "stop")]
    Complete {
        id: String,
    },
    Ping {
        #[serde(default)]
        payload: Option<Value>,
    },
    Pong {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    ConnectionTerminate,
}

/// Longest operation id taken: ids are the client's names for its own
/// operations, and every message about one repeats it.
pub const LONGEST_ID: usize = 128;

impl ClientMessage {
    /// A message, or why it is not one (quoting no more than a bounded part).
    pub fn parse(bytes: &[u8]) -> Result<ClientMessage, String> {
        let message: ClientMessage = serde_json::from_slice(bytes)
            .map_err(|e| format!("not a protocol message: {}", one_line(&e.to_string())))?;
        match &message {
            ClientMessage::Subscribe { id, .. } | ClientMessage::Complete { id } if id.len() > LONGEST_ID => {
                Err(format!("an operation id is longer than {LONGEST_ID} bytes"))
            }
            _ => Ok(message),
        }
    }
}

/// Close codes, as graphql-transport-ws defines them (and 1001, 1008 and
/// 1009 from the WebSocket protocol itself).
pub mod close {
    pub const GOING_AWAY: u16 = 1001;
    pub const POLICY: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
    pub const BAD_MESSAGE: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY_INITS: u16 = 4429;
}

/// The word `spot_websocket_closes_total` counts a close under.
pub fn reason_label(close: Option<&Close>) -> &'static str {
    match close.map(|close| close.code) {
        None | Some(1000) => "client",
        Some(close::GOING_AWAY) => "shutdown",
        Some(close::POLICY) => "slow_reader",
        Some(close::TOO_BIG) => "too_big",
        Some(close::BAD_MESSAGE) => "bad_message",
        Some(close::UNAUTHORIZED) => "unauthorized",
        Some(close::FORBIDDEN) => "forbidden",
        Some(close::INIT_TIMEOUT) => "init_timeout",
        Some(close::DUPLICATE_ID) => "duplicate_id",
        Some(close::TOO_MANY_INITS) => "too_many_inits",
        Some(_) => "other",
    }
}

/// Why a socket is closed: a code and a reason of at most 123 bytes (the
/// most a close frame carries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: String,
}

impl Close {
    pub fn new(code: u16, reason: impl Into<String>) -> Close {
        let mut reason = reason.into();
        if reason.len() > 123 {
            let mut end = 120;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.truncate(end);
            reason.push_str("...");
        }
        Close { code, reason }
    }
}

/// What the server sends, in the words of `protocol`.
#[derive(Clone, Copy)]
pub struct Messages(pub Protocol);

impl Messages {
    pub fn ack(&self) -> String {
        json!({ "type": "connection_ack" }).to_string()
    }

    pub fn pong(&self, payload: Option<Value>) -> String {
        match payload {
            Some(payload) => json!({ "type": "pong", "payload": payload }).to_string(),
            None => json!({ "type": "pong" }).to_string(),
        }
    }

    /// One response of an operation.
    pub fn next(&self, id: &str, response: &Response) -> String {
        let kind = match self.0 {
            Protocol::Transport => "next",
            Protocol::Legacy => "data",
        };
        json!({ "type": kind, "id": id, "payload": response }).to_string()
    }

    /// An operation refused before it ran; no `complete` follows.
    pub fn error(&self, id: &str, errors: &[ServerError]) -> String {
        json!({ "type": "error", "id": id, "payload": errors }).to_string()
    }

    pub fn complete(&self, id: &str) -> String {
        json!({ "type": "complete", "id": id }).to_string()
    }

    /// The older protocol says why it refuses a connection in a message
    /// before closing; the newer one in the close frame alone.
    pub fn connection_error(&self, message: &str) -> Option<String> {
        (self.0 == Protocol::Legacy)
            .then(|| json!({ "type": "connection_error", "payload": { "message": message } }).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_protocols_messages_are_read() {
        let subscribe = br#"{"type":"subscribe","id":"1","payload":{"query":"{ latestDay }"}}"#;
        assert!(matches!(ClientMessage::parse(subscribe), Ok(ClientMessage::Subscribe { id, .. }) if id == "1"));
        let start = br#"{"type":"start","id":"2","payload":{"query":"{ latestDay }"}}"#;
        assert!(matches!(ClientMessage::parse(start), Ok(ClientMessage::Subscribe { id, .. }) if id == "2"));
        assert!(matches!(ClientMessage::parse(br#"{"type":"stop","id":"2"}"#), Ok(ClientMessage::Complete { .. })));
        assert!(matches!(
            ClientMessage::parse(br#"{"type":"connection_init"}"#),
            Ok(ClientMessage::ConnectionInit { payload: None })
        ));
    }

    #[test]
    fn a_bad_message_is_named_with_a_bounded_quote() {
        let hostile = format!(r#"{{"type":"{}\n"}}"#, "x".repeat(10_000));
        let error = ClientMessage::parse(hostile.as_bytes()).unwrap_err();
        assert!(error.starts_with("not a protocol message: "), "{error}");
        assert!(error.len() < 1_000 && !error.contains('\n'), "{} bytes: {error}", error.len());
        let long_id = format!(r#"{{"type":"complete","id":"{}"}}"#, "i".repeat(LONGEST_ID + 1));
        assert_eq!(ClientMessage::parse(long_id.as_bytes()).unwrap_err(), "an operation id is longer than 128 bytes");
    }

    #[test]
    fn a_close_reason_fits_a_close_frame() {
        let close = Close::new(close::BAD_MESSAGE, "é".repeat(200));
        assert!(close.reason.len() <= 123, "{}", close.reason.len());
        assert!(close.reason.ends_with("..."));
    }
}
