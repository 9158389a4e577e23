//! Links to logs, dashboards, runbooks and CI (docs/links.md), end to end:
//! a real spot.toml's `[links]` through `spot config check`, the links a
//! `catalog-info.yaml` declares through a backfill into the store, and the
//! API rendering templates and declared links on services, workloads and
//! deploys over HTTP.

#[path = "conformance/builder.rs"]
#[allow(dead_code)]
mod builder;
#[path = "support/git.rs"]
#[allow(dead_code)]
mod git_repo;
#[path = "support/graphql.rs"]
#[allow(dead_code)]
mod graphql;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use builder::obs;
use chrono::{DateTime, Timelike, Utc};
use graphql::Api;
use serde_json::{json, Value};
use spot::config::Config;
use spot::links::{LinksConfig, TemplateConfig};
use spot::{SqliteStore, Store};

/// `spot config check --config spot.toml`, run in the folder of the file.
fn config_check(text: &str) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("spot.toml"), text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_spot"))
        .args(["config", "check", "--config", "spot.toml"])
        .current_dir(dir.path())
        .env("SPOT_LOG", "error")
        .output()
        .unwrap();
    (output, dir)
}

const GOOD: &str = r#"
[links]
before_minutes = 10
after_minutes = 20

[links.templates.logs]
title = "Logs (Loki)"
url = "https://grafana.acme.internal/explore?ns={namespace}&app={workload}&from={from_ms}&to={to_ms}"

[links.templates.error-budget]
kind = "dashboard"
url = "https://grafana.acme.internal/d/slo?var-service={service}"
"#;

#[test]
fn config_check_accepts_link_templates_and_prints_them_resolved() {
    let (output, _dir) = config_check(GOOD);
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(printed.contains("# config OK"), "{printed}");
    assert!(printed.contains("[links.templates.error-budget]\nurl = \"https://grafana.acme.internal/d/slo?var-service={service}\"\nkind = \"dashboard\""), "{printed}");
    assert!(printed.contains("before_minutes = 10"), "{printed}");
}

/// The bad config whose problems docs/links.md shows.
const BAD: &str = r#"[links]
recent_minutes = 60

[links.templates.runbook]
url = "https://wiki.acme.internal/display/OPS/{service}+runbook"

[links.templates.logs]
title = "Logs"
url = "https://grafana.acme.internal/explore?app={servce}"

[links.templates.ci]
url = "https://jenkins.acme.internal/job/{repository_name/"

[links.templates.wiki]
url = "ftp://wiki.acme.internal/{service}"
"#;

#[test]
fn config_check_names_each_bad_template_by_file_line_and_key_as_the_docs_show() {
    let (output, _dir) = config_check(BAD);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/links.md")).unwrap();
    let shown =
        docs.split("```text\n").nth(1).and_then(|b| b.split("\n```").next()).expect("docs/links.md shows the errors");
    assert!(stderr.contains(shown), "docs/links.md shows:\n{shown}\nspot config check says:\n{stderr}");
    assert!(!stderr.contains("runbook"), "the good template is no problem: {stderr}");
}

#[test]
fn a_template_with_credentials_is_refused_without_showing_them() {
    let (output, _dir) = config_check(
        "[links.templates.logs]\nurl = \"https://admin:hunter2@grafana.acme.internal/explore?app={service}\"\n",
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "spot.toml:2: links.templates.logs.url: must not hold credentials (a user or password before the host)"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

// ------------------------------------------------------------------ API

fn template(url: &str, kind: Option<&str>, title: Option<&str>) -> TemplateConfig {
    TemplateConfig { url: url.into(), kind: kind.map(Into::into), title: title.map(Into::into) }
}

/// Templates for a workload only (`{namespace}`), for a service and a
/// time (Kibana, both time formats), and for a repository (Jenkins).
fn links_config() -> LinksConfig {
    let mut links = LinksConfig::default();
    links.templates.insert(
        "logs".into(),
        template(
            "https://grafana.acme.internal/explore?ns={namespace}&app={workload}&v={version}&dc={datacenter}&from={from_ms}&to={to_ms}",
            None,
            Some("Logs (Loki)"),
        ),
    );
    links.templates.insert(
        "kibana".into(),
        template(
            "https://kibana.acme.internal/app/discover#/?_g=(time:(from:'{+from}',to:'{+to}'))&q={service}%20{team}",
            Some("logs"),
            Some("Logs (Kibana)"),
        ),
    );
    links.templates.insert(
        "ci".into(),
        template("https://jenkins.acme.internal/job/{repository_owner}/job/{repository_name}/", None, None),
    );
    links
}

/// `billing`, owned by `payments`, built from `acme/billing`: its catalog
/// file declares a dashboard and a runbook annotation; its workload in
/// dc1 (datacenter eu-west-1) is annotated with its logs and a chat
/// channel (not a URL).
async fn seed(store: &dyn Store) {
    obs("github", "acme", 1)
        .entity("team:payments", json!({}))
        .entity("repo:github.com/acme/billing", json!({}))
        .entity(
            "service:billing",
            json!({
                "links": [
                    {"url": "https://grafana.acme.internal/d/billing", "title": "Billing board", "type": "dashboard"},
                    {"url": "javascript:alert(1)", "title": "never a link"},
                ],
                "annotations": {"a8r.io/runbook": "https://wiki.acme.internal/runbooks/billing", "pagerduty.com/service-id": "PX1"},
            }),
        )
        .relation("team:payments", "owns", "service:billing", json!({}))
        .relation("repo:github.com/acme/billing", "builds", "service:billing", json!({}))
        .into(store)
        .await;
    for n in [1, 3] {
        obs("kubernetes", "dc1", n)
            .entity("cluster:dc1", json!({"datacenter": "eu-west-1"}))
            .entity(
                "workload:dc1/payments/Deployment/billing",
                json!({
                    "namespace": "payments",
                    "service": "billing",
                    "version": if n == 1 { "1.0.0" } else { "1.1.0" },
                    "annotations": {
                        "a8r.io/logs": "https://kibana.acme.internal/app/discover#/view/billing",
                        "a8r.io/chat": "#payments",
                    },
                }),
            )
            .relation("service:billing", "deploys", "workload:dc1/payments/Deployment/billing", json!({}))
            .relation("workload:dc1/payments/Deployment/billing", "runs_in", "cluster:dc1", json!({}))
            .into(store)
            .await;
    }
}

async fn start(links: LinksConfig) -> Api {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    seed(&store).await;
    let config = Config { links, ..Config::default() };
    graphql::serve(&config, store, dir).await
}

/// (kind, title, url, source) of each link.
fn seen(links: &Value) -> Vec<(String, String, String, String)> {
    let text = |l: &Value, f: &str| l[f].as_str().unwrap_or_default().to_string();
    let all = links.as_array().unwrap_or_else(|| panic!("not a list of links: {links}"));
    all.iter().map(|l| (text(l, "kind"), text(l, "title"), text(l, "url"), text(l, "source"))).collect()
}

fn link(kind: &str, title: &str, url: &str, source: &str) -> (String, String, String, String) {
    (kind.into(), title.into(), url.into(), source.into())
}

/// The Kibana link's window, which for a service or workload ends now.
fn window_of(url: &str) -> (DateTime<Utc>, DateTime<Utc>) {
    let (_, rest) = url.split_once("from:'").unwrap_or_else(|| panic!("no window in {url}"));
    let (from, rest) = rest.split_once("',to:'").unwrap();
    let (to, _) = rest.split_once('\'').unwrap();
    (from.parse().unwrap(), to.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_has_its_template_catalog_and_workload_links() {
    let api = start(links_config()).await;
    let before = Utc::now();
    let data = api.data("{ service(name: \"billing\") { links { kind title url source } } }").await;
    let links = seen(&data["service"]["links"]);
    let kibana = links[1].2.clone();
    assert_eq!(
        links,
        [
            link("ci", "Ci", "https://jenkins.acme.internal/job/acme/job/billing/", "TEMPLATE"),
            link("logs", "Logs (Kibana)", &kibana, "TEMPLATE"),
            link("dashboard", "Billing board", "https://grafana.acme.internal/d/billing", "CATALOG"),
            link("runbook", "Runbook", "https://wiki.acme.internal/runbooks/billing", "ANNOTATION"),
            link("logs", "Logs", "https://kibana.acme.internal/app/discover#/view/billing", "ANNOTATION"),
        ],
        "templates by name (the Loki one needs a workload's namespace: not rendered for a service), \
         then the catalog's links and annotations, then the workload's; no javascript: link, no #channel"
    );
    assert!(kibana.starts_with("https://kibana.acme.internal/app/discover#/?_g=(time:(from:'"), "{kibana}");
    assert!(kibana.ends_with("))&q=billing%20payments"), "{kibana}");
    let (from, to) = window_of(&kibana);
    assert_eq!(to - from, chrono::Duration::minutes(60), "the last recent_minutes");
    assert!(to >= before.with_nanosecond(0).unwrap() && to <= Utc::now(), "ends now: {to}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_entity_has_its_templates_with_its_own_names_and_its_annotations() {
    let api = start(links_config()).await;
    let data = api
        .data(r#"{ entity(key: "workload:dc1/payments/Deployment/billing") { links { kind title url source } } }"#)
        .await;
    let links = seen(&data["entity"]["links"]);
    let (from, to) = window_of(&links[1].2);
    let loki = format!(
        "https://grafana.acme.internal/explore?ns=payments&app=billing&v=1.1.0&dc=eu-west-1&from={}&to={}",
        from.timestamp_millis(),
        to.timestamp_millis()
    );
    assert_eq!(
        links,
        [
            link("ci", "Ci", "https://jenkins.acme.internal/job/acme/job/billing/", "TEMPLATE"),
            link("logs", "Logs (Kibana)", &links[1].2, "TEMPLATE"),
            link("logs", "Logs (Loki)", &loki, "TEMPLATE"),
            link("logs", "Logs", "https://kibana.acme.internal/app/discover#/view/billing", "ANNOTATION"),
        ],
        "its service's team and repository, its namespace, name, version and datacenter; its own annotations only"
    );
    let at_a_moment = api
        .data(
            r#"{ entity(key: "workload:dc1/payments/Deployment/billing") {
                   links(around: "2022-01-11T14:02:30.250Z") { title url } } }"#,
        )
        .await;
    assert_eq!(
        at_a_moment["entity"]["links"][2],
        json!({
            "title": "Logs (Loki)",
            "url": "https://grafana.acme.internal/explore?ns=payments&app=billing&v=1.1.0&dc=eu-west-1&from=1641908850000&to=1641910650000",
        }),
        "an action's moment: 15 minutes before to 15 after, to the second"
    );
    let other = api.data(r#"{ entity(key: "team:payments") { links { url } } }"#).await;
    assert_eq!(other["entity"]["links"], json!([]), "teams have no links");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploys_links_cover_the_minutes_around_it() {
    let mut config = links_config();
    config.before_minutes = 15;
    config.after_minutes = 15;
    let api = start(config).await;
    api.data(
        r#"mutation { recordDeployment(service: "billing", cluster: "dc1", version: "1.1.0", at: "2022-01-11T14:02:00Z") { at } }"#,
    )
    .await;
    let data = api
        .data(r#"{ deployHistory(service: "billing", from: "2022-01-08") { version source links { kind title url source } } }"#)
        .await;
    let deploys = data["deployHistory"].as_array().unwrap();
    let pushed = deploys.iter().find(|d| d["source"] == "orchestrator").expect("the pushed deploy");
    assert_eq!(
        seen(&pushed["links"]),
        [
            link("ci", "Ci", "https://jenkins.acme.internal/job/acme/job/billing/", "TEMPLATE"),
            link(
                "logs",
                "Logs (Kibana)",
                "https://kibana.acme.internal/app/discover#/?_g=(time:(from:'2022-01-11T13:47:00Z',to:'2022-01-11T14:17:00Z'))&q=billing%20payments",
                "TEMPLATE"
            ),
            link(
                "logs",
                "Logs (Loki)",
                "https://grafana.acme.internal/explore?ns=payments&app=billing&v=1.1.0&dc=eu-west-1&from=1641908820000&to=1641910620000",
                "TEMPLATE"
            ),
        ],
        "15 minutes before to 15 after 14:02, in RFC 3339 and in epoch milliseconds; templates only"
    );
    let first = deploys.iter().find(|d| d["version"] == "1.0.0").expect("the first snapshot deploy");
    let loki = &seen(&first["links"])[2].2;
    assert!(loki.contains("&v=1.0.0&"), "each deploy its own version: {loki}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_templates_only_declared_links_are_listed() {
    let api = start(LinksConfig::default()).await;
    let data = api
        .data(
            r#"{ service(name: "billing") { links { kind source } }
                 deployHistory(service: "billing", from: "2022-01-08") { links { url } } }"#,
        )
        .await;
    let kinds: Vec<(String, String)> =
        seen(&data["service"]["links"]).into_iter().map(|(kind, _, _, source)| (kind, source)).collect();
    assert_eq!(
        kinds,
        [
            ("dashboard".into(), "CATALOG".into()),
            ("runbook".into(), "ANNOTATION".into()),
            ("logs".into(), "ANNOTATION".into())
        ]
    );
    for deploy in data["deployHistory"].as_array().unwrap() {
        assert_eq!(deploy["links"], json!([]));
    }
}

// ------------------------------------------------- from catalog-info.yaml

const CATALOG: &str = "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: billing
  annotations:
    a8r.io/runbook: https://wiki.acme.internal/runbooks/billing
    a8r.io/chat: '#payments'
    backstage.io/source-location: url:https://github.com/acme/billing/tree/main/
  links:
    - url: https://grafana.acme.internal/d/billing
      title: Billing board
      type: dashboard
    - url: https://status.acme.internal/billing
spec:
  type: service
  owner: group:payments
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_links_a_catalog_info_yaml_declares_reach_the_service_page() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo::TestRepo::new(dir.path(), "acme", "billing");
    repo.commit("2024-01-02", 9, &[("catalog-info.yaml", Some(CATALOG))]);
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let options = spot::backfill::Options {
        paths: vec![repo.path.clone()],
        since: None,
        until: None,
        max_file_bytes: 5 << 20,
        identity: Default::default(),
        ingest: Default::default(),
    };
    spot::backfill::backfill(store.clone(), &options, &spot::backfill::Quiet).await.unwrap();
    drop(store);
    let store = SqliteStore::open(dir.path().join("spot.db")).unwrap();
    let config = Config::default();
    let api = graphql::serve(&config, store, tempfile::tempdir().unwrap()).await;
    let data = api.data("{ service(name: \"billing\") { links { kind title url source } } }").await;
    assert_eq!(
        seen(&data["service"]["links"]),
        [
            link("dashboard", "Billing board", "https://grafana.acme.internal/d/billing", "CATALOG"),
            link("link", "status.acme.internal", "https://status.acme.internal/billing", "CATALOG"),
            link("runbook", "Runbook", "https://wiki.acme.internal/runbooks/billing", "ANNOTATION"),
            link("source-location", "Source location", "https://github.com/acme/billing/tree/main/", "ANNOTATION"),
        ],
        "metadata.links, then the annotations that are links (a8r.io/chat is a channel, not a URL)"
    );
    drop(dir);
}
