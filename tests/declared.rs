//! Declared versus running (docs/declared.md), end to end: a repository of
//! the shapes real ones have (a release manifest, kustomize test overlays,
//! a stale `extras/` folder, a Job seeding a database with `postgres`, a
//! chart named `…-chart` bundling a database, a chart naming no service)
//! replayed by `spot backfill git`, two clusters the Kubernetes collector
//! saw, and the API read over HTTP: what runs, and what is only declared.

#[path = "support/git.rs"]
#[allow(dead_code)]
mod git;
#[path = "support/graphql.rs"]
#[allow(dead_code)]
mod graphql;
#[path = "support/shop.rs"]
mod shop;

use graphql::Api;
use serde_json::{json, Value};
use shop::DAY;
use spot::config::Config;
use spot::SqliteStore;

async fn start() -> Api {
    start_with(Config::default()).await
}

async fn start_with(config: Config) -> Api {
    let dir = tempfile::tempdir().unwrap();
    let path = shop::shop_store(dir.path()).await;
    graphql::serve(&config, SqliteStore::open(path).unwrap(), dir).await
}

async fn service(api: &Api, name: &str, selection: &str) -> Value {
    let query = format!("{{ service(name: \"{name}\", at: \"{DAY}\") {{ {selection} }} }}");
    api.data(&query).await["service"].clone()
}

fn rows(list: &Value, fields: &[&str]) -> Vec<Vec<String>> {
    let list = list.as_array().unwrap_or_else(|| panic!("a list: {list}"));
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    list.iter().map(|row| fields.iter().map(|f| text(&row[*f])).collect()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_versions_are_listed_with_their_files_and_purpose_never_as_deploys() {
    let api = start().await;
    let frontend = service(
        &api,
        "frontend",
        "deployedVersions { cluster version } declaredVersions { version file via purpose counted repository }",
    )
    .await;
    assert_eq!(
        rows(&frontend["deployedVersions"], &["cluster", "version"]),
        [["dc1", "v1.2.0"], ["dc2", "v1.1.0"]],
        "what runs: the two clusters, no cluster named after the organisation"
    );
    assert_eq!(
        rows(&frontend["declaredVersions"], &["version", "file", "via", "purpose", "counted"]),
        [
            ["v1.2.0", "kustomize", "kustomize", "deploy", "true"],
            ["v1.2.0", "release/kubernetes-manifests.yaml", "manifest", "deploy", "true"],
            ["v1.1.0", "kustomize/tests/istio", "kustomize", "test", "false"],
            ["v0.5.0", "extras/legacy/frontend.yaml", "manifest", "example", "false"],
        ],
        "meant to be deployed first, then the test overlay, then the stale extra: listed, not counted"
    );
    assert_eq!(frontend["declaredVersions"][0]["repository"], "acme/shop");

    let history = api
        .data(&format!(
            r#"{{ deployHistory(service: "frontend", from: "2024-01-01", to: "{DAY}") {{ cluster version source }} }}"#
        ))
        .await;
    let clusters: Vec<&str> =
        history["deployHistory"].as_array().unwrap().iter().map(|d| d["cluster"].as_str().unwrap()).collect();
    assert_eq!(clusters, ["dc1", "dc2"], "only the clusters' snapshots: {history}");
    let counts =
        api.data(&format!(r#"{{ deploysPerDay(from: "2024-01-01", to: "{DAY}") {{ cluster deploys }} }}"#)).await;
    let clusters: Vec<&str> =
        counts["deploysPerDay"].as_array().unwrap().iter().map(|c| c["cluster"].as_str().unwrap()).collect();
    assert!(clusters.iter().all(|c| ["dc1", "dc2"].contains(c)), "no deploys to the organisation: {clusters:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_and_delivery_count_only_what_ran() {
    let api = start().await;
    let found = api
        .data(&format!(
            r#"{{ versionDrift(at: "{DAY}") {{ service {{ key }} distinct versions {{ cluster version }} }}
                 dora(service: "frontend", to: "{DAY}") {{ overall {{ deploys bands {{ deploymentFrequency }} }} }} }}"#
        ))
        .await;
    assert_eq!(
        found["versionDrift"],
        json!([{ "service": { "key": "service:frontend" }, "distinct": 2,
                 "versions": [{ "cluster": "dc1", "version": "v1.2.0" }, { "cluster": "dc2", "version": "v1.1.0" }] }]),
        "the two clusters drift; four declared versions of frontend, and accounts-db's postgres Job, do not"
    );
    assert_eq!(
        found["dora"]["overall"],
        json!({ "deploys": 0, "bands": { "deploymentFrequency": null } }),
        "no deploy reported: nothing to band, not a LOW frequency"
    );
}

/// The scorecard SPoT ships asks for one version running across clusters:
/// what repositories declare is not running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_versions_running_rule_reads_only_what_runs() {
    let mut config = Config::default();
    config.scorecards.builtin = true;
    let api = start_with(config).await;
    let one_version = |found: &Value| {
        let rules = found["scores"][0]["rules"].as_array().unwrap().clone();
        rules.into_iter().find(|r| r["rule"] == "one-version").unwrap()["value"].clone()
    };
    let frontend = service(&api, "frontend", "scores { rules { rule value } }").await;
    assert_eq!(one_version(&frontend), "2", "v1.2.0 in dc1 and v1.1.0 in dc2; not the test overlay's nor the extra's");
    let db = service(&api, "accounts-db", "scores { rules { rule value } }").await;
    assert_eq!(one_version(&db), "0", "declared at v1.2.0, running nowhere");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charts_workload_deploys_from_the_service_its_image_belongs_to() {
    let api = start().await;
    let cart = service(&api, "cart", "declaredVersions { name version file via purpose role }").await;
    assert_eq!(
        rows(&cart["declaredVersions"], &["name", "version", "file", "via", "role"]),
        [["shop-cart-chart", "v1.2.0", "src/cart/chart/values.yaml", "helm", "service"]],
        "the chart's own image; its bundled DynamoDB is not a version of cart"
    );
    let nobody = api
        .data(&format!(
            r#"{{ chart: entity(key: "service:shop-cart-chart", at: "{DAY}") {{ key }}
                 stripped: entity(key: "service:shop-cart", at: "{DAY}") {{ key }}
                 dynamodb: entity(key: "service:dynamodb-local", at: "{DAY}") {{ key }}
                 workload: entity(key: "workload:declared/acme/shop/src/cart/chart/values.yaml/Helm/shop-cart-chart-dynamodb", at: "{DAY}") {{
                   role: attribute(path: "role") deployedBy: relations(direction: IN, kinds: ["deploys"]) {{ from }} }} }}"#
        ))
        .await;
    assert_eq!(
        nobody,
        json!({ "chart": null, "stripped": null, "dynamodb": null,
                "workload": { "role": "third-party", "deployedBy": [] } }),
        "no service named after the chart, and the bundled database is nobody's version"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jobs_postgres_image_is_not_the_databases_version() {
    let api = start().await;
    let db = service(&api, "accounts-db", "declaredVersions { name version counted }").await;
    assert_eq!(
        rows(&db["declaredVersions"], &["name", "version", "counted"]),
        [["accounts-db", "v1.2.0", "true"]],
        "the StatefulSet's own image; the populate Job's postgres:16.13-alpine is no version of it"
    );
    let redis = api.data(&format!(r#"{{ entity(key: "service:redis-cart", at: "{DAY}") {{ key }} }}"#)).await;
    assert_eq!(redis["entity"], Value::Null, "a labelled redis is no service of its own");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hygiene_flags_workloads_whose_service_does_not_exist() {
    let api = start().await;
    let found = api
        .data(&format!(
            r#"{{ hygiene(at: "{DAY}") {{ counts {{ unclaimedWorkloads workloads }}
                   unclaimedWorkloads {{ workload {{ key }} reason deployedBy declared }} }} }}"#
        ))
        .await;
    assert_eq!(
        found["hygiene"]["unclaimedWorkloads"],
        json!([
            { "workload": { "key": "workload:dc1/ops/Deployment/nowhere" }, "reason": "SERVICE_NOT_FOUND",
              "deployedBy": ["service:nowhere"], "declared": false },
            { "workload": { "key": "workload:declared/acme/shop/deploy/ghost/values.yaml/Helm/ghost-chart" },
              "reason": "SERVICE_NOT_FOUND", "deployedBy": ["service:ghost"], "declared": true },
        ]),
        "a running workload and a declared chart naming no service; not the bundled databases, tests or extras"
    );
    assert_eq!(found["hygiene"]["counts"], json!({ "unclaimedWorkloads": 2, "workloads": 3 }), "three run");
}

/// Every query docs/declared.md shows runs, on the shop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_queries_run() {
    let api = start().await;
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/declared.md")).unwrap();
    let queries: Vec<&str> = guide.split("```graphql\n").skip(1).map(|b| b.split("\n```").next().unwrap()).collect();
    assert_eq!(queries.len(), 2, "the guide's examples");
    let service = api.data(queries[0]).await;
    assert_eq!(service["service"]["declaredVersions"].as_array().unwrap().len(), 4, "{service}");
    let hygiene = api.data(queries[1]).await;
    assert_eq!(hygiene["hygiene"]["counts"]["unclaimedWorkloads"], 2, "{hygiene}");
}
