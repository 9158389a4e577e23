//! The watch's state machine on a cluster as a real one is: Deployments
//! that keep their older ReplicaSets (`revisionHistoryLimit`), rollouts
//! made while SPoT was down, `managedFields` naming who wrote each
//! revision, and warnings in the shapes the kubelet and the scheduler
//! write. One test per defect of issue 34, each failing before its fix.

mod watch_support;

use chrono::{DateTime, Duration, Utc};
use collectors::action::{Action, ActionKind, Remembered};
use collectors::kubernetes::fake_objects::*;
use collectors::kubernetes::watch::tracker::{Change, Resource, Tracker};
use serde_json::{json, Value};
use watch_support::*;

fn weeks_ago(revision: u64) -> DateTime<Utc> {
    at(9, 0) - Duration::weeks(3) + Duration::days(revision as i64)
}

fn image(revision: u64) -> String {
    format!("registry.example.com/shop/checkout:1.{revision}.0")
}

/// `checkout` rolled out `revisions` times three weeks ago by helm, the
/// cluster keeping every ReplicaSet (the older ones scaled to zero): the
/// Deployment, complete, and its ReplicaSets oldest first (uids `rs-1`,
/// `rs-2`, …).
fn checkout(revisions: u64) -> (Value, Vec<Value>) {
    let mut d = deployment("shop", "checkout", "d-checkout", &image(1), 4, weeks_ago(1));
    let mut sets = vec![replica_set(&d, "rs-1", 1, weeks_ago(1))];
    for revision in 2..=revisions {
        new_template(&mut d, &image(revision), None, revision, "helm", weeks_ago(revision));
        completed(&mut d);
        sets.iter_mut().for_each(scaled_down);
        sets.push(replica_set(&d, &format!("rs-{revision}"), revision, weeks_ago(revision)));
    }
    (with_version(d, 100), sets)
}

fn everything<'a>(d: &'a Value, sets: &'a [Value]) -> Vec<&'a Value> {
    std::iter::once(d).chain(sets).collect()
}

/// Bumps the object's resourceVersion, as the API server does at each write.
fn next_version(value: &mut Value) {
    let version: u64 = value["metadata"]["resourceVersion"].as_str().unwrap_or("0").parse().unwrap_or(0);
    value["metadata"]["resourceVersion"] = json!((version + 1).to_string());
}

/// `kubectl rollout undo` by `manager` at `when`, done: the Deployment's
/// template is the old ReplicaSet's again, as revision `revision`.
fn undone(d: &mut Value, old: &mut Value, revision: u64, manager: &str, when: DateTime<Utc>) {
    undo(d, old, revision, manager, when);
    completed(d);
    next_version(d);
    next_version(old);
}

fn actor(action: &Action) -> Option<&str> {
    action.actor.as_deref()
}

// ----- 1. no false rollback at first connection -----

#[test]
fn a_first_connection_adopts_every_kept_replica_set_as_history_and_records_nothing() {
    let (mut d, mut sets) = checkout(5);
    let mut tracker = listed(&everything(&d, &sets), vec![], at(12, 0));
    let first = tracker.take(at(12, 0));
    assert!(first.actions.is_empty(), "five old revisions are history, not rollbacks: {:#?}", first.actions);

    // Only a change of the newest ReplicaSet seen by the watch is news.
    new_template(&mut d, &image(6), None, 6, "kubectl-set", at(12, 5));
    next_version(&mut d);
    let sixth = replica_set(&d, "rs-6", 6, at(12, 5));
    applied(&mut tracker, &d, at(12, 5));
    applied(&mut tracker, &sixth, at(12, 5));
    let rollout = tracker.take(at(12, 5)).actions;
    assert_eq!(kinds(&rollout), [ActionKind::RolloutStarted]);
    assert_eq!(
        (rollout[0].details["version"].clone(), rollout[0].details["previous_version"].clone()),
        (json!("1.6.0"), json!("1.5.0"))
    );

    undone(&mut d, &mut sets[3], 7, "kubectl-rollout", at(12, 9));
    applied(&mut tracker, &d, at(12, 9));
    applied(&mut tracker, &sets[3], at(12, 9));
    let rollback = tracker.take(at(12, 9)).actions;
    let kinds: Vec<ActionKind> = rollback.iter().map(|a| a.kind).filter(|k| k.starts_a_revision()).collect();
    assert_eq!(kinds, [ActionKind::Rollback]);
    assert_eq!(rollback.iter().find(|a| a.kind == ActionKind::Rollback).unwrap().details["version"], "1.4.0");
}

#[test]
fn a_rollout_under_way_at_first_connection_is_recorded_alone_at_its_replica_set_s_creation() {
    let (mut d, mut sets) = checkout(5);
    let generation = d["metadata"]["generation"].as_i64().unwrap();
    progressing(&mut d, 2, generation);
    sets[3]["spec"]["replicas"] = json!(2); // not yet scaled down
    let mut tracker = listed(&everything(&d, &sets), vec![], at(12, 0));
    let actions = tracker.take(at(12, 0)).actions;
    assert_eq!(kinds(&actions), [ActionKind::RolloutStarted], "{actions:#?}");
    assert_eq!((actions[0].key.as_str(), actions[0].at), ("rs-5/started", weeks_ago(5)));
    assert_eq!(actions[0].details["previous_version"], "1.4.0");
    assert_eq!(actor(&actions[0]), Some("helm"));
}

#[test]
fn a_deployment_short_of_replicas_at_first_connection_is_no_rollout() {
    // A crash-looping pod, or an autoscaler's scale-up under way: fewer
    // replicas available than desired, long after the last rollout.
    let (mut d, sets) = checkout(3);
    d["spec"]["replicas"] = json!(6);
    let generation = d["metadata"]["generation"].as_i64().unwrap();
    progressing(&mut d, 4, generation);
    let mut tracker = listed(&everything(&d, &sets), vec![], at(12, 0));
    let actions = tracker.take(at(12, 0)).actions;
    assert!(actions.is_empty(), "its old ReplicaSets are all scaled down: {actions:#?}");
}

// ----- 2. what happened while SPoT was down, at the objects' own times -----

/// What a first session remembers of `objects`, committed at 09:00.
fn remembered_at_nine(objects: &[&Value]) -> Vec<Remembered> {
    listed(objects, vec![], at(9, 0)).take(at(9, 0)).remember
}

/// SPoT back at 11:00: the workloads listed, a commit (which writes a new
/// mark), and only then the ReplicaSets, as on a cluster whose
/// ReplicaSet list takes longer than a commit interval. Every action.
fn restarted(memory: Vec<Remembered>, objects: &[&Value]) -> Vec<Action> {
    let mut tracker = Tracker::new(settings(), memory, at(11, 0));
    let now = at(11, 0);
    let (sets, workloads): (Vec<&Value>, Vec<&Value>) = objects.iter().partition(|v| v["kind"] == "ReplicaSet");
    for resource in [Resource::Deployments, Resource::StatefulSets, Resource::DaemonSets] {
        tracker.apply(resource, Change::Init, now);
        for value in workloads.iter().filter(|v| resource_of(v) == resource) {
            tracker.apply(resource, Change::Listed(object(value)), now);
        }
        tracker.apply(resource, Change::InitDone, now);
    }
    let mut actions = tracker.take(now + Duration::milliseconds(1500)).actions;
    let later = now + Duration::seconds(2);
    tracker.apply(Resource::ReplicaSets, Change::Init, later);
    for value in &sets {
        tracker.apply(Resource::ReplicaSets, Change::Listed(object(value)), later);
    }
    tracker.apply(Resource::ReplicaSets, Change::InitDone, later);
    actions.extend(tracker.take(later).actions);
    actions
}

#[test]
fn a_rollout_made_while_spot_was_down_is_a_rollout_at_its_replica_set_s_creation() {
    let (mut d, mut sets) = checkout(3);
    let memory = remembered_at_nine(&everything(&d, &sets));

    // Down from 09:00. At 10:30 helm rolls out 1.4.0.
    new_template(&mut d, &image(4), None, 4, "helm", at(10, 30));
    completed(&mut d);
    next_version(&mut d);
    sets.push(replica_set(&d, "rs-4", 4, at(10, 30)));
    let actions = restarted(memory, &everything(&d, &sets));
    let started: Vec<&Action> = actions.iter().filter(|a| a.kind.starts_a_revision()).collect();
    assert_eq!(started.len(), 1, "one revision, once: {actions:#?}");
    assert_eq!((started[0].kind, started[0].key.as_str()), (ActionKind::RolloutStarted, "rs-4/started"));
    assert_eq!(started[0].at, at(10, 30), "the ReplicaSet's creation, not the restart");
    assert_eq!(actor(started[0]), Some("helm"));
    assert_eq!(started[0].details["previous_version"], "1.3.0");
}

#[test]
fn a_rollout_and_its_undo_while_spot_was_down_are_a_rollout_and_a_rollback_each_at_its_time() {
    let (mut d, mut sets) = checkout(3);
    let memory = remembered_at_nine(&everything(&d, &sets));

    // Down from 09:00: 1.4.0 at 10:30 by argocd, undone at 10:45.
    new_template(&mut d, &image(4), None, 4, "argocd-controller", at(10, 30));
    sets.push(replica_set(&d, "rs-4", 4, at(10, 30)));
    undone(&mut d, &mut sets[2], 5, "kubectl-rollout", at(10, 45));
    let actions = restarted(memory, &everything(&d, &sets));
    let revisions: Vec<(ActionKind, DateTime<Utc>, Option<&str>)> =
        actions.iter().filter(|a| a.kind.starts_a_revision()).map(|a| (a.kind, a.at, actor(a))).collect();
    assert_eq!(
        revisions,
        [
            (ActionKind::RolloutStarted, at(10, 30), Some("argocd-controller")),
            (ActionKind::Rollback, at(10, 45), Some("kubectl-rollout")),
        ]
    );
}

#[test]
fn a_deployment_created_while_spot_was_down_is_created_and_rolled_out_once() {
    let (d, sets) = checkout(2);
    let memory = remembered_at_nine(&everything(&d, &sets));
    let cart =
        with_version(deployment("shop", "cart", "d-cart", "registry.example.com/shop/cart:2.0.0", 2, at(10, 0)), 7);
    let cart_rs = replica_set(&cart, "rs-cart", 1, at(10, 0));
    let actions = restarted(memory, &[&d, &sets[0], &sets[1], &cart, &cart_rs]);
    let found: Vec<(ActionKind, DateTime<Utc>)> = actions.iter().map(|a| (a.kind, a.at)).collect();
    assert_eq!(found, [(ActionKind::Created, at(10, 0)), (ActionKind::RolloutStarted, at(10, 0))]);
}

// ----- 3. the actor of every rollout-kind action -----

#[test]
fn every_revision_names_the_manager_that_wrote_it_even_when_its_replica_set_comes_first() {
    let (mut d, mut sets) = checkout(1);
    let mut tracker = listed(&everything(&d, &sets), vec![], at(12, 0));
    tracker.take(at(12, 0));
    let mut revision = |d: &mut Value, sets: &mut Vec<Value>, n: u64, when: DateTime<Utc>| {
        next_version(d);
        let rs = replica_set(d, &format!("rs-{n}"), n, when);
        // The ReplicaSets' watch is ahead of the Deployments'.
        applied(&mut tracker, &rs, when);
        assert!(tracker.take(when).actions.iter().all(|a| !a.kind.starts_a_revision()), "waits for its Deployment");
        applied(&mut tracker, d, when);
        sets.push(rs);
        tracker.take(when).actions.into_iter().find(|a| a.kind.starts_a_revision()).expect("a revision")
    };

    new_template(&mut d, &image(2), None, 2, "kubectl-set", at(12, 5));
    let rollout = revision(&mut d, &mut sets, 2, at(12, 5));
    assert_eq!((rollout.kind, actor(&rollout)), (ActionKind::RolloutStarted, Some("kubectl-set")));

    d["spec"]["template"]["spec"]["containers"][0]["env"] = json!([{ "name": "LOG_LEVEL", "value": "debug" }]);
    let env = json!({ "f:spec": { "f:template": { "f:spec": { "f:containers": {
        "k:{\"name\":\"checkout\"}": { "f:env": { "k:{\"name\":\"LOG_LEVEL\"}": {} } } } } } } });
    written(&mut d, managed_fields("argocd-controller", None, at(12, 10), env));
    d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!("3");
    let config = revision(&mut d, &mut sets, 3, at(12, 10));
    assert_eq!((config.kind, actor(&config)), (ActionKind::ConfigChanged, Some("argocd-controller")));

    new_template(&mut d, &image(2), Some(at(12, 20)), 4, "kubectl-rollout", at(12, 20));
    let restart = revision(&mut d, &mut sets, 4, at(12, 20));
    assert_eq!((restart.kind, actor(&restart)), (ActionKind::Restart, Some("kubectl-rollout")));

    let mut old = sets[0].clone();
    undone(&mut d, &mut old, 5, "kubectl-rollout", at(12, 30));
    applied(&mut tracker, &old, at(12, 30));
    applied(&mut tracker, &d, at(12, 30));
    let rollback = tracker.take(at(12, 30)).actions.into_iter().find(|a| a.kind.starts_a_revision()).unwrap();
    assert_eq!((rollback.kind, actor(&rollback)), (ActionKind::Rollback, Some("kubectl-rollout")));
}

#[test]
fn a_rollback_a_re_list_finds_before_its_deployment_s_update_waits_for_its_writer() {
    let (mut d, mut sets) = checkout(3);
    let mut tracker = listed(&everything(&d, &sets), vec![], at(12, 0));
    tracker.take(at(12, 0));

    // After a 410 the ReplicaSets are listed again with the undo done; the
    // Deployment's watch has not delivered it yet.
    undone(&mut d, &mut sets[1], 4, "kubectl-rollout", at(12, 5));
    tracker.apply(Resource::ReplicaSets, Change::Init, at(12, 6));
    for rs in &sets {
        tracker.apply(Resource::ReplicaSets, Change::Listed(object(rs)), at(12, 6));
    }
    tracker.apply(Resource::ReplicaSets, Change::InitDone, at(12, 6));
    assert!(tracker.take(at(12, 6)).actions.is_empty(), "waits for the Deployment that names its writer");
    applied(&mut tracker, &d, at(12, 6));
    let back: Vec<Action> =
        tracker.take(at(12, 6)).actions.into_iter().filter(|a| a.kind.starts_a_revision()).collect();
    let found: Vec<(ActionKind, DateTime<Utc>, Option<&str>)> = back.iter().map(|a| (a.kind, a.at, actor(a))).collect();
    assert_eq!(found, [(ActionKind::Rollback, at(12, 5), Some("kubectl-rollout"))]);
}

#[test]
fn a_new_replica_set_whose_deployment_never_catches_up_is_recorded_all_the_same() {
    let (mut d, sets) = checkout(1);
    let mut tracker = listed(&everything(&d, &sets), vec![], at(12, 0));
    tracker.take(at(12, 0));
    new_template(&mut d, &image(2), None, 2, "helm", at(12, 5));
    applied(&mut tracker, &replica_set(&d, "rs-2", 2, at(12, 5)), at(12, 5));
    tracker.release_overdue(at(12, 5) + Duration::seconds(1));
    assert!(tracker.take(at(12, 5)).actions.is_empty(), "still waiting");
    tracker.release_overdue(at(12, 6));
    assert_eq!(kinds(&tracker.take(at(12, 6)).actions), [ActionKind::RolloutStarted]);
}

// ----- 4. warnings at the times their shape gives -----

/// A warning's kind, first and last occurrence, count and reporter.
type Counted<'a> = (ActionKind, DateTime<Utc>, DateTime<Utc>, u64, Option<&'a str>);

#[test]
fn warnings_present_at_first_connection_begin_at_their_first_occurrence() {
    let (d, sets) = checkout(2);
    let pod = format!("{}-x2k4q", sets[1]["metadata"]["name"].as_str().unwrap());
    let first = at(9, 0) + Duration::seconds(5);
    let crash = ("BackOff", "Back-off restarting failed container checkout in pod");
    let kubelet = kubelet_warning("shop", "ev-1", &pod, crash, 25, first, at(9, 40));
    let scheduler =
        scheduler_warning("shop", "ev-2", &pod, "0/3 nodes are available: 3 Insufficient cpu.", 7, at(9, 2), at(9, 12));
    let mut tracker = listed(&[&d, &sets[0], &sets[1], &kubelet, &scheduler], vec![], at(10, 0));
    let mut actions = tracker.take(at(10, 0)).actions;
    actions.sort_by_key(|a| a.at);
    let found: Vec<Counted> = actions.iter().map(|a| (a.kind, a.at, a.last_at, a.count, actor(a))).collect();
    assert_eq!(
        found,
        [
            (ActionKind::CrashLoop, first, at(9, 40), 25, Some("kubelet")),
            (ActionKind::FailedScheduling, at(9, 2), at(9, 12), 7, Some("default-scheduler")),
        ]
    );

    // It goes on: five more by 10:02, counted in the window they fell in.
    let mut again = kubelet_warning("shop", "ev-1", &pod, crash, 30, first, at(10, 2));
    next_version(&mut again);
    applied(&mut tracker, &again, at(10, 2));
    let more = tracker.take(at(10, 2)).actions;
    assert_eq!(
        more.iter().map(|a| (a.kind, a.at, a.count)).collect::<Vec<_>>(),
        [(ActionKind::CrashLoop, at(10, 2), 5)]
    );
}
