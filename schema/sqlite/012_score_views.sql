-- Scorecard results kept per service as interval versions, like facts
-- (docs/scorecards.md, "Kept scores"). A card is kept under its
-- fingerprint (its rules, levels and the delivery settings its built-ins
-- read): a changed card is another fingerprint, derived again.

-- One row per kept card. Rows of score_rows are exact for the days in
-- [cover_from, good_before); a derivation moves good_before forward a day
-- at a time, so it is also the cursor a killed derivation resumes from.
-- stale_from: the earliest day a write touched since the derivation last
-- looked (NULL: none); reads trust only days before it too.
CREATE TABLE score_cards (
    fingerprint TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    cover_from  INTEGER NOT NULL,
    good_before INTEGER NOT NULL,
    stale_from  INTEGER
);

-- A service's score by a card over the days [valid_from, valid_to): its
-- level (NULL below the lowest), which rules pass ('1'/'0' by rule, in the
-- card's order), its owning team, every owner (the keys `owns` reaches
-- against the relation, one per line: a team's services), and each rule's
-- outcome as JSON.
CREATE TABLE score_rows (
    fingerprint TEXT    NOT NULL,
    service     TEXT    NOT NULL,
    valid_from  INTEGER NOT NULL,
    valid_to    INTEGER NOT NULL,
    level       INTEGER,
    passed      TEXT    NOT NULL,
    team        TEXT,
    owners      TEXT    NOT NULL,
    outcomes    TEXT    NOT NULL,
    PRIMARY KEY (fingerprint, service, valid_from)
) WITHOUT ROWID;
-- A day's scores, and the rows a derivation extends (valid_to = its day).
CREATE INDEX score_rows_by_end ON score_rows (fingerprint, valid_to, valid_from);
-- A day's rows start in the 32 days up to it (no row is longer): covering
-- what a trend reads, so it never touches the outcomes.
CREATE INDEX score_rows_by_start
    ON score_rows (fingerprint, valid_from, valid_to, level, passed, team, owners);

-- Every write that can move a score marks the earliest day it can move:
-- triggers, not the writers' code, so no write path (ingest, rollback,
-- prune, import, deploys, a migration to come) can forget it. A version's
-- start, its end when only the end moved (closing or reopening it), a
-- run's day, a deploy's day (a day early: the trigger's division rounds
-- towards zero) and a delivery rollup's day. Renaming a scope's source or
-- an entity's key or kind moves every day.
CREATE TRIGGER score_fact_added AFTER INSERT ON facts
BEGIN UPDATE score_cards SET stale_from = NEW.valid_from
      WHERE stale_from IS NULL OR stale_from > NEW.valid_from; END;
CREATE TRIGGER score_fact_removed AFTER DELETE ON facts
BEGIN UPDATE score_cards SET stale_from = OLD.valid_from
      WHERE stale_from IS NULL OR stale_from > OLD.valid_from; END;
CREATE TRIGGER score_fact_changed AFTER UPDATE ON facts
BEGIN UPDATE score_cards SET stale_from = (
        CASE WHEN OLD.valid_from = NEW.valid_from AND OLD.attrs IS NEW.attrs
                  AND OLD.entity = NEW.entity AND OLD.scope = NEW.scope
             THEN MIN(OLD.valid_to, NEW.valid_to)
             ELSE MIN(OLD.valid_from, NEW.valid_from) END)
      WHERE stale_from IS NULL OR stale_from > (
        CASE WHEN OLD.valid_from = NEW.valid_from AND OLD.attrs IS NEW.attrs
                  AND OLD.entity = NEW.entity AND OLD.scope = NEW.scope
             THEN MIN(OLD.valid_to, NEW.valid_to)
             ELSE MIN(OLD.valid_from, NEW.valid_from) END); END;

CREATE TRIGGER score_relation_added AFTER INSERT ON relations
BEGIN UPDATE score_cards SET stale_from = NEW.valid_from
      WHERE stale_from IS NULL OR stale_from > NEW.valid_from; END;
CREATE TRIGGER score_relation_removed AFTER DELETE ON relations
BEGIN UPDATE score_cards SET stale_from = OLD.valid_from
      WHERE stale_from IS NULL OR stale_from > OLD.valid_from; END;
CREATE TRIGGER score_relation_changed AFTER UPDATE ON relations
BEGIN UPDATE score_cards SET stale_from = (
        CASE WHEN OLD.valid_from = NEW.valid_from AND OLD.attrs IS NEW.attrs AND OLD.kind = NEW.kind
                  AND OLD.from_id = NEW.from_id AND OLD.to_id = NEW.to_id AND OLD.scope = NEW.scope
             THEN MIN(OLD.valid_to, NEW.valid_to)
             ELSE MIN(OLD.valid_from, NEW.valid_from) END)
      WHERE stale_from IS NULL OR stale_from > (
        CASE WHEN OLD.valid_from = NEW.valid_from AND OLD.attrs IS NEW.attrs AND OLD.kind = NEW.kind
                  AND OLD.from_id = NEW.from_id AND OLD.to_id = NEW.to_id AND OLD.scope = NEW.scope
             THEN MIN(OLD.valid_to, NEW.valid_to)
             ELSE MIN(OLD.valid_from, NEW.valid_from) END); END;

-- Runs: a failed or partial run makes a reading carried forward.
CREATE TRIGGER score_run_added AFTER INSERT ON runs
BEGIN UPDATE score_cards SET stale_from = NEW.day
      WHERE stale_from IS NULL OR stale_from > NEW.day; END;
CREATE TRIGGER score_run_removed AFTER DELETE ON runs
BEGIN UPDATE score_cards SET stale_from = OLD.day
      WHERE stale_from IS NULL OR stale_from > OLD.day; END;
CREATE TRIGGER score_run_changed AFTER UPDATE ON runs
BEGIN UPDATE score_cards SET stale_from = MIN(OLD.day, NEW.day)
      WHERE stale_from IS NULL OR stale_from > MIN(OLD.day, NEW.day); END;

-- Deploys and their verdicts (the DORA built-ins).
CREATE TRIGGER score_deploy_added AFTER INSERT ON events
BEGIN UPDATE score_cards SET stale_from = NEW.at_ms / 86400000 - 1
      WHERE stale_from IS NULL OR stale_from > NEW.at_ms / 86400000 - 1; END;
CREATE TRIGGER score_deploy_removed AFTER DELETE ON events
BEGIN UPDATE score_cards SET stale_from = OLD.at_ms / 86400000 - 1
      WHERE stale_from IS NULL OR stale_from > OLD.at_ms / 86400000 - 1; END;
CREATE TRIGGER score_deploy_changed AFTER UPDATE ON events
BEGIN UPDATE score_cards SET stale_from = MIN(OLD.at_ms, NEW.at_ms) / 86400000 - 1
      WHERE stale_from IS NULL OR stale_from > MIN(OLD.at_ms, NEW.at_ms) / 86400000 - 1; END;
CREATE TRIGGER score_rollup_added AFTER INSERT ON dora_days
BEGIN UPDATE score_cards SET stale_from = NEW.day
      WHERE stale_from IS NULL OR stale_from > NEW.day; END;
CREATE TRIGGER score_rollup_removed AFTER DELETE ON dora_days
BEGIN UPDATE score_cards SET stale_from = OLD.day
      WHERE stale_from IS NULL OR stale_from > OLD.day; END;
CREATE TRIGGER score_rollup_changed AFTER UPDATE ON dora_days
BEGIN UPDATE score_cards SET stale_from = MIN(OLD.day, NEW.day)
      WHERE stale_from IS NULL OR stale_from > MIN(OLD.day, NEW.day); END;

CREATE TRIGGER score_scope_renamed AFTER UPDATE OF source, scope ON scopes
BEGIN UPDATE score_cards SET stale_from = -2147483648; END;
CREATE TRIGGER score_entity_renamed AFTER UPDATE OF key, kind ON entities
BEGIN UPDATE score_cards SET stale_from = -2147483648; END;
