package sqlstore

// The statement table. Every statement is written once, in SQL both engines accept: placeholders
// are $1, $2, … (PostgreSQL's syntax, which SQLite's driver binds by number too), times are
// integers, booleans are written as truth values (false, a bare column). An engine replaces only
// the statements its SQL must say otherwise, in its Dialect's Overrides; nothing is rewritten at
// run time.

// Stmt names one statement of the table. Placeholders are bound in the order the Go code passes
// them, given per group below. *Select statements end before WHERE, so that filtered lists append a
// WHERE of fixed column conditions, ORDER BY, LIMIT and OFFSET; *Count statements likewise. Columns
// are read in the order the scan functions document (scanClient, scanUser, …).
type Stmt int

const (
	// Migrations.
	CreateMigrationsTable Stmt = iota // no args
	SchemaVersion                     // → max version, 0 when empty
	RecordMigration                   // version, applied_at

	// Clients: Insert(client_id, app_type, is_first_party, is_system, secret_hash, created_at,
	// updated_at, doc); Update(client_id, app_type, is_first_party, is_system, secret_hash,
	// updated_at, doc); Get/Delete(client_id).
	ClientInsert
	ClientUpdate
	ClientGet
	ClientDelete
	ClientSelect
	ClientCount

	// Resource servers: Insert(id, identifier, created_at, updated_at, doc); Update(id, identifier,
	// updated_at, doc); Get/Delete(id); GetByIdentifier(identifier).
	ResourceServerInsert
	ResourceServerUpdate
	ResourceServerGet
	ResourceServerGetByIdentifier
	ResourceServerDelete
	ResourceServerSelect
	ResourceServerCount

	// Client grants: Insert(id, client_id, audience, created_at, doc); Update(id, doc);
	// Get/Delete(id); Find(client_id, audience); DeleteByAudience(audience).
	ClientGrantInsert
	ClientGrantUpdate
	ClientGrantGet
	ClientGrantFind
	ClientGrantDelete
	ClientGrantDeleteByAudience
	ClientGrantSelect
	ClientGrantCount

	// Roles: Insert(id, name, description, created_at); Update(id, name, description);
	// Get/Delete(id). RolePermission Insert/Delete(role_id, api, name), List(role_id, limit,
	// offset), Count(role_id), DeleteByAPI(api). RoleUser List(role_id, limit, offset),
	// Count(role_id).
	RoleInsert
	RoleUpdate
	RoleGet
	RoleDelete
	RoleSelect
	RoleCount
	RolePermissionInsert
	RolePermissionDelete
	RolePermissionList
	RolePermissionCount
	RolePermissionDeleteByAPI
	RoleUserList
	RoleUserCount

	// Users: Insert(user_id, connection, email, username, name_lower, nickname_lower,
	// email_verified, blocked, password_hash, created_at, updated_at, last_login, last_ip,
	// logins_count, last_password_reset, doc); Update(user_id, connection, email, username,
	// name_lower, nickname_lower, email_verified, blocked, password_hash, updated_at,
	// last_password_reset, doc); Get/Delete(user_id); GetByEmail(connection, email);
	// ListByEmail(email); RecordLogin(user_id, at, ip).
	UserInsert
	UserUpdate
	UserGet
	UserGetByEmail
	UserGetByUsername
	UserListByEmail
	UserDelete
	UserRecordLogin
	UserSelect
	UserCount
	// UserRole Insert(user_id, role_id, created_at), Delete(user_id, role_id), List(user_id, limit,
	// offset), Count(user_id). UserPermission Insert/Delete(user_id, api, name), DeleteByAPI(api),
	// Sources(user_id) → api, name, source_id, source_name, source_type ordered by api, name;
	// Names(user_id, api) → distinct sorted names.
	UserRoleInsert
	UserRoleDelete
	UserRoleList
	UserRoleCount
	UserPermissionInsert
	UserPermissionDelete
	UserPermissionDeleteByAPI
	UserPermissionSources
	UserPermissionNames

	// Actions: Insert(id, name, triggers, deployed_version_id, created_at, updated_at, doc);
	// Update(id, name, triggers, updated_at, doc); Get/Delete(id); Lock(id) is Get that also locks
	// the row; SetDeployed(id, version_id, updated_at). Versions: Insert(id, action_id, number,
	// deployed, created_at, secrets, doc); MaxNumber(action_id); Undeploy(action_id);
	// Get(action_id, id); List(action_id, limit, offset) newest first; Count(action_id). Bindings:
	// DeleteAll(trigger_id); Insert(id, trigger_id, position, action_id, created_at, updated_at,
	// doc); List(trigger_id) in order.
	ActionInsert
	ActionUpdate
	ActionGet
	ActionLock
	ActionDelete
	ActionSelect
	ActionCount
	ActionSetDeployed
	ActionVersionInsert
	ActionVersionMaxNumber
	ActionVersionUndeploy
	ActionVersionGet
	ActionVersionList
	ActionVersionCount
	TriggerBindingDeleteAll
	TriggerBindingInsert
	TriggerBindingList

	// Signing keys: Insert(kid, alg, state, private_key_encrypted, cert_der, created_at,
	// current_since, previous_since, revoked_at); List newest first; CurrentLock(alg) → kid of the
	// algorithm's current key, locking its row; CurrentToPrevious(alg, now); NextToCurrent(alg,
	// now); Revoke(kid, now) only from previous; State(kid); KeysVersion → count and the max of
	// each timestamp.
	KeyInsert
	KeyList
	KeyCurrentLock
	KeyCurrentToPrevious
	KeyNextToCurrent
	KeyRevoke
	KeyState
	KeysVersion

	// Logs: Insert(log_id, date, type, user_id, client_id, doc); Get(log_id).
	LogInsert
	LogGet
	LogSelect
	LogCount

	// Tenant: Get → doc; Put(doc) inserts or replaces the one row.
	TenantGet
	TenantPut

	// Sessions: Insert(id, token_hash, user_id, last_seen_at, idle_expires_at, expires_at,
	// client_ids, doc); Get(id); GetByTokenHash(hash); Touch(id, last_seen_at, idle_expires_at,
	// client_ids); Delete(id); DeleteByUser(user_id).
	SessionInsert
	SessionGet
	SessionGetByTokenHash
	SessionTouch
	SessionDelete
	SessionDeleteByUser
	SessionListByUser // (user_id)

	// Transactions: Insert(id, expires_at, doc); Get(id, now) only when unexpired;
	// Update(id, expires_at, doc); Delete(id).
	TransactionInsert
	TransactionGet
	TransactionUpdate
	TransactionDelete

	// Codes: Insert(code_hash, client_id, user_id, expires_at, used_at, issued_family_id, doc);
	// Redeem(code_hash, now) sets used_at only when unused and unexpired; Get(code_hash);
	// SetFamily(code_hash, family).
	CodeInsert
	CodeRedeem
	CodeGet
	CodeSetFamily

	// Refresh tokens: Insert(token_hash, family_id, generation, client_id, user_id, expires_at,
	// idle_expires_at, rotated_at, revoked_at, doc); Get(hash); Lock(hash) is Get that locks the
	// row; LockFamily(family_id) holds every other exchange in the family until the transaction
	// ends (empty where a write transaction already excludes other writers);
	// MaxGeneration(family_id); MarkRotated(hash, now); Supersede(family_id, now) marks the
	// family's live tokens rotated and revoked; Touch(hash, idle_expires_at); RevokeFamily(family_id,
	// now); RevokeUser(user_id, now).
	RefreshInsert
	RefreshGet
	RefreshLock
	RefreshLockFamily
	RefreshMaxGeneration
	RefreshMarkRotated
	RefreshSupersede
	RefreshTouch
	RefreshRevokeFamily
	RefreshRevokeUser

	// Counters: Hit(key, n, now, expires_at, slide) → (hits, expires_at) in one atomic upsert;
	// Get(key, now) only when live; Delete(key).
	CounterHit
	CounterGet
	CounterDelete
	CounterDeletePrefix

	// Email provider: Get → secret_encrypted, updated_at, doc; Put(secret_encrypted, updated_at, doc).
	// Outbox: Insert(id, created_at, next_attempt_at, doc); Claim(owner, lease_until, now, limit) →
	// emailCols of the claimed rows; Sent(id, owner, now, doc); Retry(id, owner, next, last_error);
	// Fail(id, owner, now, last_error, doc); Get(id); Queue → count and oldest created_at (0 when
	// empty) of the unfinished. Dev mailbox: Insert(id, received_at, doc);
	// Trim(keep); List(limit) newest first; Get(id).
	EmailProviderGet
	EmailProviderPut
	EmailInsert
	EmailClaim
	EmailSent
	EmailRetry
	EmailFail
	EmailGet
	EmailQueue
	DevMailInsert
	DevMailTrim
	DevMailList
	DevMailGet

	// Tickets: Insert(ticket_hash, kind, user_id, expires_at, doc); Get(ticket_hash) → ticketCols;
	// Redeem(ticket_hash, kind, now) sets used_at only when unused, unexpired and of that kind;
	// SpendUser(user_id, kind, now) marks every unused ticket of that kind used; CountLive(user_id,
	// kind, now) counts the user's unused, unexpired tickets of that kind.
	TicketInsert
	TicketGet
	TicketRedeem
	TicketSpendUser
	TicketCountLive

	// Revoked access tokens: Revoke(token_id, expires_at) keeps the first row for an id;
	// Revoked(token_id, now) returns a row only while it has not expired.
	AccessTokenRevoke
	AccessTokenRevoked

	// Garbage collection, each (now).
	DeleteExpiredTransactions
	DeleteExpiredSessions
	DeleteExpiredCodes
	DeleteExpiredRefreshTokens
	DeleteExpiredTickets
	DeleteExpiredCounters
	DeleteExpiredRememberedBrowsers
	DeleteExpiredDeviceCodes
	DeleteExpiredRevokedAccessTokens

	// Device codes: Insert(code_hash, user_code_hash, client_id, status, interval_seconds,
	// expires_at, doc); GetByUserCode(user_code_hash); GetByHash(code_hash); Lock(code_hash, client_id);
	// Decide(code_hash, status, now, doc) only while pending and unexpired; Polled(code_hash,
	// last_polled_at, interval_seconds); Consume(code_hash).
	DeviceInsert
	DeviceGetByUserCode
	DeviceGetByHash
	DeviceLock
	DeviceDecide
	DevicePolled
	DeviceConsume

	// Revoked opaque access tokens (by hash): Insert(token_hash, expires_at), ignoring a repeat; Get(token_hash).
	RevokedOpaqueInsert
	RevokedOpaqueGet
	DeleteExpiredRevokedOpaque

	// Email templates: Get(name) → updated_at, doc; Create(name, updated_at, doc) inserts only a
	// new name; Put(name, updated_at, doc) inserts or replaces.
	EmailTemplateGet
	EmailTemplateCreate
	EmailTemplatePut

	// Jobs: Insert(id, created_at, email_id, doc); Get(id) → email_id, doc; DeleteOld(cutoff).
	JobInsert
	JobGet
	DeleteOldJobs
	// JobUpdate(id, doc). Job work: Insert(job_id, lease_owner, lease_until, finished, payload,
	// state); Claim(owner, until, now) → job_id, lease_owner, lease_until, finished, payload, state;
	// Save(job_id, lease_owner, lease_until, finished, state), only while owner holds the lease;
	// Get(job_id); DeleteOrphans(), the work of jobs gone.
	JobUpdate
	JobWorkInsert
	JobWorkClaim
	JobWorkSave
	JobWorkGet
	DeleteOrphanJobWork

	// Connections: Insert(id, name, strategy, created_at, updated_at, doc); Update(id, updated_at,
	// doc); Get/Delete(id); GetByName(name); DeleteUsers(name) deletes the connection's users.
	// ConnectionClient Insert/Delete(connection_id, client_id), List(connection_id) → client ids in
	// order, Clear(connection_id); EnableAll(client_id) enables a new client on every connection.
	ConnectionInsert
	ConnectionUpdate
	ConnectionGet
	ConnectionGetByName
	ConnectionDelete
	ConnectionDeleteUsers
	ConnectionSelect
	ConnectionCount
	ConnectionClientInsert
	ConnectionClientDelete
	ConnectionClientList
	ConnectionClientClear
	ConnectionClientEnableAll

	// Password history: Insert(user_id, password_hash, created_at); Trim(user_id, keep) keeps the
	// newest keep; List(user_id, limit) → hashes newest first.
	PasswordHistoryInsert
	PasswordHistoryTrim
	PasswordHistoryList

	// Counters: Each(prefix, now) → counter_key, hits, expires_at of the live counters with the
	// prefix, in key order.
	CounterEach

	// Buckets (on the counters table): Hit(key, now, interval, limit) → expires_at (the bucket's
	// tat) in one atomic upsert; Refund(key, interval).
	BucketHit
	BucketRefund

	// Logs by sequence: After(seq, limit) → seq, doc in order; Seq(log_id) → seq; From(seq, …
	// filters) appended WHERE conditions, then ORDER BY seq LIMIT; DeleteBefore(date, limit) the
	// oldest first.
	LogAfter
	LogSeq
	LogFromSelect
	LogDeleteBefore

	// Attack protection: List → section, doc; Put(section, updated_at, doc).
	AttackProtectionList
	AttackProtectionPut

	// Log streams: Insert(id, status, created_at, updated_at, secret_encrypted, doc) with the
	// cursor at the newest event; Get(id) and List → logStreamCols; Update(id, status, updated_at,
	// secret_encrypted, doc); Delete(id); Claim(id, owner, lease_until, now) → logStreamCols;
	// Advance(id, owner, cursor, lease_until); Fail(id, owner, next, last_error, suspend_after) →
	// status; Release(id, owner); Backlog → id, status, events after the cursor, date of the
	// oldest of them (0 when none).
	LogStreamInsert
	LogStreamGet
	LogStreamList
	LogStreamUpdate
	LogStreamDelete
	LogStreamClaim
	LogStreamAdvance
	LogStreamFail
	LogStreamRelease
	LogStreamBacklog

	// Client credentials: Insert(id, client_id, created_at, doc); List(client_id);
	// Get/Delete(client_id, id).
	CredentialInsert
	CredentialList
	CredentialGet
	CredentialDelete
	CredentialUpdate // (client_id, id, doc)

	// Used jtis: Use(jti_hash, expires_at, now) affects one row on a first use (or the reuse of an
	// expired key), none on a replay.
	JTIUse
	DeleteExpiredJTIs

	// Pushed authorization requests: Insert(uri_hash, client_id, expires_at, doc);
	// Consume(uri_hash, client_id, now) → expires_at, doc.
	PushedInsert
	PushedConsume
	DeleteExpiredPushed

	// Back-channel logout outbox, as the email outbox: Insert(id, created_at, next_attempt_at, doc);
	// Claim(owner, lease_until, now, limit); Sent(id, owner, now); Retry(id, owner, next, error);
	// Fail(id, owner, now, error); Get(id). Settled entries go a week after their creation.
	BackchannelInsert
	BackchannelClaim
	BackchannelSent
	BackchannelRetry
	BackchannelFail
	BackchannelGet
	DeleteSettledBackchannel

	// Organizations: Insert(id, name, created_at, updated_at, doc); Update(id, name, updated_at,
	// doc); Get/Delete(id); GetByName(name) → orgCols; After(after, limit) by id.
	// OrgMember Insert(org, user, created_at) idempotent, Delete(org, user), Exists(org, user),
	// List(org, limit, offset), Count(org), After(org, after, limit) → user columns; UserOrgs
	// List(user, limit, offset) → orgCols, Count(user). OrgMemberRole Insert(org, user, role,
	// created_at) idempotent, Delete(org, user, role), List(org, user, limit, offset) → roleCols,
	// Count(org, user), Permissions(org, user, audience) → names.
	OrgInsert
	OrgUpdate
	OrgGet
	OrgGetByName
	OrgDelete
	OrgSelect
	OrgCount
	OrgAfter
	OrgMemberInsert
	OrgMemberDelete
	OrgMemberExists
	OrgMemberList
	OrgMemberCount
	OrgMemberAfter
	UserOrgList
	UserOrgCount
	OrgMemberRoleInsert
	OrgMemberRoleDelete
	OrgMemberRoleList
	OrgMemberRoleCount
	OrgMemberPermissions
	// OrgConnection Insert(org, connection, assign, show, signup, created_at); Update(org,
	// connection, assign, show, signup); Get(org, connection)/List(org) → orgConnCols;
	// Delete(org, connection).
	OrgConnectionInsert
	OrgConnectionUpdate
	OrgConnectionGet
	OrgConnectionList
	OrgConnectionDelete
	// Invitations: Insert(id, org, ticket_hash, created_at, expires_at, doc); Get(org, id) unused →
	// invitationCols; Delete(org, id); List(org, limit, offset), Count(org) unused; Redeem(hash, org,
	// now); GetByHash(hash) → invitationCols.
	InvitationInsert
	InvitationGet
	InvitationDelete
	InvitationList
	InvitationCount
	InvitationRedeem
	InvitationGetByHash
	// MFA authenticators: Insert(id, user_id, type, secret, confirmed, last_step, created_at);
	// ListByUser(user_id) and Get(user_id, id) → mfaCols; UseStep(id, step, at); UseRecovery and
	// Delete(user_id, id); DeleteUnconfirmed(user_id, type); DeleteByUser(user_id); MarkUsed(user_id,
	// id, at); GetByID(id) → mfaCols.
	MFAInsert
	MFAListByUser
	MFAGet
	MFAUseStep
	MFAUseRecovery
	MFADelete
	MFADeleteUnconfirmed
	MFADeleteByUser
	MFAMarkUsed
	MFAGetByID
	// Session MFA: Put(session_id, methods, at); Get(session_id) → session_id, methods, at.
	SessionMFAPut
	SessionMFAGet
	// Guardian settings: Get → doc; Put(updated_at, doc).
	GuardianGet
	GuardianPut
	// Remembered browsers: Insert(token_hash, user_id, expires_at); Live(token_hash, user_id, now)
	// → count; DeleteByUser(user_id).
	RememberedBrowserInsert
	RememberedBrowserLive
	RememberedBrowserDeleteByUser
	// User identities: Put(provider, identity_id, user_id, connection, created_at, updated_at,
	// tokens_sealed, doc) inserts or replaces; Get(provider, identity_id) and ListByUser(user_id) →
	// identityCols; Delete(provider, identity_id).
	IdentityPut
	IdentityGet
	IdentityListByUser
	IdentityDelete
	// WebAuthn credentials: Insert(id, user_id, type, credential_id, name, sign_count, data,
	// user_agent, created_at); ListByUser(user_id) and Get(user_id, id) → webauthnCols; Use(id,
	// sign_count, data, at); Delete(user_id, id); DeleteByUser(user_id). Challenges: Put(binding,
	// data, expires_at); Take(binding, now) → data, expires_at; DeleteExpired(now).
	WebAuthnInsert
	WebAuthnListByUser
	WebAuthnGet
	WebAuthnUse
	WebAuthnDelete
	WebAuthnDeleteByUser
	WebAuthnChallengePut
	WebAuthnChallengeTake
	DeleteExpiredWebAuthnChallenges

	numStmts
)

// The *Lock statements read what a transaction is about to decide on. Generically they are plain
// reads: where a write transaction excludes every other writer from its start (SQLite's BEGIN
// IMMEDIATE) that is all they need to be. An engine whose transactions run side by side overrides
// them with locking reads.

// Column lists in the order the scan functions read them.
const (
	clientCols      = `client_id, is_system, secret_hash, created_at, updated_at, doc`
	rsCols          = `created_at, updated_at, doc`
	grantCols       = `id, client_id, audience, created_at, doc`
	roleCols        = `id, name, description, created_at`
	userCols        = `user_id, connection, password_hash, created_at, updated_at, last_login, last_ip, logins_count, last_password_reset, doc`
	userColsU       = `u.user_id, u.connection, u.password_hash, u.created_at, u.updated_at, u.last_login, u.last_ip, u.logins_count, u.last_password_reset, u.doc`
	actionCols      = `deployed_version_id, created_at, updated_at, doc`
	versionCols     = `number, deployed, created_at, secrets, doc`
	keyCols         = `kid, alg, state, private_key_encrypted, cert_der, created_at, current_since, previous_since, revoked_at`
	sessionCols     = `token_hash, last_seen_at, idle_expires_at, client_ids, doc`
	codeCols        = `code_hash, used_at, issued_family_id, doc`
	ticketCols      = `ticket_hash, kind, user_id, expires_at, used_at, doc`
	emailCols       = `id, created_at, next_attempt_at, attempts, sent_at, failed_at, last_error, doc`
	refreshCols     = `token_hash, family_id, generation, expires_at, idle_expires_at, rotated_at, revoked_at, doc`
	connectionCols  = `id, name, strategy, created_at, updated_at, doc`
	deviceCols      = `code_hash, user_code_hash, client_id, status, interval_seconds, last_polled_at, expires_at, doc`
	streamCols      = `id, status, created_at, updated_at, secret_encrypted, doc, cursor_seq, failures, next_attempt_at, last_error`
	backchannelCols = `id, created_at, next_attempt_at, attempts, sent_at, failed_at, last_error, doc`
	orgCols         = `id, name, created_at, updated_at, doc`
	orgColsO        = `o.id, o.name, o.created_at, o.updated_at, o.doc`
	orgConnCols     = `oc.organization_id, oc.connection_id, oc.assign_membership_on_login, oc.show_as_button, oc.is_signup_enabled, oc.created_at, c.name, c.strategy`
	invitationCols  = `id, organization_id, ticket_hash, created_at, expires_at, used_at, doc`
	identityCols    = `provider, identity_id, user_id, connection, created_at, updated_at, tokens_sealed, doc`
)

var generic = statements{
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
	UserGet:           `SELECT ` + userCols + ` FROM users WHERE user_id = $1`,
	UserGetByEmail:    `SELECT ` + userCols + ` FROM users WHERE connection = $1 AND email = $2`,
	UserGetByUsername: `SELECT ` + userCols + ` FROM users WHERE connection = $1 AND username = $2`,
	UserListByEmail:   `SELECT ` + userCols + ` FROM users WHERE email = $1 ORDER BY created_at, user_id`,
	UserDelete:        `DELETE FROM users WHERE user_id = $1`,
	UserRecordLogin:   `UPDATE users SET logins_count = logins_count + 1, last_login = $2, last_ip = $3 WHERE user_id = $1`,
	UserSelect:        `SELECT ` + userCols + ` FROM users`,

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

	PasswordHistoryInsert: `INSERT INTO password_history (user_id, password_hash, created_at) VALUES ($1, $2, $3)`,
	PasswordHistoryTrim: `DELETE FROM password_history WHERE user_id = $1 AND password_hash NOT IN (
		SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY created_at DESC, password_hash LIMIT $2)`,
	PasswordHistoryList: `SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY created_at DESC, password_hash LIMIT $2`,
	UserCount:           `SELECT COUNT(*) FROM users`,

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

	KeyInsert:            `INSERT INTO signing_keys (` + keyCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
	KeyList:              `SELECT ` + keyCols + ` FROM signing_keys ORDER BY created_at DESC, kid DESC`,
	KeyCurrentLock:       `SELECT kid FROM signing_keys WHERE alg = $1 AND state = 'current'`,
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
	SessionListByUser:     `SELECT ` + sessionCols + ` FROM sessions WHERE user_id = $1 ORDER BY expires_at, id`,
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
	RefreshLock: `SELECT ` + refreshCols + ` FROM refresh_tokens WHERE token_hash = $1`,
	// Nothing to take by default: a write transaction that excludes other writers already holds
	// every family. An engine whose transactions run side by side overrides it.
	RefreshLockFamily:    ``,
	RefreshMaxGeneration: `SELECT COALESCE(MAX(generation), 0) FROM refresh_tokens WHERE family_id = $1`,
	RefreshMarkRotated:   `UPDATE refresh_tokens SET rotated_at = $2 WHERE token_hash = $1 AND rotated_at IS NULL`,
	RefreshSupersede:     `UPDATE refresh_tokens SET rotated_at = $2, revoked_at = $2 WHERE family_id = $1 AND rotated_at IS NULL AND revoked_at IS NULL`,
	RefreshTouch:         `UPDATE refresh_tokens SET idle_expires_at = $2 WHERE token_hash = $1`,
	RefreshRevokeFamily:  `UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`,
	RefreshRevokeUser:    `UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`,

	// One statement, so the engine's row lock on the conflict makes concurrent hits from any number
	// of nodes add up exactly (PostgreSQL re-evaluates the update on the newest row version).
	CounterHit: `INSERT INTO counters (counter_key, hits, expires_at) VALUES ($1, $2, $4)
		ON CONFLICT (counter_key) DO UPDATE SET
			hits = CASE WHEN counters.expires_at <= $3 THEN excluded.hits ELSE counters.hits + excluded.hits END,
			expires_at = CASE WHEN counters.expires_at <= $3 OR $5 THEN excluded.expires_at ELSE counters.expires_at END
		RETURNING hits, expires_at`,
	CounterGet:    `SELECT hits, expires_at FROM counters WHERE counter_key = $1 AND expires_at > $2`,
	CounterDelete: `DELETE FROM counters WHERE counter_key = $1`,
	CounterEach: `SELECT counter_key, hits, expires_at FROM counters WHERE substr(counter_key, 1, length($1)) = $1 AND expires_at > $2
		ORDER BY counter_key`,
	// The prefix is a kind and hex digits (guard's keys), so it holds no LIKE wildcard.
	CounterDeletePrefix: `DELETE FROM counters WHERE counter_key LIKE $1 || '%'`,
	EmailProviderGet:    `SELECT secret_encrypted, updated_at, doc FROM email_provider WHERE id = 1`,
	EmailProviderPut: `INSERT INTO email_provider (id, secret_encrypted, updated_at, doc) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET secret_encrypted = excluded.secret_encrypted, updated_at = excluded.updated_at, doc = excluded.doc`,
	EmailInsert: `INSERT INTO email_outbox (id, created_at, next_attempt_at, attempts, last_error, doc) VALUES ($1, $2, $3, 0, '', $4)`,
	// The due test is repeated outside the subquery: an engine that re-reads a row it waited for
	// (PostgreSQL at READ COMMITTED) drops one another claimer took meanwhile.
	EmailClaim: `UPDATE email_outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
		WHERE id IN (SELECT id FROM email_outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3
			AND (lease_until IS NULL OR lease_until <= $3) ORDER BY next_attempt_at, id LIMIT $4)
		AND sent_at IS NULL AND failed_at IS NULL AND (lease_until IS NULL OR lease_until <= $3)
		RETURNING ` + emailCols,
	EmailSent: `UPDATE email_outbox SET sent_at = $3, lease_owner = NULL, lease_until = NULL, doc = $4
		WHERE id = $1 AND lease_owner = $2 AND sent_at IS NULL AND failed_at IS NULL`,
	EmailRetry: `UPDATE email_outbox SET next_attempt_at = $3, last_error = $4, lease_owner = NULL, lease_until = NULL
		WHERE id = $1 AND lease_owner = $2 AND sent_at IS NULL AND failed_at IS NULL`,
	EmailFail: `UPDATE email_outbox SET failed_at = $3, last_error = $4, doc = $5, lease_owner = NULL, lease_until = NULL
		WHERE id = $1 AND lease_owner = $2 AND sent_at IS NULL AND failed_at IS NULL`,
	EmailGet:      `SELECT ` + emailCols + ` FROM email_outbox WHERE id = $1`,
	EmailQueue:    `SELECT COUNT(*), COALESCE(MIN(created_at), 0) FROM email_outbox WHERE sent_at IS NULL AND failed_at IS NULL`,
	DevMailInsert: `INSERT INTO dev_mailbox (id, received_at, doc) VALUES ($1, $2, $3)`,
	DevMailTrim:   `DELETE FROM dev_mailbox WHERE seq <= (SELECT MAX(seq) FROM dev_mailbox) - $1`,
	DevMailList:   `SELECT doc FROM dev_mailbox ORDER BY seq DESC LIMIT $1`,
	DevMailGet:    `SELECT doc FROM dev_mailbox WHERE id = $1`,

	TicketInsert:       `INSERT INTO tickets (ticket_hash, kind, user_id, expires_at, used_at, doc) VALUES ($1, $2, $3, $4, NULL, $5)`,
	TicketGet:          `SELECT ` + ticketCols + ` FROM tickets WHERE ticket_hash = $1`,
	TicketRedeem:       `UPDATE tickets SET used_at = $3 WHERE ticket_hash = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3`,
	TicketSpendUser:    `UPDATE tickets SET used_at = $3 WHERE user_id = $1 AND kind = $2 AND used_at IS NULL`,
	TicketCountLive:    `SELECT COUNT(*) FROM tickets WHERE user_id = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3`,
	AccessTokenRevoke:  `INSERT INTO revoked_access_tokens (token_id, expires_at) VALUES ($1, $2) ON CONFLICT (token_id) DO NOTHING`,
	AccessTokenRevoked: `SELECT 1 FROM revoked_access_tokens WHERE token_id = $1 AND expires_at > $2`,

	DeleteExpiredTransactions: `DELETE FROM login_transactions WHERE expires_at <= $1`,
	DeleteExpiredSessions:     `DELETE FROM sessions WHERE expires_at <= $1 OR idle_expires_at <= $1`,
	DeleteExpiredCodes:        `DELETE FROM authorization_codes WHERE expires_at <= $1`,
	DeleteExpiredDeviceCodes:  `DELETE FROM device_codes WHERE expires_at <= $1`,

	DeviceInsert: `INSERT INTO device_codes (code_hash, user_code_hash, client_id, status, interval_seconds, expires_at, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
	DeviceGetByUserCode: `SELECT ` + deviceCols + ` FROM device_codes WHERE user_code_hash = $1`,
	DeviceGetByHash:     `SELECT ` + deviceCols + ` FROM device_codes WHERE code_hash = $1`,
	DeviceLock:          `SELECT ` + deviceCols + ` FROM device_codes WHERE code_hash = $1 AND client_id = $2`,
	DeviceDecide: `UPDATE device_codes SET status = $2, doc = $4
		WHERE code_hash = $1 AND status = 'pending' AND expires_at > $3`,
	DevicePolled:  `UPDATE device_codes SET last_polled_at = $2, interval_seconds = $3 WHERE code_hash = $1`,
	DeviceConsume: `DELETE FROM device_codes WHERE code_hash = $1`,

	RevokedOpaqueInsert: `INSERT INTO revoked_opaque_tokens (token_hash, expires_at) VALUES ($1, $2)
		ON CONFLICT (token_hash) DO NOTHING`,
	RevokedOpaqueGet:           `SELECT COUNT(*) FROM revoked_opaque_tokens WHERE token_hash = $1`,
	DeleteExpiredRevokedOpaque: `DELETE FROM revoked_opaque_tokens WHERE expires_at <= $1`,

	CredentialInsert: `INSERT INTO client_credentials (id, client_id, created_at, doc) VALUES ($1, $2, $3, $4)`,
	CredentialList:   `SELECT id, client_id, doc FROM client_credentials WHERE client_id = $1 ORDER BY created_at, id`,
	CredentialGet:    `SELECT id, client_id, doc FROM client_credentials WHERE client_id = $1 AND id = $2`,
	CredentialDelete: `DELETE FROM client_credentials WHERE client_id = $1 AND id = $2`,
	CredentialUpdate: `UPDATE client_credentials SET doc = $3 WHERE client_id = $1 AND id = $2`,

	JTIUse: `INSERT INTO used_jtis (jti_hash, expires_at) VALUES ($1, $2)
		ON CONFLICT (jti_hash) DO UPDATE SET expires_at = excluded.expires_at WHERE used_jtis.expires_at <= $3`,
	DeleteExpiredJTIs: `DELETE FROM used_jtis WHERE expires_at <= $1`,

	PushedInsert: `INSERT INTO pushed_requests (uri_hash, client_id, expires_at, doc) VALUES ($1, $2, $3, $4)`,
	PushedConsume: `DELETE FROM pushed_requests WHERE uri_hash = $1 AND client_id = $2 AND expires_at > $3
		RETURNING expires_at, doc`,
	DeleteExpiredPushed: `DELETE FROM pushed_requests WHERE expires_at <= $1`,

	BackchannelInsert: `INSERT INTO backchannel_logouts (id, created_at, next_attempt_at, attempts, last_error, doc) VALUES ($1, $2, $3, 0, '', $4)`,
	BackchannelClaim: `UPDATE backchannel_logouts SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
		WHERE id IN (SELECT id FROM backchannel_logouts WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3
			AND (lease_until IS NULL OR lease_until <= $3) ORDER BY next_attempt_at, id LIMIT $4)
		AND sent_at IS NULL AND failed_at IS NULL AND (lease_until IS NULL OR lease_until <= $3)
		RETURNING ` + backchannelCols,
	BackchannelSent: `UPDATE backchannel_logouts SET sent_at = $3, lease_owner = NULL, lease_until = NULL
		WHERE id = $1 AND lease_owner = $2 AND sent_at IS NULL AND failed_at IS NULL`,
	BackchannelRetry: `UPDATE backchannel_logouts SET next_attempt_at = $3, last_error = $4, lease_owner = NULL, lease_until = NULL
		WHERE id = $1 AND lease_owner = $2 AND sent_at IS NULL AND failed_at IS NULL`,
	BackchannelFail: `UPDATE backchannel_logouts SET failed_at = $3, last_error = $4, lease_owner = NULL, lease_until = NULL
		WHERE id = $1 AND lease_owner = $2 AND sent_at IS NULL AND failed_at IS NULL`,
	BackchannelGet: `SELECT ` + backchannelCols + ` FROM backchannel_logouts WHERE id = $1`,
	DeleteSettledBackchannel: `DELETE FROM backchannel_logouts WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL)
		AND created_at <= $1 - 604800000000`,
	DeleteExpiredRefreshTokens: `DELETE FROM refresh_tokens WHERE (expires_at IS NOT NULL AND expires_at <= $1)
		OR (idle_expires_at IS NOT NULL AND idle_expires_at <= $1)`,
	DeleteExpiredTickets:             `DELETE FROM tickets WHERE expires_at <= $1`,
	DeleteExpiredRememberedBrowsers:  `DELETE FROM mfa_remembered_browsers WHERE expires_at <= $1`,
	DeleteExpiredCounters:            `DELETE FROM counters WHERE expires_at <= $1`,
	DeleteExpiredRevokedAccessTokens: `DELETE FROM revoked_access_tokens WHERE expires_at <= $1`,

	EmailTemplateGet:    `SELECT updated_at, doc FROM email_templates WHERE name = $1`,
	EmailTemplateCreate: `INSERT INTO email_templates (name, updated_at, doc) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
	EmailTemplatePut: `INSERT INTO email_templates (name, updated_at, doc) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at, doc = excluded.doc`,
	JobInsert:     `INSERT INTO jobs (id, created_at, email_id, doc) VALUES ($1, $2, $3, $4)`,
	JobGet:        `SELECT email_id, doc FROM jobs WHERE id = $1`,
	DeleteOldJobs: `DELETE FROM jobs WHERE created_at <= $1`,
	JobUpdate:     `UPDATE jobs SET doc = $2 WHERE id = $1`,
	JobWorkInsert: `INSERT INTO job_work (job_id, lease_owner, lease_until, finished, payload, state) VALUES ($1, $2, $3, $4, $5, $6)`,
	JobWorkClaim: `UPDATE job_work SET lease_owner = $1, lease_until = $2
		WHERE job_id = (SELECT job_id FROM job_work WHERE NOT finished AND lease_until < $3 ORDER BY lease_until, job_id LIMIT 1)
		AND NOT finished AND lease_until < $3
		RETURNING job_id, lease_owner, lease_until, finished, payload, state`,
	JobWorkSave:         `UPDATE job_work SET lease_until = $3, finished = $4, state = $5 WHERE job_id = $1 AND lease_owner = $2`,
	JobWorkGet:          `SELECT job_id, lease_owner, lease_until, finished, payload, state FROM job_work WHERE job_id = $1`,
	DeleteOrphanJobWork: `DELETE FROM job_work WHERE job_id NOT IN (SELECT id FROM jobs)`,

	// One statement, so concurrent attempts from any number of nodes each move tat (see
	// store.CounterStore.HitBucket). SQLite's two-argument MIN and MAX; PostgreSQL says LEAST and
	// GREATEST.
	BucketHit: `INSERT INTO counters (counter_key, hits, expires_at) VALUES ($1, 1, CAST($2 AS BIGINT) + CAST($3 AS BIGINT))
		ON CONFLICT (counter_key) DO UPDATE SET hits = counters.hits + 1,
			expires_at = MIN(MAX(counters.expires_at, CAST($2 AS BIGINT)) + CAST($3 AS BIGINT), CAST($2 AS BIGINT) + CAST($4 AS BIGINT))
		RETURNING expires_at`,
	BucketRefund: `UPDATE counters SET expires_at = expires_at - CAST($2 AS BIGINT) WHERE counter_key = $1`,

	LogAfter:        `SELECT seq, doc FROM log_events WHERE seq > $1 ORDER BY seq LIMIT $2`,
	LogSeq:          `SELECT seq FROM log_events WHERE log_id = $1`,
	LogFromSelect:   `SELECT doc FROM log_events`,
	LogDeleteBefore: `DELETE FROM log_events WHERE seq IN (SELECT seq FROM log_events WHERE date < $1 ORDER BY date, seq LIMIT $2)`,

	AttackProtectionList: `SELECT section, doc FROM attack_protection`,
	AttackProtectionPut: `INSERT INTO attack_protection (section, updated_at, doc) VALUES ($1, $2, $3)
		ON CONFLICT (section) DO UPDATE SET updated_at = excluded.updated_at, doc = excluded.doc`,

	LogStreamInsert: `INSERT INTO log_streams (id, status, created_at, updated_at, secret_encrypted, doc, cursor_seq)
		VALUES ($1, $2, $3, $4, $5, $6, (SELECT COALESCE(MAX(seq), 0) FROM log_events))`,
	LogStreamGet:  `SELECT ` + streamCols + ` FROM log_streams WHERE id = $1`,
	LogStreamList: `SELECT ` + streamCols + ` FROM log_streams ORDER BY created_at, id`,
	// A stream made active again (from paused or suspended) starts afresh: no failures, due now.
	LogStreamUpdate: `UPDATE log_streams SET status = $2, updated_at = $3, secret_encrypted = $4, doc = $5,
			failures = CASE WHEN $2 = 'active' AND status <> 'active' THEN 0 ELSE failures END,
			next_attempt_at = CASE WHEN $2 = 'active' AND status <> 'active' THEN 0 ELSE next_attempt_at END,
			last_error = CASE WHEN $2 = 'active' AND status <> 'active' THEN '' ELSE last_error END
		WHERE id = $1`,
	LogStreamDelete: `DELETE FROM log_streams WHERE id = $1`,
	LogStreamClaim: `UPDATE log_streams SET lease_owner = $2, lease_until = $3
		WHERE id = $1 AND status = 'active' AND next_attempt_at <= $4
			AND (lease_until IS NULL OR lease_until <= $4 OR lease_owner = $2)
		RETURNING ` + streamCols,
	LogStreamAdvance: `UPDATE log_streams SET cursor_seq = $3, failures = 0, last_error = '', lease_until = $4
		WHERE id = $1 AND lease_owner = $2 AND cursor_seq <= $3`,
	LogStreamFail: `UPDATE log_streams SET failures = failures + 1, next_attempt_at = $3, last_error = $4,
			lease_owner = NULL, lease_until = NULL,
			status = CASE WHEN status = 'active' AND failures + 1 >= $5 THEN 'suspended' ELSE status END
		WHERE id = $1 AND lease_owner = $2
		RETURNING status`,
	LogStreamRelease: `UPDATE log_streams SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2`,
	LogStreamBacklog: `SELECT s.id, s.status, (SELECT COUNT(*) FROM log_events e WHERE e.seq > s.cursor_seq),
			COALESCE((SELECT e.date FROM log_events e WHERE e.seq > s.cursor_seq ORDER BY e.seq LIMIT 1), 0)
		FROM log_streams s ORDER BY s.created_at, s.id`,

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
	UserOrgList: `SELECT ` + orgColsO + ` FROM organization_members m JOIN organizations o ON o.id = m.organization_id
		WHERE m.user_id = $1 ORDER BY o.name LIMIT $2 OFFSET $3`,
	UserOrgCount:        `SELECT COUNT(*) FROM organization_members WHERE user_id = $1`,
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
	MFAInsert: `INSERT INTO mfa_authenticators (id, user_id, type, secret, confirmed, last_step, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
	MFAListByUser:        `SELECT ` + mfaCols + ` FROM mfa_authenticators WHERE user_id = $1 ORDER BY created_at, id`,
	MFAGet:               `SELECT ` + mfaCols + ` FROM mfa_authenticators WHERE user_id = $1 AND id = $2`,
	MFAUseStep:           `UPDATE mfa_authenticators SET last_step = $2, last_auth_at = $3, confirmed = true WHERE id = $1 AND last_step < $2`,
	MFAUseRecovery:       `DELETE FROM mfa_authenticators WHERE user_id = $1 AND id = $2 AND type = 'recovery-code'`,
	MFADelete:            `DELETE FROM mfa_authenticators WHERE user_id = $1 AND id = $2`,
	MFADeleteUnconfirmed: `DELETE FROM mfa_authenticators WHERE user_id = $1 AND type = $2 AND NOT confirmed`,
	MFADeleteByUser:      `DELETE FROM mfa_authenticators WHERE user_id = $1`,
	MFAGetByID:           `SELECT ` + mfaCols + ` FROM mfa_authenticators WHERE id = $1`,
	MFAMarkUsed:          `UPDATE mfa_authenticators SET confirmed = true, last_auth_at = $3 WHERE user_id = $1 AND id = $2`,
	SessionMFAPut: `INSERT INTO session_mfa (session_id, methods, at) VALUES ($1, $2, $3)
		ON CONFLICT (session_id) DO UPDATE SET methods = excluded.methods, at = excluded.at`,
	SessionMFAGet: `SELECT session_id, methods, at FROM session_mfa WHERE session_id = $1`,
	GuardianGet:   `SELECT doc FROM guardian_settings WHERE id = 1`,
	GuardianPut: `INSERT INTO guardian_settings (id, updated_at, doc) VALUES (1, $1, $2)
		ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, doc = excluded.doc`,
	RememberedBrowserInsert:       `INSERT INTO mfa_remembered_browsers (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`,
	RememberedBrowserLive:         `SELECT COUNT(*) FROM mfa_remembered_browsers WHERE token_hash = $1 AND user_id = $2 AND expires_at > $3`,
	RememberedBrowserDeleteByUser: `DELETE FROM mfa_remembered_browsers WHERE user_id = $1`,

	IdentityPut: `INSERT INTO user_identities (provider, identity_id, user_id, connection, created_at, updated_at, tokens_sealed, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (provider, identity_id) DO UPDATE SET user_id = excluded.user_id, connection = excluded.connection,
		updated_at = excluded.updated_at, tokens_sealed = excluded.tokens_sealed, doc = excluded.doc`,
	IdentityGet:        `SELECT ` + identityCols + ` FROM user_identities WHERE provider = $1 AND identity_id = $2`,
	IdentityListByUser: `SELECT ` + identityCols + ` FROM user_identities WHERE user_id = $1 ORDER BY created_at, provider, identity_id`,
	IdentityDelete:     `DELETE FROM user_identities WHERE provider = $1 AND identity_id = $2`,
	WebAuthnInsert: `INSERT INTO webauthn_credentials (id, user_id, type, credential_id, name, sign_count, data, user_agent, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
	WebAuthnListByUser: `SELECT ` + webauthnCols + ` FROM webauthn_credentials WHERE user_id = $1 ORDER BY created_at, id`,
	WebAuthnGet:        `SELECT ` + webauthnCols + ` FROM webauthn_credentials WHERE user_id = $1 AND id = $2`,
	// WebAuthn §6.1.1: the counter must grow, unless the authenticator keeps none (both zero).
	WebAuthnUse: `UPDATE webauthn_credentials SET sign_count = $2, data = $3, last_auth_at = $4
		WHERE id = $1 AND (sign_count < $2 OR (sign_count = 0 AND $2 = 0))`,
	WebAuthnDelete:       `DELETE FROM webauthn_credentials WHERE user_id = $1 AND id = $2`,
	WebAuthnDeleteByUser: `DELETE FROM webauthn_credentials WHERE user_id = $1`,
	WebAuthnChallengePut: `INSERT INTO webauthn_challenges (binding, data, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (binding) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
	WebAuthnChallengeTake:           `DELETE FROM webauthn_challenges WHERE binding = $1 AND expires_at > $2 RETURNING data, expires_at`,
	DeleteExpiredWebAuthnChallenges: `DELETE FROM webauthn_challenges WHERE expires_at <= $1`,
}

const webauthnCols = `id, user_id, type, credential_id, name, sign_count, data, user_agent, created_at, last_auth_at`

const mfaCols = `id, user_id, type, secret, confirmed, last_step, created_at, last_auth_at`

// statements is a statement table: the text of each Stmt.
type statements [numStmts]string

// Generic returns the text of id that both engines run unless their Dialect overrides it. Empty is
// a statement with nothing to do by default (RefreshLockFamily).
func Generic(id Stmt) string { return generic[id] }

// Statements returns the table the Dialect runs, indexed by Stmt: the generic text with the
// Dialect's overrides in place.
func (d *Dialect) Statements() []string {
	t := d.statements()
	return t[:]
}

func (d *Dialect) statements() *statements {
	t := generic
	for id, text := range d.Overrides {
		if id < 0 || id >= numStmts {
			panic("sqlstore: the " + d.Name + " dialect overrides an unknown statement")
		}
		t[id] = text
	}
	return &t
}
