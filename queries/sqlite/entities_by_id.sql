-- Entity anchors for a set of ids.
-- ?1 JSON array of entity ids
SELECT e.id, e.key, e.kind, e.name
FROM json_each(?1) AS n
CROSS JOIN entities AS e
WHERE e.id = n.value
