//! Timelines, changes between two days, and run history.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, Enum, Json, Object, Result, SimpleObject};
use serde_json::Value;

use std::sync::Arc;

use super::auth::Scope;
use super::changes::{AttributeMove, ChangeGroup, ChangeInWords, Lazy};
use super::context::{api, resolve_day, store, store_error};
use super::entity::{entity_on, Entity};
use super::scalars::{day, end, Date};
use crate::changes::{ChangeKind, Significance};
use crate::model::{self, RunFilter};

/// An attribute held `value` over `[from, to)` in one source's scope.
#[derive(SimpleObject)]
pub struct ChangePoint {
    pub from: Date,
    /// Null while the value still holds.
    pub to: Option<Date>,
    pub value: Json<Value>,
    pub source: String,
    pub scope: String,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ChangeType {
    Added,
    Changed,
    Removed,
}

impl From<model::Change> for ChangeType {
    fn from(change: model::Change) -> ChangeType {
        match change {
            model::Change::Added => ChangeType::Added,
            model::Change::Changed => ChangeType::Changed,
            model::Change::Removed => ChangeType::Removed,
        }
    }
}

/// One difference between two days: an entity, or a relation.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Change {
    pub change: ChangeType,
    /// The entity key, or `from -kind-> to` for a relation.
    pub key: String,
    /// The entity kind, or the relation kind.
    pub kind: String,
    pub is_relation: bool,
    /// The sources whose facts or relations differ.
    pub sources: Vec<String>,
    /// For a relation: its ends, source and scope.
    pub relation: Option<RelationChange>,
    #[graphql(skip)]
    entity_day: model::Day,
    /// What it is in words (docs/changes.md), read when a field asks.
    #[graphql(skip)]
    pub(super) words: Option<Arc<Lazy>>,
    /// Its place in the order: the paging cursor.
    #[graphql(skip)]
    pub(super) order_key: String,
}

#[derive(SimpleObject, Clone)]
pub struct RelationChange {
    pub from: String,
    pub to: String,
    pub source: String,
    pub scope: String,
}

#[async_graphql::ComplexObject]
impl Change {
    /// The entity as of the later day (the earlier one when it was removed).
    async fn entity(&self, ctx: &Context<'_>) -> Result<Option<Entity>> {
        if self.is_relation {
            return Ok(None);
        }
        entity_on(ctx, &self.key, self.entity_day).await
    }

    /// One line in words: "checkout: 2.3.1 → 2.4.0 in eu-west". An owner
    /// move's two relations, and a package version moved in many places,
    /// share one title.
    async fn title(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(self.in_words(ctx).await?.map(|w| w.title))
    }

    /// The service it belongs to through the graph, when exactly one.
    async fn service(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(self.in_words(ctx).await?.and_then(|w| w.service))
    }

    /// Whether it matters (docs/changes.md, "Significance").
    async fn significance(&self, ctx: &Context<'_>) -> Result<Option<Significance>> {
        Ok(self.in_words(ctx).await?.map(|w| w.significance))
    }

    /// What sort of change it is (docs/changes.md, "Kinds").
    async fn change_kind(&self, ctx: &Context<'_>) -> Result<Option<ChangeKind>> {
        Ok(self.in_words(ctx).await?.map(|w| w.change_kind))
    }

    /// Before → after for each attribute path that moved.
    async fn moved(&self, ctx: &Context<'_>) -> Result<Vec<AttributeMove>> {
        Ok(self.in_words(ctx).await?.map(|w| w.moved).unwrap_or_default())
    }

    /// All of it in words: services, relations added or removed, subject.
    async fn in_words(&self, ctx: &Context<'_>) -> Result<Option<ChangeInWords>> {
        match &self.words {
            Some(lazy) => Ok(Some(ChangeInWords::from(lazy.typed(ctx).await?))),
            None => Ok(None),
        }
    }
}

#[derive(SimpleObject)]
pub struct ChangesInfo {
    /// All changes matching the filter, across pages.
    pub total_count: i32,
    /// How many of them there are per kind and type of change, across pages.
    pub summary: Vec<ChangeCount>,
    /// How many of them belong to each service, most first (those of no
    /// single service last), across pages.
    pub groups: Vec<ChangeGroup>,
}

/// How many entities or relations of one kind were added, changed or removed.
#[derive(SimpleObject, Clone)]
pub struct ChangeCount {
    pub kind: String,
    pub change: ChangeType,
    pub is_relation: bool,
    pub count: i32,
}

/// Counts per (kind, change), entities first, each by kind.
fn summary_of(changes: &[Change]) -> Vec<ChangeCount> {
    let mut counts: std::collections::BTreeMap<(bool, &str, u8), (ChangeType, i32)> = Default::default();
    for change in changes {
        let order = match change.change {
            ChangeType::Added => 0,
            ChangeType::Changed => 1,
            ChangeType::Removed => 2,
        };
        counts.entry((change.is_relation, &change.kind, order)).or_insert((change.change, 0)).1 += 1;
    }
    counts
        .into_iter()
        .map(|((is_relation, kind, _), (change, count))| ChangeCount {
            kind: kind.to_string(),
            change,
            is_relation,
            count,
        })
        .collect()
}

#[derive(SimpleObject)]
pub struct RunCounts {
    pub added: i64,
    pub changed: i64,
    pub closed: i64,
    pub unchanged: i64,
}

/// One snapshot run of one (source, scope, day).
#[derive(SimpleObject)]
pub struct Run {
    pub source: String,
    pub scope: String,
    pub day: Date,
    /// running, complete, partial or failed.
    pub status: String,
    pub counts: RunCounts,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub attempts: i32,
    /// What the run reported without failing: unmatched projects, items it
    /// could not read (their previous versions carried forward), conflicts.
    pub warnings: Vec<String>,
}

impl From<model::Run> for Run {
    fn from(run: model::Run) -> Run {
        Run {
            source: run.source,
            scope: run.scope,
            day: Date(run.day),
            status: run.status.as_str().to_string(),
            counts: RunCounts {
                added: run.counts.added as i64,
                changed: run.counts.changed as i64,
                closed: run.counts.closed as i64,
                unchanged: run.counts.unchanged as i64,
            },
            started_at: chrono::DateTime::from_timestamp_millis(run.started_at_ms).unwrap_or_default(),
            duration_ms: run.duration_ms,
            error: run.error,
            attempts: run.attempts as i32,
            warnings: run.warnings,
        }
    }
}

fn changes_of(changes: &model::Changes, kinds: &[String]) -> Vec<Change> {
    let wanted = |kind: &str| kinds.is_empty() || kinds.iter().any(|k| k == kind);
    let mut all = Vec::with_capacity(changes.entities.len() + changes.relations.len());
    for c in changes.entities.iter().filter(|c| wanted(&c.entity.kind)) {
        let entity_day = if c.change == model::Change::Removed { changes.from } else { changes.to };
        all.push(Change {
            change: c.change.into(),
            key: c.entity.key.clone(),
            kind: c.entity.kind.clone(),
            is_relation: false,
            sources: c.sources.clone(),
            relation: None,
            entity_day,
            words: None,
            order_key: String::new(),
        });
    }
    for c in changes.relations.iter().filter(|c| wanted(&c.kind)) {
        all.push(Change {
            change: c.change.into(),
            key: crate::changes::relation_key(&c.from, &c.kind, &c.to),
            kind: c.kind.clone(),
            is_relation: true,
            sources: vec![c.source.clone()],
            relation: Some(RelationChange {
                from: c.from.clone(),
                to: c.to.clone(),
                source: c.source.clone(),
                scope: c.scope.clone(),
            }),
            entity_day: changes.to,
            words: None,
            order_key: String::new(),
        });
    }
    all
}

#[derive(Default)]
pub struct TimeQuery;

#[Object]
impl TimeQuery {
    /// The values one attribute (a dotted path) of one entity took over
    /// `[from, to]`, as change points per source scope. `to` defaults to the
    /// latest committed day, `from` to a year before it.
    #[graphql(complexity = "50 * child_complexity")]
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        key: String,
        attribute: String,
        from: Option<Date>,
        to: Option<Date>,
        source: Option<String>,
    ) -> Result<Vec<ChangePoint>> {
        let to = resolve_day(ctx, day(to)).await?;
        let from = day(from).unwrap_or(to.minus(365));
        let points = store(ctx)?.timeline(&key, &attribute, from, to, source.as_deref()).await.map_err(store_error)?;
        Ok(points
            .into_iter()
            .map(|p| ChangePoint {
                from: Date(p.from),
                to: end(p.to),
                value: Json(p.value),
                source: p.source,
                scope: p.scope,
            })
            .collect())
    }

    /// What was added, changed and removed between the graphs of two days
    /// (`to` defaults to the latest committed day), entities first (by key),
    /// then relations, or, with `groupByService`, by the service each
    /// belongs to (docs/changes.md). `kinds` filters entity and relation
    /// kinds; `service` (name or key) and `team` (those it owns) keep the
    /// changes of some services; `changeKinds` and `significance` filter by
    /// what the changes are in words. Cursors are keys of the order: a page
    /// stays where it was when others are added before it.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "first.unwrap_or(100).max(1) as usize * child_complexity")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Option<Date>,
        #[graphql(default)] kinds: Vec<String>,
        service: Option<String>,
        team: Option<String>,
        change_kinds: Option<Vec<ChangeKind>>,
        significance: Option<Significance>,
        #[graphql(default)] group_by_service: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Change, ChangesInfo, EmptyFields>> {
        let page_limit = api(ctx, Scope::Read)?.limits.page_size;
        let first = first.unwrap_or(100);
        super::entity::page_size(first, page_limit)?;
        let to = resolve_day(ctx, day(to)).await?;
        let changes = store(ctx)?.changes(from.0, to).await.map_err(store_error)?;
        let scope = super::changes::scope_of(ctx, service, team, to).await?;
        let mut all = changes_of(&changes, &kinds);
        super::changes::attach(ctx, &changes, &scope, &mut all, group_by_service).await?;
        let all = super::changes::keep_words(ctx, all, change_kinds, significance).await?;
        let info = ChangesInfo {
            total_count: all.len() as i32,
            summary: summary_of(&all),
            groups: super::changes::groups_of(&all),
        };
        super::changes::keyset_page(all, first as usize, after, info)
    }

    /// Snapshot runs, newest first, optionally of one source and within
    /// `[from, to]`.
    #[graphql(complexity = "50 * child_complexity")]
    async fn runs(
        &self,
        ctx: &Context<'_>,
        source: Option<String>,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<Vec<Run>> {
        let filter = RunFilter { source, from: day(from), to: day(to) };
        let runs = store(ctx)?.runs(&filter).await.map_err(store_error)?;
        Ok(runs.into_iter().map(Run::from).collect())
    }

    /// The latest day with a committed run.
    async fn latest_day(&self, ctx: &Context<'_>) -> Result<Option<Date>> {
        Ok(store(ctx)?.latest_day().await.map_err(store_error)?.map(Date))
    }
}
