//! A hand-built two-day history for the change-intelligence tests
//! (tests/changes_api.rs, tests/explorer_changes.rs): on 2026-03-02,
//! checkout moves 2.3.1 → 2.4.0 in eu-west, payments changes owner,
//! ledger's coverage drops, search-api's gate fails, cart starts depending
//! on redis-cache, left-pad moves 1.1 → 1.3 in two services, payments
//! scales within its autoscaler and a page is edited; a checkout deploy
//! succeeds, a payments deploy fails, and payments' config changes.
//!
//! The graph: frontend → checkout → payments → ledger (depends_on).

use std::path::Path;

use chrono::{TimeZone, Utc};
use collectors::{ObservedEntity, ObservedRelation};
use serde_json::{json, Value};
use spot::model::{Action, ActionBatch, ActionKind, DeployEvent, DeployStatus};
use spot::{Observation, SqliteStore, Store};

pub const BEFORE: &str = "2026-03-01";
pub const AFTER: &str = "2026-03-02";

fn entity(observation: &mut Observation, key: &str, attrs: Value) {
    let (kind, name) = key.split_once(':').unwrap();
    let attrs = attrs.as_object().unwrap().clone();
    observation.entities.push(ObservedEntity { key: key.into(), kind: kind.into(), name: name.into(), attrs });
}

fn relation(observation: &mut Observation, from: &str, kind: &str, to: &str, attrs: Value) {
    let attrs = attrs.as_object().unwrap().clone();
    observation.relations.push(ObservedRelation { from: from.into(), to: to.into(), kind: kind.into(), attrs });
}

fn github(day: &str, later: bool) -> Observation {
    let mut seen = Observation::new("github", "acme", day.parse().unwrap());
    for service in ["frontend", "checkout", "payments", "ledger", "cart", "redis-cache", "search-api"] {
        entity(&mut seen, &format!("service:{service}"), json!({}));
    }
    for repo in ["checkout", "cart", "ledger"] {
        let key = format!("repo:github.com/acme/{repo}");
        entity(&mut seen, &key, json!({}));
        relation(&mut seen, &key, "builds", &format!("service:{repo}"), json!({}));
    }
    entity(&mut seen, "package:npm/left-pad", json!({}));
    let left_pad = if later { "1.3" } else { "1.1" };
    for repo in ["checkout", "cart"] {
        let key = format!("repo:github.com/acme/{repo}");
        relation(&mut seen, &key, "uses", "package:npm/left-pad", json!({ "resolved": left_pad }));
    }
    let depends = [("frontend", "checkout"), ("checkout", "payments"), ("payments", "ledger")];
    for (from, to) in depends {
        relation(
            &mut seen,
            &format!("service:{from}"),
            "depends_on",
            &format!("service:{to}"),
            json!({ "via": "declared" }),
        );
    }
    if later {
        relation(&mut seen, "service:cart", "depends_on", "service:redis-cache", json!({ "via": "declared" }));
    }
    let owner = if later { "team:team-billing" } else { "team:team-core" };
    entity(&mut seen, "team:team-core", json!({}));
    entity(&mut seen, "team:team-billing", json!({}));
    relation(&mut seen, owner, "owns", "service:payments", json!({}));
    relation(&mut seen, "team:team-core", "owns", "service:checkout", json!({}));
    seen
}

fn kubernetes(day: &str, later: bool) -> Observation {
    let mut seen = Observation::new("kubernetes", "eu-west", day.parse().unwrap());
    entity(&mut seen, "cluster:eu-west", json!({}));
    let checkout = "workload:eu-west/shop/Deployment/checkout";
    let version = if later { "2.4.0" } else { "2.3.1" };
    entity(&mut seen, checkout, json!({ "kind": "Deployment", "version": version, "replicas": { "desired": 3 } }));
    relation(&mut seen, "service:checkout", "deploys", checkout, json!({}));
    let payments = "workload:eu-west/shop/Deployment/payments";
    let desired = if later { 5 } else { 2 };
    let attrs = json!({ "kind": "Deployment", "version": "1.0", "replicas": { "desired": desired }, "hpa": { "min": 2, "max": 6 } });
    entity(&mut seen, payments, attrs);
    relation(&mut seen, "service:payments", "deploys", payments, json!({}));
    seen
}

fn sonarqube(day: &str, later: bool) -> Observation {
    let mut seen = Observation::new("sonarqube", "sonar", day.parse().unwrap());
    let coverage = if later { 64 } else { 71 };
    entity(&mut seen, "sonar_project:ledger", json!({ "quality_gate": "OK", "coverage": coverage }));
    relation(&mut seen, "sonar_project:ledger", "measures", "repo:github.com/acme/ledger", json!({}));
    let gate = if later { "ERROR" } else { "OK" };
    entity(&mut seen, "sonar_project:search-api", json!({ "quality_gate": gate, "coverage": 80 }));
    relation(&mut seen, "sonar_project:search-api", "measures", "service:search-api", json!({}));
    seen
}

fn confluence(day: &str, later: bool) -> Observation {
    let mut seen = Observation::new("confluence", "ENG", day.parse().unwrap());
    let edits = if later { 8 } else { 7 };
    entity(&mut seen, "doc:confluence/100008", json!({ "title": "Payments runbook", "edit_count": edits }));
    relation(&mut seen, "doc:confluence/100008", "documents", "service:payments", json!({}));
    seen
}

fn at(hour: u32, minute: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, hour, minute, 0).unwrap()
}

fn deploy(service: &str, version: &str, hour: u32, status: DeployStatus) -> DeployEvent {
    DeployEvent {
        service: format!("service:{service}"),
        cluster: "eu-west".into(),
        version: version.into(),
        at: at(hour, 0),
        finished_at: Some(at(hour, 5)),
        status,
        ..DeployEvent::default()
    }
}

/// The history in `dir/spot.db`.
pub async fn history_store(dir: &Path) -> SqliteStore {
    let store = SqliteStore::open(dir.join("spot.db")).unwrap();
    for (day, later) in [(BEFORE, false), (AFTER, true)] {
        for observation in [github(day, later), kubernetes(day, later), sonarqube(day, later), confluence(day, later)] {
            store.ingest(&observation).await.unwrap();
        }
    }
    let deploys =
        [deploy("checkout", "2.4.0", 10, DeployStatus::Succeeded), deploy("payments", "1.1", 11, DeployStatus::Failed)];
    store.record_deployments(&deploys).await.unwrap();
    let config = Action {
        key: "payments/config/1".into(),
        cluster: "eu-west".into(),
        namespace: "shop".into(),
        workload: "workload:eu-west/shop/Deployment/payments".into(),
        service: Some("service:payments".into()),
        kind: ActionKind::ConfigChanged,
        at: at(11, 30),
        last_at: at(11, 30),
        count: 1,
        actor: Some("helm".into()),
        details: json!({ "object": "ConfigMap shop/payments" }).as_object().unwrap().clone(),
    };
    store.record_actions(&ActionBatch { actions: vec![config], ..ActionBatch::default() }).await.unwrap();
    store
}
