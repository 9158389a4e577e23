//! `spot prune`: apply `[retention]` now, for every source it names
//! (collectors prune after each of their runs; this covers the rest, e.g.
//! sources pushed through `spot ingest`).

use std::path::PathBuf;

use crate::config::Config;
use crate::model::{Day, MIN_RETENTION_DAYS};
use crate::store::Store;

#[derive(clap::Args)]
pub struct Args {
    /// The config file with the [retention] section.
    #[arg(long, env = "SPOT_CONFIG")]
    config: Option<PathBuf>,
    /// The store; overrides [store] path.
    #[arg(long, env = "SPOT_DB")]
    db: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut config = Config::for_command(args.config.as_deref())?;
    if let Some(db) = args.db {
        config.store.path = db;
        config.store.arangodb = None;
    }
    if config.retention.is_empty() {
        anyhow::bail!(
            "no [retention] is configured: history is kept for ever (add e.g. `sonarqube = 400` under [retention])"
        );
    }
    if let Some((source, days)) = config.retention.iter().find(|(_, days)| **days < MIN_RETENTION_DAYS) {
        anyhow::bail!("retention.{source}: {days} days is too short; keep at least {MIN_RETENTION_DAYS}");
    }
    let store: std::sync::Arc<dyn Store> = match &config.store.arangodb {
        Some(arango) => std::sync::Arc::new(crate::store::select::open_arango(arango, config.ingest).await?),
        None => std::sync::Arc::new(super::open_existing(&config.store.path)?),
    };
    let today = Day::today();
    for (source, days) in &config.retention {
        let cut = Day(today.0 - *days as i32);
        let pruned = store.prune(source, cut).await?;
        println!(
            "{source}: dropped {} fact and {} relation versions closed before {cut}",
            pruned.fact_versions, pruned.relation_versions
        );
    }
    Ok(())
}
