//! `spot collect`: run collectors once, by hand.

use std::path::PathBuf;

use collectors::Day;

use crate::config::Config;
use crate::model::RunStatus;
use crate::SqliteStore;

#[derive(clap::Args)]
pub struct Args {
    /// Collectors to run (sonarqube, consul, confluence); all configured
    /// ones when none is named.
    sources: Vec<String>,
    /// The config file with the [collectors.<name>] sections.
    #[arg(long, env = "SPOT_CONFIG")]
    config: Option<PathBuf>,
    /// The SQLite store (created if missing); overrides [store] path.
    #[arg(long, env = "SPOT_DB")]
    db: Option<PathBuf>,
    /// The day the snapshot is for (YYYY-MM-DD); today (UTC) by default.
    #[arg(long)]
    day: Option<Day>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if let Some(db) = args.db {
        config.store.path = db;
    }
    // Every named collector is built (config checked, secrets read) before
    // any of them runs.
    let selected = crate::collect::select(&config.collectors, &args.sources)?;
    let store = SqliteStore::open(&config.store.path)?;
    let day = args.day.unwrap_or_else(Day::today);
    let (mut runs, mut failed) = (0, 0);
    for collector in &selected {
        for scope in collector.scopes() {
            let run = crate::collect::run_once(&store, collector.as_ref(), &scope, day).await?;
            runs += 1;
            let c = run.counts;
            match run.status {
                RunStatus::Failed => {
                    failed += 1;
                    println!("{}/{} {day} failed: {}", run.source, run.scope, run.error.as_deref().unwrap_or(""));
                }
                status => println!(
                    "{}/{} {day} {}: {} added, {} changed, {} closed, {} unchanged",
                    run.source,
                    run.scope,
                    status.as_str(),
                    c.added,
                    c.changed,
                    c.closed,
                    c.unchanged
                ),
            }
            for warning in &run.warnings {
                println!("  warning: {warning}");
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {runs} runs failed; their previous state carries forward");
    }
    Ok(())
}
