-- What a user's identities hold beyond the user row: an identity (provider, identity_id) whose
-- account was linked to another user (user_id, the primary account it now signs in as) with the
-- profile its provider last sent (Auth0's profileData), and the upstream access and refresh tokens
-- of any identity, sealed under a key derived from the master key. A user's own identity (the one
-- its user_id names) has a row only once a provider has sent tokens for it.
CREATE TABLE user_identities (
    provider      TEXT NOT NULL,
    identity_id   TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    connection    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    tokens_sealed BLOB,
    doc           TEXT NOT NULL,
    PRIMARY KEY (provider, identity_id)
);
CREATE INDEX user_identities_user ON user_identities (user_id, created_at);

-- A user without an email address holds "@" and its user id in the email column, which no address
-- can equal, so that a connection may have any number of them (one per provider identity).
UPDATE users SET email = '@' || user_id WHERE email = '';
