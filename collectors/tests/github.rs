//! The GitHub collector against a fake GitHub on loopback (generated
//! repositories served with ETags, `Link` pagination, trees and blobs) and
//! against recorded GitHub responses.

mod support;

use std::time::Duration;

use collectors::github::fake::FakeGitHub;
use collectors::github::{Config, GitHub};
use collectors::http::HttpSettings;
use collectors::{Collector, Day, Observation};
use serde_json::json;
use support::{fixture, token_file, Recorded, ReplayServer, Reply};

const DAY: Day = Day(20_000);
const TOKEN: &str = "ghp_test_token_value";

fn config(url: &str, cache: &std::path::Path) -> Config {
    let mut config: Config = toml::from_str(&format!(
        "base_url = \"{url}\"\norgs = [\"acme\"]\ncheck_latest = false\ntoken_file = \"{}\"\ncache_dir = \"{}\"",
        token_file(TOKEN).display(),
        cache.display()
    ))
    .unwrap();
    config.http = HttpSettings { backoff_ms: 1, max_backoff_ms: 5, retries: 2, concurrency: 8, ..config.http };
    config
}

async fn collect(config: &Config) -> (GitHub, Observation) {
    let collector = GitHub::new(config).unwrap();
    let obs = collector.collect("acme", DAY).await.unwrap();
    (collector, obs)
}

fn relation<'a>(obs: &'a Observation, from: &str, kind: &str, to: &str) -> Option<&'a collectors::ObservedRelation> {
    obs.relations.iter().find(|r| r.from == from && r.kind == kind && r.to == to)
}

fn entity<'a>(obs: &'a Observation, key: &str) -> &'a collectors::ObservedEntity {
    obs.entities.iter().find(|e| e.key == key).unwrap_or_else(|| panic!("{key} not observed"))
}

#[tokio::test]
async fn an_organisation_becomes_repositories_services_owners_and_packages() {
    let github = FakeGitHub::start("acme", 24, Some(TOKEN), Duration::ZERO).await.unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (_, obs) = collect(&config(&github.url, cache.path())).await;
    assert_eq!(obs.validate(), Ok(()));
    assert!(obs.complete);
    assert_eq!(obs.entities.iter().filter(|e| e.kind == "repo").count(), 24);

    let repo = entity(&obs, "repo:127.0.0.1/acme/repo-12");
    assert_eq!(repo.attrs["type"], "service");
    assert_eq!(repo.attrs["status"], "active");
    assert_eq!(repo.attrs["language"], "TypeScript");
    assert_eq!(repo.attrs["languages"], json!(["TypeScript", "Shell"]));
    assert_eq!(repo.attrs["default_branch"], "main");
    // Owner: the catalog file (explicit), agreeing with CODEOWNERS.
    assert_eq!(
        relation(&obs, "team:payments", "owns", "repo:127.0.0.1/acme/repo-12").unwrap().attrs["via"],
        "catalog-info"
    );
    assert!(relation(&obs, "repo:127.0.0.1/acme/repo-12", "builds", "service:repo-12").is_some());
    // Declared dependency from the catalog file.
    assert_eq!(relation(&obs, "service:repo-12", "depends_on", "service:repo-11").unwrap().attrs["via"], "declared");

    // Manifest + lockfile: the declared spec and the resolved version.
    let express = relation(&obs, "service:repo-12", "uses", "package:npm/express").unwrap();
    assert_eq!(express.attrs["spec"], "^4.17.0");
    assert_eq!(express.attrs["resolved"], "4.17.2");
    assert_eq!(express.attrs["scope"], "runtime");
    assert_eq!(express.attrs["manifest"], "package.json");
    assert_eq!(relation(&obs, "service:repo-12", "uses", "package:npm/jest").unwrap().attrs["scope"], "dev");
    // Go and Python repositories.
    assert_eq!(
        relation(&obs, "service:repo-13", "uses", "package:go/github.com/gin-gonic/gin").unwrap().attrs["resolved"],
        "v1.10.0"
    );
    assert_eq!(relation(&obs, "service:repo-14", "uses", "package:pypi/django").unwrap().attrs["resolved"], "4.2.1");

    // A library publishes an internal package; its users depend on... the
    // library builds no service, so no depends_on, but the package is internal.
    assert!(relation(&obs, "repo:127.0.0.1/acme/repo-11-lib", "publishes", "package:npm/@acme/repo-11-lib").is_some());
    assert_eq!(entity(&obs, "package:npm/@acme/repo-11-lib").attrs["internal"], true);
    assert_eq!(entity(&obs, "repo:127.0.0.1/acme/repo-11-lib").attrs["type"], "library");

    // A monorepo builds one service per folder, each using its own manifest.
    for s in 0..3 {
        let service = format!("service:repo-10-svc{s}");
        assert!(relation(&obs, "repo:127.0.0.1/acme/repo-10", "builds", &service).is_some(), "{service}");
        let uses = relation(&obs, &service, "uses", "package:npm/lodash").unwrap();
        assert_eq!(uses.attrs["manifest"], format!("services/repo-10-svc{s}/package.json"));
    }
    // Vendored code is never read.
    assert!(obs.entities.iter().all(|e| e.key != "package:npm/left-pad"));
}

#[tokio::test]
async fn a_second_sync_of_an_unchanged_organisation_costs_almost_nothing() {
    let github = FakeGitHub::start("acme", 250, Some(TOKEN), Duration::ZERO).await.unwrap();
    let cache = tempfile::tempdir().unwrap();
    let config = config(&github.url, cache.path());
    let (_, first) = collect(&config).await;
    let (first_requests, _) = github.requests();
    assert!(first_requests > 250 * 5, "every repository read: {first_requests}");

    github.reset_counters();
    let (collector, second) = collect(&config).await;
    let (requests, not_modified) = github.requests();
    let (counted, _) = collector.requests();
    assert_eq!(requests, 3, "only the three listing pages are asked again");
    assert_eq!(not_modified, 3, "and each is answered 304");
    assert_eq!(counted, 0);
    assert_eq!(first.entities, second.entities);
    assert_eq!(first.relations, second.relations);

    // A push to one repository: only it is read again, and its change shows.
    github.push(
        12,
        "package.json",
        &github.repo(12).files["package.json"].replace("^4.17.21", "^4.18.0"),
        "2026-11-25T09:00:00Z",
    );
    github.reset_counters();
    let (_, third) = collect(&config).await;
    let (requests, _) = github.requests();
    assert!(requests <= 3 + 5, "listing pages, languages, tree, releases, tags and one new blob: {requests}");
    let lodash = relation(&third, "service:repo-12", "uses", "package:npm/lodash").unwrap();
    assert_eq!(lodash.attrs["spec"], "^4.18.0");
}

#[tokio::test]
async fn bad_credentials_fail_the_run_saying_what_to_check() {
    let github = FakeGitHub::start("acme", 3, Some("another-token"), Duration::ZERO).await.unwrap();
    let cache = tempfile::tempdir().unwrap();
    let err =
        GitHub::new(&config(&github.url, cache.path())).unwrap().collect("acme", DAY).await.unwrap_err().to_string();
    assert!(err.starts_with("GitHub rejected the credentials (HTTP 401 on orgs/acme/repos)"), "{err}");
    assert!(!err.contains(TOKEN), "the token leaked: {err}");
}

#[tokio::test]
async fn one_unreadable_repository_is_listed_and_the_rest_completes() {
    let github = FakeGitHub::start("acme", 6, Some(TOKEN), Duration::ZERO).await.unwrap();
    github.break_repo("repo-4", 500);
    github.break_repo("repo-5", 404);
    let cache = tempfile::tempdir().unwrap();
    let (_, obs) = collect(&config(&github.url, cache.path())).await;
    assert!(obs.complete);
    assert_eq!(
        obs.unobserved,
        ["repo:127.0.0.1/acme/repo-4", "repo:127.0.0.1/acme/repo-5"],
        "their previous versions carry forward"
    );
    assert!(
        obs.warnings.iter().any(|w| w.contains("repos/acme/repo-5/git/trees/main was not found (HTTP 404)")),
        "{:?}",
        obs.warnings
    );
    assert!(obs.warnings.iter().any(|w| w.starts_with("repo:127.0.0.1/acme/repo-4: not read: GitHub: repos/acme/repo-4/git/trees/main answered HTTP 500 after 3 attempts")), "{:?}", obs.warnings);
    assert_eq!(obs.entities.iter().filter(|e| e.kind == "repo").count(), 4);
}

#[tokio::test]
async fn an_exhausted_rate_limit_is_waited_out() {
    let github = FakeGitHub::start("acme", 2, Some(TOKEN), Duration::ZERO).await.unwrap();
    github.exhaust_rate_limit(1);
    let cache = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let (_, obs) = collect(&config(&github.url, cache.path())).await;
    assert_eq!(obs.entities.iter().filter(|e| e.kind == "repo").count(), 2);
    assert!(started.elapsed() >= Duration::from_millis(900), "waited for the reset: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_manifest_that_does_not_parse_is_reported_and_skipped() {
    let github = FakeGitHub::start("acme", 13, Some(TOKEN), Duration::ZERO).await.unwrap();
    github.push(12, "package.json", "{ not json", "2026-11-25T09:00:00Z");
    let cache = tempfile::tempdir().unwrap();
    let (_, obs) = collect(&config(&github.url, cache.path())).await;
    assert!(
        obs.warnings.iter().any(|w| w.starts_with("repo:127.0.0.1/acme/repo-12: package.json")),
        "{:?}",
        obs.warnings
    );
    assert!(relation(&obs, "service:repo-12", "uses", "package:npm/express").is_none());
    assert!(
        relation(&obs, "repo:127.0.0.1/acme/repo-12", "builds", "service:repo-12").is_some(),
        "the rest of the repository is observed"
    );
}

/// Issue 35 on the live collector: with the history its cache keeps, a
/// file that stops parsing is read as it last parsed, and nothing of the
/// repository is unobserved for it.
#[tokio::test]
async fn a_manifest_that_stops_parsing_is_read_as_it_last_parsed() {
    let github = FakeGitHub::start("acme", 13, Some(TOKEN), Duration::ZERO).await.unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (_, before) = collect(&config(&github.url, cache.path())).await;
    assert!(relation(&before, "service:repo-12", "uses", "package:npm/express").is_some());

    github.push(12, "package.json", "{ not json", "2026-12-01T09:00:00Z");
    let (_, after) = collect(&config(&github.url, cache.path())).await;
    let express = relation(&after, "service:repo-12", "uses", "package:npm/express");
    assert_eq!(
        express.map(|r| &r.attrs),
        relation(&before, "service:repo-12", "uses", "package:npm/express").map(|r| &r.attrs)
    );
    assert_eq!(after.unobserved, Vec::<String>::new(), "nothing carries forward but the file's own part");
    let warning = after
        .warnings
        .iter()
        .find(|w| w.starts_with("repo:127.0.0.1/acme/repo-12: package.json does not parse since "));
    assert!(warning.is_some_and(|w| w.contains("read as it last parsed")), "{:?}", after.warnings);
}

/// Without a history (a file broken the first time the cache sees it), what
/// the file declared before is not known: the service it speaks for is
/// unobserved, run after run, until it parses.
#[tokio::test]
async fn a_manifest_broken_at_first_sight_keeps_its_service_unobserved() {
    let github = FakeGitHub::start("acme", 13, Some(TOKEN), Duration::ZERO).await.unwrap();
    github.push(12, "package.json", "{ not json", "2026-11-25T09:00:00Z");
    let cache = tempfile::tempdir().unwrap();
    for run in 0..2 {
        let (_, obs) = collect(&config(&github.url, cache.path())).await;
        assert!(obs.unobserved.contains(&"service:repo-12".to_string()), "run {run}: {:?}", obs.unobserved);
    }
}

#[tokio::test]
async fn outdated_packages_say_how_far_behind_they_are() {
    let github = FakeGitHub::start("acme", 13, Some(TOKEN), Duration::ZERO).await.unwrap();
    let registry = ReplayServer::start(|request: &Recorded| match request.path.as_str() {
        "/npm/express" => Reply::json(r#"{"dist-tags":{"latest":"5.0.1"}}"#),
        "/npm/lodash" => Reply::json(r#"{"dist-tags":{"latest":"4.17.21"}}"#),
        "/npm/jest" => Reply::json(r#"{"dist-tags":{"latest":"29.7.0"}}"#),
        "/npm/typescript" => Reply::json(r#"{"dist-tags":{"latest":"5.7.2"}}"#),
        _ => Reply::status(404, "{}"),
    })
    .await;
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(&github.url, cache.path());
    config.check_latest = true;
    config.registries = collectors::registries::RegistryUrls::all_at(&registry.url);
    let (_, obs) = collect(&config).await;
    let uses = |package: &str| relation(&obs, "service:repo-12", "uses", package).unwrap().attrs.clone();
    assert_eq!(uses("package:npm/express")["latest"], "5.0.1");
    assert_eq!(
        (uses("package:npm/express")["outdated"].clone(), uses("package:npm/express")["behind"].clone()),
        (json!(true), json!("major"))
    );
    assert_eq!(uses("package:npm/lodash")["outdated"], false);
    assert_eq!(uses("package:npm/lodash")["behind"], "up_to_date", "every level is written, up to date too");
    assert_eq!(uses("package:npm/typescript")["behind"], "minor");
    let unresolved = relation(&obs, "repo:127.0.0.1/acme/repo-0", "uses", "package:npm/lodash").unwrap();
    assert_eq!(
        (unresolved.attrs["latest"].clone(), unresolved.attrs["behind"].clone(), unresolved.attrs.get("outdated")),
        (json!("4.17.21"), json!("unknown"), None),
        "a use without a resolved version: the latest is known, how far behind is not"
    );
    let unlisted = relation(&obs, "repo:127.0.0.1/acme/repo-0", "uses", "package:npm/zod").unwrap();
    assert!(unlisted.attrs.get("behind").is_none(), "no latest version, nothing said: {:?}", unlisted.attrs);
    assert_eq!(entity(&obs, "package:npm/express").attrs["latest"], "5.0.1");
}

#[tokio::test]
async fn the_recorded_repository_reads_as_a_repository() {
    // GitHub's recorded answer for one repository, served as a one-item listing.
    let recorded: serde_json::Value = serde_json::from_str(&fixture("github/get-repository.json")).unwrap();
    let repository = recorded[0]["response"].clone();
    let server = ReplayServer::start(move |request: &Recorded| match request.path.as_str() {
        "/orgs/octokit-fixture-org/repos" => Reply::json(serde_json::Value::Array(vec![repository.clone()]).to_string())
            .header("etag", "\"b6bf76818c02a332828422c6fa78009ad1f08f302c18524af715ed641f004227\"")
            .header("x-ratelimit-remaining", "4999"),
        "/repos/octokit-fixture-org/hello-world/languages" => Reply::json("{}"),
        // A repository without releases or tags: GitHub answers empty lists.
        "/repos/octokit-fixture-org/hello-world/releases" | "/repos/octokit-fixture-org/hello-world/tags" => {
            Reply::json("[]")
        }
        "/repos/octokit-fixture-org/hello-world/git/trees/master" => Reply::json(r#"{"tree":[{"path":"README.md","type":"blob","sha":"93a078d1c3f76aa1ca11def8f882a06df1d4a01b","size":13}],"truncated":false}"#),
        _ => Reply::status(404, "{}"),
    })
    .await;
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(&server.url, cache.path());
    config.orgs = vec!["octokit-fixture-org".into()];
    let collector = GitHub::new(&config).unwrap();
    let obs = collector.collect("octokit-fixture-org", DAY).await.unwrap();
    let repo = entity(&obs, "repo:127.0.0.1/octokit-fixture-org/hello-world");
    assert_eq!(repo.attrs["default_branch"], "master");
    assert_eq!(repo.attrs["status"], "active");
    assert_eq!(repo.attrs["visibility"], "public");
    assert_eq!(repo.attrs["type"], "other");
    assert_eq!(repo.attrs["last_push"], repository_pushed_at());
    // The second run sends the recorded ETag back.
    collector.collect("octokit-fixture-org", DAY).await.unwrap();
    let listing: Vec<_> = server.requests().into_iter().filter(|r| r.path.ends_with("/repos")).collect();
    assert_eq!(
        listing[1].header("if-none-match"),
        Some("\"b6bf76818c02a332828422c6fa78009ad1f08f302c18524af715ed641f004227\"")
    );
}

fn repository_pushed_at() -> serde_json::Value {
    let recorded: serde_json::Value = serde_json::from_str(&fixture("github/get-repository.json")).unwrap();
    recorded[0]["response"]["pushed_at"].clone()
}

#[test]
fn bad_config_is_refused_with_its_key_named() {
    let err = toml::from_str::<Config>("orgs = [\"acme\"]\norganisation = \"x\"").unwrap_err().to_string();
    assert!(err.contains("unknown field `organisation`"), "{err}");
    let config: Config = toml::from_str("orgs = []\ncheck_latest = false").unwrap();
    assert_eq!(
        GitHub::new(&config).err().unwrap().to_string(),
        "collectors.github: orgs must name at least one organisation, e.g. orgs = [\"acme\"]"
    );
}
