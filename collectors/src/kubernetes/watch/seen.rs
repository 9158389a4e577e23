//! A workload or ReplicaSet object as the watch compares it: the few
//! fields whose change is an action, read from any of the kinds.

use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use super::actor::Managers;
use crate::kubernetes::model::{Container, Rules, Workload, WorkloadId};
use crate::kubernetes::read::workloads::{read_daemon_set, read_deployment, read_stateful_set};
use crate::kubernetes::version::version_of;

/// `kubectl rollout restart` writes this on the pod template.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";
/// The label a Deployment's controller adds to each ReplicaSet's template.
const POD_TEMPLATE_HASH: &str = "pod-template-hash";

/// A pod template as the watch tells revisions apart.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Template {
    /// A hash of the template without `restartedAt` and the controller's
    /// `pod-template-hash`: equal for the same configuration.
    pub fingerprint: String,
    pub images: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restarted_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl Template {
    pub fn read(template: Option<&PodTemplateSpec>, version: Option<String>) -> Template {
        let Some(template) = template else { return Template::default() };
        let mut bare = template.clone();
        let mut restarted_at = None;
        if let Some(meta) = bare.metadata.as_mut() {
            if let Some(labels) = meta.labels.as_mut() {
                labels.remove(POD_TEMPLATE_HASH);
            }
            if let Some(annotations) = meta.annotations.as_mut() {
                restarted_at = annotations.remove(RESTARTED_AT);
            }
            // No map and an empty one are the same template.
            meta.labels.take_if(|labels| labels.is_empty());
            meta.annotations.take_if(|annotations| annotations.is_empty());
        }
        let text = serde_json::to_string(&bare).unwrap_or_default();
        let images = template
            .spec
            .as_ref()
            .map(|s| s.containers.iter().filter_map(|c| c.image.clone()).collect())
            .unwrap_or_default();
        Template { fingerprint: format!("{:016x}", xxh3_64(text.as_bytes())), images, restarted_at, version }
    }

    /// Same configuration, but restarted.
    pub fn only_restarted(&self, before: &Template) -> bool {
        self.fingerprint == before.fingerprint && self.restarted_at != before.restarted_at
    }
}

/// How far a workload's rollout is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rollout {
    #[default]
    Complete,
    Progressing,
    /// `ProgressDeadlineExceeded` (Deployments only).
    Stalled,
}

/// One Deployment, StatefulSet or DaemonSet, read for the watch.
#[derive(Debug, Clone)]
pub struct SeenWorkload {
    pub uid: String,
    pub id: WorkloadId,
    pub service: Option<String>,
    pub resource_version: String,
    pub generation: i64,
    pub created: Option<DateTime<Utc>>,
    pub deleting: Option<DateTime<Utc>>,
    /// Desired replicas (a DaemonSet: pods it should schedule).
    pub replicas: i64,
    pub paused: bool,
    pub template: Template,
    /// A Deployment's revision (its controller's annotation).
    pub revision: Option<u64>,
    /// Replicas of the current revision.
    pub updated: i64,
    pub rollout: Rollout,
    pub managers: Managers,
}

impl SeenWorkload {
    /// `<kind>/<generation or revision>`: which rollout a completion or a
    /// stall belongs to, stable however often the object is read.
    pub fn rollout_marker(&self) -> String {
        match self.revision {
            Some(revision) => format!("rev{revision}"),
            None => format!("gen{}", self.generation),
        }
    }
}

pub fn deployment(d: &Deployment, rules: &Rules) -> Result<SeenWorkload, String> {
    let w = read_deployment(d, rules)?;
    let spec = d.spec.as_ref();
    let status = d.status.as_ref();
    let stalled = status.and_then(|s| s.conditions.as_ref()).is_some_and(|conditions| {
        conditions.iter().any(|c| {
            c.type_ == "Progressing" && c.status == "False" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
        })
    });
    let observed = status.and_then(|s| s.observed_generation).unwrap_or(0) >= d.metadata.generation.unwrap_or(0);
    let replicas = w.replicas.unwrap_or_default();
    let done = observed
        && replicas.updated >= replicas.desired
        && replicas.available >= replicas.desired
        && status.and_then(|s| s.replicas).map_or(0, i64::from) <= replicas.desired;
    let rollout = if stalled {
        Rollout::Stalled
    } else if done {
        Rollout::Complete
    } else {
        Rollout::Progressing
    };
    Ok(seen(&d.metadata, w, spec.map(|s| &s.template), spec.and_then(|s| s.paused).unwrap_or(false), rollout))
}

pub fn stateful_set(s: &StatefulSet, rules: &Rules) -> Result<SeenWorkload, String> {
    let w = read_stateful_set(s, rules)?;
    let status = s.status.as_ref();
    let replicas = w.replicas.unwrap_or_default();
    let observed = status.and_then(|s| s.observed_generation).unwrap_or(0) >= s.metadata.generation.unwrap_or(0);
    let same_revision =
        status.is_none_or(|st| st.update_revision.is_none() || st.current_revision == st.update_revision);
    let done = observed && same_revision && replicas.updated >= replicas.desired && replicas.ready >= replicas.desired;
    let rollout = if done { Rollout::Complete } else { Rollout::Progressing };
    Ok(seen(&s.metadata, w, s.spec.as_ref().map(|s| &s.template), false, rollout))
}

pub fn daemon_set(d: &DaemonSet, rules: &Rules) -> Result<SeenWorkload, String> {
    let w = read_daemon_set(d, rules)?;
    let status = d.status.as_ref();
    let replicas = w.replicas.unwrap_or_default();
    let observed = status.and_then(|s| s.observed_generation).unwrap_or(0) >= d.metadata.generation.unwrap_or(0);
    let done = observed && replicas.updated >= replicas.desired && replicas.available >= replicas.desired;
    let rollout = if done { Rollout::Complete } else { Rollout::Progressing };
    Ok(seen(&d.metadata, w, d.spec.as_ref().map(|s| &s.template), false, rollout))
}

fn seen(
    meta: &ObjectMeta,
    w: Workload,
    template: Option<&PodTemplateSpec>,
    paused: bool,
    rollout: Rollout,
) -> SeenWorkload {
    let version = main_version(&w);
    let replicas = w.replicas.unwrap_or_default();
    SeenWorkload {
        uid: meta.uid.clone().unwrap_or_default(),
        service: w.service.as_ref().map(|s| s.name.clone()),
        id: w.id,
        resource_version: meta.resource_version.clone().unwrap_or_default(),
        generation: meta.generation.unwrap_or(0),
        created: meta.creation_timestamp.as_ref().map(|t| t.0),
        deleting: meta.deletion_timestamp.as_ref().map(|t| t.0),
        replicas: replicas.desired,
        paused,
        template: Template::read(template, version),
        revision: w.revision,
        updated: replicas.updated,
        rollout,
        managers: Managers::read(meta),
    }
}

fn main_version(w: &Workload) -> Option<String> {
    let main = w.main.and_then(|i| w.containers.get(i))?;
    Some(version_of(main, None))
}

/// One ReplicaSet of a Deployment: a revision of it.
#[derive(Debug, Clone)]
pub struct SeenReplicaSet {
    pub uid: String,
    pub namespace: String,
    pub name: String,
    /// The Deployment it belongs to (its uid), if any.
    pub owner: Option<String>,
    pub revision: Option<u64>,
    pub created: Option<DateTime<Utc>>,
    pub template: Template,
    /// Pods it is asked for (`spec.replicas`; none said: 0). An older
    /// ReplicaSet still asked for pods is one a rollout has not yet
    /// scaled down.
    pub replicas: i64,
}

pub fn replica_set(rs: &ReplicaSet) -> Option<SeenReplicaSet> {
    let meta = &rs.metadata;
    let owner = meta
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.kind == "Deployment" && o.controller.unwrap_or(false))
        .map(|o| o.uid.clone());
    let revision = meta
        .annotations
        .as_ref()
        .and_then(|a| a.get(crate::kubernetes::read::meta::REVISION))
        .and_then(|r| r.trim().parse().ok());
    let template = rs.spec.as_ref().and_then(|s| s.template.as_ref());
    let version = template
        .and_then(|t| t.spec.as_ref())
        .and_then(|s| s.containers.first())
        .map(|c| version_of(&Container::new(&c.name, c.image.as_deref().unwrap_or_default()), None));
    Some(SeenReplicaSet {
        uid: meta.uid.clone()?,
        namespace: meta.namespace.clone()?,
        name: meta.name.clone()?,
        owner,
        revision,
        created: meta.creation_timestamp.as_ref().map(|t| t.0),
        template: Template::read(template, version),
        replicas: rs.spec.as_ref().and_then(|s| s.replicas).map_or(0, i64::from),
    })
}
