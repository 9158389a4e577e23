//! Catalog files: the services a repository says it holds, who owns them,
//! what they depend on and where their docs are.
//!
//! **Backstage** `catalog-info.yaml` (or `.yml`): one or more YAML
//! documents; each `kind: Component` is an entry (other kinds, `API`,
//! `Resource`, `System`, `Location`, ..., are skipped). Read:
//! `metadata.name`, `.description`, `.annotations`, `.tags`, `.links`
//! (`[{url, title, type, icon}]`); `spec.type` (`service`, `library`, `website`, ...),
//! `spec.owner`, `spec.lifecycle`, `spec.system`, `spec.dependsOn` (only
//! `component:` references become service names; `resource:db` and other
//! kinds are not services).
//!
//! **SPoT's `.spot.yaml`** (or `.yml`), for repositories without Backstage:
//!
//! ```yaml
//! # One service, in the file's folder:
//! service: billing
//! type: service            # optional: service, library, website, ...
//! owner: payments          # a team; or team:payments, @acme/payments, user:jdoe, @jdoe
//! lifecycle: production    # optional
//! system: payments         # optional
//! description: Invoices and payment runs   # optional
//! depends_on: [ledger, users]              # service names
//! docs: [https://wiki.acme.dev/billing]    # http(s) URLs
//! aliases: [billing-api]                   # other names other sources use
//! ```
//!
//! ```yaml
//! # Several services, each in a folder relative to the file's:
//! owner: payments          # type, owner, lifecycle, system: defaults for every service
//! services:
//!   - name: billing-api
//!     path: services/billing-api
//!     depends_on: [ledger]
//!   - name: billing-worker
//!     path: services/billing-worker
//!     owner: team:payments-ops
//! ```
//!
//! Unknown fields are errors (a misspelt `depend_on` would otherwise be
//! silently lost), as are a file with both or neither of `service` and
//! `services`, a path leaving the repository, and a doc that is not a URL.
//!
//! Names of services and owners are lower-cased, as SPoT keys them
//! (`service:billing`, `team:payments`). Owners become entity keys: a group
//! is `team:<name>`, a user `user:<name>`; a Backstage namespace
//! (`group:default/payments`) is dropped, since SPoT's teams have one
//! namespace.

use std::collections::BTreeMap;

use serde::Deserialize;
use yaml_serde::Value;

use super::{check_yaml_nesting, file_name, folder_of, join_path, yaml_error, ParseError};

/// A link from a catalog file: a doc, a dashboard, a runbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub url: String,
    pub title: Option<String>,
    /// What it links to: Backstage's `type` (else its `icon`), `docs` for
    /// `.spot.yaml`'s `docs`.
    pub kind: Option<String>,
}

/// One service (or library, website, ...) a catalog file declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    /// Lower-cased: `service:<name>` is its key.
    pub name: String,
    /// Backstage's `spec.type`, `.spot.yaml`'s `type`: `service`,
    /// `library`, `website`, ...
    pub kind: Option<String>,
    /// `team:<name>` or `user:<name>`.
    pub owner: Option<String>,
    /// Names of the services it depends on, lower-cased.
    pub depends_on: Vec<String>,
    pub links: Vec<Link>,
    pub lifecycle: Option<String>,
    pub system: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// Backstage annotations (`github.com/project-slug`,
    /// `backstage.io/techdocs-ref`, `pagerduty.com/service-id`, ...).
    pub annotations: BTreeMap<String, String>,
    /// Other names of the service, as other sources spell them: `.spot.yaml`'s
    /// `aliases`; in Backstage, the `backstage.io/kubernetes-id` annotation
    /// and a comma-separated `spot/aliases` annotation. Lower-cased.
    pub aliases: Vec<String>,
    /// The folder the service lives in, relative to the repository root
    /// (`""` for the root).
    pub folder: String,
    /// The catalog file it was read from.
    pub file: String,
}

/// Whether a path is a catalog file [`parse_catalog`] reads.
pub fn is_catalog_file(path: &str) -> bool {
    matches!(file_name(path), "catalog-info.yaml" | "catalog-info.yml" | ".spot.yaml" | ".spot.yml")
}

/// The entries of a catalog file, by its name.
pub fn parse_catalog(path: &str, content: &str) -> Result<Vec<CatalogEntry>, ParseError> {
    match file_name(path) {
        "catalog-info.yaml" | "catalog-info.yml" => backstage(path, content),
        ".spot.yaml" | ".spot.yml" => spot_yaml(path, content),
        _ => Err(ParseError::new(path, "not a catalog file (catalog-info.yaml or .spot.yaml)")),
    }
}

/// A Backstage catalog file: the `Component` entities of all its documents.
pub fn backstage(path: &str, content: &str) -> Result<Vec<CatalogEntry>, ParseError> {
    check_yaml_nesting(path, content)?;
    let mut entries = Vec::new();
    for (i, document) in yaml_serde::Deserializer::from_str(content).enumerate() {
        let n = i + 1;
        let doc = Value::deserialize(document).map_err(|e| yaml_error(path, &e))?;
        if doc.is_null() {
            continue; // an empty document, e.g. after a trailing `---`
        }
        if !doc.is_mapping() {
            return Err(ParseError::new(path, format!("document {n} is not a map")));
        }
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
        if !kind.eq_ignore_ascii_case("component") {
            continue;
        }
        let metadata = doc.get("metadata");
        let spec = doc.get("spec");
        let text = |v: Option<&Value>, field: &str| v.and_then(|v| v.get(field)).and_then(scalar);
        let Some(name) = text(metadata, "name").filter(|n| !n.trim().is_empty()) else {
            return Err(ParseError::new(path, format!("document {n} (a Component) has no `metadata.name`")));
        };
        let mut annotations = BTreeMap::new();
        if let Some(map) = metadata.and_then(|m| m.get("annotations")).and_then(Value::as_mapping) {
            for (k, v) in map {
                if let (Some(k), Some(v)) = (k.as_str(), scalar(v)) {
                    annotations.insert(k.to_string(), v);
                }
            }
        }
        let links = list(metadata, "links")
            .filter_map(|l| {
                let kind = text(Some(l), "type").or_else(|| text(Some(l), "icon"));
                Some(Link { url: text(Some(l), "url")?, title: text(Some(l), "title"), kind })
            })
            .collect();
        let depends_on = list(spec, "dependsOn")
            .filter_map(scalar)
            .filter_map(|r| match entity_ref(&r, "component") {
                (kind, name) if kind == "component" => Some(name),
                _ => None,
            })
            .collect();
        let name = name.trim().to_lowercase();
        let aliases = backstage_aliases(&annotations, &name);
        entries.push(CatalogEntry {
            name,
            aliases,
            kind: text(spec, "type"),
            owner: text(spec, "owner").and_then(|o| owner_key(&o)),
            depends_on,
            links,
            lifecycle: text(spec, "lifecycle"),
            system: text(spec, "system").map(|s| entity_ref(&s, "system").1),
            description: text(metadata, "description"),
            tags: list(metadata, "tags").filter_map(scalar).collect(),
            annotations,
            folder: folder_of(path).to_string(),
            file: path.to_string(),
        });
    }
    Ok(entries)
}

/// The names a Backstage component's annotations give it besides its own.
fn backstage_aliases(annotations: &BTreeMap<String, String>, name: &str) -> Vec<String> {
    let mut aliases: Vec<String> = annotations
        .get("backstage.io/kubernetes-id")
        .into_iter()
        .chain(annotations.get("spot/aliases"))
        .flat_map(|v| v.split(','))
        .map(|a| a.trim().to_lowercase())
        .filter(|a| !a.is_empty() && a != name)
        .collect();
    aliases.sort();
    aliases.dedup();
    aliases
}

/// A string, number or boolean as text; maps, lists and nulls are not.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn list<'a>(parent: Option<&'a Value>, field: &str) -> impl Iterator<Item = &'a Value> + 'a {
    parent.and_then(|p| p.get(field)).and_then(Value::as_sequence).into_iter().flatten()
}

/// A Backstage entity reference, `[kind:][namespace/]name`, as (kind,
/// name), lower-cased, the namespace dropped.
pub fn entity_ref(reference: &str, default_kind: &str) -> (String, String) {
    let reference = reference.trim();
    let (kind, rest) = match reference.split_once(':') {
        Some((kind, rest)) => (kind.trim().to_lowercase(), rest),
        None => (default_kind.to_string(), reference),
    };
    let name = rest.rsplit('/').next().unwrap_or(rest).trim().to_lowercase();
    (kind, name)
}

/// The entity key of an owner: groups and teams (`payments`,
/// `group:payments`, `group:default/payments`, `team:payments`,
/// `@acme/payments`) are `team:<name>`, users (`user:jdoe`, `@jdoe`)
/// `user:<name>`. `None` for an empty owner or another kind.
pub fn owner_key(owner: &str) -> Option<String> {
    let owner = owner.trim();
    if let Some(handle) = owner.strip_prefix('@') {
        return match handle.split_once('/') {
            Some((_, team)) if !team.trim().is_empty() => Some(format!("team:{}", team.trim().to_lowercase())),
            Some(_) => None,
            None if !handle.trim().is_empty() => Some(format!("user:{}", handle.trim().to_lowercase())),
            None => None,
        };
    }
    let (kind, name) = entity_ref(owner, "group");
    if name.is_empty() {
        return None;
    }
    match kind.as_str() {
        "group" | "team" => Some(format!("team:{name}")),
        "user" => Some(format!("user:{name}")),
        _ => None,
    }
}

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

/// SPoT's `.spot.yaml` (schema in the module documentation).
pub fn spot_yaml(path: &str, content: &str) -> Result<Vec<CatalogEntry>, ParseError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_become_team_or_user_keys() {
        assert_eq!(owner_key("team-a").as_deref(), Some("team:team-a"));
        assert_eq!(owner_key("group:payments").as_deref(), Some("team:payments"));
        assert_eq!(owner_key("group:default/Payments").as_deref(), Some("team:payments"));
        assert_eq!(owner_key("user:jdoe").as_deref(), Some("user:jdoe"));
        assert_eq!(owner_key("user:default/jdoe").as_deref(), Some("user:jdoe"));
        assert_eq!(owner_key("team:payments").as_deref(), Some("team:payments"));
        assert_eq!(owner_key("@acme/payments").as_deref(), Some("team:payments"));
        assert_eq!(owner_key("@jdoe").as_deref(), Some("user:jdoe"));
        assert_eq!(owner_key("system:billing"), None);
        assert_eq!(owner_key(""), None);
        assert_eq!(owner_key("@acme/"), None);
    }

    #[test]
    fn entity_references() {
        assert_eq!(entity_ref("component:default/billing", "component"), ("component".into(), "billing".into()));
        assert_eq!(entity_ref("Resource:db", "component"), ("resource".into(), "db".into()));
        assert_eq!(entity_ref("ledger", "component"), ("component".into(), "ledger".into()));
    }

    #[test]
    fn paths_join_inside_the_repository_only() {
        assert_eq!(join_path("", "./services/api/"), Some("services/api".into()));
        assert_eq!(join_path("deploy", "../services/api"), Some("services/api".into()));
        assert_eq!(join_path("", "."), Some(String::new()));
        assert_eq!(join_path("", "../x"), None);
        assert_eq!(join_path("", "/etc"), None);
    }
}
