//! Service identity on repositories of real shapes, end to end: the same
//! repositories are replayed by `spot backfill git` and collected by `spot
//! collect github` (against a local server answering like GitHub), and
//! both stores are read back through the GraphQL API over HTTP. Both must
//! find the same services under the same keys, named the way
//! docs/identity.md says.

#[path = "support/cli.rs"]
mod cli;
use cli::spot;
#[allow(dead_code)]
#[path = "support/git.rs"]
mod git;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use collectors::github::fake::{FakeGitHub, FakeRepo};
use git::TestRepo;
use serde_json::{json, Value};
use spot::config::Config;
use spot::server::Server;
use spot::SqliteStore;

const DAY: &str = "2026-11-20";

/// A repository: its name, the day it was created (its first commit), and
/// its files.
struct Shape {
    name: &'static str,
    created: &'static str,
    files: Vec<(&'static str, &'static str)>,
}

const CSPROJ: &str = "<Project Sdk=\"Microsoft.NET.Sdk.Web\"><ItemGroup>\
    <PackageReference Include=\"Grpc.AspNetCore\" Version=\"2.67.0\" /></ItemGroup></Project>";
const JIB_POM: &str = "<project><modelVersion>4.0.0</modelVersion><groupId>com.acme.bank</groupId>\
    <artifactId>ledgerwriter</artifactId><version>1.0.0</version><build><plugins><plugin>\
    <groupId>com.google.cloud.tools</groupId><artifactId>jib-maven-plugin</artifactId><version>3.4.4</version>\
    <configuration><to><image>gcr.io/acme-bank/ledgerwriter</image></to></configuration></plugin></plugins></build>\
    <properties><sonar.projectKey>acme_bank_ledgerwriter</sonar.projectKey></properties></project>";
const JIB_GRADLE: &str = "plugins {\n  id 'java'\n  id 'com.google.cloud.tools.jib' version '3.4.4'\n}\n\
    jib {\n  to {\n    image = 'gcr.io/acme-bank/userservice'\n  }\n}\n";

/// The shapes issue #17 names: a C# service in `src/<svc>/src` and Jib
/// through skaffold (like microservices-demo), Jib through Maven and
/// Gradle plugins, ko, Buildpacks, compose, a Helm chart per service, a
/// library-only repository, compose services running images built from
/// folders of the same name (spring-petclinic), a .NET Aspire app host (eShop), and two repositories with
/// a `frontend` folder.
fn shapes() -> Vec<Shape> {
    vec![
        Shape {
            name: "shop",
            created: "2026-01-05",
            files: vec![
                (
                    "skaffold.yaml",
                    "apiVersion: skaffold/v4beta6\nkind: Config\nbuild:\n  artifacts:\n  - image: cartservice\n    context: src/cartservice/src\n  - image: adservice\n    context: src/adservice\n    jib: {}\n  - image: frontend\n    context: src/frontend\n",
                ),
                ("src/cartservice/src/cartservice.csproj", CSPROJ),
                ("src/cartservice/src/Dockerfile", "FROM mcr.microsoft.com/dotnet/sdk:9.0\n"),
                ("src/cartservice/tests/cartservice.tests.csproj", CSPROJ),
                ("src/cartservice/sonar-project.properties", "sonar.projectKey=acme_shop_cartservice\n"),
                ("src/adservice/build.gradle", "plugins { id 'java' }\n"),
                ("src/frontend/go.mod", "module github.com/acme/shop/src/frontend\n\ngo 1.23\n"),
                ("src/frontend/Dockerfile", "FROM golang:1.23\n"),
                ("src/loadgenerator/requirements.txt", "locust==2.32.0\n"),
                ("src/loadgenerator/Dockerfile", "FROM python:3.12\n"),
                ("tests/e2e/Dockerfile", "FROM node:22\n"),
                (
                    "kubernetes-manifests/cartservice.yaml",
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cartservice\nspec:\n  template:\n    spec:\n      containers:\n      - name: server\n        image: cartservice\n",
                ),
            ],
        },
        Shape {
            name: "bank",
            created: "2026-02-01",
            files: vec![
                ("services/ledgerwriter/pom.xml", JIB_POM),
                ("services/users/build.gradle", JIB_GRADLE),
            ],
        },
        Shape {
            name: "go-platform",
            created: "2026-02-10",
            files: vec![
                ("go.mod", "module github.com/acme/go-platform\n\ngo 1.23\n"),
                (".ko.yaml", "builds:\n- id: ledger\n  dir: .\n  main: ./cmd/ledger\n"),
                ("cmd/ledger/main.go", "package main\n"),
                ("cmd/notifier/main.go", "package main\n"),
                (
                    "config/notifier.yaml",
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: notifier\nspec:\n  template:\n    spec:\n      containers:\n      - name: notifier\n        image: ko://github.com/acme/go-platform/cmd/notifier\n",
                ),
            ],
        },
        Shape {
            name: "payments",
            created: "2026-03-01",
            files: vec![
                ("apps/payments-api/project.toml", "[_]\nschema-version = \"0.2\"\nid = \"com.acme.payments\"\n"),
                ("apps/payments-api/package.json", "{\"name\":\"payments-api\",\"private\":true}"),
                ("docker-compose.yml", "services:\n  worker:\n    build: ./worker\n    image: acme/payment-worker:dev\n  db:\n    image: postgres:16\n"),
                ("worker/requirements.txt", "celery==5.4.0\n"),
            ],
        },
        Shape {
            name: "search",
            created: "2026-03-02",
            files: vec![
                ("indexer/go.mod", "module github.com/acme/search/indexer\n\ngo 1.23\n"),
                ("deploy/charts/indexer/Chart.yaml", "apiVersion: v2\nname: indexer\nversion: 1.0.0\nappVersion: 1.4.0\n"),
                ("deploy/charts/indexer/values.yaml", "image:\n  repository: ghcr.io/acme/indexer\n  tag: 1.4.0\n"),
            ],
        },
        Shape {
            name: "utils-lib",
            created: "2026-03-03",
            files: vec![
                ("package.json", "{\"name\":\"@acme/utils\",\"version\":\"1.2.0\"}"),
                ("tools/release/Dockerfile", "FROM node:22\n"),
            ],
        },
        Shape {
            name: "petclinic",
            created: "2026-03-04",
            files: vec![
                ("petclinic-vets/pom.xml", "<project><artifactId>petclinic-vets</artifactId></project>"),
                ("petclinic-visits/pom.xml", "<project><artifactId>petclinic-visits</artifactId></project>"),
                // One recipe for every service (an ARG picks the jar): not a service itself.
                ("docker/Dockerfile", "FROM eclipse-temurin:21\nARG ARTIFACT_NAME\n"),
                (
                    "docker-compose.yml",
                    "services:\n  vets:\n    image: springcommunity/petclinic-vets\n  visits:\n    image: springcommunity/petclinic-visits\n  zipkin:\n    image: openzipkin/zipkin\n",
                ),
                ("compose.tests.yaml", "services:\n  e2e:\n    build: ./petclinic-vets\n"),
            ],
        },
        Shape {
            name: "dotnet-shop",
            created: "2026-03-05",
            files: vec![
                (
                    "src/Shop.AppHost/Program.cs",
                    "var builder = DistributedApplication.CreateBuilder(args);\nvar redis = builder.AddRedis(\"redis\");\nbuilder.AddProject<Projects.Catalog_API>(\"catalog-api\").WithReference(redis);\n",
                ),
                ("src/Shop.AppHost/Shop.AppHost.csproj", CSPROJ),
                ("src/Catalog.API/Catalog.API.csproj", CSPROJ),
                ("src/Shared/Shared.csproj", CSPROJ),
            ],
        },
        Shape {
            name: "web",
            created: "2026-04-01",
            files: vec![
                ("frontend/package.json", "{\"name\":\"web-frontend\",\"private\":true}"),
                ("frontend/Dockerfile", "FROM node:22\n"),
            ],
        },
    ]
}

/// What the catalog should say: key → (repository, folder, named_by, found_by).
fn expected() -> BTreeMap<&'static str, (&'static str, &'static str, &'static str, Vec<&'static str>)> {
    BTreeMap::from([
        ("service:cartservice", ("shop", "src/cartservice", "image", vec!["skaffold", "dockerfile", "kubernetes"])),
        ("service:adservice", ("shop", "src/adservice", "image", vec!["jib"])),
        ("service:frontend", ("shop", "src/frontend", "image", vec!["skaffold", "dockerfile"])),
        ("service:loadgenerator", ("shop", "src/loadgenerator", "folder", vec!["dockerfile"])),
        ("service:ledgerwriter", ("bank", "services/ledgerwriter", "image", vec!["jib"])),
        ("service:userservice", ("bank", "services/users", "image", vec!["jib"])),
        ("service:ledger", ("go-platform", "cmd/ledger", "image", vec!["ko"])),
        ("service:notifier", ("go-platform", "cmd/notifier", "image", vec!["ko", "kubernetes"])),
        ("service:payments-api", ("payments", "apps/payments-api", "folder", vec!["buildpacks"])),
        ("service:payment-worker", ("payments", "worker", "image", vec!["compose"])),
        ("service:indexer", ("search", "indexer", "image", vec!["helm"])),
        ("service:catalog-api", ("dotnet-shop", "src/Catalog.API", "image", vec!["aspire"])),
        ("service:petclinic-vets", ("petclinic", "petclinic-vets", "image", vec!["compose"])),
        ("service:petclinic-visits", ("petclinic", "petclinic-visits", "image", vec!["compose"])),
        ("service:web/frontend", ("web", "frontend", "folder", vec!["dockerfile"])),
    ])
}

fn fake_repos() -> Vec<FakeRepo> {
    shapes()
        .into_iter()
        .map(|shape| FakeRepo {
            name: shape.name.into(),
            pushed_at: format!("{DAY}T08:00:00Z"),
            created_at: format!("{}T09:00:00Z", shape.created),
            archived: false,
            files: shape.files.iter().map(|(p, c)| (p.to_string(), c.to_string())).collect(),
        })
        .collect()
}

/// Each shape as a git repository of acme: created on its day, with all
/// of its files committed on [`DAY`].
fn git_repos(parent: &Path) -> Vec<TestRepo> {
    shapes()
        .into_iter()
        .map(|shape| {
            let repo = TestRepo::new(parent, "acme", shape.name);
            repo.commit(shape.created, 9, &[("README.md", Some("# created\n"))]);
            let files: Vec<(&str, Option<&str>)> = shape.files.iter().map(|(p, c)| (*p, Some(*c))).collect();
            repo.commit(DAY, 8, &files);
            repo
        })
        .collect()
}

/// A server over the store file; its GraphQL answers.
struct Api {
    url: String,
    client: reqwest::Client,
    /// The host of repository keys: `github.com` for a backfill of
    /// github.com clones, the server's host for a live collection.
    host: &'static str,
}

impl Api {
    async fn over(db: &Path, host: &'static str) -> Api {
        let store = SqliteStore::open(db).unwrap();
        let server = Server::new(&Config::default(), Arc::new(store)).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/graphql", listener.local_addr().unwrap());
        tokio::spawn(server.serve_on(listener, std::future::pending()));
        Api { url, client: reqwest::Client::new(), host }
    }

    async fn query(&self, query: &str) -> Value {
        let answer: Value =
            self.client.post(&self.url).json(&json!({ "query": query })).send().await.unwrap().json().await.unwrap();
        assert!(answer.get("errors").is_none(), "{answer}");
        answer["data"].clone()
    }

    /// Every service each repository builds: key → (repository, folder,
    /// named_by, found_by), read through `builds`.
    async fn services(&self) -> BTreeMap<String, (String, String, String, Vec<String>)> {
        let mut found = BTreeMap::new();
        for shape in shapes() {
            let data = self
                .query(&format!(
                    "{{ entity(key: \"repo:{}/acme/{}\", at: \"{DAY}\") {{ relations(kinds: [\"builds\"]) {{ to attrs \
                     toEntity {{ named: attribute(path: \"named_by\") found: attribute(path: \"found_by\") }} }} }} }}",
                    self.host, shape.name
                ))
                .await;
            for relation in data["entity"]["relations"].as_array().unwrap() {
                let service = &relation["toEntity"];
                let found_by =
                    service["found"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
                found.insert(
                    relation["to"].as_str().unwrap().to_string(),
                    (
                        shape.name.to_string(),
                        relation["attrs"]["path"].as_str().unwrap().to_string(),
                        service["named"].as_str().unwrap().to_string(),
                        found_by,
                    ),
                );
            }
        }
        found
    }
}

fn assert_catalog(found: &BTreeMap<String, (String, String, String, Vec<String>)>, how: &str) {
    let expected = expected();
    let keys: Vec<&str> = found.keys().map(String::as_str).collect();
    let want: Vec<&str> = expected.keys().copied().collect();
    assert_eq!(keys, want, "{how}: the services found");
    for (key, (repo, folder, named_by, found_by)) in &expected {
        let (r, f, n, signals) = &found[*key];
        assert_eq!((r.as_str(), f.as_str(), n.as_str()), (*repo, *folder, *named_by), "{how}: {key}");
        let mut want: Vec<&str> = found_by.clone();
        want.sort();
        let mut got: Vec<&str> = signals.iter().map(String::as_str).collect();
        got.sort();
        assert_eq!(got, want, "{how}: {key} found by");
    }
}

async fn backfilled(dir: &Path) -> Api {
    let repos = git_repos(&dir.join("repos"));
    let db = dir.join("backfill.db");
    let mut args = vec!["backfill".to_string(), "git".into(), "--db".into(), db.display().to_string()];
    args.extend(repos.iter().map(|r| r.path.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    spot(&args);
    Api::over(&db, "github.com").await
}

async fn collected(dir: &Path) -> Api {
    let github = FakeGitHub::start_with("acme", fake_repos()).await.unwrap();
    let config = dir.join("spot.toml");
    std::fs::write(
        &config,
        format!(
            "[collectors.github]\nbase_url = \"{}\"\norgs = [\"acme\"]\ncheck_latest = false\ncache_dir = \"{}\"\n",
            github.url,
            dir.join("cache").display()
        ),
    )
    .unwrap();
    let db = dir.join("live.db");
    let (config, db_text) = (config.display().to_string(), db.display().to_string());
    let said = tokio::task::spawn_blocking(move || {
        spot(&["collect", "github", "--config", &config, "--db", &db_text, "--day", DAY])
    })
    .await
    .unwrap();
    assert!(said.starts_with(&format!("github/acme {DAY} complete")), "{said}");
    // The fake GitHub answers on loopback: that is its host.
    Api::over(&db, "127.0.0.1").await
}

#[tokio::test(flavor = "multi_thread")]
async fn backfill_finds_and_names_every_shape() {
    let dir = tempfile::tempdir().unwrap();
    let api = backfilled(dir.path()).await;
    assert_catalog(&api.services().await, "backfill");
}

#[tokio::test(flavor = "multi_thread")]
async fn live_collection_finds_and_names_every_shape_under_the_keys_backfill_gives() {
    let dir = tempfile::tempdir().unwrap();
    let live = collected(dir.path()).await;
    let history = backfilled(dir.path()).await;
    let live_services = live.services().await;
    assert_catalog(&live_services, "collect github");
    assert_eq!(live_services, history.services().await, "live collection and backfill agree");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_repositories_with_a_frontend_folder_are_kept_apart_and_the_conflict_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let api = backfilled(dir.path()).await;
    let data = api
        .query(&format!(
            "{{ web: entity(key: \"service:web/frontend\", at: \"{DAY}\") {{ name conflict: attribute(path: \"conflict\") }} \
             shop: entity(key: \"service:frontend\", at: \"{DAY}\") {{ relations(direction: IN, kinds: [\"builds\"]) {{ from }} }} }}"
        ))
        .await;
    assert_eq!(data["web"]["name"], "web/frontend");
    let conflict = &data["web"]["conflict"];
    assert_eq!(conflict["name"], "frontend");
    assert_eq!(conflict["held_by"], "service:frontend");
    assert_eq!(conflict["holder_repo"], "repo:github.com/acme/shop");
    assert_eq!(conflict["reason"], "older repository");
    let builders: Vec<&str> =
        data["shop"]["relations"].as_array().unwrap().iter().map(|r| r["from"].as_str().unwrap()).collect();
    assert_eq!(builders, ["repo:github.com/acme/shop"], "one repository builds service:frontend");
    let runs = api.query("{ runs(source: \"github\") { warnings } }").await;
    let warnings = runs["runs"].to_string();
    assert!(warnings.contains("identity conflict") && warnings.contains("service:web/frontend"), "{warnings}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_services_own_sonarqube_project_measures_it_not_the_monorepo() {
    let dir = tempfile::tempdir().unwrap();
    let api = backfilled(dir.path()).await;
    let data = api
        .query(&format!(
            "{{ cart: entity(key: \"service:cartservice\", at: \"{DAY}\") {{ relations(direction: IN, kinds: [\"measures\"]) {{ from attrs }} }} \
             ledger: entity(key: \"service:ledgerwriter\", at: \"{DAY}\") {{ relations(direction: IN, kinds: [\"measures\"]) {{ from attrs }} }} }}"
        ))
        .await;
    let cart = &data["cart"]["relations"][0];
    assert_eq!(cart["from"], "sonar_project:acme_shop_cartservice");
    assert_eq!(cart["attrs"]["via"], "sonar-project.properties");
    let ledger = &data["ledger"]["relations"][0];
    assert_eq!(ledger["from"], "sonar_project:acme_bank_ledgerwriter");
    assert_eq!(ledger["attrs"]["via"], "pom.xml");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pin_in_the_config_resolves_a_conflict_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let repos = git_repos(&dir.path().join("repos"));
    let config = dir.path().join("spot.toml");
    std::fs::write(
        &config,
        "[identity]\npins = [{ repo = \"web\", path = \"frontend\", name = \"frontend\" },\n\
         { repo = \"shop\", path = \"src/frontend\", name = \"shop-frontend\" }]\n",
    )
    .unwrap();
    let db = dir.path().join("pinned.db");
    let mut args = vec!["backfill".to_string(), "git".into(), "--config".into(), config.display().to_string()];
    args.extend(["--db".to_string(), db.display().to_string()]);
    args.extend(repos.iter().map(|r| r.path.display().to_string()));
    spot(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let api = Api::over(&db, "github.com").await;
    let found = api.services().await;
    assert_eq!(found["service:frontend"].0, "web");
    assert_eq!(found["service:frontend"].2, "identity-pin");
    assert_eq!(found["service:shop-frontend"].0, "shop");
    assert!(!found.contains_key("service:web/frontend"), "no conflict is left");
}

#[test]
fn a_wrong_identity_section_is_refused_with_every_problem_named_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("spot.toml");
    std::fs::write(
        &config,
        "[identity]\npins = [{ repo = \"web\", path = \"../x\", name = \"Web App\" }]\naliases = { a = \"b\", b = \"c\" }\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_spot"))
        .args(["config", "check", "--config", &config.display().to_string()])
        .env("SPOT_LOG", "error")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(text.contains("spot.toml:2: identity.pins[0]: path '../x' leaves the repository"), "{text}");
    assert!(text.contains("name 'Web App' is not a service name; did you mean 'web-app'?"), "{text}");
    assert!(text.contains("spot.toml:3: identity.aliases.a: 'b' is itself an alias; point to the service"), "{text}");
}
