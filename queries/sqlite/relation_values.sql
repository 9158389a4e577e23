-- One attribute of every relation of a kind valid on a day, first source
-- (by name, then scope) first; json_type tells objects and arrays from strings.
-- ?1 kind, ?2 JSON path, ?3 day
SELECT ef.key, et.key, json_type(r.attrs, ?2), json_extract(r.attrs, ?2)
FROM relations AS r
JOIN entities AS ef ON ef.id = r.from_id
JOIN entities AS et ON et.id = r.to_id
JOIN scopes AS s ON s.id = r.scope
WHERE r.kind = ?1 AND r.valid_from <= ?3 AND r.valid_to > ?3
ORDER BY ef.key, et.key, s.source, s.scope
