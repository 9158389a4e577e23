//! What every resolver reaches through the GraphQL context: the store, the
//! limits, the caller's scopes, and a per-request entity loader.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Error, ErrorExtensions, Result};

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
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { depth: 16, complexity: 5_000, page_size: 500, trend_buckets: 400 }
    }
}

/// Shared by every request.
pub struct Api {
    pub store: Arc<dyn Store>,
    pub limits: Limits,
    /// The collectors this server runs, when it runs any.
    pub scheduler: Option<Arc<crate::scheduler::Scheduler>>,
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
        StoreError::Invalid(_) | StoreError::OlderDay { .. } | StoreError::BadRequest(_) => "BAD_REQUEST",
        _ => "STORE_FAILURE",
    };
    if code == "STORE_FAILURE" {
        tracing::error!(error = %error, "store failure answering a GraphQL request");
    }
    coded(error.to_string(), code)
}

/// Loads entities as of a day in batches: one store call per distinct
/// (key, day) in a request, however many fields ask.
pub struct EntityLoader {
    pub store: Arc<dyn Store>,
}

impl Loader<(String, Day)> for EntityLoader {
    type Value = Arc<EntityState>;
    type Error = Arc<StoreError>;

    async fn load(
        &self,
        keys: &[(String, Day)],
    ) -> std::result::Result<HashMap<(String, Day), Self::Value>, Self::Error> {
        let mut found = HashMap::with_capacity(keys.len());
        for (key, day) in keys {
            if let Some(state) = self.store.entity(key, *day).await.map_err(Arc::new)? {
                found.insert((key.clone(), *day), Arc::new(state));
            }
        }
        Ok(found)
    }
}

/// Cached for one request: every field of an entity (facts, attributes,
/// first and last seen) reads it once.
pub type Entities = DataLoader<EntityLoader, async_graphql::dataloader::HashMapCache>;

pub async fn load_entity(ctx: &Context<'_>, key: &str, day: Day) -> Result<Option<Arc<EntityState>>> {
    api(ctx, Scope::Read)?;
    let loader = ctx.data::<Entities>()?;
    loader.load_one((key.to_string(), day)).await.map_err(|e| coded(e.to_string(), "STORE_FAILURE"))
}
