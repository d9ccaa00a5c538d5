-- Public keys registered on clients for private_key_jwt (RFC 7523), Auth0's client credentials.
CREATE TABLE client_credentials (
	id         TEXT PRIMARY KEY,
	client_id  TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	doc        TEXT NOT NULL
);
CREATE INDEX client_credentials_client ON client_credentials (client_id, created_at);

-- Identifiers that may be presented once (a client assertion's jti, a DPoP proof's jti), by the
-- SHA-256 of their kind, issuer and value, kept until they could no longer be accepted anyway. One
-- INSERT decides first use, on every node alike.
CREATE TABLE used_jtis (
	jti_hash   BLOB PRIMARY KEY,
	expires_at INTEGER NOT NULL
);
CREATE INDEX used_jtis_expires ON used_jtis (expires_at);

-- Pushed authorization requests (RFC 9126), by the SHA-256 of their request_uri: redeemed once, by
-- the client that pushed them, before they expire.
CREATE TABLE pushed_requests (
	uri_hash   BLOB PRIMARY KEY,
	client_id  TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
	expires_at INTEGER NOT NULL,
	doc        TEXT NOT NULL
);
CREATE INDEX pushed_requests_expires ON pushed_requests (expires_at);
