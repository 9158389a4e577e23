//! One run: one cluster, listed resource by resource into an
//! [`Aggregator`], which makes the observation.

use std::sync::{Mutex, MutexGuard};

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod, Service};
use k8s_openapi::api::networking::v1::Ingress;
use serde::de::DeserializeOwned;

use super::aggregate::Aggregator;
use super::client::{ClusterClient, KubeError};
use super::list::{self, BadItem, Lister};
use super::model::Rules;
use super::{ClusterConfig, Config};
use crate::{Day, Observation};

/// How a resource's absence or refusal is taken.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    /// A namespace where it may not be listed is not observed; a cluster
    /// that does not serve it fails the run.
    Required,
    /// As required, but a cluster may not serve it (CronJobs before
    /// batch/v1, say): a warning then.
    Workloads,
    /// Enrichment (hosts, HPAs): refused or absent, a warning.
    Optional,
}

type Add<K> = fn(&mut Aggregator, Result<K, BadItem>);

fn lock(state: &Mutex<Aggregator>) -> MutexGuard<'_, Aggregator> {
    // A panic while holding it would have ended the run already.
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Observes one cluster. Unreachable, refused credentials, TLS and config
/// problems fail the run; forbidden namespaces make it partial.
pub async fn observe(
    cluster: &ClusterConfig,
    config: &Config,
    source: &str,
    day: Day,
) -> Result<Observation, KubeError> {
    let client = ClusterClient::connect(cluster, &config.http).await?;
    let mut obs = Observation::new(source, &cluster.name, day);
    // Any authenticated user may read /version: a failure here is the
    // cluster or the credentials, and fails the run before any list.
    let version = match client.server_version().await {
        Ok(version) => Some(version),
        Err(e) if e.is_forbidden() || e.is_not_found() => {
            obs.warnings.push(format!("the server version is not known: {e}"));
            None
        }
        Err(e) => return Err(e),
    };
    let rules = Rules {
        service_annotation: config.service_annotation.clone(),
        sidecars: config.sidecar_containers.iter().cloned().collect(),
        service_from_image: config.service_from_image,
    };
    let state = Mutex::new(Aggregator::new(&cluster.name, rules));
    list_nodes(&client, config.page_size, &state).await?;
    let mut lister =
        Lister::new(&client, &config.namespaces, &config.exclude_namespaces, config.page_size, config.http.concurrency);
    // Workloads first, then ReplicaSets (they name their Deployment), then
    // pods (their owner is a ReplicaSet or a workload).
    each::<Deployment>(&mut lister, &state, "deployments", Need::Required, Aggregator::add_deployment).await?;
    each::<StatefulSet>(&mut lister, &state, "statefulsets", Need::Workloads, Aggregator::add_stateful_set).await?;
    each::<DaemonSet>(&mut lister, &state, "daemonsets", Need::Workloads, Aggregator::add_daemon_set).await?;
    each::<CronJob>(&mut lister, &state, "cronjobs", Need::Workloads, Aggregator::add_cron_job).await?;
    each::<ReplicaSet>(&mut lister, &state, "replicasets", Need::Required, Aggregator::add_replica_set).await?;
    each::<Pod>(&mut lister, &state, "pods", Need::Required, Aggregator::add_pod).await?;
    each::<Service>(&mut lister, &state, "services", Need::Optional, Aggregator::add_service).await?;
    each::<Ingress>(&mut lister, &state, "ingresses", Need::Optional, Aggregator::add_ingress).await?;
    each::<ConfigMap>(&mut lister, &state, "configmaps", Need::Optional, Aggregator::add_config_map).await?;
    each::<HorizontalPodAutoscaler>(
        &mut lister,
        &state,
        "horizontalpodautoscalers",
        Need::Optional,
        Aggregator::add_hpa,
    )
    .await?;
    obs.warnings.append(&mut lister.notes);
    let state = state.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    state.finish(&mut obs, cluster.datacenter.as_deref(), version.as_deref());
    tracing::info!(
        collector.name = source, snapshot.scope = %cluster.name, snapshot.day = %day,
        workloads = obs.entities.len().saturating_sub(1), relations = obs.relations.len(),
        unobserved = obs.unobserved.len(), complete = obs.complete, warnings = obs.warnings.len(),
        "observed Kubernetes"
    );
    Ok(obs)
}

/// Nodes give pods their zones; without them (forbidden), pods have none.
async fn list_nodes(client: &ClusterClient, page_size: u32, state: &Mutex<Aggregator>) -> Result<(), KubeError> {
    match list::list::<Node>(client, "/api/v1/nodes", None, page_size, |node| lock(state).add_node(node)).await {
        Ok(()) => {
            lock(state).nodes_listed();
            Ok(())
        }
        Err(e) if e.is_forbidden() => {
            lock(state).warn(format!("nodes cannot be listed (HTTP 403): workloads have no zones ({e})"));
            Ok(())
        }
        Err(e) => Err(e),
    }
}

async fn each<K>(
    lister: &mut Lister<'_>,
    state: &Mutex<Aggregator>,
    resource: &'static str,
    need: Need,
    add: Add<K>,
) -> Result<(), KubeError>
where
    K: kube::Resource<DynamicType = ()> + DeserializeOwned,
{
    let on_item = |item: Result<K, BadItem>| add(&mut lock(state), item);
    let forbidden = match lister.namespaced::<K>(&on_item).await {
        Ok(forbidden) => forbidden,
        Err(e) if e.is_not_found() && need != Need::Required => {
            lock(state).warn(format!("{resource} are not observed: {e}"));
            return Ok(());
        }
        Err(e) if e.is_forbidden() && need == Need::Optional => {
            lock(state).warn(format!("{resource} are not observed: {e}"));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let mut state = lock(state);
    for namespace in forbidden {
        match need {
            Need::Optional => state.warn(format!(
                "namespace '{namespace}': listing {resource} is forbidden (HTTP 403): what they add to workloads is missing there"
            )),
            Need::Required | Need::Workloads => state.forbid(&namespace, resource),
        }
    }
    Ok(())
}
