//! Service-to-service dependencies from what repositories declare, end to
//! end: repositories of the Online Boutique shape (Kubernetes manifests
//! naming Services in env, a Service named unlike its workload, a redis)
//! and of the AWS retail store shape (an umbrella chart's values endpoints,
//! a chart bundling a database, compose `depends_on` and `environment`) are
//! replayed by `spot backfill git`, and their `depends_on` edges, each with
//! `via` and `file`, read back through the GraphQL API over HTTP on the
//! days they were declared.

#[path = "support/cli.rs"]
mod cli;
use cli::spot;
#[allow(dead_code)]
#[path = "support/git.rs"]
mod git;
#[path = "support/shapes.rs"]
mod shapes;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};
use spot::config::Config;
use spot::server::Server;
use spot::SqliteStore;

use shapes::{boutique, retail, BEFORE, WIRED};

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
