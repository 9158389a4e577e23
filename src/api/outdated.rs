//! How many package uses are behind the package's latest version, over
//! time: one point per bucket (and group, e.g. the owning team), read as of
//! each bucket's last day, counted as major, minor or patch behind by the
//! one rule, [`collectors::manifests::versions::package_lag`] (each
//! ecosystem's own version ordering), against the package's `latest` on
//! that day: a latest version a registry reports later counts from then on.

use std::collections::{BTreeMap, HashMap};

use async_graphql::{Context, Object, Result, SimpleObject};
use collectors::manifests::versions::{package_lag, Lag};

use super::auth::Scope;
use super::context::{api, store_error};
use super::outdated_coverage::{coverage_on, OutdatedCoverage};
use super::reports::{group_of, trend_buckets, Bucket};
use super::scalars::{Date, EdgeRuleInput};
use crate::model::{Day, EdgeRule, RelationValueVersion};

/// One bucket of package uses, for one group.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct OutdatedPoint {
    /// The first day of the bucket.
    pub bucket: Date,
    /// The day the uses were read on: the bucket's last day (or `to`).
    pub measured_on: Date,
    /// The group's entity key; null when not grouped, and for users the
    /// grouping path does not reach.
    pub group: Option<String>,
    /// Uses whose resolved version and package's latest version are both
    /// known and comparable by the package's ecosystem (its key's
    /// `package:<ecosystem>/` prefix): up to date, ahead or behind.
    pub uses: i32,
    /// Uses behind the latest version: `major + minor + patch`.
    pub outdated: i32,
    pub major: i32,
    pub minor: i32,
    pub patch: i32,
}

#[derive(Default)]
pub struct OutdatedQuery;

#[Object]
impl OutdatedQuery {
    /// Package uses (`uses` relations with a `resolved` version) behind the
    /// package's `latest` version, over `[from, to]`, one point per bucket
    /// (and group). `groupBy` follows edges from each user (a repository or
    /// a service) to its group, e.g. its team: `[{kind: "owns", direction: IN}]`.
    #[graphql(complexity = "50 * child_complexity")]
    async fn outdated_dependencies(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Option<Date>,
        #[graphql(default_with = "Bucket::Week")] bucket: Bucket,
        #[graphql(default)] group_by: Vec<EdgeRuleInput>,
    ) -> Result<Vec<OutdatedPoint>> {
        let api = api(ctx, Scope::Read)?;
        let spans = trend_buckets(ctx, from, to, bucket).await?;
        let rules: Vec<EdgeRule> = group_by.iter().map(EdgeRule::from).collect();
        // Every version of every use in one read; each bucket picks its day's.
        let (Some(&(_, first_measured)), Some(&(_, to))) = (spans.first(), spans.last()) else {
            return Ok(Vec::new());
        };
        let uses =
            api.store.relation_value_versions("uses", "resolved", first_measured, to).await.map_err(store_error)?;
        let mut points = Vec::new();
        for (start, measured_on) in spans {
            points.extend(outdated_on(api, &uses, start, measured_on, &rules).await?);
        }
        Ok(points)
    }

    /// The package uses of a day (default: today), by what the outdated
    /// report needs of them: say why it is empty, when it is.
    async fn outdated_coverage(&self, ctx: &Context<'_>, on: Option<Date>) -> Result<OutdatedCoverage> {
        let api = api(ctx, Scope::Read)?;
        coverage_on(api, on.map_or_else(Day::today, |d| d.0)).await
    }
}

/// The points of one bucket, read on `measured_on`.
async fn outdated_on(
    api: &super::context::Api,
    uses: &[RelationValueVersion],
    start: Day,
    measured_on: Day,
    rules: &[EdgeRule],
) -> Result<Vec<OutdatedPoint>> {
    let latest: HashMap<String, String> = api
        .store
        .attribute_values("package", "latest", None, measured_on)
        .await
        .map_err(store_error)?
        .into_iter()
        .filter_map(|v| Some((v.key, v.value.as_str()?.to_string())))
        .collect();
    let uses = RelationValueVersion::on(uses, measured_on);
    let mut users: Vec<String> = uses.iter().map(|u| u.from.clone()).collect();
    users.dedup();
    let groups = group_of(api, users, rules, measured_on).await?;
    let mut by_group: BTreeMap<Option<String>, OutdatedPoint> = BTreeMap::new();
    // Many uses share a package and a version: each pair is judged once.
    let mut judged: HashMap<(&str, &str), Lag> = HashMap::new();
    for used in uses {
        let (Some(resolved), Some(newest)) = (used.value.as_str(), latest.get(&used.to)) else { continue };
        let level = *judged
            .entry((used.to.as_str(), resolved))
            .or_insert_with(|| package_lag(&used.to, Some(resolved), Some(newest)));
        if level == Lag::Unknown {
            continue;
        }
        for group in groups.get(&used.from).cloned().unwrap_or_else(|| vec![None]) {
            let point = by_group.entry(group.clone()).or_insert_with(|| OutdatedPoint {
                bucket: Date(start),
                measured_on: Date(measured_on),
                group,
                uses: 0,
                outdated: 0,
                major: 0,
                minor: 0,
                patch: 0,
            });
            point.uses += 1;
            match level {
                Lag::Major => point.major += 1,
                Lag::Minor => point.minor += 1,
                Lag::Patch => point.patch += 1,
                Lag::UpToDate | Lag::Ahead | Lag::Unknown => continue,
            }
            point.outdated += 1;
        }
    }
    Ok(by_group.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The levels the report counts, as it judges a use.
    fn behind(used: &str, latest: &str) -> Lag {
        package_lag("package:npm/left-pad", Some(used), Some(latest))
    }

    #[test]
    fn behind_names_the_highest_level_that_differs() {
        assert_eq!(behind("1.2.3", "2.0.0"), Lag::Major);
        assert_eq!(behind("1.2.3", "1.3.0"), Lag::Minor);
        assert_eq!(behind("1.2.3", "1.2.4"), Lag::Patch);
        assert_eq!(behind("1.2.3", "1.2.3"), Lag::UpToDate);
        assert_eq!(behind("2.0.0", "1.9.9"), Lag::Ahead, "ahead is not behind");
        assert_eq!(Lag::Ahead.outdated(), Some(false));
    }
}
