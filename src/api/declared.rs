//! What a service's repositories declare for it (manifests, kustomize
//! overlays, Helm values), kept apart from what runs: a declared version is
//! an intention read from a file, never a deploy nor a cluster's version
//! (docs/declared.md).

use async_graphql::{Context, Result, SimpleObject};
use serde_json::Value;

use super::context::{load_entity, store, store_error};
use super::deploys::is_declared;
use crate::model::{Day, Direction};

/// One workload a repository declares for the service, as of the day.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct DeclaredVersion {
    /// `workload:declared/<org>/<repo>/<where>/<Kind>/<name>`.
    pub workload: String,
    pub name: String,
    /// `Deployment`, …; `Helm` for a chart's values.
    pub kind: String,
    /// The tag of the service's own image; null for a Job or CronJob (its
    /// image is no version of the service) and for an untagged image.
    pub version: Option<String>,
    pub image: Option<String>,
    /// The manifest, the kustomization's folder, or the values file.
    pub file: String,
    /// `manifest`, `kustomize` or `helm`.
    pub via: String,
    /// `deploy`, `test` (a test overlay or fixture) or `example` (examples,
    /// samples, docs, extras), from the folders it is declared in.
    pub purpose: String,
    /// `service` (it runs the service's own image) or `job`.
    pub role: String,
    /// `<org>/<repo>` that declares it.
    pub repository: String,
    /// Whether it is the service's declared version: meant to be deployed,
    /// and with a version. Tests and examples are listed, never counted.
    pub counted: bool,
}

/// The workloads the service's repositories declare for it on `day`: those
/// meant to be deployed first, then tests, then examples, each by file.
pub async fn declared_versions(ctx: &Context<'_>, service: &str, day: Day) -> Result<Vec<DeclaredVersion>> {
    let relations = match store(ctx)?.relations(service, day, Direction::Out, &["deploys".to_string()]).await {
        Err(crate::StoreError::NotFound { .. }) => return Ok(Vec::new()),
        other => other.map_err(store_error)?,
    };
    let mut found = Vec::new();
    for relation in relations.into_iter().filter(|r| is_declared(&r.to)) {
        let Some(state) = load_entity(ctx, &relation.to, day).await? else { continue };
        let Some(fact) = state.facts.first() else { continue };
        found.push(declared_version(&relation.to, &state.entity.name, &fact.attrs, &relation.attrs));
    }
    let rank = |purpose: &str| ["deploy", "test", "example"].iter().position(|p| *p == purpose).unwrap_or(3);
    found.sort_by(|a, b| (rank(&a.purpose), &a.file, &a.workload).cmp(&(rank(&b.purpose), &b.file, &b.workload)));
    Ok(found)
}

/// One row from the workload's attributes and its `deploys` relation's
/// (whose `version` is the service's, left out for Jobs and third parties).
fn declared_version(
    key: &str,
    name: &str,
    attrs: &serde_json::Map<String, Value>,
    relation: &serde_json::Map<String, Value>,
) -> DeclaredVersion {
    let text =
        |map: &serde_json::Map<String, Value>, field: &str| map.get(field).and_then(Value::as_str).map(str::to_string);
    let version = text(relation, "version");
    // Workloads recorded before purposes were read are taken as meant to
    // be deployed, as they were shown then.
    let purpose = text(attrs, "purpose").unwrap_or_else(|| "deploy".into());
    DeclaredVersion {
        workload: key.to_string(),
        name: name.to_string(),
        kind: text(attrs, "kind").unwrap_or_default(),
        counted: purpose == "deploy" && version.is_some(),
        version,
        image: text(attrs, "image"),
        file: text(attrs, "declared_in").unwrap_or_default(),
        via: text(attrs, "via").unwrap_or_default(),
        purpose,
        role: text(attrs, "role").unwrap_or_else(|| "service".into()),
        repository: repository_of(key),
    }
}

/// `workload:declared/acme/shop/deploy/x.yaml/Deployment/shop` → `acme/shop`.
fn repository_of(key: &str) -> String {
    let rest = key.strip_prefix(crate::model::DECLARED_WORKLOAD).unwrap_or(key);
    rest.splitn(3, '/').take(2).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> serde_json::Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_test_overlays_version_is_listed_and_not_counted() {
        let key = "workload:declared/acme/shop/kustomize/tests/istio/Deployment/frontend";
        let attrs = map(json!({"kind": "Deployment", "image": "frontend:v1", "declared_in": "kustomize/tests/istio",
                               "via": "kustomize", "purpose": "test", "role": "service"}));
        let row = declared_version(key, "frontend", &attrs, &map(json!({"version": "v1", "via": "declared"})));
        assert_eq!((row.version.as_deref(), row.purpose.as_str(), row.counted), (Some("v1"), "test", false));
        assert_eq!(row.repository, "acme/shop");
        assert_eq!(row.file, "kustomize/tests/istio");
    }

    #[test]
    fn a_jobs_tag_is_no_version() {
        let attrs = map(json!({"kind": "Job", "image": "acme/db:2", "declared_in": "k8s/job.yaml", "via": "manifest",
                               "purpose": "deploy", "role": "job"}));
        let row = declared_version("workload:declared/acme/db/k8s/job.yaml/Job/seed", "seed", &attrs, &map(json!({})));
        assert_eq!((row.version, row.role.as_str(), row.counted), (None, "job", false));
    }
}
