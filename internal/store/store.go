package store

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Sentinel errors. Backends wrap them with context; callers test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique value (client id, API identifier, email, role name, …) is taken. Backends
	// return a *domain.Error with CodeConflict naming the field, which also matches ErrConflict.
	ErrConflict = errors.New("conflict")
	// ErrAlreadyUsed: an authorization code or a ticket was redeemed before. A code's record is returned with it
	// so that the caller can revoke what the first redemption issued.
	ErrAlreadyUsed = errors.New("already used")
	// ErrRefreshReused: a rotated refresh token was presented again outside the leeway; its whole
	// family has been revoked.
	ErrRefreshReused = errors.New("refresh token reused")
	// ErrRefreshInvalid: the refresh token is revoked or expired.
	ErrRefreshInvalid = errors.New("refresh token revoked or expired")
	// ErrSlowDown: a device code was polled before its interval had passed; the interval has grown
	// (RFC 8628 §3.5).
	ErrSlowDown = errors.New("polled too fast")
	// ErrExpired: the device code is past its lifetime.
	ErrExpired = errors.New("expired")
	// ErrSchemaTooNew: the database was migrated by a newer Gatehouse; refuse to touch it.
	ErrSchemaTooNew = errors.New("database schema is newer than this version of Gatehouse")
)

// Page selects a slice of a list: offset paging (Page, PerPage) as the Management API uses.
type Page struct {
	Page    int // 0-based
	PerPage int // 1..100; 0 means 50
}

// Limit returns the effective page size.
func (p Page) Limit() int {
	switch {
	case p.PerPage <= 0:
		return 50
	case p.PerPage > 100:
		return 100
	}
	return p.PerPage
}

// Offset returns the number of items before the page.
func (p Page) Offset() int { return p.Page * p.Limit() }

// Store is everything Gatehouse keeps. WithTx runs fn in one transaction: every write made through
// the Store it is given commits together or not at all.
type Store interface {
	TenantStore
	ClientStore
	ResourceServerStore
	ClientGrantStore
	RoleStore
	UserStore
	ActionStore
	KeyStore
	LogStore
	SessionStore
	TransactionStore
	CodeStore
	RefreshTokenStore
	CounterStore
	MailStore
	TicketStore
	AccessTokenRevocationStore
	DeviceCodeStore
	RevokedOpaqueTokenStore
	ConnectionStore
	PasswordHistoryStore
	AttackProtectionStore
	MFAStore
	WebAuthnStore
	LogStreamStore
	ClientCredentialStore
	ReplayStore
	PushedRequestStore
	BackchannelStore
	OrganizationStore
	IdentityStore
	ActionCacheStore
	ActionExecutionStore

	WithTx(ctx context.Context, fn func(tx Store) error) error
	// Ping checks the database is reachable (readiness).
	Ping(ctx context.Context) error
	// SchemaVersion reports the version the database's schema is at and the version this binary's
	// migrations reach, changing nothing (readiness: a node must not serve a schema it was not
	// built for; commands that must not migrate refuse a database that is not current).
	SchemaVersion(ctx context.Context) (current, known int, err error)
	// DeleteExpired removes expired transactions, sessions, codes, device codes, refresh tokens,
	// revoked access token listings, revoked opaque tokens, counters, tickets, used jtis and pushed
	// authorization requests, and returns how many rows went.
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)
	Close() error
}

// Migrator brings a database schema to the version this binary needs.
type Migrator interface {
	// Migrate applies pending migrations and returns the schema version. A schema newer than the
	// binary knows returns ErrSchemaTooNew and changes nothing.
	Migrate(ctx context.Context) (version int, err error)
	// SchemaVersion returns the database's version and the one this binary's migrations reach,
	// changing nothing.
	SchemaVersion(ctx context.Context) (current, known int, err error)
}

// TenantStore keeps the tenant settings (one record).
type TenantStore interface {
	GetTenantSettings(ctx context.Context) (domain.TenantSettings, error) // defaults when never saved
	PutTenantSettings(ctx context.Context, s domain.TenantSettings) error
}

// ClientStore keeps applications.
type ClientStore interface {
	CreateClient(ctx context.Context, c *domain.Client) error
	GetClient(ctx context.Context, clientID string) (*domain.Client, error)
	UpdateClient(ctx context.Context, c *domain.Client) error
	DeleteClient(ctx context.Context, clientID string) error // also deletes its client grants and tokens
	ListClients(ctx context.Context, f ClientFilter, p Page) ([]*domain.Client, int, error)
}

// ClientFilter narrows ListClients.
type ClientFilter struct {
	AppType      []string
	IsFirstParty *bool
}

// ResourceServerStore keeps APIs and their permissions (scopes).
type ResourceServerStore interface {
	CreateResourceServer(ctx context.Context, rs *domain.ResourceServer) error
	GetResourceServer(ctx context.Context, id string) (*domain.ResourceServer, error)
	GetResourceServerByIdentifier(ctx context.Context, identifier string) (*domain.ResourceServer, error)
	UpdateResourceServer(ctx context.Context, rs *domain.ResourceServer) error
	// DeleteResourceServer also deletes its client grants and the role/user permissions on it.
	DeleteResourceServer(ctx context.Context, id string) error
	ListResourceServers(ctx context.Context, p Page) ([]*domain.ResourceServer, int, error)
}

// ClientGrantStore keeps client grants.
type ClientGrantStore interface {
	CreateClientGrant(ctx context.Context, g *domain.ClientGrant) error // conflict on (client_id, audience)
	GetClientGrant(ctx context.Context, id string) (*domain.ClientGrant, error)
	FindClientGrant(ctx context.Context, clientID, audience string) (*domain.ClientGrant, error)
	UpdateClientGrant(ctx context.Context, g *domain.ClientGrant) error
	DeleteClientGrant(ctx context.Context, id string) error
	ListClientGrants(ctx context.Context, f ClientGrantFilter, p Page) ([]*domain.ClientGrant, int, error)
}

// ClientGrantFilter narrows ListClientGrants.
type ClientGrantFilter struct {
	ClientID string
	Audience string
}

// RoleStore keeps roles, their permissions and their members.
type RoleStore interface {
	CreateRole(ctx context.Context, r *domain.Role) error // conflict on name
	GetRole(ctx context.Context, id string) (*domain.Role, error)
	UpdateRole(ctx context.Context, r *domain.Role) error
	DeleteRole(ctx context.Context, id string) error
	ListRoles(ctx context.Context, nameFilter string, p Page) ([]*domain.Role, int, error)

	AddRolePermissions(ctx context.Context, roleID string, perms []domain.Permission) error // idempotent
	RemoveRolePermissions(ctx context.Context, roleID string, perms []domain.Permission) error
	ListRolePermissions(ctx context.Context, roleID string, p Page) ([]domain.Permission, int, error)

	AssignUsersToRole(ctx context.Context, roleID string, userIDs []string) error // idempotent
	ListRoleUsers(ctx context.Context, roleID string, p Page) ([]*domain.User, int, error)
}

// UserPermission is a permission a user holds, with where it comes from.
type UserPermission struct {
	domain.Permission
	Sources []domain.PermissionSource
}

// UserStore keeps users, their role assignments and direct permissions.
type UserStore interface {
	CreateUser(ctx context.Context, u *domain.User) error // conflict on email (per connection) and user_id
	GetUser(ctx context.Context, userID string) (*domain.User, error)
	GetUserByEmail(ctx context.Context, connection, email string) (*domain.User, error)
	// GetUserByUsername finds a user by username in a connection, case-insensitively.
	GetUserByUsername(ctx context.Context, connection, username string) (*domain.User, error)
	ListUsersByEmail(ctx context.Context, email string) ([]*domain.User, error)
	UpdateUser(ctx context.Context, u *domain.User) error
	DeleteUser(ctx context.Context, userID string) error // also its sessions, tokens, roles
	SearchUsers(ctx context.Context, q UserQuery, p Page) ([]*domain.User, int, error)
	// RecordLogin bumps logins_count and sets last_login / last_ip.
	RecordLogin(ctx context.Context, userID, ip string, at time.Time) error

	AssignRolesToUser(ctx context.Context, userID string, roleIDs []string) error // idempotent
	RemoveRolesFromUser(ctx context.Context, userID string, roleIDs []string) error
	ListUserRoles(ctx context.Context, userID string, p Page) ([]*domain.Role, int, error)

	AddUserPermissions(ctx context.Context, userID string, perms []domain.Permission) error
	RemoveUserPermissions(ctx context.Context, userID string, perms []domain.Permission) error
	// ListUserPermissions returns direct and role-derived permissions, merged per permission.
	ListUserPermissions(ctx context.Context, userID string, p Page) ([]UserPermission, int, error)
	// UserPermissionNames returns the names of every permission the user holds on one API (through
	// roles or directly), sorted — the hot path of RBAC at token issuance.
	UserPermissionNames(ctx context.Context, userID, audience string) ([]string, error)
}

// UserQuery is a parsed user search. Terms are ANDed; each matches one field.
type UserQuery struct {
	Terms []UserQueryTerm
	// SkipCount reads the page without counting every match (the total is then -1): a list that
	// does not show its total must not pay for a count over a large tenant.
	SkipCount bool
	// CountCap, when positive, stops the count at this many matches: the total is then
	// min(matches, CountCap). Auth0's user search reports at most 1,000 (the most it pages through),
	// and a count that stops there costs the same over a million users as over a thousand.
	CountCap int
	// Sort orders the list; the zero value is creation order (created_at, then user_id).
	Sort UserSort
	// After, when set, starts the list after this user in the list's order (created_at, user_id):
	// checkpoint paging, which costs the same on the last page as on the first (exports).
	After *UserCursor
}

// UserSort orders a user list by one field, ties broken by creation (created_at, user_id) in the
// same direction. Field is one of UserSortFields; "" is created_at.
type UserSort struct {
	Field string
	Desc  bool
}

// UserSortFields are the fields a user list may be sorted by. Text fields sort by their stored,
// lower-cased value, byte by byte; a user who never logged in has no last_login and sorts before
// every one who did (after them when descending).
var UserSortFields = []string{"created_at", "updated_at", "last_login", "logins_count", "email", "name", "nickname",
	"username", "user_id"}

// UserCursor is a position in the users list: the last user read.
type UserCursor struct {
	CreatedAt time.Time
	UserID    string
}

// UserQueryTerm matches Field against Value. Fields: "email", "name", "nickname", "user_id",
// "username", "email_verified", "blocked", "connection" (exact, by name), or "" for any of the text
// fields. A Value ending in `*` is a prefix match; one starting with `*` (and not ending with it) a
// suffix match of a text field. Email, name and nickname compare case-insensitively.
type UserQueryTerm struct {
	Field string
	Value string
}

// ActionStore keeps Actions, their deployed versions and trigger bindings.
type ActionStore interface {
	CreateAction(ctx context.Context, a *domain.Action) error // conflict on name
	GetAction(ctx context.Context, id string) (*domain.Action, error)
	UpdateAction(ctx context.Context, a *domain.Action) error
	DeleteAction(ctx context.Context, id string) error // also its versions and bindings
	ListActions(ctx context.Context, f ActionFilter, p Page) ([]*domain.Action, int, error)

	// CreateActionVersion stores a new deployed version (Number = previous + 1, assigned here), marks
	// it deployed, clears Deployed on the action's older versions and points the action at it.
	CreateActionVersion(ctx context.Context, v *domain.ActionVersion) error
	GetActionVersion(ctx context.Context, actionID, versionID string) (*domain.ActionVersion, error)
	ListActionVersions(ctx context.Context, actionID string, p Page) ([]*domain.ActionVersion, int, error)

	// SetTriggerBindings replaces a trigger's bindings, in execution order.
	SetTriggerBindings(ctx context.Context, triggerID string, bindings []*domain.TriggerBinding) error
	ListTriggerBindings(ctx context.Context, triggerID string) ([]*domain.TriggerBinding, error)
}

// ActionFilter narrows ListActions.
type ActionFilter struct {
	TriggerID  string
	ActionName string
	Deployed   *bool
}

// KeyStore keeps signing keys.
type KeyStore interface {
	CreateSigningKey(ctx context.Context, k *domain.SigningKey) error
	ListSigningKeys(ctx context.Context) ([]*domain.SigningKey, error) // newest first, revoked included
	// RotateSigningKeys rotates the keys of one algorithm, newNext.Alg: it atomically moves that
	// algorithm's current→previous and next→current and inserts newNext (as next, or as current when
	// no next key was waiting), so that two nodes rotating at once cannot leave two current keys.
	// Keys of other algorithms are untouched: each algorithm has at most one current and one next
	// key. It fails with ErrConflict when the algorithm's current key is no longer expectCurrentKID
	// (someone else rotated first; "" expects none).
	RotateSigningKeys(ctx context.Context, expectCurrentKID string, newNext *domain.SigningKey, now time.Time) error
	RevokeSigningKey(ctx context.Context, kid string, now time.Time) error // only a previous key
	// KeysVersion is a cheap change marker (e.g. the newest state change time) that nodes poll to
	// notice a rotation made elsewhere.
	KeysVersion(ctx context.Context) (string, error)
}

// CounterStore keeps windowed counters that every node shares: brute-force protection and rate
// limits count here, so a limit is the same whichever node a request reaches. A counter lives until
// its expiry; a hit on an expired counter starts it afresh.
type CounterStore interface {
	// HitCounter atomically adds n to key's counter and returns the new count and when it expires.
	// A new (or expired) counter starts at n and expires at expiresAt. A live counter keeps its
	// expiry (a fixed window) unless slide is set, which moves it to expiresAt (a counter that
	// lives until a quiet period has passed since its last hit).
	HitCounter(ctx context.Context, key string, n int64, now, expiresAt time.Time, slide bool) (count int64, expires time.Time, err error)
	// GetCounter returns key's live count and expiry; zero values when there is none.
	GetCounter(ctx context.Context, key string, now time.Time) (count int64, expires time.Time, err error)
	// DeleteCounter forgets key's counter; nothing happens when there is none.
	DeleteCounter(ctx context.Context, key string) error
	// DeleteCountersWithPrefix forgets every counter whose key starts with prefix (a kind and an
	// owner, such as every address's brute-force count for one user).
	DeleteCountersWithPrefix(ctx context.Context, prefix string) error
	// EachCounter calls fn with every live counter whose key starts with prefix, in key order (the
	// brute-force blocks of one user, for an administrator to list). fn's error stops the walk.
	EachCounter(ctx context.Context, prefix string, now time.Time, fn func(key string, count int64, expires time.Time) error) error
	// HitBucket takes one attempt from key's bucket in one atomic upsert and returns the bucket's
	// "theoretical arrival time" (GCRA): the bucket is full again at tat, and an attempt is within
	// a bucket of n attempts when tat - now <= n*interval. Each hit moves tat interval later, from
	// now at the earliest and to now + limit at the latest, so that an address hammering a full
	// bucket stays refused for at most limit after its last attempt. The counter expires at tat.
	HitBucket(ctx context.Context, key string, now time.Time, interval, limit time.Duration) (tat time.Time, err error)
	// RefundBucket gives one attempt back (moves tat interval earlier); nothing happens when key
	// has no bucket.
	RefundBucket(ctx context.Context, key string, interval time.Duration) error
}

// ActionCacheStore keeps Actions' api.cache in the database every node shares, one namespace per
// trigger (Auth0 scopes cached values to the trigger). The store enforces the namespace's caps in
// the transaction that writes, so two nodes writing at once cannot pass them together.
type ActionCacheStore interface {
	// GetActionCache returns the live entry of trigger's key; ErrNotFound when there is none or it
	// expired at now.
	GetActionCache(ctx context.Context, trigger, key string, now time.Time) (domain.ActionCacheEntry, error)
	// PutActionCache stores e in trigger's namespace, replacing an entry of the same key, after
	// removing expired entries and then, while the namespace would hold more than maxEntries entries
	// or more than maxBytes of keys and values, the entries closest to expiry.
	PutActionCache(ctx context.Context, trigger string, e domain.ActionCacheEntry, now time.Time, maxEntries, maxBytes int) error
	// DeleteActionCache removes trigger's key and reports whether there was a live entry.
	DeleteActionCache(ctx context.Context, trigger, key string, now time.Time) (bool, error)
}

// ActionExecutionStore keeps the record of each run of a trigger's Actions; DeleteExpired removes
// those older than domain.ActionExecutionRetention.
type ActionExecutionStore interface {
	// InsertActionExecutions stores a batch of executions (one statement each, in the caller's
	// transaction when it has one).
	InsertActionExecutions(ctx context.Context, xs []*domain.ActionExecution) error
	// GetActionExecution returns the execution; ErrNotFound when there is none.
	GetActionExecution(ctx context.Context, id string) (*domain.ActionExecution, error)
}

// ConnectionStore keeps database connections and the applications each is enabled for. A
// connection's EnabledClients are read and written with it.
type ConnectionStore interface {
	// CreateConnection stores c and enables it for c.EnabledClients; conflict on name.
	CreateConnection(ctx context.Context, c *domain.Connection) error
	GetConnection(ctx context.Context, id string) (*domain.Connection, error)
	GetConnectionByName(ctx context.Context, name string) (*domain.Connection, error)
	// UpdateConnection writes display_name, options and metadata (the name and strategy never
	// change) and replaces the enabled clients with c.EnabledClients.
	UpdateConnection(ctx context.Context, c *domain.Connection) error
	// DeleteConnection deletes the connection and every user in it (their sessions, tokens and roles
	// go with them), as Auth0 does.
	DeleteConnection(ctx context.Context, id string) error
	ListConnections(ctx context.Context, f ConnectionFilter, p Page) ([]*domain.Connection, int, error)
	// SetConnectionClients enables (true) or disables (false) the connection for each client named;
	// the others keep their state. An unknown client is ErrNotFound, and nothing changes.
	SetConnectionClients(ctx context.Context, id string, status map[string]bool) error
}

// ConnectionFilter narrows ListConnections.
type ConnectionFilter struct {
	Strategy []string
	Name     string
}

// PasswordHistoryStore keeps the hashes of a user's previous passwords for password_history.
type PasswordHistoryStore interface {
	// AddPasswordHistory records hash as the user's newest password and forgets all but the newest
	// keep (0 forgets them all).
	AddPasswordHistory(ctx context.Context, userID, hash string, at time.Time, keep int) error
	// ListPasswordHistory returns up to limit of the user's password hashes, newest first.
	ListPasswordHistory(ctx context.Context, userID string, limit int) ([]string, error)
}

// LogStore keeps tenant log events.
type LogStore interface {
	AppendLog(ctx context.Context, e *domain.LogEvent) error
	// AppendLogs appends events in the order given (their sequence numbers follow it), all or
	// none; a LogID or Date left empty is filled in place.
	AppendLogs(ctx context.Context, events []domain.LogEvent) error
	GetLog(ctx context.Context, id string) (*domain.LogEvent, error)
	// ListLogs returns events newest first.
	ListLogs(ctx context.Context, f LogFilter, p Page) ([]*domain.LogEvent, int, error)
	// ListLogsFrom returns up to take events that match f and were stored after the event
	// fromLogID, oldest first (Auth0's checkpoint paging); ErrNotFound when there is no such event.
	ListLogsFrom(ctx context.Context, f LogFilter, fromLogID string, take int) ([]*domain.LogEvent, error)
	// ListLogsAfter returns up to limit events whose sequence number is above seq, in sequence
	// order, for a log stream's delivery.
	ListLogsAfter(ctx context.Context, seq int64, limit int) ([]domain.LogRecord, error)
	// DeleteLogsBefore deletes up to limit of the oldest events dated before t (retention) and
	// returns how many it deleted.
	DeleteLogsBefore(ctx context.Context, t time.Time, limit int) (int, error)
}

// LogFilter narrows ListLogs.
type LogFilter struct {
	Type     string
	UserID   string
	ClientID string
}

// AttackProtectionStore keeps the attack protection settings, one section at a time
// (domain.SectionBruteForce, …), so that changes to two sections never overwrite each other.
type AttackProtectionStore interface {
	// GetAttackProtection returns every section, Auth0's defaults for a section never saved.
	GetAttackProtection(ctx context.Context) (domain.AttackProtection, error)
	PutBruteForceProtection(ctx context.Context, b domain.BruteForceProtection) error
	PutSuspiciousIPThrottling(ctx context.Context, s domain.SuspiciousIPThrottling) error
	PutBreachedPasswordDetection(ctx context.Context, b domain.BreachedPasswordDetection) error
}

// LogStreamStore keeps log streams and their delivery state. Delivery is at least once with a
// lease: a node claims a stream for a while, and only the lease holder may move its cursor or
// record a failure, so one node at a time delivers a stream, in order.
type LogStreamStore interface {
	// CreateLogStream stores s (CreatedAt, UpdatedAt filled when zero) with its cursor at the
	// newest event: a new stream delivers what happens from now on.
	CreateLogStream(ctx context.Context, s *domain.LogStream) error
	GetLogStream(ctx context.Context, id string) (*domain.LogStream, error)
	ListLogStreams(ctx context.Context) ([]*domain.LogStream, error)
	// UpdateLogStream saves the configuration and status; a stream made active again starts its
	// failure count afresh and is due at once.
	UpdateLogStream(ctx context.Context, s *domain.LogStream) error
	DeleteLogStream(ctx context.Context, id string) error
	// ClaimLogStream leases an active, due stream to owner until leaseUntil (an owner may renew
	// its own lease). ErrNotFound: the stream is gone, not active, not due, or leased to another.
	ClaimLogStream(ctx context.Context, id, owner string, now, leaseUntil time.Time) (*domain.LogStream, error)
	// AdvanceLogStream records delivery up to cursor, clears the failures and extends the lease.
	// ErrNotFound: owner no longer holds the lease.
	AdvanceLogStream(ctx context.Context, id, owner string, cursor int64, leaseUntil time.Time) error
	// FailLogStream counts a failed delivery, releases the lease and schedules the next attempt;
	// an active stream whose failures reach suspendAfter is suspended. It returns the status.
	FailLogStream(ctx context.Context, id, owner string, next time.Time, lastErr string, suspendAfter int) (string, error)
	// ReleaseLogStream gives the lease up.
	ReleaseLogStream(ctx context.Context, id, owner string) error
	// LogStreamBacklogs reports, for every stream, the tenant log events after its cursor (not yet
	// delivered nor skipped by its filters) and the date of the oldest of them: its queue depth and
	// lag, for metrics.
	LogStreamBacklogs(ctx context.Context) ([]LogStreamBacklog, error)
}

// LogStreamBacklog is one log stream's undelivered part of the tenant log. Oldest is zero when
// Depth is 0.
type LogStreamBacklog struct {
	StreamID string
	Status   string
	Depth    int64
	Oldest   time.Time
}

// MailStore keeps the email provider, the outbox, and the development mailbox.
//
// The outbox is at-least-once with leases: a worker claims due messages for a while (the lease),
// and only the lease holder may mark one sent, rescheduled or failed. A worker that dies mid-send
// leaves its lease to run out, and another claims the message again; under normal operation each
// message is delivered once.
type MailStore interface {
	GetEmailProvider(ctx context.Context) (*domain.EmailProvider, error) // ErrNotFound when none
	PutEmailProvider(ctx context.Context, p *domain.EmailProvider) error

	// EnqueueEmail queues m (ID, CreatedAt and NextAttemptAt filled when empty). Called through a
	// Store bound to a transaction, it commits with the change that caused the message.
	EnqueueEmail(ctx context.Context, m *domain.OutboundEmail) error
	// ClaimEmails leases up to limit due messages (unsent, not failed, next attempt and any earlier
	// lease past at now) to owner until leaseUntil, counting an attempt on each, oldest due first.
	// Concurrent claimers never get the same message.
	ClaimEmails(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*domain.OutboundEmail, error)
	// MarkEmailSent records delivery and drops the body. ErrNotFound: owner no longer holds the lease.
	MarkEmailSent(ctx context.Context, id, owner string, now time.Time) error
	// RetryEmail releases the lease and schedules the next attempt at next.
	RetryEmail(ctx context.Context, id, owner string, next time.Time, lastErr string) error
	// FailEmail gives up on the message (no more attempts) and drops the body.
	FailEmail(ctx context.Context, id, owner string, now time.Time, lastErr string) error
	GetEmail(ctx context.Context, id string) (*domain.OutboundEmail, error)
	// EmailQueue reports the messages neither sent nor failed and when the oldest of them was
	// queued (zero when none): the queue's depth and age, for metrics.
	EmailQueue(ctx context.Context) (pending int, oldest time.Time, err error)

	// AppendDevMail stores a delivered message in the development mailbox, keeping the newest keep.
	AppendDevMail(ctx context.Context, m *domain.DevMail, keep int) error
	ListDevMail(ctx context.Context, limit int) ([]*domain.DevMail, error) // newest first
	GetDevMail(ctx context.Context, id string) (*domain.DevMail, error)

	// GetEmailTemplate returns the tenant's template of that name; ErrNotFound when it has none
	// (the built-in default applies).
	GetEmailTemplate(ctx context.Context, name string) (*domain.EmailTemplate, error)
	// CreateEmailTemplate stores a template whose name has none yet; ErrConflict when it has.
	CreateEmailTemplate(ctx context.Context, t *domain.EmailTemplate) error
	// PutEmailTemplate stores t, replacing any template of that name.
	PutEmailTemplate(ctx context.Context, t *domain.EmailTemplate) error

	// CreateJob stores j (ID and CreatedAt filled when empty). Called through a Store bound to a
	// transaction with the mail it queued.
	CreateJob(ctx context.Context, j *domain.Job) error
	GetJob(ctx context.Context, id string) (*domain.Job, error) // ErrNotFound when unknown
	// UpdateJob replaces a job's status and summary; ErrNotFound when unknown.
	UpdateJob(ctx context.Context, j *domain.Job) error

	// CreateJobWork stores the work of a job created in the same transaction.
	CreateJobWork(ctx context.Context, w *JobWork) error
	// ClaimJobWork leases to owner, until the given time, one unfinished job whose lease ran out
	// before now; ErrNotFound when there is none. Two nodes never claim the same lease.
	ClaimJobWork(ctx context.Context, owner string, now, until time.Time) (*JobWork, error)
	// SaveJobWork records w's state, finished flag and lease end, only while w.Owner still holds
	// the lease: ErrConflict when another node took it over.
	SaveJobWork(ctx context.Context, w *JobWork) error
	GetJobWork(ctx context.Context, jobID string) (*JobWork, error) // ErrNotFound when unknown
}

// JobWorkReader reads a job's work.
type JobWorkReader interface {
	GetJobWork(ctx context.Context, jobID string) (*JobWork, error)
}

// JobWork is the resumable part of a background job: its input, its progress (State, the job
// kind's own JSON) and the lease of the node running it.
type JobWork struct {
	JobID      string
	Owner      string
	LeaseUntil time.Time
	Finished   bool
	Payload    []byte
	State      []byte
}

// TicketStore keeps single-use tickets (password reset, email verification) by the SHA-256 of
// their secret.
type TicketStore interface {
	// CreateTicket stores t (CreatedAt filled when empty). Called through a Store bound to a
	// transaction, it commits with the mail that carries it.
	CreateTicket(ctx context.Context, t *domain.Ticket) error
	// GetTicket returns the ticket with that hash, used or not; ErrNotFound when there is none.
	GetTicket(ctx context.Context, hash []byte) (*domain.Ticket, error)
	// RedeemTicket marks the ticket used at now, atomically: of concurrent redemptions exactly one
	// succeeds. Unknown, of another kind, or expired → ErrNotFound; used before → ErrAlreadyUsed.
	RedeemTicket(ctx context.Context, hash []byte, kind string, now time.Time) (*domain.Ticket, error)
	// SpendUserTickets marks every unused ticket of kind held by the user used, so that a reset
	// ends every other reset link in flight.
	SpendUserTickets(ctx context.Context, userID, kind string, now time.Time) error
	// CountLiveTickets counts the user's unused, unexpired tickets of kind at now.
	CountLiveTickets(ctx context.Context, userID, kind string, now time.Time) (int, error)
}

// Cursor selects a slice of a list by checkpoint (Auth0's from/take): the items after After (an
// opaque value a previous page returned as Next; "" starts at the beginning), at most Take of them.
type Cursor struct {
	After string
	Take  int // 1..100; 0 means 50
}

// Limit returns the effective page size.
func (c Cursor) Limit() int { return Page{PerPage: c.Take}.Limit() }
