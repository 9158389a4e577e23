//! One organisation's history as a newcomer reads it (issue 36, items 4–6),
//! backfilled from a git repository shaped like aws-containers'
//! retail-store-sample-app and bank-of-anthos: Java services built from
//! their own folder with a Dockerfile shared in `images/java17`, a Go one
//! with `images/go`, the Dockerfiles later moved into each service, a
//! compose service renamed (`carts` → `cart`), Spring services with the
//! Spring Boot parent and an imported BOM, and Python services whose own
//! `pyproject.toml` names them.

#[path = "support/cli.rs"]
mod cli;
use cli::spot;
#[allow(dead_code)]
#[path = "support/git.rs"]
mod git;

use std::path::Path;
use std::sync::Arc;

use git::TestRepo;
use serde_json::{json, Value};
use spot::config::Config;
use spot::server::Server;
use spot::SqliteStore;

const FIRST: &str = "2023-01-10";
const LATER: &str = "2023-06-01";
const MOVED: &str = "2024-07-14";
const RENAMED: &str = "2025-02-27";

fn compose(service: &str, image: Option<&str>, shared_dockerfile: Option<&str>) -> String {
    let dockerfile =
        shared_dockerfile.map(|d| format!("      dockerfile: ../../images/{d}/Dockerfile\n")).unwrap_or_default();
    let image = image.map(|i| format!("    image: acme/{i}\n")).unwrap_or_default();
    format!("services:\n  {service}:\n    build:\n      context: .\n{dockerfile}{image}    ports:\n      - 8080:8080\n")
}

fn spring_pom(artifact: &str, boot: &str) -> String {
    format!(
        "<project><modelVersion>4.0.0</modelVersion><artifactId>{artifact}</artifactId><version>1.0</version>\
         <parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId>\
         <version>{boot}</version></parent>\
         <dependencyManagement><dependencies><dependency><groupId>org.springframework.cloud</groupId>\
         <artifactId>spring-cloud-dependencies</artifactId><version>2025.0.0</version><type>pom</type>\
         <scope>import</scope></dependency></dependencies></dependencyManagement>\
         <dependencies><dependency><groupId>org.springframework.boot</groupId>\
         <artifactId>spring-boot-starter-web</artifactId></dependency></dependencies></project>"
    )
}

const PRICING: &str = "[project]\nname = \"pricing\"\nversion = \"1.0\"\n";
const RECOMMENDER: &str = "[project]\nname = \"recommender\"\nversion = \"1.0\"\ndependencies = [\"pricing>=1.0\"]\n";

/// The repository's history, as dated commits.
fn retail_store(parent: &Path) -> TestRepo {
    let repo = TestRepo::new(parent, "acme", "retail-store");
    let ui_pom = spring_pom("ui", "3.5.5");
    let cart_pom = spring_pom("carts", "3.5.5");
    let ui_compose = compose("ui", Some("ui"), Some("java17"));
    let cart_compose = compose("carts", Some("carts"), Some("java17"));
    let catalog_compose = compose("catalog", Some("catalog"), Some("go"));
    repo.commit(
        FIRST,
        9,
        &[
            ("images/java17/Dockerfile", Some("FROM eclipse-temurin:17\nARG JAR_PATH\nCOPY $JAR_PATH /app.jar\n")),
            ("images/go/Dockerfile", Some("FROM golang:1.22\nCOPY . .\n")),
            ("src/ui/docker-compose.yml", Some(&ui_compose)),
            ("src/ui/pom.xml", Some(&ui_pom)),
            ("src/cart/docker-compose.yml", Some(&cart_compose)),
            ("src/cart/pom.xml", Some(&cart_pom)),
            ("src/catalog/docker-compose.yml", Some(&catalog_compose)),
            ("src/catalog/go.mod", Some("module github.com/acme/retail-store/catalog\n\ngo 1.22\n")),
            ("src/pricing/Dockerfile", Some("FROM python:3.12\n")),
            ("src/pricing/pyproject.toml", Some(PRICING)),
            ("src/recommender/Dockerfile", Some("FROM python:3.12\n")),
            ("src/recommender/pyproject.toml", Some(RECOMMENDER)),
        ],
    );
    repo.commit(LATER, 9, &[("src/ui/pom.xml", Some(&spring_pom("ui", "3.5.15")))]);
    let own = "FROM eclipse-temurin:17\nCOPY target/*.jar /app.jar\n";
    repo.commit(
        MOVED,
        9,
        &[
            ("images/java17/Dockerfile", None),
            ("images/go/Dockerfile", None),
            ("src/ui/Dockerfile", Some(own)),
            ("src/ui/docker-compose.yml", Some(&compose("ui", Some("ui"), None))),
            ("src/cart/Dockerfile", Some(own)),
            ("src/cart/docker-compose.yml", Some(&compose("carts", Some("carts"), None))),
            ("src/catalog/Dockerfile", Some("FROM golang:1.22\n")),
            ("src/catalog/docker-compose.yml", Some(&compose("catalog", Some("catalog"), None))),
        ],
    );
    repo.commit(RENAMED, 9, &[("src/cart/docker-compose.yml", Some(&compose("cart", None, None)))]);
    repo
}

struct Api {
    url: String,
    client: reqwest::Client,
}

impl Api {
    async fn backfilled(dir: &Path) -> (Api, String) {
        let repo = retail_store(&dir.join("repos"));
        let db = dir.join("history.db");
        let said = spot(&["backfill", "git", "--db", &db.display().to_string(), &repo.path.display().to_string()]);
        let store = SqliteStore::open(&db).unwrap();
        let server = Server::new(&Config::default(), Arc::new(store)).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/graphql", listener.local_addr().unwrap());
        tokio::spawn(server.serve_on(listener, std::future::pending()));
        (Api { url, client: reqwest::Client::new() }, said)
    }

    async fn query(&self, query: &str) -> Value {
        let answer: Value =
            self.client.post(&self.url).json(&json!({ "query": query })).send().await.unwrap().json().await.unwrap();
        assert!(answer.get("errors").is_none(), "{answer}");
        answer["data"].clone()
    }

    /// An entity on a day: null when no source ever saw it.
    async fn entity(&self, key: &str, at: &str, fields: &str) -> Value {
        self.query(&format!("{{ entity(key: \"{key}\", at: \"{at}\") {{ exists {fields} }} }}")).await["entity"].clone()
    }

    /// (service key, folder) of every `builds` of the repository on a day.
    async fn built(&self, at: &str) -> Vec<(String, String)> {
        let data =
            self.entity("repo:github.com/acme/retail-store", at, "relations(kinds: [\"builds\"]) { to attrs }").await;
        let mut built: Vec<(String, String)> = data["relations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["to"].as_str().unwrap().to_string(), r["attrs"]["path"].as_str().unwrap().to_string()))
            .collect();
        built.sort();
        built
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn services_sharing_a_dockerfile_stay_apart_and_a_renamed_one_keeps_one_history() {
    let dir = tempfile::tempdir().unwrap();
    let (api, said) = Api::backfilled(dir.path()).await;
    let services = pairs(&[
        ("service:cart", "src/cart"),
        ("service:catalog", "src/catalog"),
        ("service:pricing", "src/pricing"),
        ("service:recommender", "src/recommender"),
        ("service:ui", "src/ui"),
    ]);
    for day in [FIRST, LATER, MOVED, RENAMED] {
        assert_eq!(api.built(day).await, services, "on {day}: each service in its own folder, under its last name");
    }
    for key in ["service:ui", "service:cart", "service:catalog"] {
        let seen = api.entity(key, RENAMED, "firstSeen lastSeen").await;
        assert_eq!((seen["firstSeen"].as_str(), &seen["lastSeen"]), (Some(FIRST), &Value::Null), "{key}");
    }
    for never in ["service:java17", "service:go", "service:carts"] {
        let entity = api.entity(never, RENAMED, "firstSeen").await;
        assert!(entity.is_null() || entity["firstSeen"].is_null(), "{never} is no service: {entity}");
    }
    let then = api.entity("service:cart", LATER, "name_then: attribute(path: \"name_then\")").await;
    assert_eq!(then["name_then"], "carts", "the name it had then");
    let now = api.entity("service:cart", RENAMED, "name_then: attribute(path: \"name_then\")").await;
    assert_eq!(now["name_then"], Value::Null);
    assert!(said.contains("the service in src/cart was service:carts before it was service:cart"), "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_services_own_manifest_is_no_package_and_parents_and_boms_manage_its_versions() {
    let dir = tempfile::tempdir().unwrap();
    let (api, _) = Api::backfilled(dir.path()).await;
    let publishes =
        api.entity("repo:github.com/acme/retail-store", RENAMED, "relations(kinds: [\"publishes\"]) { to }").await;
    let published: Vec<&str> =
        publishes["relations"].as_array().unwrap().iter().map(|r| r["to"].as_str().unwrap()).collect();
    assert_eq!(published, ["package:pypi/pricing"], "only what another service uses is a package");
    for own in [
        "package:pypi/recommender",
        "package:maven/org.springframework.boot:ui",
        "package:go/github.com/acme/retail-store/catalog",
    ] {
        let entity = api.entity(own, RENAMED, "firstSeen").await;
        assert!(entity.is_null() || entity["firstSeen"].is_null(), "{own} is a service's own manifest: {entity}");
    }
    let uses = api.entity("service:ui", RENAMED, "relations(kinds: [\"uses\"]) { to attrs }").await;
    let attrs = |key: &str| -> Value {
        uses["relations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["to"] == key)
            .map(|r| r["attrs"].clone())
            .unwrap_or_default()
    };
    let parent = attrs("package:maven/org.springframework.boot:spring-boot-starter-parent");
    assert_eq!(
        (&parent["role"], &parent["resolved"], &parent["scope"]),
        (&json!("parent"), &json!("3.5.15"), &json!("build"))
    );
    let bom = attrs("package:maven/org.springframework.cloud:spring-cloud-dependencies");
    assert_eq!((&bom["role"], &bom["resolved"]), (&json!("bom"), &json!("2025.0.0")));
    let starter = attrs("package:maven/org.springframework.boot:spring-boot-starter-web");
    assert_eq!(
        (&starter["resolved"], &starter["managed_by"]),
        (&Value::Null, &json!("package:maven/org.springframework.boot:spring-boot-starter-parent"))
    );
}
