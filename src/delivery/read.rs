//! Reading what the figures need from a store: the API and the benchmark
//! both go through here.

use chrono::{DateTime, Duration, Utc};

use super::{dora, estimate, Bucket};
use crate::model::{Day, DeployFilter};
use crate::store::{Store, StoreResult};

/// How far before a window deploys are read: the deploy a rollback goes
/// back to may precede the window (docs/dora.md).
pub const LOOKBACK_DAYS: i32 = 30;

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

/// The DORA report of `scope` over `[from, to]`; `brief_only` reads only
/// what the figures need (the deploys listed then lack their links, actors,
/// commits and workloads).
pub async fn report(
    store: &dyn Store,
    scope: &Scope,
    (from, to): (Day, Day),
    bucket: Bucket,
    fix_forward: Option<Duration>,
    brief_only: bool,
) -> StoreResult<dora::Report> {
    let filter = DeployFilter {
        services: scope.services.clone().unwrap_or_default(),
        clusters: scope.clusters.clone().unwrap_or_default(),
        from: from.minus(LOOKBACK_DAYS).start(),
        to: to.plus(1).start(),
        brief: brief_only,
    };
    let events = match &scope.services {
        // No service (a team that owns none) has no deploys; an empty
        // filter would read every service's.
        Some(services) if services.is_empty() => Vec::new(),
        _ => store.deploys(&filter).await?,
    };
    // Left out here rather than in the store's filter: `unclassified` is
    // the rare read, and its clusters are the few nobody named.
    let events = match scope.except_clusters.is_empty() {
        true => events,
        false => events.into_iter().filter(|e| !scope.except_clusters.contains(&e.cluster)).collect(),
    };
    Ok(dora::report(events, from, to, bucket, fix_forward))
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
