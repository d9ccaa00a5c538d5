-- Organizations (Auth0's B2B tenants of an application): the organization itself (name is the
-- unique slug, the rest a JSON document), its members, the roles a member holds inside it, the
-- connections enabled for it, and invitations to join it (only the ticket's hash is kept).
CREATE TABLE organizations (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	doc        JSON NOT NULL
);

CREATE TABLE organization_members (
	organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	user_id         TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
	created_at      BIGINT NOT NULL,
	PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX organization_members_user ON organization_members (user_id);

CREATE TABLE organization_member_roles (
	organization_id TEXT NOT NULL,
	user_id         TEXT NOT NULL,
	role_id         TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
	created_at      BIGINT NOT NULL,
	PRIMARY KEY (organization_id, user_id, role_id),
	FOREIGN KEY (organization_id, user_id) REFERENCES organization_members (organization_id, user_id) ON DELETE CASCADE
);
CREATE INDEX organization_member_roles_role ON organization_member_roles (role_id);

CREATE TABLE organization_connections (
	organization_id            TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	connection_id              TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
	assign_membership_on_login BOOLEAN NOT NULL,
	show_as_button             BOOLEAN NOT NULL,
	is_signup_enabled          BOOLEAN NOT NULL,
	created_at                 BIGINT NOT NULL,
	PRIMARY KEY (organization_id, connection_id)
);
CREATE INDEX organization_connections_connection ON organization_connections (connection_id);

CREATE TABLE organization_invitations (
	id              TEXT PRIMARY KEY,
	organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	ticket_hash     BYTEA NOT NULL UNIQUE,
	created_at      BIGINT NOT NULL,
	expires_at      BIGINT NOT NULL,
	used_at         BIGINT,
	doc             JSON NOT NULL
);
CREATE INDEX organization_invitations_org ON organization_invitations (organization_id, created_at);
