-- Email templates (the tenant's own version of a mail, Auth0's shape) and Management API jobs.

-- One row per template name the tenant has configured; a name without a row uses the built-in
-- default.
CREATE TABLE email_templates (
	name       TEXT PRIMARY KEY,
	updated_at BIGINT NOT NULL,
	doc        JSON NOT NULL
);

-- A job names the outbox message it queued; its status is read from that message.
CREATE TABLE jobs (
	id         TEXT PRIMARY KEY,
	created_at BIGINT NOT NULL,
	email_id   TEXT NOT NULL,
	doc        JSON NOT NULL
);
