-- Undo one scope's run of one day before that day is ingested again: drop
-- the versions it opened and reopen the versions it closed.
-- ?1 scope id, ?2 day, ?3 OPEN. Every statement takes all three parameters
-- (the deletes with a no-op "?3 = ?3") so one loop can run them all.
DELETE FROM facts WHERE scope = ?1 AND valid_from = ?2 AND ?3 = ?3;
UPDATE facts SET valid_to = ?3 WHERE scope = ?1 AND valid_to = ?2;
DELETE FROM relations WHERE scope = ?1 AND valid_from = ?2 AND ?3 = ?3;
UPDATE relations SET valid_to = ?3 WHERE scope = ?1 AND valid_to = ?2;
