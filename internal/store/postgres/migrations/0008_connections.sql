-- Database connections as objects of their own (Auth0's /api/v2/connections), the applications each
-- one is enabled for, and the previous password hashes a connection's password_history compares a
-- new password with. Users keep naming their connection by name (users.connection).
CREATE TABLE connections (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	strategy   TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	doc        JSON NOT NULL
);

CREATE TABLE connection_clients (
	connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
	client_id     TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
	PRIMARY KEY (connection_id, client_id)
);
CREATE INDEX connection_clients_client ON connection_clients (client_id);

CREATE TABLE password_history (
	user_id       TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
	password_hash TEXT NOT NULL,
	created_at    BIGINT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, created_at);

-- The database connection every existing user belongs to, with the rule Gatehouse enforced until now
-- (at least 8 characters, 3 of the 4 character classes: Auth0's "good") and brute-force protection
-- on, enabled for every existing application so that nobody's sign-in changes.
INSERT INTO connections (id, name, strategy, created_at, updated_at, doc)
VALUES ('con_' || substr(md5(random()::text || clock_timestamp()::text), 1, 16), 'Username-Password-Authentication', 'auth0',
	(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT,
	(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT,
	'{"strategy":"auth0","options":{"passwordPolicy":"good","disable_signup":false,"requires_username":false,"brute_force_protection":true,"strategy_version":2},"is_domain_connection":false,"realms":["Username-Password-Authentication"]}');
INSERT INTO connection_clients (connection_id, client_id)
SELECT c.id, cl.client_id FROM connections c, clients cl WHERE c.name = 'Username-Password-Authentication';
