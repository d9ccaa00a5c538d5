-- Windowed counters shared by every node: brute-force protection and rate limits. Times are
-- microseconds since the epoch, as everywhere. expires_at is indexed for the collector's sweep.
CREATE TABLE counters (
    counter_key TEXT PRIMARY KEY,
    hits        BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX counters_expires_at ON counters (expires_at);
