-- For many entities, the entities whose edges of one kind arrive at them.
-- ?1 JSON array of entity keys, ?2 kind, ?3 day
SELECT n.value, t.key
FROM json_each(?1) AS n
CROSS JOIN entities AS e ON e.key = n.value
CROSS JOIN relations AS r ON r.to_id = e.id AND r.kind = ?2 AND r.valid_to > ?3 AND r.valid_from <= ?3
CROSS JOIN entities AS t ON t.id = r.from_id
