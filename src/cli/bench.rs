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
    /// One Kubernetes collector run against a local server answering the
    /// list endpoints of a large generated cluster: wall time and peak RSS.
    Kubernetes(KubernetesArgs),
    /// The GitHub collector against a local fake GitHub with latency: a
    /// first sync, then a second with nothing changed.
    Github(GithubArgs),
    /// `spot backfill git` on a whole history (a generated microservices
    /// repository by default) into a fresh store: time, versions, bytes.
    Backfill(BackfillArgs),
}

#[derive(clap::Args)]
struct BackfillArgs {
    /// A local clone to replay instead of the generated repository.
    #[arg(long)]
    repo: Option<PathBuf>,
    /// Commits of the generated repository.
    #[arg(long, default_value_t = 2700)]
    commits: usize,
    /// Years its history spans.
    #[arg(long, default_value_t = 8)]
    years: u32,
    /// Packages in each Node.js service's lockfile (the heaviest files).
    #[arg(long, default_value_t = 1000)]
    lockfile_packages: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Also write the report to this file.
    #[arg(long)]
    json: Option<PathBuf>,
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

#[derive(clap::Args)]
struct KubernetesArgs {
    #[arg(long, default_value_t = 3000)]
    deployments: usize,
    #[arg(long, default_value_t = 10_000)]
    replicasets: usize,
    #[arg(long, default_value_t = 20_000)]
    pods: usize,
    #[arg(long, default_value_t = 200)]
    nodes: usize,
    /// Objects per list request, as `page_size` in [collectors.kubernetes].
    #[arg(long, default_value_t = 500)]
    page_size: u32,
    /// Benchmark the watch of `spot serve` instead of a run: --deployments
    /// over --clusters stand-in API servers, under --rate actions a second
    /// for --seconds.
    #[arg(long)]
    watch: bool,
    #[arg(long, default_value_t = 4)]
    clusters: usize,
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// Also write the report to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// The benchmarks that run on a synthetic history.
enum OnHistory {
    Store(StoreArgs),
    Api(ApiArgs),
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let benchmark = match args.benchmark {
        Benchmark::Kubernetes(a) => return kubernetes(a).await,
        Benchmark::Github(a) => return github(a).await,
        Benchmark::Backfill(a) => return backfill(a).await,
        Benchmark::Store(a) => OnHistory::Store(a),
        Benchmark::Api(a) => OnHistory::Api(a),
    };
    let temp = tempfile::TempDir::with_prefix("spot-bench-")?;
    let common = match &benchmark {
        OnHistory::Store(a) => &a.common,
        OnHistory::Api(a) => &a.common,
    };
    let dir = common.dir.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let (scale, days, seed, json) = (common.scale, common.days, common.seed, common.json.clone());
    let bar = super::progress_bar(days as u64, "{elapsed_precise} {prefix} [{bar:40}] {pos}/{len}");
    let progress = |stage: &str, done: u64, total: u64| {
        bar.set_prefix(stage.to_string());
        bar.set_length(total);
        bar.set_position(done);
    };
    let report = match benchmark {
        OnHistory::Store(a) => {
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
        OnHistory::Api(a) => {
            let options = crate::bench::api::Options { scale, days, seed, dir, seconds: a.seconds };
            serde_json::to_value(crate::bench::api::run(&options, progress).await?)?
        }
    };
    bar.finish_and_clear();
    write_report(&report, json.as_deref())
}

async fn kubernetes(a: KubernetesArgs) -> anyhow::Result<()> {
    if a.watch {
        let options = crate::bench::kubernetes::watch::WatchOptions {
            deployments: a.deployments,
            clusters: a.clusters,
            rate: a.rate,
            seconds: a.seconds,
        };
        let bar = super::spinner("{spinner} watching generated clusters under churn {elapsed}");
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        let report = serde_json::to_value(crate::bench::kubernetes::watch::run(&options).await?)?;
        bar.finish_and_clear();
        return write_report(&report, a.json.as_deref());
    }
    let options = crate::bench::kubernetes::Options {
        deployments: a.deployments,
        replicasets: a.replicasets,
        pods: a.pods,
        nodes: a.nodes,
        page_size: a.page_size,
    };
    let bar = super::spinner("{spinner} collecting a generated cluster {elapsed}");
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let report = serde_json::to_value(crate::bench::kubernetes::run(&options).await?)?;
    bar.finish_and_clear();
    write_report(&report, a.json.as_deref())
}

async fn github(a: GithubArgs) -> anyhow::Result<()> {
    let options =
        crate::bench::github::Options { repos: a.repos, latency_ms: a.latency_ms, concurrency: a.concurrency };
    let bar = super::spinner("{spinner} syncing a fake GitHub twice {elapsed}");
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let report = serde_json::to_value(crate::bench::github::run(&options).await?)?;
    bar.finish_and_clear();
    write_report(&report, a.json.as_deref())
}

async fn backfill(a: BackfillArgs) -> anyhow::Result<()> {
    if a.commits == 0 || a.years == 0 {
        anyhow::bail!("--commits and --years must be at least 1");
    }
    let shape = crate::bench::git_history::Shape {
        commits: a.commits,
        years: a.years,
        seed: a.seed,
        lockfile_packages: a.lockfile_packages,
    };
    let options = crate::bench::backfill::Options { repo: a.repo, shape };
    let bar = super::spinner("{spinner} generating a history and backfilling it {elapsed}");
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let report = serde_json::to_value(crate::bench::backfill::run(&options).await?)?;
    bar.finish_and_clear();
    write_report(&report, a.json.as_deref())
}

/// Prints the report, and writes it to `json` when asked.
fn write_report(report: &serde_json::Value, json: Option<&std::path::Path>) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    if let Some(path) = json {
        std::fs::write(path, &text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    println!("{text}");
    Ok(())
}
