-- Record a run of (scope, day); a later run of the same day replaces it and
-- counts as one more attempt. Returns the attempt count.
INSERT INTO runs (scope, day, status, added, changed, closed, unchanged, started_at_ms, duration_ms, error, warnings)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT (scope, day) DO UPDATE SET
    status = excluded.status,
    added = excluded.added,
    changed = excluded.changed,
    closed = excluded.closed,
    unchanged = excluded.unchanged,
    started_at_ms = excluded.started_at_ms,
    duration_ms = excluded.duration_ms,
    error = excluded.error,
    warnings = excluded.warnings,
    attempts = runs.attempts + 1
RETURNING attempts
