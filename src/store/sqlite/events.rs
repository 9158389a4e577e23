//! Deploy events pushed by the orchestrator.

use chrono::{TimeZone, Utc};
use rusqlite::{params, Connection};

use super::backend;
use crate::model::*;
use crate::store::StoreResult;

pub fn record(conn: &Connection, event: &DeployEvent) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO events (service, cluster, version, at_ms, link, actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![event.service, event.cluster, event.version, event.at.timestamp_millis(), event.link, event.actor],
    )
    .map_err(backend("recording a deploy event"))?;
    Ok(())
}

pub fn of_service(
    conn: &Connection,
    service: &str,
    cluster: Option<&str>,
    from: Day,
    to: Day,
) -> StoreResult<Vec<DeployEvent>> {
    const DAY_MS: i64 = 86_400_000;
    let (start, end) = (from.0 as i64 * DAY_MS, (to.0 as i64 + 1) * DAY_MS);
    let mut stmt = conn
        .prepare_cached(
            "SELECT service, cluster, version, at_ms, link, actor FROM events \
             WHERE service = ?1 AND at_ms >= ?2 AND at_ms < ?3 AND (?4 IS NULL OR cluster = ?4) \
             ORDER BY at_ms, id",
        )
        .map_err(backend("reading deploy events"))?;
    let rows = stmt
        .query_map(params![service, start, end, cluster], |r| {
            let at_ms: i64 = r.get(3)?;
            Ok(DeployEvent {
                service: r.get(0)?,
                cluster: r.get(1)?,
                version: r.get(2)?,
                at: Utc.timestamp_millis_opt(at_ms).single().unwrap_or_default(),
                link: r.get(4)?,
                actor: r.get(5)?,
            })
        })
        .map_err(backend("reading deploy events"))?;
    rows.collect::<Result<_, _>>().map_err(backend("reading deploy events"))
}
