-- Device authorization requests (RFC 8628): keyed by the SHA-256 of the device code, found by the
-- SHA-256 of the user code; neither code is stored in clear. Status, interval and last poll are
-- columns so that a poll is decided by single statements under the row's lock.
CREATE TABLE device_codes (
	code_hash        BLOB PRIMARY KEY,
	user_code_hash   BLOB NOT NULL UNIQUE,
	client_id        TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
	status           TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
	interval_seconds INTEGER NOT NULL,
	last_polled_at   INTEGER,
	expires_at       INTEGER NOT NULL,
	doc              TEXT NOT NULL
);
CREATE INDEX device_codes_expires ON device_codes (expires_at);

-- Revoked opaque access tokens (RFC 7009 §2): a userinfo-only token carries no id, so its SHA-256
-- is kept until the token would have expired anyway; every node checks it.
CREATE TABLE revoked_opaque_tokens (
	token_hash BLOB PRIMARY KEY,
	expires_at INTEGER NOT NULL
);
CREATE INDEX revoked_opaque_tokens_expires ON revoked_opaque_tokens (expires_at);
