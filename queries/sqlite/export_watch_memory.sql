-- Export: what the Kubernetes watch remembers, per cluster and object.
SELECT cluster, uid, state FROM watch_memory ORDER BY cluster, uid
