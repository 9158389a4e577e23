//! Collection through the API: which days' snapshots are complete, and a
//! by-hand trigger of a collector (admin).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_graphql::{Context, Enum, Object, Result, SimpleObject};

use super::auth::Scope;
use super::context::{api, bad_request, store_error};
use super::scalars::Date;
use super::time::Run;
use crate::model::{Day, RunFilter, RunStatus};
use crate::scheduler::Scheduler;

/// The longest range `snapshots` answers in one call.
const MAX_SNAPSHOT_DAYS: i32 = 400;

/// One day's snapshot: complete when every expected scope has a finished
/// (complete or partial) run for it.
#[derive(SimpleObject)]
pub struct SnapshotDay {
    pub day: Date,
    pub complete: bool,
    /// The day's runs, one per (source, scope).
    pub runs: Vec<Run>,
    /// Expected scopes (`source/scope`) whose run that day failed.
    pub failed: Vec<String>,
    /// Expected scopes with no run that day at all.
    pub missing: Vec<String>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TriggerStatus {
    /// The run started; follow it with `runs`.
    Started,
    /// It did not start, and `reason` says why.
    Skipped,
}

#[derive(SimpleObject)]
pub struct Triggered {
    pub source: String,
    pub scope: String,
    pub day: Date,
    pub status: TriggerStatus,
    pub reason: Option<String>,
}

#[derive(Default)]
pub struct CollectionQuery;

#[Object]
impl CollectionQuery {
    /// Day by day within `[from, to]` (at most 400 days): is the snapshot
    /// complete, and which scopes failed or are missing. The expected
    /// scopes are the enabled collector scopes of the server's config or,
    /// without one, every scope that ran in the range.
    async fn snapshots(&self, ctx: &Context<'_>, from: Date, to: Date) -> Result<Vec<SnapshotDay>> {
        let api = api(ctx, Scope::Read)?;
        let (from, to) = (from.0, to.0);
        if from > to {
            return Err(bad_request(format!("from ({from}) is after to ({to})")));
        }
        if to.0 - from.0 >= MAX_SNAPSHOT_DAYS {
            return Err(bad_request(format!("ask for at most {MAX_SNAPSHOT_DAYS} days at once")));
        }
        let filter = RunFilter { source: None, from: Some(from), to: Some(to) };
        let runs = api.store.runs(&filter).await.map_err(store_error)?;
        let expected: BTreeSet<String> = match &api.scheduler {
            Some(scheduler) if !scheduler.jobs().is_empty() => scheduler
                .jobs()
                .iter()
                .filter(|j| j.schedule.enabled)
                .map(|j| format!("{}/{}", j.source(), j.scope))
                .collect(),
            _ => runs.iter().map(|r| format!("{}/{}", r.source, r.scope)).collect(),
        };
        let mut by_day: BTreeMap<Day, Vec<crate::model::Run>> = BTreeMap::new();
        for run in runs {
            by_day.entry(run.day).or_default().push(run);
        }
        Ok((from.0..=to.0)
            .map(|d| snapshot_day(Day(d), by_day.remove(&Day(d)).unwrap_or_default(), &expected))
            .collect())
    }
}

fn snapshot_day(day: Day, runs: Vec<crate::model::Run>, expected: &BTreeSet<String>) -> SnapshotDay {
    let status: BTreeMap<String, RunStatus> =
        runs.iter().map(|r| (format!("{}/{}", r.source, r.scope), r.status)).collect();
    let failed: Vec<String> =
        expected.iter().filter(|s| status.get(*s).is_some_and(|st| *st == RunStatus::Failed)).cloned().collect();
    let missing: Vec<String> = expected.iter().filter(|s| !status.contains_key(*s)).cloned().collect();
    SnapshotDay {
        day: Date(day),
        complete: !expected.is_empty() && failed.is_empty() && missing.is_empty(),
        runs: runs.into_iter().map(Run::from).collect(),
        failed,
        missing,
    }
}

#[derive(Default)]
pub struct CollectionMutation;

#[Object]
impl CollectionMutation {
    /// Runs every scope of a configured collector now (scope `admin`), for
    /// `day` (default: today in the schedule's timezone), as the scheduler
    /// would: a scope already running is skipped, and says so. Returns at
    /// once; the runs show up in `runs` as they finish.
    async fn trigger_collection(&self, ctx: &Context<'_>, source: String, day: Option<Date>) -> Result<Vec<Triggered>> {
        let api = api(ctx, Scope::Admin)?;
        let scheduler: &Arc<Scheduler> = api
            .scheduler
            .as_ref()
            .ok_or_else(|| bad_request("this server runs no collectors: configure [collectors.<name>] and restart"))?;
        let jobs = scheduler.jobs_of(&source).map_err(bad_request)?;
        let mut triggered = Vec::with_capacity(jobs.len());
        for job in jobs {
            let day = day.map(|d| d.0).unwrap_or_else(|| job.timing.day_of(scheduler.clock().now()));
            let (status, reason) = match scheduler.claim(&job) {
                None => (TriggerStatus::Skipped, Some("a run of it is already going on".to_string())),
                Some(claim) => {
                    let (scheduler, job) = (scheduler.clone(), job.clone());
                    tokio::spawn(async move {
                        if let Err(e) = scheduler.run_claimed(claim, &job, day, job.schedule.retries).await {
                            tracing::error!(collector.name = job.source(), snapshot.scope = %job.scope, error = %e, "triggered run not recorded");
                        }
                    });
                    (TriggerStatus::Started, None)
                }
            };
            triggered.push(Triggered {
                source: source.clone(),
                scope: job.scope.clone(),
                day: Date(day),
                status,
                reason,
            });
        }
        Ok(triggered)
    }
}
