//! Service-to-service dependencies a cluster's objects declare, read with
//! the same rules as a repository's manifests ([`crate::wiring`]): each
//! workload's container env values and the ConfigMaps it reads
//! (`envFrom.configMapRef`, `valueFrom.configMapKeyRef`), resolved through
//! the Services of its namespace to the workloads they select and the
//! services those belong to. Edges are `depends_on` with `via: kubernetes`,
//! `variable` and `object` (the workload or ConfigMap that says so);
//! workloads running a third-party database, cache or queue image are
//! `resource` entities. ConfigMap values are only matched, never logged
//! nor stored.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap as K8sConfigMap, PodSpec};
use serde_json::json;

use super::entities::service_key;
use super::model::{Workload, WorkloadId};
use super::read::meta::named;
use super::read::ReadError;
use crate::wiring::{self, resolve::Services, ConfigMap, ConfigMapUse, KubeService, Reference, Unit, Via, Wiring};
use crate::{ObservedEntity, ObservedRelation};

/// ConfigMap values longer than this are not addresses (dashboards,
/// scripts, certificates): not kept.
const MAX_VALUE_BYTES: usize = 2048;

/// What a pod template's containers read: env values (as references) and
/// ConfigMaps. `object` names the workload (`Deployment shop/frontend`).
pub fn container_reads(spec: Option<&PodSpec>, object: &str) -> (Vec<Reference>, Vec<ConfigMapUse>) {
    let (mut references, mut config_maps) = (Vec::new(), Vec::new());
    for container in spec.map(|s| s.containers.as_slice()).unwrap_or_default() {
        for variable in container.env.iter().flatten() {
            if let Some(value) = variable.value.as_ref().filter(|v| !v.is_empty()) {
                references.push(Reference {
                    via: Via::Kubernetes,
                    variable: variable.name.clone(),
                    value: value.clone(),
                    file: object.to_string(),
                    is_name: false,
                });
            } else if let Some(key_ref) = variable.value_from.as_ref().and_then(|f| f.config_map_key_ref.as_ref()) {
                config_maps.push(ConfigMapUse {
                    name: key_ref.name.clone(),
                    key: Some((key_ref.key.clone(), variable.name.clone())),
                });
            }
        }
        for source in container.env_from.iter().flatten() {
            if let Some(map) = &source.config_map_ref {
                config_maps.push(ConfigMapUse { name: map.name.clone(), key: None });
            }
        }
    }
    (references, config_maps)
}

/// A ConfigMap's string data, long values left out.
pub fn read_config_map(map: &K8sConfigMap) -> Result<ConfigMap, ReadError> {
    let (namespace, name) = named(&map.metadata, "ConfigMap")?;
    let data = map
        .data
        .iter()
        .flatten()
        .filter(|(_, value)| value.len() <= MAX_VALUE_BYTES)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(ConfigMap { file: format!("ConfigMap {namespace}/{name}"), name, namespace: Some(namespace), data })
}

/// The services of the cluster's workloads, as the wiring's owners.
struct ClusterServices<'a> {
    /// (namespace, workload name) → service name.
    by_workload: BTreeMap<(&'a str, &'a str), &'a str>,
    names: Vec<String>,
}

impl Services for ClusterServices<'_> {
    fn owner(&self, unit: &Unit) -> Option<String> {
        let namespace = unit.namespace.as_deref()?;
        self.by_workload.get(&(namespace, unit.name.as_str())).map(|name| service_key(name))
    }

    fn named(&self, name: &str) -> Option<String> {
        self.names.iter().any(|n| n == name).then(|| service_key(name))
    }

    fn names(&self) -> Vec<String> {
        self.names.clone()
    }
}

/// A Service's name and pod selector.
type Selecting = (String, BTreeMap<String, String>);

/// `depends_on` relations and `resource` entities the cluster declares.
pub fn depends_on(
    workloads: &BTreeMap<WorkloadId, Workload>,
    services: &BTreeMap<String, Vec<Selecting>>,
    config_maps: &[ConfigMap],
) -> (Vec<ObservedEntity>, Vec<ObservedRelation>) {
    let mut wiring = Wiring { config_maps: config_maps.to_vec(), ..Wiring::default() };
    for (namespace, list) in services {
        wiring.services.extend(list.iter().map(|(name, selector)| KubeService {
            name: name.clone(),
            namespace: Some(namespace.clone()),
            selector: selector.clone(),
        }));
    }
    for workload in workloads.values() {
        wiring.units.push(Unit {
            name: workload.id.name.clone(),
            namespace: Some(workload.id.namespace.clone()),
            file: format!("{} {}/{}", workload.id.kind.as_str(), workload.id.namespace, workload.id.name),
            labels: workload.pod_labels.clone(),
            image: workload.main.and_then(|i| workload.containers.get(i)).map(|c| c.image.clone()),
            references: workload.env.clone(),
            config_maps: workload.config_maps.clone(),
            ..Unit::default()
        });
    }
    let mut names: Vec<String> = workloads.values().filter_map(|w| w.service_name().map(str::to_string)).collect();
    names.sort();
    names.dedup();
    let owners = ClusterServices {
        by_workload: workloads
            .values()
            .filter_map(|w| Some(((w.id.namespace.as_str(), w.id.name.as_str()), w.service_name()?)))
            .collect(),
        names,
    };
    let resolved = wiring::resolve(&wiring, &owners);
    let entities = resolved
        .resources
        .iter()
        .map(|r| ObservedEntity {
            key: r.key.clone(),
            kind: "resource".into(),
            name: r.name.clone(),
            attrs: json!({ "type": r.kind, "engine": r.engine, "image": r.image })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    let relations = resolved
        .edges
        .iter()
        .map(|e| ObservedRelation {
            from: e.from.clone(),
            to: e.to.clone(),
            kind: "depends_on".into(),
            attrs: json!({ "via": Via::Kubernetes.as_str(), "variable": e.variable, "object": e.file })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    (entities, relations)
}
