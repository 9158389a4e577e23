//! Reading what the figures need from a store: the API and the benchmark
//! both go through here.

use chrono::{DateTime, Duration, Utc};

use super::rollup::{fix_forward_ms, fix_forward_window, DeployCursor, DeployPage, JudgedPage, RollupQuery};
use super::{dora, estimate, Bucket, Judged};
use crate::model::{Day, DeployEvent, DeployFilter};
use crate::store::{Store, StoreResult};

/// Whose deploys, where.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Service keys; `None`: every service.
    pub services: Option<Vec<String>>,
    /// `None`: every cluster.
    pub clusters: Option<Vec<String>>,
    /// Clusters left out (those of the named environments, when reading
    /// `unclassified`).
    pub except_clusters: Vec<String>,
}

/// The DORA report of `scope` over `[from, to]`. With `brief_only` only the
/// figures are wanted: they come from the store's rollups where it keeps
/// them, and the report lists no deploys. Otherwise (or without rollups)
/// the deploys are judged here from the scope's whole history: each
/// deploy is judged against every deploy of its lane, as the views judge it.
pub async fn report(
    store: &dyn Store,
    scope: &Scope,
    (from, to): (Day, Day),
    bucket: Bucket,
    fix_forward: Option<Duration>,
    brief_only: bool,
) -> StoreResult<dora::Report> {
    if scope.services.as_ref().is_some_and(Vec::is_empty) {
        // No service (a team that owns none) has no deploys.
        return Ok(dora::report(Vec::new(), from, to, bucket, fix_forward));
    }
    if brief_only {
        let query = RollupQuery {
            services: scope.services.clone(),
            clusters: scope.clusters.clone(),
            except_clusters: scope.except_clusters.clone(),
            from,
            to,
            fix_forward_ms: fix_forward_ms(fix_forward),
        };
        if let Some(rows) = store.dora_rollups(&query).await? {
            return Ok(dora::report_of_rollups(rows, from, to, bucket));
        }
    }
    let events = history(store, scope, brief_only).await?;
    Ok(dora::report(events, from, to, bucket, fix_forward))
}

/// Every deploy of `scope`, oldest first: what judging from history reads.
async fn history(store: &dyn Store, scope: &Scope, brief: bool) -> StoreResult<Vec<DeployEvent>> {
    let filter = DeployFilter {
        services: scope.services.clone().unwrap_or_default(),
        clusters: scope.clusters.clone().unwrap_or_default(),
        from: Day(EARLIEST_DAY).start(),
        to: Day(LATEST_DAY).start(),
        brief,
    };
    let events = store.deploys(&filter).await?;
    // Left out here rather than in the store's filter: `unclassified` is
    // the rare read, and its clusters are the few nobody named.
    Ok(match scope.except_clusters.is_empty() {
        true => events,
        false => events.into_iter().filter(|e| !scope.except_clusters.contains(&e.cluster)).collect(),
    })
}

/// 1900-01-01 and 9999-12-31: the span "every deploy" reads.
const EARLIEST_DAY: i32 = -25_567;
const LATEST_DAY: i32 = 2_932_896;

/// A page of `page`'s deploys, newest first: from the store's verdicts
/// where it keeps them, else judged here from the whole history of the
/// page's services (the same verdicts, the same order and cursor).
pub async fn deploys_page(store: &dyn Store, page: &DeployPage) -> StoreResult<JudgedPage> {
    if page.services.as_ref().is_some_and(Vec::is_empty) {
        return Ok(JudgedPage::default());
    }
    if let Some(found) = store.judged_deploys(page).await? {
        return Ok(found);
    }
    let scope = Scope {
        services: page.services.clone(),
        clusters: page.clusters.clone(),
        except_clusters: page.except_clusters.clone(),
    };
    let events = history(store, &scope, false).await?;
    let fix_forward = fix_forward_window(page.fix_forward_ms);
    // Each deploy's cursor made once: the list's order, and where a page starts.
    let mut selected: Vec<(DeployCursor, Judged)> = dora::judged_in_order(events, fix_forward)
        .filter(|d| page.selects(d))
        .map(|d| (DeployCursor::of(&d), d))
        .collect();
    selected.sort_by(|(a, _), (b, _)| a.sort_key().cmp(&b.sort_key()));
    let total = selected.len() as u64;
    let start = match &page.after {
        None => 0,
        Some(after) => selected.partition_point(|(cursor, _)| cursor.sort_key() <= after.sort_key()),
    };
    let mut deploys: Vec<Judged> =
        selected.into_iter().skip(start).take(page.limit + 1).map(|(_, deploy)| deploy).collect();
    let more = deploys.len() > page.limit;
    deploys.truncate(page.limit);
    Ok(JudgedPage { deploys, total, more })
}

/// How long `service`'s rollouts to `cluster` took in the 90 days before `at`.
pub async fn estimate(
    store: &dyn Store,
    service: &str,
    cluster: &str,
    at: DateTime<Utc>,
) -> StoreResult<estimate::Estimate> {
    let filter = DeployFilter {
        services: vec![service.to_string()],
        clusters: vec![cluster.to_string()],
        from: at - Duration::days(estimate::LOOKBACK_DAYS as i64),
        to: at,
        brief: true,
    };
    Ok(estimate::estimate(&store.deploys(&filter).await?))
}
