//! The naive design SPoT's storage is measured against: a full copy of every
//! day's graph, in the same SQLite engine, keyed for lookups by day. Built
//! from the temporal store, so both hold exactly the same history.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};

use crate::model::Day;

const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = OFF;
    CREATE TABLE scopes (id INTEGER PRIMARY KEY, source TEXT NOT NULL, scope TEXT NOT NULL);
    CREATE TABLE entities (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, name TEXT NOT NULL);
    CREATE TABLE snapshot_facts (
        day INTEGER NOT NULL, entity INTEGER NOT NULL, scope INTEGER NOT NULL, attrs TEXT NOT NULL,
        PRIMARY KEY (day, entity, scope)
    ) WITHOUT ROWID;
    CREATE TABLE snapshot_relations (
        day INTEGER NOT NULL, from_id INTEGER NOT NULL, to_id INTEGER NOT NULL, kind TEXT NOT NULL,
        scope INTEGER NOT NULL, attrs TEXT NOT NULL,
        PRIMARY KEY (day, from_id, kind, to_id, scope)
    ) WITHOUT ROWID;
";

pub struct Baseline {
    pub bytes: u64,
    pub rows: u64,
    pub elapsed: Duration,
}

/// Copies the graph of every day in `[first, last]` from the temporal store
/// at `history` into a new full-copy store at `path`.
pub fn build(history: &Path, path: &Path, first: Day, last: Day) -> rusqlite::Result<Baseline> {
    let started = Instant::now();
    let _ = std::fs::remove_file(path);
    let conn = Connection::open(path)?;
    conn.execute_batch(SCHEMA)?;
    conn.execute("ATTACH DATABASE ?1 AS history", [history.display().to_string()])?;
    conn.execute_batch(
        "INSERT INTO scopes SELECT id, source, scope FROM history.scopes;
         INSERT INTO entities SELECT id, key, kind, name FROM history.entities;",
    )?;
    let mut rows = 0u64;
    for day in first.0..=last.0 {
        let tx = conn.unchecked_transaction()?;
        rows += tx.execute(
            "INSERT INTO snapshot_facts SELECT ?1, entity, scope, attrs FROM history.facts
             WHERE valid_from <= ?1 AND valid_to > ?1",
            params![day],
        )? as u64;
        rows += tx.execute(
            "INSERT INTO snapshot_relations SELECT ?1, from_id, to_id, kind, scope, attrs FROM history.relations
             WHERE valid_from <= ?1 AND valid_to > ?1",
            params![day],
        )? as u64;
        tx.commit()?;
    }
    conn.execute_batch("DETACH DATABASE history; PRAGMA wal_checkpoint(TRUNCATE);")?;
    let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
    let page_size: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
    Ok(Baseline { bytes: (pages * page_size) as u64, rows, elapsed: started.elapsed() })
}
