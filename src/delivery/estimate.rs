//! How long a service's rollouts take in a cluster, from recent history:
//! what the orchestrator's screen shows before a deploy starts.

use serde::Serialize;

use super::nearest_rank;
use crate::model::{DeployEvent, DeployStatus};

/// Most recent rollouts an estimate reads.
pub const SAMPLES: usize = 50;
/// How far back an estimate looks.
pub const LOOKBACK_DAYS: i32 = 90;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Estimate {
    /// Median (nearest rank) rollout time, in seconds.
    pub p50_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
    /// Rollouts the estimate rests on.
    pub samples: u64,
}

/// The estimate from `deploys` (any order): the last [`SAMPLES`] that
/// succeeded and reported their finish.
pub fn estimate(deploys: &[DeployEvent]) -> Estimate {
    let mut finished: Vec<&DeployEvent> =
        deploys.iter().filter(|d| d.status == DeployStatus::Succeeded && d.finished_at.is_some()).collect();
    finished.sort_by_key(|d| std::cmp::Reverse(d.at));
    finished.truncate(SAMPLES);
    let mut took: Vec<i64> =
        finished.iter().filter_map(|d| Some((d.finished_at? - d.at).num_seconds().max(0))).collect();
    Estimate {
        samples: took.len() as u64,
        p50_seconds: nearest_rank(&mut took, 0.5),
        p90_seconds: nearest_rank(&mut took, 0.9),
    }
}
