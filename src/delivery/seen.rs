//! A service's deploys as four sources saw them, and the rules that merge
//! them into one history (docs/api.md, `deployHistory`):
//!
//! - `snapshot:<collector>`: a workload's version changed between two
//!   daily snapshots (the later day's start);
//! - `rollout:<collector>`: a ReplicaSet a Deployment keeps, with its exact
//!   creation time, as far back as the cluster keeps revisions;
//! - `watch:kubernetes`: a revision a Kubernetes watch saw start (exact
//!   time, with the actor);
//! - `orchestrator`: the deploy events the orchestrator pushes.
//!
//! The API reads the store and hands what it read to these functions; what
//! counts as a deploy, which source stands for which, and what is a
//! rollback are decided here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::judging::lower_version;
use crate::model::{Action, ActionKind, ChangePoint, Day, DeployEvent, Fact};

/// One deploy as one source saw it: the event (only the orchestrator's
/// carries link, status, reason and commits), who saw it, and whether it
/// went back to a lower version.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seen {
    pub event: DeployEvent,
    /// `orchestrator`, `watch:kubernetes`, `rollout:<collector>` or
    /// `snapshot:<collector>`.
    pub source: String,
    pub rollback: bool,
}

impl Seen {
    /// A pushed deploy event, as the orchestrator reported it.
    pub fn reported(event: DeployEvent) -> Seen {
        Seen { event, source: "orchestrator".into(), rollback: false }
    }

    /// A deploy a snapshot, a rollout or a watch saw `workload` make.
    fn observed(
        (service, workload): (&str, &str),
        cluster: &str,
        version: String,
        at: DateTime<Utc>,
        source: String,
    ) -> Seen {
        let event = DeployEvent {
            service: service.to_string(),
            workload: Some(workload.to_string()),
            cluster: cluster.to_string(),
            version,
            at,
            ..DeployEvent::default()
        };
        Seen { event, source, rollback: false }
    }
}

/// The version changes of one of `service`'s workloads (its `version`
/// timeline) that start within `[from, to]`, in `cluster` when given, as
/// snapshot deploys. The cluster is the scope of the workload's facts.
pub fn snapshot_deploys(
    service: &str,
    workload: &str,
    points: Vec<ChangePoint>,
    cluster: Option<&str>,
    (from, to): (Day, Day),
) -> Vec<Seen> {
    points
        .into_iter()
        .filter(|point| point.from >= from && point.from <= to && cluster.is_none_or(|c| c == point.scope))
        .filter_map(|point| {
            let version = point.value.as_str()?.to_string();
            let source = format!("snapshot:{}", point.source);
            Some(Seen::observed((service, workload), &point.scope, version, point.from.start(), source))
        })
        .collect()
}

/// The rollouts recorded on one of `service`'s workloads (each fact's
/// `rollouts`: revision, version, creation time) that started within
/// `[from, to]`, in `cluster` when given. The workload's latest state in
/// the range knows every earlier revision too.
pub fn rollout_deploys(
    service: &str,
    workload: &str,
    facts: &[Fact],
    cluster: Option<&str>,
    (from, to): (Day, Day),
) -> Vec<Seen> {
    let mut deploys = Vec::new();
    for fact in facts.iter().filter(|f| cluster.is_none_or(|c| c == f.scope)) {
        for (version, at) in rollouts(&fact.attrs) {
            let day = Day::of(at);
            if day >= from && day <= to {
                let source = format!("rollout:{}", fact.source);
                deploys.push(Seen::observed((service, workload), &fact.scope, version, at, source));
            }
        }
    }
    deploys
}

/// When the version running in a cluster was rolled out, if a rollout of
/// it is recorded on the workload's fact there.
pub fn rolled_out_at(attrs: &Map<String, Value>, version: &str) -> Option<DateTime<Utc>> {
    rollouts(attrs).filter(|(v, _)| v == version).map(|(_, at)| at).max()
}

/// The (version, creation time) of each ReplicaSet on a fact's `rollouts`
/// that says both.
fn rollouts(attrs: &Map<String, Value>) -> impl Iterator<Item = (String, DateTime<Utc>)> + '_ {
    attrs.get("rollouts").and_then(Value::as_array).into_iter().flatten().filter_map(|rollout| {
        let version = rollout.get("version")?.as_str()?.to_string();
        let created = rollout.get("created")?.as_str()?;
        let at = DateTime::parse_from_rfc3339(created).ok()?.with_timezone(&Utc);
        Some((version, at))
    })
}

/// A new revision a watch saw start, as a deploy (`watch:kubernetes`),
/// when the action says which version and whose service it is.
pub fn watched(action: &Action) -> Option<Seen> {
    if !matches!(action.kind, ActionKind::RolloutStarted | ActionKind::Rollback) {
        return None;
    }
    let version = action.details.get("version")?.as_str()?.to_string();
    let service = action.service.as_deref()?;
    let at = action.at;
    let mut seen = Seen::observed((service, &action.workload), &action.cluster, version, at, "watch:kubernetes".into());
    seen.event.actor = action.actor.clone();
    seen.rollback = action.kind == ActionKind::Rollback;
    Some(seen)
}

/// Whether `exact` (an event or a rollout) is the deploy `seen` reports:
/// same cluster and version, seen that day or the next.
fn same_deploy(exact: &Seen, seen: &Seen) -> bool {
    let (exact_day, seen_day) = (Day::of(exact.event.at), Day::of(seen.event.at));
    exact.event.cluster == seen.event.cluster
        && exact.event.version == seen.event.version
        && (seen_day == exact_day || seen_day == exact_day.plus(1))
}

/// What each source saw of one service, before merging.
#[derive(Debug, Default)]
pub struct Sightings {
    pub snapshots: Vec<Seen>,
    pub rollouts: Vec<Seen>,
    pub watched: Vec<Seen>,
    pub events: Vec<Seen>,
}

/// Merges the sources into one history, oldest first. A watch's sighting
/// stands for the ReplicaSet rollout of the same start (it has the actor,
/// and stays once the ReplicaSet is gone); an orchestrator event (with its
/// link and actor) supersedes the rollout and the snapshot that saw the
/// same deploy; a rollout (exact time) supersedes the snapshot. Rollbacks
/// are deploys of a lower version than the one before them in that cluster.
pub fn merge(sightings: Sightings) -> Vec<Seen> {
    let Sightings { mut snapshots, mut rollouts, watched, events } = sightings;
    rollouts.retain(|r| {
        !watched.iter().any(|w| {
            w.event.cluster == r.event.cluster && w.event.version == r.event.version && w.event.at == r.event.at
        })
    });
    rollouts.extend(watched);
    rollouts.retain(|r| !events.iter().any(|e| same_deploy(e, r) || same_deploy(r, e)));
    snapshots.retain(|s| !events.iter().chain(&rollouts).any(|exact| same_deploy(exact, s)));
    let mut all: Vec<Seen> = snapshots.into_iter().chain(rollouts).chain(events).collect();
    let order = |d: &Seen| {
        let e = &d.event;
        (e.at, e.cluster.clone(), d.source.clone(), e.version.clone(), e.workload.clone())
    };
    all.sort_by_key(order);
    // The same row twice (one workload seen by two sources' scopes alike):
    // once is enough.
    all.dedup_by(|a, b| order(a) == order(b));
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    for deploy in all.iter_mut() {
        if let Some(previous) = last.get(&deploy.event.cluster) {
            deploy.rollback = deploy.rollback || lower_version(&deploy.event.version, previous);
        }
        last.insert(deploy.event.cluster.clone(), deploy.event.version.clone());
    }
    all
}

/// The version one cluster ran on a day, and since when as `source` saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Running {
    pub cluster: String,
    pub version: String,
    pub since: DateTime<Utc>,
    pub source: String,
}

/// What one of the service's workloads says of `day`: its `version`
/// timeline up to the day, and its facts that day (for rollout times).
pub struct WorkloadOnDay<'a> {
    pub points: Vec<ChangePoint>,
    pub facts: &'a [Fact],
}

/// The version each cluster ran on `day`: the snapshot's (since the
/// rollout of that version, when one is recorded, else the snapshot's
/// day), unless the orchestrator reported a deploy there since.
pub fn running_on(day: Day, workloads: Vec<WorkloadOnDay<'_>>, events: Vec<DeployEvent>) -> Vec<Running> {
    let mut by_cluster: BTreeMap<String, Running> = BTreeMap::new();
    for workload in workloads {
        for point in workload.points.into_iter().filter(|p| p.from <= day && p.to > day) {
            let Some(version) = point.value.as_str() else { continue };
            let rolled_out = workload
                .facts
                .iter()
                .find(|f| f.scope == point.scope && f.source == point.source)
                .and_then(|fact| rolled_out_at(&fact.attrs, version))
                .filter(|at| Day::of(*at) <= day);
            let (since, source) = match rolled_out {
                Some(at) => (at, format!("rollout:{}", point.source)),
                None => (point.from.start(), format!("snapshot:{}", point.source)),
            };
            let running = Running { cluster: point.scope.clone(), version: version.to_string(), since, source };
            by_cluster.insert(point.scope, running);
        }
    }
    // Deploys pushed after the snapshot saw the cluster are newer news.
    for event in events {
        if by_cluster.get(&event.cluster).is_none_or(|seen| event.at >= seen.since) {
            let running = Running {
                cluster: event.cluster.clone(),
                version: event.version,
                since: event.at,
                source: "orchestrator".into(),
            };
            by_cluster.insert(event.cluster, running);
        }
    }
    by_cluster.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seen(cluster: &str, version: &str, day: i32, hour: u32, source: &str) -> Seen {
        let at = Day(day).start() + chrono::Duration::hours(hour as i64);
        Seen::observed(("service:a", "workload:a"), cluster, version.into(), at, source.into())
    }

    /// Each merged deploy as "version source", and " rollback" when one.
    fn merged(sightings: Sightings) -> Vec<String> {
        let words = |d: Seen| format!("{} {}{}", d.event.version, d.source, if d.rollback { " rollback" } else { "" });
        merge(sightings).into_iter().map(words).collect()
    }

    #[test]
    fn an_event_supersedes_the_snapshot_that_saw_it_and_rollbacks_are_marked() {
        let sightings = Sightings {
            snapshots: vec![
                seen("dc1", "1.1.0", 11, 0, "snapshot:kubernetes"),
                seen("dc1", "1.0.9", 15, 0, "snapshot:kubernetes"),
            ],
            events: vec![seen("dc1", "1.1.0", 10, 14, "orchestrator")],
            ..Sightings::default()
        };
        assert_eq!(merged(sightings), ["1.1.0 orchestrator", "1.0.9 snapshot:kubernetes rollback"]);
    }

    #[test]
    fn a_rollout_gives_the_exact_time_and_an_event_the_link() {
        let sightings = Sightings {
            snapshots: vec![
                seen("dc1", "1.1.0", 11, 0, "snapshot:kubernetes"),
                seen("dc1", "1.2.0", 13, 0, "snapshot:kubernetes"),
            ],
            rollouts: vec![
                seen("dc1", "1.0.0", 2, 9, "rollout:kubernetes"),
                seen("dc1", "1.1.0", 10, 17, "rollout:kubernetes"),
                seen("dc1", "1.2.0", 12, 11, "rollout:kubernetes"),
            ],
            events: vec![seen("dc1", "1.2.0", 12, 11, "orchestrator")],
            ..Sightings::default()
        };
        assert_eq!(
            merged(sightings),
            ["1.0.0 rollout:kubernetes", "1.1.0 rollout:kubernetes", "1.2.0 orchestrator"],
            "a rollout from before SPoT ran, a rollout instead of its snapshot, an event instead of both"
        );
    }

    #[test]
    fn a_watch_stands_for_the_rollout_it_saw_start() {
        let sightings = Sightings {
            rollouts: vec![seen("dc1", "2.0.0", 5, 8, "rollout:kubernetes")],
            watched: vec![seen("dc1", "2.0.0", 5, 8, "watch:kubernetes")],
            ..Sightings::default()
        };
        assert_eq!(merged(sightings), ["2.0.0 watch:kubernetes"]);
    }

    #[test]
    fn the_latest_rollout_of_the_running_version_says_since_when() {
        let attrs = json!({ "rollouts": [
            { "revision": 3, "version": "1.2.0", "created": "2026-11-01T10:00:00Z" },
            { "revision": 4, "version": "1.3.0", "created": "2026-11-05T09:30:00Z" },
            { "revision": 5, "version": "1.2.0", "created": "2026-11-06T16:45:00Z" },
            { "revision": 6, "version": null, "created": "2026-11-07T16:45:00Z" }
        ]});
        let attrs = attrs.as_object().unwrap();
        assert_eq!(rolled_out_at(attrs, "1.2.0").unwrap().to_rfc3339(), "2026-11-06T16:45:00+00:00");
        assert_eq!(rolled_out_at(attrs, "9.9.9"), None);
    }
}
