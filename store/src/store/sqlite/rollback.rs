//! `spot rollback` on SQLite: one scope's runs from a day on undone in one
//! IMMEDIATE transaction, and recorded.

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::backend;
use crate::model::{Day, Rollback};
use crate::store::StoreResult;

const ROLLBACK_SCOPE: &str = include_str!("../../../../queries/sqlite/rollback_scope.sql");
const ROLLBACK_ANCHORS: &str = include_str!("../../../../queries/sqlite/rollback_anchors.sql");
const DROP_ORPHAN_ANCHORS: &str = include_str!("../../../../queries/sqlite/drop_orphan_anchors.sql");
const ROLLBACKS: &str = include_str!("../../../../queries/sqlite/rollbacks.sql");

/// Undoes (source, scope)'s runs on `day` and later; commits and records it
/// only when it changed something. The graph's triggers bump
/// `graph_version` for every relation and anchor it touches, so the
/// in-memory topology of the state before is never used again; the caller
/// resets the writer's caches.
pub fn rollback(conn: &mut Connection, source: &str, scope: &str, day: Day, at_ms: i64) -> StoreResult<Rollback> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend("starting a rollback"))?;
    let mut done = Rollback::nothing(source, scope, day, at_ms);
    let Some(scope_id) = scope_id(&tx, source, scope)? else { return Ok(done) };
    let anchors = anchors_of_doomed_versions(&tx, scope_id, day)?;
    let counts = undo(&tx, scope_id, day)?;
    [done.facts_deleted, done.facts_reopened, done.relations_deleted, done.relations_reopened, done.runs] = counts;
    done.entities_deleted = drop_orphan_anchors(&tx, &anchors)?;
    if done.changed_nothing() {
        return Ok(done); // dropping the transaction rolls back (nothing to roll back)
    }
    // The writer's cached open versions of the scope (in this process or
    // another) are of the generation before: they are read afresh.
    tx.execute("UPDATE scopes SET generation = generation + 1 WHERE id = ?1", [scope_id])
        .map_err(backend("advancing the scope generation"))?;
    record(&tx, &done)?;
    tx.commit().map_err(backend("committing a rollback"))?;
    Ok(done)
}

fn scope_id(tx: &Transaction, source: &str, scope: &str) -> StoreResult<Option<i64>> {
    tx.query_row("SELECT id FROM scopes WHERE source = ?1 AND scope = ?2", params![source, scope], |r| r.get(0))
        .optional()
        .map_err(backend("reading a scope"))
}

fn anchors_of_doomed_versions(tx: &Transaction, scope: i64, day: Day) -> StoreResult<Vec<i64>> {
    let mut stmt = tx.prepare(ROLLBACK_ANCHORS).map_err(backend("reading the anchors a rollback touches"))?;
    let rows = stmt.query_map(params![scope, day.0], |r| r.get(0)).map_err(backend("reading anchors"))?;
    rows.collect::<Result<_, _>>().map_err(backend("reading the anchors a rollback touches"))
}

/// Runs the statements of `rollback_scope.sql`; their row counts in order.
fn undo(tx: &Transaction, scope: i64, day: Day) -> StoreResult<[u64; 5]> {
    let mut counts = [0u64; 5];
    let statements = ROLLBACK_SCOPE.split(';').map(str::trim).filter(|s| !s.is_empty());
    for (count, statement) in counts.iter_mut().zip(statements) {
        let rows = tx
            .execute(statement, params![scope, day.0, Day::OPEN.0])
            .map_err(backend("rolling back a scope's runs"))?;
        *count = rows as u64;
    }
    Ok(counts)
}

fn drop_orphan_anchors(tx: &Transaction, anchors: &[i64]) -> StoreResult<u64> {
    if anchors.is_empty() {
        return Ok(0);
    }
    let ids = serde_json::to_string(anchors).expect("integers always serialise");
    let dropped = tx.execute(DROP_ORPHAN_ANCHORS, [ids]).map_err(backend("deleting anchors nothing refers to"))?;
    Ok(dropped as u64)
}

fn record(tx: &Transaction, done: &Rollback) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO rollbacks (source, scope, day, at_ms, runs, facts_deleted, relations_deleted, facts_reopened, \
         relations_reopened, entities_deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            done.source,
            done.scope,
            done.day.0,
            done.at_ms,
            done.runs as i64,
            done.facts_deleted as i64,
            done.relations_deleted as i64,
            done.facts_reopened as i64,
            done.relations_reopened as i64,
            done.entities_deleted as i64
        ],
    )
    .map_err(backend("recording a rollback"))?;
    Ok(())
}

/// Every recorded rollback, newest first.
pub fn rollbacks(conn: &Connection) -> StoreResult<Vec<Rollback>> {
    let mut stmt = conn.prepare_cached(ROLLBACKS).map_err(backend("reading rollbacks"))?;
    let rows = stmt
        .query_map([], |r| {
            let count = |i| r.get::<_, i64>(i).map(|n| n as u64);
            Ok(Rollback {
                source: r.get(0)?,
                scope: r.get(1)?,
                day: Day(r.get(2)?),
                at_ms: r.get(3)?,
                runs: count(4)?,
                facts_deleted: count(5)?,
                relations_deleted: count(6)?,
                facts_reopened: count(7)?,
                relations_reopened: count(8)?,
                entities_deleted: count(9)?,
            })
        })
        .map_err(backend("reading rollbacks"))?;
    rows.collect::<Result<_, _>>().map_err(backend("reading rollbacks"))
}
