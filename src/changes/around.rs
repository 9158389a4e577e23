//! Everything that changed around one service (docs/changes.md, "Around a
//! service"): its dependency neighbourhood as of the window's end, and the
//! snapshot changes (per day), deploys (with their verdicts) and
//! Kubernetes actions (to the minute) of every service in it, merged in
//! time order, each tied to the service by its hop distance and path.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, Duration, Utc};

use super::read::{finish, outline_of, Scope};
use super::scoped::Members;
use super::{ChangeKind, Significance, TypedChange};
use crate::delivery::dora::judged_in_order;
use crate::delivery::Judged;
use crate::model::{Action, ActionFilter, ActionKind, Day, DeployFilter, DeployStatus, Direction, EdgeRule, Traversal};
use crate::store::{Store, StoreError, StoreResult, MAX_ACTIONS};

/// Most days a window may span.
pub const MAX_DAYS: i64 = 31;

/// What to read around a service.
#[derive(Debug, Clone)]
pub struct AroundQuery {
    /// A service key.
    pub service: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Hops through the graph, 1 to 3.
    pub depth: u32,
    pub direction: Direction,
    /// Relation kinds followed (default `depends_on`).
    pub kinds: Vec<String>,
    /// The fix-forward window deploys are judged by (docs/dora.md).
    pub fix_forward: Option<Duration>,
}

/// What an event of the timeline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum EventKind {
    /// A change between two daily snapshots (its time is the later day's start).
    Snapshot,
    Deploy,
    Action,
}

/// One event of the timeline around a service.
#[derive(Debug, Clone)]
pub struct AroundEvent {
    pub at: DateTime<Utc>,
    pub event: EventKind,
    /// The neighbourhood's service it belongs to.
    pub service: String,
    /// Hops from the service asked about (0: that service).
    pub hops: u32,
    /// Service keys from the one asked about to this event's, both included.
    pub path: Vec<String>,
    pub title: String,
    /// A change's kind, `deploy`, or the action's kind.
    pub kind: String,
    pub significance: Significance,
    /// docs/changes.md, "Most suspicious first".
    pub suspicion: i64,
    pub change: Option<TypedChange>,
    pub deploy: Option<Judged>,
    pub action: Option<Action>,
}

/// The neighbourhood and its events, oldest first.
#[derive(Debug, Clone)]
pub struct Around {
    /// Each service of the neighbourhood with its path from the one asked about.
    pub services: BTreeMap<String, Vec<String>>,
    pub events: Vec<AroundEvent>,
}

impl Around {
    /// Puts the events most suspicious first (later first on a tie).
    pub fn most_suspicious_first(&mut self) {
        self.events.sort_by(|a, b| b.suspicion.cmp(&a.suspicion).then(b.at.cmp(&a.at)));
    }
}

fn bad(message: String) -> StoreError {
    StoreError::BadRequest(message)
}

pub async fn around(store: &dyn Store, query: &AroundQuery) -> StoreResult<Around> {
    if query.from >= query.to {
        return Err(bad(format!("the window must run forward: {} is not before {}", query.from, query.to)));
    }
    if query.to - query.from > Duration::days(MAX_DAYS) {
        return Err(bad(format!("the window spans more than {MAX_DAYS} days")));
    }
    if !(1..=3).contains(&query.depth) {
        return Err(bad(format!("depth must be 1 to 3 (it is {})", query.depth)));
    }
    let services = neighbourhood(store, query).await?;
    let mut events = snapshot_events(store, query, &services).await?;
    events.extend(deploy_events(store, query, &services).await?);
    events.extend(action_events(store, query, &services).await?);
    let window = (query.to - query.from).num_seconds().max(1);
    for event in &mut events {
        event.suspicion = suspicion(event, query.to, window);
    }
    events.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.title.cmp(&b.title)));
    Ok(Around { services, events })
}

/// The services reached from the one asked about as of the window's last
/// day, each with its path (breadth first: a shortest one).
async fn neighbourhood(store: &dyn Store, query: &AroundQuery) -> StoreResult<BTreeMap<String, Vec<String>>> {
    let kinds = if query.kinds.is_empty() { vec!["depends_on".to_string()] } else { query.kinds.clone() };
    let traversal = Traversal {
        start: query.service.clone(),
        day: Day::of(query.to),
        depth: query.depth,
        edges: EdgeRule::for_kinds(&kinds, query.direction),
    };
    let graph = store.traverse(&traversal).await?;
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for edge in &graph.edges {
        if query.direction.follows_out() {
            next.entry(&edge.from).or_default().push(&edge.to);
        }
        if query.direction.follows_in() {
            next.entry(&edge.to).or_default().push(&edge.from);
        }
    }
    let mut paths: BTreeMap<String, Vec<String>> = BTreeMap::new();
    paths.insert(query.service.clone(), vec![query.service.clone()]);
    let mut queue = VecDeque::from([query.service.clone()]);
    while let Some(at) = queue.pop_front() {
        let path = paths[&at].clone();
        if path.len() > query.depth as usize {
            continue;
        }
        for &other in next.get(at.as_str()).into_iter().flatten() {
            if !paths.contains_key(other) {
                paths.insert(other.to_string(), [path.clone(), vec![other.to_string()]].concat());
                queue.push_back(other.to_string());
            }
        }
    }
    paths.retain(|key, _| collectors::keys::is_kind(key, "service"));
    Ok(paths)
}

fn tie(services: &BTreeMap<String, Vec<String>>, service: &str) -> (u32, Vec<String>) {
    let path = services.get(service).cloned().unwrap_or_default();
    (path.len().saturating_sub(1) as u32, path)
}

/// The snapshot changes of each day of the window, each under the nearest
/// of its services.
async fn snapshot_events(
    store: &dyn Store,
    query: &AroundQuery,
    services: &BTreeMap<String, Vec<String>>,
) -> StoreResult<Vec<AroundEvent>> {
    let scope = Scope { services: Some(services.keys().cloned().collect::<BTreeSet<_>>()) };
    let mut members = Members::new(store, services.keys().cloned());
    let mut events = Vec::new();
    let mut day = Day::of(query.from);
    while day <= Day::of(query.to) && day.start() < query.to {
        // The day's changes of the neighbourhood's members only, kept by
        // the same rule as `read` over the whole diff (scoped.rs).
        let changes = members.changes(day).await?;
        for change in finish(store, outline_of(store, &changes, &scope).await?).await? {
            let nearest =
                change.services.iter().filter(|s| services.contains_key(*s)).min_by_key(|s| services[*s].len());
            let Some(service) = nearest.cloned() else { continue };
            let (hops, path) = tie(services, &service);
            events.push(AroundEvent {
                at: day.start(),
                event: EventKind::Snapshot,
                service,
                hops,
                path,
                title: change.title.clone(),
                kind: change.kind.as_str().to_string(),
                significance: change.significance,
                suspicion: 0,
                change: Some(change),
                deploy: None,
                action: None,
            });
        }
        day = day.plus(1);
    }
    Ok(events)
}

/// How long before the window deploys are read to judge the window's
/// first ones (a rollback is judged against the deploy before it).
const JUDGING_CONTEXT: Duration = Duration::days(7);

async fn deploy_events(
    store: &dyn Store,
    query: &AroundQuery,
    services: &BTreeMap<String, Vec<String>>,
) -> StoreResult<Vec<AroundEvent>> {
    let filter = DeployFilter {
        services: services.keys().cloned().collect(),
        clusters: Vec::new(),
        from: query.from - JUDGING_CONTEXT,
        to: query.to,
        brief: false,
    };
    let mut events = Vec::new();
    for judged in judged_in_order(store.deploys(&filter).await?, query.fix_forward) {
        if judged.event.at < query.from {
            continue;
        }
        let (hops, path) = tie(services, &judged.event.service);
        events.push(deploy_event(judged, hops, path));
    }
    Ok(events)
}

/// A judged deploy as an event `hops` away from the service asked about.
pub fn deploy_event(judged: Judged, hops: u32, path: Vec<String>) -> AroundEvent {
    let failed = judged.rollback || matches!(judged.status, DeployStatus::Failed | DeployStatus::RolledBack);
    let verdict = if judged.rollback { "rolled back to".to_string() } else { judged.status.as_str().replace('_', " ") };
    let service = &judged.event.service;
    let title =
        format!("{}: deploy {verdict} {} in {}", super::name(service), judged.event.version, judged.event.cluster);
    AroundEvent {
        at: judged.event.at,
        event: EventKind::Deploy,
        service: service.clone(),
        hops,
        path,
        title,
        kind: "deploy".into(),
        significance: Significance::Significant,
        suspicion: if failed { FAILED } else { 0 },
        change: None,
        deploy: Some(judged),
        action: None,
    }
}

/// Kinds of action that say something went wrong.
const TROUBLE: &[ActionKind] = &[
    ActionKind::Rollback,
    ActionKind::RolloutStalled,
    ActionKind::CrashLoop,
    ActionKind::OomKilled,
    ActionKind::FailedScheduling,
    ActionKind::ImagePullFailed,
];

async fn action_events(
    store: &dyn Store,
    query: &AroundQuery,
    services: &BTreeMap<String, Vec<String>>,
) -> StoreResult<Vec<AroundEvent>> {
    let mut events = Vec::new();
    for service in services.keys() {
        let filter =
            ActionFilter { service: Some(service.clone()), ..ActionFilter::between(query.from, query.to, MAX_ACTIONS) };
        for action in store.actions(&filter).await? {
            let (hops, path) = tie(services, service);
            events.push(action_event(action, service, hops, path));
        }
    }
    Ok(events)
}

/// An action on a workload of `service` as an event `hops` away from the
/// service asked about.
pub fn action_event(action: Action, service: &str, hops: u32, path: Vec<String>) -> AroundEvent {
    let kind = action.kind;
    let significant =
        TROUBLE.contains(&kind) || kind == ActionKind::ConfigChanged || kind == ActionKind::RolloutStarted;
    let title = format!("{}: {} in {}", super::name(service), kind.as_str().replace('_', " "), action.cluster);
    AroundEvent {
        at: action.at,
        event: EventKind::Action,
        service: service.to_string(),
        hops,
        path,
        title,
        kind: kind.as_str().to_string(),
        significance: if significant { Significance::Significant } else { Significance::Minor },
        suspicion: 0,
        change: None,
        deploy: None,
        action: Some(action),
    }
}

const FAILED: i64 = 50;
const CONFIG: i64 = 30;
const VERSION: i64 = 20;
const SIGNIFICANT: i64 = 10;
const PER_HOP: i64 = 10;
const RECENT: i64 = 20;

/// docs/changes.md, "Most suspicious first": what went wrong (a failed or
/// rolled back deploy, a rollback, a crash loop, …) 50; a config change
/// 30; a new version (a version change, a deploy, a rollout started) 20;
/// anything else significant 10; then 10 off per hop from the service,
/// and up to 20 on for being late in the window (closest to the moment the
/// question is asked about).
fn suspicion(event: &AroundEvent, to: DateTime<Utc>, window_seconds: i64) -> i64 {
    let action_kind = event.action.as_ref().map(|a| a.kind);
    let change_kind = event.change.as_ref().map(|c| c.kind);
    let failed_rollout = change_kind == Some(ChangeKind::Rollout) && event.significance == Significance::Significant;
    let base = if event.suspicion >= FAILED || failed_rollout || action_kind.is_some_and(|k| TROUBLE.contains(&k)) {
        FAILED
    } else if action_kind == Some(ActionKind::ConfigChanged) || change_kind == Some(ChangeKind::Config) {
        CONFIG
    } else if event.event == EventKind::Deploy
        || action_kind == Some(ActionKind::RolloutStarted)
        || change_kind == Some(ChangeKind::Version)
    {
        VERSION
    } else if event.significance == Significance::Significant {
        SIGNIFICANT
    } else {
        0
    };
    let age = (to - event.at).num_seconds().clamp(0, window_seconds);
    let recency = RECENT * (window_seconds - age) / window_seconds;
    base - PER_HOP * event.hops as i64 + recency
}
