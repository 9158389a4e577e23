-- The open versions of one scope's relations: what ingest diffs against.
-- ?1 scope id, ?2 OPEN
SELECT id, from_id, to_id, kind, hash
FROM relations
WHERE scope = ?1 AND valid_to = ?2
