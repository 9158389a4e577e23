-- Undo one scope's runs from a day on (`spot rollback`), in this order:
-- delete the fact versions opened on the day or later, reopen those closed
-- on the day or later (each open on the day before, so one per identity),
-- the same for relations, then remove the runs. The caller reads each
-- statement's row count, in this order.
-- ?1 scope id, ?2 first day undone, ?3 OPEN. Every statement takes all
-- three parameters (with a no-op "?3 = ?3" where unused) so one loop can
-- run them all.
DELETE FROM facts WHERE scope = ?1 AND valid_from >= ?2 AND ?3 = ?3;
UPDATE facts SET valid_to = ?3 WHERE scope = ?1 AND valid_to >= ?2 AND valid_to <> ?3;
DELETE FROM relations WHERE scope = ?1 AND valid_from >= ?2 AND ?3 = ?3;
UPDATE relations SET valid_to = ?3 WHERE scope = ?1 AND valid_to >= ?2 AND valid_to <> ?3;
DELETE FROM runs WHERE scope = ?1 AND day >= ?2 AND ?3 = ?3
