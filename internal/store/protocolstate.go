package store

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// The protocol's short-lived state: what a sign-in, a code exchange and a refresh leave behind.

// SessionStore keeps browser SSO sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s *domain.Session) error
	GetSessionByTokenHash(ctx context.Context, tokenHash []byte) (*domain.Session, error)
	GetSession(ctx context.Context, id string) (*domain.Session, error)
	// TouchSession records use: last seen, idle expiry and the client list.
	TouchSession(ctx context.Context, id string, lastSeen, idleExpires time.Time, clientIDs []string) error
	DeleteSession(ctx context.Context, id string) error
	DeleteUserSessions(ctx context.Context, userID string) error
	// ListUserSessions returns the user's sessions, whatever their expiry, oldest first.
	ListUserSessions(ctx context.Context, userID string) ([]*domain.Session, error)
}

// TransactionStore keeps /authorize transactions.
type TransactionStore interface {
	CreateTransaction(ctx context.Context, t *domain.LoginTransaction) error
	GetTransaction(ctx context.Context, id string) (*domain.LoginTransaction, error) // ErrNotFound when expired
	UpdateTransaction(ctx context.Context, t *domain.LoginTransaction) error
	DeleteTransaction(ctx context.Context, id string) error
	// ConsumeTransaction deletes the transaction as the one step that finishes it: of requests racing
	// to finish the same transaction exactly one succeeds, the others get ErrNotFound.
	ConsumeTransaction(ctx context.Context, id string) error
}

// DeviceCodeStore keeps device authorization requests (RFC 8628), by the hashes of their codes.
type DeviceCodeStore interface {
	// CreateDeviceCode stores a pending device code; a user code already in use is ErrConflict.
	CreateDeviceCode(ctx context.Context, d *domain.DeviceCode) error
	// GetDeviceCodeByUserCode returns the device code a user code names, whatever its state or
	// expiry: the caller judges both.
	GetDeviceCodeByUserCode(ctx context.Context, userCodeHash []byte) (*domain.DeviceCode, error)
	// ApproveDeviceCode records the user's approval (a's UserID, SessionID, AuthTime, GrantedScope,
	// RefreshClaims) on a device code still pending and unexpired at now; DenyDeviceCode records a
	// refusal on the same condition. Otherwise ErrNotFound, and nothing changes.
	ApproveDeviceCode(ctx context.Context, codeHash []byte, a *domain.DeviceCode, now time.Time) error
	DenyDeviceCode(ctx context.Context, codeHash []byte, now time.Time) error
	// PollDeviceCode records a poll by clientID, reading the clock once it holds the device code, so
	// that concurrent polls are decided one after the other:
	//  - unknown, or another client's → ErrNotFound, and nothing changes;
	//  - expired → ErrExpired;
	//  - polled again before its interval has passed → ErrSlowDown, and the interval grows by
	//    domain.DeviceSlowDownStep;
	//  - approved → consumed (deleted) and returned: of concurrent polls exactly one gets it;
	//  - pending or denied → returned with the poll recorded.
	PollDeviceCode(ctx context.Context, codeHash []byte, clientID string, clock func() time.Time) (*domain.DeviceCode, error)
}

// RevokedOpaqueTokenStore remembers revoked opaque access tokens (RFC 7009), by hash, until they
// would have expired.
type RevokedOpaqueTokenStore interface {
	// RevokeOpaqueToken records the token; revoking it again changes nothing.
	RevokeOpaqueToken(ctx context.Context, tokenHash []byte, expiresAt time.Time) error
	OpaqueTokenRevoked(ctx context.Context, tokenHash []byte) (bool, error)
}

// CodeStore keeps authorization codes.
type CodeStore interface {
	CreateAuthorizationCode(ctx context.Context, c *domain.AuthorizationCode) error
	// RedeemAuthorizationCode atomically marks the code used and returns it. An unknown or expired
	// code is ErrNotFound; a code used before is ErrAlreadyUsed, returned together with the record.
	RedeemAuthorizationCode(ctx context.Context, codeHash []byte, now time.Time) (*domain.AuthorizationCode, error)
	// SetCodeIssuedFamily records the refresh family the redemption issued, for replay revocation.
	SetCodeIssuedFamily(ctx context.Context, codeHash []byte, familyID string) error
}

// AccessTokenRevocationStore lists access tokens (by jti) revoked before they expire: what an
// authorization code's first redemption issued, once the code is presented again.
type AccessTokenRevocationStore interface {
	// RevokeAccessToken lists tokenID until expires (when the token would have expired anyway).
	RevokeAccessToken(ctx context.Context, tokenID string, expires time.Time) error
	// AccessTokenRevoked reports whether tokenID is listed and now is before its listing's expiry.
	AccessTokenRevoked(ctx context.Context, tokenID string, now time.Time) (bool, error)
}

// RefreshTokenStore keeps refresh tokens and their families.
type RefreshTokenStore interface {
	CreateRefreshToken(ctx context.Context, t *domain.RefreshToken) error
	GetRefreshToken(ctx context.Context, tokenHash []byte) (*domain.RefreshToken, error)
	// RotateRefreshToken atomically exchanges the token identified by oldHash for next (same family,
	// next generation; the caller fills next's fields, its ExpiresAt copied from the old token). The
	// decision is made under the token's lock with the time clock gives then, never a time read
	// before the lock, so a request that waited behind the winner sees the winner's rotation as past:
	//  - unknown → ErrNotFound; revoked or expired now → ErrRefreshInvalid;
	//  - already rotated: if leeway is not zero, now is within leeway of the rotation and the old
	//    token is the family's second-newest, it is exchanged again (a new newest token is
	//    stored); otherwise the whole family is revoked and ErrRefreshReused is returned.
	// On success the old token is marked rotated and returned.
	RotateRefreshToken(ctx context.Context, oldHash []byte, next *domain.RefreshToken, clock func() time.Time, leeway time.Duration) (*domain.RefreshToken, error)
	// TouchRefreshToken records a use of a non-rotating token: its idle expiry restarts.
	TouchRefreshToken(ctx context.Context, tokenHash []byte, idleExpires *time.Time) error
	RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error
	RevokeUserRefreshTokens(ctx context.Context, userID string, now time.Time) error
}
