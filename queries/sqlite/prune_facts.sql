-- Retention: ?1 source's fact versions closed before day ?2 (open versions
-- end at OPEN, never before a real day). Walks facts_by_scope_end.
DELETE FROM facts
WHERE scope IN (SELECT id FROM scopes WHERE source = ?1) AND valid_to < ?2
