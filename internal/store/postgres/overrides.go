package postgres

import (
	"strings"

	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

// overrides returns the statements PostgreSQL must say otherwise than sqlstore's generic table.
// All but BucketHit's are locks. Transactions here run side by side at READ COMMITTED, where SQLite's write
// transactions exclude each other from BEGIN: what SQLite has from its single writer, PostgreSQL
// has by locking what a transaction is about to decide on before it changes anything.
func overrides() map[sqlstore.Stmt]string {
	return map[sqlstore.Stmt]string{
		// Two deployments of one action at once must number their versions one after the other:
		// lock the action's row before reading its highest version number.
		sqlstore.ActionLock: sqlstore.Generic(sqlstore.ActionLock) + ` FOR UPDATE`,
		// Two nodes rotating one algorithm's keys at once: the second waits for the first, then
		// finds a different current key and reports a conflict.
		sqlstore.KeyCurrentLock: sqlstore.Generic(sqlstore.KeyCurrentLock) + ` FOR UPDATE`,
		// Two exchanges of one refresh token at once: the second waits, then reads it rotated.
		// Two nodes claiming outbox messages at once: each skips the rows the other is claiming
		// rather than waiting for them, so they share the queue instead of taking turns.
		sqlstore.EmailClaim:  strings.Replace(sqlstore.Generic(sqlstore.EmailClaim), "LIMIT $4)", "LIMIT $4 FOR UPDATE SKIP LOCKED)", 1),
		sqlstore.RefreshLock: sqlstore.Generic(sqlstore.RefreshLock) + ` FOR UPDATE`,
		// The back-channel logout outbox is shared the same way.
		sqlstore.BackchannelClaim: strings.Replace(sqlstore.Generic(sqlstore.BackchannelClaim), "LIMIT $4)", "LIMIT $4 FOR UPDATE SKIP LOCKED)", 1),
		// Polls of one device code at once: the second waits, then finds it consumed or polled.
		sqlstore.DeviceLock: sqlstore.Generic(sqlstore.DeviceLock) + ` FOR UPDATE`,
		// Exchanges of different tokens of one family (a retry of the previous token, a rotation
		// of the newest) lock different rows, yet each must see what the other did: an advisory
		// lock on the family serialises them. The generic table has none to take.
		sqlstore.RefreshLockFamily: `SELECT pg_advisory_xact_lock(` + refreshFamilyLockKey + `, hashtext($1))`,
		// Two nodes writing one trigger's api.cache at once: the second waits, then counts what the
		// first stored, so the namespace's caps hold across nodes.
		sqlstore.ActionCacheLock: `SELECT pg_advisory_xact_lock(` + actionCacheLockKey + `, hashtext($1))`,
		// Not a lock: PostgreSQL names the two-argument minimum and maximum LEAST and GREATEST.
		sqlstore.BucketHit: strings.NewReplacer("MIN(MAX(", "LEAST(GREATEST(").Replace(sqlstore.Generic(sqlstore.BucketHit)),
	}
}
