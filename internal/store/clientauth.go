package store

// The stores of client authentication and token binding: private_key_jwt credentials, single-use
// identifiers (assertion and DPoP jtis), pushed authorization requests and the back-channel
// logout outbox.

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// ClientCredentialStore keeps the public keys registered on clients (private_key_jwt).
type ClientCredentialStore interface {
	CreateClientCredential(ctx context.Context, c *domain.ClientCredential) error
	// ListClientCredentials returns the client's credentials, oldest first.
	ListClientCredentials(ctx context.Context, clientID string) ([]*domain.ClientCredential, error)
	// GetClientCredential and DeleteClientCredential find the credential only under its own client:
	// another client's id is ErrNotFound.
	GetClientCredential(ctx context.Context, clientID, id string) (*domain.ClientCredential, error)
	DeleteClientCredential(ctx context.Context, clientID, id string) error
	// UpdateClientCredential saves c's document (its client and id unchanged); ErrNotFound when the
	// client holds no such credential.
	UpdateClientCredential(ctx context.Context, c *domain.ClientCredential) error
}

// ReplayStore remembers identifiers that may be used once (a client assertion's or a DPoP proof's
// jti), by hash, shared by every node.
type ReplayStore interface {
	// UseOnce records key until expires. A key recorded before and not yet expired at now is
	// ErrAlreadyUsed and changes nothing; of concurrent uses of one key exactly one succeeds.
	UseOnce(ctx context.Context, key []byte, expires, now time.Time) error
}

// PushedRequestStore keeps pushed authorization requests (RFC 9126) by the hash of their request_uri.
type PushedRequestStore interface {
	CreatePushedRequest(ctx context.Context, p *domain.PushedRequest) error
	// ConsumePushedRequest deletes and returns the request when it was pushed by clientID and has
	// not expired at now; otherwise ErrNotFound. Of concurrent redemptions exactly one gets it.
	ConsumePushedRequest(ctx context.Context, uriHash []byte, clientID string, now time.Time) (*domain.PushedRequest, error)
}

// BackchannelStore is the outbox of back-channel logout tokens, at least once with leases, as
// MailStore's outbox is.
type BackchannelStore interface {
	// EnqueueBackchannelLogout queues l (CreatedAt and NextAttemptAt filled when empty). Called
	// through a Store bound to a transaction, it commits with the logout that causes it.
	EnqueueBackchannelLogout(ctx context.Context, l *domain.BackchannelLogout) error
	// ClaimBackchannelLogouts leases up to limit due entries to owner until leaseUntil, counting an
	// attempt on each; concurrent claimers never get the same entry.
	ClaimBackchannelLogouts(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*domain.BackchannelLogout, error)
	// MarkBackchannelSent, RetryBackchannel and FailBackchannel settle a leased entry; ErrNotFound:
	// owner no longer holds the lease.
	MarkBackchannelSent(ctx context.Context, id, owner string, now time.Time) error
	RetryBackchannel(ctx context.Context, id, owner string, next time.Time, lastErr string) error
	FailBackchannel(ctx context.Context, id, owner string, now time.Time, lastErr string) error
	GetBackchannelLogout(ctx context.Context, id string) (*domain.BackchannelLogout, error)
}
