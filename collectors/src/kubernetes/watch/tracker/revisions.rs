//! A Deployment's revisions, from its ReplicaSets: which one is newest,
//! whether it began a revision or was rolled back to, when, and who wrote
//! it (from the Deployment's `managedFields`, once the Deployment has been
//! seen at that revision).
//!
//! On the first connection every ReplicaSet kept is history. Afterwards,
//! a rollback is only a change of which ReplicaSet is newest as this
//! watch saw them; a re-list after a gap is compared with the remembered
//! revision, each newer ReplicaSet recorded as what it was, at the time
//! the objects carry.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{object, About, KnownReplicaSet, Resource, Tracker};
use crate::action::ActionKind;
use crate::kubernetes::watch::actor::{Managers, TemplateChange};
use crate::kubernetes::watch::memory::{workload_uid, Memory};
use crate::kubernetes::watch::seen::{SeenReplicaSet, Template};

/// How long a new ReplicaSet waits for its Deployment's update (the one
/// that names its writer) before it is recorded with what is known.
const WAIT_FOR_DEPLOYMENT: chrono::Duration = chrono::Duration::seconds(10);

/// A Deployment's revision and writers, from its latest copy.
pub(super) struct DeploymentCopy {
    pub(super) revision: Option<u64>,
    pub(super) managers: Managers,
}

/// A revision found before its Deployment's update (which names its writer).
pub(super) struct WaitingRevision {
    pub(super) rs: SeenReplicaSet,
    found: Found,
    arrived: DateTime<Utc>,
}

/// How a revision newer than the remembered one was found.
#[derive(Debug, Clone, Copy)]
enum Found {
    /// Seen live; `reused`: an old ReplicaSet this watch knew, made newest
    /// again.
    Live { reused: bool },
    /// Found by a re-list; `old`: made before the watch took over, or known
    /// to it; `newest`: the Deployment's newest revision.
    Relisted { old: bool, newest: bool },
}

impl Tracker {
    pub(super) fn replica_set(&mut self, rs: SeenReplicaSet, now: DateTime<Utc>, listed: bool) {
        if !self.settings.namespaces.follows(&rs.namespace) {
            return;
        }
        let (Some(owner), Some(revision)) = (rs.owner.clone(), rs.revision) else { return };
        let known = KnownReplicaSet { namespace: rs.namespace.clone(), name: rs.name.clone(), owner: owner.clone() };
        self.replica_set_names.insert((rs.namespace.clone(), rs.name.clone()), rs.uid.clone());
        self.new_replica_sets = true;
        let before = self.replica_sets.insert(rs.uid.clone(), known);
        if listed {
            if let Some(seen) = self.relisting.get_mut(&Resource::ReplicaSets) {
                seen.insert(rs.uid.clone());
            }
            self.listed_replica_sets.push((rs, before.is_some()));
            return;
        }
        let Some(workload) = self.workloads.get(&owner) else { return };
        if revision <= workload.rs_revision {
            return;
        }
        self.revision_found(rs, Found::Live { reused: before.is_some() }, now);
    }

    /// Records a revision when its Deployment has been seen at it (its
    /// `managedFields` then name the revision's writer), else keeps it
    /// waiting for that.
    fn revision_found(&mut self, rs: SeenReplicaSet, found: Found, now: DateTime<Utc>) {
        // The controller updates a new ReplicaSet several times at once.
        if self.waiting.iter().any(|w| w.rs.uid == rs.uid) {
            return;
        }
        let owner = rs.owner.as_deref().unwrap_or_default();
        let caught_up =
            self.deployments.get(owner).and_then(|d| d.revision).is_some_and(|seen| Some(seen) >= rs.revision);
        if caught_up {
            self.record_revision(&rs, found, now);
        } else {
            self.waiting.push(WaitingRevision { rs, found, arrived: now });
        }
    }

    /// Records a revision as what it was: live, a new ReplicaSet began it
    /// at its creation and an old one made newest again is a rollback, now;
    /// found by a re-list, a rollback at [`Self::rollback_time`].
    fn record_revision(&mut self, rs: &SeenReplicaSet, found: Found, now: DateTime<Utc>) {
        match found {
            Found::Live { reused: true } => self.rolled_back(rs, now, true),
            Found::Live { reused: false } => self.revision_started(rs, None, rs.created.unwrap_or(now)),
            Found::Relisted { old: false, .. } => {
                // Compared with the template before it: the remembered one,
                // then each adopted in turn.
                self.revision_started(rs, None, rs.created.unwrap_or(self.resumed_from))
            }
            Found::Relisted { old: true, newest } => {
                let at = self.rollback_time(rs, newest);
                self.rolled_back(rs, at, newest)
            }
        }
    }

    /// Records the waiting revisions `which` picks, in revision order.
    pub(super) fn release_waiting(&mut self, which: impl Fn(&WaitingRevision) -> bool, now: DateTime<Utc>) {
        if self.waiting.is_empty() {
            return;
        }
        let (mut ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting).into_iter().partition(which);
        self.waiting = waiting;
        ready.sort_by_key(|w| w.rs.revision);
        for w in ready {
            let newer = self.workloads.get(w.rs.owner.as_deref().unwrap_or_default()).map(|m| m.rs_revision);
            if newer.is_some_and(|known| w.rs.revision.unwrap_or(0) > known) {
                self.record_revision(&w.rs, w.found, now);
            }
        }
    }

    /// Records the revisions that waited too long for their Deployment,
    /// with what is known of their writers (the run loop calls it before
    /// each commit).
    pub fn release_overdue(&mut self, now: DateTime<Utc>) {
        self.release_waiting(|w| now - w.arrived >= WAIT_FOR_DEPLOYMENT, now);
    }

    /// A re-list's ReplicaSets against what was remembered, one Deployment
    /// at a time, in revision order.
    pub(super) fn compare_listed_replica_sets(&mut self, mut listed: Vec<(SeenReplicaSet, bool)>, now: DateTime<Utc>) {
        listed.sort_by(|(a, _), (b, _)| (&a.owner, a.revision).cmp(&(&b.owner, b.revision)));
        for group in listed.chunk_by(|(a, _), (b, _)| a.owner == b.owner) {
            let Some(owner) = group[0].0.owner.clone() else { continue };
            let Some(known) = self.workloads.get(&owner).map(|w| w.rs_revision) else { continue };
            if self.first_connection && known == 0 {
                self.first_history(group);
            } else {
                self.revisions_since(known, group, now);
            }
        }
        self.first_connection = false;
    }

    /// The first connection: every ReplicaSet kept is history, adopted
    /// without an action (what happened before SPoT came is the daily
    /// snapshot's `rollouts`), except the newest when its rollout is still
    /// under way: that rollout is recorded, at its own time.
    ///
    /// Under way means an older ReplicaSet is still asked for pods: the
    /// Deployment controller scales the old ones to zero as the new one
    /// comes up. The Deployment's own status is no guide here: a crash
    /// loop or an autoscaler's scale-up also leave it short of available
    /// replicas, long after its last rollout.
    fn first_history(&mut self, group: &[(SeenReplicaSet, bool)]) {
        let revisions: Vec<&SeenReplicaSet> = group.iter().map(|(rs, _)| rs).collect();
        let Some((newest, older)) = revisions.split_last() else { return };
        for rs in older {
            self.adopt(rs);
        }
        if older.iter().any(|rs| rs.replicas > 0) {
            let before = older.last().map(|rs| &rs.template);
            self.revision_started(newest, before, newest.created.unwrap_or(self.resumed_from));
        } else {
            self.adopt(newest);
        }
    }

    /// Each revision newer than the `known` one, as it happened while the
    /// watch did not see it: a ReplicaSet made since the watch took over
    /// began a revision at its creation; an older one (or one this watch
    /// knew) made newest again was rolled back to.
    fn revisions_since(&mut self, known: u64, group: &[(SeenReplicaSet, bool)], now: DateTime<Utc>) {
        let newest = group.last().and_then(|(rs, _)| rs.revision);
        for (rs, known_before) in group {
            let Some(revision) = rs.revision.filter(|r| *r > known) else { continue };
            let old = *known_before || rs.created.is_none_or(|created| created < self.resumed_from);
            if old && known == 0 {
                // A Deployment this watch never knew: its old ReplicaSets
                // are its history, not rollbacks.
                self.adopt(rs);
                continue;
            }
            let found = Found::Relisted { old, newest: Some(revision) == newest };
            self.revision_found(rs.clone(), found, now);
        }
    }

    /// When a rollback found by a re-list happened: the newest revision's
    /// is the latest write of the template (the undo), if since the watch
    /// took over; an earlier one's is not told by the object, so the
    /// earliest it can have been.
    fn rollback_time(&self, rs: &SeenReplicaSet, newest: bool) -> DateTime<Utc> {
        let owner = rs.owner.as_deref().unwrap_or_default();
        let written = self
            .deployments
            .get(owner)
            .filter(|_| newest)
            .and_then(|d| d.managers.template_writer(TemplateChange::Other, None))
            .and_then(|w| w.at);
        written.filter(|at| *at >= self.resumed_from).unwrap_or(self.resumed_from)
    }

    fn adopt(&mut self, rs: &SeenReplicaSet) {
        let Some(owner) = rs.owner.as_ref() else { return };
        if let Some(workload) = self.workloads.get_mut(owner) {
            workload.rs_revision = rs.revision.unwrap_or(0).max(workload.rs_revision);
            workload.template = rs.template.clone();
            self.out.remember.insert(workload_uid(owner), Memory::Workload(Box::new(workload.clone())));
        }
    }

    /// Who wrote the template of a revision of `owner`: the writer by the
    /// time the revision began (`by`; `None`: the current template's).
    fn revision_writer(&self, owner: &str, change: TemplateChange, by: Option<DateTime<Utc>>) -> Option<String> {
        let managers = &self.deployments.get(owner)?.managers;
        managers.template_writer(change, by).map(|w| w.manager.clone())
    }

    /// A new ReplicaSet: a new revision of its Deployment began at `at`.
    pub(super) fn revision_started(&mut self, rs: &SeenReplicaSet, before: Option<&Template>, at: DateTime<Utc>) {
        let Some(owner) = rs.owner.clone() else { return };
        let Some(workload) = self.workloads.get(&owner) else { return };
        let Some(about) = About::remembered(workload) else { return };
        let before = before.cloned().or_else(|| (workload.rs_revision > 0).then(|| workload.template.clone()));
        let kind = revision_kind(before.as_ref(), &rs.template);
        let mut details = revision_details(&rs.template, before.as_ref());
        details.insert("revision".into(), rs.revision.into());
        details.insert("replica_set".into(), rs.name.clone().into());
        let actor = self.revision_writer(&owner, template_change(before.as_ref(), &rs.template), Some(at));
        self.push(&about, format!("{}/started", rs.uid), kind, at, actor, details);
        self.adopt(rs);
    }

    /// An old ReplicaSet made the newest revision again: a rollback. Its
    /// writer is known when it is the current template (`current`).
    pub(super) fn rolled_back(&mut self, rs: &SeenReplicaSet, at: DateTime<Utc>, current: bool) {
        let Some(owner) = rs.owner.clone() else { return };
        let Some(workload) = self.workloads.get(&owner) else { return };
        let Some(about) = About::remembered(workload) else { return };
        let mut details = revision_details(&rs.template, Some(&workload.template));
        details.insert("revision".into(), rs.revision.into());
        details.insert("replica_set".into(), rs.name.clone().into());
        let change = template_change(Some(&workload.template), &rs.template);
        let actor = if current { self.revision_writer(&owner, change, None) } else { None };
        let key = format!("{}/rev{}/rollback", rs.uid, rs.revision.unwrap_or(0));
        self.push(&about, key, ActionKind::Rollback, at, actor, details);
        if let Some(w) = self.workloads.get_mut(&owner) {
            let earlier = std::mem::replace(&mut w.template, rs.template.clone());
            w.push_history(earlier);
        }
        self.adopt(rs);
    }
}

/// Which of the fields that tell revisions apart changed, to find its writer.
pub(super) fn template_change(before: Option<&Template>, now: &Template) -> TemplateChange {
    match before {
        Some(before) if now.only_restarted(before) => TemplateChange::Restart,
        Some(before) if before.images == now.images => TemplateChange::Other,
        _ => TemplateChange::Images,
    }
}

/// What a new template is, next to the one before it.
pub(super) fn revision_kind(before: Option<&Template>, now: &Template) -> ActionKind {
    match before {
        None => ActionKind::RolloutStarted,
        Some(before) if before.images != now.images => ActionKind::RolloutStarted,
        Some(before) if now.only_restarted(before) => ActionKind::Restart,
        Some(_) => ActionKind::ConfigChanged,
    }
}

pub(super) fn revision_details(now: &Template, before: Option<&Template>) -> serde_json::Map<String, Value> {
    let mut details = object(&[("images", now.images.clone().into())]);
    if let Some(version) = &now.version {
        details.insert("version".into(), version.clone().into());
    }
    if let Some(before) = before.filter(|b| b.images != now.images && !b.images.is_empty()) {
        details.insert("previous_images".into(), before.images.clone().into());
        if let Some(version) = &before.version {
            details.insert("previous_version".into(), version.clone().into());
        }
    }
    if let Some(restarted_at) = &now.restarted_at {
        details.insert("restarted_at".into(), restarted_at.clone().into());
    }
    details
}
