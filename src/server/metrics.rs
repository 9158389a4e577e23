//! Prometheus metrics at `/metrics`: requests and latencies per GraphQL
//! operation, and the time spent in each store call.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use collectors::Observation;
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};

use crate::model::*;
use crate::store::{BatchError, Store, StoreResult};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Operation names counted under their own label; any other is `other`.
    known_operations: Arc<rustc_hash::FxHashSet<String>>,
    requests: IntCounterVec,
    latency: HistogramVec,
    store_calls: HistogramVec,
}

const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

impl Metrics {
    /// Metrics that label requests by the operations named here (and
    /// `anonymous`, `other`): operation names come from clients, and each
    /// label value is a time series Prometheus keeps for good.
    pub fn new(known_operations: impl IntoIterator<Item = String>) -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("spot_graphql_requests_total", "GraphQL requests by operation and outcome"),
            &["operation", "outcome"],
        )
        .expect("a valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("spot_graphql_request_duration_seconds", "GraphQL request latency by operation")
                .buckets(LATENCY_BUCKETS.to_vec()),
            &["operation"],
        )
        .expect("a valid metric");
        let store_calls = HistogramVec::new(
            HistogramOpts::new("spot_store_call_duration_seconds", "Time spent in each store call")
                .buckets(LATENCY_BUCKETS.to_vec()),
            &["call"],
        )
        .expect("a valid metric");
        for metric in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(store_calls.clone()),
        ] {
            registry.register(metric).expect("metrics register once");
        }
        let known_operations = Arc::new(known_operations.into_iter().collect());
        Metrics { registry, known_operations, requests, latency, store_calls }
    }

    /// Where other parts (the scheduler's collector metrics) register theirs.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn request(&self, operation: &str, ok: bool, elapsed: Duration) {
        let label = match operation {
            "" => "anonymous",
            known if self.known_operations.contains(known) => known,
            _ => "other",
        };
        self.requests.with_label_values(&[label, if ok { "ok" } else { "error" }]).inc();
        self.latency.with_label_values(&[label]).observe(elapsed.as_secs_f64());
    }

    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out).expect("text encoding never fails");
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    /// Metrics that know no operation by name.
    fn default() -> Metrics {
        Metrics::new([])
    }
}

/// A store that times every call it passes on.
pub struct MeteredStore {
    inner: Arc<dyn Store>,
    metrics: Metrics,
}

impl MeteredStore {
    pub fn new(inner: Arc<dyn Store>, metrics: Metrics) -> MeteredStore {
        MeteredStore { inner, metrics }
    }

    async fn timed<T>(&self, call: &str, work: impl std::future::Future<Output = T>) -> T {
        let started = Instant::now();
        let result = work.await;
        self.metrics.store_calls.with_label_values(&[call]).observe(started.elapsed().as_secs_f64());
        result
    }
}

#[async_trait]
impl Store for MeteredStore {
    async fn ingest(&self, observation: &Observation) -> StoreResult<Run> {
        self.timed("ingest", self.inner.ingest(observation)).await
    }
    async fn ingest_batch(&self, observations: &[Observation]) -> Result<Vec<Run>, BatchError> {
        self.timed("ingest_batch", self.inner.ingest_batch(observations)).await
    }
    async fn rollback(&self, source: &str, scope: &str, day: Day) -> StoreResult<Rollback> {
        self.timed("rollback", self.inner.rollback(source, scope, day)).await
    }
    async fn rollbacks(&self) -> StoreResult<Vec<Rollback>> {
        self.timed("rollbacks", self.inner.rollbacks()).await
    }
    async fn record_failure(&self, source: &str, scope: &str, day: Day, error: &str) -> StoreResult<Run> {
        self.timed("record_failure", self.inner.record_failure(source, scope, day, error)).await
    }
    async fn latest_day(&self) -> StoreResult<Option<Day>> {
        self.timed("latest_day", self.inner.latest_day()).await
    }
    async fn entity(&self, key: &str, day: Day) -> StoreResult<Option<EntityState>> {
        self.timed("entity", self.inner.entity(key, day)).await
    }
    async fn search(&self, query: &SearchQuery) -> StoreResult<Vec<Entity>> {
        self.timed("search", self.inner.search(query)).await
    }
    async fn relations(
        &self,
        key: &str,
        day: Day,
        direction: Direction,
        kinds: &[String],
    ) -> StoreResult<Vec<Relation>> {
        self.timed("relations", self.inner.relations(key, day, direction, kinds)).await
    }
    async fn traverse(&self, traversal: &Traversal) -> StoreResult<Subgraph> {
        self.timed("traverse", self.inner.traverse(traversal)).await
    }
    async fn timeline(
        &self,
        key: &str,
        path: &str,
        from: Day,
        to: Day,
        source: Option<&str>,
    ) -> StoreResult<Vec<ChangePoint>> {
        self.timed("timeline", self.inner.timeline(key, path, from, to, source)).await
    }
    async fn changes(&self, from: Day, to: Day) -> StoreResult<Changes> {
        self.timed("changes", self.inner.changes(from, to)).await
    }
    async fn runs(&self, filter: &RunFilter) -> StoreResult<Vec<Run>> {
        self.timed("runs", self.inner.runs(filter)).await
    }
    async fn stats(&self) -> StoreResult<StoreStats> {
        self.timed("stats", self.inner.stats()).await
    }
    async fn relation_history(
        &self,
        key: &str,
        direction: Direction,
        kinds: &[String],
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<Relation>> {
        self.timed("relation_history", self.inner.relation_history(key, direction, kinds, from, to)).await
    }
    async fn neighbours(&self, keys: &[String], rule: &EdgeRule, day: Day) -> StoreResult<Vec<(String, String)>> {
        self.timed("neighbours", self.inner.neighbours(keys, rule, day)).await
    }
    async fn attribute_values(
        &self,
        kind: &str,
        path: &str,
        source: Option<&str>,
        day: Day,
    ) -> StoreResult<Vec<AttributeValue>> {
        self.timed("attribute_values", self.inner.attribute_values(kind, path, source, day)).await
    }
    async fn entities_of_kind(&self, kind: &str, day: Day) -> StoreResult<Vec<SeenEntity>> {
        self.timed("entities_of_kind", self.inner.entities_of_kind(kind, day)).await
    }
    async fn relation_values(&self, kind: &str, path: &str, day: Day) -> StoreResult<Vec<RelationValue>> {
        self.timed("relation_values", self.inner.relation_values(kind, path, day)).await
    }
    async fn relation_value_versions(
        &self,
        kind: &str,
        path: &str,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<RelationValueVersion>> {
        self.timed("relation_value_versions", self.inner.relation_value_versions(kind, path, from, to)).await
    }
    async fn acquire_lease(&self, name: &str, holder: &str, now_ms: i64, until_ms: i64) -> StoreResult<bool> {
        self.timed("acquire_lease", self.inner.acquire_lease(name, holder, now_ms, until_ms)).await
    }
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        self.timed("release_lease", self.inner.release_lease(name, holder)).await
    }
    async fn prune(&self, source: &str, closed_before: Day) -> StoreResult<Pruned> {
        self.timed("prune", self.inner.prune(source, closed_before)).await
    }
    async fn export(&self, sink: tokio::sync::mpsc::Sender<crate::transfer::Record>) -> StoreResult<()> {
        self.timed("export", self.inner.export(sink)).await
    }
    async fn import(
        &self,
        records: tokio::sync::mpsc::Receiver<crate::transfer::Incoming>,
    ) -> StoreResult<crate::transfer::Imported> {
        self.timed("import", self.inner.import(records)).await
    }
    async fn record_deployment(&self, event: &DeployEvent) -> StoreResult<()> {
        self.timed("record_deployment", self.inner.record_deployment(event)).await
    }
    async fn deployments(
        &self,
        service: &str,
        cluster: Option<&str>,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<DeployEvent>> {
        self.timed("deployments", self.inner.deployments(service, cluster, from, to)).await
    }
}
