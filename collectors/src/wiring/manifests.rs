//! Kubernetes manifests as wiring: each workload (Deployment, StatefulSet,
//! DaemonSet, Job, CronJob, Argo Rollout) with its pod labels, main image,
//! its containers' `env` values, `valueFrom.configMapKeyRef` and
//! `envFrom.configMapRef`; each ConfigMap's data; each Service's selector.

use std::collections::BTreeMap;

use yaml_serde::Value;

use super::{ConfigMap, ConfigMapUse, KubeService, Reference, Unit, Via, Wiring};

const WORKLOAD_KINDS: [&str; 6] = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Rollout"];

/// Adds what one parsed document (or `List`) declares to `wiring`.
pub fn read_document(file: &str, document: &Value, wiring: &mut Wiring) {
    if text(document, &["kind"]) == Some("List") {
        for item in document.get("items").and_then(Value::as_sequence).into_iter().flatten() {
            read_document(file, item, wiring);
        }
        return;
    }
    let Some(kind) = text(document, &["kind"]) else { return };
    let Some(name) = text(document, &["metadata", "name"]) else { return };
    let namespace = text(document, &["metadata", "namespace"]).map(str::to_string);
    match kind {
        "ConfigMap" => wiring.config_maps.push(ConfigMap {
            name: name.to_string(),
            namespace,
            file: file.to_string(),
            data: string_map(document.get("data")),
        }),
        "Service" => wiring.services.push(KubeService {
            name: name.to_string(),
            namespace,
            selector: string_map(document.get("spec").and_then(|s| s.get("selector"))),
        }),
        _ if WORKLOAD_KINDS.contains(&kind) => {
            if let Some(unit) = workload(file, kind, name, namespace, document) {
                wiring.units.push(unit);
            }
        }
        _ => {}
    }
}

fn workload(file: &str, kind: &str, name: &str, namespace: Option<String>, document: &Value) -> Option<Unit> {
    let spec = document.get("spec")?;
    let pod = match kind {
        "CronJob" => spec.get("jobTemplate")?.get("spec")?.get("template")?,
        _ => spec.get("template")?,
    };
    let containers: Vec<&Value> =
        pod.get("spec").and_then(|s| s.get("containers")).and_then(Value::as_sequence).into_iter().flatten().collect();
    let mut unit = Unit {
        name: name.to_string(),
        namespace,
        file: file.to_string(),
        labels: string_map(pod.get("metadata").and_then(|m| m.get("labels"))),
        image: containers.first().and_then(|c| text(c, &["image"])).map(str::to_string),
        ..Unit::default()
    };
    for container in containers {
        read_container(file, container, &mut unit);
    }
    Some(unit)
}

/// A container's `env` (plain values and ConfigMap keys) and `envFrom`.
fn read_container(file: &str, container: &Value, unit: &mut Unit) {
    for variable in container.get("env").and_then(Value::as_sequence).into_iter().flatten() {
        let Some(name) = text(variable, &["name"]) else { continue };
        if let Some(value) = scalar(variable.get("value")) {
            unit.references.push(Reference {
                via: Via::Env,
                variable: name.to_string(),
                value,
                file: file.to_string(),
                is_name: false,
            });
        } else if let Some(key_ref) = variable.get("valueFrom").and_then(|v| v.get("configMapKeyRef")) {
            if let (Some(map), Some(key)) = (text(key_ref, &["name"]), text(key_ref, &["key"])) {
                unit.config_maps
                    .push(ConfigMapUse { name: map.to_string(), key: Some((key.to_string(), name.to_string())) });
            }
        }
    }
    for source in container.get("envFrom").and_then(Value::as_sequence).into_iter().flatten() {
        if let Some(map) = text(source, &["configMapRef", "name"]) {
            unit.config_maps.push(ConfigMapUse { name: map.to_string(), key: None });
        }
    }
}

pub(super) fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut current = value;
    for key in path {
        current = current.get(*key)?;
    }
    current.as_str()
}

/// Strings, numbers and booleans as text (`PORT: 8080` is a value too).
pub(super) fn scalar(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    let Some(map) = value.and_then(Value::as_mapping) else { return BTreeMap::new() };
    map.iter().filter_map(|(k, v)| Some((k.as_str()?.to_string(), scalar(Some(v))?))).collect()
}
