//! Actions on workloads and the watch's memory (schema 008).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Row};
use serde_json::{Map, Value};

use super::backend;
use crate::model::*;
use crate::store::StoreResult;

const INSERT: &str = "INSERT OR IGNORE INTO actions \
     (cluster, key, namespace, workload, service, kind, at_ms, last_ms, count, actor, details) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/// A warning window already recorded: its count adds up, its last time and
/// details move to the latest.
const COUNT: &str = "UPDATE actions SET count = count + ?3, \
     details = CASE WHEN ?4 >= last_ms THEN ?5 ELSE details END, last_ms = max(last_ms, ?4) \
     WHERE cluster = ?1 AND key = ?2";

/// The batch in one transaction: all of it, or (on an error) none.
pub fn record(conn: &Connection, batch: &ActionBatch) -> StoreResult<ActionsRecorded> {
    let tx = conn.unchecked_transaction().map_err(backend("starting to record actions"))?;
    let recorded = write(&tx, batch)?;
    tx.commit().map_err(backend("committing actions"))?;
    Ok(recorded)
}

/// The batch's writes, in the caller's transaction.
pub fn write(tx: &Connection, batch: &ActionBatch) -> StoreResult<ActionsRecorded> {
    let mut recorded = ActionsRecorded::default();
    for action in &batch.actions {
        if insert(tx, action)? {
            recorded.inserted += 1;
        } else if action.is_counted() {
            count(tx, action)?;
            recorded.counted += 1;
        } else {
            recorded.already += 1;
        }
    }
    for memory in &batch.remember {
        tx.prepare_cached("INSERT OR REPLACE INTO watch_memory (cluster, uid, state) VALUES (?1, ?2, ?3)")
            .and_then(|mut stmt| stmt.execute(params![memory.cluster, memory.uid, memory.state.to_string()]))
            .map_err(backend("remembering a watched object"))?;
    }
    for (cluster, uid) in &batch.forget {
        tx.prepare_cached("DELETE FROM watch_memory WHERE cluster = ?1 AND uid = ?2")
            .and_then(|mut stmt| stmt.execute(params![cluster, uid]))
            .map_err(backend("forgetting a watched object"))?;
    }
    Ok(recorded)
}

/// `true` when the action was new.
fn insert(conn: &Connection, action: &Action) -> StoreResult<bool> {
    let details = Value::Object(action.details.clone()).to_string();
    let written = conn
        .prepare_cached(INSERT)
        .and_then(|mut stmt| {
            stmt.execute(params![
                action.cluster,
                action.key,
                action.namespace,
                action.workload,
                action.service,
                action.kind.as_str(),
                action.at.timestamp_millis(),
                action.last_at.timestamp_millis(),
                action.count as i64,
                action.actor,
                details,
            ])
        })
        .map_err(backend("recording an action"))?;
    Ok(written == 1)
}

fn count(conn: &Connection, action: &Action) -> StoreResult<()> {
    let details = Value::Object(action.details.clone()).to_string();
    conn.prepare_cached(COUNT)
        .and_then(|mut stmt| {
            stmt.execute(params![
                action.cluster,
                action.key,
                action.count as i64,
                action.last_at.timestamp_millis(),
                details
            ])
        })
        .map_err(backend("counting a warning"))?;
    Ok(())
}

/// Newest first. The filter's parts are bound as parameters (a NULL one
/// selects everything), so one cached statement serves every filter.
pub fn select(conn: &Connection, filter: &ActionFilter) -> StoreResult<Vec<Action>> {
    let kinds: Option<String> = (!filter.kinds.is_empty())
        .then(|| Value::from(filter.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>()).to_string());
    let mut stmt = conn
        .prepare_cached(
            "SELECT cluster, key, namespace, workload, service, kind, at_ms, last_ms, count, actor, details \
             FROM actions \
             WHERE at_ms >= ?1 AND at_ms < ?2 \
               AND (?3 IS NULL OR service = ?3) AND (?4 IS NULL OR workload = ?4) \
               AND (?5 IS NULL OR cluster = ?5) \
               AND (?6 IS NULL OR kind IN (SELECT value FROM json_each(?6))) \
             ORDER BY at_ms DESC, cluster DESC, key DESC LIMIT ?7",
        )
        .map_err(backend("reading actions"))?;
    let rows = stmt
        .query_map(
            params![
                filter.from.timestamp_millis(),
                filter.to.timestamp_millis(),
                filter.service,
                filter.workload,
                filter.cluster,
                kinds,
                filter.limit as i64
            ],
            action_from,
        )
        .map_err(backend("reading actions"))?;
    rows.collect::<Result<_, _>>().map_err(backend("reading actions"))
}

/// One `actions` row, columns in the order [`select`] reads them.
pub fn action_from(r: &Row) -> rusqlite::Result<Action> {
    let kind: String = r.get(5)?;
    let details: String = r.get(10)?;
    Ok(Action {
        cluster: r.get(0)?,
        key: r.get(1)?,
        namespace: r.get(2)?,
        workload: r.get(3)?,
        service: r.get(4)?,
        kind: kind.parse().map_err(|e| conversion(5, e))?,
        at: instant(r.get(6)?),
        last_at: instant(r.get(7)?),
        count: r.get::<_, i64>(8)?.max(0) as u64,
        actor: r.get(9)?,
        details: serde_json::from_str::<Map<String, Value>>(&details).map_err(|e| conversion(10, e))?,
    })
}

fn conversion(column: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e))
}

fn instant(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

pub fn remembered(conn: &Connection, cluster: &str) -> StoreResult<Vec<Remembered>> {
    let mut stmt = conn
        .prepare_cached("SELECT cluster, uid, state FROM watch_memory WHERE cluster = ?1 ORDER BY uid")
        .map_err(backend("reading the watch's memory"))?;
    let rows = stmt.query_map(params![cluster], memory_from).map_err(backend("reading the watch's memory"))?;
    rows.collect::<Result<_, _>>().map_err(backend("reading the watch's memory"))
}

/// One `watch_memory` row: cluster, uid, state.
pub fn memory_from(r: &Row) -> rusqlite::Result<Remembered> {
    let state: String = r.get(2)?;
    Ok(Remembered {
        cluster: r.get(0)?,
        uid: r.get(1)?,
        state: serde_json::from_str(&state).map_err(|e| conversion(2, e))?,
    })
}

pub fn prune(conn: &Connection, before: DateTime<Utc>) -> StoreResult<u64> {
    let deleted = conn
        .execute("DELETE FROM actions WHERE last_ms < ?1", params![before.timestamp_millis()])
        .map_err(backend("pruning actions"))?;
    tracing::info!(before = %before.to_rfc3339(), actions = deleted, "pruned actions");
    Ok(deleted as u64)
}
