//! How far a workload's rollout got, decided as `kubectl rollout status`
//! decides it, and a Deployment's rollout history from its ReplicaSets.

use std::collections::BTreeSet;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};

use super::meta::{count, named, revision_of, time, DEFAULT_CONTAINER};
use super::ReadError;
use crate::kubernetes::model::{Container, Replicas, Rollout};
use crate::kubernetes::version::{main_container, version_of};

/// Rollouts kept per Deployment, the most recent ones.
pub const MAX_ROLLOUTS: usize = 50;

/// As `kubectl rollout status` decides: failed when the progress deadline
/// passed, progressing while the controller has not caught up or old
/// replicas remain, complete otherwise.
pub fn deployment_rollout_status(d: &Deployment) -> &'static str {
    let Some(status) = d.status.as_ref() else { return "progressing" };
    let spec = d.spec.as_ref();
    if spec.and_then(|s| s.paused) == Some(true) {
        return "paused";
    }
    let deadline_exceeded = status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded"));
    if deadline_exceeded {
        return "failed";
    }
    let generation = d.metadata.generation.unwrap_or(0);
    let desired = count(spec.and_then(|s| s.replicas).or(Some(1)));
    let updated = count(status.updated_replicas);
    let behind = status.observed_generation.unwrap_or(0) < generation
        || updated < desired
        || count(status.replicas) > updated
        || count(status.available_replicas) < updated;
    if behind {
        "progressing"
    } else {
        "complete"
    }
}

/// As `kubectl rollout status` decides for a StatefulSet: complete once
/// the controller has seen the spec, the update revision is the current
/// one, and every desired replica is updated and ready.
pub fn stateful_set_rollout_status(s: &StatefulSet, replicas: Replicas) -> &'static str {
    let caught_up = s.status.as_ref().is_some_and(|st| {
        st.observed_generation.unwrap_or(0) >= s.metadata.generation.unwrap_or(0)
            && (st.update_revision.is_none() || st.update_revision == st.current_revision)
    });
    if caught_up && replicas.updated >= replicas.desired && replicas.ready >= replicas.desired {
        "complete"
    } else {
        "progressing"
    }
}

/// As `kubectl rollout status` decides for a DaemonSet: complete once the
/// controller has seen the spec and every desired pod is updated and
/// available.
pub fn daemon_set_rollout_status(d: &DaemonSet, replicas: Replicas) -> &'static str {
    let caught_up =
        d.status.as_ref().is_some_and(|st| st.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0));
    if caught_up && replicas.updated >= replicas.desired && replicas.available >= replicas.desired {
        "complete"
    } else {
        "progressing"
    }
}

/// What a ReplicaSet tells: which Deployment owns it, and the rollout it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaSetReading {
    pub namespace: String,
    pub name: String,
    /// The owning Deployment's name and uid.
    pub deployment: Option<(String, String)>,
    pub revision: Option<u64>,
    pub created: Option<String>,
    pub containers: Vec<Container>,
    pub default_container: Option<String>,
}

pub fn read_replica_set(rs: &ReplicaSet) -> Result<ReplicaSetReading, ReadError> {
    let (namespace, name) = named(&rs.metadata, "ReplicaSet")?;
    let deployment = rs
        .metadata
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true) && o.kind == "Deployment")
        .map(|o| (o.name.clone(), o.uid.clone()));
    let template = rs.spec.as_ref().and_then(|s| s.template.as_ref());
    let containers = template
        .and_then(|t| t.spec.as_ref())
        .map(|s| s.containers.iter().map(|c| Container::read(c, false)).collect())
        .unwrap_or_default();
    let default_container = template
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get(DEFAULT_CONTAINER))
        .cloned();
    Ok(ReplicaSetReading {
        namespace,
        name,
        deployment,
        revision: revision_of(&rs.metadata),
        created: time(&rs.metadata.creation_timestamp),
        containers,
        default_container,
    })
}

/// The rollout a ReplicaSet was, its version read like its Deployment's.
pub fn rollout_of(rs: &ReplicaSetReading, service: Option<&str>, sidecars: &BTreeSet<String>) -> Option<Rollout> {
    let revision = rs.revision?;
    let main = main_container(&rs.containers, rs.default_container.as_deref(), service, sidecars)
        .and_then(|i| rs.containers.get(i));
    Some(Rollout {
        revision,
        version: main.map(|c| version_of(c, None)),
        image: main.map(|c| c.image.clone()),
        created: rs.created.clone(),
    })
}

/// Keeps the most recent rollouts, oldest first.
pub fn bound_rollouts(rollouts: &mut Vec<Rollout>) {
    rollouts.sort_by_key(|r| r.revision);
    rollouts.dedup_by_key(|r| r.revision);
    if rollouts.len() > MAX_ROLLOUTS {
        rollouts.drain(..rollouts.len() - MAX_ROLLOUTS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubernetes::testing::{recorded, rules};

    #[test]
    fn rollouts_are_sorted_deduplicated_and_bounded() {
        let mut rollouts: Vec<Rollout> = (1..=60)
            .rev()
            .chain([7])
            .map(|revision| Rollout { revision, version: None, image: None, created: None })
            .collect();
        bound_rollouts(&mut rollouts);
        let revisions: Vec<u64> = rollouts.iter().map(|r| r.revision).collect();
        assert_eq!(revisions, (11..=60).collect::<Vec<_>>());
    }

    #[test]
    fn a_recorded_replica_set_is_a_rollout_of_its_deployment() {
        let rs: ReplicaSet = recorded(include_str!("../../../tests/fixtures/kubernetes/rs.json"));
        let reading = read_replica_set(&rs).unwrap();
        assert_eq!(reading.deployment, Some(("icx-db".into(), "6f6143bc-a5f3-11e9-990f-42010a800218".into())));
        assert_eq!(
            rollout_of(&reading, Some("icx-db"), &rules().sidecars),
            Some(Rollout {
                revision: 1,
                version: Some("9.2-alpine".into()),
                image: Some("postgres:9.2-alpine".into()),
                created: Some("2019-07-14T04:54:17Z".into()),
            })
        );
    }

    #[test]
    fn rollout_status_follows_kubectl() {
        let mut d: Deployment = recorded(include_str!("../../../tests/fixtures/kubernetes/dp.json"));
        assert_eq!(deployment_rollout_status(&d), "complete");
        d.metadata.generation = Some(2);
        assert_eq!(deployment_rollout_status(&d), "progressing", "the controller has not seen the change yet");
        d.metadata.generation = Some(1);
        if let Some(status) = d.status.as_mut() {
            status.replicas = Some(2);
        }
        assert_eq!(deployment_rollout_status(&d), "progressing", "an old replica is still there");
        if let Some(spec) = d.spec.as_mut() {
            spec.paused = Some(true);
        }
        assert_eq!(deployment_rollout_status(&d), "paused");
        d.status = None;
        assert_eq!(deployment_rollout_status(&d), "progressing");
    }
}
