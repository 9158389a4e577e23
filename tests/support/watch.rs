//! The Kubernetes watch's end-to-end harness: a stand-in API server on
//! loopback (`collectors::kubernetes::fake`), the watch of `spot serve`
//! committing into a real SQLite store, and waits on what it recorded and
//! remembers — conditions, never a fixed time.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use collectors::kubernetes::fake::FakeApi;
use collectors::kubernetes::fake_objects::DEPLOYMENTS;
use collectors::kubernetes::watch::watch_cluster;
use spot::model::{Action, ActionFilter, ActionKind, Remembered};
use spot::store::Store;
use spot::watch::{Feed, StoreSink};
use spot::SqliteStore;

pub struct Cluster {
    pub api: FakeApi,
    pub config: collectors::kubernetes::Config,
    pub store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

pub async fn cluster() -> Cluster {
    cluster_with("").await
}

/// A cluster whose `[collectors.kubernetes]` adds `settings` (TOML) to the
/// defaults.
pub async fn cluster_with(settings: &str) -> Cluster {
    let api = FakeApi::start_with(Duration::from_millis(200)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = api.kubeconfig(dir.path());
    let text = format!(
        "{settings}\nclusters = [{{ name = \"dc1\", kubeconfig = \"{}\" }}]\n[watch]\ncommit_ms = 20\n",
        kubeconfig.display()
    );
    let config = toml::from_str(&text).unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("spot.db")).unwrap());
    Cluster { api, config, store, _dir: dir }
}

/// A running watch; dropping the sender stops it.
pub struct Watching {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Cluster {
    pub fn watch(&self) -> Watching {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let sink = Arc::new(StoreSink::new(self.store.clone(), Feed::default()));
        let cluster = self.config.clusters[0].clone();
        let task = tokio::spawn(watch_cluster(cluster, self.config.clone(), sink, stopped));
        Watching { stop, task }
    }

    /// Every action recorded, oldest first.
    pub async fn actions(&self) -> Vec<Action> {
        let filter =
            ActionFilter::between(Utc.timestamp_opt(0, 0).unwrap(), Utc::now() + chrono::Duration::days(1), 10_000);
        let mut actions = self.store.actions(&filter).await.unwrap();
        actions.reverse();
        actions
    }

    /// Waits until `count` actions are recorded (or fails after 20 s).
    /// Whether more come is for the caller's exact assertions (and the
    /// watch memory's, [`Cluster::remembers`]) to tell: nothing here waits
    /// a fixed time.
    pub async fn until(&self, count: usize) -> Vec<Action> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let actions = self.actions().await;
            if actions.len() >= count {
                return actions;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "waited for {count} actions; recorded: {:#?}",
                kinds(&actions)
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until what the watch remembers of the cluster satisfies
    /// `done` (or fails after 20 s). The memory is committed in the same
    /// transaction as the actions it explains, so once it shows an object
    /// read, every action of that read is recorded.
    pub async fn remembers(&self, what: &str, done: impl Fn(&[Remembered]) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let remembered = self.store.remembered("dc1").await.unwrap();
            if done(&remembered) {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "the watch never remembered {what}: {remembered:#?}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until the watch has read and committed the Deployment `uid` as
    /// it stands in the cluster now.
    pub async fn caught_up(&self, uid: &str) {
        let stands = self.api.get(DEPLOYMENTS, uid).expect("the Deployment is in the cluster");
        let version = stands["metadata"]["resourceVersion"].clone();
        let key = format!("w/{uid}");
        self.remembers(&format!("{uid} at resourceVersion {version}"), |memory| {
            memory.iter().any(|m| m.uid == key && m.state["resource_version"] == version)
        })
        .await;
    }

    /// Waits until the watch has compared the ReplicaSets of the
    /// Deployment `uid` and holds `revision` as its newest.
    pub async fn at_revision(&self, uid: &str, revision: u64) {
        let key = format!("w/{uid}");
        self.remembers(&format!("{uid} at revision {revision}"), |memory| {
            memory.iter().any(|m| m.uid == key && m.state["rs_revision"] == revision)
        })
        .await;
    }

    /// Waits until the watch remembers `workloads` workloads (it has listed them).
    pub async fn listed(&self, workloads: usize) {
        self.remembers(&format!("{workloads} workloads"), |memory| {
            memory.iter().filter(|m| m.uid.starts_with("w/")).count() >= workloads
        })
        .await;
    }
}

impl Watching {
    pub async fn stop(self) {
        self.stop.send(true).unwrap();
        self.task.await.unwrap();
    }
}

pub fn kinds(actions: &[Action]) -> Vec<ActionKind> {
    actions.iter().map(|a| a.kind).collect()
}
