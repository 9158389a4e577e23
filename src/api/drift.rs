//! Version drift: the services that run different versions in different
//! clusters on a day (by default, the latest), with the version in each.

use std::collections::{BTreeMap, BTreeSet};

use async_graphql::{Context, Object, Result, SimpleObject};

use super::auth::Scope;
use super::context::{api, load_entity, resolve_day, store, store_error};
use super::entity::{page_size, Entity};
use super::scalars::{day, Date};
use crate::model::{Direction, EdgeRule};

/// What one cluster runs of a service.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClusterVersion {
    pub cluster: String,
    pub version: String,
}

#[derive(SimpleObject)]
pub struct VersionDrift {
    pub service: Entity,
    /// One entry per cluster, by cluster name.
    pub versions: Vec<ClusterVersion>,
    /// How many different versions run.
    pub distinct: i32,
}

#[derive(Default)]
pub struct DriftQuery;

#[Object]
impl DriftQuery {
    /// Services whose workloads run more than one version across clusters
    /// on `at` (default: the latest day), most distinct versions first,
    /// then by key; at most `first` (default 100, at most the page size).
    #[graphql(complexity = "first.max(1) as usize * child_complexity")]
    async fn version_drift(
        &self,
        ctx: &Context<'_>,
        at: Option<Date>,
        #[graphql(default = 100)] first: i32,
    ) -> Result<Vec<VersionDrift>> {
        let limit = page_size(first, api(ctx, Scope::Read)?.limits.page_size)?;
        let day = resolve_day(ctx, day(at)).await?;
        let store = store(ctx)?;
        let mut versions = store.attribute_values("workload", "version", None, day).await.map_err(store_error)?;
        // Only what ran drifts: a repository's declared versions (its
        // overlays, examples, stale extras) are no cluster's.
        versions.retain(|v| !super::deploys::is_declared(&v.key));
        let workloads: Vec<String> = versions.iter().map(|v| v.key.clone()).collect();
        let services =
            store.neighbours(&workloads, &EdgeRule::new("deploys", Direction::In), day).await.map_err(store_error)?;
        let version_of: BTreeMap<&str, &str> =
            versions.iter().filter_map(|v| Some((v.key.as_str(), v.value.as_str()?))).collect();
        let mut by_service: BTreeMap<String, BTreeSet<ClusterVersion>> = BTreeMap::new();
        for (workload, service) in &services {
            let (Some(version), Some(cluster)) = (version_of.get(workload.as_str()), cluster_of(workload)) else {
                continue;
            };
            by_service
                .entry(service.clone())
                .or_default()
                .insert(ClusterVersion { cluster: cluster.to_string(), version: version.to_string() });
        }
        let mut drifting: Vec<(usize, String, Vec<ClusterVersion>)> = by_service
            .into_iter()
            .filter_map(|(service, versions)| {
                let distinct = versions.iter().map(|v| &v.version).collect::<BTreeSet<_>>().len();
                (distinct > 1).then(|| (distinct, service, versions.into_iter().collect()))
            })
            .collect();
        drifting.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let mut answer = Vec::new();
        for (distinct, service, versions) in drifting.into_iter().take(limit) {
            let Some(state) = load_entity(ctx, &service, day).await? else { continue };
            answer.push(VersionDrift {
                service: Entity::new(state.entity.clone(), day),
                versions,
                distinct: distinct as i32,
            });
        }
        Ok(answer)
    }
}

/// `workload:<cluster>/<namespace>/<Kind>/<name>` → `<cluster>`.
fn cluster_of(workload: &str) -> Option<&str> {
    collectors::keys::cluster_of_workload(workload)
}
