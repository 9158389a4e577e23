//! Service-to-service dependencies from what repositories declare, end to
//! end: repositories of the Online Boutique shape (Kubernetes manifests
//! naming Services in env, a Service named unlike its workload, a redis)
//! and of the AWS retail store shape (an umbrella chart's values endpoints,
//! a chart bundling a database, compose `depends_on` and `environment`) are
//! replayed by `spot backfill git`, and their `depends_on` edges, each with
//! `via` and `file`, read back through the GraphQL API over HTTP on the
//! days they were declared.

#[allow(dead_code)]
#[path = "support/git.rs"]
mod git;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use git::TestRepo;
use serde_json::{json, Value};
use spot::config::Config;
use spot::server::Server;
use spot::SqliteStore;

const BEFORE: &str = "2026-10-01";
const WIRED: &str = "2026-10-05";

fn deployment(name: &str, image: &str, env: &[(&str, &str)]) -> String {
    let mut text = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n        - name: server\n          image: {image}\n"
    );
    if !env.is_empty() {
        text.push_str("          env:\n");
        for (name, value) in env {
            text.push_str(&format!("            - name: {name}\n              value: \"{value}\"\n"));
        }
    }
    text
}

fn kube_service(name: &str, selects: &str) -> String {
    format!("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector:\n    app: {selects}\n  ports:\n    - port: 80\n")
}

/// Online Boutique's shape: `src/<svc>/Dockerfile`, one manifest per
/// service in `kubernetes-manifests/`. The frontend's addresses are added
/// on the second day.
fn boutique(parent: &Path) -> TestRepo {
    let repo = TestRepo::new(parent, "acme", "boutique");
    let frontend =
        |env: &[(&str, &str)]| deployment("frontend", "frontend", env) + &kube_service("frontend", "frontend");
    let first = frontend(&[("PORT", "8080")]);
    let cart = deployment("cartservice", "cartservice", &[("REDIS_ADDR", "redis-cart:6379")])
        + &kube_service("cartservice", "cartservice");
    // The Service is `catalog`; the workload and the service `productcatalogservice`.
    let catalog = deployment("productcatalogservice", "productcatalogservice", &[])
        + &kube_service("catalog", "productcatalogservice");
    let checkout = deployment(
        "checkoutservice",
        "checkoutservice",
        &[
            ("CART_SERVICE_ADDR", "cartservice:7070"),
            ("PRODUCT_CATALOG_SERVICE_ADDR", "catalog.shop.svc.cluster.local:3550"),
        ],
    ) + &kube_service("checkoutservice", "checkoutservice");
    let redis = deployment("redis-cart", "redis:alpine", &[]) + &kube_service("redis-cart", "redis-cart");
    repo.commit(
        BEFORE,
        9,
        &[
            ("src/frontend/Dockerfile", Some("FROM golang:1.23\n")),
            ("src/cartservice/src/Dockerfile", Some("FROM mcr.microsoft.com/dotnet/sdk:9.0\n")),
            ("src/productcatalogservice/Dockerfile", Some("FROM golang:1.23\n")),
            ("src/checkoutservice/Dockerfile", Some("FROM golang:1.23\n")),
            ("kubernetes-manifests/frontend.yaml", Some(&first)),
            ("kubernetes-manifests/cartservice.yaml", Some(&cart)),
            ("kubernetes-manifests/productcatalogservice.yaml", Some(&catalog)),
            ("kubernetes-manifests/checkoutservice.yaml", Some(&checkout)),
            ("kubernetes-manifests/redis.yaml", Some(&redis)),
        ],
    );
    let wired = frontend(&[
        ("CART_SERVICE_ADDR", "cartservice:7070"),
        ("PRODUCT_CATALOG_SERVICE_ADDR", "catalog:3550"),
        ("CHECKOUT_SERVICE_ADDR", "checkoutservice:5050"),
        ("COLLECTOR_SERVICE_ADDR", "opentelemetrycollector:4317"),
        ("PAYMENTS_URL", "https://api.stripe.com"),
    ]);
    repo.commit(WIRED, 9, &[("kubernetes-manifests/frontend.yaml", Some(&wired))]);
    repo
}

/// The AWS retail store's shape: a chart per service under `src/<svc>/chart`
/// (the cart's bundling DynamoDB), an umbrella chart whose values give the
/// UI its endpoints, and a compose file per service.
fn retail(parent: &Path) -> TestRepo {
    let repo = TestRepo::new(parent, "acme", "retail");
    repo.commit(
        BEFORE,
        9,
        &[
            ("src/ui/Dockerfile", Some("FROM eclipse-temurin:21\n")),
            ("src/cart/Dockerfile", Some("FROM eclipse-temurin:21\n")),
            ("src/ui/chart/Chart.yaml", Some("apiVersion: v2\nname: retail-ui-chart\nversion: 1.0.0\n")),
            ("src/ui/chart/values.yaml", Some("image:\n  repository: acme/retail-ui\napp:\n  endpoints: {}\n")),
            ("src/ui/chart/templates/deployment.yaml", Some("env:\n{{- range .Values.app.endpoints }}\n{{- end }}\n")),
            ("src/cart/chart/Chart.yaml", Some("apiVersion: v2\nname: retail-cart-chart\nversion: 1.0.0\n")),
            (
                "src/cart/chart/values.yaml",
                Some("image:\n  repository: acme/retail-cart\ndynamodb:\n  create: false\n  image:\n    repository: amazon/dynamodb-local\n    tag: \"1.25.1\"\n"),
            ),
            (
                "src/cart/docker-compose.yml",
                Some("services:\n  cart:\n    build:\n      context: .\n    hostname: carts\n    environment:\n      - RETAIL_CART_PERSISTENCE_DYNAMODB_ENDPOINT=http://carts-db:8000\n    depends_on:\n      carts-db:\n        condition: service_healthy\n  carts-db:\n    image: amazon/dynamodb-local:1.20.0\n"),
            ),
            (
                "src/ui/docker-compose.yml",
                Some("services:\n  ui:\n    build:\n      context: .\n    environment:\n      - RETAIL_UI_ENDPOINTS_CARTS=http://carts:8080\n"),
            ),
            (
                "src/app/chart/Chart.yaml",
                Some("apiVersion: v2\nname: retail-store\nversion: 1.0.0\ndependencies:\n  - name: retail-cart-chart\n    alias: cart\n    repository: file://../../cart/chart\n  - name: retail-ui-chart\n    alias: ui\n    repository: file://../../ui/chart\n"),
            ),
            (
                "src/app/chart/values.yaml",
                Some("cart:\n  fullnameOverride: carts\nui:\n  fullnameOverride: ui\n  app:\n    endpoints:\n      carts: http://carts:80\n"),
            ),
        ],
    );
    repo
}

fn spot(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_spot")).args(args).env("SPOT_LOG", "error").output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "spot {args:?} failed:\n{text}");
    text
}

struct Api {
    url: String,
    client: reqwest::Client,
}

impl Api {
    async fn backfilled(dir: &Path) -> Api {
        let repos = [boutique(&dir.join("repos")), retail(&dir.join("repos"))];
        let db = dir.join("spot.db");
        let (db_text, boutique, retail) =
            (db.display().to_string(), repos[0].path.display().to_string(), repos[1].path.display().to_string());
        tokio::task::spawn_blocking(move || spot(&["backfill", "git", "--db", &db_text, &boutique, &retail]))
            .await
            .unwrap();
        let store = SqliteStore::open(&db).unwrap();
        let server = Server::new(&Config::default(), Arc::new(store)).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/graphql", listener.local_addr().unwrap());
        tokio::spawn(server.serve_on(listener, std::future::pending()));
        Api { url, client: reqwest::Client::new() }
    }

    async fn query(&self, query: &str) -> Value {
        let answer: Value =
            self.client.post(&self.url).json(&json!({ "query": query })).send().await.unwrap().json().await.unwrap();
        assert!(answer.get("errors").is_none(), "{answer}");
        answer["data"].clone()
    }

    /// `(to, via, file)` of each `depends_on` leaving `key` on `day`, with
    /// the kind of the entity it reaches.
    async fn dependencies(&self, key: &str, day: &str) -> BTreeSet<(String, String, String, String)> {
        let data = self
            .query(&format!(
                "{{ entity(key: \"{key}\", at: \"{day}\") {{ relations(kinds: [\"depends_on\"]) {{ to attrs toEntity {{ kind }} }} }} }}"
            ))
            .await;
        let relations = data["entity"]["relations"].as_array().cloned().unwrap_or_default();
        relations
            .iter()
            .map(|r| {
                let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
                (text(&r["to"]), text(&r["attrs"]["via"]), text(&r["attrs"]["file"]), text(&r["toEntity"]["kind"]))
            })
            .collect()
    }
}

fn edge(to: &str, via: &str, file: &str, kind: &str) -> (String, String, String, String) {
    (to.into(), via.into(), file.into(), kind.into())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_finds_the_dependencies_manifests_charts_and_compose_files_declare_on_the_days_they_did() {
    let dir = tempfile::tempdir().unwrap();
    let api = Api::backfilled(dir.path()).await;
    let manifests = "kubernetes-manifests";

    assert!(api.dependencies("service:frontend", BEFORE).await.is_empty(), "the frontend named no address yet");
    assert_eq!(
        api.dependencies("service:frontend", WIRED).await,
        BTreeSet::from([
            edge("service:cartservice", "env", &format!("{manifests}/frontend.yaml"), "service"),
            edge("service:checkoutservice", "env", &format!("{manifests}/frontend.yaml"), "service"),
            // Through the Service `catalog`, which selects app=productcatalogservice.
            edge("service:productcatalogservice", "env", &format!("{manifests}/frontend.yaml"), "service"),
        ]),
        "the collector no manifest declares and the external URL are not edges"
    );
    assert_eq!(
        api.dependencies("service:checkoutservice", BEFORE).await,
        BTreeSet::from([
            edge("service:cartservice", "env", &format!("{manifests}/checkoutservice.yaml"), "service"),
            edge("service:productcatalogservice", "env", &format!("{manifests}/checkoutservice.yaml"), "service"),
        ])
    );
    assert_eq!(
        api.dependencies("service:cartservice", WIRED).await,
        BTreeSet::from([edge("resource:redis-cart", "env", &format!("{manifests}/cartservice.yaml"), "resource")])
    );
    let redis = api
        .query(&format!(
            "{{ entity(key: \"resource:redis-cart\", at: \"{WIRED}\") {{ kind type: attribute(path: \"type\") engine: attribute(path: \"engine\") image: attribute(path: \"image\") }} }}"
        ))
        .await;
    assert_eq!(
        redis["entity"],
        json!({ "kind": "resource", "type": "cache", "engine": "redis", "image": "redis:alpine" })
    );

    assert_eq!(
        api.dependencies("service:ui", WIRED).await,
        BTreeSet::from([edge("service:cart", "helm", "src/app/chart/values.yaml", "service")]),
        "'carts' is the cart chart's fullnameOverride (and compose's hostname); the umbrella's values come first"
    );
    assert_eq!(
        api.dependencies("service:cart", WIRED).await,
        BTreeSet::from([
            edge("resource:cart-dynamodb", "helm", "src/cart/chart/values.yaml", "resource"),
            edge("resource:carts-db", "compose", "src/cart/docker-compose.yml", "resource"),
        ])
    );
}
