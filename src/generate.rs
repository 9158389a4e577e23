//! Feeds a synthetic organisation's history through ingest, day by day,
//! exactly as scheduled collectors would. A producer thread builds the next
//! day's observations while the current day is ingested.

use std::time::{Duration, Instant};

use collectors::action::{Action, ActionBatch};
use collectors::synthetic::{Org, SyntheticConfig, SyntheticDeploy, SyntheticRun};

use crate::model::{Day, DeployEvent, DeployStatus, RunCounts};
use crate::store::{Store, StoreResult};

/// What one generated day cost and wrote.
#[derive(Debug, Clone, Copy)]
pub struct DayReport {
    pub day: Day,
    /// Time spent in ingest (all of the day's runs), excluding generation.
    pub ingest: Duration,
    pub runs: usize,
    pub failed_runs: usize,
    pub counts: RunCounts,
}

#[derive(Debug, Clone, Copy)]
pub struct GenerateSummary {
    pub first: Day,
    pub last: Day,
    pub days: usize,
    pub runs: usize,
    pub failed_runs: usize,
    pub counts: RunCounts,
    pub elapsed: Duration,
}

/// One generated day: the collectors' runs, the orchestrator's deploys and
/// the watch's actions.
type DayOfRuns = (Vec<SyntheticRun>, Vec<SyntheticDeploy>, Vec<Action>);

/// Generates `days` days starting at `config.start` into `store`, calling
/// `on_day` after each day is committed.
pub async fn generate(
    store: &dyn Store,
    config: SyntheticConfig,
    days: usize,
    mut on_day: impl FnMut(&DayReport),
) -> StoreResult<GenerateSummary> {
    let started = Instant::now();
    let start_day = config.start;
    // At most two days of observations are alive: the one being ingested
    // and the next, built meanwhile. A day at scale 4 is ~300 MB of them;
    // a queue of two more held ~600 MB more for nothing, since the producer
    // outruns the ingest. The producer builds a day only once the consumer
    // has taken the one before (a credit per day taken).
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<DayOfRuns>(1);
    let (taken, credits) = std::sync::mpsc::channel::<()>();
    let producer = std::thread::spawn(move || {
        let mut org = Org::new(&config);
        for day in 0..days {
            if day > 0 {
                if credits.recv().is_err() {
                    return; // the consumer stopped early (an ingest error)
                }
                org.advance();
            }
            let (runs, deploys) = (org.observe(), org.deploys());
            let actions = org.actions(&deploys);
            if sender.blocking_send((runs, deploys, actions)).is_err() {
                return; // the consumer stopped early (an ingest error)
            }
        }
    });
    let mut summary = GenerateSummary {
        first: start_day,
        last: start_day,
        days: 0,
        runs: 0,
        failed_runs: 0,
        counts: RunCounts::default(),
        elapsed: Duration::ZERO,
    };
    while let Some((runs, deploys, actions)) = receiver.recv().await {
        let _ = taken.send(()); // the producer may have ended: nothing to tell
        let mut report = ingest_day(store, runs).await?;
        // After the day's runs: the orchestrator reports deploys as they
        // happen, and nothing in a snapshot depends on them.
        let started = Instant::now();
        store.record_deployments(&deploys.into_iter().map(deploy_event).collect::<Vec<_>>()).await?;
        // And the Kubernetes watch's actions, when the demo simulates one.
        if !actions.is_empty() {
            store.record_actions(&ActionBatch { actions, ..ActionBatch::default() }).await?;
        }
        report.ingest += started.elapsed();
        summary.last = report.day;
        summary.days += 1;
        summary.runs += report.runs;
        summary.failed_runs += report.failed_runs;
        summary.counts.add(report.counts);
        on_day(&report);
    }
    drop((receiver, taken));
    let _ = producer.join();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The orchestrator's report of a synthetic deploy.
fn deploy_event(deploy: SyntheticDeploy) -> DeployEvent {
    DeployEvent {
        service: deploy.service,
        cluster: deploy.cluster,
        version: deploy.version,
        at: deploy.at,
        link: None,
        actor: Some("orchestrator".into()),
        finished_at: Some(deploy.finished_at),
        status: if deploy.failure.is_some() { DeployStatus::Failed } else { DeployStatus::Succeeded },
        reason: deploy.failure,
        commit: Some(deploy.commit),
        first_commit_at: Some(deploy.first_commit_at),
        commit_count: Some(deploy.commit_count),
        workload: Some(deploy.workload),
    }
}

/// Ingests one day's runs: failures recorded first, then every observation
/// of the day in one batch ([`Store::ingest_batch`]; one transaction on
/// SQLite). A generate killed part-way through a day thus leaves that day
/// without committed runs rather than half of them, and the latest day
/// (every read's default) is always a whole one.
pub async fn ingest_day(store: &dyn Store, runs: Vec<SyntheticRun>) -> StoreResult<DayReport> {
    let mut report = DayReport {
        day: Day(0),
        ingest: Duration::ZERO,
        runs: runs.len(),
        failed_runs: 0,
        counts: RunCounts::default(),
    };
    let mut observations = Vec::with_capacity(runs.len());
    // Only the store's work is timed: building and freeing observations is
    // the collectors' cost.
    let started = Instant::now();
    for run in runs {
        match run {
            SyntheticRun::Observed(observation) => {
                report.day = observation.day;
                observations.push(observation);
            }
            SyntheticRun::Failed { source, scope, day, error } => {
                report.day = day;
                report.failed_runs += 1;
                store.record_failure(&source, &scope, day, &error).await?;
            }
        }
    }
    for run in store.ingest_batch(&observations).await.map_err(|e| e.error)? {
        report.counts.add(run.counts);
    }
    report.ingest = started.elapsed();
    Ok(report)
}
