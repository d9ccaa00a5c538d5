-- Access tokens revoked before they expire, by their jti: the one an authorization code's first
-- redemption issued, once the code is presented again (RFC 6749 §4.1.2). /userinfo refuses a token
-- listed here; a row is kept until the token it names would have expired anyway.
CREATE TABLE revoked_access_tokens (
	token_id   TEXT PRIMARY KEY,
	expires_at INTEGER NOT NULL
);
CREATE INDEX revoked_access_tokens_expires ON revoked_access_tokens (expires_at);
