//! Who changed an object, from its `managedFields`: each field manager
//! (`kubectl-rollout`, `helm`, `argocd-controller`, the controllers in
//! `kube-controller-manager`, …) with the time of its last write.

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// The controllers' own manager: the autoscaler scales through it, and the
/// Deployment controller writes its revision annotation with it.
pub const CONTROLLER_MANAGER: &str = "kube-controller-manager";

/// The latest writers of an object's spec and of its scale.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Managers {
    /// The latest write of the spec by someone other than a controller.
    pub spec: Option<Write>,
    /// The latest write of `spec.replicas`: through the `scale`
    /// subresource (`kubectl scale`, the autoscaler) or of the field itself.
    pub scale: Option<Write>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub manager: String,
    pub at: Option<DateTime<Utc>>,
}

impl Managers {
    pub fn read(meta: &ObjectMeta) -> Managers {
        let mut managers = Managers::default();
        for entry in meta.managed_fields.iter().flatten() {
            let Some(manager) = entry.manager.clone() else { continue };
            let write = Write { manager, at: entry.time.as_ref().map(|t| t.0) };
            let owns_replicas = entry
                .fields_v1
                .as_ref()
                .is_some_and(|fields| fields.0.get("f:spec").and_then(|spec| spec.get("f:replicas")).is_some());
            match entry.subresource.as_deref() {
                Some("status") => {}
                Some("scale") => keep_latest(&mut managers.scale, write),
                _ if write.manager == CONTROLLER_MANAGER => {}
                _ => {
                    if owns_replicas {
                        keep_latest(&mut managers.scale, write.clone());
                    }
                    keep_latest(&mut managers.spec, write);
                }
            }
        }
        managers
    }

    /// Who last scaled it: the latest writer of `spec.replicas`, else (no
    /// field ownership recorded) the spec's.
    pub fn scaler(&self) -> Option<&Write> {
        self.scale.as_ref().or(self.spec.as_ref())
    }
}

fn keep_latest(slot: &mut Option<Write>, write: Write) {
    if slot.as_ref().is_none_or(|kept| write.at >= kept.at) {
        *slot = Some(write);
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;
    use serde_json::json;

    use super::*;

    fn entry(manager: &str, subresource: Option<&str>, at: &str) -> ManagedFieldsEntry {
        serde_json::from_value(json!({
            "manager": manager, "operation": "Update", "subresource": subresource,
            "time": at, "apiVersion": "apps/v1", "fieldsType": "FieldsV1",
        }))
        .unwrap()
    }

    #[test]
    fn the_spec_s_writer_is_the_latest_that_is_no_controller() {
        let meta = ObjectMeta {
            managed_fields: Some(vec![
                entry("helm", None, "2026-03-03T09:00:00Z"),
                entry("kubectl-rollout", None, "2026-03-03T09:15:00Z"),
                entry(CONTROLLER_MANAGER, None, "2026-03-03T09:15:02Z"),
                entry(CONTROLLER_MANAGER, Some("status"), "2026-03-03T09:16:00Z"),
                entry(CONTROLLER_MANAGER, Some("scale"), "2026-03-03T08:00:00Z"),
            ]),
            ..ObjectMeta::default()
        };
        let managers = Managers::read(&meta);
        assert_eq!(managers.spec.as_ref().unwrap().manager, "kubectl-rollout", "the revision annotation is no change");
        assert_eq!(managers.scaler().unwrap().manager, CONTROLLER_MANAGER, "the template's writer did not scale it");
        let scaled_later = ObjectMeta {
            managed_fields: Some(vec![
                entry("helm", None, "2026-03-03T09:00:00Z"),
                entry(CONTROLLER_MANAGER, Some("scale"), "2026-03-03T14:02:00Z"),
            ]),
            ..ObjectMeta::default()
        };
        assert_eq!(Managers::read(&scaled_later).scaler().unwrap().manager, CONTROLLER_MANAGER);
    }
}
