//! The deploy events the organisation's orchestrator reports: every
//! rollout of the day with its start, finish, commits and outcome, so that
//! delivery metrics (docs/dora.md) have a realistic history.
//!
//! They are drawn from their own random stream, seeded from the
//! organisation's seed, and never change what the collectors observe: the
//! snapshots of a day with and without deploy events are identical.
//!
//! Distributions (per rollout of a release to one cluster):
//! - start: the day's rollouts spread in order over 07:00–19:00 UTC;
//! - rollout time: a per-service typical time of 2–12 minutes, times
//!   0.7–1.6;
//! - commits: 1–8 (half of releases bring 1 or 2), the first of them a
//!   log-normal time before the start: median 20 hours, spread ×e (one
//!   sigma), from 10 minutes to 30 days;
//! - outcome: 3 % stall (ProgressDeadlineExceeded, or a crash loop at
//!   start), are rolled back 12 minutes later and retried 1–4 hours after;
//!   2 % need a configuration fix: the same version is deployed again
//!   15–50 minutes after the first finished (a fix-forward); the rest
//!   succeed. Releases that go back to the previous version (one in
//!   twenty-five, chosen by the organisation) are rollbacks.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::model::Version;
use crate::day::Day;

/// One deploy event, as the orchestrator reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticDeploy {
    /// `service:<name>`.
    pub service: String,
    /// The cluster's name (`dc1`).
    pub cluster: String,
    pub workload: String,
    pub version: String,
    pub at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// `None`: succeeded; otherwise why it failed.
    pub failure: Option<String>,
    pub commit: String,
    pub first_commit_at: DateTime<Utc>,
    pub commit_count: u32,
}

/// A rollout the day brought: a workload moving to a version.
#[derive(Debug, Clone)]
pub struct Rollout {
    pub service: String,
    pub cluster: String,
    pub workload: String,
    /// Index of the service, for its typical rollout time.
    pub service_index: usize,
    pub from: Version,
    pub to: Version,
}

const FIRST_HOUR: i64 = 7;
const WORKING_SECONDS: i64 = 12 * 3600;

/// Room left before the present for the day's last rollout to finish.
const SETTLING: Duration = Duration::minutes(30);

/// The events of `day`'s rollouts, in the order the rollouts happened:
/// over the working hours, or, on the day of `until` (the present), over
/// what of them has passed, so that none is in the future.
pub fn events(
    day: Day,
    rollouts: &[Rollout],
    rng: &mut ChaCha8Rng,
    until: Option<DateTime<Utc>>,
) -> Vec<SyntheticDeploy> {
    let (morning, working) = working_hours(day, until);
    let spacing = working / (rollouts.len() as i64 + 1);
    let mut events = Vec::with_capacity(rollouts.len() + rollouts.len() / 10);
    for (i, rollout) in rollouts.iter().enumerate() {
        let start = morning + Duration::seconds(spacing * (i as i64 + 1) + rng.random_range(0..spacing.max(1)) / 2);
        events.extend(one_rollout(rollout, start, rng));
    }
    events
}

/// When the day's rollouts start, and over how many seconds: 07:00–19:00
/// UTC, cut at `until` less [`SETTLING`] when that falls inside them (an
/// earlier start when the present is before 07:00).
fn working_hours(day: Day, until: Option<DateTime<Utc>>) -> (DateTime<Utc>, i64) {
    let morning = day.start() + Duration::hours(FIRST_HOUR);
    let Some(end) = until.map(|now| now - SETTLING) else { return (morning, WORKING_SECONDS) };
    let seconds = (end - morning).num_seconds();
    if seconds >= WORKING_SECONDS {
        (morning, WORKING_SECONDS)
    } else if seconds >= 3600 {
        (morning, seconds)
    } else {
        let start = day.start().max(end - Duration::hours(1));
        (start, (end - start).num_seconds().max(0))
    }
}

fn one_rollout(rollout: &Rollout, start: DateTime<Utc>, rng: &mut ChaCha8Rng) -> Vec<SyntheticDeploy> {
    let typical = 120 + (rollout.service_index as i64 * 7919) % 600; // 2–12 minutes, stable per service
    let took = |rng: &mut ChaCha8Rng| Duration::seconds(typical * rng.random_range(70..160) / 100);
    let commits = commit_count(rng);
    let first_commit_at = start - lead(rng);
    let deploy = |version: &Version, at: DateTime<Utc>, took: Duration, rng: &mut ChaCha8Rng| SyntheticDeploy {
        service: rollout.service.clone(),
        cluster: rollout.cluster.clone(),
        workload: rollout.workload.clone(),
        version: version.to_string(),
        at,
        finished_at: at + took,
        failure: None,
        commit: sha(rng),
        first_commit_at,
        commit_count: commits,
    };
    let roll = rng.random_range(0..1000);
    if roll < 30 {
        // Stalls, is rolled back, and is retried once the cause is fixed.
        let reason = if roll < 18 {
            "ProgressDeadlineExceeded: the rollout made no progress for 600 s"
        } else {
            "CrashLoopBackOff: the new pods crash at start"
        };
        let stalled = SyntheticDeploy {
            failure: Some(reason.to_string()),
            ..deploy(&rollout.to, start, Duration::seconds(600 + rng.random_range(0..300)), rng)
        };
        let back_at = stalled.finished_at + Duration::minutes(2);
        let back = deploy(&rollout.from, back_at, took(rng), rng);
        let retry_at = back.finished_at + Duration::minutes(rng.random_range(60..240));
        let retry = deploy(&rollout.to, retry_at, took(rng), rng);
        vec![stalled, back, retry]
    } else if roll < 50 {
        // Lands, but needs a configuration fix: the same version again.
        let first = deploy(&rollout.to, start, took(rng), rng);
        let fix_at = first.finished_at + Duration::minutes(rng.random_range(15..50));
        let fix = SyntheticDeploy {
            commit_count: 1,
            first_commit_at: fix_at - Duration::minutes(20),
            ..deploy(&rollout.to, fix_at, took(rng), rng)
        };
        vec![first, fix]
    } else {
        vec![deploy(&rollout.to, start, took(rng), rng)]
    }
}

/// 1–8, half of them 1 or 2.
fn commit_count(rng: &mut ChaCha8Rng) -> u32 {
    match rng.random_range(0..100) {
        0..=29 => 1,
        30..=49 => 2,
        50..=64 => 3,
        65..=76 => 4,
        77..=85 => 5,
        86..=92 => 6,
        93..=97 => 7,
        _ => 8,
    }
}

/// First commit → deploy start: log-normal, median 20 h, σ 1, within
/// [10 min, 30 days] (Box–Muller from two uniform draws).
fn lead(rng: &mut ChaCha8Rng) -> Duration {
    let (u1, u2): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random_range(0.0..1.0));
    let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    let seconds = (20.0 * 3600.0) * normal.exp();
    Duration::seconds(seconds.clamp(600.0, 30.0 * 86_400.0) as i64)
}

fn sha(rng: &mut ChaCha8Rng) -> String {
    format!("{:016x}{:016x}{:08x}", rng.random::<u64>(), rng.random::<u64>(), rng.random::<u32>())
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn a_day_of_rollouts_has_realistic_outcomes() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let rollouts: Vec<Rollout> = (0..20_000)
            .map(|i| Rollout {
                service: format!("service:s{}", i % 500),
                cluster: "dc1".into(),
                workload: format!("workload:dc1/x/Deployment/s{i}"),
                service_index: i % 500,
                from: Version::new(1, 0, 0),
                to: Version::new(1, 0, 1),
            })
            .collect();
        let events = events("2026-03-03".parse().unwrap(), &rollouts, &mut rng, None);
        let failed = events.iter().filter(|e| e.failure.is_some()).count() as f64 / rollouts.len() as f64;
        assert!((0.02..0.04).contains(&failed), "{failed}");
        let mut leads: Vec<i64> = events.iter().map(|e| (e.at - e.first_commit_at).num_minutes()).collect();
        leads.sort();
        let median_hours = leads[leads.len() / 2] as f64 / 60.0;
        assert!((12.0..30.0).contains(&median_hours), "{median_hours}");
        assert!(events.iter().all(|e| e.finished_at > e.at && e.first_commit_at < e.finished_at));
        assert!(
            events.windows(2).all(|w| w[0].workload != w[1].workload || w[0].at < w[1].at),
            "in order per workload"
        );
    }

    fn rollouts(count: usize) -> Vec<Rollout> {
        (0..count)
            .map(|i| Rollout {
                service: format!("service:s{i}"),
                cluster: "dc1".into(),
                workload: format!("workload:dc1/x/Deployment/s{i}"),
                service_index: i,
                from: Version::new(1, 0, 0),
                to: Version::new(1, 0, 1),
            })
            .collect()
    }

    /// `spot demo` ends its history today: a rollout after the present
    /// would show a deploy hours in the future (issue 31).
    #[test]
    fn on_the_present_day_every_rollout_starts_before_now() {
        let day: Day = "2026-03-03".parse().unwrap();
        for (hour, minute) in [(0, 10), (3, 0), (7, 20), (9, 45), (18, 59), (23, 50)] {
            let now = day.start() + Duration::hours(hour) + Duration::minutes(minute);
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            let events = events(day, &rollouts(400), &mut rng, Some(now));
            // Each rollout's start (its first event): a stall's retry hours
            // later may be after the present, and Org::deploys drops it.
            let mut starts = std::collections::HashMap::new();
            for e in &events {
                starts
                    .entry(e.workload.as_str())
                    .and_modify(|t: &mut DateTime<Utc>| *t = (*t).min(e.at))
                    .or_insert(e.at);
            }
            let first = *starts.values().min().unwrap();
            let last = *starts.values().max().unwrap();
            assert!(first >= day.start(), "{hour}:{minute}: {first}");
            // Just after midnight there is no time yet: they start at midnight (Org::deploys keeps what finished).
            let latest = (now - SETTLING).max(day.start());
            assert!(last <= latest, "{hour}:{minute}: a rollout starts at {last}, after {latest}");
        }
        // A finished day is the same with or without the present.
        let later = day.plus(1).start() + Duration::hours(3);
        let (mut a, mut b) = (ChaCha8Rng::seed_from_u64(7), ChaCha8Rng::seed_from_u64(7));
        assert_eq!(events(day, &rollouts(50), &mut a, Some(later)), events(day, &rollouts(50), &mut b, None));
    }
}
