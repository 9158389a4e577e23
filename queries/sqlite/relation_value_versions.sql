-- Every version of one attribute of every relation of a kind that holds on
-- some day of a range; json_type tells objects and arrays from strings.
-- The caller orders them: sorting in Rust is several times faster than
-- SQLite's temporary b-tree over tens of thousands of key strings.
-- ?1 kind, ?2 JSON path, ?3 first day, ?4 last day
SELECT ef.key, et.key, s.source, s.scope, json_type(r.attrs, ?2), json_extract(r.attrs, ?2), r.valid_from, r.valid_to
FROM relations AS r
JOIN entities AS ef ON ef.id = r.from_id
JOIN entities AS et ON et.id = r.to_id
JOIN scopes AS s ON s.id = r.scope
WHERE r.kind = ?1 AND r.valid_from <= ?4 AND r.valid_to > ?3
