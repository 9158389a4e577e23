-- What delivery metrics need of a deploy (docs/dora.md): how it ended and
-- when, why it failed, and the commits it brought. Older rows read as
-- succeeded deploys of unknown length and commits.
ALTER TABLE events ADD COLUMN finished_ms     INTEGER;
ALTER TABLE events ADD COLUMN status          TEXT NOT NULL DEFAULT 'succeeded';
ALTER TABLE events ADD COLUMN reason          TEXT;
ALTER TABLE events ADD COLUMN commit_sha      TEXT;
ALTER TABLE events ADD COLUMN first_commit_ms INTEGER;
ALTER TABLE events ADD COLUMN commit_count    INTEGER;
ALTER TABLE events ADD COLUMN workload        TEXT;
-- The organisation's delivery figures read every deploy of a window.
CREATE INDEX events_by_time ON events (at_ms);
