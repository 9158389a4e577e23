-- One attribute of every entity of a kind alive on a day, optionally from one
-- source; json_type tells objects and arrays from strings.
-- ?1 kind, ?2 JSON path, ?3 day, ?4 source or NULL
SELECT e.key, s.source, json_type(f.attrs, ?2), json_extract(f.attrs, ?2)
FROM entities AS e
JOIN facts AS f ON f.entity = e.id AND f.valid_from <= ?3 AND f.valid_to > ?3
JOIN scopes AS s ON s.id = f.scope
WHERE e.kind = ?1 AND (?4 IS NULL OR s.source = ?4)
ORDER BY e.key, s.source, s.scope
