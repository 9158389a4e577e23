//! Packages: how far each use is behind the package's latest version, and
//! the versions in use in their ecosystem's order.
//!
//! The rule is the collectors' ([`collectors::manifests::versions`]),
//! answered here at query time against the package's `latest` on the day
//! asked, whichever source said it: a latest version that a registry (or a
//! later collection) reports after the use was recorded counts from then on,
//! and uses recorded without a `behind` attribute are answered too.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use collectors::manifests::versions::{self, Lag};
use collectors::manifests::{self, Ecosystem};
use serde_json::Value;

use super::context::{load_entity, resolve_day, store, store_error};
use super::entity::Entity;
use super::scalars::Date;
use crate::model::{self, EntityState};

/// How far a version is behind the latest: the level the collectors record
/// as a `uses` relation's `behind` attribute (`up_to_date`, `patch`, …).
// The GraphQL face of `manifests::versions::Lag` (conversions derived).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "collectors::manifests::versions::Lag")]
pub enum VersionLag {
    /// The latest, or a version that orders equal to it.
    UpToDate,
    /// Same major and minor; an older patch, or a prerelease of the latest.
    Patch,
    /// Same major, an older minor.
    Minor,
    /// An older major.
    Major,
    /// Newer than the latest version the registry names.
    Ahead,
    /// Not comparable: no resolved or no latest version, either is not a
    /// release of the package's ecosystem, or the ecosystem is not known.
    Unknown,
}

/// A package's latest version on a day, as the API reads it everywhere
/// (here and in `outdatedDependencies`): the `latest` of the first source,
/// by name, that has one.
pub fn latest_of(state: &EntityState) -> Option<&str> {
    let mut facts: Vec<&model::Fact> = state.facts.iter().filter(|f| !attr(f, "latest").is_null()).collect();
    facts.sort_by(|a, b| (&a.source, &a.scope).cmp(&(&b.source, &b.scope)));
    facts.first().and_then(|f| attr(f, "latest").as_str())
}

fn attr<'a>(fact: &'a model::Fact, name: &str) -> &'a Value {
    fact.attrs.get(name).unwrap_or(&Value::Null)
}

/// How far a use's `resolved` version is behind the latest version of the
/// package (by key) on `day`.
pub async fn behind(ctx: &Context<'_>, package: &str, resolved: Option<&str>, day: model::Day) -> Result<Lag> {
    let state = load_entity(ctx, package, day).await?;
    Ok(versions::package_lag(package, resolved, state.as_deref().and_then(latest_of)))
}

/// A package with what a package page needs.
pub struct Package {
    pub entity: Entity,
    state: Arc<EntityState>,
}

/// One version of a package in use on a day.
#[derive(SimpleObject)]
pub struct PackageVersion {
    /// The resolved version; null for the uses that have none (a range
    /// without a lockfile).
    pub version: Option<String>,
    /// How far it is behind the package's latest version.
    pub behind: VersionLag,
    /// How many `uses` relations resolve to it.
    pub uses: i32,
    /// For uses without a version of their own: the Maven parent or BOM
    /// that gives it (a package key), when the manifest says so.
    pub managed_by: Option<String>,
    /// That parent's or BOM's version, as those users use it.
    pub managed_by_version: Option<String>,
}

impl Package {
    fn package_ecosystem(&self) -> Option<Ecosystem> {
        manifests::package_ecosystem(&self.entity.anchor.key)
    }
}

#[Object]
impl Package {
    async fn key(&self) -> &str {
        &self.entity.anchor.key
    }

    async fn name(&self) -> &str {
        &self.entity.anchor.name
    }

    /// The package as a generic entity: every fact and relation.
    async fn entity(&self) -> &Entity {
        &self.entity
    }

    /// The ecosystem its key names (`package:<ecosystem>/<name>`), whose
    /// version ordering judges it: `npm`, `go`, `pypi`, `maven`, `nuget`,
    /// `cargo`, `composer` or `rubygems`; null for a key of another shape.
    async fn ecosystem(&self) -> Option<&'static str> {
        self.package_ecosystem().map(Ecosystem::as_str)
    }

    /// Its latest version on the day: the `latest` of the first source (by
    /// name) that has one.
    async fn latest(&self) -> Option<&str> {
        latest_of(&self.state)
    }

    /// The resolved versions of its `uses` on the day, newest first by its
    /// ecosystem's ordering (then what is not a release of it, by text, then
    /// the uses without a version), each with how far behind it is and how
    /// many uses resolve to it. Counted as 20 items for the complexity limit.
    #[graphql(complexity = "20 * child_complexity")]
    async fn versions(&self, ctx: &Context<'_>) -> Result<Vec<PackageVersion>> {
        let key = &self.entity.anchor.key;
        let uses = store(ctx)?
            .relations(key, self.entity.day, model::Direction::In, &["uses".to_string()])
            .await
            .map_err(store_error)?;
        let managers = super::managed_versions::managers(ctx, &uses, self.entity.day).await?;
        let mut counts: BTreeMap<(Option<String>, Option<&super::managed_versions::Manager>), i32> = BTreeMap::new();
        for relation in &uses {
            let resolved = relation.attrs.get("resolved").and_then(Value::as_str).map(str::to_string);
            let manager = resolved.is_none().then(|| managers.get(&relation.from)).flatten();
            *counts.entry((resolved, manager)).or_default() += 1;
        }
        let latest = latest_of(&self.state);
        let mut found: Vec<PackageVersion> = counts
            .into_iter()
            .map(|((version, manager), uses)| PackageVersion {
                behind: versions::package_lag(key, version.as_deref(), latest).into(),
                version,
                uses,
                managed_by: manager.map(|m| m.key.clone()),
                managed_by_version: manager.and_then(|m| m.version.clone()),
            })
            .collect();
        let ecosystem = self.package_ecosystem();
        found.sort_by(|a, b| match (&a.version, &b.version, ecosystem) {
            (Some(a), Some(b), Some(ecosystem)) => versions::newest_first(ecosystem, a, b),
            (a, b, _) => (a.is_none(), a).cmp(&(b.is_none(), b)),
        });
        Ok(found)
    }
}

#[derive(Default)]
pub struct PackageQuery;

#[Object]
impl PackageQuery {
    /// A package by key (`package:npm/left-pad`) as of `at` (default: the
    /// latest committed day); null when no source saw it that day.
    async fn package(&self, ctx: &Context<'_>, key: String, at: Option<Date>) -> Result<Option<Package>> {
        let day = resolve_day(ctx, at.map(|d| d.0)).await?;
        let Some(state) = load_entity(ctx, &key, day).await? else { return Ok(None) };
        Ok(Some(Package { entity: Entity::new(state.entity.clone(), day), state }))
    }
}
