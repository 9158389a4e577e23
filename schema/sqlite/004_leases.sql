-- Who may run a collector's scope right now. A holder renews its lease while
-- it runs; a crashed holder's lease expires, so nobody is blocked for ever.
CREATE TABLE leases (
    name          TEXT    PRIMARY KEY,
    holder        TEXT    NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
