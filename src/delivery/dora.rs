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
use crate::judging::span::LaneDays;
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

/// What [`Figures`] are made of, as deploys are added: the counts and
/// every sample (medians are exact), summed as a [`DayRollup`] adds them
/// (its service, cluster and day unused), and the services that changed.
struct Tally<'a> {
    sum: DayRollup,
    services: rustc_hash::FxHashSet<&'a str>,
}

impl Default for Tally<'_> {
    fn default() -> Self {
        Tally { sum: blank(), services: Default::default() }
    }
}

impl<'a> Tally<'a> {
    fn add_deploy(&mut self, deploy: &'a Judged) {
        if deploy.is_change() {
            self.services.insert(&deploy.event.service);
        }
        self.sum.add(deploy);
    }

    fn figures(self, days: u64) -> Figures {
        figures_of(self.sum, self.services.len() as u64, days)
    }
}

/// A sum of nothing yet.
fn blank() -> DayRollup {
    DayRollup::empty("", "", Day(0))
}

/// The figures of `sum` (counts and samples added up) over `days` days,
/// `deploying_services` of whose services changed something.
fn figures_of(sum: DayRollup, deploying_services: u64, days: u64) -> Figures {
    let DayRollup { deploys, changes, failed_changes, rollbacks, unrestored, mut lead_times, mut restores, .. } = sum;
    let mut figures = Figures {
        deploys,
        changes,
        failed_changes,
        rollbacks,
        unrestored,
        days,
        deploying_services,
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

/// The report of `[from, to]` from packed day rollups (any order, days
/// outside the window skipped): the figures [`report`] gives over the
/// deploys they were rolled up from, without the deploys themselves
/// (`deploys` is empty). One pass over the days: each adds to the whole
/// window, its bucket and its service.
pub fn report_of_rollups(lanes: Vec<LaneDays>, from: Day, to: Day, bucket: Bucket) -> Report {
    let days = |a: Day, b: Day| (b.0 - a.0 + 1).max(0) as u64;
    let periods = buckets(from, to, bucket);
    let mut names: Vec<&str> = lanes.iter().map(|lane| lane.service.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut overall = blank();
    let mut in_bucket: Vec<DayRollup> = periods.iter().map(|_| blank()).collect();
    // Per bucket, a bit per service (by its place in `names`): it changed.
    let words = names.len().div_ceil(64);
    let mut changed = vec![0u64; periods.len() * words];
    // `None`: the service has no deploy in the window (and is not listed).
    let mut of_service: Vec<Option<DayRollup>> = vec![None; names.len()];
    for lane in &lanes {
        let Ok(service) = names.binary_search(&lane.service.as_str()) else { continue };
        for packed in lane.each_day() {
            let day = packed.0;
            if day.day < from || day.day > to {
                continue;
            }
            // The buckets cover the window in order: the first ending on or after the day.
            let at = periods.partition_point(|&(_, end)| end < day.day);
            overall.add_day(packed);
            in_bucket[at].add_day(packed);
            of_service[service].get_or_insert_with(blank).add_day(packed);
            if day.changes > 0 {
                changed[at * words + service / 64] |= 1 << (service % 64);
            }
        }
    }
    let buckets = periods
        .iter()
        .zip(in_bucket)
        .enumerate()
        .map(|(at, (&(start, end), sum))| {
            let services: u32 = changed[at * words..(at + 1) * words].iter().map(|w| w.count_ones()).sum();
            Period { start, end, figures: figures_of(sum, services as u64, days(start, end)) }
        })
        .collect();
    let deploying = of_service.iter().flatten().filter(|sum| sum.changes > 0).count() as u64;
    let services = names
        .iter()
        .zip(of_service)
        .filter_map(|(name, sum)| {
            let sum = sum?;
            let changed = (sum.changes > 0) as u64;
            Some((name.to_string(), figures_of(sum, changed, days(from, to))))
        })
        .collect();
    Report { from, to, overall: figures_of(overall, deploying, days(from, to)), buckets, services, deploys: Vec::new() }
}
