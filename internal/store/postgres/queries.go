package postgres

import "github.com/gatehouse/gatehouse/internal/store/sqlstore"

// Column lists in the order the sqlstore scan functions read them.
const (
	clientCols  = `client_id, is_system, secret_hash, created_at, updated_at, doc`
	rsCols      = `created_at, updated_at, doc`
	grantCols   = `id, client_id, audience, created_at, doc`
	roleCols    = `id, name, description, created_at`
	userCols    = `user_id, connection, password_hash, created_at, updated_at, last_login, last_ip, logins_count, last_password_reset, doc`
	userColsU   = `u.user_id, u.connection, u.password_hash, u.created_at, u.updated_at, u.last_login, u.last_ip, u.logins_count, u.last_password_reset, u.doc`
	actionCols  = `deployed_version_id, created_at, updated_at, doc`
	versionCols = `number, deployed, created_at, secrets, doc`
	keyCols     = `kid, alg, state, private_key_encrypted, cert_der, created_at, current_since, previous_since, revoked_at`
	sessionCols = `token_hash, last_seen_at, idle_expires_at, client_ids, doc`
	codeCols    = `code_hash, used_at, issued_family_id, doc`
	refreshCols = `token_hash, family_id, generation, expires_at, idle_expires_at, rotated_at, revoked_at, doc`
)

// queries is PostgreSQL's SQL. Transactions run at READ COMMITTED; the *Lock statements take
// row locks (SELECT … FOR UPDATE), so concurrent rotations of one token or key are serialised.
var queries = sqlstore.Queries{
	CreateMigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`,
	SchemaVersion:         `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`,
	RecordMigration:       `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,

	ClientInsert: `INSERT INTO clients (client_id, app_type, is_first_party, is_system, secret_hash, created_at, updated_at, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
	ClientUpdate: `UPDATE clients SET app_type = $2, is_first_party = $3, is_system = $4, secret_hash = $5, updated_at = $6, doc = $7
		WHERE client_id = $1`,
	ClientGet:    `SELECT ` + clientCols + ` FROM clients WHERE client_id = $1`,
	ClientDelete: `DELETE FROM clients WHERE client_id = $1`,
	ClientSelect: `SELECT ` + clientCols + ` FROM clients`,
	ClientCount:  `SELECT COUNT(*) FROM clients`,

	ResourceServerInsert:          `INSERT INTO resource_servers (id, identifier, created_at, updated_at, doc) VALUES ($1, $2, $3, $4, $5)`,
	ResourceServerUpdate:          `UPDATE resource_servers SET identifier = $2, updated_at = $3, doc = $4 WHERE id = $1`,
	ResourceServerGet:             `SELECT ` + rsCols + ` FROM resource_servers WHERE id = $1`,
	ResourceServerGetByIdentifier: `SELECT ` + rsCols + ` FROM resource_servers WHERE identifier = $1`,
	ResourceServerDelete:          `DELETE FROM resource_servers WHERE id = $1`,
	ResourceServerSelect:          `SELECT ` + rsCols + ` FROM resource_servers`,
	ResourceServerCount:           `SELECT COUNT(*) FROM resource_servers`,

	ClientGrantInsert:           `INSERT INTO client_grants (id, client_id, audience, created_at, doc) VALUES ($1, $2, $3, $4, $5)`,
	ClientGrantUpdate:           `UPDATE client_grants SET doc = $2 WHERE id = $1`,
	ClientGrantGet:              `SELECT ` + grantCols + ` FROM client_grants WHERE id = $1`,
	ClientGrantFind:             `SELECT ` + grantCols + ` FROM client_grants WHERE client_id = $1 AND audience = $2`,
	ClientGrantDelete:           `DELETE FROM client_grants WHERE id = $1`,
	ClientGrantDeleteByAudience: `DELETE FROM client_grants WHERE audience = $1`,
	ClientGrantSelect:           `SELECT ` + grantCols + ` FROM client_grants`,
	ClientGrantCount:            `SELECT COUNT(*) FROM client_grants`,

	RoleInsert: `INSERT INTO roles (id, name, description, created_at) VALUES ($1, $2, $3, $4)`,
	RoleUpdate: `UPDATE roles SET name = $2, description = $3 WHERE id = $1`,
	RoleGet:    `SELECT ` + roleCols + ` FROM roles WHERE id = $1`,
	RoleDelete: `DELETE FROM roles WHERE id = $1`,
	RoleSelect: `SELECT ` + roleCols + ` FROM roles`,
	RoleCount:  `SELECT COUNT(*) FROM roles`,
	RolePermissionInsert: `INSERT INTO role_permissions (role_id, resource_server_identifier, permission_name) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`,
	RolePermissionDelete: `DELETE FROM role_permissions WHERE role_id = $1 AND resource_server_identifier = $2 AND permission_name = $3`,
	RolePermissionList: `SELECT resource_server_identifier, permission_name FROM role_permissions WHERE role_id = $1
		ORDER BY resource_server_identifier, permission_name LIMIT $2 OFFSET $3`,
	RolePermissionCount:       `SELECT COUNT(*) FROM role_permissions WHERE role_id = $1`,
	RolePermissionDeleteByAPI: `DELETE FROM role_permissions WHERE resource_server_identifier = $1`,
	RoleUserList: `SELECT ` + userColsU + ` FROM user_roles ur JOIN users u ON u.user_id = ur.user_id WHERE ur.role_id = $1
		ORDER BY u.created_at, u.user_id LIMIT $2 OFFSET $3`,
	RoleUserCount: `SELECT COUNT(*) FROM user_roles WHERE role_id = $1`,

	UserInsert: `INSERT INTO users (user_id, connection, email, username, name_lower, nickname_lower, email_verified, blocked,
		password_hash, created_at, updated_at, last_login, last_ip, logins_count, last_password_reset, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
	UserUpdate: `UPDATE users SET connection = $2, email = $3, username = $4, name_lower = $5, nickname_lower = $6,
		email_verified = $7, blocked = $8, password_hash = $9, updated_at = $10, last_password_reset = $11, doc = $12
		WHERE user_id = $1`,
	UserGet:         `SELECT ` + userCols + ` FROM users WHERE user_id = $1`,
	UserGetByEmail:  `SELECT ` + userCols + ` FROM users WHERE connection = $1 AND email = $2`,
	UserListByEmail: `SELECT ` + userCols + ` FROM users WHERE email = $1 ORDER BY created_at, user_id`,
	UserDelete:      `DELETE FROM users WHERE user_id = $1`,
	UserRecordLogin: `UPDATE users SET logins_count = logins_count + 1, last_login = $2, last_ip = $3 WHERE user_id = $1`,
	UserSelect:      `SELECT ` + userCols + ` FROM users`,
	UserCount:       `SELECT COUNT(*) FROM users`,

	UserRoleInsert: `INSERT INTO user_roles (user_id, role_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
	UserRoleDelete: `DELETE FROM user_roles WHERE user_id = $1 AND role_id = $2`,
	UserRoleList: `SELECT r.id, r.name, r.description, r.created_at FROM user_roles ur JOIN roles r ON r.id = ur.role_id
		WHERE ur.user_id = $1 ORDER BY r.name, r.id LIMIT $2 OFFSET $3`,
	UserRoleCount: `SELECT COUNT(*) FROM user_roles WHERE user_id = $1`,
	UserPermissionInsert: `INSERT INTO user_permissions (user_id, resource_server_identifier, permission_name) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`,
	UserPermissionDelete:      `DELETE FROM user_permissions WHERE user_id = $1 AND resource_server_identifier = $2 AND permission_name = $3`,
	UserPermissionDeleteByAPI: `DELETE FROM user_permissions WHERE resource_server_identifier = $1`,
	UserPermissionSources: `SELECT resource_server_identifier, permission_name, '', '', 'DIRECT' FROM user_permissions WHERE user_id = $1
		UNION ALL
		SELECT rp.resource_server_identifier, rp.permission_name, r.id, r.name, 'ROLE'
		FROM user_roles ur JOIN roles r ON r.id = ur.role_id JOIN role_permissions rp ON rp.role_id = r.id
		WHERE ur.user_id = $1
		ORDER BY 1, 2, 5, 4, 3`,
	UserPermissionNames: `SELECT permission_name FROM user_permissions WHERE user_id = $1 AND resource_server_identifier = $2
		UNION
		SELECT rp.permission_name FROM user_roles ur JOIN role_permissions rp ON rp.role_id = ur.role_id
		WHERE ur.user_id = $1 AND rp.resource_server_identifier = $2
		ORDER BY 1`,

	ActionInsert: `INSERT INTO actions (id, name, triggers, deployed_version_id, created_at, updated_at, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
	ActionUpdate:           `UPDATE actions SET name = $2, triggers = $3, updated_at = $4, doc = $5 WHERE id = $1`,
	ActionGet:              `SELECT ` + actionCols + ` FROM actions WHERE id = $1`,
	ActionLock:             `SELECT ` + actionCols + ` FROM actions WHERE id = $1 FOR UPDATE`,
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

	KeyInsert:            `INSERT INTO signing_keys (` + keyCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
	KeyList:              `SELECT ` + keyCols + ` FROM signing_keys ORDER BY created_at DESC, kid DESC`,
	KeyCurrentLock:       `SELECT kid FROM signing_keys WHERE alg = $1 AND state = 'current' FOR UPDATE`,
	KeyCurrentToPrevious: `UPDATE signing_keys SET state = 'previous', previous_since = $2 WHERE alg = $1 AND state = 'current'`,
	KeyNextToCurrent:     `UPDATE signing_keys SET state = 'current', current_since = $2 WHERE alg = $1 AND state = 'next'`,
	KeyRevoke:            `UPDATE signing_keys SET state = 'revoked', revoked_at = $2 WHERE kid = $1 AND state = 'previous'`,
	KeyState:             `SELECT state FROM signing_keys WHERE kid = $1`,
	KeysVersion: `SELECT COUNT(*), COALESCE(MAX(created_at), 0), COALESCE(MAX(current_since), 0),
		COALESCE(MAX(previous_since), 0), COALESCE(MAX(revoked_at), 0) FROM signing_keys`,

	LogInsert: `INSERT INTO log_events (log_id, date, type, user_id, client_id, doc) VALUES ($1, $2, $3, $4, $5, $6)`,
	LogGet:    `SELECT doc FROM log_events WHERE log_id = $1`,
	LogSelect: `SELECT doc FROM log_events`,
	LogCount:  `SELECT COUNT(*) FROM log_events`,

	TenantGet: `SELECT doc FROM tenant_settings WHERE id = 1`,
	TenantPut: `INSERT INTO tenant_settings (id, doc) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,

	SessionInsert: `INSERT INTO sessions (id, token_hash, user_id, last_seen_at, idle_expires_at, expires_at, client_ids, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
	SessionGet:            `SELECT ` + sessionCols + ` FROM sessions WHERE id = $1`,
	SessionGetByTokenHash: `SELECT ` + sessionCols + ` FROM sessions WHERE token_hash = $1`,
	SessionTouch:          `UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3, client_ids = $4 WHERE id = $1`,
	SessionDelete:         `DELETE FROM sessions WHERE id = $1`,
	SessionDeleteByUser:   `DELETE FROM sessions WHERE user_id = $1`,

	TransactionInsert: `INSERT INTO login_transactions (id, expires_at, doc) VALUES ($1, $2, $3)`,
	TransactionGet:    `SELECT doc FROM login_transactions WHERE id = $1 AND expires_at > $2`,
	TransactionUpdate: `UPDATE login_transactions SET expires_at = $2, doc = $3 WHERE id = $1`,
	TransactionDelete: `DELETE FROM login_transactions WHERE id = $1`,

	CodeInsert: `INSERT INTO authorization_codes (code_hash, client_id, user_id, expires_at, used_at, issued_family_id, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
	CodeRedeem:    `UPDATE authorization_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2`,
	CodeGet:       `SELECT ` + codeCols + ` FROM authorization_codes WHERE code_hash = $1`,
	CodeSetFamily: `UPDATE authorization_codes SET issued_family_id = $2 WHERE code_hash = $1`,

	RefreshInsert: `INSERT INTO refresh_tokens (token_hash, family_id, generation, client_id, user_id, expires_at, idle_expires_at,
		rotated_at, revoked_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
	RefreshGet:  `SELECT ` + refreshCols + ` FROM refresh_tokens WHERE token_hash = $1`,
	RefreshLock: `SELECT ` + refreshCols + ` FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
	// The advisory lock is keyed on the family, not a row: a retry of the previous token and a
	// rotation of the newest lock different rows, and each must see what the other did.
	RefreshLockFamily:    `SELECT pg_advisory_xact_lock(` + refreshFamilyLockKey + `, hashtext($1))`,
	RefreshMaxGeneration: `SELECT COALESCE(MAX(generation), 0) FROM refresh_tokens WHERE family_id = $1`,
	RefreshMarkRotated:   `UPDATE refresh_tokens SET rotated_at = $2 WHERE token_hash = $1 AND rotated_at IS NULL`,
	RefreshSupersede:     `UPDATE refresh_tokens SET rotated_at = $2, revoked_at = $2 WHERE family_id = $1 AND rotated_at IS NULL AND revoked_at IS NULL`,
	RefreshTouch:         `UPDATE refresh_tokens SET idle_expires_at = $2 WHERE token_hash = $1`,
	RefreshRevokeFamily:  `UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`,
	RefreshRevokeUser:    `UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`,

	DeleteExpiredTransactions: `DELETE FROM login_transactions WHERE expires_at <= $1`,
	DeleteExpiredSessions:     `DELETE FROM sessions WHERE expires_at <= $1 OR idle_expires_at <= $1`,
	DeleteExpiredCodes:        `DELETE FROM authorization_codes WHERE expires_at <= $1`,
	DeleteExpiredRefreshTokens: `DELETE FROM refresh_tokens WHERE (expires_at IS NOT NULL AND expires_at <= $1)
		OR (idle_expires_at IS NOT NULL AND idle_expires_at <= $1)`,
}
