//! Actions on workloads and the Kubernetes watch's memory. A batch is one
//! stream transaction over both collections: a restart never finds actions
//! without the memory that explains them, or the other way round.

use serde_json::{json, Value};
use xxhash_rust::xxh3::xxh3_128;

use super::queries;
use super::{int, object, text, Inner};
use crate::model::*;
use crate::store::{StoreError, StoreResult};

/// The collections a batch writes.
const WRITES: &[&str] = &["actions", "watch_memory"];

pub async fn record(store: &Inner, batch: &ActionBatch) -> StoreResult<ActionsRecorded> {
    let transaction = store.client.begin_write(WRITES).await?;
    match record_in(store, &transaction, batch).await {
        Ok(recorded) => {
            store.client.commit(&transaction).await?;
            Ok(recorded)
        }
        Err(e) => {
            store.client.abort(&transaction).await;
            Err(e)
        }
    }
}

async fn record_in(store: &Inner, transaction: &str, batch: &ActionBatch) -> StoreResult<ActionsRecorded> {
    let mut recorded = ActionsRecorded::default();
    if !batch.actions.is_empty() {
        // `counted` tells the query how to treat a key already recorded;
        // it is not stored.
        let documents = batch
            .actions
            .iter()
            .map(|action| {
                let mut document = action_document(action);
                document["counted"] = action.is_counted().into();
                document
            })
            .collect();
        let outcomes = store.client.query(&queries::record_actions(documents), Some(transaction)).await?;
        for outcome in outcomes {
            match outcome.as_str() {
                Some("inserted") => recorded.inserted += 1,
                Some("counted") => recorded.counted += 1,
                _ => recorded.already += 1,
            }
        }
    }
    if !batch.remember.is_empty() {
        let documents = batch.remember.iter().map(memory_document).collect();
        store.client.query(&queries::remember_watch(documents), Some(transaction)).await?;
    }
    if !batch.forget.is_empty() {
        let keys = batch.forget.iter().map(|(cluster, uid)| memory_key(cluster, uid)).collect();
        store.client.query(&queries::forget_watch(keys), Some(transaction)).await?;
    }
    Ok(recorded)
}

/// `a` + a hash of (cluster, key): actions' keys hold `/` and may be long.
pub fn action_key(cluster: &str, key: &str) -> String {
    format!("a{:032x}", xxh3_128(format!("{}:{cluster}|{key}", cluster.len()).as_bytes()))
}

fn memory_key(cluster: &str, uid: &str) -> String {
    format!("m{:032x}", xxh3_128(format!("{}:{cluster}|{uid}", cluster.len()).as_bytes()))
}

pub fn action_document(action: &Action) -> Value {
    json!({
        "_key": action_key(&action.cluster, &action.key),
        "cluster": action.cluster, "key": action.key, "namespace": action.namespace,
        "workload": action.workload, "service": action.service, "kind": action.kind.as_str(),
        "at_ms": action.at.timestamp_millis(), "last_ms": action.last_at.timestamp_millis(),
        "count": action.count, "actor": action.actor, "details": action.details,
    })
}

pub fn memory_document(memory: &Remembered) -> Value {
    json!({
        "_key": memory_key(&memory.cluster, &memory.uid),
        "cluster": memory.cluster, "uid": memory.uid, "state": memory.state,
    })
}

pub fn action_from(row: &Value) -> StoreResult<Action> {
    let doing = "reading actions";
    let kind = text(row, "kind", doing)?;
    let instant =
        |name: &str| int(row, name, doing).map(|ms| chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default());
    Ok(Action {
        cluster: text(row, "cluster", doing)?,
        key: text(row, "key", doing)?,
        namespace: text(row, "namespace", doing)?,
        workload: text(row, "workload", doing)?,
        service: row.get("service").and_then(Value::as_str).map(str::to_string),
        kind: kind.parse().map_err(|e: UnknownKind| StoreError::Backend { doing: doing.into(), source: e.into() })?,
        at: instant("at_ms")?,
        last_at: instant("last_ms")?,
        count: int(row, "count", doing)?.max(0) as u64,
        actor: row.get("actor").and_then(Value::as_str).map(str::to_string),
        details: object(row, "details"),
    })
}

type UnknownKind = spot_model::action::UnknownActionKind;

pub fn memory_from(row: &Value) -> StoreResult<Remembered> {
    let doing = "reading the watch's memory";
    Ok(Remembered {
        cluster: text(row, "cluster", doing)?,
        uid: text(row, "uid", doing)?,
        state: row.get("state").cloned().unwrap_or(Value::Null),
    })
}

pub async fn select(store: &Inner, filter: &ActionFilter) -> StoreResult<Vec<Action>> {
    store.query(queries::actions(filter)).await?.iter().map(action_from).collect()
}

pub async fn remembered(store: &Inner, cluster: &str) -> StoreResult<Vec<Remembered>> {
    store.query(queries::remembered(cluster)).await?.iter().map(memory_from).collect()
}

pub async fn prune(store: &Inner, before: chrono::DateTime<chrono::Utc>) -> StoreResult<u64> {
    let removed = store.query_one(queries::prune_actions(before.timestamp_millis())).await?;
    let removed = removed.and_then(|v| v.as_u64()).unwrap_or(0);
    tracing::info!(before = %before.to_rfc3339(), actions = removed, "pruned actions");
    Ok(removed)
}
