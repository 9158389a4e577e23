//! From Kubernetes objects to compact readings, and from readings to SPoT's
//! entities and relations. Pure functions: the tests feed them recorded
//! and generated objects.
//!
//! Each listed object is read into a small struct as soon as it arrives
//! (and the object dropped), so a run holds one page of objects at a time
//! plus what it keeps per workload.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{Container as K8sContainer, Node, Pod, PodSpec, PodTemplateSpec, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use serde_json::{json, Map, Value};

use super::service_match::{service_of, service_of_image, ServiceMatch};
use crate::image::{running_digest, ImageRef};
use crate::{ObservedEntity, ObservedRelation};

/// kubectl's record of the last applied manifest: large, and a copy of
/// what the other attributes say.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// The container `kubectl logs/exec` pick by default: the main one.
pub const DEFAULT_CONTAINER: &str = "kubectl.kubernetes.io/default-container";
/// A Deployment's and its ReplicaSets' revision number.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// The zone label every cloud provider sets on nodes.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
/// Annotation values longer than this are left out (certificates, manifests).
pub const MAX_ANNOTATION_BYTES: usize = 2048;
/// Rollouts kept per Deployment, the most recent ones.
pub const MAX_ROLLOUTS: usize = 50;
/// Node names kept per workload (`node_count` has them all).
pub const MAX_NODES: usize = 100;
/// The version of an image with neither tag nor digest: what the runtime pulls.
pub const IMPLICIT_TAG: &str = "latest";

/// The workload kinds observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    CronJob,
    DaemonSet,
    Deployment,
    StatefulSet,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CronJob => "CronJob",
            Kind::DaemonSet => "DaemonSet",
            Kind::Deployment => "Deployment",
            Kind::StatefulSet => "StatefulSet",
        }
    }

    pub fn parse(kind: &str) -> Option<Kind> {
        match kind {
            "CronJob" => Some(Kind::CronJob),
            "DaemonSet" => Some(Kind::DaemonSet),
            "Deployment" => Some(Kind::Deployment),
            "StatefulSet" => Some(Kind::StatefulSet),
            _ => None,
        }
    }
}

/// A workload within a cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkloadId {
    pub namespace: String,
    pub kind: Kind,
    pub name: String,
}

impl WorkloadId {
    pub fn new(namespace: &str, kind: Kind, name: &str) -> WorkloadId {
        WorkloadId { namespace: namespace.to_string(), kind, name: name.to_string() }
    }

    /// `workload:<cluster>/<namespace>/<Kind>/<name>`.
    pub fn key(&self, cluster: &str) -> String {
        format!("workload:{cluster}/{}/{}/{}", self.namespace, self.kind.as_str(), self.name)
    }
}

pub fn cluster_key(cluster: &str) -> String {
    format!("cluster:{cluster}")
}

pub fn service_key(service: &str) -> String {
    format!("service:{service}")
}

/// How workloads are read: which annotation names a service, which
/// container names are sidecars, whether an image may name a service.
#[derive(Debug, Clone)]
pub struct Rules {
    pub service_annotation: String,
    pub sidecars: BTreeSet<String>,
    pub service_from_image: bool,
}

/// One container of a pod template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub name: String,
    /// As written in the spec.
    pub image: String,
    pub image_ref: Option<ImageRef>,
    pub requests: BTreeMap<String, String>,
    pub limits: BTreeMap<String, String>,
    /// An init container that keeps running (`restartPolicy: Always`):
    /// a native sidecar.
    pub sidecar: bool,
}

impl Container {
    /// A container running `image`, without resources.
    pub fn new(name: &str, image: &str) -> Container {
        Container {
            name: name.to_string(),
            image: image.to_string(),
            image_ref: ImageRef::parse(image),
            requests: BTreeMap::new(),
            limits: BTreeMap::new(),
            sidecar: false,
        }
    }

    fn read(container: &K8sContainer, init: bool) -> Container {
        let resources = container.resources.as_ref();
        let quantities = |map: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>| {
            map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect()).unwrap_or_default()
        };
        Container {
            requests: quantities(resources.and_then(|r| r.requests.as_ref())),
            limits: quantities(resources.and_then(|r| r.limits.as_ref())),
            sidecar: init && container.restart_policy.as_deref() == Some("Always"),
            ..Container::new(&container.name, container.image.as_deref().unwrap_or_default())
        }
    }

    pub fn tag(&self) -> Option<&str> {
        self.image_ref.as_ref().and_then(|r| r.tag.as_deref())
    }

    pub fn digest(&self) -> Option<&str> {
        self.image_ref.as_ref().and_then(|r| r.digest.as_deref())
    }
}

/// Replica counts; what "desired" means depends on the kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replicas {
    pub desired: i64,
    pub ready: i64,
    pub available: i64,
    pub updated: i64,
}

/// One ReplicaSet of a Deployment: one rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollout {
    pub revision: u64,
    pub version: Option<String>,
    pub image: Option<String>,
    /// When the ReplicaSet was created: when the rollout started.
    pub created: Option<String>,
}

/// Pods of one workload, summed up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodStats {
    pub total: u64,
    pub running: u64,
    pub pending: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub unknown: u64,
    pub ready: u64,
    pub restarts: u64,
    pub nodes: BTreeSet<String>,
    pub zones: BTreeSet<String>,
    /// Container name → digest → pods running it, for images without a
    /// digest in the spec.
    pub digests: BTreeMap<String, BTreeMap<String, u64>>,
}

/// An HPA's bounds and state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hpa {
    pub min: i64,
    pub max: i64,
    pub current: Option<i64>,
    pub desired: i64,
}

/// Everything kept about one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub id: WorkloadId,
    pub uid: Option<String>,
    /// The service it belongs to, and how that was told.
    pub service: Option<ServiceMatch>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The pod template's labels: what Services select.
    pub pod_labels: BTreeMap<String, String>,
    pub containers: Vec<Container>,
    pub init_containers: Vec<Container>,
    /// Index of the main container in `containers`.
    pub main: Option<usize>,
    pub replicas: Option<Replicas>,
    pub rollout_status: Option<&'static str>,
    pub revision: Option<u64>,
    pub created: Option<String>,
    /// Kind-specific attributes (a CronJob's schedule).
    pub extra: Map<String, Value>,
    pub rollouts: Vec<Rollout>,
    pub pods: PodStats,
    pub hpa: Option<Hpa>,
    pub k8s_services: BTreeSet<String>,
    pub hosts: BTreeSet<String>,
    /// Something to warn about that did not stop the reading.
    pub problem: Option<String>,
}

impl Workload {
    pub fn service_name(&self) -> Option<&str> {
        self.service.as_ref().map(|s| s.name.as_str())
    }
}

/// Why an object could not be read as a workload.
pub type ReadError = String;

fn time(t: &Option<Time>) -> Option<String> {
    t.as_ref().map(|t| t.0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn named(meta: &ObjectMeta, kind: &str) -> Result<(String, String), ReadError> {
    let name = meta.name.clone().filter(|n| !n.is_empty()).ok_or_else(|| format!("a {kind} without a name"))?;
    let namespace =
        meta.namespace.clone().filter(|n| !n.is_empty()).ok_or_else(|| format!("{kind} {name} has no namespace"))?;
    if let Some(problem) = key_part_problem(&name).or_else(|| key_part_problem(&namespace)) {
        return Err(format!("{kind} {namespace}/{name}: {problem}"));
    }
    Ok((namespace, name))
}

/// Kubernetes names are DNS labels; anything else cannot be part of a key.
fn key_part_problem(part: &str) -> Option<String> {
    let valid =
        !part.is_empty() && part.len() <= 253 && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
    (!valid).then(|| format!("'{}' cannot be part of an entity key", part.escape_debug()))
}

/// The main container: the one `kubectl.kubernetes.io/default-container`
/// names, else the one named like the service, else the first that is not
/// a known sidecar, else the first.
pub fn main_container(
    containers: &[Container],
    default_container: Option<&str>,
    service: Option<&str>,
    sidecars: &BTreeSet<String>,
) -> Option<usize> {
    let position = |name: &str| containers.iter().position(|c| c.name == name);
    default_container
        .and_then(position)
        .or_else(|| service.and_then(position))
        .or_else(|| containers.iter().position(|c| !sidecars.contains(&c.name)))
        .or(if containers.is_empty() { None } else { Some(0) })
}

/// The version an image runs: its tag, else its digest, else the digest
/// most pods run (ties to the smallest), else `latest`.
pub fn version_of(container: &Container, running: Option<&BTreeMap<String, u64>>) -> String {
    if let Some(tag) = container.tag() {
        return tag.to_string();
    }
    if let Some(digest) = container.digest() {
        return digest.to_string();
    }
    match running.and_then(majority) {
        Some(digest) => digest.to_string(),
        None => IMPLICIT_TAG.to_string(),
    }
}

/// The value with the most votes, ties to the smallest.
fn majority(votes: &BTreeMap<String, u64>) -> Option<&str> {
    votes.iter().max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0))).map(|(v, _)| v.as_str())
}

/// Labels as they are; annotations without kubectl's manifest copy and
/// without values too large to be useful.
fn kept_annotations(meta: &ObjectMeta) -> BTreeMap<String, String> {
    meta.annotations
        .iter()
        .flatten()
        .filter(|(k, v)| k.as_str() != LAST_APPLIED && v.len() <= MAX_ANNOTATION_BYTES)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn revision_of(meta: &ObjectMeta) -> Option<u64> {
    meta.annotations.as_ref()?.get(REVISION)?.trim().parse().ok()
}

/// The parts every workload kind shares, from its metadata and pod template.
fn workload(
    meta: &ObjectMeta,
    kind: Kind,
    template: Option<&PodTemplateSpec>,
    rules: &Rules,
) -> Result<Workload, ReadError> {
    let (namespace, name) = named(meta, kind.as_str())?;
    let id = WorkloadId { namespace, kind, name };
    let template_meta = template.and_then(|t| t.metadata.as_ref());
    let (mut service, problem) = service_of(meta, template_meta, rules);
    let spec: Option<&PodSpec> = template.and_then(|t| t.spec.as_ref());
    let containers: Vec<Container> =
        spec.map(|s| s.containers.iter().map(|c| Container::read(c, false)).collect()).unwrap_or_default();
    let init_containers: Vec<Container> = spec
        .and_then(|s| s.init_containers.as_ref())
        .map(|cs| cs.iter().map(|c| Container::read(c, true)).collect())
        .unwrap_or_default();
    let default_container = [template_meta, Some(meta)]
        .into_iter()
        .flatten()
        .find_map(|m| m.annotations.as_ref().and_then(|a| a.get(DEFAULT_CONTAINER)))
        .map(String::as_str);
    let main =
        main_container(&containers, default_container, service.as_ref().map(|s| s.name.as_str()), &rules.sidecars);
    if service.is_none() && rules.service_from_image {
        service = main.and_then(|i| containers.get(i)).and_then(|c| service_of_image(c, &rules.sidecars));
    }
    Ok(Workload {
        id,
        uid: meta.uid.clone(),
        service,
        labels: meta.labels.clone().unwrap_or_default(),
        annotations: kept_annotations(meta),
        pod_labels: template_meta.and_then(|m| m.labels.clone()).unwrap_or_default(),
        containers,
        init_containers,
        main,
        replicas: None,
        rollout_status: None,
        revision: None,
        created: time(&meta.creation_timestamp),
        extra: Map::new(),
        rollouts: Vec::new(),
        pods: PodStats::default(),
        hpa: None,
        k8s_services: BTreeSet::new(),
        hosts: BTreeSet::new(),
        problem,
    })
}

fn count(value: Option<i32>) -> i64 {
    i64::from(value.unwrap_or(0))
}

pub fn read_deployment(d: &Deployment, rules: &Rules) -> Result<Workload, ReadError> {
    let spec = d.spec.as_ref();
    let mut w = workload(&d.metadata, Kind::Deployment, spec.map(|s| &s.template), rules)?;
    let status = d.status.as_ref();
    let desired = i64::from(spec.and_then(|s| s.replicas).unwrap_or(1));
    w.replicas = Some(Replicas {
        desired,
        ready: count(status.and_then(|s| s.ready_replicas)),
        available: count(status.and_then(|s| s.available_replicas)),
        updated: count(status.and_then(|s| s.updated_replicas)),
    });
    w.rollout_status = Some(deployment_rollout_status(d));
    w.revision = revision_of(&d.metadata);
    Ok(w)
}

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

pub fn read_stateful_set(s: &StatefulSet, rules: &Rules) -> Result<Workload, ReadError> {
    let spec = s.spec.as_ref();
    let mut w = workload(&s.metadata, Kind::StatefulSet, spec.map(|s| &s.template), rules)?;
    let status = s.status.as_ref();
    let desired = i64::from(spec.and_then(|s| s.replicas).unwrap_or(1));
    let replicas = Replicas {
        desired,
        ready: count(status.and_then(|s| s.ready_replicas)),
        available: count(status.and_then(|s| s.available_replicas)),
        updated: count(status.and_then(|s| s.updated_replicas)),
    };
    w.replicas = Some(replicas);
    let caught_up = status.is_some_and(|st| {
        st.observed_generation.unwrap_or(0) >= s.metadata.generation.unwrap_or(0)
            && (st.update_revision.is_none() || st.update_revision == st.current_revision)
    });
    w.rollout_status = Some(if caught_up && replicas.updated >= desired && replicas.ready >= desired {
        "complete"
    } else {
        "progressing"
    });
    Ok(w)
}

pub fn read_daemon_set(d: &DaemonSet, rules: &Rules) -> Result<Workload, ReadError> {
    let mut w = workload(&d.metadata, Kind::DaemonSet, d.spec.as_ref().map(|s| &s.template), rules)?;
    let status = d.status.as_ref();
    let replicas = Replicas {
        desired: i64::from(status.map_or(0, |s| s.desired_number_scheduled)),
        ready: i64::from(status.map_or(0, |s| s.number_ready)),
        available: count(status.and_then(|s| s.number_available)),
        updated: count(status.and_then(|s| s.updated_number_scheduled)),
    };
    w.replicas = Some(replicas);
    let caught_up = status.is_some_and(|st| st.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0));
    w.rollout_status =
        Some(if caught_up && replicas.updated >= replicas.desired && replicas.available >= replicas.desired {
            "complete"
        } else {
            "progressing"
        });
    Ok(w)
}

pub fn read_cron_job(c: &CronJob, rules: &Rules) -> Result<Workload, ReadError> {
    let spec = c.spec.as_ref();
    let template = spec.and_then(|s| s.job_template.spec.as_ref()).map(|j| &j.template);
    let mut w = workload(&c.metadata, Kind::CronJob, template, rules)?;
    if let Some(spec) = spec {
        w.extra.insert("schedule".into(), json!(spec.schedule));
        w.extra.insert("suspend".into(), json!(spec.suspend.unwrap_or(false)));
        if let Some(zone) = &spec.time_zone {
            w.extra.insert("time_zone".into(), json!(zone));
        }
    }
    Ok(w)
}

/// The controller that owns an object (`controller: true`), as (kind, name).
pub fn controller_of(owners: Option<&Vec<OwnerReference>>) -> Option<(&str, &str)> {
    owners?.iter().find(|o| o.controller == Some(true)).map(|o| (o.kind.as_str(), o.name.as_str()))
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

/// What one pod adds to its workload's stats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodReading {
    pub namespace: String,
    /// The controller: (kind, name).
    pub owner: Option<(String, String)>,
    pub node: Option<String>,
    pub phase: String,
    pub ready: bool,
    pub restarts: u64,
    /// Container name → (tag it reports, digest it runs).
    pub running: Vec<(String, Option<String>, String)>,
}

pub fn read_pod(pod: &Pod) -> Result<PodReading, ReadError> {
    let (namespace, _) = named(&pod.metadata, "Pod")?;
    let status = pod.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let statuses =
        status.map(|s| s.container_statuses.iter().flatten().chain(s.init_container_statuses.iter().flatten()));
    let restarts = statuses.map(|all| all.map(|c| u64::try_from(c.restart_count).unwrap_or(0)).sum()).unwrap_or(0);
    let running = status
        .and_then(|s| s.container_statuses.as_ref())
        .map(|cs| {
            cs.iter()
                .filter_map(|c| {
                    let digest = running_digest(&c.image_id)?;
                    let tag = ImageRef::parse(&c.image).and_then(|r| r.tag);
                    Some((c.name.clone(), tag, digest))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(PodReading {
        namespace,
        owner: controller_of(pod.metadata.owner_references.as_ref()).map(|(k, n)| (k.to_string(), n.to_string())),
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()).filter(|n| !n.is_empty()),
        phase: status.and_then(|s| s.phase.clone()).unwrap_or_else(|| "Unknown".into()),
        ready,
        restarts,
        running,
    })
}

/// The CronJob a Job belongs to, by the name the CronJob controller gives
/// its Jobs: `<cronjob>-<scheduled time in minutes>`.
pub fn cron_job_of_job(job: &str) -> Option<&str> {
    let (prefix, suffix) = job.rsplit_once('-')?;
    (!prefix.is_empty() && !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit())).then_some(prefix)
}

impl PodStats {
    /// Adds one pod. `zone` is its node's zone, when nodes could be read;
    /// `containers` are the workload's, so that only digests of pods
    /// running the spec's tag count.
    pub fn add(&mut self, pod: &PodReading, zone: Option<&str>, containers: &[Container]) {
        self.total += 1;
        match pod.phase.as_str() {
            "Running" => self.running += 1,
            "Pending" => self.pending += 1,
            "Succeeded" => self.succeeded += 1,
            "Failed" => self.failed += 1,
            _ => self.unknown += 1,
        }
        self.ready += u64::from(pod.ready);
        self.restarts += pod.restarts;
        if let Some(node) = &pod.node {
            self.nodes.insert(node.clone());
        }
        if let Some(zone) = zone {
            self.zones.insert(zone.to_string());
        }
        for (name, tag, digest) in &pod.running {
            let Some(spec) = containers.iter().find(|c| &c.name == name) else { continue };
            if spec.digest().is_some() || spec.tag() != tag.as_deref() {
                continue; // pinned already, or an older image mid-rollout
            }
            *self.digests.entry(name.clone()).or_default().entry(digest.clone()).or_default() += 1;
        }
    }
}

/// A node's zone label.
pub fn zone_of(node: &Node) -> Option<(String, Option<String>)> {
    let name = node.metadata.name.clone()?;
    let zone = node.metadata.labels.as_ref().and_then(|l| l.get(ZONE_LABEL)).cloned();
    Some((name, zone))
}

/// A Service's namespace, name and pod selector (none: it selects no pods).
pub fn read_service(service: &Service) -> Result<(String, String, BTreeMap<String, String>), ReadError> {
    let (namespace, name) = named(&service.metadata, "Service")?;
    let selector = service.spec.as_ref().and_then(|s| s.selector.clone()).unwrap_or_default();
    Ok((namespace, name, selector))
}

/// An Ingress's (host, backend service) pairs, from its rules' paths. Rules
/// without a host route every host: `*`.
pub fn read_ingress(ingress: &Ingress) -> Result<(String, Vec<(String, String)>), ReadError> {
    let (namespace, _) = named(&ingress.metadata, "Ingress")?;
    let mut routes = Vec::new();
    for rule in ingress.spec.as_ref().and_then(|s| s.rules.as_ref()).into_iter().flatten() {
        let host = rule.host.clone().filter(|h| !h.is_empty()).unwrap_or_else(|| "*".into());
        for path in rule.http.as_ref().map(|h| h.paths.as_slice()).unwrap_or_default() {
            if let Some(service) = &path.backend.service {
                routes.push((host.clone(), service.name.clone()));
            }
        }
    }
    routes.sort();
    routes.dedup();
    Ok((namespace, routes))
}

/// The workload an HPA scales, and its bounds.
pub fn read_hpa(hpa: &HorizontalPodAutoscaler) -> Result<Option<(WorkloadId, Hpa)>, ReadError> {
    let (namespace, _) = named(&hpa.metadata, "HorizontalPodAutoscaler")?;
    let Some(spec) = hpa.spec.as_ref() else { return Ok(None) };
    let Some(kind) = Kind::parse(&spec.scale_target_ref.kind) else { return Ok(None) };
    let status = hpa.status.as_ref();
    let bounds = Hpa {
        min: i64::from(spec.min_replicas.unwrap_or(1)),
        max: i64::from(spec.max_replicas),
        current: status.and_then(|s| s.current_replicas).map(i64::from),
        desired: i64::from(status.map_or(0, |s| s.desired_replicas)),
    };
    Ok(Some((WorkloadId::new(&namespace, kind, &spec.scale_target_ref.name), bounds)))
}

/// Whether a Service's selector picks the workload's pods.
pub fn selects(selector: &BTreeMap<String, String>, pod_labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| pod_labels.get(k) == Some(v))
}

/// The `cluster:<name>` entity.
pub fn cluster_entity(cluster: &str, datacenter: Option<&str>, version: Option<&str>) -> ObservedEntity {
    let mut attrs = Map::new();
    if let Some(datacenter) = datacenter {
        attrs.insert("datacenter".into(), json!(datacenter));
    }
    if let Some(version) = version.filter(|v| !v.is_empty()) {
        attrs.insert("version".into(), json!(version));
    }
    ObservedEntity { key: cluster_key(cluster), kind: "cluster".into(), name: cluster.to_string(), attrs }
}

fn container_json(c: &Container, running: Option<&BTreeMap<String, u64>>) -> Value {
    let mut attrs = Map::new();
    attrs.insert("name".into(), json!(c.name));
    attrs.insert("image".into(), json!(c.image));
    if let Some(tag) = c.tag() {
        attrs.insert("tag".into(), json!(tag));
    }
    if let Some(digest) = c.digest().or_else(|| running.and_then(majority)) {
        attrs.insert("digest".into(), json!(digest));
    }
    attrs.insert("requests".into(), json!(c.requests));
    attrs.insert("limits".into(), json!(c.limits));
    if c.sidecar {
        attrs.insert("sidecar".into(), json!(true));
    }
    Value::Object(attrs)
}

fn pods_json(pods: &PodStats, zones_known: bool) -> Value {
    let mut attrs = Map::new();
    for (name, value) in [
        ("running", pods.running),
        ("pending", pods.pending),
        ("succeeded", pods.succeeded),
        ("failed", pods.failed),
        ("unknown", pods.unknown),
        ("ready", pods.ready),
        ("restarts", pods.restarts),
    ] {
        attrs.insert(name.into(), json!(value));
    }
    attrs.insert("nodes".into(), json!(pods.nodes.iter().take(MAX_NODES).collect::<Vec<_>>()));
    attrs.insert("node_count".into(), json!(pods.nodes.len()));
    if zones_known {
        attrs.insert("zones".into(), json!(pods.zones));
    }
    Value::Object(attrs)
}

/// The `workload:` entity, with the attributes the rest of SPoT reads
/// (`version` above all: deploy history and deployed versions).
pub fn workload_entity(cluster: &str, w: &Workload, zones_known: bool) -> ObservedEntity {
    let mut attrs = Map::new();
    attrs.insert("kind".into(), json!(w.id.kind.as_str()));
    attrs.insert("namespace".into(), json!(w.id.namespace));
    if let Some(service) = &w.service {
        attrs.insert("service".into(), json!(service.name));
        attrs.insert("service_via".into(), json!(service.via.as_str()));
    }
    if let Some(main) = w.main.and_then(|i| w.containers.get(i)) {
        let running = w.pods.digests.get(&main.name);
        attrs.insert("container".into(), json!(main.name));
        attrs.insert("image".into(), json!(main.image));
        attrs.insert("version".into(), json!(version_of(main, running)));
        if let Some(digest) = main.digest().or_else(|| running.and_then(majority)) {
            attrs.insert("digest".into(), json!(digest));
        }
    }
    if let Some(r) = w.replicas {
        attrs.insert(
            "replicas".into(),
            json!({ "desired": r.desired, "ready": r.ready, "available": r.available, "updated": r.updated }),
        );
    }
    if let Some(status) = w.rollout_status {
        attrs.insert("rollout_status".into(), json!(status));
    }
    if let Some(revision) = w.revision {
        attrs.insert("revision".into(), json!(revision));
    }
    let containers: Vec<Value> = w.containers.iter().map(|c| container_json(c, w.pods.digests.get(&c.name))).collect();
    attrs.insert("containers".into(), Value::Array(containers));
    if !w.init_containers.is_empty() {
        let init: Vec<Value> = w.init_containers.iter().map(|c| container_json(c, None)).collect();
        attrs.insert("init_containers".into(), Value::Array(init));
    }
    if !w.rollouts.is_empty() {
        let rollouts: Vec<Value> = w
            .rollouts
            .iter()
            .map(|r| json!({ "revision": r.revision, "version": r.version, "image": r.image, "created": r.created }))
            .collect();
        attrs.insert("rollouts".into(), Value::Array(rollouts));
    }
    attrs.insert("pods".into(), pods_json(&w.pods, zones_known));
    if let Some(hpa) = w.hpa {
        attrs.insert(
            "hpa".into(),
            json!({ "min": hpa.min, "max": hpa.max, "current": hpa.current, "desired": hpa.desired }),
        );
    }
    if !w.k8s_services.is_empty() {
        attrs.insert("services".into(), json!(w.k8s_services));
    }
    if !w.hosts.is_empty() {
        attrs.insert("hosts".into(), json!(w.hosts));
    }
    attrs.insert("labels".into(), json!(w.labels));
    attrs.insert("annotations".into(), json!(w.annotations));
    if let Some(created) = &w.created {
        attrs.insert("created".into(), json!(created));
    }
    attrs.extend(w.extra.clone());
    ObservedEntity { key: w.id.key(cluster), kind: "workload".into(), name: w.id.name.clone(), attrs }
}

/// `runs_in` to the cluster, and `deploys` from its service with the version.
pub fn workload_relations(cluster: &str, w: &Workload) -> Vec<ObservedRelation> {
    let key = w.id.key(cluster);
    let mut relations = vec![ObservedRelation {
        from: key.clone(),
        to: cluster_key(cluster),
        kind: "runs_in".into(),
        attrs: Map::new(),
    }];
    if let Some(service) = &w.service {
        let mut attrs = Map::new();
        attrs.insert("via".into(), json!(service.via.as_str()));
        if let Some(main) = w.main.and_then(|i| w.containers.get(i)) {
            attrs.insert("version".into(), json!(version_of(main, w.pods.digests.get(&main.name))));
        }
        relations.push(ObservedRelation { from: service_key(&service.name), to: key, kind: "deploys".into(), attrs });
    }
    relations
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            service_annotation: "spot/service".into(),
            sidecars: ["istio-proxy", "linkerd-proxy"].into_iter().map(String::from).collect(),
            service_from_image: true,
        }
    }

    #[test]
    fn the_main_container_skips_sidecars() {
        let sidecars = rules().sidecars;
        let cs = [
            Container::new("istio-proxy", "istio/proxyv2:1.20"),
            Container::new("api", "acme/api:2"),
            Container::new("billing", "acme/billing:3"),
        ];
        assert_eq!(main_container(&cs, None, None, &sidecars), Some(1), "first non-sidecar");
        assert_eq!(main_container(&cs, None, Some("billing"), &sidecars), Some(2), "named like the service");
        assert_eq!(
            main_container(&cs, Some("istio-proxy"), Some("billing"), &sidecars),
            Some(0),
            "the default container"
        );
        assert_eq!(main_container(&cs[..1], None, None, &sidecars), Some(0), "only sidecars: the first");
        assert_eq!(main_container(&[], None, None, &sidecars), None);
    }

    #[test]
    fn versions_are_tags_then_digests_then_what_pods_run() {
        let digest = "sha256:482ead44b2203fa32b3390abdaf97cbdc8ad15c07fb03a3e68d7c35a19ad7595";
        assert_eq!(version_of(&Container::new("a", "nginx:1.25"), None), "1.25");
        assert_eq!(version_of(&Container::new("a", &format!("nginx:1.25@{digest}")), None), "1.25");
        assert_eq!(version_of(&Container::new("a", &format!("nginx@{digest}")), None), digest);
        assert_eq!(version_of(&Container::new("a", "nginx"), None), "latest");
        let running = BTreeMap::from([
            ("sha256:bbbb".to_string(), 2),
            ("sha256:aaaa".to_string(), 2),
            ("sha256:cccc".to_string(), 1),
        ]);
        assert_eq!(
            version_of(&Container::new("a", "nginx"), Some(&running)),
            "sha256:aaaa",
            "most pods, ties to the smallest"
        );
    }

    #[test]
    fn cron_jobs_are_found_from_their_jobs_names() {
        assert_eq!(cron_job_of_job("backup-28934470"), Some("backup"));
        assert_eq!(cron_job_of_job("nightly-report-28934470"), Some("nightly-report"));
        assert_eq!(cron_job_of_job("migrate-v2"), None);
        assert_eq!(cron_job_of_job("28934470"), None);
    }

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
    fn selectors_need_every_label_and_at_least_one() {
        let pod = BTreeMap::from([("app".to_string(), "web".to_string()), ("tier".to_string(), "front".to_string())]);
        assert!(selects(&BTreeMap::from([("app".to_string(), "web".to_string())]), &pod));
        assert!(!selects(&BTreeMap::from([("app".to_string(), "api".to_string())]), &pod));
        assert!(!selects(&BTreeMap::new(), &pod), "a Service without a selector selects nothing");
    }

    #[test]
    fn pod_digests_count_only_for_the_spec_tag() {
        let containers = [
            Container::new("web", "nginx:1.25"),
            Container::new("pinned", "redis@sha256:0000000000000000000000000000000000000000000000000000000000000000"),
        ];
        let pod = |tag: &str| PodReading {
            namespace: "ns".into(),
            owner: None,
            node: Some("n1".into()),
            phase: "Running".into(),
            ready: true,
            restarts: 2,
            running: vec![
                (
                    "web".into(),
                    Some(tag.into()),
                    "sha256:1111111111111111111111111111111111111111111111111111111111111111".into(),
                ),
                (
                    "pinned".into(),
                    None,
                    "sha256:2222222222222222222222222222222222222222222222222222222222222222".into(),
                ),
            ],
        };
        let mut stats = PodStats::default();
        stats.add(&pod("1.25"), Some("z1"), &containers);
        stats.add(&pod("1.24"), None, &containers);
        assert_eq!((stats.total, stats.running, stats.ready, stats.restarts), (2, 2, 2, 4));
        assert_eq!(stats.digests.len(), 1, "the pinned container needs no running digest");
        assert_eq!(stats.digests["web"].values().sum::<u64>(), 1, "the pod on the old tag is not counted");
        assert_eq!(stats.zones.iter().collect::<Vec<_>>(), ["z1"]);
    }

    /// A recorded object as a list item: list items carry no `apiVersion`
    /// or `kind` (and rs.json's recorded `apiVersion` is not apps/v1).
    fn recorded<K: serde::de::DeserializeOwned>(json: &str) -> K {
        let mut value: Value = serde_json::from_str(json).unwrap();
        let map = value.as_object_mut().unwrap();
        map.remove("apiVersion");
        map.remove("kind");
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_recorded_pod_with_a_native_sidecar_counts_every_restart_and_its_digest() {
        let pod: Pod = recorded(include_str!("../../tests/fixtures/kubernetes/po_sidecar.json"));
        let reading = read_pod(&pod).unwrap();
        assert_eq!(
            (
                reading.namespace.as_str(),
                reading.node.as_deref(),
                reading.phase.as_str(),
                reading.ready,
                reading.restarts
            ),
            ("default", Some("kind-control-plane"), "Running", true, 0)
        );
        assert_eq!(reading.owner, None, "a bare pod");
        assert_eq!(
            reading.running,
            [(
                "sleep".to_string(),
                Some("latest".to_string()),
                "sha256:61673929bc39a86dca7d978b27fc632d3e590bc59cd8b2f386408751d007c91e".to_string()
            )],
            "init containers' digests are not the workload's"
        );
    }

    #[test]
    fn a_recorded_replica_set_is_a_rollout_of_its_deployment() {
        let rs: ReplicaSet = recorded(include_str!("../../tests/fixtures/kubernetes/rs.json"));
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
    fn a_recorded_daemon_set_without_service_labels_is_named_by_its_image() {
        let ds: DaemonSet = recorded(include_str!("../../tests/fixtures/kubernetes/ds.json"));
        let w = read_daemon_set(&ds, &rules()).unwrap();
        assert_eq!(w.id, WorkloadId::new("kube-system", Kind::DaemonSet, "fluentd-gcp-v3.2.0"));
        assert_eq!((w.service_name(), w.main), (Some("stackdriver-logging-agent"), Some(0)));
        assert_eq!(
            w.containers[0].limits,
            BTreeMap::from([("cpu".into(), "1".into()), ("memory".into(), "500Mi".into())])
        );
        assert!(w.annotations.is_empty(), "only kubectl's manifest, left out");
        assert_eq!(w.rollout_status, Some("complete"));
        let entity = workload_entity("dc1", &w, false);
        assert_eq!(entity.key, "workload:dc1/kube-system/DaemonSet/fluentd-gcp-v3.2.0");
        assert_eq!(
            (&entity.attrs["service"], &entity.attrs["service_via"]),
            (&json!("stackdriver-logging-agent"), &json!("image"))
        );
        assert!(entity.attrs["pods"].get("zones").is_none(), "no zones when nodes were not read");
        let deploys = &workload_relations("dc1", &w)[1];
        assert_eq!(
            (deploys.from.as_str(), deploys.kind.as_str(), Value::Object(deploys.attrs.clone())),
            ("service:stackdriver-logging-agent", "deploys", json!({ "via": "image", "version": "0.6-1.6.0-1" }))
        );

        let labels_only = Rules { service_from_image: false, ..rules() };
        let w = read_daemon_set(&ds, &labels_only).unwrap();
        assert_eq!(w.service, None, "k8s-app is no service label, and images are not asked");
        assert_eq!(workload_relations("dc1", &w).len(), 1, "runs_in only: no service, no deploys");
    }

    #[test]
    fn rollout_status_follows_kubectl() {
        let mut d: Deployment = recorded(include_str!("../../tests/fixtures/kubernetes/dp.json"));
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

    #[test]
    fn objects_without_usable_names_are_refused() {
        let mut d: Deployment = recorded(include_str!("../../tests/fixtures/kubernetes/dp.json"));
        d.metadata.namespace = None;
        assert_eq!(read_deployment(&d, &rules()).unwrap_err(), "Deployment icx-db has no namespace");
        d.metadata.namespace = Some("icx".into());
        d.metadata.name = Some("bad name".into());
        assert_eq!(
            read_deployment(&d, &rules()).unwrap_err(),
            "Deployment icx/bad name: 'bad name' cannot be part of an entity key"
        );
    }
}
