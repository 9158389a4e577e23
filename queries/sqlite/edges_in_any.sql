-- Edges arriving at a set of entities, of any kind, valid on a day; the ids probe the relations_in index.
-- The last column is the frontier entity's position in ?1.
-- ?1 JSON array of entity ids, ?2 day
SELECT r.id, r.from_id, r.from_id, r.to_id, r.kind, r.scope, r.attrs, r.valid_from, r.valid_to, n.key
FROM json_each(?1) AS n
CROSS JOIN relations AS r
WHERE r.to_id = n.value
  AND r.valid_to > ?2 AND r.valid_from <= ?2
