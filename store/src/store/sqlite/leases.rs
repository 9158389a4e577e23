//! Leases: at most one holder per name until it expires.

use rusqlite::{params, Connection};

use super::backend;
use crate::store::StoreResult;

const ACQUIRE: &str = include_str!("../../../../queries/sqlite/acquire_lease.sql");

pub fn acquire(conn: &Connection, name: &str, holder: &str, now_ms: i64, until_ms: i64) -> StoreResult<bool> {
    let changed = conn
        .prepare_cached(ACQUIRE)
        .and_then(|mut s| s.execute(params![name, holder, now_ms, until_ms]))
        .map_err(backend("taking a lease"))?;
    Ok(changed == 1)
}

pub fn release(conn: &Connection, name: &str, holder: &str) -> StoreResult<()> {
    conn.execute("DELETE FROM leases WHERE name = ?1 AND holder = ?2", params![name, holder])
        .map_err(backend("releasing a lease"))?;
    Ok(())
}
