//! Relations, traversals, relation history and batched neighbours as of a
//! day.
//!
//! A traversal whose rules all go one way (what it needs, who needs it, or
//! both ways over the same kinds) is one AQL graph traversal, pruned on
//! edge validity with the path filtered (`traverse_*.aql`). Rules that
//! mix directions per kind ("uses" in, "builds" out) cannot be one AQL
//! traversal without following every edge both ways, so those go breadth
//! first, one query per depth for the whole frontier (`edges_*.aql`).
//! Either way a node is reported at the depth it is first reached, and the
//! edges are those the rules follow from every node short of the last depth.

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{json, Value};

use super::queries::{self, Way};
use super::read::{entity_from, require_anchor};
use super::{day, int, keys, object, text, Inner};
use crate::model::*;
use crate::store::{StoreError, StoreResult};

/// An edge as the hop queries return it.
struct Hop {
    id: String,
    other: String,
    relation: Relation,
}

fn hop_from(row: &Value) -> StoreResult<Hop> {
    let doing = "following edges";
    Ok(Hop { id: text(row, "id", doing)?, other: text(row, "other", doing)?, relation: relation_from(row, doing)? })
}

fn relation_from(row: &Value, doing: &str) -> StoreResult<Relation> {
    Ok(Relation {
        kind: text(row, "kind", doing)?,
        from: text(row, "from", doing)?,
        to: text(row, "to", doing)?,
        source: text(row, "source", doing)?,
        scope: text(row, "scope", doing)?,
        attrs: object(row, "attrs"),
        valid_from: day(row, "valid_from", doing)?,
        valid_to: day(row, "valid_to", doing)?,
    })
}

/// The kinds followed in one direction: none, some, or every kind.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Kinds {
    used: bool,
    any: bool,
    kinds: BTreeSet<String>,
}

impl Kinds {
    fn add(&mut self, kind: &Option<String>) {
        self.used = true;
        match kind {
            Some(kind) => {
                self.kinds.insert(kind.clone());
            }
            None => self.any = true,
        }
    }

    /// `None` for every kind.
    fn list(&self) -> Option<Vec<String>> {
        (!self.any).then(|| self.kinds.iter().cloned().collect())
    }
}

/// The kinds each direction follows, from a traversal's rules.
fn directions(rules: &[EdgeRule]) -> (Kinds, Kinds) {
    let (mut out, mut inward) = (Kinds::default(), Kinds::default());
    for rule in rules {
        if rule.direction.follows_out() {
            out.add(&rule.kind);
        }
        if rule.direction.follows_in() {
            inward.add(&rule.kind);
        }
    }
    (out, inward)
}

/// Every edge the rules follow from any of `vertices`, de-duplicated.
async fn hops(store: &Inner, vertices: &[String], out: &Kinds, inward: &Kinds, on: Day) -> StoreResult<Vec<Hop>> {
    let mut found = Vec::new();
    for (way, kinds) in [(Way::Out, out), (Way::In, inward)] {
        if !kinds.used || vertices.is_empty() {
            continue;
        }
        let list = kinds.list();
        for chunk in vertices.chunks(5000) {
            for row in store.query(queries::edges(way, chunk, list.as_deref(), on)).await? {
                found.push(hop_from(&row)?);
            }
        }
    }
    let mut seen = FxHashSet::default();
    found.retain(|hop| seen.insert(hop.id.clone()));
    Ok(found)
}

pub async fn relations(
    store: &Inner,
    key: &str,
    on: Day,
    direction: Direction,
    kinds: &[String],
) -> StoreResult<Vec<Relation>> {
    require_anchor(store, key).await?;
    let (out, inward) = directions(&EdgeRule::for_kinds(kinds, direction));
    let found = hops(store, &[keys::anchor_id(key)], &out, &inward, on).await?;
    let mut relations: Vec<Relation> = found.into_iter().map(|hop| hop.relation).collect();
    relations.sort_by(|a, b| (&a.kind, &a.from, &a.to, &a.scope).cmp(&(&b.kind, &b.from, &b.to, &b.scope)));
    Ok(relations)
}

pub async fn traverse(store: &Inner, traversal: &Traversal) -> StoreResult<Subgraph> {
    let start = require_anchor(store, &traversal.start).await?;
    let start_id = keys::anchor_id(&traversal.start);
    let (out, inward) = directions(&traversal.edges);
    let direction = match (out.used, inward.used) {
        (true, false) => Some((queries::Direction::Outbound, &out)),
        (false, true) => Some((queries::Direction::Inbound, &inward)),
        _ if out == inward => Some((queries::Direction::Any, &out)),
        _ => None,
    };
    let mut nodes: Vec<(String, Node)> = vec![(start_id.clone(), Node { entity: start, depth: 0 })];
    match direction {
        Some((direction, kinds)) => {
            let list = kinds.list();
            let query = queries::traverse(direction, &start_id, traversal.depth, list.as_deref(), traversal.day);
            let mut seen: FxHashSet<String> = FxHashSet::from_iter([start_id.clone()]);
            for row in store.query(query).await? {
                let id = text(&row, "id", "traversing")?;
                if seen.insert(id.clone()) {
                    let depth = int(&row, "depth", "traversing")? as u32;
                    nodes.push((id, Node { entity: entity_from(&row, "traversing")?, depth }));
                }
            }
        }
        None => breadth_first(store, traversal, &out, &inward, &mut nodes).await?,
    }
    nodes.sort_by(|a, b| (a.1.depth, &a.1.entity.key).cmp(&(b.1.depth, &b.1.entity.key)));
    let expanded: Vec<String> =
        nodes.iter().filter(|(_, n)| n.depth < traversal.depth).map(|(id, _)| id.clone()).collect();
    let mut edges: Vec<Relation> =
        hops(store, &expanded, &out, &inward, traversal.day).await?.into_iter().map(|h| h.relation).collect();
    edges.sort_by(|a, b| {
        (&a.from, &a.kind, &a.to, &a.source, &a.scope).cmp(&(&b.from, &b.kind, &b.to, &b.source, &b.scope))
    });
    Ok(Subgraph { nodes: nodes.into_iter().map(|(_, node)| node).collect(), edges })
}

/// Mixed directions: one hop query per depth for the whole frontier.
async fn breadth_first(
    store: &Inner,
    traversal: &Traversal,
    out: &Kinds,
    inward: &Kinds,
    nodes: &mut Vec<(String, Node)>,
) -> StoreResult<()> {
    let mut depth_of: FxHashMap<String, u32> = FxHashMap::default();
    depth_of.insert(nodes[0].0.clone(), 0);
    let mut frontier = vec![nodes[0].0.clone()];
    let mut order = Vec::new();
    for depth in 1..=traversal.depth {
        let mut next = Vec::new();
        for hop in hops(store, &frontier, out, inward, traversal.day).await? {
            if !depth_of.contains_key(&hop.other) {
                depth_of.insert(hop.other.clone(), depth);
                order.push(hop.other.clone());
                next.push(hop.other);
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    let anchor_keys: Vec<String> =
        order.iter().map(|id| id.strip_prefix("entities/").unwrap_or(id).to_string()).collect();
    let mut named: FxHashMap<String, Entity> = FxHashMap::default();
    for chunk in anchor_keys.chunks(5000) {
        for row in store.query(queries::anchors(chunk)).await? {
            named.insert(text(&row, "id", "reading entities")?, entity_from(&row, "reading entities")?);
        }
    }
    for id in order {
        let entity = named.remove(&id).ok_or_else(|| StoreError::Backend {
            doing: "reading a traversal's entities".into(),
            source: format!("{id} has no anchor").into(),
        })?;
        let depth = depth_of[&id];
        nodes.push((id, Node { entity, depth }));
    }
    Ok(())
}

pub async fn relation_history(
    store: &Inner,
    key: &str,
    direction: Direction,
    kinds: &[String],
    from: Day,
    to: Day,
) -> StoreResult<Vec<Relation>> {
    require_anchor(store, key).await?;
    let vertex = keys::anchor_id(key);
    let mut found = Vec::new();
    let mut seen = FxHashSet::default();
    for (way, follows) in [(Way::Out, direction.follows_out()), (Way::In, direction.follows_in())] {
        if !follows {
            continue;
        }
        for row in store.query(queries::relation_history(way, &vertex, from, to)).await? {
            let relation = relation_from(&row, "reading relation history")?;
            let fresh = seen.insert(text(&row, "id", "reading relation history")?);
            if fresh && (kinds.is_empty() || kinds.contains(&relation.kind)) {
                found.push(relation);
            }
        }
    }
    found.sort_by(|a, b| (a.valid_from, &a.kind, &a.from, &a.to).cmp(&(b.valid_from, &b.kind, &b.from, &b.to)));
    Ok(found)
}

pub async fn neighbours(
    store: &Inner,
    keys_: &[String],
    rule: &EdgeRule,
    on: Day,
) -> StoreResult<Vec<(String, String)>> {
    let Some(kind) = &rule.kind else {
        return Err(StoreError::BadRequest("grouping needs a relation kind for each step".into()));
    };
    let vertices: Vec<Value> = keys_.iter().map(|key| json!({ "id": keys::anchor_id(key), "key": key })).collect();
    let mut pairs = Vec::new();
    for (way, follows) in [(Way::Out, rule.direction.follows_out()), (Way::In, rule.direction.follows_in())] {
        if !follows {
            continue;
        }
        for chunk in vertices.chunks(5000) {
            for row in store.query(queries::neighbours(way, &Value::Array(chunk.to_vec()), kind, on)).await? {
                let pair = row.as_array().and_then(|p| Some((p.first()?.as_str()?, p.get(1)?.as_str()?)));
                let (key, neighbour) = pair.ok_or_else(|| StoreError::Backend {
                    doing: "reading neighbours".into(),
                    source: format!("not a [key, neighbour] pair: {row}").into(),
                })?;
                pairs.push((key.to_string(), neighbour.to_string()));
            }
        }
    }
    pairs.sort();
    pairs.dedup();
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_that_go_one_way_make_one_traversal() {
        let (out, inward) = directions(&EdgeRule::for_kinds(&["depends_on".into()], Direction::Out));
        assert!(out.used && !inward.used);
        assert_eq!(out.list(), Some(vec!["depends_on".to_string()]));
        let (out, inward) = directions(&EdgeRule::for_kinds(&[], Direction::Both));
        assert_eq!(out, inward, "both ways over every kind: one ANY traversal");
        assert_eq!(out.list(), None);
        let impact = [EdgeRule::new("uses", Direction::In), EdgeRule::new("builds", Direction::Out)];
        let (out, inward) = directions(&impact);
        assert!(out.used && inward.used && out != inward, "mixed: breadth first, hop by hop");
    }
}
