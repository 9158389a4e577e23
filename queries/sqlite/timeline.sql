-- One attribute of one entity across every fact version that overlaps
-- [from, to], oldest first per scope. json_type tells objects and arrays
-- (returned as JSON text) from plain strings.
-- ?1 entity id, ?2 JSON path, ?3 from day, ?4 to day, ?5 source or NULL
SELECT s.source, s.scope, f.valid_from, f.valid_to,
       json_type(f.attrs, ?2) AS type, json_extract(f.attrs, ?2) AS value
FROM facts AS f
JOIN scopes AS s ON s.id = f.scope
WHERE f.entity = ?1 AND f.valid_from <= ?4 AND f.valid_to > ?3
  AND (?5 IS NULL OR s.source = ?5)
ORDER BY s.source, s.scope, f.valid_from
