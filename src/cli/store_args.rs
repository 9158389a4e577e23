//! Which store a command uses: `--db` names a SQLite file; without it, the
//! config's `[store]` (a `[store.arangodb]` section selects ArangoDB), whose
//! default is the SQLite file spot.db.

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::store::sqlite::{SqliteOptions, SqliteStore};
use crate::store::{select, Store};

#[derive(clap::Args)]
pub struct StoreArgs {
    /// The config file (spot.toml); defaults apply without one.
    #[arg(long, env = "SPOT_CONFIG")]
    config: Option<PathBuf>,
    /// A SQLite store; overrides the config's [store] (path or arangodb).
    #[arg(long, env = "SPOT_DB")]
    db: Option<PathBuf>,
}

impl StoreArgs {
    /// The config file named, if any (for messages that cite it).
    pub fn config_path(&self) -> Option<&std::path::Path> {
        self.config.as_deref()
    }

    /// The config file (or the defaults) with the environment's overrides,
    /// its `[store]` replaced by `--db` when given.
    pub fn config(&self) -> anyhow::Result<Config> {
        let mut config = Config::for_command(self.config.as_deref())?;
        if let Some(db) = &self.db {
            config.store.path = db.clone();
            config.store.arangodb = None;
        }
        Ok(config)
    }

    /// The configured store, which must exist already: a missing SQLite
    /// file is an error rather than a new, empty store.
    pub async fn open_existing(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
        match &config.store.arangodb {
            Some(arango) => Ok(Arc::new(select::open_arango(arango, config.ingest).await?)),
            None => {
                super::require_file(&config.store.path)?;
                let options = SqliteOptions { ingest: config.ingest, ..SqliteOptions::default() };
                Ok(Arc::new(SqliteStore::open_with(&config.store.path, options)?))
            }
        }
    }

    /// The configured store, for reading only: a SQLite file is opened
    /// read-only and never migrated.
    pub async fn open_for_reading(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
        match &config.store.arangodb {
            Some(_) => StoreArgs::open_existing(config).await,
            None => Ok(Arc::new(super::open_read_only(&config.store.path)?)),
        }
    }

    /// The configured store; a SQLite file is created when missing.
    pub async fn open(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
        Ok(select::open(&config.store, config.ingest).await?)
    }
}
