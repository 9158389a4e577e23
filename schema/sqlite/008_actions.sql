-- Actions on workloads, as the Kubernetes watch records them between daily
-- snapshots (rollouts, scales, restarts, crash loops, ...): append-only,
-- each once by (cluster, key). Warnings are counted per workload and window:
-- their row's count and last time grow, nothing else changes.
CREATE TABLE actions (
    id        INTEGER PRIMARY KEY,
    cluster   TEXT    NOT NULL,
    key       TEXT    NOT NULL,
    namespace TEXT    NOT NULL,
    workload  TEXT    NOT NULL,  -- workload entity key
    service   TEXT,              -- service entity key, when known
    kind      TEXT    NOT NULL,
    at_ms     INTEGER NOT NULL,  -- Unix milliseconds, UTC
    last_ms   INTEGER NOT NULL,
    count     INTEGER NOT NULL,
    actor     TEXT,
    details   TEXT    NOT NULL,  -- JSON object
    UNIQUE (cluster, key)
);
CREATE INDEX actions_by_time ON actions (at_ms);
CREATE INDEX actions_by_service ON actions (service, at_ms) WHERE service IS NOT NULL;
CREATE INDEX actions_by_workload ON actions (workload, at_ms);

-- What the watch remembers of each object it follows, so that after a
-- restart it compares the cluster with what it last knew. Written in the
-- same transaction as the actions it explains.
CREATE TABLE watch_memory (
    cluster TEXT NOT NULL,
    uid     TEXT NOT NULL,
    state   TEXT NOT NULL,  -- the watch's own JSON
    PRIMARY KEY (cluster, uid)
) WITHOUT ROWID;
