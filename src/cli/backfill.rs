//! `spot backfill git PATH...`: daily history from local clones.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use collectors::git::RepoIdentity;
use collectors::Day;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::store_args::StoreArgs;
use crate::backfill::{self, OrgSummary, Progress};
use crate::store::Store;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Replay local git repositories' default branches, one observation per
    /// day with commits, as the GitHub collector would have seen them.
    Git(GitArgs),
}

#[derive(clap::Args)]
pub struct GitArgs {
    /// Local clones (working or bare); repositories of one organisation are
    /// replayed together, as the organisation's scope.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The first day to observe (YYYY-MM-DD); it shows each repository as
    /// its last earlier commit left it.
    #[arg(long)]
    since: Option<Day>,
    /// The last day to observe (YYYY-MM-DD).
    #[arg(long)]
    until: Option<Day>,
    #[command(flatten)]
    store: StoreArgs,
    /// Files larger than this are not read (as the live collector's max_file_bytes).
    #[arg(long, default_value_t = 5 << 20)]
    max_file_bytes: usize,
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    let Command::Git(args) = command;
    if let (Some(since), Some(until)) = (args.since, args.until) {
        if since > until {
            anyhow::bail!("--since {since} is after --until {until}");
        }
    }
    let config = args.store.config()?;
    let store: Arc<dyn Store> = StoreArgs::open(&config).await?;
    let options = backfill::Options {
        paths: args.paths,
        since: args.since,
        until: args.until,
        max_file_bytes: args.max_file_bytes,
        identity: config.identity.clone(),
        ingest: config.ingest,
    };
    let started = std::time::Instant::now();
    let summaries = backfill::backfill(store, &options, &Bars::default()).await?;
    for summary in &summaries {
        print_summary(summary);
    }
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn print_summary(summary: &OrgSummary) {
    let span = match (summary.first_day, summary.last_day) {
        (Some(first), Some(last)) => format!(" ({first} to {last})"),
        _ => String::new(),
    };
    let c = &summary.counts;
    println!(
        "github/{}: {} {}, {} days{span}: {} versions written ({} added, {} changed), {} closed",
        summary.org,
        summary.repos.len(),
        if summary.repos.len() == 1 { "repository" } else { "repositories" },
        summary.days,
        summary.versions_written(),
        c.added,
        c.changed,
        c.closed
    );
    if !summary.warnings.is_empty() {
        println!("  skipped or not read ({}), by the first day seen:", summary.warnings.len());
        for (day, warning) in &summary.warnings {
            println!("    {day} {warning}");
        }
    }
}

/// One bar per repository: days done of its total, and the current date.
#[derive(Default)]
struct Bars {
    multi: Mutex<Option<(MultiProgress, Vec<ProgressBar>)>>,
}

impl Progress for Bars {
    fn start(&self, _org: &str, repos: &[(RepoIdentity, usize)]) {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix:>24} {bar:30} {pos:>5}/{len} days {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bars = repos
            .iter()
            .map(|(identity, days)| {
                let bar = multi.add(ProgressBar::new(*days as u64));
                bar.set_style(style.clone());
                bar.set_prefix(identity.name.clone());
                bar
            })
            .collect();
        if let Ok(mut slot) = self.multi.lock() {
            *slot = Some((multi, bars));
        }
    }

    fn advanced(&self, repo: usize, done: usize, day: Day) {
        if let Ok(slot) = self.multi.lock() {
            if let Some(bar) = slot.as_ref().and_then(|(_, bars)| bars.get(repo)) {
                bar.set_position(done as u64);
                bar.set_message(day.to_string());
            }
        }
    }

    fn finish(&self, _org: &str) {
        if let Ok(mut slot) = self.multi.lock() {
            if let Some((_, bars)) = slot.take() {
                for bar in bars {
                    bar.finish();
                }
            }
        }
    }
}
