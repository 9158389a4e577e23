-- Runs, newest day first, optionally of one source and within [from, to].
-- ?1 source or NULL, ?2 from day, ?3 to day
SELECT s.source, s.scope, r.day, r.status, r.added, r.changed, r.closed, r.unchanged,
       r.started_at_ms, r.duration_ms, r.error, r.attempts, r.warnings
FROM runs AS r
JOIN scopes AS s ON s.id = r.scope
WHERE (?1 IS NULL OR s.source = ?1) AND r.day BETWEEN ?2 AND ?3
ORDER BY r.day DESC, s.source, s.scope
