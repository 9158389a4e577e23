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
            && (matches!(self.status, DeployStatus::Failed | DeployStatus::RolledBack)
                || self.fixed_forward_by.is_some())
    }

    /// Healthy: it ended well and nothing had to fix it.
    pub fn is_healthy(&self) -> bool {
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
    let lane: Vec<&DeployEvent> = deploys.iter().collect();
    let verdicts = verdicts(&lane, fix_forward);
    deploys.into_iter().zip(verdicts).map(|(event, verdict)| verdict.on(event)).collect()
}

/// What [`Judged`] adds to an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub status: DeployStatus,
    pub rollback: bool,
    pub fixed_forward_by: Option<String>,
    /// The verdict's own reason (the reporter's, when given, wins in [`Judged`]).
    pub reason: Option<String>,
    pub restored_at: Option<DateTime<Utc>>,
}

impl Verdict {
    pub fn on(self, event: DeployEvent) -> Judged {
        let reason = event.reason.clone().or(self.reason);
        Judged {
            status: self.status,
            rollback: self.rollback,
            fixed_forward_by: self.fixed_forward_by,
            reason,
            restored_at: self.restored_at,
            event,
        }
    }
}

/// The verdicts on one lane (a service in a cluster, oldest first), in its
/// order, without moving the events.
pub fn verdicts(lane: &[&DeployEvent], fix_forward: Option<Duration>) -> Vec<Verdict> {
    let mut judged: Vec<Judged> = Vec::with_capacity(lane.len());
    for (i, event) in lane.iter().enumerate() {
        // A slim stand-in: only what the rules read of the event.
        let event = DeployEvent {
            at: event.at,
            finished_at: event.finished_at,
            status: event.status,
            ..DeployEvent::default()
        };
        let rollback = i > 0 && lower_version(&lane[i].version, &lane[i - 1].version);
        judged.push(Judged {
            status: event.status,
            rollback,
            fixed_forward_by: None,
            reason: None,
            restored_at: None,
            event,
        });
    }
    for i in 0..judged.len() {
        if let Some(next) = lane.get(i + 1) {
            let next_is_rollback = judged[i + 1].rollback;
            ended_by_next(&mut judged[i], next.at, next_is_rollback, &next.version, fix_forward);
        }
    }
    for i in 0..judged.len() {
        if judged[i].is_failed_change() {
            judged[i].restored_at = judged[i + 1..].iter().find(|later| later.is_healthy()).map(Judged::end);
        }
    }
    judged
        .into_iter()
        .map(|j| Verdict {
            status: j.status,
            rollback: j.rollback,
            fixed_forward_by: j.fixed_forward_by,
            reason: j.reason,
            restored_at: j.restored_at,
        })
        .collect()
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
            this.reason = Some(format!("rolled back to {next_version}"));
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
                this.reason = Some(format!("fixed forward by {next_version} {minutes} min later"));
            }
        }
    }
}
