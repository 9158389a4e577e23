-- Edges arriving at an entity, of one kind, valid on a day. Answered from
-- the covering index relations_in alone.
-- ?1 entity id, ?2 kind, ?3 day
SELECT id, from_id
FROM relations
WHERE to_id = ?1 AND kind = ?2 AND valid_to > ?3 AND valid_from <= ?3
