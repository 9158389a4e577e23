//! Actions on workloads between snapshots (the Kubernetes watch's): a
//! query over any window of minutes, `actions` on services, workloads and
//! clusters, and subscriptions that stream new actions and deploys as they
//! happen.

use async_graphql::{ComplexObject, Context, Enum, Json, Object, Result, SimpleObject, Subscription};
use chrono::{DateTime, Duration, Utc};
use futures_util::Stream;
use serde_json::{Map, Value};

use super::auth::Scope;
use super::context::{api, bad_request, store, store_error};
use super::deploys::Deploy;
use super::service::service_key;
use crate::model::{self, ActionFilter};
use crate::store::MAX_ACTIONS;
use crate::watch::{Feed, Live};

/// The kinds of action (docs/collectors/kubernetes.md says what each holds).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "collectors::action::ActionKind")]
pub enum ActionKind {
    RolloutStarted,
    RolloutProgressed,
    RolloutCompleted,
    RolloutStalled,
    Rollback,
    Restart,
    Scale,
    Paused,
    Resumed,
    Created,
    Deleted,
    ConfigChanged,
    CrashLoop,
    OomKilled,
    FailedScheduling,
    ImagePullFailed,
}

/// Something that happened to a workload, at an exact time.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Action {
    /// Unique within its cluster.
    pub key: String,
    pub kind: ActionKind,
    pub cluster: String,
    pub namespace: String,
    /// The workload's entity key.
    pub workload: String,
    /// The service's entity key, when known.
    pub service: Option<String>,
    /// When it happened; for a warning, its first occurrence in the window.
    pub at: DateTime<Utc>,
    /// A warning's latest occurrence in its window.
    pub last_at: DateTime<Utc>,
    /// How often a warning occurred in its window; 1 for other kinds.
    pub count: u64,
    /// Who did it, as Kubernetes tells (the field manager).
    pub actor: Option<String>,
    /// What changed: `revision`, `images`, `from`/`to`, `by`, `reason`, …
    pub details: Json<Map<String, Value>>,
}

#[ComplexObject]
impl Action {
    /// Links to logs, dashboards and runbooks for the minutes around it
    /// (`[links]`'s templates), and the workload's and its service's own.
    async fn links(&self, ctx: &Context<'_>) -> Result<Vec<super::links::LinkOut>> {
        let window = api(ctx, Scope::Read)?.links.around(self.at);
        let day = super::links::day_for(ctx, self.at).await;
        super::links::workload_links(ctx, &self.workload, day, Some(window)).await
    }
}

impl From<model::Action> for Action {
    fn from(action: model::Action) -> Action {
        Action {
            key: action.key,
            kind: action.kind.into(),
            cluster: action.cluster,
            namespace: action.namespace,
            workload: action.workload,
            service: action.service,
            at: action.at,
            last_at: action.last_at,
            count: action.count,
            actor: action.actor,
            details: Json(action.details),
        }
    }
}

/// The actions `filter` selects, newest first.
pub async fn actions_of(ctx: &Context<'_>, filter: ActionFilter) -> Result<Vec<Action>> {
    let found = store(ctx)?.actions(&filter).await.map_err(store_error)?;
    Ok(found.into_iter().map(Action::from).collect())
}

/// Every action of a window (`to` defaults to now, `from` to a day before
/// it), of some kinds, up to `limit`: what each `actions` field narrows to
/// a service, a workload or a cluster.
pub fn windowed(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    kinds: Option<Vec<ActionKind>>,
    limit: usize,
) -> Result<ActionFilter> {
    if limit == 0 || limit > MAX_ACTIONS {
        return Err(bad_request(format!("limit must be between 1 and {MAX_ACTIONS} (it is {limit})")));
    }
    let to = to.unwrap_or_else(Utc::now);
    let from = from.unwrap_or(to - Duration::days(1));
    let kinds = kinds.unwrap_or_default().into_iter().map(Into::into).collect();
    Ok(ActionFilter { kinds, ..ActionFilter::between(from, to, limit) })
}

/// The actions an entity's `actions` field shows: a service's, a
/// workload's or a cluster's; none for other kinds of entity.
pub async fn of_entity(ctx: &Context<'_>, entity: &model::Entity, window: ActionFilter) -> Result<Vec<Action>> {
    let filter = match entity.kind.as_str() {
        "service" => ActionFilter { service: Some(entity.key.clone()), ..window },
        "workload" => ActionFilter { workload: Some(entity.key.clone()), ..window },
        "cluster" => ActionFilter { cluster: Some(entity.name.clone()), ..window },
        _ => return Ok(Vec::new()),
    };
    actions_of(ctx, filter).await
}

#[derive(Default)]
pub struct ActionQuery;

#[Object]
impl ActionQuery {
    /// What happened to workloads in `[from, to)` (default: the last 24
    /// hours), newest first: of one service (name or key), one workload
    /// (key), one cluster, or all; optionally only some kinds.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "10 * child_complexity")]
    async fn actions(
        &self,
        ctx: &Context<'_>,
        service: Option<String>,
        workload: Option<String>,
        cluster: Option<String>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        kinds: Option<Vec<ActionKind>>,
        #[graphql(default = 500)] limit: usize,
    ) -> Result<Vec<Action>> {
        let filter = ActionFilter {
            service: service.map(|s| service_key(&s)),
            workload,
            cluster,
            ..windowed(from, to, kinds, limit)?
        };
        actions_of(ctx, filter).await
    }
}

#[derive(Default)]
pub struct LiveSubscription;

/// The feed, for a caller allowed to read.
pub(super) fn feed<'a>(ctx: &Context<'a>) -> Result<&'a Feed> {
    api(ctx, Scope::Read)?;
    ctx.data::<Feed>()
}

#[Subscription]
impl LiveSubscription {
    /// New actions as the watches record them: of one service (name or
    /// key), one cluster, some kinds, or all. A subscriber that falls more
    /// than 4,096 events behind misses the oldest.
    async fn actions(
        &self,
        ctx: &Context<'_>,
        service: Option<String>,
        cluster: Option<String>,
        kinds: Option<Vec<ActionKind>>,
    ) -> Result<impl Stream<Item = Action>> {
        let interest = Interest::new(service, cluster);
        let kinds: Vec<model::ActionKind> = kinds.unwrap_or_default().into_iter().map(Into::into).collect();
        let receiver = feed(ctx)?.subscribe();
        Ok(live(receiver, move |live| match live {
            Live::Action(action) => {
                let wanted = interest.wants(action.service.as_deref(), &action.cluster)
                    && (kinds.is_empty() || kinds.contains(&action.kind));
                wanted.then(|| Action::from(*action))
            }
            Live::Deploy(_) => None,
        }))
    }

    /// Deploys as they are recorded: pushed by the orchestrator, or a new
    /// revision a watch saw start.
    async fn deploys(
        &self,
        ctx: &Context<'_>,
        service: Option<String>,
        cluster: Option<String>,
    ) -> Result<impl Stream<Item = Deploy>> {
        let interest = Interest::new(service, cluster);
        let receiver = feed(ctx)?.subscribe();
        Ok(live(receiver, move |live| {
            let deploy = match live {
                Live::Deploy(event) => super::deploys::from_event(*event),
                Live::Action(action) => super::deploys::from_action(&action)?,
            };
            interest.wants(Some(&deploy.service), &deploy.cluster).then_some(deploy)
        }))
    }
}

/// What a subscriber asked to hear of: one service (by name or key) or
/// all, one cluster or all.
struct Interest {
    service: Option<String>,
    cluster: Option<String>,
}

impl Interest {
    fn new(service: Option<String>, cluster: Option<String>) -> Interest {
        Interest { service: service.map(|s| service_key(&s)), cluster }
    }

    fn wants(&self, service: Option<&str>, cluster: &str) -> bool {
        self.service.as_deref().is_none_or(|s| service == Some(s))
            && self.cluster.as_deref().is_none_or(|c| c == cluster)
    }
}

/// A broadcast receiver as a stream of what `pick` keeps; a subscriber
/// that lagged is told in the log and goes on with the newest.
pub(super) fn live<T: Send + 'static>(
    receiver: tokio::sync::broadcast::Receiver<Live>,
    pick: impl Fn(Live) -> Option<T> + Send + Sync + 'static,
) -> impl Stream<Item = T> {
    use tokio::sync::broadcast::error::RecvError;
    futures_util::stream::unfold((receiver, pick), |(mut receiver, pick)| async move {
        loop {
            match receiver.recv().await {
                Ok(live) => {
                    if let Some(item) = pick(live) {
                        return Some((item, (receiver, pick)));
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a subscriber fell behind the live feed and missed events");
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}
