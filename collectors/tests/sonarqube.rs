//! The SonarQube collector against a local server that answers like
//! SonarQube: recorded responses, generated large ones, and failures.

mod support;

use collectors::http::HttpSettings;
use collectors::sonarqube::{AuthScheme, Config, SonarQube};
use collectors::{Collector, Day, Observation};
use serde_json::{json, Value};
use support::{closed_port_url, fixture, token_file, Recorded, ReplayServer, Reply};

const DAY: Day = Day(20_000);

fn config(base_url: &str) -> Config {
    toml::from_str::<Config>(&format!("base_url = \"{base_url}\"\nrepo_owner = \"acme\"")).unwrap()
}

fn fast(mut config: Config) -> Config {
    config.http = HttpSettings { backoff_ms: 1, max_backoff_ms: 5, retries: 2, ..HttpSettings::default() };
    config
}

async fn collect(config: &Config) -> Result<Observation, collectors::CollectError> {
    let collector = SonarQube::new(config)?;
    let scope = collector.scopes().remove(0);
    collector.collect(&scope, DAY).await
}

/// Answers every endpoint with its recorded example.
fn recorded(request: &Recorded) -> Reply {
    match request.path.as_str() {
        "/api/components/search_projects" => Reply::json(fixture("sonarqube/api_components_search_projects.json")),
        "/api/projects/search" => Reply::json(fixture("sonarqube/api_projects_search.json")),
        "/api/measures/component" => Reply::json(fixture("sonarqube/api_measures_component.json")),
        "/api/qualitygates/project_status" => Reply::json(fixture("sonarqube/api_qualitygates_project_status.json")),
        "/api/alm_settings/get_binding" => Reply::status(404, r#"{"errors":[{"msg":"No binding"}]}"#),
        other => Reply::status(404, format!("no route {other}")),
    }
}

fn entity<'a>(obs: &'a Observation, key: &str) -> &'a collectors::ObservedEntity {
    obs.entities.iter().find(|e| e.key == key).unwrap_or_else(|| panic!("{key} not observed"))
}

#[tokio::test]
async fn recorded_responses_become_projects_with_measures_and_gates() {
    let server = ReplayServer::start(recorded).await;
    let obs = collect(&config(&server.url)).await.unwrap();
    assert_eq!(obs.source, "sonarqube");
    assert_eq!(obs.scope, "127.0.0.1");
    assert!(obs.complete);
    assert_eq!(obs.validate(), Ok(()));
    let keys: Vec<_> = obs.entities.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["sonar_project:my_project", "sonar_project:another_project", "sonar_project:third_project"]);
    let third = entity(&obs, "sonar_project:third_project");
    assert_eq!(third.name, "My Project 3");
    assert_eq!(third.attrs["tags"], json!(["java", "offshore", "sales"]));
    assert_eq!(third.attrs["ncloc"], json!(114));
    assert_eq!(third.attrs["complexity"], json!(12));
    assert!(third.attrs.get("new_violations").is_none(), "a measure with only a new-code value has no value");
    assert_eq!(third.attrs["quality_gate"], json!("ERROR"));
    let failing: Vec<_> =
        third.attrs["quality_gate_failing"].as_array().unwrap().iter().map(|c| c["metric"].clone()).collect();
    assert_eq!(
        failing,
        [
            json!("new_coverage"),
            json!("new_blocker_violations"),
            json!("new_critical_violations"),
            json!("open_issues")
        ]
    );
    assert_eq!(third.attrs["quality_gate_failing"][0]["actual"], json!("82.50562381034781"));
    // No binding: the key names the repository.
    let targets: Vec<_> = obs.relations.iter().map(|r| (r.kind.as_str(), r.to.as_str())).collect();
    assert!(targets.contains(&("measures", "repo:github.com/acme/third_project")), "{targets:?}");
    assert_eq!(obs.relations[0].attrs["by"], json!("project_key"));
    assert_eq!(obs.relations[0].attrs["via"], json!("project_key"));
}

#[tokio::test]
async fn measures_are_fetched_in_one_call_per_project_with_every_metric() {
    let server = ReplayServer::start(recorded).await;
    collect(&config(&server.url)).await.unwrap();
    let calls: Vec<_> = server.requests().into_iter().filter(|r| r.path == "/api/measures/component").collect();
    assert_eq!(calls.len(), 3, "one call per project, not per metric");
    let metrics = calls[0].param("metricKeys").unwrap();
    for metric in ["coverage", "ncloc", "bugs", "vulnerabilities", "code_smells", "sqale_rating"] {
        assert!(metrics.split(',').any(|m| m == metric), "{metric} missing from {metrics}");
    }
    assert_eq!(calls[0].param("additionalFields"), Some("metrics"));
}

/// A SonarQube with `n` projects, paginated as the real one is.
fn large_sonarqube(n: usize) -> impl Fn(&Recorded) -> Reply {
    move |request: &Recorded| {
        let page: usize = request.param("p").map(|p| p.parse().unwrap()).unwrap_or(1);
        let size: usize = request.param("ps").map(|p| p.parse().unwrap()).unwrap_or(100);
        let range = ((page - 1) * size).min(n)..(page * size).min(n);
        let paging = json!({ "pageIndex": page, "pageSize": size, "total": n });
        match request.path.as_str() {
            "/api/components/search_projects" => {
                let components: Vec<Value> = range
                    .map(|i| json!({ "key": format!("acme_repo-{i}"), "name": format!("Repo {i}"), "tags": [format!("team-{}", i % 7)], "visibility": "private" }))
                    .collect();
                Reply::json(json!({ "paging": paging, "components": components }).to_string())
            }
            "/api/projects/search" => {
                let components: Vec<Value> = range
                    .map(|i| json!({ "key": format!("acme_repo-{i}"), "name": format!("Repo {i}"), "lastAnalysisDate": "2026-11-25T10:00:00+0100", "revision": format!("{i:040x}") }))
                    .collect();
                Reply::json(json!({ "paging": paging, "components": components }).to_string())
            }
            "/api/measures/component" => {
                let key = request.param("component").unwrap();
                let i: f64 = key.trim_start_matches("acme_repo-").parse().unwrap();
                Reply::json(
                    json!({
                        "component": { "key": key, "measures": [
                            { "metric": "coverage", "value": format!("{:.1}", i % 100.0) },
                            { "metric": "ncloc", "value": format!("{}", 1000.0 + i) },
                            { "metric": "sqale_rating", "value": "2.0" }
                        ]},
                        "metrics": [
                            { "key": "coverage", "type": "PERCENT" },
                            { "key": "ncloc", "type": "INT" },
                            { "key": "sqale_rating", "type": "RATING" }
                        ]
                    })
                    .to_string(),
                )
            }
            "/api/qualitygates/project_status" => Reply::json(r#"{"projectStatus":{"status":"OK","conditions":[]}}"#),
            "/api/alm_settings/get_binding" => {
                let key = request.param("project").unwrap();
                if key.ends_with('7') {
                    Reply::json(json!({ "alm": "github", "repository": format!("platform/{key}"), "url": "https://api.github.com" }).to_string())
                } else {
                    Reply::status(404, "{}")
                }
            }
            other => Reply::status(404, format!("no route {other}")),
        }
    }
}

#[tokio::test]
async fn thousands_of_projects_are_read_across_every_page() {
    let server = ReplayServer::start(large_sonarqube(2_345)).await;
    let mut config = config(&server.url);
    config.key_prefix = Some("acme_".into());
    config.http.concurrency = 16;
    let obs = collect(&config).await.unwrap();
    assert_eq!(obs.entities.len(), 2_345);
    assert_eq!(server.count("/api/components/search_projects"), 5, "2,345 projects in pages of 500");
    assert_eq!(server.count("/api/projects/search"), 5);
    assert_eq!(obs.validate(), Ok(()));
    let p = entity(&obs, "sonar_project:acme_repo-1234");
    assert_eq!(p.attrs["coverage"], json!(34.0));
    assert_eq!(p.attrs["ncloc"], json!(2234));
    assert_eq!(p.attrs["sqale_rating"], json!("B"));
    assert_eq!(p.attrs["last_analysis"], json!("2026-11-25T09:00:00Z"));
    assert_eq!(p.attrs["revision"], json!(format!("{:040x}", 1234)));
    assert_eq!(p.attrs["quality_gate_failing"], json!([]));
    let relation = |from: &str| obs.relations.iter().find(|r| r.from == from).unwrap();
    assert_eq!(relation("sonar_project:acme_repo-1234").to, "repo:github.com/acme/repo-1234");
    let bound = relation("sonar_project:acme_repo-17");
    assert_eq!(
        (bound.to.as_str(), &bound.attrs["by"], &bound.attrs["via"]),
        ("repo:github.com/platform/acme_repo-17", &json!("alm_binding"), &json!("binding"))
    );
    assert!(obs.warnings.is_empty(), "{:?}", obs.warnings);
}

#[tokio::test]
async fn projects_that_no_convention_maps_are_listed_in_the_run() {
    let server = ReplayServer::start(recorded).await;
    let mut config = config(&server.url);
    config.key_prefix = Some("acme_".into());
    let obs = collect(&config).await.unwrap();
    assert!(obs.relations.is_empty());
    assert_eq!(obs.warnings.len(), 3, "{:?}", obs.warnings);
    assert!(obs.warnings[0]
        .contains("sonar_project:my_project: no ALM binding, and the key does not start with key_prefix 'acme_'"));
}

/// The recorded server with the projects of one monorepo, `acme/shop`, and
/// one repository of its own, `acme/billing`: the recorded listing with
/// their keys and names, the recorded binding with their repository and
/// monorepo flag.
fn monorepo_sonarqube(request: &Recorded) -> Reply {
    const PROJECTS: [(&str, &str, &str, bool); 4] = [
        ("acme_shop_cartservice", "Shop: cart", "acme/shop", true),
        ("acme_shop", "Checkout Service", "acme/shop", true),
        ("shop", "Shop", "acme/shop", true),
        ("acme_billing", "Billing", "acme/billing", false),
    ];
    match request.path.as_str() {
        "/api/components/search_projects" => {
            let mut listing: Value =
                serde_json::from_str(&fixture("sonarqube/api_components_search_projects.json")).unwrap();
            let recorded = listing["components"][0].clone();
            let components: Vec<Value> = PROJECTS
                .iter()
                .map(|(key, name, _, _)| {
                    let mut project = recorded.clone();
                    project["key"] = json!(key);
                    project["name"] = json!(name);
                    project
                })
                .collect();
            listing["paging"]["total"] = json!(components.len());
            listing["components"] = Value::Array(components);
            Reply::json(listing.to_string())
        }
        "/api/alm_settings/get_binding" => {
            let project = request.param("project").unwrap();
            let Some((_, _, repository, monorepo)) = PROJECTS.iter().find(|p| p.0 == project) else {
                return Reply::status(404, r#"{"errors":[{"msg":"No binding"}]}"#);
            };
            let mut binding: Value =
                serde_json::from_str(&fixture("sonarqube/api_alm_settings_get_binding.json")).unwrap();
            binding["repository"] = json!(repository);
            binding["monorepo"] = json!(monorepo);
            Reply::json(binding.to_string())
        }
        _ => recorded(request),
    }
}

#[tokio::test]
async fn projects_of_a_monorepo_measure_the_service_their_key_or_name_names() {
    let server = ReplayServer::start(monorepo_sonarqube).await;
    let obs = collect(&config(&server.url)).await.unwrap();
    assert!(obs.complete);
    assert_eq!(obs.validate(), Ok(()));
    let measures: Vec<(String, String, Value)> =
        obs.relations.iter().map(|r| (r.from.clone(), r.to.clone(), Value::Object(r.attrs.clone()))).collect();
    let shop = "repo:github.com/acme/shop";
    let expected = [
        (
            "sonar_project:acme_shop_cartservice",
            "service:cartservice",
            json!({ "by": "alm_binding", "via": "monorepo-key", "repository": shop }),
        ),
        (
            "sonar_project:acme_shop",
            "service:checkout-service",
            json!({ "by": "alm_binding", "via": "monorepo-name", "repository": shop }),
        ),
        ("sonar_project:shop", shop, json!({ "by": "alm_binding", "via": "monorepo-unmatched", "repository": shop })),
        (
            "sonar_project:acme_billing",
            "repo:github.com/acme/billing",
            json!({ "by": "alm_binding", "via": "binding" }),
        ),
    ];
    let expected: Vec<(String, String, Value)> =
        expected.into_iter().map(|(from, to, attrs)| (from.to_string(), to.to_string(), attrs)).collect();
    assert_eq!(measures, expected);
    assert_eq!(
        obs.warnings,
        ["sonar_project:shop: bound to the monorepo acme/shop, but neither its key nor its name ('Shop') names a service: it measures the whole repository"]
    );
}

#[tokio::test]
async fn the_token_is_sent_as_bearer_or_in_the_older_basic_form() {
    let server = ReplayServer::start(recorded).await;
    let mut config = config(&server.url);
    config.token_file = Some(token_file("squ_abc123"));
    collect(&config).await.unwrap();
    assert_eq!(server.requests()[0].header("authorization"), Some("Bearer squ_abc123"));
    config.auth = AuthScheme::Basic;
    let server = ReplayServer::start(recorded).await;
    config.base_url = server.url.clone();
    collect(&config).await.unwrap();
    // base64("squ_abc123:")
    assert_eq!(server.requests()[0].header("authorization"), Some("Basic c3F1X2FiYzEyMzo="));
}

#[tokio::test]
async fn rejected_credentials_fail_the_run_saying_what_to_check() {
    let server = ReplayServer::start(|_: &Recorded| Reply::status(401, "")).await;
    let mut config = config(&server.url);
    config.token_env = Some("SPOT_TEST_SONAR_TOKEN".into());
    std::env::set_var("SPOT_TEST_SONAR_TOKEN", "squ_secret_value");
    let err = collect(&config).await.unwrap_err().to_string();
    assert!(
        err.starts_with("SonarQube rejected the credentials (HTTP 401 on api/components/search_projects)"),
        "{err}"
    );
    assert!(err.contains("SPOT_TEST_SONAR_TOKEN"), "{err}");
    assert!(!err.contains("squ_secret_value"), "the token leaked: {err}");
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_as_retry_after_says() {
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let server = ReplayServer::start(move |request: &Recorded| {
        if request.path == "/api/components/search_projects"
            && calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0
        {
            return Reply::status(429, "slow down").header("Retry-After", "1");
        }
        recorded(request)
    })
    .await;
    let started = std::time::Instant::now();
    let obs = collect(&fast(config(&server.url))).await.unwrap();
    assert_eq!(obs.entities.len(), 3);
    assert_eq!(server.count("/api/components/search_projects"), 2);
    assert!(started.elapsed() >= std::time::Duration::from_millis(950), "did not wait: {:?}", started.elapsed());
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let flaky = ReplayServer::start(move |request: &Recorded| {
        if request.path == "/api/projects/search" && calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2 {
            return Reply::status(503, "maintenance");
        }
        recorded(request)
    })
    .await;
    let obs = collect(&fast(config(&flaky.url))).await.unwrap();
    assert_eq!(obs.entities.len(), 3);
    assert_eq!(flaky.count("/api/projects/search"), 3, "two 503s, then the answer");

    let down = ReplayServer::start(|_: &Recorded| Reply::status(500, "<html>Internal error</html>")).await;
    let err = collect(&fast(config(&down.url))).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "SonarQube: api/components/search_projects answered HTTP 500 after 3 attempts: <html>Internal error</html>"
    );
}

#[tokio::test]
async fn a_malformed_listing_fails_the_run_naming_endpoint_and_field() {
    let server = ReplayServer::start(|request: &Recorded| match request.path.as_str() {
        "/api/components/search_projects" => {
            Reply::json(r#"{"paging":{"pageIndex":1,"pageSize":500,"total":1},"components":[{"key":7,"name":"x"}]}"#)
        }
        _ => recorded(request),
    })
    .await;
    let err = collect(&config(&server.url)).await.unwrap_err().to_string();
    assert!(
        err.starts_with(
            "SonarQube: api/components/search_projects answered an unexpected shape at `components[0].key`"
        ),
        "{err}"
    );

    let not_json = ReplayServer::start(|_: &Recorded| Reply::json("<html>login</html>")).await;
    let err = collect(&config(&not_json.url)).await.unwrap_err().to_string();
    assert!(err.contains("not valid JSON"), "{err}");
}

#[tokio::test]
async fn one_unreadable_project_is_listed_and_the_rest_of_the_run_completes() {
    let server = ReplayServer::start(|request: &Recorded| {
        if request.path == "/api/measures/component" && request.param("component") == Some("another_project") {
            return Reply::json(r#"{"component":{"key":"another_project","measures":"none"}}"#);
        }
        recorded(request)
    })
    .await;
    let obs = collect(&config(&server.url)).await.unwrap();
    assert!(obs.complete);
    assert_eq!(obs.entities.len(), 2);
    assert_eq!(obs.unobserved, ["sonar_project:another_project"], "its previous versions carry forward");
    assert!(
        obs.warnings[0].contains("api/measures/component answered an unexpected shape at `component.measures`"),
        "{:?}",
        obs.warnings
    );
}

#[tokio::test]
async fn a_token_without_administer_still_observes_every_project() {
    let server = ReplayServer::start(|request: &Recorded| match request.path.as_str() {
        "/api/projects/search" | "/api/alm_settings/get_binding" => Reply::status(403, ""),
        _ => recorded(request),
    })
    .await;
    let mut config = config(&server.url);
    config.http.concurrency = 1;
    let obs = collect(&config).await.unwrap();
    assert_eq!(obs.entities.len(), 3);
    assert_eq!(server.count("/api/alm_settings/get_binding"), 1, "a refused binding endpoint is not asked again");
    assert_eq!(obs.warnings.len(), 2, "{:?}", obs.warnings);
}

#[tokio::test]
async fn an_unreachable_server_fails_the_run() {
    let err = collect(&fast(config(&closed_port_url()))).await.unwrap_err().to_string();
    assert!(err.starts_with("SonarQube at http://127.0.0.1:"), "{err}");
    assert!(err.contains("unreachable after 3 attempts (connection failed"), "{err}");
}

#[test]
fn bad_config_is_refused_with_its_field_named() {
    let err = toml::from_str::<Config>("base_url = \"http://x\"\nmetric = [\"coverage\"]").unwrap_err().to_string();
    assert!(err.contains("unknown field `metric`"), "{err}");
    let mut config = config("http://127.0.0.1:9");
    config.page_size = 1000;
    let err = SonarQube::new(&config).err().unwrap().to_string();
    assert_eq!(err, "collectors.sonarqube: page_size must be between 1 and 500, got 1000");
}
