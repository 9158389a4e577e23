-- Every version of one attribute of the relations of a kind between two
-- entities that holds on some day of a range: relation_value_versions.sql
-- for one (from, to) pair, through the covering relations_out index
-- (from_id, kind, valid_to, valid_from, to_id, scope, attrs), with its
-- columns, so both are read by one row reader.
-- ?1 from key, ?2 to key, ?3 kind, ?4 JSON path, ?5 first day, ?6 last day
SELECT ?1, ?2, s.source, s.scope, json_type(r.attrs, ?4), json_extract(r.attrs, ?4), r.valid_from, r.valid_to
FROM relations AS r
JOIN scopes AS s ON s.id = r.scope
WHERE r.from_id = (SELECT id FROM entities WHERE key = ?1)
  AND r.kind = ?3 AND r.valid_to > ?5 AND r.valid_from <= ?6
  AND r.to_id = (SELECT id FROM entities WHERE key = ?2)
