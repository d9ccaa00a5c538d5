-- Gatehouse schema, version 1 (PostgreSQL). Times are BIGINT microseconds since the Unix epoch, UTC.
-- Most entities keep the columns that are looked up, unique or referenced, and a JSON document
-- (doc) with the rest of the entity as the Management API shows it. doc is JSON, not JSONB: it is
-- never queried inside, so keeping the text as written is cheaper than decomposing it.
-- Times are integers rather than timestamptz so that both engines share one scanning code path
-- and compare exactly.

CREATE TABLE tenant_settings (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	doc JSON NOT NULL
);

CREATE TABLE clients (
	client_id      TEXT PRIMARY KEY,
	app_type       TEXT NOT NULL,
	is_first_party BOOLEAN NOT NULL,
	is_system      BOOLEAN NOT NULL,
	secret_hash    BYTEA,
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL,
	doc            JSON NOT NULL
);

CREATE TABLE resource_servers (
	id         TEXT PRIMARY KEY,
	identifier TEXT NOT NULL UNIQUE,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	doc        JSON NOT NULL
);

-- audience is an API identifier; grants for an API are deleted with it by DeleteResourceServer.
CREATE TABLE client_grants (
	id         TEXT PRIMARY KEY,
	client_id  TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
	audience   TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	doc        JSON NOT NULL,
	UNIQUE (client_id, audience)
);
CREATE INDEX client_grants_audience ON client_grants (audience);

CREATE TABLE roles (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	description TEXT NOT NULL,
	created_at  BIGINT NOT NULL
);

CREATE TABLE role_permissions (
	role_id                    TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
	resource_server_identifier TEXT NOT NULL,
	permission_name            TEXT NOT NULL,
	PRIMARY KEY (role_id, resource_server_identifier, permission_name)
);
CREATE INDEX role_permissions_api ON role_permissions (resource_server_identifier);

-- email, username, name_lower and nickname_lower are lower-cased for case-insensitive matching.
CREATE TABLE users (
	user_id             TEXT PRIMARY KEY,
	connection          TEXT NOT NULL,
	email               TEXT NOT NULL,
	username            TEXT,
	name_lower          TEXT NOT NULL,
	nickname_lower      TEXT NOT NULL,
	email_verified      BOOLEAN NOT NULL,
	blocked             BOOLEAN NOT NULL,
	password_hash       TEXT NOT NULL,
	created_at          BIGINT NOT NULL,
	updated_at          BIGINT NOT NULL,
	last_login          BIGINT,
	last_ip             TEXT NOT NULL,
	logins_count        BIGINT NOT NULL,
	last_password_reset BIGINT,
	doc                 JSON NOT NULL,
	UNIQUE (connection, email),
	UNIQUE (connection, username)
);
CREATE INDEX users_email ON users (email);
CREATE INDEX users_created ON users (created_at, user_id);

CREATE TABLE user_roles (
	user_id    TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
	role_id    TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles (role_id);

CREATE TABLE user_permissions (
	user_id                    TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
	resource_server_identifier TEXT NOT NULL,
	permission_name            TEXT NOT NULL,
	PRIMARY KEY (user_id, resource_server_identifier, permission_name)
);
CREATE INDEX user_permissions_api ON user_permissions (resource_server_identifier);

-- triggers holds ",id1,id2," so that a list can filter on one supported trigger.
CREATE TABLE actions (
	id                  TEXT PRIMARY KEY,
	name                TEXT NOT NULL UNIQUE,
	triggers            TEXT NOT NULL,
	deployed_version_id TEXT NOT NULL,
	created_at          BIGINT NOT NULL,
	updated_at          BIGINT NOT NULL,
	doc                 JSON NOT NULL
);

CREATE TABLE action_versions (
	id         TEXT PRIMARY KEY,
	action_id  TEXT NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
	number     BIGINT NOT NULL,
	deployed   BOOLEAN NOT NULL,
	created_at BIGINT NOT NULL,
	secrets    JSON NOT NULL,
	doc        JSON NOT NULL,
	UNIQUE (action_id, number)
);

CREATE TABLE trigger_bindings (
	id         TEXT PRIMARY KEY,
	trigger_id TEXT NOT NULL,
	position   BIGINT NOT NULL,
	action_id  TEXT NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	doc        JSON NOT NULL
);
CREATE INDEX trigger_bindings_trigger ON trigger_bindings (trigger_id, position);

CREATE TABLE signing_keys (
	kid                   TEXT PRIMARY KEY,
	alg                   TEXT NOT NULL,
	state                 TEXT NOT NULL,
	private_key_encrypted BYTEA NOT NULL,
	cert_der              BYTEA,
	created_at            BIGINT NOT NULL,
	current_since         BIGINT,
	previous_since        BIGINT,
	revoked_at            BIGINT
);
-- At most one current and one next key, whatever two nodes do at once.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (state) WHERE state = 'current';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (state) WHERE state = 'next';

-- seq orders events of the same instant by insertion.
CREATE TABLE log_events (
	seq       BIGSERIAL PRIMARY KEY,
	log_id    TEXT NOT NULL UNIQUE,
	date      BIGINT NOT NULL,
	type      TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	client_id TEXT NOT NULL,
	doc       JSON NOT NULL
);
CREATE INDEX log_events_date ON log_events (date, seq);
CREATE INDEX log_events_user ON log_events (user_id, date);

CREATE TABLE sessions (
	id              TEXT PRIMARY KEY,
	token_hash      BYTEA NOT NULL UNIQUE,
	user_id         TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
	last_seen_at    BIGINT NOT NULL,
	idle_expires_at BIGINT NOT NULL,
	expires_at      BIGINT NOT NULL,
	client_ids      JSON NOT NULL,
	doc             JSON NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_idle_expires ON sessions (idle_expires_at);

CREATE TABLE login_transactions (
	id         TEXT PRIMARY KEY,
	expires_at BIGINT NOT NULL,
	doc        JSON NOT NULL
);
CREATE INDEX login_transactions_expires ON login_transactions (expires_at);

CREATE TABLE authorization_codes (
	code_hash        BYTEA PRIMARY KEY,
	client_id        TEXT NOT NULL,
	user_id          TEXT NOT NULL,
	expires_at       BIGINT NOT NULL,
	used_at          BIGINT,
	issued_family_id TEXT NOT NULL,
	doc              JSON NOT NULL
);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);

CREATE TABLE refresh_tokens (
	token_hash      BYTEA PRIMARY KEY,
	family_id       TEXT NOT NULL,
	generation      BIGINT NOT NULL,
	client_id       TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
	user_id         TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
	expires_at      BIGINT,
	idle_expires_at BIGINT,
	rotated_at      BIGINT,
	revoked_at      BIGINT,
	doc             JSON NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id, generation);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_idle_expires ON refresh_tokens (idle_expires_at);
