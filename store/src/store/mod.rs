//! The `Store` trait: everything the ingest and the query layer need from a
//! storage engine. Each implementation is held to the same behaviour by the
//! conformance suite in `tests/conformance`.

pub mod arango;
pub mod layer;
pub mod select;
pub use select::StoreConfig;
pub mod sqlite;
pub use sqlite::score_views::{KeepScores, Kept, KeptQuery, KeptRow, KeptState};

use async_trait::async_trait;
use spot_model::Observation;

pub use crate::ingest::Refusal;
use crate::ingest::RefusedAt;
use crate::model::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The ingest contract refused the observation.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// An import's file cannot be read as a SPoT history.
    #[error(transparent)]
    Import(#[from] crate::transfer::TransferError),
    #[error("no entity '{key}'")]
    NotFound { key: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("cannot open store at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("store {path} has schema version {found}; this build of spot knows up to {supported}")]
    SchemaTooNew { path: String, found: i64, supported: i64 },
    #[error(
        "store {path} has schema version {found}; this build of spot reads version {supported}, and read commands \
         never migrate a store: run `spot migrate --db {path}` first"
    )]
    SchemaTooOld { path: String, found: i64, supported: i64 },
    /// Work done for a request (scoring: computing more than reading) ran
    /// past the request's deadline and stopped.
    #[error("the request ran past its deadline (server.request_timeout_ms)")]
    PastDeadline,
    #[error("injected fault after {writes} writes (test hook)")]
    InjectedFault { writes: u64 },
    /// The engine failed; `source` is its error (or what went wrong, when
    /// there is no error value to keep).
    #[error("store failure while {doing}: {source}")]
    Backend { doing: String, source: BoxError },
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Lets CPU-bound work done for a request (scoring, hygiene trends) stop at
/// the request's deadline (`None`: no deadline, as for the CLI and the
/// benchmarks): yields to the runtime first, so that a request timed out by
/// the edge is dropped at this await and a busy worker serves other
/// requests, then fails once `deadline` has passed. Callers ask before each
/// unit of work (a rule, a day) that would not yield on its own.
pub async fn on_time(deadline: Option<tokio::time::Instant>) -> StoreResult<()> {
    tokio::task::yield_now().await;
    match deadline {
        Some(deadline) if tokio::time::Instant::now() >= deadline => Err(StoreError::PastDeadline),
        _ => Ok(()),
    }
}

/// The cause an engine failure keeps, for `Error::source`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why [`Store::ingest_batch`] stopped.
#[derive(Debug, thiserror::Error)]
#[error("{}{error}", .index.map(|i| format!("observation {} of the batch: ", i + 1)).unwrap_or_default())]
pub struct BatchError {
    /// The observation at fault (0-based), or `None` when the batch as a
    /// whole failed (committing it).
    pub index: Option<usize>,
    /// How many observations of the batch were committed before the error
    /// (always 0 on a store that writes a batch in one transaction).
    pub written: usize,
    pub error: StoreError,
}

impl From<RefusedAt> for BatchError {
    fn from(refused: RefusedAt) -> BatchError {
        BatchError::at(refused.index, refused.refusal.into())
    }
}

impl BatchError {
    pub fn at(index: usize, error: StoreError) -> BatchError {
        BatchError { index: Some(index), written: 0, error }
    }

    /// Whether the observation itself is at fault (invalid, or refused by
    /// a rule of the ingest contract), rather than the store.
    pub fn is_refusal(&self) -> bool {
        matches!(self.error, StoreError::Refused(_))
    }
}

/// A temporal graph store. Every read is "as of" a day; writes happen only
/// through [`Store::ingest`] and [`Store::record_failure`], each atomic.
#[async_trait]
pub trait Store: Send + Sync {
    /// Diffs one observation against its scope's open versions and commits
    /// the result with its run record, all or nothing.
    async fn ingest(&self, observation: &Observation) -> StoreResult<Run>;

    /// Ingests several observations in order (`spot ingest a.json b.json`).
    /// Every observation is checked first (valid, within the future-day
    /// allowance, and a day no older than its scope's latest, counting the
    /// observations before it in the batch), so a refused one writes
    /// nothing. Then all are written, or none where the store can
    /// (SQLite: one transaction); a store that cannot says how many were
    /// written in [`BatchError::written`].
    async fn ingest_batch(&self, observations: &[Observation]) -> Result<Vec<Run>, BatchError>;

    /// Undoes (source, scope)'s runs on `day` and every later day, restoring
    /// the scope exactly as its last run before `day` committed it: versions
    /// of the scope opened on `day` or later are deleted, versions closed on
    /// `day` or later are open again, the runs are removed, and entity
    /// anchors only those versions referred to go. Recorded (see
    /// [`Store::rollbacks`]) when it changed something; running it again
    /// changes nothing. Atomic where the store can be (SQLite: one
    /// transaction).
    async fn rollback(&self, source: &str, scope: &str, day: Day) -> StoreResult<Rollback>;

    /// Every recorded rollback, newest first.
    async fn rollbacks(&self) -> StoreResult<Vec<Rollback>>;

    /// Records a run that observed nothing. The graph is not touched.
    async fn record_failure(&self, source: &str, scope: &str, day: Day, error: &str) -> StoreResult<Run>;

    /// The latest day for which some run committed data.
    async fn latest_day(&self) -> StoreResult<Option<Day>>;

    /// The entity with every fact valid on `day`; `None` when no source saw
    /// it that day.
    async fn entity(&self, key: &str, day: Day) -> StoreResult<Option<EntityState>>;

    /// Entities alive on the query's day whose name or key contains the text,
    /// or, for the kinds catalogs describe, whose `description` or one of
    /// whose `tags` does; best matches first (exact name, then prefix, then
    /// shortest).
    async fn search(&self, query: &SearchQuery) -> StoreResult<Vec<Entity>>;

    /// The relations of one entity valid on `day`, in the given direction,
    /// of the given kinds (all kinds when empty).
    async fn relations(
        &self,
        key: &str,
        day: Day,
        direction: Direction,
        kinds: &[String],
    ) -> StoreResult<Vec<Relation>>;

    /// Breadth-first traversal as of a day, cycle-safe, each node with the
    /// depth at which it was first reached.
    async fn traverse(&self, traversal: &Traversal) -> StoreResult<Subgraph>;

    /// The values one attribute (a dotted path into the attributes) took over
    /// `[from, to]`, as change points per (source, scope).
    async fn timeline(
        &self,
        key: &str,
        path: &str,
        from: Day,
        to: Day,
        source: Option<&str>,
    ) -> StoreResult<Vec<ChangePoint>>;

    /// What was added, changed and removed between two days.
    async fn changes(&self, from: Day, to: Day) -> StoreResult<Changes>;

    async fn runs(&self, filter: &RunFilter) -> StoreResult<Vec<Run>>;

    /// Every version of an entity's relations that overlaps `[from, to]`,
    /// oldest first: what it was connected to at any time in the range.
    async fn relation_history(
        &self,
        key: &str,
        direction: Direction,
        kinds: &[String],
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<Relation>>;

    /// For many entities at once, the entities one edge rule leads to on a
    /// day: `(key, neighbour key)` pairs. Used to group reports by owner.
    async fn neighbours(&self, keys: &[String], rule: &EdgeRule, day: Day) -> StoreResult<Vec<(String, String)>>;

    /// One attribute of every entity of a kind alive on a day, from one
    /// source (any source when `None`; the first by source name wins).
    async fn attribute_values(
        &self,
        kind: &str,
        path: &str,
        source: Option<&str>,
        day: Day,
    ) -> StoreResult<Vec<AttributeValue>>;

    /// Every entity of a kind alive on a day, by key, each with the sources
    /// whose facts describe it that day (each once, by name): e.g. which
    /// services Consul registers.
    async fn entities_of_kind(&self, kind: &str, day: Day) -> StoreResult<Vec<SeenEntity>>;

    /// One attribute of every relation of a kind valid on a day (e.g. the
    /// `resolved` version of every `uses`), one value per (from, to): the
    /// first source (by name) with a value wins; relations without it are
    /// left out.
    async fn relation_values(&self, kind: &str, path: &str, day: Day) -> StoreResult<Vec<RelationValue>> {
        let versions = self.relation_value_versions(kind, path, day, day).await?;
        Ok(RelationValueVersion::on(&versions, day)
            .into_iter()
            .map(|v| RelationValue { from: v.from.clone(), to: v.to.clone(), value: v.value.clone() })
            .collect())
    }

    /// Every version of one attribute of every relation of a kind that
    /// holds on some day of `[from, to]` (for a report over time: one read
    /// instead of one per day), ordered by (from, to, source, scope,
    /// valid_from); versions without the attribute are left out.
    /// [`RelationValueVersion::on`] picks one value per relation for a day.
    async fn relation_value_versions(
        &self,
        kind: &str,
        path: &str,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<RelationValueVersion>>;

    /// [`Store::relation_value_versions`] of the relations between some
    /// `(from, to)` pairs only, in the same order (src/changes: the
    /// versions of the `uses` that changed, not the organisation's). By
    /// default, filtered from the organisation's.
    async fn relation_value_versions_between(
        &self,
        kind: &str,
        path: &str,
        pairs: &[(String, String)],
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<RelationValueVersion>> {
        let wanted: std::collections::HashSet<(&str, &str)> =
            pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let versions = self.relation_value_versions(kind, path, from, to).await?;
        Ok(versions.into_iter().filter(|v| wanted.contains(&(v.from.as_str(), v.to.as_str()))).collect())
    }

    /// Every version of one attribute of every entity of a kind that holds
    /// on some day of `[from, to]` (a report over time: one read instead of
    /// one per day), ordered by (key, source, scope, valid_from); versions
    /// without the attribute are left out. [`AttributeValueVersion::on`]
    /// gives what [`Store::attribute_values`] (any source) reads on a day.
    async fn attribute_value_versions(
        &self,
        kind: &str,
        path: &str,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<AttributeValueVersion>>;

    /// Every version of every relation of a kind that holds on some day of
    /// `[from, to]`, ordered by (from, to, valid_from, valid_to): what a day's
    /// `neighbours` of that kind follow, for many days in one read.
    async fn relation_spans(&self, kind: &str, from: Day, to: Day) -> StoreResult<Vec<RelationSpan>>;

    /// The delivery rollups `query` selects, packed per lane (some days of
    /// one service in one cluster; days outside the window may come too),
    /// when the store keeps them (built with `query`'s fix-forward
    /// window); `None`: the caller computes the figures from
    /// [`Store::deploys`] (docs/dora.md).
    async fn dora_rollups(
        &self,
        query: &crate::judging::rollup::RollupQuery,
    ) -> StoreResult<Option<Vec<crate::judging::span::LaneDays>>> {
        let _ = query;
        Ok(None)
    }

    /// A page of judged deploys, when the store keeps verdicts; `None`: the
    /// caller judges [`Store::deploys`] itself.
    async fn judged_deploys(
        &self,
        page: &crate::judging::rollup::DeployPage,
    ) -> StoreResult<Option<crate::judging::rollup::JudgedPage>> {
        let _ = page;
        Ok(None)
    }

    /// A scorecard's kept scores `query` asks for (docs/scorecards.md, "Kept
    /// scores"); `None`: the store keeps none for the card, and the caller
    /// scores from the graph.
    async fn kept_scores(&self, query: &KeptQuery) -> StoreResult<Option<Kept>> {
        let _ = query;
        Ok(None)
    }

    /// Keeps scores a deriver computed (src/scorecards/kept.rs); `None`:
    /// this store keeps none.
    async fn keep_scores(&self, write: &KeepScores) -> StoreResult<Option<KeptState>> {
        let _ = write;
        Ok(None)
    }

    /// Stores deploy events (the orchestrator's, in order), in one
    /// transaction where the store can. The same deploy reported again
    /// (same service, cluster, version and start) is updated: its outcome
    /// is the new report's, and what the new report leaves out is kept.
    async fn record_deployments(&self, events: &[DeployEvent]) -> StoreResult<()>;

    /// Stores one deploy event (see [`Store::record_deployments`]).
    async fn record_deployment(&self, event: &DeployEvent) -> StoreResult<()> {
        self.record_deployments(std::slice::from_ref(event)).await
    }

    /// The deploy events `filter` selects, oldest first (events of one
    /// instant in the order they arrived).
    async fn deploys(&self, filter: &DeployFilter) -> StoreResult<Vec<DeployEvent>>;

    /// Deploy events of one service (one cluster, or all) within
    /// `[from, to]` (whole days, UTC), oldest first.
    async fn deployments(
        &self,
        service: &str,
        cluster: Option<&str>,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<DeployEvent>> {
        check_range(from, to)?;
        let filter = DeployFilter {
            services: vec![service.to_string()],
            clusters: cluster.map(str::to_string).into_iter().collect(),
            from: from.start(),
            to: to.plus(1).start(),
            brief: false,
        };
        self.deploys(&filter).await
    }

    /// Commits a watch's batch in one go where the store can (SQLite: one
    /// transaction): each action once by `(cluster, key)` — a key already
    /// recorded is left alone, except that a warning's count adds up and its
    /// last time moves on — with the memory the batch sets and forgets.
    async fn record_actions(&self, batch: &ActionBatch) -> StoreResult<ActionsRecorded>;

    /// The actions `filter` selects, newest first.
    async fn actions(&self, filter: &ActionFilter) -> StoreResult<Vec<Action>>;

    /// What the watch of `cluster` remembers, every object.
    async fn remembered(&self, cluster: &str) -> StoreResult<Vec<Remembered>>;

    /// Retention for actions: drops those whose last occurrence is before
    /// `before`; how many went.
    async fn prune_actions(&self, before: chrono::DateTime<chrono::Utc>) -> StoreResult<u64>;

    async fn stats(&self) -> StoreResult<StoreStats>;

    /// Takes (or, for its holder, renews) the lease `name` until
    /// `until_ms`, unless another holder's lease is unexpired at `now_ms`.
    /// `true` when `holder` now holds it. Two SPoT processes on one store
    /// use this so that they never run the same collector scope at once.
    async fn acquire_lease(&self, name: &str, holder: &str, now_ms: i64, until_ms: i64) -> StoreResult<bool>;

    /// Gives the lease up, if `holder` holds it.
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()>;

    /// Retention: drops `source`'s versions (every scope) that closed
    /// before `closed_before`. Open versions and anything of other sources
    /// stay; questions about days before the cut lose that source's facts.
    async fn prune(&self, source: &str, closed_before: Day) -> StoreResult<Pruned>;

    /// The whole history, record by record into `sink`, as of one instant
    /// (see [`crate::transfer`]).
    async fn export(&self, sink: tokio::sync::mpsc::Sender<crate::transfer::Record>) -> StoreResult<()>;

    /// Reads a whole history into this store, which must be empty. All or
    /// nothing: an `Err` from the sender (a line that did not parse) or a
    /// record the store refuses rolls everything back; the error names the
    /// record at fault by its number.
    async fn import(
        &self,
        records: tokio::sync::mpsc::Receiver<crate::transfer::Incoming>,
    ) -> StoreResult<crate::transfer::Imported>;
}

/// Checks the bounds every traversal must respect, before any store work.
pub fn check_traversal(traversal: &Traversal) -> StoreResult<()> {
    if !(1..=MAX_TRAVERSAL_DEPTH).contains(&traversal.depth) {
        return Err(StoreError::BadRequest(format!(
            "traversal depth {} is out of range: use 1 to {MAX_TRAVERSAL_DEPTH}",
            traversal.depth
        )));
    }
    if traversal.edges.is_empty() {
        return Err(StoreError::BadRequest("a traversal needs at least one edge rule".into()));
    }
    Ok(())
}

/// Checks an attribute path (see [`crate::attribute_path`]).
pub fn check_path(path: &str) -> StoreResult<()> {
    crate::attribute_path::check(path).map_err(StoreError::BadRequest)
}

/// A deploy window that runs forward.
pub fn check_deploy_filter(filter: &DeployFilter) -> StoreResult<()> {
    if filter.from > filter.to {
        return Err(StoreError::BadRequest(format!(
            "the window of deploys ends ({}) before it starts ({})",
            filter.to.to_rfc3339(),
            filter.from.to_rfc3339()
        )));
    }
    Ok(())
}

/// Most actions one read returns.
pub const MAX_ACTIONS: usize = 10_000;

/// A window that runs forward and a limit within [`MAX_ACTIONS`].
pub fn check_action_filter(filter: &ActionFilter) -> StoreResult<()> {
    if filter.from > filter.to {
        return Err(StoreError::BadRequest(format!(
            "the window of actions ends ({}) before it starts ({})",
            filter.to.to_rfc3339(),
            filter.from.to_rfc3339()
        )));
    }
    if filter.limit == 0 || filter.limit > MAX_ACTIONS {
        return Err(StoreError::BadRequest(format!(
            "at most {MAX_ACTIONS} actions are read at once, and at least one ({} asked)",
            filter.limit
        )));
    }
    Ok(())
}

/// Checks that a day range is ordered.
pub fn check_range(from: Day, to: Day) -> StoreResult<()> {
    if from > to {
        return Err(StoreError::BadRequest(format!("'from' ({from}) is after 'to' ({to})")));
    }
    Ok(())
}
