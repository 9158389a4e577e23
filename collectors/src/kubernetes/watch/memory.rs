//! What the watch remembers between events, and keeps in the store so a
//! restart of SPoT compares the cluster with what it last knew: one entry
//! per workload (`w/<uid>`), per warning event (`e/<uid>`), and the
//! cluster's mark (`mark`: everything before it was seen).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::seen::Template;
use crate::kubernetes::model::{Kind, WorkloadId};

/// One remembered thing, tagged so the store's JSON says what it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "of", rename_all = "snake_case")]
pub enum Memory {
    Workload(Box<WorkloadMemory>),
    Event(EventMemory),
    Mark(Mark),
}

/// A workload as last seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadMemory {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub resource_version: String,
    pub replicas: i64,
    #[serde(default)]
    pub paused: bool,
    /// The current revision's template (a Deployment's: from its newest
    /// ReplicaSet).
    pub template: Template,
    /// Earlier templates, newest last (StatefulSets and DaemonSets: a
    /// template equal to one of them is a rollback).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Template>,
    /// A Deployment's newest ReplicaSet revision.
    #[serde(default)]
    pub rs_revision: u64,
    pub updated: i64,
    /// The rollout (`rev7`, `gen3`) last seen complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed: Option<String>,
    /// The rollout last seen stalled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stalled: Option<String>,
}

/// How many templates a workload's history keeps (Kubernetes' default
/// `revisionHistoryLimit`).
pub const HISTORY: usize = 10;

impl WorkloadMemory {
    /// Which workload this is (`None` for a kind this SPoT does not know).
    pub fn id(&self) -> Option<WorkloadId> {
        Some(WorkloadId::new(&self.namespace, Kind::parse(&self.kind)?, &self.name))
    }

    /// Keeps `template` as an earlier one, once, the newest last.
    pub fn push_history(&mut self, template: Template) {
        if template.fingerprint.is_empty() {
            return;
        }
        self.history.retain(|t| t.fingerprint != template.fingerprint);
        self.history.push(template);
        if self.history.len() > HISTORY {
            self.history.remove(0);
        }
    }
}

/// A warning event's count as last seen: the next count adds only the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventMemory {
    pub count: u64,
}

/// Everything that happened before `since` was seen and recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    pub since: DateTime<Utc>,
}

pub const MARK: &str = "mark";

const WORKLOAD: &str = "w/";
const EVENT: &str = "e/";

/// The memory key of a workload's uid; [`object_uid`] reads it back.
pub fn workload_uid(uid: &str) -> String {
    format!("{WORKLOAD}{uid}")
}

/// The memory key of a warning event's uid.
pub fn event_uid(uid: &str) -> String {
    format!("{EVENT}{uid}")
}

/// The object's uid in a memory key (`w/<uid>` or `e/<uid>`).
pub fn object_uid(key: &str) -> &str {
    key.strip_prefix(WORKLOAD).or_else(|| key.strip_prefix(EVENT)).unwrap_or(key)
}
