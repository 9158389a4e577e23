//! A shop repository of the shapes real ones have, for the declared
//! versus running tests (tests/declared.rs, the explorer's): a release
//! manifest, kustomize with a test overlay, a stale `extras/` copy, a Job
//! seeding a database with `postgres`, a chart named `…-chart` bundling
//! DynamoDB, and a chart naming no service; and two clusters running the
//! frontend at different versions.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use collectors::{ObservedEntity, ObservedRelation};
use serde_json::{json, Value};
use spot::backfill::{self, Quiet};
use spot::{Observation, SqliteStore, Store};

use super::git::TestRepo;

pub const DAY: &str = "2024-01-02";

fn deployment(kind: &str, name: &str, app: &str, image: &str) -> String {
    let pod = format!(
        "metadata:\n      labels:\n        app: {app}\n    spec:\n      containers:\n        - image: {image}\n"
    );
    format!("apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {name}\n  labels:\n    app: {app}\nspec:\n  template:\n    {pod}")
}

/// A shop: frontend, cart and accounts-db services, each with a Dockerfile.
pub fn shop(parent: &Path) -> TestRepo {
    let repo = TestRepo::new(parent, "acme", "shop");
    let frontend =
        |tag: &str| deployment("Deployment", "frontend", "frontend", &format!("ghcr.io/acme/frontend:{tag}"));
    let release = [
        frontend("v1.2.0"),
        deployment("Deployment", "redis-cart", "redis-cart", "redis:alpine"),
        deployment("StatefulSet", "accounts-db", "accounts-db", "ghcr.io/acme/accounts-db:v1.2.0"),
    ]
    .join("---\n");
    let populate = deployment("Job", "populate-accounts-db", "accounts-db", "postgres:16.13-alpine");
    let files: Vec<(&str, String)> = vec![
        ("src/frontend/Dockerfile", "FROM scratch\n".into()),
        ("src/cart/Dockerfile", "FROM scratch\n".into()),
        ("src/accounts-db/Dockerfile", "FROM postgres:16\n".into()),
        ("release/kubernetes-manifests.yaml", release),
        ("src/accounts-db/k8s/populate-job.yaml", populate),
        // kustomize/ deploys base/ at the release's tag; its tests/ overlay
        // pins another tag, for a test.
        ("kustomize/base/frontend.yaml", frontend("v1.2.0")),
        ("kustomize/base/kustomization.yaml", "resources:\n  - frontend.yaml\n".into()),
        ("kustomize/kustomization.yaml", "resources:\n  - base\n".into()),
        (
            "kustomize/tests/istio/kustomization.yaml",
            "resources:\n  - ../../base\nimages:\n  - name: ghcr.io/acme/frontend\n    newTag: v1.1.0\n".into(),
        ),
        // A stale copy, years behind.
        ("extras/legacy/frontend.yaml", frontend("v0.5.0")),
        // The cart's chart is named for being a chart and bundles DynamoDB.
        ("src/cart/chart/Chart.yaml", "apiVersion: v2\nname: shop-cart-chart\nversion: 1.0.0\n".into()),
        (
            "src/cart/chart/values.yaml",
            "image:\n  repository: ghcr.io/acme/shop-cart\n  tag: v1.2.0\ndynamodb:\n  image:\n    repository: amazon/dynamodb-local\n    tag: 1.25.1\n".into(),
        ),
        // A chart whose image and name match no service of the repository.
        ("deploy/ghost/Chart.yaml", "apiVersion: v2\nname: ghost-chart\nappVersion: 0.1.0\n".into()),
        ("deploy/ghost/values.yaml", "image:\n  repository: ghcr.io/acme/ghost\n".into()),
    ];
    let files: Vec<(&str, Option<&str>)> = files.iter().map(|(p, c)| (*p, Some(c.as_str()))).collect();
    repo.commit(DAY, 9, &files);
    repo
}

/// What a cluster runs of the frontend on the day, as the Kubernetes
/// collector records it; dc1 also runs a workload of a service no source
/// describes.
pub fn cluster(name: &str, frontend: &str) -> Observation {
    let mut seen = Observation::new("kubernetes", name, DAY.parse().unwrap());
    let workload = format!("workload:{name}/shop/Deployment/frontend");
    entity(&mut seen, &format!("cluster:{name}"), json!({}));
    entity(&mut seen, &workload, json!({ "kind": "Deployment", "version": frontend }));
    relation(&mut seen, "service:frontend", "deploys", &workload, json!({ "via": "label:app" }));
    relation(&mut seen, &workload, "runs_in", &format!("cluster:{name}"), json!({}));
    if name == "dc1" {
        let orphan = "workload:dc1/ops/Deployment/nowhere";
        entity(&mut seen, orphan, json!({ "kind": "Deployment", "version": "1" }));
        relation(&mut seen, "service:nowhere", "deploys", orphan, json!({ "via": "label:app" }));
    }
    seen
}

/// The shop backfilled from its history into `dir/spot.db`, with what the
/// two clusters run: dc1 the release's v1.2.0, dc2 the older v1.1.0.
pub async fn shop_store(dir: &Path) -> PathBuf {
    let repo = shop(dir);
    let path = dir.join("spot.db");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let options = backfill::Options {
        paths: vec![repo.path.clone()],
        since: None,
        until: None,
        max_file_bytes: 5 << 20,
        identity: Default::default(),
        ingest: Default::default(),
    };
    backfill::backfill(store.clone(), &options, &Quiet).await.unwrap();
    for observed in [cluster("dc1", "v1.2.0"), cluster("dc2", "v1.1.0")] {
        store.ingest(&observed).await.unwrap();
    }
    path
}

fn entity(observation: &mut Observation, key: &str, attrs: Value) {
    let (kind, name) = key.split_once(':').unwrap();
    let attrs = attrs.as_object().unwrap().clone();
    observation.entities.push(ObservedEntity { key: key.into(), kind: kind.into(), name: name.into(), attrs });
}

fn relation(observation: &mut Observation, from: &str, kind: &str, to: &str, attrs: Value) {
    let attrs = attrs.as_object().unwrap().clone();
    observation.relations.push(ObservedRelation { from: from.into(), to: to.into(), kind: kind.into(), attrs });
}
