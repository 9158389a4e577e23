//! Trends for data-driven decisions: one attribute aggregated across the
//! entities of a kind, optionally grouped through relations (e.g. by owning
//! team), bucketed by day, week or month.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use serde_json::Value;

use super::auth::Scope;
use super::context::{api, bad_request, resolve_day, store_error, Limits};
use super::scalars::{day, Date, EdgeRuleInput};
use crate::model::{Day, EdgeRule};

pub use crate::buckets::{buckets, Bucket};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Aggregate {
    Avg,
    Sum,
    Min,
    Max,
    /// How many entities have the attribute (or, with `equals`, that value).
    Count,
}

/// One bucket of a trend, for one group.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// The first day of the bucket.
    pub bucket: Date,
    /// The day the values were read on: the bucket's last day (or `to`).
    pub measured_on: Date,
    /// The group's entity key; null when not grouped, and for entities the
    /// grouping path does not reach.
    pub group: Option<String>,
    pub value: Option<f64>,
    /// How many entities contributed.
    pub count: i32,
}

/// The buckets of a trend over `[from, to]` (`to` defaults to the latest
/// day), for a caller with the read scope: the range ordered, at most
/// `limits.trend_buckets` buckets.
pub async fn trend_buckets(ctx: &Context<'_>, from: Date, to: Option<Date>, bucket: Bucket) -> Result<Vec<(Day, Day)>> {
    let api = api(ctx, Scope::Read)?;
    let to = resolve_day(ctx, day(to)).await?;
    crate::store::check_range(from.0, to).map_err(store_error)?;
    limited_buckets(from.0, to, bucket, &api.limits)
}

/// [`buckets`], refused past `limits.trend_buckets`.
pub fn limited_buckets(from: Day, to: Day, bucket: Bucket, limits: &Limits) -> Result<Vec<(Day, Day)>> {
    let spans = buckets(from, to, bucket);
    if spans.len() > limits.trend_buckets {
        return Err(bad_request(format!(
            "{} buckets requested; at most {} (limits.trend_buckets): use a longer bucket or a shorter range",
            spans.len(),
            limits.trend_buckets
        )));
    }
    Ok(spans)
}

fn aggregate(values: &[f64], how: Aggregate) -> Option<f64> {
    if values.is_empty() {
        return if how == Aggregate::Count { Some(0.0) } else { None };
    }
    Some(match how {
        Aggregate::Avg => values.iter().sum::<f64>() / values.len() as f64,
        Aggregate::Sum => values.iter().sum(),
        Aggregate::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
        Aggregate::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Aggregate::Count => values.len() as f64,
    })
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// Aggregates `attribute` (a dotted path) of every entity of `kind` over
    /// `[from, to]`, one point per bucket (and group). Values are read as of
    /// each bucket's last day. `groupBy` follows edges from each entity to
    /// its group, e.g. a SonarQube project's team:
    /// `[{kind: "measures", direction: OUT}, {kind: "owns", direction: IN}]`.
    /// With `equals`, COUNT counts the entities whose value equals it (e.g.
    /// failing quality gates: `attribute: "quality_gate", equals: "ERROR"`).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "50 * child_complexity")]
    async fn trend(
        &self,
        ctx: &Context<'_>,
        kind: String,
        attribute: String,
        source: Option<String>,
        #[graphql(default_with = "Aggregate::Avg")] aggregate: Aggregate,
        equals: Option<String>,
        #[graphql(default)] group_by: Vec<EdgeRuleInput>,
        from: Date,
        to: Option<Date>,
        #[graphql(default_with = "Bucket::Week")] bucket: Bucket,
    ) -> Result<Vec<TrendPoint>> {
        let api = api(ctx, Scope::Read)?;
        if equals.is_some() && aggregate != Aggregate::Count {
            return Err(bad_request("equals only makes sense with aggregate: COUNT"));
        }
        let spans = trend_buckets(ctx, from, to, bucket).await?;
        let rules: Vec<EdgeRule> = group_by.iter().map(EdgeRule::from).collect();
        let mut points = Vec::new();
        for (start, measured_on) in spans {
            let values = api
                .store
                .attribute_values(&kind, &attribute, source.as_deref(), measured_on)
                .await
                .map_err(store_error)?;
            let groups = group_of(api, values.iter().map(|v| v.key.clone()).collect(), &rules, measured_on).await?;
            let mut by_group: BTreeMap<Option<String>, Vec<f64>> = BTreeMap::new();
            for value in &values {
                let number = match (&equals, &value.value) {
                    (Some(wanted), Value::String(s)) => (s == wanted).then_some(1.0),
                    (Some(wanted), other) => {
                        serde_json::to_string(other).is_ok_and(|text| &text == wanted).then_some(1.0)
                    }
                    (None, Value::Number(n)) => n.as_f64(),
                    (None, Value::Bool(b)) => Some(if *b { 1.0 } else { 0.0 }),
                    (None, _) if aggregate == Aggregate::Count => Some(1.0),
                    (None, _) => None,
                };
                let targets = groups.get(&value.key).cloned().unwrap_or_else(|| vec![None]);
                for group in targets {
                    let bucket_values = by_group.entry(group).or_default();
                    if let Some(number) = number {
                        bucket_values.push(number);
                    }
                }
            }
            for (group, numbers) in by_group {
                points.push(TrendPoint {
                    bucket: Date(start),
                    measured_on: Date(measured_on),
                    group,
                    value: aggregate_value(&numbers, aggregate),
                    count: numbers.len() as i32,
                });
            }
        }
        Ok(points)
    }
}

fn aggregate_value(values: &[f64], how: Aggregate) -> Option<f64> {
    aggregate(values, how).map(|v| (v * 1000.0).round() / 1000.0)
}

/// Each key's groups: the entities the rules lead to, hop after hop.
pub(super) async fn group_of(
    api: &super::context::Api,
    keys: Vec<String>,
    rules: &[EdgeRule],
    day: Day,
) -> Result<BTreeMap<String, Vec<Option<String>>>> {
    if rules.is_empty() {
        return Ok(BTreeMap::new());
    }
    // origin → current frontier keys
    let mut reached: BTreeMap<String, Vec<String>> = keys.iter().map(|k| (k.clone(), vec![k.clone()])).collect();
    for rule in rules {
        let mut frontier: Vec<String> = reached.values().flatten().cloned().collect();
        frontier.sort();
        frontier.dedup();
        let pairs = api.store.neighbours(&frontier, rule, day).await.map_err(store_error)?;
        let mut next: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (from, to) in &pairs {
            next.entry(from.as_str()).or_default().push(to.clone());
        }
        for targets in reached.values_mut() {
            let mut moved: Vec<String> =
                targets.iter().flat_map(|t| next.get(t.as_str()).cloned().unwrap_or_default()).collect();
            moved.sort();
            moved.dedup();
            *targets = moved;
        }
    }
    Ok(reached
        .into_iter()
        .map(|(key, groups)| {
            let groups = if groups.is_empty() { vec![None] } else { groups.into_iter().map(Some).collect() };
            (key, groups)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Day {
        text.parse().unwrap()
    }

    #[test]
    fn weeks_run_monday_to_sunday_and_clip_to_the_range() {
        let weeks = buckets(d("2024-03-06"), d("2024-03-20"), Bucket::Week);
        assert_eq!(
            weeks,
            [
                (d("2024-03-06"), d("2024-03-10")),
                (d("2024-03-11"), d("2024-03-17")),
                (d("2024-03-18"), d("2024-03-20"))
            ]
        );
    }

    #[test]
    fn months_follow_the_calendar() {
        let months = buckets(d("2024-01-15"), d("2024-03-02"), Bucket::Month);
        assert_eq!(
            months,
            [
                (d("2024-01-15"), d("2024-01-31")),
                (d("2024-02-01"), d("2024-02-29")),
                (d("2024-03-01"), d("2024-03-02"))
            ]
        );
    }

    #[test]
    fn aggregates() {
        let values = [2.0, 4.0, 9.0];
        assert_eq!(aggregate(&values, Aggregate::Avg), Some(5.0));
        assert_eq!(aggregate(&values, Aggregate::Max), Some(9.0));
        assert_eq!(aggregate(&[], Aggregate::Avg), None);
        assert_eq!(aggregate(&[], Aggregate::Count), Some(0.0));
    }
}
