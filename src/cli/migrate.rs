//! `spot migrate`: bring the configured store's schema up to date. For
//! ArangoDB, creates what `schema/arangodb/schema.json` declares and the
//! database lacks (idempotent), and finishes or undoes ingest attempts a
//! crash left in flight. The SQLite store migrates itself when opened.

use super::store_args::StoreArgs;
use crate::store::arango::ArangoStore;
use crate::SqliteStore;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreArgs,
    /// Create the ArangoDB database when it does not exist.
    #[arg(long)]
    create_database: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = args.store.config()?;
    let Some(mut arango) = config.store.arangodb else {
        SqliteStore::open(&config.store.path)?;
        println!("{}: schema up to date (the SQLite store migrates itself when opened)", config.store.path.display());
        return Ok(());
    };
    arango.create_database |= args.create_database;
    let store = ArangoStore::connect(&arango).await?;
    let migrated = store.migrate().await?;
    let location = store.location();
    if migrated.created.is_empty() {
        println!("{location}: schema up to date ({} collections, graph and indexes checked)", migrated.existing);
    } else {
        println!("{location}: created {}; {} already there", migrated.created.join(", "), migrated.existing);
    }
    Ok(())
}
