//! Dependency traversal: "what does it need", "who breaks if it breaks".

use async_graphql::{Context, Object, Result, SimpleObject};

use super::context::{bad_request, resolve_day, store, store_error};
use super::entity::{Entity, Relation};
use super::plain::{Plain, PlainField, PlainList, Plan};
use super::scalars::{Date, Direction, EdgeRuleInput};
use crate::model::{self, EdgeRule, Traversal, MAX_TRAVERSAL_DEPTH};

#[derive(SimpleObject)]
pub struct Node {
    pub entity: Entity,
    /// Hops from the start (the start itself is at 0).
    pub depth: i32,
}

impl Plain for Node {
    const FIELDS: &'static [PlainField] = &[PlainField::Leaf("depth"), PlainField::Object("entity", Entity::plan)];

    fn value(&self, field: usize, nested: Option<&Plan>) -> async_graphql::Value {
        match field {
            0 => async_graphql::Value::from(self.depth),
            // Plan::of always gives an object field its plan.
            _ => nested.map_or(async_graphql::Value::Null, |plan| plan.write(&self.entity)),
        }
    }
}

/// The part of the graph a traversal reached, as of its day.
#[derive(SimpleObject)]
pub struct Subgraph {
    pub nodes: PlainList<Node>,
    pub edges: PlainList<Relation>,
}

#[derive(Default)]
pub struct GraphQuery;

#[Object]
impl GraphQuery {
    /// Breadth-first from `key` as of `at`, up to `depth` hops (1 to 10),
    /// following `kinds` (all when empty) in `direction`: OUT is what it
    /// needs, IN is who needs it. `rules` instead pairs each kind with its
    /// own direction, e.g. who breaks if a package breaks:
    /// `[{kind: "uses", direction: IN}, {kind: "builds", direction: OUT},
    /// {kind: "depends_on", direction: IN}]`.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "100 * child_complexity")]
    async fn dependencies(
        &self,
        ctx: &Context<'_>,
        key: String,
        at: Option<Date>,
        #[graphql(default = 1)] depth: i32,
        #[graphql(default_with = "Direction::Out")] direction: Direction,
        #[graphql(default)] kinds: Vec<String>,
        rules: Option<Vec<EdgeRuleInput>>,
    ) -> Result<Subgraph> {
        if !(1..=MAX_TRAVERSAL_DEPTH as i32).contains(&depth) {
            return Err(bad_request(format!("depth must be between 1 and {MAX_TRAVERSAL_DEPTH}, got {depth}")));
        }
        let day = resolve_day(ctx, at.map(|d| d.0)).await?;
        let edges: Vec<EdgeRule> = match &rules {
            Some(rules) if !kinds.is_empty() => {
                return Err(bad_request("give either kinds (with direction) or rules, not both"));
            }
            Some(rules) if rules.is_empty() => return Err(bad_request("rules must not be empty")),
            Some(rules) => rules.iter().map(EdgeRule::from).collect(),
            None => EdgeRule::for_kinds(&kinds, model::Direction::from(direction)),
        };
        let traversal = Traversal { start: key, day, depth: depth as u32, edges };
        let graph = store(ctx)?.traverse(&traversal).await.map_err(store_error)?;
        Ok(Subgraph {
            nodes: PlainList(
                graph
                    .nodes
                    .into_iter()
                    .map(|n| Node { entity: Entity::new(n.entity, day), depth: n.depth as i32 })
                    .collect(),
            ),
            edges: PlainList(graph.edges.into_iter().map(|r| Relation::new(r, day)).collect()),
        })
    }
}
