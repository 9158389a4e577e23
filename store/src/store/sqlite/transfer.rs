//! Export and import of a whole history (see `crate::transfer`).

use rusqlite::{params, Connection, Row};
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};
use tokio::sync::mpsc::{Receiver, Sender};

use super::backend;
use crate::ingest::content_hash;
use crate::model::{ActionBatch, Day};
use crate::store::{StoreError, StoreResult};
use crate::transfer::{Imported, Incoming, Record};

const ENTITIES: &str = include_str!("../../../../queries/sqlite/export_entities.sql");
const FACTS: &str = include_str!("../../../../queries/sqlite/export_facts.sql");
const RELATIONS: &str = include_str!("../../../../queries/sqlite/export_relations.sql");
const RUNS: &str = include_str!("../../../../queries/sqlite/export_runs.sql");
const EVENTS: &str = include_str!("../../../../queries/sqlite/export_events.sql");
const ACTIONS: &str = include_str!("../../../../queries/sqlite/export_actions.sql");
const MEMORY: &str = include_str!("../../../../queries/sqlite/export_watch_memory.sql");

/// Streams every record into `sink`. `conn` is in a read transaction (every
/// store read is), so the export is the store as of one instant, even while
/// it ingests.
pub fn export(conn: &Connection, sink: &Sender<Record>) -> StoreResult<()> {
    send(sink, Record::header())?;
    stream(conn, ENTITIES, sink, |r| Ok(Record::Entity { key: r.get(0)?, kind: r.get(1)?, name: r.get(2)? }))?;
    stream(conn, FACTS, sink, |r| {
        Ok(Record::Fact {
            entity: r.get(0)?,
            source: r.get(1)?,
            scope: r.get(2)?,
            attrs: attrs(r, 3)?,
            valid_from: Day(r.get(4)?),
            valid_to: until(r.get(5)?),
        })
    })?;
    stream(conn, RELATIONS, sink, |r| {
        Ok(Record::Relation {
            from: r.get(0)?,
            to: r.get(1)?,
            kind: r.get(2)?,
            source: r.get(3)?,
            scope: r.get(4)?,
            attrs: attrs(r, 5)?,
            valid_from: Day(r.get(6)?),
            valid_to: until(r.get(7)?),
        })
    })?;
    stream(conn, RUNS, sink, |r| Ok(Record::from(super::read::run_from(r)?)))?;
    stream(conn, EVENTS, sink, |r| Ok(Record::DeployEvent(super::events::event_from(r)?)))?;
    stream(conn, ACTIONS, sink, |r| Ok(Record::Action(super::actions::action_from(r)?)))?;
    stream(conn, MEMORY, sink, |r| Ok(Record::WatchMemory(super::actions::memory_from(r)?)))?;
    Ok(())
}

fn stream(
    conn: &Connection,
    sql: &str,
    sink: &Sender<Record>,
    record: impl Fn(&Row) -> rusqlite::Result<Record>,
) -> StoreResult<()> {
    let mut stmt = conn.prepare(sql).map_err(backend("exporting"))?;
    let mut rows = stmt.query([]).map_err(backend("exporting"))?;
    while let Some(row) = rows.next().map_err(backend("exporting"))? {
        send(sink, record(row).map_err(backend("exporting"))?)?;
    }
    Ok(())
}

fn send(sink: &Sender<Record>, record: Record) -> StoreResult<()> {
    sink.blocking_send(record).map_err(|_| StoreError::Backend {
        doing: "exporting".into(),
        source: "the reader of the export went away".into(),
    })
}

fn attrs(row: &Row, index: usize) -> rusqlite::Result<Map<String, Value>> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e)))
}

fn until(valid_to: i32) -> Option<Day> {
    (valid_to != Day::OPEN.0).then_some(Day(valid_to))
}

/// Reads records into an empty store in one transaction: all or nothing.
pub fn import(conn: &Connection, records: &mut Receiver<Incoming>) -> StoreResult<Imported> {
    let tx = conn.unchecked_transaction().map_err(backend("starting an import"))?;
    let held: i64 = tx
        .query_row(
            "SELECT (SELECT count(*) FROM entities) + (SELECT count(*) FROM runs) + (SELECT count(*) FROM events) \
             + (SELECT count(*) FROM actions) + (SELECT count(*) FROM watch_memory)",
            [],
            |r| r.get(0),
        )
        .map_err(backend("checking the store is empty"))?;
    if held > 0 {
        return Err(StoreError::BadRequest("an import needs an empty store, and this one holds a history".into()));
    }
    let mut importer =
        Importer { tx: &tx, entities: FxHashMap::default(), scopes: FxHashMap::default(), counts: Imported::default() };
    let mut number = 0u64;
    while let Some(incoming) = records.blocking_recv() {
        number += 1;
        // Dropping the transaction un-applied rolls everything back.
        let record = incoming?;
        importer.write(record).map_err(|failure| match failure {
            ImportFailure::Problem(problem) => StoreError::BadRequest(format!("record {number}: {problem}")),
            ImportFailure::Engine(source) => {
                StoreError::Backend { doing: format!("importing record {number}"), source: source.into() }
            }
        })?;
    }
    let counts = importer.counts;
    // The events went in without their views (maintaining them event by
    // event re-judged a lane's tail each time: quadratic in a lane without
    // a healthy deploy); they are derived once, a chunk of lanes per
    // transaction, and a kill before the end leaves them to the next open.
    if counts.deploy_events > 0 {
        let built = super::dora_views::built(&tx)?;
        super::dora_views::restart(&tx, built.fix_forward_ms)?;
    }
    tx.commit().map_err(backend("committing an import"))?;
    super::dora_views::rebuild_pending(conn, |_, _| {})?;
    Ok(counts)
}

/// Why one record was not imported: what is wrong with it, or SQLite's
/// own error (kept as the source).
enum ImportFailure {
    Problem(String),
    Engine(rusqlite::Error),
}

impl From<String> for ImportFailure {
    fn from(problem: String) -> ImportFailure {
        ImportFailure::Problem(problem)
    }
}

impl From<crate::transfer::TransferError> for ImportFailure {
    fn from(error: crate::transfer::TransferError) -> ImportFailure {
        ImportFailure::Problem(error.to_string())
    }
}

impl From<rusqlite::Error> for ImportFailure {
    fn from(error: rusqlite::Error) -> ImportFailure {
        ImportFailure::Engine(error)
    }
}

struct Importer<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    entities: FxHashMap<String, i64>,
    scopes: FxHashMap<(String, String), i64>,
    counts: Imported,
}

impl Importer<'_> {
    fn write(&mut self, record: Record) -> Result<(), ImportFailure> {
        match record {
            Record::Header { .. } => {}
            Record::Entity { key, kind, name } => {
                if self.entities.contains_key(&key) {
                    return Err(format!("entity {key} appears twice").into());
                }
                self.tx
                    .execute("INSERT INTO entities (key, kind, name) VALUES (?1, ?2, ?3)", params![key, kind, name])?;
                self.entities.insert(key, self.tx.last_insert_rowid());
                self.counts.entities += 1;
            }
            Record::Fact { entity, source, scope, attrs, valid_from, valid_to } => {
                let entity = self.entity(&entity)?;
                let scope = self.scope(source, scope)?;
                let valid_to = crate::transfer::checked_range(valid_from, valid_to)?;
                let text = Value::Object(attrs.clone()).to_string();
                self.tx
                    .prepare_cached("INSERT INTO facts (entity, scope, attrs, hash, valid_from, valid_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                    .and_then(|mut s| s.execute(params![entity, scope, text, content_hash(&attrs), valid_from.0, valid_to.0]))
                    ?;
                self.counts.fact_versions += 1;
            }
            Record::Relation { from, to, kind, source, scope, attrs, valid_from, valid_to } => {
                let (from, to) = (self.entity(&from)?, self.entity(&to)?);
                let scope = self.scope(source, scope)?;
                let valid_to = crate::transfer::checked_range(valid_from, valid_to)?;
                let text = Value::Object(attrs.clone()).to_string();
                self.tx
                    .prepare_cached("INSERT INTO relations (from_id, to_id, kind, scope, attrs, hash, valid_from, valid_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
                    .and_then(|mut s| s.execute(params![from, to, kind, scope, text, content_hash(&attrs), valid_from.0, valid_to.0]))
                    ?;
                self.counts.relation_versions += 1;
            }
            Record::Run {
                source,
                scope,
                day,
                status,
                added,
                changed,
                closed,
                unchanged,
                started_at_ms,
                duration_ms,
                error,
                attempts,
                warnings,
            } => {
                let scope = self.scope(source, scope)?;
                let warnings = (!warnings.is_empty()).then(|| Value::from(warnings).to_string());
                self.tx
                    .execute(
                        "INSERT INTO runs (scope, day, status, added, changed, closed, unchanged, started_at_ms, duration_ms, error, attempts, warnings) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                        params![scope, day.0, status, added as i64, changed as i64, closed as i64, unchanged as i64, started_at_ms, duration_ms, error, attempts, warnings],
                    )
                    ?;
                self.counts.runs += 1;
            }
            Record::DeployEvent(event) => {
                super::events::write(self.tx, std::slice::from_ref(&event)).map_err(|e| e.to_string())?;
                self.counts.deploy_events += 1;
            }
            Record::Action(action) => {
                let batch = ActionBatch { actions: vec![action], ..ActionBatch::default() };
                let recorded = super::actions::write(self.tx, &batch).map_err(|e| e.to_string())?;
                if recorded.inserted != 1 {
                    return Err("this action appears twice (same cluster and key)".to_string().into());
                }
                self.counts.actions += 1;
            }
            Record::WatchMemory(memory) => {
                let batch = ActionBatch { remember: vec![memory], ..ActionBatch::default() };
                super::actions::write(self.tx, &batch).map_err(|e| e.to_string())?;
                self.counts.watch_memory += 1;
            }
        }
        Ok(())
    }

    fn entity(&self, key: &str) -> Result<i64, ImportFailure> {
        self.entities
            .get(key)
            .copied()
            .ok_or_else(|| format!("{key} is not an entity of this history (entities come first)").into())
    }

    fn scope(&mut self, source: String, scope: String) -> Result<i64, ImportFailure> {
        if let Some(id) = self.scopes.get(&(source.clone(), scope.clone())) {
            return Ok(*id);
        }
        self.tx.execute("INSERT INTO scopes (source, scope) VALUES (?1, ?2)", params![source, scope])?;
        let id = self.tx.last_insert_rowid();
        self.scopes.insert((source, scope), id);
        Ok(id)
    }
}
