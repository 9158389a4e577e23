//! The watch's state machine alone, fed scripted watch events: what each
//! kind of workload's change becomes, and what a re-list after a gap finds.

mod watch_support;

use collectors::action::ActionKind;
use collectors::kubernetes::fake_objects::*;
use collectors::kubernetes::watch::tracker::{Change, Resource};
use serde_json::{json, Value};
use watch_support::*;

/// A StatefulSet made from a Deployment's shape.
fn stateful_set(image: &str, generation: i64) -> Value {
    let yesterday = at(1, 0) - chrono::Duration::days(1);
    let mut object = deployment("data", "ledger-db", "s-ledger", image, 3, yesterday);
    object["spec"]["serviceName"] = json!("ledger-db");
    object["kind"] = json!("StatefulSet");
    object["metadata"]["generation"] = json!(generation);
    object["spec"].as_object_mut().unwrap().remove("progressDeadlineSeconds");
    object["status"] = json!({ "observedGeneration": generation, "replicas": 3, "readyReplicas": 3, "updatedReplicas": 3,
                               "currentRevision": "r1", "updateRevision": "r1" });
    object
}

#[test]
fn a_stateful_set_s_new_template_is_a_rollout_and_its_old_one_a_rollback() {
    let v1 = with_version(stateful_set("registry.example.com/data/ledger-db:15.4", 1), 10);
    let mut tracker = listed(&[&v1], vec![], at(12, 0));
    assert!(tracker.take(at(12, 0)).actions.is_empty(), "a listed StatefulSet is no action");

    let mut v2 = with_version(stateful_set("registry.example.com/data/ledger-db:16.1", 2), 11);
    written_by(&mut v2, "helm", None, at(12, 5));
    tracker.apply(Resource::StatefulSets, Change::Applied(object(&v2)), at(12, 5));
    let rollout = tracker.take(at(12, 5)).actions;
    let kinds: Vec<ActionKind> = rollout.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        [ActionKind::RolloutStarted, ActionKind::RolloutCompleted],
        "its status says generation 2 is out"
    );
    assert_eq!(
        (rollout[0].kind, rollout[0].key.as_str()),
        (ActionKind::RolloutStarted, "s-ledger/gen2/rollout_started")
    );
    assert_eq!(rollout[0].details["previous_version"], "15.4");
    assert_eq!(rollout[0].actor.as_deref(), Some("helm"));

    let v3 = with_version(stateful_set("registry.example.com/data/ledger-db:15.4", 3), 12);
    tracker.apply(Resource::StatefulSets, Change::Applied(object(&v3)), at(12, 9));
    let back = tracker.take(at(12, 9)).actions;
    let kinds: Vec<ActionKind> = back.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [ActionKind::Rollback, ActionKind::RolloutCompleted], "the template of generation 1 again");
}

#[test]
fn a_re_list_after_a_gap_finds_each_change_once_at_its_writer_s_time() {
    let first = with_version(deployment("shop", "cart", "d-cart", "shop/cart:2.0.0", 2, at(1, 0)), 5);
    let mut tracker = listed(&[&first], vec![], at(9, 0));
    let memory = tracker.take(at(9, 0)).remember;
    assert!(memory.iter().any(|m| m.uid == "w/d-cart"), "{memory:#?}");

    // SPoT is down from 09:00; at 10:30 someone scales cart to 5.
    let mut later = first.clone();
    scaled(&mut later, 5, "kubectl", at(10, 30));
    let later = with_version(later, 9);
    let mut resumed = listed(&[&later], memory, at(11, 0));
    let batch = resumed.take(at(11, 0));
    assert_eq!(batch.actions.len(), 1, "{:#?}", batch.actions);
    let scale = &batch.actions[0];
    assert_eq!((scale.kind, scale.at), (ActionKind::Scale, at(10, 30)));
    assert_eq!((scale.details["from"].clone(), scale.details["by"].clone()), (json!(2), json!("person")));

    // Listed again, unchanged: nothing.
    let mut quiet = listed(&[&later], batch.remember, at(11, 3));
    let batch = quiet.take(at(11, 3));
    assert!(batch.actions.is_empty(), "{:#?}", batch.actions);

    // Gone while SPoT was away: deleted, once.
    let mut emptied = listed(&[], batch.remember, at(11, 5));
    let gone = emptied.take(at(11, 5));
    assert_eq!(gone.actions.iter().map(|a| a.kind).collect::<Vec<_>>(), [ActionKind::Deleted]);
    assert!(gone.forget.iter().any(|(_, uid)| uid == "w/d-cart"));
}

#[test]
fn excluded_namespaces_are_not_followed() {
    let system = deployment("kube-system", "coredns", "d-dns", "coredns/coredns:1.11", 2, at(11, 0));
    let mut tracker = listed(&[&with_version(system, 3)], vec![], at(11, 30));
    let batch = tracker.take(at(11, 30));
    assert!(batch.actions.is_empty() && batch.remember.iter().all(|m| m.uid == "mark"), "{batch:#?}");
}
