-- Deletes the anchors among ?1 (a JSON array of entity ids) that no fact
-- and no relation refers to. Each probe is one index seek: facts_by_entity,
-- relations_out, relations_in.
DELETE FROM entities
WHERE id IN (SELECT value FROM json_each(?1))
  AND NOT EXISTS (SELECT 1 FROM facts WHERE facts.entity = entities.id)
  AND NOT EXISTS (SELECT 1 FROM relations WHERE relations.from_id = entities.id)
  AND NOT EXISTS (SELECT 1 FROM relations WHERE relations.to_id = entities.id)
