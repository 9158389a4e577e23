//! Point reads: entities as of a day, search, runs, sizes.

use rusqlite::{params, Connection, OptionalExtension, Row};
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

use super::backend;
use crate::model::*;
use crate::store::{StoreError, StoreResult};

const ENTITY_FACTS: &str = include_str!("../../../../queries/sqlite/entity_facts.sql");
const SEARCH: &str = include_str!("../../../../queries/sqlite/search.sql");
const RUNS: &str = include_str!("../../../../queries/sqlite/runs.sql");

pub fn latest_day(conn: &Connection) -> StoreResult<Option<Day>> {
    conn.query_row("SELECT max(day) FROM runs WHERE status IN ('complete', 'partial')", [], |r| {
        r.get::<_, Option<i32>>(0)
    })
    .map(|day| day.map(Day))
    .map_err(backend("reading the latest day"))
}

/// The id and anchor of an entity key.
pub fn anchor(conn: &Connection, key: &str) -> StoreResult<Option<(i64, Entity)>> {
    conn.prepare_cached("SELECT id, key, kind, name FROM entities WHERE key = ?1")
        .and_then(|mut s| s.query_row([key], |r| Ok((r.get(0)?, entity_from(r, 1)?))).optional())
        .map_err(backend("reading an entity"))
}

/// An [`Entity`] from three columns starting at `first`: key, kind, name.
pub fn entity_from(row: &Row, first: usize) -> rusqlite::Result<Entity> {
    Ok(Entity { key: row.get(first)?, kind: row.get(first + 1)?, name: row.get(first + 2)? })
}

/// Every scope's (source, scope) by id: few rows, read once per query.
pub fn scope_names(conn: &Connection) -> StoreResult<FxHashMap<i64, (String, String)>> {
    let mut stmt = conn.prepare_cached("SELECT id, source, scope FROM scopes").map_err(backend("reading scopes"))?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))).map_err(backend("reading scopes"))?;
    rows.collect::<Result<_, _>>().map_err(backend("reading scopes"))
}

pub fn parse_attrs(text: &str) -> StoreResult<Map<String, Value>> {
    // Most relations carry no attributes: skip the parser for them.
    if text == "{}" {
        return Ok(Map::new());
    }
    serde_json::from_str(text)
        .map_err(|e| StoreError::Backend { doing: "decoding stored attributes".into(), source: e.into() })
}

pub fn entity(conn: &Connection, key: &str, day: Day) -> StoreResult<Option<EntityState>> {
    let Some((id, entity)) = anchor(conn, key)? else { return Ok(None) };
    let mut stmt = conn.prepare_cached(ENTITY_FACTS).map_err(backend("reading facts"))?;
    let rows = stmt
        .query_map(params![id, day.0], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
        })
        .map_err(backend("reading facts"))?;
    let mut facts = Vec::new();
    for row in rows {
        let (source, scope, attrs, valid_from, valid_to) = row.map_err(backend("reading facts"))?;
        facts.push(Fact {
            source,
            scope,
            attrs: parse_attrs(&attrs)?,
            valid_from: Day(valid_from),
            valid_to: Day(valid_to),
        });
    }
    if facts.is_empty() {
        return Ok(None);
    }
    // Sorted here rather than by SQLite: a sorter costs more than these few rows.
    facts.sort_by(|a, b| (&a.source, &a.scope).cmp(&(&b.source, &b.scope)));
    let (first_seen, last_seen) = lifespan(conn, id, &facts)?;
    Ok(Some(EntityState { entity, first_seen, last_seen, facts }))
}

/// The first day any source saw the entity, and the last (none while one
/// still does), given its facts on some day.
fn lifespan(conn: &Connection, id: i64, facts: &[Fact]) -> StoreResult<(Day, Option<Day>)> {
    // One seek: facts_by_entity leads with (entity, valid_from).
    let first_seen = conn
        .prepare_cached("SELECT min(valid_from) FROM facts WHERE entity = ?1")
        .and_then(|mut s| s.query_row([id], |r| r.get(0)))
        .map_err(backend("reading first seen"))?;
    // A version still open means it is still seen; only otherwise is it
    // worth reading every version's end.
    if facts.iter().any(|fact| fact.valid_to.is_open()) {
        return Ok((Day(first_seen), None));
    }
    let last_seen: i32 = conn
        .prepare_cached("SELECT max(valid_to) FROM facts WHERE entity = ?1")
        .and_then(|mut s| s.query_row([id], |r| r.get(0)))
        .map_err(backend("reading last seen"))?;
    Ok((Day(first_seen), Some(Day(last_seen)).filter(|d| !d.is_open())))
}

pub fn search(conn: &Connection, query: &SearchQuery) -> StoreResult<Vec<Entity>> {
    let text = query.text.trim().to_lowercase();
    if text.is_empty() {
        return Err(StoreError::BadRequest("search text must not be empty".into()));
    }
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    let kinds = serde_json::to_string(&query.kinds).expect("strings always serialise");
    let mut stmt = conn.prepare_cached(SEARCH).map_err(backend("searching"))?;
    let rows = stmt
        .query_map(params![text, pattern, query.day.0, kinds, query.limit as i64], |r| entity_from(r, 0))
        .map_err(backend("searching"))?;
    rows.collect::<Result<_, _>>().map_err(backend("searching"))
}

pub fn runs(conn: &Connection, filter: &RunFilter) -> StoreResult<Vec<Run>> {
    let from = filter.from.unwrap_or(Day(i32::MIN)).0;
    let to = filter.to.unwrap_or(Day::OPEN).0;
    let mut stmt = conn.prepare_cached(RUNS).map_err(backend("reading runs"))?;
    let rows = stmt.query_map(params![filter.source, from, to], run_from).map_err(backend("reading runs"))?;
    rows.collect::<Result<_, _>>().map_err(backend("reading runs"))
}

/// The run of one (scope id, day), if any.
pub fn run_of(conn: &Connection, scope: i64, day: Day) -> StoreResult<Option<Run>> {
    conn.query_row(
        "SELECT s.source, s.scope, r.day, r.status, r.added, r.changed, r.closed, r.unchanged, \
                r.started_at_ms, r.duration_ms, r.error, r.attempts, r.warnings \
         FROM runs AS r JOIN scopes AS s ON s.id = r.scope WHERE r.scope = ?1 AND r.day = ?2",
        params![scope, day.0],
        run_from,
    )
    .optional()
    .map_err(backend("reading a run"))
}

pub(super) fn run_from(r: &Row) -> rusqlite::Result<Run> {
    let status: String = r.get(3)?;
    Ok(Run {
        source: r.get(0)?,
        scope: r.get(1)?,
        day: Day(r.get(2)?),
        status: RunStatus::parse(&status).unwrap_or(RunStatus::Failed),
        counts: RunCounts {
            added: r.get::<_, i64>(4)? as u64,
            changed: r.get::<_, i64>(5)? as u64,
            closed: r.get::<_, i64>(6)? as u64,
            unchanged: r.get::<_, i64>(7)? as u64,
        },
        started_at_ms: r.get(8)?,
        duration_ms: r.get(9)?,
        error: r.get(10)?,
        attempts: r.get(11)?,
        warnings: r.get::<_, Option<String>>(12)?.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default(),
    })
}

pub fn stats(conn: &Connection) -> StoreResult<StoreStats> {
    let count = |table: &str| -> StoreResult<u64> {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(backend("counting rows"))
    };
    let pages: i64 =
        conn.pragma_query_value(None, "page_count", |r| r.get(0)).map_err(backend("reading page count"))?;
    let page_size: i64 =
        conn.pragma_query_value(None, "page_size", |r| r.get(0)).map_err(backend("reading page size"))?;
    Ok(StoreStats {
        entities: count("entities")?,
        fact_versions: count("facts")?,
        relation_versions: count("relations")?,
        runs: count("runs")?,
        bytes: (pages * page_size) as u64,
    })
}
