-- Edges arriving at an entity, of any kind, valid on a day.
-- ?1 entity id, ?2 day
SELECT id, from_id
FROM relations
WHERE to_id = ?1 AND valid_to > ?2 AND valid_from <= ?2
