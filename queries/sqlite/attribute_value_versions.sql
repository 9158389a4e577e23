-- Every version of one attribute of every entity of a kind that holds on
-- some day of a range (the caller orders them); json_type tells objects
-- and arrays from strings, and leaves out versions without the attribute.
-- ?1 kind, ?2 JSON path, ?3 first day, ?4 last day
SELECT e.key, s.source, s.scope, json_type(f.attrs, ?2), json_extract(f.attrs, ?2), f.valid_from, f.valid_to
FROM entities AS e
JOIN facts AS f ON f.entity = e.id AND f.valid_from <= ?4 AND f.valid_to > ?3
JOIN scopes AS s ON s.id = f.scope
WHERE e.kind = ?1 AND json_type(f.attrs, ?2) IS NOT NULL AND json_type(f.attrs, ?2) != 'null'
