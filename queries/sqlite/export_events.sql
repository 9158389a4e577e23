-- Export: every deploy event.
SELECT service, cluster, version, at_ms, link, actor FROM events ORDER BY service, cluster, at_ms, id
