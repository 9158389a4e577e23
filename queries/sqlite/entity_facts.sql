-- The facts of one entity valid on a day, from every source and scope.
-- ?1 entity id, ?2 day
SELECT s.source, s.scope, f.attrs, f.valid_from, f.valid_to
FROM facts AS f
JOIN scopes AS s ON s.id = f.scope
WHERE f.entity = ?1 AND f.valid_from <= ?2 AND f.valid_to > ?2
