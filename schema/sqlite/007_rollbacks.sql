-- Rollbacks an operator made (`spot rollback`): one scope's runs from a day
-- on undone. Kept as a record of who changed history, by (source, scope)
-- names rather than the scope's id, so a record outlives any scope row.
-- The highest id also tells a writer's entity cache that anchors may have
-- been deleted (store/src/store/sqlite/cache.rs).
CREATE TABLE rollbacks (
    id                 INTEGER PRIMARY KEY,
    source             TEXT    NOT NULL,
    scope              TEXT    NOT NULL,
    day                INTEGER NOT NULL,  -- the first day undone
    at_ms              INTEGER NOT NULL,  -- Unix milliseconds, UTC
    runs               INTEGER NOT NULL,
    facts_deleted      INTEGER NOT NULL,
    relations_deleted  INTEGER NOT NULL,
    facts_reopened     INTEGER NOT NULL,
    relations_reopened INTEGER NOT NULL,
    entities_deleted   INTEGER NOT NULL
);
