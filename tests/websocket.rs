//! Hostile input at the WebSocket edge (`/graphql/ws`): each test is one
//! finding of the second adversarial pass (issue "Hardening, round two"),
//! over a real socket to a real server on loopback with its own accept
//! loop, as `spot serve` runs it. A socket passes the same edge as
//! `POST /graphql` (expansion bound, deadline, bounded and coded errors,
//! one entity cache per operation), and holds only what
//! `[server.websocket]` lets it.

#[path = "conformance/builder.rs"]
#[allow(dead_code)]
mod builder;
#[path = "support/graphql.rs"]
#[allow(dead_code)]
mod graphql;
#[path = "support/socket.rs"]
mod socket;

use std::sync::Arc;
use std::time::Duration;

use builder::obs;
use serde_json::{json, Value};
use socket::{open, Heard, Socket};
use spot::api::auth::{Scope, TokenConfig};
use spot::config::Config;
use spot::server::Server;
use spot::SqliteStore;

struct Running {
    url: String,
    address: std::net::SocketAddr,
    db: std::path::PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

const READER: &str = "reader-token-0123456789";

async fn start(configure: impl FnOnce(&mut Config)) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("spot.db");
    let store = SqliteStore::open(&db).unwrap();
    obs("github", "acme", 1)
        .entity("team:payments", json!({}))
        .entity("service:billing", json!({"tier": 1}))
        .relation("team:payments", "owns", "service:billing", json!({}))
        .into(&store)
        .await;
    let mut config = Config::default();
    configure(&mut config);
    let server = Server::new(&config, Arc::new(store)).expect("a valid server config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(server.serve_on(listener, async move {
        let _ = stopped.await;
    }));
    Running { url: format!("http://{address}"), address, db, stop: Some(stop), served, _dir: dir }
}

/// A server that knows the reader's token.
fn with_tokens(config: &mut Config) {
    std::env::set_var("SPOT_WEBSOCKET_READER", READER);
    config.auth.tokens = vec![TokenConfig {
        name: "reader".into(),
        scopes: vec![Scope::Read],
        token_env: Some("SPOT_WEBSOCKET_READER".into()),
        token_file: None,
    }];
}

impl Running {
    /// A socket authenticated by its connection_init, acknowledged.
    async fn socket(&self) -> Socket {
        let mut socket = open(&self.url, "graphql-transport-ws", None).await.expect("the upgrade is accepted");
        socket.init(json!({ "Authorization": format!("Bearer {READER}") })).await;
        socket
    }

    async fn wait_for_metric(&self, line: &str) {
        graphql::wait_for_metric(&reqwest::Client::new(), &self.url, line).await;
    }
}

/// Fragments f0..f(k-1) each spread the next one twice: 2ᵏ fields expanded.
fn fragment_bomb(k: usize) -> String {
    let mut query = String::from("query{...f0} ");
    for i in 0..k {
        query.push_str(&format!("fragment f{i} on Query{{...f{} ...f{}}} ", i + 1, i + 1));
    }
    query + &format!("fragment f{k} on Query{{latestDay}}")
}

fn code(error: &Value) -> &str {
    error["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no code in {error}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragment_bomb_over_a_socket_is_refused_before_validation() {
    let server = start(|_| {}).await;
    let mut socket = server.socket().await;
    socket.subscribe("bomb", &fragment_bomb(30)).await;
    let refused = socket.hear().await.message();
    assert_eq!((refused["type"].as_str(), refused["id"].as_str()), (Some("error"), Some("bomb")), "{refused}");
    assert_eq!(refused["payload"][0]["message"], "query is more complex than 5000 (limits.complexity)");
    assert_eq!(code(&refused["payload"][0]), "QUERY_TOO_COMPLEX");
    // The socket goes on answering.
    let answer = socket.answer("next", "{ latestDay }").await;
    assert!(answer["data"]["latestDay"].is_string(), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_over_a_socket_stops_at_the_request_timeout() {
    let server = start(|c| c.server.request_timeout_ms = 1).await;
    let mut socket = server.socket().await;
    let slow = "{ trend(kind: \"service\", attribute: \"tier\", from: \"2025-01-01\", to: \"2026-01-01\", bucket: DAY) { value } }";
    let answer = socket.answer("slow", slow).await;
    assert_eq!(answer["errors"][0]["message"], "request took longer than 1 ms (server.request_timeout_ms)");
    assert_eq!(code(&answer["errors"][0]), "TIMEOUT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_over_a_socket_are_bounded_and_coded() {
    let server = start(|_| {}).await;
    let mut socket = server.socket().await;
    let broken = format!("{{ latestDay {} (", "x ".repeat(200_000));
    socket.subscribe("broken", &broken).await;
    let refused = socket.hear().await.message();
    let message = refused["payload"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("query does not parse at line 1, column "), "{message}");
    assert!(refused.to_string().len() < 1_000, "{} bytes", refused.to_string().len());
    assert_eq!(code(&refused["payload"][0]), "GRAPHQL_PARSE_FAILED");
    let invalid = socket.answer("invalid", "{ latestDay(at: \"2020-01-01\") nothing }").await;
    assert_eq!(code(&invalid["errors"][0]), "GRAPHQL_VALIDATION_FAILED", "{invalid}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_larger_than_a_request_body_is_refused_unread() {
    let server = start(|c| {
        with_tokens(c);
        c.server.body_limit_bytes = 64 * 1024;
    })
    .await;
    let mut socket = open(&server.url, "graphql-transport-ws", None).await.unwrap();
    let huge = json!({ "type": "connection_init", "payload": { "padding": "x".repeat(1 << 20) } });
    socket.send(huge).await;
    match socket.hear().await {
        Heard::Closed(code, reason) => {
            assert_eq!(code, 1009);
            assert_eq!(reason, "a message is larger than 65536 bytes (server.body_limit_bytes)");
        }
        other => panic!("expected a close, heard {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_never_authenticates_is_closed_at_the_init_deadline() {
    let server = start(|c| {
        with_tokens(c);
        c.server.websocket.init_timeout_ms = 300;
    })
    .await;
    let mut silent = open(&server.url, "graphql-transport-ws", None).await.unwrap();
    match silent.hear().await {
        Heard::Closed(code, reason) => {
            assert_eq!(code, 4408);
            assert_eq!(reason, "no connection_init within 300 ms (server.websocket.init_timeout_ms)");
        }
        other => panic!("expected a close, heard {other:?}"),
    }
    // A wrong token in connection_init: closed as forbidden.
    let mut wrong = open(&server.url, "graphql-transport-ws", None).await.unwrap();
    wrong.send(json!({ "type": "connection_init", "payload": { "Authorization": "Bearer nope" } })).await;
    assert!(matches!(wrong.hear().await, Heard::Closed(4403, reason) if reason == "Forbidden: unknown bearer token"));
    // An operation before connection_init: closed as unauthorized.
    let mut eager = open(&server.url, "graphql-transport-ws", None).await.unwrap();
    eager.subscribe("1", "{ latestDay }").await;
    assert!(matches!(eager.hear().await, Heard::Closed(4401, _)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_waiting_to_authenticate_are_few_and_callers_with_tokens_are_still_served() {
    let server = start(|c| {
        with_tokens(c);
        c.server.websocket.max_unauthenticated = 2;
    })
    .await;
    let _waiting = [
        open(&server.url, "graphql-transport-ws", None).await.unwrap(),
        open(&server.url, "graphql-transport-ws", None).await.unwrap(),
    ];
    let refused = open(&server.url, "graphql-transport-ws", None).await.err().expect("a third is refused");
    assert!(refused.contains("503"), "{refused}");
    // A caller with a token is served, over HTTP and over a socket.
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{}/graphql", server.url))
        .bearer_auth(READER)
        .json(&json!({ "query": "{ latestDay }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut socket = open(&server.url, "graphql-transport-ws", Some(READER)).await.expect("a token in the header");
    socket.init(json!({})).await;
    assert!(socket.answer("1", "{ latestDay }").await["data"]["latestDay"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_keeps_its_place_among_the_connections() {
    let server = start(|c| c.server.max_connections = 2).await;
    let first = server.socket().await;
    let _second = server.socket().await;
    let health = tokio::spawn(reqwest::get(format!("{}/healthz", server.url)));
    // Both places are held by the sockets: the request waits... A "not
    // served" can only be watched for a while: 300 ms, after both sockets
    // were answered (the positive handshake), is that while.
    tokio::task::yield_now().await;
    assert!(!health.is_finished(), "served beyond max_connections");
    let still_waiting = tokio::time::timeout(Duration::from_millis(300), async {
        while !health.is_finished() {
            tokio::task::yield_now().await;
        }
    });
    assert!(still_waiting.await.is_err(), "served while two sockets hold both places");
    // ...until a socket closes.
    drop(first);
    assert_eq!(health.await.unwrap().unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_on_one_socket_are_capped() {
    let server = start(|c| c.server.websocket.max_operations = 2).await;
    let mut socket = server.socket().await;
    let live = "subscription { deploys { version } }";
    socket.subscribe("1", live).await;
    socket.subscribe("2", live).await;
    socket.subscribe("3", live).await;
    let refused = socket.hear().await.message();
    assert_eq!(refused["id"], "3");
    assert_eq!(
        refused["payload"][0]["message"],
        "this socket already runs 2 operations (server.websocket.max_operations)"
    );
    assert_eq!(code(&refused["payload"][0]), "TOO_MANY_OPERATIONS");
    // Completing one frees its place.
    socket.send(json!({ "type": "complete", "id": "1" })).await;
    socket.subscribe("4", live).await;
    server.wait_for_metric("spot_live_subscribers 2").await;
    let mutation =
        "mutation { recordDeployment(service: \"billing\", cluster: \"dc1\", version: \"2.0.0\") { version } }";
    let body = reqwest::Client::new()
        .post(format!("{}/graphql", server.url))
        .json(&json!({ "query": mutation }))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!body.contains("errors"), "{body}");
    let mut heard: Vec<String> = Vec::new();
    for _ in 0..2 {
        let next = socket.hear().await.message();
        assert_eq!(next["payload"]["data"]["deploys"]["version"], "2.0.0");
        heard.push(next["id"].as_str().unwrap().to_string());
    }
    heard.sort();
    assert_eq!(heard, ["2", "4"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_operation_id_closes_the_socket() {
    let server = start(|_| {}).await;
    let mut socket = server.socket().await;
    socket.subscribe("1", "subscription { deploys { version } }").await;
    socket.subscribe("1", "subscription { deploys { version } }").await;
    assert!(matches!(socket.hear().await, Heard::Closed(4409, reason) if reason == "Subscriber for 1 already exists"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_is_closed_when_its_send_buffer_fills() {
    let server = start(|c| {
        c.server.websocket.send_buffer_bytes = 64 * 1024;
        c.server.websocket.max_operations = 200;
    })
    .await;
    let mut socket = server.socket().await;
    // Each answer is some 100 KB: far more than the socket's buffers
    // hold, and this client reads none of it for now.
    let introspection =
        "{ __schema { types { name description fields { name description args { name description } } } } }";
    for id in 0..200 {
        socket.subscribe(&id.to_string(), introspection).await;
    }
    server.wait_for_metric("spot_websocket_closes_total{reason=\"slow_reader\"} 1").await;
    match socket.hear_the_end().await {
        Heard::Closed(code, reason) => {
            assert_eq!(code, 1008);
            assert_eq!(reason, "over 65536 bytes waiting to be sent (server.websocket.send_buffer_bytes)");
        }
        other => panic!("expected a close, heard {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_operation_on_a_socket_reads_the_store_afresh() {
    let server = start(|_| {}).await;
    let mut socket = server.socket().await;
    let tier = "{ service(name: \"billing\") { entity { tier: attribute(path: \"tier\") } } }";
    assert_eq!(socket.answer("1", tier).await["data"]["service"]["entity"]["tier"], 1);
    let store = SqliteStore::open(&server.db).unwrap();
    obs("github", "acme", 2)
        .entity("team:payments", json!({}))
        .entity("service:billing", json!({"tier": 2}))
        .relation("team:payments", "owns", "service:billing", json!({}))
        .into(&store)
        .await;
    assert_eq!(socket.answer("2", tier).await["data"]["service"]["entity"]["tier"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_older_protocol_passes_the_same_edge() {
    let server = start(|_| {}).await;
    let mut socket = open(&server.url, "graphql-ws", None).await.unwrap();
    socket.init(json!({})).await;
    socket.send(json!({ "type": "start", "id": "bomb", "payload": { "query": fragment_bomb(30) } })).await;
    let refused = socket.hear().await.message();
    assert_eq!(refused["type"], "error");
    assert_eq!(code(&refused["payload"][0]), "QUERY_TOO_COMPLEX");
    socket.send(json!({ "type": "start", "id": "day", "payload": { "query": "{ latestDay }" } })).await;
    let data = socket.hear().await.message();
    assert_eq!((data["type"].as_str(), data["id"].as_str()), (Some("data"), Some("day")), "{data}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_server_closes_its_sockets() {
    let mut server = start(|_| {}).await;
    let mut socket = server.socket().await;
    socket.subscribe("live", "subscription { deploys { version } }").await;
    server.wait_for_metric("spot_live_subscribers 1").await;
    server.stop.take().unwrap().send(()).unwrap();
    assert!(matches!(socket.hear_the_end().await, Heard::Closed(1001, _)));
    tokio::time::timeout(Duration::from_secs(30), &mut server.served).await.expect("the server stops").unwrap();
    assert!(std::net::TcpStream::connect(server.address).is_err(), "still listening");
}
