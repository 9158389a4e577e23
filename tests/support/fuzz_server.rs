//! A server for the fuzz tests: `spot serve`'s own server over a SQLite
//! store on loopback, on a runtime of its own (proptest's cases are plain
//! functions), with one WebSocket kept open, so each case can also be sent
//! the way a subscriber sends it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use spot::config::Config;
use spot::server::Server;
use spot::SqliteStore;

use super::socket::{open, Heard, Socket};

pub struct FuzzServer {
    pub runtime: tokio::runtime::Runtime,
    pub url: String,
    /// The store's file, for an in-process reader beside the server.
    pub db: std::path::PathBuf,
    socket: tokio::sync::Mutex<Socket>,
    ids: AtomicU64,
    _dir: tempfile::TempDir,
}

/// What the socket said of one operation.
#[derive(Debug)]
pub enum Said {
    /// Its responses' errors (none when it succeeded) and the refusals of
    /// an `error` message.
    Errors(Vec<Value>),
    /// The socket was closed: code and reason.
    Closed(u16, String),
}

impl FuzzServer {
    /// Serves a store that `seed` fills, token-less on loopback.
    pub fn start(seed: impl FnOnce(&SqliteStore, &tokio::runtime::Runtime)) -> FuzzServer {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("spot.db");
        let store = SqliteStore::open(&db).unwrap();
        seed(&store, &runtime);
        let (url, socket) = runtime.block_on(async {
            let server = Server::new(&Config::default(), Arc::new(store)).expect("the default config serves");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(server.serve_on(listener, std::future::pending()));
            let mut socket = open(&url, "graphql-transport-ws", None).await.expect("the upgrade is accepted");
            socket.init(json!({})).await;
            (url, socket)
        });
        FuzzServer { runtime, url, db, socket: tokio::sync::Mutex::new(socket), ids: AtomicU64::new(0), _dir: dir }
    }

    /// Runs one operation over the kept socket, reading until its
    /// `complete` or `error`; a socket the server closed is opened anew for
    /// the next case.
    pub fn over_socket(&self, query: &str, variables: &Value, within: Duration) -> Said {
        let id = self.ids.fetch_add(1, Ordering::Relaxed).to_string();
        self.runtime.block_on(async {
            let mut socket = self.socket.lock().await;
            let subscribe =
                json!({ "type": "subscribe", "id": id, "payload": { "query": query, "variables": variables } });
            socket.send(subscribe).await;
            let mut errors = Vec::new();
            let said = tokio::time::timeout(within, async {
                loop {
                    match socket.hear().await {
                        Heard::Message(message) if message["id"] != id.as_str() => {}
                        Heard::Message(message) => match message["type"].as_str() {
                            Some("next") => {
                                errors.extend(message["payload"]["errors"].as_array().cloned().unwrap_or_default())
                            }
                            Some("error") => {
                                return Said::Errors(message["payload"].as_array().cloned().unwrap_or_default())
                            }
                            Some("complete") => return Said::Errors(std::mem::take(&mut errors)),
                            _ => panic!("an unexpected message: {message}"),
                        },
                        Heard::Closed(code, reason) => return Said::Closed(code, reason),
                        Heard::Ended => return Said::Closed(1006, String::new()),
                    }
                }
            })
            .await
            .unwrap_or_else(|_| panic!("no answer over the socket within {within:?}"));
            if let Said::Closed(..) = said {
                *socket = self.fresh_socket().await;
            }
            said
        })
    }

    /// Sends `text` as a message on a socket of its own; returns how the
    /// socket was closed, if it was.
    pub fn raw_message(&self, text: String) -> Option<(u16, String)> {
        self.runtime.block_on(async {
            let mut socket = open(&self.url, "graphql-transport-ws", None).await.expect("the upgrade is accepted");
            socket.send_text(text).await;
            // A message that happens to be valid gets an answer, or none.
            socket.send(json!({ "type": "ping" })).await;
            loop {
                match socket.hear().await {
                    Heard::Message(message) if message["type"] == "pong" => return None,
                    Heard::Message(_) => continue,
                    Heard::Closed(code, reason) => return Some((code, reason)),
                    Heard::Ended => return Some((1006, String::new())),
                }
            }
        })
    }

    async fn fresh_socket(&self) -> Socket {
        let mut socket = open(&self.url, "graphql-transport-ws", None).await.expect("the upgrade is accepted");
        socket.init(json!({})).await;
        socket
    }
}
