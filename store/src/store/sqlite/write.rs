//! Rules 2 to 5 of the ingest contract on SQLite: one IMMEDIATE transaction
//! per run, so a run is committed whole or not at all.

use std::time::Instant;

use rusqlite::{params, Connection, Transaction, TransactionBehavior};
use rustc_hash::{FxHashMap, FxHashSet};
use spot_model::Observation;

use super::anchors::resolve_entities;
use super::cache::{EdgeId, EntityIds, Kinds, OpenVersions};
use super::{backend, SqliteOptions};
use crate::ingest::{content_hash, diff};
use crate::model::*;
use crate::store::{BatchError, Refusal, StoreError, StoreResult};

const ROLLBACK_DAY: &str = include_str!("../../../../queries/sqlite/rollback_day.sql");
const UPSERT_RUN: &str = include_str!("../../../../queries/sqlite/upsert_run.sql");

/// The single writer connection and its caches.
pub struct Writer {
    conn: Connection,
    entities: EntityIds,
    kinds: Kinds,
    open: FxHashMap<i64, OpenVersions>,
}

/// What one ingest changed, for the caches once it is committed.
struct Written {
    entities: Vec<(String, i64, String)>,
    scope: i64,
    versions: OpenVersions,
}

impl Writer {
    pub fn new(conn: Connection) -> Writer {
        Writer { conn, entities: EntityIds::default(), kinds: Kinds::default(), open: FxHashMap::default() }
    }

    /// The connection, for writes outside the ingest contract (deploy events).
    pub fn connection(&mut self) -> &Connection {
        &self.conn
    }

    pub fn ingest(&mut self, options: &SqliteOptions, obs: &Observation) -> StoreResult<Run> {
        let mut runs = self.ingest_all(options, std::slice::from_ref(obs)).map_err(|e| e.error)?;
        Ok(runs.remove(0))
    }

    /// Ingests observations in order in one IMMEDIATE transaction: all are
    /// committed, or none. Each sees the ones before it (a second run of a
    /// scope diffs against the first; an older day than an earlier one of
    /// the batch is refused).
    pub fn ingest_all(
        &mut self,
        options: &SqliteOptions,
        observations: &[Observation],
    ) -> Result<Vec<Run>, BatchError> {
        let result = self.write_all(options, observations);
        if result.is_err() && observations.len() > 1 {
            // The entity cache may have read anchors of the earlier, now
            // rolled back, observations of the batch: read it afresh.
            self.entities = EntityIds::default();
        }
        let (runs, written) = result?;
        for written in written {
            self.remember(written);
        }
        for run in &runs {
            tracing::debug!(
                collector.name = %run.source, snapshot.scope = %run.scope, snapshot.day = %run.day,
                added = run.counts.added, changed = run.counts.changed, closed = run.counts.closed, "ingested run"
            );
        }
        Ok(runs)
    }

    fn write_all(
        &mut self,
        options: &SqliteOptions,
        observations: &[Observation],
    ) -> Result<(Vec<Run>, Vec<Written>), BatchError> {
        let whole = |error| BatchError { index: None, written: 0, error };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| whole(backend("starting an ingest transaction")(e)))?;
        let mut writes = Writes::new(options.fail_after_writes);
        let mut caches = Caches { entities: &mut self.entities, kinds: &mut self.kinds, open: &mut self.open };
        let (mut runs, mut written) = (Vec::new(), Vec::new());
        for (index, obs) in observations.iter().enumerate() {
            let (run, done) = write_one(&tx, &mut caches, obs, &mut writes).map_err(|e| BatchError::at(index, e))?;
            runs.push(run);
            written.push(done);
        }
        crash_point();
        tx.commit().map_err(|e| whole(backend("committing an ingest")(e)))?;
        Ok((runs, written))
    }

    /// `spot rollback` (see [`super::rollback`]). The writer's caches are
    /// read afresh afterwards: the rollback may have deleted anchors and
    /// reopened versions they hold.
    pub fn rollback(&mut self, source: &str, scope: &str, day: Day) -> StoreResult<crate::model::Rollback> {
        let done = super::rollback::rollback(&mut self.conn, source, scope, day, now_ms())?;
        if !done.changed_nothing() {
            self.entities = EntityIds::default();
            self.open.clear();
            tracing::warn!(
                collector.name = %source, snapshot.scope = %scope, snapshot.day = %day, runs = done.runs,
                facts_deleted = done.facts_deleted, facts_reopened = done.facts_reopened,
                relations_deleted = done.relations_deleted, relations_reopened = done.relations_reopened,
                entities_deleted = done.entities_deleted, "rolled back a scope's runs"
            );
        }
        Ok(done)
    }

    fn remember(&mut self, written: Written) {
        self.entities.committed(written.entities);
        self.open.insert(written.scope, written.versions);
    }

    /// Rule 3: a failed run closes nothing and writes no versions. A failure
    /// after a committed run of the same day leaves that run's data in place.
    pub fn record_failure(&mut self, source: &str, scope: &str, day: Day, error: &str) -> StoreResult<Run> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend("starting a run record"))?;
        let (scope_id, _) = scope_of(&tx, source, scope)?;
        if let Some(latest) = latest_committed_day(&tx, scope_id)? {
            if day < latest {
                return Err(older_day(source, scope, day, latest));
            }
        }
        let run = match super::read::run_of(&tx, scope_id, day)? {
            Some(committed) if committed.status.committed() => {
                let note = format!("a later attempt failed: {error}");
                tx.execute(
                    "UPDATE runs SET attempts = attempts + 1, error = ?3 WHERE scope = ?1 AND day = ?2",
                    params![scope_id, day.0, note],
                )
                .map_err(backend("recording a failed attempt"))?;
                Run { attempts: committed.attempts + 1, error: Some(note), ..committed }
            }
            _ => {
                let failed = Run {
                    source: source.to_string(),
                    scope: scope.to_string(),
                    day,
                    status: RunStatus::Failed,
                    counts: RunCounts::default(),
                    started_at_ms: now_ms(),
                    duration_ms: 0,
                    error: Some(error.to_string()),
                    attempts: 1,
                    warnings: Vec::new(),
                };
                let attempts = upsert_run(&tx, scope_id, &failed)?;
                Run { attempts, ..failed }
            }
        };
        tx.commit().map_err(backend("committing a run record"))?;
        tracing::debug!(collector.name = %source, snapshot.scope = %scope, snapshot.day = %day, error, "recorded failed run");
        Ok(run)
    }
}

/// The writer's caches, as one observation of a batch uses them. A scope's
/// open versions are taken out of the cache, not copied (a copy of a large
/// scope's maps cost time and doubled their memory on every run), and put
/// back once the batch commits; a batch that fails leaves the scope out, so
/// its next run reads them from the database. A later observation of the
/// same scope in the batch finds none and reads them from the transaction.
struct Caches<'a> {
    entities: &'a mut EntityIds,
    kinds: &'a mut Kinds,
    open: &'a mut FxHashMap<i64, OpenVersions>,
}

/// Rules 2 to 4 for one observation, within the batch's transaction.
fn write_one(
    tx: &Transaction,
    caches: &mut Caches,
    obs: &Observation,
    writes: &mut Writes,
) -> StoreResult<(Run, Written)> {
    let started = Instant::now();
    let started_at_ms = now_ms();
    let (scope, generation) = scope_of(tx, &obs.source, &obs.scope)?;
    let mut rerun = false;
    if let Some(latest) = latest_committed_day(tx, scope)? {
        if obs.day < latest {
            return Err(older_day(&obs.source, &obs.scope, obs.day, latest));
        }
        if obs.day == latest {
            // Rule 4: the later run replaces that day's observation.
            rollback_day(tx, scope, obs.day, writes)?;
            rerun = true;
        }
    }
    caches.entities.refresh(tx)?;
    let resolved = resolve_entities(tx, obs, caches.entities, writes)?;
    let mut versions = match caches.open.remove(&scope) {
        Some(cached) if cached.generation == generation && !rerun => cached,
        _ => OpenVersions::load(tx, scope, generation, caches.kinds)?,
    };
    let unobserved: FxHashSet<i64> =
        obs.unobserved.iter().filter_map(|key| resolved.lookup(caches.entities, key)).collect();
    let mut counts = write_facts(tx, scope, obs, &resolved.entities, &unobserved, &mut versions, writes)?;
    counts.add(write_relations(tx, scope, obs, &resolved.ends, &unobserved, caches.kinds, &mut versions, writes)?);
    versions.generation = generation + 1;
    tx.execute("UPDATE scopes SET generation = ?2 WHERE id = ?1", params![scope, versions.generation])
        .map_err(backend("advancing the scope generation"))?;
    let run = Run {
        source: obs.source.clone(),
        scope: obs.scope.clone(),
        day: obs.day,
        status: if obs.complete { RunStatus::Complete } else { RunStatus::Partial },
        counts,
        started_at_ms,
        duration_ms: started.elapsed().as_millis() as i64,
        error: None,
        attempts: 1,
        warnings: obs.warnings.clone(),
    };
    let attempts = upsert_run(tx, scope, &run)?;
    Ok((Run { attempts, ..run }, Written { entities: resolved.written, scope, versions }))
}

fn older_day(source: &str, scope: &str, day: Day, latest: Day) -> StoreError {
    StoreError::Refused(Refusal::OlderDay { collector: source.to_string(), scope: scope.to_string(), day, latest })
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Counts row writes; the test hook turns the N-th into a failure.
pub struct Writes {
    done: u64,
    fail_after: Option<u64>,
}

impl Writes {
    fn new(fail_after: Option<u64>) -> Writes {
        Writes { done: 0, fail_after }
    }

    pub fn count(&mut self, rows: usize) -> StoreResult<()> {
        self.done += rows as u64;
        match self.fail_after {
            Some(limit) if self.done >= limit => Err(StoreError::InjectedFault { writes: self.done }),
            _ => Ok(()),
        }
    }
}

/// The scope's id and generation, registering the scope on first sight.
fn scope_of(tx: &Transaction, source: &str, scope: &str) -> StoreResult<(i64, i64)> {
    tx.execute("INSERT INTO scopes (source, scope) VALUES (?1, ?2) ON CONFLICT DO NOTHING", params![source, scope])
        .map_err(backend("registering a scope"))?;
    tx.query_row("SELECT id, generation FROM scopes WHERE source = ?1 AND scope = ?2", params![source, scope], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .map_err(backend("reading a scope"))
}

fn latest_committed_day(tx: &Transaction, scope: i64) -> StoreResult<Option<Day>> {
    tx.query_row("SELECT max(day) FROM runs WHERE scope = ?1 AND status IN ('complete', 'partial')", [scope], |row| {
        row.get::<_, Option<i32>>(0)
    })
    .map(|day| day.map(Day))
    .map_err(backend("reading the latest day of a scope"))
}

fn rollback_day(tx: &Transaction, scope: i64, day: Day, writes: &mut Writes) -> StoreResult<()> {
    for statement in ROLLBACK_DAY.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let rows = tx
            .prepare_cached(statement)
            .and_then(|mut s| s.execute(params![scope, day.0, Day::OPEN.0]))
            .map_err(backend("rolling back the day being re-run"))?;
        writes.count(rows)?;
    }
    Ok(())
}

fn write_facts(
    tx: &Transaction,
    scope: i64,
    obs: &Observation,
    ids: &[i64],
    unobserved: &FxHashSet<i64>,
    versions: &mut OpenVersions,
    writes: &mut Writes,
) -> StoreResult<RunCounts> {
    let observed: Vec<(i64, i64)> = obs.entities.iter().zip(ids).map(|(e, &id)| (id, content_hash(&e.attrs))).collect();
    let plan = diff(&observed, &versions.facts, |entity| obs.complete && !unobserved.contains(entity));
    close_versions(
        tx,
        "UPDATE facts SET valid_to = ?2 WHERE id = ?1",
        plan.to_close.iter().map(|c| c.1),
        obs.day,
        writes,
    )?;
    for (entity, _) in &plan.to_close {
        versions.facts.remove(entity);
    }
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO facts (entity, scope, attrs, hash, valid_from, valid_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(backend("writing facts"))?;
    for &index in &plan.to_open {
        let (entity, hash) = observed[index];
        let attrs = serde_json::to_string(&obs.entities[index].attrs).expect("JSON values always serialise");
        insert
            .execute(params![entity, scope, attrs, hash, obs.day.0, Day::OPEN.0])
            .map_err(backend("writing facts"))?;
        writes.count(1)?;
        versions.facts.insert(entity, (tx.last_insert_rowid(), hash));
    }
    Ok(plan.counts)
}

#[allow(clippy::too_many_arguments)]
fn write_relations(
    tx: &Transaction,
    scope: i64,
    obs: &Observation,
    ends: &[(i64, i64)],
    unobserved: &FxHashSet<i64>,
    kinds: &mut Kinds,
    versions: &mut OpenVersions,
    writes: &mut Writes,
) -> StoreResult<RunCounts> {
    let observed: Vec<(EdgeId, i64)> = obs
        .relations
        .iter()
        .zip(ends)
        .map(|(r, &(from, to))| ((from, to, kinds.number(&r.kind)), content_hash(&r.attrs)))
        .collect();
    let plan = diff(&observed, &versions.relations, |(from, _, _)| obs.complete && !unobserved.contains(from));
    close_versions(
        tx,
        "UPDATE relations SET valid_to = ?2 WHERE id = ?1",
        plan.to_close.iter().map(|c| c.1),
        obs.day,
        writes,
    )?;
    for (edge, _) in &plan.to_close {
        versions.relations.remove(edge);
    }
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO relations (from_id, to_id, kind, scope, attrs, hash, valid_from, valid_to) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(backend("writing relations"))?;
    for &index in &plan.to_open {
        let relation = &obs.relations[index];
        let (edge, hash) = observed[index];
        let attrs = serde_json::to_string(&relation.attrs).expect("JSON values always serialise");
        insert
            .execute(params![edge.0, edge.1, relation.kind, scope, attrs, hash, obs.day.0, Day::OPEN.0])
            .map_err(backend("writing relations"))?;
        writes.count(1)?;
        versions.relations.insert(edge, (tx.last_insert_rowid(), hash));
    }
    Ok(plan.counts)
}

fn close_versions(
    tx: &Transaction,
    sql: &str,
    versions: impl Iterator<Item = i64>,
    day: Day,
    writes: &mut Writes,
) -> StoreResult<()> {
    let mut close = tx.prepare_cached(sql).map_err(backend("closing versions"))?;
    for version in versions {
        close.execute(params![version, day.0]).map_err(backend("closing versions"))?;
        writes.count(1)?;
    }
    Ok(())
}

/// Inserts or replaces the run of (scope, day); returns its attempt count.
fn upsert_run(tx: &Transaction, scope: i64, run: &Run) -> StoreResult<u32> {
    let c = run.counts;
    tx.prepare_cached(UPSERT_RUN)
        .and_then(|mut s| {
            s.query_row(
                params![
                    scope,
                    run.day.0,
                    run.status.as_str(),
                    c.added as i64,
                    c.changed as i64,
                    c.closed as i64,
                    c.unchanged as i64,
                    run.started_at_ms,
                    run.duration_ms,
                    run.error,
                    (!run.warnings.is_empty()).then(|| serde_json::Value::from(run.warnings.clone()).to_string())
                ],
                |row| row.get(0),
            )
        })
        .map_err(backend("recording the run"))
}

/// The crash test's kill point (tests/crash.rs): with
/// `SPOT_TEST_CRASH_POINT=<file>`, an ingest whose writes are all done but not
/// committed creates `<file>` and waits there to be killed, so the test kills
/// it mid-write every time rather than when the clock happens to say. With
/// `SPOT_TEST_CRASH_AFTER=<n>` too, the first `n` ingest transactions of the
/// process commit and the next one stops there (a killed `spot generate`
/// with `n` whole days behind it).
fn crash_point() {
    static COMMITTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let Some(marker) = std::env::var_os("SPOT_TEST_CRASH_POINT") else { return };
    let after = std::env::var("SPOT_TEST_CRASH_AFTER").ok().and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
    if COMMITTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < after {
        return;
    }
    if std::fs::write(&marker, b"writes done, not committed\n").is_ok() {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
}
