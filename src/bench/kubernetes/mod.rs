//! `spot bench kubernetes`: one run of the Kubernetes collector against a
//! local HTTP server that answers the Kubernetes list endpoints for a large
//! cluster (by default 3,000 Deployments, 10,000 ReplicaSets, 20,000 pods on
//! 200 nodes), paginated with `limit` and `continue` like an API server.
//! Objects are generated page by page, shaped like real ones (two containers
//! with resources and probes, kubectl's last-applied annotation, status
//! conditions), so the server holds one page at a time.
//!
//! Measured: the run's wall time and the process's peak resident set size
//! (`VmHWM`, reset just before the run where the kernel allows), which
//! includes the server's share.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Instant;

use collectors::kubernetes::{Config, Kubernetes};
use collectors::{Collector, Day};
use serde::Serialize;

mod cluster;
pub mod watch;

use super::{peak_rss_mb, round3};
use cluster::{Cluster, TOKEN};

/// The targets from the issue.
const TARGET_RUN_S: f64 = 10.0;
const TARGET_PEAK_RSS_MB: f64 = 300.0;

#[derive(Debug, Clone)]
pub struct Options {
    pub deployments: usize,
    pub replicasets: usize,
    pub pods: usize,
    pub nodes: usize,
    pub page_size: u32,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub deployments: usize,
    pub replicasets: usize,
    pub pods: usize,
    pub nodes: usize,
    pub page_size: u32,
    pub requests: u64,
    pub bytes_served_mb: f64,
    /// Time the in-process server spent generating pages, part of `run_s`
    /// (the server and the collector share the machine's cores).
    pub server_busy_s: f64,
    /// Wall time of one collection run (connect, every list, the mapping).
    pub run_s: f64,
    /// Peak RSS of the process during the run, server included.
    pub peak_rss_mb: f64,
    /// Whether the peak was reset just before the run (else it is the
    /// process's peak so far, which can only be higher).
    pub peak_reset: bool,
    pub rss_before_mb: f64,
    pub workloads_observed: usize,
    pub relations: usize,
    pub warnings: usize,
    pub target_run_s: f64,
    pub target_peak_rss_mb: f64,
    pub within_target: bool,
}

pub async fn run(options: &Options) -> anyhow::Result<Report> {
    anyhow::ensure!(options.deployments > 0 && options.nodes > 0, "--deployments and --nodes must be at least 1");
    anyhow::ensure!(options.replicasets >= options.deployments, "--replicasets must be at least --deployments");
    let (cluster, address, server) = Cluster::serve(options.clone()).await?;

    let dir = tempfile::TempDir::with_prefix("spot-bench-kubernetes-")?;
    let config = collector_config(&dir, address, options.page_size)?;
    let collector = Kubernetes::new(&config)?;
    let rss_before_mb = current_rss_mb();
    let peak_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let started = Instant::now();
    let obs = collector.collect("bench", Day::today()).await?;
    let run_s = started.elapsed().as_secs_f64();
    let peak = peak_rss_mb();
    server.abort();
    obs.validate().map_err(|problems| anyhow::anyhow!("the observation is not valid: {problems:?}"))?;
    let workloads_observed = obs.entities.iter().filter(|e| e.kind == "workload").count();
    anyhow::ensure!(
        workloads_observed == options.deployments,
        "observed {workloads_observed} workloads of {} Deployments",
        options.deployments
    );
    Ok(Report {
        deployments: options.deployments,
        replicasets: options.replicasets,
        pods: options.pods,
        nodes: options.nodes,
        page_size: options.page_size,
        requests: cluster.requests.load(Ordering::Relaxed),
        bytes_served_mb: round3(cluster.bytes.load(Ordering::Relaxed) as f64 / 1e6),
        server_busy_s: round3(cluster.busy_ns.load(Ordering::Relaxed) as f64 / 1e9),
        run_s: round3(run_s),
        peak_rss_mb: peak,
        peak_reset,
        rss_before_mb,
        workloads_observed,
        relations: obs.relations.len(),
        warnings: obs.warnings.len(),
        target_run_s: TARGET_RUN_S,
        target_peak_rss_mb: TARGET_PEAK_RSS_MB,
        within_target: run_s <= TARGET_RUN_S && peak <= TARGET_PEAK_RSS_MB,
    })
}

fn collector_config(dir: &tempfile::TempDir, address: SocketAddr, page_size: u32) -> anyhow::Result<Config> {
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: bench\n  cluster:\n    server: http://{address}\n\
             contexts:\n- name: bench\n  context:\n    cluster: bench\n    user: bench\ncurrent-context: bench\n\
             users:\n- name: bench\n  user:\n    token: {TOKEN}\n"
        ),
    )?;
    let text = format!(
        "clusters = [{{ name = \"bench\", datacenter = \"local\", kubeconfig = \"{}\" }}]\npage_size = {page_size}\n",
        kubeconfig.display()
    );
    Ok(toml::from_str(&text)?)
}

pub(super) fn current_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    round3(kb / 1024.0)
}
