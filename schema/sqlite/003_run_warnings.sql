-- What a run wants an operator to see without failing: unmatched projects,
-- items it could not read, conflicts. A JSON array of strings; NULL when none.
ALTER TABLE runs ADD COLUMN warnings TEXT;
