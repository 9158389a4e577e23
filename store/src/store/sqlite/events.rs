//! Deploy events pushed by the orchestrator (or made by the synthetic
//! organisation): one row per deploy, updated in place when the same
//! deploy is reported again (started, then finished).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Row};

use super::backend;
use crate::model::*;
use crate::store::StoreResult;

const COLUMNS: &str = "service, cluster, version, at_ms, link, actor, finished_ms, status, reason, commit_sha, \
                       first_commit_ms, commit_count, workload";
/// [`COLUMNS`] for a brief read: the same places, NULL where not needed.
const BRIEF: &str = "service, cluster, version, at_ms, NULL, NULL, finished_ms, status, reason, NULL, \
                     first_commit_ms, NULL, NULL";

/// Records `events` in order. A deploy already recorded (same service,
/// cluster, version and start) takes the new report's outcome, keeping
/// what the new report leaves out. The delivery views follow
/// (`dora_views::maintain`): call it inside a transaction.
pub fn record(conn: &Connection, events: &[DeployEvent]) -> StoreResult<()> {
    write(conn, events)?;
    // The views move with the events, in the caller's transaction.
    super::dora_views::maintain(conn, events)
}

/// [`record`] without the views: for an import, which derives them once
/// when every event is in (`dora_views::restart`).
pub fn write(conn: &Connection, events: &[DeployEvent]) -> StoreResult<()> {
    let doing = "recording a deploy event";
    let mut update = conn
        .prepare_cached(
            "UPDATE events SET link = coalesce(?5, link), actor = coalesce(?6, actor), \
             finished_ms = coalesce(?7, finished_ms), status = ?8, reason = coalesce(?9, reason), \
             commit_sha = coalesce(?10, commit_sha), first_commit_ms = coalesce(?11, first_commit_ms), \
             commit_count = coalesce(?12, commit_count), workload = coalesce(?13, workload) \
             WHERE service = ?1 AND at_ms = ?4 AND cluster = ?2 AND version = ?3",
        )
        .map_err(backend(doing))?;
    let mut insert = conn
        .prepare_cached(&format!(
            "INSERT INTO events ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        ))
        .map_err(backend(doing))?;
    for event in events {
        let values = params![
            event.service,
            event.cluster,
            event.version,
            event.at.timestamp_millis(),
            event.link,
            event.actor,
            event.finished_at.map(|at| at.timestamp_millis()),
            event.status.as_str(),
            event.reason,
            event.commit,
            event.first_commit_at.map(|at| at.timestamp_millis()),
            event.commit_count,
            event.workload,
        ];
        if update.execute(values).map_err(backend(doing))? == 0 {
            insert.execute(values).map_err(backend(doing))?;
        }
    }
    Ok(())
}

/// The events `filter` selects, oldest first (ties in arrival order).
pub fn select(conn: &Connection, filter: &DeployFilter) -> StoreResult<Vec<DeployEvent>> {
    let doing = "reading deploy events";
    let (start, end) = (filter.from.timestamp_millis(), filter.to.timestamp_millis());
    let mut found = Vec::new();
    let columns = if filter.brief { BRIEF } else { COLUMNS };
    if filter.services.is_empty() {
        // A whole organisation's year is hundreds of thousands of rows:
        // sized once rather than grown (and copied) a dozen times.
        let count: i64 = conn
            .prepare_cached("SELECT count(*) FROM events WHERE at_ms >= ?1 AND at_ms < ?2")
            .and_then(|mut stmt| stmt.query_row(params![start, end], |r| r.get(0)))
            .map_err(backend(doing))?;
        found.reserve_exact(count.max(0) as usize);
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {columns} FROM events WHERE at_ms >= ?1 AND at_ms < ?2 ORDER BY at_ms, id"
            ))
            .map_err(backend(doing))?;
        let rows = stmt.query_map(params![start, end], event_from).map_err(backend(doing))?;
        for row in rows {
            found.push(row.map_err(backend(doing))?);
        }
    } else {
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {columns}, id FROM events WHERE service = ?1 AND at_ms >= ?2 AND at_ms < ?3 ORDER BY at_ms, id"
            ))
            .map_err(backend(doing))?;
        let mut with_ids = Vec::new();
        for service in &filter.services {
            let rows = stmt
                .query_map(params![service, start, end], |r| {
                    Ok((r.get::<_, i64>(3)?, r.get::<_, i64>(13)?, event_from(r)?))
                })
                .map_err(backend(doing))?;
            for row in rows {
                with_ids.push(row.map_err(backend(doing))?);
            }
        }
        with_ids.sort_by_key(|(at, id, _)| (*at, *id));
        found = with_ids.into_iter().map(|(_, _, event)| event).collect();
    }
    if !filter.clusters.is_empty() {
        found.retain(|e| filter.clusters.contains(&e.cluster));
    }
    Ok(found)
}

/// One row of [`COLUMNS`] (also the export's, queries/sqlite/export_events.sql).
pub(super) fn event_from(r: &Row) -> rusqlite::Result<DeployEvent> {
    let status: String = r.get(7)?;
    Ok(DeployEvent {
        service: r.get(0)?,
        cluster: r.get(1)?,
        version: r.get(2)?,
        at: instant(r.get(3)?),
        link: r.get(4)?,
        actor: r.get(5)?,
        finished_at: r.get::<_, Option<i64>>(6)?.map(instant),
        // Rows are only written through `record`, which writes known names.
        status: DeployStatus::parse(&status).unwrap_or_default(),
        reason: r.get(8)?,
        commit: r.get(9)?,
        first_commit_at: r.get::<_, Option<i64>>(10)?.map(instant),
        commit_count: r.get(11)?,
        workload: r.get(12)?,
    })
}

/// A stored `*_ms` column as an instant.
pub(super) fn instant(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
