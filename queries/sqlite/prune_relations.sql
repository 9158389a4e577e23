-- Retention: ?1 source's relation versions closed before day ?2.
DELETE FROM relations
WHERE scope IN (SELECT id FROM scopes WHERE source = ?1) AND valid_to < ?2
