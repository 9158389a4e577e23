//! Catalog hygiene over the GraphQL API, end to end over HTTP: what a
//! platform team cleans up, as of any day, and its counts over time.

#[path = "conformance/builder.rs"]
#[allow(dead_code)]
mod builder;
#[path = "support/graphql.rs"]
#[allow(dead_code)]
mod graphql;

use builder::{d, obs, Obs};
use graphql::Api;
use serde_json::{json, Value};
use spot::config::Config;
use spot::{SqliteStore, Store};

const SHOP: &str = "repo:github.com/acme/shop";
const WEB: &str = "repo:github.com/acme/web";

/// A service as the GitHub collector records its identity.
fn identity(path: &str, found_by: &[&str], named_by: &str, signal: &str) -> Value {
    json!({ "path": path, "found_by": found_by, "named_by": named_by, "signal": signal })
}

/// What GitHub sees on day `n`. Until day 3 two repositories claim the name
/// `frontend`: shop holds it, web's folder becomes `service:web/frontend`.
/// On day 3 web pins its service's name (`.spot.yaml`): `storefront`, and
/// billing gets an owner.
fn github(n: i32) -> Obs {
    let mut o = obs("github", "acme", n)
        .entity("team:shop", json!({}))
        .entity("team:web", json!({}))
        .entity(SHOP, json!({}))
        .entity(WEB, json!({}))
        .entity("repo:github.com/acme/billing", json!({}))
        .entity("repo:github.com/acme/tools", json!({"topics": ["service"]}))
        .entity("service:frontend", identity("frontend", &["dockerfile"], "folder", "build"))
        .relation(SHOP, "builds", "service:frontend", json!({"path": "frontend"}))
        .relation("team:shop", "owns", "service:frontend", json!({}))
        .entity("service:billing", identity("/", &["catalog-info", "dockerfile"], "catalog-info", "explicit"))
        .relation("repo:github.com/acme/billing", "builds", "service:billing", json!({"path": "/"}))
        .entity("service:tools", identity("/", &["repository"], "repository", "weak"))
        .relation("repo:github.com/acme/tools", "builds", "service:tools", json!({"path": "/"}))
        .relation("team:shop", "owns", "service:tools", json!({}))
        // Declared in shop's manifests for frontend, which shop builds: claimed.
        .entity("workload:declared/acme/shop/deploy/Deployment/frontend", json!({"purpose": "deploy"}))
        .relation(
            "service:frontend",
            "deploys",
            "workload:declared/acme/shop/deploy/Deployment/frontend",
            json!({"via": "declared"}),
        )
        // A test fixture and a bundled database name no service: no one's
        // to claim (docs/declared.md).
        .entity("workload:declared/acme/shop/e2e/Deployment/fake-bank", json!({"purpose": "test"}))
        .entity(
            "workload:declared/acme/shop/chart/Helm/shop-redis",
            json!({"purpose": "deploy", "role": "third-party"}),
        );
    if n < 3 {
        let mut lost = identity("frontend", &["dockerfile"], "folder", "build");
        lost["conflict"] = json!({
            "name": "frontend", "held_by": "service:frontend", "holder_repo": SHOP, "holder_path": "frontend",
            "repo": WEB, "path": "frontend", "reason": "older repository"
        });
        o = o
            .entity("service:web/frontend", lost)
            .relation(WEB, "builds", "service:web/frontend", json!({"path": "frontend"}))
            .relation("team:web", "owns", "service:web/frontend", json!({}));
    } else {
        o = o
            .entity("service:storefront", identity("frontend", &["spot-yaml", "dockerfile"], "spot-yaml", "explicit"))
            .relation(WEB, "builds", "service:storefront", json!({"path": "frontend"}))
            .relation("team:web", "owns", "service:storefront", json!({}))
            .relation("team:shop", "owns", "service:billing", json!({}));
    }
    o
}

/// Day 1 of the other sources: a debug shell nobody deploys, a legacy
/// gateway deployed (and registered in Consul) by a service no repository
/// builds, a SonarQube project bound to a repository and one bound to
/// nothing.
async fn seed(store: &dyn Store) {
    for n in [1, 3] {
        github(n).into(store).await;
    }
    obs("kubernetes", "dc1", 1)
        .entity("workload:dc1/shop/Deployment/frontend", json!({"version": "1.0.0"}))
        .relation("service:frontend", "deploys", "workload:dc1/shop/Deployment/frontend", json!({"via": "label"}))
        .entity("workload:dc1/ops/Deployment/debug-shell", json!({}))
        .entity("workload:dc1/edge/Deployment/legacy-gateway", json!({}))
        .relation("service:legacy-gateway", "deploys", "workload:dc1/edge/Deployment/legacy-gateway", json!({}))
        .into(store)
        .await;
    obs("sonarqube", "sonar", 1)
        .entity("sonar_project:acme_frontend", json!({"coverage": 80}))
        .relation("sonar_project:acme_frontend", "measures", "service:frontend", json!({"via": "binding"}))
        .entity("sonar_project:acme_web", json!({"coverage": 40}))
        .relation("sonar_project:acme_web", "measures", WEB, json!({"via": "binding"}))
        .entity("sonar_project:scratch", json!({}))
        .into(store)
        .await;
    obs("consul", "dc1", 1)
        .entity("service:frontend", json!({"instances": 3}))
        .entity("service:legacy-gateway", json!({"instances": 1}))
        .into(store)
        .await;
}

async fn start() -> Api {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    seed(&store).await;
    graphql::serve(&Config::default(), store, dir).await
}

/// `hygiene` on day `n` with the given selection.
async fn hygiene(api: &Api, n: i32, selection: &str) -> Value {
    api.data(&format!("{{ hygiene(at: \"{}\") {{ {selection} }} }}", d(n))).await["hygiene"].clone()
}

fn keys(list: &Value, field: &str) -> Vec<String> {
    let items = list.as_array().unwrap_or_else(|| panic!("a list: {list}"));
    items.iter().map(|item| item[field]["key"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identity_conflict_names_the_loser_the_name_and_both_claims() {
    let api = start().await;
    let found = hygiene(
        &api,
        1,
        "counts { identityConflicts } identityConflicts { service { key name } name heldBy holderRepo holderPath repo path reason }",
    )
    .await;
    assert_eq!(found["counts"]["identityConflicts"], 1);
    assert_eq!(
        found["identityConflicts"],
        json!([{
            "service": { "key": "service:web/frontend", "name": "web/frontend" },
            "name": "frontend", "heldBy": "service:frontend", "holderRepo": SHOP, "holderPath": "frontend",
            "repo": WEB, "path": "frontend", "reason": "older repository"
        }])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_no_built_service_deploys_is_unclaimed_and_says_why() {
    let api = start().await;
    let found = hygiene(
        &api,
        1,
        "counts { unclaimedWorkloads workloads } unclaimedWorkloads { workload { key } reason deployedBy }",
    )
    .await;
    assert_eq!(
        found["unclaimedWorkloads"],
        json!([
            { "workload": { "key": "workload:dc1/edge/Deployment/legacy-gateway" }, "reason": "SERVICE_NOT_BUILT",
              "deployedBy": ["service:legacy-gateway"] },
            { "workload": { "key": "workload:dc1/ops/Deployment/debug-shell" }, "reason": "NO_SERVICE", "deployedBy": [] }
        ]),
        "frontend's workload is deployed by a service shop builds, and so is its declared one; a test's and a bundled database's are no service's"
    );
    assert_eq!(found["counts"], json!({ "unclaimedWorkloads": 2, "workloads": 3 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sonarqube_project_that_measures_no_service_is_unclaimed() {
    let api = start().await;
    let found = hygiene(
        &api,
        1,
        "counts { unclaimedSonarProjects sonarProjects } unclaimedSonarProjects { project { key } repositories }",
    )
    .await;
    assert_eq!(
        found["unclaimedSonarProjects"],
        json!([
            { "project": { "key": "sonar_project:acme_web" }, "repositories": [WEB] },
            { "project": { "key": "sonar_project:scratch" }, "repositories": [] }
        ]),
        "acme_frontend measures a service; acme_web only its repository; scratch nothing"
    );
    assert_eq!(found["counts"], json!({ "unclaimedSonarProjects": 2, "sonarProjects": 3 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consul_service_no_repository_builds_is_unclaimed() {
    let api = start().await;
    let found = hygiene(&api, 1, "counts { unclaimedConsulServices } unclaimedConsulServices { key }").await;
    assert_eq!(found["unclaimedConsulServices"], json!([{ "key": "service:legacy-gateway" }]), "shop builds frontend");
    assert_eq!(found["counts"]["unclaimedConsulServices"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_no_team_owns_is_listed() {
    let api = start().await;
    let found = hygiene(&api, 1, "counts { unownedServices services } unownedServices { key }").await;
    assert_eq!(
        found["unownedServices"],
        json!([{ "key": "service:billing" }, { "key": "service:legacy-gateway" }]),
        "a service only Consul knows has no owner either"
    );
    assert_eq!(found["counts"], json!({ "unownedServices": 2, "services": 5 }));
    let later = hygiene(&api, 3, "unownedServices { key }").await;
    assert_eq!(later["unownedServices"], json!([{ "key": "service:legacy-gateway" }]), "shop owns billing from day 3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_found_only_by_a_weak_signal_is_listed() {
    let api = start().await;
    let found = hygiene(
        &api,
        1,
        "counts { weaklyFoundServices } weaklyFoundServices { key foundBy: attribute(path: \"found_by\", source: \"github\") }",
    )
    .await;
    assert_eq!(found["weaklyFoundServices"], json!([{ "key": "service:tools", "foundBy": ["repository"] }]));
    assert_eq!(found["counts"]["weaklyFoundServices"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hygiene_is_as_of_a_day_a_conflict_resolved_by_a_pin_is_gone_after() {
    let api = start().await;
    let conflicts = |found: &Value| keys(&found["identityConflicts"], "service");
    assert_eq!(conflicts(&hygiene(&api, 1, "identityConflicts { service { key } }").await), ["service:web/frontend"]);
    assert_eq!(conflicts(&hygiene(&api, 2, "identityConflicts { service { key } }").await), ["service:web/frontend"]);
    let day3 = hygiene(&api, 3, "at counts { identityConflicts } identityConflicts { service { key } }").await;
    assert_eq!(conflicts(&day3), Vec::<String>::new(), "web pinned its name on day 3");
    assert_eq!(day3["at"], d(3).to_string());
    let latest = hygiene_latest(&api).await;
    assert_eq!(latest["at"], d(3).to_string(), "without `at`, the latest day");
}

async fn hygiene_latest(api: &Api) -> Value {
    api.data("{ hygiene { at counts { identityConflicts } } }").await["hygiene"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hygiene_trend_counts_each_category_per_bucket() {
    let api = start().await;
    let query = format!(
        "{{ hygieneTrend(from: \"{}\", to: \"{}\", bucket: DAY) {{ bucket measuredOn counts {{ identityConflicts unclaimedWorkloads unclaimedSonarProjects unclaimedConsulServices unownedServices weaklyFoundServices services }} }} }}",
        d(1),
        d(3)
    );
    let points = api.data(&query).await["hygieneTrend"].clone();
    let count = |category: &str| -> Vec<i64> {
        points.as_array().unwrap().iter().map(|p| p["counts"][category].as_i64().unwrap()).collect()
    };
    assert_eq!(count("identityConflicts"), [1, 1, 0], "the conflict until web pinned its name");
    assert_eq!(count("unownedServices"), [2, 2, 1], "billing owned from day 3");
    assert_eq!(count("unclaimedWorkloads"), [2, 2, 2]);
    assert_eq!(count("unclaimedSonarProjects"), [2, 2, 2]);
    assert_eq!(count("unclaimedConsulServices"), [1, 1, 1]);
    assert_eq!(count("weaklyFoundServices"), [1, 1, 1]);
    assert_eq!(count("services"), [5, 5, 5], "web/frontend became storefront");
    assert_eq!(points[2]["bucket"], d(3).to_string());
    assert_eq!(points[2]["measuredOn"], d(3).to_string());

    let weekly = format!("{{ hygieneTrend(from: \"{}\", to: \"{}\") {{ measuredOn }} }}", d(1), d(3));
    let weekly = api.data(&weekly).await["hygieneTrend"].clone();
    assert_eq!(weekly.as_array().unwrap().last().unwrap()["measuredOn"], d(3).to_string(), "weeks by default");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hygiene_lists_and_trends_are_bounded() {
    let api = start().await;
    let first =
        hygiene(&api, 1, "counts { unclaimedWorkloads } unclaimedWorkloads(first: 1) { workload { key } }").await;
    assert_eq!(first["unclaimedWorkloads"].as_array().unwrap().len(), 1);
    assert_eq!(first["counts"]["unclaimedWorkloads"], 2, "counts count every finding, not the page");
    let too_many = api.error("{ hygiene { unownedServices(first: 501) { key } } }").await;
    assert!(too_many.contains("limits.page_size"), "{too_many}");
    let too_long = api
        .error(&format!("{{ hygieneTrend(from: \"2000-01-01\", to: \"{}\", bucket: DAY) {{ bucket }} }}", d(3)))
        .await;
    assert!(too_long.contains("limits.trend_buckets"), "{too_long}");
    let backwards = api.error(&format!("{{ hygieneTrend(from: \"{}\", to: \"{}\") {{ bucket }} }}", d(3), d(1))).await;
    assert!(backwards.contains("after"), "{backwards}");
}

#[tokio::test]
async fn a_hygiene_trend_stops_at_the_requests_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    github(1).into(&store).await;
    github(3).into(&store).await;
    // In process: the server's edge puts a deadline in every request's
    // data; this one has already passed.
    let schema = spot::api::schema(std::sync::Arc::new(store), spot::api::Limits::default());
    let query = format!("{{ hygieneTrend(from: \"{}\", to: \"{}\", bucket: DAY) {{ bucket }} }}", d(1), d(3));
    let request = async_graphql::Request::new(query).data(spot::api::Deadline(tokio::time::Instant::now()));
    let request = spot::api::request(&schema, request, spot::api::Grants::all("test"));
    let stopped = serde_json::to_value(schema.execute(request).await).unwrap();
    assert_eq!(stopped["errors"][0]["extensions"]["code"], "TIMEOUT", "{stopped:#}");
}
