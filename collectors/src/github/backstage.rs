//! The Backstage model in SPoT's terms (docs/backstage.md): each entity a
//! catalog declares becomes an entity, each reference of its `spec` a
//! relation, stored in one direction (the API answers both).
//!
//! | Backstage | SPoT |
//! |---|---|
//! | Component of type `service`, `website` | `service:<name>` (identity decides, docs/identity.md) |
//! | Component of another type (`library`, ...) | `component:<name>` |
//! | API, Resource, System, Domain | `api:`, `resource:`, `system:`, `domain:<name>` |
//! | Group, User | `team:<name>`, `user:<name>` |
//! | `spec.owner` | owner —`owns`→ entity |
//! | `spec.system`, `.domain`, `.subdomainOf`, `.subcomponentOf` | entity —`part_of`→ whole |
//! | `spec.dependsOn` / `.dependencyOf` | —`depends_on`→ (`via: declared`) |
//! | `spec.providesApis` / `.consumesApis` | —`provides_api`→ / —`consumes_api`→ api |
//! | `spec.parent` / `.children` | child —`child_of`→ parent |
//! | `spec.members` / `.memberOf` | user —`member_of`→ team |
//!
//! Outside Backstage's `default` namespace a key is `<kind>:<namespace>/<name>`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::catalog::RepoCatalog;
use super::map::Builder;
use crate::manifests::catalog::backstage::{Entity, EntityRef, Field, Kind};
use crate::manifests::catalog::Link;
use crate::manifests::ParseError;

/// Annotation values longer than this are left out, as services' are.
const MAX_ANNOTATION_BYTES: usize = 2048;

/// A repository's key and the services it builds: (name, key).
pub(super) struct RepoServices<'a> {
    pub key: &'a str,
    pub services: &'a [(String, String)],
}

/// Every catalog entity and relation of the organisation, and each
/// repository's findings (`catalog_findings`, run warnings).
pub(super) fn emit(builder: &mut Builder, host: &str, catalogs: &[RepoCatalog], repos: &[RepoServices]) {
    let components = component_keys(catalogs, repos);
    let mut declared: BTreeMap<String, String> = BTreeMap::new();
    for (catalog, repo) in catalogs.iter().zip(repos) {
        let mut findings = catalog.findings.clone();
        for entity in catalog.entities.iter().filter(|e| e.kind != Kind::Location) {
            let key = own_key(entity, repo, &components);
            let place = format!("{}:{}", entity.file, entity.line);
            if let Some(first) = declared.get(&key) {
                let message = format!("{key} is declared again (first at {first}); this one skipped");
                findings.push(ParseError { path: entity.file.clone(), line: Some(entity.line), message });
                continue;
            }
            declared.insert(key.clone(), format!("{}: {place}", repo.key));
            describe(builder, host, &key, entity, repo.key);
            relate(builder, &key, entity, repo, &components, &mut findings);
        }
        report(builder, repo.key, &findings);
    }
    flag_unresolved_owners(builder, &declared);
}

/// The key of each component of the organisation by its qualified name:
/// the service identity gave it, else `component:<name>`.
fn component_keys(catalogs: &[RepoCatalog], repos: &[RepoServices]) -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    for (catalog, repo) in catalogs.iter().zip(repos) {
        for entity in catalog.entities.iter().filter(|e| e.kind == Kind::Component) {
            let name = entity.qualified();
            let key = service_of(repo, &name).unwrap_or_else(|| crate::keys::component(&name));
            keys.entry(name).or_insert(key);
        }
    }
    keys
}

fn service_of(repo: &RepoServices, name: &str) -> Option<String> {
    repo.services.iter().find(|(n, _)| n == name).map(|(_, key)| key.clone())
}

fn own_key(entity: &Entity, repo: &RepoServices, components: &BTreeMap<String, String>) -> String {
    let name = entity.qualified();
    match entity.kind {
        Kind::Component => service_of(repo, &name)
            .or_else(|| components.get(&name).cloned())
            .unwrap_or_else(|| crate::keys::component(&name)),
        kind => format!("{}:{name}", spot_kind(kind.as_str()).unwrap_or("location")),
    }
}

/// SPoT's entity kind for a Backstage kind (components aside).
fn spot_kind(backstage: &str) -> Option<&'static str> {
    Some(match backstage {
        "api" => "api",
        "resource" => "resource",
        "system" => "system",
        "domain" => "domain",
        "group" | "team" => "team",
        "user" => "user",
        _ => return None,
    })
}

/// The key a reference names: a component is the repository's own service
/// of that name, else the organisation's component, else `service:<name>`
/// (a service found by other means than a catalog).
fn ref_key(reference: &EntityRef, repo: &RepoServices, components: &BTreeMap<String, String>) -> Option<String> {
    let name = reference.qualified();
    if reference.kind == "component" {
        return Some(
            service_of(repo, &name)
                .or_else(|| components.get(&name).cloned())
                .unwrap_or_else(|| crate::keys::service(&name)),
        );
    }
    spot_kind(&reference.kind).map(|kind| crate::keys::key(kind, &name))
}

/// The entity's attributes: a service (written by the service mapping)
/// gains what only the catalog says; any other kind is declared here.
fn describe(builder: &mut Builder, host: &str, key: &str, entity: &Entity, repo_key: &str) {
    let mut attrs = Map::new();
    put(&mut attrs, "namespace", entity.namespace.as_ref());
    put(&mut attrs, "title", entity.title.as_ref());
    put(&mut attrs, "description", entity.description.as_ref());
    if !entity.tags.is_empty() {
        attrs.insert("tags".into(), json!(entity.tags));
    }
    if !entity.labels.is_empty() {
        attrs.insert("labels".into(), json!(entity.labels));
    }
    if crate::keys::is_kind(key, crate::keys::SERVICE) {
        if let Some(kind) = entity.spec_type.as_deref().filter(|t| t.eq_ignore_ascii_case("website")) {
            attrs.insert("type".into(), json!(kind.to_ascii_lowercase()));
        }
        builder.merge_attrs(key, attrs);
        return;
    }
    put(&mut attrs, "type", entity.spec_type.as_ref());
    put(&mut attrs, "lifecycle", entity.lifecycle.as_ref());
    put(&mut attrs, "system", entity.refs_of(Field::System).next().map(EntityRef::qualified).as_ref());
    for (field, attr) in [("displayName", "display_name"), ("email", "email"), ("picture", "picture")] {
        put(&mut attrs, attr, entity.profile.get(field));
    }
    let annotations: BTreeMap<&String, &String> =
        entity.annotations.iter().filter(|(_, v)| v.len() <= MAX_ANNOTATION_BYTES).collect();
    if !annotations.is_empty() {
        attrs.insert("annotations".into(), json!(annotations));
    }
    let links: Vec<Value> = entity
        .links
        .iter()
        .cloned()
        .chain(annotation_links(&entity.annotations, host))
        .map(|link| link_value(&link))
        .collect();
    if !links.is_empty() {
        attrs.insert("links".into(), Value::Array(links));
    }
    attrs.insert("declared_in".into(), json!(entity.file));
    attrs.insert("repo".into(), json!(repo_key));
    let kind = key.split_once(':').map(|(kind, _)| kind).unwrap_or("component");
    builder.declare(key, kind, &entity.qualified(), Value::Object(attrs));
}

fn put(attrs: &mut Map<String, Value>, name: &str, value: Option<&String>) {
    if let Some(value) = value {
        attrs.insert(name.into(), json!(value));
    }
}

/// A link as entities store it: `{url, title, type}`, absent fields left out.
pub(super) fn link_value(link: &Link) -> Value {
    let mut item = json!({ "url": link.url });
    if let Some(title) = &link.title {
        item["title"] = json!(title);
    }
    if let Some(kind) = &link.kind {
        item["type"] = json!(kind);
    }
    item
}

/// The links annotations imply: `github.com/project-slug` (the repository)
/// and `backstage.io/techdocs-ref` (`url:<docs>`, or `dir:<folder>` of the
/// repository the slug names).
pub(super) fn annotation_links(annotations: &BTreeMap<String, String>, host: &str) -> Vec<Link> {
    // A backfill of local clones has no host of its own: GitHub's is meant.
    let host = if host.contains('.') { host } else { "github.com" };
    let repository = annotations
        .get("github.com/project-slug")
        .map(|slug| slug.trim().trim_matches('/'))
        .filter(|slug| slug.split('/').count() == 2 && !slug.contains(char::is_whitespace))
        .map(|slug| format!("https://{host}/{slug}"));
    let mut links = Vec::new();
    if let Some(url) = &repository {
        links.push(Link { url: url.clone(), title: Some("Repository".into()), kind: Some("repository".into()) });
    }
    let docs = annotations.get("backstage.io/techdocs-ref").and_then(|reference| {
        let reference = reference.trim();
        if let Some(url) = reference.strip_prefix("url:").filter(|u| u.starts_with("http")) {
            return Some(url.to_string());
        }
        let dir = reference.strip_prefix("dir:")?.trim_start_matches("./").trim_end_matches('/');
        let repository = repository.as_ref()?;
        Some(if dir.is_empty() || dir == "." { repository.clone() } else { format!("{repository}/tree/HEAD/{dir}") })
    });
    if let Some(url) = docs {
        links.push(Link { url, title: Some("TechDocs".into()), kind: Some("techdocs".into()) });
    }
    links
}

/// One relation per reference. A service's owner is the service mapping's
/// (it weighs CODEOWNERS too).
fn relate(
    builder: &mut Builder,
    key: &str,
    entity: &Entity,
    repo: &RepoServices,
    components: &BTreeMap<String, String>,
    findings: &mut Vec<ParseError>,
) {
    for (field, reference) in &entity.refs {
        let Some(target) = ref_key(reference, repo, components) else {
            findings.push(ParseError {
                path: entity.file.clone(),
                line: Some(entity.line),
                message: format!(
                    "`spec.{}` of {key} names `{}:{}`, a kind SPoT does not map; reference skipped",
                    field.as_str(),
                    reference.kind,
                    reference.qualified()
                ),
            });
            continue;
        };
        let attrs = json!({ "via": "catalog-info", "field": field.as_str() });
        let declared = json!({ "via": "declared", "field": field.as_str() });
        match field {
            Field::Owner if crate::keys::is_kind(key, crate::keys::SERVICE) => {}
            Field::Owner => {
                if !(crate::keys::is_kind(&target, crate::keys::TEAM)
                    || crate::keys::is_kind(&target, crate::keys::USER))
                {
                    continue;
                }
                bare(builder, &target);
                builder.relation(&target, "owns", key, json!({ "via": "catalog-info" }));
            }
            Field::System | Field::Domain | Field::SubdomainOf | Field::SubcomponentOf => {
                bare(builder, &target);
                builder.relation(key, "part_of", &target, attrs);
            }
            Field::DependsOn => builder.relation(key, "depends_on", &target, declared),
            Field::DependencyOf => builder.relation(&target, "depends_on", key, declared),
            Field::ProvidesApis => builder.relation(key, "provides_api", &target, attrs),
            Field::ConsumesApis => builder.relation(key, "consumes_api", &target, attrs),
            Field::Parent => builder.relation(key, "child_of", &target, attrs),
            Field::Children => builder.relation(&target, "child_of", key, attrs),
            Field::Members => builder.relation(&target, "member_of", key, attrs),
            Field::MemberOf => builder.relation(key, "member_of", &target, attrs),
        }
    }
}

/// An entity a reference names, so it has a page even when no file
/// declares it (a system named only by its components); a declaration,
/// wherever it is, replaces it.
fn bare(builder: &mut Builder, key: &str) {
    if crate::keys::is_kind(key, crate::keys::SERVICE) || crate::keys::is_kind(key, crate::keys::COMPONENT) {
        return;
    }
    let kind = crate::keys::kind_of(key).unwrap_or(crate::keys::TEAM);
    let name = crate::keys::name_of(key).unwrap_or(key);
    builder.entity(key, kind, name, json!({}));
}

/// A repository's findings: run warnings, and `catalog_findings` on it
/// (read by the hygiene report).
fn report(builder: &mut Builder, repo_key: &str, findings: &[ParseError]) {
    if findings.is_empty() {
        return;
    }
    builder.warnings.extend(findings.iter().map(|f| format!("{repo_key}: {f}")));
    let listed: Vec<Value> =
        findings.iter().map(|f| json!({ "path": f.path, "line": f.line, "problem": f.message })).collect();
    builder.set_attr(repo_key, "catalog_findings", Value::Array(listed));
}

/// Owners a catalog names that no Group or User declares: `unresolved` on
/// the owner, and a warning. Only for an organisation whose catalog
/// declares its groups or users at all (else nothing could resolve).
fn flag_unresolved_owners(builder: &mut Builder, declared: &BTreeMap<String, String>) {
    let models_people = declared
        .keys()
        .any(|k| crate::keys::is_kind(k, crate::keys::TEAM) || crate::keys::is_kind(k, crate::keys::USER));
    if !models_people {
        return;
    }
    let owners: BTreeSet<String> = builder.catalog_owners().into_iter().filter(|o| !declared.contains_key(o)).collect();
    for owner in owners {
        builder.warnings.push(format!(
            "{owner}: owns entities by the catalog, but no Group or User declares it: an owner that resolves to nothing"
        ));
        builder.set_attr(&owner, "unresolved", json!(true));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_and_its_techdocs_are_links() {
        let annotations: BTreeMap<String, String> = [
            ("github.com/project-slug".to_string(), "acme/artist-lookup".to_string()),
            ("backstage.io/techdocs-ref".to_string(), "dir:./docs".to_string()),
        ]
        .into();
        let urls: Vec<String> = annotation_links(&annotations, "github.com").into_iter().map(|l| l.url).collect();
        assert_eq!(
            urls,
            ["https://github.com/acme/artist-lookup", "https://github.com/acme/artist-lookup/tree/HEAD/docs"]
        );
    }
}

#[cfg(test)]
#[path = "backstage_tests.rs"]
mod org_tests;
