//! Rules 2 to 5 of the ingest contract on ArangoDB: one attempt per run,
//! its versions written in batches under deterministic keys, committed by
//! one write (see `attempt`).

use std::time::Instant;

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{json, Value};
use spot_model::Observation;

use super::attempt::{self, IngestLease, Pending};
use super::plan::{plan_facts, plan_relations, Stored};
use super::queries::{self, Versions};
use super::requests::OnDuplicate;
use super::{keys, text, Inner};
use crate::ingest::batch;
use crate::model::*;
use crate::store::{BatchError, Refusal, StoreError, StoreResult};

/// Documents per request.
const BATCH: usize = 5000;

pub async fn ingest(store: &Inner, obs: &Observation) -> StoreResult<Run> {
    let lease = IngestLease::take(store, &obs.source, &obs.scope).await?;
    let result = ingest_leased(store, obs, &lease).await;
    lease.release(store).await;
    result
}

async fn ingest_leased(store: &Inner, obs: &Observation, lease: &IngestLease) -> StoreResult<Run> {
    let started = Instant::now();
    let started_at_ms = chrono::Utc::now().timestamp_millis();
    if let Some(latest) = settle_scope(store, &obs.source, &obs.scope).await? {
        if obs.day < latest {
            return Err(older_day(&obs.source, &obs.scope, obs.day, latest));
        }
    }
    let token = keys::token();
    let run_key = keys::run(&obs.source, &obs.scope, obs.day.0);
    let mut writes = Writes::new(store.options.fail_after_writes);
    store.query(queries::start_attempt(&run_key, &obs.source, &obs.scope, obs.day, &token)).await?;
    writes.count(1)?;
    write_anchors(store, obs, &token, &mut writes).await?;
    lease.keep(store).await?;
    let unobserved: FxHashSet<&str> = obs.unobserved.iter().map(String::as_str).collect();
    let may_close = |owner: &str| obs.complete && !unobserved.contains(owner);
    let facts = load(store, Versions::Facts, obs).await?;
    let mut plan = plan_facts(obs, facts, &token, &may_close);
    let relations = load(store, Versions::Relations, obs).await?;
    let relation_plan = plan_relations(obs, relations, &token, &may_close);
    write_plan(store, Versions::Facts, plan.marks, plan.opens, &mut writes, lease).await?;
    write_plan(store, Versions::Relations, relation_plan.marks, relation_plan.opens, &mut writes, lease).await?;
    plan.counts.add(relation_plan.counts);
    let run = Run {
        source: obs.source.clone(),
        scope: obs.scope.clone(),
        day: obs.day,
        status: if obs.complete { RunStatus::Complete } else { RunStatus::Partial },
        counts: plan.counts,
        started_at_ms,
        duration_ms: started.elapsed().as_millis() as i64,
        error: None,
        attempts: 1,
        warnings: obs.warnings.clone(),
    };
    let attempts = commit(store, &run_key, &token, &run).await?;
    if let Err(e) = attempt::apply(store, &run_key, &token).await {
        // Committed all the same: readers already see the run whole, and
        // the next ingest of the scope finishes this.
        tracing::warn!(collector.name = %run.source, snapshot.scope = %run.scope, error = %e, "run committed; tidying it up failed");
    }
    tracing::debug!(
        collector.name = %run.source, snapshot.scope = %run.scope, snapshot.day = %run.day,
        added = run.counts.added, changed = run.counts.changed, closed = run.counts.closed, "ingested run"
    );
    Ok(Run { attempts, ..run })
}

/// Several observations in order (`spot ingest a.json b.json`). ArangoDB
/// commits each run on its own (see `attempt`), so a batch cannot be one
/// transaction; instead every rule that can refuse an observation is
/// checked for the whole batch first (valid, within the future-day
/// allowance, and no older than its scope's latest day given the store and
/// the observations before it), so a refused batch writes nothing. A
/// failure of the server part-way leaves the runs before it committed, and
/// says how many.
pub async fn ingest_batch(store: &Inner, observations: &[Observation]) -> Result<Vec<Run>, BatchError> {
    batch::check_each(observations, &store.options.ingest)?;
    let mut latest = FxHashMap::default();
    for (source, scope) in batch::scopes(observations) {
        let day = latest_committed_day(store, &source, &scope).await.map_err(|error| BatchError {
            index: None,
            written: 0,
            error,
        })?;
        if let Some(day) = day {
            latest.insert((source, scope), day);
        }
    }
    batch::check_order(observations, latest)?;
    let mut runs = Vec::with_capacity(observations.len());
    for (index, observation) in observations.iter().enumerate() {
        match ingest(store, observation).await {
            Ok(run) => runs.push(run),
            Err(error) => return Err(BatchError { index: Some(index), written: index, error }),
        }
    }
    Ok(runs)
}

/// Finishes or undoes what earlier attempts at this scope left in flight;
/// returns the scope's latest committed day (which settling never changes).
pub(super) async fn settle_scope(store: &Inner, source: &str, scope: &str) -> StoreResult<Option<Day>> {
    let state = store.query_one(queries::scope_state(source, scope)).await?.unwrap_or(Value::Null);
    for row in state.get("pending").and_then(Value::as_array).into_iter().flatten() {
        attempt::settle(store, &Pending::from_row(row, source, scope)?).await?;
    }
    Ok(state.get("latest").and_then(Value::as_i64).map(|d| Day(d as i32)))
}

pub(super) async fn latest_committed_day(store: &Inner, source: &str, scope: &str) -> StoreResult<Option<Day>> {
    let state = store.query_one(queries::scope_state(source, scope)).await?.unwrap_or(Value::Null);
    Ok(state.get("latest").and_then(Value::as_i64).map(|d| Day(d as i32)))
}

fn older_day(source: &str, scope: &str, day: Day, latest: Day) -> StoreError {
    StoreError::Refused(Refusal::OlderDay { collector: source.to_string(), scope: scope.to_string(), day, latest })
}

/// The one write that commits: returns the run's attempt count.
async fn commit(store: &Inner, run_key: &str, token: &str, run: &Run) -> StoreResult<u32> {
    let record = json!({
        "status": run.status.as_str(),
        "added": run.counts.added,
        "changed": run.counts.changed,
        "closed": run.counts.closed,
        "unchanged": run.counts.unchanged,
        "started_at_ms": run.started_at_ms,
        "duration_ms": run.duration_ms,
        "error": null,
        "warnings": run.warnings,
    });
    let committed = store.query_one(queries::commit_attempt(run_key, token, record)).await?;
    committed.and_then(|n| n.as_u64()).map(|n| n as u32).ok_or_else(|| StoreError::Backend {
        doing: "committing an ingest".into(),
        source: "another process undid this attempt before it committed; run it again".into(),
    })
}

/// Creates the anchors the observation mentions that do not exist, and
/// renames those whose observed name changed. Anchors are not versioned:
/// a rename shows at once. New anchors carry the token, so the entity count
/// leaves them out until the attempt commits.
async fn write_anchors(store: &Inner, obs: &Observation, token: &str, writes: &mut Writes) -> StoreResult<()> {
    let mut wanted: FxHashMap<&str, (String, String, bool)> = FxHashMap::default();
    for entity in &obs.entities {
        wanted.insert(&entity.key, (entity.kind.clone(), entity.name.clone(), true));
    }
    for relation in &obs.relations {
        for key in [&relation.from, &relation.to] {
            wanted.entry(key).or_insert_with(|| {
                let (kind, name) = key.split_once(':').unwrap_or(("unknown", key));
                (kind.to_string(), name.to_string(), false)
            });
        }
    }
    let mut names: FxHashMap<String, String> = FxHashMap::default();
    let all: Vec<String> = wanted.keys().map(|key| keys::anchor(key)).collect();
    for chunk in all.chunks(BATCH) {
        for row in store.query(queries::anchors_of(chunk)).await? {
            let doing = "reading anchors";
            names.insert(text(&row, "id", doing)?, text(&row, "name", doing)?);
        }
    }
    let (mut created, mut renamed) = (Vec::new(), Vec::new());
    let mut sorted: Vec<_> = wanted.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    for (key, (kind, name, observed)) in sorted {
        let anchor = keys::anchor(key);
        match names.get(&anchor) {
            None => created.push(json!({ "_key": anchor, "key": key, "kind": kind, "name": name, "run": token })),
            Some(stored) if observed && *stored != name => renamed.push(json!({ "_key": anchor, "name": name })),
            Some(_) => {}
        }
    }
    for chunk in created.chunks(BATCH) {
        store.client.insert_missing("entities", chunk.to_vec()).await?;
        writes.count(chunk.len())?;
    }
    for chunk in renamed.chunks(BATCH) {
        store.client.update_many("entities", chunk.to_vec()).await?;
        writes.count(chunk.len())?;
    }
    Ok(())
}

async fn load(store: &Inner, versions: Versions, obs: &Observation) -> StoreResult<Vec<(Vec<String>, Stored)>> {
    let doing = "reading open versions";
    let rows = store.query(queries::open_versions(versions, &obs.source, &obs.scope, obs.day)).await?;
    let mut loaded = Vec::with_capacity(rows.len());
    for row in rows {
        let identity = match versions {
            Versions::Facts => vec![text(&row, "entity", doing)?],
            Versions::Relations => {
                vec![text(&row, "from", doing)?, text(&row, "to", doing)?, text(&row, "kind", doing)?]
            }
        };
        let hash = u64::from_str_radix(&text(&row, "hash", doing)?, 16).map_err(|e| StoreError::Backend {
            doing: doing.into(),
            source: format!("a stored hash is not hex: {e}").into(),
        })? as i64;
        let stored = Stored {
            key: text(&row, "id", doing)?,
            hash,
            valid_from: super::day(&row, "valid_from", doing)?,
            valid_to: super::day(&row, "valid_to", doing)?,
        };
        loaded.push((identity, stored));
    }
    Ok(loaded)
}

async fn write_plan(
    store: &Inner,
    versions: Versions,
    marks: Vec<Value>,
    opens: Vec<Value>,
    writes: &mut Writes,
    lease: &IngestLease,
) -> StoreResult<()> {
    let collection = match versions {
        Versions::Facts => "facts",
        Versions::Relations => "relations",
    };
    for chunk in marks.chunks(BATCH) {
        store.client.update_many(collection, chunk.to_vec()).await?;
        writes.count(chunk.len())?;
    }
    for chunk in opens.chunks(BATCH) {
        // Replace: what a crashed attempt left under the same key is overwritten.
        store.client.import(collection, chunk, OnDuplicate::Replace).await?;
        writes.count(chunk.len())?;
        lease.keep(store).await?;
    }
    Ok(())
}

/// Counts document writes; the test hook stops the ingest at the N-th.
struct Writes {
    done: u64,
    fail_after: Option<u64>,
}

impl Writes {
    fn new(fail_after: Option<u64>) -> Writes {
        Writes { done: 0, fail_after }
    }

    fn count(&mut self, documents: usize) -> StoreResult<()> {
        self.done += documents as u64;
        match self.fail_after {
            Some(limit) if self.done >= limit => Err(StoreError::InjectedFault { writes: self.done }),
            _ => Ok(()),
        }
    }
}

/// Rule 3: a failed run writes no versions. A failure after a committed
/// run of the same day leaves that run in place, one attempt more.
pub async fn record_failure(store: &Inner, source: &str, scope: &str, day: Day, error: &str) -> StoreResult<Run> {
    if let Some(latest) = latest_committed_day(store, source, scope).await? {
        if day < latest {
            return Err(older_day(source, scope, day, latest));
        }
    }
    let run_key = keys::run(source, scope, day.0);
    let failed = json!({
        "_key": run_key, "source": source, "scope": scope, "day": day.0, "status": "failed",
        "added": 0, "changed": 0, "closed": 0, "unchanged": 0,
        "started_at_ms": chrono::Utc::now().timestamp_millis(), "duration_ms": 0,
        "error": error, "attempts": 1, "warnings": [],
    });
    let note = format!("a later attempt failed: {error}");
    let row = store.query_one(queries::record_failure(&run_key, failed, &note)).await?.ok_or_else(|| {
        StoreError::Backend { doing: "recording a failed run".into(), source: "no run record came back".into() }
    })?;
    tracing::debug!(collector.name = %source, snapshot.scope = %scope, snapshot.day = %day, error, "recorded failed run");
    super::read::run_from(&row)
}

pub async fn prune(store: &Inner, source: &str, closed_before: Day) -> StoreResult<Pruned> {
    let count = |row: Option<Value>| row.and_then(|v| v.as_u64()).unwrap_or(0);
    let facts = count(store.query_one(queries::prune(Versions::Facts, source, closed_before)).await?);
    let relations = count(store.query_one(queries::prune(Versions::Relations, source, closed_before)).await?);
    tracing::info!(collector.name = source, closed_before = %closed_before, facts, relations, "pruned closed versions");
    Ok(Pruned { fact_versions: facts, relation_versions: relations })
}
