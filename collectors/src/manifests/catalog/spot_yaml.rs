//! SPoT's `.spot.yaml` (schema in the [module documentation](super)).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{owner_key, CatalogEntry, Link};
use crate::manifests::{check_yaml_nesting, folder_of, join_path, yaml_error, ParseError};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpotFile {
    service: Option<String>,
    #[serde(default)]
    services: Vec<SpotService>,
    #[serde(rename = "type")]
    kind: Option<String>,
    owner: Option<String>,
    lifecycle: Option<String>,
    system: Option<String>,
    description: Option<String>,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default)]
    docs: Vec<String>,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpotService {
    name: String,
    path: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    owner: Option<String>,
    lifecycle: Option<String>,
    system: Option<String>,
    description: Option<String>,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default)]
    docs: Vec<String>,
    #[serde(default)]
    aliases: Vec<String>,
}

/// The services of a `.spot.yaml`.
pub fn read(path: &str, content: &str) -> Result<Vec<CatalogEntry>, ParseError> {
    let file: SpotFile = if content.trim().is_empty() {
        SpotFile::default()
    } else {
        check_yaml_nesting(path, content)?;
        yaml_serde::from_str(content).map_err(|e| yaml_error(path, &e))?
    };
    let here = folder_of(path);
    let services = match (file.service, file.services.is_empty()) {
        (Some(_), false) => return Err(ParseError::new(path, "give either `service` or `services`, not both")),
        (None, true) => return Err(ParseError::new(path, "no `service` and no `services`")),
        (Some(name), true) => vec![SpotService {
            name,
            path: None,
            kind: file.kind.clone(),
            owner: file.owner.clone(),
            lifecycle: file.lifecycle.clone(),
            system: file.system.clone(),
            description: file.description,
            depends_on: file.depends_on,
            docs: file.docs,
            aliases: file.aliases,
        }],
        (None, false) => {
            if !file.depends_on.is_empty()
                || !file.docs.is_empty()
                || !file.aliases.is_empty()
                || file.description.is_some()
            {
                return Err(ParseError::new(
                    path,
                    "`depends_on`, `docs`, `aliases` and `description` belong to each of `services`, not to the file",
                ));
            }
            file.services
        }
    };
    let mut entries = Vec::with_capacity(services.len());
    for s in services {
        let name = s.name.trim().to_lowercase();
        if name.is_empty() {
            return Err(ParseError::new(path, "a service has an empty `name`"));
        }
        let folder = match &s.path {
            None => here.to_string(),
            Some(p) => join_path(here, p).ok_or_else(|| {
                ParseError::new(path, format!("the path `{p}` of service `{name}` leaves the repository"))
            })?,
        };
        let owner = match s.owner.or_else(|| file.owner.clone()) {
            Some(o) => Some(owner_key(&o).ok_or_else(|| {
                ParseError::new(path, format!("the owner `{o}` of service `{name}` is not a team or user"))
            })?),
            None => None,
        };
        let mut links = Vec::new();
        for url in s.docs {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(ParseError::new(
                    path,
                    format!("the doc `{url}` of service `{name}` is not an http(s) URL"),
                ));
            }
            links.push(Link { url, title: None, kind: Some("docs".into()) });
        }
        entries.push(CatalogEntry {
            kind: s.kind.or_else(|| file.kind.clone()),
            owner,
            depends_on: s.depends_on.iter().map(|d| d.trim().to_lowercase()).filter(|d| !d.is_empty()).collect(),
            links,
            lifecycle: s.lifecycle.or_else(|| file.lifecycle.clone()),
            system: s.system.or_else(|| file.system.clone()),
            description: s.description,
            tags: Vec::new(),
            annotations: BTreeMap::new(),
            aliases: s
                .aliases
                .iter()
                .map(|a| a.trim().to_lowercase())
                .filter(|a| !a.is_empty() && *a != name)
                .collect(),
            name,
            folder,
            file: path.to_string(),
        });
    }
    Ok(entries)
}
