//! Deployments, ReplicaSets and events as an API server writes them, and
//! the changes a cluster makes to them (a scale, a new image, a restart, a
//! stalled rollout), to script a [`super::fake::FakeApi`] in tests and
//! benchmarks. Times are given, never read from the clock.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

pub const DEPLOYMENTS: &str = "/apis/apps/v1/deployments";
pub const STATEFULSETS: &str = "/apis/apps/v1/statefulsets";
pub const DAEMONSETS: &str = "/apis/apps/v1/daemonsets";
pub const REPLICASETS: &str = "/apis/apps/v1/replicasets";
pub const HPAS: &str = "/apis/autoscaling/v2/horizontalpodautoscalers";
pub const EVENTS: &str = "/apis/events.k8s.io/v1/events";

/// A timestamp as Kubernetes writes it; milliseconds when there are some
/// (a real server writes seconds; the benchmark measures lag in ms).
pub fn time(at: DateTime<Utc>) -> String {
    let format = if at.timestamp_subsec_millis() == 0 { SecondsFormat::Secs } else { SecondsFormat::Millis };
    at.to_rfc3339_opts(format, true)
}

/// A Deployment `name` in `namespace` running `image`, complete at
/// `replicas`, revision 1, written by `manager` at `at`.
pub fn deployment(namespace: &str, name: &str, uid: &str, image: &str, replicas: i64, at: DateTime<Utc>) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {
            "name": name, "namespace": namespace, "uid": uid, "generation": 1,
            "creationTimestamp": time(at),
            "labels": { "app.kubernetes.io/name": name },
            "annotations": { "deployment.kubernetes.io/revision": "1" },
            "managedFields": [ managed("helm", None, at) ],
        },
        "spec": {
            "replicas": replicas,
            "selector": { "matchLabels": { "app": name } },
            "template": {
                "metadata": { "labels": { "app": name } },
                "spec": { "containers": [ { "name": name, "image": image } ] }
            },
            "progressDeadlineSeconds": 600
        },
        "status": complete_status(replicas, 1),
    })
}

/// A `managedFields` entry: through the scale subresource it owns
/// `spec.replicas`, else the pod template's images.
pub fn managed(manager: &str, subresource: Option<&str>, at: DateTime<Utc>) -> Value {
    let fields = match subresource {
        Some("scale") => json!({ "f:spec": { "f:replicas": {} } }),
        _ => template_fields(false),
    };
    managed_fields(manager, subresource, at, fields)
}

/// The `fieldsV1` of a write of the pod template's containers' images
/// (and, for a `kubectl rollout restart`, only its `restartedAt`), as the
/// API server records them.
pub fn template_fields(restart: bool) -> Value {
    if restart {
        return json!({ "f:spec": { "f:template": { "f:metadata": { "f:annotations": {
            ".": {}, "f:kubectl.kubernetes.io/restartedAt": {} } } } } });
    }
    json!({ "f:spec": { "f:template": { "f:spec": { "f:containers": {
        "k:{\"name\":\"main\"}": { ".": {}, "f:image": {}, "f:name": {} } } } } } })
}

/// A `managedFields` entry owning `fields`.
pub fn managed_fields(manager: &str, subresource: Option<&str>, at: DateTime<Utc>, fields: Value) -> Value {
    let mut entry = json!({ "manager": manager, "operation": "Update", "apiVersion": "apps/v1", "time": time(at), "fieldsType": "FieldsV1", "fieldsV1": fields });
    if let Some(subresource) = subresource {
        entry["subresource"] = json!(subresource);
    }
    entry
}

fn complete_status(replicas: i64, generation: i64) -> Value {
    json!({
        "observedGeneration": generation, "replicas": replicas, "updatedReplicas": replicas,
        "readyReplicas": replicas, "availableReplicas": replicas,
        "conditions": [
            { "type": "Available", "status": "True", "reason": "MinimumReplicasAvailable" },
            { "type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable" }
        ]
    })
}

/// Records `manager` as the latest writer (of the spec, or of a subresource).
pub fn written_by(object: &mut Value, manager: &str, subresource: Option<&str>, at: DateTime<Utc>) {
    written(object, managed(manager, subresource, at));
}

/// Records a `managedFields` entry, in place of its manager's earlier one
/// (the API server keeps one per manager, operation and subresource).
pub fn written(object: &mut Value, entry: Value) {
    let entries = object["metadata"]["managedFields"].as_array_mut().expect("objects made here have managedFields");
    entries.retain(|e| !(e["manager"] == entry["manager"] && e.get("subresource") == entry.get("subresource")));
    entries.push(entry);
}

/// Scaled to `replicas` through the scale subresource (by the autoscaler,
/// `kube-controller-manager`, or `kubectl scale`), and settled there.
pub fn scaled(deployment: &mut Value, replicas: i64, manager: &str, at: DateTime<Utc>) {
    deployment["spec"]["replicas"] = json!(replicas);
    written_by(deployment, manager, Some("scale"), at);
    let generation = bump_generation(deployment);
    deployment["status"] = complete_status(replicas, generation);
}

fn bump_generation(object: &mut Value) -> i64 {
    let generation = object["metadata"]["generation"].as_i64().unwrap_or(1) + 1;
    object["metadata"]["generation"] = json!(generation);
    generation
}

/// A new pod template (`image`; `restarted_at` for a restart), its rollout
/// begun at `revision`: nothing of it is up yet.
pub fn new_template(
    deployment: &mut Value,
    image: &str,
    restarted_at: Option<DateTime<Utc>>,
    revision: u64,
    manager: &str,
    at: DateTime<Utc>,
) {
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image);
    if let Some(restarted_at) = restarted_at {
        deployment["spec"]["template"]["metadata"]["annotations"] =
            json!({ "kubectl.kubernetes.io/restartedAt": time(restarted_at) });
    }
    written(deployment, managed_fields(manager, None, at, template_fields(restarted_at.is_some())));
    let generation = bump_generation(deployment);
    deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!(revision.to_string());
    progressing(deployment, 0, generation);
}

/// A rollout under way with `updated` replicas of the new revision.
pub fn progressing(deployment: &mut Value, updated: i64, generation: i64) {
    let replicas = deployment["spec"]["replicas"].as_i64().unwrap_or(1);
    deployment["status"] = json!({
        "observedGeneration": generation, "replicas": replicas + updated, "updatedReplicas": updated,
        "readyReplicas": replicas, "availableReplicas": replicas,
        "conditions": [ { "type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated" } ]
    });
}

/// The rollout finished: every replica is of the new revision.
pub fn completed(deployment: &mut Value) {
    let replicas = deployment["spec"]["replicas"].as_i64().unwrap_or(1);
    let generation = deployment["metadata"]["generation"].as_i64().unwrap_or(1);
    deployment["status"] = complete_status(replicas, generation);
}

/// The rollout made no progress within its deadline.
pub fn stalled(deployment: &mut Value) {
    let generation = deployment["metadata"]["generation"].as_i64().unwrap_or(1);
    deployment["status"]["observedGeneration"] = json!(generation);
    deployment["status"]["conditions"] = json!([
        { "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
          "message": "ReplicaSet has timed out progressing." }
    ]);
}

/// Paused or resumed by `manager`.
pub fn paused(deployment: &mut Value, paused: bool, manager: &str, at: DateTime<Utc>) {
    deployment["spec"]["paused"] = json!(paused);
    written_by(deployment, manager, None, at);
    bump_generation(deployment);
}

/// The ReplicaSet of `deployment`'s current template at `revision`, made at `at`.
pub fn replica_set(deployment: &Value, uid: &str, revision: u64, at: DateTime<Utc>) -> Value {
    let name = deployment["metadata"]["name"].as_str().unwrap_or_default();
    let hash = format!("{:x}", revision * 7919 + 1000);
    let mut template = deployment["spec"]["template"].clone();
    template["metadata"]["labels"]["pod-template-hash"] = json!(hash);
    json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {
            "name": format!("{name}-{hash}"), "namespace": deployment["metadata"]["namespace"], "uid": uid,
            "creationTimestamp": time(at),
            "annotations": { "deployment.kubernetes.io/revision": revision.to_string() },
            "ownerReferences": [ { "apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                                   "uid": deployment["metadata"]["uid"], "controller": true } ],
        },
        "spec": { "replicas": deployment["spec"]["replicas"], "template": template },
    })
}

/// The Deployment controller scaled an old ReplicaSet to zero, its
/// rollout done.
pub fn scaled_down(replica_set: &mut Value) {
    replica_set["spec"]["replicas"] = json!(0);
    replica_set["status"] = json!({ "replicas": 0, "observedGeneration": 2 });
}

/// `kubectl rollout undo` by `manager` at `at`: the Deployment's template
/// is `old`'s again, and `old` becomes revision `revision`; the rollout
/// back has begun.
pub fn undo(deployment: &mut Value, old: &mut Value, revision: u64, manager: &str, at: DateTime<Utc>) {
    let mut template = old["spec"]["template"].clone();
    if let Some(labels) = template["metadata"]["labels"].as_object_mut() {
        labels.remove("pod-template-hash");
    }
    deployment["spec"]["template"] = template;
    written(deployment, managed_fields(manager, None, at, template_fields(false)));
    let generation = bump_generation(deployment);
    deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!(revision.to_string());
    progressing(deployment, 0, generation);
    reused(old, revision);
}

/// `kubectl rollout undo`: the old ReplicaSet becomes revision `revision`.
pub fn reused(replica_set: &mut Value, revision: u64) {
    let history = replica_set["metadata"]["annotations"]["deployment.kubernetes.io/revision"].clone();
    replica_set["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!(revision.to_string());
    replica_set["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] = history;
}

/// A Warning event about `pod` (`<replicaset>-<suffix>`) seen `count`
/// times, the first and last at `at`, in the kubelet's shape.
pub fn warning(
    namespace: &str,
    uid: &str,
    pod: &str,
    reason: &str,
    note: &str,
    count: i64,
    at: DateTime<Utc>,
) -> Value {
    kubelet_warning(namespace, uid, pod, (reason, note), count, at, at)
}

/// A Warning the kubelet reported about `pod`, `count` times from `first`
/// to `last`, as `events.k8s.io/v1` serves an event of the core/v1
/// recorder: `eventTime` null, the occurrences and count in the
/// `deprecated…` fields, the reporter in `deprecatedSource`.
pub fn kubelet_warning(
    namespace: &str,
    uid: &str,
    pod: &str,
    (reason, note): (&str, &str),
    count: i64,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
) -> Value {
    json!({
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": { "name": format!("{pod}.{uid}"), "namespace": namespace, "uid": uid, "creationTimestamp": time(first) },
        "eventTime": null,
        "type": "Warning", "reason": reason, "note": note,
        "regarding": { "kind": "Pod", "namespace": namespace, "name": pod, "apiVersion": "v1", "fieldPath": "spec.containers{main}" },
        "reportingController": "kubelet", "reportingInstance": "node-1",
        "deprecatedSource": { "component": "kubelet", "host": "node-1" },
        "deprecatedCount": count, "deprecatedFirstTimestamp": time(first), "deprecatedLastTimestamp": time(last),
    })
}

/// A `FailedScheduling` the scheduler reported about `pod`, as the
/// `events.k8s.io/v1` recorder writes it: `eventTime` (microseconds) at
/// the first occurrence, and once it repeats a `series` with the count and
/// the latest occurrence; no `deprecated…` fields.
pub fn scheduler_warning(
    namespace: &str,
    uid: &str,
    pod: &str,
    note: &str,
    count: i64,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
) -> Value {
    let micro = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Micros, true);
    let mut event = json!({
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": { "name": format!("{pod}.{uid}"), "namespace": namespace, "uid": uid, "creationTimestamp": time(first) },
        "eventTime": micro(first),
        "type": "Warning", "reason": "FailedScheduling", "note": note, "action": "Scheduling",
        "regarding": { "kind": "Pod", "namespace": namespace, "name": pod, "apiVersion": "v1" },
        "reportingController": "default-scheduler", "reportingInstance": "default-scheduler-control-plane-1",
    });
    if count > 1 {
        event["series"] = json!({ "count": count, "lastObservedTime": micro(last) });
    }
    event
}

/// A HorizontalPodAutoscaler of `deployment` wanting `desired` replicas.
pub fn hpa(deployment: &Value, uid: &str, desired: i64) -> Value {
    json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": { "name": deployment["metadata"]["name"], "namespace": deployment["metadata"]["namespace"], "uid": uid },
        "spec": { "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": deployment["metadata"]["name"] },
                  "minReplicas": 2, "maxReplicas": 20 },
        "status": { "currentReplicas": desired, "desiredReplicas": desired },
    })
}
