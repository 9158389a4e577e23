//! A store wrapped by something that sees every call (timing, tracing,
//! fault injection): the wrapper says what it does around *a* call once,
//! in [`Around`], and [`Layered`] passes each of the trait's methods
//! through it. The trait's methods are forwarded here and nowhere else,
//! so a new method is one line in this file, not one per wrapper.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use collectors::Observation;

use super::{BatchError, Store, StoreResult};
use crate::model::*;
use crate::transfer::{Imported, Incoming, Record};

/// A boxed call of the wrapped store, as `async_trait` makes them.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a layer does around each call, named by the trait method's name.
pub trait Around: Send + Sync + 'static {
    fn around<'a, T: Send + 'a>(&'a self, method: &'static str, call: Call<'a, T>) -> Call<'a, T>;
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
        self.layer.around("ingest", self.inner.ingest(observation)).await
    }
    async fn ingest_batch(&self, observations: &[Observation]) -> Result<Vec<Run>, BatchError> {
        self.layer.around("ingest_batch", self.inner.ingest_batch(observations)).await
    }
    async fn rollback(&self, source: &str, scope: &str, day: Day) -> StoreResult<Rollback> {
        self.layer.around("rollback", self.inner.rollback(source, scope, day)).await
    }
    async fn rollbacks(&self) -> StoreResult<Vec<Rollback>> {
        self.layer.around("rollbacks", self.inner.rollbacks()).await
    }
    async fn record_failure(&self, source: &str, scope: &str, day: Day, error: &str) -> StoreResult<Run> {
        self.layer.around("record_failure", self.inner.record_failure(source, scope, day, error)).await
    }
    async fn latest_day(&self) -> StoreResult<Option<Day>> {
        self.layer.around("latest_day", self.inner.latest_day()).await
    }
    async fn entity(&self, key: &str, day: Day) -> StoreResult<Option<EntityState>> {
        self.layer.around("entity", self.inner.entity(key, day)).await
    }
    async fn search(&self, query: &SearchQuery) -> StoreResult<Vec<Entity>> {
        self.layer.around("search", self.inner.search(query)).await
    }
    async fn relations(
        &self,
        key: &str,
        day: Day,
        direction: Direction,
        kinds: &[String],
    ) -> StoreResult<Vec<Relation>> {
        self.layer.around("relations", self.inner.relations(key, day, direction, kinds)).await
    }
    async fn traverse(&self, traversal: &Traversal) -> StoreResult<Subgraph> {
        self.layer.around("traverse", self.inner.traverse(traversal)).await
    }
    async fn timeline(
        &self,
        key: &str,
        path: &str,
        from: Day,
        to: Day,
        source: Option<&str>,
    ) -> StoreResult<Vec<ChangePoint>> {
        self.layer.around("timeline", self.inner.timeline(key, path, from, to, source)).await
    }
    async fn changes(&self, from: Day, to: Day) -> StoreResult<Changes> {
        self.layer.around("changes", self.inner.changes(from, to)).await
    }
    async fn runs(&self, filter: &RunFilter) -> StoreResult<Vec<Run>> {
        self.layer.around("runs", self.inner.runs(filter)).await
    }
    async fn relation_history(
        &self,
        key: &str,
        direction: Direction,
        kinds: &[String],
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<Relation>> {
        self.layer.around("relation_history", self.inner.relation_history(key, direction, kinds, from, to)).await
    }
    async fn neighbours(&self, keys: &[String], rule: &EdgeRule, day: Day) -> StoreResult<Vec<(String, String)>> {
        self.layer.around("neighbours", self.inner.neighbours(keys, rule, day)).await
    }
    async fn attribute_values(
        &self,
        kind: &str,
        path: &str,
        source: Option<&str>,
        day: Day,
    ) -> StoreResult<Vec<AttributeValue>> {
        self.layer.around("attribute_values", self.inner.attribute_values(kind, path, source, day)).await
    }
    async fn entities_of_kind(&self, kind: &str, day: Day) -> StoreResult<Vec<SeenEntity>> {
        self.layer.around("entities_of_kind", self.inner.entities_of_kind(kind, day)).await
    }
    async fn relation_values(&self, kind: &str, path: &str, day: Day) -> StoreResult<Vec<RelationValue>> {
        self.layer.around("relation_values", self.inner.relation_values(kind, path, day)).await
    }
    async fn attribute_value_versions(
        &self,
        kind: &str,
        path: &str,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<AttributeValueVersion>> {
        self.layer.around("attribute_value_versions", self.inner.attribute_value_versions(kind, path, from, to)).await
    }
    async fn relation_spans(&self, kind: &str, from: Day, to: Day) -> StoreResult<Vec<RelationSpan>> {
        self.layer.around("relation_spans", self.inner.relation_spans(kind, from, to)).await
    }
    async fn relation_value_versions(
        &self,
        kind: &str,
        path: &str,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<RelationValueVersion>> {
        self.layer.around("relation_value_versions", self.inner.relation_value_versions(kind, path, from, to)).await
    }
    async fn record_deployments(&self, events: &[DeployEvent]) -> StoreResult<()> {
        self.layer.around("record_deployments", self.inner.record_deployments(events)).await
    }
    async fn deploys(&self, filter: &DeployFilter) -> StoreResult<Vec<DeployEvent>> {
        self.layer.around("deploys", self.inner.deploys(filter)).await
    }
    async fn dora_rollups(
        &self,
        query: &crate::judging::rollup::RollupQuery,
    ) -> StoreResult<Option<Vec<crate::judging::rollup::DayRollup>>> {
        self.layer.around("dora_rollups", self.inner.dora_rollups(query)).await
    }
    async fn judged_deploys(
        &self,
        page: &crate::judging::rollup::DeployPage,
    ) -> StoreResult<Option<crate::judging::rollup::JudgedPage>> {
        self.layer.around("judged_deploys", self.inner.judged_deploys(page)).await
    }
    async fn record_actions(&self, batch: &ActionBatch) -> StoreResult<ActionsRecorded> {
        self.layer.around("record_actions", self.inner.record_actions(batch)).await
    }
    async fn actions(&self, filter: &ActionFilter) -> StoreResult<Vec<Action>> {
        self.layer.around("actions", self.inner.actions(filter)).await
    }
    async fn remembered(&self, cluster: &str) -> StoreResult<Vec<Remembered>> {
        self.layer.around("remembered", self.inner.remembered(cluster)).await
    }
    async fn prune_actions(&self, before: chrono::DateTime<chrono::Utc>) -> StoreResult<u64> {
        self.layer.around("prune_actions", self.inner.prune_actions(before)).await
    }
    async fn stats(&self) -> StoreResult<StoreStats> {
        self.layer.around("stats", self.inner.stats()).await
    }
    async fn acquire_lease(&self, name: &str, holder: &str, now_ms: i64, until_ms: i64) -> StoreResult<bool> {
        self.layer.around("acquire_lease", self.inner.acquire_lease(name, holder, now_ms, until_ms)).await
    }
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        self.layer.around("release_lease", self.inner.release_lease(name, holder)).await
    }
    async fn prune(&self, source: &str, closed_before: Day) -> StoreResult<Pruned> {
        self.layer.around("prune", self.inner.prune(source, closed_before)).await
    }
    async fn export(&self, sink: tokio::sync::mpsc::Sender<Record>) -> StoreResult<()> {
        self.layer.around("export", self.inner.export(sink)).await
    }
    async fn import(&self, records: tokio::sync::mpsc::Receiver<Incoming>) -> StoreResult<Imported> {
        self.layer.around("import", self.inner.import(records)).await
    }
}
