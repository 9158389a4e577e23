//! `spot rebuild-views`: derive the delivery views (each deploy's verdict
//! and the DORA day rollups, docs/dora.md) of a SQLite store again from its
//! deploy history, with the config's `[delivery] fix_forward_minutes`.
//! Progress goes to the log; a killed rebuild goes on where it stopped
//! when the store is next opened for writing. The store must exist.

use super::store_args::StoreArgs;
use crate::SqliteStore;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = args.store.config()?;
    if config.store.arangodb.is_some() {
        anyhow::bail!("the ArangoDB store keeps no delivery views: it judges deploys when asked (docs/dora.md)");
    }
    let path = config.store.path.clone();
    let fix_forward_ms = crate::delivery::rollup::fix_forward_ms(config.delivery.fix_forward());
    super::require_file(&path)?;
    let started = std::time::Instant::now();
    let lanes = SqliteStore::rebuild_delivery_views(&path, fix_forward_ms)?;
    println!(
        "{}: delivery views derived for {lanes} lanes (service, cluster) with fix-forward {} min in {:.1} s",
        path.display(),
        fix_forward_ms / 60_000,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
