//! `spot rollback`: undo one scope's runs from a day on, e.g. a day far in
//! the future that became the scope's latest; `spot rollbacks` lists the
//! rollbacks made.

use super::store_args::StoreArgs;
use crate::model::{Day, Rollback};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreArgs,
    /// The source of the scope (e.g. github, pagerduty).
    #[arg(long)]
    source: String,
    /// The scope (e.g. the organisation, the cluster).
    #[arg(long)]
    scope: String,
    /// The first day to undo (YYYY-MM-DD): the scope's runs on it and on
    /// every later day are undone.
    #[arg(long)]
    day: Day,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = args.store.config()?;
    let store = StoreArgs::open_existing(&config).await?;
    let done = store.rollback(&args.source, &args.scope, args.day).await?;
    let latest = latest_run_day(store.as_ref(), &args.source, &args.scope).await?;
    println!("{}", describe(&done, latest));
    Ok(())
}

/// The day of the scope's latest run left, if any.
async fn latest_run_day(store: &dyn crate::Store, source: &str, scope: &str) -> anyhow::Result<Option<Day>> {
    let filter = crate::model::RunFilter { source: Some(source.to_string()), ..Default::default() };
    let runs = store.runs(&filter).await?;
    Ok(runs.into_iter().filter(|run| run.scope == scope && run.status.committed()).map(|run| run.day).max())
}

fn describe(done: &Rollback, latest: Option<Day>) -> String {
    let scope = format!("{}/{}", done.source, done.scope);
    let now = match latest {
        Some(day) => format!("its latest committed day is {day}"),
        None => "it has no committed run".to_string(),
    };
    if done.changed_nothing() {
        return format!("nothing to roll back: {scope} has no run and no version from {} on; {now}", done.day);
    }
    format!(
        "rolled back {scope} from {}: removed {}, deleted {} fact and {} relation versions, reopened {} fact and \
         {} relation versions, deleted {} anchors nothing refers to any more; {now}",
        done.day,
        if done.runs == 1 { "1 run".to_string() } else { format!("{} runs", done.runs) },
        done.facts_deleted,
        done.relations_deleted,
        done.facts_reopened,
        done.relations_reopened,
        done.entities_deleted
    )
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    store: StoreArgs,
}

pub async fn list(args: ListArgs) -> anyhow::Result<()> {
    let config = args.store.config()?;
    let store = StoreArgs::open_for_reading(&config).await?;
    super::print_json(&store.rollbacks().await?)
}
