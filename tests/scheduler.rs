//! The scheduler on a controllable clock: tokio's paused time drives a
//! virtual wall clock, so days pass in milliseconds and every instant is
//! exact. The store is a real SQLite file; the collectors are in-process
//! stand-ins whose behaviour (slow, hanging, failing) each test chooses.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use collectors::schedule::Schedule;
use collectors::{AnyCollector, CollectError, Day, Observation, ObservedEntity};
use spot::model::{RunFilter, RunStatus};
use spot::scheduler::{Clock, Job, Outcome, Scheduler, SchedulerConfig, Timing};
use spot::{SqliteStore, Store};

#[path = "support/wait.rs"]
mod wait;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// How a stand-in collector behaves on its n-th call (0-based).
#[derive(Clone, Copy)]
enum Behaviour {
    Observe,
    /// Takes this long, then observes.
    Slow(Duration),
    Hang,
    /// Fails this many calls, then observes.
    FailFirst(usize),
}

/// (instant called, scope, day) of one call.
type Call = (DateTime<Utc>, String, Day);

struct StandIn {
    name: &'static str,
    clock: Clock,
    behaviour: Behaviour,
    /// (instant called, scope, day) of every call.
    calls: Arc<Mutex<Vec<Call>>>,
}

impl StandIn {
    fn new(name: &'static str, clock: Clock, behaviour: Behaviour) -> Arc<StandIn> {
        Arc::new(StandIn { name, clock, behaviour, calls: Arc::default() })
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    fn instants(&self) -> Vec<DateTime<Utc>> {
        self.calls().into_iter().map(|c| c.0).collect()
    }
}

impl AnyCollector for StandIn {
    fn name(&self) -> &'static str {
        self.name
    }

    fn scopes(&self) -> Vec<String> {
        vec!["main".into()]
    }

    fn collect<'a>(
        &'a self,
        scope: &'a str,
        day: Day,
    ) -> Pin<Box<dyn Future<Output = Result<Observation, CollectError>> + Send + 'a>> {
        let n = {
            let mut calls = self.calls.lock().unwrap();
            calls.push((self.clock.now(), scope.to_string(), day));
            calls.len() - 1
        };
        Box::pin(async move {
            match self.behaviour {
                Behaviour::Observe => {}
                // Paused time: a run that lasts `d` on the virtual clock.
                Behaviour::Slow(d) => tokio::time::sleep(d).await,
                Behaviour::Hang => std::future::pending::<()>().await,
                Behaviour::FailFirst(k) if n < k => {
                    return Err(CollectError::Config { collector: "stand-in", problem: format!("failure {}", n + 1) })
                }
                Behaviour::FailFirst(_) => {}
            }
            let mut obs = Observation::new(self.name, scope, day);
            obs.entities.push(ObservedEntity {
                key: format!("service:{}", self.name),
                kind: "service".into(),
                name: self.name.into(),
                // A new version every day: yesterday's closes.
                attrs: serde_json::json!({ "day": day.to_string() }).as_object().unwrap().clone(),
            });
            Ok(obs)
        })
    }
}

fn job(collector: Arc<StandIn>, schedule: Schedule) -> Job {
    let timing = Timing::parse(collector.name, &schedule).unwrap();
    Job { collector, scope: "main".into(), schedule, timing }
}

fn daily(cron: &str) -> Schedule {
    Schedule { cron: cron.into(), retries: 0, ..Schedule::default() }
}

struct World {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    store: Arc<dyn Store>,
    clock: Clock,
}

fn world(start: &str) -> World {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spot.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    World { _dir: dir, path, store, clock: Clock::starting_at(at(start)) }
}

impl World {
    fn scheduler(&self, jobs: Vec<Job>, concurrency: usize) -> Arc<Scheduler> {
        let config = SchedulerConfig { concurrency, lease_ttl_s: 300 };
        Arc::new(Scheduler::new(self.store.clone(), self.clock, jobs, &config))
    }

    /// Runs the scheduler until the clock reads `until`.
    async fn run_until(&self, scheduler: Arc<Scheduler>, until: &str) {
        let clock = self.clock;
        let until = at(until);
        scheduler.run(async move { clock.sleep_until(until).await }).await;
    }

    async fn runs(&self, source: &str) -> Vec<spot::model::Run> {
        let mut runs =
            self.store.runs(&RunFilter { source: Some(source.into()), ..RunFilter::default() }).await.unwrap();
        runs.reverse();
        runs
    }
}

#[tokio::test(start_paused = true)]
async fn schedules_fire_at_their_times_for_their_days() {
    let w = world("2026-11-26T00:00:00Z");
    let nightly = StandIn::new("nightly", w.clock, Behaviour::Observe);
    let berlin = StandIn::new("berlin", w.clock, Behaviour::Observe);
    let berlin_schedule = Schedule { timezone: "Europe/Berlin".into(), ..daily("30 0 * * *") };
    let scheduler =
        w.scheduler(vec![job(nightly.clone(), daily("0 2 * * *")), job(berlin.clone(), berlin_schedule)], 4);
    w.run_until(scheduler, "2026-11-28T12:00:00Z").await;

    assert_eq!(
        nightly.instants(),
        [at("2026-11-26T02:00:00Z"), at("2026-11-27T02:00:00Z"), at("2026-11-28T02:00:00Z")]
    );
    let days: Vec<String> = nightly.calls().iter().map(|c| c.2.to_string()).collect();
    assert_eq!(days, ["2026-11-26", "2026-11-27", "2026-11-28"]);
    // 00:30 in Berlin is 23:30 UTC the evening before; the day is Berlin's.
    assert_eq!(berlin.instants(), [at("2026-11-26T23:30:00Z"), at("2026-11-27T23:30:00Z")]);
    assert_eq!(berlin.calls()[0].2.to_string(), "2026-11-27");
    let runs = w.runs("nightly").await;
    assert_eq!(runs.len(), 3);
    assert!(runs.iter().all(|r| r.status == RunStatus::Complete));
}

#[tokio::test(start_paused = true)]
async fn a_firing_while_the_last_run_goes_on_is_skipped() {
    let w = world("2026-11-26T00:00:00Z");
    // Hourly, but each run takes 90 minutes.
    let slow = StandIn::new("slow", w.clock, Behaviour::Slow(Duration::from_secs(90 * 60)));
    let scheduler = w.scheduler(vec![job(slow.clone(), daily("0 * * * *"))], 4);
    w.run_until(scheduler.clone(), "2026-11-26T05:30:00Z").await;
    // 01:00 runs until 02:30, so 02:00 is skipped; 03:00 runs, 04:00 is skipped, 05:00 runs.
    assert_eq!(slow.instants(), [at("2026-11-26T01:00:00Z"), at("2026-11-26T03:00:00Z"), at("2026-11-26T05:00:00Z")]);

    // By hand, while a run goes on: skipped too, and said why.
    let w = world("2026-11-26T00:00:00Z");
    let slow = StandIn::new("slow", w.clock, Behaviour::Slow(Duration::from_secs(600)));
    let scheduler = w.scheduler(vec![job(slow.clone(), daily("0 2 * * *"))], 4);
    let job = scheduler.jobs()[0].clone();
    let day = job.timing.day_of(w.clock.now());
    let first = {
        let (scheduler, job) = (scheduler.clone(), job.clone());
        tokio::spawn(async move { scheduler.trigger(&job, day, 0).await })
    };
    // Once the stand-in has been called, the first run holds the job.
    wait::wait_for_async("the first trigger to start its run", Duration::from_secs(60), || async {
        (slow.calls().len() == 1).then_some(())
    })
    .await;
    let second = scheduler.trigger(&job, day, 0).await.unwrap();
    assert_eq!(second, Outcome::Skipped("a run of it is already going on in this process".into()));
    assert!(matches!(first.await.unwrap().unwrap(), Outcome::Ran(run) if run.status == RunStatus::Complete));
    assert_eq!(slow.calls().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_collector_times_out_and_delays_no_other() {
    let w = world("2026-11-26T00:00:00Z");
    let hanging = StandIn::new("hanging", w.clock, Behaviour::Hang);
    let healthy = StandIn::new("healthy", w.clock, Behaviour::Observe);
    let patient = Schedule { timeout_s: 600, ..daily("0 2 * * *") };
    let scheduler = w.scheduler(vec![job(hanging.clone(), patient), job(healthy.clone(), daily("0 2 * * *"))], 4);
    w.run_until(scheduler, "2026-11-26T03:00:00Z").await;

    let healthy_run = &w.runs("healthy").await[0];
    assert_eq!(healthy_run.status, RunStatus::Complete);
    assert_eq!(healthy.instants(), [at("2026-11-26T02:00:00Z")]);
    let hung = &w.runs("hanging").await[0];
    assert_eq!(hung.status, RunStatus::Failed);
    assert_eq!(hung.error.as_deref(), Some("timed out after 600 s; nothing was written"));
}

#[tokio::test(start_paused = true)]
async fn a_failed_run_is_retried_with_backoff_while_its_day_lasts() {
    let w = world("2026-11-26T00:00:00Z");
    let flaky = StandIn::new("flaky", w.clock, Behaviour::FailFirst(2));
    let retrying = Schedule { retries: 3, retry_backoff_s: 600, ..daily("0 2 * * *") };
    let scheduler = w.scheduler(vec![job(flaky.clone(), retrying)], 4);
    w.run_until(scheduler, "2026-11-26T12:00:00Z").await;
    // Fails at 02:00 and 02:10; the third attempt, 20 minutes later, observes.
    assert_eq!(flaky.instants(), [at("2026-11-26T02:00:00Z"), at("2026-11-26T02:10:00Z"), at("2026-11-26T02:30:00Z")]);
    let run = &w.runs("flaky").await[0];
    assert_eq!((run.status, run.attempts), (RunStatus::Complete, 3));

    // Just before midnight, a retry would land on the next day: none.
    let w = world("2026-11-26T00:00:00Z");
    let late = StandIn::new("late", w.clock, Behaviour::FailFirst(5));
    let retrying = Schedule { retries: 3, retry_backoff_s: 600, ..daily("55 23 * * *") };
    let scheduler = w.scheduler(vec![job(late.clone(), retrying)], 4);
    w.run_until(scheduler, "2026-11-27T01:00:00Z").await;
    assert_eq!(late.instants(), [at("2026-11-26T23:55:00Z")]);
    assert_eq!(w.runs("late").await[0].status, RunStatus::Failed);
}

#[tokio::test(start_paused = true)]
async fn two_schedulers_on_one_store_never_run_the_same_scope_at_once() {
    let w = world("2026-11-26T00:00:00Z");
    let other_store: Arc<dyn Store> = Arc::new(SqliteStore::open(&w.path).unwrap());
    let a = StandIn::new("shared", w.clock, Behaviour::Slow(Duration::from_secs(120)));
    let b = StandIn::new("shared", w.clock, Behaviour::Slow(Duration::from_secs(120)));
    let first = w.scheduler(vec![job(a.clone(), daily("0 2 * * *"))], 4);
    let second = Arc::new(Scheduler::new(
        other_store,
        w.clock,
        vec![job(b.clone(), daily("0 2 * * *"))],
        &SchedulerConfig::default(),
    ));
    assert_ne!(first.holder(), second.holder());
    let until = "2026-11-28T00:00:00Z";
    tokio::join!(w.run_until(first, until), w.run_until(second, until));
    let calls = a.calls().len() + b.calls().len();
    assert_eq!(calls, 2, "one run per firing across both processes");
    assert_eq!(w.runs("shared").await.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_crash_mid_run_loses_nothing_and_its_lease_expires() {
    let w = world("2026-11-26T00:00:00Z");
    let steady = StandIn::new("steady", w.clock, Behaviour::Observe);
    let day1 = Day::from_date(at("2026-11-26T00:00:00Z").date_naive());
    let scheduler = w.scheduler(vec![job(steady.clone(), daily("0 2 * * *"))], 4);
    let job1 = scheduler.jobs()[0].clone();
    assert!(matches!(scheduler.trigger(&job1, day1, 0).await.unwrap(), Outcome::Ran(_)));

    // The scheduled 02:00 run hangs, and the process dies with it at 02:01:
    // its lease is never released.
    let hanging = StandIn::new("steady", w.clock, Behaviour::Hang);
    let doomed = w.scheduler(vec![job(hanging.clone(), Schedule { timeout_s: 86_400, ..daily("0 2 * * *") })], 4);
    w.run_until(doomed, "2026-11-26T02:01:00Z").await;
    assert_eq!(hanging.calls().len(), 1);

    // Day 1 is intact, and the dead holder's lease (taken at 02:00 for 300 s)
    // blocks only until it expires.
    assert!(w.store.entity("service:steady", day1).await.unwrap().is_some());
    let restarted = w.scheduler(vec![job(steady.clone(), daily("0 2 * * *"))], 4);
    let job2 = restarted.jobs()[0].clone();
    let day2 = job2.timing.day_of(w.clock.now());
    assert_eq!(
        restarted.trigger(&job2, day2, 0).await.unwrap(),
        Outcome::Skipped("another SPoT process holds its lease".into())
    );
    // Paused time: this sleep moves the virtual clock 300 s on, past the
    // lease's expiry, at once; it hopes for nothing.
    tokio::time::sleep(Duration::from_secs(300)).await;
    assert!(
        matches!(restarted.trigger(&job2, day2, 0).await.unwrap(), Outcome::Ran(run) if run.status == RunStatus::Complete)
    );
}

#[tokio::test(start_paused = true)]
async fn retention_keeps_only_the_configured_days_of_closed_history() {
    let w = world("2026-11-01T00:00:00Z");
    let daily_changes = StandIn::new("churny", w.clock, Behaviour::Observe);
    let kept = StandIn::new("kept", w.clock, Behaviour::Observe);
    let scheduler = Scheduler::new(
        w.store.clone(),
        w.clock,
        vec![job(daily_changes.clone(), daily("0 2 * * *")), job(kept.clone(), daily("0 2 * * *"))],
        &SchedulerConfig::default(),
    )
    .with_retention([("churny".to_string(), 7)].into_iter().collect());
    w.run_until(Arc::new(scheduler), "2026-11-21T00:00:00Z").await;
    // 20 daily runs each: churny keeps the versions closed in the last 7
    // days before its last run (8 of them) and the open one; kept keeps all.
    let versions = |key: &'static str| {
        let store = w.store.clone();
        async move { store.timeline(key, "day", Day(20_000), Day(20_800), None).await.unwrap().len() }
    };
    assert_eq!(versions("service:churny").await, 9);
    assert_eq!(versions("service:kept").await, 20);
}
