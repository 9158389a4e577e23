//! Entities, their facts and relations, services with their conveniences,
//! and search. Every object carries the day it is seen on.

use std::sync::Arc;

use async_graphql::{ComplexObject, Context, Json, Object, Result, ScalarType, SimpleObject};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::auth::Scope;
use super::context::{api, bad_request, load_entity, resolve_day, store, store_error};
use super::packages::VersionLag;
use super::plain::{json_object, Plain, PlainField, PlainList, Plan};
use super::scalars::{end, Date, Direction};
use super::service::{service_key, Service};
use crate::model::{self, Day, EntityState, SearchQuery};

/// An entity as of a day. Identity fields are always there; facts come from
/// whichever sources saw it that day (none when it did not exist then).
#[derive(Clone)]
pub struct Entity {
    pub anchor: model::Entity,
    pub day: Day,
}

impl Entity {
    pub fn new(anchor: model::Entity, day: Day) -> Entity {
        Entity { anchor, day }
    }

    async fn state(&self, ctx: &Context<'_>) -> Result<Option<Arc<EntityState>>> {
        load_entity(ctx, &self.anchor.key, self.day).await
    }
}

#[Object]
impl Entity {
    /// Stable key, e.g. `service:billing-api`.
    async fn key(&self) -> &str {
        &self.anchor.key
    }

    async fn kind(&self) -> &str {
        &self.anchor.kind
    }

    async fn name(&self) -> &str {
        &self.anchor.name
    }

    /// The day this entity is shown as of.
    async fn at(&self) -> Date {
        Date(self.day)
    }

    /// Whether any source saw it on that day.
    async fn exists(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.state(ctx).await?.is_some())
    }

    /// The first day any source saw it.
    async fn first_seen(&self, ctx: &Context<'_>) -> Result<Option<Date>> {
        Ok(self.state(ctx).await?.map(|s| Date(s.first_seen)))
    }

    /// The last day any source saw it; null while a source still does.
    async fn last_seen(&self, ctx: &Context<'_>) -> Result<Option<Date>> {
        Ok(self.state(ctx).await?.and_then(|s| s.last_seen.map(Date)))
    }

    /// Every source's facts valid on the day, optionally of one source.
    #[graphql(complexity = "5 * child_complexity")]
    async fn facts(&self, ctx: &Context<'_>, source: Option<String>) -> Result<PlainList<Fact>> {
        let Some(state) = self.state(ctx).await? else { return Ok(PlainList(Vec::new())) };
        let of_source = |f: &&model::Fact| source.as_deref().is_none_or(|s| s == f.source);
        Ok(PlainList(state.facts.iter().filter(of_source).map(Fact::from).collect()))
    }

    /// What happened in `[from, to)` (default: the last 24 hours), newest
    /// first, as the Kubernetes watches recorded it: to this workload, to
    /// this service's workloads, or in this cluster; empty for other kinds.
    #[graphql(complexity = "10 * child_complexity")]
    async fn actions(
        &self,
        ctx: &Context<'_>,
        from: Option<chrono::DateTime<chrono::Utc>>,
        to: Option<chrono::DateTime<chrono::Utc>>,
        kinds: Option<Vec<super::actions::ActionKind>>,
        #[graphql(default = 500)] limit: usize,
    ) -> Result<Vec<super::actions::Action>> {
        super::actions::of_entity(ctx, &self.anchor, super::actions::windowed(from, to, kinds, limit)?).await
    }

    /// One attribute (a dotted path such as `replicas.desired`) on the day:
    /// from the given source, or the first source (by name) that has it.
    async fn attribute(&self, ctx: &Context<'_>, path: String, source: Option<String>) -> Result<Option<Json<Value>>> {
        crate::store::check_path(&path).map_err(store_error)?;
        let Some(state) = self.state(ctx).await? else { return Ok(None) };
        Ok(state
            .facts
            .iter()
            .filter(|f| source.as_deref().is_none_or(|s| s == f.source))
            .find_map(|f| crate::attribute_path::lookup(&f.attrs, &path))
            .map(|v| Json(v.clone())))
    }

    /// Links to logs, dashboards, runbooks, … of a service or a workload
    /// (as `Service.links`; for a workload, `[links]`'s templates, then its
    /// annotations); none for other kinds. The templates' time window is
    /// the last `links.recent_minutes`, or with `around`, the minutes
    /// around that moment (`links.before_minutes` to `links.after_minutes`).
    async fn links(&self, ctx: &Context<'_>, around: Option<DateTime<Utc>>) -> Result<Vec<super::links::LinkOut>> {
        let window = around.map(|at| api(ctx, Scope::Read).map(|api| api.links.around(at))).transpose()?;
        match self.anchor.kind.as_str() {
            "service" => super::links::service_links(ctx, &self.anchor.key, self.day, window).await,
            "workload" => super::links::workload_links(ctx, &self.anchor.key, self.day, window).await,
            _ => Ok(Vec::new()),
        }
    }

    /// Relations valid on the day. Direction OUT by default; all kinds when
    /// `kinds` is empty. Counted as 20 items for the complexity limit.
    #[graphql(complexity = "20 * child_complexity")]
    async fn relations(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Direction::Out")] direction: Direction,
        #[graphql(default)] kinds: Vec<String>,
    ) -> Result<PlainList<Relation>> {
        let found =
            store(ctx)?.relations(&self.anchor.key, self.day, direction.into(), &kinds).await.map_err(store_error)?;
        Ok(PlainList(found.into_iter().map(|r| Relation::new(r, self.day)).collect()))
    }
}

impl Plain for Entity {
    const FIELDS: &'static [PlainField] =
        &[PlainField::Leaf("key"), PlainField::Leaf("kind"), PlainField::Leaf("name"), PlainField::Leaf("at")];

    fn value(&self, field: usize, _: Option<&Plan>) -> async_graphql::Value {
        use async_graphql::Value::String;
        match field {
            0 => String(self.anchor.key.clone()),
            1 => String(self.anchor.kind.clone()),
            2 => String(self.anchor.name.clone()),
            _ => Date(self.day).to_value(),
        }
    }
}

/// What one source, in one scope, says about an entity over `[validFrom, validTo)`.
#[derive(SimpleObject)]
pub struct Fact {
    pub source: String,
    pub scope: String,
    pub attrs: Json<Map<String, Value>>,
    pub valid_from: Date,
    /// Null while still valid.
    pub valid_to: Option<Date>,
}

impl From<&model::Fact> for Fact {
    fn from(fact: &model::Fact) -> Fact {
        Fact {
            source: fact.source.clone(),
            scope: fact.scope.clone(),
            attrs: Json(fact.attrs.clone()),
            valid_from: Date(fact.valid_from),
            valid_to: end(fact.valid_to),
        }
    }
}

impl Plain for Fact {
    const FIELDS: &'static [PlainField] = &[
        PlainField::Leaf("source"),
        PlainField::Leaf("scope"),
        PlainField::Leaf("attrs"),
        PlainField::Leaf("validFrom"),
        PlainField::Leaf("validTo"),
    ];

    fn value(&self, field: usize, _: Option<&Plan>) -> async_graphql::Value {
        version_value(field, &self.source, &self.scope, &self.attrs.0, self.valid_from, self.valid_to)
    }
}

/// One of the stored fields a fact and a relation share, numbered as both
/// list them: source, scope, attrs, validFrom, validTo.
fn version_value(
    field: usize,
    source: &str,
    scope: &str,
    attrs: &Map<String, Value>,
    valid_from: Date,
    valid_to: Option<Date>,
) -> async_graphql::Value {
    use async_graphql::Value::{Null, String};
    match field {
        0 => String(source.to_string()),
        1 => String(scope.to_string()),
        2 => json_object(attrs),
        3 => valid_from.to_value(),
        _ => valid_to.map_or(Null, |day| day.to_value()),
    }
}

/// An edge as one source, in one scope, sees it over `[validFrom, validTo)`.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Relation {
    pub kind: String,
    /// The key of the entity the edge leaves.
    pub from: String,
    /// The key of the entity the edge arrives at.
    pub to: String,
    pub source: String,
    pub scope: String,
    pub attrs: Json<Map<String, Value>>,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    #[graphql(skip)]
    pub day: Day,
}

impl Relation {
    pub fn new(relation: model::Relation, day: Day) -> Relation {
        Relation {
            kind: relation.kind,
            from: relation.from,
            to: relation.to,
            source: relation.source,
            scope: relation.scope,
            attrs: Json(relation.attrs),
            valid_from: Date(relation.valid_from),
            valid_to: end(relation.valid_to),
            day,
        }
    }
}

impl Plain for Relation {
    const FIELDS: &'static [PlainField] = &[
        PlainField::Leaf("kind"),
        PlainField::Leaf("from"),
        PlainField::Leaf("to"),
        PlainField::Leaf("source"),
        PlainField::Leaf("scope"),
        PlainField::Leaf("attrs"),
        PlainField::Leaf("validFrom"),
        PlainField::Leaf("validTo"),
    ];

    fn value(&self, field: usize, _: Option<&Plan>) -> async_graphql::Value {
        use async_graphql::Value::String;
        match field {
            0 => String(self.kind.clone()),
            1 => String(self.from.clone()),
            2 => String(self.to.clone()),
            // The rest are a fact's fields, in a fact's order.
            n => version_value(n - 3, &self.source, &self.scope, &self.attrs.0, self.valid_from, self.valid_to),
        }
    }
}

#[ComplexObject]
impl Relation {
    /// The entity the edge leaves, as of the same day; null if no source saw it then.
    #[allow(clippy::wrong_self_convention)] // a GraphQL field, fromEntity
    async fn from_entity(&self, ctx: &Context<'_>) -> Result<Option<Entity>> {
        entity_on(ctx, &self.from, self.day).await
    }

    /// The entity the edge arrives at, as of the same day.
    async fn to_entity(&self, ctx: &Context<'_>) -> Result<Option<Entity>> {
        entity_on(ctx, &self.to, self.day).await
    }

    /// For a `uses` relation: how far its `resolved` version is behind the
    /// latest version of the package on the same day (the `latest` of the
    /// first source, by name, that has one), by the package ecosystem's own
    /// version ordering. The collectors record the same answer as the
    /// relation's `behind` attribute when they know the latest version;
    /// this field answers for every use, with the latest known on the day.
    /// Null for relations of other kinds.
    async fn behind(&self, ctx: &Context<'_>) -> Result<Option<VersionLag>> {
        if self.kind != "uses" {
            return Ok(None);
        }
        let resolved = self.attrs.0.get("resolved").and_then(Value::as_str);
        Ok(Some(super::packages::behind(ctx, &self.to, resolved, self.day).await?.into()))
    }
}

pub async fn entity_on(ctx: &Context<'_>, key: &str, day: Day) -> Result<Option<Entity>> {
    Ok(load_entity(ctx, key, day).await?.map(|state| Entity::new(state.entity.clone(), day)))
}

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    /// An entity as of `at` (default: the latest committed day); null when
    /// no source saw it that day.
    async fn entity(&self, ctx: &Context<'_>, key: String, at: Option<Date>) -> Result<Option<Entity>> {
        let day = resolve_day(ctx, at.map(|d| d.0)).await?;
        entity_on(ctx, &key, day).await
    }

    /// A service by name (`billing-api`) or key (`service:billing-api`).
    async fn service(&self, ctx: &Context<'_>, name: String, at: Option<Date>) -> Result<Option<Service>> {
        let day = resolve_day(ctx, at.map(|d| d.0)).await?;
        Ok(entity_on(ctx, &service_key(&name), day).await?.map(|entity| Service { entity }))
    }

    /// A team by its name as a person writes it (`Payments`, `payments`,
    /// `@acme/Payments`, `team:payments`), matched as every team argument
    /// is (docs/api.md); null when no source saw it that day.
    async fn team(&self, ctx: &Context<'_>, name: String, at: Option<Date>) -> Result<Option<Entity>> {
        let day = resolve_day(ctx, at.map(|d| d.0)).await?;
        let key = super::service::team_key(store(ctx)?, &name, day).await?;
        entity_on(ctx, &key, day).await
    }

    /// Entities alive on the day whose name or key contains `text`, or
    /// (services, components, APIs, resources, systems, domains, teams,
    /// users, repositories) whose `description` or one of whose `tags`
    /// does; best matches first.
    #[graphql(complexity = "first.max(1) as usize * child_complexity")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        text: String,
        #[graphql(default)] kinds: Vec<String>,
        at: Option<Date>,
        #[graphql(default = 20)] first: i32,
    ) -> Result<PlainList<Entity>> {
        let limits = &api(ctx, Scope::Read)?.limits;
        let limit = page_size(first, limits.page_size)?;
        let length = text.chars().count();
        if length > limits.search_text {
            let message =
                format!("search text is {length} characters, longer than {} (limits.search_text)", limits.search_text);
            return Err(bad_request(message));
        }
        let day = resolve_day(ctx, at.map(|d| d.0)).await?;
        let query = SearchQuery { text, kinds, day, limit };
        let found = store(ctx)?.search(&query).await.map_err(store_error)?;
        Ok(PlainList(found.into_iter().map(|e| Entity::new(e, day)).collect()))
    }

    /// The organisation's figures on a day: how many entities of each kind
    /// some source saw, by kind. Workloads repositories only declare count
    /// apart, as `declared_workload`: `workload` counts those that run.
    async fn figures(&self, ctx: &Context<'_>, at: Option<Date>) -> Result<Vec<KindCount>> {
        let day = resolve_day(ctx, at.map(|d| d.0)).await?;
        count_kinds(store(ctx)?, day).await
    }
}

/// How many entities of one kind some source saw on a day.
#[derive(SimpleObject)]
pub struct KindCount {
    pub kind: String,
    pub count: i32,
}

/// What `figures` calls the workloads repositories declare (docs/declared.md).
const DECLARED_KIND: &str = "declared_workload";

/// Every entity alive on `day`, counted per kind. Every key has the form
/// `kind:name`, so searching for ":" finds them all.
async fn count_kinds(store: &dyn crate::Store, day: Day) -> Result<Vec<KindCount>> {
    let everything = SearchQuery { text: ":".into(), kinds: Vec::new(), day, limit: 100_000_000 };
    let mut counts: std::collections::BTreeMap<String, i32> = std::collections::BTreeMap::new();
    for entity in store.search(&everything).await.map_err(store_error)? {
        let kind = if crate::model::is_declared_workload(&entity.key) { DECLARED_KIND.into() } else { entity.kind };
        *counts.entry(kind).or_default() += 1;
    }
    Ok(counts.into_iter().map(|(kind, count)| KindCount { kind, count }).collect())
}

/// Checks a requested page size against the limit.
pub fn page_size(first: i32, limit: usize) -> Result<usize> {
    if first < 1 || first as usize > limit {
        return Err(bad_request(format!("first must be between 1 and {limit} (limits.page_size), got {first}")));
    }
    Ok(first as usize)
}
