//! Terse observations for tests.

use collectors::{ObservedEntity, ObservedRelation};
use serde_json::{Map, Value};
use spot::model::Day;
use spot::{Observation, Store};

/// Day `n` of the tests' calendar (day 0 is 2022-01-08).
pub fn d(n: i32) -> Day {
    Day(19_000 + n)
}

pub fn attrs(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("attrs must be an object, got {other}"),
    }
}

pub struct Obs(pub Observation);

/// A complete observation of (source, scope) on day `n`.
pub fn obs(source: &str, scope: &str, n: i32) -> Obs {
    Obs(Observation::new(source, scope, d(n)))
}

impl Obs {
    pub fn entity(mut self, key: &str, value: Value) -> Obs {
        let (kind, name) = key.split_once(':').expect("test keys are kind:name");
        self.0.entities.push(ObservedEntity {
            key: key.into(),
            kind: kind.into(),
            name: name.into(),
            attrs: attrs(value),
        });
        self
    }

    pub fn relation(mut self, from: &str, kind: &str, to: &str, value: Value) -> Obs {
        self.0.relations.push(ObservedRelation {
            from: from.into(),
            to: to.into(),
            kind: kind.into(),
            attrs: attrs(value),
        });
        self
    }

    pub fn partial(mut self) -> Obs {
        self.0.complete = false;
        self
    }

    pub fn unobserved(mut self, key: &str) -> Obs {
        self.0.unobserved.push(key.into());
        self
    }

    pub async fn into(self, store: &dyn Store) -> spot::model::Run {
        store.ingest(&self.0).await.expect("ingest")
    }
}

/// The attributes one source says an entity has on day `n`, if it is alive.
pub async fn facts_of(store: &dyn Store, key: &str, n: i32, source: &str) -> Option<Value> {
    let state = store.entity(key, d(n)).await.expect("entity")?;
    let fact = state.facts.iter().find(|f| f.source == source)?;
    Some(Value::Object(fact.attrs.clone()))
}

pub async fn alive(store: &dyn Store, key: &str, n: i32) -> bool {
    store.entity(key, d(n)).await.expect("entity").is_some()
}

/// The (kind, from, to) of relations leaving `key` on day `n`.
pub async fn edges_from(store: &dyn Store, key: &str, n: i32) -> Vec<(String, String, String)> {
    let relations = store.relations(key, d(n), spot::model::Direction::Out, &[]).await.expect("relations");
    relations.into_iter().map(|r| (r.kind, r.from, r.to)).collect()
}

pub fn edge(kind: &str, from: &str, to: &str) -> (String, String, String) {
    (kind.into(), from.into(), to.into())
}

/// What a store holds, as readers see it: anchors, versions and runs. Bytes
/// are left out: how much space a store takes after a refused or failed
/// write is up to its engine.
pub async fn held(store: &dyn Store) -> (u64, u64, u64, u64) {
    let stats = store.stats().await.expect("stats");
    (stats.entities, stats.fact_versions, stats.relation_versions, stats.runs)
}
