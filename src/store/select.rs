//! Which store a command uses: `[store.arangodb]` when it is configured,
//! otherwise the SQLite file at `store.path` (the default).

use std::sync::Arc;

use super::arango::{ArangoConfig, ArangoStore};
use super::sqlite::SqliteStore;
use super::{Store, StoreError, StoreResult};
use crate::config::StoreConfig;

/// The configured store, opened and checked: for ArangoDB, the server is
/// reachable, supported, and its database has everything the schema needs
/// (else the error lists what is missing and says to run `spot migrate`).
pub async fn open(config: &StoreConfig) -> StoreResult<Arc<dyn Store>> {
    match &config.arangodb {
        Some(arango) => Ok(Arc::new(open_arango(arango).await?)),
        None => Ok(Arc::new(SqliteStore::open(&config.path)?)),
    }
}

/// An ArangoDB store that is ready to serve.
pub async fn open_arango(config: &ArangoConfig) -> StoreResult<ArangoStore> {
    let store = ArangoStore::connect(config).await?;
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
