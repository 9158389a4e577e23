//! Who changed an object, from its `managedFields`: each field manager
//! (`kubectl-rollout`, `helm`, `argocd-controller`, the controllers in
//! `kube-controller-manager`, …) with the time of its last write.
//!
//! The API server keeps one entry per manager (and operation and
//! subresource), stamped with the time of that manager's **latest** write,
//! to the second. So the writer of a change is found by time: the latest
//! write of the fields the change is made of. Two writes in the same
//! second are told apart by [`Managers::template_writer`]'s tie rule.

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

/// The controllers' own manager: the autoscaler scales through it, and the
/// Deployment controller writes its revision annotation with it.
pub const CONTROLLER_MANAGER: &str = "kube-controller-manager";

/// The latest writers of an object's spec and of its scale, and every
/// writer of its pod template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Managers {
    /// The latest write of the spec by someone other than a controller.
    pub spec: Option<Write>,
    /// The latest write of `spec.replicas`: through the `scale`
    /// subresource (`kubectl scale`, the autoscaler) or of the field itself.
    pub scale: Option<Write>,
    /// Each manager's latest write of `spec.template` (controllers left
    /// out), in the order the object lists them.
    pub template: Vec<TemplateWrite>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub manager: String,
    pub at: Option<DateTime<Utc>>,
}

/// A write of the pod template, and which of the fields that tell
/// revisions apart it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateWrite {
    pub write: Write,
    /// A container's `image`.
    pub images: bool,
    /// The `kubectl.kubernetes.io/restartedAt` annotation.
    pub restart: bool,
}

/// What a new revision changed, to find the writer that owns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateChange {
    Images,
    Restart,
    Other,
}

/// A write stamped up to this long after a ReplicaSet's creation still
/// counts as having made it: both are stamped by the API server to the
/// second, and the controller may create the ReplicaSet within the same
/// second as the write, or (clock steps, truncation) a hair before it.
const SAME_WRITE: chrono::Duration = chrono::Duration::seconds(1);

impl Managers {
    pub fn read(meta: &ObjectMeta) -> Managers {
        let mut managers = Managers::default();
        for entry in meta.managed_fields.iter().flatten() {
            let Some(manager) = entry.manager.clone() else { continue };
            let write = Write { manager, at: entry.time.as_ref().map(|t| t.0) };
            let fields = entry.fields_v1.as_ref().map(|fields| &fields.0);
            let spec = fields.and_then(|f| f.get("f:spec"));
            let owns_replicas = spec.is_some_and(|spec| spec.get("f:replicas").is_some());
            match entry.subresource.as_deref() {
                Some("status") => {}
                Some("scale") => keep_latest(&mut managers.scale, write),
                _ if write.manager == CONTROLLER_MANAGER => {}
                _ => {
                    if owns_replicas {
                        keep_latest(&mut managers.scale, write.clone());
                    }
                    // Without fieldsV1 nothing says which fields it wrote:
                    // it may have written the template.
                    let template = spec.and_then(|spec| spec.get("f:template"));
                    if fields.is_none() || template.is_some() {
                        managers.template.push(TemplateWrite::read(write.clone(), template));
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

    /// Who made the revision that `change` describes: the latest write of
    /// the pod template, among the writes made by the time the revision
    /// began (`by`, a ReplicaSet's creation; `None`: the current template,
    /// whoever wrote last).
    ///
    /// The tie rule, for writes stamped the same second (managedFields
    /// keep seconds): the write that owns the field the revision changed
    /// (a container's image for a rollout, `restartedAt` for a restart)
    /// wins; if that leaves several, or none owns it, the first of them by
    /// manager name, so the answer never depends on the order of the
    /// entries (the API server sorts them by operation, then time, then
    /// name).
    pub fn template_writer(&self, change: TemplateChange, by: Option<DateTime<Utc>>) -> Option<&Write> {
        let made_by_then = |w: &&TemplateWrite| match (by, w.write.at) {
            (Some(by), Some(at)) => at <= by + SAME_WRITE,
            _ => true,
        };
        self.template
            .iter()
            .filter(made_by_then)
            .max_by(|a, b| {
                let rank = |w: &TemplateWrite| (w.write.at, w.owns(change));
                rank(a).cmp(&rank(b)).then_with(|| b.write.manager.cmp(&a.write.manager))
            })
            .map(|w| &w.write)
    }
}

impl TemplateWrite {
    /// `template` is the entry's `f:template` (`None`: unknown fields).
    fn read(write: Write, template: Option<&Value>) -> TemplateWrite {
        let images = template
            .and_then(|t| t.pointer("/f:spec/f:containers"))
            .and_then(Value::as_object)
            .is_some_and(|containers| containers.values().any(|c| c.get("f:image").is_some()));
        let restart = template
            .and_then(|t| t.pointer("/f:metadata/f:annotations"))
            .is_some_and(|annotations| annotations.get(format!("f:{}", super::seen::RESTARTED_AT)).is_some());
        TemplateWrite { write, images, restart }
    }

    fn owns(&self, change: TemplateChange) -> bool {
        match change {
            TemplateChange::Images => self.images,
            TemplateChange::Restart => self.restart,
            TemplateChange::Other => false,
        }
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

    fn owning(manager: &str, at: &str, fields: Value) -> ManagedFieldsEntry {
        serde_json::from_value(json!({
            "manager": manager, "operation": "Update", "time": at, "apiVersion": "apps/v1",
            "fieldsType": "FieldsV1", "fieldsV1": { "f:spec": { "f:template": fields } },
        }))
        .unwrap()
    }

    fn image() -> Value {
        json!({ "f:spec": { "f:containers": { "k:{\"name\":\"checkout\"}": { "f:image": {} } } } })
    }

    fn restarted_at() -> Value {
        json!({ "f:metadata": { "f:annotations": { "f:kubectl.kubernetes.io/restartedAt": {} } } })
    }

    fn at(text: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc))
    }

    fn writer(managers: &Managers, change: TemplateChange, by: Option<DateTime<Utc>>) -> Option<&str> {
        managers.template_writer(change, by).map(|w| w.manager.as_str())
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

    #[test]
    fn a_revision_s_writer_is_the_latest_template_write_made_by_the_time_it_began() {
        let meta = ObjectMeta {
            managed_fields: Some(vec![
                owning("helm", "2026-03-03T09:00:00Z", image()),
                owning("kubectl-set", "2026-03-03T10:00:00Z", image()),
                // Writes no template: never a revision's writer.
                serde_json::from_value(json!({ "manager": "kubectl-label", "operation": "Update",
                    "time": "2026-03-03T11:00:00Z", "fieldsType": "FieldsV1",
                    "fieldsV1": { "f:metadata": { "f:labels": { "f:team": {} } } } }))
                .unwrap(),
            ]),
            ..ObjectMeta::default()
        };
        let managers = Managers::read(&meta);
        assert_eq!(writer(&managers, TemplateChange::Images, None), Some("kubectl-set"), "the current template");
        assert_eq!(writer(&managers, TemplateChange::Images, at("2026-03-03T09:00:01Z")), Some("helm"));
        assert_eq!(
            writer(&managers, TemplateChange::Images, at("2026-03-03T08:00:00Z")),
            None,
            "helm's earlier write is lost under its later one: nobody is named rather than the wrong one"
        );
    }

    #[test]
    fn a_tie_in_the_same_second_goes_to_the_owner_of_the_changed_field_then_to_the_first_by_name() {
        let second = "2026-03-03T09:15:00Z";
        let meta = ObjectMeta {
            managed_fields: Some(vec![
                owning("kubectl-rollout", second, restarted_at()),
                owning("helm", second, image()),
                owning("argocd-controller", second, json!({ "f:spec": { "f:serviceAccountName": {} } })),
            ]),
            ..ObjectMeta::default()
        };
        let managers = Managers::read(&meta);
        assert_eq!(writer(&managers, TemplateChange::Images, None), Some("helm"));
        assert_eq!(writer(&managers, TemplateChange::Restart, None), Some("kubectl-rollout"));
        assert_eq!(writer(&managers, TemplateChange::Other, None), Some("argocd-controller"), "first by name");
    }
}
