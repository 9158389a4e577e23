//! What the collector keeps of a cluster's workloads once their objects
//! are read: small structs that the readers in [`super::read`] fill, the
//! run joins ([`super::aggregate`]) and [`super::entities`] turns into
//! entities and relations.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Container as K8sContainer;
use serde_json::{Map, Value};

use super::service_match::ServiceMatch;
use crate::image::ImageRef;

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
        crate::keys::workload(cluster, &self.namespace, self.kind.as_str(), &self.name)
    }
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

    pub(super) fn read(container: &K8sContainer, init: bool) -> Container {
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
    /// Its containers' env values and the ConfigMaps they read: what it
    /// depends on ([`super::wiring`]).
    pub env: Vec<crate::wiring::Reference>,
    pub config_maps: Vec<crate::wiring::ConfigMapUse>,
}

impl Workload {
    pub fn service_name(&self) -> Option<&str> {
        self.service.as_ref().map(|s| s.name.as_str())
    }
}
