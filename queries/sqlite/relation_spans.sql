-- Every version of every relation of one kind that holds on some day of a
-- range (the caller orders them).
-- ?1 kind, ?2 first day, ?3 last day
SELECT ef.key, et.key, r.valid_from, r.valid_to
FROM relations AS r
JOIN entities AS ef ON ef.id = r.from_id
JOIN entities AS et ON et.id = r.to_id
WHERE r.kind = ?1 AND r.valid_from <= ?3 AND r.valid_to > ?2
