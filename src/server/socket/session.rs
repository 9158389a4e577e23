//! One socket's life: authenticate within the init deadline, then run
//! each operation the client subscribes to through the edge, at most
//! `server.websocket.max_operations` at once, each in a task of its own that
//! is aborted when the client completes it or the socket closes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::{mpsc, OwnedSemaphorePermit};

use super::outbox::{Full, Outbox};
use super::protocol::{close, ClientMessage, Close, Messages, Protocol};
use crate::api::{coded_error, Grants};
use crate::server::connections::ConnectionSlot;
use crate::server::edge::Edge;
use crate::server::Server;

/// How long a closing socket's last frame may take to leave: a client that
/// stopped reading never takes it.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Who is on the socket, once known.
enum Caller {
    /// Authenticated by the upgrade's header, or not yet at all; the
    /// permit is the socket's place among the unauthenticated ones.
    Waiting {
        granted: Option<Grants>,
        _unauthenticated: Option<OwnedSemaphorePermit>,
    },
    Ready(Grants),
}

/// What the socket's operations tell it.
enum Event {
    /// Operation `id` (its `generation`) has sent all it will.
    Finished { id: String, generation: u64 },
    /// The client does not read fast enough.
    Overflow,
}

/// A running operation's task, aborted when dropped.
struct Running {
    generation: u64,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub struct Session {
    server: Arc<Server>,
    messages: Messages,
    caller: Caller,
    outbox: Outbox,
    events: mpsc::UnboundedSender<Event>,
    operations: HashMap<String, Running>,
    generations: u64,
}

/// Serves one upgraded socket until either side closes it or the server
/// stops.
pub async fn run(
    server: Arc<Server>,
    socket: WebSocket,
    protocol: Protocol,
    granted: Option<Grants>,
    unauthenticated: Option<OwnedSemaphorePermit>,
    slot: Option<ConnectionSlot>,
) {
    let _open = server.metrics.socket_opened();
    let (sink, mut incoming) = socket.split();
    let (outbox, writer) = Outbox::start(sink, server.sockets.config.send_buffer_bytes);
    let (events, mut event_receiver) = mpsc::unbounded_channel();
    let init_timeout = Duration::from_millis(server.sockets.config.init_timeout_ms.max(1));
    let mut session = Session {
        messages: Messages(protocol),
        caller: Caller::Waiting { granted, _unauthenticated: unauthenticated },
        outbox,
        events,
        operations: HashMap::new(),
        generations: 0,
        server,
    };
    // Without a slot (a router served by other means) nothing stops it.
    let (_never, unstoppable) = tokio::sync::watch::channel(false);
    let mut shutting_down = slot.as_ref().map_or(unstoppable, |slot| slot.shutting_down.clone());
    let init_deadline = tokio::time::sleep(init_timeout);
    let mut init_deadline = std::pin::pin!(init_deadline);
    let ending: Option<Close> = loop {
        let ready = matches!(session.caller, Caller::Ready(_));
        tokio::select! {
            biased;
            _ = shutting_down.wait_for(|stop| *stop) => break Some(Close::new(close::GOING_AWAY, "the server is stopping")),
            Some(event) = event_receiver.recv() => match event {
                Event::Finished { id, generation } => session.finished(&id, generation),
                Event::Overflow => break Some(session.overflow()),
            },
            () = &mut init_deadline, if !ready => break Some(Close::new(
                close::INIT_TIMEOUT,
                format!("no connection_init within {} ms (server.websocket.init_timeout_ms)", init_timeout.as_millis()),
            )),
            message = incoming.next() => match message {
                None | Some(Ok(Message::Close(_))) => break None,
                Some(Err(error)) => break session.unreadable(&error),
                Some(Ok(Message::Text(text))) => if let Some(close) = session.receive(text.as_bytes()) { break Some(close) },
                Some(Ok(Message::Binary(bytes))) => if let Some(close) = session.receive(&bytes) { break Some(close) },
                // Pings are answered by the WebSocket layer itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            },
        }
    };
    // Every operation stops with the socket.
    session.operations.clear();
    session.server.metrics.socket_closed(super::protocol::reason_label(ending.as_ref()));
    if let Some(close) = ending {
        tracing::debug!(code = close.code, reason = %close.reason, "closing a WebSocket");
        session.outbox.close(close);
    }
    drop(session);
    let mut writer = writer;
    if tokio::time::timeout(CLOSE_GRACE, &mut writer).await.is_err() {
        writer.abort();
    }
    // The socket's halves are dropped here: the connection closes, and
    // with it the slot goes back.
    drop(slot);
}

impl Session {
    /// Handles one message from the client; `Some` closes the socket.
    fn receive(&mut self, bytes: &[u8]) -> Option<Close> {
        let message = match ClientMessage::parse(bytes) {
            Ok(message) => message,
            Err(why) => return Some(Close::new(close::BAD_MESSAGE, why)),
        };
        match message {
            ClientMessage::ConnectionInit { payload } => self.init(payload),
            ClientMessage::Subscribe { id, payload } => self.subscribe(id, *payload),
            ClientMessage::Complete { id } => {
                self.operations.remove(&id);
                None
            }
            ClientMessage::Ping { payload } => self.send(self.messages.pong(payload)),
            ClientMessage::Pong { .. } => None,
            ClientMessage::ConnectionTerminate => Some(Close::new(1000, "terminated by the client")),
        }
    }

    fn init(&mut self, payload: Option<Value>) -> Option<Close> {
        let granted = match &mut self.caller {
            Caller::Ready(_) => return Some(Close::new(close::TOO_MANY_INITS, "Too many initialisation requests")),
            Caller::Waiting { granted, .. } => granted.take(),
        };
        let grants = match granted {
            Some(grants) => grants,
            None => match self.grants_of(payload.as_ref()) {
                Ok(grants) => grants,
                Err(why) => {
                    if let Some(message) = self.messages.connection_error(&why) {
                        let _ = self.outbox.push(message);
                    }
                    return Some(Close::new(close::FORBIDDEN, format!("Forbidden: {why}")));
                }
            },
        };
        // Authenticated: its place among the waiting ones is given back.
        self.caller = Caller::Ready(grants);
        self.send(self.messages.ack())
    }

    /// The grants of the token in a `connection_init` payload.
    fn grants_of(&self, payload: Option<&Value>) -> Result<Grants, String> {
        let token = payload
            .and_then(|payload| ["Authorization", "authorization"].iter().find_map(|name| payload.get(*name)))
            .and_then(Value::as_str);
        self.server.tokens.authenticate(token)
    }

    fn subscribe(&mut self, id: String, request: async_graphql::Request) -> Option<Close> {
        let Caller::Ready(grants) = &self.caller else {
            return Some(Close::new(close::UNAUTHORIZED, "Unauthorized: send connection_init first"));
        };
        if let Some(running) = self.operations.get(&id) {
            if !running.task.is_finished() {
                return Some(Close::new(close::DUPLICATE_ID, format!("Subscriber for {id} already exists")));
            }
        }
        let most = self.server.sockets.config.max_operations;
        if self.operations.len() >= most {
            let error = coded_error(
                format!("this socket already runs {most} operations (server.websocket.max_operations)"),
                None,
                "TOO_MANY_OPERATIONS",
            );
            return self.send(self.messages.error(&id, &[error]));
        }
        let edge = &self.server.edge;
        let deadline = tokio::time::Instant::now() + edge.timeout();
        let operation = match edge.prepare(request, grants.clone(), deadline) {
            Ok(operation) => operation,
            Err(error) => return self.send(self.messages.error(&id, &[error])),
        };
        self.generations += 1;
        let generation = self.generations;
        let answer = Answer {
            edge: edge.clone(),
            id: id.clone(),
            generation,
            messages: self.messages,
            outbox: self.outbox.clone(),
            events: self.events.clone(),
        };
        let task = tokio::spawn(answer.run(operation));
        self.operations.insert(id, Running { generation, task });
        None
    }

    fn finished(&mut self, id: &str, generation: u64) {
        if self.operations.get(id).is_some_and(|running| running.generation == generation) {
            self.operations.remove(id);
        }
    }

    /// Queues a message for the client; a full outbox closes the socket.
    fn send(&self, message: String) -> Option<Close> {
        self.outbox.push(message).err().map(|Full| self.overflow())
    }

    fn overflow(&self) -> Close {
        tracing::warn!(limit = self.outbox.limit(), "closing a WebSocket whose client reads too slowly");
        Close::new(
            close::POLICY,
            format!("over {} bytes waiting to be sent (server.websocket.send_buffer_bytes)", self.outbox.limit()),
        )
    }

    /// The socket could not be read: a message over the size limit is
    /// told so; anything else means the client is gone.
    fn unreadable(&self, error: &axum::Error) -> Option<Close> {
        let capacity = std::error::Error::source(error)
            .and_then(|e| e.downcast_ref::<tungstenite::Error>())
            .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)));
        capacity.then(|| {
            Close::new(
                close::TOO_BIG,
                format!(
                    "a message is larger than {} bytes (server.body_limit_bytes)",
                    self.server.sockets.message_limit
                ),
            )
        })
    }
}

/// One operation's answer: its responses sent as they come, then a
/// `complete`.
struct Answer {
    edge: Arc<Edge>,
    id: String,
    generation: u64,
    messages: Messages,
    outbox: Outbox,
    events: mpsc::UnboundedSender<Event>,
}

impl Answer {
    async fn run(self, operation: crate::server::edge::Operation) {
        if operation.is_subscription() {
            let mut responses = self.edge.stream(operation);
            while let Some(response) = responses.next().await {
                if !self.send(self.messages.next(&self.id, &response)) {
                    return;
                }
            }
        } else {
            let response = self.edge.run(operation).await;
            if !self.send(self.messages.next(&self.id, &response)) {
                return;
            }
        }
        // The session frees the id before the client can hear `complete`
        // and reuse it.
        let _ = self.events.send(Event::Finished { id: self.id.clone(), generation: self.generation });
        self.send(self.messages.complete(&self.id));
    }

    /// Queues a message; a full outbox tells the session, which closes the
    /// socket.
    fn send(&self, message: String) -> bool {
        let sent = self.outbox.push(message).is_ok();
        if !sent {
            let _ = self.events.send(Event::Overflow);
        }
        sent
    }
}
