//! The graph as of a day: entities, their versioned facts and relations,
//! traversals, timelines and what changed between two days.

use serde::Serialize;
use serde_json::{Map, Value};

use super::Day;

/// The never-versioned anchor of one logical thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entity {
    pub key: String,
    pub kind: String,
    pub name: String,
}

/// One version of what one source (in one scope) says about an entity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fact {
    pub source: String,
    pub scope: String,
    pub attrs: Map<String, Value>,
    pub valid_from: Day,
    pub valid_to: Day,
}

/// An entity as of one day: every fact valid that day, from every source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityState {
    pub entity: Entity,
    /// The first day any source saw it.
    pub first_seen: Day,
    /// The last day any source saw it; `None` while some source still does.
    pub last_seen: Option<Day>,
    pub facts: Vec<Fact>,
}

impl EntityState {
    /// The facts of one source, one per scope.
    pub fn facts_from<'a>(&'a self, source: &'a str) -> impl Iterator<Item = &'a Fact> + 'a {
        self.facts.iter().filter(move |f| f.source == source)
    }

    /// Every source's attributes in one object: `{source: attrs}` when the
    /// source has one scope, `{source: {scope: attrs}}` when it has several.
    pub fn merged(&self) -> Map<String, Value> {
        let mut merged = Map::new();
        for fact in &self.facts {
            let scopes = self.facts_from(&fact.source).count();
            let attrs = Value::Object(fact.attrs.clone());
            if scopes == 1 {
                merged.insert(fact.source.clone(), attrs);
            } else {
                let by_scope = merged.entry(fact.source.clone()).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(by_scope) = by_scope {
                    by_scope.insert(fact.scope.clone(), attrs);
                }
            }
        }
        merged
    }
}

/// One version of an edge as one source (in one scope) sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relation {
    pub kind: String,
    pub from: String,
    pub to: String,
    pub source: String,
    pub scope: String,
    pub attrs: Map<String, Value>,
    pub valid_from: Day,
    pub valid_to: Day,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Direction {
    /// Along the edge: "what does it need".
    Out,
    /// Against the edge: "who needs it".
    In,
    Both,
}

impl Direction {
    pub fn follows_out(self) -> bool {
        matches!(self, Direction::Out | Direction::Both)
    }

    pub fn follows_in(self) -> bool {
        matches!(self, Direction::In | Direction::Both)
    }

    /// The same edges walked from their other end.
    pub fn reversed(self) -> Direction {
        match self {
            Direction::Out => Direction::In,
            Direction::In => Direction::Out,
            Direction::Both => Direction::Both,
        }
    }
}

/// Which edges a traversal may follow: a relation kind (or every kind) in a
/// direction. Mixed rules express impact questions such as "who breaks if
/// this package breaks": `uses` in, `builds` out, `depends_on` in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdgeRule {
    /// `None` follows every kind.
    pub kind: Option<String>,
    pub direction: Direction,
}

impl EdgeRule {
    pub fn new(kind: &str, direction: Direction) -> EdgeRule {
        EdgeRule { kind: Some(kind.to_string()), direction }
    }

    /// One rule per kind in the same direction; no kinds means every kind.
    pub fn for_kinds(kinds: &[String], direction: Direction) -> Vec<EdgeRule> {
        if kinds.is_empty() {
            return vec![EdgeRule { kind: None, direction }];
        }
        kinds.iter().map(|kind| EdgeRule { kind: Some(kind.clone()), direction }).collect()
    }
}

pub const MAX_TRAVERSAL_DEPTH: u32 = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Traversal {
    pub start: String,
    pub day: Day,
    /// 1 to [`MAX_TRAVERSAL_DEPTH`].
    pub depth: u32,
    pub edges: Vec<EdgeRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    pub entity: Entity,
    /// Hops from the start; the start itself is at depth 0.
    pub depth: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subgraph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Relation>,
}

/// An attribute held one value over `[from, to)` in one source's scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangePoint {
    pub from: Day,
    pub to: Day,
    pub value: Value,
    pub source: String,
    pub scope: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Change {
    Added,
    Changed,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityChange {
    pub change: Change,
    pub entity: Entity,
    /// The sources whose facts differ between the two days.
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelationChange {
    pub change: Change,
    pub kind: String,
    pub from: String,
    pub to: String,
    pub source: String,
    pub scope: String,
}

/// What differs between the graph of day `from` and that of day `to`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Changes {
    pub from: Day,
    pub to: Day,
    /// Sorted by entity key.
    pub entities: Vec<EntityChange>,
    /// Sorted by (from, kind, to, source, scope).
    pub relations: Vec<RelationChange>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub text: String,
    pub kinds: Vec<String>,
    pub day: Day,
    pub limit: usize,
}
