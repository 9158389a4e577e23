//! Online backup: a consistent copy of the store while it serves and
//! ingests, written beside the target and renamed into place, so a backup
//! file is either whole or absent.

use std::path::Path;

use rusqlite::backup::Backup;
use rusqlite::Connection;

use crate::store::{StoreError, StoreResult};

/// Copies the database `source` reads into `target`, which must not exist.
/// One backup step copies every page under one read transaction: in WAL
/// mode writers go on meanwhile, and the copy is the state of one instant.
pub fn copy(source: &Connection, target: &Path) -> StoreResult<u64> {
    let failed = |doing: &str, reason: String| StoreError::Backend {
        doing: format!("{doing} {}", target.display()),
        source: reason.into(),
    };
    if target.exists() {
        return Err(failed("backing up to", "the file exists; choose a new name".into()));
    }
    let partial = target.with_extension(format!("partial-{}", std::process::id()));
    let result = (|| {
        let mut copy = Connection::open(&partial).map_err(|e| failed("creating", e.to_string()))?;
        Backup::new(source, &mut copy)
            .and_then(|backup| backup.step(-1).map(|_| ()))
            .map_err(|e| failed("backing up to", e.to_string()))?;
        let check: String = copy
            .query_row("PRAGMA quick_check", [], |row| row.get(0))
            .map_err(|e| failed("checking", e.to_string()))?;
        if check != "ok" {
            return Err(failed("checking", check));
        }
        let pages: u64 = copy.query_row("PRAGMA page_count", [], |row| row.get(0)).unwrap_or(0);
        let page_size: u64 = copy.query_row("PRAGMA page_size", [], |row| row.get(0)).unwrap_or(0);
        drop(copy);
        std::fs::rename(&partial, target).map_err(|e| failed("renaming the backup to", e.to_string()))?;
        Ok(pages * page_size)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}
