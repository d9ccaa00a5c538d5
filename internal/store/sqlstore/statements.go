package sqlstore

import "strconv"

// The statement table, kept by area in sql_*.go. Every statement is written once, in SQL both
// engines accept: placeholders are $1, $2, … (PostgreSQL's syntax, which SQLite's driver binds by
// number too), times are
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

	// Logs: Insert(log_id, date, type, user_id, client_id, doc); Get(log_id). Insert4 and
	// Insert16 insert 4 and 16 events in one statement, in the order given (batches).
	LogInsert
	LogInsert4
	LogInsert16
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
	// doc); Get/Delete(id); GetByName(name); DeleteUsers(name) deletes the connection's users and
	// DeleteIdentities(name) its accounts linked to users of other connections.
	// ConnectionClient Insert/Delete(connection_id, client_id), List(connection_id) → client ids in
	// order, Clear(connection_id); EnableAll(client_id) enables a new client on every connection.
	ConnectionInsert
	ConnectionUpdate
	ConnectionGet
	ConnectionGetByName
	ConnectionDelete
	ConnectionDeleteUsers
	ConnectionDeleteIdentities
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
	// Linked database accounts: GetLinkedByEmail(connection, email) and
	// GetLinkedByUsername(connection, username lower-cased) → identityCols of the linked
	// identity of provider auth0 whose profile has that address or username;
	// LinkedLoginTaken(connection, email, username or "", identity id to leave out) → 1 when
	// another linked database account of the connection holds the address or username.
	IdentityGetLinkedByEmail
	IdentityGetLinkedByUsername
	IdentityLinkedLoginTaken
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

	// Actions' api.cache: Lock(trigger) serialises writers of one trigger's namespace (nothing by
	// default: SQLite's write transactions already exclude each other); Get(trigger, key, now) →
	// value, expires_at; List(trigger, now) → cache_key, value, expires_at by expiry; Put(trigger,
	// key, value, expires_at) inserts or replaces; Delete(trigger, key); DeleteExpiredOf(trigger,
	// now); DeleteExpired(now).
	ActionCacheLock
	ActionCacheGet
	ActionCacheList
	ActionCachePut
	ActionCacheDelete
	ActionCacheDeleteExpiredOf
	DeleteExpiredActionCache
	// Action executions: Insert(id, trigger_id, created_at, doc); Get(id) → doc; DeleteOld(cutoff).
	ActionExecutionInsert
	ActionExecutionGet
	DeleteOldActionExecutions

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

// generic is the statement table both engines run unless their Dialect overrides a statement,
// assembled from the per-area tables (sql_*.go).
var generic = assemble(tenantSQL, userSQL, protocolSQL, opsSQL, actionOpsSQL)

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

// assemble builds the statement table from per-area tables. A statement named by two areas is a
// mistake caught at start-up, before anything runs.
func assemble(areas ...map[Stmt]string) statements {
	var t statements
	for _, area := range areas {
		for id, text := range area {
			if id < 0 || id >= numStmts {
				panic("sqlstore: a statement table names an unknown statement")
			}
			if t[id] != "" {
				panic("sqlstore: statement " + strconv.Itoa(int(id)) + " is defined twice")
			}
			t[id] = text
		}
	}
	return t
}
