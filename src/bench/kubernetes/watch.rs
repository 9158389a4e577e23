//! `spot bench kubernetes --watch`: the watches of `spot serve` on several
//! clusters (by default 3,000 Deployments over 4 stand-in API servers that
//! list and watch), under a churn of scales and rollouts (50 actions a
//! second for 60 s), committing into a SQLite store.
//!
//! Measured: whether every action the churn caused was recorded (and none
//! twice); the lag from the change at the API server to the committed row
//! (p50, p99, max); the process's peak RSS over the whole run (the first
//! lists and the stand-in servers included).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use collectors::action::{ActionBatch, ActionsRecorded, Remembered};
use collectors::kubernetes::fake::FakeApi;
use collectors::kubernetes::fake_objects::{
    completed, deployment, new_template, replica_set, scaled, DEPLOYMENTS, REPLICASETS,
};
use collectors::kubernetes::watch::{watch_cluster, ActionSink};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::Value;

use super::super::{peak_rss_mb, round3};
use crate::model::{ActionFilter, ActionKind};
use crate::store::Store;
use crate::watch::{Feed, StoreSink};

const TARGET_LAG_P99_MS: f64 = 1000.0;
const TARGET_PEAK_RSS_MB: f64 = 300.0;

#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub deployments: usize,
    pub clusters: usize,
    /// Actions caused per second, over all clusters.
    pub rate: f64,
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct WatchReport {
    pub deployments: usize,
    pub clusters: usize,
    pub rate_per_s: f64,
    pub seconds: f64,
    /// Actions the churn caused, and those recorded.
    pub actions_caused: usize,
    pub actions_recorded: usize,
    pub missing: usize,
    pub duplicates: usize,
    /// From the change at the API server to the committed row.
    pub lag_p50_ms: f64,
    pub lag_p99_ms: f64,
    pub lag_max_ms: f64,
    /// How long the first list of every cluster took.
    pub first_list_s: f64,
    pub peak_rss_mb: f64,
    /// The process's RSS with the stand-in servers filled and the store
    /// open, before the watches start: the harness's share of the peak.
    pub rss_before_watches_mb: f64,
    /// `peak_rss_mb - rss_before_watches_mb`: what the watches, their
    /// commits and the churn's objects in flight added.
    pub watch_share_mb: f64,
    pub target_lag_p99_ms: f64,
    pub target_peak_rss_mb: f64,
    pub within_target: bool,
}

/// The store sink, timing each new action's commit against when the churn
/// caused it.
struct TimedSink {
    inner: StoreSink,
    caused: Arc<Mutex<HashMap<(String, String), Instant>>>,
    lags: Mutex<Vec<f64>>,
}

impl ActionSink for TimedSink {
    async fn remembered(&self, cluster: &str) -> Result<Vec<Remembered>, String> {
        self.inner.remembered(cluster).await
    }

    async fn record(&self, batch: ActionBatch) -> Result<ActionsRecorded, String> {
        let keys: Vec<(String, String)> = batch.actions.iter().map(|a| (a.cluster.clone(), a.key.clone())).collect();
        let recorded = self.inner.record(batch).await?;
        let committed = Instant::now();
        let caused = lock(&self.caused);
        let mut lags = lock(&self.lags);
        for key in keys {
            if let Some(at) = caused.get(&key) {
                lags.push(committed.duration_since(*at).as_secs_f64() * 1000.0);
            }
        }
        Ok(recorded)
    }
}

struct Bench {
    apis: Vec<FakeApi>,
    deployments: Vec<Vec<Value>>,
    revisions: Vec<Vec<u64>>,
}

pub async fn run(options: &WatchOptions) -> anyhow::Result<WatchReport> {
    anyhow::ensure!(
        options.clusters > 0 && options.deployments >= options.clusters,
        "--deployments must be at least --clusters"
    );
    anyhow::ensure!(options.rate > 0.0 && options.seconds > 0.0, "--rate and --seconds must be positive");
    let dir = tempfile::TempDir::with_prefix("spot-bench-watch-")?;
    let store: Arc<dyn Store> = Arc::new(crate::SqliteStore::open(dir.path().join("watch.db"))?);
    let mut bench = Bench { apis: Vec::new(), deployments: Vec::new(), revisions: Vec::new() };
    let mut clusters = Vec::new();
    let yesterday = Utc::now() - chrono::Duration::days(1);
    for c in 0..options.clusters {
        let api = FakeApi::start_with(Duration::from_secs(5)).await?;
        let per_cluster =
            options.deployments / options.clusters + usize::from(c < options.deployments % options.clusters);
        let mut deployments = Vec::with_capacity(per_cluster);
        for d in 0..per_cluster {
            let name = format!("svc-{d:04}");
            let image = format!("registry.example.com/team-{:02}/{name}:1.0.0", d % 40);
            let object = deployment(&format!("team-{:02}", d % 40), &name, &format!("c{c}-d{d}"), &image, 3, yesterday);
            api.apply(REPLICASETS, replica_set(&object, &format!("c{c}-d{d}-rs1"), 1, yesterday));
            api.apply(DEPLOYMENTS, object.clone());
            deployments.push(object);
        }
        let folder = dir.path().join(format!("c{c}"));
        std::fs::create_dir_all(&folder)?;
        let kubeconfig = api.kubeconfig(&folder);
        let text = format!("clusters = [{{ name = \"c{c}\", kubeconfig = \"{}\" }}]\n", kubeconfig.display());
        clusters.push(toml::from_str::<collectors::kubernetes::Config>(&text)?);
        bench.revisions.push(vec![1; per_cluster]);
        bench.deployments.push(deployments);
        bench.apis.push(api);
    }

    let caused: Arc<Mutex<HashMap<(String, String), Instant>>> = Arc::default();
    let sink = Arc::new(TimedSink {
        inner: StoreSink::new(store.clone(), Feed::default()),
        caused: caused.clone(),
        lags: Mutex::new(Vec::new()),
    });
    let rss_before_watches_mb = super::current_rss_mb();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let listing = Instant::now();
    let tasks: Vec<_> = clusters
        .iter()
        .map(|config| {
            tokio::spawn(watch_cluster(config.clusters[0].clone(), config.clone(), sink.clone(), stopped.clone()))
        })
        .collect();
    wait_for_lists(store.as_ref(), options).await?;
    let first_list_s = listing.elapsed().as_secs_f64();

    let caused_count = churn(&mut bench, options, &caused).await;
    // Let the last commits land.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let peak = peak_rss_mb();
    stop.send(true).ok();
    for task in tasks {
        let _ = task.await;
    }

    let filter = ActionFilter {
        kinds: vec![ActionKind::Scale, ActionKind::RolloutStarted],
        ..ActionFilter::between(
            Utc::now() - chrono::Duration::hours(1),
            Utc::now() + chrono::Duration::hours(1),
            crate::store::MAX_ACTIONS,
        )
    };
    let recorded = store.actions(&filter).await?;
    let caused = lock(&caused);
    let mut seen = std::collections::HashSet::new();
    let duplicates = recorded.iter().filter(|a| !seen.insert((a.cluster.clone(), a.key.clone()))).count();
    let missing = caused.keys().filter(|key| !seen.contains(*key)).count();
    let mut lags = lock(&sink.lags).clone();
    lags.sort_by(f64::total_cmp);
    let quantile = |q: f64| lags.get(((lags.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0);
    let (p50, p99, max) = (quantile(0.5), quantile(0.99), lags.last().copied().unwrap_or(0.0));
    Ok(WatchReport {
        deployments: options.deployments,
        clusters: options.clusters,
        rate_per_s: options.rate,
        seconds: options.seconds,
        actions_caused: caused_count,
        actions_recorded: recorded.len(),
        missing,
        duplicates,
        lag_p50_ms: round3(p50),
        lag_p99_ms: round3(p99),
        lag_max_ms: round3(max),
        first_list_s: round3(first_list_s),
        peak_rss_mb: peak,
        rss_before_watches_mb,
        watch_share_mb: round3(peak - rss_before_watches_mb),
        target_lag_p99_ms: TARGET_LAG_P99_MS,
        target_peak_rss_mb: TARGET_PEAK_RSS_MB,
        // The RSS target is SPoT's: the watches' share, not the stand-in
        // servers' (both are reported).
        within_target: missing == 0
            && duplicates == 0
            && p99 <= TARGET_LAG_P99_MS
            && peak - rss_before_watches_mb <= TARGET_PEAK_RSS_MB,
    })
}

/// Until every cluster's watch remembers all its Deployments.
async fn wait_for_lists(store: &dyn Store, options: &WatchOptions) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    for c in 0..options.clusters {
        let wanted = options.deployments / options.clusters;
        loop {
            let remembered = store.remembered(&format!("c{c}")).await?;
            if remembered.iter().filter(|m| m.uid.starts_with("w/")).count() >= wanted {
                break;
            }
            anyhow::ensure!(Instant::now() < deadline, "cluster c{c} was not listed within 5 minutes");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(())
}

/// `rate` actions a second for `seconds`: four scales for each rollout (a
/// new ReplicaSet, then the Deployment complete). Returns how many actions
/// were caused (a rollout's completion is not counted: it is timed by the
/// watch, not the server).
async fn churn(bench: &mut Bench, options: &WatchOptions, caused: &Mutex<HashMap<(String, String), Instant>>) -> usize {
    let mut random = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let interval = Duration::from_secs_f64(1.0 / options.rate);
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let total = (options.rate * options.seconds) as usize;
    for n in 0..total {
        tick.tick().await;
        let c = random.random_range(0..bench.apis.len());
        let d = random.random_range(0..bench.deployments[c].len());
        let api = bench.apis[c].clone();
        let object = &mut bench.deployments[c][d];
        let uid = object["metadata"]["uid"].as_str().unwrap_or_default().to_string();
        let now = Utc::now();
        if n % 5 == 4 {
            bench.revisions[c][d] += 1;
            let revision = bench.revisions[c][d];
            let image = format!("registry.example.com/bench/svc:{revision}.0.0");
            new_template(object, &image, None, revision, "helm", now);
            completed(object);
            let rs_uid = format!("{uid}-rs{revision}");
            let rs = replica_set(object, &rs_uid, revision, now);
            let at = Instant::now();
            api.apply(REPLICASETS, rs);
            api.apply(DEPLOYMENTS, object.clone());
            lock(caused).insert((format!("c{c}"), format!("{rs_uid}/started")), at);
        } else {
            let replicas = object["spec"]["replicas"].as_i64().unwrap_or(3);
            let to = if replicas >= 12 { 2 } else { replicas + 1 };
            scaled(object, to, "kube-controller-manager", now);
            let at = Instant::now();
            let version = api.apply(DEPLOYMENTS, object.clone());
            lock(caused).insert((format!("c{c}"), format!("{uid}/{version}/scale")), at);
        }
    }
    total
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
