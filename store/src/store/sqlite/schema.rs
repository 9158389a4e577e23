//! Versioned schema migrations, applied in order when a store is opened.
//! The schema version lives in SQLite's `user_version`.

use std::path::Path;

use rusqlite::Connection;

use super::backend;
use crate::store::{StoreError, StoreResult};

/// Migration N brings the schema from version N-1 to N. Append, never edit.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../../schema/sqlite/001_temporal_graph.sql"),
    include_str!("../../../../schema/sqlite/002_deploy_events.sql"),
    include_str!("../../../../schema/sqlite/003_run_warnings.sql"),
    include_str!("../../../../schema/sqlite/004_leases.sql"),
    include_str!("../../../../schema/sqlite/005_covering_relations_out.sql"),
    include_str!("../../../../schema/sqlite/006_graph_version.sql"),
    include_str!("../../../../schema/sqlite/007_rollbacks.sql"),
    include_str!("../../../../schema/sqlite/008_actions.sql"),
    include_str!("../../../../schema/sqlite/009_deploy_outcomes.sql"),
    include_str!("../../../../schema/sqlite/010_delivery_views.sql"),
    include_str!("../../../../schema/sqlite/011_dora_spans.sql"),
    include_str!("../../../../schema/sqlite/012_score_views.sql"),
];

/// Checks, without writing, that a store's schema is this build's: the read
/// commands never migrate.
pub fn check_current(conn: &Connection, path: &Path) -> StoreResult<()> {
    let supported = MIGRATIONS.len() as i64;
    let found: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| StoreError::Open { path: path.display().to_string(), reason: e.to_string() })?;
    let path = path.display().to_string();
    match found.cmp(&supported) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Greater => Err(StoreError::SchemaTooNew { path, found, supported }),
        std::cmp::Ordering::Less => Err(StoreError::SchemaTooOld { path, found, supported }),
    }
}

pub fn migrate(conn: &mut Connection, path: &Path) -> StoreResult<()> {
    let supported = MIGRATIONS.len() as i64;
    let current: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| StoreError::Open { path: path.display().to_string(), reason: e.to_string() })?;
    if current > supported {
        return Err(StoreError::SchemaTooNew { path: path.display().to_string(), found: current, supported });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as i64 + 1;
        let tx = conn.transaction().map_err(backend("starting a migration"))?;
        tx.execute_batch(sql).map_err(backend("applying a schema migration"))?;
        tx.pragma_update(None, "user_version", version).map_err(backend("recording the schema version"))?;
        tx.commit().map_err(backend("committing a schema migration"))?;
        tracing::debug!(store.path = %path.display(), schema.version = version, "applied schema migration");
    }
    // One line for the whole upgrade: a new file takes every migration.
    if (current as usize) < MIGRATIONS.len() {
        tracing::info!(
            store.path = %path.display(),
            schema.from = current,
            schema.to = MIGRATIONS.len(),
            "migrated the store's schema"
        );
    }
    Ok(())
}
