//! Service-to-service wiring from what deployments declare: the addresses a
//! workload's environment, its ConfigMaps and its chart's values name, and
//! compose's `depends_on` and `links`, resolved through Kubernetes Services
//! (name → selector → workload) and compose service names to the services
//! and backing resources they reach.
//!
//! Pure functions over parsed objects, shared by the GitHub collector and
//! the git backfill (read from a repository's files: [`repository`]) and the
//! Kubernetes collector (read from a cluster's objects): one address
//! resolution for both, so a repository and the cluster it deploys to
//! agree.
//!
//! - [`address`]: which hosts a value names;
//! - [`backing`]: which images are third-party backing services;
//! - [`manifests`], [`compose`], [`helm`]: the declarations of each format;
//! - [`resolve`]: hosts to services and resources.

pub mod address;
pub mod backing;
pub mod compose;
pub mod dotenv;
pub mod helm;
pub mod manifests;
pub mod repository;
pub mod resolve;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use resolve::{resolve, Edge, Resolved, Resource};

/// How a dependency was declared: the `via` of its `depends_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Via {
    /// A container's environment variable, in a manifest.
    Env,
    /// A ConfigMap key a container reads.
    ConfigMap,
    /// A Helm chart's values.
    Helm,
    /// A compose service's `environment`, `depends_on` or `links`.
    Compose,
    /// Read from a running cluster.
    Kubernetes,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Env => "env",
            Via::ConfigMap => "configmap",
            Via::Helm => "helm",
            Via::Compose => "compose",
            Via::Kubernetes => "kubernetes",
        }
    }
}

/// A value a unit reads that may name another unit's address, or, for
/// compose's `depends_on` and `links` and a chart's bundled workloads, a
/// name of it outright.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub via: Via,
    /// The variable, ConfigMap key or values path it is read under.
    pub variable: String,
    pub value: String,
    /// The file that says so.
    pub file: String,
    /// `value` is a name, not an address.
    pub is_name: bool,
}

/// A ConfigMap a container reads: all of it (`envFrom`) or one key
/// (`valueFrom.configMapKeyRef`, read as `variable`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigMapUse {
    pub name: String,
    /// (key, the env variable it becomes); `None` for all keys.
    pub key: Option<(String, String)>,
}

/// Something that runs and can be reached by name: a Kubernetes workload, a
/// compose service, a Helm chart's workload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unit {
    pub name: String,
    /// The namespace it runs in (Kubernetes; `None` when not declared).
    pub namespace: Option<String>,
    /// The file declaring it.
    pub file: String,
    /// The folder its code is built from (compose's build context) or the
    /// chart's folder; `None` when it only runs an image.
    pub folder: Option<String>,
    /// Its pod template's labels, which Services select.
    pub labels: BTreeMap<String, String>,
    /// The main container's image.
    pub image: Option<String>,
    /// Other names it answers to (compose `hostname`, `container_name`,
    /// network aliases; a chart's `fullnameOverride`).
    pub aliases: Vec<String>,
    pub references: Vec<Reference>,
    pub config_maps: Vec<ConfigMapUse>,
}

/// A ConfigMap's string data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigMap {
    pub name: String,
    pub namespace: Option<String>,
    pub file: String,
    pub data: BTreeMap<String, String>,
}

/// A Kubernetes Service: its name and the pod labels it selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeService {
    pub name: String,
    pub namespace: Option<String>,
    pub selector: BTreeMap<String, String>,
}

/// What one repository (or one cluster) declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wiring {
    pub units: Vec<Unit>,
    pub config_maps: Vec<ConfigMap>,
    pub services: Vec<KubeService>,
}
