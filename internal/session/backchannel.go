package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Backchannel turns on OpenID Connect Back-Channel Logout 1.0: when a session ends at logout, a
// logout token is queued for every client the session signed in to that registered a
// backchannel_logout_url, in the same transaction as the session's deletion, and Kick wakes the
// worker that delivers them (internal/backchannel). Delivery never holds up the logout.
type Backchannel struct {
	Store store.Store
	Kick  func() // nil: the worker finds them on its next pass
}

// deleteSession ends s, queueing the logout tokens its end owes for initiator. Should the queue
// fail, the session is still ended (a logout must never leave the user signed in) and the error
// reported.
func (m *Manager) deleteSession(ctx context.Context, s *domain.Session, initiator string) error {
	b := m.backchannel
	if b == nil {
		return m.store.DeleteSession(ctx, s.ID)
	}
	queued := 0
	err := b.Store.WithTx(ctx, func(tx store.Store) error {
		n, err := store.EndSessions(ctx, tx, []*domain.Session{s}, initiator)
		queued = n
		return err
	})
	if err != nil {
		if derr := m.store.DeleteSession(ctx, s.ID); derr != nil && !errors.Is(derr, store.ErrNotFound) {
			return fmt.Errorf("session: delete: %w", derr)
		}
		m.logger.ErrorContext(ctx, "back-channel logout not queued; the session was ended without it", "err", err)
		return nil
	}
	if queued > 0 && b.Kick != nil {
		b.Kick()
	}
	return nil
}
