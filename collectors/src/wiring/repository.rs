//! A repository's wiring, read from its YAML files: Kubernetes manifests
//! (not chart templates, which are Go templates), charts' `Chart.yaml` and
//! `values.yaml`, and compose files. Files of tests, tools and examples
//! (`tests/`, `examples/`, `compose.e2e.yml`, …, as for finding services)
//! wire nothing. A file that does not parse is left out here: the declared
//! workloads and service finding already report it, naming the file.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use yaml_serde::Value;

use super::compose::ComposeFile;
use super::helm::ChartFiles;
use super::{compose, dotenv, helm, manifests, ConfigMap, Wiring};
use crate::identity::naming::is_tooling;
use crate::manifests::{check_yaml_nesting, file_name, folder_of, join_path};

/// A chart's `Chart.yaml`, and its `values.yaml` with its path.
type ChartDocuments<'a> = (Option<Value>, Option<(&'a str, Value)>);

/// Everything `files` (path → content) declare.
pub fn read(files: &BTreeMap<String, String>) -> Wiring {
    let mut wiring = Wiring::default();
    let charts: BTreeSet<&str> = files.keys().filter(|p| file_name(p) == "Chart.yaml").map(|p| folder_of(p)).collect();
    let mut compose_files = Vec::new();
    let mut chart_files: BTreeMap<&str, ChartDocuments> = BTreeMap::new();
    for (path, content) in files.iter().filter(|(path, _)| is_read(path)) {
        let name = file_name(path);
        let folder = folder_of(path);
        if in_chart_templates(path, &charts) || content.contains("{{") || check_yaml_nesting(path, content).is_err() {
            continue;
        }
        if is_compose(name) {
            compose_files.extend(documents(content).into_iter().map(|d| (path.as_str(), d)));
        } else if matches!(name, "kustomization.yaml" | "kustomization.yml") {
            for document in documents(content) {
                wiring.config_maps.extend(generated_config_maps(path, &document));
            }
        } else if name == "Chart.yaml" {
            chart_files.entry(folder).or_default().0 = documents(content).into_iter().next();
        } else if name == "values.yaml" && charts.contains(folder) {
            chart_files.entry(folder).or_default().1 =
                documents(content).into_iter().next().map(|v| (path.as_str(), v));
        } else if content.contains("apiVersion:") && content.contains("kind:") {
            for document in documents(content) {
                manifests::read_document(path, &document, &mut wiring);
            }
        }
    }
    // The shallowest declaration first (`kubernetes-manifests/` before
    // `extras/cloudsql/kubernetes-manifests/`): the relation names its file.
    wiring.units.sort_by_key(|unit| unit.file.matches('/').count());
    let charts: Vec<ChartFiles> = chart_files
        .iter()
        .filter_map(|(folder, (chart, values))| {
            Some(ChartFiles {
                folder,
                chart: chart.as_ref()?,
                values: values.as_ref().map(|(path, value)| (*path, value)),
            })
        })
        .collect();
    wiring.units.extend(helm::units(&charts));
    // Compose last: where a deployment and a compose file both say so, the
    // relation names the deployment's file (the first statement is kept).
    let dotenvs: BTreeMap<&str, BTreeMap<String, String>> = compose_files
        .iter()
        .map(|(path, _)| folder_of(path))
        .filter_map(|folder| Some((folder, dotenv::parse(files.get(&join_path(folder, ".env")?)?))))
        .collect();
    let none = BTreeMap::new();
    let composed: Vec<ComposeFile> = compose_files
        .iter()
        .map(|(path, document)| ComposeFile {
            path,
            document,
            variables: dotenvs.get(folder_of(path)).unwrap_or(&none),
        })
        .collect();
    wiring.units.extend(compose::units(&composed));
    wiring
}

/// A kustomization's `configMapGenerator` entries with `literals`
/// (`CART_ADDR=cart:7070`): ConfigMaps as the workloads it deploys read
/// them (kustomize renames them with a hash, and their references with
/// them).
fn generated_config_maps(path: &str, kustomization: &Value) -> Vec<ConfigMap> {
    let namespace = kustomization.get("namespace").and_then(Value::as_str).map(str::to_string);
    let generators = kustomization.get("configMapGenerator").and_then(Value::as_sequence);
    generators
        .into_iter()
        .flatten()
        .filter_map(|generator| {
            let name = generator.get("name")?.as_str()?;
            let literals = generator.get("literals").and_then(Value::as_sequence)?;
            let data = literals
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|literal| literal.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect();
            Some(ConfigMap { name: name.to_string(), namespace: namespace.clone(), file: path.to_string(), data })
        })
        .collect()
}

/// YAML outside CI workflows and the folders of tests, tools and examples.
fn is_read(path: &str) -> bool {
    let name = file_name(path);
    (name.ends_with(".yaml") || name.ends_with(".yml"))
        && !path.starts_with(".github/")
        && !is_tooling(folder_of(path))
        && !is_test_file(name)
}

/// `compose.tests.yaml`, `docker-compose.e2e.yml`, `values-test.yaml`.
fn is_test_file(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["test", "e2e", "integration"].iter().any(|t| name.contains(t))
}

/// The `.env` beside a compose file: the variables it interpolates.
pub fn is_env_file(path: &str) -> bool {
    file_name(path) == ".env"
}

/// Whether a path is read for wiring: YAML, and `.env` files.
pub fn is_wiring_file(path: &str) -> bool {
    is_env_file(path) || crate::manifests::declared::is_candidate(path)
}

/// Whether a path is a compose file.
pub fn is_compose_file(path: &str) -> bool {
    is_compose(file_name(path))
}

fn is_compose(name: &str) -> bool {
    (name.starts_with("docker-compose") || name.starts_with("compose."))
        && (name.ends_with(".yml") || name.ends_with(".yaml"))
}

fn in_chart_templates(path: &str, charts: &BTreeSet<&str>) -> bool {
    charts
        .iter()
        .any(|chart| join_path(chart, "templates").is_some_and(|templates| path.starts_with(&format!("{templates}/"))))
}

/// Every document of a YAML stream that parses; one that does not ends it.
fn documents(content: &str) -> Vec<Value> {
    let mut found = Vec::new();
    for document in yaml_serde::Deserializer::from_str(content) {
        match Value::deserialize(document) {
            Ok(value) if !value.is_null() => found.push(value),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    found
}
