-- Email: the provider, the durable outbox, the development mailbox and single-use tickets.

-- One row. The SMTP password is sealed with a key derived from the master key (as signing keys
-- are) and never goes through the JSON document.
CREATE TABLE email_provider (
	id               INTEGER PRIMARY KEY CHECK (id = 1),
	secret_encrypted BYTEA,
	updated_at       BIGINT NOT NULL,
	doc              JSON NOT NULL
);

-- A message is queued in the transaction of the change that causes it and delivered by any node's
-- worker. A worker claims a row by setting lease_owner and lease_until; a row whose lease has run
-- out (its node died mid-send) is claimed again. sent_at or failed_at ends a row's life; the body
-- is dropped from doc at that point, so links with tickets do not linger.
CREATE TABLE email_outbox (
	id              TEXT PRIMARY KEY,
	created_at      BIGINT NOT NULL,
	next_attempt_at BIGINT NOT NULL,
	attempts        BIGINT NOT NULL,
	lease_owner     TEXT,
	lease_until     BIGINT,
	sent_at         BIGINT,
	failed_at       BIGINT,
	last_error      TEXT NOT NULL,
	doc             JSON NOT NULL
);
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- The development mailbox (gatehouse dev without a provider): the last messages, as delivered.
CREATE TABLE dev_mailbox (
	seq         BIGSERIAL PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	received_at BIGINT NOT NULL,
	doc         JSON NOT NULL
);

-- Single-use tickets (password reset, email verification): only the SHA-256 of the ticket is kept;
-- used_at is set by one conditional UPDATE, so a ticket is redeemed at most once.
CREATE TABLE tickets (
	ticket_hash BYTEA PRIMARY KEY,
	kind        TEXT NOT NULL,
	user_id     TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
	expires_at  BIGINT NOT NULL,
	used_at     BIGINT,
	doc         JSON NOT NULL
);
CREATE INDEX tickets_user ON tickets (user_id);
CREATE INDEX tickets_expires ON tickets (expires_at);
