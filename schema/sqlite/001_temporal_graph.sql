-- The temporal property graph (DESIGN.md "Data model").
-- Days are integers (days since 1970-01-01); an open version has
-- valid_to = 2147483647 (i32::MAX), never NULL, so range filters use indexes.

-- One row per (source, scope): facts, relations and runs refer to it by id.
-- generation counts the commits that changed the scope's versions, so a
-- writer can tell whether its cached copy of the open versions is current.
CREATE TABLE scopes (
    id         INTEGER PRIMARY KEY,
    source     TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source, scope)
);

-- The never-versioned anchor of each logical thing.
CREATE TABLE entities (
    id   INTEGER PRIMARY KEY,
    key  TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE facts (
    id         INTEGER PRIMARY KEY,
    entity     INTEGER NOT NULL REFERENCES entities (id),
    scope      INTEGER NOT NULL REFERENCES scopes (id),
    attrs      TEXT    NOT NULL,  -- JSON object
    hash       INTEGER NOT NULL,  -- content hash of attrs
    valid_from INTEGER NOT NULL,
    valid_to   INTEGER NOT NULL
);
-- An entity as of a day, first/last seen, timelines (covering but for attrs).
CREATE INDEX facts_by_entity ON facts (entity, valid_from, valid_to);
-- A scope's open versions (valid_to = OPEN) and versions ended in a range;
-- covering (entity, hash), so ingest caches and diffs never touch the table.
CREATE INDEX facts_by_scope_end ON facts (scope, valid_to, entity, hash, valid_from);
-- Versions started in a range, and a re-run's rollback of its day. Not
-- covering: rows started in a range sit together in rowid (insertion) order,
-- so their table reads are close to sequential.
CREATE INDEX facts_by_scope_start ON facts (scope, valid_from);

CREATE TABLE relations (
    id         INTEGER PRIMARY KEY,
    from_id    INTEGER NOT NULL REFERENCES entities (id),
    to_id      INTEGER NOT NULL REFERENCES entities (id),
    kind       TEXT    NOT NULL,
    scope      INTEGER NOT NULL REFERENCES scopes (id),
    attrs      TEXT    NOT NULL,
    hash       INTEGER NOT NULL,
    valid_from INTEGER NOT NULL,
    valid_to   INTEGER NOT NULL
);
-- Traversals: covering indexes, so following an edge as of a day never
-- touches the table. valid_to before valid_from: "valid_to > day" is the
-- selective bound for recent days, where most questions are asked.
CREATE INDEX relations_out ON relations (from_id, kind, valid_to, valid_from, to_id);
CREATE INDEX relations_in ON relations (to_id, kind, valid_to, valid_from, from_id);
CREATE INDEX relations_by_scope_end ON relations (scope, valid_to);
CREATE INDEX relations_by_scope_start ON relations (scope, valid_from);

-- One row per (source, scope, day).
CREATE TABLE runs (
    scope         INTEGER NOT NULL REFERENCES scopes (id),
    day           INTEGER NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('running', 'complete', 'partial', 'failed')),
    added         INTEGER NOT NULL DEFAULT 0,
    changed       INTEGER NOT NULL DEFAULT 0,
    closed        INTEGER NOT NULL DEFAULT 0,
    unchanged     INTEGER NOT NULL DEFAULT 0,
    started_at_ms INTEGER NOT NULL,
    duration_ms   INTEGER NOT NULL,
    error         TEXT,
    attempts      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (scope, day)
) WITHOUT ROWID;
CREATE INDEX runs_by_day ON runs (day);
