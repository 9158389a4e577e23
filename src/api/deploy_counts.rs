//! Deploys across the organisation: how many deploys (and rollbacks) each
//! cluster saw per day, from the same merged history as `deployHistory`.

use std::collections::BTreeMap;

use async_graphql::futures_util::stream::{self, StreamExt, TryStreamExt};
use async_graphql::{Context, Object, Result, SimpleObject};

use super::auth::Scope;
use super::context::{api, bad_request, resolve_day, store_error};
use super::deploys::{datacenter_of, history, Deploy};
use super::scalars::{day, Date};
use crate::model::{Day, SearchQuery};

/// How many services' histories are read at once.
const CONCURRENT_SERVICES: usize = 4;

/// The deploys one cluster saw on one day.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct DeployCount {
    pub day: Date,
    pub cluster: String,
    /// The cluster's datacenter or region, as its collector reports it.
    pub datacenter: Option<String>,
    pub deploys: i32,
    /// Deploys of a lower version than the one before it in that cluster.
    pub rollbacks: i32,
}

#[derive(Default)]
pub struct DeployCountQuery;

#[Object]
impl DeployCountQuery {
    /// Deploys per day and cluster within `[from, to]` (`to` defaults to
    /// the latest committed day; at most `limits.trend_buckets` days), of
    /// every service alive on `from` or `to`, counted from the history
    /// `deployHistory` gives (snapshots, rollouts and orchestrator events).
    /// Days without deploys are left out.
    #[graphql(complexity = "50 * child_complexity")]
    async fn deploys_per_day(&self, ctx: &Context<'_>, from: Date, to: Option<Date>) -> Result<Vec<DeployCount>> {
        let api = api(ctx, Scope::Read)?;
        let (from, to) = (from.0, resolve_day(ctx, day(to)).await?);
        crate::store::check_range(from, to).map_err(store_error)?;
        let days = (to.0 - from.0 + 1) as usize;
        if days > api.limits.trend_buckets {
            return Err(bad_request(format!(
                "{days} days requested; at most {} (limits.trend_buckets): use a shorter range",
                api.limits.trend_buckets
            )));
        }
        // A few services at a time: their store reads overlap on the read pool.
        let histories: Vec<Vec<Deploy>> = stream::iter(services(api, from, to).await?)
            .map(|service| async move { history(ctx, &service, None, from, to).await })
            .buffer_unordered(CONCURRENT_SERVICES)
            .try_collect()
            .await?;
        let mut counts: BTreeMap<(Day, String), (i32, i32)> = BTreeMap::new();
        for deploys in histories {
            for deploy in deploys {
                let count = counts.entry((Day::of(deploy.at), deploy.cluster)).or_default();
                count.0 += 1;
                count.1 += i32::from(deploy.rollback);
            }
        }
        let mut datacenters: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut found = Vec::with_capacity(counts.len());
        for ((on, cluster), (deploys, rollbacks)) in counts {
            if !datacenters.contains_key(&cluster) {
                datacenters.insert(cluster.clone(), datacenter_of(ctx, &cluster, to).await?);
            }
            let datacenter = datacenters[&cluster].clone();
            found.push(DeployCount { day: Date(on), cluster, datacenter, deploys, rollbacks });
        }
        Ok(found)
    }
}

/// The keys of every service alive on `from` or on `to` (every key has the
/// form `kind:name`, so ":" finds them all).
async fn services(api: &super::context::Api, from: Day, to: Day) -> Result<Vec<String>> {
    let mut keys = Vec::new();
    for day in [from, to] {
        let query = SearchQuery { text: ":".into(), kinds: vec!["service".into()], day, limit: 100_000_000 };
        keys.extend(api.store.search(&query).await.map_err(store_error)?.into_iter().map(|e| e.key));
    }
    keys.sort();
    keys.dedup();
    Ok(keys)
}
