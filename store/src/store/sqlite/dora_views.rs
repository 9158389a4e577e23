//! The delivery views of schema 010 (docs/dora.md, "How the figures are
//! kept"), kept in the transaction that records deploy events: each
//! deploy's verdict beside it in `events`, and the `dora_days` rollups.
//!
//! A verdict depends only on the deploy's lane (service, cluster): its
//! status on the next deploy, its rollback flag on the one before, its
//! restore on the later deploys up to the first healthy one. So when
//! deploys are recorded, each touched lane is judged again from the last
//! healthy deploy before the one preceding the earliest touched deploy (the
//! verdicts before it cannot move), and the days whose deploys or verdicts
//! changed are rolled up again.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::backend;
use super::events::instant;
use crate::judging::judge::{verdicts, Verdict};
use crate::judging::rollup::{encode_samples, fix_forward_window, DayRollup, RollupQuery};
use crate::judging::span::LaneDays;
use crate::judging::Judged;
use crate::model::{Day, DeployEvent, DeployStatus};
use crate::store::{StoreError, StoreResult};

/// Lanes judged per transaction by a rebuild: a kill loses at most these.
const LANES_PER_CHUNK: usize = 200;

/// What judging reads of a deploy, and the verdict stored with it.
const LANE_COLUMNS: &str = "id, version, at_ms, finished_ms, status, first_commit_ms, judged_status, \
                            judged_rollback, judged_fixed_by, judged_reason, judged_restored_ms";

/// What the views were built with (the `dora_views` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub fix_forward_ms: i64,
    pub complete: bool,
    cursor: Option<(String, String)>,
}

pub fn built(conn: &Connection) -> StoreResult<Built> {
    conn.query_row(
        "SELECT fix_forward_ms, complete, cursor_service, cursor_cluster FROM dora_views WHERE only = 1",
        [],
        |r| {
            let cursor = match (r.get::<_, Option<String>>(2)?, r.get::<_, Option<String>>(3)?) {
                (Some(service), Some(cluster)) => Some((service, cluster)),
                _ => None,
            };
            Ok(Built { fix_forward_ms: r.get(0)?, complete: r.get(1)?, cursor })
        },
    )
    .map_err(backend("reading how the delivery views were built"))
}

/// One deploy of a lane as judging reads it (only what the rules read),
/// with its row id and the verdict stored with it.
struct LaneDeploy {
    id: i64,
    event: DeployEvent,
    stored: Option<Verdict>,
}

fn lane_deploy(r: &Row) -> rusqlite::Result<LaneDeploy> {
    Ok(LaneDeploy {
        id: r.get(0)?,
        event: DeployEvent {
            version: r.get(1)?,
            at: instant(r.get(2)?),
            finished_at: r.get::<_, Option<i64>>(3)?.map(instant),
            status: status(r.get(4)?),
            first_commit_at: r.get::<_, Option<i64>>(5)?.map(instant),
            ..DeployEvent::default()
        },
        stored: stored_verdict(r, 6)?,
    })
}

/// Rows are only written through `record`, which writes known names.
fn status(text: String) -> DeployStatus {
    DeployStatus::parse(&text).unwrap_or_default()
}

/// The verdict in the five `judged_*` columns (status, rollback, fixed
/// forward by, reason, restored at) from column `first` on; `None`: not
/// judged yet.
fn stored_verdict(r: &Row, first: usize) -> rusqlite::Result<Option<Verdict>> {
    let Some(judged) = r.get::<_, Option<String>>(first)? else { return Ok(None) };
    Ok(Some(Verdict {
        status: status(judged),
        rollback: r.get(first + 1)?,
        fixed_forward_by: r.get(first + 2)?,
        reason: r.get(first + 3)?,
        restored_at: r.get::<_, Option<i64>>(first + 4)?.map(instant),
    }))
}

/// Keeps the views after `events` were recorded (same transaction).
pub fn maintain(conn: &Connection, events: &[DeployEvent]) -> StoreResult<()> {
    let fix_forward = fix_forward_window(built(conn)?.fix_forward_ms);
    // Each lane: its earliest touched start, and the days touched.
    let mut lanes: BTreeMap<(&str, &str), (i64, BTreeSet<Day>)> = BTreeMap::new();
    for event in events {
        let at = event.at.timestamp_millis();
        let (earliest, days) = lanes.entry((&event.service, &event.cluster)).or_insert((at, BTreeSet::new()));
        *earliest = (*earliest).min(at);
        days.insert(Day::of(event.at));
    }
    for ((service, cluster), (earliest, days)) in lanes {
        judge_lane(conn, service, cluster, Some(earliest), days, fix_forward)?;
    }
    crash_point();
    Ok(())
}

/// The crash test's kill point for the views (tests/crash.rs): with
/// `SPOT_TEST_VIEWS_CRASH_POINT=<file>`, a transaction whose view writes
/// are all done but not committed (deploys recorded, or a chunk of a
/// rebuild) creates `<file>` and waits there to be killed, so the test
/// kills it mid-write every time. With `SPOT_TEST_VIEWS_CRASH_AFTER=<n>`
/// the first `n` such transactions of the process go on and commit.
fn crash_point() {
    static PASSED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let Some(marker) = std::env::var_os("SPOT_TEST_VIEWS_CRASH_POINT") else { return };
    let after = std::env::var("SPOT_TEST_VIEWS_CRASH_AFTER").ok().and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
    if PASSED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < after {
        return;
    }
    if std::fs::write(&marker, b"view writes done, not committed\n").is_ok() {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
}

/// Where judging a lane starts reading: `(at_ms, id)` of the first deploy
/// read, and whether that one is read only as what the next follows (its
/// own verdict, judged without its predecessor, is not kept).
struct SliceStart {
    from: Option<(i64, i64)>,
    context: bool,
}

/// The start of the slice a change at `earliest` can move: the last
/// healthy deploy before the one just before `earliest` (whose verdict
/// follows its next deploy), read with its predecessor for its rollback
/// flag. No such deploy: the whole lane.
fn slice_start(conn: &Connection, service: &str, cluster: &str, earliest: i64) -> StoreResult<SliceStart> {
    let doing = "finding where to judge a lane again";
    let mut stmt = conn
        .prepare_cached(
            "SELECT at_ms, id, judged_status = 'succeeded' AND judged_fixed_by IS NULL FROM events \
             WHERE service = ?1 AND cluster = ?2 AND at_ms < ?3 ORDER BY at_ms DESC, id DESC",
        )
        .map_err(backend(doing))?;
    let mut rows = stmt.query(params![service, cluster, earliest]).map_err(backend(doing))?;
    let mut anchor = None;
    let mut seen = 0;
    while let Some(row) = rows.next().map_err(backend(doing))? {
        seen += 1;
        let position: (i64, i64) = (row.get(0).map_err(backend(doing))?, row.get(1).map_err(backend(doing))?);
        if anchor.is_some() {
            return Ok(SliceStart { from: Some(position), context: true });
        }
        let healthy: Option<bool> = row.get(2).map_err(backend(doing))?;
        if seen > 1 && healthy == Some(true) {
            anchor = Some(position);
        }
    }
    Ok(SliceStart { from: anchor, context: false })
}

/// Judges `service`'s lane in `cluster` from the slice a change at
/// `earliest` can move (`None`: the whole lane, every day rolled up
/// again), stores the verdicts that changed and rolls up `days` and the
/// days of those verdicts again.
fn judge_lane(
    conn: &Connection,
    service: &str,
    cluster: &str,
    earliest: Option<i64>,
    mut days: BTreeSet<Day>,
    fix_forward: Option<Duration>,
) -> StoreResult<()> {
    let doing = "judging a lane of deploys";
    let start = match earliest {
        Some(earliest) => slice_start(conn, service, cluster, earliest)?,
        None => SliceStart { from: None, context: false },
    };
    let (at, id) = start.from.unwrap_or((i64::MIN, i64::MIN));
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {LANE_COLUMNS} FROM events WHERE service = ?1 AND cluster = ?2 \
             AND (at_ms > ?3 OR (at_ms = ?3 AND id >= ?4)) ORDER BY at_ms, id"
        ))
        .map_err(backend(doing))?;
    let lane: Vec<LaneDeploy> = stmt
        .query_map(params![service, cluster, at, id], lane_deploy)
        .map_err(backend(doing))?
        .collect::<Result<_, _>>()
        .map_err(backend(doing))?;
    let found = verdicts(&lane.iter().map(|d| &d.event).collect::<Vec<_>>(), fix_forward);
    // Every day after the slice's first is wholly in the slice (and so is
    // the first when the slice is the whole lane): those days are rolled
    // up from the verdicts judged here rather than read again.
    let whole_from = match (start.from, lane.first()) {
        (None, _) => Some(Day(i32::MIN)),
        (Some(_), Some(first)) => Some(Day::of(first.event.at).plus(1)),
        (Some(_), None) => None,
    };
    let mut update = conn
        .prepare_cached(
            "UPDATE events SET judged_status = ?2, judged_rollback = ?3, judged_fixed_by = ?4, judged_reason = ?5, \
             judged_restored_ms = ?6 WHERE id = ?1",
        )
        .map_err(backend(doing))?;
    let mut judged = Vec::with_capacity(lane.len());
    for (deploy, verdict) in lane.into_iter().zip(found).skip(start.context as usize) {
        let day = Day::of(deploy.event.at);
        if earliest.is_none() {
            days.insert(day);
        }
        if deploy.stored.as_ref() != Some(&verdict) {
            update
                .execute(params![
                    deploy.id,
                    verdict.status.as_str(),
                    verdict.rollback,
                    verdict.fixed_forward_by,
                    verdict.reason,
                    verdict.restored_at.map(|at| at.timestamp_millis()),
                ])
                .map_err(backend(doing))?;
            days.insert(day);
        }
        judged.push(verdict.on(deploy.event));
    }
    for &day in &days {
        if whole_from.is_some_and(|whole| day >= whole) {
            // Oldest first: the day's deploys are one run.
            let of_day = |d: &Judged| Day::of(d.event.at);
            let run = judged.partition_point(|d| of_day(d) < day)..judged.partition_point(|d| of_day(d) <= day);
            write_day(conn, service, cluster, day, &judged[run])?;
        } else {
            roll_up_day(conn, service, cluster, day)?;
        }
    }
    super::dora_spans::repack(conn, service, cluster, &days)
}

/// Writes the `dora_days` row of `service` in `cluster` on `day` from its
/// deploys' stored verdicts, read here.
fn roll_up_day(conn: &Connection, service: &str, cluster: &str, day: Day) -> StoreResult<()> {
    let doing = "rolling up a day of deploys";
    let (start, end) = (day.start().timestamp_millis(), day.plus(1).start().timestamp_millis());
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {LANE_COLUMNS} FROM events WHERE service = ?1 AND cluster = ?2 AND at_ms >= ?3 AND at_ms < ?4"
        ))
        .map_err(backend(doing))?;
    let deploys: Vec<LaneDeploy> = stmt
        .query_map(params![service, cluster, start, end], lane_deploy)
        .map_err(backend(doing))?
        .collect::<Result<_, _>>()
        .map_err(backend(doing))?;
    let mut judged = Vec::with_capacity(deploys.len());
    for deploy in deploys {
        let verdict = deploy.stored.ok_or_else(|| StoreError::Backend {
            doing: doing.into(),
            source: format!("deploy event {} has no verdict: run `spot rebuild-views`", deploy.id).into(),
        })?;
        judged.push(verdict.on(deploy.event));
    }
    write_day(conn, service, cluster, day, &judged)
}

/// Writes the `dora_days` row of `service` in `cluster` on `day` from
/// `deploys`, that day's deploys judged (none: no row).
fn write_day(conn: &Connection, service: &str, cluster: &str, day: Day, deploys: &[Judged]) -> StoreResult<()> {
    let doing = "rolling up a day of deploys";
    if deploys.is_empty() {
        conn.prepare_cached("DELETE FROM dora_days WHERE service = ?1 AND cluster = ?2 AND day = ?3")
            .and_then(|mut s| s.execute(params![service, cluster, day.0]))
            .map_err(backend(doing))?;
        return Ok(());
    }
    let row = DayRollup::of(service, cluster, day, deploys);
    conn.prepare_cached(
        "INSERT OR REPLACE INTO dora_days (service, cluster, day, deploys, changes, failed_changes, rollbacks, \
         unrestored, lead_times, restores) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut s| {
        s.execute(params![
            service,
            cluster,
            day.0,
            row.deploys as i64,
            row.changes as i64,
            row.failed_changes as i64,
            row.rollbacks as i64,
            row.unrestored as i64,
            encode_samples(&row.lead_times),
            encode_samples(&row.restores),
        ])
    })
    .map_err(backend(doing))?;
    Ok(())
}

/// Marks the views to be derived again with `fix_forward_ms` (see
/// [`rebuild_pending`]).
pub fn restart(conn: &Connection, fix_forward_ms: i64) -> StoreResult<()> {
    conn.execute(
        "UPDATE dora_views SET fix_forward_ms = ?1, complete = 0, cursor_service = NULL, cursor_cluster = NULL",
        [fix_forward_ms],
    )
    .map_err(backend("restarting the delivery views"))?;
    Ok(())
}

/// Derives the views of every lane not yet derived, a chunk of lanes per
/// transaction with the last one done recorded, so a killed rebuild goes
/// on where it stopped; `progress(done, total)` after each chunk. Returns
/// the lanes judged.
pub fn rebuild_pending(conn: &Connection, mut progress: impl FnMut(u64, u64)) -> StoreResult<u64> {
    let doing = "deriving the delivery views";
    let Built { fix_forward_ms, complete, mut cursor } = built(conn)?;
    if complete {
        return Ok(0);
    }
    let fix_forward = fix_forward_window(fix_forward_ms);
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).map_err(backend(doing));
    let total = count("SELECT count(*) FROM (SELECT 1 FROM events GROUP BY service, cluster)")? as u64;
    let mut done = match &cursor {
        None => 0,
        Some((service, cluster)) => conn
            .query_row(
                "SELECT count(*) FROM (SELECT 1 FROM events WHERE (service, cluster) <= (?1, ?2) \
                 GROUP BY service, cluster)",
                params![service, cluster],
                |r| r.get::<_, i64>(0),
            )
            .map_err(backend(doing))? as u64,
    };
    let mut judged = 0;
    loop {
        let tx = conn.unchecked_transaction().map_err(backend(doing))?;
        let lanes = lanes_after(&tx, cursor.as_ref())?;
        for (service, cluster) in &lanes {
            tx.execute("DELETE FROM dora_days WHERE service = ?1 AND cluster = ?2", params![service, cluster])
                .map_err(backend(doing))?;
            super::dora_spans::delete_lane(&tx, service, cluster)?;
            judge_lane(&tx, service, cluster, None, BTreeSet::new(), fix_forward)?;
        }
        cursor = lanes.last().cloned();
        match &cursor {
            Some((service, cluster)) => tx
                .execute("UPDATE dora_views SET cursor_service = ?1, cursor_cluster = ?2", params![service, cluster])
                .map_err(backend(doing))?,
            None => tx
                .execute("UPDATE dora_views SET complete = 1, cursor_service = NULL, cursor_cluster = NULL", [])
                .map_err(backend(doing))?,
        };
        crash_point();
        tx.commit().map_err(backend(doing))?;
        judged += lanes.len() as u64;
        done += lanes.len() as u64;
        if cursor.is_none() {
            return Ok(judged);
        }
        progress(done, total);
    }
}

fn lanes_after(conn: &Connection, cursor: Option<&(String, String)>) -> StoreResult<Vec<(String, String)>> {
    let doing = "listing lanes of deploys";
    let (service, cluster) = cursor.map_or(("", ""), |(s, c)| (s.as_str(), c.as_str()));
    let mut stmt = conn
        .prepare_cached(
            "SELECT DISTINCT service, cluster FROM events WHERE (service, cluster) > (?1, ?2) \
             ORDER BY service, cluster LIMIT ?3",
        )
        .map_err(backend(doing))?;
    let lanes = stmt
        .query_map(params![service, cluster, LANES_PER_CHUNK as i64], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(backend(doing))?
        .collect::<Result<_, _>>()
        .map_err(backend(doing));
    lanes
}

/// The rollups `query` selects, packed per lane and span, or `None` when
/// the views cannot answer it (not derived yet, or built with another
/// fix-forward window).
pub fn rollups(conn: &Connection, query: &RollupQuery) -> StoreResult<Option<Vec<LaneDays>>> {
    // Readers run in a read transaction: the views and how they were
    // built agree.
    let built = built(conn)?;
    if !built.complete || built.fix_forward_ms != query.fix_forward_ms {
        return Ok(None);
    }
    super::dora_spans::read(conn, query).map(Some)
}

/// A deploy as the `deploys` list shows it: every column and its verdict.
pub(super) fn judged_from(r: &Row) -> rusqlite::Result<Judged> {
    let event = super::events::event_from(r)?;
    // Pages are read only from complete views: every deploy has a verdict.
    let verdict = stored_verdict(r, 13)?
        .ok_or_else(|| rusqlite::Error::InvalidColumnType(13, "judged_status".into(), rusqlite::types::Type::Null))?;
    Ok(verdict.on(event))
}

/// Whether a store has deploys no verdict was stored for (a view derived
/// before they were recorded would be wrong): for tests and `spot
/// rebuild-views` to check.
pub fn unjudged(conn: &Connection) -> StoreResult<u64> {
    conn.query_row("SELECT count(*) FROM events WHERE judged_status IS NULL", [], |r| r.get::<_, i64>(0))
        .optional()
        .map(|n| n.unwrap_or(0).max(0) as u64)
        .map_err(backend("counting deploys without a verdict"))
}
