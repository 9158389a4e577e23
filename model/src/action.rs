//! Actions: what happened to a workload at a moment between two daily
//! snapshots — a rollout, a scale, a restart, a crash loop — with its exact
//! time, where, who did it (when Kubernetes says) and what changed.
//!
//! Snapshots stay the source of truth for state; actions add the moments
//! between them. The Kubernetes watch (`collectors::kubernetes::watch`) writes
//! them; the store keeps them append-only, each once by its [`Action::key`].

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One thing that happened to one workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// Unique within its cluster, and the same however often the change is
    /// read again (after a restart, a re-list, a backfill): built from the
    /// object's uid and what identifies the change (its resourceVersion, a
    /// revision, a generation), or, for warnings, from the workload, the
    /// kind and the window they were counted in.
    pub key: String,
    pub cluster: String,
    pub namespace: String,
    /// The workload entity's key, `workload:<cluster>/<namespace>/<Kind>/<name>`.
    pub workload: String,
    /// The service entity's key (`service:<name>`), when the workload's
    /// service is known.
    pub service: Option<String>,
    pub kind: ActionKind,
    /// When it happened (for a warning: its first occurrence in the window).
    pub at: DateTime<Utc>,
    /// A warning's last occurrence in its window; `at` for the rest.
    pub last_at: DateTime<Utc>,
    /// How many times a warning occurred in its window; 1 for the rest.
    pub count: u64,
    /// Who did it, where Kubernetes tells: the field manager of the change
    /// (`kubectl-rollout`, `helm`, `argocd-controller`,
    /// `kube-controller-manager` for the autoscaler, …).
    pub actor: Option<String>,
    /// What changed, by kind: `revision`, `images`, `from`/`to`, `by`,
    /// `reason`, `message`, … (docs/collectors/kubernetes.md lists them).
    pub details: Map<String, Value>,
}

impl Action {
    /// Whether two records of this action add up (warnings counted in a
    /// window) rather than being the same fact read twice.
    pub fn is_counted(&self) -> bool {
        self.kind.is_counted()
    }
}

/// The kinds of action, named as the API and the store spell them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// A new revision with new images began rolling out.
    RolloutStarted,
    /// More replicas of the new revision are up.
    RolloutProgressed,
    /// Every replica runs the new revision and is available.
    RolloutCompleted,
    /// The rollout made no progress within its deadline (`ProgressDeadlineExceeded`).
    RolloutStalled,
    /// The template went back to an earlier revision.
    Rollback,
    /// `kubectl rollout restart` (the template's `restartedAt`).
    Restart,
    /// Replicas from → to, by the autoscaler or a person.
    Scale,
    Paused,
    Resumed,
    Created,
    Deleted,
    /// A new revision without an image change (environment, resources, …).
    ConfigChanged,
    /// Warning events: containers restarting in a back-off loop.
    CrashLoop,
    /// Warning events: a container killed for running out of memory.
    OomKilled,
    /// Warning events: pods that could not be scheduled.
    FailedScheduling,
    /// Warning events: images that could not be pulled.
    ImagePullFailed,
}

impl ActionKind {
    pub const ALL: [ActionKind; 16] = [
        ActionKind::RolloutStarted,
        ActionKind::RolloutProgressed,
        ActionKind::RolloutCompleted,
        ActionKind::RolloutStalled,
        ActionKind::Rollback,
        ActionKind::Restart,
        ActionKind::Scale,
        ActionKind::Paused,
        ActionKind::Resumed,
        ActionKind::Created,
        ActionKind::Deleted,
        ActionKind::ConfigChanged,
        ActionKind::CrashLoop,
        ActionKind::OomKilled,
        ActionKind::FailedScheduling,
        ActionKind::ImagePullFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::RolloutStarted => "rollout_started",
            ActionKind::RolloutProgressed => "rollout_progressed",
            ActionKind::RolloutCompleted => "rollout_completed",
            ActionKind::RolloutStalled => "rollout_stalled",
            ActionKind::Rollback => "rollback",
            ActionKind::Restart => "restart",
            ActionKind::Scale => "scale",
            ActionKind::Paused => "paused",
            ActionKind::Resumed => "resumed",
            ActionKind::Created => "created",
            ActionKind::Deleted => "deleted",
            ActionKind::ConfigChanged => "config_changed",
            ActionKind::CrashLoop => "crash_loop",
            ActionKind::OomKilled => "oom_killed",
            ActionKind::FailedScheduling => "failed_scheduling",
            ActionKind::ImagePullFailed => "image_pull_failed",
        }
    }

    /// Warnings, counted per workload and window instead of one row each.
    pub fn is_counted(self) -> bool {
        matches!(
            self,
            ActionKind::CrashLoop | ActionKind::OomKilled | ActionKind::FailedScheduling | ActionKind::ImagePullFailed
        )
    }

    /// A new revision began: what deploy history is made of.
    pub fn starts_a_revision(self) -> bool {
        matches!(
            self,
            ActionKind::RolloutStarted | ActionKind::Rollback | ActionKind::Restart | ActionKind::ConfigChanged
        )
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no [`ActionKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} is no kind of action; the kinds are: {}", crate::untrusted::quote(.0), ActionKind::ALL.map(ActionKind::as_str).join(", "))]
pub struct UnknownActionKind(pub String);

impl FromStr for ActionKind {
    type Err = UnknownActionKind;

    fn from_str(s: &str) -> Result<ActionKind, UnknownActionKind> {
        ActionKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| UnknownActionKind(s.to_string()))
    }
}

/// What a watch remembers of one object between events, kept in the store
/// so that a restart of SPoT compares the cluster with what it last knew
/// rather than starting blank. `state` is the watch's own (versioned) JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remembered {
    pub cluster: String,
    /// The object's uid (or the watch's own name for a cluster-wide fact).
    pub uid: String,
    pub state: Value,
}

/// One commit of a watch: its new actions and what it now remembers,
/// written together so that a restart never finds one without the other.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionBatch {
    pub actions: Vec<Action>,
    /// Objects whose memory is set (replacing what was remembered).
    pub remember: Vec<Remembered>,
    /// `(cluster, uid)` of objects forgotten (deleted, or expired events).
    pub forget: Vec<(String, String)>,
}

impl ActionBatch {
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty() && self.remember.is_empty() && self.forget.is_empty()
    }
}

/// What a store did with a batch's actions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ActionsRecorded {
    /// New actions.
    pub inserted: u64,
    /// Warnings added to a window already recorded.
    pub counted: u64,
    /// Actions already recorded under their key, left as they were.
    pub already: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        for kind in ActionKind::ALL {
            assert_eq!(kind.as_str().parse::<ActionKind>(), Ok(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), Value::String(kind.as_str().into()));
        }
    }

    #[test]
    fn an_unknown_kind_is_named_with_the_known_ones() {
        let error = "scaled".parse::<ActionKind>().unwrap_err().to_string();
        assert!(error.starts_with("'scaled' is no kind of action"), "{error}");
        assert!(error.contains("scale, paused"), "{error}");
    }
}
