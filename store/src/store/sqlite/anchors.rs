//! Entity anchors for an ingest: every key an observation mentions resolved
//! to an id, creating and renaming anchors as needed, counted against the
//! write budget like every other row.

use rusqlite::{params, OptionalExtension, Transaction};
use rustc_hash::FxHashMap;

use super::backend;
use super::cache::EntityIds;
use super::write::Writes;
use crate::store::StoreResult;
use spot_model::Observation;

/// Entity ids for what an observation mentions, in observation order.
pub struct Resolved<'a> {
    /// One per observed entity.
    pub entities: Vec<i64>,
    /// (from, to) per observed relation.
    pub ends: Vec<(i64, i64)>,
    /// Anchors created or renamed, for the cache once committed.
    pub written: Vec<(String, i64, String)>,
    created: FxHashMap<&'a str, i64>,
}

/// Resolves every key the observation mentions to an entity id, creating
/// anchors for new keys and renaming anchors whose observed name changed.
/// Keys seen only as relation endpoints get their kind from the key and their
/// name from the rest of it, until a source observes them.
pub fn resolve_entities<'a>(
    tx: &Transaction,
    obs: &'a Observation,
    known: &EntityIds,
    writes: &mut Writes,
) -> StoreResult<Resolved<'a>> {
    let mut resolved = Resolved {
        entities: Vec::with_capacity(obs.entities.len()),
        ends: Vec::with_capacity(obs.relations.len()),
        written: Vec::new(),
        created: FxHashMap::default(),
    };
    for entity in &obs.entities {
        let id = resolved.id(tx, known, &entity.key, &entity.kind, Some(&entity.name), writes)?;
        resolved.entities.push(id);
    }
    for relation in &obs.relations {
        let from = resolved.id(tx, known, &relation.from, kind_of(&relation.from), None, writes)?;
        let to = resolved.id(tx, known, &relation.to, kind_of(&relation.to), None, writes)?;
        resolved.ends.push((from, to));
    }
    Ok(resolved)
}

fn kind_of(key: &str) -> &str {
    spot_model::observation::kind_of_key(key).unwrap_or("unknown")
}

impl<'a> Resolved<'a> {
    fn id(
        &mut self,
        tx: &Transaction,
        known: &EntityIds,
        key: &'a str,
        kind: &str,
        name: Option<&str>,
        writes: &mut Writes,
    ) -> StoreResult<i64> {
        if let Some((id, stored)) = known.by_key.get(key) {
            if let Some(name) = name.filter(|n| n != stored) {
                tx.prepare_cached("UPDATE entities SET name = ?2 WHERE id = ?1")
                    .and_then(|mut s| s.execute(params![id, name]))
                    .map_err(backend("naming entities"))?;
                writes.count(1)?;
                self.written.push((key.to_string(), *id, name.to_string()));
            }
            return Ok(*id);
        }
        if let Some(&id) = self.created.get(key) {
            return Ok(id);
        }
        let name = name.unwrap_or_else(|| key.split_once(':').map_or(key, |(_, rest)| rest));
        let id = insert_entity(tx, key, kind, name)?;
        writes.count(1)?;
        self.written.push((key.to_string(), id, name.to_string()));
        self.created.insert(key, id);
        Ok(id)
    }

    /// The id of a key the observation mentioned, if any.
    pub fn lookup(&self, known: &EntityIds, key: &str) -> Option<i64> {
        known.by_key.get(key).map(|(id, _)| *id).or_else(|| self.created.get(key).copied())
    }
}

fn insert_entity(tx: &Transaction, key: &str, kind: &str, name: &str) -> StoreResult<i64> {
    let existing: Option<i64> = tx
        .prepare_cached("SELECT id FROM entities WHERE key = ?1")
        .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
        .map_err(backend("reading entities"))?;
    if let Some(id) = existing {
        return Ok(id);
    }
    tx.prepare_cached("INSERT INTO entities (key, kind, name) VALUES (?1, ?2, ?3)")
        .and_then(|mut s| s.execute(params![key, kind, name]))
        .map_err(backend("creating entities"))?;
    Ok(tx.last_insert_rowid())
}
