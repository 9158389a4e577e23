//! Which store a command uses: `[store.arangodb]` when it is configured,
//! otherwise the SQLite file at `store.path` (the default).

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::arango::{ArangoConfig, ArangoOptions, ArangoStore};
use super::sqlite::{SqliteOptions, SqliteStore};
use super::{Store, StoreError, StoreResult};
use crate::ingest::IngestConfig;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
/// `[store]` in `spot.toml`.
pub struct StoreConfig {
    /// The SQLite file (the default store).
    pub path: PathBuf,
    /// `[store.arangodb]`: when set, the store is this ArangoDB database
    /// and `path` is not used (see docs/arangodb.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arangodb: Option<ArangoConfig>,
}

impl Default for StoreConfig {
    fn default() -> StoreConfig {
        StoreConfig { path: PathBuf::from("spot.db"), arangodb: None }
    }
}

/// The configured store, opened and checked: for ArangoDB, the server is
/// reachable, supported, and its database has everything the schema needs
/// (else the error lists what is missing and says to run `spot migrate`).
/// Its ingests follow `ingest` (`[ingest]`).
pub async fn open(config: &StoreConfig, ingest: IngestConfig) -> StoreResult<Arc<dyn Store>> {
    match &config.arangodb {
        Some(arango) => Ok(Arc::new(open_arango(arango, ingest).await?)),
        None => {
            Ok(Arc::new(SqliteStore::open_with(&config.path, SqliteOptions { ingest, ..SqliteOptions::default() })?))
        }
    }
}

/// An ArangoDB store that is ready to serve.
pub async fn open_arango(config: &ArangoConfig, ingest: IngestConfig) -> StoreResult<ArangoStore> {
    let store = ArangoStore::connect_with(config, ArangoOptions { ingest, ..ArangoOptions::default() }).await?;
    let missing = store.missing().await?;
    if !missing.is_empty() {
        return Err(StoreError::Open {
            path: store.location(),
            reason: format!("the database lacks {}: run `spot migrate` first", missing.join(", ")),
        });
    }
    Ok(store)
}

/// Where the configured store is, for messages.
pub fn describe(config: &StoreConfig) -> String {
    match &config.arangodb {
        Some(arango) => format!("ArangoDB at {} (database '{}')", arango.url, arango.database),
        None => config.path.display().to_string(),
    }
}
