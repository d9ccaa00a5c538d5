package sqlstore

// Queries is the complete SQL of one dialect. Placeholders are $1, $2, … in the order the Go code
// passes them (given per group below). *Select statements end before WHERE, so that filtered lists
// append a WHERE of fixed column conditions, ORDER BY, LIMIT and OFFSET; *Count statements likewise.
// Columns are read in the order the scan functions document (scanClient, scanUser, …).
type Queries struct {
	// Migrations.
	CreateMigrationsTable string // no args
	SchemaVersion         string // → max version, 0 when empty
	RecordMigration       string // version, applied_at

	// Clients: Insert(client_id, app_type, is_first_party, is_system, secret_hash, created_at,
	// updated_at, doc); Update(client_id, app_type, is_first_party, is_system, secret_hash,
	// updated_at, doc); Get/Delete(client_id).
	ClientInsert, ClientUpdate, ClientGet, ClientDelete, ClientSelect, ClientCount string

	// Resource servers: Insert(id, identifier, created_at, updated_at, doc); Update(id, identifier,
	// updated_at, doc); Get/Delete(id); GetByIdentifier(identifier).
	ResourceServerInsert, ResourceServerUpdate, ResourceServerGet, ResourceServerGetByIdentifier string
	ResourceServerDelete, ResourceServerSelect, ResourceServerCount                              string

	// Client grants: Insert(id, client_id, audience, created_at, doc); Update(id, doc);
	// Get/Delete(id); Find(client_id, audience); DeleteByAudience(audience).
	ClientGrantInsert, ClientGrantUpdate, ClientGrantGet, ClientGrantFind, ClientGrantDelete string
	ClientGrantDeleteByAudience, ClientGrantSelect, ClientGrantCount                         string

	// Roles: Insert(id, name, description, created_at); Update(id, name, description);
	// Get/Delete(id). RolePermission Insert/Delete(role_id, api, name), List(role_id, limit,
	// offset), Count(role_id), DeleteByAPI(api). RoleUser List(role_id, limit, offset),
	// Count(role_id).
	RoleInsert, RoleUpdate, RoleGet, RoleDelete, RoleSelect, RoleCount                  string
	RolePermissionInsert, RolePermissionDelete, RolePermissionList, RolePermissionCount string
	RolePermissionDeleteByAPI, RoleUserList, RoleUserCount                              string

	// Users: Insert(user_id, connection, email, username, name_lower, nickname_lower,
	// email_verified, blocked, password_hash, created_at, updated_at, last_login, last_ip,
	// logins_count, last_password_reset, doc); Update(user_id, connection, email, username,
	// name_lower, nickname_lower, email_verified, blocked, password_hash, updated_at,
	// last_password_reset, doc); Get/Delete(user_id); GetByEmail(connection, email);
	// ListByEmail(email); RecordLogin(user_id, at, ip).
	UserInsert, UserUpdate, UserGet, UserGetByEmail, UserListByEmail, UserDelete string
	UserRecordLogin, UserSelect, UserCount                                       string
	// UserRole Insert(user_id, role_id, created_at), Delete(user_id, role_id), List(user_id, limit,
	// offset), Count(user_id). UserPermission Insert/Delete(user_id, api, name), DeleteByAPI(api),
	// Sources(user_id) → api, name, source_id, source_name, source_type ordered by api, name;
	// Names(user_id, api) → distinct sorted names.
	UserRoleInsert, UserRoleDelete, UserRoleList, UserRoleCount           string
	UserPermissionInsert, UserPermissionDelete, UserPermissionDeleteByAPI string
	UserPermissionSources, UserPermissionNames                            string

	// Actions: Insert(id, name, triggers, deployed_version_id, created_at, updated_at, doc);
	// Update(id, name, triggers, updated_at, doc); Get/Delete(id); Lock(id) is Get that also locks
	// the row; SetDeployed(id, version_id, updated_at). Versions: Insert(id, action_id, number,
	// deployed, created_at, secrets, doc); MaxNumber(action_id); Undeploy(action_id);
	// Get(action_id, id); List(action_id, limit, offset) newest first; Count(action_id). Bindings:
	// DeleteAll(trigger_id); Insert(id, trigger_id, position, action_id, created_at, updated_at,
	// doc); List(trigger_id) in order.
	ActionInsert, ActionUpdate, ActionGet, ActionLock, ActionDelete, ActionSelect, ActionCount string
	ActionSetDeployed, ActionVersionInsert, ActionVersionMaxNumber, ActionVersionUndeploy      string
	ActionVersionGet, ActionVersionList, ActionVersionCount                                    string
	TriggerBindingDeleteAll, TriggerBindingInsert, TriggerBindingList                          string

	// Signing keys: Insert(kid, alg, state, private_key_encrypted, cert_der, created_at,
	// current_since, previous_since, revoked_at); List newest first; CurrentLock(alg) → kid of the
	// algorithm's current key, locking its row; CurrentToPrevious(alg, now); NextToCurrent(alg,
	// now); Revoke(kid, now) only from previous; State(kid); KeysVersion → count and the max of
	// each timestamp.
	KeyInsert, KeyList, KeyCurrentLock, KeyCurrentToPrevious, KeyNextToCurrent string
	KeyRevoke, KeyState, KeysVersion                                           string

	// Logs: Insert(log_id, date, type, user_id, client_id, doc); Get(log_id).
	LogInsert, LogGet, LogSelect, LogCount string

	// Tenant: Get → doc; Put(doc) inserts or replaces the one row.
	TenantGet, TenantPut string

	// Sessions: Insert(id, token_hash, user_id, last_seen_at, idle_expires_at, expires_at,
	// client_ids, doc); Get(id); GetByTokenHash(hash); Touch(id, last_seen_at, idle_expires_at,
	// client_ids); Delete(id); DeleteByUser(user_id).
	SessionInsert, SessionGet, SessionGetByTokenHash, SessionTouch, SessionDelete, SessionDeleteByUser string

	// Transactions: Insert(id, expires_at, doc); Get(id, now) only when unexpired;
	// Update(id, expires_at, doc); Delete(id).
	TransactionInsert, TransactionGet, TransactionUpdate, TransactionDelete string

	// Codes: Insert(code_hash, client_id, user_id, expires_at, used_at, issued_family_id, doc);
	// Redeem(code_hash, now) sets used_at only when unused and unexpired; Get(code_hash);
	// SetFamily(code_hash, family).
	CodeInsert, CodeRedeem, CodeGet, CodeSetFamily string

	// Refresh tokens: Insert(token_hash, family_id, generation, client_id, user_id, expires_at,
	// idle_expires_at, rotated_at, revoked_at, doc); Get(hash); Lock(hash) is Get that locks the
	// row; LockFamily(family_id) holds every other exchange in the family until the transaction
	// ends, empty when beginning a write transaction already excludes other writers (SQLite's
	// BEGIN IMMEDIATE); MaxGeneration(family_id); MarkRotated(hash, now); Supersede(family_id,
	// now) marks the family's live tokens rotated and revoked; Touch(hash, idle_expires_at);
	// RevokeFamily(family_id, now); RevokeUser(user_id, now).
	RefreshInsert, RefreshGet, RefreshLock, RefreshLockFamily, RefreshMaxGeneration string
	RefreshMarkRotated, RefreshSupersede, RefreshTouch                              string
	RefreshRevokeFamily, RefreshRevokeUser                                          string

	// Garbage collection, each (now).
	DeleteExpiredTransactions, DeleteExpiredSessions, DeleteExpiredCodes, DeleteExpiredRefreshTokens string
}
