//! Runs of the collectors, and what the store reports of itself: sizes,
//! retention passes and rollbacks.

use serde::Serialize;

use super::Day;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Started and not yet committed (stores that commit in steps, the scheduler).
    Running,
    /// Observed the whole scope: what was missing has been closed.
    Complete,
    /// Observed part of the scope: nothing was closed.
    Partial,
    /// Observed nothing: yesterday's state carries forward.
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Complete => "complete",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<RunStatus> {
        [RunStatus::Running, RunStatus::Complete, RunStatus::Partial, RunStatus::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// Whether the run's versions are part of the graph.
    pub fn committed(self) -> bool {
        matches!(self, RunStatus::Complete | RunStatus::Partial)
    }
}

/// What a run wrote, in versions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunCounts {
    /// New facts and relations.
    pub added: u64,
    /// Facts and relations whose content changed: one closed, one opened.
    pub changed: u64,
    /// Facts and relations no longer observed.
    pub closed: u64,
    pub unchanged: u64,
}

impl RunCounts {
    pub fn add(&mut self, other: RunCounts) {
        self.added += other.added;
        self.changed += other.changed;
        self.closed += other.closed;
        self.unchanged += other.unchanged;
    }
}

/// One snapshot run of one (source, scope, day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    pub source: String,
    pub scope: String,
    pub day: Day,
    pub status: RunStatus,
    pub counts: RunCounts,
    /// Unix milliseconds when the last attempt started.
    pub started_at_ms: i64,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// How many times this (source, scope, day) was run.
    pub attempts: u32,
    /// What the run reported without failing (unmatched items, conflicts).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    pub source: Option<String>,
    pub from: Option<Day>,
    pub to: Option<Day>,
}

/// Sizes of a store, for operators and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    pub entities: u64,
    pub fact_versions: u64,
    pub relation_versions: u64,
    pub runs: u64,
    pub bytes: u64,
}

/// What a retention pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pruned {
    pub fact_versions: u64,
    pub relation_versions: u64,
}

/// What [`crate::Store::rollback`] undid for one (source, scope) from one
/// day on: the scope's runs of that day and every later one, the versions
/// they opened, and the closes they made. All counts are zero (and nothing
/// is recorded) when there was nothing to undo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rollback {
    pub source: String,
    pub scope: String,
    /// The first day undone.
    pub day: Day,
    /// When it was done, Unix milliseconds.
    pub at_ms: i64,
    /// Run records removed (of every status).
    pub runs: u64,
    /// Fact and relation versions opened on the day or later, deleted.
    pub facts_deleted: u64,
    pub relations_deleted: u64,
    /// Fact and relation versions closed on the day or later, open again.
    pub facts_reopened: u64,
    pub relations_reopened: u64,
    /// Entity anchors that only the deleted versions referred to, deleted.
    pub entities_deleted: u64,
}

impl Rollback {
    /// A rollback of (source, scope) from `day` that has not undone anything (yet).
    pub fn nothing(source: &str, scope: &str, day: Day, at_ms: i64) -> Rollback {
        Rollback {
            source: source.to_string(),
            scope: scope.to_string(),
            day,
            at_ms,
            runs: 0,
            facts_deleted: 0,
            relations_deleted: 0,
            facts_reopened: 0,
            relations_reopened: 0,
            entities_deleted: 0,
        }
    }

    /// Whether it changed nothing: running it again after a rollback, or a
    /// scope with no run and no version from the day on.
    pub fn changed_nothing(&self) -> bool {
        [
            self.runs,
            self.facts_deleted,
            self.relations_deleted,
            self.facts_reopened,
            self.relations_reopened,
            self.entities_deleted,
        ]
        .iter()
        .all(|&n| n == 0)
    }
}

/// The shortest retention: a re-run of a day reopens the versions that day
/// closed, so recent history must stay.
pub const MIN_RETENTION_DAYS: u32 = 7;
