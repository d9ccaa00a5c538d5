package sqlstore

// tenantSQL holds the generic statements of the tenant's configuration: migrations, clients and
// their credentials, APIs, grants, roles, connections, Actions, settings, organizations.
var tenantSQL = map[Stmt]string{
	CreateMigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`,
	SchemaVersion:         `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`,
	RecordMigration:       `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
	ClientInsert: `INSERT INTO clients (client_id, app_type, is_first_party, is_system, secret_hash, created_at, updated_at, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
	ClientUpdate: `UPDATE clients SET app_type = $2, is_first_party = $3, is_system = $4, secret_hash = $5, updated_at = $6, doc = $7
		WHERE client_id = $1`,
	ClientGet:                     `SELECT ` + clientCols + ` FROM clients WHERE client_id = $1`,
	ClientDelete:                  `DELETE FROM clients WHERE client_id = $1`,
	ClientSelect:                  `SELECT ` + clientCols + ` FROM clients`,
	ClientCount:                   `SELECT COUNT(*) FROM clients`,
	ResourceServerInsert:          `INSERT INTO resource_servers (id, identifier, created_at, updated_at, doc) VALUES ($1, $2, $3, $4, $5)`,
	ResourceServerUpdate:          `UPDATE resource_servers SET identifier = $2, updated_at = $3, doc = $4 WHERE id = $1`,
	ResourceServerGet:             `SELECT ` + rsCols + ` FROM resource_servers WHERE id = $1`,
	ResourceServerGetByIdentifier: `SELECT ` + rsCols + ` FROM resource_servers WHERE identifier = $1`,
	ResourceServerDelete:          `DELETE FROM resource_servers WHERE id = $1`,
	ResourceServerSelect:          `SELECT ` + rsCols + ` FROM resource_servers`,
	ResourceServerCount:           `SELECT COUNT(*) FROM resource_servers`,
	ClientGrantInsert:             `INSERT INTO client_grants (id, client_id, audience, created_at, doc) VALUES ($1, $2, $3, $4, $5)`,
	ClientGrantUpdate:             `UPDATE client_grants SET doc = $2 WHERE id = $1`,
	ClientGrantGet:                `SELECT ` + grantCols + ` FROM client_grants WHERE id = $1`,
	ClientGrantFind:               `SELECT ` + grantCols + ` FROM client_grants WHERE client_id = $1 AND audience = $2`,
	ClientGrantDelete:             `DELETE FROM client_grants WHERE id = $1`,
	ClientGrantDeleteByAudience:   `DELETE FROM client_grants WHERE audience = $1`,
	ClientGrantSelect:             `SELECT ` + grantCols + ` FROM client_grants`,
	ClientGrantCount:              `SELECT COUNT(*) FROM client_grants`,
	RoleInsert:                    `INSERT INTO roles (id, name, description, created_at) VALUES ($1, $2, $3, $4)`,
	RoleUpdate:                    `UPDATE roles SET name = $2, description = $3 WHERE id = $1`,
	RoleGet:                       `SELECT ` + roleCols + ` FROM roles WHERE id = $1`,
	RoleDelete:                    `DELETE FROM roles WHERE id = $1`,
	RoleSelect:                    `SELECT ` + roleCols + ` FROM roles`,
	RoleCount:                     `SELECT COUNT(*) FROM roles`,
	RolePermissionInsert: `INSERT INTO role_permissions (role_id, resource_server_identifier, permission_name) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`,
	RolePermissionDelete: `DELETE FROM role_permissions WHERE role_id = $1 AND resource_server_identifier = $2 AND permission_name = $3`,
	RolePermissionList: `SELECT resource_server_identifier, permission_name FROM role_permissions WHERE role_id = $1
		ORDER BY resource_server_identifier, permission_name LIMIT $2 OFFSET $3`,
	RolePermissionCount:       `SELECT COUNT(*) FROM role_permissions WHERE role_id = $1`,
	RolePermissionDeleteByAPI: `DELETE FROM role_permissions WHERE resource_server_identifier = $1`,
	RoleUserList: `SELECT ` + userColsU + ` FROM user_roles ur JOIN users u ON u.user_id = ur.user_id WHERE ur.role_id = $1
		ORDER BY u.created_at, u.user_id LIMIT $2 OFFSET $3`,
	RoleUserCount:          `SELECT COUNT(*) FROM user_roles WHERE role_id = $1`,
	ConnectionInsert:       `INSERT INTO connections (id, name, strategy, created_at, updated_at, doc) VALUES ($1, $2, $3, $4, $5, $6)`,
	ConnectionUpdate:       `UPDATE connections SET updated_at = $2, doc = $3 WHERE id = $1`,
	ConnectionGet:          `SELECT ` + connectionCols + ` FROM connections WHERE id = $1`,
	ConnectionGetByName:    `SELECT ` + connectionCols + ` FROM connections WHERE name = $1`,
	ConnectionDelete:       `DELETE FROM connections WHERE id = $1`,
	ConnectionDeleteUsers:  `DELETE FROM users WHERE connection = $1`,
	ConnectionSelect:       `SELECT ` + connectionCols + ` FROM connections`,
	ConnectionCount:        `SELECT COUNT(*) FROM connections`,
	ConnectionClientInsert: `INSERT INTO connection_clients (connection_id, client_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
	ConnectionClientDelete: `DELETE FROM connection_clients WHERE connection_id = $1 AND client_id = $2`,
	ConnectionClientList:   `SELECT client_id FROM connection_clients WHERE connection_id = $1 ORDER BY client_id`,
	ConnectionClientClear:  `DELETE FROM connection_clients WHERE connection_id = $1`,
	ConnectionClientEnableAll: `INSERT INTO connection_clients (connection_id, client_id) SELECT id, $1 FROM connections WHERE true
		ON CONFLICT DO NOTHING`,
	// Rare (a connection deleted): user_identities has no index on connection, a scan is fine.
	ConnectionDeleteIdentities: `DELETE FROM user_identities WHERE connection = $1`,
	ActionInsert: `INSERT INTO actions (id, name, triggers, deployed_version_id, created_at, updated_at, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
	ActionUpdate:           `UPDATE actions SET name = $2, triggers = $3, updated_at = $4, doc = $5 WHERE id = $1`,
	ActionGet:              `SELECT ` + actionCols + ` FROM actions WHERE id = $1`,
	ActionLock:             `SELECT ` + actionCols + ` FROM actions WHERE id = $1`,
	ActionDelete:           `DELETE FROM actions WHERE id = $1`,
	ActionSelect:           `SELECT ` + actionCols + ` FROM actions`,
	ActionCount:            `SELECT COUNT(*) FROM actions`,
	ActionSetDeployed:      `UPDATE actions SET deployed_version_id = $2, updated_at = $3 WHERE id = $1`,
	ActionVersionInsert:    `INSERT INTO action_versions (id, action_id, number, deployed, created_at, secrets, doc) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
	ActionVersionMaxNumber: `SELECT COALESCE(MAX(number), 0) FROM action_versions WHERE action_id = $1`,
	ActionVersionUndeploy:  `UPDATE action_versions SET deployed = false WHERE action_id = $1 AND deployed`,
	ActionVersionGet:       `SELECT ` + versionCols + ` FROM action_versions WHERE action_id = $1 AND id = $2`,
	ActionVersionList: `SELECT ` + versionCols + ` FROM action_versions WHERE action_id = $1
		ORDER BY number DESC LIMIT $2 OFFSET $3`,
	ActionVersionCount:      `SELECT COUNT(*) FROM action_versions WHERE action_id = $1`,
	TriggerBindingDeleteAll: `DELETE FROM trigger_bindings WHERE trigger_id = $1`,
	TriggerBindingInsert: `INSERT INTO trigger_bindings (id, trigger_id, position, action_id, created_at, updated_at, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
	TriggerBindingList: `SELECT action_id, created_at, updated_at, doc FROM trigger_bindings WHERE trigger_id = $1 ORDER BY position`,
	TenantGet:          `SELECT doc FROM tenant_settings WHERE id = 1`,
	TenantPut:          `INSERT INTO tenant_settings (id, doc) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
	EmailProviderGet:   `SELECT secret_encrypted, updated_at, doc FROM email_provider WHERE id = 1`,
	EmailProviderPut: `INSERT INTO email_provider (id, secret_encrypted, updated_at, doc) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET secret_encrypted = excluded.secret_encrypted, updated_at = excluded.updated_at, doc = excluded.doc`,
	EmailTemplateGet:    `SELECT updated_at, doc FROM email_templates WHERE name = $1`,
	EmailTemplateCreate: `INSERT INTO email_templates (name, updated_at, doc) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
	EmailTemplatePut: `INSERT INTO email_templates (name, updated_at, doc) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at, doc = excluded.doc`,
	AttackProtectionList: `SELECT section, doc FROM attack_protection`,
	AttackProtectionPut: `INSERT INTO attack_protection (section, updated_at, doc) VALUES ($1, $2, $3)
		ON CONFLICT (section) DO UPDATE SET updated_at = excluded.updated_at, doc = excluded.doc`,
	OrgInsert:       `INSERT INTO organizations (id, name, created_at, updated_at, doc) VALUES ($1, $2, $3, $4, $5)`,
	OrgUpdate:       `UPDATE organizations SET name = $2, updated_at = $3, doc = $4 WHERE id = $1`,
	OrgGet:          `SELECT ` + orgCols + ` FROM organizations WHERE id = $1`,
	OrgGetByName:    `SELECT ` + orgCols + ` FROM organizations WHERE name = $1`,
	OrgDelete:       `DELETE FROM organizations WHERE id = $1`,
	OrgSelect:       `SELECT ` + orgCols + ` FROM organizations`,
	OrgCount:        `SELECT COUNT(*) FROM organizations`,
	OrgAfter:        `SELECT ` + orgCols + ` FROM organizations WHERE id > $1 ORDER BY id LIMIT $2`,
	OrgMemberInsert: `INSERT INTO organization_members (organization_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
	OrgMemberDelete: `DELETE FROM organization_members WHERE organization_id = $1 AND user_id = $2`,
	OrgMemberExists: `SELECT COUNT(*) FROM organization_members WHERE organization_id = $1 AND user_id = $2`,
	OrgMemberList: `SELECT ` + userColsU + ` FROM organization_members m JOIN users u ON u.user_id = m.user_id
		WHERE m.organization_id = $1 ORDER BY u.user_id LIMIT $2 OFFSET $3`,
	OrgMemberCount: `SELECT COUNT(*) FROM organization_members WHERE organization_id = $1`,
	OrgMemberAfter: `SELECT ` + userColsU + ` FROM organization_members m JOIN users u ON u.user_id = m.user_id
		WHERE m.organization_id = $1 AND u.user_id > $2 ORDER BY u.user_id LIMIT $3`,
	OrgMemberRoleInsert: `INSERT INTO organization_member_roles (organization_id, user_id, role_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
	OrgMemberRoleDelete: `DELETE FROM organization_member_roles WHERE organization_id = $1 AND user_id = $2 AND role_id = $3`,
	OrgMemberRoleList: `SELECT r.id, r.name, r.description, r.created_at FROM organization_member_roles mr JOIN roles r ON r.id = mr.role_id
		WHERE mr.organization_id = $1 AND mr.user_id = $2 ORDER BY r.name, r.id LIMIT $3 OFFSET $4`,
	OrgMemberRoleCount: `SELECT COUNT(*) FROM organization_member_roles WHERE organization_id = $1 AND user_id = $2`,
	OrgMemberPermissions: `SELECT DISTINCT rp.permission_name FROM organization_member_roles mr
		JOIN role_permissions rp ON rp.role_id = mr.role_id
		WHERE mr.organization_id = $1 AND mr.user_id = $2 AND rp.resource_server_identifier = $3
		ORDER BY rp.permission_name`,
	OrgConnectionInsert: `INSERT INTO organization_connections (organization_id, connection_id, assign_membership_on_login, show_as_button, is_signup_enabled, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
	OrgConnectionUpdate: `UPDATE organization_connections SET assign_membership_on_login = $3, show_as_button = $4, is_signup_enabled = $5
		WHERE organization_id = $1 AND connection_id = $2`,
	OrgConnectionGet: `SELECT ` + orgConnCols + ` FROM organization_connections oc JOIN connections c ON c.id = oc.connection_id
		WHERE oc.organization_id = $1 AND oc.connection_id = $2`,
	OrgConnectionList: `SELECT ` + orgConnCols + ` FROM organization_connections oc JOIN connections c ON c.id = oc.connection_id
		WHERE oc.organization_id = $1 ORDER BY oc.created_at, oc.connection_id`,
	OrgConnectionDelete: `DELETE FROM organization_connections WHERE organization_id = $1 AND connection_id = $2`,
	InvitationInsert: `INSERT INTO organization_invitations (id, organization_id, ticket_hash, created_at, expires_at, used_at, doc)
		VALUES ($1, $2, $3, $4, $5, NULL, $6)`,
	InvitationGet:    `SELECT ` + invitationCols + ` FROM organization_invitations WHERE organization_id = $1 AND id = $2 AND used_at IS NULL`,
	InvitationDelete: `DELETE FROM organization_invitations WHERE organization_id = $1 AND id = $2 AND used_at IS NULL`,
	InvitationList: `SELECT ` + invitationCols + ` FROM organization_invitations WHERE organization_id = $1 AND used_at IS NULL
		ORDER BY created_at DESC, id LIMIT $2 OFFSET $3`,
	InvitationCount:     `SELECT COUNT(*) FROM organization_invitations WHERE organization_id = $1 AND used_at IS NULL`,
	InvitationRedeem:    `UPDATE organization_invitations SET used_at = $3 WHERE ticket_hash = $1 AND organization_id = $2 AND used_at IS NULL AND expires_at > $3`,
	InvitationGetByHash: `SELECT ` + invitationCols + ` FROM organization_invitations WHERE ticket_hash = $1`,
	GuardianGet:         `SELECT doc FROM guardian_settings WHERE id = 1`,
	GuardianPut: `INSERT INTO guardian_settings (id, updated_at, doc) VALUES (1, $1, $2)
		ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, doc = excluded.doc`,
	CredentialInsert: `INSERT INTO client_credentials (id, client_id, created_at, doc) VALUES ($1, $2, $3, $4)`,
	CredentialList:   `SELECT id, client_id, doc FROM client_credentials WHERE client_id = $1 ORDER BY created_at, id`,
	CredentialGet:    `SELECT id, client_id, doc FROM client_credentials WHERE client_id = $1 AND id = $2`,
	CredentialDelete: `DELETE FROM client_credentials WHERE client_id = $1 AND id = $2`,
	CredentialUpdate: `UPDATE client_credentials SET doc = $3 WHERE client_id = $1 AND id = $2`,
}
