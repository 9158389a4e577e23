//! Kubernetes, one cluster per scope: its workloads (Deployments,
//! StatefulSets, DaemonSets, CronJobs) with replicas, containers, images
//! and versions, rollout status and history (from ReplicaSets), pods summed
//! up per workload, the hosts Ingresses route to them and their HPAs; each
//! workload `runs_in` its cluster and is what its service `deploys`.
//!
//! - [`client`]: one kube client per cluster, with timeouts, retries and
//!   errors that say what to check.
//! - [`list`]: paginated lists, cluster-wide or per namespace.
//! - [`read`]: objects to compact readings ([`model`]), each object read
//!   as it arrives; [`version`]: a workload's main container and version.
//! - [`aggregate`]: a run's readings joined per workload;
//!   [`entities`]: those workloads as entities and relations.
//! - [`service_match`]: which service a workload belongs to, and how that
//!   was told.

mod aggregate;
pub mod client;
pub mod entities;
/// A stand-in API server that lists and watches (tests and benchmarks).
#[cfg(feature = "testing")]
pub mod fake;
/// Objects as an API server returns them, for scripting a [`fake`] cluster.
#[cfg(feature = "testing")]
pub mod fake_objects;
pub mod list;
pub mod model;
pub mod read;
mod run;
pub mod service_match;
#[cfg(test)]
mod testing;
pub mod version;
pub mod watch;
mod wiring;

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use self::client::KubeError;
use crate::collector::{unknown_scope, CollectError, Collector};
use crate::http::HttpSettings;
use crate::schedule::Schedule;
use crate::{Day, Observation};
/// The Kubernetes types the collector reads, for callers that generate
/// objects (the benchmark).
pub use k8s_openapi;

/// `[collectors.kubernetes]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The clusters to observe, each one scope. Required: at least one.
    #[serde(default)]
    pub clusters: Vec<ClusterConfig>,
    /// Namespaces to observe; empty: all of them (but the excluded ones).
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Namespaces never observed.
    #[serde(default = "default_exclude_namespaces")]
    pub exclude_namespaces: Vec<String>,
    /// Objects per list request (`limit`); the rest follow with `continue`.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// The annotation naming a workload's service, tried before the
    /// `backstage.io/kubernetes-id`, `app.kubernetes.io/name` and `app`
    /// labels.
    #[serde(default = "default_service_annotation")]
    pub service_annotation: String,
    /// When none of those names a workload's service, the last path segment
    /// of its main container's image repository does (not for Docker Hub's
    /// official images).
    #[serde(default = "yes")]
    pub service_from_image: bool,
    /// Container names that are sidecars, never a workload's main container.
    #[serde(default = "default_sidecar_containers")]
    pub sidecar_containers: Vec<String>,
    /// Timeouts, retries and backoff per request; `concurrency` is the
    /// number of namespaces listed at once when listing per namespace.
    #[serde(default)]
    pub http: HttpSettings,
    #[serde(default)]
    pub schedule: Schedule,
    /// `[collectors.kubernetes.watch]`: actions between snapshots, while
    /// `spot serve` runs.
    #[serde(default)]
    pub watch: watch::WatchSettings,
}

/// One cluster: its credentials come from exactly one of a kubeconfig
/// file (optionally with a context in it), a context of the default
/// kubeconfig, or the pod's service account (`in_cluster`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// The scope name, and the cluster in every key (`cluster:<name>`).
    pub name: String,
    /// The datacenter or region it runs in, recorded on `cluster:<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datacenter: Option<String>,
    /// A kubeconfig file; read at each run, not at startup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<PathBuf>,
    /// A context: of `kubeconfig` when set, else of the default kubeconfig
    /// (`$KUBECONFIG` or `~/.kube/config`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The service account of the pod SPoT runs in.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_cluster: bool,
}

fn default_exclude_namespaces() -> Vec<String> {
    ["kube-system", "kube-public", "kube-node-lease"].map(String::from).to_vec()
}

fn default_page_size() -> u32 {
    500
}

fn yes() -> bool {
    true
}

fn default_service_annotation() -> String {
    "spot/service".into()
}

/// Sidecars injected by meshes, secret and log agents, and proxies.
fn default_sidecar_containers() -> Vec<String> {
    [
        "istio-proxy",
        "istio-init",
        "linkerd-proxy",
        "linkerd-init",
        "envoy",
        "envoy-sidecar",
        "consul-dataplane",
        "consul-connect-envoy-sidecar",
        "vault-agent",
        "vault-agent-init",
        "cloud-sql-proxy",
        "cloudsql-proxy",
        "oauth2-proxy",
        "datadog-agent",
        "fluent-bit",
        "fluentd",
        "filebeat",
        "otel-collector",
        "jaeger-agent",
    ]
    .map(String::from)
    .to_vec()
}

pub struct Kubernetes {
    config: Config,
}

impl Collector for Kubernetes {
    const NAME: &'static str = "kubernetes";
    type Config = Config;

    /// Checks the config; kubeconfigs are read at each run, so a missing
    /// file fails that cluster's run (naming the file), not startup.
    fn new(config: &Config) -> Result<Kubernetes, CollectError> {
        check(config).map_err(|problem| CollectError::Config { collector: Self::NAME, problem })?;
        Ok(Kubernetes { config: config.clone() })
    }

    fn schedule(config: &Config) -> &Schedule {
        &config.schedule
    }

    fn scopes(&self) -> Vec<String> {
        self.config.clusters.iter().map(|c| c.name.clone()).collect()
    }

    async fn collect(&self, scope: &str, day: Day) -> Result<Observation, CollectError> {
        let Some(cluster) = self.config.clusters.iter().find(|c| c.name == scope) else {
            return Err(unknown_scope(Self::NAME, scope, &self.scopes()));
        };
        Ok(run::observe(cluster, &self.config, Self::NAME, day).await?)
    }
}

/// Everything about a config that can be checked without reading files.
fn check(config: &Config) -> Result<(), String> {
    if config.clusters.is_empty() {
        return Err("clusters must list the clusters to observe, e.g. clusters = [{ name = \"dc1\", datacenter = \"eu-west-1\", context = \"prod-dc1\" }]".into());
    }
    let mut seen = BTreeSet::new();
    for cluster in &config.clusters {
        check_cluster(cluster)?;
        if !seen.insert(&cluster.name) {
            return Err(format!("cluster '{}' is listed twice", cluster.name));
        }
    }
    if let Some(problem) = config.watch.problem() {
        return Err(format!("watch: {problem}"));
    }
    for (key, namespaces) in [("namespaces", &config.namespaces), ("exclude_namespaces", &config.exclude_namespaces)] {
        if let Some(bad) = namespaces.iter().find(|n| !is_dns_label(n)) {
            return Err(format!(
                "{key}: '{}' is not a namespace name (lowercase letters, digits and -)",
                bad.escape_debug()
            ));
        }
    }
    if !(1..=10_000).contains(&config.page_size) {
        return Err(format!("page_size must be between 1 and 10000, not {}", config.page_size));
    }
    if config.service_annotation.trim().is_empty() {
        return Err("service_annotation must name an annotation, e.g. \"spot/service\"".into());
    }
    Ok(())
}

fn check_cluster(cluster: &ClusterConfig) -> Result<(), String> {
    let name = &cluster.name;
    let valid =
        !name.is_empty() && name.len() <= 100 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !valid {
        return Err(format!("cluster name '{}' must be 1-100 letters, digits, -, _ and .", name.escape_debug()));
    }
    if cluster.datacenter.as_ref().is_some_and(|d| d.trim().is_empty()) {
        return Err(format!("cluster '{name}': datacenter must not be empty"));
    }
    match (cluster.in_cluster, &cluster.kubeconfig, &cluster.context) {
        (true, None, None) | (false, Some(_), _) | (false, None, Some(_)) => Ok(()),
        (true, _, _) => Err(format!("cluster '{name}': in_cluster takes no kubeconfig or context")),
        (false, None, None) => Err(format!(
            "cluster '{name}': set one of context (of the default kubeconfig), kubeconfig (a file, with an optional context) or in_cluster = true"
        )),
    }
}

/// RFC 1123 label: what namespace names are.
fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn defaults_are_documented_ones() {
        let c = config(r#"clusters = [{ name = "dc1", context = "prod" }]"#);
        assert_eq!(c.exclude_namespaces, ["kube-system", "kube-public", "kube-node-lease"]);
        assert_eq!((c.page_size, c.service_annotation.as_str()), (500, "spot/service"));
        assert!(c.sidecar_containers.contains(&"istio-proxy".to_string()));
        assert_eq!(check(&c), Ok(()));
    }

    #[test]
    fn each_cluster_has_one_source_of_credentials() {
        let problem = |clusters: &str| check(&config(&format!("clusters = {clusters}"))).err();
        assert_eq!(problem(r#"[{ name = "a", kubeconfig = "/k", context = "x" }]"#), None);
        assert_eq!(problem(r#"[{ name = "a", in_cluster = true }]"#), None);
        assert!(problem(r#"[{ name = "a" }]"#).unwrap().contains("set one of context"));
        assert!(problem(r#"[{ name = "a", in_cluster = true, context = "x" }]"#)
            .unwrap()
            .contains("in_cluster takes no"));
        assert!(problem("[]").unwrap().starts_with("clusters must list"));
        assert_eq!(
            problem(r#"[{ name = "a", context = "x" }, { name = "a", context = "y" }]"#).unwrap(),
            "cluster 'a' is listed twice"
        );
        assert!(problem(r#"[{ name = "a/b", context = "x" }]"#).unwrap().contains("must be 1-100 letters"));
    }

    #[test]
    fn namespaces_and_page_sizes_are_checked() {
        let mut c = config("clusters = [{ name = \"dc1\", context = \"prod\" }]\nnamespaces = [\"shop\", \"pay-2\"]");
        assert_eq!(check(&c), Ok(()));
        c.exclude_namespaces.push("Kube,System".into());
        assert!(check(&c).unwrap_err().starts_with("exclude_namespaces: 'Kube,System' is not a namespace name"));
        c.exclude_namespaces.pop();
        c.page_size = 0;
        assert_eq!(check(&c).unwrap_err(), "page_size must be between 1 and 10000, not 0");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<Config>(r#"clusters = [{ name = "a", context = "x", token = "t" }]"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `token`"), "{err}");
    }
}
