//! What waits to be sent to one socket, bounded in bytes. Operations push
//! their messages here and never wait; one writer task sends them in order.
//! A client that reads slower than its subscriptions produce fills the
//! outbox, and is then closed rather than buffered without end.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use tokio::sync::mpsc;

use super::protocol::Close;

enum Outgoing {
    Text(String),
    Close(Close),
}

/// The sending half, cheap to clone into every operation of the socket.
#[derive(Clone)]
pub struct Outbox {
    sender: mpsc::UnboundedSender<Outgoing>,
    /// Bytes pushed and not yet written to the socket.
    queued: Arc<AtomicUsize>,
    /// Set once the socket is closing: what is still queued is dropped.
    closing: Arc<AtomicBool>,
    limit: usize,
}

/// The outbox is over its limit, or the socket is gone.
#[derive(Debug, PartialEq, Eq)]
pub struct Full;

impl Outbox {
    /// An outbox of at most `limit` bytes, and the task that writes it to `sink`.
    pub fn start(sink: SplitSink<WebSocket, Message>, limit: usize) -> (Outbox, tokio::task::JoinHandle<()>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let outbox = Outbox { sender, queued: Arc::default(), closing: Arc::default(), limit };
        let writer = tokio::spawn(write(sink, receiver, outbox.queued.clone(), outbox.closing.clone()));
        (outbox, writer)
    }

    /// Queues `text`, unless that takes the outbox past its limit. A message
    /// into an empty outbox is always taken, whatever its size: a client
    /// that keeps up gets a large answer as over HTTP.
    pub fn push(&self, text: String) -> Result<(), Full> {
        let size = text.len();
        let before = self.queued.fetch_add(size, Ordering::SeqCst);
        if before > 0 && before + size > self.limit {
            self.queued.fetch_sub(size, Ordering::SeqCst);
            return Err(Full);
        }
        self.sender.send(Outgoing::Text(text)).map_err(|_| Full)
    }

    /// Drops what is still queued and sends `close` next.
    pub fn close(&self, close: Close) {
        self.closing.store(true, Ordering::SeqCst);
        let _ = self.sender.send(Outgoing::Close(close));
    }

    pub fn limit(&self) -> usize {
        self.limit
    }
}

async fn write(
    mut sink: SplitSink<WebSocket, Message>,
    mut receiver: mpsc::UnboundedReceiver<Outgoing>,
    queued: Arc<AtomicUsize>,
    closing: Arc<AtomicBool>,
) {
    while let Some(outgoing) = receiver.recv().await {
        match outgoing {
            Outgoing::Text(text) => {
                let size = text.len();
                if !closing.load(Ordering::SeqCst) && sink.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
                queued.fetch_sub(size, Ordering::SeqCst);
            }
            Outgoing::Close(close) => {
                let frame = CloseFrame { code: close.code, reason: close.reason.into() };
                let _ = sink.send(Message::Close(Some(frame))).await;
                return;
            }
        }
    }
}
