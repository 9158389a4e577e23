//! The writer's memory of what it last committed: entity ids by key, and
//! each scope's open versions. Ingest diffs against these instead of reading
//! tens of thousands of rows back every day.
//!
//! Both are checked against the database at the start of every ingest (the
//! highest entity id and the highest rollback id; the scope's generation
//! counter), so a store written (or rolled back) by another process is
//! re-read, never trusted stale. Both are updated only
//! after a commit, so a rolled-back ingest leaves them as they were.

use rusqlite::{params, Transaction};
use rustc_hash::FxHashMap;

use super::backend;
use crate::store::StoreResult;

/// A relation's identity within a scope: from, to, kind number.
pub type EdgeId = (i64, i64, u16);

/// Entity ids and names by key.
#[derive(Default)]
pub struct EntityIds {
    pub by_key: FxHashMap<String, (i64, String)>,
    max_id: i64,
    /// The highest rollback id when last read: a rollback may delete
    /// anchors, so a new one (by any process) means reading them afresh.
    rollbacks: i64,
}

const ENTITY_STAMP: &str =
    "SELECT (SELECT coalesce(max(id), 0) FROM entities), (SELECT coalesce(max(id), 0) FROM rollbacks)";

impl EntityIds {
    /// Re-reads every entity when another writer has added some, or a
    /// rollback may have deleted some.
    pub fn refresh(&mut self, tx: &Transaction) -> StoreResult<()> {
        let (max_id, rollbacks): (i64, i64) = tx
            .prepare_cached(ENTITY_STAMP)
            .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?))))
            .map_err(backend("reading entities"))?;
        if (max_id, rollbacks) == (self.max_id, self.rollbacks) {
            return Ok(());
        }
        self.by_key.clear();
        let mut stmt = tx.prepare_cached("SELECT id, key, name FROM entities").map_err(backend("reading entities"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(1)?, (r.get::<_, i64>(0)?, r.get::<_, String>(2)?))))
            .map_err(backend("reading entities"))?;
        for row in rows {
            let (key, entry) = row.map_err(backend("reading entities"))?;
            self.by_key.insert(key, entry);
        }
        (self.max_id, self.rollbacks) = (max_id, rollbacks);
        Ok(())
    }

    /// Takes in what a committed ingest created or renamed.
    pub fn committed(&mut self, written: Vec<(String, i64, String)>) {
        for (key, id, name) in written {
            self.max_id = self.max_id.max(id);
            self.by_key.insert(key, (id, name));
        }
    }
}

/// Relation kinds as small numbers, so edge identities hash without
/// allocating. Numbers live as long as the writer.
#[derive(Default)]
pub struct Kinds {
    numbers: FxHashMap<String, u16>,
}

impl Kinds {
    pub fn number(&mut self, kind: &str) -> u16 {
        if let Some(&number) = self.numbers.get(kind) {
            return number;
        }
        let number = self.numbers.len() as u16;
        self.numbers.insert(kind.to_string(), number);
        number
    }
}

/// One scope's open versions: identity → (version id, content hash).
#[derive(Default, Clone)]
pub struct OpenVersions {
    pub generation: i64,
    pub facts: FxHashMap<i64, (i64, i64)>,
    pub relations: FxHashMap<EdgeId, (i64, i64)>,
}

const OPEN_FACTS: &str = include_str!("../../../../queries/sqlite/open_facts.sql");
const OPEN_RELATIONS: &str = include_str!("../../../../queries/sqlite/open_relations.sql");

impl OpenVersions {
    /// Reads a scope's open versions from the database.
    pub fn load(tx: &Transaction, scope: i64, generation: i64, kinds: &mut Kinds) -> StoreResult<OpenVersions> {
        let open = crate::model::Day::OPEN.0;
        let mut versions = OpenVersions { generation, ..OpenVersions::default() };
        let mut stmt = tx.prepare_cached(OPEN_FACTS).map_err(backend("reading open facts"))?;
        let rows = stmt
            .query_map(params![scope, open], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))
            .map_err(backend("reading open facts"))?;
        for row in rows {
            let (version, entity, hash) = row.map_err(backend("reading open facts"))?;
            versions.facts.insert(entity, (version, hash));
        }
        let mut stmt = tx.prepare_cached(OPEN_RELATIONS).map_err(backend("reading open relations"))?;
        let mut rows = stmt.query(params![scope, open]).map_err(backend("reading open relations"))?;
        while let Some(row) = rows.next().map_err(backend("reading open relations"))? {
            let int = |i| row.get::<_, i64>(i).map_err(backend("reading open relations"));
            let kind = row.get_ref(3).and_then(|v| Ok(v.as_str()?)).map_err(backend("reading open relations"))?;
            let identity = (int(1)?, int(2)?, kinds.number(kind));
            versions.relations.insert(identity, (int(0)?, int(4)?));
        }
        Ok(versions)
    }
}
