-- Export: every action, in the columns actions::action_from reads.
SELECT cluster, key, namespace, workload, service, kind, at_ms, last_ms, count, actor, details
FROM actions ORDER BY id
