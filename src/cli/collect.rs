//! `spot collect`: run collectors once, by hand, as the scheduler would
//! (one run per scope at a time, across processes too).

use std::sync::Arc;

use collectors::Day;

use super::store_args::StoreArgs;
use crate::model::RunStatus;
use crate::scheduler::{self, Clock, Outcome, Scheduler};
use crate::store::Store;

#[derive(clap::Args)]
pub struct Args {
    /// Collectors to run (sonarqube, consul, confluence, kubernetes); all configured
    /// ones when none is named.
    sources: Vec<String>,
    #[command(flatten)]
    store: StoreArgs,
    /// The day the snapshot is for (YYYY-MM-DD); today (UTC) by default.
    #[arg(long)]
    day: Option<Day>,
    /// Further attempts after a failed run, with the schedule's backoff.
    #[arg(long, default_value_t = 0)]
    retries: u32,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = args.store.config()?;
    // Every named collector is built (config checked, secrets read) before
    // any of them runs.
    let jobs = scheduler::jobs(&config.collectors, &args.sources)?;
    let store: Arc<dyn Store> = StoreArgs::open(&config).await?;
    let scheduler = Scheduler::new(store, Clock::System, jobs, &config.scheduler)
        .with_retention(config.retention.clone())
        .with_identity(config.identity.clone());
    let day = args.day.unwrap_or_else(Day::today);
    let (mut runs, mut failed) = (0, 0);
    for job in scheduler.jobs() {
        runs += 1;
        let bar = super::spinner("{spinner} {msg} {elapsed}");
        bar.set_message(format!("{}/{} {day}: observing", job.source(), job.scope));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        let outcome = scheduler.trigger(job, day, args.retries).await;
        bar.finish_and_clear();
        let run = match outcome? {
            Outcome::Ran(run) => run,
            Outcome::Skipped(why) => {
                failed += 1;
                println!("{}/{} {day} skipped: {why}", job.source(), job.scope);
                continue;
            }
        };
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
    if failed > 0 {
        anyhow::bail!("{failed} of {runs} runs failed or were skipped; their previous state carries forward");
    }
    Ok(())
}
