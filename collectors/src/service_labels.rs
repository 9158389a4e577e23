//! The labels and annotation that name a workload's service in a
//! Kubernetes object, whoever reads the object: the Kubernetes collector
//! (objects a cluster runs, [`crate::kubernetes::service_match`]) and
//! `manifests::declared` (objects a repository declares). Kept here, in
//! neither, so both match a workload to the same service by the same names.

/// Labels naming a workload's service, in the order they are tried (after
/// the configured annotation and the Backstage id).
pub const SERVICE_LABELS: [&str; 2] = ["app.kubernetes.io/name", "app"];
/// Backstage's convention: the catalog entity a Kubernetes object belongs
/// to, as a label (or an annotation, where a label value cannot hold it).
pub const BACKSTAGE_ID: &str = "backstage.io/kubernetes-id";
