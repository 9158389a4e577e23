//! `spot backup`: a consistent copy of the store, taken while it serves.

use std::path::PathBuf;

use super::store_args::StoreArgs;

#[derive(clap::Args)]
pub struct Args {
    /// The store to back up: `--db` or the config's [store] (SQLite only).
    #[command(flatten)]
    store: StoreArgs,
    /// Where the copy goes; must not exist yet.
    file: PathBuf,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = args.store.config()?;
    if config.store.arangodb.is_some() {
        anyhow::bail!(
            "spot backup copies a SQLite store; for {} use `spot export` or arangodump (docs/arangodb.md)",
            crate::store::select::describe(&config.store)
        );
    }
    let db = &config.store.path;
    let store = super::open_existing(db)?;
    let bytes = store.backup(&args.file).await?;
    println!("backed up {} to {} ({:.1} MiB)", db.display(), args.file.display(), bytes as f64 / (1 << 20) as f64);
    Ok(())
}
