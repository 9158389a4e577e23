//! Workloads a repository declares for Kubernetes, read from its files the
//! way a GitOps tool would deploy them, without running any tool:
//!
//! - plain manifests (one or many YAML documents per file) with a
//!   Deployment, StatefulSet, DaemonSet, Job, CronJob or Argo Rollout;
//! - kustomizations: a top-level `kustomization.yaml` (one no other
//!   kustomization uses as a base) declares the workloads of its
//!   resources, bases resolved recursively, with its `images`,
//!   `namespace`, `namePrefix` and `nameSuffix` applied;
//! - Helm charts: each `values*.yaml` beside a `Chart.yaml` declares the
//!   chart's workload with the image its `image` (or `<x>.image`) sets,
//!   falling back to `values.yaml`, then to the chart's `appVersion`.
//!
//! Files a kustomization uses are deployed through it, not on their own.
//! Helm templates (`{{ … }}`) are not YAML and are not read.

use std::collections::{BTreeMap, BTreeSet};

use yaml_serde::Value;

use super::{file_name, folder_of, ParseError};
use crate::image::ImageRef;
// The names of a workload's service, as the Kubernetes collector reads them.
use crate::service_labels::{BACKSTAGE_ID, SERVICE_LABELS};

/// Kinds whose pods run containers.
const WORKLOAD_KINDS: [&str; 6] = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Rollout"];
/// Kustomizations nest; a cycle or a very deep chain stops here.
const MAX_KUSTOMIZE_DEPTH: usize = 8;

/// How a workload is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclaredVia {
    Manifest,
    Kustomize,
    Helm,
}

impl DeclaredVia {
    pub fn as_str(self) -> &'static str {
        match self {
            DeclaredVia::Manifest => "manifest",
            DeclaredVia::Kustomize => "kustomize",
            DeclaredVia::Helm => "helm",
        }
    }
}

/// One workload as the repository declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredWorkload {
    /// `Deployment`, …; `Helm` for a chart's values.
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// From the `app.kubernetes.io/name` or `app` label, or the chart's
    /// metadata (`manifests::chart_name`).
    pub service: Option<String>,
    /// The main (first) container's image, as declared after overrides.
    pub image: Option<String>,
    /// Where it is declared: the manifest file, the kustomization's folder,
    /// or the values file.
    pub declared_in: String,
    pub via: DeclaredVia,
}

impl DeclaredWorkload {
    /// The image's tag (or digest): the version the workload declares.
    pub fn version(&self) -> Option<String> {
        let image = ImageRef::parse(self.image.as_deref()?)?;
        image.tag.or(image.digest)
    }
}

/// Whether a path may hold Kubernetes manifests, a kustomization or Helm
/// values: YAML outside CI workflow folders.
pub fn is_candidate(path: &str) -> bool {
    let name = file_name(path);
    (name.ends_with(".yaml") || name.ends_with(".yml")) && !path.starts_with(".github/") && !path.contains("/.github/")
}

/// Every workload `files` (path → content) declare, in a stable order.
/// A file that does not parse is reported in `errors` and skipped.
pub fn declared_workloads(files: &BTreeMap<String, String>, errors: &mut Vec<ParseError>) -> Vec<DeclaredWorkload> {
    let documents = Documents::read(files, errors);
    let mut found = Vec::new();
    let used_by_kustomize = documents.used_by_kustomizations();
    for (path, workloads) in &documents.workloads {
        if !used_by_kustomize.files.contains(path.as_str()) {
            found.extend(workloads.iter().cloned());
        }
    }
    for folder in documents.kustomizations.keys() {
        if !used_by_kustomize.folders.contains(folder.as_str()) {
            let mut visiting = BTreeSet::new();
            let mut workloads = documents.kustomize(folder, 0, &mut visiting);
            for workload in &mut workloads {
                workload.via = DeclaredVia::Kustomize;
                workload.declared_in = if folder.is_empty() { ".".into() } else { folder.clone() };
            }
            found.extend(workloads);
        }
    }
    found.extend(documents.helm_workloads());
    found.sort_by(|a, b| (&a.declared_in, &a.kind, &a.name).cmp(&(&b.declared_in, &b.kind, &b.name)));
    found.dedup_by(|a, b| a.declared_in == b.declared_in && a.kind == b.kind && a.name == b.name);
    found
}

/// A kustomization's fields that decide what it deploys.
#[derive(Debug, Clone, Default)]
struct Kustomization {
    /// Files and folders, relative to the kustomization's folder.
    resources: Vec<String>,
    images: Vec<ImageOverride>,
    namespace: Option<String>,
    name_prefix: String,
    name_suffix: String,
}

#[derive(Debug, Clone)]
struct ImageOverride {
    name: String,
    new_name: Option<String>,
    new_tag: Option<String>,
    digest: Option<String>,
}

/// A chart: its name, the service its metadata names, and its app
/// version, by folder.
#[derive(Debug, Clone)]
struct Chart {
    name: String,
    service: String,
    app_version: Option<String>,
}

/// The parsed YAML of one tree.
#[derive(Default)]
struct Documents {
    /// Manifest file → its workloads.
    workloads: BTreeMap<String, Vec<DeclaredWorkload>>,
    /// Kustomization folder → kustomization.
    kustomizations: BTreeMap<String, Kustomization>,
    charts: BTreeMap<String, Chart>,
    /// Values file → its document.
    values: BTreeMap<String, Value>,
}

struct UsedByKustomize<'a> {
    files: BTreeSet<&'a str>,
    folders: BTreeSet<&'a str>,
}

impl Documents {
    fn read(files: &BTreeMap<String, String>, errors: &mut Vec<ParseError>) -> Documents {
        let mut documents = Documents::default();
        let charts: BTreeSet<&str> =
            files.keys().filter(|p| file_name(p) == "Chart.yaml").map(|p| folder_of(p)).collect();
        for (path, content) in files.iter().filter(|(p, _)| is_candidate(p)) {
            let name = file_name(path);
            let folder = folder_of(path);
            if content.contains("{{") || in_chart_templates(path, &charts) {
                continue;
            }
            let outcome = if matches!(name, "kustomization.yaml" | "kustomization.yml" | "Kustomization") {
                parse_kustomization(path, content).map(|k| {
                    documents.kustomizations.insert(folder.to_string(), k);
                })
            } else if name == "Chart.yaml" {
                parse_chart(path, content).map(|c| {
                    documents.charts.insert(folder.to_string(), c);
                })
            } else if charts.contains(folder) && is_values_file(name) {
                super::read_yaml(path, content).map(|v| {
                    documents.values.insert(path.clone(), v);
                })
            } else if looks_like_kubernetes(content) {
                parse_manifest(path, content).map(|w| {
                    if !w.is_empty() {
                        documents.workloads.insert(path.clone(), w);
                    }
                })
            } else {
                Ok(())
            };
            if let Err(e) = outcome {
                errors.push(e);
            }
        }
        documents
    }

    /// What kustomizations pull in: those files and folders are deployed
    /// through them, not on their own.
    fn used_by_kustomizations(&self) -> UsedByKustomize<'_> {
        let mut used = UsedByKustomize { files: BTreeSet::new(), folders: BTreeSet::new() };
        for (folder, kustomization) in &self.kustomizations {
            for resource in &kustomization.resources {
                let Some(target) = join(folder, resource) else { continue };
                if let Some((path, _)) = self.workloads.get_key_value(&target) {
                    used.files.insert(path);
                } else if let Some((folder, _)) = self.kustomizations.get_key_value(&target) {
                    used.folders.insert(folder);
                }
            }
        }
        used
    }

    /// The workloads the kustomization in `folder` deploys.
    fn kustomize(&self, folder: &str, depth: usize, visiting: &mut BTreeSet<String>) -> Vec<DeclaredWorkload> {
        let Some(kustomization) = self.kustomizations.get(folder) else { return Vec::new() };
        if depth > MAX_KUSTOMIZE_DEPTH || !visiting.insert(folder.to_string()) {
            return Vec::new();
        }
        let mut workloads = Vec::new();
        for resource in &kustomization.resources {
            let Some(target) = join(folder, resource) else { continue };
            if let Some(found) = self.workloads.get(&target) {
                workloads.extend(found.iter().cloned());
            } else if self.kustomizations.contains_key(&target) {
                workloads.extend(self.kustomize(&target, depth + 1, visiting));
            }
        }
        visiting.remove(folder);
        for workload in &mut workloads {
            kustomization.apply(workload);
        }
        workloads
    }

    fn helm_workloads(&self) -> Vec<DeclaredWorkload> {
        let mut found = Vec::new();
        for (path, values) in &self.values {
            let folder = folder_of(path);
            let Some(chart) = self.charts.get(folder) else { continue };
            let defaults = self.values.get(&join(folder, "values.yaml").unwrap_or_default());
            for (key, image) in helm_images(values, defaults) {
                let image = match (image.tag, &chart.app_version) {
                    (Some(tag), _) => format!("{}:{tag}", image.repository),
                    (None, Some(version)) => format!("{}:{version}", image.repository),
                    (None, None) => image.repository,
                };
                let name = if key.is_empty() { chart.name.clone() } else { format!("{}-{key}", chart.name) };
                found.push(DeclaredWorkload {
                    kind: "Helm".into(),
                    name,
                    namespace: None,
                    service: Some(chart.service.clone()),
                    image: Some(image),
                    declared_in: path.clone(),
                    via: DeclaredVia::Helm,
                });
            }
        }
        found
    }
}

impl Kustomization {
    fn apply(&self, workload: &mut DeclaredWorkload) {
        workload.name = format!("{}{}{}", self.name_prefix, workload.name, self.name_suffix);
        if self.namespace.is_some() {
            workload.namespace = self.namespace.clone();
        }
        let Some(image) = workload.image.as_deref().and_then(ImageRef::parse) else { return };
        let Some(rule) = self.images.iter().find(|r| r.name == image.name() || r.name == image.repository) else {
            return;
        };
        let name = rule.new_name.clone().unwrap_or_else(|| image.name());
        workload.image = Some(match (&rule.digest, &rule.new_tag, &image.tag) {
            (Some(digest), _, _) => format!("{name}@{digest}"),
            (None, Some(tag), _) | (None, None, Some(tag)) => format!("{name}:{tag}"),
            (None, None, None) => name,
        });
    }
}

fn is_values_file(name: &str) -> bool {
    (name.starts_with("values") && (name.ends_with(".yaml") || name.ends_with(".yml"))) && name != "values.schema.yaml"
}

/// Files under a chart's `templates/` are Go templates, not manifests.
fn in_chart_templates(path: &str, charts: &BTreeSet<&str>) -> bool {
    charts.iter().any(|chart| {
        let prefix = if chart.is_empty() { "templates/".to_string() } else { format!("{chart}/templates/") };
        path.starts_with(&prefix)
    })
}

/// A cheap look before parsing: YAML that names no `apiVersion` and `kind`
/// is configuration of some other tool, not ours to report.
fn looks_like_kubernetes(content: &str) -> bool {
    content.contains("apiVersion:") && content.contains("kind:")
}

/// `base/../x` → `x`; `None` for remote resources and paths leaving the
/// repository.
fn join(folder: &str, relative: &str) -> Option<String> {
    if relative.contains("://") || relative.starts_with("github.com/") {
        return None;
    }
    super::join_path(folder, relative)
}

fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut current = value;
    for key in path {
        current = current.get(*key)?;
    }
    current.as_str()
}

/// Every workload document of a (multi-document) manifest.
fn parse_manifest(path: &str, content: &str) -> Result<Vec<DeclaredWorkload>, ParseError> {
    let mut workloads = Vec::new();
    for document in yaml_serde::Deserializer::from_str(content) {
        let value = <Value as serde::Deserialize>::deserialize(document).map_err(|e| super::yaml_error(path, &e))?;
        let items = match str_at(&value, &["kind"]) {
            Some("List") => value.get("items").and_then(Value::as_sequence).cloned().unwrap_or_default(),
            _ => vec![value],
        };
        workloads.extend(items.iter().filter_map(|item| workload_of(path, item)));
    }
    Ok(workloads)
}

fn workload_of(path: &str, value: &Value) -> Option<DeclaredWorkload> {
    let kind = str_at(value, &["kind"])?;
    if !WORKLOAD_KINDS.contains(&kind) {
        return None;
    }
    let name = str_at(value, &["metadata", "name"])?;
    let pod = match kind {
        "CronJob" => value.get("spec")?.get("jobTemplate")?.get("spec")?.get("template")?,
        _ => value.get("spec")?.get("template")?,
    };
    let image = pod
        .get("spec")
        .and_then(|s| s.get("containers"))
        .and_then(Value::as_sequence)
        .and_then(|containers| containers.first())
        .and_then(|c| str_at(c, &["image"]))
        .map(str::to_string);
    // Backstage's id (label or annotation) first, then the labels, as the
    // Kubernetes collector matches the running workload.
    let backstage = ["labels", "annotations"].iter().find_map(|map| {
        str_at(value, &["metadata", map, BACKSTAGE_ID]).or_else(|| str_at(pod, &["metadata", map, BACKSTAGE_ID]))
    });
    let service = backstage.or_else(|| {
        SERVICE_LABELS.iter().find_map(|label| {
            str_at(value, &["metadata", "labels", label]).or_else(|| str_at(pod, &["metadata", "labels", label]))
        })
    });
    Some(DeclaredWorkload {
        kind: kind.to_string(),
        name: name.to_string(),
        namespace: str_at(value, &["metadata", "namespace"]).map(str::to_string),
        service: service.map(|s| s.trim().to_lowercase()),
        image,
        declared_in: path.to_string(),
        via: DeclaredVia::Manifest,
    })
}

fn parse_kustomization(path: &str, content: &str) -> Result<Kustomization, ParseError> {
    let value = super::read_yaml(path, content)?;
    let strings = |key: &str| -> Vec<String> {
        value
            .get(key)
            .and_then(Value::as_sequence)
            .map(|list| list.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default()
    };
    // `bases` is the older spelling of folder resources.
    let mut resources = strings("resources");
    resources.extend(strings("bases"));
    let images = value
        .get("images")
        .and_then(Value::as_sequence)
        .map(|list| {
            list.iter()
                .filter_map(|image| {
                    Some(ImageOverride {
                        name: str_at(image, &["name"])?.to_string(),
                        new_name: str_at(image, &["newName"]).map(str::to_string),
                        new_tag: scalar(image.get("newTag")),
                        digest: str_at(image, &["digest"]).map(str::to_string),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Kustomization {
        resources,
        images,
        namespace: str_at(&value, &["namespace"]).map(str::to_string),
        name_prefix: str_at(&value, &["namePrefix"]).unwrap_or_default().to_string(),
        name_suffix: str_at(&value, &["nameSuffix"]).unwrap_or_default().to_string(),
    })
}

fn parse_chart(path: &str, content: &str) -> Result<Chart, ParseError> {
    let value = super::read_yaml(path, content)?;
    let name = str_at(&value, &["name"]).ok_or_else(|| ParseError::new(path, "a chart needs a name"))?;
    let service = super::chart_name::service_of_chart(&value, name);
    Ok(Chart { name: name.to_string(), service, app_version: scalar(value.get("appVersion")) })
}

/// A tag written as a number (`tag: 1.4`) is still a tag.
fn scalar(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

struct HelmImage {
    repository: String,
    tag: Option<String>,
}

/// `image` at the top (key `""`) and `<key>.image` one level down, with
/// what `values` leaves out taken from `defaults` (the chart's `values.yaml`).
fn helm_images(values: &Value, defaults: Option<&Value>) -> Vec<(String, HelmImage)> {
    let mut keys: Vec<String> = vec![String::new()];
    for source in [Some(values), defaults].into_iter().flatten() {
        if let Some(map) = source.as_mapping() {
            keys.extend(
                map.iter()
                    .filter(|(_, v)| v.get("image").is_some())
                    .filter_map(|(k, _)| k.as_str().map(str::to_string)),
            );
        }
    }
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let image_of = |source: &Value| -> Option<Value> {
                let base = if key.is_empty() { source } else { source.get(key.as_str())? };
                base.get("image").cloned()
            };
            let own = image_of(values);
            let fallback = defaults.and_then(image_of);
            helm_image(own.as_ref(), fallback.as_ref()).map(|image| (key, image))
        })
        .collect()
}

fn helm_image(own: Option<&Value>, fallback: Option<&Value>) -> Option<HelmImage> {
    let field =
        |name: &str| own.and_then(|v| scalar(v.get(name))).or_else(|| fallback.and_then(|v| scalar(v.get(name))));
    if let Some(image) = own.and_then(Value::as_str).or_else(|| fallback.and_then(Value::as_str)) {
        let parsed = ImageRef::parse(image)?;
        return Some(HelmImage { repository: parsed.name(), tag: parsed.tag });
    }
    let repository = field("repository")?;
    let repository = match field("registry") {
        Some(registry) => format!("{registry}/{repository}"),
        None => repository,
    };
    Some(HelmImage { repository, tag: field("tag") })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> BTreeMap<String, String> {
        list.iter().map(|(p, c)| (p.to_string(), c.to_string())).collect()
    }

    fn summary(found: &[DeclaredWorkload]) -> Vec<(String, String, Option<String>)> {
        found.iter().map(|w| (w.declared_in.clone(), w.name.clone(), w.version())).collect()
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: billing
  labels:
    app.kubernetes.io/name: billing
spec:
  template:
    spec:
      containers:
        - name: main
          image: ghcr.io/acme/billing:1.4.0
        - name: proxy
          image: envoy:1.30
";

    #[test]
    fn a_multi_document_manifest_declares_each_workload_with_its_main_image() {
        let content = format!(
            "{DEPLOYMENT}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: billing\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\n  namespace: jobs\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - image: acme/report@sha256:{}\n",
            "a".repeat(64)
        );
        let mut warnings = Vec::new();
        let found = declared_workloads(&files(&[("deploy/billing.yaml", &content)]), &mut warnings);
        assert_eq!(
            summary(&found),
            [
                ("deploy/billing.yaml".into(), "nightly".into(), Some(format!("sha256:{}", "a".repeat(64)))),
                ("deploy/billing.yaml".into(), "billing".into(), Some("1.4.0".into())),
            ],
            "by place, then kind (CronJob before Deployment), then name"
        );
        assert_eq!(found[1].service.as_deref(), Some("billing"));
        assert_eq!(found[0].namespace.as_deref(), Some("jobs"));
        assert!(warnings.is_empty());
    }

    #[test]
    fn backstages_kubernetes_id_names_the_service_before_the_labels() {
        let content = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app: web\n  annotations:\n    backstage.io/kubernetes-id: Storefront\nspec:\n  template:\n    spec:\n      containers:\n      - image: acme/web:1\n";
        let found = declared_workloads(&files(&[("k8s/web.yaml", content)]), &mut Vec::new());
        assert_eq!(found[0].service.as_deref(), Some("storefront"));
    }

    #[test]
    fn an_overlay_deploys_its_base_with_its_image_tag_and_the_base_is_not_deployed_alone() {
        let tree = files(&[
            ("k8s/base/deployment.yaml", DEPLOYMENT),
            ("k8s/base/kustomization.yaml", "resources:\n  - deployment.yaml\n"),
            (
                "k8s/overlays/prod/kustomization.yaml",
                "resources:\n  - ../../base\nnamespace: prod\nnameSuffix: -prod\nimages:\n  - name: ghcr.io/acme/billing\n    newTag: 1.5.2\n",
            ),
            ("k8s/overlays/dev/kustomization.yaml", "bases:\n  - ../../base\n"),
        ]);
        let mut warnings = Vec::new();
        let found = declared_workloads(&tree, &mut warnings);
        assert_eq!(
            summary(&found),
            [
                ("k8s/overlays/dev".into(), "billing".into(), Some("1.4.0".into())),
                ("k8s/overlays/prod".into(), "billing-prod".into(), Some("1.5.2".into())),
            ]
        );
        assert_eq!(found[1].namespace.as_deref(), Some("prod"));
        assert!(found.iter().all(|w| w.via == DeclaredVia::Kustomize));
    }

    #[test]
    fn helm_values_declare_the_charts_image_with_overrides_per_values_file() {
        let tree = files(&[
            ("charts/billing/Chart.yaml", "apiVersion: v2\nname: billing\nappVersion: \"2.0.0\"\n"),
            ("charts/billing/values.yaml", "image:\n  repository: ghcr.io/acme/billing\n  tag: 2.1.0\n"),
            ("charts/billing/values-prod.yaml", "image:\n  tag: 2.0.9\n"),
            ("charts/billing/templates/deployment.yaml", "image: {{ .Values.image.repository }}\n"),
            ("charts/ledger/Chart.yaml", "apiVersion: v2\nname: ledger\nappVersion: 0.9.1\n"),
            ("charts/ledger/values.yaml", "worker:\n  image:\n    repository: acme/ledger-worker\n"),
        ]);
        let mut warnings = Vec::new();
        let found = declared_workloads(&tree, &mut warnings);
        assert_eq!(
            summary(&found),
            [
                ("charts/billing/values-prod.yaml".into(), "billing".into(), Some("2.0.9".into())),
                ("charts/billing/values.yaml".into(), "billing".into(), Some("2.1.0".into())),
                ("charts/ledger/values.yaml".into(), "ledger-worker".into(), Some("0.9.1".into())),
            ]
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn a_malformed_manifest_is_reported_and_other_files_still_count() {
        let tree = files(&[
            ("deploy/broken.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: [unclosed\n"),
            ("deploy/billing.yaml", DEPLOYMENT),
            ("docker-compose.yml", "services:\n  web:\n    image: nginx\n"),
        ]);
        let mut warnings = Vec::new();
        let found = declared_workloads(&tree, &mut warnings);
        assert_eq!(found.len(), 1);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].path, "deploy/broken.yaml", "{warnings:?}");
    }

    #[test]
    fn resource_paths_resolve_within_the_repository_only() {
        assert_eq!(join("k8s/overlays/prod", "../../base").as_deref(), Some("k8s/base"));
        assert_eq!(join("", "./deploy.yaml").as_deref(), Some("deploy.yaml"));
        assert_eq!(join("k8s", "../../outside"), None);
        assert_eq!(join("k8s", "https://github.com/acme/x//base"), None);
    }
}
