-- WebAuthn credentials: security keys and platform authenticators as second factors, and passkeys.
-- credential_id is the authenticator's id, unique across users; data is the credential record
-- (public key, flags, transports, AAGUID) as JSON; sign_count only moves forward, by a conditional
-- UPDATE, so a cloned authenticator's assertion is refused.
CREATE TABLE webauthn_credentials (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    type          TEXT NOT NULL,
    credential_id BYTEA NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    sign_count    BIGINT NOT NULL,
    data          BYTEA NOT NULL,
    user_agent    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_auth_at  BIGINT
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

-- Ceremonies in progress: one per binding (a login transaction or a session), taken once.
CREATE TABLE webauthn_challenges (
    binding    TEXT PRIMARY KEY,
    data       BYTEA NOT NULL,
    expires_at BIGINT NOT NULL
);
