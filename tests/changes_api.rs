//! Change intelligence over HTTP (docs/changes.md): `changes` in words and
//! `changesAround`, against a real server on loopback over a SQLite store
//! holding a hand-built history (tests/support/changes_history.rs).

#[path = "support/changes_history.rs"]
mod changes_history;
#[path = "support/graphql.rs"]
#[allow(dead_code)] // each test binary uses its part
mod graphql;

use serde_json::{json, Value};
use spot::config::Config;

use changes_history::{history_store, AFTER, BEFORE};

async fn start() -> graphql::Api {
    let dir = tempfile::tempdir().unwrap();
    let store = history_store(dir.path()).await;
    let mut config = Config::default();
    config.server.metrics_access = spot::config::MetricsAccess::Open;
    graphql::serve(&config, store, dir).await
}

const NODE: &str = "title service significance changeKind moved { path before after } key";

async fn changes(api: &graphql::Api, filters: &str) -> Value {
    let query = format!(
        "{{ changes(from: \"{BEFORE}\", to: \"{AFTER}\"{filters}) {{ totalCount groups {{ service count }} edges {{ cursor node {{ {NODE} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    );
    api.data(&query).await["changes"].clone()
}

fn titled<'a>(page: &'a Value, title: &str) -> &'a Value {
    let edges = page["edges"].as_array().unwrap();
    let titles: Vec<&str> = edges.iter().filter_map(|e| e["node"]["title"].as_str()).collect();
    &edges.iter().find(|e| e["node"]["title"] == title).unwrap_or_else(|| panic!("no '{title}' in {titles:#?}"))["node"]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_has_a_title_its_service_and_before_after() {
    let api = start().await;
    let page = changes(&api, "").await;
    let version = titled(&page, "checkout: 2.3.1 → 2.4.0 in eu-west");
    assert_eq!(version["service"], "service:checkout");
    assert_eq!(
        (version["changeKind"].as_str(), version["significance"].as_str()),
        (Some("VERSION"), Some("SIGNIFICANT"))
    );
    assert_eq!(version["moved"], json!([{ "path": "version", "before": "2.3.1", "after": "2.4.0" }]));
    let owner = titled(&page, "payments: owner team-core → team-billing");
    assert_eq!((owner["service"].as_str(), owner["changeKind"].as_str()), (Some("service:payments"), Some("OWNER")));
    let coverage = titled(&page, "ledger: coverage 71 % → 64 %");
    assert_eq!(coverage["service"], "service:ledger", "sonar project → repository → service");
    assert_eq!(coverage["significance"], "SIGNIFICANT", "7 points is over the 5-point rule");
    let gate = titled(&page, "search-api: quality gate passed → failed");
    assert_eq!(gate["changeKind"], "GATE");
    let dependency = titled(&page, "cart now depends on redis-cache");
    assert_eq!(
        (dependency["service"].as_str(), dependency["changeKind"].as_str()),
        (Some("service:cart"), Some("DEPENDENCY"))
    );
    let left_pad = titled(&page, "left-pad 1.1 → 1.3 in 2 services");
    assert_eq!(left_pad["service"], Value::Null, "two services: no single one");
    let replicas = titled(&page, "payments: replicas 2 → 5 in eu-west");
    assert_eq!(replicas["significance"], "MINOR", "5 is within the autoscaler's 2–6");
    let page_edit = titled(&page, "payments: page 100008 edited");
    assert_eq!(page_edit["significance"], "MINOR");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_by_team_kind_and_significance_and_groups_by_service() {
    let api = start().await;
    let billing = changes(&api, ", team: \"team-billing\"").await;
    let services: Vec<&Value> = billing["edges"].as_array().unwrap().iter().map(|e| &e["node"]["service"]).collect();
    assert!(!services.is_empty() && services.iter().all(|s| *s == "service:payments"), "{billing:#}");
    let minor = changes(&api, ", significance: MINOR").await;
    let titles: Vec<&str> =
        minor["edges"].as_array().unwrap().iter().map(|e| e["node"]["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"payments: replicas 2 → 5 in eu-west"), "{titles:#?}");
    assert!(!titles.contains(&"checkout: 2.3.1 → 2.4.0 in eu-west"), "{titles:#?}");
    let versions = changes(&api, ", changeKinds: [VERSION]").await;
    let kinds: Vec<&Value> = versions["edges"].as_array().unwrap().iter().map(|e| &e["node"]["changeKind"]).collect();
    assert!(kinds.iter().all(|k| *k == "VERSION") && kinds.len() >= 2, "{versions:#}");
    let grouped = changes(&api, ", groupByService: true").await;
    let groups = grouped["groups"].as_array().unwrap();
    let payments = groups.iter().find(|g| g["service"] == "service:payments").unwrap();
    let in_payments =
        grouped["edges"].as_array().unwrap().iter().filter(|e| e["node"]["service"] == "service:payments").count();
    assert_eq!(payments["count"].as_u64().unwrap() as usize, in_payments);
    // Grouped: every service's changes are together.
    let order: Vec<String> =
        grouped["edges"].as_array().unwrap().iter().map(|e| e["node"]["service"].to_string()).collect();
    let mut seen: Vec<&String> = Vec::new();
    for service in &order {
        if seen.last() != Some(&service) {
            assert!(!seen.contains(&service), "{service} comes back after another group: {order:#?}");
            seen.push(service);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyset_pages_cover_every_change_once() {
    let api = start().await;
    let all = changes(&api, "").await;
    let total = all["totalCount"].as_u64().unwrap() as usize;
    let mut keys = Vec::new();
    let mut after = String::new();
    loop {
        let page = changes(&api, &format!(", first: 3{after}")).await;
        keys.extend(page["edges"].as_array().unwrap().iter().map(|e| e["cursor"].as_str().unwrap().to_string()));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = format!(", after: {}", page["pageInfo"]["endCursor"]);
    }
    assert_eq!(keys.len(), total);
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, keys, "cursors are the order's keys, each once");
}

const AROUND: &str = "services { service hops path } events { at event service hops path title kind significance suspicion deploy { status } }";

async fn around(api: &graphql::Api, order: &str) -> Value {
    let query = format!(
        "{{ changesAround(service: \"checkout\", from: \"2026-03-02T00:00:00Z\", to: \"2026-03-02T12:00:00Z\", depth: 1, order: {order}) {{ {AROUND} }} }}"
    );
    api.data(&query).await["changesAround"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn around_a_service_ties_each_change_to_it_by_hops_and_path() {
    let api = start().await;
    let found = around(&api, "TIME").await;
    let services: Vec<(&str, u64)> = found["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["service"].as_str().unwrap(), s["hops"].as_u64().unwrap()))
        .collect();
    assert_eq!(services, vec![("service:checkout", 0), ("service:frontend", 1), ("service:payments", 1)]);
    let events = found["events"].as_array().unwrap();
    let times: Vec<&str> = events.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "oldest first");
    let find = |title: &str| {
        events.iter().find(|e| e["title"] == title).unwrap_or_else(|| panic!("no '{title}' in {found:#}"))
    };
    let owner = find("payments: owner team-core → team-billing");
    assert_eq!((owner["hops"].as_u64(), owner["event"].as_str()), (Some(1), Some("SNAPSHOT")));
    assert_eq!(owner["path"], json!(["service:checkout", "service:payments"]));
    let failed = find("payments: deploy failed 1.1 in eu-west");
    assert_eq!(failed["deploy"]["status"], "FAILED");
    assert_eq!(failed["at"], "2026-03-02T11:00:00+00:00");
    let version = find("checkout: 2.3.1 → 2.4.0 in eu-west");
    assert_eq!((version["hops"].as_u64(), version["path"].clone()), (Some(0), json!(["service:checkout"])));
    assert!(events.iter().all(|e| e["title"] != "cart now depends on redis-cache"), "cart is not a neighbour");
    assert!(events.iter().all(|e| e["title"] != "ledger: coverage 71 % → 64 %"), "ledger is two hops away");
    let deeper = api
        .data("{ changesAround(service: \"checkout\", from: \"2026-03-02T00:00:00Z\", to: \"2026-03-02T12:00:00Z\", depth: 2, direction: DOWNSTREAM) { events { title hops path } } }")
        .await;
    let coverage = deeper["changesAround"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["title"] == "ledger: coverage 71 % → 64 %")
        .cloned();
    let coverage = coverage.unwrap_or_else(|| panic!("{deeper:#}"));
    assert_eq!(coverage["hops"], 2);
    assert_eq!(coverage["path"], json!(["service:checkout", "service:payments", "service:ledger"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn most_suspicious_first_puts_the_failed_deploy_then_the_config_change_first() {
    let api = start().await;
    let found = around(&api, "SUSPICION").await;
    let titles: Vec<&str> = found["events"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles[..3],
        [
            "payments: deploy failed 1.1 in eu-west",
            "payments: config changed in eu-west",
            "checkout: deploy succeeded 2.4.0 in eu-west"
        ],
        "{titles:#?}"
    );
    let scores: Vec<i64> =
        found["events"].as_array().unwrap().iter().map(|e| e["suspicion"].as_i64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_windows_and_depths_are_refused_with_a_reason() {
    let api = start().await;
    let deep = api.error("{ changesAround(service: \"checkout\", depth: 4) { events { title } } }").await;
    assert!(deep.contains("depth must be 1 to 3"), "{deep}");
    let backwards = api
        .error("{ changesAround(service: \"checkout\", from: \"2026-03-02T12:00:00Z\", to: \"2026-03-02T00:00:00Z\") { events { title } } }")
        .await;
    assert!(backwards.contains("must run forward"), "{backwards}");
}
