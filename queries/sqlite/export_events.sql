-- Export: every deploy event, in the columns of store/sqlite/events.rs.
SELECT service, cluster, version, at_ms, link, actor, finished_ms, status, reason, commit_sha,
       first_commit_ms, commit_count, workload
FROM events ORDER BY service, cluster, at_ms, id
