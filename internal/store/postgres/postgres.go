package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Options tune Open. The zero value is what production uses.
type Options struct {
	// ConnectTimeout bounds each connection attempt (default 5 s), so a wrong address fails fast
	// instead of hanging startup.
	ConnectTimeout time.Duration
	// MaxConns caps the pool (default 20).
	MaxConns int
	// Now is the clock for timestamps the store fills in; nil means time.Now.
	Now func() time.Time
	// Observe receives the store's latencies (sqlstore.Config.Observe); nil: none.
	Observe func(kind string, d time.Duration)
}

// Store is a PostgreSQL-backed store.Store and store.Migrator.
type Store struct {
	*sqlstore.Store
}

// migrationLockKey is the first half of the advisory lock key Migrate takes; the second is a hash
// of the schema, so that nodes sharing a schema exclude each other and separate schemas do not.
const migrationLockKey = 0x6761 // "ga"

// refreshFamilyLockKey is the first half of the advisory lock key a refresh-token exchange takes
// on its family (overrides.go); the second is a hash of the family id. Two families whose hashes
// collide only wait for each other.
const refreshFamilyLockKey = "26214" // 0x6666, "ff"

// actionCacheLockKey is the first half of the advisory lock key a write to a trigger's api.cache
// takes; the second is a hash of the trigger.
const actionCacheLockKey = "24931" // 0x6163, "ac"

// Dialect returns PostgreSQL's dialect: its migrations, its overrides of the statements that
// differ (overrides.go) and its error classification.
func Dialect() *sqlstore.Dialect {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	return &sqlstore.Dialect{
		Name:        "postgres",
		Migrations:  sub,
		MigrateLock: fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, hashtext(current_schema()))`, migrationLockKey),
		Classify:    classify,
		Retryable:   retryable,
		Unavailable: unavailable,
		Overrides:   overrides(),
		ByteOrder:   ` COLLATE "C"`,        // the user search's indexes (migration 0018) are in this collation
		PlanPerCall: pgx.QueryExecModeExec, // unnamed statement: planned with its values, every call
		// Planning with the values is not enough for a suffix: every reversed address starts with
		// its reversed domain, and the histogram cannot tell a hundred matches from ten thousand
		// (measured: 9,801 guessed for 100, answered by walking half the list in order, 0.5 s at
		// 1,000,000 users). So the search counts a prefix's or suffix's matches first, as on
		// SQLite; fewer than 20,000 are read whole and sorted (under 10 ms), more in list order.
		PrefixProbe: 20_000,
	}
}

// Open connects to the database at url (postgres://user:pass@host:port/db?sslmode=…; libpq
// key=value strings work too; search_path and other run-time parameters may be given in the URL)
// and checks it answers. It does not migrate: call Migrate.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL, password included: do not pass it on.
		return nil, errors.New("postgres: the database URL is not valid (expected postgres://user:password@host:port/database)")
	}
	timeout := opts.ConnectTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	cfg.ConnectTimeout = timeout
	where := fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)

	db := stdlib.OpenDB(*cfg)
	maxConns := opts.MaxConns
	if maxConns <= 0 {
		maxConns = 20
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)

	pingCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: cannot connect to %s: %w", where, redact(err))
	}
	return &Store{Store: sqlstore.New(sqlstore.Config{Dialect: Dialect(), DB: db, Now: opts.Now, Observe: opts.Observe})}, nil
}

// redact keeps the connection error's cause but drops pgx's config dump.
func redact(err error) error {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		return ce.Unwrap()
	}
	return err
}

// uniqueKeys maps constraint names to the logical keys sqlstore reports conflicts on.
var uniqueKeys = map[string]string{
	"clients_pkey":                         "clients.client_id",
	"resource_servers_pkey":                "resource_servers.id",
	"resource_servers_identifier_key":      "resource_servers.identifier",
	"client_grants_pkey":                   "client_grants.id",
	"client_grants_client_id_audience_key": "client_grants.audience",
	"roles_pkey":                           "roles.id",
	"roles_name_key":                       "roles.name",
	"users_pkey":                           "users.user_id",
	"users_connection_email_key":           "users.email",
	"users_connection_username_key":        "users.username",
	"actions_pkey":                         "actions.id",
	"actions_name_key":                     "actions.name",
	"action_versions_pkey":                 "action_versions.id",
	"trigger_bindings_pkey":                "trigger_bindings.id",
	"signing_keys_pkey":                    "signing_keys.kid",
	"signing_keys_one_current_per_alg":     "signing_keys.state",
	"signing_keys_one_next_per_alg":        "signing_keys.state",
	"log_events_log_id_key":                "log_events.log_id",
	"sessions_pkey":                        "sessions.id",
	"sessions_token_hash_key":              "sessions.token_hash",
	"login_transactions_pkey":              "login_transactions.id",
	"authorization_codes_pkey":             "authorization_codes.code_hash",
	"refresh_tokens_pkey":                  "refresh_tokens.token_hash",
	"connections_pkey":                     "connections.id",
	"connections_name_key":                 "connections.name",
	"organizations_pkey":                   "organizations.id",
	"organizations_name_key":               "organizations.name",
	"organization_connections_pkey":        "organization_connections.connection_id",
	"organization_invitations_pkey":        "organization_invitations.id",
}

// classify recognises PostgreSQL's constraint errors by SQLSTATE (23505 unique_violation, 23503
// foreign_key_violation).
func classify(err error) (sqlstore.Violation, string) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return sqlstore.NoViolation, ""
	}
	switch pe.Code {
	case "23505":
		return sqlstore.UniqueViolation, uniqueKeys[pe.ConstraintName]
	case "23503":
		return sqlstore.ForeignKeyViolation, ""
	}
	return sqlstore.NoViolation, ""
}

// retryable reports serialization failures (40001) and deadlocks (40P01): the transaction was
// rolled back and may run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// unavailable recognises a connection pgx closed or could not open, and a timeout: the database was
// not there for this transaction.
func unavailable(err error) bool {
	var ce *pgconn.ConnectError
	return errors.Is(err, pgconn.ErrConnClosed) || errors.As(err, &ce) || pgconn.Timeout(err)
}
