//! The store's changes of one day that can belong to some services, and
//! none of the rest of the organisation's: what `changesAround` reads.
//!
//! Which service a change belongs to (owner.rs) is decided by the graph
//! as of the change's later day, else its earlier one. So every entity
//! that belongs to one of the services on either day — the services
//! themselves, the workloads they deploy, the pages that document them,
//! the repositories that build them, the SonarQube projects that measure
//! them or those repositories, the packages they or those repositories
//! use — is a *member*, and the changes of members (and the relations
//! that touch a member) are a superset of the changes that belong to the
//! services. [`super::outline_of`] then keeps exactly those, by the same
//! rule as over the whole diff: the same changes, titles and order, while
//! the services, owners and package versions are read for a few dozen
//! keys instead of every key the organisation changed that day.
//!
//! Two groupings look beyond one change: an owner move (every `owns` of
//! one owned entity) and a package version moved in many places (every
//! changed `uses` of one package, whoever uses it): [`restrict`] keeps
//! every relation of such a group once it keeps one, so a title still
//! counts every service.

use std::collections::{BTreeMap, BTreeSet};

use super::owner::{hop, BUILDS, DIRECT, DIRECT_OR_BY_REPO};
use crate::model::{Changes, Day, Direction};
use crate::store::{Store, StoreResult};

/// The members of some services, per day, read once per day however many
/// day pairs ask.
pub struct Members<'a> {
    services: Vec<String>,
    by_day: BTreeMap<Day, BTreeSet<String>>,
    store: &'a dyn Store,
}

impl<'a> Members<'a> {
    pub fn new(store: &'a dyn Store, services: impl IntoIterator<Item = String>) -> Members<'a> {
        Members { services: services.into_iter().collect(), by_day: BTreeMap::new(), store }
    }

    /// The changes between day `day − 1` and `day` that can belong to the
    /// services (module docs).
    pub async fn changes(&mut self, day: Day) -> StoreResult<Changes> {
        let mut keep = self.on(day.minus(1)).await?.clone();
        keep.extend(self.on(day).await?.iter().cloned());
        Ok(restrict(self.store.changes(day.minus(1), day).await?, &keep))
    }

    async fn on(&mut self, day: Day) -> StoreResult<&BTreeSet<String>> {
        if !self.by_day.contains_key(&day) {
            let found = members(self.store, &self.services, day).await?;
            self.by_day.insert(day, found);
        }
        Ok(&self.by_day[&day])
    }
}

/// The services and every entity that belongs to one of them on `day`:
/// owner.rs's rules, each relation walked from the service's end.
async fn members(store: &dyn Store, services: &[String], day: Day) -> StoreResult<BTreeSet<String>> {
    let reached = |keys: &[String], relation: &'static str, direction: Direction| {
        let keys = keys.to_vec();
        async move {
            let pairs = hop(store, &keys, relation, direction.reversed(), day).await?;
            StoreResult::Ok(pairs.into_iter().map(|(_, other)| other).collect::<Vec<String>>())
        }
    };
    let mut found: BTreeSet<String> = services.iter().cloned().collect();
    for (_, relation, direction) in DIRECT {
        found.extend(reached(services, relation, direction).await?);
    }
    let repos = reached(services, BUILDS.0, BUILDS.1).await?;
    let builders: Vec<String> = services.iter().chain(repos.iter()).cloned().collect();
    for (_, relation, direction) in DIRECT_OR_BY_REPO {
        found.extend(reached(&builders, relation, direction).await?);
    }
    found.extend(repos);
    Ok(found)
}

/// The changes of `changes` that touch a member of `keep`, and every
/// changed relation of a grouping kind (`uses`, `owns`) whose `to` end
/// some kept relation of that kind leads to: read.rs types those as one
/// change per `to` end (a package version, an owner move), over every
/// relation of the group.
pub fn restrict(mut changes: Changes, keep: &BTreeSet<String>) -> Changes {
    changes.entities.retain(|c| keep.contains(&c.entity.key));
    let touches = |from: &str, to: &str| keep.contains(from) || keep.contains(to);
    let grouped: BTreeSet<(String, String)> = changes
        .relations
        .iter()
        .filter(|r| GROUPED.contains(&r.kind.as_str()) && touches(&r.from, &r.to))
        .map(|r| (r.kind.clone(), r.to.clone()))
        .collect();
    changes.relations.retain(|r| touches(&r.from, &r.to) || grouped.contains(&(r.kind.clone(), r.to.clone())));
    changes
}

/// The relation kinds read.rs groups by their `to` end.
const GROUPED: [&str; 2] = ["uses", "owns"];
