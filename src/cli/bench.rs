use std::path::PathBuf;

use clap::Subcommand;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    benchmark: Benchmark,
}

#[derive(Subcommand)]
enum Benchmark {
    /// Ingest and query the temporal store against a full-copy baseline.
    Store(StoreArgs),
    /// The GraphQL API over HTTP with 1, 8 and 32 clients, against a
    /// constant-response ceiling.
    Api(ApiArgs),
}

#[derive(clap::Args)]
struct ApiArgs {
    #[arg(long, default_value_t = 1)]
    scale: usize,
    #[arg(long, default_value_t = 730)]
    days: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Seconds each (query, clients) cell runs.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Where the history lives; an existing history.db there is reused.
    #[arg(long)]
    dir: Option<PathBuf>,
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(clap::Args)]
struct StoreArgs {
    #[arg(long, default_value_t = 1)]
    scale: usize,
    #[arg(long, default_value_t = 730)]
    days: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Samples per query (reverse traversal and diff take a fifth).
    #[arg(long, default_value_t = 1000)]
    samples: usize,
    /// Where to write the stores; a temporary folder by default.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Only time the queries, on the history a run with the same --dir left
    /// (for tuning queries; build and storage figures are zero).
    #[arg(long, requires = "dir")]
    queries_only: bool,
    /// Also write the report to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.benchmark {
        Benchmark::Store(args) => store(args).await,
        Benchmark::Api(args) => api(args).await,
    }
}

async fn api(args: ApiArgs) -> anyhow::Result<()> {
    let temp = tempfile::TempDir::with_prefix("spot-bench-")?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let options = crate::bench::api::Options { scale: args.scale, days: args.days, seed: args.seed, dir, seconds: args.seconds };
    let bar = super::progress_bar(args.days as u64, "{elapsed_precise} {prefix} [{bar:40}] {pos}/{len}");
    let report = crate::bench::api::run(&options, |stage, done, total| {
        bar.set_prefix(stage.to_string());
        bar.set_length(total);
        bar.set_position(done);
    })
    .await?;
    bar.finish_and_clear();
    write_report(&report, args.json.as_ref())
}

fn write_report(report: &impl serde::Serialize, path: Option<&PathBuf>) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(report)?;
    if let Some(path) = path {
        std::fs::write(path, &json).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    println!("{json}");
    Ok(())
}

async fn store(args: StoreArgs) -> anyhow::Result<()> {
    let temp = tempfile::TempDir::with_prefix("spot-bench-")?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let options = crate::bench::store::Options { scale: args.scale, days: args.days, seed: args.seed, dir, samples: args.samples, queries_only: args.queries_only };
    let bar = super::progress_bar(args.days as u64, "{elapsed_precise} {prefix} [{bar:40}] {pos}/{len}");
    let report = crate::bench::store::run(&options, |stage, done, total| {
        bar.set_prefix(stage.to_string());
        bar.set_length(total);
        bar.set_position(done);
    })
    .await?;
    bar.finish_and_clear();
    write_report(&report, args.json.as_ref())
}
