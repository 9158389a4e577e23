//! The GraphQL API end to end, over real HTTP on loopback: every query, the
//! mutations, auth scopes, each limit, and bad input.

#[path = "conformance/builder.rs"]
#[allow(dead_code)]
mod builder;
#[path = "support/graphql.rs"]
mod graphql;

use std::sync::Arc;

use builder::{d, obs};
use graphql::Api;
use serde_json::{json, Value};
use spot::api::auth::{Scope, TokenConfig};
use spot::config::Config;
use spot::server::Server;
use spot::{SqliteStore, Store};

/// A small organisation over five days: a release on day 3, a rollback on
/// day 5, quality that drops, a new service.
async fn seed(store: &dyn Store) {
    let github = |n, extra: bool| {
        let mut o = obs("github", "acme", n)
            .entity("team:payments", json!({"slack": "#payments"}))
            .entity("repo:github.com/acme/billing", json!({"language": "Go"}))
            .entity("service:billing", json!({"tier": 1}))
            .entity("service:ledger", json!({"tier": 2}))
            .relation("team:payments", "owns", "service:billing", json!({}))
            .relation("repo:github.com/acme/billing", "builds", "service:billing", json!({}))
            .relation("service:billing", "depends_on", "service:ledger", json!({"via": "declared"}))
            .relation("repo:github.com/acme/billing", "uses", "package:npm/left-pad", json!({"resolved": "1.3.0"}));
        if extra {
            o = o.entity("service:search", json!({"tier": 3})).relation(
                "service:search",
                "depends_on",
                "service:billing",
                json!({}),
            );
        }
        o
    };
    let k8s = |n, version: &str| {
        obs("kubernetes", "dc1", n)
            .entity("cluster:dc1", json!({"region": "eu-west"}))
            .entity("workload:dc1/payments/Deployment/billing", json!({"version": version, "replicas": {"desired": 3}}))
            .relation("service:billing", "deploys", "workload:dc1/payments/Deployment/billing", json!({}))
            .relation("workload:dc1/payments/Deployment/billing", "runs_in", "cluster:dc1", json!({}))
    };
    let sonar = |n, coverage: f64, gate: &str| {
        obs("sonarqube", "sonar", n)
            .entity(
                "sonar_project:acme_billing",
                json!({"coverage": coverage, "quality_gate": gate, "ncloc": 1200, "bugs": 2}),
            )
            .relation("sonar_project:acme_billing", "measures", "repo:github.com/acme/billing", json!({}))
    };
    for o in [github(1, false), k8s(1, "1.0.0"), sonar(1, 80.0, "OK")] {
        o.into(store).await;
    }
    obs("confluence", "ENG", 1)
        .entity("doc:confluence/1", json!({"title": "billing runbook"}))
        .relation("doc:confluence/1", "documents", "service:billing", json!({}))
        .into(store)
        .await;
    for o in [github(3, true), k8s(3, "1.1.0"), sonar(3, 75.0, "OK")] {
        o.into(store).await;
    }
    for o in [k8s(5, "1.0.0"), sonar(5, 40.0, "ERROR")] {
        o.into(store).await;
    }
}

async fn start(configure: impl FnOnce(&mut Config)) -> Api {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    seed(&store).await;
    let mut config = Config::default();
    configure(&mut config);
    graphql::serve(&config, store, dir).await
}

fn day(n: i32) -> String {
    d(n).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entity_as_of_any_day() {
    let api = start(|_| {}).await;
    let q = |n: i32| {
        format!(
            r#"{{ entity(key: "workload:dc1/payments/Deployment/billing", at: "{}") {{
            key kind name firstSeen lastSeen exists
            version: attribute(path: "version") desired: attribute(path: "replicas.desired")
            facts {{ source scope validFrom validTo }}
            relations(direction: OUT) {{ kind to toEntity {{ kind }} }}
        }} }}"#,
            day(n)
        )
    };
    let early = api.data(&q(2)).await;
    assert_eq!(early["entity"]["version"], "1.0.0");
    assert_eq!(early["entity"]["desired"], 3);
    assert_eq!(early["entity"]["firstSeen"], day(1));
    assert_eq!(early["entity"]["facts"][0]["validTo"], day(3));
    assert_eq!(early["entity"]["relations"][0]["toEntity"]["kind"], "cluster");
    let latest = api.data("{ entity(key: \"workload:dc1/payments/Deployment/billing\") { version: attribute(path: \"version\") facts { validTo } } }").await;
    assert_eq!(latest["entity"]["version"], "1.0.0");
    assert_eq!(latest["entity"]["facts"][0]["validTo"], Value::Null, "open versions have no end");
    let before = api.data(&format!("{{ entity(key: \"service:search\", at: \"{}\") {{ key }} }}", day(2))).await;
    assert_eq!(before["entity"], Value::Null, "not seen yet on day 2");
    assert_eq!(api.data("{ entity(key: \"service:nope\") { key } }").await["entity"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_page_has_everything_whatever_the_hops() {
    let api = start(|_| {}).await;
    let data = api
        .data(
            r#"{ service(name: "billing") {
                key owner { key } repository { key }
                quality { coverage qualityGate linesOfCode bugs project { key } }
                deployedVersions { cluster version source }
                docs { key } dependencies { key } dependents { key }
                entity { facts { source } }
            } }"#,
        )
        .await;
    let service = &data["service"];
    assert_eq!(service["owner"]["key"], "team:payments");
    assert_eq!(service["repository"]["key"], "repo:github.com/acme/billing");
    assert_eq!(service["quality"]["coverage"], 40.0);
    assert_eq!(service["quality"]["qualityGate"], "ERROR");
    assert_eq!(service["quality"]["project"]["key"], "sonar_project:acme_billing");
    assert_eq!(
        service["deployedVersions"],
        json!([{"cluster": "dc1", "version": "1.0.0", "source": "snapshot:kubernetes"}])
    );
    assert_eq!(service["docs"][0]["key"], "doc:confluence/1");
    assert_eq!(service["dependencies"], json!([{"key": "service:ledger"}]));
    assert_eq!(service["dependents"], json!([{"key": "service:search"}]));
    let by_key = api.data("{ service(name: \"service:billing\") { name } }").await;
    assert_eq!(by_key["service"]["name"], "billing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_by_name_kind_and_day() {
    let api = start(|_| {}).await;
    let found = api.data("{ search(text: \"bill\", kinds: [\"service\"]) { key } }").await;
    assert_eq!(found["search"], json!([{"key": "service:billing"}]));
    let all = api.data("{ search(text: \"billing\", first: 10) { kind } }").await;
    assert!(all["search"].as_array().unwrap().len() >= 3);
    let early = api.data(&format!("{{ search(text: \"search\", at: \"{}\") {{ key }} }}", day(1))).await;
    assert_eq!(early["search"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dependencies_in_every_direction() {
    let api = start(|_| {}).await;
    let out = api.data("{ dependencies(key: \"service:search\", depth: 2, kinds: [\"depends_on\"]) { nodes { entity { key } depth } edges { from to kind source } } }").await;
    let nodes: Vec<(String, i64)> = out["dependencies"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["entity"]["key"].as_str().unwrap().to_string(), n["depth"].as_i64().unwrap()))
        .collect();
    assert_eq!(nodes, [("service:search".into(), 0), ("service:billing".into(), 1), ("service:ledger".into(), 2)]);
    let who_breaks = api.data("{ dependencies(key: \"service:ledger\", depth: 3, direction: IN, kinds: [\"depends_on\"]) { nodes { entity { key } } } }").await;
    assert_eq!(who_breaks["dependencies"]["nodes"].as_array().unwrap().len(), 3);
    let impact = api
        .data(
            r#"{ dependencies(key: "package:npm/left-pad", depth: 3, rules: [
                {kind: "uses", direction: IN}, {kind: "builds", direction: OUT}, {kind: "depends_on", direction: IN}]) {
                nodes { entity { key } depth } } }"#,
        )
        .await;
    assert_eq!(impact["dependencies"]["nodes"].as_array().unwrap().len(), 4, "{impact}");
    let on_day_one = api
        .data(&format!(
            "{{ dependencies(key: \"service:ledger\", at: \"{}\", direction: IN) {{ nodes {{ entity {{ key }} }} }} }}",
            day(1)
        ))
        .await;
    assert_eq!(on_day_one["dependencies"]["nodes"].as_array().unwrap().len(), 2, "search did not exist yet");
}

/// Edges, nodes and search hits asked for plainly are written out without
/// async-graphql's per-field machinery; through a fragment they take the
/// general path. Both must give the same bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_and_general_selections_answer_alike() {
    let api = start(|_| {}).await;
    let node = "depth d: depth __typename entity { __typename key kind name at k: key }";
    let edge = "__typename kind from to source scope attrs validFrom validTo k: kind kind";
    let hit = "key kind name at __typename";
    let fact = "validTo source __typename scope attrs validFrom s: source";
    // One top-level field a request: async-graphql orders top-level fields
    // by when they finish.
    let queries = |node: &str, edge: &str, hit: &str, fact: &str| {
        [
            format!(
                r#"{{ dependencies(key: "service:search", depth: 3, direction: BOTH) {{ nodes {{ {node} }} edges {{ {edge} }} }} }}"#
            ),
            format!(r#"{{ entity(key: "service:billing") {{ relations(direction: BOTH) {{ {edge} }} }} }}"#),
            format!(r#"{{ search(text: "bill") {{ {hit} }} }}"#),
            format!(r#"{{ entity(key: "service:billing") {{ facts {{ {fact} }} }} }}"#),
        ]
    };
    let general = queries(
        &format!("... on Node {{ {node} }}"),
        &format!("... on Relation {{ {edge} }}"),
        &format!("... on Entity {{ {hit} }}"),
        &format!("... on Fact {{ {fact} }}"),
    );
    for (plain, general) in queries(node, edge, hit, fact).iter().zip(&general) {
        let (plain, general) = (api.raw(plain).await, api.raw(general).await);
        assert_eq!(plain, general);
        assert!(plain.len() > 100, "{plain}");
    }
    let edges = api.raw(&queries(node, edge, hit, fact)[0]).await;
    assert!(edges.contains(r#""attrs":{"via":"declared"}"#), "{edges}");
    assert!(edges.contains(r#""__typename":"Relation""#), "{edges}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeline_has_one_point_per_value() {
    let api = start(|_| {}).await;
    let data = api
        .data(&format!(
            "{{ timeline(key: \"workload:dc1/payments/Deployment/billing\", attribute: \"version\", from: \"{}\") {{ from to value source scope }} }}",
            day(0)
        ))
        .await;
    let points: Vec<(Value, Value, Value)> = data["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["from"].clone(), p["to"].clone(), p["value"].clone()))
        .collect();
    assert_eq!(
        points,
        [
            (json!(day(1)), json!(day(3)), json!("1.0.0")),
            (json!(day(3)), json!(day(5)), json!("1.1.0")),
            (json!(day(5)), Value::Null, json!("1.0.0"))
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_history_merges_snapshots_with_pushed_events() {
    let api = start(|_| {}).await;
    let at = format!("{}T14:30:00Z", day(3));
    let recorded = api
        .data(&format!(
            r#"mutation {{ recordDeployment(service: "billing", cluster: "dc1", version: "1.1.0", at: "{at}",
                link: "https://ci.acme.internal/run/42", actor: "orchestrator") {{ service at source }} }}"#
        ))
        .await;
    assert_eq!(recorded["recordDeployment"]["service"], "service:billing");
    let history = api
        .data(&format!(
            "{{ deployHistory(service: \"billing\", from: \"{}\") {{ cluster version at source link rollback }} }}",
            day(0)
        ))
        .await;
    let seen: Vec<(String, String, bool)> = history["deployHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["version"].as_str().unwrap().into(),
                d["source"].as_str().unwrap().into(),
                d["rollback"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("1.0.0".into(), "snapshot:kubernetes".into(), false),
            ("1.1.0".into(), "orchestrator".into(), false),
            ("1.0.0".into(), "snapshot:kubernetes".into(), true),
        ],
        "the event replaces the snapshot that saw 1.1.0 arrive; the return to 1.0.0 is a rollback"
    );
    assert_eq!(history["deployHistory"][1]["link"], "https://ci.acme.internal/run/42");
    let versions = api
        .data(&format!("{{ deployedVersions(service: \"billing\", at: \"{}\") {{ cluster version source }} }}", day(4)))
        .await;
    assert_eq!(versions["deployedVersions"][0]["version"], "1.1.0");
    let other = api.data("{ deployHistory(service: \"billing\", cluster: \"dc9\") { version } }").await;
    assert_eq!(other["deployHistory"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_paginated() {
    let api = start(|_| {}).await;
    let query = |after: &str| {
        format!(
            "{{ changes(from: \"{}\", to: \"{}\", first: 2{after}) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ change key kind isRelation sources entity {{ key }} relation {{ from to }} }} }} }} }}",
            day(1),
            day(5)
        )
    };
    let first = api.data(&query("")).await;
    let total = first["changes"]["totalCount"].as_i64().unwrap();
    assert_eq!(
        total, 3,
        "search added, its dependency added, quality changed; the rollback undid the release: {first:#}"
    );
    assert_eq!(first["changes"]["edges"].as_array().unwrap().len(), 2);
    assert_eq!(first["changes"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["changes"]["pageInfo"]["endCursor"].as_str().unwrap().to_string();
    let second = api.data(&query(&format!(", after: \"{cursor}\""))).await;
    assert_ne!(first["changes"]["edges"][0]["node"], second["changes"]["edges"][0]["node"]);
    let services = api
        .data(&format!(
            "{{ changes(from: \"{}\", kinds: [\"service\"]) {{ edges {{ node {{ change key }} }} }} }}",
            day(1)
        ))
        .await;
    assert_eq!(services["changes"]["edges"], json!([{"node": {"change": "ADDED", "key": "service:search"}}]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_and_trends_for_reporting() {
    let api = start(|_| {}).await;
    let runs = api.data(&format!("{{ runs(source: \"sonarqube\", from: \"{}\") {{ day status counts {{ changed unchanged }} attempts error }} }}", day(3))).await;
    assert_eq!(runs["runs"].as_array().unwrap().len(), 2);
    assert_eq!(runs["runs"][0]["day"], day(5));
    assert_eq!(runs["runs"][0]["counts"]["changed"], 1);
    let trend = api
        .data(&format!(
            r#"{{ trend(kind: "sonar_project", attribute: "coverage", from: "{}", to: "{}", bucket: DAY,
                groupBy: [{{kind: "measures", direction: OUT}}, {{kind: "owns", direction: IN}}]) {{ bucket group value count }} }}"#,
            day(1),
            day(5)
        ))
        .await;
    let values: Vec<Value> = trend["trend"].as_array().unwrap().iter().map(|p| p["value"].clone()).collect();
    assert_eq!(values, [json!(80.0), json!(80.0), json!(75.0), json!(75.0), json!(40.0)]);
    assert_eq!(trend["trend"][0]["group"], Value::Null, "repositories are owned through services here, not directly");
    let failing = api
        .data(&format!(
            r#"{{ trend(kind: "sonar_project", attribute: "quality_gate", aggregate: COUNT, equals: "ERROR", from: "{}", to: "{}", bucket: DAY) {{ value }} }}"#,
            day(4),
            day(5)
        ))
        .await;
    assert_eq!(failing["trend"], json!([{"value": 0.0}, {"value": 1.0}]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ingest_mutation_takes_the_observation_format() {
    let api = start(|_| {}).await;
    let observation = json!({"source": "pagerduty", "scope": "acme", "day": day(6), "complete": true,
        "entities": [{"key": "service:billing", "kind": "service", "name": "billing", "attrs": {"urgency": "high"}}]});
    let (_, body) = api
        .post(json!({"query": "mutation($o: JSON!) { ingest(observation: $o) { source day status counts { added } } }", "variables": {"o": observation}}), None)
        .await;
    assert_eq!(
        body["data"]["ingest"],
        json!({"source": "pagerduty", "day": day(6), "status": "complete", "counts": {"added": 1}})
    );
    let urgency =
        api.data("{ entity(key: \"service:billing\") { attribute(path: \"urgency\", source: \"pagerduty\") } }").await;
    assert_eq!(urgency["entity"]["attribute"], "high");
    let older = json!({"source": "pagerduty", "scope": "acme", "day": day(2), "complete": true});
    let (_, body) = api
        .post(
            json!({"query": "mutation($o: JSON!) { ingest(observation: $o) { day } }", "variables": {"o": older}}),
            None,
        )
        .await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("days move forward"), "{body}");
    let bad = json!({"source": "pagerduty", "scope": "acme", "day": day(7), "complete": true, "entities": [{"key": "nokind", "kind": "x", "name": "x"}]});
    let (_, body) = api
        .post(
            json!({"query": "mutation($o: JSON!) { ingest(observation: $o) { day } }", "variables": {"o": bad}}),
            None,
        )
        .await;
    assert!(
        body["errors"][0]["message"].as_str().unwrap().contains("entities[0].key: 'nokind' is not an entity key"),
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
}

/// Hardening item 1: the `ingest` mutation refuses a day beyond today plus
/// `ingest.max_future_days` (default 1), naming the day, today and the key;
/// the scope's latest day, and so every read's default day, is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ingest_mutation_refuses_a_future_date() {
    let api = start(|_| {}).await;
    let latest = api.data("{ latestDay }").await;
    let ingest = |day: &str| {
        let observation = json!({"source": "pagerduty", "scope": "acme", "day": day, "complete": true,
            "entities": [{"key": "service:billing", "kind": "service", "name": "billing", "attrs": {"urgency": "high"}}]});
        json!({"query": "mutation($o: JSON!) { ingest(observation: $o) { day } }", "variables": {"o": observation}})
    };
    let (_, body) = api.post(ingest("9999-12-31"), None).await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_else(|| panic!("accepted: {body}"));
    assert!(message.contains("refusing pagerduty/acme for 9999-12-31"), "{message}");
    assert!(message.contains("ingest.max_future_days"), "{message}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    assert_eq!(api.data("{ latestDay }").await, latest, "nothing was written");
    let today = spot::model::Day::today().to_string();
    let (_, body) = api.post(ingest(&today), None).await;
    assert_eq!(body["data"]["ingest"]["day"], today.as_str(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_clear_errors() {
    let api = start(|_| {}).await;
    assert!(api
        .error("{ entity(key: \"service:billing\", at: \"2024-02-30\") { key } }")
        .await
        .contains("'2024-02-30' is not a date"));
    for depth in [0, 99] {
        let message = api
            .error(&format!("{{ dependencies(key: \"service:billing\", depth: {depth}) {{ nodes {{ depth }} }} }}"))
            .await;
        assert_eq!(message, format!("depth must be between 1 and 10, got {depth}"));
    }
    assert_eq!(
        api.error("{ dependencies(key: \"service:nope\") { nodes { depth } } }").await,
        "no entity 'service:nope'"
    );
    let backwards = api
        .error(&format!(
            "{{ timeline(key: \"service:billing\", attribute: \"tier\", from: \"{}\", to: \"{}\") {{ value }} }}",
            day(5),
            day(1)
        ))
        .await;
    assert!(backwards.contains("is after"), "{backwards}");
    assert!(api
        .error(&format!("{{ runs(from: \"{}\", to: \"{}\") {{ day }} }}", day(5), day(1)))
        .await
        .contains("is after"));
    assert!(api
        .error("{ entity(key: \"service:billing\") { attribute(path: \"a..b\") } }")
        .await
        .contains("not an attribute path"));
    assert!(api.error("{ nope }").await.contains("Unknown field \"nope\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_limit_names_itself() {
    let api = start(|c| {
        c.limits.depth = 6;
        c.limits.complexity = 1_000_000;
        c.limits.page_size = 50;
        c.limits.trend_buckets = 10;
        c.server.body_limit_bytes = 2_000;
    })
    .await;
    let deep = "{ service(name: \"billing\") { entity { relations { toEntity { relations { toEntity { relations { kind } } } } } } } }";
    assert_eq!(api.error(deep).await, "query is nested deeper than 6 levels (limits.depth)");
    assert_eq!(
        api.error("{ search(text: \"a\", first: 51) { key } }").await,
        "first must be between 1 and 50 (limits.page_size), got 51"
    );
    let many = api
        .error(&format!(
            "{{ trend(kind: \"sonar_project\", attribute: \"coverage\", from: \"{}\", bucket: DAY) {{ value }} }}",
            "2020-01-01"
        ))
        .await;
    assert!(many.contains("at most 10 (limits.trend_buckets)"), "{many}");
    let (status, body) =
        api.post(json!({"query": format!("{{ search(text: \"{}\") {{ key }} }}", "x".repeat(3_000))}), None).await;
    assert_eq!(status, 413);
    assert_eq!(body["errors"][0]["message"], "request body is larger than 2000 bytes (server.body_limit_bytes)");

    let api = start(|c| c.limits.complexity = 60).await;
    let wide: String = (0..70).map(|i| format!("a{i}: latestDay ")).collect();
    assert_eq!(api.error(&format!("{{ {wide} }}")).await, "query is more complex than 60 (limits.complexity)");
    // Lists count by their size: a fan-out that nests shallowly is refused too.
    let fan_out = "{ search(text: \"a\", first: 50) { relations { kind } } }";
    assert_eq!(api.error(fan_out).await, "query is more complex than 60 (limits.complexity)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_fan_out_is_refused_by_the_default_limits() {
    let api = start(|_| {}).await;
    let hostile = "{ search(text: \"a\", first: 500) { relations { toEntity { relations { toEntity { key } } } } } }";
    assert_eq!(api.error(hostile).await, "query is more complex than 5000 (limits.complexity)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_request_is_cut_off_at_the_timeout() {
    let api = start(|c| c.server.request_timeout_ms = 1).await;
    let slow = format!("{{ trend(kind: \"sonar_project\", attribute: \"coverage\", from: \"{}\", to: \"{}\", bucket: DAY) {{ value }} }}", day(-300), day(5));
    assert_eq!(api.error(&slow).await, "request took longer than 1 ms (server.request_timeout_ms)");
}

fn token(name: &str, var: &str, scopes: &[Scope]) -> TokenConfig {
    TokenConfig { name: name.into(), scopes: scopes.to_vec(), token_env: Some(var.into()), token_file: None }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_tokens_grant_scopes() {
    std::env::set_var("SPOT_TEST_READER_TOKEN", "reader-token-0123456789");
    std::env::set_var("SPOT_TEST_WRITER_TOKEN", "writer-token-0123456789");
    let api = start(|c| {
        c.auth.tokens = vec![
            token("explorer", "SPOT_TEST_READER_TOKEN", &[Scope::Read]),
            token("orchestrator", "SPOT_TEST_WRITER_TOKEN", &[Scope::Read, Scope::Write]),
        ]
    })
    .await;
    let read = json!({"query": "{ latestDay }"});
    let (status, body) = api.post(read.clone(), None).await;
    assert_eq!(
        (status, body["errors"][0]["message"].as_str()),
        (401, Some("missing bearer token: send Authorization: Bearer <token>"))
    );
    let (status, _) = api.post(read.clone(), Some("wrong-token-0123456789")).await;
    assert_eq!(status, 401);
    let (status, body) = api.post(read, Some("reader-token-0123456789")).await;
    assert_eq!((status, &body["data"]["latestDay"]), (200, &json!(day(5))));
    let write = json!({"query": "mutation { recordDeployment(service: \"billing\", cluster: \"dc1\", version: \"2.0.0\") { version } }"});
    let (_, body) = api.post(write.clone(), Some("reader-token-0123456789")).await;
    assert_eq!(body["errors"][0]["message"], "this needs the 'write' scope; the token of 'explorer' has: read");
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let (_, body) = api.post(write, Some("writer-token-0123456789")).await;
    assert_eq!(body["data"]["recordDeployment"]["version"], "2.0.0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_tokens_only_loopback_is_served() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(tempfile::tempdir().unwrap().path().join("x.db")).unwrap());
    let mut config = Config::default();
    config.server.listen = "0.0.0.0:8080".parse().unwrap();
    let refused = Server::new(&config, store).err().expect("refused").to_string();
    assert!(refused.starts_with("refusing to listen on 0.0.0.0:8080 without tokens"), "{refused}");
    let mut config = Config::default();
    config.auth.tokens = vec![token("x", "SPOT_TEST_UNSET_TOKEN_VARIABLE", &[Scope::Read])];
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(tempfile::tempdir().unwrap().path().join("y.db")).unwrap());
    let missing = Server::new(&config, store).err().expect("refused").to_string();
    assert_eq!(missing, "auth.tokens: token 'x': environment variable SPOT_TEST_UNSET_TOKEN_VARIABLE is not set");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_metrics_and_graphiql() {
    let api = start(|c| c.server.metric_operations = vec!["BillingPage".into()]).await;
    api.data("query BillingPage { service(name: \"billing\") { key } }").await;
    let get = |path: &str| {
        let url = format!("{}{path}", api.url);
        let client = api.client.clone();
        async move {
            let response = client.get(url).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    assert_eq!(get("/healthz").await, (200, "ok\n".to_string()));
    assert_eq!(get("/readyz").await, (200, format!("ready: latest day {}\n", day(5))));
    let (status, metrics) = get("/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("spot_graphql_requests_total{operation=\"BillingPage\",outcome=\"ok\"} 1"), "{metrics}");
    assert!(metrics.contains("spot_store_call_duration_seconds_count{call=\"entity\"}"), "{metrics}");
    let (status, page) = get("/graphql").await;
    assert_eq!(status, 200);
    assert!(page.contains("graphiql"), "GraphiQL is served on GET");
}

#[test]
fn the_committed_sdl_is_current() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/spot.graphql")).unwrap();
    assert!(
        committed == spot::api::sdl(),
        "schema/spot.graphql is stale: regenerate it with `cargo run -- schema > schema/spot.graphql`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_guide_examples_run() {
    // The scorecards example reads the scorecard SPoT ships.
    let api = start(|config| config.scorecards.builtin = true).await;
    publish_left_pad(&api, "1.4.2").await;
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md")).unwrap();
    let mut examples = 0;
    for block in guide.split("```graphql\n").skip(1) {
        let query = block.split("\n```").next().unwrap();
        let data = api.data(query).await;
        assert!(data.as_object().is_some_and(|d| d.values().all(|v| !v.is_null())), "{query}\n{data:#}");
        examples += 1;
    }
    assert!(examples >= 10, "only {examples} examples found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_guide_says_what_a_package_query_answers() {
    let api = start(|_| {}).await;
    publish_left_pad(&api, "1.4.2").await;
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md")).unwrap();
    let (_, example) = guide.split_once("```graphql\n{\n  package(").expect("the guide has a package example");
    let (query, rest) = example.split_once("\n```").unwrap();
    let (_, answer) = rest.split_once("```json\n").expect("followed by its answer");
    let answer: Value = serde_json::from_str(answer.split_once("\n```").unwrap().0).unwrap();
    assert_eq!(api.data(&format!("{{\n  package({query}")).await, answer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_document_is_answered_afresh_for_each_request() {
    let api = start(|_| {}).await;
    let query = "query Version($at: Date) { entity(key: \"workload:dc1/payments/Deployment/billing\", at: $at) { v: attribute(path: \"version\") } }";
    for (n, version) in [(2, "1.0.0"), (4, "1.1.0"), (2, "1.0.0")] {
        let (_, body) = api.post(json!({"query": query, "variables": {"at": day(n)}}), None).await;
        assert_eq!(body["data"]["entity"]["v"], version, "parsed documents are cached, answers are not");
    }
    let (_, body) = api.post(json!({"query": query, "variables": {"at": "yesterday"}}), None).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("'yesterday' is not a date"), "{body}");
}

/// A second cluster whose collector recorded ReplicaSet rollouts.
async fn add_second_cluster(api: &Api) {
    let observation = json!({
        "source": "kubernetes", "scope": "dc2", "day": day(5), "complete": true,
        "entities": [
            { "key": "cluster:dc2", "kind": "cluster", "name": "dc2", "attrs": { "datacenter": "us-east" } },
            { "key": "workload:dc2/payments/Deployment/billing", "kind": "workload", "name": "billing", "attrs": {
                "version": "1.1.0",
                "rollouts": [
                    { "revision": 1, "version": "1.0.0", "created": format!("{}T08:00:00Z", day(1)) },
                    { "revision": 2, "version": "1.1.0", "created": format!("{}T15:30:00Z", day(4)) }
                ]
            } }
        ],
        "relations": [
            { "from": "service:billing", "to": "workload:dc2/payments/Deployment/billing", "kind": "deploys" },
            { "from": "workload:dc2/payments/Deployment/billing", "to": "cluster:dc2", "kind": "runs_in" }
        ]
    });
    let (_, body) = api
        .post(json!({"query": "mutation($o: JSON!) { ingest(observation: $o) { status } }", "variables": {"o": observation}}), None)
        .await;
    assert_eq!(body["data"]["ingest"]["status"], "complete", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_per_datacenter_rollout_times_and_drift() {
    let api = start(|_| {}).await;
    add_second_cluster(&api).await;

    let drift = api
        .data(&format!(
            "{{ versionDrift(at: \"{}\") {{ service {{ key }} versions {{ cluster version }} distinct }} }}",
            day(5)
        ))
        .await;
    assert_eq!(
        drift["versionDrift"],
        json!([{ "service": { "key": "service:billing" }, "distinct": 2,
                 "versions": [{ "cluster": "dc1", "version": "1.0.0" }, { "cluster": "dc2", "version": "1.1.0" }] }])
    );
    let same = api.data(&format!("{{ versionDrift(at: \"{}\") {{ distinct }} }}", day(3))).await;
    assert_eq!(same["versionDrift"], json!([]), "one cluster on day 3: no drift");

    let running = api
        .data(&format!(
            "{{ deployedVersions(service: \"billing\", at: \"{}\") {{ cluster datacenter version since source }} }}",
            day(5)
        ))
        .await;
    assert_eq!(running["deployedVersions"][0]["datacenter"], "eu-west");
    assert_eq!(
        running["deployedVersions"][1],
        json!({ "cluster": "dc2", "datacenter": "us-east", "version": "1.1.0",
                "since": format!("{}T15:30:00+00:00", day(4)), "source": "rollout:kubernetes" })
    );

    let history = api
        .data(&format!(
            "{{ deployHistory(service: \"billing\", cluster: \"dc2\", from: \"{}\", to: \"{}\") {{ version at source rollback }} }}",
            day(1),
            day(5)
        ))
        .await;
    assert_eq!(
        history["deployHistory"],
        json!([
            { "version": "1.0.0", "at": format!("{}T08:00:00+00:00", day(1)), "source": "rollout:kubernetes", "rollback": false },
            { "version": "1.1.0", "at": format!("{}T15:30:00+00:00", day(4)), "source": "rollout:kubernetes", "rollback": false }
        ]),
        "rollouts from before the first snapshot, and the exact time instead of the snapshot's day"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_count_what_lives_on_a_day() {
    let api = start(|_| {}).await;
    let figures = |n: i32| format!("{{ figures(at: \"{}\") {{ kind count }} }}", day(n));
    let first = api.data(&figures(1)).await;
    let count = |data: &Value, kind: &str| {
        data["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["kind"] == kind)
            .map_or(0, |f| f["count"].as_i64().unwrap())
    };
    assert_eq!(count(&first, "service"), 2, "billing and ledger: {first:#}");
    assert_eq!(count(&first, "team"), 1);
    assert_eq!(count(&first, "package"), 0, "left-pad is only the end of a relation, no source describes it");
    let later = api.data(&figures(3)).await;
    assert_eq!(count(&later, "service"), 3, "search is new on day 3");
    assert_eq!(count(&api.data(&figures(0)).await, "service"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_summarise_every_page_by_kind() {
    let api = start(|_| {}).await;
    let data = api
        .data(&format!(
            "{{ changes(from: \"{}\", to: \"{}\", first: 1) {{ totalCount summary {{ kind change isRelation count }} }} }}",
            day(1),
            day(5)
        ))
        .await;
    assert_eq!(
        data["changes"]["summary"],
        json!([
            {"kind": "service", "change": "ADDED", "isRelation": false, "count": 1},
            {"kind": "sonar_project", "change": "CHANGED", "isRelation": false, "count": 1},
            {"kind": "depends_on", "change": "ADDED", "isRelation": true, "count": 1}
        ]),
        "entities first, and the counts cover all pages, not the first one"
    );
}

/// A package registry's view of left-pad from day 5: its latest version.
async fn publish_left_pad(api: &Api, latest: &str) {
    let observation = json!({
        "source": "registry", "scope": "npm", "day": day(5), "complete": true,
        "entities": [{ "key": "package:npm/left-pad", "kind": "package", "name": "left-pad", "attrs": { "latest": latest } }]
    });
    let (_, body) = api
        .post(json!({"query": "mutation($o: JSON!) { ingest(observation: $o) { status } }", "variables": {"o": observation}}), None)
        .await;
    assert_eq!(body["data"]["ingest"]["status"], "complete", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outdated_dependencies_count_uses_behind_the_latest_version() {
    let api = start(|_| {}).await;
    publish_left_pad(&api, "1.4.2").await;
    let query = |from: i32, group: &str| {
        format!(
            "{{ outdatedDependencies(from: \"{}\", to: \"{}\", bucket: DAY{group}) {{ bucket measuredOn group uses outdated major minor patch }} }}",
            day(from),
            day(5)
        )
    };
    let data = api.data(&query(4, "")).await;
    assert_eq!(
        data["outdatedDependencies"],
        json!([{"bucket": day(5), "measuredOn": day(5), "group": null, "uses": 1, "outdated": 1, "major": 0, "minor": 1, "patch": 0}]),
        "billing resolves 1.3.0; before day 5 no latest version was known, so day 4 has no point"
    );
    let grouped = api.data(&query(5, ", groupBy: [{kind: \"builds\", direction: OUT}]")).await;
    assert_eq!(
        grouped["outdatedDependencies"][0]["group"], "service:billing",
        "grouped through the repository's service"
    );
    assert!(api
        .error(&format!("{{ outdatedDependencies(from: \"{}\", to: \"{}\") {{ uses }} }}", day(5), day(1)))
        .await
        .contains("after"));
}

/// Another collector's view of billing's packages on day 5, in ecosystems
/// whose versions are not semver: uses with their resolved versions, and
/// each package's latest.
async fn use_packages_of_other_ecosystems(api: &Api) {
    let uses = [
        ("package:pypi/requests", "2.0rc1", "2.0"),
        ("package:maven/com.acme:lib", "1.0-SNAPSHOT", "1.0"),
        ("package:pypi/tool", "1!1.0", "2.0"),
        ("package:nuget/Acme.Lib", "4.0.0.1", "4.0.0.2"),
        ("package:maven/com.acme:meta", "RELEASE", "1.0"),
    ];
    let observation = json!({
        "source": "manifests", "scope": "acme", "day": day(5), "complete": true,
        "entities": uses.iter().map(|(key, _, latest)| json!({
            "key": key, "kind": "package", "name": key.rsplit('/').next().unwrap(), "attrs": { "latest": latest }
        })).collect::<Vec<_>>(),
        "relations": uses.iter().map(|(key, resolved, _)| json!({
            "from": "repo:github.com/acme/billing", "to": key, "kind": "uses", "attrs": { "resolved": resolved }
        })).collect::<Vec<_>>(),
    });
    let (_, body) = api
        .post(json!({"query": "mutation($o: JSON!) { ingest(observation: $o) { status } }", "variables": {"o": observation}}), None)
        .await;
    assert_eq!(body["data"]["ingest"]["status"], "complete", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outdated_dependencies_judge_each_ecosystem_by_its_own_versions() {
    let api = start(|_| {}).await;
    use_packages_of_other_ecosystems(&api).await;
    let data = api
        .data(&format!(
            "{{ outdatedDependencies(from: \"{0}\", to: \"{0}\", bucket: DAY) {{ uses outdated major minor patch }} }}",
            day(5)
        ))
        .await;
    // Read as semver, 2.0rc1, 1.0-SNAPSHOT and 4.0.0.1 were up to date and
    // the epoch 1!1.0 was a major behind.
    assert_eq!(
        data["outdatedDependencies"],
        json!([{"uses": 4, "outdated": 3, "major": 0, "minor": 0, "patch": 3}]),
        "a PEP 440 prerelease, a Maven snapshot and NuGet's fourth number are a patch behind; a later epoch \
         is ahead; Maven's RELEASE is no release and is not counted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_use_says_how_far_behind_with_the_latest_known_on_the_day() {
    let api = start(|_| {}).await;
    publish_left_pad(&api, "1.4.2").await;
    let uses = |n: i32| {
        format!(
            "{{ entity(key: \"repo:github.com/acme/billing\", at: \"{}\") {{ relations {{ kind to behind }} }} }}",
            day(n)
        )
    };
    let on = |data: &Value, kind: &str| -> Vec<Value> {
        let relations = data["entity"]["relations"].as_array().unwrap();
        relations.iter().filter(|r| r["kind"] == kind).map(|r| r["behind"].clone()).collect()
    };
    let before = api.data(&uses(4)).await;
    assert_eq!(on(&before, "uses"), [json!("UNKNOWN")], "no latest version known on day 4");
    let after = api.data(&uses(5)).await;
    assert_eq!(
        on(&after, "uses"),
        [json!("MINOR")],
        "the use recorded on day 1 is judged against the latest a registry reported on day 5"
    );
    assert_eq!(on(&after, "builds"), [Value::Null], "only uses have a version to judge");

    let package = api
        .data(&format!(
            "{{ package(key: \"package:npm/left-pad\", at: \"{}\") {{ key ecosystem latest versions {{ version behind uses }} }} }}",
            day(5)
        ))
        .await;
    assert_eq!(
        package["package"],
        json!({ "key": "package:npm/left-pad", "ecosystem": "npm", "latest": "1.4.2",
                "versions": [{ "version": "1.3.0", "behind": "MINOR", "uses": 1 }] })
    );
    let unseen = api.data(&format!("{{ package(key: \"package:npm/left-pad\", at: \"{}\") {{ key }} }}", day(4))).await;
    assert_eq!(unseen["package"], Value::Null, "no source described left-pad before day 5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_lists_its_versions_in_its_ecosystem_order() {
    let api = start(|_| {}).await;
    use_packages_of_other_ecosystems(&api).await;
    // More uses of the Maven packages, from the services of billing's monorepo.
    let observation = json!({
        "source": "monorepo", "scope": "acme", "day": day(5), "complete": true,
        "entities": [],
        "relations": [
            { "from": "service:billing", "to": "package:maven/com.acme:lib", "kind": "uses", "attrs": { "resolved": "1.0.1" } },
            { "from": "service:ledger", "to": "package:maven/com.acme:lib", "kind": "uses", "attrs": { "resolved": "1.0-alpha-1" } },
            { "from": "service:ledger", "to": "package:maven/com.acme:meta", "kind": "uses", "attrs": { "spec": "[1.0,)" } }
        ]
    });
    let (_, body) = api
        .post(json!({"query": "mutation($o: JSON!) { ingest(observation: $o) { status } }", "variables": {"o": observation}}), None)
        .await;
    assert_eq!(body["data"]["ingest"]["status"], "complete", "{body}");
    let versions = |key: &str| {
        format!(
            "{{ package(key: \"{key}\", at: \"{}\") {{ ecosystem latest versions {{ version behind uses }} }} }}",
            day(5)
        )
    };
    let lib = api.data(&versions("package:maven/com.acme:lib")).await;
    assert_eq!(
        lib["package"],
        json!({ "ecosystem": "maven", "latest": "1.0", "versions": [
            { "version": "1.0.1", "behind": "AHEAD", "uses": 1 },
            { "version": "1.0-SNAPSHOT", "behind": "PATCH", "uses": 1 },
            { "version": "1.0-alpha-1", "behind": "PATCH", "uses": 1 }
        ] }),
        "newest first by Maven's ordering (a snapshot after an alpha, both before the release)"
    );
    let meta = api.data(&versions("package:maven/com.acme:meta")).await;
    assert_eq!(
        meta["package"]["versions"],
        json!([{ "version": "RELEASE", "behind": "UNKNOWN", "uses": 1 }, { "version": null, "behind": "UNKNOWN", "uses": 1 }]),
        "what is not a release comes after the releases, the uses without a version last"
    );
    let pypi = api.data(&versions("package:pypi/tool")).await;
    assert_eq!(pypi["package"]["versions"], json!([{ "version": "1!1.0", "behind": "AHEAD", "uses": 1 }]));
    let relations = api
        .data(&format!(
            "{{ entity(key: \"service:ledger\", at: \"{}\") {{ relations(kinds: [\"uses\"]) {{ to behind }} }} }}",
            day(5)
        ))
        .await;
    assert_eq!(
        relations["entity"]["relations"],
        json!([
            { "to": "package:maven/com.acme:lib", "behind": "PATCH" },
            { "to": "package:maven/com.acme:meta", "behind": "UNKNOWN" }
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploys_per_day_count_each_cluster_with_rollbacks() {
    let api = start(|_| {}).await;
    let data = api
        .data(&format!(
            "{{ deploysPerDay(from: \"{}\", to: \"{}\") {{ day cluster datacenter deploys rollbacks }} }}",
            day(1),
            day(5)
        ))
        .await;
    assert_eq!(
        data["deploysPerDay"],
        json!([
            {"day": day(1), "cluster": "dc1", "datacenter": "eu-west", "deploys": 1, "rollbacks": 0},
            {"day": day(3), "cluster": "dc1", "datacenter": "eu-west", "deploys": 1, "rollbacks": 0},
            {"day": day(5), "cluster": "dc1", "datacenter": "eu-west", "deploys": 1, "rollbacks": 1}
        ]),
        "the first rollout, the release, the rollback"
    );
    let too_long = api.error(&format!("{{ deploysPerDay(from: \"2000-01-01\", to: \"{}\") {{ day }} }}", day(5))).await;
    assert!(too_long.contains("limits.trend_buckets"), "{too_long}");
}
