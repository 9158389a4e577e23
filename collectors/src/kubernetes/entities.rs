//! From what a run kept to SPoT's entities and relations: the cluster,
//! each workload with the attributes the rest of SPoT reads, `runs_in` its
//! cluster and `deploys` from its service.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::model::{Container, PodStats, Workload};
use super::version::{majority, version_of};
use crate::{ObservedEntity, ObservedRelation};

/// Node names kept per workload (`node_count` has them all).
pub const MAX_NODES: usize = 100;

/// `cluster:<name>`.
pub fn cluster_key(cluster: &str) -> String {
    crate::keys::cluster(cluster)
}

/// `service:<name>`.
pub fn service_key(service: &str) -> String {
    crate::keys::service(service)
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
    use k8s_openapi::api::apps::v1::DaemonSet;

    use super::*;
    use crate::kubernetes::model::{Kind, Rules, WorkloadId};
    use crate::kubernetes::read::workloads::read_daemon_set;
    use crate::kubernetes::testing::{recorded, rules};

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
    fn a_workloads_link_annotations_are_kept_for_the_apis_links() {
        use k8s_openapi::api::apps::v1::Deployment;
        let mut d: Deployment = recorded(include_str!("../../tests/fixtures/kubernetes/dp.json"));
        let annotations = d.metadata.annotations.get_or_insert_with(Default::default);
        annotations.insert("a8r.io/logs".into(), "https://kibana.acme.example/app/discover#/icx-db".into());
        annotations.insert("a8r.io/runbook".into(), "https://wiki.acme.example/runbooks/icx-db".into());
        let w = crate::kubernetes::read::workloads::read_deployment(&d, &rules()).unwrap();
        let entity = workload_entity("dc1", &w, false);
        assert_eq!(
            entity.attrs["annotations"],
            json!({
                "a8r.io/logs": "https://kibana.acme.example/app/discover#/icx-db",
                "a8r.io/runbook": "https://wiki.acme.example/runbooks/icx-db",
                "deployment.kubernetes.io/revision": "1",
            }),
            "kept as they are, kubectl's manifest copy left out"
        );
    }
}
