//! Prometheus metrics at `/metrics`: requests and latencies per GraphQL
//! operation, and the time spent in each store call.

use std::sync::Arc;
use std::time::{Duration, Instant};

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};

use crate::store::layer::{Around, Call, Layered, Method};
use crate::store::Store;

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Operation names counted under their own label; any other is `other`.
    known_operations: Arc<rustc_hash::FxHashSet<String>>,
    requests: IntCounterVec,
    latency: HistogramVec,
    store_calls: HistogramVec,
    /// WebSockets open now.
    sockets: IntGauge,
    /// WebSockets closed by the server or the client, by why.
    socket_closes: IntCounterVec,
    /// Subscribers of the live feed, set when `/metrics` is read.
    live_subscribers: IntGauge,
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
        let sockets = IntGauge::new("spot_websocket_sockets", "WebSockets open (/graphql/ws)").expect("a valid metric");
        let socket_closes = IntCounterVec::new(
            Opts::new("spot_websocket_closes_total", "WebSockets closed, by reason (docs/security.md)"),
            &["reason"],
        )
        .expect("a valid metric");
        let live_subscribers =
            IntGauge::new("spot_live_subscribers", "Subscriptions listening to the live feed").expect("a valid metric");
        for metric in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(store_calls.clone()),
            Box::new(sockets.clone()),
            Box::new(socket_closes.clone()),
            Box::new(live_subscribers.clone()),
        ] {
            registry.register(metric).expect("metrics register once");
        }
        let known_operations = Arc::new(known_operations.into_iter().collect());
        Metrics { registry, known_operations, requests, latency, store_calls, sockets, socket_closes, live_subscribers }
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

    /// A socket opened; the returned guard counts it closed when dropped.
    pub fn socket_opened(&self) -> SocketCount {
        self.sockets.inc();
        SocketCount(self.sockets.clone())
    }

    /// A socket closed, for `reason` (one of a few fixed words).
    pub fn socket_closed(&self, reason: &'static str) {
        self.socket_closes.with_label_values(&[reason]).inc();
    }

    pub fn set_live_subscribers(&self, subscribers: usize) {
        self.live_subscribers.set(subscribers as i64);
    }

    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out).expect("text encoding never fails");
        String::from_utf8(out).unwrap_or_default()
    }
}

/// One open socket in `spot_websocket_sockets`, until dropped.
pub struct SocketCount(IntGauge);

impl Drop for SocketCount {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Default for Metrics {
    /// Metrics that know no operation by name.
    fn default() -> Metrics {
        Metrics::new([])
    }
}

/// A store that times every call it passes on, by method name.
pub type MeteredStore = Layered<StoreTiming>;

/// The timing layer of [`MeteredStore`].
pub struct StoreTiming(Metrics);

impl StoreTiming {
    pub fn store(inner: Arc<dyn Store>, metrics: Metrics) -> MeteredStore {
        Layered::new(inner, StoreTiming(metrics))
    }
}

impl Around for StoreTiming {
    fn around<'a, T: Send + 'a>(&'a self, method: Method, call: Call<'a, T>) -> Call<'a, T> {
        Box::pin(async move {
            let started = Instant::now();
            let result = call.await;
            self.0.store_calls.with_label_values(&[method.name()]).observe(started.elapsed().as_secs_f64());
            result
        })
    }
}
