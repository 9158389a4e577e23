//! How each deploy ended, and what it was worth to delivery metrics: the
//! rules of docs/dora.md ("Judging a deploy"), over the deploys of one
//! service to one cluster in the order they started.

use chrono::{DateTime, Duration, Utc};

use super::lower_version;
use crate::model::{DeployEvent, DeployStatus};

/// One deploy with the verdicts of docs/dora.md.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub event: DeployEvent,
    /// How it ended: the reporter's word, or what the next deploy to the
    /// cluster showed (rolled back, superseded).
    pub status: DeployStatus,
    /// It went back to a lower version than the deploy before it.
    pub rollback: bool,
    /// The next deploy came within the fix-forward window: its version.
    pub fixed_forward_by: Option<String>,
    /// Why it counts as failed, when it does.
    pub reason: Option<String>,
    /// The next healthy deploy to the cluster, when one came: its end.
    pub restored_at: Option<DateTime<Utc>>,
}

impl Judged {
    /// When it stopped changing the cluster: its finish, or its start when
    /// no finish was reported.
    pub fn end(&self) -> DateTime<Utc> {
        self.event.finished_at.unwrap_or(self.event.at)
    }

    /// A change: not a rollback, and it ended (not superseded, not running).
    pub fn is_change(&self) -> bool {
        !self.rollback && !matches!(self.status, DeployStatus::Superseded | DeployStatus::Running)
    }

    /// A change that reached production (it did not fail to start).
    pub fn is_deploy(&self) -> bool {
        self.is_change() && self.status != DeployStatus::Failed
    }

    /// A change that failed: it failed, was rolled back or fixed forward.
    pub fn is_failed_change(&self) -> bool {
        self.is_change()
            && (matches!(self.status, DeployStatus::Failed | DeployStatus::RolledBack) || self.fixed_forward_by.is_some())
    }

    /// Healthy: it ended well and nothing had to fix it.
    fn is_healthy(&self) -> bool {
        self.status == DeployStatus::Succeeded && self.fixed_forward_by.is_none()
    }

    /// First commit → running: for deploys that reached production and
    /// know their first commit (never negative).
    pub fn lead_time(&self) -> Option<Duration> {
        let first = self.event.first_commit_at?;
        self.is_deploy().then(|| (self.end() - first).max(Duration::zero()))
    }

    /// Failed change → the next healthy deploy's end.
    pub fn time_to_restore(&self) -> Option<Duration> {
        self.is_failed_change().then_some(())?;
        Some((self.restored_at? - self.event.at).max(Duration::zero()))
    }
}

/// Judges the deploys of one service to one cluster, oldest first.
pub fn judge(deploys: Vec<DeployEvent>, fix_forward: Option<Duration>) -> Vec<Judged> {
    let mut judged: Vec<Judged> = Vec::with_capacity(deploys.len());
    for event in deploys {
        let rollback = judged.last().is_some_and(|before| lower_version(&event.version, &before.event.version));
        judged.push(Judged {
            status: event.status,
            rollback,
            fixed_forward_by: None,
            reason: event.reason.clone(),
            restored_at: None,
            event,
        });
    }
    for i in 0..judged.len() {
        let next = judged.get(i + 1).map(|n| (n.event.at, n.rollback, n.event.version.clone()));
        let this = &mut judged[i];
        if let Some((next_at, next_is_rollback, next_version)) = next {
            ended_by_next(this, next_at, next_is_rollback, &next_version, fix_forward);
        }
    }
    for i in 0..judged.len() {
        if judged[i].is_failed_change() {
            judged[i].restored_at = judged[i + 1..].iter().find(|later| later.is_healthy()).map(Judged::end);
        }
    }
    judged
}

/// What the next deploy to the cluster says of `this`.
fn ended_by_next(
    this: &mut Judged,
    next_at: DateTime<Utc>,
    next_is_rollback: bool,
    next_version: &str,
    fix_forward: Option<Duration>,
) {
    match this.status {
        DeployStatus::Failed | DeployStatus::RolledBack | DeployStatus::Superseded => {}
        _ if next_is_rollback => {
            this.status = DeployStatus::RolledBack;
            this.reason.get_or_insert_with(|| format!("rolled back to {next_version}"));
        }
        DeployStatus::Running => this.status = DeployStatus::Superseded,
        DeployStatus::Succeeded if this.event.finished_at.is_some_and(|finished| next_at < finished) => {
            this.status = DeployStatus::Superseded;
        }
        DeployStatus::Succeeded => {
            let gap = next_at - this.end();
            if !this.rollback && fix_forward.is_some_and(|window| gap <= window) {
                this.fixed_forward_by = Some(next_version.to_string());
                let minutes = gap.num_minutes().max(0);
                this.reason.get_or_insert_with(|| format!("fixed forward by {next_version} {minutes} min later"));
            }
        }
    }
}
