//! A store wrapped by something that sees every call (timing, tracing,
//! fault injection, the scorecards' kept days): the wrapper says what it
//! does around *a* call once, in [`Around`], and [`Layered`] passes each of
//! the trait's methods through it. The trait's methods are forwarded here
//! and nowhere else, so a new method is one line in this file, not one per
//! wrapper.
//!
//! Each call comes with a [`Method`] that says, by its type, whether it
//! writes: a write names its [`WriteKind`], and whoever keeps something
//! derived from the store (the score cache) matches on that enum without a
//! wildcard, so a new kind of write does not compile until each of them
//! has decided what it does. `tests/store_writes.rs` reads the
//! `Store` trait and fails when a method is forwarded without a
//! descriptor, under another name, or as a read it has not been told is
//! one.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use spot_model::Observation;

use super::{BatchError, Store, StoreResult};
use crate::model::*;
use crate::transfer::{Imported, Incoming, Record};

/// A boxed call of the wrapped store, as `async_trait` makes them.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a call of the store is: a read, by the trait method's name, or
/// one of the writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Read(&'static str),
    Write(WriteKind),
}

impl Method {
    /// The trait method's name (metric labels, traces).
    pub fn name(self) -> &'static str {
        match self {
            Method::Read(name) => name,
            Method::Write(kind) => kind.name(),
        }
    }
}

/// Every method of [`Store`] that changes what it holds. Match on it
/// without a wildcard: a new write must be decided on everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteKind {
    Ingest,
    IngestBatch,
    Rollback,
    RecordFailure,
    RecordDeployments,
    RecordActions,
    PruneActions,
    AcquireLease,
    ReleaseLease,
    Prune,
    Import,
    KeepScores,
}

impl WriteKind {
    /// Every kind, for tests that go through them all.
    pub const ALL: [WriteKind; 12] = [
        WriteKind::Ingest,
        WriteKind::IngestBatch,
        WriteKind::Rollback,
        WriteKind::RecordFailure,
        WriteKind::RecordDeployments,
        WriteKind::RecordActions,
        WriteKind::PruneActions,
        WriteKind::AcquireLease,
        WriteKind::ReleaseLease,
        WriteKind::Prune,
        WriteKind::Import,
        WriteKind::KeepScores,
    ];

    /// The trait method that writes this way.
    pub fn name(self) -> &'static str {
        match self {
            WriteKind::Ingest => "ingest",
            WriteKind::IngestBatch => "ingest_batch",
            WriteKind::Rollback => "rollback",
            WriteKind::RecordFailure => "record_failure",
            WriteKind::RecordDeployments => "record_deployments",
            WriteKind::RecordActions => "record_actions",
            WriteKind::PruneActions => "prune_actions",
            WriteKind::AcquireLease => "acquire_lease",
            WriteKind::ReleaseLease => "release_lease",
            WriteKind::Prune => "prune",
            WriteKind::Import => "import",
            WriteKind::KeepScores => "keep_scores",
        }
    }
}

/// What a layer does around each call, told what the call is.
pub trait Around: Send + Sync + 'static {
    fn around<'a, T: Send + 'a>(&'a self, method: Method, call: Call<'a, T>) -> Call<'a, T>;
}

/// `inner`, with every call passed through `layer`.
pub struct Layered<L> {
    inner: Arc<dyn Store>,
    layer: L,
}

impl<L: Around> Layered<L> {
    pub fn new(inner: Arc<dyn Store>, layer: L) -> Layered<L> {
        Layered { inner, layer }
    }
}

#[async_trait]
impl<L: Around> Store for Layered<L> {
    async fn ingest(&self, observation: &Observation) -> StoreResult<Run> {
        self.layer.around(Method::Write(WriteKind::Ingest), self.inner.ingest(observation)).await
    }
    async fn ingest_batch(&self, observations: &[Observation]) -> Result<Vec<Run>, BatchError> {
        self.layer.around(Method::Write(WriteKind::IngestBatch), self.inner.ingest_batch(observations)).await
    }
    async fn rollback(&self, source: &str, scope: &str, day: Day) -> StoreResult<Rollback> {
        self.layer.around(Method::Write(WriteKind::Rollback), self.inner.rollback(source, scope, day)).await
    }
    async fn rollbacks(&self) -> StoreResult<Vec<Rollback>> {
        self.layer.around(Method::Read("rollbacks"), self.inner.rollbacks()).await
    }
    async fn record_failure(&self, source: &str, scope: &str, day: Day, error: &str) -> StoreResult<Run> {
        self.layer
            .around(Method::Write(WriteKind::RecordFailure), self.inner.record_failure(source, scope, day, error))
            .await
    }
    async fn latest_day(&self) -> StoreResult<Option<Day>> {
        self.layer.around(Method::Read("latest_day"), self.inner.latest_day()).await
    }
    async fn entity(&self, key: &str, day: Day) -> StoreResult<Option<EntityState>> {
        self.layer.around(Method::Read("entity"), self.inner.entity(key, day)).await
    }
    async fn search(&self, query: &SearchQuery) -> StoreResult<Vec<Entity>> {
        self.layer.around(Method::Read("search"), self.inner.search(query)).await
    }
    async fn relations(
        &self,
        key: &str,
        day: Day,
        direction: Direction,
        kinds: &[String],
    ) -> StoreResult<Vec<Relation>> {
        self.layer.around(Method::Read("relations"), self.inner.relations(key, day, direction, kinds)).await
    }
    async fn traverse(&self, traversal: &Traversal) -> StoreResult<Subgraph> {
        self.layer.around(Method::Read("traverse"), self.inner.traverse(traversal)).await
    }
    async fn timeline(
        &self,
        key: &str,
        path: &str,
        from: Day,
        to: Day,
        source: Option<&str>,
    ) -> StoreResult<Vec<ChangePoint>> {
        self.layer.around(Method::Read("timeline"), self.inner.timeline(key, path, from, to, source)).await
    }
    async fn changes(&self, from: Day, to: Day) -> StoreResult<Changes> {
        self.layer.around(Method::Read("changes"), self.inner.changes(from, to)).await
    }
    async fn runs(&self, filter: &RunFilter) -> StoreResult<Vec<Run>> {
        self.layer.around(Method::Read("runs"), self.inner.runs(filter)).await
    }
    async fn relation_history(
        &self,
        key: &str,
        direction: Direction,
        kinds: &[String],
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<Relation>> {
        self.layer
            .around(Method::Read("relation_history"), self.inner.relation_history(key, direction, kinds, from, to))
            .await
    }
    async fn neighbours(&self, keys: &[String], rule: &EdgeRule, day: Day) -> StoreResult<Vec<(String, String)>> {
        self.layer.around(Method::Read("neighbours"), self.inner.neighbours(keys, rule, day)).await
    }
    async fn attribute_values(
        &self,
        kind: &str,
        path: &str,
        source: Option<&str>,
        day: Day,
    ) -> StoreResult<Vec<AttributeValue>> {
        self.layer.around(Method::Read("attribute_values"), self.inner.attribute_values(kind, path, source, day)).await
    }
    async fn entities_of_kind(&self, kind: &str, day: Day) -> StoreResult<Vec<SeenEntity>> {
        self.layer.around(Method::Read("entities_of_kind"), self.inner.entities_of_kind(kind, day)).await
    }
    async fn relation_values(&self, kind: &str, path: &str, day: Day) -> StoreResult<Vec<RelationValue>> {
        self.layer.around(Method::Read("relation_values"), self.inner.relation_values(kind, path, day)).await
    }
    async fn attribute_value_versions(
        &self,
        kind: &str,
        path: &str,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<AttributeValueVersion>> {
        self.layer
            .around(Method::Read("attribute_value_versions"), self.inner.attribute_value_versions(kind, path, from, to))
            .await
    }
    async fn relation_spans(&self, kind: &str, from: Day, to: Day) -> StoreResult<Vec<RelationSpan>> {
        self.layer.around(Method::Read("relation_spans"), self.inner.relation_spans(kind, from, to)).await
    }
    async fn relation_value_versions(
        &self,
        kind: &str,
        path: &str,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<RelationValueVersion>> {
        self.layer
            .around(Method::Read("relation_value_versions"), self.inner.relation_value_versions(kind, path, from, to))
            .await
    }
    async fn relation_value_versions_between(
        &self,
        kind: &str,
        path: &str,
        pairs: &[(String, String)],
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<RelationValueVersion>> {
        let read = self.inner.relation_value_versions_between(kind, path, pairs, from, to);
        self.layer.around(Method::Read("relation_value_versions_between"), read).await
    }
    async fn record_deployments(&self, events: &[DeployEvent]) -> StoreResult<()> {
        self.layer.around(Method::Write(WriteKind::RecordDeployments), self.inner.record_deployments(events)).await
    }
    async fn deploys(&self, filter: &DeployFilter) -> StoreResult<Vec<DeployEvent>> {
        self.layer.around(Method::Read("deploys"), self.inner.deploys(filter)).await
    }
    async fn dora_rollups(
        &self,
        query: &crate::judging::rollup::RollupQuery,
    ) -> StoreResult<Option<Vec<crate::judging::span::LaneDays>>> {
        self.layer.around(Method::Read("dora_rollups"), self.inner.dora_rollups(query)).await
    }
    async fn judged_deploys(
        &self,
        page: &crate::judging::rollup::DeployPage,
    ) -> StoreResult<Option<crate::judging::rollup::JudgedPage>> {
        self.layer.around(Method::Read("judged_deploys"), self.inner.judged_deploys(page)).await
    }
    async fn kept_scores(&self, query: &super::KeptQuery) -> StoreResult<Option<super::Kept>> {
        self.layer.around(Method::Read("kept_scores"), self.inner.kept_scores(query)).await
    }
    async fn keep_scores(&self, write: &super::KeepScores) -> StoreResult<Option<super::KeptState>> {
        self.layer.around(Method::Write(WriteKind::KeepScores), self.inner.keep_scores(write)).await
    }
    async fn record_actions(&self, batch: &ActionBatch) -> StoreResult<ActionsRecorded> {
        self.layer.around(Method::Write(WriteKind::RecordActions), self.inner.record_actions(batch)).await
    }
    async fn actions(&self, filter: &ActionFilter) -> StoreResult<Vec<Action>> {
        self.layer.around(Method::Read("actions"), self.inner.actions(filter)).await
    }
    async fn remembered(&self, cluster: &str) -> StoreResult<Vec<Remembered>> {
        self.layer.around(Method::Read("remembered"), self.inner.remembered(cluster)).await
    }
    async fn prune_actions(&self, before: chrono::DateTime<chrono::Utc>) -> StoreResult<u64> {
        self.layer.around(Method::Write(WriteKind::PruneActions), self.inner.prune_actions(before)).await
    }
    async fn stats(&self) -> StoreResult<StoreStats> {
        self.layer.around(Method::Read("stats"), self.inner.stats()).await
    }
    async fn acquire_lease(&self, name: &str, holder: &str, now_ms: i64, until_ms: i64) -> StoreResult<bool> {
        self.layer
            .around(Method::Write(WriteKind::AcquireLease), self.inner.acquire_lease(name, holder, now_ms, until_ms))
            .await
    }
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        self.layer.around(Method::Write(WriteKind::ReleaseLease), self.inner.release_lease(name, holder)).await
    }
    async fn prune(&self, source: &str, closed_before: Day) -> StoreResult<Pruned> {
        self.layer.around(Method::Write(WriteKind::Prune), self.inner.prune(source, closed_before)).await
    }
    async fn export(&self, sink: tokio::sync::mpsc::Sender<Record>) -> StoreResult<()> {
        self.layer.around(Method::Read("export"), self.inner.export(sink)).await
    }
    async fn import(&self, records: tokio::sync::mpsc::Receiver<Incoming>) -> StoreResult<Imported> {
        self.layer.around(Method::Write(WriteKind::Import), self.inner.import(records)).await
    }
}
