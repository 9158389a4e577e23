-- The open versions of one scope's facts: what ingest diffs against.
-- ?1 scope id, ?2 OPEN
SELECT id, entity, hash
FROM facts
WHERE scope = ?1 AND valid_to = ?2
