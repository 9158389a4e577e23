//! What a Kubernetes watch on the synthetic organisation's clusters would
//! record between snapshots (docs/collectors/kubernetes.md): each deploy's
//! rollout (started, then completed; stalled or crash-looping when it
//! failed; the rollback after it), and round the clock, every fifteen
//! minutes, an autoscaler scaling one workload or, once an hour, a
//! workload's pods crash-looping.
//!
//! Deterministic: derived from the day's deploys and the day's number,
//! never from a random stream or the clock, so the snapshots and deploys
//! are the same with and without it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};

use super::deliveries::SyntheticDeploy;
use super::Org;
use crate::action::{Action, ActionKind};

/// Round-the-clock actions: one every fifteen minutes.
const SLOTS: i64 = 96;

/// The watch's actions of the organisation's current day.
pub fn actions(org: &Org, deploys: &[SyntheticDeploy]) -> Vec<Action> {
    let mut actions = rollouts(org, deploys);
    actions.extend(round_the_clock(org));
    actions
}

/// Where a workload runs and which service it belongs to.
struct Place<'a> {
    cluster: &'a str,
    namespace: &'a str,
    service: &'a str,
}

fn place<'a>(org: &'a Org, workload: &'a super::Workload) -> Place<'a> {
    Place {
        cluster: &org.clusters[workload.cluster].name,
        namespace: &workload.namespace,
        service: &org.services[workload.service].key,
    }
}

/// One action on `workload` (its key) at `at`.
fn action(workload: &str, place: &Place, kind: ActionKind, at: DateTime<Utc>, details: Value) -> Action {
    Action {
        key: format!("synthetic/{workload}/{kind}/{}", at.timestamp()),
        cluster: place.cluster.to_string(),
        namespace: place.namespace.to_string(),
        workload: workload.to_string(),
        service: Some(place.service.to_string()),
        kind,
        at,
        last_at: at,
        count: 1,
        actor: None,
        details: match details {
            Value::Object(map) => map,
            _ => Map::new(),
        },
    }
}

/// Each deploy as the watch sees it: the new revision, then how it ended.
fn rollouts(org: &Org, deploys: &[SyntheticDeploy]) -> Vec<Action> {
    let by_key: HashMap<&str, &super::Workload> = org.workloads.iter().map(|w| (w.key.as_str(), w)).collect();
    let mut failed: HashSet<&str> = HashSet::new();
    let mut revisions: HashMap<&str, i64> = HashMap::new();
    let mut actions = Vec::with_capacity(deploys.len() * 2);
    for deploy in deploys {
        let Some(workload) = by_key.get(deploy.workload.as_str()) else { continue };
        let place = Place { cluster: &deploy.cluster, namespace: &workload.namespace, service: &deploy.service };
        let revision = revisions.entry(deploy.workload.as_str()).or_insert(i64::from(org.day.0 - org.start.0) * 4);
        *revision += 1;
        let rollout = format!("rev{revision}");
        let replicas = workload.replicas.max(1);
        let progress = json!({ "updated": replicas, "desired": replicas, "rollout": rollout });
        let start_kind =
            if failed.remove(deploy.workload.as_str()) { ActionKind::Rollback } else { ActionKind::RolloutStarted };
        let started = json!({ "version": deploy.version, "revision": *revision });
        actions.push(Action {
            actor: Some("argocd-controller".into()),
            ..action(&deploy.workload, &place, start_kind, deploy.at, started)
        });
        match deploy.failure.as_deref() {
            None => actions.push(action(
                &deploy.workload,
                &place,
                ActionKind::RolloutCompleted,
                deploy.finished_at,
                progress,
            )),
            Some(reason) => {
                failed.insert(deploy.workload.as_str());
                actions.push(if reason.starts_with("CrashLoopBackOff") {
                    crash_loop(&deploy.workload, &place, deploy.at + Duration::minutes(1), deploy.finished_at, 8)
                } else {
                    let stalled = json!({ "updated": 1, "desired": replicas, "rollout": rollout });
                    action(&deploy.workload, &place, ActionKind::RolloutStalled, deploy.finished_at, stalled)
                });
            }
        }
    }
    actions
}

/// A warning counted `count` times from `at` to `last_at`.
fn crash_loop(workload: &str, place: &Place, at: DateTime<Utc>, last_at: DateTime<Utc>, count: u64) -> Action {
    let pod = format!("{}-{:x}", workload.rsplit('/').next().unwrap_or(workload), at.timestamp() % 0xfffff);
    let details = json!({ "reason": "BackOff", "message": "Back-off restarting failed container", "object": pod });
    Action { last_at, count, ..action(workload, place, ActionKind::CrashLoop, at, details) }
}

/// Every fifteen minutes of the day, one workload of one cluster (the
/// clusters in turn, so each has one an hour; the workload picked by the
/// day and the slot) is scaled by its autoscaler or, in one slot of each
/// four, crash-loops for a few minutes.
fn round_the_clock(org: &Org) -> Vec<Action> {
    let clusters = org.clusters.len().max(1);
    let live: Vec<Vec<&super::Workload>> =
        (0..clusters).map(|c| org.workloads.iter().filter(|w| !w.removed && w.cluster == c).collect()).collect();
    let midnight = org.day.start();
    (0..SLOTS)
        .filter_map(|slot| {
            let mix = (i64::from(org.day.0) * SLOTS + slot) as u64;
            let pick = (mix.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33) as usize;
            let in_cluster = &live[slot as usize % clusters];
            let workload = *in_cluster.get(pick % in_cluster.len().max(1))?;
            let place = place(org, workload);
            let at = midnight + Duration::minutes(slot * 15 + (pick % 13) as i64);
            Some(if (slot / clusters as i64) % 4 == 3 {
                crash_loop(
                    &workload.key,
                    &place,
                    at,
                    at + Duration::minutes(4 + (pick % 9) as i64),
                    3 + (pick % 17) as u64,
                )
            } else {
                let from = workload.replicas.max(1);
                let to = if slot % 2 == 0 { from + 1 + (pick % 3) as u32 } else { from.saturating_sub(1).max(1) };
                let details = json!({ "from": from, "to": to, "by": "autoscaler" });
                Action {
                    actor: Some("kube-controller-manager".into()),
                    ..action(&workload.key, &place, ActionKind::Scale, at, details)
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::SyntheticConfig;
    use crate::Day;

    fn org_on_its_second_day() -> (Org, Vec<SyntheticDeploy>) {
        let mut org = Org::new(&SyntheticConfig { failure_per_mille: 0, ..SyntheticConfig::new(1, 7, Day(20_000)) });
        org.advance();
        let deploys = org.deploys();
        (org, deploys)
    }

    #[test]
    fn every_deploy_starts_a_revision_and_the_day_has_scales_and_crash_loops() {
        let (org, deploys) = org_on_its_second_day();
        let actions = actions(&org, &deploys);
        let count = |kind: ActionKind| actions.iter().filter(|a| a.kind == kind).count();
        let started = count(ActionKind::RolloutStarted) + count(ActionKind::Rollback);
        assert_eq!(started, deploys.len(), "one revision per deploy");
        assert_eq!(count(ActionKind::Scale), 72, "three of every four slots");
        assert!(count(ActionKind::CrashLoop) >= 24, "24 slots, and failed rollouts");
        let day = org.day();
        assert!(actions.iter().all(|a| a.at >= day.start() && a.at < day.plus(1).start() + Duration::hours(6)));
        let keys: HashSet<&str> = actions.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys.len(), actions.len(), "each action has its own key");
        for cluster in &org.clusters {
            for hour in 0..24 {
                let from = day.start() + Duration::hours(hour);
                let in_hour =
                    |a: &&Action| a.cluster == cluster.name && a.at >= from && a.at < from + Duration::hours(1);
                assert!(actions.iter().any(|a| in_hour(&a)), "{} has an action in hour {hour}", cluster.name);
            }
        }
    }

    #[test]
    fn the_same_day_gives_the_same_actions() {
        let (first, deploys) = org_on_its_second_day();
        let (second, again) = org_on_its_second_day();
        assert_eq!(actions(&first, &deploys), actions(&second, &again));
    }
}
