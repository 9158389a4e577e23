-- Entities alive on a day whose name or key contains the text, or, for
-- the kinds catalogs describe, whose description or one of whose tags does.
-- Exact names first, then names that start with the text, then the shortest.
-- ?1 lower-cased text, ?2 LIKE pattern, ?3 day, ?4 kinds as a JSON array
-- (empty: all kinds), ?5 limit
SELECT e.key, e.kind, e.name
FROM entities AS e
WHERE (e.name LIKE ?2 ESCAPE '\' OR e.key LIKE ?2 ESCAPE '\' OR (
      e.kind IN ('api', 'component', 'domain', 'repo', 'resource', 'service', 'system', 'team', 'user')
      AND EXISTS (
          -- The raw text first: only facts that mention the text are parsed.
          SELECT 1 FROM facts AS d
          WHERE d.entity = e.id AND d.valid_from <= ?3 AND d.valid_to > ?3
            AND d.attrs LIKE ?2 ESCAPE '\'
            AND (json_extract(d.attrs, '$.description') LIKE ?2 ESCAPE '\'
                 OR EXISTS (
                     SELECT 1 FROM json_each(d.attrs, '$.tags') AS t
                     WHERE t.type = 'text' AND t.value LIKE ?2 ESCAPE '\'
                 ))
      )))
  AND (json_array_length(?4) = 0 OR e.kind IN (SELECT value FROM json_each(?4)))
  AND EXISTS (
      SELECT 1 FROM facts AS f
      WHERE f.entity = e.id AND f.valid_from <= ?3 AND f.valid_to > ?3
  )
ORDER BY lower(e.name) = ?1 DESC, lower(e.name) LIKE ?1 || '%' DESC, length(e.name), e.key
LIMIT ?5
