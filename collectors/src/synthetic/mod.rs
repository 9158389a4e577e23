//! A synthetic organisation that behaves like a real one.
//!
//! At scale 1: 60 teams, about 1,000 repositories, 500 services, 4 Kubernetes
//! clusters, ~8,000 packages with skewed popularity (~40 uses per repository),
//! internal libraries, a mostly acyclic service dependency graph with a few
//! cycles, SonarQube metrics, Consul registrations and Confluence docs.
//!
//! Each day it churns: ~350 deploys (some lagging a day behind in other
//! clusters, a few rollbacks), dependency bumps, package releases, metric
//! drift, health flaps, doc edits, services created and retired, repositories
//! archived, ownership moves, and now and then a collector that fails or sees
//! only part of its scope.
//!
//! It is observed the way the real collectors observe: one [`Observation`]
//! per (source, scope) and day, through the same ingest path. Everything is
//! deterministic for a seed.

mod build;
mod catalog;
mod churn;
mod deliveries;
mod hygiene;
mod model;
mod names;
mod observe;
mod watch;

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::day::Day;
use crate::observation::Observation;
use model::*;

pub use deliveries::SyntheticDeploy;

/// How big, from when, and how random.
#[derive(Debug, Clone)]
pub struct SyntheticConfig {
    /// 1 = ~1,000 repositories and 500 services; sizes grow linearly.
    pub scale: usize,
    pub seed: u64,
    /// The first observed day.
    pub start: Day,
    /// Chance, per mille, that one collector run fails on a given day.
    pub failure_per_mille: u32,
    /// From this day on, what a Kubernetes watch would record between
    /// snapshots ([`Org::actions`]); never when `None`.
    pub watch_from: Option<Day>,
    /// The present, when the last day is today (`spot demo`): that day's
    /// rollouts happen before it and nothing after it is reported, as a
    /// real orchestrator and watch would not have yet. `None`: every day
    /// is over.
    pub until: Option<DateTime<Utc>>,
}

impl SyntheticConfig {
    pub fn new(scale: usize, seed: u64, start: Day) -> SyntheticConfig {
        SyntheticConfig { scale, seed, start, failure_per_mille: 8, watch_from: None, until: None }
    }
}

/// One collector run of the synthetic organisation.
#[derive(Debug, Clone)]
pub enum SyntheticRun {
    Observed(Observation),
    /// The collector failed: nothing was observed.
    Failed {
        source: String,
        scope: String,
        day: Day,
        error: String,
    },
}

/// How many things of each kind exist today (retired ones excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgSize {
    pub teams: usize,
    pub repositories: usize,
    pub services: usize,
    pub packages: usize,
    pub clusters: usize,
    pub workloads: usize,
    pub docs: usize,
}

/// The synthetic organisation on its current day.
pub struct Org {
    scale: usize,
    failure_per_mille: u32,
    /// The first observed day (the hygiene schedule counts from it).
    start: Day,
    watch_from: Option<Day>,
    until: Option<DateTime<Utc>>,
    day: Day,
    rng: ChaCha8Rng,
    /// The deploy events' own stream: drawing them changes nothing else.
    deploy_rng: ChaCha8Rng,
    /// Today's rollouts, for the deploy events.
    rollouts: Vec<deliveries::Rollout>,
    names: names::NameBook,
    teams: Vec<Team>,
    repos: Vec<Repo>,
    services: Vec<Service>,
    packages: Vec<Package>,
    clusters: Vec<Cluster>,
    workloads: Vec<Workload>,
    sonar: Vec<SonarProject>,
    docs: Vec<Doc>,
    next_doc_id: u64,
    popularity: Vec<build::Popularity>,
    external_by_ecosystem: Vec<Vec<usize>>,
    internal_by_ecosystem: Vec<Vec<usize>>,
}

impl Org {
    pub fn new(config: &SyntheticConfig) -> Org {
        let mut org = Org {
            scale: config.scale.max(1),
            failure_per_mille: config.failure_per_mille,
            start: config.start,
            watch_from: config.watch_from,
            until: config.until,
            day: config.start,
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            deploy_rng: ChaCha8Rng::seed_from_u64(config.seed ^ 0x00de_910f),
            rollouts: Vec::new(),
            names: names::NameBook::new(),
            teams: Vec::new(),
            repos: Vec::new(),
            services: Vec::new(),
            packages: Vec::new(),
            clusters: Vec::new(),
            workloads: Vec::new(),
            sonar: Vec::new(),
            docs: Vec::new(),
            next_doc_id: 100_000,
            popularity: Vec::new(),
            external_by_ecosystem: Vec::new(),
            internal_by_ecosystem: vec![Vec::new(); Ecosystem::ALL.len()],
        };
        build::build(&mut org);
        org
    }

    pub fn day(&self) -> Day {
        self.day
    }

    /// Today's collector runs: one per (source, scope).
    pub fn observe(&mut self) -> Vec<SyntheticRun> {
        observe::all(self)
    }

    /// Moves the organisation on by one day.
    pub fn advance(&mut self) {
        self.day = self.day.plus(1);
        self.rollouts.clear();
        churn::one_day(self);
    }

    /// The deploy events the orchestrator reported today (docs/dora.md):
    /// each rollout since the day began, with its outcome and commits.
    pub fn deploys(&mut self) -> Vec<SyntheticDeploy> {
        let rollouts = std::mem::take(&mut self.rollouts);
        let mut events = deliveries::events(self.day, &rollouts, &mut self.deploy_rng, self.until);
        if let Some(now) = self.until {
            // A retry hours after a stall may still be to come.
            events.retain(|e| e.finished_at <= now);
        }
        events
    }

    /// What a Kubernetes watch recorded today between snapshots, given
    /// today's [`Org::deploys`]: their rollouts, and scales and crash loops
    /// round the clock. None before [`SyntheticConfig::watch_from`].
    pub fn actions(&self, deploys: &[SyntheticDeploy]) -> Vec<crate::action::Action> {
        let mut actions = match self.watch_from {
            Some(from) if self.day >= from => watch::actions(self, deploys),
            _ => Vec::new(),
        };
        if let Some(now) = self.until {
            actions.retain(|a| a.last_at <= now);
        }
        actions
    }

    pub fn size(&self) -> OrgSize {
        OrgSize {
            teams: self.teams.len(),
            repositories: self.repos.iter().filter(|r| !r.archived).count(),
            services: self.services.iter().filter(|s| !s.retired).count(),
            packages: self.packages.len(),
            clusters: self.clusters.len(),
            workloads: self.workloads.iter().filter(|w| !w.removed).count(),
            docs: self.docs.len(),
        }
    }
}

#[cfg(test)]
mod tests;
