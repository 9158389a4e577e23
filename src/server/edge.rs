//! The edge every GraphQL operation passes, over HTTP (`POST /graphql`)
//! and over WebSocket (`/graphql/ws`) alike: the document parsed once and
//! its fragments counted before validation (`api::Documents`), depth and
//! complexity, the request deadline (the work is dropped when it passes,
//! and CPU-bound resolvers see it as [`Deadline`]), errors bounded and
//! coded, fields in the order the query selects them, and one entity cache
//! per operation. The transports only carry bytes and credentials; what an
//! operation may cost is decided here, once.

use std::time::{Duration, Instant};

use async_graphql::parser::types::OperationType;
use async_graphql::{Response, ServerError};
use futures_util::stream::{BoxStream, StreamExt};

use super::metrics::Metrics;
use crate::api::{self, Api, Deadline, Documents, Entities, Grants, Limits, Prepared, SpotSchema};

pub struct Edge {
    schema: SpotSchema,
    /// Parsed once per distinct query text.
    documents: Documents,
    limits: Limits,
    timeout: Duration,
    metrics: Option<Metrics>,
}

/// A request the edge accepted, ready to run.
pub struct Operation {
    request: async_graphql::Request,
    prepared: Prepared,
    deadline: tokio::time::Instant,
}

impl Edge {
    /// `timeout` bounds every query and mutation; `metrics`, when given,
    /// counts each by operation name.
    pub fn new(schema: SpotSchema, limits: Limits, timeout: Duration, metrics: Option<Metrics>) -> Edge {
        Edge { documents: Documents::new(limits.complexity), schema, limits, timeout, metrics }
    }

    /// The request time limit (`server.request_timeout_ms`).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Prepares `request` for `grants` to run by `deadline`: parsed, its
    /// fragments counted, the caller's grants and the deadline in its data.
    /// A document refused here never reaches async-graphql.
    pub fn prepare(
        &self,
        mut request: async_graphql::Request,
        grants: Grants,
        deadline: tokio::time::Instant,
    ) -> Result<Operation, ServerError> {
        let prepared = self.documents.prepare(&mut request)?;
        let mut request = request.data(grants);
        // A query or mutation has a deadline and one entity cache; a
        // subscription lives for hours, so it has neither, and reads the
        // store afresh for each event (`api::context::load_entity`).
        if prepared.kind != Some(OperationType::Subscription) {
            request = request.data(Deadline(deadline));
            if let Some(api) = self.schema.data::<Api>() {
                request = request.data(Entities::new(api.store.clone()));
            }
        }
        Ok(Operation { request, prepared, deadline })
    }

    /// Runs a query or mutation: returns its operation's name (for the
    /// metrics) and its response, an error coded `TIMEOUT` past `deadline`.
    pub async fn execute(
        &self,
        request: async_graphql::Request,
        grants: Grants,
        deadline: tokio::time::Instant,
    ) -> (String, Response) {
        match self.prepare(request, grants, deadline) {
            Ok(operation) => {
                let name = operation.name().to_string();
                (name, self.run(operation).await)
            }
            Err(error) => (String::new(), Response::from_errors(vec![error])),
        }
    }

    /// Runs a prepared query or mutation to its one response.
    pub async fn run(&self, operation: Operation) -> Response {
        let started = Instant::now();
        let Operation { request, prepared, deadline } = operation;
        let response = match tokio::time::timeout_at(deadline, self.schema.execute(request)).await {
            Ok(response) => self.finish(&prepared, response),
            Err(_) => Response::from_errors(vec![api::coded_error(self.timed_out(), None, "TIMEOUT")]),
        };
        if let Some(metrics) = &self.metrics {
            metrics.request(&prepared.operation, response.errors.is_empty(), started.elapsed());
        }
        response
    }

    /// A prepared subscription as the stream of its responses, each
    /// ordered and its errors bounded like any other.
    pub fn stream(self: &std::sync::Arc<Self>, operation: Operation) -> BoxStream<'static, Response> {
        let edge = self.clone();
        let Operation { request, prepared, .. } = operation;
        self.schema.execute_stream(request).map(move |response| edge.finish(&prepared, response)).boxed()
    }

    fn finish(&self, prepared: &Prepared, mut response: Response) -> Response {
        prepared.order(&mut response);
        api::explain_limits(response, &self.limits)
    }

    /// What a request past its deadline is told.
    pub fn timed_out(&self) -> String {
        format!("request took longer than {} ms (server.request_timeout_ms)", self.timeout.as_millis())
    }
}

impl Operation {
    /// The operation's name; empty when anonymous.
    pub fn name(&self) -> &str {
        &self.prepared.operation
    }

    pub fn is_subscription(&self) -> bool {
        self.prepared.kind == Some(OperationType::Subscription)
    }
}
