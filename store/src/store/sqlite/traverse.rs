//! Neighbours and breadth-first traversal as of a day.
//!
//! A walk reads its graph from SQLite or, when one of the very state its
//! read transaction sees is at hand, from the in-memory [`Topology`]; both
//! give the same hops in the same order. From SQLite: one statement per
//! (hop, direction) for the whole frontier, the frontier's ids and the
//! rules' kinds going in as JSON arrays, each pair probing the
//! relations_out or relations_in index, and entities read once, in one
//! statement, at the end. Visited nodes are never expanded twice, so cycles
//! are harmless.

use std::collections::hash_map::Entry;
use std::sync::Arc;

use rusqlite::{params, Connection, Row};
use rustc_hash::{FxHashMap, FxHashSet};

use super::backend;
use super::read::{anchor, entity_from, parse_attrs, scope_names};
use super::topology::Topology;
use crate::model::*;
use crate::store::{StoreError, StoreResult};

const EDGES_OUT: &str = include_str!("../../../../queries/sqlite/edges_out.sql");
const EDGES_OUT_ANY: &str = include_str!("../../../../queries/sqlite/edges_out_any.sql");
const EDGES_IN: &str = include_str!("../../../../queries/sqlite/edges_in.sql");
const EDGES_IN_ANY: &str = include_str!("../../../../queries/sqlite/edges_in_any.sql");
const ENTITIES_BY_ID: &str = include_str!("../../../../queries/sqlite/entities_by_id.sql");

/// An edge reached from the frontier: the entity at its other end, and the
/// edge itself with entity ids still to be named.
pub(super) struct Hop {
    pub(super) edge: i64,
    pub(super) other: i64,
    pub(super) from: i64,
    pub(super) to: i64,
    pub(super) kind: String,
    pub(super) scope: i64,
    pub(super) attrs: String,
    pub(super) valid_from: i32,
    pub(super) valid_to: i32,
    /// Where the first rule following it sits (see [`rank`]); set by [`hops`].
    pub(super) rank: usize,
    /// The position in the frontier of the entity it was reached from.
    pub(super) near: usize,
}

/// A relation version as the relation statements give it (columns 0 to 8).
pub(super) fn hop_from(r: &Row) -> rusqlite::Result<Hop> {
    Ok(Hop {
        edge: r.get(0)?,
        other: r.get(1)?,
        from: r.get(2)?,
        to: r.get(3)?,
        kind: r.get(4)?,
        scope: r.get(5)?,
        attrs: r.get(6)?,
        valid_from: r.get(7)?,
        valid_to: r.get(8)?,
        rank: 0,
        near: 0,
    })
}

/// One hop in one direction: the edges `followed` take from `frontier` on `day`.
pub(super) struct Step<'a> {
    pub(super) frontier: &'a [i64],
    pub(super) followed: &'a [&'a EdgeRule],
    pub(super) outgoing: bool,
    pub(super) day: Day,
}

/// Where a walk reads the graph: SQLite, or the topology of the state the
/// read transaction sees.
#[derive(Clone, Copy)]
enum Source<'a> {
    Sql(&'a Connection),
    Memory(&'a Topology),
}

pub(super) fn id_list(ids: &[i64]) -> String {
    serde_json::to_string(ids).expect("integers always serialise")
}

/// Every edge that `rules` follow from any of `frontier`, valid on `day`:
/// rule by rule, then frontier entity by frontier entity, then by kind,
/// validity, the entity reached, scope and id. Stops as soon as it has read
/// more than `limit` rows, and says so with `false`.
fn hops(
    source: Source,
    frontier: &[i64],
    rules: &[EdgeRule],
    day: Day,
    out: &mut Vec<Hop>,
    limit: usize,
) -> StoreResult<bool> {
    let start = out.len();
    for outgoing in [true, false] {
        let followed: Vec<&EdgeRule> = rules.iter().filter(|rule| follows(rule, outgoing)).collect();
        if followed.is_empty() {
            continue;
        }
        let step = Step { frontier, followed: &followed, outgoing, day };
        let taken = out.len();
        let whole = match source {
            Source::Sql(conn) => sql_hops(conn, &step, out, start, limit)?,
            Source::Memory(topology) => topology.hops(&step, out, start, limit),
        };
        if !whole {
            return Ok(false);
        }
        for hop in &mut out[taken..] {
            hop.rank = rank(rules, &hop.kind, outgoing);
        }
    }
    let rest = |hop: &Hop| (hop.valid_to, hop.valid_from, hop.other, hop.scope, hop.edge);
    out[start..].sort_by(|a, b| {
        ((a.rank, a.near).cmp(&(b.rank, b.near))).then_with(|| a.kind.cmp(&b.kind)).then_with(|| rest(a).cmp(&rest(b)))
    });
    Ok(true)
}

/// [`hops`] in one direction, from SQLite: one statement for all rules.
fn sql_hops(conn: &Connection, step: &Step, out: &mut Vec<Hop>, start: usize, limit: usize) -> StoreResult<bool> {
    let Step { frontier, followed, outgoing, day } = *step;
    let any = followed.iter().any(|rule| rule.kind.is_none());
    let sql = match (outgoing, any) {
        (true, false) => EDGES_OUT,
        (true, true) => EDGES_OUT_ANY,
        (false, false) => EDGES_IN,
        (false, true) => EDGES_IN_ANY,
    };
    let nodes = id_list(frontier);
    let frontier_hop =
        |r: &Row| -> rusqlite::Result<Hop> { Ok(Hop { near: r.get::<_, i64>(9)? as usize, ..hop_from(r)? }) };
    let mut stmt = conn.prepare_cached(sql).map_err(backend("following edges"))?;
    let rows = if any {
        stmt.query_map(params![nodes, day.0], frontier_hop)
    } else {
        let kinds: Vec<&str> = followed.iter().filter_map(|rule| rule.kind.as_deref()).collect();
        let kinds = serde_json::to_string(&kinds).expect("strings always serialise");
        stmt.query_map(params![nodes, kinds, day.0], frontier_hop)
    }
    .map_err(backend("following edges"))?;
    for hop in rows {
        out.push(hop.map_err(backend("following edges"))?);
        if out.len() - start > limit {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Where the first rule following an edge of `kind` in this direction sits:
/// rule by rule, outgoing before incoming within a rule.
fn rank(rules: &[EdgeRule], kind: &str, outgoing: bool) -> usize {
    let takes = |rule: &EdgeRule| follows(rule, outgoing) && rule.kind.as_deref().is_none_or(|k| k == kind);
    2 * rules.iter().position(takes).unwrap_or(rules.len()) + usize::from(!outgoing)
}

/// Whether `rule` follows edges leaving the frontier (`outgoing`) or arriving at it.
fn follows(rule: &EdgeRule, outgoing: bool) -> bool {
    if outgoing {
        rule.direction.follows_out()
    } else {
        rule.direction.follows_in()
    }
}

pub fn entities(conn: &Connection, ids: &[i64]) -> StoreResult<FxHashMap<i64, Entity>> {
    let mut stmt = conn.prepare_cached(ENTITIES_BY_ID).map_err(backend("reading entities"))?;
    let rows = stmt
        .query_map([id_list(ids)], |r| Ok((r.get::<_, i64>(0)?, entity_from(r, 1)?)))
        .map_err(backend("reading entities"))?;
    rows.collect::<Result<_, _>>().map_err(backend("reading entities"))
}

/// Names the entities of reached edges and turns them into [`Relation`]s.
pub(super) fn relations(
    conn: &Connection,
    hops: Vec<Hop>,
    named: FxHashMap<i64, Entity>,
) -> StoreResult<Vec<Relation>> {
    Names::Read { entities: named, scopes: scope_names(conn)? }.relations(hops)
}

/// What names the ids a walk reached: anchors and scopes read from SQLite
/// for the occasion, or the topology's own, borrowed.
enum Names<'a> {
    Read { entities: FxHashMap<i64, Entity>, scopes: FxHashMap<i64, (String, String)> },
    Memory(&'a Topology),
}

impl<'a> Names<'a> {
    /// Names for the entities `ids` (and every scope).
    fn of(source: Source<'a>, ids: &[i64]) -> StoreResult<Names<'a>> {
        Ok(match source {
            Source::Sql(conn) => Names::Read { entities: entities(conn, ids)?, scopes: scope_names(conn)? },
            Source::Memory(topology) => Names::Memory(topology),
        })
    }

    fn entity(&self, id: i64) -> Option<&Entity> {
        match self {
            Names::Read { entities, .. } => entities.get(&id),
            Names::Memory(topology) => topology.entity(id),
        }
    }

    fn scope(&self, id: i64) -> Option<&(String, String)> {
        match self {
            Names::Read { scopes, .. } => scopes.get(&id),
            Names::Memory(topology) => topology.scope(id),
        }
    }

    /// Reached edges as [`Relation`]s, their ends and scopes named.
    fn relations(&self, hops: Vec<Hop>) -> StoreResult<Vec<Relation>> {
        let key = |id: i64| self.entity(id).map(|e| e.key.clone()).unwrap_or_default();
        let mut relations = Vec::with_capacity(hops.len());
        for hop in hops {
            let (source, scope) = self.scope(hop.scope).cloned().unwrap_or_default();
            relations.push(Relation {
                kind: hop.kind,
                from: key(hop.from),
                to: key(hop.to),
                source,
                scope,
                attrs: parse_attrs(&hop.attrs)?,
                valid_from: Day(hop.valid_from),
                valid_to: Day(hop.valid_to),
            });
        }
        Ok(relations)
    }
}

fn start_of(source: Source, key: &str) -> StoreResult<i64> {
    let id = match source {
        Source::Sql(conn) => anchor(conn, key)?.map(|(id, _)| id),
        Source::Memory(topology) => topology.id(key),
    };
    id.ok_or_else(|| StoreError::NotFound { key: key.to_string() })
}

/// The relations of one entity valid on `day`; `topology`, if given, must
/// be of the state `conn`'s read transaction sees.
pub fn relations_of(
    conn: &Connection,
    topology: Option<&Topology>,
    key: &str,
    day: Day,
    direction: Direction,
    kinds: &[String],
) -> StoreResult<Vec<Relation>> {
    let source = topology.map_or(Source::Sql(conn), Source::Memory);
    let id = start_of(source, key)?;
    let mut found = Vec::new();
    hops(source, &[id], &EdgeRule::for_kinds(kinds, direction), day, &mut found, usize::MAX)?;
    let mut seen = FxHashSet::default();
    found.retain(|hop| seen.insert(hop.edge));
    let mut ids: Vec<i64> = found.iter().flat_map(|h| [h.from, h.to]).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut relations = Names::of(source, &ids)?.relations(found)?;
    relations.sort_by(|a, b| (&a.kind, &a.from, &a.to, &a.scope).cmp(&(&b.kind, &b.from, &b.to, &b.scope)));
    Ok(relations)
}

/// Edge rows a traversal run on an async thread may read before it hands
/// the rest over (a few hundred microseconds of work from SQLite; a depth-3
/// service traversal reads about a hundred).
pub const INLINE_EDGE_BUDGET: usize = 1_000;

/// A traversal run within a budget: done, or the walk so far.
pub enum Walked {
    Done(Subgraph),
    Unfinished(Walk),
}

/// The traversal, unless it reads more than `budget` edge rows: then the
/// walk so far, to be finished where a long read harms no one. `topology`,
/// if given, must be of the state `conn`'s read transaction sees; the walk
/// keeps reading it, wherever it is finished.
pub fn traverse_within(
    conn: &Connection,
    topology: Option<Arc<Topology>>,
    traversal: Traversal,
    budget: usize,
) -> StoreResult<Walked> {
    let mut walk = Walk::start(conn, topology, traversal)?;
    Ok(if walk.advance(conn, budget)? { Walked::Done(walk.finish(conn)?) } else { Walked::Unfinished(walk) })
}

/// A breadth-first walk that can stop between hops and go on later, on
/// another thread: what it has reached so far is plain data.
pub struct Walk {
    traversal: Traversal,
    topology: Option<Arc<Topology>>,
    depth_of: FxHashMap<i64, u32>,
    order: Vec<i64>,
    edges: Vec<Hop>,
    seen_edges: FxHashSet<i64>,
    frontier: Vec<i64>,
    /// The last hop taken (0 before the first).
    depth: u32,
}

impl Walk {
    fn start(conn: &Connection, topology: Option<Arc<Topology>>, traversal: Traversal) -> StoreResult<Walk> {
        let start = start_of(topology.as_deref().map_or(Source::Sql(conn), Source::Memory), &traversal.start)?;
        Ok(Walk {
            traversal,
            topology,
            depth_of: FxHashMap::from_iter([(start, 0)]),
            order: vec![start],
            edges: Vec::new(),
            seen_edges: FxHashSet::default(),
            frontier: vec![start],
            depth: 0,
        })
    }

    /// Takes hops until the walk is done (`true`) or a hop would read more
    /// than `budget` edge rows in all (`false`; that hop is given up
    /// mid-statement and taken again by the next call).
    fn advance(&mut self, conn: &Connection, budget: usize) -> StoreResult<bool> {
        let mut read = 0;
        let mut found = Vec::new();
        while self.depth < self.traversal.depth && !self.frontier.is_empty() {
            let source = self.topology.as_deref().map_or(Source::Sql(conn), Source::Memory);
            let (rules, day) = (&self.traversal.edges, self.traversal.day);
            if !hops(source, &self.frontier, rules, day, &mut found, budget - read)? {
                return Ok(false);
            }
            read += found.len();
            self.depth += 1;
            self.frontier = self.take(&mut found);
        }
        Ok(true)
    }

    /// Records one hop's edges; the entities first reached are the next frontier.
    fn take(&mut self, found: &mut Vec<Hop>) -> Vec<i64> {
        let mut next = Vec::new();
        for hop in found.drain(..) {
            if let Entry::Vacant(slot) = self.depth_of.entry(hop.other) {
                slot.insert(self.depth);
                self.order.push(hop.other);
                next.push(hop.other);
            }
            if self.seen_edges.insert(hop.edge) {
                self.edges.push(hop);
            }
        }
        next
    }

    /// Walks to the end, however many edges that reads, and names the
    /// reached entities and edges.
    pub fn finish(mut self, conn: &Connection) -> StoreResult<Subgraph> {
        self.advance(conn, usize::MAX)?;
        let Walk { order, depth_of, edges, topology, .. } = self;
        let source = topology.as_deref().map_or(Source::Sql(conn), Source::Memory);
        let names = Names::of(source, &order)?;
        let mut nodes = Vec::with_capacity(order.len());
        for id in &order {
            let entity = names.entity(*id).cloned().ok_or_else(|| StoreError::Backend {
                doing: "reading a traversal's entities".into(),
                source: format!("entity id {id} has no anchor").into(),
            })?;
            nodes.push(Node { entity, depth: depth_of[id] });
        }
        Ok(Subgraph { nodes, edges: names.relations(edges)? })
    }
}
