-- A counter every change to the graph's shape bumps: entity anchors (keys,
-- names), relation versions and scopes. Readers compare it with the version
-- their in-memory copy of the topology was built from (store/src/store/sqlite/
-- topology.rs) and use that copy only when the two are equal, in the same
-- read transaction. Triggers, not the writers' code, keep it: no write path
-- (ingest, import, retention, a migration to come) can forget it.
CREATE TABLE graph_version (
    only    INTEGER PRIMARY KEY CHECK (only = 1),
    version INTEGER NOT NULL
);
INSERT INTO graph_version (only, version) VALUES (1, 0);

CREATE TRIGGER graph_entity_added AFTER INSERT ON entities
BEGIN UPDATE graph_version SET version = version + 1; END;
CREATE TRIGGER graph_entity_changed AFTER UPDATE ON entities
BEGIN UPDATE graph_version SET version = version + 1; END;
CREATE TRIGGER graph_entity_removed AFTER DELETE ON entities
BEGIN UPDATE graph_version SET version = version + 1; END;

CREATE TRIGGER graph_relation_added AFTER INSERT ON relations
BEGIN UPDATE graph_version SET version = version + 1; END;
CREATE TRIGGER graph_relation_changed AFTER UPDATE ON relations
BEGIN UPDATE graph_version SET version = version + 1; END;
CREATE TRIGGER graph_relation_removed AFTER DELETE ON relations
BEGIN UPDATE graph_version SET version = version + 1; END;

CREATE TRIGGER graph_scope_added AFTER INSERT ON scopes
BEGIN UPDATE graph_version SET version = version + 1; END;
CREATE TRIGGER graph_scope_changed AFTER UPDATE OF source, scope ON scopes
BEGIN UPDATE graph_version SET version = version + 1; END;
CREATE TRIGGER graph_scope_removed AFTER DELETE ON scopes
BEGIN UPDATE graph_version SET version = version + 1; END;
