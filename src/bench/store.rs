//! `spot bench store`: builds a history with the synthetic organisation,
//! builds the naive full-copy baseline from it, then times the query layer
//! on random entities and random days.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use collectors::synthetic::SyntheticConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;
use serde::Serialize;

use super::{baseline, peak_rss_mb, round3, Percentiles};
use crate::model::*;
use crate::store::{Store, StoreResult};
use crate::SqliteStore;

#[derive(Debug, Clone)]
pub struct Options {
    pub scale: usize,
    pub days: usize,
    pub seed: u64,
    /// Where the two stores are written (they are kept for inspection).
    pub dir: PathBuf,
    /// Samples per query benchmark (the heavy ones take a fifth).
    pub samples: usize,
    /// Time only the queries, on the history an earlier run left in `dir`.
    pub queries_only: bool,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub scale: usize,
    pub days: usize,
    pub seed: u64,
    pub build_seconds: f64,
    pub ingest_ms_per_day: Percentiles,
    pub runs: usize,
    pub failed_runs: usize,
    pub entities: u64,
    pub fact_versions: u64,
    pub relation_versions: u64,
    pub db_bytes: u64,
    /// Of `db_bytes`, the deploy events and their indexes (the delivery
    /// metrics' ledger), which no snapshot holds.
    pub deploy_events_bytes: u64,
    pub full_copy_bytes: u64,
    pub full_copy_rows: u64,
    pub full_copy_build_seconds: f64,
    /// The full copy's bytes over the temporal graph's (`db_bytes` less
    /// the deploy events, which the full copy does not hold either).
    pub storage_ratio_vs_full_copy: f64,
    pub peak_rss_mb: f64,
    pub query_ms: BTreeMap<&'static str, Percentiles>,
    /// Average size of the answers, to show what each query returned.
    pub query_nodes: BTreeMap<&'static str, f64>,
}

pub async fn run(options: &Options, mut progress: impl FnMut(&str, u64, u64)) -> anyhow::Result<Report> {
    std::fs::create_dir_all(&options.dir)?;
    let history = options.dir.join("history.db");
    if options.queries_only {
        return queries_only(options, &history, &mut progress).await;
    }
    let (summary, ingest_times) =
        build_history(&history, options.scale, options.days, options.seed, &mut progress).await?;
    let store = SqliteStore::open(&history)?;
    let stats = store.stats().await?;
    progress("full-copy baseline", 0, 1);
    let full_copy = baseline::build(&history, &options.dir.join("full_copy.db"), summary.first, summary.last)?;
    let _ = std::fs::remove_file(options.dir.join("full_copy.db"));
    let mut report = Report::new(options, options.days, summary.runs, summary.failed_runs, stats);
    report.build_seconds = round3(summary.elapsed.as_secs_f64());
    report.ingest_ms_per_day = Percentiles::of(&ingest_times);
    report.full_copy_bytes = full_copy.bytes;
    report.full_copy_rows = full_copy.rows;
    report.full_copy_build_seconds = round3(full_copy.elapsed.as_secs_f64());
    report.deploy_events_bytes = deploy_events_bytes(&history)?;
    let graph_bytes = stats.bytes.saturating_sub(report.deploy_events_bytes).max(1);
    report.storage_ratio_vs_full_copy = round3(full_copy.bytes as f64 / graph_bytes as f64);
    drop(store); // time the queries on fresh caches: no state from the build
    time_queries(options, &history, (summary.first, summary.last), report, &mut progress).await
}

/// Generates the synthetic history into a new store at `history`; returns
/// the summary and each day's ingest time.
pub(crate) async fn build_history(
    history: &Path,
    scale: usize,
    days: usize,
    seed: u64,
    progress: &mut impl FnMut(&str, u64, u64),
) -> anyhow::Result<(crate::generate::GenerateSummary, Vec<Duration>)> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", history.display()));
    }
    let store = SqliteStore::open(history)?;
    let start = Day::today().minus(days as i32 - 1);
    let config = SyntheticConfig::new(scale, seed, start);
    let mut ingest_times = Vec::with_capacity(days);
    let summary = crate::generate::generate(&store, config, days, |day| {
        ingest_times.push(day.ingest);
        progress("history", ingest_times.len() as u64, days as u64);
    })
    .await?;
    checkpoint(history)?;
    Ok((summary, ingest_times))
}

/// Re-times the queries on an existing history; build and storage figures
/// are left at zero.
async fn queries_only(
    options: &Options,
    history: &Path,
    progress: &mut impl FnMut(&str, u64, u64),
) -> anyhow::Result<Report> {
    if !history.exists() {
        anyhow::bail!("no history at {}: run once without --queries-only", history.display());
    }
    let store = SqliteStore::open(history)?;
    let (first, last) = history_span(&store, history).await?;
    let runs = store.runs(&RunFilter::default()).await?;
    let failed = runs.iter().filter(|r| r.status == RunStatus::Failed).count();
    let days = (last.0 - first.0 + 1) as usize;
    let report = Report::new(options, days, runs.len(), failed, store.stats().await?);
    time_queries(options, history, (first, last), report, progress).await
}

impl Report {
    /// A report with the store's sizes; build and baseline figures at zero.
    fn new(options: &Options, days: usize, runs: usize, failed_runs: usize, stats: StoreStats) -> Report {
        Report {
            scale: options.scale,
            days,
            seed: options.seed,
            build_seconds: 0.0,
            ingest_ms_per_day: Percentiles { p50: 0.0, p99: 0.0 },
            runs,
            failed_runs,
            entities: stats.entities,
            fact_versions: stats.fact_versions,
            relation_versions: stats.relation_versions,
            db_bytes: stats.bytes,
            deploy_events_bytes: 0,
            full_copy_bytes: 0,
            full_copy_rows: 0,
            full_copy_build_seconds: 0.0,
            storage_ratio_vs_full_copy: 0.0,
            peak_rss_mb: 0.0,
            query_ms: BTreeMap::new(),
            query_nodes: BTreeMap::new(),
        }
    }
}

/// The first and last day of an existing history.
pub(crate) async fn history_span(store: &SqliteStore, history: &Path) -> anyhow::Result<(Day, Day)> {
    let runs = store.runs(&RunFilter::default()).await?;
    let days = || runs.iter().map(|r| r.day);
    match (days().min(), days().max()) {
        (Some(first), Some(last)) => Ok((first, last)),
        _ => anyhow::bail!("{} holds no runs: remove it to generate a new history", history.display()),
    }
}

/// Times the queries on a freshly opened store and completes the report.
async fn time_queries(
    options: &Options,
    history: &Path,
    (first, last): (Day, Day),
    mut report: Report,
    progress: &mut impl FnMut(&str, u64, u64),
) -> anyhow::Result<Report> {
    let store = SqliteStore::open(history)?;
    let sample = Sample::load(&store, first, last, options.seed).await?;
    queries(&store, sample, options.samples, &mut report, progress).await?;
    report.peak_rss_mb = peak_rss_mb();
    Ok(report)
}

/// The pages of the deploy events' table and indexes (SQLite's `dbstat`).
fn deploy_events_bytes(path: &Path) -> rusqlite::Result<u64> {
    Connection::open(path)?.query_row(
        "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = 'events' OR name LIKE 'events_by_%'",
        [],
        |row| row.get::<_, i64>(0).map(|n| n as u64),
    )
}

/// Folds the WAL into the database file so its size is the store's size.
fn checkpoint(path: &Path) -> rusqlite::Result<()> {
    Connection::open(path)?.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
}

/// What the queries are drawn from: every entity, every service, every
/// workload, and the most used package.
pub(crate) struct Sample {
    rng: ChaCha8Rng,
    pub(crate) first: Day,
    pub(crate) last: Day,
    pub(crate) entities: Vec<String>,
    pub(crate) services: Vec<String>,
    pub(crate) workloads: Vec<String>,
    /// Each team with the services it owns on the last day.
    teams: Vec<Vec<String>>,
    top_package: String,
}

impl Sample {
    /// Drawn through the `Store` trait from the graph of the last day (so
    /// the sample is the same whichever store holds the history).
    pub(crate) async fn load(store: &dyn Store, first: Day, last: Day, seed: u64) -> anyhow::Result<Sample> {
        let everything = SearchQuery { text: ":".into(), kinds: Vec::new(), day: last, limit: 100_000_000 };
        let keys = |found: Vec<SeenEntity>| found.into_iter().map(|seen| seen.entity.key).collect::<Vec<_>>();
        let mut users: BTreeMap<String, usize> = BTreeMap::new();
        for uses in store.relation_values("uses", "resolved", last).await? {
            *users.entry(uses.to).or_default() += 1;
        }
        // The most used package; the first by key among equals.
        let top_package = users
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(key, _)| key.clone())
            .ok_or_else(|| anyhow::anyhow!("the history has no `uses` relation on {last}"))?;
        Ok(Sample {
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed),
            first,
            last,
            entities: store.search(&everything).await?.into_iter().map(|e| e.key).collect(),
            services: keys(store.entities_of_kind("service", last).await?),
            workloads: keys(store.entities_of_kind("workload", last).await?),
            teams: teams(store, last).await?,
            top_package,
        })
    }

    fn team(&mut self) -> Vec<String> {
        let index = self.rng.random_range(0..self.teams.len().max(1));
        self.teams.get(index).cloned().unwrap_or_default()
    }

    fn day(&mut self) -> Day {
        Day(self.rng.random_range(self.first.0..=self.last.0))
    }

    fn pick(&mut self, keys: fn(&Sample) -> &Vec<String>) -> String {
        let len = keys(self).len();
        let index = self.rng.random_range(0..len);
        keys(self)[index].clone()
    }
}

/// The services each team owns on `day`, as the API's `dora(team:)` reads them.
async fn teams(store: &dyn Store, day: Day) -> StoreResult<Vec<Vec<String>>> {
    let owns = ["owns".to_string()];
    let mut teams = Vec::new();
    for team in store.entities_of_kind("team", day).await? {
        let relations = store.relations(&team.entity.key, day, Direction::Out, &owns).await?;
        teams.push(
            relations
                .into_iter()
                .map(|r| r.to)
                .filter(|k| collectors::keys::is_kind(k, collectors::keys::SERVICE))
                .collect(),
        );
    }
    Ok(teams)
}

/// Times `samples` calls of one query (after a short warm-up) and returns
/// the latencies and the average answer size.
pub(super) async fn time<F, Fut>(samples: usize, mut query: F) -> StoreResult<(Percentiles, f64)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StoreResult<usize>>,
{
    for _ in 0..(samples / 10).max(1) {
        query().await?;
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(samples);
    let mut answered = 0usize;
    for _ in 0..samples {
        let started = Instant::now();
        answered += query().await?;
        latencies.push(started.elapsed());
    }
    Ok((Percentiles::of(&latencies), round3(answered as f64 / samples as f64)))
}

async fn queries(
    store: &SqliteStore,
    sample: Sample,
    samples: usize,
    report: &mut Report,
    progress: &mut impl FnMut(&str, u64, u64),
) -> anyhow::Result<()> {
    let heavy = (samples / 5).max(20);
    let cell = std::cell::RefCell::new(sample);
    let mut record = |name: &'static str, (latency, size): (Percentiles, f64)| {
        report.query_ms.insert(name, latency);
        report.query_nodes.insert(name, size);
    };
    progress("entity_lookup", 0, 5);
    record(
        "entity_lookup",
        time(samples, || {
            let (key, day) = {
                let mut s = cell.borrow_mut();
                (s.pick(|s| &s.entities), s.day())
            };
            async move { Ok(store.entity(&key, day).await?.map_or(0, |e| e.facts.len())) }
        })
        .await?,
    );
    progress("traversal_depth3", 1, 5);
    record(
        "traversal_depth3",
        time(samples, || {
            let (start, day) = {
                let mut s = cell.borrow_mut();
                (s.pick(|s| &s.services), s.day())
            };
            let edges = vec![
                EdgeRule::new("depends_on", Direction::Out),
                EdgeRule::new("deploys", Direction::Out),
                EdgeRule::new("runs_in", Direction::Out),
            ];
            let traversal = Traversal { start, day, depth: 3, edges };
            async move { Ok(store.traverse(&traversal).await?.nodes.len()) }
        })
        .await?,
    );
    progress("reverse_traversal_package", 2, 5);
    record(
        "reverse_traversal_package",
        time(heavy, || {
            let (start, day) = {
                let mut s = cell.borrow_mut();
                (s.top_package.clone(), s.day())
            };
            // Who breaks if this package breaks: the repositories that use it,
            // the services they build, and the services that depend on those.
            let edges = vec![
                EdgeRule::new("uses", Direction::In),
                EdgeRule::new("builds", Direction::Out),
                EdgeRule::new("depends_on", Direction::In),
            ];
            let traversal = Traversal { start, day, depth: 3, edges };
            async move { Ok(store.traverse(&traversal).await?.nodes.len()) }
        })
        .await?,
    );
    progress("timeline_730d", 3, 5);
    record(
        "timeline_730d",
        time(samples, || {
            let (key, from, to) = {
                let mut s = cell.borrow_mut();
                (s.pick(|s| &s.workloads), s.first, s.last)
            };
            async move { Ok(store.timeline(&key, "version", from, to, None).await?.len()) }
        })
        .await?,
    );
    progress("diff_30d", 4, 5);
    record(
        "diff_30d",
        time(heavy, || {
            let to = {
                let mut s = cell.borrow_mut();
                let (first, last) = (s.first.plus(30), s.last);
                Day(s.rng.random_range(first.0.min(last.0)..=last.0))
            };
            async move {
                let changes = store.changes(to.minus(30), to).await?;
                Ok(changes.entities.len() + changes.relations.len())
            }
        })
        .await?,
    );
    delivery(store, &cell, samples, heavy, &mut record, progress).await?;
    let span = {
        let s = cell.borrow();
        (s.first, s.last)
    };
    super::scorecards::scorecards(store, span, samples, &mut record, progress).await?;
    super::changes::changes(store, span, samples, &mut record, progress).await?;
    progress("done", 5, 5);
    Ok(())
}

/// DORA over the whole history by week (the organisation, a team, a
/// service) and a rollout estimate, as the API computes them
/// (`delivery::read`).
async fn delivery(
    store: &SqliteStore,
    cell: &std::cell::RefCell<Sample>,
    samples: usize,
    heavy: usize,
    record: &mut impl FnMut(&'static str, (Percentiles, f64)),
    progress: &mut impl FnMut(&str, u64, u64),
) -> anyhow::Result<()> {
    use crate::delivery::{read, Bucket, DeliveryConfig};
    let fix_forward = DeliveryConfig::default().fix_forward();
    let (first, last) = {
        let s = cell.borrow();
        (s.first, s.last)
    };
    let dora = |scope: read::Scope| async move {
        let report = read::report(store, &scope, (first, last), Bucket::Week, fix_forward, true).await?;
        Ok(report.overall.changes as usize)
    };
    progress("dora_organisation_by_week", 0, 4);
    record("dora_organisation_by_week", time((heavy / 4).max(10), || dora(read::Scope::default())).await?);
    progress("dora_team_by_week", 1, 4);
    record(
        "dora_team_by_week",
        time(heavy, || dora(read::Scope { services: Some(cell.borrow_mut().team()), ..read::Scope::default() }))
            .await?,
    );
    progress("dora_service_by_week", 2, 4);
    record(
        "dora_service_by_week",
        time(samples, || {
            let service = cell.borrow_mut().pick(|s| &s.services);
            dora(read::Scope { services: Some(vec![service]), ..read::Scope::default() })
        })
        .await?,
    );
    progress("deploy_estimate", 3, 4);
    let clusters = ["dc1", "dc2", "dc3", "dc4"];
    record(
        "deploy_estimate",
        time(samples, || {
            let (service, cluster) = {
                let mut s = cell.borrow_mut();
                (s.pick(|s| &s.services), clusters[s.rng.random_range(0..clusters.len())])
            };
            let at = last.plus(1).start();
            async move { Ok(read::estimate(store, &service, cluster, at).await?.samples as usize) }
        })
        .await?,
    );
    Ok(())
}
