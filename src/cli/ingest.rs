use std::path::PathBuf;

use crate::store::Store;
use crate::SqliteStore;

#[derive(clap::Args)]
pub struct Args {
    /// The SQLite store (created if missing).
    #[arg(long)]
    db: PathBuf,
    /// Observation files (schema/observation.schema.json), one run each,
    /// ingested in the order given.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    // Every file is read and checked before anything is written.
    let observations =
        args.files.iter().map(|file| crate::observations::read_file(file)).collect::<Result<Vec<_>, _>>()?;
    let store = SqliteStore::open(&args.db)?;
    for (file, observation) in args.files.iter().zip(&observations) {
        let run = store.ingest(observation).await.map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        println!(
            "{}: {}/{} {} {}: {} added, {} changed, {} closed, {} unchanged",
            file.display(),
            run.source,
            run.scope,
            run.day,
            run.status.as_str(),
            run.counts.added,
            run.counts.changed,
            run.counts.closed,
            run.counts.unchanged
        );
    }
    Ok(())
}
