-- The day rollups of dora_days packed per lane (service, cluster) and span
-- of 256 days (docs/dora.md, "How the figures are kept"): a read over a
-- long window adds a few packed rows per lane instead of one row per
-- service, cluster and day (the two-year organisation read was ~260,000
-- rows). Kept in the transaction that writes dora_days, from its rows.

-- span: days since the epoch divided by 256 (floored); days: the span's
-- dora_days rows of the lane, packed (src/judging/span.rs).
CREATE TABLE dora_spans (
    span    INTEGER NOT NULL,
    service TEXT    NOT NULL,
    cluster TEXT    NOT NULL,
    days    BLOB    NOT NULL,
    PRIMARY KEY (span, service, cluster)
) WITHOUT ROWID;
-- One service's (or team's) read, and a lane's rebuild.
CREATE INDEX dora_spans_by_lane ON dora_spans (service, cluster, span);

-- A store with deploys derives the spans (and the views again) when next
-- opened for writing, resumably, like any rebuild.
UPDATE dora_views SET complete = 0, cursor_service = NULL, cursor_cluster = NULL
WHERE EXISTS (SELECT 1 FROM events);

-- Reads go through dora_spans now; day by day lookups were the cost of the
-- organisation read (a PK lookup per row found through it).
DROP INDEX dora_days_by_day;
