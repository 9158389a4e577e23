//! Change intelligence in the API (docs/changes.md): what each change of
//! `changes` is in words, and `changesAround` a service.

use std::sync::Arc;

use async_graphql::{Context, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::auth::Scope;
use super::context::{api, bad_request, store, store_error};
use super::deploys::Deploy;
use super::service::service_key;
use crate::changes::{self, ChangeKind, EventKind, Outlined, Significance, TypedChange};
use crate::model::Direction;

/// An outlined change, read in words the first time a field asks.
pub struct Lazy {
    item: Outlined,
    done: tokio::sync::OnceCell<TypedChange>,
}

impl Lazy {
    pub fn new(item: Outlined) -> Arc<Lazy> {
        Arc::new(Lazy { item, done: tokio::sync::OnceCell::new() })
    }

    pub fn services(&self) -> &[String] {
        self.item.services()
    }

    pub async fn typed(&self, ctx: &Context<'_>) -> Result<&TypedChange> {
        let store = store(ctx)?;
        self.done.get_or_try_init(|| async { changes::finish_one(store, &self.item).await }).await.map_err(store_error)
    }
}

/// One attribute path that moved, with its value before and after (null
/// where it was absent).
#[derive(SimpleObject, Clone)]
pub struct AttributeMove {
    pub path: String,
    pub before: Option<Json<Value>>,
    pub after: Option<Json<Value>>,
}

/// A relation added or removed, its other end named.
#[derive(SimpleObject, Clone)]
pub struct RelationMove {
    pub kind: String,
    pub from: String,
    pub to: String,
    pub added: bool,
}

/// A change in words.
#[derive(SimpleObject, Clone)]
pub struct ChangeInWords {
    pub title: String,
    /// The service it belongs to, when exactly one.
    pub service: Option<String>,
    /// Every service it belongs to (a package version moved in many).
    pub services: Vec<String>,
    pub change_kind: ChangeKind,
    pub significance: Significance,
    /// The facts that moved: before → after per attribute path.
    pub moved: Vec<AttributeMove>,
    pub relations_moved: Vec<RelationMove>,
    /// The entity it is about (a relation's `from`; a package).
    pub subject: String,
    /// The day whose snapshot shows it.
    pub day: super::scalars::Date,
}

impl From<&TypedChange> for ChangeInWords {
    fn from(change: &TypedChange) -> ChangeInWords {
        ChangeInWords {
            title: change.title.clone(),
            service: change.service().map(str::to_string),
            services: change.services.clone(),
            change_kind: change.kind,
            significance: change.significance,
            moved: change
                .moved
                .iter()
                .map(|m| AttributeMove {
                    path: m.path.clone(),
                    before: m.before.clone().map(Json),
                    after: m.after.clone().map(Json),
                })
                .collect(),
            relations_moved: change
                .relations
                .iter()
                .map(|r| RelationMove {
                    kind: r.kind.clone(),
                    from: r.from.clone(),
                    to: r.to.clone(),
                    added: r.change == crate::model::Change::Added,
                })
                .collect(),
            subject: change.subject.clone(),
            day: super::scalars::Date(change.day),
        }
    }
}

/// How many changes one service has (`service` null: those of none).
#[derive(SimpleObject, Clone)]
pub struct ChangeGroup {
    pub service: Option<String>,
    pub count: i32,
}

/// The services a team owns on a day (`owns`), by team name or key.
pub async fn services_of_team(ctx: &Context<'_>, team: &str, day: crate::model::Day) -> Result<Vec<String>> {
    // A team as every other argument reads one (docs/api.md, "Teams and
    // services by name"): `payments`, `Payments`, `@acme/Payments`, a key.
    let key = super::service::team_key(store(ctx)?, team, day).await?;
    let rule = crate::model::EdgeRule::new("owns", Direction::Out);
    let owned = store(ctx)?.neighbours(&[key], &rule, day).await.map_err(store_error)?;
    Ok(owned.into_iter().map(|(_, to)| to).filter(|k| collectors::keys::is_kind(k, "service")).collect())
}

/// One event around a service.
#[derive(SimpleObject, Clone)]
pub struct AroundEvent {
    pub at: DateTime<Utc>,
    /// SNAPSHOT events are known to the day: `at` is that day's start.
    pub event: EventKind,
    pub service: String,
    /// Hops from the service asked about (0: that service).
    pub hops: i32,
    /// Service keys from the one asked about to `service`, both included.
    pub path: Vec<String>,
    pub title: String,
    /// A change's kind (`version`, `config`, …), `deploy`, or the action's kind.
    pub kind: String,
    pub significance: Significance,
    /// docs/changes.md, "Most suspicious first": higher is more suspicious.
    pub suspicion: i32,
    pub change: Option<ChangeInWords>,
    pub deploy: Option<Deploy>,
    pub action: Option<super::actions::Action>,
}

impl AroundEvent {
    /// `environment` names a cluster's environment (`[delivery]`).
    fn new(event: changes::AroundEvent, environment: impl Fn(&str) -> String) -> AroundEvent {
        AroundEvent {
            at: event.at,
            event: event.event,
            service: event.service,
            hops: event.hops as i32,
            path: event.path,
            title: event.title,
            kind: event.kind,
            significance: event.significance,
            suspicion: event.suspicion as i32,
            change: event.change.as_ref().map(ChangeInWords::from),
            deploy: event.deploy.map(|judged| {
                let environment = environment(&judged.event.cluster);
                super::deploys::from_judged(judged, &environment)
            }),
            action: event.action.map(super::actions::Action::from),
        }
    }
}

/// The order of `changesAround`.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq)]
pub enum AroundOrder {
    /// Oldest first.
    Time,
    /// docs/changes.md, "Most suspicious first".
    Suspicion,
}

#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq)]
pub enum AroundDirection {
    /// What the service depends on.
    Downstream,
    /// What depends on the service.
    Upstream,
    Both,
}

#[derive(SimpleObject)]
pub struct ChangesAround {
    /// The neighbourhood as of `to`: each service with its hops and path.
    pub services: Vec<Neighbour>,
    pub events: Vec<AroundEvent>,
}

#[derive(SimpleObject)]
pub struct Neighbour {
    pub service: String,
    pub hops: i32,
    pub path: Vec<String>,
}

#[derive(Default)]
pub struct ChangesQuery;

#[Object]
impl ChangesQuery {
    /// Everything that changed around a service (name or key) in `[from,
    /// to)` (default: the 24 hours before now): the service and the
    /// services within `depth` hops (1–3) of it through `kinds` relations
    /// (default `depends_on`) as of `to` — snapshot changes per day,
    /// deploys with their verdicts, Kubernetes actions — oldest first, or
    /// most suspicious first; `significance` keeps only those.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "20 * child_complexity")]
    async fn changes_around(
        &self,
        ctx: &Context<'_>,
        service: String,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        #[graphql(default = 1)] depth: i32,
        #[graphql(default_with = "AroundDirection::Both")] direction: AroundDirection,
        #[graphql(default)] kinds: Vec<String>,
        #[graphql(default_with = "AroundOrder::Time")] order: AroundOrder,
        significance: Option<Significance>,
    ) -> Result<ChangesAround> {
        let to = to.unwrap_or_else(Utc::now);
        let from = from.unwrap_or(to - Duration::days(1));
        if !(1..=3).contains(&depth) {
            return Err(bad_request(format!("depth must be 1 to 3 (it is {depth})")));
        }
        let direction = match direction {
            AroundDirection::Downstream => Direction::Out,
            AroundDirection::Upstream => Direction::In,
            AroundDirection::Both => Direction::Both,
        };
        let delivery = &api(ctx, Scope::Read)?.delivery.config;
        let query = changes::AroundQuery {
            service: service_key(&service),
            from,
            to,
            depth: depth as u32,
            direction,
            kinds,
            fix_forward: delivery.fix_forward(),
        };
        let mut around = changes::around(store(ctx)?, &query).await.map_err(store_error)?;
        if order == AroundOrder::Suspicion {
            around.most_suspicious_first();
        }
        let services = around
            .services
            .into_iter()
            .map(|(service, path)| Neighbour { service, hops: path.len() as i32 - 1, path })
            .collect();
        let events = around
            .events
            .into_iter()
            .filter(|e| significance.is_none_or(|s| e.significance == s))
            .map(|event| AroundEvent::new(event, |cluster| delivery.environment_of(cluster).to_string()))
            .collect();
        Ok(ChangesAround { services, events })
    }
}

/// The services `service` (name or key) or `team` (those it owns on
/// `day`) narrow changes to; no narrowing without either.
pub async fn scope_of(
    ctx: &Context<'_>,
    service: Option<String>,
    team: Option<String>,
    day: crate::model::Day,
) -> Result<changes::Scope> {
    let mut services: Option<std::collections::BTreeSet<String>> = None;
    if let Some(service) = service {
        services = Some([service_key(&service)].into());
    }
    if let Some(team) = team {
        let owned: std::collections::BTreeSet<String> = services_of_team(ctx, &team, day).await?.into_iter().collect();
        services = Some(match services {
            Some(one) => one.intersection(&owned).cloned().collect(),
            None => owned,
        });
    }
    Ok(changes::Scope { services })
}

/// Separates the parts of an order key (the group first, a service or
/// [`changes::NO_SERVICE`], when grouped by service).
const SEPARATOR: char = '\u{1f}';

/// Gives each change its words (read lazily) and its order key; with a
/// scope, drops the changes outside it.
pub async fn attach(
    ctx: &Context<'_>,
    raw: &crate::model::Changes,
    scope: &changes::Scope,
    all: &mut Vec<super::time::Change>,
    group_by_service: bool,
) -> Result<()> {
    let outlined = changes::outline_of(store(ctx)?, raw, scope).await.map_err(store_error)?;
    let mut by_member: std::collections::HashMap<String, Arc<Lazy>> = Default::default();
    for item in outlined {
        let members = changes::members(&item);
        let lazy = Lazy::new(item);
        for member in members {
            by_member.insert(member, lazy.clone());
        }
    }
    for change in all.iter_mut() {
        change.words = by_member.get(&change.key).cloned();
        let (source, scope) =
            change.relation.as_ref().map_or((String::new(), String::new()), |r| (r.source.clone(), r.scope.clone()));
        let base =
            format!("{}{SEPARATOR}{}{SEPARATOR}{source}{SEPARATOR}{scope}", u8::from(change.is_relation), change.key);
        change.order_key = if group_by_service {
            let group = change.words.as_ref().and_then(|w| changes::one_service(w.services()));
            let group = group.unwrap_or(changes::NO_SERVICE);
            format!("{group}{SEPARATOR}{base}")
        } else {
            base
        };
    }
    if scope.services.is_some() {
        all.retain(|change| change.words.is_some());
    }
    all.sort_by(|a, b| a.order_key.cmp(&b.order_key));
    Ok(())
}

/// Keeps the changes of some kinds (in words) and significance; reads the
/// words of every change only when asked to filter by them.
pub async fn keep_words(
    ctx: &Context<'_>,
    all: Vec<super::time::Change>,
    kinds: Option<Vec<ChangeKind>>,
    significance: Option<Significance>,
) -> Result<Vec<super::time::Change>> {
    if kinds.is_none() && significance.is_none() {
        return Ok(all);
    }
    let mut kept = Vec::with_capacity(all.len());
    for change in all {
        let Some(lazy) = &change.words else { continue };
        let typed = lazy.typed(ctx).await?;
        let kind_ok = kinds.as_ref().is_none_or(|k| k.contains(&typed.kind));
        if kind_ok && significance.is_none_or(|s| s == typed.significance) {
            kept.push(change);
        }
    }
    Ok(kept)
}

/// Changes per service, most first, those of no single service last.
pub fn groups_of(all: &[super::time::Change]) -> Vec<ChangeGroup> {
    let mut counts: std::collections::BTreeMap<Option<String>, i32> = Default::default();
    for change in all {
        let service = change.words.as_ref().and_then(|w| changes::one_service(w.services())).map(str::to_string);
        *counts.entry(service).or_default() += 1;
    }
    let mut groups: Vec<ChangeGroup> =
        counts.into_iter().map(|(service, count)| ChangeGroup { service, count }).collect();
    groups.sort_by(|a, b| {
        a.service.is_none().cmp(&b.service.is_none()).then(b.count.cmp(&a.count)).then(a.service.cmp(&b.service))
    });
    groups
}

/// The changes after the cursor `after` (an order key), at most `first`.
pub fn keyset_page(
    all: Vec<super::time::Change>,
    first: usize,
    after: Option<String>,
    info: super::time::ChangesInfo,
) -> Result<
    async_graphql::connection::Connection<
        String,
        super::time::Change,
        super::time::ChangesInfo,
        async_graphql::connection::EmptyFields,
    >,
> {
    use async_graphql::connection::{Connection, Edge};
    let start = match &after {
        Some(cursor) => all.partition_point(|c| c.order_key.as_str() <= cursor.as_str()),
        None => 0,
    };
    let end = (start + first).min(all.len());
    let mut connection = Connection::with_additional_fields(start > 0, end < all.len(), info);
    connection.edges.extend(all.into_iter().skip(start).take(end - start).map(|c| Edge::new(c.order_key.clone(), c)));
    Ok(connection)
}

#[derive(Default)]
pub struct ChangeSubscription;

#[async_graphql::Subscription]
impl ChangeSubscription {
    /// Changes of one service (name or key) or of the services a team owns
    /// (as of subscribing), as they are recorded: deploys as the
    /// orchestrator or a watch records them (status as reported, not yet
    /// judged against later deploys) and Kubernetes actions as the watches
    /// see them, each titled as in `changesAround`. Snapshot changes are
    /// not streamed (read them with `changes` after each day's runs).
    async fn recorded_changes(
        &self,
        ctx: &Context<'_>,
        service: Option<String>,
        team: Option<String>,
    ) -> Result<impl futures_util::Stream<Item = AroundEvent>> {
        // The day matters only to a team (what it owns): no read without one.
        let day = if team.is_some() {
            store(ctx)?.latest_day().await.map_err(store_error)?.unwrap_or_else(crate::model::Day::today)
        } else {
            crate::model::Day::today()
        };
        let wanted = scope_of(ctx, service, team, day).await?.services;
        let delivery = api(ctx, Scope::Read)?.delivery.config.clone();
        let receiver = super::actions::feed(ctx)?.subscribe();
        let keeps = move |service: &str| wanted.as_ref().is_none_or(|w| w.contains(service));
        Ok(super::actions::live(receiver, move |live| {
            let event = match live {
                crate::watch::Live::Deploy(event) => {
                    let judged = crate::delivery::judge(vec![*event], None).pop()?;
                    changes::around::deploy_event(judged, 0, Vec::new())
                }
                crate::watch::Live::Action(action) => {
                    let service = action.service.clone()?;
                    changes::around::action_event(*action, &service, 0, Vec::new())
                }
            };
            keeps(&event.service).then(|| {
                let path = vec![event.service.clone()];
                AroundEvent::new(changes::AroundEvent { path, ..event }, |c| delivery.environment_of(c).to_string())
            })
        }))
    }
}
