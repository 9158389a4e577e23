//! `spot backfill git`: daily history from real git repositories, checked
//! through the store's queries — what a service used on a given day, when a
//! dependency appeared and went, what image a workload declared.

#[path = "support/git.rs"]
mod git_repo;

use std::sync::Arc;

use collectors::Day;
use git_repo::TestRepo;
use spot::backfill::{self, OrgSummary, Quiet};
use spot::model::{Direction, Relation};
use spot::store::Store;
use spot::SqliteStore;

fn day(date: &str) -> Day {
    date.parse().unwrap()
}

fn options(paths: &[&TestRepo]) -> backfill::Options {
    backfill::Options {
        paths: paths.iter().map(|r| r.path.clone()).collect(),
        since: None,
        until: None,
        max_file_bytes: 5 << 20,
        identity: Default::default(),
        ingest: Default::default(),
    }
}

fn store(dir: &tempfile::TempDir) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(dir.path().join("spot.db")).unwrap())
}

async fn uses_on(store: &dyn Store, service: &str, date: &str) -> Vec<(String, Option<String>)> {
    let uses = store.relations(service, day(date), Direction::Out, &["uses".to_string()]).await.unwrap();
    uses.into_iter().map(|r| (r.to, r.attrs.get("resolved").and_then(|v| v.as_str()).map(str::to_string))).collect()
}

async fn history(store: &dyn Store, from: &str, kind: &str, to: &str) -> Vec<Relation> {
    let all = store.relation_history(from, Direction::Out, &[kind.to_string()], Day(0), Day(40_000)).await.unwrap();
    all.into_iter().filter(|r| r.to == to).collect()
}

/// The relation's versions follow each other without a gap: (first day, end).
fn span(versions: &[Relation]) -> (Day, Day) {
    for pair in versions.windows(2) {
        assert_eq!(pair[0].valid_to, pair[1].valid_from, "a gap in {versions:#?}");
    }
    (versions.first().unwrap().valid_from, versions.last().unwrap().valid_to)
}

const CATALOG: &str = "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: billing
spec:
  type: service
  owner: group:payments
";

fn package_json(deps: &[(&str, &str)]) -> String {
    let deps: Vec<String> = deps.iter().map(|(n, v)| format!("\"{n}\": \"{v}\"")).collect();
    format!("{{\"name\": \"billing\", \"private\": true, \"dependencies\": {{{}}}}}", deps.join(", "))
}

fn deployment(tag: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: billing\n  labels:\n    app: billing\nspec:\n  template:\n    spec:\n      containers:\n        - name: main\n          image: ghcr.io/acme/billing:{tag}\n"
    )
}

/// A billing service over a month: a dependency bumped, one added and
/// removed, a malformed day, its folder moved, its image tag changed.
fn billing_history(parent: &std::path::Path) -> TestRepo {
    let repo = TestRepo::new(parent, "acme", "billing");
    let pkg = "services/billing/package.json";
    repo.commit(
        "2024-01-02",
        9,
        &[
            ("services/billing/catalog-info.yaml", Some(CATALOG)),
            (pkg, Some(&package_json(&[("lodash", "4.17.20")]))),
            ("deploy/billing.yaml", Some(&deployment("1.0.0"))),
        ],
    );
    // Two commits on one day: the day's last one is what the day shows.
    repo.commit("2024-01-05", 10, &[(pkg, Some(&package_json(&[("lodash", "4.17.20"), ("left-pad", "1.0.0")])))]);
    repo.commit("2024-01-05", 15, &[(pkg, Some(&package_json(&[("lodash", "4.17.20"), ("left-pad", "1.3.0")])))]);
    repo.commit("2024-01-10", 9, &[(pkg, Some(&package_json(&[("lodash", "4.17.21"), ("left-pad", "1.3.0")])))]);
    repo.commit("2024-01-12", 9, &[("deploy/billing.yaml", Some(&deployment("1.1.0")))]);
    repo.commit("2024-01-15", 9, &[(pkg, Some(&package_json(&[("lodash", "4.17.21")])))]);
    repo.commit("2024-01-18", 9, &[(pkg, Some("{\"name\": \"billing\", \"dependencies\": {"))]);
    repo.commit("2024-01-19", 9, &[(pkg, Some(&package_json(&[("lodash", "4.17.21")])))]);
    repo.rename("services/billing", "apps/billing");
    repo.commit("2024-01-22", 9, &[]);
    repo
}

async fn backfilled(repos: &[&TestRepo], dir: &tempfile::TempDir) -> (Arc<dyn Store>, Vec<OrgSummary>) {
    let store = store(dir);
    let summaries = backfill::backfill(store.clone(), &options(repos), &Quiet).await.unwrap();
    (store, summaries)
}

#[tokio::test]
async fn the_version_a_service_used_on_a_day_is_the_one_its_manifest_said_that_day() {
    let dir = tempfile::tempdir().unwrap();
    let repo = billing_history(dir.path());
    let (store, summaries) = backfilled(&[&repo], &dir).await;

    assert_eq!(
        uses_on(&*store, "service:billing", "2024-01-03").await,
        [("package:npm/lodash".into(), Some("4.17.20".into()))]
    );
    let on_the_11th = uses_on(&*store, "service:billing", "2024-01-11").await;
    assert!(on_the_11th.contains(&("package:npm/lodash".into(), Some("4.17.21".into()))), "{on_the_11th:?}");
    assert!(on_the_11th.contains(&("package:npm/left-pad".into(), Some("1.3.0".into()))), "the day's last commit");
    assert_eq!(
        store.entity("service:billing", day("2024-01-01")).await.unwrap(),
        None,
        "nothing before the first commit"
    );

    let summary = &summaries[0];
    assert_eq!((summary.org.as_str(), summary.days), ("acme", 8), "one observation per day with commits");
    assert_eq!(summary.first_day, Some(day("2024-01-02")));
}

#[tokio::test]
async fn a_dependency_appears_and_disappears_on_the_days_its_manifest_added_and_removed_it() {
    let dir = tempfile::tempdir().unwrap();
    let repo = billing_history(dir.path());
    let (store, _) = backfilled(&[&repo], &dir).await;

    let left_pad = history(&*store, "service:billing", "uses", "package:npm/left-pad").await;
    assert_eq!(span(&left_pad), (day("2024-01-05"), day("2024-01-15")));
    assert_eq!(left_pad.len(), 1, "1.3.0 all along: the 10:00 commit's 1.0.0 never showed");
}

#[tokio::test]
async fn a_malformed_manifest_is_reported_and_does_not_read_as_dependencies_removed() {
    let dir = tempfile::tempdir().unwrap();
    let repo = billing_history(dir.path());
    let (store, summaries) = backfilled(&[&repo], &dir).await;

    assert_eq!(
        uses_on(&*store, "service:billing", "2024-01-18").await,
        [("package:npm/lodash".into(), Some("4.17.21".into()))]
    );
    let lodash = history(&*store, "service:billing", "uses", "package:npm/lodash").await;
    assert_eq!(span(&lodash), (day("2024-01-02"), Day::OPEN), "never closed, though unreadable on the 18th");
    let reported: Vec<_> = summaries[0].warnings.iter().filter(|(_, w)| w.contains("package.json")).collect();
    assert_eq!(reported.len(), 1, "{:?}", summaries[0].warnings);
    assert_eq!(reported[0].0, day("2024-01-18"));
    assert!(reported[0].1.contains("services/billing/package.json"), "names the file: {}", reported[0].1);
}

const CHART: &str = "apiVersion: v2\nname: shop\nversion: 0.1.0\nappVersion: \"1.0.0\"\n";

fn helm_values(tag: &str) -> String {
    format!("image:\n  repository: ghcr.io/acme/shop\n  tag: \"{tag}\"\n")
}

/// Two `image` keys: a YAML parser refuses the file (issue 35's Helm values).
const DUPLICATE_KEY: &str = "image:\n  repository: ghcr.io/acme/shop\nimage:\n  tag: \"2.0.0\"\n";

fn tool_json(deps: &[(&str, &str)]) -> String {
    let deps: Vec<String> = deps.iter().map(|(n, v)| format!("\"{n}\": \"{v}\"")).collect();
    format!("{{\"name\": \"lint\", \"private\": true, \"devDependencies\": {{{}}}}}", deps.join(", "))
}

/// Issue 35: a Helm values file broken for good must not freeze its
/// repository. What only that file declared carries forward; everything
/// else (the repository's own `uses`, `builds`, other declared workloads)
/// moves on the day it changes; the file is reported with the day it broke.
#[tokio::test]
async fn one_malformed_file_leaves_the_rest_of_the_repository_observed() {
    let dir = tempfile::tempdir().unwrap();
    let repo = TestRepo::new(dir.path(), "acme", "shop");
    let values = "helm/shop/values.yaml";
    let tool = "tools/lint/package.json"; // no service's folder: the repository uses it
    repo.commit(
        "2025-02-20",
        9,
        &[
            ("helm/shop/Chart.yaml", Some(CHART)),
            (values, Some(&helm_values("1.0.0"))),
            (tool, Some(&tool_json(&[("eslint", "9.0.0"), ("prettier", "3.2.5")]))),
            ("src/legacy/Dockerfile", Some("FROM alpine:3.19\n")),
            ("deploy/legacy.yaml", Some(&deployment("0.9.0"))),
        ],
    );
    repo.commit("2025-02-28", 9, &[(values, Some(DUPLICATE_KEY))]);
    repo.commit("2025-03-10", 9, &[(tool, Some(&tool_json(&[("eslint", "9.0.0")])))]);
    repo.commit("2025-03-12", 9, &[("src/legacy/Dockerfile", None), ("deploy/legacy.yaml", None)]);
    repo.commit("2025-03-20", 9, &[("README.md", Some("shop\n"))]);
    let (store, summaries) = backfilled(&[&repo], &dir).await;
    let repo_key = "repo:github.com/acme/shop";

    let prettier = history(&*store, repo_key, "uses", "package:npm/prettier").await;
    assert_eq!(span(&prettier), (day("2025-02-20"), day("2025-03-10")), "removed the day the file dropped it");
    let legacy = history(&*store, repo_key, "builds", "service:legacy").await;
    assert_eq!(span(&legacy), (day("2025-02-20"), day("2025-03-12")), "its Dockerfile went that day");
    let old_workload = "workload:declared/acme/shop/deploy/legacy.yaml/Deployment/billing";
    let declared_old = history(&*store, repo_key, "declares", old_workload).await;
    assert_eq!(span(&declared_old), (day("2025-02-20"), day("2025-03-12")), "its manifest went that day");

    let helm = "workload:declared/acme/shop/helm/shop/values.yaml/Helm/shop";
    let declared_helm = history(&*store, repo_key, "declares", helm).await;
    assert_eq!(span(&declared_helm), (day("2025-02-20"), Day::OPEN), "what the broken file declared carries forward");
    let workload = store.entity(helm, day("2025-03-21")).await.unwrap().expect("still declared");
    assert_eq!(workload.facts[0].attrs["version"], "1.0.0", "as it last parsed");

    let reported: Vec<_> = summaries[0].warnings.iter().filter(|(_, w)| w.contains(values)).collect();
    assert_eq!(reported.len(), 1, "{:?}", summaries[0].warnings);
    assert_eq!(reported[0].0, day("2025-02-28"));
    assert!(reported[0].1.contains("does not parse since 2025-02-28"), "{}", reported[0].1);
    assert!(reported[0].1.contains("read as it last parsed, on 2025-02-20"), "{}", reported[0].1);
    let shop = store.entity(repo_key, day("2025-03-21")).await.unwrap().unwrap();
    assert_eq!(
        shop.facts_from("github").next().unwrap().attrs["unparsed"],
        serde_json::json!([{ "path": values, "since": "2025-02-28" }]),
        "the repository says which file and since when"
    );
    // Hygiene lists it, with the day it broke.
    let schema = spot::api::schema(store.clone(), spot::api::Limits::default());
    let query = "{ hygiene(at: \"2025-03-21\") { counts { unparsedFiles } unparsedFiles { repository path since } } }";
    let request = spot::api::request(&schema, async_graphql::Request::new(query), spot::api::Grants::all("test"));
    let answer = serde_json::to_value(schema.execute(request).await).unwrap();
    assert_eq!(
        answer["data"]["hygiene"],
        serde_json::json!({
            "counts": { "unparsedFiles": 1 },
            "unparsedFiles": [{ "repository": repo_key, "path": values, "since": "2025-02-28" }],
        }),
        "{answer:#}"
    );
}

/// A file that never parsed declared nothing: nothing of the repository
/// needs to carry forward for it.
#[tokio::test]
async fn a_file_that_never_parsed_declares_nothing_and_freezes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let repo = TestRepo::new(dir.path(), "acme", "shop");
    let tool = "tools/lint/package.json";
    repo.commit(
        "2025-02-20",
        9,
        &[
            ("helm/shop/Chart.yaml", Some(CHART)),
            ("helm/shop/values.yaml", Some(DUPLICATE_KEY)),
            (tool, Some(&tool_json(&[("eslint", "9.0.0"), ("prettier", "3.2.5")]))),
        ],
    );
    repo.commit("2025-03-10", 9, &[(tool, Some(&tool_json(&[("eslint", "9.0.0")])))]);
    let (store, summaries) = backfilled(&[&repo], &dir).await;

    let prettier = history(&*store, "repo:github.com/acme/shop", "uses", "package:npm/prettier").await;
    assert_eq!(span(&prettier), (day("2025-02-20"), day("2025-03-10")));
    assert!(
        summaries[0].warnings.iter().any(|(_, w)| w.contains("it never parsed, so it declares nothing")),
        "{:?}",
        summaries[0].warnings
    );
}

#[tokio::test]
async fn a_service_whose_folder_moves_keeps_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let repo = billing_history(dir.path());
    let (store, _) = backfilled(&[&repo], &dir).await;

    let lodash = history(&*store, "service:billing", "uses", "package:npm/lodash").await;
    let (first, end) = span(&lodash);
    assert_eq!((first, end), (day("2024-01-02"), Day::OPEN), "continuous across the move");
    let now = store.entity("service:billing", day("2024-01-23")).await.unwrap().unwrap();
    assert_eq!(now.first_seen, day("2024-01-02"));
    let path = now.facts_from("github").next().unwrap().attrs["path"].clone();
    assert_eq!(path, "apps/billing");
    let built = history(&*store, "repo:github.com/acme/billing", "builds", "service:billing").await;
    assert_eq!(span(&built), (day("2024-01-02"), Day::OPEN));
}

#[tokio::test]
async fn the_image_tag_a_workload_declared_on_a_day_is_in_its_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let repo = billing_history(dir.path());
    let (store, _) = backfilled(&[&repo], &dir).await;

    let key = "workload:declared/acme/billing/deploy/billing.yaml/Deployment/billing";
    let version_on = |date: &'static str| {
        let store = store.clone();
        async move {
            let state = store.entity(key, day(date)).await.unwrap().unwrap();
            state.facts[0].attrs["version"].as_str().unwrap().to_string()
        }
    };
    assert_eq!(version_on("2024-01-11").await, "1.0.0");
    assert_eq!(version_on("2024-01-12").await, "1.1.0");
    let deploys =
        store.relations("service:billing", day("2024-01-13"), Direction::Out, &["deploys".into()]).await.unwrap();
    assert_eq!(deploys.len(), 1);
    assert_eq!((deploys[0].to.as_str(), &deploys[0].attrs["version"]), (key, &serde_json::json!("1.1.0")));
}

#[tokio::test]
async fn a_manifest_format_change_keeps_the_package_relation_continuous() {
    let dir = tempfile::tempdir().unwrap();
    let repo = TestRepo::new(dir.path(), "acme", "reports");
    let catalog = CATALOG.replace("billing", "reports");
    repo.commit(
        "2024-02-01",
        9,
        &[("catalog-info.yaml", Some(&catalog)), ("requirements.txt", Some("flask==2.0.1\nrequests==2.31.0\n"))],
    );
    repo.commit(
        "2024-02-10",
        9,
        &[
            ("requirements.txt", None),
            (
                "pyproject.toml",
                Some("[project]\nname = \"reports\"\nversion = \"1.0.0\"\ndependencies = [\"flask==2.0.1\"]\n"),
            ),
        ],
    );
    let (store, _) = backfilled(&[&repo], &dir).await;

    let flask = history(&*store, "service:reports", "uses", "package:pypi/flask").await;
    assert_eq!(span(&flask), (day("2024-02-01"), Day::OPEN));
    assert!(flask.iter().all(|v| v.attrs["resolved"] == "2.0.1"));
    let requests = history(&*store, "service:reports", "uses", "package:pypi/requests").await;
    assert_eq!(span(&requests), (day("2024-02-01"), day("2024-02-10")), "dropped with the move");
}

#[tokio::test]
async fn an_organisations_repositories_are_replayed_together_in_its_scope() {
    let dir = tempfile::tempdir().unwrap();
    let billing = billing_history(dir.path());
    let ledger = TestRepo::new(dir.path(), "acme", "ledger");
    ledger.commit(
        "2024-01-08",
        12,
        &[
            ("catalog-info.yaml", Some(&CATALOG.replace("billing", "ledger"))),
            ("go.mod", Some("module github.com/acme/ledger\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n")),
        ],
    );
    let (store, summaries) = backfilled(&[&billing, &ledger], &dir).await;

    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].days, 9, "the union of both histories' days");
    // Ledger's first day does not end billing's relations, and the other way round.
    assert_eq!(uses_on(&*store, "service:billing", "2024-01-08").await.len(), 2);
    assert_eq!(store.entity("service:ledger", day("2024-01-07")).await.unwrap(), None);
    assert!(store.entity("service:ledger", day("2024-01-20")).await.unwrap().is_some());
    let runs = store.runs(&Default::default()).await.unwrap();
    assert!(
        runs.iter().all(|r| (r.source.as_str(), r.scope.as_str()) == ("github", "acme")),
        "the live collector's scope"
    );
}

#[tokio::test]
async fn a_scope_with_later_history_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let repo = billing_history(dir.path());
    let store = store(&dir);
    let mut options = options(&[&repo]);
    options.until = Some(day("2024-01-10"));
    backfill::backfill(store.clone(), &options, &Quiet).await.unwrap();
    let runs_before = store.runs(&Default::default()).await.unwrap().len();

    options.until = None;
    let refused = backfill::backfill(store.clone(), &options, &Quiet).await.unwrap_err().to_string();
    assert!(refused.contains("github/acme already has history up to 2024-01-10"), "{refused}");
    assert!(refused.contains("--since 2024-01-11"), "{refused}");
    assert_eq!(store.runs(&Default::default()).await.unwrap().len(), runs_before);

    // Continuing from the day after picks up where it stopped.
    options.since = Some(day("2024-01-11"));
    let summaries = backfill::backfill(store.clone(), &options, &Quiet).await.unwrap();
    assert_eq!(summaries[0].first_day, Some(day("2024-01-11")));
    let lodash = history(&*store, "service:billing", "uses", "package:npm/lodash").await;
    assert_eq!(span(&lodash).0, day("2024-01-02"));
}

#[tokio::test]
async fn a_path_that_is_not_a_repository_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let options = backfill::Options {
        paths: vec![dir.path().join("nowhere")],
        since: None,
        until: None,
        max_file_bytes: 1 << 20,
        identity: Default::default(),
        ingest: Default::default(),
    };
    let error = backfill::backfill(store, &options, &Quiet).await.unwrap_err().to_string();
    assert!(error.contains("nowhere") && error.contains("not a git repository"), "{error}");
}

/// The live GitHub collector's first run after a backfill continues the
/// same relations in the same scope: nothing added, nothing removed.
#[tokio::test(flavor = "multi_thread")]
async fn the_live_github_collector_continues_a_backfill_without_a_gap_or_a_duplicate() {
    use collectors::github::fake::FakeGitHub;
    use spot::model::Change;
    let github = FakeGitHub::start("acme", 6, None, std::time::Duration::ZERO).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clones = dir.path().join("clones");
    let mut repos = Vec::new();
    for index in 0..6 {
        let fake = github.repo(index);
        // The fake serves `http://127.0.0.1:<port>`: the host its keys carry.
        let repo = TestRepo::with_origin(&clones, &fake.name, &format!("{}/acme/{}.git", github.url, fake.name));
        let files: Vec<(&str, Option<&str>)> = fake.files.iter().map(|(p, c)| (p.as_str(), Some(c.as_str()))).collect();
        let (first, rest) = files.split_at(files.len() / 2);
        repo.commit("2026-10-01", 9, first);
        repo.commit("2026-11-02", 9, rest);
        repos.push(repo);
    }
    let store = store(&dir);
    let mut options = options(&repos.iter().collect::<Vec<_>>());
    options.until = Some(day("2026-11-19"));
    let summaries = backfill::backfill(store.clone(), &options, &Quiet).await.unwrap();
    assert_eq!((summaries[0].org.as_str(), summaries[0].days), ("acme", 2));

    let config = dir.path().join("spot.toml");
    let cache = dir.path().join("cache");
    std::fs::write(
        &config,
        format!(
            "[collectors.github]\nbase_url = \"{}\"\norgs = [\"acme\"]\ncheck_latest = false\ncache_dir = \"{}\"\n",
            github.url,
            cache.display()
        ),
    )
    .unwrap();
    drop(store);
    let db = dir.path().join("spot.db");
    let live = std::process::Command::new(env!("CARGO_BIN_EXE_spot"))
        .args(["collect", "github", "--config"])
        .arg(&config)
        .arg("--db")
        .arg(&db)
        .args(["--day", "2026-11-20"])
        .env("SPOT_LOG", "error")
        .output()
        .unwrap();
    assert!(live.status.success(), "{}", String::from_utf8_lossy(&live.stderr));

    let store = SqliteStore::open(&db).unwrap();
    let changes = store.changes(day("2026-11-02"), day("2026-11-20")).await.unwrap();
    let moved: Vec<_> = changes.relations.iter().filter(|c| c.change != Change::Changed).collect();
    assert!(moved.is_empty(), "relations added or removed where the collector took over: {moved:#?}");
    let mut before = Vec::new();
    for service in ["service:repo-0-svc0", "service:repo-1", "service:repo-2"] {
        before.extend(store.relations(service, day("2026-11-19"), Direction::Out, &[]).await.unwrap());
    }
    assert!(before.len() > 10, "{before:#?}");
    for relation in &before {
        let versions = history(&store, &relation.from, &relation.kind, &relation.to).await;
        let (first, end) = span(&versions);
        assert_eq!((first.0 >= day("2026-10-01").0, end), (true, Day::OPEN), "{versions:#?}");
        assert_eq!(versions.iter().filter(|v| v.valid_to == Day::OPEN).count(), 1, "one open version: {versions:#?}");
    }
}

/// The command prints, per organisation, the days and versions written,
/// and every skipped file with its path and the first day it failed.
#[test]
fn spot_backfill_git_summarises_days_versions_and_skipped_files() {
    let dir = tempfile::tempdir().unwrap();
    let repo = billing_history(dir.path());
    let db = dir.path().join("spot.db");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_spot"))
        .args(["backfill", "git"])
        .arg(&repo.path)
        .arg("--db")
        .arg(&db)
        .args(["--until", "2024-01-20"])
        .env("SPOT_LOG", "error")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("github/acme: 1 repository, 7 days (2024-01-02 to 2024-01-19): "), "{stdout}");
    assert!(lines[1].contains("skipped or not read (1)"), "{stdout}");
    assert!(
        lines[2].trim_start().starts_with("2024-01-18 repo:github.com/acme/billing: services/billing/package.json"),
        "{stdout}"
    );

    let bad_day = std::process::Command::new(env!("CARGO_BIN_EXE_spot"))
        .args(["backfill", "git", ".", "--since", "2024-13-01"])
        .output()
        .unwrap();
    assert!(!bad_day.status.success());
    assert!(String::from_utf8_lossy(&bad_day.stderr).contains("'2024-13-01' is not a date"));
}

/// Declared image tags are what the service's repository declares, with
/// their file, in the API: never its deploy history, which is what ran.
#[tokio::test]
async fn declared_image_tags_are_the_services_declared_versions_not_its_deploys() {
    let dir = tempfile::tempdir().unwrap();
    let repo = billing_history(dir.path());
    let (store, _) = backfilled(&[&repo], &dir).await;
    drop(store);
    let query = r#"{ deployHistory(service: "billing", from: "2024-01-01", to: "2024-01-31") { version }
                     early: service(name: "billing", at: "2024-01-03") { declaredVersions { version file via purpose counted } }
                     later: service(name: "billing", at: "2024-01-12") { declaredVersions { version } deployedVersions { cluster } } }"#;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_spot"))
        .args(["query", "--db"])
        .arg(dir.path().join("spot.db"))
        .arg(query)
        .env("SPOT_LOG", "error")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let data = &answer["data"];
    assert_eq!(data["deployHistory"], serde_json::json!([]), "nothing ran: {answer}");
    assert_eq!(
        data["early"]["declaredVersions"],
        serde_json::json!([{ "version": "1.0.0", "file": "deploy/billing.yaml", "via": "manifest", "purpose": "deploy", "counted": true }])
    );
    assert_eq!(data["later"]["declaredVersions"], serde_json::json!([{ "version": "1.1.0" }]));
    assert_eq!(data["later"]["deployedVersions"], serde_json::json!([]), "declared is not deployed");
}

/// The repository's tags are its releases on each day they existed, with
/// their commits: what maps a deployed version to the commit it was built
/// from (docs/dora.md).
#[tokio::test]
async fn tags_are_the_repositorys_releases_from_the_day_they_were_made() {
    let dir = tempfile::tempdir().unwrap();
    let tagged = TestRepo::new(dir.path(), "acme", "billing");
    tagged.commit("2024-01-02", 9, &[("services/billing/catalog-info.yaml", Some(CATALOG))]);
    let first = tagged.tag("v1.0.0");
    tagged.commit("2024-01-12", 9, &[("deploy/billing.yaml", Some(&deployment("1.1.0")))]);
    let second = tagged.tag("v1.1.0");
    let (store, _) = backfilled(&[&tagged], &dir).await;
    let releases = |day: &str| {
        let store = store.clone();
        let day: spot::Day = day.parse().unwrap();
        async move {
            let state = store.entity("repo:github.com/acme/billing", day).await.unwrap().unwrap();
            state.facts[0].attrs["releases"].clone()
        }
    };
    assert_eq!(
        releases("2024-01-05").await,
        serde_json::json!([{ "tag": "v1.0.0", "commit": first, "at": "2024-01-02T09:00:00+00:00" }])
    );
    let later = releases("2024-01-12").await;
    assert_eq!(later[0], serde_json::json!({ "tag": "v1.1.0", "commit": second, "at": "2024-01-12T09:00:00+00:00" }));
    assert_eq!(later.as_array().unwrap().len(), 2, "newest first, the older one still there");
}

/// A commit dated years ahead (a bad clock; issue 33 saw 2999) cannot be a
/// day ingest accepts: it is skipped with a warning naming it, and the
/// commits after it keep their own days, instead of the whole backfill
/// failing on it. (2037: the test's commits are written through libgit2,
/// whose times wrap past 32 bits.)
#[tokio::test]
async fn a_commit_dated_in_the_far_future_is_skipped_with_a_warning_not_the_end_of_the_backfill() {
    let dir = tempfile::tempdir().unwrap();
    let repo = TestRepo::new(dir.path(), "acme", "billing");
    repo.commit("2024-01-02", 10, &[("package.json", Some(&package_json(&[("lodash", "4.17.20")])))]);
    repo.commit("2037-06-01", 10, &[("package.json", Some(&package_json(&[("lodash", "4.17.21")])))]);
    repo.commit("2024-01-05", 10, &[("package.json", Some(&package_json(&[("lodash", "4.17.22")])))]);
    let (store, summaries) = backfilled(&[&repo], &dir).await;
    let summary = &summaries[0];
    assert_eq!(summary.days, 2, "2024-01-02 and 2024-01-05; not 2037-06-01");
    assert_eq!(summary.last_day, Some(day("2024-01-05")), "the next commit keeps its own day");
    let warnings: Vec<&str> = summary.warnings.iter().map(|(_, w)| w.as_str()).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("acme/billing: commit "), "{}", warnings[0]);
    assert!(warnings[0].contains("is dated 2037-06-01, after "), "{}", warnings[0]);
    assert!(warnings[0].contains("skipped"), "{}", warnings[0]);
    assert_eq!(store.latest_day().await.unwrap(), Some(day("2024-01-05")), "ingested up to the last real day");
}
