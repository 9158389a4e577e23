//! The GraphQL API: one module per domain, merged into one schema.
//!
//! Every read takes an optional `at: Date` and defaults to the latest
//! committed day. Every resolver checks the caller's scope first; limits on
//! depth, complexity, page sizes, traversal depth and trend buckets are
//! enforced with errors that name the limit.

mod actions;
pub mod auth;
mod changes;
mod collection;
pub mod context;
mod declared;
mod delivery;
mod deploy_counts;
mod deploys;
mod documents;
mod drift;
mod entity;
mod expansion;
mod graph;
mod hygiene;
pub mod links;
mod managed_versions;
mod mutation;
mod order;
mod outdated;
mod outdated_coverage;
mod packages;
mod plain;
mod reports;
mod scalars;
pub mod scorecards;
mod service;
mod service_code;
mod time;

use std::sync::Arc;

use async_graphql::{MergedObject, Schema};

pub use auth::{Grants, Scope};
pub use context::{Api, Deadline, Entities, Limits};
pub use documents::{coded_error, Documents, Prepared};

use crate::delivery::Delivery;
use crate::links::Links;
use crate::scheduler::Scheduler;
use crate::scorecards::cache::ScoreCache;
use crate::scorecards::Scorecards;
use crate::store::Store;
use crate::watch::Feed;

#[derive(MergedObject, Default)]
pub struct Query(
    entity::EntityQuery,
    graph::GraphQuery,
    time::TimeQuery,
    deploys::DeployQuery,
    reports::ReportQuery,
    collection::CollectionQuery,
    drift::DriftQuery,
    outdated::OutdatedQuery,
    packages::PackageQuery,
    deploy_counts::DeployCountQuery,
    hygiene::HygieneQuery,
    actions::ActionQuery,
    delivery::DeliveryQuery,
    scorecards::ScorecardQuery,
    changes::ChangesQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(mutation::IngestMutation, deploys::DeployMutation, collection::CollectionMutation);

#[derive(async_graphql::MergedSubscription, Default)]
pub struct Subscription(actions::LiveSubscription, changes::ChangeSubscription);

pub type SpotSchema = Schema<Query, Mutation, Subscription>;

/// The schema over a store, without link templates. Per-request data
/// (grants, the entity loader) is added by [`request`].
pub fn schema(store: Arc<dyn Store>, limits: Limits) -> SpotSchema {
    schema_with_scheduler(
        store,
        limits,
        Links::default(),
        None,
        Feed::default(),
        Delivery::default(),
        Scoring::default(),
    )
}

/// The scorecards a server scores by, and the scored days it keeps
/// (docs/scorecards.md). The schema wraps its store so that the cache
/// hears of its writes ([`ScoreCache::watching`]); whatever else writes
/// (a scheduler) must write through that same wrapped store.
#[derive(Clone, Default)]
pub struct Scoring {
    pub scorecards: Arc<Scorecards>,
    pub cache: Arc<ScoreCache>,
}

/// The schema of a server that also renders `[links]`, runs collectors
/// (`triggerCollection`, and the expected scopes of `snapshots`),
/// publishes what happens live on `feed` (the subscriptions), judges
/// deploys by `[delivery]` and scores services by its scorecards.
pub fn schema_with_scheduler(
    store: Arc<dyn Store>,
    limits: Limits,
    links: Links,
    scheduler: Option<Arc<Scheduler>>,
    feed: Feed,
    delivery: Delivery,
    scoring: Scoring,
) -> SpotSchema {
    let store = scoring.cache.watching(store);
    Schema::build(Query::default(), Mutation::default(), Subscription::default())
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .data(Api {
            store,
            limits,
            links,
            scheduler,
            delivery,
            scorecards: scoring.scorecards,
            score_cache: scoring.cache,
        })
        .data(feed)
        .finish()
}

/// A request with its caller's grants and a fresh entity cache (one per
/// request: nothing stale survives an ingest).
pub fn request(schema: &SpotSchema, request: async_graphql::Request, grants: Grants) -> async_graphql::Request {
    let store = schema.data::<Api>().map(|api| api.store.clone());
    let request = request.data(grants);
    match store {
        Some(store) => request.data(Entities::new(store)),
        None => request,
    }
}

/// Rewrites async-graphql's limit messages so they name the limit, gives
/// them and its validation errors an `extensions.code` like every other
/// error, and bounds every message: async-graphql's validation quotes the
/// values it refuses, and a value may be a megabyte of text.
pub fn explain_limits(mut response: async_graphql::Response, limits: &Limits) -> async_graphql::Response {
    for error in &mut response.errors {
        let (message, code) = match error.message.as_str() {
            "Query is nested too deep." => {
                (format!("query is nested deeper than {} levels (limits.depth)", limits.depth), "QUERY_TOO_DEEP")
            }
            "Query is too complex." => {
                (format!("query is more complex than {} (limits.complexity)", limits.complexity), "QUERY_TOO_COMPLEX")
            }
            // Resolvers code their errors; what is left comes from
            // async-graphql's validation of the document and its variables.
            other => (collectors::untrusted::one_line(other), "GRAPHQL_VALIDATION_FAILED"),
        };
        error.message = message;
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", code);
        }
    }
    response
}

/// The schema in SDL, as committed in `schema/spot.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), Subscription::default()).finish().sdl()
}
