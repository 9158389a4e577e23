//! `dora_spans` (schema 011): each lane's `dora_days` rows packed per span
//! of days, written in the transaction that writes those rows and read by
//! every DORA figure (docs/dora.md, "How the figures are kept").

use std::collections::BTreeSet;

use rusqlite::{params, Connection};

use super::backend;
use crate::judging::rollup::{decode_samples, DayRollup, RollupQuery};
use crate::judging::span::{span_days, span_of, LaneDays};
use crate::model::Day;
use crate::store::{StoreError, StoreResult};

/// Packs again the spans of `service` in `cluster` that hold `days`, from
/// the lane's `dora_days` rows (a span without rows is deleted).
pub fn repack(conn: &Connection, service: &str, cluster: &str, days: &BTreeSet<Day>) -> StoreResult<()> {
    let doing = "packing a lane's day rollups";
    let spans: BTreeSet<i32> = days.iter().map(|&day| span_of(day)).collect();
    let mut read = conn
        .prepare_cached(
            "SELECT day, deploys, changes, failed_changes, rollbacks, unrestored, lead_times, restores \
             FROM dora_days WHERE service = ?1 AND cluster = ?2 AND day >= ?3 AND day <= ?4 ORDER BY day",
        )
        .map_err(backend(doing))?;
    for span in spans {
        let (first, last) = span_days(span);
        let rows = read
            .query_map(params![service, cluster, first.0, last.0], |r| {
                let count = |i: usize| r.get::<_, i64>(i).map(|n| n.max(0) as u64);
                let row = DayRollup {
                    deploys: count(1)?,
                    changes: count(2)?,
                    failed_changes: count(3)?,
                    rollbacks: count(4)?,
                    unrestored: count(5)?,
                    ..DayRollup::empty(service, cluster, Day(r.get(0)?))
                };
                Ok((row, r.get::<_, Vec<u8>>(6)?, r.get::<_, Vec<u8>>(7)?))
            })
            .map_err(backend(doing))?;
        let mut days = Vec::new();
        for found in rows {
            let (row, leads, restores) = found.map_err(backend(doing))?;
            let samples = decode_samples(&leads).and_then(|l| Ok((l, decode_samples(&restores)?)));
            let (lead_times, restores) =
                samples.map_err(|e| StoreError::Backend { doing: doing.into(), source: e.into() })?;
            days.push(DayRollup { lead_times, restores, ..row });
        }
        write(conn, span, &LaneDays::of(service, cluster, &days))?;
    }
    Ok(())
}

fn write(conn: &Connection, span: i32, lane: &LaneDays) -> StoreResult<()> {
    let doing = "writing a lane's packed day rollups";
    let (service, cluster) = (&lane.service, &lane.cluster);
    if lane.days.is_empty() {
        conn.prepare_cached("DELETE FROM dora_spans WHERE span = ?1 AND service = ?2 AND cluster = ?3")
            .and_then(|mut s| s.execute(params![span, service, cluster]))
            .map_err(backend(doing))?;
        return Ok(());
    }
    conn.prepare_cached("INSERT OR REPLACE INTO dora_spans (span, service, cluster, days) VALUES (?1, ?2, ?3, ?4)")
        .and_then(|mut s| s.execute(params![span, service, cluster, lane.encode()]))
        .map_err(backend(doing))?;
    Ok(())
}

/// Forgets every span of a lane (a rebuild packs them again).
pub fn delete_lane(conn: &Connection, service: &str, cluster: &str) -> StoreResult<()> {
    conn.prepare_cached("DELETE FROM dora_spans WHERE service = ?1 AND cluster = ?2")
        .and_then(|mut s| s.execute(params![service, cluster]))
        .map_err(backend("forgetting a lane's packed day rollups"))?;
    Ok(())
}

/// The packed spans holding `query`'s days, of its services and clusters
/// (their days outside the window are left for the caller to skip).
pub fn read(conn: &Connection, query: &RollupQuery) -> StoreResult<Vec<LaneDays>> {
    let doing = "reading delivery rollups";
    let (from, to) = (span_of(query.from), span_of(query.to));
    let mut lanes = Vec::new();
    let mut add = |stmt: &mut rusqlite::CachedStatement, params: &[&dyn rusqlite::ToSql]| -> StoreResult<()> {
        let mut rows = stmt.query(params).map_err(backend(doing))?;
        while let Some(row) = rows.next().map_err(backend(doing))? {
            let cluster = row.get_ref(1).and_then(|v| v.as_str().map_err(Into::into)).map_err(backend(doing))?;
            let selected = query.clusters.as_ref().is_none_or(|c| c.iter().any(|c| c == cluster))
                && !query.except_clusters.iter().any(|c| c == cluster);
            if !selected {
                continue;
            }
            let service = row.get_ref(0).and_then(|v| v.as_str().map_err(Into::into)).map_err(backend(doing))?;
            let blob = row.get_ref(2).and_then(|v| v.as_blob().map_err(Into::into)).map_err(backend(doing))?;
            let lane = LaneDays::decode(service, cluster, blob).map_err(|e| StoreError::Backend {
                doing: doing.into(),
                source: format!("the span of {service} in {cluster}: {e}").into(),
            })?;
            lanes.push(lane);
        }
        Ok(())
    };
    match &query.services {
        None => {
            let mut stmt = conn
                .prepare_cached("SELECT service, cluster, days FROM dora_spans WHERE span >= ?1 AND span <= ?2")
                .map_err(backend(doing))?;
            add(&mut stmt, &[&from, &to])?;
        }
        Some(services) => {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT service, cluster, days FROM dora_spans WHERE service = ?1 AND span >= ?2 AND span <= ?3",
                )
                .map_err(backend(doing))?;
            // A team listing a service twice counts it once, as the oracle does.
            for service in services.iter().collect::<BTreeSet<_>>() {
                add(&mut stmt, &[service, &from, &to])?;
            }
        }
    }
    Ok(lanes)
}
