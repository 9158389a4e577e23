-- Relation versions that began or ended in (from, to].
-- A version that began and ended in between comes twice; readers fold
-- duplicates (cheaper than UNION's sort).
-- ?1 from day (exclusive), ?2 to day (inclusive)
SELECT from_id, to_id, kind, scope, hash, valid_from, valid_to FROM relations
WHERE scope IN (SELECT id FROM scopes) AND valid_from > ?1 AND valid_from <= ?2
UNION ALL
SELECT from_id, to_id, kind, scope, hash, valid_from, valid_to FROM relations
WHERE scope IN (SELECT id FROM scopes) AND valid_to > ?1 AND valid_to <= ?2
