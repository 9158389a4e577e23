//! The four DORA metrics over judged deploys: for a window, bucketed by
//! day, week or month, and per service (docs/dora.md, "The metrics").

use std::collections::BTreeMap;

use chrono::Duration;
use serde::Serialize;

use super::judge::{verdicts, Verdict};
use super::rollup::DayRollup;
use super::{bands, nearest_rank, Band, Judged};
use crate::buckets::buckets;
pub use crate::buckets::Bucket;
use crate::model::{Day, DeployEvent};

/// The four metrics, with the counts behind them, over some deploys.
#[derive(Debug, Clone, Default, PartialEq, Serialize, async_graphql::SimpleObject)]
#[graphql(name = "DoraFigures")]
pub struct Figures {
    /// Changes that reached the environment (deployment frequency counts these).
    pub deploys: u64,
    /// Changes: every deploy that ended, but rollbacks.
    pub changes: u64,
    pub failed_changes: u64,
    /// Deploys back to a lower version (restoring, not changing).
    pub rollbacks: u64,
    /// Services with at least one change.
    pub deploying_services: u64,
    /// Days the figures cover.
    pub days: u64,
    /// `deploys / days`.
    pub deploys_per_day: f64,
    /// `failedChanges / changes`; null without changes.
    pub change_failure_rate: Option<f64>,
    /// Median (nearest rank) lead time for changes, in seconds.
    pub lead_time_seconds: Option<i64>,
    /// Deploys whose lead time is known (their first commit is).
    pub lead_time_samples: u64,
    /// Median (nearest rank) time to restore, in seconds.
    pub time_to_restore_seconds: Option<i64>,
    /// Failed changes restored by a later healthy deploy.
    pub restored: u64,
    /// Failed changes no healthy deploy has followed yet.
    pub unrestored: u64,
    pub bands: Bands,
}

/// The DORA band of each metric (`None`: nothing to judge).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, async_graphql::SimpleObject)]
#[graphql(name = "DoraBands")]
pub struct Bands {
    pub deployment_frequency: Option<Band>,
    pub lead_time: Option<Band>,
    pub change_failure_rate: Option<Band>,
    pub time_to_restore: Option<Band>,
}

impl Figures {
    /// The figures of `deploys` (already judged) over `days` days.
    pub fn of<'a>(deploys: impl IntoIterator<Item = &'a Judged>, days: u64) -> Figures {
        let mut tally = Tally::default();
        for deploy in deploys {
            tally.add_deploy(deploy);
        }
        tally.figures(days)
    }

    /// The figures of the day rollups `rows` over `days` days: the same as
    /// [`Figures::of`] the deploys they were rolled up from.
    pub fn of_rollups<'a>(rows: impl IntoIterator<Item = &'a DayRollup>, days: u64) -> Figures {
        let mut tally = Tally::default();
        for row in rows {
            tally.add_rollup(row);
        }
        tally.figures(days)
    }

    fn judge_bands(&self) -> Bands {
        // No deploy reported: nothing to judge, not a LOW frequency (a
        // service whose orchestrator reports nothing, or one only declared
        // in manifests, has no delivery to band).
        let per_service_day = match (self.days, self.deploying_services) {
            (0, _) | (_, 0) => None,
            (days, services) => Some(self.deploys as f64 / days as f64 / services as f64),
        };
        Bands {
            deployment_frequency: per_service_day.map(bands::deployment_frequency),
            lead_time: self.lead_time_seconds.map(|s| bands::lead_time(Duration::seconds(s))),
            change_failure_rate: self.change_failure_rate.map(bands::change_failure_rate),
            time_to_restore: self.time_to_restore_seconds.map(|s| bands::time_to_restore(Duration::seconds(s))),
        }
    }
}

/// What [`Figures`] are made of, as deploys or day rollups are added: the
/// counts and every sample (medians are exact), summed as a [`DayRollup`]
/// adds them (its service, cluster and day unused), and the services that
/// changed.
struct Tally<'a> {
    sum: DayRollup,
    services: rustc_hash::FxHashSet<&'a str>,
}

impl Default for Tally<'_> {
    fn default() -> Self {
        Tally { sum: DayRollup::empty("", "", Day(0)), services: Default::default() }
    }
}

impl<'a> Tally<'a> {
    fn add_deploy(&mut self, deploy: &'a Judged) {
        if deploy.is_change() {
            self.services.insert(&deploy.event.service);
        }
        self.sum.add(deploy);
    }

    fn add_rollup(&mut self, row: &'a DayRollup) {
        if row.changes > 0 {
            self.services.insert(&row.service);
        }
        self.sum.add_rollup(row);
    }

    fn figures(self, days: u64) -> Figures {
        let DayRollup { deploys, changes, failed_changes, rollbacks, unrestored, mut lead_times, mut restores, .. } =
            self.sum;
        let mut figures = Figures {
            deploys,
            changes,
            failed_changes,
            rollbacks,
            unrestored,
            days,
            deploying_services: self.services.len() as u64,
            deploys_per_day: if days == 0 { 0.0 } else { deploys as f64 / days as f64 },
            change_failure_rate: (changes > 0).then(|| failed_changes as f64 / changes as f64),
            lead_time_samples: lead_times.len() as u64,
            lead_time_seconds: nearest_rank(&mut lead_times, 0.5),
            restored: restores.len() as u64,
            time_to_restore_seconds: nearest_rank(&mut restores, 0.5),
            bands: Bands::default(),
        };
        figures.bands = figures.judge_bands();
        figures
    }
}

/// One bucket of a report: `[start, end]`, whole days within the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    pub start: Day,
    pub end: Day,
    pub figures: Figures,
}

/// DORA over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub from: Day,
    pub to: Day,
    pub overall: Figures,
    pub buckets: Vec<Period>,
    /// Each service's figures over the whole window, by service key.
    pub services: BTreeMap<String, Figures>,
    /// Every deploy of the window, judged, oldest first.
    pub deploys: Vec<Judged>,
}

/// Judges `events` (oldest first, as the store reads them) one lane (a
/// service in a cluster) at a time, and gives them back in their order.
/// Lanes are found by number and judged by reference: an organisation's
/// year is a few hundred thousand events, and sorting or moving them was
/// most of the work.
pub fn judged_in_order(events: Vec<DeployEvent>, fix_forward: Option<Duration>) -> impl Iterator<Item = Judged> {
    let mut lanes: rustc_hash::FxHashMap<(&str, &str), u32> = Default::default();
    let lane_of: Vec<u32> = events
        .iter()
        .map(|e| {
            let next = lanes.len() as u32;
            *lanes.entry((e.service.as_str(), e.cluster.as_str())).or_insert(next)
        })
        .collect();
    drop(lanes);
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| lane_of[i]); // stable: each lane stays oldest first
    let mut found: Vec<Option<Verdict>> = vec![None; events.len()];
    for lane in order.chunk_by(|a, b| lane_of[*a] == lane_of[*b]) {
        let deploys: Vec<&DeployEvent> = lane.iter().map(|&i| &events[i]).collect();
        for (&i, verdict) in lane.iter().zip(verdicts(&deploys, fix_forward)) {
            found[i] = Some(verdict);
        }
    }
    events.into_iter().zip(found).filter_map(|(event, verdict)| Some(verdict?.on(event)))
}

/// Judges `events` (each service and cluster on its own, oldest first)
/// and reports the deploys that started within `[from, to]`. Events before
/// `from` only inform the verdicts (a rollback goes back to them).
pub fn report(events: Vec<DeployEvent>, from: Day, to: Day, bucket: Bucket, fix_forward: Option<Duration>) -> Report {
    let (start, end) = (from.start(), to.plus(1).start());
    let mut deploys: Vec<Judged> = Vec::with_capacity(events.len());
    deploys.extend(judged_in_order(events, fix_forward).filter(|d| d.event.at >= start && d.event.at < end));
    let days = |a: Day, b: Day| (b.0 - a.0 + 1).max(0) as u64;
    let periods = buckets(from, to, bucket)
        .into_iter()
        .map(|(lo, hi)| {
            let (lo_at, hi_at) = (lo.start(), hi.plus(1).start());
            // Sorted by start: each bucket is one slice.
            let inside = &deploys
                [deploys.partition_point(|d| d.event.at < lo_at)..deploys.partition_point(|d| d.event.at < hi_at)];
            Period { start: lo, end: hi, figures: Figures::of(inside, days(lo, hi)) }
        })
        .collect();
    let mut per_service: BTreeMap<&str, Vec<&Judged>> = BTreeMap::new();
    for deploy in &deploys {
        per_service.entry(&deploy.event.service).or_default().push(deploy);
    }
    let services =
        per_service.into_iter().map(|(key, mine)| (key.to_string(), Figures::of(mine, days(from, to)))).collect();
    Report { from, to, overall: Figures::of(&deploys, days(from, to)), buckets: periods, services, deploys }
}

/// The report of `[from, to]` from day rollups (any order): the figures
/// [`report`] gives over the deploys they were rolled up from, without the
/// deploys themselves (`deploys` is empty).
pub fn report_of_rollups(mut rows: Vec<DayRollup>, from: Day, to: Day, bucket: Bucket) -> Report {
    rows.retain(|row| row.day >= from && row.day <= to);
    rows.sort_unstable_by_key(|row| row.day);
    let days = |a: Day, b: Day| (b.0 - a.0 + 1).max(0) as u64;
    let periods = buckets(from, to, bucket)
        .into_iter()
        .map(|(lo, hi)| {
            let inside = &rows[rows.partition_point(|r| r.day < lo)..rows.partition_point(|r| r.day <= hi)];
            Period { start: lo, end: hi, figures: Figures::of_rollups(inside, days(lo, hi)) }
        })
        .collect();
    let mut per_service: BTreeMap<&str, Vec<&DayRollup>> = BTreeMap::new();
    for row in &rows {
        per_service.entry(&row.service).or_default().push(row);
    }
    let services = per_service
        .into_iter()
        .map(|(key, mine)| (key.to_string(), Figures::of_rollups(mine, days(from, to))))
        .collect();
    Report {
        from,
        to,
        overall: Figures::of_rollups(&rows, days(from, to)),
        buckets: periods,
        services,
        deploys: Vec::new(),
    }
}
