//! The life of an ingest attempt, and the leases that keep two writers off
//! one scope.
//!
//! An attempt is named by a token in its run document (`pending_token`):
//! - "writing": readers hide every version it opened (`run` = token) and
//!   ignore its pending closes and reopens (`pending_by` = token);
//! - "applying": committed, so readers count all of it, while its pending
//!   changes are written into `valid_to` (changes nothing readers see);
//! - then the run document no longer names it.
//!
//! An attempt left "writing" by a crash is undone, and one left "applying"
//! is finished, by the next ingest of its scope or by `spot migrate`.

use serde_json::Value;

use super::queries::{self, Versions};
use super::{text, Inner};
use crate::model::Day;
use crate::store::{StoreError, StoreResult};

/// How long an ingest holds its scope before another process may take it
/// over; renewed between batches.
const INGEST_LEASE_MS: i64 = 15 * 60 * 1000;

/// An attempt still named by its run document.
#[derive(Debug, Clone)]
pub struct Pending {
    pub run: String,
    pub source: String,
    pub scope: String,
    pub day: Day,
    pub token: String,
    pub writing: bool,
}

impl Pending {
    pub fn from_row(row: &Value, source: &str, scope: &str) -> StoreResult<Pending> {
        let doing = "reading attempts in flight";
        Ok(Pending {
            run: text(row, "run", doing)?,
            source: row.get("source").and_then(Value::as_str).unwrap_or(source).to_string(),
            scope: row.get("scope").and_then(Value::as_str).unwrap_or(scope).to_string(),
            day: super::day(row, "day", doing)?,
            token: text(row, "token", doing)?,
            writing: text(row, "stage", doing)? == "writing",
        })
    }
}

/// Finishes a committed attempt (or undoes one that never committed), so
/// the scope is settled before a new attempt starts.
pub async fn settle(store: &Inner, pending: &Pending) -> StoreResult<()> {
    if pending.writing {
        undo(store, pending).await?;
        tracing::info!(
            collector.name = %pending.source, snapshot.scope = %pending.scope, snapshot.day = %pending.day,
            "undid an ingest attempt that never committed"
        );
        return Ok(());
    }
    apply(store, &pending.run, &pending.token).await
}

/// Writes a committed attempt's pending changes into `valid_to`, deletes
/// the versions it dropped, and closes the attempt. Idempotent.
pub async fn apply(store: &Inner, run: &str, token: &str) -> StoreResult<()> {
    for versions in [Versions::Facts, Versions::Relations] {
        store.query(queries::apply(versions, token)).await?;
        store.query(queries::drop_replaced(versions, token)).await?;
    }
    store.query(queries::commit_anchors(token)).await?;
    store.query(queries::finish_attempt(run, token)).await?;
    Ok(())
}

/// Removes every trace of an attempt that never committed. Each step is
/// idempotent, and the attempt stays hidden until the last one.
async fn undo(store: &Inner, pending: &Pending) -> StoreResult<()> {
    for versions in [Versions::Facts, Versions::Relations] {
        let discard = queries::discard(versions, &pending.source, &pending.scope, pending.day, &pending.token);
        store.query(discard).await?;
        store.query(queries::restore(versions, &pending.token)).await?;
    }
    // Anchors it created that nothing refers to go; the others (another
    // scope's versions found them meanwhile) become ordinary anchors.
    store.query(queries::discard_anchors(&pending.token)).await?;
    store.query(queries::commit_anchors(&pending.token)).await?;
    store.query(queries::forget_attempt(&pending.run, &pending.token)).await?;
    store.query(queries::finish_attempt(&pending.run, &pending.token)).await?;
    Ok(())
}

/// Settles every attempt in flight whose scope no live process is
/// ingesting (`spot migrate`).
pub async fn settle_abandoned(store: &Inner) -> StoreResult<()> {
    for row in store.query(queries::pending_runs()).await? {
        let pending = Pending::from_row(&row, "", "")?;
        let Some(lease) = IngestLease::try_take(store, &pending.source, &pending.scope).await? else {
            tracing::info!(
                collector.name = %pending.source, snapshot.scope = %pending.scope,
                "an ingest of this scope is running; its attempt is left to it"
            );
            continue;
        };
        let settled = settle(store, &pending).await;
        lease.release(store).await;
        settled?;
    }
    Ok(())
}

pub async fn acquire_lease(store: &Inner, name: &str, holder: &str, now_ms: i64, until_ms: i64) -> StoreResult<bool> {
    let query = queries::acquire_lease(name, holder, now_ms, until_ms);
    match store.client.try_query_one(&query).await? {
        Ok(row) => Ok(row.and_then(|v| v.as_bool()).unwrap_or(false)),
        // Two processes raced for the same lease: the other one won.
        Err(api) if api.num == super::http::CONFLICT => Ok(false),
        Err(api) => Err(StoreError::Backend { doing: "taking a lease".into(), source: api.into() }),
    }
}

/// The lease an ingest holds on its (source, scope).
pub struct IngestLease {
    name: String,
}

impl IngestLease {
    fn name(source: &str, scope: &str) -> String {
        format!("ingest:{source}/{scope}")
    }

    /// Takes the scope's lease, or `None` while another process holds it.
    pub async fn try_take(store: &Inner, source: &str, scope: &str) -> StoreResult<Option<IngestLease>> {
        let lease = IngestLease { name: IngestLease::name(source, scope) };
        Ok(lease.renew(store).await?.then_some(lease))
    }

    /// Takes the scope's lease or says who is in the way.
    pub async fn take(store: &Inner, source: &str, scope: &str) -> StoreResult<IngestLease> {
        IngestLease::try_take(store, source, scope).await?.ok_or_else(|| {
            StoreError::BadRequest(format!(
                "another SPoT process is ingesting {source}/{scope} right now; try again when it is done \
                 (a crashed one's claim expires after {} minutes)",
                INGEST_LEASE_MS / 60_000
            ))
        })
    }

    /// Extends the lease; false when another process has taken it over.
    pub async fn renew(&self, store: &Inner) -> StoreResult<bool> {
        let now = chrono::Utc::now().timestamp_millis();
        acquire_lease(store, &self.name, &store.holder, now, now + INGEST_LEASE_MS).await
    }

    /// Extends the lease, or fails the ingest when it was lost.
    pub async fn keep(&self, store: &Inner) -> StoreResult<()> {
        if self.renew(store).await? {
            return Ok(());
        }
        Err(StoreError::Backend {
            doing: "ingesting".into(),
            source: format!("lost the lease {} to another process (the ingest took too long?)", self.name).into(),
        })
    }

    pub async fn release(self, store: &Inner) {
        if let Err(e) = store.query(queries::release_lease(&self.name, &store.holder)).await {
            tracing::warn!(lease = %self.name, error = %e, "could not release a lease; it expires by itself");
        }
    }
}
