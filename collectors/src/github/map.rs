//! From repositories and their files to SPoT's entities and relations:
//! repositories, teams and what they own, the services a repository builds,
//! the packages each uses and publishes, `depends_on` between services that
//! share an internal package, and how far behind each package is.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::stream::{self, StreamExt};
use serde_json::{json, Map, Value};

use super::memo::ParseMemo;
use super::own_packages;
use super::services::{self, Service};
use super::sync::RepoFiles;
use crate::identity::claims::{self, Claim};
use crate::identity::find::Candidate;
use crate::identity::{self, IdentityConfig};
use crate::manifests::versions;
use crate::manifests::{self, Dependency, Ecosystem};
use crate::registries::Registries;
use crate::{keys, Day, Observation, ObservedEntity, ObservedRelation};

/// CODEOWNERS locations, in GitHub's order of precedence.
const CODEOWNERS: &[&str] = &[".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

pub struct OrgContext<'a> {
    pub host: &'a str,
    pub org: &'a str,
    pub day: Day,
    /// `[identity]`: pins that name services over every convention.
    pub identity: &'a IdentityConfig,
}

pub fn repo_key(host: &str, org: &str, name: &str) -> String {
    crate::keys::repo(host, org, name)
}

/// Whether the collector reads a file: dependency manifests, catalog
/// files, CODEOWNERS, YAML (Kubernetes manifests, Helm values), `.env`
/// (the variables compose files interpolate), and what
/// finds services ([`identity::is_read`]: Dockerfiles, build descriptors),
/// outside vendored folders.
pub fn is_read(path: &str) -> bool {
    if manifests::is_vendored(path) {
        return false;
    }
    CODEOWNERS.contains(&path)
        || identity::is_read(path)
        || manifests::catalog::is_catalog_file(path)
        || manifests::detect(path).is_some()
        || manifests::is_context_file(path)
        || manifests::declared::is_candidate(path)
        || crate::wiring::repository::is_env_file(path)
}

/// Accumulates one organisation's observation without duplicates.
#[derive(Default)]
pub(super) struct Builder {
    pub(super) entities: BTreeMap<String, ObservedEntity>,
    pub(super) relations: BTreeMap<(String, String, String), Map<String, Value>>,
    pub warnings: Vec<String>,
    /// Entities a file that did not parse speaks for: what they said the
    /// day before carries forward, rather than reading as removed.
    unobserved: BTreeSet<String>,
    /// Every `publishes`, for [`own_packages::retract`].
    publications: Vec<own_packages::Publication>,
}

impl Builder {
    pub fn entity(&mut self, key: &str, kind: &str, name: &str, attrs: Value) {
        let attrs = match attrs {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        self.entities.entry(key.to_string()).or_insert_with(|| ObservedEntity {
            key: key.into(),
            kind: kind.into(),
            name: name.into(),
            attrs,
        });
    }

    /// An entity a catalog declares: its attributes replace those of the
    /// bare entity a reference made (an owner, a system).
    pub fn declare(&mut self, key: &str, kind: &str, name: &str, attrs: Value) {
        self.entity(key, kind, name, json!({}));
        if let (Some(entity), Value::Object(attrs)) = (self.entities.get_mut(key), attrs) {
            entity.attrs = attrs;
        }
    }

    /// Adds attributes to an entity already there.
    pub fn merge_attrs(&mut self, key: &str, attrs: Map<String, Value>) {
        if let Some(entity) = self.entities.get_mut(key) {
            entity.attrs.extend(attrs);
        }
    }

    pub fn set_attr(&mut self, key: &str, name: &str, value: Value) {
        if let Some(entity) = self.entities.get_mut(key) {
            entity.attrs.insert(name.into(), value);
        }
    }

    /// The owners (`from` of `owns`) a catalog file names.
    pub fn catalog_owners(&self) -> Vec<String> {
        self.relations
            .iter()
            .filter(|((_, _, kind), attrs)| {
                kind == "owns" && attrs.get("via").and_then(Value::as_str) == Some("catalog-info")
            })
            .map(|((from, _, _), _)| from.clone())
            .collect()
    }

    /// The first statement of a relation wins; later ones are dropped.
    pub fn relation(&mut self, from: &str, kind: &str, to: &str, attrs: Value) {
        let attrs = match attrs {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        self.relations.entry((from.to_string(), to.to_string(), kind.to_string())).or_insert(attrs);
    }
}

/// Observes every repository read; fills `obs`.
pub fn observe(context: &OrgContext, repos: &[RepoFiles], obs: &mut Observation) {
    let repos: Vec<&RepoFiles> = repos.iter().collect();
    observe_with(context, &repos, &mut ParseMemo::default(), obs)
}

/// As [`observe`], with parses remembered across calls (a backfill observes
/// the same files on many days).
pub fn observe_with(context: &OrgContext, repos: &[&RepoFiles], memo: &mut ParseMemo, obs: &mut Observation) {
    let mut builder = Builder::default();
    let catalogs = super::catalog::read(context, repos, memo, &mut builder.warnings);
    let prepared: Vec<Prepared> = repos
        .iter()
        .zip(&catalogs)
        .map(|(files, catalog)| prepare(context, files, catalog, memo, &mut builder))
        .collect();
    let keys = organisation_keys(&prepared, repos);
    let mut named: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let organisation: BTreeSet<String> = keys.iter().flatten().map(|assigned| assigned.key.clone()).collect();
    let mut services_of_repo: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut published: BTreeMap<String, String> = BTreeMap::new();
    let mut uses: Vec<(String, String, String)> = Vec::new(); // (from, package key, repo key)
    for ((files, prepared), keys) in repos.iter().zip(&prepared).zip(&keys) {
        let repo = observe_repo(context, files, prepared, keys, &organisation, memo, &mut builder);
        for (package, _) in &repo.publishes {
            published.insert(package.clone(), repo.key.clone());
        }
        for (from, package) in &repo.uses {
            uses.push((from.clone(), package.clone(), repo.key.clone()));
        }
        services_of_repo.insert(repo.key.clone(), repo.services);
        named.push((repo.key, repo.named));
    }
    let publications = std::mem::take(&mut builder.publications);
    own_packages::retract(&mut builder, &publications, &mut published, &uses);
    link_internal_packages(&mut builder, &services_of_repo, &published, &uses);
    let repo_services: Vec<super::backstage::RepoServices> =
        named.iter().map(|(key, services)| super::backstage::RepoServices { key, services }).collect();
    super::backstage::emit(&mut builder, context.host, &catalogs, &repo_services);
    obs.entities.extend(builder.entities.into_values());
    obs.relations.extend(builder.relations.into_iter().map(|((from, to, kind), attrs)| ObservedRelation {
        from,
        to,
        kind,
        attrs,
    }));
    obs.warnings.extend(builder.warnings);
    obs.unobserved.extend(builder.unobserved);
    // One bad name (a folder, a catalog entry) is a warning, never the end
    // of the whole organisation's run.
    let dropped = obs.drop_invalid_items();
    obs.warnings.extend(dropped);
}

/// What a repository says about itself before the organisation's services
/// are keyed: its catalog, type, and the services it builds.
struct Prepared {
    key: String,
    catalog: Vec<CatalogService>,
    repo_type: String,
    candidates: Vec<Candidate>,
}

fn prepare(
    context: &OrgContext,
    files: &RepoFiles,
    read: &super::catalog::RepoCatalog,
    memo: &mut ParseMemo,
    builder: &mut Builder,
) -> Prepared {
    let key = repo_key(context.host, context.org, &files.repo.name);
    let catalog = read.entries.clone();
    if read.failed {
        builder.unobserved.insert(key.clone());
    }
    let repo_type = repo_type(&catalog, &files.repo.topics);
    let workloads = memo.declared(&files.contents);
    let view = services::RepoView {
        key: &key,
        files,
        catalog: &catalog,
        repo_type: &repo_type,
        workloads: &workloads.workloads,
    };
    let candidates = services::candidates(context, &view, memo, &mut builder.warnings);
    Prepared { key, catalog, repo_type, candidates }
}

/// Every service of the organisation keyed at once, so that two
/// repositories claiming one name are kept apart ([`claims::assign`]).
fn organisation_keys(prepared: &[Prepared], repos: &[&RepoFiles]) -> Vec<Vec<claims::Assigned>> {
    let mut all = Vec::new();
    for (repo, files) in prepared.iter().zip(repos) {
        let since = files.repo.created_at.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        for candidate in &repo.candidates {
            all.push(Claim {
                repo: &files.repo.name,
                repo_key: &repo.key,
                since: since.map(|t| t.timestamp()),
                candidate,
            });
        }
    }
    let mut assigned = claims::assign(&all).into_iter();
    prepared.iter().map(|repo| assigned.by_ref().take(repo.candidates.len()).collect()).collect()
}

/// What one repository contributed, for the organisation-wide links.
struct RepoSummary {
    key: String,
    services: Vec<String>,
    /// Each service's (name, key), for catalog references.
    named: Vec<(String, String)>,
    /// (package key, manifest)
    publishes: Vec<(String, String)>,
    /// (from key, package key)
    uses: Vec<(String, String)>,
}

fn observe_repo(
    context: &OrgContext,
    files: &RepoFiles,
    prepared: &Prepared,
    keys: &[claims::Assigned],
    organisation: &BTreeSet<String>,
    memo: &mut ParseMemo,
    builder: &mut Builder,
) -> RepoSummary {
    let key = prepared.key.clone();
    let codeowners = CODEOWNERS.iter().find_map(|path| files.contents.get(*path).map(|c| (*path, c.as_str())));
    let code_owner_teams = codeowners.map(|(path, content)| codeowner_teams(path, content)).unwrap_or_default();
    builder.entity(&key, "repo", &files.repo.name, repo_attrs(files, &prepared.repo_type));
    for path in &files.too_large {
        builder.warnings.push(format!("{key}: {path} is larger than max_file_bytes and was not read"));
    }
    builder.warnings.extend(super::unparsed::warnings(&key, &files.unparsed));
    if files.snapshot.truncated {
        builder
            .warnings
            .push(format!("{key}: its tree is too large for one request; files beyond GitHub's limit were not read"));
    }
    let root_owner = prepared.catalog.iter().find(|e| e.folder.is_empty()).and_then(|e| e.owner.clone());
    owners(builder, &key, root_owner.as_deref(), &code_owner_teams);
    let keyed: Vec<_> = prepared.candidates.iter().zip(keys).collect();
    let services = services::emit(builder, &key, files, &prepared.catalog, &keyed, &code_owner_teams);
    let (publishes, uses) = packages(builder, &key, files, &services, memo);
    declared_workloads(builder, context, &key, files, &services, memo);
    super::wiring::wire(builder, files, &services, organisation, memo);
    let named = services.iter().map(|s| (s.name.clone(), s.key.clone())).collect();
    RepoSummary { key, services: services.into_iter().map(|s| s.key).collect(), named, publishes, uses }
}

fn repo_attrs(files: &RepoFiles, repo_type: &str) -> Value {
    let repo = &files.repo;
    let status = if repo.disabled {
        "disabled"
    } else if repo.archived {
        "archived"
    } else {
        "active"
    };
    let languages: Vec<&str> = files.snapshot.languages.iter().map(|(name, _)| name.as_str()).collect();
    let mut topics = repo.topics.clone();
    topics.sort();
    let mut attrs = json!({
        "type": repo_type,
        "status": status,
        "visibility": repo.visibility.clone().unwrap_or_else(|| if repo.private { "private".into() } else { "public".into() }),
        "default_branch": repo.default_branch,
        "language": repo.language,
        "languages": languages,
        "topics": topics,
        "last_push": repo.pushed_at,
        "open_issues": repo.open_issues_count,
        "description": repo.description,
        "url": repo.html_url,
        "fork": repo.fork,
        // Releases and tags with their commits: what a deployed version
        // was built from (docs/dora.md).
        "releases": files.snapshot.releases,
    });
    // Only when there are some: every other repository's facts stay as
    // they were.
    if !files.unparsed.is_empty() {
        let unparsed: Vec<Value> =
            files.unparsed.iter().map(|(path, u)| json!({ "path": path, "since": u.since.to_string() })).collect();
        attrs["unparsed"] = json!(unparsed);
    }
    attrs
}

/// service / library / infrastructure / other: the catalog file says, else
/// a topic does.
fn repo_type(catalog: &[CatalogService], topics: &[String]) -> String {
    if let Some(kind) = catalog.iter().find(|e| e.folder.is_empty()).and_then(|e| e.kind.clone()) {
        return normalise_type(&kind);
    }
    if catalog.iter().any(|e| e.kind.as_deref().is_some_and(|k| normalise_type(k) == "service")) {
        return "service".into();
    }
    for topic in topics {
        let t = normalise_type(topic);
        if t != "other" {
            return t;
        }
    }
    "other".into()
}

pub(super) fn normalise_type(kind: &str) -> String {
    match kind.to_ascii_lowercase().as_str() {
        "service" | "website" | "microservice" => "service",
        "library" | "lib" | "sdk" => "library",
        "infrastructure" | "infra" | "terraform" | "resource" => "infrastructure",
        _ => "other",
    }
    .into()
}

/// `owns` from the catalog's owner (explicit) or CODEOWNERS (convention);
/// both present and different is a conflict, reported, the catalog kept.
pub(super) fn owners(builder: &mut Builder, target: &str, catalog_owner: Option<&str>, code_owners: &[String]) {
    match catalog_owner {
        Some(owner) => {
            let Some(team) = manifests::catalog::owner_key(owner) else {
                builder.warnings.push(format!("{target}: the catalog file's owner '{owner}' is not a team or user"));
                return;
            };
            if !code_owners.is_empty() && !code_owners.contains(&team) {
                builder.warnings.push(format!(
                    "{target}: owner conflict: the catalog file says {team}, CODEOWNERS says {}; kept {team}",
                    code_owners.join(", ")
                ));
            }
            team_entity(builder, &team);
            builder.relation(&team, "owns", target, json!({ "via": "catalog-info" }));
        }
        None => {
            for team in code_owners {
                team_entity(builder, team);
                builder.relation(team, "owns", target, json!({ "via": "codeowners" }));
            }
        }
    }
}

fn team_entity(builder: &mut Builder, team: &str) {
    let name = keys::name_of(team).unwrap_or(team);
    let kind = keys::kind_of(team).unwrap_or(keys::TEAM);
    builder.entity(team, kind, name, json!({}));
}

/// (package key, manifest path) for `publishes`; (from key, package key)
/// for `uses`.
type PackageLink = (String, String);

/// Parses every manifest; `uses` from the service whose folder holds it
/// (monorepos) or the repository, `publishes` from the repository. A
/// folder's manifests are read together (a lockfile resolves its
/// manifest's ranges), and a folder whose files did not change is not
/// read again (see [`ParseMemo::folder`]).
fn packages(
    builder: &mut Builder,
    repo_key: &str,
    files: &RepoFiles,
    services: &[Service],
    memo: &mut ParseMemo,
) -> (Vec<PackageLink>, Vec<PackageLink>) {
    let (mut publishes, mut uses) = (Vec::new(), Vec::new());
    for (folder, manifests) in manifest_folders(files) {
        let context = folder_context(files, &folder, &manifests);
        let read = memo.folder(&manifests, &context);
        let from = owning_service(services, &folder).unwrap_or(repo_key).to_string();
        for (path, published) in &read.publishes {
            let package = manifests::package_key(published.ecosystem, &published.name);
            package_entity(builder, &package, published.ecosystem, &published.name);
            builder.relation(
                repo_key,
                "publishes",
                &package,
                json!({ "manifest": path, "version": published.version }),
            );
            let owner = owning_service(services, &folder).and_then(|key| services.iter().find(|s| s.key == key));
            builder.publications.push(own_packages::Publication::new(repo_key, &package, published, owner));
            publishes.push((package, path.clone()));
        }
        let unsettled: Vec<&manifests::ParseError> =
            read.errors.iter().filter(|e| !files.unparsed.contains_key(&e.path)).collect();
        if !unsettled.is_empty() {
            builder.warnings.extend(unsettled.iter().map(|e| format!("{repo_key}: {e}; skipped")));
            builder.unobserved.insert(from.clone());
        }
        for dependency in &read.direct {
            let package = manifests::package_key(dependency.ecosystem, &dependency.name);
            package_entity(builder, &package, dependency.ecosystem, &dependency.name);
            builder.relation(&from, "uses", &package, use_attrs(dependency));
            uses.push((from.clone(), package));
        }
    }
    (publishes, uses)
}

/// Each folder's manifests (path, content).
fn manifest_folders(files: &RepoFiles) -> BTreeMap<String, Vec<(&str, &str)>> {
    let mut by_folder: BTreeMap<String, Vec<(&str, &str)>> = BTreeMap::new();
    for (path, content) in files.contents.iter().filter(|(p, _)| manifests::detect(p).is_some()) {
        by_folder.entry(folder_of(path)).or_default().push((path, content));
    }
    by_folder
}

/// The files a folder's manifests are read with ([`manifests::context_files`]).
fn folder_context<'a>(files: &'a RepoFiles, folder: &str, manifests: &[(&str, &str)]) -> Vec<(&'a str, &'a str)> {
    let names: Vec<&str> = manifests.iter().map(|(path, _)| *path).collect();
    manifests::context_files(folder, &names, files.contents.keys().map(String::as_str))
        .into_iter()
        .filter_map(|path| files.contents.get_key_value(path).map(|(p, c)| (p.as_str(), c.as_str())))
        .collect()
}

/// The context files ([`manifests::is_context_file`]) that do not parse.
pub(super) fn context_errors(files: &RepoFiles) -> Vec<manifests::ParseError> {
    files
        .contents
        .iter()
        .filter(|(path, _)| manifests::is_context_file(path))
        .filter_map(|(path, content)| manifests::check_context(path, content).err())
        .collect()
}

/// Every other file of the repository that does not parse: manifests (read
/// with their context files), catalog files, deployment YAML.
pub(super) fn parse_errors(files: &RepoFiles, memo: &mut ParseMemo) -> Vec<manifests::ParseError> {
    let mut errors = Vec::new();
    for (folder, manifests) in manifest_folders(files) {
        let context = folder_context(files, &folder, &manifests);
        errors.extend(memo.folder(&manifests, &context).errors.iter().cloned());
    }
    for (path, content) in files.contents.iter().filter(|(p, _)| manifests::catalog::is_catalog_file(p)) {
        if let Err(e) = memo.catalog(path, content) {
            errors.push(e.clone());
        }
    }
    errors.extend(memo.declared(&files.contents).errors.iter().cloned());
    errors
}

/// The workloads the repository declares for Kubernetes (manifests,
/// kustomizations, Helm values): each an entity with its image, version,
/// purpose (deploy, test, example) and role, `declared_in` from the
/// repository, and `deploys` (`via: declared`) from the service it belongs
/// to ([`super::attach`]). What is declared is never what runs: the API
/// keeps these apart from deploys (docs/declared.md).
fn declared_workloads(
    builder: &mut Builder,
    context: &OrgContext,
    repo_key: &str,
    files: &RepoFiles,
    services: &[Service],
    memo: &mut ParseMemo,
) {
    let read = memo.declared(&files.contents);
    let unsettled: Vec<&manifests::ParseError> =
        read.errors.iter().filter(|e| !files.unparsed.contains_key(&e.path)).collect();
    // Without a file's history, what it declared is not known: the whole
    // repository's declarations carry forward (see `super::unparsed`).
    if !unsettled.is_empty() {
        builder.unobserved.insert(repo_key.to_string());
    }
    builder.warnings.extend(unsettled.iter().map(|e| format!("{repo_key}: {e}; skipped")));
    for workload in &read.workloads {
        let key = declared_workload_key(context.org, &files.repo.name, workload);
        let version = workload.version();
        let purpose = manifests::purpose::purpose_of(&workload.declared_in).as_str();
        let folder = folder_of(&workload.declared_in);
        let attachment = super::attach::attach(workload, services, owning_service(services, &folder));
        builder.entity(
            &key,
            "workload",
            &workload.name,
            json!({
                "kind": workload.kind,
                "namespace": workload.namespace,
                "image": workload.image,
                "version": version,
                "declared_in": workload.declared_in,
                "via": workload.via.as_str(),
                "purpose": purpose,
                "role": attachment.role.as_str(),
            }),
        );
        builder.relation(repo_key, "declares", &key, json!({ "path": workload.declared_in }));
        if let Some(service) = &attachment.service {
            let version = attachment.version_of(workload);
            let attrs = json!({ "version": version, "via": "declared", "purpose": purpose });
            builder.relation(service, "deploys", &key, attrs);
        }
    }
}

/// A declared workload's key ([`keys::declared_workload`]).
pub fn declared_workload_key(org: &str, repo: &str, workload: &manifests::declared::DeclaredWorkload) -> String {
    keys::declared_workload(org, repo, &workload.declared_in, &workload.kind, &workload.name)
}

fn use_attrs(dependency: &Dependency) -> Value {
    let mut attrs = json!({
        "spec": dependency.spec,
        "resolved": dependency.resolved,
        "scope": dependency.scope.as_str(),
        "manifest": dependency.manifest,
    });
    super::managed::governance_attrs(dependency, &mut attrs);
    attrs
}

fn package_entity(builder: &mut Builder, key: &str, ecosystem: Ecosystem, name: &str) {
    builder.entity(key, "package", name, json!({ "ecosystem": ecosystem.as_str() }));
}

fn folder_of(path: &str) -> String {
    path.rsplit_once('/').map(|(folder, _)| folder.to_string()).unwrap_or_default()
}

/// The service whose folder is the deepest one holding `folder`; a service
/// at the root does not claim the folders of other services.
pub(super) fn owning_service<'a>(services: &'a [Service], folder: &str) -> Option<&'a str> {
    services
        .iter()
        .filter(|s| s.folder.is_empty() || folder == s.folder || folder.starts_with(&format!("{}/", s.folder)))
        .max_by_key(|s| s.folder.len())
        .map(|s| s.key.as_str())
}

/// A package some repository of the organisation publishes is internal:
/// every service using it depends on the services of the publishing
/// repository (`via: package`).
fn link_internal_packages(
    builder: &mut Builder,
    services_of_repo: &BTreeMap<String, Vec<String>>,
    published: &BTreeMap<String, String>,
    uses: &[(String, String, String)],
) {
    for (package, repo) in published {
        if let Some(entity) = builder.entities.get_mut(package) {
            entity.attrs.insert("internal".into(), json!(true));
            entity.attrs.insert("published_by".into(), json!(repo));
        }
    }
    for (from, package, using_repo) in uses {
        let Some(publishing_repo) = published.get(package) else { continue };
        let users: Vec<String> = if keys::is_kind(from, keys::SERVICE) {
            vec![from.clone()]
        } else {
            services_of_repo.get(using_repo).cloned().unwrap_or_default()
        };
        for provider in services_of_repo.get(publishing_repo).into_iter().flatten() {
            for user in users.iter().filter(|u| *u != provider) {
                builder.relation(user, "depends_on", provider, json!({ "via": "package", "package": package }));
            }
        }
    }
}

/// Looks up each external package's latest version (bounded concurrency,
/// once a day) and records, on the package and on every `uses` of it,
/// `latest`, and on the `uses` how far behind it is
/// ([`versions::package_lag`], recorded by [`versions::Lag::record`]).
pub async fn mark_outdated(registries: &Registries, day: Day, obs: &mut Observation) {
    let external: Vec<(String, Ecosystem, String)> = obs
        .entities
        .iter()
        .filter(|e| e.kind == "package" && e.attrs.get("internal").is_none())
        .filter_map(|e| {
            let ecosystem = Ecosystem::from_id(e.attrs.get("ecosystem")?.as_str()?)?;
            Some((e.key.clone(), ecosystem, e.name.clone()))
        })
        .collect();
    let mut lookups = stream::iter(external)
        .map(|(key, ecosystem, name)| async move {
            let latest = registries.latest(ecosystem.as_str(), &name, day).await;
            (key, ecosystem, latest)
        })
        .buffer_unordered(8);
    let mut latest: BTreeMap<String, String> = BTreeMap::new();
    let mut failed: BTreeSet<String> = BTreeSet::new();
    while let Some((key, ecosystem, answer)) = lookups.next().await {
        match answer {
            Ok(Some(version)) => {
                latest.insert(key, version);
            }
            Ok(None) => {}
            Err(e) => {
                failed.insert(format!("latest versions from {}: {e}", ecosystem.as_str()));
            }
        }
    }
    obs.warnings.extend(failed);
    for entity in obs.entities.iter_mut() {
        if let Some(version) = latest.get(&entity.key) {
            entity.attrs.insert("latest".into(), json!(version));
        }
    }
    for relation in obs.relations.iter_mut().filter(|r| r.kind == "uses") {
        let Some(newest) = latest.get(&relation.to) else { continue };
        let resolved = relation.attrs.get("resolved").and_then(Value::as_str);
        let behind = versions::package_lag(&relation.to, resolved, Some(newest));
        relation.attrs.insert("latest".into(), json!(newest));
        behind.record(&mut relation.attrs);
    }
}

/// A catalog file's entry, in the collector's terms.
#[derive(Debug, Clone)]
pub(super) struct CatalogService {
    pub name: String,
    pub kind: Option<String>,
    pub owner: Option<String>,
    pub lifecycle: Option<String>,
    pub system: Option<String>,
    pub depends_on: Vec<String>,
    pub aliases: Vec<String>,
    /// Backstage `metadata.links`, `.spot.yaml` `docs`.
    pub links: Vec<manifests::catalog::Link>,
    /// Backstage `metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
    /// The folder of the catalog file, `""` at the root.
    pub folder: String,
    pub path: String,
}

/// The owners (teams, users) CODEOWNERS gives the repository's root.
fn codeowner_teams(path: &str, content: &str) -> Vec<String> {
    let parsed = manifests::codeowners::parse_codeowners(path, content);
    manifests::codeowners::repo_owners(&parsed.rules).iter().map(|owner| owner.key()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(name: &str, files: &[(&str, &str)]) -> RepoFiles {
        RepoFiles::from_files(name, &["service"], files)
    }

    #[test]
    fn a_service_using_a_package_another_service_publishes_depends_on_it() {
        let publisher = repo("ledger", &[("package.json", r#"{"name":"@acme/ledger-client","version":"2.0.0"}"#)]);
        let user = repo(
            "billing",
            &[(
                "package.json",
                r#"{"name":"billing","private":true,"dependencies":{"@acme/ledger-client":"^2.0.0","left-pad":"1.3.0"}}"#,
            )],
        );
        let mut obs = Observation::new("github", "acme", Day(20_000));
        observe(
            &OrgContext { host: "github.com", org: "acme", day: Day(20_000), identity: &IdentityConfig::default() },
            &[publisher, user],
            &mut obs,
        );
        let depends: Vec<_> = obs.relations.iter().filter(|r| r.kind == "depends_on").collect();
        assert_eq!(depends.len(), 1);
        assert_eq!((depends[0].from.as_str(), depends[0].to.as_str()), ("service:billing", "service:ledger"));
        assert_eq!(depends[0].attrs["via"], "package");
        assert_eq!(depends[0].attrs["package"], "package:npm/@acme/ledger-client");
        let package = obs.entities.iter().find(|e| e.key == "package:npm/@acme/ledger-client").unwrap();
        assert_eq!(package.attrs["internal"], true);
        let external = obs.entities.iter().find(|e| e.key == "package:npm/left-pad").unwrap();
        assert!(external.attrs.get("internal").is_none());
        assert_eq!(obs.validate(), Ok(()));
    }

    #[test]
    fn a_folder_with_a_manifest_and_a_dockerfile_is_a_service() {
        let files = repo(
            "platform",
            &[
                (
                    "services/ingest/package.json",
                    r#"{"name":"ingest","private":true,"dependencies":{"kafkajs":"^2.2.0"}}"#,
                ),
                ("services/ingest/Dockerfile", "FROM node:22\n"),
                ("tools/lint/package.json", r#"{"name":"lint","private":true}"#),
            ],
        );
        let mut obs = Observation::new("github", "acme", Day(20_000));
        observe(
            &OrgContext { host: "github.com", org: "acme", day: Day(20_000), identity: &IdentityConfig::default() },
            &[files],
            &mut obs,
        );
        let built: Vec<_> = obs.relations.iter().filter(|r| r.kind == "builds").map(|r| r.to.as_str()).collect();
        assert_eq!(built, ["service:ingest"], "tools/lint has no Dockerfile");
        assert!(obs
            .relations
            .iter()
            .any(|r| r.from == "service:ingest" && r.kind == "uses" && r.to == "package:npm/kafkajs"));
    }

    #[test]
    fn catalog_and_codeowners_that_disagree_are_reported() {
        let files = repo(
            "billing",
            &[
                ("catalog-info.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: billing\nspec:\n  type: service\n  owner: group:payments\n"),
                (".github/CODEOWNERS", "* @acme/platform\n"),
            ],
        );
        let mut obs = Observation::new("github", "acme", Day(20_000));
        observe(
            &OrgContext { host: "github.com", org: "acme", day: Day(20_000), identity: &IdentityConfig::default() },
            &[files],
            &mut obs,
        );
        let owns: Vec<_> =
            obs.relations.iter().filter(|r| r.kind == "owns").map(|r| (r.from.as_str(), r.to.as_str())).collect();
        assert_eq!(owns, [("team:payments", "repo:github.com/acme/billing"), ("team:payments", "service:billing")]);
        assert!(
            obs.warnings[0]
                .contains("owner conflict: the catalog file says team:payments, CODEOWNERS says team:platform"),
            "{:?}",
            obs.warnings
        );
    }
}
