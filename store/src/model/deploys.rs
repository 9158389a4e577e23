//! Finer than a day: deploys the orchestrator reports and the filters
//! that read them and the watches' actions.

use super::ActionKind;
use serde::Serialize;

/// A deploy the orchestrator reported: finer than a day. The fields after
/// `actor` carry what delivery metrics need (docs/dora.md); an older
/// orchestrator that sends none of them reports succeeded deploys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, Default)]
#[serde(default)]
pub struct DeployEvent {
    /// The service key, e.g. `service:billing-api`.
    pub service: String,
    /// Cluster or region name, e.g. `dc1`.
    pub cluster: String,
    pub version: String,
    /// When it started (UTC).
    pub at: chrono::DateTime<chrono::Utc>,
    pub link: Option<String>,
    pub actor: Option<String>,
    /// When it finished (healthy or not); `None` while it runs, or when
    /// the orchestrator does not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// How it ended, as its reporter saw it.
    pub status: DeployStatus,
    /// Why it failed, in its reporter's words (a stalled rollout, a crash
    /// loop, the orchestrator's message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The commit the version was built from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The oldest commit the deploy brought (the change's first commit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_commit_at: Option<chrono::DateTime<chrono::Utc>>,
    /// How many commits it brought.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_count: Option<u32>,
    /// The workload it changed (`workload:dc1/shop/Deployment/checkout`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
}

/// How a deploy ended, as its reporter said. `superseded` is never
/// reported: delivery metrics derive it (docs/dora.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize, async_graphql::Enum)]
#[serde(rename_all = "snake_case")]
pub enum DeployStatus {
    /// Started, not finished yet.
    Running,
    #[default]
    Succeeded,
    /// Never became healthy: the orchestrator said so, or the rollout
    /// stalled.
    Failed,
    /// Undone by a rollback.
    RolledBack,
    /// Replaced by a newer deploy before it finished.
    Superseded,
}

impl DeployStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeployStatus::Running => "running",
            DeployStatus::Succeeded => "succeeded",
            DeployStatus::Failed => "failed",
            DeployStatus::RolledBack => "rolled_back",
            DeployStatus::Superseded => "superseded",
        }
    }

    pub fn parse(text: &str) -> Option<DeployStatus> {
        [
            DeployStatus::Running,
            DeployStatus::Succeeded,
            DeployStatus::Failed,
            DeployStatus::RolledBack,
            DeployStatus::Superseded,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// Which deploy events to read (the store's `deploys`): those started in
/// `[from, to)`, oldest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeployFilter {
    /// Service keys; empty: every service.
    pub services: Vec<String>,
    /// Empty: every cluster.
    pub clusters: Vec<String>,
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
    /// Only what judging a deploy needs (service, cluster, version, times,
    /// status, reason, first commit): the rest is left out (`None`), which
    /// saves most of the reading for a whole organisation.
    pub brief: bool,
}

/// Which actions to read (the store's `actions`): those in
/// `[from, to)`, newest first, at most `limit`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionFilter {
    /// A service key (`service:checkout`).
    pub service: Option<String>,
    /// A workload key (`workload:dc1/shop/Deployment/checkout`).
    pub workload: Option<String>,
    pub cluster: Option<String>,
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
    /// Empty: every kind.
    pub kinds: Vec<ActionKind>,
    pub limit: usize,
}

impl ActionFilter {
    /// Every action of `[from, to)`, up to `limit`.
    pub fn between(
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> ActionFilter {
        ActionFilter { service: None, workload: None, cluster: None, from, to, kinds: Vec::new(), limit }
    }
}
