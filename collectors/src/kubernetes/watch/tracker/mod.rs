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

mod events;
mod revisions;
mod workloads;

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

fn object(pairs: &[(&str, Value)]) -> serde_json::Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn start_of_day(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive().and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or(now)
}
