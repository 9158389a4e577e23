//! `spot backup`: a consistent copy of the store, taken while it serves.

use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The store to back up.
    #[arg(long, env = "SPOT_DB", default_value = "spot.db")]
    db: PathBuf,
    /// Where the copy goes; must not exist yet.
    file: PathBuf,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = super::open_existing(&args.db)?;
    let bytes = store.backup(&args.file).await?;
    println!("backed up {} to {} ({:.1} MiB)", args.db.display(), args.file.display(), bytes as f64 / (1 << 20) as f64);
    Ok(())
}
