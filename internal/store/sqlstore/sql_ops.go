package sqlstore

import (
	"strconv"
	"strings"
)

// opsSQL holds the generic statements of running the tenant: signing keys, logs and log streams,
// counters and buckets, the email outbox and dev mailbox, and the garbage collection of everything
// that expires.
var opsSQL = map[Stmt]string{
	DeleteExpiredWebAuthnChallenges: `DELETE FROM webauthn_challenges WHERE expires_at <= $1`,
	DeleteExpiredTransactions:       `DELETE FROM login_transactions WHERE expires_at <= $1`,
	DeleteExpiredSessions:           `DELETE FROM sessions WHERE expires_at <= $1 OR idle_expires_at <= $1`,
	DeleteExpiredCodes:              `DELETE FROM authorization_codes WHERE expires_at <= $1`,
	DeleteExpiredDeviceCodes:        `DELETE FROM device_codes WHERE expires_at <= $1`,
	DeleteExpiredRevokedOpaque:      `DELETE FROM revoked_opaque_tokens WHERE expires_at <= $1`,
	DeleteExpiredJTIs:               `DELETE FROM used_jtis WHERE expires_at <= $1`,
	DeleteExpiredPushed:             `DELETE FROM pushed_requests WHERE expires_at <= $1`,
	DeleteExpiredRefreshTokens: `DELETE FROM refresh_tokens WHERE (expires_at IS NOT NULL AND expires_at <= $1)
		OR (idle_expires_at IS NOT NULL AND idle_expires_at <= $1)`,
	DeleteExpiredTickets:             `DELETE FROM tickets WHERE expires_at <= $1`,
	DeleteExpiredRememberedBrowsers:  `DELETE FROM mfa_remembered_browsers WHERE expires_at <= $1`,
	DeleteExpiredCounters:            `DELETE FROM counters WHERE expires_at <= $1`,
	DeleteExpiredRevokedAccessTokens: `DELETE FROM revoked_access_tokens WHERE expires_at <= $1`,
	DeleteOldJobs:                    `DELETE FROM jobs WHERE created_at <= $1`,
	KeyInsert:                        `INSERT INTO signing_keys (` + keyCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
	KeyList:                          `SELECT ` + keyCols + ` FROM signing_keys ORDER BY created_at DESC, kid DESC`,
	KeyCurrentLock:                   `SELECT kid FROM signing_keys WHERE alg = $1 AND state = 'current'`,
	KeyCurrentToPrevious:             `UPDATE signing_keys SET state = 'previous', previous_since = $2 WHERE alg = $1 AND state = 'current'`,
	KeyNextToCurrent:                 `UPDATE signing_keys SET state = 'current', current_since = $2 WHERE alg = $1 AND state = 'next'`,
	KeyRevoke:                        `UPDATE signing_keys SET state = 'revoked', revoked_at = $2 WHERE kid = $1 AND state = 'previous'`,
	KeyState:                         `SELECT state FROM signing_keys WHERE kid = $1`,
	KeysVersion: `SELECT COUNT(*), COALESCE(MAX(created_at), 0), COALESCE(MAX(current_since), 0),
		COALESCE(MAX(previous_since), 0), COALESCE(MAX(revoked_at), 0) FROM signing_keys`,
	LogInsert:   `INSERT INTO log_events (log_id, date, type, user_id, client_id, doc) VALUES ($1, $2, $3, $4, $5, $6)`,
	LogInsert4:  logInsertRows(4),
	LogInsert16: logInsertRows(16),
	LogGet:      `SELECT doc FROM log_events WHERE log_id = $1`,
	LogSelect:   `SELECT doc FROM log_events`,
	LogCount:    `SELECT COUNT(*) FROM log_events`,
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
	EmailInsert:         `INSERT INTO email_outbox (id, created_at, next_attempt_at, attempts, last_error, doc) VALUES ($1, $2, $3, 0, '', $4)`,
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
	DeleteSettledBackchannel: `DELETE FROM backchannel_logouts WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL)
		AND created_at <= $1 - 604800000000`,
	DeleteOrphanJobWork: `DELETE FROM job_work WHERE job_id NOT IN (SELECT id FROM jobs)`,

	// One statement, so concurrent attempts from any number of nodes each move tat (see
	// store.CounterStore.HitBucket). SQLite's two-argument MIN and MAX; PostgreSQL says LEAST and
	// GREATEST.
	BucketHit: `INSERT INTO counters (counter_key, hits, expires_at) VALUES ($1, 1, CAST($2 AS BIGINT) + CAST($3 AS BIGINT))
		ON CONFLICT (counter_key) DO UPDATE SET hits = counters.hits + 1,
			expires_at = MIN(MAX(counters.expires_at, CAST($2 AS BIGINT)) + CAST($3 AS BIGINT), CAST($2 AS BIGINT) + CAST($4 AS BIGINT))
		RETURNING expires_at`,
	BucketRefund:    `UPDATE counters SET expires_at = expires_at - CAST($2 AS BIGINT) WHERE counter_key = $1`,
	LogAfter:        `SELECT seq, doc FROM log_events WHERE seq > $1 ORDER BY seq LIMIT $2`,
	LogSeq:          `SELECT seq FROM log_events WHERE log_id = $1`,
	LogFromSelect:   `SELECT doc FROM log_events`,
	LogDeleteBefore: `DELETE FROM log_events WHERE seq IN (SELECT seq FROM log_events WHERE date < $1 ORDER BY date, seq LIMIT $2)`,
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
}

// logInsertRows is the insert of n log events in one statement: six placeholders a row, rows
// numbered in the order given, which is the order of their sequence numbers on both engines.
func logInsertRows(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO log_events (log_id, date, type, user_id, client_id, doc) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range 6 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("$" + strconv.Itoa(i*6+j+1))
		}
		b.WriteByte(')')
	}
	return b.String()
}
