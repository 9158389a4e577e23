//! Daily snapshots without anyone watching: every enabled collector scope
//! runs on its cron schedule, at most one run per (source, scope) at a time
//! in this process (an overlapping trigger is skipped) and across processes
//! (a lease in the store, renewed while the run lasts, expiring if its
//! holder dies). Runs share a concurrency limit; a hanging one times out
//! without delaying the others; a failed one is retried with backoff while
//! its day lasts.

mod clock;
mod metrics;
mod timing;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use collectors::retry::{self, RetryPolicy};
use collectors::schedule::Schedule;
use collectors::{AnyCollector, Day};
use rand::Rng;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

pub use clock::Clock;
pub use metrics::CollectorMetrics;
pub use timing::Timing;

use crate::collect::{run_once, Attempt};
use crate::model::{Run, RunStatus};
use crate::store::{Store, StoreError};

/// `[scheduler]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerConfig {
    /// Collector runs in flight at once, across all collectors.
    pub concurrency: usize,
    /// How long a lease lasts without renewal (seconds). A holder renews it
    /// every third of this while its run goes on; if the holder dies, the
    /// scope is free again after at most this long.
    pub lease_ttl_s: u64,
}

impl Default for SchedulerConfig {
    fn default() -> SchedulerConfig {
        SchedulerConfig { concurrency: 4, lease_ttl_s: 300 }
    }
}

/// One collector scope on one schedule.
pub struct Job {
    pub collector: Arc<dyn AnyCollector>,
    pub scope: String,
    pub schedule: Schedule,
    pub timing: Timing,
}

impl Job {
    pub fn source(&self) -> &'static str {
        self.collector.name()
    }

    fn lease_name(&self) -> String {
        format!("collect:{}/{}", self.source(), self.scope)
    }
}

/// What a trigger did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It ran; the run of its last attempt.
    Ran(Run),
    /// It did not run, and why.
    Skipped(String),
}

pub struct Scheduler {
    store: Arc<dyn Store>,
    clock: Clock,
    /// Who this process is, in leases.
    holder: String,
    jobs: Vec<Arc<Job>>,
    limit: Semaphore,
    lease_ttl: Duration,
    running: Running,
    metrics: Option<Arc<CollectorMetrics>>,
    /// Days of closed history kept per source; absent: kept for ever.
    retention: std::collections::BTreeMap<String, u32>,
    /// `[identity]`: aliases applied to every observation before it is stored.
    identity: collectors::identity::IdentityConfig,
}

type Running = Arc<Mutex<FxHashSet<(String, String)>>>;

/// Marks a (source, scope) as running in this process until dropped.
pub struct Claim {
    running: Running,
    key: (String, String),
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.running.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.key);
    }
}

impl Scheduler {
    pub fn new(store: Arc<dyn Store>, clock: Clock, jobs: Vec<Job>, config: &SchedulerConfig) -> Scheduler {
        let holder = format!(
            "{}-{}-{:08x}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "spot".into()),
            std::process::id(),
            rand::rng().random::<u32>()
        );
        Scheduler {
            store,
            clock,
            holder,
            jobs: jobs.into_iter().map(Arc::new).collect(),
            limit: Semaphore::new(config.concurrency.max(1)),
            lease_ttl: Duration::from_secs(config.lease_ttl_s.max(3)),
            running: Running::default(),
            metrics: None,
            retention: Default::default(),
            identity: Default::default(),
        }
    }

    /// Prunes each named source's closed history after its runs.
    pub fn with_retention(mut self, retention: std::collections::BTreeMap<String, u32>) -> Scheduler {
        self.retention = retention;
        self
    }

    /// `[identity]`: its aliases rename services in every observation.
    pub fn with_identity(mut self, identity: collectors::identity::IdentityConfig) -> Scheduler {
        self.identity = identity;
        self
    }

    pub fn with_metrics(mut self, metrics: Arc<CollectorMetrics>) -> Scheduler {
        self.metrics = Some(metrics);
        self
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    pub fn jobs(&self) -> &[Arc<Job>] {
        &self.jobs
    }

    /// The jobs of one source; an unknown source is an error naming the
    /// configured ones.
    pub fn jobs_of(&self, source: &str) -> Result<Vec<Arc<Job>>, String> {
        let jobs: Vec<_> = self.jobs.iter().filter(|j| j.source() == source).cloned().collect();
        if jobs.is_empty() {
            let mut known: Vec<&str> = self.jobs.iter().map(|j| j.source()).collect();
            known.dedup();
            return Err(format!(
                "no collector '{source}' is configured (configured: {})",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ));
        }
        Ok(jobs)
    }

    /// Claims (source, scope) in this process; `None` when a run of it is
    /// already going on here.
    pub fn claim(&self, job: &Job) -> Option<Claim> {
        let key = (job.source().to_string(), job.scope.clone());
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.insert(key.clone()).then(|| Claim { running: self.running.clone(), key })
    }

    /// Runs a job now for `day`, with `retries` further attempts after a
    /// failure. Skipped when it already runs here or in another process.
    pub async fn trigger(&self, job: &Job, day: Day, retries: u32) -> Result<Outcome, StoreError> {
        let Some(claim) = self.claim(job) else {
            return Ok(self.skipped(job, "a run of it is already going on in this process"));
        };
        self.run_claimed(claim, job, day, retries).await
    }

    /// The rest of [`Scheduler::trigger`], for a caller that claimed first
    /// (the API answers "started" or "skipped" before the run ends).
    pub async fn run_claimed(&self, claim: Claim, job: &Job, day: Day, retries: u32) -> Result<Outcome, StoreError> {
        let _claim = claim;
        let _permit = self.limit.acquire().await.expect("the semaphore is never closed");
        let lease = job.lease_name();
        let now = self.clock.now_ms();
        if !self.store.acquire_lease(&lease, &self.holder, now, now + self.lease_ms()).await? {
            return Ok(self.skipped(job, "another SPoT process holds its lease"));
        }
        let outcome = {
            let renewing = self.renew_while(&lease);
            let attempts = self.attempts(job, day, retries);
            tokio::pin!(renewing);
            tokio::select! {
                outcome = attempts => outcome,
                lost = &mut renewing => Err(lost),
            }
        };
        if let Err(e) = self.store.release_lease(&lease, &self.holder).await {
            tracing::warn!(lease, error = %e, "could not release a lease; it expires by itself");
        }
        outcome.map(Outcome::Ran)
    }

    /// The first attempt, then retries with doubling backoff (no jitter:
    /// `retry_backoff_s`, then twice that, ...) while the snapshot's day
    /// lasts. A failed run is an answer, not an error: the last one is
    /// returned once no retry follows.
    async fn attempts(&self, job: &Job, day: Day, retries: u32) -> Result<Run, StoreError> {
        let timeout = Duration::from_secs(job.schedule.timeout_s.max(1));
        let policy = RetryPolicy::doubling(retries, Duration::from_secs(job.schedule.retry_backoff_s));
        // Retries stay within the calendar day of the first attempt (for a
        // scheduled run, the snapshot's own day).
        let first_day = job.timing.day_of(self.clock.now());
        let clock = self.clock;
        let after = |wait: Duration| clock.now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero());
        let ended = retry::run(
            &policy,
            |_| self.attempt(job, day, timeout),
            |attempt, wait| {
                if job.timing.day_of(after(wait)) != first_day {
                    tracing::warn!(collector.name = job.source(), snapshot.scope = %job.scope, snapshot.day = %day, "no retry: the day is over");
                    return false;
                }
                tracing::info!(collector.name = job.source(), snapshot.scope = %job.scope, snapshot.day = %day, attempt = attempt.number(), wait_s = wait.as_secs(), "retrying a failed run");
                true
            },
            |wait| clock.sleep_until(after(wait)),
        )
        .await;
        // `Err` holds how the attempts ended without success: the last
        // failed run, or the store's error.
        ended.or_else(|stopped| stopped)
    }

    /// One run of `job` for `day`: done unless it failed, which is worth a
    /// retry; the store failing is not.
    async fn attempt(&self, job: &Job, day: Day, timeout: Duration) -> retry::Attempt<Run, Result<Run, StoreError>> {
        let observed =
            run_once(self.store.as_ref(), job.collector.as_ref(), &job.scope, day, Some(timeout), &self.identity);
        let done = match observed.await {
            Ok(done) => done,
            Err(e) => return retry::Attempt::Fail(Err(e)),
        };
        self.record(job, &done);
        if done.run.status != RunStatus::Failed {
            self.apply_retention(job.source(), day).await;
            return retry::Attempt::Done(done.run);
        }
        retry::Attempt::Retry { wait: None, last: Ok(done.run) }
    }

    /// Drops what the retention of `source` no longer keeps. A failure is
    /// logged, not fatal: the run itself is committed.
    async fn apply_retention(&self, source: &str, day: Day) {
        let Some(days) = self.retention.get(source) else { return };
        let cut = Day(day.0 - (*days).max(crate::model::MIN_RETENTION_DAYS) as i32);
        if let Err(e) = retain(self.store.as_ref(), source, cut).await {
            tracing::warn!(collector.name = source, error = %e, "retention pass failed; it runs again after the next run");
        }
    }

    /// Renews the lease every third of its lifetime; returns only if the
    /// store refuses (then the run stops rather than risk a double run).
    async fn renew_while(&self, lease: &str) -> StoreError {
        loop {
            let next = self.clock.now() + chrono::Duration::milliseconds(self.lease_ms() / 3);
            self.clock.sleep_until(next).await;
            let now = self.clock.now_ms();
            match self.store.acquire_lease(lease, &self.holder, now, now + self.lease_ms()).await {
                Ok(true) => {}
                Ok(false) => return StoreError::BadRequest(format!("lease {lease} was taken over while running")),
                Err(e) => return e,
            }
        }
    }

    fn lease_ms(&self) -> i64 {
        self.lease_ttl.as_millis() as i64
    }

    fn record(&self, job: &Job, attempt: &Attempt) {
        if let Some(metrics) = &self.metrics {
            metrics.record(job.source(), &job.scope, attempt, self.clock.now());
        }
    }

    fn skipped(&self, job: &Job, why: &str) -> Outcome {
        tracing::info!(collector.name = job.source(), snapshot.scope = %job.scope, reason = why, "run skipped");
        if let Some(metrics) = &self.metrics {
            metrics.skipped(job.source());
        }
        Outcome::Skipped(why.to_string())
    }

    /// Runs every enabled job on its schedule until `shutdown` resolves.
    /// A run in progress at shutdown is abandoned: it wrote nothing yet, or
    /// its ingest is atomic.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        let mut loops = tokio::task::JoinSet::new();
        for job in self.jobs.iter().filter(|j| j.schedule.enabled).cloned() {
            loops.spawn(self.clone().job_loop(job));
        }
        tracing::info!(jobs = loops.len(), holder = %self.holder, "scheduler started");
        shutdown.await;
        loops.shutdown().await;
        tracing::info!("scheduler stopped");
    }

    async fn job_loop(self: Arc<Self>, job: Arc<Job>) {
        let mut after = self.clock.now();
        // Dropped with this loop at shutdown, which aborts runs in progress.
        let mut runs = tokio::task::JoinSet::new();
        loop {
            while runs.try_join_next().is_some() {}
            let Some(fire) = job.timing.next_after(after) else { return };
            let jitter = match job.schedule.jitter_s {
                0 => 0,
                max => rand::rng().random_range(0..=max * 1000),
            };
            self.clock.sleep_until(fire + chrono::Duration::milliseconds(jitter as i64)).await;
            after = fire;
            let day = job.timing.day_of(fire);
            // Each firing runs on its own task: a run that outlasts the
            // interval makes the next firing a skipped overlap, not a delay.
            let (scheduler, job) = (self.clone(), job.clone());
            runs.spawn(async move {
                if let Err(e) = scheduler.trigger(&job, day, job.schedule.retries).await {
                    tracing::error!(collector.name = job.source(), snapshot.scope = %job.scope, snapshot.day = %day, error = %e, "scheduled run not recorded");
                }
            });
        }
    }
}

/// The jobs of the named collectors (every configured one when none is
/// named): one per scope, each collector built (config checked, secrets
/// read) and its schedule parsed before anything runs.
pub fn jobs(config: &collectors::CollectorsConfig, names: &[String]) -> anyhow::Result<Vec<Job>> {
    let collectors = crate::collect::select(config, names)?;
    let mut jobs = Vec::new();
    for collector in collectors {
        let collector: Arc<dyn AnyCollector> = Arc::from(collector);
        let schedule = config.schedule(collector.name())?;
        let timing = Timing::parse(collector.name(), &schedule).map_err(anyhow::Error::msg)?;
        for scope in collector.scopes() {
            jobs.push(Job { collector: collector.clone(), scope, schedule: schedule.clone(), timing: timing.clone() });
        }
    }
    Ok(jobs)
}

/// Retention of one source: its versions closed before `cut`, and, for the
/// Kubernetes collector, the actions its watches recorded before then.
pub async fn retain(
    store: &dyn crate::store::Store,
    source: &str,
    cut: Day,
) -> crate::store::StoreResult<(crate::model::Pruned, u64)> {
    let pruned = store.prune(source, cut).await?;
    let actions = if source == <collectors::kubernetes::Kubernetes as collectors::Collector>::NAME {
        let start = cut.date().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()).unwrap_or_default();
        store.prune_actions(start).await?
    } else {
        0
    };
    Ok((pruned, actions))
}
