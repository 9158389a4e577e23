-- Edges leaving an entity, of one kind, valid on a day. Answered from the
-- covering index relations_out alone.
-- ?1 entity id, ?2 kind, ?3 day
SELECT id, to_id
FROM relations
WHERE from_id = ?1 AND kind = ?2 AND valid_to > ?3 AND valid_from <= ?3
