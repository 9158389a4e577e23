//! The Kubernetes watches `spot serve` keeps (one per configured cluster,
//! see `collectors::kubernetes::watch`), committing into the store, and
//! the live feed of what they record and of pushed deploys, which the
//! GraphQL subscription streams.

use std::sync::Arc;

use collectors::action::{ActionBatch, ActionsRecorded, Remembered};
use collectors::kubernetes::watch::ActionSink;
use tokio::sync::broadcast;

use crate::model::{Action, DeployEvent};
use crate::store::Store;

/// Something that just happened, as subscribers receive it.
#[derive(Debug, Clone, PartialEq)]
pub enum Live {
    Action(Box<Action>),
    Deploy(Box<DeployEvent>),
}

/// How many live events a slow subscriber may fall behind before it misses
/// some (it is told how many).
const FEED_CAPACITY: usize = 4096;

/// The live feed: cheap to clone, publishing never waits for subscribers.
#[derive(Clone)]
pub struct Feed {
    sender: broadcast::Sender<Live>,
}

impl Default for Feed {
    fn default() -> Feed {
        Feed { sender: broadcast::channel(FEED_CAPACITY).0 }
    }
}

impl Feed {
    pub fn publish(&self, live: Live) {
        // No subscriber: nothing to do.
        let _ = self.sender.send(live);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.sender.subscribe()
    }

    /// How many subscriptions listen now.
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }
}

/// A watch's commits into the store; each new action is then published.
pub struct StoreSink {
    store: Arc<dyn Store>,
    feed: Feed,
}

impl StoreSink {
    pub fn new(store: Arc<dyn Store>, feed: Feed) -> StoreSink {
        StoreSink { store, feed }
    }
}

impl ActionSink for StoreSink {
    async fn remembered(&self, cluster: &str) -> Result<Vec<Remembered>, String> {
        self.store.remembered(cluster).await.map_err(|e| e.to_string())
    }

    async fn record(&self, batch: ActionBatch) -> Result<ActionsRecorded, String> {
        let recorded = self.store.record_actions(&batch).await.map_err(|e| e.to_string())?;
        if recorded.inserted + recorded.counted > 0 {
            for action in batch.actions {
                self.feed.publish(Live::Action(Box::new(action)));
            }
        }
        Ok(recorded)
    }
}

/// Starts one watch per cluster of `[collectors.kubernetes]` (unless its
/// `watch.enabled` is false); each stops when `stop` turns true.
pub fn start(
    config: &collectors::CollectorsConfig,
    store: Arc<dyn Store>,
    feed: Feed,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let Some(kubernetes) = config.kubernetes.clone().filter(|k| k.watch.enabled) else { return Vec::new() };
    let sink = Arc::new(StoreSink::new(store, feed));
    kubernetes
        .clusters
        .iter()
        .map(|cluster| {
            let task = collectors::kubernetes::watch::watch_cluster(
                cluster.clone(),
                kubernetes.clone(),
                sink.clone(),
                stop.clone(),
            );
            tokio::spawn(task)
        })
        .collect()
}
