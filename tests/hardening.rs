//! Hostile input at the HTTP edge: each test is one finding of the
//! adversarial pass (issue "Hardening"), run against a real server on
//! loopback with its own accept loop, as `spot serve` runs it.

#[path = "conformance/builder.rs"]
#[allow(dead_code)]
mod builder;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use builder::obs;
use serde_json::{json, Value};
use spot::api::auth::{Scope, TokenConfig};
use spot::config::{Config, MetricsAccess};
use spot::server::Server;
use spot::SqliteStore;

struct Running {
    url: String,
    address: std::net::SocketAddr,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn start(configure: impl FnOnce(&mut Config)) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
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
    tokio::spawn(server.serve_on(listener, std::future::pending()));
    Running { url: format!("http://{address}"), address, client: reqwest::Client::new(), _dir: dir }
}

impl Running {
    async fn post(&self, body: &Value) -> reqwest::Response {
        self.client.post(format!("{}/graphql", self.url)).json(body).send().await.unwrap()
    }

    async fn query(&self, query: &str) -> Value {
        self.post(&json!({ "query": query })).await.json().await.unwrap()
    }
}

fn token(name: &str, var: &str, scopes: &[Scope]) -> TokenConfig {
    TokenConfig { name: name.into(), scopes: scopes.to_vec(), token_env: Some(var.into()), token_file: None }
}

/// Fragments f0..f(k-1) each spread the next one twice: 2ᵏ fields expanded.
fn fragment_bomb(k: usize) -> String {
    let mut query = String::from("query{...f0} ");
    for i in 0..k {
        query.push_str(&format!("fragment f{i} on Query{{...f{} ...f{}}} ", i + 1, i + 1));
    }
    query + &format!("fragment f{k} on Query{{latestDay}}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exponential_fragments_are_refused_at_once_and_the_server_stays_responsive() {
    let server = Arc::new(start(|_| {}).await);
    let bombs: Vec<_> = (0..2)
        .map(|_| {
            let server = server.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                let body = server.query(&fragment_bomb(30)).await;
                (started.elapsed(), body)
            })
        })
        .collect();
    let started = Instant::now();
    let health = server.client.get(format!("{}/healthz", server.url)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let health_took = started.elapsed();
    for bomb in bombs {
        let (took, body) = bomb.await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX", "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert_eq!(message, "query is more complex than 5000 (limits.complexity)");
        // Before the fix a k=30 bomb took minutes of CPU; the figures
        // (refused in about a millisecond) are in docs/security.md.
        assert!(took < Duration::from_secs(2), "refused after {took:?}");
    }
    assert!(health_took < Duration::from_secs(2), "/healthz answered after {health_took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragment_cycle_is_refused_with_its_name() {
    let server = start(|_| {}).await;
    let body = server.query("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A latestDay }").await;
    assert_eq!(body["errors"][0]["message"], "fragment 'A' spreads itself, directly or through other fragments");
    assert_eq!(body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_writes_are_refused_without_tokens() {
    let server = start(|_| {}).await;
    let mutation = r#"{"query":"mutation { recordDeployment(service: \"billing\", cluster: \"dc1\", version: \"6.6.6\") { version } }"}"#;
    let post = |content_type: &'static str, origin: Option<&'static str>| {
        let mut request =
            server.client.post(format!("{}/graphql", server.url)).header("content-type", content_type).body(mutation);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    // A foreign page's form or text/plain post needs no CORS preflight.
    let text_plain = post("text/plain", None).await.unwrap();
    assert_eq!(text_plain.status(), 415);
    let foreign_text = post("text/plain", Some("http://evil.example")).await.unwrap();
    assert_eq!(foreign_text.status(), 403);
    let form = post("application/x-www-form-urlencoded", None).await.unwrap();
    assert_eq!(form.status(), 415);
    let foreign = post("application/json", Some("http://evil.example")).await.unwrap();
    assert_eq!(foreign.status(), 403);
    let body: Value = foreign.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN_ORIGIN");
    let own = post("application/json", Some(Box::leak(server.url.clone().into_boxed_str()))).await.unwrap();
    assert_eq!(own.status(), 200);
    let today = chrono::Utc::now().date_naive();
    let history = format!(
        "{{ deployHistory(service: \"billing\", from: \"{}\", to: \"{}\") {{ version }} }}",
        today.pred_opt().unwrap(),
        today.succ_opt().unwrap()
    );
    let events = server.query(&history).await;
    assert_eq!(events["data"]["deployHistory"], json!([{"version": "6.6.6"}]), "only the same-origin write ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebound_host_name_is_refused_without_tokens() {
    let server = start(|_| {}).await;
    for path in ["/", "/graphql", "/metrics"] {
        let refused = server.client.get(format!("{}{path}", server.url)).header("host", "evil.example").send().await;
        assert_eq!(refused.unwrap().status(), 403, "{path}");
    }
    let served = server.client.get(format!("{}/", server.url)).header("host", "localhost:1").send().await;
    assert_eq!(served.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_tokens_any_host_is_served() {
    std::env::set_var("SPOT_HARDENING_READER", "reader-token-0123456789");
    let server = start(|c| c.auth.tokens = vec![token("reader", "SPOT_HARDENING_READER", &[Scope::Read])]).await;
    let response = server
        .client
        .post(format!("{}/graphql", server.url))
        .header("host", "spot.acme.internal")
        .header("origin", "https://dashboards.acme.internal")
        .bearer_auth("reader-token-0123456789")
        .json(&json!({"query": "{ latestDay }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_chosen_operation_names_do_not_grow_the_metrics() {
    let server = start(|c| c.server.metric_operations = vec!["OrchestratorVersions".into()]).await;
    let metrics = || async { server.client.get(format!("{}/metrics", server.url)).send().await.unwrap().text().await };
    for i in 0..300 {
        server.query(&format!("query Random{i} {{ latestDay }}")).await;
    }
    server.query("query OrchestratorVersions { latestDay }").await;
    server.query("query Service { latestDay }").await;
    let text = metrics().await.unwrap();
    assert!(!text.contains("Random"), "no label per client-chosen name");
    assert!(text.contains(r#"spot_graphql_requests_total{operation="other",outcome="ok"} 300"#), "{text}");
    assert!(text.contains(r#"operation="OrchestratorVersions""#), "configured operations keep their name");
    assert!(text.contains(r#"operation="Service""#), "the explorer's operations keep their name");
    assert!(text.len() < 20_000, "{} bytes", text.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_a_token_when_tokens_exist() {
    std::env::set_var("SPOT_HARDENING_SCRAPER", "scraper-token-0123456789");
    std::env::set_var("SPOT_HARDENING_EXPLORER", "explorer-token-0123456789");
    let tokens = vec![
        token("prometheus", "SPOT_HARDENING_SCRAPER", &[Scope::Metrics]),
        token("explorer", "SPOT_HARDENING_EXPLORER", &[Scope::Read]),
    ];
    let closed = start(|c| c.auth.tokens = tokens.clone()).await;
    let get = |server: &Running, token: Option<&str>| {
        let mut request = server.client.get(format!("{}/metrics", server.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(get(&closed, None).await.unwrap().status(), 401);
    assert_eq!(get(&closed, Some("explorer-token-0123456789")).await.unwrap().status(), 403);
    assert_eq!(get(&closed, Some("scraper-token-0123456789")).await.unwrap().status(), 200);
    let open = start(|c| {
        c.auth.tokens = tokens.clone();
        c.server.metrics_access = MetricsAccess::Open;
    })
    .await;
    assert_eq!(get(&open, None).await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parse_errors_do_not_echo_the_query() {
    let server = start(|_| {}).await;
    let huge = format!("{{ latestDay {} (", "x ".repeat(100_000));
    let response = server.post(&json!({ "query": huge })).await;
    let text = response.text().await.unwrap();
    assert!(text.len() < 1_000, "a {} byte answer", text.len());
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "GRAPHQL_PARSE_FAILED");
    assert!(body["errors"][0]["message"].as_str().unwrap().starts_with("query does not parse at line 1, column"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_and_validation_errors_carry_a_code() {
    let server = start(|c| c.limits.depth = 3).await;
    let deep = server.query("{ service(name: \"billing\") { entity { relations { toEntity { key } } } } }").await;
    assert_eq!(deep["errors"][0]["extensions"]["code"], "QUERY_TOO_DEEP", "{deep}");
    let unknown = server.query("{ noSuchField }").await;
    assert_eq!(unknown["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED", "{unknown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_megabyte_search_is_refused_by_a_limit() {
    let server = start(|c| c.server.body_limit_bytes = 4 << 20).await;
    let query = "query($text: String!) { search(text: $text) { key } }";
    let body = json!({ "query": query, "variables": { "text": "a".repeat(1 << 20) } });
    let answer: Value = server.post(&body).await.json().await.unwrap();
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{answer}");
    assert_eq!(
        answer["errors"][0]["message"],
        "search text is 1048576 characters, longer than 256 (limits.search_text)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let server = start(|_| {}).await;
    let get = |path: &'static str| server.client.get(format!("{}{path}", server.url)).send();
    let responses = vec![
        get("/").await.unwrap(),
        get("/graphql").await.unwrap(),
        server.post(&json!({"query": "{ latestDay }"})).await,
    ];
    for response in responses {
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), "{policy}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_loads_nothing_from_another_host() {
    let server = start(|_| {}).await;
    let page = server.client.get(format!("{}/graphql", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("/explorer/vendor/graphiql.min.js"), "{page}");
    assert!(!page.contains("https://") && !page.contains("http://"), "{page}");
    for path in ["graphiql.js", "vendor/graphiql.min.js", "vendor/react.production.min.js"] {
        let asset = server.client.get(format!("{}/explorer/{path}", server.url)).send().await.unwrap();
        assert_eq!(asset.status(), 200, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_request_closes_its_connection_cleanly() {
    std::env::set_var("SPOT_HARDENING_CLOSE", "close-token-0123456789");
    let server = start(|c| c.auth.tokens = vec![token("x", "SPOT_HARDENING_CLOSE", &[Scope::Read])]).await;
    let response = server.post(&json!({"query": "{ latestDay }"})).await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["connection"], "close");
}

/// Reads until the server closes the connection, or `within` passes.
fn closed_within(mut stream: std::net::TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_and_idle_connections_are_closed() {
    let server = start(|c| c.server.header_read_timeout_ms = 300).await;
    let silent = std::net::TcpStream::connect(server.address).unwrap();
    let mut half_sent = std::net::TcpStream::connect(server.address).unwrap();
    half_sent.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n").unwrap();
    let mut idle = std::net::TcpStream::connect(server.address).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let checks = tokio::task::spawn_blocking(move || {
        [silent, half_sent, idle].map(|stream| closed_within(stream, Duration::from_secs(5)))
    });
    assert_eq!(checks.await.unwrap(), [true, true, true], "silent, half-sent and idle keep-alive connections");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_wait_for_a_free_one() {
    let server = start(|c| {
        c.server.max_connections = 2;
        c.server.header_read_timeout_ms = 500;
    })
    .await;
    let held: Vec<_> = (0..2).map(|_| std::net::TcpStream::connect(server.address).unwrap()).collect();
    let started = Instant::now();
    // A third client is served once the stalled two are closed by the
    // header timeout, not before.
    let fresh = reqwest::Client::new();
    let health = fresh.get(format!("{}/healthz", server.url)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(400), "served after {:?}", started.elapsed());
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_fields_follow_the_query_order() {
    let server = start(|_| {}).await;
    let text = server
        .post(&json!({"query": "{ z: latestDay service(name: \"billing\") { name key owner { key name } entity { tier: attribute(path: \"tier\") kind } } a: latestDay }"}))
        .await
        .text()
        .await
        .unwrap();
    let order = |keys: &[&str]| {
        let positions: Vec<usize> =
            keys.iter().map(|k| text.find(&format!("\"{k}\"")).unwrap_or_else(|| panic!("no {k} in {text}"))).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{keys:?} out of order in {text}");
    };
    order(&["z", "service", "a"]);
    order(&["name", "key", "owner", "entity"]);
    order(&["tier", "kind"]);
}
