-- api.cache of Actions, shared by every node: one entry per trigger and key (Auth0 scopes the cache
-- to the trigger). Times are microseconds since the epoch, as everywhere; expires_at is indexed for
-- the collector's sweep.
CREATE TABLE action_cache (
	trigger_id TEXT NOT NULL,
	cache_key  TEXT NOT NULL,
	value      TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (trigger_id, cache_key)
);
CREATE INDEX action_cache_expires_at ON action_cache (expires_at);

-- One row per run of a trigger's Actions (GET /api/v2/actions/executions/{id}), kept for
-- domain.ActionExecutionRetention; created_at is indexed for that sweep.
CREATE TABLE action_executions (
	id         TEXT PRIMARY KEY,
	trigger_id TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	doc        TEXT NOT NULL
);
CREATE INDEX action_executions_created_at ON action_executions (created_at);
