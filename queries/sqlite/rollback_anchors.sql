-- The entity anchors the versions a rollback deletes refer to (read before
-- they go): those that nothing refers to afterwards are deleted too.
-- ?1 scope id, ?2 first day undone
SELECT entity FROM facts WHERE scope = ?1 AND valid_from >= ?2
UNION
SELECT from_id FROM relations WHERE scope = ?1 AND valid_from >= ?2
UNION
SELECT to_id FROM relations WHERE scope = ?1 AND valid_from >= ?2
