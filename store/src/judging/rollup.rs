//! What the stores keep of delivery so that reads add rollups instead of
//! judging history (docs/dora.md, "How the figures are kept"): one row per
//! service, cluster and day, and the questions a read asks of them.

use chrono::{DateTime, Duration, Utc};

use super::span::DayCounts;
use super::Judged;
use crate::model::{Day, DeployStatus};

/// The deploys of one service to one cluster that started on one day,
/// rolled up: the counts [`super::Figures`] add and every sample, so
/// medians over any set of rows stay exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRollup {
    pub service: String,
    pub cluster: String,
    pub day: Day,
    pub deploys: u64,
    pub changes: u64,
    pub failed_changes: u64,
    pub rollbacks: u64,
    pub unrestored: u64,
    /// Lead times of the day's deploys, seconds.
    pub lead_times: Vec<i64>,
    /// Times to restore of the day's restored failed changes, seconds.
    pub restores: Vec<i64>,
}

impl DayRollup {
    /// No deploy yet.
    pub fn empty(service: &str, cluster: &str, day: Day) -> DayRollup {
        DayRollup {
            service: service.into(),
            cluster: cluster.into(),
            day,
            deploys: 0,
            changes: 0,
            failed_changes: 0,
            rollbacks: 0,
            unrestored: 0,
            lead_times: Vec::new(),
            restores: Vec::new(),
        }
    }

    /// The rollup of `deploys`, all of `service` to `cluster` on `day`.
    pub fn of<'a>(service: &str, cluster: &str, day: Day, deploys: impl IntoIterator<Item = &'a Judged>) -> DayRollup {
        let mut row = DayRollup::empty(service, cluster, day);
        for deploy in deploys {
            row.add(deploy);
        }
        row
    }

    /// Counts `deploy` in: what it adds to each figure of docs/dora.md
    /// ("The metrics"), the one place those rules are written.
    pub fn add(&mut self, deploy: &Judged) {
        self.rollbacks += deploy.rollback as u64;
        if !deploy.is_change() {
            return;
        }
        self.changes += 1;
        self.deploys += deploy.is_deploy() as u64;
        if deploy.is_failed_change() {
            self.failed_changes += 1;
            match deploy.time_to_restore() {
                Some(took) => self.restores.push(took.num_seconds()),
                None => self.unrestored += 1,
            }
        }
        if let Some(lead) = deploy.lead_time() {
            self.lead_times.push(lead.num_seconds());
        }
    }

    /// Adds one packed day's counts and samples (as
    /// [`LaneDays::each_day`](super::span::LaneDays::each_day) gives them):
    /// sums of rollups are rollups, whatever their service, cluster and day.
    pub fn add_day(&mut self, (day, lead_times, restores): (&DayCounts, &[i64], &[i64])) {
        self.deploys += day.deploys;
        self.changes += day.changes;
        self.failed_changes += day.failed_changes;
        self.rollbacks += day.rollbacks;
        self.unrestored += day.unrestored;
        self.lead_times.extend_from_slice(lead_times);
        self.restores.extend_from_slice(restores);
    }
}

/// Samples as stored: little-endian i64s, back to back.
pub fn encode_samples(samples: &[i64]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// [`encode_samples`] read back; a blob whose length is not a multiple of 8
/// is an error naming it.
pub fn decode_samples(blob: &[u8]) -> Result<Vec<i64>, String> {
    if blob.len() % 8 != 0 {
        return Err(format!("a sample blob of {} bytes is not a run of 8-byte integers", blob.len()));
    }
    Ok(blob.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("chunks of 8"))).collect())
}

/// The fix-forward window as the views record it: milliseconds, 0 off.
pub fn fix_forward_ms(fix_forward: Option<Duration>) -> i64 {
    fix_forward.map_or(0, |window| window.num_milliseconds())
}

/// [`fix_forward_ms`] read back.
pub fn fix_forward_window(fix_forward_ms: i64) -> Option<Duration> {
    (fix_forward_ms > 0).then(|| Duration::milliseconds(fix_forward_ms))
}

/// Which rollups a read wants. `fix_forward_ms` is the window in force
/// (`0`: off): a store whose views were built with another answers `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupQuery {
    /// `None`: every service.
    pub services: Option<Vec<String>>,
    /// `None`: every cluster.
    pub clusters: Option<Vec<String>>,
    pub except_clusters: Vec<String>,
    pub from: Day,
    pub to: Day,
    pub fix_forward_ms: i64,
}

/// Where a page of deploys (newest first) continues: the last deploy of
/// the page before, by what identifies a deploy. A deploy recorded after
/// that page sorts before or after it and neither shifts nor repeats a row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeployCursor {
    pub at_ms: i64,
    pub service: String,
    pub cluster: String,
    pub version: String,
}

impl DeployCursor {
    pub fn of(deploy: &Judged) -> DeployCursor {
        let event = &deploy.event;
        DeployCursor {
            at_ms: event.at.timestamp_millis(),
            service: event.service.clone(),
            cluster: event.cluster.clone(),
            version: event.version.clone(),
        }
    }

    /// The order of the list: newest first, then by service, cluster, version.
    pub fn sort_key(&self) -> (std::cmp::Reverse<i64>, &str, &str, &str) {
        (std::cmp::Reverse(self.at_ms), &self.service, &self.cluster, &self.version)
    }
}

/// A page of judged deploys: which, and after which.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployPage {
    pub services: Option<Vec<String>>,
    pub clusters: Option<Vec<String>>,
    pub except_clusters: Vec<String>,
    /// Deploys that started in `[from, to)`.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub status: Option<DeployStatus>,
    pub actor: Option<String>,
    pub failed_changes: bool,
    pub after: Option<DeployCursor>,
    /// At most this many deploys are listed (a store reads one more to know
    /// whether a page follows).
    pub limit: usize,
    pub fix_forward_ms: i64,
}

impl DeployPage {
    /// Whether `deploy` is one the page selects (cursor aside).
    pub fn selects(&self, deploy: &Judged) -> bool {
        let event = &deploy.event;
        event.at >= self.from
            && event.at < self.to
            && self.services.as_ref().is_none_or(|s| s.contains(&event.service))
            && self.clusters.as_ref().is_none_or(|c| c.contains(&event.cluster))
            && !self.except_clusters.contains(&event.cluster)
            && self.status.is_none_or(|s| deploy.status == s)
            && self.actor.as_ref().is_none_or(|a| event.actor.as_ref() == Some(a))
            && (!self.failed_changes || deploy.is_failed_change())
    }
}

/// Deploys of a page, newest first, with how many the page's filters
/// select in all and whether more follow.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JudgedPage {
    pub deploys: Vec<Judged>,
    pub total: u64,
    pub more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_round_trip_and_bad_blobs_are_errors() {
        let samples = [0, -5, i64::MAX, 86_400];
        assert_eq!(decode_samples(&encode_samples(&samples)).unwrap(), samples);
        assert!(decode_samples(&[1, 2, 3]).unwrap_err().contains("3 bytes"));
    }
}
