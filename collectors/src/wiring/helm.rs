//! Helm charts as wiring, from their values (templates are Go templates,
//! not read): a chart is a unit named by its `name` (and its values'
//! `fullnameOverride`), built from the code around its folder. Its values'
//! strings that are addresses (`app.endpoints.catalog: http://catalog:80`,
//! which its templates turn into env) are references. A top-level values
//! key with a third-party `image` (`mysql.image.repository: mysql`) is a
//! workload the chart bundles: a unit of its own the chart needs. An
//! umbrella chart's values under a local dependency's key (its `alias` or
//! `name`, `repository: file://…`) are that dependency's, and its
//! `fullnameOverride` there is one more name of it.

use std::collections::BTreeMap;

use yaml_serde::Value;

use super::manifests::{scalar, text};
use super::{backing, Reference, Unit, Via};
use crate::identity::naming::{folder_name, naming_folder};
use crate::manifests::join_path;

/// Folder names that say a chart is in them, not which.
const CHART_FOLDERS: &[&str] = &["chart", "charts", "helm", "helm-chart", "deploy", "k8s", "kubernetes"];

/// One chart's files, parsed.
pub struct ChartFiles<'a> {
    /// The folder holding `Chart.yaml`.
    pub folder: &'a str,
    pub chart: &'a Value,
    /// `values.yaml` and its path, when the chart has one.
    pub values: Option<(&'a str, &'a Value)>,
}

/// The units of every chart: one per chart, then the workloads they bundle.
pub fn units(charts: &[ChartFiles]) -> Vec<Unit> {
    let mut by_folder: BTreeMap<&str, Unit> = BTreeMap::new();
    let mut bundled = Vec::new();
    for chart in charts {
        let Some(name) = text(chart.chart, &["name"]) else { continue };
        let values_file = chart.values.map(|(path, _)| path).unwrap_or(chart.folder);
        let mut unit = Unit {
            name: name.to_string(),
            file: values_file.to_string(),
            folder: Some(chart.folder.to_string()),
            ..Unit::default()
        };
        if let Some((path, values)) = chart.values {
            unit.image = image_of(values);
            unit.aliases.extend(full_name_override(values));
            let dependencies = local_dependencies(chart);
            for (key, subtree) in values.as_mapping().into_iter().flatten() {
                let Some(key) = key.as_str() else { continue };
                if dependencies.iter().any(|(names, _)| names.contains(&key)) {
                    continue; // read with the dependency, below
                }
                match bundled_image(subtree) {
                    Some(image) => {
                        let bundled_name = format!("{}-{key}", base_name(chart.folder, values, name));
                        unit.references.push(Reference {
                            via: Via::Helm,
                            variable: key.to_string(),
                            value: bundled_name.clone(),
                            file: path.to_string(),
                            is_name: true,
                        });
                        bundled.push(Unit {
                            name: bundled_name,
                            file: path.to_string(),
                            image: Some(image),
                            ..Unit::default()
                        });
                    }
                    None if key != "image" => addresses(path, key, subtree, &mut unit.references),
                    None => {}
                }
            }
        }
        by_folder.insert(chart.folder, unit);
    }
    give_umbrella_values_to_dependencies(charts, &mut by_folder);
    by_folder.into_values().chain(bundled).collect()
}

/// The values an umbrella chart sets under each local dependency's key.
fn give_umbrella_values_to_dependencies(charts: &[ChartFiles], by_folder: &mut BTreeMap<&str, Unit>) {
    for chart in charts {
        let Some((path, values)) = chart.values else { continue };
        for (names, folder) in local_dependencies(chart) {
            let Some(dependency) = by_folder.get_mut(folder.as_str()) else { continue };
            for key in names {
                let Some(subtree) = values.get(key) else { continue };
                dependency.aliases.push(key.to_string());
                dependency.aliases.extend(full_name_override(subtree));
                addresses(path, key, subtree, &mut dependency.references);
            }
        }
    }
}

/// Each local dependency's keys (`alias`, `name`) and folder.
fn local_dependencies<'a>(chart: &ChartFiles<'a>) -> Vec<(Vec<&'a str>, String)> {
    let list = chart.chart.get("dependencies").and_then(Value::as_sequence);
    list.into_iter()
        .flatten()
        .filter_map(|dependency| {
            let repository = text(dependency, &["repository"])?.strip_prefix("file://")?;
            let folder = join_path(chart.folder, repository.trim_end_matches('/'))?;
            let names = ["alias", "name"].iter().filter_map(|k| text(dependency, &[k])).collect();
            Some((names, folder))
        })
        .collect()
}

fn full_name_override(values: &Value) -> Option<String> {
    text(values, &["fullnameOverride"]).filter(|n| !n.trim().is_empty()).map(str::to_string)
}

/// What the chart's templates call it: its `fullnameOverride`, else the
/// name of the folder its code is in (`src/catalog/chart` → `catalog`),
/// else the chart's name.
fn base_name(folder: &str, values: &Value, chart_name: &str) -> String {
    full_name_override(values)
        .or_else(|| folder_name(naming_folder(code_folder(folder))))
        .unwrap_or_else(|| chart_name.to_string())
}

/// The folder a chart deploys the code of: its own, past folders that
/// only say they hold a chart (`src/catalog/chart` → `src/catalog`).
fn code_folder(folder: &str) -> &str {
    let mut current = folder;
    while let Some((parent, last)) = current.rsplit_once('/') {
        if !CHART_FOLDERS.contains(&last) {
            break;
        }
        current = parent;
    }
    current
}

/// `image` as a string or `{registry, repository, tag}`.
fn image_of(values: &Value) -> Option<String> {
    let image = values.get("image")?;
    if let Some(whole) = image.as_str() {
        return Some(whole.to_string());
    }
    let repository = text(image, &["repository"])?;
    let repository = match text(image, &["registry"]).filter(|r| !r.is_empty()) {
        Some(registry) => format!("{registry}/{repository}"),
        None => repository.to_string(),
    };
    Some(match scalar(image.get("tag")).filter(|t| !t.is_empty()) {
        Some(tag) => format!("{repository}:{tag}"),
        None => repository,
    })
}

/// A values key's own image, when it is a third-party backing service.
fn bundled_image(subtree: &Value) -> Option<String> {
    let image = image_of(subtree)?;
    backing::classify(&image).map(|_| image)
}

/// Every string leaf under `prefix` as a reference (images left out);
/// which are addresses is for [`super::address`] to say.
fn addresses(file: &str, prefix: &str, value: &Value, references: &mut Vec<Reference>) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                let Some(key) = key.as_str() else { continue };
                if key != "image" {
                    addresses(file, &format!("{prefix}.{key}"), child, references);
                }
            }
        }
        Value::Sequence(list) => {
            for child in list {
                addresses(file, prefix, child, references);
            }
        }
        Value::String(text) if !text.is_empty() => references.push(Reference {
            via: Via::Helm,
            variable: prefix.to_string(),
            value: text.clone(),
            file: file.to_string(),
            is_name: false,
        }),
        _ => {}
    }
}
