-- For many entities, the entities one kind of edge leads to on a day.
-- ?1 JSON array of entity keys, ?2 kind, ?3 day
SELECT n.value, t.key
FROM json_each(?1) AS n
CROSS JOIN entities AS e ON e.key = n.value
CROSS JOIN relations AS r ON r.from_id = e.id AND r.kind = ?2 AND r.valid_to > ?3 AND r.valid_from <= ?3
CROSS JOIN entities AS t ON t.id = r.to_id
