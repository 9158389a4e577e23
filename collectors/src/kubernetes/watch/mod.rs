//! Actions between snapshots: while `spot serve` runs, one watch per
//! configured cluster follows Deployments, StatefulSets, DaemonSets,
//! ReplicaSets, HPAs and Warning events with kube's watcher (bookmarks, a
//! re-list on `410 Gone`, back-off on errors, one page of a list in memory
//! at a time) and records what happened to each workload as
//! [`Action`](crate::action::Action)s.
//!
//! - [`seen`]: objects read into what the watch compares; [`actor`]: who
//!   changed them, from `managedFields`; [`warnings`]: Warning events.
//! - [`tracker`]: the state machine from watch events to actions and
//!   memory (a Deployment's revisions, from its ReplicaSets, in
//!   `tracker/revisions.rs`); [`memory`]: what it keeps in the store
//!   between restarts.
//! - [`run`]: the watch of one cluster, committing to an [`ActionSink`].
//!
//! kube's watcher always begins with a list; it cannot resume from a
//! resourceVersion saved before a restart (one would have expired anyway
//! after a few minutes). So resuming is done by memory instead: the store
//! keeps what the watch last knew of every object, and the first list
//! after a restart is compared with it. A change made while SPoT was down
//! is recorded once, as what it was, at the time the objects carry (a
//! ReplicaSet's creation, the writer's time in `managedFields`), and every
//! action has a key that makes reading it twice harmless. The first
//! connection has no memory: the ReplicaSets a cluster keeps are history,
//! never rollouts or rollbacks.

pub mod actor;
pub mod memory;
pub mod run;
pub mod seen;
pub mod tracker;
pub mod warnings;

use std::future::Future;

use serde::{Deserialize, Serialize};

pub use self::run::watch_cluster;
use crate::action::{ActionBatch, ActionsRecorded, Remembered};

/// `[collectors.kubernetes.watch]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchSettings {
    /// Watch the clusters while `spot serve` runs.
    pub enabled: bool,
    /// Actions are committed at least this often (milliseconds).
    pub commit_ms: u64,
    /// Warnings of one kind on one workload are counted together over
    /// windows of this many minutes.
    pub warning_window_minutes: u32,
}

impl Default for WatchSettings {
    fn default() -> WatchSettings {
        WatchSettings { enabled: true, commit_ms: 200, warning_window_minutes: 15 }
    }
}

impl WatchSettings {
    /// What is wrong with these settings, if anything.
    pub fn problem(&self) -> Option<String> {
        if self.commit_ms == 0 || self.commit_ms > 60_000 {
            return Some(format!("commit_ms must be between 1 and 60000 (it is {})", self.commit_ms));
        }
        if self.warning_window_minutes == 0 || self.warning_window_minutes > 24 * 60 {
            return Some(format!(
                "warning_window_minutes must be between 1 and 1440 (it is {})",
                self.warning_window_minutes
            ));
        }
        None
    }
}

/// Where a watch commits: SPoT's store, behind this trait so the collector
/// does not know it.
pub trait ActionSink: Send + Sync + 'static {
    /// What the store remembers of `cluster`.
    fn remembered(&self, cluster: &str) -> impl Future<Output = Result<Vec<Remembered>, String>> + Send;
    /// Commits a batch: its actions with its memory, together.
    fn record(&self, batch: ActionBatch) -> impl Future<Output = Result<ActionsRecorded, String>> + Send;
}
