//! Objects that point at workloads: a Service selects their pods, an
//! Ingress routes hosts to Services, an HPA scales one workload.

use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;

use super::meta::named;
use super::ReadError;
use crate::kubernetes::model::{Hpa, Kind, WorkloadId};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_need_every_label_and_at_least_one() {
        let pod = BTreeMap::from([("app".to_string(), "web".to_string()), ("tier".to_string(), "front".to_string())]);
        assert!(selects(&BTreeMap::from([("app".to_string(), "web".to_string())]), &pod));
        assert!(!selects(&BTreeMap::from([("app".to_string(), "api".to_string())]), &pod));
        assert!(!selects(&BTreeMap::new(), &pod), "a Service without a selector selects nothing");
    }
}
