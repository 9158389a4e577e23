//! The Confluence collector against a local server that answers like
//! Confluence: recorded page shapes, a generated large site, and failures.

mod support;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use collectors::confluence::{Config, Confluence};
use collectors::http::HttpSettings;
use collectors::{Collector, Day, Observation};
use serde_json::{json, Value};
use support::{closed_port_url, fixture, token_file, Recorded, ReplayServer, Reply};

const DAY: Day = Day(20_000);
const SEARCH: &str = "/wiki/rest/api/content/search";
const EXPAND: &str = "space,version,metadata.labels";

/// A Cloud config for the site at `base` (`…/wiki`), plus `extra` TOML lines.
fn cloud(base: &str, extra: &str) -> Config {
    let toml = format!(
        "base_url = \"{base}/wiki\"\nuser_email = \"ops@acme.com\"\ntoken_file = \"{}\"\n{extra}",
        token_file("cloud-token-123").display()
    );
    toml::from_str::<Config>(&toml).unwrap_or_else(|e| panic!("{e}\n{toml}"))
}

fn fast(mut config: Config) -> Config {
    config.http = HttpSettings { backoff_ms: 1, max_backoff_ms: 5, retries: 2, ..HttpSettings::default() };
    config
}

async fn collect(config: &Config) -> Result<Observation, collectors::CollectError> {
    let collector = Confluence::new(config)?;
    let scope = collector.scopes().remove(0);
    collector.collect(&scope, DAY).await
}

/// A content search answer, as `rest/api/content/search` gives it.
fn envelope(results: Vec<Value>, next: Option<&str>) -> String {
    let mut links = json!({ "base": "https://acme.atlassian.net/wiki", "context": "/wiki" });
    if let Some(next) = next {
        links["next"] = json!(next);
    }
    json!({ "results": results, "start": 0, "limit": 100, "size": results.len(), "_links": links }).to_string()
}

/// The recorded page, with the recorded labels as its `metadata.labels`.
fn recorded_page() -> Value {
    let mut page: Value = serde_json::from_str(&fixture("confluence/page_response.json")).unwrap();
    let labels: Value = serde_json::from_str(&fixture("confluence/labels_response.json")).unwrap();
    page["metadata"] = json!({ "labels": labels });
    page
}

/// A minimal page as the search returns it with our expansions.
fn page(id: u64, title: &str, space: &str, labels: &[String], property: Option<&str>) -> Value {
    let labels: Vec<Value> = labels.iter().map(|l| json!({ "prefix": "global", "name": l, "id": "1" })).collect();
    let mut metadata = json!({ "labels": { "results": labels, "start": 0, "limit": 200, "size": labels.len() } });
    if let Some(service) = property {
        metadata["properties"] = json!({ "spot-service": { "id": "9", "key": "spot-service", "value": service } });
    }
    json!({
        "id": id.to_string(),
        "type": "page",
        "status": "current",
        "title": title,
        "space": { "id": 1, "key": space, "name": format!("{space} space"), "type": "global" },
        "version": {
            "by": { "type": "known", "accountId": "u1", "displayName": format!("User {}", id % 13) },
            "when": format!("2026-11-{:02}T10:00:00.000Z", id % 28 + 1),
            "number": id % 9 + 1
        },
        "metadata": metadata,
        "_links": { "webui": format!("/spaces/{space}/pages/{id}") }
    })
}

fn entity<'a>(obs: &'a Observation, key: &str) -> &'a collectors::ObservedEntity {
    obs.entities.iter().find(|e| e.key == key).unwrap_or_else(|| panic!("{key} not observed"))
}

fn answer_with(results: Vec<Value>) -> impl Fn(&Recorded) -> Reply {
    let body = envelope(results, None);
    move |request: &Recorded| match request.path.as_str() {
        SEARCH => Reply::json(body.clone()),
        other => Reply::status(404, format!("no route {other}")),
    }
}

#[tokio::test]
async fn a_recorded_page_becomes_a_doc_in_its_space() {
    let server = ReplayServer::start(answer_with(vec![recorded_page()])).await;
    let obs = collect(&cloud(&server.url, "spaces = [\"PROJ\"]")).await.unwrap();
    assert_eq!((obs.source.as_str(), obs.scope.as_str()), ("confluence", "127.0.0.1"));
    assert!(obs.complete);
    assert_eq!(obs.validate(), Ok(()));
    assert!(obs.warnings.is_empty(), "{:?}", obs.warnings);
    let doc = entity(&obs, "doc:confluence/987654321");
    assert_eq!((doc.kind.as_str(), doc.name.as_str()), ("doc", "Example Meeting Notes"));
    assert_eq!(
        Value::Object(doc.attrs.clone()),
        json!({
            "title": "Example Meeting Notes",
            "space": "PROJ",
            "labels": ["important", "meeting-notes", "test"],
            "version": 1,
            "last_editor": "Example User (Unlicensed)",
            "updated": "2024-01-01T09:00:00Z",
            "url": format!("{}/wiki/spaces/PROJ/pages/987654321/Example+Meeting+Notes", server.url),
        })
    );
    let space = entity(&obs, "space:confluence/PROJ");
    assert_eq!((space.kind.as_str(), space.name.as_str()), ("space", "Project Space"));
    assert_eq!(Value::Object(space.attrs.clone()), json!({ "key": "PROJ", "name": "Project Space", "type": "global" }));
    assert_eq!(obs.entities.len(), 2);
    // No service label, title pattern or property: a doc of its space only.
    let edges: Vec<_> = obs.relations.iter().map(|r| (r.from.as_str(), r.kind.as_str(), r.to.as_str())).collect();
    assert_eq!(edges, [("doc:confluence/987654321", "in_space", "space:confluence/PROJ")]);
}

#[tokio::test]
async fn a_service_label_on_the_recorded_page_documents_that_service() {
    let mut page = recorded_page();
    page["metadata"]["labels"]["results"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "prefix": "global", "name": "service-billing", "id": "7" }));
    let server = ReplayServer::start(answer_with(vec![page])).await;
    let obs = collect(&cloud(&server.url, "spaces = [\"PROJ\"]")).await.unwrap();
    let documents: Vec<_> = obs.relations.iter().filter(|r| r.kind == "documents").collect();
    assert_eq!(documents.len(), 1);
    assert_eq!(
        (documents[0].from.as_str(), documents[0].to.as_str(), &documents[0].attrs["via"]),
        ("doc:confluence/987654321", "service:billing", &json!("label"))
    );
}

/// Which services page `i` of the generated site names, and how.
fn generated_services(i: u64) -> (String, Vec<String>, Option<String>) {
    let title = if i % 7 == 0 { format!("svc-{} runbook", i % 30) } else { format!("Page {i}") };
    let mut labels = vec!["howto".to_string()];
    if i % 5 == 0 {
        labels.push(format!("service-svc-{}", i % 50));
    }
    let property = (i % 11 == 0).then(|| format!("svc-{}", i % 40));
    (title, labels, property)
}

/// A site of `n` pages in three spaces, served 100 per answer and chained
/// by cursor `next` links that (as on Cloud) leave the expansions out.
fn large_site(n: u64) -> impl Fn(&Recorded) -> Reply {
    move |request: &Recorded| {
        if request.path != SEARCH {
            return Reply::status(404, format!("no route {}", request.path));
        }
        let expected = format!("{EXPAND},metadata.properties.spot-service");
        if request.param("expand") != Some(expected.as_str()) {
            return Reply::status(400, format!("expand was {:?}", request.param("expand")));
        }
        let Some(cql) = request.param("cql") else { return Reply::status(400, "no cql") };
        let cursor: u64 = request.param("cursor").map(|c| c.parse().unwrap()).unwrap_or(0);
        let results: Vec<Value> = (cursor * 100..((cursor + 1) * 100).min(n))
            .map(|i| {
                let (title, labels, property) = generated_services(i);
                page(100_000 + i, &title, ["ENG", "OPS", "SRE"][i as usize % 3], &labels, property.as_deref())
            })
            .collect();
        let next = ((cursor + 1) * 100 < n).then(|| {
            let mut url = reqwest::Url::parse("http://x/rest/api/content/search").unwrap();
            url.query_pairs_mut()
                .append_pair("cql", cql)
                .append_pair("limit", "100")
                .append_pair("cursor", &(cursor + 1).to_string());
            format!("{}?{}", url.path(), url.query().unwrap())
        });
        Reply::json(envelope(results, next.as_deref()))
    }
}

#[tokio::test]
async fn thousands_of_pages_are_read_across_every_page_of_results() {
    let server = ReplayServer::start(large_site(2_500)).await;
    let config = cloud(
        &server.url,
        "spaces = [\"ENG\", \"OPS\", \"SRE\"]\ntitle_pattern = \"^(?P<service>[a-z0-9-]+) runbook$\"\nservice_property = \"spot-service\"",
    );
    let obs = collect(&config).await.unwrap();
    assert_eq!(server.count(SEARCH), 25, "2,500 pages, 100 per answer");
    assert!(obs.warnings.is_empty(), "{:?}", &obs.warnings[..obs.warnings.len().min(3)]);
    assert_eq!(obs.validate(), Ok(()));
    assert_eq!(obs.entities.iter().filter(|e| e.kind == "doc").count(), 2_500);
    let spaces: Vec<_> = obs.entities.iter().filter(|e| e.kind == "space").map(|e| e.key.as_str()).collect();
    assert_eq!(spaces, ["space:confluence/ENG", "space:confluence/OPS", "space:confluence/SRE"]);
    assert_eq!(obs.relations.iter().filter(|r| r.kind == "in_space").count(), 2_500);

    // Every documents relation, computed independently: a label beats the
    // property, which beats the title.
    let mut expected = BTreeSet::new();
    for i in 0..2_500u64 {
        let mut named: Vec<(String, &str)> = Vec::new();
        if i % 5 == 0 {
            named.push((format!("svc-{}", i % 50), "label"));
        }
        if i % 11 == 0 {
            named.push((format!("svc-{}", i % 40), "property"));
        }
        if i % 7 == 0 {
            named.push((format!("svc-{}", i % 30), "title"));
        }
        let mut kept: Vec<(String, &str)> = Vec::new();
        for (name, via) in named {
            if !kept.iter().any(|(k, _)| *k == name) {
                kept.push((name, via));
            }
        }
        for (name, via) in kept {
            expected.insert((format!("doc:confluence/{}", 100_000 + i), format!("service:{name}"), via.to_string()));
        }
    }
    let actual: BTreeSet<_> = obs
        .relations
        .iter()
        .filter(|r| r.kind == "documents")
        .map(|r| (r.from.clone(), r.to.clone(), r.attrs["via"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(actual.len(), obs.relations.iter().filter(|r| r.kind == "documents").count(), "no duplicates");
    assert_eq!(actual, expected);
    // Spot checks of the rules: page 0 names svc-0 by label, property and
    // title (kept once, via label); page 70 names svc-20 by label and
    // svc-10 by title; page 77 only by property and title.
    let vias = |i: u64| -> Vec<(String, String)> {
        let from = format!("doc:confluence/{}", 100_000 + i);
        actual.iter().filter(|(f, _, _)| *f == from).map(|(_, to, via)| (to.clone(), via.clone())).collect()
    };
    assert_eq!(vias(0), [("service:svc-0".to_string(), "label".to_string())]);
    assert_eq!(
        vias(70),
        [("service:svc-10".to_string(), "title".to_string()), ("service:svc-20".to_string(), "label".to_string())]
    );
    assert_eq!(
        vias(77),
        [("service:svc-17".to_string(), "title".to_string()), ("service:svc-37".to_string(), "property".to_string())]
    );
    // A page that names nothing is still a doc of its space.
    assert_eq!(vias(1), []);
    let one: Vec<_> = obs.relations.iter().filter(|r| r.from == "doc:confluence/100001").collect();
    assert_eq!((one.len(), one[0].to.as_str()), (1, "space:confluence/OPS"));
    let doc = entity(&obs, "doc:confluence/101234");
    assert_eq!(
        Value::Object(doc.attrs.clone()),
        json!({
            "title": "Page 1234",
            "space": "OPS",
            "labels": ["howto"],
            "version": 101_234 % 9 + 1,
            "last_editor": format!("User {}", 101_234 % 13),
            "updated": format!("2026-11-{:02}T10:00:00Z", 101_234 % 28 + 1),
            "url": format!("{}/wiki/spaces/OPS/pages/101234", server.url),
        })
    );
}

#[tokio::test]
async fn the_cql_selects_spaces_labels_and_ancestors_with_values_quoted() {
    let server = ReplayServer::start(answer_with(vec![])).await;
    let config = cloud(
        &server.url,
        r#"spaces = ["ENG", "OPS"]
labels = ["runbook", "x\"y\\z"]
ancestors = [123, "456"]
page_size = 50"#,
    );
    let obs = collect(&config).await.unwrap();
    assert!(obs.entities.is_empty() && obs.complete);
    let request = &server.requests()[0];
    assert_eq!(
        request.param("cql"),
        Some(
            r#"type = page AND space in ("ENG", "OPS") AND label in ("runbook", "x\"y\\z") AND (ancestor = 123 OR ancestor = 456) ORDER BY created"#
        )
    );
    assert_eq!(request.param("limit"), Some("50"));
    assert_eq!(request.param("expand"), Some(EXPAND));

    let server = ReplayServer::start(answer_with(vec![])).await;
    let config = cloud(&server.url, "cql = \"type = page AND creator = currentUser()\"");
    collect(&config).await.unwrap();
    assert_eq!(server.requests()[0].param("cql"), Some("type = page AND creator = currentUser()"));
}

#[tokio::test]
async fn cloud_sends_email_and_api_token_and_server_a_bearer_token() {
    let server = ReplayServer::start(answer_with(vec![])).await;
    collect(&cloud(&server.url, "spaces = [\"ENG\"]")).await.unwrap();
    // base64("ops@acme.com:cloud-token-123")
    assert_eq!(server.requests()[0].header("authorization"), Some("Basic b3BzQGFjbWUuY29tOmNsb3VkLXRva2VuLTEyMw=="));

    let server = ReplayServer::start(move |request: &Recorded| match request.path.as_str() {
        "/rest/api/content/search" => Reply::json(envelope(vec![page(5, "Home", "ENG", &[], None)], None)),
        other => Reply::status(404, format!("no route {other}")),
    })
    .await;
    let toml = format!(
        "base_url = \"{}\"\ndeployment = \"server\"\ntoken_file = \"{}\"\nspaces = [\"ENG\"]",
        server.url,
        token_file("server-pat-456").display()
    );
    let obs = collect(&toml::from_str(&toml).unwrap()).await.unwrap();
    assert_eq!(server.requests()[0].header("authorization"), Some("Bearer server-pat-456"));
    assert_eq!(entity(&obs, "doc:confluence/5").attrs["url"], json!(format!("{}/spaces/ENG/pages/5", server.url)));
}

#[tokio::test]
async fn rejected_credentials_fail_the_run_saying_what_to_check() {
    let server = ReplayServer::start(|_: &Recorded| Reply::status(401, "")).await;
    let mut config = cloud(&server.url, "spaces = [\"ENG\"]");
    config.token_file = None;
    config.token_env = Some("SPOT_TEST_CONFLUENCE_TOKEN".into());
    std::env::set_var("SPOT_TEST_CONFLUENCE_TOKEN", "atl_secret_value");
    let err = collect(&config).await.unwrap_err().to_string();
    assert!(
        err.starts_with(
            "Confluence rejected the credentials (HTTP 401 on rest/api/content/search): check user_email (ops@acme.com) and the API token in SPOT_TEST_CONFLUENCE_TOKEN"
        ),
        "{err}"
    );
    assert!(!err.contains("atl_secret_value"), "the token leaked: {err}");
    assert_eq!(server.count(SEARCH), 1, "a 401 is not retried");
}

#[tokio::test]
async fn a_forbidden_search_fails_the_run() {
    let server = ReplayServer::start(|_: &Recorded| Reply::status(403, "")).await;
    let err = collect(&cloud(&server.url, "spaces = [\"ENG\"]")).await.unwrap_err().to_string();
    assert!(err.starts_with("Confluence refused access (HTTP 403 on rest/api/content/search)"), "{err}");
    assert!(err.contains("an account that can view the spaces"), "{err}");
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_as_retry_after_says() {
    let calls = AtomicUsize::new(0);
    let body = envelope(vec![page(1, "Home", "ENG", &[], None)], None);
    let server = ReplayServer::start(move |_: &Recorded| {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::status(429, "slow down").header("Retry-After", "1");
        }
        Reply::json(body.clone())
    })
    .await;
    let started = std::time::Instant::now();
    let obs = collect(&fast(cloud(&server.url, "spaces = [\"ENG\"]"))).await.unwrap();
    assert_eq!(obs.entities.len(), 2);
    assert_eq!(server.count(SEARCH), 2);
    assert!(started.elapsed() >= std::time::Duration::from_millis(950), "did not wait: {:?}", started.elapsed());
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let calls = AtomicUsize::new(0);
    let body = envelope(vec![page(1, "Home", "ENG", &[], None)], None);
    let flaky = ReplayServer::start(move |_: &Recorded| {
        if calls.fetch_add(1, Ordering::SeqCst) < 2 {
            return Reply::status(503, "maintenance");
        }
        Reply::json(body.clone())
    })
    .await;
    let obs = collect(&fast(cloud(&flaky.url, "spaces = [\"ENG\"]"))).await.unwrap();
    assert_eq!(obs.entities.len(), 2);
    assert_eq!(flaky.count(SEARCH), 3, "two 503s, then the answer");

    let down = ReplayServer::start(|_: &Recorded| Reply::status(500, "<html>Internal error</html>")).await;
    let err = collect(&fast(cloud(&down.url, "spaces = [\"ENG\"]"))).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "Confluence: rest/api/content/search answered HTTP 500 after 3 attempts: <html>Internal error</html>"
    );
    assert_eq!(down.count(SEARCH), 3);
}

#[tokio::test]
async fn one_malformed_page_is_listed_and_the_rest_of_the_run_completes() {
    let malformed =
        json!({ "id": "555", "title": "Broken", "space": { "key": "ENG" }, "version": { "number": "seven" } });
    let results = vec![page(1, "Home", "ENG", &[], None), malformed, page(2, "Other", "ENG", &[], None)];
    let server = ReplayServer::start(answer_with(results)).await;
    let obs = collect(&cloud(&server.url, "spaces = [\"ENG\"]")).await.unwrap();
    assert!(obs.complete, "the rest of the pages are diffed");
    let docs: Vec<_> = obs.entities.iter().filter(|e| e.kind == "doc").map(|e| e.key.as_str()).collect();
    assert_eq!(docs, ["doc:confluence/1", "doc:confluence/2"]);
    assert_eq!(obs.unobserved, ["doc:confluence/555"], "its previous versions carry forward");
    assert_eq!(
        obs.warnings,
        ["doc:confluence/555: not read: Confluence: rest/api/content/search answered an unexpected shape at `results[1].version.number`: invalid type: string \"seven\", expected u64"]
    );
    assert_eq!(obs.validate(), Ok(()));
}

#[tokio::test]
async fn a_page_without_an_id_makes_the_run_close_nothing() {
    let results = vec![page(1, "Home", "ENG", &[], None), json!({ "title": "who am I" })];
    let server = ReplayServer::start(answer_with(results)).await;
    let obs = collect(&cloud(&server.url, "spaces = [\"ENG\"]")).await.unwrap();
    assert!(!obs.complete, "an unknown page might be any page: nothing may be closed");
    assert!(obs.unobserved.is_empty());
    assert_eq!(obs.entities.len(), 2);
    assert_eq!(obs.warnings.len(), 1);
    assert!(
        obs.warnings[0].starts_with("a page without a readable id was not read, so this run closes nothing: Confluence: rest/api/content/search answered an unexpected shape at `results[1]`: missing field `id`"),
        "{:?}",
        obs.warnings
    );
}

#[tokio::test]
async fn the_other_search_endpoints_shape_is_not_mistaken_for_pages() {
    // `rest/api/search` wraps each content object in a search hit; a proxy
    // or a wrong base_url answering with it must not pass for pages.
    let recorded = fixture("confluence/cql_search_response.json");
    let server = ReplayServer::start(move |_: &Recorded| Reply::json(recorded.clone())).await;
    let obs = collect(&cloud(&server.url, "spaces = [\"TEAM\"]")).await.unwrap();
    assert!(obs.entities.is_empty());
    assert!(!obs.complete);
    assert!(obs.warnings[0].contains("at `results[0]`: missing field `id`"), "{:?}", obs.warnings);
}

#[tokio::test]
async fn a_malformed_answer_fails_the_run_naming_the_field() {
    let server = ReplayServer::start(|_: &Recorded| Reply::json(r#"{"results":"oops","_links":{}}"#)).await;
    let err = collect(&cloud(&server.url, "spaces = [\"ENG\"]")).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "Confluence: rest/api/content/search answered an unexpected shape at `results`: invalid type: string \"oops\", expected a sequence at line 1 column 17"
    );

    let server = ReplayServer::start(|_: &Recorded| Reply::json(r#"{"results":[],"_links":{"next":5}}"#)).await;
    let err = collect(&cloud(&server.url, "spaces = [\"ENG\"]")).await.unwrap_err().to_string();
    assert!(err.contains("unexpected shape at `_links.next`: invalid type: integer `5`"), "{err}");

    let server = ReplayServer::start(|_: &Recorded| Reply::json("<html>log in</html>")).await;
    let err = collect(&cloud(&server.url, "spaces = [\"ENG\"]")).await.unwrap_err().to_string();
    assert!(err.contains("not valid JSON"), "{err}");
}

#[tokio::test]
async fn a_next_link_that_loops_or_leaves_the_site_fails_the_run() {
    let server = ReplayServer::start(|request: &Recorded| {
        let next = "/rest/api/content/search?cursor=again";
        let id = if request.param("cursor").is_some() { 2 } else { 1 };
        Reply::json(envelope(vec![page(id, "P", "ENG", &[], None)], Some(next)))
    })
    .await;
    let err = collect(&cloud(&server.url, "spaces = [\"ENG\"]")).await.unwrap_err().to_string();
    assert!(
        err.starts_with("Confluence: rest/api/content/search answered an unexpected shape at `_links.next`: links back to a page of results already read (/wiki/rest/api/content/search?cursor=again&expand="),
        "{err}"
    );
    assert_eq!(server.count(SEARCH), 2);

    let server = ReplayServer::start(|_: &Recorded| {
        Reply::json(envelope(vec![], Some("https://elsewhere.example/wiki/rest/api/content/search?cursor=1")))
    })
    .await;
    let err = collect(&cloud(&server.url, "spaces = [\"ENG\"]")).await.unwrap_err().to_string();
    assert!(err.contains("a link to another host (https://elsewhere.example) is not followed"), "{err}");
}

#[tokio::test]
async fn a_page_met_twice_is_kept_once() {
    let server = ReplayServer::start(|request: &Recorded| {
        if request.param("cursor").is_some() {
            Reply::json(envelope(vec![page(2, "B", "ENG", &[], None), page(3, "C", "ENG", &[], None)], None))
        } else {
            let next = "/rest/api/content/search?cursor=1";
            Reply::json(envelope(vec![page(1, "A", "ENG", &[], None), page(2, "B", "ENG", &[], None)], Some(next)))
        }
    })
    .await;
    let obs = collect(&cloud(&server.url, "spaces = [\"ENG\"]")).await.unwrap();
    let docs: Vec<_> = obs.entities.iter().filter(|e| e.kind == "doc").map(|e| e.key.as_str()).collect();
    assert_eq!(docs, ["doc:confluence/1", "doc:confluence/2", "doc:confluence/3"]);
    assert_eq!(obs.validate(), Ok(()));
}

#[tokio::test]
async fn a_refused_query_names_the_cql_and_a_wrong_base_url_says_so() {
    let server = ReplayServer::start(|_: &Recorded| {
        Reply::status(400, r#"{"statusCode":400,"message":"Could not parse cql : type = page AND space in ()"}"#)
    })
    .await;
    let err = collect(&cloud(&server.url, "spaces = [\"ENG\"]")).await.unwrap_err().to_string();
    assert!(err.starts_with("collectors.confluence: Confluence refused the search (HTTP 400 on rest/api/content/search: {\"statusCode\":400,\"message\":\"Could not parse cql"), "{err}");
    assert!(err.ends_with(r#"The CQL sent was: type = page AND space in ("ENG") ORDER BY created"#), "{err}");

    let server = ReplayServer::start(|_: &Recorded| Reply::status(404, "")).await;
    let err = collect(&cloud(&server.url, "spaces = [\"ENG\"]")).await.unwrap_err().to_string();
    assert!(err.contains("check base_url, which for Confluence Cloud ends in /wiki"), "{err}");
}

#[tokio::test]
async fn an_unreachable_site_fails_the_run() {
    let err = collect(&fast(cloud(&closed_port_url(), "spaces = [\"ENG\"]"))).await.unwrap_err().to_string();
    assert!(err.starts_with("Confluence at http://127.0.0.1:"), "{err}");
    assert!(err.contains("unreachable after 3 attempts (connection failed"), "{err}");
}

#[tokio::test]
async fn only_the_configured_scope_is_collected() {
    let mut config = cloud("http://127.0.0.1:9", "spaces = [\"ENG\"]");
    config.scope = Some("acme-wiki".into());
    let collector = Confluence::new(&config).unwrap();
    assert_eq!(collector.scopes(), ["acme-wiki"]);
    let err = collector.collect("other", DAY).await.unwrap_err().to_string();
    assert_eq!(err, "confluence: no scope 'other' is configured (configured: acme-wiki)");
}

fn refused(config: &Config) -> String {
    Confluence::new(config).err().expect("the config was accepted").to_string()
}

#[test]
fn bad_config_is_refused_saying_what_to_change() {
    let err = toml::from_str::<Config>("base_url = \"http://x\"\nspace = [\"ENG\"]").unwrap_err().to_string();
    assert!(err.contains("unknown field `space`"), "{err}");
    let err = toml::from_str::<Config>("base_url = \"http://x\"\ndeployment = \"onprem\"").unwrap_err().to_string();
    assert!(err.contains("unknown variant `onprem`"), "{err}");

    let dc: Config = toml::from_str("base_url = \"http://x\"\ndeployment = \"datacenter\"").unwrap();
    assert_eq!(dc.deployment, collectors::confluence::Deployment::Server);

    let base = "http://127.0.0.1:9";
    let err = refused(&cloud(base, "spaces = [\"ENG\"]\ntitle_pattern = \"(?P<service>[a-z\""));
    assert!(err.starts_with("collectors.confluence: title_pattern is not a valid regular expression"), "{err}");
    let err = refused(&cloud(base, "spaces = [\"ENG\"]\ntitle_pattern = \"^(.+) runbook$\""));
    assert_eq!(
        err,
        "collectors.confluence: title_pattern '^(.+) runbook$' has no group named `service`, e.g. \"^(?P<service>[a-z0-9-]+) runbook$\""
    );
    let mut no_email = cloud(base, "spaces = [\"ENG\"]");
    no_email.user_email = None;
    assert_eq!(
        refused(&no_email),
        "collectors.confluence: deployment = \"cloud\" needs user_email, the email of the account the API token belongs to (for Server / Data Center set deployment = \"server\")"
    );
    let mut no_token = cloud(base, "spaces = [\"ENG\"]");
    no_token.token_file = None;
    assert_eq!(
        refused(&no_token),
        "collectors.confluence: deployment = \"cloud\" needs an API token: set token_env or token_file"
    );
    let server: Config =
        toml::from_str("base_url = \"http://x\"\ndeployment = \"server\"\nspaces = [\"ENG\"]").unwrap();
    assert_eq!(
        refused(&server),
        "collectors.confluence: deployment = \"server\" needs a personal access token: set token_env or token_file"
    );
    assert!(refused(&cloud(base, "")).contains("spaces must list at least one space key"));
    assert_eq!(
        refused(&cloud(base, "spaces = [\"ENG\"]\ncql = \"type = page\"")),
        "collectors.confluence: cql replaces spaces, labels and ancestors: set either cql or those"
    );
    assert_eq!(
        refused(&cloud(base, "spaces = [\"ENG\"]\nancestors = [\"12a\"]")),
        "collectors.confluence: ancestors: '12a' is not a page id (the digits in the page's URL)"
    );
    assert_eq!(
        refused(&cloud(base, "spaces = [\"ENG\"]\npage_size = 251")),
        "collectors.confluence: page_size must be between 1 and 250, got 251"
    );
    assert_eq!(
        refused(&cloud(base, "spaces = [\"ENG\"]\nservice_property = \"spot.service\"")),
        "collectors.confluence: service_property 'spot.service' must be letters, digits, '-' and '_'"
    );
    let missing = cloud(base, "spaces = [\"ENG\"]\ntoken_env = \"SPOT_TEST_SURELY_UNSET_CONFLUENCE\"");
    let mut missing = missing;
    missing.token_file = None;
    assert_eq!(
        refused(&missing),
        "collectors.confluence: collectors.confluence token: environment variable SPOT_TEST_SURELY_UNSET_CONFLUENCE is not set"
    );
}

#[test]
fn a_case_insensitive_title_pattern_is_accepted() {
    let config =
        cloud("http://127.0.0.1:9", "spaces = [\"ENG\"]\ntitle_pattern = \"(?i)^(?P<service>[a-z0-9-]+) runbook$\"");
    assert!(Confluence::new(&config).is_ok(), "{:?}", Confluence::new(&config).err());
}
