//! What every object's metadata gives: a namespace and a name that can be
//! part of an entity key, times, the annotations worth keeping and a
//! revision; and the counts a status leaves out when they are zero.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use super::ReadError;

/// kubectl's record of the last applied manifest: large, and a copy of
/// what the other attributes say.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// The container `kubectl logs/exec` pick by default: the main one.
pub const DEFAULT_CONTAINER: &str = "kubectl.kubernetes.io/default-container";
/// A Deployment's and its ReplicaSets' revision number.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// Annotation values longer than this are left out (certificates, manifests).
pub const MAX_ANNOTATION_BYTES: usize = 2048;

/// A timestamp in RFC 3339, to the second.
pub(super) fn time(t: &Option<Time>) -> Option<String> {
    t.as_ref().map(|t| t.0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// A namespaced object's namespace and name, both fit for an entity key,
/// or why not.
pub(crate) fn named(meta: &ObjectMeta, kind: &str) -> Result<(String, String), ReadError> {
    let name = meta.name.clone().filter(|n| !n.is_empty()).ok_or_else(|| format!("a {kind} without a name"))?;
    let namespace =
        meta.namespace.clone().filter(|n| !n.is_empty()).ok_or_else(|| format!("{kind} {name} has no namespace"))?;
    if let Some(problem) = key_part_problem(&name).or_else(|| key_part_problem(&namespace)) {
        return Err(format!("{kind} {namespace}/{name}: {problem}"));
    }
    Ok((namespace, name))
}

/// Kubernetes names are DNS labels; anything else cannot be part of a key.
fn key_part_problem(part: &str) -> Option<String> {
    let valid =
        !part.is_empty() && part.len() <= 253 && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
    (!valid).then(|| format!("'{}' cannot be part of an entity key", part.escape_debug()))
}

/// Labels as they are; annotations without kubectl's manifest copy and
/// without values too large to be useful.
pub(super) fn kept_annotations(meta: &ObjectMeta) -> BTreeMap<String, String> {
    meta.annotations
        .iter()
        .flatten()
        .filter(|(k, v)| k.as_str() != LAST_APPLIED && v.len() <= MAX_ANNOTATION_BYTES)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The revision a Deployment or ReplicaSet is at.
pub(super) fn revision_of(meta: &ObjectMeta) -> Option<u64> {
    meta.annotations.as_ref()?.get(REVISION)?.trim().parse().ok()
}

/// A count a status leaves out when it is zero.
pub(super) fn count(value: Option<i32>) -> i64 {
    i64::from(value.unwrap_or(0))
}
