package sqlstore

// protocolSQL holds the generic statements of the protocol's short-lived state: sessions, login
// transactions, codes, refresh tokens, device codes, revoked tokens, used jtis, pushed requests,
// back-channel logouts.
var protocolSQL = map[Stmt]string{
	SessionInsert: `INSERT INTO sessions (id, token_hash, user_id, last_seen_at, idle_expires_at, expires_at, client_ids, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
	SessionGet:            `SELECT ` + sessionCols + ` FROM sessions WHERE id = $1`,
	SessionGetByTokenHash: `SELECT ` + sessionCols + ` FROM sessions WHERE token_hash = $1`,
	SessionListByUser:     `SELECT ` + sessionCols + ` FROM sessions WHERE user_id = $1 ORDER BY expires_at, id`,
	SessionTouch:          `UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3, client_ids = $4 WHERE id = $1`,
	SessionDelete:         `DELETE FROM sessions WHERE id = $1`,
	SessionDeleteByUser:   `DELETE FROM sessions WHERE user_id = $1`,
	TransactionInsert:     `INSERT INTO login_transactions (id, expires_at, doc) VALUES ($1, $2, $3)`,
	TransactionGet:        `SELECT doc FROM login_transactions WHERE id = $1 AND expires_at > $2`,
	TransactionUpdate:     `UPDATE login_transactions SET expires_at = $2, doc = $3 WHERE id = $1`,
	TransactionDelete:     `DELETE FROM login_transactions WHERE id = $1`,
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
	RevokedOpaqueGet: `SELECT COUNT(*) FROM revoked_opaque_tokens WHERE token_hash = $1`,
	JTIUse: `INSERT INTO used_jtis (jti_hash, expires_at) VALUES ($1, $2)
		ON CONFLICT (jti_hash) DO UPDATE SET expires_at = excluded.expires_at WHERE used_jtis.expires_at <= $3`,
	PushedInsert: `INSERT INTO pushed_requests (uri_hash, client_id, expires_at, doc) VALUES ($1, $2, $3, $4)`,
	PushedConsume: `DELETE FROM pushed_requests WHERE uri_hash = $1 AND client_id = $2 AND expires_at > $3
		RETURNING expires_at, doc`,
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
	BackchannelGet:     `SELECT ` + backchannelCols + ` FROM backchannel_logouts WHERE id = $1`,
	AccessTokenRevoke:  `INSERT INTO revoked_access_tokens (token_id, expires_at) VALUES ($1, $2) ON CONFLICT (token_id) DO NOTHING`,
	AccessTokenRevoked: `SELECT 1 FROM revoked_access_tokens WHERE token_id = $1 AND expires_at > $2`,
}
