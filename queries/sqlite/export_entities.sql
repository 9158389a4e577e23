-- Export: every entity anchor, by key.
SELECT key, kind, name FROM entities ORDER BY key
