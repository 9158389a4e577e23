-- Export: every run record (the columns of runs.sql, read by the same code).
SELECT s.source, s.scope, r.day, r.status, r.added, r.changed, r.closed, r.unchanged,
       r.started_at_ms, r.duration_ms, r.error, r.attempts, r.warnings
FROM runs AS r
JOIN scopes AS s ON s.id = r.scope
ORDER BY s.source, s.scope, r.day
