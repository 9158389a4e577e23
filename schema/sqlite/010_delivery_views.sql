-- Delivery figures kept where deploy events are written (docs/dora.md, "How
-- the figures are kept"): each deploy's verdict beside it, and per service,
-- cluster and day the counts and the exact lead-time and restore samples the
-- DORA figures combine. Reads then add rollups instead of judging history.

-- The verdict of judge.rs on the deploy, against every deploy of its lane
-- (service, cluster). NULL judged_status: not judged yet.
ALTER TABLE events ADD COLUMN judged_status      TEXT;
ALTER TABLE events ADD COLUMN judged_rollback    INTEGER;
ALTER TABLE events ADD COLUMN judged_fixed_by    TEXT;
ALTER TABLE events ADD COLUMN judged_reason      TEXT;
ALTER TABLE events ADD COLUMN judged_restored_ms INTEGER;
-- A lane in order: re-judging a slice of it reads this.
CREATE INDEX events_by_lane ON events (service, cluster, at_ms, id);

-- One row per service, cluster and day (UTC, days since the epoch) with a
-- deploy starting in it. Samples are little-endian i64 seconds, unsorted.
CREATE TABLE dora_days (
    service        TEXT    NOT NULL,
    cluster        TEXT    NOT NULL,
    day            INTEGER NOT NULL,
    deploys        INTEGER NOT NULL,
    changes        INTEGER NOT NULL,
    failed_changes INTEGER NOT NULL,
    rollbacks      INTEGER NOT NULL,
    unrestored     INTEGER NOT NULL,
    lead_times     BLOB    NOT NULL,
    restores       BLOB    NOT NULL,
    PRIMARY KEY (service, cluster, day)
) WITHOUT ROWID;
CREATE INDEX dora_days_by_day ON dora_days (day);

-- What the views were built with, and how far a rebuild got: the verdicts
-- depend on the fix-forward window; `complete` = 0 while lanes after
-- (cursor_service, cursor_cluster) are still to be judged.
CREATE TABLE dora_views (
    only              INTEGER PRIMARY KEY CHECK (only = 1),
    fix_forward_ms    INTEGER NOT NULL,
    complete          INTEGER NOT NULL,
    cursor_service    TEXT,
    cursor_cluster    TEXT
);
-- A store without deploys is complete at once; one with deploys is derived
-- from its history when next opened for writing.
INSERT INTO dora_views (only, fix_forward_ms, complete)
VALUES (1, 3600000, NOT EXISTS (SELECT 1 FROM events));
