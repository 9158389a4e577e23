//! `spot backfill git`: years of daily history from local clones, through
//! the live GitHub collector's mapping and the store's ingest path.
//!
//! Repositories are grouped by organisation (their `origin`'s owner): an
//! organisation is the GitHub collector's scope, so each day observes all
//! of that organisation's repositories together, as the live collector
//! would have. Reading git runs on a blocking thread while the store
//! ingests the day before.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use collectors::git::{GitRepo, OrgReplay, ReadStats, RepoIdentity};
use collectors::Day;
use tokio::sync::mpsc;

use crate::model::{RunCounts, RunFilter, RunStatus};
use crate::store::Store;

/// What to replay.
#[derive(Debug, Clone)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    pub since: Option<Day>,
    pub until: Option<Day>,
    /// Larger files are not read, as in the live collector.
    pub max_file_bytes: usize,
    /// `[identity]`: pins name services as in the live collector.
    pub identity: collectors::identity::IdentityConfig,
    /// `[ingest]`: commits dated past what ingest accepts are skipped.
    pub ingest: crate::ingest::IngestConfig,
}

/// Told as the backfill goes; the CLI draws progress bars with it.
pub trait Progress: Send + Sync {
    /// The organisation's repositories are about to be replayed:
    /// (identity, days with commits) each.
    fn start(&self, org: &str, repos: &[(RepoIdentity, usize)]);
    /// `repo` (an index into `start`'s list) has replayed `done` of its days; the
    /// organisation is at `day`.
    fn advanced(&self, repo: usize, done: usize, day: Day);
    fn finish(&self, org: &str);
}

/// No progress shown (tests, scripts).
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: &str, _: &[(RepoIdentity, usize)]) {}
    fn advanced(&self, _: usize, _: usize, _: Day) {}
    fn finish(&self, _: &str) {}
}

/// What one organisation's backfill did.
#[derive(Debug, Clone, Default)]
pub struct OrgSummary {
    pub host: String,
    pub org: String,
    pub repos: Vec<String>,
    pub days: usize,
    pub first_day: Option<Day>,
    pub last_day: Option<Day>,
    pub counts: RunCounts,
    /// Each distinct warning (parse failures name their file), with the
    /// first day it was seen.
    pub warnings: Vec<(Day, String)>,
    /// The distinct blobs read from the repositories.
    pub read: ReadStats,
}

impl OrgSummary {
    /// New versions written: facts and relations added or changed.
    pub fn versions_written(&self) -> u64 {
        self.counts.added + self.counts.changed
    }
}

/// Replays every repository in `options.paths`. Every repository is opened
/// and every organisation's scope checked before anything is written.
pub async fn backfill(
    store: Arc<dyn Store>,
    options: &Options,
    progress: &dyn Progress,
) -> anyhow::Result<Vec<OrgSummary>> {
    let orgs = open_by_org(options)?;
    for ((_, org), _) in &orgs {
        check_scope_accepts(store.as_ref(), org, options).await?;
    }
    let mut summaries = Vec::new();
    for (_, repos) in orgs {
        summaries.push(replay_org(store.clone(), repos, options, progress).await?);
    }
    Ok(summaries)
}

/// Opened repositories grouped by (host, organisation).
type ReposByOrg = Vec<((String, String), Vec<GitRepo>)>;

/// The repositories, opened, by (host, organisation); the same repository
/// given twice is an error, not a double count.
fn open_by_org(options: &Options) -> anyhow::Result<ReposByOrg> {
    if options.paths.is_empty() {
        anyhow::bail!("no repository given: name one or more local clones, e.g. spot backfill git ./billing");
    }
    let mut orgs: ReposByOrg = Vec::new();
    for path in &options.paths {
        let repo = GitRepo::open(path)?;
        let org = (repo.identity.host.clone(), repo.identity.org.clone());
        let index = match orgs.iter().position(|(o, _)| *o == org) {
            Some(index) => index,
            None => {
                orgs.push((org, Vec::new()));
                orgs.len() - 1
            }
        };
        let group = &mut orgs[index].1;
        if let Some(twin) = group.iter().find(|r| r.identity == repo.identity) {
            anyhow::bail!(
                "{} and {} are both {}/{}/{}: give each repository once",
                twin.path.display(),
                path.display(),
                repo.identity.host,
                repo.identity.org,
                repo.identity.name
            );
        }
        group.push(repo);
    }
    Ok(orgs)
}

/// Days only move forward in a scope: a scope that already holds days
/// accepts a backfill only after its latest one.
async fn check_scope_accepts(store: &dyn Store, org: &str, options: &Options) -> anyhow::Result<()> {
    let filter = RunFilter { source: Some(collectors::git::replay::SOURCE.into()), from: None, to: None };
    let runs = store.runs(&filter).await.context("reading the store's runs")?;
    let latest = runs
        .iter()
        .filter(|r| r.scope == org && matches!(r.status, RunStatus::Complete | RunStatus::Partial))
        .map(|r| r.day)
        .max();
    if let Some(latest) = latest {
        if options.since.is_none_or(|since| since <= latest) {
            anyhow::bail!(
                "github/{org} already has history up to {latest}: a backfill writes only into an empty scope \
                 or after its latest day (use --since {} to continue from there)",
                latest.plus(1)
            );
        }
    }
    Ok(())
}

async fn replay_org(
    store: Arc<dyn Store>,
    repos: Vec<GitRepo>,
    options: &Options,
    progress: &dyn Progress,
) -> anyhow::Result<OrgSummary> {
    // A commit dated 2999 would be a day ingest refuses, ending the whole
    // backfill: it is skipped with a warning instead.
    let horizon = options.ingest.last_day(Day::today());
    let mut replay = OrgReplay::new(repos, options.since, options.until, horizon, options.max_file_bytes)?
        .with_identity(options.identity.clone());
    let mut summary = OrgSummary {
        host: replay.host.clone(),
        org: replay.org.clone(),
        repos: replay.repos().iter().map(|(id, _)| id.name.clone()).collect(),
        days: replay.days().len(),
        first_day: replay.days().first().copied(),
        last_day: replay.days().last().copied(),
        ..OrgSummary::default()
    };
    let first = summary.first_day.unwrap_or(horizon);
    summary.warnings.extend(replay.misdated().iter().map(|warning| (first, warning.clone())));
    let identities: Vec<(RepoIdentity, usize)> = replay.repos().into_iter().map(|(id, n)| (id.clone(), n)).collect();
    progress.start(&summary.org, &identities);
    // Git is read on a blocking thread, a few days ahead of the store.
    let (sender, mut days) = mpsc::channel(4);
    let reader = tokio::task::spawn_blocking(move || {
        for day in replay.days().to_vec() {
            let observed = replay.observe(day);
            let failed = observed.is_err();
            if sender.blocking_send(observed).is_err() || failed {
                break;
            }
        }
        replay.stats()
    });
    let mut seen_warnings = std::collections::BTreeSet::new();
    let configured_aliases = collectors::identity::aliases::Aliases::new(&options.identity.aliases);
    while let Some(observed) = days.recv().await {
        let mut day = observed?;
        let mut aliases = configured_aliases.clone();
        aliases.declare_from(&day.observation);
        aliases.apply(&mut day.observation);
        let observation = &day.observation;
        let run = store
            .ingest(observation)
            .await
            .with_context(|| format!("ingesting github/{} for {}", observation.scope, observation.day))?;
        add(&mut summary.counts, &run.counts);
        for warning in &observation.warnings {
            if seen_warnings.insert(warning.clone()) {
                summary.warnings.push((observation.day, warning.clone()));
            }
        }
        for (repo, done) in day.advanced {
            progress.advanced(repo, done, observation.day);
        }
    }
    summary.read = reader.await.context("the git reader stopped")?;
    progress.finish(&summary.org);
    Ok(summary)
}

fn add(total: &mut RunCounts, run: &RunCounts) {
    total.added += run.added;
    total.changed += run.changed;
    total.closed += run.closed;
    total.unchanged += run.unchanged;
}
