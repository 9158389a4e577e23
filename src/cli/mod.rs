//! The `spot` command line: one subcommand per capability.

mod backfill;
mod backup;
#[cfg(feature = "bench")]
mod bench;
mod changes;
mod collect;
mod config;
mod generate;
mod ingest;
mod migrate;
mod prune;
mod read;
mod rebuild_views;
mod rollback;
mod serve;
pub use serve::demo_links;
mod store_args;
mod transfer;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::model::Day;
use crate::store::Store;
use crate::SqliteStore;

#[derive(Parser)]
#[command(name = "spot", version, about = "SPoT, the Single Point of Truth of an engineering organisation")]
struct Cli {
    /// Log format on standard error.
    #[arg(long, value_enum, default_value_t = LogFormat::Human, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Human,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a synthetic organisation's history into a store.
    Generate(generate::Args),
    /// Ingest observation files (the generic JSON format), one run each.
    Ingest(ingest::Args),
    /// Run collectors once: observe each configured scope and ingest it.
    Collect(collect::Args),
    /// Build daily history from sources' past: `spot backfill git PATH...`.
    #[command(subcommand)]
    Backfill(backfill::Command),
    /// Back up the store: a consistent copy, taken while SPoT runs.
    Backup(backup::Args),
    /// Apply [retention] now: drop versions closed longer ago than kept.
    Prune(prune::Args),
    /// Undo one scope's runs from a day on (a bad day, e.g. one far in the future).
    Rollback(rollback::Args),
    /// The rollbacks made so far, newest first.
    Rollbacks(rollback::ListArgs),
    /// Create or update the ArangoDB store's collections, graph and indexes.
    Migrate(migrate::Args),
    /// Derive the delivery views (deploy verdicts, DORA rollups) again from the deploy history.
    RebuildViews(rebuild_views::Args),
    /// Write the whole history as JSON Lines (to move it to another store).
    Export(transfer::ExportArgs),
    /// Read a history written by `spot export` into an empty store.
    Import(transfer::ImportArgs),
    /// Check the configuration.
    #[command(subcommand)]
    Config(config::Command),
    /// Show an entity with every source's facts, as of a day.
    Entity(read::EntityArgs),
    /// Find entities by name or key.
    Search(read::SearchArgs),
    /// Traverse relations from an entity: what it needs, or who needs it.
    Deps(read::DepsArgs),
    /// The history of one attribute of one entity.
    Timeline(read::TimelineArgs),
    /// What was added, changed and removed between two days.
    Changes(read::ChangesArgs),
    /// Snapshot runs with their status and counts.
    Runs(read::RunsArgs),
    /// Sizes of a store.
    Stats(read::StatsArgs),
    /// Serve the GraphQL API (and GraphiQL) over HTTP.
    Serve(serve::ServeArgs),
    /// Run one GraphQL query in-process and print the JSON response.
    Query(serve::QueryArgs),
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Generate a demo organisation on first use, then serve it.
    Demo(serve::DemoArgs),
    /// Benchmarks; figures go to docs/benchmarks.md.
    #[cfg(feature = "bench")]
    Bench(bench::Args),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(anyhow::anyhow!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(error: anyhow::Error) -> ExitCode {
    // One line: the error and its causes, outermost first.
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Generate(args) => generate::run(args).await,
        Command::Ingest(args) => ingest::run(args).await,
        Command::Collect(args) => collect::run(args).await,
        Command::Config(command) => config::run(command),
        Command::Backfill(command) => backfill::run(command).await,
        Command::Backup(args) => backup::run(args).await,
        Command::Prune(args) => prune::run(args).await,
        Command::Rollback(args) => rollback::run(args).await,
        Command::Rollbacks(args) => rollback::list(args).await,
        Command::Migrate(args) => migrate::run(args).await,
        Command::RebuildViews(args) => rebuild_views::run(args).await,
        Command::Export(args) => transfer::export(args).await,
        Command::Import(args) => transfer::import(args).await,
        Command::Entity(args) => read::entity(args).await,
        Command::Search(args) => read::search(args).await,
        Command::Deps(args) => read::deps(args).await,
        Command::Timeline(args) => read::timeline(args).await,
        Command::Changes(args) => read::changes(args).await,
        Command::Runs(args) => read::runs(args).await,
        Command::Stats(args) => read::stats(args).await,
        Command::Serve(args) => serve::serve_command(args).await,
        Command::Query(args) => serve::query(args).await,
        Command::Schema => serve::schema(),
        Command::Demo(args) => serve::demo(args).await,
        #[cfg(feature = "bench")]
        Command::Bench(args) => bench::run(args).await,
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SPOT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,spot=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Opens an existing store for reading; a missing file is an error rather
/// than a new empty store.
fn open_existing(db: &PathBuf) -> anyhow::Result<SqliteStore> {
    require_file(db)?;
    Ok(SqliteStore::open(db)?)
}

/// Opens an existing store for the read commands: read-only, never
/// migrated, and readable in a folder SPoT may not write.
fn open_read_only(db: &std::path::Path) -> anyhow::Result<SqliteStore> {
    require_file(db)?;
    Ok(SqliteStore::open_read_only(db)?)
}

/// A SQLite store that must exist: a missing file is an error.
fn require_file(db: &std::path::Path) -> anyhow::Result<()> {
    match db.exists() {
        true => Ok(()),
        false => Err(no_store_at(db)),
    }
}

/// What a command that needs the store at `db`, and finds none, says.
fn no_store_at(db: &std::path::Path) -> anyhow::Error {
    anyhow::anyhow!("no store at {}: create one with `spot generate` or `spot ingest`", db.display())
}

/// The day a read is about: the one asked for, or the latest committed day.
async fn resolve_day(store: &dyn Store, at: Option<Day>) -> anyhow::Result<Day> {
    match at {
        Some(day) => Ok(day),
        None => store.latest_day().await?.context("the store holds no committed run yet"),
    }
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let written =
        serde_json::to_writer_pretty(&mut stdout, value).map_err(std::io::Error::from).and_then(|()| writeln!(stdout));
    match written {
        // A reader that stopped early (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A counter on standard error for work of unknown length, hidden when it
/// is not a terminal.
fn spinner(template: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

/// A progress bar on standard error, hidden when it is not a terminal.
fn progress_bar(len: u64, template: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(Some(len), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}
