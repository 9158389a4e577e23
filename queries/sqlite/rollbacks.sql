-- Every recorded rollback, newest first.
SELECT source, scope, day, at_ms, runs, facts_deleted, relations_deleted, facts_reopened, relations_reopened,
       entities_deleted
FROM rollbacks
ORDER BY at_ms DESC, id DESC
