//! What the query layer returns: entities, their versioned facts and
//! relations, runs, traversals, timelines and changes, all as of a day.

use serde::Serialize;
use serde_json::{Map, Value};

pub use collectors::action::{Action, ActionBatch, ActionKind, ActionsRecorded, Remembered};
pub use collectors::keys::{is_declared_workload, DECLARED_WORKLOAD};
pub use collectors::Day;

/// The never-versioned anchor of one logical thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entity {
    pub key: String,
    pub kind: String,
    pub name: String,
}

/// One version of what one source (in one scope) says about an entity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fact {
    pub source: String,
    pub scope: String,
    pub attrs: Map<String, Value>,
    pub valid_from: Day,
    pub valid_to: Day,
}

/// An entity as of one day: every fact valid that day, from every source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityState {
    pub entity: Entity,
    /// The first day any source saw it.
    pub first_seen: Day,
    /// The last day any source saw it; `None` while some source still does.
    pub last_seen: Option<Day>,
    pub facts: Vec<Fact>,
}

impl EntityState {
    /// The facts of one source, one per scope.
    pub fn facts_from<'a>(&'a self, source: &'a str) -> impl Iterator<Item = &'a Fact> + 'a {
        self.facts.iter().filter(move |f| f.source == source)
    }

    /// Every source's attributes in one object: `{source: attrs}` when the
    /// source has one scope, `{source: {scope: attrs}}` when it has several.
    pub fn merged(&self) -> Map<String, Value> {
        let mut merged = Map::new();
        for fact in &self.facts {
            let scopes = self.facts_from(&fact.source).count();
            let attrs = Value::Object(fact.attrs.clone());
            if scopes == 1 {
                merged.insert(fact.source.clone(), attrs);
            } else {
                let by_scope = merged.entry(fact.source.clone()).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(by_scope) = by_scope {
                    by_scope.insert(fact.scope.clone(), attrs);
                }
            }
        }
        merged
    }
}

/// One version of an edge as one source (in one scope) sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relation {
    pub kind: String,
    pub from: String,
    pub to: String,
    pub source: String,
    pub scope: String,
    pub attrs: Map<String, Value>,
    pub valid_from: Day,
    pub valid_to: Day,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Direction {
    /// Along the edge: "what does it need".
    Out,
    /// Against the edge: "who needs it".
    In,
    Both,
}

impl Direction {
    pub fn follows_out(self) -> bool {
        matches!(self, Direction::Out | Direction::Both)
    }

    pub fn follows_in(self) -> bool {
        matches!(self, Direction::In | Direction::Both)
    }
}

/// Which edges a traversal may follow: a relation kind (or every kind) in a
/// direction. Mixed rules express impact questions such as "who breaks if
/// this package breaks": `uses` in, `builds` out, `depends_on` in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdgeRule {
    /// `None` follows every kind.
    pub kind: Option<String>,
    pub direction: Direction,
}

impl EdgeRule {
    pub fn new(kind: &str, direction: Direction) -> EdgeRule {
        EdgeRule { kind: Some(kind.to_string()), direction }
    }

    /// One rule per kind in the same direction; no kinds means every kind.
    pub fn for_kinds(kinds: &[String], direction: Direction) -> Vec<EdgeRule> {
        if kinds.is_empty() {
            return vec![EdgeRule { kind: None, direction }];
        }
        kinds.iter().map(|kind| EdgeRule { kind: Some(kind.clone()), direction }).collect()
    }
}

pub const MAX_TRAVERSAL_DEPTH: u32 = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Traversal {
    pub start: String,
    pub day: Day,
    /// 1 to [`MAX_TRAVERSAL_DEPTH`].
    pub depth: u32,
    pub edges: Vec<EdgeRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    pub entity: Entity,
    /// Hops from the start; the start itself is at depth 0.
    pub depth: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subgraph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Relation>,
}

/// An attribute held one value over `[from, to)` in one source's scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangePoint {
    pub from: Day,
    pub to: Day,
    pub value: Value,
    pub source: String,
    pub scope: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Change {
    Added,
    Changed,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityChange {
    pub change: Change,
    pub entity: Entity,
    /// The sources whose facts differ between the two days.
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelationChange {
    pub change: Change,
    pub kind: String,
    pub from: String,
    pub to: String,
    pub source: String,
    pub scope: String,
}

/// What differs between the graph of day `from` and that of day `to`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Changes {
    pub from: Day,
    pub to: Day,
    /// Sorted by entity key.
    pub entities: Vec<EntityChange>,
    /// Sorted by (from, kind, to, source, scope).
    pub relations: Vec<RelationChange>,
}

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub text: String,
    pub kinds: Vec<String>,
    pub day: Day,
    pub limit: usize,
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

/// An entity alive on a day, with the sources whose facts describe it then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeenEntity {
    pub entity: Entity,
    /// Each source once, by name.
    pub sources: Vec<String>,
}

/// One entity's value of one attribute on a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeValue {
    pub key: String,
    pub value: Value,
}

/// One relation's value of one attribute on a day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelationValue {
    pub from: String,
    pub to: String,
    pub value: Value,
}

/// One version of one attribute of one relation: `value` over
/// `[valid_from, valid_to)`, as `source` sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelationValueVersion {
    pub from: String,
    pub to: String,
    pub source: String,
    pub value: Value,
    pub valid_from: Day,
    pub valid_to: Day,
}

/// One version of one attribute of one entity: `value` over
/// `[valid_from, valid_to)`, as `source` (in `scope`) sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeValueVersion {
    pub key: String,
    pub source: String,
    pub scope: String,
    pub value: Value,
    pub valid_from: Day,
    pub valid_to: Day,
}

impl AttributeValueVersion {
    /// One value per entity on `day`, from versions ordered by (key,
    /// source, scope): the first source (by name, then scope) whose version
    /// holds then, as the store's `attribute_values` reads it.
    pub fn on(versions: &[AttributeValueVersion], day: Day) -> Vec<&AttributeValueVersion> {
        let mut found: Vec<&AttributeValueVersion> = Vec::new();
        for version in versions.iter().filter(|v| v.valid_from <= day && day < v.valid_to) {
            if found.last().is_none_or(|last| last.key != version.key) {
                found.push(version);
            }
        }
        found
    }
}

/// One version of one relation: `from` → `to` over `[valid_from, valid_to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelationSpan {
    pub from: String,
    pub to: String,
    pub valid_from: Day,
    pub valid_to: Day,
}

impl RelationValueVersion {
    /// One value per relation on `day`, from versions ordered by (from, to,
    /// source, scope): the first source (by name) whose version holds then.
    pub fn on(versions: &[RelationValueVersion], day: Day) -> Vec<&RelationValueVersion> {
        let mut found: Vec<&RelationValueVersion> = Vec::new();
        for version in versions.iter().filter(|v| v.valid_from <= day && day < v.valid_to) {
            if !found.last().is_some_and(|last| last.from == version.from && last.to == version.to) {
                found.push(version);
            }
        }
        found
    }
}
