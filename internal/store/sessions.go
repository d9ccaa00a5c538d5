package store

import (
	"context"
	"errors"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// EndSessions deletes each session through tx and queues the back-channel logout tokens its end
// owes for initiator (domain.BackchannelLogouts: each client the session signed in to that asks for
// that initiator). Call it inside the transaction of the change that ends the sessions (a logout, a
// revocation, a new password, a block, a deleted account), so the tokens are queued exactly when
// the sessions end. It returns how many tokens it queued, for the caller to wake the worker after
// the commit. A session already gone is skipped.
func EndSessions(ctx context.Context, tx Store, sessions []*domain.Session, initiator string) (int, error) {
	queued := 0
	for _, s := range sessions {
		if err := tx.DeleteSession(ctx, s.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return queued, err
		}
		var lookupErr error
		logouts := domain.BackchannelLogouts(s, initiator, func(id string) *domain.Client {
			c, err := tx.GetClient(ctx, id)
			if err != nil && !errors.Is(err, ErrNotFound) && lookupErr == nil {
				lookupErr = err
			}
			return c
		})
		if lookupErr != nil {
			return queued, lookupErr
		}
		for _, l := range logouts {
			if err := tx.EnqueueBackchannelLogout(ctx, l); err != nil {
				return queued, err
			}
		}
		queued += len(logouts)
	}
	return queued, nil
}

// EndUserSessions ends every session of the user as EndSessions does.
func EndUserSessions(ctx context.Context, tx Store, userID, initiator string) (int, error) {
	list, err := tx.ListUserSessions(ctx, userID)
	if err != nil {
		return 0, err
	}
	n, err := EndSessions(ctx, tx, list, initiator)
	if err != nil {
		return n, err
	}
	// Anything the list missed (a session written after it was read) ends too, without a token:
	// the user asked for every session to end.
	return n, tx.DeleteUserSessions(ctx, userID)
}
