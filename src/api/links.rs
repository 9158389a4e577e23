//! `links` on services, workload entities and deploys: the object's names
//! gathered from the graph as of a day (its service, team, repository,
//! cluster, datacenter, namespace, workload and version) rendered through
//! `[links]`'s templates ([`crate::links`]), with the links its catalog
//! file and its annotations declare.

use async_graphql::{ComplexObject, Context, Enum, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::context::{api, load_entity, resolve_day, store, store_error};
use super::deploys::{datacenter_of, Deploy};
use super::Scope;
use crate::links::{self, LinkContext, Window};
use crate::model::{Day, Direction, EntityState};

/// A link to logs, a dashboard, a runbook, … of a service, a workload or
/// a deploy.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
#[graphql(name = "Link")]
pub struct LinkOut {
    /// `logs`, `dashboard`, `runbook`, `ci`, …: the template's kind, a
    /// catalog link's `type`, or the annotation's last part (`a8r.io/logs`).
    pub kind: String,
    pub title: String,
    /// An absolute http(s) URL.
    pub url: String,
    pub source: LinkSource,
}

/// Where a link comes from.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkSource {
    /// A `[links.templates.<name>]` of SPoT's config.
    Template,
    /// A catalog file's links (Backstage `metadata.links`, `.spot.yaml` `docs`).
    Catalog,
    /// An annotation of a catalog file or a Kubernetes workload (`a8r.io/logs`, …).
    Annotation,
}

impl From<links::Link> for LinkOut {
    fn from(link: links::Link) -> LinkOut {
        let source = match link.source {
            links::LinkSource::Template => LinkSource::Template,
            links::LinkSource::Catalog => LinkSource::Catalog,
            links::LinkSource::Annotation => LinkSource::Annotation,
        };
        LinkOut { kind: link.kind, title: link.title, url: link.url, source }
    }
}

fn config<'a>(ctx: &Context<'a>) -> Result<&'a links::Links> {
    Ok(&api(ctx, Scope::Read)?.links)
}

fn out(found: Vec<links::Link>) -> Vec<LinkOut> {
    found.into_iter().map(LinkOut::from).collect()
}

/// The keys related to `key` on `day` by `kind` in `direction`; none for a
/// key the store has never seen.
async fn related(ctx: &Context<'_>, key: &str, day: Day, direction: Direction, kind: &str) -> Result<Vec<String>> {
    let found = match store(ctx)?.relations(key, day, direction, &[kind.to_string()]).await {
        Err(crate::StoreError::NotFound { .. }) => return Ok(Vec::new()),
        other => other.map_err(store_error)?,
    };
    let mut keys: Vec<String> = found.into_iter().map(|r| if r.from == key { r.to } else { r.from }).collect();
    keys.sort();
    keys.dedup();
    Ok(keys)
}

/// A service's name, its owning team and its repository on `day`.
async fn service_context(ctx: &Context<'_>, service: &str, day: Day) -> Result<LinkContext> {
    let team = related(ctx, service, day, Direction::In, "owns").await?;
    let repository = related(ctx, service, day, Direction::In, "builds").await?;
    Ok(LinkContext {
        service: collectors::keys::name_in(service, collectors::keys::SERVICE).map(str::to_string),
        team: team.iter().find_map(|k| collectors::keys::name_in(k, collectors::keys::TEAM)).map(str::to_string),
        repository: repository
            .iter()
            .find_map(|k| collectors::keys::name_in(k, collectors::keys::REPO))
            .map(str::to_string),
        ..LinkContext::default()
    })
}

/// `workload:<cluster>/<namespace>/<kind>/<name>` as (cluster, namespace, name).
fn workload_parts(key: &str) -> Option<(&str, &str, &str)> {
    let mut parts = collectors::keys::name_in(key, collectors::keys::WORKLOAD)?.splitn(4, '/');
    let (cluster, namespace, _kind, name) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    Some((cluster, namespace, name))
}

/// The first value of a text attribute among a state's facts.
fn attribute<'a>(state: &'a EntityState, name: &str) -> Option<&'a str> {
    state.facts.iter().find_map(|f| f.attrs.get(name).and_then(|v| v.as_str()))
}

/// A workload's context on `day`: its own names and version, its
/// cluster's datacenter, and its service's (the `deploys` relation, else
/// the `service` attribute) team and repository.
async fn workload_context(ctx: &Context<'_>, key: &str, state: Option<&EntityState>, day: Day) -> Result<LinkContext> {
    let Some((cluster, namespace, name)) = workload_parts(key) else { return Ok(LinkContext::default()) };
    let services = related(ctx, key, day, Direction::In, "deploys").await?;
    let service = services
        .into_iter()
        .next()
        .or_else(|| state.and_then(|s| attribute(s, "service")).map(super::service::service_key));
    let mut context = match &service {
        Some(service) => service_context(ctx, service, day).await?,
        None => LinkContext::default(),
    };
    context.cluster = Some(cluster.to_string());
    context.datacenter = datacenter_of(ctx, cluster, day).await?;
    context.namespace = Some(state.and_then(|s| attribute(s, "namespace")).unwrap_or(namespace).to_string());
    context.workload = Some(name.to_string());
    context.version = state.and_then(|s| attribute(s, "version")).map(str::to_string);
    Ok(context)
}

/// The links every fact of a state declares.
fn declared(links: &links::Links, state: Option<&EntityState>) -> Vec<links::Link> {
    state.into_iter().flat_map(|s| &s.facts).flat_map(|fact| links.declared(&fact.attrs)).collect()
}

/// A service's links on `day`: its templates over `window` (the last
/// `recent_minutes` when `None`), its catalog's links and annotations,
/// then the annotations of the workloads it deploys to.
pub async fn service_links(ctx: &Context<'_>, service: &str, day: Day, window: Option<Window>) -> Result<Vec<LinkOut>> {
    let links = config(ctx)?;
    let mut context = service_context(ctx, service, day).await?;
    context.window = Some(window.unwrap_or_else(|| links.recent(Utc::now())));
    let state = load_entity(ctx, service, day).await?;
    let mut found = vec![links.render(&context), declared(links, state.as_deref())];
    for workload in related(ctx, service, day, Direction::Out, "deploys").await? {
        let state = load_entity(ctx, &workload, day).await?;
        found.push(declared(links, state.as_deref()));
    }
    Ok(out(links::merged(found)))
}

/// A workload's links on `day` with the time window given (the last
/// `recent_minutes` when `None`): its templates, then its annotations.
/// For an action on a workload at `at`, pass `Some(links.around(at))`
/// (`links`: `api(ctx, Scope::Read)?.links`) and the day to read its names
/// on (see `day_for`).
pub async fn workload_links(
    ctx: &Context<'_>,
    workload: &str,
    day: Day,
    window: Option<Window>,
) -> Result<Vec<LinkOut>> {
    let links = config(ctx)?;
    let state = load_entity(ctx, workload, day).await?;
    let mut context = workload_context(ctx, workload, state.as_deref(), day).await?;
    context.window = Some(window.unwrap_or_else(|| links.recent(Utc::now())));
    Ok(out(links::merged([links.render(&context), declared(links, state.as_deref())])))
}

/// The day to read a moment's names on: its own, or the latest committed
/// day when it is more recent (a deploy pushed since the last snapshot).
pub async fn day_for(ctx: &Context<'_>, at: DateTime<Utc>) -> Day {
    let day = Day::of(at);
    resolve_day(ctx, None).await.map_or(day, |latest| day.min(latest))
}

/// A deploy's template links, over the minutes around it. The service's
/// team and repository, and its workload in the deploy's cluster, are
/// read as of the deploy's day (or the latest committed day, for a deploy
/// pushed since). Declared links are not repeated on every deploy: they
/// have no time window, and the service's and workload's `links` list them.
async fn deploy_links(ctx: &Context<'_>, deploy: &Deploy) -> Result<Vec<LinkOut>> {
    let links = config(ctx)?;
    if !links.has_templates() {
        return Ok(Vec::new());
    }
    let day = day_for(ctx, deploy.at).await;
    let workloads = related(ctx, &deploy.service, day, Direction::Out, "deploys").await?;
    let in_cluster: Vec<&String> = workloads
        .iter()
        .filter(|w| workload_parts(w).is_some_and(|(cluster, _, _)| cluster == deploy.cluster))
        .collect();
    let mut context = match in_cluster.as_slice() {
        [only] => {
            let state = load_entity(ctx, only, day).await?;
            workload_context(ctx, only, state.as_deref(), day).await?
        }
        // None, or several: which one this deploy was is not known.
        _ => LinkContext {
            cluster: Some(deploy.cluster.clone()),
            datacenter: datacenter_of(ctx, &deploy.cluster, day).await?,
            ..service_context(ctx, &deploy.service, day).await?
        },
    };
    context.service = collectors::keys::name_in(&deploy.service, collectors::keys::SERVICE).map(str::to_string);
    context.version = Some(deploy.version.clone());
    context.window = Some(links.around(deploy.at));
    Ok(out(links.render(&context)))
}

#[ComplexObject]
impl Deploy {
    /// Links rendered from `[links]`'s templates for this deploy (its
    /// service, cluster, version; its workload when the service has one in
    /// that cluster), their time window the minutes around it
    /// (`links.before_minutes`, `links.after_minutes`).
    async fn links(&self, ctx: &Context<'_>) -> Result<Vec<LinkOut>> {
        deploy_links(ctx, self).await
    }
}
