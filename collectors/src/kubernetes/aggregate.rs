//! Joins what a run lists into one observation: ReplicaSets onto their
//! Deployments (rollouts), pods onto their workloads (counts, nodes,
//! zones), Services and Ingresses onto the workloads they route to, HPAs
//! onto what they scale. Objects arrive in any order within a resource,
//! resources in the order `run` lists them (nodes, workloads, ReplicaSets,
//! pods, then the rest); the result does not depend on the order of items.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use rustc_hash::FxHashMap;

use super::entities;
use super::list::BadItem;
use super::model::{Hpa, Kind, Rules, Workload, WorkloadId};
use super::read::{attached, pods, rollouts, workloads, ReadError};
use super::service_match::service_of;
use crate::service_labels::{BACKSTAGE_ID, SERVICE_LABELS};
use crate::Observation;

/// A Service's name and pod selector.
type Selecting = (String, BTreeMap<String, String>);

/// Names listed in one warning at most.
const MAX_LISTED: usize = 50;

/// A run's state between its lists.
#[derive(Debug)]
pub struct Aggregator {
    cluster: String,
    rules: Rules,
    workloads: BTreeMap<WorkloadId, Workload>,
    /// (namespace, ReplicaSet) → its Deployment.
    replica_sets: FxHashMap<(String, String), String>,
    /// Node → zone; `None` until nodes were listed.
    zones: Option<FxHashMap<String, Option<String>>>,
    /// Namespace → Services (name, selector).
    services: BTreeMap<String, Vec<Selecting>>,
    /// (namespace, host, Service).
    routes: BTreeSet<(String, String, String)>,
    hpas: Vec<(WorkloadId, Hpa)>,
    /// ConfigMaps, for the addresses workloads read from them.
    config_maps: Vec<crate::wiring::ConfigMap>,
    /// Workloads whose object, or one of their ReplicaSets or pods, did not
    /// read: not observed this run. With the service, when known.
    unread: BTreeMap<WorkloadId, Option<String>>,
    /// Namespace → the required resources it may not be listed for.
    forbidden: BTreeMap<String, BTreeSet<&'static str>>,
    /// Whether the run misses something it cannot name: it closes nothing.
    partial: bool,
    warnings: Vec<String>,
    orphan_pods: u64,
}

fn meta_of(bad: &BadItem) -> ObjectMeta {
    ObjectMeta { labels: bad.labels.clone(), annotations: bad.annotations.clone(), ..ObjectMeta::default() }
}

impl Aggregator {
    pub fn new(cluster: &str, rules: Rules) -> Aggregator {
        Aggregator {
            cluster: cluster.to_string(),
            rules,
            workloads: BTreeMap::new(),
            replica_sets: FxHashMap::default(),
            zones: None,
            services: BTreeMap::new(),
            routes: BTreeSet::new(),
            hpas: Vec::new(),
            config_maps: Vec::new(),
            unread: BTreeMap::new(),
            forbidden: BTreeMap::new(),
            partial: false,
            warnings: Vec::new(),
            orphan_pods: 0,
        }
    }

    pub fn warn(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    /// Nodes were listed: pods get zones from here on.
    pub fn add_node(&mut self, node: Result<Node, BadItem>) {
        let zones = self.zones.get_or_insert_with(FxHashMap::default);
        match node.as_ref().ok().and_then(pods::zone_of) {
            Some((name, zone)) => {
                zones.insert(name, zone);
            }
            None => {
                let what = node
                    .err()
                    .map_or_else(|| "a Node without a name".into(), |b| b.describe("Node") + ": " + &b.problem);
                self.warnings.push(format!("{what}: not read; pods on it have no zone"));
            }
        }
    }

    /// Marks nodes as listed even when there were none.
    pub fn nodes_listed(&mut self) {
        self.zones.get_or_insert_with(FxHashMap::default);
    }

    pub fn add_deployment(&mut self, item: Result<Deployment, BadItem>) {
        self.add_workload(Kind::Deployment, item, workloads::read_deployment);
    }

    pub fn add_stateful_set(&mut self, item: Result<StatefulSet, BadItem>) {
        self.add_workload(Kind::StatefulSet, item, workloads::read_stateful_set);
    }

    pub fn add_daemon_set(&mut self, item: Result<DaemonSet, BadItem>) {
        self.add_workload(Kind::DaemonSet, item, workloads::read_daemon_set);
    }

    pub fn add_cron_job(&mut self, item: Result<CronJob, BadItem>) {
        self.add_workload(Kind::CronJob, item, workloads::read_cron_job);
    }

    fn add_workload<K>(
        &mut self,
        kind: Kind,
        item: Result<K, BadItem>,
        read: fn(&K, &Rules) -> Result<Workload, ReadError>,
    ) {
        let read = match item {
            Ok(object) => read(&object, &self.rules),
            Err(bad) => return self.unreadable_workload(kind, &bad),
        };
        match read {
            Ok(workload) => {
                if let Some(problem) = &workload.problem {
                    self.warnings.push(format!("{}: {problem}", workload.id.key(&self.cluster)));
                }
                self.workloads.insert(workload.id.clone(), workload);
            }
            Err(problem) => {
                // No name, or one that cannot be a key: nothing to mark.
                self.warnings.push(format!("{problem}: not observed"));
                self.partial = true;
            }
        }
    }

    /// A workload object that did not read: if it can be named, it is not
    /// observed (its facts carry forward); its service's relations carry
    /// forward too when the service can be told from its metadata, and
    /// otherwise the run closes nothing.
    fn unreadable_workload(&mut self, kind: Kind, bad: &BadItem) {
        self.warnings.push(format!("{}: not read: {}", bad.describe(kind.as_str()), bad.problem));
        let (Some(namespace), Some(name)) = (&bad.namespace, &bad.name) else {
            self.partial = true;
            return;
        };
        let service = match (&bad.labels, &bad.annotations) {
            (Some(_), Some(_)) => service_of(&meta_of(bad), None, &self.rules).0.map(|s| s.name),
            _ => None,
        };
        if service.is_none() {
            self.partial = true;
        }
        self.unread.insert(WorkloadId::new(namespace, kind, name), service);
    }

    /// Marks the workload an unreadable ReplicaSet or pod belongs to as not
    /// observed; when that cannot be told, the run closes nothing.
    fn unreadable_part(&mut self, resource: &str, bad: &BadItem) {
        self.warnings.push(format!("{}: not read: {}", bad.describe(resource), bad.problem));
        let owner = match (&bad.namespace, &bad.owner) {
            (Some(namespace), Some((kind, name))) => Some(self.owner_workload(namespace, kind, name)),
            (Some(_), None) => return, // owned by nothing: part of no workload
            (None, _) => None,
        };
        match owner {
            Some(Some(id)) => {
                let service = self.workloads.get(&id).and_then(|w| w.service_name().map(str::to_string));
                self.unread.insert(id, service);
            }
            Some(None) => {} // an owner that is no observed workload
            None => self.partial = true,
        }
    }

    pub fn add_replica_set(&mut self, item: Result<ReplicaSet, BadItem>) {
        let rs = match item.map(|rs| rollouts::read_replica_set(&rs)) {
            Ok(Ok(rs)) => rs,
            Ok(Err(problem)) => return self.warnings.push(format!("{problem}: not read")),
            Err(bad) => {
                // Pods of this ReplicaSet can still find their Deployment.
                if let (Some(ns), Some(name), Some((kind, owner))) = (&bad.namespace, &bad.name, &bad.owner) {
                    if kind == "Deployment" {
                        self.replica_sets.insert((ns.clone(), name.clone()), owner.clone());
                    }
                }
                return self.unreadable_part("ReplicaSet", &bad);
            }
        };
        let Some((deployment, uid)) = rs.deployment.clone() else { return };
        self.replica_sets.insert((rs.namespace.clone(), rs.name.clone()), deployment.clone());
        let id = WorkloadId::new(&rs.namespace, Kind::Deployment, &deployment);
        let Some(workload) = self.workloads.get_mut(&id) else { return };
        if workload.uid.as_ref().is_some_and(|known| *known != uid) {
            return; // left over from an earlier Deployment of the same name
        }
        if let Some(rollout) = rollouts::rollout_of(&rs, workload.service_name(), &self.rules.sidecars) {
            workload.rollouts.push(rollout);
        }
    }

    /// The observed workload a pod's (or ReplicaSet's) controller stands for.
    fn owner_workload(&self, namespace: &str, kind: &str, name: &str) -> Option<WorkloadId> {
        let id = match kind {
            "ReplicaSet" => {
                let deployment = self.replica_sets.get(&(namespace.to_string(), name.to_string()))?;
                WorkloadId::new(namespace, Kind::Deployment, deployment)
            }
            "Deployment" => WorkloadId::new(namespace, Kind::Deployment, name),
            "StatefulSet" => WorkloadId::new(namespace, Kind::StatefulSet, name),
            "DaemonSet" => WorkloadId::new(namespace, Kind::DaemonSet, name),
            "Job" => WorkloadId::new(namespace, Kind::CronJob, pods::cron_job_of_job(name)?),
            _ => return None,
        };
        (self.workloads.contains_key(&id) || self.unread.contains_key(&id)).then_some(id)
    }

    pub fn add_pod(&mut self, item: Result<Pod, BadItem>) {
        let pod = match item.map(|pod| pods::read_pod(&pod)) {
            Ok(Ok(pod)) => pod,
            Ok(Err(problem)) => return self.warnings.push(format!("{problem}: not read")),
            Err(bad) => return self.unreadable_part("Pod", &bad),
        };
        let id = pod.owner.as_ref().and_then(|(kind, name)| self.owner_workload(&pod.namespace, kind, name));
        let Some(workload) = id.and_then(|id| self.workloads.get_mut(&id)) else {
            self.orphan_pods += 1;
            return;
        };
        let zone = match (&self.zones, &pod.node) {
            (Some(zones), Some(node)) => zones.get(node).and_then(|z| z.as_deref()),
            _ => None,
        };
        workload.pods.add(&pod, zone, &workload.containers);
    }

    pub fn add_service(&mut self, item: Result<Service, BadItem>) {
        match item
            .map_err(|bad| format!("{}: {}", bad.describe("Service"), bad.problem))
            .and_then(|s| attached::read_service(&s))
        {
            Ok((namespace, name, selector)) => self.services.entry(namespace).or_default().push((name, selector)),
            Err(problem) => self.warnings.push(format!("{problem}: not read; hosts may be missing")),
        }
    }

    pub fn add_ingress(&mut self, item: Result<Ingress, BadItem>) {
        match item
            .map_err(|bad| format!("{}: {}", bad.describe("Ingress"), bad.problem))
            .and_then(|i| attached::read_ingress(&i))
        {
            Ok((namespace, routes)) => {
                self.routes.extend(routes.into_iter().map(|(host, service)| (namespace.clone(), host, service)));
            }
            Err(problem) => self.warnings.push(format!("{problem}: not read; hosts may be missing")),
        }
    }

    pub fn add_hpa(&mut self, item: Result<HorizontalPodAutoscaler, BadItem>) {
        let read = item
            .map_err(|bad| format!("{}: {}", bad.describe("HorizontalPodAutoscaler"), bad.problem))
            .and_then(|h| attached::read_hpa(&h));
        match read {
            Ok(Some(hpa)) => self.hpas.push(hpa),
            Ok(None) => {}
            Err(problem) => self.warnings.push(format!("{problem}: not read")),
        }
    }

    pub fn add_config_map(&mut self, item: Result<ConfigMap, BadItem>) {
        // Values are never quoted: a ConfigMap may hold what should be a
        // secret, so of what did not read only the path at fault is said.
        match item
            .map_err(|bad| {
                let at = bad.problem.split(": ").next().unwrap_or_default();
                format!("{}: {at} does not read", bad.describe("ConfigMap"))
            })
            .and_then(|m| super::wiring::read_config_map(&m))
        {
            Ok(map) => self.config_maps.push(map),
            Err(problem) => self.warnings.push(format!("{problem}: not read; dependencies it declares may be missing")),
        }
    }

    /// A required resource may not be listed in `namespace`.
    pub fn forbid(&mut self, namespace: &str, resource: &'static str) {
        self.forbidden.entry(namespace.to_string()).or_default().insert(resource);
    }

    /// The observation: the cluster, its workloads and their relations.
    pub fn finish(mut self, obs: &mut Observation, datacenter: Option<&str>, version: Option<&str>) {
        self.drop_unobserved(obs);
        self.join_services();
        for (id, hpa) in std::mem::take(&mut self.hpas) {
            if let Some(workload) = self.workloads.get_mut(&id) {
                workload.hpa = Some(hpa);
            }
        }
        self.warn_unmapped();
        let cluster = self.cluster.clone();
        let zones_known = self.zones.is_some();
        obs.entities.push(entities::cluster_entity(&cluster, datacenter, version));
        let (resources, dependencies) = super::wiring::depends_on(&self.workloads, &self.services, &self.config_maps);
        obs.entities.extend(resources);
        obs.relations.extend(dependencies);
        for workload in self.workloads.values_mut() {
            rollouts::bound_rollouts(&mut workload.rollouts);
            obs.entities.push(entities::workload_entity(&cluster, workload, zones_known));
            obs.relations.extend(entities::workload_relations(&cluster, workload));
        }
        if self.orphan_pods > 0 {
            tracing::debug!(kubernetes.cluster = %cluster, pods = self.orphan_pods, "pods of no observed workload");
        }
        obs.complete = obs.complete && !self.partial;
        obs.warnings.append(&mut self.warnings);
        obs.unobserved.sort();
        obs.unobserved.dedup();
    }

    /// Workloads of forbidden namespaces, and those that did not read, are
    /// left out and listed as unobserved: their last facts carry forward.
    fn drop_unobserved(&mut self, obs: &mut Observation) {
        for (namespace, resources) in &self.forbidden {
            let resources: Vec<&str> = resources.iter().copied().collect();
            self.warnings.push(format!(
                "namespace '{namespace}': listing {} is forbidden (HTTP 403): the namespace is not observed and nothing in it is closed",
                resources.join(", ")
            ));
            obs.complete = false;
        }
        let forbidden: Vec<WorkloadId> =
            self.workloads.keys().filter(|id| self.forbidden.contains_key(&id.namespace)).cloned().collect();
        for id in forbidden {
            let service = self.workloads.get(&id).and_then(|w| w.service_name().map(str::to_string));
            self.unread.insert(id, service);
        }
        for (id, service) in std::mem::take(&mut self.unread) {
            self.workloads.remove(&id);
            obs.unobserved.push(id.key(&self.cluster));
            if let Some(service) = service {
                obs.unobserved.push(entities::service_key(&service));
            }
        }
    }

    /// Services onto the workloads whose pods they select; Ingress hosts
    /// onto the workloads behind their Services.
    fn join_services(&mut self) {
        let mut behind: BTreeMap<(String, String), Vec<WorkloadId>> = BTreeMap::new();
        for (namespace, services) in &self.services {
            let start = WorkloadId::new(namespace, Kind::CronJob, "");
            let in_namespace: Vec<WorkloadId> = self
                .workloads
                .range(start..)
                .take_while(|(id, _)| &id.namespace == namespace)
                .map(|(id, _)| id.clone())
                .collect();
            for (service, selector) in services {
                for id in &in_namespace {
                    let Some(workload) = self.workloads.get_mut(id) else { continue };
                    if attached::selects(selector, &workload.pod_labels) {
                        workload.k8s_services.insert(service.clone());
                        behind.entry((namespace.clone(), service.clone())).or_default().push(id.clone());
                    }
                }
            }
        }
        for (namespace, host, service) in &self.routes {
            for id in behind.get(&(namespace.clone(), service.clone())).into_iter().flatten() {
                if let Some(workload) = self.workloads.get_mut(id) {
                    workload.hosts.insert(host.clone());
                }
            }
        }
    }

    fn warn_unmapped(&mut self) {
        let unmapped: Vec<String> =
            self.workloads.values().filter(|w| w.service.is_none()).map(|w| w.id.key(&self.cluster)).collect();
        if unmapped.is_empty() {
            return;
        }
        let shown = unmapped.iter().take(MAX_LISTED).cloned().collect::<Vec<_>>().join(", ");
        let more = unmapped.len().saturating_sub(MAX_LISTED);
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        let image = if self.rules.service_from_image { ", nor an image that names one" } else { "" };
        self.warnings.push(format!(
            "{} workloads map to no service (no {} annotation, {BACKSTAGE_ID}, {} or {} label{image}), so no deploys relation: {shown}{more}",
            unmapped.len(),
            self.rules.service_annotation,
            SERVICE_LABELS[0],
            SERVICE_LABELS[1],
        ));
    }
}
