//! What the tests of the watch's state machine share: its settings, the
//! objects of a scripted cluster read as watch events, and a tracker fed a
//! whole list of them, as kube's watcher gives it at start.

#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use collectors::action::{Action, ActionKind, Remembered};
use collectors::kubernetes::model::Rules;
use collectors::kubernetes::watch::tracker::{Change, Namespaces, Object, Resource, Tracker, TrackerSettings};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::events::v1::Event;
use serde_json::{json, Value};

/// 3 March 2026 at `hour`:`minute` UTC.
pub fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, hour, minute, 0).unwrap()
}

pub fn settings() -> TrackerSettings {
    TrackerSettings {
        cluster: "dc1".into(),
        rules: Rules {
            service_annotation: "spot/service".into(),
            sidecars: Default::default(),
            service_from_image: true,
        },
        namespaces: Namespaces { only: Default::default(), except: ["kube-system".to_string()].into() },
        warning_window: chrono::Duration::minutes(15),
    }
}

/// An object as a watch event carries it, by its `kind`.
pub fn object(value: &Value) -> Object {
    fn read<K: serde::de::DeserializeOwned>(value: &Value) -> Box<K> {
        Box::new(serde_json::from_value(value.clone()).unwrap())
    }
    match value["kind"].as_str().unwrap() {
        "Deployment" => Object::Deployment(read::<Deployment>(value)),
        "StatefulSet" => Object::StatefulSet(read::<StatefulSet>(value)),
        "DaemonSet" => Object::DaemonSet(read::<DaemonSet>(value)),
        "ReplicaSet" => Object::ReplicaSet(read::<ReplicaSet>(value)),
        "Event" => Object::Event(read::<Event>(value)),
        other => panic!("{other}"),
    }
}

/// The resource an object is watched as.
pub fn resource_of(value: &Value) -> Resource {
    match value["kind"].as_str().unwrap() {
        "Deployment" => Resource::Deployments,
        "StatefulSet" => Resource::StatefulSets,
        "DaemonSet" => Resource::DaemonSets,
        "ReplicaSet" => Resource::ReplicaSets,
        "Event" => Resource::Events,
        other => panic!("{other}"),
    }
}

/// The list kube's watcher gives at start (or after a `410 Gone`) of
/// every resource, `objects` in it.
pub fn relist(tracker: &mut Tracker, objects: &[&Value], now: DateTime<Utc>) {
    for resource in Resource::ALL {
        tracker.apply(resource, Change::Init, now);
        for value in objects.iter().filter(|v| resource_of(v) == resource) {
            tracker.apply(resource, Change::Listed(object(value)), now);
        }
        tracker.apply(resource, Change::InitDone, now);
    }
}

/// A tracker that has listed `objects`, resuming from `remembered`.
pub fn listed(objects: &[&Value], remembered: Vec<Remembered>, now: DateTime<Utc>) -> Tracker {
    let mut tracker = Tracker::new(settings(), remembered, now);
    relist(&mut tracker, objects, now);
    tracker
}

/// A change seen live.
pub fn applied(tracker: &mut Tracker, value: &Value, now: DateTime<Utc>) {
    tracker.apply(resource_of(value), Change::Applied(object(value)), now);
}

pub fn kinds(actions: &[Action]) -> Vec<ActionKind> {
    actions.iter().map(|a| a.kind).collect()
}

pub fn with_version(mut value: Value, version: u64) -> Value {
    value["metadata"]["resourceVersion"] = json!(version.to_string());
    value
}
