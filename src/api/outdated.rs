//! How many package uses are behind the package's latest version, over
//! time: one point per bucket (and group, e.g. the owning team), read as of
//! each bucket's last day, counted as major, minor or patch behind.

use std::collections::{BTreeMap, HashMap};

use async_graphql::{Context, Object, Result, SimpleObject};
use serde_json::Value;

use super::auth::Scope;
use super::context::{api, store_error};
use super::deploys::semver_of;
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
    /// known (as semantic versions).
    pub uses: i32,
    /// Uses behind the latest version: `major + minor + patch`.
    pub outdated: i32,
    pub major: i32,
    pub minor: i32,
    pub patch: i32,
}

/// How far `used` is behind `latest`: 0 major, 1 minor, 2 patch; `None`
/// when up to date or ahead.
pub fn behind(used: (u64, u64, u64), latest: (u64, u64, u64)) -> Option<usize> {
    match (used.0.cmp(&latest.0), used.1.cmp(&latest.1), used.2.cmp(&latest.2)) {
        (std::cmp::Ordering::Less, _, _) => Some(0),
        (std::cmp::Ordering::Equal, std::cmp::Ordering::Less, _) => Some(1),
        (std::cmp::Ordering::Equal, std::cmp::Ordering::Equal, std::cmp::Ordering::Less) => Some(2),
        _ => None,
    }
}

fn version(value: &Value) -> Option<(u64, u64, u64)> {
    value.as_str().and_then(semver_of)
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
}

/// The points of one bucket, read on `measured_on`.
async fn outdated_on(
    api: &super::context::Api,
    uses: &[RelationValueVersion],
    start: Day,
    measured_on: Day,
    rules: &[EdgeRule],
) -> Result<Vec<OutdatedPoint>> {
    let latest: HashMap<String, (u64, u64, u64)> = api
        .store
        .attribute_values("package", "latest", None, measured_on)
        .await
        .map_err(store_error)?
        .into_iter()
        .filter_map(|v| Some((v.key, version(&v.value)?)))
        .collect();
    let uses = RelationValueVersion::on(uses, measured_on);
    let mut users: Vec<String> = uses.iter().map(|u| u.from.clone()).collect();
    users.dedup();
    let groups = group_of(api, users, rules, measured_on).await?;
    let mut by_group: BTreeMap<Option<String>, OutdatedPoint> = BTreeMap::new();
    for used in uses {
        let (Some(resolved), Some(newest)) = (version(&used.value), latest.get(&used.to)) else { continue };
        let level = behind(resolved, *newest);
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
                Some(0) => point.major += 1,
                Some(1) => point.minor += 1,
                Some(_) => point.patch += 1,
                None => continue,
            }
            point.outdated += 1;
        }
    }
    Ok(by_group.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behind_names_the_highest_level_that_differs() {
        assert_eq!(behind((1, 2, 3), (2, 0, 0)), Some(0));
        assert_eq!(behind((1, 2, 3), (1, 3, 0)), Some(1));
        assert_eq!(behind((1, 2, 3), (1, 2, 4)), Some(2));
        assert_eq!(behind((1, 2, 3), (1, 2, 3)), None);
        assert_eq!(behind((2, 0, 0), (1, 9, 9)), None, "ahead is not behind");
    }
}
