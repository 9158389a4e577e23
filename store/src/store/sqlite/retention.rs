//! Retention: dropping a source's versions that closed long ago, in one
//! transaction.

use rusqlite::{params, Connection};

use super::backend;
use crate::model::{Day, Pruned};
use crate::store::StoreResult;

const PRUNE_FACTS: &str = include_str!("../../../../queries/sqlite/prune_facts.sql");
const PRUNE_RELATIONS: &str = include_str!("../../../../queries/sqlite/prune_relations.sql");

pub fn prune(conn: &Connection, source: &str, closed_before: Day) -> StoreResult<Pruned> {
    let tx = conn.unchecked_transaction().map_err(backend("starting a retention pass"))?;
    let facts = tx.execute(PRUNE_FACTS, params![source, closed_before.0]).map_err(backend("pruning facts"))?;
    let relations =
        tx.execute(PRUNE_RELATIONS, params![source, closed_before.0]).map_err(backend("pruning relations"))?;
    tx.commit().map_err(backend("committing a retention pass"))?;
    tracing::info!(collector.name = source, closed_before = %closed_before, facts, relations, "pruned closed versions");
    Ok(Pruned { fact_versions: facts as u64, relation_versions: relations as u64 })
}
