-- Second factors. One row per enrolled authenticator of a user: a TOTP app (secret sealed with a
-- key derived from the master key) or a recovery code (secret its SHA-256). last_step is the TOTP
-- time step of the last code accepted; it only grows, by a conditional UPDATE, so a code is usable once.
CREATE TABLE mfa_authenticators (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    type         TEXT NOT NULL,
    secret       BYTEA NOT NULL,
    confirmed    BOOLEAN NOT NULL,
    last_step    BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    last_auth_at BIGINT
);
CREATE INDEX mfa_authenticators_user ON mfa_authenticators (user_id);

-- A browser session that passed a second factor: the methods (amr values) and when.
CREATE TABLE session_mfa (
    session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    methods    TEXT NOT NULL,
    at         BIGINT NOT NULL
);

-- The tenant's MFA configuration (/api/v2/guardian): one row, absent until first saved.
CREATE TABLE guardian_settings (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    updated_at BIGINT NOT NULL,
    doc        JSON NOT NULL
);

-- Browsers a user asked to be remembered after a second factor ("remember this browser", 30
-- days): the SHA-256 of the cookie's random value. Deleting a user's rows forgets every browser
-- (invalidate-remember-browser).
CREATE TABLE mfa_remembered_browsers (
    token_hash BYTEA PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX mfa_remembered_browsers_user ON mfa_remembered_browsers (user_id);
