//! The watch's state machine: watch events in, actions and memory out.
//! Pure (time is passed in), so scripted sequences test it exactly.
//!
//! Workload objects give scales, pauses, creations, deletions and how a
//! rollout goes; a Deployment's ReplicaSets give its revisions (when each
//! began, with which images, and rollbacks, which reuse an old ReplicaSet);
//! a StatefulSet's or DaemonSet's own template gives theirs; Warning events
//! give crash loops and the like, counted per workload and window.
//!
//! ReplicaSets are held back until every workload kind has been listed
//! once, and events until the ReplicaSets have been too, so each finds its
//! workload; a re-list (at start, or after a
//! `410 Gone`) is compared with what was remembered, so a change made while
//! SPoT was down or the watch was cut is recorded once, and nothing twice.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::events::v1::Event;
use serde_json::Value;

mod revisions;

use self::revisions::{revision_details, revision_kind, template_change, DeploymentCopy, WaitingRevision};
use super::memory::{event_uid, object_uid, workload_uid, Mark, Memory, WorkloadMemory, MARK};
use super::seen::{self, Rollout, SeenReplicaSet, SeenWorkload};
use super::warnings;
use crate::action::{Action, ActionBatch, ActionKind, Remembered};
use crate::kubernetes::entities::service_key;
use crate::kubernetes::model::{Kind, Rules, WorkloadId};

/// What a watch event carries.
#[derive(Debug, Clone)]
pub enum Object {
    Deployment(Box<Deployment>),
    StatefulSet(Box<StatefulSet>),
    DaemonSet(Box<DaemonSet>),
    ReplicaSet(Box<ReplicaSet>),
    Hpa(Box<HorizontalPodAutoscaler>),
    Event(Box<Event>),
}

/// The resources watched, one stream each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    Deployments,
    StatefulSets,
    DaemonSets,
    ReplicaSets,
    Hpas,
    Events,
}

impl Resource {
    pub const ALL: [Resource; 6] = [
        Resource::Deployments,
        Resource::StatefulSets,
        Resource::DaemonSets,
        Resource::ReplicaSets,
        Resource::Hpas,
        Resource::Events,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Deployments => "deployments",
            Resource::StatefulSets => "statefulsets",
            Resource::DaemonSets => "daemonsets",
            Resource::ReplicaSets => "replicasets",
            Resource::Hpas => "horizontalpodautoscalers",
            Resource::Events => "events",
        }
    }

    fn workload_kind(self) -> Option<Kind> {
        match self {
            Resource::Deployments => Some(Kind::Deployment),
            Resource::StatefulSets => Some(Kind::StatefulSet),
            Resource::DaemonSets => Some(Kind::DaemonSet),
            _ => None,
        }
    }
}

/// One event of one resource's watch, as kube's watcher gives it.
#[derive(Debug, Clone)]
pub enum Change {
    /// A (re-)list begins.
    Init,
    /// An object of the list.
    Listed(Object),
    /// The list is whole; watching from here.
    InitDone,
    Applied(Object),
    Deleted(Object),
}

/// Which namespaces are followed.
#[derive(Debug, Clone, Default)]
pub struct Namespaces {
    /// Empty: all.
    pub only: BTreeSet<String>,
    pub except: BTreeSet<String>,
}

impl Namespaces {
    fn follows(&self, namespace: &str) -> bool {
        !self.except.contains(namespace) && (self.only.is_empty() || self.only.contains(namespace))
    }
}

/// How the tracker reads and counts.
#[derive(Debug, Clone)]
pub struct TrackerSettings {
    pub cluster: String,
    pub rules: Rules,
    pub namespaces: Namespaces,
    /// Warnings of one kind on one workload are counted together over
    /// windows this long.
    pub warning_window: chrono::Duration,
}

/// A Deployment's ReplicaSet, as far as revisions go.
#[derive(Debug, Clone)]
struct KnownReplicaSet {
    namespace: String,
    name: String,
    owner: String,
}

/// Most watch events held back before every workload kind was listed.
const MAX_HELD: usize = 200_000;

pub struct Tracker {
    settings: TrackerSettings,
    /// No memory at start: the first connection to the cluster.
    first_connection: bool,
    /// Where this watch took over: the mark of the last commit before SPoT
    /// started, or (first connection) the time it connected. A ReplicaSet
    /// made before it and never seen by this watch is an old one; one made
    /// after it is a new revision. Fixed for the watch's life: the mark
    /// written at each commit must not move it (a re-list is compared
    /// after commits have happened).
    resumed_from: DateTime<Utc>,
    /// A workload created since this and never seen is `created`: the
    /// last mark, or the start of today on the first connection (today's
    /// backfill).
    created_since: DateTime<Utc>,
    workloads: HashMap<String, WorkloadMemory>,
    /// Each Deployment's latest copy, as far as its revisions' writers go.
    deployments: HashMap<String, DeploymentCopy>,
    /// New revisions whose Deployment has not been seen at that revision
    /// yet (the watches of the two resources are not in step).
    waiting: Vec<WaitingRevision>,
    names: HashMap<(String, Kind, String), String>,
    replica_sets: HashMap<String, KnownReplicaSet>,
    replica_set_names: HashMap<(String, String), String>,
    /// Desired replicas of the HPA scaling each workload (by uid-less name).
    hpas: HashMap<(String, String, String), i64>,
    events: HashMap<String, u64>,
    /// Per resource, the uids seen by a re-list under way.
    relisting: HashMap<Resource, HashSet<String>>,
    /// A re-list's ReplicaSets, compared once it is whole (in revision
    /// order), each with whether this watch knew it before the re-list.
    listed_replica_sets: Vec<(SeenReplicaSet, bool)>,
    /// Workload kinds (and ReplicaSets) listed at least once.
    listed: HashSet<Resource>,
    held: VecDeque<(Resource, Change)>,
    /// Warning events whose workload was not known yet (its ReplicaSet may
    /// arrive just after), tried again at each commit for a while.
    unresolved: VecDeque<Event>,
    /// ReplicaSets arrived since the unresolved events were last tried.
    new_replica_sets: bool,
    out: Pending,
}

/// Most warning events kept waiting for their workload, and for how long.
const MAX_UNRESOLVED: usize = 10_000;
const UNRESOLVED_FOR: chrono::Duration = chrono::Duration::minutes(10);

#[derive(Default)]
struct Pending {
    actions: Vec<Action>,
    remember: BTreeMap<String, Memory>,
    forget: BTreeSet<String>,
}

impl Tracker {
    /// A tracker resuming from what the store remembers of the cluster.
    pub fn new(settings: TrackerSettings, remembered: Vec<Remembered>, now: DateTime<Utc>) -> Tracker {
        let mut tracker = Tracker {
            first_connection: true,
            resumed_from: now,
            created_since: start_of_day(now),
            settings,
            workloads: HashMap::new(),
            deployments: HashMap::new(),
            waiting: Vec::new(),
            names: HashMap::new(),
            replica_sets: HashMap::new(),
            replica_set_names: HashMap::new(),
            hpas: HashMap::new(),
            events: HashMap::new(),
            relisting: HashMap::new(),
            listed_replica_sets: Vec::new(),
            listed: HashSet::new(),
            held: VecDeque::new(),
            unresolved: VecDeque::new(),
            new_replica_sets: false,
            out: Pending::default(),
        };
        for entry in remembered {
            let memory = serde_json::from_value::<Memory>(entry.state);
            tracker.first_connection &= memory.is_err();
            match memory {
                Ok(Memory::Mark(mark)) => {
                    tracker.resumed_from = mark.since;
                    tracker.created_since = mark.since;
                }
                Ok(Memory::Workload(w)) => {
                    let uid = object_uid(&entry.uid).to_string();
                    if let Some(id) = w.id() {
                        tracker.names.insert((id.namespace, id.kind, id.name), uid.clone());
                    }
                    tracker.workloads.insert(uid, *w);
                }
                Ok(Memory::Event(e)) => {
                    tracker.events.insert(object_uid(&entry.uid).to_string(), e.count);
                }
                Err(e) => {
                    tracing::warn!(kubernetes.cluster = %tracker.settings.cluster, memory = %entry.uid, error = %e, "ignoring a remembered entry this SPoT cannot read")
                }
            }
        }
        tracker
    }

    /// Whether anything waits to be committed.
    pub fn has_changes(&self) -> bool {
        !self.out.actions.is_empty() || !self.out.remember.is_empty() || !self.out.forget.is_empty()
    }

    /// What to commit, with the new mark: everything so far was seen.
    pub fn take(&mut self, now: DateTime<Utc>) -> ActionBatch {
        let cluster = self.settings.cluster.clone();
        let mut pending = std::mem::take(&mut self.out);
        pending.remember.insert(MARK.into(), Memory::Mark(Mark { since: now }));
        ActionBatch {
            actions: pending.actions,
            remember: pending
                .remember
                .into_iter()
                .map(|(uid, memory)| Remembered {
                    cluster: cluster.clone(),
                    uid,
                    state: serde_json::to_value(memory).unwrap_or(Value::Null),
                })
                .collect(),
            forget: pending.forget.into_iter().map(|uid| (cluster.clone(), uid)).collect(),
        }
    }

    pub fn apply(&mut self, resource: Resource, change: Change, now: DateTime<Utc>) {
        if !self.ready_for(resource) {
            if self.held.len() >= MAX_HELD {
                self.held.pop_front();
                tracing::warn!(kubernetes.cluster = %self.settings.cluster, "too many watch events before the workloads were listed: dropping the oldest");
            }
            self.held.push_back((resource, change));
            return;
        }
        self.handle(resource, change, now);
        self.release_held(now);
    }

    /// ReplicaSets wait until every workload kind was listed once, so each
    /// finds its Deployment; warning events also until the ReplicaSets were,
    /// so each finds its pod's workload (a warning older than a few minutes
    /// whose workload is not found is not tried again).
    fn ready_for(&self, resource: Resource) -> bool {
        match resource {
            Resource::ReplicaSets => self.workloads_listed(),
            Resource::Events => self.workloads_listed() && self.listed.contains(&Resource::ReplicaSets),
            _ => true,
        }
    }

    /// Handles the held events that can be now, ReplicaSets first, each
    /// resource's in the order they came.
    fn release_held(&mut self, now: DateTime<Utc>) {
        for resource in [Resource::ReplicaSets, Resource::Events] {
            if !self.ready_for(resource) || !self.held.iter().any(|(r, _)| *r == resource) {
                continue;
            }
            let (ready, rest): (VecDeque<_>, VecDeque<_>) =
                std::mem::take(&mut self.held).into_iter().partition(|(r, _)| *r == resource);
            self.held = rest;
            for (resource, change) in ready {
                self.handle(resource, change, now);
            }
        }
    }

    fn workloads_listed(&self) -> bool {
        [Resource::Deployments, Resource::StatefulSets, Resource::DaemonSets].iter().all(|r| self.listed.contains(r))
    }

    fn handle(&mut self, resource: Resource, change: Change, now: DateTime<Utc>) {
        match change {
            Change::Init => {
                self.relisting.insert(resource, HashSet::new());
            }
            Change::Listed(object) => self.object(resource, object, now, true),
            Change::Applied(object) => self.object(resource, object, now, false),
            Change::Deleted(object) => self.deleted(object, now),
            Change::InitDone => self.relisted(resource, now),
        }
    }

    fn object(&mut self, resource: Resource, object: Object, now: DateTime<Utc>, listed: bool) {
        let rules = &self.settings.rules;
        let read = match &object {
            Object::Deployment(d) => Some(seen::deployment(d, rules)),
            Object::StatefulSet(s) => Some(seen::stateful_set(s, rules)),
            Object::DaemonSet(d) => Some(seen::daemon_set(d, rules)),
            _ => None,
        };
        if let Some(read) = read {
            match read {
                Ok(workload) => self.workload(resource, workload, now, listed),
                Err(problem) => {
                    tracing::debug!(kubernetes.cluster = %self.settings.cluster, problem, "skipping a workload")
                }
            }
            return;
        }
        match object {
            Object::ReplicaSet(rs) => {
                if let Some(rs) = seen::replica_set(&rs) {
                    self.replica_set(rs, now, listed);
                }
            }
            Object::Hpa(hpa) => self.hpa(&hpa),
            Object::Event(event) => self.event(&event, listed),
            _ => {}
        }
    }

    // ----- workloads -----

    fn workload(&mut self, resource: Resource, seen: SeenWorkload, now: DateTime<Utc>, listed: bool) {
        if !self.settings.namespaces.follows(&seen.id.namespace) || seen.uid.is_empty() {
            return;
        }
        if let Some(seen_uids) = self.relisting.get_mut(&resource).filter(|_| listed) {
            seen_uids.insert(seen.uid.clone());
        }
        let memory = match self.workloads.remove(&seen.uid) {
            None => self.first_sight(&seen),
            Some(before) if before.resource_version == seen.resource_version => before,
            Some(before) => self.changed(before, &seen, now, listed),
        };
        self.names.insert((seen.id.namespace.clone(), seen.id.kind, seen.id.name.clone()), seen.uid.clone());
        self.out.remember.insert(workload_uid(&seen.uid), Memory::Workload(Box::new(memory.clone())));
        self.workloads.insert(seen.uid.clone(), memory);
        if seen.id.kind == Kind::Deployment {
            let copy = DeploymentCopy { revision: seen.revision, managers: seen.managers.clone() };
            self.deployments.insert(seen.uid.clone(), copy);
            self.release_waiting(|w| w.rs.owner.as_ref() == Some(&seen.uid) && w.rs.revision <= seen.revision, now);
        }
    }

    fn first_sight(&mut self, seen: &SeenWorkload) -> WorkloadMemory {
        if let Some(created) = seen.created.filter(|c| *c >= self.created_since) {
            let actor = seen.managers.spec.as_ref().map(|w| w.manager.clone());
            let details =
                object(&[("replicas", seen.replicas.into()), ("images", seen.template.images.clone().into())]);
            self.push(
                &About::seen(seen),
                format!("{}/created", seen.uid),
                ActionKind::Created,
                created,
                actor,
                details,
            );
        }
        let marker = seen.rollout_marker();
        WorkloadMemory {
            kind: seen.id.kind.as_str().into(),
            namespace: seen.id.namespace.clone(),
            name: seen.id.name.clone(),
            service: seen.service.clone(),
            resource_version: seen.resource_version.clone(),
            replicas: seen.replicas,
            paused: seen.paused,
            template: seen.template.clone(),
            history: Vec::new(),
            rs_revision: 0,
            updated: seen.updated,
            completed: (seen.rollout == Rollout::Complete).then(|| marker.clone()),
            stalled: (seen.rollout == Rollout::Stalled).then_some(marker),
        }
    }

    /// What changed since `before`: each difference one action.
    fn changed(
        &mut self,
        mut before: WorkloadMemory,
        seen: &SeenWorkload,
        now: DateTime<Utc>,
        listed: bool,
    ) -> WorkloadMemory {
        let rv = &seen.resource_version;
        // A live event happened now; a change found by a re-list happened
        // when its writer last wrote, as far as Kubernetes says.
        let when = |write: Option<&super::actor::Write>| match (listed, write.and_then(|w| w.at)) {
            (true, Some(at)) => at,
            _ => now,
        };
        if seen.replicas != before.replicas && seen.id.kind != Kind::DaemonSet {
            let scaler = seen.managers.scaler();
            let by_autoscaler = scaler.is_some_and(|w| w.manager == super::actor::CONTROLLER_MANAGER)
                || self.hpa_desired(seen) == Some(seen.replicas);
            let details = object(&[
                ("from", before.replicas.into()),
                ("to", seen.replicas.into()),
                ("by", if by_autoscaler { "autoscaler" } else { "person" }.into()),
            ]);
            let actor = scaler.map(|w| w.manager.clone());
            self.push(
                &About::seen(seen),
                format!("{}/{rv}/scale", seen.uid),
                ActionKind::Scale,
                when(scaler),
                actor,
                details,
            );
        }
        if seen.paused != before.paused {
            let kind = if seen.paused { ActionKind::Paused } else { ActionKind::Resumed };
            let actor = seen.managers.spec.as_ref().map(|w| w.manager.clone());
            self.push(
                &About::seen(seen),
                format!("{}/{rv}/{kind}", seen.uid),
                kind,
                when(seen.managers.spec.as_ref()),
                actor,
                object(&[]),
            );
        }
        let template_changed = seen.template.fingerprint != before.template.fingerprint
            || seen.template.restarted_at != before.template.restarted_at;
        // A Deployment's revisions come from its ReplicaSets.
        if seen.id.kind != Kind::Deployment && template_changed {
            let change = template_change(Some(&before.template), &seen.template);
            let writer = seen.managers.template_writer(change, None).or(seen.managers.spec.as_ref());
            self.new_template(&mut before, seen, when(writer), writer.map(|w| w.manager.clone()));
        }
        self.rollout(&mut before, seen, now);
        before.service = seen.service.clone().or(before.service);
        before.resource_version = seen.resource_version.clone();
        before.replicas = seen.replicas;
        before.paused = seen.paused;
        before.updated = seen.updated;
        before
    }

    /// A StatefulSet's or DaemonSet's new revision.
    fn new_template(
        &mut self,
        before: &mut WorkloadMemory,
        seen: &SeenWorkload,
        at: DateTime<Utc>,
        actor: Option<String>,
    ) {
        let kind = if before.history.iter().any(|t| t.fingerprint == seen.template.fingerprint) {
            ActionKind::Rollback
        } else {
            revision_kind(Some(&before.template), &seen.template)
        };
        let mut details = revision_details(&seen.template, Some(&before.template));
        details.insert("generation".into(), seen.generation.into());
        self.push(&About::seen(seen), format!("{}/gen{}/{kind}", seen.uid, seen.generation), kind, at, actor, details);
        let earlier = std::mem::replace(&mut before.template, seen.template.clone());
        before.push_history(earlier);
    }

    /// Progress, completion and stalls of the current rollout.
    fn rollout(&mut self, before: &mut WorkloadMemory, seen: &SeenWorkload, now: DateTime<Utc>) {
        let marker = seen.rollout_marker();
        let open = before.completed.as_deref() != Some(marker.as_str());
        let progress = object(&[
            ("updated", seen.updated.into()),
            ("desired", seen.replicas.into()),
            ("rollout", marker.clone().into()),
        ]);
        match seen.rollout {
            Rollout::Progressing if open && seen.updated > before.updated => {
                let key = format!("{}/{}/progressed", seen.uid, seen.resource_version);
                self.push(&About::seen(seen), key, ActionKind::RolloutProgressed, now, None, progress);
            }
            Rollout::Complete if open => {
                let key = format!("{}/{marker}/completed", seen.uid);
                self.push(&About::seen(seen), key, ActionKind::RolloutCompleted, now, None, progress);
                before.completed = Some(marker);
            }
            Rollout::Stalled if before.stalled.as_deref() != Some(marker.as_str()) => {
                let key = format!("{}/{marker}/stalled", seen.uid);
                self.push(&About::seen(seen), key, ActionKind::RolloutStalled, now, None, progress);
                before.stalled = Some(marker);
            }
            _ => {}
        }
    }

    fn hpa_desired(&self, seen: &SeenWorkload) -> Option<i64> {
        let target = (seen.id.namespace.clone(), seen.id.kind.as_str().to_string(), seen.id.name.clone());
        self.hpas.get(&target).copied()
    }

    fn deleted(&mut self, object: Object, now: DateTime<Utc>) {
        match object {
            Object::Deployment(d) => {
                self.workload_gone(d.metadata.uid.as_deref(), d.metadata.deletion_timestamp.map(|t| t.0), now)
            }
            Object::StatefulSet(s) => {
                self.workload_gone(s.metadata.uid.as_deref(), s.metadata.deletion_timestamp.map(|t| t.0), now)
            }
            Object::DaemonSet(d) => {
                self.workload_gone(d.metadata.uid.as_deref(), d.metadata.deletion_timestamp.map(|t| t.0), now)
            }
            Object::ReplicaSet(rs) => {
                if let Some(known) = rs.metadata.uid.as_ref().and_then(|uid| self.replica_sets.remove(uid)) {
                    self.replica_set_names.remove(&(known.namespace, known.name));
                }
            }
            Object::Hpa(hpa) => {
                if let Some(target) = hpa_target(&hpa) {
                    self.hpas.remove(&target);
                }
            }
            Object::Event(event) => {
                if let Some(uid) = event.metadata.uid.as_ref() {
                    if self.events.remove(uid).is_some() {
                        self.out.forget.insert(event_uid(uid));
                        self.out.remember.remove(&event_uid(uid));
                    }
                }
            }
        }
    }

    fn workload_gone(&mut self, uid: Option<&str>, at: Option<DateTime<Utc>>, now: DateTime<Utc>) {
        let Some(uid) = uid else { return };
        let Some(memory) = self.workloads.remove(uid) else { return };
        self.deployments.remove(uid);
        self.waiting.retain(|w| w.rs.owner.as_deref() != Some(uid));
        let Some(about) = About::remembered(&memory) else { return };
        self.names.remove(&(about.id.namespace.clone(), about.id.kind, about.id.name.clone()));
        let details = object(&[("replicas", memory.replicas.into())]);
        self.push(&about, format!("{uid}/deleted"), ActionKind::Deleted, at.unwrap_or(now), None, details);
        self.out.remember.remove(&workload_uid(uid));
        self.out.forget.insert(workload_uid(uid));
    }

    /// A (re-)list is whole: what it no longer holds is gone.
    fn relisted(&mut self, resource: Resource, now: DateTime<Utc>) {
        let seen = self.relisting.remove(&resource).unwrap_or_default();
        if let Some(kind) = resource.workload_kind() {
            let gone: Vec<String> = self
                .workloads
                .iter()
                .filter(|(uid, w)| w.kind == kind.as_str() && !seen.contains(*uid))
                .map(|(uid, _)| uid.clone())
                .collect();
            for uid in gone {
                self.workload_gone(Some(&uid), None, now);
            }
            self.listed.insert(resource);
        }
        match resource {
            Resource::ReplicaSets => {
                let listed = std::mem::take(&mut self.listed_replica_sets);
                self.compare_listed_replica_sets(listed, now);
                self.replica_sets.retain(|uid, _| seen.contains(uid));
                let kept: HashSet<(String, String)> =
                    self.replica_sets.values().map(|rs| (rs.namespace.clone(), rs.name.clone())).collect();
                self.replica_set_names.retain(|name, _| kept.contains(name));
                self.listed.insert(resource);
            }
            Resource::Events => {
                let expired: Vec<String> = self.events.keys().filter(|uid| !seen.contains(*uid)).cloned().collect();
                for uid in expired {
                    self.events.remove(&uid);
                    self.out.forget.insert(event_uid(&uid));
                }
            }
            _ => {}
        }
    }

    // ----- autoscalers and warnings -----

    fn hpa(&mut self, hpa: &HorizontalPodAutoscaler) {
        if let Some(target) = hpa_target(hpa) {
            let desired = hpa.status.as_ref().map_or(0, |s| i64::from(s.desired_replicas));
            self.hpas.insert(target, desired);
        }
    }

    fn event(&mut self, event: &Event, listed: bool) {
        let Some(uid) = event.metadata.uid.clone() else { return };
        if listed {
            if let Some(seen) = self.relisting.get_mut(&Resource::Events) {
                seen.insert(uid.clone());
            }
        }
        let Some(warning) = warnings::read(event) else { return };
        if !self.settings.namespaces.follows(&warning.namespace) {
            return;
        }
        let before = self.events.get(&uid).copied().unwrap_or(0);
        if warning.count <= before {
            return;
        }
        let Some(owner) = self.owner_of(&warning.namespace, &warning.regarding_kind, &warning.regarding_name) else {
            if self.unresolved.len() >= MAX_UNRESOLVED {
                self.unresolved.pop_front();
            }
            self.unresolved.push_back(event.clone());
            return;
        };
        let Some(about) = self.workloads.get(&owner).and_then(About::remembered) else { return };
        // First seen: what it counts began at its first occurrence. Seen
        // before: what it adds happened after the last count was taken, so
        // the latest occurrence is all that is known of it.
        let at = if before == 0 { warning.first } else { warning.last };
        let window = self.settings.warning_window.num_milliseconds().max(1);
        let start = at.timestamp_millis().div_euclid(window) * window;
        let key = format!("{owner}/{}/{start}", warning.kind);
        let details = object(&[
            ("reason", warning.reason.clone().into()),
            ("message", warning.message.clone().into()),
            ("object", format!("{}/{}", warning.regarding_kind, warning.regarding_name).into()),
        ]);
        let mut action = self.action(&about, key, warning.kind, at, warning.actor.clone(), details);
        action.count = warning.count - before;
        action.last_at = warning.last;
        self.out.actions.push(action);
        self.events.insert(uid.clone(), warning.count);
        self.out.remember.insert(event_uid(&uid), Memory::Event(super::memory::EventMemory { count: warning.count }));
    }

    /// Tries again the warning events whose workload was not known, if
    /// ReplicaSets arrived since (the run loop calls it before each commit).
    pub fn retry_unresolved(&mut self, now: DateTime<Utc>) {
        if !std::mem::take(&mut self.new_replica_sets) {
            return;
        }
        for event in std::mem::take(&mut self.unresolved) {
            let recent = warnings::read(&event).is_some_and(|w| w.last > now - UNRESOLVED_FOR);
            if recent {
                self.event(&event, false);
            }
        }
    }

    /// The workload (uid) an event's object belongs to: a pod by its name
    /// (`<replicaset>-<suffix>`, `<statefulset>-<ordinal>`,
    /// `<daemonset>-<suffix>`), a ReplicaSet by its owner, a workload itself.
    fn owner_of(&self, namespace: &str, kind: &str, name: &str) -> Option<String> {
        let named = |kind: Kind, name: &str| self.names.get(&(namespace.to_string(), kind, name.to_string())).cloned();
        let replica_set_owner = |name: &str| {
            let uid = self.replica_set_names.get(&(namespace.to_string(), name.to_string()))?;
            self.replica_sets.get(uid).map(|rs| rs.owner.clone())
        };
        match kind {
            "Pod" => {
                let (prefix, _) = name.rsplit_once('-')?;
                replica_set_owner(prefix)
                    .or_else(|| named(Kind::StatefulSet, prefix))
                    .or_else(|| named(Kind::DaemonSet, prefix))
            }
            "ReplicaSet" => replica_set_owner(name),
            other => named(Kind::parse(other)?, name),
        }
    }

    // ----- actions -----

    /// The one way an action is made; a warning then sets its count.
    fn action(
        &self,
        about: &About,
        key: String,
        kind: ActionKind,
        at: DateTime<Utc>,
        actor: Option<String>,
        details: serde_json::Map<String, Value>,
    ) -> Action {
        Action {
            key,
            cluster: self.settings.cluster.clone(),
            namespace: about.id.namespace.clone(),
            workload: about.id.key(&self.settings.cluster),
            service: about.service.as_deref().map(service_key),
            kind,
            at,
            last_at: at,
            count: 1,
            actor,
            details,
        }
    }

    fn push(
        &mut self,
        about: &About,
        key: String,
        kind: ActionKind,
        at: DateTime<Utc>,
        actor: Option<String>,
        details: serde_json::Map<String, Value>,
    ) {
        let action = self.action(about, key, kind, at, actor, details);
        self.out.actions.push(action);
    }
}

/// The workload an action is about, and its service's name.
struct About {
    id: WorkloadId,
    service: Option<String>,
}

impl About {
    fn seen(seen: &SeenWorkload) -> About {
        About { id: seen.id.clone(), service: seen.service.clone() }
    }

    fn remembered(workload: &WorkloadMemory) -> Option<About> {
        Some(About { id: workload.id()?, service: workload.service.clone() })
    }
}

fn hpa_target(hpa: &HorizontalPodAutoscaler) -> Option<(String, String, String)> {
    let namespace = hpa.metadata.namespace.clone()?;
    let target = &hpa.spec.as_ref()?.scale_target_ref;
    Some((namespace, target.kind.clone(), target.name.clone()))
}

fn object(pairs: &[(&str, Value)]) -> serde_json::Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn start_of_day(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive().and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or(now)
}
