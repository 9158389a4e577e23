//! Export and import of a whole history (see `crate::transfer`).

use rustc_hash::FxHashSet;
use serde_json::{json, Value};
use tokio::sync::mpsc::{Receiver, Sender};

use super::queries;
use super::read::{event_from, run_from};
use super::requests::OnDuplicate;
use super::{day, keys, object, text, Inner};
use crate::ingest::content_hash;
use crate::model::RunStatus;
use crate::store::{StoreError, StoreResult};
use crate::transfer::{Imported, Incoming, Record};

/// The collections a history lives in.
const HISTORY: [&str; 7] = ["entities", "facts", "relations", "runs", "events", "actions", "watch_memory"];

/// Streams every record into `sink`, read in one stream transaction: the
/// export is the store as of one instant (on a single server or a OneShard
/// database), even while it ingests.
pub async fn export(store: &Inner, sink: Sender<Record>) -> StoreResult<()> {
    let transaction = store.client.begin_read(&HISTORY).await?;
    let result = export_in(store, &sink, &transaction).await;
    store.client.end_read(&transaction).await;
    result
}

async fn export_in(store: &Inner, sink: &Sender<Record>, transaction: &str) -> StoreResult<()> {
    send(sink, Record::header()).await?;
    for query in queries::export() {
        let mut cursor = store.client.cursor(&query, Some(transaction)).await?;
        while let Some(rows) = cursor.next().await? {
            for row in rows {
                send(sink, record(query.name, &row)?).await?;
            }
        }
    }
    Ok(())
}

fn record(query: &str, row: &Value) -> StoreResult<Record> {
    let doing = "exporting";
    let until = |name: &str| day(row, name, doing).map(|d| (!d.is_open()).then_some(d));
    Ok(match query {
        "export_entities" => Record::Entity {
            key: text(row, "key", doing)?,
            kind: text(row, "kind", doing)?,
            name: text(row, "name", doing)?,
        },
        "export_facts" => Record::Fact {
            entity: text(row, "entity", doing)?,
            source: text(row, "source", doing)?,
            scope: text(row, "scope", doing)?,
            attrs: object(row, "attrs"),
            valid_from: day(row, "valid_from", doing)?,
            valid_to: until("valid_to")?,
        },
        "export_relations" => Record::Relation {
            from: text(row, "from", doing)?,
            to: text(row, "to", doing)?,
            kind: text(row, "kind", doing)?,
            source: text(row, "source", doing)?,
            scope: text(row, "scope", doing)?,
            attrs: object(row, "attrs"),
            valid_from: day(row, "valid_from", doing)?,
            valid_to: until("valid_to")?,
        },
        "export_runs" => Record::from(run_from(row)?),
        "export_actions" => Record::Action(super::actions::action_from(row)?),
        "export_watch_memory" => Record::WatchMemory(super::actions::memory_from(row)?),
        _ => Record::DeployEvent(event_from(row)?),
    })
}

async fn send(sink: &Sender<Record>, record: Record) -> StoreResult<()> {
    sink.send(record).await.map_err(|_| StoreError::Backend {
        doing: "exporting".into(),
        source: "the reader of the export went away".into(),
    })
}

/// Documents per import request.
const BATCH: usize = 5000;

/// Reads records into an empty database. All or nothing: on any error the
/// history collections are emptied again (they were empty before).
pub async fn import(store: &Inner, mut records: Receiver<Incoming>) -> StoreResult<Imported> {
    let held = store.query_one(queries::holds_history()).await?.and_then(|v| v.as_u64()).unwrap_or(0);
    if held > 0 {
        return Err(StoreError::BadRequest("an import needs an empty store, and this one holds a history".into()));
    }
    let mut importer = Importer::default();
    let result = importer.run(store, &mut records).await;
    if result.is_err() {
        for collection in HISTORY {
            if let Err(e) = store.client.truncate(collection).await {
                tracing::error!(collection, error = %e, "could not empty a collection after a failed import");
            }
        }
    }
    result
}

#[derive(Default)]
struct Importer {
    entities: FxHashSet<String>,
    /// Documents waiting to be sent, per collection of [`HISTORY`].
    batches: [Vec<Value>; 7],
    counts: Imported,
}

impl Importer {
    async fn run(&mut self, store: &Inner, records: &mut Receiver<Incoming>) -> StoreResult<Imported> {
        let mut number = 0u64;
        while let Some(incoming) = records.recv().await {
            number += 1;
            let record = incoming?;
            let (slot, document) = self
                .document(record)
                .map_err(|problem| StoreError::BadRequest(format!("record {number}: {problem}")))?;
            if let Some(slot) = slot {
                self.batches[slot].push(document);
                if self.batches[slot].len() >= BATCH {
                    self.flush(store, slot, number).await?;
                }
            }
        }
        for slot in 0..HISTORY.len() {
            self.flush(store, slot, number).await?;
        }
        Ok(self.counts)
    }

    async fn flush(&mut self, store: &Inner, slot: usize, number: u64) -> StoreResult<()> {
        let documents = std::mem::take(&mut self.batches[slot]);
        store.client.import(HISTORY[slot], &documents, OnDuplicate::Error).await.map_err(|e| {
            StoreError::BadRequest(format!("records up to {number}: {} refused them: {e}", HISTORY[slot]))
        })?;
        Ok(())
    }

    /// The document a record becomes, and the collection (by slot) it goes to.
    fn document(&mut self, record: Record) -> Result<(Option<usize>, Value), String> {
        Ok(match record {
            Record::Header { .. } => (None, Value::Null),
            Record::Entity { key, kind, name } => {
                if !self.entities.insert(key.clone()) {
                    return Err(format!("entity {key} appears twice"));
                }
                self.counts.entities += 1;
                (Some(0), json!({ "_key": keys::anchor(&key), "key": key, "kind": kind, "name": name }))
            }
            Record::Fact { entity, source, scope, attrs, valid_from, valid_to } => {
                self.known(&entity)?;
                let valid_to = crate::transfer::checked_range(valid_from, valid_to).map_err(|e| e.to_string())?;
                let hash = content_hash(&attrs);
                self.counts.fact_versions += 1;
                let key = keys::version('f', &[&entity, &source, &scope], valid_from.0, hash);
                let document = json!({
                    "_key": key, "entity": entity, "source": source, "scope": scope, "attrs": attrs,
                    "hash": keys::hash_text(hash), "valid_from": valid_from.0, "valid_to": valid_to.0,
                });
                (Some(1), document)
            }
            Record::Relation { from, to, kind, source, scope, attrs, valid_from, valid_to } => {
                self.known(&from)?;
                self.known(&to)?;
                let valid_to = crate::transfer::checked_range(valid_from, valid_to).map_err(|e| e.to_string())?;
                let hash = content_hash(&attrs);
                self.counts.relation_versions += 1;
                let key = keys::version('r', &[&from, &to, &kind, &source, &scope], valid_from.0, hash);
                let document = json!({
                    "_key": key, "_from": keys::anchor_id(&from), "_to": keys::anchor_id(&to),
                    "from": from, "to": to, "kind": kind, "source": source, "scope": scope, "attrs": attrs,
                    "hash": keys::hash_text(hash), "valid_from": valid_from.0, "valid_to": valid_to.0,
                });
                (Some(2), document)
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
                if RunStatus::parse(&status).is_none_or(|s| s == RunStatus::Running) {
                    return Err(format!("'{status}' is not the status of a finished run"));
                }
                self.counts.runs += 1;
                let document = json!({
                    "_key": keys::run(&source, &scope, day.0), "source": source, "scope": scope, "day": day.0,
                    "status": status, "added": added, "changed": changed, "closed": closed, "unchanged": unchanged,
                    "started_at_ms": started_at_ms, "duration_ms": duration_ms, "error": error,
                    "attempts": attempts, "warnings": warnings,
                });
                (Some(3), document)
            }
            Record::DeployEvent(event) => {
                self.counts.deploy_events += 1;
                (Some(4), super::read::event_document(&event))
            }
            Record::Action(action) => {
                self.counts.actions += 1;
                (Some(5), super::actions::action_document(&action))
            }
            Record::WatchMemory(memory) => {
                self.counts.watch_memory += 1;
                (Some(6), super::actions::memory_document(&memory))
            }
        })
    }

    fn known(&self, key: &str) -> Result<(), String> {
        if self.entities.contains(key) {
            return Ok(());
        }
        Err(format!("{key} is not an entity of this history (entities come first)"))
    }
}
