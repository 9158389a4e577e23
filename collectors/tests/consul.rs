//! The Consul collector against a local server that answers like a Consul
//! agent: recorded responses, a generated large datacenter, and failures.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use collectors::consul::{Config, Consul};
use collectors::http::HttpSettings;
use collectors::{Collector, Day, Observation, ObservedEntity};
use serde_json::{json, Value};
use support::{closed_port_url, fixture, token_file, Recorded, ReplayServer, Reply};

const DAY: Day = Day(20_000);

fn config(base_url: &str) -> Config {
    toml::from_str::<Config>(&format!("base_url = \"{base_url}\"\ndatacenters = [\"dc1\"]")).unwrap()
}

fn fast(mut config: Config) -> Config {
    config.http = HttpSettings { backoff_ms: 1, max_backoff_ms: 5, retries: 2, ..HttpSettings::default() };
    config
}

async fn collect(config: &Config) -> Result<Observation, collectors::CollectError> {
    collect_scope(config, "dc1").await
}

async fn collect_scope(config: &Config, scope: &str) -> Result<Observation, collectors::CollectError> {
    Consul::new(config)?.collect(scope, DAY).await
}

/// `frontend`: two instances (one with a warning check), tags and meta.
const FRONTEND_HEALTH: &str = r#"[
  {"Node": {"Node": "node-b"},
   "Service": {"ID": "frontend-1", "Service": "frontend", "Tags": ["v1", "web"], "Meta": {"version": "2.1", "team": "shop"}},
   "Checks": [{"CheckID": "serfHealth", "Status": "passing"}, {"CheckID": "service:frontend-1", "Status": "warning"}]},
  {"Node": {"Node": "node-a"},
   "Service": {"ID": "frontend-2", "Service": "frontend", "Tags": ["v1"], "Meta": {"version": "2.1"}},
   "Checks": [{"CheckID": "serfHealth", "Status": "passing"}]}
]"#;

/// `frontend`'s two sidecars: `backend` upstream on both (once with the
/// default type), and a prepared query, which names no service.
const FRONTEND_CONNECT: &str = r#"[
  {"ServiceKind": "connect-proxy", "ServiceID": "frontend-1-sidecar-proxy", "ServiceName": "frontend-sidecar-proxy",
   "ServiceProxy": {"DestinationServiceName": "frontend", "Upstreams": [
     {"DestinationType": "service", "DestinationName": "backend", "LocalBindPort": 9191},
     {"DestinationType": "prepared_query", "DestinationName": "geo-query", "LocalBindPort": 9192}]}},
  {"ServiceKind": "connect-proxy", "ServiceID": "frontend-2-sidecar-proxy", "ServiceName": "frontend-sidecar-proxy",
   "ServiceProxy": {"DestinationServiceName": "frontend", "Upstreams": [
     {"DestinationName": "backend", "LocalBindPort": 9191}]}}
]"#;

/// A proxy registered under a name without the `-sidecar-proxy` suffix.
const OTHER_PROXY_HEALTH: &str = r#"[
  {"Node": {"Node": "node-a"}, "Service": {"Kind": "connect-proxy", "Service": "frontend-proxy", "Tags": null, "Meta": null}, "Checks": []}
]"#;

const INTENTIONS: &str = r#"[
  {"SourceName": "frontend", "DestinationName": "backend", "SourceType": "consul", "Action": "allow", "Precedence": 9},
  {"SourceName": "*", "DestinationName": "backend", "SourceType": "consul", "Action": "deny", "Precedence": 8},
  {"SourceName": "admin", "DestinationName": "backend", "SourceType": "consul", "Action": "",
   "Permissions": [{"Action": "allow", "HTTP": {"PathPrefix": "/admin"}}], "Precedence": 9},
  {"SourceName": "frontend", "DestinationName": "billing", "SourceType": "consul", "Action": "deny", "Precedence": 9}
]"#;

/// Answers like a dc1 agent: the recorded `backend` responses, small
/// hand-written ones for the rest.
fn recorded(request: &Recorded) -> Reply {
    match request.path.as_str() {
        "/v1/catalog/services" => Reply::json(
            r#"{"consul": [], "backend": [], "backend-sidecar-proxy": [], "frontend": ["v1", "web"],
                "frontend-sidecar-proxy": [], "frontend-proxy": null}"#,
        ),
        "/v1/health/service/backend" => Reply::json(fixture("consul/v1_health_service_backend.json")),
        "/v1/catalog/connect/backend" => Reply::json(fixture("consul/v1_catalog_connect_backend.json")),
        "/v1/health/service/frontend" => Reply::json(FRONTEND_HEALTH),
        "/v1/catalog/connect/frontend" => Reply::json(FRONTEND_CONNECT),
        "/v1/health/service/frontend-proxy" => Reply::json(OTHER_PROXY_HEALTH),
        "/v1/connect/intentions" => Reply::json(INTENTIONS),
        other => Reply::status(404, format!("no route {other}")),
    }
}

/// Consul names attach to `service:<name>` in lower case, as the GitHub
/// side names services; two Consul names differing only in case would be
/// one key, so the second is left out and named in a warning.
#[tokio::test]
async fn consul_names_attach_to_lower_case_service_keys_and_say_so() {
    let server = ReplayServer::start(|request: &Recorded| match request.path.as_str() {
        "/v1/catalog/services" => Reply::json(r#"{"Backend": [], "backend": [], "Frontend": []}"#),
        "/v1/health/service/Backend" => Reply::json(fixture("consul/v1_health_service_backend.json")),
        "/v1/catalog/connect/Backend" => Reply::json("[]"),
        "/v1/health/service/Frontend" => Reply::json(FRONTEND_HEALTH),
        "/v1/catalog/connect/Frontend" => Reply::json(FRONTEND_CONNECT),
        "/v1/connect/intentions" => Reply::json("[]"),
        other => Reply::status(404, format!("no route {other}")),
    })
    .await;
    let obs = collect(&config(&server.url)).await.unwrap();
    assert_eq!(obs.validate(), Ok(()));
    let keys: Vec<_> = obs.entities.iter().map(|e| (e.key.as_str(), e.name.as_str())).collect();
    assert_eq!(
        keys,
        [("service:backend", "Backend"), ("service:frontend", "Frontend")],
        "the name keeps Consul's spelling"
    );
    assert!(obs.entities.iter().all(|e| e.attrs["matched_by"] == "consul-name"));
    assert_eq!(relations(&obs), [rel("service:frontend", "depends_on", "service:backend", json!({ "via": "consul" }))]);
    assert_eq!(
        obs.warnings,
        ["service 'backend': not observed: its key service:backend is already service 'Backend''s (names differing only in case are one service)"]
    );
    assert_eq!(server.count("/v1/health/service/backend"), 0, "the left-out name is not read");
}

fn entity<'a>(obs: &'a Observation, key: &str) -> &'a ObservedEntity {
    obs.entities.iter().find(|e| e.key == key).unwrap_or_else(|| panic!("{key} not observed"))
}

/// Relations as (from, kind, to, attrs), for exact comparison.
fn relations(obs: &Observation) -> Vec<(String, String, String, Value)> {
    obs.relations
        .iter()
        .map(|r| (r.from.clone(), r.kind.clone(), r.to.clone(), Value::Object(r.attrs.clone())))
        .collect()
}

fn rel(from: &str, kind: &str, to: &str, attrs: Value) -> (String, String, String, Value) {
    (from.into(), kind.into(), to.into(), attrs)
}

#[tokio::test]
async fn recorded_responses_become_services_with_health_and_mesh_relations() {
    let server = ReplayServer::start(recorded).await;
    let obs = collect(&config(&server.url)).await.unwrap();
    assert_eq!((obs.source.as_str(), obs.scope.as_str(), obs.complete), ("consul", "dc1", true));
    assert_eq!(obs.validate(), Ok(()));
    assert!(obs.warnings.is_empty(), "{:?}", obs.warnings);
    let keys: Vec<_> = obs.entities.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["service:backend", "service:frontend"], "no consul, no sidecars, no proxy under another name");

    let backend = entity(&obs, "service:backend");
    assert_eq!((backend.kind.as_str(), backend.name.as_str()), ("service", "backend"));
    assert_eq!(
        Value::Object(backend.attrs.clone()),
        json!({ "instances": 2, "passing": 2, "warning": 0, "critical": 0, "tags": [], "meta": {}, "nodes": ["node"],
                "matched_by": "consul-name" })
    );
    let frontend = entity(&obs, "service:frontend");
    assert_eq!(
        Value::Object(frontend.attrs.clone()),
        json!({
            "instances": 2, "passing": 1, "warning": 1, "critical": 0,
            "tags": ["v1", "web"], "meta": { "team": "shop", "version": "2.1" }, "nodes": ["node-a", "node-b"],
            "matched_by": "consul-name",
        })
    );

    assert_eq!(
        relations(&obs),
        [
            rel("service:frontend", "depends_on", "service:backend", json!({ "via": "consul", "intention": "allow" })),
            rel("service:admin", "intention", "service:backend", json!({ "action": "l7" })),
            rel("service:frontend", "intention", "service:billing", json!({ "action": "deny" })),
        ],
        "the wildcard deny is on no relation; the prepared query is no service"
    );
}

#[tokio::test]
async fn skipped_names_are_never_asked_about() {
    let server = ReplayServer::start(recorded).await;
    collect(&config(&server.url)).await.unwrap();
    let paths: Vec<_> = server.requests().into_iter().map(|r| r.path).collect();
    for never in ["consul", "backend-sidecar-proxy", "frontend-sidecar-proxy"] {
        assert!(!paths.iter().any(|p| p.ends_with(&format!("/{never}"))), "{never} was read: {paths:?}");
    }
    assert_eq!(server.count("/v1/health/service/frontend-proxy"), 1);
    assert_eq!(server.count("/v1/catalog/connect/frontend-proxy"), 0, "a proxy has no upstreams of its own to read");
    assert_eq!(server.count("/v1/connect/intentions"), 1, "intentions are read once per run");
    assert_eq!(server.requests().len(), 7);
}

#[tokio::test]
async fn names_that_cannot_be_keys_are_warned_about_and_skipped() {
    let server = ReplayServer::start(|request: &Recorded| match request.path.as_str() {
        "/v1/catalog/services" => Reply::json(r#"{"my service": [], "backend": []}"#),
        _ => recorded(request),
    })
    .await;
    let mut config = config(&server.url);
    config.skip_services = vec![];
    let obs = collect(&config).await.unwrap();
    assert_eq!(obs.entities.len(), 1);
    assert_eq!(
        obs.warnings,
        ["service 'my service': not observed: the name has whitespace or control characters, so it cannot be an entity key"]
    );
    assert_eq!(server.requests().len(), 4, "listing, intentions, and backend's health and proxies");
}

/// A datacenter of `n` services `svc-<i>`: `i % 4 + 1` instances across 50
/// nodes; instance 0 critical when `i % 10 == 0`, instance 1 warning when
/// `i % 7 == 0`; every third service has sidecars with upstreams to the
/// next two; intentions allow `i → i+1` when `i % 6 == 0` and deny
/// `i → i+4` when `i % 5 == 0`; and one wildcard.
fn large_datacenter(n: usize) -> impl Fn(&Recorded) -> Reply {
    move |request: &Recorded| {
        let path = request.path.as_str();
        let index = |prefix: &str| path.strip_prefix(prefix)?.strip_prefix("svc-")?.parse::<usize>().ok();
        if path == "/v1/catalog/services" {
            let mut list = serde_json::Map::new();
            list.insert("consul".into(), json!([]));
            for i in 0..n {
                list.insert(format!("svc-{i}"), json!([format!("team-{}", i % 9)]));
                if i % 3 == 0 {
                    list.insert(format!("svc-{i}-sidecar-proxy"), json!([]));
                }
            }
            return Reply::json(Value::Object(list).to_string());
        }
        if path == "/v1/connect/intentions" {
            let mut list =
                vec![json!({ "SourceName": "*", "DestinationName": "svc-1", "Action": "deny", "Precedence": 5 })];
            for i in 0..n {
                if i % 6 == 0 {
                    list.push(json!({ "SourceName": format!("svc-{i}"), "DestinationName": format!("svc-{}", (i + 1) % n), "Action": "allow", "Precedence": 9 }));
                }
                if i % 5 == 0 {
                    list.push(json!({ "SourceName": format!("svc-{i}"), "DestinationName": format!("svc-{}", (i + 4) % n), "Action": "deny", "Precedence": 9 }));
                }
            }
            return Reply::json(Value::Array(list).to_string());
        }
        if let Some(i) = index("/v1/health/service/") {
            let entries: Vec<Value> = (0..i % 4 + 1)
                .map(|j| {
                    let status = match j {
                        0 if i % 10 == 0 => "critical",
                        1 if i % 7 == 0 => "warning",
                        _ => "passing",
                    };
                    json!({
                        "Node": { "Node": format!("node-{}", (i + j) % 50) },
                        "Service": { "ID": format!("svc-{i}-{j}"), "Service": format!("svc-{i}"), "Tags": [format!("team-{}", i % 9)], "Meta": { "version": format!("{}", i % 3) } },
                        "Checks": [{ "Status": "passing" }, { "Status": status }],
                    })
                })
                .collect();
            return Reply::json(Value::Array(entries).to_string());
        }
        if let Some(i) = index("/v1/catalog/connect/") {
            if i % 3 != 0 {
                return Reply::json("[]");
            }
            let upstreams = json!([
                { "DestinationName": format!("svc-{}", (i + 1) % n), "LocalBindPort": 9001 },
                { "DestinationName": format!("svc-{}", (i + 2) % n), "LocalBindPort": 9002 },
            ]);
            let entries: Vec<Value> = (0..i % 4 + 1)
                .map(|j| json!({ "ServiceID": format!("svc-{i}-{j}-sidecar-proxy"), "ServiceProxy": { "Upstreams": upstreams } }))
                .collect();
            return Reply::json(Value::Array(entries).to_string());
        }
        Reply::status(404, format!("no route {path}"))
    }
}

#[tokio::test]
async fn a_datacenter_of_thousands_of_services_is_read_in_full() {
    let server = ReplayServer::start(large_datacenter(3_000)).await;
    let mut config = config(&server.url);
    config.http.concurrency = 16;
    let obs = collect(&config).await.unwrap();
    assert_eq!(obs.validate(), Ok(()));
    assert!(obs.warnings.is_empty(), "{:?}", obs.warnings);
    assert_eq!(obs.entities.len(), 3_000);
    assert_eq!(server.count("/v1/catalog/services"), 1);
    assert_eq!(server.count("/v1/connect/intentions"), 1);
    let reads = server.requests().iter().filter(|r| r.path.starts_with("/v1/health/service/")).count();
    assert_eq!(reads, 3_000, "one health read per service, none for sidecars");

    let total = |attr: &str| obs.entities.iter().map(|e| e.attrs[attr].as_u64().unwrap()).sum::<u64>();
    assert_eq!((total("instances"), total("passing"), total("warning"), total("critical")), (7_500, 6_879, 321, 300));
    let count = |kind: &str, with: &str| {
        obs.relations.iter().filter(|r| r.kind == kind && (with.is_empty() || r.attrs.contains_key(with))).count()
    };
    assert_eq!(count("depends_on", ""), 2_000, "two upstreams for each of 1,000 meshed services");
    assert_eq!(count("depends_on", "intention"), 500);
    assert_eq!(count("intention", ""), 600);
    assert_eq!(obs.relations.len(), 2_600);

    let svc = entity(&obs, "service:svc-1470");
    assert_eq!(
        Value::Object(svc.attrs.clone()),
        json!({
            "instances": 3, "passing": 1, "warning": 1, "critical": 1,
            "tags": ["team-3"], "meta": { "version": "0" }, "nodes": ["node-20", "node-21", "node-22"],
            "matched_by": "consul-name",
        })
    );
    let all = relations(&obs);
    for expected in [
        rel("service:svc-12", "depends_on", "service:svc-13", json!({ "via": "consul", "intention": "allow" })),
        rel("service:svc-12", "depends_on", "service:svc-14", json!({ "via": "consul" })),
        rel("service:svc-2997", "depends_on", "service:svc-2999", json!({ "via": "consul" })),
        rel("service:svc-10", "intention", "service:svc-14", json!({ "action": "deny" })),
    ] {
        assert!(all.contains(&expected), "missing {expected:?}");
    }
    assert!(!obs.relations.iter().any(|r| r.from == "service:svc-11"), "svc-11 is not in the mesh");
}

/// Two datacenters behind one agent: each has one service of its own.
fn two_datacenters(request: &Recorded) -> Reply {
    let dc = request.param("dc").unwrap_or("none");
    let service = match dc {
        "dc1" => "web",
        "dc2" => "api",
        _ => return Reply::status(500, format!("Datacenter {dc} not known")),
    };
    match request.path.as_str() {
        "/v1/catalog/services" => Reply::json(format!(r#"{{"{service}": []}}"#)),
        "/v1/connect/intentions" | "/v1/catalog/connect/web" | "/v1/catalog/connect/api" => Reply::json("[]"),
        path if path == format!("/v1/health/service/{service}") => Reply::json(
            json!([{ "Node": { "Node": format!("{dc}-node") }, "Service": { "Tags": [], "Meta": {} }, "Checks": [] }])
                .to_string(),
        ),
        other => Reply::status(404, format!("no route {other}")),
    }
}

#[tokio::test]
async fn each_datacenter_is_a_scope_asked_for_with_dc() {
    let server = ReplayServer::start(two_datacenters).await;
    let mut config = config(&server.url);
    config.datacenters = vec!["dc1".into(), "dc2".into()];
    let collector = Consul::new(&config).unwrap();
    assert_eq!(collector.scopes(), ["dc1", "dc2"]);
    for (dc, key, node) in [("dc1", "service:web", "dc1-node"), ("dc2", "service:api", "dc2-node")] {
        let before = server.requests().len();
        let obs = collector.collect(dc, DAY).await.unwrap();
        assert_eq!(obs.scope, dc);
        assert_eq!(obs.entities.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), [key]);
        assert_eq!(obs.entities[0].attrs["nodes"], json!([node]));
        let asked = &server.requests()[before..];
        assert_eq!(asked.len(), 4);
        assert!(asked.iter().all(|r| r.param("dc") == Some(dc)), "{asked:?}");
    }
    let err = collector.collect("dc3", DAY).await.unwrap_err().to_string();
    assert_eq!(err, "consul: no scope 'dc3' is configured (configured: dc1, dc2)");
}

#[tokio::test]
async fn the_acl_token_is_sent_as_x_consul_token() {
    let server = ReplayServer::start(recorded).await;
    let mut config = config(&server.url);
    config.token_file = Some(token_file("b6c1e5a2-token"));
    collect(&config).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 7);
    for request in &requests {
        assert_eq!(request.header("x-consul-token"), Some("b6c1e5a2-token"), "{}", request.path);
        assert_eq!(request.header("authorization"), None);
    }
}

#[tokio::test]
async fn rejected_credentials_fail_the_run_saying_what_to_check() {
    let server = ReplayServer::start(|_: &Recorded| Reply::status(401, "")).await;
    let mut config = config(&server.url);
    config.token_env = Some("SPOT_TEST_CONSUL_TOKEN".into());
    std::env::set_var("SPOT_TEST_CONSUL_TOKEN", "c0nsul-s3cret-value");
    let err = collect(&config).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "Consul rejected the credentials (HTTP 401 on v1/catalog/services): check the ACL token in SPOT_TEST_CONSUL_TOKEN: \
         it must be a token this datacenter knows, with service:read and node:read on every service \
         (docs/collectors/consul.md has the policy)"
    );
    assert!(!err.contains("c0nsul-s3cret-value"), "the token leaked: {err}");
}

#[tokio::test]
async fn a_refused_listing_fails_the_run() {
    // Consul answers 403 "ACL not found" for a token it does not know.
    let server = ReplayServer::start(|_: &Recorded| Reply::status(403, "ACL not found")).await;
    let err = collect(&config(&server.url)).await.unwrap_err().to_string();
    assert!(
        err.starts_with("Consul refused access (HTTP 403 on v1/catalog/services): the credentials lack a permission"),
        "{err}"
    );
    assert!(err.contains("set token_env or token_file in [collectors.consul]"), "{err}");
    assert_eq!(server.requests().len(), 1, "nothing else is asked");
}

#[tokio::test]
async fn forbidden_or_missing_intentions_cost_only_their_attributes() {
    for (status, says) in [(403, "is forbidden to this token"), (404, "was not found")] {
        let server = ReplayServer::start(move |request: &Recorded| match request.path.as_str() {
            "/v1/connect/intentions" => Reply::status(status, "Permission denied"),
            _ => recorded(request),
        })
        .await;
        let obs = collect(&config(&server.url)).await.unwrap();
        assert_eq!(obs.entities.len(), 2);
        assert_eq!(
            relations(&obs),
            [rel("service:frontend", "depends_on", "service:backend", json!({ "via": "consul" }))]
        );
        assert_eq!(obs.warnings.len(), 1, "{:?}", obs.warnings);
        assert!(obs.warnings[0].starts_with(&format!("v1/connect/intentions {says}")), "{:?}", obs.warnings);
    }
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_as_retry_after_says() {
    let calls = AtomicUsize::new(0);
    let server = ReplayServer::start(move |request: &Recorded| {
        if request.path == "/v1/catalog/services" && calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::status(429, "rate limit exceeded").header("Retry-After", "1");
        }
        recorded(request)
    })
    .await;
    let started = std::time::Instant::now();
    let obs = collect(&fast(config(&server.url))).await.unwrap();
    assert_eq!(obs.entities.len(), 2);
    assert_eq!(server.count("/v1/catalog/services"), 2);
    assert!(started.elapsed() >= std::time::Duration::from_millis(950), "did not wait: {:?}", started.elapsed());
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let calls = AtomicUsize::new(0);
    let flaky = ReplayServer::start(move |request: &Recorded| {
        if request.path == "/v1/health/service/backend" && calls.fetch_add(1, Ordering::SeqCst) < 2 {
            return Reply::status(503, "No cluster leader");
        }
        recorded(request)
    })
    .await;
    let obs = collect(&fast(config(&flaky.url))).await.unwrap();
    assert_eq!(obs.entities.len(), 2);
    assert!(obs.unobserved.is_empty());
    assert_eq!(flaky.count("/v1/health/service/backend"), 3, "two 503s, then the answer");

    let down = ReplayServer::start(|_: &Recorded| Reply::status(500, "rpc error: No cluster leader")).await;
    let err = collect(&fast(config(&down.url))).await.unwrap_err().to_string();
    assert_eq!(err, "Consul: v1/catalog/services answered HTTP 500 after 3 attempts: rpc error: No cluster leader");
    assert_eq!(down.count("/v1/catalog/services"), 3);
}

#[tokio::test]
async fn one_unreadable_service_is_listed_and_the_rest_of_the_run_completes() {
    let server = ReplayServer::start(|request: &Recorded| match request.path.as_str() {
        "/v1/health/service/backend" => Reply::json(
            r#"[{"Node": {"Node": "node"}, "Service": {"Service": "backend"}, "Checks": "serfHealth: passing"}]"#,
        ),
        _ => recorded(request),
    })
    .await;
    let obs = collect(&config(&server.url)).await.unwrap();
    assert!(obs.complete);
    assert_eq!(obs.validate(), Ok(()));
    assert_eq!(obs.entities.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), ["service:frontend"]);
    assert_eq!(obs.unobserved, ["service:backend"], "its previous versions carry forward");
    assert_eq!(obs.warnings.len(), 1, "{:?}", obs.warnings);
    assert!(
        obs.warnings[0].starts_with(
            "service:backend: not read: Consul: v1/health/service/backend answered an unexpected shape at `[0].Checks`: invalid type: string"
        ),
        "{:?}",
        obs.warnings
    );
    // Relations to it are still observed: they belong to their sources.
    assert_eq!(relations(&obs).len(), 3);
}

#[tokio::test]
async fn credentials_rejected_midway_fail_the_whole_run() {
    let server = ReplayServer::start(|request: &Recorded| match request.path.as_str() {
        "/v1/health/service/frontend" => Reply::status(401, ""),
        _ => recorded(request),
    })
    .await;
    let err = collect(&config(&server.url)).await.unwrap_err().to_string();
    assert!(err.starts_with("Consul rejected the credentials (HTTP 401 on v1/health/service/frontend)"), "{err}");
}

#[tokio::test]
async fn an_unreadable_service_guesses_no_relations_from_intentions() {
    let server = ReplayServer::start(|request: &Recorded| match request.path.as_str() {
        "/v1/catalog/connect/frontend" => Reply::status(500, "boom"),
        _ => recorded(request),
    })
    .await;
    let obs = collect(&fast(config(&server.url))).await.unwrap();
    assert_eq!(obs.unobserved, ["service:frontend"]);
    assert!(
        obs.warnings[0].contains("v1/catalog/connect/frontend answered HTTP 500 after 3 attempts"),
        "{:?}",
        obs.warnings
    );
    assert_eq!(
        relations(&obs),
        [rel("service:admin", "intention", "service:backend", json!({ "action": "l7" }))],
        "frontend's relations carry forward rather than turn into intention relations"
    );
}

#[tokio::test]
async fn malformed_scope_wide_answers_fail_the_run_naming_endpoint_and_field() {
    let listing = ReplayServer::start(|request: &Recorded| match request.path.as_str() {
        "/v1/catalog/services" => Reply::json(r#"{"backend": [], "frontend": "v1"}"#),
        _ => recorded(request),
    })
    .await;
    let err = collect(&config(&listing.url)).await.unwrap_err().to_string();
    assert!(err.starts_with("Consul: v1/catalog/services answered an unexpected shape at `frontend`"), "{err}");

    let intentions = ReplayServer::start(|request: &Recorded| match request.path.as_str() {
        "/v1/connect/intentions" => Reply::json(r#"[{"SourceName": "a", "DestinationName": "b", "Action": "maybe"}]"#),
        _ => recorded(request),
    })
    .await;
    let err = collect(&config(&intentions.url)).await.unwrap_err().to_string();
    assert!(err.starts_with("Consul: v1/connect/intentions answered an unexpected shape at `[0].Action`"), "{err}");

    let not_json = ReplayServer::start(|_: &Recorded| Reply::json("<html>Consul Agent</html>")).await;
    let err = collect(&config(&not_json.url)).await.unwrap_err().to_string();
    assert!(err.contains("not valid JSON"), "{err}");
}

#[tokio::test]
async fn an_unreachable_agent_fails_the_run() {
    let err = collect(&fast(config(&closed_port_url()))).await.unwrap_err().to_string();
    assert!(err.starts_with("Consul at http://127.0.0.1:"), "{err}");
    assert!(err.contains("unreachable after 3 attempts (connection failed"), "{err}");
    assert!(err.ends_with("check base_url and that the host answers from here"), "{err}");
}

#[test]
fn bad_config_is_refused_with_its_field_named() {
    let err = toml::from_str::<Config>("base_url = \"http://x\"\ndatacenter = \"dc1\"").unwrap_err().to_string();
    assert!(err.contains("unknown field `datacenter`"), "{err}");
    let empty = toml::from_str::<Config>("base_url = \"http://127.0.0.1:8500\"").unwrap();
    assert_eq!(
        Consul::new(&empty).err().unwrap().to_string(),
        "collectors.consul: datacenters must list the datacenters to observe, e.g. datacenters = [\"dc1\"] \
         (the agent lists them at /v1/catalog/datacenters)"
    );
    let mut config = config("http://127.0.0.1:8500");
    config.token_env = Some("SPOT_TEST_SURELY_UNSET_CONSUL_TOKEN".into());
    assert_eq!(
        Consul::new(&config).err().unwrap().to_string(),
        "collectors.consul: collectors.consul token: environment variable SPOT_TEST_SURELY_UNSET_CONSUL_TOKEN is not set"
    );
    let err = Consul::new(&self::config("consul:8500")).err().unwrap().to_string();
    assert!(err.starts_with("Consul: base_url 'consul:8500' is not usable"), "{err}");
}
