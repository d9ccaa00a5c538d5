package sqlstore

// userSQL holds the generic statements of users and what hangs off them: roles and permissions,
// tickets, password history, jobs, MFA factors, linked identities, WebAuthn credentials.
var userSQL = map[Stmt]string{
	UserInsert: `INSERT INTO users (user_id, connection, email, username, name_lower, nickname_lower, email_verified, blocked,
		password_hash, created_at, updated_at, last_login, last_ip, logins_count, last_password_reset, doc,
		email_rev, username_rev, name_rev, nickname_rev, user_id_rev)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
	UserUpdate: `UPDATE users SET connection = $2, email = $3, username = $4, name_lower = $5, nickname_lower = $6,
		email_verified = $7, blocked = $8, password_hash = $9, updated_at = $10, last_password_reset = $11, doc = $12,
		email_rev = $13, username_rev = $14, name_rev = $15, nickname_rev = $16
		WHERE user_id = $1`,
	UserGet:               `SELECT ` + userCols + ` FROM users WHERE user_id = $1`,
	UserGetByEmail:        `SELECT ` + userCols + ` FROM users WHERE connection = $1 AND email = $2`,
	UserGetByUsername:     `SELECT ` + userCols + ` FROM users WHERE connection = $1 AND username = $2`,
	UserListByEmail:       `SELECT ` + userCols + ` FROM users WHERE email = $1 ORDER BY created_at, user_id`,
	UserDelete:            `DELETE FROM users WHERE user_id = $1`,
	UserRecordLogin:       `UPDATE users SET logins_count = logins_count + 1, last_login = $2, last_ip = $3 WHERE user_id = $1`,
	UserSelect:            `SELECT ` + userCols + ` FROM users`,
	PasswordHistoryInsert: `INSERT INTO password_history (user_id, password_hash, created_at) VALUES ($1, $2, $3)`,
	PasswordHistoryTrim: `DELETE FROM password_history WHERE user_id = $1 AND password_hash NOT IN (
		SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY created_at DESC, password_hash LIMIT $2)`,
	PasswordHistoryList: `SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY created_at DESC, password_hash LIMIT $2`,
	UserCount:           `SELECT COUNT(*) FROM users`,
	UserRoleInsert:      `INSERT INTO user_roles (user_id, role_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
	UserRoleDelete:      `DELETE FROM user_roles WHERE user_id = $1 AND role_id = $2`,
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
	TicketInsert:    `INSERT INTO tickets (ticket_hash, kind, user_id, expires_at, used_at, doc) VALUES ($1, $2, $3, $4, NULL, $5)`,
	TicketGet:       `SELECT ` + ticketCols + ` FROM tickets WHERE ticket_hash = $1`,
	TicketRedeem:    `UPDATE tickets SET used_at = $3 WHERE ticket_hash = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3`,
	TicketSpendUser: `UPDATE tickets SET used_at = $3 WHERE user_id = $1 AND kind = $2 AND used_at IS NULL`,
	TicketCountLive: `SELECT COUNT(*) FROM tickets WHERE user_id = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3`,
	JobInsert:       `INSERT INTO jobs (id, created_at, email_id, doc) VALUES ($1, $2, $3, $4)`,
	JobGet:          `SELECT email_id, doc FROM jobs WHERE id = $1`,
	JobUpdate:       `UPDATE jobs SET doc = $2 WHERE id = $1`,
	JobWorkInsert:   `INSERT INTO job_work (job_id, lease_owner, lease_until, finished, payload, state) VALUES ($1, $2, $3, $4, $5, $6)`,
	JobWorkClaim: `UPDATE job_work SET lease_owner = $1, lease_until = $2
		WHERE job_id = (SELECT job_id FROM job_work WHERE NOT finished AND lease_until < $3 ORDER BY lease_until, job_id LIMIT 1)
		AND NOT finished AND lease_until < $3
		RETURNING job_id, lease_owner, lease_until, finished, payload, state`,
	JobWorkSave: `UPDATE job_work SET lease_until = $3, finished = $4, state = $5 WHERE job_id = $1 AND lease_owner = $2`,
	JobWorkGet:  `SELECT job_id, lease_owner, lease_until, finished, payload, state FROM job_work WHERE job_id = $1`,
	UserOrgList: `SELECT ` + orgColsO + ` FROM organization_members m JOIN organizations o ON o.id = m.organization_id
		WHERE m.user_id = $1 ORDER BY o.name LIMIT $2 OFFSET $3`,
	UserOrgCount: `SELECT COUNT(*) FROM organization_members WHERE user_id = $1`,
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
	SessionMFAGet:                 `SELECT session_id, methods, at FROM session_mfa WHERE session_id = $1`,
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
	// A linked database account keeps its address and username only in its profile (its user row
	// is gone): ->> reads them on both engines. Only linked database accounts have rows of
	// provider auth0, so the primary key's prefix bounds the scan to them.
	IdentityGetLinkedByEmail: `SELECT ` + identityCols + ` FROM user_identities
		WHERE provider = 'auth0' AND connection = $1 AND (doc ->> 'email') = $2`,
	IdentityGetLinkedByUsername: `SELECT ` + identityCols + ` FROM user_identities
		WHERE provider = 'auth0' AND connection = $1 AND lower(doc ->> 'username') = $2`,
	IdentityLinkedLoginTaken: `SELECT COUNT(*) FROM user_identities
		WHERE provider = 'auth0' AND connection = $1 AND identity_id <> $4
		AND ((doc ->> 'email') = $2 OR ($3 <> '' AND lower(doc ->> 'username') = $3))`,
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
	WebAuthnChallengeTake: `DELETE FROM webauthn_challenges WHERE binding = $1 AND expires_at > $2 RETURNING data, expires_at`,
}
