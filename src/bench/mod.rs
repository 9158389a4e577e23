//! Benchmarks (`spot bench ...`): performance targets live here, measured on
//! demand and reported in docs/benchmarks.md, never in timed tests.

pub mod api;
pub mod backfill;
mod baseline;
mod changes;
pub mod git_history;
pub mod github;
pub mod kubernetes;
mod pages;
mod scorecards;
pub mod store;

use std::time::Duration;

use serde::Serialize;

/// p50 and p99 of a set of samples, in milliseconds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Percentiles {
    pub p50: f64,
    pub p99: f64,
}

impl Percentiles {
    pub fn of(samples: &[Duration]) -> Percentiles {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        Percentiles { p50: rank(&ms, 0.50), p99: rank(&ms, 0.99) }
    }
}

/// Nearest-rank percentile of sorted samples.
fn rank(sorted: &[f64], quantile: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((quantile * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    round3(sorted[index])
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The peak resident set size of this process so far, in MiB (Linux).
pub fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    round3(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(Percentiles::of(&samples), Percentiles { p50: 50.0, p99: 99.0 });
        assert_eq!(Percentiles::of(&[Duration::from_millis(7)]), Percentiles { p50: 7.0, p99: 7.0 });
    }
}
