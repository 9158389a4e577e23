//! Deployments, StatefulSets, DaemonSets and CronJobs read into
//! [`Workload`]s: what every kind shares (its key, labels, containers and
//! main container, the service it belongs to) and each kind's own replicas,
//! rollout status and schedule.

use std::collections::BTreeSet;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{json, Map};

use super::meta::{count, kept_annotations, named, revision_of, time, DEFAULT_CONTAINER};
use super::rollouts::{daemon_set_rollout_status, deployment_rollout_status, stateful_set_rollout_status};
use super::ReadError;
use crate::kubernetes::model::{Container, Kind, PodStats, Replicas, Rules, Workload, WorkloadId};
use crate::kubernetes::service_match::{service_of, service_of_image};
use crate::kubernetes::version::main_container;

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
    let (env, config_maps) =
        crate::kubernetes::wiring::container_reads(spec, &format!("{} {}/{}", kind.as_str(), id.namespace, id.name));
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
        env,
        config_maps,
    })
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
    w.rollout_status = Some(stateful_set_rollout_status(s, replicas));
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
    w.rollout_status = Some(daemon_set_rollout_status(d, replicas));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubernetes::testing::{recorded, rules};

    #[test]
    fn objects_without_usable_names_are_refused() {
        let mut d: Deployment = recorded(include_str!("../../../tests/fixtures/kubernetes/dp.json"));
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
