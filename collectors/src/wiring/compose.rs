//! Compose files as wiring: each compose service is a unit named by its
//! service name (and its `hostname`, `container_name` and network
//! `aliases`), built from its `build` folder or running its `image`, reading
//! its `environment`, and naming what it needs in `depends_on` and `links`.
//! A service spread over several files (`include`, overrides) is one unit.

use std::collections::BTreeMap;

use yaml_serde::Value;

use super::manifests::scalar;
use super::{dotenv, Reference, Unit, Via};
use crate::manifests::{folder_of, join_path};

/// One parsed compose file and the variables of the `.env` beside it.
pub struct ComposeFile<'a> {
    pub path: &'a str,
    pub document: &'a Value,
    pub variables: &'a BTreeMap<String, String>,
}

/// The units of every compose file, merged by service name.
pub fn units(files: &[ComposeFile]) -> Vec<Unit> {
    let mut units: BTreeMap<String, Unit> = BTreeMap::new();
    for ComposeFile { path, document, variables } in files {
        let Some(services) = document.get("services").and_then(Value::as_mapping) else { continue };
        for (name, service) in services {
            let Some(name) = name.as_str() else { continue };
            let unit = units.entry(name.to_string()).or_insert_with(|| Unit {
                name: name.to_string(),
                file: path.to_string(),
                ..Unit::default()
            });
            read_service(path, service, variables, unit);
        }
    }
    units.into_values().collect()
}

fn read_service(path: &str, service: &Value, variables: &BTreeMap<String, String>, unit: &mut Unit) {
    if let Some(image) = service.get("image").and_then(Value::as_str) {
        // `image: ${POSTGRES_IMAGE}`, set in the `.env`.
        unit.image.get_or_insert_with(|| dotenv::interpolate(image, variables));
    }
    if unit.folder.is_none() {
        unit.folder = build_folder(path, service.get("build"));
    }
    for key in ["hostname", "container_name"] {
        if let Some(alias) = service.get(key).and_then(Value::as_str) {
            unit.aliases.push(alias.to_string());
        }
    }
    if let Some(networks) = service.get("networks").and_then(Value::as_mapping) {
        for aliases in networks.values().filter_map(|n| n.get("aliases")).filter_map(Value::as_sequence) {
            unit.aliases.extend(aliases.iter().filter_map(Value::as_str).map(str::to_string));
        }
    }
    for (variable, value) in environment(service.get("environment"), variables) {
        unit.references.push(Reference { via: Via::Compose, variable, value, file: path.to_string(), is_name: false });
    }
    for (key, needed) in needs(service) {
        unit.references.push(Reference {
            via: Via::Compose,
            variable: key.to_string(),
            value: needed,
            file: path.to_string(),
            is_name: true,
        });
    }
}

/// The folder of the Dockerfile `build` names (its context, or the folder
/// of its `dockerfile` within it); `None` for a variable or a git URL.
fn build_folder(path: &str, build: Option<&Value>) -> Option<String> {
    let (context, dockerfile) = match build? {
        Value::String(context) => (context.as_str(), None),
        build => (
            build.get("context").and_then(Value::as_str).unwrap_or("."),
            build.get("dockerfile").and_then(Value::as_str),
        ),
    };
    if context.contains(['$', '{']) || context.contains("://") || context.starts_with("git@") {
        return None;
    }
    let context = join_path(folder_of(path), context)?;
    match dockerfile.filter(|d| !d.contains(['$', '{'])) {
        Some(dockerfile) => join_path(&context, dockerfile).map(|d| folder_of(&d).to_string()),
        None => Some(context),
    }
}

/// `environment` as a list of `K=V` (or a bare `K`, passed from the
/// `.env`) or a map, interpolated with the `.env`'s variables.
fn environment(value: Option<&Value>, variables: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let pairs: Vec<(String, Option<String>)> = match value {
        Some(Value::Sequence(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(|entry| match entry.split_once('=') {
                Some((k, v)) => (k.trim().to_string(), Some(v.trim().to_string())),
                None => (entry.trim().to_string(), None),
            })
            .collect(),
        Some(Value::Mapping(map)) => {
            map.iter().filter_map(|(k, v)| Some((k.as_str()?.to_string(), scalar(Some(v))))).collect()
        }
        _ => Vec::new(),
    };
    pairs
        .into_iter()
        .filter_map(|(name, value)| {
            let value = match value {
                Some(value) => dotenv::interpolate(&value, variables),
                None => variables.get(&name)?.clone(),
            };
            Some((name, value))
        })
        .collect()
}

/// `depends_on` (a list, or a map of conditions) and `links` (`svc` or
/// `svc:alias`): the compose services this one needs, by name.
fn needs(service: &Value) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    match service.get("depends_on") {
        Some(Value::Sequence(list)) => {
            found.extend(list.iter().filter_map(Value::as_str).map(|n| ("depends_on", n.to_string())));
        }
        Some(Value::Mapping(map)) => {
            found.extend(map.keys().filter_map(Value::as_str).map(|n| ("depends_on", n.to_string())));
        }
        _ => {}
    }
    for link in service.get("links").and_then(Value::as_sequence).into_iter().flatten().filter_map(Value::as_str) {
        let name = link.split(':').next().unwrap_or(link);
        found.push(("links", name.to_string()));
    }
    found
}
