//! The difference between the graphs of two days.
//!
//! Only versions that began or ended between the two days can differ, so
//! those are all that is read. For each (entity or edge, scope) the version
//! valid on each day is compared by content hash: a value changed and
//! changed back is no change.

use rusqlite::{params, Connection};
use rustc_hash::FxHashMap;

use super::backend;
use super::read::scope_names;
use crate::model::*;
use crate::store::StoreResult;

const CHANGED_FACTS: &str = include_str!("../../../../queries/sqlite/changed_facts.sql");
const CHANGED_RELATIONS: &str = include_str!("../../../../queries/sqlite/changed_relations.sql");

/// The hash valid on each of the two days, if any.
#[derive(Default, Clone, Copy)]
struct Ends {
    before: Option<i64>,
    after: Option<i64>,
}

impl Ends {
    fn record(&mut self, hash: i64, valid_from: i32, valid_to: i32, from: Day, to: Day) {
        let valid_on = |day: Day| valid_from <= day.0 && day.0 < valid_to;
        if valid_on(from) {
            self.before = Some(hash);
        }
        if valid_on(to) {
            self.after = Some(hash);
        }
    }

    fn change(self) -> Option<Change> {
        match (self.before, self.after) {
            (None, Some(_)) => Some(Change::Added),
            (Some(_), None) => Some(Change::Removed),
            (Some(a), Some(b)) if a != b => Some(Change::Changed),
            _ => None,
        }
    }
}

pub fn changes(conn: &Connection, from: Day, to: Day) -> StoreResult<Changes> {
    let scopes = scope_names(conn)?;
    let (entities, mut ids) = entity_changes(conn, from, to)?;
    let relations = relation_changes(conn, from, to)?;
    ids.extend(relations.iter().flat_map(|(identity, _)| [identity.0, identity.1]));
    ids.sort_unstable();
    ids.dedup();
    let named = super::traverse::entities(conn, &ids)?;
    let key = |id: &i64| named.get(id).map(|e| e.key.clone()).unwrap_or_default();
    let source = |scope: &i64| scopes.get(scope).cloned().unwrap_or_default();
    let mut entity_changes: Vec<EntityChange> = entities
        .into_iter()
        .filter_map(|(id, change, scope_ids)| {
            let mut sources: Vec<String> = scope_ids.iter().map(|s| source(s).0).collect();
            sources.sort();
            sources.dedup();
            Some(EntityChange { change, entity: named.get(&id)?.clone(), sources })
        })
        .collect();
    entity_changes.sort_by(|a, b| a.entity.key.cmp(&b.entity.key));
    let mut relation_changes: Vec<RelationChange> = relations
        .into_iter()
        .map(|((from_id, to_id, kind, scope), change)| {
            let (source, scope) = source(&scope);
            RelationChange { change, kind, from: key(&from_id), to: key(&to_id), source, scope }
        })
        .collect();
    relation_changes.sort_by(|a, b| {
        (&a.from, &a.kind, &a.to, &a.source, &a.scope).cmp(&(&b.from, &b.kind, &b.to, &b.source, &b.scope))
    });
    Ok(Changes { from, to, entities: entity_changes, relations: relation_changes })
}

/// (entity id, change, ids of the scopes whose facts changed).
type EntityDelta = (i64, Change, Vec<i64>);

fn entity_changes(conn: &Connection, from: Day, to: Day) -> StoreResult<(Vec<EntityDelta>, Vec<i64>)> {
    // (entity, scope) → ends, then sorted so each entity's scopes are adjacent.
    let mut touched: FxHashMap<(i64, i64), Ends> = FxHashMap::default();
    let mut stmt = conn.prepare_cached(CHANGED_FACTS).map_err(backend("reading changed facts"))?;
    let mut rows = stmt.query(params![from.0, to.0]).map_err(backend("reading changed facts"))?;
    while let Some(row) = rows.next().map_err(backend("reading changed facts"))? {
        let get = |i| row.get::<_, i64>(i).map_err(backend("reading changed facts"));
        let ends = touched.entry((get(0)?, get(1)?)).or_default();
        ends.record(get(2)?, get(3)? as i32, get(4)? as i32, from, to);
    }
    drop(rows);
    let mut touched: Vec<((i64, i64), Ends)> = touched.into_iter().collect();
    touched.sort_unstable_by_key(|&(identity, _)| identity);
    let mut spanning = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM facts WHERE entity = ?1 AND valid_from <= ?2 AND valid_to > ?3)")
        .map_err(backend("reading unchanged facts"))?;
    let mut changes = Vec::new();
    let mut ids = Vec::new();
    for group in touched.chunk_by(|a, b| a.0 .0 == b.0 .0) {
        let entity = group[0].0 .0;
        let scopes: Vec<i64> = group.iter().filter(|(_, ends)| ends.change().is_some()).map(|((_, s), _)| *s).collect();
        if scopes.is_empty() {
            continue;
        }
        let mut before = group.iter().any(|(_, e)| e.before.is_some());
        let mut after = group.iter().any(|(_, e)| e.after.is_some());
        if !before || !after {
            // A fact from another scope, untouched in between, keeps it alive on both days.
            let kept: bool = spanning
                .query_row(params![entity, from.0, to.0], |r| r.get(0))
                .map_err(backend("reading unchanged facts"))?;
            before |= kept;
            after |= kept;
        }
        let change = match (before, after) {
            (false, true) => Change::Added,
            (true, false) => Change::Removed,
            (true, true) => Change::Changed,
            (false, false) => continue,
        };
        changes.push((entity, change, scopes));
        ids.push(entity);
    }
    Ok((changes, ids))
}

type EdgeKey = (i64, i64, String, i64);

fn relation_changes(conn: &Connection, from: Day, to: Day) -> StoreResult<Vec<(EdgeKey, Change)>> {
    let mut touched: FxHashMap<EdgeKey, Ends> = FxHashMap::default();
    let mut stmt = conn.prepare_cached(CHANGED_RELATIONS).map_err(backend("reading changed relations"))?;
    let mut rows = stmt.query(params![from.0, to.0]).map_err(backend("reading changed relations"))?;
    while let Some(row) = rows.next().map_err(backend("reading changed relations"))? {
        let get = |i| row.get::<_, i64>(i).map_err(backend("reading changed relations"));
        let kind: String = row.get(2).map_err(backend("reading changed relations"))?;
        let ends = touched.entry((get(0)?, get(1)?, kind, get(3)?)).or_default();
        ends.record(get(4)?, get(5)? as i32, get(6)? as i32, from, to);
    }
    drop(rows);
    Ok(touched.into_iter().filter_map(|(edge, ends)| Some((edge, ends.change()?))).collect())
}

const CHANGED_RELATION_VALUES: &str = include_str!("../../../../queries/sqlite/changed_relation_values.sql");

/// [`super::history::relation_value_versions`] of the relations between
/// some pairs of entities only, in the same order: what the versions of a
/// few hundred changed `uses` need, without reading the organisation's.
pub fn relation_value_versions_between(
    conn: &Connection,
    kind: &str,
    path: &str,
    pairs: &[(String, String)],
    from: Day,
    to: Day,
) -> StoreResult<Vec<RelationValueVersion>> {
    let json_path = super::timeline::json_path(path)?;
    crate::store::check_range(from, to)?;
    let reading = || backend("reading changed relation values");
    let mut stmt = conn.prepare_cached(CHANGED_RELATION_VALUES).map_err(reading())?;
    let pairs: std::collections::BTreeSet<&(String, String)> = pairs.iter().collect();
    let mut values: Vec<(String, RelationValueVersion)> = Vec::new();
    for (from_key, to_key) in pairs {
        let mut rows = stmt.query(params![from_key, to_key, kind, json_path, from.0, to.0]).map_err(reading())?;
        while let Some(row) = rows.next().map_err(reading())? {
            values.extend(super::history::relation_value_row(row).map_err(reading())?);
        }
    }
    Ok(super::history::in_reading_order(values))
}
