//! Backstage catalog files, read whole: every entity of every document
//! (`Component`, `API`, `Resource`, `System`, `Domain`, `Group`, `User`,
//! `Location`), each with its metadata and the references of its `spec`.
//!
//! One bad entity never costs the others: a document that is not an
//! entity, a name Backstage itself would refuse (`invalid component`), a
//! reference that is not one, is a [`ParseError`] naming the file and the
//! line, and the entity (or the reference) is left out. Only YAML that
//! does not parse fails the whole file, as it does in Backstage.

use std::collections::BTreeMap;

use serde::Deserialize;
use yaml_serde::Value;

use super::{CatalogEntry, Link};
use crate::manifests::{check_yaml_nesting, folder_of, yaml_error, ParseError};
use crate::untrusted::quote;

/// The kinds of the Backstage model SPoT reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Component,
    Api,
    Resource,
    System,
    Domain,
    Group,
    User,
    Location,
}

impl Kind {
    fn parse(kind: &str) -> Option<Kind> {
        Some(match kind.to_ascii_lowercase().as_str() {
            "component" => Kind::Component,
            "api" => Kind::Api,
            "resource" => Kind::Resource,
            "system" => Kind::System,
            "domain" => Kind::Domain,
            "group" => Kind::Group,
            "user" => Kind::User,
            "location" => Kind::Location,
            _ => return None,
        })
    }

    /// Backstage's spelling, lower-cased, as references write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Component => "component",
            Kind::Api => "api",
            Kind::Resource => "resource",
            Kind::System => "system",
            Kind::Domain => "domain",
            Kind::Group => "group",
            Kind::User => "user",
            Kind::Location => "location",
        }
    }
}

/// A reference to another entity, `[kind:][namespace/]name`, its kind and
/// namespace filled in as Backstage does (the field's default kind, the
/// referring entity's namespace).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntityRef {
    /// Lower-cased: `component`, `resource`, `group`, ...
    pub kind: String,
    /// `None` for Backstage's `default` namespace.
    pub namespace: Option<String>,
    pub name: String,
}

impl EntityRef {
    /// `name`, or `namespace/name` outside the default namespace: the part
    /// of a SPoT key after the kind.
    pub fn qualified(&self) -> String {
        qualified(self.namespace.as_deref(), &self.name)
    }
}

/// `name`, or `namespace/name` outside the default namespace.
pub fn qualified(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

/// The `spec` fields that reference other entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Owner,
    System,
    Domain,
    SubdomainOf,
    SubcomponentOf,
    DependsOn,
    DependencyOf,
    ProvidesApis,
    ConsumesApis,
    Parent,
    Children,
    Members,
    MemberOf,
}

impl Field {
    const ALL: [Field; 13] = [
        Field::Owner,
        Field::System,
        Field::Domain,
        Field::SubdomainOf,
        Field::SubcomponentOf,
        Field::DependsOn,
        Field::DependencyOf,
        Field::ProvidesApis,
        Field::ConsumesApis,
        Field::Parent,
        Field::Children,
        Field::Members,
        Field::MemberOf,
    ];

    /// Its name under `spec`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Owner => "owner",
            Field::System => "system",
            Field::Domain => "domain",
            Field::SubdomainOf => "subdomainOf",
            Field::SubcomponentOf => "subcomponentOf",
            Field::DependsOn => "dependsOn",
            Field::DependencyOf => "dependencyOf",
            Field::ProvidesApis => "providesApis",
            Field::ConsumesApis => "consumesApis",
            Field::Parent => "parent",
            Field::Children => "children",
            Field::Members => "members",
            Field::MemberOf => "memberOf",
        }
    }

    /// The kind a reference in this field has when it names none.
    fn default_kind(self) -> &'static str {
        match self {
            Field::Owner | Field::Parent | Field::Children | Field::MemberOf => "group",
            Field::System => "system",
            Field::Domain | Field::SubdomainOf => "domain",
            Field::ProvidesApis | Field::ConsumesApis => "api",
            Field::Members => "user",
            Field::SubcomponentOf | Field::DependsOn | Field::DependencyOf => "component",
        }
    }
}

/// One Backstage entity as its file declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub kind: Kind,
    /// Lower-cased, as SPoT keys it.
    pub name: String,
    /// `None` for Backstage's `default` namespace.
    pub namespace: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub links: Vec<Link>,
    /// `spec.type`, verbatim.
    pub spec_type: Option<String>,
    pub lifecycle: Option<String>,
    /// Groups' and users' `spec.profile`: `displayName`, `email`, `picture`.
    pub profile: BTreeMap<String, String>,
    /// Each reference with the field that made it, in the file's order.
    pub refs: Vec<(Field, EntityRef)>,
    /// A Location's `spec.target` and `spec.targets`.
    pub targets: Vec<String>,
    pub file: String,
    /// 1-based: the line of its `metadata.name` (else of its document).
    pub line: usize,
}

impl Entity {
    /// `name`, or `namespace/name` outside the default namespace.
    pub fn qualified(&self) -> String {
        qualified(self.namespace.as_deref(), &self.name)
    }

    /// The references of one field.
    pub fn refs_of(&self, field: Field) -> impl Iterator<Item = &EntityRef> {
        self.refs.iter().filter(move |(f, _)| *f == field).map(|(_, r)| r)
    }
}

/// What one Backstage file declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackstageFile {
    pub entities: Vec<Entity>,
    /// Entities and references left out, each with its file and line.
    pub invalid: Vec<ParseError>,
}

/// Reads every document of a Backstage file. `Err` only when the YAML does
/// not parse.
pub fn read(path: &str, content: &str) -> Result<BackstageFile, ParseError> {
    check_yaml_nesting(path, content)?;
    let starts = document_starts(content);
    let lines: Vec<&str> = content.lines().collect();
    let mut file = BackstageFile::default();
    for (i, document) in yaml_serde::Deserializer::from_str(content).enumerate() {
        let doc = Value::deserialize(document).map_err(|e| yaml_error(path, &e))?;
        let start = starts.get(i).copied().unwrap_or(1);
        let end = starts.get(i + 1).copied().unwrap_or(lines.len() + 1);
        if doc.is_null() {
            continue; // an empty document, e.g. after a trailing `---`
        }
        let line = name_line(&lines, start, end);
        match entity(path, line, &doc, &mut file.invalid) {
            Ok(Some(entity)) => file.entities.push(entity),
            Ok(None) => {}
            Err(problem) => file.invalid.push(ParseError::at(path, line, format!("{problem}; entity skipped"))),
        }
    }
    Ok(file)
}

/// Whether a file declares Backstage entities (`apiVersion:
/// backstage.io/...`; cheap, before any parse).
pub fn mentions_backstage(content: &str) -> bool {
    content.contains("backstage.io/")
        && content.lines().any(|l| {
            l.strip_prefix("apiVersion:")
                .is_some_and(|v| v.trim().trim_start_matches(['"', '\'']).starts_with("backstage.io/"))
        })
}

/// Whether a file holds a Backstage `Location`: a catalog's entry point,
/// whatever the file is called.
pub fn holds_location(content: &str) -> bool {
    mentions_backstage(content)
        && content.lines().any(|l| l.trim_end().strip_prefix("kind:").is_some_and(|k| k.trim() == "Location"))
}

/// The components of a Backstage file as catalog entries (services,
/// libraries, websites, ...), for [`crate::identity`].
pub fn entries(file: &BackstageFile) -> Vec<CatalogEntry> {
    file.entities.iter().filter(|e| e.kind == Kind::Component).map(entry).collect()
}

fn entry(entity: &Entity) -> CatalogEntry {
    let name = entity.qualified();
    let aliases = aliases(&entity.annotations, &name);
    CatalogEntry {
        aliases,
        kind: entity.spec_type.clone(),
        owner: entity.refs_of(Field::Owner).next().and_then(owner_of_ref),
        // Every relation of a Backstage entity is the org-wide mapping's
        // (`github::backstage`), which resolves references across files.
        depends_on: Vec::new(),
        links: entity.links.clone(),
        lifecycle: entity.lifecycle.clone(),
        system: entity.refs_of(Field::System).next().map(EntityRef::qualified),
        description: entity.description.clone(),
        tags: entity.tags.clone(),
        annotations: entity.annotations.clone(),
        folder: folder_of(&entity.file).to_string(),
        file: entity.file.clone(),
        name,
    }
}

/// The SPoT key of an owner reference: groups are `team:`, users `user:`.
pub fn owner_of_ref(owner: &EntityRef) -> Option<String> {
    match owner.kind.as_str() {
        "group" | "team" => Some(crate::keys::team_named(&owner.qualified())),
        "user" => Some(crate::keys::key(crate::keys::USER, &owner.qualified())),
        _ => None,
    }
}

/// The names a Backstage component's annotations give it besides its own.
fn aliases(annotations: &BTreeMap<String, String>, name: &str) -> Vec<String> {
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

/// One document as an entity: `Ok(None)` for a document of a kind SPoT
/// does not read (`Template`, ...) or of another format than Backstage's.
fn entity(path: &str, line: usize, doc: &Value, invalid: &mut Vec<ParseError>) -> Result<Option<Entity>, String> {
    if !doc.is_mapping() {
        return Err("the document is not a map".into());
    }
    // Another format's document (a Kubernetes manifest in a followed
    // file) is not an entity; a catalog-info.yaml without `apiVersion` is
    // read, as SPoT always has.
    let api_version = doc.get("apiVersion").and_then(Value::as_str);
    if api_version.is_some_and(|v| !v.starts_with("backstage.io/")) {
        return Ok(None);
    }
    let kind_text = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
    let Some(kind) = Kind::parse(kind_text) else { return Ok(None) };
    let metadata = doc.get("metadata");
    let spec = doc.get("spec");
    let raw_name = text(metadata, "name").unwrap_or_default();
    if let Some(problem) = name_problem(&raw_name) {
        return Err(format!("the {kind_text}'s `metadata.name` {problem}"));
    }
    let namespace = match text(metadata, "namespace").map(|n| n.trim().to_lowercase()) {
        None => None,
        Some(ns) if ns == "default" => None,
        Some(ns) if namespace_problem(&ns).is_some() => {
            return Err(format!(
                "the {kind_text}'s `metadata.namespace` {}",
                namespace_problem(&ns).unwrap_or_default()
            ));
        }
        Some(ns) => Some(ns),
    };
    let mut refs = Vec::new();
    for field in Field::ALL {
        for reference in strings(spec, field.as_str()) {
            match parse_ref(&reference, field.default_kind(), namespace.as_deref()) {
                Ok(r) => refs.push((field, r)),
                Err(problem) => invalid.push(ParseError::at(
                    path,
                    line,
                    format!(
                        "`spec.{}` of {kind_text} {}: {problem}; reference skipped",
                        field.as_str(),
                        quote(&raw_name)
                    ),
                )),
            }
        }
    }
    let mut targets = strings(spec, "targets");
    targets.extend(text(spec, "target"));
    Ok(Some(Entity {
        kind,
        name: raw_name.trim().to_lowercase(),
        namespace,
        title: text(metadata, "title"),
        description: text(metadata, "description"),
        tags: strings(metadata, "tags"),
        labels: string_map(metadata, "labels"),
        annotations: string_map(metadata, "annotations"),
        links: links(metadata),
        spec_type: text(spec, "type"),
        lifecycle: text(spec, "lifecycle"),
        profile: string_map(spec, "profile"),
        refs,
        targets,
        file: path.to_string(),
        line,
    }))
}

/// A reference as Backstage reads it: `[kind:][namespace/]name`.
pub fn parse_ref(reference: &str, default_kind: &str, namespace: Option<&str>) -> Result<EntityRef, String> {
    let reference = reference.trim();
    let (kind, rest) = match reference.split_once(':') {
        Some((kind, rest)) => (kind.trim().to_lowercase(), rest.trim()),
        None => (default_kind.to_string(), reference),
    };
    let (ns, name) = match rest.split_once('/') {
        Some((ns, name)) => (Some(ns.trim().to_lowercase()), name.trim()),
        None => (namespace.map(str::to_string), rest),
    };
    if let Some(problem) = name_problem(name) {
        return Err(format!("{} is not an entity reference: its name {problem}", quote(reference)));
    }
    let namespace = ns.filter(|ns| ns != "default");
    if let Some(problem) = namespace.as_deref().and_then(namespace_problem) {
        return Err(format!("{} is not an entity reference: its namespace {problem}", quote(reference)));
    }
    Ok(EntityRef { kind, namespace, name: name.to_lowercase() })
}

/// Backstage's rule for names: 1-63 characters, letters and digits
/// separated by single `-`, `_` or `.`.
pub fn name_problem(name: &str) -> Option<String> {
    let name = name.trim();
    if name.is_empty() {
        return Some("is missing".into());
    }
    let separators_ok = !name.starts_with(['-', '_', '.'])
        && !name.ends_with(['-', '_', '.'])
        && !name.as_bytes().windows(2).any(|w| b"-_.".contains(&w[0]) && b"-_.".contains(&w[1]));
    let valid =
        name.len() <= 63 && separators_ok && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    (!valid).then(|| {
        format!("{} is not a valid name: 1-63 letters and digits, separated by single `-`, `_` or `.`", quote(name))
    })
}

/// Backstage's rule for namespaces: 1-63 lower-case letters and digits
/// separated by single `-`.
fn namespace_problem(namespace: &str) -> Option<String> {
    let valid = !namespace.is_empty()
        && namespace.len() <= 63
        && namespace.split('-').all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()));
    (!valid)
        .then(|| format!("{} is not a valid namespace: 1-63 letters and digits, separated by `-`", quote(namespace)))
}

/// The 1-based line where each YAML document starts: a `---` line starts
/// the next one, unless nothing but comments came before it.
fn document_starts(content: &str) -> Vec<usize> {
    let mut starts = vec![1];
    let mut has_content = false;
    for (i, line) in content.lines().enumerate() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed.starts_with("--- ") {
            if has_content {
                starts.push(i + 2);
            } else if let Some(last) = starts.last_mut() {
                *last = i + 2;
            }
            has_content = false;
        } else if !trimmed.trim_start().is_empty() && !trimmed.trim_start().starts_with('#') {
            has_content = true;
        }
    }
    starts
}

/// The line of a document's indented `name:` (its `metadata.name`), else
/// the document's first line.
fn name_line(lines: &[&str], start: usize, end: usize) -> usize {
    (start..end)
        .find(|&n| {
            let line = lines.get(n - 1).copied().unwrap_or_default();
            line.starts_with(' ') && line.trim_start().starts_with("name:")
        })
        .unwrap_or(start)
}

fn links(metadata: Option<&Value>) -> Vec<Link> {
    list(metadata, "links")
        .filter_map(|l| {
            let kind = text(Some(l), "type").or_else(|| text(Some(l), "icon"));
            Some(Link { url: text(Some(l), "url")?, title: text(Some(l), "title"), kind })
        })
        .collect()
}

fn text(parent: Option<&Value>, field: &str) -> Option<String> {
    parent.and_then(|v| v.get(field)).and_then(scalar)
}

/// A list of scalars; a single scalar is a list of one.
fn strings(parent: Option<&Value>, field: &str) -> Vec<String> {
    match parent.and_then(|p| p.get(field)) {
        Some(Value::Sequence(items)) => items.iter().filter_map(scalar).collect(),
        Some(v) => scalar(v).into_iter().collect(),
        None => Vec::new(),
    }
}

fn string_map(parent: Option<&Value>, field: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for (k, v) in parent.and_then(|m| m.get(field)).and_then(Value::as_mapping).into_iter().flatten() {
        if let (Some(k), Some(v)) = (k.as_str(), scalar(v)) {
            map.insert(k.to_string(), v);
        }
    }
    map
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

#[cfg(test)]
#[path = "backstage_tests.rs"]
mod tests;
