//! Why the outdated report may have nothing to count. It counts the uses
//! whose resolved version and package's latest version are both known: a
//! history full of uses (a backfill, which never asks a registry; a
//! collector with `check_latest = false`, or whose registries failed) can
//! still give it none. This says how many uses there are on a day and how
//! many of them each condition leaves, so that an empty report says why.

use std::collections::HashSet;

use async_graphql::SimpleObject;

use super::context::{store_error, Api};
use super::scalars::Date;
use crate::model::{Day, RelationValueVersion};

/// The package uses of one day, by what the outdated report needs of them.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
pub struct OutdatedCoverage {
    pub day: Date,
    /// Every `uses` valid that day.
    pub uses: i32,
    /// Uses with a resolved version (a lockfile, an exact pin).
    pub resolved: i32,
    /// Uses without one whose version a Maven parent or a BOM gives
    /// (`managed_by`): known to the build, not to SPoT without fetching it.
    pub managed: i32,
    /// Packages used that day, and how many of them have a known latest
    /// version (looked up by the GitHub collector with `check_latest`).
    pub packages: i32,
    pub packages_with_latest: i32,
    /// Uses the report can judge: resolved, and the package's latest known.
    pub comparable: i32,
}

pub async fn coverage_on(api: &Api, day: Day) -> async_graphql::Result<OutdatedCoverage> {
    let read = |path: &'static str| api.store.relation_value_versions("uses", path, day, day);
    let every = read("manifest").await.map_err(store_error)?;
    let resolved = read("resolved").await.map_err(store_error)?;
    let managed = read("managed_by").await.map_err(store_error)?;
    let latest: HashSet<String> = api
        .store
        .attribute_values("package", "latest", None, day)
        .await
        .map_err(store_error)?
        .into_iter()
        .filter(|v| v.value.is_string())
        .map(|v| v.key)
        .collect();
    let every = RelationValueVersion::on(&every, day);
    let resolved = RelationValueVersion::on(&resolved, day);
    let resolved: Vec<_> = resolved.iter().filter(|u| u.value.is_string()).collect();
    let resolved_pairs: HashSet<(&str, &str)> = resolved.iter().map(|u| (u.from.as_str(), u.to.as_str())).collect();
    let managed = RelationValueVersion::on(&managed, day)
        .iter()
        .filter(|u| !resolved_pairs.contains(&(u.from.as_str(), u.to.as_str())))
        .count();
    let packages: HashSet<&str> = every.iter().map(|u| u.to.as_str()).collect();
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    Ok(OutdatedCoverage {
        day: Date(day),
        uses: count(every.len()),
        resolved: count(resolved.len()),
        managed: count(managed),
        packages: count(packages.len()),
        packages_with_latest: count(packages.iter().filter(|p| latest.contains(**p)).count()),
        comparable: count(resolved.iter().filter(|u| latest.contains(&u.to)).count()),
    })
}
