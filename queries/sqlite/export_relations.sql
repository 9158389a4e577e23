-- Export: every relation version, in a stable order.
SELECT ef.key, et.key, r.kind, s.source, s.scope, r.attrs, r.valid_from, r.valid_to
FROM relations AS r
JOIN entities AS ef ON ef.id = r.from_id
JOIN entities AS et ON et.id = r.to_id
JOIN scopes AS s ON s.id = r.scope
ORDER BY ef.key, r.kind, et.key, s.source, s.scope, r.valid_from
