//! What every resolver reaches through the GraphQL context: the store, the
//! limits, the caller's scopes, and a per-request entity cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::{Context, Error, ErrorExtensions, Result};
use tokio::sync::OnceCell;

use super::auth::{Grants, Scope};
use crate::model::{Day, EntityState};
use crate::store::{Store, StoreError};

/// Limits the API enforces; every rejection names the limit it hit.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Deepest query nesting accepted.
    pub depth: usize,
    /// Highest query complexity accepted (one per field, lists × `first`).
    pub complexity: usize,
    /// Largest page (`first`) of a connection or search.
    pub page_size: usize,
    /// Most buckets one trend may return.
    pub trend_buckets: usize,
    /// Longest `search` text, in characters.
    pub search_text: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { depth: 16, complexity: 5_000, page_size: 500, trend_buckets: 400, search_text: 256 }
    }
}

/// Shared by every request.
pub struct Api {
    pub store: Arc<dyn Store>,
    pub limits: Limits,
    /// `[links]`, checked: the templates of every object's `links`.
    pub links: crate::links::Links,
    /// The collectors this server runs, when it runs any.
    pub scheduler: Option<Arc<crate::scheduler::Scheduler>>,
    /// `[delivery]`: environments and the fix-forward window (docs/dora.md).
    pub delivery: crate::delivery::Delivery,
    /// `[scorecards]`, checked (docs/scorecards.md).
    pub scorecards: Arc<crate::scorecards::Scorecards>,
    /// Scored days, dropped on every write through the store.
    pub score_cache: Arc<crate::scorecards::cache::ScoreCache>,
}

/// When the operation being answered must be done by: the edge
/// (`server/edge.rs`) puts one in every query's and mutation's data, over
/// HTTP and over WebSocket alike. Dropping a timed-out future stops async
/// work at its next await; work that computes for long without awaiting
/// (scoring, hygiene trends) asks [`crate::store::on_time`] as it goes, so it
/// stops too.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(pub tokio::time::Instant);

/// The deadline of the request `ctx` answers, if it has one (requests run
/// by tests and by the CLI may have none).
pub fn deadline(ctx: &Context<'_>) -> Option<Deadline> {
    ctx.data_opt::<Deadline>().copied()
}

/// The API's view of the caller, checked by every resolver before it reads
/// or writes.
pub fn api<'a>(ctx: &Context<'a>, scope: Scope) -> Result<&'a Api> {
    let grants = ctx.data::<Grants>()?;
    grants.require(scope)?;
    ctx.data::<Api>()
}

pub fn store<'a>(ctx: &Context<'a>) -> Result<&'a dyn Store> {
    Ok(api(ctx, Scope::Read)?.store.as_ref())
}

/// The day a read is about: the one asked for, or the latest committed day.
pub async fn resolve_day(ctx: &Context<'_>, at: Option<Day>) -> Result<Day> {
    if let Some(day) = at {
        return Ok(day);
    }
    store(ctx)?
        .latest_day()
        .await
        .map_err(store_error)?
        .ok_or_else(|| coded("the store holds no committed run yet", "NO_DATA"))
}

pub fn coded(message: impl Into<String>, code: &'static str) -> Error {
    Error::new(message).extend_with(|_, e| e.set("code", code))
}

pub fn bad_request(message: impl Into<String>) -> Error {
    coded(message, "BAD_REQUEST")
}

pub fn store_error(error: StoreError) -> Error {
    let code = match &error {
        StoreError::NotFound { .. } => "NOT_FOUND",
        StoreError::Refused(_) | StoreError::BadRequest(_) => "BAD_REQUEST",
        StoreError::PastDeadline => "TIMEOUT",
        _ => "STORE_FAILURE",
    };
    if code == "STORE_FAILURE" {
        tracing::error!(error = %error, "store failure answering a GraphQL request");
    }
    coded(error.to_string(), code)
}

/// Entities as of a day, read once per request: every field of an entity
/// (facts, attributes, first and last seen) shares one store read, and
/// fields asking at the same time wait for the same read. A plain map of
/// cells rather than async-graphql's DataLoader, which spawns a task per
/// batch: the store's entity read is a single indexed lookup, cheaper than
/// the task and the thread handoff.
pub struct Entities {
    store: Arc<dyn Store>,
    loaded: Mutex<HashMap<(String, Day), Arc<EntityCell>>>,
}

/// One entity's read, done once; `None` when no source saw it that day.
type EntityCell = OnceCell<Option<Arc<EntityState>>>;

impl Entities {
    pub fn new(store: Arc<dyn Store>) -> Entities {
        Entities { store, loaded: Mutex::default() }
    }

    async fn load(&self, key: &str, day: Day) -> std::result::Result<Option<Arc<EntityState>>, StoreError> {
        let cell = {
            let mut loaded = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
            loaded.entry((key.to_string(), day)).or_default().clone()
        };
        // A failed read is not kept: the next field asking tries again.
        let state =
            cell.get_or_try_init(|| async { Ok::<_, StoreError>(self.store.entity(key, day).await?.map(Arc::new)) });
        state.await.cloned()
    }
}

/// An entity as of a day: through the operation's cache when it has one.
/// A subscription has none: it lives for hours, and a cache kept that long
/// would answer what the store held when it started.
pub async fn load_entity(ctx: &Context<'_>, key: &str, day: Day) -> Result<Option<Arc<EntityState>>> {
    let api = api(ctx, Scope::Read)?;
    match ctx.data_opt::<Entities>() {
        Some(entities) => entities.load(key, day).await.map_err(store_error),
        None => Ok(api.store.entity(key, day).await.map_err(store_error)?.map(Arc::new)),
    }
}
