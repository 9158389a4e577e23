-- Fact versions that began or ended in (from, to]: everything that can make
-- an entity differ between the two days. Uses the (scope, valid_from) and
-- (scope, valid_to) indexes, one range per scope.
-- A version that began and ended in between comes twice; readers fold
-- duplicates (cheaper than UNION's sort).
-- ?1 from day (exclusive), ?2 to day (inclusive)
SELECT entity, scope, hash, valid_from, valid_to FROM facts
WHERE scope IN (SELECT id FROM scopes) AND valid_from > ?1 AND valid_from <= ?2
UNION ALL
SELECT entity, scope, hash, valid_from, valid_to FROM facts
WHERE scope IN (SELECT id FROM scopes) AND valid_to > ?1 AND valid_to <= ?2
