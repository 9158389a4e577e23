//! Deploy history from four sources, each labelled: version changes seen
//! in daily snapshots (`snapshot:<collector>`), ReplicaSet rollouts with
//! their exact times (`rollout:kubernetes`), the revisions a Kubernetes
//! watch saw start (`watch:kubernetes`, with the actor), and the deploy
//! events the orchestrator pushes (`orchestrator`); and the version per
//! cluster. This file reads and shows them; which source stands for which,
//! and what is a rollback, is `delivery::seen`'s to decide.

use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use collectors::untrusted::{one_line, quote};
use serde_json::Value;

mod record;

use record::{CommitInput, Reported, Texts};

use super::auth::Scope;
use super::context::{api, load_entity, resolve_day, store, store_error};
use super::scalars::{day, Date};
use super::service::service_key;
use crate::delivery::seen::{self, Seen, Sightings};
use crate::model::{Day, DeployEvent, DeployStatus, Direction};

/// One deploy of a service to a cluster.
#[derive(SimpleObject, Clone, Debug, Default)]
#[graphql(complex)] // `links`: api/links.rs
pub struct Deploy {
    pub service: String,
    pub cluster: String,
    /// The cluster's environment (`[delivery.environments]`; every
    /// cluster is `production` when none are configured).
    pub environment: String,
    pub version: String,
    /// When it started: exact for orchestrator events and rollouts, the
    /// day's start for snapshots.
    pub at: DateTime<Utc>,
    /// When it finished, when its reporter said.
    pub finished_at: Option<DateTime<Utc>>,
    /// `orchestrator`; `watch:kubernetes` for a revision a watch saw
    /// start (exact time, with the actor); `rollout:<collector>` for a
    /// ReplicaSet's rollout (exact time); `snapshot:<collector>` for a change seen between two
    /// daily snapshots (the day's start). What a repository's manifests
    /// declare is never a deploy: see `Service.declaredVersions`.
    pub source: String,
    pub link: Option<String>,
    pub actor: Option<String>,
    /// A deploy of a lower version than the one before it in that cluster.
    pub rollback: bool,
    /// How it ended (docs/dora.md). Deploys seen only by snapshots or
    /// rollouts ran: they succeeded.
    pub status: DeployStatus,
    /// Why it failed, was rolled back or fixed forward, when known.
    pub reason: Option<String>,
    /// The next deploy came so soon that it counts as a fix (its version).
    pub fixed_forward_by: Option<String>,
    /// The commit the version was built from.
    pub commit: Option<String>,
    /// The oldest commit the deploy brought.
    pub first_commit_at: Option<DateTime<Utc>>,
    pub commit_count: Option<u32>,
    /// First commit → running, in seconds (docs/dora.md).
    pub lead_time_seconds: Option<i64>,
    /// For a failed change: until the next healthy deploy, in seconds.
    pub time_to_restore_seconds: Option<i64>,
    /// The workload it changed.
    pub workload: Option<String>,
}

/// What runs in one cluster on a day.
#[derive(SimpleObject, Clone, Debug)]
pub struct DeployedVersion {
    pub cluster: String,
    pub version: String,
    /// Since when (as seen by `source`).
    pub since: DateTime<Utc>,
    pub source: String,
    /// The cluster's datacenter or region, as its collector reports it.
    pub datacenter: Option<String>,
}

/// A service SPoT has never heard of has no deploys rather than an error:
/// the orchestrator may ask before the first snapshot sees it.
fn none_if_unknown<T>(found: crate::store::StoreResult<Vec<T>>) -> Result<Vec<T>> {
    match found {
        Err(crate::StoreError::NotFound { .. }) => Ok(Vec::new()),
        other => other.map_err(store_error),
    }
}

/// Workloads a repository declares (`workload:declared/…`, see the GitHub
/// collector) rather than a cluster runs: never a deploy, nor a cluster's
/// version (docs/declared.md).
pub(super) use crate::model::is_declared_workload as is_declared;

/// What the four sources saw of the service `key` within `[from, to]`
/// (docs/api.md, `deployHistory`), read for
/// [`seen::merge`](crate::delivery::seen::merge) to decide.
async fn sightings(ctx: &Context<'_>, key: &str, cluster: Option<&str>, from: Day, to: Day) -> Result<Sightings> {
    let store = store(ctx)?;
    let mut sightings = Sightings::default();
    for workload in deployed_workloads(ctx, key, from, to).await? {
        let points = store.timeline(&workload, "version", Day(0), to, None).await.map_err(store_error)?;
        sightings.snapshots.extend(seen::snapshot_deploys(key, &workload, points, cluster, (from, to)));
        // The latest state in the range knows every earlier revision too.
        if let Some(state) = load_entity(ctx, &workload, to).await? {
            sightings.rollouts.extend(seen::rollout_deploys(key, &workload, &state.facts, cluster, (from, to)));
        }
    }
    sightings.watched = watched_deploys(ctx, key, cluster, from, to).await?;
    let events = store.deployments(key, cluster, from, to).await.map_err(store_error)?;
    sightings.events = events.into_iter().map(Seen::reported).collect();
    Ok(sightings)
}

/// The workloads a service ran on at some time within `[from, to]`: those
/// its repositories only declare are left out.
async fn deployed_workloads(ctx: &Context<'_>, service: &str, from: Day, to: Day) -> Result<Vec<String>> {
    let deploys = ["deploys".to_string()];
    let workloads = none_if_unknown(store(ctx)?.relation_history(service, Direction::Out, &deploys, from, to).await)?;
    let mut keys: Vec<String> = workloads.into_iter().map(|r| r.to).filter(|to| !is_declared(to)).collect();
    keys.sort();
    keys.dedup();
    Ok(keys)
}

/// A deploy as one source saw it, shown.
fn from_seen(seen: Seen) -> Deploy {
    let Seen { event, source, rollback } = seen;
    Deploy {
        service: event.service,
        cluster: event.cluster,
        version: event.version,
        at: event.at,
        finished_at: event.finished_at,
        source,
        link: event.link,
        actor: event.actor,
        rollback,
        status: event.status,
        reason: event.reason,
        commit: event.commit,
        first_commit_at: event.first_commit_at,
        commit_count: event.commit_count,
        workload: event.workload,
        ..Deploy::default()
    }
}

pub(super) fn from_event(event: DeployEvent) -> Deploy {
    from_seen(Seen::reported(event))
}

/// A judged deploy (docs/dora.md) in `environment`.
pub(super) fn from_judged(judged: crate::delivery::Judged, environment: &str) -> Deploy {
    let lead_time_seconds = judged.lead_time().map(|d| d.num_seconds());
    let time_to_restore_seconds = judged.time_to_restore().map(|d| d.num_seconds());
    Deploy {
        environment: environment.to_string(),
        rollback: judged.rollback,
        status: judged.status,
        reason: judged.reason,
        fixed_forward_by: judged.fixed_forward_by,
        lead_time_seconds,
        time_to_restore_seconds,
        ..from_event(judged.event)
    }
}

/// A new revision a watch saw start, as a deploy (`watch:kubernetes`),
/// when the action says which version.
pub(super) fn from_action(action: &crate::model::Action) -> Option<Deploy> {
    seen::watched(action).map(from_seen)
}

/// The revisions the watches saw start for the service `key` within
/// `[from, to]`, as deploys with their exact times.
async fn watched_deploys(ctx: &Context<'_>, key: &str, cluster: Option<&str>, from: Day, to: Day) -> Result<Vec<Seen>> {
    use crate::model::{ActionFilter, ActionKind};
    let filter = ActionFilter {
        service: Some(key.to_string()),
        cluster: cluster.map(str::to_string),
        kinds: vec![ActionKind::RolloutStarted, ActionKind::Rollback],
        ..ActionFilter::between(from.start(), to.plus(1).start(), crate::store::MAX_ACTIONS)
    };
    let actions = store(ctx)?.actions(&filter).await.map_err(store_error)?;
    Ok(actions.iter().filter_map(seen::watched).collect())
}

/// Every deploy of the service `key` within `[from, to]` from the four
/// sources, merged, oldest first.
pub(super) async fn history(
    ctx: &Context<'_>,
    key: &str,
    cluster: Option<&str>,
    from: Day,
    to: Day,
) -> Result<Vec<Deploy>> {
    let sightings = sightings(ctx, key, cluster, from, to).await?;
    let mut merged: Vec<Deploy> = seen::merge(sightings).into_iter().map(from_seen).collect();
    let delivery = &api(ctx, Scope::Read)?.delivery.config;
    for deploy in &mut merged {
        deploy.environment = delivery.environment_of(&deploy.cluster).to_string();
    }
    Ok(merged)
}

pub async fn deployed_versions(ctx: &Context<'_>, service: &str, day: Day) -> Result<Vec<DeployedVersion>> {
    let store = store(ctx)?;
    let relations = none_if_unknown(store.relations(service, day, Direction::Out, &["deploys".to_string()]).await)?;
    let mut workloads = Vec::new();
    // What repositories declare is not what runs.
    for relation in relations.into_iter().filter(|r| !is_declared(&r.to)) {
        let points = store.timeline(&relation.to, "version", Day(0), day, None).await.map_err(store_error)?;
        workloads.push((points, load_entity(ctx, &relation.to, day).await?));
    }
    let on_day = workloads.iter_mut().map(|(points, state)| seen::WorkloadOnDay {
        points: std::mem::take(points),
        facts: state.as_ref().map(|s| s.facts.as_slice()).unwrap_or_default(),
    });
    let events = store.deployments(service, None, day.minus(366), day).await.map_err(store_error)?;
    let mut versions = Vec::new();
    for running in seen::running_on(day, on_day.collect(), events) {
        let datacenter = datacenter_of(ctx, &running.cluster, day).await?;
        let seen::Running { cluster, version, since, source } = running;
        versions.push(DeployedVersion { cluster, version, since, source, datacenter });
    }
    Ok(versions)
}

/// `cluster:<name>`'s `datacenter` (or `region`) on `day`.
pub(super) async fn datacenter_of(ctx: &Context<'_>, cluster: &str, day: Day) -> Result<Option<String>> {
    let Some(state) = load_entity(ctx, &collectors::keys::cluster(cluster), day).await? else {
        return Ok(None);
    };
    Ok(state.facts.iter().find_map(|f| {
        f.attrs.get("datacenter").or_else(|| f.attrs.get("region")).and_then(Value::as_str).map(str::to_string)
    }))
}

#[derive(Default)]
pub struct DeployQuery;

#[Object]
impl DeployQuery {
    /// Every deploy of a service (by name or key) within `[from, to]`
    /// (default: the last 30 days up to the latest committed day), oldest
    /// first, from daily snapshots and orchestrator events. Rollbacks are
    /// marked.
    #[graphql(complexity = "50 * child_complexity")]
    async fn deploy_history(
        &self,
        ctx: &Context<'_>,
        service: String,
        cluster: Option<String>,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<Vec<Deploy>> {
        let key = service_key(&service);
        let to = resolve_day(ctx, day(to)).await?;
        let from = day(from).unwrap_or(to.minus(30));
        crate::store::check_range(from, to).map_err(store_error)?;
        history(ctx, &key, cluster.as_deref(), from, to).await
    }

    /// The version of a service in each cluster on a day.
    async fn deployed_versions(
        &self,
        ctx: &Context<'_>,
        service: String,
        at: Option<Date>,
    ) -> Result<Vec<DeployedVersion>> {
        let day = resolve_day(ctx, day(at)).await?;
        deployed_versions(ctx, &service_key(&service), day).await
    }
}

#[derive(Default)]
pub struct DeployMutation;

/// `event` with the commits behind it, recorded, when a commit source can
/// tell (docs/dora.md, "Commits behind a version"). Best effort: the deploy
/// is recorded already, and a failure is logged, not returned.
async fn with_commits(api: &super::context::Api, event: DeployEvent) -> DeployEvent {
    if api.delivery.commits.is_empty() {
        return event;
    }
    let filled = match crate::delivery::commits::fill(api.store.as_ref(), &api.delivery.commits, &event).await {
        Ok(Some(filled)) => filled,
        Ok(None) => return event,
        Err(problem) => {
            tracing::warn!(
                service = %quote(&event.service), version = %quote(&event.version),
                problem = %one_line(&problem.to_string()), "could not find the commits behind a deploy"
            );
            return event;
        }
    };
    match api.store.record_deployment(&filled).await {
        Ok(()) => filled,
        Err(error) => {
            tracing::warn!(
                service = %quote(&event.service), error = %one_line(&error.to_string()),
                "could not record the commits behind a deploy"
            );
            event
        }
    }
}

#[Object]
impl DeployMutation {
    /// Records a deploy pushed by the orchestrator (scope `write`). Report
    /// a deploy when it starts (status RUNNING) and again when it ends
    /// (same service, cluster, version and `at`): the second report
    /// updates the first. `status` defaults to SUCCEEDED; `commits` are
    /// those the deploy brought (their oldest sets the lead time).
    #[allow(clippy::too_many_arguments)]
    async fn record_deployment(
        &self,
        ctx: &Context<'_>,
        service: String,
        cluster: String,
        version: String,
        at: Option<DateTime<Utc>>,
        link: Option<String>,
        actor: Option<String>,
        #[graphql(default)] status: DeployStatus,
        finished_at: Option<DateTime<Utc>>,
        reason: Option<String>,
        commit: Option<String>,
        #[graphql(default)] commits: Vec<CommitInput>,
        workload: Option<String>,
    ) -> Result<Deploy> {
        let api = api(ctx, Scope::Write)?;
        let reported = Reported { at: at.unwrap_or_else(Utc::now), finished_at, status, commits };
        reported.check()?;
        let service = service_key(&service);
        let link = Texts {
            service: &service,
            cluster: &cluster,
            version: &version,
            link: link.as_deref(),
            actor: actor.as_deref(),
            reason: reason.as_deref(),
            commit: commit.as_deref(),
            workload: workload.as_deref(),
        }
        .check()?;
        let event = DeployEvent {
            service,
            cluster,
            version,
            at: reported.at,
            link,
            actor,
            finished_at: reported.finished_at,
            status: reported.status,
            reason,
            commit,
            first_commit_at: reported.commits.iter().map(|c| c.at).min(),
            commit_count: (!reported.commits.is_empty()).then_some(reported.commits.len() as u32),
            workload,
        };
        api.store.record_deployment(&event).await.map_err(store_error)?;
        let event = with_commits(api, event).await;
        if let Ok(feed) = ctx.data::<crate::watch::Feed>() {
            feed.publish(crate::watch::Live::Deploy(Box::new(event.clone())));
        }
        // Checked above, quoted still: a log line is never the input's to shape.
        tracing::info!(
            service = %quote(&event.service), cluster = %quote(&event.cluster), version = %quote(&event.version),
            status = event.status.as_str(), "recorded deployment"
        );
        let environment = api.delivery.config.environment_of(&event.cluster).to_string();
        Ok(Deploy { environment, ..from_event(event) })
    }
}
