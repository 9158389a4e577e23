//! The ArangoDB store: the same temporal graph as the embedded store, on
//! ArangoDB, for production and scale. See docs/arangodb.md.
//!
//! Talks to the HTTP API directly with reqwest (see docs/arangodb.md, "Why
//! not arangors"); every query is an AQL file in `queries/arangodb`, every
//! collection, the graph and every index are declared in
//! `schema/arangodb/schema.json`.
//!
//! Writes are atomic without one huge transaction: an ingest opens an
//! attempt (one run document), writes its versions in batches under
//! deterministic keys, each marked with the attempt's token, then commits
//! by one write to the run document. Readers hide whatever an attempt still
//! writing has written; a crash leaves the last committed state readable,
//! and the next ingest of the scope undoes the remains before it starts.

mod actions;
mod attempt;
mod changes;
mod config;
mod endpoints;
mod graph;
pub mod http;
mod keys;
mod plan;
pub mod queries;
mod read;
pub mod requests;
mod rollback;
pub mod schema;
mod transfer;
mod write;

#[cfg(test)]
mod aql_check;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use spot_model::Observation;

pub use config::ArangoConfig;
pub use schema::Migrated;

use super::{BatchError, Refusal, Store, StoreError, StoreResult};
use crate::model::*;
use http::Client;

/// Options for an [`ArangoStore`], for tests.
#[derive(Debug, Clone, Default)]
pub struct ArangoOptions {
    /// Test hook: stop every ingest after this many document writes, as a
    /// crash would (nothing is undone), to prove that readers still see the
    /// last committed state and that the next ingest recovers.
    pub fail_after_writes: Option<u64>,
    /// `[ingest]`: the future-day allowance every ingest is checked against.
    pub ingest: crate::ingest::IngestConfig,
}

#[derive(Clone)]
pub struct ArangoStore {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    client: Client,
    options: ArangoOptions,
    /// Names this process in leases.
    holder: String,
    /// Create the database as OneShard.
    one_shard: bool,
}

/// The ArangoDB store has never run against a live server (none can be
/// installed where SPoT is built): whoever selects it hears so once per
/// process, until a run against a server is recorded in docs/arangodb.md.
fn warn_unverified() {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        tracing::warn!(
            "the ArangoDB store has not been verified against a live ArangoDB server; read \"Not verified against a \
             live server\" in docs/arangodb.md before relying on it"
        );
    });
}

impl ArangoStore {
    /// A store handle; nothing is sent until it is used (see
    /// [`ArangoStore::connect`] for one that checks the server first).
    pub fn new(config: &ArangoConfig, options: ArangoOptions) -> StoreResult<ArangoStore> {
        let location = || format!("ArangoDB at {} (database '{}')", config.url, config.database);
        let problems = config.problems();
        if !problems.is_empty() {
            return Err(StoreError::Open { path: location(), reason: problems.join("; ") });
        }
        let credentials = config.credentials().map_err(|reason| StoreError::Open { path: location(), reason })?;
        let client = Client::new(&config.url, &config.database, credentials, config.timeout())?;
        let holder = format!("spot-{}", keys::token());
        Ok(ArangoStore { inner: Arc::new(Inner { client, options, holder, one_shard: config.one_shard }) })
    }

    /// Connects: checks the server answers, is a supported version, and
    /// holds the database (creating it when the config says so).
    pub async fn connect(config: &ArangoConfig) -> StoreResult<ArangoStore> {
        ArangoStore::connect_with(config, ArangoOptions::default()).await
    }

    /// [`ArangoStore::connect`] with options (the `[ingest]` rules).
    pub async fn connect_with(config: &ArangoConfig, options: ArangoOptions) -> StoreResult<ArangoStore> {
        warn_unverified();
        let store = ArangoStore::new(config, options)?;
        if config.create_database {
            store.create_database().await?;
        }
        store.check_server().await?;
        Ok(store)
    }

    /// The server's version, refused when SPoT does not support it; a
    /// missing database is an error here.
    pub async fn check_server(&self) -> StoreResult<String> {
        let client = &self.inner.client;
        let version = client.version().await?;
        schema::check_version(&version).map_err(|reason| StoreError::Open { path: client.location(), reason })?;
        Ok(version)
    }

    /// Creates the database if it does not exist; true when it was new.
    pub async fn create_database(&self) -> StoreResult<bool> {
        self.inner.client.create_database(self.inner.one_shard).await
    }

    /// Drops the database with everything in it (the conformance tests'
    /// fresh databases).
    pub async fn drop_database(&self) -> StoreResult<()> {
        self.inner.client.drop_database().await
    }

    /// Creates what the schema needs and is missing, then finishes or
    /// undoes every attempt a crashed ingest left (when no live process
    /// holds its scope).
    pub async fn migrate(&self) -> StoreResult<Migrated> {
        self.check_server().await?;
        let migrated = schema::migrate(&self.inner.client).await?;
        attempt::settle_abandoned(&self.inner).await?;
        Ok(migrated)
    }

    /// What the schema needs that the database lacks (empty: ready).
    pub async fn missing(&self) -> StoreResult<Vec<String>> {
        schema::missing(&self.inner.client).await
    }

    /// Where the store is, for messages.
    pub fn location(&self) -> String {
        self.inner.client.location()
    }
}

impl Inner {
    async fn query(&self, query: queries::Query) -> StoreResult<Vec<Value>> {
        self.client.query(&query, None).await
    }

    /// The first result of a query, if any.
    async fn query_one(&self, query: queries::Query) -> StoreResult<Option<Value>> {
        Ok(self.query(query).await?.into_iter().next())
    }
}

/// A result field that must be there: a decoding error names it.
pub(crate) fn field<'a>(row: &'a Value, name: &str, doing: &str) -> StoreResult<&'a Value> {
    row.get(name).ok_or_else(|| StoreError::Backend {
        doing: doing.to_string(),
        source: format!("a result lacks '{name}': {}", abbreviate(row)).into(),
    })
}

pub(crate) fn text(row: &Value, name: &str, doing: &str) -> StoreResult<String> {
    field(row, name, doing)?.as_str().map(str::to_string).ok_or_else(|| StoreError::Backend {
        doing: doing.to_string(),
        source: format!("'{name}' is not text in {}", abbreviate(row)).into(),
    })
}

pub(crate) fn int(row: &Value, name: &str, doing: &str) -> StoreResult<i64> {
    field(row, name, doing)?.as_i64().ok_or_else(|| StoreError::Backend {
        doing: doing.to_string(),
        source: format!("'{name}' is not an integer in {}", abbreviate(row)).into(),
    })
}

pub(crate) fn day(row: &Value, name: &str, doing: &str) -> StoreResult<Day> {
    Ok(Day(int(row, name, doing)? as i32))
}

pub(crate) fn object(row: &Value, name: &str) -> serde_json::Map<String, Value> {
    row.get(name).and_then(Value::as_object).cloned().unwrap_or_default()
}

fn abbreviate(row: &Value) -> String {
    let text = row.to_string();
    if text.len() > 200 {
        format!("{}…", &text[..text.char_indices().take_while(|(i, _)| *i < 200).last().map_or(0, |(i, _)| i)])
    } else {
        text
    }
}

#[async_trait]
impl Store for ArangoStore {
    async fn ingest(&self, observation: &Observation) -> StoreResult<Run> {
        observation.validate().map_err(Refusal::Invalid)?;
        self.inner.options.ingest.check_day(&observation.source, &observation.scope, observation.day)?;
        write::ingest(&self.inner, observation).await
    }

    async fn ingest_batch(&self, observations: &[Observation]) -> Result<Vec<Run>, BatchError> {
        write::ingest_batch(&self.inner, observations).await
    }

    async fn rollback(&self, source: &str, scope: &str, day: Day) -> StoreResult<Rollback> {
        rollback::rollback(&self.inner, source, scope, day).await
    }

    async fn rollbacks(&self) -> StoreResult<Vec<Rollback>> {
        rollback::rollbacks(&self.inner).await
    }

    async fn record_failure(&self, source: &str, scope: &str, day: Day, error: &str) -> StoreResult<Run> {
        self.inner.options.ingest.check_day(source, scope, day)?;
        write::record_failure(&self.inner, source, scope, day, error).await
    }

    async fn latest_day(&self) -> StoreResult<Option<Day>> {
        read::latest_day(&self.inner).await
    }

    async fn entity(&self, key: &str, day: Day) -> StoreResult<Option<EntityState>> {
        read::entity(&self.inner, key, day).await
    }

    async fn search(&self, query: &SearchQuery) -> StoreResult<Vec<Entity>> {
        read::search(&self.inner, query).await
    }

    async fn relations(
        &self,
        key: &str,
        day: Day,
        direction: Direction,
        kinds: &[String],
    ) -> StoreResult<Vec<Relation>> {
        graph::relations(&self.inner, key, day, direction, kinds).await
    }

    async fn traverse(&self, traversal: &Traversal) -> StoreResult<Subgraph> {
        super::check_traversal(traversal)?;
        graph::traverse(&self.inner, traversal).await
    }

    async fn timeline(
        &self,
        key: &str,
        path: &str,
        from: Day,
        to: Day,
        source: Option<&str>,
    ) -> StoreResult<Vec<ChangePoint>> {
        super::check_range(from, to)?;
        read::timeline(&self.inner, key, path, from, to, source).await
    }

    async fn changes(&self, from: Day, to: Day) -> StoreResult<Changes> {
        super::check_range(from, to)?;
        changes::changes(&self.inner, from, to).await
    }

    async fn runs(&self, filter: &RunFilter) -> StoreResult<Vec<Run>> {
        if let (Some(from), Some(to)) = (filter.from, filter.to) {
            super::check_range(from, to)?;
        }
        read::runs(&self.inner, filter).await
    }

    async fn relation_history(
        &self,
        key: &str,
        direction: Direction,
        kinds: &[String],
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<Relation>> {
        super::check_range(from, to)?;
        graph::relation_history(&self.inner, key, direction, kinds, from, to).await
    }

    async fn neighbours(&self, keys: &[String], rule: &EdgeRule, day: Day) -> StoreResult<Vec<(String, String)>> {
        graph::neighbours(&self.inner, keys, rule, day).await
    }

    async fn attribute_values(
        &self,
        kind: &str,
        path: &str,
        source: Option<&str>,
        day: Day,
    ) -> StoreResult<Vec<AttributeValue>> {
        read::attribute_values(&self.inner, kind, path, source, day).await
    }

    async fn entities_of_kind(&self, kind: &str, day: Day) -> StoreResult<Vec<SeenEntity>> {
        read::entities_of_kind(&self.inner, kind, day).await
    }

    async fn attribute_value_versions(
        &self,
        kind: &str,
        path: &str,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<AttributeValueVersion>> {
        read::attribute_value_versions(&self.inner, kind, path, from, to).await
    }

    async fn relation_spans(&self, kind: &str, from: Day, to: Day) -> StoreResult<Vec<RelationSpan>> {
        read::relation_spans(&self.inner, kind, from, to).await
    }

    async fn relation_value_versions(
        &self,
        kind: &str,
        path: &str,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<RelationValueVersion>> {
        read::relation_value_versions(&self.inner, kind, path, from, to).await
    }

    async fn record_deployments(&self, events: &[DeployEvent]) -> StoreResult<()> {
        // The whole batch is checked before anything is written.
        for event in events {
            self.inner.options.ingest.check_deploy(event)?;
        }
        read::record_deployments(&self.inner, events).await
    }

    async fn record_actions(&self, batch: &ActionBatch) -> StoreResult<ActionsRecorded> {
        actions::record(&self.inner, batch).await
    }

    async fn actions(&self, filter: &ActionFilter) -> StoreResult<Vec<Action>> {
        super::check_action_filter(filter)?;
        actions::select(&self.inner, filter).await
    }

    async fn remembered(&self, cluster: &str) -> StoreResult<Vec<Remembered>> {
        actions::remembered(&self.inner, cluster).await
    }

    async fn prune_actions(&self, before: chrono::DateTime<chrono::Utc>) -> StoreResult<u64> {
        actions::prune(&self.inner, before).await
    }

    async fn deploys(&self, filter: &DeployFilter) -> StoreResult<Vec<DeployEvent>> {
        super::check_deploy_filter(filter)?;
        read::deploys(&self.inner, filter).await
    }

    async fn stats(&self) -> StoreResult<StoreStats> {
        read::stats(&self.inner).await
    }

    async fn acquire_lease(&self, name: &str, holder: &str, now_ms: i64, until_ms: i64) -> StoreResult<bool> {
        attempt::acquire_lease(&self.inner, name, holder, now_ms, until_ms).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        self.inner.query(queries::release_lease(name, holder)).await.map(|_| ())
    }

    async fn prune(&self, source: &str, closed_before: Day) -> StoreResult<Pruned> {
        write::prune(&self.inner, source, closed_before).await
    }

    async fn export(&self, sink: tokio::sync::mpsc::Sender<crate::transfer::Record>) -> StoreResult<()> {
        transfer::export(&self.inner, sink).await
    }

    async fn import(
        &self,
        records: tokio::sync::mpsc::Receiver<crate::transfer::Incoming>,
    ) -> StoreResult<crate::transfer::Imported> {
        transfer::import(&self.inner, records).await
    }
}
