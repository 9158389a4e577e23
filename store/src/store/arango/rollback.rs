//! `spot rollback` on ArangoDB. Under the scope's ingest lease (so no
//! ingest of the scope runs meanwhile), once the scope's attempts in flight
//! are settled, every step runs in one stream transaction: readers see the
//! scope as it was until the commit, and a failure or a crash part-way
//! leaves nothing of it. The transaction is bounded by the server's
//! stream-transaction limits (`--transaction.streaming-max-transaction-size`,
//! idle timeout): a rollback over a very long stretch of a big scope can
//! exceed them, and then fails whole (roll back from a later day first).

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::attempt::IngestLease;
use super::queries::{self, Versions};
use super::{int, keys, text, write, Inner};
use crate::model::{Day, Rollback};
use crate::store::{StoreError, StoreResult};

/// Every collection the rollback writes.
const WRITES: &[&str] = &["facts", "relations", "runs", "entities", "rollbacks"];

pub async fn rollback(store: &Inner, source: &str, scope: &str, day: Day) -> StoreResult<Rollback> {
    let lease = IngestLease::take(store, source, scope).await?;
    let result = rollback_leased(store, source, scope, day).await;
    lease.release(store).await;
    result
}

async fn rollback_leased(store: &Inner, source: &str, scope: &str, day: Day) -> StoreResult<Rollback> {
    write::settle_scope(store, source, scope).await?;
    let transaction = store.client.begin_write(WRITES).await?;
    let undone = undo(store, &transaction, Rollback::nothing(source, scope, day, now_ms())).await;
    match undone {
        Ok(done) if !done.changed_nothing() => {
            store.client.commit(&transaction).await?;
            Ok(done)
        }
        other => {
            store.client.abort(&transaction).await;
            other
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The steps, in the rollback's transaction; recorded when they changed
/// something.
async fn undo(store: &Inner, transaction: &str, mut done: Rollback) -> StoreResult<Rollback> {
    let (source, scope, day) = (done.source.clone(), done.scope.clone(), done.day);
    let run = |query: queries::Query| async move { store.client.query(&query, Some(transaction)).await };
    let mut anchors = BTreeSet::new();
    let facts = run(queries::rollback_versions(Versions::Facts, &source, &scope, day)).await?;
    done.facts_deleted = facts.len() as u64;
    anchors.extend(facts.iter().filter_map(Value::as_str).map(keys::anchor));
    let relations = run(queries::rollback_versions(Versions::Relations, &source, &scope, day)).await?;
    done.relations_deleted = relations.len() as u64;
    let ends = relations.iter().filter_map(Value::as_array).flatten();
    anchors.extend(ends.filter_map(Value::as_str).map(keys::anchor));
    done.facts_reopened = count(run(queries::reopen_versions(Versions::Facts, &source, &scope, day)).await?);
    done.relations_reopened = count(run(queries::reopen_versions(Versions::Relations, &source, &scope, day)).await?);
    done.runs = count(run(queries::rollback_runs(&source, &scope, day)).await?);
    let anchors: Vec<String> = anchors.into_iter().collect();
    if !anchors.is_empty() {
        done.entities_deleted = count(run(queries::drop_orphan_anchors(&anchors)).await?);
    }
    if !done.changed_nothing() {
        run(queries::record_rollback(record(&done))).await?;
    }
    Ok(done)
}

/// The one number a counting query returns.
fn count(rows: Vec<Value>) -> u64 {
    rows.first().and_then(Value::as_u64).unwrap_or(0)
}

fn record(done: &Rollback) -> Value {
    json!({
        "source": done.source, "scope": done.scope, "day": done.day.0, "at_ms": done.at_ms,
        "runs": done.runs, "facts_deleted": done.facts_deleted, "relations_deleted": done.relations_deleted,
        "facts_reopened": done.facts_reopened, "relations_reopened": done.relations_reopened,
        "entities_deleted": done.entities_deleted,
    })
}

/// Every recorded rollback, newest first.
pub async fn rollbacks(store: &Inner) -> StoreResult<Vec<Rollback>> {
    let doing = "reading rollbacks";
    let rows = store.query(queries::rollbacks()).await?;
    rows.iter().map(|row| rollback_from(row, doing)).collect()
}

fn rollback_from(row: &Value, doing: &str) -> StoreResult<Rollback> {
    let count = |name: &str| -> StoreResult<u64> {
        u64::try_from(int(row, name, doing)?).map_err(|_| StoreError::Backend {
            doing: doing.to_string(),
            source: format!("'{name}' is negative in a rollback record").into(),
        })
    };
    Ok(Rollback {
        source: text(row, "source", doing)?,
        scope: text(row, "scope", doing)?,
        day: super::day(row, "day", doing)?,
        at_ms: int(row, "at_ms", doing)?,
        runs: count("runs")?,
        facts_deleted: count("facts_deleted")?,
        relations_deleted: count("relations_deleted")?,
        facts_reopened: count("facts_reopened")?,
        relations_reopened: count("relations_reopened")?,
        entities_deleted: count("entities_deleted")?,
    })
}
