//! Catalog hygiene on one day, computed from the graph as of that day
//! (never stored): identity conflicts, what no service claims (workloads,
//! SonarQube projects, Consul services), services nobody owns, services
//! found only by a weak signal, manifests that stopped parsing, catalog
//! entities left out, and owners a catalog names that resolve to nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::model::{is_declared_workload, AttributeValue, Day, Direction, EdgeRule, Entity, SeenEntity};
use crate::store::{Store, StoreResult};

/// Where the GitHub collector records how a service was found and named.
const IDENTITY_SOURCE: &str = "github";

/// A service that lost a name claim, with the claim as the collector
/// recorded it (its `conflict` attribute).
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub service: Entity,
    pub claim: Value,
}

/// Why a workload counts as unclaimed.
#[derive(Debug, Clone, PartialEq)]
pub enum Unclaimed {
    /// No service deploys it.
    NoService,
    /// Only keys that no source describes deploy it (`service:<chart
    /// name>` and the like): a service that does not exist.
    ServicesNotFound(Vec<String>),
    /// Only services that no repository builds deploy it (their keys).
    ServicesNotBuilt(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnclaimedWorkload {
    pub workload: Entity,
    pub why: Unclaimed,
    /// Declared in a repository (`workload:declared/…`), not seen running.
    pub declared: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnclaimedProject {
    pub project: Entity,
    /// What it measures instead: repository keys (empty when nothing).
    pub repositories: Vec<String>,
}

/// A file of a repository that does not parse: the collector reads it as
/// it last parsed, and says so in the repository's `unparsed` attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct UnparsedFile {
    pub repository: String,
    pub path: String,
    /// The first day it did not parse.
    pub since: String,
}

/// A catalog entity (or Location target, or reference) the GitHub
/// collector left out, as the repository's `catalog_findings` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogFinding {
    pub repository: String,
    pub path: String,
    pub line: Option<i32>,
    pub problem: String,
}

/// An owner a catalog file names that no Group or User entity declares
/// (its `unresolved` attribute), with what it owns.
#[derive(Debug, Clone, PartialEq)]
pub struct UnresolvedOwner {
    pub owner: String,
    pub owns: Vec<String>,
}

/// Every finding of one day, each list by key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings {
    pub conflicts: Vec<Conflict>,
    pub unclaimed_workloads: Vec<UnclaimedWorkload>,
    pub unclaimed_projects: Vec<UnclaimedProject>,
    pub unclaimed_consul_services: Vec<Entity>,
    pub unowned_services: Vec<Entity>,
    pub weak_services: Vec<Entity>,
    pub unparsed_files: Vec<UnparsedFile>,
    pub invalid_catalog_entities: Vec<CatalogFinding>,
    pub unresolved_owners: Vec<UnresolvedOwner>,
    /// What the lists are out of: services, live workloads and SonarQube
    /// projects alive that day.
    pub services: usize,
    pub workloads: usize,
    pub projects: usize,
}

/// The findings of `day`: a handful of store reads, whatever the size.
pub async fn findings(store: &dyn Store, day: Day) -> StoreResult<Findings> {
    let (services, workloads, projects, conflicts, signals, unparsed, purposes, roles) = tokio::try_join!(
        store.entities_of_kind("service", day),
        store.entities_of_kind("workload", day),
        store.entities_of_kind("sonar_project", day),
        store.attribute_values("service", "conflict", Some(IDENTITY_SOURCE), day),
        store.attribute_values("service", "signal", Some(IDENTITY_SOURCE), day),
        store.attribute_values("repo", "unparsed", Some(IDENTITY_SOURCE), day),
        store.attribute_values("workload", "purpose", Some(IDENTITY_SOURCE), day),
        store.attribute_values("workload", "role", Some(IDENTITY_SOURCE), day),
    )?;
    let (running, workloads) = claimable(workloads, &purposes, &roles);
    let (catalog_findings, unresolved_owners) =
        tokio::try_join!(catalog_findings(store, day), unresolved_owners(store, day))?;
    let (service_keys, workload_keys, project_keys) = (keys(&services), keys(&workloads), keys(&projects));
    let (owns, deploys, measures) = (
        EdgeRule::new("owns", Direction::In),
        EdgeRule::new("deploys", Direction::In),
        EdgeRule::new("measures", Direction::Out),
    );
    let (owners, deployers, measured) = tokio::try_join!(
        store.neighbours(&service_keys, &owns, day),
        store.neighbours(&workload_keys, &deploys, day),
        store.neighbours(&project_keys, &measures, day),
    )?;
    // A workload may be deployed by a service no source describes: ask
    // whether those are built too.
    let mut deploying: Vec<String> = deployers.iter().map(|(_, service)| service.clone()).collect();
    deploying.extend(service_keys.iter().cloned());
    deploying.sort();
    deploying.dedup();
    let built: BTreeSet<String> = store
        .neighbours(&deploying, &EdgeRule::new("builds", Direction::In), day)
        .await?
        .into_iter()
        .map(|(service, _)| service)
        .collect();
    let owned: BTreeSet<&str> = owners.iter().map(|(service, _)| service.as_str()).collect();
    let by_key: BTreeMap<&str, &Entity> = services.iter().map(|s| (s.entity.key.as_str(), &s.entity)).collect();
    let entity_of = |key: &str| by_key.get(key).map(|e| (*e).clone());
    let known = Known { services: by_key.keys().copied().collect(), built: &built };
    Ok(Findings {
        conflicts: conflicts
            .into_iter()
            .filter_map(|c| Some(Conflict { service: entity_of(&c.key)?, claim: c.value }))
            .collect(),
        unclaimed_workloads: unclaimed_workloads(&workloads, &grouped(deployers), &known),
        unclaimed_projects: unclaimed_projects(&projects, &grouped(measured)),
        unclaimed_consul_services: services
            .iter()
            .filter(|s| s.sources.iter().any(|source| source == "consul") && !built.contains(&s.entity.key))
            .map(|s| s.entity.clone())
            .collect(),
        unowned_services: services
            .iter()
            .filter(|s| !owned.contains(s.entity.key.as_str()))
            .map(|s| s.entity.clone())
            .collect(),
        weak_services: signals.into_iter().filter(|s| s.value == "weak").filter_map(|s| entity_of(&s.key)).collect(),
        unparsed_files: unparsed_files(unparsed),
        invalid_catalog_entities: catalog_findings,
        unresolved_owners,
        services: services.len(),
        workloads: running,
        projects: projects.len(),
    })
}

/// Each file of each repository's `unparsed` list (`[{path, since}]`), by
/// repository then path.
fn unparsed_files(values: Vec<crate::model::AttributeValue>) -> Vec<UnparsedFile> {
    let mut files: Vec<UnparsedFile> = values
        .into_iter()
        .flat_map(|value| {
            let files = value.value.as_array().cloned().unwrap_or_default();
            files.into_iter().map(move |file| UnparsedFile {
                repository: value.key.clone(),
                path: file["path"].as_str().unwrap_or_default().to_string(),
                since: file["since"].as_str().unwrap_or_default().to_string(),
            })
        })
        .collect();
    files.sort_by(|a, b| (&a.repository, &a.path).cmp(&(&b.repository, &b.path)));
    files
}

/// Each repository's `catalog_findings` (`[{path, line, problem}]`), by
/// repository, then in the order the collector read them.
async fn catalog_findings(store: &dyn Store, day: Day) -> StoreResult<Vec<CatalogFinding>> {
    let values = store.attribute_values("repo", "catalog_findings", Some(IDENTITY_SOURCE), day).await?;
    let mut found = Vec::new();
    for value in values {
        for finding in value.value.as_array().into_iter().flatten() {
            found.push(CatalogFinding {
                repository: value.key.clone(),
                path: finding["path"].as_str().unwrap_or_default().to_string(),
                line: finding["line"].as_i64().and_then(|n| i32::try_from(n).ok()),
                problem: finding["problem"].as_str().unwrap_or_default().to_string(),
            });
        }
    }
    found.sort_by(|a, b| a.repository.cmp(&b.repository));
    Ok(found)
}

/// Teams and users marked `unresolved`, with what they own, by key.
async fn unresolved_owners(store: &dyn Store, day: Day) -> StoreResult<Vec<UnresolvedOwner>> {
    let (teams, users) = tokio::try_join!(
        store.attribute_values("team", "unresolved", Some(IDENTITY_SOURCE), day),
        store.attribute_values("user", "unresolved", Some(IDENTITY_SOURCE), day),
    )?;
    let mut owners: Vec<String> =
        teams.into_iter().chain(users).filter(|v| v.value == Value::Bool(true)).map(|v| v.key).collect();
    owners.sort();
    let owned = grouped(store.neighbours(&owners, &EdgeRule::new("owns", Direction::Out), day).await?);
    Ok(owners
        .into_iter()
        .map(|owner| UnresolvedOwner { owns: owned.get(&owner).cloned().unwrap_or_default(), owner })
        .collect())
}

fn keys(entities: &[SeenEntity]) -> Vec<String> {
    entities.iter().map(|e| e.entity.key.clone()).collect()
}

/// `(key, neighbour)` pairs as each key's neighbours.
fn grouped(pairs: Vec<(String, String)>) -> BTreeMap<String, Vec<String>> {
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, neighbour) in pairs {
        by_key.entry(key).or_default().push(neighbour);
    }
    by_key
}

/// The workloads a service should claim, and how many of them run: every
/// running workload, and the declared ones meant to be deployed that run
/// the image of a service (not a test's or an example's, nor a bundled
/// third-party database, which are no service's: docs/declared.md).
fn claimable(
    workloads: Vec<SeenEntity>,
    purposes: &[AttributeValue],
    roles: &[AttributeValue],
) -> (usize, Vec<SeenEntity>) {
    let not_claimable: BTreeSet<&str> = purposes
        .iter()
        .filter(|p| p.value != "deploy")
        .chain(roles.iter().filter(|r| r.value == "third-party"))
        .map(|v| v.key.as_str())
        .collect();
    let running = workloads.iter().filter(|w| !is_declared_workload(&w.entity.key)).count();
    let claimable = workloads.into_iter().filter(|w| !not_claimable.contains(w.entity.key.as_str())).collect();
    (running, claimable)
}

/// The services alive on the day, and those some repository builds.
struct Known<'a> {
    services: BTreeSet<&'a str>,
    built: &'a BTreeSet<String>,
}

/// Workloads that no built service deploys: deployed by nothing, only by
/// keys no source describes, or only by services no repository builds.
fn unclaimed_workloads(
    workloads: &[SeenEntity],
    deployers: &BTreeMap<String, Vec<String>>,
    known: &Known,
) -> Vec<UnclaimedWorkload> {
    workloads
        .iter()
        .filter_map(|w| {
            let why = match deployers.get(&w.entity.key) {
                None => Unclaimed::NoService,
                Some(services) if services.iter().any(|s| known.built.contains(s)) => return None,
                Some(services) if services.iter().all(|s| !known.services.contains(s.as_str())) => {
                    Unclaimed::ServicesNotFound(services.clone())
                }
                Some(services) => Unclaimed::ServicesNotBuilt(services.clone()),
            };
            Some(UnclaimedWorkload { workload: w.entity.clone(), why, declared: is_declared_workload(&w.entity.key) })
        })
        .collect()
}

/// SonarQube projects that measure no service, with the repositories they
/// measure instead.
fn unclaimed_projects(projects: &[SeenEntity], measured: &BTreeMap<String, Vec<String>>) -> Vec<UnclaimedProject> {
    let none = Vec::new();
    projects
        .iter()
        .filter_map(|p| {
            let targets = measured.get(&p.entity.key).unwrap_or(&none);
            if targets.iter().any(|t| collectors::keys::is_kind(t, collectors::keys::SERVICE)) {
                return None;
            }
            let repositories =
                targets.iter().filter(|t| collectors::keys::is_kind(t, collectors::keys::REPO)).cloned().collect();
            Some(UnclaimedProject { project: p.entity.clone(), repositories })
        })
        .collect()
}
