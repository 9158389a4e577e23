use std::path::PathBuf;

use collectors::synthetic::SyntheticConfig;

use super::store_args::StoreArgs;
use crate::model::Day;
use crate::store::select;

#[derive(clap::Args)]
pub struct Args {
    /// The store to create: `--db` (a new SQLite file) or the config's
    /// [store], which for ArangoDB must be an empty, migrated database.
    #[command(flatten)]
    store: StoreArgs,
    /// 1 = ~1,000 repositories, 500 services, 60 teams, 4 clusters.
    #[arg(long, default_value_t = 1)]
    scale: usize,
    /// Days of history to generate.
    #[arg(long, default_value_t = 365)]
    days: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The first day; by default, so that the last generated day is today.
    #[arg(long)]
    start: Option<Day>,
    /// Replace the SQLite file if it exists.
    #[arg(long)]
    replace: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.scale == 0 || args.days == 0 {
        anyhow::bail!("--scale and --days must be at least 1");
    }
    let config = args.store.config()?;
    let place = select::describe(&config.store);
    if config.store.arangodb.is_some() {
        if args.replace {
            anyhow::bail!(
                "--replace deletes a SQLite file; {place} is not one: drop its collections yourself, then run `spot migrate`"
            );
        }
    } else {
        prepare_file(&config.store.path, args.replace)?;
    }
    let store = StoreArgs::open(&config).await?;
    if let Some(latest) = store.latest_day().await? {
        anyhow::bail!("{place} already holds a history (latest day {latest}): generate into an empty store");
    }
    let start = args.start.unwrap_or_else(|| Day::today().minus(args.days as i32 - 1));
    let synthetic = SyntheticConfig::new(args.scale, args.seed, start);
    let bar = super::progress_bar(args.days as u64, "{elapsed_precise} [{bar:40}] {pos}/{len} days {msg}");
    let summary = crate::generate::generate(store.as_ref(), synthetic, args.days, |day| {
        bar.inc(1);
        bar.set_message(day.day.to_string());
    })
    .await?;
    bar.finish_and_clear();
    let stats = store.stats().await?;
    tracing::info!(
        store = %place, first = %summary.first, last = %summary.last, runs = summary.runs,
        failed_runs = summary.failed_runs, entities = stats.entities, fact_versions = stats.fact_versions,
        relation_versions = stats.relation_versions, bytes = stats.bytes,
        seconds = summary.elapsed.as_secs_f64(), "generated history"
    );
    println!(
        "generated {} days ({} to {}) into {}: {} entities, {} fact and {} relation versions, {} runs ({} failed), {:.1} MB in {:.1} s",
        summary.days, summary.first, summary.last, place, stats.entities, stats.fact_versions,
        stats.relation_versions, stats.runs, summary.failed_runs, stats.bytes as f64 / 1e6, summary.elapsed.as_secs_f64()
    );
    Ok(())
}

/// A history is generated into a new file: appending a second history to
/// an existing one would only be refused day by day.
fn prepare_file(db: &std::path::Path, replace: bool) -> anyhow::Result<()> {
    if !db.exists() {
        return Ok(());
    }
    if !replace {
        anyhow::bail!("{} already exists: choose a new file or pass --replace", db.display());
    }
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", db.display()));
        if path.exists() {
            std::fs::remove_file(&path).map_err(|e| anyhow::anyhow!("cannot replace {}: {e}", path.display()))?;
        }
    }
    Ok(())
}
