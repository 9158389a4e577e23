-- Every version of the relations arriving at one entity that overlaps [from, to], oldest first.
-- ?1 entity id, ?2 from day, ?3 to day
SELECT r.id, r.from_id, r.from_id, r.to_id, r.kind, r.scope, r.attrs, r.valid_from, r.valid_to
FROM relations AS r
WHERE r.to_id = ?1 AND r.valid_to > ?2 AND r.valid_from <= ?3
ORDER BY r.valid_from, r.id
