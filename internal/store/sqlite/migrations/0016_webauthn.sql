-- WebAuthn credentials: security keys and platform authenticators as second factors, and passkeys.
-- credential_id is the authenticator's id, unique across users; data is the credential record
-- (public key, flags, transports, AAGUID) as JSON; sign_count only moves forward, by a conditional
-- UPDATE, so a cloned authenticator's assertion is refused.
CREATE TABLE webauthn_credentials (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    type          TEXT NOT NULL,
    credential_id BLOB NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    sign_count    INTEGER NOT NULL,
    data          BLOB NOT NULL,
    user_agent    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_auth_at  INTEGER
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

-- Ceremonies in progress: one per binding (a login transaction or a session), taken once.
CREATE TABLE webauthn_challenges (
    binding    TEXT PRIMARY KEY,
    data       BLOB NOT NULL,
    expires_at INTEGER NOT NULL
);
