-- Export: every fact version, in a stable order.
SELECT e.key, s.source, s.scope, f.attrs, f.valid_from, f.valid_to
FROM facts AS f
JOIN entities AS e ON e.id = f.entity
JOIN scopes AS s ON s.id = f.scope
ORDER BY e.key, s.source, s.scope, f.valid_from
