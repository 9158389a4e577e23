//! Which store a command uses: `--db` names a SQLite file; without it, the
//! config's `[store]` (a `[store.arangodb]` section selects ArangoDB), whose
//! default is the SQLite file spot.db.

use std::path::{Path, PathBuf};
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
                let path = existing_sqlite(&config.store.path)?;
                let options = SqliteOptions { ingest: config.ingest, ..SqliteOptions::default() };
                Ok(Arc::new(SqliteStore::open_with(&path, options)?))
            }
        }
    }

    /// The configured store, for reading only: a SQLite file is opened
    /// read-only and never migrated.
    pub async fn open_for_reading(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
        match &config.store.arangodb {
            Some(_) => StoreArgs::open_existing(config).await,
            None => Ok(Arc::new(super::open_read_only(&existing_sqlite(&config.store.path)?)?)),
        }
    }

    /// The configured store; a SQLite file is created when missing.
    pub async fn open(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
        Ok(select::open(&config.store, config.ingest).await?)
    }
}

/// The store `spot demo` writes into the folder it runs in.
pub const DEMO_DB: &str = "spot-demo.db";

/// The SQLite store a command that needs one reads: `configured` when it
/// exists; else, when that is the default `spot.db`, the demo's store in
/// the working folder (said on stderr), so that `spot demo` then `spot
/// entity …` works without `--db`. When neither exists, the error says
/// where it looked.
pub fn existing_sqlite(configured: &Path) -> anyhow::Result<PathBuf> {
    if configured.exists() {
        return Ok(configured.to_path_buf());
    }
    let default = Config::default().store.path;
    let demo = Path::new(DEMO_DB);
    if configured != default {
        return Err(super::no_store_at(configured));
    }
    if demo.exists() {
        eprintln!("no {} here: reading the demo's {DEMO_DB} (choose a store with --db)", default.display());
        return Ok(demo.to_path_buf());
    }
    let folder = std::env::current_dir().map_or_else(|_| "the working folder".to_string(), |d| d.display().to_string());
    anyhow::bail!(
        "no store: looked for {} and {DEMO_DB} in {folder}; name one with --db FILE (or [store] path in spot.toml), or run `spot demo` here first",
        default.display()
    )
}
