-- Edges leaving a set of entities, of some kinds, valid on a day. One statement per hop and direction: the entity
-- ids and the kinds come as JSON arrays, and each (id, kind) pair probes the relations_out index.
-- The last column is the frontier entity's position in ?1.
-- ?1 JSON array of entity ids, ?2 JSON array of kinds, ?3 day
SELECT r.id, r.to_id, r.from_id, r.to_id, r.kind, r.scope, r.attrs, r.valid_from, r.valid_to, n.key
FROM json_each(?1) AS n
CROSS JOIN relations AS r
WHERE r.from_id = n.value
  AND r.kind IN (SELECT value FROM json_each(?2))
  AND r.valid_to > ?3 AND r.valid_from <= ?3
