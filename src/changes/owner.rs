//! The services a changed entity belongs to through the graph as of a
//! day, by the relations the collectors write (docs/graph.md):
//!
//! | entity | its services |
//! |---|---|
//! | `service:…` | itself |
//! | `repo:…` | `repo -builds-> service` |
//! | `workload:…` | `service -deploys-> workload` |
//! | `doc:…` | `doc -documents-> service` |
//! | `sonar_project:…` | `-measures->` a service, or a repository and what it builds |
//! | `package:…` | `-uses->` from a service, or from a repository and what it builds |
//!
//! Anything else (a team, a cluster, a resource) belongs to no service.
//! One read per rule for all the keys at once.

use std::collections::{BTreeMap, BTreeSet};

use collectors::keys;

use crate::model::{Day, Direction, EdgeRule};
use crate::store::{Store, StoreResult};

/// Each key's services, sorted; keys without any are absent.
pub type ServicesOf = BTreeMap<String, Vec<String>>;

/// Entities one relation away from their service: (kind, relation, the
/// direction from the entity to the service).
pub(super) const DIRECT: [(&str, &str, Direction); 2] =
    [("workload", "deploys", Direction::In), ("doc", "documents", Direction::Out)];

/// Entities that reach a service, or a repository that builds services,
/// by one relation: (kind, relation, direction from the entity).
pub(super) const DIRECT_OR_BY_REPO: [(&str, &str, Direction); 2] =
    [("sonar_project", "measures", Direction::Out), ("package", "uses", Direction::In)];

/// From a repository to the services it builds.
pub(super) const BUILDS: (&str, Direction) = ("builds", Direction::Out);

pub async fn services_of(store: &dyn Store, keys_: &[String], day: Day) -> StoreResult<ServicesOf> {
    let of_kind = |kind: &str| -> Vec<String> { keys_.iter().filter(|k| keys::is_kind(k, kind)).cloned().collect() };
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for service in of_kind("service") {
        found.entry(service.clone()).or_default().insert(service);
    }
    for (kind, relation, direction) in DIRECT {
        for (key, service) in hop(store, &of_kind(kind), relation, direction, day).await? {
            found.entry(key).or_default().insert(service);
        }
    }
    // A repository builds its services; a SonarQube project and a package
    // reach a service directly, or a repository first.
    let mut via_repo: Vec<(String, String)> = of_kind("repo").into_iter().map(|r| (r.clone(), r)).collect();
    for (kind, relation, direction) in DIRECT_OR_BY_REPO {
        for (key, other) in hop(store, &of_kind(kind), relation, direction, day).await? {
            if keys::is_kind(&other, "service") {
                found.entry(key).or_default().insert(other);
            } else if keys::is_kind(&other, "repo") {
                via_repo.push((key, other));
            }
        }
    }
    let repos: Vec<String> =
        via_repo.iter().map(|(_, repo)| repo.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut built: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (repo, service) in hop(store, &repos, BUILDS.0, BUILDS.1, day).await? {
        built.entry(repo).or_default().push(service);
    }
    for (key, repo) in via_repo {
        for service in built.get(&repo).into_iter().flatten() {
            found.entry(key.clone()).or_default().insert(service.clone());
        }
    }
    Ok(found.into_iter().map(|(key, services)| (key, services.into_iter().collect())).collect())
}

/// Each of `keys` with the other end of each `relation` it has on `day`.
pub(super) async fn hop(
    store: &dyn Store,
    keys: &[String],
    relation: &str,
    direction: Direction,
    day: Day,
) -> StoreResult<Vec<(String, String)>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    store.neighbours(keys, &EdgeRule::new(relation, direction), day).await
}
