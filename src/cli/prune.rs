//! `spot prune`: apply `[retention]` now, for every source it names
//! (collectors prune after each of their runs; this covers the rest, e.g.
//! sources pushed through `spot ingest`).

use super::store_args::StoreArgs;
use crate::model::{Day, MIN_RETENTION_DAYS};

#[derive(clap::Args)]
pub struct Args {
    /// The config file (its [retention] and [store]) and `--db`.
    #[command(flatten)]
    store: StoreArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = args.store.config()?;
    if config.retention.is_empty() {
        anyhow::bail!(
            "no [retention] is configured: history is kept for ever (add e.g. `sonarqube = 400` under [retention])"
        );
    }
    if let Some((source, days)) = config.retention.iter().find(|(_, days)| **days < MIN_RETENTION_DAYS) {
        anyhow::bail!("retention.{source}: {days} days is too short; keep at least {MIN_RETENTION_DAYS}");
    }
    let store = StoreArgs::open_existing(&config).await?;
    let today = Day::today();
    for (source, days) in &config.retention {
        let cut = Day(today.0 - *days as i32);
        let (pruned, actions) = crate::scheduler::retain(store.as_ref(), source, cut).await?;
        println!(
            "{source}: dropped {} fact and {} relation versions closed before {cut}",
            pruned.fact_versions, pruned.relation_versions
        );
        if source == <collectors::kubernetes::Kubernetes as collectors::Collector>::NAME {
            println!("{source}: dropped {actions} actions last seen before {cut}");
        }
    }
    Ok(())
}
