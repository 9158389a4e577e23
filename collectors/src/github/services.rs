//! The services of an organisation's repositories, as [`crate::identity`]
//! finds, names and keys them, turned into entities and relations: each
//! service says which signals found it and which named it, a service that
//! lost its name to another says so (`conflict`), and a folder's
//! `sonar-project.properties` (or its `pom.xml`'s `sonar.projectKey`)
//! binds it to its SonarQube project.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::{json, Value};

use super::map::{Builder, CatalogService, OrgContext};
use super::memo::ParseMemo;
use super::sync::RepoFiles;
use crate::identity::claims::{Assigned, Conflict};
use crate::identity::find::{self, Candidate, Explicit, RepoFacts};
use crate::identity::{self, Signal};
use crate::keys;
use crate::manifests::declared::DeclaredWorkload;
use crate::manifests::{file_name, join_path};

/// Catalog annotation values longer than this are left out (certificates,
/// embedded documents), as workloads' are.
const MAX_ANNOTATION_BYTES: usize = 2048;

/// A service of one repository, keyed.
pub(super) struct Service {
    pub key: String,
    pub folder: String,
    pub name: String,
    /// The image name its build produces, when known (`attach` reads it).
    pub image: Option<String>,
}

/// A repository as [`candidates`] reads it.
pub(super) struct RepoView<'a> {
    pub key: &'a str,
    pub files: &'a RepoFiles,
    pub catalog: &'a [CatalogService],
    pub repo_type: &'a str,
    pub workloads: &'a [DeclaredWorkload],
}

/// The services a repository builds, before the organisation-wide keys.
pub(super) fn candidates(
    context: &OrgContext,
    repo: &RepoView,
    memo: &mut ParseMemo,
    warnings: &mut Vec<String>,
) -> Vec<Candidate> {
    let RepoView { key: repo_key, files, catalog, repo_type, workloads } = *repo;
    let mut artefacts = Vec::new();
    for (path, content) in files.contents.iter().filter(|(p, _)| identity::is_artefact_source(p)) {
        match memo.artefacts(path, content) {
            Ok(found) => artefacts.extend(found.iter().cloned()),
            Err(e) => warnings.push(format!("{repo_key}: {e}; skipped")),
        }
    }
    let pins = context.identity.pins_of(context.org, &files.repo.name).map(|pin| Explicit {
        folder: pin.folder(),
        name: pin.name.clone(),
        signal: Signal::IdentityPin,
        is_service: true,
    });
    let entries = catalog.iter().map(|entry| Explicit {
        folder: entry.folder.clone(),
        name: entry.name.clone(),
        signal: if file_name(&entry.path).starts_with(".spot") { Signal::SpotYaml } else { Signal::CatalogInfo },
        is_service: entry.kind.as_deref().map(super::map::normalise_type).as_deref().unwrap_or(repo_type) == "service",
    });
    find::services(&RepoFacts {
        name: &files.repo.name,
        files: &files.contents,
        artefacts,
        explicit: pins.chain(entries).collect(),
        workloads,
        is_service_repo: repo_type == "service",
    })
}

/// Entities and relations for a repository's services, each with the key
/// the organisation gave it.
pub(super) fn emit(
    builder: &mut Builder,
    repo_key: &str,
    files: &RepoFiles,
    catalog: &[CatalogService],
    keyed: &[(&Candidate, &Assigned)],
    code_owners: &[String],
) -> Vec<Service> {
    let mut services = Vec::new();
    for (candidate, assigned) in keyed {
        let entry =
            catalog.iter().find(|e| e.folder == candidate.folder && (candidate.pinned() || e.name == candidate.name));
        let name = keys::name_in(&assigned.key, keys::SERVICE).unwrap_or(&assigned.key).to_string();
        builder.entity(
            &assigned.key,
            "service",
            &name,
            service_attrs(candidate, entry, assigned.conflict.as_ref(), repo_key),
        );
        builder.relation(
            repo_key,
            "builds",
            &assigned.key,
            json!({ "path": candidate.folder, "found_by": found_by(candidate), "named_by": candidate.named_by.as_str() }),
        );
        super::map::owners(builder, &assigned.key, entry.and_then(|e| e.owner.as_deref()), code_owners);
        for dependency in entry.map(|e| e.depends_on.as_slice()).unwrap_or_default() {
            builder.relation(&assigned.key, "depends_on", &keys::service(dependency), json!({ "via": "declared" }));
        }
        if let Some(conflict) = &assigned.conflict {
            builder.warnings.push(conflict_warning(repo_key, candidate, &assigned.key, conflict));
        }
        sonar_binding(builder, files, candidate, &assigned.key);
        services.push(Service {
            key: assigned.key.clone(),
            folder: candidate.folder.clone(),
            name: candidate.name.clone(),
            image: candidate.image.clone(),
        });
    }
    services
}

fn found_by(candidate: &Candidate) -> Vec<&'static str> {
    candidate.found_by.iter().map(|s| s.as_str()).collect()
}

fn service_attrs(
    candidate: &Candidate,
    entry: Option<&CatalogService>,
    conflict: Option<&Conflict>,
    repo_key: &str,
) -> Value {
    let mut attrs = json!({
        "type": "service",
        "path": if candidate.folder.is_empty() { "/".to_string() } else { candidate.folder.clone() },
        "found_by": found_by(candidate),
        "named_by": candidate.named_by.as_str(),
        "signal": candidate.strength().as_str(),
        "evidence": candidate.evidence,
    });
    if let Some(image) = &candidate.image {
        attrs["image"] = json!(image);
    }
    if let Some(entry) = entry {
        attrs["lifecycle"] = json!(entry.lifecycle);
        attrs["system"] = json!(entry.system);
        if !entry.aliases.is_empty() {
            attrs["aliases"] = json!(entry.aliases);
        }
        declared_links(&mut attrs, entry);
    }
    if let Some(conflict) = conflict {
        attrs["conflict"] = json!({
            "name": conflict.name,
            "held_by": conflict.held_by,
            "holder_repo": conflict.holder_repo,
            "holder_path": conflict.holder_path,
            "reason": conflict.reason,
            "repo": repo_key,
            "path": candidate.folder,
        });
    }
    attrs
}

/// What the catalog file declares for the API's `links`: its links
/// (`{url, title, type}`) and its annotations (`a8r.io/runbook`, …; values
/// too large to be useful left out, as the Kubernetes collector does).
/// Neither is written when empty, so services without them keep their facts.
fn declared_links(attrs: &mut Value, entry: &CatalogService) {
    if !entry.links.is_empty() {
        let links: Vec<Value> = entry.links.iter().map(super::backstage::link_value).collect();
        attrs["links"] = Value::Array(links);
    }
    let annotations: BTreeMap<&String, &String> =
        entry.annotations.iter().filter(|(_, v)| v.len() <= MAX_ANNOTATION_BYTES).collect();
    if !annotations.is_empty() {
        attrs["annotations"] = json!(annotations);
    }
}

fn conflict_warning(repo_key: &str, candidate: &Candidate, key: &str, conflict: &Conflict) -> String {
    let place = |folder: &str| if folder.is_empty() { "/".to_string() } else { folder.to_string() };
    format!(
        "{repo_key}: identity conflict: the service in {} (named by {}) claims the name '{}', which {} ({} in {}) keeps \
         ({}); kept apart as {key}. Pin or rename one to resolve it (docs/identity.md)",
        place(&candidate.folder),
        candidate.named_by,
        conflict.name,
        conflict.held_by,
        conflict.holder_repo,
        place(&conflict.holder_path),
        conflict.reason,
    )
}

fn properties_key() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    CELL.get_or_init(|| Regex::new(r"(?m)^\s*sonar\.projectKey\s*[=:]\s*(\S+)\s*$").expect("a valid pattern"))
}

fn pom_key() -> &'static Regex {
    static CELL: OnceLock<Regex> = OnceLock::new();
    CELL.get_or_init(|| Regex::new(r"<sonar\.projectKey>\s*([^<\s]+)\s*</sonar\.projectKey>").expect("a valid pattern"))
}

/// `measures` from the SonarQube project a service's folder names.
fn sonar_binding(builder: &mut Builder, files: &RepoFiles, candidate: &Candidate, key: &str) {
    let file = |name: &str| join_path(&candidate.folder, name).and_then(|p| files.contents.get(&p).map(|c| (p, c)));
    let found = file("sonar-project.properties")
        .and_then(|(path, content)| {
            Some((path, properties_key().captures(content)?[1].to_string(), "sonar-project.properties"))
        })
        .or_else(|| {
            file("pom.xml")
                .and_then(|(path, content)| Some((path, pom_key().captures(content)?[1].to_string(), "pom.xml")))
        });
    if let Some((path, project, via)) = found {
        if project.contains('$') {
            return; // a property reference, not a key
        }
        let project = crate::sonarqube::map::project_key(&project);
        builder.relation(&project, "measures", key, json!({ "via": via, "path": path }));
    }
}

/// The key of the service a name in this repository means: one of its own
/// (by its name) before the organisation's `service:<name>`.
pub(super) fn key_for(services: &[Service], name: &str) -> String {
    match services.iter().find(|s| s.name == name) {
        Some(own) => own.key.clone(),
        None => keys::service(name),
    }
}
