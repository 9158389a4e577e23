//! A SPoT server on loopback over a SQLite store, and a GraphQL client for
//! it: the API end to end over real HTTP.

use std::sync::Arc;

use serde_json::{json, Value};
use spot::config::Config;
use spot::server::Server;
use spot::SqliteStore;

pub struct Api {
    pub url: String,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// Serves `store` (kept in `dir`) with `config` until the test ends.
pub async fn serve(config: &Config, store: SqliteStore, dir: tempfile::TempDir) -> Api {
    let server = Server::new(config, Arc::new(store)).expect("a valid server config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server.serve_on(listener, std::future::pending()));
    Api { url, client: reqwest::Client::new(), _dir: dir }
}

impl Api {
    pub async fn post(&self, body: Value, token: Option<&str>) -> (u16, Value) {
        let mut request = self.client.post(format!("{}/graphql", self.url)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// The data of a query that must succeed.
    pub async fn data(&self, query: &str) -> Value {
        let (status, body) = self.post(json!({ "query": query }), None).await;
        assert_eq!(status, 200);
        assert!(body.get("errors").is_none(), "{query}\n{body:#}");
        body["data"].clone()
    }

    /// The response body of a query that must succeed, byte for byte.
    pub async fn raw(&self, query: &str) -> String {
        let response = self.client.post(format!("{}/graphql", self.url)).json(&json!({ "query": query })).send().await;
        let body = response.unwrap().text().await.unwrap();
        assert!(!body.contains(r#""errors""#), "{query}\n{body}");
        body
    }

    /// Waits until `/metrics` has `line` (see [`wait_for_metric`]). (Only
    /// the subscription tests wait so.)
    #[allow(dead_code)]
    pub async fn wait_for_metric(&self, line: &str) {
        wait_for_metric(&self.client, &self.url, line).await;
    }

    /// The first error message of a query that must fail.
    pub async fn error(&self, query: &str) -> String {
        let (_, body) = self.post(json!({ "query": query }), None).await;
        body["errors"][0]["message"].as_str().unwrap_or_else(|| panic!("{query} did not fail: {body:#}")).to_string()
    }
}

/// Waits (30 s at most) until `/metrics` of the server at `url` has `line`:
/// a condition the server reaches, e.g. `spot_live_subscribers 1` once a
/// subscription listens.
#[allow(dead_code)]
pub async fn wait_for_metric(client: &reqwest::Client, url: &str, line: &str) {
    let url = format!("{url}/metrics");
    let waited = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            let text = client.get(&url).send().await.unwrap().text().await.unwrap();
            if text.lines().any(|l| l == line) {
                return;
            }
            tokio::task::yield_now().await;
        }
    });
    waited.await.unwrap_or_else(|_| panic!("/metrics never read {line:?}"));
}
