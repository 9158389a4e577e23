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
    /// The GitHub collector against a local fake GitHub with latency: a
    /// first sync, then a second with nothing changed.
    Github(GithubArgs),
}

#[derive(clap::Args)]
struct GithubArgs {
    #[arg(long, default_value_t = 1000)]
    repos: usize,
    /// Latency the fake GitHub adds to every answer.
    #[arg(long, default_value_t = 100)]
    latency_ms: u64,
    /// Repositories read at once (the collector's http.concurrency).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Also write the report to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// What every benchmark shares: the history it runs on, and its report.
#[derive(clap::Args)]
struct Common {
    #[arg(long, default_value_t = 1)]
    scale: usize,
    #[arg(long, default_value_t = 730)]
    days: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where the stores are written; a temporary folder by default.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Also write the report to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(clap::Args)]
struct StoreArgs {
    #[command(flatten)]
    common: Common,
    /// Samples per query (reverse traversal and diff take a fifth).
    #[arg(long, default_value_t = 1000)]
    samples: usize,
    /// Only time the queries, on the history a run with the same --dir left
    /// (for tuning queries; build and storage figures are zero).
    #[arg(long, requires = "dir")]
    queries_only: bool,
}

#[derive(clap::Args)]
struct ApiArgs {
    #[command(flatten)]
    common: Common,
    /// Seconds each (query, clients) cell runs. An existing history.db in
    /// --dir is reused.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let temp = tempfile::TempDir::with_prefix("spot-bench-")?;
    let common = match &args.benchmark {
        Benchmark::Store(a) => &a.common,
        Benchmark::Api(a) => &a.common,
        Benchmark::Github(a) => {
            let options =
                crate::bench::github::Options { repos: a.repos, latency_ms: a.latency_ms, concurrency: a.concurrency };
            let report = serde_json::to_value(crate::bench::github::run(&options).await?)?;
            return write_report(&report, a.json.clone());
        }
    };
    let dir = common.dir.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let (scale, days, seed, json) = (common.scale, common.days, common.seed, common.json.clone());
    let bar = super::progress_bar(days as u64, "{elapsed_precise} {prefix} [{bar:40}] {pos}/{len}");
    let progress = |stage: &str, done: u64, total: u64| {
        bar.set_prefix(stage.to_string());
        bar.set_length(total);
        bar.set_position(done);
    };
    let report = match args.benchmark {
        Benchmark::Store(a) => {
            let options = crate::bench::store::Options {
                scale,
                days,
                seed,
                dir,
                samples: a.samples,
                queries_only: a.queries_only,
            };
            serde_json::to_value(crate::bench::store::run(&options, progress).await?)?
        }
        Benchmark::Api(a) => {
            let options = crate::bench::api::Options { scale, days, seed, dir, seconds: a.seconds };
            serde_json::to_value(crate::bench::api::run(&options, progress).await?)?
        }
        // Returned above: it needs no history.
        Benchmark::Github(_) => anyhow::bail!("the GitHub benchmark needs no history"),
    };
    bar.finish_and_clear();
    write_report(&report, json)
}

fn write_report(report: &serde_json::Value, json: Option<PathBuf>) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    if let Some(path) = json {
        std::fs::write(&path, &text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    println!("{text}");
    Ok(())
}
