-- Every entity of a kind alive on a day: one row per source whose facts
-- describe it that day, by key, then source.
-- ?1 kind, ?2 day
SELECT DISTINCT e.key, e.kind, e.name, s.source
FROM entities AS e
JOIN facts AS f ON f.entity = e.id AND f.valid_from <= ?2 AND f.valid_to > ?2
JOIN scopes AS s ON s.id = f.scope
WHERE e.kind = ?1
ORDER BY e.key, s.source
