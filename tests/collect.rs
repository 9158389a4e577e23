//! `spot collect` end to end: the binary, a config file, a store file, and
//! a local server answering like SonarQube with recorded responses.

use std::path::Path;
use std::process::{Command, Output};

use axum::http::{StatusCode, Uri};
use axum::Router;

#[path = "support/wait.rs"]
mod wait;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("collectors/tests/fixtures").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Serves SonarQube's recorded examples; `deny` answers 401 to everything.
async fn sonarqube(deny: bool) -> String {
    let app = Router::new().fallback(move |uri: Uri| async move {
        if deny {
            return (StatusCode::UNAUTHORIZED, String::new());
        }
        match uri.path() {
            "/api/components/search_projects" => {
                (StatusCode::OK, fixture("sonarqube/api_components_search_projects.json"))
            }
            "/api/projects/search" => (StatusCode::OK, fixture("sonarqube/api_projects_search.json")),
            "/api/measures/component" => (StatusCode::OK, fixture("sonarqube/api_measures_component.json")),
            "/api/qualitygates/project_status" => {
                (StatusCode::OK, fixture("sonarqube/api_qualitygates_project_status.json"))
            }
            // Consul and Confluence, for the test that runs every collector.
            "/v1/catalog/services" => (StatusCode::OK, r#"{"backend": [], "consul": []}"#.to_string()),
            "/v1/health/service/backend" => (StatusCode::OK, fixture("consul/v1_health_service_backend.json")),
            "/v1/catalog/connect/backend" => (StatusCode::OK, fixture("consul/v1_catalog_connect_backend.json")),
            "/v1/connect/intentions" => (StatusCode::OK, "[]".to_string()),
            "/wiki/rest/api/content/search" => {
                let page: serde_json::Value = serde_json::from_str(&fixture("confluence/page_response.json")).unwrap();
                (StatusCode::OK, serde_json::json!({ "results": [page], "size": 1, "_links": {} }).to_string())
            }
            _ => (StatusCode::NOT_FOUND, "{}".to_string()),
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn write_config(dir: &Path, base_url: &str) -> String {
    let path = dir.join("spot.toml");
    let text = format!(
        "[collectors.sonarqube]\nbase_url = \"{base_url}\"\nscope = \"sonar.test\"\ntoken_env = \"SPOT_TEST_SONAR_TOKEN\"\nrepo_owner = \"acme\"\n\n[collectors.sonarqube.http]\nretries = 0\n"
    );
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

async fn spot(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_spot"))
            .args(&args)
            .env("SPOT_LOG", "error")
            .env("SPOT_TEST_SONAR_TOKEN", "squ_do_not_print_me")
            .output()
            .expect("spot runs")
    })
    .await
    .unwrap()
}

fn text_of(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[tokio::test(flavor = "multi_thread")]
async fn collect_ingests_a_sonarqube_run_that_the_api_then_serves() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sonarqube(false).await);
    let db = dir.path().join("spot.db").display().to_string();
    let args = |extra: &[&str]| {
        let mut all: Vec<String> =
            vec!["collect".into(), "sonarqube".into(), "--config".into(), config.clone(), "--db".into(), db.clone()];
        all.extend(extra.iter().map(|s| s.to_string()));
        all
    };
    let output = spot(args(&["--day", "2026-11-20"])).await;
    assert!(output.status.success(), "{}", text_of(&output));
    assert!(
        text_of(&output)
            .starts_with("sonarqube/sonar.test 2026-11-20 complete: 6 added, 0 changed, 0 closed, 0 unchanged"),
        "{}",
        text_of(&output)
    );

    let query = r#"{ entity(key: "sonar_project:third_project") { name facts { source scope attrs } relations(direction: OUT) { kind to } } }"#;
    let answer = spot(vec!["query".into(), "--db".into(), db.clone(), query.into()]).await;
    assert!(answer.status.success(), "{}", text_of(&answer));
    let json: serde_json::Value = serde_json::from_slice(&answer.stdout).unwrap();
    let entity = &json["data"]["entity"];
    assert_eq!(entity["name"], "My Project 3");
    assert_eq!(entity["facts"][0]["scope"], "sonar.test");
    assert_eq!(entity["facts"][0]["attrs"]["quality_gate"], "ERROR");
    assert_eq!(entity["relations"][0]["to"], "repo:github.com/acme/third_project");

    // Three projects and their three `measures` relations. The next day,
    // nothing changed: nothing is written.
    let again = spot(args(&["--day", "2026-11-21"])).await;
    assert!(text_of(&again).contains("complete: 0 added, 0 changed, 0 closed, 6 unchanged"), "{}", text_of(&again));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_records_a_failed_run_and_exits_non_zero_without_printing_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sonarqube(true).await);
    let db = dir.path().join("spot.db").display().to_string();
    let output = spot(vec![
        "collect".into(),
        "--config".into(),
        config,
        "--db".into(),
        db.clone(),
        "--day".into(),
        "2026-11-20".into(),
    ])
    .await;
    assert!(!output.status.success());
    let said = text_of(&output);
    assert!(said.contains("sonarqube/sonar.test 2026-11-20 failed: SonarQube rejected the credentials (HTTP 401 on api/components/search_projects)"), "{said}");
    assert!(said.contains("check the user token in SPOT_TEST_SONAR_TOKEN"), "{said}");
    assert!(said.contains("1 of 1 runs failed or were skipped"), "{said}");
    assert!(!said.contains("squ_do_not_print_me"), "the token leaked: {said}");
    let runs = spot(vec!["runs".into(), "--db".into(), db]).await;
    assert!(text_of(&runs).contains("failed"), "{}", text_of(&runs));
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_or_unconfigured_collectors_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "http://127.0.0.1:9");
    let db = dir.path().join("spot.db").display().to_string();
    let unknown =
        spot(vec!["collect".into(), "jira".into(), "--config".into(), config, "--db".into(), db.clone()]).await;
    assert!(!unknown.status.success());
    assert!(
        text_of(&unknown).contains("unknown collector 'jira' (known: github, kubernetes, sonarqube"),
        "{}",
        text_of(&unknown)
    );
    let nothing = spot(vec!["collect".into(), "--db".into(), db]).await;
    assert!(
        text_of(&nothing).contains("no collector is configured: add a [collectors.<name>] section"),
        "{}",
        text_of(&nothing)
    );
}

async fn graphql(url: &str, query: &str) -> serde_json::Value {
    let client = reqwest::Client::new();
    let response =
        client.post(format!("{url}/graphql")).json(&serde_json::json!({ "query": query })).send().await.unwrap();
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_with_collectors_triggers_runs_and_tells_which_days_are_complete() {
    use spot::config::Config;
    use spot::server::Server;
    use std::sync::Arc;

    std::env::set_var("SPOT_TEST_SONAR_TOKEN", "squ_do_not_print_me");
    let dir = tempfile::tempdir().unwrap();
    let config_path = write_config(dir.path(), &sonarqube(false).await);
    let config = Config::load(Path::new(&config_path)).unwrap();
    let store = spot::SqliteStore::open(dir.path().join("spot.db")).unwrap();
    let server = Server::new(&config, Arc::new(store)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { server.serve_on(listener, std::future::pending()).await });

    let triggered = graphql(
        &url,
        r#"mutation { triggerCollection(source: "sonarqube", day: "2026-11-20") { scope day status reason } }"#,
    )
    .await;
    assert_eq!(
        triggered["data"]["triggerCollection"],
        serde_json::json!([{ "scope": "sonar.test", "day": "2026-11-20", "status": "STARTED", "reason": null }])
    );
    let runs = wait::wait_for_async("the triggered run to be recorded", std::time::Duration::from_secs(10), || async {
        let runs = graphql(&url, r#"{ runs(source: "sonarqube") { scope status warnings } }"#).await;
        runs["data"]["runs"].as_array().is_some_and(|r| !r.is_empty()).then_some(runs)
    })
    .await;
    assert_eq!(runs["data"]["runs"][0]["status"], "complete", "{runs}");

    let days =
        graphql(&url, r#"{ snapshots(from: "2026-11-19", to: "2026-11-20") { day complete failed missing } }"#).await;
    assert_eq!(
        days["data"]["snapshots"],
        serde_json::json!([
            { "day": "2026-11-19", "complete": false, "failed": [], "missing": ["sonarqube/sonar.test"] },
            { "day": "2026-11-20", "complete": true, "failed": [], "missing": [] }
        ])
    );

    let unknown = graphql(&url, r#"mutation { triggerCollection(source: "jira") { status } }"#).await;
    assert_eq!(unknown["errors"][0]["message"], "no collector 'jira' is configured (configured: sonarqube)");

    let metrics = reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"spot_collector_runs_total{collector="sonarqube",status="complete"} 1"#), "{metrics}");
    assert!(
        metrics.contains(r#"spot_collector_items_observed{collector="sonarqube",scope="sonar.test"} 6"#),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn collect_without_names_runs_every_configured_collector() {
    let dir = tempfile::tempdir().unwrap();
    let url = sonarqube(false).await;
    let config = write_config(dir.path(), &url);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[collectors.consul]\nbase_url = \"{url}\"\ndatacenters = [\"dc1\"]\n\n\
         [collectors.confluence]\nbase_url = \"{url}/wiki\"\nscope = \"wiki.test\"\nuser_email = \"bot@acme.test\"\n\
         token_env = \"SPOT_TEST_SONAR_TOKEN\"\nspaces = [\"PROJ\"]\n"
    ));
    std::fs::write(&config, text).unwrap();
    let db = dir.path().join("spot.db").display().to_string();
    let output =
        spot(vec!["collect".into(), "--config".into(), config, "--db".into(), db, "--day".into(), "2026-11-20".into()])
            .await;
    assert!(output.status.success(), "{}", text_of(&output));
    let lines: Vec<String> = text_of(&output).lines().filter(|l| !l.starts_with("  ")).map(str::to_string).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("sonarqube/sonar.test 2026-11-20 complete"), "{lines:?}");
    assert!(lines[1].starts_with("consul/dc1 2026-11-20 complete: 1 added"), "{lines:?}");
    assert!(lines[2].starts_with("confluence/wiki.test 2026-11-20 complete"), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn collect_github_ingests_an_organisation_and_a_second_run_changes_nothing() {
    use collectors::github::fake::FakeGitHub;
    let github = FakeGitHub::start("acme", 30, Some("ghp_fake_token_value"), std::time::Duration::ZERO).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("spot.toml");
    std::fs::write(
        &config,
        format!(
            "[collectors.github]\nbase_url = \"{}\"\norgs = [\"acme\"]\ncheck_latest = false\ncache_dir = \"{}\"\n",
            github.url,
            dir.path().join("cache").display()
        ),
    )
    .unwrap();
    let db = dir.path().join("spot.db").display().to_string();
    let run = |day: &str| {
        let (config, db, day) = (config.display().to_string(), db.clone(), day.to_string());
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_spot"))
                .args(["collect", "github", "--config", &config, "--db", &db, "--day", &day])
                .env("SPOT_LOG", "error")
                .env("SPOT_GITHUB_TOKEN", "ghp_fake_token_value")
                .output()
                .unwrap()
        })
    };
    let first = run("2026-11-20").await.unwrap();
    assert!(first.status.success(), "{}", text_of(&first));
    assert!(text_of(&first).starts_with("github/acme 2026-11-20 complete: "), "{}", text_of(&first));
    let second = run("2026-11-21").await.unwrap();
    assert!(text_of(&second).contains("complete: 0 added, 0 changed, 0 closed"), "{}", text_of(&second));
    let query = r#"{ service(name: "repo-12") { owner { key } repository { key } } }"#;
    let answer = spot(vec!["query".into(), "--db".into(), db, query.into()]).await;
    let json: serde_json::Value = serde_json::from_slice(&answer.stdout).unwrap();
    assert_eq!(json["data"]["service"]["repository"]["key"], "repo:127.0.0.1/acme/repo-12", "{json}");
    assert_eq!(json["data"]["service"]["owner"]["key"], "team:payments", "{json}");
}

#[tokio::test(flavor = "multi_thread")]
async fn collect_github_as_a_github_app() {
    use collectors::github::fake::{FakeApp, FakeGitHub, TestKey};
    let key = TestKey::generate();
    let app = FakeApp {
        app_id: 31337,
        installation_id: 4242,
        public_key_pem: key.public_pem.clone(),
        token_lifetime: std::time::Duration::from_secs(3600),
    };
    let github = FakeGitHub::start_app("acme", 5, app, std::time::Duration::ZERO).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("app.pem");
    std::fs::write(&key_file, &key.private_pem).unwrap();
    let config = dir.path().join("spot.toml");
    std::fs::write(
        &config,
        format!(
            "[collectors.github]\nbase_url = \"{}\"\norgs = [\"acme\"]\ncheck_latest = false\ncache_dir = \"{}\"\napp_id = 31337\napp_key_file = \"{}\"\n",
            github.url,
            dir.path().join("cache").display(),
            key_file.display()
        ),
    )
    .unwrap();
    let db = dir.path().join("spot.db").display().to_string();
    let config = config.display().to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_spot"))
            .args(["collect", "github", "--config", &config, "--db", &db, "--day", "2026-11-20"])
            .env("SPOT_LOG", "debug")
            .env_remove("SPOT_GITHUB_TOKEN")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(text_of(&output).starts_with("github/acme 2026-11-20 complete: "), "{}", text_of(&output));
    assert_eq!(github.app_tokens(), (1, 0), "one installation token, carried by every API call");
    // Debug logging shows every request and each new token, and none of the credentials.
    assert!(text_of(&output).contains("new installation token"), "{}", text_of(&output));
    for secret in ["ghs_", "eyJ", key.private_pem.lines().nth(1).unwrap()] {
        assert!(!text_of(&output).contains(secret), "{secret} leaked into the output");
    }
}

/// Answers like a Kubernetes API server holding the recorded Deployment and
/// its ReplicaSet (list items without `apiVersion` and `kind`, as served).
async fn kubernetes_api() -> String {
    let item = |name: &str| {
        let mut value: serde_json::Value = serde_json::from_str(&fixture(&format!("kubernetes/{name}.json"))).unwrap();
        let map = value.as_object_mut().unwrap();
        map.remove("apiVersion");
        map.remove("kind");
        value
    };
    let list = |items: Vec<serde_json::Value>| serde_json::json!({ "metadata": {}, "items": items }).to_string();
    let (deployments, replica_sets) = (list(vec![item("dp")]), list(vec![item("rs")]));
    let app = Router::new().fallback(move |uri: Uri, headers: axum::http::HeaderMap| {
        let (deployments, replica_sets) = (deployments.clone(), replica_sets.clone());
        async move {
            if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer k8s-token-not-to-print") {
                return (StatusCode::UNAUTHORIZED, "{}".to_string());
            }
            match uri.path() {
                "/version" => (StatusCode::OK, r#"{"gitVersion": "v1.30.2"}"#.to_string()),
                "/apis/apps/v1/deployments" => (StatusCode::OK, deployments),
                "/apis/apps/v1/replicasets" => (StatusCode::OK, replica_sets),
                _ => (StatusCode::OK, r#"{"metadata": {}, "items": []}"#.to_string()),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn write_kubeconfig(path: &Path, server: &str) {
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n\
         current-context: c\nusers:\n- name: u\n  user:\n    token: k8s-token-not-to-print\n"
    );
    std::fs::write(path, text).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn collect_kubernetes_runs_each_cluster_and_the_api_reads_the_deployed_version() {
    let dir = tempfile::tempdir().unwrap();
    let (reachable, unreachable) = (dir.path().join("dc1.kubeconfig"), dir.path().join("dc2.kubeconfig"));
    write_kubeconfig(&reachable, &kubernetes_api().await);
    let nowhere = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    write_kubeconfig(&unreachable, &nowhere);
    let config = dir.path().join("spot.toml");
    std::fs::write(
        &config,
        format!(
            "[collectors.kubernetes]\nclusters = [{{ name = \"dc1\", datacenter = \"eu-west-1\", kubeconfig = \"{}\" }},\n\
             {{ name = \"dc2\", datacenter = \"us-east-1\", kubeconfig = \"{}\" }}]\n\n[collectors.kubernetes.http]\nretries = 0\n",
            reachable.display(),
            unreachable.display()
        ),
    )
    .unwrap();
    let db = dir.path().join("spot.db").display().to_string();
    let output = spot(vec![
        "collect".into(),
        "kubernetes".into(),
        "--config".into(),
        config.display().to_string(),
        "--db".into(),
        db.clone(),
        "--day".into(),
        "2026-11-20".into(),
    ])
    .await;
    let said = text_of(&output);
    assert!(!output.status.success(), "one cluster failed: {said}");
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines[0], "kubernetes/dc1 2026-11-20 complete: 4 added, 0 changed, 0 closed, 0 unchanged", "{said}");
    assert!(
        lines[1].starts_with(&format!(
            "kubernetes/dc2 2026-11-20 failed: kubernetes cluster 'dc2' at {nowhere} is unreachable after 1 attempts ("
        )),
        "{said}"
    );
    assert!(said.contains("1 of 2 runs failed or were skipped"), "{said}");
    assert!(!said.contains("k8s-token-not-to-print"), "the token leaked: {said}");

    let query = r#"{ deployedVersions(service: "icx-db", at: "2026-11-20") { cluster version source } }"#;
    let answer = spot(vec!["query".into(), "--db".into(), db, query.into()]).await;
    assert!(answer.status.success(), "{}", text_of(&answer));
    let json: serde_json::Value = serde_json::from_slice(&answer.stdout).unwrap();
    assert_eq!(
        json["data"]["deployedVersions"],
        serde_json::json!([{ "cluster": "dc1", "version": "9.2-alpine", "source": "rollout:kubernetes" }]),
        "the recorded ReplicaSet says exactly when this version was rolled out"
    );
}
