//! Actions in the GraphQL API: the `actions` query and fields, and the
//! subscriptions over WebSocket (`/graphql/ws`) with the same tokens and
//! scopes as `/graphql`, against a real server on loopback.

#[path = "support/graphql.rs"]
#[allow(dead_code)] // each test binary uses its part
mod graphql;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use spot::api::auth::{Scope, TokenConfig};
use spot::config::Config;
use spot::model::{Action, ActionBatch, ActionKind};
use spot::{SqliteStore, Store};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const READER: &str = "actions-reader-token-0123456789";
const WRITER: &str = "actions-writer-token-0123456789";

fn action(key: &str, kind: ActionKind, hour: u32, details: Value) -> Action {
    let at = Utc.with_ymd_and_hms(2026, 3, 3, hour, 2, 0).unwrap();
    Action {
        key: key.into(),
        cluster: "dc1".into(),
        namespace: "shop".into(),
        workload: "workload:dc1/shop/Deployment/checkout".into(),
        service: Some("service:checkout".into()),
        kind,
        at,
        last_at: at,
        count: 1,
        actor: Some("kube-controller-manager".into()),
        details: details.as_object().unwrap().clone(),
    }
}

async fn start(tokens: bool) -> (graphql::Api, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    let actions = vec![
        action("u1/1/scale", ActionKind::Scale, 14, json!({ "from": 6, "to": 12, "by": "autoscaler" })),
        action("rs-7/started", ActionKind::RolloutStarted, 9, json!({ "version": "1.5.0", "revision": 7 })),
    ];
    store.record_actions(&ActionBatch { actions, ..ActionBatch::default() }).await.unwrap();
    let mut config = Config::default();
    // Tests wait on /metrics for the server to be listening.
    config.server.metrics_access = spot::config::MetricsAccess::Open;
    if tokens {
        std::env::set_var("SPOT_TEST_ACTIONS_READER", READER);
        std::env::set_var("SPOT_TEST_ACTIONS_WRITER", WRITER);
        let token = |name: &str, var: &str, scopes: &[Scope]| TokenConfig {
            name: name.into(),
            scopes: scopes.to_vec(),
            token_env: Some(var.into()),
            token_file: None,
        };
        config.auth.tokens = vec![
            token("dashboard", "SPOT_TEST_ACTIONS_READER", &[Scope::Read]),
            token("orchestrator", "SPOT_TEST_ACTIONS_WRITER", &[Scope::Read, Scope::Write]),
        ];
    }
    (graphql::serve(&config, store.clone(), dir).await, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_are_read_by_service_workload_cluster_kind_and_window() {
    let (api, _) = start(false).await;
    let window = r#"from: "2026-03-03T00:00:00Z", to: "2026-03-04T00:00:00Z""#;
    let data = api
        .data(&format!(
            r#"{{
              all: actions({window}) {{ key kind at actor details }}
              scales: actions(service: "checkout", {window}, kinds: [SCALE]) {{ kind details }}
              none: actions(cluster: "dc2", {window}) {{ key }}
              morning: actions(workload: "workload:dc1/shop/Deployment/checkout", from: "2026-03-03T09:00:00Z", to: "2026-03-03T10:00:00Z") {{ key }}
            }}"#
        ))
        .await;
    assert_eq!(data["all"][0]["key"], "u1/1/scale", "newest first");
    assert_eq!(data["all"][0]["at"], "2026-03-03T14:02:00+00:00");
    assert_eq!(data["all"][1]["kind"], "ROLLOUT_STARTED");
    assert_eq!(data["scales"], json!([{ "kind": "SCALE", "details": { "from": 6, "to": 12, "by": "autoscaler" } }]));
    assert_eq!(data["none"], json!([]));
    assert_eq!(data["morning"], json!([{ "key": "rs-7/started" }]));

    let backwards = api.error(r#"{ actions(from: "2026-03-04T00:00:00Z", to: "2026-03-03T00:00:00Z") { key } }"#).await;
    assert!(backwards.contains("before it starts"), "{backwards}");
    let huge = api.error(r#"{ actions(limit: 100000) { key } }"#).await;
    assert_eq!(huge, "limit must be between 1 and 10000 (it is 100000)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_workloads_and_clusters_carry_their_actions() {
    let (api, store) = start(false).await;
    let observation = spot::observations::parse(
        "test",
        r#"{ "source": "kubernetes", "scope": "dc1", "day": "2026-03-03", "complete": true,
             "entities": [
               { "key": "service:checkout", "kind": "service", "name": "checkout" },
               { "key": "workload:dc1/shop/Deployment/checkout", "kind": "workload", "name": "checkout" },
               { "key": "cluster:dc1", "kind": "cluster", "name": "dc1" },
               { "key": "team:shop", "kind": "team", "name": "shop" } ] }"#,
    )
    .unwrap();
    store.ingest(&observation).await.unwrap();
    let window = r#"from: "2026-03-03T00:00:00Z", to: "2026-03-04T00:00:00Z""#;
    let data = api
        .data(&format!(
            r#"{{
              service(name: "checkout", at: "2026-03-03") {{ actions({window}, kinds: [SCALE]) {{ key }} }}
              workload: entity(key: "workload:dc1/shop/Deployment/checkout", at: "2026-03-03") {{ actions({window}) {{ key }} }}
              cluster: entity(key: "cluster:dc1", at: "2026-03-03") {{ actions({window}, limit: 1) {{ key }} }}
              team: entity(key: "team:shop", at: "2026-03-03") {{ actions({window}) {{ key }} }}
            }}"#
        ))
        .await;
    assert_eq!(data["service"]["actions"], json!([{ "key": "u1/1/scale" }]));
    assert_eq!(data["workload"]["actions"], json!([{ "key": "u1/1/scale" }, { "key": "rs-7/started" }]));
    assert_eq!(data["cluster"]["actions"], json!([{ "key": "u1/1/scale" }]), "the newest, within the limit");
    assert_eq!(data["team"]["actions"], json!([]), "a team has no actions of its own");
}

/// Opens `/graphql/ws` (graphql-transport-ws), with `header` as the
/// upgrade's Authorization, and sends `connection_init` with `payload`.
async fn connect(
    url: &str,
    header: Option<&str>,
    payload: Value,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let mut request = format!("{}/graphql/ws", url.replace("http://", "ws://")).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    if let Some(token) = header {
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("the upgrade is accepted");
    socket.send(Message::text(json!({ "type": "connection_init", "payload": payload }).to_string())).await.unwrap();
    socket
}

async fn next_json(
    socket: &mut tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
) -> Option<Value> {
    loop {
        let message =
            tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("an answer within 10 s")?;
        match message.ok()? {
            Message::Text(text) => return Some(serde_json::from_str(&text).unwrap()),
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_is_sent_each_deploy_as_it_is_recorded() {
    let (api, _) = start(true).await;
    let mut socket = connect(&api.url, None, json!({ "Authorization": format!("Bearer {READER}") })).await;
    assert_eq!(next_json(&mut socket).await.unwrap()["type"], "connection_ack");
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": {
        "query": "subscription { deploys(service: \"checkout\") { service cluster version source actor } }" } });
    socket.send(Message::text(subscribe.to_string())).await.unwrap();
    api.wait_for_metric("spot_live_subscribers 1").await;

    for (service, version) in [("cart", "2.0.0"), ("checkout", "1.6.0")] {
        let mutation = format!(
            r#"mutation {{ recordDeployment(service: "{service}", cluster: "dc1", version: "{version}", actor: "orchestrator") {{ version }} }}"#
        );
        let (status, body) = api.post(json!({ "query": mutation }), Some(WRITER)).await;
        assert_eq!(status, 200, "{body}");
    }
    let next = next_json(&mut socket).await.unwrap();
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(
        next["payload"]["data"]["deploys"],
        json!({ "service": "service:checkout", "cluster": "dc1", "version": "1.6.0", "source": "orchestrator", "actor": "orchestrator" }),
        "cart's deploy is not checkout's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_without_a_valid_token_is_refused() {
    let (api, _) = start(true).await;
    // A wrong token with the upgrade: refused before any WebSocket.
    let mut request = format!("{}/graphql/ws", api.url.replace("http://", "ws://")).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    request.headers_mut().insert("authorization", "Bearer not-a-token".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(request).await.unwrap_err().to_string();
    assert!(refused.contains("401"), "{refused}");
    // No token at all, nor in connection_init: the connection is closed.
    let mut socket = connect(&api.url, None, json!({})).await;
    let answer = next_json(&mut socket).await;
    assert!(answer.as_ref().is_none_or(|a| a["type"] != "connection_ack"), "{answer:?}");
    // The reader's token in the upgrade's header works.
    let mut socket = connect(&api.url, Some(READER), json!({})).await;
    assert_eq!(next_json(&mut socket).await.unwrap()["type"], "connection_ack");
}
