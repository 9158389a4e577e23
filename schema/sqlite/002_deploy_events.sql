-- Deploy events pushed by the deployment orchestrator: deploy history finer
-- than a day, merged with the versions seen in daily snapshots.
CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    service TEXT    NOT NULL,  -- service key
    cluster TEXT    NOT NULL,
    version TEXT    NOT NULL,
    at_ms   INTEGER NOT NULL,  -- Unix milliseconds, UTC
    link    TEXT,
    actor   TEXT
);
CREATE INDEX events_by_service ON events (service, at_ms);
