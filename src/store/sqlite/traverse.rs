//! Neighbours and breadth-first traversal as of a day.
//!
//! Each hop is one indexed range read per (node, edge rule), answered from a
//! covering index; entities and edge details are read once per node and
//! edge. Visited nodes are never expanded twice, so cycles are harmless.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Connection};

use super::backend;
use super::read::{anchor, entity_from, parse_attrs};
use crate::model::*;
use crate::store::{StoreError, StoreResult};

const EDGES_OUT: &str = include_str!("../../../queries/sqlite/edges_out.sql");
const EDGES_OUT_ANY: &str = include_str!("../../../queries/sqlite/edges_out_any.sql");
const EDGES_IN: &str = include_str!("../../../queries/sqlite/edges_in.sql");
const EDGES_IN_ANY: &str = include_str!("../../../queries/sqlite/edges_in_any.sql");

/// An edge seen from one end: its id and the entity at the other end.
struct Hop {
    edge: i64,
    other: i64,
}

/// The edges of one entity that one rule follows, valid on `day`.
fn hops(conn: &Connection, entity: i64, rule: &EdgeRule, day: Day, out: &mut Vec<Hop>) -> StoreResult<()> {
    let mut follow = |sql: &str, with_kind: bool| -> StoreResult<()> {
        let mut stmt = conn.prepare_cached(sql).map_err(backend("following edges"))?;
        let map = |r: &rusqlite::Row| Ok(Hop { edge: r.get(0)?, other: r.get(1)? });
        let rows = match (&rule.kind, with_kind) {
            (Some(kind), true) => stmt.query_map(params![entity, kind, day.0], map),
            _ => stmt.query_map(params![entity, day.0], map),
        }
        .map_err(backend("following edges"))?;
        for hop in rows {
            out.push(hop.map_err(backend("following edges"))?);
        }
        Ok(())
    };
    let with_kind = rule.kind.is_some();
    if rule.direction.follows_out() {
        follow(if with_kind { EDGES_OUT } else { EDGES_OUT_ANY }, with_kind)?;
    }
    if rule.direction.follows_in() {
        follow(if with_kind { EDGES_IN } else { EDGES_IN_ANY }, with_kind)?;
    }
    Ok(())
}

/// Reads entities and edge details once each for one query.
struct Details<'c> {
    conn: &'c Connection,
    entities: HashMap<i64, Entity>,
    scopes: HashMap<i64, (String, String)>,
}

impl<'c> Details<'c> {
    fn new(conn: &'c Connection) -> StoreResult<Details<'c>> {
        let mut stmt = conn.prepare_cached("SELECT id, source, scope FROM scopes").map_err(backend("reading scopes"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
            .map_err(backend("reading scopes"))?;
        let scopes = rows.collect::<Result<_, _>>().map_err(backend("reading scopes"))?;
        Ok(Details { conn, entities: HashMap::new(), scopes })
    }

    fn entity(&mut self, id: i64) -> StoreResult<&Entity> {
        if !self.entities.contains_key(&id) {
            let entity = self
                .conn
                .prepare_cached("SELECT key, kind, name FROM entities WHERE id = ?1")
                .and_then(|mut s| s.query_row([id], |r| entity_from(r, 0)))
                .map_err(backend("reading an entity"))?;
            self.entities.insert(id, entity);
        }
        Ok(&self.entities[&id])
    }

    fn relation(&mut self, edge: i64) -> StoreResult<Relation> {
        let (from, to, kind, scope, attrs, valid_from, valid_to): (i64, i64, String, i64, String, i32, i32) = self
            .conn
            .prepare_cached("SELECT from_id, to_id, kind, scope, attrs, valid_from, valid_to FROM relations WHERE id = ?1")
            .and_then(|mut s| {
                s.query_row([edge], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))
            })
            .map_err(backend("reading a relation"))?;
        let (source, scope) = self.scopes.get(&scope).cloned().unwrap_or_default();
        Ok(Relation {
            kind,
            from: self.entity(from)?.key.clone(),
            to: self.entity(to)?.key.clone(),
            source,
            scope,
            attrs: parse_attrs(&attrs)?,
            valid_from: Day(valid_from),
            valid_to: Day(valid_to),
        })
    }
}

fn start_of(conn: &Connection, key: &str) -> StoreResult<(i64, Entity)> {
    anchor(conn, key)?.ok_or_else(|| StoreError::NotFound { key: key.to_string() })
}

pub fn relations_of(conn: &Connection, key: &str, day: Day, direction: Direction, kinds: &[String]) -> StoreResult<Vec<Relation>> {
    let (id, entity) = start_of(conn, key)?;
    let mut details = Details::new(conn)?;
    details.entities.insert(id, entity);
    let mut found = Vec::new();
    for rule in EdgeRule::for_kinds(kinds, direction) {
        hops(conn, id, &rule, day, &mut found)?;
    }
    let mut seen = HashSet::new();
    let mut relations = Vec::with_capacity(found.len());
    for hop in found.into_iter().filter(|hop| seen.insert(hop.edge)) {
        relations.push(details.relation(hop.edge)?);
    }
    relations.sort_by(|a, b| (&a.kind, &a.from, &a.to, &a.scope).cmp(&(&b.kind, &b.from, &b.to, &b.scope)));
    Ok(relations)
}

pub fn traverse(conn: &Connection, traversal: &Traversal) -> StoreResult<Subgraph> {
    let (start, entity) = start_of(conn, &traversal.start)?;
    let mut details = Details::new(conn)?;
    details.entities.insert(start, entity);
    let mut depth_of: HashMap<i64, u32> = HashMap::from([(start, 0)]);
    let mut order = vec![start];
    let mut edges: Vec<i64> = Vec::new();
    let mut seen_edges: HashSet<i64> = HashSet::new();
    let mut frontier = vec![start];
    let mut found = Vec::new();
    for depth in 1..=traversal.depth {
        let mut next = Vec::new();
        for &node in &frontier {
            found.clear();
            for rule in &traversal.edges {
                hops(conn, node, rule, traversal.day, &mut found)?;
            }
            for hop in &found {
                if seen_edges.insert(hop.edge) {
                    edges.push(hop.edge);
                }
                if let std::collections::hash_map::Entry::Vacant(slot) = depth_of.entry(hop.other) {
                    slot.insert(depth);
                    order.push(hop.other);
                    next.push(hop.other);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    let mut nodes = Vec::with_capacity(order.len());
    for id in order {
        nodes.push(Node { entity: details.entity(id)?.clone(), depth: depth_of[&id] });
    }
    let mut relations = Vec::with_capacity(edges.len());
    for edge in edges {
        relations.push(details.relation(edge)?);
    }
    Ok(Subgraph { nodes, edges: relations })
}
