-- Attack protection: one row per section of /api/v2/attack-protection (brute-force-protection,
-- suspicious-ip-throttling, breached-password-detection), so that changes to two sections never
-- overwrite each other. A section without a row has Auth0's defaults.
CREATE TABLE attack_protection (
    section    TEXT PRIMARY KEY,
    updated_at BIGINT NOT NULL,
    doc        TEXT NOT NULL
);

-- Log streams: the configuration (doc; the sink's Authorization header sealed apart), and the
-- delivery state: cursor_seq is the log_events.seq of the last event delivered; one node at a time
-- holds a stream's lease (lease_owner until lease_until) and delivers from the cursor.
CREATE TABLE log_streams (
    id               TEXT PRIMARY KEY,
    status           TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    secret_encrypted BLOB,
    doc              TEXT NOT NULL,
    cursor_seq       BIGINT NOT NULL,
    failures         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    lease_owner      TEXT,
    lease_until      BIGINT
);
