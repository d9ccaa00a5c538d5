-- OpenID Connect Back-Channel Logout 1.0: one row per logout token to deliver to a client's
-- backchannel_logout_url, queued with the logout that causes it and delivered by whichever node
-- leases it first, with retries (the email outbox's pattern). The logout token is signed at each
-- attempt from the fields in doc (client, URL, user, session).
CREATE TABLE backchannel_logouts (
	id              TEXT PRIMARY KEY,
	created_at      INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	attempts        INTEGER NOT NULL,
	lease_owner     TEXT,
	lease_until     INTEGER,
	sent_at         INTEGER,
	failed_at       INTEGER,
	last_error      TEXT NOT NULL,
	doc             TEXT NOT NULL
);
CREATE INDEX backchannel_logouts_due ON backchannel_logouts (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
