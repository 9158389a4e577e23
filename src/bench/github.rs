//! `spot bench github`: the GitHub collector against a fake GitHub on
//! loopback (generated repositories, ~20 files worth reading in each, a
//! fixed latency per request), twice: a first sync from an empty cache, and
//! a second one with nothing changed, counting the requests that would
//! count against GitHub's rate limit.

use std::time::{Duration, Instant};

use collectors::github::fake::FakeGitHub;
use collectors::github::{Config, GitHub};
use collectors::{Collector, Day};
use serde::Serialize;

pub struct Options {
    pub repos: usize,
    pub latency_ms: u64,
    pub concurrency: usize,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub repos: usize,
    pub latency_ms: u64,
    pub concurrency: usize,
    pub files_read_per_repo: f64,
    pub first_sync_s: f64,
    pub first_sync_requests: u64,
    pub second_sync_s: f64,
    pub second_sync_requests: u64,
    pub second_sync_counted_requests_per_repo: f64,
    pub entities: usize,
    pub relations: usize,
    pub targets: Targets,
}

#[derive(Debug, Serialize)]
pub struct Targets {
    pub first_sync_s: f64,
    pub second_sync_s: f64,
    pub second_sync_counted_requests_per_repo: f64,
}

pub async fn run(options: &Options) -> anyhow::Result<Report> {
    let token = "bench-token-0123456789";
    let fake = FakeGitHub::start("acme", options.repos, Some(token), Duration::from_millis(options.latency_ms)).await?;
    let cache = tempfile::TempDir::with_prefix("spot-bench-github-")?;
    let token_file = cache.path().join("token");
    std::fs::write(&token_file, token)?;
    let mut config: Config = toml::from_str(&format!(
        "base_url = \"{}\"\norgs = [\"acme\"]\ncheck_latest = false\ntoken_file = \"{}\"\ncache_dir = \"{}\"",
        fake.url,
        token_file.display(),
        cache.path().join("cache").display()
    ))?;
    config.http.concurrency = options.concurrency;
    let collector = GitHub::new(&config)?;
    let day = Day::today();

    let started = Instant::now();
    let first = collector.collect("acme", day).await?;
    let first_sync_s = started.elapsed().as_secs_f64();
    let (first_requests, _) = fake.requests();
    fake.reset_counters();
    let counted_before = collector.requests().0;

    let started = Instant::now();
    let second = collector.collect("acme", day).await?;
    let second_sync_s = started.elapsed().as_secs_f64();
    let (second_requests, _) = fake.requests();
    let counted = collector.requests().0 - counted_before;
    if second.entities != first.entities || second.relations != first.relations {
        anyhow::bail!("the second sync observed something else than the first");
    }
    let blobs = first_requests.saturating_sub(3 * options.repos as u64);
    Ok(Report {
        repos: options.repos,
        latency_ms: options.latency_ms,
        concurrency: options.concurrency,
        files_read_per_repo: super::round3(blobs as f64 / options.repos.max(1) as f64),
        first_sync_s: super::round3(first_sync_s),
        first_sync_requests: first_requests,
        second_sync_s: super::round3(second_sync_s),
        second_sync_requests: second_requests,
        second_sync_counted_requests_per_repo: super::round3(counted as f64 / options.repos.max(1) as f64),
        entities: first.entities.len(),
        relations: first.relations.len(),
        targets: Targets { first_sync_s: 120.0, second_sync_s: 15.0, second_sync_counted_requests_per_repo: 0.2 },
    })
}
